//! The job cache (`job_cache`): a run that reuses the merged records whose inputs did not change
//! gives the same `Report` (every indicator figure, every table) and the same workbooks (every
//! cell, read back with calamine) as a run from an empty cache — on the hand-checked fixture,
//! and again after new responses, a roster change, an erasure and a configuration change. Each
//! step also checks that only the entries whose inputs changed were rebuilt, so the equality
//! is reached by reuse and not by rebuilding everything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use calamine::{Data, Reader, Xlsx, open_workbook};
use pantau::config::{Config, WorkbookVariant};
use pantau::pipeline::job::{JobContext, Mode, Origin, RunRecord, run_once};
use pantau::pipeline::report::{Forms, ReportInputs, assemble};
use pantau::reference::Reference;
use pantau::report::Report;
use rusqlite::{Connection, params};

use crate::pipeline::{count, load_config, load_fixture, programme, run_at, shipped_forms};

/// Every cell of every sheet of a workbook, as text, by sheet name.
type Cells = BTreeMap<String, Vec<Vec<String>>>;

/// The manager report (the donor report is the same without the staff-only part).
fn report(conn: &Connection, config: &Config) -> Report {
    let reference = Reference::builtin();
    let forms = Forms::load(config, &config.forms_dir()).unwrap();
    assemble(
        conn,
        &ReportInputs {
            config,
            reference: &reference,
            forms: &forms,
            run_at: run_at(),
            variant: WorkbookVariant::Manager,
        },
    )
    .unwrap()
}

fn cells_of(path: &Path) -> Cells {
    let mut workbook: Xlsx<_> = open_workbook(path).unwrap();
    let mut sheets = BTreeMap::new();
    for name in workbook.sheet_names() {
        let range = workbook.worksheet_range(&name).unwrap();
        let rows = range
            .rows()
            .map(|row| {
                row.iter()
                    .map(|cell| match cell {
                        Data::Empty => String::new(),
                        other => format!("{other:?}"),
                    })
                    .collect()
            })
            .collect();
        sheets.insert(name, rows);
    }
    sheets
}

/// Runs the job (report only, at the fixture's date) and reads back every workbook it wrote,
/// by file name.
fn workbooks(conn: &mut Connection, config: &Config) -> BTreeMap<String, Cells> {
    job(conn, config).1
}

/// Runs the job as [`workbooks`] does; returns its record too.
fn job(conn: &mut Connection, config: &Config) -> (RunRecord, BTreeMap<String, Cells>) {
    let reference = Reference::builtin();
    let context = JobContext {
        config,
        reference: &reference,
        now: run_at(),
        origin: Origin::CommandLine,
        holder: "test".into(),
        mode: Mode::ReportOnly,
        email_groups: &[],
    };
    let record = run_once(conn, &context).unwrap();
    assert!(record.succeeded(), "{:?}", record.error);
    assert_eq!(record.outputs.len(), 3, "{:?}", record.outputs);
    let books = record
        .outputs
        .iter()
        .map(|output| {
            let name = output.rsplit('/').next().unwrap().to_owned();
            (name, cells_of(&config.reports_dir().join(output)))
        })
        .collect();
    (record, books)
}

