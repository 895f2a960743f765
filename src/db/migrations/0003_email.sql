-- 0003_email.sql: participants who asked for no more survey emails.
--
-- One row per participant, written by the opt-out page (`/s/{token}/berhenti`) that every
-- invitation and reminder email links to. The email job sends nothing more to a participant
-- with a row here, for any wave. The row holds no personal data: the address stays in
-- participant_attributes, so erasing a participant (ON DELETE CASCADE) removes this row too.
CREATE TABLE email_opt_outs (
    participant_id INTEGER PRIMARY KEY REFERENCES participants (id) ON DELETE CASCADE,
    -- The invitation whose link was used, to show in the participant's timeline.
    invitation_id INTEGER REFERENCES invitations (id) ON DELETE SET NULL,
    opted_out_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX email_opt_outs_invitation ON email_opt_outs (invitation_id);
