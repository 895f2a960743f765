//! Reading roster files into sheets of [`Cell`]s: workbooks (`.xlsx`, `.xls`, `.ods`) with
//! calamine and `.csv` text in the encodings and separators that Indonesian offices produce.
//!
//! Only reading happens here; recognising headers and values is left to the caller, so that a
//! file that cannot be read at all is told apart from a file whose rows have problems.

use std::io::Cursor;

use calamine::{Data, Reader, SheetVisible};

use super::package::{self, HiddenRows, Merge, Package, RowRuns};
use super::{Cell, SheetPart};

/// One sheet of a roster file.
#[derive(Debug, Clone)]
pub struct Sheet {
    /// The sheet's name; a CSV file has one sheet named after the file.
    pub name: String,
    /// Hidden sheets are still read (a hidden sheet of a real roster is still data), but the
    /// import summary says so.
    pub hidden: bool,
    /// Rows hidden in the workbook, as runs of (first spreadsheet row, 1-based; count). They
    /// are read like the others; the import warns about them.
    pub hidden_rows: RowRuns,
    /// 0-based spreadsheet row and column of `cells[0][0]`.
    pub origin: (usize, usize),
    /// Merged regions as 0-based spreadsheet (top, left) and (bottom, right) corners.
    pub merged: Vec<Merge>,
    cells: Cells,
}

#[derive(Debug, Clone)]
enum Cells {
    Workbook(calamine::Range<Data>),
    Text(Vec<Vec<Cell>>),
}

impl Sheet {
    /// Number of rows, counted from [`Sheet::origin`].
    pub fn height(&self) -> usize {
        match &self.cells {
            Cells::Workbook(range) => range.height(),
            Cells::Text(rows) => rows.len(),
        }
    }

    /// Number of columns, counted from [`Sheet::origin`].
    pub fn width(&self) -> usize {
        match &self.cells {
            Cells::Workbook(range) => range.width(),
            Cells::Text(rows) => rows.iter().map(Vec::len).max().unwrap_or(0),
        }
    }

    /// Row `index` (relative to the origin), converted cell by cell. Converting on demand keeps
    /// a million-row workbook in memory once, in calamine's form.
    pub fn row(&self, index: usize) -> Vec<Cell> {
        match &self.cells {
            Cells::Workbook(range) => {
                let width = range.width();
                (0..width)
                    .map(|col| range.get((index, col)).map_or(Cell::Empty, cell_from_data))
                    .collect()
            }
            Cells::Text(rows) => rows.get(index).cloned().unwrap_or_default(),
        }
    }

    /// The first `count` rows, for finding the header row.
    pub fn head(&self, count: usize) -> Vec<Vec<Cell>> {
        (0..self.height().min(count)).map(|i| self.row(i)).collect()
    }

    /// The sheet as the [`SheetPart`]s a streaming reader would hand on, each row converted
    /// when it is asked for.
    pub fn parts(&self) -> impl Iterator<Item = SheetPart> + '_ {
        let start = SheetPart::Start {
            name: self.name.clone(),
            hidden: self.hidden,
            first_column: self.origin.1,
        };
        let rows = (0..self.height()).map(|i| SheetPart::Row(self.origin.0 + i, self.row(i)));
        let end = std::iter::once_with(|| SheetPart::End {
            width: self.width(),
        });
        std::iter::once(start).chain(rows).chain(end)
    }

    /// Spreadsheet row number (1-based) of row `index`, as a person sees it in Excel.
    pub fn row_number(&self, index: usize) -> usize {
        self.origin.0 + index + 1
    }

    /// Spreadsheet column letters of column `index`, as a person sees them in Excel.
    pub fn column_letters(&self, index: usize) -> String {
        column_letters(self.origin.1 + index)
    }
}

