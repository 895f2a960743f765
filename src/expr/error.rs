//! The one error an expression can have: it does not parse. Evaluation never fails; it gives
//! XPath's empty values instead.

/// Why an expression could not be parsed, and where.
///
/// `offset` counts characters (not bytes) from the start of the source, from 0; the message
/// says what was expected in the form author's terms. Displayed 1-based, as a spreadsheet user
/// counts: `at character 7: expected ')' to close the call to if()`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("at character {}: {}", .offset + 1, .message)]
pub struct ParseError {
    /// 0-based character index into the source; equal to the source's length when the problem is
    /// that the expression ends too early.
    pub offset: usize,
    /// What is wrong, without a trailing full stop.
    pub message: String,
}

impl ParseError {
    pub(crate) fn new(offset: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            offset,
            message: message.into(),
        }
    }
}
