//! Writing roster records: new participants, changed values with their history, and the
//! conflict rule between files.
//!
//! The rule, in the words the problems use: a value last set by an import of a file with the
//! same name (ignoring case) is replaced, because that file is a newer version of the same
//! roster ("federasi-a.xlsx" sent again with corrections). A value set by a file with another
//! name, or by hand in the admin area, is kept, and the row gets a warning naming that file:
//! two unions' lists disagreeing about a person is something a person must settle. A value that
//! a file set and its newer version no longer has (the cell was emptied or the column removed)
//! is cleared. What each import set or cleared for a participant goes into one
//! `participant_row_history` row with the import's id (through [`attributes`]); a new
//! participant's first values are that history's first entry through its row's
//! `history_implicit` flag ([`attributes::NewValues`]).

use std::collections::{BTreeMap, HashMap};

use anyhow::Context;
use rusqlite::{OptionalExtension, Statement, Transaction, params};

use super::ImportOptions;
use super::identity::{Directory, Ident};
use crate::participants::attributes;
use crate::participants::bulk::{BulkLoad, Funnel};
use crate::roster::{RosterRecord, RowProblem, Severity, SheetSummary};

/// Attributes whose values are personal data; a conflict message names them without their
/// values, since problems are copied into workbooks and the database.
const PERSONAL: &[&str] = &[
    "participant_id",
    "nik",
    "name",
    "phone",
    "email",
    "address",
    "birth_date",
    "kpj",
];

/// What storing the records did.
#[derive(Debug, Default)]
pub(super) struct Stored {
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: usize,
    pub problems: Vec<RowProblem>,
}

/// A checked record made ready for storing by the checking thread, so that the storing thread
/// (which sets an import's pace) only writes.
pub(super) struct Prepared {
    pub record: RosterRecord,
    /// The record's values as the stored `attrs` object ([`attributes::encode`]).
    pub attrs: String,
    /// What the record adds to the funnel counts, computed only for a first import.
    pub funnel: Option<Funnel>,
}

impl Prepared {
    /// Encodes `record`'s values, and its funnel counts when `bulk`.
    pub(super) fn new(record: RosterRecord, bulk: bool) -> Prepared {
        let mut attrs = String::with_capacity(512);
        attributes::encode(record.values.iter(), &mut attrs);
        let funnel = bulk.then(|| Funnel::of(&record.values));
        Prepared {
            record,
            attrs,
            funnel,
        }
    }
}

/// The participants a file wrote, with the row that did (sheet as a place, row number).
///
/// The participants it created have consecutive ids, each the table's largest plus one inside
/// the import's transaction: they are kept in a vector from the first of them, which a first
/// import of a million rows fills in order, instead of a hash table it would write at random
/// (48 MB of fresh memory). Any other participant, and a created one out of that sequence,
/// goes to the map.
struct Seen {
    first_created: Option<i64>,
    created: Vec<(usize, usize)>,
    others: HashMap<i64, (usize, usize), foldhash::fast::RandomState>,
}

impl Seen {
    fn with_capacity(rows: usize) -> Seen {
        Seen {
            first_created: None,
            created: Vec::with_capacity(rows),
            others: HashMap::default(),
        }
    }

    fn get(&self, participant: i64) -> Option<(usize, usize)> {
        let in_sequence = self
            .first_created
            .and_then(|first| usize::try_from(participant.checked_sub(first)?).ok())
            .and_then(|place| self.created.get(place));
        in_sequence
            .or_else(|| self.others.get(&participant))
            .copied()
    }

    fn insert(&mut self, participant: i64, row: (usize, usize), created: bool) {
        if created {
            let first = *self.first_created.get_or_insert(participant);
            if first.checked_add(self.created.len() as i64) == Some(participant) {
                self.created.push(row);
                return;
            }
        }
        self.others.insert(participant, row);
    }
}

/// How a record was matched.
enum Resolution {
    New,
    Existing(i64),
}

