//! The field officers' call list on a small database: who is on it, in which order and why; the
//! WhatsApp link's encoding; the workbook read back with calamine; and `pantau calllist`
//! through the real binary.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use calamine::{Data, Reader, Xlsx, open_workbook};
use chrono::{DateTime, TimeDelta, Utc};
use pantau::config::Config;
use pantau::invitations::{invitation_message, rfc3339};
use pantau::outreach::{CallListRow, call_list, write_call_list};
use rusqlite::{Connection, params};

const FORMULA_NAME: &str = "=HYPERLINK(\"http://evil.example\",\"klik\")";

/// A programme folder with a config and a database of six participants, invitations issued
/// relative to `now`.
struct Programme {
    dir: tempfile::TempDir,
    config: Config,
}

impl Programme {
    fn new(now: DateTime<Utc>) -> Programme {
        let dir = tempfile::tempdir().unwrap();
        let config_path = dir.path().join("pantau.toml");
        std::fs::write(
            &config_path,
            "[programme]\nname = \"Promise II\"\n\n[server]\n\
             public_base_url = \"https://survei.example.org\"\n",
        )
        .unwrap();
        let config = Config::load(Some(&config_path)).unwrap();
        let conn = pantau::db::open(&config.database()).unwrap();
        fill(&conn, now);
        Programme { dir, config }
    }

    fn config_path(&self) -> PathBuf {
        self.dir.path().join("pantau.toml")
    }

    fn conn(&self) -> Connection {
        pantau::db::open(&self.config.database()).unwrap()
    }
}

/// A participant: id, key, whether erased, roster attributes.
type Person = (
    i64,
    &'static str,
    bool,
    &'static [(&'static str, &'static str)],
);

fn fill(conn: &Connection, now: DateTime<Utc>) {
    let stamp = rfc3339(now);
    for wave in ["baseline", "m3"] {
        conn.execute(
            "INSERT INTO waves (name, form_file, updated_at) VALUES (?1, 'f.xlsx', ?2)",
            params![wave, stamp],
        )
        .unwrap();
    }
    let people: [Person; 7] = [
        (
            1,
            "id:P001",
            false,
            &[
                ("name", "Siti Aminah"),
                ("phone", "6281234567001"),
                ("birth_date", "1990-05-01"),
                ("attended_1", "1"),
                ("attended_2", "1"),
                ("attended_3", "1"),
            ],
        ),
        (
            2,
            "id:P002",
            false,
            &[("name", "Budi Santoso"), ("phone", "6281234567002")],
        ),
        (
            3,
            "id:P003",
            false,
            &[
                ("name", FORMULA_NAME),
                ("phone", "6281234567003"),
                ("birth_date", "1980-01-01"),
                ("attended_1", "1"),
                ("attended_2", "0"),
            ],
        ),
        (4, "id:P004", false, &[("name", "Dewi"), ("age", "33")]),
        (5, "id:P005", false, &[("name", "Answered Already")]),
        (6, "id:P006", true, &[("name", "Erased Person")]),
        (7, "id:P007", false, &[("name", "Window Closed")]),
    ];
    for (id, key, erased, attributes) in people {
        conn.execute(
            "INSERT INTO participants (id, participant_key, pseudonym, created_at, erased_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, key, format!("ps{id}"), stamp, erased.then_some(&stamp)],
        )
        .unwrap();
        for (name, value) in attributes {
            pantau::participants::attributes::set_values(conn, id, &[(name, value)], None, &stamp)
                .unwrap();
        }
    }
    // participant, wave, status, issued days ago, closes in days
    let invitations = [
        (1, "baseline", "submitted", 100, -70),
        (1, "m3", "sent", 10, 20),
        (2, "baseline", "expired", 100, -70),
        (2, "m3", "opened", 5, 25),
        (3, "m3", "issued", 3, 27),
        (4, "baseline", "issued", 20, 10),
        (5, "m3", "submitted", 3, 27),
        (6, "m3", "issued", 3, 27),
        (7, "m3", "sent", 40, -10),
    ];
    for (participant, wave, status, ago, closes_in) in invitations {
        conn.execute(
            "INSERT INTO invitations
                 (participant_id, wave, token, status, issued_at, opens_at, closes_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)",
            params![
                participant,
                wave,
                format!("tok{participant}{wave}"),
                status,
                rfc3339(now - TimeDelta::days(ago)),
                rfc3339(now + TimeDelta::days(closes_in)),
            ],
        )
        .unwrap();
    }
    // Budi's m3: the invitation (step 0) by email and WhatsApp, then two reminders.
    let budi_m3: i64 = conn
        .query_row(
            "SELECT id FROM invitations WHERE participant_id = 2 AND wave = 'm3'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    for (channel, step) in [("email", 0), ("whatsapp", 0), ("email", 1), ("whatsapp", 2)] {
        conn.execute(
            "INSERT INTO reminders (invitation_id, channel, step, sent_at) VALUES (?1, ?2, ?3, ?4)",
            params![budi_m3, channel, step, stamp],
        )
        .unwrap();
    }
}