/// `0` → `A`, `25` → `Z`, `26` → `AA`.
pub fn column_letters(mut index: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// Reads every sheet of a roster file. `file_name` decides between CSV and workbook; the error
/// says in plain words why a file cannot be read.
pub fn read_roster(file_name: &str, bytes: &[u8]) -> Result<Vec<Sheet>, String> {
    if bytes.is_empty() {
        return Err("the file is empty".to_owned());
    }
    let lower = file_name.to_lowercase();
    if lower.ends_with(".csv") || lower.ends_with(".txt") || lower.ends_with(".tsv") {
        let stem = std::path::Path::new(file_name)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        return Ok(vec![read_csv(&stem, bytes)?]);
    }
    read_workbook(bytes)
}

fn read_workbook(bytes: &[u8]) -> Result<Vec<Sheet>, String> {
    const ZIP: &[u8] = b"PK\x03\x04";
    const OLE: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0];
    if bytes.starts_with(OLE) && is_encrypted_ooxml(bytes) {
        return Err(
            "the workbook is protected with a password; save a copy without a password \
                    and import that"
                .to_owned(),
        );
    }
    if !bytes.starts_with(ZIP) && !bytes.starts_with(OLE) {
        return Err("the file is not a spreadsheet (.xlsx, .xls, .ods) or a .csv file".to_owned());
    }
    // Forged sizes are refused before calamine sees them; the hidden rows and merged cells of
    // an .xlsx are searched for on a second thread while calamine reads the cells.
    let (known_hidden, scan_xlsx) = match package::open(bytes) {
        Package::Xlsx(mut archive) => {
            package::check_xlsx(&mut archive)?;
            (HiddenRows::new(), true)
        }
        Package::Ods(mut archive) => (package::check_ods(&mut archive)?, false),
        // An `.xls` is checked before calamine trusts its sizes (a forged one would abort the
        // process), and its hidden rows, which calamine does not report, are read here.
        Package::Other if bytes.starts_with(OLE) => {
            crate::xls::check(bytes, crate::xls::SHEET_CELLS)?;
            (crate::xls::hidden_rows(bytes)?, false)
        }
        Package::Other => (HiddenRows::new(), false),
    };
    let (sheets, scanned) = std::thread::scope(|scope| {
        let scan = scan_xlsx.then(|| scope.spawn(|| package::xlsx_marks(bytes)));
        let sheets = read_sheets(bytes);
        let scanned = scan.map(|handle| {
            handle
                .join()
                .unwrap_or_else(|_| Err("the workbook's rows could not be checked".to_owned()))
        });
        (sheets, scanned)
    });
    let mut sheets = sheets?;
    match scanned {
        Some(result) => {
            let mut marks = result?;
            for sheet in &mut sheets {
                let found = marks.remove(&sheet.name).unwrap_or_default();
                sheet.hidden_rows = found.hidden_rows;
                sheet.merged = found.merged;
            }
        }
        None => {
            let mut hidden = known_hidden;
            for sheet in &mut sheets {
                sheet.hidden_rows = hidden.remove(&sheet.name).unwrap_or_default();
            }
        }
    }
    Ok(sheets)
}

fn read_sheets(bytes: &[u8]) -> Result<Vec<Sheet>, String> {
    let mut workbook = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| {
        format!("the workbook cannot be opened, it may be damaged or truncated ({e})")
    })?;
    let metadata = workbook.sheets_metadata().to_vec();
    let mut sheets = Vec::new();
    for meta in metadata {
        if !matches!(meta.typ, calamine::SheetType::WorkSheet) {
            continue;
        }
        let range = workbook
            .worksheet_range(&meta.name)
            .map_err(|e| format!("sheet {:?} cannot be read ({e})", meta.name))?;
        let origin = range
            .start()
            .map_or((0, 0), |(r, c)| (r as usize, c as usize));
        let merged = if range.height() <= MERGE_CHECK_MAX_ROWS {
            merged_regions(&mut workbook, &meta.name)
        } else {
            Vec::new()
        };
        // An .xlsx's merged cells come from the package scan beside this reading.
        sheets.push(Sheet {
            name: meta.name.clone(),
            hidden: meta.visible != SheetVisible::Visible,
            hidden_rows: RowRuns::new(),
            origin,
            merged,
            cells: Cells::Workbook(range),
        });
    }
    Ok(sheets)
}

/// `.xls` sheets taller than this are not searched for merged cells: calamine finds merges by
/// reading the sheet a second time; merged cells come from hand-made rosters, which are far
/// smaller. (An `.xlsx`'s merges are found by the package scan, whatever its size.)
const MERGE_CHECK_MAX_ROWS: usize = 200_000;

/// Merged regions of one sheet; a workbook whose merges cannot be read is treated as having
/// none, since the cells themselves were read.
fn merged_regions<RS: std::io::Read + std::io::Seek>(
    workbook: &mut calamine::Sheets<RS>,
    name: &str,
) -> Vec<((usize, usize), (usize, usize))> {
    let dimensions = match workbook {
        calamine::Sheets::Xls(xls) => xls.merge_cells_by_sheet_name(name).unwrap_or_default(),
        _ => Vec::new(),
    };
    dimensions
        .into_iter()
        .map(|d| {
            (
                (d.start.0 as usize, d.start.1 as usize),
                (d.end.0 as usize, d.end.1 as usize),
            )
        })
        .collect()
}

/// An encrypted .xlsx is an OLE container holding an `EncryptedPackage` stream; its name is
/// stored in UTF-16.
fn is_encrypted_ooxml(bytes: &[u8]) -> bool {
    let needle: Vec<u8> = "EncryptedPackage"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    bytes.windows(needle.len()).any(|window| window == needle)
}

