//! Survey invitations and reminders by email, for participants whose roster has an `email`.
//!
//! For each open invitation (issued, sent or opened; window open; participant not erased and
//! not opted out) the job queues the invitation email (step 0) and then one reminder per entry
//! of the wave's `reminder_days`, counted from the day the invitation email was queued. Once
//! the participant submits or declines, the window closes or they opt out, nothing more is
//! sent. A job that did not run for a while sends only the latest reminder due, never a burst.
//!
//! Each email is recorded in `reminders` (channel `email`; `UNIQUE (invitation_id, channel,
//! step)`) and queued in the outbox (dedupe key `invitation:{id}:{step}`) in one transaction,
//! so running the job twice, or from two processes, sends nothing twice. `reminders.sent_at` is
//! when the email was queued; the outbox has when it actually left.

use std::collections::BTreeMap;

use anyhow::Context;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::{Connection, TransactionBehavior, params};
use serde::Serialize;

use super::outbox::{self, NewEmail};
use super::participant_message::{ParticipantEmail, participant_message};
use crate::config::Config;
use crate::invitations::{rfc3339, survey_url};

/// The path, after the personal link, of the page that stops survey emails.
pub const OPT_OUT_PATH: &str = "berhenti";

/// What [`queue_participant_emails`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ParticipantEmails {
    /// Invitation emails (step 0) queued.
    pub invitations: usize,
    /// Reminder emails queued.
    pub reminders: usize,
}

/// One open invitation of a participant with an email address.
struct Open {
    invitation: i64,
    wave: String,
    token: String,
    status: String,
    closes_at: String,
    email: String,
    first_name: Option<String>,
    /// When the invitation email was queued, if it was.
    first_sent: Option<String>,
    /// The last step already sent by email.
    last_step: Option<u32>,
}

/// The link that stops survey emails for the participant of `token`.
pub fn opt_out_url(base_url: &str, token: &str) -> String {
    format!("{}/{OPT_OUT_PATH}", survey_url(base_url, token))
}

/// Queues every invitation and reminder email due at `now`, in one transaction.
pub fn queue_participant_emails(
    conn: &mut Connection,
    config: &Config,
    now: DateTime<Utc>,
) -> anyhow::Result<ParticipantEmails> {
    let stamp = rfc3339(now);
    let tz = config.programme.time_zone;
    let reminder_days: BTreeMap<&str, &[u32]> = config
        .waves
        .iter()
        .map(|wave| (wave.name.as_str(), wave.reminder_days.as_slice()))
        .collect();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let open = open_invitations(&tx, &stamp).context("cannot read the open invitations")?;
    let mut counts = ParticipantEmails::default();
    for invitation in open {
        let days = reminder_days
            .get(invitation.wave.as_str())
            .copied()
            .unwrap_or_default();
        let Some(step) = due_step(&invitation, days, now) else {
            continue;
        };
        let recorded = tx.execute(
            "INSERT INTO reminders (invitation_id, channel, step, sent_at)
             VALUES (?1, 'email', ?2, ?3)
             ON CONFLICT (invitation_id, channel, step) DO NOTHING",
            params![invitation.invitation, step, stamp],
        )?;
        if recorded == 0 {
            continue;
        }
        let base = &config.server.public_base_url;
        let link = survey_url(base, &invitation.token);
        let opt_out = opt_out_url(base, &invitation.token);
        let last_day = last_day(&invitation.closes_at, &tz);
        let rendered = participant_message(&ParticipantEmail {
            language: &config.programme.default_language,
            programme: &config.programme.name,
            first_name: invitation.first_name.as_deref(),
            link: &link,
            opt_out_link: &opt_out,
            last_day,
            contact: &config.programme.contact,
            step,
        });
        outbox::queue(
            &tx,
            &NewEmail {
                dedupe_key: format!("invitation:{}:{step}", invitation.invitation),
                recipient: invitation.email.clone(),
                subject: rendered.subject,
                body_text: rendered.text,
                body_html: rendered.html,
                attachment: None,
            },
            now,
        )?;
        if step == 0 {
            counts.invitations += 1;
            if invitation.status == "issued" {
                tx.execute(
                    "UPDATE invitations SET status = 'sent' WHERE id = ?1 AND status = 'issued'",
                    [invitation.invitation],
                )?;
            }
        } else {
            counts.reminders += 1;
        }
    }
    tx.commit()?;
    tracing::info!(
        invitations = counts.invitations,
        reminders = counts.reminders,
        "participant emails queued"
    );
    Ok(counts)
}

