//! The `[schedules]` cron expressions as a calendar: parsing with the error naming the key, the
//! next trigger after an instant in the programme's time zone, the schedules due between two
//! instants, and the catch-up decision at start.
//!
//! Expressions are read by `croner`, which takes the five fields people write (`0 7 * * MON`:
//! minute, hour, day of month, month, day of week) as well as six with seconds first (the form
//! `pantau.example.toml` uses), with POSIX weekdays (0 or 7 = Sunday, 1 = Monday) and English
//! names (`MON`, `Mon`, `JAN`). The `cron` crate was not used: it wants six or seven fields and
//! counts weekdays from 1 = Sunday, so `0 7 * * 1` would silently run on Sundays.
//!
//! Clock-free: every function takes the instants it works on.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

/// Why a `[schedules]` entry cannot be used; names the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("schedules.{name}: {message}")]
pub struct ScheduleError {
    /// The schedule's name, the key under `[schedules]`.
    pub name: String,
    /// What is wrong with the expression, without the key.
    pub message: String,
}

/// One named cron expression.
#[derive(Debug, Clone)]
pub struct Schedule {
    name: String,
    expression: String,
    cron: Cron,
}

impl Schedule {
    /// Parses `expression`, the value of `[schedules] name`.
    pub fn parse(name: &str, expression: &str) -> Result<Schedule, ScheduleError> {
        let error = |message: String| ScheduleError {
            name: name.to_string(),
            message,
        };
        let fields = expression.split_whitespace().count();
        if fields == 0 {
            return Err(error(
                "give a cron expression such as \"0 2 * * *\" (every day at 02:00)".into(),
            ));
        }
        let nickname = expression.trim_start().starts_with('@');
        if !nickname && !(5..=6).contains(&fields) {
            return Err(error(format!(
                "\"{expression}\" has {fields} fields; write 5 (minute hour day-of-month month \
                 day-of-week, such as \"0 7 * * MON\") or 6 with seconds first"
            )));
        }
        let parser = CronParser::builder()
            .seconds(Seconds::Optional)
            .year(Year::Disallowed)
            .build();
        let cron = parser.parse(expression).map_err(|e| {
            error(format!(
                "\"{expression}\" is not a valid cron expression ({}); the fields are minute \
                 0-59, hour 0-23, day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 0-7 or \
                 SUN-SAT, with an optional seconds field first",
                e.to_string().trim_end_matches('.')
            ))
        })?;
        // An expression such as "0 0 30 2 *" (30 February) parses but never fires; better said
        // at load than discovered when the donor report never arrives. Any fixed start works
        // because without a year field the calendar repeats.
        let start = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).single();
        if start.is_some_and(|start| cron.find_next_occurrence(&start, false).is_err()) {
            return Err(error(format!(
                "\"{expression}\" never falls on a real date"
            )));
        }
        Ok(Schedule {
            name: name.to_string(),
            expression: expression.to_string(),
            cron,
        })
    }

    /// The key under `[schedules]`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The expression as written.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The first trigger strictly after `instant`, with the expression read as wall-clock time
    /// in `tz`. A wall-clock time skipped by a daylight-saving jump fires at the first instant
    /// after the jump; one repeated fires once. `None` only for an expression that never fires
    /// again, which [`Schedule::parse`] rejects.
    pub fn next_after(&self, instant: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        let local = instant.with_timezone(&tz);
        self.cron
            .find_next_occurrence(&local, false)
            .ok()
            .map(|next| next.with_timezone(&Utc))
    }

    /// Whether a trigger falls in `(from, to]`.
    pub fn due_between(&self, from: DateTime<Utc>, to: DateTime<Utc>, tz: Tz) -> bool {
        self.next_after(from, tz).is_some_and(|next| next <= to)
    }
}

/// Every `[schedules]` entry, with the programme's time zone.
#[derive(Debug, Clone)]
pub struct Schedules {
    schedules: Vec<Schedule>,
    tz: Tz,
}

impl Schedules {
    /// Parses every entry of `[schedules]`; all problems are returned, not only the first.
    pub fn parse(
        entries: &BTreeMap<String, String>,
        tz: Tz,
    ) -> Result<Schedules, Vec<ScheduleError>> {
        let mut schedules = Vec::new();
        let mut problems = Vec::new();
        for (name, expression) in entries {
            match Schedule::parse(name, expression) {
                Ok(schedule) => schedules.push(schedule),
                Err(problem) => problems.push(problem),
            }
        }
        if problems.is_empty() {
            Ok(Schedules { schedules, tz })
        } else {
            Err(problems)
        }
    }

