//! Assembling a [`Report`] from the database, the configuration, the reference data and the
//! forms, at a moment passed in (`run_at`): no clock here, so a test fixes the date and gets the
//! same report every time.
//!
//! The donor-safe parts are always filled; [`ManagerExtras`] (names, phones, personal links,
//! flags per participant, import problems) only for [`WorkbookVariant::Manager`]. The participant
//! table is built from an allow-list of derived roster fields and the forms' non-free-text
//! answers, so a new roster column or a new text question never leaks into it by default.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, anyhow};
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};
use rayon::prelude::*;
use rusqlite::Connection;

use sha2::{Digest, Sha256};

/// Hash state for the participant ids and wave names the report looks up by: its own keys,
/// not an attacker's choice, so a fast fixed hash will do.
type Fast = foldhash::fast::FixedState;

use super::cache::{Cache, Loading, Saving, Scope};
use super::inputs::Inputs;
use super::merge::{self, MergeContext};
use super::quality;
use super::timing::Timings;
use crate::config::{Anchor, Config, WaveScope, WorkbookVariant};
use crate::expr::Value;
use crate::form::{FieldKind, Form};
use crate::indicators::{self, Record, suppress};
use crate::invitations::{invitation_message, survey_url, whatsapp_link};
use crate::reference::{Certainty, Reference};
use crate::report::{
    AttendanceRow, Column, ColumnFormat, Datum, DictionaryEntry, EncodedRows, FlagRow,
    ImportProblemRow, IndicatorFigures, ManagerExtras, MinimumWageNote, NonRespondent,
    ParticipantTable, QualityCount, Report, SourceFile, WaveFunnel,
};

/// Roster and derived fields shown in the participant table, after the pseudonym. Nothing that
/// identifies a person (name, NIK, phone, email, birth date, address, KPJ, employer) is here.
const PARTICIPANT_FIELDS: &[(&str, &str, &str, ColumnFormat)] = &[
    ("sex", "Jenis kelamin", "Sex", ColumnFormat::Text),
    (
        "age_group",
        "Kelompok umur",
        "Age group",
        ColumnFormat::Text,
    ),
    ("age40plus", "Umur 40+", "Aged 40+", ColumnFormat::Integer),
    (
        "disability",
        "Disabilitas",
        "Disability",
        ColumnFormat::Integer,
    ),
    ("province", "Provinsi", "Province", ColumnFormat::Text),
    (
        "confederation",
        "Konfederasi",
        "Confederation",
        ColumnFormat::Text,
    ),
    ("federation", "Federasi", "Federation", ColumnFormat::Text),
    ("union", "Serikat pekerja", "Union", ColumnFormat::Text),
    ("sector", "Sektor", "Sector", ColumnFormat::Text),
    ("cohort", "Angkatan", "Cohort", ColumnFormat::Text),
    (
        "training_location",
        "Lokasi pelatihan",
        "Training location",
        ColumnFormat::Text,
    ),
    (
        "pre_layoff_wage",
        "Upah sebelum PHK",
        "Wage before layoff",
        ColumnFormat::Rupiah,
    ),
];

/// Form fields never shown in the participant table even though their type is not free text:
/// the KPJ number identifies a person.
const WITHHELD_FIELDS: &[&str] = &["bpjs_kpj"];

/// The forms of the configured waves, loaded once.
pub struct Forms {
    /// By file name.
    pub by_file: BTreeMap<String, Form>,
    /// SHA-256 of the form files' bytes, in file-name order: part of the job cache's scope.
    pub digest: Vec<u8>,
}

impl Forms {
    /// Loads the form of every configured wave from `dir`; the error names each form file and
    /// its problems.
    pub fn load(config: &Config, dir: &Path) -> anyhow::Result<Forms> {
        let mut by_file = BTreeMap::new();
        for wave in &config.waves {
            if by_file.contains_key(&wave.form) {
                continue;
            }
            let path = dir.join(&wave.form);
            let form = Form::load_path(&path).map_err(|problems| {
                let listed: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
                anyhow!(
                    "the form {} of wave {} cannot be used: {}",
                    path.display(),
                    wave.name,
                    listed.join("; ")
                )
            })?;
            by_file.insert(wave.form.clone(), form);
        }
        let mut digest = Sha256::new();
        for file in by_file.keys() {
            let path = dir.join(file);
            let bytes = std::fs::read(&path)
                .with_context(|| format!("cannot read the form {}", path.display()))?;
            digest.update(file.as_bytes());
            digest.update(Sha256::digest(&bytes));
        }
        Ok(Forms {
            by_file,
            digest: digest.finalize().to_vec(),
        })
    }
}

/// Everything [`assemble`] reads besides the database.
pub struct ReportInputs<'a> {
    pub config: &'a Config,
    pub reference: &'a Reference,
    pub forms: &'a Forms,
    /// The moment the report describes.
    pub run_at: DateTime<Utc>,
    /// Donor: the [`Report::manager`] stays None. Manager: it is filled.
    pub variant: WorkbookVariant,
}

/// Builds the report.
pub fn assemble(conn: &Connection, inputs: &ReportInputs) -> anyhow::Result<Report> {
    assemble_timed(conn, inputs, &mut Timings::new())
}

