//! A pre-flight check of `.xls` bytes before calamine reads them.
//!
//! calamine 0.38 trusts the DIMENSIONS record of each sheet and reserves memory for every cell
//! it claims: a damaged file claiming 4 billion rows × 65,535 columns asks for hundreds of
//! gigabytes; and it turns each sheet's cells into a dense grid spanning the first to the last
//! cell, so one damaged cell record at column 60,000 asks for billions of cells. An allocation
//! failure aborts the whole process, which no `catch_unwind` can stop, so one damaged upload
//! (a form, or a roster) would take the server or the job down. This check finds the workbook
//! stream in the compound file (the `.xls` container) and walks its sheets the way calamine
//! does, and refuses a file whose sheets claim or span more cells than the caller allows. It
//! never allocates more than the file's size.

use super::container::{records, u16_at, u32_at, workbook_stream};

/// The most cells an `.xls` sheet can hold: 65,536 rows × 256 columns.
pub const SHEET_CELLS: u64 = 65_536 * 256;

/// `Err` with a reason when `bytes` are a compound file whose workbook has a sheet claiming or
/// spanning more than `max_cells` cells, or more than an `.xls` file can hold. Anything that is
/// not a compound file, or whose structure cannot be followed, is left to calamine, which
/// refuses it without allocating on its behalf.
pub fn check(bytes: &[u8], max_cells: u64) -> Result<(), String> {
    let stream = match workbook_stream(bytes) {
        Ok(Some(stream)) => stream,
        Ok(None) => return Ok(()),
        Err(reason) => return Err(damaged(reason)),
    };
    // The sheets are where the workbook's BOUNDSHEET records say, as calamine reads them: a
    // damaged offset lands mid-record, and calamine then reads whatever records it finds there.
    let mut sheets = Vec::new();
    for (kind, data) in records(&stream) {
        match kind {
            0x0085 if data.len() >= 4 => sheets.push(u32_at(data, 0) as usize),
            0x000A => break,
            _ => {}
        }
    }
    for start in sheets {
        if let Some(sheet) = stream.get(start..) {
            check_sheet(sheet, max_cells)?;
        }
    }
    Ok(())
}

/// Checks the records of one sheet, up to its EOF: the DIMENSIONS record, and the rectangle
/// spanned by the cells, which calamine turns into a dense grid.
fn check_sheet(sheet: &[u8], max_cells: u64) -> Result<(), String> {
    let mut seen_bof = false;
    let mut depth = 0usize;
    let mut span: Option<(u32, u32, u32, u32)> = None;
    let mut include = |row: u32, col: u32| {
        span = Some(match span {
            None => (row, row, col, col),
            Some((r0, r1, c0, c1)) => (r0.min(row), r1.max(row), c0.min(col), c1.max(col)),
        });
    };
    for (kind, data) in records(sheet) {
        if depth > 0 {
            match kind {
                0x0809 => depth += 1,
                0x000A => depth -= 1,
                _ => {}
            }
            continue;
        }
        match kind {
            0x0809 if seen_bof => depth += 1,
            0x0809 => seen_bof = true,
            0x0200 => check_dimensions(data, max_cells)?,
            0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 if data.len() >= 4 => {
                include(u32::from(u16_at(data, 0)), u32::from(u16_at(data, 2)));
            }
            0x00BD if data.len() >= 6 => {
                let row = u32::from(u16_at(data, 0));
                include(row, u32::from(u16_at(data, 2)));
                include(row, u32::from(u16_at(data, data.len() - 2)));
            }
            0x000A => break,
            _ => {}
        }
    }
    if let Some((r0, r1, c0, c1)) = span {
        let cells = u64::from(r1 - r0 + 1) * u64::from(c1 - c0 + 1);
        if cells > max_cells {
            return Err(damaged(&format!(
                "a sheet has cells from row {} to row {} and from column {} to column {}",
                r0 + 1,
                r1 + 1,
                c0 + 1,
                c1 + 1
            )));
        }
    }
    Ok(())
}

pub(super) fn damaged(reason: &str) -> String {
    format!(
        "the .xls file looks damaged ({reason}); open it and save it again, preferably as .xlsx"
    )
}

/// A DIMENSIONS record ([MS-XLS] 2.4.90), read as calamine reads it.
fn check_dimensions(data: &[u8], max_cells: u64) -> Result<(), String> {
    let (first_row, last_row, last_col) = match data.len() {
        10 => (
            u64::from(u16_at(data, 0)),
            u64::from(u16_at(data, 2)),
            u64::from(u16_at(data, 6)),
        ),
        14 | 16 => (
            u64::from(u32_at(data, 0)),
            u64::from(u32_at(data, 4)),
            u64::from(u16_at(data, 10)),
        ),
        _ => return Ok(()),
    };
    // calamine counts (last_row - 1) - first_row + 1 rows when both ends are set, which wraps
    // around when the first row is past the last.
    let inverted = last_row >= 1 && last_col >= 1 && first_row >= last_row;
    let cells = last_row.saturating_sub(first_row).saturating_mul(last_col);
    if inverted || last_row > 65_536 || last_col > 256 || cells > max_cells {
        return Err(damaged(&format!(
            "a sheet claims rows {first_row} to {last_row} and {last_col} columns"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORM: u64 = 4_000_000;

    #[test]
    fn other_formats_pass() {
        assert!(check(b"PK\x03\x04 an xlsx", FORM).is_ok());
        assert!(check(b"", FORM).is_ok());
    }

    #[test]
    fn dimensions_are_checked_as_calamine_reads_them() {
        let biff8 = |first: u32, last: u32, cols: u16| {
            let mut data = Vec::new();
            data.extend_from_slice(&first.to_le_bytes());
            data.extend_from_slice(&last.to_le_bytes());
            data.extend_from_slice(&0u16.to_le_bytes());
            data.extend_from_slice(&cols.to_le_bytes());
            data.extend_from_slice(&0u16.to_le_bytes());
            data
        };
        assert!(check_dimensions(&biff8(0, 40, 18), FORM).is_ok());
        assert!(check_dimensions(&biff8(0, 0, 0), FORM).is_ok());
        let error = check_dimensions(&biff8(0, u32::MAX, 65_535), FORM).unwrap_err();
        assert!(error.contains("claims rows 0 to 4294967295"), "{error}");
        assert!(check_dimensions(&biff8(50, 10, 3), FORM).is_err());
        assert!(check_dimensions(&biff8(0, 65_536, 256), FORM).is_err());
    }

    #[test]
    fn cells_spanning_a_huge_grid_are_refused() {
        let record = |kind: u16, data: &[u8]| {
            let mut out = kind.to_le_bytes().to_vec();
            out.extend_from_slice(&(data.len() as u16).to_le_bytes());
            out.extend_from_slice(data);
            out
        };
        let number = |row: u16, col: u16| {
            let mut data = row.to_le_bytes().to_vec();
            data.extend_from_slice(&col.to_le_bytes());
            data.extend_from_slice(&[0; 10]);
            record(0x0203, &data)
        };
        let sheet = |cells: &[(u16, u16)]| {
            let mut out = record(0x0809, &[0; 16]);
            for &(row, col) in cells {
                out.extend(number(row, col));
            }
            out.extend(record(0x000A, &[]));
            out
        };
        assert!(check_sheet(&sheet(&[(0, 0), (40, 12)]), FORM).is_ok());
        let error = check_sheet(&sheet(&[(0, 0), (48_387, 51_200)]), FORM).unwrap_err();
        assert!(error.contains("from row 1 to row 48388"), "{error}");
    }
}
