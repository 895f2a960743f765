//! What several benchmarks share: importing a roster file the way `pantau import` does, and
//! reading the process's peak resident memory. Each bench uses part of it.
#![allow(dead_code)]

use std::path::Path;

use pantau::import::{FileOutcome, ImportOptions, NoProgress, import_path};
use pantau::reference::Reference;
use pantau::roster::Aliases;
use pantau::synthetic::Spec;
use rusqlite::Connection;

/// Imports `file` whole into `conn` with the default aliases and reference data, error
/// workbooks into `reports`, as `pantau import` would today.
pub fn import_file(conn: &mut Connection, file: &Path, reports: &Path) -> FileOutcome {
    let aliases = Aliases::default();
    let reference = Reference::builtin();
    let options = ImportOptions {
        dry_run: false,
        today: Spec::new(0, 0).today,
        now: chrono::Utc::now(),
        reports_dir: reports,
        aliases: &aliases,
        reference: &reference,
        record_skipped: true,
        progress: &NoProgress,
    };
    import_path(conn, file, &options)
}

/// This process's peak resident memory (`VmHWM`) in KiB; 0 where /proc does not tell.
pub fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
