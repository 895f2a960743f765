//! Every fixed text of the workbooks, in Indonesian and English, in one table.
//!
//! Sheet names, headers, notes and chart titles are looked up here by [`Text`], so that a
//! workbook never mixes languages and a new language is one more column. A text missing in the
//! asked language falls back to the other one, so a gap shows a word rather than nothing.

use std::collections::BTreeMap;

/// A fixed text of the workbooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Text {
    // Sheet names (at most 31 characters, none of `[]:*?/\`).
    SheetCover,
    SheetResponse,
    SheetAttendance,
    SheetCharts,
    SheetParticipants,
    SheetDictionary,
    SheetMethodology,
    SheetMinimumWages,
    SheetQuality,
    SheetNonRespondents,
    SheetFlags,
    SheetImportProblems,
    /// Put before a dimension name: "By sex".
    SheetByPrefix,
    // Cover.
    CoverTitleDonor,
    CoverTitleManager,
    Programme,
    Country,
    Period,
    RunAt,
    Language,
    Variant,
    VariantDonor,
    VariantManager,
    Threshold,
    Sources,
    FileName,
    HashPrefix,
    ImportedAt,
    Rows,
    PersonalDataWarning,
    NoPersonalData,
    // Logframe and disaggregations.
    Indicator,
    Label,
    Wave,
    Baseline,
    Target,
    Actual,
    Numerator,
    N,
    Unknown,
    SuppressedNote,
    // Response and attendance.
    Invited,
    Opened,
    Consented,
    Declined,
    Submitted,
    Expired,
    ResponseRate,
    AgeGroup,
    Everyone,
    Enrolled,
    Session,
    Completed,
    // Charts.
    ChartIncome,
    ChartBpjs,
    ChartResponse,
    ChartBlankNote,
    ChartUnavailable,
    Before,
    After,
    Category,
    // Dictionary.
    Form,
    Waves,
    Field,
    Type,
    Choices,
    InParticipantSheet,
    Yes,
    No,
    // Methodology and quality.
    Kind,
    Format,
    Definition,
    SuppressionRule,
    Province,
    Year,
    Amount,
    Certainty,
    Source,
    CertaintyNote,
    Code,
    Count,
    Meaning,
    RosterLevel,
    // Manager.
    ParticipantKey,
    Name,
    Phone,
    Status,
    DaysSinceInvited,
    SurveyLink,
    WhatsApp,
    Pseudonym,
    Reason,
    Sheet,
    Row,
    Column,
    Severity,
    Message,
    WholeFile,
}

