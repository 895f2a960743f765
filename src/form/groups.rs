//! Groups in the survey sheet: `begin group` … `end group` kept balanced with a stack, each
//! group's name, label, relevance and appearance, and the warnings for empty groups and for
//! columns that mean nothing on a group.
//!
//! `begin repeat` … `end repeat` are refused (see `types.rs`) but still kept on the stack, so
//! that one refused repeat does not also unbalance every group after it.

use super::columns::Role;
use super::load::RowCells;
use super::model::{Appearance, Element, Group, GroupId, Text};
use super::problem::{Column, Problems, Severity};
use super::survey::Reader;

pub(super) fn display_name(name: &str) -> &str {
    if name.is_empty() { "(no name)" } else { name }
}

pub(super) struct OpenGroup {
    pub(super) group: GroupId,
    pub(super) type_column: Column,
    pub(super) children: usize,
}

impl Reader<'_> {
    /// Reserves the name of a row that cannot be loaded, and keeps groups balanced across
    /// `begin repeat` … `end repeat`.
    pub(super) fn block(&mut self, cells: &RowCells<'_>, type_cell: &str) {
        if let Some((_, name)) = cells.get(Role::Name).or_else(|| cells.get(Role::AutoName)) {
            self.survey.blocked.insert(name.to_string());
        }
        let lower = type_cell.to_lowercase().replace(' ', "_");
        if lower.starts_with("begin_repeat") {
            let type_column = cells.get(Role::Type).map(|(c, _)| c.clone());
            self.push_group(
                String::new(),
                cells.number,
                Text::default(),
                None,
                type_column,
            );
        } else if lower.starts_with("end_repeat") {
            self.stack.pop();
        }
        if let Some(open) = self.stack.last_mut() {
            open.children += 1;
        }
    }

    fn push_group(
        &mut self,
        name: String,
        row: u32,
        label: Text,
        appearance: Option<Appearance>,
        type_column: Option<Column>,
    ) -> GroupId {
        let parent = self.stack.last().map(|o| o.group);
        let id = self.survey.groups.len();
        self.survey.groups.push(Group {
            name,
            row,
            label,
            relevant: None,
            appearance: appearance.unwrap_or_default(),
            parent,
        });
        if let Some(open) = self.stack.last_mut() {
            open.children += 1;
        }
        self.stack.push(OpenGroup {
            group: id,
            type_column: type_column.unwrap_or(Column {
                header: "type".into(),
                index: 0,
            }),
            children: 0,
        });
        id
    }

    pub(super) fn begin_group(
        &mut self,
        cells: &RowCells<'_>,
        type_column: &Column,
        problems: &mut Problems,
    ) {
        let sheet = self.sheet();
        let number = cells.number;
        let name = self
            .name(cells, "begin group", problems)
            .unwrap_or_default();
        let label = self.text(cells, Role::Label, None, problems);
        let appearance = self.appearance(cells, true, problems);
        let id = self.push_group(
            name.clone(),
            number,
            label,
            Some(appearance),
            Some(type_column.clone()),
        );
        if !name.is_empty() {
            self.survey.names.insert(name, Element::Group(id));
        }
        let owner = Element::Group(id);
        self.survey.groups[id].relevant = self.expression(cells, Role::Relevant, owner, problems);
        // Group relevance is the one expression a group has; the rest would be silently lost.
        for role in [
            Role::Required,
            Role::Constraint,
            Role::Calculation,
            Role::Default,
        ] {
            let Some((column, value)) = cells.get(role) else {
                continue;
            };
            let meaningless = matches!(
                value.to_lowercase().as_str(),
                "no" | "false" | "false()" | "0"
            );
            if !meaningless {
                problems.cell(
                    &sheet,
                    number,
                    column,
                    Severity::Warning,
                    format!("{} has no effect on a group", column.header),
                );
            }
        }
    }

    pub(super) fn end_group(&mut self, number: u32, type_column: &Column, problems: &mut Problems) {
        let sheet = self.sheet();
        match self.stack.pop() {
            None => problems.cell(
                &sheet,
                number,
                type_column,
                Severity::Error,
                "end group without a matching begin group",
            ),
            Some(open) if open.children == 0 => {
                let group = &self.survey.groups[open.group];
                problems.cell(
                    &sheet,
                    group.row,
                    &open.type_column,
                    Severity::Warning,
                    format!("group {} is empty", display_name(&group.name)),
                );
            }
            Some(_) => {}
        }
    }
}
