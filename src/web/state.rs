//! What every request handler shares: the configuration, the loaded forms, the rate limiters,
//! the submission writer, and database connections reused per worker thread.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use rusqlite::Connection;

use crate::config::Config;
use crate::form::Form;

use super::rate_limit::Limiter;
use super::search_indexer::SearchIndexer;
use super::survey::commit::Committer;

/// The server's shared state, built once at startup.
#[derive(Debug)]
pub struct AppState {
    /// The configuration the server started with.
    pub config: Config,
    /// The form of each configured wave, by wave name, loaded and checked at startup.
    pub forms: BTreeMap<String, Arc<Form>>,
    /// The database file.
    pub database: PathBuf,
    /// Limits survey page views per client address.
    pub pages: Limiter,
    /// Limits posts per client address.
    pub posts: Limiter,
    /// The writer thread every final submission is committed through, in groups.
    pub submissions: Committer,
    /// The thread adding a first import's participants to the admin search.
    pub search_indexer: SearchIndexer,
}

impl AppState {
    /// Loads every wave's form; a form with errors stops the server from starting, with the
    /// problems in the message, rather than failing in front of a participant.
    pub fn new(config: Config) -> anyhow::Result<AppState> {
        let mut forms = BTreeMap::new();
        for wave in &config.waves {
            let path = config.wave_form(wave);
            let form = Form::load_path(&path).map_err(|problems| {
                let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
                anyhow::anyhow!(
                    "the form {} of wave {} has errors:\n{}",
                    path.display(),
                    wave.name,
                    listed.join("\n")
                )
            })?;
            forms.insert(wave.name.clone(), Arc::new(form));
        }
        // Create and migrate the database before the first request, so that a bad path is a
        // startup error.
        let database = config.database();
        crate::db::open(&database)?;
        let submissions = Committer::start(&database)?;
        let search_indexer = SearchIndexer::start(&database)?;
        Ok(AppState {
            submissions,
            search_indexer,
            pages: Limiter::new(config.server.token_pages_per_minute),
            posts: Limiter::new(config.server.posts_per_minute),
            forms,
            database,
            config,
        })
    }
}

thread_local! {
    /// One connection per thread (actix worker or blocking thread) and database file, opened on
    /// first use: opening a connection (pragmas, migration check) costs more than a survey
    /// screen.
    static CONNECTION: RefCell<Option<(PathBuf, Connection)>> = const { RefCell::new(None) };
}

/// Runs `work` with this thread's connection to `database`. On an actix worker thread, only
/// for reads (which never wait for a lock in WAL mode); writes go inside `web::block`.
pub fn with_connection<T>(
    database: &Path,
    work: impl FnOnce(&mut Connection) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    CONNECTION.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.as_ref().is_none_or(|(path, _)| path != database) {
            let conn = crate::db::open(database)
                .with_context(|| format!("cannot open the database {}", database.display()))?;
            crate::db::configure_for_server(&conn)
                .with_context(|| format!("cannot set up the database {}", database.display()))?;
            *slot = Some((database.to_path_buf(), conn));
        }
        let (_, conn) = slot.as_mut().expect("the connection was just opened");
        work(conn)
    })
}
