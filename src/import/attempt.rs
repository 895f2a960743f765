//! The `roster_imports` row of each attempt and its `roster_import_problems`.
//!
//! A successful import's row is written inside the import's transaction, so it exists exactly
//! when the values do. A rejected, unreadable, failed or skipped file's row is written by
//! [`record`] in a transaction of its own, after the import's transaction was rolled back, so
//! the attempt is remembered while nothing from the file is.

use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::{FileOutcome, ImportOptions};

/// Times as stored: UTC, RFC 3339 with `Z`, whole seconds.
pub(super) fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn finished_at(options: &ImportOptions, started: Instant) -> String {
    let elapsed = chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
    timestamp(options.now + elapsed)
}

/// The id of an applied import with this content, if any.
pub(super) fn already_imported(conn: &Connection, hash: &str) -> anyhow::Result<Option<i64>> {
    conn.query_row(
        "SELECT id FROM roster_imports WHERE content_hash = ?1 AND status = 'imported' LIMIT 1",
        [hash],
        |row| row.get(0),
    )
    .optional()
    .context("cannot look up earlier imports")
}

/// Starts the import's row inside its transaction, status `running`.
pub(super) fn begin(
    tx: &Transaction,
    outcome: &FileOutcome,
    options: &ImportOptions,
) -> anyhow::Result<i64> {
    tx.query_row(
        "INSERT INTO roster_imports (file_name, content_hash, sheet_count, rows_read, status,
                                     started_at)
         VALUES (?1, ?2, ?3, ?4, 'running', ?5) RETURNING id",
        params![
            outcome.file_name,
            outcome.content_hash,
            outcome.sheets.len() as i64,
            outcome.counts.read as i64,
            timestamp(options.now)
        ],
        |row| row.get(0),
    )
    .context("cannot record the import")
}

/// Finishes a successful import's row and stores its problems (warnings), inside the
/// transaction.
pub(super) fn complete(
    tx: &Transaction,
    id: i64,
    outcome: &FileOutcome,
    options: &ImportOptions,
    started: Instant,
) -> anyhow::Result<()> {
    update(tx, id, outcome, options, started)?;
    problems(tx, id, outcome)
}

/// Records a whole attempt (rejected, unreadable, failed, skipped) in its own transaction.
pub(super) fn record(
    conn: &mut Connection,
    outcome: &FileOutcome,
    options: &ImportOptions,
    started: Instant,
) -> anyhow::Result<i64> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .context("cannot record the import attempt")?;
    let id = begin(&tx, outcome, options)?;
    update(&tx, id, outcome, options, started)?;
    problems(&tx, id, outcome)?;
    tx.commit().context("cannot record the import attempt")?;
    Ok(id)
}

/// Notes the error workbook of a recorded attempt.
pub(super) fn set_workbook(
    conn: &Connection,
    id: i64,
    outcome: &FileOutcome,
    options: &ImportOptions,
) -> anyhow::Result<()> {
    conn.execute(
        "UPDATE roster_imports SET error_workbook = ?2 WHERE id = ?1",
        params![id, relative_workbook(outcome, options)],
    )
    .context("cannot record the error workbook")?;
    Ok(())
}

fn relative_workbook(outcome: &FileOutcome, options: &ImportOptions) -> Option<String> {
    outcome.error_workbook.as_ref().map(|path| {
        path.strip_prefix(options.reports_dir)
            .unwrap_or(path)
            .display()
            .to_string()
    })
}

fn update(
    tx: &Transaction,
    id: i64,
    outcome: &FileOutcome,
    options: &ImportOptions,
    started: Instant,
) -> anyhow::Result<()> {
    let summary = serde_json::json!({
        "sheets": outcome.sheets,
        "errors": outcome.errors(),
        "warnings": outcome.warnings,
        "outcome": outcome.status,
        "message": outcome.message,
    });
    let c = &outcome.counts;
    tx.execute(
        "UPDATE roster_imports
         SET sheet_count = ?2, rows_read = ?3, rows_new = ?4, rows_updated = ?5,
             rows_unchanged = ?6, rows_rejected = ?7, status = ?8, finished_at = ?9,
             error_workbook = ?10, summary = ?11
         WHERE id = ?1",
        params![
            id,
            outcome.sheets.len() as i64,
            c.read as i64,
            c.new as i64,
            c.updated as i64,
            c.unchanged as i64,
            c.rejected as i64,
            outcome.status.stored(),
            finished_at(options, started),
            relative_workbook(outcome, options),
            summary.to_string(),
        ],
    )
    .context("cannot record the import's outcome")?;
    Ok(())
}

fn problems(tx: &Transaction, id: i64, outcome: &FileOutcome) -> anyhow::Result<()> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO roster_import_problems (import_id, sheet, row, column_name, severity,
                                             message)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for problem in &outcome.problems {
        let severity = match problem.severity {
            crate::roster::Severity::Error => "error",
            crate::roster::Severity::Warning => "warning",
        };
        insert
            .execute(params![
                id,
                (!problem.sheet.is_empty()).then_some(&problem.sheet),
                (problem.row > 0).then_some(problem.row as i64),
                problem.column,
                severity,
                problem.message,
            ])
            .context("cannot record the import's problems")?;
    }
    Ok(())
}
