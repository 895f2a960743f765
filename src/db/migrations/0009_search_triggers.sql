-- 0009_search_triggers.sql: the search table and its trigram index are rewritten only when a
-- searched value changes.
--
-- Why: a roster update that changed a participant's wage or attendance still rewrote their
-- participant_search row (every column is in the trigger's SET list), and that fired the
-- trigram index's update trigger, which deletes and re-inserts the same texts; FTS5 then
-- flushes its pending changes at every such statement. Re-importing a roster with 1% of rows
-- changed spent an eighth of its time there. Skipping the update when the values are the same
-- leaves both exactly as before, since the update would have written the same values.

DROP TRIGGER participant_rows_search_update;
CREATE TRIGGER participant_rows_search_update AFTER UPDATE OF attrs ON participant_rows
WHEN old.attrs ->> '$.name' IS NOT new.attrs ->> '$.name'
  OR old.attrs ->> '$.phone' IS NOT new.attrs ->> '$.phone'
  OR old.attrs ->> '$.nik' IS NOT new.attrs ->> '$.nik'
  OR old.attrs ->> '$.cohort' IS NOT new.attrs ->> '$.cohort'
  OR old.attrs ->> '$.union' IS NOT new.attrs ->> '$.union'
BEGIN
    UPDATE participant_search
    SET name = new.attrs ->> '$.name', phone = new.attrs ->> '$.phone',
        nik = new.attrs ->> '$.nik', cohort = new.attrs ->> '$.cohort',
        union_name = new.attrs ->> '$.union'
    WHERE participant_id = new.participant_id;
END;

DROP TRIGGER participant_search_text_update;
CREATE TRIGGER participant_search_text_update AFTER UPDATE OF name, phone, nik
    ON participant_search
WHEN old.name IS NOT new.name OR old.phone IS NOT new.phone OR old.nik IS NOT new.nik
BEGIN
    INSERT INTO participant_search_text (participant_search_text, rowid, name, phone, nik)
    VALUES ('delete', old.participant_id, old.name, old.phone, old.nik);
    INSERT INTO participant_search_text (rowid, name, phone, nik)
    VALUES (new.participant_id, new.name, new.phone, new.nik);
END;
