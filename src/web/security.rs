//! Protections every response and request goes through: security headers, refusal of
//! cross-site posts, the per-IP rate limits, and the request log.
//!
//! - **Headers**: a content security policy that allows no script at all and only this site's
//!   stylesheet; `X-Content-Type-Options: nosniff`; `Referrer-Policy: same-origin`, so that a
//!   personal link never leaks to another site through the `Referer` header. Not
//!   `no-referrer`: under that policy browsers send `Origin: null` with the survey's own form
//!   posts (Fetch standard, "serializing a request origin"), and an old browser that sends no
//!   `Sec-Fetch-Site` could then not be told apart from a cross-site post.
//! - **Cross-site posts**: survey forms carry no session cookie, but a page elsewhere could still
//!   post answers into a link it knows; a POST is refused when the browser says it came from
//!   another site (`Sec-Fetch-Site: cross-site`/`same-site`) or its `Origin` is not this server.
//!   Clients that send neither header (old browsers, scripts) are let through: they are not a
//!   browser being tricked.
//! - **Rate limits**: per client address (see `rate_limit.rs` for how the address is found
//!   behind a reverse proxy); the stylesheet is not counted.
//! - **Body size**: a body announced larger than `[server] max_body_kb` is refused here with a
//!   page in the participant's language; `web::PayloadConfig` (in `mod.rs`) enforces the same
//!   limit on bodies sent without a length.
//! - **Request log**: one line per request with the method, the route with the token replaced
//!   by `{token}` ([`route`]), the status and the time taken. Never the query string, the
//!   client address, a header or the body: the path holds the personal link, and bodies hold
//!   answers.

use std::sync::Arc;
use std::time::Instant;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, web};

use super::i18n;
use super::layout::{message_page, page};
use super::rate_limit::client_ip;
use super::state::AppState;

/// The content security policy: nothing but this site's stylesheet and images, no script, no
/// framing, forms posting only here.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The headers added to every response.
pub fn headers() -> actix_web::middleware::DefaultHeaders {
    actix_web::middleware::DefaultHeaders::new()
        .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("X-Frame-Options", "DENY"))
}

/// Refuses cross-site posts (403), bodies over the limit (413) and requests over the client's
/// rate limit (429) before they reach a handler, and logs every request without its token.
pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let route = route(req.path());
    let result = refuse_or_serve(req, next).await;
    let status = match &result {
        Ok(response) => response.status(),
        Err(err) => err.error_response().status(),
    };
    tracing::info!(
        target: "pantau::requests",
        method = %method,
        route,
        status = status.as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    result
}

async fn refuse_or_serve(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let state = req.app_data::<web::Data<AppState>>().map(|d| Arc::clone(d));
    if let Some(state) = state {
        let texts = i18n::texts(&state.config.programme.default_language);
        let is_post = req.method() == Method::POST;
        if is_post && is_cross_site(&req, &state) {
            tracing::warn!(path_kind = path_kind(req.path()), "cross-site post refused");
            let markup = message_page(
                texts,
                texts.forbidden_title,
                &[texts.forbidden_body.to_string()],
            );
            let response = page(StatusCode::FORBIDDEN, markup);
            return Ok(req.into_response(response).map_into_right_body());
        }
        // A roster upload may be large (`max_upload_mb`); its handler counts the bytes as they
        // arrive. Every other body is small (`max_body_kb`).
        let limit = if is_post && req.path() == "/admin/imports" {
            u64::from(state.config.server.max_upload_mb).saturating_mul(1024 * 1024)
        } else {
            u64::from(state.config.server.max_body_kb).saturating_mul(1024)
        };
        let announced = req
            .headers()
            .get("content-length")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<u64>().ok());
        if announced.is_some_and(|length| length > limit) {
            let markup = message_page(
                texts,
                texts.too_large_title,
                &[texts.too_large_body.to_string()],
            );
            let response = page(StatusCode::PAYLOAD_TOO_LARGE, markup);
            return Ok(req.into_response(response).map_into_right_body());
        }
        if !req.path().starts_with("/static/") {
            let limiter = if is_post { &state.posts } else { &state.pages };
            let ip = client_ip(
                req.peer_addr().map(|addr| addr.ip()),
                req.headers()
                    .get_all("x-forwarded-for")
                    .filter_map(|value| value.to_str().ok()),
                &state.config.server.trusted_proxies,
            );
            if let Some(ip) = ip
                && !limiter.allow(ip, Instant::now())
            {
                let markup = message_page(
                    texts,
                    texts.too_many_title,
                    &[texts.too_many_body.to_string()],
                );
                let mut response = page(StatusCode::TOO_MANY_REQUESTS, markup);
                response.headers_mut().insert(
                    HeaderName::from_static("retry-after"),
                    HeaderValue::from_static("10"),
                );
                return Ok(req.into_response(response).map_into_right_body());
            }
        }
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// What kind of path a request was for, for logs that must not carry tokens.
pub fn path_kind(path: &str) -> &'static str {
    if path.starts_with("/s/") {
        "survey"
    } else if path.starts_with("/static/") {
        "static"
    } else {
        "other"
    }
}

/// A request path as it may be logged: the survey routes with the token replaced by
/// `{token}`, the stylesheet, and `(other)` for anything else (a mistyped path can hold a
/// pasted token or a name).
pub fn route(path: &str) -> &'static str {
    let Some(rest) = path.strip_prefix("/s/") else {
        return if path.starts_with("/static/") {
            "/static/"
        } else {
            "(other)"
        };
    };
    match rest.split_once('/') {
        None => "/s/{token}",
        Some((_, "consent")) => "/s/{token}/consent",
        Some((_, "submit")) => "/s/{token}/submit",
        Some(_) => "/s/{token}/(other)",
    }
}

fn is_cross_site(req: &ServiceRequest, state: &AppState) -> bool {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_ascii_lowercase)
    };
    // A browser that says where the post came from is believed; the Origin check below is
    // for browsers too old to say.
    if let Some(site) = header("sec-fetch-site") {
        return site != "same-origin" && site != "none";
    }
    let Some(origin) = header("origin") else {
        return false;
    };
    if origin == "null" {
        return true;
    }
    let public = state
        .config
        .server
        .public_base_url
        .trim_end_matches('/')
        .to_ascii_lowercase();
    if origin == public {
        return false;
    }
    // The server as the browser reached it (a test on port 0, a LAN address).
    let host = header("host").unwrap_or_default();
    let origin_host = origin.split_once("://").map_or("", |(_, rest)| rest);
    origin_host != host
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_logged_by_kind_only() {
        assert_eq!(path_kind("/s/abcdefabcdefabcdefabcdef"), "survey");
        assert_eq!(path_kind("/static/pantau.css"), "static");
        assert_eq!(path_kind("/nope"), "other");
    }

    #[test]
    fn logged_routes_never_hold_the_token() {
        let token = "abcdefabcdefabcdefabcdef";
        assert_eq!(route(&format!("/s/{token}")), "/s/{token}");
        assert_eq!(route(&format!("/s/{token}/consent")), "/s/{token}/consent");
        assert_eq!(route(&format!("/s/{token}/submit")), "/s/{token}/submit");
        assert_eq!(route(&format!("/s/{token}/{token}")), "/s/{token}/(other)");
        assert_eq!(route("/static/pantau.css"), "/static/");
        assert_eq!(route(&format!("/{token}")), "(other)");
    }
}
