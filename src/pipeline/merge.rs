//! Merging rosters with responses: one [`Record`] per participant for the roster, or per
//! invited participant for a wave.
//!
//! Names in a record, as indicator expressions see them:
//! - roster attributes by their canonical name (`sex`, `union`, `attended_1`, `training_date`);
//! - derived: `pre_layoff_wage` (the roster's `last_wage`, else the baseline's answer), `age`,
//!   `age_group`, `age40plus` (1/0), `disability` (1/0, from the baseline's
//!   Washington Group answers, else the roster's disability column), `province` (the roster's,
//!   else from the NIK), `ump` (the provincial minimum wage for the year);
//! - for a wave: `invited` (1), `responded` (1/0) and the wave's answers by field name;
//! - the baseline's answers as `baseline.<field>`, with `baseline.responded`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use anyhow::Context;
use chrono::NaiveDate;
use rusqlite::Connection;

use crate::expr::Value;
use crate::indicators::{self, Record};
use crate::reference::Reference;

/// Everything merging needs besides the database.
pub struct MergeContext<'a> {
    /// Provinces and minimum wages.
    pub reference: &'a Reference,
    /// The date ages and minimum wages are taken at.
    pub on: NaiveDate,
    /// The wave whose answers are the baseline (`baseline.<field>`), if any.
    pub baseline_wave: Option<&'a str>,
}

/// One record per participant, with roster and derived attributes and the baseline's answers.
///
/// Erased participants are included with what erasure keeps (sex, province, union, cohort,
/// attendance, the age group taken before the birth date went), so that every figure counts
/// them as before: erasure removes a person's identity, not the programme's totals.
pub fn roster_records(
    conn: &Connection,
    context: &MergeContext,
) -> anyhow::Result<BTreeMap<i64, Arc<Record>>> {
    let mut attributes = roster_attributes(conn, None)?;
    let mut ids = conn.prepare("SELECT id FROM participants")?;
    let ids: Vec<i64> = ids
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let baseline = match context.baseline_wave {
        Some(wave) => answers_of(conn, wave)?,
        None => HashMap::new(),
    };
    let mut records = BTreeMap::new();
    for id in ids {
        let roster = attributes.remove(&id).unwrap_or_default();
        let baseline_answers = baseline.get(&id);
        records.insert(id, Arc::new(record(roster, baseline_answers, context)));
    }
    Ok(records)
}

/// The latest roster values of every participant, by participant id and attribute name; only
/// the attributes in `names` when given. The one place the job reads roster values, so that
/// a change in how they are stored changes this query alone.
pub fn roster_attributes(
    conn: &Connection,
    names: Option<&[&str]>,
) -> anyhow::Result<HashMap<i64, BTreeMap<String, String>>> {
    let mut attributes: HashMap<i64, BTreeMap<String, String>> = HashMap::new();
    // One JSON object per participant, decoded here rather than split into rows by SQLite.
    let mut statement = conn.prepare_cached(
        "SELECT r.participant_id, r.attrs FROM participant_rows r
         JOIN participants p ON p.id = r.participant_id",
    )?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let mut values = crate::participants::attributes::decode(row.get_ref(1)?.as_str()?);
        if let Some(wanted) = names {
            values.retain(|name, _| wanted.contains(&name.as_str()));
        }
        attributes.insert(row.get(0)?, values);
    }
    Ok(attributes)
}

/// One record per participant invited to `wave`: the roster record plus `invited`,
/// `responded` and the wave's answers.
pub fn wave_records(
    conn: &Connection,
    wave: &str,
    context: &MergeContext,
) -> anyhow::Result<Vec<Record>> {
    let roster = roster_records(conn, context)?;
    Ok(wave_records_from(conn, wave, &roster)?
        .into_iter()
        .map(|(_, record)| record)
        .collect())
}

