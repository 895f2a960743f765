-- 0005_dashboard.sql: the admin dashboard's figures kept up to date on write.
--
-- Counting a million participants' three million invitations on every dashboard view takes
-- seconds; these two small tables hold the counts instead, and triggers keep them exact as
-- rows change, whoever writes (the survey, the job, an import, a test with SQL). The
-- dashboard reads a few hundred rows. `crate::dashboard::recount` rebuilds both from the base
-- tables (tests compare the two).
--
-- The cohort of an invitation is its participant's current `cohort` roster value (empty when
-- none), as the dashboard always showed: the triggers on participant_rows (migration 0004)
-- move a participant's invitations between cohorts when that value changes.

-- Per wave and cohort: invitations issued, links opened, consent given, responses received.
CREATE TABLE dashboard_counts (
    wave TEXT NOT NULL,
    cohort TEXT NOT NULL,
    invited INTEGER NOT NULL DEFAULT 0,
    opened INTEGER NOT NULL DEFAULT 0,
    consented INTEGER NOT NULL DEFAULT 0,
    completed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (wave, cohort)
) STRICT, WITHOUT ROWID;

-- Per wave and UTC hour ('YYYY-MM-DDTHH'): invitations issued and responses received in that
-- hour, for the response rate over time (the dashboard sums hours into local days).
CREATE TABLE dashboard_hourly (
    wave TEXT NOT NULL,
    hour TEXT NOT NULL,
    invited INTEGER NOT NULL DEFAULT 0,
    completed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (wave, hour)
) STRICT, WITHOUT ROWID;

-- Erased participants, counted for the dashboard's cache key without a table scan.
CREATE INDEX participants_erased ON participants (erased_at) WHERE erased_at IS NOT NULL;

INSERT INTO dashboard_counts (wave, cohort, invited, opened, consented, completed)
SELECT i.wave, coalesce((SELECT attrs ->> '$.cohort' FROM participant_rows WHERE participant_id = i.participant_id), ''), count(*), sum((i.opened_at IS NOT NULL OR i.status IN ('opened', 'submitted', 'declined'))),
       sum(EXISTS (SELECT 1 FROM consents k WHERE k.invitation_id = i.id AND k.decision = 'accepted')), sum((i.status = 'submitted'))
FROM invitations i WHERE true GROUP BY 1, 2;

INSERT INTO dashboard_hourly (wave, hour, invited, completed)
SELECT wave, hour, sum(invited), sum(completed) FROM (
    SELECT wave, substr(issued_at, 1, 13) AS hour, 1 AS invited, 0 AS completed FROM invitations
    UNION ALL
    SELECT i.wave, substr(r.submitted_at, 1, 13), 0, 1
    FROM responses r JOIN invitations i ON i.id = r.invitation_id
) WHERE true GROUP BY wave, hour;

CREATE TRIGGER dashboard_invitation_insert AFTER INSERT ON invitations BEGIN
    INSERT INTO dashboard_counts (wave, cohort, invited, opened, consented, completed)
    VALUES (NEW.wave, coalesce((SELECT attrs ->> '$.cohort' FROM participant_rows WHERE participant_id = NEW.participant_id), ''), 1,
            (NEW.opened_at IS NOT NULL OR NEW.status IN ('opened', 'submitted', 'declined')),
            EXISTS (SELECT 1 FROM consents k WHERE k.invitation_id = NEW.id AND k.decision = 'accepted'),
            (NEW.status = 'submitted'))
    ON CONFLICT (wave, cohort) DO UPDATE SET
        invited = invited + excluded.invited, opened = opened + excluded.opened,
        consented = consented + excluded.consented, completed = completed + excluded.completed;
    INSERT INTO dashboard_hourly (wave, hour, invited) VALUES (NEW.wave, substr(NEW.issued_at, 1, 13), 1)
    ON CONFLICT (wave, hour) DO UPDATE SET invited = invited + 1;
END;

CREATE TRIGGER dashboard_invitation_update
AFTER UPDATE OF status, opened_at, wave, participant_id ON invitations
WHEN OLD.status IS NOT NEW.status OR OLD.opened_at IS NOT NEW.opened_at
  OR OLD.wave IS NOT NEW.wave OR OLD.participant_id IS NOT NEW.participant_id
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