    /// The schedules of a validated configuration.
    pub fn from_config(config: &crate::config::Config) -> Result<Schedules, Vec<ScheduleError>> {
        Schedules::parse(&config.schedules, config.programme.time_zone)
    }

    /// The time zone expressions are read in.
    pub fn time_zone(&self) -> Tz {
        self.tz
    }

    /// The schedules, by name.
    pub fn iter(&self) -> impl Iterator<Item = &Schedule> {
        self.schedules.iter()
    }

    /// The schedules' names, in name order.
    pub fn names(&self) -> Vec<String> {
        self.schedules.iter().map(|s| s.name.clone()).collect()
    }

    /// The next instant strictly after `instant` at which any schedule fires, with the names of
    /// all the schedules that fire then; `None` when there are no schedules.
    pub fn next_after(&self, instant: DateTime<Utc>) -> Option<(DateTime<Utc>, Vec<String>)> {
        let mut next: Option<(DateTime<Utc>, Vec<String>)> = None;
        for schedule in &self.schedules {
            let Some(at) = schedule.next_after(instant, self.tz) else {
                continue;
            };
            match &mut next {
                Some((earliest, names)) if at == *earliest => names.push(schedule.name.clone()),
                Some((earliest, _)) if at > *earliest => {}
                _ => next = Some((at, vec![schedule.name.clone()])),
            }
        }
        next
    }

    /// Names of the schedules with at least one trigger in `(from, to]`, each once however many
    /// triggers it had there.
    pub fn due_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<String> {
        self.schedules
            .iter()
            .filter(|schedule| schedule.due_between(from, to, self.tz))
            .map(|schedule| schedule.name.clone())
            .collect()
    }
}

