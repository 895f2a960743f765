//! One test per flag rule, and storing flags twice on an in-memory database.

use chrono::TimeZone;

use super::*;

fn answers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}

fn codes(problems: &[(&'static str, String)]) -> Vec<&'static str> {
    problems.iter().map(|(code, _)| *code).collect()
}

#[test]
fn income_within_range_and_history_raises_nothing() {
    let given = answers(&[
        ("income_wage", "2000000"),
        ("income_resell", "500000"),
        ("income_total", "2500000"),
    ]);
    assert!(income_problems(&given, Some(3_000_000.0)).is_empty());
}

#[test]
fn income_above_the_ceiling_is_out_of_range_with_the_value_in_the_reason() {
    let given = answers(&[("income_total", "150000000")]);
    let problems = income_problems(&given, None);
    assert_eq!(codes(&problems), [code::INCOME_RANGE]);
    assert!(problems[0].1.contains("income_total is Rp 150.000.000"));
}

#[test]
fn negative_income_is_out_of_range() {
    let problems = income_problems(&answers(&[("income_total", "-5")]), None);
    assert_eq!(codes(&problems), [code::INCOME_RANGE]);
}

#[test]
fn income_ten_times_the_pre_layoff_wage_is_implausible() {
    let given = answers(&[("income_total", "45000000")]);
    let problems = income_problems(&given, Some(4_000_000.0));
    assert_eq!(codes(&problems), [code::INCOME_HISTORY]);
    assert!(
        problems[0].1.contains("more than 10 times"),
        "{}",
        problems[0].1
    );
    assert!(problems[0].1.contains("Rp 4.000.000"));
}

#[test]
fn income_under_a_tenth_of_the_wage_is_implausible_but_zero_is_not() {
    let low = income_problems(&answers(&[("income_total", "300000")]), Some(4_000_000.0));
    assert_eq!(codes(&low), [code::INCOME_HISTORY]);
    assert!(low[0].1.contains("less than a tenth"));
    // No income at all is common after a layoff, not a typo.
    let zero = income_problems(&answers(&[("income_total", "0")]), Some(4_000_000.0));
    assert!(zero.is_empty());
    // Without a known wage, history says nothing.
    let unknown = income_problems(&answers(&[("income_total", "300000")]), Some(0.0));
    assert!(unknown.is_empty());
}

#[test]
fn sources_not_adding_up_to_the_total_are_flagged() {
    let given = answers(&[
        ("income_wage", "1000000"),
        ("income_business", "200000"),
        ("income_total", "1500000"),
    ]);
    let problems = income_problems(&given, None);
    assert_eq!(codes(&problems), [code::INCOME_SUM]);
    assert!(
        problems[0].1.contains("add up to Rp 1.200.000"),
        "{}",
        problems[0].1
    );
    assert!(
        problems[0]
            .1
            .contains("income_wage 1.000.000 + income_business 200.000")
    );
}

#[test]
fn no_total_no_income_flags() {
    assert!(income_problems(&answers(&[("income_wage", "5")]), Some(1.0)).is_empty());
}

#[test]
fn window_is_inclusive_at_opening_and_exclusive_at_closing() {
    let (opens, closes) = ("2026-03-01T00:00:00Z", "2026-03-31T00:00:00Z");
    assert_eq!(out_of_window("2026-03-01T00:00:00Z", opens, closes), None);
    assert_eq!(out_of_window("2026-03-30T23:59:59Z", opens, closes), None);
    let late = out_of_window("2026-03-31T00:00:00Z", opens, closes).unwrap();
    assert!(late.contains("after the window closed"));
    let early = out_of_window("2026-02-28T10:00:00Z", opens, closes).unwrap();
    assert!(early.contains("before the window opened"));
    assert!(
        out_of_window("yesterday", opens, closes)
            .unwrap()
            .contains("not a time")
    );
}

#[test]
fn the_same_nik_or_phone_under_two_keys_flags_both() {
    let respondent = |id, nik: Option<&str>, phone: Option<&str>| Respondent {
        participant_id: id,
        nik: nik.map(str::to_owned),
        phone: phone.map(str::to_owned),
    };
    let found = duplicates(&[
        respondent(1, Some("3201010101800001"), Some("6281100000001")),
        respondent(2, None, Some("6281100000001")),
        respondent(3, Some("3201010101800001"), None),
        respondent(4, Some("3201010101800009"), Some("6281100000009")),
    ]);
    let ids: Vec<i64> = found.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, [1, 2, 3]);
    assert!(
        found[0]
            .1
            .contains("NIK 3201010101800001 also answered as participant #3")
    );
    assert!(
        found[0]
            .1
            .contains("phone 6281100000001 also answered as participant #2")
    );
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 2, 0, 0).unwrap()
}

#[test]
fn storing_twice_adds_nothing_and_a_gone_cause_is_removed() {
    let conn = crate::db::open_in_memory().unwrap();
    conn.execute_batch(
        "INSERT INTO participants (id, participant_key, pseudonym, created_at)
             VALUES (1, 'id:A', 'P-A', '2026-01-01T00:00:00Z'),
                    (2, 'id:B', 'P-B', '2026-01-01T00:00:00Z');
         INSERT INTO waves (name, form_file, updated_at)
             VALUES ('m3', 'followup.xlsx', '2026-01-01T00:00:00Z');",
    )
    .unwrap();
    let flag = |id, code: &'static str, reason: &str| Flag {
        participant_id: id,
        wave: Some("m3".into()),
        code,
        reason: reason.into(),
    };
    let first = vec![
        flag(1, code::INCOME_RANGE, "a"),
        flag(2, code::OUT_OF_WINDOW, "b"),
    ];
    let summary = store(&conn, &first, None, now()).unwrap();
    assert_eq!((summary.added, summary.removed, summary.total), (2, 0, 2));
    let again = store(&conn, &first, None, now()).unwrap();
    assert_eq!((again.added, again.removed, again.total), (0, 0, 2));
    let later = store(&conn, &[flag(1, code::INCOME_RANGE, "a2")], None, now()).unwrap();
    assert_eq!((later.added, later.removed, later.total), (0, 1, 1));
    let reason: String = conn
        .query_row("SELECT reason FROM data_quality_flags", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(reason, "a2");
}

#[test]
fn find_reads_responses_and_applies_every_rule() {
    let conn = crate::db::open_in_memory().unwrap();
    conn.execute_batch(
        "INSERT INTO participants (id, participant_key, pseudonym, created_at, erased_at)
             VALUES (1, 'id:A', 'P-A', '2026-01-01T00:00:00Z', NULL),
                    (2, 'id:B', 'P-B', '2026-01-01T00:00:00Z', NULL),
                    (3, 'erased:3', 'P-C', '2026-01-01T00:00:00Z', '2026-05-01T00:00:00Z');
         INSERT INTO waves (name, form_file, updated_at) VALUES ('m3', 'f.xlsx', 'x');
         INSERT INTO invitations (id, participant_id, wave, token, status, issued_at, opens_at,
                                  closes_at)
             VALUES (1, 1, 'm3', 't1', 'submitted', 'x', '2026-03-01T00:00:00Z',
                     '2026-03-31T00:00:00Z'),
                    (2, 2, 'm3', 't2', 'submitted', 'x', '2026-03-01T00:00:00Z',
                     '2026-03-31T00:00:00Z'),
                    (3, 3, 'm3', 't3', 'submitted', 'x', '2026-03-01T00:00:00Z',
                     '2026-03-31T00:00:00Z');
         INSERT INTO responses (invitation_id, submission_id, form_id, form_version, answers,
                                language, submitted_at)
             VALUES (1, 's1', 'f', '1', '{\"income_total\": 45000000}', 'id',
                     '2026-03-02T00:00:00Z'),
                    (2, 's2', 'f', '1', '{\"income_total\": \"1000\"}', 'id',
                     '2026-04-02T00:00:00Z'),
                    (3, 's3', 'f', '1', '{}', 'id', '2026-03-02T00:00:00Z');",
    )
    .unwrap();
    for (id, name, value) in [
        (1, "phone", "6281100000001"),
        (2, "phone", "6281100000001"),
        (1, "last_wage", "4000000"),
    ] {
        crate::participants::attributes::set_values(&conn, id, &[(name, value)], None, "x")
            .unwrap();
    }
    let found: Vec<(i64, &str)> = find(&conn)
        .unwrap()
        .iter()
        .map(|flag| (flag.participant_id, flag.code))
        .collect();
    assert_eq!(
        found,
        [
            (1, code::DUPLICATE),
            (1, code::INCOME_HISTORY),
            (2, code::DUPLICATE),
            (2, code::OUT_OF_WINDOW),
            (3, code::UNMATCHED),
        ]
    );
}
