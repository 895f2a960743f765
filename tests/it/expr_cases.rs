//! The expression language against the table of cases in `tests/data/expr_cases.txt`: every
//! operator and function, empty values, type coercion, precedence, dates, multiple selections and
//! parse errors. The file's header documents its format and the fixed answers used here.

use chrono::NaiveDate;
use pantau::expr::{Env, Value, parse};

const CASES: &str = include_str!("../data/expr_cases.txt");

/// The answers every case sees, as the header of the cases file lists them.
struct Fixture;

impl Env for Fixture {
    fn value(&self, name: &str) -> Value {
        let date = |y, m, d| Value::Date(NaiveDate::from_ymd_opt(y, m, d).unwrap());
        let text = |s: &str| Value::Str(s.to_string());
        match name {
            "age" => Value::Num(41.0),
            "income_wage" => Value::Num(2_500_000.0),
            "income_resell" => Value::Num(750_000.5),
            "ratio" => Value::Num(0.25),
            "zero" => Value::Num(0.0),
            "neg" => Value::Num(-7.0),
            "name" => text("Siti Aminah"),
            "nik" => text("3201234567890123"),
            "consent" => text("yes"),
            "apps" => text("whatsapp qris ewallet"),
            "one_app" => text("qris"),
            "numtext" => text("12"),
            "decimal_comma" => text("1,5"),
            "blank" => Value::empty(),
            "dob" => date(1984, 5, 17),
            "training_end" => date(2026, 1, 15),
            "yes_flag" => Value::Bool(true),
            "no_flag" => Value::Bool(false),
            "previous.income_total" => Value::Num(1_800_000.0),
            "income-other" => Value::Num(100_000.0),
            _ => Value::empty(),
        }
    }

    fn current(&self) -> Value {
        Value::Str("08123456789".to_string())
    }

    fn today(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
    }
}

/// Describes a value the way the cases file writes expectations: `type:string()`.
fn describe(value: &Value) -> String {
    let kind = match value {
        Value::Str(_) => "str",
        Value::Num(_) => "num",
        Value::Bool(_) => "bool",
        Value::Date(_) => "date",
    };
    format!("{kind}:{}", value.to_text())
}

/// Parses and evaluates `input`, and compares the outcome with `expected` (see the file header).
fn check(input: &str, expected: &str) -> Result<(), String> {
    let outcome = parse(input);
    if let Some(error_spec) = expected.strip_prefix("error@") {
        let (position, fragment) = error_spec
            .split_once(':')
            .ok_or_else(|| format!("malformed expectation {expected:?}"))?;
        let fragment = fragment.trim();
        return match outcome {
            Ok(expr) => Err(format!(
                "expected a parse error, got {}",
                describe(&expr.eval(&Fixture))
            )),
            Err(error) => {
                let shown = error.to_string();
                let prefix = format!("at character {position}: ");
                if shown.starts_with(&prefix) && error.message.contains(fragment) {
                    Ok(())
                } else {
                    Err(format!("got error {shown:?}"))
                }
            }
        };
    }
    match outcome {
        Err(error) => Err(format!("got parse error {:?}", error.to_string())),
        Ok(expr) => {
            assert_eq!(expr.source(), input);
            let got = describe(&expr.eval(&Fixture));
            if got == expected {
                Ok(())
            } else {
                Err(format!("got {got}"))
            }
        }
    }
}

/// The cases of the file: (line number, expression, expected).
fn cases() -> Vec<(usize, &'static str, &'static str)> {
    CASES
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
        .map(|(index, line)| {
            let (input, expected) = line
                .rsplit_once('⟶')
                .unwrap_or_else(|| panic!("line {}: no '⟶' in {line:?}", index + 1));
            (index + 1, input.trim(), expected.trim())
        })
        .collect()
}

#[test]
fn every_case_in_the_table_holds() {
    let cases = cases();
    assert!(cases.len() >= 180, "only {} cases", cases.len());
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|&(line, input, expected)| {
            check(input, expected)
                .err()
                .map(|problem| format!("line {line}: {input}  ⟶  {expected}\n    {problem}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn references_are_listed_in_source_order_with_offsets() {
    let expr = parse("if(${b} > ${a}, concat('é', ${b}), .)").unwrap();
    let found: Vec<(String, usize)> = expr
        .references()
        .into_iter()
        .map(|r| (r.name, r.offset))
        .collect();
    assert_eq!(
        found,
        [
            ("b".to_string(), 3),
            ("a".to_string(), 10),
            ("b".to_string(), 28)
        ]
    );
    assert!(expr.uses_current());
    assert!(!parse("${a} + 1").unwrap().uses_current());
    assert!(parse("'.'").unwrap().references().is_empty());
}

#[test]
fn nesting_is_limited_instead_of_overflowing_the_stack() {
    let deep_ok = format!("{}1{}", "(".repeat(100), ")".repeat(100));
    assert_eq!(parse(&deep_ok).unwrap().eval(&Fixture), Value::Num(1.0));

    let too_deep = format!("{}1{}", "(".repeat(101), ")".repeat(101));
    let error = parse(&too_deep).unwrap_err();
    assert_eq!(error.offset, 100);
    assert!(error.message.contains("nested too deeply"), "{error}");

    let calls = format!("{}1{}", "not(".repeat(5000), ")".repeat(5000));
    assert!(
        parse(&calls)
            .unwrap_err()
            .message
            .contains("nested too deeply")
    );
    assert!(parse(&"-".repeat(100_000)).is_err());
}

#[test]
fn long_flat_expressions_parse_and_evaluate() {
    // Long runs of one operator are flat, so neither parsing, evaluating nor dropping them
    // recurses per term.
    let sum = vec!["1"; 24_000].join(" + ");
    assert_eq!(parse(&sum).unwrap().eval(&Fixture), Value::Num(24_000.0));
    let ors = vec!["${blank}"; 8_000].join(" or ");
    assert_eq!(parse(&ors).unwrap().eval(&Fixture), Value::Bool(false));
    let args = format!("concat({})", vec!["'a'"; 20_000].join(","));
    assert_eq!(parse(&args).unwrap().eval(&Fixture).to_text().len(), 20_000);
}

#[test]
fn huge_inputs_are_refused_up_front() {
    let huge = "1 + ".repeat(1_000_000) + "1";
    let error = parse(&huge).unwrap_err();
    assert_eq!(error.offset, 100_000);
    assert!(error.message.contains("too long"), "{error}");
    let unicode = "ж".repeat(100_000);
    assert!(!parse(&unicode).unwrap_err().message.contains("too long"));
}

#[test]
fn parse_errors_display_one_based_positions() {
    let error = parse("if(${a} 'x', 'y')").unwrap_err();
    assert_eq!(error.offset, 8);
    assert_eq!(
        error.to_string(),
        "at character 9: expected ')' to close the call to if(), found ''x''"
    );
}
