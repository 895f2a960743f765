//! The server's search indexer: a thread that adds the participants a first import left out of
//! the admin search ([`crate::participants::search_index`]) a chunk per transaction, while the
//! server answers requests.
//!
//! It looks for waiting participants every [`POLL`], which also finds those of an import made
//! by another process (`pantau import`, `pantau run` from cron). A chunk holds the write lock
//! for about half a second, so a survey submission waits at most that long; while an import
//! holds the lock, the chunk waits for it (the busy timeout) and is tried again. It stops when
//! the server's state is dropped, after the chunk it is writing: each chunk is a transaction,
//! so stopping or crashing between chunks loses nothing.

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context;
use rusqlite::{Connection, ErrorCode};

use crate::participants::search_index;

/// How often the indexer looks for waiting participants when none were waiting.
pub const POLL: Duration = Duration::from_secs(5);

/// The indexer thread and the flag that stops it.
#[derive(Debug)]
pub struct SearchIndexer {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl SearchIndexer {
    /// Starts the thread on its own connection to `database`.
    pub fn start(database: &Path) -> anyhow::Result<SearchIndexer> {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let flag = Arc::clone(&stop);
        let database = database.to_path_buf();
        let thread = std::thread::Builder::new()
            .name("pantau-search-index".into())
            .spawn(move || run(&database, &flag))
            .context("cannot start the search indexer thread")?;
        Ok(SearchIndexer {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for SearchIndexer {
    fn drop(&mut self) {
        let (stopped, wake) = &*self.stop;
        *stopped
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = true;
        wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Waits `pause` or until stopped; true when stopped.
fn pause(stop: &(Mutex<bool>, Condvar), pause: Duration) -> bool {
    let (stopped, wake) = stop;
    let guard = stopped
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let (guard, _) = wake
        .wait_timeout_while(guard, pause, |stopped| !*stopped)
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    *guard
}

fn run(database: &Path, stop: &(Mutex<bool>, Condvar)) {
    let mut conn: Option<Connection> = None;
    while !pause(stop, Duration::ZERO) {
        // Opened on first use, and again after a failure to open (a database being replaced).
        let opened = match conn.take() {
            Some(open) => Ok(open),
            None => crate::db::open(database).and_then(|open| {
                crate::db::configure_for_server(&open)?;
                Ok(open)
            }),
        };
        let outcome = opened.and_then(|mut open| {
            let added = search_index::catch_up_chunk(&mut open, search_index::CHUNK);
            conn = Some(open);
            Ok(added?)
        });
        let wait = match outcome {
            Ok(0) => POLL,
            Ok(added) => {
                tracing::info!(participants = added, "search index: participants added");
                continue;
            }
            Err(err) => {
                let busy = err
                    .downcast_ref::<rusqlite::Error>()
                    .is_some_and(|err| err.sqlite_error_code() == Some(ErrorCode::DatabaseBusy));
                if busy {
                    // An import or a job holds the write lock: try again after it.
                    tracing::debug!("search index: the database is busy");
                } else {
                    tracing::warn!(error = %format!("{err:#}"), "search index: cannot add participants");
                }
                POLL
            }
        };
        if pause(stop, wait) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thread_adds_a_first_imports_participants_and_stops_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pantau.db");
        let mut conn = crate::db::open(&path).unwrap();
        let people: Vec<(String, String)> = (0..120)
            .map(|n| (format!("id:{n}"), format!(r#"{{"name":"Peserta {n}"}}"#)))
            .collect();
        let people: Vec<(&str, &str)> = people
            .iter()
            .map(|(key, attrs)| (key.as_str(), attrs.as_str()))
            .collect();
        search_index::first_import(&mut conn, &people);
        assert_eq!(search_index::waiting(&conn).unwrap(), 120);
        let indexer = SearchIndexer::start(&path).unwrap();
        // It looks at once on start; a generous bound for a loaded machine.
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while search_index::waiting(&conn).unwrap() > 0 {
            assert!(std::time::Instant::now() < deadline, "still waiting");
            std::thread::sleep(Duration::from_millis(20));
        }
        let searchable: i64 = conn
            .query_row(
                "SELECT count(*) FROM participant_search_text
                 WHERE participant_search_text MATCH '\"ser\"'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(searchable, 120);
        // Dropping it wakes the thread from its pause and joins it.
        drop(indexer);
    }
}
