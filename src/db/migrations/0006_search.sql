-- 0006_search.sql: a trigram full-text index over the searched texts of participant_search
-- (name, phone as 62…, NIK), for the admin area's participant search.
--
-- Why: a fragment that few participants match (a NIK fragment, a phone fragment with a cohort,
-- a name nobody has) made the search read every row of participant_search: 150 to 500 ms at a
-- million participants. A trigram index lists the participants whose texts contain every
-- three-character piece of the fragment, in participant order, so the search looks only at
-- those. Fragments shorter than three characters have no trigram; the search scans for them as
-- before (they match many participants, so the scan stops early at the page's last row).
--
-- External content: the texts stay in participant_search only; the index keeps its trigrams.
-- It is kept by the triggers below, which must give it exactly the values it indexed when a
-- row changes or goes ('delete' removes the trigrams of the values it is given).
CREATE VIRTUAL TABLE participant_search_text USING fts5 (
    name, phone, nik,
    content = 'participant_search',
    content_rowid = 'participant_id',
    tokenize = 'trigram'
);

CREATE TRIGGER participant_search_text_insert AFTER INSERT ON participant_search
BEGIN
    INSERT INTO participant_search_text (rowid, name, phone, nik)
    VALUES (new.participant_id, new.name, new.phone, new.nik);
END;
CREATE TRIGGER participant_search_text_update AFTER UPDATE OF name, phone, nik
    ON participant_search
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

-- The existing participants: FTS5 reads every row of the content table.
INSERT INTO participant_search_text (participant_search_text) VALUES ('rebuild');
