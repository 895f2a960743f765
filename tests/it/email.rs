//! Email end to end against a real SMTP server over TCP: Python's aiosmtpd, run by
//! `tests/smtp/server.py` on a free loopback port, which stores each message it accepts and
//! answers 451 or 550 for recipients named `tempfail…` or `permfail…`. Delivered messages are
//! parsed with mail-parser and the attached workbook is opened with calamine.
//!
//! Also: the file transport's `.eml`, participant invitations and reminders as the job queues
//! them, the opt-out page on a real server, and `pantau outbox` on the command line.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use calamine::{Data, Reader, Xlsx};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use mail_parser::{MessageParser, MimeHeaders};
use pantau::config::{Config, IndicatorFormat, IndicatorKind, Secrets, WorkbookVariant};
use pantau::email::{self, Transport, WrittenWorkbook};
use pantau::indicators::{Figure, IndicatorResult};
use pantau::report::{IndicatorFigures, ParticipantTable, Report};
use rusqlite::Connection;
use tempfile::TempDir;

/// The SMTP peer: `tests/smtp/server.py` listening on `port`, storing messages in `maildir`.
struct SmtpServer {
    child: Child,
    maildir: PathBuf,
}

impl SmtpServer {
    /// Starts the server on `port` and waits until it says it listens.
    fn start(port: u16, maildir: &Path) -> SmtpServer {
        let probe = Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .stderr(Stdio::null())
            .status();
        assert!(
            probe.is_ok_and(|status| status.success()),
            "the SMTP test peer (Python's aiosmtpd) is missing: run `bash tests/run.sh`, \
             which installs it"
        );
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp/server.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .arg(maildir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "the SMTP server did not start");
        SmtpServer {
            child,
            maildir: maildir.to_path_buf(),
        }
    }

    /// The messages received so far, in order.
    fn messages(&self) -> Vec<Vec<u8>> {
        read_eml_files(&self.maildir)
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_eml_files(dir: &Path) -> Vec<Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "eml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| std::fs::read(path).unwrap())
        .collect()
}

/// A port nobody listens on right now (bound and released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
}

/// A programme folder with a configuration: `smtp` is the `[smtp]` table's body, `extra` any
/// further tables.
fn programme(smtp: &str, extra: &str) -> (TempDir, Config, Connection) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pantau.toml");
    let text = format!(
        "[programme]\nname = \"Promise II Impact\"\ncontact = \"WhatsApp 0812-0000-0000\"\n\n\
         [server]\npublic_base_url = \"https://survei.example.org\"\n\n\
         [smtp]\nfrom = \"Pantau <pantau@example.org>\"\n{smtp}\n\n\
         [[recipients]]\ngroup = \"donors\"\nemails = [\"donor@example.org\"]\n\
         schedule = \"donor_monthly\"\nworkbook = \"donor\"\nlanguage = \"en\"\n\n\
         [[recipients]]\ngroup = \"managers\"\n\
         emails = [\"sari@example.org\", \"tempfail@example.org\", \"permfail@example.org\"]\n\
         schedule = \"manager_weekly\"\nworkbook = \"manager\"\nlanguage = \"id\"\n{extra}"
    );
    std::fs::write(&path, text).unwrap();
    let config = Config::load(Some(&path)).unwrap();
    let conn = pantau::db::open(&config.database()).unwrap();
    (dir, config, conn)
}

fn smtp_table(port: u16) -> String {
    format!("host = \"127.0.0.1\"\nport = {port}\ntls = \"none\"")
}

fn figures(id: &str, label: &str, format: IndicatorFormat, figure: Figure) -> IndicatorFigures {
    IndicatorFigures {
        id: id.into(),
        label: [("en".to_string(), label.to_string())].into(),
        definition: Default::default(),
        kind: IndicatorKind::Share,
        format,
        wave: Some("m3".into()),
        baseline: None,
        target: None,
        result: IndicatorResult {
            overall: figure,
            breakdowns: Vec::new(),
        },
    }
}

