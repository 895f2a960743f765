//! The XLSForm engine against forms written for KoboToolbox and ODK (`tests/data/forms/`) and
//! the shipped forms (`forms/`): each fixture's `*.expect.toml` says what loading must report
//! and, scenario by scenario, what ODK Collect makes of a set of answers. The format is described
//! at the top of `kobo_household.expect.toml`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use pantau::form::{DefaultValue, Evaluation, Form, Severity, check_path};
use toml::Value as Toml;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/forms")
}

/// A date after every date the fixtures compare with, so that `today()` constraints hold.
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()
}

fn strings(value: Option<&Toml>) -> Vec<String> {
    value
        .and_then(Toml::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn table(value: Option<&Toml>) -> BTreeMap<String, Toml> {
    value
        .and_then(Toml::as_table)
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

/// Compares as ODK does: numerically when both sides are numbers ("25" equals "25.0").
fn same_value(actual: &str, expected: &str) -> bool {
    match (actual.parse::<f64>(), expected.parse::<f64>()) {
        (Ok(a), Ok(b)) => (a - b).abs() < 1e-9,
        _ => actual == expected,
    }
}

fn load(path: &Path) -> Form {
    let (form, problems) = check_path(path);
    let errors: Vec<String> = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .map(ToString::to_string)
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    form.unwrap_or_else(|| panic!("{} did not load", path.display()))
}

/// Checks one expect file against its form and copies; returns the failures.
fn check_expectations(expect_path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(expect_path).unwrap();
    let expect: Toml = toml::from_str(&text).unwrap();
    let mut failures = Vec::new();
    let mut files = vec![expect["form"].as_str().unwrap().to_string()];
    files.extend(strings(expect.get("copies")));
    for file in files {
        let path = fixtures().join(&file);
        let form = load(&path);
        let mut fail = |message: String| failures.push(format!("{file}: {message}"));
        let settings = form.settings();
        for (key, actual) in [
            ("form_id", &settings.form_id),
            ("version", &settings.version),
            ("form_title", &settings.title),
        ] {
            if let Some(expected) = expect.get(key).and_then(Toml::as_str)
                && actual.as_deref() != Some(expected)
            {
                fail(format!("{key} is {actual:?}, expected {expected}"));
            }
        }
        if let Some(languages) = expect.get("languages") {
            let expected = strings(Some(languages));
            let actual: Vec<String> = form.languages().iter().map(|l| l.name.clone()).collect();
            let plain = expected.is_empty() && actual == ["default"];
            if !plain && actual != expected {
                fail(format!("languages {actual:?}, expected {expected:?}"));
            }
        }
        if let Some(expected) = expect.get("default_language").and_then(Toml::as_str)
            && form.default_language().name != expected
        {
            fail(format!("default language {}", form.default_language().name));
        }
        if expect.get("fields").is_some() {
            let actual: Vec<&str> = form.fields().iter().map(|f| f.name.as_str()).collect();
            if actual != strings(expect.get("fields")) {
                fail(format!("fields {actual:?}"));
            }
        }
        for name in strings(expect.get("metadata")) {
            let kind = form.field(&name).map(|f| f.kind.type_name());
            if kind != Some(name.as_str()) {
                fail(format!("{name} is {kind:?}, expected metadata"));
            }
        }
        for (group, path) in table(expect.get("groups")) {
            let Some(g) = form.group(&group) else {
                fail(format!("no group {group}"));
                continue;
            };
            let mut chain = Vec::new();
            let mut parent = g.parent;
            while let Some(p) = parent {
                chain.push(form.groups()[p].name.clone());
                parent = form.groups()[p].parent;
            }
            chain.reverse();
            if chain.join("/") != path.as_str().unwrap_or_default() {
                fail(format!("group {group} is inside {chain:?}"));
            }
        }
        for (name, appearance) in table(expect.get("appearance")) {
            let actual = form
                .field(&name)
                .map(|f| f.appearance.tokens().join(" "))
                .or_else(|| form.group(&name).map(|g| g.appearance.tokens().join(" ")));
            if actual.as_deref() != appearance.as_str() {
                fail(format!("appearance of {name} is {actual:?}"));
            }
        }
        let empty = BTreeMap::new();
        let blank = Evaluation::new(&form, &empty, &empty, "", today());
        for name in strings(expect.get("read_only")) {
            if !blank.is_read_only(&name) {
                fail(format!("{name} is not read-only"));
            }
        }
        for (name, value) in table(expect.get("defaults")) {
            // A default is the field's value before any answer; a field that does not apply in a
            // blank form reads as empty in expressions, so its declared default is compared.
            let actual = match form.field(&name).and_then(|f| f.default.as_ref()) {
                Some(DefaultValue::Literal(text)) if !blank.is_relevant(&name) => text.clone(),
                _ => blank.text(&name),
            };
            if !same_value(&actual, value.as_str().unwrap_or_default()) {
                fail(format!("default of {name} is {actual:?}, expected {value}"));
            }
        }
        let scenarios = expect
            .get("scenario")
            .and_then(Toml::as_array)
            .cloned()
            .unwrap_or_default();
        for scenario in &scenarios {
            let title = scenario["name"].as_str().unwrap_or_default();
            let answers: BTreeMap<String, String> = table(scenario.get("answers"))
                .into_iter()
                .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string()))
                .collect();
            let ev = Evaluation::new(&form, &answers, &empty, "", today());
            let mut fail = |message: String| failures.push(format!("{file}: {title}: {message}"));
            for name in strings(scenario.get("relevant")) {
                if !ev.is_relevant(&name) {
                    fail(format!("{name} should be relevant"));
                }
            }
            for name in strings(scenario.get("not_relevant")) {
                if ev.is_relevant(&name) {
                    fail(format!("{name} should not be relevant"));
                }
            }
            for (name, value) in table(scenario.get("values")) {
                let actual = ev.text(&name);
                if !same_value(&actual, value.as_str().unwrap_or_default()) {
                    fail(format!("{name} is {actual:?}, expected {value}"));
                }
            }
            for name in strings(scenario.get("constraint_fail")) {
                if ev.constraint_holds(&name) {
                    fail(format!("the constraint of {name} should fail"));
                }
            }
            for name in strings(scenario.get("constraint_ok")) {
                if !ev.constraint_holds(&name) {
                    fail(format!("the constraint of {name} should hold"));
                }
            }
            for name in strings(scenario.get("required")) {
                if !ev.is_required(&name) {
                    fail(format!("{name} should be required"));
                }
            }
            for name in strings(scenario.get("not_required")) {
                if ev.is_required(&name) {
                    fail(format!("{name} should not be required"));
                }
            }
            for (name, expected) in table(scenario.get("choices")) {
                let actual: Vec<String> = ev
                    .choices(&name)
                    .iter()
                    .map(|c| c.name.to_string())
                    .collect();
                if actual != strings(Some(&expected)) {
                    fail(format!("choices of {name} are {actual:?}"));
                }
            }
            for (language, labels) in table(scenario.get("labels")) {
                let ev = Evaluation::new(&form, &answers, &empty, &language, today());
                for (name, expected) in table(Some(&labels)) {
                    let actual = ev.label(&name);
                    if actual != expected.as_str().unwrap_or_default() {
                        fail(format!("label of {name} in {language} is {actual:?}"));
                    }
                }
            }
        }
    }
    failures
}

#[test]
fn kobo_and_odk_forms_behave_as_in_odk_collect() {
    let mut expect_files: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".expect.toml"))
        .collect();
    expect_files.sort();
    assert!(
        !expect_files.is_empty(),
        "no fixtures in {}",
        fixtures().display()
    );
    let failures: Vec<String> = expect_files
        .iter()
        .flat_map(|p| check_expectations(p))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn shipped_forms_load_without_problems() {
    let forms = Path::new(env!("CARGO_MANIFEST_DIR")).join("forms");
    for name in ["baseline.xlsx", "followup.xlsx"] {
        let (form, problems) = check_path(&forms.join(name));
        let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(listed.is_empty(), "{}", listed.join("\n"));
        let form = form.unwrap();
        assert_eq!(form.default_language().code.as_deref(), Some("id"));
        assert!(
            form.languages()
                .iter()
                .any(|l| l.code.as_deref() == Some("en"))
        );
    }
}
