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
