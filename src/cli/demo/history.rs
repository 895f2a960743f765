//! A past for the demo programme: the weeks since the first participant enrolled are replayed,
//! so that the baseline and the follow-up waves fall due as they would have, most participants
//! answer, some decline and some never do, and the waves open today still wait for answers.
//!
//! Every step goes through the same code as real operation: [`invitations::issue_due`] issues
//! and expires invitations at each simulated week; the answers are drawn by
//! [`synthetic::answers`] within each form's own relevance and constraints, and stored the way
//! the survey stores a final submission (consent first, then the response, the invitation marked
//! submitted). Only the clock is simulated.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, params};

use crate::config::Config;
use crate::form::{Form, Prefill};
use crate::invitations::{self, rfc3339};
use crate::synthetic::{self, Persona, Rng};
use crate::web::i18n::CONSENT_VERSION;

/// What the replay produced.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct History {
    /// Responses stored, per wave in configuration order.
    pub responses: Vec<(String, usize)>,
    /// Participants who declined consent.
    pub declined: usize,
}

/// Replays the programme week by week from `from` to `now`, answering for the participants
/// who respond. Deterministic for a seed and a database.
pub fn replay(
    conn: &mut Connection,
    config: &Config,
    forms_dir: &Path,
    from: DateTime<Utc>,
    now: DateTime<Utc>,
    seed: u64,
) -> anyhow::Result<History> {
    let mut forms: HashMap<String, Form> = HashMap::new();
    for wave in &config.waves {
        if !forms.contains_key(&wave.form) {
            let path = forms_dir.join(&wave.form);
            let form = Form::load_path(&path).map_err(|problems| {
                anyhow::anyhow!(
                    "the form {} has {} problem(s); run pantau check-form on it",
                    path.display(),
                    problems.len()
                )
            })?;
            forms.insert(wave.form.clone(), form);
        }
    }
    let wave_index: HashMap<&str, usize> = config
        .waves
        .iter()
        .enumerate()
        .map(|(i, w)| (w.name.as_str(), i))
        .collect();
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    let mut history = History::default();
    // Earlier answers per participant, for `previous_<field>` prefills.
    let mut answered: HashMap<i64, BTreeMap<String, String>> = HashMap::new();
    let mut rng = Rng::new(seed);
    let mut t = from;
    while t <= now {
        invitations::issue_due(conn, config, t)?;
        let stamp = rfc3339(t);
        let issued: Vec<(i64, i64, String, String)> = conn
            .prepare(
                "SELECT i.id, i.participant_id, i.wave, i.closes_at FROM invitations i
                 WHERE i.status = 'issued' AND i.issued_at = ?1 ORDER BY i.id",
            )?
            .query_map([&stamp], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })?
            .collect::<Result<_, _>>()?;
        for (invitation, participant, wave, closes_at) in issued {
            let Some(&index) = wave_index.get(wave.as_str()) else {
                continue;
            };
            // Each participant keeps one character across waves: how likely they answer and
            // how well they do.
            let mut own = Rng::new(seed ^ (participant as u64).wrapping_mul(0x9E37_79B9));
            let propensity = 0.65 + own.below(35) as f64 / 100.0;
            let fortune = own.below(100) as f64 / 100.0;
            let answers_chance = [0.92, 0.78, 0.68, 0.6][index.min(3)] * propensity;
            if !rng.chance(answers_chance) {
                continue;
            }
            let closes = DateTime::parse_from_rfc3339(&closes_at)
                .context("an invitation's closing time is not RFC 3339")?
                .with_timezone(&Utc);
            let delay = Duration::hours(2 + rng.below(24 * 20) as i64);
            let submitted = t + delay;
            if submitted >= now || submitted >= closes {
                continue;
            }
            let opened = submitted - Duration::minutes(4 + rng.below(20) as i64);
            let wave_config = &config.waves[index];
            let form = &forms[&wave_config.form];
            let tx = conn.transaction()?;
            tx.execute(
                "UPDATE invitations SET opened_at = ?2 WHERE id = ?1",
                params![invitation, rfc3339(opened)],
            )?;
            if rng.chance(0.03) {
                tx.execute(
                    "INSERT INTO consents (invitation_id, decision, text_version, language, decided_at)
                     VALUES (?1, 'declined', ?2, 'id', ?3)",
                    params![invitation, CONSENT_VERSION, rfc3339(opened)],
                )?;
                tx.execute(
                    "UPDATE invitations SET status = 'declined' WHERE id = ?1",
                    [invitation],
                )?;
                tx.commit()?;
                history.declined += 1;
                continue;
            }
            let roster = roster_of(&tx, participant)?;
            let previous = answered.get(&participant);
            let prefill = prefill(form, &roster, previous);
            let persona = Persona {
                wave_index: index,
                last_wage: roster.get("last_wage").and_then(|w| w.parse().ok()),
                fortune,
            };
            let today = submitted
                .with_timezone(&config.programme.time_zone)
                .date_naive();
            let record = synthetic::answers(form, &prefill, &persona, &mut rng, today);
            tx.execute(
                "INSERT INTO consents (invitation_id, decision, text_version, language, decided_at)
                 VALUES (?1, 'accepted', ?2, 'id', ?3)",
                params![invitation, CONSENT_VERSION, rfc3339(opened)],
            )?;
            tx.execute(
                "INSERT INTO responses
                     (invitation_id, submission_id, form_id, form_version, answers, language,
                      submitted_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'id', ?6)",
                params![
                    invitation,
                    invitations::new_token()?,
                    form.id(),
                    form.settings().version.as_deref().unwrap_or(""),
                    serde_json::to_string(&record)?,
                    rfc3339(submitted)
                ],
            )?;
            tx.execute(
                "UPDATE invitations SET status = 'submitted' WHERE id = ?1",
                [invitation],
            )?;
            tx.commit()?;
            *counts.entry(index).or_default() += 1;
            answered.insert(participant, record);
        }
        t += Duration::days(7);
    }
    history.responses = config
        .waves
        .iter()
        .enumerate()
        .map(|(i, w)| (w.name.clone(), counts.get(&i).copied().unwrap_or(0)))
        .collect();
    Ok(history)
}

fn roster_of(conn: &Connection, participant: i64) -> anyhow::Result<BTreeMap<String, String>> {
    let mut statement = conn.prepare_cached(
        "SELECT name, value FROM participant_attributes WHERE participant_id = ?1",
    )?;
    let rows = statement.query_map([participant], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The server's prefill for a form: roster attributes (`roster_first_name` from the name) and
/// the participant's previous answers.
fn prefill(
    form: &Form,
    roster: &BTreeMap<String, String>,
    previous: Option<&BTreeMap<String, String>>,
) -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    for (name, source) in form.prefills() {
        let value = match source {
            Prefill::Roster(attribute) if attribute == "first_name" => roster
                .get("name")
                .and_then(|n| n.split_whitespace().next())
                .map(str::to_string),
            Prefill::Roster(attribute) => roster.get(attribute.as_str()).cloned(),
            Prefill::Previous(field) => previous.and_then(|p| p.get(field.as_str())).cloned(),
            Prefill::Metadata(_) => None,
        };
        if let Some(value) = value {
            values.insert(name.to_string(), value);
        }
    }
    values
}
