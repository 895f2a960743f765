//! Loading a workbook into a [`Form`]: the pipeline from bytes to a checked model, and the
//! helpers the sheet readers share (a row's cells by column role, texts per language,
//! expressions with their errors placed in the cell).
//!
//! ```text
//! bytes ─sheet─▶ text grids ─columns─▶ roles & languages ─choices/survey─▶ fields, groups, lists
//!       ─validate─▶ references, labels, translations ─order─▶ evaluation order ─screens─▶ Form
//! ```
//!
//! Every stage runs even when an earlier one found errors (as far as it can), so a form author
//! sees every problem at once; a [`Form`] is only built when there is no error.

use std::collections::HashMap;

use crate::expr::{self, Expr};

use super::choice_filter;
use super::choices::{read_choices, read_settings};
use super::columns::{Header, Headers, Role, SheetKind};
use super::model::{Condition, Form, Language, Template, Text};
use super::order::evaluation_order;
use super::problem::{Column, Problem, Problems, Severity};
use super::screens::build_screens;
use super::sheet::{SheetRow, read_workbook};
use super::survey::read_survey;
use super::validate::validate;

/// Loads and checks a form; the form is `None` when any problem is an error.
pub(crate) fn load(file: &str, bytes: &[u8]) -> (Option<Form>, Vec<Problem>) {
    let mut problems = Problems::new(file);
    let form = load_into(file, bytes, &mut problems);
    let form = if problems.has_errors() { None } else { form };
    (form, problems.into_sorted())
}

fn load_into(file: &str, bytes: &[u8], problems: &mut Problems) -> Option<Form> {
    let workbook = match read_workbook(file, bytes, &["survey", "choices", "settings"]) {
        Ok(workbook) => workbook,
        Err(message) => {
            problems.file(Severity::Error, message);
            return None;
        }
    };
    let mut sheets = workbook.sheets.into_iter();
    let (survey, choices_sheet, settings_sheet) = (
        sheets.next().flatten(),
        sheets.next().flatten(),
        sheets.next().flatten(),
    );
    let Some(survey) = survey else {
        let found = if workbook.sheet_names.is_empty() {
            "none".to_string()
        } else {
            workbook.sheet_names.join(", ")
        };
        problems.file(
            Severity::Error,
            format!("no survey sheet (sheets found: {found})"),
        );
        return None;
    };
    let settings = read_settings(settings_sheet.as_ref(), problems);

    let mut survey_headers = Headers::read(&survey, SheetKind::Survey, problems);
    let mut choice_headers = choices_sheet
        .as_ref()
        .map(|sheet| Headers::read(sheet, SheetKind::Choices, problems))
        .unwrap_or_default();
    let mut languages = Languages::new(settings.default_language.as_deref());
    languages.resolve(&mut survey_headers, &survey.name, problems);
    if let Some(sheet) = &choices_sheet {
        languages.resolve(&mut choice_headers, &sheet.name, problems);
    }
    let (languages, default_language) = languages.finish(&settings, problems);

    let choices = read_choices(
        choices_sheet.as_ref(),
        &choice_headers,
        languages.len(),
        problems,
    );
    let survey = read_survey(&survey, &survey_headers, &languages, problems)?;
    validate(
        &survey,
        &choices,
        &languages,
        &survey_headers,
        &choice_headers,
        problems,
    );
    let order = evaluation_order(&survey, problems);
    if problems.has_errors() {
        return None;
    }
    let mut form = Form {
        file: file.to_string(),
        settings,
        languages,
        default_language,
        fields: survey.fields,
        groups: survey.groups,
        lists: choices.lists,
        list_index: choices.index,
        names: survey.names,
        order,
        screens: Vec::new(),
    };
    form.screens = build_screens(&form);
    Some(form)
}

/// The form's languages, collected from the headers of the survey and choices sheets.
struct Languages {
    list: Vec<Language>,
    /// The language of plain `label`, `hint`, … columns: the `default_language` setting, else
    /// `default` (pyxform's name for it).
    plain: String,
    has_plain: bool,
    setting: Option<String>,
}

impl Languages {
    fn new(setting: Option<&str>) -> Languages {
        let setting = setting.map(str::trim).filter(|s| !s.is_empty());
        Languages {
            list: Vec::new(),
            plain: setting.unwrap_or("default").to_string(),
            has_plain: false,
            setting: setting.map(str::to_string),
        }
    }

