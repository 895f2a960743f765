//! One large write committed through a rollback journal instead of the WAL, when nothing else
//! has the database open: a first roster import into an empty programme.
//!
//! In WAL mode a commit appends every changed page to the log, with a checksum over each, and a
//! checkpoint then copies them all again into the database file. For the survey server's small
//! commits that is the right trade (readers never wait for the writer). For a first import of a
//! million rows it is 640 MB written twice: 1.6 s of the commit and 0.4–0.7 s of checkpoint,
//! all on one core after the rows are stored (`benches/roster_import.rs`). With a rollback
//! journal the commit writes the pages into the file once, and the journal holds only the few
//! pages an empty programme had before; atomicity and durability are SQLite's as in any
//! rollback-journal database (`synchronous = FULL` still syncs the journal and the file, and a
//! crash leaves a hot journal that the next connection rolls back before reading).
//!
//! SQLite refuses to leave WAL mode while another connection has the file open (the switch
//! needs an exclusive lock, which a WAL connection's shared lock blocks, and fails at once
//! instead of waiting): then [`leave_wal`] changes nothing and the import commits through the
//! WAL as every other write does. So a server that was running keeps its WAL and its readers
//! never wait. A connection opened while the journal is in use (a server started during the
//! import) waits its busy timeout for the switch back to WAL, then works in rollback mode
//! ([`super::configure`]); every connection follows the file back to WAL once the writer
//! switches it ([`back_to_wal`]), since SQLite reads the mode from the file's header at each
//! transaction.
//!
//! Through a rollback journal, pages need not wait in memory for the commit either. When the
//! page cache is full, SQLite writes ("spills") pages to their place in the database file
//! before the commit, once the journal holding the originals of the pages that existed is
//! synced; a crash before the commit leaves that journal hot, and the next connection puts the
//! originals back and cuts the file to its old length. A new page is so written once, as the
//! commit would have written it, and the cache stays small ([`SPILLING_CACHE_KIB`]): a cache
//! sized to a million-row import was 640 MB of fresh memory for the kernel to zero, a second of
//! CPU, for nothing. The commit's wait for the disk can go too: [`write_back`] writes what the
//! cache still holds and has the disk take the file on another thread while the import builds
//! its indexes, so that the commit's own sync finds little left to do. From its first
//! written page the import holds the file's exclusive lock, so no other connection reads
//! until it ends: [`super::open`] waits up to [`super::OPEN_BUSY_TIMEOUT`] for it, and a
//! connection already open waits its busy timeout at each read.

use std::marker::PhantomData;
use std::thread::JoinHandle;

use rusqlite::{Connection, ErrorCode};

/// The page cache, in KiB, of a large write through a rollback journal: big enough that the
/// pages written again and again (the B-trees' interior pages and the last leaf of each) stay
/// in memory, small next to an import's hundreds of megabytes. Alternating runs of a
/// million-row first import: 16, 64 and 256 MiB within the noise of each other, against a
/// second more for a cache holding every page.
pub const SPILLING_CACHE_KIB: i64 = 64 * 1024;

/// Whether `conn`'s database writes through a rollback journal to a file: the mode
/// [`leave_wal`] sets, or a database that never was in WAL mode.
pub fn is_rollback_journal(conn: &Connection) -> rusqlite::Result<bool> {
    let mode: String = conn.pragma_query_value(None, "journal_mode", |row| row.get(0))?;
    let file = conn.path().is_some_and(|path| !path.is_empty());
    Ok(file && ["delete", "truncate", "persist"].contains(&mode.to_ascii_lowercase().as_str()))
}

/// Switches `conn`'s database from WAL to a rollback journal (`DELETE`); call it outside any
/// transaction, and [`back_to_wal`] once the write is committed or rolled back. False, with
/// nothing changed, when the database is not in WAL mode (an in-memory one) or another
/// connection has it open.
pub fn leave_wal(conn: &Connection) -> rusqlite::Result<bool> {
    let mode: String = conn.pragma_query_value(None, "journal_mode", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Ok(false);
    }
    match conn.pragma_update_and_check(None, "journal_mode", "DELETE", |row| {
        row.get::<_, String>(0)
    }) {
        Ok(mode) => Ok(mode.eq_ignore_ascii_case("delete")),
        // Another connection holds the file open in WAL mode.
        Err(rusqlite::Error::SqliteFailure(err, _))
            if matches!(
                err.code,
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked
            ) =>
        {
            Ok(false)
        }
        Err(err) => Err(err),
    }
}