/// Writes the records of one import, inside its transaction.
pub(super) struct Store<'a, 'c> {
    tx: &'a Transaction<'c>,
    import_id: i64,
    file_name: String,
    now: String,
    directory: Directory,
    /// Import id → whether it imported a file of this file's name.
    same_file: HashMap<i64, bool>,
    /// Participants this file already wrote, with the row that did: its sheet as a place in
    /// `sheets`, so that a million new participants cost no copy of a sheet name each.
    seen: Seen,
    /// The names of the sheets `seen` refers to, in the order first met.
    sheets: Vec<String>,
    /// A first import's bulk load, which new participants go through.
    bulk: Option<BulkLoad<'a>>,
    /// The statements adding a participant, prepared once.
    add_participant: Statement<'a>,
    new_values: attributes::NewValues<'a>,
    out: Stored,
}

impl<'a, 'c> Store<'a, 'c> {
    /// Prepares to store `rows` records for import `import_id` of `file_name`, through `bulk`
    /// when this is a first import.
    pub(super) fn new(
        tx: &'a Transaction<'c>,
        import_id: i64,
        file_name: &str,
        options: &ImportOptions,
        rows: usize,
        bulk: Option<BulkLoad<'a>>,
    ) -> anyhow::Result<Store<'a, 'c>> {
        Ok(Store {
            tx,
            import_id,
            file_name: file_name.to_lowercase(),
            now: super::attempt::timestamp(options.now),
            directory: Directory::new(tx, rows)?,
            same_file: HashMap::new(),
            seen: Seen::with_capacity(rows),
            sheets: Vec::new(),
            bulk,
            add_participant: tx.prepare(
                "INSERT INTO participants
                     (participant_key, pseudonym, created_at, roster_id, nik, phone, email)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?,
            new_values: attributes::NewValues::prepare(tx)?,
            out: Stored::default(),
        })
    }

    /// Whether records should be [`Prepared`] for a first import's bulk load.
    pub(super) fn is_bulk(&self) -> bool {
        self.bulk.is_some()
    }

    /// The counts and problems, each problem's column named by its place in `sheets` (known
    /// in full only once every row was read, which is after the records were stored), and
    /// the bulk load to finish.
    pub(super) fn finish(mut self, sheets: &[SheetSummary]) -> (Stored, Option<BulkLoad<'a>>) {
        for problem in &mut self.out.problems {
            if let Some(name) = &problem.column {
                problem.column = sheets
                    .iter()
                    .find(|s| s.name == problem.sheet)
                    .and_then(|s| s.columns.iter().find(|(n, _)| n == name))
                    .map(|(_, place)| place.clone());
            }
        }
        // Freeing a million-entry directory and the map of rows seen takes a good part of a
        // second; a thread of its own does it while this one builds the indexes.
        let maps = (self.directory, self.seen);
        std::thread::spawn(move || drop(maps));
        (self.out, self.bulk)
    }

    /// Stores one record, or adds the problems that keep it out. A problem's column holds the
    /// attribute name until [`Store::finish`] replaces it by the column's place.
    pub(super) fn record(&mut self, prepared: &Prepared) -> anyhow::Result<()> {
        let record = &prepared.record;
        let place = |name: &str| -> Option<String> { Some(name.to_owned()) };
        let problem = |severity, column: Option<String>, message: String| RowProblem {
            sheet: record.sheet.clone(),
            row: record.row,
            column,
            severity,
            message,
        };
        let mut problems = Vec::new();
        let resolution = self.resolve(record, &mut |severity, ident, message| {
            problems.push(problem(severity, place(ident.attribute()), message))
        })?;
        let Some(resolution) = resolution else {
            self.reject(problems);
            return Ok(());
        };
        match resolution {
            Resolution::New => {
                self.create(prepared)?;
                self.out.new += 1;
            }
            Resolution::Existing(participant) => {
                if let Some((sheet, row)) = self.seen.get(participant) {
                    let sheet = self.sheets.get(sheet).map_or("", String::as_str);
                    problems.push(problem(
                        Severity::Error,
                        None,
                        format!(
                            "this row is about the same participant as sheet {sheet:?}, row \
                             {row} (matched by participant id, NIK or phone); keep one row \
                             per person"
                        ),
                    ));
                    self.reject(problems);
                    return Ok(());
                }
                self.saw(participant, record, false);
                let changed = self.update(participant, prepared, &mut |name, message| {
                    problems.push(problem(Severity::Warning, place(name), message))
                })?;
                if changed {
                    self.out.updated += 1;
                } else {
                    self.out.unchanged += 1;
                }
            }
        }
        self.out.problems.extend(problems);
        Ok(())
    }

    fn reject(&mut self, problems: Vec<RowProblem>) {
        self.out.rejected += 1;
        self.out.problems.extend(problems);
    }

    /// Finds the participant a record is about. `None` when its identifiers contradict each
    /// other (the reasons went to `report` as errors).
    fn resolve(
        &mut self,
        record: &RosterRecord,
        report: &mut dyn FnMut(Severity, Ident, String),
    ) -> anyhow::Result<Option<Resolution>> {
        let value = |ident: Ident| record.get(ident.attribute());
        let mut found = [None; 3];
        for (slot, ident) in Ident::ALL.into_iter().enumerate() {
            if let Some(value) = value(ident) {
                found[slot] = self.directory.find(self.tx, ident, value)?;
            }
        }
        let [by_id, by_nik, by_phone] = found;
        if let (Some(a), Some(b)) = (by_id, by_nik)
            && a != b
        {
            report(
                Severity::Error,
                Ident::Nik,
                format!(
                    "the participant id belongs to participant {} but the NIK to {}; check \
                     which is right",
                    self.pseudonym(a)?,
                    self.pseudonym(b)?
                ),
            );
            return Ok(None);
        }
        if let Some(participant) = by_id.or(by_nik) {
            if by_id.is_none()
                && let Some(id) = value(Ident::Id)
                && self
                    .attribute(participant, "participant_id")?
                    .is_some_and(|known| known != id)
            {
                report(
                    Severity::Error,
                    Ident::Id,
                    format!(
                        "the NIK belongs to participant {}, who has another participant id; a \
                         participant id cannot change, check which is right",
                        self.pseudonym(participant)?
                    ),
                );
                return Ok(None);
            }
            if let Some(other) = by_phone.filter(|&other| other != participant) {
                report(
                    Severity::Warning,
                    Ident::Phone,
                    format!(
                        "the phone number is also recorded for participant {}; is it shared?",
                        self.pseudonym(other)?
                    ),
                );
            }
            return Ok(Some(Resolution::Existing(participant)));
        }
        if let Some(other) = by_phone {
            // Only the phone matches: the same person unless the two disagree on a stronger
            // identifier, as family members sharing one phone do.
            let mut differs = false;
            for ident in [Ident::Id, Ident::Nik] {
                if let Some(value) = value(ident) {
                    let known = self.attribute(other, ident.attribute())?;
                    differs |= known.as_deref().is_some_and(|known| known != value);
                }
            }
            if !differs {
                return Ok(Some(Resolution::Existing(other)));
            }
            report(
                Severity::Warning,
                Ident::Phone,
                format!(
                    "the phone number is also recorded for participant {}, whose NIK or \
                     participant id differs; imported as a separate participant",
                    self.pseudonym(other)?
                ),
            );
            return Ok(Some(Resolution::New));
        }
        // A key without a matching attribute: its attributes were changed by hand.
        Ok(Some(
            match self.directory.find_key(self.tx, &record.key.to_string())? {
                Some(participant) => Resolution::Existing(participant),
                None => Resolution::New,
            },
        ))
    }

    fn create(&mut self, prepared: &Prepared) -> anyhow::Result<()> {
        let record = &prepared.record;
        let key = record.key.to_string();
        let pseudonym = self.directory.new_pseudonym(self.tx)?;
        let lookup = attributes::Lookup::of(&record.values);
        self.add_participant
            .execute(params![
                key,
                pseudonym,
                self.now,
                lookup.roster_id,
                lookup.nik,
                lookup.phone,
                lookup.email
            ])
            .context("cannot add a participant")?;
        let participant = self.tx.last_insert_rowid();
        self.new_values
            .insert(
                participant,
                &prepared.attrs,
                Some(self.import_id),
                &self.now,
            )
            .context("cannot store a participant's values")?;
        if let Some(bulk) = &mut self.bulk {
            let funnel = match &prepared.funnel {
                Some(funnel) => std::borrow::Cow::Borrowed(funnel),
                None => std::borrow::Cow::Owned(Funnel::of(&record.values)),
            };
            bulk.add(participant, &funnel);
        }
        for (name, value) in &record.values {
            if let Some(ident) = Ident::of_attribute(name) {
                self.directory.remember(ident, value, participant);
            }
        }
        self.directory.remember_key(&key, participant);
        self.saw(participant, record, true);
        Ok(())
    }

    /// Notes that `record` wrote `participant`, which it `created` or updated.
    fn saw(&mut self, participant: i64, record: &RosterRecord, created: bool) {
        // Rows come sheet by sheet: the last name is nearly always the one.
        let sheet = match self.sheets.iter().rposition(|name| *name == record.sheet) {
            Some(place) => place,
            None => {
                self.sheets.push(record.sheet.clone());
                self.sheets.len() - 1
            }
        };
        self.seen.insert(participant, (sheet, record.row), created);
    }

    /// Applies a record to an existing participant under the conflict rule; true when
    /// anything changed.
    fn update(
        &mut self,
        participant: i64,
        prepared: &Prepared,
        warn: &mut dyn FnMut(&str, String),
    ) -> anyhow::Result<bool> {
        let record = &prepared.record;
        let stored: Option<(String, Option<i64>, String)> = self
            .tx
            .prepare_cached(
                "SELECT attrs, set_by_import, sources FROM participant_rows
                 WHERE participant_id = ?1",
            )?
            .query_row([participant], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })
            .optional()
            .context("cannot read a participant's values")?;
        for (name, value) in &record.values {
            if let Some(ident) = Ident::of_attribute(name) {
                self.directory.remember(ident, value, participant);
            }
        }
        let Some((attrs, row_source, sources)) = stored else {
            // Every value was removed by hand: the record's values are all new.
            attributes::insert_new(
                self.tx,
                participant,
                &prepared.attrs,
                Some(self.import_id),
                &self.now,
            )
            .context("cannot store a participant's values")?;
            return Ok(!record.values.is_empty());
        };
        // The common case of a re-import: the same values, compared as text without parsing.
        if attrs == prepared.attrs {
            return Ok(false);
        }
        let current = attributes::decode(&attrs);
        let sources: BTreeMap<String, (Option<i64>, String)> =
            serde_json::from_str(&sources).unwrap_or_default();
        let source_of = |name: &str| sources.get(name).map_or(row_source, |(import, _)| *import);
        let mut changes: Vec<(&str, Option<&str>)> = Vec::new();
        for (name, value) in &record.values {
            match current.get(name) {
                None => changes.push((name, Some(value))),
                Some(known) if known == value => {}
                Some(known) => {
                    let source = source_of(name);
                    if self.is_same_file(source)? {
                        changes.push((name, Some(value)));
                    } else {
                        let message = self.conflict(name, known, source)?;
                        warn(name, message);
                    }
                }
            }
        }
        for name in current.keys() {
            if !record.values.contains_key(name) && self.is_same_file(source_of(name))? {
                changes.push((name, None));
            }
        }
        if changes.is_empty() {
            return Ok(false);
        }
        let set: Vec<(&str, &str)> = changes
            .iter()
            .filter_map(|(name, value)| value.map(|value| (*name, value)))
            .collect();
        let cleared: Vec<&str> = changes
            .iter()
            .filter(|(_, value)| value.is_none())
            .map(|(name, _)| *name)
            .collect();
        attributes::set_values(self.tx, participant, &set, Some(self.import_id), &self.now)
            .context("cannot update a participant's values")?;
        attributes::clear_values(self.tx, participant, &cleared)
            .context("cannot clear a participant's value")?;
        attributes::record_changes(
            self.tx,
            participant,
            &changes,
            Some(self.import_id),
            &self.now,
        )
        .context("cannot store a participant's history")?;
        Ok(true)
    }

