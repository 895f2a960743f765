//! `pantau outbox [--json]`, `pantau outbox send`, `pantau outbox retry ID`: the email outbox
//! for staff. Listing shows how many emails are queued, sent and failed, and every failed one
//! with its error; `send` drains the due emails once through the configured transport; `retry`
//! puts a failed email back in the queue (after fixing its address, or once the mail server
//! accepts it again).

use std::path::Path;

use chrono::Utc;

use super::Failure;
use crate::config::{Config, Secrets};
use crate::email::{self, Retry, Transport};

/// What to do with the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Subcommand)]
pub enum Action {
    /// Send the emails that are due now, once, through `[smtp]` (or as files in the outbox
    /// folder when it has no host).
    Send,
    /// Put a failed email back in the queue, due now, with its attempts counted afresh.
    Retry {
        /// The email's id, as `pantau outbox` lists it.
        id: i64,
    },
}

/// Runs the command.
pub fn run(config_path: Option<&Path>, action: Option<Action>, json: bool) -> Result<(), Failure> {
    let config = Config::load(config_path).map_err(|e| Failure::Input(e.to_string()))?;
    let conn = crate::db::open(&config.database())?;
    match action {
        None => list(&conn, json),
        Some(Action::Send) => send(&conn, &config, json),
        Some(Action::Retry { id }) => retry(&conn, id),
    }
}

fn list(conn: &rusqlite::Connection, json: bool) -> Result<(), Failure> {
    let state = email::state(conn).map_err(anyhow::Error::from)?;
    if json {
        println!(
            "{}",
            serde_json::to_string(&state).map_err(anyhow::Error::from)?
        );
        return Ok(());
    }
    let count = |status: &str| state.counts.get(status).copied().unwrap_or(0);
    println!(
        "queued {} (retrying {})\tsent {}\tfailed {}",
        count("queued"),
        state.retrying,
        count("sent"),
        count("failed")
    );
    if !state.failed.is_empty() {
        println!("\nid\tattempts\tkey\trecipient\terror");
        for failed in &state.failed {
            println!(
                "{}\t{}\t{}\t{}\t{}",
                failed.id, failed.attempts, failed.dedupe_key, failed.recipient, failed.error
            );
        }
        eprintln!("retry one with: pantau outbox retry ID");
    }
    Ok(())
}

fn send(conn: &rusqlite::Connection, config: &Config, json: bool) -> Result<(), Failure> {
    let transport = Transport::from_config(config, &Secrets::from_env())
        .map_err(|e| Failure::Input(e.to_string()))?;
    let drained = email::drain(conn, config, &transport, Utc::now())?;
    if json {
        println!(
            "{}",
            serde_json::to_string(&drained).map_err(anyhow::Error::from)?
        );
    } else {
        println!(
            "sent {}\tretrying later {}\tfailed {}\t({})",
            drained.sent,
            drained.retrying,
            drained.failed,
            transport.describe()
        );
    }
    Ok(())
}

fn retry(conn: &rusqlite::Connection, id: i64) -> Result<(), Failure> {
    match email::retry(conn, id, Utc::now()).map_err(anyhow::Error::from)? {
        Retry::Requeued => {
            println!("email {id} is queued again; `pantau outbox send` sends it");
            Ok(())
        }
        Retry::NotFound => Err(Failure::Input(format!(
            "there is no email {id} in the outbox"
        ))),
        Retry::NotFailed(status) => Err(Failure::Input(format!(
            "email {id} is {status}, not failed: only failed emails can be retried"
        ))),
    }
}
