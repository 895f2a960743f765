//! The audit log: who did what in the admin area. Participants are named by id only; `detail`
//! never carries a name, NIK, phone, email or answer.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use crate::invitations::rfc3339;

/// One audit entry to write.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    /// The staff member, `None` for the job or an unknown login name.
    pub user: Option<i64>,
    /// Dotted verb: "user.login", "participant.erase".
    pub action: &'a str,
    /// What it acted on: "participant:42", "import:7".
    pub target: Option<&'a str>,
    /// Extra facts without personal data.
    pub detail: Option<&'a str>,
}

/// Appends `entry` at `now`.
pub fn record(conn: &Connection, now: DateTime<Utc>, entry: Entry<'_>) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO audit_log (at, user_id, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            rfc3339(now),
            entry.user,
            entry.action,
            entry.target,
            entry.detail
        ],
    )?;
    Ok(())
}

/// Shorthand for an entry by `user` on `target` without detail.
pub fn action(
    conn: &Connection,
    now: DateTime<Utc>,
    user: Option<i64>,
    action: &str,
    target: Option<&str>,
) -> rusqlite::Result<()> {
    record(
        conn,
        now,
        Entry {
            user,
            action,
            target,
            detail: None,
        },
    )
}
