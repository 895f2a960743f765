//! The cover sheet: what the workbook is about (programme, country, period, run date, the
//! suppression threshold) and which roster files its figures come from, so that a reader can
//! match the figures to the files (hash prefix, row counts).

use rust_xlsxwriter::{Workbook, XlsxError};

use super::Context;
use super::cells::Grid;
use super::text::{Text, text};
use crate::config::WorkbookVariant;
use crate::report::Report;

/// Hex digits of a file's SHA-256 shown: enough to tell files apart by eye.
const HASH_PREFIX: usize = 12;

pub(crate) fn write(
    workbook: &mut Workbook,
    context: &mut Context,
    report: &Report,
    variant: WorkbookVariant,
) -> Result<(), XlsxError> {
    let language = context.language;
    let t = |key| text(key, language);
    let name = context.names.claim(t(Text::SheetCover));
    let sheet = workbook.add_worksheet().set_name(name)?;
    let formats = &context.formats;
    let mut grid = Grid::new(sheet, formats);

    let (title, notice) = match variant {
        WorkbookVariant::Donor => (Text::CoverTitleDonor, Text::NoPersonalData),
        WorkbookVariant::Manager => (Text::CoverTitleManager, Text::PersonalDataWarning),
    };
    grid.note(0, 0, t(title), &formats.title)?;
    let notice_format = match variant {
        WorkbookVariant::Donor => &formats.note,
        WorkbookVariant::Manager => &formats.warning,
    };
    grid.note(1, 0, t(notice), notice_format)?;

    let mut row = 3;
    let label = |grid: &mut Grid, row: u32, key| grid.text_with(row, 0, t(key), &formats.bold);
    label(&mut grid, row, Text::Programme)?;
    grid.text(row, 1, &report.programme)?;
    row += 1;
    label(&mut grid, row, Text::Country)?;
    grid.text(row, 1, &report.country)?;
    row += 1;
    label(&mut grid, row, Text::Period)?;
    grid.date(row, 1, report.period.0)?;
    grid.date(row, 2, report.period.1)?;
    row += 1;
    label(&mut grid, row, Text::RunAt)?;
    grid.datetime(row, 1, report.run_at)?;
    row += 1;
    label(&mut grid, row, Text::Variant)?;
    let variant_word = match variant {
        WorkbookVariant::Donor => t(Text::VariantDonor),
        WorkbookVariant::Manager => t(Text::VariantManager),
    };
    grid.text(row, 1, variant_word)?;
    row += 1;
    label(&mut grid, row, Text::Language)?;
    grid.text(row, 1, language)?;
    row += 1;
    label(&mut grid, row, Text::Threshold)?;
    grid.count(row, 1, report.suppression_threshold)?;
    row += 2;

    grid.text_with(row, 0, t(Text::Sources), &formats.bold)?;
    row += 1;
    let header_row = row;
    grid.header(
        header_row,
        &[
            t(Text::FileName),
            t(Text::HashPrefix),
            t(Text::ImportedAt),
            t(Text::Rows),
        ],
    )?;
    for source in &report.sources {
        row += 1;
        grid.text(row, 0, &source.file_name)?;
        let prefix: String = source.content_hash.chars().take(HASH_PREFIX).collect();
        grid.text(row, 1, &prefix)?;
        grid.datetime(row, 2, source.imported_at)?;
        grid.count(row, 3, source.rows)?;
    }
    grid.sheet.autofilter(header_row, 0, row, 3)?;
    grid.finish()
}
