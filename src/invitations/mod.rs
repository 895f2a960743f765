//! Waves and personal links: deciding which participants are due for which wave and issuing each
//! of them exactly one invitation with an unguessable token.
//!
//! [`issue_due`] is the one function the scheduled job and `pantau run` call. It is idempotent:
//! the `UNIQUE (participant_id, wave)` constraint and `INSERT … ON CONFLICT DO NOTHING` make a
//! second run, or two processes running at once, issue nothing twice.
//!
//! Anchor dates come from roster attributes: `training_date` (the end of the participant's
//! training) for follow-up waves, and `enrolment_date` for the baseline, falling back to the day
//! the participant first appeared on a roster.

mod token;
mod whatsapp;
mod window;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;

pub use token::{looks_like_token, new_token};
pub use whatsapp::{invitation_message, whatsapp_link};
pub use window::Window;

use crate::config::{Anchor, Config, Wave};

/// What one call of [`issue_due`] did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IssueSummary {
    /// New invitations per wave, in configuration order.
    pub issued: Vec<(String, usize)>,
    /// Invitations whose window closed without a response, marked expired now.
    pub expired: usize,
}

impl IssueSummary {
    /// Total new invitations.
    pub fn total_issued(&self) -> usize {
        self.issued.iter().map(|(_, n)| n).sum()
    }
}

/// Issues every invitation that is due at `now` and marks closed ones expired, in one
/// transaction.
pub fn issue_due(
    conn: &mut Connection,
    config: &Config,
    now: DateTime<Utc>,
) -> anyhow::Result<IssueSummary> {
    let tz = config.programme.time_zone;
    let today = now.with_timezone(&tz).date_naive();
    let stamp = rfc3339(now);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut summary = IssueSummary::default();
    for wave in &config.waves {
        tx.execute(
            "INSERT INTO waves (name, form_file, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET form_file = excluded.form_file,
                 updated_at = excluded.updated_at
             WHERE form_file != excluded.form_file",
            params![wave.name, wave.form, stamp],
        )
        .with_context(|| format!("cannot record wave {}", wave.name))?;
        let mut issued = 0;
        // Once a wave has reached everyone, an incremental run need not read the roster for it.
        let waiting = if everyone_invited(&tx, &wave.name)? {
            Vec::new()
        } else {
            participants_without_invitation(&tx, wave)?
        };
        for (participant_id, anchor) in waiting {
            let Some(window) = Window::of(wave, anchor) else {
                continue;
            };
            if !window.contains(today) {
                continue;
            }
            let inserted = tx.execute(
                "INSERT INTO invitations
                     (participant_id, wave, token, status, issued_at, opens_at, closes_at)
                 VALUES (?1, ?2, ?3, 'issued', ?4, ?5, ?6)
                 ON CONFLICT (participant_id, wave) DO NOTHING",
                params![
                    participant_id,
                    wave.name,
                    new_token()?,
                    stamp,
                    local_midnight_utc(window.opens, &tz),
                    local_midnight_utc(window.closes, &tz),
                ],
            )?;
            issued += inserted;
        }
        tracing::info!(wave = %wave.name, issued, "invitations issued");
        summary.issued.push((wave.name.clone(), issued));
    }
    summary.expired = tx.execute(
        "UPDATE invitations SET status = 'expired'
         WHERE status IN ('issued', 'sent', 'opened') AND closes_at <= ?1",
        params![stamp],
    )?;
    tx.commit()?;
    Ok(summary)
}

