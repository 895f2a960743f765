//! Tests of roster parsing on small CSV rosters.

use super::*;
use crate::roster::read_roster;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
}

fn parse(csv: &str) -> ParsedRoster {
    let sheets = read_roster("roster.csv", csv.as_bytes()).unwrap();
    let aliases = Aliases::default();
    let reference = Reference::builtin();
    let rules = RosterRules {
        aliases: &aliases,
        reference: &reference,
        today: today(),
        rows_hint: 0,
    };
    parse_roster(&sheets, &rules)
}

fn messages(parsed: &ParsedRoster) -> Vec<String> {
    parsed.problems.iter().map(ToString::to_string).collect()
}

#[test]
fn a_clean_roster_below_a_title_is_normalised() {
    let parsed = parse(
        "DAFTAR PESERTA,,,,,,\n\
         ,,,,,,\n\
         No,Nama Lengkap,NIK,Jenis Kelamin (L/P),No. HP/WA,Gaji Terakhir,Ukuran Baju,Sesi 1\n\
         1,Siti  Aminah,3201014507850003,P,0812-3456-7890,Rp 3.500.000,L,hadir\n\
         2,Budi,,laki-laki,81234567891,\"3,5 juta\",XL,\n",
    );
    assert_eq!(messages(&parsed), Vec::<String>::new());
    assert_eq!(parsed.rows_read, 2);
    assert_eq!(parsed.sheets[0].header_row, Some(3));
    let siti = &parsed.records[0];
    assert_eq!(siti.key, ParticipantKey::Nik("3201014507850003".into()));
    assert_eq!(siti.get("name"), Some("Siti Aminah"));
    assert_eq!(siti.get("sex"), Some("P"));
    assert_eq!(siti.get("phone"), Some("6281234567890"));
    assert_eq!(siti.get("last_wage"), Some("3500000"));
    assert_eq!(siti.get("extra_ukuran_baju"), Some("L"));
    assert_eq!(siti.get("attended_1"), Some("1"));
    let budi = &parsed.records[1];
    assert_eq!(budi.key, ParticipantKey::Phone("6281234567891".into()));
    assert_eq!(budi.get("attended_1"), Some("0"));
    assert_eq!(budi.get("no"), None);
}

#[test]
fn every_problem_in_a_row_is_listed_with_its_place() {
    let parsed = parse(
        "Nama,NIK,No HP,Tgl Lahir\n\
         Siti,3.20101E+15,021555,31/02/1980\n",
    );
    assert!(parsed.has_errors());
    assert_eq!(parsed.rows_rejected, 1);
    assert!(parsed.records.is_empty());
    let messages = messages(&parsed);
    assert_eq!(messages.len(), 3, "{messages:#?}");
    assert!(messages[0].starts_with("sheet \"roster\", row 2, column B (NIK): error: NIK"));
    assert!(messages[0].contains("scientific notation"));
    assert!(messages[1].contains("column C (No HP)"));
    assert!(messages[2].contains("column D (Tgl Lahir)"));
}

#[test]
fn formula_errors_and_rows_without_a_key_are_rejected() {
    let parsed = parse("Nama,No HP,Kota\nSiti,#N/A,Bekasi\nBudi,,Bekasi\n");
    let messages = messages(&parsed);
    assert!(messages[0].contains("formula error #N/A"), "{messages:#?}");
    assert!(messages[1].contains("row 3") && messages[1].contains("no participant id"));
    assert_eq!(parsed.rows_rejected, 2);
}

#[test]
fn the_same_person_twice_in_one_file_is_an_error() {
    let parsed = parse("Nama,No HP\nSiti,081234567890\nSiti A,+62 812-3456-7890\n");
    let messages = messages(&parsed);
    assert_eq!(messages.len(), 1);
    assert!(messages[0].contains("row 3") && messages[0].contains("already on sheet"));
    assert!(
        !messages[0].contains("6281234567890"),
        "no phone numbers in messages"
    );
}

#[test]
fn nik_disagreeing_with_sex_is_a_warning_and_the_row_imports() {
    let parsed = parse("NIK,Nama,JK\n3201014507850003,Siti,L\n");
    assert!(!parsed.has_errors());
    assert_eq!(parsed.records.len(), 1);
    assert!(messages(&parsed)[0].contains("warning: sex L disagrees with the NIK"));
}

#[test]
fn a_file_with_no_roster_sheet_says_so() {
    let parsed = parse("Provinsi,Jumlah\nJawa Barat,10\n");
    assert!(parsed.has_errors());
    assert!(messages(&parsed)[0].contains("no sheet has a header row"));
}

#[test]
fn two_columns_with_one_meaning_are_an_error() {
    let parsed = parse("Nama,No HP,No WA\nSiti,081234567890,081234567891\n");
    assert!(messages(&parsed)[0].contains("two columns mean phone"));
}

