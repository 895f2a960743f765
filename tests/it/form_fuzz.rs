//! Fuzzing the form loader and runtime: thousands of random survey and choices sheets (random
//! types, names, expressions, missing cells, groups, languages), written with rust_xlsxwriter and
//! loaded. Nothing may panic; a form that loads is then evaluated with random answers, every
//! screen validated and navigated. A few hundred byte-level corruptions of a valid workbook go
//! through the reader too. The generator is seeded, so a failure is reproducible.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use pantau::form::{Evaluation, check_bytes};
use rust_xlsxwriter::Workbook;

/// xorshift64*: small, seeded, good enough to pick from lists.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const TYPES: &[&str] = &[
    "text",
    "integer",
    "decimal",
    "date",
    "note",
    "calculate",
    "acknowledge",
    "hidden",
    "select_one yn",
    "select_multiple fruit",
    "select_one prov",
    "select_one dist",
    "select_one missing",
    "select one yn",
    "begin group",
    "end group",
    "begin_group",
    "end_group",
    "begin repeat",
    "end repeat",
    "geopoint",
    "start",
    "end",
    "today",
    "deviceid",
    "textt",
    "",
    "select_one",
    "range",
    "integer extra",
    "select_multiple yn or_other",
];
const NAMES: &[&str] = &[
    "a",
    "b",
    "c",
    "age",
    "income",
    "prov",
    "dist",
    "fruit",
    "x1",
    "roster_first_name",
    "previous_income",
    "g1",
    "g2",
    "1bad",
    "bad name",
    "",
    "__choice__.x",
    "a",
    "ÿ_ünïcode",
];
const ATOMS: &[&str] = &[
    "${a}",
    "${b}",
    "${c}",
    "${age}",
    "${income}",
    "${prov}",
    "${zz}",
    ".",
    "1",
    "2.5",
    "'yes'",
    "''",
    "today()",
    "true()",
    "selected(${fruit}, 'apple')",
    "count-selected(${fruit})",
    "string-length(${a})",
    "if(${age} > 1, 1, 0)",
    "coalesce(${a}, 'x')",
    "province",
    "name",
    "regex(., '^[0-9]+$')",
    "date('2024-01-01')",
    "foo(1)",
    "${",
    "(",
    ")",
    "'unterminated",
    "concat(${a}, ${b})",
    "int(${income} div 3)",
    "round(${income}, 2)",
    "not(${b} = '')",
];
const OPERATORS: &[&str] = &[
    " = ", " != ", " < ", " >= ", " and ", " or ", " + ", " - ", " * ", " div ", " mod ", " ", "==",
];
const HEADERS: &[&str] = &[
    "relevant",
    "constraint",
    "calculation",
    "required",
    "default",
    "choice_filter",
    "read_only",
    "appearance",
    "hint",
    "label::English (en)",
    "label::Indonesian (id)",
    "required_message",
    "constraint_message::English (en)",
    "media::image",
    "$kuid",
    "requried",
    "label",
];

fn expression(rng: &mut Rng) -> String {
    let mut out = rng.pick(ATOMS).to_string();
    for _ in 0..rng.below(4) {
        out.push_str(rng.pick(OPERATORS));
        out.push_str(rng.pick(ATOMS));
    }
    if rng.chance(10) {
        out = format!("({out})");
    }
    out
}

fn cell(rng: &mut Rng, header: &str) -> String {
    if rng.chance(45) {
        return String::new();
    }
    match header {
        "required" | "read_only" => rng
            .pick(&["yes", "no", "TRUE", "1", "false()", "${a} = 'x'", "maybe"])
            .to_string(),
        "appearance" => rng
            .pick(&["field-list", "minimal", "numbers", "likert", "multiline w2"])
            .to_string(),
        "default" => rng
            .pick(&[
                "5",
                "lima",
                "2024-01-01",
                "yes",
                "apple banana",
                "today()",
                "${a}",
            ])
            .to_string(),
        h if h.starts_with("label") || h.starts_with("hint") || h.contains("message") => {
            let mut text = rng
                .pick(&[
                    "Umur",
                    "Age ${age}",
                    "Halo ${roster_first_name}",
                    "${zz}",
                    "${",
                    "Income Rp ${income}",
                ])
                .to_string();
            if rng.chance(5) {
                text = "x".repeat(rng.below(5000));
            }
            text
        }
        "media::image" | "$kuid" => rng.pick(&["pic.jpg", "k1"]).to_string(),
        _ => expression(rng),
    }
}

