//! Building the participant tables' secondary indexes after a large import instead of during
//! it.
//!
//! A first import of a million-row roster adds sixteen million values to
//! `participant_attributes` and as many rows to `participant_attribute_history`. Their
//! secondary indexes (`(name, value)` above all) receive those entries in random order, each
//! insert a walk down a B-tree too large for the page cache. Dropped before and created after,
//! each index is built by one sort instead. All of it happens inside the import's transaction,
//! so a crash or `kill -9` leaves the indexes as they were along with everything else, and
//! other connections keep seeing the old indexes until the commit.
//!
//! Only worth it when the import adds much more than the tables hold: rebuilding indexes over
//! a large table to add a few rows would cost more than it saves.

use anyhow::Context;
use rusqlite::Transaction;

/// The tables whose indexes are deferred.
const TABLES: [&str; 2] = ["participant_attributes", "participant_attribute_history"];

/// Indexes dropped for the import, to create again before it commits.
pub(super) struct Deferred {
    /// (name, `CREATE INDEX` statement) as SQLite recorded it.
    indexes: Vec<(String, String)>,
}

impl Deferred {
    /// Drops the secondary indexes when `rows` new rows will be at least four times the
    /// participants already stored; otherwise does nothing.
    pub(super) fn begin(tx: &Transaction, rows: usize) -> anyhow::Result<Deferred> {
        let participants: i64 = tx
            .query_row("SELECT count(*) FROM participants", [], |row| row.get(0))
            .context("cannot count participants")?;
        if rows < 1_000 || participants.saturating_mul(4) > rows as i64 {
            return Ok(Deferred {
                indexes: Vec::new(),
            });
        }
        // Indexes SQLite made itself (primary keys, UNIQUE) have no statement and stay.
        let mut statement = tx.prepare(
            "SELECT name, sql FROM sqlite_schema
             WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (?1, ?2)
             ORDER BY name",
        )?;
        let indexes = statement
            .query_map(TABLES, |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<Vec<(String, String)>, _>>()
            .context("cannot list the participant indexes")?;
        for (name, _) in &indexes {
            tx.execute_batch(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))
                .with_context(|| format!("cannot set aside the index {name}"))?;
        }
        tracing::debug!(
            indexes = indexes.len(),
            "indexes deferred to the end of the import"
        );
        Ok(Deferred { indexes })
    }

    /// Creates the dropped indexes again.
    pub(super) fn finish(self, tx: &Transaction) -> anyhow::Result<()> {
        for (name, sql) in self.indexes {
            tx.execute_batch(&sql)
                .with_context(|| format!("cannot build the index {name}"))?;
        }
        Ok(())
    }
}
