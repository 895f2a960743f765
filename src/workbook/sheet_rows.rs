//! The participant sheet's data rows as SpreadsheetML, written directly rather than cell by cell
//! through rust_xlsxwriter.
//!
//! Why: rust_xlsxwriter looks every cell's `Format` up in a hash map (hashing the whole format)
//! and formats each cell's XML with `write!`; for a participant sheet of a hundred columns that
//! was most of a workbook's time, and the three workbooks of a run wrote the same rows three
//! times. Here each column's style index is known before the first row, and the rows are
//! written once for every workbook that shows them (see [`super::splice`]).
//!
//! The XML is what rust_xlsxwriter writes in constant-memory mode for the same calls, so what
//! Excel, LibreOffice and calamine read is unchanged: numbers in `<v>` with the column's style
//! (`s`), dates as Excel serial numbers in the date style, and every text as an inline string
//! (`t="inlineStr"`), escaped as rust_xlsxwriter escapes it — text is never a formula.

use std::io::Write;

use crate::report::{Cell, ColumnFormat, Row};

use super::cells::{ExcelText, excel_date, fit};

/// Style indices (`s` attributes) of the participant sheet's number formats in one workbook,
/// as rust_xlsxwriter assigned them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Styles {
    pub integer: u32,
    pub number: u32,
    pub percent: u32,
    pub rupiah: u32,
    pub date: u32,
}

impl Styles {
    /// The style of a number in a column of `format`: a number in a text or date column is
    /// shown as a plain number.
    fn of_number(&self, format: ColumnFormat) -> u32 {
        match format {
            ColumnFormat::Integer => self.integer,
            ColumnFormat::Rupiah => self.rupiah,
            ColumnFormat::Percent => self.percent,
            ColumnFormat::Number | ColumnFormat::Text | ColumnFormat::Date => self.number,
        }
    }
}

/// Writes data rows of one participant sheet.
pub(crate) struct RowWriter {
    /// Column letters (`A`, …, `CS`).
    letters: Vec<String>,
    /// Per column, the style of its numbers.
    number_styles: Vec<u32>,
    date_style: u32,
}

impl RowWriter {
    pub(crate) fn new(formats: &[ColumnFormat], styles: Styles) -> RowWriter {
        RowWriter {
            letters: (0..formats.len()).map(column_letters).collect(),
            number_styles: formats.iter().map(|f| styles.of_number(*f)).collect(),
            date_style: styles.date,
        }
    }

    /// Appends `row` as sheet row `sheet_row` (0-based; the header is row 0). A row without a
    /// value is left out, as rust_xlsxwriter leaves out rows it has no cell for.
    pub(crate) fn write(&self, out: &mut Vec<u8>, sheet_row: u32, row: Row<'_>) {
        let start = out.len();
        let mut number = itoa::Buffer::new();
        let row_number = number.format(sheet_row + 1).to_owned();
        out.extend_from_slice(b"<row r=\"");
        out.extend_from_slice(row_number.as_bytes());
        out.extend_from_slice(b"\">");
        let mut cells = 0;
        for ((cell, letters), number_style) in row.zip(&self.letters).zip(&self.number_styles) {
            let reference = (letters.as_bytes(), row_number.as_bytes());
            let written = match cell {
                Cell::Empty => false,
                Cell::Text(text) => text_cell(out, reference, text),
                // Infinity and NaN have no Excel form; an empty cell says "no usable value".
                Cell::Number(value) if !value.is_finite() => false,
                Cell::Number(value) => number_cell(out, reference, *number_style, value),
                Cell::Date(date) => match excel_date(date) {
                    Some(excel) => number_cell(out, reference, self.date_style, excel.to_excel()),
                    None => text_cell(out, reference, &date.format("%Y-%m-%d").to_string()),
                },
            };
            cells += usize::from(written);
        }
        if cells == 0 {
            out.truncate(start);
        } else {
            out.extend_from_slice(b"</row>");
        }
    }
}

fn cell_start(out: &mut Vec<u8>, (letters, row): (&[u8], &[u8])) {
    out.extend_from_slice(b"<c r=\"");
    out.extend_from_slice(letters);
    out.extend_from_slice(row);
    out.push(b'"');
}

/// Writes a number cell; true.
fn number_cell(out: &mut Vec<u8>, reference: (&[u8], &[u8]), style: u32, value: f64) -> bool {
    cell_start(out, reference);
    if style > 0 {
        out.extend_from_slice(b" s=\"");
        out.extend_from_slice(itoa::Buffer::new().format(style).as_bytes());
        out.push(b'"');
    }
    out.extend_from_slice(b"><v>");
    // Whole numbers (counts, Rupiah, serial dates: nearly every number here) as integers;
    // the rest as Rust prints an f64 (the shortest text that reads back as the same value),
    // which is what rust_xlsxwriter writes.
    if value.fract() == 0.0 && value.abs() < 1e15 {
        out.extend_from_slice(itoa::Buffer::new().format(value as i64).as_bytes());
    } else {
        // Writing into a Vec cannot fail.
        let _ = write!(out, "{value}");
    }
    out.extend_from_slice(b"</v></c>");
    true
}

