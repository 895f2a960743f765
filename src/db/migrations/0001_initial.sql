-- 0001_initial.sql: pantau's first schema.
--
-- Conventions:
-- * Tables are STRICT, so a wrong type is an error rather than a silent conversion.
-- * Times are TEXT in UTC, RFC 3339 with a `Z` ("2025-03-01T02:00:00Z"): they sort as text,
--   read well in the sqlite3 shell, and chrono parses them. The application supplies every
--   time (no DEFAULT from SQLite's clock) so that tests can fix the clock.
-- * JSON columns are TEXT checked with json_valid(), so a bad write fails at once.
-- * Enumerations are CHECK constraints; flags are INTEGER 0/1.
-- * Foreign keys are enforced (PRAGMA foreign_keys = ON, set per connection) and every
--   foreign-key column is indexed, so deleting a parent does not scan the child table.
-- * Personal data (NIK, phone, names, answers) lives only in participant_attributes,
--   participant_attribute_history, participants.participant_key, drafts and responses, so
--   that erasing a participant has a short, known list of places to visit.

-- Staff accounts for the admin area.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    -- Login name, compared without case so "Sari" and "sari" are one account.
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    -- A PHC string (argon2id), never the password.
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'field_officer', 'viewer')),
    -- What a field officer may see: participants whose roster field `scope_field` equals
    -- `scope_value` (a union, a training location). Both NULL means everything.
    scope_field TEXT CHECK (scope_field IN ('confederation', 'federation', 'union',
                                            'training_location', 'province', 'cohort')),
    scope_value TEXT,
    -- Consecutive failed logins, and until when the account is locked after too many.
    failed_logins INTEGER NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until TEXT,
    disabled_at TEXT,
    created_at TEXT NOT NULL,
    CHECK ((scope_field IS NULL) = (scope_value IS NULL))
) STRICT;

-- Logged-in admin sessions. The cookie carries a random token; only its SHA-256 is stored,
-- so a copy of the database does not yield live sessions.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Token that every form post must echo (double-submit protection against CSRF).
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- One row per roster file pantau was asked to import, successful or not.
CREATE TABLE roster_imports (
    id INTEGER PRIMARY KEY,
    -- File name as dropped or uploaded (no folder), for people to recognise it.
    file_name TEXT NOT NULL,
    -- SHA-256 (hex) of the file's bytes: the same file dropped twice is skipped.
    content_hash TEXT NOT NULL,
    -- NULL when it came from the inbox folder rather than an upload.
    imported_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    sheet_count INTEGER NOT NULL DEFAULT 0,
    rows_read INTEGER NOT NULL DEFAULT 0,
    rows_new INTEGER NOT NULL DEFAULT 0,
    rows_updated INTEGER NOT NULL DEFAULT 0,
    rows_unchanged INTEGER NOT NULL DEFAULT 0,
    rows_rejected INTEGER NOT NULL DEFAULT 0,
    -- running: in progress; imported: applied; rejected: problems in the file, nothing
    -- applied; failed: pantau could not finish (nothing applied); skipped: same content as an
    -- earlier import.
    status TEXT NOT NULL
        CHECK (status IN ('running', 'imported', 'rejected', 'failed', 'skipped')),
    started_at TEXT NOT NULL,
    finished_at TEXT,
    -- Workbook listing every rejected row (sheet, row, column, why), relative to the reports
    -- folder.
    error_workbook TEXT,
    -- Counts per sheet, header mapping used, warnings: whatever the import page shows.
    summary TEXT CHECK (summary IS NULL OR json_valid(summary))
) STRICT;
-- A file's content is applied at most once; failed or rejected attempts may be repeated.
CREATE UNIQUE INDEX roster_imports_applied_once
    ON roster_imports (content_hash) WHERE status = 'imported';
CREATE INDEX roster_imports_hash ON roster_imports (content_hash);
CREATE INDEX roster_imports_user ON roster_imports (imported_by);

