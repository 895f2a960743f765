//! One sheet per disaggregation dimension: the indicators (one row per indicator and wave)
//! against the dimension's categories, each category as two columns, the figure and its `n`.
//!
//! Categories are those any indicator has for the dimension, sorted, with records without a
//! value ("(tidak diketahui)" / "(unknown)") last. A suppressed cell shows the suppressed word
//! in both columns: its `n` would tell how small the group is. An indicator without a
//! breakdown for the dimension leaves its cells empty.

use std::collections::BTreeSet;

use rust_xlsxwriter::{Workbook, XlsxError};

use super::Context;
use super::cells::Grid;
use super::suppressed_word;
use super::text::{Text, pick, text};
use crate::indicators::Figure;
use crate::report::{IndicatorFigures, Report};

pub(crate) fn write(
    workbook: &mut Workbook,
    context: &mut Context,
    report: &Report,
) -> Result<(), XlsxError> {
    for dimension in &report.disaggregations {
        let wanted = format!(
            "{} {dimension}",
            text(Text::SheetByPrefix, context.language)
        );
        let name = context.names.claim(&wanted);
        let sheet = workbook.add_worksheet().set_name(name)?;
        table(
            &mut Grid::new(sheet, &context.formats),
            context.language,
            dimension,
            &report.indicators,
        )?;
    }
    Ok(())
}

/// The categories of `dimension` over all indicators: known ones sorted, then None.
pub(crate) fn categories(dimension: &str, indicators: &[IndicatorFigures]) -> Vec<Option<String>> {
    let known: BTreeSet<&str> = indicators
        .iter()
        .flat_map(|figures| cells_of(figures, dimension))
        .filter_map(|(category, _)| category.as_deref())
        .collect();
    let unknown = indicators
        .iter()
        .flat_map(|figures| cells_of(figures, dimension))
        .any(|(category, _)| category.is_none());
    known
        .into_iter()
        .map(|category| Some(category.to_string()))
        .chain(unknown.then_some(None))
        .collect()
}

/// The cells of `figures` broken down by `dimension` (none when it has no such breakdown).
pub(crate) fn cells_of<'a>(
    figures: &'a IndicatorFigures,
    dimension: &str,
) -> impl Iterator<Item = &'a (Option<String>, Figure)> {
    figures
        .result
        .breakdowns
        .iter()
        .filter(move |breakdown| breakdown.dimension == dimension)
        .flat_map(|breakdown| breakdown.cells.iter())
}

/// The figure of `category` in `figures`' breakdown by `dimension`.
pub(crate) fn cell<'a>(
    figures: &'a IndicatorFigures,
    dimension: &str,
    category: &Option<String>,
) -> Option<&'a Figure> {
    cells_of(figures, dimension)
        .find(|(candidate, _)| candidate == category)
        .map(|(_, figure)| figure)
}

/// How a category is shown: its name, or the word for unknown.
pub(crate) fn category_label<'a>(category: &'a Option<String>, language: &str) -> &'a str {
    category
        .as_deref()
        .unwrap_or_else(|| text(Text::Unknown, language))
}

fn table(
    grid: &mut Grid,
    language: &str,
    dimension: &str,
    indicators: &[IndicatorFigures],
) -> Result<(), XlsxError> {
    let categories = categories(dimension, indicators);
    let n = text(Text::N, language);
    let mut headers: Vec<String> = [Text::Indicator, Text::Label, Text::Wave]
        .iter()
        .map(|key| text(*key, language).to_string())
        .collect();
    for category in &categories {
        let label = category_label(category, language);
        headers.push(label.to_string());
        headers.push(format!("{n} ({label})"));
    }
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    grid.header(0, &headers)?;
    for (index, figures) in indicators.iter().enumerate() {
        let row = index as u32 + 1;
        grid.text(row, 0, &figures.id)?;
        grid.text(row, 1, pick(&figures.label, language, &figures.id))?;
        grid.text(row, 2, figures.wave.as_deref().unwrap_or(""))?;
        for (position, category) in categories.iter().enumerate() {
            let column = 3 + 2 * position as u16;
            let Some(figure) = cell(figures, dimension, category) else {
                continue;
            };
            if figure.suppressed {
                grid.text(row, column, suppressed_word(language))?;
                grid.text(row, column + 1, suppressed_word(language))?;
                continue;
            }
            if let Some(value) = figure.value.filter(|v| v.is_finite()) {
                grid.figure(row, column, value, figures.format)?;
            }
            grid.count(row, column + 1, figure.n)?;
        }
    }
    let last_column = (2 + 2 * categories.len()) as u16;
    grid.sheet.set_freeze_panes(1, 3)?;
    grid.sheet
        .autofilter(0, 0, indicators.len() as u32, last_column)?;
    grid.finish()
}
