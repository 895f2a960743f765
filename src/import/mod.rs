//! Roster import: one file in, participants stored, every problem reported. This is the single
//! import path behind `pantau import FILE...` and the scheduled job's inbox folder.
//!
//! The application layer around the roster domain ([`crate::roster`]): it hashes the file, reads
//! and parses it, matches each row to a participant, writes the values with their history, and
//! writes an error workbook when there are problems. The rules it keeps:
//!
//! * **Whole or nothing.** One file is one `IMMEDIATE` transaction. Any error in any row rejects
//!   the whole file: the transaction is rolled back and only a `roster_imports` row recording
//!   the attempt (status `rejected`, or `failed` for a file that cannot be read or an internal
//!   failure) is written, with its problems, in a small transaction of its own. Warnings do not
//!   block. A crash or `kill -9` during an import leaves the database as it was, because SQLite
//!   discards an uncommitted transaction on the next open.
//! * **Once per content.** A file whose SHA-256 matches an import with status `imported` is
//!   `skipped`, and said so, before it is even parsed.
//! * **Identity** (`identity.rs`): a row is matched to an existing participant by participant
//!   id, else NIK, else phone; a participant id or NIK that points at two different
//!   participants is an error; a phone shared with someone whose NIK or id differs is a warning
//!   and the row becomes a new participant. Two rows of one file that reach the same
//!   participant (one by NIK, one by phone) are an error, like two rows with the same key.
//! * **Updates and conflicts** (`store.rs`): a value last set by an import of a file with the
//!   same name (compared without case) is replaced, since that file is a newer version of the
//!   same roster; a value set by a file with a different name, or by hand in the admin area, is
//!   kept and the difference reported as a warning, never silently overwritten. A value a file
//!   set earlier and its newer version no longer has is cleared. What an import set or cleared
//!   for a participant is one `participant_row_history` row with the import's id; a new
//!   participant's values, all set by the import that created it, are that history's first
//!   entry without a row of their own until they first change (`history_implicit`, migration
//!   0012).
//! * **Dry run.** Everything runs inside the transaction and is rolled back; the counts are
//!   what would have happened. Nothing is recorded in the database, but an error workbook is
//!   still written, since finding problems is the point of a dry run.
//! * **Error workbook** (`error_workbook.rs`): written to the reports folder for any file with
//!   problems, errors or warnings: a list of every problem, then the rows that have problems
//!   with all their original cells, the bad cells highlighted.
//!
//! Logs carry counts and ids only, never values from the roster.

mod attempt;
mod error_workbook;
mod identity;
mod stages;
mod store;
mod values_index;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, TransactionBehavior};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::journal;
use crate::participants::bulk::BulkLoad;
use crate::reference::Reference;
use crate::roster::{self, Aliases, ParsedRoster, RosterRules, RowProblem, Severity, SheetSummary};
use anyhow::Context;
use stages::Source;

pub use error_workbook::write_error_workbook;

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportStatus {
    /// The file's participants were stored (or would be, in a dry run).
    Imported,
    /// A row or sheet has an error: nothing from the file was stored.
    Rejected,
    /// The same content was imported before.
    Skipped,
    /// The file is not a readable roster (empty, damaged, password-protected, not a
    /// spreadsheet).
    Unreadable,
    /// pantau could not finish (a database or disk failure); nothing was stored.
    Failed,
}

impl ImportStatus {
    /// The status as written in `roster_imports.status`.
    fn stored(self) -> &'static str {
        match self {
            ImportStatus::Imported => "imported",
            ImportStatus::Rejected => "rejected",
            ImportStatus::Skipped => "skipped",
            ImportStatus::Unreadable | ImportStatus::Failed => "failed",
        }
    }
}

/// Row counts of one file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Data rows read, across sheets.
    pub read: usize,
    /// Rows that created a participant.
    pub new: usize,
    /// Rows that changed an existing participant.
    pub updated: usize,
    /// Rows that matched a participant and changed nothing.
    pub unchanged: usize,
    /// Rows with at least one error.
    pub rejected: usize,
}