-- Every problem an import found, each with its place in the file.
CREATE TABLE roster_import_problems (
    id INTEGER PRIMARY KEY,
    import_id INTEGER NOT NULL REFERENCES roster_imports (id) ON DELETE CASCADE,
    -- NULL for problems with the file as a whole.
    sheet TEXT,
    -- 1-based row as Excel shows it.
    row INTEGER,
    -- Column header as written in the file (or its letter when there is no header).
    column_name TEXT,
    severity TEXT NOT NULL CHECK (severity IN ('error', 'warning')),
    message TEXT NOT NULL
) STRICT;
CREATE INDEX roster_import_problems_import ON roster_import_problems (import_id);

-- One row per person, from any roster.
CREATE TABLE participants (
    id INTEGER PRIMARY KEY,
    -- The stable key rosters are merged on: the roster's own participant id, else the NIK,
    -- else the normalised phone number, prefixed by its kind ("id:…", "nik:…", "phone:…").
    -- Replaced by "erased:<id>" when the participant is erased.
    participant_key TEXT NOT NULL UNIQUE,
    -- Random, stable name used in donor outputs instead of any identifier.
    pseudonym TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    -- Set when the participant's personal data was erased on request or after retention.
    erased_at TEXT
) STRICT;

-- The current value of each roster field per participant (name, NIK, phone, sex, union,
-- cohort, training end date, ...), one row per field so that rosters with different columns
-- merge without schema changes.
CREATE TABLE participant_attributes (
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    -- Canonical field name after header aliasing ("nik", "phone", "union").
    name TEXT NOT NULL,
    -- Normalised value as text (dates as YYYY-MM-DD, phones as 62…).
    value TEXT NOT NULL,
    -- The import that last set it; NULL when set by hand in the admin area.
    set_by_import INTEGER REFERENCES roster_imports (id) ON DELETE SET NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (participant_id, name)
) STRICT, WITHOUT ROWID;
-- Finding a participant by NIK, phone or email when a roster row has no participant id, and
-- counting by any field for dashboards.
CREATE INDEX participant_attributes_lookup ON participant_attributes (name, value);
CREATE INDEX participant_attributes_import ON participant_attributes (set_by_import);

-- Every value ever set, so that a participant's timeline shows what each import changed.
CREATE TABLE participant_attribute_history (
    id INTEGER PRIMARY KEY,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- NULL when the field was cleared.
    value TEXT,
    import_id INTEGER REFERENCES roster_imports (id) ON DELETE SET NULL,
    set_at TEXT NOT NULL
) STRICT;
CREATE INDEX participant_attribute_history_participant
    ON participant_attribute_history (participant_id, name);
CREATE INDEX participant_attribute_history_import ON participant_attribute_history (import_id);

