//! `pantau serve [--address ADDR]`: runs the web server (participant surveys) until stopped.
//!
//! The address comes from `--address`, else `[server] address` in the configuration (default
//! `127.0.0.1:8080`). A form with errors or an unusable database stops startup with exit code 1
//! or 2 before anything listens.

use std::net::TcpListener;
use std::path::Path;

use anyhow::Context;

use super::Failure;
use crate::config::Config;

/// Runs the command.
pub fn run(config_path: Option<&Path>, address: Option<&str>) -> Result<(), Failure> {
    let config = Config::load(config_path).map_err(|e| Failure::Input(e.to_string()))?;
    let address = address.unwrap_or(&config.server.address).to_string();
    let listener = TcpListener::bind(&address)
        .map_err(|e| Failure::Input(format!("cannot listen on {address}: {e}")))?;
    let public = config.server.public_base_url.clone();
    actix_web::rt::System::new()
        .block_on(async move {
            let server = crate::web::server(config, listener)?;
            tracing::info!(%address, %public, "pantau is serving");
            server.await.context("the web server stopped with an error")
        })
        .map_err(Failure::Internal)
}
