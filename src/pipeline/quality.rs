//! Data-quality flags: what a run noticed about the responses, stored in
//! `data_quality_flags` so that staff can look at each case instead of the figures silently
//! dropping or counting it.
//!
//! The rules are plain functions over values ([`income_problems`], [`out_of_window`],
//! [`duplicates`]) so that each is tested on its own; [`find`] reads the database and applies
//! them, [`store`] makes the table match what was found. Running twice adds nothing; a flag
//! whose cause is gone (an answer corrected, a duplicate erased) is removed by the next run.
//!
//! Reasons are for programme staff only (the manager workbook and the admin area): they may
//! quote the value that raised the flag. Donor outputs carry only counts per code.

use std::collections::{BTreeMap, HashMap, HashSet};

use anyhow::Context;
use chrono::{DateTime, Utc};
use rayon::prelude::*;
use rusqlite::{Connection, Transaction, TransactionBehavior, params};
use serde::Deserialize;

use super::inputs::Inputs;

/// Monthly incomes above this many Rupiah are outside any livelihood programme's range
/// (Rp 100 juta).
pub const INCOME_CEILING: f64 = 100_000_000.0;

/// An income more than this many times the participant's own pre-layoff wage, or less than its
/// inverse, is implausible (a typo of a zero, a yearly figure).
pub const HISTORY_FACTOR: f64 = 10.0;

/// The flag codes, stable: counts in workbooks and dashboards are keyed by them.
pub mod code {
    /// A response whose invitation belongs to an erased participant.
    pub const UNMATCHED: &str = "response_unmatched";
    /// The same person (same NIK or phone) answered a wave under two participant keys.
    pub const DUPLICATE: &str = "duplicate_person";
    /// Submitted outside the invitation's window.
    pub const OUT_OF_WINDOW: &str = "out_of_window";
    /// Monthly income far from the participant's own pre-layoff wage.
    pub const INCOME_HISTORY: &str = "income_implausible";
    /// Monthly income outside the programme's range (negative or above Rp 100 juta).
    pub const INCOME_RANGE: &str = "income_out_of_range";
    /// The income sources do not add up to the stated total.
    pub const INCOME_SUM: &str = "income_sum_mismatch";
    /// Every code, in the order the methodology sheet lists them.
    pub const ALL: [&str; 6] = [
        UNMATCHED,
        DUPLICATE,
        OUT_OF_WINDOW,
        INCOME_HISTORY,
        INCOME_RANGE,
        INCOME_SUM,
    ];
}

/// What a code means, per language code, for the methodology sheet.
pub fn meaning(code: &str) -> BTreeMap<String, String> {
    let (id, en) = match code {
        code::UNMATCHED => (
            "Jawaban dari undangan peserta yang datanya sudah dihapus",
            "Response to an invitation of a participant whose data was erased",
        ),
        code::DUPLICATE => (
            "Orang yang sama (NIK atau nomor HP sama) menjawab dua kali dalam satu gelombang",
            "The same person (same NIK or phone) answered twice in one wave",
        ),
        code::OUT_OF_WINDOW => (
            "Jawaban dikirim di luar jangka waktu survei",
            "Answers submitted outside the survey window",
        ),
        code::INCOME_HISTORY => (
            "Pendapatan lebih dari 10 kali atau kurang dari 1/10 upah sebelum PHK",
            "Income more than 10 times or less than 1/10 of the pre-layoff wage",
        ),
        code::INCOME_RANGE => (
            "Pendapatan bulanan negatif atau di atas Rp 100 juta",
            "Monthly income negative or above Rp 100 million",
        ),
        code::INCOME_SUM => (
            "Jumlah sumber pendapatan tidak sama dengan total",
            "Income sources do not add up to the total",
        ),
        _ => ("Kode lain", "Other code"),
    };
    BTreeMap::from([
        ("id".to_owned(), id.to_owned()),
        ("en".to_owned(), en.to_owned()),
    ])
}

/// One finding about one participant (and wave).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Flag {
    pub participant_id: i64,
    /// None for findings about the roster record.
    pub wave: Option<String>,
    pub code: &'static str,
    /// Plain words for staff, naming the field and the value.
    pub reason: String,
}

/// The income sources of the forms, added up into `income_total`.
pub const INCOME_SOURCES: [&str; 4] = [
    "income_wage",
    "income_resell",
    "income_business",
    "income_other",
];

/// Problems with the income answers of one response: out of range, far from the participant's
/// own `pre_layoff_wage` (when both are above zero), or sources not adding up to the total.
/// `answers` are the response's answers as text.
pub fn income_problems(
    answers: &BTreeMap<String, String>,
    pre_layoff_wage: Option<f64>,
) -> Vec<(&'static str, String)> {
    let number = |name: &str| answers.get(name).and_then(|text| income_number(text));
    let income = Income {
        total: number("income_total"),
        sources: INCOME_SOURCES.map(number),
        pre_layoff_wage: None,
    };
    income.problems(pre_layoff_wage)
}

