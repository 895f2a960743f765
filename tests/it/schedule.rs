//! The scheduler driven by a fake clock: triggers at the right local times, one run at a time,
//! catch-up once after downtime and never without it, a failing job that does not stop the
//! schedule; cron problems named by key at config load; and `pantau serve` stopping its
//! scheduler with the server.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Timelike, Utc};
use chrono_tz::Tz;
use pantau::schedule::{
    Clock, Event, FakeClock, Runner, RunnerHandle, Schedules, SqliteTriggerStore, TriggerStore,
};

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn schedules(entries: &[(&str, &str)], tz: Tz) -> Schedules {
    let entries: BTreeMap<String, String> = entries
        .iter()
        .map(|(name, expression)| (name.to_string(), expression.to_string()))
        .collect();
    Schedules::parse(&entries, tz).unwrap()
}

/// One call of the job: the schedules, the trigger instant, and the clock's time at the call.
type Call = (Vec<String>, DateTime<Utc>, DateTime<Utc>);

struct Harness {
    clock: FakeClock,
    events: Receiver<Event>,
    calls: Arc<Mutex<Vec<Call>>>,
    handle: RunnerHandle,
}

impl Harness {
    /// Starts a runner at `start` whose job records its calls and then does `then`.
    fn start(
        schedules: Schedules,
        start: DateTime<Utc>,
        db: &Path,
        then: impl Fn(usize) -> anyhow::Result<()> + Send + 'static,
    ) -> Harness {
        let clock = FakeClock::new(start);
        let (events_tx, events) = channel();
        let calls = Arc::new(Mutex::new(Vec::new()));
        let job_calls = Arc::clone(&calls);
        let job_clock = clock.clone();
        let handle = Runner::new(schedules)
            .with_events(events_tx)
            .spawn(
                clock.clone(),
                SqliteTriggerStore::new(db),
                move |names: &[String], at| {
                    let count = {
                        let mut calls = job_calls.lock().unwrap();
                        calls.push((names.to_vec(), at, job_clock.now()));
                        calls.len()
                    };
                    then(count)
                },
            )
            .unwrap();
        Harness {
            clock,
            events,
            calls,
            handle,
        }
    }

    /// The next event. The timeout only keeps a broken runner from hanging the test suite.
    fn next(&self) -> Event {
        self.events
            .recv_timeout(Duration::from_secs(120))
            .expect("the runner sent no event")
    }

    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    fn stop(self) {
        self.handle.stop();
        let rest: Vec<Event> = self.events.try_iter().collect();
        assert_eq!(rest.last(), Some(&Event::Stopped), "{rest:?}");
    }
}

fn waiting(until: &str) -> Event {
    Event::Waiting {
        until: Some(utc(until)),
    }
}

fn ran(names: &[&str], at: &str, catch_up: bool, ok: bool) -> Event {
    Event::Ran {
        names: names.iter().map(|n| n.to_string()).collect(),
        at: utc(at),
        catch_up,
        ok,
    }
}

#[test]
fn a_daily_schedule_fires_at_two_in_the_morning_local_time() {
    for (tz, trigger, following) in [
        (
            chrono_tz::Asia::Jakarta,
            "2026-11-26T19:00:00Z",
            "2026-11-27T19:00:00Z",
        ),
        (
            chrono_tz::UTC,
            "2026-11-27T02:00:00Z",
            "2026-11-28T02:00:00Z",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("pantau.db");
        let start = utc("2026-11-26T10:00:00Z");
        let harness = Harness::start(schedules(&[("job", "0 2 * * *")], tz), start, &db, |_| {
            Ok(())
        });
        assert_eq!(harness.next(), waiting(trigger), "{tz}");

        // A second before the trigger nothing runs: the first run seen is at the trigger.
        harness.clock.set(utc(trigger) - TimeDelta::seconds(1));
        harness.clock.set(utc(trigger));
        assert_eq!(harness.next(), ran(&["job"], trigger, false, true), "{tz}");
        assert_eq!(harness.next(), waiting(following), "{tz}");

        let calls = harness.calls();
        assert_eq!(calls.len(), 1, "{tz}");
        let (names, at, called_at) = &calls[0];
        assert_eq!(names, &["job"]);
        assert_eq!(at.with_timezone(&tz).hour(), 2, "{tz}");
        assert!(
            called_at >= at,
            "called at {called_at}, before the trigger {at}"
        );
        harness.stop();
    }
}

#[test]
fn schedules_due_together_make_one_call() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pantau.db");
    let jakarta = chrono_tz::Asia::Jakarta;
    let set = schedules(
        &[
            ("job", "0 0 7 * * *"),
            ("manager_weekly", "0 0 7 * * Mon"),
            ("donor_monthly", "0 0 7 1 * *"),
        ],
        jakarta,
    );
    // Sunday 2026-05-31 noon WIB; Monday 1 June 07:00 WIB is all three at once.
    let harness = Harness::start(set, utc("2026-05-31T05:00:00Z"), &db, |_| Ok(()));
    assert_eq!(harness.next(), waiting("2026-06-01T00:00:00Z"));
    harness.clock.set(utc("2026-06-01T00:00:00Z"));
    assert_eq!(
        harness.next(),
        ran(
            &["donor_monthly", "job", "manager_weekly"],
            "2026-06-01T00:00:00Z",
            false,
            true
        )
    );
    assert_eq!(harness.next(), waiting("2026-06-02T00:00:00Z"));
    harness.stop();
}

