//! The `survey` sheet: one field or group boundary per row.
//!
//! Each row is read on its own (type, name, texts, expressions, appearance); groups are kept
//! balanced with a stack. Rows pantau refuses (repeats, locations, unknown types) still reserve
//! their name, so that references to them do not add a second, misleading "undefined field"
//! problem to the one that matters.

use std::collections::{HashMap, HashSet};

use super::columns::{Headers, Role};
use super::groups::{OpenGroup, display_name};
use super::load::{
    RowCells, is_xml_name, parse_choice_filter, parse_condition, parse_expression, text,
};
use super::model::{
    Appearance, Condition, DefaultValue, Element, Field, FieldId, FieldKind, Group, Language,
    Prefill, Text,
};
use super::problem::{Column, Problems, Severity};
use super::sheet::Sheet;
use super::types::{TypeSpec, parse_type};

/// The fields and groups of the survey sheet, with what cross-checks need.
#[derive(Debug, Default)]
pub(crate) struct Survey {
    /// The sheet's name as written.
    pub(crate) sheet: String,
    pub(crate) fields: Vec<Field>,
    pub(crate) groups: Vec<Group>,
    pub(crate) names: HashMap<String, Element>,
    /// Names of rows that were refused or not understood.
    pub(crate) blocked: HashSet<String>,
    /// Every expression and text that refers to fields, for reference and cycle checks.
    pub(crate) usages: Vec<Usage>,
    /// Literal defaults of selects, checked against the choice lists.
    pub(crate) select_defaults: Vec<(FieldId, Column, String)>,
}

/// One expression or text that refers to fields by `${name}`.
#[derive(Debug, Clone)]
pub(crate) struct Usage {
    /// The field or group the column belongs to (`None` for choice labels).
    pub(crate) owner: Option<Element>,
    pub(crate) sheet: String,
    pub(crate) row: u32,
    pub(crate) column: Column,
    pub(crate) role: Role,
    pub(crate) references: Vec<String>,
    pub(crate) uses_current: bool,
}

/// Reads the survey sheet; `None` when it has no usable header row.
pub(crate) fn read_survey(
    sheet: &Sheet,
    headers: &Headers,
    languages: &[Language],
    problems: &mut Problems,
) -> Option<Survey> {
    if headers.list.is_empty() {
        problems.sheet(
            &sheet.name,
            Severity::Error,
            "the survey sheet has no header row: row 1 must name the columns (type, name, label, …)",
        );
        return None;
    }
    if !headers.has(Role::Type) {
        problems.sheet(
            &sheet.name,
            Severity::Error,
            "the survey sheet has no type column",
        );
        return None;
    }
    if !headers.has(Role::Name) && !headers.has(Role::AutoName) {
        problems.sheet(
            &sheet.name,
            Severity::Error,
            "the survey sheet has no name column",
        );
        return None;
    }
    let mut reader = Reader {
        survey: Survey {
            sheet: sheet.name.clone(),
            ..Survey::default()
        },
        headers,
        languages: languages.len(),
        stack: Vec::new(),
        name_rows: HashMap::new(),
        typed_rows: 0,
    };
    for row in sheet.rows.iter().filter(|r| r.number > 1) {
        let cells = RowCells::new(row, headers);
        reader.row(&cells, problems);
    }
    for open in std::mem::take(&mut reader.stack) {
        let group = &reader.survey.groups[open.group];
        problems.cell(
            &sheet.name,
            group.row,
            &open.type_column,
            Severity::Error,
            format!(
                "begin group {} has no matching end group",
                display_name(&group.name)
            ),
        );
    }
    if reader.typed_rows == 0 {
        problems.sheet(
            &sheet.name,
            Severity::Error,
            "the survey sheet has no questions",
        );
    }
    Some(reader.survey)
}

pub(super) struct Reader<'a> {
    pub(super) survey: Survey,
    pub(super) headers: &'a Headers,
    pub(super) languages: usize,
    pub(super) stack: Vec<OpenGroup>,
    pub(super) name_rows: HashMap<String, u32>,
    /// Rows with a type, whether or not they could be read.
    pub(super) typed_rows: usize,
}

