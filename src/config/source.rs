//! Reading the TOML text: laying the user's file over the built-in defaults and finding where a
//! key sits in the user's file, so that problems can name its line.
//!
//! The merge works on toml's spanned document tree (`DeTable`) rather than on deserialized
//! structs: the user's values keep their byte spans, so an error found while deserializing the
//! merged tree still points into the user's text.

use std::fmt;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue, Deserializer};

use super::Config;
use super::error::Problem;

/// Parses `text` over `defaults` into a [`Config`] (not yet validated as a whole).
pub(super) fn parse(text: &str, defaults: &'static str) -> Result<Config, Vec<Problem>> {
    let user = DeTable::parse(text).map_err(|err| vec![problem(text, None, &err)])?;
    reject_secrets(text, user.get_ref())?;
    let builtin = DeTable::parse(defaults).map_err(|err| {
        vec![Problem::unplaced(
            None,
            format!("the built-in defaults do not parse: {}", err.message()),
        )]
    })?;
    let mut merged = user.clone();
    merge(merged.get_mut(), builtin.into_inner());
    Config::deserialize(Deserializer::from(merged))
        .map_err(|err| vec![problem(text, Some(user.get_ref()), &err)])
}

/// Secrets that people may try to put in the file, and the variable to use instead. Checked
/// before deserializing so the message says what to do rather than "unknown field".
const SECRETS: [(&str, &str, &str); 2] = [
    ("smtp", "password", "PANTAU_SMTP_PASSWORD"),
    ("server", "session_key", "PANTAU_SESSION_KEY"),
];

fn reject_secrets(text: &str, user: &DeTable<'_>) -> Result<(), Vec<Problem>> {
    let problems: Vec<Problem> = SECRETS
        .iter()
        .filter_map(|(section, key, variable)| {
            let path = KeyPath::root(section).key(key);
            let offset = path.offset_in(user)?;
            let message = format!(
                "secrets are not read from the config file: remove `{key}` and set the \
                 environment variable {variable} instead"
            );
            Some(Problem::at(text, offset, Some(path.to_string()), message))
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Adds to `user` every key of `defaults` it lacks. Tables merge key by key; arrays (such as
/// `[[waves]]`) and plain values given by the user replace the default whole, because a user
/// listing their waves means exactly those waves.
fn merge<'i>(user: &mut DeTable<'i>, defaults: DeTable<'i>) {
    for (key, default) in defaults {
        match user.get_mut(key.get_ref().as_ref()) {
            None => {
                user.insert(key, default);
            }
            Some(mine) => {
                if let (DeValue::Table(mine), DeValue::Table(default)) =
                    (mine.get_mut(), default.into_inner())
                {
                    merge(mine, default);
                }
            }
        }
    }
}

/// A toml error as a [`Problem`] in `text`, naming the key found at the error's position.
fn problem(text: &str, user: Option<&DeTable<'_>>, err: &toml::de::Error) -> Problem {
    let message = err.message().to_string();
    match err.span() {
        Some(span) => {
            let key = user
                .and_then(|table| key_at(table, span.start))
                .map(|path| path.to_string());
            Problem::at(text, span.start, key, message)
        }
        None => Problem::unplaced(None, message),
    }
}

/// A dotted key path such as `waves[2].name`. Array positions count from 1, as a person counts
/// the `[[waves]]` blocks in a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct KeyPath(Vec<Segment>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    /// 0-based position, shown 1-based.
    Index(usize),
}

impl KeyPath {
    /// The path to a top-level key.
    pub(crate) fn root(key: &str) -> KeyPath {
        KeyPath(vec![Segment::Key(key.to_string())])
    }

    /// This path extended by a table key.
    pub(crate) fn key(&self, key: &str) -> KeyPath {
        let mut path = self.clone();
        path.0.push(Segment::Key(key.to_string()));
        path
    }

    /// This path extended by a 0-based array position.
    pub(crate) fn index(&self, index: usize) -> KeyPath {
        let mut path = self.clone();
        path.0.push(Segment::Index(index));
        path
    }

    /// The top-level key, such as `recipients` for `recipients[2].language`.
    pub(crate) fn top(&self) -> &str {
        match self.0.first() {
            Some(Segment::Key(key)) => key,
            _ => "",
        }
    }

    /// Byte offset of this key in the user's file: the key itself for a table entry, the value
    /// for an array element. `None` when the user's file does not contain it (it comes from the
    /// built-in defaults).
    pub(crate) fn offset_in(&self, root: &DeTable<'_>) -> Option<usize> {
        let (first, rest) = self.0.split_first()?;
        let Segment::Key(first) = first else {
            return None;
        };
        let (key, mut value) = root.get_key_value(first.as_str())?;
        let mut offset = key.span().start;
        for segment in rest {
            let (next_offset, next) = match (segment, value.get_ref()) {
                (Segment::Key(name), DeValue::Table(table)) => {
                    let (key, value) = table.get_key_value(name.as_str())?;
                    (key.span().start, value)
                }
                (Segment::Index(index), DeValue::Array(array)) => {
                    let value = array.get(*index)?;
                    (value.span().start, value)
                }
                _ => return None,
            };
            offset = next_offset;
            value = next;
        }
        Some(offset)
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if position == 0 => write!(f, "{key}")?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{}]", index + 1)?,
            }
        }
        Ok(())
    }
}

/// The deepest key of `root` whose key or value covers byte `offset`.
fn key_at(root: &DeTable<'_>, offset: usize) -> Option<KeyPath> {
    let mut path = KeyPath::default();
    let found = descend_table(root, offset, &mut path);
    found.then_some(path)
}

fn descend_table(table: &DeTable<'_>, offset: usize, path: &mut KeyPath) -> bool {
    for (key, value) in table {
        if covers(key, offset) {
            path.0.push(Segment::Key(key.get_ref().to_string()));
            return true;
        }
        if covers(value, offset) {
            path.0.push(Segment::Key(key.get_ref().to_string()));
            descend_value(value.get_ref(), offset, path);
            return true;
        }
    }
    // `[[waves]]` blocks do not always span their whole body, so look inside containers too.
    for (key, value) in table {
        let mut inner = path.clone();
        inner.0.push(Segment::Key(key.get_ref().to_string()));
        if descend_value(value.get_ref(), offset, &mut inner) {
            *path = inner;
            return true;
        }
    }
    false
}

fn descend_value(value: &DeValue<'_>, offset: usize, path: &mut KeyPath) -> bool {
    match value {
        DeValue::Table(table) => descend_table(table, offset, path),
        DeValue::Array(array) => {
            for (index, element) in array.iter().enumerate() {
                let mut inner = path.clone();
                inner.0.push(Segment::Index(index));
                let covered = covers(element, offset);
                // A failed descent leaves `inner` as it was, so it still names the element.
                if descend_value(element.get_ref(), offset, &mut inner) || covered {
                    *path = inner;
                    return true;
                }
            }
            false
        }
        _ => false,
    }
}

fn covers<T>(spanned: &Spanned<T>, offset: usize) -> bool {
    let span = spanned.span();
    span.start <= offset && offset < span.end.max(span.start + 1)
}
