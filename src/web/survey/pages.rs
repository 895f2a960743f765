//! The survey's pages as maud markup: consent, one screen of questions, review, thank-you and
//! the polite endings (closed, declined).
//!
//! Accessibility choices, for phones and for screen readers: every input has a real `<label>`;
//! choices are a `<fieldset>` whose `<legend>` is the question; an error sits beside its field
//! (linked with `aria-describedby`) and in a summary at the top that links to the field;
//! numbers open the numeric keyboard (`inputmode`), but stay text inputs so that `3.500.000`
//! and `3,5 juta` can be typed.

use std::collections::BTreeMap;

use maud::{Markup, html};

use crate::form::{Evaluation, Field, FieldError, FieldKind};
use crate::roster::Rupiah;

use super::super::i18n::{CONSENT_VERSION, Texts};
use super::super::layout::{layout, message_page};

/// The greeting line: "Halo, Sari!" or "Halo!" without a name.
fn greeting(texts: &Texts, first_name: Option<&str>) -> String {
    match first_name {
        Some(name) => texts.greeting.replace("{name}", name),
        None => texts.greeting_anonymous.to_string(),
    }
}

/// The consent screen, shown before any answer is stored. With `assisted_by` (a staff
/// member's name) it first says that the officer fills the survey on the participant's behalf
/// and reads the consent aloud.
pub fn consent(
    texts: &Texts,
    token: &str,
    first_name: Option<&str>,
    retention_months: u32,
    assisted_by: Option<&str>,
) -> Markup {
    let path = format!("/s/{token}");
    let hello = greeting(texts, first_name);
    layout(
        texts,
        texts.consent_title,
        Some(&path),
        html! {
            @if let Some(officer) = assisted_by {
                p.notice { (texts.assisted_notice.replace("{officer}", officer)) }
            }
            h1 { (hello) }
            h2 { (texts.consent_title) }
            p { (texts.consent_what) }
            p { (texts.consent_why) }
            p { (texts.consent_retention.replace("{months}", &retention_months.to_string())) }
            p { (texts.consent_rights) }
            form method="post" action={ (path) "/consent" } {
                input type="hidden" name="lang" value=(texts.code);
                input type="hidden" name="version" value=(CONSENT_VERSION);
                p { strong { (texts.consent_question) } }
                div.buttons {
                    button type="submit" name="decision" value="accept" { (texts.accept) }
                    button.secondary type="submit" name="decision" value="decline" {
                        (texts.decline)
                    }
                }
            }
        },
    )
}

/// Whether an integer field holds an amount of money: its name (`income_*`, `resell_*`,
/// `pre_layoff_wage`, the shipped forms' money questions) or a hint that mentions `Rp`. Such
/// fields show the amount back as `Rp 3.500.000`.
pub fn is_money(field: &Field, hint: Option<&str>) -> bool {
    field.kind == FieldKind::Integer
        && (field.name.starts_with("income_")
            || field.name.starts_with("resell_")
            || field.name == "pre_layoff_wage"
            || hint.is_some_and(|h| h.contains("Rp")))
}

/// Everything one screen of questions needs.
pub struct ScreenView<'a, 'e> {
    pub texts: &'static Texts,
    pub token: &'a str,
    pub evaluation: &'a Evaluation<'e>,
    /// Index of the screen in `form.screens()`.
    pub screen: usize,
    /// "3 of 12": this screen's place among the screens that apply, and their number.
    pub position: (usize, usize),
    /// The draft version the page was rendered from, echoed by the post.
    pub version: i64,
    /// Values as typed, shown instead of the stored ones (after a refused post).
    pub typed: &'a BTreeMap<String, String>,
    pub errors: &'a [FieldError],
    /// A notice above the questions (the survey was continued elsewhere).
    pub notice: Option<(&'static str, &'static str)>,
    pub has_back: bool,
}

/// One screen: a question, or a `field-list` group of them.
pub fn screen(view: &ScreenView<'_, '_>) -> Markup {
    let ev = view.evaluation;
    let form = ev.form();
    let texts = view.texts;
    let path = format!("/s/{}", view.token);
    let fields = ev.screen_fields(view.screen);
    let group_label = form.screens()[view.screen]
        .group
        .map(|g| ev.label(&form.groups()[g].name))
        .filter(|label| !label.is_empty());
    let title = group_label
        .clone()
        .or_else(|| fields.first().map(|f| ev.label(&f.name)))
        .unwrap_or_default();
    let screen_key = fields.first().map(|f| f.name.clone()).unwrap_or_default();
    let progress = texts
        .progress
        .replace("{n}", &view.position.0.to_string())
        .replace("{total}", &view.position.1.to_string());
    layout(
        texts,
        &title,
        Some(&path),
        html! {
            p.progress { (progress) }
            @if let Some((heading, body)) = view.notice {
                div.notice role="status" { h2 { (heading) } p { (body) } }
            }
            @if !view.errors.is_empty() {
                div.summary role="alert" {
                    h2 { (texts.errors_title) }
                    ul {
                        @for error in view.errors {
                            li { a href={ "#f-" (error.field) } {
                                (ev.label(&error.field)) ": " (error.message)
                            } }
                        }
                    }
                }
            }
            @if let Some(label) = &group_label { h1 { (label) } }
            form method="post" action=(path) novalidate {
                input type="hidden" name="_screen" value=(screen_key);
                input type="hidden" name="_version" value=(view.version);
                @for field in &fields {
                    (field_markup(view, field, group_label.is_none()))
                }
                div.buttons {
                    button type="submit" name="_action" value="next" { (texts.next) }
                    @if view.has_back {
                        button.secondary type="submit" name="_action" value="back" {
                            (texts.back)
                        }
                    }
                }
            }
        },
    )
}

