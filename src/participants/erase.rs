//! Erasing one participant's personal data everywhere, keeping what aggregate counts need.
//!
//! Kept: the participant row (with its pseudonym), the coarse attributes in [`KEPT`] plus an
//! `age_group` computed from the birth date before it goes, invitations (with a fresh token, so
//! the old personal link stops working), reminders, consents, responses with their structured
//! answers, and data-quality flags by code. Removed: every other attribute and its history
//! values, drafts, free-text (and hidden, and non-numeric calculated) answers, the outbox emails
//! to the person, the participant key (→ `erased:<id>`). So the number of participants,
//! invitations, consents and responses, and the breakdowns by sex, age group, province, union,
//! cohort and attendance stay what they were.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, TransactionBehavior, params};

use super::{ParticipantError, attributes};
use crate::accounts::audit;
use crate::form::{FieldKind, Form};
use crate::invitations::rfc3339;

/// Attributes kept after erasure: coarse, not identifying on their own, needed for the
/// disaggregations and the attendance funnel. Attendance (`attended_N`) is kept as well.
pub const KEPT: &[&str] = &[
    "sex",
    "province",
    "confederation",
    "federation",
    "union",
    "cohort",
    "training_location",
    "training_date",
    "sector",
    "age_group",
];

/// Whether attribute `name` survives erasure.
pub fn is_kept(name: &str) -> bool {
    KEPT.contains(&name) || name.starts_with("attended_")
}

/// Which answers of a response survive erasure, per form id: the fields whose answers are
/// choices, numbers or dates. Answers of forms not listed here are all removed, because
/// without the form nothing says which were free text.
#[derive(Debug, Clone, Default)]
pub struct ErasePolicy {
    /// Form id → kept field name → whether it is a calculation.
    structured: BTreeMap<String, BTreeMap<String, bool>>,
}

impl ErasePolicy {
    /// The policy for `forms` (the configured waves' forms).
    pub fn from_forms<'a>(forms: impl IntoIterator<Item = &'a Form>) -> ErasePolicy {
        let mut structured: BTreeMap<String, BTreeMap<String, bool>> = BTreeMap::new();
        for form in forms {
            let kept = structured.entry(form.id().to_owned()).or_default();
            for field in form.fields() {
                let keep = matches!(
                    field.kind,
                    FieldKind::Integer
                        | FieldKind::Decimal
                        | FieldKind::Date
                        | FieldKind::SelectOne { .. }
                        | FieldKind::SelectMultiple { .. }
                        | FieldKind::Acknowledge
                        | FieldKind::Calculate
                );
                if keep {
                    let calculated = matches!(field.kind, FieldKind::Calculate);
                    kept.insert(field.name.clone(), calculated);
                }
            }
        }
        ErasePolicy { structured }
    }

    /// Whether the answer `value` to `field` of form `form_id` survives erasure.
    pub fn keeps(&self, form_id: &str, field: &str, value: &str) -> bool {
        match self
            .structured
            .get(form_id)
            .and_then(|fields| fields.get(field))
        {
            None => false,
            // A calculation may concatenate a name; only numeric results are kept.
            Some(true) => value.trim().parse::<f64>().is_ok(),
            Some(false) => true,
        }
    }
}

/// What erasure did, in counts (no values), for the audit log and the command's output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Erased {
    /// Attributes deleted.
    pub attributes_deleted: usize,
    /// History values cleared.
    pub history_cleared: usize,
    /// Drafts deleted.
    pub drafts_deleted: usize,
    /// Answers removed from responses.
    pub answers_removed: usize,
    /// Outbox emails deleted.
    pub emails_deleted: usize,
}

