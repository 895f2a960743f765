//! The admin search's structures for participants a first import stored without them: the
//! ranges in `search_backlog` (migration 0015), added to `participant_search`, its trigram
//! index (0006) and its index of name pieces (0010) a chunk at a time.
//!
//! A first import ([`super::bulk`]) commits a million participants without their search rows,
//! which would cost it a third of its CPU before the commit, and records their ids here. The
//! server's indexer (`web::search_indexer`) calls [`catch_up_chunk`] until nothing waits; the
//! admin list does it at once when few wait ([`INLINE_LIMIT`]), so a small roster is
//! searchable at the next page load. Each chunk is one transaction that also shortens the
//! backlog, so a crash loses at most the chunk being written and nothing is indexed twice.
//!
//! The values are those the trigger `participant_rows_search_insert` (0004) would have
//! written, read with the same expressions; the trigram rows and name pieces those the
//! triggers `participant_search_text_insert` (0006) and `participant_search_grams_insert`
//! (0010) would have written, which are set aside during a chunk so that each row is written
//! once, by statements prepared once, and the pieces computed in Rust
//! ([`super::name_pieces`]) rather than by the migration's view.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::name_pieces::name_pieces;

/// Participants per transaction: about half a second of writing, so that a survey submission
/// waiting for the write lock is not kept long.
pub const CHUNK: i64 = 20_000;

/// Participants the admin list adds itself before searching, rather than saying they are not
/// searchable yet: a fraction of a second.
pub const INLINE_LIMIT: i64 = 20_000;

/// The triggers that index a new `participant_search` row, set aside during a chunk.
const INDEXING_TRIGGERS: &[&str] = &[
    "participant_search_text_insert",
    "participant_search_grams_insert",
];

/// How many participant ids wait in the backlog (participants erased since are counted until
/// their range is done).
pub fn waiting(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT coalesce(sum(last_id - first_id + 1), 0) FROM search_backlog",
        [],
        |row| row.get(0),
    )
}

/// Records that participants `first..=last` were stored without their search rows. Called
/// inside the import's transaction, so the range exists exactly when the participants do.
pub fn defer(conn: &Connection, first: i64, last: i64) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO search_backlog (first_id, last_id) VALUES (?1, ?2)",
        params![first, last],
    )
    .map(drop)
}

/// One search row as the trigger `participant_rows_search_insert` computes it.
struct SearchRow {
    participant: i64,
    name: Option<String>,
    phone: Option<String>,
    nik: Option<String>,
    cohort: Option<String>,
    union: Option<String>,
}

/// Adds up to `limit` waiting participants (lowest ids first) to the search structures in one
/// transaction, and removes them from the backlog. Returns how many ids of the backlog it
/// covered: 0 when nothing waits.
pub fn catch_up_chunk(conn: &mut Connection, limit: i64) -> rusqlite::Result<i64> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let range: Option<(i64, i64)> = tx
        .query_row(
            "SELECT first_id, last_id FROM search_backlog ORDER BY first_id LIMIT 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    let Some((first, last)) = range else {
        return Ok(0);
    };
    let end = last.min(first.saturating_add(limit.max(1) - 1));
    // A participant of the range may have a search row already (its values were removed by
    // hand and entered again, which the insert trigger indexed): it is left as it is.
    let rows: Vec<SearchRow> = tx
        .prepare(
            "SELECT r.participant_id, r.attrs ->> '$.name', r.attrs ->> '$.phone',
                    r.attrs ->> '$.nik', r.attrs ->> '$.cohort', r.attrs ->> '$.union'
             FROM participant_rows r
             WHERE r.participant_id BETWEEN ?1 AND ?2
               AND NOT EXISTS (SELECT 1 FROM participant_search s
                               WHERE s.participant_id = r.participant_id)
             ORDER BY r.participant_id",
        )?
        .query_map([first, end], |row| {
            Ok(SearchRow {
                participant: row.get(0)?,
                name: row.get(1)?,
                phone: row.get(2)?,
                nik: row.get(3)?,
                cohort: row.get(4)?,
                union: row.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    if !rows.is_empty() {
        let triggers = set_aside(&tx)?;
        {
            let mut search = tx.prepare(
                "INSERT INTO participant_search
                     (participant_id, name, phone, nik, cohort, union_name)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let mut trigrams = tx.prepare(
                "INSERT INTO participant_search_text (rowid, name, phone, nik)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            let mut pieces =
                tx.prepare("INSERT INTO participant_search_grams (rowid, grams) VALUES (?1, ?2)")?;
            for row in &rows {
                search.execute(params![
                    row.participant,
                    row.name,
                    row.phone,
                    row.nik,
                    row.cohort,
                    row.union
                ])?;
                trigrams.execute(params![row.participant, row.name, row.phone, row.nik])?;
                // The trigger skips a name without pieces (absent or empty).
                if let Some(grams) = row.name.as_deref().and_then(name_pieces) {
                    pieces.execute(params![row.participant, grams])?;
                }
            }
        }
        for sql in triggers {
            tx.execute(&sql, [])?;
        }
    }
    if end == last {
        tx.execute("DELETE FROM search_backlog WHERE first_id = ?1", [first])?;
    } else {
        tx.execute(
            "UPDATE search_backlog SET first_id = ?2 WHERE first_id = ?1",
            [first, end + 1],
        )?;
    }
    tx.commit()?;
    Ok(end - first + 1)
}

/// Adds every waiting participant, a chunk per transaction; returns how many ids it covered.
pub fn catch_up(conn: &mut Connection) -> rusqlite::Result<i64> {
    let mut done = 0;
    loop {
        match catch_up_chunk(conn, CHUNK)? {
            0 => return Ok(done),
            n => done += n,
        }
    }
}

/// Drops the indexing triggers and returns their SQL, to be run again before the commit.
fn set_aside(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut triggers = Vec::new();
    for name in INDEXING_TRIGGERS {
        let sql: Option<String> = conn
            .query_row(
                "SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = ?1",
                [name],
                |row| row.get(0),
            )
            .optional()?;
        if let Some(sql) = sql {
            conn.execute(&format!("DROP TRIGGER \"{name}\""), [])?;
            triggers.push(sql);
        }
    }
    Ok(triggers)
}

/// Stores `people` (participant key, `attrs` JSON) as a first import does, through
/// [`super::bulk::BulkLoad`]: in the backlog, not in the search structures.
#[cfg(test)]
pub(crate) fn first_import(conn: &mut Connection, people: &[(&str, &str)]) {
    use super::bulk::{BulkLoad, add_in_bulk};
    let tx = conn.transaction().unwrap();
    let mut load = BulkLoad::begin(&tx).unwrap().expect("an empty programme");
    let mut rows = super::attributes::NewValues::prepare(&tx).unwrap();
    for (key, attrs) in people {
        add_in_bulk(&tx, &mut rows, &mut load, key, attrs);
    }
    drop(rows);
    load.finish().unwrap();
    tx.commit().unwrap();
}

#[cfg(test)]
mod tests;