/// The step to send now, if any: the invitation when none was sent, else the latest reminder
/// whose day has come and that is later than the last step sent.
fn due_step(invitation: &Open, reminder_days: &[u32], now: DateTime<Utc>) -> Option<u32> {
    let Some(first_sent) = &invitation.first_sent else {
        return Some(0);
    };
    let first_sent = DateTime::parse_from_rfc3339(first_sent)
        .ok()?
        .with_timezone(&Utc);
    let due = reminder_days
        .iter()
        .take_while(|days| first_sent + Duration::days(i64::from(**days)) <= now)
        .count();
    let due = u32::try_from(due).ok()?;
    (due > invitation.last_step.unwrap_or(0)).then_some(due)
}

/// The last day a survey takes answers, in the programme's time zone: the day before the
/// stored closing time (local midnight of the first closed day).
fn last_day(closes_at: &str, tz: &chrono_tz::Tz) -> NaiveDate {
    DateTime::parse_from_rfc3339(closes_at)
        .map(|t| t.with_timezone(tz).date_naive())
        .unwrap_or_default()
        .pred_opt()
        .unwrap_or_default()
}

fn open_invitations(conn: &Connection, now: &str) -> rusqlite::Result<Vec<Open>> {
    let mut statement = conn.prepare(
        "SELECT i.id, i.wave, i.token, i.status, i.closes_at, e.value,
                (SELECT value FROM participant_attributes
                 WHERE participant_id = i.participant_id AND name = 'first_name'),
                (SELECT value FROM participant_attributes
                 WHERE participant_id = i.participant_id AND name = 'name'),
                (SELECT sent_at FROM reminders
                 WHERE invitation_id = i.id AND channel = 'email' AND step = 0),
                (SELECT max(step) FROM reminders
                 WHERE invitation_id = i.id AND channel = 'email')
         FROM invitations i
         JOIN participants p ON p.id = i.participant_id
         JOIN participant_attributes e ON e.participant_id = i.participant_id AND e.name = 'email'
         WHERE i.status IN ('issued', 'sent', 'opened')
           AND i.opens_at <= ?1 AND i.closes_at > ?1
           AND p.erased_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM email_opt_outs o
                           WHERE o.participant_id = i.participant_id)
         ORDER BY i.id",
    )?;
    let rows = statement.query_map([now], |row| {
        let first: Option<String> = row.get(6)?;
        let full: Option<String> = row.get(7)?;
        Ok(Open {
            invitation: row.get(0)?,
            wave: row.get(1)?,
            token: row.get(2)?,
            status: row.get(3)?,
            closes_at: row.get(4)?,
            email: row.get(5)?,
            first_name: first
                .or(full)
                .and_then(|name| name.split_whitespace().next().map(str::to_string)),
            first_sent: row.get(8)?,
            last_step: row.get(9)?,
        })
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn open(first_sent: Option<&str>, last_step: Option<u32>) -> Open {
        Open {
            invitation: 1,
            wave: "m3".into(),
            token: "t".into(),
            status: "sent".into(),
            closes_at: "2026-12-28T17:00:00Z".into(),
            email: "x@example.org".into(),
            first_name: None,
            first_sent: first_sent.map(Into::into),
            last_step,
        }
    }

    #[test]
    fn steps_follow_the_reminder_days_and_never_repeat() {
        let sent = "2026-11-01T02:00:00Z";
        let at = |day: u32, hour: u32| Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap();
        let days = [3, 7, 14];
        assert_eq!(due_step(&open(None, None), &days, at(1, 2)), Some(0));
        assert_eq!(due_step(&open(Some(sent), Some(0)), &days, at(4, 1)), None);
        assert_eq!(
            due_step(&open(Some(sent), Some(0)), &days, at(4, 2)),
            Some(1)
        );
        assert_eq!(due_step(&open(Some(sent), Some(1)), &days, at(5, 2)), None);
        // Job idle for two weeks: only the latest reminder goes out.
        assert_eq!(
            due_step(&open(Some(sent), Some(0)), &days, at(16, 2)),
            Some(3)
        );
        assert_eq!(due_step(&open(Some(sent), Some(3)), &days, at(30, 2)), None);
        assert_eq!(due_step(&open(Some(sent), Some(0)), &[], at(30, 2)), None);
    }

    #[test]
    fn the_last_day_is_the_local_day_before_closing() {
        // Midnight in Jakarta (UTC+7) on 29 December is 17:00 UTC on the 28th.
        let day = last_day("2026-12-28T17:00:00Z", &chrono_tz::Asia::Jakarta);
        assert_eq!(day, NaiveDate::from_ymd_opt(2026, 12, 28).unwrap());
    }
}
