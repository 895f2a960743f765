//! The job at a million participants (issue 5, Performance): pantau's import, merge,
//! indicators and donor workbook against (a) the floor — calamine reading the same roster plus
//! rust_xlsxwriter writing a sheet the size of the donor participant sheet — and (b) the same
//! job written with pandas (`benches/pandas_job.py`), timed in one run.
//!
//! Run with `cargo bench --bench job_million`; `PANTAU_BENCH_PARTICIPANTS=100000` for a smaller
//! programme (default 1,000,000). Everything it generates is cached under
//! `target/bench-data/job-N/`, outside the timed phases: the synthetic roster (16 columns,
//! `synthetic::Style::benchmark()`, seed 2026), a prepared database (that roster imported, then
//! three waves of invitations and responses inserted by SQL with answers from
//! `synthetic::answers`) and the same responses as `responses.xlsx` (one sheet per wave) for
//! the pandas peer.
//!
//! Every phase runs in a child process of this binary (or Python), so its peak resident memory
//! (`VmHWM`, or `/usr/bin/time -v` for Python) is its own. pantau's job child runs the job as
//! `pantau run` does after the import, from an empty job cache, and reports each step: one
//! shared read of roster values and answers (the job cache read on its thread meanwhile), the
//! report from it (`assemble_checked`: merge with the data-quality flags found beside it and
//! stored, job cache written, indicators, tables, each phase's wall time as well) and the
//! donor workbook. Then,
//! outside the job's total, merge and indicators measured apart on the same data.
//!
//! Responses come from a pool: synthetic answers cost about a millisecond each (the form is
//! evaluated field by field), so each wave draws a pool of answer sets and participant `i`
//! gets the pool entry `i mod POOL` of every wave, which keeps one participant's story across
//! waves while generating in seconds.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use calamine::Reader;
use chrono::{DateTime, NaiveDate, Utc};
use common::peak_kib;
use pantau::config::{Config, WorkbookVariant};
use pantau::import::ImportStatus;
use pantau::indicators::Record;
use pantau::pipeline::cache::Cache;
use pantau::pipeline::inputs::Inputs;
use pantau::pipeline::merge::{MergeContext, roster_records, wave_records_from};
use pantau::pipeline::quality;
use pantau::pipeline::report::{Forms, ReportInputs, assemble_checked};
use pantau::pipeline::timing::Timings;
use pantau::reference::Reference;
use pantau::report::{Cell, ParticipantTable};
use pantau::synthetic::{Persona, Rng, Spec, Style, answers, roster, write_xlsx};
use rusqlite::params;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

/// Answer sets drawn per wave (see the module documentation).
const POOL: usize = 4_096;

/// The waves: name, form, window opening and closing, share of participants who answer.
const WAVES: [(&str, &str, &str, &str, f64); 3] = [
    (
        "baseline",
        "baseline.xlsx",
        "2025-10-01T00:00:00Z",
        "2025-12-31T00:00:00Z",
        0.90,
    ),
    (
        "m3",
        "followup.xlsx",
        "2026-02-01T00:00:00Z",
        "2026-03-31T00:00:00Z",
        0.75,
    ),
    (
        "m6",
        "followup.xlsx",
        "2026-05-01T00:00:00Z",
        "2026-06-30T00:00:00Z",
        0.65,
    ),
];

/// When the benchmarked run happens: after every wave closed.
const RUN_AT: &str = "2026-07-01T02:00:00Z";

