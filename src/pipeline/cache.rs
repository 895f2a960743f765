//! The job cache (`job_cache`, migration 0008): each participant's merged roster record and each
//! response's merged answers as they were built by an earlier run, so that a run rebuilds only
//! the records whose inputs changed since.
//!
//! An entry is keyed by participant and wave (`''` for the roster record) and holds a
//! [fingerprint](fingerprint) of everything the record was built from: the participant row's
//! stored values (`participant_rows.attrs`, which every import, hand edit and erasure rewrites),
//! the response's answers as stored (erasure rewrites them too), and the run's [`Scope`] (the
//! configuration, the reference data, the forms and this cache's format). A run that finds the
//! same fingerprint reuses the record; any other fingerprint, or an entry that does not decode,
//! is a miss and the record is built again. A cached record can therefore never be older than
//! its inputs; at worst a changed input costs a rebuild.
//!
//! A run reads the whole cache on a thread of its own ([`Cache::start_loading`]), decoding
//! each entry straight into a [`Record`], while the job does its other reads; the merge then
//! moves each record whose fingerprint matches out of the cache.
//!
//! What depends on the day of the run (age, age group, the minimum wage of the year) is not
//! cached: it is added to every record after it is built or read back (see
//! `merge::add_dated`), so a cache written yesterday still holds today.

use std::collections::HashMap;

use anyhow::Context;
use chrono::{Datelike, NaiveDate};
use rusqlite::{Connection, OpenFlags, params};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::expr::Value;
use crate::indicators::{Names, Record};
use crate::reference::Reference;

/// Bumped whenever the encoding or what a merged record holds changes, so that entries written
/// by an older pantau are misses rather than misread.
const FORMAT: u32 = 1;

/// Bytes of SHA-256 kept as a fingerprint: 128 bits, far beyond any chance collision among a
/// programme's records.
pub const FINGERPRINT_BYTES: usize = 16;

/// What every record of a run depends on besides its own rows: configuration, reference data,
/// forms and the cache format, hashed once per run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope([u8; FINGERPRINT_BYTES]);

impl Scope {
    /// The scope of a run with `config`, `reference` and forms whose content hashes are `forms`.
    /// The configuration and reference data are hashed through their `Debug` form, which lists
    /// every field (both hold ordered maps only, so the text is the same on every run).
    pub fn new(config: &Config, reference: &Reference, forms: &[u8]) -> Scope {
        let mut hash = Sha256::new();
        hash.update(FORMAT.to_le_bytes());
        hash.update(env!("CARGO_PKG_VERSION").as_bytes());
        for part in [
            format!("{config:?}").as_bytes(),
            format!("{reference:?}").as_bytes(),
            forms,
        ] {
            hash.update((part.len() as u64).to_le_bytes());
            hash.update(part);
        }
        Scope(truncate(hash))
    }
}

/// A record's fingerprint: the scope, the entry's wave (`""` for the roster record) and each of
/// `inputs` (None: absent, which differs from empty).
pub fn fingerprint(scope: &Scope, wave: &str, inputs: &[Option<&str>]) -> [u8; FINGERPRINT_BYTES] {
    let mut hash = Sha256::new();
    hash.update(scope.0);
    hash.update((wave.len() as u64).to_le_bytes());
    hash.update(wave.as_bytes());
    for input in inputs {
        match input {
            Some(text) => {
                hash.update([1]);
                hash.update((text.len() as u64).to_le_bytes());
                hash.update(text.as_bytes());
            }
            None => hash.update([0]),
        }
    }
    truncate(hash)
}

fn truncate(hash: Sha256) -> [u8; FINGERPRINT_BYTES] {
    let digest = hash.finalize();
    let mut kept = [0u8; FINGERPRINT_BYTES];
    kept.copy_from_slice(&digest[..FINGERPRINT_BYTES]);
    kept
}

/// One stored entry: its fingerprint and its record as decoded (without the dated values, and
/// for a wave without the roster record it layers over).
pub type Entry = ([u8; FINGERPRINT_BYTES], Record);

/// One wave's entries (`""`: roster records) by participant: looked up by id with a fast fixed
/// hash (ids are the database's own, not an attacker's choice).
pub type WaveEntries = HashMap<i64, Entry, foldhash::fast::FixedState>;

/// The entries of `job_cache` read at the start of a run, decoded into records, and the ones
/// the run built anew, written back by [`Cache::save`].
#[derive(Debug, Default)]
pub struct Cache {
    /// By wave (`""`: roster records), then participant.
    entries: HashMap<String, WaveEntries>,
    built: Vec<(i64, String, [u8; FINGERPRINT_BYTES], Vec<u8>)>,
}

