//! Configuration errors. Each problem names the line, column and dotted key where it was found, so
//! that every message points at one place in `pantau.toml`.

use std::fmt;
use std::path::PathBuf;

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read (missing when named explicitly, unreadable).
    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        /// The file that was asked for.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The file was read but has problems: bad TOML, unknown keys, wrong types or values that do
    /// not fit together. Every problem found is listed.
    #[error("{}", describe(path, problems))]
    Invalid {
        /// The file the problems are in.
        path: PathBuf,
        /// Every problem found, in file order where known.
        problems: Vec<Problem>,
    },
}

impl ConfigError {
    /// The problems, empty for a read error.
    pub fn problems(&self) -> &[Problem] {
        match self {
            ConfigError::Read { .. } => &[],
            ConfigError::Invalid { problems, .. } => problems,
        }
    }
}

/// One problem in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line in the user's file; `None` when the key comes from the built-in defaults
    /// (the message then says so) or the problem concerns the file as a whole.
    pub line: Option<usize>,
    /// 1-based column, in characters, when the line is known.
    pub column: Option<usize>,
    /// Dotted key such as `waves[1].window_days`, when the problem is tied to one.
    pub key: Option<String>,
    /// What is wrong, without a trailing full stop.
    pub message: String,
}

impl Problem {
    /// A problem at byte `offset` of `text`, the user's file.
    pub(crate) fn at(text: &str, offset: usize, key: Option<String>, message: String) -> Problem {
        let (line, column) = line_column(text, offset);
        Problem {
            line: Some(line),
            column: Some(column),
            key,
            message: tidy(&message),
        }
    }

    /// A problem with no place in the user's file, such as a value from the built-in defaults.
    pub(crate) fn unplaced(key: Option<String>, message: String) -> Problem {
        Problem {
            line: None,
            column: None,
            key,
            message: tidy(&message),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut place = Vec::new();
        if let Some(line) = self.line {
            place.push(format!("line {line}"));
        }
        if let Some(column) = self.column {
            place.push(format!("column {column}"));
        }
        if let Some(key) = &self.key {
            place.push(format!("key `{key}`"));
        }
        if place.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", place.join(", "), self.message)
        }
    }
}

/// `file line 3, column 1, key `x`: message` for one problem; a count and one indented line per
/// problem for several.
fn describe(path: &std::path::Path, problems: &[Problem]) -> String {
    match problems {
        [one] => format!("{} {one}", path.display()),
        many => {
            let mut text = format!("{} has {} problems", path.display(), many.len());
            for problem in many {
                text.push_str("\n  ");
                text.push_str(&problem.to_string());
            }
            text
        }
    }
}

/// 1-based line and character column of byte `offset` in `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Messages from toml and serde may span lines or end with a full stop; ours are one line
/// without one, so they read well after "line N:".
fn tidy(message: &str) -> String {
    let one_line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    one_line.trim_end_matches('.').to_string()
}
