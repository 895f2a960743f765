use chrono::NaiveDate;
use rusqlite::{Connection, params};

use super::*;

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn participant(conn: &Connection, id: i64, cohort: Option<&str>) {
    conn.execute(
        "INSERT INTO participants (id, participant_key, pseudonym, created_at)
         VALUES (?1, ?2, ?3, 'now')",
        params![id, format!("id:{id}"), format!("P-{id}")],
    )
    .unwrap();
    if let Some(cohort) = cohort {
        crate::participants::attributes::set_values(conn, id, &[("cohort", cohort)], None, "now")
            .unwrap();
    }
}

fn invite(conn: &Connection, participant: i64, wave: &str, issued: &str) -> i64 {
    conn.execute(
        "INSERT INTO invitations (participant_id, wave, token, status, issued_at, opens_at, closes_at)
         VALUES (?1, ?2, ?3, 'sent', ?4, ?4, '2027-01-01T00:00:00Z')",
        params![participant, wave, format!("t-{participant}-{wave}"), issued],
    )
    .unwrap();
    conn.last_insert_rowid()
}

fn respond(conn: &Connection, invitation: i64, at: &str) {
    conn.execute(
        "INSERT INTO responses (invitation_id, submission_id, form_id, form_version, answers,
                                language, submitted_at)
         VALUES (?1, ?2, 'f', '1', '{}', 'id', ?3)",
        params![invitation, format!("s-{invitation}"), at],
    )
    .unwrap();
    conn.execute(
        "UPDATE invitations SET status = 'submitted' WHERE id = ?1",
        [invitation],
    )
    .unwrap();
}

fn consent(conn: &Connection, invitation: i64, decision: &str) {
    conn.execute(
        "INSERT INTO consents (invitation_id, decision, text_version, language, decided_at)
         VALUES (?1, ?2, '1', 'id', 'now')",
        params![invitation, decision],
    )
    .unwrap();
}

#[test]
fn kept_counts_follow_every_write_and_equal_a_recount() {
    let mut conn = crate::db::open_in_memory().unwrap();
    for wave in ["baseline", "m3"] {
        conn.execute(
            "INSERT INTO waves (name, form_file, updated_at) VALUES (?1, 'f.xlsx', 'now')",
            [wave],
        )
        .unwrap();
    }
    participant(&conn, 1, Some("A"));
    participant(&conn, 2, Some("A"));
    participant(&conn, 3, Some("B"));
    participant(&conn, 4, None);
    let mut ids = Vec::new();
    for p in 1..=4 {
        ids.push(invite(&conn, p, "baseline", "2026-10-01T02:00:00Z"));
        ids.push(invite(&conn, p, "m3", "2026-11-01T02:00:00Z"));
    }
    // Opened, consented twice (counts once), declined then accepted, submitted.
    conn.execute(
        "UPDATE invitations SET status = 'opened', opened_at = 'x' WHERE id = ?1",
        [ids[0]],
    )
    .unwrap();
    consent(&conn, ids[0], "accepted");
    consent(&conn, ids[0], "accepted");
    consent(&conn, ids[2], "declined");
    conn.execute(
        "UPDATE invitations SET status = 'declined' WHERE id = ?1",
        [ids[2]],
    )
    .unwrap();
    consent(&conn, ids[2], "accepted");
    respond(&conn, ids[0], "2026-10-02T20:00:00Z");
    respond(&conn, ids[4], "2026-10-03T01:00:00Z");
    assert_eq!(
        wave_cohorts(&conn).unwrap(),
        wave_cohorts_from_scratch(&conn).unwrap()
    );
    let baseline_a = wave_cohorts(&conn)
        .unwrap()
        .into_iter()
        .find(|row| row.wave == "baseline" && row.cohort == "A")
        .unwrap();
    assert_eq!(
        (
            baseline_a.invited,
            baseline_a.opened,
            baseline_a.consented,
            baseline_a.completed
        ),
        (2, 2, 2, 1)
    );
    // Cohorts change: moved, cleared, set for the first time.
    let attributes = |id, values: &[(&str, &str)]| {
        crate::participants::attributes::set_values(&conn, id, values, None, "now").unwrap()
    };
    attributes(1, &[("cohort", "B")]);
    crate::participants::attributes::clear_values(&conn, 2, &["cohort"]).unwrap();
    attributes(4, &[("cohort", "C")]);
    let kept = wave_cohorts(&conn).unwrap();
    assert_eq!(kept, wave_cohorts_from_scratch(&conn).unwrap());
    assert!(kept.iter().any(|row| row.cohort == "C" && row.invited == 1));
    assert!(
        !kept.iter().any(|row| row.cohort == "A"),
        "cohort A emptied: {kept:?}"
    );
    // A rebuild gives the same.
    recount(&mut conn).unwrap();
    assert_eq!(wave_cohorts(&conn).unwrap(), kept);
}

