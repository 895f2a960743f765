//! Writes pantau's XLSForm workbooks from the tables in this example, so that they can be
//! regenerated reproducibly.
//!
//! ```text
//! cargo run --example build_forms               # forms/baseline.xlsx and forms/followup.xlsx
//! cargo run --example build_forms -- --fixtures # tests/data/forms/kobo_household.xlsx,
//!                                               # odk_clinic.xlsx (+ .xls and .ods copies
//!                                               # when LibreOffice's `soffice` is installed)
//! cargo run --example build_forms -- --all      # both
//! ```
//!
//! The committed `.xlsx` files are what programme officers open and edit in Excel; this program
//! only exists so that the shipped forms and the test fixtures can be rebuilt from readable
//! source. Each form is a list of [`Line`]s, one per spreadsheet row, in `baseline.rs`,
//! `followup.rs` (with the parts they share in `common.rs`) and `fixtures.rs`.
//!
//! Conventions of the shipped forms (see DESIGN.md §4):
//! - Indonesian first (`label::Indonesian (id)`, the default language), English second.
//! - A `hidden` field named `roster_<attribute>` is filled by pantau with the participant's roster
//!   value (for example `roster_first_name`); a `hidden` field named `previous_<field>` with the
//!   same participant's answer to `<field>` in the previous wave. Outside pantau (KoboToolbox,
//!   ODK) they are ordinary hidden fields that stay empty, and the forms still work.
//!
//! After regenerating, check the forms with pyxform: `.ci/check_forms.sh`.

mod baseline;
mod common;
mod fixtures;
mod followup;

use std::path::{Path, PathBuf};

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

/// The default language of the shipped forms, as written in the column headers.
pub const ID: &str = "Indonesian (id)";
/// The second language of the shipped forms.
pub const EN: &str = "English (en)";

/// One spreadsheet row: the cells it fills, by column header. Columns it leaves out stay empty.
#[derive(Debug, Clone, Default)]
pub struct Line {
    cells: Vec<(String, String)>,
}

/// A `survey` row of the given type and name.
pub fn row(ty: &str, name: &str) -> Line {
    Line::default().set("type", ty).set("name", name)
}

/// A `choices` row with its Indonesian and English labels.
pub fn choice(list_name: &str, name: &str, id: &str, en: &str) -> Line {
    Line::default()
        .set("list_name", list_name)
        .set("name", name)
        .label(id, en)
}

/// The closing `end_group` row.
pub fn end_group() -> Line {
    Line::default().set("type", "end_group")
}

impl Line {
    /// Sets the cell of column `column` (its exact header text).
    pub fn set(mut self, column: &str, value: impl Into<String>) -> Line {
        let value = value.into();
        match self.cells.iter_mut().find(|(c, _)| c == column) {
            Some(cell) => cell.1 = value,
            None => self.cells.push((column.to_owned(), value)),
        }
        self
    }

    /// `label` in Indonesian and English.
    pub fn label(self, id: &str, en: &str) -> Line {
        self.set(&format!("label::{ID}"), id)
            .set(&format!("label::{EN}"), en)
    }

    /// `hint` in Indonesian and English.
    pub fn hint(self, id: &str, en: &str) -> Line {
        self.set(&format!("hint::{ID}"), id)
            .set(&format!("hint::{EN}"), en)
    }

    /// `required` = yes, with the standard polite message in both languages.
    pub fn req(self) -> Line {
        self.set("required", "yes")
            .set(
                &format!("required_message::{ID}"),
                "Mohon jawab pertanyaan ini.",
            )
            .set(
                &format!("required_message::{EN}"),
                "Please answer this question.",
            )
    }

    /// `relevant` expression.
    pub fn relevant(self, expr: &str) -> Line {
        self.set("relevant", expr)
    }

    /// `constraint` expression with its message in Indonesian and English.
    pub fn constraint(self, expr: &str, id: &str, en: &str) -> Line {
        self.set("constraint", expr)
            .set(&format!("constraint_message::{ID}"), id)
            .set(&format!("constraint_message::{EN}"), en)
    }

