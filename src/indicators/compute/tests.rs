//! Indicator arithmetic on small hand-made record sets.

use super::*;
use crate::config::{IndicatorFormat, WaveScope};
use std::collections::BTreeMap;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
}

fn indicator(kind: IndicatorKind, fields: &[(&str, &str)]) -> CompiledIndicator {
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    };
    compile(&Indicator {
        id: "test".into(),
        label: BTreeMap::new(),
        kind,
        wave: WaveScope::EachWave,
        numerator: get("numerator"),
        denominator: get("denominator"),
        value: get("value"),
        compare: get("compare"),
        filter: get("filter"),
        format: Some(IndicatorFormat::Number),
        baseline: None,
        target: None,
        definition: BTreeMap::new(),
    })
    .unwrap()
}

/// (sex, working, income, baseline income); empty text is a missing answer.
fn records(rows: &[(&str, &str, &str, &str)]) -> Vec<Record> {
    rows.iter()
        .map(|(sex, working, income, baseline)| {
            let mut r = Record::new();
            r.set_text("sex", *sex)
                .set_text("work_status", *working)
                .set_text("income_total", *income)
                .set_text("baseline.income_total", *baseline);
            r
        })
        .collect()
}

fn refs(records: &[Record]) -> Vec<&Record> {
    records.iter().collect()
}

#[test]
fn share_counts_numerator_over_denominator() {
    let rs = records(&[
        ("L", "wage", "", ""),
        ("P", "self", "", ""),
        ("P", "none", "", ""),
        ("L", "", "", ""),
    ]);
    let share = indicator(
        IndicatorKind::Share,
        &[
            ("numerator", "${work_status} != 'none'"),
            ("denominator", "${work_status} != ''"),
        ],
    );
    let figure = share.figure(&refs(&rs), today());
    assert_eq!((figure.numerator, figure.n), (2, 3));
    assert!((figure.value.unwrap() - 2.0 / 3.0).abs() < 1e-12);
}

#[test]
fn median_mean_and_sum_skip_missing_and_keep_zero() {
    let rs = records(&[
        ("L", "", "1000", ""),
        ("L", "", "0", ""),
        ("P", "", "", ""),
        ("P", "", "3000", ""),
        ("P", "", "4000", ""),
    ]);
    let value = [("value", "${income_total}")];
    let median = indicator(IndicatorKind::Median, &value).figure(&refs(&rs), today());
    assert_eq!((median.value, median.n), (Some(2000.0), 4));
    let mean = indicator(IndicatorKind::Mean, &value).figure(&refs(&rs), today());
    assert_eq!(mean.value, Some(2000.0));
    let sum = indicator(IndicatorKind::Sum, &value).figure(&refs(&rs), today());
    assert_eq!(sum.value, Some(8000.0));
}

#[test]
fn change_is_the_median_difference_over_participants_with_both() {
    let rs = records(&[
        ("L", "", "3000", "2000"),
        ("L", "", "1000", "2000"),
        ("P", "", "5000", ""),
        ("P", "", "2500", "2000"),
    ]);
    let change = indicator(
        IndicatorKind::Change,
        &[
            ("value", "${income_total}"),
            ("compare", "${baseline.income_total}"),
        ],
    )
    .figure(&refs(&rs), today());
    assert_eq!((change.value, change.n), (Some(500.0), 3));
}

#[test]
fn breakdowns_suppress_small_cells_with_a_complement() {
    // 12 men, 6 women, 2 with sex unknown: the unknown cell is small, so the women's cell
    // (the next smallest) is hidden too; the total stays visible.
    let mut rows = vec![("L", "wage", "", ""); 12];
    rows.extend(vec![("P", "wage", "", ""); 6]);
    rows.extend(vec![("", "none", "", ""); 2]);
    let rs = records(&rows);
    let count = indicator(IndicatorKind::Count, &[]);
    let result = count.compute(&refs(&rs), &["sex".to_owned()], 5, today());
    assert_eq!(result.overall.value, Some(20.0));
    let cells = &result.breakdowns[0].cells;
    assert_eq!(cells.len(), 3);
    assert_eq!(cells[0].0, None);
    assert!(cells[0].1.suppressed && cells[0].1.value.is_none());
    assert_eq!(cells[1].0.as_deref(), Some("L"));
    assert_eq!(cells[1].1.value, Some(12.0));
    assert!(cells[2].1.suppressed, "the complement");
}