fn now() -> DateTime<Utc> {
    // 10:00 in Jakarta.
    DateTime::parse_from_rfc3339("2026-11-29T03:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn names(rows: &[CallListRow]) -> Vec<&str> {
    rows.iter().map(|row| row.name.as_str()).collect()
}

#[test]
fn open_invitations_are_listed_most_at_risk_first_with_reasons() {
    let programme = Programme::new(now());
    let rows = call_list(&programme.conn(), &programme.config, None, now()).unwrap();

    // Budi: no baseline answer (40), 2 reminders (10), 5 days (5) = 55. The formula-named
    // participant: 46 years old (10), a missed session (10), 3 days (3) = 23. Dewi: 20 days.
    // Siti: answered the baseline, attended everything, 10 days.
    assert_eq!(
        names(&rows),
        ["Budi Santoso", FORMULA_NAME, "Dewi", "Siti Aminah"]
    );
    let scores: Vec<u32> = rows.iter().map(|row| row.risk).collect();
    assert_eq!(scores, [55, 23, 20, 10]);
    assert_eq!(
        rows[0].why,
        "tidak menjawab survei baseline; 2 pengingat belum dijawab; diundang 5 hari lalu"
    );
    assert_eq!(
        rows[1].why,
        "absen 1 sesi pelatihan; usia 46 tahun; diundang 3 hari lalu"
    );
    assert_eq!(rows[3].why, "diundang 10 hari lalu");
    assert_eq!(rows[0].reminders_sent, 2);
    assert_eq!(rows[0].days_since_invited, 5);
    assert_eq!(rows[0].invited_on.to_string(), "2026-11-24");
    assert_eq!(rows[0].survey_link, "https://survei.example.org/s/tok2m3");
    assert_eq!(rows[2].wave, "baseline");
    assert_eq!(rows[2].phone, "");
    assert_eq!(rows[2].whatsapp_link, None);

    let m3 = call_list(&programme.conn(), &programme.config, Some("m3"), now()).unwrap();
    assert_eq!(names(&m3), ["Budi Santoso", FORMULA_NAME, "Siti Aminah"]);
}

/// Decodes RFC 3986 percent-encoding, for checking the link by its round trip.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn the_whatsapp_link_carries_the_invitation_percent_encoded() {
    let programme = Programme::new(now());
    let rows = call_list(&programme.conn(), &programme.config, Some("m3"), now()).unwrap();
    let budi = rows.iter().find(|row| row.name == "Budi Santoso").unwrap();
    let link = budi.whatsapp_link.as_deref().unwrap();
    let text = link
        .strip_prefix("https://wa.me/6281234567002?text=")
        .unwrap_or_else(|| panic!("{link}"));
    assert!(
        text.starts_with("Halo%20Budi%2C%20kami%20dari%20tim%20Promise%20II."),
        "{text}"
    );
    assert!(
        text.ends_with("https%3A%2F%2Fsurvei.example.org%2Fs%2Ftok2m3"),
        "{text}"
    );
    assert!(
        text.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)),
        "{text}"
    );
    let expected = invitation_message(
        "Budi",
        "Promise II",
        "https://survei.example.org/s/tok2m3",
        "id",
    );
    assert_eq!(percent_decode(text), expected);

    // A name that is a formula greets with its first word, encoded like any other text.
    let formula = rows.iter().find(|row| row.name == FORMULA_NAME).unwrap();
    let link = formula.whatsapp_link.as_deref().unwrap();
    assert!(
        link.contains(
            "?text=Halo%20%3DHYPERLINK%28%22http%3A%2F%2Fevil.example%22%2C%22klik%22%29%2C"
        ),
        "{link}"
    );
}

/// The rows of the first sheet as text, as a person reading the workbook sees them.
fn read_sheet(path: &Path, sheet: &str) -> Vec<Vec<Data>> {
    let mut workbook: Xlsx<_> = open_workbook(path).unwrap();
    let range = workbook.worksheet_range(sheet).unwrap();
    range.rows().map(<[Data]>::to_vec).collect()
}

fn sheet_xml(path: &Path) -> String {
    let file = std::fs::File::open(path).unwrap();
    let mut archive = zip::ZipArchive::new(file).unwrap();
    let mut xml = String::new();
    archive
        .by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    xml
}