/// The allocator `pantau` itself runs with (`src/main.rs`), so that the job is timed as
/// `pantau run` runs it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--phase") {
        let rest = &args[at + 1..];
        let started = Clock::start();
        let detail = run_phase(rest);
        let spent = started.spent();
        println!(
            "RESULT total {:.3} {:.3} {} {detail}",
            spent.wall,
            spent.cpu,
            peak_kib()
        );
        return;
    }
    // `cargo test --benches` and `cargo bench -- --list` must not run an hour of work.
    if args.iter().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let participants: usize = std::env::var("PANTAU_BENCH_PARTICIPANTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let data = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("bench-data")
        .join(format!("job-{participants}"));
    std::fs::create_dir_all(&data).expect("bench data folder");
    let roster_file = data.join("roster.xlsx");
    let prepared = data.join("prepared.db");
    let responses = data.join("responses.xlsx");
    write_config(&data);
    prepare(participants, &data, &roster_file, &prepared, &responses);
    let python = python_peer();

    println!(
        "job benchmark: {participants} participants, 3 waves; roster {} MB, responses {} MB",
        size_mb(&roster_file),
        size_mb(&responses)
    );

    // pantau: the import into a fresh database, then the job on a copy of the prepared one.
    let fresh = data.join("fresh");
    let _ = std::fs::remove_dir_all(&fresh);
    std::fs::create_dir_all(&fresh).expect("fresh database folder");
    let import = child(&[
        "import".as_ref(),
        roster_file.as_os_str(),
        fresh.join("pantau.db").as_os_str(),
    ]);
    let job_db = data.join("job");
    let _ = std::fs::remove_dir_all(&job_db);
    std::fs::create_dir_all(&job_db).expect("job folder");
    std::fs::copy(&prepared, job_db.join("pantau.db")).expect("copy the prepared database");
    let donor = job_db.join("donor.xlsx");
    let job = child(&[
        "job".as_ref(),
        data.as_os_str(),
        job_db.join("pantau.db").as_os_str(),
        donor.as_os_str(),
    ]);
    let shape = job
        .shape
        .clone()
        .expect("the job reported the participant sheet's shape");

    // The floor: calamine reading the roster, rust_xlsxwriter writing the participant sheet's
    // cells (same rows, columns, kinds and fill).
    let read = child(&["read".as_ref(), roster_file.as_os_str()]);
    let floor_file = data.join("floor.xlsx");
    let write = child(&["write".as_ref(), shape.as_ref(), floor_file.as_os_str()]);

    // pandas.
    let pandas_out = data.join("pandas.xlsx");
    let pandas = run_pandas(&python, &roster_file, &responses, &pandas_out);

    let floor = read.total + write.total;
    let pantau_job = import.total
        + job.step("read")
        + job.step("flags")
        + job.step("report")
        + job.step("workbook")
        + job.step("cache");
    // The job's own peak: its steps', not the merge and indicators measured apart after it.
    let job_peak = ["read", "flags", "report", "workbook", "cache"]
        .iter()
        .filter_map(|step| job.step_peaks.get(*step))
        .max()
        .copied()
        .unwrap_or(job.peak);
    let mib = |kib: u64| format!("{:.0}", kib as f64 / 1024.0);
    println!();
    println!("participant sheet: {}", describe_shape(&shape));
    println!(
        "{:<56} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9}",
        "phase", "wall s", "CPU s", "peak MiB", "wall/fl", "CPU/fl", "pd/pt wall", "pd/pt CPU"
    );
    let line = |label: &str, time: Time, peak: String, versus: Option<Time>| {
        let (wall, cpu) = versus.map_or((String::new(), String::new()), |v| {
            (
                format!("{:.2}x", v.wall / time.wall),
                format!("{:.2}x", v.cpu / time.cpu),
            )
        });
        println!(
            "{label:<56} {:>8.2} {:>8.2} {peak:>8} {:>8} {:>8} {wall:>10} {cpu:>9}",
            time.wall,
            time.cpu,
            format!("{:.2}x", time.wall / floor.wall),
            format!("{:.2}x", time.cpu / floor.cpu),
        );
    };
    let none = || "-".to_owned();
    line(
        "floor (a): calamine reads the roster",
        read.total,
        mib(read.peak),
        None,
    );
    line(
        "floor (b): rust_xlsxwriter writes the sheet",
        write.total,
        mib(write.peak),
        None,
    );
    line("floor = (a) + (b)", floor, none(), None);
    line(
        "pantau import (fresh database)",
        import.total,
        mib(import.peak),
        pandas.steps.get("read").copied(),
    );
    line(
        "pantau read roster values and answers (shared)",
        job.step("read"),
        mib(job.step_peaks.get("read").copied().unwrap_or(0)),
        None,
    );
    line(
        "pantau data-quality flags",
        job.step("flags"),
        mib(job.step_peaks.get("flags").copied().unwrap_or(0)),
        None,
    );
    line(
        "pantau report (merge + cache, indicators, tables)",
        job.step("report"),
        mib(job.step_peaks.get("report").copied().unwrap_or(0)),
        pandas.steps.get("compute").copied(),
    );
    for (part, seconds) in &job.parts {
        println!("    report: {part:<48} {seconds:>8.2} (wall s)");
    }
    line(
        "  merge alone (measured apart, same data)",
        job.step("merge"),
        none(),
        pandas.steps.get("merge").copied(),
    );
    line(
        "  indicators alone (measured apart, same data)",
        job.step("indicators"),
        none(),
        pandas.steps.get("indicators").copied(),
    );
    line(
        "pantau donor workbook",
        job.step("workbook"),
        mib(job.step_peaks.get("workbook").copied().unwrap_or(0)),
        pandas.steps.get("write").copied(),
    );
    line(
        "pantau: rest of the job cache write after the workbook",
        job.step("cache"),
        none(),
        None,
    );
    line(
        "pantau job = import + read + flags + report + workbook + cache",
        pantau_job,
        mib(import.peak.max(job_peak)),
        Some(pandas.total),
    );
    line(
        "pandas job (python start, read, merge, groupby, to_excel)",
        pandas.total,
        mib(pandas.peak),
        None,
    );
    println!(
        "pantau job / floor: {:.2}x wall, {:.2}x CPU (target within 1.5x); \
         pandas / pantau: {:.2}x wall, {:.2}x CPU (target 8x)",
        pantau_job.wall / floor.wall,
        pantau_job.cpu / floor.cpu,
        pandas.total.wall / pantau_job.wall,
        pandas.total.cpu / pantau_job.cpu
    );
    println!(
        "peak MiB: the job {} (the highest of its steps' high-water marks: read, flags, \
         report, workbook), merge and indicators measured apart after it {}; the import's \
         ({}) is its own",
        mib(job_peak),
        mib(job.peak),
        mib(import.peak)
    );
}

