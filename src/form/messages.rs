//! The messages a participant sees when an answer is refused and the form has no message of its
//! own: Indonesian, and English for forms whose language is English.

use super::model::Language;

/// Default validation messages in one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Messages {
    /// A required question left empty.
    pub required: &'static str,
    /// A constraint that is not met.
    pub constraint: &'static str,
    /// An `integer` answer that is not a whole number.
    pub integer: &'static str,
    /// A `decimal` answer that is not a number.
    pub number: &'static str,
    /// A `date` answer that is not a date.
    pub date: &'static str,
    /// A select answer that is not among the choices offered.
    pub choice: &'static str,
}

/// Indonesian, the default: participants are Indonesian workers.
pub const INDONESIAN: Messages = Messages {
    required: "Pertanyaan ini wajib diisi",
    constraint: "Isian tidak sesuai",
    integer: "Masukkan bilangan bulat",
    number: "Masukkan angka",
    date: "Masukkan tanggal dengan format tahun-bulan-tanggal, misalnya 2025-01-31",
    choice: "Pilih salah satu jawaban yang tersedia",
};

/// English.
pub const ENGLISH: Messages = Messages {
    required: "This question is required",
    constraint: "Answer not accepted",
    integer: "Enter a whole number",
    number: "Enter a number",
    date: "Enter a date as year-month-day, for example 2025-01-31",
    choice: "Choose one of the answers offered",
};

/// The default messages for `language`: English when it is English, Indonesian otherwise.
pub fn messages_for(language: &Language) -> &'static Messages {
    let english = language.code.as_deref() == Some("en")
        || language.name.to_lowercase().starts_with("english");
    if english { &ENGLISH } else { &INDONESIAN }
}
