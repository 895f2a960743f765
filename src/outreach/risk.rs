//! The risk that a participant with an open invitation drops out, as a score with its reasons in
//! plain words, so that field officers call the most likely non-respondents first and can see
//! why each is where they are.
//!
//! The score is a sum of points; it orders the call list and means nothing on its own:
//!
//! | signal                                              | points                  |
//! | --------------------------------------------------- | ----------------------- |
//! | invited to the previous wave and did not answer it  | 40                      |
//! | each training session missed (`attended_n` = 0)     | 10, at most 30          |
//! | aged 40 or over                                     | 10                      |
//! | each reminder already sent without an answer        | 5, at most 20           |
//! | each day since the invitation                       | 1, at most 30           |
//!
//! Why these weights: not answering the previous wave is the strongest sign of attrition in
//! panel follow-ups, so it outweighs every other single signal; missed sessions show weak ties
//! to the programme; older laid-off workers are harder to reach by smartphone. Reminders and
//! days grow while the invitation stays unanswered, so among otherwise equal participants the
//! one who has waited longest comes first. The cap on days keeps a long wait alone from
//! outranking a participant who already dropped a wave.

use serde::Serialize;

/// Points for not answering the previous wave.
pub const PREVIOUS_WAVE_UNANSWERED: u32 = 40;
/// Points per missed training session.
pub const PER_MISSED_SESSION: u32 = 10;
/// Most points from missed sessions.
pub const MISSED_SESSIONS_CAP: u32 = 30;
/// Points for being 40 or older.
pub const AGED_40_PLUS: u32 = 10;
/// Points per reminder sent without an answer.
pub const PER_REMINDER: u32 = 5;
/// Most points from reminders.
pub const REMINDERS_CAP: u32 = 20;
/// Most points from days since the invitation (one per day).
pub const DAYS_CAP: u32 = 30;

/// What is known about one open invitation that bears on the risk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RiskSignals {
    /// The previous wave (in configuration order) and whether the participant left it
    /// unanswered; `None` when this is the first wave or they were not invited to the previous.
    pub previous_wave: Option<(String, bool)>,
    /// Training sessions the roster records as missed.
    pub sessions_missed: u32,
    /// Age today, when the roster gives a birth date or an age.
    pub age: Option<u32>,
    /// Reminders already sent for this invitation.
    pub reminders_sent: u32,
    /// Whole days since the invitation was issued.
    pub days_since_invited: u32,
}

/// One reason counted in a score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    /// Did not answer the named previous wave.
    PreviousWaveUnanswered {
        /// The wave not answered.
        wave: String,
    },
    /// Missed this many training sessions.
    MissedSessions {
        /// How many.
        count: u32,
    },
    /// Aged 40 or over.
    Aged40Plus {
        /// The age.
        age: u32,
    },
    /// This many reminders sent without an answer.
    RemindersUnanswered {
        /// How many.
        count: u32,
    },
    /// Invited this many days ago.
    WaitingDays {
        /// How many.
        days: u32,
    },
}

impl Reason {
    /// The reason in plain words, in `language` (`id`, else English).
    pub fn describe(&self, language: &str) -> String {
        let id = language == "id";
        match self {
            Reason::PreviousWaveUnanswered { wave } if id => {
                format!("tidak menjawab survei {wave}")
            }
            Reason::PreviousWaveUnanswered { wave } => format!("did not answer the {wave} survey"),
            Reason::MissedSessions { count } if id => format!("absen {count} sesi pelatihan"),
            Reason::MissedSessions { count: 1 } => "missed 1 training session".into(),
            Reason::MissedSessions { count } => format!("missed {count} training sessions"),
            Reason::Aged40Plus { age } if id => format!("usia {age} tahun"),
            Reason::Aged40Plus { age } => format!("aged {age}"),
            Reason::RemindersUnanswered { count } if id => {
                format!("{count} pengingat belum dijawab")
            }
            Reason::RemindersUnanswered { count: 1 } => "1 reminder unanswered".into(),
            Reason::RemindersUnanswered { count } => format!("{count} reminders unanswered"),
            Reason::WaitingDays { days } if id => format!("diundang {days} hari lalu"),
            Reason::WaitingDays { days: 1 } => "invited 1 day ago".into(),
            Reason::WaitingDays { days } => format!("invited {days} days ago"),
        }
    }
}

