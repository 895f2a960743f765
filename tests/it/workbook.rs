//! Donor and manager workbooks written from a hand-built report, read back with calamine cell
//! by cell, checked for personal data and formulas, and converted by LibreOffice.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use calamine::{Data, Range, Reader, Xlsx, open_workbook};
use chrono::{NaiveDate, NaiveDateTime};
use pantau::config::{IndicatorFormat, IndicatorKind, WorkbookVariant};
use pantau::indicators::{Breakdown, Figure, IndicatorResult};
use pantau::report::{
    AttendanceRow, Column, ColumnFormat, Datum, DictionaryEntry, FlagRow, ImportProblemRow,
    IndicatorFigures, ManagerExtras, MinimumWageNote, NonRespondent, ParticipantTable,
    QualityCount, Report, SourceFile, WaveFunnel,
};
use pantau::workbook::{Layout, file_name, write, write_with};

/// Texts a respondent or a roster could send that a spreadsheet might run as a formula.
const HOSTILE: [&str; 4] = [
    "=HYPERLINK(\"http://x\",\"y\")",
    "+cmd|' /C calc'!A0",
    "@SUM(1)",
    "-1+1",
];

fn labels(indonesian: &str, english: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("id".to_string(), indonesian.to_string()),
        ("en".to_string(), english.to_string()),
    ])
}

fn shown(value: f64, n: usize) -> Figure {
    Figure {
        value: Some(value),
        numerator: n,
        n,
        suppressed: false,
    }
}

fn hidden(n: usize) -> Figure {
    Figure {
        value: None,
        numerator: 0,
        n,
        suppressed: true,
    }
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap()
}

fn at(year: i32, month: u32, day: u32, hour: u32) -> NaiveDateTime {
    date(year, month, day).and_hms_opt(hour, 0, 0).unwrap()
}

/// Breakdowns by sex (with an unknown category) and by age group (two cells suppressed, the
/// small one and its complement), the values scaled by `scale`.
fn breakdowns(scale: f64) -> Vec<Breakdown> {
    vec![
        Breakdown {
            dimension: "sex".to_string(),
            cells: vec![
                (Some("L".to_string()), shown(2.0 * scale, 22)),
                (Some("P".to_string()), shown(3.0 * scale, 21)),
                (None, shown(2.5 * scale, 7)),
            ],
        },
        Breakdown {
            dimension: "age_group".to_string(),
            cells: vec![
                (Some("30-39".to_string()), shown(2.2 * scale, 20)),
                (Some("40-49".to_string()), hidden(6)),
                (Some("50+".to_string()), hidden(3)),
                (Some("<30".to_string()), shown(2.8 * scale, 21)),
            ],
        },
    ]
}

#[allow(clippy::too_many_arguments)] // A table row of the test report reads best inline.
fn indicator(
    id: &str,
    label: (&str, &str),
    kind: IndicatorKind,
    format: IndicatorFormat,
    wave: Option<&str>,
    overall: Figure,
    scale: f64,
    targets: (Option<f64>, Option<f64>),
) -> IndicatorFigures {
    IndicatorFigures {
        id: id.to_string(),
        label: labels(label.0, label.1),
        definition: labels(&format!("Definisi {id}"), &format!("Definition of {id}")),
        kind,
        format,
        wave: wave.map(str::to_string),
        baseline: targets.0,
        target: targets.1,
        result: IndicatorResult {
            overall,
            breakdowns: breakdowns(scale),
        },
    }
}

fn indicators() -> Vec<IndicatorFigures> {
    use IndicatorFormat::{Number, Percent, Rupiah};
    use IndicatorKind::{Count, Median, Share};
    let mut all = vec![
        indicator(
            "enrolled",
            ("Peserta terdaftar", "Participants enrolled"),
            Count,
            Number,
            None,
            shown(50.0, 50),
            10.0,
            (None, Some(60.0)),
        ),
        indicator(
            "pre_layoff_wage_median",
            ("Median upah sebelum PHK", "Median wage before layoff"),
            Median,
            Rupiah,
            None,
            shown(4_500_000.0, 50),
            1_500_000.0,
            (None, None),
        ),
    ];
    for (wave, income, rate) in [("baseline", 1_800_000.0, 0.9), ("m3", 2_700_000.0, 0.62)] {
        all.push(indicator(
            "income_median",
            ("Median pendapatan bulanan", "Median monthly income"),
            Median,
            Rupiah,
            Some(wave),
            shown(income, 40),
            income / 2.5,
            (None, None),
        ));
        all.push(indicator(
            "bpjs_registered",
            (
                "Terdaftar BPJS Ketenagakerjaan",
                "Registered with BPJS Ketenagakerjaan",
            ),
            Share,
            Percent,
            Some(wave),
            shown(rate / 2.0, 40),
            rate / 6.0,
            (Some(0.2), Some(0.6)),
        ));
        all.push(indicator(
            "response_rate",
            ("Tingkat respons", "Response rate"),
            Share,
            Percent,
            Some(wave),
            shown(rate, 50),
            rate / 3.0,
            (Some(0.5), Some(0.8)),
        ));
    }
    all.push(indicator(
        "resell_income_median",
        (
            "Median pendapatan reseller aktif",
            "Median reselling income",
        ),
        Median,
        Rupiah,
        Some("m3"),
        hidden(4),
        1_000_000.0,
        (None, None),
    ));
    all
}