/// An income answer as a number: None when empty or not a number.
fn income_number(text: &str) -> Option<f64> {
    let text = text.trim();
    (!text.is_empty())
        .then(|| text.parse::<f64>().ok())
        .flatten()
}

/// The income answers of one response as numbers (None: unanswered or not a number), which is
/// all the income rules read: kept per response instead of the answers' text, so that the check
/// holds a few numbers per response rather than a map of strings.
#[derive(Debug, Clone, Copy, Default)]
struct Income {
    total: Option<f64>,
    /// In the order of [`INCOME_SOURCES`].
    sources: [Option<f64>; 4],
    /// The baseline's `pre_layoff_wage` answer, read without trimming (as a wage history).
    pre_layoff_wage: Option<f64>,
}

impl Income {
    /// [`income_problems`] of these answers.
    fn problems(&self, pre_layoff_wage: Option<f64>) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        let Some(total) = self.total else {
            return problems;
        };
        if !(0.0..=INCOME_CEILING).contains(&total) {
            problems.push((
                code::INCOME_RANGE,
                format!(
                    "income_total is Rp {}, outside 0 to Rp {} a month",
                    rupiah(total),
                    rupiah(INCOME_CEILING)
                ),
            ));
        }
        if let Some(wage) = pre_layoff_wage.filter(|wage| *wage > 0.0)
            && total > 0.0
            && (total > wage * HISTORY_FACTOR || total * HISTORY_FACTOR < wage)
        {
            problems.push((
                code::INCOME_HISTORY,
                format!(
                    "income_total Rp {} is {} the pre-layoff wage of Rp {}",
                    rupiah(total),
                    if total > wage {
                        "more than 10 times"
                    } else {
                        "less than a tenth of"
                    },
                    rupiah(wage)
                ),
            ));
        }
        let sources: Vec<(&str, f64)> = INCOME_SOURCES
            .iter()
            .zip(self.sources)
            .filter_map(|(name, value)| value.map(|value| (*name, value)))
            .collect();
        let sum: f64 = sources.iter().map(|(_, value)| value).sum();
        if !sources.is_empty() && (sum - total).abs() >= 1.0 {
            let parts: Vec<String> = sources
                .iter()
                .map(|(name, value)| format!("{name} {}", rupiah(*value)))
                .collect();
            problems.push((
                code::INCOME_SUM,
                format!(
                    "income sources add up to Rp {} ({}) but income_total is Rp {}",
                    rupiah(sum),
                    parts.join(" + "),
                    rupiah(total)
                ),
            ));
        }
        problems
    }
}

/// Why a response submitted at `submitted_at` falls outside the window `opens_at` (inclusive)
/// to `closes_at` (exclusive), if it does. All three are RFC 3339 UTC texts, which sort as
/// times; an unreadable time is itself a reason.
pub fn out_of_window(submitted_at: &str, opens_at: &str, closes_at: &str) -> Option<String> {
    let parse = |text: &str| DateTime::parse_from_rfc3339(text).ok();
    let (Some(at), Some(opens), Some(closes)) =
        (parse(submitted_at), parse(opens_at), parse(closes_at))
    else {
        return Some(format!(
            "submitted_at {submitted_at:?} or the window {opens_at:?} to {closes_at:?} is not \
             a time"
        ));
    };
    if at < opens {
        Some(format!(
            "submitted_at {submitted_at} is before the window opened ({opens_at})"
        ))
    } else if at >= closes {
        Some(format!(
            "submitted_at {submitted_at} is after the window closed ({closes_at})"
        ))
    } else {
        None
    }
}

/// One respondent of a wave, with the identifiers two roster keys may share.
#[derive(Debug, Clone)]
pub struct Respondent {
    pub participant_id: i64,
    pub nik: Option<String>,
    pub phone: Option<String>,
}

/// Respondents of one wave who share a NIK or phone with another respondent of that wave, each
/// with a reason naming the shared identifier and the other participants' ids.
pub fn duplicates(respondents: &[Respondent]) -> Vec<(i64, String)> {
    let mut by_identifier: HashMap<(&str, &str), Vec<i64>> = HashMap::new();
    for respondent in respondents {
        for (kind, value) in [("NIK", &respondent.nik), ("phone", &respondent.phone)] {
            if let Some(value) = value.as_deref().filter(|value| !value.is_empty()) {
                by_identifier
                    .entry((kind, value))
                    .or_default()
                    .push(respondent.participant_id);
            }
        }
    }
    let mut reasons: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    let mut groups: Vec<_> = by_identifier
        .into_iter()
        .filter(|(_, ids)| ids.len() > 1)
        .collect();
    groups.sort();
    for ((kind, value), ids) in groups {
        for id in &ids {
            let others: Vec<String> = ids
                .iter()
                .filter(|other| *other != id)
                .map(|other| format!("#{other}"))
                .collect();
            reasons.entry(*id).or_default().push(format!(
                "{kind} {value} also answered as participant {}",
                others.join(", ")
            ));
        }
    }
    reasons
        .into_iter()
        .map(|(id, reasons)| (id, reasons.join("; ")))
        .collect()
}