fn field_markup(view: &ScreenView<'_, '_>, field: &Field, alone: bool) -> Markup {
    let ev = view.evaluation;
    let texts = view.texts;
    let name = field.name.as_str();
    let id = format!("f-{name}");
    let label = ev.label(name);
    let hint = ev.hint(name);
    let error = view.errors.iter().find(|e| e.field == name);
    let value = view
        .typed
        .get(name)
        .cloned()
        .unwrap_or_else(|| ev.text(name));
    let described = match (&hint, error) {
        (Some(_), Some(_)) => Some(format!("h-{name} e-{name}")),
        (Some(_), None) => Some(format!("h-{name}")),
        (None, Some(_)) => Some(format!("e-{name}")),
        (None, None) => None,
    };
    let hint_markup = html! {
        @if let Some(hint) = &hint { p.hint id={ "h-" (name) } { (hint) } }
    };
    let error_markup = html! {
        @if let Some(error) = error { p.error id={ "e-" (name) } { (error.message) } }
    };
    if matches!(field.kind, FieldKind::Note) {
        return html! {
            @if alone { h1 id=(id) { (label) } } @else { p id=(id) { (label) } }
            (hint_markup)
        };
    }
    if ev.is_read_only(name) {
        return html! {
            p id=(id) { strong { (label) } br; (ev.display(name)) }
            (hint_markup)
        };
    }
    match &field.kind {
        FieldKind::SelectOne { .. } | FieldKind::SelectMultiple { .. } => {
            let multiple = matches!(field.kind, FieldKind::SelectMultiple { .. });
            let picked: Vec<&str> = value.split_whitespace().collect();
            let input_type = if multiple { "checkbox" } else { "radio" };
            html! {
                fieldset id=(id) aria-describedby=[described.as_deref()] {
                    legend { (question(&label, alone)) }
                    (hint_markup)
                    (error_markup)
                    @for (i, choice) in ev.choices(name).iter().enumerate() {
                        label.choice for={ (id) "-" (i) } {
                            input type=(input_type) id={ (id) "-" (i) } name=(name)
                                value=(choice.name) checked[picked.contains(&choice.name)];
                            (choice.label)
                        }
                    }
                }
            }
        }
        FieldKind::Acknowledge => html! {
            fieldset id=(id) aria-describedby=[described.as_deref()] {
                legend { (question(&label, alone)) }
                (hint_markup)
                (error_markup)
                label.choice for={ (id) "-ok" } {
                    input type="checkbox" id={ (id) "-ok" } name=(name) value="OK"
                        checked[value == "OK"];
                    (texts.yes_ok)
                }
            }
        },
        kind => {
            let (input_type, inputmode) = match kind {
                FieldKind::Integer => ("text", Some("numeric")),
                FieldKind::Decimal => ("text", Some("decimal")),
                FieldKind::Date => ("date", None),
                _ => ("text", None),
            };
            let amount = if is_money(field, hint.as_deref()) && error.is_none() {
                value.parse::<u64>().ok().map(|n| Rupiah(n).display())
            } else {
                None
            };
            let multiline = matches!(kind, FieldKind::Text) && field.appearance.has("multiline");
            html! {
                @if alone {
                    h1.question { label for=(id) { (label) } }
                } @else {
                    label for=(id) { (label) }
                }
                (hint_markup)
                (error_markup)
                @if multiline {
                    textarea id=(id) name=(name) aria-describedby=[described.as_deref()]
                        aria-invalid=[error.map(|_| "true")] { (value) }
                } @else {
                    input type=(input_type) id=(id) name=(name) value=(value)
                        inputmode=[inputmode] autocomplete="off"
                        aria-describedby=[described.as_deref()]
                        aria-invalid=[error.map(|_| "true")];
                }
                @if let Some(amount) = amount { p.amount { (amount) } }
            }
        }
    }
}

/// A question's text: the page's heading when the question is the whole screen, so that every
/// screen has one `h1` for screen readers to start from.
fn question(label: &str, alone: bool) -> Markup {
    html! {
        @if alone { h1.question { (label) } } @else { (label) }
    }
}

