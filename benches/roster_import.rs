//! Roster import benchmark: a 1,000,000-row, 16-column synthetic `.xlsx` roster, timed
//! (a) read by calamine alone, (b) imported whole by pantau into a fresh database, (b2) the
//! admin search index built after (b)'s commit, as the server's indexer builds it (outside the
//! import's time: see `participants::search_index`), (c) imported again unchanged, (d) imported again with 1% of its rows changed, and
//! (e) read by `pandas.read_excel(engine="calamine")` when Python has pandas.
//!
//! (a) and (b) run in turn `PANTAU_BENCH_REPEATS` times (default 3), each (b) into a fresh
//! database, and the ratio is taken between their medians: calamine's own time varies by a
//! quarter from one run to the next on the shared machine (10.6 to 13.9 s within minutes, the
//! same work), too much for one run of each to compare.
//!
//! Run with `cargo bench --bench roster_import`; `PANTAU_BENCH_ROWS=100000` for a smaller file.
//! The workbooks are generated once and cached under `target/bench-data/`. Each phase runs in a
//! child process of this binary so that its peak memory (`VmHWM`) is its own.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use calamine::Reader;
use common::{cpu_seconds, peak_kib};
use pantau::import::ImportStatus;
use pantau::synthetic::{Spec, Style, roster, write_xlsx};

/// The allocator `pantau` itself runs with (`src/main.rs`), so that the import is timed as
/// `pantau import` runs it; calamine alone gets it too.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--phase") {
        let phase = &args[at + 1];
        let file = Path::new(&args[at + 2]);
        let db = Path::new(&args[at + 3]);
        let started = Instant::now();
        let detail = run_phase(phase, file, db);
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "RESULT {seconds:.3} {} {:.2} {detail}",
            peak_kib(),
            cpu_seconds()
        );
        return;
    }
    // `cargo test --benches` and `cargo bench -- --list` must not run an hour of work.
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
    let name = format!("roster-{rows}x16.xlsx");
    let file = data.join(&name);
    // The changed roster carries the same file name, so its import counts as a newer version
    // of the same roster (updates, not conflicts).
    let changed = data.join("changed").join(&name);
    prepare(rows, &file, &changed);
    let db_dir = data.join(format!("db-{rows}"));
    let db = db_dir.join("pantau.db");
    let fresh_database = || {
        let _ = std::fs::remove_dir_all(&db_dir);
        std::fs::create_dir_all(&db_dir).expect("bench database folder");
    };
    let repeats: usize = std::env::var("PANTAU_BENCH_REPEATS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);

    println!(
        "roster import benchmark: {rows} rows x 16 columns, {} MB",
        std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0) / 1_000_000
    );
    println!(
        "{:<44} {:>10} {:>8} {:>12}  detail",
        "phase", "seconds", "CPU s", "peak MiB"
    );
    let line = |label: &str, (secs, kib, cpu_secs, detail): &(f64, u64, f64, String)| {
        println!(
            "{label:<44} {secs:>10.2} {cpu_secs:>8.2} {:>12.0}  {detail}",
            *kib as f64 / 1024.0
        );
    };
    // (a) and (b) in turn, (b) into a fresh database each time; the last (b)'s database is
    // the one the later phases work on.
    let mut calamine = Vec::new();
    let mut import = Vec::new();
    for run in 1..=repeats {
        let read = child("calamine", &file, &db);
        line(&format!("(a) calamine alone, run {run}"), &read);
        calamine.push(read);
        fresh_database();
        let imported = child("import", &file, &db);
        line(
            &format!("(b) pantau import, fresh database, run {run}"),
            &imported,
        );
        import.push(imported);
    }
    let later = [
        (
            "search-index",
            "(b2) admin search index, after (b)'s commit",
            &file,
        ),
        ("import", "(c) re-import, unchanged file", &file),
        ("import", "(d) re-import, 1% of rows changed", &changed),
    ];
    let mut results = Vec::new();
    for (phase, label, path) in later {
        let result = child(phase, path, &db);
        line(label, &result);
        results.push(result);
    }
    let (calamine_secs, calamine_cpu) = medians(&calamine);
    let (import_secs, import_cpu) = medians(&import);
    println!(
        "{:<44} {calamine_secs:>10.2} {calamine_cpu:>8.2}",
        "(a) calamine alone, median"
    );
    println!(
        "{:<44} {import_secs:>10.2} {import_cpu:>8.2}  peak {:.0} MiB at most",
        "(b) pantau import, median",
        import.iter().map(|r| r.1).max().unwrap_or(0) as f64 / 1024.0
    );
    match pandas(&file) {
        Some(secs) => println!(
            "{:<44} {secs:>10.2} {:>12}  python benches/pandas_read.py",
            "(e) pandas.read_excel(engine=\"calamine\")", "-"
        ),
        None => println!(
            "(e) pandas: skipped (benches/peers.sh failed and python3 has no pandas with python-calamine)"
        ),
    }
    println!(
        "full import / calamine alone, medians of {repeats}: {:.2}x wall (target 1.3x), {:.2}x CPU",
        import_secs / calamine_secs,
        import_cpu / calamine_cpu
    );
    let changed = &results[2];
    println!(
        "1% changed re-import / calamine alone (median): {:.2}x wall, {:.2}x CPU",
        changed.0 / calamine_secs,
        changed.2 / calamine_cpu
    );
}

