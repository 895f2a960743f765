//! `/s/{token}/berhenti`: the page every survey email links to for stopping those emails.
//!
//! `GET` explains what stopping means (no more invitation or reminder emails, for any wave; the
//! survey link itself keeps working) and offers one button; `POST` records the choice in
//! `email_opt_outs` for the participant and confirms it. Recording twice is harmless. A `GET`
//! never changes anything, because mail scanners open links in emails on their own.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use maud::html;
use rusqlite::{OptionalExtension, params};

use super::super::i18n;
use super::super::layout::layout;
use super::super::state::AppState;
use super::{Reply, run, store};
use crate::email::OPT_OUT_PATH;
use crate::invitations::rfc3339;

/// Registers the opt-out routes, inside the survey's `/s/{token}` scope.
pub fn routes(config: &mut web::ServiceConfig) {
    let path = format!("/{OPT_OUT_PATH}");
    config
        .route(&path, web::get().to(show))
        .route(&path, web::post().to(record));
}

struct Texts {
    title: &'static str,
    explain: &'static str,
    survey_stays: &'static str,
    confirm: &'static str,
    back: &'static str,
    done_title: &'static str,
    done: &'static str,
}

const INDONESIAN: Texts = Texts {
    title: "Berhenti menerima email survei",
    explain: "Jika Anda berhenti, kami tidak akan lagi mengirim undangan atau pengingat survei \
              lewat email kepada Anda.",
    survey_stays: "Tautan survei Anda tetap bisa dibuka jika suatu saat Anda ingin mengisinya.",
    confirm: "Ya, berhenti kirim email",
    back: "Kembali ke survei",
    done_title: "Anda tidak akan menerima email survei lagi",
    done: "Terima kasih. Pilihan Anda sudah kami catat.",
};

const ENGLISH: Texts = Texts {
    title: "Stop survey emails",
    explain: "If you stop them, we will no longer send you survey invitations or reminders by \
              email.",
    survey_stays: "Your survey link keeps working should you want to answer one day.",
    confirm: "Yes, stop the emails",
    back: "Back to the survey",
    done_title: "You will not receive survey emails any more",
    done: "Thank you. We have recorded your choice.",
};

fn texts(language: &str) -> &'static Texts {
    if language == "en" {
        &ENGLISH
    } else {
        &INDONESIAN
    }
}

/// `GET /s/{token}/berhenti`.
async fn show(state: web::Data<AppState>, token: web::Path<String>) -> HttpResponse {
    let token = token.into_inner();
    run(state, move |state, conn| {
        let Some(situation) = store::situation(conn, &token)? else {
            return Ok(Reply::NotFound);
        };
        let language = &state.config.programme.default_language;
        let page_texts = i18n::texts(language);
        let words = texts(language);
        let already: Option<String> = conn
            .query_row(
                "SELECT opted_out_at FROM email_opt_outs WHERE participant_id = ?1",
                [situation.invitation.participant_id],
                |row| row.get(0),
            )
            .optional()?;
        let survey = format!("/s/{token}");
        let markup = if already.is_some() {
            done(page_texts, words, &survey)
        } else {
            layout(
                page_texts,
                words.title,
                None,
                html! {
                    h1 { (words.title) }
                    p { (words.explain) }
                    p { (words.survey_stays) }
                    form method="post" action={ (survey) "/" (OPT_OUT_PATH) } {
                        div.buttons {
                            button type="submit" { (words.confirm) }
                        }
                    }
                    p { a href=(survey) { (words.back) } }
                },
            )
        };
        Ok(Reply::Page(StatusCode::OK, markup.into_string()))
    })
    .await
}

/// `POST /s/{token}/berhenti`.
async fn record(state: web::Data<AppState>, token: web::Path<String>) -> HttpResponse {
    let token = token.into_inner();
    run(state, move |state, conn| {
        let Some(situation) = store::situation(conn, &token)? else {
            return Ok(Reply::NotFound);
        };
        let invitation = situation.invitation.id;
        conn.execute(
            "INSERT INTO email_opt_outs (participant_id, invitation_id, opted_out_at)
             VALUES (?1, ?2, ?3)
             ON CONFLICT (participant_id) DO NOTHING",
            params![
                situation.invitation.participant_id,
                invitation,
                rfc3339(Utc::now())
            ],
        )?;
        tracing::info!(invitation, "email opt-out recorded");
        let language = &state.config.programme.default_language;
        let markup = done(
            i18n::texts(language),
            texts(language),
            &format!("/s/{token}"),
        );
        Ok(Reply::Page(StatusCode::OK, markup.into_string()))
    })
    .await
}

fn done(page_texts: &i18n::Texts, words: &Texts, survey: &str) -> maud::Markup {
    layout(
        page_texts,
        words.done_title,
        None,
        html! {
            h1 { (words.done_title) }
            p { (words.done) }
            p { (words.survey_stays) }
            p { a href=(survey) { (words.back) } }
        },
    )
}
