//! The form model: what a loaded XLSForm says, with every expression parsed and every name
//! resolved, ready to be evaluated without touching the workbook again.
//!
//! A [`Form`] only exists when loading found no errors, so its invariants hold: names are unique,
//! every `${name}` points at a field, every select has a non-empty choice list, groups are
//! balanced and the fields can be evaluated in [`Form::evaluation_order`] without cycles.

use std::collections::{BTreeMap, HashMap};

use crate::expr::Expr;

pub(crate) use super::template::Part;
pub use super::template::Template;

/// Index of a field in [`Form::fields`].
pub type FieldId = usize;
/// Index of a group in [`Form::groups`].
pub type GroupId = usize;

/// A loaded, valid form.
#[derive(Debug)]
pub struct Form {
    pub(crate) file: String,
    pub(crate) settings: Settings,
    pub(crate) languages: Vec<Language>,
    pub(crate) default_language: usize,
    pub(crate) fields: Vec<Field>,
    pub(crate) groups: Vec<Group>,
    pub(crate) lists: Vec<ChoiceList>,
    pub(crate) list_index: HashMap<String, usize>,
    pub(crate) names: HashMap<String, Element>,
    /// Fields and groups in an order where everything an element's relevance, calculation or
    /// default reads comes before it.
    pub(crate) order: Vec<Element>,
    pub(crate) screens: Vec<super::screens::Screen>,
}

/// A named element of the survey sheet: a field or a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Element {
    /// A question, note, calculation, hidden or metadata field.
    Field(FieldId),
    /// A `begin group` … `end group` block.
    Group(GroupId),
}

/// The `settings` sheet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// `form_id` (or `id_string`): the form's identifier.
    pub form_id: Option<String>,
    /// `version`.
    pub version: Option<String>,
    /// `form_title` (or `title`).
    pub title: Option<String>,
    /// `default_language` as written (`Indonesian (id)`).
    pub default_language: Option<String>,
}

/// A language of the form's texts, from column headers such as `label::Indonesian (id)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Language {
    /// The name as written after `::` (`Indonesian (id)`), or the `default_language` setting (or
    /// `default`) for plain `label` columns.
    pub name: String,
    /// The code in parentheses (`id`) or, for a name that is itself a short code (`id`, `en`),
    /// the name lower-cased.
    pub code: Option<String>,
}

impl Language {
    pub(crate) fn new(name: &str) -> Language {
        let name = name.trim().to_string();
        let code = match (name.rfind('('), name.ends_with(')')) {
            (Some(open), true) => Some(name[open + 1..name.len() - 1].trim().to_lowercase()),
            _ if (2..=3).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphabetic()) => {
                Some(name.to_lowercase())
            }
            _ => None,
        };
        Language { name, code }
    }

    /// Whether `wanted` (a code such as `id`, or a name such as `Indonesian (id)`) means this
    /// language.
    pub fn matches(&self, wanted: &str) -> bool {
        let wanted = wanted.trim();
        self.name.eq_ignore_ascii_case(wanted)
            || self
                .code
                .as_deref()
                .is_some_and(|code| code.eq_ignore_ascii_case(wanted))
    }
}

/// A text in every language of the form (a label, hint or message), each possibly interpolating
/// `${name}` values. Index `i` holds the text in [`Form::languages`]`[i]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Text {
    pub(crate) variants: Vec<Option<Template>>,
}

impl Text {
    /// Whether the text is missing in every language.
    pub fn is_empty(&self) -> bool {
        self.variants.iter().all(Option::is_none)
    }

    /// The template in language `lang`, without falling back.
    pub fn get(&self, lang: usize) -> Option<&Template> {
        self.variants.get(lang).and_then(Option::as_ref)
    }

    /// The template in `lang`, else in `default`, else in the first language that has one.
    pub fn resolve(&self, lang: usize, default: usize) -> Option<&Template> {
        self.get(lang)
            .or_else(|| self.get(default))
            .or_else(|| self.variants.iter().flatten().next())
    }
}

/// What kind of field a survey row is. Groups are [`Group`]s, not fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    /// `text`: free text.
    Text,
    /// `integer`: a whole number.
    Integer,
    /// `decimal`: a number.
    Decimal,
    /// `date`: a calendar date, stored as `yyyy-mm-dd`.
    Date,
    /// `select_one LIST`: one choice name.
    SelectOne {
        /// The choice list's name.
        list: String,
    },
    /// `select_multiple LIST`: choice names separated by spaces.
    SelectMultiple {
        /// The choice list's name.
        list: String,
    },
    /// `note`: a text shown, no answer.
    Note,
    /// `acknowledge`: a statement to confirm; its answer is `OK`.
    Acknowledge,
    /// `calculate`: a value computed from `calculation`, never shown.
    Calculate,
    /// `hidden`: a value never shown, filled from the roster, the previous wave or its default
    /// (see the module documentation for the `roster_` and `previous_` conventions).
    Hidden,
    /// A metadata field filled by the server, never shown.
    Metadata(Metadata),
}

