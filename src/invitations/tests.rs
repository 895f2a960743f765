//! Tests of issuing invitations against an in-memory database.

use super::*;

fn participant(conn: &Connection, key: &str, created: &str, training_end: Option<&str>) -> i64 {
    conn.execute(
        "INSERT INTO participants (participant_key, pseudonym, created_at) VALUES (?1, ?2, ?3)",
        params![key, format!("P-{key}"), created],
    )
    .unwrap();
    let id = conn.last_insert_rowid();
    if let Some(date) = training_end {
        crate::participants::attributes::set_values(
            conn,
            id,
            &[("training_date", date)],
            None,
            created,
        )
        .unwrap();
    }
    id
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |row| row.get(0)).unwrap()
}

#[test]
fn due_waves_are_issued_exactly_once() {
    let mut conn = crate::db::open_in_memory().unwrap();
    let config = Config::default();
    // Trained in May: the 3-month wave opens mid-August.
    participant(&conn, "id:A", "2026-04-01T00:00:00Z", Some("2026-05-15"));
    participant(&conn, "id:B", "2026-08-01T00:00:00Z", Some("2026-05-20"));
    // No training date yet: only the baseline can be due.
    participant(&conn, "id:C", "2026-08-10T00:00:00Z", None);

    let summary = issue_due(&mut conn, &config, at("2026-08-20T03:00:00Z")).unwrap();
    let issued: std::collections::HashMap<_, _> = summary.issued.iter().cloned().collect();
    assert_eq!(issued["m3"], 2);
    // A's baseline window (April) has closed; B's and C's are open.
    assert_eq!(issued["baseline"], 2);
    assert_eq!(issued["m6"], 0);

    let again = issue_due(&mut conn, &config, at("2026-08-21T03:00:00Z")).unwrap();
    assert_eq!(again.total_issued(), 0);
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM invitations"), 4);
    assert_eq!(
        count(&conn, "SELECT COUNT(DISTINCT token) FROM invitations"),
        4
    );
}

#[test]
fn windows_are_local_midnights_in_jakarta() {
    let mut conn = crate::db::open_in_memory().unwrap();
    participant(&conn, "id:A", "2026-04-01T00:00:00Z", Some("2026-05-15"));
    issue_due(&mut conn, &Config::default(), at("2026-08-20T03:00:00Z")).unwrap();
    let (opens, closes): (String, String) = conn
        .query_row(
            "SELECT opens_at, closes_at FROM invitations WHERE wave = 'm3'",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    // 15 August 00:00 in Jakarta (UTC+7) is 14 August 17:00 UTC.
    assert_eq!(opens, "2026-08-14T17:00:00Z");
    assert!(closes > opens);
}

#[test]
fn closed_windows_expire_and_links_list_only_open_ones() {
    let mut conn = crate::db::open_in_memory().unwrap();
    participant(&conn, "id:A", "2026-04-01T00:00:00Z", Some("2026-05-15"));
    issue_due(&mut conn, &Config::default(), at("2026-08-20T03:00:00Z")).unwrap();
    let links = open_links(&conn, "https://survei.example.org/", Some("m3")).unwrap();
    assert_eq!(links.len(), 1);
    assert!(links[0].url.starts_with("https://survei.example.org/s/"));
    assert!(looks_like_token(links[0].url.rsplit('/').next().unwrap()));

    let later = issue_due(&mut conn, &Config::default(), at("2026-10-01T00:00:00Z")).unwrap();
    assert_eq!(later.expired, 1);
    assert!(
        open_links(&conn, "http://x", Some("m3"))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn erased_participants_get_no_invitations() {
    let mut conn = crate::db::open_in_memory().unwrap();
    let id = participant(&conn, "id:A", "2026-04-01T00:00:00Z", Some("2026-05-15"));
    conn.execute(
        "UPDATE participants SET erased_at = '2026-06-01T00:00:00Z' WHERE id = ?1",
        [id],
    )
    .unwrap();
    let summary = issue_due(&mut conn, &Config::default(), at("2026-08-20T03:00:00Z")).unwrap();
    assert_eq!(summary.total_issued(), 0);
}

#[test]
fn tokens_are_found_and_junk_is_not() {
    let mut conn = crate::db::open_in_memory().unwrap();
    participant(&conn, "id:A", "2026-04-01T00:00:00Z", Some("2026-05-15"));
    issue_due(&mut conn, &Config::default(), at("2026-08-20T03:00:00Z")).unwrap();
    let token: String = conn
        .query_row("SELECT token FROM invitations LIMIT 1", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert!(find_by_token(&conn, &token).unwrap().is_some());
    assert!(
        find_by_token(&conn, "AAAAAAAAAAAAAAAAAAAAAAAA")
            .unwrap()
            .is_none()
    );
    assert!(find_by_token(&conn, "' OR 1=1 --").unwrap().is_none());
}

#[test]
fn a_wave_counts_as_reached_only_when_every_participant_not_erased_has_its_invitation() {
    let mut conn = crate::db::open_in_memory().unwrap();
    let config = Config::default();
    let a = participant(&conn, "id:A", "2026-08-01T00:00:00Z", Some("2026-05-15"));
    let b = participant(&conn, "id:B", "2026-08-01T00:00:00Z", Some("2026-05-15"));
    assert!(!everyone_invited(&conn, "baseline").unwrap());
    issue_due(&mut conn, &config, at("2026-08-20T03:00:00Z")).unwrap();
    assert!(everyone_invited(&conn, "baseline").unwrap());
    assert!(!everyone_invited(&conn, "m6").unwrap());

    // An erased participant's invitation does not stand in for a newcomer's.
    conn.execute(
        "UPDATE participants SET erased_at = '2026-08-21T00:00:00Z' WHERE id = ?1",
        [a],
    )
    .unwrap();
    let c = participant(&conn, "id:C", "2026-08-22T00:00:00Z", Some("2026-05-15"));
    assert!(!everyone_invited(&conn, "baseline").unwrap());
    let summary = issue_due(&mut conn, &config, at("2026-08-22T03:00:00Z")).unwrap();
    let issued: std::collections::HashMap<_, _> = summary.issued.iter().cloned().collect();
    assert_eq!(issued["baseline"], 1);
    let invited: Vec<i64> = conn
        .prepare("SELECT participant_id FROM invitations WHERE wave = 'baseline' ORDER BY 1")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(invited, vec![a, b, c]);
    assert!(everyone_invited(&conn, "baseline").unwrap());
}
