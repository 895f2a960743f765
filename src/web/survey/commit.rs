//! Group commit of final submissions: one writer thread owns a database connection, and every
//! final submission goes through it; a syncer thread makes each group durable, and a
//! checkpointer thread (`checkpoint.rs`) copies the WAL into the database file.
//!
//! Committing each submission on its own, with an fsync each, caps the server at a few hundred
//! submissions per second whatever the CPU. Here a request hands its prepared submission
//! ([`Pending`]) to the writer over a channel and awaits the answer on a oneshot channel, so
//! that a waiting request holds no thread (the actix worker goes on serving other connections
//! meanwhile, and a batch can be as large as the number of requests in flight). The writer
//! takes everything queued (up to [`MAX_BATCH`]), stores it in one IMMEDIATE transaction and
//! commits once; the requests are answered only when that commit is on disk.
//!
//! The three threads form a pipeline, so that no stage waits for another's disk work: while
//! the syncer waits for an fsync, the writer commits the next batch (and every submission that
//! queued meanwhile goes into it); while the checkpointer copies and syncs, both go on.
//!
//! **Why an acknowledged submission is on disk.** In WAL mode (the normal case, see
//! `db::configure`) a commit appends the batch's pages to the WAL file, ending with a commit
//! frame; the database file itself changes only in checkpoints. The writer's connection has
//! `synchronous = NORMAL`: its commit hands the frames to the kernel with `write(2)` and returns
//! without waiting for the disk. The batch then goes to the syncer, which calls `fdatasync` on
//! the WAL file and only when that returns answers the requests of every batch committed
//! before the call began. So when a thank-you page is sent, its commit frame and every frame
//! before it are on the disk: after a crash or power cut, SQLite's recovery replays the WAL up
//! to the last valid commit frame, which is at or after this one. That is exactly what
//! `synchronous = FULL` does inside the commit, moved to another thread so that the writer never
//! waits for the disk and one fsync covers all batches committed meanwhile.
//!
//! What could undo it is the WAL being overwritten before its frames are in the database file.
//! SQLite starts the WAL again from its beginning only when a checkpoint has copied every frame
//! in it; the checkpointer's connection (and the writer's, in a catch-up) syncs the WAL before
//! copying and the database file after the copy (`synchronous` NORMAL and FULL both sync in
//! checkpoints), so by the time old frames can be overwritten, their pages are on disk in the
//! database file. The writer's connection runs no automatic checkpoints
//! (`wal_autocheckpoint = 0`): a checkpoint inside a commit made every submission queued behind
//! it wait for two fsyncs. A database that is not in WAL mode keeps `synchronous = FULL`, and
//! its commit is the fsync.
//!
//! A reader can see a committed batch before the syncer has made it durable. So a page that
//! reports a response as received from a read (a repeated submit, the link opened again) first
//! awaits [`Committer::durable`]: a barrier through the same queue, answered after the next
//! sync, which covers every commit made before it.
//!
//! So:
//!
//! - a participant sees the thank-you page only after their response is on disk (the kill -9
//!   tests in `tests/it/survey.rs` check it with a real server process);
//! - exactly-once still rests on the UNIQUE constraints (see [`store_submission`]): a retried
//!   post in the same batch as the first finds the first's row;
//! - a submission that fails (a submission id reused by another invitation, a constraint) gets
//!   its own error and the rest of the batch commits (see [`commit_batch`]);
//! - if the commit or the sync fails, every request concerned gets the error and none was told
//!   its answers were received.
//!
//! With `PANTAU_LOG=pantau::web::survey::commit=debug` the writer logs each batch (its size,
//! how long its oldest submission queued, the commit's time) and the syncer each sync (how
//! many answers, the fsync's time, how long since the oldest was queued).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Instant;

use anyhow::Context;
use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::oneshot;

use super::checkpoint::{self, Checkpointer};
use super::pulse::{Pulse, Stage};
use super::store::{Pending, Stored, store_submission};

