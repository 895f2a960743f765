//! The pseudonymised participant-level sheet (`Peserta` / `Participants`): one row per
//! participant, the pseudonym first, each column in its format (Rupiah, percent, dates as
//! dates). The report holds no name, NIK, phone, email, exact birth date or free text here;
//! every text value is still written as a string. Long tables continue on numbered sheets
//! (see [`super::long_table`]).

use rust_xlsxwriter::{Workbook, XlsxError};

use super::Context;
use super::long_table;
use super::text::{Text, pick, text};
use crate::report::ParticipantTable;

pub(crate) fn write(
    workbook: &mut Workbook,
    context: &mut Context,
    table: &ParticipantTable,
) -> Result<Vec<String>, XlsxError> {
    let language = context.language;
    let headers: Vec<&str> = table
        .columns
        .iter()
        .map(|column| pick(&column.label, language, &column.name))
        .collect();
    let formats: Vec<_> = table.columns.iter().map(|column| column.format).collect();
    long_table::write(
        workbook,
        context,
        text(Text::SheetParticipants, language),
        &headers,
        &table.rows,
        |grid, row, data| {
            // A row longer than the columns would be a bug upstream; extra values have no
            // header, so they are left out rather than shown unlabelled.
            for (column, (datum, format)) in data.iter().zip(&formats).enumerate() {
                grid.datum(row, column as u16, datum, *format)?;
            }
            Ok(())
        },
    )
}