/// Whether every participant (not erased) has an invitation for `wave`, counted without reading
/// a roster row: the wave's invitations (from the `(wave, status)` index) less those of erased
/// participants (a few, from their partial index), against the participants less the erased.
/// A participant has at most one invitation per wave (`UNIQUE (participant_id, wave)`) and
/// every invitation a participant (a foreign key), so equal counts mean no one is waiting.
fn everyone_invited(conn: &Connection, wave: &str) -> anyhow::Result<bool> {
    let mut statement = conn.prepare_cached(
        "SELECT (SELECT count(*) FROM participants)
              - (SELECT count(*) FROM participants WHERE erased_at IS NOT NULL),
                (SELECT count(*) FROM invitations WHERE wave = ?1)
              - (SELECT count(*) FROM participants p
                 -- CROSS JOIN keeps the few erased participants the outer loop.
                 CROSS JOIN invitations i ON i.participant_id = p.id AND i.wave = ?1
                 WHERE p.erased_at IS NOT NULL)",
    )?;
    let (participants, invited): (i64, i64) =
        statement.query_row([wave], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(invited >= participants)
}

/// Participants (not erased) with no invitation for `wave` yet, with their anchor date. Those
/// whose roster lacks a usable anchor date are left out until a roster supplies one.
fn participants_without_invitation(
    conn: &Connection,
    wave: &Wave,
) -> anyhow::Result<Vec<(i64, NaiveDate)>> {
    // The invitation is looked for before the roster row's JSON is read: most participants of
    // a running wave already have theirs, and reading the anchor date parses the whole row.
    let sql = match wave.anchor {
        Anchor::TrainingEnd => {
            "SELECT p.id, r.attrs ->> '$.training_date' AS anchor FROM participants p
             JOIN participant_rows r ON r.participant_id = p.id
             WHERE p.erased_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM invitations i
                               WHERE i.participant_id = p.id AND i.wave = ?1)
               AND anchor IS NOT NULL"
        }
        Anchor::Enrolment => {
            "SELECT p.id,
                    COALESCE(r.attrs ->> '$.enrolment_date', substr(p.created_at, 1, 10))
             FROM participants p
             LEFT JOIN participant_rows r ON r.participant_id = p.id
             WHERE p.erased_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM invitations i
                               WHERE i.participant_id = p.id AND i.wave = ?1)"
        }
    };
    let mut statement = conn.prepare_cached(sql)?;
    let rows = statement.query_map([&wave.name], |row| {
        Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
    })?;
    let mut due = Vec::new();
    for row in rows {
        let (id, text) = row?;
        if let Ok(date) = NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
            due.push((id, date));
        }
    }
    Ok(due)
}

/// One open invitation, as `pantau links` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Link {
    /// The participant's key ("id:…", "nik:…", "phone:…"), as staff know the person.
    pub participant: String,
    /// Wave name.
    pub wave: String,
    /// issued, sent or opened.
    pub status: String,
    /// Last day the survey accepts answers is the day before this (UTC timestamp).
    pub closes_at: String,
    /// The personal survey link.
    pub url: String,
}

/// Open invitations (not submitted, declined or expired), optionally for one wave.
pub fn open_links(
    conn: &Connection,
    base_url: &str,
    wave: Option<&str>,
) -> anyhow::Result<Vec<Link>> {
    let mut statement = conn.prepare(
        "SELECT p.participant_key, i.wave, i.status, i.closes_at, i.token
         FROM invitations i JOIN participants p ON p.id = i.participant_id
         WHERE i.status IN ('issued', 'sent', 'opened') AND (?1 IS NULL OR i.wave = ?1)
         ORDER BY i.wave, p.participant_key",
    )?;
    let links = statement
        .query_map([wave], |row| {
            Ok(Link {
                participant: row.get(0)?,
                wave: row.get(1)?,
                status: row.get(2)?,
                closes_at: row.get(3)?,
                url: survey_url(base_url, &row.get::<_, String>(4)?),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(links)
}

/// The personal link for a token.
pub fn survey_url(base_url: &str, token: &str) -> String {
    format!("{}/s/{token}", base_url.trim_end_matches('/'))
}

/// The invitation a token belongs to, if any.
pub fn find_by_token(conn: &Connection, token: &str) -> anyhow::Result<Option<i64>> {
    if !looks_like_token(token) {
        return Ok(None);
    }
    Ok(conn
        .query_row(
            "SELECT id FROM invitations WHERE token = ?1",
            [token],
            |row| row.get(0),
        )
        .optional()?)
}

/// Timestamps are stored as UTC RFC 3339 with a `Z`, which sorts as text.
pub fn rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn local_midnight_utc(date: NaiveDate, tz: &chrono_tz::Tz) -> String {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    let local = tz
        .from_local_datetime(&midnight)
        .earliest()
        .unwrap_or_else(|| Utc.from_utc_datetime(&midnight).with_timezone(tz));
    rfc3339(local.with_timezone(&Utc))
}

#[cfg(test)]
mod tests;