#[test]
fn the_workbook_reads_back_in_order_with_links_and_no_formulas() {
    let programme = Programme::new(now());
    let rows = call_list(&programme.conn(), &programme.config, None, now()).unwrap();
    let path = programme.dir.path().join("call-list.xlsx");
    write_call_list(&rows, "id", &path).unwrap();

    let grid = read_sheet(&path, "Daftar telepon");
    assert_eq!(grid.len(), 5);
    let header: Vec<String> = grid[0].iter().map(ToString::to_string).collect();
    assert_eq!(
        header,
        [
            "Risiko",
            "Alasan",
            "Nama",
            "Telepon",
            "Gelombang",
            "Status",
            "Diundang",
            "Hari sejak diundang",
            "Pengingat terkirim",
            "Tautan survei",
            "WhatsApp",
            "Peserta"
        ]
    );
    let column =
        |col: usize| -> Vec<String> { grid[1..].iter().map(|r| r[col].to_string()).collect() };
    assert_eq!(
        column(2),
        ["Budi Santoso", FORMULA_NAME, "Dewi", "Siti Aminah"]
    );
    assert_eq!(column(0), ["55", "23", "20", "10"]);
    assert_eq!(column(11), ["id:P002", "id:P003", "id:P004", "id:P001"]);
    // The phone stays text (no 6.28E+12), the formula-looking name is a string cell.
    assert_eq!(grid[1][3], Data::String("6281234567002".into()));
    assert_eq!(grid[2][2], Data::String(FORMULA_NAME.into()));
    assert_eq!(grid[1][6], Data::String("2026-11-24".into()));
    assert_eq!(
        grid[1][9].to_string(),
        "https://survei.example.org/s/tok2m3"
    );
    assert_eq!(grid[1][10].to_string(), "Kirim WhatsApp");
    assert_eq!(
        grid[3][10],
        Data::Empty,
        "Dewi has no phone, so no WhatsApp link"
    );

    let mut workbook: Xlsx<_> = open_workbook(&path).unwrap();
    let formulas = workbook.worksheet_formula("Daftar telepon").unwrap();
    assert!(
        formulas.used_cells().all(|(_, _, f)| f.is_empty()),
        "no cell may hold a formula"
    );
    let links = workbook.hyperlinks_by_sheet_name("Daftar telepon").unwrap();
    let targets: Vec<(u32, u32, String)> = links
        .iter()
        .map(|l| {
            (
                l.range.start.0,
                l.range.start.1,
                l.target.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(targets.len(), 7, "{targets:?}");
    assert!(targets.contains(&(1, 10, rows[0].whatsapp_link.clone().unwrap())));
    assert!(targets.contains(&(4, 9, "https://survei.example.org/s/tok1m3".into())));

    let xml = sheet_xml(&path);
    assert!(xml.contains("<autoFilter ref=\"A1:L5\""), "{xml}");
    assert!(
        xml.contains("ySplit=\"1\"") && xml.contains("state=\"frozen\""),
        "{xml}"
    );

    // English headers and sheet name for an English-speaking office.
    write_call_list(&rows, "en", &path).unwrap();
    let grid = read_sheet(&path, "Call list");
    assert_eq!(grid[0][0].to_string(), "Risk");
    assert_eq!(grid[0][7].to_string(), "Days since invited");
    assert_eq!(grid[1][10].to_string(), "Send on WhatsApp");
}

fn pantau(programme: &Programme, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pantau"))
        .arg("--config")
        .arg(programme.config_path())
        .args(args)
        .env("PANTAU_LOG", "warn")
        .output()
        .unwrap()
}

#[test]
fn the_command_prints_json_writes_a_workbook_and_rejects_bad_arguments() {
    // The binary reads the real clock, so the invitations are dated from it.
    let programme = Programme::new(Utc::now());

    let output = pantau(&programme, &["calllist", "--json"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows: Vec<serde_json::Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let listed: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(
        listed,
        ["Budi Santoso", FORMULA_NAME, "Dewi", "Siti Aminah"]
    );
    assert_eq!(rows[0]["risk"], 55);
    assert_eq!(rows[0]["reminders_sent"], 2);
    assert_eq!(rows[0]["phone"], "6281234567002");
    assert!(
        rows[0]["whatsapp_link"]
            .as_str()
            .unwrap()
            .starts_with("https://wa.me/6281234567002?text=Halo%20Budi")
    );
    assert_eq!(rows[2]["whatsapp_link"], serde_json::Value::Null);

    let out = programme.dir.path().join("m3.xlsx");
    let output = pantau(
        &programme,
        &["calllist", "--wave", "m3", "--out", out.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(output.stdout.is_empty(), "{output:?}");
    let grid = read_sheet(&out, "Daftar telepon");
    let listed: Vec<String> = grid[1..].iter().map(|r| r[2].to_string()).collect();
    assert_eq!(listed, ["Budi Santoso", FORMULA_NAME, "Siti Aminah"]);

    let output = pantau(&programme, &["calllist", "--wave", "m4"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("there is no wave \"m4\"; the configured waves are baseline, m3, m6, m12"),
        "{stderr}"
    );

    let output = pantau(&programme, &["calllist", "--out", "list.csv"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--out list.csv"), "{stderr}");

    let missing = programme
        .dir
        .path()
        .join("no-such-folder")
        .join("list.xlsx");
    let output = pantau(
        &programme,
        &["calllist", "--out", missing.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot write workbook"), "{stderr}");
    assert!(stderr.contains("no-such-folder"), "{stderr}");

    // Text output, for a quick look in a terminal.
    let output = pantau(&programme, &["calllist"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.starts_with("risk\twhy\tname\tphone"), "{stdout}");
    assert_eq!(stdout.lines().count(), 5, "{stdout}");
}
