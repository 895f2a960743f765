//! Splits an expression into tokens, each with its character offset so that errors can point at
//! it. The lexer knows the XLSForm surface (`${name}`, quotes, numbers, operators) and turns the
//! XPath it does not support (paths, predicates, unions) into errors that say what to write
//! instead.

use super::error::ParseError;

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind {
    /// A number literal such as `12`, `3.5` or `.5`.
    Number(f64),
    /// A string literal, without its quotes.
    Str(String),
    /// A `${name}` reference, holding the name.
    Ref(String),
    /// `.`, the value of the question being checked.
    Dot,
    /// A bare name: a function name or one of the word operators `and`, `or`, `div`, `mod`;
    /// which one is decided by the parser from the position.
    Name(String),
    LParen,
    RParen,
    Comma,
    Plus,
    Minus,
    Star,
    Eq,
    NotEq,
    Less,
    LessEq,
    Greater,
    GreaterEq,
}

/// A token and where it is in the source, in characters.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    /// 0-based character index of the token's first character.
    pub offset: usize,
    /// Length in characters.
    pub len: usize,
}

/// Whether `c` may start a name (of a field or a function).
pub(crate) fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

/// Whether `c` may continue a field name: XLSForm names are XML names, letters, digits, `_`,
/// `-` and `.`.
pub(crate) fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-' || c == '.'
}

/// The message for anything that looks like an XPath path.
pub(crate) const PATH_HINT: &str =
    "use ${name} to refer to a field; paths like /data/x are not supported";

/// Splits `chars` into tokens, or reports the first thing that is not a token.
pub(crate) fn tokenize(chars: &[char]) -> Result<Vec<Token>, ParseError> {
    let mut tokens = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let c = chars[at];
        // Any Unicode space, not only XPath's four: formulas pasted from Word or Excel often
        // carry non-breaking spaces, and they separate tokens just as well.
        if c.is_whitespace() {
            at += 1;
            continue;
        }
        let next = chars.get(at + 1).copied();
        let (kind, len) = match c {
            '(' => (TokenKind::LParen, 1),
            ')' => (TokenKind::RParen, 1),
            ',' => (TokenKind::Comma, 1),
            '+' => (TokenKind::Plus, 1),
            '-' => (TokenKind::Minus, 1),
            '*' => (TokenKind::Star, 1),
            '=' if next == Some('=') => return Err(error(at, "use '=' to compare, not '=='")),
            '=' => (TokenKind::Eq, 1),
            '!' if next == Some('=') => (TokenKind::NotEq, 2),
            '!' => return Err(error(at, "use not(...) to negate, not '!'")),
            '<' if next == Some('=') => (TokenKind::LessEq, 2),
            '<' if next == Some('>') => {
                return Err(error(at, "use '!=' for 'not equal', not '<>'"));
            }
            '<' => (TokenKind::Less, 1),
            '>' if next == Some('=') => (TokenKind::GreaterEq, 2),
            '>' => (TokenKind::Greater, 1),
            '\'' | '"' => string(chars, at)?,
            '$' => reference(chars, at)?,
            '.' if next == Some('.') => {
                return Err(error(at, format!("'..' is not supported; {PATH_HINT}")));
            }
            '.' if next.is_some_and(|n| n.is_ascii_digit()) => number(chars, at),
            '.' => (TokenKind::Dot, 1),
            '0'..='9' => number(chars, at),
            c if is_name_start(c) => {
                let len = chars[at..]
                    .iter()
                    .take_while(|&&c| is_name_char(c) || c == ':')
                    .count();
                (TokenKind::Name(chars[at..at + len].iter().collect()), len)
            }
            _ => return Err(unexpected(chars, at)),
        };
        tokens.push(Token {
            kind,
            offset: at,
            len,
        });
        at += len;
    }
    Ok(tokens)
}

fn error(offset: usize, message: impl Into<String>) -> ParseError {
    ParseError::new(offset, message)
}

/// The error for a character that starts no token, with advice for the usual suspects.
fn unexpected(chars: &[char], at: usize) -> ParseError {
    let c = chars[at];
    let next = chars.get(at + 1).copied();
    let message = match c {
        '/' => PATH_HINT.to_string(),
        '[' | ']' => format!("predicates like [1] are not supported; {PATH_HINT}"),
        '@' => format!("attributes are not supported; {PATH_HINT}"),
        '|' if next == Some('|') => "use 'or', not '||'".to_string(),
        '|' => "'|' (node-set union) is not supported".to_string(),
        '&' if next == Some('&') => "use 'and', not '&&'".to_string(),
        '%' => "use 'mod' for the remainder of a division, not '%'".to_string(),
        // Word and Excel's autocorrect turn quotes into typographic ones.
        '\u{2018}' | '\u{2019}' | '\u{201C}' | '\u{201D}' => {
            format!("the curly quote '{c}' does not start text; use a straight quote ' or \"")
        }
        _ => format!("unexpected character '{}'", c.escape_debug()),
    };
    error(at, message)
}