fn random_workbook(rng: &mut Rng) -> Vec<u8> {
    let mut workbook = Workbook::new();
    let survey = workbook.add_worksheet();
    survey
        .set_name(if rng.chance(90) { "survey" } else { "Survey" })
        .unwrap();
    let mut headers = vec!["type", "name", "label"];
    for _ in 0..rng.below(8) {
        let header = rng.pick(HEADERS);
        if rng.chance(90) && headers.contains(&header) {
            continue;
        }
        headers.push(header);
    }
    if rng.chance(3) {
        headers.remove(0);
    }
    for (c, header) in headers.iter().enumerate() {
        survey.write_string(0, c as u16, *header).unwrap();
    }
    let rows = rng.below(30);
    for r in 1..=rows {
        let row = if rng.chance(3) { r + rng.below(5) } else { r };
        for (c, header) in headers.iter().enumerate() {
            let value = match *header {
                "type" => rng.pick(TYPES).to_string(),
                "name" => rng.pick(NAMES).to_string(),
                other => cell(rng, other),
            };
            if !value.is_empty() {
                survey.write_string(row as u32, c as u16, value).unwrap();
            }
        }
    }
    if rng.chance(85) {
        let choices = workbook.add_worksheet();
        choices.set_name("choices").unwrap();
        let headers = [
            "list_name",
            "name",
            "label",
            "province",
            "label::English (en)",
        ];
        let count = 1 + rng.below(5);
        for (c, h) in headers.iter().enumerate().take(count) {
            choices.write_string(0, c as u16, *h).unwrap();
        }
        for r in 1..=rng.below(15) {
            let cells = [
                rng.pick(&["yn", "fruit", "prov", "dist", "", "empty"]),
                rng.pick(&[
                    "yes",
                    "no",
                    "apple",
                    "banana",
                    "jb",
                    "bks",
                    "",
                    "green apple",
                    "yes",
                ]),
                rng.pick(&["Ya", "Tidak", "", "${a}"]),
                rng.pick(&["jb", "", "dki"]),
                rng.pick(&["Yes", ""]),
            ];
            for (c, value) in cells.iter().enumerate().take(count) {
                if !value.is_empty() {
                    choices.write_string(r as u32, c as u16, *value).unwrap();
                }
            }
        }
    }
    if rng.chance(30) {
        let settings = workbook.add_worksheet();
        settings.set_name("settings").unwrap();
        settings.write_string(0, 0, "default_language").unwrap();
        settings
            .write_string(
                1,
                0,
                rng.pick(&["English (en)", "Indonesian (id)", "fr", ""]),
            )
            .unwrap();
    }
    workbook.save_to_buffer().unwrap()
}

fn exercise(form: &pantau::form::Form, rng: &mut Rng) {
    let today = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let mut answers = BTreeMap::new();
    for field in form.fields() {
        if rng.chance(60) {
            let value = rng.pick(&[
                "",
                "1",
                "2.5",
                "yes",
                "apple banana",
                "2024-02-30",
                "jb",
                "x y z",
                "-7",
            ]);
            answers.insert(field.name.clone(), value.to_string());
        }
    }
    let prefill = BTreeMap::from([("roster_first_name".to_string(), "Siti".to_string())]);
    for language in ["", "en", "id", "xx"] {
        let ev = Evaluation::new(form, &answers, &prefill, language, today);
        for field in form.fields() {
            let _ = (
                ev.label(&field.name),
                ev.hint(&field.name),
                ev.display(&field.name),
            );
            let _ = (
                ev.choices(&field.name),
                ev.is_required(&field.name),
                ev.is_read_only(&field.name),
            );
            let _ = ev.field_error(&field.name);
        }
        let mut screen = ev.first_screen();
        let mut steps = 0;
        while let Some(s) = screen {
            let submitted: BTreeMap<String, String> = ev
                .screen_fields(s)
                .iter()
                .map(|f| {
                    (
                        f.name.clone(),
                        rng.pick(&["", "3", "yes", "apple", "abc"]).to_string(),
                    )
                })
                .collect();
            let _ = ev.validate_screen(s, &submitted);
            screen = ev.next_screen(s);
            steps += 1;
            assert!(
                steps <= form.screens().len(),
                "navigation must move forward"
            );
        }
        let _ = (
            ev.record(),
            ev.outstanding(),
            ev.prev_screen(form.screens().len()),
        );
    }
}

