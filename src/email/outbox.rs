//! The `email_outbox` table: every email is stored here before any attempt to send it, and the
//! sender works through it with retries.
//!
//! Queuing is idempotent: each email has a `dedupe_key` saying what it is for
//! (`invitation:42:0`, `report:7:managers:sari@example.org`), and queuing the same key again
//! does nothing. So the job can run twice, or crash half way and run again, without anybody
//! receiving an email twice.
//!
//! Sending exactly once: a sender first *claims* a due row in one `UPDATE`, which counts the
//! attempt and pushes `next_attempt_at` a [`LEASE`] into the future, so another sender (the
//! server's scheduler and a `pantau outbox send` by hand) no longer sees it as due. The claim
//! is one statement, and SQLite runs a write statement under the database's write lock, so two
//! senders cannot claim the same row. The one window left is a crash (or a database error)
//! after the mail server accepted a message and before the row is marked `sent`: the lease
//! then runs out and the email is sent again. The Message-ID header stays the same across
//! attempts, so mail clients that deduplicate by it show it once.
//!
//! Times are RFC 3339 UTC text, which sorts as text; the clock is always a parameter.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::backoff::{MAX_ATTEMPTS, delay_after};
use crate::invitations::rfc3339;

/// How long a claimed email is hidden from other senders. Far longer than one SMTP exchange
/// (whose every command times out after [`super::transport::SMTP_TIMEOUT`]), so a live
/// sender always finishes first; a crashed sender's claim runs out and the email is retried.
pub const LEASE: Duration = Duration::minutes(10);

/// An email to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEmail {
    /// What the email is for; queuing a key twice does nothing the second time.
    pub dedupe_key: String,
    /// One address.
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    /// The HTML alternative of `body_text`, when there is one.
    pub body_html: Option<String>,
    /// A file to attach, relative to the reports folder.
    pub attachment: Option<String>,
}

/// Stores `email` as queued and due at once. Returns whether it was new (false when an email
/// with the same dedupe key was queued before, whatever became of it).
pub fn queue(conn: &Connection, email: &NewEmail, now: DateTime<Utc>) -> rusqlite::Result<bool> {
    let inserted = conn
        .prepare_cached(
            "INSERT INTO email_outbox (dedupe_key, recipient, subject, body_text, body_html,
                                       attachment, status, attempts, next_attempt_at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'queued', 0, ?7, ?7)
             ON CONFLICT (dedupe_key) DO NOTHING",
        )?
        .execute(params![
            email.dedupe_key,
            email.recipient,
            email.subject,
            email.body_text,
            email.body_html,
            email.attachment,
            rfc3339(now),
        ])?;
    Ok(inserted == 1)
}

/// A row a sender has claimed and must now send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub attachment: Option<String>,
    /// Attempts including this one.
    pub attempts: u32,
    /// When it was queued (RFC 3339), part of its Message-ID.
    pub created_at: String,
}

/// Claims the oldest email due at `now`, if any: counts the attempt and hides the row from
/// other senders for a [`LEASE`].
pub fn claim_next(conn: &Connection, now: DateTime<Utc>) -> rusqlite::Result<Option<Claimed>> {
    let stamp = rfc3339(now);
    conn.prepare_cached(
        "UPDATE email_outbox SET attempts = attempts + 1, next_attempt_at = ?2
         WHERE id = (SELECT id FROM email_outbox
                     WHERE status = 'queued' AND next_attempt_at <= ?1
                     ORDER BY next_attempt_at, id LIMIT 1)
           AND status = 'queued' AND next_attempt_at <= ?1
         RETURNING id, recipient, subject, body_text, body_html, attachment, attempts,
                   created_at",
    )?
    .query_row(params![stamp, rfc3339(now + LEASE)], |row| {
        Ok(Claimed {
            id: row.get(0)?,
            recipient: row.get(1)?,
            subject: row.get(2)?,
            body_text: row.get(3)?,
            body_html: row.get(4)?,
            attachment: row.get(5)?,
            attempts: row.get(6)?,
            created_at: row.get(7)?,
        })
    })
    .optional()
}