    fn index(&mut self, written: Option<&str>) -> usize {
        let name = match written {
            Some(name) => name,
            None => {
                self.has_plain = true;
                &self.plain.clone()
            }
        };
        let wanted = Language::new(name);
        if let Some(i) = self.list.iter().position(|l| same_language(l, &wanted)) {
            return i;
        }
        self.list.push(wanted);
        self.list.len() - 1
    }

    /// Sets the language index of every translatable header; a second column for the same text
    /// and language (`label` and `label::Indonesian (id)` when Indonesian is the default) is an
    /// error.
    fn resolve(&mut self, headers: &mut Headers, sheet: &str, problems: &mut Problems) {
        let mut seen: HashMap<(Role, usize), u32> = HashMap::new();
        let mut duplicates = Vec::new();
        for (i, header) in headers.list.iter_mut().enumerate() {
            if !header.role.is_translatable() || header.role == Role::Media {
                continue;
            }
            header.lang = self.index(header.language.as_deref());
            if let Some(&earlier) = seen.get(&(header.role, header.lang)) {
                problems.cell(
                    sheet,
                    1,
                    &header.column,
                    Severity::Error,
                    format!(
                        "duplicate column {} (column {} has the same text in {}), only one may be \
                         used",
                        header.column.header,
                        super::problem::column_letter(earlier),
                        self.list[header.lang].name
                    ),
                );
                duplicates.push(i);
            } else {
                seen.insert((header.role, header.lang), header.column.index);
            }
        }
        headers.remove(&duplicates);
    }

    /// The languages and the index of the default one.
    fn finish(
        mut self,
        settings: &super::model::Settings,
        problems: &mut Problems,
    ) -> (Vec<Language>, usize) {
        if self.list.is_empty() {
            self.list.push(Language::new(&self.plain));
        }
        let default = match &self.setting {
            Some(setting) => {
                let wanted = Language::new(setting);
                match self.list.iter().position(|l| same_language(l, &wanted)) {
                    Some(i) => i,
                    None => {
                        let names: Vec<&str> = self.list.iter().map(|l| l.name.as_str()).collect();
                        problems.file(
                            Severity::Warning,
                            format!(
                                "default_language {} matches no label column (languages: {}); \
                                 {} is used",
                                settings.default_language.as_deref().unwrap_or_default(),
                                names.join(", "),
                                names[0]
                            ),
                        );
                        0
                    }
                }
            }
            None if self.has_plain => self.index(None),
            None => 0,
        };
        (self.list, default)
    }
}

/// Two spellings of one language: the same name, or the same code (`Indonesian (id)` and `id`).
fn same_language(a: &Language, b: &Language) -> bool {
    a.name.eq_ignore_ascii_case(&b.name)
        || matches!((&a.code, &b.code), (Some(x), Some(y)) if x == y)
}

/// The cells of one row under recognised headers.
pub(crate) struct RowCells<'a> {
    /// The 1-based row number.
    pub(crate) number: u32,
    cells: Vec<(&'a Header, &'a str)>,
}

impl<'a> RowCells<'a> {
    pub(crate) fn new(row: &'a SheetRow, headers: &'a Headers) -> RowCells<'a> {
        RowCells {
            number: row.number,
            cells: headers.cells(row).collect(),
        }
    }

    /// The cell of a column that is not translatable.
    pub(crate) fn get(&self, role: Role) -> Option<(&'a Column, &'a str)> {
        self.cells
            .iter()
            .find(|(h, _)| h.role == role)
            .map(|(h, v)| (&h.column, *v))
    }

    /// The translated cells of `role`: `(language index, column, text)`.
    pub(crate) fn texts(
        &self,
        role: Role,
    ) -> impl Iterator<Item = (usize, &'a Column, &'a str)> + '_ {
        self.cells
            .iter()
            .filter(move |(h, _)| h.role == role)
            .map(|(h, v)| (h.lang, &h.column, *v))
    }

    /// Media cells (refused when used).
    pub(crate) fn media(&self) -> impl Iterator<Item = (&'a Column, &'a str)> + '_ {
        self.cells
            .iter()
            .filter(|(h, _)| h.role == Role::Media)
            .map(|(h, v)| (&h.column, *v))
    }

    /// Cells of columns with no meaning to pantau (choice columns in the choices sheet).
    pub(crate) fn others(&self) -> impl Iterator<Item = (&'a Column, &'a str)> + '_ {
        self.cells
            .iter()
            .filter(|(h, _)| h.role == Role::Other)
            .map(|(h, v)| (&h.column, *v))
    }

    /// Whether the row says anything pantau reads (Kobo's bookkeeping columns do not count).
    pub(crate) fn has_content(&self) -> bool {
        self.cells
            .iter()
            .any(|(h, _)| !matches!(h.role, Role::Other | Role::AutoName | Role::AutoValue))
    }
}