/// The result of importing one file.
#[derive(Debug, Clone, Serialize)]
pub struct FileOutcome {
    /// The file name as given (no folder).
    pub file_name: String,
    /// What happened.
    pub status: ImportStatus,
    /// Whether this was a dry run (nothing stored whatever the status says).
    pub dry_run: bool,
    /// The `roster_imports` row recording it; `None` in a dry run.
    pub import_id: Option<i64>,
    /// SHA-256 of the file's bytes, hex.
    pub content_hash: String,
    /// Row counts.
    #[serde(flatten)]
    pub counts: Counts,
    /// Number of warnings among the problems.
    pub warnings: usize,
    /// Every problem, errors and warnings, in file order.
    pub problems: Vec<RowProblem>,
    /// What each sheet contributed.
    pub sheets: Vec<SheetSummary>,
    /// The error workbook, when the file had problems.
    pub error_workbook: Option<PathBuf>,
    /// One line for people: why a file was skipped, unreadable or failed.
    pub message: Option<String>,
}

impl FileOutcome {
    fn new(file_name: &str, content_hash: String, dry_run: bool) -> FileOutcome {
        FileOutcome {
            file_name: file_name.to_owned(),
            status: ImportStatus::Imported,
            dry_run,
            import_id: None,
            content_hash,
            counts: Counts::default(),
            warnings: 0,
            problems: Vec::new(),
            sheets: Vec::new(),
            error_workbook: None,
            message: None,
        }
    }

    /// Number of errors among the problems.
    pub fn errors(&self) -> usize {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .count()
    }
}

/// Told how an import is getting on, for a progress bar. All methods have empty defaults.
pub trait ImportProgress {
    /// A new stage begins: `"reading"`, `"checking"` or `"storing"`, with the number of steps
    /// it has (rows), 0 when unknown.
    fn stage(&self, _name: &'static str, _total: u64) {}
    /// `steps` more steps of the current stage are done.
    fn advance(&self, _steps: u64) {}
    /// The file is done.
    fn finish(&self) {}
}

/// An [`ImportProgress`] that shows nothing.
pub struct NoProgress;

impl ImportProgress for NoProgress {}

/// Everything an import needs besides the file.
pub struct ImportOptions<'a> {
    /// Run everything, then roll back.
    pub dry_run: bool,
    /// Today's date in the programme's time zone (birth dates, two-digit years).
    pub today: NaiveDate,
    /// The time recorded on the import and its values.
    pub now: DateTime<Utc>,
    /// Where error workbooks are written.
    pub reports_dir: &'a Path,
    /// Header aliases.
    pub aliases: &'a Aliases,
    /// Reference data (NIK province prefixes).
    pub reference: &'a Reference,
    /// Whether a skipped file gets a `roster_imports` row. The command line records skips so
    /// a person sees them on the imports page; the inbox sweep does not, since it meets the
    /// same files every run.
    pub record_skipped: bool,
    /// Progress reports.
    pub progress: &'a dyn ImportProgress,
}

/// Imports one roster file. Never panics on bad input and never returns an error: every way a
/// file can go wrong is an outcome with a status and a message naming the file.
pub fn import_file(
    conn: &mut Connection,
    file_name: &str,
    bytes: &[u8],
    options: &ImportOptions,
) -> FileOutcome {
    let started = Instant::now();
    let content_hash = hex(&Sha256::digest(bytes));
    let mut outcome = FileOutcome::new(file_name, content_hash, options.dry_run);
    let cache_size: Option<i64> = conn
        .pragma_query_value(None, "cache_size", |row| row.get(0))
        .ok();
    // A first import writes the whole programme in one commit: through a rollback journal
    // when nothing else has the file open (`db::journal`).
    let rollback_journal = !options.dry_run
        && BulkLoad::qualifies(conn).unwrap_or(false)
        && journal::leave_wal(conn).unwrap_or(false);
    let result = run(conn, bytes, options, &mut outcome, started, true);
    if rollback_journal {
        journal::back_to_wal(conn);
    }
    if let Some(size) = cache_size {
        let _ = conn.pragma_update(None, "cache_size", size);
    }
    match result {
        Ok(()) => {}
        Err(err) => {
            tracing::error!(error = %format!("{err:#}"), "roster import failed");
            outcome.status = ImportStatus::Failed;
            outcome.import_id = None;
            outcome.message = Some(format!("{file_name}: pantau could not finish: {err:#}"));
            if !options.dry_run {
                // The transaction is gone; record the attempt if the database still answers.
                outcome.import_id = attempt::record(conn, &outcome, options, started).ok();
            }
        }
    }
    options.progress.finish();
    tracing::info!(
        import_id = outcome.import_id,
        status = outcome.status.stored(),
        dry_run = options.dry_run,
        rows_read = outcome.counts.read,
        new = outcome.counts.new,
        updated = outcome.counts.updated,
        unchanged = outcome.counts.unchanged,
        rejected = outcome.counts.rejected,
        warnings = outcome.warnings,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "roster import finished"
    );
    outcome
}

