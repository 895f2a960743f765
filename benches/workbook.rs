//! Workbook benchmark: the donor workbook whose participant sheet has 1,000,000 rows × 30
//! columns, timed and its peak memory taken, next to the floor: rust_xlsxwriter alone writing a
//! plain constant-memory sheet of the same cells generated on the fly (no report in memory).
//!
//! Run with `cargo bench --bench workbook`; `PANTAU_BENCH_ROWS=100000` for a smaller sheet,
//! `PANTAU_BENCH_KEEP=DIR` to keep the written files. Each phase runs in a child process of
//! this binary so that its peak memory (`VmHWM`) is its own.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use chrono::{Datelike, NaiveDate};
use pantau::config::{IndicatorFormat, IndicatorKind, WorkbookVariant};
use pantau::indicators::{Breakdown, Figure, IndicatorResult};
use pantau::report::{
    Column, ColumnFormat, Datum, IndicatorFigures, ParticipantTable, Report, WaveFunnel,
};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

const COLUMNS: usize = 30;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--phase") {
        let (phase, rows, path) = (&args[at + 1], args[at + 2].parse().unwrap(), &args[at + 3]);
        let detail = match phase.as_str() {
            "donor" => donor(rows, Path::new(path)),
            _ => floor(rows, Path::new(path)),
        };
        println!("RESULT {detail} {}", peak_kib());
        return;
    }
    // `cargo test --benches` must not write a million rows.
    if args.iter().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let rows: usize = std::env::var("PANTAU_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let keep = std::env::var_os("PANTAU_BENCH_KEEP").map(PathBuf::from);
    let scratch = tempfile::tempdir().expect("scratch folder");
    let folder = keep.unwrap_or_else(|| scratch.path().to_path_buf());
    std::fs::create_dir_all(&folder).expect("output folder");
    println!("workbook benchmark: participant sheet {rows} rows x {COLUMNS} columns");
    println!(
        "{:<58} {:>9} {:>9} {:>10} {:>8}",
        "phase", "build s", "write s", "peak MiB", "file MB"
    );
    for (phase, label) in [
        (
            "floor",
            "rust_xlsxwriter alone, constant memory, plain sheet",
        ),
        (
            "donor",
            "pantau donor workbook (report built, then written)",
        ),
    ] {
        let path = folder.join(format!("{phase}-{rows}.xlsx"));
        let output = Command::new(std::env::current_exe().unwrap())
            .args(["--phase", phase, &rows.to_string()])
            .arg(&path)
            .output()
            .expect("run phase");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let Some(result) = stdout.lines().find_map(|l| l.strip_prefix("RESULT ")) else {
            panic!(
                "{phase} failed: {stdout}{}",
                String::from_utf8_lossy(&output.stderr)
            );
        };
        let fields: Vec<f64> = result.split(' ').map(|f| f.parse().unwrap()).collect();
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        println!(
            "{label:<58} {:>9.2} {:>9.2} {:>10.0} {:>8.0}",
            fields[0],
            fields[1],
            fields[2] / 1024.0,
            size as f64 / 1e6
        );
    }
}

/// Builds the report (timed apart) and writes the donor workbook; "build write" seconds.
fn donor(rows: usize, path: &Path) -> String {
    let started = Instant::now();
    let report = report(rows);
    let built = started.elapsed().as_secs_f64();
    let started = Instant::now();
    pantau::workbook::write(&report, WorkbookVariant::Donor, "en", path).expect("donor workbook");
    format!("{built:.3} {:.3}", started.elapsed().as_secs_f64())
}