    /// `calculation` expression.
    pub fn calc(self, expr: &str) -> Line {
        self.set("calculation", expr)
    }

    /// `choice_filter` expression.
    pub fn filter(self, expr: &str) -> Line {
        self.set("choice_filter", expr)
    }

    /// `appearance`.
    pub fn appearance(self, appearance: &str) -> Line {
        self.set("appearance", appearance)
    }

    /// `default` value.
    pub fn default_value(self, value: &str) -> Line {
        self.set("default", value)
    }

    fn get(&self, column: &str) -> Option<&str> {
        self.cells
            .iter()
            .find(|(c, _)| c == column)
            .map(|(_, v)| v.as_str())
    }
}

/// A column of a sheet: its header and its width in Excel character units.
#[derive(Debug, Clone, Copy)]
pub struct Col {
    pub header: &'static str,
    pub width: f64,
}

/// Shorthand for a [`Col`].
pub const fn col(header: &'static str, width: f64) -> Col {
    Col { header, width }
}

/// One worksheet: the columns in order and the rows below the header.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub name: &'static str,
    pub columns: Vec<Col>,
    pub rows: Vec<Line>,
}

/// A whole XLSForm workbook.
#[derive(Debug, Clone)]
pub struct Form {
    pub survey: Sheet,
    pub choices: Sheet,
    pub settings: Sheet,
}