/// Switches the database back to WAL after [`leave_wal`], outside any transaction. A failure
/// is logged, not returned: the write it followed is committed, and the next connection opened
/// switches the file ([`super::configure`]); until then readers and the writer take turns,
/// which is correct, only slower.
pub fn back_to_wal(conn: &Connection) {
    match super::enable_wal(conn) {
        Ok(mode) if mode.eq_ignore_ascii_case("wal") => {}
        Ok(mode) => tracing::warn!(journal_mode = %mode, "the database stayed out of WAL mode"),
        Err(err) => {
            tracing::warn!(error = %err, "the database could not switch back to WAL mode");
        }
    }
}

/// The database file being synced to disk on another thread, after [`write_back`] wrote the
/// transaction's pages into it. Wait for it with [`WriteBack::wait`] before the commit; it
/// cannot outlive the connection whose file it syncs.
#[derive(Debug)]
#[must_use = "a failed sync must fail the transaction: wait for it before the commit"]
pub struct WriteBack<'c> {
    sync: Option<JoinHandle<std::io::Result<()>>>,
    connection: PhantomData<&'c Connection>,
}

/// Inside a write transaction on `conn` through a rollback journal ([`is_rollback_journal`]):
/// writes the pages the transaction changed into the database file, and starts syncing the file
/// to disk on another thread. `None`, with nothing done, for a database in WAL mode or in
/// memory, and where the file's descriptors cannot be found (on systems other than Linux):
/// the commit then writes and syncs everything itself, as it always can.
///
/// The sync goes through SQLite's own file descriptors (found in `/proc/self/fd`), which are
/// never closed here: closing any descriptor of the file would drop every lock the process
/// holds on it. And its failure must fail the transaction ([`WriteBack::wait`]): Linux reports
/// a failed write-back once per open file, so after this sync consumed the error, the commit's
/// own sync on the same descriptor would succeed over pages that never reached the disk.
pub fn write_back(conn: &Connection) -> rusqlite::Result<Option<WriteBack<'_>>> {
    if !is_rollback_journal(conn)? {
        return Ok(None);
    }
    let descriptors = database_descriptors(conn);
    if descriptors.is_empty() {
        return Ok(None);
    }
    match conn.cache_flush() {
        Ok(()) => {}
        // A reader kept its lock past the busy timeout: the commit writes the pages instead,
        // waiting for the lock again.
        Err(rusqlite::Error::SqliteFailure(err, _)) if err.code == ErrorCode::DatabaseBusy => {
            return Ok(None);
        }
        Err(err) => return Err(err),
    }
    // Without a thread (none can be started), the commit syncs what was written.
    let sync = std::thread::Builder::new()
        .name("pantau-write-back".to_owned())
        .spawn(move || sync_descriptors(&descriptors))
        .ok();
    Ok(sync.map(|sync| WriteBack {
        sync: Some(sync),
        connection: PhantomData,
    }))
}

impl WriteBack<'_> {
    /// Waits until the file is on disk; an error means pages written may not be, and the
    /// transaction must roll back.
    pub fn wait(mut self) -> std::io::Result<()> {
        match self.sync.take().map(JoinHandle::join) {
            Some(Ok(synced)) => synced,
            Some(Err(_)) => Err(std::io::Error::other("syncing the database file failed")),
            None => Ok(()),
        }
    }
}

impl Drop for WriteBack<'_> {
    /// Not waited for (the transaction failed first): the sync still ends before the
    /// connection can close its file.
    fn drop(&mut self) {
        if let Some(sync) = self.sync.take() {
            let _ = sync.join();
        }
    }
}

/// `errno` for a descriptor that is not open (Linux): the connection closed it, so there is
/// nothing of it left to sync.
const EBADF: i32 = 9;

fn sync_descriptors(descriptors: &[i32]) -> std::io::Result<()> {
    use std::os::fd::FromRawFd;
    for &fd in descriptors {
        // SAFETY: `fd` was open on the database file when it was found. pantau opens the file
        // only through SQLite, which keeps its descriptors open while its connections live
        // (and while the process holds locks on the file); the `WriteBack` waiting for this
        // thread borrows the connection. Were the number closed and reused meanwhile, the
        // `fdatasync` would fail (EBADF, ignored) or sync another file of the process. The `File`
        // is never dropped, so the descriptor is never closed here (closing it would release
        // SQLite's locks on the file); the only call on it is `fdatasync`.
        let file = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(fd) });
        match file.sync_data() {
            Err(err) if err.raw_os_error() != Some(EBADF) => return Err(err),
            _ => {}
        }
    }
    Ok(())
}