/// A [`Cache`] being read on a thread of its own (see [`Cache::start_loading`]).
pub struct Loading(LoadingState);

enum LoadingState {
    Read(anyhow::Result<Cache>),
    Reading(std::thread::JoinHandle<anyhow::Result<Cache>>),
}

impl Loading {
    /// The cache, once read.
    pub fn wait(self) -> anyhow::Result<Cache> {
        match self.0 {
            LoadingState::Read(cache) => cache,
            LoadingState::Reading(thread) => thread
                .join()
                .map_err(|_| anyhow::anyhow!("the thread reading the job cache panicked"))?,
        }
    }
}

impl Cache {
    /// Starts reading every entry of `job_cache` on a thread of its own, over a read-only
    /// connection to the same database file, so that decoding the cache (a few hundred
    /// thousand records) overlaps the run's other reads instead of preceding the merge. A
    /// database without a file (in memory) is read here, on `conn`.
    ///
    /// Reading in another transaction is safe: an entry is only ever used when its fingerprint
    /// matches the inputs the merge reads, whenever the entry was read.
    pub fn start_loading(conn: &Connection) -> Loading {
        let path = conn
            .path()
            .filter(|path| !path.is_empty())
            .map(str::to_owned);
        let Some(path) = path else {
            return Loading(LoadingState::Read(Cache::load(conn)));
        };
        let thread = std::thread::Builder::new()
            .name("job cache".into())
            .spawn(move || {
                let conn = Connection::open_with_flags(
                    &path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .with_context(|| {
                    format!("cannot open the database {path} to read the job cache")
                })?;
                conn.busy_timeout(std::time::Duration::from_secs(30))?;
                Cache::load(&conn)
            });
        match thread {
            Ok(thread) => Loading(LoadingState::Reading(thread)),
            // No thread to be had: read it here instead.
            Err(_) => Loading(LoadingState::Read(Cache::load(conn))),
        }
    }

    /// Every entry of `job_cache`, decoded. An entry whose fingerprint is not of the expected
    /// length or whose record does not decode (a damaged row) is left out, which makes it a
    /// miss.
    pub fn load(conn: &Connection) -> anyhow::Result<Cache> {
        let mut statement =
            conn.prepare("SELECT participant_id, wave, fingerprint, record FROM job_cache")?;
        let mut rows = statement.query([])?;
        let mut entries: HashMap<String, WaveEntries> = HashMap::new();
        // One shared copy of each name for every record read.
        let mut names = Names::default();
        while let Some(row) = rows.next()? {
            let fingerprint: &[u8] = row.get_ref(2)?.as_blob()?;
            let Ok(fingerprint) = <[u8; FINGERPRINT_BYTES]>::try_from(fingerprint) else {
                continue;
            };
            let wave = row.get_ref(1)?.as_str()?;
            // Room for what the merge adds: the four dated values to a roster record,
            // `invited` and `responded` to a wave's.
            let room = if wave.is_empty() { 4 } else { 2 };
            let Some(record) = decode_record(row.get_ref(3)?.as_blob()?, room, &mut names) else {
                continue;
            };
            let by_participant = match entries.get_mut(wave) {
                Some(by_participant) => by_participant,
                None => entries.entry(wave.to_owned()).or_default(),
            };
            by_participant.insert(row.get(0)?, (fingerprint, record));
        }
        Ok(Cache {
            entries,
            built: Vec::new(),
        })
    }

    /// Takes the entries of `wave` (`""`: the roster records) out of the cache, for the merge
    /// to use the records whose fingerprints match and rebuild the others.
    pub fn take_wave(&mut self, wave: &str) -> WaveEntries {
        self.entries.remove(wave).unwrap_or_default()
    }

    /// The values cached for `participant` and `wave` if they were built from inputs with this
    /// `fingerprint`; None otherwise (a miss).
    pub fn get(
        &self,
        participant: i64,
        wave: &str,
        fingerprint: &[u8; FINGERPRINT_BYTES],
    ) -> Option<&Record> {
        let (stored, record) = self.entries.get(wave)?.get(&participant)?;
        (stored == fingerprint).then_some(record)
    }

    /// Keeps `values`, built for `participant` and `wave` from inputs with `fingerprint`, to be
    /// written by [`Cache::save`].
    pub fn put<'a>(
        &mut self,
        participant: i64,
        wave: &str,
        fingerprint: [u8; FINGERPRINT_BYTES],
        values: impl Iterator<Item = (&'a str, &'a Value)>,
    ) {
        self.built
            .push((participant, wave.to_owned(), fingerprint, encode(values)));
    }