fn participants(rows: usize) -> ParticipantTable {
    let columns = vec![
        ("pseudonym", "Pseudonim", "Pseudonym", ColumnFormat::Text),
        ("sex", "Jenis kelamin", "Sex", ColumnFormat::Text),
        (
            "age_group",
            "Kelompok umur",
            "Age group",
            ColumnFormat::Text,
        ),
        (
            "enrolled_on",
            "Tanggal daftar",
            "Enrolled on",
            ColumnFormat::Date,
        ),
        (
            "sessions",
            "Sesi dihadiri",
            "Sessions attended",
            ColumnFormat::Integer,
        ),
        (
            "m3.income_total",
            "Pendapatan m3",
            "Income m3",
            ColumnFormat::Rupiah,
        ),
        (
            "m3.share_resell",
            "Porsi reseller",
            "Reselling share",
            ColumnFormat::Percent,
        ),
        (
            "m3.hours",
            "Jam kerja",
            "Hours worked",
            ColumnFormat::Number,
        ),
    ]
    .into_iter()
    .map(|(name, indonesian, english, format)| Column {
        name: name.to_string(),
        label: labels(indonesian, english),
        format,
    })
    .collect();
    let rows = (1..=rows).map(|index| {
        vec![
            Datum::Text(format!("P-{index:04}")),
            Datum::Text(if index.is_multiple_of(2) { "P" } else { "L" }.to_string()),
            Datum::Text(["<30", "30-39", "40-49", "50+"][index % 4].to_string()),
            Datum::Date(date(2026, 1, 1 + (index % 28) as u32)),
            Datum::Number((index % 4) as f64),
            if index.is_multiple_of(5) {
                Datum::Empty
            } else {
                Datum::Number(1_000_000.0 + 50_000.0 * index as f64)
            },
            Datum::Number(0.25),
            Datum::Number(37.5),
        ]
    });
    ParticipantTable::from_rows(columns, rows)
}

fn dictionary() -> Vec<DictionaryEntry> {
    vec![
        DictionaryEntry {
            form: "followup.xlsx".to_string(),
            waves: vec!["m3".to_string(), "m6".to_string()],
            name: "work_status".to_string(),
            kind: "select_one work_status".to_string(),
            label: labels("Status pekerjaan saat ini", "Current work status"),
            choices: vec![
                (
                    "wage".to_string(),
                    labels("Bekerja dengan upah", "Wage job"),
                ),
                (
                    "self".to_string(),
                    labels("Usaha sendiri / reseller", "Own business / reseller"),
                ),
            ],
            in_participant_sheet: true,
        },
        DictionaryEntry {
            form: "followup.xlsx".to_string(),
            waves: vec!["m3".to_string()],
            name: "help_most".to_string(),
            kind: "text".to_string(),
            label: labels("Apa yang paling membantu?", "What would help most?"),
            choices: vec![],
            in_participant_sheet: false,
        },
    ]
}

/// Personal data the manager extras carry and no donor cell may hold.
const NAMES: [&str; 2] = ["Siti Rahayu Wulandari", "Bambang Hadi Susanto"];
const PHONES: [&str; 2] = ["6281234567890", "6285712345678"];
const NIK: &str = "3201234567890001";
const EMAIL: &str = "bambang.susanto@example.org";
const LINKS: [&str; 2] = [
    "http://127.0.0.1:8080/s/Qm9ndXNUb2tlbkZvclNpdGk",
    "https://wa.me/6281234567890?text=Halo%20Siti%2C%20survei%20Anda",
];

fn manager_extras() -> ManagerExtras {
    ManagerExtras {
        non_respondents: vec![
            NonRespondent {
                participant_key: "nik:3201…0001".to_string(),
                name: NAMES[0].to_string(),
                phone: PHONES[0].to_string(),
                wave: "m3".to_string(),
                status: "sent".to_string(),
                days_since_invited: 12,
                link: LINKS[0].to_string(),
                whatsapp: LINKS[1].to_string(),
            },
            NonRespondent {
                participant_key: "phone:6285712345678".to_string(),
                name: NAMES[1].to_string(),
                phone: PHONES[1].to_string(),
                wave: "m3".to_string(),
                status: "opened".to_string(),
                days_since_invited: 3,
                // Not a plain web link: must stay text, never a live hyperlink.
                link: "javascript:alert(1)".to_string(),
                whatsapp: String::new(),
            },
        ],
        flags: vec![FlagRow {
            participant_key: "nik:3201…0001".to_string(),
            pseudonym: "P-0001".to_string(),
            wave: Some("m3".to_string()),
            code: "income_implausible".to_string(),
            reason: format!("NIK {NIK}: income 950,000,000 above the plausible maximum"),
        }],
        import_problems: vec![
            ImportProblemRow {
                file_name: "roster-bekasi.xlsx".to_string(),
                sheet: "Peserta".to_string(),
                row: Some(14),
                column: "Email".to_string(),
                message: format!("{EMAIL}x is not an email address"),
                severity: "warning".to_string(),
            },
            ImportProblemRow {
                file_name: "roster-sukabumi.csv".to_string(),
                sheet: String::new(),
                row: None,
                column: String::new(),
                message: "no header row found".to_string(),
                severity: "error".to_string(),
            },
        ],
    }
}