/// [`assemble`], with a lap of `timings` after each phase (merge, indicators, tables).
pub fn assemble_timed(
    conn: &Connection,
    inputs: &ReportInputs,
    timings: &mut Timings,
) -> anyhow::Result<Report> {
    let cache = Cache::start_loading(conn);
    let read = Inputs::read(conn).context("cannot read the roster values and answers")?;
    let (report, saving) = assemble_with(conn, inputs, read, cache, timings)?;
    // The cache only saves the next run work: one that cannot be written is no failed report.
    if let Err(err) = saving.wait() {
        tracing::warn!(error = %format!("{err:#}"), "the job cache was not written");
    }
    Ok(report)
}

/// [`assemble_timed`] from participants and responses already read (the job reads them once
/// for the quality check and the report). Merged records come from the job `cache` (being read
/// since the caller started it) where their inputs did not change; the records built anew are
/// written to it on a thread of their own while the report is assembled: the caller waits for
/// the [`Saving`] (dropping it waits too).
///
/// `read` is taken, not borrowed: nothing reads it past the merge, so it is freed there
/// rather than held through the indicators and tables, where the job's memory peaks (at
/// 1,000,000 participants the answers' and roster values' text is about 1.5 GB).
pub fn assemble_with(
    conn: &Connection,
    inputs: &ReportInputs,
    read: Inputs,
    cache: Loading,
    timings: &mut Timings,
) -> anyhow::Result<(Report, Saving)> {
    assemble_inner(
        conn,
        inputs,
        Arc::new(read),
        cache,
        timings,
        &mut |_| Ok(()),
    )
}

/// [`assemble_with`] with the data-quality check of `read` ([`quality::find_in`]) on a thread
/// of its own beside the merge: both only read `read`, and on two cores the check's serial
/// parts (at 1,000,000 participants most of its 8 s) leave the other core to the merge. The
/// flags found are handed to `store` on `conn` once the merge is done, before the job cache
/// is written (so the two writes never wait on each other) and before the report counts the
/// stored flags.
pub fn assemble_checked<T>(
    conn: &Connection,
    inputs: &ReportInputs,
    read: Inputs,
    cache: Loading,
    timings: &mut Timings,
    store: impl FnOnce(&Connection, &[quality::Flag]) -> anyhow::Result<T>,
) -> anyhow::Result<(Report, Saving, T)> {
    let read = Arc::new(read);
    // The check holds the inputs too, until it is done; the merge frees them after.
    let checked = Arc::clone(&read);
    let mut finding = std::thread::Builder::new()
        .name("quality flags".into())
        .spawn(move || quality::find_in(&checked))
        .ok();
    let mut store = Some(store);
    let mut stored = None;
    let unchecked = (finding.is_none()).then(|| Arc::clone(&read));
    let result = {
        let mut after_merge = |conn: &Connection| -> anyhow::Result<()> {
            let flags = match (finding.take(), &unchecked) {
                (Some(thread), _) => thread
                    .join()
                    .unwrap_or_else(|_| Err(anyhow!("the data-quality check failed"))),
                // No thread to be had: the check runs here, after the merge.
                (None, Some(read)) => quality::find_in(read),
                (None, None) => Err(anyhow!("the data-quality check ran twice")),
            }
            .context("cannot check the data quality")?;
            if let Some(store) = store.take() {
                stored = Some(store(conn, &flags).context("cannot store the data-quality flags")?);
            }
            Ok(())
        };
        assemble_inner(conn, inputs, read, cache, timings, &mut after_merge)
    };
    // A report that failed before its merge was done leaves no check running behind it.
    if let Some(thread) = finding.take() {
        let _ = thread.join();
    }
    drop(unchecked);
    let (report, saving) = result?;
    let stored = stored.ok_or_else(|| anyhow!("the data-quality flags were not stored"))?;
    Ok((report, saving, stored))
}

