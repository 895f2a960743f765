//! What each built-in function does, following JavaRosa (ODK Collect's engine) where the ODK
//! XForms spec leaves room, and noting where pantau deliberately differs.
//!
//! Arguments arrive unevaluated so that `if()` and `coalesce()` evaluate only the branch they
//! need, as ODK does.

use regex::{Regex, RegexBuilder};

use super::Env;
use super::ast::Node;
use super::dates;
use super::eval::eval;
use super::functions::Function;
use super::value::Value;

/// Evaluates a call of `function`; the parser has checked the number of arguments.
pub(crate) fn call(function: Function, args: &[Node], env: &dyn Env) -> Value {
    // Missing arguments read as empty rather than panicking, although the parser's arity
    // check means they never are.
    let arg = |index: usize| args.get(index).map_or_else(Value::empty, |a| eval(a, env));
    let num = |index: usize| arg(index).to_num();
    let text = |index: usize| arg(index).to_text();
    match function {
        Function::If => {
            if arg(0).to_bool() {
                arg(1)
            } else {
                arg(2)
            }
        }
        Function::Coalesce => {
            let first = arg(0);
            if first.is_empty() { arg(1) } else { first }
        }
        Function::Not => Value::Bool(!arg(0).to_bool()),
        Function::True => Value::Bool(true),
        Function::False => Value::Bool(false),
        Function::Boolean => Value::Bool(arg(0).to_bool()),
        Function::Selected => {
            let wanted = text(1);
            let wanted = wanted.trim();
            Value::Bool(!wanted.is_empty() && text(0).split_whitespace().any(|c| c == wanted))
        }
        Function::CountSelected => Value::Num(text(0).split_whitespace().count() as f64),
        Function::SelectedAt => Value::Str(selected_at(&text(0), num(1))),
        // Counts characters as a person does; JavaRosa counts UTF-16 units, which differs only
        // outside the Basic Multilingual Plane (emoji).
        Function::StringLength => Value::Num(text(0).chars().count() as f64),
        Function::Concat => Value::Str((0..args.len()).map(text).collect()),
        Function::Contains => Value::Bool(text(0).contains(&text(1))),
        Function::StartsWith => Value::Bool(text(0).starts_with(&text(1))),
        Function::EndsWith => Value::Bool(text(0).ends_with(&text(1))),
        Function::Substr => {
            let end = (args.len() > 2).then(|| num(2));
            Value::Str(substr(&text(0), num(1), end))
        }
        Function::String => Value::Str(text(0)),
        Function::Number => Value::Num(num(0)),
        // Truncation towards zero; NaN and infinities stay as they are.
        Function::Int => Value::Num(num(0).trunc()),
        Function::Round => {
            let places = if args.len() > 1 { num(1) } else { 0.0 };
            Value::Num(round(num(0), places))
        }
        Function::Floor => Value::Num(num(0).floor()),
        Function::Ceiling => Value::Num(num(0).ceil()),
        Function::Abs => Value::Num(num(0).abs()),
        Function::Pow => Value::Num(pow(num(0), num(1))),
        Function::Min => Value::Num(extreme((0..args.len()).map(num), f64::min)),
        Function::Max => Value::Num(extreme((0..args.len()).map(num), f64::max)),
        Function::Today => Value::Date(env.today()),
        Function::Date => arg(0).to_date().map_or_else(Value::empty, Value::Date),
        Function::FormatDate => Value::Str(
            arg(0)
                .to_date()
                .map(|date| dates::format_date(date, &text(1)))
                .unwrap_or_default(),
        ),
        // The parser turns regex() calls into their own node; this arm only keeps the match
        // exhaustive.
        Function::Regex => {
            Value::Bool(compile_pattern(&text(1)).is_ok_and(|regex| regex.is_match(&text(0))))
        }
    }
}

/// Compiles a `regex()` pattern so that it must match the whole value.
///
/// JavaRosa uses Java's `Pattern.matches`, a whole-string match, while the ODK spec's wording
/// and Enketo test for a match anywhere (getodk/javarosa#531). pantau follows ODK Collect: a
/// constraint such as `regex(., '[0-9]{16}')` is meant to accept exactly sixteen digits, and
/// patterns written with `^…$` behave the same under both readings.
pub(crate) fn compile_pattern(pattern: &str) -> Result<Regex, String> {
    // Compile the pattern alone first: wrapped in a group, an unbalanced pattern such as
    // `a)|(b` would otherwise be "balanced" by the wrapper and mean something else.
    let build = |source: &str| {
        RegexBuilder::new(source)
            // Far more than any form pattern needs, and it bounds the work a hostile pattern
            // such as `(a{1000}){1000}` can cause.
            .size_limit(1 << 20)
            .build()
    };
    build(pattern).map_err(|error| summarize_regex_error(&error))?;
    build(&format!("^(?:{pattern})$")).map_err(|error| summarize_regex_error(&error))
}

/// The one line of a regex error a form author needs, without the ASCII-art pointer.
fn summarize_regex_error(error: &regex::Error) -> String {
    match error {
        regex::Error::CompiledTooBig(_) => "the pattern is too large".to_string(),
        _ => {
            let full = error.to_string();
            full.lines()
                .find_map(|line| line.trim().strip_prefix("error: "))
                .unwrap_or("the pattern is not a valid regular expression")
                .to_string()
        }
    }
}

