//! Evaluating a form for one participant's answers: relevance, calculations, defaults, labels,
//! choices, validation of a submitted screen and navigation between screens.
//!
//! An [`Evaluation`] is computed in one pass over [`Form::evaluation_order`] and is then read
//! many times; it is pure (the caller passes today's date) and cheap enough to rebuild on every
//! request. The rules, as ODK applies them:
//!
//! - a field or group is relevant when its own `relevant` holds and every enclosing group is
//!   relevant;
//! - a field that is not relevant has no value: its stored answer is ignored, and
//!   [`ScreenCheck::cleared`] tells the caller to drop it;
//! - a field's value is, in order: its `calculation`; the server's prefill (roster, previous wave,
//!   metadata); the stored answer (even an empty one: the participant cleared it); its `default`
//!   (so a default shows until the participant answers); empty;
//! - a field with a `calculation` is read-only.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::expr::{Env, Expr, Value};

use super::answer::{NumberParser, typed_value};
use super::choice_filter::CHOICE_PREFIX;
use super::model::{
    Choice, Condition, DefaultValue, Element, Field, FieldId, FieldKind, Form, Language, Metadata,
    Part, Prefill, Template, Text,
};

/// A form evaluated against one participant's answers.
#[derive(Debug)]
pub struct Evaluation<'a> {
    pub(super) form: &'a Form,
    pub(super) answers: &'a BTreeMap<String, String>,
    pub(super) prefill: &'a BTreeMap<String, String>,
    pub(super) lang: usize,
    pub(super) today: NaiveDate,
    pub(super) number_parser: Option<NumberParser>,
    pub(super) field_relevant: Vec<bool>,
    pub(super) group_relevant: Vec<bool>,
    pub(super) values: Vec<Value>,
}

/// A choice as shown: its stored name and its label in the participant's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownChoice<'a> {
    /// The value stored when it is picked.
    pub name: &'a str,
    /// The label (the name when the choice has no label).
    pub label: String,
}

