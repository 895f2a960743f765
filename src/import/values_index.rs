//! Identifier values and the participant each belongs to, held without a heap string per value.
//!
//! The participant directory ([`super::identity`]) loads every participant id, NIK, phone
//! number and key of a programme, or of a first import, into memory: five million strings for
//! a million participants. As a map of `String`s each value was an allocation of its own, a
//! 32-byte slot in a table sized for twice the entries and a copy of the value on insert; the
//! kernel zeroing that memory at first touch stalled a first import's storing thread while the
//! reading and checking threads waited, and the directory took a seventh of the import's time.
//! Here the values lie end to end in one text, a table of 4-byte places finds them by hash,
//! and a lookup compares the value itself, so the answers are exactly those of a map.

use std::hash::BuildHasher;

use hashbrown::HashTable;

/// Values → participant. Each value is kept once: the first participant it was inserted with
/// keeps it (as `entry(..).or_insert(..)` does) unless [`ValuesIndex::set`] replaces it.
pub(super) struct ValuesIndex {
    /// Places in `entries`, found by the value's hash.
    table: HashTable<u32>,
    /// In insertion order: where each value ends in `text` (it starts where the one before
    /// ends) and its participant.
    entries: Vec<Entry>,
    /// Every value, end to end.
    text: String,
    /// foldhash with a per-process random seed: fast, and a crafted roster cannot choose
    /// collisions without knowing the seed.
    hasher: foldhash::fast::RandomState,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    end: usize,
    participant: i64,
}

impl ValuesIndex {
    /// Room for `values` values of about `bytes_each` bytes without growing.
    pub(super) fn with_capacity(values: usize, bytes_each: usize) -> ValuesIndex {
        ValuesIndex {
            table: HashTable::with_capacity(values),
            entries: Vec::with_capacity(values),
            text: String::with_capacity(values.saturating_mul(bytes_each)),
            hasher: foldhash::fast::RandomState::default(),
        }
    }

    /// The participant `value` belongs to.
    pub(super) fn get(&self, value: &str) -> Option<i64> {
        let hash = self.hasher.hash_one(value);
        self.table
            .find(hash, |&place| {
                value_at(&self.entries, &self.text, place) == value
            })
            .map(|&place| self.entries[place as usize].participant)
    }

    /// Notes that `value` belongs to `participant` unless it already belongs to someone.
    pub(super) fn insert_if_absent(&mut self, value: &str, participant: i64) {
        self.put(value, participant, false);
    }

    /// Notes that `value` belongs to `participant`, replacing whoever had it.
    pub(super) fn set(&mut self, value: &str, participant: i64) {
        self.put(value, participant, true);
    }

    fn put(&mut self, value: &str, participant: i64, replace: bool) {
        let hash = self.hasher.hash_one(value);
        let Self {
            table,
            entries,
            text,
            hasher,
        } = self;
        if let Some(&place) = table.find(hash, |&place| value_at(entries, text, place) == value) {
            if replace {
                entries[place as usize].participant = participant;
            }
            return;
        }
        // A directory of four billion values would need hundreds of gigabytes before this.
        let place = u32::try_from(entries.len()).expect("fewer than 2^32 identifier values");
        text.push_str(value);
        entries.push(Entry {
            end: text.len(),
            participant,
        });
        let (entries, text) = (&*entries, &*text);
        table.insert_unique(hash, place, |&place| {
            hasher.hash_one(value_at(entries, text, place))
        });
    }
}

/// The value at `place` in `entries`: from where the entry before it ends to its own end.
fn value_at<'t>(entries: &[Entry], text: &'t str, place: u32) -> &'t str {
    let place = place as usize;
    let start = place.checked_sub(1).map_or(0, |before| entries[before].end);
    &text[start..entries[place].end]
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn answers_as_a_map_of_strings_does() {
        // Values that are prefixes of each other, empty, repeated and non-ASCII, inserted into
        // a small index so that its table grows several times (re-hashing from `text`).
        let mut index = ValuesIndex::with_capacity(2, 4);
        let mut map: HashMap<String, i64> = HashMap::new();
        let values: Vec<String> = (0..5_000)
            .map(|i| match i % 5 {
                0 => format!("62812{}", i / 5),
                1 => format!("62812{}", i / 10),
                2 => String::new(),
                3 => format!("Ñ{}é", i % 97),
                _ => format!("3216{:012}", i * 7919 % 4_000),
            })
            .collect();
        for (participant, value) in values.iter().enumerate() {
            let participant = participant as i64;
            if participant % 7 == 0 {
                index.set(value, participant);
                map.insert(value.clone(), participant);
            } else {
                index.insert_if_absent(value, participant);
                map.entry(value.clone()).or_insert(participant);
            }
        }
        for value in &values {
            assert_eq!(index.get(value), map.get(value).copied(), "{value:?}");
        }
        for absent in ["6281", "Ñ", "3216", "x"] {
            assert_eq!(index.get(absent), map.get(absent).copied(), "{absent:?}");
        }
        assert_eq!(index.entries.len(), map.len());
    }
}
