//! Indonesian mobile numbers, normalised to the international form `62…` that WhatsApp links use.
//!
//! Rules from the reference notes: keep the digits; `0…` becomes `62…`, `8…` becomes `628…`,
//! `620…` becomes `62…`; after 62 a mobile number matches `8[1-35-9]` and 7 to 10 more digits.
//! A general phone-number library would accept landlines and foreign numbers, which are of no use
//! for WhatsApp follow-up, so the Indonesian mobile rule is written out here.

use compact_str::CompactString;

use super::Cell;

/// A normalised Indonesian mobile number such as `6281234567890`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone(CompactString);

impl Phone {
    /// Parses a roster cell. A number cell has lost its leading 0 to Excel, which the `8…` rule
    /// recovers.
    pub fn parse(cell: &Cell) -> Result<Phone, String> {
        let raw = match cell {
            Cell::Text(text) => std::borrow::Cow::Borrowed(text.as_str()),
            Cell::Number(n) if n.fract() == 0.0 && *n > 0.0 => format!("{n:.0}").into(),
            Cell::Empty => return Err("phone number is empty".to_owned()),
            other => {
                return Err(format!(
                    "phone number {:?} is not a number",
                    other.display()
                ));
            }
        };
        // Several numbers in one cell ("0812… / 0857…") are common; the first one is the
        // participant's own.
        let first = raw.split(['/', ',', ';']).next().unwrap_or_default();
        let digits: CompactString = first.chars().filter(|c| c.is_ascii_digit()).collect();
        if first.chars().any(|c| c.is_alphabetic()) {
            return Err(format!("phone number {raw:?} contains letters"));
        }
        let national = if let Some(rest) = digits.strip_prefix("620") {
            rest
        } else if let Some(rest) = digits.strip_prefix("62") {
            rest
        } else if let Some(rest) = digits.strip_prefix('0') {
            rest
        } else {
            digits.as_str()
        };
        let valid = national.len() >= 9
            && national.len() <= 12
            && national.starts_with('8')
            && matches!(national.as_bytes()[1], b'1'..=b'3' | b'5'..=b'9');
        if !valid {
            return Err(format!(
                "phone number {raw:?} is not an Indonesian mobile number (08… with 10 to 13 digits)"
            ));
        }
        let mut number = CompactString::with_capacity(2 + national.len());
        number.push_str("62");
        number.push_str(national);
        Ok(Phone(number))
    }

    /// The number as `62…`, digits only.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number as `62…`, without copying it.
    pub fn into_text(self) -> CompactString {
        self.0
    }

    /// The number as people in Indonesia write it, `0812-3456-7890`.
    pub fn local(&self) -> String {
        format!("0{}", &self.0[2..])
    }
}

impl std::fmt::Display for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(cell: Cell) -> String {
        Phone::parse(&cell).unwrap().0.into()
    }

    #[test]
    fn normalises_the_usual_spellings() {
        assert_eq!(ok(Cell::text("0812-3456-7890")), "6281234567890");
        assert_eq!(ok(Cell::text("+62 812 3456 7890")), "6281234567890");
        assert_eq!(ok(Cell::text("62 0812 3456 7890")), "6281234567890");
        assert_eq!(ok(Cell::text("(0857) 1234 567")), "628571234567");
        assert_eq!(
            ok(Cell::text("0812 3456 7890 / 0857 1111 2222")),
            "6281234567890"
        );
    }

    #[test]
    fn recovers_the_leading_zero_excel_dropped() {
        assert_eq!(ok(Cell::Number(81234567890.0)), "6281234567890");
    }

    #[test]
    fn rejects_landlines_short_numbers_and_text() {
        assert!(Phone::parse(&Cell::text("021-5551234")).is_err());
        assert!(Phone::parse(&Cell::text("0812345")).is_err());
        assert!(Phone::parse(&Cell::text("0841234567890")).is_err());
        assert!(
            Phone::parse(&Cell::text("tidak ada"))
                .unwrap_err()
                .contains("letters")
        );
        assert!(Phone::parse(&Cell::text("08123456789012345")).is_err());
    }

    #[test]
    fn local_form() {
        assert_eq!(
            Phone::parse(&Cell::text("081234567890")).unwrap().local(),
            "081234567890"
        );
    }
}
