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

use rayon::prelude::*;

use super::cache::{self, Cache, Scope};
use super::inputs::Inputs;
use super::quality::answers_as_text;
use crate::expr::Value;
use crate::indicators::{self, Names, Record};
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
    let mut names = Names::default();
    for id in ids {
        let roster = attributes.remove(&id).unwrap_or_default();
        let baseline_answers = baseline.get(&id);
        records.insert(
            id,
            Arc::new(record(roster, baseline_answers, context, &mut names)),
        );
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

/// The merged records of a report: one per participant, and one per invited participant of
/// each wave.
pub struct Merged {
    /// Roster records by participant id.
    pub roster: BTreeMap<i64, Arc<Record>>,
    /// Per wave name, each invited participant's record, in invitation order.
    pub waves: BTreeMap<String, Vec<(i64, Record)>>,
}

/// [`roster_records`] and [`wave_records_from`] for every wave in `waves`, from inputs already
/// read, reusing what `cache` holds for records whose inputs did not change and keeping the
/// others in it (written by [`Cache::write_behind`]). The records are the same as those the two
/// functions build; records are built on every core.
pub fn merge_cached(
    conn: &Connection,
    context: &MergeContext,
    waves: &[&str],
    inputs: &Inputs,
    cache: &mut Cache,
    scope: &Scope,
) -> anyhow::Result<Merged> {
    let baseline = match context.baseline_wave {
        Some(wave) => inputs.answers_of(wave),
        None => HashMap::new(),
    };
    // Each participant with the entry the cache holds for it, paired on this thread (the
    // entries move into the records built from them).
    let mut cached = cache.take_wave("");
    let dictionary = cache.dictionary();
    let paired: Vec<_> = inputs
        .participants
        .iter()
        .map(|participant| (participant, cached.remove(&participant.id)))
        .collect();
    drop(cached);
    let built: Vec<(i64, Record, Option<Fresh>)> = paired
        .into_par_iter()
        .map_init(Names::default, |names, (participant, entry)| {
            let id = participant.id;
            let baseline_text = baseline.get(&id).copied();
            let fingerprint =
                cache::fingerprint(scope, "", &[participant.attrs.as_deref(), baseline_text]);
            let (mut record, fresh) = match entry.filter(|(stored, _)| *stored == fingerprint) {
                Some((_, record)) => (record, None),
                None => {
                    let roster = participant
                        .attrs
                        .as_deref()
                        .map(crate::participants::attributes::decode)
                        .unwrap_or_default();
                    let answers = baseline_text
                        .map(answers_as_text)
                        .transpose()
                        .with_context(|| {
                            format!(
                                "the answers of a response in wave {} are not JSON",
                                context.baseline_wave.unwrap_or_default()
                            )
                        })?;
                    let record = undated_record(roster, answers.as_ref(), context.reference, names);
                    let bytes = dictionary.encode(record.own_values());
                    (record, Some((fingerprint, bytes)))
                }
            };
            add_dated(&mut record, context);
            Ok::<_, anyhow::Error>((id, record, fresh))
        })
        .collect::<anyhow::Result<_>>()?;
    let mut roster = BTreeMap::new();
    for (id, record, fresh) in built {
        if let Some((fingerprint, bytes)) = fresh {
            cache.put_encoded(id, "", fingerprint, bytes);
        }
        roster.insert(id, Arc::new(record));
    }
    let mut merged = BTreeMap::new();
    for wave in waves {
        let records = wave_records_cached(conn, wave, &roster, inputs, cache, scope)
            .with_context(|| format!("cannot merge the responses of wave {wave}"))?;
        merged.insert((*wave).to_owned(), records);
    }
    Ok(Merged {
        roster,
        waves: merged,
    })
}

/// A record built in this run, to be kept in the cache: its fingerprint and encoding.
type Fresh = ([u8; cache::FINGERPRINT_BYTES], Vec<u8>);

/// [`wave_records_from`] with the answers from `inputs` and the cache.
fn wave_records_cached(
    conn: &Connection,
    wave: &str,
    roster: &BTreeMap<i64, Arc<Record>>,
    inputs: &Inputs,
    cache: &mut Cache,
    scope: &Scope,
) -> anyhow::Result<Vec<(i64, Record)>> {
    let answers = inputs.answers_of(wave);
    let mut statement =
        conn.prepare("SELECT participant_id FROM invitations WHERE wave = ?1 ORDER BY id")?;
    let invited: Vec<i64> = statement
        .query_map([wave], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let mut cached = cache.take_wave(wave);
    let dictionary = cache.dictionary();
    let paired: Vec<_> = invited
        .into_iter()
        .map(|id| (id, cached.remove(&id)))
        .collect();
    drop(cached);
    let (invited_name, responded_name): (Arc<str>, Arc<str>) =
        ("invited".into(), "responded".into());
    let built: Vec<Option<(i64, Record, Option<Fresh>)>> = paired
        .into_par_iter()
        .map_init(Names::default, |names, (id, entry)| {
            // As in wave_records_from: a participant row deleted outright has no record.
            let Some(base) = roster.get(&id) else {
                return Ok(None);
            };
            let Some(text) = answers.get(&id) else {
                let mut record = Record::over(Arc::clone(base));
                record.set_num(Arc::clone(&invited_name), 1.0);
                record.set_num(Arc::clone(&responded_name), 0.0);
                return Ok(Some((id, record, None)));
            };
            let fingerprint = cache::fingerprint(scope, wave, &[Some(text)]);
            let (mut record, fresh) = match entry.filter(|(stored, _)| *stored == fingerprint) {
                Some((_, record)) => (record.layered_over(Arc::clone(base)), None),
                None => {
                    // Names shared from the start, values made once: encoded for the cache
                    // and kept in the record from the same list (in the answers' order, as
                    // before).
                    let values: Vec<(Arc<str>, Value)> = answers_as_text(text)
                        .with_context(|| {
                            format!("the answers of a response in wave {wave} are not JSON")
                        })?
                        .into_iter()
                        .map(|(name, text)| (names.get(&name), Value::Str(text)))
                        .collect();
                    let bytes =
                        dictionary.encode(values.iter().map(|(name, value)| (&**name, value)));
                    let record = Record::from_values(values, 2).layered_over(Arc::clone(base));
                    (record, Some((fingerprint, bytes)))
                }
            };
            // An answer of the same name wins over these two, as it always has.
            record.set_if_absent(&invited_name, Value::Num(1.0));
            record.set_if_absent(&responded_name, Value::Num(1.0));
            Ok::<_, anyhow::Error>(Some((id, record, fresh)))
        })
        .collect::<anyhow::Result<_>>()?;
    let mut records = Vec::with_capacity(built.len());
    for (id, record, fresh) in built.into_iter().flatten() {
        if let Some((fingerprint, bytes)) = fresh {
            cache.put_encoded(id, wave, fingerprint, bytes);
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
        let values = answers_as_text(&json)
            .with_context(|| format!("the answers of a response in wave {wave} are not JSON"))?;
        answers.insert(id, values);
    }
    Ok(answers)
}

/// A participant's merged record for `context.on`: [`undated_record`], then [`add_dated`].
fn record(
    roster_values: BTreeMap<String, String>,
    baseline: Option<&BTreeMap<String, String>>,
    context: &MergeContext,
    names: &mut Names,
) -> Record {
    let mut record = undated_record(roster_values, baseline, context.reference, names);
    add_dated(&mut record, context);
    record
}

/// The part of a participant's merged record that does not depend on the day of the run: the
/// roster values, the pre-layoff wage, the baseline's answers, disability and province. This
/// is what the job cache keeps.
pub(crate) fn undated_record(
    roster_values: BTreeMap<String, String>,
    baseline: Option<&BTreeMap<String, String>>,
    reference: &Reference,
    names: &mut Names,
) -> Record {
    let roster = &roster_values;
    // The derived values first, in the order they were always set (a later one of the same
    // name wins), with room for the roster's values and the four dated ones, so that the
    // record is allocated once. Names come from `names`: one copy per name per thread, not
    // one per record.
    let mut derived: Vec<(Arc<str>, Value)> =
        Vec::with_capacity(4 + baseline.map_or(0, BTreeMap::len));
    // The wage before the layoff: the roster's last wage, else what the participant said in
    // the baseline.
    let pre_layoff_wage = roster
        .get("last_wage")
        .or_else(|| baseline.and_then(|answers| answers.get("pre_layoff_wage")))
        .filter(|text| !text.is_empty());
    if let Some(wage) = pre_layoff_wage.and_then(|text| text.parse::<f64>().ok()) {
        derived.push((names.get("pre_layoff_wage"), Value::Num(wage)));
    }
    if let Some(answers) = baseline {
        derived.push((names.get("baseline.responded"), Value::Num(1.0)));
        let mut scratch = String::new();
        for (name, value) in answers {
            derived.push((
                names.joined("baseline.", name, &mut scratch),
                Value::Str(value.clone()),
            ));
        }
    } else {
        derived.push((names.get("baseline.responded"), Value::Num(0.0)));
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
        derived.push((
            names.get("disability"),
            Value::Num(if disabled { 1.0 } else { 0.0 }),
        ));
    }
    let province = roster.get("province").cloned().or_else(|| {
        let prefix: u8 = roster.get("nik")?.get(0..2)?.parse().ok()?;
        Some(reference.province_by_nik_prefix(prefix)?.name.clone())
    });
    if let Some(province) = province {
        derived.push((names.get("province"), Value::Str(province)));
    }
    // The roster's own values go in last, moved rather than copied; a derived value of the
    // same name (`disability` as 1/0) takes precedence over the roster's text. The roster's
    // `age`, `age_group`, `age40plus` and `ump` stay for now: [`add_dated`] replaces them
    // when it can derive them, as the derived value wins.
    let mut record = Record::from_values(derived, roster_values.len() + DATED_NAMES);
    record.extend_absent(
        roster_values
            .into_iter()
            .map(|(name, value)| (names.get(&name), Value::Str(value))),
    );
    record
}

/// How many values [`add_dated`] may add to a record (room kept for them when it is built).
const DATED_NAMES: usize = 4;

/// Adds what depends on the day of the run to a record from [`undated_record`]: `age` (at
/// `context.on`, from the birth date, else the roster's age), `age_group`, `age40plus` and
/// `ump`, the provincial minimum wage of that year. Each replaces a roster value of the same
/// name, as every derived value does.
pub(crate) fn add_dated(record: &mut Record, context: &MergeContext) {
    // The four names, made once per process and shared by every record.
    static DATED: std::sync::LazyLock<[Arc<str>; 4]> = std::sync::LazyLock::new(|| {
        [
            "age".into(),
            "age_group".into(),
            "age40plus".into(),
            "ump".into(),
        ]
    });
    let [age_name, group_name, forty_name, ump_name] = &*DATED;
    let text = |record: &Record, name: &str| match record.lookup(name) {
        Some(Value::Str(text)) => Some(text.clone()),
        _ => None,
    };
    let birth = text(record, "birth_date")
        .and_then(|text| NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok());
    let age = birth
        .and_then(|birth| indicators::age_on(birth, context.on))
        .or_else(|| text(record, "age").and_then(|age| age.parse().ok()));
    if let Some(age) = age {
        record.set_num(Arc::clone(age_name), f64::from(age));
        record.set_text(Arc::clone(group_name), indicators::age_group(age));
        record.set_num(Arc::clone(forty_name), if age >= 40 { 1.0 } else { 0.0 });
    } else if let Some(group) = text(record, "age_group") {
        // An erased participant keeps only the age group computed when they were erased.
        record.set_num(
            Arc::clone(forty_name),
            if matches!(group.as_str(), "40-49" | "50+") {
                1.0
            } else {
                0.0
            },
        );
    }
    let province = text(record, "province");
    let nik = text(record, "nik");
    if let Some((ump, _)) = indicators::minimum_wage(
        context.reference,
        province.as_deref(),
        nik.as_deref(),
        context.on,
    ) {
        record.set_num(Arc::clone(ump_name), ump as f64);
    }
}

#[cfg(test)]
mod tests;
