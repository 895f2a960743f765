//! The participant survey at `/s/{token}`: consent, one screen at a time, review, submit.
//!
//! Routes:
//!
//! - `GET /s/{token}` shows where the participant is: the consent screen, the screen they
//!   stopped at (the draft's `screen`), the review, or the outcome (received on a date, closed,
//!   declined). `?lang=en|id` switches the language and keeps it in the draft; `?screen=NAME`
//!   opens the screen holding field `NAME` (the review's "change" links and Back from review);
//!   `?consent=again` shows the consent screen again to a participant who declined (the
//!   declined page links there while the window is open).
//! - `POST /s/{token}/consent` records the decision with [`CONSENT_VERSION`] as a new row: a
//!   participant who declined may come back and accept, and the latest decision counts.
//! - `POST /s/{token}` saves one screen (`_action=next` checks it and moves on; `_action=back`
//!   keeps what was typed, even if not yet valid, and goes back), then redirects to the GET
//!   (post/redirect/get, so that reloading never posts twice). A refused screen is shown again
//!   with the errors and the typed values. Every post carries the draft version it was rendered
//!   from; a post from a stale page (another tab moved on) is refused with the latest state.
//! - `POST /s/{token}/submit` stores the response exactly once through the submission writer
//!   (see `commit.rs`, group commit) and shows the thank-you page only after the commit.
//!
//! A staff member filling the survey on a participant's behalf during a phone call uses these
//! same routes and the same draft: the admin area gives their browser a grant cookie for this
//! one link (see [`crate::accounts::assist`]); while it holds, the consent screen says an
//! officer is filling in and reads the consent aloud, and the consent and the response are
//! stored with `assisted_by`. The participant can resume what the officer started, and the
//! other way round.
//!
//! Reads run on the worker thread (a screen view, the checks before a submission); work that
//! writes runs in `web::block`, and a final submission awaits the group commit without holding
//! a thread. Logs name the invitation id, never the token or an
//! answer.
//!
//! Files: this one (routes and the flow between pages), `surveyed.rs` (the form evaluated for
//! one participant, and the screen, review and stale pages), `metadata.rs` (`start`, `end`
//! and the other XLSForm metadata filled on the server), `pages.rs` (markup), `store.rs`
//! (database), `commit.rs` (the writer thread that commits final submissions in groups),
//! `checkpoint.rs` (the WAL's checkpoints), `pulse.rs` (what those threads do, and a watchdog
//! that logs every stall in the answers).

mod checkpoint;
pub(crate) mod commit;
mod metadata;
mod opt_out;
mod pages;
mod pulse;
mod store;
mod surveyed;

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use anyhow::Context;
use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::i18n::{self, CONSENT_VERSION, Texts};
use super::layout::page;
use super::state::{AppState, with_connection};
use crate::accounts::assist::{self, Assistant};
use store::{Draft, Situation};
use surveyed::{Surveyed, screen_key};

pub use pages::is_money;

/// The draft's `screen` value for the review screen.
const REVIEW: &str = "review";

/// Registers the survey routes.
///
/// One scope for every personal link: the router matches the `/s/{token}` prefix once (a
/// regular expression, run by `regex_lite`'s slow but small engine) and the rest of the path as
/// plain text. As separate routes, each was a regular expression tried in turn, four for a
/// final submission: 3 % of the server's CPU in the submissions phase of
/// `benches/survey_load.rs`. A path or method no route takes falls through to the app's one
/// not-found page, as before.
pub fn routes(config: &mut web::ServiceConfig) {
    config.service(
        web::scope("/s/{token}")
            .route("", web::get().to(show))
            .route("", web::post().to(answer))
            .route("/submit", web::post().to(submit))
            .route("/consent", web::post().to(consent))
            .configure(opt_out::routes),
    );
}

/// What a handler decided, built on a blocking thread and turned into a response on the
/// executor.
enum Reply {
    Page(StatusCode, String),
    Redirect(String),
    NotFound,
    /// A page that says a response read from the database was received: sent only once every
    /// submission committed so far is on disk (see `commit.rs`: a commit is visible to readers
    /// a moment before its sync completes).
    Durable(Box<Reply>),
}

