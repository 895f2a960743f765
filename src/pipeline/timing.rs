//! How long each phase of a run took: laps of a monotonic timer, recorded with the run (`pantau
//! run --json`) and printed by the job benchmark, so that a slow run shows where its time went.
//! Durations only; no phase reads the wall clock through this.

use std::time::Instant;

use serde::Serialize;

/// One phase of a run and its duration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhaseTime {
    /// What the phase does (`inbox`, `merge`, `workbooks`…).
    pub phase: String,
    /// Milliseconds, to a tenth.
    pub ms: f64,
}

/// Laps of one run, in order.
#[derive(Debug)]
pub struct Timings {
    last: Instant,
    /// Phases finished so far.
    pub phases: Vec<PhaseTime>,
}

impl Default for Timings {
    fn default() -> Timings {
        Timings::new()
    }
}

impl Timings {
    /// Starts timing now.
    pub fn new() -> Timings {
        Timings {
            last: Instant::now(),
            phases: Vec::new(),
        }
    }

    /// Ends the phase `phase`, which began at the previous lap (or at the start).
    pub fn lap(&mut self, phase: &str) {
        let now = Instant::now();
        let ms = (now - self.last).as_secs_f64() * 1000.0;
        self.phases.push(PhaseTime {
            phase: phase.to_owned(),
            ms: (ms * 10.0).round() / 10.0,
        });
        self.last = now;
    }
}
