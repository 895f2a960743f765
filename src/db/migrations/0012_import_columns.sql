-- 0012_import_columns.sql: less work per participant in a first roster import.
--
-- Why: a first import of 100,000 rows spent a tenth of its CPU having SQLite parse every
-- row's JSON again (on each insert, for the STRICT type check of the generated columns, and
-- once per index when the lookup indexes were built at its end), wrote every row's values
-- twice (the row and an identical history row: 60 % of the database), and built a trigram
-- index with positions that the admin search never needed (it checks every candidate with
-- LIKE afterwards). Three changes:
--
-- 1. The lookup columns of participant_rows (roster_id, nik, phone, email) are plain columns,
--    written by the import from the values it already holds. Two triggers keep them equal to
--    `attrs` for every other write (and correct any write that disagrees), so they still can
--    never disagree with it. name_folded, read by nothing, goes.
-- 2. history_implicit = 1 marks a row whose values, all set by `set_by_import` at
--    `updated_at`, are its whole history: a first import writes no history row that would only
--    repeat them. The view participant_attribute_history shows that entry as before, and the
--    first change to the row (or its removal) writes it into participant_row_history, with
--    the values as they were, before anything else is recorded. So the history of which
--    import set which value stays complete.
-- 3. The trigram index keeps which participants hold a trigram, not where or in which column
--    (detail=none, no column sizes): 4 times smaller and twice as fast to build. The admin
--    search asks for every trigram of a fragment instead of the phrase, which finds the same
--    participants or a few more, and its LIKE conditions keep exactly the right ones.

-- 1. Plain lookup columns. A generated column can be dropped once nothing indexes it.
DROP INDEX participant_rows_roster_id;
DROP INDEX participant_rows_nik;
DROP INDEX participant_rows_phone;
DROP INDEX participant_rows_email;
ALTER TABLE participant_rows DROP COLUMN roster_id;
ALTER TABLE participant_rows DROP COLUMN nik;
ALTER TABLE participant_rows DROP COLUMN phone;
ALTER TABLE participant_rows DROP COLUMN email;
ALTER TABLE participant_rows DROP COLUMN name_folded;
ALTER TABLE participant_rows ADD COLUMN roster_id TEXT;
ALTER TABLE participant_rows ADD COLUMN nik TEXT;
ALTER TABLE participant_rows ADD COLUMN phone TEXT;
ALTER TABLE participant_rows ADD COLUMN email TEXT;
ALTER TABLE participant_rows ADD COLUMN history_implicit INTEGER NOT NULL DEFAULT 0
    CHECK (history_implicit IN (0, 1));

UPDATE participant_rows
SET roster_id = attrs ->> '$.participant_id', nik = attrs ->> '$.nik',
    phone = attrs ->> '$.phone', email = lower(attrs ->> '$.email');

CREATE INDEX participant_rows_roster_id ON participant_rows (roster_id)
    WHERE roster_id IS NOT NULL;
CREATE INDEX participant_rows_nik ON participant_rows (nik) WHERE nik IS NOT NULL;
CREATE INDEX participant_rows_phone ON participant_rows (phone) WHERE phone IS NOT NULL;
CREATE INDEX participant_rows_email ON participant_rows (email) WHERE email IS NOT NULL;