/// rust_xlsxwriter alone: the same cells, generated while writing; "0 write" seconds.
fn floor(rows: usize, path: &Path) -> String {
    let started = Instant::now();
    let mut workbook = Workbook::new();
    let rupiah = Format::new().set_num_format("\"Rp\" #,##0");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let sheet = workbook
        .add_worksheet_with_constant_memory()
        .expect("constant memory sheet");
    for column in 0..COLUMNS {
        sheet
            .write_string(0, column as u16, format!("column {column}"))
            .unwrap();
    }
    for index in 0..rows {
        let row = index as u32 + 1;
        for (column, datum) in participant(index).iter().enumerate() {
            let column = column as u16;
            match datum {
                Datum::Text(text) => sheet.write_string(row, column, text).map(|_| ()),
                Datum::Number(value) => sheet
                    .write_number_with_format(row, column, *value, &rupiah)
                    .map(|_| ()),
                Datum::Date(day) => {
                    let excel = ExcelDateTime::from_ymd(
                        day.year() as u16,
                        day.month() as u8,
                        day.day() as u8,
                    )
                    .unwrap();
                    sheet
                        .write_datetime_with_format(row, column, &excel, &date)
                        .map(|_| ())
                }
                Datum::Empty => Ok(()),
            }
            .unwrap();
        }
    }
    workbook.save(path).expect("floor workbook");
    format!("0 {:.3}", started.elapsed().as_secs_f64())
}

/// One participant row: 5 texts, 2 dates, 23 numbers (Rupiah, counts, shares), every 7th
/// income empty, as a real follow-up export looks.
fn participant(index: usize) -> Vec<Datum> {
    let day = NaiveDate::from_ymd_opt(2026, 1, 1 + (index % 28) as u32).unwrap();
    let mut row = vec![
        Datum::Text(format!("P-{index:07}")),
        Datum::Text(if index.is_multiple_of(2) { "P" } else { "L" }.to_string()),
        Datum::Text(["<30", "30-39", "40-49", "50+"][index % 4].to_string()),
        Datum::Text(["Jawa Barat", "Banten", "DKI Jakarta"][index % 3].to_string()),
        Datum::Text(format!("cohort-{}", index % 12)),
        Datum::Date(day),
        Datum::Date(day),
    ];
    for column in 0..23 {
        row.push(if column % 7 == 3 && index.is_multiple_of(7) {
            Datum::Empty
        } else {
            Datum::Number(((index * 7919 + column * 104_729) % 9_000_000) as f64)
        });
    }
    row
}

fn labels(english: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("en".to_string(), english.to_string())])
}

fn report(rows: usize) -> Report {
    let columns = (0..COLUMNS)
        .map(|column| Column {
            name: format!("column_{column}"),
            label: labels(&format!("column {column}")),
            format: match column {
                0..5 => ColumnFormat::Text,
                5..7 => ColumnFormat::Date,
                7..20 => ColumnFormat::Rupiah,
                20..25 => ColumnFormat::Integer,
                _ => ColumnFormat::Percent,
            },
        })
        .collect();
    let figure = |value: f64| Figure {
        value: Some(value),
        numerator: rows / 2,
        n: rows,
        suppressed: false,
    };
    let indicators = ["baseline", "m3", "m6"]
        .iter()
        .map(|wave| IndicatorFigures {
            id: "income_median".to_string(),
            label: labels("Median monthly income"),
            definition: labels("Median of income_total"),
            kind: IndicatorKind::Median,
            format: IndicatorFormat::Rupiah,
            wave: Some(wave.to_string()),
            baseline: None,
            target: None,
            result: IndicatorResult {
                overall: figure(2_500_000.0),
                breakdowns: vec![Breakdown {
                    dimension: "sex".to_string(),
                    cells: vec![
                        (Some("L".to_string()), figure(2_400_000.0)),
                        (Some("P".to_string()), figure(2_600_000.0)),
                    ],
                }],
            },
        })
        .collect();
    let day = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
    Report {
        programme: "Benchmark".to_string(),
        country: "Indonesia".to_string(),
        run_at: day.and_hms_opt(7, 0, 0).unwrap(),
        period: (NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), day),
        languages: vec!["id".to_string(), "en".to_string()],
        sources: vec![],
        suppression_threshold: 5,
        disaggregations: vec!["sex".to_string()],
        indicators,
        funnel: vec![WaveFunnel {
            wave: "baseline".to_string(),
            invited: rows,
            opened: rows,
            consented: rows,
            declined: 0,
            submitted: rows,
            expired: 0,
        }],
        attendance: vec![],
        participants: ParticipantTable::from_rows(columns, (0..rows).map(participant)),
        dictionary: vec![],
        minimum_wages: vec![],
        quality: vec![],
        manager: None,
    }
}

fn peak_kib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0.0)
}
