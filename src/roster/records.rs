//! From sheets to participant records: finds each sheet's header row, validates and normalises
//! every cell, and works out each row's participant key. Every problem is collected with its
//! sheet, row and column so that a person can fix a whole file in one go.

use std::collections::HashMap;
use std::sync::Arc;

use compact_str::{CompactString, ToCompactString};

use chrono::{Datelike, NaiveDate};

use super::package::{Merge, RowRuns, SheetMarks};
use super::{
    Aliases, Cell, Field, Nik, NikFacts, Phone, Rupiah, Sex, Sheet, SheetPart, find_header_row,
    parse_attendance, parse_date,
};
use crate::reference::Reference;

/// How serious a problem is: an error rejects the row (and so the file); a warning is reported
/// and the row imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Imported, but worth a look.
    Warning,
    /// The row cannot be imported as it is.
    Error,
}

/// One problem with its place in the file.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RowProblem {
    /// Sheet name; empty for problems with the file as a whole.
    pub sheet: String,
    /// Spreadsheet row number (1-based), 0 for problems with a sheet or the file.
    pub row: usize,
    /// Column letters and header, when the problem is in one cell.
    pub column: Option<String>,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong and what to do, in plain words.
    pub message: String,
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        if !self.sheet.is_empty() {
            write!(f, "sheet {:?}", self.sheet)?;
            if self.row > 0 {
                write!(f, ", row {}", self.row)?;
            }
            if let Some(column) = &self.column {
                write!(f, ", column {column}")?;
            }
            f.write_str(": ")?;
        }
        write!(f, "{kind}: {}", self.message)
    }
}

/// How a participant is recognised across rosters, strongest first.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ParticipantKey {
    /// The programme's own participant id.
    Id(String),
    /// The NIK.
    Nik(String),
    /// The normalised mobile number.
    Phone(String),
}

impl std::fmt::Display for ParticipantKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParticipantKey::Id(id) => write!(f, "id:{id}"),
            ParticipantKey::Nik(nik) => write!(f, "nik:{nik}"),
            ParticipantKey::Phone(phone) => write!(f, "phone:{phone}"),
        }
    }
}

/// One valid roster row.
#[derive(Debug, Clone, PartialEq)]
pub struct RosterRecord {
    /// Sheet the row came from.
    pub sheet: String,
    /// Spreadsheet row number.
    pub row: usize,
    /// The participant this row is about.
    pub key: ParticipantKey,
    /// Normalised values by attribute name: known fields by their canonical name, other
    /// columns by their folded header prefixed `extra_`.
    pub values: Values,
}

impl RosterRecord {
    /// A normalised value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name)
    }
}

/// A record's values by attribute name, sorted by name, each name once.
///
/// A sorted vector rather than a map: a sheet's names are sorted once ([`Layout`]) and every
/// row's values are laid out in that order, so a record is built without comparing names and
/// freed without walking a tree (as a `BTreeMap`, building and dropping them took a tenth of
/// a million-row import's checking thread). The names are shared by every record of a sheet
/// (sixteen million copies otherwise), and a value of up to 24 bytes is held inline, like the
/// cell text it was taken from ([`Cell::Text`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Values(Vec<(Arc<str>, CompactString)>);

impl Values {
    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        let at = self
            .0
            .binary_search_by(|(probe, _)| (**probe).cmp(name))
            .ok()?;
        Some(&self.0[at].1)
    }

    /// Whether there is a value of `name`.
    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The values in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.into_iter()
    }

    /// The names, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(name, _)| &**name)
    }

    /// How many values there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One value as [`Values::iter`] gives it.
type Pair<'v> = (&'v str, &'v str);

impl<'v> IntoIterator for &'v Values {
    type Item = Pair<'v>;
    type IntoIter = std::iter::Map<
        std::slice::Iter<'v, (Arc<str>, CompactString)>,
        fn(&'v (Arc<str>, CompactString)) -> Pair<'v>,
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(name, value)| (&**name, value.as_str()))
    }
}

/// Values from (name, value) pairs in any order; a repeated name keeps its last value.
impl<N: Into<Arc<str>>, V: Into<CompactString>> FromIterator<(N, V)> for Values {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(pairs: I) -> Values {
        let mut pairs: Vec<(Arc<str>, CompactString)> = pairs
            .into_iter()
            .map(|(name, value)| (name.into(), value.into()))
            .collect();
        // Stable: of a repeated name, the last pair ends up last, and is the one kept.
        pairs.sort_by(|(a, _), (b, _)| a.cmp(b));
        pairs.reverse();
        pairs.dedup_by(|(a, _), (b, _)| a == b);
        pairs.reverse();
        Values(pairs)
    }
}