/// Writes a text cell; false for an empty text, which (as in rust_xlsxwriter) has no cell.
fn text_cell(out: &mut Vec<u8>, reference: (&[u8], &[u8]), text: &str) -> bool {
    let text = fit(text);
    if text.is_empty() {
        return false;
    }
    cell_start(out, reference);
    out.extend_from_slice(b" t=\"inlineStr\"><is><t");
    let edges = ['\t', '\n', ' '];
    if text.starts_with(edges) || text.ends_with(edges) {
        out.extend_from_slice(b" xml:space=\"preserve\"");
    }
    out.push(b'>');
    ExcelText(&text).escape_into(out);
    out.extend_from_slice(b"</t></is></c>");
    true
}

/// Excel's column letters of 0-based `column` (`A`, …, `XFD`), from rust_xlsxwriter, which
/// writes the rest of the package.
pub(crate) fn column_letters(column: usize) -> String {
    rust_xlsxwriter::column_number_to_name(column as u16)
}

#[cfg(test)]
mod tests {

    use chrono::NaiveDate;

    use super::*;
    use crate::report::{Column, Datum, ParticipantTable};

    const STYLES: Styles = Styles {
        integer: 3,
        number: 4,
        percent: 5,
        rupiah: 6,
        date: 7,
    };

    fn xml(formats: &[ColumnFormat], row: Vec<Datum>) -> String {
        let columns = formats
            .iter()
            .map(|format| Column::unlabelled("", *format))
            .collect();
        let table = ParticipantTable::from_rows(columns, [row]);
        let mut out = Vec::new();
        let writer = RowWriter::new(formats, STYLES);
        writer.write(&mut out, 1, table.rows().next().unwrap());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn letters_follow_excel() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(96), "CS");
        assert_eq!(column_letters(16_383), "XFD");
    }

    #[test]
    fn numbers_take_their_columns_style_and_dates_are_serials() {
        use ColumnFormat::*;
        let got = xml(
            &[Rupiah, Percent, Integer, Text, Date, Date, Number],
            vec![
                Datum::Number(4_500_000.0),
                Datum::Number(0.25),
                Datum::Number(-3.0),
                Datum::Number(1.5),
                Datum::Date(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()),
                Datum::Number(2.0),
                Datum::Number(f64::NAN),
            ],
        );
        assert_eq!(
            got,
            "<row r=\"2\"><c r=\"A2\" s=\"6\"><v>4500000</v></c>\
             <c r=\"B2\" s=\"5\"><v>0.25</v></c><c r=\"C2\" s=\"3\"><v>-3</v></c>\
             <c r=\"D2\" s=\"4\"><v>1.5</v></c><c r=\"E2\" s=\"7\"><v>46023</v></c>\
             <c r=\"F2\" s=\"4\"><v>2</v></c></row>"
        );
    }

    #[test]
    fn text_is_an_escaped_inline_string_never_a_formula() {
        let got = xml(
            &[
                ColumnFormat::Text,
                ColumnFormat::Text,
                ColumnFormat::Integer,
            ],
            vec![
                Datum::Text("=HYPERLINK(\"http://x\",\"y\") & <b>".into()),
                Datum::Text(" _x0041_ \u{1}".into()),
                Datum::Text("12".into()),
            ],
        );
        assert_eq!(
            got,
            "<row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>=HYPERLINK(\"http://x\",\"y\") \
             &amp; &lt;b&gt;</t></is></c><c r=\"B2\" t=\"inlineStr\"><is><t \
             xml:space=\"preserve\"> _x005F_x0041_ _x0001_</t></is></c><c r=\"C2\" \
             t=\"inlineStr\"><is><t>12</t></is></c></row>"
        );
    }

    #[test]
    fn a_row_without_values_is_left_out() {
        let got = xml(
            &[ColumnFormat::Text, ColumnFormat::Integer],
            vec![Datum::Text(String::new()), Datum::Empty],
        );
        assert_eq!(got, "");
    }

    #[test]
    fn dates_outside_excels_calendar_are_iso_text() {
        let got = xml(
            &[ColumnFormat::Date],
            vec![Datum::Date(NaiveDate::from_ymd_opt(1850, 3, 1).unwrap())],
        );
        assert_eq!(
            got,
            "<row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>1850-03-01</t></is></c></row>"
        );
    }
}
