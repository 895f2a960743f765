//! Every text the server itself shows participants (buttons, consent, errors, thank-you), in
//! Indonesian and English. The form's own labels come from the form; these are the rest.
//!
//! A language is chosen by its code (`id`, `en`); anything else is Indonesian, the programme's
//! first language.

use chrono::{Datelike, NaiveDate};

/// The version of the consent text below. Stored with every consent decision, so that the exact
/// wording a participant agreed to can be produced later: change it whenever the consent
/// paragraphs change.
pub const CONSENT_VERSION: &str = "2026-11-1";

/// The server's texts in one language.
#[derive(Debug)]
pub struct Texts {
    /// The language code, for `<html lang>` and links.
    pub code: &'static str,
    /// The name of the other language, on the switch link.
    pub other_name: &'static str,
    /// The other language's code.
    pub other_code: &'static str,
    pub greeting: &'static str,
    pub greeting_anonymous: &'static str,
    pub consent_title: &'static str,
    pub consent_what: &'static str,
    pub consent_why: &'static str,
    /// `{months}` is replaced by the retention period.
    pub consent_retention: &'static str,
    pub consent_rights: &'static str,
    pub consent_question: &'static str,
    /// Shown above the consent text when a staff member fills the survey on the participant's
    /// behalf (`{officer}` is their login name).
    pub assisted_notice: &'static str,
    pub accept: &'static str,
    pub decline: &'static str,
    pub declined_title: &'static str,
    pub declined_body: &'static str,
    /// The link back to the consent screen after declining.
    pub reconsider: &'static str,
    pub next: &'static str,
    pub back: &'static str,
    /// `{n}` and `{total}`.
    pub progress: &'static str,
    pub errors_title: &'static str,
    pub review_title: &'static str,
    pub review_intro: &'static str,
    pub review_missing: &'static str,
    pub change: &'static str,
    pub not_answered: &'static str,
    pub submit: &'static str,
    pub thanks_title: &'static str,
    pub thanks_body: &'static str,
    /// `{date}`.
    pub received: &'static str,
    pub closed_title: &'static str,
    pub closed_body: &'static str,
    pub contact: &'static str,
    pub stale_title: &'static str,
    pub stale_body: &'static str,
    pub not_found_title: &'static str,
    pub not_found_body: &'static str,
    pub too_many_title: &'static str,
    pub too_many_body: &'static str,
    pub too_large_title: &'static str,
    pub too_large_body: &'static str,
    pub forbidden_title: &'static str,
    pub forbidden_body: &'static str,
    pub error_title: &'static str,
    pub error_body: &'static str,
    pub choose_one: &'static str,
    pub choose_any: &'static str,
    pub yes_ok: &'static str,
    pub months: [&'static str; 12],
}

/// Indonesian, the default.
pub const INDONESIAN: Texts = Texts {
    code: "id",
    other_name: "English",
    other_code: "en",
    greeting: "Halo, {name}!",
    greeting_anonymous: "Halo!",
    consent_title: "Sebelum mulai",
    consent_what: "Kami akan bertanya tentang pekerjaan, penghasilan, jaminan sosial dan pendapat Anda tentang program pelatihan.",
    consent_why: "Jawaban Anda dipakai untuk menilai dan memperbaiki program. Laporan untuk donor hanya berisi angka gabungan, tanpa nama, NIK atau nomor HP.",
    consent_retention: "Data pribadi Anda disimpan paling lama {months} bulan setelah survei terakhir, lalu dihapus.",
    consent_rights: "Ikut survei ini sukarela. Anda boleh melewati atau berhenti kapan saja, dan boleh meminta data Anda dilihat, diperbaiki atau dihapus.",
    consent_question: "Apakah Anda bersedia mengisi survei ini?",
    assisted_notice: "Petugas {officer} mengisi survei ini atas nama peserta, melalui telepon. Petugas: bacakan seluruh teks persetujuan di bawah ini kepada peserta, lalu catat jawaban peserta sendiri.",
    accept: "Ya, saya bersedia",
    decline: "Tidak, terima kasih",
    declined_title: "Terima kasih",
    declined_body: "Anda memilih tidak mengisi survei ini. Pilihan Anda sudah kami catat dan kami tidak akan mengirim pengingat untuk survei ini.",
    reconsider: "Berubah pikiran? Isi survei sekarang",
    next: "Lanjut",
    back: "Kembali",
    progress: "{n} dari {total}",
    errors_title: "Ada yang perlu diperbaiki",
    review_title: "Periksa jawaban Anda",
    review_intro: "Periksa jawaban di bawah. Tekan \u{201c}Ubah\u{201d} untuk memperbaiki, lalu tekan \u{201c}Kirim jawaban\u{201d}.",
    review_missing: "Beberapa pertanyaan masih perlu dijawab:",
    change: "Ubah",
    not_answered: "(tidak dijawab)",
    submit: "Kirim jawaban",
    thanks_title: "Terima kasih!",
    thanks_body: "Jawaban Anda sudah kami terima. Anda boleh menutup halaman ini.",
    received: "Jawaban Anda diterima pada {date}.",
    closed_title: "Survei sudah ditutup",
    closed_body: "Maaf, waktu untuk mengisi survei ini sudah habis.",
    contact: "Jika ada pertanyaan, hubungi: {contact}",
    stale_title: "Survei ini dilanjutkan di tempat lain",
    stale_body: "Survei ini sudah diisi lebih lanjut di jendela atau perangkat lain. Berikut isian terbaru; jawaban Anda yang tadi belum disimpan.",
    not_found_title: "Halaman tidak ditemukan",
    not_found_body: "Alamat ini tidak ada. Periksa kembali tautan yang Anda terima.",
    too_many_title: "Terlalu banyak permintaan",
    too_many_body: "Silakan tunggu sebentar, lalu coba lagi.",
    too_large_title: "Isian terlalu panjang",
    too_large_body: "Jawaban yang dikirim terlalu panjang. Persingkat jawaban Anda, lalu coba lagi.",
    forbidden_title: "Tidak diizinkan",
    forbidden_body: "Permintaan ini ditolak. Buka kembali tautan survei Anda dan coba lagi.",
    error_title: "Maaf, ada gangguan",
    error_body: "Jawaban Anda yang sudah tersimpan aman. Silakan coba lagi sebentar lagi.",
    choose_one: "Pilih satu",
    choose_any: "Boleh pilih lebih dari satu",
    yes_ok: "Ya",
    months: crate::roster::INDONESIAN_MONTHS,
};

/// English.
pub const ENGLISH: Texts = Texts {
    code: "en",
    other_name: "Bahasa Indonesia",
    other_code: "id",
    greeting: "Hello, {name}!",
    greeting_anonymous: "Hello!",
    consent_title: "Before we start",
    consent_what: "We will ask about your work, your income, social security and what you think of the training programme.",
    consent_why: "Your answers are used to judge and improve the programme. Reports for donors only contain combined figures, never names, NIK or phone numbers.",
    consent_retention: "Your personal data is kept for at most {months} months after the last survey, then erased.",
    consent_rights: "Taking part is voluntary. You may skip or stop at any time, and you may ask to see, correct or erase your data.",
    consent_question: "Are you willing to answer this survey?",
    assisted_notice: "Officer {officer} is filling in this survey on the participant's behalf, over the phone. Officer: read all of the consent text below aloud to the participant, then record the participant's own answer.",
    accept: "Yes, I agree",
    decline: "No, thank you",
    declined_title: "Thank you",
    declined_body: "You chose not to answer this survey. We have recorded your choice and will not send reminders for this survey.",
    reconsider: "Changed your mind? Answer the survey now",
    next: "Next",
    back: "Back",
    progress: "{n} of {total}",
    errors_title: "Please correct the following",
    review_title: "Check your answers",
    review_intro: "Check the answers below. Press \u{201c}Change\u{201d} to correct one, then press \u{201c}Send answers\u{201d}.",
    review_missing: "Some questions still need an answer:",
    change: "Change",
    not_answered: "(not answered)",
    submit: "Send answers",
    thanks_title: "Thank you!",
    thanks_body: "We have received your answers. You may close this page.",
    received: "Your answers were received on {date}.",
    closed_title: "This survey is closed",
    closed_body: "Sorry, the time to answer this survey has passed.",
    contact: "If you have questions, contact: {contact}",
    stale_title: "This survey was continued elsewhere",
    stale_body: "This survey was continued in another window or on another device. Here is the latest version; the answers you just sent were not saved.",
    not_found_title: "Page not found",
    not_found_body: "This address does not exist. Please check the link you received.",
    too_many_title: "Too many requests",
    too_many_body: "Please wait a moment and try again.",
    too_large_title: "Answer too long",
    too_large_body: "What was sent is too long. Please shorten your answer and try again.",
    forbidden_title: "Not allowed",
    forbidden_body: "This request was refused. Open your survey link again and retry.",
    error_title: "Sorry, something went wrong",
    error_body: "The answers you saved are safe. Please try again in a moment.",
    choose_one: "Choose one",
    choose_any: "You may choose more than one",
    yes_ok: "Yes",
    months: crate::roster::ENGLISH_MONTHS,
};

/// The texts for a language code: English for `en`, Indonesian for anything else.
pub fn texts(code: &str) -> &'static Texts {
    if code.eq_ignore_ascii_case("en") {
        &ENGLISH
    } else {
        &INDONESIAN
    }
}

/// A supported language code from user input (`?lang=`), if it is one.
pub fn parse_language(code: &str) -> Option<&'static str> {
    match code.to_ascii_lowercase().as_str() {
        "id" => Some("id"),
        "en" => Some("en"),
        _ => None,
    }
}

impl Texts {
    /// `24 November 2026` in this language.
    pub fn date(&self, date: NaiveDate) -> String {
        format!(
            "{} {} {}",
            date.day(),
            self.months[date.month0() as usize],
            date.year()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_in_each_language() {
        let day = NaiveDate::from_ymd_opt(2026, 8, 17).unwrap();
        assert_eq!(INDONESIAN.date(day), "17 Agustus 2026");
        assert_eq!(ENGLISH.date(day), "17 August 2026");
        assert_eq!(texts("EN").code, "en");
        assert_eq!(texts("fr").code, "id");
        assert_eq!(parse_language("En"), Some("en"));
        assert_eq!(parse_language("xx"), None);
    }
}
