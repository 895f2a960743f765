//! Computing one indicator over a set of records: the overall figure and one table per
//! disaggregation.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
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

impl Groups {
    /// [`Groups::new`] from values already looked up: each dimension's categories are found
    /// among its column's distinct values (a few dozen) instead of by reading every record
    /// again. A dimension that is not among the columns' names groups every record as
    /// without a value, as a name no record sets would.
    pub fn of_columns(columns: &Columns, dimensions: &[String]) -> Groups {
        let dimensions = dimensions
            .iter()
            .map(|dimension| {
                let Some(column) = columns.names.iter().position(|name| name == dimension) else {
                    return Grouping {
                        dimension: dimension.clone(),
                        categories: if columns.rows == 0 {
                            Vec::new()
                        } else {
                            vec![None]
                        },
                        cell_of: vec![0; columns.rows],
                    };
                };
                // Distinct values that differ as values may read alike as categories (the text
                // "1" and the number 1): each distinct value's category, then those sorted and
                // made unique.
                let named: Vec<Option<String>> = columns.distinct[column]
                    .iter()
                    .map(|value| value.filter(|v| !v.is_empty()).map(Value::to_text))
                    .collect();
                let mut categories = named.clone();
                categories.sort();
                categories.dedup();
                let position: Vec<u32> = named
                    .iter()
                    .map(|category| categories.partition_point(|c| c < category) as u32)
                    .collect();
                let ids = &columns.ids[column * columns.rows..(column + 1) * columns.rows];
                Grouping {
                    dimension: dimension.clone(),
                    categories,
                    cell_of: ids.iter().map(|id| position[*id as usize]).collect(),
                }
            })
            .collect();
        Groups { dimensions }
    }
}

/// Some values of a set of records, looked up by name once per record and name, for every
/// indicator over that set, and dictionary-encoded: each column keeps its distinct values once
/// and each record an id into them. An indicator then evaluates its expressions once per
/// distinct combination of the values it reads (a few dozen in a programme: answers are
/// choices, roster values categories) instead of once per record.
pub struct Columns<'r> {
    names: Vec<String>,
    rows: usize,
    /// Column-major: the id of record `row`'s value in column `c` is `ids[c * rows + row]`.
    ids: Vec<u32>,
    /// Per column, its distinct values by id (None: the record has no such name).
    distinct: Vec<Vec<Option<&'r Value>>>,
}

/// A value as a key of the dictionary: equal keys are values that every expression evaluates
/// alike (the same text, the same number bit for bit, the same day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum ValueKey<'r> {
    Absent,
    Text(&'r str),
    Number(u64),
    Flag(bool),
    Day(i32),
}