/// The texts of `role` in every language, with `${name}` placeholders split out; a malformed
/// placeholder is an error in its cell.
pub(crate) fn text(
    cells: &RowCells<'_>,
    role: Role,
    languages: usize,
    sheet: &str,
    problems: &mut Problems,
) -> Text {
    let mut variants = vec![None; languages];
    for (lang, column, value) in cells.texts(role) {
        match Template::parse(value) {
            Ok(template) => {
                if let Some(slot) = variants.get_mut(lang) {
                    *slot = Some(template);
                }
            }
            Err((offset, message)) => {
                problems.cell(
                    sheet,
                    cells.number,
                    column,
                    Severity::Error,
                    format!("at character {}: {message}", offset + 1),
                );
                // Kept as plain text, so that the row does not also count as unlabelled.
                if let Some(slot) = variants.get_mut(lang) {
                    *slot = Some(Template::literal(value));
                }
            }
        }
    }
    Text { variants }
}

/// Parses the expression in `column`, or reports why it cannot be parsed.
pub(crate) fn parse_expression(
    source: &str,
    sheet: &str,
    row: u32,
    column: &Column,
    problems: &mut Problems,
) -> Option<Expr> {
    match expr::parse(source) {
        Ok(expr) => Some(expr),
        Err(error) => {
            problems.cell(
                sheet,
                row,
                column,
                Severity::Error,
                format!("invalid expression {error}"),
            );
            None
        }
    }
}

/// Parses a `choice_filter`, reading bare names as choice columns (see [`choice_filter`]).
pub(crate) fn parse_choice_filter(
    source: &str,
    sheet: &str,
    row: u32,
    column: &Column,
    problems: &mut Problems,
) -> Option<Expr> {
    let rewritten = choice_filter::rewrite(source);
    match expr::parse(&rewritten.text) {
        Ok(expr) => Some(expr),
        Err(error) => {
            let offset = rewritten.original_offset(error.offset);
            let message = error.message.replace(choice_filter::CHOICE_PREFIX, "");
            problems.cell(
                sheet,
                row,
                column,
                Severity::Error,
                format!("invalid expression at character {}: {message}", offset + 1),
            );
            None
        }
    }
}

/// Reads `required` or `read_only`: the XLSForm spellings of yes and no, else an expression.
pub(crate) fn parse_condition(
    source: &str,
    sheet: &str,
    row: u32,
    column: &Column,
    problems: &mut Problems,
) -> Condition {
    match source.trim().to_lowercase().as_str() {
        "" | "no" | "false" | "false()" | "0" => Condition::Never,
        "yes" | "true" | "true()" | "1" => Condition::Always,
        _ => parse_expression(source, sheet, row, column, problems)
            .map_or(Condition::Never, Condition::When),
    }
}

/// Whether `name` is an XML name as XLSForm requires of field and group names: a letter or `_`,
/// then letters, digits, `_`, `-` and `.` (no `:`, which XML reserves for namespaces).
pub(crate) fn is_xml_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

impl Headers {
    /// Drops the headers at `indexes` (duplicates already reported).
    pub(crate) fn remove(&mut self, indexes: &[usize]) {
        if indexes.is_empty() {
            return;
        }
        let list = std::mem::take(&mut self.list);
        let kept = list
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !indexes.contains(i))
            .map(|(_, h)| h)
            .collect();
        *self = Headers::from_list(kept);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_names() {
        for ok in ["age", "_x", "a.b-c_1", "umur_tahun", "nama_lengkap"] {
            assert!(is_xml_name(ok), "{ok}");
        }
        for bad in ["", "1age", "a b", "a:b", "-x", "a$", "${a}"] {
            assert!(!is_xml_name(bad), "{bad}");
        }
    }
}
