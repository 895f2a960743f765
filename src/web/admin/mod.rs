//! The admin area at `/admin`: staff log in and see response figures, participants with their
//! timelines, imports, forms, report runs and the outbox, each as their role allows.
//!
//! Besides those pages: the call list with WhatsApp links ([`calls`]), filling a survey on a
//! participant's behalf ([`assist`]) and "run now" on the reports page.
//!
//! Every route sits behind one middleware ([`gate`]) that resolves the session, decides the
//! needed [`crate::accounts::Permission`] from the method and path, and checks the CSRF token
//! of every POST; handlers receive a [`gate::Staff`] and never check roles themselves, except
//! the field officer's scope, which depends on the participant and is applied in the queries.
//! Pages are server-rendered maud in Indonesian or English, with no script (the CSP forbids it).

pub mod assist;
pub mod calls;
pub mod dashboard;
pub mod forms;
pub mod frame;
pub mod gate;
pub mod imports;
pub mod login;
pub mod multipart;
pub mod outbox;
pub mod participants;
pub mod reports;
pub mod texts;
pub mod users;

use actix_web::middleware::from_fn;
use actix_web::web;

/// Registers the admin routes (called once from `crate::web::server`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin")
            .wrap(from_fn(gate::gate))
            .route("", web::get().to(dashboard::show))
            .route("/", web::get().to(dashboard::show))
            .route("/login", web::get().to(login::show))
            .route("/login", web::post().to(login::submit))
            .route("/logout", web::post().to(login::logout))
            .route("/participants", web::get().to(participants::list))
            .route("/participants/{id}", web::get().to(participants::detail))
            .route("/participants/{id}/assist", web::post().to(assist::start))
            .route(
                "/participants/{id}/erase",
                web::post().to(participants::erase),
            )
            .route(
                "/participants/{id}/export",
                web::get().to(participants::export),
            )
            .route("/imports", web::get().to(imports::list))
            .route("/imports", web::post().to(imports::upload))
            .route("/imports/{id}", web::get().to(imports::detail))
            .route("/imports/{id}/errors", web::get().to(imports::errors))
            .route("/forms", web::get().to(forms::list))
            .route("/forms/{name}", web::get().to(forms::preview))
            .route("/reports", web::get().to(reports::list))
            .route("/reports/run", web::post().to(reports::run_now))
            .route("/reports/files/{name}", web::get().to(reports::download))
            .route("/calls", web::get().to(calls::list))
            .route("/calls/{invitation}", web::post().to(calls::record))
            .route("/outbox", web::get().to(outbox::list))
            .route("/outbox/{id}/retry", web::post().to(outbox::retry))
            .route("/users", web::get().to(users::list))
            .route("/users", web::post().to(users::add))
            .route("/users/{id}/disable", web::post().to(users::disable)),
    );
}
