//! The survey in a real browser: headless Chromium, JavaScript disabled in the page, at a
//! phone's 360 × 640 viewport, driven by `tests/browser/survey.mjs` (playwright-core) against
//! the real server on a loopback port. The script completes a whole survey (consent, skip
//! logic, a refused answer, a Rupiah amount typed as `3,5 juta`, Back, review, submit), visits
//! the other endings (declined and reconsidered, closed, unknown link), runs axe-core on every
//! kind of screen and measures text sizes, tap targets and page width. It reports what it saw
//! as JSON; the assertions are here.
//!
//! Peers: `/usr/bin/chromium` and the packages of `tests/browser/package-lock.json`, both
//! installed by `bash tests/run.sh` (`tests/peers/browser.sh`).

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::survey::Site;

/// The kinds of screen axe-core and the size checks must have seen.
const KINDS: &[&str] = &[
    "consent",
    "english",
    "note",
    "question",
    "select_one",
    "select_multiple",
    "field_list",
    "validation_error",
    "review",
    "thanks",
    "declined",
    "reconsider",
    "closed",
    "not_found",
];

pub(crate) fn browser_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// Fails (never skips) when a peer is missing, saying how to install it.
pub(crate) fn require_peers() {
    let missing = if !Path::new("/usr/bin/chromium").exists() {
        Some("/usr/bin/chromium")
    } else if Command::new("node").arg("--version").output().is_err() {
        Some("node")
    } else if !browser_dir()
        .join("node_modules/playwright-core/package.json")
        .exists()
        || !browser_dir()
            .join("node_modules/axe-core/axe.min.js")
            .exists()
    {
        Some("tests/browser/node_modules (playwright-core, axe-core)")
    } else {
        None
    };
    if let Some(what) = missing {
        panic!("{what} is missing: run `bash tests/run.sh` to install the test peers");
    }
}

/// Width and validity of a PNG file: signature, IHDR first, IEND last.
pub(crate) fn png_width(path: &Path) -> u32 {
    let bytes =
        std::fs::read(path).unwrap_or_else(|err| panic!("no screenshot {}: {err}", path.display()));
    assert!(
        bytes.len() > 57,
        "{} is too short for a PNG",
        path.display()
    );
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is not a PNG",
        path.display()
    );
    assert_eq!(
        &bytes[12..16],
        b"IHDR",
        "{}: IHDR must come first",
        path.display()
    );
    assert_eq!(
        &bytes[bytes.len() - 8..bytes.len() - 4],
        b"IEND",
        "{}: the PNG is cut short",
        path.display()
    );
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert!(height >= 640, "{}: height {height}", path.display());
    u32::from_be_bytes(bytes[16..20].try_into().unwrap())
}

fn text<'v>(flow: &'v Value, key: &str) -> &'v str {
    flow[key]
        .as_str()
        .unwrap_or_else(|| panic!("the script reported no {key}: {flow:#}"))
}

