//! Reading a workbook (.xlsx, .xls, .ods) into sheets of trimmed text cells with calamine.
//!
//! XLSForm cares about text: a `required` cell typed as Excel's `TRUE`, a `default` typed as the
//! number `5` and a `name` typed as `1` all become the text a person sees in the cell. Only the
//! sheets a form uses are read; the others are only listed, so that a missing `survey` sheet can
//! say which sheets there are.
//!
//! Why `.xlsx` is read cell by cell: calamine's `Range` is a dense rectangle from the first to the
//! last used cell, so one stray cell at `XFD1048576` would ask for billions of cells. The xlsx
//! cell reader gives only the cells that exist. `.xls` (at most 65,536 × 256 cells) and `.ods`
//! go through `Range`.
//!
//! calamine parses untrusted bytes; a panic inside it must not take the server down, so reading
//! runs under [`std::panic::catch_unwind`] and a panic becomes an ordinary "cannot be read" error.
//! An allocation failure cannot be caught that way: `.xls` sizes calamine would trust are checked
//! first (`crate::xls`), and so are an `.xlsx`'s shared-string counts and an `.ods`'s repeated
//! cells (`crate::roster::check_workbook`, the roster reader's own check): calamine reserves
//! room for as many shared strings as `uniqueCount` claims (calamine issue #684).

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use calamine::{Data, DataRef, Ods, Reader, Sheets, Xls, Xlsx, open_workbook_auto_from_rs};

/// The most cells a form's `.xls` sheet may claim: a form needs a tiny fraction of the 16.7
/// million an `.xls` sheet can hold.
const FORM_CELLS: u64 = 4_000_000;

/// One non-empty row: its 1-based number and its non-empty cells by 0-based column, in column
/// order.
#[derive(Debug, Clone, Default)]
pub(crate) struct SheetRow {
    pub(crate) number: u32,
    pub(crate) cells: Vec<(u32, String)>,
}

/// A sheet as text: its name as written in the workbook and its non-empty rows in order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sheet {
    pub(crate) name: String,
    pub(crate) rows: Vec<SheetRow>,
}

/// The sheets of a workbook a form needs, plus the names of all sheets.
#[derive(Debug, Default)]
pub(crate) struct Workbook {
    pub(crate) sheet_names: Vec<String>,
    /// One entry per wanted sheet, in the order asked for; `None` when the workbook has no sheet
    /// of that name.
    pub(crate) sheets: Vec<Option<Sheet>>,
}

/// Reads the sheets named in `wanted` (matched case-insensitively, ignoring surrounding spaces).
///
/// `file_name` decides the format by its extension (`.xlsx`/`.xlsm`, `.xls`, `.ods`); with any
/// other extension the format is detected from the bytes. The error says, in a sentence without a
/// full stop, why the bytes are not a workbook.
pub(crate) fn read_workbook(
    file_name: &str,
    bytes: &[u8],
    wanted: &[&str],
) -> Result<Workbook, String> {
    if bytes.is_empty() {
        return Err("the file is empty".to_string());
    }
    match catch_unwind(AssertUnwindSafe(|| {
        read_unguarded(file_name, bytes, wanted)
    })) {
        Ok(result) => result,
        Err(_) => Err("the file cannot be read as a workbook (the reader failed)".to_string()),
    }
}

fn read_unguarded(file_name: &str, bytes: &[u8], wanted: &[&str]) -> Result<Workbook, String> {
    let extension = file_name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    // Each check passes bytes of the other kinds, so both run whatever the file is called.
    crate::roster::check_workbook(bytes)?;
    crate::xls::check(bytes, FORM_CELLS)?;
    let cursor = Cursor::new(bytes);
    let mut sheets = match extension.as_str() {
        "xlsx" | "xlsm" => Sheets::Xlsx(
            Xlsx::new(cursor).map_err(|e| format!("not a readable .xlsx workbook: {e}"))?,
        ),
        "xls" => {
            Sheets::Xls(Xls::new(cursor).map_err(|e| format!("not a readable .xls workbook: {e}"))?)
        }
        "ods" => {
            Sheets::Ods(Ods::new(cursor).map_err(|e| format!("not a readable .ods workbook: {e}"))?)
        }
        _ => open_workbook_auto_from_rs(cursor).map_err(|_| {
            "not a spreadsheet pantau can read (use .xlsx, .xls or .ods)".to_string()
        })?,
    };
    let sheet_names = sheets.sheet_names();
    let mut found = Vec::with_capacity(wanted.len());
    for want in wanted {
        let Some(name) = find_sheet(&sheet_names, want) else {
            found.push(None);
            continue;
        };
        let rows = match &mut sheets {
            Sheets::Xlsx(xlsx) => read_xlsx_cells(xlsx, &name)?,
            other => {
                let range = other
                    .worksheet_range(&name)
                    .map_err(|e| format!("the sheet {name} cannot be read: {e}"))?;
                let start = range.start().unwrap_or((0, 0));
                let mut cells = Vec::new();
                for (r, row) in range.rows().enumerate() {
                    for (c, value) in row.iter().enumerate() {
                        if let Some(text) = data_text(value) {
                            let row = start.0.saturating_add(r as u32);
                            let col = start.1.saturating_add(c as u32);
                            cells.push((row, col, text));
                        }
                    }
                }
                group_rows(cells)
            }
        };
        found.push(Some(Sheet { name, rows }));
    }
    Ok(Workbook {
        sheet_names,
        sheets: found,
    })
}

