//! Admin dashboard benchmark: a database of 1,000,000 participants (`PANTAU_BENCH_ROWS` for
//! fewer) in 10 cohorts, invited to 3 waves (3,000,000 invitations) with about 1,500,000
//! responses and their consents, then the dashboard rendered as the `/admin` handler renders
//! it ([`pantau::dashboard::figures`] and the page body).
//!
//! The participants come through the real roster import (a synthetic roster written as CSV,
//! `pantau::synthetic`, then `import_path`), never by writing roster attributes by hand;
//! invitations, consents and responses are inserted with SQL, so the dashboard's triggers keep
//! its counts as they would in production. The database is cached under
//! `target/bench-data/dashboard-{rows}/` (delete the folder to rebuild it).
//!
//! Prints the first view's time, then the median and 95th percentile of: a full render, the
//! funnel alone on 30 successive days (from the counts kept by migration 0007); and, for
//! comparison, the funnel and the wave and cohort table counted from the base tables as before
//! the kept counts (each asserted equal to the kept figures).
//!
//! Run with `cargo bench --bench dashboard`.

mod common;

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use pantau::dashboard::{figures, funnel, funnel_from_scratch, wave_cohorts_from_scratch};
use pantau::import::ImportStatus;
use pantau::invitations::rfc3339;
use pantau::synthetic::{Spec, Style, roster, write_csv};
use rusqlite::params;

