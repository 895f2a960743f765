//! The error workbook: what a person opens to fix a roster.
//!
//! A first sheet lists every problem (sheet, row, column, severity, message). Then, for each
//! source sheet with problems in its rows, a sheet with the header row as it was in the file and
//! every row that has a problem, with all its original cells, a first column "Masalah /
//! Problems" listing that row's problems, a second column with the row number in the original
//! file, and the cells at fault filled red (error) or yellow (warning). Headers are frozen and
//! filterable. Every text is written as a string, never as a formula, so a cell typed as
//! `=HYPERLINK(...)` stays text.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Utc};
use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, Worksheet, XlsxError};

use crate::roster::{Cell, RowProblem, Severity, Sheet, SheetSummary};

/// Excel's limits.
const MAX_SHEET_NAME: usize = 31;
const MAX_CELL_TEXT: usize = 32_767;
const MAX_ROWS: usize = 1_048_576;
/// Columns copied from a source row; wider sheets are a formatting accident (the parser reads
/// the same number).
const MAX_COLUMNS: usize = 512;
/// The two columns put before the original ones.
const LEAD: u16 = 2;

/// `import-errors-<stem>-<import id>.xlsx`, or `…-dry-run-<time>.xlsx` when nothing was
/// recorded. The stem keeps letters, digits, `-` and `_`, so the name is safe on every file
/// system.
pub fn file_name(source: &str, import_id: Option<i64>, now: DateTime<Utc>) -> String {
    let stem = Path::new(source)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut safe: String = stem
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(60)
        .collect();
    if safe.is_empty() {
        safe.push_str("roster");
    }
    match import_id {
        Some(id) => format!("import-errors-{safe}-{id}.xlsx"),
        None => format!(
            "import-errors-{safe}-dry-run-{}.xlsx",
            now.format("%Y%m%dT%H%M%S")
        ),
    }
}

/// Writes the error workbook for `problems` found in `sheets` to `path`, creating its folder.
pub fn write_error_workbook(
    sheets: &[Sheet],
    summaries: &[SheetSummary],
    problems: &[RowProblem],
    path: &Path,
) -> anyhow::Result<()> {
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("cannot create the reports folder {}", folder.display()))?;
    }
    let mut workbook = build(sheets, summaries, problems)
        .with_context(|| format!("cannot build the error workbook {}", path.display()))?;
    workbook
        .save(path)
        .with_context(|| format!("cannot write the error workbook {}", path.display()))?;
    Ok(())
}

struct Formats {
    header: Format,
    problems: Format,
    error: Format,
    warning: Format,
}

fn build(
    sheets: &[Sheet],
    summaries: &[SheetSummary],
    problems: &[RowProblem],
) -> Result<Workbook, XlsxError> {
    let formats = Formats {
        header: Format::new()
            .set_bold()
            .set_background_color(Color::RGB(0xD9E1F2))
            .set_border_bottom(FormatBorder::Thin),
        problems: Format::new().set_text_wrap(),
        error: Format::new().set_background_color(Color::RGB(0xFFC7CE)),
        warning: Format::new().set_background_color(Color::RGB(0xFFEB9C)),
    };
    let mut workbook = Workbook::new();
    let mut names = HashSet::new();
    let summary_name = unique_name("Masalah - Problems", &mut names);
    list_sheet(workbook.add_worksheet(), &summary_name, problems, &formats)?;

    // Problems of each data row, by sheet then row.
    let mut by_row: BTreeMap<(usize, usize), Vec<&RowProblem>> = BTreeMap::new();
    for problem in problems {
        let Some(index) = sheets.iter().position(|s| s.name == problem.sheet) else {
            continue;
        };
        let header = summaries
            .iter()
            .find(|s| s.name == problem.sheet)
            .and_then(|s| s.header_row)
            .unwrap_or(0);
        if problem.row > header {
            by_row
                .entry((index, problem.row))
                .or_default()
                .push(problem);
        }
    }
    for (index, sheet) in sheets.iter().enumerate() {
        let rows: Vec<(usize, &Vec<&RowProblem>)> = by_row
            .range((index, 0)..(index + 1, 0))
            .map(|((_, row), problems)| (*row, problems))
            .collect();
        if rows.is_empty() {
            continue;
        }
        let header_row = summaries
            .iter()
            .find(|s| s.name == sheet.name)
            .and_then(|s| s.header_row);
        let name = unique_name(&sheet.name, &mut names);
        rows_sheet(
            workbook.add_worksheet(),
            &name,
            sheet,
            header_row,
            &rows,
            &formats,
        )?;
    }
    Ok(workbook)
}

