//! Erasure and export on a database filled with SQL: one participant with every kind of
//! personal data, another who must be left alone.

use std::path::Path;

use chrono::Utc;
use rusqlite::{Connection, params};

use super::*;
use crate::form::{FieldKind, Form};

const NAME: &str = "Siti Rahayu Lestari";
const NIK: &str = "3201014506800002";
const PHONE: &str = "6281234567890";
const EMAIL: &str = "siti.rahayu@example.org";

fn shipped_form() -> Form {
    Form::load_path(&Path::new(env!("CARGO_MANIFEST_DIR")).join("forms/followup.xlsx")).unwrap()
}

fn field_of(form: &Form, wanted: impl Fn(&FieldKind) -> bool) -> String {
    form.fields()
        .iter()
        .find(|f| wanted(&f.kind))
        .map(|f| f.name.clone())
        .unwrap()
}

/// Adds a participant with personal attributes, history from an import, an invitation with a
/// draft, a response (free text holding the name, a number), a flag and an outbox email.
fn participant(conn: &Connection, key: &str, name: &str, union: &str, form: &Form) -> i64 {
    let now = "2025-01-01T00:00:00Z";
    conn.execute(
        "INSERT INTO participants (participant_key, pseudonym, created_at) VALUES (?1, ?2, ?3)",
        params![key, format!("P-{key}"), now],
    )
    .unwrap();
    let id = conn.last_insert_rowid();
    conn.execute(
        "INSERT INTO roster_imports (file_name, content_hash, status, started_at)
         VALUES ('roster-bekasi.xlsx', ?1, 'imported', ?2)",
        params![format!("hash-{key}"), now],
    )
    .unwrap();
    let import = conn.last_insert_rowid();
    for (attribute, value) in [
        ("name", name),
        ("nik", if key == "a" { NIK } else { "3201010101900001" }),
        ("phone", if key == "a" { PHONE } else { "6281111111111" }),
        (
            "email",
            if key == "a" {
                EMAIL
            } else {
                "other@example.org"
            },
        ),
        (
            "address",
            if key == "a" {
                "Jl. Melati 5, Bekasi"
            } else {
                "Jl. Mawar 1"
            },
        ),
        (
            "birth_date",
            if key == "a" {
                "1980-06-05"
            } else {
                "1990-01-01"
            },
        ),
        ("sex", "P"),
        ("union", union),
        ("cohort", "2024-A"),
        ("attended_1", "1"),
    ] {
        super::attributes::set_values(conn, id, &[(attribute, value)], Some(import), now).unwrap();
        super::attributes::record_changes(conn, id, &[(attribute, Some(value))], Some(import), now)
            .unwrap();
    }
    conn.execute(
        "INSERT OR IGNORE INTO waves (name, form_file, updated_at) VALUES ('m3', 'f.xlsx', ?1)",
        [now],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO invitations (participant_id, wave, token, status, issued_at, opens_at,
         closes_at) VALUES (?1, 'm3', ?2, 'submitted', ?3, ?3, '2025-02-01T00:00:00Z')",
        params![id, format!("token-{key}"), now],
    )
    .unwrap();
    let invitation = conn.last_insert_rowid();
    conn.execute(
        "INSERT INTO drafts (invitation_id, answers, updated_at) VALUES (?1, ?2, ?3)",
        params![invitation, format!(r#"{{"x":"{name}"}}"#), now],
    )
    .unwrap();
    let text = field_of(form, |k| matches!(k, FieldKind::Text));
    let number = field_of(form, |k| {
        matches!(k, FieldKind::Integer | FieldKind::Decimal)
    });
    let phone = if key == "a" { PHONE } else { "6281111111111" };
    let answers = serde_json::json!({ text: format!("saya {name}, hp {phone}"), number: "3" });
    conn.execute(
        "INSERT INTO responses (invitation_id, submission_id, form_id, form_version, answers,
         language, submitted_at) VALUES (?1, ?2, ?3, '1', ?4, 'id', ?5)",
        params![
            invitation,
            format!("sub-{key}"),
            form.id(),
            answers.to_string(),
            now
        ],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO consents (invitation_id, decision, text_version, language, decided_at)
         VALUES (?1, 'accepted', 'v1', 'id', ?2)",
        params![invitation, now],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO data_quality_flags (participant_id, code, reason, created_at)
         VALUES (?1, 'duplicate_phone', ?2, ?3)",
        params![id, format!("{name} shares a phone"), now],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO email_outbox (dedupe_key, recipient, subject, body_text, status, created_at)
         VALUES (?1, ?2, 'Survei', ?3, 'queued', ?4)",
        params![
            format!("invitation:{invitation}:0"),
            if key == "a" {
                EMAIL
            } else {
                "other@example.org"
            },
            format!("Halo {name}"),
            now
        ],
    )
    .unwrap();
    id
}

/// Every TEXT value in every table, with where it was.
fn every_text(conn: &Connection) -> Vec<(String, String)> {
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let mut found = Vec::new();
    for table in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
        let columns = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for column in 0..columns {
                if let rusqlite::types::ValueRef::Text(bytes) = row.get_ref(column).unwrap() {
                    found.push((table.clone(), String::from_utf8_lossy(bytes).into_owned()));
                }
            }
        }
    }
    found
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn erasure_leaves_no_personal_value_anywhere_and_counts_unchanged() {
    let mut conn = crate::db::open_in_memory().unwrap();
    let form = shipped_form();
    let siti = participant(&conn, "a", NAME, "SP Garmen", &form);
    let other = participant(&conn, "b", "Budi Santoso", "SP Garmen", &form);
    let policy = ErasePolicy::from_forms([&form]);

    let exported = export(&conn, siti).unwrap().to_string();
    for secret in [NAME, NIK, PHONE, EMAIL, "roster-bekasi.xlsx"] {
        assert!(exported.contains(secret), "export lacks {secret}");
    }
    assert!(
        !exported.contains("Budi"),
        "export holds someone else's data"
    );

    let by_union =
        "SELECT count(*) FROM participant_attributes WHERE name = 'union' AND value = 'SP Garmen'";
    let before = [
        count(&conn, "SELECT count(*) FROM participants"),
        count(&conn, by_union),
        count(&conn, "SELECT count(*) FROM invitations"),
        count(&conn, "SELECT count(*) FROM responses"),
        count(&conn, "SELECT count(*) FROM consents"),
        count(
            &conn,
            "SELECT count(*) FROM participant_attributes WHERE name = 'attended_1'",
        ),
        count(
            &conn,
            "SELECT count(*) FROM participant_attributes WHERE name = 'sex'",
        ),
    ];
    assert_eq!(resolve(&conn, "a").unwrap(), siti);
    let done = erase(&mut conn, siti, None, Utc::now(), &policy).unwrap();
    assert!(done.attributes_deleted >= 6, "{done:?}");
    assert_eq!(done.answers_removed, 1);

    for (table, text) in every_text(&conn) {
        for secret in [NAME, "Siti", NIK, PHONE, EMAIL, "Melati", "1980-06-05"] {
            assert!(
                !text.contains(secret),
                "{table} still holds {secret:?}: {text}"
            );
        }
    }
    let after = [
        count(&conn, "SELECT count(*) FROM participants"),
        count(&conn, by_union),
        count(&conn, "SELECT count(*) FROM invitations"),
        count(&conn, "SELECT count(*) FROM responses"),
        count(&conn, "SELECT count(*) FROM consents"),
        count(
            &conn,
            "SELECT count(*) FROM participant_attributes WHERE name = 'attended_1'",
        ),
        count(
            &conn,
            "SELECT count(*) FROM participant_attributes WHERE name = 'sex'",
        ),
    ];
    assert_eq!(before, after);
    let age_group: String = conn
        .query_row(
            "SELECT value FROM participant_attributes WHERE participant_id = ?1 AND name = 'age_group'",
            [siti],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        ["40-49", "50+"].contains(&age_group.as_str()),
        "{age_group}"
    );
    let answers: String = conn
        .query_row("SELECT answers FROM responses WHERE id = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(
        answers.contains("\"3\""),
        "the numeric answer is kept: {answers}"
    );
    assert_eq!(resolve(&conn, &format!("erased:{siti}")).unwrap(), siti);
    assert!(matches!(
        erase(&mut conn, siti, None, Utc::now(), &policy),
        Err(ParticipantError::AlreadyErased(_))
    ));
    // The other participant is untouched.
    let budi = export(&conn, other).unwrap().to_string();
    assert!(budi.contains("Budi Santoso") && budi.contains("6281111111111"));
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM audit_log WHERE action = 'participant.erase' AND target = 'participant:1'"
        ),
        1
    );
    assert!(matches!(
        resolve(&conn, "nope"),
        Err(ParticipantError::NotFound(_))
    ));
}