/// Runs `work` on a blocking thread with a reused connection, and turns its outcome into a
/// response. For work that writes: a write may wait for the database's write lock (the
/// submission writer holds it through each group commit), which must never stall a worker.
async fn run(
    state: web::Data<AppState>,
    work: impl FnOnce(&AppState, &mut Connection) -> anyhow::Result<Reply> + Send + 'static,
) -> HttpResponse {
    let shared = state.clone();
    let outcome = web::block(move || {
        let state = shared.get_ref();
        with_connection(&state.database, |conn| work(state, conn))
    })
    .await;
    match outcome {
        Ok(outcome) => respond(&state, outcome).await,
        Err(err) => {
            tracing::error!(error = %err, "survey worker failed");
            error_page(&state)
        }
    }
}

/// Runs read-only `work` right here on the worker thread, with this thread's connection.
///
/// Reads never wait for a lock in WAL mode, and a survey screen's reads take microseconds
/// from the page cache or the memory-mapped file, less than handing them to a blocking thread
/// and back (two thread switches, and a cold connection on each of hundreds of blocking
/// threads). So the common requests (a screen view, the reads before a submission) are served
/// here, and only work that writes goes through [`run`].
fn read_here<T>(
    state: &AppState,
    work: impl FnOnce(&AppState, &mut Connection) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    with_connection(&state.database, |conn| work(state, conn))
}

/// The response for a handler's outcome; failures are logged (without the token) and shown
/// as an opaque error page.
async fn respond(state: &AppState, outcome: anyhow::Result<Reply>) -> HttpResponse {
    let mut outcome = outcome;
    while let Ok(Reply::Durable(reply)) = outcome {
        outcome = state.submissions.durable().await.map(|()| *reply);
    }
    match outcome {
        Ok(Reply::Page(status, body)) => page_from_string(status, body),
        Ok(Reply::Redirect(to)) => HttpResponse::SeeOther()
            .insert_header((LOCATION, to))
            .finish(),
        Ok(Reply::NotFound) => not_found_response(state),
        // Unwrapped by the loop above.
        Ok(Reply::Durable(_)) => error_page(state),
        Err(err) => {
            tracing::error!(error = %format!("{err:#}"), "survey request failed");
            error_page(state)
        }
    }
}

fn error_page(state: &AppState) -> HttpResponse {
    let texts = i18n::texts(&state.config.programme.default_language);
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        pages::error(texts, &state.config.programme.contact),
    )
}

fn page_from_string(status: StatusCode, body: String) -> HttpResponse {
    use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
    HttpResponse::build(status)
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((CACHE_CONTROL, "no-store"))
        .body(body)
}

/// The one not-found response, for unknown paths and unknown tokens alike.
pub fn not_found_response(state: &AppState) -> HttpResponse {
    let texts = i18n::texts(&state.config.programme.default_language);
    page(
        StatusCode::NOT_FOUND,
        pages::not_found(texts, &state.config.programme.contact),
    )
}

/// `GET /s/{token}`.
///
/// A view is first tried read-only on the worker thread ([`read_here`]); the few views that
/// write (the first opening of a link, the first question screen's `start` stamp, a language
/// switch) are done again on a blocking thread, where waiting for the write lock harms nobody.
async fn show(
    state: web::Data<AppState>,
    token: web::Path<String>,
    req: HttpRequest,
) -> HttpResponse {
    let token = token.into_inner();
    let assist = assist_cookie(&req);
    let query: BTreeMap<String, String> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    match read_here(&state, |state, conn| {
        view(
            state,
            conn,
            &token,
            &query,
            assist.as_deref(),
            Writes::Refused,
        )
    }) {
        Ok(Some(reply)) => respond(&state, Ok(reply)).await,
        Err(err) => respond(&state, Err(err)).await,
        Ok(None) => {
            run(state, move |state, conn| {
                view(
                    state,
                    conn,
                    &token,
                    &query,
                    assist.as_deref(),
                    Writes::Allowed,
                )?
                .context("a survey view with writes allowed gave no page")
            })
            .await
        }
    }
}

