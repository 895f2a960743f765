-- 0008_job_cache.sql: merged records kept between runs of the job.
--
-- Why: every run rebuilt every participant's merged record (roster values decoded, derived
-- attributes, the baseline's answers) and every response's answers from JSON, although an
-- incremental run changes a few hundred of them. An entry holds a record as the job built it
-- (pipeline::cache's compact encoding) with a fingerprint of everything it was built from:
-- the participant row's values, the response's answers, and a hash of the configuration,
-- reference data, forms and the cache format. A run reuses an entry only when the fingerprint
-- of the current inputs is the same; otherwise it builds the record and replaces the entry.
-- Nothing in here is a source of truth: deleting every row only makes the next run slower.
CREATE TABLE job_cache (
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    -- '' for the participant's roster record, else the wave whose answers the entry holds.
    wave TEXT NOT NULL,
    fingerprint BLOB NOT NULL,
    record BLOB NOT NULL,
    PRIMARY KEY (participant_id, wave)
) STRICT, WITHOUT ROWID;
