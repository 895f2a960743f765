//! The report email a recipient group receives: subject with programme and period, the
//! headline figures (the logframe: label, actual, n) as an HTML table and as text, and a note
//! on the attached workbook.
//!
//! Domain code: it takes a [`Report`] and returns text; no database, clock or network. The
//! figures are the report's, already suppressed: a suppressed figure shows the word for
//! "suppressed" and no number at all, so an email carries nothing a donor workbook would not.

use maud::{DOCTYPE, Markup, html};

use super::Rendered;
use super::words;
use crate::config::WorkbookVariant;
use crate::report::{IndicatorFigures, Report};
use crate::workbook::suppressed_word;

/// The words of the report email in one language.
struct Texts {
    subject: &'static str,
    greeting: &'static str,
    /// `{programme}`, `{period}`, `{run}`.
    intro: &'static str,
    /// `{file}`.
    attached: &'static str,
    personal_data: &'static str,
    headline: &'static str,
    indicator: &'static str,
    wave: &'static str,
    actual: &'static str,
    /// `{threshold}`.
    suppression: &'static str,
    no_data: &'static str,
    closing: &'static str,
}

const INDONESIAN: Texts = Texts {
    subject: "laporan pemantauan",
    greeting: "Halo,",
    intro: "Berikut ringkasan laporan {programme} untuk periode {period}, dibuat {run}.",
    attached: "Buku kerja lengkap terlampir: {file}.",
    personal_data: "Lampiran ini berisi data pribadi peserta (nama, nomor telepon, tautan \
                    pribadi). Jangan diteruskan ke luar tim program.",
    headline: "Indikator utama",
    indicator: "Indikator",
    wave: "Gelombang",
    actual: "Capaian",
    suppression: "Angka dari kelompok kurang dari {threshold} peserta disembunyikan untuk \
                  melindungi privasi peserta.",
    no_data: "belum ada data",
    closing: "Email ini dikirim otomatis oleh pantau.",
};

const ENGLISH: Texts = Texts {
    subject: "monitoring report",
    greeting: "Hello,",
    intro: "Here is the summary of the {programme} report for {period}, made on {run}.",
    attached: "The full workbook is attached: {file}.",
    personal_data: "The attachment holds participants' personal data (names, phone numbers, \
                    personal links). Do not forward it outside the programme team.",
    headline: "Headline indicators",
    indicator: "Indicator",
    wave: "Wave",
    actual: "Actual",
    suppression: "Figures for groups of fewer than {threshold} participants are suppressed to \
                  protect participants' privacy.",
    no_data: "no data yet",
    closing: "This email was sent automatically by pantau.",
};

fn texts(language: &str) -> &'static Texts {
    if language == "en" {
        &ENGLISH
    } else {
        &INDONESIAN
    }
}

/// One logframe row as the email shows it.
struct Row {
    label: String,
    wave: String,
    actual: String,
    n: String,
}

fn row(figures: &IndicatorFigures, language: &str, texts: &Texts) -> Row {
    let label = figures
        .label
        .get(language)
        .or_else(|| figures.label.values().next())
        .cloned()
        .unwrap_or_else(|| figures.id.clone());
    let overall = &figures.result.overall;
    let (actual, n) = if overall.suppressed {
        let word = suppressed_word(language).to_string();
        (word.clone(), word)
    } else {
        let actual = overall.value.map_or_else(
            || texts.no_data.to_string(),
            |value| words::figure(language, figures.format, value),
        );
        (
            actual,
            words::figure(
                language,
                crate::config::IndicatorFormat::Number,
                overall.n as f64,
            ),
        )
    };
    Row {
        label,
        wave: figures.wave.clone().unwrap_or_default(),
        actual,
        n,
    }
}

/// The report email for a group reading `language`, with the `variant` workbook attached as
/// `attachment_name`.
pub fn report_message(
    report: &Report,
    language: &str,
    variant: WorkbookVariant,
    attachment_name: &str,
) -> Rendered {
    let texts = texts(language);
    let period = format!(
        "{} – {}",
        words::date(language, report.period.0),
        words::date(language, report.period.1)
    );
    let run = words::date(language, report.run_at.date());
    let subject = format!("{}: {} {period}", report.programme, texts.subject);
    let intro = texts
        .intro
        .replace("{programme}", &report.programme)
        .replace("{period}", &period)
        .replace("{run}", &run);
    let attached = texts.attached.replace("{file}", attachment_name);
    let suppression = texts
        .suppression
        .replace("{threshold}", &report.suppression_threshold.to_string());
    let personal = matches!(variant, WorkbookVariant::Manager).then_some(texts.personal_data);
    let rows: Vec<Row> = report
        .indicators
        .iter()
        .map(|figures| row(figures, language, texts))
        .collect();

    let mut text = format!("{}\n\n{intro}\n{attached}\n", texts.greeting);
    if let Some(note) = personal {
        text.push_str(note);
        text.push('\n');
    }
    text.push_str(&format!("\n{}:\n", texts.headline));
    for row in &rows {
        let wave = if row.wave.is_empty() {
            String::new()
        } else {
            format!(" [{}]", row.wave)
        };
        text.push_str(&format!(
            "- {}{wave}: {} (n = {})\n",
            row.label, row.actual, row.n
        ));
    }
    text.push_str(&format!("\n{suppression}\n\n{}\n", texts.closing));

    let html = html_body(
        texts,
        &subject,
        &intro,
        &attached,
        personal,
        &rows,
        &suppression,
    );
    Rendered {
        subject,
        text,
        html: Some(html.into_string()),
    }
}