fn run(
    conn: &mut Connection,
    bytes: &[u8],
    options: &ImportOptions,
    outcome: &mut FileOutcome,
    started: Instant,
    streaming: bool,
) -> anyhow::Result<()> {
    let file_name = outcome.file_name.clone();
    if let Some(earlier) = attempt::already_imported(conn, &outcome.content_hash)? {
        outcome.status = ImportStatus::Skipped;
        outcome.message = Some(format!(
            "{file_name}: the same content was already imported (import {earlier})"
        ));
        if options.record_skipped && !options.dry_run {
            outcome.import_id = Some(attempt::record(conn, outcome, options, started)?);
        }
        return Ok(());
    }

    options.progress.stage("reading", 0);
    let stream = match streaming {
        true => roster::XlsxStream::open(&file_name, bytes),
        false => Ok(None),
    };
    let opened = match stream {
        Ok(Some(stream)) => Ok(Source::Stream(stream)),
        Ok(None) => roster::read_roster(&file_name, bytes).map(Source::Whole),
        Err(reason) => Err(reason),
    };
    let source = match opened {
        Ok(source) => source,
        Err(reason) => return unreadable(conn, options, outcome, started, &reason),
    };
    options.progress.stage("checking", 0);
    // Data rows at most (the header and title rows are counted too): sizes the page cache,
    // the identifier maps and the progress bar before the rows are parsed.
    let rows_estimate = source.rows_estimate();
    let rules = RosterRules {
        aliases: options.aliases,
        reference: options.reference,
        today: options.today,
        rows_hint: rows_estimate,
    };
    size_cache(conn, rows_estimate)?;
    let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.set_drop_behavior(rusqlite::DropBehavior::Rollback);
    // Checked again under the write lock: another process may have imported the same file
    // since the check above.
    if let Some(earlier) = attempt::already_imported(&tx, &outcome.content_hash)? {
        tx.rollback()?;
        *outcome = FileOutcome::new(&file_name, outcome.content_hash.clone(), options.dry_run);
        outcome.status = ImportStatus::Skipped;
        outcome.message = Some(format!(
            "{file_name}: the same content was already imported (import {earlier})"
        ));
        return Ok(());
    }
    let import_id = attempt::begin(&tx, outcome, options)?;
    // A first import into an empty programme builds its indexes and search index once, at
    // the end, inside this transaction.
    let bulk = BulkLoad::begin(&tx).context("cannot prepare the first import")?;
    options.progress.stage("storing", rows_estimate as u64);
    let mut store = store::Store::new(&tx, import_id, &file_name, options, rows_estimate, bulk)?;
    tracing::info!(import_id, rows_estimate, "storing roster rows");
    let staged = stages::run(&source, &rules, &mut store, options)?;
    let (stored, bulk) = store.finish(&staged.parsed.sheets);
    if let Some(failure) = staged.unreadable {
        // Read only in part: what was stored goes with the transaction.
        drop(bulk);
        tx.rollback()?;
        return match failure {
            roster::StreamError::Unreadable(reason) => {
                unreadable(conn, options, outcome, started, &reason)
            }
            // Rows out of order: read whole, which puts them in order.
            roster::StreamError::OutOfOrder => run(conn, bytes, options, outcome, started, false),
        };
    }
    let ParsedRoster {
        sheets: summaries,
        problems,
        rows_read,
        rows_rejected,
        ..
    } = staged.parsed;
    outcome.sheets = summaries;
    outcome.problems = problems;
    outcome.counts.read = rows_read;
    outcome.counts.rejected = rows_rejected;
    tracing::info!(
        sheets = outcome.sheets.len(),
        rows_read,
        rows_rejected,
        "roster file read"
    );
    // A file with an error in any row is rejected whole, and what storing its other rows
    // found is moot: the file is reported as the parser saw it, as if nothing was stored.
    if outcome.errors() == 0 {
        outcome.counts.new = stored.new;
        outcome.counts.updated = stored.updated;
        outcome.counts.unchanged = stored.unchanged;
        outcome.counts.rejected += stored.rejected;
        outcome.problems.extend(stored.problems);
        sort_problems(&mut outcome.problems);
    }
    // A clean file's cells are not needed any more (a million-row sheet is over a GiB); if
    // there are problems, the error workbook needs them, and a streamed file is read again
    // whole for it.
    let mut sheets = match source {
        Source::Whole(sheets) => Some(sheets).filter(|_| !outcome.problems.is_empty()),
        Source::Stream(_) => None,
    };
    outcome.warnings = outcome.problems.len() - outcome.errors();
    outcome.status = if outcome.errors() > 0 {
        ImportStatus::Rejected
    } else {
        ImportStatus::Imported
    };
    let wants_workbook = !outcome.problems.is_empty();
    if wants_workbook && sheets.is_none() {
        sheets = roster::read_roster(&file_name, bytes).ok();
    }
    let sheets = sheets.unwrap_or_default();
    if outcome.status == ImportStatus::Imported && !options.dry_run {
        if wants_workbook {
            write_workbook(&sheets, outcome, options, Some(import_id))?;
        }
        drop(sheets);
        // A first import through a rollback journal: its pages go to disk while the indexes
        // are built (`db::journal`).
        let written = match bulk {
            Some(_) => journal::write_back(&tx).context("cannot write the participants")?,
            None => None,
        };
        bulk.map(BulkLoad::finish)
            .transpose()
            .context("cannot build the participants' indexes")?;
        attempt::complete(&tx, import_id, outcome, options, started)?;
        written
            .map(journal::WriteBack::wait)
            .transpose()
            .context("cannot write the database to the disk")?;
        tx.commit()?;
        outcome.import_id = Some(import_id);
        return Ok(());
    }
    drop(bulk);
    tx.rollback()?;
    if outcome.status == ImportStatus::Rejected && !options.dry_run {
        // The workbook is named after the attempt's own id, known only once it is recorded.
        let id = attempt::record(conn, outcome, options, started)?;
        outcome.import_id = Some(id);
        write_workbook(&sheets, outcome, options, Some(id))?;
        attempt::set_workbook(conn, id, outcome, options)?;
    } else if wants_workbook {
        write_workbook(&sheets, outcome, options, None)?;
    }
    Ok(())
}

