//! What a report says, as plain values: the pipeline fills a [`Report`] from the database, and
//! the workbook writer and the report emails turn it into files and messages.
//!
//! Domain code: no database, clock or network here. Everything a donor may see is in the
//! [`Report`] itself; what only programme staff may see (names, phones, personal links,
//! per-participant flags, import errors) is in [`ManagerExtras`], which the donor variant never
//! reads. Text that came from a roster or a respondent is carried as [`Datum::Text`] and must be
//! written as text, never as a formula.

mod participant_table;

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};

use crate::config::{IndicatorFormat, IndicatorKind, WorkbookVariant};
use crate::indicators::IndicatorResult;

pub use participant_table::{
    Cell, EncodedRows, Extent, LONG_TEXT, MARK, ParticipantTable, Row, Rows, longest_line,
};

/// Everything one report run shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Programme name, for the cover.
    pub programme: String,
    /// Country the programme runs in.
    pub country: String,
    /// When the report was made, in the programme's time zone.
    pub run_at: NaiveDateTime,
    /// First and last day the figures cover (first invitation or import to the run date).
    pub period: (NaiveDate, NaiveDate),
    /// Programme languages, the default first (`id`, `en`).
    pub languages: Vec<String>,
    /// Roster files the figures are built from.
    pub sources: Vec<SourceFile>,
    /// Cells counting fewer participants than this are suppressed.
    pub suppression_threshold: usize,
    /// Dimensions of the disaggregation tables, in table order.
    pub disaggregations: Vec<String>,
    /// Every configured indicator, computed: one entry per indicator and wave.
    pub indicators: Vec<IndicatorFigures>,
    /// Response funnel, one row per wave in configuration order.
    pub funnel: Vec<WaveFunnel>,
    /// Training attendance by age group (and a row for everyone, `age_group` None).
    pub attendance: Vec<AttendanceRow>,
    /// Pseudonymised participant-level data: no name, NIK, phone, email, exact birth date or
    /// free text.
    pub participants: ParticipantTable,
    /// Every question of the forms in use, in both languages.
    pub dictionary: Vec<DictionaryEntry>,
    /// Minimum wages used, with how certain each figure is.
    pub minimum_wages: Vec<MinimumWageNote>,
    /// Data-quality flags counted by code and wave (no participant named).
    pub quality: Vec<QualityCount>,
    /// What only programme staff see; None in a report built for donors.
    pub manager: Option<ManagerExtras>,
}

/// One roster file behind the figures.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceFile {
    /// File name as dropped or uploaded.
    pub file_name: String,
    /// SHA-256 of its bytes, hex.
    pub content_hash: String,
    /// When it was imported (programme time zone).
    pub imported_at: NaiveDateTime,
    /// Rows read from it.
    pub rows: usize,
}

/// One indicator over one wave (or over the roster).
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorFigures {
    /// Indicator id from the configuration.
    pub id: String,
    /// Label per language code.
    pub label: BTreeMap<String, String>,
    /// Definition per language code, for the methodology sheet.
    pub definition: BTreeMap<String, String>,
    /// How it is computed.
    pub kind: IndicatorKind,
    /// How its values are shown (count, percent, Rupiah, number).
    pub format: IndicatorFormat,
    /// The wave it is computed for; None for roster indicators.
    pub wave: Option<String>,
    /// Baseline and target from the configuration, in the indicator's unit.
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    /// The figures, already suppressed.
    pub result: IndicatorResult,
}

/// How far participants got in one wave.
#[derive(Debug, Clone, PartialEq)]
pub struct WaveFunnel {
    pub wave: String,
    pub invited: usize,
    pub opened: usize,
    pub consented: usize,
    pub declined: usize,
    pub submitted: usize,
    /// Window closed without a response.
    pub expired: usize,
}

/// Training attendance of one age group: enrolled, then attended each session in turn.
#[derive(Debug, Clone, PartialEq)]
pub struct AttendanceRow {
    /// None for the row over everyone.
    pub age_group: Option<String>,
    pub enrolled: usize,
    /// Participants who attended session 1, 2, … (index 0 is session 1).
    pub sessions: Vec<usize>,
    /// Participants who attended every session.
    pub completed: usize,
    /// Whether the row's counts are hidden (fewer participants than the threshold).
    pub suppressed: bool,
}