fn list_sheet(
    out: &mut Worksheet,
    name: &str,
    problems: &[RowProblem],
    formats: &Formats,
) -> Result<(), XlsxError> {
    out.set_name(name)?;
    let headers = [
        "Sheet",
        "Baris / Row",
        "Kolom / Column",
        "Jenis / Severity",
        "Masalah / Problem",
    ];
    for (col, header) in headers.iter().enumerate() {
        out.write_string_with_format(0, col as u16, *header, &formats.header)?;
    }
    let shown = problems.len().min(MAX_ROWS - 2);
    for (index, problem) in problems.iter().take(shown).enumerate() {
        let row = index as u32 + 1;
        out.write_string(row, 0, text(&problem.sheet))?;
        if problem.row > 0 {
            out.write_number(row, 1, problem.row as f64)?;
        }
        out.write_string(row, 2, text(problem.column.as_deref().unwrap_or("")))?;
        let (severity, format) = match problem.severity {
            Severity::Error => ("error", &formats.error),
            Severity::Warning => ("warning", &formats.warning),
        };
        out.write_string_with_format(row, 3, severity, format)?;
        out.write_string(row, 4, text(&problem.message))?;
    }
    if shown < problems.len() {
        out.write_string(
            shown as u32 + 1,
            4,
            format!("… and {} more problems", problems.len() - shown),
        )?;
    }
    out.set_freeze_panes(1, 0)?;
    out.autofilter(0, 0, shown.max(1) as u32, 4)?;
    out.set_column_width(0, 20)?;
    out.set_column_width(2, 24)?;
    out.set_column_width(4, 100)?;
    Ok(())
}

fn rows_sheet(
    out: &mut Worksheet,
    name: &str,
    sheet: &Sheet,
    header_row: Option<usize>,
    rows: &[(usize, &Vec<&RowProblem>)],
    formats: &Formats,
) -> Result<(), XlsxError> {
    out.set_name(name)?;
    let width = sheet.width().min(MAX_COLUMNS);
    out.write_string_with_format(0, 0, "Masalah / Problems", &formats.header)?;
    out.write_string_with_format(0, 1, "Baris / Row", &formats.header)?;
    if let Some(header) = header_row {
        let cells = sheet.row(header - sheet.origin.0 - 1);
        for (col, cell) in cells.iter().take(width).enumerate() {
            let text = text(&cell.display());
            out.write_string_with_format(0, col as u16 + LEAD, text, &formats.header)?;
        }
    }
    for (index, (row_number, problems)) in rows.iter().enumerate() {
        let out_row = index as u32 + 1;
        let listed: Vec<String> = problems.iter().map(|p| line(p)).collect();
        out.write_string_with_format(out_row, 0, text(&listed.join("\n")), &formats.problems)?;
        out.write_number(out_row, 1, *row_number as f64)?;
        let cells = match row_number.checked_sub(sheet.origin.0 + 1) {
            Some(at) if at < sheet.height() => sheet.row(at),
            _ => Vec::new(),
        };
        // The worst problem of each cell decides its colour.
        let mut marks: BTreeMap<usize, Severity> = BTreeMap::new();
        for problem in problems.iter() {
            if let Some(col) = problem.column.as_deref().and_then(column_index)
                && let Some(col) = col.checked_sub(sheet.origin.1)
            {
                let mark = marks.entry(col).or_insert(problem.severity);
                *mark = (*mark).max(problem.severity);
            }
        }
        for (col, cell) in cells.iter().take(width).enumerate() {
            let format = match marks.get(&col) {
                Some(Severity::Error) => Some(&formats.error),
                Some(Severity::Warning) => Some(&formats.warning),
                None => None,
            };
            write_cell(out, out_row, col as u16 + LEAD, cell, format)?;
        }
        // A bad cell that is empty is still marked.
        for (&col, severity) in &marks {
            if col >= cells.len() || cells[col].is_empty() {
                let format = match severity {
                    Severity::Error => &formats.error,
                    Severity::Warning => &formats.warning,
                };
                if col < MAX_COLUMNS {
                    out.write_blank(out_row, col as u16 + LEAD, format)?;
                }
            }
        }
    }
    out.set_freeze_panes(1, LEAD)?;
    out.autofilter(
        0,
        0,
        rows.len() as u32,
        (width as u16 + LEAD).max(LEAD + 1) - 1,
    )?;
    out.set_column_width(0, 60)?;
    Ok(())
}