/// Whether a view may write to the database.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Writes {
    /// Read only: on a write, give up with `None` so the caller retries with writes allowed.
    Refused,
    Allowed,
}

/// What `GET /s/{token}` shows; `None` when the view needs a write that `writes` refuses.
fn view(
    state: &AppState,
    conn: &mut Connection,
    token: &str,
    query: &BTreeMap<String, String>,
    assist: Option<&str>,
    writes: Writes,
) -> anyhow::Result<Option<Reply>> {
    let now = Utc::now();
    let Some(situation) = store::situation(conn, token)? else {
        return Ok(Some(Reply::NotFound));
    };
    let asked = query.get("lang").and_then(|l| i18n::parse_language(l));
    if let (Some(lang), Some(draft)) = (asked, &situation.draft)
        && draft.language.as_deref() != Some(lang)
    {
        if writes == Writes::Refused {
            return Ok(None);
        }
        store::set_language(conn, situation.invitation.id, lang)?;
    }
    let texts = language(state, asked, situation.draft.as_ref());
    let reconsider = query.get("consent").is_some_and(|v| v == "again");
    if let Some(reply) = ending(state, &situation, texts, now, token, reconsider) {
        return Ok(Some(reply));
    }
    // Only the first opening writes: a plain page view stays a read.
    if matches!(situation.invitation.status.as_str(), "issued" | "sent") {
        if writes == Writes::Refused {
            return Ok(None);
        }
        store::mark_opened(conn, situation.invitation.id, now)?;
    }
    let Some(draft) = situation
        .draft
        .as_ref()
        .filter(|_| situation.consent.as_deref() == Some("accepted"))
    else {
        let name = store::first_name(conn, situation.invitation.participant_id)?;
        let assistant = assistant(conn, assist, &situation, now)?;
        let markup = pages::consent(
            texts,
            token,
            name.as_deref(),
            state.config.programme.retention_months,
            assistant.as_ref().map(|a| a.username.as_str()),
        );
        return Ok(Some(Reply::Page(StatusCode::OK, markup.into_string())));
    };
    let target = query.get("screen").map(String::as_str);
    let surveyed = Surveyed::new(state, conn, &situation, texts, now)?;
    let mut answers = draft.answers.clone();
    let server = &state.config.server;
    let stamped = metadata::fill(
        surveyed.form,
        &mut answers,
        metadata::Moment::Screen,
        now,
        state.config.programme.time_zone,
        &server.public_base_url,
    );
    let started = if stamped {
        if writes == Writes::Refused {
            return Ok(None);
        }
        stamp_start(
            conn,
            &surveyed,
            situation.invitation.id,
            draft,
            answers,
            now,
        )?
    } else {
        None
    };
    surveyed
        .current(token, started.as_ref().unwrap_or(draft), target, None)
        .map(Some)
}

