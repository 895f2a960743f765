//! The participant survey over real HTTP: a server on 127.0.0.1:0 with a temporary database and
//! the shipped follow-up form, participants inserted with SQL, invitations issued by
//! `issue_due`, pages fetched with a small blocking client on `std::net::TcpStream`.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;

use chrono::{Duration, Utc};
use pantau::config::Config;
use regex::Regex;
use rusqlite::Connection;
use tempfile::TempDir;

/// One follow-up wave, open from the training end date for 30 days.
pub(crate) const ONE_WAVE: &str = r#"
[[waves]]
name = "m3"
form = "followup.xlsx"
anchor = "training_end"
offset_months = 0
window_days = 30
"#;

/// A running server with its configuration and database.
pub(crate) struct Site {
    pub(crate) dir: TempDir,
    pub(crate) port: u16,
    pub(crate) config: Config,
    /// The `pantau serve` process, when the server runs in one.
    pub(crate) process: Option<std::process::Child>,
}

impl Drop for Site {
    fn drop(&mut self) {
        if let Some(child) = &mut self.process {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Writes a configuration with the `[[waves]]` given into a temporary folder and copies the
/// shipped forms beside it.
pub(crate) fn prepare(waves: &str) -> (TempDir, Config) {
    let dir = tempfile::tempdir().unwrap();
    let forms = dir.path().join("forms");
    std::fs::create_dir_all(&forms).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("forms");
    for name in ["followup.xlsx", "baseline.xlsx"] {
        std::fs::copy(shipped.join(name), forms.join(name)).unwrap();
    }
    let config_path = dir.path().join("pantau.toml");
    let text = format!(
        "[programme]\ncontact = \"WhatsApp 0812-0000-0000 (Bu Sari)\"\n\n\
         [paths]\ndatabase = \"pantau.db\"\nforms = \"forms\"\n{waves}"
    );
    std::fs::write(&config_path, text).unwrap();
    let config = Config::load(Some(&config_path)).unwrap();
    (dir, config)
}

impl Site {
    /// Writes a configuration with one follow-up wave (open on the training end date, for 30
    /// days) into a temporary folder, copies the shipped forms and starts the server.
    pub(crate) fn start() -> Site {
        Site::start_with(ONE_WAVE)
    }

    /// Starts a server whose configuration has the `[[waves]]` given.
    pub(crate) fn start_with(waves: &str) -> Site {
        let (dir, config) = prepare(waves);
        Site::start_prepared(dir, config)
    }

    /// Starts a server on a folder and configuration made by [`prepare`] (and then changed,
    /// for example with another form).
    pub(crate) fn start_prepared(dir: TempDir, config: Config) -> Site {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server_config = config.clone();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                pantau::web::server(server_config, listener)
                    .unwrap()
                    .await
                    .unwrap();
            })
        });
        Site {
            dir,
            port,
            config,
            process: None,
        }
    }

    /// Starts `pantau serve` as a separate process (one wave), waiting until it listens.
    pub(crate) fn start_process() -> Site {
        Site::start_process_logging(None)
    }

    /// Starts `pantau serve` as a separate process (one wave) whose standard error (the log,
    /// at `PANTAU_LOG=debug`) goes to `log` when given.
    pub(crate) fn start_process_logging(log: Option<&Path>) -> Site {
        Site::start_process_in(ONE_WAVE, log)
    }

    /// Starts `pantau serve` as a separate process with the `[[waves]]` and other sections
    /// given, its log going to `log` when given, and waits until it listens.
    fn start_process_in(sections: &str, log: Option<&Path>) -> Site {
        let (dir, config) = prepare(sections);
        let stderr = match log {
            Some(path) => std::process::Stdio::from(std::fs::File::create(path).unwrap()),
            None => std::process::Stdio::null(),
        };
        // A free port: bound and released at once (another process could take it in between,
        // which on loopback in a test run is unlikely).
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_pantau"))
            .arg("--config")
            .arg(dir.path().join("pantau.toml"))
            .arg("serve")
            .arg("--address")
            .arg(format!("127.0.0.1:{port}"))
            .env("PANTAU_LOG", "debug")
            .stdout(std::process::Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(20),
                "pantau serve did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Site {
            dir,
            port,
            config,
            process: Some(child),
        }
    }

    pub(crate) fn conn(&self) -> Connection {
        pantau::db::open(&self.config.database()).unwrap()
    }

    /// Adds a participant named `name` whose training ended `days_ago` days ago (local date),
    /// issues the invitations due `issued_days_ago` days ago, and returns the token of the last
    /// configured wave.
    pub(crate) fn participant(&self, name: &str, days_ago: i64, issued_days_ago: i64) -> String {
        let mut conn = self.conn();
        let now = Utc::now();
        let tz = self.config.programme.time_zone;
        let today = now.with_timezone(&tz).date_naive();
        let trained = today - Duration::days(days_ago);
        let stamp = pantau::invitations::rfc3339(now);
        conn.execute(
            "INSERT INTO participants (participant_key, pseudonym, created_at)
             VALUES (?1, ?2, ?3)",
            [format!("id:{name}"), format!("P-{name}"), stamp.clone()],
        )
        .unwrap();
        let id = conn.last_insert_rowid();
        for (attribute, value) in [
            ("name", name.to_string()),
            ("training_date", trained.to_string()),
        ] {
            pantau::participants::attributes::set_values(
                &conn,
                id,
                &[(attribute, &value)],
                None,
                &stamp,
            )
            .unwrap();
        }
        let issued = now - Duration::days(issued_days_ago);
        pantau::invitations::issue_due(&mut conn, &self.config, issued).unwrap();
        conn.query_row(
            "SELECT token FROM invitations WHERE participant_id = ?1 ORDER BY id DESC LIMIT 1",
            [id],
            |row| row.get(0),
        )
        .unwrap()
    }

    pub(crate) fn get(&self, path: &str) -> Reply {
        request(self.port, "GET", path, &[], "")
    }

    pub(crate) fn post(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let body = serde_urlencoded::to_string(fields).unwrap();
        request(
            self.port,
            "POST",
            path,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            &body,
        )
    }

    /// Posts and follows a 303 to the page it names.
    pub(crate) fn post_follow(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let reply = self.post(path, fields);
        match reply.status {
            303 => self.get(&reply.header("location").unwrap()),
            _ => reply,
        }
    }

    pub(crate) fn count(&self, sql: &str) -> i64 {
        self.conn().query_row(sql, [], |row| row.get(0)).unwrap()
    }
}