/// Applies every rule to the database as it is.
pub fn find(conn: &Connection) -> anyhow::Result<Vec<Flag>> {
    find_in(&Inputs::read(conn)?)
}

/// The roster values the rules read; the rest of a participant's values are not decoded.
#[derive(Debug, Default, Deserialize)]
struct Identifiers {
    nik: Option<String>,
    phone: Option<String>,
    last_wage: Option<String>,
}

/// The answers the rules read; the rest of a response is not decoded.
#[derive(Debug, Default, Deserialize)]
struct IncomeAnswers {
    income_total: Option<serde_json::Value>,
    income_wage: Option<serde_json::Value>,
    income_resell: Option<serde_json::Value>,
    income_business: Option<serde_json::Value>,
    income_other: Option<serde_json::Value>,
    pre_layoff_wage: Option<serde_json::Value>,
}

impl IncomeAnswers {
    /// The answers as the rules read them: each as text (as [`income_problems`] takes them),
    /// then as a number.
    fn into_income(self) -> Income {
        let number = |value: Option<serde_json::Value>| income_number(&json_text(value?));
        Income {
            total: number(self.income_total),
            sources: [
                number(self.income_wage),
                number(self.income_resell),
                number(self.income_business),
                number(self.income_other),
            ],
            pre_layoff_wage: self
                .pre_layoff_wage
                .and_then(|value| json_text(value).parse::<f64>().ok()),
        }
    }
}

/// Applies every rule to participants and responses already read (the job reads them once for
/// the check and the merge).
pub fn find_in(inputs: &Inputs) -> anyhow::Result<Vec<Flag>> {
    // Participant ids are the database's own keys, not an outsider's choice: a fast fixed hash
    // is safe for the maps keyed by them (SipHash was a visible share of the check).
    type ById = foldhash::fast::FixedState;
    let respondents_ids: HashSet<i64, ById> = inputs
        .responses
        .iter()
        .map(|response| response.participant_id)
        .collect();
    // Only respondents' identifiers and wages are ever looked at. Decoding is most of the
    // check, and each row decodes on its own: on every core.
    let attributes: HashMap<i64, Identifiers, ById> = inputs
        .participants
        .par_iter()
        .filter(|participant| respondents_ids.contains(&participant.id))
        .map(|participant| {
            let identifiers = participant
                .attrs
                .as_deref()
                .and_then(|attrs| serde_json::from_str(attrs).ok())
                .unwrap_or_default();
            (participant.id, identifiers)
        })
        .collect();
    struct Row<'a> {
        participant_id: i64,
        wave: &'a str,
        income: Income,
        erased: bool,
        /// Why it was submitted outside its window, if it was (not checked when erased).
        out_of_window: Option<String>,
    }
    let responses: Vec<Row> = inputs
        .responses
        .par_iter()
        .map(|response| {
            let answers: IncomeAnswers =
                serde_json::from_str(&response.answers).with_context(|| {
                    format!(
                        "the answers of a response in wave {} are not JSON",
                        response.wave
                    )
                })?;
            Ok(Row {
                participant_id: response.participant_id,
                wave: &response.wave,
                income: answers.into_income(),
                erased: response.erased,
                out_of_window: if response.erased {
                    None
                } else {
                    out_of_window(
                        &response.submitted_at,
                        &response.opens_at,
                        &response.closes_at,
                    )
                },
            })
        })
        .collect::<anyhow::Result<_>>()?;
    // The participant's own pre-layoff wage: the roster's last wage, else what they said in a
    // baseline (any wave asking `pre_layoff_wage`).
    let mut wage_answers: HashMap<i64, f64, ById> = HashMap::default();
    for response in &responses {
        if let Some(wage) = response.income.pre_layoff_wage {
            wage_answers.insert(response.participant_id, wage);
        }
    }
    let mut flags = Vec::new();
    let mut respondents: BTreeMap<&str, Vec<Respondent>> = BTreeMap::new();
    for response in &responses {
        let id = response.participant_id;
        let wave = Some(response.wave.to_owned());
        if response.erased {
            flags.push(Flag {
                participant_id: id,
                wave,
                code: code::UNMATCHED,
                reason: format!(
                    "a response to wave {} belongs to participant #{id}, whose data was erased: \
                     it is left out of every figure",
                    response.wave
                ),
            });
            continue;
        }
        let own = attributes.get(&id);
        respondents
            .entry(response.wave)
            .or_default()
            .push(Respondent {
                participant_id: id,
                nik: own.and_then(|a| a.nik.clone()),
                phone: own.and_then(|a| a.phone.clone()),
            });
        if let Some(reason) = &response.out_of_window {
            flags.push(Flag {
                participant_id: id,
                wave: wave.clone(),
                code: code::OUT_OF_WINDOW,
                reason: reason.clone(),
            });
        }
        let wage = own
            .and_then(|a| a.last_wage.as_deref())
            .and_then(|text| text.parse::<f64>().ok())
            .filter(|wage| *wage > 0.0)
            .or_else(|| wage_answers.get(&id).copied());
        for (code, reason) in response.income.problems(wage) {
            flags.push(Flag {
                participant_id: id,
                wave: wave.clone(),
                code,
                reason,
            });
        }
    }
    for (wave, respondents) in respondents {
        for (id, reason) in duplicates(&respondents) {
            flags.push(Flag {
                participant_id: id,
                wave: Some(wave.to_owned()),
                code: code::DUPLICATE,
                reason,
            });
        }
    }
    flags.sort();
    Ok(flags)
}