/// What a sheet contributed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SheetSummary {
    /// Sheet name.
    pub name: String,
    /// Whether it looked like a roster (it has a header row with identifying columns).
    pub roster: bool,
    /// Spreadsheet row number of the header row.
    pub header_row: Option<usize>,
    /// Header → canonical field, for the columns pantau recognised.
    pub mapped: Vec<(String, String)>,
    /// Headers kept as extra attributes.
    pub extra: Vec<String>,
    /// Data rows read (blank rows not counted).
    pub rows: usize,
    /// Whether the sheet is hidden in the workbook (its rows are read all the same).
    pub hidden: bool,
    /// Attribute name → place of its column ("D (Federasi)"), for problems found later, such
    /// as conflicts with values from other files.
    pub columns: Vec<(String, String)>,
}

/// Everything a roster file holds, ready to store.
#[derive(Debug, Clone, Default)]
pub struct ParsedRoster {
    /// One entry per sheet in the file.
    pub sheets: Vec<SheetSummary>,
    /// Rows without errors.
    pub records: Vec<RosterRecord>,
    /// Every problem, in file order.
    pub problems: Vec<RowProblem>,
    /// Number of data rows read across sheets.
    pub rows_read: usize,
    /// Number of rows with at least one error.
    pub rows_rejected: usize,
}

impl ParsedRoster {
    /// Whether any row or sheet has an error, which keeps the whole file out.
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }
}

/// Settings for reading rosters.
pub struct RosterRules<'a> {
    /// Header alias table.
    pub aliases: &'a Aliases,
    /// Provinces for NIK prefixes.
    pub reference: &'a Reference,
    /// Today's date, for two-digit years and plausibility of birth dates.
    pub today: NaiveDate,
    /// Rows the file is expected to hold (0 when unknown): the check's memory of the keys it
    /// met is sized for them once, rather than grown (and rehashed) twenty times over a
    /// million-row roster.
    pub rows_hint: usize,
}

/// Parses every sheet of a roster file.
pub fn parse_roster(sheets: &[Sheet], rules: &RosterRules) -> ParsedRoster {
    let mut records = Vec::new();
    let mut parsed = parse_roster_each(sheets, rules, &mut |record| records.push(record));
    parsed.records = records;
    parsed
}

/// Parses every sheet of a roster file, handing each valid record to `emit` as soon as its
/// row is checked (so that an import can store it while later rows are still being read);
/// the result's `records` is empty.
pub fn parse_roster_each(
    sheets: &[Sheet],
    rules: &RosterRules,
    emit: &mut dyn FnMut(RosterRecord),
) -> ParsedRoster {
    let mut parts = sheets.iter().flat_map(Sheet::parts);
    let mut marks = |name: &str| {
        sheets
            .iter()
            .find(|s| s.name == name)
            .map(|s| SheetMarks {
                hidden_rows: s.hidden_rows.clone(),
                merged: s.merged.clone(),
            })
            .unwrap_or_default()
    };
    parse_roster_parts(&mut || parts.next(), &mut marks, rules, emit)
}

/// Parses a roster file handed on part by part, as [`super::XlsxStream`] reads it: each sheet
/// is checked as its rows arrive, and each valid record goes to `emit` at once. `marks` gives
/// a sheet's hidden rows and merged cells once its rows were read (a streamed workbook's are
/// found beside the reading, so they are asked for last); their problems are placed where a
/// reader of the whole sheet would have put them, before the sheet's rows.
pub fn parse_roster_parts(
    next: &mut dyn FnMut() -> Option<SheetPart>,
    marks: &mut dyn FnMut(&str) -> SheetMarks,
    rules: &RosterRules,
    emit: &mut dyn FnMut(RosterRecord),
) -> ParsedRoster {
    let mut parsed = ParsedRoster::default();
    let mut seen = Seen::default();
    seen.keys.reserve(rules.rows_hint);
    while let Some(part) = next() {
        // Rows outside a sheet cannot come from the readers; there is nothing to place them in.
        let SheetPart::Start {
            name,
            hidden,
            first_column,
        } = part
        else {
            continue;
        };
        let mut rows = SheetRows {
            next: &mut *next,
            width: 0,
            ended: false,
        };
        let start = SheetStart {
            name,
            hidden,
            first_column,
        };
        parse_sheet(
            &start,
            &mut rows,
            marks,
            rules,
            &mut parsed,
            &mut seen,
            emit,
        );
        // A sheet that is not a roster is read to its end all the same.
        while rows.row().is_some() {}
    }
    if !parsed.sheets.iter().any(|s| s.roster) {
        parsed.problems.push(RowProblem {
            sheet: String::new(),
            row: 0,
            column: None,
            severity: Severity::Error,
            message: "no sheet has a header row with a name, NIK, phone or participant id \
                      column; check the headers"
                .to_owned(),
        });
    }
    parsed
}

