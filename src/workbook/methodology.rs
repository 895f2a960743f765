//! Methodology and data quality, on three sheets: `Metodologi` / `Methodology` (the suppression
//! rule with its threshold, then each indicator's kind, format and definition), `Upah minimum` /
//! `Minimum wages` (the provincial minimum wages used, with their certainty marks UNVERIFIED and
//! CONFLICT kept visible and highlighted, and their sources) and `Kualitas data` /
//! `Data quality` (data-quality flags counted by code and wave, naming no participant).

use std::collections::BTreeSet;

use rust_xlsxwriter::{Workbook, XlsxError};

use super::Context;
use super::cells::Grid;
use super::text::{Text, pick, text};
use crate::config::{IndicatorFormat, IndicatorKind};
use crate::report::Report;

/// Rows above the indicator table: the suppression rule, the certainty note, a blank line.
const NOTE_ROWS: u32 = 3;

pub(crate) fn write(
    workbook: &mut Workbook,
    context: &mut Context,
    report: &Report,
) -> Result<(), XlsxError> {
    definitions(workbook, context, report)?;
    minimum_wages(workbook, context, report)?;
    quality(workbook, context, report)
}

/// The suppression rule in `language`, with the threshold filled in.
pub(crate) fn suppression_rule(language: &str, threshold: usize) -> String {
    text(Text::SuppressionRule, language).replace("{threshold}", &threshold.to_string())
}

fn kind_name(kind: IndicatorKind) -> &'static str {
    match kind {
        IndicatorKind::Count => "count",
        IndicatorKind::Share => "share",
        IndicatorKind::Mean => "mean",
        IndicatorKind::Median => "median",
        IndicatorKind::Sum => "sum",
        IndicatorKind::Change => "change",
    }
}

fn format_name(format: IndicatorFormat) -> &'static str {
    match format {
        IndicatorFormat::Number => "number",
        IndicatorFormat::Percent => "percent",
        IndicatorFormat::Rupiah => "Rupiah",
    }
}

fn definitions(
    workbook: &mut Workbook,
    context: &mut Context,
    report: &Report,
) -> Result<(), XlsxError> {
    let language = context.language;
    let name = context.names.claim(text(Text::SheetMethodology, language));
    let sheet = workbook.add_worksheet().set_name(name)?;
    let formats = &context.formats;
    let mut grid = Grid::new(sheet, formats);
    grid.note(
        0,
        0,
        &suppression_rule(language, report.suppression_threshold),
        &formats.bold,
    )?;
    grid.note(1, 0, text(Text::SuppressedNote, language), &formats.note)?;
    let header_row = NOTE_ROWS;
    grid.header(
        header_row,
        &[
            text(Text::Indicator, language),
            text(Text::Label, language),
            text(Text::Kind, language),
            text(Text::Format, language),
            text(Text::Definition, language),
        ],
    )?;
    // One row per indicator, not per wave: the definition is the same in every wave.
    let mut seen = BTreeSet::new();
    let mut row = header_row;
    for figures in &report.indicators {
        if !seen.insert(figures.id.as_str()) {
            continue;
        }
        row += 1;
        grid.text(row, 0, &figures.id)?;
        grid.text(row, 1, pick(&figures.label, language, &figures.id))?;
        grid.text(row, 2, kind_name(figures.kind))?;
        grid.text(row, 3, format_name(figures.format))?;
        grid.text_with(
            row,
            4,
            pick(&figures.definition, language, ""),
            &formats.wrap,
        )?;
    }
    grid.finish_table(header_row, row, 4)
}

fn minimum_wages(
    workbook: &mut Workbook,
    context: &mut Context,
    report: &Report,
) -> Result<(), XlsxError> {
    let language = context.language;
    let name = context.names.claim(text(Text::SheetMinimumWages, language));
    let sheet = workbook.add_worksheet().set_name(name)?;
    let formats = &context.formats;
    let mut grid = Grid::new(sheet, formats);
    grid.note(0, 0, text(Text::CertaintyNote, language), &formats.note)?;
    let header_row = 2;
    grid.header(
        header_row,
        &[
            text(Text::Province, language),
            text(Text::Year, language),
            text(Text::Amount, language),
            text(Text::Certainty, language),
            text(Text::Source, language),
        ],
    )?;
    let mut row = header_row;
    for wage in &report.minimum_wages {
        row += 1;
        grid.text(row, 0, &wage.province)?;
        grid.number(
            row,
            1,
            f64::from(wage.year),
            &formats.plain,
            crate::report::ColumnFormat::Integer,
        )?;
        grid.number(
            row,
            2,
            wage.amount as f64,
            &formats.rupiah,
            crate::report::ColumnFormat::Rupiah,
        )?;
        if wage.certainty.eq_ignore_ascii_case("verified") {
            grid.text(row, 3, &wage.certainty)?;
        } else {
            grid.text_with(row, 3, &wage.certainty, &formats.warning)?;
        }
        grid.text_with(row, 4, &wage.source, &formats.wrap)?;
    }
    grid.finish_table(header_row, row, 4)
}

fn quality(
    workbook: &mut Workbook,
    context: &mut Context,
    report: &Report,
) -> Result<(), XlsxError> {
    let language = context.language;
    let name = context.names.claim(text(Text::SheetQuality, language));
    let sheet = workbook.add_worksheet().set_name(name)?;
    let mut grid = Grid::new(sheet, &context.formats);
    grid.header(
        0,
        &[
            text(Text::Code, language),
            text(Text::Wave, language),
            text(Text::Count, language),
            text(Text::Meaning, language),
        ],
    )?;
    for (index, count) in report.quality.iter().enumerate() {
        let row = index as u32 + 1;
        grid.text(row, 0, &count.code)?;
        let wave = count
            .wave
            .as_deref()
            .unwrap_or_else(|| text(Text::RosterLevel, language));
        grid.text(row, 1, wave)?;
        grid.count(row, 2, count.count)?;
        grid.text(row, 3, pick(&count.meaning, language, ""))?;
    }
    grid.finish_table(0, report.quality.len() as u32, 3)
}
