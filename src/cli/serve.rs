//! `pantau serve [--address ADDR]`: runs the web server (participant surveys) and the scheduler
//! of `[schedules]` until stopped.
//!
//! The address comes from `--address`, else `[server] address` in the configuration (default
//! `127.0.0.1:8080`). A form with errors or an unusable database stops startup with exit code 1
//! or 2 before anything listens. The scheduler runs on a thread of its own, so a long job never
//! holds an actix worker; when the server stops (Ctrl-C, SIGTERM) the scheduler is stopped too,
//! after any run in progress. Between job runs a second thread sends what the email outbox
//! holds once a minute, so that retries after a mail-server outage do not wait for the next
//! run.

use std::net::TcpListener;
use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Utc};

use super::Failure;
use crate::config::Config;
use crate::pipeline::job::{JobError, Origin, run_in_server};
use crate::schedule::{Runner, Schedules, SqliteTriggerStore, SystemClock};

/// Runs the command.
pub fn run(config_path: Option<&Path>, address: Option<&str>) -> Result<(), Failure> {
    // Before anything opens a database or starts a thread.
    crate::db::tune_for_server();
    let config = Config::load(config_path).map_err(|e| Failure::Input(e.to_string()))?;
    let address = address.unwrap_or(&config.server.address).to_string();
    let listener = TcpListener::bind(&address)
        .map_err(|e| Failure::Input(format!("cannot listen on {address}: {e}")))?;
    let public = config.server.public_base_url.clone();
    let schedules = Schedules::from_config(&config).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        Failure::Input(lines.join("\n"))
    })?;
    let store = SqliteTriggerStore::new(&config.database());
    let job_config = config.clone();
    let sender = OutboxSender::start(config.clone()).context("cannot start the email sender")?;
    let mut scheduler = None;
    let served = actix_web::rt::System::new().block_on(async {
        // The server is built first, so that a form with errors stops startup before any
        // catch-up run begins.
        let server = crate::web::server(config, listener)?;
        scheduler = Some(
            Runner::new(schedules)
                .spawn(SystemClock, store, move |names: &[String], at| {
                    scheduled_job(&job_config, names, at)
                })
                .context("cannot start the scheduler thread")?,
        );
        tracing::info!(%address, %public, "pantau is serving");
        server.await.context("the web server stopped with an error")
    });
    // The server has stopped; the scheduler goes with it, finishing a run in progress. Joined
    // here, outside the actix system, so the wait blocks no executor.
    if let Some(scheduler) = scheduler {
        scheduler.stop();
    }
    sender.stop();
    served.map_err(Failure::Internal)
}

/// How often the outbox is looked at between job runs, so that an email waiting for a mail
/// server that was down goes out soon after it comes back (its backoff starts at a minute).
const OUTBOX_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// A thread that sends due emails from the outbox every [`OUTBOX_INTERVAL`] until stopped.
struct OutboxSender {
    stop: std::sync::mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl OutboxSender {
    fn start(config: Config) -> anyhow::Result<OutboxSender> {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("pantau-outbox".into())
            .spawn(move || {
                loop {
                    match stopped.recv_timeout(OUTBOX_INTERVAL) {
                        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                        _ => return,
                    }
                    if let Err(err) = send_due(&config) {
                        tracing::warn!("sending the outbox failed: {err:#}");
                    }
                }
            })?;
        Ok(OutboxSender { stop, thread })
    }

    fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.thread.join();
    }
}

fn send_due(config: &Config) -> anyhow::Result<()> {
    let transport =
        crate::email::Transport::from_config(config, &crate::config::Secrets::from_env())?;
    let conn = crate::db::open(&config.database())?;
    let drained = crate::email::drain(&conn, config, &transport, Utc::now())?;
    if drained.sent + drained.retrying + drained.failed > 0 {
        tracing::info!(
            sent = drained.sent,
            retrying = drained.retrying,
            failed = drained.failed,
            "outbox sent"
        );
    }
    Ok(())
}

/// What a trigger does: the names are the `[schedules]` entries that fired (`job`, and the
/// recipients' schedules such as `manager_weekly`), `at` the trigger instant. The job runs
/// once, emailing the recipient groups whose schedule is among them; another run holding the
/// lock (a `pantau run` from a system timer) makes this trigger a logged no-op.
fn scheduled_job(config: &Config, names: &[String], at: DateTime<Utc>) -> anyhow::Result<()> {
    let groups: Vec<String> = config
        .recipients
        .iter()
        .filter(|recipient| names.contains(&recipient.schedule))
        .map(|recipient| recipient.group.clone())
        .collect();
    match run_in_server(config, Origin::Schedule, &groups, at.max(Utc::now())) {
        Ok(record) => {
            tracing::info!(
                run = record.id,
                status = %record.status,
                schedules = ?names,
                groups = ?groups,
                "scheduled job finished"
            );
            Ok(())
        }
        Err(busy @ JobError::Busy { .. }) => {
            tracing::info!(schedules = ?names, "scheduled job skipped: {busy}");
            Ok(())
        }
        Err(JobError::Internal(err)) => Err(err),
    }
}
