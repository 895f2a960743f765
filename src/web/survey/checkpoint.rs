//! Checkpoints of the WAL, on a thread of their own, so that the submission writer never stops
//! for one.
//!
//! A checkpoint copies the pages the WAL holds into the database file, with an fsync of the WAL
//! before and of the database file after. Left to SQLite (`wal_autocheckpoint`), it runs inside
//! the commit that crosses the threshold, on the writer's thread: every submission queued behind
//! that commit waits for two fsyncs and the copy. Here the writer's connection has
//! `wal_autocheckpoint = 0`, and this thread, woken by the syncer after each sync, runs
//! `PRAGMA wal_checkpoint(PASSIVE)` on its own connection: a passive checkpoint takes no lock
//! that the writer or a reader needs, so commits go on while it copies.
//!
//! Durability is unchanged (see `commit.rs`): the checkpoint connection keeps
//! `synchronous = FULL`, so the WAL is synced before its frames are copied and the database
//! file after; SQLite starts the WAL again from its beginning only once a checkpoint has copied
//! every frame in it.
//!
//! While submissions keep arriving, the writer appends frames during every checkpoint, so this
//! thread never finds the WAL wholly copied, and SQLite cannot start it again from its
//! beginning: the WAL would grow for as long as a burst lasts. So when this thread finds more
//! than [`CATCH_UP_BYTES`] in it, it asks the writer to catch up ([`Checkpointer::catch_up`]):
//! between two batches the writer checkpoints the few frames added since this thread's pass
//! (and waits for their two fsyncs, the one stall left, once per 256 MiB of WAL), and its next
//! commit starts the WAL from the beginning. A `RESTART` checkpoint from this thread would do
//! the same but waits, holding the write lock, until no reader uses the WAL: under load that
//! took 1.5 s.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use anyhow::Context;
use rusqlite::Connection;

use super::pulse::{Pulse, Stage};

/// Least time between two checkpoints: each costs two fsyncs on the disk the syncer waits for,
/// and copying a page once for many commits that changed it is cheaper than once per commit.
const INTERVAL: Duration = Duration::from_millis(200);

/// WAL size past which the writer is asked to catch up: 256 MiB, a few seconds of
/// submissions at 5,000 a second. Counted in frames of the database's page size (16 KiB in a
/// database pantau created, 4 KiB in an older one): [`catch_up_frames`].
const CATCH_UP_BYTES: i64 = 256 << 20;

/// The handle the syncer wakes the checkpointer with; the thread stops when it is dropped.
#[derive(Debug)]
pub struct Checkpointer {
    wake: mpsc::SyncSender<()>,
    /// Set by the thread when the WAL has grown past [`CATCH_UP_BYTES`]; taken by the writer.
    catch_up: Arc<AtomicBool>,
}

impl Checkpointer {
    /// Opens the checkpointer's connection to `database` and starts its thread.
    pub fn start(database: &Path, pulse: Arc<Pulse>) -> anyhow::Result<Checkpointer> {
        let conn = crate::db::open(database)?;
        crate::db::configure_for_server(&conn)?;
        // One pending wake-up is enough: the next checkpoint covers every commit before it.
        let (wake, woken) = mpsc::sync_channel(1);
        let catch_up = Arc::new(AtomicBool::new(false));
        let asked = catch_up.clone();
        std::thread::Builder::new()
            .name("pantau-checkpoint".into())
            .spawn(move || checkpoint_when_woken(&conn, &woken, &asked, &pulse))
            .context("cannot start the checkpoint thread")?;
        Ok(Checkpointer { wake, catch_up })
    }

    /// The flag the writer takes to learn it should catch up (see the module documentation).
    pub fn catch_up_flag(&self) -> Arc<AtomicBool> {
        self.catch_up.clone()
    }

    /// Tells the checkpointer that commits were added to the WAL.
    pub fn wal_grew(&self) {
        // Full: a wake-up is already pending. Disconnected: the thread has stopped, after
        // logging why.
        let _ = self.wake.try_send(());
    }
}

