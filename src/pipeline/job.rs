//! The job, as a plain function: [`run_once`] imports the inbox, issues due invitations,
//! recomputes data-quality flags, assembles the report, writes the donor and manager workbooks
//! and records all of it in `report_runs`. The scheduler and the command line only decide when
//! to call it, so tests call it directly with a fixed clock.
//!
//! Only one job runs at a time across processes (`pantau serve` and a `pantau run` from cron):
//! it takes the single `job_lock` row first, and a second caller gets [`JobError::Busy`]
//! naming the holder. A lock whose holder crashed lapses at its expiry and is taken over.
//!
//! A run that fails after it started is recorded as `failed` with its error and still returned
//! as a [`RunRecord`]; only "already running" and a database that cannot record anything are
//! errors of the call itself.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::cache::Cache;
use super::inputs::Inputs;
use super::quality;
use super::report::{Forms, ReportInputs, assemble_checked};
use super::timing::{PhaseTime, Timings};
use crate::config::{Config, Secrets, WorkbookVariant};
use crate::email::{Transport, WrittenWorkbook};
use crate::import::{self, ImportOptions, ImportStatus, NoProgress};
use crate::invitations::{issue_due, rfc3339};
use crate::reference::Reference;
use crate::roster::Aliases;

/// How long a lock holds before another process may take it over: far longer than any run
/// (a million participants take minutes), short enough that a crash blocks a day's job at most.
pub const LOCK_LIFETIME: Duration = Duration::hours(6);

/// What started a run, as stored in `report_runs.origin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    Schedule,
    Admin,
    CommandLine,
}

impl Origin {
    fn stored(self) -> &'static str {
        match self {
            Origin::Schedule => "schedule",
            Origin::Admin => "admin",
            Origin::CommandLine => "command_line",
        }
    }
}

/// How much of the job to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Import, invitations, flags, report, workbooks.
    Full,
    /// Flags, report and workbooks from the database as it is (`pantau report`).
    ReportOnly,
}

/// Everything a run needs besides the database.
pub struct JobContext<'a> {
    pub config: &'a Config,
    pub reference: &'a Reference,
    /// The moment the run happens; every time it records derives from this.
    pub now: DateTime<Utc>,
    pub origin: Origin,
    /// Who takes the lock, for the "already running" message ("pantau run pid 123").
    pub holder: String,
    pub mode: Mode,
    /// Recipient groups (`[[recipients]] group`) whose report email this run sends: the groups
    /// whose schedule fired, or those named on the command line. Empty sends no report email.
    pub email_groups: &'a [String],
}

/// Why [`run_once`] did not run.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Another run holds the lock.
    #[error("the job is already running (holder {holder}, since {since}, lock expires {expires})")]
    Busy {
        holder: String,
        since: String,
        expires: String,
    },
    /// The database could not record the run.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// One run as recorded in `report_runs`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRecord {
    pub id: i64,
    pub origin: Origin,
    pub mode: Mode,
    /// `succeeded` or `failed`.
    pub status: String,
    pub started_at: String,
    pub finished_at: String,
    pub duration_ms: i64,
    /// Roster files with hashes and statuses, configuration hash, forms with versions.
    pub inputs: serde_json::Value,
    /// Rows imported, invitations, responses, flags.
    pub counts: serde_json::Value,
    pub warnings: Vec<String>,
    /// Workbooks written, relative to the reports folder.
    pub outputs: Vec<String>,
    /// Roster files rejected or unreadable in this run.
    pub rosters_rejected: usize,
    pub error: Option<String>,
    /// How long each phase took, in order (not stored: for `--json` and the benchmark).
    pub phases: Vec<PhaseTime>,
}

impl RunRecord {
    /// Whether the run finished its work.
    pub fn succeeded(&self) -> bool {
        self.status == "succeeded"
    }
}

/// What the steps produced, recorded whether the run succeeds or fails.
#[derive(Default)]
struct Progress {
    inputs: serde_json::Map<String, serde_json::Value>,
    counts: serde_json::Map<String, serde_json::Value>,
    warnings: Vec<String>,
    outputs: Vec<String>,
    rosters_rejected: usize,
    timings: Timings,
}

