//! Rupiah amounts as people type them: `Rp 3.500.000`, `3.500.000,00`, `3,5 juta`, `500 rb`,
//! `3500000`.
//!
//! In Indonesian writing the dot groups thousands and the comma marks decimals; some files use
//! the English convention. A lone separator followed by one or two digits without a multiplier
//! (`3,5`) is ambiguous for an amount of money and is refused with a hint rather than read as
//! three rupiah.

use super::Cell;

/// A whole amount of rupiah, not negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rupiah(pub u64);

impl Rupiah {
    /// Parses a roster cell or a typed answer.
    pub fn parse(cell: &Cell) -> Result<Rupiah, String> {
        match cell {
            Cell::Number(n) if *n >= 0.0 && n.is_finite() && *n < 1e15 => {
                Ok(Rupiah(n.round() as u64))
            }
            Cell::Number(n) => Err(format!("amount {n} is not a rupiah amount")),
            Cell::Text(text) => Rupiah::parse_text(text),
            Cell::Empty => Err("amount is empty".to_owned()),
            other => Err(format!("amount {:?} is not a number", other.display())),
        }
    }

    /// Parses typed text.
    pub fn parse_text(text: &str) -> Result<Rupiah, String> {
        parse(text).ok_or_else(|| {
            format!("amount {text:?} is not recognised; write it as 3.500.000 or 3,5 juta")
        })
    }

    /// `Rp 3.500.000`.
    pub fn display(self) -> String {
        let digits = self.0.to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push('.');
            }
            grouped.push(c);
        }
        format!("Rp {grouped}")
    }
}

fn parse(text: &str) -> Option<Rupiah> {
    let lower = text.trim().to_lowercase();
    let mut rest = lower.as_str();
    for prefix in ["rp.", "rp", "idr"] {
        if let Some(stripped) = rest.strip_prefix(prefix) {
            rest = stripped;
            break;
        }
    }
    let rest = rest
        .trim()
        .trim_end_matches(",-")
        .trim_end_matches(".-")
        .trim();
    let (number, multiplier) = split_multiplier(rest)?;
    let number: String = number.chars().filter(|c| !c.is_whitespace()).collect();
    if number.is_empty() || number.starts_with('-') {
        return None;
    }
    let value = if multiplier > 1 {
        // "3,5 juta" and "3.5 jt": one separator is a decimal mark.
        let normalised = number.replace(',', ".");
        if normalised.matches('.').count() > 1 {
            return None;
        }
        normalised.parse::<f64>().ok()? * multiplier as f64
    } else {
        grouped_number(&number)?
    };
    if !(0.0..1e15).contains(&value) {
        return None;
    }
    Some(Rupiah(value.round() as u64))
}

fn split_multiplier(text: &str) -> Option<(&str, u64)> {
    const WORDS: [(&str, u64); 9] = [
        ("miliar", 1_000_000_000),
        ("milyar", 1_000_000_000),
        ("juta", 1_000_000),
        ("jt", 1_000_000),
        ("million", 1_000_000),
        ("ribu", 1_000),
        ("rb", 1_000),
        ("k", 1_000),
        ("thousand", 1_000),
    ];
    for (word, multiplier) in WORDS {
        if let Some(number) = text.strip_suffix(word) {
            return Some((number.trim(), multiplier));
        }
    }
    Some((text, 1))
}

/// Digits with thousands grouped by '.' or ',' and optional cents after the other separator.
fn grouped_number(text: &str) -> Option<f64> {
    if text.chars().all(|c| c.is_ascii_digit()) {
        return text.parse().ok();
    }
    let thousands = if text.contains('.') && text.contains(',') {
        // Whichever comes last is the decimal mark: "3.500.000,00" or "3,500,000.00".
        if text.rfind('.') > text.rfind(',') {
            ','
        } else {
            '.'
        }
    } else if text.contains('.') {
        '.'
    } else {
        ','
    };
    let decimal = if thousands == '.' { ',' } else { '.' };
    let (whole, cents) = match text.split_once(decimal) {
        Some((whole, cents)) => (whole, Some(cents)),
        None => (text, None),
    };
    let groups: Vec<&str> = whole.split(thousands).collect();
    let well_grouped = groups.len() > 1
        && (1..=3).contains(&groups[0].len())
        && groups[1..].iter().all(|g| g.len() == 3)
        && groups.iter().all(|g| g.chars().all(|c| c.is_ascii_digit()));
    if !well_grouped {
        return None;
    }
    let mut value: f64 = groups.concat().parse().ok()?;
    if let Some(cents) = cents {
        if cents.is_empty() || cents.len() > 2 || !cents.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        value += cents.parse::<f64>().ok()? / 10f64.powi(cents.len() as i32);
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> u64 {
        Rupiah::parse_text(text).unwrap_or_else(|e| panic!("{e}")).0
    }

    #[test]
    fn usual_spellings() {
        assert_eq!(ok("Rp 3.500.000"), 3_500_000);
        assert_eq!(ok("Rp3.500.000,00"), 3_500_000);
        assert_eq!(ok("3.500.000,-"), 3_500_000);
        assert_eq!(ok("3,500,000"), 3_500_000);
        assert_eq!(ok("3500000"), 3_500_000);
        assert_eq!(ok("3,5 juta"), 3_500_000);
        assert_eq!(ok("3.5jt"), 3_500_000);
        assert_eq!(ok("500 ribu"), 500_000);
        assert_eq!(ok("750rb"), 750_000);
        assert_eq!(ok("IDR 1.250.000"), 1_250_000);
        assert_eq!(ok("0"), 0);
        assert_eq!(
            Rupiah::parse(&Cell::Number(4_250_000.0)),
            Ok(Rupiah(4_250_000))
        );
    }

    #[test]
    fn ambiguous_or_wrong_amounts_are_refused() {
        for bad in [
            "3,5",
            "3.50.000",
            "-500000",
            "tiga juta",
            "1.2.3 juta",
            "Rp",
            "",
        ] {
            assert!(Rupiah::parse_text(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn display_groups_thousands() {
        assert_eq!(Rupiah(3_500_000).display(), "Rp 3.500.000");
        assert_eq!(Rupiah(0).display(), "Rp 0");
        assert_eq!(Rupiah(999).display(), "Rp 999");
    }
}