/// The report, calling `after_merge` once the records are merged and before the job cache is
/// written and anything else is read from the database.
fn assemble_inner(
    conn: &Connection,
    inputs: &ReportInputs,
    read: Arc<Inputs>,
    cache: Loading,
    timings: &mut Timings,
    after_merge: &mut dyn FnMut(&Connection) -> anyhow::Result<()>,
) -> anyhow::Result<(Report, Saving)> {
    let config = inputs.config;
    let tz = config.programme.time_zone;
    let local = inputs.run_at.with_timezone(&tz).naive_local();
    let today = local.date();
    let baseline_wave = config
        .waves
        .iter()
        .find(|wave| wave.anchor == Anchor::Enrolment)
        .map(|wave| wave.name.as_str());
    let context = MergeContext {
        reference: inputs.reference,
        on: today,
        baseline_wave,
    };
    let scope = Scope::new(config, inputs.reference, &inputs.forms.digest);
    let mut cache = cache.wait().context("cannot read the job cache")?;
    let wave_names: Vec<&str> = config.waves.iter().map(|w| w.name.as_str()).collect();
    let merged = merge::merge_cached(conn, &context, &wave_names, &read, &mut cache, &scope)
        .context("cannot merge the roster and the responses")?;
    timings.lap("merge");
    after_merge(conn)?;
    timings.lap("quality flags beside the merge");
    // Nothing reads the inputs past this point (the check is done): they are freed on a
    // thread of their own (a few million strings) while the report goes on.
    let freeing_inputs = std::thread::spawn(move || drop(read));
    let saving = cache.write_behind(conn);
    let roster = merged.roster;
    let waves: BTreeMap<&str, Vec<(i64, Record)>> = merged
        .waves
        .into_iter()
        .map(|(name, records)| {
            let name = wave_names
                .iter()
                .find(|wave| **wave == name)
                .copied()
                .unwrap_or_default();
            (name, records)
        })
        .collect();
    let threshold = config.reporting.suppression_threshold as usize;
    let indicators = indicators_of(config, &roster, &waves, today)?;
    timings.lap("indicators");
    let sessions = Sessions::of(&roster);
    let participants =
        participant_table(conn, config, inputs.forms, &roster, sessions.count, &waves)?;
    timings.lap("participant table");
    let attendance = attendance(&roster, &sessions, threshold);
    let minimum_wages = minimum_wages(inputs.reference, &roster, today);
    // The merged records are not read past this point. Freeing them (at 100,000 participants
    // 320,000 hash maps of shared names and values, about a quarter of a second on one core)
    // is done on a thread of its own while this one waits on SQLite for the funnel and counts.
    let records: Vec<Vec<(i64, Record)>> = waves.into_values().collect();
    let freeing = std::thread::spawn(move || drop((records, roster)));
    let mut languages = vec![config.programme.default_language.clone()];
    languages.extend(
        config
            .programme
            .languages
            .iter()
            .filter(|code| **code != config.programme.default_language)
            .cloned(),
    );
    let sources = sources(conn, &tz)?;
    let first = first_day(conn, &tz)?.unwrap_or(today).min(today);
    let funnel = funnel(conn, config)?;
    let quality = quality_counts(conn)?;
    // Nothing to report if it failed: the records are gone either way.
    let _ = freeing.join();
    let _ = freeing_inputs.join();
    timings.lap("funnel, attendance, quality counts");
    let manager = match inputs.variant {
        WorkbookVariant::Donor => None,
        WorkbookVariant::Manager => Some(manager_extras(conn, config, inputs.run_at)?),
    };
    timings.lap("manager extras");
    let report = Report {
        programme: config.programme.name.clone(),
        country: config.programme.country.clone(),
        run_at: local,
        period: (first, today),
        languages,
        sources,
        suppression_threshold: threshold,
        disaggregations: config.reporting.disaggregations.clone(),
        indicators,
        funnel,
        attendance,
        participants,
        dictionary: dictionary(config, inputs.forms),
        minimum_wages,
        quality,
        manager,
    };
    Ok((report, saving))
}

/// Every indicator over its scope, in configuration order, each wave in configuration order:
/// the report's indicator step (the job benchmark times it apart).
pub fn indicators_of(
    config: &Config,
    roster: &BTreeMap<i64, Arc<Record>>,
    waves: &BTreeMap<&str, Vec<(i64, Record)>>,
    today: NaiveDate,
) -> anyhow::Result<Vec<IndicatorFigures>> {
    let threshold = config.reporting.suppression_threshold as usize;
    let dimensions = &config.reporting.disaggregations;
    let roster_refs: Vec<&Record> = roster.values().map(|record| &**record).collect();
    // Each record set (the roster, each wave) is grouped by the dimensions once, and the names
    // its indicators use are looked up once per record, for every indicator over it; then
    // every (indicator, wave) is computed, on every core.
    let mut jobs = Vec::new();
    let mut names: BTreeMap<Option<&str>, BTreeSet<String>> = BTreeMap::new();
    for indicator in &config.indicators {
        let compiled = indicators::compile(indicator).map_err(|e| anyhow!(e))?;
        let scoped: Vec<Option<&str>> = match &indicator.wave {
            WaveScope::Roster => vec![None],
            WaveScope::EachWave => config.waves.iter().map(|w| Some(w.name.as_str())).collect(),
            WaveScope::EachFollowup => config
                .waves
                .iter()
                .filter(|w| w.is_followup())
                .map(|w| Some(w.name.as_str()))
                .collect(),
            WaveScope::Wave(name) => vec![Some(name.as_str())],
        };
        for wave in scoped {
            if let Some(name) = wave
                && !waves.contains_key(name)
            {
                return Err(anyhow!(
                    "indicator {} names wave {name}, which is not configured",
                    indicator.id
                ));
            }
            names.entry(wave).or_default().extend(compiled.names());
            jobs.push((indicator, compiled.clone(), wave));
        }
    }
    // The dimensions are looked up with the indicators' names, once per record, and grouped
    // from those columns; the record sets are encoded side by side, on every core.
    let grouped: HashMap<Option<&str>, (indicators::Groups, indicators::Columns)> = names
        .into_par_iter()
        .map(|(wave, mut names)| {
            let records: Vec<&Record> = match wave {
                None => roster_refs.clone(),
                Some(name) => waves[name].iter().map(|(_, record)| record).collect(),
            };
            names.extend(dimensions.iter().cloned());
            let columns = indicators::Columns::new(&records, names.into_iter().collect());
            let groups = indicators::Groups::of_columns(&columns, dimensions);
            (wave, (groups, columns))
        })
        .collect();
    let figures = jobs
        .into_par_iter()
        .map(|(indicator, compiled, wave)| {
            let (groups, columns) = &grouped[&wave];
            let parts = compiled.parts_in(columns, today);
            IndicatorFigures {
                id: indicator.id.clone(),
                label: indicator.label.clone(),
                definition: indicator.definition.clone(),
                kind: indicator.kind,
                format: indicator.display_format(),
                wave: wave.map(str::to_owned),
                baseline: indicator.baseline,
                target: indicator.target,
                result: compiled.from_parts(&parts, groups, threshold),
            }
        })
        .collect();
    Ok(figures)
}

