//! The configuration file, `pantau.toml`: programme, paths, server, survey waves, indicators,
//! reporting, schedules, recipients, SMTP and roster header aliases.
//!
//! The shipped `pantau.example.toml` at the repository root *is* the default configuration: it is
//! embedded in the binary and a user's file is laid over it key by key (tables merge, arrays and
//! values replace), so the example cannot drift from what pantau does when a key is left out.
//!
//! Every problem is reported with the file, the line and the dotted key (`waves[1].window_days`),
//! so a person can go straight to it. Secrets never come from the file: see [`Secrets`].

mod error;
mod indicators;
mod sections;
mod source;
mod validate;
mod waves;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use error::{ConfigError, Problem};
pub use indicators::{Indicator, IndicatorFormat, IndicatorKind, WaveScope};
pub use sections::{
    Paths, Programme, Recipient, Reporting, RosterSettings, Server, Smtp, Tls, WorkbookVariant,
};
pub use waves::{Anchor, Wave};

/// The example configuration shipped at the repository root, which is also the built-in default.
pub const EXAMPLE_TOML: &str = include_str!("../../pantau.example.toml");

/// The file [`Config::load`] reads when no path is given, relative to the working directory.
pub const DEFAULT_FILE: &str = "pantau.toml";

/// The whole configuration, validated. Relative paths are kept as written; the resolved absolute
/// paths come from [`Config::database`], [`Config::forms_dir`] and the other accessors.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[programme]`: name, time zone, languages, contact, data retention.
    pub programme: Programme,
    /// `[paths]`: database file and folders, relative to the config file's directory.
    pub paths: Paths,
    /// `[server]`: listening address, public URL, request limits.
    pub server: Server,
    /// `[[waves]]`: the survey waves, in the order they are written.
    pub waves: Vec<Wave>,
    /// `[[indicators]]`: the indicators computed for every report.
    pub indicators: Vec<Indicator>,
    /// `[reporting]`: disaggregations and the small-cell suppression threshold.
    pub reporting: Reporting,
    /// `[schedules]`: named cron expressions (`job` is the scheduled job; the others are
    /// referred to by recipients), read in the programme's time zone.
    pub schedules: BTreeMap<String, String>,
    /// `[[recipients]]`: who receives which report on which schedule.
    pub recipients: Vec<Recipient>,
    /// `[smtp]`: the mail server; without a host, emails are written to the outbox folder.
    pub smtp: Smtp,
    /// `[roster]`: extra header aliases for roster imports.
    pub roster: RosterSettings,
    /// Directory that relative paths resolve against: the config file's directory.
    #[serde(skip)]
    base_dir: PathBuf,
    /// The file this configuration was read from, when there was one.
    #[serde(skip)]
    file: Option<PathBuf>,
}

impl Config {
    /// Reads the configuration from `path`, or from `./pantau.toml` when `path` is `None`.
    ///
    /// A missing file at the default path means "all defaults" (a first run needs no file); a
    /// file named explicitly must exist, because a typo in `--config` should not silently run
    /// with defaults.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        match path {
            Some(path) => Config::read(path, true),
            None => Config::read(Path::new(DEFAULT_FILE), false),
        }
    }

    /// Reads `path`; when it does not exist and was not named `explicit`ly, the defaults with
    /// `path`'s directory as the base.
    fn read(path: &Path, explicit: bool) -> Result<Config, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::from_toml(&text, path),
            Err(err) if !explicit && err.kind() == std::io::ErrorKind::NotFound => {
                let mut config = Config::from_toml("", path)?;
                config.file = None;
                Ok(config)
            }
            Err(source) => Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// Parses and validates `text` as if read from the file `origin`, which names the file in
    /// error messages and whose directory becomes [`Config::base_dir`]. Keys missing from `text`
    /// take their values from [`EXAMPLE_TOML`].
    pub fn from_toml(text: &str, origin: &Path) -> Result<Config, ConfigError> {
        let invalid = |problems| ConfigError::Invalid {
            path: origin.to_path_buf(),
            problems,
        };
        let mut config = source::parse(text, EXAMPLE_TOML).map_err(invalid)?;
        config.base_dir = base_dir_of(origin);
        config.file = Some(origin.to_path_buf());
        validate::check(&config, text).map_err(invalid)?;
        Ok(config)
    }

    /// The directory relative paths resolve against: the config file's directory, or the working
    /// directory when running on defaults.
    pub fn base_dir(&self) -> &Path {
        &self.base_dir
    }

    /// The file this configuration came from; `None` when running on built-in defaults.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// The SQLite database file.
    pub fn database(&self) -> PathBuf {
        self.resolve(&self.paths.database)
    }

    /// The folder holding the XLSForm files named by the waves.
    pub fn forms_dir(&self) -> PathBuf {
        self.resolve(&self.paths.forms)
    }

    /// The folder watched for roster files to import.
    pub fn inbox_dir(&self) -> PathBuf {
        self.resolve(&self.paths.inbox)
    }

    /// The folder the workbooks are written to.
    pub fn reports_dir(&self) -> PathBuf {
        self.resolve(&self.paths.reports)
    }

    /// The folder `.eml` files are written to when no SMTP host is configured.
    pub fn outbox_dir(&self) -> PathBuf {
        self.resolve(&self.paths.outbox)
    }

    /// The form file of `wave`, inside [`Config::forms_dir`].
    pub fn wave_form(&self, wave: &Wave) -> PathBuf {
        self.forms_dir().join(&wave.form)
    }

    /// The wave called `name`, if configured.
    pub fn wave(&self, name: &str) -> Option<&Wave> {
        self.waves.iter().find(|wave| wave.name == name)
    }

    fn resolve(&self, path: &Path) -> PathBuf {
        // `join` keeps an absolute `path` as it is, which is what a user writing one expects.
        self.base_dir.join(path)
    }
}

impl Default for Config {
    /// The built-in defaults ([`EXAMPLE_TOML`]) with paths relative to the working directory.
    fn default() -> Config {
        let mut config = Config::from_toml("", Path::new(DEFAULT_FILE))
            .expect("the embedded pantau.example.toml is valid (checked by the config tests)");
        config.file = None;
        config
    }
}

/// The absolute directory of `origin`, falling back to the working directory, and to `.` when
/// even that cannot be found (a deleted working directory).
fn base_dir_of(origin: &Path) -> PathBuf {
    let dir = match origin.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf())
}

/// Secrets, read from the environment only so that a config file can be shared, committed or
/// attached to a support request without leaking them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    /// `PANTAU_SMTP_PASSWORD`: the SMTP password for `smtp.username`.
    pub smtp_password: Option<String>,
    /// `PANTAU_SESSION_KEY`: the key that signs admin session cookies.
    pub session_key: Option<String>,
}

impl Secrets {
    /// Reads the secrets from the environment; an unset or empty variable gives `None`.
    pub fn from_env() -> Secrets {
        let read = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        Secrets {
            smtp_password: read("PANTAU_SMTP_PASSWORD"),
            session_key: read("PANTAU_SESSION_KEY"),
        }
    }
}

impl std::fmt::Debug for Secrets {
    /// Says only whether each secret is set, so that logging a `Secrets` never leaks one.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = |secret: &Option<String>| if secret.is_some() { "<set>" } else { "<unset>" };
        f.debug_struct("Secrets")
            .field("smtp_password", &shown(&self.smtp_password))
            .field("session_key", &shown(&self.session_key))
            .finish()
    }
}