impl Reader<'_> {
    pub(super) fn sheet(&self) -> String {
        self.survey.sheet.clone()
    }

    fn row(&mut self, cells: &RowCells<'_>, problems: &mut Problems) {
        let sheet = self.sheet();
        let number = cells.number;
        for (column, _) in cells.media() {
            problems.cell(
                &sheet,
                number,
                column,
                Severity::Error,
                "media (images, audio, video) are not supported by pantau: say it in the label",
            );
        }
        let Some((type_column, type_cell)) = cells.get(Role::Type) else {
            if cells.has_content() {
                let type_column = self
                    .headers
                    .list
                    .iter()
                    .find(|h| h.role == Role::Type)
                    .map(|h| h.column.clone());
                let message = "missing type: the row has content but no type";
                match type_column {
                    Some(column) => {
                        problems.cell(&sheet, number, &column, Severity::Error, message)
                    }
                    None => problems.row(&sheet, number, Severity::Error, message),
                }
            }
            return;
        };
        self.typed_rows += 1;
        let spec = parse_type(type_cell);
        let kind = match spec {
            TypeSpec::EndGroup => {
                self.end_group(number, type_column, problems);
                return;
            }
            TypeSpec::BeginGroup => {
                self.begin_group(cells, type_column, problems);
                return;
            }
            TypeSpec::Refused(message)
            | TypeSpec::Unknown(message)
            | TypeSpec::BadSelect(message) => {
                problems.cell(&sheet, number, type_column, Severity::Error, message);
                self.block(cells, type_cell);
                return;
            }
            TypeSpec::Unfilled(metadata, warning) => {
                problems.cell(&sheet, number, type_column, Severity::Warning, warning);
                FieldKind::Metadata(metadata)
            }
            TypeSpec::Field(kind) => kind,
        };
        self.field(cells, kind, problems);
    }

    fn field(&mut self, cells: &RowCells<'_>, kind: FieldKind, problems: &mut Problems) {
        let sheet = self.sheet();
        let number = cells.number;
        let Some(name) = self.name(cells, kind.type_name(), problems) else {
            if let Some(open) = self.stack.last_mut() {
                open.children += 1;
            }
            return;
        };
        let id = self.survey.fields.len();
        let owner = Element::Field(id);
        let label = self.text(cells, Role::Label, Some(owner), problems);
        let hint = self.text(cells, Role::Hint, Some(owner), problems);
        let required_message = self.text(cells, Role::RequiredMessage, Some(owner), problems);
        let constraint_message = self.text(cells, Role::ConstraintMessage, Some(owner), problems);
        if kind.needs_label() && label.is_empty() && hint.is_empty() {
            let message = format!("{} question {name} has no label", kind.type_name());
            match self.headers.list.iter().find(|h| h.role == Role::Label) {
                Some(h) => problems.cell(&sheet, number, &h.column, Severity::Error, message),
                None => problems.row(&sheet, number, Severity::Error, message),
            }
        }
        let relevant = self.expression(cells, Role::Relevant, owner, problems);
        let constraint = self.expression(cells, Role::Constraint, owner, problems);
        let calculation = self.expression(cells, Role::Calculation, owner, problems);
        if kind == FieldKind::Calculate && cells.get(Role::Calculation).is_none() {
            let message = format!("calculate {name} has no calculation");
            match self
                .headers
                .list
                .iter()
                .find(|h| h.role == Role::Calculation)
            {
                Some(h) => problems.cell(&sheet, number, &h.column, Severity::Error, message),
                None => problems.row(&sheet, number, Severity::Error, message),
            }
        }
        let required = self.condition(cells, Role::Required, owner, problems);
        let read_only = self.condition(cells, Role::ReadOnly, owner, problems);
        let choice_filter = match cells.get(Role::ChoiceFilter) {
            Some((column, source)) if kind.list().is_some() => {
                let expr = parse_choice_filter(source, &sheet, number, column, problems);
                if let Some(expr) = &expr {
                    self.use_expression(owner, number, column, Role::ChoiceFilter, expr);
                }
                expr
            }
            Some((column, _)) => {
                problems.cell(
                    &sheet,
                    number,
                    column,
                    Severity::Warning,
                    format!(
                        "choice_filter is ignored on a {} question: it only filters select \
                         choices",
                        kind.type_name()
                    ),
                );
                None
            }
            None => None,
        };
        let default = self.default(cells, &kind, id, owner, problems);
        let appearance = self.appearance(cells, false, problems);
        let prefill = self.prefill(&name, &kind);
        let group = self.stack.last().map(|o| o.group);
        if let Some(open) = self.stack.last_mut() {
            open.children += 1;
        }
        self.survey.names.insert(name.clone(), owner);
        self.survey.fields.push(Field {
            name,
            kind,
            row: number,
            label,
            hint,
            required,
            required_message,
            relevant,
            constraint,
            constraint_message,
            calculation,
            default,
            choice_filter,
            read_only,
            appearance,
            group,
            prefill,
        });
    }

    /// The row's name, checked: present, an XML name, not used before.
    pub(super) fn name(
        &mut self,
        cells: &RowCells<'_>,
        what: &str,
        problems: &mut Problems,
    ) -> Option<String> {
        let sheet = self.sheet();
        let number = cells.number;
        let Some((column, name)) = cells.get(Role::Name).or_else(|| cells.get(Role::AutoName))
        else {
            let message = format!("{what} has no name");
            match self.headers.list.iter().find(|h| h.role == Role::Name) {
                Some(h) => problems.cell(&sheet, number, &h.column, Severity::Error, message),
                None => problems.row(&sheet, number, Severity::Error, message),
            }
            return None;
        };
        if !is_xml_name(name) || name.starts_with("__choice__") {
            problems.cell(
                &sheet,
                number,
                column,
                Severity::Error,
                format!(
                    "invalid name {name}: use only letters, digits, _, - and . and start with a \
                     letter or _"
                ),
            );
            self.survey.blocked.insert(name.to_string());
            return None;
        }
        if let Some(first) = self.name_rows.get(name) {
            problems.cell(
                &sheet,
                number,
                column,
                Severity::Error,
                format!("duplicate name {name} (first used in row {first})"),
            );
            return None;
        }
        self.name_rows.insert(name.to_string(), number);
        Some(name.to_string())
    }

    pub(super) fn text(
        &mut self,
        cells: &RowCells<'_>,
        role: Role,
        owner: Option<Element>,
        problems: &mut Problems,
    ) -> Text {
        let sheet = self.sheet();
        let text = text(cells, role, self.languages, &sheet, problems);
        for (lang, column, _) in cells.texts(role) {
            if let Some(template) = text.get(lang) {
                let references: Vec<String> =
                    template.references().map(|(n, _)| n.to_string()).collect();
                if !references.is_empty() {
                    self.survey.usages.push(Usage {
                        owner,
                        sheet: sheet.clone(),
                        row: cells.number,
                        column: column.clone(),
                        role,
                        references,
                        uses_current: false,
                    });
                }
            }
        }
        text
    }

    pub(super) fn expression(
        &mut self,
        cells: &RowCells<'_>,
        role: Role,
        owner: Element,
        problems: &mut Problems,
    ) -> Option<crate::expr::Expr> {
        let sheet = self.sheet();
        let (column, source) = cells.get(role)?;
        let expr = parse_expression(source, &sheet, cells.number, column, problems)?;
        self.use_expression(owner, cells.number, column, role, &expr);
        Some(expr)
    }

    fn use_expression(
        &mut self,
        owner: Element,
        row: u32,
        column: &Column,
        role: Role,
        expr: &crate::expr::Expr,
    ) {
        self.survey.usages.push(Usage {
            owner: Some(owner),
            sheet: self.survey.sheet.clone(),
            row,
            column: column.clone(),
            role,
            references: expr.references().into_iter().map(|r| r.name).collect(),
            uses_current: expr.uses_current(),
        });
    }

    fn condition(
        &mut self,
        cells: &RowCells<'_>,
        role: Role,
        owner: Element,
        problems: &mut Problems,
    ) -> Condition {
        let sheet = self.sheet();
        let Some((column, source)) = cells.get(role) else {
            return Condition::Never;
        };
        let condition = parse_condition(source, &sheet, cells.number, column, problems);
        if let Condition::When(expr) = &condition {
            self.use_expression(owner, cells.number, column, role, expr);
        }
        condition
    }

    /// The `default` column: a literal checked against the type, or a dynamic expression.
    fn default(
        &mut self,
        cells: &RowCells<'_>,
        kind: &FieldKind,
        id: FieldId,
        owner: Element,
        problems: &mut Problems,
    ) -> Option<DefaultValue> {
        let sheet = self.sheet();
        let number = cells.number;
        let (column, source) = cells.get(Role::Default)?;
        if is_dynamic(source) {
            let expr = parse_expression(source, &sheet, number, column, problems)?;
            self.use_expression(owner, number, column, Role::Default, &expr);
            return Some(DefaultValue::Dynamic(expr));
        }
        let problem = match kind {
            FieldKind::Integer if source.parse::<i64>().is_err() => {
                Some(format!("default {source} is not a whole number"))
            }
            FieldKind::Decimal if super::answer::parse_decimal(source).is_none() => {
                Some(format!("default {source} is not a number"))
            }
            FieldKind::Date if super::answer::parse_date(source).is_none() => Some(format!(
                "default {source} is not a date written as yyyy-mm-dd"
            )),
            FieldKind::Note | FieldKind::Metadata(_) => Some(format!(
                "a {} has no answer, so it cannot have a default",
                kind.type_name()
            )),
            FieldKind::SelectOne { .. } | FieldKind::SelectMultiple { .. } => {
                self.survey
                    .select_defaults
                    .push((id, column.clone(), source.to_string()));
                None
            }
            _ => None,
        };
        if let Some(message) = problem {
            problems.cell(&sheet, number, column, Severity::Error, message);
            return None;
        }
        Some(DefaultValue::Literal(source.to_string()))
    }

    pub(super) fn appearance(
        &mut self,
        cells: &RowCells<'_>,
        is_group: bool,
        problems: &mut Problems,
    ) -> Appearance {
        let sheet = self.sheet();
        let Some((column, source)) = cells.get(Role::Appearance) else {
            return Appearance::default();
        };
        let tokens: Vec<String> = source.split_whitespace().map(str::to_string).collect();
        for token in &tokens {
            let lower = token.to_lowercase();
            let message = match (is_group, lower.as_str()) {
                (true, "field-list") => None,
                (false, "field-list") => {
                    Some("appearance field-list only applies to groups; it is ignored here".into())
                }
                (false, t) if Appearance::SUPPORTED.contains(&t) => None,
                _ => Some(format!("appearance {token} is ignored by pantau")),
            };
            if let Some(message) = message {
                problems.cell(&sheet, cells.number, column, Severity::Warning, message);
            }
        }
        Appearance(tokens)
    }

    /// pantau's naming convention for values the server fills in.
    fn prefill(&self, name: &str, kind: &FieldKind) -> Option<Prefill> {
        if let FieldKind::Metadata(metadata) = kind {
            return Some(Prefill::Metadata(*metadata));
        }
        let source = name
            .strip_prefix("roster_")
            .map(|a| Prefill::Roster(a.to_string()))
            .or_else(|| {
                name.strip_prefix("previous_")
                    .map(|f| Prefill::Previous(f.to_string()))
            })
            .filter(|p| !matches!(p, Prefill::Roster(a) | Prefill::Previous(a) if a.is_empty()))?;
        // Any other type with such a name is an ordinary field: a text question named
        // `previous_employer` asks the participant.
        (*kind == FieldKind::Hidden).then_some(source)
    }
}

/// Whether a default is an expression: pyxform treats a default with `${` or a function call as
/// dynamic.
fn is_dynamic(source: &str) -> bool {
    if source.contains("${") {
        return true;
    }
    let chars: Vec<char> = source.trim().chars().collect();
    let name_len = chars
        .iter()
        .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | ':'))
        .count();
    name_len > 0
        && chars[0].is_alphabetic()
        && chars[name_len..].iter().find(|c| !c.is_whitespace()) == Some(&'(')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynamic_defaults_are_recognised() {
        assert!(is_dynamic("today()"));
        assert!(is_dynamic("${a} + 1"));
        assert!(is_dynamic("concat('a', 'b')"));
        assert!(!is_dynamic("yes"));
        assert!(!is_dynamic("2024-01-01"));
        assert!(!is_dynamic("(none)"));
    }
}
