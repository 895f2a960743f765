//! The `Logframe` sheet: the logframe-style summary a donor reads first, one row per indicator
//! and wave with baseline, target, actual, numerator and `n`.
//!
//! Its layout is fixed (see the module documentation of [`crate::workbook`]): other modules and
//! tests read its cells by position, so columns are never added in the middle.

use rust_xlsxwriter::{Workbook, XlsxError};

use super::Context;
use super::cells::Grid;
use super::suppressed_word;
use super::text::{Text, pick, text};
use crate::report::Report;

/// The sheet's name in every language: the word is the same in Indonesian and English.
pub(crate) const SHEET: &str = "Logframe";

pub(crate) fn write(
    workbook: &mut Workbook,
    context: &mut Context,
    report: &Report,
) -> Result<(), XlsxError> {
    let language = context.language;
    let name = context.names.claim(SHEET);
    let sheet = workbook.add_worksheet().set_name(name)?;
    let mut grid = Grid::new(sheet, &context.formats);
    let headers = [
        Text::Indicator,
        Text::Label,
        Text::Wave,
        Text::Baseline,
        Text::Target,
        Text::Actual,
        Text::Numerator,
        Text::N,
    ]
    .map(|header| text(header, language));
    grid.header(0, &headers)?;
    for (index, figures) in report.indicators.iter().enumerate() {
        let row = index as u32 + 1;
        grid.text(row, 0, &figures.id)?;
        grid.text(row, 1, pick(&figures.label, language, &figures.id))?;
        grid.text(row, 2, figures.wave.as_deref().unwrap_or(""))?;
        if let Some(baseline) = figures.baseline.filter(|v| v.is_finite()) {
            grid.figure(row, 3, baseline, figures.format)?;
        }
        if let Some(target) = figures.target.filter(|v| v.is_finite()) {
            grid.figure(row, 4, target, figures.format)?;
        }
        let overall = &figures.result.overall;
        if overall.suppressed {
            for column in 5..8 {
                grid.text(row, column, suppressed_word(language))?;
            }
        } else {
            if let Some(value) = overall.value.filter(|v| v.is_finite()) {
                grid.figure(row, 5, value, figures.format)?;
            }
            grid.count(row, 6, overall.numerator)?;
            grid.count(row, 7, overall.n)?;
        }
    }
    grid.finish_table(0, report.indicators.len() as u32, 7)
}