/// A form built to be valid (unique names, references only backwards, balanced groups), so that
/// the runtime half of the fuzz test has forms to run.
fn clean_workbook(rng: &mut Rng) -> Vec<u8> {
    const KINDS: &[&str] = &[
        "text",
        "integer",
        "decimal",
        "date",
        "note",
        "calculate",
        "acknowledge",
        "hidden",
        "select_one yn",
        "select_multiple fruit",
    ];
    let mut workbook = Workbook::new();
    let survey = workbook.add_worksheet();
    survey.set_name("survey").unwrap();
    let headers = [
        "type",
        "name",
        "label",
        "relevant",
        "constraint",
        "calculation",
        "required",
        "appearance",
        "default",
    ];
    for (c, h) in headers.iter().enumerate() {
        survey.write_string(0, c as u16, *h).unwrap();
    }
    let mut row = 1u32;
    let mut open_groups = 0;
    let mut defined: Vec<String> = Vec::new();
    for i in 0..1 + rng.below(40) {
        let reference = |rng: &mut Rng, defined: &[String]| -> String {
            if defined.is_empty() {
                "1".to_string()
            } else {
                format!("${{{}}}", defined[rng.below(defined.len())])
            }
        };
        if rng.chance(10) {
            let name = format!("g{i}");
            survey.write_string(row, 0, "begin group").unwrap();
            survey.write_string(row, 1, &name).unwrap();
            survey.write_string(row, 2, "Group").unwrap();
            if rng.chance(50) {
                let relevant = format!("{} != ''", reference(rng, &defined));
                survey.write_string(row, 3, relevant).unwrap();
            }
            if rng.chance(50) {
                survey.write_string(row, 7, "field-list").unwrap();
            }
            open_groups += 1;
            row += 1;
        }
        let kind = rng.pick(KINDS);
        let name = format!("f{i}");
        survey.write_string(row, 0, kind).unwrap();
        survey.write_string(row, 1, &name).unwrap();
        if !matches!(kind, "calculate" | "hidden") {
            survey
                .write_string(row, 2, format!("Question {i} ${{f0}}"))
                .unwrap();
        }
        if rng.chance(30) {
            let relevant = format!(
                "{} = 'yes' or {} > 2",
                reference(rng, &defined),
                reference(rng, &defined)
            );
            survey.write_string(row, 3, relevant).unwrap();
        }
        if rng.chance(30) && !matches!(kind, "note" | "calculate" | "hidden") {
            survey
                .write_string(row, 4, ". != 'x' and string-length(.) < 20")
                .unwrap();
        }
        if kind == "calculate" {
            let calculation = format!("coalesce({}, 0) + 1", reference(rng, &defined));
            survey.write_string(row, 5, calculation).unwrap();
        }
        if rng.chance(30) {
            survey
                .write_string(row, 6, rng.pick(&["yes", "${f0} = 'yes'"]))
                .unwrap();
        }
        if kind == "integer" && rng.chance(30) {
            survey.write_string(row, 8, "3").unwrap();
        }
        row += 1;
        defined.push(name);
        if open_groups > 0 && rng.chance(30) {
            survey.write_string(row, 0, "end group").unwrap();
            open_groups -= 1;
            row += 1;
        }
    }
    for _ in 0..open_groups {
        survey.write_string(row, 0, "end group").unwrap();
        row += 1;
    }
    let choices = workbook.add_worksheet();
    choices.set_name("choices").unwrap();
    let rows = [
        ["list_name", "name", "label"],
        ["yn", "yes", "Ya"],
        ["yn", "no", "Tidak"],
        ["fruit", "apple", "Apel"],
        ["fruit", "banana", "Pisang"],
    ];
    for (r, cells) in rows.iter().enumerate() {
        for (c, value) in cells.iter().enumerate() {
            choices.write_string(r as u32, c as u16, *value).unwrap();
        }
    }
    workbook.save_to_buffer().unwrap()
}

#[test]
fn random_forms_never_panic() {
    let mut rng = Rng(0x5EED_F0F0_1234_5678);
    let mut loaded = 0;
    for _ in 0..3000 {
        let bytes = if rng.chance(30) {
            clean_workbook(&mut rng)
        } else {
            random_workbook(&mut rng)
        };
        let (form, problems) = check_bytes("fuzz.xlsx", &bytes);
        for problem in &problems {
            let text = problem.to_string();
            assert!(
                !text.ends_with('.'),
                "problem ends with a full stop: {text}"
            );
        }
        if let Some(form) = form {
            loaded += 1;
            exercise(&form, &mut rng);
        }
    }
    // The generator must also produce valid forms, or the runtime half tests nothing.
    assert!(loaded > 50, "only {loaded} random forms loaded");
}

#[test]
fn corrupted_workbooks_never_panic() {
    let mut rng = Rng(0xC0FF_EE00_DEAD_BEEF);
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/forms");
    let mut originals = vec![("x.xlsx", random_workbook(&mut rng))];
    for name in ["odk_clinic.xlsx", "odk_clinic.xls", "odk_clinic.ods"] {
        if let Ok(bytes) = std::fs::read(fixtures.join(name)) {
            originals.push((name, bytes));
        }
    }
    for (name, valid) in &originals {
        for _ in 0..250 {
            let mut bytes = valid.clone();
            for _ in 0..1 + rng.below(8) {
                let at = rng.below(bytes.len());
                bytes[at] = rng.next() as u8;
            }
            if rng.chance(20) {
                bytes.truncate(rng.below(bytes.len()));
            }
            let name = if rng.chance(20) { "upload" } else { name };
            let _ = check_bytes(name, &bytes);
        }
    }
}
