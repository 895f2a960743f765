//! The values an expression works with and XPath 1.0's conversions between them, with the ODK
//! additions: a date type that reads as `yyyy-mm-dd` text and as days since 1970-01-01, and
//! date strings that convert to numbers.
//!
//! The conversions follow JavaRosa (ODK Collect's engine, `XPathFuncExpr.toNumeric`,
//! `toString`, `toBoolean`) so that a form behaves here as it does on a phone.

use chrono::NaiveDate;

use super::dates;

/// A value produced by an expression or supplied for a `${name}` reference.
///
/// Answers arrive typed from the caller: integer and decimal answers as [`Value::Num`], dates as
/// [`Value::Date`], text and select answers as [`Value::Str`] (a `select_multiple` answer is its
/// choice names separated by spaces) and unanswered questions as the empty string.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Text; the empty string is XPath's "no value".
    Str(String),
    /// A number; NaN is what XPath gives for an empty or non-numeric value used as a number.
    Num(f64),
    /// A boolean, the result of comparisons, `and`, `or` and functions such as `selected()`.
    Bool(bool),
    /// A calendar date without time of day.
    Date(NaiveDate),
}

impl Value {
    /// The empty string, which is how an unanswered question reads.
    pub fn empty() -> Value {
        Value::Str(String::new())
    }

    /// Whether the value means "no value": the empty string, or NaN (which is what arithmetic
    /// on empty values gives). This is the test `coalesce()` uses.
    pub fn is_empty(&self) -> bool {
        match self {
            Value::Str(text) => text.is_empty(),
            Value::Num(number) => number.is_nan(),
            Value::Bool(_) | Value::Date(_) => false,
        }
    }

    /// XPath `boolean()`: text is true when non-empty (so the text `'false'` is true), a number
    /// when it is neither zero nor NaN, a date always.
    pub fn to_bool(&self) -> bool {
        match self {
            Value::Str(text) => !text.is_empty(),
            // JavaRosa treats values within 1e-12 of zero as zero, so that floating-point
            // residue such as `0.1 + 0.2 - 0.3` is false as a person would expect.
            Value::Num(number) => number.abs() > 1e-12 && !number.is_nan(),
            Value::Bool(value) => *value,
            Value::Date(_) => true,
        }
    }

    /// XPath `number()`: see [`text_to_number`] for text; `true` is 1 and `false` 0; a date is
    /// its count of days since 1970-01-01.
    pub fn to_num(&self) -> f64 {
        match self {
            Value::Str(text) => text_to_number(text),
            Value::Num(number) => *number,
            Value::Bool(value) => f64::from(u8::from(*value)),
            Value::Date(date) => dates::days_since_epoch(*date) as f64,
        }
    }

    /// XPath `string()`: numbers as [`format_number`] writes them, booleans as `true`/`false`,
    /// dates as `yyyy-mm-dd`.
    pub fn to_text(&self) -> String {
        match self {
            Value::Str(text) => text.clone(),
            Value::Num(number) => format_number(*number),
            Value::Bool(value) => value.to_string(),
            Value::Date(date) => date.format("%Y-%m-%d").to_string(),
        }
    }

    /// The value as a date, for `date()` and `format-date()`: dates as they are, numbers as days
    /// since 1970-01-01, text in `yyyy-mm-dd` (optionally followed by a time, which is
    /// dropped). `None` when there is no such date, including for empty values.
    pub(crate) fn to_date(&self) -> Option<NaiveDate> {
        match self {
            Value::Date(date) => Some(*date),
            Value::Num(number) => dates::date_from_days(*number),
            Value::Str(text) => dates::parse_date_or_date_time(text),
            Value::Bool(_) => None,
        }
    }
}

/// Converts text to a number as JavaRosa does: surrounding whitespace is ignored, a comma is
/// read as a decimal point, and only digits, `-` and `.` are allowed, so `'1e3'`, `'+5'` and
/// `''` are NaN. Beyond JavaRosa, and as the ODK XForms spec asks of `number()`, a
/// `yyyy-mm-dd` date is its count of days since 1970-01-01, so that a date answer compares
/// with a date written as text (`${visit} >= '2024-01-01'`).
pub(crate) fn text_to_number(text: &str) -> f64 {
    let trimmed = text.trim();
    if let Some(date) = dates::parse_iso_date(trimmed) {
        return dates::days_since_epoch(date) as f64;
    }
    let normalized = trimmed.replace(',', ".");
    if normalized.is_empty()
        || !normalized
            .chars()
            .all(|c| c == '-' || c == '.' || c.is_ascii_digit())
    {
        return f64::NAN;
    }
    normalized.parse().unwrap_or(f64::NAN)
}

/// Writes a number as XPath `string()` does in ODK: `NaN`, `Infinity`, `-Infinity`, whole
/// numbers without a decimal point (`3`, not `3.0`), and others in their shortest exact decimal
/// form without exponent (`0.1`, `1500.5`).
///
/// As in JavaRosa, a number within 1e-12 of a whole number prints as that whole number, so that
/// `0.1 * 30` shows as `3` rather than `3.0000000000000004`.
pub(crate) fn format_number(number: f64) -> String {
    if number.is_nan() {
        return "NaN".to_string();
    }
    if number.is_infinite() {
        return if number < 0.0 {
            "-Infinity"
        } else {
            "Infinity"
        }
        .to_string();
    }
    let whole = number.round();
    if (number - whole).abs() < 1e-12 && whole.abs() < 1e15 {
        // `as i64` is exact below 1e15, and avoids printing `-0` for negative zero.
        return (whole as i64).to_string();
    }
    format!("{number}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_like_odk() {
        assert_eq!(format_number(3.0), "3");
        assert_eq!(format_number(-0.0), "0");
        assert_eq!(format_number(1500.5), "1500.5");
        assert_eq!(format_number(0.1 * 30.0), "3");
        assert_eq!(format_number(2_500_000_000.0), "2500000000");
        assert_eq!(format_number(1e20), "100000000000000000000");
        assert_eq!(format_number(0.000_1), "0.0001");
        assert_eq!(format_number(f64::NAN), "NaN");
        assert_eq!(format_number(f64::NEG_INFINITY), "-Infinity");
    }

    #[test]
    fn text_converts_to_numbers_like_javarosa() {
        assert_eq!(text_to_number(" 12 "), 12.0);
        assert_eq!(text_to_number("-.5"), -0.5);
        assert_eq!(text_to_number("1,5"), 1.5);
        assert!(text_to_number("").is_nan());
        assert!(text_to_number("1e3").is_nan());
        assert!(text_to_number("+5").is_nan());
        assert!(text_to_number("-").is_nan());
        assert!(text_to_number("inf").is_nan());
        assert_eq!(text_to_number("1970-01-02"), 1.0);
    }

    #[test]
    fn booleans_follow_xpath() {
        assert!(Value::Str("false".into()).to_bool());
        assert!(!Value::empty().to_bool());
        assert!(!Value::Num(f64::NAN).to_bool());
        assert!(!Value::Num(1e-13).to_bool());
        assert!(Value::Num(-2.0).to_bool());
    }
}
