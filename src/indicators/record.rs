//! The merged record an indicator is computed over: one participant in one wave, with roster
//! attributes, derived attributes, the wave's answers and the baseline's answers.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;

use crate::expr::{Env, Value};

/// Hash state for record names: the names are the configuration's own (not an attacker's
/// choice), so a fast, fixed hash is safe, and lookups by name are most of an indicator's work.
type NameHash = foldhash::fast::FixedState;

/// One participant in one wave (or in the roster, for roster indicators). Names follow the
/// configuration's conventions: roster and derived attributes by name (`sex`, `age_group`),
/// the wave's answers by field name, the baseline's as `baseline.<field>`.
///
/// A wave's record is layered over the participant's roster record ([`Record::over`]) instead
/// of copying it, so that three waves of a large programme share one copy of the roster.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    /// Sorted by name ([`name_order`]), each name once: a record is a few dozen values, held in one allocation
    /// of exactly their size and found by binary search. (A hash table per record took twice
    /// the memory, and the kernel's zeroing of that fresh memory was a fifth of a run.) Names
    /// are shared (`Arc<str>`): the records of a run hold the same few dozen names.
    values: Vec<(Arc<str>, Value)>,
    /// Values this record does not set itself are read from here.
    base: Option<Arc<Record>>,
}

impl Record {
    /// An empty record.
    pub fn new() -> Record {
        Record::default()
    }

    /// An empty record that reads every name it does not set from `base`.
    pub fn over(base: Arc<Record>) -> Record {
        Record {
            values: Vec::new(),
            base: Some(base),
        }
    }

    /// A record of `values` with room for `room` more; where a name comes twice, the later
    /// value wins, as with [`Record::set`] in that order.
    pub fn from_values(mut values: Vec<(Arc<str>, Value)>, room: usize) -> Record {
        // Stable: of equal names the later stays last, and is kept.
        values.sort_by(|(a, _), (b, _)| name_order(a, b));
        let mut kept: Vec<(Arc<str>, Value)> = Vec::with_capacity(values.len() + room);
        for (name, value) in values {
            match kept.last_mut() {
                Some(last) if last.0 == name => last.1 = value,
                _ => kept.push((name, value)),
            }
        }
        Record {
            values: kept,
            base: None,
        }
    }

    /// This record reading every name it does not set from `base` instead (a wave's answers
    /// read back from the job cache before the roster record they layer over exists).
    pub fn layered_over(mut self, base: Arc<Record>) -> Record {
        self.base = Some(base);
        self
    }

    /// Where `name` is, or would go, among this record's own values.
    fn find(&self, name: &str) -> Result<usize, usize> {
        self.values
            .binary_search_by(|(known, _)| name_order(known, name))
    }

    /// Sets `name` unless this record sets it already (its base does not count).
    pub fn set_if_absent(&mut self, name: &Arc<str>, value: Value) -> &mut Record {
        if let Err(at) = self.find(name) {
            self.values.insert(at, (Arc::clone(name), value));
        }
        self
    }

    /// The value of `name` as this record sets it, ignoring its base.
    pub fn own(&self, name: &str) -> Option<&Value> {
        self.find(name).ok().map(|at| &self.values[at].1)
    }

    /// Makes room for `additional` more values, so that setting a known number of values
    /// grows the record once.
    pub fn reserve(&mut self, additional: usize) -> &mut Record {
        self.values.reserve_exact(additional);
        self
    }

    /// Sets one value; an empty text is the same as no value.
    pub fn set(&mut self, name: impl Into<Arc<str>>, value: Value) -> &mut Record {
        let name = name.into();
        match self.find(&name) {
            Ok(at) => self.values[at].1 = value,
            Err(at) => self.values.insert(at, (name, value)),
        }
        self
    }

    /// Sets a text value.
    pub fn set_text(&mut self, name: impl Into<Arc<str>>, text: impl Into<String>) -> &mut Record {
        self.set(name, Value::Str(text.into()))
    }

    /// Sets a number.
    pub fn set_num(&mut self, name: impl Into<Arc<str>>, number: f64) -> &mut Record {
        self.set(name, Value::Num(number))
    }

    /// The value of `name`, empty when absent.
    pub fn get(&self, name: &str) -> Value {
        self.lookup(name).cloned().unwrap_or_else(Value::empty)
    }

