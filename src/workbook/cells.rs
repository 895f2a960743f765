//! Writing cells safely and readably: the shared formats, text that is always a string, dates
//! as dates, numbers in Rupiah or percent, and column widths computed from what was written.
//!
//! [`Grid`] wraps one worksheet. Its text methods call `write_string` only, so a roster value
//! such as `=HYPERLINK(…)` or `+cmd|' /C calc'!A0` arrives in Excel as the same characters and
//! never as a formula; nothing in the workbooks is written with `write` or as a formula.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use rust_xlsxwriter::{Color, ExcelDateTime, Format, FormatBorder, Url, Worksheet, XlsxError};

use crate::config::IndicatorFormat;
use crate::report::ColumnFormat;

/// Excel's longest cell text, in characters.
pub(crate) const MAX_CELL_TEXT: usize = 32_767;
/// Narrowest and widest column, in Excel's character units: wide enough for a header word,
/// never so wide that a long definition pushes the next column off the screen.
pub(crate) const MIN_WIDTH: usize = 6;
pub(crate) const MAX_WIDTH: usize = 60;
/// Excel refuses a worksheet with more hyperlinks than this; later links are written as text.
pub(crate) const MAX_LINKS_PER_SHEET: usize = 65_530;

/// The formats every sheet shares.
pub(crate) struct Formats {
    pub header: Format,
    pub title: Format,
    pub bold: Format,
    pub wrap: Format,
    pub note: Format,
    /// A number without separators (years).
    pub plain: Format,
    pub integer: Format,
    pub number: Format,
    pub percent: Format,
    pub rupiah: Format,
    pub date: Format,
    pub datetime: Format,
    pub link: Format,
    /// Draws the eye to a figure that is not verified.
    pub warning: Format,
}

impl Formats {
    pub(crate) fn new() -> Formats {
        Formats {
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_background_color(Color::RGB(0xD9E1F2))
                .set_border_bottom(FormatBorder::Thin),
            title: Format::new().set_bold().set_font_size(14),
            bold: Format::new().set_bold(),
            wrap: Format::new().set_text_wrap(),
            note: Format::new()
                .set_italic()
                .set_font_color(Color::RGB(0x595959)),
            plain: Format::new().set_num_format("0"),
            integer: Format::new().set_num_format("#,##0"),
            number: Format::new().set_num_format("#,##0.##"),
            percent: Format::new().set_num_format("0.0%"),
            rupiah: Format::new().set_num_format("\"Rp\" #,##0"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm"),
            link: Format::new()
                .set_font_color(Color::RGB(0x0563C1))
                .set_underline(rust_xlsxwriter::FormatUnderline::Single),
            warning: Format::new()
                .set_bold()
                .set_background_color(Color::RGB(0xFFEB9C)),
        }
    }

    /// The number format of an indicator's figures.
    pub(crate) fn indicator(&self, format: IndicatorFormat) -> &Format {
        match format {
            IndicatorFormat::Number => &self.number,
            IndicatorFormat::Percent => &self.percent,
            IndicatorFormat::Rupiah => &self.rupiah,
        }
    }

    /// The format of a participant-sheet column's numbers and dates.
    pub(crate) fn column(&self, format: ColumnFormat) -> Option<&Format> {
        match format {
            ColumnFormat::Text => None,
            ColumnFormat::Integer => Some(&self.integer),
            ColumnFormat::Number => Some(&self.number),
            ColumnFormat::Rupiah => Some(&self.rupiah),
            ColumnFormat::Percent => Some(&self.percent),
            ColumnFormat::Date => Some(&self.date),
        }
    }
}

/// Widest content seen per column, in characters.
#[derive(Debug, Default, Clone)]
pub(crate) struct Widths {
    widest: Vec<usize>,
}

impl Widths {
    /// Notes that `column` holds something `chars` characters wide (the longest line of a
    /// wrapped text counts).
    pub(crate) fn see(&mut self, column: u16, chars: usize) {
        let column = usize::from(column);
        if self.widest.len() <= column {
            self.widest.resize(column + 1, 0);
        }
        self.widest[column] = self.widest[column].max(chars);
    }

    /// Takes in what `other` has seen.
    pub(crate) fn merge(&mut self, other: &Widths) {
        for (column, chars) in other.widest.iter().enumerate() {
            self.see(column as u16, *chars);
        }
    }

    /// Width of `column` in Excel's units: content plus a little air, between the bounds.
    pub(crate) fn width(&self, column: u16) -> usize {
        let chars = self.widest.get(usize::from(column)).copied().unwrap_or(0);
        (chars + 2).clamp(MIN_WIDTH, MAX_WIDTH)
    }