/// Wall-clock and CPU seconds (user + system, all threads) of one step: the machine is
/// shared, so CPU seconds are the steadier comparison and wall seconds the honest one.
#[derive(Debug, Clone, Copy, Default)]
struct Time {
    wall: f64,
    cpu: f64,
}

impl std::ops::Add for Time {
    type Output = Time;
    fn add(self, other: Time) -> Time {
        Time {
            wall: self.wall + other.wall,
            cpu: self.cpu + other.cpu,
        }
    }
}

/// A started step.
struct Clock {
    wall: Instant,
    cpu: f64,
}

impl Clock {
    fn start() -> Clock {
        Clock {
            wall: Instant::now(),
            cpu: cpu_seconds(),
        }
    }

    fn spent(&self) -> Time {
        Time {
            wall: self.wall.elapsed().as_secs_f64(),
            cpu: cpu_seconds() - self.cpu,
        }
    }
}

/// CPU time of this process so far (`utime + stime` of `/proc/self/stat`, in the kernel's
/// 100 Hz clock ticks, which is `getconf CLK_TCK` on Linux x86-64).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |index: usize| {
        fields
            .get(index)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

/// What one child reported: its total time, peak KiB, named steps and the sheet's shape.
struct Phase {
    total: Time,
    peak: u64,
    /// `STEP name wall cpu` lines.
    steps: BTreeMap<String, Time>,
    /// `SHAPE text`, from the job.
    shape: Option<String>,
    /// Each step's peak KiB (`STEP name wall cpu peak N MiB`).
    step_peaks: BTreeMap<String, u64>,
    /// `PART report name seconds`: the report's own phases, wall seconds, in order.
    parts: Vec<(String, f64)>,
}

impl Phase {
    fn step(&self, step: &str) -> Time {
        *self
            .steps
            .get(step)
            .unwrap_or_else(|| panic!("no step {step} was reported"))
    }
}

