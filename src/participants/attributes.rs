//! A participant's roster values as the database keeps them: one `participant_rows` row per
//! participant holding every current value as one JSON object, and one
//! `participant_row_history` row per participant per import (or hand edit) holding what it
//! changed (see `0004_participant_rows.sql`).
//!
//! Every write goes through this module, so that no caller spells the layout out by hand. The
//! views `participant_attributes` and `participant_attribute_history` present the old
//! one-row-per-value shape for readers; they cannot be written.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, Statement, params};
use serde_json::{Map, Value};

/// A participant's first roster row; a trigger (0017) sets the participant's lookup columns.
const INSERT_ROW: &str = "INSERT INTO participant_rows
    (participant_id, attrs, set_by_import, updated_at) VALUES (?1, ?2, ?3, ?4)";

/// A participant's first roster row as an import writes it, after the participant with its
/// lookup columns ([`Lookup`]): the values are its whole history so far (`history_implicit`,
/// see `0012_import_columns.sql`).
const INSERT_IMPORTED_ROW: &str = "INSERT INTO participant_rows
    (participant_id, attrs, set_by_import, updated_at, history_implicit)
    VALUES (?1, ?2, ?3, ?4, 1)";

/// One history row: what an import or a hand edit changed for a participant.
const INSERT_HISTORY: &str = "INSERT INTO participant_row_history
    (participant_id, import_id, set_at, changes) VALUES (?1, ?2, ?3, ?4)";

/// Appends `values` to `out` as the JSON object stored in `participant_rows.attrs`: keys in
/// the order given (a `BTreeMap`'s, so the same values always give the same text, which lets
/// an import compare a row with a stored object without parsing it), every value a string.
pub fn encode<'v>(values: impl IntoIterator<Item = (&'v str, &'v str)>, out: &mut String) {
    out.push('{');
    for (i, (name, value)) in values.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_string(name, out);
        out.push(':');
        push_json_string(value, out);
    }
    out.push('}');
}

/// Appends `text` as a JSON string literal, escaped as [`encode`] escapes it.
pub fn push_json_string(text: &str, out: &mut String) {
    out.push('"');
    // Nearly every roster value needs no escape: one pass to see that, one copy.
    if !text
        .bytes()
        .any(|byte| byte < 0x20 || byte == b'"' || byte == b'\\')
    {
        out.push_str(text);
        out.push('"');
        return;
    }
    let mut start = 0;
    for (i, byte) in text.bytes().enumerate() {
        let escape: Option<&str> = match byte {
            b'"' => Some("\\\""),
            b'\\' => Some("\\\\"),
            b'\n' => Some("\\n"),
            b'\r' => Some("\\r"),
            b'\t' => Some("\\t"),
            0..=0x1f => None,
            _ => continue,
        };
        out.push_str(&text[start..i]);
        match escape {
            Some(escape) => out.push_str(escape),
            None => {
                use std::fmt::Write;
                let _ = write!(out, "\\u{byte:04x}");
            }
        }
        start = i + 1;
    }
    out.push_str(&text[start..]);
    out.push('"');
}

/// Stores the values of a participant who has none yet, all set by `import` (`None`: by hand)
/// at `at`, with one history row saying so. `attrs` is an object from [`encode`]. This is the
/// bulk path of an import: two cached statements, no parsing.
pub fn insert_new(
    conn: &Connection,
    participant: i64,
    attrs: &str,
    import: Option<i64>,
    at: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(INSERT_ROW)?
        .execute(params![participant, attrs, import, at])?;
    record_changes_json(conn, participant, attrs, import, at)
}

/// The columns of `participants` that participants are looked up by, as the triggers of
/// `0017_lookup_columns_on_participants.sql` derive them from the row's `attrs`: the values
/// as they are, the email in lower case (SQLite's `lower()` folds ASCII letters only, and so
/// does this). An import writes them with each participant it adds, before its row.
pub struct Lookup<'v> {
    /// `participant_id`.
    pub roster_id: Option<&'v str>,
    /// `nik`.
    pub nik: Option<&'v str>,
    /// `phone`.
    pub phone: Option<&'v str>,
    /// `email`, lower-cased.
    pub email: Option<String>,
}

