//! `/admin/users`: the staff accounts, and adding one (admins only; the gate checks).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::html;
use serde::Deserialize;

use super::frame::{admin_page, csrf, db, see_other};
use super::gate::Staff;
use crate::accounts::scope::SCOPE_FIELDS;
use crate::accounts::users::{self, AccountError, NewUser};
use crate::accounts::{Role, Scope};
use crate::web::layout::page;
use crate::web::state::AppState;

fn form_markup(staff: &Staff, error: Option<&str>) -> maud::Markup {
    let texts = staff.texts;
    html! {
        h2 { (texts.add_user) }
        @if let Some(error) = error { p.error role="alert" { (error) } }
        form method="post" action="/admin/users" {
            (csrf(&staff.session))
            label for="username" { (texts.username) }
            input id="username" type="text" name="username" required;
            label for="password" { (texts.password) }
            input id="password" type="password" name="password" autocomplete="new-password" required;
            label for="role" { (texts.role) }
            select id="role" name="role" {
                @for role in ["viewer", "field_officer", "manager", "admin"] { option value=(role) { (role) } }
            }
            label for="scope_field" { (texts.scope) }
            select id="scope_field" name="scope_field" {
                option value="" { "—" }
                @for field in SCOPE_FIELDS { option value=(field) { (field) } }
            }
            input type="text" name="scope_value" aria-label=(texts.scope);
            div.buttons { button type="submit" { (texts.add_user) } }
        }
    }
}

async fn render(
    staff: &Staff,
    state: &AppState,
    status: StatusCode,
    error: Option<&str>,
) -> HttpResponse {
    let texts = staff.texts;
    let list = match db(state, texts, |conn| Ok(users::list(conn)?)).await {
        Ok(list) => list,
        Err(response) => return response,
    };
    let body = html! {
        div.scroll tabindex="0" role="region" aria-label=(texts.users) { table {
            thead { tr { th { (texts.username) } th { (texts.role) } th { (texts.scope) } th { (texts.status) } } }
            tbody { @for user in &list { tr {
                td { (user.username) } td { (user.role) }
                td { (user.scope.as_ref().map(ToString::to_string).unwrap_or_default()) }
                td { @if user.disabled_at.is_some() { "disabled" } @else {
                    "active"
                    @if user.id != staff.session.user.id {
                        form method="post" action={ "/admin/users/" (user.id) "/disable" } {
                            (csrf(&staff.session))
                            button.secondary type="submit" { (texts.disable) }
                        }
                    }
                } }
            } } }
        } }
        (form_markup(staff, error))
    };
    page(status, admin_page(texts, &staff.session, texts.users, body))
}

/// `GET /admin/users`.
pub async fn list(staff: Staff, state: web::Data<AppState>) -> HttpResponse {
    render(&staff, &state, StatusCode::OK, None).await
}

/// The add-user form.
#[derive(Debug, Deserialize)]
pub struct AddUser {
    username: String,
    password: String,
    role: String,
    #[serde(default)]
    scope_field: String,
    #[serde(default)]
    scope_value: String,
}

/// `POST /admin/users`.
pub async fn add(
    staff: Staff,
    state: web::Data<AppState>,
    form: web::Form<AddUser>,
) -> HttpResponse {
    let form = form.into_inner();
    let role: Role = match form.role.parse() {
        Ok(role) => role,
        Err(err) => {
            return render(
                &staff,
                &state,
                StatusCode::BAD_REQUEST,
                Some(&err.to_string()),
            )
            .await;
        }
    };
    let scope = if form.scope_field.is_empty() {
        None
    } else {
        match Scope::new(&form.scope_field, &form.scope_value) {
            Ok(scope) => Some(scope),
            Err(err) => {
                return render(
                    &staff,
                    &state,
                    StatusCode::BAD_REQUEST,
                    Some(&err.to_string()),
                )
                .await;
            }
        }
    };
    let actor = staff.session.user.id;
    let outcome = db(&state, staff.texts, move |conn| {
        let new = NewUser {
            username: &form.username,
            role,
            scope,
            password: &form.password,
        };
        match users::add(conn, &new, Some(actor), chrono::Utc::now()) {
            Ok(_) => Ok(None),
            Err(AccountError::Internal(err)) => Err(err),
            Err(other) => Ok(Some(other.to_string())),
        }
    })
    .await;
    match outcome {
        Ok(None) => see_other("/admin/users"),
        Ok(Some(error)) => render(&staff, &state, StatusCode::BAD_REQUEST, Some(&error)).await,
        Err(response) => response,
    }
}

/// `POST /admin/users/{id}/disable`: disables the account and ends its sessions.
pub async fn disable(staff: Staff, state: web::Data<AppState>, id: web::Path<i64>) -> HttpResponse {
    let id = id.into_inner();
    let actor = staff.session.user.id;
    let outcome = db(&state, staff.texts, move |conn| {
        let Some(user) = users::by_id(conn, id)? else {
            return Ok(false);
        };
        match users::disable(conn, &user.username, Some(actor), chrono::Utc::now()) {
            Ok(_) => Ok(true),
            Err(AccountError::Internal(err)) => Err(err),
            Err(_) => Ok(false),
        }
    })
    .await;
    match outcome {
        Ok(true) => see_other("/admin/users"),
        Ok(false) => super::frame::message(
            StatusCode::NOT_FOUND,
            staff.texts,
            staff.texts.not_found,
            "",
        ),
        Err(response) => response,
    }
}