/// How a participant-sheet column is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnFormat {
    Text,
    Integer,
    Number,
    Rupiah,
    Percent,
    Date,
}

/// One column of the participant sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Field name (`pseudonym`, `age_group`, `m6.income_total`).
    pub name: String,
    /// Header per language code; the name when a language has none.
    pub label: BTreeMap<String, String>,
    pub format: ColumnFormat,
}

impl Column {
    /// A column without headers of its own: every language shows its name.
    pub fn unlabelled(name: impl Into<String>, format: ColumnFormat) -> Self {
        Column {
            name: name.into(),
            label: BTreeMap::new(),
            format,
        }
    }
}

/// One cell value. Text is written as text whatever it looks like (`=HYPERLINK(…)` stays a
/// string).
#[derive(Debug, Clone, PartialEq)]
pub enum Datum {
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
}

/// One question of a form, for the data dictionary.
#[derive(Debug, Clone, PartialEq)]
pub struct DictionaryEntry {
    /// Form file name.
    pub form: String,
    /// Waves using the form.
    pub waves: Vec<String>,
    /// Field name.
    pub name: String,
    /// XLSForm type (`select_one yes_no`, `integer`).
    pub kind: String,
    /// Label per language code.
    pub label: BTreeMap<String, String>,
    /// Choices: name and label per language code.
    pub choices: Vec<(String, BTreeMap<String, String>)>,
    /// Whether its answers are in the participant sheet (free text is not).
    pub in_participant_sheet: bool,
}

/// One minimum wage used by the indicators.
#[derive(Debug, Clone, PartialEq)]
pub struct MinimumWageNote {
    pub province: String,
    pub year: i32,
    /// Monthly amount in Rupiah.
    pub amount: i64,
    /// `verified`, `UNVERIFIED` or `CONFLICT`, as in the reference data.
    pub certainty: String,
    /// Where the figure comes from.
    pub source: String,
}

/// Data-quality flags of one kind.
#[derive(Debug, Clone, PartialEq)]
pub struct QualityCount {
    /// Stable code (`income_implausible`, `out_of_window`).
    pub code: String,
    /// None for roster-level flags.
    pub wave: Option<String>,
    pub count: usize,
    /// What the code means, per language code.
    pub meaning: BTreeMap<String, String>,
}

/// What programme staff need to act and donors must never see.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ManagerExtras {
    /// Open invitations without a response, most at risk first.
    pub non_respondents: Vec<NonRespondent>,
    /// Every data-quality flag with the participant it is about.
    pub flags: Vec<FlagRow>,
    /// Problems of roster imports that were rejected or warned.
    pub import_problems: Vec<ImportProblemRow>,
}

/// An invited participant who has not answered.
#[derive(Debug, Clone, PartialEq)]
pub struct NonRespondent {
    pub participant_key: String,
    pub name: String,
    /// Normalised `62…`, empty when unknown.
    pub phone: String,
    pub wave: String,
    /// Invitation status (`issued`, `sent`, `opened`, `declined`).
    pub status: String,
    pub days_since_invited: i64,
    /// The personal survey link.
    pub link: String,
    /// Click-to-chat link with the Indonesian message, empty without a phone.
    pub whatsapp: String,
}

/// One data-quality flag.
#[derive(Debug, Clone, PartialEq)]
pub struct FlagRow {
    pub participant_key: String,
    pub pseudonym: String,
    pub wave: Option<String>,
    pub code: String,
    pub reason: String,
}

/// One problem found importing a roster file.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportProblemRow {
    pub file_name: String,
    pub sheet: String,
    /// 1-based spreadsheet row, None for problems with the whole file.
    pub row: Option<u32>,
    pub column: String,
    pub message: String,
    /// `error` (row rejected) or `warning`.
    pub severity: String,
}

impl Report {
    /// Whether this report may carry personal data for `variant`: the manager extras are
    /// only ever written in the manager workbook.
    pub fn shows_personal_data(&self, variant: WorkbookVariant) -> bool {
        matches!(variant, WorkbookVariant::Manager) && self.manager.is_some()
    }
}