CREATE TRIGGER dashboard_invitation_issued_update AFTER UPDATE OF wave, issued_at ON invitations
WHEN OLD.wave IS NOT NEW.wave OR OLD.issued_at IS NOT NEW.issued_at
BEGIN
    UPDATE dashboard_hourly SET invited = invited - 1
    WHERE wave = OLD.wave AND hour = substr(OLD.issued_at, 1, 13);
    INSERT INTO dashboard_hourly (wave, hour, invited) VALUES (NEW.wave, substr(NEW.issued_at, 1, 13), 1)
    ON CONFLICT (wave, hour) DO UPDATE SET invited = invited + 1;
END;

CREATE TRIGGER dashboard_invitation_delete AFTER DELETE ON invitations BEGIN
    UPDATE dashboard_counts SET
        invited = invited - 1,
        opened = opened - (OLD.opened_at IS NOT NULL OR OLD.status IN ('opened', 'submitted', 'declined')),
        consented = consented - EXISTS (SELECT 1 FROM consents k WHERE k.invitation_id = OLD.id AND k.decision = 'accepted'),
        completed = completed - (OLD.status = 'submitted')
    WHERE wave = OLD.wave AND cohort = coalesce((SELECT attrs ->> '$.cohort' FROM participant_rows WHERE participant_id = OLD.participant_id), '');
    UPDATE dashboard_hourly SET invited = invited - 1
    WHERE wave = OLD.wave AND hour = substr(OLD.issued_at, 1, 13);
END;

-- The first accepted consent of an invitation makes it consented; later ones change nothing.
CREATE TRIGGER dashboard_consent_insert AFTER INSERT ON consents
WHEN NEW.decision = 'accepted'
  AND NOT EXISTS (SELECT 1 FROM consents k WHERE k.invitation_id = NEW.invitation_id
                  AND k.decision = 'accepted' AND k.id <> NEW.id)
BEGIN
    UPDATE dashboard_counts SET consented = consented + 1
    WHERE (wave, cohort) = (SELECT i.wave, coalesce((SELECT attrs ->> '$.cohort' FROM participant_rows WHERE participant_id = i.participant_id), '')
                            FROM invitations i WHERE i.id = NEW.invitation_id);
END;

CREATE TRIGGER dashboard_response_insert AFTER INSERT ON responses BEGIN
    INSERT INTO dashboard_hourly (wave, hour, completed)
    SELECT wave, substr(NEW.submitted_at, 1, 13), 1 FROM invitations WHERE id = NEW.invitation_id
    ON CONFLICT (wave, hour) DO UPDATE SET completed = completed + 1;
END;

CREATE TRIGGER dashboard_response_delete AFTER DELETE ON responses BEGIN
    UPDATE dashboard_hourly SET completed = completed - 1
    WHERE hour = substr(OLD.submitted_at, 1, 13)
      AND wave = (SELECT wave FROM invitations WHERE id = OLD.invitation_id);
END;

-- A participant's cohort lives in participant_rows.attrs (migration 0004); a row that gains,
-- changes or loses it moves the participant's invitations to the new cohort's counts.
CREATE TRIGGER dashboard_cohort_insert AFTER INSERT ON participant_rows
WHEN coalesce(NEW.attrs ->> '$.cohort', '') <> ''
BEGIN
    UPDATE dashboard_counts SET
        invited = invited - (SELECT count(*) FROM invitations i
                             WHERE i.participant_id = NEW.participant_id AND i.wave = dashboard_counts.wave),
        opened = opened - (SELECT count(*) FROM invitations i
                           WHERE i.participant_id = NEW.participant_id AND i.wave = dashboard_counts.wave
                             AND (i.opened_at IS NOT NULL OR i.status IN ('opened', 'submitted', 'declined'))),
        consented = consented - (SELECT count(*) FROM invitations i
                                 WHERE i.participant_id = NEW.participant_id AND i.wave = dashboard_counts.wave
                                   AND EXISTS (SELECT 1 FROM consents k WHERE k.invitation_id = i.id AND k.decision = 'accepted')),
        completed = completed - (SELECT count(*) FROM invitations i
                                 WHERE i.participant_id = NEW.participant_id AND i.wave = dashboard_counts.wave
                                   AND (i.status = 'submitted'))
    WHERE cohort = ''
      AND wave IN (SELECT wave FROM invitations WHERE participant_id = NEW.participant_id);
    INSERT INTO dashboard_counts (wave, cohort, invited, opened, consented, completed)
    SELECT i.wave, coalesce(NEW.attrs ->> '$.cohort', ''), count(*), sum((i.opened_at IS NOT NULL OR i.status IN ('opened', 'submitted', 'declined'))),
           sum(EXISTS (SELECT 1 FROM consents k WHERE k.invitation_id = i.id AND k.decision = 'accepted')), sum((i.status = 'submitted'))
    FROM invitations i WHERE i.participant_id = NEW.participant_id GROUP BY i.wave
    ON CONFLICT (wave, cohort) DO UPDATE SET
        invited = invited + excluded.invited, opened = opened + excluded.opened,
        consented = consented + excluded.consented, completed = completed + excluded.completed;
