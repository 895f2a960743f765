//! When a wave is open for a participant: pure date arithmetic, no clock and no database.

use chrono::{Duration, Months, NaiveDate};

use crate::config::Wave;

/// The days a wave accepts answers from one participant: from `opens` (inclusive) to `closes`
/// (exclusive), both local dates in the programme's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// First day the survey accepts answers.
    pub opens: NaiveDate,
    /// First day it no longer does.
    pub closes: NaiveDate,
}

impl Window {
    /// The window of `wave` for a participant whose anchor date (enrolment or training end) is
    /// `anchor`. None when the date arithmetic leaves the calendar.
    pub fn of(wave: &Wave, anchor: NaiveDate) -> Option<Window> {
        let opens = anchor.checked_add_months(Months::new(wave.offset_months))?;
        let closes = opens.checked_add_signed(Duration::days(i64::from(wave.window_days)))?;
        Some(Window { opens, closes })
    }

    /// Whether `today` falls inside the window.
    pub fn contains(&self, today: NaiveDate) -> bool {
        self.opens <= today && today < self.closes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Anchor;

    fn wave(offset_months: u32, window_days: u32) -> Wave {
        Wave {
            name: "m3".into(),
            form: "followup.xlsx".into(),
            anchor: Anchor::TrainingEnd,
            offset_months,
            window_days,
            reminder_days: vec![3, 7],
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn three_months_after_training_for_thirty_days() {
        let window = Window::of(&wave(3, 30), date(2026, 5, 15)).unwrap();
        assert_eq!(window.opens, date(2026, 8, 15));
        assert_eq!(window.closes, date(2026, 9, 14));
        assert!(!window.contains(date(2026, 8, 14)));
        assert!(window.contains(date(2026, 8, 15)));
        assert!(window.contains(date(2026, 9, 13)));
        assert!(!window.contains(date(2026, 9, 14)));
    }

    #[test]
    fn month_ends_clamp_like_a_calendar() {
        let window = Window::of(&wave(1, 10), date(2026, 1, 31)).unwrap();
        assert_eq!(window.opens, date(2026, 2, 28));
    }
}
