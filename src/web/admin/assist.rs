//! `POST /admin/participants/{id}/assist`: a field officer (for a participant in their scope),
//! a manager or an admin starts filling the participant's open survey on their behalf, during a
//! phone call.
//!
//! The survey then runs through the participant's own link and handlers (same draft, so either
//! can resume what the other started); this handler only issues the grant that marks the
//! officer's answers as assisted (see [`crate::accounts::assist`] for why it cannot be forged),
//! as a cookie limited to that link's path, and records the start in the audit log.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use rusqlite::{OptionalExtension, params};
use serde::Deserialize;

use super::frame::{db, message};
use super::gate::{Staff, secure};
use crate::accounts::{assist, audit};
use crate::invitations::rfc3339;
use crate::web::state::AppState;

/// How long the grant cookie lives at most; the admin session's own expiry ends it sooner.
const GRANT_SECONDS: i64 = 4 * 3600;

/// The form: which of the participant's invitations to fill.
#[derive(Debug, Deserialize)]
pub struct Start {
    invitation: i64,
}

/// `POST /admin/participants/{id}/assist` (role and CSRF checked by the gate; scope here).
pub async fn start(
    staff: Staff,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    form: web::Form<Start>,
) -> HttpResponse {
    let texts = staff.texts;
    let participant = id.into_inner();
    let invitation = form.invitation;
    let user = staff.session.user.id;
    let scope = staff.session.user.scope.clone();
    let found = db(&state, texts, move |conn| {
        if !super::participants::visible(conn, participant, scope.as_ref())? {
            return Ok(None);
        }
        let now = chrono::Utc::now();
        // Only an invitation of this participant whose survey still takes answers.
        let open: Option<(String, String)> = conn
            .query_row(
                "SELECT token, wave FROM invitations
                 WHERE id = ?1 AND participant_id = ?2
                   AND status IN ('issued', 'sent', 'opened', 'declined')
                   AND opens_at <= ?3 AND closes_at > ?3",
                params![invitation, participant, rfc3339(now)],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let Some((token, wave)) = open else {
            return Ok(None);
        };
        let target = format!("participant:{participant}");
        let detail = format!("invitation:{invitation} wave:{wave}");
        audit::record(
            conn,
            now,
            audit::Entry {
                user: Some(user),
                action: "participant.assist.start",
                target: Some(&target),
                detail: Some(&detail),
            },
        )?;
        Ok(Some(token))
    })
    .await;
    let token = match found {
        Ok(Some(token)) => token,
        Ok(None) => return message(StatusCode::NOT_FOUND, texts, texts.not_found, ""),
        Err(response) => return response,
    };
    let value = assist::grant(&staff.session.csrf_token, user, invitation);
    let mut cookie = format!(
        "{}={value}; Path=/s/{token}; HttpOnly; SameSite=Strict; Max-Age={GRANT_SECONDS}",
        assist::COOKIE
    );
    if secure(&state) {
        cookie.push_str("; Secure");
    }
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/s/{token}")))
        .insert_header((header::SET_COOKIE, cookie))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}
