//! Tables that may outgrow one sheet (for managers non-respondents, flags and import problems;
//! the participant sheet uses [`chunks`] and [`sheet_names`] but writes its rows itself, see
//! [`super::participants`]): written in rust_xlsxwriter's constant-memory mode, row by row, and
//! continued on numbered sheets (`Peserta 1`, `Peserta 2`…) past the rows one sheet holds,
//! each with the header row, frozen and filtered.
//!
//! Constant-memory mode streams each finished row to a temporary file, so a sheet of a
//! million rows costs little more memory than one row; its one rule, rows in ascending order,
//! is how these tables are written anyway.

use std::ops::Range;

use rust_xlsxwriter::{Workbook, XlsxError};

use super::Context;
use super::cells::Grid;

/// Row ranges of `rows` rows split `per_sheet` at a time; one empty range for an empty table,
/// so that its header is still shown.
pub(crate) fn chunks(rows: usize, per_sheet: usize) -> Vec<Range<usize>> {
    let per_sheet = per_sheet.max(1);
    if rows == 0 {
        return std::iter::once(0..0).collect();
    }
    (0..rows)
        .step_by(per_sheet)
        .map(|start| start..(start + per_sheet).min(rows))
        .collect()
}

/// Sheet names for a table on `sheets` sheets: the base name alone, or numbered from 1.
pub(crate) fn sheet_names(base: &str, sheets: usize) -> Vec<String> {
    if sheets <= 1 {
        return vec![base.to_string()];
    }
    (1..=sheets)
        .map(|number| format!("{base} {number}"))
        .collect()
}

/// Writes `rows` under `headers` on as many sheets named after `base` as needed;
/// `write_row(grid, sheet_row, row)` writes one row. Returns the sheet names used.
pub(crate) fn write<R>(
    workbook: &mut Workbook,
    context: &mut Context,
    base: &str,
    headers: &[&str],
    rows: &[R],
    mut write_row: impl FnMut(&mut Grid, u32, &R) -> Result<(), XlsxError>,
) -> Result<Vec<String>, XlsxError> {
    let chunks = chunks(rows.len(), context.layout.rows_per_sheet);
    let mut used = Vec::with_capacity(chunks.len());
    let last_column = headers.len().saturating_sub(1) as u16;
    for (chunk, wanted) in chunks.iter().zip(sheet_names(base, chunks.len())) {
        let name = context.names.claim(&wanted);
        let sheet = workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name(&name)?;
        let mut grid = Grid::new(sheet, &context.formats);
        grid.header(0, headers)?;
        for (offset, row) in rows[chunk.clone()].iter().enumerate() {
            write_row(&mut grid, offset as u32 + 1, row)?;
        }
        grid.finish_table(0, chunk.len() as u32, last_column)?;
        used.push(name);
    }
    Ok(used)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_split_into_full_sheets_and_a_remainder() {
        assert_eq!(chunks(25, 10), vec![0..10, 10..20, 20..25]);
        assert_eq!(chunks(20, 10), vec![0..10, 10..20]);
        assert_eq!(chunks(3, 10), vec![0..3]);
        assert_eq!(
            chunks(0, 10),
            vec![0..0],
            "an empty table keeps its header sheet"
        );
        assert_eq!(
            chunks(2, 0),
            vec![0..1, 1..2],
            "a zero limit is read as one row"
        );
    }

    #[test]
    fn excels_limit_splits_only_past_1_048_575_rows() {
        let limit = crate::workbook::EXCEL_DATA_ROWS;
        assert_eq!(chunks(limit, limit).len(), 1);
        assert_eq!(chunks(limit + 1, limit), vec![0..limit, limit..limit + 1]);
    }

    #[test]
    fn split_sheets_are_numbered_and_a_single_sheet_is_not() {
        assert_eq!(sheet_names("Peserta", 1), vec!["Peserta"]);
        assert_eq!(
            sheet_names("Participants", 3),
            vec!["Participants 1", "Participants 2", "Participants 3"]
        );
    }
}
