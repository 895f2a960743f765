//! Job benchmark: the incremental run (`pantau run` on a programme of 100,000 participants with
//! no roster change and 1,000 new responses since the last run): import sweep, invitations,
//! data-quality flags, report assembly and workbooks. Target: under 3 seconds.
//!
//! Run with `cargo bench --bench pipeline`; `PANTAU_BENCH_PARTICIPANTS=1000000` for the
//! million-participant programme. The database is built straight in SQL (not timed): every
//! participant with 13 roster attributes, baseline and m3 invitations for all, answers from
//! 60% of them; one full run is made first, then 1,000 m6 responses arrive and the run is timed.
//! `PANTAU_BENCH_KEEP=DIR` builds the programme (config, database, reports) in `DIR` and leaves
//! it there, so that `pantau --config DIR/pantau.toml run` can be profiled on it afterwards.

mod common;

use std::path::Path;
use std::time::Instant;

use chrono::{DateTime, Utc};
use common::peak_kib;
use pantau::config::Config;
use pantau::pipeline::job::{JobContext, Mode, Origin, run_once};
use pantau::reference::Reference;
use rusqlite::{Connection, params};

/// The allocator `pantau` itself runs with (`src/main.rs`), so that the job is timed as
/// `pantau run` runs it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo test --benches` and `cargo bench -- --list` must not run minutes of work.
    if args.iter().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let participants: usize = std::env::var("PANTAU_BENCH_PARTICIPANTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let scratch = tempfile::tempdir().expect("temporary folder");
    let kept = std::env::var_os("PANTAU_BENCH_KEEP").map(std::path::PathBuf::from);
    if let Some(kept) = &kept {
        std::fs::create_dir_all(kept).expect("the folder PANTAU_BENCH_KEEP names");
    }
    let dir_path = kept.as_deref().unwrap_or(scratch.path());
    let forms = Path::new(env!("CARGO_MANIFEST_DIR")).join("forms");
    let toml = format!(
        "[paths]\nforms = \"{}\"\n\n{}",
        forms.display(),
        "[[waves]]\nname = \"baseline\"\nform = \"baseline.xlsx\"\nanchor = \"enrolment\"\n\
         window_days = 30\n\n[[waves]]\nname = \"m3\"\nform = \"followup.xlsx\"\n\
         anchor = \"training_end\"\noffset_months = 3\nwindow_days = 30\n\n[[waves]]\n\
         name = \"m6\"\nform = \"followup.xlsx\"\nanchor = \"training_end\"\noffset_months = 6\n\
         window_days = 30\n"
    );
    let config_path = dir_path.join("pantau.toml");
    std::fs::write(&config_path, toml).expect("config");
    let config = Config::load(Some(&config_path)).expect("valid config");
    let mut conn = pantau::db::open(&config.database()).expect("database");

    let started = Instant::now();
    populate(&mut conn, participants);
    println!(
        "pipeline benchmark: {participants} participants, built in {:.1} s (not timed below)",
        started.elapsed().as_secs_f64()
    );
    let reference = Reference::builtin();
    let context = |now: &str| JobContext {
        config: &config,
        reference: &reference,
        now: DateTime::parse_from_rfc3339(now)
            .expect("time")
            .with_timezone(&Utc),
        origin: Origin::CommandLine,
        holder: "bench".into(),
        mode: Mode::Full,
        email_groups: &[],
    };
    let first = Instant::now();
    let cpu = cpu_seconds();
    let record = run_once(&mut conn, &context("2026-11-28T02:00:00Z")).expect("first run");
    assert!(record.succeeded(), "{:?}", record.error);
    println!(
        "{:<52} {:>8.3} s  (CPU {:.2} s, all threads)",
        "first run (flags and workbooks from scratch)",
        first.elapsed().as_secs_f64(),
        cpu_seconds() - cpu
    );
    new_responses(&mut conn, participants, 1_000);
    let timed = Instant::now();
    let cpu = cpu_seconds();
    let record = run_once(&mut conn, &context("2026-11-29T02:00:00Z")).expect("second run");
    let seconds = timed.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu;
    assert!(record.succeeded(), "{:?}", record.error);
    println!(
        "{:<52} {:>8.3} s  (CPU {:.2} s, all threads; flags added {}, responses {})",
        "incremental run: no roster change, 1,000 new responses",
        seconds,
        cpu,
        record.counts["flags_added"],
        record.counts["responses"]
    );
    let bytes: u64 = record
        .outputs
        .iter()
        .filter_map(|output| std::fs::metadata(config.reports_dir().join(output)).ok())
        .map(|meta| meta.len())
        .sum();
    println!(
        "  {} workbooks, {:.1} MiB together",
        record.outputs.len(),
        bytes as f64 / 1_048_576.0
    );
    for phase in &record.phases {
        println!("  {:<50} {:>8.3} s", phase.phase, phase.ms / 1000.0);
    }
    println!("peak memory {} MiB", peak_kib() / 1024);
}

