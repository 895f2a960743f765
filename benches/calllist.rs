//! Call list benchmark: a database of N participants (default 100,000; `PANTAU_BENCH_ROWS`)
//! each with an open m3 invitation, half of them having left the baseline unanswered and a
//! third with reminders, timed (a) building the list with `outreach::call_list` and (b) writing
//! it as a workbook (N / 32,000 sheets of two hyperlinks per row).
//!
//! Run with `cargo bench --bench calllist`. Plain `harness = false` main: each phase runs once,
//! because one run already takes seconds.

use std::time::Instant;

use chrono::{DateTime, TimeDelta, Utc};
use pantau::config::Config;
use pantau::invitations::rfc3339;
use pantau::outreach::{call_list, write_call_list};
use rusqlite::params;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo test --benches` and `cargo bench -- --list` must not build a large database.
    if args.iter().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let rows: i64 = std::env::var("PANTAU_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let db = dir.path().join("pantau.db");
    let now: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-11-29T03:00:00Z")
        .expect("a valid time")
        .with_timezone(&Utc);

    let started = Instant::now();
    fill(&db, rows, now);
    println!(
        "fill {rows} participants: {:.2} s",
        started.elapsed().as_secs_f64()
    );

    let config = Config::default();
    let conn = pantau::db::open(&db).expect("the database opens");
    let started = Instant::now();
    let list = call_list(&conn, &config, None, now).expect("the call list builds");
    let build = started.elapsed().as_secs_f64();
    println!("call_list: {} rows in {build:.2} s", list.len());

    let out = dir.path().join("call-list.xlsx");
    let started = Instant::now();
    write_call_list(&list, "id", &out).expect("the workbook is written");
    let write = started.elapsed().as_secs_f64();
    let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    println!(
        "write_call_list: {:.1} MB in {write:.2} s",
        size as f64 / 1_000_000.0
    );
}

fn fill(db: &std::path::Path, rows: i64, now: DateTime<Utc>) {
    let mut conn = pantau::db::open(db).expect("the database opens");
    let tx = conn.transaction().expect("a transaction");
    let stamp = rfc3339(now);
    for wave in ["baseline", "m3"] {
        tx.execute(
            "INSERT INTO waves (name, form_file, updated_at) VALUES (?1, 'f.xlsx', ?2)",
            params![wave, stamp],
        )
        .expect("wave");
    }
    {
        let mut person = tx
            .prepare("INSERT INTO participants (id, participant_key, pseudonym, created_at) VALUES (?1, ?2, ?3, ?4)")
            .expect("statement");
        let mut invitation = tx
            .prepare(
                "INSERT INTO invitations (participant_id, wave, token, status, issued_at, opens_at, closes_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)",
            )
            .expect("statement");
        let mut reminder = tx
            .prepare("INSERT INTO reminders (invitation_id, channel, step, sent_at) VALUES (?1, 'email', ?2, ?3)")
            .expect("statement");
        for id in 1..=rows {
            person
                .execute(params![
                    id,
                    format!("id:P{id:07}"),
                    format!("ps{id}"),
                    stamp
                ])
                .expect("participant");
            let attributes = [
                ("name", format!("Peserta Nomor {id}")),
                ("phone", format!("62812{id:08}")),
                ("birth_date", format!("{}-03-15", 1965 + id % 40)),
                ("attended_1", "1".to_string()),
                ("attended_2", if id % 3 != 0 { "1" } else { "0" }.into()),
                ("attended_3", if id % 5 != 0 { "1" } else { "0" }.into()),
            ];
            for (name, value) in &attributes {
                pantau::participants::attributes::set_values(
                    &tx,
                    id,
                    &[(name, value.as_str())],
                    None,
                    &stamp,
                )
                .expect("attribute");
            }
            let baseline = if id % 2 == 0 { "expired" } else { "submitted" };
            invitation
                .execute(params![
                    id,
                    "baseline",
                    format!("b{id}"),
                    baseline,
                    rfc3339(now - TimeDelta::days(100)),
                    rfc3339(now - TimeDelta::days(70)),
                ])
                .expect("baseline invitation");
            invitation
                .execute(params![
                    id,
                    "m3",
                    format!("m{id}"),
                    "sent",
                    rfc3339(now - TimeDelta::days(id % 28)),
                    rfc3339(now + TimeDelta::days(2 + id % 28)),
                ])
                .expect("m3 invitation");
            if id % 3 == 0 {
                let m3 = tx.last_insert_rowid();
                reminder.execute(params![m3, 1, stamp]).expect("reminder");
            }
        }
    }
    tx.commit().expect("commit");
}