/// Most submissions committed in one transaction, so that one batch's commit and its replies
/// are not held back by an endless queue.
const MAX_BATCH: usize = 1024;

/// What the writer is asked to do.
enum Job {
    /// Store a submission; send the outcome once it is durable.
    Submit {
        pending: Pending,
        reply: oneshot::Sender<anyhow::Result<Stored>>,
        /// When the request queued it: the debug log reports how long it waited.
        queued: Instant,
    },
    /// Answer once everything committed so far is durable.
    Barrier(oneshot::Sender<anyhow::Result<()>>),
}

/// An answer held back until its batch is durable.
enum Answer {
    Stored {
        invitation: i64,
        outcome: anyhow::Result<Stored>,
        reply: oneshot::Sender<anyhow::Result<Stored>>,
    },
    Barrier(oneshot::Sender<anyhow::Result<()>>),
}

/// How a committed batch reaches the disk.
enum Durability {
    /// `synchronous = FULL`: the commit itself waited for the fsync.
    Commit,
    /// `synchronous = NORMAL` in WAL mode: the syncer fsyncs this WAL file after the commit.
    SyncWal(PathBuf),
}

/// The handle requests use to reach the submission writer. The writer and syncer threads stop
/// when the handle is dropped (with the server's state).
#[derive(Debug)]
pub struct Committer {
    jobs: mpsc::Sender<Job>,
    /// Counts what is queued, for the watchdog of stalls (see `pulse.rs`).
    pulse: Arc<Pulse>,
}

impl Committer {
    /// Opens the writer's connection to `database` and starts the writer and syncer threads.
    pub fn start(database: &Path) -> anyhow::Result<Committer> {
        let conn = crate::db::open(database)?;
        crate::db::configure_for_server(&conn)?;
        let mode: String = conn.pragma_query_value(None, "journal_mode", |row| row.get(0))?;
        let pulse = Pulse::new();
        let (durability, checkpoints) = if mode.eq_ignore_ascii_case("wal") {
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            // Checkpoints happen on the checkpointer's thread, never inside a commit.
            conn.pragma_update(None, "wal_autocheckpoint", 0)?;
            let checkpoints = Some(Checkpointer::start(database, pulse.clone())?);
            let mut wal = database.as_os_str().to_owned();
            wal.push("-wal");
            (Durability::SyncWal(PathBuf::from(wal)), checkpoints)
        } else {
            (Durability::Commit, None)
        };
        let (jobs, queue) = mpsc::channel();
        let (committed, to_sync) = mpsc::channel();
        let catch_up = checkpoints.as_ref().map(Checkpointer::catch_up_flag);
        let writer_pulse = pulse.clone();
        std::thread::Builder::new()
            .name("pantau-submissions".into())
            .spawn(move || write_batches(conn, queue, committed, catch_up, &writer_pulse))
            .context("cannot start the submission writer thread")?;
        let syncer_pulse = pulse.clone();
        std::thread::Builder::new()
            .name("pantau-sync".into())
            .spawn(move || sync_batches(&durability, to_sync, checkpoints, &syncer_pulse))
            .context("cannot start the submission syncer thread")?;
        pulse
            .watch()
            .context("cannot start the submission watchdog thread")?;
        Ok(Committer { jobs, pulse })
    }

    /// Stores `pending` through the writer; resolves once it is committed and on disk (or
    /// failed). Awaiting holds no thread.
    pub async fn submit(&self, pending: Pending) -> anyhow::Result<Stored> {
        let invitation = pending.invitation;
        let outcome = self.enqueue(pending)?;
        outcome.await.map_err(|_| stopped(invitation))?
    }

    /// Resolves once every submission committed before the call is on disk: for a page that
    /// says a response read from the database was received.
    pub async fn durable(&self) -> anyhow::Result<()> {
        let (reply, outcome) = oneshot::channel();
        self.pulse.queued();
        self.jobs
            .send(Job::Barrier(reply))
            .map_err(|_| anyhow::anyhow!("the submission writer has stopped"))?;
        outcome
            .await
            .map_err(|_| anyhow::anyhow!("the submission writer stopped before syncing"))?
    }

