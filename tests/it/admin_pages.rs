//! The admin area's later pages over real HTTP (the server and client of `admin.rs`): filling a
//! survey on a participant's behalf, "run now", the call list, and the dashboard's response
//! rate over time, each at every role boundary.

use std::collections::BTreeMap;

use calamine::{Reader, Xlsx, open_workbook};
use pantau::accounts::{Role, Scope};
use regex::Regex;
use rusqlite::params;

use super::admin_site::{Client, Reply, Site, count, follow, hidden, invite};

/// Answers one survey screen with plausible values (first choice, 1000000 for numbers, free
/// text empty, "none" for the work status so that the income questions are skipped) and
/// presses Next.
fn answer_screen(client: &mut Client, token: &str, page: &Reply) -> Reply {
    let inputs = Regex::new(
        r#"<input type="(radio|checkbox|text|date)"[^>]*?name="([^"]+)"(?: value="([^"]*)")?([^>]*)>"#,
    )
    .unwrap();
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    for capture in inputs.captures_iter(&page.body) {
        let name = capture[2].to_string();
        if fields.contains_key(&name) {
            continue;
        }
        let value = capture.get(3).map_or("", |m| m.as_str()).to_string();
        let answer = match &capture[1] {
            "radio" | "checkbox" => value,
            "date" => "2026-01-15".to_string(),
            _ if capture[4].contains("inputmode=\"numeric\"")
                || capture[4].contains("inputmode=\"decimal\"") =>
            {
                "1000000".to_string()
            }
            _ => String::new(),
        };
        fields.insert(name, answer);
    }
    if fields.contains_key("work_status") {
        fields.insert("work_status".into(), "none".into());
    }
    if fields.contains_key("still_resell") {
        fields.insert("still_resell".into(), "no".into());
    }
    let version = hidden(page, "_version").expect("a question screen");
    let screen = hidden(page, "_screen").expect("a question screen");
    let mut posted: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    posted.extend([
        ("_version", version.as_str()),
        ("_screen", screen.as_str()),
        ("_action", "next"),
    ]);
    let reply = client.post(&format!("/s/{token}"), &posted);
    assert_eq!(reply.status, 303, "a screen was refused: {}", reply.body);
    follow(client, reply)
}

/// Starts assisted mode for `participant`'s invitation from their page; returns the grant
/// cookie (`pantau_assist=…`) and the reply.
fn start_assist(client: &mut Client, participant: i64) -> (Option<String>, Reply) {
    let page = client.get(&format!("/admin/participants/{participant}"));
    assert_eq!(page.status, 200, "{}", page.body);
    let invitation = hidden(&page, "invitation").expect("an assist form for the open invitation");
    let reply = client.post(
        &format!("/admin/participants/{participant}/assist"),
        &[("csrf", &page.csrf()), ("invitation", &invitation)],
    );
    let cookie = reply
        .header("set-cookie")
        .and_then(|c| c.split(';').next().map(str::to_string));
    (cookie, reply)
}

