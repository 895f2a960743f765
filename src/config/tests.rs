//! Unit tests for the configuration: defaults, the shipped example, and that every kind of
//! problem names its line and key.

use std::path::{Path, PathBuf};

use super::*;

fn origin() -> PathBuf {
    PathBuf::from("/srv/pantau/pantau.toml")
}

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml(text, &origin())
}

/// Asserts that `text` fails with exactly one problem, on `line`, at `key`, whose message
/// contains `needle`; and that the error's text shows the file and "line N".
#[track_caller]
fn check_problem(text: &str, line: usize, key: &str, needle: &str) {
    let err = parse(text).expect_err("the configuration should be rejected");
    let problems = err.problems();
    assert_eq!(problems.len(), 1, "one problem expected, got {problems:#?}");
    let problem = &problems[0];
    assert_eq!(problem.line, Some(line), "{problem:#?}");
    assert_eq!(problem.key.as_deref(), Some(key), "{problem:#?}");
    assert!(problem.message.contains(needle), "{problem:#?}");
    assert!(!problem.message.ends_with('.'), "{problem:#?}");
    let shown = err.to_string();
    assert!(shown.contains("/srv/pantau/pantau.toml"), "{shown}");
    assert!(shown.contains(&format!("line {line}")), "{shown}");
}

#[test]
fn an_empty_file_gives_the_defaults() {
    let config = parse("").unwrap();
    assert_eq!(config.programme.time_zone, chrono_tz::Asia::Jakarta);
    assert_eq!(config.programme.default_language, "id");
    assert_eq!(config.programme.languages, ["id", "en"]);
    assert_eq!(config.programme.retention_months, 36);
    assert_eq!(config.server.address, "127.0.0.1:8080");
    assert_eq!(config.reporting.suppression_threshold, 5);
    assert_eq!(config.smtp.host, None);
    assert_eq!(config.smtp.port(), 587);
    let waves: Vec<(&str, &str, Anchor, u32)> = config
        .waves
        .iter()
        .map(|w| (w.name.as_str(), w.form.as_str(), w.anchor, w.offset_months))
        .collect();
    assert_eq!(
        waves,
        [
            ("baseline", "baseline.xlsx", Anchor::Enrolment, 0),
            ("m3", "followup.xlsx", Anchor::TrainingEnd, 3),
            ("m6", "followup.xlsx", Anchor::TrainingEnd, 6),
            ("m12", "followup.xlsx", Anchor::TrainingEnd, 12),
        ]
    );
    assert!(
        config
            .waves
            .iter()
            .all(|w| w.window_days == 30 && w.reminder_days == [3, 7, 14])
    );
    assert!(
        config
            .reporting
            .disaggregations
            .contains(&"age40plus".to_string())
    );
    assert_eq!(config.schedules["job"], "0 0 2 * * *");
    let ids: Vec<&str> = config.indicators.iter().map(|i| i.id.as_str()).collect();
    for id in [
        "enrolled",
        "response_rate",
        "share_working",
        "share_at_least_ump",
        "bpjs_jkp",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
}

#[test]
fn the_example_file_parses_and_is_the_default() {
    // The file at the repository root is the one compiled in, byte for byte.
    let on_disk =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("pantau.example.toml"))
            .unwrap();
    assert_eq!(on_disk, EXAMPLE_TOML);
    let example = parse(EXAMPLE_TOML).unwrap();
    assert_eq!(example, parse("").unwrap());
    // Defaults have no file and resolve against the working directory.
    let defaults = Config::default();
    assert_eq!(defaults.file(), None);
    assert_eq!(defaults.waves, example.waves);
    assert_eq!(defaults.indicators, example.indicators);
    assert_eq!(defaults.base_dir(), std::env::current_dir().unwrap());
}

#[test]
fn a_missing_file_at_the_default_path_means_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::read(&dir.path().join(DEFAULT_FILE), false).unwrap();
    assert_eq!(config.file(), None);
    assert_eq!(config.waves, Config::default().waves);
    assert_eq!(config.database(), dir.path().join("pantau.db"));
}