/// Like [`wave_records`], but from roster records already built (a report reads the roster
/// once for every wave), with each record's participant id.
pub fn wave_records_from(
    conn: &Connection,
    wave: &str,
    roster: &BTreeMap<i64, Arc<Record>>,
) -> anyhow::Result<Vec<(i64, Record)>> {
    let mut answers = answers_of(conn, wave)?;
    let mut statement =
        conn.prepare("SELECT participant_id FROM invitations WHERE wave = ?1 ORDER BY id")?;
    let invited: Vec<i64> = statement
        .query_map([wave], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let mut records = Vec::with_capacity(invited.len());
    for id in invited {
        // Every invited participant has a roster record (erased ones too, with what erasure
        // keeps); a missing one would be a participant row deleted outright.
        let Some(base) = roster.get(&id) else {
            continue;
        };
        let mut record = Record::over(Arc::clone(base));
        record.set_num("invited", 1.0);
        match answers.remove(&id) {
            Some(given) => {
                record.set_num("responded", 1.0);
                for (name, value) in given {
                    record.set_text(name, value);
                }
            }
            None => {
                record.set_num("responded", 0.0);
            }
        }
        records.push((id, record));
    }
    Ok(records)
}

/// Submitted answers of one wave by participant, as text (numbers in their JSON spelling).
pub fn answers_of(
    conn: &Connection,
    wave: &str,
) -> anyhow::Result<HashMap<i64, BTreeMap<String, String>>> {
    let mut statement = conn.prepare(
        "SELECT i.participant_id, r.answers FROM responses r
         JOIN invitations i ON i.id = r.invitation_id WHERE i.wave = ?1",
    )?;
    let mut rows = statement.query([wave])?;
    let mut answers = HashMap::new();
    while let Some(row) = rows.next()? {
        let id: i64 = row.get(0)?;
        let json: String = row.get(1)?;
        let values: BTreeMap<String, serde_json::Value> = serde_json::from_str(&json)
            .with_context(|| format!("the answers of a response in wave {wave} are not JSON"))?;
        let values = values
            .into_iter()
            .map(|(name, value)| {
                let text = match value {
                    serde_json::Value::String(text) => text,
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                };
                (name, text)
            })
            .collect();
        answers.insert(id, values);
    }
    Ok(answers)
}

fn record(
    roster_values: BTreeMap<String, String>,
    baseline: Option<&BTreeMap<String, String>>,
    context: &MergeContext,
) -> Record {
    let roster = &roster_values;
    let mut record = Record::new();
    let birth = roster
        .get("birth_date")
        .and_then(|text| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok());
    let age = birth
        .and_then(|birth| indicators::age_on(birth, context.on))
        .or_else(|| roster.get("age").and_then(|age| age.parse().ok()));
    if let Some(age) = age {
        record.set_num("age", f64::from(age));
        record.set_text("age_group", indicators::age_group(age));
        record.set_num("age40plus", if age >= 40 { 1.0 } else { 0.0 });
    } else if let Some(group) = roster.get("age_group") {
        // An erased participant keeps only the age group computed when they were erased.
        record.set_text("age_group", group.clone());
        record.set_num(
            "age40plus",
            if matches!(group.as_str(), "40-49" | "50+") {
                1.0
            } else {
                0.0
            },
        );
    }
    // The wage before the layoff: the roster's last wage, else what the participant said in
    // the baseline.
    let pre_layoff_wage = roster
        .get("last_wage")
        .or_else(|| baseline.and_then(|answers| answers.get("pre_layoff_wage")))
        .filter(|text| !text.is_empty());
    if let Some(wage) = pre_layoff_wage.and_then(|text| text.parse::<f64>().ok()) {
        record.set_num("pre_layoff_wage", wage);
    }
    if let Some(answers) = baseline {
        record.set_num("baseline.responded", 1.0);
        for (name, value) in answers {
            record.set_text(format!("baseline.{name}"), value.clone());
        }
    } else {
        record.set_num("baseline.responded", 0.0);
    }
    let from_wg = indicators::disability(
        indicators::WG_DOMAINS
            .iter()
            .map(|domain| baseline.and_then(|a| a.get(*domain)).map(String::as_str)),
    );
    let from_roster = roster
        .get("disability")
        .map(|value| value.starts_with("yes"));
    if let Some(disabled) = from_wg.or(from_roster) {
        record.set_num("disability", if disabled { 1.0 } else { 0.0 });
    }
    let province = roster.get("province").cloned().or_else(|| {
        let prefix: u8 = roster.get("nik")?.get(0..2)?.parse().ok()?;
        Some(
            context
                .reference
                .province_by_nik_prefix(prefix)?
                .name
                .clone(),
        )
    });
    if let Some(province) = &province {
        record.set("province", Value::Str(province.clone()));
    }
    if let Some((ump, _)) = indicators::minimum_wage(
        context.reference,
        province.as_deref(),
        roster.get("nik").map(String::as_str),
        context.on,
    ) {
        record.set_num("ump", ump as f64);
    }
    // The roster's own values go in last, moved rather than copied; a derived value of the
    // same name (`age`, `disability` as 1/0) takes precedence over the roster's text.
    for (name, value) in roster_values {
        if record.lookup(&name).is_none() {
            record.set_text(name, value);
        }
    }
    record
}

#[cfg(test)]
mod tests;