/// Columns beyond this are not a roster; a sheet of 16,384 columns is a formatting accident.
pub(super) const MAX_COLUMNS: usize = 512;

/// Rows searched for the header, from the sheet's first row with a value.
const HEAD_ROWS: usize = 30;

/// What is known when a sheet begins.
struct SheetStart {
    name: String,
    hidden: bool,
    first_column: usize,
}

/// The rows of the current sheet, up to its [`SheetPart::End`].
struct SheetRows<'n> {
    next: &'n mut dyn FnMut() -> Option<SheetPart>,
    /// The sheet's width, known at its end.
    width: usize,
    ended: bool,
}

impl SheetRows<'_> {
    /// The next row (0-based spreadsheet row, cells), `None` at the sheet's end.
    fn row(&mut self) -> Option<(usize, Vec<Cell>)> {
        if self.ended {
            return None;
        }
        match (self.next)() {
            Some(SheetPart::Row(at, cells)) => Some((at, cells)),
            Some(SheetPart::End { width }) => {
                self.width = width;
                self.ended = true;
                None
            }
            // The readers always end a sheet before starting the next one.
            Some(SheetPart::Start { .. }) | None => {
                self.ended = true;
                None
            }
        }
    }
}

/// One attribute column: (attribute name, field, place "D (Header)").
type Column = Option<(String, Option<Field>, String)>;