/// Waves and the day each opened.
const WAVES: [(&str, &str); 3] = [
    ("baseline", "2026-03-02T02:00:00Z"),
    ("m3", "2026-07-01T02:00:00Z"),
    ("m6", "2026-10-20T02:00:00Z"),
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo test --benches` and `cargo bench -- --list` must not build a large database.
    if args.iter().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let rows: usize = std::env::var("PANTAU_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("bench-data")
        .join(format!("dashboard-{rows}"));
    let db = dir.join("pantau.db");
    let complete = dir.join("complete");
    if !complete.exists() {
        build(&dir, &db, rows);
        std::fs::write(&complete, "built\n").expect("marker");
    }

    let conn = pantau::db::open(&db).expect("the database opens");
    let counts: (i64, i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM participants), (SELECT count(*) FROM invitations),
                    (SELECT count(*) FROM responses)",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .expect("counts");
    println!(
        "dashboard benchmark: {} participants, {} invitations, {} responses",
        counts.0, counts.1, counts.2
    );
    let zone: chrono_tz::Tz = "Asia/Jakarta".parse().expect("zone");
    let today = NaiveDate::from_ymd_opt(2026, 11, 29).expect("date");
    let texts = &pantau::web::admin::texts::ENGLISH;

    // The first view after the server starts: nothing in memory, as after an import or at
    // midnight (the dashboard keeps nothing between views).
    let started = Instant::now();
    let figures = figures(&conn, today, zone).expect("figures");
    let page = pantau::web::admin::dashboard::body(texts, &figures).into_string();
    let first = started.elapsed().as_secs_f64() * 1000.0;
    println!(
        "first view: {first:.1} ms, {} KB of HTML, {} wave/cohort rows",
        page.len() / 1000,
        figures.waves.len()
    );

    let views: Vec<f64> = (0..30)
        .map(|_| {
            let started = Instant::now();
            let figures = pantau::dashboard::figures(&conn, today, zone).expect("figures");
            let page = pantau::web::admin::dashboard::body(texts, &figures).into_string();
            assert!(page.contains("Angkatan 10"));
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    report("view, 30 runs", views);

    // Each day of a year: a new day is a new age computation over the kept counts.
    let funnels: Vec<f64> = (0..30)
        .map(|day| {
            let started = Instant::now();
            funnel(&conn, today + Duration::days(day)).expect("funnel");
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    report("funnel from the kept counts, 30 days, 30 runs", funnels);
    let kept_rows: i64 = conn
        .query_row("SELECT count(*) FROM funnel_counts", [], |row| row.get(0))
        .expect("funnel_counts");
    println!("funnel_counts rows: {kept_rows}");

    let started = Instant::now();
    let scratch_funnel = funnel_from_scratch(&conn, today).expect("funnel from scratch");
    println!(
        "funnel counted from every roster row (before 0007), 1 run: {:.1} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    assert_eq!(
        scratch_funnel, figures.funnel,
        "the kept funnel differs from a count from scratch"
    );

    let started = Instant::now();
    let scratch = wave_cohorts_from_scratch(&conn).expect("recount");
    println!(
        "wave/cohort table counted from the base tables (before 0006), 1 run: {:.1} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    assert_eq!(
        scratch, figures.waves,
        "the kept counts differ from a recount"
    );
}

fn report(what: &str, mut millis: Vec<f64>) {
    millis.sort_by(f64::total_cmp);
    let median = millis[millis.len() / 2];
    let p95 = millis[((millis.len() as f64 * 0.95).ceil() as usize).min(millis.len()) - 1];
    println!("{what}: median {median:.1} ms, p95 {p95:.1} ms");
}

/// Builds the database: roster import, then invitations, consents and responses.
fn build(dir: &Path, db: &Path, rows: usize) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("bench data folder");
    let started = Instant::now();
    let mut people = roster(&Spec::new(2026, rows));
    for (n, person) in people.iter_mut().enumerate() {
        person.cohort = format!("Angkatan {}", 1 + n % 10);
    }
    let csv = dir.join("roster.csv");
    write_csv(&people, &Style::benchmark(), &csv).expect("the roster is written");
    drop(people);
    println!(
        "roster of {rows} written: {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let mut conn = pantau::db::open(db).expect("database");
    let reports: PathBuf = dir.join("reports");
    let outcome = common::import_file(&mut conn, &csv, &reports);
    assert!(
        matches!(outcome.status, ImportStatus::Imported),
        "{:?}: {:?}",
        outcome.status,
        outcome.problems.first()
    );
    println!("import: {:.1} s", started.elapsed().as_secs_f64());

    let started = Instant::now();
    let tx = conn.transaction().expect("transaction");
    {
        let mut wave = tx
            .prepare("INSERT INTO waves (name, form_file, updated_at) VALUES (?1, 'f.xlsx', ?2)")
            .expect("statement");
        for (name, opened) in WAVES {
            wave.execute(params![name, opened]).expect("wave");
        }
        let ids: Vec<i64> = tx
            .prepare("SELECT id FROM participants ORDER BY id")
            .expect("statement")
            .query_map([], |row| row.get(0))
            .expect("ids")
            .collect::<Result<_, _>>()
            .expect("ids");
        let mut invitation = tx
            .prepare(
                "INSERT INTO invitations
                     (participant_id, wave, token, status, issued_at, opens_at, closes_at, opened_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7)",
            )
            .expect("statement");
        let mut consent = tx
            .prepare(
                "INSERT INTO consents (invitation_id, decision, text_version, language, decided_at)
                 VALUES (?1, 'accepted', '1', 'id', ?2)",
            )
            .expect("statement");
        let mut response = tx
            .prepare(
                "INSERT INTO responses (invitation_id, submission_id, form_id, form_version,
                                        answers, language, submitted_at)
                 VALUES (?1, ?2, 'followup', '1', '{\"work_status\":\"employed\"}', 'id', ?3)",
            )
            .expect("statement");
        // Of every 20 participants: 14 answer the baseline, 10 the m3 wave, 6 the m6 wave
        // (30 of 60 invitations: about 1,500,000 responses); two more per wave open the link.
        let answers = [14u64, 10, 6];
        for id in ids {
            let slot = (id as u64).wrapping_mul(2_654_435_761) % 20;
            for (n, (wave, opened)) in WAVES.iter().enumerate() {
                let opened_on: DateTime<Utc> = DateTime::parse_from_rfc3339(opened)
                    .expect("time")
                    .with_timezone(&Utc);
                let issued = opened_on + Duration::hours(id % 14 * 24 + id % 7);
                let submitted = slot < answers[n];
                let looked = slot < answers[n] + 2;
                let status = if submitted {
                    "submitted"
                } else if looked {
                    "opened"
                } else {
                    "sent"
                };
                let opened_at = looked.then(|| rfc3339(issued + Duration::hours(3)));
                invitation
                    .execute(params![
                        id,
                        wave,
                        format!("{wave}-{id:07}-bench-token"),
                        status,
                        rfc3339(issued),
                        rfc3339(issued + Duration::days(30)),
                        opened_at
                    ])
                    .expect("invitation");
                let invitation_id = tx.last_insert_rowid();
                if looked {
                    consent
                        .execute(params![invitation_id, rfc3339(issued + Duration::hours(3))])
                        .expect("consent");
                }
                if submitted {
                    let at = issued + Duration::hours(4 + id % 20 * 12);
                    response
                        .execute(params![
                            invitation_id,
                            format!("submission-{wave}-{id:07}"),
                            rfc3339(at)
                        ])
                        .expect("response");
                }
            }
        }
    }
    tx.commit().expect("commit");
    println!(
        "invitations, consents and responses: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