    /// Sets every seen column's width on `sheet`.
    pub(crate) fn apply(&self, sheet: &mut Worksheet) -> Result<(), XlsxError> {
        for column in 0..self.widest.len() {
            let column = column as u16;
            sheet.set_column_width(column, self.width(column) as f64)?;
        }
        Ok(())
    }
}

/// Characters a text takes on screen: its longest line.
pub(crate) fn text_width(text: &str) -> usize {
    // The participant table measures its texts the same way as it is built.
    crate::report::longest_line(text)
}

/// Characters a number takes once formatted: digits, thousands separators and the unit.
pub(crate) fn number_width(value: f64, format: ColumnFormat) -> usize {
    let digits = integer_digits(value);
    let separated = digits + (digits.saturating_sub(1)) / 3;
    match format {
        ColumnFormat::Rupiah => separated + 3,
        ColumnFormat::Percent => separated + 3,
        ColumnFormat::Number => separated + 3,
        ColumnFormat::Date => 10,
        ColumnFormat::Integer | ColumnFormat::Text => separated,
    }
}

/// Digits of a number's integer part, counted without formatting it (this runs for every
/// number of a participant sheet); 3 for what is not finite, as `inf` and `NaN` are spelt.
fn integer_digits(value: f64) -> usize {
    let mut whole = value.abs().trunc();
    if !whole.is_finite() {
        return 3;
    }
    let mut digits = 1;
    while whole >= 10.0 {
        whole = (whole / 10.0).trunc();
        digits += 1;
    }
    digits
}

/// `text` cut to Excel's cell limit, on a character boundary. Longer texts cannot be stored in
/// a cell at all; a roster or answer that long is an accident, and the cut is marked. Excel
/// counts the limit in UTF-16 units (an emoji takes two), and so does rust_xlsxwriter, which
/// refuses a longer text.
pub(crate) fn fit(text: &str) -> std::borrow::Cow<'_, str> {
    if text.len() <= MAX_CELL_TEXT || text.encode_utf16().count() <= MAX_CELL_TEXT {
        return text.into();
    }
    let mut cut = String::new();
    let mut units = 0;
    for c in text.chars() {
        // One unit is kept for the mark.
        if units + c.len_utf16() > MAX_CELL_TEXT - 1 {
            break;
        }
        units += c.len_utf16();
        cut.push(c);
    }
    cut.push('…');
    cut.into()
}

/// A text as Excel keeps it in a sheet's XML: `&`, `<` and `>` as entities, control characters
/// as `_xHHHH_`, and a literal `_xHHHH_` guarded as `_x005F_xHHHH_` so that it reads back as
/// typed. The same escaping as rust_xlsxwriter's, for rows written without it
/// ([`super::sheet_rows`]).
pub(crate) struct ExcelText<'a>(pub &'a str);

impl ExcelText<'_> {
    /// Appends the escaped text to `out`.
    pub(crate) fn escape_into(&self, out: &mut Vec<u8>) {
        let text = self.0;
        let bytes = text.as_bytes();
        let mut plain = 0;
        for (at, c) in text.char_indices() {
            let entity: &[u8] = match c {
                '&' => b"&amp;",
                '<' => b"&lt;",
                '>' => b"&gt;",
                // Excel's own escape typed as text: guard its underscore.
                '_' if is_escape_at(bytes, at) => b"_x005F_",
                '\t' | '\n' => continue,
                '\u{0}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}' => b"",
                _ => continue,
            };
            out.extend_from_slice(&bytes[plain..at]);
            plain = at + c.len_utf8();
            if entity.is_empty() {
                // Writing into a Vec cannot fail.
                let _ = std::io::Write::write_fmt(out, format_args!("_x{:04X}_", c as u32));
            } else {
                out.extend_from_slice(entity);
            }
        }
        out.extend_from_slice(&bytes[plain..]);
    }
}

/// Whether `_xHHHH_` (four hex digits) starts at byte `at`.
fn is_escape_at(bytes: &[u8], at: usize) -> bool {
    bytes.len() >= at + 7
        && bytes[at + 1] == b'x'
        && bytes[at + 2..at + 6].iter().all(u8::is_ascii_hexdigit)
        && bytes[at + 6] == b'_'
}

/// An Excel date for `date`; None outside Excel's calendar (1900–9999).
pub(crate) fn excel_date(date: NaiveDate) -> Option<ExcelDateTime> {
    let year = u16::try_from(date.year()).ok()?;
    ExcelDateTime::from_ymd(year, date.month() as u8, date.day() as u8).ok()
}