#[test]
fn a_small_overall_figure_is_suppressed() {
    let rs = records(&[("L", "wage", "", ""); 3]);
    let result = indicator(IndicatorKind::Count, &[]).compute(&refs(&rs), &[], 5, today());
    assert!(result.overall.suppressed);
    assert_eq!(result.overall.value, None);
}

#[test]
fn bad_expressions_name_the_indicator() {
    let err = compile(&Indicator {
        numerator: Some("${a} = ".into()),
        ..indicator(IndicatorKind::Share, &[("numerator", "1")]).definition
    })
    .unwrap_err();
    assert!(
        err.starts_with("indicator test, numerator \"${a} = \": at character"),
        "{err}"
    );
}

#[test]
fn every_shipped_indicator_compiles() {
    let config = crate::config::Config::default();
    assert!(config.indicators.len() >= 20);
    for indicator in &config.indicators {
        compile(indicator).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn groups_sort_categories_with_the_unknown_first_and_numbers_as_text() {
    let mut rs = records(&[
        ("P", "", "", ""),
        ("", "", "", ""),
        ("L", "", "", ""),
        ("P", "", "", ""),
    ]);
    rs[0].set_num("age40plus", 1.0);
    rs[2].set_num("age40plus", 0.0);
    let groups = Groups::new(&refs(&rs), &["sex".to_owned(), "age40plus".to_owned()]);
    let count = indicator(IndicatorKind::Count, &[]);
    let parts = count.parts(&refs(&rs), today());
    let result = count.from_parts(&parts, &groups, 1);
    let cells = |index: usize| -> Vec<(Option<String>, Option<f64>)> {
        result.breakdowns[index]
            .cells
            .iter()
            .map(|(category, figure)| (category.clone(), figure.value))
            .collect()
    };
    assert_eq!(
        cells(0),
        vec![
            (None, Some(1.0)),
            (Some("L".into()), Some(1.0)),
            (Some("P".into()), Some(2.0))
        ]
    );
    assert_eq!(
        cells(1),
        vec![
            (None, Some(2.0)),
            (Some("0".into()), Some(1.0)),
            (Some("1".into()), Some(1.0))
        ]
    );
    assert_eq!(
        result,
        count.compute(
            &refs(&rs),
            &["sex".to_owned(), "age40plus".to_owned()],
            1,
            today()
        ),
        "shared groups give what grouping per indicator gave"
    );
}

/// Records whose values repeat and differ in the ways the column dictionary must tell apart:
/// text and the same number as text, 0 and -0, absent and empty, dates, today().
fn varied_records() -> Vec<Record> {
    let mut rs = Vec::new();
    for i in 0..60u32 {
        let mut r = Record::new();
        r.set_text("sex", if i % 3 == 0 { "P" } else { "L" });
        match i % 5 {
            0 => {
                r.set_text("income_total", "1500");
            }
            1 => {
                r.set_num("income_total", 1500.0);
            }
            2 => {
                r.set_num("income_total", if i % 2 == 0 { 0.0 } else { -0.0 });
            }
            3 => {
                r.set_text("income_total", "");
            }
            _ => {}
        }
        if i % 4 != 0 {
            r.set_num("baseline.income_total", f64::from(i * 100));
        }
        r.set(
            "training_date",
            Value::Date(NaiveDate::from_ymd_opt(2026, 1 + i % 12, 1).unwrap()),
        );
        r.set_text(
            "work_status",
            ["wage", "self", "none", ""][(i % 4) as usize],
        );
        rs.push(r);
    }
    rs
}

#[test]
fn evaluating_once_per_distinct_values_gives_each_records_own_part() {
    let rs = varied_records();
    let shipped = [
        indicator(
            IndicatorKind::Share,
            &[
                (
                    "numerator",
                    "1 div ${income_total} > 0 or ${work_status} = 'self'",
                ),
                ("denominator", "string-length(${income_total}) > 0"),
            ],
        ),
        indicator(
            IndicatorKind::Change,
            &[
                ("value", "${income_total}"),
                ("compare", "${baseline.income_total}"),
                ("filter", "${training_date} < today()"),
            ],
        ),
        indicator(IndicatorKind::Mean, &[("value", "1 div ${income_total}")]),
        indicator(IndicatorKind::Count, &[("filter", "${missing} = ''")]),
    ];
    let records = refs(&rs);
    for compiled in &shipped {
        let mut names = compiled.names();
        // Columns hold more names than one indicator uses, in another order.
        names.insert(0, "sex".to_owned());
        names.reverse();
        let columns = Columns::new(&records, names);
        let own = compiled.parts(&records, today());
        assert_eq!(
            compiled.parts_in(&columns, today()),
            own,
            "{:?}",
            compiled.definition
        );
        // The memo as a hash map (too many combinations for a table) gives the same.
        assert_eq!(
            compiled.parts_memo(&columns, today(), 0),
            own,
            "{:?}",
            compiled.definition
        );
    }
}

#[test]
fn tallied_cells_equal_each_cells_own_figure() {
    let rs = varied_records();
    let records = refs(&rs);
    let dimensions = ["sex".to_owned(), "work_status".to_owned()];
    let value = [("value", "${income_total}")];
    for kind in [
        IndicatorKind::Count,
        IndicatorKind::Share,
        IndicatorKind::Mean,
        IndicatorKind::Median,
        IndicatorKind::Sum,
    ] {
        let compiled = match kind {
            IndicatorKind::Share => indicator(
                kind,
                &[
                    ("numerator", "${income_total} > 0"),
                    ("denominator", "${work_status} != ''"),
                ],
            ),
            IndicatorKind::Count => indicator(kind, &[("filter", "${sex} = 'P'")]),
            _ => indicator(kind, &value),
        };
        let result = compiled.compute(&records, &dimensions, 1, today());
        for (dimension, breakdown) in dimensions.iter().zip(&result.breakdowns) {
            for (category, figure) in &breakdown.cells {
                let members: Vec<&Record> = records
                    .iter()
                    .copied()
                    .filter(|r| r.category(dimension) == *category)
                    .collect();
                assert_eq!(
                    *figure,
                    compiled.figure(&members, today()),
                    "{kind:?} {dimension} {category:?}"
                );
            }
        }
    }
}

#[test]
fn groups_from_columns_equal_groups_from_the_records() {
    let rs = varied_records();
    let records = refs(&rs);
    let dimensions: Vec<String> = [
        "sex",
        "work_status",
        "income_total",
        "nowhere",
        "training_date",
    ]
    .map(str::to_owned)
    .to_vec();
    // The columns hold other names too, in another order.
    let mut names = dimensions.clone();
    names.push("baseline.income_total".to_owned());
    names.reverse();
    names.retain(|name| name != "nowhere");
    let columns = Columns::new(&records, names);
    assert_eq!(
        Groups::of_columns(&columns, &dimensions),
        Groups::new(&records, &dimensions)
    );
    let none: Vec<&Record> = Vec::new();
    assert_eq!(
        Groups::of_columns(&Columns::new(&none, dimensions.clone()), &dimensions),
        Groups::new(&none, &dimensions)
    );
}

#[test]
fn columns_over_several_chunks_number_values_as_one_pass_would() {
    // More records than one chunk of the row-at-a-time encoding, with values first seen in
    // later chunks too.
    let mut rs = Vec::new();
    for round in 0..150u32 {
        for (i, mut r) in varied_records().into_iter().enumerate() {
            if round % 7 == 3 && i % 2 == 0 {
                r.set_num("income_total", f64::from(round * 1000));
                r.set_text("sex", format!("S{round}"));
            }
            rs.push(r);
        }
    }
    let records = refs(&rs);
    assert!(records.len() > 8192, "spans several chunks");
    let dimensions: Vec<String> = ["sex", "work_status", "income_total"]
        .map(str::to_owned)
        .to_vec();
    let share = indicator(
        IndicatorKind::Share,
        &[
            (
                "numerator",
                "${income_total} > 1000 or ${work_status} = 'self'",
            ),
            ("denominator", "string-length(${sex}) > 0"),
        ],
    );
    let mut names = share.names();
    names.push("training_date".to_owned());
    let columns = Columns::new(&records, names.clone());
    // Each record's id in each column points at its own value, and ids count up in the order
    // values are first met.
    for (column, name) in names.iter().enumerate() {
        let mut seen = 0u32;
        for (row, record) in records.iter().enumerate() {
            let id = columns.ids[column * records.len() + row];
            assert_eq!(columns.distinct[column][id as usize], record.lookup(name));
            assert!(id <= seen, "{name}: ids in first-seen order");
            seen = seen.max(id + 1);
        }
        assert_eq!(seen as usize, columns.distinct[column].len());
    }
    assert_eq!(
        share.parts_in(&columns, today()),
        share.parts(&records, today())
    );
    let with_dimensions = Columns::new(&records, dimensions.clone());
    assert_eq!(
        Groups::of_columns(&with_dimensions, &dimensions),
        Groups::new(&records, &dimensions)
    );
}