fn fingerprints(conn: &Connection) -> BTreeMap<(i64, String), Vec<u8>> {
    let mut statement = conn
        .prepare("SELECT participant_id, wave, fingerprint FROM job_cache")
        .unwrap();
    statement
        .query_map([], |row| Ok(((row.get(0)?, row.get(1)?), row.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Entries added or rebuilt between two snapshots.
fn rebuilt(
    before: &BTreeMap<(i64, String), Vec<u8>>,
    after: &BTreeMap<(i64, String), Vec<u8>>,
) -> BTreeSet<(i64, String)> {
    after
        .iter()
        .filter(|(key, fingerprint)| before.get(*key) != Some(*fingerprint))
        .map(|(key, _)| key.clone())
        .collect()
}

/// Asserts that the run with the cache as it is (incremental) and a run from an empty cache
/// give the same report and the same workbook cells; returns the entries the incremental run
/// rebuilt.
fn incremental_equals_full(
    conn: &mut Connection,
    config: &Config,
    what: &str,
) -> BTreeSet<(i64, String)> {
    // The job first (it also stores the data-quality flags the report counts), then the
    // report, each time with the cache as the job left it.
    let before = fingerprints(conn);
    let incremental_books = workbooks(conn, config);
    let after = fingerprints(conn);
    let incremental = report(conn, config);
    conn.execute("DELETE FROM job_cache", []).unwrap();
    let full_books = workbooks(conn, config);
    assert_eq!(
        fingerprints(conn),
        after,
        "{what}: a run from an empty cache keeps what the incremental run kept"
    );
    conn.execute("DELETE FROM job_cache", []).unwrap();
    let full = report(conn, config);
    assert_eq!(incremental, full, "{what}: the reports differ");
    assert_eq!(
        incremental_books.keys().collect::<Vec<_>>(),
        full_books.keys().collect::<Vec<_>>()
    );
    for (name, cells) in &incremental_books {
        for (sheet, rows) in cells {
            assert_eq!(
                Some(rows),
                full_books[name].get(sheet),
                "{what}: workbook {name}, sheet {sheet} differs"
            );
        }
    }
    rebuilt(&before, &after)
}

fn participant(conn: &Connection, key: &str) -> i64 {
    conn.query_row(
        "SELECT participant_id FROM participant_attributes
         WHERE name = 'participant_id' AND value = ?1",
        [key],
        |row| row.get(0),
    )
    .unwrap()
}

#[test]
fn an_incremental_run_gives_the_full_runs_report_and_workbooks_and_rebuilds_only_what_changed() {
    let dir = programme(&shipped_forms());
    let mut config = load_config(dir.path());
    let mut conn = pantau::db::open(&config.database()).unwrap();
    load_fixture(&mut conn);
    let responses = count(&conn, "SELECT count(*) FROM responses");
    let participants = count(&conn, "SELECT count(*) FROM participants");

    // From an empty cache every record is built and kept: one per participant, one per
    // response.
    let rebuilt = incremental_equals_full(&mut conn, &config, "first run");
    assert_eq!(rebuilt.len() as i64, participants + responses);
    // Nothing changed: nothing is rebuilt, and the figures are the hand-checked ones (the
    // fixture test checks them on a report from an empty cache).
    let rebuilt = incremental_equals_full(&mut conn, &config, "no change");
    assert_eq!(rebuilt, BTreeSet::new());

    // A new response in m6 from a participant who had not answered it.
    let (invitation, answerer): (i64, i64) = conn
        .query_row(
            "SELECT i.id, i.participant_id FROM invitations i
             WHERE i.wave = 'm6' AND NOT EXISTS (
                 SELECT 1 FROM responses r WHERE r.invitation_id = i.id)
             ORDER BY i.id LIMIT 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    conn.execute(
        "INSERT INTO responses (invitation_id, submission_id, form_id, form_version, answers,
                                language, submitted_at)
         VALUES (?1, 'late-m6', 'pantau_followup', '1', ?2, 'id', '2026-10-01T03:00:00Z')",
        params![
            invitation,
            r#"{"work_status":"self","income_resell":2500000,"income_total":2500000}"#
        ],
    )
    .unwrap();
    let rebuilt = incremental_equals_full(&mut conn, &config, "a new response");
    assert_eq!(rebuilt, BTreeSet::from([(answerer, "m6".to_owned())]));

    // A roster change: a new wage and province for one participant.
    let changed = participant(&conn, "P007");
    pantau::participants::attributes::set_values(
        &conn,
        changed,
        &[("last_wage", "9100000"), ("province", "Banten")],
        None,
        "2026-11-28T03:00:00Z",
    )
    .unwrap();
    let rebuilt = incremental_equals_full(&mut conn, &config, "a roster change");
    assert_eq!(rebuilt, BTreeSet::from([(changed, String::new())]));

    // An erasure rewrites the participant's row and the answers of their responses.
    let forms = Forms::load(&config, &config.forms_dir()).unwrap();
    let policy = pantau::participants::ErasePolicy::from_forms(forms.by_file.values());
    let erased = participant(&conn, "P002");
    let answered: BTreeSet<String> = conn
        .prepare(
            "SELECT i.wave FROM responses r JOIN invitations i ON i.id = r.invitation_id
             WHERE i.participant_id = ?1",
        )
        .unwrap()
        .query_map([erased], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(!answered.is_empty(), "the erased participant had answered");
    pantau::participants::erase(&mut conn, erased, None, run_at(), &policy).unwrap();
    assert_eq!(
        count(
            &conn,
            &format!("SELECT count(*) FROM job_cache WHERE participant_id = {erased}")
        ),
        0,
        "erasure drops the participant's cached records at once"
    );
    let rebuilt = incremental_equals_full(&mut conn, &config, "an erasure");
    assert!(
        rebuilt.contains(&(erased, String::new())),
        "the erased participant's record is rebuilt: {rebuilt:?}"
    );
    assert!(
        rebuilt.iter().all(|(id, _)| *id == erased),
        "only the erased participant's entries are rebuilt: {rebuilt:?}"
    );

    // A configuration change: the baseline wave is no longer anchored at enrolment, so no
    // record may keep `baseline.` answers. Every entry's scope changed.
    let toml = std::fs::read_to_string(dir.path().join("pantau.toml")).unwrap();
    let changed_toml = toml.replacen("anchor = \"enrolment\"", "anchor = \"training_end\"", 1);
    assert_ne!(toml, changed_toml);
    std::fs::write(dir.path().join("pantau.toml"), changed_toml).unwrap();
    config = load_config(dir.path());
    let before = fingerprints(&conn);
    let rebuilt = incremental_equals_full(&mut conn, &config, "a configuration change");
    assert_eq!(
        rebuilt,
        before.keys().cloned().collect::<BTreeSet<_>>(),
        "every entry is rebuilt"
    );
}

/// The warning a run gives when its records could not be kept.
const NOT_WRITTEN: &str = "the job cache was not written";

fn rebuilt_count(record: &RunRecord) -> i64 {
    record.counts["merged_records_rebuilt"].as_i64().unwrap()
}

#[test]
fn a_cache_that_cannot_be_written_is_a_warning_and_the_next_run_builds_it() {
    let dir = programme(&shipped_forms());
    let config = load_config(dir.path());
    let mut conn = pantau::db::open(&config.database()).unwrap();
    load_fixture(&mut conn);
    let entries = count(&conn, "SELECT count(*) FROM participants")
        + count(&conn, "SELECT count(*) FROM responses");
    // The disk fills up after a few entries were written.
    conn.execute_batch(
        "CREATE TRIGGER job_cache_full BEFORE INSERT ON job_cache
         WHEN (SELECT count(*) FROM job_cache) >= 5
         BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;",
    )
    .unwrap();
    let (failed, failed_books) = job(&mut conn, &config);
    assert!(failed.succeeded(), "{:?}", failed.error);
    let warning = failed
        .warnings
        .iter()
        .find(|warning| warning.contains(NOT_WRITTEN))
        .unwrap_or_else(|| panic!("no warning about the cache: {:?}", failed.warnings));
    assert!(warning.contains("database or disk is full"), "{warning}");
    assert_eq!(rebuilt_count(&failed), entries);
    // Nothing half-written: not the five entries, not the names.
    assert_eq!(count(&conn, "SELECT count(*) FROM job_cache"), 0);
    assert_eq!(count(&conn, "SELECT count(*) FROM job_cache_names"), 0);
    // The run record stored says so too.
    let stored: String = conn
        .query_row(
            "SELECT warnings FROM report_runs WHERE id = ?1",
            [failed.id],
            |row| row.get(0),
        )
        .unwrap();
    assert!(stored.contains(NOT_WRITTEN), "{stored}");

    // Room again: the next run builds every record again, keeps them, and reports the same.
    conn.execute_batch("DROP TRIGGER job_cache_full").unwrap();
    let (next, next_books) = job(&mut conn, &config);
    assert!(
        !next.warnings.iter().any(|w| w.contains(NOT_WRITTEN)),
        "{:?}",
        next.warnings
    );
    assert_eq!(rebuilt_count(&next), entries);
    assert_eq!(count(&conn, "SELECT count(*) FROM job_cache"), entries);
    assert_eq!(failed_books, next_books);
    // And the one after reuses all of it.
    let (last, last_books) = job(&mut conn, &config);
    assert_eq!(rebuilt_count(&last), 0);
    assert_eq!(last_books, next_books);
}

/// An entry as format 1 wrote it, names spelt out: here a woman in Papua, aged 99.
fn format_1_entry() -> Vec<u8> {
    let mut bytes = 2u32.to_le_bytes().to_vec();
    for (name, text) in [("sex", "P"), ("province", "Papua")] {
        bytes.extend_from_slice(&(name.len() as u16).to_le_bytes());
        bytes.extend_from_slice(name.as_bytes());
        bytes.push(0);
        bytes.extend_from_slice(&(text.len() as u32).to_le_bytes());
        bytes.extend_from_slice(text.as_bytes());
    }
    bytes
}

#[test]
fn entries_of_the_older_format_are_rebuilt_not_misread() {
    let dir = programme(&shipped_forms());
    let config = load_config(dir.path());
    let mut conn = pantau::db::open(&config.database()).unwrap();
    load_fixture(&mut conn);
    let (first, first_books) = job(&mut conn, &config);
    let entries = rebuilt_count(&first);
    assert!(entries > 0);
    // Every entry's record replaced by one of format 1 under its current fingerprint, so
    // that only the encoding can tell it apart.
    conn.execute("UPDATE job_cache SET record = ?1", [format_1_entry()])
        .unwrap();
    let (second, second_books) = job(&mut conn, &config);
    assert_eq!(rebuilt_count(&second), entries, "every entry is a miss");
    assert_eq!(second_books, first_books);
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM job_cache WHERE substr(record, 1, 2) = X'CA02'"
        ),
        entries,
        "every entry is written again in the current format"
    );
}