/// What [`store`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct StoreSummary {
    /// Flags new in this run.
    pub added: usize,
    /// Flags whose cause is gone, removed.
    pub removed: usize,
    /// Flags in the table afterwards.
    pub total: usize,
}

/// Makes `data_quality_flags` hold exactly `flags`, in one transaction: new ones are added
/// with `run_id`, changed reasons updated, flags no longer found removed. A flag that stays
/// keeps its first `created_at` and run, so staff see since when it has been open.
///
/// Takes a shared connection (the report stores flags in the middle of its own reads), so
/// it must not be called inside a transaction already open on `conn`.
pub fn store(
    conn: &Connection,
    flags: &[Flag],
    run_id: Option<i64>,
    now: DateTime<Utc>,
) -> anyhow::Result<StoreSummary> {
    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
    let mut existing: HashMap<(i64, Option<String>, String), (i64, String)> = HashMap::new();
    {
        let mut statement =
            tx.prepare("SELECT id, participant_id, wave, code, reason FROM data_quality_flags")?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            existing.insert(
                (row.get(1)?, row.get(2)?, row.get(3)?),
                (row.get(0)?, row.get(4)?),
            );
        }
    }
    let stamp = crate::invitations::rfc3339(now);
    let mut summary = StoreSummary::default();
    {
        let mut insert = tx.prepare(
            "INSERT INTO data_quality_flags
                 (participant_id, wave, code, reason, report_run_id, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut update = tx.prepare("UPDATE data_quality_flags SET reason = ?2 WHERE id = ?1")?;
        for flag in flags {
            let key = (flag.participant_id, flag.wave.clone(), flag.code.to_owned());
            match existing.remove(&key) {
                Some((id, reason)) => {
                    if reason != flag.reason {
                        update.execute(params![id, flag.reason])?;
                    }
                }
                None => {
                    insert.execute(params![
                        flag.participant_id,
                        flag.wave,
                        flag.code,
                        flag.reason,
                        run_id,
                        stamp
                    ])?;
                    summary.added += 1;
                }
            }
        }
        let mut delete = tx.prepare("DELETE FROM data_quality_flags WHERE id = ?1")?;
        for (id, _) in existing.values() {
            delete.execute([id])?;
            summary.removed += 1;
        }
    }
    summary.total = tx.query_row("SELECT count(*) FROM data_quality_flags", [], |row| {
        row.get::<_, i64>(0)
    })? as usize;
    tx.commit()?;
    Ok(summary)
}

/// A response's answers as text by field name (numbers in their JSON spelling, null as empty).
pub(crate) fn answers_as_text(json: &str) -> serde_json::Result<BTreeMap<String, String>> {
    let values: BTreeMap<String, serde_json::Value> = serde_json::from_str(json)?;
    Ok(values
        .into_iter()
        .map(|(name, value)| (name, json_text(value)))
        .collect())
}

/// One answer as text: a string as it is, null as empty, anything else in its JSON spelling.
pub(crate) fn json_text(value: serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text,
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Rupiah with thousands separated by dots, as Indonesians write them (1.500.000).
fn rupiah(amount: f64) -> String {
    let negative = amount < 0.0;
    let digits = format!("{:.0}", amount.abs());
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(digit);
    }
    if negative {
        format!("-{grouped}")
    } else {
        grouped
    }
}

#[cfg(test)]
mod tests;
