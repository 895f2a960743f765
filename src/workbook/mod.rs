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
//!
//! The participant sheet is the one large part (a row per participant, about a hundred
//! columns): its rows are written by [`sheet_rows`] into a sheet rust_xlsxwriter laid out, and
//! [`write_each`] writes it once for all the workbooks that show it the same ([`splice`]).

mod cells;
mod charts;
mod cover;
mod deflate_parts;
mod dictionary;
mod disaggregation;
mod funnel;
mod logframe;
mod long_table;
mod manager;
mod methodology;
mod names;
mod participants;
mod sheet_rows;
mod splice;
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
    let target = Target {
        variant,
        language,
        path,
    };
    write_each(report, report.manager.as_ref(), &[target], layout)
        .pop()
        .unwrap_or(Ok(()))
}

/// [`write`] with the staff-only part passed beside the report instead of in it.
pub fn write_with_extras(
    report: &Report,
    extras: Option<&ManagerExtras>,
    variant: WorkbookVariant,
    language: &str,
    path: &Path,
) -> Result<(), WorkbookError> {
    let target = Target {
        variant,
        language,
        path,
    };
    write_each(report, extras, &[target], Layout::default())
        .pop()
        .unwrap_or(Ok(()))
}

/// One workbook [`write_each`] writes.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub variant: WorkbookVariant,
    pub language: &'a str,
    pub path: &'a Path,
}

/// Writes several workbooks of one report at once, with the staff-only part passed beside the
/// report (only manager targets read it), so that the job can write the manager workbook while
/// donor workbooks are written from the same report with [`Report::manager`] already emptied.
///
/// The workbooks are built on threads of their own, and a participant sheet shown the same in
/// two of them (the manager and donor workbooks in one language) is written and compressed
/// once, and its data rows once for every language ([`splice`]). One result per target, in order; one failing does not stop the others.
pub fn write_each(
    report: &Report,
    extras: Option<&ManagerExtras>,
    targets: &[Target],
    layout: Layout,
) -> Vec<Result<(), WorkbookError>> {
    let layout = Layout {
        rows_per_sheet: layout.rows_per_sheet.clamp(1, EXCEL_DATA_ROWS),
    };
    let widths = participants::data_widths(&report.participants, layout.rows_per_sheet);
    let fail = |path: &Path, source| WorkbookError {
        path: path.display().to_string(),
        source,
    };
    let built: Vec<Result<splice::Pending, WorkbookError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = targets
            .iter()
            .map(|target| {
                let widths = &widths;
                scope.spawn(move || {
                    let (mut workbook, placeholders) = build(
                        report,
                        extras,
                        target.variant,
                        target.language,
                        layout,
                        widths,
                    )?;
                    let package = workbook.save_to_buffer()?;
                    Ok(splice::Pending {
                        package,
                        placeholders,
                        path: target.path.to_path_buf(),
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .zip(targets)
            .map(|(handle, target)| {
                let built: Result<splice::Pending, XlsxError> =
                    handle.join().unwrap_or_else(|_| {
                        Err(XlsxError::CustomError("a workbook writer stopped".into()))
                    });
                built.map_err(|source| fail(target.path, source))
            })
            .collect()
    });
    let mut results: Vec<Option<Result<(), WorkbookError>>> = Vec::new();
    let mut pending = Vec::new();
    for result in built {
        match result {
            Ok(workbook) => {
                pending.push(workbook);
                results.push(None);
            }
            Err(err) => results.push(Some(Err(err))),
        }
    }
    let mut finished = splice::finish(&report.participants, pending).into_iter();
    results
        .into_iter()
        .map(|result| match result {
            Some(failed) => failed,
            None => match finished.next() {
                Some(Ok(())) => Ok(()),
                Some(Err((path, source))) => Err(fail(&path, source)),
                None => Err(fail(
                    Path::new(""),
                    XlsxError::CustomError("a workbook was lost".into()),
                )),
            },
        })
        .collect()
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
    participant_widths: &[cells::Widths],
) -> Result<(Workbook, Vec<participants::Placeholder>), XlsxError> {
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
    let placeholders = participants::write(
        &mut workbook,
        &mut context,
        &report.participants,
        participant_widths,
    )?;
    dictionary::write(&mut workbook, &mut context, report)?;
    methodology::write(&mut workbook, &mut context, report)?;
    // The only place the manager extras are read, and only for the manager variant.
    if let (WorkbookVariant::Manager, Some(extras)) = (variant, extras) {
        manager::write(&mut workbook, &mut context, extras)?;
    }
    Ok((workbook, placeholders))
}
