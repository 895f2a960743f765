//! The web server: the participant survey at `/s/{token}` (see [`survey`]), its stylesheet, and
//! one not-found page for everything else.
//!
//! The layer is thin: a handler parses the request, does its database work and form evaluation
//! (reads on the worker thread itself, writes on a blocking thread with `web::block`; one
//! reused SQLite connection per thread, see `state.rs`) and renders maud markup. The form engine ([`crate::form`]) never sees HTTP.
//!
//! Invariants:
//!
//! - an unknown token and an unknown path get byte-for-byte the same 404 page;
//! - no page uses JavaScript; the content security policy forbids it (`security.rs`);
//! - a participant's answers are committed to disk before any page says they were received;
//! - logs carry invitation ids, never tokens, names or answers: the request log (in
//!   `security.rs`) writes the route with the token replaced, never the path as sent.
//!
//! [`server`] builds the server on a listener the caller bound, so that tests run it on port 0
//! with a temporary database.

pub mod admin;
pub mod i18n;
pub mod layout;
pub mod rate_limit;
pub mod security;
pub mod state;
pub mod survey;

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};

use crate::config::Config;
use state::AppState;

/// Builds the server on `listener` with `config`: loads every wave's form and opens the
/// database first, so that a broken form or database path is an error here rather than in front
/// of a participant. The returned server runs when awaited (inside an actix or tokio runtime).
pub fn server(config: Config, listener: TcpListener) -> anyhow::Result<Server> {
    let max_body = usize::try_from(config.server.max_body_kb)
        .unwrap_or(usize::MAX / 1024)
        .saturating_mul(1024);
    let state = web::Data::new(AppState::new(config)?);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::PayloadConfig::new(max_body))
            .wrap(from_fn(security::guard))
            .wrap(security::headers())
            .wrap(Compress::default())
            .route("/static/pantau.css", web::get().to(layout::stylesheet))
            .configure(survey::routes)
            .configure(admin::routes)
            .default_service(web::to(not_found))
    })
    .listen(listener)?
    .run();
    Ok(server)
}

/// Any path no route matched.
async fn not_found(state: web::Data<AppState>) -> actix_web::HttpResponse {
    survey::not_found_response(&state)
}
