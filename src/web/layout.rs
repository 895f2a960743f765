//! The page frame every participant page shares, and its one stylesheet.
//!
//! No JavaScript anywhere: every step is a link or a form post, so the survey works on any
//! browser a cheap phone ships. The stylesheet is small (system fonts, no web fonts, no images),
//! served from `/static/pantau.css` with a year of caching; its URL carries [`CSS_VERSION`] so a
//! changed stylesheet reaches phones at once.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use maud::{DOCTYPE, Markup, html};

use super::i18n::Texts;

/// Changes whenever [`CSS`] changes, so that cached copies are not used.
pub const CSS_VERSION: &str = "6";

/// The stylesheet: large text (≥ 16 px, 18 px body), tap targets of at least 44 px (every
/// label, button and link, checked in headless Chromium by `tests/it/browser.rs`), one column
/// readable at 360 px wide. The admin pages share it: their wide tables sit in a `.scroll`
/// wrapper that scrolls sideways on a phone instead of widening the page (a focusable region,
/// outlined when focused, so that a keyboard can reach and scroll it), and the dashboard's
/// response-rate chart is an inline SVG styled here (the CSP forbids inline styles).
pub const CSS: &str = "\
*{box-sizing:border-box}\
html{font-size:100%;-webkit-text-size-adjust:100%}\
body{margin:0 auto;max-width:40rem;padding:1rem;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;font-size:1.125rem;line-height:1.5;color:#1a1a1a;background:#fff}\
h1{font-size:1.5rem;line-height:1.25;margin:.5rem 0 1rem}\
h2{font-size:1.25rem}\
p,li{margin:.5rem 0}\
.lang{text-align:right;margin:0}\
.lang a{display:inline-block;min-height:44px;padding:.6rem .25rem}\
.progress{color:#444;margin:0 0 .5rem}\
label,legend{display:block;font-weight:600;margin:.75rem 0 .25rem}\
label{min-height:44px;padding-top:.5rem}\
.question{font-size:1.25rem;line-height:1.4;margin:0}\
fieldset{border:0;padding:0;margin:1rem 0}\
.choice{display:flex;align-items:center;min-height:48px;margin:.25rem 0;padding:.25rem .5rem;border:1px solid #999;border-radius:.5rem;font-weight:400}\
.choice input{width:1.5rem;height:1.5rem;margin:0 .75rem 0 0;flex:none}\
input[type=text],input[type=date],textarea{width:100%;min-height:48px;font-size:1.125rem;padding:.5rem;border:2px solid #555;border-radius:.5rem}\
textarea{min-height:6rem}\
.hint{color:#444;margin:.25rem 0;font-size:1rem}\
.amount{font-weight:600;margin:.25rem 0}\
.error{color:#a00000;font-weight:600}\
.summary{border:3px solid #a00000;border-radius:.5rem;padding:.5rem 1rem;margin:1rem 0}\
.summary a{color:#a00000;display:inline-block;min-height:44px;padding:.6rem 0}\
.reconsider{display:inline-block;min-height:44px;padding:.6rem 0;font-weight:600}\
.notice{border:3px solid #0b5394;border-radius:.5rem;padding:.5rem 1rem}\
.buttons{display:flex;flex-wrap:wrap;gap:.75rem;margin:1.5rem 0}\
button{min-height:48px;min-width:44px;padding:.6rem 1.25rem;font-size:1.125rem;border-radius:.5rem;border:2px solid #0b5394;background:#0b5394;color:#fff;cursor:pointer}\
button.secondary{background:#fff;color:#0b5394}\
a{color:#0b5394}\
dl{margin:0}dt{font-weight:600;margin-top:1rem}dd{margin:0}\
.change{display:inline-block;min-height:44px;padding:.6rem 0}\
.scroll{overflow-x:auto;max-width:100%}\
.scroll:focus-visible{outline:3px solid #0b5394;outline-offset:2px}\
table{border-collapse:collapse}th,td{padding:.25rem .5rem;border-bottom:1px solid #ccc;text-align:left;white-space:nowrap}\
.chart{width:100%;max-width:36rem;height:auto}.chart polyline{fill:none;stroke-width:2}.chart line{stroke:#999}\
";

/// The page frame: `lang` on `<html>`, a viewport for phones, the stylesheet, a switch to the
/// other language when `switch` (the current page's path) is given.
pub fn layout(texts: &Texts, title: &str, switch: Option<&str>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(texts.code) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                link rel="stylesheet" href={ "/static/pantau.css?v=" (CSS_VERSION) };
            }
            body {
                // In a landmark of its own, so that screen readers find everything in one.
                @if let Some(path) = switch {
                    header {
                        p.lang {
                            a href={ (path) "?lang=" (texts.other_code) } lang=(texts.other_code) {
                                (texts.other_name)
                            }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// A page with a title and paragraphs, for the simple outcomes (closed, declined, not found).
pub fn message_page(texts: &Texts, title: &str, paragraphs: &[String]) -> Markup {
    layout(
        texts,
        title,
        None,
        html! {
            h1 { (title) }
            @for paragraph in paragraphs { p { (paragraph) } }
        },
    )
}

/// An HTML response with `status`, never stored by shared caches (pages may show answers).
pub fn page(status: StatusCode, markup: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((CACHE_CONTROL, "no-store"))
        .body(markup.into_string())
}

/// `GET /static/pantau.css`.
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(CSS)
}