/// The realistic report: every section filled, manager extras included.
fn report() -> Report {
    Report {
        programme: "Promise II Impact".to_string(),
        country: "Indonesia".to_string(),
        run_at: at(2026, 11, 29, 7),
        period: (date(2026, 1, 5), date(2026, 11, 29)),
        languages: vec!["id".to_string(), "en".to_string()],
        sources: vec![
            SourceFile {
                file_name: "roster-bekasi.xlsx".to_string(),
                content_hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
                    .to_string(),
                imported_at: at(2026, 1, 5, 9),
                rows: 30,
            },
            SourceFile {
                file_name: "roster-sukabumi.csv".to_string(),
                content_hash: "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"
                    .to_string(),
                imported_at: at(2026, 1, 6, 10),
                rows: 20,
            },
        ],
        suppression_threshold: 5,
        disaggregations: vec!["sex".to_string(), "age_group".to_string()],
        indicators: indicators(),
        funnel: ["baseline", "m3", "m6"]
            .iter()
            .zip([(50, 45), (48, 30), (47, 21)])
            .map(|(wave, (invited, submitted))| WaveFunnel {
                wave: wave.to_string(),
                invited,
                opened: submitted + 8,
                consented: submitted + 2,
                declined: 1,
                submitted,
                expired: invited - submitted - 1,
            })
            .collect(),
        attendance: vec![
            AttendanceRow {
                age_group: None,
                enrolled: 50,
                sessions: vec![48, 30, 29],
                completed: 27,
                suppressed: false,
            },
            AttendanceRow {
                age_group: Some("40-49".to_string()),
                enrolled: 20,
                sessions: vec![19, 11, 10],
                completed: 9,
                suppressed: false,
            },
            AttendanceRow {
                age_group: Some("50+".to_string()),
                enrolled: 3,
                sessions: vec![3, 2, 2],
                completed: 2,
                suppressed: true,
            },
        ],
        participants: participants(50),
        dictionary: dictionary(),
        minimum_wages: vec![
            MinimumWageNote {
                province: "Jawa Barat".to_string(),
                year: 2026,
                amount: 2_317_601,
                certainty: "verified".to_string(),
                source: "Kepgub Jabar 2025".to_string(),
            },
            MinimumWageNote {
                province: "Banten".to_string(),
                year: 2026,
                amount: 3_100_881,
                certainty: "UNVERIFIED".to_string(),
                source: "news report".to_string(),
            },
            MinimumWageNote {
                province: "Papua Pegunungan".to_string(),
                year: 2026,
                amount: 4_285_848,
                certainty: "CONFLICT".to_string(),
                source: "two decrees disagree".to_string(),
            },
        ],
        quality: vec![
            QualityCount {
                code: "income_implausible".to_string(),
                wave: Some("m3".to_string()),
                count: 2,
                meaning: labels("Pendapatan tidak wajar", "Implausible income"),
            },
            QualityCount {
                code: "duplicate_phone".to_string(),
                wave: None,
                count: 1,
                meaning: labels("Nomor telepon ganda", "Phone shared by two people"),
            },
        ],
        manager: Some(manager_extras()),
    }
}

/// A workbook read back: every sheet's values and formulas, in sheet order.
struct ReadBack {
    sheets: Vec<(String, Range<Data>)>,
    formulas: Vec<(String, Range<String>)>,
}

