//! Screens: what the participant sees at once.
//!
//! A question outside any `field-list` group is a screen of its own; a `field-list` group (with
//! everything inside it, nested groups included) is one screen. Notes and acknowledgements are
//! screens like questions; calculations, hidden and metadata fields are never shown. Which
//! screens apply depends on the answers, so navigation lives on
//! [`Evaluation`](super::Evaluation) (`first_screen`, `next_screen`, `prev_screen`).

use super::model::{Field, FieldId, Form, GroupId};
use super::runtime::Evaluation;

/// One screen of the survey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screen {
    /// The shown fields, in sheet order.
    pub fields: Vec<FieldId>,
    /// The `field-list` group the screen shows, if it is one.
    pub group: Option<GroupId>,
}

/// Splits the form's shown fields into screens, in sheet order.
pub(crate) fn build_screens(form: &Form) -> Vec<Screen> {
    let mut screens: Vec<Screen> = Vec::new();
    for (id, field) in form.fields.iter().enumerate() {
        if !field.kind.is_shown() {
            continue;
        }
        // The outermost field-list group decides: a field-list inside a field-list is already
        // on its parent's screen.
        let list_group = form
            .group_chain(field.group)
            .filter(|&g| form.groups[g].appearance.has("field-list"))
            .last();
        match (list_group, screens.last_mut()) {
            (Some(g), Some(last)) if last.group == Some(g) => last.fields.push(id),
            _ => screens.push(Screen {
                fields: vec![id],
                group: list_group,
            }),
        }
    }
    screens
}

impl Form {
    /// The screens, in order. Whether a screen applies to a participant is
    /// [`Evaluation::is_screen_relevant`](super::Evaluation::is_screen_relevant).
    pub fn screens(&self) -> &[Screen] {
        &self.screens
    }

    /// The screen that shows the field named `name`.
    pub fn screen_of(&self, name: &str) -> Option<usize> {
        let id = self.field_id(name)?;
        self.screens.iter().position(|s| s.fields.contains(&id))
    }
}

impl<'a> Evaluation<'a> {
    /// Whether screen `screen` applies: at least one of its fields is relevant.
    pub fn is_screen_relevant(&self, screen: usize) -> bool {
        self.form
            .screens
            .get(screen)
            .is_some_and(|s| s.fields.iter().any(|&f| self.field_relevant[f]))
    }

    /// The first screen that applies.
    pub fn first_screen(&self) -> Option<usize> {
        (0..self.form.screens.len()).find(|&s| self.is_screen_relevant(s))
    }

    /// The next screen after `from` that applies; `None` at the end of the survey.
    pub fn next_screen(&self, from: usize) -> Option<usize> {
        (from.saturating_add(1)..self.form.screens.len()).find(|&s| self.is_screen_relevant(s))
    }

    /// The screen before `from` that applies; `None` at the start.
    pub fn prev_screen(&self, from: usize) -> Option<usize> {
        (0..from.min(self.form.screens.len()))
            .rev()
            .find(|&s| self.is_screen_relevant(s))
    }

    /// The fields of screen `screen` that apply, in order.
    pub fn screen_fields(&self, screen: usize) -> Vec<&'a Field> {
        self.form.screens.get(screen).map_or_else(Vec::new, |s| {
            s.fields
                .iter()
                .filter(|&&f| self.field_relevant[f])
                .map(|&f| &self.form.fields[f])
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::testing::{answers, form, today};
    use super::*;

    #[test]
    fn field_lists_are_one_screen_and_calculations_none() {
        let form = form(
            "[survey]
             type | name | label | appearance | calculation
             note | intro | Halo | |
             calculate | c | | | 1 + 1
             hidden | roster_first_name | | |
             begin group | g | G | field-list |
             text | a | A | |
             begin group | inner | Inner | |
             text | b | B | |
             end group | | | |
             end group | | | |
             acknowledge | ok | Setuju? | |",
        );
        let shown: Vec<Vec<&str>> = form
            .screens()
            .iter()
            .map(|s| {
                s.fields
                    .iter()
                    .map(|&f| form.fields()[f].name.as_str())
                    .collect()
            })
            .collect();
        assert_eq!(shown, [vec!["intro"], vec!["a", "b"], vec!["ok"]]);
        assert_eq!(
            form.screens()[1].group,
            form.groups().iter().position(|g| g.name == "g")
        );
    }

    #[test]
    fn navigation_skips_screens_that_do_not_apply() {
        let form = form(
            "[survey]
             type | name | label | relevant
             select_one yn | works | Bekerja? |
             integer | wage | Gaji | ${works} = 'yes'
             text | employer | Perusahaan | ${works} = 'yes'
             text | comments | Komentar |
             [choices]
             list_name | name | label
             yn | yes | Ya
             yn | no | Tidak",
        );
        let empty = BTreeMap::new();
        let no = answers(&[("works", "no")]);
        let ev = Evaluation::new(&form, &no, &empty, "", today());
        assert_eq!(ev.first_screen(), Some(0));
        assert_eq!(ev.next_screen(0), Some(3));
        assert_eq!(ev.prev_screen(3), Some(0));
        assert_eq!(ev.next_screen(3), None);
        assert_eq!(ev.prev_screen(0), None);
        let yes = answers(&[("works", "yes")]);
        let ev = Evaluation::new(&form, &yes, &empty, "", today());
        assert_eq!(ev.next_screen(0), Some(1));
        assert_eq!(ev.next_screen(1), Some(2));
        assert_eq!(ev.prev_screen(3), Some(2));
    }
}
