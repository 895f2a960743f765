//! Roster import end to end: synthetic rosters through the library and through `pantau import`,
//! re-imports, identity across files, conflicts, rejected files and their error workbooks, bad
//! input of every kind, `kill -9` in the middle of an import, and a fuzzed reader.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use calamine::Reader;
use chrono::{DateTime, NaiveDate, Utc};
use pantau::import::{FileOutcome, ImportOptions, ImportStatus, NoProgress, import_file};
use pantau::participants::search_index;
use pantau::reference::Reference;
use pantau::roster::{
    Aliases, RosterRules, Severity, StreamError, XlsxStream, parse_roster, parse_roster_parts,
    read_roster,
};
use pantau::synthetic::{Column, Person, Spec, Style, roster, write_csv, write_xlsx, xlsx_bytes};
use rusqlite::Connection;

fn today() -> NaiveDate {
    Spec::new(0, 0).today
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-12-01T02:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// A database in a temporary folder, imported into through the library.
struct Library {
    dir: tempfile::TempDir,
    conn: Connection,
    aliases: Aliases,
    reference: Reference,
}

impl Library {
    fn new() -> Library {
        let dir = tempfile::tempdir().unwrap();
        let conn = pantau::db::open(&dir.path().join("pantau.db")).unwrap();
        Library {
            dir,
            conn,
            aliases: Aliases::default(),
            reference: Reference::builtin(),
        }
    }

    fn reports(&self) -> PathBuf {
        self.dir.path().join("reports")
    }

    fn import_with(&mut self, name: &str, bytes: &[u8], dry_run: bool) -> FileOutcome {
        let reports = self.reports();
        let options = ImportOptions {
            dry_run,
            today: today(),
            now: now(),
            reports_dir: &reports,
            aliases: &self.aliases,
            reference: &self.reference,
            record_skipped: true,
            progress: &NoProgress,
        };
        import_file(&mut self.conn, name, bytes, &options)
    }

    fn import(&mut self, name: &str, bytes: &[u8]) -> FileOutcome {
        self.import_with(name, bytes, false)
    }

    fn count(&self, sql: &str) -> i64 {
        self.conn.query_row(sql, [], |row| row.get(0)).unwrap()
    }

    /// The participant holding `nik`, with all its attributes.
    fn attributes_of_nik(&self, nik: &str) -> Vec<(String, String)> {
        let mut statement = self
            .conn
            .prepare(
                "SELECT a.name, a.value FROM participant_attributes a
                 WHERE a.participant_id = (SELECT participant_id FROM participant_attributes
                                           WHERE name = 'nik' AND value = ?1)
                 ORDER BY a.name",
            )
            .unwrap();
        statement
            .query_map([nik], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn value(&self, nik: &str, name: &str) -> Option<String> {
        self.attributes_of_nik(nik)
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// Everything an import could change, to compare before and after.
    fn snapshot(&self) -> [i64; 5] {
        [
            self.count("SELECT count(*) FROM participants"),
            self.count("SELECT count(*) FROM participant_attributes"),
            self.count("SELECT count(*) FROM participant_attribute_history"),
            self.count("SELECT count(*) FROM roster_imports"),
            self.count("SELECT count(*) FROM roster_import_problems"),
        ]
    }
}

/// People of one seed; seeds get their own participant ids, so that two seeds never share one.
fn people(seed: u64, count: usize) -> Vec<Person> {
    roster(&Spec {
        first_id: seed as usize * 10_000 + 1,
        ..Spec::new(seed, count)
    })
}

fn xlsx(people: &[Person], style: &Style) -> Vec<u8> {
    xlsx_bytes(people, style).unwrap().0
}

/// A clean roster without the participant id column, so that rows are keyed by NIK.
fn by_nik() -> Style {
    Style {
        columns: Column::ALL
            .into_iter()
            .filter(|c| *c != Column::ParticipantId)
            .collect(),
        ..Style::clean()
    }
}

fn messages(outcome: &FileOutcome) -> Vec<String> {
    outcome.problems.iter().map(ToString::to_string).collect()
}

#[test]
fn a_messy_synthetic_roster_imports_with_normalised_values() {
    let mut lib = Library::new();
    let people = people(11, 300);
    let style = Style::messy(5);
    let bytes = xlsx(&people, &style);
    let outcome = lib.import("roster-federasi.xlsx", &bytes);

    assert_eq!(
        outcome.status,
        ImportStatus::Imported,
        "{:#?}",
        messages(&outcome)
    );
    assert_eq!(outcome.counts.read, 300);
    assert_eq!(outcome.counts.new, 300);
    assert_eq!(outcome.counts.rejected, 0);
    // The only warnings are NIKs stored as numbers that kept all their digits, and the rows
    // the messy style hides.
    assert!(outcome.warnings > 0);
    assert!(!warnings_about(&outcome, "hidden row").is_empty());
    assert!(
        outcome
            .problems
            .iter()
            .all(|p| p.severity == Severity::Warning
                && (p.message.contains("stored as a number") || p.message.contains("hidden row"))),
        "{:#?}",
        messages(&outcome)
    );
    assert!(outcome.error_workbook.as_ref().unwrap().exists());
    // One sheet per federation, plus the hidden lookup sheet that is not a roster.
    assert!(outcome.sheets.iter().filter(|s| s.roster).count() > 3);
    assert!(outcome.sheets.iter().any(|s| !s.roster && s.hidden));
    assert_eq!(lib.count("SELECT count(*) FROM participants"), 300);

    for person in &people {
        let stored = lib.attributes_of_nik(&person.nik);
        for column in Column::ALL {
            let Some(expected) = column.expected(person) else {
                continue;
            };
            let got = stored
                .iter()
                .find(|(name, _)| *name == column.attribute())
                .map(|(_, v)| v.as_str());
            if column == Column::Name {
                // Names keep the case they were typed in.
                let got = got.map(str::to_lowercase);
                assert_eq!(
                    got,
                    Some(expected.to_lowercase()),
                    "{}",
                    person.participant_id
                );
            } else {
                assert_eq!(
                    got,
                    Some(expected.as_str()),
                    "{column:?} of {}",
                    person.participant_id
                );
            }
        }
        assert!(stored.iter().any(|(name, _)| name == "extra_ukuran_baju"));
    }
    let pseudonyms = lib.count(
        "SELECT count(DISTINCT pseudonym) FROM participants WHERE pseudonym GLOB 'P-[0-9A-Z]*'
         AND length(pseudonym) = 10",
    );
    assert_eq!(pseudonyms, 300);
}

#[test]
fn the_same_content_again_is_skipped_and_said_so() {
    let mut lib = Library::new();
    let bytes = xlsx(&people(1, 20), &Style::clean());
    assert_eq!(lib.import("a.xlsx", &bytes).status, ImportStatus::Imported);
    let before = lib.snapshot();
    let again = lib.import("copy of a.xlsx", &bytes);
    assert_eq!(again.status, ImportStatus::Skipped);
    assert!(again.message.unwrap().contains("already imported"));
    let after = lib.snapshot();
    assert_eq!(before[..3], after[..3]);
    assert_eq!(
        lib.count("SELECT count(*) FROM roster_imports WHERE status = 'skipped'"),
        1
    );
}

#[test]
fn a_newer_version_of_the_same_file_updates_and_keeps_history() {
    let mut lib = Library::new();
    let mut people = people(2, 40);
    let first = lib.import("federasi-a.xlsx", &xlsx(&people, &by_nik()));
    assert_eq!(first.counts.new, 40);
    for person in &mut people[..5] {
        person.last_wage += 250_000;
        person.cohort = "Angkatan 9".into();
    }
    let second = lib.import("Federasi-A.xlsx", &xlsx(&people, &by_nik()));
    assert_eq!(
        second.status,
        ImportStatus::Imported,
        "{:#?}",
        messages(&second)
    );
    assert_eq!(
        (
            second.counts.new,
            second.counts.updated,
            second.counts.unchanged
        ),
        (0, 5, 35)
    );
    assert_eq!(second.warnings, 0);
    let nik = &people[0].nik;
    assert_eq!(lib.value(nik, "cohort").as_deref(), Some("Angkatan 9"));
    let history: Vec<(String, i64)> = lib
        .conn
        .prepare(
            "SELECT h.value, h.import_id FROM participant_attribute_history h
             JOIN participant_attributes a ON a.participant_id = h.participant_id
                 AND a.name = 'nik' AND a.value = ?1
             WHERE h.name = 'last_wage' ORDER BY h.id",
        )
        .unwrap()
        .query_map([nik], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        history,
        vec![
            (
                people[0].last_wage.saturating_sub(250_000).to_string(),
                first.import_id.unwrap()
            ),
            (people[0].last_wage.to_string(), second.import_id.unwrap()),
        ]
    );
    // A first import writes no history row that would only repeat a participant's values
    // (migration 0012): the 35 unchanged participants' history is their row, shown by the
    // view; the 5 changed ones have their first import's values written out before the change.
    assert_eq!(
        lib.count("SELECT count(*) FROM participant_row_history"),
        5 + 5
    );
    let unchanged = &people[10].nik;
    let first_values: i64 = lib
        .conn
        .query_row(
            "SELECT count(*) FROM participant_attribute_history h
             JOIN participant_attributes a ON a.participant_id = h.participant_id
                 AND a.name = 'nik' AND a.value = ?1
             WHERE h.import_id = ?2",
            rusqlite::params![unchanged, first.import_id.unwrap()],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(
        first_values as usize,
        lib.attributes_of_nik(unchanged).len(),
        "every value of an unchanged participant is in its history, set by the first import"
    );
}

#[test]
fn a_value_the_newer_version_no_longer_has_is_cleared() {
    let mut lib = Library::new();
    let people = people(3, 10);
    lib.import("a.xlsx", &xlsx(&people, &by_nik()));
    let without_sector = Style {
        columns: by_nik()
            .columns
            .into_iter()
            .filter(|c| *c != Column::Sector)
            .collect(),
        ..Style::clean()
    };
    let outcome = lib.import("a.xlsx", &xlsx(&people, &without_sector));
    assert_eq!(outcome.counts.updated, 10);
    assert_eq!(lib.value(&people[0].nik, "sector"), None);
    assert_eq!(
        lib.count(
            "SELECT count(*) FROM participant_attribute_history
             WHERE name = 'sector' AND value IS NULL"
        ),
        10
    );
}

#[test]
fn the_same_person_in_two_files_is_one_participant_and_conflicts_are_reported() {
    let mut lib = Library::new();
    let union_list = people(4, 30);
    lib.import("federasi-fspmi.xlsx", &xlsx(&union_list, &by_nik()));

    // The platform's list has participant ids for the first ten, and one of them under
    // another federation.
    let mut platform = union_list[..10].to_vec();
    platform[3].federation = "FSP LEM-SPSI";
    let outcome = lib.import("evermos-peserta.xlsx", &xlsx(&platform, &Style::clean()));
    assert_eq!(
        outcome.status,
        ImportStatus::Imported,
        "{:#?}",
        messages(&outcome)
    );
    assert_eq!(outcome.counts.new, 0);
    assert_eq!(outcome.counts.updated, 10, "participant ids are new values");
    assert_eq!(lib.count("SELECT count(*) FROM participants"), 30);
    assert_eq!(
        lib.value(&platform[3].nik, "participant_id").as_deref(),
        Some(platform[3].participant_id.as_str())
    );
    // The federation set by the union's file is kept, and the difference reported.
    assert_eq!(
        lib.value(&platform[3].nik, "federation").as_deref(),
        Some(union_list[3].federation)
    );
    let conflicts: Vec<_> = outcome
        .problems
        .iter()
        .filter(|p| p.message.starts_with("conflict"))
        .collect();
    assert_eq!(conflicts.len(), 1, "{:#?}", messages(&outcome));
    assert_eq!(conflicts[0].severity, Severity::Warning);
    assert!(conflicts[0].message.contains("federasi-fspmi.xlsx"));
    assert!(conflicts[0].column.as_deref().unwrap().contains("Federasi"));
    assert_eq!(conflicts[0].row, 5);

    // A third file knows some of them by phone only.
    let phone_only = Style {
        columns: vec![Column::Name, Column::Phone, Column::Cohort],
        ..Style::clean()
    };
    let outcome = lib.import("absensi.csv", &csv(&union_list[20..], &phone_only));
    assert_eq!(
        outcome.status,
        ImportStatus::Imported,
        "{:#?}",
        messages(&outcome)
    );
    assert_eq!((outcome.counts.new, outcome.counts.unchanged), (0, 10));
    assert_eq!(lib.count("SELECT count(*) FROM participants"), 30);
}

fn csv(people: &[Person], style: &Style) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roster.csv");
    write_csv(people, style, &path).unwrap();
    std::fs::read(path).unwrap()
}

#[test]
fn a_phone_shared_by_two_people_gives_two_participants() {
    let mut lib = Library::new();
    let mut pair = people(5, 2);
    pair[1].phone = pair[0].phone.clone();
    lib.import("a.xlsx", &xlsx(&pair[..1], &by_nik()));
    let outcome = lib.import("b.xlsx", &xlsx(&pair[1..], &by_nik()));
    assert_eq!(outcome.counts.new, 1);
    assert!(messages(&outcome)[0].contains("whose NIK or participant id differs"));
    assert_eq!(lib.count("SELECT count(*) FROM participants"), 2);
}

#[test]
fn a_nik_registered_under_another_participant_id_is_an_error() {
    let mut lib = Library::new();
    let mut person = people(6, 1);
    lib.import("a.xlsx", &xlsx(&person, &Style::clean()));
    person[0].participant_id = "EVM-999999".into();
    let before = lib.snapshot();
    let outcome = lib.import("b.xlsx", &xlsx(&person, &Style::clean()));
    assert_eq!(outcome.status, ImportStatus::Rejected);
    assert!(messages(&outcome)[0].contains("participant id cannot change"));
    assert_eq!(lib.snapshot()[..3], before[..3]);
}

#[test]
fn a_file_with_bad_rows_imports_nothing_and_records_why() {
    let mut lib = Library::new();
    let people = people(7, 60);
    let style = Style {
        bad_rows: 8,
        ..Style::messy(3)
    };
    let (bytes, written) = xlsx_bytes(&people, &style).unwrap();
    let before = lib.snapshot();
    let outcome = lib.import("kotor.xlsx", &bytes);
    assert_eq!(outcome.status, ImportStatus::Rejected);
    assert_eq!(outcome.counts.rejected, 8);
    for bad in &written.bad {
        assert!(
            outcome.problems.iter().any(|p| p.sheet == bad.sheet
                && p.row == bad.row
                && p.severity == Severity::Error
                && p.message.contains(bad.expect)),
            "{bad:?} not in {:#?}",
            messages(&outcome)
        );
    }
    let after = lib.snapshot();
    assert_eq!(after[..3], before[..3], "no participant data");
    assert_eq!(
        lib.count(
            "SELECT count(*) FROM roster_imports WHERE status = 'rejected' AND rows_rejected = 8"
        ),
        1
    );
    assert_eq!(after[4] as usize, outcome.problems.len());
    let relative: String = lib
        .conn
        .query_row("SELECT error_workbook FROM roster_imports", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert!(lib.reports().join(relative).exists());
}

#[test]
fn a_dry_run_changes_nothing_and_reports_what_would_happen() {
    let mut lib = Library::new();
    let people = people(8, 25);
    lib.import("a.xlsx", &xlsx(&people[..10], &by_nik()));
    let before = lib.snapshot();
    let outcome = lib.import_with("b.xlsx", &xlsx(&people, &by_nik()), true);
    assert_eq!(outcome.status, ImportStatus::Imported);
    assert!(outcome.dry_run);
    assert_eq!(outcome.import_id, None);
    assert_eq!((outcome.counts.new, outcome.counts.unchanged), (15, 10));
    assert_eq!(lib.snapshot(), before);
}

#[test]
fn the_error_workbook_keeps_text_as_text_and_marks_the_bad_cells() {
    let mut lib = Library::new();
    let csv = "Nama,No HP,Catatan\n\
               =HYPERLINK(\"http://x\"),081234567890,=1+1\n\
               Budi,021555,catatan\n";
    let outcome = lib.import("formula.csv", csv.as_bytes());
    assert_eq!(outcome.status, ImportStatus::Rejected);
    let path = outcome.error_workbook.unwrap();
    let grid = read_grid(&path, 1);
    assert_eq!(
        grid[0][..4],
        ["Masalah / Problems", "Baris / Row", "Nama", "No HP"]
    );
    assert_eq!(grid.len(), 2, "only the row with a problem: {grid:?}");
    assert!(grid[1][0].contains("B (No HP)") && grid[1][0].contains("not an Indonesian mobile"));
    assert_eq!(grid[1][1], "3");
    assert_eq!(grid[1][2..], ["Budi", "021555", "catatan"]);
    // The formula typed as text in the good row stays text if it is ever written: check the
    // cell writer by importing a row that has both a formula and a problem.
    let csv = "Nama,No HP\n=HYPERLINK(\"http://x\"),021555\n";
    let outcome = lib.import("formula2.csv", csv.as_bytes());
    let path = outcome.error_workbook.unwrap();
    let mut workbook = calamine::open_workbook_auto(&path).unwrap();
    let name = workbook.sheet_names()[1].clone();
    let formulas = workbook.worksheet_formula(&name).unwrap();
    assert!(
        formulas.used_cells().all(|(_, _, f)| f.is_empty()),
        "no formulas"
    );
    assert_eq!(read_grid(&path, 1)[1][2], "=HYPERLINK(\"http://x\")");
}

/// Sheet `index` of a workbook as text.
fn read_grid(path: &Path, index: usize) -> Vec<Vec<String>> {
    let mut workbook = calamine::open_workbook_auto(path).unwrap();
    let name = workbook.sheet_names()[index].clone();
    let range = workbook.worksheet_range(&name).unwrap();
    range
        .rows()
        .map(|row| row.iter().map(|cell| cell.to_string()).collect())
        .collect()
}

// --- Through the binary -------------------------------------------------------------------

/// A folder with a `pantau.toml` whose paths stay inside it.
struct Site {
    dir: tempfile::TempDir,
}

impl Site {
    fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("pantau.toml"),
            "[paths]\ndatabase = \"data/pantau.db\"\nreports = \"reports\"\ninbox = \"inbox\"\n",
        )
        .unwrap();
        Site { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn command(&self, args: &[&str], files: &[PathBuf]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pantau"));
        command
            .arg("--config")
            .arg(self.path("pantau.toml"))
            .arg("import")
            .args(args)
            .args(files)
            .env("PANTAU_LOG", "info");
        command
    }

    fn import(&self, args: &[&str], files: &[PathBuf]) -> Output {
        self.command(args, files).output().unwrap()
    }

    fn json(&self, args: &[&str], files: &[PathBuf]) -> (i32, Vec<serde_json::Value>) {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let output = self.import(&all, files);
        let lines = String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        (output.status.code().unwrap(), lines)
    }

    fn db(&self) -> Connection {
        Connection::open(self.path("data/pantau.db")).unwrap()
    }

    fn participants(&self) -> i64 {
        self.db()
            .query_row("SELECT count(*) FROM participants", [], |row| row.get(0))
            .unwrap()
    }
}

#[test]
fn the_command_line_prints_one_json_object_per_file() {
    let site = Site::new();
    let a = site.write("a.xlsx", &xlsx(&people(9, 12), &Style::messy(1)));
    let b = site.write("b.xlsx", &xlsx(&people(10, 3), &Style::clean()));
    let (code, lines) = site.json(&[], &[a.clone(), b]);
    assert_eq!(code, 0, "{lines:#?}");
    assert_eq!(lines.len(), 2);
    let first = &lines[0];
    for key in [
        "file",
        "status",
        "dry_run",
        "rows_read",
        "new",
        "updated",
        "unchanged",
        "rejected",
        "warnings",
        "problems",
        "error_workbook",
    ] {
        assert!(first.get(key).is_some(), "{key} missing from {first}");
    }
    assert_eq!(first["file"], "a.xlsx");
    assert_eq!(first["status"], "imported");
    assert_eq!(first["rows_read"], 12);
    assert_eq!(first["new"], 12);
    for problem in first["problems"].as_array().unwrap() {
        for key in ["sheet", "row", "column", "message", "severity"] {
            assert!(problem.get(key).is_some(), "{key} missing from {problem}");
        }
    }
    assert_eq!(site.participants(), 15);
    let (code, lines) = site.json(&[], &[a]);
    assert_eq!(code, 0);
    assert_eq!(lines[0]["status"], "skipped");
}

#[test]
fn one_bad_row_rejects_its_file_while_the_others_import() {
    let site = Site::new();
    let people = people(12, 30);
    let style = Style {
        bad_rows: 1,
        ..Style::clean()
    };
    let (bytes, written) = xlsx_bytes(&people[..20], &style).unwrap();
    let bad_file = site.write("federasi-kotor.xlsx", &bytes);
    let good_file = site.write(
        "federasi-bersih.xlsx",
        &xlsx(&people[20..], &Style::clean()),
    );
    let output = site.import(&[], &[bad_file, good_file]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("federasi-kotor.xlsx: rejected"), "{stdout}");
    assert!(
        stdout.contains("federasi-bersih.xlsx: imported"),
        "{stdout}"
    );
    assert!(stderr.contains("1 of 2 files was not imported"), "{stderr}");
    assert_eq!(site.participants(), 10);

    let bad = &written.bad[0];
    let workbook = std::fs::read_dir(site.path("reports"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("import-errors-federasi-kotor"))
        .expect("an error workbook");
    assert!(stdout.contains(&workbook.display().to_string()));
    let list = read_grid(&workbook, 0);
    assert!(
        list.iter().any(|row| row[4].contains(bad.expect)),
        "{list:?}"
    );
    let rows = read_grid(&workbook, 1);
    assert_eq!(rows.len(), 2);
    assert!(rows[1][0].contains(bad.expect));
    assert_eq!(rows[1][1], bad.row.to_string());
    let person = &people[bad.person];
    assert!(rows[1].contains(&person.participant_id), "{rows:?}");
    assert!(rows[1].contains(&person.name));
}

#[test]
fn a_dry_run_on_the_command_line_changes_nothing() {
    let site = Site::new();
    let file = site.write("a.xlsx", &xlsx(&people(13, 8), &Style::clean()));
    let (code, lines) = site.json(&["--dry-run"], std::slice::from_ref(&file));
    assert_eq!(code, 0);
    assert_eq!(lines[0]["dry_run"], true);
    assert_eq!(lines[0]["new"], 8);
    assert_eq!(site.participants(), 0);
    let count: i64 = site
        .db()
        .query_row("SELECT count(*) FROM roster_imports", [], |row| row.get(0))
        .unwrap();
    assert_eq!(count, 0);
    let output = site.import(&["--dry-run"], &[file]);
    assert!(String::from_utf8_lossy(&output.stdout).contains("would be imported"));
}

/// An OLE compound file holding an `EncryptedPackage` stream, which is what Excel writes for a
/// workbook with a password to open.
fn password_protected() -> Vec<u8> {
    let mut bytes = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    bytes.resize(512, 0);
    bytes.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
    bytes.resize(4096, 0);
    bytes
}

/// A sheet whose used range reaches column XFD because of one stray cell.
fn sixteen_thousand_columns() -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (col, header) in ["Nama", "NIK", "No HP"].iter().enumerate() {
        sheet.write_string(0, col as u16, *header).unwrap();
    }
    let person = &people(14, 1)[0];
    sheet.write_string(1, 0, &person.name).unwrap();
    sheet.write_string(1, 1, &person.nik).unwrap();
    sheet.write_string(1, 2, &person.phone).unwrap();
    sheet.write_string(0, 16_383, "x").unwrap();
    workbook.save_to_buffer().unwrap()
}

/// Data cells merged over three rows, as a federation column often is.
fn merged_data_cells() -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let format = rust_xlsxwriter::Format::new();
    sheet
        .merge_range(0, 0, 0, 3, "DAFTAR PESERTA", &format)
        .unwrap();
    for (col, header) in ["Nama", "NIK", "Federasi"].iter().enumerate() {
        sheet.write_string(1, col as u16, *header).unwrap();
    }
    for (row, person) in people(15, 3).iter().enumerate() {
        sheet.write_string(row as u32 + 2, 0, &person.name).unwrap();
        sheet.write_string(row as u32 + 2, 1, &person.nik).unwrap();
    }
    sheet.merge_range(2, 2, 4, 2, "FSPMI", &format).unwrap();
    workbook.save_to_buffer().unwrap()
}

/// Hidden rows and a hidden roster sheet: read like the others, and said so.
fn hidden_rows_and_sheet() -> Vec<u8> {
    let people = people(16, 6);
    let mut workbook = rust_xlsxwriter::Workbook::new();
    for (index, group) in people.chunks(3).enumerate() {
        let sheet = workbook.add_worksheet();
        sheet.set_name(format!("Federasi {index}")).unwrap();
        sheet.write_string(0, 0, "Nama").unwrap();
        sheet.write_string(0, 1, "NIK").unwrap();
        for (row, person) in group.iter().enumerate() {
            sheet.write_string(row as u32 + 1, 0, &person.name).unwrap();
            sheet.write_string(row as u32 + 1, 1, &person.nik).unwrap();
        }
        sheet.set_row_hidden(2).unwrap();
        if index == 1 {
            sheet.set_hidden(true);
        }
    }
    workbook.save_to_buffer().unwrap()
}

#[test]
fn bad_input_gets_a_clear_message_and_the_other_files_still_import() {
    let site = Site::new();
    let good = xlsx(&people(17, 5), &Style::clean());
    let windows_1252 = b"Nama;NIK;Kota\nJos\xE9 Ram\xEDrez;3201014507850003;Bekasi\n".to_vec();
    let mut truncated = good.clone();
    truncated.truncate(good.len() / 2);
    let files = [
        ("good.xlsx", good.clone()),
        ("truncated.xlsx", truncated),
        ("corrupt.xlsx", {
            let mut bytes = good.clone();
            for byte in bytes.iter_mut().skip(200).step_by(7) {
                *byte ^= 0x5A;
            }
            bytes
        }),
        ("password.xlsx", password_protected()),
        ("empty.xlsx", Vec::new()),
        ("empty.csv", Vec::new()),
        ("notes.xlsx", b"%PDF-1.4 this is not a spreadsheet".to_vec()),
        ("binary.csv", vec![0, 159, 146, 150, 0, 1, 2]),
        ("windows-1252.csv", windows_1252),
        ("wide.xlsx", sixteen_thousand_columns()),
        ("merged.xlsx", merged_data_cells()),
        ("hidden.xlsx", hidden_rows_and_sheet()),
    ];
    let paths: Vec<PathBuf> = files
        .iter()
        .map(|(name, bytes)| site.write(name, bytes))
        .collect();
    let (code, lines) = site.json(&[], &paths);
    assert_eq!(code, 1);
    let by_file = |name: &str| {
        lines
            .iter()
            .find(|line| line["file"] == name)
            .unwrap_or_else(|| panic!("{name} not reported"))
    };
    let expect = [
        ("good.xlsx", "imported", ""),
        ("truncated.xlsx", "unreadable", "damaged or truncated"),
        ("corrupt.xlsx", "unreadable", "truncated.xlsx"),
        ("password.xlsx", "unreadable", "protected with a password"),
        ("empty.xlsx", "unreadable", "the file is empty"),
        ("empty.csv", "unreadable", "the file is empty"),
        ("notes.xlsx", "unreadable", "not a spreadsheet"),
        ("binary.csv", "unreadable", "not a text"),
        ("windows-1252.csv", "imported", ""),
        ("wide.xlsx", "imported", "columns wide"),
        ("merged.xlsx", "rejected", "cells C3:C5 are merged"),
        ("hidden.xlsx", "imported", "the sheet is hidden"),
    ];
    for (file, status, fragment) in expect {
        let line = by_file(file);
        assert_eq!(line["status"], status, "{file}: {line}");
        let text = line.to_string();
        if status == "unreadable" {
            let message = line["message"].as_str().unwrap();
            assert!(message.starts_with(file), "{file}: {message}");
            if file != "corrupt.xlsx" {
                assert!(message.contains(fragment), "{file}: {message}");
            }
        } else {
            assert!(text.contains(fragment), "{file}: {text}");
        }
    }
    assert_eq!(by_file("hidden.xlsx")["new"], 6);
    assert_eq!(by_file("windows-1252.csv")["new"], 1);
    let conn = site.db();
    let name: String = conn
        .query_row(
            "SELECT value FROM participant_attributes
             WHERE name = 'name' AND value LIKE 'Jos%'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(name, "José Ramírez");
    // good (5) + windows-1252 (1) + wide (1) + hidden (6); nothing from the others.
    assert_eq!(site.participants(), 13);
    let failed: i64 = conn
        .query_row(
            "SELECT count(*) FROM roster_imports WHERE status IN ('failed', 'rejected')",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(failed, 8);
}

#[test]
fn kill_9_during_an_import_leaves_the_database_as_it_was() {
    let site = Site::new();
    let small = site.write("kecil.xlsx", &xlsx(&people(18, 50), &Style::clean()));
    assert!(site.import(&[], &[small]).status.success());
    let before = site_snapshot(&site);

    let big_people = roster(&Spec {
        first_id: 1000,
        ..Spec::new(19, 200_000)
    });
    let big = site.path("besar.xlsx");
    write_xlsx(&big_people, &Style::benchmark(), &big).unwrap();
    drop(big_people);
    kill_while_storing(&site, big);

    let after = site_snapshot(&site);
    assert_eq!(after, before);
    let conn = site.db();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    drop(conn);
    let later = site.write("later.xlsx", &xlsx(&people(20, 5), &Style::clean()));
    let (code, lines) = site.json(&[], &[later]);
    assert_eq!(code, 0, "{lines:?}");
    assert_eq!(site.participants(), 55);
}

/// A first import into an empty programme drops the participant tables' indexes and
/// triggers inside its transaction and builds them at the end: killed half-way, it must leave
/// them all in place and nothing imported.
#[test]
fn kill_9_during_a_first_import_leaves_the_schema_and_no_participants() {
    let site = Site::new();
    // An empty programme with an up-to-date schema.
    drop(pantau::db::open(&site.path("data/pantau.db")).unwrap());
    let schema_of = |site: &Site| -> Vec<(String, String, Option<String>)> {
        let conn = site.db();
        let mut statement = conn
            .prepare("SELECT type, name, sql FROM sqlite_schema ORDER BY type, name")
            .unwrap();
        statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    };
    let schema = schema_of(&site);
    assert!(
        schema
            .iter()
            .any(|(kind, name, _)| kind == "trigger" && name == "participant_search_text_insert")
    );
    let big = site.path("pertama.xlsx");
    write_xlsx(&roster(&Spec::new(21, 200_000)), &Style::benchmark(), &big).unwrap();
    kill_while_storing(&site, big);

    assert_eq!(schema_of(&site), schema);
    assert_eq!(site.participants(), 0);
    let conn = site.db();
    let left: i64 = conn
        .query_row(
            "SELECT (SELECT count(*) FROM participant_search)
                  + (SELECT count(*) FROM participant_search_text)
                  + (SELECT count(*) FROM funnel_counts)
                  + (SELECT count(*) FROM search_backlog)
                  + (SELECT count(*) FROM roster_imports)",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(left, 0);
    drop(conn);
    // The next first import takes the same path and is searchable.
    let later = site.write("later.xlsx", &xlsx(&people(22, 5), &Style::clean()));
    let (code, lines) = site.json(&[], &[later]);
    assert_eq!(code, 0, "{lines:?}");
    assert_eq!(site.participants(), 5);
    assert_eq!(schema_of(&site), schema);
    // The killed import had left WAL for a rollback journal (`db::journal`): its hot
    // journal was rolled back, and the file is in WAL mode again.
    assert!(!site.path("data/pantau.db-journal").exists());
    assert_eq!(journal_mode(&site.db()), "wal");
    // Searchable once the indexer (the server's, or the admin list's) has added them.
    let mut conn = site.db();
    assert_eq!(search_index::waiting(&conn).unwrap(), 5);
    assert_eq!(search_index::catch_up(&mut conn).unwrap(), 5);
    assert_eq!(schema_of(&site), schema);
    let searchable: i64 = conn
        .query_row(
            "SELECT count(*) FROM participant_search_text WHERE participant_search_text MATCH
             (SELECT '\"' || substr(nik, 1, 3) || '\" \"' || substr(nik, 2, 3) || '\"'
              FROM participant_search
              WHERE nik IS NOT NULL LIMIT 1)",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert!(searchable >= 1);
}

fn journal_mode(conn: &Connection) -> String {
    conn.pragma_query_value(None, "journal_mode", |row| row.get(0))
        .unwrap()
}

/// A first import commits through a rollback journal only when it has the file to itself: with
/// the survey server's connection open, it commits through the WAL, and the server reads all
/// along, never a part of the import.
#[test]
fn a_first_import_beside_an_open_connection_keeps_wal_and_its_readers_reading() {
    for beside_a_reader in [true, false] {
        let site = Site::new();
        drop(pantau::db::open(&site.path("data/pantau.db")).unwrap());
        let file = site.path("pertama.xlsx");
        write_xlsx(&roster(&Spec::new(23, 20_000)), &Style::benchmark(), &file).unwrap();
        let reader = beside_a_reader.then(|| {
            let conn = pantau::db::open(&site.path("data/pantau.db")).unwrap();
            let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let stopping = std::sync::Arc::clone(&stop);
            let reads = std::thread::spawn(move || {
                let mut seen = std::collections::BTreeSet::new();
                while !stopping.load(std::sync::atomic::Ordering::Relaxed) {
                    let people: i64 = conn
                        .query_row("SELECT count(*) FROM participants", [], |row| row.get(0))
                        .expect("the reader reads during the import");
                    assert_eq!(journal_mode(&conn), "wal");
                    seen.insert(people);
                }
                seen
            });
            (stop, reads)
        });
        // Watched from outside SQLite: a rollback journal is a file beside the database for
        // as long as the import's transaction lasts.
        let journal = site.path("data/pantau.db-journal");
        let watching = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let watcher = {
            let watching = std::sync::Arc::clone(&watching);
            std::thread::spawn(move || {
                let mut seen = false;
                while watching.load(std::sync::atomic::Ordering::Relaxed) && !seen {
                    seen = journal.exists();
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                seen
            })
        };
        let (code, lines) = site.json(&[], &[file]);
        watching.store(false, std::sync::atomic::Ordering::Relaxed);
        assert_eq!(code, 0, "{lines:?}");
        assert_eq!(lines[0]["new"], 20_000, "{lines:?}");
        assert_eq!(
            watcher.join().unwrap(),
            !beside_a_reader,
            "a rollback journal was used (beside a reader: {beside_a_reader})"
        );
        if let Some((stop, reads)) = reader {
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            let seen = reads.join().unwrap();
            assert!(seen.contains(&0), "{seen:?}");
            assert!(seen.iter().all(|&n| n == 0 || n == 20_000), "{seen:?}");
        }
        let conn = site.db();
        assert_eq!(
            journal_mode(&conn),
            "wal",
            "beside a reader: {beside_a_reader}"
        );
        assert!(!site.path("data/pantau.db-journal").exists());
        let integrity: String = conn
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .unwrap();
        assert_eq!(integrity, "ok");
        assert_eq!(site.participants(), 20_000);
    }
}

fn site_snapshot(site: &Site) -> Vec<i64> {
    let conn = site.db();
    [
        "participants",
        "participant_attributes",
        "participant_attribute_history",
        "roster_imports",
        "roster_import_problems",
    ]
    .iter()
    .map(|table| {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
            row.get(0)
        })
        .unwrap()
    })
    .collect()
}

// --- Fuzzing the reader -------------------------------------------------------------------

/// Random workbooks, CSV text and damaged bytes through `read_roster` and `parse_roster`:
/// whatever comes in, no panic.
#[test]
fn the_reader_never_panics_on_generated_or_damaged_files() {
    let aliases = Aliases::default();
    let reference = Reference::builtin();
    let rules = RosterRules {
        aliases: &aliases,
        reference: &reference,
        today: today(),
        rows_hint: 0,
    };
    let mut rng = pantau::synthetic::Rng::new(99);
    let words = [
        "Nama",
        "NIK",
        "No HP",
        "Tgl Lahir",
        "JK",
        "Sesi 1",
        "Upah",
        "3,5 juta",
        "#N/A",
        "✓",
        "31/02/2024",
        "3.20101E+15",
        "=1+1",
        "",
        " ",
        "Ü",
        "\u{0}",
        "0812",
        "P",
        "x",
    ];
    let mut cases = 0;
    for round in 0..300 {
        // A small random workbook.
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        for _ in 0..rng.below(40) {
            let (row, col) = (rng.below(12) as u32, rng.below(10) as u16);
            if rng.chance(0.5) {
                let _ = sheet.write_string(row, col, *rng.pick(&words));
            } else {
                let _ = sheet.write_number(row, col, (rng.next_u64() % 10_000_000_000) as f64);
            }
        }
        let bytes = workbook.save_to_buffer().unwrap();
        check(&format!("w{round}.xlsx"), &bytes, &rules);
        // The same bytes damaged: truncated, and with flipped bytes.
        let cut = rng.below(bytes.len() as u64) as usize;
        check("t.xlsx", &bytes[..cut], &rules);
        let mut flipped = bytes.clone();
        for _ in 0..1 + rng.below(8) {
            let at = rng.below(flipped.len() as u64) as usize;
            flipped[at] ^= 1 << rng.below(8);
        }
        check("f.xlsx", &flipped, &rules);
        // Random CSV text, also damaged.
        let mut text = String::new();
        for _ in 0..rng.below(10) {
            for _ in 0..rng.below(8) {
                let word: &&str = rng.pick(&words);
                text.push_str(word);
                text.push(*rng.pick(&[',', ';', '\t', '"']));
            }
            text.push('\n');
        }
        check("r.csv", text.as_bytes(), &rules);
        let mut raw = text.into_bytes();
        if !raw.is_empty() {
            let at = rng.below(raw.len() as u64) as usize;
            raw[at] = rng.below(256) as u8;
        }
        check("d.csv", &raw, &rules);
        // Random bytes with a workbook's signature.
        let mut noise = b"PK\x03\x04".to_vec();
        noise.extend((0..rng.below(300)).map(|_| rng.below(256) as u8));
        check("n.xlsx", &noise, &rules);
        cases += 6;
    }
    // Synthetic rosters with bad rows, damaged.
    for seed in 0..50 {
        let people = roster(&Spec::new(seed, 20));
        let style = Style {
            bad_rows: 3,
            ..Style::messy(seed)
        };
        let (bytes, _) = xlsx_bytes(&people, &style).unwrap();
        check("s.xlsx", &bytes, &rules);
        let mut flipped = bytes.clone();
        let at = rng.below(flipped.len() as u64) as usize;
        flipped[at] ^= 0xFF;
        check("s.xlsx", &flipped, &rules);
        check("s.xlsx", &bytes[..bytes.len() * 9 / 10], &rules);
        cases += 3;
    }
    assert!(cases >= 1950);
}

fn check(name: &str, bytes: &[u8], rules: &RosterRules) {
    let whole = read_roster(name, bytes).ok().map(|sheets| {
        let parsed = parse_roster(&sheets, rules);
        assert!(parsed.rows_rejected <= parsed.rows_read);
        parsed
    });
    // The streaming reader the import uses for .xlsx: no panic either, and where both read
    // the file, the same rows read, rejected and kept.
    let Ok(Some(stream)) = XlsxStream::open(name, bytes) else {
        return;
    };
    let mut parts = Vec::new();
    let read = stream.read(&mut |part| {
        parts.push(part);
        true
    });
    let mut marks = stream.marks().unwrap_or_default();
    let mut records = Vec::new();
    let mut parts = parts.into_iter();
    let streamed = parse_roster_parts(
        &mut || parts.next(),
        &mut |sheet| marks.remove(sheet).unwrap_or_default(),
        rules,
        &mut |record| records.push(record),
    );
    assert!(streamed.rows_rejected <= streamed.rows_read);
    if let (Ok(()), Some(whole)) = (read, whole) {
        assert_eq!(
            (streamed.rows_read, streamed.rows_rejected, records),
            (whole.rows_read, whole.rows_rejected, whole.records),
            "{name}"
        );
    }
}

/// The streaming reader cannot put rows in order; a file that stores a row after a later one
/// (which Excel and LibreOffice never write, but other programs may) is read whole instead
/// and imports like any other.
#[test]
fn rows_stored_out_of_order_are_read_whole_and_import() {
    let bytes = xlsx(&people(23, 6), &Style::clean());
    let entries: Vec<(String, Vec<u8>)> = unzip(&bytes)
        .into_iter()
        .map(|(name, data)| {
            if name != "xl/worksheets/sheet1.xml" {
                return (name, data);
            }
            let text = String::from_utf8(data).unwrap();
            let starts: Vec<usize> = text.match_indices("<row ").map(|(at, _)| at).collect();
            let (last_but_one, last) = (starts[starts.len() - 2], starts[starts.len() - 1]);
            let end = text.find("</sheetData>").unwrap();
            let swapped = format!(
                "{}{}{}{}",
                &text[..last_but_one],
                &text[last..end],
                &text[last_but_one..last],
                &text[end..]
            );
            (name, swapped.into_bytes())
        })
        .collect();
    let shuffled = zip_of(&entries);
    let stream = XlsxStream::open("r.xlsx", &shuffled).unwrap().unwrap();
    assert_eq!(stream.read(&mut |_| true), Err(StreamError::OutOfOrder));
    let mut library = Library::new();
    let outcome = library.import("r.xlsx", &shuffled);
    assert_eq!(
        outcome.status,
        ImportStatus::Imported,
        "{:?}",
        outcome.problems
    );
    assert_eq!(outcome.counts.new, 6);
    assert_eq!(library.count("SELECT count(*) FROM participant_search"), 0);
    assert_eq!(search_index::catch_up(&mut library.conn).unwrap(), 6);
    assert_eq!(library.count("SELECT count(*) FROM participant_search"), 6);
}

/// The entries of a zip file, in order, with their uncompressed bytes.
fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|index| {
            let mut entry = archive.by_index(index).unwrap();
            let mut content = Vec::new();
            entry.read_to_end(&mut content).unwrap();
            (entry.name().unwrap().into_owned(), content)
        })
        .collect()
}

/// A zip file of these entries, stored uncompressed.
fn zip_of(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, content) in entries {
        writer.start_file(name.as_str(), options).unwrap();
        writer.write_all(content).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// A workbook whose shared-strings part has `attribute` set to `value`.
fn forged_shared_strings(attribute: &str, value: &str) -> Vec<u8> {
    let good = xlsx(&people(19, 3), &Style::clean());
    let entries: Vec<(String, Vec<u8>)> = unzip(&good)
        .into_iter()
        .map(|(name, content)| {
            if name != "xl/sharedStrings.xml" {
                return (name, content);
            }
            let text = String::from_utf8(content).unwrap();
            let pattern = regex::Regex::new(&format!(r#"\b{attribute}="\d+""#)).unwrap();
            assert!(pattern.is_match(&text), "{attribute} in {text:.200}");
            let forged = pattern.replace(&text, format!(r#"{attribute}="{value}""#));
            (name, forged.into_owned().into_bytes())
        })
        .collect();
    zip_of(&entries)
}

/// An OpenDocument spreadsheet with one sheet, "Peserta", holding `rows` (table-row elements).
fn ods(rows: &str) -> Vec<u8> {
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"#;
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Peserta">{rows}</table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    zip_of(&[
        (
            "mimetype".to_owned(),
            b"application/vnd.oasis.opendocument.spreadsheet".to_vec(),
        ),
        (
            "META-INF/manifest.xml".to_owned(),
            manifest.as_bytes().to_vec(),
        ),
        ("content.xml".to_owned(), content.into_bytes()),
    ])
}

fn ods_row(cells: &[&str], attributes: &str) -> String {
    let cells: String = cells
        .iter()
        .map(|c| {
            format!(r#"<table:table-cell office:value-type="string"><text:p>{c}</text:p></table:table-cell>"#)
        })
        .collect();
    format!("<table:table-row{attributes}>{cells}</table:table-row>")
}

fn warnings_about(outcome: &FileOutcome, fragment: &str) -> Vec<String> {
    outcome
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Warning && p.message.contains(fragment))
        .map(ToString::to_string)
        .collect()
}

#[test]
fn hidden_xlsx_rows_are_imported_with_a_warning_naming_sheet_and_rows() {
    let mut lib = Library::new();
    let outcome = lib.import("hidden.xlsx", &hidden_rows_and_sheet());
    assert_eq!(
        outcome.status,
        ImportStatus::Imported,
        "{:?}",
        messages(&outcome)
    );
    assert_eq!(outcome.counts.new, 6);
    let hidden = warnings_about(&outcome, "hidden row");
    assert_eq!(hidden.len(), 2, "{hidden:?}");
    for (index, problem) in outcome
        .problems
        .iter()
        .filter(|p| p.message.contains("hidden row"))
        .enumerate()
    {
        assert_eq!(problem.sheet, format!("Federasi {index}"));
        assert_eq!(problem.row, 3);
        assert!(
            problem.message.starts_with("1 hidden row (row 3) imported"),
            "{}",
            problem.message
        );
    }
}

#[test]
fn hidden_rows_are_listed_as_ranges_and_only_below_the_header() {
    let people = people(20, 8);
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet().set_name("Serikat").unwrap();
    sheet.write_string(0, 0, "DAFTAR PESERTA").unwrap();
    sheet.set_row_hidden(0).unwrap();
    sheet.write_string(1, 0, "Nama").unwrap();
    sheet.write_string(1, 1, "NIK").unwrap();
    for (row, person) in people.iter().enumerate() {
        sheet.write_string(row as u32 + 2, 0, &person.name).unwrap();
        sheet.write_string(row as u32 + 2, 1, &person.nik).unwrap();
    }
    // Spreadsheet rows 4-6 and 9.
    for row in [3, 4, 5, 8] {
        sheet.set_row_hidden(row).unwrap();
    }
    let mut lib = Library::new();
    let outcome = lib.import("serikat.xlsx", &workbook.save_to_buffer().unwrap());
    assert_eq!(
        outcome.status,
        ImportStatus::Imported,
        "{:?}",
        messages(&outcome)
    );
    assert_eq!(outcome.counts.new, 8);
    let hidden = warnings_about(&outcome, "hidden rows");
    assert_eq!(hidden.len(), 1, "{:?}", messages(&outcome));
    assert!(hidden[0].contains("Serikat"), "{}", hidden[0]);
    assert!(
        hidden[0].contains("4 hidden rows (rows 4-6, 9) imported"),
        "{}",
        hidden[0]
    );
}

#[test]
fn hidden_ods_rows_are_imported_with_a_warning() {
    let people = people(21, 3);
    let mut rows = ods_row(&["Nama", "NIK"], "");
    for (index, person) in people.iter().enumerate() {
        let attributes = if index == 1 {
            r#" table:visibility="collapse""#
        } else {
            ""
        };
        rows.push_str(&ods_row(&[&person.name, &person.nik], attributes));
    }
    let mut lib = Library::new();
    let outcome = lib.import("peserta.ods", &ods(&rows));
    assert_eq!(
        outcome.status,
        ImportStatus::Imported,
        "{:?}",
        messages(&outcome)
    );
    assert_eq!(outcome.counts.new, 3);
    let hidden = warnings_about(&outcome, "hidden row");
    assert_eq!(hidden.len(), 1, "{:?}", messages(&outcome));
    assert!(hidden[0].contains("1 hidden row (row 3)"), "{}", hidden[0]);
    assert_eq!(outcome.problems[0].sheet, "Peserta");
}

#[test]
fn forged_shared_string_counts_are_refused_before_calamine_allocates() {
    let mut lib = Library::new();
    let before = lib.snapshot();
    // Unguarded, calamine reserves four billion strings (about 96 GB) and the process aborts.
    let cases = [
        ("unique.xlsx", "uniqueCount", "distinct texts (uniqueCount)"),
        ("count.xlsx", "count", "text cells (count)"),
    ];
    for (file, attribute, fragment) in cases {
        let outcome = lib.import(file, &forged_shared_strings(attribute, "4000000000"));
        assert_eq!(outcome.status, ImportStatus::Unreadable, "{file}");
        let message = outcome.message.unwrap();
        assert!(message.starts_with(file), "{message}");
        assert!(message.contains("xl/sharedStrings.xml"), "{message}");
        assert!(message.contains(fragment), "{message}");
        assert!(message.contains("4000000000"), "{message}");
    }
    let small = lib.import("small.xlsx", &forged_shared_strings("uniqueCount", "9"));
    assert_eq!(small.status, ImportStatus::Imported);
    let after = lib.snapshot();
    assert_eq!(
        after[0],
        before[0] + 3,
        "only the honest file's participants"
    );
}

#[test]
fn an_ods_whose_repeats_expand_beyond_its_size_is_refused() {
    // 2,000 rows of 5,000 cells from one repeated cell: ten million cells (over 500 MB in
    // calamine) from a file of one kilobyte.
    let bomb = format!(
        r#"{}<table:table-row table:number-rows-repeated="2000"><table:table-cell office:value-type="string" table:number-columns-repeated="5000"><text:p>x</text:p></table:table-cell></table:table-row>"#,
        ods_row(&["Nama", "NIK"], "")
    );
    let mut lib = Library::new();
    let outcome = lib.import("bom.ods", &ods(&bomb));
    assert_eq!(outcome.status, ImportStatus::Unreadable);
    let message = outcome.message.unwrap();
    assert!(
        message.starts_with("bom.ods: the workbook is damaged"),
        "{message}"
    );
    assert!(message.contains(r#"sheet "Peserta""#), "{message}");
    assert!(message.contains("10005000 cells"), "{message}");
    assert_eq!(lib.count("SELECT count(*) FROM participants"), 0);
    // Repeats of empty cells and rows, as LibreOffice writes to the sheet's edge, are fine.
    let person = &people(22, 1)[0];
    let honest = format!(
        r#"{}{}<table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>"#,
        ods_row(&["Nama", "NIK"], ""),
        ods_row(&[&person.name, &person.nik], "")
    );
    let outcome = lib.import("jujur.ods", &ods(&honest));
    assert_eq!(
        outcome.status,
        ImportStatus::Imported,
        "{:?}",
        messages(&outcome)
    );
    assert_eq!(outcome.counts.new, 1);
}

/// Starts `pantau import FILE` and kills it (SIGKILL) once it is writing rows inside its
/// transaction, and a little later: the moment a crash would hurt most.
fn kill_while_storing(site: &Site, file: PathBuf) {
    let mut child = site
        .command(&[], &[file])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let storing = std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr).lines() {
            if line.unwrap_or_default().contains("storing roster rows") {
                return true;
            }
        }
        false
    });
    assert!(
        storing.join().unwrap(),
        "the import never reached the storing stage"
    );
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the import finished too soon to test"
    );
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
}

/// `xlsx` saved as `.xls` (BIFF8) by LibreOffice, as a programme's older Excel would hand it over.
fn as_xls(name: &str, xlsx: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join(format!("{name}.xlsx"));
    std::fs::write(&source, xlsx).unwrap();
    let output = super::office::convert("xls", &source, dir.path(), &dir.path().join("profile"));
    let converted = dir.path().join(format!("{name}.xls"));
    std::fs::read(&converted).unwrap_or_else(|e| {
        panic!(
            "LibreOffice made no {} ({e}): {}",
            converted.display(),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

#[test]
fn hidden_xls_rows_are_found_and_a_forged_xls_is_refused_without_aborting() {
    let people = people(22, 8);
    let mut workbook = rust_xlsxwriter::Workbook::new();
    for (name, hidden) in [("Jatim", &[3u32, 4, 5][..]), ("Bāli", &[2u32][..])] {
        let sheet = workbook.add_worksheet().set_name(name).unwrap();
        sheet.write_string(0, 0, "Nama").unwrap();
        sheet.write_string(0, 1, "NIK").unwrap();
        let share = if name == "Jatim" {
            &people[..5]
        } else {
            &people[5..]
        };
        for (row, person) in share.iter().enumerate() {
            sheet.write_string(row as u32 + 1, 0, &person.name).unwrap();
            sheet.write_string(row as u32 + 1, 1, &person.nik).unwrap();
        }
        for &row in hidden {
            sheet.set_row_hidden(row).unwrap();
        }
    }
    let xls = as_xls("peserta", &workbook.save_to_buffer().unwrap());
    assert!(xls.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]), "not an .xls");

    // A copy whose first sheet claims four billion rows: unguarded, calamine asks for about
    // 11 petabytes and the process aborts, taking the other files of the run with it.
    let dimensions = xls
        .windows(4)
        .position(|w| w == [0x00, 0x02, 0x0E, 0x00])
        .expect("a DIMENSIONS record");
    let mut forged = xls.clone();
    forged[dimensions + 8..dimensions + 12].copy_from_slice(&u32::MAX.to_le_bytes());

    let mut lib = Library::new();
    let before = lib.snapshot();
    let refused = lib.import("forged.xls", &forged);
    assert_eq!(
        refused.status,
        ImportStatus::Unreadable,
        "{:?}",
        messages(&refused)
    );
    let reason = messages(&refused).join("\n");
    assert!(
        reason.contains("the .xls file looks damaged (a sheet claims rows 0 to 4294967295"),
        "{reason}"
    );
    assert_eq!(
        lib.snapshot()[..3],
        before[..3],
        "nothing of the forged file was stored"
    );

    let outcome = lib.import("peserta.xls", &xls);
    assert_eq!(
        outcome.status,
        ImportStatus::Imported,
        "{:?}",
        messages(&outcome)
    );
    assert_eq!(outcome.counts.new, 8);
    let hidden = warnings_about(&outcome, "hidden row");
    assert_eq!(hidden.len(), 2, "{:?}", messages(&outcome));
    let jatim = hidden.iter().find(|w| w.contains("Jatim")).expect("Jatim");
    assert!(
        jatim.contains("3 hidden rows (rows 4-6) imported"),
        "{jatim}"
    );
    let bali = hidden.iter().find(|w| w.contains("Bāli")).expect("Bāli");
    assert!(bali.contains("1 hidden row (row 3) imported"), "{bali}");
}