#[test]
fn an_officer_fills_a_survey_on_the_participants_behalf_and_they_resume_each_other() {
    let site = Site::start("");
    let siti = site.participant(
        "Siti Aminah",
        "6281234500001",
        "3201014506800002",
        "SP Garmen",
    );
    let token = invite(&site, siti);
    site.user(
        "officer",
        Role::FieldOfficer,
        Some(Scope::new("union", "SP Garmen").unwrap()),
    );
    let officer_id = count(&site, "SELECT id FROM users WHERE username = 'officer'");
    let mut officer = site.login("officer");

    let (cookie, started) = start_assist(&mut officer, siti);
    assert_eq!(started.status, 303, "{}", started.body);
    assert_eq!(
        started.header("location").as_deref(),
        Some(format!("/s/{token}").as_str())
    );
    let set = started.header("set-cookie").unwrap();
    assert!(set.contains(&format!("Path=/s/{token}")), "{set}");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    officer.extra = cookie;

    // The consent screen says who fills it and that the consent is read aloud.
    let consent = officer.get(&format!("/s/{token}"));
    assert!(
        consent
            .body
            .contains("Petugas officer mengisi survei ini atas nama peserta")
    );
    assert!(consent.body.contains("bacakan seluruh teks persetujuan"));
    let mut participant = site.anonymous();
    let own = participant.get(&format!("/s/{token}"));
    assert_eq!(own.status, 200);
    assert!(
        !own.body.contains("atas nama peserta"),
        "the participant's own view"
    );

    let accepted = officer.post(
        &format!("/s/{token}/consent"),
        &[("decision", "accept"), ("lang", "id")],
    );
    let first = follow(&mut officer, accepted);
    assert_eq!(
        count(
            &site,
            &format!("SELECT count(*) FROM consents WHERE assisted_by = {officer_id}")
        ),
        1
    );
    // The officer answers one screen; the participant resumes on the next one and answers it;
    // the officer finishes and submits.
    let second = answer_screen(&mut officer, &token, &first);
    let resumed = participant.get(&format!("/s/{token}"));
    assert_eq!(hidden(&resumed, "_screen"), hidden(&second, "_screen"));
    answer_screen(&mut participant, &token, &resumed);
    let mut page = officer.get(&format!("/s/{token}"));
    for _ in 0..60 {
        if hidden(&page, "submission_id").is_some() {
            break;
        }
        page = answer_screen(&mut officer, &token, &page);
    }
    let submission = hidden(&page, "submission_id").expect("the review screen");
    let version = hidden(&page, "_version").unwrap();
    let done = officer.post(
        &format!("/s/{token}/submit"),
        &[("submission_id", &submission), ("_version", &version)],
    );
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(
        count(
            &site,
            &format!("SELECT count(*) FROM responses WHERE assisted_by = {officer_id}")
        ),
        1
    );

    // The timeline and the audit log say so; the audit names the participant by id only.
    officer.extra = None;
    let timeline = officer.get(&format!("/admin/participants/{siti}"));
    assert!(
        timeline
            .body
            .contains("Jawaban diisi atas nama peserta oleh petugas officer")
    );
    assert!(timeline.body.contains("dicatat oleh petugas officer"));
    let actions: Vec<String> = site
        .conn()
        .prepare("SELECT action FROM audit_log WHERE target = ?1 ORDER BY id")
        .unwrap()
        .query_map([format!("participant:{siti}")], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        actions,
        [
            "participant.assist.start",
            "participant.assist.consent",
            "participant.assist.submit"
        ]
    );
    assert_eq!(
        count(
            &site,
            "SELECT count(*) FROM audit_log WHERE detail LIKE '%Siti%' OR detail LIKE '%628%'"
        ),
        0
    );

    // Both workbooks' participant sheets say the response was assisted (1), never by whom.
    let run = pantau::pipeline::job::run_in_server(
        &site.config,
        pantau::pipeline::job::Origin::CommandLine,
        &[],
        chrono::Utc::now(),
    )
    .unwrap();
    assert!(run.succeeded(), "{:?}", run.error);
    assert!(
        run.outputs.iter().any(|o| o.contains("manager"))
            && run.outputs.iter().any(|o| o.contains("donor")),
        "{:?}",
        run.outputs
    );
    for output in &run.outputs {
        let path = site.config.reports_dir().join(output);
        let mut workbook: Xlsx<_> = open_workbook(&path).unwrap();
        let sheet = workbook
            .sheet_names()
            .into_iter()
            .find(|name| name == "Peserta" || name == "Participants")
            .unwrap_or_else(|| panic!("{output} has a participant sheet"));
        let range = workbook.worksheet_range(&sheet).unwrap();
        let rows: Vec<Vec<String>> = range
            .rows()
            .map(|row| row.iter().map(|cell| cell.to_string()).collect())
            .collect();
        let header = rows
            .iter()
            .position(|row| {
                row.iter()
                    .any(|c| c.starts_with("m3: ") || c.starts_with("m3."))
            })
            .unwrap_or_else(|| panic!("{output}: no m3 columns in {rows:?}"));
        let column = rows[header]
            .iter()
            .position(|c| c == "m3: dibantu petugas" || c == "m3: interviewer-assisted")
            .unwrap_or_else(|| panic!("{output}: no assisted column in {:?}", rows[header]));
        let values: Vec<&str> = rows[header + 1..]
            .iter()
            .map(|row| row[column].as_str())
            .collect();
        assert_eq!(values, ["1"], "{output}");
        assert!(
            !rows.iter().flatten().any(|c| c.contains("officer")),
            "{output} names no officer"
        );
    }
    // No sheet of the donor workbook holds the officer's username, nor the participant's
    // name, phone or NIK; and the stored answers hold no officer name either (a form's ODK
    // `username` stays `participant`: see the README's fill-on-behalf section).
    for output in run.outputs.iter().filter(|o| o.contains("donor")) {
        let path = site.config.reports_dir().join(output);
        let mut workbook: Xlsx<_> = open_workbook(&path).unwrap();
        for sheet in workbook.sheet_names() {
            let range = workbook.worksheet_range(&sheet).unwrap();
            for (row, cells) in range.rows().enumerate() {
                for (column, cell) in cells.iter().enumerate() {
                    let text = cell.to_string();
                    for personal in [
                        "officer",
                        "Siti",
                        "Aminah",
                        "81234500001",
                        "3201014506800002",
                    ] {
                        assert!(
                            !text.contains(personal),
                            "{output}, sheet {sheet}, row {}, column {}: {personal:?} in {text:?}",
                            row + 1,
                            column + 1
                        );
                    }
                }
            }
        }
    }
    let answers: String = site
        .conn()
        .query_row(
            &format!("SELECT answers FROM responses WHERE assisted_by = {officer_id}"),
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert!(
        !answers.contains("officer"),
        "the assisted answers name the officer: {answers}"
    );
}

#[test]
fn assisted_mode_needs_a_live_session_in_scope_and_a_csrf_token() {
    let site = Site::start("");
    let (siti, budi) = site.siti_and_budi();
    let siti_token = invite(&site, siti);
    invite(&site, budi);
    let budi_invitation = count(
        &site,
        &format!("SELECT id FROM invitations WHERE participant_id = {budi}"),
    );
    site.user("viewer", Role::Viewer, None);
    site.user("manager", Role::Manager, None);
    site.user(
        "officer",
        Role::FieldOfficer,
        Some(Scope::new("union", "SP Garmen").unwrap()),
    );

    // A viewer may not; the gate refuses before anything else.
    let mut viewer = site.login("viewer");
    let csrf = viewer.get("/admin").csrf();
    let refused = viewer.post(
        &format!("/admin/participants/{budi}/assist"),
        &[
            ("csrf", &csrf),
            ("invitation", &budi_invitation.to_string()),
        ],
    );
    assert_eq!(refused.status, 403);

    // An officer: not outside their scope, not without the CSRF token.
    let mut officer = site.login("officer");
    let csrf = officer.get("/admin").csrf();
    let outside = officer.post(
        &format!("/admin/participants/{budi}/assist"),
        &[
            ("csrf", &csrf),
            ("invitation", &budi_invitation.to_string()),
        ],
    );
    assert_eq!(outside.status, 404);
    assert!(outside.header("set-cookie").is_none());
    // Siti's page but Budi's invitation: refused too.
    let mixed = officer.post(
        &format!("/admin/participants/{siti}/assist"),
        &[
            ("csrf", &csrf),
            ("invitation", &budi_invitation.to_string()),
        ],
    );
    assert_eq!(mixed.status, 404);
    let no_csrf = officer.post(
        &format!("/admin/participants/{siti}/assist"),
        &[("invitation", "1")],
    );
    assert_eq!(no_csrf.status, 403);

    // A manager may, for anyone.
    let mut manager = site.login("manager");
    let (cookie, started) = start_assist(&mut manager, budi);
    assert_eq!(started.status, 303);
    assert!(cookie.is_some());

    // A forged grant, or one from a session that ended, changes nothing.
    let (cookie, _) = start_assist(&mut officer, siti);
    let cookie = cookie.unwrap();
    let mut forger = site.anonymous();
    // The last character changed to another one (appending a fixed "0" would forge nothing
    // when the grant already ends in "0").
    let last = if cookie.ends_with('0') { "1" } else { "0" };
    forger.extra = Some(format!("{}{last}", &cookie[..cookie.len() - 1]));
    let forged = forger.get(&format!("/s/{siti_token}"));
    assert!(!forged.body.contains("atas nama peserta"));
    officer.extra = Some(cookie.clone());
    assert!(
        officer
            .get(&format!("/s/{siti_token}"))
            .body
            .contains("atas nama peserta")
    );
    let csrf = officer.get("/admin").csrf();
    assert_eq!(
        officer.post("/admin/logout", &[("csrf", &csrf)]).status,
        303
    );
    let mut after = site.anonymous();
    after.extra = Some(cookie);
    let ended = after.get(&format!("/s/{siti_token}"));
    assert!(!ended.body.contains("atas nama peserta"));
    let accepted = after.post(
        &format!("/s/{siti_token}/consent"),
        &[("decision", "accept"), ("lang", "id")],
    );
    assert_eq!(accepted.status, 303);
    assert_eq!(
        count(
            &site,
            "SELECT count(*) FROM consents WHERE assisted_by IS NOT NULL"
        ),
        0
    );
}

#[test]
fn run_now_runs_the_job_once_for_managers_and_waits_for_a_running_one() {
    let site = Site::start("");
    site.user("manager", Role::Manager, None);
    site.user("viewer", Role::Viewer, None);
    site.user(
        "officer",
        Role::FieldOfficer,
        Some(Scope::new("union", "SP Garmen").unwrap()),
    );
    let manager_id = count(&site, "SELECT id FROM users WHERE username = 'manager'");

    for name in ["viewer", "officer"] {
        let mut client = site.login(name);
        let reports = client.get("/admin/reports");
        assert!(!reports.body.contains("/admin/reports/run"), "{name}");
        let csrf = reports.csrf();
        assert_eq!(
            client.post("/admin/reports/run", &[("csrf", &csrf)]).status,
            403,
            "{name}"
        );
    }

    let mut manager = site.login("manager");
    let page = manager.get("/admin/reports");
    assert!(page.body.contains(r#"action="/admin/reports/run""#));
    let csrf = page.csrf();
    assert_eq!(
        manager.post("/admin/reports/run", &[]).status,
        403,
        "no CSRF"
    );

    // Another run holds the lock: refused, nothing started.
    site.conn()
        .execute(
            "UPDATE job_lock SET holder = 'pantau run pid 1', acquired_at = '2026-01-01T00:00:00Z',
                                 expires_at = '2099-01-01T00:00:00Z' WHERE id = 1",
            [],
        )
        .unwrap();
    let busy = manager.post("/admin/reports/run", &[("csrf", &csrf)]);
    assert_eq!(busy.status, 409);
    assert!(busy.body.contains("Laporan lain sedang dibuat"));
    assert_eq!(count(&site, "SELECT count(*) FROM report_runs"), 0);
    site.conn()
        .execute(
            "UPDATE job_lock SET holder = NULL, acquired_at = NULL, expires_at = NULL",
            [],
        )
        .unwrap();

    let started = manager.post("/admin/reports/run", &[("csrf", &csrf)]);
    assert_eq!(started.status, 303, "{}", started.body);
    // The run goes on in the background; wait for it to record its outcome (bounded).
    let mut finished = false;
    for _ in 0..600 {
        if count(
            &site,
            "SELECT count(*) FROM report_runs WHERE status <> 'running' AND triggered_by IS NOT NULL",
        ) == 1
        {
            finished = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(finished, "the run did not finish");
    let (origin, status, by): (String, String, i64) = site
        .conn()
        .query_row(
            "SELECT origin, status, triggered_by FROM report_runs",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        (origin.as_str(), status.as_str(), by),
        ("admin", "succeeded", manager_id)
    );
    let page = manager.get("/admin/reports");
    assert!(
        page.body.contains("/admin/reports/files/pantau-donor-"),
        "{}",
        page.body
    );
    assert!(page.body.contains("/admin/reports/files/pantau-manager-"));
    assert_eq!(
        count(
            &site,
            &format!(
                "SELECT count(*) FROM audit_log WHERE action = 'report.run' AND user_id = {manager_id}"
            )
        ),
        1
    );
}

#[test]
fn the_call_list_shows_each_role_the_participants_it_may_call() {
    let site = Site::start("");
    let (siti, budi) = site.siti_and_budi();
    invite(&site, siti);
    invite(&site, budi);
    // Budi missed two training sessions: more at risk, first on the list.
    for session in ["attended_2", "attended_3"] {
        pantau::participants::attributes::set_values(
            &site.conn(),
            budi,
            &[(session, "0")],
            None,
            "now",
        )
        .unwrap();
    }
    site.user("viewer", Role::Viewer, None);
    site.user("manager", Role::Manager, None);
    site.user(
        "officer",
        Role::FieldOfficer,
        Some(Scope::new("union", "SP Garmen").unwrap()),
    );

    let mut viewer = site.login("viewer");
    assert_eq!(viewer.get("/admin/calls").status, 403);
    assert!(!viewer.get("/admin").body.contains("/admin/calls"));

    let mut manager = site.login("manager");
    let all = manager.get("/admin/calls");
    assert_eq!(all.status, 200);
    let budi_at = all.body.find("Budi Hartono").expect("Budi listed");
    let siti_at = all.body.find("Siti Aminah").expect("Siti listed");
    assert!(budi_at < siti_at, "most at risk first");
    assert!(all.body.contains("https://wa.me/6281234500002?text="));
    assert!(all.body.contains("absen 2 sesi pelatihan"), "reasons shown");

    let mut officer = site.login("officer");
    let mine = officer.get("/admin/calls");
    assert!(mine.body.contains("Siti Aminah"));
    assert!(mine.body.contains("https://wa.me/6281234500001?text="));
    assert!(!mine.body.contains("Budi"), "outside the officer's scope");

    // Recording a call: within scope only.
    let siti_invitation = count(
        &site,
        &format!("SELECT id FROM invitations WHERE participant_id = {siti}"),
    );
    let budi_invitation = count(
        &site,
        &format!("SELECT id FROM invitations WHERE participant_id = {budi}"),
    );
    let csrf = mine.csrf();
    let outside = officer.post(
        &format!("/admin/calls/{budi_invitation}"),
        &[("csrf", &csrf)],
    );
    assert_eq!(outside.status, 404);
    for _ in 0..2 {
        let called = officer.post(
            &format!("/admin/calls/{siti_invitation}"),
            &[("csrf", &csrf)],
        );
        assert_eq!(called.status, 303);
    }
    let officer_id = count(&site, "SELECT id FROM users WHERE username = 'officer'");
    assert_eq!(
        count(
            &site,
            &format!(
                "SELECT count(*) FROM reminders WHERE channel = 'phone' AND sent_by = {officer_id}
                 AND invitation_id = {siti_invitation}"
            )
        ),
        2
    );
    assert_eq!(
        count(
            &site,
            &format!("SELECT count(*) FROM reminders WHERE invitation_id = {budi_invitation}")
        ),
        0
    );
    let timeline = officer.get(&format!("/admin/participants/{siti}"));
    assert!(timeline.body.contains("phone #2"));
    assert_eq!(
        count(
            &site,
            "SELECT count(*) FROM audit_log WHERE action = 'participant.call'"
        ),
        2
    );
}

#[test]
fn the_dashboard_shows_the_response_rate_over_time_as_a_table_and_a_chart() {
    let site = Site::start("");
    let conn = site.conn();
    conn.execute(
        "INSERT INTO waves (name, form_file, updated_at) VALUES ('m3', 'followup.xlsx', 'now')",
        [],
    )
    .unwrap();
    for n in 0..4 {
        let id = site.participant(
            &format!("Peserta {n}"),
            &format!("62812345000{n:02}"),
            &format!("32010145068000{n:02}"),
            "SP Garmen",
        );
        conn.execute(
            "INSERT INTO invitations (participant_id, wave, token, status, issued_at, opens_at,
                                      closes_at)
             VALUES (?1, 'm3', ?2, 'sent', '2026-03-02T03:00:00Z', '2026-03-02T03:00:00Z',
                     '2026-04-01T03:00:00Z')",
            params![id, format!("dash{n:0>20}")],
        )
        .unwrap();
        if n < 3 {
            let invitation = conn.last_insert_rowid();
            conn.execute(
                "INSERT INTO responses (invitation_id, submission_id, form_id, form_version,
                                        answers, language, submitted_at)
                 VALUES (?1, ?2, 'followup', '1', '{}', 'id', ?3)",
                params![
                    invitation,
                    format!("sub-{n}"),
                    format!("2026-03-0{}T03:00:00Z", 2 + n)
                ],
            )
            .unwrap();
            conn.execute(
                "UPDATE invitations SET status = 'submitted' WHERE id = ?1",
                [invitation],
            )
            .unwrap();
        }
    }
    site.user("viewer", Role::Viewer, None);
    let mut viewer = site.login("viewer");
    let dashboard = viewer.get("/admin?lang=en");
    assert_eq!(dashboard.status, 200);
    let body = &dashboard.body;
    assert!(body.contains("Response rate over time"));
    // Day 0: 1 of 4; by day 7 (the series runs to today, so the table goes week by week):
    // 3 of 4.
    assert!(
        body.contains("<td>0</td><td>2026-03-02</td><td>4</td><td>1</td><td>25.0 %</td>"),
        "{body}"
    );
    assert!(body.contains("<td>7</td><td>2026-03-09</td><td>4</td><td>3</td><td>75.0 %</td>"));
    assert!(body.contains("<svg class=\"chart\""));
    assert!(body.contains("<polyline points=\""));
    assert!(!body.contains("<script"));
    assert!(!body.contains("Peserta 0"), "figures only");
    // Wide tables scroll sideways on a phone, in a region a keyboard can reach and scroll,
    // named after its table and outlined when focused.
    assert!(body.contains(
        "<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"Wave m3\"><table>"
    ));
    let css = viewer.get(&format!(
        "/static/pantau.css?v={}",
        pantau::web::layout::CSS_VERSION
    ));
    assert!(css.body.contains(".scroll{overflow-x:auto"));
    assert!(css.body.contains(".scroll:focus-visible{outline:3px solid"));
}