END;

CREATE TRIGGER dashboard_cohort_update AFTER UPDATE OF attrs ON participant_rows
WHEN coalesce(OLD.attrs ->> '$.cohort', '') <> coalesce(NEW.attrs ->> '$.cohort', '')
BEGIN
    UPDATE dashboard_counts SET
        invited = invited - (SELECT count(*) FROM invitations i
                             WHERE i.participant_id = NEW.participant_id AND i.wave = dashboard_counts.wave),
        opened = opened - (SELECT count(*) FROM invitations i
                           WHERE i.participant_id = NEW.participant_id AND i.wave = dashboard_counts.wave
                             AND (i.opened_at IS NOT NULL OR i.status IN ('opened', 'submitted', 'declined'))),
        consented = consented - (SELECT count(*) FROM invitations i
                                 WHERE i.participant_id = NEW.participant_id AND i.wave = dashboard_counts.wave
                                   AND EXISTS (SELECT 1 FROM consents k WHERE k.invitation_id = i.id AND k.decision = 'accepted')),
        completed = completed - (SELECT count(*) FROM invitations i
                                 WHERE i.participant_id = NEW.participant_id AND i.wave = dashboard_counts.wave
                                   AND (i.status = 'submitted'))
    WHERE cohort = coalesce(OLD.attrs ->> '$.cohort', '')
      AND wave IN (SELECT wave FROM invitations WHERE participant_id = NEW.participant_id);
    INSERT INTO dashboard_counts (wave, cohort, invited, opened, consented, completed)
    SELECT i.wave, coalesce(NEW.attrs ->> '$.cohort', ''), count(*), sum((i.opened_at IS NOT NULL OR i.status IN ('opened', 'submitted', 'declined'))),
           sum(EXISTS (SELECT 1 FROM consents k WHERE k.invitation_id = i.id AND k.decision = 'accepted')), sum((i.status = 'submitted'))
    FROM invitations i WHERE i.participant_id = NEW.participant_id GROUP BY i.wave
    ON CONFLICT (wave, cohort) DO UPDATE SET
        invited = invited + excluded.invited, opened = opened + excluded.opened,
        consented = consented + excluded.consented, completed = completed + excluded.completed;
END;

CREATE TRIGGER dashboard_cohort_delete AFTER DELETE ON participant_rows
WHEN coalesce(OLD.attrs ->> '$.cohort', '') <> ''
BEGIN
    UPDATE dashboard_counts SET
        invited = invited - (SELECT count(*) FROM invitations i
                             WHERE i.participant_id = OLD.participant_id AND i.wave = dashboard_counts.wave),
        opened = opened - (SELECT count(*) FROM invitations i
                           WHERE i.participant_id = OLD.participant_id AND i.wave = dashboard_counts.wave
                             AND (i.opened_at IS NOT NULL OR i.status IN ('opened', 'submitted', 'declined'))),
        consented = consented - (SELECT count(*) FROM invitations i
                                 WHERE i.participant_id = OLD.participant_id AND i.wave = dashboard_counts.wave
                                   AND EXISTS (SELECT 1 FROM consents k WHERE k.invitation_id = i.id AND k.decision = 'accepted')),
        completed = completed - (SELECT count(*) FROM invitations i
                                 WHERE i.participant_id = OLD.participant_id AND i.wave = dashboard_counts.wave
                                   AND (i.status = 'submitted'))
    WHERE cohort = coalesce(OLD.attrs ->> '$.cohort', '')
      AND wave IN (SELECT wave FROM invitations WHERE participant_id = OLD.participant_id);
    INSERT INTO dashboard_counts (wave, cohort, invited, opened, consented, completed)
    SELECT i.wave, '', count(*), sum((i.opened_at IS NOT NULL OR i.status IN ('opened', 'submitted', 'declined'))),
           sum(EXISTS (SELECT 1 FROM consents k WHERE k.invitation_id = i.id AND k.decision = 'accepted')), sum((i.status = 'submitted'))
    FROM invitations i WHERE i.participant_id = OLD.participant_id GROUP BY i.wave
    ON CONFLICT (wave, cohort) DO UPDATE SET
        invited = invited + excluded.invited, opened = opened + excluded.opened,
        consented = consented + excluded.consented, completed = completed + excluded.completed;
END;
