//! Reading an `.xlsx` roster row by row with calamine's streaming cell reader, so that the rows
//! read so far can be checked and stored while calamine reads the rest. A million-row roster
//! then never sits in memory whole, and reading overlaps everything else on a second core.
//!
//! The reader hands on [`SheetPart`]s in file order: a sheet starts, its rows follow (absolute
//! row numbers, cells from column A), the sheet ends. [`crate::roster::parse_roster_parts`]
//! checks them. `.xls`, `.ods` and `.csv` files are read whole by [`super::read_roster`], which
//! can hand on the same parts ([`super::Sheet::parts`]).

use std::io::Cursor;

use calamine::{DataRef, Reader, SheetVisible, Xlsx, XlsxError};

use super::Cell;
use super::package::{self, Package};
use super::read::cell_from_data;
use super::records::MAX_COLUMNS;

/// One piece of a roster file as a reader produces it.
#[derive(Debug, Clone, PartialEq)]
pub enum SheetPart {
    /// A sheet begins.
    Start {
        /// The sheet's name.
        name: String,
        /// Whether the workbook hides the sheet.
        hidden: bool,
        /// 0-based spreadsheet column of each row's first cell.
        first_column: usize,
    },
    /// One row: its 0-based spreadsheet row and its cells from `first_column`. Rows come in
    /// increasing order; a row with no cells may be left out.
    Row(usize, Vec<Cell>),
    /// The sheet ends; `width` is its number of columns from `first_column`.
    End {
        /// Columns from `first_column` to the last one holding a value.
        width: usize,
    },
}

/// Why a streamed workbook could not be read to its end.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamError {
    /// The file is damaged; the message says how in plain words, naming the sheet.
    Unreadable(String),
    /// A sheet stores a row after a later one. Excel and LibreOffice never write that, but
    /// the file is not wrong: read whole ([`super::read_roster`]), its rows are put in order.
    OutOfOrder,
}

/// An `.xlsx` file checked and ready to stream: forged sizes were refused, and the number of
/// rows its sheets declare is known (to size the import before any row is read).
pub struct XlsxStream<'b> {
    bytes: &'b [u8],
    /// Rows the worksheets declare, at most 1,048,576 each.
    pub rows_estimate: usize,
}

impl<'b> XlsxStream<'b> {
    /// The file as a stream when it is an `.xlsx` (`Ok(None)` for anything else, which
    /// [`super::read_roster`] reads whole); an error says why a damaged package cannot be read.
    pub fn open(file_name: &str, bytes: &'b [u8]) -> Result<Option<XlsxStream<'b>>, String> {
        let lower = file_name.to_lowercase();
        if lower.ends_with(".csv") || lower.ends_with(".txt") || lower.ends_with(".tsv") {
            return Ok(None);
        }
        let Package::Xlsx(mut archive) = package::open(bytes) else {
            return Ok(None);
        };
        package::check_xlsx(&mut archive)?;
        Ok(Some(XlsxStream {
            bytes,
            rows_estimate: package::xlsx_rows_estimate(&mut archive),
        }))
    }

    /// The hidden rows and merged cells of every sheet (runs beside [`XlsxStream::read`], on
    /// another thread).
    pub fn marks(&self) -> Result<std::collections::HashMap<String, package::SheetMarks>, String> {
        package::xlsx_marks(self.bytes)
    }

    /// Reads every worksheet, handing each part to `emit` in file order; stops early when
    /// `emit` returns false (the receiver has gone).
    pub fn read(&self, emit: &mut dyn FnMut(SheetPart) -> bool) -> Result<(), StreamError> {
        let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(self.bytes)).map_err(|e| {
            StreamError::Unreadable(format!(
                "the workbook cannot be opened, it may be damaged or truncated ({e})"
            ))
        })?;
        let metadata = workbook.sheets_metadata().to_vec();
        for meta in metadata {
            if !matches!(meta.typ, calamine::SheetType::WorkSheet) {
                continue;
            }
            let cannot = |e: XlsxError| {
                StreamError::Unreadable(format!("sheet {:?} cannot be read ({e})", meta.name))
            };
            let mut cells = match workbook.worksheet_cells_reader(&meta.name) {
                Ok(cells) => cells,
                // A chart sheet listed as a worksheet holds no rows.
                Err(XlsxError::NotAWorksheet(_)) => continue,
                Err(e) => return Err(cannot(e)),
            };
            let start = SheetPart::Start {
                name: meta.name.clone(),
                hidden: meta.visible != SheetVisible::Visible,
                first_column: 0,
            };
            if !emit(start) {
                return Ok(());
            }
            let mut row: Option<(usize, Vec<Cell>)> = None;
            let mut width = 0usize;
            // Rows are allocated at the width of the one before, so that a row's cells are
            // not copied as the row grows.
            let mut last_length = 0usize;
            while let Some(cell) = cells.next_cell().map_err(cannot)? {
                let (at, column) = cell.get_position();
                let (at, column) = (at as usize, column as usize);
                let value = cell_from_data_ref(cell.get_value());
                if value.is_empty() {
                    continue;
                }
                width = width.max(column + 1);
                if row.as_ref().is_some_and(|(current, _)| at < *current) {
                    return Err(StreamError::OutOfOrder);
                }
                if row.as_ref().is_some_and(|(current, _)| at > *current)
                    && let Some((number, cells)) = row.take()
                {
                    last_length = cells.len();
                    if !emit(SheetPart::Row(number, cells)) {
                        return Ok(());
                    }
                }
                // Columns past what a roster may have are counted in `width` (the check warns
                // about them) but not kept: a sheet formatted out to column XFD would
                // otherwise hand on sixteen thousand cells a row.
                if column >= MAX_COLUMNS {
                    continue;
                }
                let (_, cells) = row.get_or_insert_with(|| (at, Vec::with_capacity(last_length)));
                // Cells come left to right, nearly always one next to the other.
                if cells.len() == column {
                    cells.push(value);
                } else {
                    if cells.len() < column {
                        cells.resize(column + 1, Cell::Empty);
                    }
                    cells[column] = value;
                }
            }
            if let Some((number, cells)) = row.take()
                && !emit(SheetPart::Row(number, cells))
            {
                return Ok(());
            }
            if !emit(SheetPart::End { width }) {
                return Ok(());
            }
        }
        Ok(())
    }
}