/// Roster files that were imported, oldest first.
fn sources(conn: &Connection, tz: &chrono_tz::Tz) -> anyhow::Result<Vec<SourceFile>> {
    let mut statement = conn.prepare(
        "SELECT file_name, content_hash, started_at, rows_read FROM roster_imports
         WHERE status = 'imported' ORDER BY started_at, id",
    )?;
    let rows = statement.query_map([], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, i64>(3)?,
        ))
    })?;
    let mut files = Vec::new();
    for row in rows {
        let (file_name, content_hash, at, rows) = row?;
        files.push(SourceFile {
            file_name,
            content_hash,
            imported_at: local_time(&at, tz).unwrap_or_default(),
            rows: rows.max(0) as usize,
        });
    }
    Ok(files)
}

/// The first day of the data: the earliest import or invitation.
fn first_day(conn: &Connection, tz: &chrono_tz::Tz) -> anyhow::Result<Option<NaiveDate>> {
    let first: Option<String> = conn.query_row(
        "SELECT min(at) FROM (
             SELECT min(started_at) AS at FROM roster_imports WHERE status = 'imported'
             UNION ALL SELECT min(issued_at) FROM invitations)",
        [],
        |row| row.get(0),
    )?;
    Ok(first.and_then(|at| local_time(&at, tz)).map(|at| at.date()))
}

fn local_time(text: &str, tz: &chrono_tz::Tz) -> Option<NaiveDateTime> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|at| at.with_timezone(tz).naive_local())
}

/// How far participants got, per configured wave.
fn funnel(conn: &Connection, config: &Config) -> anyhow::Result<Vec<WaveFunnel>> {
    let mut statement = conn.prepare(
        // One probe of responses per invitation (a join on its unique invitation id) instead
        // of two correlated EXISTS, and the latest consent looked up only for invitations
        // without a response: a response implies consent.
        "SELECT count(*),
                count(*) FILTER (WHERE i.opened_at IS NOT NULL
                                  OR i.status IN ('opened', 'submitted', 'declined')),
                count(*) FILTER (WHERE r.id IS NOT NULL
                                  OR (SELECT c.decision FROM consents c
                                      WHERE c.invitation_id = i.id
                                      ORDER BY c.decided_at DESC, c.id DESC LIMIT 1)
                                     = 'accepted'),
                count(*) FILTER (WHERE i.status = 'declined'),
                count(*) FILTER (WHERE r.id IS NOT NULL),
                count(*) FILTER (WHERE i.status = 'expired')
         FROM invitations i JOIN participants p ON p.id = i.participant_id
         LEFT JOIN responses r ON r.invitation_id = i.id
         WHERE i.wave = ?1",
    )?;
    let mut rows = Vec::new();
    for wave in &config.waves {
        let counts: [i64; 6] = statement.query_row([&wave.name], |row| {
            Ok([
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
            ])
        })?;
        let [invited, opened, consented, declined, submitted, expired] =
            counts.map(|n| n.max(0) as usize);
        rows.push(WaveFunnel {
            wave: wave.name.clone(),
            invited,
            opened,
            consented,
            declined,
            submitted,
            expired,
        });
    }
    Ok(rows)
}

/// Which training sessions each roster record attended (`attended_n` = 1), one bit per
/// session, and how many sessions the roster has, looked up once per record and shared by the
/// attendance table and the participant table.
struct Sessions {
    /// Per record, in roster order: bit n-1 set when `attended_n` is 1.
    attended: Vec<u32>,
    /// The most sessions a record has: the highest session number with a value anywhere.
    count: usize,
}

impl Sessions {
    fn of(roster: &BTreeMap<i64, Arc<Record>>) -> Sessions {
        let names = attended_names();
        let records: Vec<&Record> = roster.values().map(|record| &**record).collect();
        let (present, attended): (Vec<u32>, Vec<u32>) = records
            .par_iter()
            .map(|record| {
                let (mut present, mut attended) = (0u32, 0u32);
                for (bit, name) in names.iter().enumerate() {
                    if let Some(value) = record.lookup(name) {
                        if !value.is_empty() {
                            present |= 1 << bit;
                        }
                        if number_of(value) == 1.0 {
                            attended |= 1 << bit;
                        }
                    }
                }
                (present, attended)
            })
            .unzip();
        let count = present
            .iter()
            .map(|marks| (u32::BITS - marks.leading_zeros()) as usize)
            .max()
            .unwrap_or(0);
        Sessions { attended, count }
    }
}

/// Sessions attended by age group, with a row over everyone first. Age groups under the
/// threshold are suppressed with a complement, as in indicator tables.
fn attendance(
    roster: &BTreeMap<i64, Arc<Record>>,
    marks: &Sessions,
    threshold: usize,
) -> Vec<AttendanceRow> {
    let sessions = marks.count;
    // All of sessions 1..=sessions attended.
    let all = if sessions == 0 {
        0
    } else {
        u32::MAX >> (u32::BITS as usize - sessions)
    };
    let row = |age_group: Option<String>, members: &[u32]| AttendanceRow {
        age_group,
        enrolled: members.len(),
        sessions: (0..sessions)
            .map(|bit| members.iter().filter(|m| *m & (1 << bit) != 0).count())
            .collect(),
        completed: members
            .iter()
            .filter(|m| sessions > 0 && *m & all == all)
            .count(),
        suppressed: false,
    };
    let mut groups: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for (record, attended) in roster.values().zip(&marks.attended) {
        let group = record
            .category("age_group")
            .unwrap_or_else(|| "unknown".to_owned());
        groups.entry(group).or_default().push(*attended);
    }
    let mut rows = vec![row(None, &marks.attended)];
    let mut grouped: Vec<AttendanceRow> = groups
        .into_iter()
        .map(|(group, members)| row(Some(group), &members))
        .collect();
    let counts: Vec<usize> = grouped.iter().map(|r| r.enrolled).collect();
    for (row, hide) in grouped.iter_mut().zip(suppress(&counts, threshold)) {
        row.suppressed = hide;
    }
    if roster.len() < threshold && !roster.is_empty() {
        rows[0].suppressed = true;
    }
    rows.extend(grouped);
    rows
}