/// A score with the reasons that make it up, strongest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Risk {
    /// Sum of the points; higher is more at risk.
    pub score: u32,
    /// The signals that added points.
    pub reasons: Vec<Reason>,
}

impl Risk {
    /// The reasons in plain words, separated by semicolons.
    pub fn describe(&self, language: &str) -> String {
        let words: Vec<String> = self.reasons.iter().map(|r| r.describe(language)).collect();
        words.join("; ")
    }
}

/// Scores one open invitation.
pub fn assess(signals: &RiskSignals) -> Risk {
    let mut risk = Risk::default();
    if let Some((wave, true)) = &signals.previous_wave {
        risk.score += PREVIOUS_WAVE_UNANSWERED;
        risk.reasons
            .push(Reason::PreviousWaveUnanswered { wave: wave.clone() });
    }
    if signals.sessions_missed > 0 {
        risk.score += (signals.sessions_missed * PER_MISSED_SESSION).min(MISSED_SESSIONS_CAP);
        risk.reasons.push(Reason::MissedSessions {
            count: signals.sessions_missed,
        });
    }
    if let Some(age) = signals.age.filter(|age| *age >= 40) {
        risk.score += AGED_40_PLUS;
        risk.reasons.push(Reason::Aged40Plus { age });
    }
    if signals.reminders_sent > 0 {
        risk.score += (signals.reminders_sent * PER_REMINDER).min(REMINDERS_CAP);
        risk.reasons.push(Reason::RemindersUnanswered {
            count: signals.reminders_sent,
        });
    }
    if signals.days_since_invited > 0 {
        risk.score += signals.days_since_invited.min(DAYS_CAP);
        risk.reasons.push(Reason::WaitingDays {
            days: signals.days_since_invited,
        });
    }
    risk
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(signals: RiskSignals, score: u32, id: &str, en: &str) {
        let risk = assess(&signals);
        assert_eq!(risk.score, score, "{signals:?}");
        assert_eq!(risk.describe("id"), id);
        assert_eq!(risk.describe("en"), en);
    }

    #[test]
    fn each_signal_with_its_points_and_words() {
        check(RiskSignals::default(), 0, "", "");
        check(
            RiskSignals {
                previous_wave: Some(("baseline".into(), true)),
                ..RiskSignals::default()
            },
            40,
            "tidak menjawab survei baseline",
            "did not answer the baseline survey",
        );
        check(
            RiskSignals {
                previous_wave: Some(("baseline".into(), false)),
                sessions_missed: 1,
                ..RiskSignals::default()
            },
            10,
            "absen 1 sesi pelatihan",
            "missed 1 training session",
        );
        check(
            RiskSignals {
                sessions_missed: 5,
                age: Some(40),
                reminders_sent: 2,
                days_since_invited: 9,
                ..RiskSignals::default()
            },
            30 + 10 + 10 + 9,
            "absen 5 sesi pelatihan; usia 40 tahun; 2 pengingat belum dijawab; diundang 9 hari lalu",
            "missed 5 training sessions; aged 40; 2 reminders unanswered; invited 9 days ago",
        );
        check(
            RiskSignals {
                age: Some(39),
                reminders_sent: 9,
                days_since_invited: 45,
                ..RiskSignals::default()
            },
            20 + 30,
            "9 pengingat belum dijawab; diundang 45 hari lalu",
            "9 reminders unanswered; invited 45 days ago",
        );
    }

    #[test]
    fn a_dropped_wave_outranks_any_wait_alone() {
        let dropped = assess(&RiskSignals {
            previous_wave: Some(("m3".into(), true)),
            ..RiskSignals::default()
        });
        let waited = assess(&RiskSignals {
            days_since_invited: 365,
            ..RiskSignals::default()
        });
        assert!(dropped.score > waited.score, "{dropped:?} {waited:?}");
    }
}
