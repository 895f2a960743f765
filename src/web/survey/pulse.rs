//! The pulse of the submission pipeline: what the writer, the syncer and the checkpointer are
//! doing at each moment, and a watchdog that logs every gap of more than [`GAP`] in which
//! submissions were waiting and none was answered.
//!
//! A stall in the answers (a participant waiting for the thank-you page) can come from any of the
//! three threads (the writer's commit or catch-up, the syncer's `fdatasync`, the checkpointer's
//! copy and fsync, all sharing one disk) or from outside the pipeline (the network, the load
//! generator). Looking at the threads only afterwards cannot tell which: so each thread writes
//! what it is doing into an [`Activity`] (two atomics, no lock, a few nanoseconds), and a
//! watchdog thread samples them every [`TICK`]. When submissions are in flight and no answer has
//! come for longer than [`GAP`], it records each thread's states through the gap and logs them in
//! one `warn` line when the gap ends, e.g.
//!
//! ```text
//! WARN no submission answered for 412 ms in_flight=1870 writer="committing since +3 ms"
//!      syncer="syncing since -2 ms" checkpointer="checkpointing since -60 ms"
//! ```
//!
//! ("since" is relative to the gap's start). A gap with nothing in flight is not a stall of the
//! server: nobody was waiting. The line carries only durations, counts and states: no token,
//! invitation or answer.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// An answer gap longer than this, with submissions waiting, is logged: twice the 50 ms the
/// issue allows a submission at p99.
pub const GAP: Duration = Duration::from_millis(100);

/// How often the watchdog samples the threads: fine enough to see the states of a 100 ms gap,
/// coarse enough to cost nothing (100 wake-ups a second).
const TICK: Duration = Duration::from_millis(10);

/// Most distinct states recorded per thread in one gap, so that a long gap's line stays short.
const MOST_STATES: usize = 6;

/// What one thread of the pipeline is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Stage {
    /// Waiting for work (an empty queue).
    Idle = 0,
    /// The writer: storing a batch and committing it (SQL and `write(2)` of WAL frames).
    Committing = 1,
    /// The writer: its catch-up checkpoint between two batches.
    CatchingUp = 2,
    /// The syncer: `fdatasync` of the WAL.
    Syncing = 3,
    /// The syncer: sending the answers of a synced group.
    Answering = 4,
    /// The checkpointer: waiting out the least interval between two checkpoints.
    Pausing = 5,
    /// The checkpointer: a passive checkpoint (copying WAL frames, fsyncs).
    Checkpointing = 6,
}

impl Stage {
    fn from_u8(value: u8) -> Stage {
        match value {
            1 => Stage::Committing,
            2 => Stage::CatchingUp,
            3 => Stage::Syncing,
            4 => Stage::Answering,
            5 => Stage::Pausing,
            6 => Stage::Checkpointing,
            _ => Stage::Idle,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Stage::Idle => "idle",
            Stage::Committing => "committing",
            Stage::CatchingUp => "catching up",
            Stage::Syncing => "syncing",
            Stage::Answering => "answering",
            Stage::Pausing => "pausing",
            Stage::Checkpointing => "checkpointing",
        }
    }
}

/// Microseconds since the first call in this process: a clock that fits an atomic.
fn now_micros() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// One thread's current stage and since when, written by that thread, read by the watchdog.
#[derive(Debug, Default)]
pub struct Activity {
    stage: AtomicU8,
    since: AtomicU64,
}

impl Activity {
    /// Records that the thread now does `stage`.
    pub fn set(&self, stage: Stage) {
        self.since.store(now_micros(), Ordering::Relaxed);
        self.stage.store(stage as u8, Ordering::Relaxed);
    }

    fn read(&self) -> (Stage, u64) {
        (
            Stage::from_u8(self.stage.load(Ordering::Relaxed)),
            self.since.load(Ordering::Relaxed),
        )
    }
}

/// The pipeline's shared state: the three activities and the counts of submissions queued and
/// answered. Cloned (as an `Arc`) into each thread.
#[derive(Debug, Default)]
pub struct Pulse {
    /// The submission writer.
    pub writer: Activity,
    /// The syncer.
    pub syncer: Activity,
    /// The checkpointer.
    pub checkpointer: Activity,
    queued: AtomicU64,
    answered: AtomicU64,
    last_answer: AtomicU64,
}

impl Pulse {
    /// A pulse with every thread idle; [`Pulse::watch`] starts its watchdog.
    pub fn new() -> Arc<Pulse> {
        let pulse = Arc::new(Pulse::default());
        pulse.last_answer.store(now_micros(), Ordering::Relaxed);
        pulse
    }

