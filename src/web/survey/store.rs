//! The survey's database work: invitations by token, consent, drafts with optimistic
//! concurrency, prefill values, and the exactly-once submission.
//!
//! Everything here is blocking and runs on a thread's reused connection (see `state.rs`): reads
//! on the actix worker itself, writes inside `web::block`; [`store_submission`] is run by the
//! submission writer inside its group transaction (see `commit.rs`).

use std::collections::BTreeMap;

use anyhow::Context;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::accounts::assist::Assistant;
use crate::accounts::audit;
use crate::config::Config;
use crate::form::{Form, Prefill};
use crate::invitations::{looks_like_token, rfc3339};

/// The invitation a personal link belongs to.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub id: i64,
    pub participant_id: i64,
    pub wave: String,
    pub status: String,
    /// UTC RFC 3339, as stored.
    pub closes_at: String,
}

impl Invitation {
    /// Whether the window has closed at `now` (or the job already marked it expired).
    pub fn is_closed(&self, now: DateTime<Utc>) -> bool {
        self.status == "expired" || rfc3339(now) >= self.closes_at
    }
}

/// The stored answers of a survey in progress.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub answers: BTreeMap<String, String>,
    /// Where the participant is: the name of the first field of a screen, or `review`.
    pub screen: Option<String>,
    pub language: Option<String>,
    pub version: i64,
}

/// A stored response: when it was received.
#[derive(Debug, Clone)]
pub struct Received {
    pub submitted_at: String,
}

/// Everything the survey pages need to know about a link, read in one go.
#[derive(Debug, Clone)]
pub struct Situation {
    pub invitation: Invitation,
    pub received: Option<Received>,
    /// The latest consent decision (`accepted`, `declined`), if any.
    pub consent: Option<String>,
    pub draft: Option<Draft>,
}

/// Reads the invitation of `token` and its state; `None` for an unknown token.
///
/// One statement, so that the invitation, its response, its latest consent and its draft are
/// seen at one moment (a single SELECT is its own read transaction): a submission committed
/// between two separate reads would otherwise show neither its response (read before) nor its
/// draft (deleted after), and a repeated submit would be sent away instead of being told its
/// answers were received. One statement is also what a survey screen costs in SQLite: every
/// row is found through a unique index.
pub fn situation(conn: &Connection, token: &str) -> anyhow::Result<Option<Situation>> {
    if !looks_like_token(token) {
        return Ok(None);
    }
    let row = conn
        .prepare_cached(
            "SELECT i.id, i.participant_id, i.wave, i.status, i.closes_at, r.submitted_at,
                    (SELECT c.decision FROM consents c WHERE c.invitation_id = i.id
                     ORDER BY c.id DESC LIMIT 1),
                    d.answers, d.screen, d.language, d.version
             FROM invitations i
             LEFT JOIN responses r ON r.invitation_id = i.id
             LEFT JOIN drafts d ON d.invitation_id = i.id
             WHERE i.token = ?1",
        )?
        .query_row([token], |row| {
            let invitation = Invitation {
                id: row.get(0)?,
                participant_id: row.get(1)?,
                wave: row.get(2)?,
                status: row.get(3)?,
                closes_at: row.get(4)?,
            };
            let received = row
                .get::<_, Option<String>>(5)?
                .map(|submitted_at| Received { submitted_at });
            let consent: Option<String> = row.get(6)?;
            // `drafts.answers` is NOT NULL: no answers means no draft.
            let draft = match row.get::<_, Option<String>>(7)? {
                Some(answers) => Some((answers, row.get(8)?, row.get(9)?, row.get(10)?)),
                None => None,
            };
            Ok((invitation, received, consent, draft))
        })
        .optional()?;
    let Some((invitation, received, consent, draft)) = row else {
        return Ok(None);
    };
    let draft = match draft {
        Some((answers, screen, language, version)) => {
            let answers: String = answers;
            let answers = serde_json::from_str(&answers).with_context(|| {
                format!(
                    "the draft of invitation {} is not a JSON object",
                    invitation.id
                )
            })?;
            Some(Draft {
                answers,
                screen,
                language,
                version,
            })
        }
        None => None,
    };
    Ok(Some(Situation {
        invitation,
        received,
        consent,
        draft,
    }))
}