/// Runs the job once. See the module documentation.
pub fn run_once(conn: &mut Connection, context: &JobContext) -> Result<RunRecord, JobError> {
    let started = Instant::now();
    let run_id = acquire(conn, context)?;
    let mut progress = Progress::default();
    let outcome = steps(conn, context, run_id, &mut progress);
    let elapsed = Duration::from_std(started.elapsed()).unwrap_or_default();
    let finished = context.now + elapsed;
    let (status, error) = match &outcome {
        Ok(()) => ("succeeded", None),
        Err(err) => ("failed", Some(format!("{err:#}"))),
    };
    let record = RunRecord {
        id: run_id,
        origin: context.origin,
        mode: context.mode,
        status: status.to_owned(),
        started_at: rfc3339(context.now),
        finished_at: rfc3339(finished),
        duration_ms: elapsed.num_milliseconds(),
        inputs: serde_json::Value::Object(progress.inputs),
        counts: serde_json::Value::Object(progress.counts),
        warnings: progress.warnings,
        outputs: progress.outputs,
        rosters_rejected: progress.rosters_rejected,
        error,
        phases: progress.timings.phases,
    };
    let saved = finish(conn, &record);
    // The lock is released even when recording failed, so the next run is not blocked.
    let released = release(conn, run_id);
    saved.context("cannot record the end of the run")?;
    released.context("cannot release the job lock")?;
    tracing::info!(
        run = run_id,
        status,
        duration_ms = record.duration_ms,
        "job run finished"
    );
    Ok(record)
}

/// Runs the job once from inside `pantau serve` (a schedule firing, or "run now" in the admin
/// area) with the built-in reference data and a connection of its own, at `now`. Emails the
/// recipient `groups`. Blocking: call it on a thread of its own, never on a web worker.
pub fn run_in_server(
    config: &Config,
    origin: Origin,
    groups: &[String],
    now: DateTime<Utc>,
) -> Result<RunRecord, JobError> {
    let reference = Reference::builtin();
    let mut conn = crate::db::open(&config.database())?;
    let context = JobContext {
        config,
        reference: &reference,
        now,
        origin,
        holder: format!("pantau serve pid {}", std::process::id()),
        mode: Mode::Full,
        email_groups: groups,
    };
    run_once(&mut conn, &context)
}

/// Whether a run holds the job lock at `now` (an expired lock does not count: the next run
/// takes it over).
pub fn is_running(conn: &Connection, now: DateTime<Utc>) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM job_lock
                        WHERE id = 1 AND holder IS NOT NULL AND expires_at >= ?1)",
        [rfc3339(now)],
        |row| row.get(0),
    )
}

