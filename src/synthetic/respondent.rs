//! Synthetic respondents: made-up but plausible answers to any form, for the demo programme and
//! the pipeline benchmarks.
//!
//! The answers are chosen the way a participant moves through the survey: field by field in the
//! form's order, only where the field is relevant given the answers so far, only among the
//! choices the form shows (choice filters applied), and re-drawn until the form's own
//! constraint accepts them. So whatever the form, the result is a response the survey itself
//! would have accepted. Fields of the shipped forms get answers shaped like the programme's
//! reality (most participants not working at baseline, more working at each follow-up, incomes
//! around the provincial minimum wage, a few "don't know"s); other fields get a value of their
//! type.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};

use super::Rng;
use crate::form::{Evaluation, FieldKind, Form};

/// Who is answering, as far as the answers depend on it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Persona {
    /// 0 for the baseline, then 1, 2, … for each follow-up: the later, the more are working.
    pub wave_index: usize,
    /// Monthly wage before the layoff, in Rupiah (the roster's last wage), if known.
    pub last_wage: Option<u64>,
    /// How well this participant does after the training, 0.0 to 1.0; keep it fixed across
    /// waves for one participant so that their answers tell one story.
    pub fortune: f64,
}

/// Answers to `form` by a participant like `persona`, with the server's `prefill` values,
/// on `today`. Deterministic for the same generator state.
pub fn answers(
    form: &Form,
    prefill: &BTreeMap<String, String>,
    persona: &Persona,
    rng: &mut Rng,
    today: NaiveDate,
) -> BTreeMap<String, String> {
    let mut answers: BTreeMap<String, String> = BTreeMap::new();
    for field in &form.fields {
        if !field.kind.takes_answer() {
            continue;
        }
        let evaluation = Evaluation::new(form, &answers, prefill, "id", today);
        if !evaluation.is_relevant(&field.name) || evaluation.is_read_only(&field.name) {
            continue;
        }
        let choices: Vec<String> = evaluation
            .choices(&field.name)
            .iter()
            .map(|choice| choice.name.to_string())
            .collect();
        let required = evaluation.is_required(&field.name);
        drop(evaluation);
        let mut accepted = false;
        for _attempt in 0..8 {
            let Some(value) = draw(
                &field.name,
                &field.kind,
                &choices,
                required,
                persona,
                rng,
                today,
            ) else {
                break;
            };
            answers.insert(field.name.clone(), value);
            let check = Evaluation::new(form, &answers, prefill, "id", today);
            if check.field_error(&field.name).is_none() {
                accepted = true;
                break;
            }
        }
        if !accepted {
            if required {
                // Keep the last draw: a form whose constraint nothing plausible meets still gets
                // an answer, and the survey's own validation is what a real participant meets.
                continue;
            }
            answers.remove(&field.name);
        }
    }
    // Only what the form keeps: relevant fields, calculations included.
    Evaluation::new(form, &answers, prefill, "id", today).record()
}

