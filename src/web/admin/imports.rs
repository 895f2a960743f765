//! `/admin/imports`: the roster imports with their summaries, a roster upload through the same
//! path as `pantau import` (`crate::import::import_file`), and each import's error workbook.
//!
//! The upload form posts multipart with the CSRF token in its action's query string (the gate
//! checks it there, since it does not buffer multipart bodies). The body is read up to
//! `[server] max_upload_mb`; a larger one is refused with 413.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;
use rusqlite::OptionalExtension;

use super::frame::{admin_page, db, message, see_other};
use super::gate::Staff;
use super::multipart;
use crate::accounts::audit;
use crate::import::{self, ImportOptions, NoProgress};
use crate::reference::Reference;
use crate::roster::Aliases;
use crate::web::layout::page;
use crate::web::state::AppState;

/// Imports listed, newest first.
const SHOWN: i64 = 200;

/// One `roster_imports` row as listed.
type ImportRow = (
    i64,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    Option<String>,
);

/// `GET /admin/imports`.
pub async fn list(staff: Staff, state: web::Data<AppState>) -> HttpResponse {
    let texts = staff.texts;
    let rows = db(&state, texts, |conn| {
        let mut stmt = conn.prepare(
            "SELECT id, file_name, status, started_at, rows_read, rows_new, rows_updated,
                    rows_rejected, error_workbook
             FROM roster_imports ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([SHOWN], |r| ImportRow::try_from(r))?;
        Ok(rows.collect::<rusqlite::Result<Vec<ImportRow>>>()?)
    })
    .await;
    let rows = match rows {
        Ok(rows) => rows,
        Err(response) => return response,
    };
    let action = format!("/admin/imports?csrf={}", staff.session.csrf_token);
    let body = html! {
        form method="post" action=(action) enctype="multipart/form-data" {
            label for="roster" { (texts.upload) " (.xlsx, .xls, .ods, .csv)" }
            input id="roster" type="file" name="roster" accept=".xlsx,.xls,.ods,.csv" required;
            div.buttons { button type="submit" { (texts.upload) } }
        }
        @if rows.is_empty() { p { (texts.none) } } @else {
            div.scroll tabindex="0" role="region" aria-label=(texts.imports) { table {
                thead { tr {
                    th { "#" } th { (texts.file) } th { (texts.status) } th { (texts.rows) }
                    th { (texts.error_workbook) }
                } }
                tbody { @for (id, file, status, started, read, new, updated, rejected, errors) in &rows { tr {
                    td { a href={ "/admin/imports/" (id) } { (id) } }
                    td { (file) " · " (started) }
                    td { (status) }
                    td { (read) " / +" (new) " / ~" (updated) " / ✗" (rejected) }
                    td { @if errors.is_some() {
                        a href={ "/admin/imports/" (id) "/errors" } { (texts.error_workbook) }
                    } }
                } } }
            } }
        }
    };
    page(
        StatusCode::OK,
        admin_page(texts, &staff.session, texts.imports, body),
    )
}

/// `POST /admin/imports?csrf=…` with a multipart body holding the file in field `roster`.
pub async fn upload(
    req: HttpRequest,
    staff: Staff,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let texts = staff.texts;
    let limit = usize::try_from(state.config.server.max_upload_mb)
        .unwrap_or(usize::MAX)
        .saturating_mul(1024 * 1024);
    let body = match payload.to_bytes_limited(limit).await {
        Ok(Ok(body)) => body,
        Ok(Err(_)) => {
            return message(
                StatusCode::BAD_REQUEST,
                texts,
                texts.problems,
                "upload interrupted",
            );
        }
        Err(_) => {
            let text = format!("max {} MiB", state.config.server.max_upload_mb);
            return message(StatusCode::PAYLOAD_TOO_LARGE, texts, texts.problems, &text);
        }
    };
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let upload = match multipart::boundary(content_type)
        .and_then(|b| multipart::file_part(&body, &b, "roster"))
    {
        Ok(upload) => upload,
        Err(err) => {
            return message(
                StatusCode::BAD_REQUEST,
                texts,
                texts.problems,
                &err.to_string(),
            );
        }
    };
    drop(body);
    let extra: Vec<(String, Vec<String>)> = state
        .config
        .roster
        .aliases
        .iter()
        .map(|(field, spellings)| (field.clone(), spellings.clone()))
        .collect();
    let aliases = match Aliases::new(&extra) {
        Ok(aliases) => aliases,
        Err(err) => {
            return message(
                StatusCode::INTERNAL_SERVER_ERROR,
                texts,
                texts.internal,
                &err,
            );
        }
    };
    let reports_dir = state.config.reports_dir();
    let tz = state.config.programme.time_zone;
    let user = staff.session.user.id;
    let outcome = db(&state, texts, move |conn| {
        let now = chrono::Utc::now();
        let reference = Reference::builtin();
        let options = ImportOptions {
            dry_run: false,
            today: now.with_timezone(&tz).date_naive(),
            now,
            reports_dir: &reports_dir,
            aliases: &aliases,
            reference: &reference,
            record_skipped: true,
            progress: &NoProgress,
        };
        let outcome = import::import_file(conn, &upload.file_name, &upload.bytes, &options);
        if let Some(id) = outcome.import_id {
            conn.execute(
                "UPDATE roster_imports SET imported_by = ?1 WHERE id = ?2",
                [user, id],
            )?;
            let target = format!("import:{id}");
            audit::action(conn, now, Some(user), "import.upload", Some(&target))?;
        }
        Ok(outcome.import_id)
    })
    .await;
    match outcome {
        Ok(Some(id)) => see_other(&format!("/admin/imports/{id}")),
        Ok(None) => see_other("/admin/imports"),
        Err(response) => response,
    }
}

/// `GET /admin/imports/{id}`: the import's counts, summary and problems.
pub async fn detail(staff: Staff, state: web::Data<AppState>, id: web::Path<i64>) -> HttpResponse {
    let texts = staff.texts;
    let id = id.into_inner();
    type Detail = (
        ImportRow,
        Option<String>,
        Vec<(Option<String>, Option<i64>, Option<String>, String, String)>,
    );
    let found = db(&state, texts, move |conn| {
        let row = conn
            .query_row(
                "SELECT id, file_name, status, started_at, rows_read, rows_new, rows_updated,
                        rows_rejected, error_workbook, summary
                 FROM roster_imports WHERE id = ?1",
                [id],
                |r| Ok((ImportRow::try_from(r)?, r.get(9)?)),
            )
            .optional()?;
        let Some((row, summary)) = row else {
            return Ok(None);
        };
        let mut stmt = conn.prepare(
            "SELECT sheet, row, column_name, severity, message FROM roster_import_problems
             WHERE import_id = ?1 ORDER BY id LIMIT 200",
        )?;
        let problems = stmt
            .query_map([id], |r| <_>::try_from(r))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Some((row, summary, problems)))
    })
    .await;
    let (row, summary, problems): Detail = match found {
        Ok(Some(found)) => found,
        Ok(None) => return message(StatusCode::NOT_FOUND, texts, texts.not_found, ""),
        Err(response) => return response,
    };
    let (id, file, status, started, read, new, updated, rejected, errors) = row;
    let body = html! {
        dl {
            dt { (texts.file) } dd { (file) " · " (started) }
            dt { (texts.status) } dd id="status" { (status) }
            dt { (texts.rows) } dd id="rows" {
                "read " (read) ", new " (new) ", updated " (updated) ", rejected " (rejected)
            }
        }
        @if let Some(summary) = summary { pre { (summary) } }
        @if errors.is_some() {
            p { a.change href={ "/admin/imports/" (id) "/errors" } { (texts.error_workbook) } }
        }
        h2 { (texts.problems) }
        @if problems.is_empty() { p { (texts.none) } } @else {
            ul { @for (sheet, row, column, severity, text) in &problems {
                li { (severity) " · " (sheet.as_deref().unwrap_or("")) " "
                     (row.map(|r| r.to_string()).unwrap_or_default()) " "
                     (column.as_deref().unwrap_or("")) ": " (text) }
            } }
        }
    };
    let title = format!("{} #{id}", texts.imports);
    page(
        StatusCode::OK,
        admin_page(texts, &staff.session, &title, body),
    )
}

/// `GET /admin/imports/{id}/errors`: the error workbook, from the reports folder.
pub async fn errors(staff: Staff, state: web::Data<AppState>, id: web::Path<i64>) -> HttpResponse {
    let texts = staff.texts;
    let id = id.into_inner();
    let reports_dir = state.config.reports_dir();
    let found = db(&state, texts, move |conn| {
        let relative: Option<Option<String>> = conn
            .query_row(
                "SELECT error_workbook FROM roster_imports WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()?;
        let Some(relative) = relative.flatten() else {
            return Ok(None);
        };
        // The column is written by the import itself; still refuse anything leaving the folder.
        if relative.split(['/', '\\']).any(|part| part == "..") {
            return Ok(None);
        }
        let path = reports_dir.join(&relative);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some((name, bytes))),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(anyhow::anyhow!("cannot read {}: {err}", path.display())),
        }
    })
    .await;
    match found {
        Ok(Some((name, bytes))) => HttpResponse::Ok()
            .insert_header((
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", name.replace('"', "")),
            ))
            .body(bytes),
        Ok(None) => message(StatusCode::NOT_FOUND, texts, texts.not_found, ""),
        Err(response) => response,
    }
}