/// Marks the invitation opened the first time its link is opened.
pub fn mark_opened(conn: &Connection, invitation: i64, now: DateTime<Utc>) -> anyhow::Result<()> {
    conn.prepare_cached(
        "UPDATE invitations SET status = 'opened', opened_at = ?2
         WHERE id = ?1 AND status IN ('issued', 'sent')",
    )?
    .execute(params![invitation, rfc3339(now)])?;
    Ok(())
}

/// Records a consent decision with the text version and language shown, as a new row (the
/// latest counts). Accepting creates the draft (kept when one exists) and reopens an
/// invitation that was declined; declining marks the invitation declined. With an
/// `assistant` (a staff member filling in on the participant's behalf) the decision is marked
/// as assisted, and the audit log says who recorded it.
pub fn record_consent(
    conn: &mut Connection,
    invitation: &Invitation,
    accepted: bool,
    text_version: &str,
    language: &str,
    assistant: Option<&Assistant>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let stamp = rfc3339(now);
    let decision = if accepted { "accepted" } else { "declined" };
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute(
        "INSERT INTO consents
             (invitation_id, decision, text_version, language, decided_at, assisted_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            invitation.id,
            decision,
            text_version,
            language,
            stamp,
            assistant.map(|a| a.user)
        ],
    )?;
    if let Some(assistant) = assistant {
        let target = format!("participant:{}", invitation.participant_id);
        let detail = format!(
            "invitation:{} wave:{} {decision}",
            invitation.id, invitation.wave
        );
        audit::record(
            &tx,
            now,
            audit::Entry {
                user: Some(assistant.user),
                action: "participant.assist.consent",
                target: Some(&target),
                detail: Some(&detail),
            },
        )?;
    }
    let invitation = invitation.id;
    if accepted {
        tx.execute(
            "INSERT INTO drafts (invitation_id, answers, screen, language, version, updated_at)
             VALUES (?1, '{}', NULL, ?2, 1, ?3) ON CONFLICT (invitation_id) DO NOTHING",
            params![invitation, language, stamp],
        )?;
        tx.execute(
            "UPDATE invitations SET status = 'opened' WHERE id = ?1 AND status = 'declined'",
            [invitation],
        )?;
    } else {
        tx.execute(
            "UPDATE invitations SET status = 'declined'
             WHERE id = ?1 AND status IN ('issued', 'sent', 'opened')",
            [invitation],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// Saves the draft if it is still at `expected_version`; `false` when another tab or device
/// saved it meanwhile (nothing is written then).
pub fn save_draft(
    conn: &Connection,
    invitation: i64,
    expected_version: i64,
    answers: &BTreeMap<String, String>,
    screen: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let changed = conn
        .prepare_cached(
            "UPDATE drafts SET answers = ?3, screen = ?4, version = version + 1, updated_at = ?5
             WHERE invitation_id = ?1 AND version = ?2",
        )?
        .execute(params![
            invitation,
            expected_version,
            serde_json::to_string(answers)?,
            screen,
            rfc3339(now)
        ])?;
    Ok(changed == 1)
}

/// Keeps the participant's language choice in the draft. Not a new version: switching the
/// language in one tab does not make another tab's answers stale.
pub fn set_language(conn: &Connection, invitation: i64, language: &str) -> anyhow::Result<()> {
    conn.prepare_cached("UPDATE drafts SET language = ?2 WHERE invitation_id = ?1")?
        .execute(params![invitation, language])?;
    Ok(())
}

/// The values the server fills in: `roster_<attribute>` from the participant's roster record
/// (`roster_first_name` falls back to the first word of `name`), `previous_<field>` from their
/// response in the wave configured before this one.
pub fn prefill(
    conn: &Connection,
    config: &Config,
    form: &Form,
    invitation: &Invitation,
) -> anyhow::Result<BTreeMap<String, String>> {
    let mut values = BTreeMap::new();
    let mut attributes: Option<BTreeMap<String, String>> = None;
    let mut previous: Option<BTreeMap<String, String>> = None;
    for (name, source) in form.prefills() {
        let value = match source {
            Prefill::Roster(attribute) => {
                if attributes.is_none() {
                    attributes = Some(roster(conn, invitation.participant_id)?);
                }
                let attributes = attributes.as_ref().expect("just read");
                attributes.get(attribute.as_str()).cloned().or_else(|| {
                    (attribute == "first_name")
                        .then(|| attributes.get("name"))
                        .flatten()
                        .and_then(|n| n.split_whitespace().next())
                        .map(as_written_to_a_person)
                })
            }
            Prefill::Previous(field) => {
                if previous.is_none() {
                    previous = Some(previous_answers(conn, config, invitation)?);
                }
                previous
                    .as_ref()
                    .and_then(|p| p.get(field.as_str()))
                    .cloned()
            }
            Prefill::Metadata(_) => None,
        };
        if let Some(value) = value {
            values.insert(name.to_string(), value);
        }
    }
    Ok(values)
}

/// The participant's first name for the greeting, if the roster has one.
pub fn first_name(conn: &Connection, participant: i64) -> anyhow::Result<Option<String>> {
    let attributes = roster(conn, participant)?;
    Ok(attributes
        .get("first_name")
        .or_else(|| attributes.get("name"))
        .and_then(|name| name.split_whitespace().next())
        .map(as_written_to_a_person))
}

/// A name as one writes it to the person: rosters often hold names in capitals ("HENDRA"),
/// which read as shouting in a greeting, so a name in one case throughout is capitalised
/// ("Hendra"); a name with mixed case is kept as the roster has it ("McDonald", "dr. Ani").
fn as_written_to_a_person(name: &str) -> String {
    let letters = || name.chars().filter(|c| c.is_alphabetic());
    let one_case = letters().all(char::is_uppercase) || letters().all(char::is_lowercase);
    if !one_case {
        return name.to_string();
    }
    let mut written = String::with_capacity(name.len());
    let mut start = true;
    for c in name.chars() {
        if start {
            written.extend(c.to_uppercase());
        } else {
            written.extend(c.to_lowercase());
        }
        start = !c.is_alphabetic();
    }
    written
}

#[cfg(test)]
mod name_tests {
    use super::as_written_to_a_person;

    #[test]
    fn capitals_are_written_as_a_name() {
        assert_eq!(as_written_to_a_person("HENDRA"), "Hendra");
        assert_eq!(as_written_to_a_person("siti"), "Siti");
        assert_eq!(as_written_to_a_person("NUR-AINI"), "Nur-Aini");
        assert_eq!(as_written_to_a_person("McDonald"), "McDonald");
        assert_eq!(as_written_to_a_person("Dewi"), "Dewi");
    }
}

fn roster(conn: &Connection, participant: i64) -> anyhow::Result<BTreeMap<String, String>> {
    let mut statement = conn.prepare_cached(
        "SELECT name, value FROM participant_attributes WHERE participant_id = ?1",
    )?;
    let rows = statement.query_map([participant], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn previous_answers(
    conn: &Connection,
    config: &Config,
    invitation: &Invitation,
) -> anyhow::Result<BTreeMap<String, String>> {
    let Some(position) = config.waves.iter().position(|w| w.name == invitation.wave) else {
        return Ok(BTreeMap::new());
    };
    // The nearest earlier wave the participant answered.
    for wave in config.waves[..position].iter().rev() {
        let answers: Option<String> = conn
            .prepare_cached(
                "SELECT r.answers FROM responses r JOIN invitations i ON i.id = r.invitation_id
                 WHERE i.participant_id = ?1 AND i.wave = ?2",
            )?
            .query_row(params![invitation.participant_id, wave.name], |row| {
                row.get(0)
            })
            .optional()?;
        if let Some(answers) = answers {
            return Ok(serde_json::from_str(&answers).unwrap_or_default());
        }
    }
    Ok(BTreeMap::new())
}

/// What the final submission contains.
#[derive(Debug)]
pub struct Submission<'a> {
    pub invitation: i64,
    pub submission_id: &'a str,
    pub form_id: &'a str,
    pub form_version: &'a str,
    pub record: &'a BTreeMap<String, String>,
    pub language: &'a str,
}

/// A final submission ready to be written: owned, with the answers already serialised, so that
/// it can travel to the writer thread (see `commit.rs`) and the writer does nothing but SQL.
#[derive(Debug, Clone)]
pub struct Pending {
    pub invitation: i64,
    pub submission_id: String,
    pub form_id: String,
    pub form_version: String,
    /// The record as a JSON object.
    pub answers: String,
    pub language: String,
    /// UTC RFC 3339: when the server received it.
    pub received_at: String,
    /// The staff member who filled it in on the participant's behalf, if any.
    pub assisted_by: Option<i64>,
}

impl Pending {
    /// Prepares `submission`, received at `now`.
    pub fn new(submission: &Submission<'_>, now: DateTime<Utc>) -> anyhow::Result<Pending> {
        Ok(Pending {
            invitation: submission.invitation,
            submission_id: submission.submission_id.to_string(),
            form_id: submission.form_id.to_string(),
            form_version: submission.form_version.to_string(),
            answers: serde_json::to_string(submission.record)?,
            language: submission.language.to_string(),
            received_at: rfc3339(now),
            assisted_by: None,
        })
    }
}

/// What storing a submission found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// When the invitation's response was received: this submission's time, or the earlier
    /// one's when the invitation already had a response.
    pub submitted_at: String,
    /// Whether this call stored it (false for a retry or a second device).
    pub inserted: bool,
}

/// Stores the response once, marks the invitation submitted and drops the draft. Runs inside
/// the caller's transaction (the writer's savepoint), which the caller commits before anyone
/// is told; a second call for the same invitation stores nothing, because `responses` is
/// UNIQUE on the invitation and on the submission id.
pub fn store_submission(conn: &Connection, pending: &Pending) -> anyhow::Result<Stored> {
    let inserted = conn
        .prepare_cached(
            "INSERT INTO responses
                 (invitation_id, submission_id, form_id, form_version, answers, language,
                  submitted_at, assisted_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
        )?
        .execute(params![
            pending.invitation,
            pending.submission_id,
            pending.form_id,
            pending.form_version,
            pending.answers,
            pending.language,
            pending.received_at,
            pending.assisted_by
        ])?;
    if inserted == 1 {
        conn.prepare_cached("UPDATE invitations SET status = 'submitted' WHERE id = ?1")?
            .execute([pending.invitation])?;
        conn.prepare_cached("DELETE FROM drafts WHERE invitation_id = ?1")?
            .execute([pending.invitation])?;
        if let Some(user) = pending.assisted_by {
            // In the same transaction as the response: an assisted response is never without
            // its audit entry.
            conn.prepare_cached(
                "INSERT INTO audit_log (at, user_id, action, target, detail)
                 SELECT ?1, ?2, 'participant.assist.submit', 'participant:' || participant_id,
                        'invitation:' || id || ' wave:' || wave
                 FROM invitations WHERE id = ?3",
            )?
            .execute(params![pending.received_at, user, pending.invitation])?;
        }
        return Ok(Stored {
            submitted_at: pending.received_at.clone(),
            inserted: true,
        });
    }
    // Nothing stored and no response for the invitation: the submission id was used by
    // another invitation (or the invitation is gone).
    let submitted_at: String = conn
        .prepare_cached("SELECT submitted_at FROM responses WHERE invitation_id = ?1")?
        .query_row([pending.invitation], |row| row.get(0))
        .optional()?
        .with_context(|| {
            format!(
                "invitation {} has no response and its submission was not stored",
                pending.invitation
            )
        })?;
    Ok(Stored {
        submitted_at,
        inserted: false,
    })
}
