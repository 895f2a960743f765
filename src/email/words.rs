//! Dates and figures written out for emails, in Indonesian or English: `29 November 2026`,
//! `62,5%` or `62.5%`, `Rp 3.500.000`.

use chrono::{Datelike, NaiveDate};

use crate::config::IndicatorFormat;
use crate::roster::{ENGLISH_MONTHS, INDONESIAN_MONTHS, Rupiah};

/// A date in words: `29 November 2026`, `1 Agustus 2026`. Indonesian unless `language` is `en`.
pub fn date(language: &str, day: NaiveDate) -> String {
    let months = if language == "en" {
        &ENGLISH_MONTHS
    } else {
        &INDONESIAN_MONTHS
    };
    format!(
        "{} {} {}",
        day.day(),
        months[day.month0() as usize],
        day.year()
    )
}

/// A figure as its indicator shows it: a share as a percentage with one decimal, an amount in
/// Rupiah, a count or other number with thousands separators. Indonesian writes `62,5%` and
/// `1.250`; English `62.5%` and `1,250`.
pub fn figure(language: &str, format: IndicatorFormat, value: f64) -> String {
    let (thousands, decimal) = if language == "en" {
        (',', '.')
    } else {
        ('.', ',')
    };
    match format {
        IndicatorFormat::Percent => {
            format!("{}%", number(value * 100.0, 1, thousands, decimal))
        }
        IndicatorFormat::Rupiah => {
            let rounded = value.round();
            let shown = Rupiah(rounded.abs() as u64).display();
            if rounded < 0.0 {
                format!("-{shown}")
            } else {
                shown
            }
        }
        IndicatorFormat::Number => {
            let places = if value.fract() == 0.0 { 0 } else { 1 };
            number(value, places, thousands, decimal)
        }
    }
}

/// `value` with `places` decimals and the given separators.
fn number(value: f64, places: usize, thousands: char, decimal: char) -> String {
    let text = format!("{:.*}", places, value.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(thousands);
        }
        grouped.push(c);
    }
    let sign = if value < 0.0 && text.chars().any(|c| c != '0' && c != '.') {
        "-"
    } else {
        ""
    };
    if fraction.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}{decimal}{fraction}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check() {
        let cases: &[(&str, IndicatorFormat, f64, &str)] = &[
            ("id", IndicatorFormat::Percent, 0.625, "62,5%"),
            ("en", IndicatorFormat::Percent, 0.625, "62.5%"),
            ("en", IndicatorFormat::Percent, 1.0, "100.0%"),
            ("id", IndicatorFormat::Rupiah, 3_500_000.4, "Rp 3.500.000"),
            ("en", IndicatorFormat::Rupiah, -150_000.0, "-Rp 150.000"),
            ("id", IndicatorFormat::Number, 1250.0, "1.250"),
            ("en", IndicatorFormat::Number, 1250.0, "1,250"),
            ("en", IndicatorFormat::Number, 2.26, "2.3"),
            ("en", IndicatorFormat::Number, -1234567.0, "-1,234,567"),
            ("id", IndicatorFormat::Number, 0.0, "0"),
        ];
        for (language, format, value, expected) in cases {
            assert_eq!(figure(language, *format, *value), *expected, "{value}");
        }
    }

    #[test]
    fn dates_in_both_languages() {
        let day = NaiveDate::from_ymd_opt(2026, 8, 1).unwrap();
        assert_eq!(date("id", day), "1 Agustus 2026");
        assert_eq!(date("en", day), "1 August 2026");
    }
}
