//! The runner inside `pantau serve`: a background thread that sleeps until the next trigger and
//! calls the job with the names of the schedules that fired.
//!
//! - **One run at a time.** The job runs on the runner's own thread, never on actix's workers;
//!   a trigger that comes while it runs is skipped and logged, and the next sleep starts from
//!   the end of the run. (A run started elsewhere, by `pantau run` or the admin page, is kept
//!   apart by the job's own `job_lock`.)
//! - **Catch-up at start**: schedules that missed triggers while pantau was down run once, in
//!   one call, with the start instant (see [`super::catch_up`]).
//! - **Several triggers at once** (schedules sharing a time, or a clock that jumped over several
//!   triggers, as after a suspended laptop) make one call naming every schedule due.
//! - **Clean shutdown**: [`RunnerHandle::stop`] wakes the thread and waits for it; a run in
//!   progress is finished first, because a half-done run is worse than a late shutdown.
//!
//! Time comes from a [`Clock`]: [`SystemClock`] in pantau, [`FakeClock`] in tests, which move
//! time by hand and never wait on a real clock. The thread sleeps on a channel, so a stop or
//! a moved fake clock wakes it at once.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::{Schedules, TriggerStore, catch_up};

/// A message that wakes the runner's thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// The clock may have moved: look at it again.
    Tick,
    /// Stop after the current run, if any.
    Stop,
}

/// Where the runner reads the time and how it sleeps.
pub trait Clock: Send + 'static {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;

    /// Blocks until this clock may have reached `deadline` or a signal arrives on `signals`,
    /// and returns the signal if one came. Returning early is allowed: the runner looks at
    /// [`Clock::now`] again and sleeps again.
    fn sleep_until(&self, deadline: DateTime<Utc>, signals: &Receiver<Signal>) -> Option<Signal>;

    /// Gives the clock a way to wake the runner when it moves; only a [`FakeClock`] needs it.
    fn attach(&self, _wake: Sender<Signal>) {}
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

/// The longest single sleep of [`SystemClock`]. The wall clock can jump while a thread sleeps on
/// the monotonic one (a suspended machine, an NTP correction), so the runner looks at the wall
/// clock at least this often instead of trusting one long sleep.
const LONGEST_NAP: Duration = Duration::from_secs(60);

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep_until(&self, deadline: DateTime<Utc>, signals: &Receiver<Signal>) -> Option<Signal> {
        let wait = (deadline - Utc::now())
            .to_std()
            .unwrap_or(Duration::ZERO)
            .min(LONGEST_NAP);
        match signals.recv_timeout(wait) {
            Ok(signal) => Some(signal),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => Some(Signal::Stop),
        }
    }
}

/// A clock that moves only when told to, for tests. Clones share one time.
#[derive(Debug, Clone)]
pub struct FakeClock {
    inner: Arc<FakeInner>,
}

#[derive(Debug)]
struct FakeInner {
    now: Mutex<DateTime<Utc>>,
    listeners: Mutex<Vec<Sender<Signal>>>,
}

