//! Sheet names within Excel's rules: at most 31 characters, none of `[]:*?/\`, not starting or
//! ending with an apostrophe, not the reserved `History`, and unique without regard to case.
//!
//! Disaggregation dimensions come from the configuration, so their names can be anything;
//! every sheet name goes through [`SheetNames::claim`], which cleans it and adds ` (2)`, ` (3)`…
//! when a name is already taken.

use std::collections::HashSet;

/// Excel's longest sheet name, counted in UTF-16 units as Excel counts.
pub(crate) const MAX_SHEET_NAME: usize = 31;

/// The names given so far in one workbook.
#[derive(Debug, Default)]
pub(crate) struct SheetNames {
    /// Lower-cased, because Excel treats `Sex` and `sex` as the same sheet.
    used: HashSet<String>,
}

impl SheetNames {
    /// A valid name close to `wanted` that no other sheet of the workbook has; remembers it.
    pub(crate) fn claim(&mut self, wanted: &str) -> String {
        let base = sanitise(wanted);
        let mut candidate = base.clone();
        let mut number = 2;
        while self.used.contains(&candidate.to_lowercase()) {
            let suffix = format!(" ({number})");
            candidate = format!("{}{suffix}", truncate(&base, MAX_SHEET_NAME - suffix.len()));
            number += 1;
        }
        self.used.insert(candidate.to_lowercase());
        candidate
    }
}

/// `wanted` with forbidden characters replaced by `_`, control characters dropped, outer spaces
/// and apostrophes trimmed, cut to 31 characters; `Sheet` when nothing is left.
pub(crate) fn sanitise(wanted: &str) -> String {
    let cleaned: String = wanted
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| {
            if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned.trim().trim_matches('\'').trim();
    let mut name = truncate(trimmed, MAX_SHEET_NAME)
        .trim_end()
        .trim_end_matches('\'')
        .to_string();
    if name.is_empty() {
        name = "Sheet".to_string();
    }
    // Excel keeps `History` for its change tracking and refuses a sheet of that name.
    if name.eq_ignore_ascii_case("history") {
        name.push('_');
    }
    name
}

/// The longest prefix of `text` within `limit` UTF-16 units, cut between characters.
fn truncate(text: &str, limit: usize) -> &str {
    let mut units = 0;
    for (index, c) in text.char_indices() {
        units += c.len_utf16();
        if units > limit {
            return &text[..index];
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(wanted: &str, expected: &str) {
        assert_eq!(sanitise(wanted), expected, "sanitising {wanted:?}");
    }

    #[test]
    fn forbidden_characters_and_apostrophes_go() {
        check("By sex", "By sex");
        check("By a/b:c[d]*?\\", "By a_b_c_d____");
        check("'quoted'", "quoted");
        check("By x'", "By x");
        check("  tab\there ", "tabhere");
        check("", "Sheet");
        check("'''", "Sheet");
        check("History", "History_");
    }

    #[test]
    fn long_names_are_cut_to_31_utf16_units() {
        let long = "By confederation federation union sector";
        assert_eq!(sanitise(long), "By confederation federation uni");
        assert_eq!(sanitise(long).encode_utf16().count(), 31);
        // An emoji is two UTF-16 units: it must not be split or push the name past 31.
        let emoji = format!("{}😀x", "a".repeat(30));
        assert_eq!(sanitise(&emoji), "a".repeat(30));
    }

    #[test]
    fn names_are_unique_without_regard_to_case() {
        let mut names = SheetNames::default();
        assert_eq!(names.claim("By sex"), "By sex");
        assert_eq!(names.claim("By Sex"), "By Sex (2)");
        assert_eq!(names.claim("by sex"), "by sex (3)");
        let long = "By confederation federation union sector";
        assert_eq!(names.claim(long), "By confederation federation uni");
        let second = names.claim(long);
        assert_eq!(second, "By confederation federation (2)");
        assert!(second.encode_utf16().count() <= MAX_SHEET_NAME);
    }
}
