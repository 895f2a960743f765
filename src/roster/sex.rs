//! Sex as rosters write it: L/P, M/F, laki-laki/perempuan, pria/wanita, male/female.

use super::Cell;

/// Sex of a participant as recorded on the roster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    /// Laki-laki.
    Male,
    /// Perempuan.
    Female,
}

impl Sex {
    /// Parses the spellings found in Indonesian and English rosters.
    pub fn parse(cell: &Cell) -> Result<Sex, String> {
        let text = match cell {
            Cell::Text(text) => text,
            other => return Err(format!("sex {:?} is not one of L/P", other.display())),
        };
        // Letters only, lower-cased: "Laki - Laki" is "lakilaki". ASCII spellings (nearly
        // all) are folded on the stack.
        let mut buffer = [0u8; 16];
        let mut letters = 0;
        let owned: String;
        let folded = if text.is_ascii() && text.len() <= buffer.len() {
            for byte in text.bytes().filter(u8::is_ascii_alphabetic) {
                buffer[letters] = byte.to_ascii_lowercase();
                letters += 1;
            }
            std::str::from_utf8(&buffer[..letters]).unwrap_or_default()
        } else {
            owned = text
                .to_lowercase()
                .chars()
                .filter(|c| c.is_alphabetic())
                .collect();
            owned.as_str()
        };
        match folded {
            "l" | "m" | "lk" | "lakilaki" | "laki" | "pria" | "male" | "man" | "cowok" => {
                Ok(Sex::Male)
            }
            "p" | "f" | "pr" | "perempuan" | "wanita" | "female" | "woman" | "cewek" => {
                Ok(Sex::Female)
            }
            _ => Err(format!(
                "sex {text:?} is not recognised; use L (laki-laki) or P (perempuan)"
            )),
        }
    }

    /// The code stored and shown in workbooks.
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "L",
            Sex::Female => "P",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings() {
        for (raw, sex) in [
            ("L", Sex::Male),
            ("laki-laki", Sex::Male),
            ("Laki - Laki", Sex::Male),
            ("PRIA", Sex::Male),
            ("M", Sex::Male),
            ("P", Sex::Female),
            ("Perempuan", Sex::Female),
            ("wanita", Sex::Female),
            ("F", Sex::Female),
            ("female", Sex::Female),
        ] {
            assert_eq!(Sex::parse(&Cell::text(raw)), Ok(sex), "{raw}");
        }
        assert!(Sex::parse(&Cell::text("X")).unwrap_err().contains("\"X\""));
        assert!(Sex::parse(&Cell::Number(1.0)).is_err());
    }
}