#[test]
fn a_whole_survey_in_headless_chromium_without_javascript_is_accessible_and_fits_a_phone() {
    require_peers();
    let site = Site::start();
    let token = site.participant("Sari Wulandari", 0, 0);
    let declining = site.participant("Dewi Lestari", 0, 0);
    let closed = site.participant("Ani", 60, 55);
    let out = site.dir.path().join("browser");
    std::fs::create_dir_all(&out).unwrap();

    let output = Command::new("node")
        .arg(browser_dir().join("survey.mjs"))
        .arg(format!("http://127.0.0.1:{}", site.port))
        .arg(&token)
        .arg(&out)
        .arg(format!("closed={closed}"))
        .arg(format!("decline={declining}"))
        .output()
        .expect("node runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the browser script failed:\n{stderr}"
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "the script printed no JSON ({err}):\n{}\n{stderr}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    let flow = &report["flow"];
    assert!(
        flow["failure"].is_null(),
        "the flow stopped: {}",
        flow["failure"]
    );
    assert_eq!(
        text(flow, "pageScriptTitle"),
        "off",
        "JavaScript must be off"
    );
    assert_eq!(
        flow["consoleErrors"],
        serde_json::json!([]),
        "the browser refused or failed to load something"
    );

    // axe-core: every violation is printed; serious and critical ones fail.
    let screens = report["screens"].as_array().unwrap();
    let mut serious = Vec::new();
    let mut small = Vec::new();
    for screen in screens {
        let kind = screen["kind"].as_str().unwrap();
        for violation in screen["violations"].as_array().unwrap() {
            let line = format!(
                "{kind}: {} {} at {}",
                violation["impact"], violation["id"], violation["targets"]
            );
            println!("axe {line}");
            if matches!(violation["impact"].as_str(), Some("serious" | "critical")) {
                serious.push(line);
            }
        }
        let styles = &screen["styles"];
        let body = styles["bodyFontPx"].as_f64().unwrap();
        let smallest = styles["smallestTextPx"].as_f64().unwrap();
        let width = styles["scrollWidth"].as_f64().unwrap();
        // 18 px is the stylesheet's body size: the browser's default would be 16 px, so this
        // also shows that the stylesheet loaded under the content security policy.
        assert_eq!(body, 18.0, "{kind}: the stylesheet did not apply");
        if body < 16.0 || smallest < 16.0 {
            small.push(format!("{kind}: text {smallest} px (body {body} px)"));
        }
        if width > 360.0 {
            small.push(format!("{kind}: scrolls sideways ({width} px wide)"));
        }
        for target in styles["smallTargets"].as_array().unwrap() {
            small.push(format!("{kind}: tap target {target}"));
        }
        assert_eq!(styles["scripts"], 0, "{kind} has a script element");
    }
    assert!(
        serious.is_empty(),
        "serious or critical axe violations:\n{serious:#?}"
    );
    assert!(small.is_empty(), "too small for a phone:\n{small:#?}");
    let kinds: Vec<&str> = screens
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    for kind in KINDS {
        assert!(
            kinds.contains(kind),
            "no {kind} screen was checked: {kinds:?}"
        );
    }
    let status = |kind: &str| {
        screens
            .iter()
            .find(|s| s["kind"] == kind)
            .map(|s| s["status"].as_u64().unwrap())
    };
    assert_eq!(status("consent"), Some(200));
    assert_eq!(status("validation_error"), Some(422));
    assert_eq!(status("thanks"), Some(200));
    assert_eq!(status("not_found"), Some(404));

    // The flow, as the participant saw it.
    assert_eq!(text(flow, "englishTitle"), "Before we start");
    assert_eq!(text(flow, "backToIndonesianLang"), "id");
    assert_eq!(flow["firstScreenStatus"], 200);
    let seen: Vec<&str> = flow["screensSeen"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(seen.contains(&"work_status"), "{seen:?}");
    assert!(
        !seen.contains(&"resell_sales"),
        "reselling questions are skipped for someone who does not resell: {seen:?}"
    );
    assert!(text(flow, "errorSummary").contains("Ada yang perlu diperbaiki"));
    assert_eq!(text(flow, "errorKeptValue"), "-5");
    assert_eq!(text(flow, "errorFocusLink"), "#f-income_wage");
    assert_eq!(flow["afterRupiahStatus"], 200);
    assert_eq!(flow["backStatus"], 200);
    assert_eq!(text(flow, "backValue"), "3500000");
    assert_eq!(text(flow, "backAmountShown").trim(), "Rp 3.500.000");
    assert!(flow["reviewIsReview"].as_bool().unwrap());
    assert!(text(flow, "reviewText").contains("Rp 3.500.000"));
    assert!(text(flow, "thanksText").contains("Terima kasih!"));
    assert!(text(flow, "reopenedText").contains("Jawaban Anda diterima pada"));
    assert!(text(flow, "declinedText").contains("memilih tidak mengisi"));
    assert_eq!(flow["reconsiderOffered"], true);
    assert_eq!(flow["afterReconsiderStatus"], 200);
    assert!(flow["afterReconsiderScreen"].is_string(), "{flow:#}");
    assert!(text(flow, "closedText").contains("ditutup"));

    // What the browser did reached the database.
    assert_eq!(site.count("SELECT count(*) FROM responses"), 1);
    let answers: String = site
        .conn()
        .query_row("SELECT answers FROM responses", [], |row| row.get(0))
        .unwrap();
    assert!(answers.contains(r#""income_wage":"3500000""#), "{answers}");

    for name in ["question.png", "thanks.png"] {
        assert_eq!(png_width(&out.join(name)), 360, "{name} is not 360 px wide");
    }
}