/// `(text, Indonesian, English)`.
const TABLE: &[(Text, &str, &str)] = &[
    (Text::SheetCover, "Sampul", "Cover"),
    (Text::SheetResponse, "Respons", "Response"),
    (Text::SheetAttendance, "Kehadiran", "Attendance"),
    (Text::SheetCharts, "Grafik", "Charts"),
    (Text::SheetParticipants, "Peserta", "Participants"),
    (Text::SheetDictionary, "Kamus data", "Data dictionary"),
    (Text::SheetMethodology, "Metodologi", "Methodology"),
    (Text::SheetMinimumWages, "Upah minimum", "Minimum wages"),
    (Text::SheetQuality, "Kualitas data", "Data quality"),
    (
        Text::SheetNonRespondents,
        "Belum merespons",
        "Non-respondents",
    ),
    (Text::SheetFlags, "Tanda kualitas", "Quality flags"),
    (
        Text::SheetImportProblems,
        "Masalah impor",
        "Import problems",
    ),
    (Text::SheetByPrefix, "Per", "By"),
    (
        Text::CoverTitleDonor,
        "Laporan pemantauan untuk donor",
        "Monitoring report for donors",
    ),
    (
        Text::CoverTitleManager,
        "Laporan pemantauan untuk pengelola program",
        "Monitoring report for programme managers",
    ),
    (Text::Programme, "Program", "Programme"),
    (Text::Country, "Negara", "Country"),
    (Text::Period, "Periode", "Period"),
    (Text::RunAt, "Dibuat pada", "Made on"),
    (Text::Language, "Bahasa", "Language"),
    (Text::Variant, "Jenis buku kerja", "Workbook"),
    (Text::VariantDonor, "donor", "donor"),
    (Text::VariantManager, "pengelola", "manager"),
    (
        Text::Threshold,
        "Ambang penyembunyian (peserta)",
        "Suppression threshold (participants)",
    ),
    (Text::Sources, "File roster sumber", "Source roster files"),
    (Text::FileName, "Nama file", "File name"),
    (
        Text::HashPrefix,
        "Hash SHA-256 (awal)",
        "SHA-256 hash (start)",
    ),
    (Text::ImportedAt, "Diimpor pada", "Imported on"),
    (Text::Rows, "Baris", "Rows"),
    (
        Text::PersonalDataWarning,
        "Berisi data pribadi (nama, telepon, tautan pribadi): hanya untuk staf program, jangan diteruskan.",
        "Contains personal data (names, phones, personal links): for programme staff only, do not forward.",
    ),
    (
        Text::NoPersonalData,
        "Tidak berisi data pribadi: peserta hanya muncul dengan pseudonim.",
        "Contains no personal data: participants appear only under a pseudonym.",
    ),
    (Text::Indicator, "Indikator", "Indicator"),
    (Text::Label, "Label", "Label"),
    (Text::Wave, "Gelombang", "Wave"),
    (Text::Baseline, "Baseline", "Baseline"),
    (Text::Target, "Target", "Target"),
    (Text::Actual, "Capaian", "Actual"),
    (Text::Numerator, "Pembilang", "Numerator"),
    (Text::N, "n", "n"),
    (Text::Unknown, "(tidak diketahui)", "(unknown)"),
    (
        Text::SuppressedNote,
        "Sel dengan peserta kurang dari ambang disembunyikan bersama satu sel pelengkap.",
        "Cells with fewer participants than the threshold are hidden together with a complementary cell.",
    ),
    (Text::Invited, "Diundang", "Invited"),
    (Text::Opened, "Membuka tautan", "Opened"),
    (Text::Consented, "Setuju", "Consented"),
    (Text::Declined, "Menolak", "Declined"),
    (Text::Submitted, "Mengirim jawaban", "Submitted"),
    (
        Text::Expired,
        "Kedaluwarsa tanpa jawaban",
        "Expired without answer",
    ),
    (Text::ResponseRate, "Tingkat respons", "Response rate"),
    (Text::AgeGroup, "Kelompok umur", "Age group"),
    (Text::Everyone, "Semua", "Everyone"),
    (Text::Enrolled, "Terdaftar", "Enrolled"),
    (Text::Session, "Sesi", "Session"),
    (
        Text::Completed,
        "Menyelesaikan pelatihan",
        "Completed training",
    ),
    (
        Text::ChartIncome,
        "Pendapatan sebelum dan sesudah, menurut jenis kelamin",
        "Income before and after, by sex",
    ),
    (
        Text::ChartBpjs,
        "Kepesertaan BPJS Ketenagakerjaan menurut kelompok umur",
        "BPJS Ketenagakerjaan enrolment by age group",
    ),
    (
        Text::ChartResponse,
        "Respons menurut gelombang",
        "Response by wave",
    ),
    (
        Text::ChartBlankNote,
        "Sel kosong: angka disembunyikan (terlalu sedikit peserta) atau tidak ada data.",
        "Empty cells: figure suppressed (too few participants) or no data.",
    ),
    (
        Text::ChartUnavailable,
        "Tidak tersedia: tidak ada indikator atau data yang cocok.",
        "Not available: no matching indicator or data.",
    ),
    (Text::Before, "Sebelum", "Before"),
    (Text::After, "Sesudah", "After"),
    (Text::Category, "Kategori", "Category"),
    (Text::Form, "Formulir", "Form"),
    (Text::Waves, "Gelombang", "Waves"),
    (Text::Field, "Nama kolom", "Field"),
    (Text::Type, "Tipe", "Type"),
    (Text::Choices, "Pilihan", "Choices"),
    (
        Text::InParticipantSheet,
        "Ada di lembar peserta",
        "In participant sheet",
    ),
    (Text::Yes, "ya", "yes"),
    (Text::No, "tidak", "no"),
    (Text::Kind, "Jenis", "Kind"),
    (Text::Format, "Format", "Format"),
    (Text::Definition, "Definisi", "Definition"),
    (
        Text::SuppressionRule,
        "Aturan penyembunyian: angka yang dihitung dari kurang dari {threshold} peserta disembunyikan, bersama sel pelengkap, agar tidak dapat dihitung balik dari total.",
        "Suppression rule: a figure computed from fewer than {threshold} participants is hidden, together with a complementary cell, so that it cannot be recovered from the total.",
    ),
    (Text::Province, "Provinsi", "Province"),
    (Text::Year, "Tahun", "Year"),
    (Text::Amount, "Jumlah per bulan", "Monthly amount"),
    (Text::Certainty, "Kepastian", "Certainty"),
    (Text::Source, "Sumber", "Source"),
    (
        Text::CertaintyNote,
        "UNVERIFIED: belum dicek dengan sumber resmi; CONFLICT: sumber berbeda angka. Angka tetap dipakai dan tanda ini tetap terlihat.",
        "UNVERIFIED: not checked against an official source; CONFLICT: sources disagree. The figure is used and the mark stays visible.",
    ),
    (Text::Code, "Kode", "Code"),
    (Text::Count, "Jumlah", "Count"),
    (Text::Meaning, "Arti", "Meaning"),
    (Text::RosterLevel, "(roster)", "(roster)"),
    (Text::ParticipantKey, "Kunci peserta", "Participant key"),
    (Text::Name, "Nama", "Name"),
    (Text::Phone, "Telepon", "Phone"),
    (Text::Status, "Status", "Status"),
    (
        Text::DaysSinceInvited,
        "Hari sejak diundang",
        "Days since invited",
    ),
    (Text::SurveyLink, "Tautan survei", "Survey link"),
    (Text::WhatsApp, "Tautan WhatsApp", "WhatsApp link"),
    (Text::Pseudonym, "Pseudonim", "Pseudonym"),
    (Text::Reason, "Alasan", "Reason"),
    (Text::Sheet, "Lembar", "Sheet"),
    (Text::Row, "Baris", "Row"),
    (Text::Column, "Kolom", "Column"),
    (Text::Severity, "Tingkat", "Severity"),
    (Text::Message, "Pesan", "Message"),
    (Text::WholeFile, "(seluruh file)", "(whole file)"),
];