#[test]
fn a_missing_file_named_explicitly_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.toml");
    let err = Config::load(Some(&path)).unwrap_err();
    assert!(matches!(err, ConfigError::Read { .. }));
    assert!(err.to_string().contains("typo.toml"), "{err}");
}

#[test]
fn a_file_is_read_and_its_directory_is_the_base() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pantau.toml");
    std::fs::write(&path, "[paths]\nreports = \"out/reports\"\n").unwrap();
    let config = Config::load(Some(&path)).unwrap();
    assert_eq!(config.file(), Some(path.as_path()));
    assert_eq!(config.base_dir(), dir.path());
    assert_eq!(config.reports_dir(), dir.path().join("out/reports"));
}

#[test]
fn relative_paths_resolve_against_the_config_directory() {
    let text = "[paths]\ndatabase = \"data/pantau.db\"\nforms = \"/opt/forms\"\n";
    let config = parse(text).unwrap();
    assert_eq!(config.base_dir(), Path::new("/srv/pantau"));
    assert_eq!(config.database(), Path::new("/srv/pantau/data/pantau.db"));
    assert_eq!(config.forms_dir(), Path::new("/opt/forms"));
    assert_eq!(config.inbox_dir(), Path::new("/srv/pantau/inbox"));
    assert_eq!(config.outbox_dir(), Path::new("/srv/pantau/outbox"));
    let m3 = config.wave("m3").unwrap();
    assert_eq!(config.wave_form(m3), Path::new("/opt/forms/followup.xlsx"));
}

#[test]
fn a_relative_config_path_gives_an_absolute_base() {
    let config = Config::from_toml("", Path::new("pantau.toml")).unwrap();
    assert!(config.base_dir().is_absolute());
    assert_eq!(
        config.database(),
        std::env::current_dir().unwrap().join("pantau.db")
    );
}

#[test]
fn tables_merge_with_the_defaults_and_lists_replace_them() {
    let text = r#"
[programme]
name = "Pilot Sukabumi"

[[waves]]
name = "m6"
form = "short.xlsx"
anchor = "training_end"
offset_months = 6
window_days = 21
"#;
    let config = parse(text).unwrap();
    assert_eq!(config.programme.name, "Pilot Sukabumi");
    assert_eq!(config.programme.country, "Indonesia");
    assert_eq!(config.waves.len(), 1);
    assert_eq!(config.waves[0].reminder_days, Vec::<u32>::new());
    assert_eq!(config.indicators, Config::default().indicators);
}

#[test]
fn an_unknown_key_names_key_and_line() {
    check_problem(
        "[programme]\nname = \"X\"\n\n[server]\ncolour = \"blue\"\n",
        5,
        "server.colour",
        "unknown field `colour`",
    );
}

#[test]
fn an_unknown_key_inside_a_wave_names_the_wave() {
    let text = r#"[[waves]]
name = "baseline"
form = "baseline.xlsx"
anchor = "enrolment"
window_days = 30

[[waves]]
name = "m3"
form = "followup.xlsx"
anchor = "training_end"
offset_days = 90
window_days = 30
"#;
    check_problem(
        text,
        11,
        "waves[2].offset_days",
        "unknown field `offset_days`",
    );
}

#[test]
fn an_unknown_section_names_its_line() {
    check_problem(
        "\n[serveur]\naddress = \"x\"\n",
        2,
        "serveur",
        "unknown field `serveur`",
    );
}

#[test]
fn a_wrong_type_names_key_and_line() {
    check_problem(
        "[server]\nmax_body_kb = \"big\"\n",
        2,
        "server.max_body_kb",
        "invalid type",
    );
    check_problem(
        "[programme]\nlanguages = \"id\"\n",
        2,
        "programme.languages",
        "invalid type",
    );
}