/// Participants, attributes, invitations and answers, in one transaction.
fn populate(conn: &mut Connection, participants: usize) {
    let tx = conn.transaction().expect("transaction");
    {
        let stamp = "2026-01-15T03:00:00Z";
        let mut person = tx
            .prepare(
                "INSERT INTO participants (id, participant_key, pseudonym, created_at)
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .expect("statement");
        let unions = ["SPN", "FSPMI", "SP TSK", "KSPN", "SPSI"];
        let provinces = ["Jawa Barat", "Banten", "DKI Jakarta", "Jawa Tengah"];
        for i in 0..participants {
            let id = i as i64 + 1;
            person
                .execute(params![
                    id,
                    format!("id:B{id:07}"),
                    format!("PS-{id:07}"),
                    stamp
                ])
                .expect("participant");
            let values = [
                ("name", format!("Peserta {id}")),
                ("phone", format!("6281{:09}", id)),
                ("sex", if i % 3 == 0 { "P" } else { "L" }.to_owned()),
                (
                    "birth_date",
                    format!("{}-0{}-1{}", 1966 + i % 36, 1 + i % 9, i % 10),
                ),
                ("province", provinces[i % 4].to_owned()),
                ("union", unions[i % 5].to_owned()),
                ("cohort", format!("C{}", 1 + i % 12)),
                (
                    "training_location",
                    if i % 2 == 0 { "Bekasi" } else { "Sukabumi" }.into(),
                ),
                ("training_date", "2026-03-01".to_owned()),
                ("last_wage", (3_000_000 + (i % 40) * 75_000).to_string()),
                ("attended_1", "1".to_owned()),
                ("attended_2", if i % 4 != 0 { "1" } else { "0" }.to_owned()),
                ("attended_3", if i % 5 != 0 { "1" } else { "0" }.to_owned()),
            ];
            for (name, value) in &values {
                pantau::participants::attributes::set_values(
                    &tx,
                    id,
                    &[(name, value.as_str())],
                    None,
                    stamp,
                )
                .expect("attribute");
            }
        }
        for (wave, form, opens, closes) in [
            (
                "baseline",
                "baseline.xlsx",
                "2026-01-15T00:00:00Z",
                "2026-02-14T00:00:00Z",
            ),
            (
                "m3",
                "followup.xlsx",
                "2026-06-01T00:00:00Z",
                "2026-07-01T00:00:00Z",
            ),
            (
                "m6",
                "followup.xlsx",
                "2026-09-01T00:00:00Z",
                "2026-10-01T00:00:00Z",
            ),
        ] {
            tx.execute(
                "INSERT INTO waves (name, form_file, updated_at) VALUES (?1, ?2, ?3)",
                params![wave, form, stamp],
            )
            .expect("wave");
            if wave == "m6" {
                continue;
            }
            tx.execute(
                "INSERT INTO invitations (participant_id, wave, token, status, issued_at,
                                          opens_at, closes_at)
                 SELECT id, ?1, ?1 || '-' || id, 'expired', ?2, ?2, ?3 FROM participants",
                params![wave, opens, closes],
            )
            .expect("invitations");
            tx.execute(
                "INSERT INTO responses (invitation_id, submission_id, form_id, form_version,
                                        answers, language, submitted_at)
                 SELECT id, 'sub-' || id, 'f', '1',
                        json_object('work_status', CASE id % 4 WHEN 0 THEN 'none'
                                        WHEN 1 THEN 'wage' WHEN 2 THEN 'self' ELSE 'both' END,
                                    'income_wage', (id % 7) * 600000,
                                    'income_total', (id % 7) * 600000,
                                    'bpjs_registered', CASE id % 3 WHEN 0 THEN 'dk' ELSE 'yes' END,
                                    'bpjs_programmes', 'jkk jkm',
                                    'digital_payments', 'qris'),
                        'id', ?2
                 FROM invitations WHERE wave = ?1 AND participant_id % 5 < 3",
                params![wave, opens],
            )
            .expect("responses");
            tx.execute(
                "UPDATE invitations SET status = 'submitted'
                 WHERE wave = ?1 AND participant_id % 5 < 3",
                [wave],
            )
            .expect("statuses");
        }
    }
    tx.commit().expect("commit");
}

/// `count` m6 invitations answered since the last run.
fn new_responses(conn: &mut Connection, participants: usize, count: usize) {
    let tx = conn.transaction().expect("transaction");
    let step = (participants / count).max(1);
    for n in 0..count {
        let id = (n * step + 1) as i64;
        tx.execute(
            "INSERT INTO invitations (participant_id, wave, token, status, issued_at, opens_at,
                                      closes_at)
             VALUES (?1, 'm6', 'm6-' || ?1, 'submitted', '2026-09-01T00:00:00Z',
                     '2026-09-01T00:00:00Z', '2026-10-01T00:00:00Z')",
            [id],
        )
        .expect("invitation");
        tx.execute(
            "INSERT INTO responses (invitation_id, submission_id, form_id, form_version, answers,
                                    language, submitted_at)
             VALUES (last_insert_rowid(), 'm6-sub-' || ?1, 'f', '1',
                     json_object('work_status', 'self', 'income_resell', 900000,
                                 'income_total', 900000),
                     'id', '2026-09-10T00:00:00Z')",
            [id],
        )
        .expect("response");
    }
    tx.commit().expect("commit");
}

/// CPU time this process has used so far, user and system, all threads (Linux: from
/// `/proc/self/stat`, in clock ticks of 1/100 s), 0 elsewhere. On a shared machine the wall
/// time of a run depends on the other processes; its CPU time much less.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| {
            // Fields after the command name, which is in parentheses and may hold spaces:
            // utime and stime are the 14th and 15th fields of the line.
            let rest = &stat[stat.rfind(')')? + 2..];
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let user: f64 = fields.get(11)?.parse().ok()?;
            let system: f64 = fields.get(12)?.parse().ok()?;
            Some((user + system) / 100.0)
        })
        .unwrap_or(0.0)
}
