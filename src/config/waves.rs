//! `[[waves]]`: the survey rounds, each due at a fixed offset after an anchor date in the
//! participant's roster record.

use serde::Deserialize;

/// The roster date a wave's due date counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    /// The participant's enrolment date (the baseline).
    Enrolment,
    /// The end date of the participant's training cohort (the follow-ups).
    TrainingEnd,
}

/// One survey wave.
///
/// A participant's wave opens on `anchor + offset_months` calendar months (a month later than
/// 31 January is the last day of February, as chrono's `checked_add_months` does), stays open for
/// `window_days` days, and the invitation is repeated `reminder_days` days after it was sent.
/// Months rather than days, because programmes and donors speak of "3, 6 and 12 months after
/// training".
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wave {
    /// Unique short name (`baseline`, `m3`): lower-case letters, digits and `_`. Used in links,
    /// sheet names and indicator definitions. `all`, `followups` and `roster` are reserved.
    pub name: String,
    /// XLSForm file name inside the forms folder.
    pub form: String,
    /// The roster date the wave counts from.
    pub anchor: Anchor,
    /// Calendar months after the anchor date when the wave opens (0: on the anchor date).
    #[serde(default)]
    pub offset_months: u32,
    /// Days the wave stays open for a participant, at least 1.
    pub window_days: u32,
    /// Days after the invitation on which reminders go out, ascending, each inside the window.
    #[serde(default)]
    pub reminder_days: Vec<u32>,
}

impl Wave {
    /// Whether this is a follow-up wave (counted from the end of training).
    pub fn is_followup(&self) -> bool {
        self.anchor == Anchor::TrainingEnd
    }
}