    /// Whether a value set by import `source` may be replaced by this file.
    fn is_same_file(&mut self, source: Option<i64>) -> anyhow::Result<bool> {
        let Some(source) = source else {
            // Set by hand: a person's correction outranks any roster.
            return Ok(false);
        };
        if source == self.import_id {
            return Ok(true);
        }
        if let Some(same) = self.same_file.get(&source) {
            return Ok(*same);
        }
        let name: Option<String> = self
            .tx
            .query_row(
                "SELECT file_name FROM roster_imports WHERE id = ?1",
                [source],
                |row| row.get(0),
            )
            .optional()?;
        let same = name.is_some_and(|name| name.to_lowercase() == self.file_name);
        self.same_file.insert(source, same);
        Ok(same)
    }

    fn conflict(&self, name: &str, kept: &str, source: Option<i64>) -> anyhow::Result<String> {
        let origin = match source {
            None => "set by hand in pantau".to_owned(),
            Some(id) => {
                let file: Option<String> = self
                    .tx
                    .query_row(
                        "SELECT file_name FROM roster_imports WHERE id = ?1",
                        [id],
                        |row| row.get(0),
                    )
                    .optional()?;
                format!(
                    "from {:?} (import {id})",
                    file.unwrap_or_else(|| "another file".to_owned())
                )
            }
        };
        let kept = if PERSONAL.contains(&name) {
            String::new()
        } else {
            format!(" ({kept:?})")
        };
        Ok(format!(
            "conflict: {name} differs from the value{kept} {origin}, which is kept; correct \
             the file that is wrong, or change the value in pantau"
        ))
    }