/// `selected-at(list, index)`: the choice at a 0-based index of a space-separated list, or
/// empty when there is none (JavaRosa).
fn selected_at(list: &str, index: f64) -> String {
    if index.is_nan() || index < 0.0 {
        return String::new();
    }
    list.split_whitespace()
        .nth(index as usize)
        .unwrap_or_default()
        .to_string()
}

/// `substr(text, start, end?)` as in JavaRosa: 0-based character positions, `end` exclusive,
/// negative positions counted from the end, positions truncated to whole numbers (NaN as 0).
fn substr(text: &str, start: f64, end: Option<f64>) -> String {
    let chars: Vec<char> = text.chars().collect();
    let len = chars.len() as i64;
    // `as i64` truncates, saturates at the extremes and maps NaN to 0, as Java's intValue().
    let resolve = |position: f64| {
        let position = position as i64;
        let position = if position < 0 {
            len + position
        } else {
            position
        };
        position.clamp(0, len) as usize
    };
    let start = resolve(start);
    let end = end.map_or(chars.len(), resolve);
    if start <= end {
        chars[start..end].iter().collect()
    } else {
        String::new()
    }
}

/// `pow()`; unlike IEEE `pow(1, NaN) = 1`, an empty exponent gives NaN as in Java.
fn pow(base: f64, exponent: f64) -> f64 {
    if exponent.is_nan() {
        f64::NAN
    } else {
        base.powf(exponent)
    }
}

/// `min()`/`max()` over the arguments, skipping NaN (unanswered) ones as JavaRosa does; NaN
/// when all are.
fn extreme(values: impl Iterator<Item = f64>, pick: fn(f64, f64) -> f64) -> f64 {
    values
        .filter(|value| !value.is_nan())
        .reduce(pick)
        .unwrap_or(f64::NAN)
}

/// `round(number, places)` as JavaRosa does it: on the number's shortest decimal form (so
/// `round(1.005, 2)` is 1.01 as written, not 1.00 as the binary value would give), with ties
/// going towards positive infinity, as XPath 1.0 asks (`round(2.5)` is 3, `round(-2.5)` is -2).
/// `places` is truncated to a whole number; beyond ±30 the result is NaN.
///
/// JavaRosa mishandles negative numbers with negative places (its `round(-36, -1)` is -30);
/// here they follow the same rule as everything else (-40).
pub(crate) fn round(number: f64, places: f64) -> f64 {
    if !number.is_finite() {
        return number;
    }
    let places = places as i64;
    if !(-30..=30).contains(&places) {
        return f64::NAN;
    }
    // Shortest decimal digits and exponent: 1234.5 is "1.2345e3", i.e. 0.12345 × 10^4.
    let scientific = format!("{:e}", number.abs());
    let Some((mantissa, exponent)) = scientific.split_once('e') else {
        return number;
    };
    let Ok(exponent) = exponent.parse::<i64>() else {
        return number;
    };
    let digits: Vec<u8> = mantissa
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect();
    // How many leading digits remain once everything after `places` decimals is dropped.
    let keep = exponent + 1 + places;
    if keep >= digits.len() as i64 {
        return number;
    }
    if keep < 0 {
        return 0.0;
    }
    let keep = keep as usize;
    let kept = digits[..keep]
        .iter()
        .fold(0u64, |acc, &d| acc * 10 + u64::from(d));
    let next = digits[keep];
    let beyond = digits[keep + 1..].iter().any(|&d| d != 0);
    let tie_goes_up = number > 0.0;
    let up = next > 5 || (next == 5 && (beyond || tie_goes_up));
    let magnitude: f64 = format!("{}e{}", kept + u64::from(up), -places)
        .parse()
        .unwrap_or(f64::NAN);
    if number < 0.0 { -magnitude } else { magnitude }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::value::format_number;

    #[test]
    fn rounds_like_javarosa() {
        let cases = [
            (2.5, 0.0, "3"),
            (-2.5, 0.0, "-2"),
            (-2.6, 0.0, "-3"),
            (2.4, 0.0, "2"),
            (1.005, 2.0, "1.01"),
            (0.285, 2.0, "0.29"),
            (1234.5678, -2.0, "1200"),
            (-36.0, -1.0, "-40"),
            (-35.0, -1.0, "-30"),
            (99.96, 1.0, "100"),
            (0.4, 0.0, "0"),
            (0.5, 0.0, "1"),
            (0.04, 0.0, "0"),
            (123.456, 5.0, "123.456"),
            (5.0, 31.0, "NaN"),
            (f64::INFINITY, 0.0, "Infinity"),
        ];
        for (number, places, expected) in cases {
            assert_eq!(
                format_number(round(number, places)),
                expected,
                "round({number}, {places})"
            );
        }
        assert_eq!(round(1e300, 2.0), 1e300);
    }

    #[test]
    fn substr_counts_like_javarosa() {
        assert_eq!(substr("hello", 1.0, Some(3.0)), "el");
        assert_eq!(substr("hello", -2.0, None), "lo");
        assert_eq!(substr("hello", 0.0, Some(-1.0)), "hell");
        assert_eq!(substr("hello", 4.0, Some(2.0)), "");
        assert_eq!(substr("héllo", f64::NAN, Some(2.9)), "hé");
    }

    #[test]
    fn patterns_must_match_whole_values() {
        let regex = compile_pattern("[0-9]{3}").unwrap();
        assert!(regex.is_match("123"));
        assert!(!regex.is_match("1234"));
        assert!(compile_pattern("a)|(b").is_err());
        assert_eq!(
            compile_pattern("[").unwrap_err(),
            "unclosed character class"
        );
    }
}