/// A small report: one share, one amount, one suppressed figure.
fn report() -> Report {
    Report {
        programme: "Promise II Impact".into(),
        country: "Indonesia".into(),
        run_at: NaiveDate::from_ymd_opt(2026, 11, 29)
            .unwrap()
            .and_hms_opt(8, 0, 0)
            .unwrap(),
        period: (
            NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 11, 29).unwrap(),
        ),
        languages: vec!["id".into(), "en".into()],
        sources: Vec::new(),
        suppression_threshold: 5,
        disaggregations: Vec::new(),
        indicators: vec![
            figures(
                "share_working",
                "Working (wage or self-employed)",
                IndicatorFormat::Percent,
                Figure {
                    value: Some(0.625),
                    numerator: 25,
                    n: 40,
                    suppressed: false,
                },
            ),
            figures(
                "income_median",
                "Median monthly income",
                IndicatorFormat::Rupiah,
                Figure {
                    value: Some(3_250_000.0),
                    numerator: 38,
                    n: 38,
                    suppressed: false,
                },
            ),
            figures(
                "bpjs_jkp",
                "Covered by JKP",
                IndicatorFormat::Percent,
                Figure {
                    value: None,
                    numerator: 0,
                    n: 3,
                    suppressed: true,
                },
            ),
        ],
        funnel: Vec::new(),
        attendance: Vec::new(),
        participants: ParticipantTable::default(),
        dictionary: Vec::new(),
        minimum_wages: Vec::new(),
        quality: Vec::new(),
        manager: None,
    }
}

/// Writes the donor and manager workbooks of `report` into the reports folder, as the job does.
fn write_workbooks(config: &Config, report: &Report) -> Vec<WrittenWorkbook> {
    let reports = config.reports_dir();
    std::fs::create_dir_all(&reports).unwrap();
    [
        (WorkbookVariant::Donor, "en"),
        (WorkbookVariant::Manager, "id"),
    ]
    .into_iter()
    .map(|(variant, language)| {
        let name = pantau::workbook::file_name(report, variant);
        pantau::workbook::write(report, variant, language, &reports.join(&name)).unwrap();
        WrittenWorkbook {
            variant,
            language: language.into(),
            path: name,
        }
    })
    .collect()
}

fn smtp_transport(config: &Config) -> Transport {
    Transport::from_config(config, &Secrets::default()).unwrap()
}

/// status, attempts, next_attempt_at, last_error of the email queued as `key`.
fn row(conn: &Connection, key: &str) -> (String, u32, Option<String>, Option<String>) {
    conn.query_row(
        "SELECT status, attempts, next_attempt_at, last_error FROM email_outbox
         WHERE dedupe_key = ?1",
        [key],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
    )
    .unwrap()
}

#[test]
fn a_report_email_arrives_with_text_html_and_a_workbook_that_opens() {
    let port = free_port();
    let (dir, config, mut conn) = programme(&smtp_table(port), "");
    let server = SmtpServer::start(port, &dir.path().join("mail"));
    let report = report();
    let workbooks = write_workbooks(&config, &report);

    let queued = email::queue_report_emails(
        &mut conn,
        &config,
        &report,
        &workbooks,
        7,
        &["donors".to_string()],
        at(29, 1),
    )
    .unwrap();
    assert_eq!(queued.queued, 1);
    let drained = email::drain(&conn, &config, &smtp_transport(&config), at(29, 1)).unwrap();
    assert_eq!(drained.sent, 1);
    assert_eq!(row(&conn, "report:7:donors:donor@example.org").0, "sent");

    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    let message = MessageParser::default().parse(&messages[0]).unwrap();
    assert_eq!(
        message.subject(),
        Some("Promise II Impact: monitoring report 1 November 2026 – 29 November 2026")
    );
    assert_eq!(
        message.from().unwrap().first().unwrap().address(),
        Some("pantau@example.org")
    );
    assert_eq!(message.text_body_count(), 1);
    let text = message.body_text(0).unwrap();
    assert!(
        text.contains("- Working (wage or self-employed) [m3]: 62.5% (n = 40)"),
        "{text}"
    );
    assert!(
        text.contains("- Median monthly income [m3]: Rp 3.250.000 (n = 38)"),
        "{text}"
    );
    assert!(
        text.contains("- Covered by JKP [m3]: suppressed (n = suppressed)"),
        "{text}"
    );
    let html = message.body_html(0).unwrap();
    assert!(
        html.contains(
            "<td style=\"border:1px solid #999;padding:4px 8px;text-align:right\">62.5%</td>"
        ),
        "{html}"
    );
    assert!(
        !html.contains("personal data (names"),
        "the donor email has no such warning"
    );

    let attachments: Vec<_> = message.attachments().collect();
    assert_eq!(attachments.len(), 1);
    let attachment = attachments[0];
    assert_eq!(
        attachment.attachment_name(),
        Some("pantau-donor-2026-11-29.xlsx")
    );
    let content_type = attachment.content_type().unwrap();
    assert_eq!(
        format!(
            "{}/{}",
            content_type.ctype(),
            content_type.subtype().unwrap()
        ),
        email::XLSX_MIME
    );
    let mut workbook = Xlsx::new(std::io::Cursor::new(attachment.contents().to_vec())).unwrap();
    let logframe = workbook.worksheet_range("Logframe").unwrap();
    assert_eq!(
        logframe.get_value((1, 0)),
        Some(&Data::String("share_working".into()))
    );
    assert_eq!(logframe.get_value((1, 5)), Some(&Data::Float(0.625)));
    assert_eq!(
        logframe.get_value((3, 5)),
        Some(&Data::String("suppressed".into()))
    );
}

