//! The SQLite database: opening a connection with pantau's pragmas and bringing the schema up to
//! date.
//!
//! The schema lives in `src/db/migrations/`, one SQL file per step, applied in order by
//! rusqlite_migration, which records the step reached in SQLite's `user_version`. A released
//! migration is never edited: a change is a new file appended to [`MIGRATIONS`]. Pragmas are
//! per connection and set by [`configure`], never in a migration, because SQLite forgets most of
//! them when the connection closes.
//!
//! Many connections may use one file at once (the web server's workers, the scheduled job, a
//! `pantau run` from the command line): WAL lets readers proceed while one writer writes, and
//! the busy timeout makes a second writer wait for the first instead of failing.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use rusqlite::{Connection, TransactionBehavior};
use rusqlite_migration::{M, Migrations};

pub mod journal;
#[cfg(test)]
mod tests;

/// The schema steps, in order. Append; never edit or reorder a released step.
const MIGRATIONS: &[M<'static>] = &[
    M::up(include_str!("migrations/0001_initial.sql")),
    M::up(include_str!("migrations/0002_schedules.sql")),
    M::up(include_str!("migrations/0003_email.sql")),
    M::up(include_str!("migrations/0004_participant_rows.sql")),
    M::up(include_str!("migrations/0005_dashboard.sql")),
    M::up(include_str!("migrations/0006_search.sql")),
    M::up(include_str!("migrations/0007_funnel.sql")),
    M::up(include_str!("migrations/0008_job_cache.sql")),
    M::up(include_str!("migrations/0009_search_triggers.sql")),
    M::up(include_str!("migrations/0010_search_grams.sql")),
    M::up(include_str!("migrations/0011_submission_path.sql")),
    M::up(include_str!("migrations/0012_import_columns.sql")),
    // Rebuilds `participants`: foreign keys must be off (see `migrate`), and are checked.
    M::up(include_str!("migrations/0013_participant_keys.sql")).foreign_key_check(),
    M::up(include_str!("migrations/0014_job_cache_names.sql")),
    M::up(include_str!("migrations/0015_search_backlog.sql")),
    M::up(include_str!("migrations/0016_no_email_index.sql")),
    M::up(include_str!(
        "migrations/0017_lookup_columns_on_participants.sql"
    )),
];

/// How long a connection waits for another connection's write lock before giving up with
/// `SQLITE_BUSY`. Writes are short (one submission, one batch of an import), so 5 seconds covers
/// a burst of submissions after a WhatsApp broadcast.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How long [`open`] waits for a database another connection holds locked: as long as a first
/// import of several million rows writes through a rollback journal (`journal`).
pub const OPEN_BUSY_TIMEOUT: Duration = Duration::from_secs(120);

/// How many schema steps there are: the `user_version` of a database that is up to date.
pub const MIGRATION_COUNT: i64 = MIGRATIONS.len() as i64;

/// The schema migrations, for [`open`] and for tests that check them.
pub fn migrations() -> Migrations<'static> {
    Migrations::from_slice(MIGRATIONS)
}

/// Turns off SQLite's memory statistics for this process: with them on, every allocation
/// SQLite makes (page cache, statements) takes one process-wide mutex, which the web server's
/// threads contend for. pantau never reads the statistics.
///
/// Call it first thing in a long-running process (`pantau serve`), before any connection is
/// opened and before other threads start: SQLite allows changing its configuration only before
/// it initialises, and only while no other thread uses it. Called later, SQLite refuses the
/// change (`SQLITE_MISUSE`) and nothing happens; so it is harmless, but pointless, elsewhere.
pub fn tune_for_server() {
    // SAFETY: `sqlite3_config` with `SQLITE_CONFIG_MEMSTATUS` takes one int argument. The
    // caller guarantees (see above) no other thread is using SQLite; after initialisation the
    // call only returns an error code, ignored here.
    unsafe {
        rusqlite::ffi::sqlite3_config(rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS, 0 as std::ffi::c_int);
    }
}

