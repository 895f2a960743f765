//! Unit tests for the schema: the migrations apply, and the constraints that protect the data
//! (unique tokens and submissions, foreign keys, enumerations, JSON) hold.

use rusqlite::{Connection, ErrorCode, params};

use super::*;

const AT: &str = "2025-03-01T02:00:00Z";

/// A participant, the `m3` wave and an invitation for them; returns the invitation id.
fn invitation(conn: &Connection, key: &str, token: &str) -> i64 {
    conn.execute(
        "INSERT INTO participants (participant_key, pseudonym, created_at) VALUES (?1, ?2, ?3)",
        params![key, format!("P-{key}"), AT],
    )
    .unwrap();
    let participant = conn.last_insert_rowid();
    conn.execute(
        "INSERT OR IGNORE INTO waves (name, form_file, updated_at)
         VALUES ('m3', 'followup.xlsx', ?1)",
        [AT],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO invitations (participant_id, wave, token, status, issued_at, opens_at,
                                  closes_at)
         VALUES (?1, 'm3', ?2, 'issued', ?3, ?3, '2025-03-31T02:00:00Z')",
        params![participant, token, AT],
    )
    .unwrap();
    conn.last_insert_rowid()
}

fn respond(conn: &Connection, invitation: i64, submission: &str) -> rusqlite::Result<usize> {
    conn.execute(
        "INSERT INTO responses (invitation_id, submission_id, form_id, form_version, answers,
                                language, submitted_at)
         VALUES (?1, ?2, 'followup', '2025030101', '{\"work_status\":\"self\"}', 'id', ?3)",
        params![invitation, submission, AT],
    )
}

/// Asserts that `result` failed on a constraint, and returns SQLite's message for more checks.
#[track_caller]
fn violated<T: std::fmt::Debug>(result: rusqlite::Result<T>) -> String {
    match result {
        Err(rusqlite::Error::SqliteFailure(err, message)) => {
            assert_eq!(err.code, ErrorCode::ConstraintViolation, "{message:?}");
            message.unwrap_or_default()
        }
        other => panic!("expected a constraint violation, got {other:?}"),
    }
}

#[test]
fn migrations_are_valid() {
    // As `migrate` runs them, with foreign keys off (0013 rebuilds a table others reference).
    // `Migrations::validate` cannot: its connection has SQLite's default, which the bundled
    // SQLite sets to on.
    let mut conn = Connection::open_in_memory().unwrap();
    conn.pragma_update(None, "foreign_keys", "OFF").unwrap();
    migrations().to_latest(&mut conn).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert_eq!(version, MIGRATION_COUNT);
}

#[test]
fn an_in_memory_database_has_the_schema_and_enforces_foreign_keys() {
    let conn = open_in_memory().unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert_eq!(version, i64::try_from(MIGRATIONS.len()).unwrap());
    let foreign_keys: i64 = conn
        .pragma_query_value(None, "foreign_keys", |row| row.get(0))
        .unwrap();
    assert_eq!(foreign_keys, 1);
    let lock_rows: i64 = conn
        .query_row("SELECT count(*) FROM job_lock", [], |row| row.get(0))
        .unwrap();
    assert_eq!(lock_rows, 1);
}

#[test]
fn tokens_are_unique() {
    let conn = open_in_memory().unwrap();
    invitation(&conn, "nik:3201010101010001", "tok-a");
    let message = violated(conn.execute(
        "INSERT INTO invitations (participant_id, wave, token, status, issued_at, opens_at,
                                  closes_at)
         SELECT id, 'm3', 'tok-a', 'issued', ?1, ?1, '2025-04-01T00:00:00Z'
         FROM participants",
        [AT],
    ));
    assert!(message.contains("invitations."), "{message}");
}

#[test]
fn one_invitation_per_participant_and_wave() {
    let conn = open_in_memory().unwrap();
    invitation(&conn, "id:17", "tok-a");
    violated(conn.execute(
        "INSERT INTO invitations (participant_id, wave, token, status, issued_at, opens_at,
                                  closes_at)
         SELECT id, 'm3', 'tok-b', 'issued', ?1, ?1, '2025-04-01T00:00:00Z'
         FROM participants",
        [AT],
    ));
}

#[test]
fn submission_ids_are_unique_and_one_response_per_invitation() {
    let conn = open_in_memory().unwrap();
    let first = invitation(&conn, "id:1", "tok-1");
    let second = invitation(&conn, "id:2", "tok-2");
    respond(&conn, first, "sub-1").unwrap();
    let message = violated(respond(&conn, second, "sub-1"));
    assert!(message.contains("responses.submission_id"), "{message}");
    let message = violated(respond(&conn, first, "sub-2"));
    assert!(message.contains("responses.invitation_id"), "{message}");
}

#[test]
fn foreign_keys_are_enforced() {
    let conn = open_in_memory().unwrap();
    violated(respond(&conn, 999, "sub-1"));
    violated(
        crate::participants::attributes::set_values(
            &conn,
            999,
            &[("nik", "3201010101010001")],
            None,
            AT,
        )
        .map(|()| 1),
    );
}

