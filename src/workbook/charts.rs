//! The `Grafik` / `Charts` sheet: three native Excel charts, each beside the small table it
//! plots, so a reader can check every bar against a number.
//!
//! Which indicators are plotted, since indicators come from the configuration:
//! - **Income before and after, by sex**: "after" is the first indicator (in report order) of
//!   kind `median` shown in Rupiah and computed for a wave, at the last wave where any of its
//!   `sex` cells has a figure; "before" is the first Rupiah `median` over the roster (the wage
//!   before the layoff), or when there is none the same indicator at its first wave.
//! - **BPJS Ketenagakerjaan enrolment by age group**: the `share` indicator whose id starts
//!   with `bpjs_registered`, else the first `share` whose id contains `bpjs`; one series per
//!   wave over its `age_group` cells.
//! - **Response by wave**: invited and submitted per wave from the response funnel.
//!
//! A suppressed cell is left empty in the table (a zero bar would read as a real zero) and a
//! note under each table says so. A chart with nothing to plot is replaced by a note.

use rust_xlsxwriter::{Chart, ChartType, Workbook, XlsxError};

use super::Context;
use super::cells::Grid;
use super::disaggregation::{categories, category_label, cell};
use super::text::{Text, pick, text};
use crate::config::{IndicatorFormat, IndicatorKind};
use crate::report::{IndicatorFigures, Report};

/// Rows a chart covers at its default size, so that the next block starts below it.
const CHART_ROWS: u32 = 17;
/// Column where charts start, right of the widest table (category + four waves).
const CHART_COLUMN: u16 = 7;

/// One series of a chart: its name and one value per category (None: nothing to plot).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

/// What one chart plots.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ChartData {
    pub categories: Vec<String>,
    pub series: Vec<Series>,
    pub format: IndicatorFormat,
}

pub(crate) fn write(
    workbook: &mut Workbook,
    context: &mut Context,
    report: &Report,
) -> Result<(), XlsxError> {
    let language = context.language;
    let name = context.names.claim(text(Text::SheetCharts, language));
    let sheet = workbook.add_worksheet().set_name(&name)?;
    let mut grid = Grid::new(sheet, &context.formats);
    let blocks = [
        (Text::ChartIncome, income(report, language)),
        (Text::ChartBpjs, bpjs(report, language)),
        (Text::ChartResponse, response(report, language)),
    ];
    let mut row = 0;
    for (title, data) in blocks {
        row = block(&mut grid, &name, row, text(title, language), data, language)?;
    }
    grid.finish()
}

/// Writes one titled table and its chart from `row`; returns the first free row below.
fn block(
    grid: &mut Grid,
    sheet_name: &str,
    row: u32,
    title: &str,
    data: Option<ChartData>,
    language: &str,
) -> Result<u32, XlsxError> {
    let formats = grid.formats;
    grid.note(row, 0, title, &formats.bold)?;
    let Some(data) = data else {
        grid.note(
            row + 1,
            0,
            text(Text::ChartUnavailable, language),
            &formats.note,
        )?;
        return Ok(row + 3);
    };
    let header_row = row + 1;
    grid.text_with(
        header_row,
        0,
        text(Text::Category, language),
        &formats.header,
    )?;
    for (index, series) in data.series.iter().enumerate() {
        grid.text_with(header_row, 1 + index as u16, &series.name, &formats.header)?;
    }
    for (index, category) in data.categories.iter().enumerate() {
        let data_row = header_row + 1 + index as u32;
        grid.text(data_row, 0, category)?;
        for (position, series) in data.series.iter().enumerate() {
            if let Some(value) = series.values.get(index).copied().flatten() {
                grid.figure(data_row, 1 + position as u16, value, data.format)?;
            }
        }
    }
    let last_row = header_row + data.categories.len() as u32;
    grid.note(
        last_row + 1,
        0,
        text(Text::ChartBlankNote, language),
        &formats.note,
    )?;

    let mut chart = Chart::new(ChartType::Column);
    chart.title().set_name(title);
    for index in 0..data.series.len() {
        let column = 1 + index as u16;
        chart
            .add_series()
            // The name is a reference to the header cell, never a text Excel might parse.
            .set_name((sheet_name, header_row, column))
            .set_categories((sheet_name, header_row + 1, 0, last_row, 0))
            .set_values((sheet_name, header_row + 1, column, last_row, column));
    }
    match data.format {
        IndicatorFormat::Percent => {
            chart.y_axis().set_num_format("0%");
        }
        IndicatorFormat::Rupiah => {
            chart.y_axis().set_num_format("\"Rp\" #,##0");
        }
        IndicatorFormat::Number => {
            chart.y_axis().set_num_format("#,##0");
        }
    }
    grid.sheet.insert_chart(row, CHART_COLUMN, &chart)?;
    Ok(row + CHART_ROWS.max(data.categories.len() as u32 + 4) + 1)
}