    /// Counts a request handed to the writer (a submission or a barrier).
    pub fn queued(&self) {
        self.queued.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts `count` requests answered by the syncer.
    pub fn answered(&self, count: usize) {
        self.last_answer.store(now_micros(), Ordering::Relaxed);
        self.answered.fetch_add(count as u64, Ordering::Relaxed);
    }

    /// Starts the watchdog thread; it stops when only it still holds the pulse (the writer,
    /// syncer and checkpointer have stopped).
    pub fn watch(self: &Arc<Pulse>) -> std::io::Result<()> {
        let pulse = self.clone();
        std::thread::Builder::new()
            .name("pantau-pulse".into())
            .spawn(move || {
                let mut gap: Option<Gap> = None;
                while Arc::strong_count(&pulse) > 1 {
                    std::thread::sleep(TICK);
                    gap = pulse.tick(gap, now_micros());
                }
            })
            .map(|_| ())
    }

    /// One sample: starts, extends or ends (and logs) a gap.
    fn tick(&self, gap: Option<Gap>, now: u64) -> Option<Gap> {
        let last = self.last_answer.load(Ordering::Relaxed);
        let in_flight = self
            .queued
            .load(Ordering::Relaxed)
            .saturating_sub(self.answered.load(Ordering::Relaxed));
        match gap {
            Some(gap) if gap.last_answer != last => {
                // An answer came: the gap is over.
                gap.log(last);
                None
            }
            Some(mut gap) => {
                gap.observe(self);
                gap.in_flight = gap.in_flight.max(in_flight);
                Some(gap)
            }
            None if in_flight > 0 && now.saturating_sub(last) > GAP.as_micros() as u64 => {
                let mut gap = Gap {
                    last_answer: last,
                    in_flight,
                    states: Default::default(),
                };
                gap.observe(self);
                Some(gap)
            }
            None => None,
        }
    }
}

/// A gap being recorded: since the answer at `last_answer`, nothing answered.
struct Gap {
    last_answer: u64,
    in_flight: u64,
    /// Per thread (writer, syncer, checkpointer): the distinct (stage, since) seen.
    states: [Vec<(Stage, u64)>; 3],
}

impl Gap {
    fn observe(&mut self, pulse: &Pulse) {
        let activities = [&pulse.writer, &pulse.syncer, &pulse.checkpointer];
        for (seen, activity) in self.states.iter_mut().zip(activities) {
            let state = activity.read();
            if seen.last() != Some(&state) && seen.len() < MOST_STATES {
                seen.push(state);
            }
        }
    }

    /// Logs the gap, which ended with the answer at `answer`.
    fn log(&self, answer: u64) {
        let [writer, syncer, checkpointer] = self.states.each_ref().map(|seen| {
            let mut text = String::new();
            for (n, (stage, since)) in seen.iter().enumerate() {
                let offset = *since as f64 / 1000.0 - self.last_answer as f64 / 1000.0;
                let _ = write!(
                    text,
                    "{}{} since {offset:+.0} ms",
                    if n == 0 { "" } else { ", then " },
                    stage.name()
                );
            }
            text
        });
        tracing::warn!(
            gap_ms = answer.saturating_sub(self.last_answer) / 1000,
            in_flight = self.in_flight,
            writer = %writer,
            syncer = %syncer,
            checkpointer = %checkpointer,
            "no submission answered for over 100 ms while submissions waited"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gap_is_recorded_only_while_submissions_wait_and_ends_with_an_answer() {
        let pulse = Pulse::default();
        let start = 1_000_000;
        pulse.last_answer.store(start, Ordering::Relaxed);
        // Nothing in flight: a long silence is no gap.
        assert!(pulse.tick(None, start + 500_000).is_none());

        pulse.queued();
        pulse.writer.set(Stage::CatchingUp);
        assert!(pulse.tick(None, start + 50_000).is_none(), "within 100 ms");
        let gap = pulse
            .tick(None, start + 150_000)
            .expect("a gap past 100 ms");
        assert_eq!(gap.in_flight, 1);
        assert_eq!(gap.states[0][0].0, Stage::CatchingUp);

        pulse.syncer.set(Stage::Syncing);
        let gap = pulse
            .tick(Some(gap), start + 160_000)
            .expect("still no answer");
        assert_eq!(gap.states[1].last().unwrap().0, Stage::Syncing);

        pulse.answered(1);
        assert!(pulse.tick(Some(gap), start + 170_000).is_none(), "answered");
    }
}
