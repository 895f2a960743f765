//! A first import into an empty programme: the participants' rows are written bare, and the
//! indexes and the funnel counts are built once at the end instead of row by row; the admin
//! search's structures wait until after the commit.
//!
//! Row by row, each new participant costs some fifteen B-tree insertions in random places (the
//! lookup indexes on NIK, phone and participant id, the search table and its indexes)
//! plus the trigram index, which FTS5 flushes to its B-trees at every statement that writes
//! through a trigger: three quarters of a million-row import went there. Built at the end,
//! the indexes are sorted once. That includes the uniqueness of
//! `participants.participant_key` and `pseudonym` (named indexes since migration 0013): the
//! import's own maps (`import::identity`) keep keys and pseudonyms apart meanwhile, and
//! building the unique indexes at the end would still fail the import, whole, on a repeat.
//!
//! The search table, its trigram index and its index of name pieces are not written at all:
//! the import records the range of participants it added in `search_backlog` (migration
//! 0015), and [`super::search_index`] adds them after the commit, outside the import's time
//! (a third of a million-row import's CPU went there, for the admin search only).
//!
//! The funnel counts come from the values the import already holds in Rust, through
//! [`BulkLoad::add`], rather than from SQLite parsing every row's JSON again in a trigger.
//!
//! Everything happens inside the import's transaction: the indexes and triggers are dropped
//! there and created again before it commits, so a rolled-back or killed import leaves the
//! schema and the data as they were. Only a programme without participants qualifies, so no
//! invitation, consent or response can refer to a row written here (the dashboard's counts
//! per cohort have nothing to count) and nothing written here is ever updated by the same
//! import (a second row about the same person is rejected).

use rusqlite::{Connection, params};

use super::attributes::{FieldValues, push_json_string};

/// The tables whose indexes and triggers wait until the end. (`participant_search` is not
/// written: its triggers, which fire on its own writes, stay.)
const TABLES: &[&str] = &[
    "participants",
    "participant_rows",
    "participant_row_history",
];

/// Indexes kept during a first import: their entries arrive in key order (every row's
/// `set_by_import` is the import's, so the index on it is appended to in rowid order) or there
/// are none (no participant is erased, no history row is written), so keeping them costs less
/// than reading the table again to build them at the end.
const KEPT_INDEXES: &[&str] = &[
    "participant_rows_import",
    "participants_erased",
    "participant_row_history_participant",
    "participant_row_history_import",
];

/// What a new participant adds to the funnel counts (`0007_funnel.sql`), computed from its
/// values on the checking thread by [`Funnel::of`] so that the storing thread only adds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Funnel {
    /// The birth date and the age group as `funnel_counts` keys them: JSON text
    /// (`'"1980-06-01"'`), `'null'` when absent.
    key: (String, String),
    /// Whether sessions 1, 2 and 3 were attended.
    attended: [bool; 3],
}

impl Funnel {
    /// What the trigger `funnel_row_insert` (0007) would count for a row with `values`:
    /// `attrs -> '$.birth_date'` is the value as the stored JSON spells it,
    /// `attrs ->> '$.attended_1' = '1'` a plain comparison.
    pub fn of(values: &(impl FieldValues + ?Sized)) -> Funnel {
        let get = |name: &str| values.value(name);
        let as_json = |name: &str| match get(name) {
            Some(value) => {
                let mut json = String::with_capacity(value.len() + 2);
                push_json_string(value, &mut json);
                json
            }
            None => "null".to_owned(),
        };
        Funnel {
            key: (as_json("birth_date"), as_json("age_group")),
            attended: ["attended_1", "attended_2", "attended_3"].map(|s| get(s) == Some("1")),
        }
    }
}

/// People and attendance per funnel key. foldhash, not SipHash: one lookup per new
/// participant on the storing thread.
type FunnelCounts =
    std::collections::HashMap<(String, String), [i64; 4], foldhash::fast::RandomState>;

