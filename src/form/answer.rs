//! Answers as text and as typed values: how a stored answer becomes an expression [`Value`], and
//! how what a participant typed is read and normalised before it is stored.
//!
//! Stored answers are normalised text: integers as digits (`-12`), decimals with a point
//! (`2.5`), dates as `yyyy-mm-dd`, selects as choice names (space-separated for
//! `select_multiple`), acknowledgements as `OK`. Typed input is more forgiving: surrounding
//! spaces, a decimal comma (`2,5`, as Indonesians write it), a leading `+`.
//!
//! Rupiah amounts (`3.500.000`, `3,5 juta`) are read by a money parser outside this module; it
//! plugs in as a [`NumberParser`] through
//! [`Evaluation::with_number_parser`](super::Evaluation::with_number_parser).

use chrono::NaiveDate;

use crate::expr::Value;

use super::model::FieldKind;

/// Reads a typed number; `None` when the text is not one. Used for `integer` and `decimal`
/// questions in place of the built-in reading (see the module documentation).
pub type NumberParser = fn(&str) -> Option<f64>;

/// The typed value of a stored answer: numbers for `integer` and `decimal`, a date for `date`,
/// text otherwise; the empty string for an empty answer. A stored value that does not fit its
/// type (a form changed under stored answers) stays text, as XPath would read it.
pub fn typed_value(kind: &FieldKind, raw: &str) -> Value {
    if raw.is_empty() {
        return Value::empty();
    }
    match kind {
        FieldKind::Integer | FieldKind::Decimal => match parse_decimal(raw) {
            Some(number) => Value::Num(number),
            None => Value::Str(raw.to_string()),
        },
        FieldKind::Date => match parse_date(raw) {
            Some(date) => Value::Date(date),
            None => Value::Str(raw.to_string()),
        },
        _ => Value::Str(raw.to_string()),
    }
}

/// Reads a whole number: optional sign, digits, nothing else (surrounding spaces are fine).
pub fn parse_integer(text: &str) -> Option<i64> {
    let text = text.trim();
    let text = text.strip_prefix('+').unwrap_or(text);
    if text.is_empty()
        || !text
            .trim_start_matches('-')
            .chars()
            .all(|c| c.is_ascii_digit())
    {
        return None;
    }
    text.parse().ok()
}

/// Reads a number with an optional decimal point or comma (`2.5`, `2,5`), no thousands
/// separators and no exponent; surrounding spaces and a leading `+` are fine.
pub fn parse_decimal(text: &str) -> Option<f64> {
    let text = text.trim();
    let text = text.strip_prefix('+').unwrap_or(text);
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let separators = unsigned.chars().filter(|c| matches!(c, '.' | ',')).count();
    let digits = unsigned.chars().filter(char::is_ascii_digit).count();
    if digits == 0
        || separators > 1
        || !unsigned
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | ','))
    {
        return None;
    }
    text.replace(',', ".")
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite())
}

/// Reads a date written as `yyyy-mm-dd`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    if text.len() != 10 {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// Why typed input does not fit the question's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InputError {
    /// Expected a whole number.
    Integer,
    /// Expected a number.
    Number,
    /// Expected a `yyyy-mm-dd` date.
    Date,
    /// Not among the choices offered.
    Choice,
}

/// Reads and normalises typed input for a field of `kind`; `Ok("")` for empty input. Select
/// answers are checked against `choices` (the choices shown, after the filter).
pub(crate) fn normalize_input(
    kind: &FieldKind,
    raw: &str,
    choices: &[&str],
    number_parser: Option<NumberParser>,
) -> Result<String, InputError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(String::new());
    }
    let number = |raw: &str| {
        number_parser
            .and_then(|parse| parse(raw))
            .or_else(|| parse_decimal(raw))
    };
    match kind {
        FieldKind::Integer => match number(raw) {
            Some(n) if n.fract() == 0.0 && n.abs() < 1e15 => Ok(format!("{}", n as i64)),
            _ => Err(InputError::Integer),
        },
        FieldKind::Decimal => match number(raw) {
            Some(n) => Ok(Value::Num(n).to_text()),
            None => Err(InputError::Number),
        },
        FieldKind::Date => parse_date(raw)
            .map(|d| d.format("%Y-%m-%d").to_string())
            .ok_or(InputError::Date),
        FieldKind::SelectOne { .. } => {
            if choices.contains(&raw) {
                Ok(raw.to_string())
            } else {
                Err(InputError::Choice)
            }
        }
        FieldKind::SelectMultiple { .. } => {
            let mut picked: Vec<&str> = Vec::new();
            for name in raw.split_whitespace() {
                if !choices.contains(&name) {
                    return Err(InputError::Choice);
                }
                if !picked.contains(&name) {
                    picked.push(name);
                }
            }
            // Stored in the order of the choice list, so that equal answers are equal text.
            picked.sort_by_key(|p| choices.iter().position(|c| c == p));
            Ok(picked.join(" "))
        }
        FieldKind::Acknowledge => match raw.to_lowercase().as_str() {
            "ok" | "yes" | "true" | "1" | "on" => Ok("OK".to_string()),
            _ => Ok(String::new()),
        },
        _ => Ok(raw.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_accept_a_decimal_comma() {
        assert_eq!(parse_decimal("2,5"), Some(2.5));
        assert_eq!(parse_decimal(" -3.25 "), Some(-3.25));
        assert_eq!(parse_decimal("+7"), Some(7.0));
        assert_eq!(parse_decimal("3.500.000"), None);
        assert_eq!(parse_decimal("1e3"), None);
        assert_eq!(parse_decimal("."), None);
        assert_eq!(parse_integer("12"), Some(12));
        assert_eq!(parse_integer("1.5"), None);
    }

    #[test]
    fn input_is_normalised_by_type() {
        let int = FieldKind::Integer;
        assert_eq!(normalize_input(&int, " 12 ", &[], None), Ok("12".into()));
        assert_eq!(
            normalize_input(&int, "1,5", &[], None),
            Err(InputError::Integer)
        );
        assert_eq!(
            normalize_input(&FieldKind::Decimal, "1,5", &[], None),
            Ok("1.5".into())
        );
        let money: NumberParser = |s| (s == "3,5 juta").then_some(3_500_000.0);
        assert_eq!(
            normalize_input(&int, "3,5 juta", &[], Some(money)),
            Ok("3500000".into())
        );
        assert_eq!(
            normalize_input(&FieldKind::Date, "2025-02-30", &[], None),
            Err(InputError::Date)
        );
        let multi = FieldKind::SelectMultiple { list: "l".into() };
        assert_eq!(
            normalize_input(&multi, "c a c", &["a", "b", "c"], None),
            Ok("a c".into())
        );
        assert_eq!(
            normalize_input(&multi, "a z", &["a"], None),
            Err(InputError::Choice)
        );
    }
}