/// Marks a claimed email delivered (to the mail server, or written as a file).
pub fn mark_sent(conn: &Connection, id: i64, now: DateTime<Utc>) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE email_outbox SET status = 'sent', sent_at = ?2, next_attempt_at = NULL,
             last_error = NULL
         WHERE id = ?1",
    )?
    .execute(params![id, rfc3339(now)])?;
    Ok(())
}

/// What became of an email after a temporary failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Queued again, due at the time given.
    Retrying(DateTime<Utc>),
    /// Tried [`MAX_ATTEMPTS`] times: given up.
    GaveUp,
}

/// Records a temporary failure of attempt number `attempts`: the email stays queued until the
/// backoff delay has passed, or fails for good once it has used up its attempts.
pub fn mark_temporary_failure(
    conn: &Connection,
    id: i64,
    attempts: u32,
    error: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<AfterFailure> {
    if attempts >= MAX_ATTEMPTS {
        let message = format!("gave up after {attempts} attempts; the last one: {error}");
        mark_failed(conn, id, &message)?;
        return Ok(AfterFailure::GaveUp);
    }
    let next = now + delay_after(attempts);
    conn.prepare_cached(
        "UPDATE email_outbox SET status = 'queued', next_attempt_at = ?2, last_error = ?3
         WHERE id = ?1",
    )?
    .execute(params![id, rfc3339(next), error])?;
    Ok(AfterFailure::Retrying(next))
}

/// Marks an email failed for good (a permanent refusal by the mail server, an unusable address
/// or attachment): it stays visible in `pantau outbox` with its error until retried by hand.
pub fn mark_failed(conn: &Connection, id: i64, error: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE email_outbox SET status = 'failed', next_attempt_at = NULL, last_error = ?2
         WHERE id = ?1",
    )?
    .execute(params![id, error])?;
    Ok(())
}

/// What `pantau outbox retry ID` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retry {
    /// The failed email is queued again with a fresh count of attempts.
    Requeued,
    /// No email has that id.
    NotFound,
    /// The email is not failed; its status is given.
    NotFailed(String),
}

/// Puts a failed email back in the queue, due at `now`, with its attempts reset.
pub fn retry(conn: &Connection, id: i64, now: DateTime<Utc>) -> rusqlite::Result<Retry> {
    let changed = conn.execute(
        "UPDATE email_outbox SET status = 'queued', attempts = 0, next_attempt_at = ?2
         WHERE id = ?1 AND status = 'failed'",
        params![id, rfc3339(now)],
    )?;
    if changed == 1 {
        return Ok(Retry::Requeued);
    }
    let status: Option<String> = conn
        .query_row(
            "SELECT status FROM email_outbox WHERE id = ?1",
            [id],
            |row| row.get(0),
        )
        .optional()?;
    Ok(status.map_or(Retry::NotFound, Retry::NotFailed))
}

/// One failed email, as `pantau outbox` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedEmail {
    pub id: i64,
    /// What it was for (`invitation:42:0`, `report:7:donors:…`).
    pub dedupe_key: String,
    pub recipient: String,
    pub subject: String,
    pub attempts: u32,
    /// Why it failed, as the mail server or pantau said.
    pub error: String,
    pub created_at: String,
}

/// The state of the outbox: emails per status, and every failed one with its error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OutboxState {
    /// `queued`, `sent`, `failed` and how many emails have each (zero counts included).
    pub counts: BTreeMap<String, i64>,
    /// Queued emails that already failed at least once, waiting for their next attempt.
    pub retrying: i64,
    /// The failed emails, oldest first.
    pub failed: Vec<FailedEmail>,
}

