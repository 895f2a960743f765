//! `pantau demo`: a demonstration programme on the built-in defaults. It writes synthetic rosters
//! (two federations, the messy spellings real rosters have) into the inbox, imports them,
//! replays the programme's past week by week (waves falling due, most participants answering,
//! some not: see [`history`]), issues the invitations due today, prints where everything is and
//! a few personal survey links, and serves the surveys until stopped.
//!
//! Everything lives in the folders of the configuration (by default beside `pantau.toml`, or
//! the current folder): the database, `inbox/`, `reports/`. Running it again reuses them: the
//! rosters are already imported (same content) and invitations are never issued twice.

mod history;

use std::path::Path;

use anyhow::Context;
use chrono::{NaiveDate, TimeZone};

use super::Failure;
use crate::accounts::Role;
use crate::config::Config;
use crate::import::{self, ImportOptions, ImportStatus, NoProgress};
use crate::invitations;
use crate::pipeline::job::{JobContext, JobError, Mode, Origin, run_once};
use crate::reference::Reference;
use crate::roster::Aliases;
use crate::synthetic::{self, Spec, Style};

/// The shipped forms, compiled in so that the demo also runs from a folder without `forms/`.
const SHIPPED_FORMS: [(&str, &[u8]); 2] = [
    (
        "baseline.xlsx",
        include_bytes!("../../../forms/baseline.xlsx"),
    ),
    (
        "followup.xlsx",
        include_bytes!("../../../forms/followup.xlsx"),
    ),
];

/// Participants per demo roster file.
const PER_FILE: usize = 150;