/// A calamine value as a roster [`Cell`].
pub(super) fn cell_from_data(data: &Data) -> Cell {
    match data {
        Data::Empty => Cell::Empty,
        Data::String(text) => Cell::text(text),
        Data::Int(n) => Cell::Number(*n as f64),
        Data::Float(n) => Cell::Number(*n),
        Data::Bool(b) => Cell::Bool(*b),
        Data::Error(e) => Cell::Error(format!("{e}")),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, hh, mm, ss, _) = dt.to_ymd_hms_milli();
            chrono::NaiveDate::from_ymd_opt(y.into(), m.into(), d.into())
                .and_then(|date| date.and_hms_opt(hh.into(), mm.into(), ss.into()))
                .map_or(Cell::Number(dt.as_f64()), Cell::DateTime)
        }
        Data::DateTime(dt) => Cell::Number(dt.as_f64()),
        Data::DateTimeIso(text) | Data::DurationIso(text) => Cell::text(text),
    }
}

/// Decodes CSV text: UTF-8 with or without a byte-order mark, UTF-16 with a mark (Excel's
/// "Unicode text"), otherwise Windows-1252, which is what Excel on Indonesian Windows writes.
fn decode(bytes: &[u8]) -> String {
    if let Some((encoding, bom_length)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_length..]);
        return text.into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    }
}

fn read_csv(name: &str, bytes: &[u8]) -> Result<Sheet, String> {
    let text = decode(bytes);
    if text.contains('\0') {
        return Err("the file is not a text (.csv) file".to_owned());
    }
    let delimiter = sniff_delimiter(&text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("row {}: {e}", index + 1))?;
        rows.push(record.iter().map(Cell::text).collect());
    }
    Ok(Sheet {
        name: name.to_owned(),
        hidden: false,
        hidden_rows: RowRuns::new(),
        origin: (0, 0),
        merged: Vec::new(),
        cells: Cells::Text(rows),
    })
}

/// Excel writes `;` where the comma is the decimal mark, as in Indonesia; the separator that
/// occurs most in the first lines wins.
fn sniff_delimiter(text: &str) -> u8 {
    let head: String = text.lines().take(20).collect::<Vec<_>>().join("\n");
    [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| head.matches(*d as char).count())
        .unwrap_or(b',')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_like_excel() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(16383), "XFD");
    }

    #[test]
    fn csv_with_semicolons_and_a_bom() {
        let bytes = b"\xEF\xBB\xBFNama;No HP\nSiti;0812345678\n";
        let sheets = read_roster("federasi.csv", bytes).unwrap();
        assert_eq!(sheets[0].name, "federasi");
        assert_eq!(
            sheets[0].row(0),
            vec![Cell::text("Nama"), Cell::text("No HP")]
        );
        assert_eq!(sheets[0].row(1)[1], Cell::text("0812345678"));
    }

    #[test]
    fn csv_in_windows_1252() {
        let bytes = b"Nama,Kota\nJos\xE9,Bekasi\n";
        let sheets = read_roster("a.csv", bytes).unwrap();
        assert_eq!(sheets[0].row(1)[0], Cell::text("José"));
    }

    #[test]
    fn unreadable_files_say_why() {
        assert_eq!(read_roster("a.xlsx", b"").unwrap_err(), "the file is empty");
        assert!(
            read_roster("a.xlsx", b"hello world")
                .unwrap_err()
                .contains("not a spreadsheet")
        );
        assert!(
            read_roster("a.xlsx", b"PK\x03\x04garbage")
                .unwrap_err()
                .contains("damaged")
        );
    }

    #[test]
    fn workbook_sheets_keep_their_position_and_hidden_flag() {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet().set_name("Federasi A").unwrap();
        sheet.write_string(2, 1, "Nama").unwrap();
        sheet.write_number(3, 1, 81234567890.0).unwrap();
        let hidden = workbook.add_worksheet().set_name("Lama").unwrap();
        hidden.write_string(0, 0, "x").unwrap();
        hidden.set_hidden(true);
        let bytes = workbook.save_to_buffer().unwrap();
        let sheets = read_roster("r.xlsx", &bytes).unwrap();
        assert_eq!(sheets.len(), 2);
        assert_eq!(sheets[0].origin, (2, 1));
        assert_eq!(sheets[0].row_number(1), 4);
        assert_eq!(sheets[0].column_letters(0), "B");
        assert_eq!(sheets[0].row(1), vec![Cell::Number(81234567890.0)]);
        assert!(sheets[1].hidden);
    }
}
