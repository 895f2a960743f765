-- 0010_search_grams.sql: an index of every one- and two-character piece of each participant's
-- name, for admin searches of one or two characters.
--
-- Why: the trigram index of 0006 has nothing to look up for a fragment shorter than three
-- characters, so such a search walked participant_search row by row until it had a page. A
-- common fragment ("a", "an") stops after a few hundred rows, but one that few participants or
-- nobody has ("qx", "zz") read all of them: 330 ms at a million participants. Here each
-- piece is a token, and the participants holding it are one list in participant order: a
-- search reads that list and stops at the page's last row, or finds it empty at once.
--
-- Only the name: a phone or NIK fragment of one or two digits is in a large share of the
-- 12- and 16-digit numbers, so the walk stops early for it, and phones typed as 08… become
-- 628… (three characters, the trigram index).
--
-- A token is the piece in hexadecimal (UTF-8 bytes) after lower() (ASCII only, the case that
-- LIKE ignores), so that punctuation, spaces and non-Latin letters are tokens like any other
-- and the 'ascii' tokenizer never splits or folds them; a one-character piece and a
-- two-character piece never share a token, because UTF-8 is prefix-free. The index therefore
-- lists exactly the participants whose name LIKE '%piece%' holds.
--
-- detail=none: only which participants hold a token is kept, not where, which is all a piece
-- of two characters needs. Contentless with contentless_delete: the tokens are computed from
-- participant_search by the view below and nothing else is stored.
CREATE VIRTUAL TABLE participant_search_grams USING fts5 (
    grams,
    content = '',
    contentless_delete = 1,
    detail = none,
    tokenize = 'ascii'
);

-- The tokens of each participant's name: for each character position, the character and the
-- two starting there. json_each over an array of length(name) zeros numbers the positions
-- (triggers cannot hold a recursive WITH).
CREATE VIEW participant_search_gram_text (participant_id, grams) AS
SELECT s.participant_id,
       (SELECT group_concat(hex(lower(substr(s.name, j.key + 1, 1))) || ' '
                            || hex(lower(substr(s.name, j.key + 1, 2))), ' ')
        FROM json_each('[' || rtrim(replace(hex(zeroblob(length(s.name))), '00', '0,'), ',')
                       || ']') j)
FROM participant_search s;

CREATE TRIGGER participant_search_grams_insert AFTER INSERT ON participant_search
WHEN new.name IS NOT NULL
BEGIN
    INSERT INTO participant_search_grams (rowid, grams)
    SELECT participant_id, grams FROM participant_search_gram_text
    WHERE participant_id = new.participant_id AND grams IS NOT NULL;
END;
CREATE TRIGGER participant_search_grams_update AFTER UPDATE OF name ON participant_search
WHEN old.name IS NOT new.name
BEGIN
    DELETE FROM participant_search_grams WHERE rowid = old.participant_id;
    INSERT INTO participant_search_grams (rowid, grams)
    SELECT participant_id, grams FROM participant_search_gram_text
    WHERE participant_id = new.participant_id AND grams IS NOT NULL;
END;
CREATE TRIGGER participant_search_grams_delete AFTER DELETE ON participant_search
BEGIN
    DELETE FROM participant_search_grams WHERE rowid = old.participant_id;
END;

-- The existing participants.
INSERT INTO participant_search_grams (rowid, grams)
SELECT participant_id, grams FROM participant_search_gram_text WHERE grams IS NOT NULL;