/// A file that cannot be read (to its end): status `unreadable` with the reason, recorded
/// unless this is a dry run.
fn unreadable(
    conn: &mut Connection,
    options: &ImportOptions,
    outcome: &mut FileOutcome,
    started: Instant,
    reason: &str,
) -> anyhow::Result<()> {
    let file_name = outcome.file_name.clone();
    *outcome = FileOutcome::new(&file_name, outcome.content_hash.clone(), options.dry_run);
    outcome.status = ImportStatus::Unreadable;
    outcome.message = Some(format!("{file_name}: {reason}"));
    outcome.problems.push(RowProblem {
        sheet: String::new(),
        row: 0,
        column: None,
        severity: Severity::Error,
        message: format!("{file_name}: {reason}"),
    });
    if !options.dry_run {
        outcome.import_id = Some(attempt::record(conn, outcome, options, started)?);
    }
    Ok(())
}

fn write_workbook(
    sheets: &[roster::Sheet],
    outcome: &mut FileOutcome,
    options: &ImportOptions,
    import_id: Option<i64>,
) -> anyhow::Result<()> {
    let name = error_workbook::file_name(&outcome.file_name, import_id, options.now);
    let path = options.reports_dir.join(name);
    write_error_workbook(sheets, &outcome.sheets, &outcome.problems, &path)?;
    outcome.error_workbook = Some(path);
    Ok(())
}