    /// Keeps an entry already encoded with [`encode`] (records are encoded on the threads
    /// that build them).
    pub fn put_encoded(
        &mut self,
        participant: i64,
        wave: &str,
        fingerprint: [u8; FINGERPRINT_BYTES],
        bytes: Vec<u8>,
    ) {
        self.built
            .push((participant, wave.to_owned(), fingerprint, bytes));
    }

    /// How many entries this run built (misses).
    pub fn built(&self) -> usize {
        self.built.len()
    }

    /// Writes the entries built in this run, replacing older ones, in one transaction.
    pub fn save(&mut self, conn: &Connection) -> anyhow::Result<()> {
        if self.built.is_empty() {
            return Ok(());
        }
        // In key order: the table keeps the records in its primary key's B-tree (WITHOUT
        // ROWID), so entries written wave by wave would land all over it, splitting pages and
        // reading each one back through the WAL; in key order a first run appends.
        self.built
            .sort_unstable_by(|a, b| (a.0, a.1.as_str()).cmp(&(b.0, b.1.as_str())));
        let tx = conn
            .unchecked_transaction()
            .context("cannot start writing the job cache")?;
        {
            let mut statement = tx.prepare(
                "INSERT INTO job_cache (participant_id, wave, fingerprint, record)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (participant_id, wave) DO UPDATE SET
                     fingerprint = excluded.fingerprint, record = excluded.record",
            )?;
            for (participant, wave, fingerprint, record) in self.built.drain(..) {
                statement
                    .execute(params![participant, wave, &fingerprint[..], record])
                    .context("cannot write the job cache")?;
            }
        }
        tx.commit().context("cannot write the job cache")?;
        Ok(())
    }
}

// The encoding: a count (u32), then per value its name (u16 length + UTF-8), a tag and the
// value: text (u32 length + UTF-8), number (f64), boolean (u8) or date (i32 days from
// 0001-01-01). Little-endian throughout. Compact, and read back without parsing text.
const TEXT: u8 = 0;
const NUMBER: u8 = 1;
const BOOLEAN: u8 = 2;
const DATE: u8 = 3;

/// `values` in the cache's encoding.
pub fn encode<'a>(values: impl Iterator<Item = (&'a str, &'a Value)>) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(256);
    bytes.extend_from_slice(&0u32.to_le_bytes());
    let mut count = 0u32;
    for (name, value) in values {
        // Names are field names, far shorter than 64 KiB; a longer one is not cached at all
        // (the whole record then misses every run, which is slower but never wrong).
        let Ok(length) = u16::try_from(name.len()) else {
            return Vec::new();
        };
        bytes.extend_from_slice(&length.to_le_bytes());
        bytes.extend_from_slice(name.as_bytes());
        match value {
            Value::Str(text) => {
                bytes.push(TEXT);
                bytes.extend_from_slice(&(text.len() as u32).to_le_bytes());
                bytes.extend_from_slice(text.as_bytes());
            }
            Value::Num(number) => {
                bytes.push(NUMBER);
                bytes.extend_from_slice(&number.to_le_bytes());
            }
            Value::Bool(flag) => {
                bytes.push(BOOLEAN);
                bytes.push(u8::from(*flag));
            }
            Value::Date(date) => {
                bytes.push(DATE);
                bytes.extend_from_slice(&date.num_days_from_ce().to_le_bytes());
            }
        }
        count += 1;
    }
    bytes[..4].copy_from_slice(&count.to_le_bytes());
    bytes
}

/// The values of an encoded record, names borrowed from `bytes`; None when the bytes are not a
/// whole, valid encoding. (A run reads entries with [`decode_record`], straight into records.)
pub fn decode(bytes: &[u8]) -> Option<Vec<(&str, Value)>> {
    let mut reader = Reader { bytes };
    let count = u32::from_le_bytes(reader.take()?);
    let mut values = Vec::with_capacity(count.min(1024) as usize);
    for _ in 0..count {
        let length = u16::from_le_bytes(reader.take()?);
        let name = reader.str(usize::from(length))?;
        values.push((name, reader.value()?));
    }
    reader.bytes.is_empty().then_some(values)
}