/// Reads the outbox's state.
pub fn state(conn: &Connection) -> rusqlite::Result<OutboxState> {
    let mut counts: BTreeMap<String, i64> = ["queued", "sent", "failed"]
        .into_iter()
        .map(|status| (status.to_string(), 0))
        .collect();
    let mut statement =
        conn.prepare("SELECT status, count(*) FROM email_outbox GROUP BY status")?;
    for row in statement.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get(1)?)))? {
        let (status, count) = row?;
        counts.insert(status, count);
    }
    let retrying = conn.query_row(
        "SELECT count(*) FROM email_outbox WHERE status = 'queued' AND last_error IS NOT NULL",
        [],
        |row| row.get(0),
    )?;
    let mut statement = conn.prepare(
        "SELECT id, dedupe_key, recipient, subject, attempts, coalesce(last_error, ''),
                created_at
         FROM email_outbox WHERE status = 'failed' ORDER BY id",
    )?;
    let failed = statement
        .query_map([], |row| {
            Ok(FailedEmail {
                id: row.get(0)?,
                dedupe_key: row.get(1)?,
                recipient: row.get(2)?,
                subject: row.get(3)?,
                attempts: row.get(4)?,
                error: row.get(5)?,
                created_at: row.get(6)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(OutboxState {
        counts,
        retrying,
        failed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, 1, 0, 0).unwrap()
    }

    fn email(key: &str) -> NewEmail {
        NewEmail {
            dedupe_key: key.into(),
            recipient: "staff@example.org".into(),
            subject: "Subject".into(),
            body_text: "Body".into(),
            body_html: None,
            attachment: None,
        }
    }

    #[test]
    fn queuing_the_same_key_twice_stores_one_email() {
        let conn = crate::db::open_in_memory().unwrap();
        assert!(queue(&conn, &email("report:1:managers:a"), now()).unwrap());
        assert!(!queue(&conn, &email("report:1:managers:a"), now()).unwrap());
        assert!(queue(&conn, &email("report:1:managers:b"), now()).unwrap());
        assert_eq!(state(&conn).unwrap().counts["queued"], 2);
    }

    #[test]
    fn a_claimed_email_is_not_claimed_again_until_its_lease_runs_out() {
        let conn = crate::db::open_in_memory().unwrap();
        queue(&conn, &email("k"), now()).unwrap();
        let first = claim_next(&conn, now()).unwrap().unwrap();
        assert_eq!(first.attempts, 1);
        assert_eq!(claim_next(&conn, now()).unwrap(), None);
        assert_eq!(
            claim_next(&conn, now() + LEASE - Duration::seconds(1)).unwrap(),
            None
        );
        // A sender that crashed after claiming: the email comes back after the lease.
        let again = claim_next(&conn, now() + LEASE).unwrap().unwrap();
        assert_eq!((again.id, again.attempts), (first.id, 2));
    }

    #[test]
    fn not_yet_due_emails_wait() {
        let conn = crate::db::open_in_memory().unwrap();
        queue(&conn, &email("k"), now()).unwrap();
        assert_eq!(
            claim_next(&conn, now() - Duration::seconds(1)).unwrap(),
            None
        );
    }

    #[test]
    fn temporary_failures_back_off_then_give_up() {
        let conn = crate::db::open_in_memory().unwrap();
        queue(&conn, &email("k"), now()).unwrap();
        let claimed = claim_next(&conn, now()).unwrap().unwrap();
        let after = mark_temporary_failure(&conn, claimed.id, 1, "451 later", now()).unwrap();
        assert_eq!(after, AfterFailure::Retrying(now() + Duration::minutes(1)));
        assert_eq!(state(&conn).unwrap().retrying, 1);
        let after = mark_temporary_failure(&conn, claimed.id, MAX_ATTEMPTS, "451", now()).unwrap();
        assert_eq!(after, AfterFailure::GaveUp);
        let state = state(&conn).unwrap();
        assert_eq!(state.counts["failed"], 1);
        assert!(
            state.failed[0]
                .error
                .starts_with("gave up after 20 attempts")
        );
    }

    #[test]
    fn only_failed_emails_can_be_retried() {
        let conn = crate::db::open_in_memory().unwrap();
        queue(&conn, &email("k"), now()).unwrap();
        assert_eq!(
            retry(&conn, 1, now()).unwrap(),
            Retry::NotFailed("queued".into())
        );
        assert_eq!(retry(&conn, 99, now()).unwrap(), Retry::NotFound);
        mark_failed(&conn, 1, "550 no such user").unwrap();
        assert_eq!(retry(&conn, 1, now()).unwrap(), Retry::Requeued);
        let claimed = claim_next(&conn, now()).unwrap().unwrap();
        assert_eq!(claimed.attempts, 1);
    }
}