/// A larger SQLite page cache for one big import; [`import_file`] restores the previous size.
///
/// A new participant writes about 1.5 KiB: its row (the values as JSON) and the index entries
/// (participant id, NIK, phone, key, pseudonym) that land in random places of their B-trees.
/// Through the write-ahead log, with SQLite's default 2 MiB cache most of those pages would be
/// written out to the log and read back soon after; a cache sized to the import (2 KiB per
/// row, at most 2 GiB) keeps the working set in memory until the commit writes it once.
/// Through a rollback journal (a first import that has the file to itself), pages that leave
/// the cache go straight to their place in the file, written once either way, so the cache
/// stays at [`journal::SPILLING_CACHE_KIB`]. Durability is unchanged: still one transaction,
/// committed with `synchronous = FULL`.
fn size_cache(conn: &Connection, rows: usize) -> rusqlite::Result<()> {
    let mut kib = (rows as i64).saturating_mul(2).min(2 << 20);
    if journal::is_rollback_journal(conn)? {
        kib = kib.min(journal::SPILLING_CACHE_KIB);
    }
    if kib > 2_000 {
        conn.pragma_update(None, "cache_size", -kib)?;
    }
    Ok(())
}

/// Problems found while storing come after the parser's; a person reads them in file order.
fn sort_problems(problems: &mut [RowProblem]) {
    // Stable: problems of one row keep the order they were found in.
    problems.sort_by_key(|p| (p.sheet.is_empty(), p.row));
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// Whether pantau imports files with this name (by extension). Other files in the inbox
/// (notes, a README, Excel's `~$` lock files) are left alone.
pub fn is_roster_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if name.starts_with("~$") || name.starts_with('.') {
        return false;
    }
    [".xlsx", ".xlsm", ".xls", ".ods", ".csv"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// Imports every roster file in `inbox` (not its subfolders), in name order, each on its own.
///
/// Files are left where they are after import: the content-hash check skips them quickly on
/// the next run (hashing, no parsing), and a person can see in the folder what was sent. A
/// file that cannot be opened is an outcome with status `failed`, and the others still import.
pub fn import_inbox(
    conn: &mut Connection,
    inbox: &Path,
    options: &ImportOptions,
) -> anyhow::Result<Vec<FileOutcome>> {
    use anyhow::Context;
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(inbox) {
        Ok(entries) => entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.is_file() && is_roster_file(path))
            .collect(),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => {
            return Err(err)
                .with_context(|| format!("cannot list the inbox folder {}", inbox.display()));
        }
    };
    paths.sort();
    Ok(paths
        .iter()
        .map(|path| import_path(conn, path, options))
        .collect())
}

/// Reads and imports one file from disk; a file that cannot be read is a `failed` outcome.
pub fn import_path(conn: &mut Connection, path: &Path, options: &ImportOptions) -> FileOutcome {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    match std::fs::read(path) {
        Ok(bytes) => import_file(conn, &file_name, &bytes, options),
        Err(err) => {
            let mut outcome = FileOutcome::new(&file_name, String::new(), options.dry_run);
            outcome.status = ImportStatus::Unreadable;
            let message = format!("{}: cannot be read ({err})", path.display());
            outcome.problems.push(RowProblem {
                sheet: String::new(),
                row: 0,
                column: None,
                severity: Severity::Error,
                message: message.clone(),
            });
            outcome.message = Some(message);
            outcome
        }
    }
}