#[test]
fn the_response_rate_accumulates_by_local_day_from_the_first_invitation() {
    let conn = crate::db::open_in_memory().unwrap();
    conn.execute(
        "INSERT INTO waves (name, form_file, updated_at) VALUES ('m3', 'f.xlsx', 'now')",
        [],
    )
    .unwrap();
    for p in 1..=4 {
        participant(&conn, p, None);
    }
    // 17:00 UTC is already the next day in Jakarta (UTC+7).
    let a = invite(&conn, 1, "m3", "2026-11-01T17:00:00Z");
    invite(&conn, 2, "m3", "2026-11-02T03:00:00Z");
    let c = invite(&conn, 3, "m3", "2026-11-03T03:00:00Z");
    invite(&conn, 4, "m3", "2026-11-03T04:00:00Z");
    respond(&conn, a, "2026-11-02T05:00:00Z");
    respond(&conn, c, "2026-11-04T17:30:00Z");
    let zone: Tz = "Asia/Jakarta".parse().unwrap();
    let series = over_time(&conn, zone, date("2026-11-05")).unwrap();
    assert_eq!(series.len(), 1);
    let days: Vec<(u32, String, i64, i64)> = series[0]
        .days
        .iter()
        .map(|d| (d.day, d.date.to_string(), d.invited, d.completed))
        .collect();
    assert_eq!(
        days,
        [
            (0, "2026-11-02".to_string(), 2, 1),
            (1, "2026-11-03".to_string(), 4, 1),
            (2, "2026-11-04".to_string(), 4, 1),
            (3, "2026-11-05".to_string(), 4, 2),
        ]
    );
}

/// The kept funnel on a few days around birthdays and midnight, each equal to the count from
/// every roster row; returns the first day's.
fn funnel_matches_scratch(conn: &Connection, when: &str) -> Vec<Funnel> {
    let days = ["2026-05-31", "2026-06-01", "2030-01-01"];
    for day in days {
        assert_eq!(
            funnel(conn, date(day)).unwrap(),
            funnel_from_scratch(conn, date(day)).unwrap(),
            "{when}, on {day}"
        );
    }
    funnel(conn, date(days[0])).unwrap()
}

/// How many kept funnel rows hold `birth_date`.
fn rows_holding(conn: &Connection, birth_date: &str) -> i64 {
    conn.query_row(
        "SELECT count(*) FROM funnel_counts WHERE birth_date ->> '$' = ?1",
        [birth_date],
        |row| row.get(0),
    )
    .unwrap()
}

fn group(funnel: &[Funnel], name: &str) -> (i64, [i64; 3]) {
    funnel
        .iter()
        .find(|f| f.age_group == name)
        .map_or((0, [0; 3]), |f| (f.enrolled, f.sessions))
}

