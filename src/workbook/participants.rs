//! The pseudonymised participant-level sheet (`Peserta` / `Participants`): one row per
//! participant, the pseudonym first, each column in its format (Rupiah, percent, dates as
//! dates). The report holds no name, NIK, phone, email, exact birth date or free text here;
//! every text value is still written as a string. Long tables continue on numbered sheets
//! (see [`super::long_table`]).
//!
//! rust_xlsxwriter writes each of these sheets with its header row, frozen pane, autofilter and
//! widths, plus one probe row whose cells carry the participant sheet's number formats; the
//! data rows themselves are written afterwards by [`super::sheet_rows`] and spliced into the
//! package in place of the probe ([`super::splice`]), once for every workbook that shows the
//! same rows. The probe is how the writer learns which style index rust_xlsxwriter gave each
//! format in this workbook.

use std::ops::Range;

use rust_xlsxwriter::{Workbook, XlsxError};

use super::Context;
use super::cells::{Widths, fit, number_width, text_width};
use super::long_table::{chunks, sheet_names};
use super::text::{Text, pick, text};
use crate::report::{Cell, ColumnFormat, Extent, ParticipantTable, Row};

/// A participant sheet written without its data rows, to be completed by
/// [`super::splice`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Placeholder {
    /// Path of the sheet's part in the package (`xl/worksheets/sheet7.xml`).
    pub part: String,
    /// The table rows the sheet shows.
    pub rows: Range<usize>,
}

/// The probe row's formats, in the order of [`super::sheet_rows::Styles`]' fields.
const PROBED: [ColumnFormat; 5] = [
    ColumnFormat::Integer,
    ColumnFormat::Number,
    ColumnFormat::Percent,
    ColumnFormat::Rupiah,
    ColumnFormat::Date,
];

/// Widths of the data of each sheet the table is split into (the same in every workbook and
/// language, so computed once per report).
///
/// The table already knows, per run of rows, each column's longest text and largest number
/// ([`crate::report::Extent`]); a run that lies within one sheet is sized from those, and only
/// a run across a sheet's edge (or holding a text a writer would cut) is read row by row.
pub(crate) fn data_widths(table: &ParticipantTable, rows_per_sheet: usize) -> Vec<Widths> {
    let per_sheet = rows_per_sheet.max(1);
    let formats: Vec<ColumnFormat> = table.columns.iter().map(|column| column.format).collect();
    let sheets = chunks(table.len(), per_sheet);
    let mut widths = vec![Widths::default(); sheets.len()];
    for (run, extents) in table.extents() {
        let first = run.start / per_sheet;
        let within = run.end.saturating_sub(1) / per_sheet == first;
        let long_texts = extents.iter().any(|extent| extent.long_texts);
        if within && !long_texts {
            see_extents(&mut widths[first], extents, &formats);
            continue;
        }
        for (index, row) in (run.start..).zip(table.rows_from(run.start).take(run.len())) {
            see_row(&mut widths[index / per_sheet], row, &formats);
        }
    }
    widths
}

// A text the table measured is one `fit` leaves whole.
const _: () = assert!(super::cells::MAX_CELL_TEXT == crate::report::LONG_TEXT);

/// Notes the widest cell of each column of a run, from its extents: the same widths as
/// [`see_row`] over each of its rows, as a number's width grows with its magnitude.
fn see_extents(seen: &mut Widths, extents: &[Extent], formats: &[ColumnFormat]) {
    for (column, (extent, format)) in extents.iter().zip(formats).enumerate() {
        let column = column as u16;
        if extent.texts {
            seen.see(column, extent.text_chars);
        }
        if extent.numbers {
            seen.see(column, number_width(extent.largest, shown_as(*format)));
        }
        if extent.dates {
            seen.see(column, 10);
        }
    }
}

/// The format a number in a column of `format` shows in.
fn shown_as(format: ColumnFormat) -> ColumnFormat {
    match format {
        ColumnFormat::Text | ColumnFormat::Date => ColumnFormat::Number,
        other => other,
    }
}

/// Notes the width of each cell of `row`.
fn see_row(seen: &mut Widths, row: Row<'_>, formats: &[ColumnFormat]) {
    for (column, (cell, format)) in row.zip(formats).enumerate() {
        let column = column as u16;
        match cell {
            Cell::Empty => {}
            Cell::Text(text) => seen.see(column, text_width(&fit(text))),
            Cell::Number(value) if !value.is_finite() => {}
            Cell::Number(value) => seen.see(column, number_width(value, shown_as(*format))),
            // An Excel date, or its ISO text outside Excel's calendar: 10 wide either way.
            Cell::Date(_) => seen.see(column, 10),
        }
    }
}