/// One HTTP response.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Reply {
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }

    /// The value of the hidden input `name`.
    pub(crate) fn hidden(&self, name: &str) -> Option<String> {
        let pattern = format!(r#"name="{name}" value="([^"]*)""#);
        Regex::new(&pattern)
            .unwrap()
            .captures(&self.body)
            .map(|c| c[1].to_string())
    }

    pub(crate) fn is_review(&self) -> bool {
        self.body.contains(r#"name="submission_id""#)
    }

    /// Whether an input for field `name` is on the page.
    pub(crate) fn asks(&self, name: &str) -> bool {
        self.body.contains(&format!(r#"name="{name}""#))
    }
}

/// A minimal HTTP/1.1 client: one request per connection, `Connection: close`.
pub(crate) fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let crate::http::RawReply {
        status,
        headers,
        bytes,
    } = crate::http::parse(&raw);
    let body = String::from_utf8(bytes).unwrap();
    Reply {
        status,
        headers,
        body,
    }
}

/// Answers whatever the page asks with plausible values (the first choice, 1000000 for
/// numbers, free text left empty), except the fields given in `overrides`; then presses Next.
pub(crate) fn answer_page(
    site: &Site,
    token: &str,
    page: &Reply,
    overrides: &[(&str, &str)],
) -> Reply {
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    let inputs = Regex::new(r#"<input type="(radio|checkbox|text|date)"[^>]*?name="([^"]+)"(?: value="([^"]*)")?([^>]*)>"#)
        .unwrap();
    for capture in inputs.captures_iter(&page.body) {
        let kind = &capture[1];
        let name = capture[2].to_string();
        let value = capture.get(3).map_or("", |m| m.as_str()).to_string();
        let rest = &capture[4];
        if fields.contains_key(&name) {
            continue;
        }
        let answer = match kind {
            "radio" | "checkbox" => value,
            "date" => "2026-01-15".to_string(),
            _ if rest.contains(r#"inputmode="numeric""#)
                || rest.contains(r#"inputmode="decimal""#) =>
            {
                "1000000".to_string()
            }
            // Free text is optional in the shipped forms (and a KPJ number has a format).
            _ => String::new(),
        };
        fields.insert(name, answer);
    }
    for (name, value) in overrides {
        fields.insert(name.to_string(), value.to_string());
    }
    let version = page.hidden("_version").unwrap();
    let screen = page.hidden("_screen").unwrap();
    let mut posted: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    posted.push(("_version", &version));
    posted.push(("_screen", &screen));
    posted.push(("_action", "next"));
    site.post_follow(&format!("/s/{token}"), &posted)
}

/// Accepts consent and returns the first screen.
pub(crate) fn start_survey(site: &Site, token: &str) -> Reply {
    let consent = site.get(&format!("/s/{token}"));
    assert_eq!(consent.status, 200);
    site.post_follow(
        &format!("/s/{token}/consent"),
        &[("decision", "accept"), ("lang", "id")],
    )
}

/// Answers screens until the review, each with `overrides`; returns the pages seen and the
/// review.
pub(crate) fn run_to_review(
    site: &Site,
    token: &str,
    mut page: Reply,
    overrides: &[(&str, &str)],
) -> (Vec<Reply>, Reply) {
    let mut seen = Vec::new();
    for _ in 0..60 {
        if page.is_review() {
            return (seen, page);
        }
        assert_eq!(page.status, 200, "a screen was refused: {}", page.body);
        let next = answer_page(site, token, &page, overrides);
        seen.push(page);
        page = next;
    }
    panic!("the survey never reached the review screen");
}

#[test]
fn a_whole_survey_skips_income_when_not_working_and_stores_one_response() {
    let site = Site::start();
    let token = site.participant("Sari Wulandari", 0, 0);

    let consent = site.get(&format!("/s/{token}"));
    assert!(consent.body.contains("Halo, Sari!"), "{}", consent.body);
    assert!(consent.body.contains(r#"<html lang="id">"#));
    assert!(consent.body.contains("36 bulan"), "retention is stated");
    assert_eq!(
        site.count("SELECT count(*) FROM invitations WHERE status = 'opened'"),
        1
    );

    let first = start_survey(&site, &token);
    assert!(first.body.contains("1 dari "), "{}", first.body);
    let (seen, review) = run_to_review(
        &site,
        &token,
        first,
        &[("work_status", "none"), ("still_resell", "no")],
    );
    assert!(seen.iter().any(|p| p.asks("work_status")));
    assert!(
        !seen
            .iter()
            .any(|p| p.asks("income_wage") || p.asks("resell_sales"))
    );
    assert!(review.body.contains("Periksa jawaban Anda"));
    assert!(
        review
            .body
            .contains(&format!("/s/{token}?screen=work_status"))
    );
    assert!(review.body.contains("Ubah"));

    // The final post, twice (a double tap), stores one response and shows one thank-you.
    let submission = review.hidden("submission_id").unwrap();
    let version = review.hidden("_version").unwrap();
    let fields = [
        ("submission_id", submission.as_str()),
        ("_version", version.as_str()),
    ];
    let once = site.post(&format!("/s/{token}/submit"), &fields);
    let twice = site.post(&format!("/s/{token}/submit"), &fields);
    assert_eq!(once.status, 200, "{}", once.body);
    assert!(once.body.contains("Terima kasih!"));
    assert_eq!(once.body, twice.body);
    assert_eq!(site.count("SELECT count(*) FROM responses"), 1);
    assert_eq!(site.count("SELECT count(*) FROM drafts"), 0);
    assert_eq!(
        site.count("SELECT count(*) FROM invitations WHERE status = 'submitted'"),
        1
    );
    let answers: String = site
        .conn()
        .query_row("SELECT answers FROM responses", [], |row| row.get(0))
        .unwrap();
    let answers: BTreeMap<String, String> = serde_json::from_str(&answers).unwrap();
    assert_eq!(answers.get("work_status").map(String::as_str), Some("none"));
    assert!(!answers.contains_key("income_wage"));
    assert_eq!(
        answers.get("roster_first_name").map(String::as_str),
        Some("Sari")
    );

    // The link now says when the answers were received.
    let later = site.get(&format!("/s/{token}"));
    assert!(
        later.body.contains("Jawaban Anda diterima pada"),
        "{}",
        later.body
    );
}

#[test]
fn errors_keep_values_and_back_resume_and_language_keep_answers() {
    let site = Site::start();
    let token = site.participant("Budi Santoso", 0, 0);
    let mut page = start_survey(&site, &token);
    // Up to the income screen, answering as a wage worker who does not resell.
    let overrides = [("work_status", "wage"), ("still_resell", "no")];
    while !page.asks("income_wage") {
        page = answer_page(&site, &token, &page, &overrides);
        assert_eq!(page.status, 200, "{}", page.body);
    }
    assert!(page.body.contains(r#"inputmode="numeric""#));

    // A negative income is refused beside the field and in the summary; typed values stay.
    let refused = answer_page(
        &site,
        &token,
        &page,
        &[("income_wage", "-5"), ("income_other", "3.500.000")],
    );
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("Ada yang perlu diperbaiki"));
    assert!(refused.body.contains(r#"id="e-income_wage""#));
    assert!(refused.body.contains("Tulis angka antara 0"));
    assert!(refused.body.contains(r#"value="-5""#));
    assert!(refused.body.contains("Rp 3.500.000"), "{}", refused.body);

    // Rupiah as people write it is accepted.
    let next = answer_page(
        &site,
        &token,
        &refused,
        &[("income_wage", "3,5 juta"), ("income_other", "0")],
    );
    assert_eq!(next.status, 200, "{}", next.body);
    assert!(!next.asks("income_wage"));
    let next_screen = next.hidden("_screen").unwrap();

    // Leaving and opening the link again resumes on the same screen.
    let resumed = site.get(&format!("/s/{token}"));
    assert_eq!(resumed.hidden("_screen").unwrap(), next_screen);

    // Back shows the income screen with the amounts given.
    let version = resumed.hidden("_version").unwrap();
    let back = site.post_follow(
        &format!("/s/{token}"),
        &[
            ("_version", version.as_str()),
            ("_screen", next_screen.as_str()),
            ("_action", "back"),
        ],
    );
    assert!(back.asks("income_wage"), "{}", back.body);
    assert!(back.body.contains(r#"value="3500000""#));
    assert!(back.body.contains("Rp 3.500.000"));

    // A page from before (another tab) cannot overwrite newer answers.
    let stale = site.post(
        &format!("/s/{token}"),
        &[
            ("_version", version.as_str()),
            ("_screen", next_screen.as_str()),
            ("_action", "next"),
        ],
    );
    assert_eq!(stale.status, 409);
    assert!(stale.body.contains("dilanjutkan di tempat lain"));

    // English is kept across screens once chosen.
    let english = site.get(&format!("/s/{token}?lang=en"));
    assert!(english.body.contains(r#"<html lang="en">"#));
    assert!(english.body.contains(" of "));
    let again = site.get(&format!("/s/{token}"));
    assert!(again.body.contains(r#"<html lang="en">"#));
    assert!(again.body.contains("Next"));

    // Errors come in the chosen language too.
    let income = site.get(&format!("/s/{token}?screen=income_intro"));
    assert!(income.asks("income_wage"), "{}", income.body);
    let refused = answer_page(&site, &token, &income, &[("income_wage", "-1")]);
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("Please correct the following"));
    assert!(
        refused
            .body
            .contains("Enter a number between 0 and 100000000")
    );
}

#[test]
fn closed_declined_unknown_and_protections() {
    let site = Site::start();

    // A window that closed 30 days ago.
    let closed = site.participant("Ani", 60, 55);
    let page = site.get(&format!("/s/{closed}"));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Survei sudah ditutup"), "{}", page.body);
    assert!(page.body.contains("0812-0000-0000"));

    // Declining is recorded with the consent text version and ends politely.
    let token = site.participant("Dewi", 0, 0);
    let cross = request(
        site.port,
        "POST",
        &format!("/s/{token}/consent"),
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Origin", "https://evil.example"),
        ],
        "decision=decline&lang=id",
    );
    assert_eq!(cross.status, 403, "cross-site posts are refused");
    let fetched = request(
        site.port,
        "POST",
        &format!("/s/{token}/consent"),
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Sec-Fetch-Site", "cross-site"),
        ],
        "decision=decline&lang=id",
    );
    assert_eq!(fetched.status, 403);
    assert_eq!(
        oversized_post(&site, &token),
        413,
        "bodies over max_body_kb are refused"
    );
    assert_eq!(site.count("SELECT count(*) FROM consents"), 0);
    let declined = site.post(
        &format!("/s/{token}/consent"),
        &[("decision", "decline"), ("lang", "id")],
    );
    assert_eq!(declined.status, 200);
    assert!(declined.body.contains("memilih tidak mengisi"));
    assert_eq!(
        site.count(
            "SELECT count(*) FROM consents WHERE decision = 'declined' AND text_version = '2026-11-1'"
        ),
        1
    );
    assert_eq!(
        site.count("SELECT count(*) FROM invitations WHERE status = 'declined'"),
        1
    );
    assert!(
        site.get(&format!("/s/{token}"))
            .body
            .contains("memilih tidak mengisi")
    );

    // An unknown token looks exactly like any missing page.
    let unknown = site.get("/s/AAAAAAAAAAAAAAAAAAAAAAAA");
    let missing = site.get("/nope");
    assert_eq!(unknown.status, 404);
    assert_eq!(missing.status, 404);
    assert_eq!(unknown.body, missing.body);

    // Security headers on every page; the stylesheet is cached for long.
    for reply in [&page, &unknown] {
        assert_eq!(
            reply.header("content-security-policy").as_deref(),
            Some(pantau::web::security::CONTENT_SECURITY_POLICY)
        );
        assert_eq!(
            reply.header("x-content-type-options").as_deref(),
            Some("nosniff")
        );
        assert_eq!(
            reply.header("referrer-policy").as_deref(),
            Some("same-origin")
        );
    }
    assert!(!page.body.contains("<script"));
    let css = site.get("/static/pantau.css");
    assert_eq!(css.status, 200);
    assert!(
        css.header("cache-control")
            .unwrap()
            .contains("max-age=31536000")
    );
}

#[test]
fn previous_wave_answers_are_shown_in_the_next_wave() {
    let two_waves = format!("{}{}", ONE_WAVE.replace("\"m3\"", "\"m1\""), ONE_WAVE);
    let site = Site::start_with(&two_waves);
    let token = site.participant("Rina Marlina", 0, 0);
    site.conn()
        .execute(
            "INSERT INTO responses (invitation_id, submission_id, form_id, form_version, answers,
                                    language, submitted_at)
             SELECT id, 'earlier', 'pantau_followup', '1',
                    '{\"work_status\":\"wage\",\"income_total\":\"2000000\"}', 'id',
                    '2026-01-01T00:00:00Z'
             FROM invitations WHERE wave = 'm1'",
            [],
        )
        .unwrap();
    let first = start_survey(&site, &token);
    let work = answer_page(&site, &token, &first, &[]);
    assert!(work.asks("work_status"), "{}", work.body);
    assert!(
        work.body
            .contains("Pada survei sebelumnya, Anda bekerja sebagai karyawan atau buruh."),
        "{}",
        work.body
    );
}

/// Announces a body of 300 KiB (over the default 256 KiB limit) without sending it, and returns
/// the status the server answers with.
fn oversized_post(site: &Site, token: &str) -> u16 {
    let mut stream = TcpStream::connect(("127.0.0.1", site.port)).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let head = format!(
        "POST /s/{token} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        site.port,
        300 * 1024
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.contains("Isian terlalu panjang"), "{reply}");
    reply[9..12].parse().unwrap()
}

#[test]
fn pages_over_the_rate_limit_are_refused() {
    let site = Site::start_with(&format!(
        "{ONE_WAVE}\n[server]\ntoken_pages_per_minute = 3\n"
    ));
    for _ in 0..3 {
        assert_eq!(site.get("/s/AAAAAAAAAAAAAAAAAAAAAAAA").status, 404);
    }
    let limited = site.get("/s/AAAAAAAAAAAAAAAAAAAAAAAA");
    assert_eq!(limited.status, 429);
    assert!(limited.header("retry-after").is_some());
    // The stylesheet is not counted.
    assert_eq!(site.get("/static/pantau.css").status, 200);
}

#[test]
fn a_thank_you_survives_kill_9_of_the_server() {
    let mut site = Site::start_process();
    let token = site.participant("Yanti", 0, 0);
    let first = start_survey(&site, &token);
    let (_, review) = run_to_review(&site, &token, first, &[("work_status", "none")]);
    let submission = review.hidden("submission_id").unwrap();
    let version = review.hidden("_version").unwrap();
    let thanks = site.post(
        &format!("/s/{token}/submit"),
        &[("submission_id", &submission), ("_version", &version)],
    );
    assert!(thanks.body.contains("Terima kasih!"));
    // SIGKILL right after the participant saw "thank you": nothing may be lost.
    let mut child = site.process.take().unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(site.count("SELECT count(*) FROM responses"), 1);
    assert_eq!(
        site.count("SELECT count(*) FROM invitations WHERE status = 'submitted'"),
        1
    );
}

impl Site {
    /// Starts `pantau serve` as a separate process with the `[[waves]]` and other sections
    /// given, waiting until it listens.
    fn start_process_with(sections: &str) -> Site {
        Site::start_process_in(sections, None)
    }
}

/// Concurrent final submissions go through the group-commit writer: 200 participants submit at
/// once, a quarter of them double-tapping (two posts of the same submission at the same time)
/// and another quarter retrying after their thank-you. Everyone gets their thank-you, each
/// response is stored exactly once, and SIGKILL right after the last thank-you loses nothing.
#[test]
fn two_hundred_concurrent_submissions_are_each_stored_once_and_survive_kill_9() {
    const PARTICIPANTS: usize = 200;
    let mut site = Site::start_process_with(&format!(
        "{ONE_WAVE}\n[server]\ntoken_pages_per_minute = 100000\nposts_per_minute = 100000\n"
    ));
    // One participant walks to the review; the others get a copy of that complete draft, so
    // the test does not walk 200 surveys.
    let walker = site.participant("Walker", 0, 0);
    let first = start_survey(&site, &walker);
    let (_, _review) = run_to_review(&site, &walker, first, &[("work_status", "none")]);
    let conn = site.conn();
    let answers: String = conn
        .query_row("SELECT answers FROM drafts", [], |row| row.get(0))
        .unwrap();
    let tokens: Vec<String> = (0..PARTICIPANTS)
        .map(|n| site.participant(&format!("Peserta {n}"), 0, 0))
        .collect();
    let stamp = pantau::invitations::rfc3339(Utc::now());
    for token in &tokens {
        let id: i64 = conn
            .query_row(
                "SELECT id FROM invitations WHERE token = ?1",
                [token],
                |row| row.get(0),
            )
            .unwrap();
        conn.execute(
            "INSERT INTO consents (invitation_id, decision, text_version, language, decided_at)
             VALUES (?1, 'accepted', ?2, 'id', ?3)",
            rusqlite::params![id, pantau::web::i18n::CONSENT_VERSION, stamp],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO drafts (invitation_id, answers, screen, language, version, updated_at)
             VALUES (?1, ?2, 'review', 'id', 1, ?3)",
            rusqlite::params![id, answers, stamp],
        )
        .unwrap();
    }
    drop(conn);

    let replies: Vec<Reply> = std::thread::scope(|scope| {
        let mut posts = Vec::new();
        for (n, token) in tokens.iter().enumerate() {
            // 24 URL-safe characters, like the review's own submission ids.
            let submission = format!("test-submission-{n:08}");
            let path = format!("/s/{token}/submit");
            let senders = if n % 4 == 0 { 2 } else { 1 };
            for _ in 0..senders {
                let (site, path, submission) = (&site, path.clone(), submission.clone());
                posts.push(scope.spawn(move || {
                    let fields = [("submission_id", submission.as_str()), ("_version", "1")];
                    let mut replies = vec![site.post(&path, &fields)];
                    if n % 4 == 1 {
                        replies.push(site.post(&path, &fields));
                    }
                    replies
                }));
            }
        }
        posts
            .into_iter()
            .flat_map(|post| post.join().unwrap())
            .collect()
    });
    // 200 first posts, 50 double taps and 50 retries.
    assert_eq!(replies.len(), PARTICIPANTS + PARTICIPANTS / 2);
    for reply in &replies {
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert!(reply.body.contains("Terima kasih!"), "{}", reply.body);
    }

    let mut child = site.process.take().unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        site.count("SELECT count(*) FROM responses"),
        PARTICIPANTS as i64
    );
    assert_eq!(
        site.count("SELECT count(DISTINCT submission_id) FROM responses"),
        PARTICIPANTS as i64
    );
    assert_eq!(
        site.count("SELECT count(*) FROM invitations WHERE status = 'submitted'"),
        PARTICIPANTS as i64
    );
    // Only the walker's draft is left.
    assert_eq!(site.count("SELECT count(*) FROM drafts"), 1);
}