/// The medians of wall and CPU seconds (each on its own) of `runs`.
fn medians(runs: &[(f64, u64, f64, String)]) -> (f64, f64) {
    let median = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        let middle = values.len() / 2;
        match values.len() % 2 {
            1 => values[middle],
            _ => (values[middle - 1] + values[middle]) / 2.0,
        }
    };
    (
        median(runs.iter().map(|r| r.0).collect()),
        median(runs.iter().map(|r| r.2).collect()),
    )
}

/// Generates the roster and its 1%-changed copy unless cached.
fn prepare(rows: usize, file: &Path, changed: &Path) {
    if file.exists() && changed.exists() {
        return;
    }
    std::fs::create_dir_all(changed.parent().expect("folder")).expect("bench data folder");
    let started = Instant::now();
    let mut people = roster(&Spec::new(2026, rows));
    write_xlsx(&people, &Style::benchmark(), file).expect("write the benchmark roster");
    for person in people.iter_mut().step_by(100) {
        person.last_wage += 100_000;
    }
    write_xlsx(&people, &Style::benchmark(), changed).expect("write the changed roster");
    eprintln!(
        "generated {} and its changed copy in {:.1} s",
        file.display(),
        started.elapsed().as_secs_f64()
    );
}

/// Runs one phase in a child process; (wall seconds, peak KiB, CPU seconds, detail).
fn child(phase: &str, file: &Path, db: &Path) -> (f64, u64, f64, String) {
    let output = Command::new(std::env::current_exe().expect("own path"))
        .args(["--phase", phase])
        .arg(file)
        .arg(db)
        .output()
        .expect("run a phase");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .unwrap_or_else(|| {
            panic!(
                "phase {phase} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    let mut parts = line.splitn(4, ' ');
    let seconds = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0.0);
    let kib = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let cpu = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0.0);
    (seconds, kib, cpu, parts.next().unwrap_or("").to_owned())
}

fn run_phase(phase: &str, file: &Path, db: &Path) -> String {
    match phase {
        // What the server's indexer does after a first import, all of it at once.
        "search-index" => {
            let mut conn = pantau::db::open(db).expect("database");
            let added =
                pantau::participants::search_index::catch_up(&mut conn).expect("search index");
            format!("{added} participants added")
        }
        "calamine" => {
            let mut workbook = calamine::open_workbook_auto(file).expect("open");
            let name = workbook.sheet_names()[0].clone();
            let range = workbook.worksheet_range(&name).expect("range");
            let cells = range
                .used_cells()
                .filter(|(_, _, c)| !matches!(c, calamine::Data::Empty))
                .count();
            format!("{cells} cells")
        }
        _ => {
            let mut conn = pantau::db::open(db).expect("database");
            let reports: PathBuf = db.with_file_name("reports");
            let outcome = common::import_file(&mut conn, file, &reports);
            assert!(
                matches!(
                    outcome.status,
                    ImportStatus::Imported | ImportStatus::Skipped
                ),
                "{:?}: {:?}",
                outcome.status,
                outcome.problems.first()
            );
            format!(
                "{:?}: new {} updated {} unchanged {} warnings {}",
                outcome.status,
                outcome.counts.new,
                outcome.counts.updated,
                outcome.counts.unchanged,
                outcome.warnings
            )
        }
    }
}

/// Seconds pandas needs to read the file, from `benches/pandas_read.py`, run by the pinned
/// Python of `benches/peers.sh` (installed when missing), else by `python3`.
fn pandas(file: &Path) -> Option<f64> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("benches/pandas_read.py");
    let peer = Command::new("bash")
        .arg(root.join("benches/peers.sh"))
        .status()
        .is_ok_and(|status| status.success());
    let python = match peer {
        true => root.join("target/bench-venv/bin/python"),
        false => PathBuf::from("python3"),
    };
    let output = Command::new(python).arg(script).arg(file).output().ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("seconds "))
        .and_then(|s| s.trim().parse().ok())
}