/// Indexes and triggers set aside during a first import, to be created again by
/// [`BulkLoad::finish`], and what the triggers would have counted meanwhile.
///
/// While it lasts, the connection also skips CHECK constraints
/// (`PRAGMA ignore_check_constraints`): the ones on the tables written are the `json_valid`
/// checks of `participant_rows.attrs` and `participant_row_history.changes`, which would parse
/// every row's JSON again, and the 0-or-1 check of `history_implicit`. What an import writes
/// there comes from [`super::attributes::encode`] and [`super::attributes::NewValues`], whose
/// tests read it back with SQLite's JSON functions. Dropping the value turns the checks back
/// on, whether or not `finish` ran.
#[derive(Debug)]
pub struct BulkLoad<'c> {
    conn: &'c Connection,
    /// The first and last participant added, for the search backlog.
    added: Option<(i64, i64)>,
    /// `CREATE INDEX` statements, as the schema holds them.
    indexes: Vec<String>,
    /// `CREATE TRIGGER` statements, as the schema holds them.
    triggers: Vec<String>,
    /// People and attendance per funnel key, for the participants added so far.
    funnel: FunnelCounts,
}

impl<'c> BulkLoad<'c> {
    /// Inside a write transaction on `conn`: when the programme has no participants yet,
    /// drops the indexes and triggers of the participant tables and returns what it dropped;
    /// otherwise changes nothing and returns `None`.
    pub fn begin(conn: &'c Connection) -> rusqlite::Result<Option<BulkLoad<'c>>> {
        if !BulkLoad::qualifies(conn)? {
            return Ok(None);
        }
        let mut load = BulkLoad {
            conn,
            added: None,
            indexes: Vec::new(),
            triggers: Vec::new(),
            funnel: FunnelCounts::default(),
        };
        let mut drops = Vec::new();
        {
            // Indexes SQLite made for UNIQUE and PRIMARY KEY have no SQL and cannot be dropped.
            let mut statement = conn.prepare(
                "SELECT type, name, sql FROM sqlite_schema
                 WHERE type IN ('index', 'trigger') AND sql IS NOT NULL
                   AND tbl_name IN (SELECT value FROM json_each(?1))
                 ORDER BY type, name",
            )?;
            let tables = serde_json::to_string(TABLES).unwrap_or_default();
            let mut rows = statement.query([tables])?;
            while let Some(row) = rows.next()? {
                let (kind, name, sql): (String, String, String) =
                    (row.get(0)?, row.get(1)?, row.get(2)?);
                let quoted = format!("\"{}\"", name.replace('"', "\"\""));
                if kind == "index" && KEPT_INDEXES.contains(&name.as_str()) {
                    continue;
                }
                if kind == "index" {
                    drops.push(format!("DROP INDEX {quoted}"));
                    load.indexes.push(sql);
                } else {
                    drops.push(format!("DROP TRIGGER {quoted}"));
                    load.triggers.push(sql);
                }
            }
        }
        for drop in drops {
            conn.execute(&drop, [])?;
        }
        conn.pragma_update(None, "ignore_check_constraints", true)?;
        Ok(Some(load))
    }

    /// Whether an import into `conn`'s programme now would be a bulk load: it has no
    /// participants yet.
    pub fn qualifies(conn: &Connection) -> rusqlite::Result<bool> {
        conn.query_row(
            "SELECT NOT EXISTS (SELECT 1 FROM participants)
                AND NOT EXISTS (SELECT 1 FROM participant_search)",
            [],
            |row| row.get(0),
        )
    }

    /// Counts what the trigger `funnel_row_insert` (0007) would have counted for a
    /// participant whose roster row was just inserted (`funnel`, [`Funnel::of`] its values,
    /// kept until [`BulkLoad::finish`]), and notes it for the search backlog. Participants
    /// must come in id order, as an import creates them.
    pub fn add(&mut self, participant: i64, funnel: &Funnel) {
        self.added = Some(match self.added {
            Some((first, _)) => (first, participant),
            None => (participant, participant),
        });
        let counts = match self.funnel.get_mut(&funnel.key) {
            Some(counts) => counts,
            None => self.funnel.entry(funnel.key.clone()).or_default(),
        };
        counts[0] += 1;
        for (count, attended) in counts[1..].iter_mut().zip(funnel.attended) {
            *count += i64::from(attended);
        }
    }

    /// Writes the funnel counts and the search backlog, then creates the indexes and
    /// triggers again.
    pub fn finish(mut self) -> rusqlite::Result<()> {
        let conn = self.conn;
        conn.pragma_update(None, "ignore_check_constraints", false)?;
        if let Some((first, last)) = self.added {
            super::search_index::defer(conn, first, last)?;
        }
        // What `dashboard::recount_funnel` would count: the programme had no participants, so
        // every participant is one added here.
        conn.execute("DELETE FROM funnel_counts", [])?;
        {
            let mut insert = conn.prepare(
                "INSERT INTO funnel_counts
                     (birth_date, age_group, people, attended_1, attended_2, attended_3)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let mut funnel: Vec<_> = std::mem::take(&mut self.funnel).into_iter().collect();
            // In key order: the table is WITHOUT ROWID, so this appends.
            funnel.sort_unstable();
            for ((birth_date, age_group), [people, a1, a2, a3]) in funnel {
                insert.execute(params![birth_date, age_group, people, a1, a2, a3])?;
            }
        }
        let sorting = ParallelSort::begin(conn)?;
        let built = self
            .indexes
            .iter()
            .chain(&self.triggers)
            .try_for_each(|sql| conn.execute(sql, []).map(drop));
        sorting.end()?;
        built
    }
}

/// SQLite's sorter on two cores while [`BulkLoad::finish`] builds the indexes.
///
/// With a page cache the size of the import (up to 2 GiB; 64 MiB through a rollback
/// journal), each index's keys fit in the sorter's memory, and SQLite sorts them in one list
/// on the connection's own thread whatever `PRAGMA threads` says: a serial tail of several CPU
/// seconds at a million rows while the second core idles (nothing else runs by then). With a
/// small cache, the sorter cuts the keys into runs of that size, sorts and writes each run on
/// a helper thread while the connection's thread reads on, and merges them on both. The pages
/// the transaction has not written yet stay in memory meanwhile: with a spill threshold above
/// any import's pages, SQLite lets the cache outgrow its size instead of writing pages out
/// before the commit, which through the WAL would write them twice (to the log now, to the
/// file at the checkpoint). Through a rollback journal a spill would write them once, but by
/// then only the new indexes' pages are unwritten (`db::journal::write_back` wrote the rows'),
/// some 150 MB at a million rows, so they are kept too. (`cache_spill = OFF` would not do:
/// inside a transaction SQLite keeps the pager's flags as they were at its start, while a
/// threshold applies at once.)
struct ParallelSort<'c> {
    conn: &'c Connection,
    /// The settings to put back: cache size, spill threshold, helper threads.
    before: (i64, i64, i64),
}

/// Helper threads the sorter may start: one, beside the connection's own, for two cores.
const SORTER_THREADS: i64 = 1;

/// The sorter's runs: small enough to give the helper thread several, large enough that
/// merging them stays cheap (SQLite's own minimum is 250 pages, 1 MiB). Negative: KiB.
const SORTER_RUN_KIB: i64 = -16 * 1024;

/// A spill threshold no import reaches: 2^30 pages are 4 TiB at the smallest page size pantau
/// meets (4 KiB).
const NEVER_SPILL_PAGES: i64 = 1 << 30;

impl<'c> ParallelSort<'c> {
    fn begin(conn: &'c Connection) -> rusqlite::Result<ParallelSort<'c>> {
        let get = |pragma: &str| conn.pragma_query_value(None, pragma, |row| row.get(0));
        let sorting = ParallelSort {
            conn,
            before: (get("cache_size")?, get("cache_spill")?, get("threads")?),
        };
        // The threshold first, so that the smaller cache never writes a page out.
        conn.pragma_update(None, "cache_spill", NEVER_SPILL_PAGES)?;
        conn.pragma_update(None, "cache_size", SORTER_RUN_KIB)?;
        conn.pragma_update(None, "threads", SORTER_THREADS)?;
        Ok(sorting)
    }

    /// Puts the settings back, the cache size before the spill threshold for the same reason.
    fn end(self) -> rusqlite::Result<()> {
        let (cache_size, cache_spill, threads) = self.before;
        self.conn.pragma_update(None, "threads", threads)?;
        self.conn.pragma_update(None, "cache_size", cache_size)?;
        // Reading gives 0 when spilling is off, else the threshold in pages or the cache
        // size, whichever is larger; writing 1 puts back SQLite's default, the cache size.
        // pantau sets no other.
        self.conn
            .pragma_update(None, "cache_spill", i64::from(cache_spill != 0))
    }
}

impl Drop for BulkLoad<'_> {
    fn drop(&mut self) {
        // Nothing to do about a failure here: the connection is then unusable anyway.
        let _ = self
            .conn
            .pragma_update(None, "ignore_check_constraints", false);
    }
}

/// Adds one participant (key, `attrs` JSON) as `import::store` does during a bulk load: the
/// participant with its lookup columns, its row with an implicit history, then what the
/// triggers would have counted. For tests of a first import's results.
#[cfg(test)]
pub(crate) fn add_in_bulk(
    conn: &Connection,
    rows: &mut super::attributes::NewValues,
    load: &mut BulkLoad,
    key: &str,
    attrs: &str,
) -> i64 {
    const AT: &str = "2025-03-01T02:00:00Z";
    let values = super::attributes::decode(attrs);
    let lookup = super::attributes::Lookup::of(&values);
    conn.execute(
        "INSERT INTO participants
             (participant_key, pseudonym, created_at, roster_id, nik, phone, email)
         VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            key,
            AT,
            lookup.roster_id,
            lookup.nik,
            lookup.phone,
            lookup.email
        ],
    )
    .unwrap();
    let id = conn.last_insert_rowid();
    rows.insert(id, attrs, None, AT).unwrap();
    load.add(id, &Funnel::of(&values));
    id
}