#[test]
fn an_unknown_enumeration_value_lists_the_choices() {
    check_problem("[smtp]\ntls = \"ssl\"\n", 2, "smtp.tls", "`starttls`");
}

#[test]
fn a_syntax_error_names_its_line() {
    let err = parse("[programme]\nname = \"unterminated\n").unwrap_err();
    assert_eq!(err.problems()[0].line, Some(2), "{err}");
    assert!(err.to_string().contains("line 2"), "{err}");
}

#[test]
fn a_bad_time_zone_names_key_and_line() {
    check_problem(
        "[programme]\ntime_zone = \"Asia/Jakartaa\"\n",
        2,
        "programme.time_zone",
        "unknown time zone `Asia/Jakartaa`",
    );
}

#[test]
fn a_password_in_the_file_is_rejected() {
    check_problem(
        "[smtp]\nhost = \"smtp.example.org\"\npassword = \"rahasia\"\n",
        3,
        "smtp.password",
        "PANTAU_SMTP_PASSWORD",
    );
    check_problem(
        "[server]\nsession_key = \"k\"\n",
        2,
        "server.session_key",
        "PANTAU_SESSION_KEY",
    );
}

#[test]
fn the_public_base_url_must_be_http() {
    check_problem(
        "[server]\npublic_base_url = \"survei.example.org\"\n",
        2,
        "server.public_base_url",
        "http or https",
    );
    let config = parse("[server]\npublic_base_url = \"https://survei.example.org/\"\n").unwrap();
    assert_eq!(config.server.public_base_url, "https://survei.example.org");
}

#[test]
fn duplicate_wave_names_are_rejected() {
    let text = r#"[[waves]]
name = "m3"
form = "followup.xlsx"
anchor = "training_end"
offset_months = 3
window_days = 30

[[waves]]
name = "m3"
form = "followup.xlsx"
anchor = "training_end"
offset_months = 6
window_days = 30
"#;
    check_problem(text, 9, "waves[2].name", "used twice (first on line 2)");
}

#[test]
fn a_wave_needs_a_window_and_reminders_inside_it() {
    let text = r#"[[waves]]
name = "baseline"
form = "baseline.xlsx"
anchor = "enrolment"
window_days = 0
"#;
    check_problem(text, 5, "waves[1].window_days", "at least 1 day");
    let text = r#"[[waves]]
name = "baseline"
form = "baseline.xlsx"
anchor = "enrolment"
window_days = 10
reminder_days = [3, 14]
"#;
    check_problem(text, 6, "waves[1].reminder_days", "between 1 and 9");
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = r#"
[programme]
default_language = "fr"

[[waves]]
name = "Baseline"
form = "../baseline.xlsx"
anchor = "enrolment"
window_days = 30
"#;
    let err = parse(text).unwrap_err();
    let lines: Vec<Option<usize>> = err.problems().iter().map(|p| p.line).collect();
    // The default language, the wave name and the form path.
    assert_eq!(lines, [Some(3), Some(6), Some(7)], "{err}");
    assert!(err.to_string().contains("problems"), "{err}");
}

#[test]
fn indicators_are_checked_against_their_kind_and_the_waves() {
    let text = r#"[[indicators]]
id = "working"
label = { id = "Bekerja", en = "Working" }
kind = "share"
wave = "m4"
value = "${income_total}"
"#;
    let err = parse(text).unwrap_err();
    let shown: Vec<String> = err.problems().iter().map(ToString::to_string).collect();
    assert_eq!(shown.len(), 3, "{shown:#?}");
    assert!(
        shown[0].starts_with("line 4, column 1, key `indicators[1].kind`"),
        "{shown:#?}"
    );
    assert!(shown[0].contains("needs `numerator`"), "{shown:#?}");
    assert!(
        shown[1].contains("`m4` is not a configured wave"),
        "{shown:#?}"
    );
    assert!(shown[2].contains("does not use `value`"), "{shown:#?}");
}