/// Erases participant `id` at `now` on behalf of `actor`, in one transaction, and writes
/// `participant.erase` to the audit log.
pub fn erase(
    conn: &mut Connection,
    id: i64,
    actor: Option<i64>,
    now: DateTime<Utc>,
    policy: &ErasePolicy,
) -> Result<Erased, ParticipantError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let erased_at: Option<Option<String>> = tx
        .query_row(
            "SELECT erased_at FROM participants WHERE id = ?1",
            [id],
            |row| row.get(0),
        )
        .map(Some)
        .or_else(|err| match err {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            other => Err(other),
        })?;
    match erased_at {
        None => return Err(ParticipantError::NotFound(id.to_string())),
        Some(Some(_)) => return Err(ParticipantError::AlreadyErased(id)),
        Some(None) => {}
    }
    let stamp = rfc3339(now);
    let mut done = Erased::default();

    // The age group first, while the birth date (or stated age) is still there.
    let attributes: BTreeMap<String, String> = attributes::values(&tx, id)?;
    let age = attributes
        .get("birth_date")
        .and_then(|text| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .and_then(|birth| crate::indicators::age_on(birth, now.date_naive()))
        .or_else(|| attributes.get("age").and_then(|age| age.parse().ok()));
    if let Some(age) = age
        && !attributes.contains_key("age_group")
    {
        let group = crate::indicators::age_group(age);
        attributes::set_values(&tx, id, &[("age_group", group)], None, &stamp)?;
    }
    let erased: Vec<&str> = attributes
        .keys()
        .map(String::as_str)
        .filter(|name| !is_kept(name))
        .collect();
    done.attributes_deleted += attributes::clear_values(&tx, id, &erased)?;
    done.history_cleared += attributes::blank_history(&tx, id, is_kept)?;

    let invitations: Vec<i64> = {
        let mut stmt = tx.prepare("SELECT id FROM invitations WHERE participant_id = ?1")?;
        let rows = stmt.query_map([id], |row| row.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for invitation in &invitations {
        done.drafts_deleted +=
            tx.execute("DELETE FROM drafts WHERE invitation_id = ?1", [invitation])?;
        // A fresh token: the personal link stops working, the row still counts.
        let token = crate::invitations::new_token()?;
        tx.execute(
            "UPDATE invitations SET token = ?1 WHERE id = ?2",
            params![token, invitation],
        )?;
        done.emails_deleted += tx.execute(
            "DELETE FROM email_outbox WHERE dedupe_key LIKE ?1",
            [format!("invitation:{invitation}:%")],
        )?;
        let response: Option<(i64, String, String)> = tx
            .query_row(
                "SELECT id, form_id, answers FROM responses WHERE invitation_id = ?1",
                [invitation],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .map(Some)
            .or_else(|err| match err {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                other => Err(other),
            })?;
        if let Some((response, form_id, answers)) = response {
            let answers: BTreeMap<String, serde_json::Value> = serde_json::from_str(&answers)
                .map_err(|e| anyhow::anyhow!("response {response} has unreadable answers: {e}"))?;
            let before = answers.len();
            let kept: BTreeMap<String, serde_json::Value> = answers
                .into_iter()
                .filter(|(name, value)| {
                    let text = value
                        .as_str()
                        .map_or_else(|| value.to_string(), str::to_owned);
                    policy.keeps(&form_id, name, &text)
                })
                .collect();
            done.answers_removed += before - kept.len();
            tx.execute(
                "UPDATE responses SET answers = ?1 WHERE id = ?2",
                params![
                    serde_json::to_string(&kept).map_err(anyhow::Error::from)?,
                    response
                ],
            )?;
        }
    }
    if let Some(email) = attributes.get("email") {
        done.emails_deleted += tx.execute(
            "DELETE FROM email_outbox WHERE recipient = ?1 COLLATE NOCASE",
            [email],
        )?;
    }
    // Staff explanations may quote values; the code is what counts are made of.
    tx.execute(
        "UPDATE data_quality_flags SET reason = code WHERE participant_id = ?1",
        [id],
    )?;
    // The job cache holds merged records with the roster values and answers as they were:
    // dropped now, not at the next run (which builds them again from what erasure kept).
    tx.execute("DELETE FROM job_cache WHERE participant_id = ?1", [id])?;
    tx.execute(
        "UPDATE participants SET participant_key = ?1, erased_at = ?2 WHERE id = ?3",
        params![format!("erased:{id}"), stamp, id],
    )?;
    let target = format!("participant:{id}");
    let detail = format!(
        "attributes {}, history {}, drafts {}, answers {}, emails {}",
        done.attributes_deleted,
        done.history_cleared,
        done.drafts_deleted,
        done.answers_removed,
        done.emails_deleted
    );
    audit::record(
        &tx,
        now,
        audit::Entry {
            user: actor,
            action: "participant.erase",
            target: Some(&target),
            detail: Some(&detail),
        },
    )?;
    tx.commit()?;
    Ok(done)
}
