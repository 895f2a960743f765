//! `pantau report [--json]`: writes the workbooks from the database as it is, without importing
//! rosters or issuing invitations, and records the run like `pantau run` does.

use std::path::Path;

use super::Failure;
use crate::pipeline::job::Mode;

/// Runs the command.
pub fn run(config_path: Option<&Path>, json: bool, email: &[String]) -> Result<(), Failure> {
    super::run::run_mode(config_path, json, email, Mode::ReportOnly)
}