/// `wall cpu` as printed by a child, the rest of the line after them.
fn parse_time(text: &str) -> (Time, &str) {
    let mut parts = text.splitn(3, ' ');
    let mut next = || parts.next().and_then(|s| s.parse().ok()).unwrap_or(0.0);
    let time = Time {
        wall: next(),
        cpu: next(),
    };
    (time, parts.next().unwrap_or(""))
}

/// Runs this binary with `--phase ARGS…` and reads its report.
fn child(args: &[&std::ffi::OsStr]) -> Phase {
    let output = Command::new(std::env::current_exe().expect("own path"))
        .arg("--phase")
        .args(args)
        .output()
        .expect("run a phase");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let name = args[0].to_string_lossy();
    let mut phase = Phase {
        total: Time::default(),
        peak: 0,
        steps: BTreeMap::new(),
        shape: None,
        step_peaks: BTreeMap::new(),
        parts: Vec::new(),
    };
    let mut finished = false;
    for line in stdout.lines() {
        if let Some(rest) = line.strip_prefix("RESULT total ") {
            let (time, rest) = parse_time(rest);
            let (peak, detail) = rest.split_once(' ').unwrap_or((rest, ""));
            phase.total = time;
            phase.peak = peak.parse().unwrap_or(0);
            eprintln!(
                "  {name}: {:.2} s wall, {:.2} s CPU, peak {} MiB, {detail}",
                time.wall,
                time.cpu,
                phase.peak / 1024
            );
            finished = true;
        } else if let Some(rest) = line.strip_prefix("STEP ") {
            if let Some((step, times)) = rest.split_once(' ') {
                let (time, rest) = parse_time(times);
                eprintln!(
                    "  {name}/{step}: {:.2} s wall, {:.2} s CPU {rest}",
                    time.wall, time.cpu
                );
                phase.steps.insert(step.to_owned(), time);
                if let Some(mib) = rest
                    .strip_prefix("peak ")
                    .and_then(|peak| peak.split(' ').next())
                    .and_then(|mib| mib.parse::<u64>().ok())
                {
                    phase.step_peaks.insert(step.to_owned(), mib * 1024);
                }
            }
        } else if let Some(rest) = line.strip_prefix("PART report ") {
            if let Some((part, seconds)) = rest.rsplit_once(' ') {
                let seconds = seconds.parse().unwrap_or(0.0);
                eprintln!("  {name}/report/{part}: {seconds:.2} s wall");
                phase.parts.push((part.to_owned(), seconds));
            }
        } else if let Some(rest) = line.strip_prefix("SHAPE ") {
            phase.shape = Some(rest.to_owned());
        }
    }
    if !finished {
        panic!(
            "phase {name} failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    phase
}

fn run_phase(args: &[String]) -> String {
    match args[0].as_str() {
        "read" => read_roster(Path::new(&args[1])),
        "write" => write_floor(&args[1], Path::new(&args[2])),
        "import" => import_roster(Path::new(&args[1]), Path::new(&args[2])),
        "job" => job(
            Path::new(&args[1]),
            Path::new(&args[2]),
            Path::new(&args[3]),
        ),
        other => panic!("unknown phase {other}"),
    }
}

/// The configuration of the benchmarked programme: three waves on the shipped forms, the
/// default indicators and disaggregations.
fn write_config(data: &Path) {
    let forms = Path::new(env!("CARGO_MANIFEST_DIR")).join("forms");
    let mut toml = format!(
        "[paths]\nforms = \"{}\"\ndatabase = \"job/pantau.db\"\nreports = \"reports\"\n",
        forms.display()
    );
    for (index, (name, form, ..)) in WAVES.iter().enumerate() {
        let anchor = if index == 0 {
            "anchor = \"enrolment\"\n".to_owned()
        } else {
            format!("anchor = \"training_end\"\noffset_months = {}\n", index * 3)
        };
        toml.push_str(&format!(
            "\n[[waves]]\nname = \"{name}\"\nform = \"{form}\"\n{anchor}window_days = 30\n"
        ));
    }
    std::fs::write(data.join("pantau.toml"), toml).expect("bench configuration");
}

fn load_config(data: &Path) -> Config {
    Config::load(Some(&data.join("pantau.toml"))).expect("valid bench configuration")
}

/// Generates the roster, the prepared database and the responses workbook unless cached.
fn prepare(participants: usize, data: &Path, roster_file: &Path, db: &Path, responses: &Path) {
    let stamp = data.join("prepared.ok");
    if stamp.exists() && roster_file.exists() && db.exists() && responses.exists() {
        return;
    }
    let started = Instant::now();
    let people = roster(&Spec::new(2026, participants));
    write_xlsx(&people, &Style::benchmark(), roster_file).expect("write the benchmark roster");
    drop(people);
    eprintln!(
        "prepare: roster written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_file(db);
    let _ = std::fs::remove_file(db.with_extension("db-wal"));
    let _ = std::fs::remove_file(db.with_extension("db-shm"));
    let detail = import_roster(roster_file, db);
    eprintln!(
        "prepare: roster imported ({detail}) at {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let config = load_config(data);
    let forms = Forms::load(&config, &config.forms_dir()).expect("the shipped forms load");
    let mut conn = pantau::db::open(db).expect("prepared database");
    let ids: Vec<(i64, String)> = {
        let mut statement = conn
            .prepare(
                "SELECT participant_id, value FROM participant_attributes
                 WHERE name = 'participant_id' ORDER BY participant_id",
            )
            .expect("statement");
        statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .expect("participants")
            .collect::<Result<_, _>>()
            .expect("participants")
    };
    assert_eq!(ids.len(), participants, "every participant was imported");

    let mut book = Workbook::new();
    let tx = conn.transaction().expect("transaction");
    for (index, (wave, form_file, opens, closes, rate)) in WAVES.iter().enumerate() {
        let form = &forms.by_file[*form_file];
        let opens_at = DateTime::parse_from_rfc3339(opens).expect("time");
        let today = opens_at.date_naive() + chrono::Duration::days(10);
        let submitted = format!("{today}T03:00:00Z");
        let mut rng = Rng::new(7 + index as u64);
        let pool: Vec<BTreeMap<String, String>> = (0..POOL)
            .map(|n| {
                let persona = Persona {
                    wave_index: index,
                    last_wage: Some(3_000_000 + (n as u64 % 40) * 75_000),
                    fortune: (n as f64 + 0.5) / POOL as f64,
                };
                answers(form, &BTreeMap::new(), &persona, &mut rng, today)
            })
            .collect();
        let json: Vec<String> = pool
            .iter()
            .map(|a| serde_json::to_string(a).expect("answers as JSON"))
            .collect();
        let fields: Vec<String> = form
            .fields()
            .iter()
            .map(|f| f.name.clone())
            .filter(|name| pool.iter().any(|a| a.contains_key(name)))
            .collect();
        tx.execute(
            "INSERT INTO waves (name, form_file, updated_at) VALUES (?1, ?2, ?3)",
            params![wave, form_file, opens],
        )
        .expect("wave");
        let sheet = book
            .add_worksheet_with_constant_memory()
            .expect("constant memory sheet")
            .set_name(*wave)
            .expect("sheet name");
        sheet.write_string(0, 0, "participant_id").expect("header");
        for (column, name) in fields.iter().enumerate() {
            sheet
                .write_string(0, column as u16 + 1, name)
                .expect("header");
        }
        let mut invitation = tx
            .prepare(
                "INSERT INTO invitations (participant_id, wave, token, status, issued_at,
                                          opens_at, closes_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)",
            )
            .expect("statement");
        let mut response = tx
            .prepare(
                "INSERT INTO responses (invitation_id, submission_id, form_id, form_version,
                                        answers, language, submitted_at)
                 VALUES (?1, ?2, ?3, '1', ?4, 'id', ?5)",
            )
            .expect("statement");
        let mut chance = Rng::new(100 + index as u64);
        let mut row = 0u32;
        for (n, (id, key)) in ids.iter().enumerate() {
            let answered = chance.chance(*rate);
            let status = if answered { "submitted" } else { "expired" };
            invitation
                .execute(params![
                    id,
                    wave,
                    format!("{wave}-{id}"),
                    status,
                    opens,
                    closes
                ])
                .expect("invitation");
            if !answered {
                continue;
            }
            let invitation_id = tx.last_insert_rowid();
            let slot = n % POOL;
            response
                .execute(params![
                    invitation_id,
                    format!("{wave}-sub-{id}"),
                    form.id(),
                    json[slot],
                    submitted
                ])
                .expect("response");
            row += 1;
            sheet.write_string(row, 0, key).expect("cell");
            for (column, name) in fields.iter().enumerate() {
                let Some(value) = pool[slot].get(name) else {
                    continue;
                };
                let column = column as u16 + 1;
                match value.parse::<f64>() {
                    Ok(number) => sheet.write_number(row, column, number),
                    Err(_) => sheet.write_string(row, column, value),
                }
                .expect("cell");
            }
        }
        eprintln!(
            "prepare: wave {wave}: {row} responses at {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    tx.commit().expect("commit");
    drop(conn);
    book.save(responses).expect("responses workbook");
    std::fs::write(&stamp, "").expect("stamp");
    eprintln!(
        "prepare: done in {:.1} s (not timed)",
        started.elapsed().as_secs_f64()
    );
}

/// Floor (a): calamine reading every cell of the roster.
fn read_roster(file: &Path) -> String {
    let mut workbook = calamine::open_workbook_auto(file).expect("open");
    let name = workbook.sheet_names()[0].clone();
    let range = workbook.worksheet_range(&name).expect("range");
    let cells = range
        .used_cells()
        .filter(|(_, _, c)| !matches!(c, calamine::Data::Empty))
        .count();
    format!("{cells} cells")
}

/// A roster imported whole into the database at `db`.
fn import_roster(file: &Path, db: &Path) -> String {
    let mut conn = pantau::db::open(db).expect("database");
    let reports: PathBuf = db.with_file_name("reports");
    let outcome = common::import_file(&mut conn, file, &reports);
    assert!(
        matches!(outcome.status, ImportStatus::Imported),
        "{:?}: {:?}",
        outcome.status,
        outcome.problems.first()
    );
    format!("new {} warnings {}", outcome.counts.new, outcome.warnings)
}

/// pantau's job after the import, as `pantau run` does it, step by step.
fn job(data: &Path, db: &Path, donor: &Path) -> String {
    let config = load_config(data);
    let reference = Reference::builtin();
    let now: DateTime<Utc> = DateTime::parse_from_rfc3339(RUN_AT)
        .expect("time")
        .with_timezone(&Utc);
    let conn = pantau::db::open(db).expect("database");
    // Each step's own peak: the high-water mark is read, then reset (`clear_refs` 5), so that
    // the report's peak is not hidden behind the merge and indicators measured apart.
    let step = |name: &str, started: Clock| {
        let spent = started.spent();
        let peak = peak_kib();
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        println!(
            "STEP {name} {:.3} {:.3} peak {} MiB",
            spent.wall,
            spent.cpu,
            peak / 1024
        );
    };

    // The job cache is read on a thread of its own from the start, as `pantau run` does; the
    // roster values and answers are read once, for the quality flags and the report.
    let started = Clock::start();
    let cache = Cache::start_loading(&conn);
    let read = Inputs::read(&conn).expect("read roster values and answers");
    step("read", started);

    // The data-quality check runs inside the report, beside the merge (`assemble_checked`);
    // this step is kept, empty, so that the figures' columns stay those of earlier runs.
    let started = Clock::start();
    step("flags", started);

    let started = Clock::start();
    let forms = Forms::load(&config, &config.forms_dir()).expect("forms");
    let inputs = ReportInputs {
        config: &config,
        reference: &reference,
        forms: &forms,
        run_at: now,
        variant: WorkbookVariant::Donor,
    };
    let mut timings = Timings::new();
    // The records built anew are written to the job cache on a thread of their own meanwhile.
    let (report, saving, stored) =
        assemble_checked(&conn, &inputs, read, cache, &mut timings, |conn, flags| {
            quality::store(conn, flags, None, now)
        })
        .expect("report");
    // The report's own phases (merge, with the job cache written; indicators; tables), for the
    // breakdown: wall milliseconds of the report step above.
    for phase in &timings.phases {
        println!("PART report {} {:.3}", phase.phase, phase.ms / 1000.0);
    }
    step("report", started);

    let started = Clock::start();
    pantau::workbook::write(&report, WorkbookVariant::Donor, "en", donor).expect("donor workbook");
    step("workbook", started);
    // `pantau run` waits for the job cache before it records the run: what is left of its
    // writing after the workbook belongs to the job.
    let started = Clock::start();
    saving.wait().expect("job cache written");
    step("cache", started);
    let shape = shape(&report.participants);
    let rows = report.participants.len();
    drop(report);

    // Merge and indicators measured apart, after the job and outside its total, to show where
    // the report's time goes: the merge from SQL without the job cache, the indicators through
    // the report's own step.
    let today = now.with_timezone(&config.programme.time_zone).date_naive();
    let started = Clock::start();
    let context = MergeContext {
        reference: &reference,
        on: today,
        baseline_wave: Some(WAVES[0].0),
    };
    let roster = roster_records(&conn, &context).expect("merge the roster");
    let mut waves: BTreeMap<&str, Vec<(i64, Record)>> = BTreeMap::new();
    for wave in &config.waves {
        let records = wave_records_from(&conn, &wave.name, &roster).expect("merge a wave");
        waves.insert(&wave.name, records);
    }
    step("merge", started);
    let started = Clock::start();
    let figures = indicator_figures(&config, &roster, &waves, today);
    step("indicators", started);
    drop(waves);
    drop(roster);

    println!("SHAPE {shape}");
    format!(
        "flags {}, {} indicator figures, {} participant rows, {} MB",
        stored.total,
        figures,
        rows,
        size_mb(donor)
    )
}

/// Every configured indicator over its waves, through the report's own indicator step; the
/// number of figures computed (each indicator's overall figure and its breakdowns).
fn indicator_figures(
    config: &Config,
    roster: &BTreeMap<i64, Arc<Record>>,
    waves: &BTreeMap<&str, Vec<(i64, Record)>>,
    today: NaiveDate,
) -> usize {
    pantau::pipeline::report::indicators_of(config, roster, waves, today)
        .expect("indicators")
        .iter()
        .map(|figures| 1 + figures.result.breakdowns.len())
        .sum()
}

/// The participant sheet's shape for the floor: `ROWS;KIND FILL,KIND FILL,…` with the kind
/// each column mostly holds (T text, N number, D date) and the share of its cells filled.
fn shape(table: &ParticipantTable) -> String {
    let mut counts = vec![[0usize; 3]; table.columns.len()];
    for row in table.rows() {
        for (column, cell) in row.enumerate() {
            match cell {
                Cell::Text(_) => counts[column][0] += 1,
                Cell::Number(_) => counts[column][1] += 1,
                Cell::Date(_) => counts[column][2] += 1,
                Cell::Empty => {}
            }
        }
    }
    let total = table.len().max(1) as f64;
    let columns: Vec<String> = counts
        .iter()
        .map(|[text, number, date]| {
            let kind = if text >= number && text >= date {
                'T'
            } else if number >= date {
                'N'
            } else {
                'D'
            };
            format!("{kind}{:.3}", (text + number + date) as f64 / total)
        })
        .collect();
    format!("{};{}", table.len(), columns.join(","))
}

fn describe_shape(shape: &str) -> String {
    let (rows, columns) = shape.split_once(';').unwrap_or(("0", ""));
    let columns: Vec<&str> = columns.split(',').collect();
    let cells: f64 = rows.parse::<f64>().unwrap_or(0.0)
        * columns
            .iter()
            .map(|c| c[1..].parse::<f64>().unwrap_or(0.0))
            .sum::<f64>();
    format!(
        "{rows} rows x {} columns, {:.0} filled cells",
        columns.len(),
        cells
    )
}

/// Floor (b): rust_xlsxwriter alone writing a constant-memory sheet of the donor participant
/// sheet's shape (header, then every row with the same kinds and about the same fill).
fn write_floor(shape: &str, path: &Path) -> String {
    let (rows, columns) = shape.split_once(';').expect("shape");
    let rows: u32 = rows.parse().expect("rows");
    let columns: Vec<(char, u32)> = columns
        .split(',')
        .map(|c| {
            let fill: f64 = c[1..].parse().expect("fill");
            (
                c.chars().next().expect("kind"),
                (fill * 1000.0).round() as u32,
            )
        })
        .collect();
    let mut workbook = Workbook::new();
    let number = Format::new().set_num_format("#,##0");
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    let date = ExcelDateTime::from_ymd(2026, 3, 1).expect("date");
    let sheet = workbook
        .add_worksheet_with_constant_memory()
        .expect("constant memory sheet")
        .set_name("Participants")
        .expect("sheet name");
    for column in 0..columns.len() {
        sheet
            .write_string(0, column as u16, format!("column {column}"))
            .expect("header");
    }
    for row in 1..=rows {
        for (column, (kind, fill)) in columns.iter().enumerate() {
            // Spread the empty cells over the rows, column by column.
            if (row
                .wrapping_mul(2_654_435_761)
                .wrapping_add(column as u32 * 97))
                % 1000
                >= *fill
            {
                continue;
            }
            let c = column as u16;
            match kind {
                'T' => sheet.write_string(row, c, format!("P-{row:07}")),
                'D' => sheet.write_datetime_with_format(row, c, &date, &date_format),
                _ => sheet.write_number_with_format(
                    row,
                    c,
                    f64::from(row % 9_000) * 1_000.0,
                    &number,
                ),
            }
            .expect("cell");
        }
    }
    workbook.save(path).expect("floor workbook");
    format!("{} MB", size_mb(path))
}

/// Installs the pinned pandas peer (`benches/peers.sh`) and returns its Python.
fn python_peer() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let status = Command::new("bash")
        .arg(root.join("benches/peers.sh"))
        .status()
        .expect("run benches/peers.sh");
    assert!(status.success(), "benches/peers.sh failed");
    root.join("target/bench-venv/bin/python")
}

/// What the pandas script reported.
struct Pandas {
    /// Wall time of the whole process (Python's start included) and its CPU time.
    total: Time,
    peak: u64,
    steps: BTreeMap<String, Time>,
}

/// Runs `benches/pandas_job.py` under `/usr/bin/time -v` for its peak memory and CPU time.
fn run_pandas(python: &Path, roster_file: &Path, responses: &Path, out: &Path) -> Pandas {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/pandas_job.py");
    let started = Instant::now();
    let output = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(python)
        .arg(script)
        .arg(roster_file)
        .arg(responses)
        .arg(out)
        .output()
        .expect("run /usr/bin/time -v python benches/pandas_job.py");
    let wall = started.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "pandas_job.py failed:\n{stderr}");
    let field = |name: &str| -> f64 {
        stderr
            .lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0)
    };
    let peak = field("Maximum resident set size (kbytes):") as u64;
    let cpu = field("User time (seconds):") + field("System time (seconds):");
    let mut steps = BTreeMap::new();
    for line in stdout.lines() {
        if let Some(rest) = line.strip_prefix("STEP ")
            && let Some((name, times)) = rest.split_once(' ')
        {
            let (time, _) = parse_time(times);
            eprintln!(
                "  pandas/{name}: {:.2} s wall, {:.2} s CPU",
                time.wall, time.cpu
            );
            steps.insert(name.to_owned(), time);
        } else {
            eprintln!("  pandas: {line}");
        }
    }
    Pandas {
        total: Time { wall, cpu },
        peak,
        steps,
    }
}

fn size_mb(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) / 1_000_000
}
