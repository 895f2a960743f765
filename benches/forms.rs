//! Benchmarks of the XLSForm engine on a 1,000-question form: loading and validating it, and
//! evaluating all relevance, constraints and calculations for one set of answers.
//!
//! Run with `cargo bench --bench forms`. Targets (issue 2): load + validate under 50 ms;
//! evaluation under 1 ms.

use std::collections::BTreeMap;
use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use pantau::form::{Evaluation, Form};
use rust_xlsxwriter::Workbook;

/// Questions in the generated form.
const QUESTIONS: usize = 1000;

/// A bilingual form of `QUESTIONS` rows in groups of 10 (every other group a field-list), a
/// mix of integer, text, select and calculate rows with relevance, constraints and calculations
/// that refer back to earlier answers, as a long real questionnaire does.
fn big_form() -> Vec<u8> {
    let mut workbook = Workbook::new();
    let survey = workbook.add_worksheet();
    survey.set_name("survey").unwrap();
    let headers = [
        "type",
        "name",
        "label::Indonesian (id)",
        "label::English (en)",
        "relevant",
        "constraint",
        "calculation",
        "required",
        "appearance",
    ];
    for (c, h) in headers.iter().enumerate() {
        survey.write_string(0, c as u16, *h).unwrap();
    }
    let mut row = 1u32;
    let mut write = |cells: [&str; 9]| {
        for (c, text) in cells.iter().enumerate().filter(|(_, t)| !t.is_empty()) {
            survey.write_string(row, c as u16, *text).unwrap();
        }
        row += 1;
    };
    for q in 0..QUESTIONS {
        if q % 10 == 0 {
            let appearance = if (q / 10) % 2 == 0 { "field-list" } else { "" };
            let relevant = if q >= 20 {
                format!("${{q{}}} != 99", q - 20)
            } else {
                String::new()
            };
            write([
                "begin_group",
                &format!("g{q}"),
                &format!("Bagian {q}"),
                &format!("Part {q}"),
                &relevant,
                "",
                "",
                "",
                appearance,
            ]);
        }
        let name = format!("q{q}");
        let label_id = format!("Pertanyaan {q} (sebelumnya ${{q{}}})", q.saturating_sub(1));
        let label_en = format!("Question {q}");
        let relevant = if q > 0 && q % 3 == 0 {
            format!("${{q{}}} >= 0 or ${{q{}}} = ''", q - 1, q - 1)
        } else {
            String::new()
        };
        match q % 4 {
            0 | 1 => write([
                "integer",
                &name,
                &label_id,
                &label_en,
                &relevant,
                ". >= 0 and . <= 100000000",
                "",
                "yes",
                "",
            ]),
            2 => write([
                "select_one yn",
                &name,
                &label_id,
                &label_en,
                &relevant,
                "",
                "",
                "",
                "",
            ]),
            _ => write([
                "calculate",
                &name,
                "",
                "",
                "",
                "",
                &format!(
                    "coalesce(${{q{}}}, 0) + coalesce(${{q{}}}, 0)",
                    q - 3,
                    q - 2
                ),
                "",
                "",
            ]),
        }
        if q % 10 == 9 {
            write(["end_group", "", "", "", "", "", "", "", ""]);
        }
    }
    let choices = workbook.add_worksheet();
    choices.set_name("choices").unwrap();
    for (r, cells) in [
        [
            "list_name",
            "name",
            "label::Indonesian (id)",
            "label::English (en)",
        ],
        ["yn", "yes", "Ya", "Yes"],
        ["yn", "no", "Tidak", "No"],
    ]
    .iter()
    .enumerate()
    {
        for (c, text) in cells.iter().enumerate() {
            choices.write_string(r as u32, c as u16, *text).unwrap();
        }
    }
    let settings = workbook.add_worksheet();
    settings.set_name("settings").unwrap();
    for (c, (h, v)) in [
        ("form_id", "big"),
        ("version", "1"),
        ("default_language", "Indonesian (id)"),
    ]
    .iter()
    .enumerate()
    {
        settings.write_string(0, c as u16, *h).unwrap();
        settings.write_string(1, c as u16, *v).unwrap();
    }
    workbook.save_to_buffer().unwrap()
}

/// Answers for every question: integers for integer rows, `yes` for selects.
fn answers(form: &Form) -> BTreeMap<String, String> {
    form.fields()
        .iter()
        .enumerate()
        .filter_map(|(i, field)| match field.kind.type_name() {
            "integer" => Some((field.name.clone(), (i * 1000).to_string())),
            "select_one" => Some((field.name.clone(), "yes".to_owned())),
            _ => None,
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let bytes = big_form();
    let form = Form::load_bytes("big.xlsx", &bytes).expect("the benchmark form is valid");
    assert!(form.question_count() >= 700, "{}", form.question_count());
    c.bench_function("form: load and validate 1,000 questions", |b| {
        b.iter(|| Form::load_bytes("big.xlsx", black_box(&bytes)).unwrap())
    });
    let answers = answers(&form);
    let prefill = BTreeMap::new();
    let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    c.bench_function(
        "form: evaluate relevance, calculations and constraints",
        |b| {
            b.iter(|| {
                let evaluation = Evaluation::new(&form, &answers, &prefill, "id", today);
                black_box(evaluation.outstanding())
            })
        },
    );
}

criterion_group!(forms, benches);
criterion_main!(forms);