fn parse_sheet(
    sheet: &SheetStart,
    rows: &mut SheetRows,
    marks: &mut dyn FnMut(&str) -> SheetMarks,
    rules: &RosterRules,
    parsed: &mut ParsedRoster,
    seen: &mut Seen,
    emit: &mut dyn FnMut(RosterRecord),
) {
    // The first rows, dense from the first row with a value, for finding the header.
    let mut head: Vec<Vec<Cell>> = Vec::new();
    let mut first_row = None;
    let mut pending = None;
    while let Some((at, cells)) = rows.row() {
        let first = *first_row.get_or_insert(at);
        let index = at.saturating_sub(first);
        if index >= HEAD_ROWS {
            pending = Some((at, cells));
            break;
        }
        if index < head.len() {
            head[index] = cells;
        } else {
            head.resize(index, Vec::new());
            head.push(cells);
        }
    }
    let first_row = first_row.unwrap_or(0);
    let Some(header) = find_header_row(&head, rules.aliases) else {
        parsed.sheets.push(SheetSummary {
            name: sheet.name.clone(),
            roster: false,
            header_row: None,
            mapped: vec![],
            extra: vec![],
            rows: 0,
            hidden: sheet.hidden,
            columns: vec![],
        });
        return;
    };
    let header_at = first_row + header.row;
    let mut summary = SheetSummary {
        name: sheet.name.clone(),
        roster: true,
        header_row: Some(header_at + 1),
        mapped: vec![],
        extra: vec![],
        rows: 0,
        hidden: sheet.hidden,
        columns: vec![],
    };
    if sheet.hidden {
        parsed.problems.push(RowProblem {
            sheet: sheet.name.clone(),
            row: 0,
            column: None,
            severity: Severity::Warning,
            message: "the sheet is hidden in the workbook; its rows were read like the others"
                .to_owned(),
        });
    }
    // Merged cells and hidden rows are known once the sheet was read; their problems go here.
    let marks_at = parsed.problems.len();
    let letters = |index: usize| super::column_letters(sheet.first_column + index);
    let mut columns: Vec<Column> = Vec::new();
    let mut used: HashMap<String, usize> = HashMap::new();
    for (index, (text, field)) in header.columns.iter().enumerate().take(MAX_COLUMNS) {
        let place = format!("{} ({text})", letters(index));
        let column = match field {
            Some(field) => {
                summary.mapped.push((text.clone(), field.name()));
                Some((field.name(), Some(*field), text.clone()))
            }
            None if text.trim().is_empty() => None,
            // Row numbers ("No", "No.") carry nothing about the person.
            None if matches!(super::fold(text).as_str(), "no" | "nourut" | "nomor") => None,
            None => {
                summary.extra.push(text.clone());
                Some((format!("extra_{}", snake(text)), None, text.clone()))
            }
        };
        // The place is formatted once per column, not once per cell: a million-row roster
        // would otherwise format sixteen million strings that are almost never shown.
        let column = column.map(|(name, field, _)| (name, field, place.clone()));
        if let Some((name, _, _)) = &column
            && let Some(first) = used.insert(name.clone(), index)
        {
            parsed.problems.push(RowProblem {
                sheet: sheet.name.clone(),
                row: header_at + 1,
                column: Some(place.clone()),
                severity: Severity::Error,
                message: format!(
                    "two columns mean {name}: {} and this one; remove or rename one",
                    letters(first)
                ),
            });
        }
        if let Some((name, _, place)) = &column {
            summary.columns.push((name.clone(), place.clone()));
        }
        columns.push(column);
    }
    // The width is known at the sheet's end; its warning goes here.
    let width_at = parsed.problems.len();
    let layout = Layout::new(&columns);
    seen.sheets.push(sheet.name.clone());
    let mut check = RowCheck {
        sheet: &sheet.name,
        sheet_index: seen.sheets.len() - 1,
        columns: &columns,
        values: vec![None; layout.names.len()],
        layout,
        rules,
        parsed,
        seen,
        summary: &mut summary,
        emit,
    };
    let buffered = head
        .into_iter()
        .enumerate()
        .skip(header.row + 1)
        .map(|(index, cells)| (first_row + index, cells))
        .chain(pending);
    for (at, cells) in buffered {
        check.row(at, cells);
    }
    while let Some((at, cells)) = rows.row() {
        check.row(at, cells);
    }
    if rows.width > MAX_COLUMNS {
        parsed.problems.insert(
            width_at,
            RowProblem {
                sheet: sheet.name.clone(),
                row: 0,
                column: None,
                severity: Severity::Warning,
                message: format!(
                    "the sheet is {} columns wide; only the first {MAX_COLUMNS} were read",
                    rows.width
                ),
            },
        );
    }
    let marks = marks(&sheet.name);
    let mut found = merged_cells_in_data(&sheet.name, &marks.merged, header_at);
    found.extend(hidden_rows_in_data(
        &sheet.name,
        &marks.hidden_rows,
        header_at + 1,
    ));
    parsed.problems.splice(marks_at..marks_at, found);
    parsed.sheets.push(summary);
}

/// Participants already met in the file, to refuse a second row of the same person.
#[derive(Default)]
struct Seen {
    /// Key → (place of its sheet in `sheets`, spreadsheet row number) of its first row, kept
    /// small: a million-row roster holds a million of them.
    keys: HashMap<SeenKey, (u32, u32), foldhash::fast::RandomState>,
    /// The names of the sheets checked so far, so that a million keys keep no sheet name each.
    sheets: Vec<String>,
}

/// A participant key as the check remembers it: a NIK or phone number (all digits, by then)
/// as a number, which costs no allocation and hashes in one step; anything else as its text.
/// Both carry the key's kind (0 id, 1 NIK, 2 phone), so that keys of two kinds never meet.
#[derive(Debug, PartialEq, Eq, Hash)]
enum SeenKey {
    /// The kind, the number of digits (so that leading zeros still count) and their value.
    Digits(u8, u8, u64),
    /// The kind and the key's text.
    Text(u8, CompactString),
}

impl SeenKey {
    fn of(key: &ParticipantKey) -> SeenKey {
        let (kind, text) = match key {
            ParticipantKey::Id(id) => (0, id),
            ParticipantKey::Nik(digits) => (1, digits),
            ParticipantKey::Phone(digits) => (2, digits),
        };
        // 19 digits always fit a u64.
        if kind > 0
            && (1..=19).contains(&text.len())
            && text.bytes().all(|b| b.is_ascii_digit())
            && let Ok(value) = text.parse::<u64>()
        {
            return SeenKey::Digits(kind, text.len() as u8, value);
        }
        SeenKey::Text(kind, CompactString::new(text))
    }
}