impl FieldKind {
    /// Whether the participant sees this field on a screen.
    pub fn is_shown(&self) -> bool {
        !matches!(
            self,
            FieldKind::Calculate | FieldKind::Hidden | FieldKind::Metadata(_)
        )
    }

    /// Whether the participant types or picks an answer (notes are shown but not answered).
    pub fn takes_answer(&self) -> bool {
        self.is_shown() && !matches!(self, FieldKind::Note)
    }

    /// The choice list of a select.
    pub fn list(&self) -> Option<&str> {
        match self {
            FieldKind::SelectOne { list } | FieldKind::SelectMultiple { list } => Some(list),
            _ => None,
        }
    }

    /// Whether a question of this kind needs a label to make sense on screen.
    pub(crate) fn needs_label(&self) -> bool {
        self.is_shown()
    }

    /// The type as written in XLSForm, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Integer => "integer",
            FieldKind::Decimal => "decimal",
            FieldKind::Date => "date",
            FieldKind::SelectOne { .. } => "select_one",
            FieldKind::SelectMultiple { .. } => "select_multiple",
            FieldKind::Note => "note",
            FieldKind::Acknowledge => "acknowledge",
            FieldKind::Calculate => "calculate",
            FieldKind::Hidden => "hidden",
            FieldKind::Metadata(m) => m.type_name(),
        }
    }
}

/// Metadata fields. `start`, `end` and `today` are filled by the server (the time the participant
/// opened the survey, the time they submitted, the date); the device and user metadata of ODK
/// Collect have no meaning in a browser and stay empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metadata {
    /// `start`: when the participant first opened the survey.
    Start,
    /// `end`: when the participant submitted.
    End,
    /// `today`: the date of the survey.
    Today,
    /// `deviceid`, `username`, `phonenumber`, `email`, `audit`, …: accepted so that Kobo forms
    /// load; the server fills `deviceid` and `username` (see `web::survey::metadata`), the
    /// others stay empty.
    Unfilled(&'static str),
}

impl Metadata {
    /// The type as written in XLSForm.
    pub fn type_name(&self) -> &'static str {
        match self {
            Metadata::Start => "start",
            Metadata::End => "end",
            Metadata::Today => "today",
            Metadata::Unfilled(name) => name,
        }
    }
}

/// A yes/no column that may also be an expression (`required`, `read_only`).
#[derive(Debug, Clone, Default)]
pub enum Condition {
    /// Empty, `no`, `false`, `false()`, `0`.
    #[default]
    Never,
    /// `yes`, `true`, `true()`, `TRUE`, `1`.
    Always,
    /// Any other expression, evaluated with the answers.
    When(Expr),
}

/// The `default` column: a literal value, or (as pyxform reads a default that contains `${` or a
/// function call) an expression.
#[derive(Debug, Clone)]
pub enum DefaultValue {
    /// A fixed value as written.
    Literal(String),
    /// A value computed when the field has no answer yet.
    Dynamic(Expr),
}

/// The space-separated `appearance` tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Appearance(pub(crate) Vec<String>);

impl Appearance {
    /// The appearances pantau acts on; others are kept and reported as ignored.
    pub const SUPPORTED: &'static [&'static str] =
        &["field-list", "minimal", "numbers", "multiline"];

    /// Whether `token` is among the appearances (case-insensitive).
    pub fn has(&self, token: &str) -> bool {
        self.0.iter().any(|t| t.eq_ignore_ascii_case(token))
    }

    /// The tokens as written.
    pub fn tokens(&self) -> &[String] {
        &self.0
    }
}

/// Where the server takes a field's value from, by pantau's naming convention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prefill {
    /// `hidden` field `roster_<attribute>`: the participant's roster attribute.
    Roster(String),
    /// `hidden` field `previous_<field>`: the same participant's answer to `<field>` in the
    /// previous wave.
    Previous(String),
    /// A metadata field.
    Metadata(Metadata),
}

/// One field of the survey sheet.
#[derive(Debug, Clone)]
pub struct Field {
    /// The `name` column, unique in the form.
    pub name: String,
    /// The `type` column.
    pub kind: FieldKind,
    /// The 1-based spreadsheet row.
    pub row: u32,
    /// The `label` columns.
    pub label: Text,
    /// The `hint` columns.
    pub hint: Text,
    /// `required`.
    pub required: Condition,
    /// `required_message` columns.
    pub required_message: Text,
    /// `relevant`: when the field applies (together with its groups').
    pub relevant: Option<Expr>,
    /// `constraint`, with `.` as the answer being checked.
    pub constraint: Option<Expr>,
    /// `constraint_message` columns.
    pub constraint_message: Text,
    /// `calculation`.
    pub calculation: Option<Expr>,
    /// `default`.
    pub default: Option<DefaultValue>,
    /// `choice_filter`, with choice columns read as `${__choice__.column}` (bare names are
    /// rewritten so, see `choice_filter.rs`).
    pub choice_filter: Option<Expr>,
    /// `read_only`.
    pub read_only: Condition,
    /// `appearance`.
    pub appearance: Appearance,
    /// The innermost enclosing group.
    pub group: Option<GroupId>,
    /// Where the server takes the value from, if anywhere.
    pub prefill: Option<Prefill>,
}

