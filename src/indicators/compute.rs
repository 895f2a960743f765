//! Computing one indicator over a set of records: the overall figure and one table per
//! disaggregation.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::NaiveDate;
use rayon::prelude::*;

use super::{Record, RecordEnv, suppress};
use crate::config::{Indicator, IndicatorKind};
use crate::expr::{self, Expr, Value};

/// An indicator with its expressions parsed.
#[derive(Debug, Clone)]
pub struct CompiledIndicator {
    /// The configuration it came from.
    pub definition: Indicator,
    numerator: Option<Expr>,
    denominator: Option<Expr>,
    value: Option<Expr>,
    compare: Option<Expr>,
    filter: Option<Expr>,
}

/// Parses an indicator's expressions. The error names the indicator and the expression.
pub fn compile(indicator: &Indicator) -> Result<CompiledIndicator, String> {
    let parse = |field: &str, source: &Option<String>| -> Result<Option<Expr>, String> {
        source
            .as_deref()
            .map(|text| {
                expr::parse(text)
                    .map_err(|e| format!("indicator {}, {field} {text:?}: {e}", indicator.id))
            })
            .transpose()
    };
    Ok(CompiledIndicator {
        numerator: parse("numerator", &indicator.numerator)?,
        denominator: parse("denominator", &indicator.denominator)?,
        value: parse("value", &indicator.value)?,
        compare: parse("compare", &indicator.compare)?,
        filter: parse("filter", &indicator.filter)?,
        definition: indicator.clone(),
    })
}

/// One figure: the value with what it was computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// The value (a count, a share between 0 and 1, an amount); None when suppressed or when
    /// there is nothing to compute it from (no participants).
    pub value: Option<f64>,
    /// For shares, the participants meeting the numerator; for counts, the count; for the
    /// others, the participants with a value.
    pub numerator: usize,
    /// Participants the figure is about (`n`): the denominator of a share, the participants
    /// with a value for a mean, median, sum or change.
    pub n: usize,
    /// Whether the figure is hidden to protect small groups.
    pub suppressed: bool,
}

impl Figure {
    fn hidden(mut self) -> Figure {
        self.value = None;
        self.suppressed = true;
        self
    }
}

/// One disaggregation of an indicator: a figure per category.
#[derive(Debug, Clone, PartialEq)]
pub struct Breakdown {
    /// The participant field it is broken down by (`sex`, `age_group`).
    pub dimension: String,
    /// Category (None: records without a value) and its figure, categories sorted.
    pub cells: Vec<(Option<String>, Figure)>,
}

/// An indicator computed over a set of records.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorResult {
    /// The figure over all records.
    pub overall: Figure,
    /// One table per disaggregation, in the order asked for.
    pub breakdowns: Vec<Breakdown>,
}

/// The categories of a set of records in each disaggregation, found once and shared by every
/// indicator computed over that set.
#[derive(Debug, Clone, PartialEq)]
pub struct Groups {
    dimensions: Vec<Grouping>,
}

/// One dimension's categories, sorted (records without a value first, as None), and each
/// record's cell among them.
#[derive(Debug, Clone, PartialEq)]
struct Grouping {
    dimension: String,
    categories: Vec<Option<String>>,
    cell_of: Vec<u32>,
}

impl Groups {
    /// Groups `records` by each of `dimensions`.
    pub fn new(records: &[&Record], dimensions: &[String]) -> Groups {
        // Dimensions are independent: grouped on every core.
        let dimensions = dimensions
            .par_iter()
            .map(|dimension| {
                // Text categories are borrowed from the records while grouping; only the
                // distinct ones become owned strings.
                let mut index: HashMap<Option<Cow<str>>, u32, foldhash::fast::FixedState> =
                    HashMap::default();
                let mut found: Vec<u32> = Vec::with_capacity(records.len());
                for record in records {
                    let category = record.lookup(dimension).filter(|v| !v.is_empty()).map(
                        |value| match value {
                            Value::Str(text) => Cow::Borrowed(text.as_str()),
                            other => Cow::Owned(other.to_text()),
                        },
                    );
                    let next = index.len() as u32;
                    found.push(*index.entry(category).or_insert(next));
                }
                let mut categories: Vec<(Option<String>, u32)> = index
                    .into_iter()
                    .map(|(category, seen)| (category.map(Cow::into_owned), seen))
                    .collect();
                categories.sort();
                // Renumber from first-seen order to sorted order.
                let mut sorted_position = vec![0u32; categories.len()];
                for (position, (_, seen)) in categories.iter().enumerate() {
                    sorted_position[*seen as usize] = position as u32;
                }
                Grouping {
                    dimension: dimension.clone(),
                    categories: categories.into_iter().map(|(c, _)| c).collect(),
                    cell_of: found
                        .into_iter()
                        .map(|seen| sorted_position[seen as usize])
                        .collect(),
                }
            })
            .collect();
        Groups { dimensions }
    }
}

