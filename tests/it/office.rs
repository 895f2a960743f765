//! LibreOffice as a test peer: the program to run, and a headless conversion with a profile
//! of its own (so tests running at once never share one).

use std::path::Path;
use std::process::{Command, Output};

/// `libreoffice` or `soffice`, whichever runs; a missing peer fails the test with what to do.
pub(crate) fn program() -> &'static str {
    ["libreoffice", "soffice"]
        .into_iter()
        .find(|program| {
            Command::new(program)
                .arg("--version")
                .output()
                .is_ok_and(|output| output.status.success())
        })
        .expect("LibreOffice is not installed: run `bash tests/run.sh` to install the test peers")
}

/// Converts `file` to `format` (`pdf`, `xls`, …) into `out`, with its profile in `profile`.
pub(crate) fn convert(format: &str, file: &Path, out: &Path, profile: &Path) -> Output {
    Command::new(program())
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args([
            "--headless",
            "--norestore",
            "--convert-to",
            format,
            "--outdir",
        ])
        .arg(out)
        .arg(file)
        .output()
        .unwrap()
}
