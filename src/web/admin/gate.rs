//! The gate every `/admin` request passes: language, session, role and CSRF.
//!
//! One middleware decides, from the method and path alone ([`required`]), which
//! [`Permission`] a request needs, so no handler can forget a check. It then:
//!
//! 1. picks the language (`?lang=` switches it and a cookie keeps it);
//! 2. lets `/admin/login` through, and sends anyone without a live session there;
//! 3. answers 403 when the role lacks the permission;
//! 4. on a POST, compares the `csrf` form field (or, for a multipart upload, the `csrf` query
//!    parameter, since the body is streamed to disk) with the session's token: 403 when missing
//!    or wrong;
//! 5. hands the [`Session`] and the [`Texts`] to the handler through request extensions
//!    ([`Staff`]).

use std::future::{Ready, ready};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, HttpResponse, web};

use super::frame;
use super::texts::{self, Texts};
use crate::accounts::Permission;
use crate::accounts::sessions::{self, Session};
use crate::web::state::{AppState, with_connection};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "pantau_session";
/// The language cookie's name.
pub const LANG_COOKIE: &str = "pantau_lang";

/// The permission a request needs, decided by method and path; `None` for paths that do not
/// exist (404) and for the login page, which needs none.
pub fn required(method: &Method, path: &str) -> Option<Permission> {
    let rest = path.strip_prefix("/admin")?;
    let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    let post = method == Method::POST;
    use Permission::*;
    Some(match parts.as_slice() {
        [] | ["logout"] => ViewFigures,
        ["participants"] | ["participants", _] if !post => ViewParticipants,
        // Filling on a participant's behalf: whoever may see the participant (scope checked
        // by the handler).
        ["participants", _, "assist"] if post => ViewParticipants,
        ["participants", _, "erase"] if post => ExerciseDataRights,
        ["participants", _, "export"] if !post => ExerciseDataRights,
        ["imports", ..] => ManageImports,
        ["forms", ..] => ViewForms,
        ["reports"] if !post => ViewFigures,
        ["reports", "run"] if post => RunReports,
        // Names, phones and WhatsApp links: whoever may see participants (field officers
        // only their scope's, applied in the query).
        ["calls"] if !post => ViewParticipants,
        ["calls", _] if post => ViewParticipants,
        ["reports", "files", name] if !post => {
            if name.contains("manager") {
                DownloadManagerWorkbook
            } else {
                DownloadDonorWorkbook
            }
        }
        ["outbox"] if !post => ManageOutbox,
        ["outbox", _, "retry"] if post => ManageOutbox,
        ["users", ..] => ManageUsers,
        _ => return None,
    })
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, path `/admin`, Secure when `secure`;
/// `max_age` in seconds (0 deletes).
pub fn set_cookie(name: &str, value: &str, secure: bool, max_age: Option<i64>) -> String {
    let mut text = format!("{name}={value}; Path=/admin; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        text.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        text.push_str("; Secure");
    }
    text
}

/// Whether cookies must be Secure: the public URL is https.
pub fn secure(state: &AppState) -> bool {
    state.config.server.public_base_url.starts_with("https://")
}

fn query_param(query: &str, name: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

/// The middleware. See the module documentation.
pub async fn gate(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let switched = query_param(req.query_string(), "lang").filter(|l| l == "id" || l == "en");
    let code = switched
        .clone()
        .or_else(|| cookie(req.headers(), LANG_COOKIE))
        .unwrap_or_else(|| state.config.programme.default_language.clone());
    let texts = texts::texts(&code);
    req.extensions_mut().insert(texts);
    let secure_cookies = secure(&state);
    let remember_lang = |mut response: ServiceResponse<EitherBody<_>>| {
        if let Some(lang) = &switched {
            let cookie = set_cookie(LANG_COOKIE, lang, secure_cookies, Some(31_536_000));
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
        }
        response
    };
    if req.path() == "/admin/login" {
        let response = next.call(req).await?.map_into_left_body();
        return Ok(remember_lang(response));
    }
    let session = match cookie(req.headers(), SESSION_COOKIE) {
        Some(token) => {
            let database = state.database.clone();
            web::block(move || {
                with_connection(&database, |conn| {
                    sessions::lookup(conn, &token, chrono::Utc::now())
                })
            })
            .await
            .map_err(actix_web::error::ErrorInternalServerError)?
            .map_err(|err| {
                tracing::error!(error = %format!("{err:#}"), "session lookup failed");
                actix_web::error::ErrorInternalServerError("session lookup failed")
            })?
        }
        None => None,
    };
    let Some(session) = session else {
        let response = HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/admin/login"))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish();
        return Ok(remember_lang(
            req.into_response(response).map_into_right_body(),
        ));
    };
    let Some(permission) = required(req.method(), req.path()) else {
        let response = frame::message(StatusCode::NOT_FOUND, texts, texts.not_found, "");
        return Ok(req.into_response(response).map_into_right_body());
    };
    if !session.user.role.allows(permission) {
        tracing::info!(
            user = session.user.id,
            ?permission,
            "admin request refused by role"
        );
        let response = frame::message(
            StatusCode::FORBIDDEN,
            texts,
            texts.forbidden,
            texts.forbidden_body,
        );
        return Ok(req.into_response(response).map_into_right_body());
    }
    if req.method() == Method::POST {
        let multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/"));
        let given = if multipart {
            query_param(req.query_string(), "csrf")
        } else {
            let body = req.extract::<web::Bytes>().await?;
            let token = std::str::from_utf8(&body)
                .ok()
                .and_then(|text| query_param(text, "csrf"));
            req.set_payload(Payload::from(body));
            token
        };
        if !given.is_some_and(|given| sessions::same_token(&given, &session.csrf_token)) {
            tracing::warn!(
                user = session.user.id,
                "admin post without a valid CSRF token"
            );
            let response = frame::message(
                StatusCode::FORBIDDEN,
                texts,
                texts.forbidden,
                texts.forbidden_body,
            );
            return Ok(req.into_response(response).map_into_right_body());
        }
    }
    req.extensions_mut().insert(session);
    let response = next.call(req).await?.map_into_left_body();
    Ok(remember_lang(response))
}

/// What a handler behind the gate receives: the session and the language.
#[derive(Debug, Clone)]
pub struct Staff {
    /// The logged-in session (user, role, scope, CSRF token).
    pub session: Session,
    /// The texts in the chosen language.
    pub texts: &'static Texts,
}

impl FromRequest for Staff {
    type Error = Error;
    type Future = Ready<Result<Staff, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let extensions = req.extensions();
        let texts = extensions
            .get::<&'static Texts>()
            .copied()
            .unwrap_or(&texts::INDONESIAN);
        ready(match extensions.get::<Session>() {
            Some(session) => Ok(Staff {
                session: session.clone(),
                texts,
            }),
            // Only reachable for a route registered outside the gate: refuse rather than serve.
            None => Err(actix_web::error::ErrorForbidden("no session")),
        })
    }
}

/// The texts chosen by the gate, for pages without a session (login).
pub fn request_texts(req: &HttpRequest) -> &'static Texts {
    req.extensions()
        .get::<&'static Texts>()
        .copied()
        .unwrap_or(&texts::INDONESIAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_admin_path_has_one_permission() {
        use Permission::*;
        let get = Method::GET;
        let post = Method::POST;
        assert_eq!(required(&get, "/admin"), Some(ViewFigures));
        assert_eq!(
            required(&get, "/admin/participants/7"),
            Some(ViewParticipants)
        );
        assert_eq!(required(&post, "/admin/participants/7"), None);
        assert_eq!(
            required(&post, "/admin/participants/7/erase"),
            Some(ExerciseDataRights)
        );
        assert_eq!(
            required(&get, "/admin/reports/files/pantau-manager-2026-01-01.xlsx"),
            Some(DownloadManagerWorkbook)
        );
        assert_eq!(
            required(&get, "/admin/reports/files/pantau-donor-2026-01-01.xlsx"),
            Some(DownloadDonorWorkbook)
        );
        assert_eq!(required(&post, "/admin/users"), Some(ManageUsers));
        assert_eq!(
            required(&post, "/admin/participants/7/assist"),
            Some(ViewParticipants)
        );
        assert_eq!(required(&post, "/admin/reports/run"), Some(RunReports));
        assert_eq!(required(&get, "/admin/reports/run"), None);
        assert_eq!(required(&get, "/admin/calls"), Some(ViewParticipants));
        assert_eq!(required(&post, "/admin/calls/3"), Some(ViewParticipants));
        assert_eq!(required(&get, "/admin/nothing"), None);
        assert_eq!(required(&get, "/other"), None);
    }

    #[test]
    fn cookies_are_read_and_flagged() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; pantau_session=abc; b=2"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&headers, "c"), None);
        let set = set_cookie(SESSION_COOKIE, "abc", true, None);
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.ends_with("Secure")
        );
        assert!(!set_cookie(SESSION_COOKIE, "abc", false, None).contains("Secure"));
    }
}
