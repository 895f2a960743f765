//! Admin participant search benchmark: a database of 1,000,000 participants built once through
//! the real import path (a synthetic 16-column roster, `synthetic::Style::benchmark()`, seed
//! 2026), then the function behind `/admin/participants` ([`search`]) and the page's content
//! ([`list_body`]) timed on typical searches.
//!
//! Run with `cargo bench --bench participant_search`; `PANTAU_BENCH_ROWS=100000` for a smaller
//! database. The roster and the database are cached under `target/bench-data/`.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pantau::import::ImportStatus;
use pantau::synthetic::{Spec, Style, roster, write_xlsx};
use pantau::web::admin::participants::{Filters, list_body, search};
use rusqlite::Connection;

/// Times each search is run.
const RUNS: usize = 25;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo test --benches` and `cargo bench -- --list` must not build a million participants.
    if args.iter().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let rows: usize = std::env::var("PANTAU_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let data = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("bench-data");
    let conn = database(&data, rows);
    let total: i64 = conn
        .query_row("SELECT count(*) FROM participants", [], |row| row.get(0))
        .expect("count");
    println!("participant search benchmark: {total} participants, {RUNS} runs each");

    // Fragments taken from the data, so that each kind of search finds people.
    let (name, phone, nik, cohort): (String, String, String, String) = conn
        .query_row(
            "SELECT name, phone, nik, cohort FROM participant_search
             WHERE participant_id = ?1",
            [total / 2],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
        .expect("a participant in the middle");
    let name_fragment: String = name
        .split_whitespace()
        .last()
        .unwrap_or(&name)
        .chars()
        .take(5)
        .collect();
    let phone_fragment = phone[phone.len() - 4..].to_owned();
    let nik_fragment = nik[6..12].to_owned();
    let searches: Vec<(String, Filters)> = vec![
        ("list, no filter".into(), filters("", "")),
        (
            format!("name fragment {name_fragment:?}"),
            filters(&name_fragment, ""),
        ),
        (
            format!("name fragment {name_fragment:?} + cohort"),
            filters(&name_fragment, &cohort),
        ),
        (
            format!("phone fragment {phone_fragment:?}"),
            filters(&phone_fragment, ""),
        ),
        (
            format!("phone fragment {phone_fragment:?} + cohort"),
            filters(&phone_fragment, &cohort),
        ),
        (
            format!("NIK fragment {nik_fragment:?}"),
            filters(&nik_fragment, ""),
        ),
        (
            format!("NIK fragment {nik_fragment:?} + cohort"),
            filters(&nik_fragment, &cohort),
        ),
        ("cohort only".into(), filters("", &cohort)),
        (
            "a name matching nobody (whole scan)".into(),
            filters("qxzv", ""),
        ),
        (
            "a name matching nobody + cohort".into(),
            filters("qxzv", &cohort),
        ),
        // Shorter than a trigram: these walk participant_search in id order instead.
        (
            "2 characters matching nobody (whole scan)".into(),
            filters("qx", ""),
        ),
        (
            "1 character".into(),
            filters(&name_fragment.chars().take(1).collect::<String>(), ""),
        ),
    ];
    let texts = pantau::web::admin::texts::texts("id");
    println!(
        "{:<48} {:>6} {:>10} {:>10} {:>12}",
        "search", "found", "median ms", "p95 ms", "render ms"
    );
    for (label, filters) in &searches {
        let mut times = Vec::with_capacity(RUNS);
        let mut renders = Vec::with_capacity(RUNS);
        let mut found = 0;
        for _ in 0..RUNS {
            let started = Instant::now();
            let page = search(&conn, filters, None).expect("search");
            times.push(started.elapsed());
            let started = Instant::now();
            let html = list_body(texts, filters, &page).into_string();
            renders.push(started.elapsed());
            found = page.rows.len();
            assert!(html.contains("<form"), "the page renders");
        }
        println!(
            "{label:<48} {found:>6} {:>10.2} {:>10.2} {:>12.3}",
            ms(percentile(&mut times, 50)),
            ms(percentile(&mut times, 95)),
            ms(percentile(&mut renders, 50)),
        );
    }
}

fn filters(q: &str, cohort: &str) -> Filters {
    Filters {
        q: q.to_owned(),
        cohort: cohort.to_owned(),
        ..Filters::default()
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn percentile(times: &mut [Duration], p: usize) -> Duration {
    times.sort();
    let index = (times.len() * p).div_ceil(100).saturating_sub(1);
    times[index.min(times.len() - 1)]
}

/// The cached database of `rows` participants, built through `pantau::import` when missing.
fn database(data: &Path, rows: usize) -> Connection {
    let dir = data.join(format!("search-{rows}"));
    let db = dir.join("pantau.db");
    if let Ok(conn) = pantau::db::open(&db) {
        let count: i64 = conn
            .query_row("SELECT count(*) FROM participants", [], |row| row.get(0))
            .unwrap_or(0);
        if count as usize == rows {
            return conn;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench database folder");
    let file = data.join(format!("roster-{rows}x16.xlsx"));
    if !file.exists() {
        let people = roster(&Spec::new(2026, rows));
        write_xlsx(&people, &Style::benchmark(), &file).expect("write the benchmark roster");
    }
    let mut conn = pantau::db::open(&db).expect("database");
    let reports: PathBuf = dir.join("reports");
    let started = Instant::now();
    let outcome = common::import_file(&mut conn, &file, &reports);
    assert_eq!(
        outcome.status,
        ImportStatus::Imported,
        "{:?}",
        outcome.problems.first()
    );
    eprintln!(
        "built {} with {} participants in {:.1} s",
        db.display(),
        outcome.counts.new,
        started.elapsed().as_secs_f64()
    );
    conn
}
