//! NIK (Nomor Induk Kependudukan), the 16-digit national identity number on the KTP.
//!
//! Layout `PP KK CC DDMMYY SSSS`: province, regency/city, district, birth date (women add 40 to the
//! day), serial. The province prefix is a Dukcapil code (see `reference/README.md`). A NIK is the
//! most reliable way to recognise the same person in two rosters, so a damaged one is rejected
//! rather than guessed at.

use chrono::{Datelike, NaiveDate};

use compact_str::CompactString;

use super::Cell;
use super::sex::Sex;
use crate::reference::Reference;

/// A NIK that has 16 digits, a known province prefix and a real birth date.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Nik(CompactString);

/// What a valid NIK says about its holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NikFacts {
    /// BPS code of the province that issued the card.
    pub province_bps_code: u8,
    /// Birth date encoded in the NIK.
    pub birth_date: NaiveDate,
    /// Sex encoded in the NIK (day + 40 for women).
    pub sex: Sex,
}

impl Nik {
    /// Parses a roster cell. `today` only decides the century of the two-digit birth year.
    /// Returns the NIK with any warnings, or a message saying what is wrong with it.
    pub fn parse(
        cell: &Cell,
        reference: &Reference,
        today: NaiveDate,
    ) -> Result<(Nik, Vec<String>), String> {
        Nik::parse_with_facts(cell, reference, today).map(|(nik, _, warnings)| (nik, warnings))
    }

    /// [`Nik::parse`], also handing back what the NIK says ([`Nik::facts`]), which checking
    /// it worked out anyway: the roster check compares them with the row's sex and birth date.
    pub fn parse_with_facts(
        cell: &Cell,
        reference: &Reference,
        today: NaiveDate,
    ) -> Result<(Nik, NikFacts, Vec<String>), String> {
        let mut warnings = Vec::new();
        let digits = match cell {
            Cell::Number(n) => {
                let text = number_digits(*n)?;
                // Excel keeps 15 significant digits: a 16-digit NIK typed into a number cell
                // comes back with its last digit turned into 0. A non-zero last digit proves
                // the number was written by a program that kept it whole.
                if text.ends_with('0') {
                    return Err(format!(
                        "NIK {text} is stored as a number: Excel keeps only 15 digits, so the \
                         last digit may have been lost; format the column as Text and type the \
                         NIK again"
                    ));
                }
                warnings.push(
                    "NIK is stored as a number; format the column as Text so Excel keeps all \
                     16 digits"
                        .to_owned(),
                );
                text.into()
            }
            Cell::Text(text) => text_digits(text)?,
            Cell::Empty => return Err("NIK is empty".to_owned()),
            other => return Err(format!("NIK {:?} is not a number", other.display())),
        };
        if digits.len() != 16 {
            return Err(format!(
                "NIK {digits} has {} digits; a NIK has 16",
                digits.len()
            ));
        }
        let nik = Nik(digits);
        // Validates the province prefix and the birth date.
        let facts = nik.facts(reference, today)?;
        if &nik.0[2..4] == "00" || &nik.0[4..6] == "00" {
            warnings.push(format!(
                "NIK {} has regency or district code 00, which is not issued",
                nik.0
            ));
        }
        Ok((nik, facts, warnings))
    }

    /// The 16 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 16 digits, without copying them.
    pub fn into_text(self) -> CompactString {
        self.0
    }

    /// Province, birth date and sex encoded in the NIK.
    pub fn facts(&self, reference: &Reference, today: NaiveDate) -> Result<NikFacts, String> {
        let field = |range: std::ops::Range<usize>| -> u32 {
            // Only called on a string of 16 ASCII digits.
            self.0[range].parse().unwrap_or(0)
        };
        let prefix = field(0..2) as u8;
        let province = reference.province_by_nik_prefix(prefix).ok_or_else(|| {
            format!(
                "NIK {} starts with {prefix:02}, which is not a province code",
                self.0
            )
        })?;
        let (mut day, month, short_year) = (field(6..8), field(8..10), field(10..12) as i32);
        let sex = if day > 40 {
            day -= 40;
            Sex::Female
        } else {
            Sex::Male
        };
        let century = if 2000 + short_year <= today.year() {
            2000
        } else {
            1900
        };
        let birth_date =
            NaiveDate::from_ymd_opt(century + short_year, month, day).ok_or_else(|| {
                format!(
                    "NIK {} holds the birth date {}-{}-{:02}, which does not exist",
                    self.0,
                    century + short_year,
                    month,
                    day
                )
            })?;
        Ok(NikFacts {
            province_bps_code: province.bps_code,
            birth_date,
            sex,
        })
    }
}