    /// The value of `name` without copying it, None when absent.
    pub fn lookup(&self, name: &str) -> Option<&Value> {
        match self.own(name) {
            Some(value) => Some(value),
            None => self.base.as_deref()?.lookup(name),
        }
    }

    /// The values of `names` as [`Record::lookup`] finds each, into `found` (one slot per name).
    /// `names` must be in [`name_order`]: then one walk along the record's own
    /// values (and its base's) finds them all, where a lookup per name searched both again.
    pub fn lookup_sorted<'r>(&'r self, names: &[&str], found: &mut [Option<&'r Value>]) {
        match self.base.as_deref() {
            Some(base) => base.lookup_sorted(names, found),
            None => found.fill(None),
        }
        let mut own = self.values.iter().peekable();
        for (slot, name) in found.iter_mut().zip(names) {
            while own
                .next_if(|(known, _)| name_order(known, name).is_lt())
                .is_some()
            {}
            // Peeked, not taken: `names` may hold a name twice.
            if let Some((known, value)) = own.peek()
                && **known == **name
            {
                *slot = Some(value);
            }
        }
    }

    /// Adds the values whose name this record does not set yet, in one sort. The record's own
    /// values win, and of a name given twice the first, as [`Record::set_if_absent`] one at a
    /// time would leave them.
    pub fn extend_absent(&mut self, values: impl IntoIterator<Item = (Arc<str>, Value)>) {
        let known = self.values.len();
        for (name, value) in values {
            if self.values[..known]
                .binary_search_by(|(have, _)| name_order(have, &name))
                .is_err()
            {
                self.values.push((name, value));
            }
        }
        // Stable: of equal names the first stays first, and is kept.
        self.values.sort_by(|(a, _), (b, _)| name_order(a, b));
        self.values
            .dedup_by(|(later, _), (first, _)| later == first);
    }

    /// The values this record sets itself (not those it reads from its base), by name: what
    /// the job cache stores.
    pub fn own_values(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.values.iter().map(|(name, value)| (&**name, value))
    }

    /// The category of this record in a disaggregation: its value as text, or None when empty.
    pub fn category(&self, dimension: &str) -> Option<String> {
        self.lookup(dimension)
            .filter(|value| !value.is_empty())
            .map(Value::to_text)
    }
}

/// The order of a record's names: by length, then byte by byte. Lengths tell most names apart
/// with one comparison of two integers, where comparing the text first compared the shared
/// prefixes (`baseline.`, `attended_`, `income_`) of most pairs.
pub fn name_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

/// Names already made shared (`Arc<str>`), so that the records built on one thread share one
/// copy of each name instead of allocating it per record.
#[derive(Debug, Default)]
pub struct Names(HashMap<Box<str>, Arc<str>, NameHash>);

impl Names {
    /// The shared copy of `prefix` followed by `name`, without making the joined text when it
    /// is already known (`baseline.` and each baseline answer's name, per record).
    pub fn joined(&mut self, prefix: &str, name: &str, scratch: &mut String) -> Arc<str> {
        scratch.clear();
        scratch.push_str(prefix);
        scratch.push_str(name);
        self.get(scratch)
    }

    /// The shared copy of `name`.
    pub fn get(&mut self, name: &str) -> Arc<str> {
        if let Some(shared) = self.0.get(name) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(name);
        self.0.insert(name.into(), Arc::clone(&shared));
        shared
    }
}

/// Evaluates expressions against a record. `today` is the reporting date, passed in because
/// indicators never read the clock.
pub struct RecordEnv<'a> {
    /// The record.
    pub record: &'a Record,
    /// The date `today()` returns.
    pub today: NaiveDate,
}

