//! `pantau participant erase|export`: a participant's rights over their data.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::Failure;
use crate::config::Config;
use crate::form::Form;
use crate::participants::{self, ErasePolicy, ParticipantError};

/// `pantau participant …` subcommands.
#[derive(Debug, Subcommand)]
pub enum ParticipantCommand {
    /// Erase a participant's personal data everywhere, keeping aggregate counts true.
    Erase {
        /// The participant key ("nik:…", "id:…") or row id.
        participant: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Write everything pantau holds about a participant as JSON.
    Export {
        /// The participant key ("nik:…", "id:…") or row id.
        participant: String,
        /// File to write; standard output without it.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

fn failure(err: ParticipantError) -> Failure {
    match err {
        ParticipantError::Internal(err) => Failure::Internal(err),
        other => Failure::Input(other.to_string()),
    }
}

/// The erase policy from the configured waves' forms. A form that does not load is an input
/// error: without it pantau cannot tell free text from structured answers.
pub fn policy(config: &Config) -> Result<ErasePolicy, Failure> {
    let mut forms = Vec::new();
    for wave in &config.waves {
        let path = config.wave_form(wave);
        let form = Form::load_path(&path).map_err(|problems| {
            Failure::Input(format!(
                "the form {} of wave {} has {} problem(s); run pantau check-form on it",
                path.display(),
                wave.name,
                problems.len()
            ))
        })?;
        forms.push(form);
    }
    Ok(ErasePolicy::from_forms(forms.iter()))
}

/// Runs one `pantau participant` subcommand.
pub fn run(config_path: Option<&Path>, command: ParticipantCommand) -> Result<(), Failure> {
    let config = Config::load(config_path).map_err(|e| Failure::Input(e.to_string()))?;
    let mut conn = crate::db::open(&config.database())?;
    match command {
        ParticipantCommand::Erase { participant, yes } => {
            let id = participants::resolve(&conn, &participant).map_err(failure)?;
            if !yes {
                if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                    return Err(Failure::Input(
                        "erasing cannot be undone: pass --yes to confirm".into(),
                    ));
                }
                print!("Erase participant {id}'s personal data for good? Type yes: ");
                std::io::stdout().flush().map_err(anyhow::Error::from)?;
                let mut answer = String::new();
                std::io::stdin()
                    .read_line(&mut answer)
                    .map_err(anyhow::Error::from)?;
                if answer.trim() != "yes" {
                    return Err(Failure::Input("not erased".into()));
                }
            }
            let policy = policy(&config)?;
            let done = participants::erase(&mut conn, id, None, chrono::Utc::now(), &policy)
                .map_err(failure)?;
            println!(
                "erased participant {id}: {} attributes, {} history values, {} drafts, {} answers, {} emails",
                done.attributes_deleted,
                done.history_cleared,
                done.drafts_deleted,
                done.answers_removed,
                done.emails_deleted
            );
        }
        ParticipantCommand::Export { participant, out } => {
            let id = participants::resolve(&conn, &participant).map_err(failure)?;
            let data = participants::export(&conn, id).map_err(failure)?;
            let text = serde_json::to_string_pretty(&data).map_err(anyhow::Error::from)?;
            match out {
                Some(path) => std::fs::write(&path, text + "\n")
                    .map_err(|e| Failure::Input(format!("cannot write {}: {e}", path.display())))?,
                None => println!("{text}"),
            }
            crate::accounts::audit::action(
                &conn,
                chrono::Utc::now(),
                None,
                "participant.export",
                Some(&format!("participant:{id}")),
            )
            .map_err(anyhow::Error::from)?;
        }
    }
    Ok(())
}