/// The descriptors this process holds on `conn`'s database file, by device and inode.
#[cfg(target_os = "linux")]
fn database_descriptors(conn: &Connection) -> Vec<i32> {
    use std::os::unix::fs::MetadataExt;
    let Some(file) = conn
        .path()
        .filter(|path| !path.is_empty())
        .and_then(|path| std::fs::metadata(path).ok())
    else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let fd: i32 = entry.file_name().to_str()?.parse().ok()?;
            // Follows the link: the open file itself.
            let open = std::fs::metadata(entry.path()).ok()?;
            (open.is_file() && open.dev() == file.dev() && open.ino() == file.ino()).then_some(fd)
        })
        .collect()
}

#[cfg(not(target_os = "linux"))]
fn database_descriptors(_conn: &Connection) -> Vec<i32> {
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(conn: &Connection) -> String {
        conn.pragma_query_value(None, "journal_mode", |row| row.get(0))
            .unwrap()
    }

    #[test]
    fn alone_the_file_leaves_wal_and_comes_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pantau.db");
        let conn = super::super::open(&path).unwrap();
        assert_eq!(mode(&conn), "wal");
        assert!(leave_wal(&conn).unwrap());
        assert_eq!(mode(&conn), "delete");
        assert!(!dir.path().join("pantau.db-wal").exists());
        conn.execute_batch(
            "BEGIN IMMEDIATE;
             INSERT INTO participants (participant_key, pseudonym, created_at)
             VALUES ('id:1', 'P-1', 'now');
             COMMIT;",
        )
        .unwrap();
        back_to_wal(&conn);
        assert_eq!(mode(&conn), "wal");
        // What was committed meanwhile is in the file, seen by a new connection.
        let other = super::super::open(&path).unwrap();
        assert_eq!(count(&other), 1);
        assert_eq!(mode(&other), "wal");
    }

    #[test]
    fn with_another_connection_open_nothing_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pantau.db");
        let conn = super::super::open(&path).unwrap();
        let other = super::super::open(&path).unwrap();
        // The other connection has read: it holds the file open in WAL mode.
        let _: i64 = other
            .query_row("SELECT count(*) FROM participants", [], |row| row.get(0))
            .unwrap();
        assert!(!leave_wal(&conn).unwrap());
        assert_eq!(mode(&conn), "wal");
        assert_eq!(mode(&other), "wal");
        drop(other);
        assert!(leave_wal(&conn).unwrap());
    }

    #[test]
    fn a_connection_opened_meanwhile_works_and_follows_the_file_back_to_wal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pantau.db");
        let conn = super::super::open(&path).unwrap();
        assert!(leave_wal(&conn).unwrap());
        conn.execute_batch(
            "BEGIN IMMEDIATE;
             INSERT INTO participants (participant_key, pseudonym, created_at)
             VALUES ('id:1', 'P-1', 'now');",
        )
        .unwrap();
        // Opened while the import holds the write lock: the switch to WAL cannot happen.
        let late = Connection::open(&path).unwrap();
        let mode_in_effect =
            super::super::enable_wal_within(&late, std::time::Duration::from_millis(50)).unwrap();
        assert_eq!(mode_in_effect, "delete");
        assert_eq!(count(&late), 0, "reads what was committed");
        conn.execute_batch("COMMIT").unwrap();
        back_to_wal(&conn);
        assert_eq!(mode(&conn), "wal");
        assert_eq!(count(&late), 1);
        assert_eq!(mode(&late), "wal");
    }

    #[test]
    fn an_in_memory_database_is_left_alone() {
        let conn = super::super::open_in_memory().unwrap();
        assert!(!leave_wal(&conn).unwrap());
        assert_eq!(mode(&conn), "memory");
    }

    /// Adds `people` participants with long keys (about 200 bytes a row), inside the caller's
    /// transaction.
    fn add_people(conn: &Connection, from: i64, people: i64) {
        conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
             INSERT INTO participants (participant_key, pseudonym, created_at)
             SELECT 'id:' || i || '-' || printf('%.180c', 'x'), 'P-' || i, 'now' FROM n",
            [from, from + people - 1],
        )
        .unwrap();
    }

    fn count(conn: &Connection) -> i64 {
        conn.query_row("SELECT count(*) FROM participants", [], |row| row.get(0))
            .unwrap()
    }

    fn integrity(conn: &Connection) -> String {
        conn.query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .unwrap()
    }

    /// A rollback-journal transaction larger than its cache, as a first import is.
    fn large_transaction(path: &std::path::Path) -> Connection {
        let conn = super::super::open(path).unwrap();
        add_people(&conn, 1, 10);
        assert!(leave_wal(&conn).unwrap());
        assert!(is_rollback_journal(&conn).unwrap());
        conn.pragma_update(None, "cache_size", -1024).unwrap();
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        add_people(&conn, 11, 30_000);
        conn
    }

    #[test]
    fn written_back_pages_are_in_the_file_before_the_commit_and_the_commit_keeps_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pantau.db");
        let conn = large_transaction(&path);
        let before = std::fs::metadata(&path).unwrap().len();
        let written = write_back(&conn)
            .unwrap()
            .expect("a file in rollback-journal mode");
        written.wait().unwrap();
        // The pages still in the cache went to the file too.
        assert!(std::fs::metadata(&path).unwrap().len() > before);
        conn.execute_batch("COMMIT").unwrap();
        back_to_wal(&conn);
        let other = super::super::open(&path).unwrap();
        assert_eq!(count(&other), 30_010);
        assert_eq!(integrity(&other), "ok");
    }

    #[test]
    fn a_rolled_back_transaction_leaves_the_file_as_it_was_after_a_write_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pantau.db");
        let conn = large_transaction(&path);
        write_back(&conn).unwrap().unwrap().wait().unwrap();
        conn.execute_batch("ROLLBACK").unwrap();
        assert_eq!(count(&conn), 10);
        back_to_wal(&conn);
        drop(conn);
        let other = super::super::open(&path).unwrap();
        assert_eq!(count(&other), 10);
    }

    /// What a crash (`kill -9`, a power cut after the syncs) leaves: the file with the
    /// transaction's pages written back into it, and the journal. The next connection rolls it
    /// back.
    #[test]
    fn a_crash_after_a_write_back_leaves_the_database_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pantau.db");
        let conn = large_transaction(&path);
        let before = std::fs::metadata(&path).unwrap().len();
        write_back(&conn).unwrap().unwrap().wait().unwrap();
        // The files as they are on disk now, copied beside them. (Copying opens and closes
        // the file, which drops this process's locks on it; nothing else uses it here.)
        let crashed = dir.path().join("crashed.db");
        std::fs::copy(&path, &crashed).unwrap();
        std::fs::copy(
            dir.path().join("pantau.db-journal"),
            dir.path().join("crashed.db-journal"),
        )
        .unwrap();
        assert!(std::fs::metadata(&crashed).unwrap().len() > before);
        drop(conn);
        let after = super::super::open(&crashed).unwrap();
        assert_eq!(count(&after), 10);
        assert!(!dir.path().join("crashed.db-journal").exists());
        assert_eq!(integrity(&after), "ok");
        assert_eq!(mode(&after), "wal");
    }

    #[test]
    fn a_reader_holding_its_lock_leaves_the_writing_to_the_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pantau.db");
        let conn = super::super::open(&path).unwrap();
        assert!(leave_wal(&conn).unwrap());
        conn.busy_timeout(std::time::Duration::from_millis(50))
            .unwrap();
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        add_people(&conn, 1, 100);
        // A reader in the middle of its transaction holds the file's shared lock, which the
        // writing of pages must wait for.
        let reader = Connection::open(&path).unwrap();
        reader.execute_batch("BEGIN").unwrap();
        assert_eq!(count(&reader), 0);
        assert!(write_back(&conn).unwrap().is_none());
        reader.execute_batch("COMMIT").unwrap();
        conn.execute_batch("COMMIT").unwrap();
        assert_eq!(count(&reader), 100);
    }

    #[test]
    fn nothing_is_written_back_in_wal_mode_or_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let conn = super::super::open(&dir.path().join("pantau.db")).unwrap();
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        add_people(&conn, 1, 100);
        assert!(!is_rollback_journal(&conn).unwrap());
        assert!(write_back(&conn).unwrap().is_none());
        conn.execute_batch("COMMIT").unwrap();
        let memory = super::super::open_in_memory().unwrap();
        assert!(!is_rollback_journal(&memory).unwrap());
        assert!(write_back(&memory).unwrap().is_none());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_database_files_descriptors_are_found_and_only_those() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pantau.db");
        let conn = super::super::open(&path).unwrap();
        let _other_file = std::fs::File::create(dir.path().join("other")).unwrap();
        let found = database_descriptors(&conn);
        assert!(!found.is_empty());
        use std::os::unix::fs::MetadataExt;
        let file = std::fs::metadata(&path).unwrap();
        for fd in found {
            let open = std::fs::metadata(format!("/proc/self/fd/{fd}")).unwrap();
            assert_eq!((open.dev(), open.ino()), (file.dev(), file.ino()));
        }
        assert!(sync_descriptors(&database_descriptors(&conn)).is_ok());
    }
}