#[test]
fn the_kept_funnel_follows_every_roster_write_and_equals_a_count_from_scratch() {
    let mut conn = crate::db::open_in_memory().unwrap();
    let set = |conn: &Connection, id, values: &[(&str, &str)]| {
        crate::participants::attributes::set_values(conn, id, values, None, "now").unwrap()
    };
    // Inserts: with and without a roster row, with and without a birth date.
    for id in 1..=6 {
        participant(&conn, id, None);
    }
    set(
        &conn,
        1,
        &[("birth_date", "1980-06-01"), ("attended_1", "1")],
    );
    set(
        &conn,
        2,
        &[
            ("birth_date", "1980-06-01"),
            ("attended_1", "1"),
            ("attended_2", "1"),
        ],
    );
    set(
        &conn,
        3,
        &[("birth_date", "1996-06-01"), ("attended_3", "0")],
    );
    set(&conn, 4, &[("cohort", "A"), ("attended_1", "1")]);
    set(
        &conn,
        5,
        &[("birth_date", "1950-01-01"), ("age_group", "30-39")],
    );
    let first = funnel_matches_scratch(&conn, "after inserts");
    // Born 1980-06-01: 45 on 2026-05-31; participant 6 has no row, 4 no birth date.
    assert_eq!(group(&first, "40-49"), (2, [2, 1, 0]));
    assert_eq!(group(&first, "?"), (2, [1, 0, 0]));
    assert_eq!(
        group(&first, "30-39"),
        (1, [0, 0, 0]),
        "the kept group wins"
    );
    // 1996-06-01 turns 30 at midnight.
    assert_eq!(group(&first, "<30"), (1, [0, 0, 0]));
    assert_eq!(
        group(&funnel(&conn, date("2026-06-01")).unwrap(), "30-39"),
        (2, [0, 0, 0])
    );

    // Updates: a birth date moved, attendance set and cleared, an unrelated value, a row for
    // the participant who had none.
    set(&conn, 1, &[("birth_date", "1970-01-01")]);
    set(&conn, 2, &[("attended_3", "1"), ("attended_1", "0")]);
    crate::participants::attributes::clear_values(&conn, 2, &["attended_2"]).unwrap();
    set(&conn, 3, &[("cohort", "B")]);
    set(
        &conn,
        6,
        &[("birth_date", "2001-02-28"), ("attended_2", "1")],
    );
    let updated = funnel_matches_scratch(&conn, "after updates");
    assert_eq!(group(&updated, "50+"), (1, [1, 0, 0]));
    assert_eq!(group(&updated, "40-49"), (1, [0, 0, 1]));

    // Erasure: the age group is kept from the birth date, attendance stays.
    let policy = crate::participants::ErasePolicy::default();
    let now = chrono::DateTime::parse_from_rfc3339("2026-05-30T10:00:00Z")
        .unwrap()
        .to_utc();
    crate::participants::erase(&mut conn, 6, None, now, &policy).unwrap();
    let erased = funnel_matches_scratch(&conn, "after an erasure");
    // Born 2001-02-28: 25 at erasure, and kept "<30" even in 2030.
    let kept: String = conn
        .query_row(
            "SELECT attrs ->> '$.age_group' FROM participant_rows WHERE participant_id = 6",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(kept, "<30");
    assert_eq!(
        rows_holding(&conn, "2001-02-28"),
        0,
        "the erased birth date"
    );
    assert_eq!(group(&erased, "<30"), (2, [0, 1, 0]));
    assert_eq!(
        group(&funnel(&conn, date("2030-01-01")).unwrap(), "<30"),
        (1, [0, 1, 0])
    );

    // Deletes: a roster row alone (the participant stays, without values), then participants
    // with their rows (ON DELETE CASCADE) and one without.
    conn.execute("DELETE FROM participant_rows WHERE participant_id = 2", [])
        .unwrap();
    funnel_matches_scratch(&conn, "after a row delete");
    conn.execute("DELETE FROM participants WHERE id IN (1, 2, 5)", [])
        .unwrap();
    let deleted = funnel_matches_scratch(&conn, "after participant deletes");
    assert_eq!(deleted.iter().map(|f| f.enrolled).sum::<i64>(), 3);
    // Birth dates nobody has any more are gone, and no emptied row stays behind.
    assert_eq!(rows_holding(&conn, "1980-06-01"), 0);
    assert_eq!(rows_holding(&conn, "1970-01-01"), 0);
    assert_eq!(rows_holding(&conn, "1996-06-01"), 1);
    let empty: i64 = conn
        .query_row(
            "SELECT count(*) FROM funnel_counts WHERE people <= 0",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(empty, 0);

    // A rebuild gives the same.
    recount(&mut conn).unwrap();
    assert_eq!(funnel(&conn, date("2026-05-31")).unwrap(), deleted);
}
