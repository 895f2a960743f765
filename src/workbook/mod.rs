//! Donor and manager workbooks: a [`Report`] written as an Excel file with rust_xlsxwriter.
//!
//! Domain code: it takes a report and a path, never the database or the clock. Every text that
//! came from a roster or a respondent is written with `write_string`, so that `=HYPERLINK(…)`
//! typed into a survey stays a string in the donor's Excel. The donor variant never reads
//! [`Report::manager`].
//!
//! Sheet layout other modules and tests rely on:
//! - `Logframe`: row 1 headers; from row 2 one row per [`Report::indicators`] entry in order,
//!   columns A indicator id, B label (in the workbook's language), C wave (empty for roster
//!   indicators), D baseline, E target, F actual, G numerator, H n. A suppressed figure shows
//!   the word for "suppressed" (`disembunyikan` / `suppressed`) in F, G and H instead of numbers.

use std::path::Path;

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::config::{IndicatorFormat, WorkbookVariant};
use crate::report::Report;

/// Why a workbook could not be written; names the file.
#[derive(Debug, thiserror::Error)]
#[error("cannot write workbook {path}: {source}")]
pub struct WorkbookError {
    /// The file that was being written.
    pub path: String,
    /// What rust_xlsxwriter reported.
    #[source]
    pub source: XlsxError,
}

/// The word shown in place of a suppressed figure.
pub fn suppressed_word(language: &str) -> &'static str {
    match language {
        "id" => "disembunyikan",
        _ => "suppressed",
    }
}

/// File name for a variant written on `report.run_at`'s day, such as
/// `pantau-donor-2026-11-29.xlsx`.
pub fn file_name(report: &Report, variant: WorkbookVariant) -> String {
    let kind = match variant {
        WorkbookVariant::Donor => "donor",
        WorkbookVariant::Manager => "manager",
    };
    format!("pantau-{kind}-{}.xlsx", report.run_at.format("%Y-%m-%d"))
}

/// Writes the `variant` workbook of `report` in `language` to `path`.
pub fn write(
    report: &Report,
    variant: WorkbookVariant,
    language: &str,
    path: &Path,
) -> Result<(), WorkbookError> {
    let fail = |source| WorkbookError {
        path: path.display().to_string(),
        source,
    };
    let mut workbook = Workbook::new();
    logframe(&mut workbook, report, language).map_err(fail)?;
    let _ = variant;
    workbook.save(path).map_err(fail)
}

fn logframe(workbook: &mut Workbook, report: &Report, language: &str) -> Result<(), XlsxError> {
    let sheet = workbook.add_worksheet().set_name("Logframe")?;
    let bold = Format::new().set_bold();
    let percent = Format::new().set_num_format("0.0%");
    let rupiah = Format::new().set_num_format("\"Rp\" #,##0");
    let number = Format::new().set_num_format("#,##0.##");
    let headers = [
        "Indicator",
        "Label",
        "Wave",
        "Baseline",
        "Target",
        "Actual",
        "Numerator",
        "n",
    ];
    for (column, header) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, column as u16, *header, &bold)?;
    }
    for (index, figures) in report.indicators.iter().enumerate() {
        let row = index as u32 + 1;
        let format = match figures.format {
            IndicatorFormat::Percent => &percent,
            IndicatorFormat::Rupiah => &rupiah,
            IndicatorFormat::Number => &number,
        };
        sheet.write_string(row, 0, &figures.id)?;
        let label = figures
            .label
            .get(language)
            .or_else(|| figures.label.values().next())
            .map(String::as_str)
            .unwrap_or(&figures.id);
        sheet.write_string(row, 1, label)?;
        sheet.write_string(row, 2, figures.wave.as_deref().unwrap_or(""))?;
        if let Some(baseline) = figures.baseline {
            sheet.write_number_with_format(row, 3, baseline, format)?;
        }
        if let Some(target) = figures.target {
            sheet.write_number_with_format(row, 4, target, format)?;
        }
        let overall = &figures.result.overall;
        if overall.suppressed {
            for column in 5..8 {
                sheet.write_string(row, column, suppressed_word(language))?;
            }
        } else {
            if let Some(value) = overall.value {
                sheet.write_number_with_format(row, 5, value, format)?;
            }
            sheet.write_number(row, 6, overall.numerator as f64)?;
            sheet.write_number(row, 7, overall.n as f64)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}
