//! Unit tests of the import on a database in a temporary folder: the inbox sweep and the
//! identity rules that the integration tests do not reach.

use super::*;
use crate::synthetic::{Column, Spec, Style, roster, xlsx_bytes};

/// What an import needs besides the connection, kept apart from it so that options can
/// borrow these while the connection is borrowed mutably.
struct Fixture {
    dir: tempfile::TempDir,
    aliases: Aliases,
    reference: Reference,
}

impl Fixture {
    fn new() -> (Fixture, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::db::open(&dir.path().join("pantau.db")).unwrap();
        let fixture = Fixture {
            dir,
            aliases: Aliases::default(),
            reference: Reference::builtin(),
        };
        (fixture, conn)
    }

    fn options(&self, record_skipped: bool) -> ImportOptions<'_> {
        ImportOptions {
            dry_run: false,
            today: Spec::new(0, 0).today,
            now: DateTime::parse_from_rfc3339("2025-12-01T02:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            reports_dir: self.dir.path(),
            aliases: &self.aliases,
            reference: &self.reference,
            record_skipped,
            progress: &NoProgress,
        }
    }
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |row| row.get(0)).unwrap()
}

#[test]
fn roster_files_are_recognised_by_extension() {
    for name in ["a.xlsx", "B.XLS", "c.ods", "d.csv", "e.xlsm"] {
        assert!(is_roster_file(Path::new(name)), "{name}");
    }
    for name in ["~$a.xlsx", ".a.csv", "notes.txt", "a.pdf", "xlsx"] {
        assert!(!is_roster_file(Path::new(name)), "{name}");
    }
}

#[test]
fn the_inbox_imports_each_file_once_and_leaves_them_in_place() {
    let (fixture, mut conn) = Fixture::new();
    let inbox = fixture.dir.path().join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    let people = roster(&Spec::new(1, 6));
    let (a, _) = xlsx_bytes(&people[..3], &Style::clean()).unwrap();
    let (b, _) = xlsx_bytes(&people[3..], &Style::clean()).unwrap();
    std::fs::write(inbox.join("a.xlsx"), a).unwrap();
    std::fs::write(inbox.join("b.xlsx"), b).unwrap();
    std::fs::write(inbox.join("README.txt"), "not a roster").unwrap();
    std::fs::write(inbox.join("broken.xlsx"), "not a workbook").unwrap();

    let options = fixture.options(false);
    let first = import_inbox(&mut conn, &inbox, &options).unwrap();
    let statuses: Vec<_> = first
        .iter()
        .map(|o| (o.file_name.as_str(), o.status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("a.xlsx", ImportStatus::Imported),
            ("b.xlsx", ImportStatus::Imported),
            ("broken.xlsx", ImportStatus::Unreadable),
        ]
    );
    let second = import_inbox(&mut conn, &inbox, &options).unwrap();
    assert_eq!(second[0].status, ImportStatus::Skipped);
    assert_eq!(second[1].status, ImportStatus::Skipped);
    assert!(inbox.join("a.xlsx").exists());
    // Skips in the inbox sweep are not recorded; the broken file's attempts are.
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM roster_imports WHERE status = 'skipped'"
        ),
        0
    );
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM roster_imports WHERE status = 'failed'"
        ),
        2
    );
    assert_eq!(count(&conn, "SELECT count(*) FROM participants"), 6);
    assert!(
        import_inbox(&mut conn, &fixture.dir.path().join("missing"), &options)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn two_rows_of_one_file_about_one_person_are_an_error() {
    let (fixture, mut conn) = Fixture::new();
    let people = roster(&Spec::new(2, 1));
    // The same person twice, once keyed by NIK and once by phone only: the parser sees two
    // keys, the store sees one person.
    let by_nik = Style {
        columns: vec![Column::Name, Column::Nik, Column::Phone],
        ..Style::clean()
    };
    let (first, _) = xlsx_bytes(&people, &by_nik).unwrap();
    let options = fixture.options(true);
    assert_eq!(
        import_file(&mut conn, "a.xlsx", &first, &options).status,
        ImportStatus::Imported
    );
    let csv = format!(
        "Nama,NIK,No HP\n{},{},0{}\n{},,0{}\n",
        people[0].name,
        people[0].nik,
        &people[0].phone[2..],
        people[0].name,
        &people[0].phone[2..]
    );
    let outcome = import_file(&mut conn, "b.csv", csv.as_bytes(), &options);
    assert_eq!(outcome.status, ImportStatus::Rejected);
    assert!(
        outcome.problems[0]
            .message
            .contains("same participant as sheet \"b\", row 2"),
        "{:?}",
        outcome.problems
    );
}
