//! The job end to end: the hand-checked fixture in `tests/data/pipeline/` against figures
//! computed independently by `expected.py`, the `Report` and the donor workbook read back with
//! calamine; then `pantau run` and `pantau report` through the real binary: the run record,
//! workbooks on disk, re-runs adding nothing, the lock, and a failed run recorded as failed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use calamine::{Data, Reader, Xlsx, open_workbook};
use chrono::{DateTime, Utc};
use pantau::config::{Config, WorkbookVariant};
use pantau::import::{ImportOptions, ImportStatus, NoProgress, import_file};
use pantau::indicators::Figure;
use pantau::pipeline::job::{JobContext, JobError, Mode, Origin, run_once};
use pantau::pipeline::report::{Forms, ReportInputs, assemble};
use pantau::reference::Reference;
use pantau::report::{IndicatorFigures, Report};
use pantau::roster::Aliases;
use rusqlite::{Connection, params};

pub(crate) fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/pipeline")
        .join(name)
}

/// The report date the fixture's expected figures are computed for (09:00 in Jakarta).
pub(crate) fn run_at() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-29T02:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// A programme folder with a `pantau.toml` using the shipped forms and three waves.
pub(crate) fn programme(forms: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        r#"
[paths]
database = "pantau.db"
forms = "{}"
inbox = "inbox"
reports = "reports"
outbox = "outbox"

[[waves]]
name = "baseline"
form = "baseline.xlsx"
anchor = "enrolment"
window_days = 30

[[waves]]
name = "m3"
form = "followup.xlsx"
anchor = "training_end"
offset_months = 3
window_days = 30

[[waves]]
name = "m6"
form = "followup.xlsx"
anchor = "training_end"
offset_months = 6
window_days = 30
"#,
        forms.display()
    );
    std::fs::write(dir.path().join("pantau.toml"), toml).unwrap();
    std::fs::create_dir_all(dir.path().join("inbox")).unwrap();
    dir
}

pub(crate) fn shipped_forms() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("forms")
}

pub(crate) fn load_config(dir: &Path) -> Config {
    Config::load(Some(&dir.join("pantau.toml"))).unwrap()
}

/// Imports the fixture roster through the importer, then writes the fixture's invitations and
/// responses straight into the tables, as the survey pages would have.
pub(crate) fn load_fixture(conn: &mut Connection) {
    let bytes = std::fs::read(fixture("roster.csv")).unwrap();
    let reports = tempfile::tempdir().unwrap();
    let aliases = Aliases::default();
    let reference = Reference::builtin();
    let options = ImportOptions {
        dry_run: false,
        today: run_at().date_naive(),
        now: DateTime::parse_from_rfc3339("2026-01-31T03:00:00Z")
            .unwrap()
            .with_timezone(&Utc),
        reports_dir: reports.path(),
        aliases: &aliases,
        reference: &reference,
        record_skipped: true,
        progress: &NoProgress,
    };
    let outcome = import_file(conn, "roster.csv", &bytes, &options);
    assert_eq!(
        outcome.status,
        ImportStatus::Imported,
        "{:?}",
        outcome.problems
    );
    assert_eq!(outcome.counts.new, 64);
    insert_invitations(conn);
}

