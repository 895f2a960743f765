//! Group commit of final submissions: one writer thread owns a database connection, and every
//! final submission goes through it.
//!
//! With `synchronous = FULL` each commit waits for an fsync, so committing each submission on
//! its own caps the server at a few hundred submissions per second whatever the CPU. Here a
//! request hands its prepared submission ([`Pending`]) to the writer over a channel and waits
//! for the answer; the writer takes everything queued, stores each submission inside its own
//! savepoint of one IMMEDIATE transaction, commits once (one fsync for the whole batch), and
//! only then answers each request. So:
//!
//! - a participant sees the thank-you page only after their response is on disk, as before;
//! - exactly-once still rests on the UNIQUE constraints (see [`store_submission`]): a retried
//!   post in the same batch as the first finds the first's row;
//! - a submission that fails (a submission id reused by another invitation, a constraint) rolls
//!   back its own savepoint and gets its own error; the rest of the batch commits;
//! - if the commit itself fails, every request of the batch gets the error and none was told
//!   its answers were received.
//!
//! Batches form by themselves: while one commit waits for the disk, the next requests queue.

use std::path::Path;
use std::sync::mpsc;

use anyhow::Context;
use rusqlite::{Connection, TransactionBehavior};

use super::store::{Pending, Stored, store_submission};

/// Most submissions committed in one transaction, so that one batch's fsync and its replies are
/// not held back by an endless queue.
const MAX_BATCH: usize = 1024;

/// A submission waiting for the writer, with where to send the outcome.
struct Job {
    pending: Pending,
    reply: mpsc::SyncSender<anyhow::Result<Stored>>,
}

/// The handle requests use to reach the submission writer. The writer thread stops when the
/// handle is dropped (with the server's state).
#[derive(Debug)]
pub struct Committer {
    jobs: mpsc::Sender<Job>,
}

impl Committer {
    /// Opens the writer's connection to `database` and starts the writer thread.
    pub fn start(database: &Path) -> anyhow::Result<Committer> {
        let conn = crate::db::open(database)?;
        let (jobs, queue) = mpsc::channel();
        std::thread::Builder::new()
            .name("pantau-submissions".into())
            .spawn(move || write_batches(conn, queue))
            .context("cannot start the submission writer thread")?;
        Ok(Committer { jobs })
    }

    /// Stores `pending` through the writer and waits until it is committed (or failed). Blocks:
    /// call from blocking code only (inside `web::block`).
    pub fn submit(&self, pending: Pending) -> anyhow::Result<Stored> {
        let (reply, outcome) = mpsc::sync_channel(1);
        let invitation = pending.invitation;
        self.jobs
            .send(Job { pending, reply })
            .map_err(|_| anyhow::anyhow!("the submission writer has stopped"))?;
        outcome.recv().map_err(|_| {
            anyhow::anyhow!("the submission writer stopped before storing invitation {invitation}")
        })?
    }
}

/// The writer thread: waits for a submission, takes whatever else is queued, commits the batch.
fn write_batches(mut conn: Connection, queue: mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let (pending, replies): (Vec<Pending>, Vec<_>) = batch
            .into_iter()
            .map(|job| (job.pending, job.reply))
            .unzip();
        let outcomes = commit_batch(&mut conn, &pending);
        for ((pending, reply), outcome) in pending.iter().zip(replies).zip(outcomes) {
            if let Ok(stored) = &outcome
                && stored.inserted
            {
                tracing::info!(invitation = pending.invitation, "response stored");
            }
            // The request may have given up waiting (its client went away); its response is
            // stored all the same.
            let _ = reply.send(outcome);
        }
    }
}

/// Stores every submission of `batch` in one transaction, each in a savepoint of its own, and
/// commits. Returns one outcome per submission, in order; when the transaction cannot begin or
/// commit, every outcome is that error, because nothing of the batch is stored.
pub fn commit_batch(conn: &mut Connection, batch: &[Pending]) -> Vec<anyhow::Result<Stored>> {
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
    let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(err) => return whole_batch_failed(&err, "cannot begin the submissions transaction"),
    };
    let mut outcomes = Vec::with_capacity(batch.len());
    for pending in batch {
        let outcome = tx
            .savepoint()
            .map_err(anyhow::Error::from)
            .and_then(|mut savepoint| {
                // Dropping an uncommitted savepoint rolls back only this submission.
                savepoint.set_drop_behavior(rusqlite::DropBehavior::Rollback);
                let stored = store_submission(&savepoint, pending)?;
                savepoint.commit()?;
                Ok(stored)
            })
            .with_context(|| {
                format!(
                    "cannot store the submission of invitation {}",
                    pending.invitation
                )
            });
        outcomes.push(outcome);
    }
    match tx.commit() {
        Ok(()) => outcomes,
        Err(err) => whole_batch_failed(&err, "cannot commit the submissions transaction"),
    }
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
                        .submit(pending(*id, &format!("submission-{n}"), "t"))
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
