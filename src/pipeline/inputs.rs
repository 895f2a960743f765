//! One read of what the data-quality check and the merge both need: every participant's stored
//! roster values and every response's answers, as the database holds them (JSON text, not yet
//! decoded). The job reads them once per run and hands the same [`Inputs`] to
//! [`super::quality::find_in`] and to the merge, which decode only what they use (and the merge
//! nothing at all for records the job cache still holds).
//!
//! Participants and responses are read side by side, each on a connection and thread of its
//! own, when the database is a file in WAL mode: at 1,000,000 participants the read was 14 s
//! on one core while the other sat idle. Both reads see one state of the database
//! ([`Inputs::read`] says how), so a response submitted meanwhile is either in both or in
//! neither.

use std::collections::HashMap;

use rayon::prelude::*;
use rusqlite::{Connection, OpenFlags};

/// A participant as stored.
#[derive(Debug, Clone)]
pub struct Participant {
    pub id: i64,
    /// `participant_rows.attrs`: the current roster values as a JSON object; None for a
    /// participant without a row.
    pub attrs: Option<String>,
    pub erased: bool,
}

/// A submitted response with its invitation's window.
#[derive(Debug, Clone)]
pub struct Response {
    pub participant_id: i64,
    pub wave: String,
    pub opens_at: String,
    pub closes_at: String,
    pub submitted_at: String,
    /// The answers as a JSON object.
    pub answers: String,
    /// Whether the participant was erased.
    pub erased: bool,
}

/// Participants (by id, ascending) and responses (by wave, then participant).
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub participants: Vec<Participant>,
    pub responses: Vec<Response>,
}

impl Inputs {
    /// Reads every participant and every response, as one state of the database.
    ///
    /// For a database file in WAL mode and a connection outside a transaction, the responses
    /// are read on a second connection and thread while this one reads the participants. Two
    /// connections each see the state their read transaction began with, so the two must
    /// begin at one state: the second connection notes `PRAGMA data_version` (which changes
    /// when another connection commits), this one begins its read, then the second begins
    /// its own and asks again. The same number means that nothing was committed from before
    /// the first read began until after the second did, so both see the same state; another
    /// number means a commit fell in between, and both start over (a few times, then the two
    /// are read one after the other in one transaction). Reading both within one transaction
    /// on two connections is not possible in SQLite, and bounding the second read by ids from
    /// the first would miss a corrected answer or an erasure committed in between.
    pub fn read(conn: &Connection) -> anyhow::Result<Inputs> {
        Self::read_checked(conn, &mut || {})
    }

    /// [`Inputs::read`], calling `between` after the first read transaction began and before
    /// the second: tests commit there to check that the two reads still agree.
    #[doc(hidden)]
    pub fn read_checked(conn: &Connection, between: &mut dyn FnMut()) -> anyhow::Result<Inputs> {
        const ATTEMPTS: usize = 3;
        if let Some(mut other) = second_connection(conn)? {
            for _ in 0..ATTEMPTS {
                if let Some(inputs) = read_side_by_side(conn, &mut other, between)? {
                    return Ok(inputs);
                }
            }
        }
        // One connection: one transaction (when the caller is not in one already) keeps the
        // two reads at one state.
        let transaction = conn
            .is_autocommit()
            .then(|| conn.unchecked_transaction())
            .transpose()?;
        let participants = read_participants(conn)?;
        let responses = read_responses(conn)?;
        drop(transaction);
        Ok(Inputs {
            participants,
            responses,
        })
    }

    /// The answers of `wave`'s responses (JSON text) by participant.
    pub fn answers_of(&self, wave: &str) -> HashMap<i64, &str> {
        // Responses are sorted by wave, so the wave's are one run of the list.
        let start = self.responses.partition_point(|r| r.wave.as_str() < wave);
        self.responses[start..]
            .iter()
            .take_while(|r| r.wave == wave)
            .map(|r| (r.participant_id, r.answers.as_str()))
            .collect()
    }
}

/// A second, read-only connection to the database of `conn`, when the two may read side by
/// side: a file (not in memory), in WAL mode (readers of other journal modes block writers),
/// and `conn` outside a transaction (a second connection would not see what `conn` has not
/// committed). None otherwise.
fn second_connection(conn: &Connection) -> anyhow::Result<Option<Connection>> {
    let Some(path) = conn.path().filter(|path| !path.is_empty()) else {
        return Ok(None);
    };
    let mode: String = conn.pragma_query_value(None, "journal_mode", |row| row.get(0))?;
    if !conn.is_autocommit() || !mode.eq_ignore_ascii_case("wal") {
        return Ok(None);
    }
    let other = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|err| anyhow::anyhow!("cannot open the database {path} a second time: {err}"))?;
    other.busy_timeout(std::time::Duration::from_secs(30))?;
    // Read through the same memory map as the caller's connection (see `db::configure`).
    let mmap: i64 = conn.pragma_query_value(None, "mmap_size", |row| row.get(0))?;
    other.pragma_update(None, "mmap_size", mmap)?;
    Ok(Some(other))
}