fn insert_invitations(conn: &Connection) {
    let mut reader = csv::Reader::from_path(fixture("invitations.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let numeric = [
        "income_wage",
        "income_resell",
        "income_business",
        "income_other",
        "income_total",
    ];
    for (index, row) in reader.records().enumerate() {
        let row = row.unwrap();
        let get = |name: &str| {
            row.get(headers.iter().position(|h| h == name).unwrap())
                .unwrap()
        };
        let participant: i64 = conn
            .query_row(
                "SELECT participant_id FROM participant_attributes
                 WHERE name = 'participant_id' AND value = ?1",
                [get("participant_id")],
                |r| r.get(0),
            )
            .unwrap();
        let wave = get("wave");
        let form = if wave == "baseline" {
            "baseline.xlsx"
        } else {
            "followup.xlsx"
        };
        conn.execute(
            "INSERT OR IGNORE INTO waves (name, form_file, updated_at) VALUES (?1, ?2, ?3)",
            params![wave, form, "2026-01-31T03:00:00Z"],
        )
        .unwrap();
        let opened = (get("status") != "expired").then(|| get("opens_at"));
        conn.execute(
            "INSERT INTO invitations (participant_id, wave, token, status, issued_at, opens_at,
                                      closes_at, opened_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7)",
            params![
                participant,
                wave,
                format!("fixture-token-{index}"),
                get("status"),
                get("opens_at"),
                get("closes_at"),
                opened,
            ],
        )
        .unwrap();
        if get("status") != "submitted" {
            continue;
        }
        let invitation = conn.last_insert_rowid();
        let mut answers = serde_json::Map::new();
        for name in headers.iter().skip(6) {
            let value = get(name);
            if value.is_empty() {
                continue;
            }
            let json = if numeric.contains(&name) {
                serde_json::Value::from(value.parse::<i64>().unwrap())
            } else {
                serde_json::Value::from(value)
            };
            answers.insert(name.to_owned(), json);
        }
        conn.execute(
            "INSERT INTO consents (invitation_id, decision, text_version, language, decided_at)
             VALUES (?1, 'accepted', 'v1', 'id', ?2)",
            params![invitation, get("submitted_at")],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO responses (invitation_id, submission_id, form_id, form_version, answers,
                                    language, submitted_at)
             VALUES (?1, ?2, 'pantau_form', '1', ?3, 'id', ?4)",
            params![
                invitation,
                format!("submission-{index}"),
                serde_json::Value::Object(answers).to_string(),
                get("submitted_at"),
            ],
        )
        .unwrap();
    }
}

fn indicator<'a>(report: &'a Report, id: &str, wave: Option<&str>) -> &'a IndicatorFigures {
    report
        .indicators
        .iter()
        .find(|f| f.id == id && f.wave.as_deref() == wave)
        .unwrap_or_else(|| panic!("no indicator {id} for {wave:?}"))
}

fn cell<'a>(figures: &'a IndicatorFigures, dimension: &str, category: &str) -> &'a Figure {
    let breakdown = figures
        .result
        .breakdowns
        .iter()
        .find(|b| b.dimension == dimension)
        .unwrap_or_else(|| panic!("{} has no breakdown by {dimension}", figures.id));
    &breakdown
        .cells
        .iter()
        .find(|(c, _)| c.as_deref() == Some(category))
        .unwrap_or_else(|| panic!("{} by {dimension} has no {category}", figures.id))
        .1
}

/// Asserts a figure against `expected.py`'s `value numerator n`.
fn check(figure: &Figure, value: f64, numerator: usize, n: usize, what: &str) {
    assert!(!figure.suppressed, "{what} is suppressed");
    let got = figure.value.unwrap_or(f64::NAN);
    assert!(
        (got - value).abs() < 1e-6,
        "{what}: value {got}, expected {value}"
    );
    assert_eq!((figure.numerator, figure.n), (numerator, n), "{what}");
}

fn hidden(figure: &Figure, what: &str) {
    assert!(
        figure.suppressed && figure.value.is_none(),
        "{what}: {figure:?}"
    );
}