/// A count or place kept in 32 bits; no roster comes near 4 billion rows or sheets.
fn small(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Where a sheet's values go in a record. A record's values are kept sorted by attribute
/// name, so the names are sorted once per sheet and every row's values are put in their
/// place, rather than each value being inserted into a map (and its name compared with the
/// others) once per cell.
struct Layout {
    /// The sheet's attribute names, sorted, each once.
    names: Vec<Arc<str>>,
    /// Each column's place in `names`.
    slots: Vec<Option<usize>>,
    /// The places of the values the row's key and cross-checks read.
    participant_id: Option<usize>,
    nik: Option<usize>,
    phone: Option<usize>,
    sex: Option<usize>,
    birth_date: Option<usize>,
}

impl Layout {
    fn new(columns: &[Column]) -> Layout {
        let mut names: Vec<Arc<str>> = columns
            .iter()
            .flatten()
            .map(|(name, _, _)| Arc::from(name.as_str()))
            .collect();
        names.sort_unstable();
        names.dedup();
        let slot = |name: &str| names.binary_search_by(|probe| (**probe).cmp(name)).ok();
        Layout {
            slots: columns
                .iter()
                .map(|column| column.as_ref().and_then(|(name, _, _)| slot(name)))
                .collect(),
            participant_id: slot("participant_id"),
            nik: slot("nik"),
            phone: slot("phone"),
            sex: slot("sex"),
            birth_date: slot("birth_date"),
            names,
        }
    }
}

/// Checks the data rows of one sheet.
struct RowCheck<'c, 'e> {
    sheet: &'c str,
    /// The sheet's place in `seen.sheets`.
    sheet_index: usize,
    columns: &'c [Column],
    layout: Layout,
    /// The current row's values by their place in `layout.names`; emptied after each row.
    values: Vec<Option<CompactString>>,
    rules: &'c RosterRules<'c>,
    parsed: &'c mut ParsedRoster,
    seen: &'c mut Seen,
    summary: &'c mut SheetSummary,
    emit: &'e mut dyn FnMut(RosterRecord),
}

impl RowCheck<'_, '_> {
    /// Checks the row at 0-based spreadsheet row `at`: its problems are recorded, and a row
    /// without errors goes to `emit`. The row's text values are moved into the record, not
    /// copied.
    fn row(&mut self, at: usize, mut cells: Vec<Cell>) {
        if cells.iter().take(MAX_COLUMNS).all(Cell::is_empty) {
            return;
        }
        let (sheet, rules, layout) = (self.sheet, self.rules, &self.layout);
        self.summary.rows += 1;
        self.parsed.rows_read += 1;
        let row_number = at + 1;
        let mut row_problems = Vec::new();
        let values = &mut self.values;
        // What the row's NIK says, kept from checking it for the cross-checks.
        let mut nik_facts = None;
        for (col, column) in self.columns.iter().enumerate() {
            let Some((_, field, place)) = column else {
                continue;
            };
            let cell = cells
                .get_mut(col)
                .map_or(Cell::Empty, |cell| std::mem::replace(cell, Cell::Empty));
            let mut problem = |severity, message: String| {
                row_problems.push(RowProblem {
                    sheet: sheet.to_owned(),
                    row: row_number,
                    column: Some(place.clone()),
                    severity,
                    message,
                })
            };
            if let Cell::Error(error) = &cell {
                problem(
                    Severity::Error,
                    format!(
                        "the cell shows the formula error {error}; fix the formula or type the value"
                    ),
                );
                continue;
            }
            match normalise(*field, cell, rules, &mut nik_facts) {
                Ok(Some((value, warnings))) => {
                    for warning in warnings {
                        problem(Severity::Warning, warning);
                    }
                    if let Some(slot) = layout.slots[col] {
                        values[slot] = Some(value);
                    }
                }
                Ok(None) => {}
                Err(message) => problem(Severity::Error, message),
            }
        }
        let value = |slot: Option<usize>| slot.and_then(|slot| values[slot].as_deref());
        if let Some(facts) = &nik_facts {
            cross_check(
                facts,
                value(layout.sex),
                value(layout.birth_date),
                &mut |message| {
                    row_problems.push(RowProblem {
                        sheet: sheet.to_owned(),
                        row: row_number,
                        column: None,
                        severity: Severity::Warning,
                        message,
                    })
                },
            );
        }
        let key = if let Some(id) = value(layout.participant_id) {
            Some(ParticipantKey::Id(id.to_owned()))
        } else if let Some(nik) = value(layout.nik) {
            Some(ParticipantKey::Nik(nik.to_owned()))
        } else {
            value(layout.phone).map(|phone| ParticipantKey::Phone(phone.to_owned()))
        };
        // A row whose key cell was itself rejected already says why; do not add a second
        // message about the missing key.
        let key_cell_rejected = row_problems.iter().any(|p| p.severity == Severity::Error);
        let mut row_error = |message: String| {
            row_problems.push(RowProblem {
                sheet: sheet.to_owned(),
                row: row_number,
                column: None,
                severity: Severity::Error,
                message,
            })
        };
        match &key {
            None if !key_cell_rejected => row_error(
                "the row has no participant id, NIK or phone number, so it cannot be matched \
                 to a person"
                    .to_owned(),
            ),
            Some(key) => {
                if let Some((first_sheet, first_row)) = self.seen.keys.insert(
                    SeenKey::of(key),
                    (small(self.sheet_index), small(row_number)),
                ) {
                    let first_sheet = usize::try_from(first_sheet).unwrap_or(usize::MAX);
                    let first_sheet = self.seen.sheets.get(first_sheet).map_or("", String::as_str);
                    row_error(format!(
                        "the same participant ({}) is already on sheet {first_sheet:?}, row \
                         {first_row}; keep one row per person",
                        describe_key(key)
                    ));
                }
            }
            None => {}
        }
        let rejected = row_problems.iter().any(|p| p.severity == Severity::Error);
        self.parsed.problems.extend(row_problems);
        let key = match key {
            Some(key) if !rejected => key,
            _ => {
                if rejected {
                    self.parsed.rows_rejected += 1;
                }
                values.iter_mut().for_each(|value| *value = None);
                return;
            }
        };
        // Already in order: `collect` checks that and builds the map's nodes in one go.
        // In name order already (`layout.names` is sorted, each name once).
        let values = Values(
            values
                .iter_mut()
                .zip(&layout.names)
                .filter_map(|(value, name)| Some((Arc::clone(name), value.take()?)))
                .collect(),
        );
        (self.emit)(RosterRecord {
            sheet: sheet.to_owned(),
            row: row_number,
            key,
            values,
        });
    }
}

/// Runs listed by name in the hidden-rows warning; the rest are counted.
const HIDDEN_RUNS_LISTED: usize = 20;

/// Hidden rows below the header are imported like the others, with one warning per sheet
/// naming them. Hidden rows are often people removed from a list by hiding rather than
/// deleting, but just as often rows a filter hid (a list filtered to one union before it was
/// saved): skipping them would silently drop participants, which is worse than importing
/// someone an officer can then see named in the warning. Hidden rows above the header (title
/// notes) do not matter.
fn hidden_rows_in_data(sheet: &str, hidden: &RowRuns, header_row: usize) -> Option<RowProblem> {
    let runs: Vec<(usize, usize)> = hidden
        .iter()
        .filter_map(|&(first, count)| {
            let end = first.saturating_add(count);
            let first = first.max(header_row + 1);
            (end > first).then(|| (first, end - first))
        })
        .collect();
    let &(first_row, _) = runs.first()?;
    let total: usize = runs.iter().map(|&(_, count)| count).sum();
    let mut listed: Vec<String> = runs
        .iter()
        .take(HIDDEN_RUNS_LISTED)
        .map(|&(first, count)| match count {
            1 => first.to_string(),
            _ => format!("{first}-{}", first + count - 1),
        })
        .collect();
    let shown: usize = runs
        .iter()
        .take(HIDDEN_RUNS_LISTED)
        .map(|&(_, count)| count)
        .sum();
    if total > shown {
        listed.push(format!("and {} more", total - shown));
    }
    let rows = if total == 1 { "row" } else { "rows" };
    Some(RowProblem {
        sheet: sheet.to_owned(),
        row: first_row,
        column: None,
        severity: Severity::Warning,
        message: format!(
            "{total} hidden {rows} ({rows} {}) imported like the others; hidden rows often \
             hold people removed from the list: if so, delete those rows from the roster and \
             ask an administrator to remove the participants",
            listed.join(", ")
        ),
    })
}

/// Merged cells below the header hold their value in the first cell only, so the other rows
/// of the merge would silently lose it (a federation merged over the rows of its members is
/// common). Each such merge is an error naming its range; merged title cells above the header
/// are normal and ignored.
/// `header_row` is 0-based.
fn merged_cells_in_data(sheet: &str, merged: &[Merge], header_row: usize) -> Vec<RowProblem> {
    let mut problems = Vec::new();
    for &((top, left), (bottom, right)) in merged {
        if bottom <= header_row {
            continue;
        }
        let range = format!(
            "{}{}:{}{}",
            super::column_letters(left),
            top + 1,
            super::column_letters(right),
            bottom + 1
        );
        problems.push(RowProblem {
            sheet: sheet.to_owned(),
            row: top + 1,
            column: Some(super::column_letters(left)),
            severity: Severity::Error,
            message: format!(
                "cells {range} are merged, so only the first cell holds the value; unmerge \
                 them and type the value into every row"
            ),
        });
    }
    problems
}

/// The key names its kind but not its value: the value is personal data and problems end up in
/// logs and workbooks.
fn describe_key(key: &ParticipantKey) -> String {
    match key {
        ParticipantKey::Id(id) => format!("participant id {id}"),
        ParticipantKey::Nik(_) => "same NIK".to_owned(),
        ParticipantKey::Phone(_) => "same phone number".to_owned(),
    }
}

type Normalised = Option<(CompactString, Vec<String>)>;

/// One cell to its stored text form. `Ok(None)` is an empty cell. A NIK's facts are put in
/// `nik_facts`. The cell is taken, so that a text is moved into the value when it is already
/// in its stored form.
fn normalise(
    field: Option<Field>,
    cell: Cell,
    rules: &RosterRules,
    nik_facts: &mut Option<NikFacts>,
) -> Result<Normalised, String> {
    let plain = |value: CompactString| Ok(Some((value, Vec::new())));
    if let Some(Field::Attended(_)) = field {
        return plain(CompactString::const_new(if parse_attendance(&cell)? {
            "1"
        } else {
            "0"
        }));
    }
    if cell.is_empty() {
        return Ok(None);
    }
    let Some(field) = field else {
        return plain(cell.into_display());
    };
    match field {
        Field::Nik => {
            let (nik, facts, warnings) =
                Nik::parse_with_facts(&cell, rules.reference, rules.today)?;
            *nik_facts = Some(facts);
            Ok(Some((nik.into_text(), warnings)))
        }
        Field::Phone => plain(Phone::parse(&cell)?.into_text()),
        Field::Sex => plain(CompactString::const_new(Sex::parse(&cell)?.code())),
        Field::BirthDate | Field::LayoffDate | Field::TrainingDate | Field::EnrolmentDate => {
            let date = parse_date(&cell, rules.today)?;
            let mut warnings = Vec::new();
            if date > rules.today {
                return Err(format!("date {date} is in the future"));
            }
            if field == Field::BirthDate {
                let age = rules.today.year() - date.year();
                if !(15..=90).contains(&age) {
                    warnings.push(format!(
                        "birth date {date} gives an age of {age}, which is unusual for a participant"
                    ));
                }
            }
            Ok(Some((date_text(date), warnings)))
        }
        Field::LastWage => {
            let amount = Rupiah::parse(&cell)?;
            let mut warnings = Vec::new();
            if amount.0 > 0 && amount.0 < 100_000 {
                warnings.push(format!(
                    "last wage {} is very low for a monthly wage; was it written in thousands?",
                    amount.display()
                ));
            }
            Ok(Some((amount.0.to_compact_string(), warnings)))
        }
        Field::Age => match &cell {
            Cell::Number(n) if n.fract() == 0.0 && (10.0..=100.0).contains(n) => {
                plain(compact_str::format_compact!("{n:.0}"))
            }
            Cell::Text(text) => {
                let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
                match digits.parse::<u32>() {
                    Ok(age) if (10..=100).contains(&age) => plain(age.to_compact_string()),
                    _ => Err(format!("age {text:?} is not a number of years")),
                }
            }
            other => Err(format!(
                "age {:?} is not a number of years",
                other.display()
            )),
        },
        Field::Email => {
            let email = lowercase(cell.into_display());
            let valid = email.split_once('@').is_some_and(|(user, domain)| {
                !user.is_empty() && domain.contains('.') && !domain.starts_with('.')
            }) && !email.contains(char::is_whitespace);
            if valid {
                plain(email)
            } else {
                Err(format!("email {email:?} is not an email address"))
            }
        }
        Field::Kpj => {
            let digits: String = cell
                .display()
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '-' && *c != '.')
                .collect();
            if !digits.chars().all(|c| c.is_ascii_digit()) {
                return Err(format!(
                    "KPJ number {digits:?} has characters other than digits"
                ));
            }
            let warnings = if digits.len() == 11 {
                vec![]
            } else {
                vec![format!(
                    "KPJ number has {} digits; most have 11",
                    digits.len()
                )]
            };
            Ok(Some((digits.into(), warnings)))
        }
        Field::Disability => {
            let folded = cell.display().to_lowercase();
            let value = match folded.trim() {
                "ya" | "y" | "yes" | "1" | "true" | "ada" => "yes".to_owned(),
                "tidak" | "t" | "no" | "n" | "0" | "false" | "tidak ada" | "-" => "no".to_owned(),
                // A description ("tuna daksa") means yes; keep the words for the manager.
                _ => format!("yes: {}", cell.display()),
            };
            plain(value.into())
        }
        Field::ParticipantId => plain(uppercase_trimmed(cell.into_display())),
        Field::Name
        | Field::Address
        | Field::Province
        | Field::Regency
        | Field::District
        | Field::Confederation
        | Field::Federation
        | Field::Union
        | Field::LastEmployer
        | Field::Sector
        | Field::Cohort
        | Field::TrainingLocation => plain(tidy_text(cell.into_display())),
        Field::Attended(_) => unreachable!("handled above"),
    }
}