#[test]
fn erasing_a_participant_removes_their_answers() {
    let conn = open_in_memory().unwrap();
    let invitation = invitation(&conn, "phone:6281200000000", "tok-1");
    respond(&conn, invitation, "sub-1").unwrap();
    conn.execute("DELETE FROM participants", []).unwrap();
    let left: i64 = conn
        .query_row("SELECT count(*) FROM responses", [], |row| row.get(0))
        .unwrap();
    assert_eq!(left, 0);
}

#[test]
fn enumerations_and_json_are_checked() {
    let conn = open_in_memory().unwrap();
    let message = violated(conn.execute(
        "INSERT INTO users (username, password_hash, role, created_at)
         VALUES ('sari', 'x', 'superuser', ?1)",
        [AT],
    ));
    assert!(message.contains("CHECK"), "{message}");
    let invitation = invitation(&conn, "id:1", "tok-1");
    violated(conn.execute(
        "INSERT INTO drafts (invitation_id, answers, updated_at) VALUES (?1, '{not json', ?2)",
        params![invitation, AT],
    ));
}

#[test]
fn strict_tables_refuse_wrong_types() {
    let conn = open_in_memory().unwrap();
    violated(conn.execute(
        "INSERT INTO email_outbox (dedupe_key, recipient, subject, body_text, status, attempts,
                                   created_at)
         VALUES ('k', 'a@example.org', 's', 'b', 'queued', 'many', ?1)",
        [AT],
    ));
}

#[test]
fn usernames_are_unique_without_case() {
    let conn = open_in_memory().unwrap();
    let add = |name: &str| {
        conn.execute(
            "INSERT INTO users (username, password_hash, role, created_at)
             VALUES (?1, 'x', 'viewer', ?2)",
            params![name, AT],
        )
    };
    add("Sari").unwrap();
    violated(add("sari"));
}

#[test]
fn a_content_hash_is_applied_once_but_may_be_retried_after_failure() {
    let conn = open_in_memory().unwrap();
    let add = |status: &str| {
        conn.execute(
            "INSERT INTO roster_imports (file_name, content_hash, status, started_at)
             VALUES ('bekasi.xlsx', 'abc', ?1, ?2)",
            params![status, AT],
        )
    };
    add("failed").unwrap();
    add("imported").unwrap();
    add("skipped").unwrap();
    violated(add("imported"));
}

#[test]
fn a_roster_level_flag_is_recorded_once() {
    let conn = open_in_memory().unwrap();
    invitation(&conn, "id:1", "tok-1");
    let flag = |wave: Option<&str>| {
        conn.execute(
            "INSERT INTO data_quality_flags (participant_id, wave, code, reason, created_at)
             SELECT id, ?1, 'duplicate_phone', 'phone shared with id:2', ?2 FROM participants",
            params![wave, AT],
        )
    };
    flag(None).unwrap();
    flag(Some("m3")).unwrap();
    violated(flag(None));
    violated(flag(Some("m3")));
}

#[test]
fn the_job_lock_has_one_row() {
    let conn = open_in_memory().unwrap();
    violated(conn.execute("INSERT INTO job_lock (id) VALUES (2)", []));
    let taken = conn
        .execute(
            "UPDATE job_lock SET holder = 'test', acquired_at = ?1, expires_at = ?1
             WHERE id = 1 AND (holder IS NULL OR expires_at < ?1)",
            [AT],
        )
        .unwrap();
    assert_eq!(taken, 1);
}

/// A first import through a rollback journal holds the file's exclusive lock from its first
/// written page to its commit (`journal`): a process opening the database meanwhile (a server
/// started then) waits for it, past the usual busy timeout, instead of failing.
#[test]
fn opening_waits_for_a_writer_holding_the_file_longer_than_the_busy_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pantau.db");
    let writer = open(&path).unwrap();
    assert!(journal::leave_wal(&writer).unwrap());
    writer.execute_batch("BEGIN EXCLUSIVE").unwrap();
    writer
        .execute(
            "INSERT INTO participants (participant_key, pseudonym, created_at)
             VALUES ('id:1', 'P-1', ?1)",
            [AT],
        )
        .unwrap();
    let opening = {
        let path = path.clone();
        std::thread::spawn(move || {
            let conn = open(&path)?;
            conn.query_row("SELECT count(*) FROM participants", [], |row| {
                row.get::<_, i64>(0)
            })
            .map_err(anyhow::Error::from)
        })
    };
    std::thread::sleep(BUSY_TIMEOUT + Duration::from_millis(1500));
    if opening.is_finished() {
        panic!(
            "opened while the writer held the file: {:?}",
            opening.join().unwrap()
        );
    }
    writer.execute_batch("COMMIT").unwrap();
    journal::back_to_wal(&writer);
    assert_eq!(opening.join().unwrap().unwrap(), 1);
}