#[test]
fn fixture_figures_match_the_independent_script() {
    let dir = programme(&shipped_forms());
    let config = load_config(dir.path());
    let mut conn = pantau::db::open(&config.database()).unwrap();
    load_fixture(&mut conn);
    let reference = Reference::builtin();
    let context = JobContext {
        config: &config,
        reference: &reference,
        now: run_at(),
        origin: Origin::CommandLine,
        holder: "fixture test".into(),
        mode: Mode::ReportOnly,
        email_groups: &[],
    };
    let record = run_once(&mut conn, &context).unwrap();
    assert!(record.succeeded(), "{:?}", record.error);

    let forms = Forms::load(&config, &config.forms_dir()).unwrap();
    let report = assemble(
        &conn,
        &ReportInputs {
            config: &config,
            reference: &reference,
            forms: &forms,
            run_at: run_at(),
            variant: WorkbookVariant::Donor,
        },
    )
    .unwrap();
    assert!(report.manager.is_none());

    // Every literal below comes from `python3 tests/data/pipeline/expected.py`.
    let enrolled = indicator(&report, "enrolled", None);
    check(&enrolled.result.overall, 64.0, 64, 64, "enrolled");
    check(cell(enrolled, "sex", "L"), 43.0, 43, 43, "enrolled L");
    check(cell(enrolled, "sex", "P"), 21.0, 21, 21, "enrolled P");
    let completed = indicator(&report, "completed_training", None);
    check(&completed.result.overall, 44.0, 44, 44, "completed");
    let wage = indicator(&report, "pre_layoff_wage_median", None);
    check(&wage.result.overall, 4351000.0, 59, 59, "pre-layoff wage");
    let baseline = indicator(&report, "response_rate", Some("baseline"));
    check(&baseline.result.overall, 0.875, 56, 64, "response baseline");
    let m3 = indicator(&report, "response_rate", Some("m3"));
    check(&m3.result.overall, 0.71875, 46, 64, "response m3");
    check(cell(m3, "cohort", "C1"), 0.7, 28, 40, "response m3 C1");
    check(cell(m3, "cohort", "C2"), 0.75, 18, 24, "response m3 C2");
    // Three participants with a disability: their cell and its complement are hidden.
    hidden(cell(m3, "disability", "1"), "response m3 disability");
    hidden(cell(m3, "disability", "0"), "response m3 no disability");
    let m6 = indicator(&report, "response_rate", Some("m6"));
    check(&m6.result.overall, 0.675, 27, 40, "response m6");
    let working = indicator(&report, "share_working", Some("m3"));
    check(
        &working.result.overall,
        0.8478260869565217,
        39,
        46,
        "working m3",
    );
    check(
        cell(working, "union", "FSPMI Bekasi"),
        0.8666666666666667,
        13,
        15,
        "FSPMI Bekasi",
    );
    check(cell(working, "union", "SP TSK"), 0.9375, 15, 16, "SP TSK");
    check(
        cell(working, "union", "SPN"),
        0.7333333333333333,
        11,
        15,
        "SPN",
    );
    let income = indicator(&report, "income_median", Some("m3"));
    check(&income.result.overall, 3000000.0, 46, 46, "income m3");
    check(
        cell(income, "age_group", "30-39"),
        4100000.0,
        16,
        16,
        "income 30-39",
    );
    check(
        cell(income, "age_group", "40-49"),
        1125000.0,
        18,
        18,
        "income 40-49",
    );
    hidden(cell(income, "age_group", "50+"), "income 50+");
    hidden(cell(income, "age_group", "<30"), "income <30 (complement)");
    let mean = indicator(&report, "income_mean", Some("baseline"));
    check(
        &mean.result.overall,
        2271428.5714285714,
        56,
        56,
        "income mean baseline",
    );
    let bpjs = indicator(&report, "bpjs_registered", Some("m3"));
    check(&bpjs.result.overall, 0.5869565217391305, 27, 46, "bpjs m3");
    check(
        cell(bpjs, "sex", "L"),
        0.5806451612903226,
        18,
        31,
        "bpjs m3 L",
    );
    check(cell(bpjs, "sex", "P"), 0.6, 9, 15, "bpjs m3 P");
    let change = indicator(&report, "income_change", Some("m6"));
    check(&change.result.overall, 300000.0, 23, 23, "income change m6");
    let rose = indicator(&report, "share_income_rose", Some("m6"));
    check(
        &rose.result.overall,
        0.5652173913043478,
        13,
        23,
        "income rose m6",
    );

    // Funnel, attendance and flags.
    let funnel_m3 = report.funnel.iter().find(|f| f.wave == "m3").unwrap();
    assert_eq!(
        (funnel_m3.invited, funnel_m3.submitted, funnel_m3.consented),
        (64, 46, 46)
    );
    assert_eq!(report.attendance[0].age_group, None);
    assert_eq!(report.attendance[0].enrolled, 64);
    assert_eq!(report.attendance[0].completed, 44);
    let quality = |code: &str| -> usize {
        report
            .quality
            .iter()
            .filter(|q| q.code == code)
            .map(|q| q.count)
            .sum()
    };
    assert_eq!(quality("income_implausible"), 13);
    assert_eq!(quality("income_sum_mismatch"), 1);
    assert_eq!(quality("out_of_window"), 1);

    // The participant table carries no identifier or free text.
    let names: Vec<&str> = report
        .participants
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(report.participants.len(), 64);
    for withheld in [
        "name",
        "nik",
        "phone",
        "email",
        "birth_date",
        "address",
        "kpj",
    ] {
        assert!(
            !names.contains(&withheld),
            "{withheld} in the participant table"
        );
    }
    assert!(names.contains(&"m3.income_total") && names.contains(&"m3.work_status"));
    assert!(
        !names
            .iter()
            .any(|n| n.ends_with(".comments") || n.ends_with(".bpjs_kpj"))
    );

    // Minimum wages of the three provinces in the roster, each with its certainty mark.
    let provinces: Vec<&str> = report
        .minimum_wages
        .iter()
        .map(|w| w.province.as_str())
        .collect();
    assert_eq!(provinces, ["Banten", "DKI Jakarta", "Jawa Barat"]);
    assert!(report.minimum_wages.iter().all(|w| w.year == 2026
        && w.amount > 2_000_000
        && ["verified", "UNVERIFIED", "CONFLICT"].contains(&w.certainty.as_str())));

    // The manager variant adds who to chase, with links, and every flag with its reason.
    let manager = assemble(
        &conn,
        &ReportInputs {
            config: &config,
            reference: &reference,
            forms: &forms,
            run_at: run_at(),
            variant: WorkbookVariant::Manager,
        },
    )
    .unwrap()
    .manager
    .expect("manager extras");
    // 168 invitations, 129 answered; expired ones are no longer chased.
    let chased: Vec<_> = manager.non_respondents.iter().collect();
    assert!(
        chased
            .iter()
            .all(|n| n.status != "expired" && n.status != "submitted")
    );
    let p016 = chased
        .iter()
        .find(|n| n.participant_key.ends_with("P016"))
        .expect("P016 declined and is listed");
    assert_eq!(p016.status, "declined");
    assert_eq!(p016.name, "Peserta 16");
    assert!(
        p016.link
            .starts_with("http://127.0.0.1:8080/s/fixture-token-"),
        "{}",
        p016.link
    );
    assert!(
        p016.whatsapp
            .starts_with("https://wa.me/6281200000016?text=Halo%20Peserta%2C"),
        "{}",
        p016.whatsapp
    );
    assert_eq!(manager.flags.len(), 15);
    let mismatch = manager
        .flags
        .iter()
        .find(|f| f.code == "income_sum_mismatch")
        .unwrap();
    assert!(mismatch.participant_key.ends_with("P010"));
    assert_eq!(mismatch.wave.as_deref(), Some("m3"));
    assert!(
        mismatch.reason.contains("income_total"),
        "{}",
        mismatch.reason
    );

    // The donor workbook, read back.
    let donor = record
        .outputs
        .iter()
        .find(|o| o.contains("donor") && o.ends_with("-en.xlsx"))
        .expect("an English donor workbook");
    let path = config.reports_dir().join(donor);
    let mut workbook: Xlsx<_> = open_workbook(&path).unwrap();
    let logframe = workbook.worksheet_range("Logframe").unwrap();
    let row_of = |id: &str, wave: &str| {
        logframe
            .rows()
            .find(|row| {
                let text = |data: &Data| match data {
                    Data::String(text) => text.clone(),
                    _ => String::new(),
                };
                text(&row[0]) == id && text(&row[2]) == wave
            })
            .unwrap_or_else(|| panic!("no Logframe row {id} {wave}"))
            .to_vec()
    };
    let number = |data: &Data| match data {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        other => panic!("not a number: {other:?}"),
    };
    for (id, wave, value, numerator, n) in [
        ("enrolled", "", 64.0, 64.0, 64.0),
        ("response_rate", "m3", 0.71875, 46.0, 64.0),
        ("share_working", "m3", 0.8478260869565217, 39.0, 46.0),
        ("income_median", "m3", 3000000.0, 46.0, 46.0),
        ("income_change", "m6", 300000.0, 23.0, 23.0),
    ] {
        let row = row_of(id, wave);
        assert!(
            (number(&row[5]) - value).abs() < 1e-6,
            "{id} {wave}: {row:?}"
        );
        assert_eq!(
            (number(&row[6]), number(&row[7])),
            (numerator, n),
            "{id} {wave}"
        );
    }
    // No personal data anywhere in the donor workbook.
    for sheet in workbook.sheet_names() {
        let range = workbook.worksheet_range(&sheet).unwrap();
        for value in range.used_cells().map(|(_, _, v)| v.to_string()) {
            assert!(
                !value.contains("Peserta ") && !value.contains("8120000"),
                "personal data {value:?} in sheet {sheet}"
            );
        }
    }
}

