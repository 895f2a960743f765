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

/// CPU seconds (user + system, all threads) this process has used so far, from
/// `/proc/self/stat`; 0 where /proc does not tell. On a shared machine this says more about a
/// phase's cost than its wall time, which includes waiting for a core.
pub fn cpu_seconds() -> f64 {
    // Linux reports these in USER_HZ, which is 100 on every architecture it supports.
    const TICKS_PER_SECOND: f64 = 100.0;
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| {
            // The command name (field 2) may hold spaces; the fields after it are plain.
            let rest = &stat[stat.rfind(')')? + 2..];
            let fields: Vec<&str> = rest.split(' ').collect();
            let user: f64 = fields.get(11)?.parse().ok()?;
            let system: f64 = fields.get(12)?.parse().ok()?;
            Some((user + system) / TICKS_PER_SECOND)
        })
        .unwrap_or(0.0)
}
