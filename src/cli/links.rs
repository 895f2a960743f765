//! `pantau links [--wave W] [--json]`: issues the invitations that are due now, then lists the
//! open ones with their personal links, for sending by WhatsApp or SMS.

use std::path::Path;

use super::Failure;
use crate::config::Config;
use crate::invitations;

/// Runs the command.
pub fn run(config_path: Option<&Path>, wave: Option<&str>, json: bool) -> Result<(), Failure> {
    let config = Config::load(config_path).map_err(|e| Failure::Input(e.to_string()))?;
    if let Some(wave) = wave.filter(|w| config.wave(w).is_none()) {
        let known: Vec<&str> = config.waves.iter().map(|w| w.name.as_str()).collect();
        return Err(Failure::Input(format!(
            "there is no wave {wave:?}; the configured waves are {}",
            known.join(", ")
        )));
    }
    let mut conn = crate::db::open(&config.database())?;
    // Listing links must not miss participants who became due since the last job run.
    invitations::issue_due(&mut conn, &config, chrono::Utc::now())?;
    let links = invitations::open_links(&conn, &config.server.public_base_url, wave)?;
    if json {
        for link in &links {
            println!(
                "{}",
                serde_json::to_string(link).map_err(anyhow::Error::from)?
            );
        }
        return Ok(());
    }
    if links.is_empty() {
        println!("no open invitations");
        return Ok(());
    }
    println!("participant\twave\tstatus\tcloses\tlink");
    for link in &links {
        println!(
            "{}\t{}\t{}\t{}\t{}",
            link.participant, link.wave, link.status, link.closes_at, link.url
        );
    }
    eprintln!("{} open invitation(s)", links.len());
    Ok(())
}