#[test]
fn a_trigger_during_a_run_is_skipped_not_run_twice() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pantau.db");
    let (started_tx, started) = channel();
    let (release, release_rx) = channel::<()>();
    let harness = Harness::start(
        schedules(&[("hourly", "0 * * * *")], chrono_tz::UTC),
        utc("2026-11-26T10:00:00Z"),
        &db,
        move |count| {
            if count == 1 {
                started_tx.send(()).unwrap();
                // The first run lasts until the test has moved the clock past two triggers.
                release_rx.recv().unwrap();
            }
            Ok(())
        },
    );
    assert_eq!(harness.next(), waiting("2026-11-26T11:00:00Z"));
    harness.clock.set(utc("2026-11-26T11:00:00Z"));
    started.recv_timeout(Duration::from_secs(120)).unwrap();
    // 12:00 and 13:00 come while the 11:00 run is still going.
    harness.clock.set(utc("2026-11-26T13:30:00Z"));
    release.send(()).unwrap();

    assert_eq!(
        harness.next(),
        ran(&["hourly"], "2026-11-26T11:00:00Z", false, true)
    );
    assert_eq!(
        harness.next(),
        Event::Skipped {
            names: vec!["hourly".into()],
            during: utc("2026-11-26T11:00:00Z"),
        }
    );
    assert_eq!(harness.next(), waiting("2026-11-26T14:00:00Z"));
    assert_eq!(harness.calls().len(), 1);

    harness.clock.set(utc("2026-11-26T14:00:00Z"));
    assert_eq!(
        harness.next(),
        ran(&["hourly"], "2026-11-26T14:00:00Z", false, true)
    );
    assert_eq!(harness.calls().len(), 2);
    harness.stop();
}

#[test]
fn runs_missed_while_down_are_caught_up_once_at_start_and_not_again() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pantau.db");
    let jakarta = chrono_tz::Asia::Jakarta;
    let entries = [("job", "0 2 * * *"), ("manager_weekly", "0 7 * * MON")];
    // Last handled: Tuesday 02:00 WIB and Monday 07:00 WIB. Down until Thursday 17:00 WIB:
    // the daily job missed Wednesday and Thursday; the weekly missed nothing.
    let mut store = SqliteTriggerStore::new(&db);
    store
        .record(&["job".into()], utc("2026-11-23T19:00:00Z"))
        .unwrap();
    store
        .record(&["manager_weekly".into()], utc("2026-11-23T00:00:00Z"))
        .unwrap();
    drop(store);
    let start = "2026-11-26T10:00:00Z";

    let harness = Harness::start(schedules(&entries, jakarta), utc(start), &db, |_| Ok(()));
    assert_eq!(harness.next(), ran(&["job"], start, true, true));
    assert_eq!(harness.next(), waiting("2026-11-26T19:00:00Z"));
    assert_eq!(harness.calls().len(), 1);
    harness.stop();

    // Restarted a minute later: nothing was missed since the catch-up.
    let later = utc(start) + TimeDelta::minutes(1);
    let harness = Harness::start(schedules(&entries, jakarta), later, &db, |_| Ok(()));
    assert_eq!(harness.next(), waiting("2026-11-26T19:00:00Z"));
    assert!(harness.calls().is_empty());
    harness.stop();

    let last = SqliteTriggerStore::new(&db).last_fired().unwrap();
    assert_eq!(last["job"], utc(start));
    assert_eq!(last["manager_weekly"], utc("2026-11-23T00:00:00Z"));
}

#[test]
fn a_first_start_runs_nothing_and_remembers_when_it_started() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pantau.db");
    let set = || schedules(&[("job", "0 2 * * *")], chrono_tz::Asia::Jakarta);
    let start = "2026-11-26T10:00:00Z";
    let harness = Harness::start(set(), utc(start), &db, |_| Ok(()));
    assert_eq!(harness.next(), waiting("2026-11-26T19:00:00Z"));
    harness.stop();
    assert_eq!(
        SqliteTriggerStore::new(&db).last_fired().unwrap()["job"],
        utc(start)
    );

    // Down over the 02:00 trigger: the next start catches up.
    let back = "2026-11-27T01:00:00Z";
    let harness = Harness::start(set(), utc(back), &db, |_| Ok(()));
    assert_eq!(harness.next(), ran(&["job"], back, true, true));
    harness.stop();
}