/// The workbook's own spelling of the sheet `want`: an exact match first, else the first that
/// matches ignoring case and surrounding spaces.
fn find_sheet(names: &[String], want: &str) -> Option<String> {
    names
        .iter()
        .find(|n| n.as_str() == want)
        .or_else(|| names.iter().find(|n| n.trim().eq_ignore_ascii_case(want)))
        .cloned()
}

fn read_xlsx_cells(xlsx: &mut Xlsx<Cursor<&[u8]>>, name: &str) -> Result<Vec<SheetRow>, String> {
    let mut reader = xlsx
        .worksheet_cells_reader(name)
        .map_err(|e| format!("the sheet {name} cannot be read: {e}"))?;
    let mut cells = Vec::new();
    loop {
        match reader.next_cell() {
            Ok(Some(cell)) => {
                let (row, col) = cell.get_position();
                if let Some(text) = data_ref_text(cell.get_value()) {
                    cells.push((row, col, text));
                }
            }
            Ok(None) => break,
            Err(e) => return Err(format!("the sheet {name} cannot be read: {e}")),
        }
    }
    Ok(group_rows(cells))
}

/// Sorts cells by position and groups them into rows numbered from 1.
fn group_rows(mut cells: Vec<(u32, u32, String)>) -> Vec<SheetRow> {
    cells.sort_by_key(|(row, col, _)| (*row, *col));
    let mut rows: Vec<SheetRow> = Vec::new();
    for (row, col, text) in cells {
        let number = row.saturating_add(1);
        match rows.last_mut() {
            Some(last) if last.number == number => {
                // A cell written twice at the same place (possible in a hand-made xlsx) keeps
                // the last value, as Excel does.
                if let Some(existing) = last.cells.iter_mut().find(|(c, _)| *c == col) {
                    existing.1 = text;
                } else {
                    last.cells.push((col, text));
                }
            }
            _ => rows.push(SheetRow {
                number,
                cells: vec![(col, text)],
            }),
        }
    }
    rows
}

/// The text of a cell, trimmed; `None` for an empty or blank cell.
fn data_text(value: &Data) -> Option<String> {
    let text = match value {
        Data::Empty => return None,
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => bool_text(*b),
        Data::DateTime(dt) => serial_date_text(dt.as_f64(), dt.is_datetime()),
        Data::Error(e) => e.to_string(),
    };
    (!text.is_empty()).then_some(text)
}

fn data_ref_text(value: &DataRef<'_>) -> Option<String> {
    let text = match value {
        DataRef::Empty => return None,
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
            s.trim().to_string()
        }
        DataRef::SharedString(s) => s.trim().to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => number_text(*f),
        DataRef::Bool(b) => bool_text(*b),
        DataRef::DateTime(dt) => serial_date_text(dt.as_f64(), dt.is_datetime()),
        DataRef::Error(e) => e.to_string(),
    };
    (!text.is_empty()).then_some(text)
}

fn bool_text(b: bool) -> String {
    if b { "TRUE" } else { "FALSE" }.to_string()
}

/// A number as a person typed it: whole numbers without `.0`.
fn number_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

/// A date cell as `yyyy-mm-dd` (the format XLSForm defaults use); a time or an impossible serial
/// stays a number.
fn serial_date_text(serial: f64, is_datetime: bool) -> String {
    // Excel's 1900 system counts from 1899-12-30 once the fictitious 1900-02-29 is passed;
    // dates in forms are far later than that.
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30);
    let date = (is_datetime && (61.0..2_958_466.0).contains(&serial))
        .then(|| epoch?.checked_add_days(chrono::Days::new(serial as u64)))
        .flatten();
    if let Some(date) = date {
        return date.format("%Y-%m-%d").to_string();
    }
    number_text(serial)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_typed() {
        assert_eq!(number_text(1.0), "1");
        assert_eq!(number_text(2.5), "2.5");
        assert_eq!(serial_date_text(45_658.0, true), "2025-01-01");
    }

    #[test]
    fn random_bytes_are_an_error_not_a_panic() {
        let err = read_workbook("x.xlsx", b"not a workbook at all", &["survey"]).unwrap_err();
        assert!(err.starts_with("not a readable .xlsx workbook"), "{err}");
        let err = read_workbook("x.bin", b"garbage", &["survey"]).unwrap_err();
        assert!(err.contains("not a spreadsheet"), "{err}");
        assert_eq!(
            read_workbook("x.xlsx", b"", &["survey"]).unwrap_err(),
            "the file is empty"
        );
    }
}