/// Lexes a quoted string starting at `start`. XPath has no escapes: the other kind of quote
/// is how a quote gets into a string.
fn string(chars: &[char], start: usize) -> Result<(TokenKind, usize), ParseError> {
    let quote = chars[start];
    let body = &chars[start + 1..];
    match body.iter().position(|&c| c == quote) {
        Some(end) => Ok((TokenKind::Str(body[..end].iter().collect()), end + 2)),
        None => Err(error(
            chars.len(),
            format!(
                "unterminated string starting at character {}, expected a closing {quote}",
                start + 1
            ),
        )),
    }
}

/// Lexes a number: digits with an optional fraction, or a fraction alone (`.5`).
fn number(chars: &[char], start: usize) -> (TokenKind, usize) {
    let mut len = chars[start..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    if chars.get(start + len) == Some(&'.') {
        len += 1;
        len += chars[start + len..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
    }
    let text: String = chars[start..start + len].iter().collect();
    // Only digits and at most one point reach here, which `parse` always accepts ("5." and
    // ".5" included); a number too long for f64 becomes infinity, as in Java.
    (TokenKind::Number(text.parse().unwrap_or(f64::NAN)), len)
}

/// Lexes `${name}` starting at the `$`.
fn reference(chars: &[char], start: usize) -> Result<(TokenKind, usize), ParseError> {
    if chars.get(start + 1) != Some(&'{') {
        return Err(error(
            start,
            "expected '{' after '$'; refer to a field as ${name}",
        ));
    }
    let name_start = start + 2;
    let name_len = chars[name_start..]
        .iter()
        .take_while(|&&c| is_name_char(c))
        .count();
    let name: String = chars[name_start..name_start + name_len].iter().collect();
    let end = name_start + name_len;
    match chars.get(end) {
        Some('}') => {}
        None => {
            return Err(error(
                end,
                format!(
                    "unterminated reference starting at character {}, expected '}}'",
                    start + 1
                ),
            ));
        }
        Some(&c) => {
            return Err(error(
                end,
                format!(
                    "expected '}}' to close the reference ${{{name}, found '{}'; field names \
                     contain only letters, digits, '_', '-' and '.'",
                    c.escape_debug()
                ),
            ));
        }
    }
    match name.chars().next() {
        None => Err(error(
            start,
            "empty reference '${}', expected a field name inside",
        )),
        Some(first) if !is_name_start(first) => Err(error(
            name_start,
            format!("field name '{name}' must start with a letter or '_'"),
        )),
        Some(_) => Ok((TokenKind::Ref(name), end + 1 - start)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<TokenKind> {
        let chars: Vec<char> = source.chars().collect();
        tokenize(&chars)
            .unwrap()
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    fn fails(source: &str) -> ParseError {
        let chars: Vec<char> = source.chars().collect();
        tokenize(&chars).unwrap_err()
    }

    #[test]
    fn splits_the_xlsform_surface() {
        use TokenKind::*;
        assert_eq!(
            kinds("${a.b-c}>=.5 and .!=\"x'y\" div count-selected(1.)"),
            vec![
                Ref("a.b-c".into()),
                GreaterEq,
                Number(0.5),
                Name("and".into()),
                Dot,
                NotEq,
                Str("x'y".into()),
                Name("div".into()),
                Name("count-selected".into()),
                LParen,
                Number(1.0),
                RParen,
            ]
        );
    }

    #[test]
    fn offsets_count_characters_not_bytes() {
        let chars: Vec<char> = "'ü' = ${nama}".chars().collect();
        let tokens = tokenize(&chars).unwrap();
        assert_eq!(tokens[1].offset, 4);
        assert_eq!((tokens[2].offset, tokens[2].len), (6, 7));
    }

    #[test]
    fn explains_what_is_not_supported() {
        assert_eq!(fails("/data/x").message, PATH_HINT);
        assert_eq!(fails("'abc").offset, 4);
        assert!(fails("'abc").message.contains("starting at character 1"));
        assert_eq!(fails("${a b}").offset, 3);
        assert_eq!(fails("${1a}").offset, 2);
        assert_eq!(fails("${}").offset, 0);
        assert_eq!(fails("${abc").offset, 5);
        assert!(fails("a == b").message.contains("'=='"));
        assert!(fails("\u{2018}ya\u{2019}").message.contains("curly quote"));
    }
}