#[test]
fn a_mail_server_that_is_down_delays_the_email_until_it_is_back_then_sends_it_once() {
    let port = free_port();
    let (dir, config, mut conn) = programme(&smtp_table(port), "");
    let report = report();
    let workbooks = write_workbooks(&config, &report);
    email::queue_report_emails(
        &mut conn,
        &config,
        &report,
        &workbooks,
        8,
        &["donors".to_string()],
        at(29, 1),
    )
    .unwrap();
    let key = "report:8:donors:donor@example.org";
    let transport = smtp_transport(&config);

    // Nobody listens on the port.
    let first = email::drain(&conn, &config, &transport, at(29, 1)).unwrap();
    assert_eq!(first.retrying, 1);
    let (status, attempts, next, error) = row(&conn, key);
    assert_eq!((status.as_str(), attempts), ("queued", 1));
    assert_eq!(next.as_deref(), Some("2026-11-29T01:01:00Z"));
    assert!(error.unwrap().contains("127.0.0.1"));

    let server = SmtpServer::start(port, &dir.path().join("mail"));
    // Not due yet: the server is up, but the backoff has not passed.
    let early = email::drain(&conn, &config, &transport, at(29, 1)).unwrap();
    assert_eq!(early, email::Drained::default());
    assert!(server.messages().is_empty());

    let later = at(29, 1) + Duration::minutes(1);
    let second = email::drain(&conn, &config, &transport, later).unwrap();
    assert_eq!(second.sent, 1);
    let again = email::drain(&conn, &config, &transport, later + Duration::hours(2)).unwrap();
    assert_eq!(again, email::Drained::default());
    assert_eq!(server.messages().len(), 1);
    let (status, attempts, next, error) = row(&conn, key);
    assert_eq!(
        (status.as_str(), attempts, next, error),
        ("sent", 2, None, None)
    );
}

#[test]
fn a_4xx_reply_keeps_the_email_queued_with_growing_backoff_and_a_5xx_fails_it_visibly() {
    let port = free_port();
    let (dir, config, mut conn) = programme(&smtp_table(port), "");
    let server = SmtpServer::start(port, &dir.path().join("mail"));
    let report = report();
    let workbooks = write_workbooks(&config, &report);
    email::queue_report_emails(
        &mut conn,
        &config,
        &report,
        &workbooks,
        9,
        &["managers".to_string()],
        at(29, 1),
    )
    .unwrap();
    let transport = smtp_transport(&config);

    let drained = email::drain(&conn, &config, &transport, at(29, 1)).unwrap();
    assert_eq!((drained.sent, drained.retrying, drained.failed), (1, 1, 1));
    let (status, attempts, next, error) = row(&conn, "report:9:managers:tempfail@example.org");
    assert_eq!((status.as_str(), attempts), ("queued", 1));
    assert_eq!(next.as_deref(), Some("2026-11-29T01:01:00Z"));
    assert!(error.unwrap().contains("451"));
    let (status, _, next, error) = row(&conn, "report:9:managers:permfail@example.org");
    assert_eq!((status.as_str(), next), ("failed", None));
    assert!(error.unwrap().contains("550"));

    // The second temporary failure waits twice as long.
    let retry_at = at(29, 1) + Duration::minutes(1);
    email::drain(&conn, &config, &transport, retry_at).unwrap();
    let (status, attempts, next, _) = row(&conn, "report:9:managers:tempfail@example.org");
    assert_eq!((status.as_str(), attempts), ("queued", 2));
    assert_eq!(next.as_deref(), Some("2026-11-29T01:03:00Z"));
    assert_eq!(server.messages().len(), 1, "only sari@ received it");

    // The manager email warns about personal data in the attachment and is in Indonesian.
    let delivered = server.messages();
    let message = MessageParser::default().parse(&delivered[0]).unwrap();
    let text = message.body_text(0).unwrap();
    assert!(text.contains("berisi data pribadi peserta"), "{text}");
    assert!(text.contains("62,5%"), "{text}");

    // The failed one is visible with its error.
    let state = email::state(&conn).unwrap();
    assert_eq!(state.failed.len(), 1);
    assert_eq!(state.failed[0].recipient, "permfail@example.org");
    assert_eq!(state.retrying, 1);
}

