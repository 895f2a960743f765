use super::*;
use crate::participants::attributes;

const AT: &str = "2025-03-01T02:00:00Z";

const PEOPLE: [(&str, &str); 5] = [
    (
        "nik:1",
        r#"{"cohort":"A","name":"Dewi Lestari","phone":"6281234567","union":"SP A"}"#,
    ),
    (
        "nik:2",
        r#"{"name":"Budi","nik":"3201010101900001","cohort":"B"}"#,
    ),
    ("phone:3", r#"{"phone":"6289999","name":"Sari Dewi"}"#),
    ("nik:4", r#"{"name":"\u00d1ino \"X\""}"#),
    ("id:5", "{}"),
];

/// A programme whose participants were stored by a first import: in the backlog, not in the
/// search structures.
fn bulk_loaded() -> Connection {
    let mut conn = crate::db::open_in_memory().unwrap();
    first_import(&mut conn, &PEOPLE);
    conn
}

/// The same participants written row by row, the triggers keeping the search structures.
fn row_by_row() -> Connection {
    let conn = crate::db::open_in_memory().unwrap();
    for (key, attrs) in PEOPLE {
        let id = crate::participants::bulk::add_participant(&conn, key);
        attributes::insert_new(&conn, id, attrs, None, AT).unwrap();
    }
    conn
}

/// The first column of every row `sql` gives.
fn column<T: rusqlite::types::FromSql>(conn: &Connection, sql: &str) -> Vec<T> {
    let mut statement = conn.prepare(sql).unwrap();
    statement
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

/// The search rows, the participants the trigram index and the index of name pieces find
/// for a few fragments, and the schema's triggers.
fn searchable(conn: &Connection) -> (Vec<String>, Vec<Vec<i64>>, Vec<String>) {
    let rows = column(
        conn,
        "SELECT json_array(participant_id, name, phone, nik, cohort, union_name)
         FROM participant_search ORDER BY participant_id",
    );
    let found = [
        "SELECT rowid FROM participant_search_text WHERE participant_search_text MATCH '\"dew\"'
         ORDER BY rowid",
        "SELECT rowid FROM participant_search_text WHERE participant_search_text MATCH '\"320\"'
         ORDER BY rowid",
        "SELECT rowid FROM participant_search_grams
         WHERE participant_search_grams MATCH '\"6465\"' ORDER BY rowid",
        // "ñ" lower-cased as SQLite's lower() leaves it: C391.
        "SELECT rowid FROM participant_search_grams
         WHERE participant_search_grams MATCH '\"C391\"' ORDER BY rowid",
    ]
    .map(|sql| column(conn, sql))
    .to_vec();
    let triggers = column(
        conn,
        "SELECT name || ':' || sql FROM sqlite_schema WHERE type = 'trigger' ORDER BY 1",
    );
    (rows, found, triggers)
}

/// FTS5's own check that the trigram index holds exactly the search table's texts.
fn trigrams_agree(conn: &Connection) {
    conn.execute(
        "INSERT INTO participant_search_text (participant_search_text, rank)
         VALUES ('integrity-check', 1)",
        [],
    )
    .expect("the trigram index matches participant_search");
}

#[test]
fn chunks_add_the_waiting_participants_as_the_triggers_would_have() {
    let mut conn = bulk_loaded();
    let expected = searchable(&row_by_row());
    assert_eq!(expected.1, vec![vec![1, 3], vec![2], vec![1, 3], vec![4]]);
    assert!(searchable(&conn).0.is_empty());
    assert_eq!(waiting(&conn).unwrap(), 5);
    let mut covered = Vec::new();
    loop {
        match catch_up_chunk(&mut conn, 2).unwrap() {
            0 => break,
            n => covered.push((n, waiting(&conn).unwrap())),
        }
    }
    assert_eq!(covered, vec![(2, 3), (2, 1), (1, 0)]);
    assert_eq!(searchable(&conn), expected);
    trigrams_agree(&conn);
    // Nothing waits: another call changes nothing.
    assert_eq!(catch_up(&mut conn).unwrap(), 0);
    assert_eq!(searchable(&conn), expected);
}

#[test]
fn values_changed_or_removed_while_waiting_are_indexed_as_they_are_then() {
    let mut conn = bulk_loaded();
    attributes::set_values(&conn, 1, &[("name", "Dewi Baru")], None, AT).unwrap();
    // Participant 2's values removed by hand and entered again: the insert trigger indexed
    // them, and the indexer leaves that row alone.
    conn.execute("DELETE FROM participant_rows WHERE participant_id = 2", [])
        .unwrap();
    attributes::insert_new(&conn, 2, r#"{"name":"Budi Dua"}"#, None, AT).unwrap();
    // Participant 3's values removed: nothing to index.
    conn.execute("DELETE FROM participant_rows WHERE participant_id = 3", [])
        .unwrap();
    assert_eq!(catch_up(&mut conn).unwrap(), 5);
    let (rows, found, _) = searchable(&conn);
    assert_eq!(
        rows,
        vec![
            r#"[1,"Dewi Baru","6281234567",null,"A","SP A"]"#,
            r#"[2,"Budi Dua",null,null,null,null]"#,
            r#"[4,"Ñino \"X\"",null,null,null,null]"#,
            "[5,null,null,null,null,null]",
        ]
    );
    assert_eq!(found[0], vec![1]);
    trigrams_agree(&conn);
}

#[test]
fn a_failed_chunk_leaves_the_backlog_and_the_schema_as_they_were() {
    let mut conn = bulk_loaded();
    conn.execute_batch(
        "CREATE TRIGGER refuse BEFORE INSERT ON participant_search WHEN new.participant_id = 4
         BEGIN SELECT RAISE(ABORT, 'refused'); END;",
    )
    .unwrap();
    let before = searchable(&conn);
    let err = catch_up(&mut conn).unwrap_err();
    assert!(err.to_string().contains("refused"), "{err}");
    assert_eq!(searchable(&conn), before);
    assert_eq!(waiting(&conn).unwrap(), 5);
    conn.execute("DROP TRIGGER refuse", []).unwrap();
    assert_eq!(catch_up(&mut conn).unwrap(), 5);
    assert_eq!(searchable(&conn), searchable(&row_by_row()));
}