/// The schedules to run once at start: those with a trigger after their last handled one
/// (`last_fired`, by name) and at or before `now`. A schedule missing from `last_fired` was
/// never seen before and has missed nothing.
pub fn catch_up(
    schedules: &Schedules,
    last_fired: &BTreeMap<String, DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Vec<String> {
    schedules
        .iter()
        .filter(|schedule| {
            last_fired
                .get(schedule.name())
                .is_some_and(|last| schedule.due_between(*last, now, schedules.tz))
        })
        .map(|schedule| schedule.name().to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn next(expression: &str, after: &str, tz: Tz) -> String {
        let schedule = Schedule::parse("s", expression).unwrap();
        let at = schedule.next_after(utc(after), tz).unwrap();
        at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    #[test]
    fn five_fields_with_weekday_names_as_people_write_them() {
        // 2026-11-26 is a Thursday; the next Monday 07:00 WIB is 2026-11-30 00:00 UTC.
        let jakarta = chrono_tz::Asia::Jakarta;
        assert_eq!(
            next("0 7 * * MON", "2026-11-26T10:00:00Z", jakarta),
            "2026-11-30T00:00:00Z"
        );
        assert_eq!(
            next("0 7 * * Mon", "2026-11-26T10:00:00Z", jakarta),
            "2026-11-30T00:00:00Z"
        );
        // POSIX numbering: 1 is Monday, not Sunday.
        assert_eq!(
            next("0 7 * * 1", "2026-11-26T10:00:00Z", jakarta),
            "2026-11-30T00:00:00Z"
        );
        // Six fields, seconds first, as in pantau.example.toml.
        assert_eq!(
            next("0 0 7 * * Mon", "2026-11-26T10:00:00Z", jakarta),
            "2026-11-30T00:00:00Z"
        );
    }

    #[test]
    fn the_same_expression_in_other_zones() {
        let after = "2026-11-26T10:00:00Z";
        assert_eq!(
            next("0 2 * * *", after, chrono_tz::Asia::Jakarta),
            "2026-11-26T19:00:00Z"
        );
        assert_eq!(
            next("0 2 * * *", after, chrono_tz::UTC),
            "2026-11-27T02:00:00Z"
        );
        assert_eq!(
            next("0 2 * * *", after, chrono_tz::Asia::Jayapura),
            "2026-11-26T17:00:00Z"
        );
    }

    #[test]
    fn daylight_saving_is_followed_where_a_zone_has_it() {
        // Berlin: 07:00 is 06:00 UTC in winter and 05:00 UTC in summer.
        let berlin = chrono_tz::Europe::Berlin;
        assert_eq!(
            next("0 7 * * *", "2026-03-28T12:00:00Z", berlin),
            "2026-03-29T05:00:00Z"
        );
        assert_eq!(
            next("0 7 * * *", "2026-03-27T12:00:00Z", berlin),
            "2026-03-28T06:00:00Z"
        );
        // 02:30 does not exist on 2026-03-29 in Berlin: the run still happens that day, once.
        let skipped = next("30 2 * * *", "2026-03-29T00:00:00Z", berlin);
        assert!(skipped.starts_with("2026-03-29T01:"), "{skipped}");
    }

    #[test]
    fn bad_expressions_name_the_key_and_say_what_is_wrong() {
        let check = |expression: &str, expected: &str| {
            let error = Schedule::parse("donor_monthly", expression).unwrap_err();
            let text = error.to_string();
            assert!(text.starts_with("schedules.donor_monthly: "), "{text}");
            assert!(text.contains(expected), "{expression}: {text}");
        };
        check("", "give a cron expression");
        check("0 7 * *", "has 4 fields; write 5");
        check("0 0 7 1 * * 2027", "has 7 fields");
        check("0 25 * * *", "is not a valid cron expression");
        check("0 7 * * MONDAY", "is not a valid cron expression");
        check("0 0 30 2 *", "never falls on a real date");
    }

    #[test]
    fn due_between_counts_each_schedule_once() {
        let mut entries = BTreeMap::new();
        entries.insert("job".to_string(), "0 2 * * *".to_string());
        entries.insert("manager_weekly".to_string(), "0 7 * * MON".to_string());
        let schedules = Schedules::parse(&entries, chrono_tz::Asia::Jakarta).unwrap();
        // Five days down, from Thursday to Tuesday: five missed daily runs and one weekly.
        let due = schedules.due_between(utc("2026-11-26T10:00:00Z"), utc("2026-12-01T10:00:00Z"));
        assert_eq!(due, ["job", "manager_weekly"]);
        assert!(
            schedules
                .due_between(utc("2026-11-26T10:00:00Z"), utc("2026-11-26T18:59:59Z"))
                .is_empty()
        );
        // The boundary: a trigger exactly at `to` is due, one exactly at `from` is not.
        let at = utc("2026-11-26T19:00:00Z");
        assert_eq!(
            schedules.due_between(utc("2026-11-26T18:00:00Z"), at),
            ["job"]
        );
        assert!(
            schedules
                .due_between(at, utc("2026-11-26T20:00:00Z"))
                .is_empty()
        );
    }

    #[test]
    fn schedules_firing_together_are_named_together() {
        let mut entries = BTreeMap::new();
        entries.insert("job".to_string(), "0 7 * * *".to_string());
        entries.insert("manager_weekly".to_string(), "0 7 * * MON".to_string());
        entries.insert("donor_monthly".to_string(), "0 7 1 * *".to_string());
        let schedules = Schedules::parse(&entries, chrono_tz::UTC).unwrap();
        // 2026-06-01 is a Monday and the first of the month.
        let (at, names) = schedules.next_after(utc("2026-05-31T12:00:00Z")).unwrap();
        assert_eq!(at, utc("2026-06-01T07:00:00Z"));
        assert_eq!(names, ["donor_monthly", "job", "manager_weekly"]);
        let (at, names) = schedules.next_after(at).unwrap();
        assert_eq!(at, utc("2026-06-02T07:00:00Z"));
        assert_eq!(names, ["job"]);
    }

    #[test]
    fn catch_up_only_what_was_missed_and_never_for_new_schedules() {
        let mut entries = BTreeMap::new();
        entries.insert("job".to_string(), "0 2 * * *".to_string());
        entries.insert("donor_monthly".to_string(), "0 7 1 * *".to_string());
        entries.insert("new_one".to_string(), "0 3 * * *".to_string());
        let schedules = Schedules::parse(&entries, chrono_tz::Asia::Jakarta).unwrap();
        let mut last = BTreeMap::new();
        // The last daily run was Wednesday 02:00 WIB; the monthly on 1 November.
        last.insert("job".to_string(), utc("2026-11-24T19:00:00Z"));
        last.insert("donor_monthly".to_string(), utc("2026-11-01T00:00:00Z"));
        let now = utc("2026-11-26T10:00:00Z");
        assert_eq!(catch_up(&schedules, &last, now), ["job"]);
        // Nothing missed: the last daily run was this morning's.
        last.insert("job".to_string(), utc("2026-11-25T19:00:00Z"));
        assert!(catch_up(&schedules, &last, now).is_empty());
    }
}