/// Writes the participant sheets of `table` without their data rows (see the module
/// documentation); `widths` come from [`data_widths`] with the context's rows per sheet.
/// Returns what [`super::splice`] must complete, one entry per sheet with rows.
pub(crate) fn write(
    workbook: &mut Workbook,
    context: &mut Context,
    table: &ParticipantTable,
    widths: &[Widths],
) -> Result<Vec<Placeholder>, XlsxError> {
    let language = context.language;
    let headers: Vec<&str> = table
        .columns
        .iter()
        .map(|column| pick(&column.label, language, &column.name))
        .collect();
    let last_column = headers.len().saturating_sub(1) as u16;
    let chunks = chunks(table.len(), context.layout.rows_per_sheet);
    let base = text(Text::SheetParticipants, language);
    let mut placeholders = Vec::new();
    for (index, (chunk, wanted)) in chunks
        .iter()
        .zip(sheet_names(base, chunks.len()))
        .enumerate()
    {
        let name = context.names.claim(&wanted);
        // Constant-memory mode writes texts inline rather than in the workbook's shared
        // strings, so the header row's XML does not depend on the other sheets and two
        // workbooks in one language can share the whole sheet.
        let sheet = workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name(&name)?;
        let mut grid = super::cells::Grid::new(sheet, &context.formats);
        grid.header(0, &headers)?;
        if let Some(data) = widths.get(index) {
            grid.widths.merge(data);
        }
        if !chunk.is_empty() {
            for (column, format) in PROBED.iter().enumerate() {
                let excel_format = context
                    .formats
                    .column(*format)
                    .expect("probed formats are number formats");
                grid.sheet
                    .write_number_with_format(1, column as u16, 0.0, excel_format)?;
            }
        }
        grid.finish_table(0, chunk.len() as u32, last_column)?;
        // Worksheets are numbered in the package in the order they were added (the workbooks
        // have no chart sheets, which are numbered apart).
        let number = workbook.worksheets().len();
        if !chunk.is_empty() {
            placeholders.push(Placeholder {
                part: format!("xl/worksheets/sheet{number}.xml"),
                rows: chunk.clone(),
            });
        }
    }
    Ok(placeholders)
}

#[cfg(test)]
mod tests {

    use chrono::NaiveDate;

    use super::*;
    use crate::report::{Column, Datum, EncodedRows, MARK};

    /// The widths of each sheet read row by row, as before the table kept extents.
    fn row_by_row(table: &ParticipantTable, per_sheet: usize) -> Vec<Vec<usize>> {
        let formats: Vec<ColumnFormat> = table.columns.iter().map(|c| c.format).collect();
        let mut widths = vec![Widths::default(); chunks(table.len(), per_sheet).len()];
        for (index, row) in table.rows().enumerate() {
            see_row(&mut widths[index / per_sheet], row, &formats);
        }
        widths.iter().map(shown).collect()
    }

    fn shown(widths: &Widths) -> Vec<usize> {
        (0..6).map(|column| widths.width(column)).collect()
    }

    fn table() -> ParticipantTable {
        use ColumnFormat::*;
        let columns = [Text, Rupiah, Percent, Date, Integer, Text]
            .into_iter()
            .map(|format| Column::unlabelled("", format))
            .collect();
        let mut table = ParticipantTable::new(columns);
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let long = "x".repeat(40_000);
        let rows = 3 * MARK + 123;
        // Runs of uneven length, as the job hands them in.
        for run in (0..rows).collect::<Vec<_>>().chunks(1500) {
            let mut encoded = EncodedRows::new(6);
            for &i in run {
                encoded.text(&format!("P-{i}"));
                // The widest number sits in one row of one sheet only.
                encoded.number(if i == 2 * MARK + 7 {
                    -123_456_789.5
                } else {
                    i as f64
                });
                encoded.number(if i % 3 == 0 { f64::NAN } else { 0.25 });
                if i % 2 == 0 {
                    encoded.date(day);
                } else {
                    encoded.number(f64::INFINITY);
                }
                encoded.push(&Datum::Empty);
                // Lines: the longest counts, in characters.
                match i % 1000 {
                    5 => encoded.text("a\nbéééééééééééééé\nc"),
                    777 if i > 2 * MARK => encoded.text(&long),
                    _ => encoded.text(""),
                }
                encoded.end_row();
            }
            table.append(encoded);
        }
        table
    }

    #[test]
    fn widths_from_extents_equal_widths_read_row_by_row() {
        let table = table();
        // One sheet; sheets split inside runs and at run edges; tiny sheets.
        for per_sheet in [crate::workbook::EXCEL_DATA_ROWS, MARK, 1500, 1000, 777, 1] {
            let from_extents: Vec<Vec<usize>> =
                data_widths(&table, per_sheet).iter().map(shown).collect();
            assert_eq!(
                from_extents,
                row_by_row(&table, per_sheet),
                "{per_sheet} a sheet"
            );
        }
    }

    #[test]
    fn extents_see_what_each_kind_of_cell_holds() {
        let table = table();
        let widths = data_widths(&table, usize::MAX);
        // The pseudonym, a Rupiah figure with separators, a percent, a date, nothing, and the
        // long text cut to Excel's cell (at most the widest column).
        assert_eq!(
            shown(&widths[0]),
            vec![
                "P-12410".len() + 2,
                "Rp 123,456,790".len() + 2,
                6,
                12,
                6,
                crate::workbook::cells::MAX_WIDTH
            ]
        );
    }
}