/// Opens (creating it and its folder if needed) the database at `path`, sets the pragmas and
/// applies pending migrations.
pub fn open(path: &Path) -> anyhow::Result<Connection> {
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create the database folder {}", parent.display()))?;
    }
    let mut conn = Connection::open(path)
        .with_context(|| format!("cannot open the database {}", path.display()))?;
    // A first import in another process may hold the file's exclusive lock for as long as it
    // writes (`journal`): a server or a job started meanwhile waits for it rather than fail.
    let started = std::time::Instant::now();
    loop {
        match configure(&conn) {
            Err(rusqlite::Error::SqliteFailure(err, _))
                if err.code == rusqlite::ErrorCode::DatabaseBusy
                    && started.elapsed() < OPEN_BUSY_TIMEOUT =>
            {
                std::thread::sleep(Duration::from_millis(100));
            }
            configured => {
                configured.with_context(|| {
                    format!(
                        "cannot set up the database connection to {}",
                        path.display()
                    )
                })?;
                break;
            }
        }
    }
    conn.busy_timeout(OPEN_BUSY_TIMEOUT)?;
    let migrated = migrate(&mut conn);
    conn.busy_timeout(BUSY_TIMEOUT)?;
    migrated.with_context(|| format!("cannot bring the database {} up to date", path.display()))?;
    Ok(conn)
}

/// Opens a fresh in-memory database with the pragmas and the whole schema, for tests.
pub fn open_in_memory() -> anyhow::Result<Connection> {
    let mut conn = Connection::open_in_memory().context("cannot open an in-memory database")?;
    configure(&conn).context("cannot set up the in-memory database connection")?;
    migrate(&mut conn).context("cannot create the schema in the in-memory database")?;
    Ok(conn)
}

/// Sets pantau's per-connection pragmas. Call on every new connection, including ones a pool
/// opens.
pub fn configure(conn: &Connection) -> rusqlite::Result<()> {
    // First, so that switching the journal mode below also waits for a busy database.
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Before the switch to WAL below, which writes a new file's first page: the page size is
    // fixed from then on, and SQLite ignores the pragma for an existing database.
    conn.pragma_update(None, "page_size", PAGE_SIZE)?;
    // WAL: readers (dashboards, the report job) never block writers (survey submissions) and
    // the reverse. The mode is stored in the file; an in-memory database answers "memory".
    let mode = enable_wal(conn)?;
    if !mode.eq_ignore_ascii_case("wal") && !mode.eq_ignore_ascii_case("memory") {
        // Some network file systems cannot share memory for WAL; pantau still works, with
        // readers and writers blocking each other.
        tracing::warn!(journal_mode = %mode, "the database could not switch to WAL mode");
    }
    // SQLite leaves foreign keys off unless asked, per connection.
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // FULL, not the NORMAL usually paired with WAL: NORMAL may lose the last transactions on
    // power loss, and a participant who saw "your answers were received" on a cheap phone
    // cannot be asked again. The cost is one fsync per commit, small next to network time.
    conn.pragma_update(None, "synchronous", "FULL")?;
    // Read database pages through a memory map instead of copying them into each connection's
    // page cache. Every commit (a group of survey submissions, several a second under load)
    // makes every other connection discard its page cache at its next read; with the map, the
    // pages it reads again are already in memory, shared by all connections of the process.
    // Only reads go through the map (pages are still written with write(2) and fsync'd), so
    // durability is unchanged. In-memory databases ignore it.
    conn.pragma_update(None, "mmap_size", MMAP_SIZE)?;
    Ok(())
}

/// Turns the memory map of [`configure`] off on a connection of the survey server.
///
/// In WAL mode SQLite drops a connection's whole map (`munmap`) whenever it begins a read
/// after another connection committed (`pagerBeginReadTransaction`), and maps it again page by
/// page (a page fault each). The survey server commits a group of submissions a few hundred
/// times a second, so its reading connections paid an `munmap` (a TLB shootdown across the
/// process's threads) and a dozen page faults per request: 10 % of the server's CPU in the
/// submissions phase of `benches/survey_load.rs`. Reading with `pread` into the connection's
/// page cache costs less there; the pages come from the kernel's page cache either way.
pub fn configure_for_server(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "mmap_size", 0)
}