impl<'r> ValueKey<'r> {
    fn of(value: Option<&'r Value>) -> ValueKey<'r> {
        match value {
            None => ValueKey::Absent,
            Some(Value::Str(text)) => ValueKey::Text(text),
            Some(Value::Num(number)) => ValueKey::Number(number.to_bits()),
            Some(Value::Bool(flag)) => ValueKey::Flag(*flag),
            Some(Value::Date(day)) => ValueKey::Day(day.num_days_from_ce()),
        }
    }
}

impl<'r> Columns<'r> {
    /// The values of `names` in each of `records`.
    ///
    /// Records are read a row at a time, every name of one record before the next record
    /// (its table is then in the processor's cache for all of them; reading a column at a
    /// time fetched every record from memory once per name), a chunk of records per core. Each
    /// chunk encodes against dictionaries of its own, merged afterwards in chunk order, so the
    /// ids are those a single pass in record order gives.
    pub fn new(records: &[&'r Record], names: Vec<String>) -> Columns<'r> {
        const CHUNK: usize = 4096;
        let width = names.len();
        type Index<'r> = HashMap<ValueKey<'r>, u32, foldhash::fast::FixedState>;
        // Per chunk: its length, its ids (column-major within the chunk) and each column's
        // distinct values in the order first seen.
        type Chunk<'r> = (usize, Vec<u32>, Vec<Vec<Option<&'r Value>>>);
        // The names in the records' own order, so that one walk along a record finds them all
        // (`Record::lookup_sorted`); `order[k]` is the column of the `k`-th of them.
        let mut order: Vec<usize> = (0..width).collect();
        order.sort_by(|a, b| super::name_order(&names[*a], &names[*b]));
        let sorted: Vec<&str> = order.iter().map(|column| names[*column].as_str()).collect();
        let chunks: Vec<Chunk<'r>> = records
            .par_chunks(CHUNK)
            .map(|chunk| {
                let mut index: Vec<Index<'r>> = vec![Index::default(); width];
                let mut distinct: Vec<Vec<Option<&'r Value>>> = vec![Vec::new(); width];
                let mut ids = vec![0u32; chunk.len() * width];
                let mut found: Vec<Option<&'r Value>> = vec![None; width];
                for (row, record) in chunk.iter().enumerate() {
                    record.lookup_sorted(&sorted, &mut found);
                    for (&column, &value) in order.iter().zip(&found) {
                        let values = &mut distinct[column];
                        ids[column * chunk.len() + row] =
                            *index[column].entry(ValueKey::of(value)).or_insert_with(|| {
                                values.push(value);
                                (values.len() - 1) as u32
                            });
                    }
                }
                (chunk.len(), ids, distinct)
            })
            .collect();
        let rows = records.len();
        let mut ids = vec![0u32; rows * width];
        let mut index: Vec<Index<'r>> = vec![Index::default(); width];
        let mut distinct: Vec<Vec<Option<&'r Value>>> = vec![Vec::new(); width];
        let mut offset = 0;
        for (length, chunk_ids, chunk_distinct) in chunks {
            for (column, values) in chunk_distinct.into_iter().enumerate() {
                let global = &mut distinct[column];
                let renumbered: Vec<u32> = values
                    .into_iter()
                    .map(|value| {
                        *index[column].entry(ValueKey::of(value)).or_insert_with(|| {
                            global.push(value);
                            (global.len() - 1) as u32
                        })
                    })
                    .collect();
                let target = &mut ids[column * rows + offset..column * rows + offset + length];
                let source = &chunk_ids[column * length..(column + 1) * length];
                for (id, local) in target.iter_mut().zip(source) {
                    *id = renumbered[*local as usize];
                }
            }
            offset += length;
        }
        Columns {
            names,
            rows,
            ids,
            distinct,
        }
    }
}

/// One combination of values as an expression environment: each name the indicator uses maps
/// to its value (None: not among the columns, or absent from the record, which reads as
/// absent).
struct ColumnEnv<'a, 'r> {
    names: &'a [String],
    values: &'a [Option<&'r Value>],
    today: NaiveDate,
}

impl expr::Env for ColumnEnv<'_, '_> {
    fn value(&self, name: &str) -> Value {
        self.names
            .iter()
            .position(|known| known == name)
            .and_then(|slot| self.values[slot])
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

/// The most combinations of values an indicator's memo holds as a table (beyond this, and
/// beyond one per record, it is a hash map).
const DENSE_MEMO: usize = 1 << 16;

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
    /// [`CompiledIndicator::names`]. The indicator's names are resolved to columns once, and its
    /// expressions are evaluated once per distinct combination of the values it reads (the
    /// expression language is pure: the same values and the same `today` give the same part),
    /// so a record costs a few id reads and one hash lookup.
    pub fn parts_in(&self, columns: &Columns, today: NaiveDate) -> Vec<Option<Part>> {
        self.parts_memo(columns, today, DENSE_MEMO.max(columns.rows))
    }

    /// [`CompiledIndicator::parts_in`], with the memo a table when the combinations of ids
    /// number at most `dense`.
    fn parts_memo(&self, columns: &Columns, today: NaiveDate, dense: usize) -> Vec<Option<Part>> {
        let names = self.names();
        let slots: Vec<Option<usize>> = names
            .iter()
            .map(|name| columns.names.iter().position(|known| known == name))
            .collect();
        // The part of one combination of ids (one per slot), evaluated from the values.
        let evaluate = |key: &[u32]| {
            let values: Vec<Option<&Value>> = slots
                .iter()
                .zip(key)
                .map(|(slot, id)| slot.and_then(|column| columns.distinct[column][*id as usize]))
                .collect();
            self.part_in(&ColumnEnv {
                names: &names,
                values: &values,
                today,
            })
        };
        let id = |slot: &Option<usize>, row: usize| match slot {
            Some(column) => columns.ids[column * columns.rows + row],
            None => 0,
        };
        // When the combinations are few (choices, flags, categories: the usual indicator), the
        // memo is a table indexed by the ids in mixed radix, so that a record costs a few id
        // reads and an index; otherwise a hash map keyed by the ids.
        let sizes: Vec<usize> = slots
            .iter()
            .map(|slot| slot.map_or(1, |column| columns.distinct[column].len().max(1)))
            .collect();
        let combinations = sizes
            .iter()
            .try_fold(1usize, |product, size| product.checked_mul(*size))
            .filter(|product| *product <= dense);
        let mut key: Vec<u32> = Vec::with_capacity(slots.len());
        if let Some(combinations) = combinations {
            let mut memo: Vec<Option<Option<Part>>> = vec![None; combinations];
            return (0..columns.rows)
                .map(|row| {
                    let index = slots
                        .iter()
                        .zip(&sizes)
                        .fold(0usize, |index, (slot, size)| {
                            index * size + id(slot, row) as usize
                        });
                    *memo[index].get_or_insert_with(|| {
                        key.clear();
                        key.extend(slots.iter().map(|slot| id(slot, row)));
                        evaluate(&key)
                    })
                })
                .collect();
        }
        let mut memo: HashMap<Vec<u32>, Option<Part>, foldhash::fast::FixedState> =
            HashMap::default();
        (0..columns.rows)
            .map(|row| {
                key.clear();
                key.extend(slots.iter().map(|slot| id(slot, row)));
                if let Some(part) = memo.get(key.as_slice()) {
                    return *part;
                }
                let part = evaluate(&key);
                memo.insert(key.clone(), part);
                part
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
                // One pass over the parts per dimension, adding each into its cell's tally
                // (a median keeps its cell's values; the other kinds only counts and sums).
                let mut tallies: Vec<Tally> = vec![Tally::default(); grouping.categories.len()];
                for (part, &cell) in parts.iter().zip(&grouping.cell_of) {
                    if let Some(part) = part {
                        tallies[cell as usize].add(*part, self.definition.kind);
                    }
                }
                let mut cells: Vec<(Option<String>, Figure)> = grouping
                    .categories
                    .iter()
                    .zip(tallies)
                    .map(|(category, tally)| (category.clone(), self.figure_of(tally)))
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

    /// The figure of a group from its [`Tally`]: the same as [`CompiledIndicator::aggregate`]
    /// over the parts added to it, in the same order.
    fn figure_of(&self, tally: Tally) -> Figure {
        match self.definition.kind {
            IndicatorKind::Count => Figure {
                value: Some(tally.count as f64),
                numerator: tally.count,
                n: tally.count,
                suppressed: false,
            },
            IndicatorKind::Share => Figure {
                value: (tally.count > 0).then(|| tally.hits as f64 / tally.count as f64),
                numerator: tally.hits,
                n: tally.count,
                suppressed: false,
            },
            kind => {
                let value = match kind {
                    IndicatorKind::Mean => {
                        (tally.count > 0).then(|| tally.sum / tally.count as f64)
                    }
                    IndicatorKind::Sum => Some(tally.sum),
                    _ => median(tally.values),
                };
                Figure {
                    value,
                    numerator: tally.count,
                    n: tally.count,
                    suppressed: false,
                }
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

/// What a cell of a breakdown accumulates from its members' parts: how many count (a share's
/// base, a number's contributors), a share's hits, and a number's sum (added in record order,
/// from the same start as `Iterator::sum`, so that it equals the sum of the collected values)
/// or, for a median only, the values themselves.
#[derive(Debug, Clone)]
struct Tally {
    count: usize,
    hits: usize,
    sum: f64,
    values: Vec<f64>,
}

impl Default for Tally {
    fn default() -> Tally {
        Tally {
            count: 0,
            hits: 0,
            sum: std::iter::empty::<f64>().sum(),
            values: Vec::new(),
        }
    }
}

impl Tally {
    fn add(&mut self, part: Part, kind: IndicatorKind) {
        match (kind, part) {
            (IndicatorKind::Count, _) => self.count += 1,
            (IndicatorKind::Share, Part::Base { hit }) => {
                self.count += 1;
                self.hits += usize::from(hit);
            }
            (IndicatorKind::Share, _) => {}
            (IndicatorKind::Median | IndicatorKind::Change, Part::Number(value)) => {
                self.count += 1;
                self.values.push(value);
            }
            (_, Part::Number(value)) => {
                self.count += 1;
                self.sum += value;
            }
            _ => {}
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