/// An encoded record as a [`Record`] with room for `room` more values, its names shared
/// through `names`; None when the bytes are not a whole, valid encoding.
pub fn decode_record(bytes: &[u8], room: usize, names: &mut Names) -> Option<Record> {
    let mut reader = Reader { bytes };
    let count = u32::from_le_bytes(reader.take()?);
    let mut values = Vec::with_capacity((count as usize).min(1024));
    for _ in 0..count {
        let length = u16::from_le_bytes(reader.take()?);
        let name = reader.str(usize::from(length))?;
        let value = reader.value()?;
        values.push((names.get(name), value));
    }
    reader
        .bytes
        .is_empty()
        .then(|| Record::from_values(values, room))
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.bytes.split_first_chunk::<N>()?;
        self.bytes = rest;
        Some(*head)
    }

    /// A tagged value.
    fn value(&mut self) -> Option<Value> {
        let [tag] = self.take()?;
        Some(match tag {
            TEXT => {
                let length = u32::from_le_bytes(self.take()?);
                Value::Str(self.str(length as usize)?.to_owned())
            }
            NUMBER => Value::Num(f64::from_le_bytes(self.take()?)),
            BOOLEAN => Value::Bool(self.take::<1>()? != [0]),
            DATE => Value::Date(NaiveDate::from_num_days_from_ce_opt(i32::from_le_bytes(
                self.take()?,
            ))?),
            _ => return None,
        })
    }

    fn str(&mut self, length: usize) -> Option<&'a str> {
        let (head, rest) = self.bytes.split_at_checked(length)?;
        self.bytes = rest;
        std::str::from_utf8(head).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_value_comes_back_as_it_was_encoded() {
        let values = [
            ("sex".to_owned(), Value::Str("P".into())),
            ("empty".to_owned(), Value::Str(String::new())),
            ("age".to_owned(), Value::Num(41.5)),
            ("flag".to_owned(), Value::Bool(true)),
            (
                "day".to_owned(),
                Value::Date(NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()),
            ),
            ("nama".to_owned(), Value::Str("Siti Nurhaliza — ✓".into())),
        ];
        let bytes = encode(values.iter().map(|(n, v)| (n.as_str(), v)));
        let borrowed: Vec<(&str, Value)> = values
            .iter()
            .map(|(n, v)| (n.as_str(), v.clone()))
            .collect();
        assert_eq!(decode(&bytes), Some(borrowed));
    }

    #[test]
    fn a_cut_or_padded_or_mistagged_encoding_is_a_miss_not_a_record() {
        let value = Value::Str("Bekasi".into());
        let bytes = encode(std::iter::once(("training_location", &value)));
        for cut in 0..bytes.len() {
            assert_eq!(decode(&bytes[..cut]), None, "cut at {cut}");
        }
        let mut padded = bytes.clone();
        padded.push(0);
        assert_eq!(decode(&padded), None);
        let mut mistagged = bytes.clone();
        mistagged[4 + 2 + "training_location".len()] = 9;
        assert_eq!(decode(&mistagged), None);
    }

    #[test]
    fn a_record_decoded_straight_holds_what_decode_reads_and_a_cut_one_is_a_miss() {
        let values = [
            ("sex", Value::Str("P".into())),
            ("age", Value::Num(41.5)),
            ("flag", Value::Bool(false)),
            (
                "day",
                Value::Date(NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()),
            ),
        ];
        let bytes = encode(values.iter().map(|(n, v)| (*n, v)));
        let mut names = Names::default();
        let record = decode_record(&bytes, 2, &mut names).expect("a whole encoding");
        for (name, value) in decode(&bytes).unwrap() {
            assert_eq!(record.own(name), Some(&value), "{name}");
        }
        assert_eq!(record.own_values().count(), values.len());
        for cut in 0..bytes.len() {
            assert!(
                decode_record(&bytes[..cut], 0, &mut names).is_none(),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn a_fingerprint_changes_with_each_input_and_with_absence() {
        let scope = Scope([7; FINGERPRINT_BYTES]);
        let other = Scope([8; FINGERPRINT_BYTES]);
        let base = fingerprint(&scope, "", &[Some("{}"), None]);
        assert_eq!(base, fingerprint(&scope, "", &[Some("{}"), None]));
        assert_ne!(base, fingerprint(&other, "", &[Some("{}"), None]));
        assert_ne!(base, fingerprint(&scope, "m3", &[Some("{}"), None]));
        assert_ne!(base, fingerprint(&scope, "", &[Some("{ }"), None]));
        assert_ne!(base, fingerprint(&scope, "", &[Some("{}"), Some("")]));
        // Lengths are hashed, so moving text from one input to the next is a change.
        assert_ne!(
            fingerprint(&scope, "", &[Some("ab"), Some("c")]),
            fingerprint(&scope, "", &[Some("a"), Some("bc")])
        );
    }
}
