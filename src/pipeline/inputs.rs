//! One read of what the data-quality check and the merge both need: every participant's stored
//! roster values and every response's answers, as the database holds them (JSON text, not yet
//! decoded). The job reads them once per run and hands the same [`Inputs`] to
//! [`super::quality::find_in`] and to the merge, which decode only what they use (and the merge
//! nothing at all for records the job cache still holds).

use std::collections::HashMap;

use rusqlite::Connection;

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
    /// Reads every participant and every response.
    pub fn read(conn: &Connection) -> anyhow::Result<Inputs> {
        let mut statement = conn.prepare(
            "SELECT p.id, r.attrs, p.erased_at IS NOT NULL
             FROM participants p LEFT JOIN participant_rows r ON r.participant_id = p.id
             ORDER BY p.id",
        )?;
        // Both lists are sized once from a count (cheap: SQLite counts from an index), not
        // grown by doubling: at 100,000 participants each doubling copied the list into fresh
        // memory that the kernel zeroed first.
        let count = |sql: &str| -> rusqlite::Result<usize> {
            conn.query_row(sql, [], |row| row.get::<_, i64>(0))
                .map(|n| usize::try_from(n).unwrap_or(0))
        };
        let mut participants = Vec::with_capacity(count("SELECT count(*) FROM participants")?);
        for participant in statement.query_map([], |row| {
            Ok(Participant {
                id: row.get(0)?,
                attrs: row.get(1)?,
                erased: row.get(2)?,
            })
        })? {
            participants.push(participant?);
        }
        let mut statement = conn.prepare(
            "SELECT i.participant_id, i.wave, i.opens_at, i.closes_at, r.submitted_at, r.answers,
                    p.erased_at IS NOT NULL
             FROM responses r JOIN invitations i ON i.id = r.invitation_id
             JOIN participants p ON p.id = i.participant_id
             ORDER BY i.wave, i.participant_id",
        )?;
        let mut responses = Vec::with_capacity(count("SELECT count(*) FROM responses")?);
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