impl ReadBack {
    fn open(path: &Path) -> ReadBack {
        let mut workbook: Xlsx<_> =
            open_workbook(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let names = workbook.sheet_names();
        let sheets = names
            .iter()
            .map(|name| (name.clone(), workbook.worksheet_range(name).unwrap()))
            .collect();
        let formulas = names
            .iter()
            .map(|name| (name.clone(), workbook.worksheet_formula(name).unwrap()))
            .collect();
        ReadBack { sheets, formulas }
    }

    fn names(&self) -> Vec<&str> {
        self.sheets.iter().map(|(name, _)| name.as_str()).collect()
    }

    fn sheet(&self, name: &str) -> &Range<Data> {
        self.sheets
            .iter()
            .find(|(candidate, _)| candidate == name)
            .map(|(_, range)| range)
            .unwrap_or_else(|| panic!("no sheet {name:?} in {:?}", self.names()))
    }

    fn cell(&self, sheet: &str, row: u32, column: u32) -> Data {
        self.sheet(sheet)
            .get_value((row, column))
            .cloned()
            .unwrap_or(Data::Empty)
    }

    /// Row index of the first row whose column A is `key` and column C is `wave`.
    fn row_of(&self, sheet: &str, key: &str, wave: &str) -> u32 {
        let range = self.sheet(sheet);
        (0..range.height() as u32)
            .find(|row| {
                self.cell(sheet, *row, 0) == Data::String(key.to_string())
                    && matches!(self.cell(sheet, *row, 2), Data::String(w) if w == wave)
            })
            .unwrap_or_else(|| panic!("no row {key} {wave} in {sheet}"))
    }

    /// Column index of the header `header` in row `row`.
    fn column_of(&self, sheet: &str, row: u32, header: &str) -> u32 {
        let range = self.sheet(sheet);
        (0..range.width() as u32)
            .find(|column| self.cell(sheet, row, *column) == Data::String(header.to_string()))
            .unwrap_or_else(|| panic!("no header {header:?} in {sheet}"))
    }

    /// Every cell of every sheet as text, with its place.
    fn all_text(&self) -> Vec<(String, String)> {
        self.sheets
            .iter()
            .flat_map(|(name, range)| {
                range.used_cells().map(move |(row, column, value)| {
                    (
                        format!("{name}!R{}C{}", row + 1, column + 1),
                        value.to_string(),
                    )
                })
            })
            .collect()
    }

    fn formula_count(&self) -> usize {
        self.formulas
            .iter()
            .map(|(_, range)| range.used_cells().filter(|(_, _, f)| !f.is_empty()).count())
            .sum()
    }
}

struct Written {
    _dir: tempfile::TempDir,
    donor: PathBuf,
    manager: PathBuf,
}

/// Writes the donor workbook in English and the manager workbook in Indonesian, long tables
/// split every 20 rows.
fn write_both(report: &Report) -> Written {
    let dir = tempfile::tempdir().unwrap();
    let donor = dir.path().join(file_name(report, WorkbookVariant::Donor));
    let manager = dir.path().join(file_name(report, WorkbookVariant::Manager));
    let layout = Layout { rows_per_sheet: 20 };
    write_with(report, WorkbookVariant::Donor, "en", &donor, layout).unwrap();
    write_with(report, WorkbookVariant::Manager, "id", &manager, layout).unwrap();
    Written {
        _dir: dir,
        donor,
        manager,
    }
}

fn text(value: &str) -> Data {
    Data::String(value.to_string())
}

#[test]
fn both_variants_have_their_sheets_in_the_workbooks_language() {
    let written = write_both(&report());
    assert!(written.donor.ends_with("pantau-donor-2026-11-29.xlsx"));
    let donor = ReadBack::open(&written.donor);
    assert_eq!(
        donor.names(),
        [
            "Cover",
            "Logframe",
            "By sex",
            "By age_group",
            "Response",
            "Attendance",
            "Charts",
            "Participants 1",
            "Participants 2",
            "Participants 3",
            "Data dictionary",
            "Methodology",
            "Minimum wages",
            "Data quality",
        ]
    );
    let manager = ReadBack::open(&written.manager);
    assert_eq!(
        manager.names(),
        [
            "Sampul",
            "Logframe",
            "Per sex",
            "Per age_group",
            "Respons",
            "Kehadiran",
            "Grafik",
            "Peserta 1",
            "Peserta 2",
            "Peserta 3",
            "Kamus data",
            "Metodologi",
            "Upah minimum",
            "Kualitas data",
            "Belum merespons",
            "Tanda kualitas",
            "Masalah impor",
        ]
    );
    assert_eq!(donor.cell("Logframe", 0, 0), text("Indicator"));
    assert_eq!(manager.cell("Logframe", 0, 0), text("Indikator"));
    assert_eq!(donor.cell("Cover", 3, 1), text("Promise II Impact"));
    let sources = (0..20)
        .find(|row| donor.cell("Cover", *row, 0) == text("roster-bekasi.xlsx"))
        .expect("the first source file on the cover");
    assert_eq!(donor.cell("Cover", sources, 1), text("9f86d081884c"));
    assert_eq!(donor.cell("Cover", sources, 3), Data::Float(30.0));
    // The run date is a date, not text.
    assert!(matches!(donor.cell("Cover", 6, 1), Data::DateTime(_)));
}

#[test]
fn logframe_and_disaggregations_carry_the_figures_and_hide_small_cells() {
    let written = write_both(&report());
    let donor = ReadBack::open(&written.donor);
    let manager = ReadBack::open(&written.manager);

    // Logframe: A id, B label, C wave, D baseline, E target, F actual, G numerator, H n.
    assert_eq!(donor.cell("Logframe", 1, 0), text("enrolled"));
    assert_eq!(donor.cell("Logframe", 1, 1), text("Participants enrolled"));
    assert_eq!(manager.cell("Logframe", 1, 1), text("Peserta terdaftar"));
    assert_eq!(donor.cell("Logframe", 1, 4), Data::Float(60.0));
    assert_eq!(donor.cell("Logframe", 1, 5), Data::Float(50.0));
    let rate = donor.row_of("Logframe", "response_rate", "m3");
    assert_eq!(donor.cell("Logframe", rate, 3), Data::Float(0.5));
    assert_eq!(donor.cell("Logframe", rate, 4), Data::Float(0.8));
    assert_eq!(donor.cell("Logframe", rate, 5), Data::Float(0.62));
    assert_eq!(donor.cell("Logframe", rate, 7), Data::Float(50.0));
    let resell = donor.row_of("Logframe", "resell_income_median", "m3");
    for column in 5..8 {
        assert_eq!(donor.cell("Logframe", resell, column), text("suppressed"));
        assert_eq!(
            manager.cell("Logframe", resell, column),
            text("disembunyikan")
        );
    }

    // By sex: a value column and an n column per category, the unknown category last.
    let income = donor.row_of("By sex", "income_median", "m3");
    let women = donor.column_of("By sex", 0, "P");
    assert_eq!(
        donor.cell("By sex", income, women),
        Data::Float(3_240_000.0)
    );
    assert_eq!(donor.cell("By sex", 0, women + 1), text("n (P)"));
    assert_eq!(donor.cell("By sex", income, women + 1), Data::Float(21.0));
    let unknown = donor.column_of("By sex", 0, "(unknown)");
    assert!(unknown > women, "the unknown category comes last");
    assert_eq!(donor.cell("By sex", income, unknown + 1), Data::Float(7.0));
    manager.column_of("Per sex", 0, "(tidak diketahui)");

    // By age group: the small cell and its complement show the word, value and n alike.
    let bpjs = donor.row_of("By age_group", "bpjs_registered", "baseline");
    for category in ["40-49", "50+"] {
        let column = donor.column_of("By age_group", 0, category);
        assert_eq!(donor.cell("By age_group", bpjs, column), text("suppressed"));
        assert_eq!(
            donor.cell("By age_group", bpjs, column + 1),
            text("suppressed")
        );
    }
    let young = donor.column_of("By age_group", 0, "<30");
    let Data::Float(share) = donor.cell("By age_group", bpjs, young) else {
        panic!("a share must be a number");
    };
    assert!((share - 0.42).abs() < 1e-12, "{share}");
}

#[test]
fn funnels_charts_dictionary_and_methodology_read_back() {
    let written = write_both(&report());
    let donor = ReadBack::open(&written.donor);
    let manager = ReadBack::open(&written.manager);

    // Response funnel: invited, …, response rate as a fraction.
    assert_eq!(donor.cell("Response", 2, 0), text("m3"));
    assert_eq!(donor.cell("Response", 2, 1), Data::Float(48.0));
    assert_eq!(donor.cell("Response", 2, 5), Data::Float(30.0));
    assert_eq!(donor.cell("Response", 2, 7), Data::Float(0.625));
    // Attendance: everyone, then the groups; a suppressed group shows the word.
    assert_eq!(donor.cell("Attendance", 0, 4), text("Session 3"));
    assert_eq!(donor.cell("Attendance", 1, 0), text("Everyone"));
    assert_eq!(donor.cell("Attendance", 1, 4), Data::Float(29.0));
    assert_eq!(donor.cell("Attendance", 3, 1), text("suppressed"));

    // Charts: the tables behind them, and three native charts in the file.
    let charts = donor.sheet("Charts");
    assert_eq!(
        donor.cell("Charts", 0, 0),
        text("Income before and after, by sex")
    );
    assert_eq!(
        donor.cell("Charts", 1, 1),
        text("Before: Median wage before layoff")
    );
    assert_eq!(
        donor.cell("Charts", 1, 2),
        text("After: Median monthly income (m3)")
    );
    assert_eq!(donor.cell("Charts", 3, 0), text("P"));
    assert_eq!(donor.cell("Charts", 3, 2), Data::Float(3_240_000.0));
    assert!(
        charts
            .used_cells()
            .any(|(_, _, v)| *v == text("Registered with BPJS Ketenagakerjaan (m3)"))
    );
    let bytes = std::fs::read(&written.donor).unwrap();
    for chart in [
        "xl/charts/chart1.xml",
        "xl/charts/chart2.xml",
        "xl/charts/chart3.xml",
    ] {
        assert!(
            bytes
                .windows(chart.len())
                .any(|window| window == chart.as_bytes()),
            "{chart} missing"
        );
    }

    // Dictionary: both languages side by side whatever the workbook's language.
    for (book, label_header) in [(&donor, "Label (id)"), (&manager, "Label (id)")] {
        let sheet = &book.names()[10];
        let indonesian = book.column_of(sheet, 0, label_header);
        assert_eq!(
            book.cell(sheet, 1, indonesian),
            text("Status pekerjaan saat ini")
        );
        assert_eq!(
            book.cell(sheet, 1, indonesian + 1),
            text("Current work status")
        );
    }
    let choices = donor.column_of("Data dictionary", 0, "Choices (en)");
    assert_eq!(
        donor.cell("Data dictionary", 1, choices),
        text("wage = Wage job\nself = Own business / reseller")
    );

    // Methodology: the rule with its threshold; minimum wages keep their certainty marks.
    assert!(
        donor
            .cell("Methodology", 0, 0)
            .to_string()
            .contains("fewer than 5 participants")
    );
    let marks: Vec<String> = (3..6)
        .map(|row| donor.cell("Minimum wages", row, 3).to_string())
        .collect();
    assert_eq!(marks, ["verified", "UNVERIFIED", "CONFLICT"]);
    assert_eq!(donor.cell("Minimum wages", 4, 2), Data::Float(3_100_881.0));
    assert_eq!(manager.cell("Kualitas data", 2, 1), text("(roster)"));
}

#[test]
fn participant_rows_split_into_numbered_sheets_each_with_the_header() {
    let mut report = report();
    report.participants = participants(45);
    let written = write_both(&report);
    let donor = ReadBack::open(&written.donor);
    let heights: Vec<usize> = ["Participants 1", "Participants 2", "Participants 3"]
        .iter()
        .map(|name| donor.sheet(name).height())
        .collect();
    assert_eq!(heights, [21, 21, 6], "header plus 20, 20 and 5 rows");
    for name in ["Participants 1", "Participants 3"] {
        assert_eq!(donor.cell(name, 0, 0), text("Pseudonym"));
        assert_eq!(donor.cell(name, 0, 5), text("Income m3"));
    }
    assert_eq!(donor.cell("Participants 1", 1, 0), text("P-0001"));
    assert_eq!(donor.cell("Participants 2", 1, 0), text("P-0021"));
    assert_eq!(donor.cell("Participants 3", 5, 0), text("P-0045"));
    assert_eq!(donor.cell("Participants 1", 1, 5), Data::Float(1_050_000.0));
    assert_eq!(
        donor.cell("Participants 1", 5, 5),
        Data::Empty,
        "an empty value stays empty"
    );
    match donor.cell("Participants 1", 1, 3) {
        Data::DateTime(value) => {
            let serial = (date(2026, 1, 2) - date(1899, 12, 30)).num_days() as f64;
            assert_eq!(value.as_f64(), serial);
        }
        other => panic!("a date must be a date, got {other:?}"),
    }

    // Unsplit, the sheet has no number.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one.xlsx");
    write(&report, WorkbookVariant::Donor, "id", &path).unwrap();
    let whole = ReadBack::open(&path);
    assert_eq!(whole.sheet("Peserta").height(), 46);
}

#[test]
fn text_that_looks_like_a_formula_stays_the_same_string() {
    let mut report = report();
    let mut rows = report.participants.to_rows();
    for (index, hostile) in HOSTILE.iter().enumerate() {
        rows[index][1] = Datum::Text(hostile.to_string());
        report.dictionary[0]
            .label
            .insert("en".to_string(), hostile.to_string());
        report.dictionary[1 - index % 2]
            .choices
            .push((format!("c{index}"), labels(hostile, hostile)));
        for figures in &mut report.indicators {
            figures.result.breakdowns[0]
                .cells
                .push((Some(hostile.to_string()), shown(1.0, 9)));
        }
        let extras = report.manager.as_mut().unwrap();
        extras.non_respondents[index % 2].name = hostile.to_string();
        extras.non_respondents[index % 2].link = hostile.to_string();
        extras.import_problems[index % 2].message = hostile.to_string();
    }
    report.participants = ParticipantTable::from_rows(report.participants.columns.clone(), rows);
    // Each hostile text in each place, one workbook per text where a place holds one value.
    for hostile in HOSTILE {
        report.dictionary[0]
            .label
            .insert("en".to_string(), hostile.to_string());
        let extras = report.manager.as_mut().unwrap();
        extras.non_respondents[0].name = hostile.to_string();
        extras.import_problems[0].message = hostile.to_string();
        let written = write_both(&report);
        let donor = ReadBack::open(&written.donor);
        let manager = ReadBack::open(&written.manager);
        assert_eq!(donor.formula_count(), 0, "no formula in the donor workbook");
        assert_eq!(
            manager.formula_count(),
            0,
            "no formula in the manager workbook"
        );

        let position = HOSTILE.iter().position(|h| *h == hostile).unwrap() as u32;
        assert_eq!(donor.cell("Participants 1", position + 1, 1), text(hostile));
        let label = donor.column_of("Data dictionary", 0, "Label (en)");
        assert_eq!(donor.cell("Data dictionary", 1, label), text(hostile));
        let choices = donor.column_of("Data dictionary", 0, "Choices (en)");
        // Even texts were added to the second question's choices, odd ones to the first.
        let question = if position.is_multiple_of(2) { 2 } else { 1 };
        let listed = donor.cell("Data dictionary", question, choices);
        assert!(
            listed.to_string().contains(&format!("= {hostile}")),
            "{listed:?}"
        );
        for expected in HOSTILE {
            donor.column_of("By sex", 0, expected);
            manager.column_of("Per sex", 0, expected);
        }
        assert_eq!(manager.cell("Belum merespons", 1, 1), text(hostile));
        assert_eq!(manager.cell("Masalah impor", 1, 5), text(hostile));
        // A link that is not a plain web address is shown as the same text.
        assert_eq!(manager.cell("Belum merespons", 1, 6), text(HOSTILE[2]));
        assert_eq!(manager.cell("Belum merespons", 2, 6), text(HOSTILE[3]));
    }
}

#[test]
fn no_personal_data_reaches_the_donor_workbook() {
    let report = report();
    let written = write_both(&report);
    let personal: Vec<&str> = NAMES
        .iter()
        .chain(&PHONES)
        .chain(&LINKS)
        .copied()
        .chain([NIK, EMAIL, "javascript:alert(1)"])
        .collect();
    let donor = ReadBack::open(&written.donor);
    for (place, value) in donor.all_text() {
        for item in &personal {
            assert!(
                !value.contains(item),
                "{item:?} in the donor workbook at {place}"
            );
        }
    }
    // The manager workbook does hold them, so the check above can see them.
    let manager = ReadBack::open(&written.manager);
    let everything: Vec<String> = manager.all_text().into_iter().map(|(_, v)| v).collect();
    for item in &personal {
        assert!(
            everything.iter().any(|value| value.contains(item)),
            "{item:?} missing from the manager workbook"
        );
    }
    // The same holds when the donor workbook is written in Indonesian.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("donor-id.xlsx");
    write(&report, WorkbookVariant::Donor, "id", &path).unwrap();
    for (place, value) in ReadBack::open(&path).all_text() {
        for item in &personal {
            assert!(
                !value.contains(item),
                "{item:?} in the donor workbook at {place}"
            );
        }
    }
}

#[test]
fn sheet_names_from_dimensions_are_cleaned_and_unique() {
    let mut report = report();
    report.disaggregations = vec![
        "region/kab:kota".to_string(),
        "confederation federation union sector".to_string(),
        "confederation federation union sector".to_string(),
        "Sex".to_string(),
        "sex".to_string(),
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("names.xlsx");
    write(&report, WorkbookVariant::Donor, "en", &path).unwrap();
    let book = ReadBack::open(&path);
    assert_eq!(
        &book.names()[2..7],
        [
            "By region_kab_kota",
            "By confederation federation uni",
            "By confederation federation (2)",
            "By Sex",
            "By sex (2)",
        ]
    );
    // The last sheet is the "sex" dimension: its figures are there under the cleaned name.
    let income = book.row_of("By sex (2)", "income_median", "m3");
    let women = book.column_of("By sex (2)", 0, "P");
    assert_eq!(
        book.cell("By sex (2)", income, women),
        Data::Float(3_240_000.0)
    );
}

#[test]
fn libreoffice_opens_both_variants_and_prints_them() {
    let written = write_both(&report());
    let office = super::office::program();
    let profile = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    for path in [&written.donor, &written.manager] {
        let output = super::office::convert("pdf", path, out.path(), profile.path());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "{office} failed on {}: {stderr}",
            path.display()
        );
        for problem in ["repair", "corrupt", "general input/output error"] {
            assert!(
                !stderr.to_lowercase().contains(problem),
                "{office} reported a problem with {}: {stderr}",
                path.display()
            );
        }
        let pdf = out
            .path()
            .join(path.file_stem().unwrap())
            .with_extension("pdf");
        let bytes = std::fs::read(&pdf)
            .unwrap_or_else(|e| panic!("no PDF {} ({e}); stderr: {stderr}", pdf.display()));
        assert!(bytes.starts_with(b"%PDF"), "{} is not a PDF", pdf.display());
        assert!(
            bytes.len() > 20_000,
            "{} is only {} bytes",
            pdf.display(),
            bytes.len()
        );
        // And calamine reads every sheet of it.
        let book = ReadBack::open(path);
        assert!(book.names().len() >= 14);
        assert!(book.sheets.iter().all(|(_, range)| !range.is_empty()));
    }
}

/// The text of `part` in the package at `path`.
fn package_part(path: &Path, part: &str) -> String {
    let file = std::fs::File::open(path).unwrap();
    let mut archive = zip::ZipArchive::new(file).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut archive.by_name(part).unwrap(), &mut text).unwrap();
    text
}

