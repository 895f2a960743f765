//! A spreadsheet cell as a roster file holds it, independent of the reader that produced it.

use chrono::NaiveDateTime;
use compact_str::CompactString;

/// One cell of a roster. Readers (calamine for workbooks, the CSV reader) map their own cell
/// types to this so that value parsers see one shape.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing in the cell, or only spaces.
    Empty,
    /// Text as typed. Up to 24 bytes (most roster cells: ids, NIKs, phone numbers, names,
    /// places) it is held inline, without an allocation of its own: a million-row roster has
    /// ten million text cells, allocated on the reading thread and freed on the checking one.
    Text(CompactString),
    /// A number, including Excel's date serial numbers in cells not formatted as dates.
    Number(f64),
    /// A cell formatted as a date or date-time.
    DateTime(NaiveDateTime),
    /// TRUE or FALSE.
    Bool(bool),
    /// A formula error Excel shows, such as `#N/A` or `#REF!`.
    Error(String),
}

impl Cell {
    /// Text cells are trimmed; a text cell of only spaces is empty.
    pub fn text(value: &str) -> Cell {
        let trimmed = trim(value);
        if trimmed.is_empty() {
            Cell::Empty
        } else if is_formula_error(trimmed) {
            Cell::Error(trimmed.to_owned())
        } else {
            Cell::Text(CompactString::new(trimmed))
        }
    }

    /// Whether the cell holds nothing.
    pub fn is_empty(&self) -> bool {
        matches!(self, Cell::Empty)
    }

    /// [`Cell::display`], moving a text out rather than copying it (the roster check owns its
    /// rows' cells, and most of them are text).
    pub fn into_display(self) -> CompactString {
        match self {
            Cell::Text(text) => text,
            Cell::Error(text) => text.into(),
            other => other.display().into(),
        }
    }

    /// The cell as a person would read it, for messages and for keeping unknown columns.
    pub fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(text) => text.to_string(),
            Cell::Error(text) => text.clone(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{n:.0}"),
            Cell::Number(n) => n.to_string(),
            Cell::DateTime(dt) if dt.time() == chrono::NaiveTime::MIN => {
                dt.date().format("%Y-%m-%d").to_string()
            }
            Cell::DateTime(dt) => dt.format("%Y-%m-%d %H:%M:%S").to_string(),
            Cell::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        }
    }
}

/// `str::trim`, with a shortcut for the text nearly every cell holds: one that starts and
/// ends with an ASCII character other than whitespace needs no trimming (whitespace outside
/// ASCII is several bytes, none of them ASCII), and the general search for whitespace at
/// either end was a twentieth of the reading thread's own work.
fn trim(text: &str) -> &str {
    let keeps = |byte: Option<&u8>| {
        byte.is_some_and(|&b| {
            b.is_ascii() && !matches!(b, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ')
        })
    };
    let bytes = text.as_bytes();
    if keeps(bytes.first()) && keeps(bytes.last()) {
        text
    } else {
        text.trim()
    }
}

/// `text` lower-cased into `buffer` when it is ASCII and fits, without allocating; `None`
/// otherwise, and the caller lower-cases it the general way. For ASCII text the two agree,
/// so the common case (a roster's `L`, `P`, `1`, `hadir`) costs no allocation per cell.
pub(super) fn ascii_lowercase<'b, const N: usize>(
    text: &str,
    buffer: &'b mut [u8; N],
) -> Option<&'b str> {
    if text.len() > N || !text.is_ascii() {
        return None;
    }
    let folded = &mut buffer[..text.len()];
    folded.copy_from_slice(text.as_bytes());
    folded.make_ascii_lowercase();
    std::str::from_utf8(folded).ok()
}

/// Excel's formula errors, as they arrive in CSV exports where they are plain text.
fn is_formula_error(text: &str) -> bool {
    // Every error starts with '#': other texts (nearly all of a roster's cells) are told
    // apart without the upper-cased copy.
    text.starts_with('#')
        && matches!(
            text.to_ascii_uppercase().as_str(),
            "#N/A"
                | "#REF!"
                | "#VALUE!"
                | "#DIV/0!"
                | "#NAME?"
                | "#NUM!"
                | "#NULL!"
                | "#SPILL!"
                | "#CALC!"
                | "#GETTING_DATA"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_errors_are_recognised() {
        assert_eq!(Cell::text("  Budi "), Cell::Text("Budi".into()));
        assert_eq!(Cell::text("   "), Cell::Empty);
        assert_eq!(Cell::text("#n/a"), Cell::Error("#n/a".into()));
    }

    #[test]
    fn trimming_agrees_with_str_trim() {
        for text in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\u{b}a\u{c}",
            "\u{a0}Budi",
            "Budi\u{3000}",
            "\u{85}",
            "é",
            "Budi Santoso",
            "\u{1c}x\u{1f}",
            "\r\nx\t",
        ] {
            assert_eq!(trim(text), text.trim(), "{text:?}");
        }
    }

    #[test]
    fn ascii_text_is_lower_cased_in_place_and_other_text_is_left_to_the_caller() {
        let mut buffer = [0u8; 8];
        assert_eq!(ascii_lowercase("HaDiR", &mut buffer), Some("hadir"));
        assert_eq!(ascii_lowercase("", &mut buffer), Some(""));
        assert_eq!(ascii_lowercase("ÇA", &mut buffer), None);
        assert_eq!(ascii_lowercase("too long!", &mut buffer), None);
    }

    #[test]
    fn numbers_display_without_a_fraction() {
        assert_eq!(Cell::Number(81234567890.0).display(), "81234567890");
        assert_eq!(Cell::Number(2.5).display(), "2.5");
        for cell in [
            Cell::Empty,
            Cell::text(" Budi "),
            Cell::text("#REF!"),
            Cell::Number(2.5),
            Cell::Bool(true),
            Cell::DateTime(
                chrono::NaiveDate::from_ymd_opt(2024, 1, 12)
                    .unwrap()
                    .and_hms_opt(8, 30, 0)
                    .unwrap(),
            ),
        ] {
            assert_eq!(cell.clone().into_display(), cell.display(), "{cell:?}");
        }
    }
}