/// Collapses runs of spaces; names typed in capitals stay as typed, since "MUHAMMAD" may be how
/// the person writes it. Text that is already tidy (nearly all) is handed back as it is.
fn tidy_text(text: CompactString) -> CompactString {
    if is_tidy(&text) {
        return text;
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ").into()
}

/// Whether `text` has no leading, trailing or repeated whitespace, and none but plain spaces:
/// then collapsing its whitespace leaves it as it is.
fn is_tidy(text: &str) -> bool {
    if text.is_ascii() {
        let bytes = text.as_bytes();
        let space = |b: &u8| matches!(b, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ');
        return !bytes.first().is_some_and(space)
            && !bytes.last().is_some_and(space)
            && !bytes.iter().any(|b| space(b) && *b != b' ')
            && !bytes.windows(2).any(|pair| pair == b"  ");
    }
    // At the start, a space would be a leading one.
    let mut after_space = true;
    for c in text.chars() {
        if c.is_whitespace() {
            if after_space || c != ' ' {
                return false;
            }
            after_space = true;
        } else {
            after_space = false;
        }
    }
    !after_space || text.is_empty()
}

/// `text` lower-cased, in place when it is ASCII (where the two ways agree).
fn lowercase(mut text: CompactString) -> CompactString {
    if text.is_ascii() {
        text.make_ascii_lowercase();
        text
    } else {
        text.to_lowercase()
    }
}

/// `text` trimmed and upper-cased, in place when it is ASCII and needs no trimming.
fn uppercase_trimmed(mut text: CompactString) -> CompactString {
    let trimmed = text.trim();
    if trimmed.len() == text.len() && text.is_ascii() {
        text.make_ascii_uppercase();
        text
    } else {
        trimmed.to_uppercase().into()
    }
}

/// A date as stored, `yyyy-mm-dd` (chrono's `%Y-%m-%d`), written digit by digit: formatting
/// it through chrono's format strings was a tenth of the roster check's time.
fn date_text(date: NaiveDate) -> CompactString {
    let year = date.year();
    if !(0..=9999).contains(&year) {
        // chrono writes such years with a sign.
        return date.format("%Y-%m-%d").to_compact_string();
    }
    let mut text = CompactString::with_capacity(10);
    for (value, digits) in [(year as u32, 4), (date.month(), 2), (date.day(), 2)] {
        if !text.is_empty() {
            text.push('-');
        }
        for place in (0..digits).rev() {
            let digit = value / 10u32.pow(place) % 10;
            text.push(char::from(b'0' + digit as u8));
        }
    }
    text
}

/// Warnings when the NIK disagrees with the roster's sex or birth date.
fn cross_check(
    facts: &NikFacts,
    sex: Option<&str>,
    birth: Option<&str>,
    warn: &mut dyn FnMut(String),
) {
    if let Some(sex) = sex
        && sex != facts.sex.code()
    {
        warn(format!(
            "sex {sex} disagrees with the NIK, which says {}",
            facts.sex.code()
        ));
    }
    if let Some(birth) = birth
        && birth != date_text(facts.birth_date)
    {
        warn("birth date disagrees with the birth date in the NIK".to_owned());
    }
}

/// A header as an attribute name: "Ukuran Baju" → "ukuran_baju".
fn snake(header: &str) -> String {
    let mut name = String::new();
    for c in header.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            name.push(c);
        } else if !name.ends_with('_') && !name.is_empty() {
            name.push('_');
        }
    }
    name.trim_end_matches('_').to_owned()
}

#[cfg(test)]
mod tests;
