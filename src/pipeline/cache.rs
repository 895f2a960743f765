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
//! An entry names its values by number: each name is stored once, in `job_cache_names`
//! (migration 0014), and numbered by the run that first used it ([`Dictionary`]); numbers
//! are never given twice, and an entry naming a number the dictionary does not hold is a miss.
//! Numbers, and text spelling an integer or a day (as answers and roster values do), are kept
//! as binary integers and spelt out again byte for byte when read (see the encoding's
//! constants).
//!
//! A run reads the whole cache on a thread of its own ([`Cache::start_loading`]), decoding
//! each entry straight into a [`Record`], while the job does its other reads; the merge then
//! moves each record whose fingerprint matches out of the cache. The records it builds are
//! encoded on the threads that build them and written after the merge on another thread with
//! a connection of its own ([`Cache::write_behind`]), while the job computes its indicators
//! and writes its workbooks; the job waits for it before recording the run. The writing is
//! one transaction: a cache that cannot be written stays as it was, and the next run rebuilds.
//!
//! What depends on the day of the run (age, age group, the minimum wage of the year) is not
//! cached: it is added to every record after it is built or read back (see
//! `merge::add_dated`), so a cache written yesterday still holds today.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard};

use anyhow::Context;
use chrono::{Datelike, NaiveDate};
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior, params};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::expr::Value;
use crate::indicators::Record;
use crate::reference::Reference;

/// Bumped whenever the encoding or what a merged record holds changes, so that entries written
/// by an older pantau are misses rather than misread: it is part of every fingerprint (through
/// the [`Scope`]) and the second byte of every entry.
const FORMAT: u8 = 2;

/// The first byte of every entry. Format 1 began with a little-endian `u32` count of values,
/// whose second byte was 0 for any record of fewer than 256 values; with [`FORMAT`] after it
/// no entry of format 1 reads as one of format 2 even before its fingerprint is compared.
const MAGIC: u8 = 0xCA;

/// Fast fixed hash for names and participant ids: the programme's own keys, not an attacker's.
type Fast = foldhash::fast::FixedState;

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
        hash.update(u32::from(FORMAT).to_le_bytes());
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
pub type WaveEntries = HashMap<i64, Entry, Fast>;

/// The entries of `job_cache` read at the start of a run, decoded into records, and the ones
/// the run built anew, written back by [`Cache::write_behind`] (or [`Cache::save`]).
#[derive(Debug, Default)]
pub struct Cache {
    /// By wave (`""`: roster records), then participant.
    entries: HashMap<String, WaveEntries>,
    /// The names entries refer to by number: those stored, and those this run adds.
    dictionary: Arc<Dictionary>,
    /// The waves of `built`, each once (an entry holds its wave's place here, not a `String`).
    waves: Vec<String>,
    /// Entries built in this run, encoded, waiting to be written.
    built: Vec<Built>,
}

/// An entry built in this run, encoded with the run's [`Dictionary`].
#[derive(Debug)]
struct Built {
    participant: i64,
    /// Place of the wave in [`Cache::waves`].
    wave: u32,
    fingerprint: [u8; FINGERPRINT_BYTES],
    bytes: Vec<u8>,
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

/// The entries a run built, being written to `job_cache` on a thread of its own (see
/// [`Cache::write_behind`]). Dropping it waits for the writing to end, so that no run ends
/// (and releases the job lock) while its cache is still being written.
pub struct Saving {
    built: usize,
    state: Option<SavingState>,
}

enum SavingState {
    Written(anyhow::Result<()>),
    Writing(std::thread::JoinHandle<anyhow::Result<()>>),
}

impl Saving {
    /// How many entries the run built (its misses), written or being written.
    pub fn built(&self) -> usize {
        self.built
    }