    /// [`Committer::submit`] for the tests' plain threads: waits on this thread.
    #[cfg(test)]
    pub fn submit_blocking(&self, pending: Pending) -> anyhow::Result<Stored> {
        let invitation = pending.invitation;
        let outcome = self.enqueue(pending)?;
        outcome.blocking_recv().map_err(|_| stopped(invitation))?
    }

    /// Queues `pending` for the writer; the receiver gets the outcome once it is durable.
    fn enqueue(
        &self,
        pending: Pending,
    ) -> anyhow::Result<oneshot::Receiver<anyhow::Result<Stored>>> {
        let (reply, outcome) = oneshot::channel();
        self.pulse.queued();
        self.jobs
            .send(Job::Submit {
                pending,
                reply,
                queued: Instant::now(),
            })
            .map_err(|_| anyhow::anyhow!("the submission writer has stopped"))?;
        Ok(outcome)
    }
}

fn stopped(invitation: i64) -> anyhow::Error {
    anyhow::anyhow!("the submission writer stopped before storing invitation {invitation}")
}

/// What the writer hands the syncer: the answers of one committed batch (or one barrier).
struct Committed {
    answers: Vec<Answer>,
    /// When the batch's oldest submission was queued (`None` for a barrier).
    oldest: Option<Instant>,
}

/// The writer thread: waits for a job, takes whatever else is queued, commits the batch's
/// submissions and hands the answers to the syncer. It never waits for the disk: its commits
/// only `write(2)` WAL frames (`synchronous = NORMAL`, checkpoints on another thread).
fn write_batches(
    mut conn: Connection,
    queue: mpsc::Receiver<Job>,
    committed: mpsc::Sender<Committed>,
    catch_up: Option<Arc<AtomicBool>>,
    pulse: &Pulse,
) {
    while let Ok(first) = queue.recv() {
        pulse.writer.set(Stage::Committing);
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut pending = Vec::with_capacity(batch.len());
        let mut waiting = Vec::with_capacity(batch.len());
        let mut oldest: Option<Instant> = None;
        for job in batch {
            match job {
                Job::Submit {
                    pending: p,
                    reply,
                    queued,
                } => {
                    oldest = Some(oldest.map_or(queued, |o| o.min(queued)));
                    waiting.push((p.invitation, reply));
                    pending.push(p);
                }
                Job::Barrier(reply) => {
                    // Everything committed before the barrier was queued went to the syncer in
                    // an earlier round, so the sync that answers it covers those commits.
                    let barrier = Committed {
                        answers: vec![Answer::Barrier(reply)],
                        oldest: None,
                    };
                    if committed.send(barrier).is_err() {
                        return;
                    }
                }
            }
        }
        if pending.is_empty() {
            pulse.writer.set(Stage::Idle);
            continue;
        }
        let started = Instant::now();
        let outcomes = commit_batch(&mut conn, &pending);
        tracing::debug!(
            submissions = pending.len(),
            queued_ms = oldest.map_or(0.0, |o| millis(started - o)),
            commit_ms = millis(started.elapsed()),
            "group committed"
        );
        let answers: Vec<Answer> = waiting
            .into_iter()
            .zip(outcomes)
            .map(|((invitation, reply), outcome)| Answer::Stored {
                invitation,
                outcome,
                reply,
            })
            .collect();
        if committed.send(Committed { answers, oldest }).is_err() {
            return;
        }
        // The answers are on their way to the syncer; now the one wait for the disk the writer
        // ever makes, when the checkpointer found the WAL too long (see `checkpoint.rs`).
        if catch_up
            .as_ref()
            .is_some_and(|flag| flag.swap(false, Ordering::Relaxed))
        {
            pulse.writer.set(Stage::CatchingUp);
            if let Err(err) = checkpoint::checkpoint(&conn) {
                tracing::error!(error = %format!("{err:#}"), "cannot checkpoint the WAL");
            }
        }
        pulse.writer.set(Stage::Idle);
    }
}