/// Participants on `conn` and responses on `other` at once, on two threads; None when a
/// commit fell between the two read transactions' beginnings (see [`Inputs::read`]).
fn read_side_by_side(
    conn: &Connection,
    other: &mut Connection,
    between: &mut dyn FnMut(),
) -> anyhow::Result<Option<Inputs>> {
    let version = |conn: &Connection| -> rusqlite::Result<i64> {
        conn.pragma_query_value(None, "data_version", |row| row.get(0))
    };
    let before = version(other)?;
    // A read transaction takes its state at its first read, not at BEGIN.
    let first = conn.unchecked_transaction()?;
    conn.query_row("SELECT count(*) FROM participants", [], |_| Ok(()))?;
    between();
    // Begun by hand rather than as a `Transaction`, which borrows the connection: the
    // connection itself moves to the thread that reads the responses.
    other.execute_batch("BEGIN")?;
    let same = other
        .query_row("SELECT count(*) FROM responses", [], |_| Ok(()))
        .and_then(|()| version(other))
        .map(|after| after == before);
    if !matches!(same, Ok(true)) {
        other.execute_batch("ROLLBACK")?;
        return same.map(|_| None).map_err(Into::into);
    }
    let (participants, responses) = std::thread::scope(|scope| {
        let responses = std::thread::Builder::new()
            .name("read responses".into())
            .spawn_scoped(scope, move || {
                let responses = read_responses(other);
                other.execute_batch("COMMIT")?;
                responses
            });
        let participants = read_participants(conn);
        let responses = match responses {
            Ok(thread) => thread
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("the thread reading responses failed"))),
            Err(err) => Err(anyhow::anyhow!(
                "cannot start a thread to read responses: {err}"
            )),
        };
        (participants, responses)
    });
    drop(first);
    Ok(Some(Inputs {
        participants: participants?,
        responses: responses?,
    }))
}

/// How many rows a count query gives (lists are sized once from it, not grown by doubling: at
/// 100,000 participants each doubling copied the list into fresh memory that the kernel
/// zeroed first).
fn count(conn: &Connection, sql: &str) -> rusqlite::Result<usize> {
    conn.query_row(sql, [], |row| row.get::<_, i64>(0))
        .map(|n| usize::try_from(n).unwrap_or(0))
}

/// Every participant, by id.
fn read_participants(conn: &Connection) -> anyhow::Result<Vec<Participant>> {
    let mut statement = conn.prepare(
        "SELECT p.id, r.attrs, p.erased_at IS NOT NULL
         FROM participants p LEFT JOIN participant_rows r ON r.participant_id = p.id
         ORDER BY p.id",
    )?;
    let mut participants = Vec::with_capacity(count(conn, "SELECT count(*) FROM participants")?);
    for participant in statement.query_map([], |row| {
        Ok(Participant {
            id: row.get(0)?,
            attrs: row.get(1)?,
            erased: row.get(2)?,
        })
    })? {
        participants.push(participant?);
    }
    Ok(participants)
}

/// Every response, by wave, then participant.
fn read_responses(conn: &Connection) -> anyhow::Result<Vec<Response>> {
    // In the order SQLite finds them, sorted here after: an ORDER BY made SQLite's sorter copy
    // every row with its answers (two thirds of this read at 100,000 participants), while
    // sorting the list moves only the rows' fixed parts. A participant has one invitation
    // per wave and an invitation one response, so (wave, participant) orders the rows fully,
    // and byte order of the wave names is SQLite's BINARY collation.
    let mut statement = conn.prepare(
        "SELECT i.participant_id, i.wave, i.opens_at, i.closes_at, r.submitted_at, r.answers,
                p.erased_at IS NOT NULL
         FROM responses r JOIN invitations i ON i.id = r.invitation_id
         JOIN participants p ON p.id = i.participant_id",
    )?;
    let mut responses = Vec::with_capacity(count(conn, "SELECT count(*) FROM responses")?);
    for response in statement.query_map([], |row| {
        Ok(Response {
            participant_id: row.get(0)?,
            wave: row.get(1)?,
            opens_at: row.get(2)?,
            closes_at: row.get(3)?,
            submitted_at: row.get(4)?,
            answers: row.get(5)?,
            erased: row.get(6)?,
        })
    })? {
        responses.push(response?);
    }
    responses.par_sort_unstable_by(|a, b| {
        (a.wave.as_str(), a.participant_id).cmp(&(b.wave.as_str(), b.participant_id))
    });
    Ok(responses)
}