#[test]
fn without_a_host_emails_are_written_as_eml_files_that_parse() {
    let (_dir, config, mut conn) = programme("", "");
    let report = report();
    let workbooks = write_workbooks(&config, &report);
    email::queue_report_emails(
        &mut conn,
        &config,
        &report,
        &workbooks,
        10,
        &["donors".to_string(), "managers".to_string()],
        at(29, 1),
    )
    .unwrap();
    let transport = Transport::from_config(&config, &Secrets::default()).unwrap();
    let drained = email::drain(&conn, &config, &transport, at(29, 1)).unwrap();
    assert_eq!(drained.sent, 4, "files do not refuse anybody");

    let files = read_eml_files(&config.outbox_dir());
    assert_eq!(files.len(), 4);
    let leftovers = std::fs::read_dir(config.outbox_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_none_or(|e| e != "eml"))
        .count();
    assert_eq!(leftovers, 0, "no temporary files are left behind");
    let first = MessageParser::default().parse(&files[0]).unwrap();
    assert!(
        first
            .subject()
            .unwrap()
            .starts_with("Promise II Impact: monitoring report")
    );
    assert!(first.body_text(0).unwrap().contains("62.5%"));
    assert!(first.body_html(0).unwrap().contains("<table"));
    assert_eq!(first.attachments().count(), 1);

    // Queuing the same run again adds nothing.
    let again = email::queue_report_emails(
        &mut conn,
        &config,
        &report,
        &workbooks,
        10,
        &["donors".to_string()],
        at(29, 2),
    )
    .unwrap();
    assert_eq!((again.queued, again.already_queued), (0, 1));
}

#[test]
fn a_group_without_its_workbook_queues_nothing_and_says_which() {
    let (_dir, config, mut conn) = programme("", "");
    let report = report();
    let donor_only: Vec<WrittenWorkbook> = write_workbooks(&config, &report)
        .into_iter()
        .filter(|w| w.variant == WorkbookVariant::Donor)
        .collect();
    let err = email::queue_report_emails(
        &mut conn,
        &config,
        &report,
        &donor_only,
        11,
        &["donors".to_string(), "managers".to_string()],
        at(29, 1),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("\"managers\" receives the manager workbook"),
        "{err}"
    );
    assert_eq!(email::state(&conn).unwrap().counts["queued"], 0);
}

const WAVE: &str = "\n[[waves]]\nname = \"m3\"\nform = \"followup.xlsx\"\n\
    anchor = \"training_end\"\noffset_months = 0\nwindow_days = 30\nreminder_days = [3, 7]\n";

/// Adds a participant with roster `attributes`, trained on 1 November 2026.
fn participant(conn: &Connection, id: i64, attributes: &[(&str, &str)]) {
    conn.execute(
        "INSERT INTO participants (id, participant_key, pseudonym, created_at)
         VALUES (?1, 'id:' || ?1, 'P' || ?1, '2026-10-01T00:00:00Z')",
        [id],
    )
    .unwrap();
    let training = [("training_date", "2026-11-01")];
    for (name, value) in attributes.iter().chain(training.iter()) {
        pantau::participants::attributes::set_values(
            conn,
            id,
            &[(name, value)],
            None,
            "2026-10-01T00:00:00Z",
        )
        .unwrap();
    }
}

