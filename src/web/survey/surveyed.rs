//! A survey in progress: the wave's form with the participant's prefill values, evaluated for
//! the draft's answers, and the screen, review and stale pages built from it.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::Connection;

use crate::form::{Evaluation, FieldError, Form};
use crate::roster::Rupiah;

use super::super::i18n::Texts;
use super::super::state::AppState;
use super::store::{self, Draft, Situation};
use super::{REVIEW, Reply, pages};

/// Reads `integer` and `decimal` answers as Rupiah too, so `3.500.000` and `3,5 juta` are
/// accepted in every number question. Ambiguous input (`2,5` without `juta`) is refused by
/// `Rupiah::parse_text` and falls back to the ordinary decimal reading; negative numbers are
/// not money and fall back too, so the form's own constraint judges them.
fn rupiah_number(text: &str) -> Option<f64> {
    Rupiah::parse_text(text).ok().map(|amount| amount.0 as f64)
}

/// The name a screen goes by in drafts and links: its first field that applies.
pub(super) fn screen_key(evaluation: &Evaluation<'_>, screen: usize) -> String {
    evaluation
        .screen_fields(screen)
        .first()
        .map(|f| f.name.clone())
        .unwrap_or_default()
}

/// A survey in progress: the wave's form, the prefill values and the clock, for rendering and
/// checking screens.
pub(super) struct Surveyed<'s> {
    pub(super) form: &'s Form,
    prefill: BTreeMap<String, String>,
    texts: &'static Texts,
    today: NaiveDate,
}

impl<'s> Surveyed<'s> {
    pub(super) fn new(
        state: &'s AppState,
        conn: &Connection,
        situation: &Situation,
        texts: &'static Texts,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Surveyed<'s>> {
        let form = state
            .forms
            .get(&situation.invitation.wave)
            .map(|f| f.as_ref())
            .ok_or_else(|| anyhow::anyhow!("wave {} has no form", situation.invitation.wave))?;
        let prefill = store::prefill(conn, &state.config, form, &situation.invitation)?;
        Ok(Surveyed {
            form,
            prefill,
            texts,
            today: now
                .with_timezone(&state.config.programme.time_zone)
                .date_naive(),
        })
    }

    pub(super) fn evaluate<'e>(&'e self, answers: &'e BTreeMap<String, String>) -> Evaluation<'e> {
        Evaluation::new(
            self.form,
            answers,
            &self.prefill,
            self.texts.code,
            self.today,
        )
        .with_number_parser(rupiah_number)
    }

    /// The page for the draft as stored: the screen named by `target` (a link) or by the
    /// draft, the review, or the first screen.
    pub(super) fn current(
        &self,
        token: &str,
        draft: &Draft,
        target: Option<&str>,
        notice: Option<(&'static str, &'static str)>,
    ) -> anyhow::Result<Reply> {
        let evaluation = self.evaluate(&draft.answers);
        let wanted = target.or(draft.screen.as_deref());
        let screen = match wanted {
            Some(REVIEW) => None,
            Some(key) => self
                .form
                .screen_of(key)
                .and_then(|s| {
                    if evaluation.is_screen_relevant(s) {
                        Some(s)
                    } else {
                        evaluation.next_screen(s)
                    }
                })
                .or_else(|| evaluation.first_screen()),
            None => evaluation.first_screen(),
        };
        let markup = match screen {
            Some(screen) => self.screen_page(
                token,
                &evaluation,
                screen,
                draft.version,
                &BTreeMap::new(),
                &[],
                notice,
            ),
            None => self.review_page(token, &evaluation, draft.version, &[], notice)?,
        };
        Ok(Reply::Page(StatusCode::OK, markup))
    }

    /// The latest state, with the "continued elsewhere" notice.
    pub(super) fn stale(&self, token: &str, latest: &Draft) -> anyhow::Result<Reply> {
        let notice = Some((self.texts.stale_title, self.texts.stale_body));
        Ok(match self.current(token, latest, None, notice)? {
            Reply::Page(_, body) => Reply::Page(StatusCode::CONFLICT, body),
            other => other,
        })
    }

    #[allow(clippy::too_many_arguments)] // one screen's whole state; a struct would only move them
    pub(super) fn screen_page(
        &self,
        token: &str,
        evaluation: &Evaluation<'_>,
        screen: usize,
        version: i64,
        typed: &BTreeMap<String, String>,
        errors: &[FieldError],
        notice: Option<(&'static str, &'static str)>,
    ) -> String {
        let relevant: Vec<usize> = (0..self.form.screens().len())
            .filter(|&s| evaluation.is_screen_relevant(s))
            .collect();
        let place = relevant
            .iter()
            .position(|&s| s == screen)
            .map_or(1, |p| p + 1);
        pages::screen(&pages::ScreenView {
            texts: self.texts,
            token,
            evaluation,
            screen,
            position: (place, relevant.len().max(place)),
            version,
            typed,
            errors,
            notice,
            has_back: evaluation.prev_screen(screen).is_some(),
        })
        .into_string()
    }

    pub(super) fn review_page(
        &self,
        token: &str,
        evaluation: &Evaluation<'_>,
        version: i64,
        outstanding: &[FieldError],
        notice: Option<(&'static str, &'static str)>,
    ) -> anyhow::Result<String> {
        let outstanding = if outstanding.is_empty() {
            evaluation.outstanding()
        } else {
            outstanding.to_vec()
        };
        let submission_id = crate::invitations::new_token()?;
        Ok(pages::review(&pages::ReviewView {
            texts: self.texts,
            token,
            evaluation,
            version,
            submission_id: &submission_id,
            outstanding: &outstanding,
            notice,
        })
        .into_string())
    }
}
