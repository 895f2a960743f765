//! The hidden rows of each sheet of an `.xls` workbook.
//!
//! calamine reads an `.xls` sheet's cells but not its ROW records' flags, so a row hidden in
//! Excel would be imported without the warning an `.xlsx` or `.ods` roster gets for it. This
//! reads the BOUNDSHEET records ([MS-XLS] 2.4.28) for each sheet's name and where its records
//! start, and the sheet's ROW records (2.4.221) for the `fDyZero` flag, which is how Excel marks
//! a hidden row. Excel writes a ROW record for every row that holds a cell, so every hidden row
//! with data is found.

use std::collections::HashMap;

use super::container::{records, u16_at, u32_at, workbook_stream};

/// Sheet name → its hidden rows as runs of (first spreadsheet row, 1-based; count), for the
/// sheets that have any.
pub type HiddenRows = HashMap<String, Vec<(usize, usize)>>;

/// Record types read here.
const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;
const BOUNDSHEET: u16 = 0x0085;
const ROW: u16 = 0x0208;
/// `fDyZero` in a ROW record's flags: the row's height is zero, i.e. it is hidden.
const ROW_HIDDEN: u16 = 0x0020;
/// The BOF record's version of BIFF8 (Excel 97 and later); older files are BIFF5.
const BIFF8: u16 = 0x0600;

/// The hidden rows of every sheet of an `.xls` file. Bytes that are not a compound file give
/// none (calamine refuses them itself); a damaged container is an `Err` with the reason.
pub fn hidden_rows(bytes: &[u8]) -> Result<HiddenRows, String> {
    let stream = match workbook_stream(bytes) {
        Ok(Some(stream)) => stream,
        Ok(None) => return Ok(HiddenRows::new()),
        Err(reason) => return Err(super::guard::damaged(reason)),
    };
    let mut biff8 = false;
    let mut sheets = Vec::new();
    for (index, (kind, data)) in records(&stream).enumerate() {
        match kind {
            BOF if index == 0 => biff8 = u16_at(data, 0) == BIFF8,
            BOUNDSHEET if data.len() >= 7 => {
                sheets.push((u32_at(data, 0) as usize, sheet_name(&data[6..], biff8)));
            }
            EOF => break,
            _ => {}
        }
    }
    let mut found = HiddenRows::new();
    for (start, name) in sheets {
        let runs = stream
            .get(start..)
            .map(sheet_hidden_rows)
            .unwrap_or_default();
        if !runs.is_empty() {
            found.insert(name, runs);
        }
    }
    Ok(found)
}

/// A sheet name as BOUNDSHEET stores it: a length byte, then (BIFF8) a flag byte saying whether
/// the characters are UTF-16 or one byte each, then the characters. One-byte characters are
/// the low bytes of UTF-16 code units (Latin-1). NULs are dropped, as calamine drops them, so
/// the name matches the one calamine reports.
fn sheet_name(data: &[u8], biff8: bool) -> String {
    let count = usize::from(data.first().copied().unwrap_or(0));
    let (wide, chars) = match biff8 {
        true => (
            data.get(1).is_some_and(|flags| flags & 1 == 1),
            data.get(2..).unwrap_or_default(),
        ),
        false => (false, data.get(1..).unwrap_or_default()),
    };
    let name: String = if wide {
        let units: Vec<u16> = chars
            .chunks_exact(2)
            .take(count)
            .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        chars
            .iter()
            .take(count)
            .map(|&byte| char::from(byte))
            .collect()
    };
    name.replace('\0', "")
}

/// The hidden rows of one sheet, from its BOF to its EOF. Records of a chart or other
/// sub-stream embedded in the sheet (a nested BOF … EOF) are skipped.
fn sheet_hidden_rows(sheet: &[u8]) -> Vec<(usize, usize)> {
    let mut rows = Vec::new();
    let mut depth = 0usize;
    for (index, (kind, data)) in records(sheet).enumerate() {
        match kind {
            BOF if index == 0 => {}
            BOF => depth += 1,
            EOF if depth == 0 => break,
            EOF => depth -= 1,
            ROW if depth == 0 && data.len() >= 14 && u16_at(data, 12) & ROW_HIDDEN != 0 => {
                rows.push(usize::from(u16_at(data, 0)) + 1);
            }
            _ => {}
        }
    }
    rows.sort_unstable();
    rows.dedup();
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for row in rows {
        match runs.last_mut() {
            Some((first, count)) if *first + *count == row => *count += 1,
            _ => runs.push((row, 1)),
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: u16, data: &[u8]) -> Vec<u8> {
        let mut out = kind.to_le_bytes().to_vec();
        out.extend_from_slice(&(data.len() as u16).to_le_bytes());
        out.extend_from_slice(data);
        out
    }

    fn row(number: u16, hidden: bool) -> Vec<u8> {
        let mut data = number.to_le_bytes().to_vec();
        data.extend_from_slice(&[0; 10]);
        let flags: u16 = if hidden { 0x0120 } else { 0x0100 };
        data.extend_from_slice(&flags.to_le_bytes());
        data.extend_from_slice(&[0; 2]);
        record(ROW, &data)
    }

    #[test]
    fn hidden_rows_become_runs_and_nested_streams_are_skipped() {
        let mut sheet = record(BOF, &[0; 16]);
        for (number, hidden) in [(0, false), (3, true), (4, true), (5, false), (9, true)] {
            sheet.extend(row(number, hidden));
        }
        // A chart inside the sheet, with a ROW-typed record of its own that is not a row.
        sheet.extend(record(BOF, &[0; 16]));
        sheet.extend(row(20, true));
        sheet.extend(record(EOF, &[]));
        sheet.extend(row(10, true));
        sheet.extend(record(EOF, &[]));
        sheet.extend(row(30, true));
        assert_eq!(sheet_hidden_rows(&sheet), vec![(4, 2), (10, 2)]);
    }

    #[test]
    fn sheet_names_in_both_encodings() {
        let mut narrow = vec![5, 0];
        narrow.extend_from_slice(b"Jatim");
        assert_eq!(sheet_name(&narrow, true), "Jatim");
        let mut wide = vec![4, 1];
        for unit in "Bāli".encode_utf16() {
            wide.extend_from_slice(&unit.to_le_bytes());
        }
        assert_eq!(sheet_name(&wide, true), "Bāli");
        let mut biff5 = vec![3];
        biff5.extend_from_slice(b"SPN");
        assert_eq!(sheet_name(&biff5, false), "SPN");
        // A length past the data is cut to what is there rather than read beyond it.
        assert_eq!(sheet_name(&[200, 0, b'A'], true), "A");
    }

    #[test]
    fn not_a_compound_file_has_no_hidden_rows() {
        assert!(hidden_rows(b"PK\x03\x04").unwrap().is_empty());
        assert!(hidden_rows(b"").unwrap().is_empty());
    }
}
