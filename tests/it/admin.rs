//! The admin area over real HTTP: login, lockout, CSRF, role boundaries, uploads, search,
//! timelines and data-subject rights, against the test site of `admin_site.rs`.

use pantau::accounts::{Role, Scope};
use regex::Regex;

use super::admin_site::{Client, PASSWORD, Reply, Site};

#[test]
fn login_sets_a_strict_http_only_session_cookie_and_logout_ends_it() {
    let site = Site::start("");
    site.user("sari", Role::Admin, None);
    let mut anonymous = site.anonymous();
    let redirected = anonymous.get("/admin");
    assert_eq!(redirected.status, 303);
    assert_eq!(
        redirected.header("location").as_deref(),
        Some("/admin/login")
    );
    let form = anonymous.get("/admin/login");
    assert_eq!(form.status, 200);
    assert!(form.body.contains(r#"name="password""#));
    assert!(
        form.header("content-security-policy")
            .unwrap()
            .contains("default-src 'none'")
    );

    let wrong = anonymous.post(
        "/admin/login",
        &[("username", "sari"), ("password", "nope")],
    );
    assert_eq!(wrong.status, 401);
    let unknown = anonymous.post(
        "/admin/login",
        &[("username", "nobody"), ("password", "nope")],
    );
    assert_eq!(unknown.status, 401);
    assert_eq!(
        wrong.body, unknown.body,
        "unknown users and wrong passwords look the same"
    );

    let mut client = site.anonymous();
    let ok = client.post(
        "/admin/login",
        &[("username", "sari"), ("password", PASSWORD)],
    );
    assert_eq!(ok.status, 303);
    let cookie = ok.header("set-cookie").unwrap();
    assert!(cookie.starts_with("pantau_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    let token = client.cookie.clone().unwrap();
    let stored: i64 = site
        .conn()
        .query_row(
            "SELECT count(*) FROM sessions WHERE token_hash = ?1",
            [&token],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, 0, "the token itself is never stored");

    let dashboard = client.get("/admin");
    assert_eq!(dashboard.status, 200, "{}", dashboard.body);
    assert!(dashboard.body.contains("Tingkat respons"));
    let english = client.get("/admin?lang=en");
    assert!(english.body.contains("Response rate"));
    let logout = client.post("/admin/logout", &[("csrf", &dashboard.csrf())]);
    assert_eq!(logout.status, 303);
    client.cookie = Some(token);
    assert_eq!(
        client.get("/admin").status,
        303,
        "the old cookie no longer works"
    );
    let audited: i64 = site
        .conn()
        .query_row(
            "SELECT count(*) FROM audit_log WHERE action IN ('user.login', 'user.logout', 'user.login_failed')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(audited, 4);
}

#[test]
fn https_sites_mark_the_cookie_secure() {
    let site = Site::start("public_base_url = \"https://pantau.example.org\"");
    site.user("sari", Role::Viewer, None);
    let mut client = site.anonymous();
    let ok = client.post(
        "/admin/login",
        &[("username", "sari"), ("password", PASSWORD)],
    );
    assert!(ok.header("set-cookie").unwrap().contains("; Secure"));
}

#[test]
fn five_wrong_passwords_lock_the_account() {
    let site = Site::start("");
    site.user("sari", Role::Manager, None);
    let mut client = site.anonymous();
    for _ in 0..5 {
        let reply = client.post(
            "/admin/login",
            &[("username", "sari"), ("password", "wrong one")],
        );
        assert_eq!(reply.status, 401);
    }
    let right = client.post(
        "/admin/login",
        &[("username", "sari"), ("password", PASSWORD)],
    );
    assert_eq!(right.status, 401, "locked even with the right password");
    assert!(client.cookie.is_none());
    let locked: Option<String> = site
        .conn()
        .query_row(
            "SELECT locked_until FROM users WHERE username = 'sari'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(locked.is_some());
}

#[test]
fn posts_without_the_sessions_csrf_token_are_refused() {
    let site = Site::start("");
    site.user("sari", Role::Manager, None);
    site.conn()
        .execute(
            "INSERT INTO email_outbox (dedupe_key, recipient, subject, body_text, status, attempts,
             created_at) VALUES ('report:1', 'donor@example.org', 'Report', 'x', 'failed', 5,
             '2025-01-01T00:00:00Z')",
            [],
        )
        .unwrap();
    let mut client = site.login("sari");
    let outbox = client.get("/admin/outbox");
    assert_eq!(outbox.status, 200);
    let csrf = outbox.csrf();
    assert_eq!(client.post("/admin/outbox/1/retry", &[]).status, 403);
    assert_eq!(
        client
            .post("/admin/outbox/1/retry", &[("csrf", "not-the-token")])
            .status,
        403
    );
    let status = |site: &Site| -> String {
        site.conn()
            .query_row("SELECT status FROM email_outbox WHERE id = 1", [], |r| {
                r.get(0)
            })
            .unwrap()
    };
    assert_eq!(status(&site), "failed");
    assert_eq!(
        client
            .post("/admin/outbox/1/retry", &[("csrf", &csrf)])
            .status,
        303
    );
    assert_eq!(status(&site), "queued");
    // Another session's token is no good either.
    let mut other = site.login("sari");
    let theirs = other.get("/admin/outbox").csrf();
    assert_ne!(theirs, csrf);
    assert_eq!(
        client.post("/admin/logout", &[("csrf", &theirs)]).status,
        403
    );
}

#[test]
fn each_role_meets_its_boundaries() {
    let site = Site::start("");
    let (siti, budi) = site.siti_and_budi();
    site.user("admin", Role::Admin, None);
    site.user("manager", Role::Manager, None);
    site.user("viewer", Role::Viewer, None);
    site.user(
        "officer",
        Role::FieldOfficer,
        Some(Scope::new("union", "SP Garmen").unwrap()),
    );
    let reports = site.dir.path().join("reports");
    std::fs::create_dir_all(&reports).unwrap();
    std::fs::write(reports.join("pantau-donor-2026-01-01.xlsx"), b"donor bytes").unwrap();
    std::fs::write(
        reports.join("pantau-manager-2026-01-01.xlsx"),
        b"manager bytes",
    )
    .unwrap();

    // Viewer: figures, the donor workbook; no participant, no manager workbook.
    let mut viewer = site.login("viewer");
    let dashboard = viewer.get("/admin");
    assert_eq!(dashboard.status, 200);
    assert!(!dashboard.body.contains("Siti"));
    assert!(
        !dashboard.body.contains("/admin/participants"),
        "no link the role cannot use"
    );
    assert_eq!(viewer.get("/admin/participants").status, 403);
    assert_eq!(
        viewer.get(&format!("/admin/participants/{siti}")).status,
        403
    );
    assert_eq!(
        viewer
            .get("/admin/reports/files/pantau-manager-2026-01-01.xlsx")
            .status,
        403
    );
    let donor = viewer.get("/admin/reports/files/pantau-donor-2026-01-01.xlsx");
    assert_eq!(donor.status, 200);
    assert_eq!(donor.bytes, b"donor bytes");
    assert_eq!(viewer.get("/admin/outbox").status, 403);

    // Field officer: only their union's participants, with contacts.
    let mut officer = site.login("officer");
    let list = officer.get("/admin/participants");
    assert_eq!(list.status, 200);
    assert!(list.body.contains("Siti Aminah") && list.body.contains("6281234500001"));
    assert!(
        !list.body.contains("Budi"),
        "another union's participant is listed"
    );
    assert_eq!(
        officer.get(&format!("/admin/participants/{siti}")).status,
        200
    );
    assert_eq!(
        officer.get(&format!("/admin/participants/{budi}")).status,
        404
    );
    assert_eq!(officer.get("/admin/imports").status, 403);
    assert_eq!(
        officer
            .get("/admin/reports/files/pantau-manager-2026-01-01.xlsx")
            .status,
        403
    );

    // Manager: participants and the manager workbook, but no users and no erasure.
    let mut manager = site.login("manager");
    let search = manager.get("/admin/participants?q=0812345000");
    assert!(search.body.contains("Siti Aminah") && search.body.contains("Budi Hartono"));
    let by_nik = manager.get("/admin/participants?q=90000");
    assert!(by_nik.body.contains("Budi Hartono") && !by_nik.body.contains("Siti Aminah"));
    let by_union = manager.get("/admin/participants?union=SP+Logam");
    assert!(by_union.body.contains("Budi Hartono") && !by_union.body.contains("Siti Aminah"));
    let manager_book = manager.get("/admin/reports/files/pantau-manager-2026-01-01.xlsx");
    assert_eq!(manager_book.status, 200);
    let page = manager.get(&format!("/admin/participants/{siti}"));
    assert!(
        !page.body.contains("/erase"),
        "no erase button for managers"
    );
    let csrf = page.csrf();
    assert_eq!(manager.get("/admin/users").status, 403);
    let add = manager.post(
        "/admin/users",
        &[
            ("csrf", &csrf),
            ("username", "eve"),
            ("password", PASSWORD),
            ("role", "admin"),
        ],
    );
    assert_eq!(add.status, 403);
    assert_eq!(
        manager
            .post(
                &format!("/admin/participants/{siti}/erase"),
                &[("csrf", &csrf)]
            )
            .status,
        403
    );
    let users: i64 = site
        .conn()
        .query_row("SELECT count(*) FROM users", [], |r| r.get(0))
        .unwrap();
    assert_eq!(users, 4);

    // Admin: may add users.
    let mut admin = site.login("admin");
    let csrf = admin.get("/admin/users").csrf();
    let add = admin.post(
        "/admin/users",
        &[
            ("csrf", &csrf),
            ("username", "rina"),
            ("password", PASSWORD),
            ("role", "viewer"),
        ],
    );
    assert_eq!(add.status, 303);
    let mut rina = site.login("rina");
    assert_eq!(rina.get("/admin").status, 200);
    let rina_id: i64 = site
        .conn()
        .query_row("SELECT id FROM users WHERE username = 'rina'", [], |r| {
            r.get(0)
        })
        .unwrap();
    let disable = admin.post(
        &format!("/admin/users/{rina_id}/disable"),
        &[("csrf", &csrf)],
    );
    assert_eq!(disable.status, 303);
    assert_eq!(
        rina.get("/admin").status,
        303,
        "a disabled user's session ends at once"
    );
}

#[test]
fn an_admin_exports_then_erases_a_participant() {
    let site = Site::start("");
    let siti = site.participant(
        "Siti Aminah",
        "6281234500001",
        "3201014506800002",
        "SP Garmen",
    );
    site.user("admin", Role::Admin, None);
    let mut admin = site.login("admin");
    let export = admin.get(&format!("/admin/participants/{siti}/export"));
    assert_eq!(export.status, 200);
    let data: serde_json::Value = serde_json::from_slice(&export.bytes).unwrap();
    assert!(
        data.to_string().contains("Siti Aminah") && data.to_string().contains("3201014506800002")
    );

    let page = admin.get(&format!("/admin/participants/{siti}"));
    assert!(page.body.contains("Siti Aminah"));
    let erase = admin.post(
        &format!("/admin/participants/{siti}/erase"),
        &[("csrf", &page.csrf())],
    );
    assert_eq!(erase.status, 303);
    let after = admin.get(&format!("/admin/participants/{siti}"));
    assert_eq!(after.status, 200);
    assert!(!after.body.contains("Siti") && !after.body.contains("6281234500001"));
    let conn = site.conn();
    let (key, erased): (String, Option<String>) = conn
        .query_row(
            "SELECT participant_key, erased_at FROM participants WHERE id = ?1",
            [siti],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(key, format!("erased:{siti}"));
    assert!(erased.is_some());
    let union: i64 = conn
        .query_row(
            "SELECT count(*) FROM participant_attributes WHERE name = 'union' AND value = 'SP Garmen'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(union, 1, "the union count is unchanged");
    let dashboard = admin.get("/admin");
    assert!(dashboard.body.contains("40-49") || dashboard.body.contains("50+"));
    let audited: i64 = conn
        .query_row(
            "SELECT count(*) FROM audit_log WHERE action = 'participant.erase' AND user_id = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(audited, 1);
    // Erasing took the participant's texts out of the trigram index too.
    assert!(
        !admin
            .get("/admin/participants?q=Aminah")
            .body
            .contains("Siti")
    );
    search_index_is_consistent(&site);
}

/// A multipart body with one file in field `roster`.
fn multipart(file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "pantau-test-boundary-7MA4YWxk";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"roster\"; filename=\"{file_name}\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[test]
fn a_manager_uploads_rosters_and_downloads_the_error_workbook() {
    use calamine::Reader;
    let site = Site::start("");
    site.user("manager", Role::Manager, None);
    let mut manager = site.login("manager");
    let imports = manager.get("/admin/imports");
    assert_eq!(imports.status, 200);
    let action = Regex::new(r#"action="(/admin/imports\?csrf=[^"]+)""#)
        .unwrap()
        .captures(&imports.body)
        .map(|c| c[1].to_string())
        .expect("the upload form carries the CSRF token in its action");

    let good = "Nama,No HP,Serikat\nSiti Aminah,081234500001,SP Garmen\nBudi Hartono,081234500002,SP Logam\n";
    let (kind, body) = multipart("roster-bekasi.csv", good.as_bytes());
    assert_eq!(
        manager
            .send("POST", "/admin/imports", Some(&kind), &body)
            .status,
        403,
        "no CSRF token, no upload"
    );
    let reply = manager.send("POST", &action, Some(&kind), &body);
    assert_eq!(reply.status, 303, "{}", reply.body);
    let summary = manager.get(&reply.header("location").unwrap());
    assert_eq!(summary.status, 200);
    assert!(summary.body.contains("roster-bekasi.csv"));
    assert!(
        summary.body.contains(r#"<dd id="status">imported</dd>"#),
        "{}",
        summary.body
    );
    assert!(summary.body.contains("new 2"), "{}", summary.body);
    let (people, by): (i64, Option<i64>) = site
        .conn()
        .query_row(
            "SELECT (SELECT count(*) FROM participants), imported_by FROM roster_imports",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(people, 2);
    assert_eq!(by, Some(1), "the import records who uploaded it");

    // A real roster is larger than any survey post (the 256 KiB `max_body_kb`): an upload of
    // about a megabyte goes through, up to `max_upload_mb`.
    let mut large = String::from("Nama,No HP,Serikat,Catatan\n");
    for i in 0..6_000 {
        large.push_str(&format!(
            "Peserta {i},0812{i:08},SP Garmen,{}\n",
            "catatan panjang ".repeat(10)
        ));
    }
    assert!(large.len() > 1024 * 1024, "{}", large.len());
    let (kind, body) = multipart("roster-large.csv", large.as_bytes());
    let reply = manager.send("POST", &action, Some(&kind), &body);
    assert_eq!(reply.status, 303, "{}", reply.body);
    let summary = manager.get(&reply.header("location").unwrap());
    assert!(summary.body.contains("new 6000"), "{}", summary.body);

    let bad = "Nama,No HP,Serikat\nRina,081234500003,SP Garmen\nDewi,12,SP Garmen\n";
    let (kind, body) = multipart("roster-bad.csv", bad.as_bytes());
    let reply = manager.send("POST", &action, Some(&kind), &body);
    assert_eq!(reply.status, 303);
    let summary = manager.get(&reply.header("location").unwrap());
    assert!(
        summary.body.contains(r#"<dd id="status">rejected</dd>"#),
        "{}",
        summary.body
    );
    let link = Regex::new(r#"href="(/admin/imports/\d+/errors)""#)
        .unwrap()
        .captures(&summary.body)
        .map(|c| c[1].to_string())
        .expect("a link to the error workbook");
    let workbook = manager.get(&link);
    assert_eq!(workbook.status, 200);
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(workbook.bytes)).unwrap();
    let first = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&first).unwrap();
    let text: Vec<String> = range.rows().flatten().map(|c| c.to_string()).collect();
    assert!(
        text.iter().any(|t| t.contains("B (No HP)")) && text.iter().any(|t| t == "3"),
        "the problem names its row and column: {text:?}"
    );

    site.user("viewer", Role::Viewer, None);
    assert_eq!(site.login("viewer").get(&link).status, 403);
}

#[test]
fn forms_are_listed_with_their_validation_and_previewed_in_both_languages() {
    let site = Site::start("");
    site.user("manager", Role::Manager, None);
    site.user("viewer", Role::Viewer, None);
    std::fs::write(site.dir.path().join("forms/broken.xlsx"), b"not a workbook").unwrap();
    let mut manager = site.login("manager");
    let list = manager.get("/admin/forms");
    assert_eq!(list.status, 200);
    assert!(list.body.contains("followup.xlsx") && list.body.contains("broken.xlsx"));
    assert!(
        list.body.contains(r#"class="error""#),
        "the broken form shows its error"
    );
    let preview = manager.get("/admin/forms/followup.xlsx");
    assert_eq!(preview.status, 200);
    assert!(
        preview.body.contains("(id)") && preview.body.contains("(en)"),
        "{}",
        preview.body
    );
    assert_eq!(manager.get("/admin/forms/..%2Fpantau.toml").status, 404);
    assert_eq!(site.login("viewer").get("/admin/forms").status, 403);
}

/// Runs `pantau` with `args` against the site's configuration.
fn pantau(site: &Site, args: &[&str], password: Option<&str>) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_pantau"));
    command
        .arg("--config")
        .arg(site.dir.path().join("pantau.toml"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .env_remove("PANTAU_PASSWORD");
    if let Some(password) = password {
        command.env("PANTAU_PASSWORD", password);
    }
    command.output().unwrap()
}

#[test]
fn the_command_line_adds_users_and_exports_and_erases_participants() {
    let site = Site::start("");
    let added = pantau(
        &site,
        &[
            "user",
            "add",
            "budi",
            "--role",
            "field_officer",
            "--scope-field",
            "union",
            "--scope-value",
            "SP Garmen",
        ],
        Some(PASSWORD),
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let no_scope = pantau(
        &site,
        &["user", "add", "rina", "--role", "field_officer"],
        Some(PASSWORD),
    );
    assert_eq!(no_scope.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&no_scope.stderr).contains("needs a scope"));
    let no_password = pantau(&site, &["user", "add", "rina", "--role", "viewer"], None);
    assert_eq!(no_password.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&no_password.stderr).contains("PANTAU_PASSWORD"));
    let listed = pantau(&site, &["user", "list"], None);
    assert!(
        String::from_utf8_lossy(&listed.stdout)
            .contains("budi\tfield_officer\tunion = SP Garmen\tactive")
    );
    assert_eq!(site.login("budi").get("/admin/participants").status, 200);
    assert!(
        pantau(&site, &["user", "disable", "budi"], None)
            .status
            .success()
    );
    let mut client = site.anonymous();
    let refused = client.post(
        "/admin/login",
        &[("username", "budi"), ("password", PASSWORD)],
    );
    assert_eq!(refused.status, 401, "a disabled account cannot log in");

    let id = site.participant(
        "Siti Aminah",
        "6281234500001",
        "3201014506800002",
        "SP Garmen",
    );
    let out = site.dir.path().join("siti.json");
    let export = pantau(
        &site,
        &[
            "participant",
            "export",
            "nik:3201014506800002",
            "--out",
            out.to_str().unwrap(),
        ],
        None,
    );
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("Siti Aminah") && text.contains("6281234500001"));
    let unconfirmed = pantau(&site, &["participant", "erase", &id.to_string()], None);
    assert_eq!(
        unconfirmed.status.code(),
        Some(1),
        "erasing needs --yes without a terminal"
    );
    let erased = pantau(
        &site,
        &["participant", "erase", &id.to_string(), "--yes"],
        None,
    );
    assert!(
        erased.status.success(),
        "{}",
        String::from_utf8_lossy(&erased.stderr)
    );
    let after = pantau(
        &site,
        &["participant", "export", &format!("erased:{id}")],
        None,
    );
    let text = String::from_utf8_lossy(&after.stdout);
    assert!(
        !text.contains("Siti") && !text.contains("6281234500001") && text.contains("SP Garmen")
    );
    let missing = pantau(&site, &["participant", "erase", "nik:0000", "--yes"], None);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("nik:0000"));
}

/// Whether the trigram index agrees with `participant_search`: FTS5's integrity check compares
/// the index with the texts it was built from and fails on any difference.
fn search_index_is_consistent(site: &Site) {
    site.conn()
        .execute(
            "INSERT INTO participant_search_text (participant_search_text, rank)
             VALUES ('integrity-check', 1)",
            [],
        )
        .expect("the trigram index matches participant_search");
}

#[test]
fn search_finds_nik_fragments_and_fragments_too_short_for_trigrams() {
    let site = Site::start("");
    site.participant(
        "Siti Aminah",
        "6281234500001",
        "3201014506800002",
        "SP Garmen",
    );
    site.participant(
        "Budi Hartono",
        "6281234500002",
        "3201010101900001",
        "SP Logam",
    );
    let dewi = site.participant(
        "Dewi \"Lestari\" 100%",
        "6285711122233",
        "3174052208770009",
        "SP Garmen",
    );
    site.user("admin", Role::Admin, None);
    site.user(
        "officer",
        Role::FieldOfficer,
        Some(Scope::new("union", "SP Logam").unwrap()),
    );
    let mut admin = site.login("admin");
    let listed = |reply: &Reply| {
        ["Siti Aminah", "Budi Hartono", "Dewi"]
            .into_iter()
            .filter(|name| reply.body.contains(name))
            .collect::<Vec<_>>()
    };

    // "220877" is only in Dewi's NIK: not in any phone (as stored or as typed) nor name.
    let by_nik = admin.get("/admin/participants?q=220877");
    assert_eq!(by_nik.status, 200);
    assert_eq!(listed(&by_nik), ["Dewi"]);
    // With spaces, as people copy NIKs from cards; and a NIK fragment of another union is not
    // shown to a field officer.
    assert_eq!(
        listed(&admin.get("/admin/participants?q=2208+77")),
        ["Dewi"]
    );
    let mut officer = site.login("officer");
    assert!(listed(&officer.get("/admin/participants?q=220877")).is_empty());
    assert_eq!(
        listed(&officer.get("/admin/participants?q=0101900")),
        ["Budi Hartono"]
    );
    // The phone as staff type it, and with a union filter.
    assert_eq!(
        listed(&admin.get("/admin/participants?q=0857111")),
        ["Dewi"]
    );
    assert!(listed(&admin.get("/admin/participants?q=0857111&union=SP+Logam")).is_empty());
    // Quotes and LIKE wildcards in a fragment are text, found as typed.
    assert_eq!(
        listed(&admin.get("/admin/participants?q=%22Lestari%22")),
        ["Dewi"]
    );
    assert_eq!(listed(&admin.get("/admin/participants?q=100%25")), ["Dewi"]);
    // Unescaped, `_` would match the space in `Dewi "`.
    assert!(listed(&admin.get("/admin/participants?q=wi_%22")).is_empty());
    assert!(listed(&admin.get("/admin/participants?q=qxzv")).is_empty());

    // One or two characters have no trigram: the search reads the participants in order
    // instead, with the same rules (any case for names, 08… for phones).
    assert_eq!(
        listed(&admin.get("/admin/participants?q=BU")),
        ["Budi Hartono"]
    );
    assert_eq!(
        listed(&admin.get("/admin/participants?q=am")),
        ["Siti Aminah"]
    );
    assert_eq!(listed(&admin.get("/admin/participants?q=77")), ["Dewi"]);
    assert_eq!(
        listed(&admin.get("/admin/participants?q=i")),
        ["Siti Aminah", "Budi Hartono", "Dewi"]
    );
    assert!(listed(&admin.get("/admin/participants?q=x")).is_empty());
    assert_eq!(
        listed(&officer.get("/admin/participants?q=i")),
        ["Budi Hartono"]
    );

    // A changed name is found by its new text only: the index follows the roster values.
    let conn = site.conn();
    pantau::participants::attributes::set_values(
        &conn,
        dewi,
        &[("name", "Dewi Kusuma"), ("nik", "3174050101010001")],
        None,
        "2025-02-01T00:00:00Z",
    )
    .unwrap();
    assert!(listed(&admin.get("/admin/participants?q=Lestari")).is_empty());
    assert!(listed(&admin.get("/admin/participants?q=220877")).is_empty());
    assert_eq!(listed(&admin.get("/admin/participants?q=kusum")), ["Dewi"]);
    search_index_is_consistent(&site);
}

#[test]
fn the_timeline_shows_which_import_set_which_value_and_search_finds_the_participant() {
    let site = Site::start("");
    site.user("admin", Role::Admin, None);
    let mut admin = site.login("admin");
    let imports = admin.get("/admin/imports");
    let action = Regex::new(r#"action="(/admin/imports\?csrf=[^"]+)""#)
        .unwrap()
        .captures(&imports.body)
        .map(|c| c[1].to_string())
        .expect("the upload form carries the CSRF token in its action");
    let upload = |admin: &mut Client, name: &str, csv: &str| {
        let (kind, body) = multipart(name, csv.as_bytes());
        let reply = admin.send("POST", &action, Some(&kind), &body);
        assert_eq!(reply.status, 303, "{}", reply.body);
    };
    upload(
        &mut admin,
        "roster-bekasi.csv",
        "Nama,No HP,Serikat,Kohort\nSiti Aminah,081234500001,SP Garmen,2025-A\n\
         Budi Hartono,081234500002,SP Logam,2025-B\n",
    );
    // A newer version of the same roster: Siti changed union, her cohort cell was emptied.
    upload(
        &mut admin,
        "roster-bekasi.csv",
        "Nama,No HP,Serikat,Kohort\nSiti Aminah,081234500001,SP Baja,\n\
         Budi Hartono,081234500002,SP Logam,2025-B\n",
    );
    // Another file disagreeing about Siti's union is reported, not applied.
    upload(
        &mut admin,
        "roster-federasi.csv",
        "Nama,No HP,Serikat\nSiti Aminah,081234500001,SP Kimia\n",
    );

    // Search by a name fragment in another case, by the phone as staff type it, with a filter.
    let found = admin.get("/admin/participants?q=ITI+ami");
    assert_eq!(found.status, 200);
    assert!(found.body.contains("Siti Aminah") && !found.body.contains("Budi"));
    let by_phone = admin.get("/admin/participants?q=0812345000");
    assert!(by_phone.body.contains("Siti Aminah") && by_phone.body.contains("Budi Hartono"));
    let by_cohort = admin.get("/admin/participants?q=0812345000&cohort=2025-B");
    assert!(!by_cohort.body.contains("Siti Aminah") && by_cohort.body.contains("Budi Hartono"));
    let siti: i64 = Regex::new(r#"href="/admin/participants/(\d+)">\d+</a></td><td>Siti"#)
        .unwrap()
        .captures(&found.body)
        .map(|c| c[1].parse().unwrap())
        .expect("Siti is linked");

    let page = admin.get(&format!("/admin/participants/{siti}"));
    assert_eq!(page.status, 200);
    let history: Vec<String> = Regex::new(r"<li>[^<]* · (\w+) = ([^<]*) · ([^<]*)</li>")
        .unwrap()
        .captures_iter(&page.body)
        .map(|c| format!("{} = {} · {}", &c[1], &c[2], &c[3]))
        .collect();
    let union: Vec<&String> = history.iter().filter(|h| h.starts_with("union")).collect();
    assert_eq!(
        union,
        [
            "union = SP Garmen · roster-bekasi.csv",
            "union = SP Baja · roster-bekasi.csv"
        ],
        "{history:?}"
    );
    let cohort: Vec<&String> = history.iter().filter(|h| h.starts_with("cohort")).collect();
    assert_eq!(
        cohort,
        [
            "cohort = 2025-A · roster-bekasi.csv",
            "cohort = — · roster-bekasi.csv"
        ],
        "{history:?}"
    );
    assert!(
        !history.iter().any(|h| h.contains("SP Kimia")),
        "{history:?}"
    );
    // The current values: the union from the roster's newer version, no cohort.
    assert!(
        page.body
            .contains("<td>union</td><td>SP Baja</td><td>roster-bekasi.csv · "),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<td>cohort</td>"), "{}", page.body);
}

/// The participants whose name holds `piece` as the gram index (migration 0010) lists them,
/// and as `LIKE` finds them by reading every row: the two must agree.
fn gram_index_agrees_with_like(site: &Site, piece: &str) {
    let conn = site.conn();
    let token: String = piece
        .to_ascii_lowercase()
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect();
    let indexed: Vec<i64> = conn
        .prepare(
            "SELECT rowid FROM participant_search_grams WHERE participant_search_grams MATCH ?1
             ORDER BY rowid",
        )
        .unwrap()
        .query_map([format!("\"{token}\"")], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let escaped = piece
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let scanned: Vec<i64> = conn
        .prepare(
            "SELECT participant_id FROM participant_search
             WHERE name LIKE '%' || ?1 || '%' ESCAPE '\\' ORDER BY participant_id",
        )
        .unwrap()
        .query_map([escaped], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(indexed, scanned, "participants holding {piece:?}");
}

#[test]
fn one_and_two_character_fragments_find_exactly_the_names_holding_them() {
    let site = Site::start("");
    let zul = site.participant(
        "Zulkifli O'Neil",
        "6281299988877",
        "3201014506899911",
        "SP Logam",
    );
    let nono = site.participant(
        "Ñoño 50%_x",
        "6281234599912",
        "3201014506899912",
        "SP Garmen",
    );
    // Enough people holding "ak" for two pages of 50.
    let mut anak = Vec::new();
    for n in 0..53 {
        anak.push(site.participant(
            &format!("Anak Peserta {n}"),
            &format!("62812345{n:05}"),
            &format!("32010145068{n:05}"),
            if n % 2 == 0 { "SP Garmen" } else { "SP Logam" },
        ));
    }
    site.user("admin", Role::Admin, None);
    site.user(
        "officer",
        Role::FieldOfficer,
        Some(Scope::new("union", "SP Logam").unwrap()),
    );
    let mut admin = site.login("admin");
    let mut officer = site.login("officer");
    let ids = |reply: &Reply| -> Vec<i64> {
        assert_eq!(reply.status, 200, "{}", reply.body);
        Regex::new(r#"href="/admin/participants/(\d+)""#)
            .unwrap()
            .captures_iter(&reply.body)
            .map(|c| c[1].parse().unwrap())
            .collect()
    };

    // One character, found in any ASCII case, as LIKE does; a letter nobody has finds nobody.
    assert_eq!(ids(&admin.get("/admin/participants?q=z")), [zul]);
    assert_eq!(ids(&admin.get("/admin/participants?q=Z")), [zul]);
    assert!(ids(&admin.get("/admin/participants?q=q")).is_empty());
    // Two characters: inside a word, across a word's end, with an apostrophe.
    assert_eq!(ids(&admin.get("/admin/participants?q=iF")), [zul]);
    assert_eq!(ids(&admin.get("/admin/participants?q=%27N")), [zul]);
    assert!(ids(&admin.get("/admin/participants?q=qx")).is_empty());
    // Wildcards are text; a letter outside ASCII is matched as written.
    assert_eq!(ids(&admin.get("/admin/participants?q=%25_")), [nono]);
    assert!(ids(&admin.get("/admin/participants?q=_z")).is_empty());
    assert_eq!(ids(&admin.get("/admin/participants?q=%C3%91")), [nono]);
    assert_eq!(ids(&admin.get("/admin/participants?q=o%C3%B1")), [nono]);
    assert!(ids(&admin.get("/admin/participants?q=O%C3%91")).is_empty());

    // A common piece: pages of 50 in id order, and the union filter and the officer's scope on
    // the people the index lists.
    let first = admin.get("/admin/participants?q=ak");
    assert_eq!(ids(&first), anak[..50]);
    assert!(first.body.contains("page=2"), "a link to the next page");
    assert_eq!(
        ids(&admin.get("/admin/participants?q=ak&page=2")),
        anak[50..]
    );
    let logam: Vec<i64> = anak.iter().copied().skip(1).step_by(2).collect();
    assert_eq!(
        ids(&admin.get("/admin/participants?q=AK&union=SP+Logam")),
        logam
    );
    assert_eq!(ids(&officer.get("/admin/participants?q=ak")), logam);
    assert!(ids(&officer.get("/admin/participants?q=%C3%91")).is_empty());
    assert_eq!(ids(&officer.get("/admin/participants?q=z")), [zul]);
    assert!(ids(&admin.get("/admin/participants?q=z&union=SP+Garmen")).is_empty());
    // Digits of one or two characters are still looked for in phones and NIKs.
    assert_eq!(ids(&admin.get("/admin/participants?q=87")), [zul]);
    assert_eq!(
        ids(&admin.get("/admin/participants?q=87&union=SP+Logam")),
        [zul]
    );
    assert!(ids(&admin.get("/admin/participants?q=87&union=SP+Garmen")).is_empty());

    // The index follows the names: a renamed participant is found by the new name only, an
    // erased one not at all.
    let conn = site.conn();
    pantau::participants::attributes::set_values(
        &conn,
        zul,
        &[("name", "Yusuf Hadi")],
        None,
        "2025-02-01T00:00:00Z",
    )
    .unwrap();
    assert!(ids(&admin.get("/admin/participants?q=z")).is_empty());
    assert_eq!(ids(&admin.get("/admin/participants?q=yu")), [zul]);
    let erase = admin.get(&format!("/admin/participants/{nono}"));
    let erased = admin.post(
        &format!("/admin/participants/{nono}/erase"),
        &[("csrf", &erase.csrf())],
    );
    assert_eq!(erased.status, 303, "{}", erased.body);
    assert!(ids(&admin.get("/admin/participants?q=%C3%91")).is_empty());

    // Every one- and two-character piece of every name, and pieces nobody has.
    let names: Vec<String> = conn
        .prepare("SELECT name FROM participant_search WHERE name IS NOT NULL")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut pieces = std::collections::BTreeSet::new();
    for name in &names {
        let chars: Vec<char> = name.chars().collect();
        for (i, c) in chars.iter().enumerate() {
            pieces.insert(c.to_string());
            pieces.insert(c.to_uppercase().to_string());
            if let Some(next) = chars.get(i + 1) {
                pieces.insert(format!("{c}{next}"));
                pieces.insert(format!("{c}{next}").to_uppercase());
            }
        }
    }
    pieces.extend(["q", "qx", "Ñ", "ñ", "%", "_", "\\"].map(String::from));
    for piece in &pieces {
        gram_index_agrees_with_like(&site, piece);
    }
    search_index_is_consistent(&site);
}