    /// Waits until the entries are written, or were not: then the error says why, and
    /// `job_cache` is as it was before the run (the writing is one transaction).
    pub fn wait(mut self) -> anyhow::Result<()> {
        match self.state.take() {
            None => Ok(()),
            Some(SavingState::Written(result)) => result,
            Some(SavingState::Writing(thread)) => thread
                .join()
                .map_err(|_| anyhow::anyhow!("the thread writing the job cache panicked"))?,
        }
    }
}

impl Drop for Saving {
    fn drop(&mut self) {
        if let Some(SavingState::Writing(thread)) = self.state.take() {
            // Nothing to report to: the caller returned early with an error of its own.
            let _ = thread.join();
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
    /// matches the inputs the merge reads, whenever the entry was read, and names are only
    /// ever added to `job_cache_names` (an entry naming one read after it is a miss).
    pub fn start_loading(conn: &Connection) -> Loading {
        let Some(path) = file_of(conn) else {
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

    /// Every entry of `job_cache`, decoded with the names of `job_cache_names`. An entry whose
    /// fingerprint is not of the expected length, whose record does not decode (a damaged row,
    /// an older format) or which names a number the dictionary does not hold is left out,
    /// which makes it a miss.
    pub fn load(conn: &Connection) -> anyhow::Result<Cache> {
        let (names, numbering) = read_names(conn)?;
        let mut statement =
            conn.prepare("SELECT participant_id, wave, fingerprint, record FROM job_cache")?;
        let mut rows = statement.query([])?;
        let mut entries: HashMap<String, WaveEntries> = HashMap::new();
        while let Some(row) = rows.next()? {
            let fingerprint: &[u8] = row.get_ref(2)?.as_blob()?;
            let Ok(fingerprint) = <[u8; FINGERPRINT_BYTES]>::try_from(fingerprint) else {
                continue;
            };
            let wave = row.get_ref(1)?.as_str()?;
            // Room for what the merge adds: the four dated values to a roster record,
            // `invited` and `responded` to a wave's.
            let room = if wave.is_empty() { 4 } else { 2 };
            let Some(record) = decode_record(row.get_ref(3)?.as_blob()?, room, &names) else {
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
            dictionary: Arc::new(Dictionary(RwLock::new(numbering))),
            waves: Vec::new(),
            built: Vec::new(),
        })
    }

    /// The dictionary records are encoded with ([`Dictionary::encode`]), shared with the
    /// threads that build them.
    pub fn dictionary(&self) -> Arc<Dictionary> {
        Arc::clone(&self.dictionary)
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
    /// written with the run's other entries.
    pub fn put<'a>(
        &mut self,
        participant: i64,
        wave: &str,
        fingerprint: [u8; FINGERPRINT_BYTES],
        values: impl Iterator<Item = (&'a str, &'a Value)>,
    ) {
        let bytes = self.dictionary.encode(values);
        self.put_encoded(participant, wave, fingerprint, bytes);
    }

    /// Keeps an entry already encoded with this cache's [`Dictionary::encode`] (records are
    /// encoded on the threads that build them).
    pub fn put_encoded(
        &mut self,
        participant: i64,
        wave: &str,
        fingerprint: [u8; FINGERPRINT_BYTES],
        bytes: Vec<u8>,
    ) {
        let place = match self.waves.iter().position(|known| known == wave) {
            Some(place) => place,
            None => {
                self.waves.push(wave.to_owned());
                self.waves.len() - 1
            }
        };
        self.built.push(Built {
            participant,
            // A run has a handful of waves.
            wave: u32::try_from(place).unwrap_or(u32::MAX),
            fingerprint,
            bytes,
        });
    }

    /// How many entries this run built (misses).
    pub fn built(&self) -> usize {
        self.built.len()
    }

    /// Writes the entries built in this run (replacing older ones) and the names they added, in
    /// one transaction, on `conn`. See [`Cache::write_behind`] for writing them on a thread.
    pub fn save(self, conn: &Connection) -> anyhow::Result<()> {
        let (batch, rest) = self.into_batch();
        drop(rest);
        batch.write(conn)
    }

    /// Starts writing the entries built in this run, as [`Cache::save`] does, on a thread of
    /// its own over its own connection to the database file, so that the job computes its
    /// indicators and writes its workbooks meanwhile. Each entry's bytes are freed as soon as
    /// they are written, and the entries this run did not use are freed on that thread too. A
    /// database without a file (in memory) is written here, on `conn`.
    pub fn write_behind(self, conn: &Connection) -> Saving {
        let built = self.built.len();
        let (batch, rest) = self.into_batch();
        if batch.built.is_empty() {
            return Saving {
                built,
                state: Some(SavingState::Written(Ok(()))),
            };
        }
        let Some(path) = file_of(conn) else {
            drop(rest);
            return Saving {
                built,
                state: Some(SavingState::Written(batch.write(conn))),
            };
        };
        let thread = std::thread::Builder::new()
            .name("job cache writer".into())
            .spawn(move || {
                drop(rest);
                let conn = Connection::open_with_flags(
                    &path,
                    OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .with_context(|| {
                    format!("cannot open the database {path} to write the job cache")
                })?;
                crate::db::configure(&conn).with_context(|| {
                    format!("cannot set up the connection to {path} to write the job cache")
                })?;
                batch.write(&conn)
            });
        let state = match thread {
            Ok(thread) => SavingState::Writing(thread),
            Err(err) => SavingState::Written(Err(anyhow::Error::new(err)
                .context("cannot start the thread that writes the job cache"))),
        };
        Saving {
            built,
            state: Some(state),
        }
    }

    /// What [`Batch::write`] writes, and the entries no record used (freed by the caller).
    fn into_batch(self) -> (Batch, HashMap<String, WaveEntries>) {
        let batch = Batch {
            built: self.built,
            waves: self.waves,
            dictionary: self.dictionary,
        };
        (batch, self.entries)
    }
}

/// The file of `conn`'s database; None for one in memory.
fn file_of(conn: &Connection) -> Option<String> {
    conn.path()
        .filter(|path| !path.is_empty())
        .map(str::to_owned)
}

/// The names of `job_cache_names` by number (None where a number is not given), and the
/// numbering a run continues from.
fn read_names(conn: &Connection) -> anyhow::Result<(Vec<Option<Arc<str>>>, Numbering)> {
    let mut statement = conn.prepare("SELECT id, name FROM job_cache_names")?;
    let mut rows = statement.query([])?;
    let mut names: Vec<Option<Arc<str>>> = Vec::new();
    let mut numbering = Numbering::default();
    while let Some(row) = rows.next()? {
        let id: i64 = row.get(0)?;
        let name = row.get_ref(1)?.as_str()?;
        numbering.stored.0 += 1;
        numbering.stored.1 = numbering.stored.1.max(id.saturating_add(1));
        let place = usize::try_from(id).ok().filter(|place| *place < MAX_NAMES);
        let Some(place) = place else {
            // Not a number this pantau gives: the dictionary is not its own.
            numbering.afresh = true;
            continue;
        };
        if names.len() <= place {
            names.resize(place + 1, None);
        }
        names[place] = Some(Arc::from(name));
        numbering.ids.insert(name.into(), place as u32);
    }
    if numbering.afresh || numbering.stored.0 == 0 {
        // Entries are decoded with the names as read (any that use them are still right),
        // but the run numbers its names from 0 and its writer clears both tables first.
        numbering.afresh = true;
        numbering.ids.clear();
        numbering.next = 0;
    } else {
        numbering.next = u32::try_from(numbering.stored.1).unwrap_or(u32::MAX);
    }
    Ok((names, numbering))
}

/// More names than any programme's records hold (roster columns, derived values, the forms'
/// fields twice): a number past it is not one this pantau gave.
const MAX_NAMES: usize = 1 << 20;

/// The names of cached values, each with the number entries refer to it by: those read from
/// `job_cache_names` and those this run adds. Shared by the threads that encode records:
/// looked up under a read lock (after the first few records every name is known), added once
/// under the write lock.
#[derive(Debug, Default)]
pub struct Dictionary(RwLock<Numbering>);

#[derive(Debug, Default)]
struct Numbering {
    /// Every name this run can encode, with its number.
    ids: HashMap<Box<str>, u32, Fast>,
    /// The number the run gives its first new name.
    next: u32,
    /// The names this run added, numbered from `next` in order.
    added: Vec<Box<str>>,
    /// How many rows `job_cache_names` held when read, and one past their highest number:
    /// checked again before writing, so that a number is never given twice.
    stored: (i64, i64),
    /// The stored names are not used (none, or numbers this pantau does not give): the writer
    /// clears `job_cache` and `job_cache_names` and writes the run's names from 0.
    afresh: bool,
}

thread_local! {
    /// Each encoding thread's scratch space for a record's values, before their count.
    static SCRATCH: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(1024));
}

impl Dictionary {
    fn read(&self) -> RwLockReadGuard<'_, Numbering> {
        self.0.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The number of `name`, given now if it has none.
    fn number(&self, name: &str) -> u32 {
        let mut numbering = self.0.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(id) = numbering.ids.get(name) {
            return *id;
        }
        let id = numbering
            .next
            .saturating_add(u32::try_from(numbering.added.len()).unwrap_or(u32::MAX));
        numbering.added.push(name.into());
        numbering.ids.insert(name.into(), id);
        id
    }

    /// `values` in the cache's encoding, exactly as long as it needs to be (it is held until
    /// written). New names are numbered on the way.
    pub fn encode<'a>(&self, values: impl Iterator<Item = (&'a str, &'a Value)>) -> Vec<u8> {
        SCRATCH.with_borrow_mut(|body| {
            body.clear();
            let mut count = 0u64;
            let mut numbering = self.read();
            for (name, value) in values {
                let id = match numbering.ids.get(name) {
                    Some(id) => *id,
                    None => {
                        drop(numbering);
                        let id = self.number(name);
                        numbering = self.read();
                        id
                    }
                };
                put_value(body, id, value);
                count += 1;
            }
            drop(numbering);
            let mut bytes = Vec::with_capacity(2 + 10 + body.len());
            bytes.extend_from_slice(&[MAGIC, FORMAT]);
            put_varint(&mut bytes, count);
            bytes.extend_from_slice(body);
            bytes
        })
    }

    /// The names by number, as a reader of the entries this dictionary wrote sees them.
    pub fn names(&self) -> Vec<Option<Arc<str>>> {
        let numbering = self.read();
        let mut names = Vec::new();
        for (name, id) in &numbering.ids {
            let place = *id as usize;
            if names.len() <= place {
                names.resize(place + 1, None);
            }
            names[place] = Some(Arc::from(&**name));
        }
        names
    }
}

/// What a run writes to `job_cache`: its entries, their waves, and the names they use.
struct Batch {
    built: Vec<Built>,
    waves: Vec<String>,
    dictionary: Arc<Dictionary>,
}

impl Batch {
    /// Writes the entries (replacing older ones) and the names they added in one transaction:
    /// either all of it is written or, on any error, none.
    fn write(self, conn: &Connection) -> anyhow::Result<()> {
        let Batch {
            mut built,
            waves,
            dictionary,
        } = self;
        if built.is_empty() {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let entries = built.len();
        let mut bytes = 0usize;
        // In key order: the table keeps the records in its primary key's B-tree (WITHOUT
        // ROWID), so entries written wave by wave would land all over it, splitting pages and
        // reading each one back through the WAL; in key order a first run appends. Waves are
        // ordered by name, as the key's text is.
        let mut by_name: Vec<usize> = (0..waves.len()).collect();
        by_name.sort_by(|a, b| waves[*a].cmp(&waves[*b]));
        let mut rank = vec![0u32; waves.len()];
        for (order, place) in by_name.into_iter().enumerate() {
            rank[place] = order as u32;
        }
        built.sort_unstable_by_key(|entry| {
            (
                entry.participant,
                rank.get(entry.wave as usize).copied().unwrap_or(u32::MAX),
            )
        });
        let (added, next, stored, afresh) = {
            let numbering = dictionary.read();
            (
                numbering.added.clone(),
                numbering.next,
                numbering.stored,
                numbering.afresh,
            )
        };
        let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)
            .context("cannot start writing the job cache")?;
        let now: (i64, i64) = tx
            .query_row(
                "SELECT count(*), coalesce(max(id) + 1, 0) FROM job_cache_names",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .context("cannot read the job cache's names")?;
        anyhow::ensure!(
            now == stored,
            "the job cache's names changed while this run built its records (another run \
             wrote them); this run's records are not kept"
        );
        if afresh {
            // Stored entries' numbers mean nothing without the names they were given with.
            tx.execute_batch("DELETE FROM job_cache; DELETE FROM job_cache_names;")
                .context("cannot clear the job cache")?;
        }
        {
            let mut statement =
                tx.prepare("INSERT INTO job_cache_names (id, name) VALUES (?1, ?2)")?;
            for (offset, name) in added.iter().enumerate() {
                let id = i64::from(next) + offset as i64;
                statement
                    .execute(params![id, &**name])
                    .context("cannot write the job cache's names")?;
            }
        }
        {
            let mut statement = tx.prepare(
                "INSERT INTO job_cache (participant_id, wave, fingerprint, record)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (participant_id, wave) DO UPDATE SET
                     fingerprint = excluded.fingerprint, record = excluded.record",
            )?;
            for entry in built {
                let wave = waves.get(entry.wave as usize).map_or("", String::as_str);
                statement
                    .execute(params![
                        entry.participant,
                        wave,
                        &entry.fingerprint[..],
                        &entry.bytes[..]
                    ])
                    .context("cannot write the job cache")?;
                bytes += entry.bytes.len();
                // The entry's bytes are freed here, as it is written.
            }
        }
        tx.commit().context("cannot write the job cache")?;
        // Counts and sizes only: nothing of what the records hold.
        tracing::info!(
            entries,
            bytes,
            names_added = added.len(),
            ms = started.elapsed().as_millis() as u64,
            "job cache written"
        );
        Ok(())
    }
}

// The encoding of an entry: MAGIC, FORMAT, the count of values (varint), then per value a
// key, the varint of its name's number times 8 plus a tag, and what the tag says follows.
// Varints are LEB128 (7 bits a byte, low first); signed numbers are zigzagged first. Text that
// is exactly the decimal spelling of an integer (answers hold numbers as text) or a
// `YYYY-MM-DD` day is kept as that number, and spelt out again when read, byte for byte.
/// Text: length (varint), then UTF-8.
const TEXT: u8 = 0;
/// Text spelling an `i64` in its canonical decimal form: the number (zigzag varint).
const TEXT_INTEGER: u8 = 1;
/// Text spelling a day as `YYYY-MM-DD`: days from 0001-01-01 (zigzag varint).
const TEXT_DAY: u8 = 2;
/// A number: its `f64`, 8 bytes little-endian.
const NUMBER: u8 = 3;
/// A number that is a whole `f64` within ±2⁵³ and not -0: as an integer (zigzag varint).
const INTEGER: u8 = 4;
/// `false`, nothing follows.
const FALSE: u8 = 5;
/// `true`, nothing follows.
const TRUE: u8 = 6;
/// A date: days from 0001-01-01 (zigzag varint).
const DATE: u8 = 7;

fn put_varint(bytes: &mut Vec<u8>, mut number: u64) {
    while number >= 0x80 {
        bytes.push((number as u8) | 0x80);
        number >>= 7;
    }
    bytes.push(number as u8);
}

fn zigzag(number: i64) -> u64 {
    ((number << 1) ^ (number >> 63)) as u64
}

fn unzigzag(number: u64) -> i64 {
    ((number >> 1) as i64) ^ -((number & 1) as i64)
}

fn put_value(bytes: &mut Vec<u8>, id: u32, value: &Value) {
    let mut key = |tag: u8| put_varint(bytes, (u64::from(id) << 3) | u64::from(tag));
    match value {
        Value::Str(text) => {
            if let Some(number) = canonical_integer(text) {
                key(TEXT_INTEGER);
                put_varint(bytes, zigzag(number));
            } else if let Some(days) = canonical_day(text) {
                key(TEXT_DAY);
                put_varint(bytes, zigzag(i64::from(days)));
            } else {
                key(TEXT);
                put_varint(bytes, text.len() as u64);
                bytes.extend_from_slice(text.as_bytes());
            }
        }
        Value::Num(number) => match whole(*number) {
            Some(whole) => {
                key(INTEGER);
                put_varint(bytes, zigzag(whole));
            }
            None => {
                key(NUMBER);
                bytes.extend_from_slice(&number.to_le_bytes());
            }
        },
        Value::Bool(false) => key(FALSE),
        Value::Bool(true) => key(TRUE),
        Value::Date(date) => {
            key(DATE);
            put_varint(bytes, zigzag(i64::from(date.num_days_from_ce())));
        }
    }
}

/// The integer `text` spells, if it spells it exactly as `i64`'s `Display` does (no `+`, no
/// leading zero, no `-0`), so that spelling it again gives `text` back.
fn canonical_integer(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let digits = bytes.strip_prefix(b"-").unwrap_or(bytes);
    if digits.is_empty() || digits.len() > 18 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if digits[0] == b'0' && (digits.len() > 1 || digits.len() != bytes.len()) {
        return None;
    }
    text.parse().ok()
}

/// The day `text` spells as `YYYY-MM-DD` (every digit written), in days from 0001-01-01.
fn canonical_day(text: &str) -> Option<i32> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let number = |digits: &[u8]| {
        digits.iter().try_fold(0u32, |number, digit| {
            digit
                .is_ascii_digit()
                .then(|| number * 10 + u32::from(digit - b'0'))
        })
    };
    let year = i32::try_from(number(&bytes[0..4])?).ok()?;
    let day = NaiveDate::from_ymd_opt(year, number(&bytes[5..7])?, number(&bytes[8..10])?)?;
    Some(day.num_days_from_ce())
}

/// `YYYY-MM-DD` of a day of the years 0 to 9999; None for others (never encoded as such).
fn spell_day(day: NaiveDate) -> Option<String> {
    let year = u32::try_from(day.year())
        .ok()
        .filter(|year| *year <= 9999)?;
    let mut text = [b'-'; 10];
    for (place, (number, width)) in [(0, (year, 4)), (5, (day.month(), 2)), (8, (day.day(), 2))] {
        let mut rest = number;
        for digit in (0..width).rev() {
            text[place + digit] = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
    }
    String::from_utf8(text.to_vec()).ok()
}

/// `number` as an integer if that is exactly the same number: whole, within ±2⁵³ (where every
/// integer is an `f64`), and not -0 (which would come back as 0).
fn whole(number: f64) -> Option<i64> {
    const LIMIT: f64 = 9_007_199_254_740_992.0;
    (number.fract() == 0.0
        && number.abs() <= LIMIT
        && !(number == 0.0 && number.is_sign_negative()))
    .then_some(number as i64)
}

/// The values of an encoded entry with their names from `names` (by number); None when the
/// bytes are not a whole, valid encoding of this format or name a number without a name.
pub fn decode(bytes: &[u8], names: &[Option<Arc<str>>]) -> Option<Vec<(Arc<str>, Value)>> {
    decode_with_room(bytes, names, 0)
}

fn decode_with_room(
    bytes: &[u8],
    names: &[Option<Arc<str>>],
    room: usize,
) -> Option<Vec<(Arc<str>, Value)>> {
    let mut reader = Reader { bytes };
    if reader.take::<2>()? != [MAGIC, FORMAT] {
        return None;
    }
    let count = usize::try_from(reader.varint()?).ok()?;
    // Each value takes at least a byte: a count beyond that is damage, not a reason to
    // allocate.
    if count > reader.bytes.len() {
        return None;
    }
    let mut values = Vec::with_capacity(count + room);
    for _ in 0..count {
        let key = reader.varint()?;
        let name = names.get(usize::try_from(key >> 3).ok()?)?.as_ref()?;
        let value = match (key & 7) as u8 {
            TEXT => {
                let length = usize::try_from(reader.varint()?).ok()?;
                Value::Str(reader.str(length)?.to_owned())
            }
            TEXT_INTEGER => Value::Str(
                itoa::Buffer::new()
                    .format(unzigzag(reader.varint()?))
                    .to_owned(),
            ),
            TEXT_DAY => Value::Str(spell_day(reader.day()?)?),
            NUMBER => Value::Num(f64::from_le_bytes(reader.take()?)),
            INTEGER => Value::Num(unzigzag(reader.varint()?) as f64),
            FALSE => Value::Bool(false),
            TRUE => Value::Bool(true),
            _ => Value::Date(reader.day()?),
        };
        values.push((Arc::clone(name), value));
    }
    reader.bytes.is_empty().then_some(values)
}

/// An encoded entry as a [`Record`] with room for `room` more values, its names shared from
/// `names`; None when the bytes are not a whole, valid encoding (see [`decode`]).
pub fn decode_record(bytes: &[u8], room: usize, names: &[Option<Arc<str>>]) -> Option<Record> {
    decode_with_room(bytes, names, room).map(|values| Record::from_values(values, room))
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

    /// A LEB128 varint of at most 64 bits.
    fn varint(&mut self) -> Option<u64> {
        let mut number = 0u64;
        for shift in (0..64).step_by(7) {
            let [byte] = self.take()?;
            let bits = u64::from(byte & 0x7f);
            if shift == 63 && bits > 1 {
                return None;
            }
            number |= bits << shift;
            if byte < 0x80 {
                return Some(number);
            }
        }
        None
    }

    /// A day as zigzagged days from 0001-01-01.
    fn day(&mut self) -> Option<NaiveDate> {
        let days = i32::try_from(unzigzag(self.varint()?)).ok()?;
        NaiveDate::from_num_days_from_ce_opt(days)
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

    /// Values equal as the cache must keep them: numbers bit for bit (0 and -0 differ).
    fn same(a: &[(Arc<str>, Value)], b: &[(&str, Value)]) -> bool {
        a.len() == b.len()
            && a.iter().zip(b).all(|((an, av), (bn, bv))| {
                **an == **bn
                    && match (av, bv) {
                        (Value::Num(x), Value::Num(y)) => x.to_bits() == y.to_bits(),
                        _ => av == bv,
                    }
            })
    }

    fn encoded(dictionary: &Dictionary, values: &[(&str, Value)]) -> Vec<u8> {
        dictionary.encode(values.iter().map(|(name, value)| (*name, value)))
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn every_kind_of_value_comes_back_as_it_was_encoded() {
        let text = |t: &str| Value::Str(t.to_owned());
        let values = vec![
            ("sex", text("P")),
            ("empty", text("")),
            ("nama", text("Siti Nurhaliza — ✓")),
            // Text spelling integers, kept as numbers only when spelt canonically.
            ("income", text("2500000")),
            ("zero", text("0")),
            ("negative", text("-12")),
            ("largest", text("999999999999999999")),
            ("too_long", text("12345678901234567890")),
            ("leading_zero", text("007")),
            ("minus_zero", text("-0")),
            ("plus", text("+5")),
            ("spaced", text(" 5")),
            ("decimal", text("2.5")),
            ("minus", text("-")),
            // Text spelling days, likewise.
            ("birth_date", text("1980-01-02")),
            ("year_zero", text("0000-03-01")),
            ("short_month", text("2025-7-27")),
            ("no_such_day", text("2025-02-30")),
            ("slashed", text("2025/07/27")),
            // Numbers: whole ones as integers, the rest as f64 bits.
            ("age", Value::Num(41.0)),
            ("half", Value::Num(41.5)),
            ("num_zero", Value::Num(0.0)),
            ("num_minus_zero", Value::Num(-0.0)),
            ("limit", Value::Num(9_007_199_254_740_992.0)),
            ("past_limit", Value::Num(9_007_199_254_740_994.0)),
            ("below", Value::Num(-9_007_199_254_740_992.0)),
            ("tiny", Value::Num(f64::MIN_POSITIVE)),
            ("infinite", Value::Num(f64::NEG_INFINITY)),
            ("not_a_number", Value::Num(f64::NAN)),
            ("yes", Value::Bool(true)),
            ("no", Value::Bool(false)),
            ("day", Value::Date(day(2026, 11, 29))),
            ("first_day", Value::Date(NaiveDate::MIN)),
            ("last_day", Value::Date(NaiveDate::MAX)),
        ];
        let dictionary = Dictionary::default();
        let bytes = encoded(&dictionary, &values);
        let decoded = decode(&bytes, &dictionary.names()).expect("a whole encoding");
        assert!(same(&decoded, &values), "{decoded:?}");
        // Names once: the entry holds none of its names, and is less than half as long as
        // format 1's, which spelt them out.
        let old = format_1(&values).len();
        assert!(bytes.len() * 2 < old, "{} bytes against {old}", bytes.len());
        for (name, _) in &values {
            let found = bytes
                .windows(name.len())
                .any(|window| window == name.as_bytes());
            assert!(!found || name.len() < 3, "{name} spelt out in the entry");
        }
    }

    #[test]
    fn a_cut_or_padded_or_mistagged_encoding_is_a_miss_not_a_record() {
        let dictionary = Dictionary::default();
        let bytes = encoded(
            &dictionary,
            &[
                ("training_location", Value::Str("Bekasi".into())),
                ("wage", Value::Num(5_391_000.0)),
            ],
        );
        let names = dictionary.names();
        assert!(decode(&bytes, &names).is_some());
        for cut in 0..bytes.len() {
            assert_eq!(decode(&bytes[..cut], &names), None, "cut at {cut}");
        }
        let mut padded = bytes.clone();
        padded.push(0);
        assert_eq!(decode(&padded, &names), None);
        // The first value's key is the byte after MAGIC, FORMAT and the count: its name is
        // number 0 and its tag TEXT, so a key of another tag misreads the text's length byte.
        assert_eq!(bytes[3], TEXT);
        let mut mistagged = bytes.clone();
        mistagged[3] = NUMBER;
        assert_eq!(decode(&mistagged, &names), None);
        let mut other_format = bytes.clone();
        other_format[1] = FORMAT + 1;
        assert_eq!(decode(&other_format, &names), None);
    }

    /// An entry as format 1 wrote it: a `u32` count, then per value its name spelt out
    /// (`u16` length), a tag and the value.
    fn format_1(values: &[(&str, Value)]) -> Vec<u8> {
        let mut bytes = (values.len() as u32).to_le_bytes().to_vec();
        for (name, value) in values {
            bytes.extend_from_slice(&(name.len() as u16).to_le_bytes());
            bytes.extend_from_slice(name.as_bytes());
            match value {
                Value::Str(text) => {
                    bytes.push(0);
                    bytes.extend_from_slice(&(text.len() as u32).to_le_bytes());
                    bytes.extend_from_slice(text.as_bytes());
                }
                Value::Num(number) => {
                    bytes.push(1);
                    bytes.extend_from_slice(&number.to_le_bytes());
                }
                Value::Bool(flag) => bytes.extend_from_slice(&[2, u8::from(*flag)]),
                Value::Date(date) => {
                    bytes.push(3);
                    bytes.extend_from_slice(&date.num_days_from_ce().to_le_bytes());
                }
            }
        }
        bytes
    }

    #[test]
    fn an_entry_of_the_older_format_is_a_miss() {
        let dictionary = Dictionary::default();
        // The names are known, as after a run of this format.
        let values = [("sex", Value::Str("P".into())), ("age", Value::Num(41.0))];
        encoded(&dictionary, &values);
        let names = dictionary.names();
        for count in [0, 1, 2, 3] {
            let old = format_1(&values[..count.min(2)]);
            assert_eq!(decode(&old, &names), None, "{count} values");
            assert!(decode_record(&old, 2, &names).is_none());
        }
        // Even with the dictionary holding every byte value as a name.
        let everything: Vec<Option<Arc<str>>> =
            (0..300).map(|n| Some(Arc::from(n.to_string()))).collect();
        assert_eq!(decode(&format_1(&values), &everything), None);
    }

    #[test]
    fn a_record_decoded_straight_holds_what_decode_reads() {
        let values = [
            ("sex", Value::Str("P".into())),
            ("age", Value::Num(41.5)),
            ("flag", Value::Bool(false)),
            ("day", Value::Date(day(2026, 11, 29))),
        ];
        let dictionary = Dictionary::default();
        let bytes = encoded(&dictionary, &values);
        let names = dictionary.names();
        let record = decode_record(&bytes, 2, &names).expect("a whole encoding");
        for (name, value) in decode(&bytes, &names).unwrap() {
            assert_eq!(record.own(&name), Some(&value), "{name}");
        }
        assert_eq!(record.own_values().count(), values.len());
    }

    /// A file database with the schema, in a folder removed at the end of the test.
    fn database() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::db::open(&dir.path().join("pantau.db")).unwrap();
        conn.execute(
            "INSERT INTO participants (id, participant_key, pseudonym, created_at)
             VALUES (1, 'id:P1', 'A1', '2026-01-01T00:00:00Z'),
                    (2, 'id:P2', 'A2', '2026-01-01T00:00:00Z')",
            [],
        )
        .unwrap();
        (dir, conn)
    }

    #[test]
    fn names_added_by_a_later_run_leave_earlier_entries_as_they_were() {
        let (_dir, conn) = database();
        let first = [("sex", Value::Str("P".into())), ("age", Value::Num(41.0))];
        let mut cache = Cache::load(&conn).unwrap();
        cache.put(
            1,
            "",
            [1; FINGERPRINT_BYTES],
            first.iter().map(|(n, v)| (*n, v)),
        );
        cache.write_behind(&conn).wait().unwrap();

        // The next run knows both names and adds two more, one of them in a new wave.
        let second = [
            ("age", Value::Num(39.0)),
            ("province", Value::Str("Banten".into())),
        ];
        let third = [("income_total", Value::Str("2500000".into()))];
        let mut cache = Cache::load(&conn).unwrap();
        assert!(cache.get(1, "", &[1; FINGERPRINT_BYTES]).is_some());
        cache.put(
            2,
            "",
            [2; FINGERPRINT_BYTES],
            second.iter().map(|(n, v)| (*n, v)),
        );
        cache.put(
            2,
            "m3",
            [3; FINGERPRINT_BYTES],
            third.iter().map(|(n, v)| (*n, v)),
        );
        assert_eq!(cache.built(), 2);
        cache.save(&conn).unwrap();

        let names: Vec<(i64, String)> = conn
            .prepare("SELECT id, name FROM job_cache_names ORDER BY id")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let expected = [(0, "sex"), (1, "age"), (2, "province"), (3, "income_total")];
        assert_eq!(
            names,
            expected.map(|(id, name)| (id, name.to_owned())).to_vec()
        );
        let cache = Cache::load(&conn).unwrap();
        for (participant, wave, fingerprint, values) in [
            (1, "", 1, &first[..]),
            (2, "", 2, &second[..]),
            (2, "m3", 3, &third[..]),
        ] {
            let record = cache
                .get(participant, wave, &[fingerprint; FINGERPRINT_BYTES])
                .unwrap();
            assert_eq!(record.own_values().count(), values.len());
            for (name, value) in values {
                assert_eq!(record.own(name), Some(value), "{participant} {wave} {name}");
            }
        }
    }

    #[test]
    fn entries_whose_names_are_gone_are_misses_and_the_next_write_starts_afresh() {
        let (_dir, conn) = database();
        let values = [("sex", Value::Str("P".into())), ("age", Value::Num(41.0))];
        let mut cache = Cache::load(&conn).unwrap();
        cache.put(
            1,
            "",
            [1; FINGERPRINT_BYTES],
            values.iter().map(|(n, v)| (*n, v)),
        );
        cache.put(
            2,
            "",
            [2; FINGERPRINT_BYTES],
            values[..1].iter().map(|(n, v)| (*n, v)),
        );
        cache.save(&conn).unwrap();

        // One name lost: the entries using it are misses, not records without it.
        conn.execute("DELETE FROM job_cache_names WHERE name = 'age'", [])
            .unwrap();
        let cache = Cache::load(&conn).unwrap();
        assert!(cache.get(1, "", &[1; FINGERPRINT_BYTES]).is_none());
        assert!(cache.get(2, "", &[2; FINGERPRINT_BYTES]).is_some());

        // Every name lost: the numbers of stored entries mean nothing, so a run writing new
        // entries clears the old ones, and numbers its names afresh.
        conn.execute("DELETE FROM job_cache_names", []).unwrap();
        let mut cache = Cache::load(&conn).unwrap();
        assert!(cache.get(2, "", &[2; FINGERPRINT_BYTES]).is_none());
        let other = [("province", Value::Str("Banten".into()))];
        cache.put(
            2,
            "",
            [4; FINGERPRINT_BYTES],
            other.iter().map(|(n, v)| (*n, v)),
        );
        cache.save(&conn).unwrap();
        let kept: Vec<(i64, Vec<u8>)> = conn
            .prepare("SELECT participant_id, fingerprint FROM job_cache")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(kept, vec![(2, vec![4; FINGERPRINT_BYTES])]);
        let cache = Cache::load(&conn).unwrap();
        let record = cache.get(2, "", &[4; FINGERPRINT_BYTES]).unwrap();
        assert_eq!(record.own("province"), Some(&other[0].1));
    }

    #[test]
    fn names_written_by_another_run_meanwhile_make_this_runs_write_fail_whole() {
        let (_dir, conn) = database();
        let mut cache = Cache::load(&conn).unwrap();
        let values = [("sex", Value::Str("P".into()))];
        cache.put(
            1,
            "",
            [1; FINGERPRINT_BYTES],
            values.iter().map(|(n, v)| (*n, v)),
        );
        conn.execute(
            "INSERT INTO job_cache_names (id, name) VALUES (0, 'age')",
            [],
        )
        .unwrap();
        let err = cache.write_behind(&conn).wait().unwrap_err();
        assert!(format!("{err:#}").contains("names changed"), "{err:#}");
        let entries: i64 = conn
            .query_row("SELECT count(*) FROM job_cache", [], |row| row.get(0))
            .unwrap();
        assert_eq!(entries, 0);
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