impl<'v> Lookup<'v> {
    /// The lookup columns of a participant with `values`.
    pub fn of(values: &'v (impl FieldValues + ?Sized)) -> Lookup<'v> {
        let get = |name: &str| values.value(name);
        Lookup {
            roster_id: get("participant_id"),
            nik: get("nik"),
            phone: get("phone"),
            email: get("email").map(str::to_ascii_lowercase),
        }
    }
}

/// Values read by name: a roster record's, or a map of them.
pub trait FieldValues {
    /// The value of `name`.
    fn value(&self, name: &str) -> Option<&str>;
}

impl FieldValues for crate::roster::Values {
    fn value(&self, name: &str) -> Option<&str> {
        self.get(name)
    }
}

impl<K: std::borrow::Borrow<str> + Ord> FieldValues for BTreeMap<K, String> {
    fn value(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

/// The first roster row of participants an import creates, its statement prepared once
/// (`prepare_cached` hashes and compares the SQL text at every call).
///
/// No history row is written: the row is marked `history_implicit`, which says that its
/// values, all set by the import at the row's time, are its history so far; the view
/// `participant_attribute_history` shows them as such, and the row's first change writes them
/// into `participant_row_history` (triggers of `0012_import_columns.sql`). A first import of a
/// million participants so writes their values once, not twice.
pub struct NewValues<'c> {
    row: Statement<'c>,
}

impl<'c> NewValues<'c> {
    /// Prepares the statement on `conn`.
    pub fn prepare(conn: &'c Connection) -> rusqlite::Result<NewValues<'c>> {
        Ok(NewValues {
            row: conn.prepare(INSERT_IMPORTED_ROW)?,
        })
    }

    /// Stores the values of a participant who has none yet, all set by `import` at `at`:
    /// `attrs` is the values as [`encode`] writes them. The participant was added with
    /// [`Lookup::of`] them.
    pub fn insert(
        &mut self,
        participant: i64,
        attrs: &str,
        import: Option<i64>,
        at: &str,
    ) -> rusqlite::Result<()> {
        self.row.execute(params![participant, attrs, import, at])?;
        Ok(())
    }
}

/// Writes out the implicit history entry of a participant's row (see [`NewValues`]), if it has
/// one, so that `participant_row_history` holds the participant's whole history; returns
/// whether it had one. The triggers do this before any change; erasure calls it before it
/// blanks the history.
pub fn write_implicit_history(conn: &Connection, participant: i64) -> rusqlite::Result<bool> {
    let written = conn
        .prepare_cached(
            "INSERT INTO participant_row_history (participant_id, import_id, set_at, changes)
             SELECT participant_id, set_by_import, updated_at, attrs FROM participant_rows
             WHERE participant_id = ?1 AND history_implicit = 1",
        )?
        .execute([participant])?;
    conn.prepare_cached(
        "UPDATE participant_rows SET history_implicit = 0
         WHERE participant_id = ?1 AND history_implicit = 1",
    )?
    .execute([participant])?;
    Ok(written > 0)
}

/// Sets values of a participant (adding the row when there is none), as set by `import`
/// (`None`: by hand) at `at`. Writes no history: see [`record_changes`].
pub fn set_values(
    conn: &Connection,
    participant: i64,
    values: &[(&str, &str)],
    import: Option<i64>,
    at: &str,
) -> rusqlite::Result<()> {
    // json_patch rather than json_set: a field name is a key here, never parsed as a path.
    let mut statement = conn.prepare_cached(
        "INSERT INTO participant_rows (participant_id, attrs, set_by_import, updated_at)
         VALUES (?1, json_object(?2, ?3), ?4, ?5)
         ON CONFLICT (participant_id) DO UPDATE SET
             attrs = json_patch(attrs, json_object(?2, ?3)),
             sources = json_patch(sources, json_object(?2, json_array(?4, ?5)))",
    )?;
    for (name, value) in values {
        statement.execute(params![participant, name, value, import, at])?;
    }
    Ok(())
}

/// Removes fields from a participant's current values; returns how many were there.
pub fn clear_values(
    conn: &Connection,
    participant: i64,
    names: &[&str],
) -> rusqlite::Result<usize> {
    let mut statement = conn.prepare_cached(
        "UPDATE participant_rows
         SET attrs = json_patch(attrs, json_object(?2, NULL)),
             sources = json_patch(sources, json_object(?2, NULL))
         WHERE participant_id = ?1
           AND EXISTS (SELECT 1 FROM json_each(attrs) WHERE key = ?2)",
    )?;
    let mut cleared = 0;
    for name in names {
        cleared += statement.execute(params![participant, name])?;
    }
    Ok(cleared)
}

/// Records what `import` (`None`: a hand edit) changed for a participant at `at`: each field
/// with its new value, or `None` when it was cleared. Nothing is written for no changes.
pub fn record_changes(
    conn: &Connection,
    participant: i64,
    changes: &[(&str, Option<&str>)],
    import: Option<i64>,
    at: &str,
) -> rusqlite::Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let object: Map<String, Value> = changes
        .iter()
        .map(|(name, value)| {
            let value = value.map_or(Value::Null, |v| Value::String(v.to_owned()));
            ((*name).to_owned(), value)
        })
        .collect();
    record_changes_json(
        conn,
        participant,
        &Value::Object(object).to_string(),
        import,
        at,
    )
}

fn record_changes_json(
    conn: &Connection,
    participant: i64,
    changes: &str,
    import: Option<i64>,
    at: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(INSERT_HISTORY)?
        .execute(params![participant, import, at, changes])?;
    Ok(())
}

/// A participant's current values by field name (empty when there are none).
pub fn values(conn: &Connection, participant: i64) -> rusqlite::Result<BTreeMap<String, String>> {
    let attrs: Option<String> = conn
        .prepare_cached("SELECT attrs FROM participant_rows WHERE participant_id = ?1")?
        .query_row([participant], |row| row.get(0))
        .optional()?;
    Ok(attrs.map(|attrs| decode(&attrs)).unwrap_or_default())
}

/// One current value of a participant.
pub fn value(conn: &Connection, participant: i64, name: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached(
        "SELECT a.value FROM participant_rows r, json_each(r.attrs) a
         WHERE r.participant_id = ?1 AND a.key = ?2",
    )?
    .query_row(params![participant, name], |row| row.get(0))
    .optional()
}

/// The values of a stored `attrs` object. Written only by this module, so always an object of
/// strings; anything else reads as no values.
pub fn decode(attrs: &str) -> BTreeMap<String, String> {
    serde_json::from_str(attrs).unwrap_or_default()
}

/// Blanks the values of a participant's history whose field `keep` refuses (the fields stay,
/// so the timeline still shows that something was set and when); returns how many values were
/// blanked.
pub fn blank_history(
    conn: &Connection,
    participant: i64,
    keep: impl Fn(&str) -> bool,
) -> rusqlite::Result<usize> {
    write_implicit_history(conn, participant)?;
    let rows: Vec<(i64, String)> = {
        let mut statement = conn
            .prepare("SELECT id, changes FROM participant_row_history WHERE participant_id = ?1")?;
        let rows = statement.query_map([participant], |row| Ok((row.get(0)?, row.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut blanked = 0;
    for (id, changes) in rows {
        let Ok(Value::Object(mut object)) = serde_json::from_str::<Value>(&changes) else {
            continue;
        };
        let mut touched = false;
        for (name, value) in object.iter_mut() {
            if !value.is_null() && !keep(name) {
                *value = Value::Null;
                blanked += 1;
                touched = true;
            }
        }
        if touched {
            conn.execute(
                "UPDATE participant_row_history SET changes = ?2 WHERE id = ?1",
                params![id, Value::Object(object).to_string()],
            )?;
        }
    }
    Ok(blanked)
}

#[cfg(test)]
mod tests {
    use super::*;

    const AT: &str = "2025-03-01T02:00:00Z";

    fn participant(conn: &Connection, key: &str) -> i64 {
        conn.execute(
            "INSERT INTO participants (participant_key, pseudonym, created_at)
             VALUES (?1, ?1, ?2)",
            params![key, AT],
        )
        .unwrap();
        conn.last_insert_rowid()
    }

    fn view(conn: &Connection, id: i64) -> Vec<(String, String, Option<i64>, String)> {
        let mut statement = conn
            .prepare(
                "SELECT name, value, set_by_import, updated_at FROM participant_attributes
                 WHERE participant_id = ?1 ORDER BY name",
            )
            .unwrap();
        statement
            .query_map([id], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[test]
    fn encoded_objects_are_json_that_sqlite_reads_back() {
        let conn = crate::db::open_in_memory().unwrap();
        let id = participant(&conn, "id:1");
        let mut values = BTreeMap::new();
        values.insert(
            "name".to_owned(),
            "Siti \"Ani\" \\ Rahayu\n\u{1}é".to_owned(),
        );
        values.insert("nik".to_owned(), "3201010101010001".to_owned());
        let mut attrs = String::new();
        encode(
            values.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            &mut attrs,
        );
        assert_eq!(decode(&attrs), values);
        insert_new(&conn, id, &attrs, None, AT).unwrap();
        assert_eq!(self::values(&conn, id).unwrap(), values);
        let nik: String = conn
            .query_row("SELECT nik FROM participants WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(nik, "3201010101010001");
    }

    #[test]
    fn the_view_shows_each_fields_own_provenance() {
        let conn = crate::db::open_in_memory().unwrap();
        let id = participant(&conn, "id:1");
        conn.execute(
            "INSERT INTO roster_imports (id, file_name, content_hash, status, started_at)
             VALUES (7, 'a.xlsx', 'h', 'imported', ?1)",
            [AT],
        )
        .unwrap();
        set_values(
            &conn,
            id,
            &[("name", "Siti"), ("union", "SP A")],
            Some(7),
            AT,
        )
        .unwrap();
        set_values(
            &conn,
            id,
            &[("union", "SP B")],
            None,
            "2025-04-01T00:00:00Z",
        )
        .unwrap();
        assert_eq!(
            view(&conn, id),
            vec![
                ("name".to_owned(), "Siti".to_owned(), Some(7), AT.to_owned()),
                (
                    "union".to_owned(),
                    "SP B".to_owned(),
                    None,
                    "2025-04-01T00:00:00Z".to_owned()
                ),
            ]
        );
        assert_eq!(clear_values(&conn, id, &["union", "absent"]).unwrap(), 1);
        assert_eq!(view(&conn, id).len(), 1);
        assert_eq!(value(&conn, id, "name").unwrap().as_deref(), Some("Siti"));
        assert_eq!(value(&conn, id, "union").unwrap(), None);
        let search: (Option<String>, Option<String>) = conn
            .query_row(
                "SELECT name, union_name FROM participant_search WHERE participant_id = ?1",
                [id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap();
        assert_eq!(search, (Some("Siti".to_owned()), None));
    }

    #[test]
    fn only_a_change_to_a_searched_value_touches_the_search_index() {
        let conn = crate::db::open_in_memory().unwrap();
        let id = participant(&conn, "id:1");
        set_values(
            &conn,
            id,
            &[("name", "Siti Rahayu"), ("last_wage", "3500000")],
            None,
            AT,
        )
        .unwrap();
        let index_rows = || -> i64 {
            conn.query_row(
                "SELECT count(*) FROM participant_search_text_data",
                [],
                |row| row.get(0),
            )
            .unwrap()
        };
        let found = |text: &str| -> Vec<i64> {
            let mut statement = conn
                .prepare(
                    "SELECT rowid FROM participant_search_text
                     WHERE participant_search_text MATCH ?1",
                )
                .unwrap();
            statement
                // Every trigram of the text: the index keeps no positions (0012).
                .query_map(
                    [text
                        .as_bytes()
                        .windows(3)
                        .map(|t| format!("\"{}\" ", String::from_utf8_lossy(t)))
                        .collect::<String>()],
                    |row| row.get(0),
                )
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        };
        let before = index_rows();
        set_values(&conn, id, &[("last_wage", "3600000")], None, AT).unwrap();
        assert_eq!(index_rows(), before);
        assert_eq!(found("rahayu"), vec![id]);
        set_values(&conn, id, &[("name", "Siti Lestari")], None, AT).unwrap();
        assert_ne!(index_rows(), before);
        assert_eq!(found("rahayu"), Vec::<i64>::new());
        assert_eq!(found("lestari"), vec![id]);
    }

    #[test]
    fn an_implicit_history_survives_the_rows_removal_and_goes_with_the_participant() {
        let conn = crate::db::open_in_memory().unwrap();
        conn.execute(
            "INSERT INTO roster_imports (id, file_name, content_hash, status, started_at)
             VALUES (7, 'a.xlsx', 'h', 'imported', ?1)",
            [AT],
        )
        .unwrap();
        let mut values = BTreeMap::new();
        values.insert("name".to_owned(), "Siti".to_owned());
        values.insert("nik".to_owned(), "3201010101010001".to_owned());
        let mut attrs = String::new();
        encode(
            values.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            &mut attrs,
        );
        let history = |id: i64| -> (i64, i64) {
            conn.query_row(
                "SELECT (SELECT count(*) FROM participant_attribute_history
                         WHERE participant_id = ?1 AND import_id = 7),
                        (SELECT count(*) FROM participant_row_history WHERE participant_id = ?1)",
                [id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap()
        };
        let mut rows = NewValues::prepare(&conn).unwrap();
        let (kept, gone) = (participant(&conn, "id:1"), participant(&conn, "id:2"));
        for id in [kept, gone] {
            rows.insert(id, &attrs, Some(7), AT).unwrap();
            assert_eq!(history(id), (2, 0), "shown by the view, no row written");
        }
        drop(rows);
        // The row alone goes: its entry is written out first.
        conn.execute(
            "DELETE FROM participant_rows WHERE participant_id = ?1",
            [kept],
        )
        .unwrap();
        assert_eq!(history(kept), (2, 1));
        // The participant goes: so does its history, and nothing is left behind.
        conn.execute("DELETE FROM participants WHERE id = ?1", [gone])
            .unwrap();
        assert_eq!(history(gone), (0, 0));
        let orphans: i64 = conn
            .query_row(
                "SELECT count(*) FROM pragma_foreign_key_check('participant_row_history')",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(orphans, 0);
    }

    #[test]
    fn history_rows_hold_the_changes_and_can_be_blanked() {
        let conn = crate::db::open_in_memory().unwrap();
        let id = participant(&conn, "id:1");
        record_changes(
            &conn,
            id,
            &[("name", Some("Siti")), ("cohort", Some("2025-A"))],
            None,
            AT,
        )
        .unwrap();
        record_changes(&conn, id, &[("cohort", None)], None, "2025-04-01T00:00:00Z").unwrap();
        record_changes(&conn, id, &[], None, AT).unwrap();
        let history: Vec<(String, Option<String>)> = {
            let mut statement = conn
                .prepare(
                    "SELECT name, value FROM participant_attribute_history
                     WHERE participant_id = ?1 ORDER BY set_at, id, name",
                )
                .unwrap();
            statement
                .query_map([id], |row| Ok((row.get(0)?, row.get(1)?)))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        };
        assert_eq!(
            history,
            vec![
                ("cohort".to_owned(), Some("2025-A".to_owned())),
                ("name".to_owned(), Some("Siti".to_owned())),
                ("cohort".to_owned(), None),
            ]
        );
        assert_eq!(
            blank_history(&conn, id, |name| name == "cohort").unwrap(),
            1
        );
        let left: i64 = conn
            .query_row(
                "SELECT count(*) FROM participant_attribute_history WHERE value IS NOT NULL",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(left, 1);
    }
}
