//! Recognising the header row of each sheet: which column is `type`, which is `label` in which
//! language, which are choice columns for `choice_filter`.
//!
//! Headers are matched as pyxform and Kobo write them: trimmed, case-insensitive, with a space
//! where an underscore would be (`list name`), with the `bind::`/`body::`/`control::` prefixes of
//! older forms, and with `::Language` suffixes on translatable columns (`label::English (en)`).
//! Columns pantau does not know are ignored (Kobo exports carry `$kuid`, `$prev` and others), but a
//! header one typo away from a known one gets a warning, because a misspelt `requried` would
//! otherwise make every question optional without a word.

use std::collections::HashMap;

use super::problem::{Column, Problems, Severity};
use super::sheet::{Sheet, SheetRow};

/// What a column of a form sheet means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Role {
    Type,
    Name,
    /// Kobo's `$autoname`, used when `name` is empty.
    AutoName,
    Label,
    Hint,
    Required,
    RequiredMessage,
    Relevant,
    Constraint,
    ConstraintMessage,
    Calculation,
    Default,
    ChoiceFilter,
    ReadOnly,
    Appearance,
    /// `media::image` and friends: refused when a row uses them.
    Media,
    ListName,
    /// Kobo's `$autovalue`, used when a choice's `name` is empty.
    AutoValue,
    FormId,
    Version,
    DefaultLanguage,
    FormTitle,
    /// Any other column: ignored in the survey and settings sheets, a choice column (for
    /// `choice_filter`) in the choices sheet.
    Other,
}

impl Role {
    /// Whether the column may carry a `::Language` suffix.
    pub(crate) fn is_translatable(self) -> bool {
        matches!(
            self,
            Role::Label
                | Role::Hint
                | Role::RequiredMessage
                | Role::ConstraintMessage
                | Role::Media
        )
    }
}

/// Which sheet a header row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SheetKind {
    Survey,
    Choices,
    Settings,
}

/// One recognised column.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    pub(crate) column: Column,
    pub(crate) role: Role,
    /// For translatable roles, the language as written after `::`, or `None` for the plain
    /// column (the default language).
    pub(crate) language: Option<String>,
    /// For translatable roles, the index of the language in the form's list, set once all
    /// sheets' headers are known.
    pub(crate) lang: usize,
}

/// The header row of a sheet, with a map from column index to header.
#[derive(Debug, Default)]
pub(crate) struct Headers {
    pub(crate) list: Vec<Header>,
    by_column: HashMap<u32, usize>,
}

impl Headers {
    /// Reads row 1 of `sheet`, reporting duplicate and misspelt columns.
    pub(crate) fn read(sheet: &Sheet, kind: SheetKind, problems: &mut Problems) -> Headers {
        let mut headers = Headers::default();
        let Some(first) = sheet.rows.first().filter(|r| r.number == 1) else {
            return headers;
        };
        let mut seen: HashMap<(Role, Option<String>, String), u32> = HashMap::new();
        for (index, text) in &first.cells {
            let column = Column {
                header: text.clone(),
                index: *index,
            };
            let (role, language) = classify(kind, text);
            // Outside the choices sheet an unknown column means nothing; say so only when it
            // looks like a misspelt known one.
            if role == Role::Other && kind != SheetKind::Choices {
                if let Some(known) = near_miss(kind, text) {
                    problems.cell(
                        &sheet.name,
                        1,
                        &column,
                        Severity::Warning,
                        format!("unknown column {text} is ignored (did you mean {known}?)"),
                    );
                }
                continue;
            }
            // Two columns with one meaning would leave it to chance which one counts.
            let other_key = if role == Role::Other {
                text.to_string()
            } else {
                String::new()
            };
            let key = (role, language.as_ref().map(|l| l.to_lowercase()), other_key);
            if let Some(&earlier) = seen.get(&key) {
                problems.cell(
                    &sheet.name,
                    1,
                    &column,
                    Severity::Error,
                    format!(
                        "duplicate column {text} (also column {}), only one may be used",
                        super::problem::column_letter(earlier)
                    ),
                );
                continue;
            }
            seen.insert(key, *index);
            headers.by_column.insert(*index, headers.list.len());
            headers.list.push(Header {
                column,
                role,
                language,
                lang: 0,
            });
        }
        headers
    }

    /// Headers from a list (used after dropping duplicates).
    pub(crate) fn from_list(list: Vec<Header>) -> Headers {
        let by_column = list
            .iter()
            .enumerate()
            .map(|(i, h)| (h.column.index, i))
            .collect();
        Headers { list, by_column }
    }

    /// Whether a column with `role` exists.
    pub(crate) fn has(&self, role: Role) -> bool {
        self.list.iter().any(|h| h.role == role)
    }

    /// The cells of `row` that fall under a recognised header, paired with it.
    pub(crate) fn cells<'a>(
        &'a self,
        row: &'a SheetRow,
    ) -> impl Iterator<Item = (&'a Header, &'a str)> + 'a {
        row.cells.iter().filter_map(|(col, text)| {
            self.by_column
                .get(col)
                .map(|&i| (&self.list[i], text.as_str()))
        })
    }
}

