//! Merging on a small in-memory database.

use rusqlite::params;

use super::*;

fn participant(conn: &Connection, key: &str, attributes: &[(&str, &str)]) -> i64 {
    conn.execute(
        "INSERT INTO participants (participant_key, pseudonym, created_at)
         VALUES (?1, ?2, '2026-01-01T00:00:00Z')",
        params![key, format!("P-{key}")],
    )
    .unwrap();
    let id = conn.last_insert_rowid();
    for (name, value) in attributes {
        crate::participants::attributes::set_values(
            conn,
            id,
            &[(name, value)],
            None,
            "2026-01-01T00:00:00Z",
        )
        .unwrap();
    }
    id
}

fn respond(conn: &Connection, participant: i64, wave: &str, answers: &str) {
    conn.execute(
        "INSERT OR IGNORE INTO waves (name, form_file, updated_at)
         VALUES (?1, 'f.xlsx', '2026-01-01T00:00:00Z')",
        [wave],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO invitations (participant_id, wave, token, status, issued_at, opens_at,
                                  closes_at)
         VALUES (?1, ?2, ?3, 'issued', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z',
                 '2026-02-01T00:00:00Z')",
        params![participant, wave, format!("{participant}-{wave}")],
    )
    .unwrap();
    if answers.is_empty() {
        return;
    }
    let invitation = conn.last_insert_rowid();
    conn.execute(
        "INSERT INTO responses (invitation_id, submission_id, form_id, form_version, answers,
                                language, submitted_at)
         VALUES (?1, ?2, 'f', '1', ?3, 'id', '2026-01-10T00:00:00Z')",
        params![invitation, format!("s-{invitation}"), answers],
    )
    .unwrap();
}

#[test]
fn records_join_roster_derived_and_answers() {
    let conn = crate::db::open_in_memory().unwrap();
    let siti = participant(
        &conn,
        "id:A",
        &[
            ("sex", "P"),
            ("birth_date", "1980-03-01"),
            ("nik", "3201014103800001"),
        ],
    );
    let budi = participant(&conn, "id:B", &[("sex", "L"), ("age", "29")]);
    let _never_invited = participant(&conn, "id:C", &[("sex", "L")]);
    respond(
        &conn,
        siti,
        "baseline",
        r#"{"income_total":"0","wg_walking":"alot","wg_seeing":"none"}"#,
    );
    respond(
        &conn,
        siti,
        "m3",
        r#"{"income_total":"2500000","work_status":"self"}"#,
    );
    respond(&conn, budi, "m3", "");

    let reference = Reference::builtin();
    let context = MergeContext {
        reference: &reference,
        on: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
        baseline_wave: Some("baseline"),
    };
    let records = wave_records(&conn, "m3", &context).unwrap();
    assert_eq!(records.len(), 2, "only the invited");
    let siti = &records[0];
    assert_eq!(siti.get("responded"), Value::Num(1.0));
    assert_eq!(siti.get("income_total").to_num(), 2_500_000.0);
    assert_eq!(siti.get("baseline.income_total").to_num(), 0.0);
    assert_eq!(siti.get("age"), Value::Num(46.0));
    assert_eq!(siti.get("age_group").to_text(), "40-49");
    assert_eq!(siti.get("age40plus"), Value::Num(1.0));
    assert_eq!(siti.get("disability"), Value::Num(1.0));
    assert_eq!(siti.get("province").to_text(), "Jawa Barat");
    assert!(siti.get("ump").to_num() > 2_000_000.0);
    let budi = &records[1];
    assert_eq!(budi.get("responded"), Value::Num(0.0));
    assert_eq!(budi.get("age_group").to_text(), "<30");
    assert_eq!(budi.get("baseline.responded"), Value::Num(0.0));
    assert!(budi.get("disability").is_empty(), "unknown, not 'no'");

    let roster = roster_records(&conn, &context).unwrap();
    assert_eq!(roster.len(), 3);
}