/// One problem as a line of the problems column.
fn line(problem: &RowProblem) -> String {
    let severity = match problem.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    match &problem.column {
        Some(column) => format!("{severity}: {column}: {}", problem.message),
        None => format!("{severity}: {}", problem.message),
    }
}

/// Writes a source cell as it was: numbers as numbers, everything else as a string.
fn write_cell(
    out: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell,
    format: Option<&Format>,
) -> Result<(), XlsxError> {
    match (cell, format) {
        (Cell::Empty, None) => {}
        (Cell::Empty, Some(format)) => {
            out.write_blank(row, col, format)?;
        }
        (Cell::Number(n), None) if n.is_finite() => {
            out.write_number(row, col, *n)?;
        }
        (Cell::Number(n), Some(format)) if n.is_finite() => {
            out.write_number_with_format(row, col, *n, format)?;
        }
        (other, None) => {
            out.write_string(row, col, text(&other.display()))?;
        }
        (other, Some(format)) => {
            out.write_string_with_format(row, col, text(&other.display()), format)?;
        }
    }
    Ok(())
}

/// Text within Excel's cell limit.
fn text(value: &str) -> String {
    if value.chars().count() <= MAX_CELL_TEXT {
        return value.to_owned();
    }
    value.chars().take(MAX_CELL_TEXT - 1).chain(['…']).collect()
}

/// The 0-based column of a problem's place, from its letters ("D (Federasi)" → 3).
fn column_index(place: &str) -> Option<usize> {
    let letters: String = place
        .chars()
        .take_while(|c| c.is_ascii_uppercase())
        .collect();
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    let mut index = 0usize;
    for c in letters.bytes() {
        index = index * 26 + usize::from(c - b'A' + 1);
    }
    Some(index - 1)
}

/// A sheet name Excel accepts (at most 31 characters, none of `[]:*?/\`, not starting or
/// ending with an apostrophe) and not used yet in this workbook.
fn unique_name(wanted: &str, used: &mut HashSet<String>) -> String {
    let cleaned: String = wanted
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .collect();
    let cleaned = cleaned.trim_matches('\'').trim();
    let base: String = if cleaned.is_empty() {
        "Sheet".to_owned()
    } else {
        cleaned.chars().take(MAX_SHEET_NAME).collect()
    };
    let mut candidate = base.clone();
    let mut n = 2;
    while !used.insert(candidate.to_lowercase()) {
        let suffix = format!(" ({n})");
        let keep = MAX_SHEET_NAME - suffix.chars().count();
        candidate = format!("{}{suffix}", base.chars().take(keep).collect::<String>());
        n += 1;
    }
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_short_and_unique() {
        let mut used = HashSet::new();
        assert_eq!(unique_name("Federasi A", &mut used), "Federasi A");
        assert_eq!(unique_name("federasi a", &mut used), "federasi a (2)");
        let long = "Federasi Serikat Pekerja Tekstil Sandang dan Kulit";
        let first = unique_name(long, &mut used);
        assert_eq!(first.chars().count(), 31);
        let second = unique_name(long, &mut used);
        assert_eq!(second.chars().count(), 31);
        assert!(second.ends_with(" (2)"));
        assert_eq!(unique_name("a/b:c", &mut used), "a_b_c");
        assert_eq!(unique_name("", &mut used), "Sheet");
    }

    #[test]
    fn places_give_their_column() {
        assert_eq!(column_index("A (Nama)"), Some(0));
        assert_eq!(column_index("D (Federasi)"), Some(3));
        assert_eq!(column_index("AA"), Some(26));
        assert_eq!(column_index("XFD (x)"), Some(16383));
        assert_eq!(column_index("(x)"), None);
    }

    #[test]
    fn file_names_keep_only_safe_characters() {
        let now = DateTime::parse_from_rfc3339("2025-03-01T02:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            file_name("Daftar Peserta (final).xlsx", Some(7), now),
            "import-errors-Daftar_Peserta__final_-7.xlsx"
        );
        assert_eq!(
            file_name("a.csv", None, now),
            "import-errors-a-dry-run-20250301T020000.xlsx"
        );
    }
}
