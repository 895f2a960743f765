//! Dates as rosters hold them: date cells, Excel serial numbers, `dd/mm/yyyy`, `yyyy-mm-dd`, and
//! Indonesian or English month names (`12 Januari 2024`, `12 Jan 2024`, `January 12, 2024`).
//!
//! Indonesian writing puts the day first, so `03/04/2024` is 3 April. Two-digit years take the
//! century that does not put the date in the future.

use chrono::{Datelike, Duration, NaiveDate};

use super::Cell;

/// English month names, January first, for dates written out to people (emails, survey pages).
pub const ENGLISH_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Indonesian month names as written in dates ("12 Januari 2024"), January first.
pub const INDONESIAN_MONTHS: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];

/// Parses a date cell. `today` decides the century of two-digit years.
pub fn parse_date(cell: &Cell, today: NaiveDate) -> Result<NaiveDate, String> {
    match cell {
        Cell::DateTime(dt) => Ok(dt.date()),
        Cell::Number(n) => from_serial(*n)
            .ok_or_else(|| format!("date {n} is neither a date nor an Excel date serial number")),
        Cell::Text(text) => parse_text(text, today).ok_or_else(|| {
            format!(
                "date {text:?} is not recognised; write it as dd/mm/yyyy, for example 17/08/2024"
            )
        }),
        Cell::Empty => Err("date is empty".to_owned()),
        other => Err(format!("date {:?} is not a date", other.display())),
    }
}

/// Excel's 1900 date system: serial 1 is 1900-01-01, and Excel counts a 29 February 1900 that
/// never existed, so serials from 61 on are one day ahead of a plain count.
fn from_serial(serial: f64) -> Option<NaiveDate> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let days = serial.floor() as i64;
    let epoch = if days >= 61 {
        NaiveDate::from_ymd_opt(1899, 12, 30)?
    } else {
        NaiveDate::from_ymd_opt(1899, 12, 31)?
    };
    epoch.checked_add_signed(Duration::days(days))
}

fn parse_text(text: &str, today: NaiveDate) -> Option<NaiveDate> {
    let text = text.trim().trim_start_matches('\'');
    // Numeric forms: yyyy-mm-dd (ISO), or d/m/y with '/', '-' or '.'.
    let parts: Vec<&str> = text
        .split(|c: char| c == '/' || c == '-' || c == '.' || c.is_whitespace() || c == ',')
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() == 3 && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit())) {
        let nums: Vec<u32> = parts
            .iter()
            .map(|p| p.parse().ok())
            .collect::<Option<_>>()?;
        return if parts[0].len() == 4 {
            NaiveDate::from_ymd_opt(nums[0] as i32, nums[1], nums[2])
        } else {
            let year = full_year(nums[2], parts[2].len(), today)?;
            NaiveDate::from_ymd_opt(year, nums[1], nums[0])
        };
    }
    if parts.len() == 3 {
        // "12 Januari 2024", "12-Jan-24", "January 12, 2024".
        let (day, month, year) = if let Some(month) = month_number(parts[1]) {
            (parts[0], month, parts[2])
        } else if let Some(month) = month_number(parts[0]) {
            (parts[1], month, parts[2])
        } else {
            return None;
        };
        let day: u32 = day.parse().ok()?;
        let year = full_year(year.parse().ok()?, year.len(), today)?;
        return NaiveDate::from_ymd_opt(year, month, day);
    }
    // A serial number typed as text, as CSV exports of date columns sometimes hold.
    if parts.len() == 1 && text.len() == 5 && text.chars().all(|c| c.is_ascii_digit()) {
        return from_serial(text.parse().ok()?);
    }
    None
}

fn full_year(year: u32, written_digits: usize, today: NaiveDate) -> Option<i32> {
    match written_digits {
        4 => Some(year as i32),
        2 => {
            let this_century = 2000 + year as i32;
            Some(if this_century <= today.year() {
                this_century
            } else {
                this_century - 100
            })
        }
        _ => None,
    }
}

/// Indonesian and English month names and their usual abbreviations.
fn month_number(word: &str) -> Option<u32> {
    let word = word.to_lowercase();
    let word = word.trim_end_matches('.');
    const MONTHS: [&[&str]; 12] = [
        &["januari", "january", "jan"],
        &["februari", "february", "pebruari", "feb", "peb"],
        &["maret", "march", "mar"],
        &["april", "apr"],
        &["mei", "may"],
        &["juni", "june", "jun"],
        &["juli", "july", "jul"],
        &["agustus", "august", "agu", "agt", "aug", "ags"],
        &["september", "sep", "sept"],
        &["oktober", "october", "okt", "oct"],
        &["november", "nopember", "nov", "nop"],
        &["desember", "december", "des", "dec"],
    ];
    MONTHS
        .iter()
        .position(|names| names.contains(&word))
        .map(|index| index as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn check(raw: &str) -> Result<NaiveDate, String> {
        parse_date(&Cell::text(raw), today())
    }

    #[test]
    fn text_forms() {
        assert_eq!(check("17/08/2024"), Ok(date(2024, 8, 17)));
        assert_eq!(check("03-04-2024"), Ok(date(2024, 4, 3)));
        assert_eq!(check("3.4.85"), Ok(date(1985, 4, 3)));
        assert_eq!(check("2024-01-12"), Ok(date(2024, 1, 12)));
        assert_eq!(check("12 Januari 2024"), Ok(date(2024, 1, 12)));
        assert_eq!(check("12 Jan 2024"), Ok(date(2024, 1, 12)));
        assert_eq!(check("1 Agustus 1975"), Ok(date(1975, 8, 1)));
        assert_eq!(check("January 12, 2024"), Ok(date(2024, 1, 12)));
        assert_eq!(check("12-Des-24"), Ok(date(2024, 12, 12)));
        assert_eq!(check("45292"), Ok(date(2024, 1, 1)));
    }

    #[test]
    fn excel_serials_including_the_1900_leap_bug() {
        let check = |n: f64| parse_date(&Cell::Number(n), today());
        assert_eq!(check(45292.0), Ok(date(2024, 1, 1)));
        assert_eq!(check(1.0), Ok(date(1900, 1, 1)));
        assert_eq!(check(59.0), Ok(date(1900, 2, 28)));
        assert_eq!(check(61.0), Ok(date(1900, 3, 1)));
        assert!(check(-3.0).is_err());
    }

    #[test]
    fn impossible_and_unreadable_dates_are_errors() {
        assert!(check("31/02/2024").is_err());
        assert!(check("kemarin").unwrap_err().contains("dd/mm/yyyy"));
        assert!(check("12 Foo 2024").is_err());
    }
}
