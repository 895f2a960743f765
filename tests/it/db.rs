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
    assert_eq!(pragma_text(&conn, "page_size"), "16384");
    assert_eq!(user_version(&conn), pantau::db::MIGRATION_COUNT);
    // The latest step is 0017_lookup_columns_on_participants.sql: the lookup columns are
    // participants', three of them indexed (not the email, since 0016).
    assert_eq!(pantau::db::MIGRATION_COUNT, 17);
    let lookups = |table: &str| -> (i64, i64) {
        conn.query_row(
            "SELECT (SELECT count(*) FROM pragma_table_info(?1)
                     WHERE name IN ('roster_id', 'nik', 'phone', 'email')),
                    (SELECT count(*) FROM pragma_index_list(?1)
                     WHERE name IN (?1 || '_roster_id', ?1 || '_nik', ?1 || '_phone',
                                    ?1 || '_email'))",
            [table],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap()
    };
    assert_eq!(lookups("participants"), (4, 3));
    assert_eq!(lookups("participant_rows"), (0, 0));
    assert_eq!(count(&conn, "job_lock"), 1);
}

#[test]
fn a_database_made_with_another_page_size_keeps_it_and_opens() {
    // A file an earlier pantau (or sqlite3) created with SQLite's 4 KiB pages, in rollback
    // mode, with a table of its own.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pantau.db");
    let old = Connection::open(&path).unwrap();
    old.pragma_update(None, "page_size", 4096).unwrap();
    old.execute_batch("CREATE TABLE kept (note TEXT); INSERT INTO kept VALUES ('here');")
        .unwrap();
    drop(old);

    let conn = pantau::db::open(&path).unwrap();
    assert_eq!(pragma_text(&conn, "page_size"), "4096");
    assert_eq!(pragma_text(&conn, "journal_mode"), "wal");
    assert_eq!(user_version(&conn), pantau::db::MIGRATION_COUNT);
    add_user(&conn, "sari").unwrap();
    assert_eq!(count(&conn, "users"), 1);
    assert_eq!(count(&conn, "kept"), 1);
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(check, "ok");
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
            ["(\"220\" \"208\" \"087\" \"877\") OR (\"les\" \"est\" \"sta\" \"tar\")"],
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

#[test]
fn migration_0012_fills_the_lookup_columns_and_keeps_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pantau.db");
    let at = "2025-01-01T00:00:00Z";
    let history = |conn: &Connection| -> Vec<(String, Option<String>, String)> {
        conn.prepare(
            "SELECT name, value, set_at FROM participant_attribute_history
             ORDER BY participant_id, set_at, id, name",
        )
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    };
    // The step before 0012: migrations 0001 to 0011.
    let before = {
        let mut conn = Connection::open(&path).unwrap();
        pantau::db::migrations().to_version(&mut conn, 11).unwrap();
        conn.execute(
            "INSERT INTO participants (participant_key, pseudonym, created_at)
             VALUES ('nik:3174052208770009', 'P-1', ?1)",
            [at],
        )
        .unwrap();
        let id = conn.last_insert_rowid();
        let values = [
            ("name", "Dewi Lestari"),
            ("nik", "3174052208770009"),
            ("phone", "6281234567890"),
            ("email", "Dewi@Example.ORG"),
            ("participant_id", "EVM-1"),
        ];
        pantau::participants::attributes::set_values(&conn, id, &values, None, at).unwrap();
        let changes: Vec<(&str, Option<&str>)> =
            values.iter().map(|(k, v)| (*k, Some(*v))).collect();
        pantau::participants::attributes::record_changes(&conn, id, &changes, None, at).unwrap();
        history(&conn)
    };
    let conn = pantau::db::open(&path).unwrap();
    // Where 0017 moved them.
    let columns: (String, String, String, String, i64) = conn
        .query_row(
            "SELECT p.roster_id, p.nik, p.phone, p.email, r.history_implicit
             FROM participants p JOIN participant_rows r ON r.participant_id = p.id",
            [],
            |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            },
        )
        .unwrap();
    assert_eq!(
        columns,
        (
            "EVM-1".to_owned(),
            "3174052208770009".to_owned(),
            "6281234567890".to_owned(),
            "dewi@example.org".to_owned(),
            0
        )
    );
    assert_eq!(history(&conn), before);
    assert_eq!(before.len(), 5);
    // Found through the new lookup index and the rebuilt trigram index.
    let by_email: i64 = conn
        .query_row(
            "SELECT count(*) FROM participants WHERE email = 'dewi@example.org'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(by_email, 1);
    let found: i64 = conn
        .query_row(
            "SELECT count(*) FROM participant_search_text WHERE participant_search_text MATCH ?1",
            ["\"les\" \"est\" \"sta\" \"tar\""],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(found, 1);
    // A write that disagrees with `attrs` is corrected by the triggers.
    conn.execute("UPDATE participants SET nik = 'wrong'", [])
        .unwrap();
    let nik: String = conn
        .query_row("SELECT nik FROM participants", [], |row| row.get(0))
        .unwrap();
    assert_eq!(nik, "3174052208770009");
    // A row whose history is implicit shows it in the view, and writes it out, with the values
    // as they were, before its first change.
    conn.execute("DELETE FROM participant_row_history", [])
        .unwrap();
    conn.execute("UPDATE participant_rows SET history_implicit = 1", [])
        .unwrap();
    assert_eq!(history(&conn), before);
    pantau::participants::attributes::set_values(
        &conn,
        1,
        &[("name", "Dewi L.")],
        None,
        "2025-02-01T00:00:00Z",
    )
    .unwrap();
    let written: (i64, String) = conn
        .query_row(
            "SELECT count(*), max(changes) FROM participant_row_history",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!(written.0, 1);
    assert!(written.1.contains("Dewi Lestari"), "{}", written.1);
    assert_eq!(history(&conn), before);
}

#[test]
fn migration_0017_moves_the_lookup_columns_to_participants_and_keeps_them_equal_to_the_values() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pantau.db");
    let at = "2025-01-01T00:00:00Z";
    // The step before: two participants with rows (their lookup columns in participant_rows,
    // kept by 0012's triggers), one without.
    {
        let mut conn = Connection::open(&path).unwrap();
        // As `db::migrate` runs the steps (0013 refuses to run with foreign keys on).
        conn.pragma_update(None, "foreign_keys", "OFF").unwrap();
        pantau::db::migrations().to_version(&mut conn, 16).unwrap();
        conn.execute_batch(
            "INSERT INTO participants (id, participant_key, pseudonym, created_at) VALUES
                 (1, 'id:EVM-1', 'P-1', '2025-01-01T00:00:00Z'),
                 (2, 'phone:6281200000002', 'P-2', '2025-01-01T00:00:00Z'),
                 (3, 'nik:3174052208770003', 'P-3', '2025-01-01T00:00:00Z');",
        )
        .unwrap();
        let values: [&[(&str, &str)]; 2] = [
            &[
                ("participant_id", "EVM-1"),
                ("nik", "3174052208770001"),
                ("phone", "6281200000001"),
                ("email", "Dewi@Example.ORG"),
            ],
            &[("phone", "6281200000002")],
        ];
        for (id, values) in [1, 2].into_iter().zip(values) {
            pantau::participants::attributes::set_values(&conn, id, values, None, at).unwrap();
        }
    }
    let conn = pantau::db::open(&path).unwrap();
    type Lookups = (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let lookups = |id: i64| -> Lookups {
        conn.query_row(
            "SELECT roster_id, nik, phone, email FROM participants WHERE id = ?1",
            [id],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
        .unwrap()
    };
    let some = |text: &str| Some(text.to_owned());
    assert_eq!(
        lookups(1),
        (
            some("EVM-1"),
            some("3174052208770001"),
            some("6281200000001"),
            some("dewi@example.org")
        )
    );
    assert_eq!(lookups(2), (None, None, some("6281200000002"), None));
    assert_eq!(lookups(3), (None, None, None, None));
    // Looked up through the new indexes.
    let uses_index = |sql: &str, index: &str| -> bool {
        let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let details: Vec<String> = statement
            .query_map([], |row| row.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        details.iter().any(|detail| detail.contains(index))
    };
    assert!(uses_index(
        "SELECT id FROM participants WHERE nik = '3174052208770001'",
        "participants_nik"
    ));
    assert!(uses_index(
        "SELECT id FROM participants WHERE phone = '6281200000002'",
        "participants_phone"
    ));
    assert!(uses_index(
        "SELECT id FROM participants WHERE roster_id = 'EVM-1'",
        "participants_roster_id"
    ));
    // A row written for the participant without one sets its columns.
    pantau::participants::attributes::set_values(
        &conn,
        3,
        &[("nik", "3174052208770003"), ("name", "Sari")],
        None,
        at,
    )
    .unwrap();
    assert_eq!(lookups(3), (None, some("3174052208770003"), None, None));
    // A change of the values changes them; a value cleared clears them.
    pantau::participants::attributes::set_values(&conn, 2, &[("phone", "6281299999999")], None, at)
        .unwrap();
    assert_eq!(lookups(2), (None, None, some("6281299999999"), None));
    pantau::participants::attributes::clear_values(&conn, 1, &["nik", "email"]).unwrap();
    assert_eq!(
        lookups(1),
        (some("EVM-1"), None, some("6281200000001"), None)
    );
    // A write to the columns that disagrees with the values is put right.
    conn.execute(
        "UPDATE participants SET phone = '620000', email = 'x@y.z' WHERE id = 1",
        [],
    )
    .unwrap();
    assert_eq!(
        lookups(1),
        (some("EVM-1"), None, some("6281200000001"), None)
    );
    // Without its row, a participant has nothing to be found by.
    conn.execute("DELETE FROM participant_rows WHERE participant_id = 1", [])
        .unwrap();
    assert_eq!(lookups(1), (None, None, None, None));
}

#[test]
fn migration_0013_rebuilds_participants_and_keeps_every_row_referring_to_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pantau.db");
    let at = "2025-01-01T00:00:00Z";
    // Every table that references participants (all with ON DELETE CASCADE).
    let children = [
        "participant_rows",
        "participant_row_history",
        "participant_search",
        "invitations",
        "email_opt_outs",
        "data_quality_flags",
        "job_cache",
    ];
    let rows = |conn: &Connection| -> Vec<String> {
        let mut all = Vec::new();
        for table in ["participants"].iter().chain(&children) {
            // The columns these two had at 0013, which later steps keep (0017 moves the lookup
            // columns from one to the other).
            let columns = match *table {
                "participants" => "id, participant_key, pseudonym, created_at, erased_at",
                "participant_rows" => {
                    "participant_id, attrs, set_by_import, updated_at, sources, history_implicit"
                }
                _ => "*",
            };
            let mut statement = conn
                .prepare(&format!("SELECT {columns} FROM {table} ORDER BY 1"))
                .unwrap();
            let width = statement.column_count();
            let found = statement
                .query_map([], |row| {
                    let mut text = format!("{table}:");
                    for i in 0..width {
                        text.push_str(&format!(" {:?}", row.get::<_, rusqlite::types::Value>(i)?));
                    }
                    Ok(text)
                })
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            all.extend(found);
        }
        all
    };
    // The step before 0013, with a participant in every child table and one in none.
    let before = {
        let mut conn = Connection::open(&path).unwrap();
        pantau::db::migrations().to_version(&mut conn, 12).unwrap();
        conn.execute_batch(
            "INSERT INTO waves (name, form_file, updated_at) VALUES ('baseline', 'baseline.xlsx', 'a');
             INSERT INTO participants (id, participant_key, pseudonym, created_at)
             VALUES (7, 'nik:3174052208770009', 'P-AAAA7777', '2025-01-01T00:00:00Z'),
                    (9, 'phone:6281234567890', 'P-BBBB9999', '2025-01-01T00:00:00Z');
             INSERT INTO invitations
                 (id, participant_id, wave, token, status, issued_at, opens_at, closes_at)
             VALUES (1, 7, 'baseline', 'tok', 'sent', 'a', 'b', 'c');
             INSERT INTO email_opt_outs (participant_id, invitation_id, opted_out_at)
             VALUES (7, 1, 'd');
             INSERT INTO data_quality_flags (participant_id, wave, code, reason, created_at)
             VALUES (7, 'baseline', 'income_implausible', 'r', 'e');
             INSERT INTO job_cache (participant_id, wave, fingerprint, record)
             VALUES (7, '', x'01', x'02');",
        )
        .unwrap();
        pantau::participants::attributes::set_values(
            &conn,
            7,
            &[("name", "Dewi Lestari"), ("nik", "3174052208770009")],
            None,
            at,
        )
        .unwrap();
        pantau::participants::attributes::record_changes(
            &conn,
            7,
            &[("name", Some("Dewi Lestari"))],
            None,
            at,
        )
        .unwrap();
        rows(&conn)
    };
    for table in children {
        assert!(
            before
                .iter()
                .any(|row| row.starts_with(&format!("{table}:"))),
            "{table} has a row before the step"
        );
    }
    // The step itself, as `db::migrate` runs it (foreign keys off for the steps): every row
    // kept, the job cache's included (0014, the next step, empties the job cache on purpose).
    {
        let mut conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "foreign_keys", "OFF").unwrap();
        pantau::db::migrations().to_version(&mut conn, 13).unwrap();
        assert_eq!(rows(&conn), before);
    }
    // Opened as pantau opens it: foreign keys on for the connection, off for the steps.
    let conn = pantau::db::open(&path).unwrap();
    assert_eq!(user_version(&conn), pantau::db::MIGRATION_COUNT);
    assert_eq!(pragma_text(&conn, "foreign_keys"), "1");
    let without_cache = |rows: Vec<String>| -> Vec<String> {
        rows.into_iter()
            .filter(|row| !row.starts_with("job_cache:"))
            .collect()
    };
    assert_eq!(without_cache(rows(&conn)), without_cache(before.clone()));
    let dangling: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(dangling, 0);
    // The uniqueness is the named indexes', and as strict as the constraints were.
    let indexes: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'participants'
             ORDER BY name",
        )
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        indexes,
        [
            "participants_erased",
            "participants_key",
            // The lookup indexes of 0017.
            "participants_nik",
            "participants_phone",
            "participants_pseudonym",
            "participants_roster_id"
        ]
    );
    for (key, pseudonym) in [("nik:3174052208770009", "P-NEW"), ("nik:new", "P-AAAA7777")] {
        let err = conn
            .execute(
                "INSERT INTO participants (participant_key, pseudonym, created_at)
                 VALUES (?1, ?2, 'f')",
                [key, pseudonym],
            )
            .unwrap_err();
        assert!(err.to_string().contains("UNIQUE"), "{err}");
    }
    // The funnel's triggers came back with the table: a new participant is counted.
    let people = |conn: &Connection| -> i64 {
        conn.query_row(
            "SELECT ifnull(sum(people), 0) FROM funnel_counts",
            [],
            |row| row.get(0),
        )
        .unwrap()
    };
    let counted = people(&conn);
    conn.execute(
        "INSERT INTO participants (participant_key, pseudonym, created_at)
         VALUES ('nik:new', 'P-NEW', 'f')",
        [],
    )
    .unwrap();
    assert_eq!(people(&conn), counted + 1);
    // And the references hold on the new table: erasing participant 7 takes its rows along.
    conn.execute("DELETE FROM participants WHERE id = 7", [])
        .unwrap();
    for table in children {
        let left: i64 = conn
            .query_row(
                &format!("SELECT count(*) FROM {table} WHERE participant_id = 7"),
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(left, 0, "{table}");
    }
}

#[test]
fn migration_0013_refuses_to_run_with_foreign_keys_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = Connection::open(dir.path().join("pantau.db")).unwrap();
    pantau::db::migrations().to_version(&mut conn, 12).unwrap();
    conn.execute_batch(
        "INSERT INTO participants (id, participant_key, pseudonym, created_at)
         VALUES (7, 'nik:1', 'P-1', 'a');
         INSERT INTO job_cache (participant_id, wave, fingerprint, record)
         VALUES (7, '', x'01', x'02');",
    )
    .unwrap();
    conn.pragma_update(None, "foreign_keys", "ON").unwrap();
    let err = pantau::db::migrations().to_latest(&mut conn).unwrap_err();
    assert!(format!("{err:?}").contains("foreign_keys = 0"), "{err:?}");
    assert_eq!(user_version(&conn), 12);
    assert_eq!(count(&conn, "job_cache"), 1);
}
