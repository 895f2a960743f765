-- 0002_schedules.sql: what the scheduler inside `pantau serve` remembers between restarts.

-- The last trigger handled per `[schedules]` entry (run, or skipped because a run was still
-- going), as the trigger's own instant in UTC RFC 3339. At start, a schedule with a trigger
-- after this and before now missed a run while the server was down, and is run once. A
-- schedule with no row was never seen before and has missed nothing; a row whose name left
-- the configuration is ignored and kept, in case the name comes back.
CREATE TABLE schedule_state (
    name TEXT PRIMARY KEY,
    last_fired_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;
