//! Who a request is counted against behind a reverse proxy, and what the server's log says
//! about a survey: never the token or an answer.

use super::survey::{ONE_WAVE, Site, request, run_to_review, start_survey};

const UNKNOWN: &str = "/s/AAAAAAAAAAAAAAAAAAAAAAAA";

fn get_from(site: &Site, forwarded_for: &str) -> u16 {
    request(
        site.port,
        "GET",
        UNKNOWN,
        &[("X-Forwarded-For", forwarded_for)],
        "",
    )
    .status
}

#[test]
fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() {
    let site = Site::start_with(&format!(
        "{ONE_WAVE}\n[server]\ntoken_pages_per_minute = 2\ntrusted_proxies = [\"127.0.0.1\"]\n"
    ));
    assert_eq!(get_from(&site, "198.51.100.1"), 404);
    assert_eq!(get_from(&site, "198.51.100.1"), 404);
    assert_eq!(get_from(&site, "198.51.100.1"), 429);
    // Another phone behind the same proxy is not held back.
    assert_eq!(get_from(&site, "198.51.100.2"), 404);
    // A client cannot pick a fresh bucket by sending its own header: the proxy appends the
    // address it saw, and that one counts.
    assert_eq!(get_from(&site, "203.0.113.50, 198.51.100.1"), 429);
}

#[test]
fn without_trusted_proxies_the_forwarded_header_is_ignored() {
    let site = Site::start_with(&format!(
        "{ONE_WAVE}\n[server]\ntoken_pages_per_minute = 2\n"
    ));
    assert_eq!(get_from(&site, "198.51.100.1"), 404);
    assert_eq!(get_from(&site, "198.51.100.2"), 404);
    assert_eq!(
        get_from(&site, "198.51.100.3"),
        429,
        "a forged header must not buy a fresh bucket"
    );
}

#[test]
fn the_log_of_a_whole_survey_holds_routes_but_no_token_name_or_answer() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("serve.log");
    let mut site = Site::start_process_logging(Some(&log));
    let token = site.participant("Sulastri Wulandari", 0, 0);
    let first = start_survey(&site, &token);
    let (_, review) = run_to_review(
        &site,
        &token,
        first,
        &[
            ("work_status", "wage"),
            ("still_resell", "no"),
            ("income_wage", "3,5 juta"),
            ("income_other", "1234567"),
        ],
    );
    assert!(review.body.contains("Rp 3.500.000"), "{}", review.body);
    let submission = review.hidden("submission_id").unwrap();
    let version = review.hidden("_version").unwrap();
    let thanks = site.post(
        &format!("/s/{token}/submit"),
        &[("submission_id", &submission), ("_version", &version)],
    );
    assert_eq!(thanks.status, 200);
    // A mistyped path that holds the token is not logged either.
    site.get(&format!("/x/{token}?screen=income_wage"));
    let mut child = site.process.take().unwrap();
    child.kill().unwrap();
    child.wait().unwrap();

    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("/s/{token}/consent"), "{text}");
    assert!(text.contains("/s/{token}/submit"), "{text}");
    assert!(text.contains("status=303"), "{text}");
    assert!(text.contains("(other)"), "{text}");
    for secret in [
        token.as_str(),
        &token[..12],
        "Sulastri",
        "Wulandari",
        "3500000",
        "3,5",
        "juta",
        "1234567",
        "income_wage",
        submission.as_str(),
    ] {
        assert!(!text.contains(secret), "the log holds {secret:?}:\n{text}");
    }
}
