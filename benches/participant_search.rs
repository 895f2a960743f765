//! Admin participant search benchmark: a database of 1,000,000 synthetic participants
//! (`synthetic::roster`, seed 2026), then the function behind `/admin/participants` ([`search`])
//! and the page's content ([`list_body`]) timed on typical searches, including fragments of
//! one and two characters.
//!
//! Run with `cargo bench --bench participant_search`; `PANTAU_BENCH_ROWS=100000` for a smaller
//! database. The database is cached under `target/bench-data/search-<rows>/` (about 1 GB at a
//! million; delete it when done). It is filled by inserting each participant's row through
//! `participants::attributes` (the one writer of roster values), so the triggers fill the
//! search table and its indexes exactly as an import does, without writing and reading a
//! million-row workbook first (the import itself is measured by `roster_import`).

use std::path::Path;
use std::time::{Duration, Instant};

use pantau::participants::attributes;
use pantau::synthetic::{Spec, roster};
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
    // The last two letters of the name (a piece at a word's end) and its first letter.
    let letters: Vec<char> = name.chars().collect();
    let two: String = letters[letters.len() - 2..].iter().collect();
    let one: String = letters[..1].iter().collect();
    let digits = nik[12..14].to_owned();
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
            "a name matching nobody (\"qxzv\")".into(),
            filters("qxzv", ""),
        ),
        (
            "a name matching nobody + cohort".into(),
            filters("qxzv", &cohort),
        ),
        // Shorter than a trigram: names through the index of one- and two-character pieces
        // (migration 0010), digits by walking participant_search in id order.
        (format!("2 characters {two:?}"), filters(&two, "")),
        (
            format!("2 characters {two:?} + cohort"),
            filters(&two, &cohort),
        ),
        (
            "2 characters matching nobody (\"qx\")".into(),
            filters("qx", ""),
        ),
        (
            "2 characters matching nobody + cohort".into(),
            filters("qx", &cohort),
        ),
        (format!("1 character {one:?}"), filters(&one, "")),
        (
            format!("1 character {one:?} + cohort"),
            filters(&one, &cohort),
        ),
        (
            "1 character matching nobody (\"q\")".into(),
            filters("q", ""),
        ),
        (
            "1 character matching nobody + cohort".into(),
            filters("q", &cohort),
        ),
        (format!("2 digits {digits:?} (walk)"), filters(&digits, "")),
        (
            format!("2 digits {digits:?} + cohort (walk)"),
            filters(&digits, &cohort),
        ),
        (
            format!("1 digit {:?} + cohort (walk)", &digits[..1]),
            filters(&digits[..1], &cohort),
        ),
    ];
    let texts = pantau::web::admin::texts::texts("id");
    println!(
        "{:<48} {:>6} {:>10} {:>10} {:>10} {:>12}",
        "search", "found", "median ms", "p95 ms", "cpu ms", "render ms"
    );
    for (label, filters) in &searches {
        let mut times = Vec::with_capacity(RUNS);
        let mut renders = Vec::with_capacity(RUNS);
        let mut found = 0;
        let cpu = cpu_ns();
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
        let cpu = (cpu_ns() - cpu) as f64 / RUNS as f64 / 1e6;
        println!(
            "{label:<48} {found:>6} {:>10.2} {:>10.2} {cpu:>10.2} {:>12.3}",
            ms(percentile(&mut times, 50)),
            ms(percentile(&mut times, 95)),
            ms(percentile(&mut renders, 50)),
        );
    }

    // For comparison in the same run: what a name fragment of two characters cost before
    // migration 0010, the walk of participant_search in id order that the search used for it
    // (the same SQL, with the pieces index left out), for one that nobody has.
    let walk = "SELECT p.id, p.pseudonym, s.name, s.phone, s.cohort, s.union_name,
                       p.erased_at IS NOT NULL
                FROM participant_search s JOIN participants p ON p.id = s.participant_id
                WHERE 1 = 1 AND (s.name LIKE ?1 ESCAPE '\\')
                ORDER BY s.participant_id LIMIT 51 OFFSET 0";
    let mut times = Vec::with_capacity(RUNS);
    let cpu = cpu_ns();
    let mut found = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        let mut statement = conn.prepare_cached(walk).expect("the walk");
        found = statement
            .query_map(["%qx%"], |row| row.get::<_, i64>(0))
            .expect("the walk runs")
            .count();
        times.push(started.elapsed());
    }
    let cpu = (cpu_ns() - cpu) as f64 / RUNS as f64 / 1e6;
    println!(
        "{:<48} {found:>6} {:>10.2} {:>10.2} {cpu:>10.2} {:>12}",
        "\"qx\" by the walk before 0010 (comparison)",
        ms(percentile(&mut times, 50)),
        ms(percentile(&mut times, 95)),
        "-",
    );
}

/// CPU time this thread has used, in nanoseconds (`/proc/thread-self/schedstat`), so that a
/// figure can be told apart from waiting for the other engineers' processes; 0 where /proc
/// does not tell.
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
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

/// The cached database of `rows` participants, filled when missing.
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
    let mut conn = pantau::db::open(&db).expect("database");
    let started = Instant::now();
    let people = roster(&Spec::new(2026, rows));
    let at = "2025-12-01T00:00:00Z";
    let tx = conn.transaction().expect("transaction");
    {
        let mut participant = tx
            .prepare(
                "INSERT INTO participants (participant_key, pseudonym, created_at)
                 VALUES (?1, ?2, ?3)",
            )
            .expect("insert participants");
        let mut attrs = String::new();
        for (index, person) in people.iter().enumerate() {
            participant
                .execute((
                    format!("id:{}", person.participant_id),
                    format!("P-{index:08}"),
                    at,
                ))
                .expect("a participant");
            let id = tx.last_insert_rowid();
            let birth_date = person.birth_date.to_string();
            let training_date = person.training_date.to_string();
            let wage = person.last_wage.to_string();
            let sex = person.sex.to_string();
            // Keys in order, as an import's BTreeMap gives them.
            let values = [
                ("birth_date", birth_date.as_str()),
                ("cohort", &person.cohort),
                ("last_employer", &person.last_employer),
                ("last_wage", &wage),
                ("name", &person.name),
                ("nik", &person.nik),
                ("participant_id", &person.participant_id),
                ("phone", &person.phone),
                ("province", person.province),
                ("regency", person.regency),
                ("sector", person.sector),
                ("sex", &sex),
                ("training_date", &training_date),
                ("training_location", person.training_location),
                ("union", &person.union),
            ];
            attrs.clear();
            attributes::encode(values, &mut attrs);
            attributes::insert_new(&tx, id, &attrs, None, at).expect("roster values");
        }
    }
    tx.commit().expect("commit");
    eprintln!(
        "built {} with {} participants in {:.1} s",
        db.display(),
        people.len(),
        started.elapsed().as_secs_f64()
    );
    conn
}
