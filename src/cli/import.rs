//! `pantau import FILE... [--dry-run] [--json]`: imports roster files one by one, prints a
//! summary per file (or one JSON object per line), and fails when any file was not imported.
//!
//! Each file stands alone: a rejected or unreadable file does not stop the others. Exit code 1
//! when any file had rejected rows or could not be read, 2 when pantau itself failed (the
//! database), 0 otherwise.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Failure;
use crate::config::Config;
use crate::import::{self, FileOutcome, ImportOptions, ImportProgress, ImportStatus};
use crate::reference::Reference;
use crate::roster::Aliases;

/// How many problems the text summary shows per file; the rest are in the error workbook.
const SHOWN_PROBLEMS: usize = 10;

/// Runs the command.
pub fn run(
    config_path: Option<&Path>,
    files: &[PathBuf],
    dry_run: bool,
    json: bool,
) -> Result<(), Failure> {
    let config = Config::load(config_path).map_err(|e| Failure::Input(e.to_string()))?;
    let extra: Vec<(String, Vec<String>)> = config
        .roster
        .aliases
        .iter()
        .map(|(field, spellings)| (field.clone(), spellings.clone()))
        .collect();
    let aliases = Aliases::new(&extra).map_err(Failure::Input)?;
    let reference = Reference::builtin();
    let mut conn = crate::db::open(&config.database())?;
    let now = chrono::Utc::now();
    let today = now.with_timezone(&config.programme.time_zone).date_naive();
    let reports_dir = config.reports_dir();
    let show_progress = !json && std::io::stderr().is_terminal();
    let mut not_imported = 0;
    let mut failed = 0;
    for path in files {
        let progress = Bar::new(show_progress, path);
        let options = ImportOptions {
            dry_run,
            today,
            now,
            reports_dir: &reports_dir,
            aliases: &aliases,
            reference: &reference,
            record_skipped: true,
            progress: &progress,
        };
        let outcome = import::import_path(&mut conn, path, &options);
        if json {
            println!("{}", outcome_json(&outcome));
        } else {
            print_summary(&outcome);
        }
        match outcome.status {
            ImportStatus::Imported | ImportStatus::Skipped => {}
            ImportStatus::Rejected | ImportStatus::Unreadable => not_imported += 1,
            ImportStatus::Failed => failed += 1,
        }
    }
    // A first import leaves the admin search to the server (`participants::search_index`);
    // a small one is added by the admin list itself, so only a large one is worth a word.
    if !json
        && let Ok(waiting) = crate::participants::search_index::waiting(&conn)
        && waiting > crate::participants::search_index::INLINE_LIMIT
    {
        println!(
            "{waiting} participants are not in the admin search yet: `pantau serve` adds them \
             in the background"
        );
    }
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    if failed > 0 {
        return Err(Failure::Internal(anyhow::anyhow!(
            "{failed} of {} file{} could not be imported because of an internal failure",
            files.len(),
            plural(files.len())
        )));
    }
    if not_imported > 0 {
        return Err(Failure::Input(format!(
            "{not_imported} of {} file{} {} not imported; fix the problems and import {} again",
            files.len(),
            plural(files.len()),
            if not_imported == 1 { "was" } else { "were" },
            if not_imported == 1 { "it" } else { "them" },
        )));
    }
    Ok(())
}

/// The JSON object printed for one file with `--json`.
pub fn outcome_json(outcome: &FileOutcome) -> serde_json::Value {
    serde_json::json!({
        "file": outcome.file_name,
        "status": outcome.status,
        "dry_run": outcome.dry_run,
        "import_id": outcome.import_id,
        "rows_read": outcome.counts.read,
        "new": outcome.counts.new,
        "updated": outcome.counts.updated,
        "unchanged": outcome.counts.unchanged,
        "rejected": outcome.counts.rejected,
        "warnings": outcome.warnings,
        "errors": outcome.errors(),
        "problems": outcome.problems,
        "error_workbook": outcome.error_workbook.as_ref().map(|p| p.display().to_string()),
        "message": outcome.message,
    })
}

fn print_summary(outcome: &FileOutcome) {
    let name = &outcome.file_name;
    let c = &outcome.counts;
    let dry = if outcome.dry_run { " (dry run)" } else { "" };
    let warnings = match outcome.warnings {
        0 => String::new(),
        1 => "; 1 warning".to_owned(),
        n => format!("; {n} warnings"),
    };
    match outcome.status {
        ImportStatus::Imported => println!(
            "{name}: {}{dry} — {} row{} read: {} new, {} updated, {} unchanged{warnings}",
            if outcome.dry_run {
                "would be imported"
            } else {
                "imported"
            },
            c.read,
            if c.read == 1 { "" } else { "s" },
            c.new,
            c.updated,
            c.unchanged,
        ),
        ImportStatus::Rejected => println!(
            "{name}: rejected{dry} — {} of {} row{} {} errors ({} error{}{warnings}); nothing \
             from this file was imported",
            c.rejected,
            c.read,
            if c.read == 1 { "" } else { "s" },
            if c.rejected == 1 { "has" } else { "have" },
            outcome.errors(),
            if outcome.errors() == 1 { "" } else { "s" },
        ),
        ImportStatus::Skipped | ImportStatus::Unreadable | ImportStatus::Failed => {
            let status = match outcome.status {
                ImportStatus::Skipped => "skipped",
                ImportStatus::Unreadable => "not imported",
                _ => "failed",
            };
            let message = outcome.message.as_deref().unwrap_or_default();
            let reason = message
                .strip_prefix(name.as_str())
                .map(|rest| rest.trim_start_matches(':').trim())
                .unwrap_or(message);
            println!("{name}: {status}{dry} — {reason}");
        }
    }
    let listed = match outcome.status {
        ImportStatus::Imported | ImportStatus::Rejected => outcome.problems.as_slice(),
        _ => &[],
    };
    for problem in listed.iter().take(SHOWN_PROBLEMS) {
        println!("  {problem}");
    }
    if listed.len() > SHOWN_PROBLEMS {
        println!("  … and {} more problems", listed.len() - SHOWN_PROBLEMS);
    }
    if let Some(workbook) = &outcome.error_workbook {
        println!("  every problem, with the rows: {}", workbook.display());
    }
}

/// A progress bar on standard error, drawn only on a terminal.
struct Bar {
    bar: ProgressBar,
    file: String,
}

impl Bar {
    fn new(show: bool, path: &Path) -> Bar {
        let bar = ProgressBar::with_draw_target(
            None,
            if show {
                ProgressDrawTarget::stderr()
            } else {
                ProgressDrawTarget::hidden()
            },
        );
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Bar { bar, file }
    }
}

impl ImportProgress for Bar {
    fn stage(&self, name: &'static str, total: u64) {
        let style = if total == 0 {
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
        } else {
            ProgressStyle::with_template(
                "{msg} [{bar:30}] {human_pos}/{human_len} rows ({eta} left)",
            )
        }
        .context("progress bar template")
        .map(|style| style.progress_chars("=> "));
        if let Ok(style) = style {
            self.bar.set_style(style);
        }
        self.bar.set_length(total);
        self.bar.set_position(0);
        self.bar.set_message(format!("{}: {name}", self.file));
        if total == 0 {
            self.bar
                .enable_steady_tick(std::time::Duration::from_millis(120));
        } else {
            self.bar.disable_steady_tick();
        }
    }

    fn advance(&self, steps: u64) {
        self.bar.inc(steps);
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
