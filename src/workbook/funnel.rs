//! The response funnel per wave (invited → opened → consented → submitted, with declines and
//! expired windows) and the training attendance funnel by age group (enrolled → each session →
//! completed), each on its own sheet so that both have a frozen header and a filter.
//!
//! The response rate is submitted over invited, written as a number (not a formula: the
//! workbooks hold none). A suppressed attendance row shows the suppressed word in its counts.

use rust_xlsxwriter::{Workbook, XlsxError};

use super::Context;
use super::cells::Grid;
use super::suppressed_word;
use super::text::{Text, text};
use crate::report::{AttendanceRow, Report, WaveFunnel};

pub(crate) fn write(
    workbook: &mut Workbook,
    context: &mut Context,
    report: &Report,
) -> Result<(), XlsxError> {
    let name = context
        .names
        .claim(text(Text::SheetResponse, context.language));
    let sheet = workbook.add_worksheet().set_name(name)?;
    response(
        &mut Grid::new(sheet, &context.formats),
        context.language,
        &report.funnel,
    )?;
    let name = context
        .names
        .claim(text(Text::SheetAttendance, context.language));
    let sheet = workbook.add_worksheet().set_name(name)?;
    attendance(
        &mut Grid::new(sheet, &context.formats),
        context.language,
        &report.attendance,
    )
}

/// Submitted over invited; None when nobody was invited.
pub(crate) fn response_rate(wave: &WaveFunnel) -> Option<f64> {
    (wave.invited > 0).then(|| wave.submitted as f64 / wave.invited as f64)
}

fn response(grid: &mut Grid, language: &str, funnel: &[WaveFunnel]) -> Result<(), XlsxError> {
    let headers = [
        Text::Wave,
        Text::Invited,
        Text::Opened,
        Text::Consented,
        Text::Declined,
        Text::Submitted,
        Text::Expired,
        Text::ResponseRate,
    ]
    .map(|key| text(key, language));
    grid.header(0, &headers)?;
    for (index, wave) in funnel.iter().enumerate() {
        let row = index as u32 + 1;
        grid.text(row, 0, &wave.wave)?;
        let counts = [
            wave.invited,
            wave.opened,
            wave.consented,
            wave.declined,
            wave.submitted,
            wave.expired,
        ];
        for (offset, count) in counts.into_iter().enumerate() {
            grid.count(row, 1 + offset as u16, count)?;
        }
        if let Some(rate) = response_rate(wave) {
            grid.figure(row, 7, rate, crate::config::IndicatorFormat::Percent)?;
        }
    }
    grid.sheet.set_freeze_panes(1, 1)?;
    grid.sheet.autofilter(0, 0, funnel.len() as u32, 7)?;
    grid.finish()
}

fn attendance(grid: &mut Grid, language: &str, rows: &[AttendanceRow]) -> Result<(), XlsxError> {
    let sessions = rows.iter().map(|row| row.sessions.len()).max().unwrap_or(0);
    let mut headers = vec![
        text(Text::AgeGroup, language).to_string(),
        text(Text::Enrolled, language).to_string(),
    ];
    for session in 1..=sessions {
        headers.push(format!("{} {session}", text(Text::Session, language)));
    }
    headers.push(text(Text::Completed, language).to_string());
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    grid.header(0, &headers)?;
    let last_column = (sessions + 2) as u16;
    for (index, attendance) in rows.iter().enumerate() {
        let row = index as u32 + 1;
        let group = attendance
            .age_group
            .as_deref()
            .unwrap_or_else(|| text(Text::Everyone, language));
        grid.text(row, 0, group)?;
        if attendance.suppressed {
            for column in 1..=last_column {
                grid.text(row, column, suppressed_word(language))?;
            }
            continue;
        }
        grid.count(row, 1, attendance.enrolled)?;
        for (session, count) in attendance.sessions.iter().enumerate() {
            grid.count(row, 2 + session as u16, *count)?;
        }
        grid.count(row, last_column, attendance.completed)?;
    }
    grid.sheet.set_freeze_panes(1, 1)?;
    grid.sheet
        .autofilter(0, 0, rows.len() as u32, last_column)?;
    grid.finish()
}
