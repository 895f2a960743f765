//! `/admin/calls`: the field officers' call list on a page, as `pantau calllist` builds it
//! (open invitations, most at risk of dropping out first, with the reasons), with a WhatsApp
//! link that has the invitation typed in, the phone number to call, and a button recording
//! that the participant was called.
//!
//! Names and phones are personal data: viewers never get the page (the gate), and a field
//! officer sees only the participants of their scope. A recorded call is a `reminders` row
//! with channel `phone` and the officer in `sent_by`, so the participant's timeline and the
//! call list's reminder count show it.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::html;
use rusqlite::{OptionalExtension, params};
use serde::Deserialize;

use super::frame::{admin_page, csrf, db, message, see_other};
use super::gate::Staff;
use crate::accounts::audit;
use crate::invitations::rfc3339;
use crate::outreach::call_list_in;
use crate::web::layout::page;
use crate::web::state::AppState;

/// Rows per page: a field officer works through the top of the list.
const PAGE_SIZE: usize = 100;

/// The query string: which page.
#[derive(Debug, Default, Deserialize)]
pub struct Paging {
    #[serde(default)]
    page: Option<usize>,
}

/// `GET /admin/calls`.
pub async fn list(
    staff: Staff,
    state: web::Data<AppState>,
    paging: web::Query<Paging>,
) -> HttpResponse {
    let texts = staff.texts;
    let scope = staff.session.user.scope.clone();
    let page_number = paging.page.unwrap_or(1).max(1);
    let shared = state.clone();
    let rows = db(&state, texts, move |conn| {
        let list = call_list_in(
            conn,
            &shared.config,
            None,
            scope.as_ref(),
            chrono::Utc::now(),
        )?;
        let more = list.len() > page_number * PAGE_SIZE;
        let shown: Vec<_> = list
            .into_iter()
            .skip((page_number - 1) * PAGE_SIZE)
            .take(PAGE_SIZE)
            .collect();
        Ok((shown, more))
    })
    .await;
    let (rows, more) = match rows {
        Ok(rows) => rows,
        Err(response) => return response,
    };
    let body = html! {
        @if rows.is_empty() { p { (texts.none) } } @else {
            div.scroll tabindex="0" role="region" aria-label=(texts.call_list) { table {
                thead { tr {
                    th { (texts.risk) } th { (texts.reasons) } th { (texts.name) }
                    th { (texts.phone) } th { (texts.wave) } th { (texts.reminders) }
                    th { (texts.whatsapp) } th {}
                } }
                tbody { @for row in &rows { tr {
                    td { (row.risk) }
                    td { (row.assessment.describe(texts.code)) }
                    td { a href={ "/admin/participants/" (row.participant_id) } {
                        @if row.name.is_empty() { (row.participant) } @else { (row.name) }
                    } }
                    td { @if !row.phone.is_empty() {
                        a href={ "tel:+" (row.phone) } { (row.phone) }
                    } }
                    td { (row.wave) " · " (row.status) " · " (row.days_since_invited) }
                    td { (row.reminders_sent) }
                    td { @if let Some(link) = &row.whatsapp_link {
                        a.change href=(link) rel="noopener noreferrer" { (texts.whatsapp) }
                    } }
                    td {
                        form method="post" action={ "/admin/calls/" (row.invitation_id) } {
                            (csrf(&staff.session))
                            button.secondary type="submit" { (texts.record_call) }
                        }
                    }
                } } }
            } }
        }
        p {
            @if page_number > 1 {
                a.change href={ "/admin/calls?page=" (page_number - 1) } { (texts.previous) } " "
            }
            @if more { a.change href={ "/admin/calls?page=" (page_number + 1) } { (texts.next) } }
        }
    };
    page(
        StatusCode::OK,
        admin_page(texts, &staff.session, texts.call_list, body),
    )
}

/// `POST /admin/calls/{invitation}`: records that the participant of an open invitation was
/// called (role and CSRF checked by the gate; scope here: outside it the invitation does not
/// exist).
pub async fn record(
    staff: Staff,
    state: web::Data<AppState>,
    invitation: web::Path<i64>,
) -> HttpResponse {
    let texts = staff.texts;
    let invitation = invitation.into_inner();
    let user = staff.session.user.id;
    let scope = staff.session.user.scope.clone();
    let recorded = db(&state, texts, move |conn| {
        let participant: Option<i64> = conn
            .query_row(
                "SELECT participant_id FROM invitations WHERE id = ?1",
                [invitation],
                |row| row.get(0),
            )
            .optional()?;
        let Some(participant) = participant else {
            return Ok(false);
        };
        if !super::participants::visible(conn, participant, scope.as_ref())? {
            return Ok(false);
        }
        let now = chrono::Utc::now();
        let tx = conn.transaction()?;
        // Calls are numbered per invitation, so each has its own row under the
        // (invitation, channel, step) uniqueness the job relies on for its emails.
        tx.execute(
            "INSERT INTO reminders (invitation_id, channel, step, sent_at, sent_by)
             SELECT ?1, 'phone', coalesce(max(step), 0) + 1, ?2, ?3
             FROM reminders WHERE invitation_id = ?1 AND channel = 'phone'",
            params![invitation, rfc3339(now), user],
        )?;
        let target = format!("participant:{participant}");
        let detail = format!("invitation:{invitation}");
        audit::record(
            &tx,
            now,
            audit::Entry {
                user: Some(user),
                action: "participant.call",
                target: Some(&target),
                detail: Some(&detail),
            },
        )?;
        tx.commit()?;
        Ok(true)
    })
    .await;
    match recorded {
        Ok(true) => see_other("/admin/calls"),
        Ok(false) => message(StatusCode::NOT_FOUND, texts, texts.not_found, ""),
        Err(response) => response,
    }
}