/// The `settings` sheet: one header row, one value row.
pub fn settings(pairs: &[(&'static str, &str)]) -> Sheet {
    let columns = pairs
        .iter()
        .map(|(k, v)| col(k, (v.len() as f64 + 4.0).max(16.0)))
        .collect();
    let mut line = Line::default();
    for (k, v) in pairs {
        line = line.set(k, *v);
    }
    Sheet {
        name: "settings",
        columns,
        rows: vec![line],
    }
}

/// The survey columns of the shipped forms, in spreadsheet order.
pub fn shipped_survey_columns() -> Vec<Col> {
    vec![
        col("type", 30.0),
        col("name", 24.0),
        col("label::Indonesian (id)", 60.0),
        col("label::English (en)", 55.0),
        col("hint::Indonesian (id)", 45.0),
        col("hint::English (en)", 40.0),
        col("required", 10.0),
        col("required_message::Indonesian (id)", 28.0),
        col("required_message::English (en)", 28.0),
        col("relevant", 45.0),
        col("constraint", 40.0),
        col("constraint_message::Indonesian (id)", 45.0),
        col("constraint_message::English (en)", 40.0),
        col("calculation", 60.0),
        col("choice_filter", 40.0),
        col("appearance", 12.0),
        col("default", 10.0),
        col("read_only", 10.0),
    ]
}

/// The choices columns of the shipped forms.
pub fn shipped_choices_columns() -> Vec<Col> {
    vec![
        col("list_name", 18.0),
        col("name", 14.0),
        col("label::Indonesian (id)", 60.0),
        col("label::English (en)", 50.0),
        col("pu_only", 10.0),
    ]
}

/// Writes `form` to `path`. Panics when a row fills a column the sheet does not declare (a typo
/// in the tables), so that a misspelt header never reaches a workbook.
pub fn write_form(form: &Form, path: &Path) -> Result<(), XlsxError> {
    let mut workbook = Workbook::new();
    // A fixed creation date keeps regenerated files identical when the tables did not change.
    let created = ExcelDateTime::from_ymd(2026, 11, 24)?;
    workbook.set_properties(
        &DocProperties::new()
            .set_author("pantau")
            .set_title(path.file_stem().and_then(|s| s.to_str()).unwrap_or("form"))
            .set_creation_datetime(&created),
    );
    let header = Format::new()
        .set_bold()
        .set_background_color("#DDEBF7")
        .set_border_bottom(rust_xlsxwriter::FormatBorder::Thin);
    let wrap = Format::new()
        .set_text_wrap()
        .set_align(rust_xlsxwriter::FormatAlign::Top);
    let group = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(rust_xlsxwriter::FormatAlign::Top)
        .set_background_color("#F2F2F2");
    for sheet in [&form.survey, &form.choices, &form.settings] {
        let ws = workbook.add_worksheet();
        ws.set_name(sheet.name)?;
        for (c, column) in sheet.columns.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, column.header, &header)?;
            ws.set_column_width(c as u16, column.width)?;
        }
        ws.set_freeze_panes(1, 0)?;
        for (r, line) in sheet.rows.iter().enumerate() {
            for (column, _) in &line.cells {
                assert!(
                    sheet.columns.iter().any(|c| c.header == column),
                    "{}: sheet {} row {} fills undeclared column {column:?}",
                    path.display(),
                    sheet.name,
                    r + 2
                );
            }
            let is_group = line.get("type").is_some_and(|t| {
                t.starts_with("begin_group")
                    || t.starts_with("end_group")
                    || t.starts_with("begin group")
                    || t.starts_with("end group")
            });
            let format = if is_group { &group } else { &wrap };
            for (c, column) in sheet.columns.iter().enumerate() {
                match line.get(column.header) {
                    Some(value) if !value.is_empty() => {
                        ws.write_string_with_format(r as u32 + 1, c as u16, value, format)?;
                    }
                    _ if is_group => {
                        ws.write_blank(r as u32 + 1, c as u16, format)?;
                    }
                    _ => {}
                }
            }
        }
    }
    workbook.save(path)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut shipped = args.is_empty();
    let mut test_forms = false;
    for arg in &args {
        match arg.as_str() {
            "--fixtures" => test_forms = true,
            "--all" => {
                shipped = true;
                test_forms = true;
            }
            "--shipped" => shipped = true,
            "-h" | "--help" => {
                println!(
                    "usage: cargo run --example build_forms [-- --shipped | --fixtures | --all]"
                );
                return;
            }
            other => {
                eprintln!("unknown argument {other:?}; try --help");
                std::process::exit(2);
            }
        }
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    if shipped {
        let dir = root.join("forms");
        std::fs::create_dir_all(&dir).expect("create forms/");
        for (file, form) in [
            ("baseline.xlsx", baseline::form()),
            ("followup.xlsx", followup::form()),
        ] {
            let path = dir.join(file);
            write_form(&form, &path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            println!("wrote {}", path.display());
        }
    }
    if test_forms {
        let dir = root.join("tests/data/forms");
        std::fs::create_dir_all(&dir).expect("create tests/data/forms/");
        for (file, form) in [
            ("kobo_household.xlsx", fixtures::kobo_household()),
            ("odk_clinic.xlsx", fixtures::odk_clinic()),
        ] {
            let path = dir.join(file);
            write_form(&form, &path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            println!("wrote {}", path.display());
        }
        convert_copies(&dir.join("odk_clinic.xlsx"), &["xls", "ods"]);
    }
}

/// Converts `xlsx` into the given formats beside it with LibreOffice, when it is installed.
fn convert_copies(xlsx: &Path, formats: &[&str]) {
    let dir = xlsx.parent().expect("file in a directory");
    let Some(soffice) = ["soffice", "libreoffice"].into_iter().find(|bin| {
        std::process::Command::new(bin)
            .arg("--version")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }) else {
        eprintln!("note: LibreOffice (soffice) not found; .xls/.ods copies not regenerated");
        return;
    };
    for format in formats {
        // A private profile directory, so that a running LibreOffice does not swallow the call.
        let profile = std::env::temp_dir().join(format!("build_forms_lo_{}", std::process::id()));
        let status = std::process::Command::new(soffice)
            .arg(format!(
                "-env:UserInstallation=file://{}",
                profile.display()
            ))
            .args(["--headless", "--convert-to", format, "--outdir"])
            .arg(dir)
            .arg(xlsx)
            .stdout(std::process::Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&profile);
        match status {
            Ok(s) if s.success() => {
                println!("wrote {}", xlsx.with_extension(format).display());
            }
            other => eprintln!("warning: {soffice} --convert-to {format} failed: {other:?}"),
        }
    }
}
