//! The call list's rows, read from the database at a given instant: every open invitation with
//! whom to contact, how, and how likely they are to drop out.
//!
//! Clock-free: `now` is a parameter, so tests fix it.

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::risk::{Risk, RiskSignals, assess};
use crate::accounts::Scope;
use crate::config::Config;
use crate::indicators::age_on;
use crate::invitations::{invitation_message, rfc3339, survey_url, whatsapp_link};

/// One open invitation on the call list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallListRow {
    /// The participant's row id (the admin area links their timeline with it).
    #[serde(skip)]
    pub participant_id: i64,
    /// The invitation's row id (the admin area records a call against it).
    #[serde(skip)]
    pub invitation_id: i64,
    /// The participant's key ("id:…", "nik:…", "phone:…"), as staff know the person.
    pub participant: String,
    /// Full name from the roster; empty when the roster has none.
    pub name: String,
    /// Phone number as normalised by the roster import (`62…`); empty when none.
    pub phone: String,
    /// Wave name.
    pub wave: String,
    /// issued, sent or opened.
    pub status: String,
    /// Day the invitation was issued, in the programme's time zone.
    #[serde(serialize_with = "iso_date")]
    pub invited_on: NaiveDate,
    /// Whole days from `invited_on` to today.
    pub days_since_invited: u32,
    /// Reminders sent for this invitation (steps after the first invitation).
    pub reminders_sent: u32,
    /// Risk of dropping out: higher first.
    pub risk: u32,
    /// The risk's reasons in plain words, in the programme's default language.
    pub why: String,
    /// The personal survey link.
    pub survey_link: String,
    /// WhatsApp click-to-chat link with the invitation typed in; `None` without a usable phone.
    pub whatsapp_link: Option<String>,
    /// The score's reasons, for programs reading `--json`.
    #[serde(skip)]
    pub assessment: Risk,
}

/// The call list at `now`: open invitations (issued, sent or opened, window not yet closed) of
/// participants not erased, optionally for one wave, most at risk first (ties: longest waiting,
/// then participant key, then wave).
pub fn call_list(
    conn: &Connection,
    config: &Config,
    wave: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<CallListRow>> {
    call_list_in(conn, config, wave, None, now)
}

/// [`call_list`] limited to the participants of a field officer's `scope` (all with `None`),
/// in the same order and with the same reasons.
pub fn call_list_in(
    conn: &Connection,
    config: &Config,
    wave: Option<&str>,
    scope: Option<&Scope>,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<CallListRow>> {
    let tz = config.programme.time_zone;
    let today = now.with_timezone(&tz).date_naive();
    let language = config.programme.default_language.as_str();
    // A participant's roster values are one JSON row (migration 0004), read by primary key
    // per invitation.
    let mut statement = conn
        .prepare(
            "SELECT i.participant_id, p.participant_key, i.wave, i.status, i.issued_at, i.token,
               i.id,
               r.attrs ->> '$.name', r.attrs ->> '$.first_name', r.attrs ->> '$.phone',
               r.attrs ->> '$.birth_date', r.attrs ->> '$.age',
               (SELECT count(*) FROM json_each(r.attrs)
                 WHERE key GLOB 'attended_[0-9]*' AND value = '0'),
               (SELECT count(DISTINCT step) FROM reminders
                 WHERE invitation_id = i.id AND step > 0)
             FROM invitations i JOIN participants p ON p.id = i.participant_id
             LEFT JOIN participant_rows r ON r.participant_id = p.id
             WHERE i.status IN ('issued', 'sent', 'opened') AND i.closes_at > ?1
               AND p.erased_at IS NULL AND (?2 IS NULL OR i.wave = ?2)
               AND (?3 IS NULL OR (SELECT value FROM json_each(r.attrs) WHERE key = ?3) = ?4)",
        )
        .context("cannot prepare the call list query")?;
    let mut previous_status =
        conn.prepare("SELECT status FROM invitations WHERE participant_id = ?1 AND wave = ?2")?;
    let mut rows = statement.query(params![
        rfc3339(now),
        wave,
        scope.map(|s| s.field.as_str()),
        scope.map(|s| s.value.as_str())
    ])?;
    let mut list = Vec::new();
    while let Some(row) = rows.next()? {
        let participant_id: i64 = row.get(0)?;
        let participant: String = row.get(1)?;
        let wave: String = row.get(2)?;
        let issued_at: String = row.get(4)?;
        let token: String = row.get(5)?;
        let invitation_id: i64 = row.get(6)?;
        let name: Option<String> = row.get(7)?;
        let first_name: Option<String> = row.get(8)?;
        let phone: Option<String> = row.get(9)?;
        let birth_date: Option<String> = row.get(10)?;
        let age: Option<String> = row.get(11)?;
        let sessions_missed: u32 = row.get(12)?;
        let reminders_sent: u32 = row.get(13)?;

        let invited_on = DateTime::parse_from_rfc3339(&issued_at)
            .with_context(|| format!("invitation of {participant} for {wave}: bad issued_at"))?
            .with_timezone(&tz)
            .date_naive();
        let days_since_invited =
            u32::try_from((today - invited_on).num_days().max(0)).unwrap_or(u32::MAX);
        let previous_wave = match previous_wave_of(config, &wave) {
            Some(previous) => previous_status
                .query_row(params![participant_id, previous], |r| r.get::<_, String>(0))
                .optional()?
                .map(|status| (previous.to_string(), status != "submitted")),
            None => None,
        };
        let age = birth_date
            .and_then(|text| NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok())
            .and_then(|birth| age_on(birth, today))
            .or_else(|| age.and_then(|text| text.trim().parse().ok()));
        let assessment = assess(&RiskSignals {
            previous_wave,
            sessions_missed,
            age,
            reminders_sent,
            days_since_invited,
        });

        let link = survey_url(&config.server.public_base_url, &token);
        let greeting_name = first_name
            .as_deref()
            .or(name.as_deref())
            .and_then(|n| n.split_whitespace().next())
            .unwrap_or("");
        let message = invitation_message(greeting_name, &config.programme.name, &link, language);
        let phone = phone.unwrap_or_default();
        list.push(CallListRow {
            participant_id,
            invitation_id,
            participant,
            name: name.or(first_name).unwrap_or_default(),
            whatsapp_link: whatsapp_link(&phone, &message),
            phone,
            wave,
            status: row.get(3)?,
            invited_on,
            days_since_invited,
            reminders_sent,
            risk: assessment.score,
            why: assessment.describe(language),
            survey_link: link,
            assessment,
        });
    }
    list.sort_by(|a, b| {
        b.risk
            .cmp(&a.risk)
            .then(b.days_since_invited.cmp(&a.days_since_invited))
            .then_with(|| a.participant.cmp(&b.participant))
            .then_with(|| a.wave.cmp(&b.wave))
    });
    Ok(list)
}

/// Dates as `YYYY-MM-DD` in JSON (chrono's serde support is not enabled in this crate).
fn iso_date<S: serde::Serializer>(date: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&date.format("%Y-%m-%d"))
}

/// The wave configured just before `wave`, whose answer (or not) tells about this one.
fn previous_wave_of<'c>(config: &'c Config, wave: &str) -> Option<&'c str> {
    let position = config.waves.iter().position(|w| w.name == wave)?;
    let previous = position.checked_sub(1)?;
    Some(config.waves[previous].name.as_str())
}
