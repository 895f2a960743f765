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
//!
//! The whole workbook, in sheet order (names in the workbook's language, Indonesian / English):
//! - `Sampul` / `Cover` ([`cover`]): programme, country, period, run date, threshold, and the
//!   source roster files with the start of their hash and their row counts.
//! - `Logframe` ([`logframe`]), as above.
//! - `Per <dimension>` / `By <dimension>` ([`disaggregation`]), one per entry of
//!   [`Report::disaggregations`]: columns indicator id, label, wave, then two per category
//!   (value, `n`); categories sorted, the unknown category last.
//! - `Respons` / `Response` and `Kehadiran` / `Attendance` ([`funnel`]).
//! - `Grafik` / `Charts` ([`charts`]): the data of each chart beside a native Excel chart.
//! - `Peserta` / `Participants` ([`participants`]), split into `Peserta 1`, `Peserta 2`… when
//!   the rows do not fit one sheet.
//! - `Kamus data` / `Data dictionary` ([`dictionary`]).
//! - `Metodologi` / `Methodology`, `Upah minimum` / `Minimum wages`, `Kualitas data` /
//!   `Data quality` ([`methodology`]).
//! - Manager variant only ([`manager`]): `Belum merespons` / `Non-respondents`,
//!   `Tanda kualitas` / `Quality flags`, `Masalah impor` / `Import problems`.
//!
//! Every table has one header row, frozen, with an autofilter; widths follow the content.

mod cells;
mod charts;
mod cover;
mod dictionary;
mod disaggregation;
mod funnel;
mod logframe;
mod long_table;
mod manager;
mod methodology;
mod names;
mod participants;
mod text;

use std::path::Path;

use rust_xlsxwriter::{Workbook, XlsxError};

use crate::config::WorkbookVariant;
use crate::report::{ManagerExtras, Report};

use cells::Formats;
use names::SheetNames;

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

/// How large tables are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Data rows per sheet of a long table (participants, non-respondents, flags, import
    /// problems) before it continues on a numbered sheet. Excel's limit (1,048,575 below the
    /// header) by default; tests use a small number to see the split.
    pub rows_per_sheet: usize,
}

/// Deflate level of the workbook's zip package. The default (6) spent about as long
/// compressing a large participant sheet as writing it; 3 (fast matching, no lazy search)
/// costs a little size for much less time (see BENCHMARKS.md, the job).
const ZIP_LEVEL: u8 = 3;

/// Excel's rows per sheet (1,048,576) minus the header row.
pub const EXCEL_DATA_ROWS: usize = 1_048_575;

impl Default for Layout {
    fn default() -> Layout {
        Layout {
            rows_per_sheet: EXCEL_DATA_ROWS,
        }
    }
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
    write_with(report, variant, language, path, Layout::default())
}

/// [`write`] with long tables split after `layout.rows_per_sheet` rows.
pub fn write_with(
    report: &Report,
    variant: WorkbookVariant,
    language: &str,
    path: &Path,
    layout: Layout,
) -> Result<(), WorkbookError> {
    let fail = |source| WorkbookError {
        path: path.display().to_string(),
        source,
    };
    let mut workbook =
        build(report, report.manager.as_ref(), variant, language, layout).map_err(fail)?;
    workbook.save(path).map_err(fail)
}

/// [`write`] with the staff-only part passed beside the report instead of in it, so that the
/// job can write the manager workbook while donor workbooks are written from the same report
/// on other threads, with [`Report::manager`] already emptied for them.
pub fn write_with_extras(
    report: &Report,
    extras: Option<&ManagerExtras>,
    variant: WorkbookVariant,
    language: &str,
    path: &Path,
) -> Result<(), WorkbookError> {
    let fail = |source| WorkbookError {
        path: path.display().to_string(),
        source,
    };
    let mut workbook = build(report, extras, variant, language, Layout::default()).map_err(fail)?;
    workbook.save(path).map_err(fail)
}

/// What every sheet writer needs besides the report.
pub(crate) struct Context<'a> {
    pub language: &'a str,
    pub formats: Formats,
    pub names: SheetNames,
    pub layout: Layout,
}

fn build(
    report: &Report,
    extras: Option<&ManagerExtras>,
    variant: WorkbookVariant,
    language: &str,
    layout: Layout,
) -> Result<Workbook, XlsxError> {
    let mut workbook = Workbook::new();
    workbook.set_zip_compression_level(ZIP_LEVEL);
    let mut context = Context {
        language,
        formats: Formats::new(),
        names: SheetNames::default(),
        layout: Layout {
            rows_per_sheet: layout.rows_per_sheet.clamp(1, EXCEL_DATA_ROWS),
        },
    };
    cover::write(&mut workbook, &mut context, report, variant)?;
    logframe::write(&mut workbook, &mut context, report)?;
    disaggregation::write(&mut workbook, &mut context, report)?;
    funnel::write(&mut workbook, &mut context, report)?;
    charts::write(&mut workbook, &mut context, report)?;
    participants::write(&mut workbook, &mut context, &report.participants)?;
    dictionary::write(&mut workbook, &mut context, report)?;
    methodology::write(&mut workbook, &mut context, report)?;
    // The only place the manager extras are read, and only for the manager variant.
    if let (WorkbookVariant::Manager, Some(extras)) = (variant, extras) {
        manager::write(&mut workbook, &mut context, extras)?;
    }
    Ok(workbook)
}