/// A `begin group` … `end group` block.
#[derive(Debug, Clone)]
pub struct Group {
    /// The `name` column.
    pub name: String,
    /// The row of `begin group`.
    pub row: u32,
    /// The label, shown as a heading (may be empty).
    pub label: Text,
    /// `relevant`, inherited by everything inside.
    pub relevant: Option<Expr>,
    /// `appearance`; `field-list` makes the group one screen.
    pub appearance: Appearance,
    /// The enclosing group.
    pub parent: Option<GroupId>,
}

/// A list of the `choices` sheet.
#[derive(Debug, Clone)]
pub struct ChoiceList {
    /// `list_name`.
    pub name: String,
    /// The choices in sheet order.
    pub choices: Vec<Choice>,
}

/// One choice.
#[derive(Debug, Clone)]
pub struct Choice {
    /// `name`: the stored value.
    pub name: String,
    /// The label columns.
    pub label: Text,
    /// The 1-based row in the choices sheet.
    pub row: u32,
    /// Other columns by header (used by `choice_filter`, e.g. `province`).
    pub columns: BTreeMap<String, String>,
}

impl Form {
    /// The file the form was loaded from, as named by the caller.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The `settings` sheet.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The form's identifier: `form_id` from the settings, else the file name without its
    /// extension (as pyxform does).
    pub fn id(&self) -> &str {
        if let Some(id) = self.settings.form_id.as_deref() {
            return id;
        }
        let name = self.file.rsplit(['/', '\\']).next().unwrap_or(&self.file);
        name.rsplit_once('.').map_or(name, |(stem, _)| stem)
    }

    /// How many questions the participant answers (fields that take an answer; not notes,
    /// calculations, hidden or metadata fields).
    pub fn question_count(&self) -> usize {
        self.fields.iter().filter(|f| f.kind.takes_answer()).count()
    }

    /// The names of the languages, as written in the column headers.
    pub fn language_names(&self) -> Vec<&str> {
        self.languages.iter().map(|l| l.name.as_str()).collect()
    }

    /// The languages of the form's texts, in the order of their first column.
    pub fn languages(&self) -> &[Language] {
        &self.languages
    }

    /// The default language (the `default_language` setting, else the plain `label` column's,
    /// else the first).
    pub fn default_language(&self) -> &Language {
        &self.languages[self.default_language]
    }

    /// The index of the language `wanted` names (by code or name), else the default language.
    pub fn language_index(&self, wanted: &str) -> usize {
        self.languages
            .iter()
            .position(|l| l.matches(wanted))
            .unwrap_or(self.default_language)
    }

    /// All fields in sheet order.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// All groups in order of their `begin group` rows.
    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// The field named `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        match self.names.get(name) {
            Some(Element::Field(id)) => Some(&self.fields[*id]),
            _ => None,
        }
    }

    /// The id of the field named `name`.
    pub fn field_id(&self, name: &str) -> Option<FieldId> {
        match self.names.get(name) {
            Some(Element::Field(id)) => Some(*id),
            _ => None,
        }
    }

    /// The group named `name`.
    pub fn group(&self, name: &str) -> Option<&Group> {
        match self.names.get(name) {
            Some(Element::Group(id)) => Some(&self.groups[*id]),
            _ => None,
        }
    }

    /// The choice list named `name`.
    pub fn choice_list(&self, name: &str) -> Option<&ChoiceList> {
        self.list_index.get(name).map(|&i| &self.lists[i])
    }

    /// All choice lists in order of first appearance.
    pub fn choice_lists(&self) -> &[ChoiceList] {
        &self.lists
    }

    /// The fields and groups in evaluation order (dependencies first).
    pub fn evaluation_order(&self) -> &[Element] {
        &self.order
    }

    /// The fields the server fills before the survey starts: `(field name, source)` for every
    /// `roster_*` and `previous_*` hidden field and every metadata field.
    pub fn prefills(&self) -> impl Iterator<Item = (&str, &Prefill)> {
        self.fields
            .iter()
            .filter_map(|f| f.prefill.as_ref().map(|p| (f.name.as_str(), p)))
    }

    /// The groups enclosing `group`, innermost first, starting with `group` itself.
    pub(crate) fn group_chain(&self, group: Option<GroupId>) -> impl Iterator<Item = GroupId> + '_ {
        std::iter::successors(group, |&g| self.groups[g].parent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_match_by_code_or_name() {
        let id = Language::new("Indonesian (id)");
        assert_eq!(id.code.as_deref(), Some("id"));
        assert!(id.matches("id"));
        assert!(id.matches("indonesian (id)"));
        assert!(!id.matches("en"));
        assert_eq!(Language::new("en").code.as_deref(), Some("en"));
        assert_eq!(Language::new("default").code, None);
    }
}