/// Whether `link` may become a live hyperlink: `https://` or `http://`, no spaces, quotes or
/// control characters, and short enough for Excel. Anything else is shown as text.
pub(crate) fn is_safe_link(link: &str) -> bool {
    (link.starts_with("https://") || link.starts_with("http://"))
        && link.len() > "https://".len()
        && link.len() <= 2_000
        && !link
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>' | '`'))
}

/// One worksheet being written, with the widths seen so far.
pub(crate) struct Grid<'a> {
    pub sheet: &'a mut Worksheet,
    pub formats: &'a Formats,
    pub widths: Widths,
    links: usize,
}

impl<'a> Grid<'a> {
    pub(crate) fn new(sheet: &'a mut Worksheet, formats: &'a Formats) -> Grid<'a> {
        Grid {
            sheet,
            formats,
            widths: Widths::default(),
            links: 0,
        }
    }

    /// Text as a string, whatever it looks like.
    pub(crate) fn text(&mut self, row: u32, column: u16, text: &str) -> Result<(), XlsxError> {
        let text = fit(text);
        self.widths.see(column, text_width(&text));
        self.sheet.write_string(row, column, text.as_ref())?;
        Ok(())
    }

    /// Text as a string in `format`.
    pub(crate) fn text_with(
        &mut self,
        row: u32,
        column: u16,
        text: &str,
        format: &Format,
    ) -> Result<(), XlsxError> {
        let text = fit(text);
        self.widths.see(column, text_width(&text));
        self.sheet
            .write_string_with_format(row, column, text.as_ref(), format)?;
        Ok(())
    }

    /// A text that does not widen its column (titles and notes that may run across).
    pub(crate) fn note(
        &mut self,
        row: u32,
        column: u16,
        text: &str,
        format: &Format,
    ) -> Result<(), XlsxError> {
        self.sheet
            .write_string_with_format(row, column, fit(text).as_ref(), format)?;
        Ok(())
    }

    /// One header row in the header format.
    pub(crate) fn header(&mut self, row: u32, headers: &[&str]) -> Result<(), XlsxError> {
        for (column, header) in headers.iter().enumerate() {
            let column = column as u16;
            // Headers wrap, so a long one needs only about half its length.
            self.widths.see(column, text_width(header).min(24));
            self.sheet.write_string_with_format(
                row,
                column,
                fit(header).as_ref(),
                &self.formats.header,
            )?;
        }
        Ok(())
    }

    /// A number in `format`.
    pub(crate) fn number(
        &mut self,
        row: u32,
        column: u16,
        value: f64,
        format: &Format,
        shown_as: ColumnFormat,
    ) -> Result<(), XlsxError> {
        self.widths.see(column, number_width(value, shown_as));
        self.sheet
            .write_number_with_format(row, column, value, format)?;
        Ok(())
    }

    /// A count, with thousands separators.
    pub(crate) fn count(&mut self, row: u32, column: u16, value: usize) -> Result<(), XlsxError> {
        let format = &self.formats.integer;
        self.widths
            .see(column, number_width(value as f64, ColumnFormat::Integer));
        self.sheet
            .write_number_with_format(row, column, value as f64, format)?;
        Ok(())
    }

    /// An indicator figure in its format.
    pub(crate) fn figure(
        &mut self,
        row: u32,
        column: u16,
        value: f64,
        format: IndicatorFormat,
    ) -> Result<(), XlsxError> {
        let shown_as = match format {
            IndicatorFormat::Number => ColumnFormat::Number,
            IndicatorFormat::Percent => ColumnFormat::Percent,
            IndicatorFormat::Rupiah => ColumnFormat::Rupiah,
        };
        let formats = self.formats;
        self.number(row, column, value, formats.indicator(format), shown_as)
    }

    /// A date as an Excel date; as ISO text when Excel's calendar cannot hold it.
    pub(crate) fn date(&mut self, row: u32, column: u16, date: NaiveDate) -> Result<(), XlsxError> {
        match excel_date(date) {
            Some(excel) => {
                self.widths.see(column, 10);
                self.sheet
                    .write_datetime_with_format(row, column, &excel, &self.formats.date)?;
                Ok(())
            }
            None => self.text(row, column, &date.format("%Y-%m-%d").to_string()),
        }
    }

    /// A date and time (minutes), as [`Grid::date`].
    pub(crate) fn datetime(
        &mut self,
        row: u32,
        column: u16,
        at: NaiveDateTime,
    ) -> Result<(), XlsxError> {
        let excel = excel_date(at.date()).and_then(|date| {
            date.and_hms(at.hour() as u16, at.minute() as u8, at.second())
                .ok()
        });
        match excel {
            Some(excel) => {
                self.widths.see(column, 16);
                self.sheet.write_datetime_with_format(
                    row,
                    column,
                    &excel,
                    &self.formats.datetime,
                )?;
                Ok(())
            }
            None => self.text(row, column, &at.format("%Y-%m-%d %H:%M").to_string()),
        }
    }

    /// A link: a live hyperlink when [`is_safe_link`] allows it and the sheet has room for
    /// one more, else the same characters as text.
    pub(crate) fn link(&mut self, row: u32, column: u16, link: &str) -> Result<(), XlsxError> {
        if link.is_empty() {
            return Ok(());
        }
        if !is_safe_link(link) || self.links >= MAX_LINKS_PER_SHEET {
            return self.text(row, column, link);
        }
        self.links += 1;
        self.widths.see(column, text_width(link).min(40));
        let url = Url::new(link).set_text(link);
        self.sheet
            .write_url_with_format(row, column, url, &self.formats.link)?;
        Ok(())
    }

    /// Freezes the rows down to `header_row`, filters the table below it, and sets the widths.
    pub(crate) fn finish_table(
        mut self,
        header_row: u32,
        last_row: u32,
        last_column: u16,
    ) -> Result<(), XlsxError> {
        self.sheet.set_freeze_panes(header_row + 1, 0)?;
        self.sheet
            .autofilter(header_row, 0, last_row.max(header_row), last_column)?;
        self.finish()
    }

    /// Sets the widths.
    pub(crate) fn finish(&mut self) -> Result<(), XlsxError> {
        let widths = std::mem::take(&mut self.widths);
        widths.apply(self.sheet)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_follow_the_longest_content_within_bounds() {
        let mut widths = Widths::default();
        widths.see(0, 3);
        widths.see(0, 10);
        widths.see(0, 7);
        widths.see(2, 500);
        assert_eq!(widths.width(0), 12);
        assert_eq!(widths.width(1), MIN_WIDTH, "an unseen column is narrow");
        assert_eq!(widths.width(2), MAX_WIDTH, "a long text is capped");
    }

    #[test]
    fn text_width_is_the_longest_line_in_characters() {
        assert_eq!(text_width("Rp dan é"), 8);
        assert_eq!(text_width("a\nlonger line\nb"), 11);
        assert_eq!(text_width(""), 0);
    }

    #[test]
    fn integer_digits_match_the_formatted_number() {
        for value in [
            0.0,
            0.4,
            9.99,
            10.0,
            99.0,
            100.0,
            1_000_000.0,
            4_500_000.5,
            -12_345.0,
            1e15,
            1e17,
        ] {
            assert_eq!(
                integer_digits(value),
                format!("{:.0}", value.abs().trunc()).len(),
                "{value}"
            );
        }
        assert_eq!(integer_digits(f64::NAN), 3);
        assert_eq!(integer_digits(f64::INFINITY), 3);
    }

    #[test]
    fn number_width_counts_separators_and_units() {
        assert_eq!(number_width(1_234_567.0, ColumnFormat::Integer), 9);
        assert_eq!(number_width(4_500_000.0, ColumnFormat::Rupiah), 12);
        assert_eq!(number_width(0.25, ColumnFormat::Percent), 4);
    }

    #[test]
    fn only_plain_web_links_become_hyperlinks() {
        assert!(is_safe_link("https://wa.me/6281234567890?text=Halo%20Sari"));
        assert!(is_safe_link("http://127.0.0.1:8080/s/abc"));
        for unsafe_link in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "https://x.org/a b",
            "https://x.org/\"onclick",
            "https://",
            "",
        ] {
            assert!(!is_safe_link(unsafe_link), "{unsafe_link}");
        }
    }

    #[test]
    fn overlong_text_is_cut_to_excels_limit() {
        let long = "x".repeat(MAX_CELL_TEXT + 10);
        let cut = fit(&long);
        assert_eq!(cut.chars().count(), MAX_CELL_TEXT);
        assert!(cut.ends_with('…'));
        assert_eq!(fit("short"), "short");
    }

    #[test]
    fn dates_outside_excels_calendar_have_no_excel_form() {
        assert!(excel_date(NaiveDate::from_ymd_opt(1985, 3, 1).unwrap()).is_some());
        assert!(excel_date(NaiveDate::from_ymd_opt(1850, 3, 1).unwrap()).is_none());
    }
}