fn is_rupiah_median(figures: &IndicatorFigures) -> bool {
    figures.kind == IndicatorKind::Median && figures.format == IndicatorFormat::Rupiah
}

fn has_figure(figures: &IndicatorFigures, dimension: &str) -> bool {
    figures.result.breakdowns.iter().any(|breakdown| {
        breakdown.dimension == dimension
            && breakdown
                .cells
                .iter()
                .any(|(_, figure)| !figure.suppressed && figure.value.is_some())
    })
}

fn label_with_wave(figures: &IndicatorFigures, language: &str) -> String {
    let label = pick(&figures.label, language, &figures.id);
    match &figures.wave {
        Some(wave) => format!("{label} ({wave})"),
        None => label.to_string(),
    }
}

/// One value per category of `figures` by `dimension`; suppressed cells are None.
fn values(
    figures: &IndicatorFigures,
    dimension: &str,
    categories: &[Option<String>],
) -> Vec<Option<f64>> {
    categories
        .iter()
        .map(|category| {
            cell(figures, dimension, category)
                .filter(|figure| !figure.suppressed)
                .and_then(|figure| figure.value)
                .filter(|value| value.is_finite())
        })
        .collect()
}

/// Income before and after by sex, by the rule in the module documentation.
pub(crate) fn income(report: &Report, language: &str) -> Option<ChartData> {
    let dimension = "sex";
    let first_id = &report
        .indicators
        .iter()
        .find(|figures| is_rupiah_median(figures) && figures.wave.is_some())?
        .id;
    let waves: Vec<&IndicatorFigures> = report
        .indicators
        .iter()
        .filter(|figures| &figures.id == first_id)
        .collect();
    let after = *waves
        .iter()
        .rev()
        .find(|figures| has_figure(figures, dimension))?;
    let before = report
        .indicators
        .iter()
        .find(|figures| is_rupiah_median(figures) && figures.wave.is_none())
        .or_else(|| waves.first().copied().filter(|first| *first != after))?;
    let pair = [before.clone(), after.clone()];
    let categories = categories(dimension, &pair);
    if categories.is_empty() {
        return None;
    }
    Some(ChartData {
        categories: categories
            .iter()
            .map(|category| category_label(category, language).to_string())
            .collect(),
        series: pair
            .iter()
            .zip([Text::Before, Text::After])
            .map(|(figures, when)| Series {
                name: format!(
                    "{}: {}",
                    text(when, language),
                    label_with_wave(figures, language)
                ),
                values: values(figures, dimension, &categories),
            })
            .collect(),
        format: IndicatorFormat::Rupiah,
    })
}

/// BPJS Ketenagakerjaan enrolment by age group, one series per wave.
pub(crate) fn bpjs(report: &Report, language: &str) -> Option<ChartData> {
    let dimension = "age_group";
    let shares = || {
        report
            .indicators
            .iter()
            .filter(|figures| figures.kind == IndicatorKind::Share)
    };
    let id = &shares()
        .find(|figures| figures.id.starts_with("bpjs_registered"))
        .or_else(|| shares().find(|figures| figures.id.contains("bpjs")))?
        .id;
    let waves: Vec<IndicatorFigures> = shares()
        .filter(|figures| &figures.id == id)
        .cloned()
        .collect();
    let categories = categories(dimension, &waves);
    if categories.is_empty() {
        return None;
    }
    Some(ChartData {
        categories: categories
            .iter()
            .map(|category| category_label(category, language).to_string())
            .collect(),
        series: waves
            .iter()
            .map(|figures| Series {
                name: label_with_wave(figures, language),
                values: values(figures, dimension, &categories),
            })
            .collect(),
        format: IndicatorFormat::Percent,
    })
}

/// Invited and submitted per wave.
pub(crate) fn response(report: &Report, language: &str) -> Option<ChartData> {
    if report.funnel.is_empty() {
        return None;
    }
    let series = |key, count: fn(&crate::report::WaveFunnel) -> usize| Series {
        name: text(key, language).to_string(),
        values: report
            .funnel
            .iter()
            .map(|wave| Some(count(wave) as f64))
            .collect(),
    };
    Some(ChartData {
        categories: report.funnel.iter().map(|wave| wave.wave.clone()).collect(),
        series: vec![
            series(Text::Invited, |wave| wave.invited),
            series(Text::Submitted, |wave| wave.submitted),
        ],
        format: IndicatorFormat::Number,
    })
}