/// Milliseconds to the microsecond: a float's full expansion (`0.5701350000000001`) says
/// nothing more, and its long digit runs could pass for figures from the answers in a log scan.
fn millis(duration: std::time::Duration) -> f64 {
    duration.as_micros() as f64 / 1000.0
}

/// The syncer thread: waits for committed batches, takes whatever else is queued, makes them
/// durable with one fsync, then answers every request of them, and lets the checkpointer know
/// the WAL has grown.
fn sync_batches(
    durability: &Durability,
    committed: mpsc::Receiver<Committed>,
    checkpoints: Option<Checkpointer>,
    pulse: &Pulse,
) {
    while let Ok(first) = committed.recv() {
        pulse.syncer.set(Stage::Syncing);
        let mut oldest = first.oldest;
        let mut answers = first.answers;
        let mut batches = 1;
        while let Ok(more) = committed.try_recv() {
            answers.extend(more.answers);
            oldest = match (oldest, more.oldest) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            batches += 1;
        }
        let started = Instant::now();
        let synced = match durability {
            Durability::Commit => Ok(()),
            Durability::SyncWal(wal) => sync_file(wal),
        };
        tracing::debug!(
            answers = answers.len(),
            batches,
            sync_ms = millis(started.elapsed()),
            oldest_ms = oldest.map_or(0.0, |o| millis(o.elapsed())),
            "group synced"
        );
        if let Err(err) = &synced {
            tracing::error!(error = %format!("{err:#}"), "cannot sync the submissions");
        }
        pulse.syncer.set(Stage::Answering);
        let count = answers.len();
        let mut stored = Vec::new();
        for answer in answers {
            // A request may have given up waiting (its client went away); its response is
            // stored all the same.
            match answer {
                Answer::Stored {
                    invitation,
                    outcome,
                    reply,
                } => {
                    let outcome = match &synced {
                        Ok(()) => outcome,
                        Err(err) => Err(anyhow::anyhow!(
                            "the submission of invitation {invitation} may not be on disk: {err:#}"
                        )),
                    };
                    if outcome.as_ref().is_ok_and(|s| s.inserted) {
                        stored.push(invitation);
                    }
                    let _ = reply.send(outcome);
                }
                Answer::Barrier(reply) => {
                    let _ = reply.send(match &synced {
                        Ok(()) => Ok(()),
                        Err(err) => Err(anyhow::anyhow!(
                            "the submissions may not be on disk: {err:#}"
                        )),
                    });
                }
            }
        }
        pulse.answered(count);
        if let Some(checkpoints) = &checkpoints {
            checkpoints.wal_grew();
        }
        // Everyone waiting is answered first; the log lines can wait.
        pulse.syncer.set(Stage::Logging);
        for invitation in stored {
            tracing::info!(invitation, "response stored");
        }
        pulse.syncer.set(Stage::Idle);
    }
}

/// `fdatasync` of `path`: everything written to the file so far, by any connection of this
/// process, is on disk when it returns. The file is opened anew each time, so a WAL file that
/// another process removed and recreated is still the one synced.
fn sync_file(path: &Path) -> anyhow::Result<()> {
    std::fs::File::open(path)
        .and_then(|file| file.sync_data())
        .with_context(|| format!("cannot sync {}", path.display()))
}

/// Stores every submission of `batch` in one transaction and commits. Returns one outcome per
/// submission, in order; when the transaction cannot begin or commit, every outcome is that
/// error, because nothing of the batch is stored.
///
/// A submission that fails must not take the rest of its batch with it, which savepoints give;
/// but a savepoint copies every page a submission changes into a sub-journal (8 % of the
/// server's CPU under load). Submissions almost never fail, so the batch is first stored
/// without savepoints; only if one fails is that transaction rolled back and the batch stored
/// again with a savepoint per submission.
pub fn commit_batch(conn: &mut Connection, batch: &[Pending]) -> Vec<anyhow::Result<Stored>> {
    // With savepoints `store_batch` always gives the outcomes.
    store_batch(conn, batch, Isolation::Together)
        .or_else(|| store_batch(conn, batch, Isolation::Savepoints))
        .unwrap_or_default()
}