    fn attribute(&self, participant: i64, name: &str) -> anyhow::Result<Option<String>> {
        attributes::value(self.tx, participant, name).context("cannot read a participant's value")
    }

    fn pseudonym(&self, participant: i64) -> anyhow::Result<String> {
        self.tx
            .prepare_cached("SELECT pseudonym FROM participants WHERE id = ?1")?
            .query_row([participant], |row| row.get(0))
            .context("cannot read a participant's pseudonym")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_answers_for_created_and_updated_participants_alike() {
        let mut seen = Seen::with_capacity(4);
        // Updated participants first, then created ones in sequence, one out of it, and
        // updated ones again.
        seen.insert(3, (0, 2), false);
        seen.insert(10, (0, 3), true);
        seen.insert(11, (0, 4), true);
        seen.insert(12, (1, 2), true);
        seen.insert(20, (1, 3), true);
        seen.insert(13, (1, 4), true);
        seen.insert(5, (1, 5), false);
        let expected = [
            (3, Some((0, 2))),
            (10, Some((0, 3))),
            (11, Some((0, 4))),
            (12, Some((1, 2))),
            (20, Some((1, 3))),
            (13, Some((1, 4))),
            (5, Some((1, 5))),
            (4, None),
            (9, None),
            (14, None),
            (19, None),
            (i64::MIN, None),
            (i64::MAX, None),
        ];
        for (participant, row) in expected {
            assert_eq!(seen.get(participant), row, "participant {participant}");
        }
        // The sequence went to the vector, the rest to the map.
        assert_eq!(seen.created.len(), 4);
        assert_eq!(seen.others.len(), 3);
    }
}