#[test]
fn participant_ids_win_over_nik() {
    let parsed = parse("ID Peserta,NIK,Nama\nevm-001,3201014507850003,Siti\n");
    assert_eq!(parsed.records[0].key, ParticipantKey::Id("EVM-001".into()));
}

#[test]
fn dates_are_written_as_chrono_writes_them() {
    let mut dates = vec![
        NaiveDate::from_ymd_opt(0, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(7, 3, 9).unwrap(),
        NaiveDate::from_ymd_opt(999, 12, 31).unwrap(),
        NaiveDate::from_ymd_opt(9999, 12, 31).unwrap(),
        NaiveDate::from_ymd_opt(-1, 6, 15).unwrap(),
        NaiveDate::from_ymd_opt(10000, 1, 1).unwrap(),
    ];
    let mut day = NaiveDate::from_ymd_opt(1899, 12, 25).unwrap();
    while day.year() < 2031 {
        dates.push(day);
        day += chrono::Duration::days(13);
    }
    for date in dates {
        assert_eq!(date_text(date), date.format("%Y-%m-%d").to_string());
    }
}

#[test]
fn tidy_text_is_kept_and_untidy_text_collapsed() {
    for text in [
        "",
        "Budi Santoso",
        "A",
        " Budi",
        "Budi ",
        "Budi  Santoso",
        "Budi\tSantoso",
        "Budi\u{b}Santoso",
        "a b c",
        "a  b",
        "Budi\u{a0}Santoso",
        "Siti\u{3000} Aminah",
        "  ",
        "Ñoño  Ümit",
    ] {
        let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(tidy_text(text.into()), collapsed, "{text:?}");
        assert_eq!(is_tidy(text), collapsed == text, "{text:?}");
    }
}

#[test]
fn case_changes_in_place_agree_with_the_general_ones() {
    for text in ["Budi@Mail.COM", "ÇAĞRI@örnek.id", "", "x"] {
        assert_eq!(lowercase(text.into()), text.to_lowercase());
    }
    for text in ["p-001", " p-001 ", "straße", "İd-7", "\u{a0}ab"] {
        assert_eq!(uppercase_trimmed(text.into()), text.trim().to_uppercase());
    }
}

#[test]
fn seen_keys_tell_every_key_apart() {
    let keys = [
        ParticipantKey::Nik("3201014507850003".into()),
        ParticipantKey::Phone("3201014507850003".into()),
        ParticipantKey::Id("3201014507850003".into()),
        ParticipantKey::Phone("6281234567890".into()),
        ParticipantKey::Phone("06281234567890".into()),
        ParticipantKey::Phone("99999999999999999999".into()),
        ParticipantKey::Phone("62812x".into()),
    ];
    for (i, a) in keys.iter().enumerate() {
        for (j, b) in keys.iter().enumerate() {
            assert_eq!(SeenKey::of(a) == SeenKey::of(b), i == j, "{a} {b}");
        }
    }
    assert!(matches!(SeenKey::of(&keys[0]), SeenKey::Digits(1, 16, _)));
}

#[test]
fn a_records_values_are_sorted_by_name_whatever_the_column_order() {
    let parsed = parse(
        "Upah Terakhir,Nama,NIK,Ukuran Baju,Jenis Kelamin,No. HP,Alamat\n\
         3500000,Budi  Santoso,3201011203900001,XL,L,081234567890,Jl. Mawar 1\n",
    );
    assert!(!parsed.has_errors(), "{:?}", messages(&parsed));
    let record = &parsed.records[0];
    let names: Vec<&str> = record.values.keys().collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted);
    assert_eq!(record.get("name"), Some("Budi Santoso"));
    assert_eq!(record.get("extra_ukuran_baju"), Some("XL"));
    assert_eq!(record.get("phone"), Some("6281234567890"));
    assert_eq!(record.get("last_wage"), Some("3500000"));
    assert_eq!(record.values.len(), 7);
}

#[test]
fn values_are_found_by_name_in_order_and_a_repeated_name_keeps_its_last_value() {
    let values: Values = [
        ("phone", "62811"),
        ("nik", "3201"),
        ("name", "Sri"),
        ("nik", "3202"),
        ("attended_1", "1"),
    ]
    .into_iter()
    .map(|(name, value)| (name, value.to_owned()))
    .collect();
    assert_eq!(
        values.iter().collect::<Vec<_>>(),
        [
            ("attended_1", "1"),
            ("name", "Sri"),
            ("nik", "3202"),
            ("phone", "62811")
        ]
    );
    assert_eq!(values.len(), 4);
    assert_eq!(values.get("nik"), Some("3202"));
    assert_eq!(values.get("attended_1"), Some("1"));
    assert_eq!(values.get("phone"), Some("62811"));
    for absent in ["", "a", "nama", "zzz", "nik "] {
        assert_eq!(values.get(absent), None, "{absent:?}");
        assert!(!values.contains_key(absent));
    }
    assert!(Values::default().is_empty());
    assert_eq!(Values::default().get("nik"), None);
}