#[test]
fn an_indicator_format_defaults_by_kind() {
    let config = Config::default();
    let by_id = |id: &str| config.indicators.iter().find(|i| i.id == id).unwrap();
    assert_eq!(
        by_id("response_rate").display_format(),
        IndicatorFormat::Percent
    );
    assert_eq!(
        by_id("income_median").display_format(),
        IndicatorFormat::Rupiah
    );
    assert_eq!(by_id("retention").wave, WaveScope::EachFollowup);
    assert_eq!(by_id("enrolled").wave, WaveScope::Roster);
    assert_eq!(
        by_id("enrolled").label_in("en", "id"),
        "Participants enrolled"
    );
    assert_eq!(by_id("enrolled").label_in("jv", "id"), "Peserta terdaftar");
}

#[test]
fn recipients_must_name_a_schedule_and_a_language() {
    let text = r#"[[recipients]]
group = "donors"
emails = ["donor@example.org", "not an address"]
schedule = "quarterly"
workbook = "donor"
language = "en"
"#;
    let err = parse(text).unwrap_err();
    let shown: Vec<String> = err.problems().iter().map(ToString::to_string).collect();
    assert_eq!(shown.len(), 2, "{shown:#?}");
    assert!(
        shown[0].contains("line 3") && shown[0].contains("emails[2]"),
        "{shown:#?}"
    );
    assert!(
        shown[1].contains("line 4") && shown[1].contains("`quarterly`"),
        "{shown:#?}"
    );
    let ok = format!("[schedules]\nquarterly = \"0 0 7 1 1,4,7,10 *\"\n{text}");
    let ok = ok.replace(", \"not an address\"", "");
    assert_eq!(
        parse(&ok).unwrap().recipients[0].emails,
        ["donor@example.org"]
    );
}

#[test]
fn a_default_value_that_no_longer_fits_says_so() {
    // Dropping English breaks the default donor group, which the user never wrote.
    let err = parse("[programme]\nlanguages = [\"id\"]\n").unwrap_err();
    let problem = &err.problems()[0];
    assert_eq!(problem.line, None);
    assert_eq!(problem.key.as_deref(), Some("recipients[2].language"));
    assert!(problem.message.contains("built-in default"), "{problem:#?}");
    assert!(problem.message.contains("set `recipients`"), "{problem:#?}");
}

#[test]
fn roster_aliases_are_read() {
    let config = parse("[roster.aliases]\nphone = [\"No. WA Aktif\", \"Nomor HP/WA\"]\n").unwrap();
    assert_eq!(
        config.roster.aliases["phone"],
        ["No. WA Aktif", "Nomor HP/WA"]
    );
}

#[test]
fn secrets_are_never_shown() {
    let secrets = Secrets {
        smtp_password: Some("rahasia".into()),
        session_key: None,
    };
    let shown = format!("{secrets:?}");
    assert!(!shown.contains("rahasia"), "{shown}");
    assert!(
        shown.contains("<set>") && shown.contains("<unset>"),
        "{shown}"
    );
}

#[test]
fn trusted_proxies_are_addresses_or_ranges() {
    assert!(parse("").unwrap().server.trusted_proxies.is_empty());
    let config =
        parse("[server]\ntrusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\", \"::1\"]\n").unwrap();
    let shown: Vec<String> = config
        .server
        .trusted_proxies
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(shown, ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]);
    check_problem(
        "[server]\n\ntrusted_proxies = [\"10.0.0.0/8\", \"proxy.local\"]\n",
        3,
        "server.trusted_proxies",
        "`proxy.local` is not an IP address or range",
    );
    check_problem(
        "[server]\ntrusted_proxies = [\"10.0.0.0/33\"]\n",
        2,
        "server.trusted_proxies",
        "`10.0.0.0/33`",
    );
    check_problem(
        "[server]\ntrusted_proxies = \"10.0.0.1\"\n",
        2,
        "server.trusted_proxies",
        "",
    );
}