/// A streamed cell as a roster [`Cell`]; shared strings are copied once, trimmed.
fn cell_from_data_ref(data: &DataRef) -> Cell {
    match data {
        DataRef::Empty => Cell::Empty,
        DataRef::SharedString(text) => Cell::text(text),
        DataRef::String(text) => Cell::text(text),
        other => cell_from_data(&calamine::Data::from(other.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(bytes: &[u8]) -> Vec<SheetPart> {
        let stream = XlsxStream::open("r.xlsx", bytes).unwrap().unwrap();
        let mut parts = Vec::new();
        stream
            .read(&mut |part| {
                parts.push(part);
                true
            })
            .unwrap();
        parts
    }

    #[test]
    fn rows_come_in_order_with_their_places_and_sheets_end_with_their_width() {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet().set_name("Federasi A").unwrap();
        sheet.write_string(2, 1, "Nama").unwrap();
        sheet.write_string(2, 2, "  ").unwrap();
        sheet.write_number(4, 3, 81234567890.0).unwrap();
        let hidden = workbook.add_worksheet().set_name("Lama").unwrap();
        hidden.write_string(0, 0, "x").unwrap();
        hidden.set_hidden(true);
        let bytes = workbook.save_to_buffer().unwrap();
        let stream = XlsxStream::open("r.xlsx", &bytes).unwrap().unwrap();
        assert_eq!(stream.rows_estimate, 5 + 1);
        assert_eq!(
            parts(&bytes),
            vec![
                SheetPart::Start {
                    name: "Federasi A".to_owned(),
                    hidden: false,
                    first_column: 0
                },
                SheetPart::Row(2, vec![Cell::Empty, Cell::text("Nama")]),
                SheetPart::Row(
                    4,
                    vec![
                        Cell::Empty,
                        Cell::Empty,
                        Cell::Empty,
                        Cell::Number(81234567890.0)
                    ]
                ),
                SheetPart::End { width: 4 },
                SheetPart::Start {
                    name: "Lama".to_owned(),
                    hidden: true,
                    first_column: 0
                },
                SheetPart::Row(0, vec![Cell::text("x")]),
                SheetPart::End { width: 1 },
            ]
        );
    }

    #[test]
    fn a_forged_dimension_asks_for_no_more_rows_than_the_sheet_has_room_for() {
        use std::io::{Read, Write};
        let mut workbook = rust_xlsxwriter::Workbook::new();
        for name in ["A", "B", "C"] {
            let sheet = workbook.add_worksheet().set_name(name).unwrap();
            sheet.write_string(0, 0, "Nama").unwrap();
            sheet.write_string(1, 0, "Sri").unwrap();
        }
        let bytes = workbook.save_to_buffer().unwrap();
        let mut archive = zip::ZipArchive::new(Cursor::new(&bytes[..])).unwrap();
        let mut forged = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let mut sheet_bytes = 0;
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).unwrap();
            let name = entry.name().unwrap().into_owned();
            let mut content = String::new();
            entry.read_to_string(&mut content).unwrap();
            if name.starts_with("xl/worksheets/sheet") {
                let at = content.find("<dimension ref=\"").unwrap() + 16;
                let end = at + content[at..].find('"').unwrap();
                content.replace_range(at..end, "A1:P1048576");
                sheet_bytes += content.len();
            }
            forged
                .start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            forged.write_all(content.as_bytes()).unwrap();
        }
        let forged = forged.finish().unwrap().into_inner();
        let stream = XlsxStream::open("r.xlsx", &forged).unwrap().unwrap();
        assert!(stream.rows_estimate >= 3 * 2, "{}", stream.rows_estimate);
        assert!(
            stream.rows_estimate <= sheet_bytes / 12,
            "{} rows estimated from {sheet_bytes} bytes of sheets",
            stream.rows_estimate
        );
    }

    #[test]
    fn other_files_are_not_streamed_and_damaged_ones_say_so() {
        assert!(XlsxStream::open("a.csv", b"PK\x03\x04").unwrap().is_none());
        assert!(XlsxStream::open("a.xlsx", b"hello").unwrap().is_none());
        let mut workbook = rust_xlsxwriter::Workbook::new();
        workbook.add_worksheet().write_string(0, 0, "x").unwrap();
        let bytes = workbook.save_to_buffer().unwrap();
        // Cut in the middle: the zip directory at the end is gone.
        let cut = &bytes[..bytes.len() / 2];
        assert!(XlsxStream::open("a.xlsx", cut).unwrap().is_none());
    }

    #[test]
    fn a_receiver_that_goes_away_stops_the_reading() {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        for row in 0..100 {
            sheet.write_number(row, 0, f64::from(row)).unwrap();
        }
        let bytes = workbook.save_to_buffer().unwrap();
        let stream = XlsxStream::open("r.xlsx", &bytes).unwrap().unwrap();
        let mut seen = 0;
        stream
            .read(&mut |_| {
                seen += 1;
                seen < 3
            })
            .unwrap();
        assert_eq!(seen, 3);
    }
}