fn pantau(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pantau"))
        .arg("--config")
        .arg(dir.join("pantau.toml"))
        .args(args)
        .current_dir(dir)
        .env("PANTAU_LOG", "warn")
        .output()
        .unwrap()
}

fn record_of(output: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON record ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

pub(crate) fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |row| row.get(0)).unwrap()
}

#[test]
fn pantau_run_imports_invites_writes_workbooks_and_reruns_add_nothing() {
    let dir = programme(&shipped_forms());
    std::fs::copy(fixture("roster.csv"), dir.path().join("inbox/roster.csv")).unwrap();
    let first = pantau(dir.path(), &["run", "--json"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let record = record_of(&first);
    assert_eq!(record["status"], "succeeded");
    assert_eq!(record["origin"], "command_line");
    assert_eq!(record["counts"]["rosters_imported"], 1);
    assert_eq!(record["counts"]["participants"], 64);
    assert_eq!(record["inputs"]["inbox"][0]["file"], "roster.csv");
    assert_eq!(record["inputs"]["forms"][0]["form_id"], "pantau_baseline");
    let outputs = record["outputs"].as_array().unwrap();
    // The default configuration's recipients: managers read Indonesian (the default language),
    // donors English; each variant is also written in the default language.
    let mut names: Vec<&str> = outputs.iter().map(|o| o.as_str().unwrap()).collect();
    names.sort();
    let day = &names[0]["run-1/pantau-donor-".len()..]["YYYY-MM-DD".len()..];
    assert_eq!(day, "-en.xlsx", "{names:?}");
    let kinds: Vec<String> = names
        .iter()
        .map(|n| {
            let stem = n.trim_start_matches("run-1/pantau-");
            format!(
                "{}{}",
                &stem[..stem.find('-').unwrap()],
                &stem[stem.len() - 8..]
            )
        })
        .collect();
    assert_eq!(kinds, ["donor-en.xlsx", "donor-id.xlsx", "manager-id.xlsx"]);
    for output in outputs {
        let path = dir.path().join("reports").join(output.as_str().unwrap());
        assert!(path.is_file(), "{} missing", path.display());
    }
    let conn = Connection::open(dir.path().join("pantau.db")).unwrap();
    let baseline_invitations = count(
        &conn,
        "SELECT count(*) FROM invitations WHERE wave = 'baseline'",
    );
    assert_eq!(baseline_invitations, 64, "everyone is due for the baseline");
    let invitations = count(&conn, "SELECT count(*) FROM invitations");
    // A response whose sources do not add up, so that re-runs have a flag to keep.
    conn.execute(
        "INSERT INTO responses (invitation_id, submission_id, form_id, form_version, answers,
                                language, submitted_at)
         SELECT id, 'dup-check', 'pantau_baseline', '1',
                '{\"income_wage\": 1000000, \"income_total\": 2000000}', 'id', opens_at
         FROM invitations WHERE wave = 'baseline' ORDER BY id LIMIT 1",
        [],
    )
    .unwrap();

    let second = pantau(dir.path(), &["run", "--json"]);
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let again = record_of(&second);
    assert_eq!(again["counts"]["invitations_issued"], 0);
    assert_eq!(again["counts"]["rosters_skipped"], 1);
    assert_eq!(again["counts"]["flags"], 1);
    assert_eq!(again["counts"]["flags_added"], 1);
    let third = record_of(&pantau(dir.path(), &["run", "--json"]));
    assert_eq!(third["counts"]["flags_added"], 0);
    assert_eq!(
        count(&conn, "SELECT count(*) FROM invitations"),
        invitations
    );
    assert_eq!(count(&conn, "SELECT count(*) FROM data_quality_flags"), 1);
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM report_runs WHERE status = 'succeeded'"
        ),
        3
    );

    // `pantau report` writes workbooks from the database as it is, and is recorded too.
    let report = pantau(dir.path(), &["report", "--json"]);
    assert!(
        report.status.success(),
        "{}",
        String::from_utf8_lossy(&report.stderr)
    );
    let report = record_of(&report);
    assert_eq!(report["mode"], "report_only");
    assert!(report["counts"].get("invitations_issued").is_none());
    let manager = report["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_str().unwrap())
        .find(|o| o.contains("manager"))
        .unwrap()
        .to_owned();
    assert!(dir.path().join("reports").join(manager).is_file());
    let human = pantau(dir.path(), &["report"]);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("succeeded") && text.contains("workbooks in"),
        "{text}"
    );
}