/// How a batch's submissions are kept apart inside its transaction.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Isolation {
    /// None: any failure rolls back the whole transaction (and [`store_batch`] gives `None`).
    Together,
    /// A savepoint per submission: a failure rolls back only that submission.
    Savepoints,
}

/// One attempt of [`commit_batch`]; `None` when a submission failed with
/// [`Isolation::Together`] and the transaction was rolled back.
fn store_batch(
    conn: &mut Connection,
    batch: &[Pending],
    isolation: Isolation,
) -> Option<Vec<anyhow::Result<Stored>>> {
    let whole_batch_failed = |err: &dyn std::fmt::Display, what: &str| {
        tracing::error!(error = %err, submissions = batch.len(), "{what}");
        batch
            .iter()
            .map(|p| {
                Err(anyhow::anyhow!(
                    "the submission of invitation {} was not stored: {what}: {err}",
                    p.invitation
                ))
            })
            .collect()
    };
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(err) => {
            return Some(whole_batch_failed(
                &err,
                "cannot begin the submissions transaction",
            ));
        }
    };
    let mut outcomes = Vec::with_capacity(batch.len());
    for pending in batch {
        let outcome = match isolation {
            Isolation::Together => store_submission(&tx, pending),
            Isolation::Savepoints => store_in_savepoint(&tx, pending),
        }
        .with_context(|| {
            format!(
                "cannot store the submission of invitation {}",
                pending.invitation
            )
        });
        if outcome.is_err() && isolation == Isolation::Together {
            // Dropping the transaction rolls it back.
            return None;
        }
        outcomes.push(outcome);
    }
    Some(match tx.commit() {
        Ok(()) => outcomes,
        Err(err) => whole_batch_failed(&err, "cannot commit the submissions transaction"),
    })
}

