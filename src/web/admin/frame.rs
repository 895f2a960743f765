//! The admin page frame (navigation by role, language switch), message pages, and the helper
//! that runs database work on a blocking thread.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use maud::{DOCTYPE, Markup, html};
use rusqlite::Connection;

use super::texts::Texts;
use crate::accounts::Permission;
use crate::accounts::sessions::Session;
use crate::web::layout::{CSS_VERSION, page};
use crate::web::state::{AppState, with_connection};

/// The `<head>`: the survey's stylesheet (one column, large tap targets, readable on a phone);
/// inline styles would need a CSP exception, so there are none.
fn head(texts: &Texts, title: &str) -> Markup {
    html! {
        meta charset="utf-8";
        meta name="viewport" content="width=device-width, initial-scale=1";
        title { (title) " · " (texts.admin) }
        link rel="stylesheet" href={ "/static/pantau.css?v=" (CSS_VERSION) };
    }
}

/// A full admin page for `session` with `title` and `body`; the navigation shows only what the
/// role may open.
pub fn admin_page(texts: &Texts, session: &Session, title: &str, body: Markup) -> Markup {
    let role = session.user.role;
    let links: [(&str, &str, Permission); 8] = [
        ("/admin", texts.dashboard, Permission::ViewFigures),
        (
            "/admin/participants",
            texts.participants,
            Permission::ViewParticipants,
        ),
        (
            "/admin/calls",
            texts.call_list,
            Permission::ViewParticipants,
        ),
        ("/admin/imports", texts.imports, Permission::ManageImports),
        ("/admin/forms", texts.forms, Permission::ViewForms),
        ("/admin/reports", texts.reports, Permission::ViewFigures),
        ("/admin/outbox", texts.outbox, Permission::ManageOutbox),
        ("/admin/users", texts.users, Permission::ManageUsers),
    ];
    html! {
        (DOCTYPE)
        html lang=(texts.code) {
            head { (head(texts, title)) }
            body {
                nav {
                    p.lang {
                        a href={ "?lang=" (texts.other_code) } lang=(texts.other_code) {
                            (texts.other_name)
                        }
                    }
                    p {
                        @for (href, label, permission) in links {
                            @if role.allows(permission) {
                                a.change href=(href) { (label) } " · "
                            }
                        }
                    }
                    form method="post" action="/admin/logout" {
                        (csrf(session))
                        button.secondary type="submit" { (texts.log_out) " (" (session.user.username) ")" }
                    }
                }
                main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// A page without navigation (login, errors before a session).
pub fn bare_page(texts: &Texts, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(texts.code) {
            head { (head(texts, title)) }
            body {
                // In a landmark, like every other page's language switch.
                header {
                    p.lang {
                        a href={ "?lang=" (texts.other_code) } lang=(texts.other_code) {
                            (texts.other_name)
                        }
                    }
                }
                main { h1 { (title) } (body) }
            }
        }
    }
}

/// A short message page with `status`.
pub fn message(status: StatusCode, texts: &Texts, title: &str, body: &str) -> HttpResponse {
    page(status, bare_page(texts, title, html! { p { (body) } }))
}

/// The hidden CSRF field every state-changing form carries.
pub fn csrf(session: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.csrf_token); }
}

/// Runs `work` with a database connection on a blocking thread; an error is logged and becomes
/// a 500 page.
pub async fn db<T: Send + 'static>(
    state: &AppState,
    texts: &'static Texts,
    work: impl FnOnce(&mut Connection) -> anyhow::Result<T> + Send + 'static,
) -> Result<T, HttpResponse> {
    let database = state.database.clone();
    let outcome = actix_web::web::block(move || with_connection(&database, work)).await;
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => {
            tracing::error!(error = %format!("{err:#}"), "admin database work failed");
            Err(message(
                StatusCode::INTERNAL_SERVER_ERROR,
                texts,
                texts.internal,
                "",
            ))
        }
        Err(err) => {
            tracing::error!(error = %err, "admin blocking task failed");
            Err(message(
                StatusCode::INTERNAL_SERVER_ERROR,
                texts,
                texts.internal,
                "",
            ))
        }
    }
}

/// A 303 to `location`, the answer to every successful form post.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, location))
        .finish()
}

/// A percentage with one decimal, or a dash when there is no denominator.
pub fn percent(part: i64, whole: i64) -> String {
    if whole == 0 {
        "–".to_owned()
    } else {
        format!("{:.1} %", part as f64 * 100.0 / whole as f64)
    }
}
