-- 0011_submission_path.sql: less work for the database in each final submission.
--
-- A final submission inserts its response and changes its invitation's status from 'opened'
-- to 'submitted', on the one writer thread every submission waits for.
--
-- The trigger of 0005 handled every change of an invitation as a move between (wave, cohort)
-- rows of dashboard_counts: out of the old row and into the new one, looking the participant's
-- cohort up twice (parsing their roster row's JSON each time) and the invitation's consents
-- twice. When neither the wave nor the participant changes, the row stays the same and so do
-- the consents: one UPDATE of the differences gives the same counts. The general trigger now
-- runs only when the wave or the participant changes; the two conditions never hold together.
DROP TRIGGER dashboard_invitation_update;

CREATE TRIGGER dashboard_invitation_update
AFTER UPDATE OF status, opened_at, wave, participant_id ON invitations
WHEN OLD.wave IS NOT NEW.wave OR OLD.participant_id IS NOT NEW.participant_id
BEGIN
    UPDATE dashboard_counts SET
        invited = invited - 1,
        opened = opened - (OLD.opened_at IS NOT NULL OR OLD.status IN ('opened', 'submitted', 'declined')),
        consented = consented - EXISTS (SELECT 1 FROM consents k WHERE k.invitation_id = OLD.id AND k.decision = 'accepted'),
        completed = completed - (OLD.status = 'submitted')
    WHERE wave = OLD.wave AND cohort = coalesce((SELECT attrs ->> '$.cohort' FROM participant_rows WHERE participant_id = OLD.participant_id), '');
    INSERT INTO dashboard_counts (wave, cohort, invited, opened, consented, completed)
    VALUES (NEW.wave, coalesce((SELECT attrs ->> '$.cohort' FROM participant_rows WHERE participant_id = NEW.participant_id), ''), 1,
            (NEW.opened_at IS NOT NULL OR NEW.status IN ('opened', 'submitted', 'declined')),
            EXISTS (SELECT 1 FROM consents k WHERE k.invitation_id = NEW.id AND k.decision = 'accepted'),
            (NEW.status = 'submitted'))
    ON CONFLICT (wave, cohort) DO UPDATE SET
        invited = invited + excluded.invited, opened = opened + excluded.opened,
        consented = consented + excluded.consented, completed = completed + excluded.completed;
END;

CREATE TRIGGER dashboard_invitation_status_update
AFTER UPDATE OF status, opened_at ON invitations
WHEN OLD.wave IS NEW.wave AND OLD.participant_id IS NEW.participant_id
  AND (OLD.status IS NOT NEW.status OR OLD.opened_at IS NOT NEW.opened_at)
BEGIN
    UPDATE dashboard_counts SET
        opened = opened
            - (OLD.opened_at IS NOT NULL OR OLD.status IN ('opened', 'submitted', 'declined'))
            + (NEW.opened_at IS NOT NULL OR NEW.status IN ('opened', 'submitted', 'declined')),
        completed = completed - (OLD.status = 'submitted') + (NEW.status = 'submitted')
    WHERE wave = NEW.wave AND cohort = coalesce((SELECT attrs ->> '$.cohort' FROM participant_rows WHERE participant_id = NEW.participant_id), '');
END;

-- Almost every response is the participant's own (assisted_by NULL), and the index exists for
-- the few a field officer entered (found when the officer's account is deleted: `assisted_by =
-- ?` implies NOT NULL, so this partial index still serves that lookup). Without the NULL
-- entries, a submission no longer inserts into it.
DROP INDEX responses_user;
CREATE INDEX responses_user ON responses (assisted_by) WHERE assisted_by IS NOT NULL;
