//! The `choices` and `settings` sheets.
//!
//! Choices are grouped into lists by `list_name` (rows of one list need not be next to each
//! other). Columns other than `list_name`, `name` and the labels are kept per choice, because
//! `choice_filter` expressions read them (`province = ${province}`). Kobo exports leave `name`
//! empty and put the generated one in `$autovalue`; that is used when `name` is empty.

use std::collections::{BTreeMap, HashMap};

use super::columns::{Headers, Role, SheetKind};
use super::load::{RowCells, text};
use super::model::{Choice, ChoiceList, Settings};
use super::problem::{Problems, Severity};
use super::sheet::Sheet;
use super::survey::Usage;

/// The choice lists of a form, with what validation needs to know about the sheet.
#[derive(Debug, Default)]
pub(crate) struct Choices {
    pub(crate) lists: Vec<ChoiceList>,
    pub(crate) index: HashMap<String, usize>,
    /// The headers of the extra (choice-filter) columns.
    pub(crate) columns: Vec<String>,
    /// The sheet's name as written, when there is one.
    pub(crate) sheet: Option<String>,
    /// Choice labels that interpolate `${name}`, for the reference check.
    pub(crate) usages: Vec<Usage>,
}

/// Reads the choices sheet.
pub(crate) fn read_choices(
    sheet: Option<&Sheet>,
    headers: &Headers,
    languages: usize,
    problems: &mut Problems,
) -> Choices {
    let mut choices = Choices::default();
    let Some(sheet) = sheet else {
        return choices;
    };
    choices.sheet = Some(sheet.name.clone());
    if sheet.rows.len() <= 1 && headers.list.is_empty() {
        return choices;
    }
    let mut missing = false;
    for (role, header) in [(Role::ListName, "list_name"), (Role::Name, "name")] {
        if !headers.has(role) {
            problems.sheet(
                &sheet.name,
                Severity::Error,
                format!("the choices sheet has no {header} column"),
            );
            missing = true;
        }
    }
    if missing {
        return choices;
    }
    choices.columns = headers
        .list
        .iter()
        .filter(|h| h.role == Role::Other)
        .map(|h| h.column.header.clone())
        .collect();
    // First row of each choice name per list, for duplicate messages.
    let mut seen: HashMap<(usize, String), u32> = HashMap::new();
    for row in sheet.rows.iter().filter(|r| r.number > 1) {
        let cells = RowCells::new(row, headers);
        for (column, value) in cells.media() {
            let _ = value;
            problems.cell(
                &sheet.name,
                row.number,
                column,
                Severity::Error,
                "media in choices (images, audio, video) are not supported by pantau: describe the \
                 choice in its label",
            );
        }
        let Some((_, list_name)) = cells.get(Role::ListName) else {
            if cells.has_content() {
                problems.row(
                    &sheet.name,
                    row.number,
                    Severity::Error,
                    "the choice has no list_name",
                );
            }
            continue;
        };
        let list = match choices.index.get(list_name) {
            Some(&i) => i,
            None => {
                choices
                    .index
                    .insert(list_name.to_string(), choices.lists.len());
                choices.lists.push(ChoiceList {
                    name: list_name.to_string(),
                    choices: Vec::new(),
                });
                choices.lists.len() - 1
            }
        };
        let name = cells
            .get(Role::Name)
            .or_else(|| cells.get(Role::AutoValue))
            .map(|(_, n)| n.to_string());
        let Some(name) = name else {
            let message = format!("a choice of list {list_name} has no name");
            match headers.list.iter().find(|h| h.role == Role::Name) {
                Some(h) => {
                    problems.cell(&sheet.name, row.number, &h.column, Severity::Error, message)
                }
                None => problems.row(&sheet.name, row.number, Severity::Error, message),
            }
            continue;
        };
        let name_column = cells.get(Role::Name).or_else(|| cells.get(Role::AutoValue));
        if let Some((column, _)) = name_column {
            if name.chars().any(char::is_whitespace) {
                problems.cell(
                    &sheet.name,
                    row.number,
                    column,
                    Severity::Error,
                    format!(
                        "the choice name '{name}' contains a space: select answers are stored as \
                         choice names separated by spaces"
                    ),
                );
            }
            if let Some(first) = seen.get(&(list, name.clone())) {
                problems.cell(
                    &sheet.name,
                    row.number,
                    column,
                    Severity::Error,
                    format!("duplicate choice {name} in list {list_name} (first in row {first})"),
                );
                continue;
            }
        }
        seen.insert((list, name.clone()), row.number);
        let label = text(&cells, Role::Label, languages, &sheet.name, problems);
        for (lang, column, _) in cells.texts(Role::Label) {
            let references: Vec<String> = label
                .get(lang)
                .map(|t| t.references().map(|(n, _)| n.to_string()).collect())
                .unwrap_or_default();
            if !references.is_empty() {
                choices.usages.push(Usage {
                    owner: None,
                    sheet: sheet.name.clone(),
                    row: row.number,
                    column: column.clone(),
                    role: Role::Label,
                    references,
                    uses_current: false,
                });
            }
        }
        let columns: BTreeMap<String, String> = cells
            .others()
            .map(|(column, value)| (column.header.clone(), value.to_string()))
            .collect();
        choices.lists[list].choices.push(Choice {
            name,
            label,
            row: row.number,
            columns,
        });
    }
    choices
}

/// Reads the settings sheet: its first data row (row 2), as pyxform does.
pub(crate) fn read_settings(sheet: Option<&Sheet>, problems: &mut Problems) -> Settings {
    let mut settings = Settings::default();
    let Some(sheet) = sheet else {
        return settings;
    };
    let headers = Headers::read(sheet, SheetKind::Settings, problems);
    let mut data = sheet.rows.iter().filter(|r| r.number > 1);
    let Some(row) = data.next() else {
        return settings;
    };
    if row.number != 2 {
        problems.row(
            &sheet.name,
            row.number,
            Severity::Warning,
            "settings are read from row 2, which is empty; this row is ignored",
        );
        return settings;
    }
    if let Some(extra) = data.next() {
        problems.row(
            &sheet.name,
            extra.number,
            Severity::Warning,
            "only row 2 of the settings sheet is read; this row is ignored",
        );
    }
    let cells = RowCells::new(row, &headers);
    let get = |role| cells.get(role).map(|(_, v)| v.to_string());
    settings.form_id = get(Role::FormId);
    settings.version = get(Role::Version);
    settings.title = get(Role::FormTitle);
    settings.default_language = get(Role::DefaultLanguage);
    settings
}
