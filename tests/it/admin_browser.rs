//! The admin area in a real browser (issue 7): headless Chromium driven by
//! `tests/browser/admin.mjs` (playwright-core) against `pantau serve` started as a process on a
//! loopback port, with a manager account made by `pantau user add`. The browser refuses a wrong
//! password, logs in, uploads a synthetic roster on the imports page and reads its summary;
//! then `pantau run` does the job; the browser downloads the manager workbook from the reports
//! page, which is read back here with calamine, and shows the dashboard at a phone's 360 × 640
//! viewport, saved as `target/browser/admin-dashboard-phone.png`. Last, axe-core checks every
//! kind of admin page in Indonesian and English (serious or critical violations fail), and the
//! keyboard alone reaches and scrolls a wide table on a phone.
//!
//! Peers: `/usr/bin/chromium` and the packages of `tests/browser/package-lock.json`, both
//! installed by `bash tests/run.sh` (`tests/peers/browser.sh`).

use std::collections::BTreeSet;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use calamine::{Data, Reader};
use pantau::synthetic::{Spec, Style, roster, write_xlsx};
use serde_json::Value;

use super::browser::{browser_dir, png_width, require_peers};
use super::survey::prepare;

const PASSWORD: &str = "kata sandi yang panjang sekali";
const PEOPLE: usize = 40;

/// A baseline at enrolment and a follow-up at the end of the training.
const WAVES: &str = r#"
[[waves]]
name = "baseline"
form = "baseline.xlsx"
anchor = "enrolment"
window_days = 30

[[waves]]
name = "m3"
form = "followup.xlsx"
anchor = "training_end"
offset_months = 3
window_days = 30
"#;

/// `pantau serve` as a child process, stopped when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `pantau --config CONFIG ARGS…`, with `PANTAU_PASSWORD` set.
fn pantau(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pantau"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env("PANTAU_PASSWORD", PASSWORD)
        .output()
        .expect("pantau runs")
}

fn succeeded(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs `node admin.mjs ARGS…` and returns what it saw, failing on a stopped flow, on a
/// console error, or on any response of 400 or more except `refused` ("401 POST /admin/login").
fn browse(args: &[&str], refused: &[&str]) -> Value {
    let output = Command::new("node")
        .arg(browser_dir().join("admin.mjs"))
        .args(args)
        .output()
        .expect("node runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the browser script failed:\n{stderr}"
    );
    let seen: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "the script printed no JSON ({err}):\n{}\n{stderr}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    assert!(
        seen["failure"].is_null(),
        "the browser flow stopped: {}\n{seen:#}",
        seen["failure"].as_str().unwrap_or_default()
    );
    assert_eq!(
        seen["consoleErrors"],
        serde_json::json!([]),
        "the page reported errors"
    );
    assert_eq!(
        seen["failedResponses"],
        serde_json::json!(refused),
        "the server refused or failed something the browser asked for"
    );
    seen
}

fn text<'v>(seen: &'v Value, key: &str) -> &'v str {
    seen[key]
        .as_str()
        .unwrap_or_else(|| panic!("the script reported no {key}: {seen:#}"))
}

