-- 0015_search_backlog.sql: participants whose roster values are stored but not yet in the
-- admin area's search structures (participant_search, its trigram index and its index of
-- name pieces).
--
-- Why: a first import of a large roster spent about a third of its CPU building those
-- structures, all of it before its commit, while nothing but the admin search uses them. A
-- first import now commits the participants and their values, and records here the range of
-- participant ids it added; the server's search indexer (`participants::search_index`) adds
-- them to the search structures afterwards, a chunk per transaction, and removes the range
-- as it goes. Until then the admin list says how many participants are not yet searchable.
--
-- Triggers keep the search structures as before for every other write: a participant in a
-- range here has no participant_search row yet, so the triggers' updates and deletes of that
-- row change nothing, and the indexer reads the participant's values as they are when it
-- gets there.
CREATE TABLE search_backlog (
    first_id INTEGER PRIMARY KEY,
    last_id INTEGER NOT NULL,
    CHECK (last_id >= first_id)
) STRICT;
