//! Reading, checking and storing a roster file at the same time, on threads of their own.
//!
//! An `.xlsx` is read row by row by calamine's streaming reader on one thread, its hidden rows
//! and merged cells are found on another, its rows are checked on a third, and the valid
//! records are stored on the calling thread, which owns the transaction (a connection is not
//! shared between threads). Bounded channels between them keep memory flat whatever the
//! file's size, and let the slowest stage set the pace. Other formats are read whole first
//! and then checked beside storing.

use std::collections::HashMap;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::ScopedJoinHandle;

use crate::roster::{
    self, ParsedRoster, RosterRules, Sheet, SheetMarks, SheetPart, StreamError, XlsxStream,
};

use super::ImportOptions;
use super::store::{self, Prepared};

/// Where a file's rows come from.
pub(super) enum Source<'b> {
    /// Read whole (`.xls`, `.ods`, `.csv`).
    Whole(Vec<Sheet>),
    /// Read while it is checked (`.xlsx`).
    Stream(XlsxStream<'b>),
}

impl Source<'_> {
    /// Data rows at most (header and title rows counted too), to size the import.
    pub(super) fn rows_estimate(&self) -> usize {
        match self {
            Source::Whole(sheets) => sheets.iter().map(Sheet::height).sum(),
            Source::Stream(stream) => stream.rows_estimate,
        }
    }
}

/// What the stages produced besides what `store` stored: the checker's findings, and why the
/// file could not be read to its end (then nothing stored from it may be kept).
pub(super) struct Staged {
    pub parsed: ParsedRoster,
    pub unreadable: Option<StreamError>,
}

/// Records handed from the checking thread to the storing one at a time: large enough that
/// the channel costs nothing next to the rows, small enough that storing starts at once.
const RECORDS_PER_BATCH: usize = 512;

/// Rows handed from the reading thread to the checking one at a time.
const ROWS_PER_BATCH: usize = 256;

/// Batches a channel holds before its sender waits: a few megabytes of rows in flight.
const QUEUE: usize = 32;

/// Runs the stages over `source`, storing into `store` on this thread.
pub(super) fn run(
    source: &Source,
    rules: &RosterRules,
    store: &mut store::Store,
    options: &ImportOptions,
) -> anyhow::Result<Staged> {
    // A first import's records carry what its bulk load writes beside them, computed on the
    // checking thread, which has time to spare.
    let bulk = store.is_bulk();
    std::thread::scope(|scope| {
        let (records, received) = sync_channel::<Vec<Prepared>>(QUEUE);
        // A closed channel means storing failed; the error is reported there.
        let mut records = Batches::new(records, RECORDS_PER_BATCH);
        // Stored batches go back to the checking thread, which allocated them, to be freed
        // there: a record is some thirty allocations, and the allocator frees memory of
        // another thread through a shared list that its owner must collect again (freed on a
        // thread of their own, they took a tenth of an import's CPU).
        let (spent, spent_received) = sync_channel::<Vec<Prepared>>(QUEUE);
        let checker: ScopedJoinHandle<(ParsedRoster, Option<StreamError>)> = match source {
            Source::Whole(sheets) => scope.spawn(move || {
                let parsed = roster::parse_roster_each(sheets, rules, &mut |record| {
                    records.push(Prepared::new(record, bulk));
                    spent_received.try_iter().for_each(drop);
                });
                records.finish();
                // Until the storing thread is done with the last batch.
                spent_received.into_iter().for_each(drop);
                (parsed, None)
            }),
            Source::Stream(stream) => {
                let (parts, parts_received) = sync_channel::<Vec<SheetPart>>(QUEUE);
                let scan = scope.spawn(|| stream.marks());
                let reader = scope.spawn(move || {
                    let mut parts = Batches::new(parts, ROWS_PER_BATCH);
                    let read = stream.read(&mut |part| parts.push(part));
                    parts.finish();
                    read
                });
                scope.spawn(move || {
                    let mut marks = Marks::Pending(scan);
                    let parsed = roster::parse_roster_parts(
                        &mut parts_from(parts_received),
                        &mut |name| marks.of(name),
                        rules,
                        &mut |record| {
                            records.push(Prepared::new(record, bulk));
                            spent_received.try_iter().for_each(drop);
                        },
                    );
                    records.finish();
                    spent_received.into_iter().for_each(drop);
                    let read = reader.join().unwrap_or_else(|_| {
                        Err(StreamError::Unreadable(
                            "the workbook could not be read".to_owned(),
                        ))
                    });
                    let unreadable = read
                        .err()
                        .or_else(|| marks.failure().map(StreamError::Unreadable));
                    (parsed, unreadable)
                })
            }
        };
        let mut failure = None;
        'batches: for batch in &received {
            for prepared in &batch {
                if let Err(err) = store.record(prepared) {
                    failure = Some(err);
                    break 'batches;
                }
            }
            options.progress.advance(batch.len() as u64);
            let _ = spent.send(batch);
        }
        drop(spent);
        // Unblocks the checker if storing stopped early.
        drop(received);
        let (parsed, unreadable) = checker
            .join()
            .map_err(|_| anyhow::anyhow!("checking the roster's rows failed unexpectedly"))?;
        if let Some(err) = failure {
            return Err(err);
        }
        Ok(Staged { parsed, unreadable })
    })
}