/// Stores one submission inside a savepoint of the batch's transaction, so that a failure
/// undoes only this submission. With cached statements rather than rusqlite's `Savepoint`,
/// which parses its SQL anew each time: this runs once per submission on the one writer
/// thread, which every submission waits for.
fn store_in_savepoint(conn: &Connection, pending: &Pending) -> anyhow::Result<Stored> {
    conn.prepare_cached("SAVEPOINT submission")?.execute([])?;
    let stored = store_submission(conn, pending);
    let released = stored.as_ref().map_err(|_| ()).and_then(|_| {
        conn.prepare_cached("RELEASE submission")
            .and_then(|mut release| release.execute([]))
            .map_err(|_| ())
    });
    if released.is_err() {
        conn.prepare_cached("ROLLBACK TO submission")?.execute([])?;
        conn.prepare_cached("RELEASE submission")?.execute([])?;
    }
    let stored = stored?;
    released.map_err(|()| anyhow::anyhow!("cannot release the savepoint of the submission"))?;
    Ok(stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database with `count` participants, each with an invitation; returns the ids.
    fn invitations(conn: &Connection, count: i64) -> Vec<i64> {
        conn.execute(
            "INSERT INTO waves (name, form_file, updated_at) VALUES ('m3', 'f.xlsx', 'now')",
            [],
        )
        .unwrap();
        (0..count)
            .map(|n| {
                conn.execute(
                    "INSERT INTO participants (participant_key, pseudonym, created_at)
                     VALUES (?1, ?2, 'now')",
                    [format!("id:{n}"), format!("P-{n}")],
                )
                .unwrap();
                let participant = conn.last_insert_rowid();
                conn.execute(
                    "INSERT INTO invitations
                         (participant_id, wave, token, status, issued_at, opens_at, closes_at)
                     VALUES (?1, 'm3', ?2, 'opened', 'a', 'a', 'b')",
                    rusqlite::params![participant, format!("token-{n}")],
                )
                .unwrap();
                conn.last_insert_rowid()
            })
            .collect()
    }

    fn pending(invitation: i64, submission_id: &str, at: &str) -> Pending {
        Pending {
            invitation,
            submission_id: submission_id.into(),
            form_id: "followup".into(),
            form_version: "1".into(),
            answers: r#"{"work_status":"none"}"#.into(),
            language: "id".into(),
            received_at: at.into(),
            assisted_by: None,
        }
    }

    fn count(conn: &Connection, sql: &str) -> i64 {
        conn.query_row(sql, [], |row| row.get(0)).unwrap()
    }

    #[test]
    fn one_failing_submission_leaves_the_rest_of_its_batch_stored() {
        let mut conn = crate::db::open_in_memory().unwrap();
        let ids = invitations(&conn, 3);
        let batch = [
            pending(ids[0], "submission-a", "t1"),
            // Reuses another invitation's submission id: not stored, an error of its own.
            pending(ids[1], "submission-a", "t1"),
            // No such invitation: the foreign key refuses it.
            pending(9999, "submission-x", "t1"),
            pending(ids[2], "submission-c", "t1"),
        ];
        let outcomes = commit_batch(&mut conn, &batch);
        assert!(outcomes[0].as_ref().unwrap().inserted);
        let reused = format!("{:#}", outcomes[1].as_ref().unwrap_err());
        assert!(
            reused.contains(&format!("invitation {}", ids[1])),
            "{reused}"
        );
        assert!(outcomes[2].is_err());
        assert!(outcomes[3].as_ref().unwrap().inserted);
        assert_eq!(count(&conn, "SELECT count(*) FROM responses"), 2);
        assert_eq!(
            count(
                &conn,
                "SELECT count(*) FROM invitations WHERE status = 'submitted'"
            ),
            2
        );
    }

    #[test]
    fn a_retry_in_the_same_batch_is_stored_once_and_answers_the_first_time() {
        let mut conn = crate::db::open_in_memory().unwrap();
        let ids = invitations(&conn, 1);
        conn.execute(
            "INSERT INTO drafts (invitation_id, answers, version, updated_at)
             VALUES (?1, '{}', 1, 'now')",
            [ids[0]],
        )
        .unwrap();
        let batch = [
            pending(ids[0], "submission-a", "first"),
            pending(ids[0], "submission-a", "second"),
            // Another device with its own submission id: still one response.
            pending(ids[0], "submission-b", "third"),
        ];
        let outcomes: Vec<Stored> = commit_batch(&mut conn, &batch)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            outcomes.iter().map(|s| s.inserted).collect::<Vec<_>>(),
            [true, false, false]
        );
        assert!(outcomes.iter().all(|s| s.submitted_at == "first"));
        assert_eq!(count(&conn, "SELECT count(*) FROM responses"), 1);
        assert_eq!(count(&conn, "SELECT count(*) FROM drafts"), 0);
    }

    #[test]
    fn the_committer_answers_each_caller_after_storing() {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("pantau.db");
        let ids = invitations(&crate::db::open(&database).unwrap(), 40);
        let committer = Committer::start(&database).unwrap();
        std::thread::scope(|scope| {
            for (n, id) in ids.iter().enumerate() {
                let (committer, database) = (&committer, &database);
                scope.spawn(move || {
                    let stored = committer
                        .submit_blocking(pending(*id, &format!("submission-{n}"), "t"))
                        .unwrap();
                    assert!(stored.inserted);
                    // Told "stored": another connection sees it.
                    let other = crate::db::open(database).unwrap();
                    let seen: i64 = other
                        .query_row(
                            "SELECT count(*) FROM responses WHERE invitation_id = ?1",
                            [id],
                            |row| row.get(0),
                        )
                        .unwrap();
                    assert_eq!(seen, 1);
                });
            }
        });
        let conn = crate::db::open(&database).unwrap();
        assert_eq!(count(&conn, "SELECT count(*) FROM responses"), 40);
    }
}
