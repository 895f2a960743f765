//! Data-subject rights over one participant: finding them by key or id, exporting everything
//! pantau holds about them ([`export`]) and erasing their personal data ([`erase`]).
//!
//! Database only, no actix or clock: callers pass `now` and the acting user. The schema keeps
//! personal data in a short list of places (see the header of `0001_initial.sql`); [`erase`]
//! visits each of them.

pub mod attributes;
pub mod bulk;
pub mod erase;
pub mod export;
pub mod name_pieces;
pub mod search_index;

use rusqlite::{Connection, OptionalExtension};

pub use erase::{ErasePolicy, Erased, erase};
pub use export::export;

/// Why a participant operation could not be done.
#[derive(Debug, thiserror::Error)]
pub enum ParticipantError {
    /// Nothing matches the key or id given.
    #[error("no participant has the key or id {0:?}")]
    NotFound(String),
    /// The participant was erased already.
    #[error("participant {0} was already erased")]
    AlreadyErased(i64),
    /// The database failed.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<rusqlite::Error> for ParticipantError {
    fn from(err: rusqlite::Error) -> ParticipantError {
        ParticipantError::Internal(err.into())
    }
}

/// The participant named by `reference`: a participant key ("nik:3201…", "id:P-001",
/// "erased:42") or a row id ("42").
pub fn resolve(conn: &Connection, reference: &str) -> Result<i64, ParticipantError> {
    let reference = reference.trim();
    let by_key: Option<i64> = conn
        .query_row(
            "SELECT id FROM participants WHERE participant_key = ?1",
            [reference],
            |row| row.get(0),
        )
        .optional()?;
    if let Some(id) = by_key {
        return Ok(id);
    }
    if let Ok(id) = reference.parse::<i64>() {
        let exists: Option<i64> = conn
            .query_row("SELECT id FROM participants WHERE id = ?1", [id], |row| {
                row.get(0)
            })
            .optional()?;
        if let Some(id) = exists {
            return Ok(id);
        }
    }
    Err(ParticipantError::NotFound(reference.to_owned()))
}

#[cfg(test)]
mod tests;