/// Items sent on in batches of `size`.
struct Batches<T> {
    batch: Vec<T>,
    size: usize,
    sender: SyncSender<Vec<T>>,
}

impl<T> Batches<T> {
    fn new(sender: SyncSender<Vec<T>>, size: usize) -> Batches<T> {
        Batches {
            batch: Vec::with_capacity(size),
            size,
            sender,
        }
    }

    /// Adds an item; false once the receiver has gone.
    fn push(&mut self, item: T) -> bool {
        self.batch.push(item);
        if self.batch.len() < self.size {
            return true;
        }
        let full = std::mem::replace(&mut self.batch, Vec::with_capacity(self.size));
        self.sender.send(full).is_ok()
    }

    /// Sends the last, partial batch.
    fn finish(self) {
        if !self.batch.is_empty() {
            let _ = self.sender.send(self.batch);
        }
    }
}

/// The parts arriving in batches, one at a time; `None` once the reader is done.
fn parts_from(received: Receiver<Vec<SheetPart>>) -> impl FnMut() -> Option<SheetPart> {
    let mut current = Vec::new().into_iter();
    move || loop {
        if let Some(part) = current.next() {
            return Some(part);
        }
        current = received.recv().ok()?.into_iter();
    }
}

/// The package scan's result, waited for when a sheet's rows are all read.
enum Marks<'s> {
    Pending(ScopedJoinHandle<'s, Result<HashMap<String, SheetMarks>, String>>),
    Found(HashMap<String, SheetMarks>),
    Failed(String),
}

impl Marks<'_> {
    fn wait(&mut self) {
        let Marks::Pending(_) = self else {
            return;
        };
        let Marks::Pending(handle) = std::mem::replace(self, Marks::Found(HashMap::new())) else {
            return;
        };
        *self = match handle.join() {
            Ok(Ok(found)) => Marks::Found(found),
            Ok(Err(reason)) => Marks::Failed(reason),
            Err(_) => Marks::Failed("the workbook's rows could not be checked".to_owned()),
        };
    }

    fn of(&mut self, sheet: &str) -> SheetMarks {
        self.wait();
        match self {
            Marks::Found(found) => found.remove(sheet).unwrap_or_default(),
            _ => SheetMarks::default(),
        }
    }

    /// Why the scan failed, if it did (waiting for it if no sheet asked).
    fn failure(mut self) -> Option<String> {
        self.wait();
        match self {
            Marks::Failed(reason) => Some(reason),
            _ => None,
        }
    }
}
