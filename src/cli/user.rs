//! `pantau user add|list|disable`: staff accounts for the admin area.
//!
//! The password of `user add` comes from `PANTAU_PASSWORD` (for scripts) or is asked twice on
//! the terminal without echo; it is never a command-line argument, where `ps` and the shell
//! history would keep it.

use std::path::Path;

use clap::Subcommand;

use super::Failure;
use crate::accounts::users::{self, AccountError, NewUser};
use crate::accounts::{Role, Scope};
use crate::config::Config;

/// `pantau user …` subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a staff account. The password is read from PANTAU_PASSWORD, else asked.
    Add {
        /// Login name.
        name: String,
        /// admin, manager, field_officer or viewer.
        #[arg(long)]
        role: String,
        /// For field officers: the roster field limiting whom they see (union, federation,
        /// confederation, training_location, province, cohort).
        #[arg(long, requires = "scope_value")]
        scope_field: Option<String>,
        /// For field officers: the value of that field ("SP Garmen Bekasi").
        #[arg(long, requires = "scope_field")]
        scope_value: Option<String>,
    },
    /// List the staff accounts.
    List,
    /// Disable an account and end its sessions.
    Disable {
        /// Login name.
        name: String,
    },
}

fn account_failure(err: AccountError) -> Failure {
    match err {
        AccountError::Internal(err) => Failure::Internal(err),
        other => Failure::Input(other.to_string()),
    }
}

fn read_password() -> Result<String, Failure> {
    if let Ok(password) = std::env::var("PANTAU_PASSWORD") {
        return Ok(password);
    }
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Err(Failure::Input(
            "no password: set PANTAU_PASSWORD or run on a terminal to be asked".into(),
        ));
    }
    let first = rpassword::prompt_password("Password: ").map_err(anyhow::Error::from)?;
    let second = rpassword::prompt_password("Password again: ").map_err(anyhow::Error::from)?;
    if first != second {
        return Err(Failure::Input("the two passwords differ".into()));
    }
    Ok(first)
}

/// Runs one `pantau user` subcommand.
pub fn run(config_path: Option<&Path>, command: UserCommand) -> Result<(), Failure> {
    let config = Config::load(config_path).map_err(|e| Failure::Input(e.to_string()))?;
    let conn = crate::db::open(&config.database())?;
    let now = chrono::Utc::now();
    match command {
        UserCommand::Add {
            name,
            role,
            scope_field,
            scope_value,
        } => {
            let role: Role = role.parse().map_err(|e| Failure::Input(format!("{e}")))?;
            let scope = match (scope_field, scope_value) {
                (Some(field), Some(value)) => {
                    Some(Scope::new(&field, &value).map_err(|e| Failure::Input(e.to_string()))?)
                }
                _ => None,
            };
            let password = read_password()?;
            let new = NewUser {
                username: &name,
                role,
                scope,
                password: &password,
            };
            let user = users::add(&conn, &new, None, now).map_err(account_failure)?;
            println!("created {} ({})", user.username, user.role);
        }
        UserCommand::List => {
            println!("username\trole\tscope\tstatus");
            for user in users::list(&conn).map_err(anyhow::Error::from)? {
                let scope = user.scope.map(|s| s.to_string()).unwrap_or_default();
                let status = if user.disabled_at.is_some() {
                    "disabled"
                } else if user
                    .locked_until
                    .as_deref()
                    .is_some_and(|until| until > crate::invitations::rfc3339(now).as_str())
                {
                    "locked"
                } else {
                    "active"
                };
                println!("{}\t{}\t{}\t{}", user.username, user.role, scope, status);
            }
        }
        UserCommand::Disable { name } => {
            if users::disable(&conn, &name, None, now).map_err(account_failure)? {
                println!("disabled {name}");
            } else {
                println!("{name} was already disabled");
            }
        }
    }
    Ok(())
}