#[test]
fn a_second_run_while_the_lock_is_held_fails_clearly_and_an_expired_lock_is_taken_over() {
    let dir = programme(&shipped_forms());
    let config = load_config(dir.path());
    let conn = pantau::db::open(&config.database()).unwrap();
    conn.execute(
        "UPDATE job_lock SET holder = 'pantau serve pid 4242', acquired_at = ?1, expires_at = ?2",
        params!["2026-11-29T01:00:00Z", "2999-01-01T00:00:00Z"],
    )
    .unwrap();
    let busy = pantau(dir.path(), &["run", "--json"]);
    assert_eq!(busy.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&busy.stderr);
    assert!(
        stderr.contains("already running (holder pantau serve pid 4242"),
        "{stderr}"
    );
    assert_eq!(count(&conn, "SELECT count(*) FROM report_runs"), 0);

    // Through the library, the same error is typed.
    let mut library = pantau::db::open(&config.database()).unwrap();
    let reference = Reference::builtin();
    let context = JobContext {
        config: &config,
        reference: &reference,
        now: run_at(),
        origin: Origin::Schedule,
        holder: "scheduler".into(),
        mode: Mode::Full,
        email_groups: &[],
    };
    assert!(matches!(
        run_once(&mut library, &context),
        Err(JobError::Busy { .. })
    ));

    // A holder that crashed: its lock lapsed, the next run takes over and releases it.
    conn.execute(
        "UPDATE job_lock SET expires_at = '2000-01-01T00:00:00Z'",
        [],
    )
    .unwrap();
    let record = run_once(&mut library, &context).unwrap();
    assert!(record.succeeded(), "{:?}", record.error);
    let holder: Option<String> = conn
        .query_row("SELECT holder FROM job_lock", [], |row| row.get(0))
        .unwrap();
    assert_eq!(holder, None);
}

