//! `choice_filter` expressions: bare names are columns of the choice being tested.
//!
//! In XLSForm a choice filter is an XPath predicate over each choice, so `province = ${province}`
//! keeps the choices whose `province` column equals the answer to the `province` question. The
//! expression language of [`crate::expr`] only knows `${name}` references and function calls, so
//! before parsing, every bare name that is neither a function call (`name(`) nor a word operator
//! (`and`, `or`, `div`, `mod`) is rewritten to `${__choice__.name}`. At evaluation the
//! environment answers `__choice__.` names from the choice's columns. Error offsets in the
//! rewritten text are mapped back to the text the author wrote.

/// The prefix of rewritten choice-column references. It starts with two underscores and holds a
/// dot, which no sensible field name does; the loader refuses field names that start with it.
pub(crate) const CHOICE_PREFIX: &str = "__choice__.";

/// A rewritten choice filter and the map from its character offsets back to the original.
#[derive(Debug, Clone)]
pub(crate) struct Rewritten {
    pub(crate) text: String,
    /// `(rewritten start, rewritten length, original start, original length)` of each rewritten
    /// name, in order.
    spans: Vec<(usize, usize, usize, usize)>,
}

impl Rewritten {
    /// The offset in the original text of character `offset` of the rewritten text. An offset
    /// inside a rewritten name maps to the name's first character.
    pub(crate) fn original_offset(&self, offset: usize) -> usize {
        let mut shift: isize = 0;
        for &(start, len, original, original_len) in &self.spans {
            if offset < start {
                break;
            }
            if offset < start + len {
                return original;
            }
            shift += len as isize - original_len as isize;
        }
        (offset as isize - shift).max(0) as usize
    }
}

/// Rewrites the bare names of `source` to choice-column references.
pub(crate) fn rewrite(source: &str) -> Rewritten {
    let chars: Vec<char> = source.chars().collect();
    let mut text = String::with_capacity(source.len() + 16);
    let mut spans = Vec::new();
    let mut out_len = 0; // in characters
    let mut at = 0;
    let copy = |text: &mut String, out_len: &mut usize, slice: &[char]| {
        text.extend(slice);
        *out_len += slice.len();
    };
    while at < chars.len() {
        let c = chars[at];
        let start = at;
        if c == '\'' || c == '"' {
            // A string literal, copied whole; an unterminated one is left for the parser.
            let end = chars[at + 1..]
                .iter()
                .position(|&q| q == c)
                .map_or(chars.len(), |p| at + 1 + p + 1);
            copy(&mut text, &mut out_len, &chars[start..end]);
            at = end;
        } else if c == '$' && chars.get(at + 1) == Some(&'{') {
            let end = chars[at..]
                .iter()
                .position(|&q| q == '}')
                .map_or(chars.len(), |p| at + p + 1);
            copy(&mut text, &mut out_len, &chars[start..end]);
            at = end;
        } else if c.is_ascii_digit() {
            // A number, with its fraction: `1.5` must not turn `.5` into anything else.
            let end = start
                + chars[start..]
                    .iter()
                    .take_while(|d| d.is_ascii_digit() || **d == '.')
                    .count();
            copy(&mut text, &mut out_len, &chars[start..end]);
            at = end;
        } else if c.is_alphabetic() || c == '_' {
            let end = start
                + chars[start..]
                    .iter()
                    .take_while(|&&n| n.is_alphanumeric() || matches!(n, '_' | '-' | '.' | ':'))
                    .count();
            let name: String = chars[start..end].iter().collect();
            let next = chars[end..].iter().find(|n| !n.is_whitespace());
            let is_function = next == Some(&'(');
            let is_operator = matches!(name.as_str(), "and" | "or" | "div" | "mod");
            if is_function || is_operator || name.contains(':') {
                copy(&mut text, &mut out_len, &chars[start..end]);
            } else {
                let replacement = format!("${{{CHOICE_PREFIX}{name}}}");
                let len = replacement.chars().count();
                spans.push((out_len, len, start, end - start));
                text.push_str(&replacement);
                out_len += len;
            }
            at = end;
        } else {
            copy(&mut text, &mut out_len, &chars[start..start + 1]);
            at += 1;
        }
    }
    Rewritten { text, spans }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_names_become_choice_columns() {
        let r = rewrite("province = ${province} and starts-with(name, 'x y')");
        assert_eq!(
            r.text,
            "${__choice__.province} = ${province} and starts-with(${__choice__.name}, 'x y')"
        );
        // `=` is at 9 in the original and 23 in the rewritten text.
        assert_eq!(r.original_offset(23), 9);
        assert_eq!(r.original_offset(5), 0);
        let inside_second = r.text.find("${__choice__.name}").unwrap() + 3;
        assert_eq!(
            r.original_offset(inside_second),
            "province = ${province} and starts-with(".len()
        );
    }

    #[test]
    fn numbers_and_strings_stay() {
        assert_eq!(
            rewrite("1.5 < 'a b' or x").text,
            "1.5 < 'a b' or ${__choice__.x}"
        );
        assert_eq!(rewrite("'unterminated").text, "'unterminated");
    }
}