fn invitation_of(conn: &Connection, participant: i64) -> (i64, String, String) {
    conn.query_row(
        "SELECT id, token, status FROM invitations WHERE participant_id = ?1",
        [participant],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
    )
    .unwrap()
}

fn email_steps(conn: &Connection, invitation: i64) -> Vec<u32> {
    let mut statement = conn
        .prepare(
            "SELECT step FROM reminders WHERE invitation_id = ?1 AND channel = 'email'
             ORDER BY step",
        )
        .unwrap();
    statement
        .query_map([invitation], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn participants_get_an_invitation_then_reminders_until_they_answer() {
    let (_dir, config, mut conn) = programme("", WAVE);
    participant(
        &conn,
        1,
        &[("name", "Siti Aminah"), ("email", "siti@example.org")],
    );
    participant(&conn, 2, &[("name", "Budi"), ("email", "budi@example.org")]);
    participant(&conn, 3, &[("name", "Tanpa Email")]);
    pantau::invitations::issue_due(&mut conn, &config, at(2, 2)).unwrap();

    let counts = email::queue_participant_emails(&mut conn, &config, at(2, 2)).unwrap();
    assert_eq!((counts.invitations, counts.reminders), (2, 0));
    let (siti, token, status) = invitation_of(&conn, 1);
    assert_eq!(status, "sent");
    assert_eq!(
        invitation_of(&conn, 3).2,
        "issued",
        "no email, nothing sent"
    );
    // The same day again: nothing new.
    let again = email::queue_participant_emails(&mut conn, &config, at(2, 3)).unwrap();
    assert_eq!((again.invitations, again.reminders), (0, 0));

    let (subject, body): (String, String) = conn
        .query_row(
            "SELECT subject, body_text FROM email_outbox WHERE dedupe_key = ?1",
            [format!("invitation:{siti}:0")],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        subject,
        "Promise II Impact: bagaimana kabar Anda setelah pelatihan?"
    );
    assert!(body.starts_with("Halo Siti,"), "{body}");
    assert!(body.contains(&format!("https://survei.example.org/s/{token}\n")));
    assert!(body.contains(&format!("https://survei.example.org/s/{token}/berhenti")));
    assert!(
        body.contains("Survei terbuka sampai 30 November 2026."),
        "{body}"
    );

    // Budi answers; Siti does not.
    let (budi, _, _) = invitation_of(&conn, 2);
    conn.execute(
        "UPDATE invitations SET status = 'submitted' WHERE id = ?1",
        [budi],
    )
    .unwrap();
    let third_day = email::queue_participant_emails(&mut conn, &config, at(5, 2)).unwrap();
    assert_eq!((third_day.invitations, third_day.reminders), (0, 1));
    assert_eq!(email_steps(&conn, siti), [0, 1]);
    assert_eq!(email_steps(&conn, budi), [0]);
    let reminder: String = conn
        .query_row(
            "SELECT subject FROM email_outbox WHERE dedupe_key = ?1",
            [format!("invitation:{siti}:1")],
            |row| row.get(0),
        )
        .unwrap();
    assert!(reminder.starts_with("Pengingat:"), "{reminder}");

    // The window closes on 1 December: no reminder after that.
    email::queue_participant_emails(&mut conn, &config, at(9, 2)).unwrap();
    assert_eq!(email_steps(&conn, siti), [0, 1, 2]);
    let closed = Utc.with_ymd_and_hms(2026, 12, 2, 2, 0, 0).unwrap();
    let after = email::queue_participant_emails(&mut conn, &config, closed).unwrap();
    assert_eq!((after.invitations, after.reminders), (0, 0));

    // Every queued email is in the outbox exactly once.
    let outbox: i64 = conn
        .query_row("SELECT count(*) FROM email_outbox", [], |row| row.get(0))
        .unwrap();
    assert_eq!(outbox, 4);
}

/// A minimal HTTP/1.1 exchange with the server on `port`: status line and body.
fn http(port: u16, method: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 0\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn the_opt_out_page_explains_then_records_and_emails_stop() {
    let (dir, config, mut conn) = programme("", WAVE);
    let forms = dir.path().join("forms");
    std::fs::create_dir_all(&forms).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("forms/followup.xlsx"),
        forms.join("followup.xlsx"),
    )
    .unwrap();
    participant(&conn, 1, &[("name", "Siti"), ("email", "siti@example.org")]);
    pantau::invitations::issue_due(&mut conn, &config, at(2, 2)).unwrap();
    email::queue_participant_emails(&mut conn, &config, at(2, 2)).unwrap();
    let (invitation, token, _) = invitation_of(&conn, 1);

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
    let path = format!("/s/{token}/berhenti");
    let (status, page) = http(port, "GET", &path);
    assert_eq!(status, 200);
    assert!(page.contains("Berhenti menerima email survei"), "{page}");
    assert!(page.contains(&format!("action=\"{path}\"")), "{page}");
    let opted_out: i64 = conn
        .query_row("SELECT count(*) FROM email_opt_outs", [], |row| row.get(0))
        .unwrap();
    assert_eq!(opted_out, 0, "looking at the page changes nothing");

    let (status, page) = http(port, "POST", &path);
    assert_eq!(status, 200);
    assert!(
        page.contains("Anda tidak akan menerima email survei lagi"),
        "{page}"
    );
    let recorded: (i64, i64) = conn
        .query_row(
            "SELECT participant_id, invitation_id FROM email_opt_outs",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!(recorded, (1, invitation));
    // Posting again is harmless, and an unknown token is the usual 404.
    assert_eq!(http(port, "POST", &path).0, 200);
    assert_eq!(
        http(port, "GET", "/s/AAAAAAAAAAAAAAAAAAAAAAAA/berhenti").0,
        404
    );

    let later = email::queue_participant_emails(&mut conn, &config, at(20, 2)).unwrap();
    assert_eq!((later.invitations, later.reminders), (0, 0));
    assert_eq!(email_steps(&conn, invitation), [0]);
}

#[test]
fn the_outbox_command_lists_failures_sends_and_retries() {
    let port = free_port();
    let (dir, config, mut conn) = programme(&smtp_table(port), "");
    let _server = SmtpServer::start(port, &dir.path().join("mail"));
    let report = report();
    let workbooks = write_workbooks(&config, &report);
    email::queue_report_emails(
        &mut conn,
        &config,
        &report,
        &workbooks,
        12,
        &["managers".to_string()],
        Utc::now(),
    )
    .unwrap();
    let pantau = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_pantau"))
            .arg("--config")
            .arg(dir.path().join("pantau.toml"))
            .args(args)
            .env_remove("PANTAU_SMTP_PASSWORD")
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8(output.stdout).unwrap(),
            String::from_utf8(output.stderr).unwrap(),
        )
    };

    let (code, out, _) = pantau(&["outbox", "send"]);
    assert_eq!(code, Some(0));
    assert!(
        out.starts_with("sent 1\tretrying later 1\tfailed 1\t(SMTP 127.0.0.1:"),
        "{out}"
    );

    let (code, out, _) = pantau(&["outbox", "--json"]);
    assert_eq!(code, Some(0));
    let state: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(state["counts"]["sent"], 1);
    assert_eq!(state["retrying"], 1);
    let failed = &state["failed"][0];
    assert_eq!(failed["recipient"], "permfail@example.org");
    assert!(failed["error"].as_str().unwrap().contains("550"));
    let id = failed["id"].as_i64().unwrap();

    let (code, out, _) = pantau(&["outbox"]);
    assert_eq!(code, Some(0));
    assert!(
        out.contains(&format!(
            "\n{id}\t1\treport:12:managers:permfail@example.org"
        )),
        "{out}"
    );

    let (code, out, _) = pantau(&["outbox", "retry", &id.to_string()]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(
        row(&conn, "report:12:managers:permfail@example.org").0,
        "queued"
    );
    let (code, _, err) = pantau(&["outbox", "retry", &id.to_string()]);
    assert_eq!(code, Some(1));
    assert!(err.contains("is queued, not failed"), "{err}");
    let (code, _, err) = pantau(&["outbox", "retry", "999"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("there is no email 999"), "{err}");
}