#[test]
fn a_run_that_fails_is_recorded_as_failed_with_its_error() {
    let empty_forms = tempfile::tempdir().unwrap();
    let dir = programme(empty_forms.path());
    let output = pantau(dir.path(), &["run", "--json"]);
    assert_eq!(output.status.code(), Some(1));
    let record = record_of(&output);
    assert_eq!(record["status"], "failed");
    let error = record["error"].as_str().unwrap();
    assert!(
        error.contains("baseline.xlsx") && error.contains("wave baseline"),
        "{error}"
    );
    let conn = Connection::open(dir.path().join("pantau.db")).unwrap();
    let (status, stored): (String, String) = conn
        .query_row("SELECT status, error FROM report_runs", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .unwrap();
    assert_eq!((status.as_str(), stored.as_str()), ("failed", error));
    let holder: Option<String> = conn
        .query_row("SELECT holder FROM job_lock", [], |row| row.get(0))
        .unwrap();
    assert_eq!(holder, None, "a failed run releases the lock");
}

#[test]
fn erasing_participants_keeps_the_figures_true() {
    let dir = programme(&shipped_forms());
    let config = load_config(dir.path());
    let mut conn = pantau::db::open(&config.database()).unwrap();
    load_fixture(&mut conn);
    let reference = Reference::builtin();
    let forms = Forms::load(&config, &config.forms_dir()).unwrap();
    let report = |conn: &Connection| {
        assemble(
            conn,
            &ReportInputs {
                config: &config,
                reference: &reference,
                forms: &forms,
                run_at: run_at(),
                variant: WorkbookVariant::Donor,
            },
        )
        .unwrap()
    };
    // The fixture's responses name a made-up form; erasure keeps the structured answers of the
    // forms it knows, so name the shipped forms the waves use.
    conn.execute(
        "UPDATE responses SET form_id = (
             SELECT CASE i.wave WHEN 'baseline' THEN 'pantau_baseline' ELSE 'pantau_followup' END
             FROM invitations i WHERE i.id = responses.invitation_id)",
        [],
    )
    .unwrap();
    let before = report(&conn);
    // Erase a third of the participants, respondents among them.
    let policy = pantau::participants::ErasePolicy::from_forms(forms.by_file.values());
    let ids: Vec<i64> = conn
        .prepare("SELECT id FROM participants ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for id in ids.iter().step_by(3) {
        pantau::participants::erase(&mut conn, *id, None, run_at(), &policy).unwrap();
    }
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM participants WHERE erased_at IS NOT NULL"
        ),
        ids.len().div_ceil(3) as i64
    );
    let after = report(&conn);
    // Counts, response rates and their breakdowns by what erasure keeps are unchanged.
    for (id, wave) in [
        ("enrolled", None),
        ("completed_training", None),
        ("response_rate", Some("baseline")),
        ("response_rate", Some("m3")),
        ("response_rate", Some("m6")),
        ("share_working", Some("m3")),
    ] {
        let (b, a) = (indicator(&before, id, wave), indicator(&after, id, wave));
        assert_eq!(b.result.overall, a.result.overall, "{id} {wave:?}");
        for dimension in ["sex", "cohort", "age_group"] {
            let cells = |f: &IndicatorFigures| {
                f.result
                    .breakdowns
                    .iter()
                    .find(|d| d.dimension == dimension)
                    .map(|d| d.cells.clone())
            };
            assert_eq!(cells(b), cells(a), "{id} {wave:?} by {dimension}");
        }
    }
    assert_eq!(before.funnel, after.funnel);
    // The pseudonymised participant sheet no longer has a row for them.
    assert_eq!(
        after.participants.len(),
        before.participants.len() - ids.len().div_ceil(3)
    );
}