/// The checkpointer thread: after each wake-up, waits out [`INTERVAL`] since the last
/// checkpoint, then checkpoints.
fn checkpoint_when_woken(
    conn: &Connection,
    woken: &mpsc::Receiver<()>,
    catch_up: &AtomicBool,
    pulse: &Pulse,
) {
    let mut last: Option<Instant> = None;
    let catch_up_frames = catch_up_frames(conn);
    while woken.recv().is_ok() {
        if let Some(wait) = last.and_then(|last| INTERVAL.checked_sub(last.elapsed())) {
            pulse.checkpointer.set(Stage::Pausing);
            std::thread::sleep(wait);
        }
        pulse.checkpointer.set(Stage::Checkpointing);
        last = Some(Instant::now());
        match pass(conn, catch_up_frames) {
            Ok(ask) => catch_up.store(ask, Ordering::Relaxed),
            // The next wake-up tries again; commits never depend on a checkpoint.
            Err(err) => tracing::error!(error = %format!("{err:#}"), "cannot checkpoint the WAL"),
        }
        pulse.checkpointer.set(Stage::Idle);
    }
}

/// [`CATCH_UP_BYTES`] in WAL frames of `conn`'s database.
fn catch_up_frames(conn: &Connection) -> i64 {
    let page_size: i64 = conn
        .pragma_query_value(None, "page_size", |row| row.get(0))
        .unwrap_or(4096);
    CATCH_UP_BYTES / page_size.max(512)
}

/// One wake-up's work: checkpoints, and says whether the writer should catch up because the
/// WAL holds `catch_up_frames` or more.
fn pass(conn: &Connection, catch_up_frames: i64) -> anyhow::Result<bool> {
    let frames = checkpoint(conn)?;
    if frames < catch_up_frames {
        return Ok(false);
    }
    // A second pass right away copies what the writer added during the first, so that the
    // writer's own catch-up has little left to copy.
    Ok(checkpoint(conn)? >= catch_up_frames)
}

/// Runs one passive checkpoint on `conn`; returns the frames the WAL held (-1 when another
/// connection was checkpointing).
pub fn checkpoint(conn: &Connection) -> anyhow::Result<i64> {
    let started = Instant::now();
    let (busy, frames, copied): (i64, i64, i64) = conn
        .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .context("the WAL checkpoint failed")?;
    tracing::debug!(
        thread = std::thread::current().name().unwrap_or(""),
        busy,
        frames,
        copied,
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "WAL checkpointed"
    );
    Ok(frames)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit_rows(conn: &Connection, commits: usize) {
        for n in 0..commits {
            conn.execute(
                "INSERT INTO filler (text) VALUES (?1)",
                [format!("{n:0>3000}")],
            )
            .unwrap();
        }
    }

    #[test]
    fn the_writers_catch_up_starts_the_wal_again_after_commits_the_checkpointer_missed() {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("pantau.db");
        let wal_size = || {
            std::fs::metadata(dir.path().join("pantau.db-wal"))
                .unwrap()
                .len()
        };
        let writer = crate::db::open(&database).unwrap();
        writer.pragma_update(None, "synchronous", "NORMAL").unwrap();
        writer.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        writer
            .execute("CREATE TABLE filler (text TEXT NOT NULL)", [])
            .unwrap();
        let checkpointer = crate::db::open(&database).unwrap();
        let reader = crate::db::open(&database).unwrap();
        commit_rows(&writer, 200);

        // A reader's snapshot keeps the checkpointer's pass from copying the commits after it,
        // as commits made during a pass are missed under load.
        reader.execute_batch("BEGIN").unwrap();
        let seen: i64 = reader
            .query_row("SELECT count(*) FROM filler", [], |row| row.get(0))
            .unwrap();
        assert_eq!(seen, 200);
        commit_rows(&writer, 5);
        assert!(pass(&checkpointer, 100).unwrap(), "past 100 frames");
        reader.execute_batch("COMMIT").unwrap();

        // Not wholly copied: the next commit appends to the WAL.
        let before = wal_size();
        commit_rows(&writer, 1);
        assert!(
            wal_size() > before,
            "the WAL started again without a catch-up"
        );

        // The writer's catch-up copies the rest; its next commit writes from the WAL's start.
        checkpoint(&writer).unwrap();
        let before = wal_size();
        commit_rows(&writer, 1);
        assert_eq!(wal_size(), before, "the WAL grew after the catch-up");
        assert!(
            !pass(&checkpointer, 100).unwrap(),
            "a short WAL asks for nothing"
        );
        let rows: i64 = checkpointer
            .query_row("SELECT count(*) FROM filler", [], |row| row.get(0))
            .unwrap();
        assert_eq!(rows, 207);
    }
}
