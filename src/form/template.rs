//! Texts with `${name}` placeholders (labels, hints, messages), split once at load time so that
//! showing a label never parses it again.

/// A text with `${name}` placeholders, split once at load time.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// The text as written.
    pub source: String,
    pub(crate) parts: Vec<Part>,
}

/// A piece of a [`Template`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Part {
    Literal(String),
    /// `${name}`, with the character offset of the `$` in the source.
    Reference(String, usize),
}

impl Template {
    /// Splits `source` at `${name}` placeholders; the error is the character offset and message
    /// of an unterminated or malformed placeholder.
    pub(crate) fn parse(source: &str) -> Result<Template, (usize, String)> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let chars: Vec<char> = source.chars().collect();
        let mut at = 0;
        while at < chars.len() {
            if chars[at] == '$' && chars.get(at + 1) == Some(&'{') {
                let Some(len) = chars[at + 2..].iter().position(|&c| c == '}') else {
                    return Err((at, "unterminated ${, expected '}'".to_string()));
                };
                let name: String = chars[at + 2..at + 2 + len].iter().collect();
                let name = name.trim().to_string();
                if !super::load::is_xml_name(&name) {
                    return Err((at, format!("'${{{name}}}' does not name a field")));
                }
                if !literal.is_empty() {
                    parts.push(Part::Literal(std::mem::take(&mut literal)));
                }
                parts.push(Part::Reference(name, at));
                at += len + 3;
            } else {
                literal.push(chars[at]);
                at += 1;
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(Template {
            source: source.to_string(),
            parts,
        })
    }

    /// A text shown as written, without placeholders.
    pub(crate) fn literal(source: &str) -> Template {
        Template {
            source: source.to_string(),
            parts: vec![Part::Literal(source.to_string())],
        }
    }

    /// The names this text interpolates, with their character offsets.
    pub(crate) fn references(&self) -> impl Iterator<Item = (&str, usize)> {
        self.parts.iter().filter_map(|p| match p {
            Part::Reference(name, offset) => Some((name.as_str(), *offset)),
            Part::Literal(_) => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_split_at_references() {
        let t = Template::parse("Halo ${first_name}, umur ${ age }?").unwrap();
        let refs: Vec<_> = t.references().collect();
        assert_eq!(refs, vec![("first_name", 5), ("age", 25)]);
        assert!(Template::parse("Halo ${name").is_err());
        assert!(
            Template::parse("Harga $5 {x}")
                .unwrap()
                .references()
                .next()
                .is_none()
        );
    }
}