/// Adds a participant with `key`, its pseudonym the key too, and returns its id. For tests.
#[cfg(test)]
pub(crate) fn add_participant(conn: &Connection, key: &str) -> i64 {
    conn.execute(
        "INSERT INTO participants (participant_key, pseudonym, created_at)
         VALUES (?1, ?1, '2025-03-01T02:00:00Z')",
        [key],
    )
    .unwrap();
    conn.last_insert_rowid()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::participants::attributes;
    use crate::participants::search_index;
    use std::collections::BTreeMap;

    const AT: &str = "2025-03-01T02:00:00Z";

    /// The schema's indexes and triggers, by name and SQL.
    fn schema(conn: &Connection) -> Vec<(String, String)> {
        let mut statement = conn
            .prepare(
                "SELECT name, sql FROM sqlite_schema WHERE type IN ('index', 'trigger')
                 AND sql IS NOT NULL ORDER BY name",
            )
            .unwrap();
        statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    /// The connection settings [`ParallelSort`] changes: cache size, spill threshold
    /// (pages), helper threads.
    fn settings(conn: &Connection) -> (i64, i64, i64) {
        let get = |pragma: &str| {
            conn.pragma_query_value(None, pragma, |row| row.get(0))
                .unwrap()
        };
        (get("cache_size"), get("cache_spill"), get("threads"))
    }

    fn add(conn: &Connection, key: &str, attrs: &str) -> i64 {
        let id = add_participant(conn, key);
        attributes::insert_new(conn, id, attrs, None, AT).unwrap();
        id
    }

    /// What [`derived`] reads: the search rows, the funnel rows, the participants the
    /// trigram index finds, those the index of name pieces finds, and the lookup columns,
    /// values and history as readers see them.
    type Derived = (Vec<String>, Vec<String>, Vec<i64>, Vec<i64>, Vec<String>);

    /// Everything the triggers keep, and the values, lookup columns and history as readers see
    /// them, for comparing a bulk load with row-by-row writes.
    fn derived(conn: &Connection) -> Derived {
        let strings = |sql: &str| -> Vec<String> {
            let mut statement = conn.prepare(sql).unwrap();
            statement
                .query_map([], |row| row.get(0))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        };
        let search = strings(
            "SELECT json_array(participant_id, name, phone, nik, cohort, union_name)
             FROM participant_search ORDER BY participant_id",
        );
        let funnel = strings(
            "SELECT json_array(birth_date, age_group, people, attended_1, attended_2, attended_3)
             FROM funnel_counts ORDER BY birth_date, age_group",
        );
        let mut statement = conn
            .prepare(
                "SELECT rowid FROM participant_search_text
                 WHERE participant_search_text MATCH
                 '(\"dew\" \"ewi\") OR (\"628\" \"281\" \"812\" \"123\")' ORDER BY rowid",
            )
            .unwrap();
        let found = statement
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        // The short-piece index (0010): "de" (hex 6465) is in Dewi Lestari and Sari Dewi.
        let mut statement = conn
            .prepare(
                "SELECT rowid FROM participant_search_grams
                 WHERE participant_search_grams MATCH '\"6465\"' ORDER BY rowid",
            )
            .unwrap();
        let pieces = statement
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let mut seen = strings(
            "SELECT json_array(id, roster_id, nik, phone, email)
             FROM participants ORDER BY id",
        );
        seen.extend(strings(
            "SELECT json_array(participant_id, name, value, set_by_import, updated_at)
             FROM participant_attributes ORDER BY participant_id, name",
        ));
        seen.extend(strings(
            "SELECT json_array(participant_id, name, value, import_id, set_at)
             FROM participant_attribute_history ORDER BY participant_id, name",
        ));
        (search, funnel, found, pieces, seen)
    }

    const PEOPLE: [(&str, &str); 5] = [
        (
            "nik:1",
            r#"{"attended_1":"1","birth_date":"1990-01-02","cohort":"A","email":"Dewi@Example.org","name":"Dewi Lestari","participant_id":"EVM-1","phone":"6281234567"}"#,
        ),
        (
            "nik:2",
            r#"{"birth_date":"1990-01-02","name":"Budi","nik":"3201010101900001","union":"SP B"}"#,
        ),
        ("phone:3", r#"{"phone":"6289999","name":"Sari Dewi"}"#),
        // An age group, a name that needs JSON escapes and non-ASCII letters.
        (
            "nik:4",
            r#"{"age_group":"40-49","attended_2":"1","attended_3":"0","name":"\u00d1ino \"X\" \\ \t"}"#,
        ),
        ("id:5", "{}"),
    ];

    #[test]
    fn a_bulk_load_leaves_what_row_by_row_writes_leave() {
        let by_rows = crate::db::open_in_memory().unwrap();
        for (key, attrs) in PEOPLE {
            add(&by_rows, key, attrs);
        }
        let mut bulk = crate::db::open_in_memory().unwrap();
        let before = schema(&bulk);
        // A cache as an import sets it, which the index builds shrink for a while.
        bulk.pragma_update(None, "cache_size", -200_000).unwrap();
        let settings_before = settings(&bulk);
        let tx = bulk.transaction().unwrap();
        let mut load = BulkLoad::begin(&tx).unwrap().expect("an empty programme");
        assert!(schema(&tx).len() < before.len());
        let mut rows = attributes::NewValues::prepare(&tx).unwrap();
        for (key, attrs) in PEOPLE {
            add_in_bulk(&tx, &mut rows, &mut load, key, attrs);
        }
        drop(rows);
        load.finish().unwrap();
        tx.commit().unwrap();
        assert_eq!(schema(&bulk), before);
        // The search structures wait for the indexer, which adds every participant.
        assert_eq!(derived(&bulk).0, Vec::<String>::new());
        assert_eq!(search_index::waiting(&bulk).unwrap(), PEOPLE.len() as i64);
        assert_eq!(
            search_index::catch_up(&mut bulk).unwrap(),
            PEOPLE.len() as i64
        );
        assert_eq!(search_index::waiting(&bulk).unwrap(), 0);
        assert_eq!(settings(&bulk), settings_before);
        assert_eq!((settings_before.0, settings_before.2), (-200_000, 0));
        assert!(settings_before.1 > 0, "spilling is on");
        let expected = derived(&by_rows);
        assert_eq!(expected.2, vec![1, 3]);
        assert_eq!(expected.3, vec![1, 3]);
        // The lookup columns of the first person (email in lower case), and a history entry
        // per value of each person, however it was written.
        assert!(
            expected.4[0].contains(r#""EVM-1",null,"6281234567","dewi@example.org""#),
            "{:?}",
            expected.4
        );
        assert_eq!(expected.4.len(), PEOPLE.len() + 2 * (7 + 4 + 2 + 4));
        assert_eq!(derived(&bulk), expected);
        let written: i64 = bulk
            .query_row("SELECT count(*) FROM participant_row_history", [], |row| {
                row.get(0)
            })
            .unwrap();
        assert_eq!(written, 0, "a first import's history is implicit");
        // The triggers are back: a later write keeps the search table as before.
        let id = add(&bulk, "nik:6", r#"{"name":"Dewi Baru"}"#);
        assert_eq!(derived(&bulk).2, vec![1, 3, id]);
        assert_eq!(derived(&bulk).3, vec![1, 3, id]);
    }

    #[test]
    fn the_index_builds_write_nothing_to_the_log_before_the_commit() {
        // Enough participants that their pages outgrow the sorter's small cache.
        const PEOPLE: i64 = 80_000;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bulk.db");
        let mut conn = crate::db::open(&path).unwrap();
        conn.pragma_update(None, "cache_size", -1_000_000).unwrap();
        let tx = conn.transaction().unwrap();
        let mut load = BulkLoad::begin(&tx).unwrap().expect("an empty programme");
        let mut rows = attributes::NewValues::prepare(&tx).unwrap();
        for n in 0..PEOPLE {
            let nik = format!("{:016}", n * 104_729 % 1_000_003);
            tx.execute(
                "INSERT INTO participants (participant_key, pseudonym, created_at, nik)
                 VALUES (?1, ?2, ?3, ?4)",
                [
                    format!("nik:{}", n * 7919 % PEOPLE),
                    format!("P-{n}"),
                    AT.into(),
                    nik.clone(),
                ],
            )
            .unwrap();
            let id = tx.last_insert_rowid();
            let mut values = BTreeMap::new();
            values.insert("name".to_owned(), format!("Peserta Nomor {n} Lestari"));
            values.insert("nik".to_owned(), nik);
            values.insert("cohort".to_owned(), format!("Angkatan {}", n % 40));
            let mut attrs = String::new();
            attributes::encode(
                values.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                &mut attrs,
            );
            rows.insert(id, &attrs, None, AT).unwrap();
            load.add(id, &Funnel::of(&values));
        }
        drop(rows);
        let log = path.with_file_name("bulk.db-wal");
        let before = std::fs::metadata(&log).map_or(0, |m| m.len());
        load.finish().unwrap();
        let after = std::fs::metadata(&log).map_or(0, |m| m.len());
        assert_eq!(
            after, before,
            "pages were spilled to the log before the commit"
        );
        // And the transaction's pages did outgrow the sorter's cache, which would have
        // spilled them without the threshold.
        let pragma =
            |name: &str| -> i64 { tx.pragma_query_value(None, name, |row| row.get(0)).unwrap() };
        let (pages, page_size) = (pragma("page_count"), pragma("page_size"));
        assert!(
            pages * page_size > -SORTER_RUN_KIB * 1024,
            "{pages} pages of {page_size} bytes"
        );
        tx.commit().unwrap();
        let indexed: i64 = conn
            .query_row(
                "SELECT count(*) FROM participants INDEXED BY participants_key
                 WHERE participant_key >= 'nik:'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(indexed, PEOPLE);
    }

    #[test]
    fn only_an_empty_programme_is_loaded_in_bulk_and_a_rollback_keeps_the_schema() {
        let mut conn = crate::db::open_in_memory().unwrap();
        let before = schema(&conn);
        {
            let tx = conn.transaction().unwrap();
            assert!(BulkLoad::begin(&tx).unwrap().is_some());
            add(&tx, "nik:1", PEOPLE[0].1);
            // Dropped without finish: the transaction rolls back.
        }
        // And the checks are on again.
        let checks: bool = conn
            .pragma_query_value(None, "ignore_check_constraints", |row| row.get(0))
            .unwrap();
        assert!(!checks);
        assert_eq!(schema(&conn), before);
        let count: i64 = conn
            .query_row("SELECT count(*) FROM participants", [], |row| row.get(0))
            .unwrap();
        assert_eq!(count, 0);
        add(&conn, "nik:1", PEOPLE[0].1);
        let tx = conn.transaction().unwrap();
        assert!(BulkLoad::begin(&tx).unwrap().is_none());
        assert_eq!(schema(&tx), before);
    }
}
