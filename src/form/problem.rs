//! Problems found in a form file, each with its place (file, sheet, row, column) and severity.
//!
//! A form author fixes every problem in one go, so loading never stops at the first one: every
//! stage pushes [`Problem`]s into a list and carries on with what it could understand. The
//! [`Display`](std::fmt::Display) form is stable (scripts and the `check-form` command print it):
//!
//! ```text
//! forms/x.xlsx: survey row 12, column relevant (F): reference to undefined field ${agee}
//! forms/x.xlsx: choices row 4, column label::English (en) (D): warning: no label in English (en)
//! forms/x.xlsx: no survey sheet (sheets found: Sheet1)
//! ```
//!
//! Errors carry no prefix, so that the common case reads like a compiler message; warnings say
//! `warning:` before the message. Messages never end with a full stop.

use std::fmt;

use serde::Serialize;

/// How bad a problem is: an error stops the form from being used, a warning does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The form loads and runs; the author should still look (a missing translation, an
    /// appearance pantau ignores, metadata pantau cannot fill).
    Warning,
    /// The form cannot be used until this is fixed.
    Error,
}

/// A column of a sheet: its header text as written and its position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    /// The header as written in row 1, trimmed (`relevant`, `label::English (en)`).
    pub header: String,
    /// 0-based column index.
    pub index: u32,
}

impl Column {
    /// The spreadsheet letter of this column (`A`, `Z`, `AA`, … `XFD`).
    pub fn letter(&self) -> String {
        column_letter(self.index)
    }
}

/// One problem in a form file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file as named by the caller (a path or an upload's file name).
    pub file: String,
    /// The sheet the problem is in (`survey`, `choices`, `settings`), as named in the workbook,
    /// when the problem has a place in one.
    pub sheet: Option<String>,
    /// The 1-based spreadsheet row, as a person sees it in Excel.
    pub row: Option<u32>,
    /// The column, when the problem is in one cell.
    pub column: Option<Column>,
    /// Whether the form can still be used.
    pub severity: Severity,
    /// What is wrong, without a trailing full stop.
    pub message: String,
}

impl Problem {
    /// Whether this problem stops the form from being used.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.file)?;
        match (&self.sheet, self.row, &self.column) {
            (Some(sheet), Some(row), Some(column)) => write!(
                f,
                " {sheet} row {row}, column {} ({}):",
                column.header,
                column.letter()
            )?,
            (Some(sheet), Some(row), None) => write!(f, " {sheet} row {row}:")?,
            (Some(sheet), None, Some(column)) => write!(
                f,
                " {sheet}, column {} ({}):",
                column.header,
                column.letter()
            )?,
            (Some(sheet), None, None) => write!(f, " {sheet} sheet:")?,
            (None, _, _) => {}
        }
        if self.severity == Severity::Warning {
            write!(f, " warning:")?;
        }
        write!(f, " {}", self.message)
    }
}

/// The spreadsheet letter of a 0-based column index: 0 → `A`, 25 → `Z`, 26 → `AA`.
pub fn column_letter(index: u32) -> String {
    let mut n = u64::from(index) + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        letters.push(char::from(b'A' + rem));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// Collects the problems of one file, so that the stages that find them need not repeat the
/// file name.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    file: String,
    list: Vec<Problem>,
}

impl Problems {
    pub(crate) fn new(file: &str) -> Self {
        Problems {
            file: file.to_string(),
            list: Vec::new(),
        }
    }

    /// A problem with the file as a whole.
    pub(crate) fn file(&mut self, severity: Severity, message: impl Into<String>) {
        self.push(None, None, None, severity, message.into());
    }

    /// A problem with a sheet as a whole.
    pub(crate) fn sheet(&mut self, sheet: &str, severity: Severity, message: impl Into<String>) {
        self.push(Some(sheet), None, None, severity, message.into());
    }

    /// A problem with a row (1-based), not one cell.
    pub(crate) fn row(
        &mut self,
        sheet: &str,
        row: u32,
        severity: Severity,
        message: impl Into<String>,
    ) {
        self.push(Some(sheet), Some(row), None, severity, message.into());
    }

    /// A problem in one cell.
    pub(crate) fn cell(
        &mut self,
        sheet: &str,
        row: u32,
        column: &Column,
        severity: Severity,
        message: impl Into<String>,
    ) {
        self.push(
            Some(sheet),
            Some(row),
            Some(column.clone()),
            severity,
            message.into(),
        );
    }

    fn push(
        &mut self,
        sheet: Option<&str>,
        row: Option<u32>,
        column: Option<Column>,
        severity: Severity,
        message: String,
    ) {
        self.list.push(Problem {
            file: self.file.clone(),
            sheet: sheet.map(str::to_string),
            row,
            column,
            severity,
            message,
        });
    }

    pub(crate) fn has_errors(&self) -> bool {
        self.list.iter().any(Problem::is_error)
    }

    /// The problems in reading order: by sheet order of discovery is not useful to a person, so
    /// they are sorted by sheet, row and column, keeping file-wide problems first.
    pub(crate) fn into_sorted(mut self) -> Vec<Problem> {
        self.list.sort_by(|a, b| {
            let key = |p: &Problem| {
                (
                    p.sheet.is_some(),
                    sheet_rank(p.sheet.as_deref()),
                    p.row.unwrap_or(0),
                    p.column.as_ref().map_or(0, |c| c.index + 1),
                )
            };
            key(a).cmp(&key(b))
        });
        self.list
    }
}

/// Sheets in the order a form author reads them.
fn sheet_rank(sheet: Option<&str>) -> (u8, String) {
    let name = sheet.unwrap_or_default().to_lowercase();
    let rank = match name.as_str() {
        "survey" => 0,
        "choices" => 1,
        "settings" => 2,
        _ => 3,
    };
    (rank, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_follow_excel() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
        assert_eq!(column_letter(16_383), "XFD");
    }

    #[test]
    fn display_names_the_place() {
        let problem = Problem {
            file: "forms/x.xlsx".into(),
            sheet: Some("survey".into()),
            row: Some(12),
            column: Some(Column {
                header: "relevant".into(),
                index: 5,
            }),
            severity: Severity::Error,
            message: "reference to undefined field ${agee}".into(),
        };
        assert_eq!(
            problem.to_string(),
            "forms/x.xlsx: survey row 12, column relevant (F): reference to undefined field ${agee}"
        );
        let warning = Problem {
            severity: Severity::Warning,
            column: None,
            ..problem
        };
        assert_eq!(
            warning.to_string(),
            "forms/x.xlsx: survey row 12: warning: reference to undefined field ${agee}"
        );
    }
}