impl<'a> Evaluation<'a> {
    /// Evaluates `form` with the stored `answers` (normalised text by field name), the server's
    /// `prefill` values (by field name: `roster_first_name`, `previous_income`, `start`, …), the
    /// participant's `language` (a code such as `id` or a language name; unknown means the
    /// form's default) and `today`.
    pub fn new(
        form: &'a Form,
        answers: &'a BTreeMap<String, String>,
        prefill: &'a BTreeMap<String, String>,
        language: &str,
        today: NaiveDate,
    ) -> Evaluation<'a> {
        let mut evaluation = Evaluation {
            form,
            answers,
            prefill,
            lang: form.language_index(language),
            today,
            number_parser: None,
            field_relevant: vec![false; form.fields.len()],
            group_relevant: vec![false; form.groups.len()],
            values: vec![Value::empty(); form.fields.len()],
        };
        evaluation.compute();
        evaluation
    }

    /// Reads `integer` and `decimal` input with `parser` before the built-in reading (the hook
    /// for Rupiah amounts such as `3.500.000` and `3,5 juta`).
    pub fn with_number_parser(mut self, parser: NumberParser) -> Evaluation<'a> {
        self.number_parser = Some(parser);
        self
    }

    fn compute(&mut self) {
        let form = self.form;
        for element in &form.order {
            match *element {
                Element::Group(g) => {
                    let group = &form.groups[g];
                    let inherited = group.parent.is_none_or(|p| self.group_relevant[p]);
                    self.group_relevant[g] = inherited && self.holds(group.relevant.as_ref());
                }
                Element::Field(f) => {
                    let field = &form.fields[f];
                    let inherited = field.group.is_none_or(|g| self.group_relevant[g]);
                    let relevant = inherited && self.holds(field.relevant.as_ref());
                    self.field_relevant[f] = relevant;
                    self.values[f] = if relevant {
                        self.initial_value(field)
                    } else {
                        Value::empty()
                    };
                }
            }
        }
    }

    /// Whether an optional condition holds (no condition always holds).
    fn holds(&self, expr: Option<&Expr>) -> bool {
        expr.is_none_or(|e| e.eval(&self.scope(Value::empty(), None)).to_bool())
    }

    fn initial_value(&self, field: &Field) -> Value {
        if let Some(calculation) = &field.calculation {
            return calculation.eval(&self.scope(Value::empty(), None));
        }
        if let Some(raw) = self.prefill.get(&field.name) {
            let kind = match &field.prefill {
                // A previous-wave value reads as the type of the question it answered.
                Some(Prefill::Previous(source)) => self.form.field(source).map(|s| &s.kind),
                _ => None,
            };
            return typed_value(kind.unwrap_or(&field.kind), raw);
        }
        if field.kind == FieldKind::Metadata(Metadata::Today) {
            return Value::Date(self.today);
        }
        if let Some(raw) = self.answers.get(&field.name) {
            return typed_value(&field.kind, raw);
        }
        match &field.default {
            Some(DefaultValue::Literal(text)) => typed_value(&field.kind, text),
            Some(DefaultValue::Dynamic(expr)) => expr.eval(&self.scope(Value::empty(), None)),
            None => Value::empty(),
        }
    }

    pub(super) fn scope<'s>(&'s self, current: Value, choice: Option<&'s Choice>) -> Scope<'s> {
        Scope {
            form: self.form,
            values: &self.values,
            today: self.today,
            current,
            choice,
        }
    }

    /// The form being evaluated.
    pub fn form(&self) -> &'a Form {
        self.form
    }

    /// The language texts are shown in.
    pub fn language(&self) -> &'a Language {
        &self.form.languages[self.lang]
    }

    /// Whether the field or group `name` applies (its own and its groups' `relevant` hold).
    /// Unknown names are not relevant.
    pub fn is_relevant(&self, name: &str) -> bool {
        match self.form.names.get(name) {
            Some(Element::Field(f)) => self.field_relevant[*f],
            Some(Element::Group(g)) => self.group_relevant[*g],
            None => false,
        }
    }

    /// The value of field `name`: empty when it does not apply or is unknown.
    pub fn value(&self, name: &str) -> Value {
        self.form
            .field_id(name)
            .map_or_else(Value::empty, |f| self.values[f].clone())
    }

    /// The value of field `name` as text, as it is stored (`yyyy-mm-dd` dates, `2.5` numbers,
    /// choice names).
    pub fn text(&self, name: &str) -> String {
        self.value(name).to_text()
    }

    /// The value of field `name` as a participant reads it: choice labels for selects (joined
    /// with commas), the stored text otherwise.
    pub fn display(&self, name: &str) -> String {
        self.form
            .field_id(name)
            .map(|f| self.display_field(f))
            .unwrap_or_default()
    }

    fn display_field(&self, f: FieldId) -> String {
        let field = &self.form.fields[f];
        let value = &self.values[f];
        let Some(list) = field.kind.list().and_then(|l| self.form.choice_list(l)) else {
            return value.to_text();
        };
        let text = value.to_text();
        let labels: Vec<String> = text
            .split_whitespace()
            .map(|name| match list.choices.iter().find(|c| c.name == name) {
                Some(choice) => self.choice_label(choice),
                None => name.to_string(),
            })
            .collect();
        labels.join(", ")
    }

    /// The label of field or group `name` in the participant's language (falling back to the
    /// default language), with `${name}` replaced by display values.
    pub fn label(&self, name: &str) -> String {
        self.element_text(name, |field| &field.label, |group| &group.label)
            .unwrap_or_default()
    }

    /// The hint of field `name`, if it has one.
    pub fn hint(&self, name: &str) -> Option<String> {
        let field = self.form.field(name)?;
        self.interpolate(&field.hint)
    }

    fn element_text(
        &self,
        name: &str,
        field_text: impl Fn(&'a Field) -> &'a Text,
        group_text: impl Fn(&'a super::model::Group) -> &'a Text,
    ) -> Option<String> {
        match self.form.names.get(name)? {
            Element::Field(f) => self.interpolate(field_text(&self.form.fields[*f])),
            Element::Group(g) => self.interpolate(group_text(&self.form.groups[*g])),
        }
    }

    pub(super) fn interpolate(&self, text: &Text) -> Option<String> {
        let template = text.resolve(self.lang, self.form.default_language)?;
        Some(self.fill(template))
    }

    fn fill(&self, template: &Template) -> String {
        let mut out = String::with_capacity(template.source.len());
        for part in &template.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Reference(name, _) => out.push_str(&self.display(name)),
            }
        }
        out
    }

    fn choice_label(&self, choice: &Choice) -> String {
        choice
            .label
            .resolve(self.lang, self.form.default_language)
            .map_or_else(|| choice.name.clone(), |t| self.fill(t))
    }

    /// The choices offered for select `name`, after its `choice_filter`.
    pub fn choices(&self, name: &str) -> Vec<ShownChoice<'a>> {
        let Some(f) = self.form.field_id(name) else {
            return Vec::new();
        };
        self.filtered_choices(f)
            .into_iter()
            .map(|choice| ShownChoice {
                name: &choice.name,
                label: self.choice_label(choice),
            })
            .collect()
    }

    pub(super) fn filtered_choices(&self, f: FieldId) -> Vec<&'a Choice> {
        let field = &self.form.fields[f];
        let Some(list) = field.kind.list().and_then(|l| self.form.choice_list(l)) else {
            return Vec::new();
        };
        match &field.choice_filter {
            None => list.choices.iter().collect(),
            Some(filter) => list
                .choices
                .iter()
                .filter(|choice| {
                    filter
                        .eval(&self.scope(Value::empty(), Some(choice)))
                        .to_bool()
                })
                .collect(),
        }
    }

    /// Whether field `name` must be answered (when it applies).
    pub fn is_required(&self, name: &str) -> bool {
        self.form
            .field_id(name)
            .is_some_and(|f| self.condition(&self.form.fields[f].required))
    }

    /// Whether field `name` is shown without an input: `read_only`, or computed by a
    /// `calculation`.
    pub fn is_read_only(&self, name: &str) -> bool {
        self.form.field_id(name).is_some_and(|f| self.read_only(f))
    }

    pub(super) fn read_only(&self, f: FieldId) -> bool {
        let field = &self.form.fields[f];
        field.calculation.is_some() || self.condition(&field.read_only)
    }

    pub(super) fn condition(&self, condition: &Condition) -> bool {
        match condition {
            Condition::Never => false,
            Condition::Always => true,
            Condition::When(expr) => expr.eval(&self.scope(Value::empty(), None)).to_bool(),
        }
    }

    /// The record to keep: every relevant field with a value (answers, calculations, prefills,
    /// metadata; not notes) as stored text. Answers to questions that no longer apply are left
    /// out, as ODK leaves out non-relevant fields.
    pub fn record(&self) -> BTreeMap<String, String> {
        self.form
            .fields
            .iter()
            .enumerate()
            .filter(|(f, field)| self.field_relevant[*f] && field.kind != FieldKind::Note)
            .filter(|(f, _)| !self.values[*f].is_empty())
            .map(|(f, field)| (field.name.clone(), self.values[f].to_text()))
            .collect()
    }
}

