//! The command line: parses arguments with clap, runs one subcommand and maps its outcome to an
//! exit code.
//!
//! Exit codes are part of the interface for scripts and system timers: `0` success, `1` a problem
//! in the user's input (a form with errors, a bad configuration file), `2` an internal failure
//! (a database that cannot be opened, a bug).

mod calllist;
mod check_form;
mod demo;
mod import;
mod links;
mod outbox;
mod participant;
mod report;
mod run;
mod serve;
mod user;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// pantau follows up the participants of a livelihood programme: surveys, rosters, indicators
/// and donor workbooks.
#[derive(Debug, Parser)]
#[command(name = "pantau", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file; without this flag `./pantau.toml` is used when it exists, and the
    /// built-in defaults otherwise.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands. More arrive with their features (`serve`, `import`, `run`, `report`,
/// `links`, `demo`, `user`).
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check XLSForm files (.xlsx, .xls, .ods) and print every problem found, each with its file,
    /// sheet, row and column. Exits 1 when any file has an error.
    CheckForm {
        /// The form files to check.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Print the problems as JSON lines instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Import roster files (.xlsx, .xls, .ods, .csv). Each file imports whole or not at all;
    /// a file already imported is skipped. Exits 1 when any file was not imported.
    Import {
        /// The roster files to import.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Check the files and report what would change, without changing anything.
        #[arg(long)]
        dry_run: bool,
        /// Print one JSON object per file instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Build a demonstration programme on the built-in defaults: synthetic rosters in the inbox,
    /// imported; due invitations issued; survey links printed; then serve the surveys.
    Demo {
        /// Prepare the demo and print the links, but do not start the server.
        #[arg(long)]
        no_serve: bool,
    },
    /// Issue the invitations due now and list the open ones with each participant's personal
    /// survey link.
    Links {
        /// Only this wave.
        #[arg(long, value_name = "WAVE")]
        wave: Option<String>,
        /// Print one JSON object per invitation instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Run the job once: import the inbox, issue due invitations, check data quality and write
    /// the donor and manager workbooks into the reports folder. Exits 1 when a roster was
    /// rejected, the run failed or another run is in progress.
    Run {
        /// Print the run record as JSON instead of a summary.
        #[arg(long)]
        json: bool,
        /// Also email the report to this recipient group (`[[recipients]] group`); repeat for
        /// several. Without it no report email goes out (the schedules in `pantau serve` send
        /// them); participant invitations and reminders are always sent.
        #[arg(long = "email", value_name = "GROUP")]
        email: Vec<String>,
    },
    /// Write the workbooks from the database as it is (no import, no invitations); the run is
    /// recorded like `pantau run`.
    Report {
        /// Print the run record as JSON instead of a summary.
        #[arg(long)]
        json: bool,
        /// Also email the report to this recipient group (`[[recipients]] group`); repeat for
        /// several.
        #[arg(long = "email", value_name = "GROUP")]
        email: Vec<String>,
    },
    /// List the email outbox (counts, and the failed emails with their errors); `send` sends
    /// the due emails once, `retry ID` queues a failed one again.
    Outbox {
        #[command(subcommand)]
        action: Option<outbox::Action>,
        /// Print JSON instead of text.
        #[arg(long, global = true)]
        json: bool,
    },
    /// List the open invitations for field officers to call, most at risk of dropping out
    /// first, with phone, personal link and WhatsApp link; as a table, JSON lines or a workbook.
    Calllist {
        /// Only this wave.
        #[arg(long, value_name = "WAVE")]
        wave: Option<String>,
        /// Write the list to this Excel workbook (.xlsx) instead of printing it.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Print one JSON object per invitation.
        #[arg(long)]
        json: bool,
    },
    /// Run the web server: participant surveys at /s/{token}. Listens on `[server] address`
    /// (default 127.0.0.1:8080) unless --address is given.
    Serve {
        /// Address and port to listen on, overriding the configuration.
        #[arg(long, value_name = "ADDR")]
        address: Option<String>,
    },
    /// Manage staff accounts for the admin area.
    #[command(subcommand)]
    User(user::UserCommand),
    /// A participant's data rights: erase or export their personal data.
    #[command(subcommand)]
    Participant(participant::ParticipantCommand),
}

/// How a subcommand failed, which decides the exit code.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Something in the user's input must be fixed (exit code 1). The message has already been
    /// printed when it is empty.
    #[error("{0}")]
    Input(String),
    /// pantau itself could not do its work (exit code 2).
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl Failure {
    fn exit_code(&self) -> ExitCode {
        match self {
            Failure::Input(_) => ExitCode::from(1),
            Failure::Internal(_) => ExitCode::from(2),
        }
    }
}

/// Entry point used by `src/main.rs`.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // clap prints help and version on "errors" too; only real usage errors are input
            // problems.
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    init_logging();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            match &failure {
                Failure::Input(message) if message.is_empty() => {}
                Failure::Input(message) => eprintln!("error: {message}"),
                Failure::Internal(err) => eprintln!("internal error: {err:#}"),
            }
            failure.exit_code()
        }
    }
}

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::CheckForm { files, json } => check_form::run(&files, json),
        Command::Import {
            files,
            dry_run,
            json,
        } => import::run(cli.config.as_deref(), &files, dry_run, json),
        Command::Demo { no_serve } => demo::run(cli.config.as_deref(), !no_serve),
        Command::Links { wave, json } => links::run(cli.config.as_deref(), wave.as_deref(), json),
        Command::Run { json, email } => run::run(cli.config.as_deref(), json, &email),
        Command::Report { json, email } => report::run(cli.config.as_deref(), json, &email),
        Command::Outbox { action, json } => outbox::run(cli.config.as_deref(), action, json),
        Command::Calllist { wave, out, json } => {
            calllist::run(cli.config.as_deref(), wave.as_deref(), out.as_deref(), json)
        }
        Command::Serve { address } => serve::run(cli.config.as_deref(), address.as_deref()),
        Command::User(command) => user::run(cli.config.as_deref(), command),
        Command::Participant(command) => participant::run(cli.config.as_deref(), command),
    }
}

/// Logs go to standard error, filtered by `PANTAU_LOG` (for example `PANTAU_LOG=debug`). Log
/// lines never carry personal data: modules log identifiers and counts, not values.
fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("PANTAU_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,rusqlite_migration=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for people; scripts and CI logs get plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
