//! `pantau calllist [--wave W] [--out FILE] [--json]`: the field officers' call list of open
//! invitations, most at risk of dropping out first.
//!
//! Without `--out` or `--json` it prints a tab-separated table; `--out FILE` writes a workbook
//! (headers in the programme's default language); `--json` prints one JSON object per row. The
//! list only reads the database: it shows the invitations the job (or `pantau links`) issued.

use std::path::Path;

use super::Failure;
use crate::config::Config;
use crate::outreach;

/// Runs the command.
pub fn run(
    config_path: Option<&Path>,
    wave: Option<&str>,
    out: Option<&Path>,
    json: bool,
) -> Result<(), Failure> {
    let config = Config::load(config_path).map_err(|e| Failure::Input(e.to_string()))?;
    if let Some(wave) = wave.filter(|w| config.wave(w).is_none()) {
        let known: Vec<&str> = config.waves.iter().map(|w| w.name.as_str()).collect();
        return Err(Failure::Input(format!(
            "there is no wave {wave:?}; the configured waves are {}",
            known.join(", ")
        )));
    }
    if let Some(out) = out.filter(|out| !has_xlsx_extension(out)) {
        return Err(Failure::Input(format!(
            "--out {}: the call list is written as an Excel workbook; name the file .xlsx",
            out.display()
        )));
    }
    let conn = crate::db::open(&config.database())?;
    let rows = outreach::call_list(&conn, &config, wave, chrono::Utc::now())?;
    tracing::info!(rows = rows.len(), "call list built");
    if let Some(out) = out {
        // The path is the user's: a missing folder or a file open in Excel is theirs to fix.
        outreach::write_call_list(&rows, &config.programme.default_language, out)
            .map_err(|e| Failure::Input(e.to_string()))?;
        eprintln!(
            "{} open invitation(s) written to {}",
            rows.len(),
            out.display()
        );
    }
    if json {
        for row in &rows {
            let line = serde_json::to_string(row).map_err(anyhow::Error::from)?;
            println!("{line}");
        }
    } else if out.is_none() {
        print_table(&rows);
    }
    Ok(())
}

fn has_xlsx_extension(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("xlsx"))
}

fn print_table(rows: &[outreach::CallListRow]) {
    if rows.is_empty() {
        println!("no open invitations");
        return;
    }
    println!("risk\twhy\tname\tphone\twave\tdays\treminders\tlink\twhatsapp");
    for row in rows {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            row.risk,
            row.why,
            row.name,
            row.phone,
            row.wave,
            row.days_since_invited,
            row.reminders_sent,
            row.survey_link,
            row.whatsapp_link.as_deref().unwrap_or("")
        );
    }
    eprintln!("{} open invitation(s)", rows.len());
}