/// Stores `answers` (the draft with the form's `start` metadata just filled) the first time a
/// question screen is shown, and returns the draft as saved; `None` when another tab saved
/// first (the next page view stamps it).
fn stamp_start(
    conn: &Connection,
    surveyed: &Surveyed<'_>,
    invitation: i64,
    draft: &Draft,
    answers: BTreeMap<String, String>,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<Draft>> {
    let screen = draft.screen.clone().unwrap_or_else(|| {
        let evaluation = surveyed.evaluate(&answers);
        evaluation
            .first_screen()
            .map_or_else(|| REVIEW.to_string(), |s| screen_key(&evaluation, s))
    });
    if !store::save_draft(conn, invitation, draft.version, &answers, &screen, now)? {
        return Ok(None);
    }
    Ok(Some(Draft {
        answers,
        screen: Some(screen),
        language: draft.language.clone(),
        version: draft.version + 1,
    }))
}

/// `POST /s/{token}/consent`.
async fn consent(
    state: web::Data<AppState>,
    token: web::Path<String>,
    body: web::Bytes,
    req: HttpRequest,
) -> HttpResponse {
    let token = token.into_inner();
    let assist = assist_cookie(&req);
    let fields = parse_body(&body);
    run(state, move |state, conn| {
        let now = Utc::now();
        let Some(situation) = store::situation(conn, &token)? else {
            return Ok(Reply::NotFound);
        };
        let asked = fields.get("lang").and_then(|l| i18n::parse_language(l));
        let texts = language(state, asked, situation.draft.as_ref());
        // A participant who declined may decide again while the window is open.
        if let Some(reply) = ending(state, &situation, texts, now, &token, true) {
            return Ok(reply);
        }
        let id = situation.invitation.id;
        let assistant = assistant(conn, assist.as_deref(), &situation, now)?;
        let assistant = assistant.as_ref();
        let invitation = &situation.invitation;
        match fields.get("decision").map(String::as_str) {
            Some("accept") => {
                store::record_consent(
                    conn,
                    invitation,
                    true,
                    CONSENT_VERSION,
                    texts.code,
                    assistant,
                    now,
                )?;
                tracing::info!(invitation = id, "consent accepted");
                Ok(Reply::Redirect(format!("/s/{token}")))
            }
            Some("decline") => {
                store::record_consent(
                    conn,
                    invitation,
                    false,
                    CONSENT_VERSION,
                    texts.code,
                    assistant,
                    now,
                )?;
                tracing::info!(invitation = id, "consent declined");
                let again = format!("/s/{token}?consent=again");
                let markup = pages::declined(texts, &state.config.programme.contact, Some(&again));
                Ok(Reply::Page(StatusCode::OK, markup.into_string()))
            }
            _ => Ok(Reply::Redirect(format!("/s/{token}"))),
        }
    })
    .await
}

/// `POST /s/{token}`: one screen's answers.
async fn answer(
    state: web::Data<AppState>,
    token: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let token = token.into_inner();
    let fields = parse_body(&body);
    run(state, move |state, conn| {
        let now = Utc::now();
        let (situation, texts) = match consented(state, conn, &token, now)? {
            Ok(open) => open,
            Err(reply) => return Ok(reply),
        };
        let Some(draft) = situation.draft.as_ref() else {
            return Ok(Reply::Redirect(format!("/s/{token}")));
        };
        let surveyed = Surveyed::new(state, conn, &situation, texts, now)?;
        let version: Option<i64> = fields.get("_version").and_then(|v| v.parse().ok());
        let screen = fields
            .get("_screen")
            .and_then(|key| surveyed.form.screen_of(key));
        let (Some(version), Some(screen)) = (version, screen) else {
            return Ok(Reply::Redirect(format!("/s/{token}")));
        };
        if version != draft.version {
            return surveyed.stale(&token, draft);
        }
        let back = fields.get("_action").map(String::as_str) == Some("back");
        let submitted: BTreeMap<String, String> = fields
            .iter()
            .filter(|(name, _)| !name.starts_with('_'))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        let evaluation = surveyed.evaluate(&draft.answers);
        let check = evaluation.validate_screen(screen, &submitted);
        let mut answers = draft.answers.clone();
        answers.extend(check.answers.clone());
        for name in &check.cleared {
            answers.remove(name);
        }
        // What could not be read is kept as typed, so that nothing typed is lost; it is
        // checked again when the participant moves forward.
        for error in &check.errors {
            let typed = submitted.get(&error.field).cloned().unwrap_or_default();
            answers.insert(error.field.clone(), typed);
        }
        let id = situation.invitation.id;
        let after = surveyed.evaluate(&answers);
        let next_key = if back {
            after
                .prev_screen(screen)
                .or_else(|| after.first_screen())
                .map(|s| screen_key(&after, s))
        } else if check.is_ok() {
            Some(
                after
                    .next_screen(screen)
                    .map_or_else(|| REVIEW.to_string(), |s| screen_key(&after, s)),
            )
        } else {
            Some(screen_key(&after, screen))
        };
        let next_key = next_key.unwrap_or_else(|| REVIEW.to_string());
        if !store::save_draft(conn, id, version, &answers, &next_key, now)? {
            let latest = store::situation(conn, &token)?
                .and_then(|s| s.draft)
                .unwrap_or_default();
            return surveyed.stale(&token, &latest);
        }
        tracing::debug!(invitation = id, screen, "screen saved");
        if back || check.is_ok() {
            return Ok(Reply::Redirect(format!("/s/{token}")));
        }
        let typed: BTreeMap<String, String> = check
            .errors
            .iter()
            .map(|e| {
                let value = submitted.get(&e.field).cloned().unwrap_or_default();
                (e.field.clone(), value)
            })
            .collect();
        let markup = surveyed.screen_page(
            &token,
            &after,
            screen,
            version + 1,
            &typed,
            &check.errors,
            None,
        );
        Ok(Reply::Page(StatusCode::UNPROCESSABLE_ENTITY, markup))
    })
    .await
}

/// `POST /s/{token}/submit`: the final submission.
///
/// The reads and the form's evaluation run on the worker thread ([`read_here`]); the
/// submission then waits for its group commit without holding any thread (see `commit.rs`),
/// and the thank-you page is built only once the commit is on disk.
async fn submit(
    state: web::Data<AppState>,
    token: web::Path<String>,
    body: web::Bytes,
    req: HttpRequest,
) -> HttpResponse {
    let token = token.into_inner();
    let assist = assist_cookie(&req);
    let fields = parse_body(&body);
    let now = Utc::now();
    let prepared = read_here(&state, |state, conn| {
        prepare_submission(state, conn, &token, &fields, assist.as_deref(), now)
    });
    let (pending, texts) = match prepared {
        Ok(Prepared::Ready(pending, texts)) => (pending, texts),
        Ok(Prepared::Instead(reply)) => return respond(&state, Ok(reply)).await,
        Err(err) => return respond(&state, Err(err)).await,
    };
    let stored = state.submissions.submit(pending).await;
    let reply = stored.map(|stored| {
        let markup = pages::thanks(
            texts,
            &received_date(&state, texts, &stored.submitted_at),
            &state.config.programme.contact,
        );
        Reply::Page(StatusCode::OK, markup.into_string())
    });
    respond(&state, reply).await
}

/// A final submission checked and ready for the writer, or the page to show instead.
enum Prepared {
    Ready(store::Pending, &'static Texts),
    Instead(Reply),
}

/// Checks a final submission against the stored draft (version, outstanding answers, a
/// well-formed submission id) and builds the record to store. Reads only.
fn prepare_submission(
    state: &AppState,
    conn: &Connection,
    token: &str,
    fields: &BTreeMap<String, String>,
    assist: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<Prepared> {
    let (situation, texts) = match consented(state, conn, token, now)? {
        Ok(open) => open,
        Err(reply) => return Ok(Prepared::Instead(reply)),
    };
    let Some(draft) = situation.draft.as_ref() else {
        return Ok(Prepared::Instead(Reply::Redirect(format!("/s/{token}"))));
    };
    let surveyed = Surveyed::new(state, conn, &situation, texts, now)?;
    let version: Option<i64> = fields.get("_version").and_then(|v| v.parse().ok());
    if version != Some(draft.version) {
        return surveyed.stale(token, draft).map(Prepared::Instead);
    }
    let mut answers = draft.answers.clone();
    metadata::fill(
        surveyed.form,
        &mut answers,
        metadata::Moment::Submission,
        now,
        state.config.programme.time_zone,
        &state.config.server.public_base_url,
    );
    let evaluation = surveyed.evaluate(&answers);
    let outstanding = evaluation.outstanding();
    let submission_id = fields.get("submission_id").map(String::as_str);
    let Some(submission_id) = submission_id
        .filter(|id| crate::invitations::looks_like_token(id) && outstanding.is_empty())
    else {
        let markup = surveyed.review_page(token, &evaluation, draft.version, &outstanding, None)?;
        return Ok(Prepared::Instead(Reply::Page(
            StatusCode::UNPROCESSABLE_ENTITY,
            markup,
        )));
    };
    let record = evaluation.record();
    let form = surveyed.form;
    let submission = store::Submission {
        invitation: situation.invitation.id,
        submission_id,
        form_id: form.id(),
        form_version: form.settings().version.as_deref().unwrap_or(""),
        record: &record,
        language: texts.code,
    };
    let mut pending = store::Pending::new(&submission, now)?;
    pending.assisted_by = assistant(conn, assist, &situation, now)?.map(|a| a.user);
    Ok(Prepared::Ready(pending, texts))
}

/// Where every answer post starts: the token exists, its window is open, the participant has
/// consented and a draft exists. Otherwise the reply to send instead (not found, the closed or
/// received page, or back to the start of the survey).
fn consented(
    state: &AppState,
    conn: &Connection,
    token: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Result<(Situation, &'static Texts), Reply>> {
    let Some(situation) = store::situation(conn, token)? else {
        return Ok(Err(Reply::NotFound));
    };
    let texts = language(state, None, situation.draft.as_ref());
    if let Some(reply) = ending(state, &situation, texts, now, token, false) {
        return Ok(Err(reply));
    }
    if situation.draft.is_none() || situation.consent.as_deref() != Some("accepted") {
        return Ok(Err(Reply::Redirect(format!("/s/{token}"))));
    }
    Ok(Ok((situation, texts)))
}

/// The assisted-answering grant cookie of the request, if any (see [`crate::accounts::assist`]).
fn assist_cookie(req: &HttpRequest) -> Option<String> {
    super::admin::gate::cookie(req.headers(), assist::COOKIE)
}

/// The staff member filling this survey on the participant's behalf: the grant in `cookie`
/// checked against their live admin session; `None` for the participant's own answering.
fn assistant(
    conn: &Connection,
    cookie: Option<&str>,
    situation: &Situation,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<Assistant>> {
    let Some(cookie) = cookie else {
        return Ok(None);
    };
    let invitation = &situation.invitation;
    Ok(assist::holder(
        conn,
        cookie,
        invitation.id,
        invitation.participant_id,
        now,
    )?)
}

/// The language to show: asked for in this request, else the draft's, else the programme's.
fn language(state: &AppState, asked: Option<&str>, draft: Option<&Draft>) -> &'static Texts {
    let code = asked
        .or_else(|| draft.and_then(|d| d.language.as_deref()))
        .unwrap_or(&state.config.programme.default_language);
    i18n::texts(code)
}

/// The page for a link that no longer takes answers: received, declined or closed. A declined
/// link whose window is still open offers to reconsider, and with `reconsider` (the consent
/// screen asked for again, or a consent post) it is not an ending at all.
fn ending(
    state: &AppState,
    situation: &Situation,
    texts: &'static Texts,
    now: DateTime<Utc>,
    token: &str,
    reconsider: bool,
) -> Option<Reply> {
    let contact = &state.config.programme.contact;
    let open = !situation.invitation.is_closed(now)
        && state.forms.contains_key(&situation.invitation.wave);
    let markup = if let Some(received) = &situation.received {
        let markup = pages::thanks(
            texts,
            &received_date(state, texts, &received.submitted_at),
            contact,
        );
        let page = Reply::Page(StatusCode::OK, markup.into_string());
        return Some(Reply::Durable(Box::new(page)));
    } else if situation.invitation.status == "declined" {
        if open && reconsider {
            return None;
        }
        let again = format!("/s/{token}?consent=again");
        pages::declined(texts, contact, open.then_some(again.as_str()))
    } else if !open {
        pages::closed(texts, contact)
    } else {
        return None;
    };
    Some(Reply::Page(StatusCode::OK, markup.into_string()))
}

/// A stored UTC time as a local date in words ("24 November 2026").
fn received_date(state: &AppState, texts: &Texts, stamp: &str) -> String {
    DateTime::parse_from_rfc3339(stamp)
        .map(|t| {
            texts.date(
                t.with_timezone(&state.config.programme.time_zone)
                    .date_naive(),
            )
        })
        .unwrap_or_else(|_| stamp.to_string())
}

/// Reads a urlencoded body; repeated names (ticked checkboxes) are joined with spaces, as
/// `select_multiple` answers are stored.
fn parse_body(body: &[u8]) -> BTreeMap<String, String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in pairs {
        fields
            .entry(name)
            .and_modify(|existing| {
                existing.push(' ');
                existing.push_str(&value);
            })
            .or_insert(value);
    }
    fields
}