-- The waves invitations have been issued for, with the form in use. The configuration is the
-- source of truth; rows are added as waves appear there and kept when they leave, so that old
-- invitations and responses still name a wave.
CREATE TABLE waves (
    name TEXT PRIMARY KEY,
    -- Form file name inside the forms folder.
    form_file TEXT NOT NULL,
    -- The form's settings form_id and version when last loaded.
    form_id TEXT,
    form_version TEXT,
    -- SHA-256 of the form file when last loaded, to notice edits.
    form_hash TEXT,
    updated_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- One personal survey link per participant per wave.
CREATE TABLE invitations (
    id INTEGER PRIMARY KEY,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    wave TEXT NOT NULL REFERENCES waves (name),
    -- The unguessable token in /s/{token}. Stored as is, not hashed, because field officers'
    -- call lists show the personal link to send on WhatsApp.
    token TEXT NOT NULL UNIQUE,
    -- issued: link created; sent: invitation sent on some channel; opened: link opened;
    -- submitted: answers received; declined: consent refused; expired: window closed
    -- without a response.
    status TEXT NOT NULL
        CHECK (status IN ('issued', 'sent', 'opened', 'submitted', 'declined', 'expired')),
    issued_at TEXT NOT NULL,
    -- The window in which the survey accepts answers.
    opens_at TEXT NOT NULL,
    closes_at TEXT NOT NULL,
    -- First time the link was opened.
    opened_at TEXT,
    UNIQUE (participant_id, wave),
    CHECK (closes_at > opens_at)
) STRICT;
CREATE INDEX invitations_wave_status ON invitations (wave, status);
CREATE INDEX invitations_closing ON invitations (status, closes_at);

-- Every invitation and reminder sent, so that the job never sends the same one twice.
CREATE TABLE reminders (
    id INTEGER PRIMARY KEY,
    invitation_id INTEGER NOT NULL REFERENCES invitations (id) ON DELETE CASCADE,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'whatsapp', 'sms', 'phone')),
    -- 0 for the first invitation, then 1, 2, ... for the wave's reminder_days in order.
    step INTEGER NOT NULL CHECK (step >= 0),
    sent_at TEXT NOT NULL,
    -- The field officer who sent a WhatsApp message or called; NULL when sent by the job.
    sent_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    UNIQUE (invitation_id, channel, step)
) STRICT;
CREATE INDEX reminders_user ON reminders (sent_by);

-- Consent decisions, recorded before any answer is stored (UU 27/2022). Kept as history: a
-- participant who declined may accept later; the latest row counts.
CREATE TABLE consents (
    id INTEGER PRIMARY KEY,
    invitation_id INTEGER NOT NULL REFERENCES invitations (id) ON DELETE CASCADE,
    decision TEXT NOT NULL CHECK (decision IN ('accepted', 'declined')),
    -- Version of the consent text shown, so the exact wording can be produced later.
    text_version TEXT NOT NULL,
    language TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    -- The field officer filling in on the participant's behalf during a call, if any.
    assisted_by INTEGER REFERENCES users (id) ON DELETE SET NULL
) STRICT;
CREATE INDEX consents_invitation ON consents (invitation_id);
CREATE INDEX consents_user ON consents (assisted_by);

-- Answers saved as the participant goes, so that reopening the link resumes where they
-- stopped. Removed when the response is submitted.
CREATE TABLE drafts (
    invitation_id INTEGER PRIMARY KEY REFERENCES invitations (id) ON DELETE CASCADE,
    answers TEXT NOT NULL CHECK (json_valid(answers)),
    -- Name of the screen (question or field-list group) to show next.
    screen TEXT,
    language TEXT,
    -- Optimistic concurrency: a save says which version it edited and is refused when the
    -- draft moved on meanwhile (the survey open in two tabs, or on a phone and with a field
    -- officer): UPDATE ... SET version = version + 1 WHERE invitation_id = ? AND version = ?.
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    updated_at TEXT NOT NULL
) STRICT;

-- Submitted answers: at most one response per invitation.
CREATE TABLE responses (
    id INTEGER PRIMARY KEY,
    invitation_id INTEGER NOT NULL UNIQUE REFERENCES invitations (id) ON DELETE CASCADE,
    -- Random id issued with the review screen; a repeated submit (double tap, retry on a bad
    -- connection) carries the same id and is recognised instead of stored twice.
    submission_id TEXT NOT NULL UNIQUE,
    form_id TEXT NOT NULL,
    form_version TEXT NOT NULL,
    answers TEXT NOT NULL CHECK (json_valid(answers)),
    language TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    -- The field officer who filled it in on the participant's behalf, if any.
    assisted_by INTEGER REFERENCES users (id) ON DELETE SET NULL
) STRICT;
CREATE INDEX responses_user ON responses (assisted_by);

