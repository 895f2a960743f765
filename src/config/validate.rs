//! Checks across keys that serde cannot make: unique names, references between sections, ranges.
//! Every problem is collected, not only the first, so that a person fixes them all in one go.

use std::collections::{BTreeMap, BTreeSet};

use toml::de::DeTable;

use super::error::Problem;
use super::source::KeyPath;
use super::{Config, Indicator, WaveScope};

/// Wave names with a meaning of their own in an indicator's `wave`.
const RESERVED_WAVE_NAMES: [&str; 3] = ["all", "followups", "roster"];

/// Checks `config`, read from `text`, as a whole.
pub(super) fn check(config: &Config, text: &str) -> Result<(), Vec<Problem>> {
    // `text` already parsed once to build `config`, so this cannot fail; an empty table only
    // loses line numbers.
    let user = DeTable::parse(text)
        .map(|table| table.into_inner())
        .unwrap_or_default();
    let mut checker = Checker {
        text,
        user: &user,
        problems: Vec::new(),
    };
    checker.programme(config);
    checker.server(config);
    checker.waves(config);
    checker.indicators(config);
    checker.reporting(config);
    checker.schedules(config);
    checker.recipients(config);
    checker.smtp(config);
    checker.roster(config);
    let mut problems = checker.problems;
    problems.sort_by_key(|problem| problem.line.unwrap_or(usize::MAX));
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

struct Checker<'a> {
    text: &'a str,
    user: &'a DeTable<'a>,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn report(&mut self, path: &KeyPath, message: String) {
        let key = Some(path.to_string());
        let problem = match path.offset_in(self.user) {
            Some(offset) => Problem::at(self.text, offset, key, message),
            None => {
                let message = format!(
                    "{message} (this value is a built-in default: set `{}` in the file to \
                     replace it)",
                    path.top()
                );
                Problem::unplaced(key, message)
            }
        };
        self.problems.push(problem);
    }

    /// Line of `path` in the user's file, for messages such as "first used on line 5".
    fn line_of(&self, path: &KeyPath) -> String {
        match path.offset_in(self.user) {
            Some(offset) => format!("line {}", super::error::line_column(self.text, offset).0),
            None => "the built-in defaults".to_string(),
        }
    }

    fn programme(&mut self, config: &Config) {
        let programme = &config.programme;
        let at = KeyPath::root("programme");
        if programme.name.trim().is_empty() {
            self.report(&at.key("name"), "the programme name is empty".into());
        }
        if programme.languages.is_empty() {
            self.report(
                &at.key("languages"),
                "list at least one language code".into(),
            );
        }
        self.unique(&at.key("languages"), programme.languages.iter(), "language");
        if !programme.languages.contains(&programme.default_language) {
            let message = format!(
                "`{}` is not one of programme.languages {:?}",
                programme.default_language, programme.languages
            );
            self.report(&at.key("default_language"), message);
        }
    }

    fn server(&mut self, config: &Config) {
        let server = &config.server;
        let at = KeyPath::root("server");
        for (key, value) in [
            ("max_body_kb", server.max_body_kb),
            ("max_upload_mb", server.max_upload_mb),
            ("token_pages_per_minute", server.token_pages_per_minute),
            ("posts_per_minute", server.posts_per_minute),
        ] {
            if value == 0 {
                self.report(&at.key(key), "must be at least 1".into());
            }
        }
    }

    fn waves(&mut self, config: &Config) {
        let list = KeyPath::root("waves");
        if config.waves.is_empty() {
            self.report(&list, "configure at least one wave".into());
        }
        let mut seen: BTreeMap<&str, KeyPath> = BTreeMap::new();
        for (index, wave) in config.waves.iter().enumerate() {
            let at = list.index(index);
            if let Some(problem) = name_problem(&wave.name) {
                self.report(&at.key("name"), problem);
            } else if RESERVED_WAVE_NAMES.contains(&wave.name.as_str()) {
                let message = format!(
                    "`{}` is reserved for indicators' `wave`; choose another name",
                    wave.name
                );
                self.report(&at.key("name"), message);
            }
            if let Some(first) = seen.get(wave.name.as_str()) {
                let message = format!(
                    "wave name `{}` is used twice (first on {})",
                    wave.name,
                    self.line_of(first)
                );
                self.report(&at.key("name"), message);
            } else {
                seen.insert(&wave.name, at.key("name"));
            }
            let form = std::path::Path::new(&wave.form);
            let escapes = form.is_absolute()
                || form
                    .components()
                    .any(|part| part == std::path::Component::ParentDir);
            if wave.form.trim().is_empty() || escapes {
                let message = format!(
                    "`{}` must be a file name inside the forms folder, such as `followup.xlsx`",
                    wave.form
                );
                self.report(&at.key("form"), message);
            }
            if wave.window_days == 0 {
                self.report(
                    &at.key("window_days"),
                    "a window must last at least 1 day".into(),
                );
            }
            let reminders = &wave.reminder_days;
            let ascending = reminders.windows(2).all(|pair| pair[0] < pair[1]);
            let inside = reminders
                .iter()
                .all(|&day| day >= 1 && day < wave.window_days);
            if !ascending || !inside {
                let message = format!(
                    "reminder days must be ascending, without repeats, between 1 and {} \
                     (inside the {}-day window)",
                    wave.window_days.saturating_sub(1),
                    wave.window_days
                );
                self.report(&at.key("reminder_days"), message);
            }
        }
    }

    fn indicators(&mut self, config: &Config) {
        let list = KeyPath::root("indicators");
        let default_language = &config.programme.default_language;
        let mut seen: BTreeMap<&str, KeyPath> = BTreeMap::new();
        for (index, indicator) in config.indicators.iter().enumerate() {
            let at = list.index(index);
            if let Some(problem) = name_problem(&indicator.id) {
                self.report(&at.key("id"), problem);
            }
            if let Some(first) = seen.get(indicator.id.as_str()) {
                let message = format!(
                    "indicator id `{}` is used twice (first on {})",
                    indicator.id,
                    self.line_of(first)
                );
                self.report(&at.key("id"), message);
            } else {
                seen.insert(&indicator.id, at.key("id"));
            }
            // A missing language falls back to another label (see `Indicator::label_in`), so
            // only a missing label altogether is an error.
            if indicator
                .label
                .values()
                .all(|label| label.trim().is_empty())
            {
                let message = format!("give a label, such as {{ {default_language} = \"…\" }}");
                self.report(&at.key("label"), message);
            }
            if let WaveScope::Wave(name) = &indicator.wave
                && config.wave(name).is_none()
            {
                let message = format!(
                    "`{name}` is not a configured wave; use a wave name, `all`, `followups` or \
                     `roster`"
                );
                self.report(&at.key("wave"), message);
            }
            self.expressions(&at, indicator);
        }
    }

    /// Each kind needs some expressions and has no use for others; a stray one is most likely a
    /// mistake (a `value` on a `share`), so it is reported rather than ignored.
    fn expressions(&mut self, at: &KeyPath, indicator: &Indicator) {
        let allowed = Indicator::expression_fields(indicator.kind);
        let kind = format!("{:?}", indicator.kind).to_lowercase();
        for (field, text) in indicator.expressions() {
            let rule = allowed.iter().find(|(name, _)| *name == field);
            match (rule, text) {
                (Some((_, true)), None) => {
                    let message = format!("an indicator of kind `{kind}` needs `{field}`");
                    self.report(&at.key("kind"), message);
                }
                (None, Some(_)) => {
                    let message = format!("an indicator of kind `{kind}` does not use `{field}`");
                    self.report(&at.key(field), message);
                }
                (Some(_), Some(text)) if text.trim().is_empty() => {
                    self.report(&at.key(field), "the expression is empty".into());
                }
                _ => {}
            }
        }
    }

    fn reporting(&mut self, config: &Config) {
        let at = KeyPath::root("reporting").key("disaggregations");
        self.unique(
            &at,
            config.reporting.disaggregations.iter(),
            "disaggregation",
        );
        if config
            .reporting
            .disaggregations
            .iter()
            .any(|name| name.trim().is_empty())
        {
            self.report(&at, "a disaggregation name is empty".into());
        }
    }

    fn schedules(&mut self, config: &Config) {
        let at = KeyPath::root("schedules");
        for (name, expression) in &config.schedules {
            if let Err(problem) = crate::schedule::Schedule::parse(name, expression) {
                self.report(&at.key(name), problem.message);
            }
        }
    }

    fn recipients(&mut self, config: &Config) {
        let list = KeyPath::root("recipients");
        let mut seen = BTreeSet::new();
        for (index, recipient) in config.recipients.iter().enumerate() {
            let at = list.index(index);
            if recipient.group.trim().is_empty() {
                self.report(&at.key("group"), "the group name is empty".into());
            } else if !seen.insert(recipient.group.as_str()) {
                let message = format!("recipient group `{}` is defined twice", recipient.group);
                self.report(&at.key("group"), message);
            }
            if !config.schedules.contains_key(&recipient.schedule) {
                let known: Vec<&str> = config.schedules.keys().map(String::as_str).collect();
                let message = format!(
                    "`{}` is not in [schedules] (known: {})",
                    recipient.schedule,
                    known.join(", ")
                );
                self.report(&at.key("schedule"), message);
            }
            if !config.programme.languages.contains(&recipient.language) {
                let message = format!(
                    "`{}` is not one of programme.languages {:?}",
                    recipient.language, config.programme.languages
                );
                self.report(&at.key("language"), message);
            }
            for (position, email) in recipient.emails.iter().enumerate() {
                if !plausible_email(email) {
                    let message = format!("`{email}` does not look like an email address");
                    self.report(&at.key("emails").index(position), message);
                }
            }
        }
    }

    fn smtp(&mut self, config: &Config) {
        let at = KeyPath::root("smtp");
        if config
            .smtp
            .host
            .as_deref()
            .is_some_and(|host| host.trim().is_empty())
        {
            let message = "leave `host` out to write emails to the outbox folder instead of empty";
            self.report(&at.key("host"), message.into());
        }
        let from = &config.smtp.from;
        let address = match (from.rfind('<'), from.strip_suffix('>')) {
            (Some(open), Some(inner)) => &inner[open + 1..],
            _ => from.as_str(),
        };
        if !plausible_email(address) {
            let message =
                format!("`{from}` is not an address such as `Pantau <pantau@example.org>`");
            self.report(&at.key("from"), message);
        }
    }

    fn roster(&mut self, config: &Config) {
        let at = KeyPath::root("roster").key("aliases");
        for (field, spellings) in &config.roster.aliases {
            if spellings.iter().any(|spelling| spelling.trim().is_empty()) {
                self.report(&at.key(field), "a header spelling is empty".into());
            }
        }
    }

    fn unique<'v>(&mut self, at: &KeyPath, values: impl Iterator<Item = &'v String>, what: &str) {
        let mut seen = BTreeSet::new();
        for value in values {
            if !seen.insert(value) {
                self.report(at, format!("{what} `{value}` is listed twice"));
            }
        }
    }
}

/// Why `name` cannot be a wave name or indicator id, if it cannot: these names appear in links,
/// sheet names and expressions, so they stay simple.
fn name_problem(name: &str) -> Option<String> {
    let simple = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    let starts_with_letter = name.starts_with(|c: char| c.is_ascii_lowercase());
    if simple && starts_with_letter {
        None
    } else {
        Some(format!(
            "`{name}` must start with a lower-case letter and use only a-z, 0-9 and `_`"
        ))
    }
}

/// A light check that catches typos (a missing `@`, a pasted space); the mail server has the last
/// word on deliverability.
fn plausible_email(address: &str) -> bool {
    match address.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !address.contains(char::is_whitespace)
                && !domain.contains('@')
        }
        None => false,
    }
}
