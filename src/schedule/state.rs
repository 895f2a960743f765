//! What the runner remembers between restarts: the last trigger handled per schedule, in the
//! `schedule_state` table (`src/db/migrations/0002_schedules.sql`).
//!
//! Behind a trait so that the runner does not depend on where the memory lives; pantau itself
//! always uses [`SqliteTriggerStore`], and so do the tests, on a temporary file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use crate::invitations::rfc3339;

/// The last trigger handled per schedule.
pub trait TriggerStore: Send {
    /// Every schedule's last handled trigger, by name.
    fn last_fired(&mut self) -> anyhow::Result<BTreeMap<String, DateTime<Utc>>>;
    /// Records that the triggers of `names` at `at` were handled (run or skipped).
    fn record(&mut self, names: &[String], at: DateTime<Utc>) -> anyhow::Result<()>;
}

/// [`TriggerStore`] in pantau's database. The connection is opened on first use, in the
/// runner's thread, and kept.
pub struct SqliteTriggerStore {
    path: PathBuf,
    conn: Option<Connection>,
}

impl SqliteTriggerStore {
    /// A store in the database file at `path` (created and migrated if needed on first use).
    pub fn new(path: &Path) -> SqliteTriggerStore {
        SqliteTriggerStore {
            path: path.to_path_buf(),
            conn: None,
        }
    }

    fn conn(&mut self) -> anyhow::Result<&mut Connection> {
        if self.conn.is_none() {
            self.conn = Some(crate::db::open(&self.path)?);
        }
        self.conn
            .as_mut()
            .context("the schedule state connection was not opened")
    }
}

impl TriggerStore for SqliteTriggerStore {
    fn last_fired(&mut self) -> anyhow::Result<BTreeMap<String, DateTime<Utc>>> {
        let conn = self.conn()?;
        let mut statement = conn.prepare("SELECT name, last_fired_at FROM schedule_state")?;
        let rows = statement.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })?;
        let mut last = BTreeMap::new();
        for row in rows {
            let (name, text) = row?;
            let at = DateTime::parse_from_rfc3339(&text).with_context(|| {
                format!("schedule_state.last_fired_at of `{name}` is not a time: {text:?}")
            })?;
            last.insert(name, at.with_timezone(&Utc));
        }
        Ok(last)
    }

    fn record(&mut self, names: &[String], at: DateTime<Utc>) -> anyhow::Result<()> {
        let stamp = rfc3339(at);
        let conn = self.conn()?;
        let tx = conn.transaction()?;
        for name in names {
            // Never move backwards: a late write of an older trigger must not make a restart
            // think a later one was missed.
            tx.execute(
                "INSERT INTO schedule_state (name, last_fired_at) VALUES (?1, ?2)
                 ON CONFLICT (name) DO UPDATE SET last_fired_at = excluded.last_fired_at
                 WHERE excluded.last_fired_at > schedule_state.last_fired_at",
                params![name, stamp],
            )
            .with_context(|| format!("cannot record the last trigger of schedule {name}"))?;
        }
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn records_survive_reopening_and_never_move_backwards() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pantau.db");
        let later = Utc.with_ymd_and_hms(2026, 11, 26, 19, 0, 0).unwrap();
        let earlier = Utc.with_ymd_and_hms(2026, 11, 25, 19, 0, 0).unwrap();
        let mut store = SqliteTriggerStore::new(&path);
        store.record(&["job".to_string()], later).unwrap();
        store.record(&["job".to_string()], earlier).unwrap();
        drop(store);

        let mut reopened = SqliteTriggerStore::new(&path);
        let last = reopened.last_fired().unwrap();
        assert_eq!(last.len(), 1);
        assert_eq!(last["job"], later);
    }
}
