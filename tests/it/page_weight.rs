//! Page weight: every kind of survey screen, with its stylesheet, fits the budget of 14 KB
//! compressed, as the real server sends it (gzip and brotli, `Accept-Encoding` as phones send
//! it). 14 KB is what the first round trip of a new TCP connection can carry (an initial
//! congestion window of 10 segments), so on a slow prepaid connection a screen arrives without
//! waiting for more round trips. A size, not a time: it is the same on any machine.
//!
//! The figures printed (`cargo test --test it page_weight -- --nocapture`) are the ones in
//! BENCHMARKS.md.

use std::io::{Read, Write};
use std::net::TcpStream;

use super::survey::{Reply, Site, answer_page, start_survey};

/// The budget per screen, page and stylesheet together, compressed.
const BUDGET: usize = 14 * 1024;

/// A response as bytes: status, headers, and the body as sent (compressed, de-chunked).
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn raw_request(port: u16, method: &str, path: &str, encoding: &str, body: &str) -> Raw {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Accept-Encoding: {encoding}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut rest = &raw[split + 4..];
    let mut lines = head.lines();
    let status = lines.next().unwrap()[9..12].parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        let mut body = Vec::new();
        loop {
            let end = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let size = usize::from_str_radix(std::str::from_utf8(&rest[..end]).unwrap().trim(), 16)
                .unwrap();
            if size == 0 {
                break;
            }
            body.extend_from_slice(&rest[end + 2..end + 2 + size]);
            rest = &rest[end + 2 + size + 2..];
        }
        body
    } else {
        rest.to_vec()
    };
    Raw {
        status,
        headers,
        body,
    }
}

/// The compressed size of one response in `encoding`, checking it really was compressed so.
fn weigh_once(site: &Site, method: &str, path: &str, body: &str, encoding: &str) -> usize {
    let reply = raw_request(site.port, method, path, encoding, body);
    assert!(
        matches!(reply.status, 200 | 404 | 422),
        "{method} {path}: {}",
        reply.status
    );
    assert_eq!(
        reply.header("content-encoding"),
        Some(encoding),
        "{method} {path} was not sent with {encoding}"
    );
    if encoding == "gzip" {
        assert_eq!(&reply.body[..2], &[0x1f, 0x8b], "a gzip stream");
    }
    reply.body.len()
}

/// One screen's figures: (gzip, brotli) of the page.
struct Weight {
    screen: &'static str,
    gzip: usize,
    brotli: usize,
}

fn weigh(site: &Site, screen: &'static str, path: &str) -> Weight {
    Weight {
        screen,
        gzip: weigh_once(site, "GET", path, "", "gzip"),
        brotli: weigh_once(site, "GET", path, "", "br"),
    }
}

/// Posts `page`'s form with `overrides` (values as `answer_page` fills them) and Next, in
/// `encoding`; returns the compressed size of the refused screen.
fn refused_size(site: &Site, token: &str, page: &Reply, field: &str, encoding: &str) -> usize {
    let version = page.hidden("_version").unwrap();
    let screen = page.hidden("_screen").unwrap();
    let body = serde_urlencoded::to_string([
        (field, "-5"),
        ("_version", version.as_str()),
        ("_screen", screen.as_str()),
        ("_action", "next"),
    ])
    .unwrap();
    let reply = raw_request(site.port, "POST", &format!("/s/{token}"), encoding, &body);
    assert_eq!(reply.status, 422, "the post should be refused");
    assert_eq!(reply.header("content-encoding"), Some(encoding));
    reply.body.len()
}

#[test]
fn every_survey_screen_with_its_stylesheet_fits_14_kb_compressed() {
    let site = Site::start();
    let token = site.participant("Sari Wulandari", 0, 0);
    let path = format!("/s/{token}");
    let stylesheet = format!("/static/pantau.css?v={}", pantau::web::layout::CSS_VERSION);
    let css = Weight {
        screen: "stylesheet",
        gzip: weigh_once(&site, "GET", &stylesheet, "", "gzip"),
        brotli: weigh_once(&site, "GET", &stylesheet, "", "br"),
    };
    let mut weights = vec![weigh(&site, "consent", &path)];
    weights.push(weigh(&site, "consent, English", &format!("{path}?lang=en")));

    // Walk the survey as a wage worker, weighing the first screen of each kind.
    let mut page = start_survey(&site, &token);
    let overrides = [("work_status", "wage"), ("still_resell", "no")];
    let mut kinds: Vec<&'static str> = Vec::new();
    while !page.is_review() {
        let radios = page.body.matches(r#"type="radio""#).count();
        let boxes = page.body.matches(r#"type="checkbox""#).count();
        let names =
            page.body.matches(r#"<label for="f-"#).count() + page.body.matches("<fieldset").count();
        let kind = if names > 1 {
            "field-list group"
        } else if radios > 0 {
            "select_one"
        } else if boxes > 0 {
            "select_multiple"
        } else if names == 1 {
            "text or number question"
        } else {
            "note"
        };
        if !kinds.contains(&kind) {
            kinds.push(kind);
            weights.push(weigh(&site, kind, &path));
        }
        if page.asks("income_wage") && !kinds.contains(&"validation error") {
            kinds.push("validation error");
            let brotli = refused_size(&site, &token, &page, "income_wage", "br");
            let again = site.get(&path);
            let gzip = refused_size(&site, &token, &again, "income_wage", "gzip");
            weights.push(Weight {
                screen: "validation error",
                gzip,
                brotli,
            });
            page = site.get(&path);
        }
        page = answer_page(&site, &token, &page, &overrides);
        assert!(matches!(page.status, 200), "{}", page.body);
    }
    for kind in ["select_one", "select_multiple", "field-list group"] {
        assert!(kinds.contains(&kind), "no {kind} screen seen: {kinds:?}");
    }
    weights.push(weigh(&site, "review", &path));
    let submission = page.hidden("submission_id").unwrap();
    let version = page.hidden("_version").unwrap();
    site.post(
        &format!("{path}/submit"),
        &[("submission_id", &submission), ("_version", &version)],
    );
    weights.push(weigh(&site, "thank-you", &path));

    let declining = site.participant("Dewi", 0, 0);
    site.post(
        &format!("/s/{declining}/consent"),
        &[("decision", "decline"), ("lang", "id")],
    );
    weights.push(weigh(&site, "declined", &format!("/s/{declining}")));
    let closed = site.participant("Ani", 60, 55);
    weights.push(weigh(&site, "closed", &format!("/s/{closed}")));
    weights.push(weigh(&site, "not found", "/s/AAAAAAAAAAAAAAAAAAAAAAAA"));

    println!("| screen | gzip page | gzip + CSS | brotli page | brotli + CSS |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    let mut over = Vec::new();
    for w in &weights {
        let (gzip, brotli) = (w.gzip + css.gzip, w.brotli + css.brotli);
        println!(
            "| {} | {} B | {} B | {} B | {} B |",
            w.screen, w.gzip, gzip, w.brotli, brotli
        );
        if gzip > BUDGET || brotli > BUDGET {
            over.push(format!("{}: gzip {gzip} B, brotli {brotli} B", w.screen));
        }
    }
    println!(
        "| {} (once, then cached) | {} B | | {} B | |",
        css.screen, css.gzip, css.brotli
    );
    assert!(over.is_empty(), "over the {BUDGET}-byte budget: {over:#?}");
}
