//! `/admin`: response figures per wave and cohort, each wave's response rate over time (a
//! table and an inline SVG chart, no script), and the training attendance funnel by age group.
//! Figures only, no personal data, so every role sees it. The figures come from
//! [`crate::dashboard`]; this file only lays them out.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};

use super::frame::{admin_page, db, percent};
use super::gate::Staff;
use super::texts::Texts;
use crate::dashboard::{Figures, WaveSeries};
use crate::web::layout::page;
use crate::web::state::AppState;

/// More days than this are shown week by week in the table.
const DAILY_ROWS: usize = 45;

/// Line colours of the chart's waves, in turn (dark enough on white).
const COLOURS: &[&str] = &["#0b5394", "#a00000", "#38761d", "#7f6000", "#674ea7"];

/// `GET /admin`.
pub async fn show(staff: Staff, state: web::Data<AppState>) -> HttpResponse {
    let texts = staff.texts;
    let zone = state.config.programme.time_zone;
    let today = chrono::Utc::now().with_timezone(&zone).date_naive();
    let figures = db(&state, texts, move |conn| {
        Ok(crate::dashboard::figures(conn, today, zone)?)
    })
    .await;
    match figures {
        Ok(figures) => page(
            StatusCode::OK,
            admin_page(
                texts,
                &staff.session,
                texts.dashboard,
                body(texts, &figures),
            ),
        ),
        Err(response) => response,
    }
}

/// The dashboard's content (without the page frame) for `figures`.
pub fn body(texts: &Texts, figures: &Figures) -> Markup {
    let waves = &figures.waves;
    let funnel = &figures.funnel;
    html! {
        h2 { (texts.response_rate) }
        @if waves.is_empty() { p { (texts.none) } } @else {
            div.scroll tabindex="0" role="region" aria-label=(texts.response_rate) { table {
                thead { tr {
                    th { (texts.wave) } th { (texts.cohort) } th { (texts.invited) }
                    th { (texts.opened) } th { (texts.consented) } th { (texts.completed) }
                    th { (texts.response_rate) }
                } }
                tbody { @for row in waves { tr {
                    td { (row.wave) } td { (row.cohort) } td { (row.invited) }
                    td { (row.opened) } td { (row.consented) } td { (row.completed) }
                    td { (percent(row.completed, row.invited)) }
                } } }
            } }
        }
        h2 { (texts.over_time) }
        @if figures.over_time.is_empty() { p { (texts.none) } } @else {
            (chart(texts, &figures.over_time))
            @for series in &figures.over_time { (series_table(texts, series)) }
        }
        h2 { (texts.funnel) }
        @if funnel.is_empty() { p { (texts.none) } } @else {
            div.scroll tabindex="0" role="region" aria-label=(texts.funnel) { table {
                thead { tr {
                    th { (texts.age_group) } th { (texts.enrolled) }
                    @for n in 1..=3 { th { (texts.session) " " (n) } }
                } }
                tbody { @for row in funnel { tr {
                    td { (row.age_group) } td { (row.enrolled) }
                    @for count in row.sessions {
                        td { (count) " (" (percent(count, row.enrolled)) ")" }
                    }
                } } }
            } }
        }
    }
}

/// One wave's days as a table: every day, or every seventh day (and the last) when long.
fn series_table(texts: &Texts, series: &WaveSeries) -> Markup {
    let step = if series.days.len() > DAILY_ROWS { 7 } else { 1 };
    let last = series.days.len().saturating_sub(1);
    html! {
        h3 { (texts.wave) " " (series.wave) }
        div.scroll tabindex="0" role="region" aria-label={ (texts.wave) " " (series.wave) } { table {
            thead { tr {
                th { (texts.day) } th { (texts.started) } th { (texts.invited) }
                th { (texts.completed) } th { (texts.response_rate) }
            } }
            tbody { @for (n, day) in series.days.iter().enumerate() {
                @if n % step == 0 || n == last { tr {
                    td { (day.day) } td { (day.date) } td { (day.invited) }
                    td { (day.completed) } td { (percent(day.completed, day.invited)) }
                } }
            } }
        } }
    }
}

/// The response rate of every wave against days since it opened, as an inline SVG: no script,
/// styled by the stylesheet's `.chart` rules and presentation attributes (the CSP allows both).
fn chart(texts: &Texts, series: &[WaveSeries]) -> Markup {
    const WIDTH: f64 = 600.0;
    const HEIGHT: f64 = 240.0;
    const LEFT: f64 = 44.0;
    const BOTTOM: f64 = 24.0;
    let longest = series
        .iter()
        .map(|s| s.days.len())
        .max()
        .unwrap_or(1)
        .max(2)
        - 1;
    let x = |day: u32| LEFT + f64::from(day) * (WIDTH - LEFT - 8.0) / longest as f64;
    let y = |rate: f64| 8.0 + (1.0 - rate) * (HEIGHT - BOTTOM - 8.0);
    let points = |s: &WaveSeries| -> String {
        s.days
            .iter()
            .map(|d| {
                let rate = if d.invited == 0 {
                    0.0
                } else {
                    d.completed as f64 / d.invited as f64
                };
                format!("{:.1},{:.1}", x(d.day), y(rate))
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let label = format!("{} ({})", texts.over_time, texts.days_open);
    html! {
        svg.chart viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-label=(label)
            xmlns="http://www.w3.org/2000/svg" {
            title { (label) }
            @for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
                line x1=(LEFT) x2=(WIDTH - 8.0) y1=(y(tick)) y2=(y(tick));
                text x="2" y=(y(tick) + 4.0) font-size="11" { ((tick * 100.0) as u32) "%" }
            }
            text x=(LEFT) y=(HEIGHT - 6.0) font-size="11" { "0" }
            text x=(WIDTH - 40.0) y=(HEIGHT - 6.0) font-size="11" { (texts.day) " " (longest) }
            @for (n, s) in series.iter().enumerate() {
                polyline points=(points(s)) stroke=(COLOURS[n % COLOURS.len()]) {
                    title { (texts.wave) " " (s.wave) }
                }
            }
        }
        p { @for (n, s) in series.iter().enumerate() {
            svg width="14" height="14" aria-hidden="true" xmlns="http://www.w3.org/2000/svg" {
                rect width="14" height="14" fill=(COLOURS[n % COLOURS.len()]);
            }
            " " (texts.wave) " " (s.wave) " "
        } }
    }
}