/// Everything the review screen needs.
pub struct ReviewView<'a, 'e> {
    pub texts: &'static Texts,
    pub token: &'a str,
    pub evaluation: &'a Evaluation<'e>,
    pub version: i64,
    /// The nonce that makes the final post idempotent.
    pub submission_id: &'a str,
    /// Answers still missing or refused.
    pub outstanding: &'a [FieldError],
    pub notice: Option<(&'static str, &'static str)>,
}

/// The review screen: every answer with a link to change it, then the submit button.
pub fn review(view: &ReviewView<'_, '_>) -> Markup {
    let ev = view.evaluation;
    let form = ev.form();
    let texts = view.texts;
    let path = format!("/s/{}", view.token);
    let screens: Vec<usize> = (0..form.screens().len())
        .filter(|&s| ev.is_screen_relevant(s))
        .collect();
    let change_link = |field: &str| {
        let key = form
            .screen_of(field)
            .and_then(|s| ev.screen_fields(s).first().map(|f| f.name.clone()))
            .unwrap_or_default();
        format!("{path}?screen={key}")
    };
    let last = screens
        .last()
        .and_then(|&s| ev.screen_fields(s).first().map(|f| f.name.clone()));
    layout(
        texts,
        texts.review_title,
        Some(&path),
        html! {
            @if let Some((heading, body)) = view.notice {
                div.notice role="status" { h2 { (heading) } p { (body) } }
            }
            h1 { (texts.review_title) }
            @if !view.outstanding.is_empty() {
                div.summary role="alert" {
                    h2 { (texts.review_missing) }
                    ul {
                        @for error in view.outstanding {
                            li { a href=(change_link(&error.field)) {
                                (ev.label(&error.field)) ": " (error.message)
                            } }
                        }
                    }
                }
            } @else {
                p { (texts.review_intro) }
            }
            dl {
                @for &s in &screens {
                    @for field in ev.screen_fields(s) {
                        @if field.kind.takes_answer() && !ev.is_read_only(&field.name) {
                            dt { (ev.label(&field.name)) }
                            dd {
                                @let shown = ev.display(&field.name);
                                @if shown.is_empty() { (texts.not_answered) }
                                @else if is_money(field, ev.hint(&field.name).as_deref()) {
                                    (shown.parse::<u64>().map_or(shown.clone(), |n| Rupiah(n).display()))
                                } @else { (shown) }
                                " "
                                a.change href=(change_link(&field.name)) { (texts.change) }
                            }
                        }
                    }
                }
            }
            form method="post" action={ (path) "/submit" } {
                input type="hidden" name="submission_id" value=(view.submission_id);
                input type="hidden" name="_version" value=(view.version);
                div.buttons {
                    button type="submit" { (texts.submit) }
                }
            }
            @if let Some(last) = last {
                p { a.change href={ (path) "?screen=" (last) } { (texts.back) } }
            }
        },
    )
}

/// The thank-you page, also shown whenever the link is opened after submitting, and for a
/// repeated final post.
pub fn thanks(texts: &Texts, received_on: &str, contact: &str) -> Markup {
    let mut paragraphs = vec![
        texts.thanks_body.to_string(),
        texts.received.replace("{date}", received_on),
    ];
    push_contact(texts, contact, &mut paragraphs);
    message_page(texts, texts.thanks_title, &paragraphs)
}

/// The survey's window has closed.
pub fn closed(texts: &Texts, contact: &str) -> Markup {
    let mut paragraphs = vec![texts.closed_body.to_string()];
    push_contact(texts, contact, &mut paragraphs);
    message_page(texts, texts.closed_title, &paragraphs)
}

/// The participant declined to take part; `reconsider` links back to the consent screen while
/// the window is open, for a participant who changes their mind.
pub fn declined(texts: &Texts, contact: &str, reconsider: Option<&str>) -> Markup {
    let mut paragraphs = vec![texts.declined_body.to_string()];
    push_contact(texts, contact, &mut paragraphs);
    layout(
        texts,
        texts.declined_title,
        None,
        html! {
            h1 { (texts.declined_title) }
            @for paragraph in &paragraphs { p { (paragraph) } }
            @if let Some(href) = reconsider {
                p { a.reconsider href=(href) { (texts.reconsider) } }
            }
        },
    )
}

/// The one page for any missing page and any unknown token, so that nothing tells whether a
/// token exists.
pub fn not_found(texts: &Texts, contact: &str) -> Markup {
    let mut paragraphs = vec![texts.not_found_body.to_string()];
    push_contact(texts, contact, &mut paragraphs);
    message_page(texts, texts.not_found_title, &paragraphs)
}

/// Something failed on the server.
pub fn error(texts: &Texts, contact: &str) -> Markup {
    let mut paragraphs = vec![texts.error_body.to_string()];
    push_contact(texts, contact, &mut paragraphs);
    message_page(texts, texts.error_title, &paragraphs)
}

fn push_contact(texts: &Texts, contact: &str, paragraphs: &mut Vec<String>) {
    if !contact.trim().is_empty() {
        paragraphs.push(texts.contact.replace("{contact}", contact));
    }
}
