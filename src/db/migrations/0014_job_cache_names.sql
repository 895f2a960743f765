-- 0014_job_cache_names.sql: the job cache's value names, stored once.
--
-- Why: every job-cache entry spelt out the name of each of its values (at 100,000
-- participants, 330,000 entries of about 40 values, 237 MB, most of it names), and writing
-- them was a fifth of a first run. Entries now refer to a name by its number here
-- (pipeline::cache's format 2). A number is given once and never reused for another name:
-- names are only added, in the transaction that writes the first entries using them, and a
-- run that finds this table empty clears job_cache before it writes (an entry's numbers mean
-- nothing without the names they were given with). An entry naming a number that is not here
-- is a miss, never a misread record.
CREATE TABLE job_cache_names (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
) STRICT;

-- Entries of format 1 spelt out their names; none of them would be read again (the format is
-- part of every fingerprint), so they go now instead of lingering until rebuilt.
DELETE FROM job_cache;
