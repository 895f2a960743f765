//! A spreadsheet cell as a roster file holds it, independent of the reader that produced it.

use chrono::NaiveDateTime;

/// One cell of a roster. Readers (calamine for workbooks, the CSV reader) map their own cell
/// types to this so that value parsers see one shape.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing in the cell, or only spaces.
    Empty,
    /// Text as typed.
    Text(String),
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
        let trimmed = value.trim();
        if trimmed.is_empty() {
            Cell::Empty
        } else if is_formula_error(trimmed) {
            Cell::Error(trimmed.to_owned())
        } else {
            Cell::Text(trimmed.to_owned())
        }
    }

    /// Whether the cell holds nothing.
    pub fn is_empty(&self) -> bool {
        matches!(self, Cell::Empty)
    }

    /// The cell as a person would read it, for messages and for keeping unknown columns.
    pub fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(text) | Cell::Error(text) => text.clone(),
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
    fn numbers_display_without_a_fraction() {
        assert_eq!(Cell::Number(81234567890.0).display(), "81234567890");
        assert_eq!(Cell::Number(2.5).display(), "2.5");
    }
}
