-- 0013_participant_keys.sql: the uniqueness of participant_key and pseudonym as named indexes.
--
-- Why: declared UNIQUE in the table (0001), the two were indexes SQLite made itself, which
-- cannot be dropped. A first roster import (pantau::participants::bulk) drops the indexes of
-- the participant tables and builds them once at its end, but had to keep these two and fill
-- them one random key at a time: a tenth of the storing thread's work. As CREATE UNIQUE INDEX
-- they enforce the same rule (an insert or update that repeats a key or a pseudonym fails,
-- and ON CONFLICT targets them alike) and can be dropped and rebuilt in one sort.
--
-- SQLite cannot drop a column constraint, so the table is rebuilt ("making other kinds of
-- table schema changes", sqlite.org/lang_altertable.html): new table, copy, drop, rename.
-- The tables that reference participants (roster rows and their history, search rows,
-- invitations, opt-outs, flags, the job cache) do so with ON DELETE CASCADE: dropping the
-- old table with foreign keys on would delete every row of theirs. pantau::db::migrate turns foreign keys
-- off around the migrations (a pragma SQLite ignores inside a transaction), the step runs
-- with PRAGMA foreign_key_check before its commit, and the guard below refuses to run it
-- with foreign keys on. Ids are copied as they are, so every reference stays right.
--
-- legacy_alter_table during the rename: otherwise SQLite checks every view and trigger that
-- names participants while the table is gone, and fails. Nothing names participants_new, so
-- there is nothing the rename would have rewritten.

CREATE TEMP TABLE migration_0013_needs_foreign_keys_off (
    foreign_keys INTEGER CHECK (foreign_keys = 0)
);
INSERT INTO migration_0013_needs_foreign_keys_off SELECT foreign_keys FROM pragma_foreign_keys;
DROP TABLE migration_0013_needs_foreign_keys_off;

-- As in 0001, without the two column constraints.
CREATE TABLE participants_new (
    id INTEGER PRIMARY KEY,
    -- The stable key rosters are merged on: the roster's own participant id, else the NIK,
    -- else the normalised phone number, prefixed by its kind ("id:…", "nik:…", "phone:…").
    -- Replaced by "erased:<id>" when the participant is erased. Unique: participants_key.
    participant_key TEXT NOT NULL,
    -- Random, stable name used in donor outputs instead of any identifier. Unique:
    -- participants_pseudonym.
    pseudonym TEXT NOT NULL,
    created_at TEXT NOT NULL,
    -- Set when the participant's personal data was erased on request or after retention.
    erased_at TEXT
) STRICT;

INSERT INTO participants_new (id, participant_key, pseudonym, created_at, erased_at)
SELECT id, participant_key, pseudonym, created_at, erased_at FROM participants ORDER BY id;

PRAGMA legacy_alter_table = ON;
DROP TABLE participants;
ALTER TABLE participants_new RENAME TO participants;
PRAGMA legacy_alter_table = OFF;

CREATE UNIQUE INDEX participants_key ON participants (participant_key);
CREATE UNIQUE INDEX participants_pseudonym ON participants (pseudonym);

-- What the old table carried, as 0005 and 0007 created it.
CREATE INDEX participants_erased ON participants (erased_at) WHERE erased_at IS NOT NULL;

CREATE TRIGGER funnel_participant_insert AFTER INSERT ON participants BEGIN
    INSERT INTO funnel_counts (birth_date, age_group, people) VALUES ('null', 'null', 1)
    ON CONFLICT (birth_date, age_group) DO UPDATE SET people = people + 1;
END;

CREATE TRIGGER funnel_participant_delete AFTER DELETE ON participants BEGIN
    INSERT INTO funnel_counts (birth_date, age_group, people) VALUES ('null', 'null', -1)
    ON CONFLICT (birth_date, age_group) DO UPDATE SET people = people - 1;
    DELETE FROM funnel_counts WHERE birth_date = 'null' AND age_group = 'null' AND people = 0;
END;
