//! The database on a real file: pragmas in effect, migrations idempotent, and several
//! connections (as the server, the job and a command-line run would hold) sharing one file.

use std::sync::{Arc, Barrier, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use rusqlite::{Connection, TransactionBehavior};

const AT: &str = "2025-03-01T02:00:00Z";

fn pragma_text(conn: &Connection, name: &str) -> String {
    conn.pragma_query_value(None, name, |row| row.get::<_, rusqlite::types::Value>(0))
        .map(|value| match value {
            rusqlite::types::Value::Integer(number) => number.to_string(),
            rusqlite::types::Value::Text(text) => text,
            other => format!("{other:?}"),
        })
        .unwrap()
}

fn user_version(conn: &Connection) -> i64 {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap()
}

fn count(conn: &Connection, table: &str) -> i64 {
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
        row.get(0)
    })
    .unwrap()
}

fn add_user(conn: &Connection, name: &str) -> rusqlite::Result<usize> {
    conn.execute(
        "INSERT INTO users (username, password_hash, role, created_at)
         VALUES (?1, 'x', 'viewer', ?2)",
        [name, AT],
    )
}

#[test]
fn opening_a_file_applies_the_schema_and_the_pragmas() {
    let dir = tempfile::tempdir().unwrap();
    // The folder does not exist yet: a `database = "data/pantau.db"` setting should just work.
    let path = dir.path().join("data").join("pantau.db");
    let conn = pantau::db::open(&path).unwrap();

    assert_eq!(pragma_text(&conn, "journal_mode"), "wal");
    assert_eq!(pragma_text(&conn, "foreign_keys"), "1");
    assert_eq!(pragma_text(&conn, "busy_timeout"), "5000");
    // 2 = FULL.
    assert_eq!(pragma_text(&conn, "synchronous"), "2");
    assert_eq!(user_version(&conn), pantau::db::MIGRATION_COUNT);
    assert_eq!(count(&conn, "job_lock"), 1);
}

#[test]
fn opening_twice_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pantau.db");
    let first = pantau::db::open(&path).unwrap();
    add_user(&first, "sari").unwrap();
    drop(first);

    let second = pantau::db::open(&path).unwrap();
    assert_eq!(user_version(&second), pantau::db::MIGRATION_COUNT);
    assert_eq!(count(&second, "users"), 1);
    // The seeded job lock row was not inserted again.
    assert_eq!(count(&second, "job_lock"), 1);
}

#[test]
fn a_second_connection_reads_during_a_write_and_writes_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pantau.db");
    let mut writer = pantau::db::open(&path).unwrap();
    let reader = pantau::db::open(&path).unwrap();

    let tx = writer
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .unwrap();
    add_user(&tx, "first").unwrap();

    let (started, waiting) = mpsc::channel();
    let other = thread::spawn(move || {
        // WAL: reading does not wait for the writer, and sees only committed data.
        assert_eq!(count(&reader, "users"), 0);
        started.send(()).unwrap();
        // Writing waits for the write lock (busy timeout) instead of failing.
        let asked = Instant::now();
        add_user(&reader, "second").unwrap();
        (reader, asked.elapsed())
    });

    waiting.recv().unwrap();
    thread::sleep(Duration::from_millis(300));
    tx.commit().unwrap();
    let (reader, waited) = other.join().unwrap();

    assert!(
        waited >= Duration::from_millis(200),
        "waited only {waited:?}"
    );
    assert!(waited < pantau::db::BUSY_TIMEOUT, "waited {waited:?}");
    assert_eq!(count(&reader, "users"), 2);
    assert_eq!(count(&writer, "users"), 2);
}

#[test]
fn connections_opening_a_new_file_at_once_all_succeed() {
    // The server and a cron `pantau run` may both find a new database unmigrated.
    let dir = tempfile::tempdir().unwrap();
    let path = Arc::new(dir.path().join("pantau.db"));
    let start = Arc::new(Barrier::new(4));
    let openers: Vec<_> = (0..4)
        .map(|_| {
            let path = Arc::clone(&path);
            let start = Arc::clone(&start);
            thread::spawn(move || {
                start.wait();
                pantau::db::open(&path).map(|conn| user_version(&conn))
            })
        })
        .collect();
    for opener in openers {
        let version = opener.join().unwrap().unwrap();
        assert_eq!(version, pantau::db::MIGRATION_COUNT);
    }
}

#[test]
fn a_database_from_a_newer_pantau_is_refused_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pantau.db");
    let conn = pantau::db::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);

    let err = pantau::db::open(&path).unwrap_err();
    let shown = format!("{err:#}");
    assert!(shown.contains("pantau.db"), "{shown}");
}

#[test]
fn migration_0006_indexes_the_participants_already_there() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pantau.db");
    {
        let mut conn = Connection::open(&path).unwrap();
        pantau::db::migrations().to_version(&mut conn, 5).unwrap();
        conn.execute(
            "INSERT INTO participants (participant_key, pseudonym, created_at)
             VALUES ('nik:3174052208770009', 'P-1', '2025-01-01T00:00:00Z')",
            [],
        )
        .unwrap();
        let id = conn.last_insert_rowid();
        pantau::participants::attributes::set_values(
            &conn,
            id,
            &[("name", "Dewi Lestari"), ("nik", "3174052208770009")],
            None,
            "2025-01-01T00:00:00Z",
        )
        .unwrap();
    }
    let conn = pantau::db::open(&path).unwrap();
    let found: i64 = conn
        .query_row(
            "SELECT count(*) FROM participant_search_text WHERE participant_search_text MATCH ?1",
            ["nik : \"220877\" OR name : \"lestar\""],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(found, 1, "the participant from before 0006 is in the index");
}

#[test]
fn migration_0010_indexes_the_names_already_there() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pantau.db");
    // The step before 0010: migrations 0001 to 0009.
    let before = 9;
    {
        let mut conn = Connection::open(&path).unwrap();
        pantau::db::migrations()
            .to_version(&mut conn, before)
            .unwrap();
        for (key, name) in [("nik:3174052208770009", "Dewi Lestari"), ("nik:1", "Ñoño")] {
            conn.execute(
                "INSERT INTO participants (participant_key, pseudonym, created_at)
                 VALUES (?1, ?1, '2025-01-01T00:00:00Z')",
                [key],
            )
            .unwrap();
            let id = conn.last_insert_rowid();
            pantau::participants::attributes::set_values(
                &conn,
                id,
                &[("name", name)],
                None,
                "2025-01-01T00:00:00Z",
            )
            .unwrap();
        }
    }
    let conn = pantau::db::open(&path).unwrap();
    let found = |token: &str| -> Vec<i64> {
        conn.prepare(
            "SELECT rowid FROM participant_search_grams WHERE participant_search_grams MATCH ?1
             ORDER BY rowid",
        )
        .unwrap()
        .query_map([format!("\"{token}\"")], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    };
    // Tokens are the pieces' bytes in hexadecimal: "le" and "e" are in Dewi Lestari only, "o"
    // and both "ñ" and "Ñ" (letters outside ASCII are kept as written) in Ñoño only.
    assert_eq!(
        found("6c65"),
        [1],
        "the participant from before 0010 is in the index"
    );
    assert_eq!(found("65"), [1]);
    assert_eq!(found("6f"), [2]);
    assert_eq!(found("c3b1"), [2]);
    assert_eq!(found("c391"), [2]);
    assert!(found("7178").is_empty(), "\"qx\" is nobody's");
}
