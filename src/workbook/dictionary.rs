//! The bilingual data dictionary (`Kamus data` / `Data dictionary`): every question of the
//! forms in use, with its labels in each programme language side by side, its choices
//! (`name = label`, one per line, per language) and whether its answers are in the participant
//! sheet. Labels come from the forms, so they are written as strings like any other text.

use std::collections::BTreeMap;

use rust_xlsxwriter::{Workbook, XlsxError};

use super::Context;
use super::cells::Grid;
use super::text::{Text, text};
use crate::report::{DictionaryEntry, Report};

/// The programme's languages, or Indonesian and English when the report names none.
pub(crate) fn languages(report: &Report) -> Vec<String> {
    if report.languages.is_empty() {
        vec!["id".to_string(), "en".to_string()]
    } else {
        report.languages.clone()
    }
}

/// A label in exactly `language`, empty when the form has none (the reader sees the gap
/// instead of a label in another language posing as a translation).
fn label_in<'a>(labels: &'a BTreeMap<String, String>, language: &str) -> &'a str {
    labels.get(language).map_or("", String::as_str)
}

/// The choices of `entry` in `language`, one `name = label` per line.
pub(crate) fn choices_in(entry: &DictionaryEntry, language: &str) -> String {
    entry
        .choices
        .iter()
        .map(|(name, labels)| format!("{name} = {}", label_in(labels, language)))
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) fn write(
    workbook: &mut Workbook,
    context: &mut Context,
    report: &Report,
) -> Result<(), XlsxError> {
    let language = context.language;
    let name = context.names.claim(text(Text::SheetDictionary, language));
    let sheet = workbook.add_worksheet().set_name(name)?;
    let mut grid = Grid::new(sheet, &context.formats);
    let codes = languages(report);
    let mut headers: Vec<String> = [Text::Form, Text::Waves, Text::Field, Text::Type]
        .iter()
        .map(|key| text(*key, language).to_string())
        .collect();
    for code in &codes {
        headers.push(format!("{} ({code})", text(Text::Label, language)));
    }
    for code in &codes {
        headers.push(format!("{} ({code})", text(Text::Choices, language)));
    }
    headers.push(text(Text::InParticipantSheet, language).to_string());
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    grid.header(0, &headers)?;
    let wrap = &context.formats.wrap;
    for (index, entry) in report.dictionary.iter().enumerate() {
        let row = index as u32 + 1;
        grid.text(row, 0, &entry.form)?;
        grid.text(row, 1, &entry.waves.join(", "))?;
        grid.text(row, 2, &entry.name)?;
        grid.text(row, 3, &entry.kind)?;
        let mut column = 4;
        for code in &codes {
            grid.text_with(row, column, label_in(&entry.label, code), wrap)?;
            column += 1;
        }
        for code in &codes {
            grid.text_with(row, column, &choices_in(entry, code), wrap)?;
            column += 1;
        }
        let shown = if entry.in_participant_sheet {
            Text::Yes
        } else {
            Text::No
        };
        grid.text(row, column, text(shown, language))?;
    }
    grid.sheet.set_freeze_panes(1, 3)?;
    grid.sheet.autofilter(
        0,
        0,
        report.dictionary.len() as u32,
        headers.len() as u16 - 1,
    )?;
    grid.finish()
}