/// Takes the lock and records the run as running, in one transaction.
fn acquire(conn: &mut Connection, context: &JobContext) -> Result<i64, JobError> {
    let now = rfc3339(context.now);
    let expires = rfc3339(context.now + LOCK_LIFETIME);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .context("cannot start the job's transaction")?;
    let taken = tx
        .execute(
            "UPDATE job_lock SET holder = ?1, acquired_at = ?2, expires_at = ?3
             WHERE id = 1 AND (holder IS NULL OR expires_at < ?2)",
            params![context.holder, now, expires],
        )
        .context("cannot take the job lock")?;
    if taken == 0 {
        let held: Option<(String, Option<String>, String)> = tx
            .query_row(
                "SELECT holder, acquired_at, expires_at FROM job_lock WHERE id = 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()
            .context("cannot read the job lock")?;
        let (holder, since, expires) = held.unwrap_or_default();
        return Err(JobError::Busy {
            holder,
            since: since.unwrap_or_else(|| "an unknown time".to_owned()),
            expires,
        });
    }
    tx.execute(
        "INSERT INTO report_runs (origin, status, started_at) VALUES (?1, 'running', ?2)",
        params![context.origin.stored(), now],
    )
    .context("cannot record the run")?;
    let run_id = tx.last_insert_rowid();
    tx.execute(
        "UPDATE job_lock SET report_run_id = ?1 WHERE id = 1",
        [run_id],
    )
    .context("cannot record the run on the job lock")?;
    tx.commit().context("cannot record the run")?;
    Ok(run_id)
}

fn release(conn: &Connection, run_id: i64) -> anyhow::Result<()> {
    conn.execute(
        "UPDATE job_lock SET holder = NULL, acquired_at = NULL, expires_at = NULL
         WHERE id = 1 AND report_run_id = ?1",
        [run_id],
    )?;
    Ok(())
}

fn finish(conn: &Connection, record: &RunRecord) -> anyhow::Result<()> {
    conn.execute(
        "UPDATE report_runs SET status = ?2, finished_at = ?3, duration_ms = ?4, inputs = ?5,
             counts = ?6, warnings = ?7, outputs = ?8, error = ?9
         WHERE id = ?1",
        params![
            record.id,
            record.status,
            record.finished_at,
            record.duration_ms,
            record.inputs.to_string(),
            record.counts.to_string(),
            serde_json::to_string(&record.warnings)?,
            serde_json::to_string(&record.outputs)?,
            record.error,
        ],
    )?;
    Ok(())
}

fn steps(
    conn: &mut Connection,
    context: &JobContext,
    run_id: i64,
    progress: &mut Progress,
) -> anyhow::Result<()> {
    let config = context.config;
    progress
        .inputs
        .insert("mode".into(), serde_json::to_value(context.mode)?);
    progress
        .inputs
        .insert("config".into(), config_input(config)?);
    progress.timings.lap("start");
    // The job cache is read and decoded on a thread of its own while the run imports, issues
    // invitations, reads its inputs and checks their quality; the merge waits for it.
    let cache = Cache::start_loading(conn);
    if context.mode == Mode::Full {
        import_inbox(conn, context, progress)?;
        progress.timings.lap("inbox");
        let issued = issue_due(conn, config, context.now).context("cannot issue invitations")?;
        progress.timings.lap("invitations");
        progress
            .counts
            .insert("invitations_issued".into(), issued.total_issued().into());
        progress
            .counts
            .insert("invitations_expired".into(), issued.expired.into());
        let emails = crate::email::queue_participant_emails(conn, config, context.now)
            .context("cannot queue the participants' invitation and reminder emails")?;
        progress
            .counts
            .insert("invitation_emails_queued".into(), emails.invitations.into());
        progress
            .counts
            .insert("reminder_emails_queued".into(), emails.reminders.into());
        progress.timings.lap("participant emails");
    }
    // One read of roster values and answers for the quality check and the report.
    let read = Inputs::read(conn).context("cannot read the roster values and answers")?;
    progress.timings.lap("read roster values and answers");
    let forms_dir = config.forms_dir();
    let forms = Forms::load(config, &forms_dir)?;
    progress.inputs.insert(
        "forms".into(),
        forms_input(conn, config, &forms_dir, &forms, context.now)?,
    );
    let inputs = ReportInputs {
        config,
        reference: context.reference,
        forms: &forms,
        run_at: context.now,
        variant: WorkbookVariant::Manager,
    };
    progress.timings.lap("forms");
    // The quality check runs beside the merge; its flags are stored before the report counts
    // them.
    let (mut report, saving, stored) = assemble_checked(
        conn,
        &inputs,
        read,
        cache,
        &mut progress.timings,
        |conn, flags| quality::store(conn, flags, Some(run_id), context.now),
    )
    .context("cannot assemble the report")?;
    progress.counts.insert("flags".into(), stored.total.into());
    progress
        .counts
        .insert("flags_added".into(), stored.added.into());
    progress
        .counts
        .insert("flags_removed".into(), stored.removed.into());
    progress
        .counts
        .insert("merged_records_rebuilt".into(), saving.built().into());
    progress.inputs.insert(
        "rosters".into(),
        report
            .sources
            .iter()
            .map(|file| json!({"file": file.file_name, "sha256": file.content_hash}))
            .collect(),
    );
    let responses: usize = report.funnel.iter().map(|wave| wave.submitted).sum();
    progress
        .counts
        .insert("participants".into(), report.participants.len().into());
    progress.counts.insert("responses".into(), responses.into());
    for note in &report.minimum_wages {
        if note.certainty != "verified" {
            progress.warnings.push(format!(
                "the minimum wage of {} for {} is marked {} in the reference data",
                note.province, note.year, note.certainty
            ));
        }
    }

    let reports_dir = config.reports_dir();
    let folder = format!("run-{run_id}");
    std::fs::create_dir_all(reports_dir.join(&folder)).with_context(|| {
        format!(
            "cannot create the reports folder {}",
            reports_dir.join(&folder).display()
        )
    })?;
    // The staff-only part is taken out of the report before any workbook is written: donor
    // workbooks are written from the report without it, so the donor writer cannot read it
    // even by mistake, and the manager workbooks get it passed beside the report. All of
    // them are written at once (`workbook::write_each`), as they only read the report.
    let extras = report.manager.take();
    let mut planned = Vec::new();
    for variant in [WorkbookVariant::Manager, WorkbookVariant::Donor] {
        for language in languages_for(config, variant) {
            let name = workbook_name(&crate::workbook::file_name(&report, variant), &language);
            let relative = format!("{folder}/{name}");
            planned.push(WrittenWorkbook {
                variant,
                language,
                path: relative,
            });
        }
    }
    let results = write_workbooks(&report, extras.as_ref(), &reports_dir, &planned);
    progress.timings.lap("workbooks");
    // The records built anew were written to the job cache meanwhile; the run is recorded
    // once that is over. The cache only saves later runs work, so a cache that could not be
    // written (left as it was: one transaction) is a warning, and the next run rebuilds.
    if let Err(err) = saving.wait() {
        progress.warnings.push(format!(
            "the job cache was not written, so the next run builds every merged record again: \
             {err:#}"
        ));
    }
    progress.timings.lap("job cache written");
    // Every workbook written is listed, even when another failed.
    let mut failed = None;
    for (workbook, result) in planned.iter().zip(results) {
        match result {
            Ok(()) => progress.outputs.push(workbook.path.clone()),
            Err(err) => failed = failed.or(Some(err)),
        }
    }
    if let Some(err) = failed {
        return Err(err);
    }
    let written = planned;
    if !context.email_groups.is_empty() {
        let queued = crate::email::queue_report_emails(
            conn,
            config,
            &report,
            &written,
            run_id,
            context.email_groups,
            context.now,
        )
        .context("cannot queue the report emails")?;
        progress
            .counts
            .insert("report_emails_queued".into(), queued.queued.into());
    }
    send_emails(conn, context, progress);
    progress.timings.lap("outbox");
    Ok(())
}

/// Sends what the outbox holds. A mail server that is down or refuses is not a failed run:
/// the emails stay queued (or are marked failed) in the outbox, and the run says so.
fn send_emails(conn: &Connection, context: &JobContext, progress: &mut Progress) {
    let transport = match Transport::from_config(context.config, &Secrets::from_env()) {
        Ok(transport) => transport,
        Err(err) => {
            progress
                .warnings
                .push(format!("emails were not sent: {err}"));
            return;
        }
    };
    match crate::email::drain(conn, context.config, &transport, context.now) {
        Ok(drained) => {
            progress
                .counts
                .insert("emails_sent".into(), drained.sent.into());
            progress
                .counts
                .insert("emails_retrying".into(), drained.retrying.into());
            progress
                .counts
                .insert("emails_failed".into(), drained.failed.into());
            if drained.retrying + drained.failed > 0 {
                progress.warnings.push(format!(
                    "{} email(s) could not be sent now and wait in the outbox, {} failed for \
                     good; see pantau outbox",
                    drained.retrying, drained.failed
                ));
            }
        }
        Err(err) => progress
            .warnings
            .push(format!("emails were not sent: {err:#}")),
    }
}

fn import_inbox(
    conn: &mut Connection,
    context: &JobContext,
    progress: &mut Progress,
) -> anyhow::Result<()> {
    let config = context.config;
    let extra: Vec<(String, Vec<String>)> = config
        .roster
        .aliases
        .iter()
        .map(|(field, spellings)| (field.clone(), spellings.clone()))
        .collect();
    let aliases = Aliases::new(&extra).map_err(|e| anyhow::anyhow!(e))?;
    let reports_dir = config.reports_dir();
    let options = ImportOptions {
        dry_run: false,
        today: context
            .now
            .with_timezone(&config.programme.time_zone)
            .date_naive(),
        now: context.now,
        reports_dir: &reports_dir,
        aliases: &aliases,
        reference: context.reference,
        record_skipped: false,
        progress: &NoProgress,
    };
    let outcomes = import::import_inbox(conn, &config.inbox_dir(), &options)?;
    let mut files = Vec::new();
    let (mut imported, mut skipped, mut new, mut updated) = (0usize, 0usize, 0usize, 0usize);
    for outcome in &outcomes {
        files.push(json!({
            "file": outcome.file_name,
            "sha256": outcome.content_hash,
            "status": outcome.status,
        }));
        match outcome.status {
            ImportStatus::Imported => {
                imported += 1;
                new += outcome.counts.new;
                updated += outcome.counts.updated;
            }
            ImportStatus::Skipped => skipped += 1,
            ImportStatus::Rejected | ImportStatus::Unreadable => {
                progress.rosters_rejected += 1;
                progress.warnings.push(format!(
                    "roster {} was not imported: {}",
                    outcome.file_name,
                    outcome.message.clone().unwrap_or_else(|| format!(
                        "{} errors; see the error workbook",
                        outcome.errors()
                    ))
                ));
            }
            ImportStatus::Failed => {
                anyhow::bail!(
                    "roster {} could not be imported: {}",
                    outcome.file_name,
                    outcome.message.clone().unwrap_or_default()
                );
            }
        }
    }
    progress.inputs.insert("inbox".into(), files.into());
    for (key, value) in [
        ("rosters_imported", imported),
        ("rosters_skipped", skipped),
        ("rosters_rejected", progress.rosters_rejected),
        ("participants_new", new),
        ("participants_updated", updated),
    ] {
        progress.counts.insert(key.into(), value.into());
    }
    Ok(())
}

/// The configuration file and its hash (the defaults when there is no file).
fn config_input(config: &Config) -> anyhow::Result<serde_json::Value> {
    Ok(match config.file() {
        Some(path) => {
            let bytes = std::fs::read(path)
                .with_context(|| format!("cannot read the configuration {}", path.display()))?;
            json!({"file": path.display().to_string(), "sha256": sha256(&bytes)})
        }
        None => json!({"file": null, "sha256": sha256(crate::config::EXAMPLE_TOML.as_bytes())}),
    })
}

/// Each wave's form with its id, version and hash; the `waves` table is brought up to date so
/// the admin area can show which version answered.
fn forms_input(
    conn: &Connection,
    config: &Config,
    dir: &Path,
    forms: &Forms,
    now: DateTime<Utc>,
) -> anyhow::Result<serde_json::Value> {
    let mut listed = Vec::new();
    for wave in &config.waves {
        let path = dir.join(&wave.form);
        let bytes = std::fs::read(&path)
            .with_context(|| format!("cannot read the form {}", path.display()))?;
        let hash = sha256(&bytes);
        let settings = forms.by_file.get(&wave.form).map(|form| form.settings());
        let form_id = settings.and_then(|s| s.form_id.clone());
        let version = settings.and_then(|s| s.version.clone());
        conn.execute(
            "INSERT INTO waves (name, form_file, form_id, form_version, form_hash, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (name) DO UPDATE SET form_file = excluded.form_file,
                 form_id = excluded.form_id, form_version = excluded.form_version,
                 form_hash = excluded.form_hash, updated_at = excluded.updated_at
             WHERE form_hash IS NOT excluded.form_hash OR form_file != excluded.form_file",
            params![wave.name, wave.form, form_id, version, hash, rfc3339(now)],
        )
        .with_context(|| format!("cannot record the form of wave {}", wave.name))?;
        listed.push(json!({
            "wave": wave.name,
            "file": wave.form,
            "form_id": form_id,
            "version": version,
            "sha256": hash,
        }));
    }
    Ok(listed.into())
}

/// The languages a variant is written in: the default language and every language a recipient
/// of that variant reads.
fn languages_for(config: &Config, variant: WorkbookVariant) -> Vec<String> {
    let mut languages: BTreeSet<String> = config
        .recipients
        .iter()
        .filter(|recipient| recipient.workbook == variant)
        .map(|recipient| recipient.language.clone())
        .collect();
    languages.insert(config.programme.default_language.clone());
    languages.into_iter().collect()
}

/// `pantau-donor-2026-11-29.xlsx` in English becomes `pantau-donor-2026-11-29-en.xlsx`.
fn workbook_name(file_name: &str, language: &str) -> String {
    match file_name.strip_suffix(".xlsx") {
        Some(stem) => format!("{stem}-{language}.xlsx"),
        None => format!("{file_name}-{language}"),
    }
}

/// Writes beside the target and renames, so a reader never opens a half-written workbook.
/// Writes the planned workbooks, each first as `….xlsx.partial` and moved into place once
/// whole, so that a download never sees half a file. One result per workbook, in order.
fn write_workbooks(
    report: &crate::report::Report,
    extras: Option<&crate::report::ManagerExtras>,
    reports_dir: &Path,
    planned: &[WrittenWorkbook],
) -> Vec<anyhow::Result<()>> {
    let paths: Vec<(PathBuf, PathBuf)> = planned
        .iter()
        .map(|workbook| {
            let path = reports_dir.join(&workbook.path);
            (path.with_extension("xlsx.partial"), path)
        })
        .collect();
    let targets: Vec<crate::workbook::Target> = planned
        .iter()
        .zip(&paths)
        .map(|(workbook, (partial, _))| crate::workbook::Target {
            variant: workbook.variant,
            language: &workbook.language,
            path: partial,
        })
        .collect();
    let written =
        crate::workbook::write_each(report, extras, &targets, crate::workbook::Layout::default());
    written
        .into_iter()
        .zip(&paths)
        .map(|(result, (partial, path))| {
            result?;
            std::fs::rename(partial, path).with_context(|| {
                format!("cannot move the workbook into place at {}", path.display())
            })
        })
        .collect()
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
