//! The call list as an Excel workbook for field officers: one row per open invitation, most at
//! risk first, with the survey and WhatsApp links clickable.
//!
//! Layout tests rely on: sheet `Daftar telepon` (Indonesian) or `Call list` (English), row 1
//! headers, frozen, with an autofilter; from row 2 one row per [`CallListRow`] in order, columns
//! A risk score, B why, C name, D phone, E wave, F status, G invited on (YYYY-MM-DD), H days since
//! invited, I reminders sent, J survey link, K WhatsApp link, L participant key. Every text from
//! the roster is written with `write_string`, so a name typed as `=HYPERLINK(…)` stays text.
//!
//! Excel keeps at most 65,530 hyperlinks per sheet, two per row here, so a list longer than
//! [`ROWS_PER_SHEET`] continues on `Daftar telepon 2`, `Daftar telepon 3`, … with the same header.

use std::path::Path;

use rust_xlsxwriter::{Format, Url, Workbook, Worksheet, XlsxError};

use super::CallListRow;
use crate::workbook::WorkbookError;

/// Rows per sheet: two hyperlinks per row must stay under Excel's 65,530 per sheet.
pub const ROWS_PER_SHEET: usize = 32_000;

/// Column headers in Indonesian and English, with widths in characters.
const COLUMNS: [(&str, &str, f64); 12] = [
    ("Risiko", "Risk", 8.0),
    ("Alasan", "Why", 48.0),
    ("Nama", "Name", 28.0),
    ("Telepon", "Phone", 16.0),
    ("Gelombang", "Wave", 11.0),
    ("Status", "Status", 10.0),
    ("Diundang", "Invited on", 12.0),
    ("Hari sejak diundang", "Days since invited", 10.0),
    ("Pengingat terkirim", "Reminders sent", 10.0),
    ("Tautan survei", "Survey link", 40.0),
    ("WhatsApp", "WhatsApp", 16.0),
    ("Peserta", "Participant", 22.0),
];

/// The sheet name for the list in `language` (`id`, else English), numbered from the second.
pub fn sheet_name(language: &str, number: usize) -> String {
    let base = if language == "id" {
        "Daftar telepon"
    } else {
        "Call list"
    };
    if number <= 1 {
        base.to_string()
    } else {
        format!("{base} {number}")
    }
}

/// Writes `rows` to the workbook at `path`, headers in `language`.
pub fn write_call_list(
    rows: &[CallListRow],
    language: &str,
    path: &Path,
) -> Result<(), WorkbookError> {
    let wrap = |source: XlsxError| WorkbookError {
        path: path.display().to_string(),
        source,
    };
    let mut workbook = Workbook::new();
    let header = Format::new().set_bold().set_text_wrap();
    let chunks: Vec<&[CallListRow]> = if rows.is_empty() {
        vec![&[]]
    } else {
        rows.chunks(ROWS_PER_SHEET).collect()
    };
    for (index, chunk) in chunks.into_iter().enumerate() {
        let sheet = workbook.add_worksheet();
        sheet
            .set_name(sheet_name(language, index + 1))
            .map_err(wrap)?;
        write_sheet(sheet, chunk, language, &header).map_err(wrap)?;
    }
    workbook.save(path).map_err(wrap)
}

fn write_sheet(
    sheet: &mut Worksheet,
    rows: &[CallListRow],
    language: &str,
    header: &Format,
) -> Result<(), XlsxError> {
    let whatsapp_text = if language == "id" {
        "Kirim WhatsApp"
    } else {
        "Send on WhatsApp"
    };
    for (col, (id, en, width)) in (0u16..).zip(COLUMNS) {
        let title = if language == "id" { id } else { en };
        sheet.write_string_with_format(0, col, title, header)?;
        sheet.set_column_width(col, width)?;
    }
    for (row, item) in (1u32..).zip(rows) {
        sheet.write_number(row, 0, item.risk)?;
        sheet.write_string(row, 1, &item.why)?;
        sheet.write_string(row, 2, &item.name)?;
        sheet.write_string(row, 3, &item.phone)?;
        sheet.write_string(row, 4, &item.wave)?;
        sheet.write_string(row, 5, &item.status)?;
        sheet.write_string(row, 6, item.invited_on.format("%Y-%m-%d").to_string())?;
        sheet.write_number(row, 7, item.days_since_invited)?;
        sheet.write_number(row, 8, item.reminders_sent)?;
        link(sheet, row, 9, &item.survey_link, &item.survey_link)?;
        if let Some(whatsapp) = &item.whatsapp_link {
            link(sheet, row, 10, whatsapp, whatsapp_text)?;
        }
        sheet.write_string(row, 11, &item.participant)?;
    }
    let last_row = u32::try_from(rows.len()).unwrap_or(u32::MAX);
    sheet.autofilter(0, 0, last_row, 11)?;
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

/// A clickable link; a link past Excel's 2,080-character limit (a very long programme name in
/// the WhatsApp text) is written as plain text instead, still copyable.
fn link(sheet: &mut Worksheet, row: u32, col: u16, url: &str, text: &str) -> Result<(), XlsxError> {
    match sheet.write_url_with_text(row, col, Url::new(url), text) {
        Err(XlsxError::MaxUrlLengthExceeded) => sheet.write_string(row, col, url).map(|_| ()),
        other => other.map(|_| ()),
    }
}