/// Some values of a set of records, looked up by name once per record and name, for every
/// indicator over that set: row-major, one row per record, one column per name.
pub struct Columns<'r> {
    names: Vec<String>,
    rows: usize,
    values: Vec<Option<&'r Value>>,
}

impl<'r> Columns<'r> {
    /// The values of `names` in each of `records`.
    pub fn new(records: &[&'r Record], names: Vec<String>) -> Columns<'r> {
        let mut values = Vec::with_capacity(records.len() * names.len());
        for record in records {
            values.extend(names.iter().map(|name| record.lookup(name)));
        }
        Columns {
            names,
            rows: records.len(),
            values,
        }
    }
}

/// One row of [`Columns`] as an expression environment: each name the indicator uses maps to
/// its column (None: not among the columns, which reads as absent).
struct ColumnEnv<'a, 'r> {
    slots: &'a [(String, Option<usize>)],
    values: &'a [Option<&'r Value>],
    today: NaiveDate,
}

impl expr::Env for ColumnEnv<'_, '_> {
    fn value(&self, name: &str) -> Value {
        self.slots
            .iter()
            .find(|(known, _)| known == name)
            .and_then(|(_, column)| self.values[(*column)?])
            .cloned()
            .unwrap_or_else(Value::empty)
    }

    fn current(&self) -> Value {
        Value::empty()
    }

    fn today(&self) -> NaiveDate {
        self.today
    }
}

/// What one record contributes to a figure, found by evaluating the indicator's expressions
/// on it once; a figure over any group of records is then an aggregate of their parts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Part {
    /// Counted (`count`).
    Member,
    /// In a share's denominator, and whether the numerator holds.
    Base { hit: bool },
    /// A value for a mean, median, sum, or a per-participant change.
    Number(f64),
}

impl CompiledIndicator {
    /// The overall figure and one breakdown per dimension, with cells of fewer than
    /// `threshold` participants suppressed (plus complements).
    ///
    /// Each record's expressions are evaluated once; the overall figure and every cell of every
    /// breakdown aggregate those results, so the cost grows with records × indicators, not
    /// with the number of tables.
    pub fn compute(
        &self,
        records: &[&Record],
        dimensions: &[String],
        threshold: usize,
        today: NaiveDate,
    ) -> IndicatorResult {
        let groups = Groups::new(records, dimensions);
        let columns = Columns::new(records, self.names());
        let parts = self.parts_in(&columns, today);
        self.from_parts(&parts, &groups, threshold)
    }

    /// What each record contributes (None: left out), in the order of `records`.
    pub fn parts(&self, records: &[&Record], today: NaiveDate) -> Vec<Option<Part>> {
        records.iter().map(|r| self.part(r, today)).collect()
    }