/// `attended_1` to `attended_32`, named once rather than per record.
fn attended_names() -> Vec<String> {
    (1..=32).map(|n| format!("attended_{n}")).collect()
}

/// Whether answers to a field of this kind belong in the participant table: chosen and
/// numeric answers do, free text and what the server fills in (names, roster values) do not.
fn shown_in_table(name: &str, kind: &FieldKind) -> bool {
    let allowed = matches!(
        kind,
        FieldKind::Integer
            | FieldKind::Decimal
            | FieldKind::Date
            | FieldKind::SelectOne { .. }
            | FieldKind::SelectMultiple { .. }
            | FieldKind::Calculate
    );
    allowed && !WITHHELD_FIELDS.contains(&name) && !name.ends_with("_fmt")
}

fn column_format(name: &str, kind: &FieldKind) -> ColumnFormat {
    let money = name.starts_with("income_")
        || name.ends_with("_wage")
        || name == "resell_sales"
        || name == "resell_commission";
    match kind {
        FieldKind::Date => ColumnFormat::Date,
        FieldKind::SelectOne { .. } | FieldKind::SelectMultiple { .. } => ColumnFormat::Text,
        _ if money => ColumnFormat::Rupiah,
        FieldKind::Integer => ColumnFormat::Integer,
        _ => ColumnFormat::Number,
    }
}

/// Labels of a form field by language code.
fn field_labels(form: &Form, label: &crate::form::Text) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    for (index, language) in form.languages().iter().enumerate() {
        let code = language
            .code
            .clone()
            .unwrap_or_else(|| language.name.clone());
        if let Some(template) = label.get(index) {
            labels.insert(code, template.source.clone());
        }
    }
    labels
}

/// One wave as the participant table reads it: its records by participant, the participants
/// whose response was assisted, and the fields shown.
type WaveLookup<'a> = (
    &'a HashMap<i64, &'a Record, Fast>,
    &'a HashSet<i64, Fast>,
    &'a [String],
);