impl std::fmt::Display for Nik {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn number_digits(n: f64) -> Result<String, String> {
    if n.fract() != 0.0 || n < 0.0 {
        return Err(format!("NIK {n} is not a whole number"));
    }
    if n >= 1e16 {
        return Err(format!("NIK {n:.0} has more than 16 digits"));
    }
    let text = format!("{n:.0}");
    if text.len() < 16 {
        return Err(format!(
            "NIK {text} is stored as a number and has only {} digits: digits were lost; \
             format the column as Text and type the NIK again",
            text.len()
        ));
    }
    Ok(text)
}

fn text_digits(text: &str) -> Result<CompactString, String> {
    // An apostrophe is how people force Excel to keep a number as text; separators are how
    // people make 16 digits readable.
    let cleaned: CompactString = text
        .trim_start_matches('\'')
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '.' | '-'))
        .collect();
    // Scientific notation ("3.20101E+15"), told apart without a lower-cased copy.
    if text.contains(['e', 'E'])
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || ".,eE+-".contains(c))
    {
        return Err(format!(
            "NIK {text} shows in scientific notation, so its digits are lost; format the \
             column as Text and type the NIK again"
        ));
    }
    if let Some(bad) = cleaned.chars().find(|c| !c.is_ascii_digit()) {
        return Err(format!(
            "NIK {text} contains {bad:?}; a NIK has only digits"
        ));
    }
    Ok(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
    }

    fn check(cell: Cell) -> Result<(Nik, Vec<String>), String> {
        Nik::parse(&cell, &Reference::builtin(), today())
    }

    #[test]
    fn a_womans_nik_has_day_plus_40() {
        let (nik, warnings) = check(Cell::text("3201014507850003")).unwrap();
        assert!(warnings.is_empty());
        let facts = nik.facts(&Reference::builtin(), today()).unwrap();
        assert_eq!(facts.sex, Sex::Female);
        assert_eq!(
            facts.birth_date,
            NaiveDate::from_ymd_opt(1985, 7, 5).unwrap()
        );
        assert_eq!(facts.province_bps_code, 32);
    }

    #[test]
    fn two_digit_years_pick_the_century_not_in_the_future() {
        let (nik, _) = check(Cell::text("3201011203050001")).unwrap();
        let facts = nik.facts(&Reference::builtin(), today()).unwrap();
        assert_eq!(facts.birth_date.year(), 2005);
        assert_eq!(facts.sex, Sex::Male);
    }

    #[test]
    fn separators_and_apostrophes_are_removed() {
        let (nik, _) = check(Cell::text("'3201 0112 0385 0001")).unwrap();
        assert_eq!(nik.as_str(), "3201011203850001");
    }

    #[test]
    fn scientific_notation_is_rejected_with_the_reason() {
        let err = check(Cell::text("3.20101E+15")).unwrap_err();
        assert!(err.contains("scientific notation"), "{err}");
    }

    #[test]
    fn a_number_that_lost_digits_is_rejected() {
        let err = check(Cell::Number(320101120385000.0)).unwrap_err();
        assert!(err.contains("only 15 digits"), "{err}");
        let err = check(Cell::Number(3201011203850000.0)).unwrap_err();
        assert!(err.contains("last digit may have been lost"), "{err}");
    }

    #[test]
    fn a_whole_number_is_accepted_with_a_warning() {
        let (nik, warnings) = check(Cell::Number(3201011203850001.0)).unwrap();
        assert_eq!(nik.as_str(), "3201011203850001");
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn wrong_length_unknown_province_and_impossible_dates() {
        assert!(
            check(Cell::text("320101120385001"))
                .unwrap_err()
                .contains("15 digits")
        );
        assert!(
            check(Cell::text("9901011203850001"))
                .unwrap_err()
                .contains("not a province")
        );
        assert!(
            check(Cell::text("3201013102850001"))
                .unwrap_err()
                .contains("does not exist")
        );
        assert!(
            check(Cell::text("3201017102850001"))
                .unwrap_err()
                .contains("does not exist")
        );
        assert!(
            check(Cell::text("32010112038500O1"))
                .unwrap_err()
                .contains("only digits")
        );
    }

    #[test]
    fn leap_days_depend_on_the_century() {
        assert!(check(Cell::text("3201012902000001")).is_ok());
        assert!(
            check(Cell::text("3201012902990001"))
                .unwrap_err()
                .contains("does not exist")
        );
    }
}
