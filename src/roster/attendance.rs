//! Attendance flags of training sessions: 1/0, ya/tidak, hadir/tidak hadir, ✓, x, or blank.

use super::Cell;

/// Whether a participant attended a session. Blank means not attended: attendance sheets tick
/// the people who came and leave the others empty.
pub fn parse_attendance(cell: &Cell) -> Result<bool, String> {
    match cell {
        Cell::Empty => Ok(false),
        Cell::Bool(b) => Ok(*b),
        Cell::Number(n) if *n == 1.0 => Ok(true),
        Cell::Number(n) if *n == 0.0 => Ok(false),
        Cell::Text(text) => {
            let mut buffer = [0u8; 16];
            let trimmed = text.trim();
            let lowered;
            let folded = match super::cell::ascii_lowercase(trimmed, &mut buffer) {
                Some(folded) => folded,
                None => {
                    lowered = trimmed.to_lowercase();
                    lowered.as_str()
                }
            };
            match folded {
                "1" | "ya" | "y" | "yes" | "hadir" | "h" | "✓" | "✔" | "√" | "v" | "true"
                | "benar" | "ok" => Ok(true),
                "0" | "tidak" | "t" | "no" | "n" | "tidak hadir" | "tdk hadir" | "absen"
                | "alpa" | "alpha" | "a" | "izin" | "sakit" | "x" | "✗" | "✘" | "-" | "false" => {
                    Ok(false)
                }
                _ => Err(format!(
                    "attendance {text:?} is not recognised; use 1 (hadir) or 0 (tidak hadir)"
                )),
            }
        }
        other => Err(format!("attendance {:?} is not 1 or 0", other.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags() {
        for (raw, expected) in [
            ("1", true),
            ("Ya", true),
            ("hadir", true),
            ("✓", true),
            ("V", true),
            ("0", false),
            ("tidak hadir", false),
            ("x", false),
            ("Izin", false),
        ] {
            assert_eq!(parse_attendance(&Cell::text(raw)), Ok(expected), "{raw}");
        }
        assert_eq!(parse_attendance(&Cell::Empty), Ok(false));
        assert_eq!(parse_attendance(&Cell::Number(1.0)), Ok(true));
        assert!(parse_attendance(&Cell::Number(2.0)).is_err());
        assert!(
            parse_attendance(&Cell::text("maybe"))
                .unwrap_err()
                .contains("maybe")
        );
    }
}