    /// The names this indicator's expressions refer to, each once.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = [
            &self.filter,
            &self.numerator,
            &self.denominator,
            &self.value,
            &self.compare,
        ]
        .into_iter()
        .flatten()
        .flat_map(|expr| expr.references())
        .map(|reference| reference.name)
        .collect();
        names.sort();
        names.dedup();
        names
    }

    /// [`CompiledIndicator::parts`] over the records of `columns`, whose names must include
    /// [`CompiledIndicator::names`]. The indicator's names are resolved to columns once, so a
    /// record costs no lookup by name.
    pub fn parts_in(&self, columns: &Columns, today: NaiveDate) -> Vec<Option<Part>> {
        let slots: Vec<(String, Option<usize>)> = self
            .names()
            .into_iter()
            .map(|name| {
                let column = columns.names.iter().position(|known| *known == name);
                (name, column)
            })
            .collect();
        (0..columns.rows)
            .map(|row| {
                let env = ColumnEnv {
                    slots: &slots,
                    values: &columns.values[row * columns.names.len()..],
                    today,
                };
                self.part_in(&env)
            })
            .collect()
    }

    /// The overall figure and every breakdown from the records' parts, grouped by `groups`
    /// (built over the same records, in the same order). The grouping is shared by every
    /// indicator over those records, so categories are found once per record and dimension.
    pub fn from_parts(
        &self,
        parts: &[Option<Part>],
        groups: &Groups,
        threshold: usize,
    ) -> IndicatorResult {
        let mut overall = self.aggregate(parts.iter().flatten().copied());
        if overall.n > 0 && overall.n < threshold {
            overall = overall.hidden();
        }
        let breakdowns = groups
            .dimensions
            .iter()
            .map(|grouping| {
                let mut members: Vec<Vec<Part>> = vec![Vec::new(); grouping.categories.len()];
                for (part, &cell) in parts.iter().zip(&grouping.cell_of) {
                    if let Some(part) = part {
                        members[cell as usize].push(*part);
                    }
                }
                let mut cells: Vec<(Option<String>, Figure)> = grouping
                    .categories
                    .iter()
                    .zip(members)
                    .map(|(category, members)| {
                        (category.clone(), self.aggregate(members.into_iter()))
                    })
                    .collect();
                // Suppression counts people in the group, whatever the kind: a share's
                // denominator, a mean's contributors.
                let counts: Vec<usize> = cells.iter().map(|(_, f)| f.n).collect();
                for ((_, figure), hide) in cells.iter_mut().zip(suppress(&counts, threshold)) {
                    if hide {
                        *figure = figure.clone().hidden();
                    }
                }
                Breakdown {
                    dimension: grouping.dimension.clone(),
                    cells,
                }
            })
            .collect();
        IndicatorResult {
            overall,
            breakdowns,
        }
    }

    /// The unsuppressed figure over `records`.
    pub fn figure(&self, records: &[&Record], today: NaiveDate) -> Figure {
        self.aggregate(records.iter().filter_map(|r| self.part(r, today)))
    }

    /// What `record` contributes: None when the filter, the denominator or a missing value
    /// leaves it out.
    fn part(&self, record: &Record, today: NaiveDate) -> Option<Part> {
        self.part_in(&RecordEnv { record, today })
    }

    /// [`CompiledIndicator::part`] with the record's values read through `env`.
    fn part_in(&self, env: &dyn expr::Env) -> Option<Part> {
        let holds = |expr: &Option<Expr>| expr.as_ref().is_none_or(|e| e.eval(env).to_bool());
        let number = |expr: &Option<Expr>| {
            expr.as_ref().and_then(|e| {
                let value = e.eval(env);
                let number = value.to_num();
                (!value.is_empty() && number.is_finite()).then_some(number)
            })
        };
        if !holds(&self.filter) {
            return None;
        }
        match self.definition.kind {
            IndicatorKind::Count => Some(Part::Member),
            IndicatorKind::Share => holds(&self.denominator).then(|| Part::Base {
                hit: holds(&self.numerator),
            }),
            IndicatorKind::Mean | IndicatorKind::Median | IndicatorKind::Sum => {
                number(&self.value).map(Part::Number)
            }
            IndicatorKind::Change => {
                Some(Part::Number(number(&self.value)? - number(&self.compare)?))
            }
        }
    }

    /// The figure of a group from its members' parts.
    fn aggregate(&self, parts: impl Iterator<Item = Part>) -> Figure {
        match self.definition.kind {
            IndicatorKind::Count => {
                let count = parts.count();
                Figure {
                    value: Some(count as f64),
                    numerator: count,
                    n: count,
                    suppressed: false,
                }
            }
            IndicatorKind::Share => {
                let (mut base, mut numerator) = (0usize, 0usize);
                for part in parts {
                    if let Part::Base { hit } = part {
                        base += 1;
                        numerator += usize::from(hit);
                    }
                }
                Figure {
                    value: (base > 0).then(|| numerator as f64 / base as f64),
                    numerator,
                    n: base,
                    suppressed: false,
                }
            }
            kind => {
                let values: Vec<f64> = parts
                    .filter_map(|part| match part {
                        Part::Number(value) => Some(value),
                        _ => None,
                    })
                    .collect();
                let count = values.len();
                let value = match kind {
                    IndicatorKind::Mean => mean(&values),
                    IndicatorKind::Sum => Some(values.iter().sum()),
                    _ => median(values),
                };
                Figure {
                    value,
                    numerator: count,
                    n: count,
                    suppressed: false,
                }
            }
        }
    }
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// The median; for an even count the mean of the two middle values, as Excel's MEDIAN does.
fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[middle - 1] + values[middle]) / 2.0
    } else {
        values[middle]
    })
}

#[cfg(test)]
mod tests;
