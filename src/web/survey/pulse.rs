//! The pulse of the submission pipeline: what the writer, the syncer and the checkpointer are
//! doing at each moment, and a watchdog that logs every gap of more than [`GAP`] in which
//! submissions were waiting and none was answered.
//!
//! A stall in the answers (a participant waiting for the thank-you page) can come from any of the
//! three threads (the writer's commit or catch-up, the syncer's `fdatasync`, the checkpointer's
//! copy and fsync, all sharing one disk) or from outside the pipeline (the network, the load
//! generator). Looking at the threads only afterwards cannot tell which: so each thread writes
//! what it is doing into an [`Activity`] (two atomics, no lock, a few nanoseconds), and a
//! watchdog thread samples them every [`TICK`]. From the first sample that finds submissions
//! waiting until the next answer, it records each thread's states; when that gap lasted longer
//! than [`GAP`], it logs them in one `warn` line, e.g.
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
    /// The syncer: writing the log lines of a synced group ("response stored").
    Logging = 7,
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
            7 => Stage::Logging,
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
            Stage::Logging => "logging",
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
                    let (next, stall) = pulse.tick(gap, now_micros());
                    if let Some(stall) = stall {
                        stall.log();
                    }
                    gap = next;
                }
            })
            .map(|_| ())
    }

    /// One sample. A gap is watched from the first tick that finds submissions waiting, so that
    /// the states of its first 100 ms are seen too; when an answer ends it, it is a [`Stall`]
    /// if it lasted longer than [`GAP`].
    fn tick(&self, gap: Option<Gap>, now: u64) -> (Option<Gap>, Option<Stall>) {
        let last = self.last_answer.load(Ordering::Relaxed);
        let in_flight = self
            .queued
            .load(Ordering::Relaxed)
            .saturating_sub(self.answered.load(Ordering::Relaxed));
        match gap {
            Some(gap) if gap.last_answer != last => {
                let length = last.saturating_sub(gap.begin);
                let stall = (length > GAP.as_micros() as u64).then_some(Stall {
                    length_ms: length / 1000,
                    gap,
                });
                (None, stall)
            }
            Some(mut gap) => {
                gap.observe(self, in_flight);
                (Some(gap), None)
            }
            None if in_flight > 0 => {
                // Nothing was waiting at the last tick (or an answer ended a gap then), so the
                // wait began after the later of that tick and the last answer: after a quiet
                // spell the gap is not counted from an answer long ago.
                let mut gap = Gap {
                    last_answer: last,
                    begin: last.max(now.saturating_sub(TICK.as_micros() as u64)),
                    in_flight: 0,
                    states: Default::default(),
                };
                gap.observe(self, in_flight);
                (Some(gap), None)
            }
            None => (None, None),
        }
    }
}

/// A gap being watched: since the answer at `last_answer`, nothing answered.
struct Gap {
    last_answer: u64,
    /// When submissions began to wait without an answer: `last_answer`, or later when nothing
    /// was waiting for a while before.
    begin: u64,
    /// The most submissions seen waiting.
    in_flight: u64,
    /// Per thread (writer, syncer, checkpointer): the distinct (stage, since) seen.
    states: [Vec<(Stage, u64)>; 3],
}

impl Gap {
    fn observe(&mut self, pulse: &Pulse, in_flight: u64) {
        self.in_flight = self.in_flight.max(in_flight);
        let activities = [&pulse.writer, &pulse.syncer, &pulse.checkpointer];
        for (seen, activity) in self.states.iter_mut().zip(activities) {
            let state = activity.read();
            if seen.last() != Some(&state) && seen.len() < MOST_STATES {
                seen.push(state);
            }
        }
    }
}

/// A gap longer than [`GAP`], ended by an answer.
struct Stall {
    length_ms: u64,
    gap: Gap,
}

impl Stall {
    /// Each thread's states through the gap, as "committing since +3 ms, then idle since
    /// +95 ms", the times relative to the gap's beginning.
    fn states(&self) -> [String; 3] {
        self.gap.states.each_ref().map(|seen| {
            let mut text = String::new();
            for (n, (stage, since)) in seen.iter().enumerate() {
                let offset = (*since as f64 - self.gap.begin as f64) / 1000.0;
                let _ = write!(
                    text,
                    "{}{} since {offset:+.0} ms",
                    if n == 0 { "" } else { ", then " },
                    stage.name()
                );
            }
            text
        })
    }

    fn log(&self) {
        let [writer, syncer, checkpointer] = self.states();
        tracing::warn!(
            gap_ms = self.length_ms,
            in_flight = self.gap.in_flight,
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
    fn a_stall_is_a_gap_of_over_100_ms_while_submissions_wait_ended_by_an_answer() {
        let pulse = Pulse::default();
        let at = |ms: u64| ms * 1000;
        pulse.last_answer.store(at(1_000), Ordering::Relaxed);
        // Nothing in flight: silence is no gap.
        assert!(pulse.tick(None, at(1_500)).0.is_none());

        pulse.queued();
        pulse.writer.set(Stage::CatchingUp);
        let (gap, stall) = pulse.tick(None, at(1_010));
        assert!(stall.is_none());
        pulse.syncer.set(Stage::Syncing);
        let (gap, _) = pulse.tick(gap, at(1_020));
        let gap = gap.expect("watched until an answer");
        assert_eq!(gap.in_flight, 1);

        // An answer 150 ms after the last one ends it: a stall, with what each thread did.
        pulse.answered(1);
        pulse.last_answer.store(at(1_150), Ordering::Relaxed);
        let (gap, stall) = pulse.tick(Some(gap), at(1_160));
        assert!(gap.is_none());
        let stall = stall.expect("150 ms is a stall");
        assert_eq!(stall.length_ms, 150);
        let [writer, syncer, checkpointer] = stall.states();
        assert!(writer.starts_with("catching up since"), "{writer}");
        assert!(syncer.contains("then syncing since"), "{syncer}");
        assert!(checkpointer.starts_with("idle"), "{checkpointer}");

        // A gap of 50 ms is watched but not a stall.
        pulse.queued();
        let (gap, _) = pulse.tick(None, at(1_170));
        pulse.answered(1);
        pulse.last_answer.store(at(1_200), Ordering::Relaxed);
        let (gap, stall) = pulse.tick(gap, at(1_210));
        assert!(gap.is_none() && stall.is_none());
    }

    #[test]
    fn after_a_quiet_spell_the_wait_counts_from_when_it_began() {
        let pulse = Pulse::default();
        let at = |ms: u64| ms * 1000;
        pulse.last_answer.store(at(1_000), Ordering::Relaxed);
        // Ten quiet seconds, then a submission answered 60 ms after it came: no stall.
        pulse.queued();
        let (gap, _) = pulse.tick(None, at(11_000));
        pulse.answered(1);
        pulse.last_answer.store(at(11_050), Ordering::Relaxed);
        let (_, stall) = pulse.tick(gap, at(11_060));
        assert!(stall.is_none());
    }
}
