//! The XLSForm metadata pantau fills on the server, as KoboToolbox and ODK fill them on the
//! device, so that a form's `start`, `end`, `today`, `deviceid` and `username` fields hold the
//! same kind of value here as in a Kobo export:
//!
//! - `start`: when the participant first saw a question screen (after consent), kept in the
//!   draft and never overwritten, so a participant who stops and comes back keeps their start;
//! - `end`: when the final submission was received;
//! - `today`: the local date, filled by the form engine at evaluation (see `form::runtime`);
//! - `deviceid`: there is no device to ask in a browser without script, so pantau records
//!   which server collected the answers, in Enketo's `host:id` shape: `<host>:web`;
//! - `username`: `participant`, for every response (the person logged in to the device, in
//!   ODK's terms). Also when a field officer fills the survey on the participant's behalf:
//!   answers can reach the donor workbook, and an officer's name must not; who assisted is
//!   kept in `responses.assisted_by` and shown only in the admin area's timeline.
//!
//! Times are ODK's `dateTime`: local time in the programme's zone with milliseconds and offset
//! (`2026-11-24T09:15:02.120+07:00`). Other device metadata (`phonenumber`, `email`, …) stays
//! empty: a browser cannot know them and pantau does not guess personal data.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::form::{Form, Metadata, Prefill};

/// When metadata values are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Moment {
    /// A question screen is shown.
    Screen,
    /// The final submission is stored.
    Submission,
}

/// ODK's `dateTime` for `now` in `zone`.
pub(super) fn timestamp(now: DateTime<Utc>, zone: Tz) -> String {
    now.with_timezone(&zone)
        .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
        .to_string()
}

/// Writes into `answers` the metadata of `form` that is due at `moment`: `start` once (when
/// absent), the others at submission. Returns whether anything was written, so a caller knows
/// whether the draft must be saved.
pub(super) fn fill(
    form: &Form,
    answers: &mut BTreeMap<String, String>,
    moment: Moment,
    now: DateTime<Utc>,
    zone: Tz,
    public_base_url: &str,
) -> bool {
    let mut changed = false;
    for (name, source) in form.prefills() {
        let Prefill::Metadata(metadata) = source else {
            continue;
        };
        let value = match (metadata, moment) {
            (Metadata::Start, _) if answers.get(name).is_some_and(|v| !v.is_empty()) => None,
            (Metadata::Start, _) => Some(timestamp(now, zone)),
            (Metadata::End, Moment::Submission) => Some(timestamp(now, zone)),
            (Metadata::Unfilled("deviceid"), Moment::Submission) => {
                Some(format!("{}:web", host(public_base_url)))
            }
            (Metadata::Unfilled("username"), Moment::Submission) => Some("participant".into()),
            _ => None,
        };
        if let Some(value) = value {
            answers.insert(name.to_string(), value);
            changed = true;
        }
    }
    changed
}

/// The host of the public base URL, without port: `https://survei.example.org:8443/x` gives
/// `survei.example.org`, `http://[::1]:8080` gives `[::1]`.
fn host(public_base_url: &str) -> &str {
    let rest = public_base_url
        .split_once("://")
        .map_or(public_base_url, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or(rest);
    match authority.find(']') {
        Some(end) => &authority[..=end],
        None => authority.split(':').next().unwrap_or(authority),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_local_with_offset_and_the_host_is_bare() {
        let now = DateTime::parse_from_rfc3339("2026-11-24T02:15:02.120Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            timestamp(now, chrono_tz::Asia::Jakarta),
            "2026-11-24T09:15:02.120+07:00"
        );
        assert_eq!(host("https://survei.example.org"), "survei.example.org");
        assert_eq!(host("http://127.0.0.1:8080/x"), "127.0.0.1");
        assert_eq!(host("http://[::1]:8080"), "[::1]");
    }
}