#[test]
fn staff_log_in_upload_a_roster_and_download_the_manager_workbook_in_headless_chromium() {
    require_peers();
    let (dir, config) = prepare(WAVES);
    let config_path = dir.path().join("pantau.toml");
    let people = roster(&Spec::new(11, PEOPLE));
    let roster_file = dir.path().join("peserta-angkatan-3.xlsx");
    write_xlsx(&people, &Style::clean(), &roster_file).expect("synthetic roster");

    succeeded(
        &pantau(
            &config_path,
            &["user", "add", "bu-sari", "--role", "manager"],
        ),
        "pantau user add",
    );
    // A free port: bound and released at once (another process could take it in between,
    // which on loopback in a test run is unlikely).
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_pantau"))
            .arg("--config")
            .arg(&config_path)
            .arg("serve")
            .arg("--address")
            .arg(format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("pantau serve starts"),
    );
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "pantau serve did not listen on port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let base = format!("http://127.0.0.1:{port}");

    // Log in (after a wrong password) and upload the roster.
    let seen = browse(
        &[
            "upload",
            &base,
            "bu-sari",
            PASSWORD,
            roster_file.to_str().unwrap(),
        ],
        &["401 POST /admin/login"],
    );
    assert_eq!(seen["wrongPasswordStatus"], 401, "{seen:#}");
    assert_eq!(text(&seen, "wrongPasswordPath"), "/admin/login");
    // The programme's default language (Indonesian) for someone not logged in.
    assert_eq!(
        text(&seen, "wrongPasswordAlert").trim(),
        pantau::web::admin::texts::INDONESIAN.login_refused
    );
    assert_eq!(text(&seen, "afterLoginPath"), "/admin");
    assert_eq!(seen["uploadStatus"], 200, "{seen:#}");
    let summary_path = text(&seen, "summaryPath");
    assert!(
        regex::Regex::new(r"^/admin/imports/\d+$")
            .unwrap()
            .is_match(summary_path),
        "the upload did not land on the import's page: {summary_path}"
    );
    assert_eq!(text(&seen, "importStatus").trim(), "imported");
    assert_eq!(
        text(&seen, "importRows").trim(),
        format!("read {PEOPLE}, new {PEOPLE}, updated 0, rejected 0")
    );
    assert!(text(&seen, "summaryText").contains("peserta-angkatan-3.xlsx"));
    let conn = pantau::db::open(&config.database()).unwrap();
    let pseudonyms: BTreeSet<String> = conn
        .prepare("SELECT pseudonym FROM participants")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        pseudonyms.len(),
        PEOPLE,
        "the upload stored every participant"
    );
    let uploaded_by: String = conn
        .query_row(
            "SELECT u.username FROM roster_imports i JOIN users u ON u.id = i.imported_by",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(uploaded_by, "bu-sari");

    // The job, as staff run it from the command line.
    let run = pantau(&config_path, &["run", "--json"]);
    succeeded(&run, "pantau run");
    let record: Value = serde_json::from_slice(&run.stdout).expect("pantau run --json prints JSON");
    let written: Vec<&str> = record["outputs"]
        .as_array()
        .expect("outputs")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let manager_output = written
        .iter()
        .find(|path| path.contains("pantau-manager-"))
        .unwrap_or_else(|| panic!("pantau run wrote no manager workbook: {written:?}"));

    // Download it from the reports page; the dashboard on a phone.
    let downloads = dir.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let screenshots: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser");
    std::fs::create_dir_all(&screenshots).unwrap();
    let screenshot = screenshots.join("admin-dashboard-phone.png");
    let _ = std::fs::remove_file(&screenshot);
    let seen = browse(
        &[
            "report",
            &base,
            "bu-sari",
            PASSWORD,
            downloads.to_str().unwrap(),
            screenshot.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(seen["reportsStatus"], 200);
    assert!(seen["downloadFailure"].is_null(), "{seen:#}");
    let name = text(&seen, "downloadName");
    assert_eq!(
        Some(name),
        manager_output.rsplit('/').next(),
        "the download is the manager workbook of the run"
    );
    let downloaded = PathBuf::from(text(&seen, "downloadPath"));
    let bytes = std::fs::read(&downloaded).unwrap();
    assert_eq!(
        bytes,
        std::fs::read(config.reports_dir().join(manager_output)).unwrap(),
        "the browser got the file pantau run wrote"
    );

    let mut workbook = calamine::open_workbook_auto(&downloaded).expect("the download opens");
    let sheet = workbook
        .sheet_names()
        .into_iter()
        .find(|name| name.starts_with("Peserta") || name.starts_with("Participants"))
        .unwrap_or_else(|| panic!("no participant sheet in {name}"));
    let range = workbook.worksheet_range(&sheet).unwrap();
    let mut rows = range.rows();
    let header = rows.next().expect("a header row");
    assert!(
        matches!(&header[0], Data::String(text) if text.starts_with("Pseudonim") || text.starts_with("Pseudonym")),
        "the first column is the pseudonym: {:?}",
        header[0]
    );
    let in_workbook: BTreeSet<String> = rows.map(|row| row[0].to_string()).collect();
    assert_eq!(
        in_workbook, pseudonyms,
        "the participant sheet holds exactly the uploaded participants"
    );

    assert_eq!(seen["phoneDashboardStatus"], 200);
    assert_eq!(text(&seen, "phoneDashboardPath"), "/admin");
    let width = seen["phoneScrollWidth"].as_f64().unwrap();
    assert!(
        width <= 360.0,
        "the dashboard scrolls sideways on a phone: {width} px"
    );
    assert_eq!(PathBuf::from(text(&seen, "screenshot")), screenshot);
    assert_eq!(
        png_width(&screenshot),
        360,
        "the screenshot is not phone-wide"
    );

    // axe-core on every kind of admin page in both languages, and a wide table's scroll area
    // by keyboard alone.
    let seen = browse(&["audit", &base, "bu-sari", PASSWORD], &[]);
    accessible(&seen);
}

/// Fails on any serious or critical axe-core violation of the `audit` step (every violation is
/// printed), on a page missing from it, and on a scroll area the keyboard cannot reach, does
/// not see outlined or cannot scroll.
fn accessible(seen: &Value) {
    const KINDS: &[&str] = &[
        "login",
        "dashboard",
        "participants",
        "timeline",
        "imports",
        "import",
        "forms",
        "form preview",
        "reports",
        "outbox",
        "call list",
    ];
    let pages = seen["pages"].as_array().expect("the audit lists its pages");
    let mut serious = Vec::new();
    let mut checked = BTreeSet::new();
    for page in pages {
        let kind = text(page, "kind");
        let lang = text(page, "lang");
        let path = text(page, "path");
        assert_eq!(page["status"], 200, "{kind} ({path}) in {lang}: {page:#}");
        assert_eq!(
            text(page, "htmlLang"),
            lang,
            "{kind} ({path}) is not in the language chosen"
        );
        for violation in page["violations"].as_array().expect("violations") {
            let line = format!(
                "{kind} ({path}, {lang}): {} {} ({}) at {}",
                violation["impact"], violation["id"], violation["help"], violation["targets"]
            );
            println!("axe {line}");
            if matches!(violation["impact"].as_str(), Some("serious" | "critical")) {
                serious.push(line);
            }
        }
        checked.insert((kind.to_owned(), lang.to_owned()));
    }
    for kind in KINDS {
        for lang in ["id", "en"] {
            assert!(
                checked.contains(&((*kind).to_owned(), lang.to_owned())),
                "axe did not check the {kind} page in {lang}"
            );
        }
    }
    assert!(
        serious.is_empty(),
        "serious or critical axe violations on admin pages:\n{serious:#?}"
    );

    let keyboard = &seen["keyboard"];
    let focused = &keyboard["focused"];
    assert!(
        focused.is_object(),
        "Tab never reached the participants table's scroll area: {keyboard:#}"
    );
    assert_eq!(focused["role"], "region", "{keyboard:#}");
    assert_eq!(
        focused["label"],
        pantau::web::admin::texts::ENGLISH.participants,
        "{keyboard:#}"
    );
    assert_ne!(
        focused["outlineStyle"], "none",
        "the focused scroll area shows no outline: {keyboard:#}"
    );
    let wide = focused["scrollWidth"].as_f64().unwrap() > focused["clientWidth"].as_f64().unwrap();
    assert!(
        wide,
        "the participants table fits a phone, so nothing shows it scrolls: {keyboard:#}"
    );
    assert!(
        keyboard["scrollLeftAfterArrows"].as_f64().unwrap_or(0.0) > 0.0,
        "the arrow keys did not scroll the focused table: {keyboard:#}"
    );
}