/// The environment an expression sees: the values computed so far, today's date, the answer
/// being checked (for `.`) and, in a choice filter, the choice being tested.
pub(super) struct Scope<'s> {
    form: &'s Form,
    values: &'s [Value],
    today: NaiveDate,
    current: Value,
    choice: Option<&'s Choice>,
}

impl Env for Scope<'_> {
    fn value(&self, name: &str) -> Value {
        if let Some(column) = name.strip_prefix(CHOICE_PREFIX) {
            let Some(choice) = self.choice else {
                return Value::empty();
            };
            return match column {
                "name" => Value::Str(choice.name.clone()),
                "label" => Value::Str(
                    choice
                        .label
                        .resolve(self.form.default_language, self.form.default_language)
                        .map(|t| t.source.clone())
                        .unwrap_or_default(),
                ),
                _ => Value::Str(choice.columns.get(column).cloned().unwrap_or_default()),
            };
        }
        match self.form.names.get(name) {
            Some(Element::Field(f)) => self.values[*f].clone(),
            _ => Value::empty(),
        }
    }

    fn current(&self) -> Value {
        self.current.clone()
    }

    fn today(&self) -> NaiveDate {
        self.today
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::testing::{answers, form, today};
    use super::*;

    const NONE: &[(&str, &str)] = &[];

    #[test]
    fn relevance_is_inherited_from_every_enclosing_group() {
        let form = form(
            "[survey]
             type | name | label | relevant
             text | a | A |
             integer | b | B |
             begin group | outer | Outer | ${a} = 'yes'
             begin group | inner | Inner | ${b} > 1
             text | c | C |
             end group | | |
             text | d | D |
             end group | | |",
        );
        let empty = BTreeMap::new();
        let case = |pairs: &[(&str, &str)]| {
            let answers = answers(pairs);
            let ev = Evaluation::new(&form, &answers, &empty, "", today());
            (
                ev.is_relevant("c"),
                ev.is_relevant("d"),
                ev.is_relevant("inner"),
            )
        };
        assert_eq!(case(&[("a", "no"), ("b", "5")]), (false, false, false));
        assert_eq!(case(&[("a", "yes"), ("b", "0")]), (false, true, false));
        assert_eq!(case(&[("a", "yes"), ("b", "2")]), (true, true, true));
    }

    #[test]
    fn calculations_run_in_dependency_order() {
        // `double` is defined before the value it doubles.
        let form = form(
            "[survey]
             type | name | label | calculation
             calculate | double | | ${plus_one} * 2
             integer | n | N |
             calculate | plus_one | | ${n} + 1",
        );
        let answers = answers(&[("n", "4")]);
        let empty = BTreeMap::new();
        let ev = Evaluation::new(&form, &answers, &empty, "", today());
        assert_eq!(ev.value("plus_one"), Value::Num(5.0));
        assert_eq!(ev.text("double"), "10");
        assert!(ev.is_read_only("double"));
    }

    #[test]
    fn defaults_apply_until_answered() {
        let form = form(
            "[survey]
             type | name | label | default
             integer | visits | Visits | 1
             date | when | When | today()
             text | note | Note |",
        );
        let empty = BTreeMap::new();
        let blank = Evaluation::new(&form, &empty, &empty, "", today());
        assert_eq!(blank.value("visits"), Value::Num(1.0));
        assert_eq!(blank.value("when"), Value::Date(today()));
        assert_eq!(blank.value("note"), Value::empty());
        // An answer, even an empty one (the participant cleared it), replaces the default.
        let cleared = answers(&[("visits", "")]);
        let ev = Evaluation::new(&form, &cleared, &empty, "", today());
        assert_eq!(ev.value("visits"), Value::empty());
        let answered = answers(&[("visits", "3")]);
        let ev = Evaluation::new(&form, &answered, &empty, "", today());
        assert_eq!(ev.value("visits"), Value::Num(3.0));
    }

    #[test]
    fn required_can_be_an_expression() {
        let form = form(
            "[survey]
             type | name | label | required
             select_one yn | has_phone | Phone? | yes
             text | phone | Number | ${has_phone} = 'yes'
             [choices]
             list_name | name | label
             yn | yes | Ya
             yn | no | Tidak",
        );
        let empty = BTreeMap::new();
        let yes = answers(&[("has_phone", "yes")]);
        let no = answers(&[("has_phone", "no")]);
        assert!(Evaluation::new(&form, &yes, &empty, "", today()).is_required("phone"));
        assert!(!Evaluation::new(&form, &no, &empty, "", today()).is_required("phone"));
        assert!(Evaluation::new(&form, &no, &empty, "", today()).is_required("has_phone"));
    }

    #[test]
    fn choice_filter_reads_choice_columns() {
        let form = form(
            "[survey]
             type | name | label | choice_filter
             select_one province | province | Provinsi |
             select_one district | district | Kabupaten | province = ${province}
             [choices]
             list_name | name | label | province
             province | jb | Jawa Barat |
             province | jt | Jawa Tengah |
             district | bekasi | Bekasi | jb
             district | sukabumi | Sukabumi | jb
             district | semarang | Semarang | jt",
        );
        let empty = BTreeMap::new();
        let names = |pairs: &[(&str, &str)]| {
            let answers = answers(pairs);
            let ev = Evaluation::new(&form, &answers, &empty, "", today());
            ev.choices("district")
                .iter()
                .map(|c| c.name.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&[("province", "jb")]), ["bekasi", "sukabumi"]);
        assert_eq!(names(&[("province", "jt")]), ["semarang"]);
        assert!(names(NONE).is_empty());
    }

    #[test]
    fn labels_interpolate_choice_labels_in_the_language() {
        let form = form(
            "[survey]
             type | name | label::Indonesian (id) | label::English (en)
             hidden | roster_first_name | |
             select_one work | work | Pekerjaan ${roster_first_name}? | Work, ${roster_first_name}?
             select_multiple work | also | Juga? |
             note | summary | Anda: ${work}, ${also} | You: ${work}, ${also}
             [choices]
             list_name | name | label::Indonesian (id) | label::English (en)
             work | wage | Buruh | Wage job
             work | resell | Reseller | Reseller
             [settings]
             default_language
             Indonesian (id)",
        );
        let answers = answers(&[("work", "wage"), ("also", "resell wage")]);
        let prefill = BTreeMap::from([("roster_first_name".to_string(), "Siti".to_string())]);
        let id = Evaluation::new(&form, &answers, &prefill, "id", today());
        assert_eq!(id.label("work"), "Pekerjaan Siti?");
        assert_eq!(id.label("summary"), "Anda: Buruh, Reseller, Buruh");
        let en = Evaluation::new(&form, &answers, &prefill, "en", today());
        assert_eq!(en.label("summary"), "You: Wage job, Reseller, Wage job");
        // No English label: the default language's.
        assert_eq!(en.label("also"), "Juga?");
        assert_eq!(en.display("work"), "Wage job");
        assert_eq!(en.choices("work")[0].label, "Wage job");
    }

    #[test]
    fn answers_that_no_longer_apply_are_ignored() {
        let form = form(
            "[survey]
             type | name | label | relevant | calculation
             select_one yn | works | Work? | |
             integer | wage | Wage | ${works} = 'yes' |
             calculate | income | | | coalesce(${wage}, 0) + 0
             [choices]
             list_name | name | label
             yn | yes | Ya
             yn | no | Tidak",
        );
        let answers = answers(&[("works", "no"), ("wage", "5000000")]);
        let empty = BTreeMap::new();
        let ev = Evaluation::new(&form, &answers, &empty, "", today());
        assert!(!ev.is_relevant("wage"));
        assert_eq!(ev.value("wage"), Value::empty());
        assert!(!ev.record().contains_key("wage"));
        assert_eq!(ev.record().get("works").map(String::as_str), Some("no"));
    }

    #[test]
    fn previous_wave_values_take_the_type_of_their_question() {
        let form = form(
            "[survey]
             type | name | label | relevant
             hidden | previous_income | |
             integer | income | Income |
             note | rose | Naik! | ${income} > ${previous_income}",
        );
        let prefill = BTreeMap::from([("previous_income".to_string(), "900000".to_string())]);
        let answers = answers(&[("income", "1000000")]);
        let ev = Evaluation::new(&form, &answers, &prefill, "", today());
        assert_eq!(ev.value("previous_income"), Value::Num(900_000.0));
        assert!(ev.is_relevant("rose"));
        let prefills: Vec<_> = form.prefills().collect();
        assert_eq!(
            prefills,
            [("previous_income", &Prefill::Previous("income".into()))]
        );
    }
}
