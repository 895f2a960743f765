//! `/admin/forms`: the forms in the forms folder with their validation
//! (`crate::form::check_path`), and a preview of one form's questions in both languages.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::html;

use super::frame::{admin_page, message};
use super::gate::Staff;
use crate::form::{Form, Severity, check_path};
use crate::web::layout::page;
use crate::web::state::AppState;

/// Whether `name` is a plain form file name in the forms folder.
fn plain_form_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    !name.starts_with('.')
        && [".xlsx", ".xls", ".ods"]
            .iter()
            .any(|ext| lower.ends_with(ext))
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '))
}

/// `GET /admin/forms`: every form file with its errors and warnings.
pub async fn list(staff: Staff, state: web::Data<AppState>) -> HttpResponse {
    let texts = staff.texts;
    let folder = state.config.forms_dir();
    let checked = web::block(move || {
        let mut names: Vec<String> = std::fs::read_dir(&folder)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|name| plain_form_name(name))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
            .into_iter()
            .map(|name| {
                let (_, problems) = check_path(&folder.join(&name));
                let lines: Vec<(bool, String)> = problems
                    .iter()
                    .map(|p| (p.severity == Severity::Error, p.to_string()))
                    .collect();
                (name, lines)
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
    let waves: Vec<(String, String)> = state
        .config
        .waves
        .iter()
        .map(|w| (w.name.clone(), w.form.clone()))
        .collect();
    let body = html! {
        @if checked.is_empty() { p { (texts.none) } }
        @for (name, problems) in &checked {
            h2 { (name) }
            p {
                @for (wave, form) in &waves { @if form == name { (texts.wave) " " (wave) " · " } }
                a.change href={ "/admin/forms/" (name) } { (texts.preview) }
            }
            @if problems.is_empty() { p { (texts.valid) } } @else {
                ul { @for (error, line) in problems {
                    li.error[*error] { (line) }
                } }
            }
        }
    };
    page(
        StatusCode::OK,
        admin_page(texts, &staff.session, texts.forms, body),
    )
}

/// `GET /admin/forms/{name}`: each question's type and label in every language of the form.
pub async fn preview(
    staff: Staff,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> HttpResponse {
    let texts = staff.texts;
    let name = name.into_inner();
    if !plain_form_name(&name) {
        return message(StatusCode::NOT_FOUND, texts, texts.not_found, "");
    }
    let path = state.config.forms_dir().join(&name);
    let form = web::block(move || Form::load_path(&path).ok())
        .await
        .ok()
        .flatten();
    let Some(form) = form else {
        return message(StatusCode::NOT_FOUND, texts, texts.not_found, "");
    };
    let languages: Vec<String> = form.languages().iter().map(|l| l.name.clone()).collect();
    let body = html! {
        p { (form.id()) " · " (form.question_count()) }
        div.scroll tabindex="0" role="region" aria-label=(name) { table {
            thead { tr {
                th { (texts.field) } th { "type" }
                @for language in &languages { th { (language) } }
            } }
            tbody { @for field in form.fields() { @if field.kind.is_shown() { tr {
                td { (field.name) } td { (field.kind.type_name()) }
                @for index in 0..languages.len() {
                    td { (field.label.get(index).map(|t| t.source.as_str()).unwrap_or("—")) }
                }
            } } } }
        } }
    };
    page(
        StatusCode::OK,
        admin_page(texts, &staff.session, &name, body),
    )
}