-- Every scheduled or manual run of the job, with what went in and what came out.
CREATE TABLE report_runs (
    id INTEGER PRIMARY KEY,
    -- What started it: the schedule, the admin page's "run now", or `pantau run`.
    origin TEXT NOT NULL CHECK (origin IN ('schedule', 'admin', 'command_line')),
    -- The admin who pressed "run now", if any.
    triggered_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    started_at TEXT NOT NULL,
    finished_at TEXT,
    duration_ms INTEGER CHECK (duration_ms IS NULL OR duration_ms >= 0),
    -- Input files with their hashes, configuration hash, form versions.
    inputs TEXT CHECK (inputs IS NULL OR json_valid(inputs)),
    -- Rows imported, invitations issued, reminders, responses merged, emails queued.
    counts TEXT CHECK (counts IS NULL OR json_valid(counts)),
    warnings TEXT CHECK (warnings IS NULL OR json_valid(warnings)),
    -- Workbooks written (paths relative to the reports folder).
    outputs TEXT CHECK (outputs IS NULL OR json_valid(outputs)),
    -- Why it failed, when it did.
    error TEXT
) STRICT;
CREATE INDEX report_runs_user ON report_runs (triggered_by);

-- Data-quality findings per participant (and wave), recomputed by each run.
CREATE TABLE data_quality_flags (
    id INTEGER PRIMARY KEY,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    -- NULL for findings about the roster record rather than a wave's answers.
    wave TEXT REFERENCES waves (name),
    -- Stable code for counting ("income_implausible", "duplicate_phone").
    code TEXT NOT NULL,
    -- Explanation for staff.
    reason TEXT NOT NULL,
    report_run_id INTEGER REFERENCES report_runs (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL
) STRICT;
-- One flag per participant, wave and code; the roster-level flags (wave NULL) too.
CREATE UNIQUE INDEX data_quality_flags_once
    ON data_quality_flags (participant_id, ifnull(wave, ''), code);
CREATE INDEX data_quality_flags_wave ON data_quality_flags (wave);
CREATE INDEX data_quality_flags_run ON data_quality_flags (report_run_id);

-- Emails to send, sent and given up on. The job queues; a sender drains the queue with
-- retries, so a mail server outage delays mail instead of losing it.
CREATE TABLE email_outbox (
    id INTEGER PRIMARY KEY,
    -- What this email is for ("invitation:42:0", "report:7:managers:sari@example.org"), so
    -- that running the job twice never queues the same email twice.
    dedupe_key TEXT NOT NULL UNIQUE,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT,
    -- Workbook to attach, relative to the reports folder.
    attachment TEXT,
    -- queued: waiting or to retry at next_attempt_at; sent; failed: given up after retries.
    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
) STRICT;
CREATE INDEX email_outbox_due ON email_outbox (status, next_attempt_at);

-- Who did what in the admin area and the job. No personal data in `detail`: participants are
-- named by id, never by NIK, phone or name.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    -- NULL for the scheduled job.
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    -- Dotted verb ("participant.erase", "report.run", "user.login_failed").
    action TEXT NOT NULL,
    -- What it acted on ("participant:42", "import:7").
    target TEXT,
    detail TEXT
) STRICT;
CREATE INDEX audit_log_user ON audit_log (user_id);
CREATE INDEX audit_log_target ON audit_log (target);

-- A single-row lock so that only one job runs at a time, across `pantau serve` and a
-- `pantau run` started by hand. Taken with
--   UPDATE job_lock SET holder = ?, acquired_at = ?, expires_at = ?
--   WHERE id = 1 AND (holder IS NULL OR expires_at < ?)
-- and released by setting holder to NULL; a crashed holder's lock lapses at expires_at.
CREATE TABLE job_lock (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    -- Who holds it ("serve pid 1234 on host"), NULL when free.
    holder TEXT,
    report_run_id INTEGER REFERENCES report_runs (id) ON DELETE SET NULL,
    acquired_at TEXT,
    expires_at TEXT,
    CHECK ((holder IS NULL) = (expires_at IS NULL))
) STRICT;
CREATE INDEX job_lock_run ON job_lock (report_run_id);
INSERT INTO job_lock (id) VALUES (1);
