//! The sender: works through the emails due in the outbox, one claimed row at a time.
//!
//! It logs outbox ids, statuses and attempt counts only: never an address, a subject or a
//! body, which carry participants' names and personal links.

use anyhow::Context;
use chrono::{DateTime, Utc};
use lettre::message::Mailbox;
use rusqlite::Connection;
use serde::Serialize;

use super::mime;
use super::outbox::{self, AfterFailure};
use super::transport::{SendError, Transport};
use crate::config::Config;

/// What one [`drain`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Drained {
    /// Handed to the mail server or written as files.
    pub sent: usize,
    /// Failed for now and queued again for later.
    pub retrying: usize,
    /// Failed for good (refused, unusable, or out of attempts).
    pub failed: usize,
}

/// The sender address of `[smtp] from`, or an error naming the key.
pub fn sender_address(config: &Config) -> anyhow::Result<Mailbox> {
    config.smtp.from.parse().map_err(|e| {
        anyhow::anyhow!(
            "smtp.from {:?} is not an address such as `Pantau <pantau@example.org>`: {e}",
            config.smtp.from
        )
    })
}

/// Sends every email due at `now` through `transport`, once each, and records the outcome of
/// each in the outbox. Emails that fail for now are queued again with backoff; emails that
/// cannot be sent at all are marked failed with the reason.
///
/// An `Err` is a problem with the database or `[smtp] from`, not with one email.
pub fn drain(
    conn: &Connection,
    config: &Config,
    transport: &Transport,
    now: DateTime<Utc>,
) -> anyhow::Result<Drained> {
    let from = sender_address(config)?;
    let reports = config.reports_dir();
    let mut drained = Drained::default();
    // Terminates: a claimed row is not due again before `now + LEASE`, and the claim
    // compares with the fixed `now`.
    while let Some(email) = outbox::claim_next(conn, now).context("cannot claim an email")? {
        let id = email.id;
        let outcome = mime::build(&email, &from, &reports, now)
            .map_err(SendError::Permanent)
            .and_then(|message| transport.send(id, &message));
        match outcome {
            Ok(()) => {
                outbox::mark_sent(conn, id, now)
                    .with_context(|| format!("email {id} was sent but cannot be marked sent"))?;
                tracing::info!(email = id, attempts = email.attempts, "email sent");
                drained.sent += 1;
            }
            Err(SendError::Temporary(error)) => {
                let after = outbox::mark_temporary_failure(conn, id, email.attempts, &error, now)
                    .with_context(|| format!("cannot record the failure of email {id}"))?;
                match after {
                    AfterFailure::Retrying(next) => {
                        tracing::warn!(email = id, attempts = email.attempts, next = %next,
                            "email not sent, will retry");
                        drained.retrying += 1;
                    }
                    AfterFailure::GaveUp => {
                        tracing::error!(
                            email = id,
                            attempts = email.attempts,
                            "email not sent, gave up"
                        );
                        drained.failed += 1;
                    }
                }
            }
            Err(SendError::Permanent(error)) => {
                outbox::mark_failed(conn, id, &error)
                    .with_context(|| format!("cannot record the failure of email {id}"))?;
                tracing::error!(
                    email = id,
                    attempts = email.attempts,
                    "email refused, failed"
                );
                drained.failed += 1;
            }
        }
    }
    Ok(drained)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::email::outbox::{NewEmail, queue, state};
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, 1, 0, 0).unwrap()
    }

    fn email(key: &str, recipient: &str) -> NewEmail {
        NewEmail {
            dedupe_key: key.into(),
            recipient: recipient.into(),
            subject: "Undangan survei".into(),
            body_text: "Halo Sari".into(),
            body_html: Some("<p>Halo Sari</p>".into()),
            attachment: None,
        }
    }

    #[test]
    fn due_emails_are_sent_once_and_bad_ones_fail_visibly() {
        let conn = crate::db::open_in_memory().unwrap();
        let config = Config::default();
        queue(&conn, &email("a", "sari@example.org"), now()).unwrap();
        queue(&conn, &email("b", "no address"), now()).unwrap();
        let (transport, mailbox) = Transport::memory();

        let drained = drain(&conn, &config, &transport, now()).unwrap();
        assert_eq!(
            drained,
            Drained {
                sent: 1,
                retrying: 0,
                failed: 1
            }
        );
        assert_eq!(mailbox.messages().len(), 1);
        let again = drain(&conn, &config, &transport, now()).unwrap();
        assert_eq!(again, Drained::default());
        assert_eq!(mailbox.messages().len(), 1);
        let state = state(&conn).unwrap();
        assert_eq!(state.counts["sent"], 1);
        assert!(state.failed[0].error.contains("recipient address"));
    }

    #[test]
    fn an_unusable_sender_address_names_the_setting() {
        let mut config = Config::default();
        config.smtp.from = "Pantau".into();
        let err = sender_address(&config).unwrap_err();
        assert!(err.to_string().starts_with("smtp.from \"Pantau\""), "{err}");
    }
}
