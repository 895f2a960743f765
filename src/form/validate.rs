//! Checks across rows and sheets, once every row has been read: references, choice lists,
//! translations.
//!
//! Severity: a missing translation is a **warning**. pyxform warns about it too, and at run time
//! a text missing in the participant's language falls back to the default language, so the form
//! works; the author still learns which cells to fill. A question with no label (and no hint) in
//! any language is an **error**: there is nothing to show.

use std::collections::{HashMap, HashSet};

use super::choice_filter::CHOICE_PREFIX;
use super::choices::Choices;
use super::columns::{Headers, Role};
use super::model::{Element, FieldKind, Language, Text};
use super::problem::{Problems, Severity};
use super::survey::{Survey, Usage};

/// Runs every cross-check, adding what it finds to `problems`.
pub(crate) fn validate(
    survey: &Survey,
    choices: &Choices,
    languages: &[Language],
    survey_headers: &Headers,
    choice_headers: &Headers,
    problems: &mut Problems,
) {
    let mut names: Vec<&str> = survey.names.keys().map(String::as_str).collect();
    names.sort_unstable();
    for usage in survey.usages.iter().chain(&choices.usages) {
        check_references(usage, survey, choices, &names, problems);
    }
    check_selects(survey, choices, survey_headers, problems);
    if languages.len() > 1 {
        check_translations(
            survey,
            choices,
            languages,
            survey_headers,
            choice_headers,
            problems,
        );
    }
    for list in &choices.lists {
        let sheet = choices.sheet.as_deref().unwrap_or("choices");
        for choice in &list.choices {
            if choice.label.is_empty() {
                problems.row(
                    sheet,
                    choice.row,
                    Severity::Warning,
                    format!(
                        "choice {} of list {} has no label; its name is shown",
                        choice.name, list.name
                    ),
                );
            }
        }
    }
}

fn check_references(
    usage: &Usage,
    survey: &Survey,
    choices: &Choices,
    names: &[&str],
    problems: &mut Problems,
) {
    let mut reported = HashSet::new();
    let mut report = |problems: &mut Problems, message: String| {
        if reported.insert(message.clone()) {
            problems.cell(
                &usage.sheet,
                usage.row,
                &usage.column,
                Severity::Error,
                message,
            );
        }
    };
    if usage.uses_current && usage.role != Role::Constraint {
        report(
            problems,
            format!(
                ". (the answer being checked) can only be used in constraint, not in {}; write \
                 ${{name}} to refer to a field",
                usage.column.header
            ),
        );
    }
    for name in &usage.references {
        if let Some(column) = name.strip_prefix(CHOICE_PREFIX) {
            if usage.role == Role::ChoiceFilter
                && !matches!(column, "name" | "label")
                && !choices.columns.iter().any(|c| c == column)
            {
                let columns = if choices.columns.is_empty() {
                    "only name and label".to_string()
                } else {
                    format!("name, label, {}", choices.columns.join(", "))
                };
                report(
                    problems,
                    format!(
                        "choice_filter refers to {column}, which is not a column of the choices \
                         sheet ({columns}); write ${{{column}}} to refer to a field"
                    ),
                );
            }
            continue;
        }
        match survey.names.get(name) {
            Some(Element::Field(_)) => {}
            Some(Element::Group(_)) => report(
                problems,
                format!("${{{name}}} is a group, not a field: it has no value"),
            ),
            None if survey.blocked.contains(name) => {}
            None => report(problems, undefined(name, names)),
        }
    }
}

/// The message for a reference to a field that does not exist, with a hint when one helps.
fn undefined(name: &str, names: &[&str]) -> String {
    let hint = if name.starts_with("roster_") {
        format!(" (add a hidden field named {name} to fill it from the participant's roster)")
    } else if name.starts_with("previous_") {
        format!(" (add a hidden field named {name} to fill it from the previous wave)")
    } else {
        closest_name(name, names)
            .map(|n| format!(" (did you mean ${{{n}}}?)"))
            .unwrap_or_default()
    };
    format!("reference to undefined field ${{{name}}}{hint}")
}

/// The defined name within two edits of `name`, preferring the closest.
fn closest_name<'a>(name: &str, names: &[&'a str]) -> Option<&'a str> {
    let a: Vec<char> = name.chars().collect();
    names
        .iter()
        .filter(|n| n.len().abs_diff(name.len()) <= 2)
        .filter_map(|n| {
            let b: Vec<char> = n.chars().collect();
            let d = levenshtein(&a, &b);
            (d <= 2 && d < a.len().max(1)).then_some((d, *n))
        })
        .min()
        .map(|(_, n)| n)
}