/// `text` in `language` (`id` or `en`; any other code reads English), falling back to the
/// other language when the asked one is empty.
pub(crate) fn text(text: Text, language: &str) -> &'static str {
    let (indonesian, english) = TABLE
        .iter()
        .find(|(key, _, _)| *key == text)
        .map_or(("", ""), |(_, id, en)| (*id, *en));
    let (first, second) = if language == "id" {
        (indonesian, english)
    } else {
        (english, indonesian)
    };
    if first.is_empty() { second } else { first }
}

/// A label from a per-language map (indicator labels, headers, dictionary labels): the asked
/// language, else English or Indonesian, else any language, else `fallback`.
pub(crate) fn pick<'a>(
    labels: &'a BTreeMap<String, String>,
    language: &str,
    fallback: &'a str,
) -> &'a str {
    [language, "en", "id"]
        .iter()
        .filter_map(|code| labels.get(*code))
        .chain(labels.values())
        .find(|label| !label.is_empty())
        .map_or(fallback, String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_has_both_languages_once() {
        for (index, (key, indonesian, english)) in TABLE.iter().enumerate() {
            assert!(!indonesian.is_empty() && !english.is_empty(), "{key:?}");
            assert!(
                TABLE[index + 1..].iter().all(|(other, _, _)| other != key),
                "{key:?} appears twice"
            );
        }
    }

    #[test]
    fn texts_follow_the_language_and_unknown_languages_read_english() {
        assert_eq!(text(Text::SheetParticipants, "id"), "Peserta");
        assert_eq!(text(Text::SheetParticipants, "en"), "Participants");
        assert_eq!(text(Text::Unknown, "jv"), "(unknown)");
    }

    #[test]
    fn a_missing_label_falls_back_to_the_other_language_then_the_fallback() {
        let mut labels = BTreeMap::new();
        labels.insert("id".to_string(), "Pendapatan".to_string());
        assert_eq!(pick(&labels, "en", "income"), "Pendapatan");
        labels.insert("en".to_string(), "Income".to_string());
        assert_eq!(pick(&labels, "en", "income"), "Income");
        assert_eq!(pick(&labels, "id", "income"), "Pendapatan");
        labels.insert("id".to_string(), String::new());
        assert_eq!(pick(&labels, "id", "income"), "Income");
        assert_eq!(pick(&BTreeMap::new(), "id", "income"), "income");
    }

    #[test]
    fn sheet_names_are_valid_in_both_languages() {
        let sheets = [
            Text::SheetCover,
            Text::SheetResponse,
            Text::SheetAttendance,
            Text::SheetCharts,
            Text::SheetParticipants,
            Text::SheetDictionary,
            Text::SheetMethodology,
            Text::SheetMinimumWages,
            Text::SheetQuality,
            Text::SheetNonRespondents,
            Text::SheetFlags,
            Text::SheetImportProblems,
        ];
        for sheet in sheets {
            for language in ["id", "en"] {
                let name = text(sheet, language);
                // Room for a " 99" suffix on split sheets.
                assert!(name.chars().count() <= 28, "{name}");
                assert!(
                    !name.contains(['[', ']', ':', '*', '?', '/', '\\']),
                    "{name}"
                );
            }
        }
    }
}
