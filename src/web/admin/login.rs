//! `/admin/login` and `/admin/logout`.
//!
//! Login posts go through the server's per-IP post limiter (`security.rs`) and the account
//! lockout (`accounts::login`). A successful login sets the session cookie: HttpOnly,
//! SameSite=Strict, Secure when the public URL is https, without Max-Age, so the browser drops
//! it when closed while the server ends it after idle time.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;
use serde::Deserialize;

use super::frame::{bare_page, db, see_other};
use super::gate::{SESSION_COOKIE, Staff, cookie, request_texts, secure, set_cookie};
use super::texts::Texts;
use crate::accounts::login::{LoginError, authenticate};
use crate::accounts::{audit, sessions};
use crate::web::layout::page;
use crate::web::state::AppState;

fn login_form(texts: &Texts, refused: bool) -> maud::Markup {
    bare_page(
        texts,
        texts.login_title,
        html! {
            @if refused { p.error role="alert" { (texts.login_refused) } }
            form method="post" action="/admin/login" {
                label for="username" { (texts.username) }
                input id="username" type="text" name="username" autocomplete="username" required;
                label for="password" { (texts.password) }
                input id="password" type="password" name="password" autocomplete="current-password" required;
                div.buttons { button type="submit" { (texts.log_in) } }
            }
        },
    )
}

/// `GET /admin/login`.
pub async fn show(req: HttpRequest) -> HttpResponse {
    page(StatusCode::OK, login_form(request_texts(&req), false))
}

/// The login form's fields.
#[derive(Debug, Deserialize)]
pub struct Credentials {
    username: String,
    password: String,
}

/// `POST /admin/login`.
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<Credentials>,
) -> HttpResponse {
    let texts = request_texts(&req);
    let Credentials { username, password } = form.into_inner();
    let outcome = db(&state, texts, move |conn| {
        let now = chrono::Utc::now();
        match authenticate(conn, &username, &password, now) {
            Ok(user) => Ok(Some(sessions::create(conn, &user, now)?.0)),
            Err(LoginError::Refused) => Ok(None),
            Err(LoginError::Internal(err)) => Err(err),
        }
    })
    .await;
    match outcome {
        Ok(Some(token)) => {
            let mut response = see_other("/admin");
            let value = set_cookie(SESSION_COOKIE, &token, secure(&state), None);
            if let Ok(value) = header::HeaderValue::from_str(&value) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            response
        }
        Ok(None) => page(StatusCode::UNAUTHORIZED, login_form(texts, true)),
        Err(response) => response,
    }
}

/// `POST /admin/logout`: deletes the session and the cookie.
pub async fn logout(req: HttpRequest, staff: Staff, state: web::Data<AppState>) -> HttpResponse {
    let token = cookie(req.headers(), SESSION_COOKIE).unwrap_or_default();
    let user = staff.session.user.id;
    if let Err(response) = db(&state, staff.texts, move |conn| {
        sessions::delete(conn, &token)?;
        audit::action(conn, chrono::Utc::now(), Some(user), "user.logout", None)?;
        Ok(())
    })
    .await
    {
        return response;
    }
    let mut response = see_other("/admin/login");
    let value = set_cookie(SESSION_COOKIE, "", secure(&state), Some(0));
    if let Ok(value) = header::HeaderValue::from_str(&value) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}