/// The pseudonymised participant table: derived roster fields, then per wave whether the
/// participant responded and their non-free-text answers.
fn participant_table(
    conn: &Connection,
    config: &Config,
    forms: &Forms,
    roster: &BTreeMap<i64, Arc<Record>>,
    sessions: usize,
    waves: &BTreeMap<&str, Vec<(i64, Record)>>,
) -> anyhow::Result<ParticipantTable> {
    let both = |id: &str, en: &str| {
        BTreeMap::from([
            ("id".to_owned(), id.to_owned()),
            ("en".to_owned(), en.to_owned()),
        ])
    };
    let mut columns = vec![Column {
        name: "pseudonym".into(),
        label: both("Pseudonim", "Pseudonym"),
        format: ColumnFormat::Text,
    }];
    for (name, id, en, format) in PARTICIPANT_FIELDS {
        columns.push(Column {
            name: (*name).into(),
            label: both(id, en),
            format: *format,
        });
    }
    for n in 1..=sessions {
        columns.push(Column {
            name: format!("attended_{n}"),
            label: both(&format!("Hadir sesi {n}"), &format!("Attended session {n}")),
            format: ColumnFormat::Integer,
        });
    }
    // Per wave: the fields, then a lookup from participant to the wave's record.
    let mut wave_fields: Vec<(&str, Vec<String>)> = Vec::new();
    for wave in &config.waves {
        let form = forms
            .by_file
            .get(&wave.form)
            .ok_or_else(|| anyhow!("the form of wave {} was not loaded", wave.name))?;
        columns.push(Column {
            name: format!("{}.responded", wave.name),
            label: both(
                &format!("{}: menjawab", wave.name),
                &format!("{}: responded", wave.name),
            ),
            format: ColumnFormat::Integer,
        });
        // Whether a staff member filled the response in on the participant's behalf (1/0):
        // the share of assisted responses is a data-quality fact donors ask about. Who did it
        // stays in the admin area's timeline and audit log, never in a workbook.
        columns.push(Column {
            name: format!("{}.assisted", wave.name),
            label: both(
                &format!("{}: dibantu petugas", wave.name),
                &format!("{}: interviewer-assisted", wave.name),
            ),
            format: ColumnFormat::Integer,
        });
        let mut names = Vec::new();
        for field in form.fields() {
            if !shown_in_table(&field.name, &field.kind) {
                continue;
            }
            let label = field_labels(form, &field.label)
                .into_iter()
                .map(|(code, text)| (code, format!("{}: {text}", wave.name)))
                .collect();
            columns.push(Column {
                name: format!("{}.{}", wave.name, field.name),
                label,
                format: column_format(&field.name, &field.kind),
            });
            names.push(field.name.clone());
        }
        wave_fields.push((&wave.name, names));
    }
    let by_wave: HashMap<&str, HashMap<i64, &Record, Fast>> = waves
        .iter()
        .map(|(wave, records)| (*wave, records.iter().map(|(id, r)| (*id, r)).collect()))
        .collect();
    let mut pseudonyms: HashMap<i64, String, Fast> = HashMap::default();
    let mut statement =
        conn.prepare("SELECT id, pseudonym FROM participants WHERE erased_at IS NULL")?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        pseudonyms.insert(row.get(0)?, row.get(1)?);
    }
    let attended = attended_names();
    // Per wave, the participants whose response a staff member filled in.
    let mut assisted: HashMap<String, HashSet<i64, Fast>> = HashMap::new();
    let mut statement = conn.prepare(
        "SELECT i.participant_id, i.wave FROM responses r
         JOIN invitations i ON i.id = r.invitation_id WHERE r.assisted_by IS NOT NULL",
    )?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        assisted.entry(row.get(1)?).or_default().insert(row.get(0)?);
    }
    let no_one = HashSet::default();
    let no_records = HashMap::default();
    let wave_lookups: Vec<WaveLookup> = wave_fields
        .iter()
        .map(|(wave, names)| {
            (
                by_wave.get(wave).unwrap_or(&no_records),
                assisted.get(*wave).unwrap_or(&no_one),
                names.as_slice(),
            )
        })
        .collect();
    let entries: Vec<(&i64, &Arc<Record>)> = roster.iter().collect();
    let formats: Vec<ColumnFormat> = columns.iter().map(|column| column.format).collect();
    let width = formats.len();
    let mut table = ParticipantTable::new(columns);
    // Rows are independent: encoded on every core a run of rows at a time, straight into the
    // table's compact form (no `Datum` or `String` per cell), then appended in participant
    // order. The group bounds the encoded rows held besides the table.
    for group in entries.chunks(8 * 2048) {
        let encoded: Vec<EncodedRows> = group
            .par_chunks(2048)
            .map(|chunk| {
                let mut rows = EncodedRows::new(width);
                for (id, record) in chunk {
                    // Erased participants count in every figure but have no row of their own: a
                    // pseudonymised row would still be about them.
                    let Some(pseudonym) = pseudonyms.get(*id) else {
                        continue;
                    };
                    rows.text(pseudonym);
                    for (name, _, _, format) in PARTICIPANT_FIELDS {
                        cell(&mut rows, record.lookup(name), *format);
                    }
                    for name in &attended[..sessions] {
                        cell(&mut rows, record.lookup(name), ColumnFormat::Integer);
                    }
                    let mut column = 1 + PARTICIPANT_FIELDS.len() + sessions;
                    for (records, helped_ids, names) in &wave_lookups {
                        match records.get(*id) {
                            Some(wave_record) => {
                                let responded = wave_record.lookup("responded");
                                let answered =
                                    responded.is_some_and(|value| number_of(value) == 1.0);
                                cell(&mut rows, responded, ColumnFormat::Integer);
                                if answered {
                                    rows.number(if helped_ids.contains(*id) { 1.0 } else { 0.0 });
                                } else {
                                    rows.empty();
                                }
                                column += 2;
                                for (name, format) in names.iter().zip(formats[column..].iter()) {
                                    cell(&mut rows, wave_record.lookup(name), *format);
                                }
                            }
                            None => {
                                column += 2;
                                rows.empties(names.len() + 2);
                            }
                        }
                        column += names.len();
                    }
                    rows.end_row();
                }
                rows
            })
            .collect();
        if table.is_empty() {
            // Room for every row at the first group's bytes per row, and a quarter more: the
            // table is then written in place rather than copied as it doubles (each copy
            // touching fresh memory the kernel must clear first).
            let bytes: usize = encoded.iter().map(ParticipantTable::encoded_bytes).sum();
            let rows: usize = encoded.iter().map(EncodedRows::len).sum();
            let estimate = bytes / rows.max(1) * entries.len();
            table.reserve(estimate + estimate / 4);
        }
        for rows in encoded {
            table.append(rows);
        }
    }
    Ok(table)
}

/// A record value as a cell, written into `rows`: numbers for numeric columns when they read
/// as numbers, dates for date columns, text otherwise (the same cells as [`datum`], without
/// copying a text).
fn cell(rows: &mut EncodedRows, value: Option<&Value>, format: ColumnFormat) {
    let Some(value) = value.filter(|value| !value.is_empty()) else {
        return rows.empty();
    };
    match (format, value) {
        (ColumnFormat::Text, Value::Str(text)) => rows.text(text),
        // A date's text (`%Y-%m-%d`) reads back as the same date for four-digit years; others take the long way.
        (ColumnFormat::Date, Value::Date(date)) if (1000..=9999).contains(&date.year()) => {
            rows.date(*date)
        }
        (ColumnFormat::Date, Value::Str(text)) => {
            match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                Ok(date) => rows.date(date),
                Err(_) => rows.text(text),
            }
        }
        (ColumnFormat::Text | ColumnFormat::Date, _) => rows.push(&datum(Some(value), format)),
        (_, Value::Num(number)) if number.is_finite() => rows.number(*number),
        (_, Value::Str(text)) => match whole_number(text) {
            Some(number) => rows.number(number),
            None => rows.push(&datum(Some(value), format)),
        },
        _ => rows.push(&datum(Some(value), format)),
    }
}

