-- 0004_participant_rows.sql: one row per participant for the roster values, instead of one
-- row per participant and field.
--
-- Why: a roster of a million people with sixteen columns wrote 16 million rows into
-- participant_attributes (with an index on (name, value) receiving them in random order) and
-- 16 million more into participant_attribute_history: about 100 million B-tree insertions,
-- 20 times the time calamine needs to read the file. Here a participant's current values are
-- one JSON object in one row, and an import's changes to a participant one history row.
--
-- participant_attributes and participant_attribute_history stay as views with their old
-- columns, so that code and people reading them keep working. Nothing writes through them:
-- writers use pantau::participants::attributes, which knows this layout.

-- A participant's current roster values.
CREATE TABLE participant_rows (
    participant_id INTEGER PRIMARY KEY REFERENCES participants (id) ON DELETE CASCADE,
    -- {"field": "normalised value", ...}: canonical field names after header aliasing
    -- ("nik", "phone", "union", "extra_…"); every value a JSON string (dates as YYYY-MM-DD,
    -- phones as 62…).
    attrs TEXT NOT NULL CHECK (json_valid(attrs)),
    -- Where the values came from: the import that set them (NULL: set by hand in the admin
    -- area) and when, for every field that `sources` does not name.
    set_by_import INTEGER REFERENCES roster_imports (id) ON DELETE SET NULL,
    updated_at TEXT NOT NULL,
    -- The fields set later than the row, by another import or by hand:
    -- {"field": [import id or null, "updated_at"], ...}. A first import leaves it empty, so
    -- that a million new participants store one provenance each rather than sixteen.
    sources TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(sources)),
    -- What participants are looked up by, taken from `attrs` by SQLite itself so that they can
    -- never disagree with it. VIRTUAL: the index holds the value, the row does not.
    roster_id TEXT GENERATED ALWAYS AS (attrs ->> '$.participant_id') VIRTUAL,
    nik TEXT GENERATED ALWAYS AS (attrs ->> '$.nik') VIRTUAL,
    phone TEXT GENERATED ALWAYS AS (attrs ->> '$.phone') VIRTUAL,
    email TEXT GENERATED ALWAYS AS (lower(attrs ->> '$.email')) VIRTUAL,
    name_folded TEXT GENERATED ALWAYS AS (lower(attrs ->> '$.name')) VIRTUAL
) STRICT;
-- Matching a roster row to a participant (participant id, NIK, phone) and an email address to
-- a participant. Partial: a participant without the field costs no index entry.
CREATE INDEX participant_rows_roster_id ON participant_rows (roster_id)
    WHERE roster_id IS NOT NULL;
CREATE INDEX participant_rows_nik ON participant_rows (nik) WHERE nik IS NOT NULL;
CREATE INDEX participant_rows_phone ON participant_rows (phone) WHERE phone IS NOT NULL;
CREATE INDEX participant_rows_email ON participant_rows (email) WHERE email IS NOT NULL;
CREATE INDEX participant_rows_import ON participant_rows (set_by_import);

-- What each import (or hand edit) changed for a participant: one row per participant per
-- import, holding only the fields it set ({"field": "value"}) or cleared ({"field": null}).
CREATE TABLE participant_row_history (
    id INTEGER PRIMARY KEY,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    -- NULL when changed by hand.
    import_id INTEGER REFERENCES roster_imports (id) ON DELETE SET NULL,
    set_at TEXT NOT NULL,
    changes TEXT NOT NULL CHECK (json_valid(changes))
) STRICT;
CREATE INDEX participant_row_history_participant ON participant_row_history (participant_id);
CREATE INDEX participant_row_history_import ON participant_row_history (import_id);

-- The admin area's participant search: the searched texts of each participant, narrow and in
-- participant order, so that a search over a million participants reads about 60 MB in the
-- order the page lists them and stops at the page's last row. Kept by the triggers below.
CREATE TABLE participant_search (
    participant_id INTEGER PRIMARY KEY REFERENCES participants (id) ON DELETE CASCADE,
    -- The name as written (LIKE ignores ASCII case), the phone as 62…, the NIK.
    name TEXT,
    phone TEXT,
    nik TEXT,
    cohort TEXT,
    union_name TEXT
) STRICT;
-- The cohort and union filters without a text: the participants of one cohort, in id order.
CREATE INDEX participant_search_cohort ON participant_search (cohort) WHERE cohort IS NOT NULL;
CREATE INDEX participant_search_union ON participant_search (union_name)
    WHERE union_name IS NOT NULL;

-- Plain INSERT and UPDATE: a conflict clause inside a trigger yields to the statement's own
-- (an upsert's), so INSERT OR REPLACE would not replace here.
CREATE TRIGGER participant_rows_search_insert AFTER INSERT ON participant_rows
BEGIN
    INSERT INTO participant_search (participant_id, name, phone, nik, cohort, union_name)
    VALUES (new.participant_id, new.attrs ->> '$.name', new.attrs ->> '$.phone',
            new.attrs ->> '$.nik', new.attrs ->> '$.cohort', new.attrs ->> '$.union');
END;
CREATE TRIGGER participant_rows_search_update AFTER UPDATE OF attrs ON participant_rows
BEGIN
    UPDATE participant_search
    SET name = new.attrs ->> '$.name', phone = new.attrs ->> '$.phone',
        nik = new.attrs ->> '$.nik', cohort = new.attrs ->> '$.cohort',
        union_name = new.attrs ->> '$.union'
    WHERE participant_id = new.participant_id;
END;
CREATE TRIGGER participant_rows_search_delete AFTER DELETE ON participant_rows
BEGIN
    DELETE FROM participant_search WHERE participant_id = old.participant_id;
END;

-- The existing data: every field keeps its own provenance in `sources`.
INSERT INTO participant_rows (participant_id, attrs, set_by_import, updated_at, sources)
SELECT participant_id,
       json_group_object(name, value),
       NULL,
       max(updated_at),
       json_group_object(name, json_array(set_by_import, updated_at))
FROM participant_attributes
GROUP BY participant_id;

INSERT INTO participant_row_history (participant_id, import_id, set_at, changes)
SELECT participant_id, import_id, set_at, json_group_object(name, value)
FROM participant_attribute_history
GROUP BY participant_id, import_id, set_at
ORDER BY min(id);

DROP TABLE participant_attributes;
DROP TABLE participant_attribute_history;

-- The old tables' columns, for readers. A field's provenance is its entry in `sources`, else
-- the row's.
CREATE VIEW participant_attributes (participant_id, name, value, set_by_import, updated_at) AS
SELECT r.participant_id, a.key, a.value,
       CASE WHEN s.key IS NULL THEN r.set_by_import ELSE s.value ->> 0 END,
       CASE WHEN s.key IS NULL THEN r.updated_at ELSE s.value ->> 1 END
FROM participant_rows r
JOIN json_each(r.attrs) a
LEFT JOIN json_each(r.sources) s ON s.key = a.key;

CREATE VIEW participant_attribute_history (id, participant_id, name, value, import_id, set_at) AS
SELECT h.id, h.participant_id, c.key, c.value, h.import_id, h.set_at
FROM participant_row_history h
JOIN json_each(h.changes) c;