impl FakeClock {
    /// A clock standing at `start`.
    pub fn new(start: DateTime<Utc>) -> FakeClock {
        FakeClock {
            inner: Arc::new(FakeInner {
                now: Mutex::new(start),
                listeners: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Moves the clock to `instant` and wakes every runner using it.
    pub fn set(&self, instant: DateTime<Utc>) {
        *self
            .inner
            .now
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = instant;
        let listeners = self
            .inner
            .listeners
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for listener in listeners.iter() {
            // A runner that has stopped no longer listens; nothing to wake.
            let _ = listener.send(Signal::Tick);
        }
    }

    /// Moves the clock forward by `delta` and wakes every runner using it.
    pub fn advance(&self, delta: TimeDelta) {
        self.set(self.now() + delta);
    }
}

impl Clock for FakeClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .inner
            .now
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn sleep_until(&self, deadline: DateTime<Utc>, signals: &Receiver<Signal>) -> Option<Signal> {
        if self.now() >= deadline {
            return None;
        }
        // Time moves only through `set`, which sends a Tick; a Tick sent between the check
        // above and this wait stays in the channel, so no wake-up is lost.
        Some(signals.recv().unwrap_or(Signal::Stop))
    }

    fn attach(&self, wake: Sender<Signal>) {
        self.inner
            .listeners
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(wake);
    }
}

/// What the runner did, for tests and for anyone watching it; sent in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The job was called for `names` with the instant `at`; `catch_up` for the run at start
    /// that makes up for triggers missed while pantau was down; `ok` when it returned `Ok`.
    Ran {
        /// The schedules that fired.
        names: Vec<String>,
        /// The trigger instant (the start instant for a catch-up).
        at: DateTime<Utc>,
        /// Whether this was the catch-up run at start.
        catch_up: bool,
        /// Whether the job succeeded.
        ok: bool,
    },
    /// Triggers of `names` came while the run that started at `during` was going, and were
    /// skipped.
    Skipped {
        /// The schedules whose triggers were skipped.
        names: Vec<String>,
        /// The trigger instant of the run they collided with.
        during: DateTime<Utc>,
    },
    /// The runner is sleeping until `until` (`None`: no schedule will ever fire).
    Waiting {
        /// The next trigger.
        until: Option<DateTime<Utc>>,
    },
    /// The thread is ending.
    Stopped,
}

/// The scheduler, before it starts.
pub struct Runner {
    schedules: Schedules,
    events: Option<Sender<Event>>,
}

impl Runner {
    /// A runner for `schedules`.
    pub fn new(schedules: Schedules) -> Runner {
        Runner {
            schedules,
            events: None,
        }
    }

    /// Sends every [`Event`] to `events` as it happens.
    pub fn with_events(mut self, events: Sender<Event>) -> Runner {
        self.events = Some(events);
        self
    }

    /// Starts the runner's thread. `job` is called with the names of the schedules that fired
    /// and the trigger instant; `store` remembers the last trigger handled per schedule.
    pub fn spawn<C, S, J>(self, clock: C, store: S, job: J) -> std::io::Result<RunnerHandle>
    where
        C: Clock,
        S: TriggerStore + 'static,
        J: Fn(&[String], DateTime<Utc>) -> anyhow::Result<()> + Send + 'static,
    {
        let (wake, signals) = channel();
        clock.attach(wake.clone());
        let mut thread = RunnerThread {
            schedules: self.schedules,
            events: self.events,
            clock,
            store,
            job,
        };
        let handle = std::thread::Builder::new()
            .name("pantau-scheduler".into())
            .spawn(move || thread.run(&signals))?;
        Ok(RunnerHandle {
            wake,
            thread: Some(handle),
        })
    }
}

/// The running scheduler; stopping it (or dropping this) ends its thread after any run in
/// progress.
pub struct RunnerHandle {
    wake: Sender<Signal>,
    thread: Option<JoinHandle<()>>,
}

impl RunnerHandle {
    /// Stops the runner and waits for its thread to end.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        let _ = self.wake.send(Signal::Stop);
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the scheduler thread ended with a panic");
        }
    }
}

impl Drop for RunnerHandle {
    fn drop(&mut self) {
        self.shut_down();
    }
}

struct RunnerThread<C, S, J> {
    schedules: Schedules,
    events: Option<Sender<Event>>,
    clock: C,
    store: S,
    job: J,
}

