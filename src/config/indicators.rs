//! `[[indicators]]`: the figures every report computes, declared as expressions in the forms'
//! expression language so that a manager can add one without a new release.
//!
//! The expressions are kept here as text; the indicators module parses them with
//! `crate::expr` when it computes, and reports errors with the indicator's `id`.

use std::collections::BTreeMap;

use serde::Deserialize;

/// What an indicator computes over the participants in its scope that pass `filter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    /// How many participants pass `filter` (all when there is none).
    Count,
    /// Participants for whom `numerator` holds among those for whom `denominator` holds (all
    /// when there is none), as a fraction.
    Share,
    /// Mean of `value`, skipping participants whose value is empty.
    Mean,
    /// Median of `value`, skipping participants whose value is empty.
    Median,
    /// Sum of `value`, skipping participants whose value is empty.
    Sum,
    /// Median per-participant difference `value - compare`, over participants with both.
    Change,
}

/// How a figure is shown in workbooks and emails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorFormat {
    /// A plain number.
    Number,
    /// A fraction shown as a percentage (0.25 shows as 25%).
    Percent,
    /// An amount in Rupiah.
    Rupiah,
}

/// Which rows an indicator is computed over.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "String")]
pub enum WaveScope {
    /// `"roster"`: once, over participants' roster records, not tied to a wave.
    Roster,
    /// `"all"`: once per wave, each over every participant with that wave's answers.
    #[default]
    EachWave,
    /// `"followups"`: once per follow-up wave (anchored at the end of training).
    EachFollowup,
    /// A wave name: only that wave.
    Wave(String),
}

impl From<String> for WaveScope {
    fn from(text: String) -> WaveScope {
        match text.as_str() {
            "roster" => WaveScope::Roster,
            "all" => WaveScope::EachWave,
            "followups" => WaveScope::EachFollowup,
            _ => WaveScope::Wave(text),
        }
    }
}

/// One indicator.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// Unique identifier (`share_working`): lower-case letters, digits and `_`.
    pub id: String,
    /// Label per language code (`{ id = "…", en = "…" }`); at least one is required.
    pub label: BTreeMap<String, String>,
    /// What is computed.
    pub kind: IndicatorKind,
    /// Where it is computed; `"all"` (each wave) when left out.
    #[serde(default)]
    pub wave: WaveScope,
    /// `share`: the condition counted on top.
    pub numerator: Option<String>,
    /// `share`: the condition defining who is counted below; everyone when left out.
    pub denominator: Option<String>,
    /// `mean`, `median`, `sum`, `change`: the number per participant.
    pub value: Option<String>,
    /// `change`: the number `value` is compared with, such as `${baseline.income_total}`.
    pub compare: Option<String>,
    /// Any kind: only participants for whom this holds are considered.
    pub filter: Option<String>,
    /// How the figure is shown; by kind when left out (see [`Indicator::display_format`]).
    pub format: Option<IndicatorFormat>,
    /// Baseline value for the logframe summary (a fraction for shares).
    pub baseline: Option<f64>,
    /// Target value for the logframe summary (a fraction for shares).
    pub target: Option<f64>,
    /// Definition per language for the methodology sheet.
    #[serde(default)]
    pub definition: BTreeMap<String, String>,
}

impl Indicator {
    /// How the figure is shown: `format` when given, else percent for shares and a plain number
    /// otherwise.
    pub fn display_format(&self) -> IndicatorFormat {
        self.format.unwrap_or(match self.kind {
            IndicatorKind::Share => IndicatorFormat::Percent,
            _ => IndicatorFormat::Number,
        })
    }

    /// The label in `language`, falling back to `default_language`, then to any label, then to
    /// the id.
    pub fn label_in<'a>(&'a self, language: &str, default_language: &str) -> &'a str {
        self.label
            .get(language)
            .or_else(|| self.label.get(default_language))
            .or_else(|| self.label.values().next())
            .map_or(self.id.as_str(), String::as_str)
    }

    /// Which expression fields `kind` requires, allows and forbids, as
    /// `(field name, required)`; fields not listed must be absent.
    pub(crate) fn expression_fields(kind: IndicatorKind) -> &'static [(&'static str, bool)] {
        match kind {
            IndicatorKind::Count => &[("filter", false)],
            IndicatorKind::Share => &[
                ("numerator", true),
                ("denominator", false),
                ("filter", false),
            ],
            IndicatorKind::Mean | IndicatorKind::Median | IndicatorKind::Sum => {
                &[("value", true), ("filter", false)]
            }
            IndicatorKind::Change => &[("value", true), ("compare", true), ("filter", false)],
        }
    }

    /// The expression fields as `(name, text)`, present or not.
    pub(crate) fn expressions(&self) -> [(&'static str, Option<&str>); 5] {
        [
            ("numerator", self.numerator.as_deref()),
            ("denominator", self.denominator.as_deref()),
            ("value", self.value.as_deref()),
            ("compare", self.compare.as_deref()),
            ("filter", self.filter.as_deref()),
        ]
    }
}