/// The value of attribute `name` in the start tag `tag` (cut after its element name).
fn attribute(tag: &str, name: &str) -> Option<String> {
    let tag = format!(" {tag}");
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(tag[start..start + tag[start..].find('"')?].to_string())
}

/// Number format code of each cell style (`cellXfs`) in the package's styles, in index order.
fn style_codes(path: &Path) -> Vec<String> {
    let styles = package_part(path, "xl/styles.xml");
    let mut custom = BTreeMap::new();
    for tag in styles.split("<numFmt ").skip(1) {
        let id = attribute(tag, "numFmtId").unwrap();
        let code = attribute(tag, "formatCode")
            .unwrap()
            .replace("&quot;", "\"");
        custom.insert(id, code);
    }
    let xfs = &styles[styles.find("<cellXfs").unwrap()..styles.find("</cellXfs>").unwrap()];
    xfs.split("<xf ")
        .skip(1)
        .map(|tag| {
            let id = attribute(tag, "numFmtId").unwrap_or("0".to_string());
            match id.as_str() {
                "0" => "General".to_string(),
                // Built-in formats rust_xlsxwriter refers to by number.
                "3" => "#,##0".to_string(),
                other => custom
                    .get(other)
                    .cloned()
                    .unwrap_or(format!("builtin {other}")),
            }
        })
        .collect()
}