fn levenshtein(a: &[char], b: &[char]) -> usize {
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            current[j + 1] = (previous[j] + usize::from(ca != cb))
                .min(previous[j + 1] + 1)
                .min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

fn check_selects(survey: &Survey, choices: &Choices, headers: &Headers, problems: &mut Problems) {
    let Some(type_column) = headers.list.iter().find(|h| h.role == Role::Type) else {
        return;
    };
    for field in &survey.fields {
        let Some(list) = field.kind.list() else {
            continue;
        };
        let message = match choices.index.get(list) {
            None if choices.sheet.is_none() => Some(format!(
                "choice list {list} is not defined: the form has no choices sheet"
            )),
            None => Some(format!(
                "choice list {list} is not defined in the choices sheet"
            )),
            Some(&i) if choices.lists[i].choices.is_empty() => {
                Some(format!("choice list {list} has no choices"))
            }
            Some(_) => None,
        };
        if let Some(message) = message {
            problems.cell(
                &survey.sheet,
                field.row,
                &type_column.column,
                Severity::Error,
                message,
            );
        }
    }
    for (id, column, default) in &survey.select_defaults {
        let field = &survey.fields[*id];
        let Some(list) = field.kind.list() else {
            continue;
        };
        let Some(&i) = choices.index.get(list) else {
            continue;
        };
        let known = |name: &str| choices.lists[i].choices.iter().any(|c| c.name == name);
        let wrong: Vec<&str> = match field.kind {
            FieldKind::SelectMultiple { .. } => {
                default.split_whitespace().filter(|n| !known(n)).collect()
            }
            _ if known(default) => Vec::new(),
            _ => vec![default.as_str()],
        };
        if !wrong.is_empty() {
            problems.cell(
                &survey.sheet,
                field.row,
                column,
                Severity::Error,
                format!("default {} is not a choice of list {list}", wrong.join(" ")),
            );
        }
    }
}

/// Warns about texts present in some languages and missing in others: per empty cell when the
/// language has a column for that text, once per sheet when it has none.
fn check_translations(
    survey: &Survey,
    choices: &Choices,
    languages: &[Language],
    survey_headers: &Headers,
    choice_headers: &Headers,
    problems: &mut Problems,
) {
    let mut rows: Vec<(u32, Role, &Text)> = Vec::new();
    for field in &survey.fields {
        rows.push((field.row, Role::Label, &field.label));
        rows.push((field.row, Role::Hint, &field.hint));
        rows.push((field.row, Role::RequiredMessage, &field.required_message));
        rows.push((
            field.row,
            Role::ConstraintMessage,
            &field.constraint_message,
        ));
    }
    for group in &survey.groups {
        rows.push((group.row, Role::Label, &group.label));
    }
    rows.sort_by_key(|(row, _, _)| *row);
    translations(&survey.sheet, &rows, languages, survey_headers, problems);

    if let Some(sheet) = &choices.sheet {
        let rows: Vec<(u32, Role, &Text)> = choices
            .lists
            .iter()
            .flat_map(|l| &l.choices)
            .map(|c| (c.row, Role::Label, &c.label))
            .collect();
        translations(sheet, &rows, languages, choice_headers, problems);
    }
}

fn translations(
    sheet: &str,
    rows: &[(u32, Role, &Text)],
    languages: &[Language],
    headers: &Headers,
    problems: &mut Problems,
) {
    let column = |role: Role, lang: usize| {
        headers
            .list
            .iter()
            .find(|h| h.role == role && h.lang == lang)
            .map(|h| &h.column)
    };
    // (role, language) pairs without a column, with the first row that needed one.
    let mut missing_columns: HashMap<(Role, usize), u32> = HashMap::new();
    for &(row, role, text) in rows {
        if text.is_empty() {
            continue;
        }
        for (lang, language) in languages.iter().enumerate() {
            if text.get(lang).is_some() {
                continue;
            }
            match column(role, lang) {
                Some(column) => problems.cell(
                    sheet,
                    row,
                    column,
                    Severity::Warning,
                    format!("missing {} in {}", role_name(role), language.name),
                ),
                None => {
                    missing_columns.entry((role, lang)).or_insert(row);
                }
            }
        }
    }
    let mut missing: Vec<_> = missing_columns.into_iter().collect();
    missing.sort_by_key(|((role, lang), row)| (*row, *lang, role_name(*role)));
    for ((role, lang), row) in missing {
        problems.row(
            sheet,
            row,
            Severity::Warning,
            format!(
                "no {}::{} column, so every {} is missing in {} (first needed here)",
                role_name(role),
                languages[lang].name,
                role_name(role),
                languages[lang].name
            ),
        );
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Label => "label",
        Role::Hint => "hint",
        Role::RequiredMessage => "required_message",
        Role::ConstraintMessage => "constraint_message",
        _ => "text",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_in_references_get_a_suggestion() {
        let names = ["age", "income_total", "sex"];
        assert_eq!(
            undefined("agee", &names),
            "reference to undefined field ${agee} (did you mean ${age}?)"
        );
        assert_eq!(
            undefined("xyz", &names),
            "reference to undefined field ${xyz}"
        );
        assert!(undefined("roster_first_name", &names).contains("add a hidden field"));
    }
}
