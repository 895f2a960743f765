//! Checking what a participant submits: one screen's raw input read by type and checked
//! (required, constraint, choices offered) with the form's own messages in the participant's
//! language, else pantau's defaults (see `messages.rs`).

use std::collections::BTreeMap;

use super::answer::{InputError, normalize_input};
use super::messages::messages_for;
use super::model::FieldId;
use super::runtime::Evaluation;

/// Why one answer on a screen was refused, in the participant's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name.
    pub field: String,
    /// The form's `constraint_message`/`required_message`, else a default message.
    pub message: String,
}

/// The outcome of checking a submitted screen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScreenCheck {
    /// Normalised answers of the screen's relevant, writable fields (an empty string for a
    /// question left empty), to store over the previous ones.
    pub answers: BTreeMap<String, String>,
    /// Fields of the screen that no longer apply: their stored answers should be dropped.
    pub cleared: Vec<String>,
    /// What must be corrected before moving on; empty when the screen is complete.
    pub errors: Vec<FieldError>,
}

impl ScreenCheck {
    /// Whether the participant may move on.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
}

impl Evaluation<'_> {
    /// Checks the answer of field `f` as it stands: required, then constraint. `None` when it
    /// is accepted.
    pub(super) fn check(&self, f: FieldId) -> Option<String> {
        let field = &self.form.fields[f];
        let messages = messages_for(self.language());
        let value = &self.values[f];
        if value.is_empty() {
            if self.condition(&field.required) {
                return Some(
                    self.interpolate(&field.required_message)
                        .unwrap_or_else(|| messages.required.to_string()),
                );
            }
            return None;
        }
        let constraint = field.constraint.as_ref()?;
        if constraint.eval(&self.scope(value.clone(), None)).to_bool() {
            return None;
        }
        Some(
            self.interpolate(&field.constraint_message)
                .unwrap_or_else(|| messages.constraint.to_string()),
        )
    }

    /// What is wrong with the current answer to field `name` (required and empty, or failing its
    /// constraint), in the participant's language; `None` when it is accepted or the field does
    /// not apply.
    pub fn field_error(&self, name: &str) -> Option<String> {
        let f = self.form.field_id(name)?;
        if !self.field_relevant[f] {
            return None;
        }
        self.check(f)
    }

    /// Whether the current answer to field `name` meets its constraint. As in ODK, an empty
    /// answer, a field without constraint and a field that does not apply always do.
    pub fn constraint_holds(&self, name: &str) -> bool {
        let Some(f) = self.form.field_id(name) else {
            return true;
        };
        let value = &self.values[f];
        match &self.form.fields[f].constraint {
            Some(constraint) if self.field_relevant[f] && !value.is_empty() => {
                constraint.eval(&self.scope(value.clone(), None)).to_bool()
            }
            _ => true,
        }
    }

    /// Checks the values submitted for screen `screen` (raw text by field name; a field of the
    /// screen missing from `submitted` counts as left empty, as an unticked checkbox sends
    /// nothing). The answers are read by type and checked with the other submitted values in
    /// place, so a constraint may compare two questions of one screen.
    pub fn validate_screen(
        &self,
        screen: usize,
        submitted: &BTreeMap<String, String>,
    ) -> ScreenCheck {
        let mut check = ScreenCheck::default();
        let Some(screen) = self.form.screens.get(screen) else {
            return check;
        };
        let writable: Vec<FieldId> = screen
            .fields
            .iter()
            .copied()
            .filter(|&f| self.form.fields[f].kind.takes_answer() && !self.read_only(f))
            .collect();
        // First pass: the raw input in place, so that filters and relevance on this screen see
        // the participant's latest choices.
        let mut merged = self.answers.clone();
        for &f in &writable {
            let name = &self.form.fields[f].name;
            let raw = submitted.get(name).map(|s| s.trim()).unwrap_or_default();
            merged.insert(name.clone(), raw.to_string());
        }
        let mut input_errors: Vec<(FieldId, InputError)> = Vec::new();
        {
            let draft = Evaluation::new(
                self.form,
                &merged,
                self.prefill,
                &self.language().name,
                self.today,
            );
            let mut normalised = Vec::with_capacity(writable.len());
            for &f in &writable {
                let field = &self.form.fields[f];
                let raw = merged.get(&field.name).cloned().unwrap_or_default();
                let offered: Vec<&str> = draft
                    .filtered_choices(f)
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect();
                match normalize_input(&field.kind, &raw, &offered, self.number_parser) {
                    Ok(value) => normalised.push((f, value)),
                    Err(error) => input_errors.push((f, error)),
                }
            }
            for (f, value) in normalised {
                merged.insert(self.form.fields[f].name.clone(), value);
            }
        }
        // Input that could not be read counts as empty for everything else on the screen.
        for &(f, _) in &input_errors {
            merged.insert(self.form.fields[f].name.clone(), String::new());
        }
        let after = Evaluation::new(
            self.form,
            &merged,
            self.prefill,
            &self.language().name,
            self.today,
        );
        let messages = messages_for(self.language());
        for &f in &writable {
            let name = &self.form.fields[f].name;
            if !after.field_relevant[f] {
                check.cleared.push(name.clone());
                continue;
            }
            if let Some(&(_, error)) = input_errors.iter().find(|(g, _)| *g == f) {
                let message = match error {
                    InputError::Integer => messages.integer,
                    InputError::Number => messages.number,
                    InputError::Date => messages.date,
                    InputError::Choice => messages.choice,
                };
                check.errors.push(FieldError {
                    field: name.clone(),
                    message: message.to_string(),
                });
                continue;
            }
            check
                .answers
                .insert(name.clone(), merged.get(name).cloned().unwrap_or_default());
            if let Some(message) = after.check(f) {
                check.errors.push(FieldError {
                    field: name.clone(),
                    message,
                });
            }
        }
        check
    }

    /// Every answer a relevant, answerable question still lacks or fails (required and
    /// constraints), by field name: what a review screen shows before submission.
    pub fn outstanding(&self) -> Vec<FieldError> {
        (0..self.form.fields.len())
            .filter(|&f| self.field_relevant[f] && self.form.fields[f].kind.takes_answer())
            .filter_map(|f| {
                self.check(f).map(|message| FieldError {
                    field: self.form.fields[f].name.clone(),
                    message,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::testing::{answers, form, today};
    use super::*;

    fn errors(check: &ScreenCheck) -> Vec<(&str, &str)> {
        check
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.message.as_str()))
            .collect()
    }

    #[test]
    fn constraints_check_the_current_value() {
        let form = form(
            "[survey]
             type | name | label | constraint | constraint_message::id | constraint_message::en
             integer | age | Umur | . >= 18 and . <= 99 | Umur 18 sampai 99 | Age 18 to 99
             text | phone | HP | regex(., '^08[0-9]+$') | |",
        );
        let empty = BTreeMap::new();
        let ev = Evaluation::new(&form, &empty, &empty, "id", today());
        let age = form.screen_of("age").unwrap();
        let phone = form.screen_of("phone").unwrap();
        let check = ev.validate_screen(age, &answers(&[("age", "17")]));
        assert_eq!(errors(&check), [("age", "Umur 18 sampai 99")]);
        let check = ev.validate_screen(age, &answers(&[("age", " 18 ")]));
        assert!(check.is_ok());
        assert_eq!(check.answers.get("age").map(String::as_str), Some("18"));
        let check = ev.validate_screen(phone, &answers(&[("phone", "12345")]));
        assert_eq!(errors(&check), [("phone", "Isian tidak sesuai")]);
        let en = Evaluation::new(&form, &empty, &empty, "en", today());
        let check = en.validate_screen(age, &answers(&[("age", "100")]));
        assert_eq!(errors(&check), [("age", "Age 18 to 99")]);
        let check = en.validate_screen(phone, &answers(&[("phone", "1")]));
        assert_eq!(errors(&check), [("phone", "Answer not accepted")]);
    }

    #[test]
    fn required_and_type_messages() {
        let form = form(
            "[survey]
             type | name | label | required | required_message
             integer | children | Anak | yes |
             decimal | hours | Jam | yes | Isi jumlah jam
             date | born | Lahir | |",
        );
        let empty = BTreeMap::new();
        let ev = Evaluation::new(&form, &empty, &empty, "", today());
        let screen = |name| form.screen_of(name).unwrap();
        let check = ev.validate_screen(screen("children"), &empty);
        assert_eq!(errors(&check), [("children", "Pertanyaan ini wajib diisi")]);
        let check = ev.validate_screen(screen("children"), &answers(&[("children", "2,5")]));
        assert_eq!(errors(&check), [("children", "Masukkan bilangan bulat")]);
        let check = ev.validate_screen(screen("hours"), &answers(&[("hours", "")]));
        assert_eq!(errors(&check), [("hours", "Isi jumlah jam")]);
        let check = ev.validate_screen(screen("hours"), &answers(&[("hours", "7,5")]));
        assert_eq!(check.answers.get("hours").map(String::as_str), Some("7.5"));
        let check = ev.validate_screen(screen("born"), &answers(&[("born", "31-12-1980")]));
        assert_eq!(check.errors.len(), 1);
        assert!(check.errors[0].message.starts_with("Masukkan tanggal"));
    }

    #[test]
    fn a_field_list_screen_is_checked_as_a_whole() {
        let form = form(
            "[survey]
             type | name | label | relevant | required | appearance | choice_filter
             begin group | work | Kerja | | | field-list |
             select_one yn | works | Bekerja? | | yes | |
             integer | wage | Gaji | ${works} = 'yes' | yes | |
             select_one province | province | Provinsi | | | |
             select_one district | district | Kabupaten | | | | province = ${province}
             end group | | | | | |
             [choices]
             list_name | name | label | province
             yn | yes | Ya |
             yn | no | Tidak |
             province | jb | Jawa Barat |
             district | bekasi | Bekasi | jb
             district | solo | Solo | jt",
        );
        let stored = answers(&[("works", "yes"), ("wage", "3000000")]);
        let empty = BTreeMap::new();
        let ev = Evaluation::new(&form, &stored, &empty, "", today());
        assert_eq!(form.screens().len(), 1);
        // Saying "no" makes the wage question go away, within the same screen.
        let submitted = answers(&[
            ("works", "no"),
            ("wage", ""),
            ("province", "jb"),
            ("district", "bekasi"),
        ]);
        let check = ev.validate_screen(0, &submitted);
        assert!(check.is_ok(), "{:?}", check.errors);
        assert_eq!(check.cleared, ["wage"]);
        assert_eq!(check.answers.get("works").map(String::as_str), Some("no"));
        // A district outside the chosen province is not offered.
        let submitted = answers(&[
            ("works", "yes"),
            ("wage", "1"),
            ("province", "jb"),
            ("district", "solo"),
        ]);
        let check = ev.validate_screen(0, &submitted);
        assert_eq!(
            errors(&check),
            [("district", "Pilih salah satu jawaban yang tersedia")]
        );
    }
}