#[test]
fn a_failing_or_panicking_job_does_not_stop_the_schedule() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pantau.db");
    let harness = Harness::start(
        schedules(&[("job", "0 2 * * *")], chrono_tz::UTC),
        utc("2026-11-26T10:00:00Z"),
        &db,
        |count| match count {
            1 => anyhow::bail!("the roster inbox is unreadable"),
            2 => panic!("a bug in the job"),
            _ => Ok(()),
        },
    );
    assert_eq!(harness.next(), waiting("2026-11-27T02:00:00Z"));
    for (at, ok, following) in [
        ("2026-11-27T02:00:00Z", false, "2026-11-28T02:00:00Z"),
        ("2026-11-28T02:00:00Z", false, "2026-11-29T02:00:00Z"),
        ("2026-11-29T02:00:00Z", true, "2026-11-30T02:00:00Z"),
    ] {
        harness.clock.set(utc(at));
        assert_eq!(harness.next(), ran(&["job"], at, false, ok));
        assert_eq!(harness.next(), waiting(following));
    }
    harness.stop();
}

#[test]
fn a_clock_jump_over_several_triggers_runs_once() {
    // A suspended laptop wakes three days later: one run, not three.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pantau.db");
    let harness = Harness::start(
        schedules(&[("job", "0 2 * * *")], chrono_tz::UTC),
        utc("2026-11-26T10:00:00Z"),
        &db,
        |_| Ok(()),
    );
    assert_eq!(harness.next(), waiting("2026-11-27T02:00:00Z"));
    harness.clock.set(utc("2026-11-29T12:00:00Z"));
    assert_eq!(
        harness.next(),
        ran(&["job"], "2026-11-27T02:00:00Z", false, true)
    );
    assert_eq!(harness.next(), waiting("2026-11-30T02:00:00Z"));
    assert_eq!(harness.calls().len(), 1);
    harness.stop();
}

#[test]
fn an_invalid_cron_expression_is_rejected_at_load_with_its_key() {
    let text = "[schedules]\nmanager_weekly = \"0 7 * *\"\ndonor_monthly = \"0 7 32 * *\"\n";
    let err = pantau::config::Config::from_toml(text, Path::new("pantau.toml")).unwrap_err();
    let shown = err.to_string();
    assert!(shown.contains("pantau.toml has 2 problems"), "{shown}");
    assert!(
        shown
            .contains("line 2, column 1, key `schedules.manager_weekly`: \"0 7 * *\" has 4 fields"),
        "{shown}"
    );
    assert!(
        shown.contains("line 3, column 1, key `schedules.donor_monthly`: \"0 7 32 * *\" is not a valid cron expression (Component error: Number out of bounds); the fields are minute 0-59"),
        "{shown}"
    );
    // Five fields with a weekday name, as people write them, are fine.
    let ok = "[schedules]\nmanager_weekly = \"0 7 * * MON\"\n";
    pantau::config::Config::from_toml(ok, Path::new("pantau.toml")).unwrap();
}

#[test]
fn serve_stops_its_scheduler_when_the_server_stops() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap();
    let demo = Command::new(env!("CARGO_BIN_EXE_pantau"))
        .args(["demo", "--no-serve"])
        .current_dir(dir.path())
        .env("PANTAU_LOG", "warn")
        .output()
        .unwrap();
    assert_eq!(demo.status.code(), Some(0), "{demo:?}");

    let mut serve = Command::new(env!("CARGO_BIN_EXE_pantau"))
        .args(["serve", "--address", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env("PANTAU_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(serve.stderr.take().unwrap()).lines();
    let mut log = String::new();
    let (mut scheduling, mut serving) = (false, false);
    let mut listening: Option<String> = None;
    while !(scheduling && serving && listening.is_some()) {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("pantau serve ended early:\n{log}"))
            .unwrap();
        scheduling |= line.contains("scheduler started");
        serving |= line.contains("pantau is serving");
        if let Some((_, address)) = line.split_once("listening on: ") {
            listening = Some(address.trim().to_owned());
        }
        log.push_str(&line);
        log.push('\n');
    }
    // The log lines come before the server's future first runs and installs its signal
    // handlers; one answered request shows the server is running, so a SIGTERM is handled
    // rather than killing the process outright.
    let address = listening.unwrap();
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    std::io::Write::write_all(
        &mut stream,
        b"GET /no-such-page HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut stream, &mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    assert!(
        log.contains("\"job\""),
        "the default schedules are named:\n{log}"
    );

    // SIGTERM, as systemd stops the service.
    let kill = Command::new("kill")
        .args(["-TERM", &serve.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    for line in lines {
        log.push_str(&line.unwrap());
        log.push('\n');
    }
    let status = serve.wait().unwrap();
    assert!(status.success(), "{status:?}\n{log}");
    assert!(log.contains("scheduler stopped"), "{log}");
}