impl<C, S, J> RunnerThread<C, S, J>
where
    C: Clock,
    S: TriggerStore,
    J: Fn(&[String], DateTime<Utc>) -> anyhow::Result<()>,
{
    fn run(&mut self, signals: &Receiver<Signal>) {
        let mut cursor = self.start();
        loop {
            let next = self.schedules.next_after(cursor).map(|(at, _)| at);
            self.emit(Event::Waiting { until: next });
            if self.sleep_until(next, signals).is_none() {
                break;
            }
            let now = self.clock.now();
            let due = self.schedules.due_between(cursor, now);
            let at = next.unwrap_or(now);
            cursor = self.fire(&due, at, now, false);
        }
        tracing::info!("scheduler stopped");
        self.emit(Event::Stopped);
    }

    /// Records first-seen schedules and makes up for missed triggers; returns the instant
    /// from which to look for the next trigger.
    fn start(&mut self) -> DateTime<Utc> {
        let now = self.clock.now();
        let last = match self.store.last_fired() {
            Ok(last) => last,
            Err(err) => {
                // Without the memory, catching up could run a report twice; better none.
                tracing::error!("cannot read the schedule state, so no catch-up: {err:#}");
                return now;
            }
        };
        let new: Vec<String> = self
            .schedules
            .names()
            .into_iter()
            .filter(|name| !last.contains_key(name))
            .collect();
        if !new.is_empty() {
            self.record(&new, now);
        }
        let missed = catch_up(&self.schedules, &last, now);
        tracing::info!(schedules = ?self.schedules.names(), "scheduler started");
        if missed.is_empty() {
            return now;
        }
        tracing::info!(schedules = ?missed, "catching up on runs missed while pantau was down");
        self.fire(&missed, now, now, true)
    }

    /// Sleeps until `deadline`; `None` when told to stop.
    fn sleep_until(
        &self,
        deadline: Option<DateTime<Utc>>,
        signals: &Receiver<Signal>,
    ) -> Option<()> {
        loop {
            // A stop already waiting wins over a trigger that is due at the same moment.
            while let Ok(signal) = signals.try_recv() {
                if signal == Signal::Stop {
                    return None;
                }
            }
            match deadline {
                Some(deadline) if self.clock.now() >= deadline => return Some(()),
                Some(deadline) => {
                    if self.clock.sleep_until(deadline, signals) == Some(Signal::Stop) {
                        return None;
                    }
                }
                None => match signals.recv() {
                    Ok(Signal::Tick) => {}
                    Ok(Signal::Stop) | Err(_) => return None,
                },
            }
        }
    }

    /// Calls the job for `names`, records the triggers handled up to `handled`, and skips the
    /// triggers that came during the run; returns when the run ended.
    fn fire(
        &mut self,
        names: &[String],
        at: DateTime<Utc>,
        handled: DateTime<Utc>,
        catch_up: bool,
    ) -> DateTime<Utc> {
        tracing::info!(schedules = ?names, at = %at, catch_up, "scheduled run starting");
        let outcome = catch_unwind(AssertUnwindSafe(|| (self.job)(names, at)));
        let ok = match outcome {
            Ok(Ok(())) => {
                tracing::info!(schedules = ?names, "scheduled run finished");
                true
            }
            Ok(Err(err)) => {
                // The job records its own failure in report_runs; the schedule goes on.
                tracing::error!(schedules = ?names, "scheduled run failed: {err:#}");
                false
            }
            Err(_) => {
                tracing::error!(schedules = ?names, "scheduled run panicked");
                false
            }
        };
        self.record(names, handled);
        self.emit(Event::Ran {
            names: names.to_vec(),
            at,
            catch_up,
            ok,
        });
        let ended = self.clock.now();
        let skipped = self.schedules.due_between(handled, ended);
        if !skipped.is_empty() {
            tracing::info!(
                schedules = ?skipped,
                during = %at,
                "skipped triggers that came while the job was still running"
            );
            self.record(&skipped, ended);
            self.emit(Event::Skipped {
                names: skipped,
                during: at,
            });
        }
        ended.max(handled)
    }

    fn record(&mut self, names: &[String], at: DateTime<Utc>) {
        if let Err(err) = self.store.record(names, at) {
            // A restart may then run a catch-up that was not needed, which is harmless next to
            // stopping the schedule.
            tracing::warn!(schedules = ?names, "cannot record the schedule state: {err:#}");
        }
    }

    fn emit(&self, event: Event) {
        if let Some(events) = &self.events {
            let _ = events.send(event);
        }
    }
}
