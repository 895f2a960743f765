//! XLSForm metadata (`start`, `end`, `today`, `deviceid`, `username`) filled by the server and
//! stored with the answers, over real HTTP with a small form written here.

use std::collections::BTreeMap;

use chrono::Utc;
use regex::Regex;
use rust_xlsxwriter::Workbook;

use super::survey::{ONE_WAVE, Site, prepare, run_to_review, start_survey};

/// A form with every metadata type pantau fills and two questions.
fn metadata_form(path: &std::path::Path) {
    let mut workbook = Workbook::new();
    let survey = workbook.add_worksheet().set_name("survey").unwrap();
    let rows: [[&str; 4]; 7] = [
        [
            "type",
            "name",
            "label::Indonesian (id)",
            "label::English (en)",
        ],
        ["start", "started", "", ""],
        ["end", "ended", "", ""],
        ["today", "day", "", ""],
        ["deviceid", "device", "", ""],
        ["username", "user", "", ""],
        ["integer", "age", "Umur Anda", "Your age"],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            survey.write(r as u32, c as u16, *cell).unwrap();
        }
    }
    survey.write(7, 0, "text").unwrap();
    survey.write(7, 1, "city").unwrap();
    survey.write(7, 2, "Kota").unwrap();
    survey.write(7, 3, "City").unwrap();
    let settings = workbook.add_worksheet().set_name("settings").unwrap();
    for (c, (key, value)) in [
        ("form_id", "meta_test"),
        ("version", "1"),
        ("default_language", "Indonesian (id)"),
    ]
    .iter()
    .enumerate()
    {
        settings.write(0, c as u16, *key).unwrap();
        settings.write(1, c as u16, *value).unwrap();
    }
    workbook.save(path).unwrap();
}

fn draft_answers(site: &Site) -> BTreeMap<String, String> {
    let text: String = site
        .conn()
        .query_row("SELECT answers FROM drafts", [], |row| row.get(0))
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn start_end_today_and_device_metadata_are_stored_with_the_answers() {
    let (dir, config) = prepare(&ONE_WAVE.replace("followup.xlsx", "meta.xlsx"));
    metadata_form(&dir.path().join("forms").join("meta.xlsx"));
    let site = Site::start_prepared(dir, config);
    let token = site.participant("Sari", 0, 0);
    let odk_time = Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+07:00$").unwrap();

    // Consent alone stores no start; the first question screen does.
    let first = start_survey(&site, &token);
    assert!(first.asks("age"), "{}", first.body);
    let started = draft_answers(&site)
        .get("started")
        .cloned()
        .expect("start is stored when the first question screen is shown");
    assert!(odk_time.is_match(&started), "{started}");

    // Coming back later keeps the first start.
    let again = site.get(&format!("/s/{token}"));
    assert!(again.asks("age"));
    assert_eq!(draft_answers(&site)["started"], started);

    let (_, review) = run_to_review(&site, &token, again, &[("age", "41")]);
    let submission = review.hidden("submission_id").unwrap();
    let version = review.hidden("_version").unwrap();
    let thanks = site.post(
        &format!("/s/{token}/submit"),
        &[("submission_id", &submission), ("_version", &version)],
    );
    assert_eq!(thanks.status, 200, "{}", thanks.body);

    let text: String = site
        .conn()
        .query_row("SELECT answers FROM responses", [], |row| row.get(0))
        .unwrap();
    let answers: BTreeMap<String, String> = serde_json::from_str(&text).unwrap();
    assert_eq!(answers["age"], "41");
    assert_eq!(answers["started"], started);
    let ended = &answers["ended"];
    assert!(odk_time.is_match(ended), "{ended}");
    assert!(ended >= &started, "end {ended} is before start {started}");
    let today = Utc::now()
        .with_timezone(&site.config.programme.time_zone)
        .date_naive()
        .to_string();
    assert_eq!(answers["day"], today);
    assert_eq!(answers["device"], "127.0.0.1:web");
    assert_eq!(answers["user"], "participant");
}