/// The number a text of plain digits (optionally after a `-`, at most 15 digits, so exactly
/// an f64) stands for: what [`Value::to_num`] reads from it, without the copy and checks it
/// makes for every other spelling. Roster values and answers are texts, and most of the
/// participant table's numbers are such counts, codes and Rupiah amounts. None for any other
/// text, which takes the long way.
fn whole_number(text: &str) -> Option<f64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if digits.is_empty() || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let magnitude = digits.parse::<u64>().ok()? as f64;
    Some(if negative { -magnitude } else { magnitude })
}

/// [`Value::to_num`], with plain digits read directly ([`whole_number`]).
fn number_of(value: &Value) -> f64 {
    match value {
        Value::Str(text) => whole_number(text).unwrap_or_else(|| value.to_num()),
        other => other.to_num(),
    }
}

/// A record value as a cell: numbers for numeric columns when they read as numbers, dates for
/// date columns, text otherwise.
fn datum(value: Option<&Value>, format: ColumnFormat) -> Datum {
    let Some(value) = value.filter(|value| !value.is_empty()) else {
        return Datum::Empty;
    };
    match format {
        ColumnFormat::Text => Datum::Text(value.to_text()),
        ColumnFormat::Date => {
            let text = value.to_text();
            NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                .map(Datum::Date)
                .unwrap_or(Datum::Text(text))
        }
        _ => {
            let number = value.to_num();
            if number.is_finite() {
                Datum::Number(number)
            } else {
                Datum::Text(value.to_text())
            }
        }
    }
}

/// Every field of the forms in use, with labels and choices in every language of the form.
fn dictionary(config: &Config, forms: &Forms) -> Vec<DictionaryEntry> {
    let mut entries = Vec::new();
    for (file, form) in &forms.by_file {
        let waves: Vec<String> = config
            .waves
            .iter()
            .filter(|wave| &wave.form == file)
            .map(|wave| wave.name.clone())
            .collect();
        for field in form.fields() {
            if matches!(field.kind, FieldKind::Note | FieldKind::Metadata(_)) {
                continue;
            }
            let choices = field
                .kind
                .list()
                .and_then(|list| form.choice_list(list))
                .map(|list| {
                    list.choices
                        .iter()
                        .map(|choice| (choice.name.clone(), field_labels(form, &choice.label)))
                        .collect()
                })
                .unwrap_or_default();
            let kind = match field.kind.list() {
                Some(list) => format!("{} {list}", field.kind.type_name()),
                None => field.kind.type_name().to_owned(),
            };
            entries.push(DictionaryEntry {
                form: file.clone(),
                waves: waves.clone(),
                name: field.name.clone(),
                kind,
                label: field_labels(form, &field.label),
                choices,
                in_participant_sheet: shown_in_table(&field.name, &field.kind),
            });
        }
    }
    entries
}

/// The minimum wage of every province participants live in, for the year of the report.
fn minimum_wages(
    reference: &Reference,
    roster: &BTreeMap<i64, Arc<Record>>,
    today: NaiveDate,
) -> Vec<MinimumWageNote> {
    // Borrowed where the value is a text (nearly always), so that 100,000 records do not make
    // 100,000 strings to find a few dozen provinces.
    let mut provinces: BTreeSet<String> = BTreeSet::new();
    for record in roster.values() {
        match record.lookup("province") {
            Some(Value::Str(text)) if text.is_empty() || provinces.contains(text) => {}
            Some(value) if !value.is_empty() => {
                provinces.insert(value.to_text());
            }
            _ => {}
        }
    }
    let mut notes = Vec::new();
    for name in provinces {
        let Some(province) = reference.province_by_name(&name) else {
            continue;
        };
        let Some(wage) = reference.minimum_wage(province.bps_code, today.year()) else {
            continue;
        };
        notes.push(MinimumWageNote {
            province: province.name.clone(),
            year: today.year(),
            amount: wage.rupiah as i64,
            certainty: match wage.certainty {
                Certainty::Sourced => "verified",
                Certainty::Unverified => "UNVERIFIED",
                Certainty::Conflict => "CONFLICT",
            }
            .to_owned(),
            source: wage.source.clone(),
        });
    }
    notes
}

/// Flags counted by code and wave.
fn quality_counts(conn: &Connection) -> anyhow::Result<Vec<QualityCount>> {
    let mut statement = conn.prepare(
        "SELECT code, wave, count(*) FROM data_quality_flags
         GROUP BY code, wave ORDER BY code, wave",
    )?;
    let rows = statement.query_map([], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, Option<String>>(1)?,
            row.get::<_, i64>(2)?,
        ))
    })?;
    let mut counts = Vec::new();
    for row in rows {
        let (code, wave, count) = row?;
        counts.push(QualityCount {
            meaning: quality::meaning(&code),
            code,
            wave,
            count: count.max(0) as usize,
        });
    }
    Ok(counts)
}

