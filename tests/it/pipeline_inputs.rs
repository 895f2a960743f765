//! The job's one read of participants and responses (`Inputs::read`): read on two connections
//! side by side, it gives what one connection in one transaction gives, and a response
//! committed between the two reads' beginnings shows in both reads or in neither.

use pantau::pipeline::inputs::{Inputs, Participant, Response};
use rusqlite::{Connection, params};

use crate::pipeline::load_fixture;

/// The fixture programme in a database file (WAL mode, as `pantau` opens it).
fn fixture_database() -> (tempfile::TempDir, Connection) {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = pantau::db::open(&dir.path().join("pantau.db")).unwrap();
    load_fixture(&mut conn);
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    (dir, conn)
}

/// Commits, on a connection of its own, participant `n` of the test (key `late-n`) with a row,
/// a baseline invitation and a response: one transaction.
fn commit_late_participant(dir: &tempfile::TempDir, n: usize) {
    let mut conn = Connection::open(dir.path().join("pantau.db")).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .unwrap();
    let tx = conn.transaction().unwrap();
    tx.execute(
        "INSERT INTO participants (participant_key, pseudonym, created_at)
         VALUES (?1, ?2, '2026-02-01T00:00:00Z')",
        params![format!("id:late-{n}"), format!("P-LATE-{n}")],
    )
    .unwrap();
    let participant = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO participant_rows (participant_id, attrs, updated_at)
         VALUES (?1, ?2, '2026-02-01T00:00:00Z')",
        params![
            participant,
            format!(r#"{{"participant_id":"late-{n}","sex":"F"}}"#)
        ],
    )
    .unwrap();
    tx.execute(
        "INSERT INTO invitations (participant_id, wave, token, status, issued_at, opens_at,
                                  closes_at)
         VALUES (?1, 'baseline', ?2, 'submitted', '2026-02-01T00:00:00Z',
                 '2026-02-01T00:00:00Z', '2026-03-01T00:00:00Z')",
        params![participant, format!("late-token-{n}")],
    )
    .unwrap();
    let invitation = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO responses (invitation_id, submission_id, form_id, form_version, answers,
                                language, submitted_at)
         VALUES (?1, ?2, 'pantau_form', '1', '{\"income_total\": 1500000}', 'id',
                 '2026-02-02T00:00:00Z')",
        params![invitation, format!("late-submission-{n}")],
    )
    .unwrap();
    tx.commit().unwrap();
}

type ParticipantRow = (i64, Option<String>, bool);
type ResponseRow = (i64, String, String, String, String, String, bool);

fn participant_rows(inputs: &Inputs) -> Vec<ParticipantRow> {
    inputs
        .participants
        .iter()
        .map(|p: &Participant| (p.id, p.attrs.clone(), p.erased))
        .collect()
}

fn response_rows(inputs: &Inputs) -> Vec<ResponseRow> {
    inputs
        .responses
        .iter()
        .map(|r: &Response| {
            (
                r.participant_id,
                r.wave.clone(),
                r.opens_at.clone(),
                r.closes_at.clone(),
                r.submitted_at.clone(),
                r.answers.clone(),
                r.erased,
            )
        })
        .collect()
}

/// Every response belongs to a participant of the same read.
fn assert_whole(inputs: &Inputs) {
    let ids: std::collections::HashSet<i64> = inputs.participants.iter().map(|p| p.id).collect();
    for response in &inputs.responses {
        assert!(
            ids.contains(&response.participant_id),
            "a response of participant #{} in wave {} was read without its participant: the two \
             reads saw different states of the database",
            response.participant_id,
            response.wave
        );
    }
}

#[test]
fn two_connections_read_what_one_transaction_reads_in_the_same_order() {
    let (_dir, conn) = fixture_database();
    // Inside a transaction the read stays on this one connection.
    let tx = conn.unchecked_transaction().unwrap();
    let one = Inputs::read(&conn).unwrap();
    drop(tx);
    let two = Inputs::read(&conn).unwrap();
    assert_eq!(one.participants.len(), 64);
    assert!(one.responses.len() > 60, "{}", one.responses.len());
    assert_eq!(participant_rows(&two), participant_rows(&one));
    assert_eq!(response_rows(&two), response_rows(&one));
    // By wave, then participant, as the merge's `answers_of` expects.
    let order: Vec<(String, i64)> = two
        .responses
        .iter()
        .map(|r| (r.wave.clone(), r.participant_id))
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(order, sorted);
    let ids: Vec<i64> = two.participants.iter().map(|p| p.id).collect();
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]));
}

#[test]
fn a_response_committed_between_the_two_reads_shows_in_both_or_neither() {
    let (dir, conn) = fixture_database();
    let mut committed = 0;
    // The first attempt's participants are read before the commit, its responses after it:
    // the read must notice and start over.
    let inputs = Inputs::read_checked(&conn, &mut || {
        if committed == 0 {
            commit_late_participant(&dir, 0);
            committed += 1;
        }
    })
    .unwrap();
    assert_eq!(committed, 1);
    assert_whole(&inputs);
    assert!(
        inputs
            .responses
            .iter()
            .any(|r| r.answers.contains("1500000")
                && inputs.participants.iter().any(|p| p.id == r.participant_id
                    && p.attrs.as_deref().is_some_and(|a| a.contains("late-0")))),
        "the read after the commit has the late participant and their response"
    );
    assert_eq!(inputs.participants.len(), 65);
}

#[test]
fn commits_between_every_attempt_end_in_one_connection_reading_one_state() {
    let (dir, conn) = fixture_database();
    let mut committed = 0;
    let inputs = Inputs::read_checked(&conn, &mut || {
        commit_late_participant(&dir, committed);
        committed += 1;
    })
    .unwrap();
    // Every side-by-side attempt met a commit; the last read, on one connection, saw them all.
    assert!(committed >= 2, "{committed}");
    assert_whole(&inputs);
    assert_eq!(inputs.participants.len(), 64 + committed);
    let late = inputs
        .participants
        .iter()
        .filter(|p| p.attrs.as_deref().is_some_and(|a| a.contains("late-")))
        .count();
    assert_eq!(late, committed);
}
