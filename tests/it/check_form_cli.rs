//! `pantau check-form` as a user runs it: the real binary, its output and its exit codes.

use std::path::Path;
use std::process::{Command, Output};

fn pantau(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pantau"))
        .args(args)
        .current_dir(dir)
        .env("PANTAU_LOG", "warn")
        .output()
        .expect("the pantau binary runs")
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn shipped_and_fixture_forms_pass_with_exit_code_0() {
    let output = pantau(
        &[
            "check-form",
            "forms/baseline.xlsx",
            "forms/followup.xlsx",
            "tests/data/forms/odk_clinic.xls",
            "tests/data/forms/odk_clinic.ods",
        ],
        repo(),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("forms/baseline.xlsx: ok — pantau_baseline"),
        "{stdout}"
    );
    assert!(stdout.contains("Indonesian (id), English (en)"), "{stdout}");
    assert_eq!(stdout.matches(": ok — ").count(), 4, "{stdout}");
}

#[test]
fn every_problem_of_every_file_is_printed_and_the_exit_code_is_1() {
    let dir = tempfile::tempdir().unwrap();
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let survey = workbook.add_worksheet().set_name("survey").unwrap();
    for (r, row) in [
        ["type", "name", "label", "relevant"],
        ["integer", "age", "Umur", ""],
        ["text", "age", "Umur lagi", ""],
        ["integer", "kids", "Anak", "${agee} > 18"],
        ["select_one colours", "colour", "Warna", ""],
    ]
    .iter()
    .enumerate()
    {
        for (c, cell) in row.iter().enumerate().filter(|(_, c)| !c.is_empty()) {
            survey.write_string(r as u32, c as u16, *cell).unwrap();
        }
    }
    workbook.save(dir.path().join("bad.xlsx")).unwrap();
    std::fs::write(dir.path().join("notes.xlsx"), b"not a workbook").unwrap();
    std::fs::copy(
        repo().join("forms/baseline.xlsx"),
        dir.path().join("good.xlsx"),
    )
    .unwrap();

    let output = pantau(
        &["check-form", "bad.xlsx", "notes.xlsx", "good.xlsx"],
        dir.path(),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("bad.xlsx: survey row 3, column name (B): duplicate name age"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "bad.xlsx: survey row 4, column relevant (D): reference to undefined field ${agee}"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("choice list colours"), "{stdout}");
    assert!(stdout.contains("notes.xlsx:"), "{stdout}");
    assert!(stdout.contains("good.xlsx: ok"), "{stdout}");
    assert!(
        stderr.contains("2 of 3 form files failed the check"),
        "{stderr}"
    );
}

#[test]
fn json_output_names_each_place() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.xlsx"), b"").unwrap();
    let output = pantau(&["check-form", "--json", "empty.xlsx"], dir.path());
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(line["severity"], "error");
    assert_eq!(line["file"], "empty.xlsx");
    assert!(
        line["message"].as_str().unwrap().contains("empty"),
        "{line}"
    );
}

#[test]
fn usage_errors_exit_1_and_help_exits_0() {
    let output = pantau(&["check-form"], repo());
    assert_eq!(output.status.code(), Some(1));
    let output = pantau(&["--help"], repo());
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("check-form"));
}
