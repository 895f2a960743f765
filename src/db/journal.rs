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

use rusqlite::{Connection, ErrorCode};

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
        let people: i64 = other
            .query_row("SELECT count(*) FROM participants", [], |row| row.get(0))
            .unwrap();
        assert_eq!(people, 1);
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
        let people = |c: &Connection| -> i64 {
            c.query_row("SELECT count(*) FROM participants", [], |row| row.get(0))
                .unwrap()
        };
        assert_eq!(people(&late), 0, "reads what was committed");
        conn.execute_batch("COMMIT").unwrap();
        back_to_wal(&conn);
        assert_eq!(mode(&conn), "wal");
        assert_eq!(people(&late), 1);
        assert_eq!(mode(&late), "wal");
    }

    #[test]
    fn an_in_memory_database_is_left_alone() {
        let conn = super::super::open_in_memory().unwrap();
        assert!(!leave_wal(&conn).unwrap());
        assert_eq!(mode(&conn), "memory");
    }
}