/// One candidate answer, or None to leave the field empty.
#[allow(clippy::too_many_arguments)]
fn draw(
    name: &str,
    kind: &FieldKind,
    choices: &[String],
    required: bool,
    persona: &Persona,
    rng: &mut Rng,
    today: NaiveDate,
) -> Option<String> {
    let working_chance =
        (0.35 + 0.15 * persona.wave_index as f64 + 0.3 * persona.fortune).min(0.92);
    let wage = persona.last_wage.unwrap_or(4_200_000) as f64;
    let rupiah = |rng: &mut Rng, centre: f64| -> String {
        // Amounts people report are round: to the nearest Rp 50.000.
        let spread = 0.6 + (rng.below(800) as f64) / 1000.0;
        let amount = (centre * spread / 50_000.0).round() * 50_000.0;
        format!("{}", amount.max(0.0) as u64)
    };
    let choice = |rng: &mut Rng, preferred: &[(&str, f64)]| -> Option<String> {
        if choices.is_empty() {
            return None;
        }
        let mut roll = (rng.below(10_000) as f64) / 10_000.0;
        for (name, weight) in preferred {
            if choices.iter().any(|c| c == name) {
                if roll < *weight {
                    return Some((*name).to_string());
                }
                roll -= weight;
            }
        }
        Some(rng.pick(choices).clone())
    };
    match name {
        "work_status" => {
            if !rng.chance(working_chance) {
                return Some("none".into());
            }
            choice(rng, &[("self", 0.45), ("wage", 0.35), ("both", 0.2)])
        }
        "pre_layoff_wage" => Some(rupiah(rng, wage)),
        "income_wage" => Some(rupiah(rng, wage * (0.8 + 0.3 * persona.fortune))),
        "income_resell" => Some(if rng.chance(0.08) {
            "0".into()
        } else {
            rupiah(rng, 600_000.0 + 2_400_000.0 * persona.fortune)
        }),
        "income_business" => Some(if rng.chance(0.5) {
            "0".into()
        } else {
            rupiah(rng, 900_000.0 + 2_000_000.0 * persona.fortune)
        }),
        "income_other" => Some(if rng.chance(0.7) {
            "0".into()
        } else {
            rupiah(rng, 400_000.0)
        }),
        "resell_sales" => Some(rupiah(rng, 2_000_000.0 + 8_000_000.0 * persona.fortune)),
        "resell_commission" => Some(rupiah(rng, 300_000.0 + 1_200_000.0 * persona.fortune)),
        "still_resell" => choice(rng, &[("yes", 0.3 + 0.5 * persona.fortune), ("no", 1.0)]),
        "income_confirm" => choice(rng, &[("yes", 0.97)]),
        "bpjs_registered" => choice(
            rng,
            &[
                ("yes", 0.3 + 0.1 * persona.wave_index as f64),
                ("dk", 0.12),
                ("no", 1.0),
            ],
        ),
        "bpjs_paid_last_month" => choice(rng, &[("yes", 0.6), ("dk", 0.1), ("no", 1.0)]),
        "uses_wa_business" => choice(rng, &[("yes", 0.25 + 0.5 * persona.fortune), ("no", 1.0)]),
        name if name.starts_with("wg_") => {
            // The Washington Group answers: most have no difficulty, a few a lot.
            choice(rng, &[("none", 0.82), ("some", 0.13), ("alot", 0.04)])
        }
        "layoff_date" => {
            let days = 60 + rng.below(600) as i64;
            Some(
                (today - Duration::days(days))
                    .format("%Y-%m-%d")
                    .to_string(),
            )
        }
        _ => match kind {
            FieldKind::SelectOne { .. } => choice(rng, &[]),
            FieldKind::SelectMultiple { .. } => {
                let usable: Vec<&String> = choices
                    .iter()
                    .filter(|c| !matches!(c.as_str(), "dk" | "none" | "other"))
                    .collect();
                if usable.is_empty() {
                    return choice(rng, &[]);
                }
                let mut picked: Vec<&str> = Vec::new();
                for _ in 0..=rng.below(2) {
                    let one = usable[rng.below(usable.len() as u64) as usize];
                    if !picked.contains(&one.as_str()) {
                        picked.push(one);
                    }
                }
                Some(picked.join(" "))
            }
            FieldKind::Integer => Some(format!("{}", rng.below(10))),
            FieldKind::Decimal => Some(format!("{}.{}", rng.below(10), rng.below(10))),
            FieldKind::Date => Some(
                (today - Duration::days(rng.below(365) as i64))
                    .format("%Y-%m-%d")
                    .to_string(),
            ),
            FieldKind::Acknowledge => Some("OK".into()),
            // Free text stays empty unless the form insists: participants rarely write.
            FieldKind::Text if required => Some(
                rng.pick(&[
                    "Modal usaha",
                    "Pelatihan lanjutan",
                    "Pendampingan",
                    "Lainnya",
                ])
                .to_string(),
            ),
            FieldKind::Text => None,
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped(name: &str) -> Form {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("forms")
            .join(name);
        Form::load_path(&path).expect("the shipped forms load")
    }

    fn persona(wave_index: usize, fortune: f64) -> Persona {
        Persona {
            wave_index,
            last_wage: Some(4_500_000),
            fortune,
        }
    }

    #[test]
    fn every_answer_passes_the_forms_own_checks() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let prefill = BTreeMap::from([("roster_first_name".to_string(), "Siti".to_string())]);
        for (file, wave_index) in [("baseline.xlsx", 0), ("followup.xlsx", 2)] {
            let form = shipped(file);
            let mut rng = Rng::new(7);
            for i in 0..40 {
                let given = answers(
                    &form,
                    &prefill,
                    &persona(wave_index, i as f64 / 40.0),
                    &mut rng,
                    today,
                );
                let evaluation = Evaluation::new(&form, &given, &prefill, "id", today);
                assert!(
                    evaluation.outstanding().is_empty(),
                    "{file}, respondent {i}: {:?} for {given:?}",
                    evaluation.outstanding()
                );
                assert!(given.contains_key("work_status"), "{file}: {given:?}");
            }
        }
    }

    #[test]
    fn more_are_working_at_later_waves() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let form = shipped("followup.xlsx");
        let prefill = BTreeMap::new();
        let working = |wave_index| {
            let mut rng = Rng::new(3);
            (0..200)
                .filter(|i| {
                    let given = answers(
                        &form,
                        &prefill,
                        &persona(wave_index, (*i % 10) as f64 / 10.0),
                        &mut rng,
                        today,
                    );
                    given.get("work_status").is_some_and(|s| s != "none")
                })
                .count()
        };
        let (early, late) = (working(1), working(3));
        assert!(
            late > early + 20,
            "working at wave 1: {early}, wave 3: {late}"
        );
    }

    #[test]
    fn same_seed_same_answers() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let form = shipped("baseline.xlsx");
        let prefill = BTreeMap::new();
        let one = answers(&form, &prefill, &persona(0, 0.5), &mut Rng::new(9), today);
        let two = answers(&form, &prefill, &persona(0, 0.5), &mut Rng::new(9), today);
        assert_eq!(one, two);
        assert!(one.contains_key("pre_layoff_wage"), "{one:?}");
    }
}
