//! Dates inside expressions: XPath has no date type, so ODK treats a date as its `yyyy-mm-dd`
//! text when it is shown and as a count of days since 1970-01-01 when it is used as a number.
//! This module converts between those three shapes and implements `format-date()`.

use chrono::{Datelike, NaiveDate};

/// Days from 0001-01-01 (chrono's "common era" day 1) to 1970-01-01.
const EPOCH_DAYS_FROM_CE: i64 = 719_163;

/// The Unix epoch, the day numbered 0 when a date is used as a number.
fn epoch() -> NaiveDate {
    // 1970-01-01 always exists; the fallback only keeps this free of `unwrap`.
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

/// Days since 1970-01-01 (negative before it).
pub(crate) fn days_since_epoch(date: NaiveDate) -> i64 {
    (date - epoch()).num_days()
}

/// The date `days` whole days after 1970-01-01, truncating any fraction towards zero as
/// JavaRosa's `date()` does; `None` for NaN, infinities and dates chrono cannot represent.
pub(crate) fn date_from_days(days: f64) -> Option<NaiveDate> {
    if !days.is_finite() || days.abs() > 100_000_000.0 {
        return None;
    }
    let from_ce = i32::try_from(days.trunc() as i64 + EPOCH_DAYS_FROM_CE).ok()?;
    NaiveDate::from_num_days_from_ce_opt(from_ce)
}

/// Parses exactly `yyyy-mm-dd`, the form XLSForm date answers and literals take.
///
/// Stricter than chrono's `%Y-%m-%d`, which accepts one-digit months and signed years: a string
/// such as `'2024-1-1'` is text to ODK, so it must not silently become a date here.
pub(crate) fn parse_iso_date(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    if !text.is_ascii() || bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = &text[range];
        if part.bytes().all(|b| b.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let year = digits(0..4)?;
    let month = digits(5..7)?;
    let day = digits(8..10)?;
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

/// Parses the date part of `yyyy-mm-dd` or of a date-time `yyyy-mm-ddThh:mm…`, ignoring the
/// time, as JavaRosa's `date()` does when given a date-time string.
pub(crate) fn parse_date_or_date_time(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    match text.char_indices().nth(10) {
        None => parse_iso_date(text),
        Some((index, 'T' | ' ')) => parse_iso_date(&text[..index]),
        Some(_) => None,
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Formats `date` with the ODK `format-date()` identifiers: `%Y` `%y` `%m` `%n` `%b` `%d` `%e`
/// `%a`. Month and day names are English, as JavaRosa gives without a form locale. Other text,
/// and a `%` followed by anything else, is copied as written so a typo shows up on screen
/// instead of failing the whole expression.
pub(crate) fn format_date(date: NaiveDate, format: &str) -> String {
    let mut out = String::with_capacity(format.len() + 8);
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('Y') => out.push_str(&format!("{:04}", date.year())),
            Some('y') => out.push_str(&format!("{:02}", date.year().rem_euclid(100))),
            Some('m') => out.push_str(&format!("{:02}", date.month())),
            Some('n') => out.push_str(&date.month().to_string()),
            Some('b') => out.push_str(MONTHS[date.month0() as usize]),
            Some('d') => out.push_str(&format!("{:02}", date.day())),
            Some('e') => out.push_str(&date.day().to_string()),
            Some('a') => out.push_str(WEEKDAYS[date.weekday().num_days_from_monday() as usize]),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn days_round_trip_around_the_epoch() {
        assert_eq!(days_since_epoch(ymd(1970, 1, 1)), 0);
        assert_eq!(days_since_epoch(ymd(1969, 12, 31)), -1);
        assert_eq!(days_since_epoch(ymd(2026, 11, 24)), 20_781);
        assert_eq!(date_from_days(20_781.9), Some(ymd(2026, 11, 24)));
        assert_eq!(date_from_days(-0.5), Some(ymd(1970, 1, 1)));
        assert_eq!(date_from_days(f64::NAN), None);
        assert_eq!(date_from_days(1e300), None);
    }

    #[test]
    fn only_strict_iso_dates_parse() {
        assert_eq!(parse_iso_date("2024-02-29"), Some(ymd(2024, 2, 29)));
        assert_eq!(parse_iso_date("2023-02-29"), None);
        assert_eq!(parse_iso_date("2024-1-01"), None);
        assert_eq!(parse_iso_date("+024-01-01"), None);
        assert_eq!(parse_iso_date("2024-01-01 "), None);
        assert_eq!(parse_iso_date("２０２４-01-01"), None);
        assert_eq!(
            parse_date_or_date_time("2024-03-05T10:20:30.000+07:00"),
            Some(ymd(2024, 3, 5))
        );
        assert_eq!(parse_date_or_date_time("2024-03-05X"), None);
    }

    #[test]
    fn formats_every_identifier() {
        let date = ymd(2026, 3, 5);
        assert_eq!(format_date(date, "%Y/%m/%d"), "2026/03/05");
        assert_eq!(format_date(date, "%e %b %y (%a) %n"), "5 Mar 26 (Thu) 3");
        assert_eq!(format_date(date, "100% %q %"), "100% %q %");
    }
}
