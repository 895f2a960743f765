//! `pantau run [--json]`: runs the job once from the command line (import the inbox, issue due
//! invitations, check data quality, write the workbooks) and records the run.
//!
//! Exit code 1 when a roster in the inbox was rejected, the run failed or another run holds
//! the lock; 2 when pantau itself could not work (the database); 0 otherwise. `--json` prints
//! the run record as one JSON object; otherwise a short summary.

use std::path::Path;

use super::Failure;
use crate::config::Config;
use crate::pipeline::job::{JobContext, JobError, Mode, Origin, RunRecord, run_once};
use crate::reference::Reference;

/// Runs the command.
pub fn run(config_path: Option<&Path>, json: bool, email: &[String]) -> Result<(), Failure> {
    run_mode(config_path, json, email, Mode::Full)
}

/// Runs the job in `mode` and reports it; shared with `pantau report`.
pub(super) fn run_mode(
    config_path: Option<&Path>,
    json: bool,
    email: &[String],
    mode: Mode,
) -> Result<(), Failure> {
    let config = Config::load(config_path).map_err(|e| Failure::Input(e.to_string()))?;
    for group in email {
        if !config.recipients.iter().any(|r| &r.group == group) {
            let known: Vec<&str> = config.recipients.iter().map(|r| r.group.as_str()).collect();
            return Err(Failure::Input(format!(
                "--email {group}: no such recipient group in [[recipients]] (known: {})",
                known.join(", ")
            )));
        }
    }
    let reference = Reference::builtin();
    let mut conn = crate::db::open(&config.database())?;
    let command = match mode {
        Mode::Full => "run",
        Mode::ReportOnly => "report",
    };
    let context = JobContext {
        config: &config,
        reference: &reference,
        now: chrono::Utc::now(),
        origin: Origin::CommandLine,
        holder: format!("pantau {command} pid {}", std::process::id()),
        mode,
        email_groups: email,
    };
    let record = match run_once(&mut conn, &context) {
        Ok(record) => record,
        Err(busy @ JobError::Busy { .. }) => return Err(Failure::Input(busy.to_string())),
        Err(JobError::Internal(err)) => return Err(Failure::Internal(err)),
    };
    if json {
        println!(
            "{}",
            serde_json::to_string(&record).map_err(anyhow::Error::from)?
        );
    } else {
        print_summary(&record, &config);
    }
    if let Some(error) = &record.error {
        return Err(Failure::Input(if json {
            String::new()
        } else {
            format!("run {} failed: {error}", record.id)
        }));
    }
    if record.rosters_rejected > 0 {
        return Err(Failure::Input(format!(
            "{} roster file{} in the inbox {} not imported; see the error workbooks",
            record.rosters_rejected,
            if record.rosters_rejected == 1 {
                ""
            } else {
                "s"
            },
            if record.rosters_rejected == 1 {
                "was"
            } else {
                "were"
            },
        )));
    }
    Ok(())
}

fn print_summary(record: &RunRecord, config: &Config) {
    let count = |key: &str| record.counts.get(key).and_then(|v| v.as_u64()).unwrap_or(0);
    println!(
        "run {}: {} in {} ms",
        record.id, record.status, record.duration_ms
    );
    if record.mode == Mode::Full {
        println!(
            "  rosters: {} imported, {} skipped, {} rejected; invitations: {} issued, {} expired",
            count("rosters_imported"),
            count("rosters_skipped"),
            count("rosters_rejected"),
            count("invitations_issued"),
            count("invitations_expired"),
        );
    }
    println!(
        "  participants: {}; responses: {}; data-quality flags: {} ({} new, {} resolved)",
        count("participants"),
        count("responses"),
        count("flags"),
        count("flags_added"),
        count("flags_removed"),
    );
    for warning in &record.warnings {
        println!("  warning: {warning}");
    }
    if !record.outputs.is_empty() {
        println!("  workbooks in {}:", config.reports_dir().display());
        for output in &record.outputs {
            println!("    {output}");
        }
    }
}