/// What staff need to act: who to chase with which link, every flag, every import problem.
fn manager_extras(
    conn: &Connection,
    config: &Config,
    run_at: DateTime<Utc>,
) -> anyhow::Result<ManagerExtras> {
    let mut statement = conn.prepare(
        "SELECT p.participant_key, i.wave, i.status, i.issued_at, i.token,
                (SELECT value FROM participant_attributes a
                 WHERE a.participant_id = p.id AND a.name = 'name'),
                (SELECT value FROM participant_attributes a
                 WHERE a.participant_id = p.id AND a.name = 'phone')
         FROM invitations i JOIN participants p ON p.id = i.participant_id
         WHERE p.erased_at IS NULL AND i.status IN ('issued', 'sent', 'opened', 'declined')
           AND NOT EXISTS (SELECT 1 FROM responses r WHERE r.invitation_id = i.id)
         ORDER BY i.closes_at, i.issued_at, p.participant_key, i.wave",
    )?;
    let rows = statement.query_map([], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, String>(3)?,
            row.get::<_, String>(4)?,
            row.get::<_, Option<String>>(5)?,
            row.get::<_, Option<String>>(6)?,
        ))
    })?;
    let mut non_respondents = Vec::new();
    for row in rows {
        let (participant_key, wave, status, issued_at, token, name, phone) = row?;
        let name = name.unwrap_or_default();
        let phone = phone.unwrap_or_default();
        let link = survey_url(&config.server.public_base_url, &token);
        let first_name = name.split_whitespace().next().unwrap_or_default();
        let message = invitation_message(first_name, &config.programme.name, &link, "id");
        let days_since_invited = DateTime::parse_from_rfc3339(&issued_at)
            .map(|at| (run_at - at.with_timezone(&Utc)).num_days())
            .unwrap_or_default();
        non_respondents.push(NonRespondent {
            participant_key,
            whatsapp: whatsapp_link(&phone, &message).unwrap_or_default(),
            name,
            phone,
            wave,
            status,
            days_since_invited,
            link,
        });
    }
    let mut statement = conn.prepare(
        "SELECT p.participant_key, p.pseudonym, f.wave, f.code, f.reason
         FROM data_quality_flags f JOIN participants p ON p.id = f.participant_id
         ORDER BY f.code, f.wave, p.participant_key",
    )?;
    let flags = statement
        .query_map([], |row| {
            Ok(FlagRow {
                participant_key: row.get(0)?,
                pseudonym: row.get(1)?,
                wave: row.get(2)?,
                code: row.get(3)?,
                reason: row.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut statement = conn.prepare(
        "SELECT i.file_name, p.sheet, p.row, p.column_name, p.message, p.severity
         FROM roster_import_problems p JOIN roster_imports i ON i.id = p.import_id
         ORDER BY i.id, p.id",
    )?;
    let import_problems = statement
        .query_map([], |row| {
            Ok(ImportProblemRow {
                file_name: row.get(0)?,
                sheet: row.get::<_, Option<String>>(1)?.unwrap_or_default(),
                row: row
                    .get::<_, Option<i64>>(2)?
                    .and_then(|row| u32::try_from(row).ok()),
                column: row.get::<_, Option<String>>(3)?.unwrap_or_default(),
                message: row.get(4)?,
                severity: row.get(5)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ManagerExtras {
        non_respondents,
        flags,
        import_problems,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_digits_read_as_to_num_reads_them_and_other_texts_take_the_long_way() {
        let texts = [
            "0",
            "-0",
            "7",
            "007",
            "-42",
            "4500000",
            "999999999999999",
            "1234567890123456",
            "12345678901234567890",
            "-",
            "",
            " 5",
            "5 ",
            "+5",
            "1.5",
            "1,5",
            "2026-03-01",
            "1e3",
            "٣",
            "--1",
        ];
        for text in texts {
            let value = Value::Str(text.to_owned());
            let (fast, slow) = (number_of(&value), value.to_num());
            assert!(
                fast.to_bits() == slow.to_bits() || (fast.is_nan() && slow.is_nan()),
                "{text:?}: {fast} against {slow}"
            );
            let digits = text.strip_prefix('-').unwrap_or(text);
            let plain = !digits.is_empty()
                && digits.len() <= 15
                && digits.bytes().all(|b| b.is_ascii_digit());
            assert_eq!(whole_number(text).is_some(), plain, "{text:?}");
        }
        for value in [Value::Num(2.5), Value::Bool(true), Value::Num(f64::NAN)] {
            assert_eq!(number_of(&value).to_bits(), value.to_num().to_bits());
        }
    }

    #[test]
    fn cells_written_directly_equal_the_cells_of_datum() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let values = [
            None,
            Some(Value::Str(String::new())),
            Some(Value::Str("12".into())),
            Some(Value::Str("-0".into())),
            Some(Value::Str("1,5".into())),
            Some(Value::Str("x =HYPERLINK()".into())),
            Some(Value::Str("2026-03-01".into())),
            Some(Value::Str("2026-02-30".into())),
            Some(Value::Num(3.0)),
            Some(Value::Num(f64::INFINITY)),
            Some(Value::Num(f64::NAN)),
            Some(Value::Bool(false)),
            Some(Value::Date(day)),
            Some(Value::Date(NaiveDate::from_ymd_opt(12_000, 1, 1).unwrap())),
        ];
        use ColumnFormat::*;
        let formats = [Text, Integer, Number, Rupiah, Percent, Date];
        let columns: Vec<Column> = formats
            .iter()
            .map(|format| Column::unlabelled("", *format))
            .collect();
        let mut direct = ParticipantTable::new(columns.clone());
        let mut owned = ParticipantTable::new(columns);
        for value in &values {
            let mut rows = EncodedRows::new(formats.len());
            for format in formats {
                cell(&mut rows, value.as_ref(), format);
            }
            rows.end_row();
            direct.append(rows);
            owned.push_row(formats.iter().map(|format| datum(value.as_ref(), *format)));
        }
        assert_eq!(direct.len(), values.len());
        assert_eq!(direct.to_rows(), owned.to_rows());
    }
}