-- A row written without its lookup columns (a hand edit's json_object), or with wrong ones,
-- gets them from `attrs`. The nested UPDATE does not fire these triggers again (recursive
-- triggers are off), and would find nothing to correct if it did.
CREATE TRIGGER participant_rows_lookup_insert AFTER INSERT ON participant_rows
WHEN new.roster_id IS NOT (new.attrs ->> '$.participant_id')
  OR new.nik IS NOT (new.attrs ->> '$.nik')
  OR new.phone IS NOT (new.attrs ->> '$.phone')
  OR new.email IS NOT lower(new.attrs ->> '$.email')
BEGIN
    UPDATE participant_rows
    SET roster_id = new.attrs ->> '$.participant_id', nik = new.attrs ->> '$.nik',
        phone = new.attrs ->> '$.phone', email = lower(new.attrs ->> '$.email')
    WHERE participant_id = new.participant_id;
END;
CREATE TRIGGER participant_rows_lookup_update
AFTER UPDATE OF attrs, roster_id, nik, phone, email ON participant_rows
WHEN new.roster_id IS NOT (new.attrs ->> '$.participant_id')
  OR new.nik IS NOT (new.attrs ->> '$.nik')
  OR new.phone IS NOT (new.attrs ->> '$.phone')
  OR new.email IS NOT lower(new.attrs ->> '$.email')
BEGIN
    UPDATE participant_rows
    SET roster_id = new.attrs ->> '$.participant_id', nik = new.attrs ->> '$.nik',
        phone = new.attrs ->> '$.phone', email = lower(new.attrs ->> '$.email')
    WHERE participant_id = new.participant_id;
END;

-- 2. The implicit history entry written out before the row's values or provenance change, or
-- before the row goes (the participant's explicit history outlives its row). Not on a change
-- of set_by_import alone: that is the import's deletion (ON DELETE SET NULL), which the entry
-- follows as a written one would.
CREATE TRIGGER participant_rows_history_update
AFTER UPDATE OF attrs, updated_at, sources ON participant_rows
WHEN old.history_implicit = 1
BEGIN
    INSERT INTO participant_row_history (participant_id, import_id, set_at, changes)
    VALUES (old.participant_id, old.set_by_import, old.updated_at, old.attrs);
    UPDATE participant_rows SET history_implicit = 0 WHERE participant_id = old.participant_id;
END;
-- Not when the participant goes too (ON DELETE CASCADE): its history goes with it.
CREATE TRIGGER participant_rows_history_delete BEFORE DELETE ON participant_rows
WHEN old.history_implicit = 1
  AND EXISTS (SELECT 1 FROM participants WHERE id = old.participant_id)
BEGIN
    INSERT INTO participant_row_history (participant_id, import_id, set_at, changes)
    VALUES (old.participant_id, old.set_by_import, old.updated_at, old.attrs);
END;

-- The implicit entries (id NULL: they come first in a participant's history, which readers
-- order by set_at and id) after the written ones.
DROP VIEW participant_attribute_history;
CREATE VIEW participant_attribute_history (id, participant_id, name, value, import_id, set_at) AS
SELECT h.id, h.participant_id, c.key, c.value, h.import_id, h.set_at
FROM participant_row_history h
JOIN json_each(h.changes) c
UNION ALL
SELECT NULL, r.participant_id, a.key, a.value, r.set_by_import, r.updated_at
FROM participant_rows r
JOIN json_each(r.attrs) a
WHERE r.history_implicit = 1;

-- 3. The trigram index without positions or columns, built again from participant_search.
DROP TRIGGER participant_search_text_insert;
DROP TRIGGER participant_search_text_update;
DROP TRIGGER participant_search_text_delete;
DROP TABLE participant_search_text;
CREATE VIRTUAL TABLE participant_search_text USING fts5 (
    name, phone, nik,
    content = 'participant_search',
    content_rowid = 'participant_id',
    tokenize = 'trigram',
    detail = none,
    columnsize = 0
);
CREATE TRIGGER participant_search_text_insert AFTER INSERT ON participant_search
BEGIN
    INSERT INTO participant_search_text (rowid, name, phone, nik)
    VALUES (new.participant_id, new.name, new.phone, new.nik);
END;
CREATE TRIGGER participant_search_text_update AFTER UPDATE OF name, phone, nik
    ON participant_search
WHEN old.name IS NOT new.name OR old.phone IS NOT new.phone OR old.nik IS NOT new.nik
BEGIN
    INSERT INTO participant_search_text (participant_search_text, rowid, name, phone, nik)
    VALUES ('delete', old.participant_id, old.name, old.phone, old.nik);
    INSERT INTO participant_search_text (rowid, name, phone, nik)
    VALUES (new.participant_id, new.name, new.phone, new.nik);
END;
CREATE TRIGGER participant_search_text_delete AFTER DELETE ON participant_search
BEGIN
    INSERT INTO participant_search_text (participant_search_text, rowid, name, phone, nik)
    VALUES ('delete', old.participant_id, old.name, old.phone, old.nik);
END;
INSERT INTO participant_search_text (participant_search_text) VALUES ('rebuild');