#[test]
fn participant_cells_keep_their_values_and_show_in_their_columns_formats() {
    let mut report = report();
    report.participants = participants(45);
    let dir = tempfile::tempdir().unwrap();
    let paths = [
        dir.path().join("manager.xlsx"),
        dir.path().join("donor.xlsx"),
    ];
    let targets = [
        pantau::workbook::Target {
            variant: WorkbookVariant::Manager,
            language: "en",
            path: &paths[0],
        },
        pantau::workbook::Target {
            variant: WorkbookVariant::Donor,
            language: "en",
            path: &paths[1],
        },
    ];
    let extras = report.manager.take();
    for result in
        pantau::workbook::write_each(&report, extras.as_ref(), &targets, Layout::default())
    {
        result.unwrap();
    }

    // Every value reads back as it is in the report.
    let expected = report.participants.to_rows();
    for path in &paths {
        let book = ReadBack::open(path);
        let sheet = book.sheet("Participants");
        assert_eq!(sheet.height(), 46, "{}", path.display());
        for (row, values) in expected.iter().enumerate() {
            for (column, value) in values.iter().enumerate() {
                let got = book.cell("Participants", row as u32 + 1, column as u32);
                let want = match value {
                    Datum::Empty => Data::Empty,
                    Datum::Text(text) => Data::String(text.clone()),
                    Datum::Number(number) => Data::Float(*number),
                    Datum::Date(day) => {
                        let serial = (*day - date(1899, 12, 30)).num_days() as f64;
                        match got {
                            Data::DateTime(value) if value.as_f64() == serial => got.clone(),
                            _ => panic!("row {row} column {column}: a date, got {got:?}"),
                        }
                    }
                };
                assert_eq!(got, want, "row {row} column {column}");
            }
        }
    }

    // Each column's cells carry the style of its format: the sheet's XML points at a cell style
    // whose number format is Rupiah, percent, …; text cells have no style.
    let wanted = [
        None,
        None,
        None,
        Some("yyyy-mm-dd"),
        Some("#,##0"),
        Some("\"Rp\" #,##0"),
        Some("0.0%"),
        Some("#,##0.##"),
    ];
    let part = participant_part(&paths[0]);
    for path in &paths {
        let codes = style_codes(path);
        let xml = package_part(path, &part);
        let mut checked = 0;
        for cell in xml.split("<c ").skip(1) {
            let tag = &cell[..cell.find('>').unwrap()];
            let reference = attribute(tag, "r").unwrap();
            let row: u32 = reference
                .trim_start_matches(|c: char| c.is_ascii_uppercase())
                .parse()
                .unwrap();
            if row == 1 {
                continue;
            }
            let column = (reference.as_bytes()[0] - b'A') as usize;
            let code = attribute(tag, "s").map(|s| codes[s.parse::<usize>().unwrap()].as_str());
            assert_eq!(code, wanted[column], "{} {reference}", path.display());
            checked += 1;
        }
        assert!(checked > 45 * 7, "only {checked} cells checked");
    }

    // The manager and donor workbooks in one language show the same sheet, written once.
    assert_eq!(participant_part(&paths[1]), part);
    assert_eq!(
        package_part(&paths[0], &part),
        package_part(&paths[1], &part)
    );
}

/// The part of the package at `path` that holds the (English) participant sheet.
fn participant_part(path: &Path) -> String {
    let file = std::fs::File::open(path).unwrap();
    let archive = zip::ZipArchive::new(file).unwrap();
    let names: Vec<String> = archive
        .file_names()
        .map(|name| name.unwrap().into_owned())
        .collect();
    names
        .into_iter()
        .filter(|name| name.starts_with("xl/worksheets/sheet"))
        .find(|name| package_part(path, name).contains("<t>Pseudonym</t>"))
        .expect("a participant sheet")
}
