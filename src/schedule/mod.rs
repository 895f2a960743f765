//! When the scheduled job runs: the `[schedules]` cron expressions, read in the programme's time
//! zone, and the runner inside `pantau serve` that sleeps until the next trigger and calls the job.
//!
//! The calendar part ([`Schedule`], [`Schedules`], [`catch_up`]) is clock-free: it takes instants
//! and returns instants, so tests fix time instead of waiting for it. The [`runner`] is the only
//! part that reads a clock, and it reads it through the [`Clock`] trait so that tests drive it
//! with a [`FakeClock`]. What the runner remembers between restarts (the last trigger handled per
//! schedule) lives in the `schedule_state` table, behind [`TriggerStore`].
//!
//! Catch-up rule: a trigger missed while the server was down is made up once at start, with
//! every schedule that missed at least one trigger named in that one call, never once per missed
//! trigger; a schedule seen for the first time has missed nothing.

mod calendar;
pub mod runner;
mod state;

pub use calendar::{Schedule, ScheduleError, Schedules, catch_up};
pub use runner::{Clock, Event, FakeClock, Runner, RunnerHandle, Signal, SystemClock};
pub use state::{SqliteTriggerStore, TriggerStore};