/// The role and language of a header.
pub(crate) fn classify(kind: SheetKind, text: &str) -> (Role, Option<String>) {
    let text = text.trim();
    let (base, language) = match text.split_once("::") {
        Some((base, rest)) => (base.trim(), Some(rest.trim().to_string())),
        None => (text, None),
    };
    let base = normalize(base);
    // `bind::relevant`, `body::appearance`, `control::appearance`: the prefix is a namespace,
    // not a language.
    if matches!(base.as_str(), "bind" | "body" | "control") {
        let inner = language.map(|l| normalize(&l)).unwrap_or_default();
        let inner = inner.strip_prefix("jr:").unwrap_or(&inner).to_string();
        return (role_of(kind, &inner), None);
    }
    if base == "media" {
        return (Role::Media, None);
    }
    let role = role_of(kind, &base);
    if role.is_translatable() {
        (role, language.filter(|l| !l.is_empty()))
    } else if language.is_some() && role != Role::Other {
        // `required::English` is not a thing; treat the whole header as unknown.
        (Role::Other, None)
    } else {
        (role, None)
    }
}

fn normalize(text: &str) -> String {
    text.trim().to_lowercase().replace(' ', "_")
}

fn role_of(kind: SheetKind, key: &str) -> Role {
    match kind {
        SheetKind::Survey => match key {
            "type" => Role::Type,
            "name" => Role::Name,
            "$autoname" => Role::AutoName,
            "label" => Role::Label,
            "hint" => Role::Hint,
            "required" => Role::Required,
            "required_message" | "requiredmsg" => Role::RequiredMessage,
            "relevant" => Role::Relevant,
            "constraint" => Role::Constraint,
            "constraint_message" | "constraintmsg" => Role::ConstraintMessage,
            "calculation" | "calculate" => Role::Calculation,
            "default" => Role::Default,
            "choice_filter" => Role::ChoiceFilter,
            "read_only" | "readonly" => Role::ReadOnly,
            "appearance" => Role::Appearance,
            "image" | "audio" | "video" | "big-image" | "big_image" => Role::Media,
            _ => Role::Other,
        },
        SheetKind::Choices => match key {
            "list_name" => Role::ListName,
            "name" | "value" => Role::Name,
            "$autovalue" => Role::AutoValue,
            "label" => Role::Label,
            "image" | "audio" | "video" | "big-image" | "big_image" => Role::Media,
            _ => Role::Other,
        },
        SheetKind::Settings => match key {
            "form_id" | "id_string" => Role::FormId,
            "version" => Role::Version,
            "default_language" => Role::DefaultLanguage,
            "form_title" | "title" => Role::FormTitle,
            _ => Role::Other,
        },
    }
}

/// The known header `text` is probably a typo of.
fn near_miss(kind: SheetKind, text: &str) -> Option<&'static str> {
    const SURVEY: &[&str] = &[
        "type",
        "name",
        "label",
        "hint",
        "required",
        "required_message",
        "relevant",
        "constraint",
        "constraint_message",
        "calculation",
        "default",
        "choice_filter",
        "read_only",
        "appearance",
    ];
    const SETTINGS: &[&str] = &["form_id", "version", "default_language", "form_title"];
    let base = text.split("::").next().unwrap_or(text);
    let base = normalize(base);
    if base.starts_with('$') {
        return None;
    }
    let known = match kind {
        SheetKind::Survey => SURVEY,
        SheetKind::Settings => SETTINGS,
        SheetKind::Choices => return None,
    };
    closest(&base, known)
}

/// The candidate within a small edit distance of `word` (1, or 2 for words of seven or more
/// characters), if any.
pub(crate) fn closest(word: &str, candidates: &[&'static str]) -> Option<&'static str> {
    let limit = if word.chars().count() >= 7 { 2 } else { 1 };
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance, for "did you mean" suggestions.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Long headers cannot be a typo of a short keyword; skip the quadratic work.
    if a.len().abs_diff(b.len()) > 2 || a.len() > 64 {
        return usize::MAX;
    }
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_recognised_as_pyxform_and_kobo_write_them() {
        use Role::*;
        let survey = |t| classify(SheetKind::Survey, t);
        assert_eq!(survey(" Type "), (Type, None));
        assert_eq!(
            survey("label::English (en)"),
            (Label, Some("English (en)".into()))
        );
        assert_eq!(survey("LABEL"), (Label, None));
        assert_eq!(survey("bind::relevant"), (Relevant, None));
        assert_eq!(survey("bind::jr:constraintMsg"), (ConstraintMessage, None));
        assert_eq!(survey("media::image::English (en)"), (Media, None));
        assert_eq!(survey("$kuid"), (Other, None));
        assert_eq!(
            survey("constraint message::Indonesian (id)"),
            (ConstraintMessage, Some("Indonesian (id)".into()))
        );
        assert_eq!(classify(SheetKind::Choices, "list name"), (ListName, None));
        assert_eq!(classify(SheetKind::Choices, "province"), (Other, None));
    }

    #[test]
    fn typos_are_caught_but_other_columns_are_not() {
        assert_eq!(near_miss(SheetKind::Survey, "requried"), Some("required"));
        assert_eq!(
            near_miss(SheetKind::Survey, "contraint"),
            Some("constraint")
        );
        assert_eq!(near_miss(SheetKind::Survey, "relevance"), Some("relevant"));
        assert_eq!(near_miss(SheetKind::Survey, "note"), None);
        assert_eq!(near_miss(SheetKind::Survey, "$kuid"), None);
    }
}
