//! Test support: forms written from a compact text description, so that unit tests read like
//! the form they test.
//!
//! `[sheet]` starts a sheet; each following line is a row with cells separated by `|`
//! (surrounding spaces trimmed, empty cells left unwritten).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_xlsxwriter::Workbook;

use super::{Form, Problem};

/// The workbook a description describes, as xlsx bytes.
pub(crate) fn xlsx(spec: &str) -> Vec<u8> {
    let mut sheets: Vec<(&str, Vec<Vec<&str>>)> = Vec::new();
    for line in spec.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            sheets.push((name, Vec::new()));
        } else if let Some((_, rows)) = sheets.last_mut() {
            rows.push(line.split('|').map(str::trim).collect());
        }
    }
    let mut workbook = Workbook::new();
    for (name, rows) in sheets {
        let sheet = workbook.add_worksheet();
        sheet.set_name(name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate().filter(|(_, c)| !c.is_empty()) {
                sheet.write_string(r as u32, c as u16, *cell).unwrap();
            }
        }
    }
    workbook.save_to_buffer().unwrap()
}

/// Loads a described form, panicking with the problems when it has an error.
pub(crate) fn form(spec: &str) -> Form {
    Form::load_bytes("test.xlsx", &xlsx(spec)).unwrap_or_else(|problems: Vec<Problem>| {
        let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
        panic!("the test form does not load:\n{}", listed.join("\n"))
    })
}

/// Answers from `name=value` pairs.
pub(crate) fn answers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The date the tests run on.
pub(crate) fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, 1).unwrap()
}