/// Bytes per database page in a new database file: 16 KiB rather than SQLite's 4 KiB.
///
/// What an import or the job writes and reads, a million participants' rows and answers, goes
/// to and from the file a page per system call: at 4 KiB, a first import of a million rows
/// committed 170,000 pages to the log and copied them again into the file at the checkpoint,
/// 2.4 s of its 18; at 16 KiB a quarter of the calls, 1.6 s, and its B-trees a quarter of the
/// pages to split and balance (the import 16.2 s instead of 17.5 with all else equal;
/// `benches/roster_import.rs`). The price is in the survey server's small commits: each
/// page a submission changes is logged whole, so the log grows about 2.5 times faster; at
/// 5,000 submissions a second its latency stayed the same (p99 10.4 ms against 11.2 ms,
/// `benches/survey_load.rs`). A database created with 4 KiB pages keeps them.
const PAGE_SIZE: i64 = 16384;

/// Bytes of the database file a connection maps into memory: address space, not memory; the
/// kernel pages in what is read and can drop it again.
const MMAP_SIZE: i64 = 1 << 30;

/// Switches the file to WAL unless it already is, and returns the journal mode in effect.
///
/// Switching takes an exclusive lock, and SQLite answers `SQLITE_BUSY` at once rather than
/// through the busy handler when another connection is opening the same new file; so the switch
/// is retried here, within the same [`BUSY_TIMEOUT`]. Once a file is in WAL mode this is a
/// single read.
fn enable_wal(conn: &Connection) -> rusqlite::Result<String> {
    enable_wal_within(conn, BUSY_TIMEOUT)
}

/// [`enable_wal`], retrying for `patience`. A file still busy after that is being written
/// through a rollback journal by another connection ([`journal::leave_wal`], a first
/// import): this connection then works in the file's current mode, and follows the file back to
/// WAL when the writer switches it (SQLite reads the mode from the file at each transaction).
fn enable_wal_within(conn: &Connection, patience: Duration) -> rusqlite::Result<String> {
    let current = || conn.pragma_query_value(None, "journal_mode", |row| row.get::<_, String>(0));
    let mode = current()?;
    if mode.eq_ignore_ascii_case("wal") {
        return Ok(mode);
    }
    let started = std::time::Instant::now();
    loop {
        match conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0)) {
            Err(rusqlite::Error::SqliteFailure(err, _))
                if err.code == rusqlite::ErrorCode::DatabaseBusy =>
            {
                if started.elapsed() >= patience {
                    return current();
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            result => return result,
        }
    }
}

/// Applies pending migrations.
fn migrate(conn: &mut Connection) -> anyhow::Result<()> {
    // Two processes opening a new database at once (the server and a cron `pantau run`) both
    // see it unmigrated. With IMMEDIATE transactions the second waits for the first's write
    // lock rather than failing; its own attempt then fails on the tables the first created, and
    // the retry finds the schema current and does nothing. Deferred is restored afterwards so
    // that long read transactions (a report) do not hold the write lock.
    conn.set_transaction_behavior(TransactionBehavior::Immediate);
    // Foreign keys off while the steps run: a step that rebuilds a table others reference
    // (0013) drops the old one, which with foreign keys on would delete the rows referring to
    // it (ON DELETE CASCADE). SQLite ignores this pragma inside a transaction, so it is set
    // here, around the steps; such a step checks the keys before it commits instead
    // (`M::foreign_key_check`). Set back whatever happened.
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    let migrations = migrations();
    let result = migrations
        .to_latest(conn)
        .or_else(|first| migrations.to_latest(conn).map_err(|_| first));
    conn.set_transaction_behavior(TransactionBehavior::Deferred);
    conn.pragma_update(None, "foreign_keys", "ON")?;
    result.context("a schema migration failed")
}