impl Env for RecordEnv<'_> {
    fn value(&self, name: &str) -> Value {
        self.record.get(name)
    }

    fn current(&self) -> Value {
        Value::empty()
    }

    fn today(&self) -> NaiveDate {
        self.today
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wave_record_reads_through_to_its_roster_record_and_its_own_values_win() {
        let mut roster = Record::new();
        roster.set_text("sex", "P").set_num("age", 41.0);
        let roster = Arc::new(roster);
        let mut wave = Record::over(Arc::clone(&roster));
        wave.set_num("responded", 1.0).set_num("age", 42.0);
        assert_eq!(wave.get("sex"), Value::Str("P".into()));
        assert_eq!(wave.get("age"), Value::Num(42.0));
        assert_eq!(wave.get("responded"), Value::Num(1.0));
        assert_eq!(
            roster.get("responded"),
            Value::empty(),
            "the roster is untouched"
        );
        assert!(wave.lookup("income_total").is_none());
        assert_eq!(wave.category("sex"), Some("P".to_owned()));
        assert_eq!(wave.category("income_total"), None);
    }

    #[test]
    fn a_record_from_values_keeps_the_last_of_a_name_and_finds_every_name() {
        let names: Vec<Arc<str>> = ["sex", "age", "zona", "age", "baseline.income", "a"]
            .map(Arc::from)
            .to_vec();
        let values = names
            .iter()
            .enumerate()
            .map(|(i, name)| (Arc::clone(name), Value::Num(i as f64)))
            .collect();
        let mut record = Record::from_values(values, 1);
        assert_eq!(record.get("age"), Value::Num(3.0), "the later value wins");
        assert_eq!(record.get("sex"), Value::Num(0.0));
        assert_eq!(record.get("zona"), Value::Num(2.0));
        assert_eq!(record.get("baseline.income"), Value::Num(4.0));
        assert_eq!(record.get("a"), Value::Num(5.0));
        assert!(record.lookup("b").is_none());
        assert_eq!(record.own_values().count(), 5);
        // The same record set one value at a time.
        let mut one_by_one = Record::new();
        for (i, name) in names.iter().enumerate() {
            one_by_one.set(Arc::clone(name), Value::Num(i as f64));
        }
        assert_eq!(record, one_by_one);
        let responded: Arc<str> = Arc::from("responded");
        record.set_if_absent(&responded, Value::Num(1.0));
        record.set_if_absent(&responded, Value::Num(0.0));
        assert_eq!(record.own("responded"), Some(&Value::Num(1.0)));
        assert!(
            record
                .own_values()
                .map(|(name, _)| name)
                .is_sorted_by(|a, b| name_order(a, b).is_le()),
            "kept in name order"
        );
    }

    #[test]
    fn names_found_in_one_walk_are_those_each_lookup_finds() {
        let mut roster = Record::new();
        roster
            .set_text("sex", "P")
            .set_num("age", 41.0)
            .set_text("baseline.income_total", "0")
            .set_text("province", "Jawa Barat");
        let roster = Arc::new(roster);
        let mut wave = Record::over(Arc::clone(&roster));
        wave.set_num("responded", 1.0)
            .set_num("age", 42.0)
            .set_text("income_total", "1500000");
        let mut names = vec![
            "age",
            "sex",
            "zzz",
            "a",
            "province",
            "responded",
            "income_total",
            "baseline.income_total",
            "sex",
            "missing_name_longer_than_all",
        ];
        names.sort_by(|a, b| name_order(a, b));
        for record in [&*roster, &wave, &Record::new()] {
            let mut found = vec![Some(&Value::Bool(true)); names.len()];
            record.lookup_sorted(&names, &mut found);
            let each: Vec<Option<&Value>> = names.iter().map(|name| record.lookup(name)).collect();
            assert_eq!(found, each);
        }
    }

    #[test]
    fn values_added_where_absent_keep_the_records_own_and_the_first_of_a_name() {
        let mut record = Record::from_values(
            vec![
                (Arc::from("disability"), Value::Num(1.0)),
                (Arc::from("province"), Value::Str("Bali".into())),
            ],
            4,
        );
        let mut one_by_one = record.clone();
        let added: Vec<(Arc<str>, Value)> = [
            ("disability", "yes"),
            ("sex", "L"),
            ("age", "30"),
            ("sex", "P"),
            ("nik", "3201"),
        ]
        .into_iter()
        .map(|(name, text)| (Arc::from(name), Value::Str(text.into())))
        .collect();
        for (name, value) in added.clone() {
            one_by_one.set_if_absent(&name, value);
        }
        record.extend_absent(added);
        assert_eq!(record, one_by_one);
        assert_eq!(record.get("disability"), Value::Num(1.0));
        assert_eq!(record.get("sex"), Value::Str("L".into()));
        assert_eq!(record.own_values().count(), 5);
    }
}
