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

#[test]
fn the_funnel_is_kept_until_the_roster_or_the_day_changes() {
    let conn = crate::db::open_in_memory().unwrap();
    participant(&conn, 1, None);
    crate::participants::attributes::set_values(
        &conn,
        1,
        &[("birth_date", "1980-06-01"), ("attended_1", "1")],
        None,
        "now",
    )
    .unwrap();
    let zone: Tz = "Asia/Jakarta".parse().unwrap();
    let dashboard = Dashboard::new();
    let first = dashboard
        .figures(&conn, date("2026-05-31"), zone)
        .unwrap()
        .funnel;
    assert_eq!(
        first,
        [Funnel {
            age_group: "40-49".into(),
            enrolled: 1,
            sessions: [1, 0, 0]
        }]
    );
    // A new participant: computed again.
    participant(&conn, 2, None);
    let second = dashboard
        .figures(&conn, date("2026-05-31"), zone)
        .unwrap()
        .funnel;
    assert_eq!(second.iter().map(|f| f.enrolled).sum::<i64>(), 2);
    // The next day: computed again (ages move).
    for id in [1, 2] {
        crate::participants::attributes::set_values(
            &conn,
            id,
            &[("birth_date", "1976-06-01")],
            None,
            "now",
        )
        .unwrap();
    }
    let later = dashboard
        .figures(&conn, date("2026-06-01"), zone)
        .unwrap()
        .funnel;
    assert!(later.iter().any(|f| f.age_group == "50+"), "{later:?}");
    assert_eq!(later, funnel(&conn, date("2026-06-01")).unwrap());
}