fn html_body(
    texts: &Texts,
    subject: &str,
    intro: &str,
    attached: &str,
    personal: Option<&str>,
    rows: &[Row],
    suppression: &str,
) -> Markup {
    let cell = "border:1px solid #999;padding:4px 8px;text-align:left";
    let number = "border:1px solid #999;padding:4px 8px;text-align:right";
    html! {
        (DOCTYPE)
        html {
            head { meta charset="utf-8"; title { (subject) } }
            body style="font-family:sans-serif;font-size:15px;color:#1a1a1a" {
                p { (texts.greeting) }
                p { (intro) }
                p { (attached) }
                @if let Some(note) = personal { p { strong { (note) } } }
                h2 style="font-size:17px" { (texts.headline) }
                table style="border-collapse:collapse" {
                    thead {
                        tr {
                            th style=(cell) { (texts.indicator) }
                            th style=(cell) { (texts.wave) }
                            th style=(number) { (texts.actual) }
                            th style=(number) { "n" }
                        }
                    }
                    tbody {
                        @for row in rows {
                            tr {
                                td style=(cell) { (row.label) }
                                td style=(cell) { (row.wave) }
                                td style=(number) { (row.actual) }
                                td style=(number) { (row.n) }
                            }
                        }
                    }
                }
                p { (suppression) }
                p style="color:#555" { (texts.closing) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{IndicatorFormat, IndicatorKind};
    use crate::indicators::{Figure, IndicatorResult};
    use crate::report::ParticipantTable;
    use chrono::NaiveDate;

    fn figures(
        id: &str,
        format: IndicatorFormat,
        value: Option<f64>,
        n: usize,
    ) -> IndicatorFigures {
        IndicatorFigures {
            id: id.into(),
            label: [
                ("id".to_string(), format!("{id} (id)")),
                ("en".to_string(), format!("{id} (en)")),
            ]
            .into(),
            definition: Default::default(),
            kind: IndicatorKind::Share,
            format,
            wave: None,
            baseline: None,
            target: None,
            result: IndicatorResult {
                overall: Figure {
                    value,
                    numerator: 0,
                    n,
                    suppressed: value.is_none() && n > 0,
                },
                breakdowns: Vec::new(),
            },
        }
    }

    fn report() -> Report {
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        Report {
            programme: "Promise <II>".into(),
            country: "Indonesia".into(),
            run_at: day(29).and_hms_opt(7, 0, 0).unwrap(),
            period: (day(1), day(29)),
            languages: vec!["id".into(), "en".into()],
            sources: Vec::new(),
            suppression_threshold: 5,
            disaggregations: Vec::new(),
            indicators: vec![
                figures("enrolled", IndicatorFormat::Number, Some(1250.0), 1250),
                figures("bpjs_jkp", IndicatorFormat::Percent, None, 3),
                figures("income_change", IndicatorFormat::Rupiah, None, 0),
            ],
            funnel: Vec::new(),
            attendance: Vec::new(),
            participants: ParticipantTable::default(),
            dictionary: Vec::new(),
            minimum_wages: Vec::new(),
            quality: Vec::new(),
            manager: None,
        }
    }

    #[test]
    fn the_indonesian_email_lists_every_figure_with_suppression_in_words() {
        let rendered = report_message(&report(), "id", WorkbookVariant::Manager, "book.xlsx");
        assert_eq!(
            rendered.subject,
            "Promise <II>: laporan pemantauan 1 November 2026 – 29 November 2026"
        );
        let text = &rendered.text;
        assert!(
            text.contains("- enrolled (id): 1.250 (n = 1.250)\n"),
            "{text}"
        );
        assert!(
            text.contains("- bpjs_jkp (id): disembunyikan (n = disembunyikan)\n"),
            "{text}"
        );
        assert!(
            text.contains("- income_change (id): belum ada data (n = 0)\n"),
            "{text}"
        );
        assert!(text.contains("Buku kerja lengkap terlampir: book.xlsx."));
        assert!(
            text.contains("berisi data pribadi"),
            "the manager email warns"
        );
        let html = rendered.html.unwrap();
        assert!(html.contains("Promise &lt;II&gt;"), "escaped: {html}");
        assert_eq!(html.matches("<tr>").count(), 4, "header and three rows");
    }

    #[test]
    fn the_english_donor_email_has_no_personal_data_warning() {
        let rendered = report_message(&report(), "en", WorkbookVariant::Donor, "book.xlsx");
        assert!(
            rendered
                .text
                .contains("- enrolled (en): 1,250 (n = 1,250)\n")
        );
        assert!(
            rendered
                .text
                .contains("- bpjs_jkp (en): suppressed (n = suppressed)\n")
        );
        assert!(!rendered.text.contains("personal data (names"));
    }
}