/// Runs the command.
pub fn run(config_path: Option<&Path>, serve: bool) -> Result<(), Failure> {
    let config = Config::load(config_path).map_err(|e| Failure::Input(e.to_string()))?;
    let inbox = config.inbox_dir();
    std::fs::create_dir_all(&inbox)
        .with_context(|| format!("cannot create the inbox folder {}", inbox.display()))?;
    let forms = config.forms_dir();
    std::fs::create_dir_all(&forms)
        .with_context(|| format!("cannot create the forms folder {}", forms.display()))?;
    for (name, bytes) in SHIPPED_FORMS {
        let path = forms.join(name);
        if !path.exists() {
            std::fs::write(&path, bytes)
                .with_context(|| format!("cannot write the form {}", path.display()))?;
        }
    }
    let now = chrono::Utc::now();
    let today = now.with_timezone(&config.programme.time_zone).date_naive();

    // Two federations' rosters; the second overlaps the first by 20 people, as rosters from
    // different unions do, so the import shows one participant per person.
    for (index, (first_id, seed)) in [(1, 11), (PER_FILE - 19, 12)].into_iter().enumerate() {
        let path = inbox.join(format!("demo-roster-{}.xlsx", index + 1));
        if path.exists() {
            continue;
        }
        let spec = Spec {
            first_id,
            today,
            ..Spec::new(2026, PER_FILE)
        };
        let people = synthetic::roster(&spec);
        synthetic::write_xlsx(&people, &Style::messy(seed), &path)
            .map_err(|e| anyhow::anyhow!("cannot write the demo roster {}: {e}", path.display()))?;
    }

    let mut conn = crate::db::open(&config.database())?;
    let reports_dir = config.reports_dir();
    let aliases = Aliases::default();
    let reference = Reference::builtin();
    let options = ImportOptions {
        dry_run: false,
        today,
        now,
        reports_dir: &reports_dir,
        aliases: &aliases,
        reference: &reference,
        record_skipped: false,
        progress: &NoProgress,
    };
    println!("pantau demo — {}", config.programme.name);
    println!("database: {}", config.database().display());
    println!("forms:    {}", forms.display());
    println!("rosters:  {}", inbox.display());
    println!("reports:  {}", reports_dir.display());
    for outcome in import::import_inbox(&mut conn, &inbox, &options)? {
        let status = match outcome.status {
            ImportStatus::Imported => "imported",
            ImportStatus::Rejected => "rejected (see the error workbook)",
            ImportStatus::Skipped => "already imported",
            ImportStatus::Unreadable => "unreadable",
            ImportStatus::Failed => "failed",
        };
        println!(
            "roster {}: {status}; {} rows, {} new, {} updated, {} warnings",
            outcome.file_name,
            outcome.counts.read,
            outcome.counts.new,
            outcome.counts.updated,
            outcome.warnings
        );
        if let Some(workbook) = &outcome.error_workbook {
            println!("  problems listed in {}", workbook.display());
        }
    }
    let responses: i64 = conn
        .query_row("SELECT COUNT(*) FROM responses", [], |r| r.get(0))
        .context("cannot read the database")?;
    if responses == 0 {
        // The programme's past, from the week before the first enrolment.
        let first: Option<String> = conn
            .query_row(
                "SELECT MIN(value) FROM participant_attributes WHERE name = 'enrolment_date'",
                [],
                |r| r.get(0),
            )
            .context("cannot read the database")?;
        if let Some(first) = first.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()) {
            let from = config
                .programme
                .time_zone
                .from_local_datetime(
                    &(first - chrono::Duration::days(7))
                        .and_hms_opt(9, 0, 0)
                        .expect("valid time"),
                )
                .earliest()
                .map(|t| t.with_timezone(&chrono::Utc))
                .unwrap_or(now);
            let past = history::replay(&mut conn, &config, &forms, from, now, 2026)?;
            for (wave, count) in &past.responses {
                println!("wave {wave}: {count} response(s) in the programme's past");
            }
            println!("{} participant(s) declined consent", past.declined);
        }
    }
    let issued = invitations::issue_due(&mut conn, &config, now)?;
    for (wave, count) in &issued.issued {
        println!("wave {wave}: {count} new invitation(s)");
    }

    // The job, as the schedule would run it. Recipient groups without addresses get a demo
    // address (example.org never delivers), so that the report emails can be read in the
    // outbox folder; the configuration file is not changed.
    let mut job_config = config.clone();
    for recipient in &mut job_config.recipients {
        if recipient.emails.is_empty() {
            recipient.emails = vec![format!("{}@example.org", recipient.group)];
        }
    }
    let groups: Vec<String> = job_config
        .recipients
        .iter()
        .map(|r| r.group.clone())
        .collect();
    let context = JobContext {
        config: &job_config,
        reference: &reference,
        now,
        origin: Origin::CommandLine,
        holder: format!("pantau demo pid {}", std::process::id()),
        mode: Mode::Full,
        email_groups: &groups,
    };
    match run_once(&mut conn, &context) {
        Ok(record) => {
            println!("job run {}: {}", record.id, record.status);
            if let Some(error) = &record.error {
                println!("  {error}");
            }
            for output in &record.outputs {
                println!("  workbook: {}", reports_dir.join(output).display());
            }
            if let Some(sent) = record.counts.get("emails_sent") {
                println!(
                    "  {sent} email(s) written as .eml files into {}",
                    config.outbox_dir().display()
                );
            }
        }
        Err(JobError::Busy { holder, .. }) => {
            println!("job: not run now, another run holds the lock ({holder})");
        }
        Err(JobError::Internal(err)) => return Err(Failure::Internal(err)),
    }

    // An administrator for the admin area, once.
    let users: i64 = conn
        .query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))
        .context("cannot read the database")?;
    let admin_line = if users == 0 {
        let password = invitations::new_token()?;
        crate::accounts::users::add(
            &conn,
            &crate::accounts::users::NewUser {
                username: "admin",
                role: Role::Admin,
                scope: None,
                password: &password,
            },
            None,
            now,
        )
        .map_err(|e| anyhow::anyhow!("cannot create the demo administrator: {e}"))?;
        format!("user admin, password {password} (shown once; pantau user add makes more)")
    } else {
        "log in with the account made by the first demo run, or add one with pantau user add"
            .to_string()
    };
    let links = invitations::open_links(&conn, &config.server.public_base_url, None)?;
    println!(
        "{} open invitation(s); a few personal survey links:",
        links.len()
    );
    for link in links.iter().take(5) {
        println!("  {} ({}): {}", link.participant, link.wave, link.url);
    }
    println!("all links: pantau links");
    drop(conn);
    let base = &config.server.public_base_url;
    println!("admin area: {base}/admin ({admin_line})");
    if serve {
        println!(
            "serving the surveys and the admin area on {} (stop with Ctrl-C)",
            config.server.address
        );
        return super::serve::run(config_path, None);
    }
    Ok(())
}
