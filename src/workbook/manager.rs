//! The manager workbook's own sheets, from [`ManagerExtras`]: non-respondents with their phone,
//! personal survey link and WhatsApp click-to-chat link (live hyperlinks only when the link is
//! a plain `https://`/`http://` address, otherwise shown as text), data-quality flags per
//! participant, and roster import problems with their place (file, sheet, row, column).
//!
//! Only [`super::build`] calls this, and only for the manager variant: the donor workbook
//! never reads the extras.

use rust_xlsxwriter::{Workbook, XlsxError};

use super::Context;
use super::long_table;
use super::text::{Text, text};
use crate::report::ManagerExtras;

pub(crate) fn write(
    workbook: &mut Workbook,
    context: &mut Context,
    extras: &ManagerExtras,
) -> Result<(), XlsxError> {
    let language = context.language;
    let t = |key| text(key, language);
    let headers = [
        Text::ParticipantKey,
        Text::Name,
        Text::Phone,
        Text::Wave,
        Text::Status,
        Text::DaysSinceInvited,
        Text::SurveyLink,
        Text::WhatsApp,
    ]
    .map(t);
    long_table::write(
        workbook,
        context,
        t(Text::SheetNonRespondents),
        &headers,
        &extras.non_respondents,
        |grid, row, person| {
            grid.text(row, 0, &person.participant_key)?;
            grid.text(row, 1, &person.name)?;
            // Phones are text: as numbers Excel would drop nothing here (they start with 62)
            // but would show them in scientific notation.
            grid.text(row, 2, &person.phone)?;
            grid.text(row, 3, &person.wave)?;
            grid.text(row, 4, &person.status)?;
            let formats = grid.formats;
            grid.number(
                row,
                5,
                person.days_since_invited as f64,
                &formats.integer,
                crate::report::ColumnFormat::Integer,
            )?;
            grid.link(row, 6, &person.link)?;
            grid.link(row, 7, &person.whatsapp)
        },
    )?;

    let headers = [
        Text::ParticipantKey,
        Text::Pseudonym,
        Text::Wave,
        Text::Code,
        Text::Reason,
    ]
    .map(t);
    long_table::write(
        workbook,
        context,
        t(Text::SheetFlags),
        &headers,
        &extras.flags,
        |grid, row, flag| {
            grid.text(row, 0, &flag.participant_key)?;
            grid.text(row, 1, &flag.pseudonym)?;
            let wave = flag.wave.as_deref().unwrap_or_else(|| t(Text::RosterLevel));
            grid.text(row, 2, wave)?;
            grid.text(row, 3, &flag.code)?;
            grid.text(row, 4, &flag.reason)
        },
    )?;

    let headers = [
        Text::FileName,
        Text::Sheet,
        Text::Row,
        Text::Column,
        Text::Severity,
        Text::Message,
    ]
    .map(t);
    long_table::write(
        workbook,
        context,
        t(Text::SheetImportProblems),
        &headers,
        &extras.import_problems,
        |grid, row, problem| {
            grid.text(row, 0, &problem.file_name)?;
            grid.text(row, 1, &problem.sheet)?;
            match problem.row {
                Some(number) => grid.count(row, 2, number as usize)?,
                None => grid.text(row, 2, t(Text::WholeFile))?,
            }
            grid.text(row, 3, &problem.column)?;
            grid.text(row, 4, &problem.severity)?;
            let formats = grid.formats;
            grid.text_with(row, 5, &problem.message, &formats.wrap)
        },
    )?;
    Ok(())
}
