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
//! with a temporary database; it raises the listener's queue of connections waiting to be
//! accepted to [`BACKLOG`] first (see there why).

pub mod admin;
pub mod i18n;
pub mod layout;
pub mod rate_limit;
pub mod search_indexer;
pub mod security;
pub mod state;
pub mod survey;

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context;

use crate::config::Config;
use state::AppState;

/// Builds the server on `listener` with `config`: loads every wave's form and opens the
/// database first, so that a broken form or database path is an error here rather than in front
/// of a participant. The returned server runs when awaited (inside an actix or tokio runtime).
pub fn server(config: Config, listener: TcpListener) -> anyhow::Result<Server> {
    let max_body = usize::try_from(config.server.max_body_kb)
        .unwrap_or(usize::MAX / 1024)
        .saturating_mul(1024);
    widen_backlog(&listener)?;
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

/// How many connections the kernel keeps waiting for the server to accept them (Linux caps it
/// at `net.core.somaxconn`, 4096 by default since Linux 5.4).
///
/// The standard library listens with a queue of 128. When more connections than that complete
/// their handshake before the server's accept thread drains the queue (a WhatsApp broadcast
/// makes hundreds of phones open the link at once; the load benchmark opens 200 connections at
/// the start of each phase), Linux drops the excess handshakes (`ListenOverflows` in
/// `/proc/net/netstat`) and each of those clients sends its SYN again only after TCP's initial
/// retransmission timeout of one second (then three, then seven). That second was the stall of
/// about 1,008 ms that one run of the paced benchmark met (BENCHMARKS.md, "Survey server
/// load"). A queue far longer than any burst of connections keeps every handshake.
pub const BACKLOG: i32 = 4096;

/// Listens on `listener` again with [`BACKLOG`]: on Linux a second `listen(2)` on a listening
/// socket only changes the length of its queue.
fn widen_backlog(listener: &TcpListener) -> anyhow::Result<()> {
    socket2::SockRef::from(listener)
        .listen(BACKLOG)
        .context("cannot set the queue length of the server's listening socket")
}

/// Any path no route matched.
async fn not_found(state: web::Data<AppState>) -> actix_web::HttpResponse {
    survey::not_found_response(&state)
}

#[cfg(test)]
mod tests {
    use std::net::{TcpListener, TcpStream};
    use std::time::Duration;

    /// More connections than the standard library's queue of 128 arrive before the server
    /// accepts any: with the widened queue the kernel completes every handshake. With 128, the
    /// 130th connection's SYN would be dropped and its connect would wait for an accept that
    /// never comes, failing at the timeout.
    #[test]
    fn a_burst_of_connections_longer_than_128_all_complete_their_handshake() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        super::widen_backlog(&listener).unwrap();
        let address = listener.local_addr().unwrap();
        let connected: Vec<TcpStream> = (0..300)
            .map(|n| {
                TcpStream::connect_timeout(&address, Duration::from_secs(5))
                    .unwrap_or_else(|err| panic!("connection {n} was not accepted: {err}"))
            })
            .collect();
        assert_eq!(connected.len(), 300);
    }
}
