//! `/admin/outbox`: every email with its status, and a retry for failed ones.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::html;
use rusqlite::params;

use super::frame::{admin_page, csrf, db, message, see_other};
use super::gate::Staff;
use crate::accounts::audit;
use crate::invitations::rfc3339;
use crate::web::layout::page;
use crate::web::state::AppState;

/// Emails shown, newest first.
const SHOWN: i64 = 500;

/// `GET /admin/outbox`.
pub async fn list(staff: Staff, state: web::Data<AppState>) -> HttpResponse {
    let texts = staff.texts;
    type Email = (i64, String, String, String, i64, Option<String>, String);
    let emails = db(&state, texts, |conn| {
        let mut stmt = conn.prepare(
            "SELECT id, recipient, subject, status, attempts, last_error, created_at
             FROM email_outbox ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([SHOWN], |row| Email::try_from(row))?;
        Ok(rows.collect::<rusqlite::Result<Vec<Email>>>()?)
    })
    .await;
    let emails = match emails {
        Ok(emails) => emails,
        Err(response) => return response,
    };
    let body = html! {
        @if emails.is_empty() { p { (texts.none) } } @else {
            div.scroll tabindex="0" role="region" aria-label=(texts.outbox) { table {
                thead { tr {
                    th { "#" } th { (texts.recipient) } th { (texts.subject) } th { (texts.status) }
                    th { (texts.attempts) } th { (texts.last_error) } th {}
                } }
                tbody { @for (id, recipient, subject, status, attempts, error, created) in &emails { tr {
                    td { (id) } td { (recipient) } td { (subject) " · " (created) } td { (status) }
                    td { (attempts) } td { (error.as_deref().unwrap_or("")) }
                    td { @if status == "failed" {
                        form method="post" action={ "/admin/outbox/" (id) "/retry" } {
                            (csrf(&staff.session))
                            button.secondary type="submit" { (texts.retry) }
                        }
                    } }
                } } }
            } }
        }
    };
    page(
        StatusCode::OK,
        admin_page(texts, &staff.session, texts.outbox, body),
    )
}

/// `POST /admin/outbox/{id}/retry`: a failed email goes back to the queue, due now.
pub async fn retry(staff: Staff, state: web::Data<AppState>, id: web::Path<i64>) -> HttpResponse {
    let texts = staff.texts;
    let id = id.into_inner();
    let user = staff.session.user.id;
    let changed = db(&state, texts, move |conn| {
        let now = chrono::Utc::now();
        let changed = conn.execute(
            "UPDATE email_outbox SET status = 'queued', next_attempt_at = ?1
             WHERE id = ?2 AND status = 'failed'",
            params![rfc3339(now), id],
        )?;
        if changed == 1 {
            audit::action(
                conn,
                now,
                Some(user),
                "email.retry",
                Some(&format!("email:{id}")),
            )?;
        }
        Ok(changed == 1)
    })
    .await;
    match changed {
        Ok(true) => see_other("/admin/outbox"),
        Ok(false) => message(StatusCode::NOT_FOUND, texts, texts.not_found, ""),
        Err(response) => response,
    }
}
