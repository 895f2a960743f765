//! `/admin/reports`: the report runs with their outputs, workbook downloads from the reports
//! folder, and "run now". The gate decides from the file name whether it is the manager
//! workbook (`pantau-manager-…`), which viewers and field officers never get.
//!
//! "Run now" (managers and admins) starts the same job the scheduler runs
//! ([`job::run_in_server`]) on a thread of its own, so the page answers at once; a run in
//! progress is shown as running until it records its outcome. While a run holds the job lock
//! the button is refused with a message instead of queueing a second run.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use maud::html;

use super::frame::{admin_page, csrf, db, message, see_other};
use super::gate::Staff;
use crate::accounts::{Permission, audit};
use crate::pipeline::job::{self, JobError, Origin};
use crate::web::layout::page;
use crate::web::state::AppState;

/// Runs shown, newest first.
const SHOWN: i64 = 200;

/// Whether `name` is a plain workbook file name: no folder, no `..`, ends in `.xlsx`.
pub fn plain_workbook_name(name: &str) -> bool {
    !name.is_empty()
        && name.ends_with(".xlsx")
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// `GET /admin/reports`.
pub async fn list(staff: Staff, state: web::Data<AppState>) -> HttpResponse {
    let texts = staff.texts;
    type Run = (i64, String, String, String, Option<String>);
    let runs = db(&state, texts, |conn| {
        let mut stmt = conn.prepare(
            "SELECT id, origin, status, started_at, outputs FROM report_runs
             ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([SHOWN], |row| Run::try_from(row))?;
        Ok(rows.collect::<rusqlite::Result<Vec<Run>>>()?)
    })
    .await;
    let runs = match runs {
        Ok(runs) => runs,
        Err(response) => return response,
    };
    let role = staff.session.user.role;
    let files = |outputs: &Option<String>| -> Vec<String> {
        let value: serde_json::Value = outputs
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or_default();
        let mut names = Vec::new();
        collect_names(&value, &mut names);
        names
            .into_iter()
            .filter(|name| {
                let manager = name.contains("manager");
                role.allows(if manager {
                    Permission::DownloadManagerWorkbook
                } else {
                    Permission::DownloadDonorWorkbook
                })
            })
            .collect()
    };
    let may_run = role.allows(Permission::RunReports);
    let body = html! {
        @if may_run {
            form method="post" action="/admin/reports/run" {
                (csrf(&staff.session))
                div.buttons { button type="submit" { (texts.run_now) } }
            }
        }
        @if runs.iter().any(|run| run.2 == "running") { p.notice { (texts.run_started) } }
        @if runs.is_empty() { p { (texts.none) } } @else {
            div.scroll tabindex="0" role="region" aria-label=(texts.reports) { table {
                thead { tr {
                    th { "#" } th { (texts.started) } th { (texts.status) } th { (texts.outputs) }
                } }
                tbody { @for (id, origin, status, started, outputs) in &runs { tr {
                    td { (id) } td { (started) " · " (origin) }
                    td { @if status == "running" { (texts.running) } @else { (status) } }
                    td { @for name in files(outputs) {
                        a.change href={ "/admin/reports/files/" (name) } { (name) } " "
                    } }
                } } }
            } }
        }
    };
    page(
        StatusCode::OK,
        admin_page(texts, &staff.session, texts.reports, body),
    )
}

/// `POST /admin/reports/run` (managers and admins; the gate checked role and CSRF).
pub async fn run_now(staff: Staff, state: web::Data<AppState>) -> HttpResponse {
    let texts = staff.texts;
    let user = staff.session.user.id;
    let busy = db(&state, texts, move |conn| {
        let now = chrono::Utc::now();
        if job::is_running(conn, now)? {
            return Ok(true);
        }
        audit::action(conn, now, Some(user), "report.run", None)?;
        Ok(false)
    })
    .await;
    match busy {
        Ok(false) => {}
        Ok(true) => return message(StatusCode::CONFLICT, texts, texts.reports, texts.run_busy),
        Err(response) => return response,
    }
    let config = state.config.clone();
    let started = std::thread::Builder::new()
        .name("pantau-run-now".into())
        .spawn(move || run_in_background(&config, user));
    if let Err(err) = started {
        tracing::error!(error = %err, "cannot start the report run thread");
        return message(StatusCode::INTERNAL_SERVER_ERROR, texts, texts.internal, "");
    }
    see_other("/admin/reports")
}

/// The "run now" thread: the job, then who pressed the button on its record.
fn run_in_background(config: &crate::config::Config, user: i64) {
    match job::run_in_server(config, Origin::Admin, &[], chrono::Utc::now()) {
        Ok(record) => {
            let noted = crate::db::open(&config.database()).and_then(|conn| {
                conn.execute(
                    "UPDATE report_runs SET triggered_by = ?1 WHERE id = ?2",
                    rusqlite::params![user, record.id],
                )?;
                Ok(())
            });
            if let Err(err) = noted {
                tracing::warn!(
                    run = record.id,
                    "cannot record who started the run: {err:#}"
                );
            }
            tracing::info!(run = record.id, status = %record.status, user, "run now finished");
        }
        // Another run took the lock between the check and this thread: nothing to do.
        Err(busy @ JobError::Busy { .. }) => tracing::info!(user, "run now skipped: {busy}"),
        Err(JobError::Internal(err)) => tracing::error!(user, "run now failed: {err:#}"),
    }
}

/// Every string in `value` that is a workbook path, as its file name.
fn collect_names(value: &serde_json::Value, names: &mut Vec<String>) {
    match value {
        serde_json::Value::String(text) => {
            let name = text.rsplit(['/', '\\']).next().unwrap_or(text);
            if plain_workbook_name(name) && !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_names(v, names)),
        serde_json::Value::Object(map) => map.values().for_each(|v| collect_names(v, names)),
        _ => {}
    }
}

/// `GET /admin/reports/files/{name}`: a workbook from the reports folder.
pub async fn download(
    staff: Staff,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> HttpResponse {
    let texts = staff.texts;
    let name = name.into_inner();
    if !plain_workbook_name(&name) {
        return message(StatusCode::NOT_FOUND, texts, texts.not_found, "");
    }
    let reports_dir = state.config.reports_dir();
    let user = staff.session.user.id;
    let target = format!("workbook:{name}");
    let wanted = name.clone();
    let read = db(&state, texts, move |conn| {
        let path = reports_dir.join(recorded_path(conn, &wanted)?.unwrap_or(wanted));
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(anyhow::anyhow!("cannot read {}: {err}", path.display())),
        };
        crate::accounts::audit::action(
            conn,
            chrono::Utc::now(),
            Some(user),
            "report.download",
            Some(&target),
        )?;
        Ok(Some(bytes))
    })
    .await;
    match read {
        Ok(Some(bytes)) => HttpResponse::Ok()
            .insert_header((
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ))
            .body(bytes),
        Ok(None) => message(StatusCode::NOT_FOUND, texts, texts.not_found, ""),
        Err(response) => response,
    }
}

/// Where the newest run that wrote a workbook called `name` put it, relative to the reports
/// folder (`run-12/pantau-manager-2026-11-29-id.xlsx`): each run writes into a folder of its
/// own, while the page links by file name. None when no run recorded it (a file placed in the
/// reports folder by hand), or when the recorded path has anything but plain folder names.
fn recorded_path(conn: &rusqlite::Connection, name: &str) -> anyhow::Result<Option<String>> {
    let mut statement =
        conn.prepare("SELECT outputs FROM report_runs WHERE outputs IS NOT NULL ORDER BY id DESC")?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let outputs: String = row.get(0)?;
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&outputs) else {
            continue;
        };
        let mut paths = Vec::new();
        collect_paths(&value, &mut paths);
        let found = paths.into_iter().find(|path| {
            let mut parts: Vec<&str> = path.split(['/', '\\']).collect();
            parts.pop() == Some(name)
                && parts
                    .iter()
                    .all(|part| !part.is_empty() && !part.starts_with('.'))
        });
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// Every string in `value`.
fn collect_paths(value: &serde_json::Value, paths: &mut Vec<String>) {
    match value {
        serde_json::Value::String(text) => paths.push(text.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_paths(v, paths)),
        serde_json::Value::Object(map) => map.values().for_each(|v| collect_paths(v, paths)),
        _ => {}
    }
}
