//! When to try a queued email again after a temporary failure: pure arithmetic, no clock.
//!
//! The delay doubles with each attempt (1, 2, 4, 8 … minutes) and is capped at one hour, so a
//! mail server that is down for a night is retried hourly rather than hammered, and one that
//! was down for a minute is retried a minute later. After [`MAX_ATTEMPTS`] the email is given
//! up as failed, which with the cap is roughly half a day of trying.

use chrono::Duration;

/// Attempts after which a temporarily failing email is given up as failed.
pub const MAX_ATTEMPTS: u32 = 20;

/// The longest wait between two attempts.
pub const MAX_DELAY: Duration = Duration::hours(1);

/// How long to wait after the `attempts`-th failed attempt (1 for the first) before the next.
pub fn delay_after(attempts: u32) -> Duration {
    // 2^(attempts - 1) minutes, computed with a bounded shift so that a large count cannot
    // overflow; 2^6 = 64 minutes is already past the cap.
    let exponent = attempts.saturating_sub(1).min(6);
    Duration::minutes(1 << exponent).min(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_one_minute_and_stop_at_an_hour() {
        let minutes: Vec<i64> = (1..=9).map(|n| delay_after(n).num_minutes()).collect();
        assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }

    #[test]
    fn zero_and_huge_attempt_counts_stay_in_range() {
        assert_eq!(delay_after(0), Duration::minutes(1));
        assert_eq!(delay_after(u32::MAX), MAX_DELAY);
    }
}
