//! Retry delays and duplicate detection in the dispatcher: attempts wait for
//! their backoff (shown on a clock the test moves), other sources are served
//! meanwhile, the messages behind a waiting one wait too, `run` parks until the
//! retry is due instead of spinning, and a message id already handled is
//! acknowledged without running the handler again.

#![cfg(feature = "std")]

use ringkit::dedup::Dedup;
use ringkit::dispatch::{Backoff, Dispatcher, Retry, RunEnd};
use ringkit::event::EventFlag;
use ringkit::{mpmc, spsc};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A clock the test moves by hand.
#[derive(Clone)]
struct FakeClock(Arc<Mutex<Instant>>);

impl FakeClock {
    fn new() -> Self {
        FakeClock(Arc::new(Mutex::new(Instant::now())))
    }
    fn now(&self) -> Instant {
        *self.0.lock().unwrap()
    }
    fn set(&self, t: Instant) {
        *self.0.lock().unwrap() = t;
    }
    fn dispatcher(&self) -> Dispatcher {
        let c = self.clone();
        Dispatcher::new().with_clock(move || c.now())
    }
}

type Log = Arc<Mutex<Vec<(Instant, u32, u64)>>>;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn attempts_wait_for_their_delay_while_other_sources_are_served() {
    let clock = FakeClock::new();
    let t0 = clock.now();
    let mut d = clock.dispatcher();
    let log: Log = Arc::default();

    // Source A fails the first two attempts of message 1, with a fixed 10 s wait.
    let (mut a_tx, a_rx) = spsc::channel::<u64>(4);
    let (l, c) = (log.clone(), clock.clone());
    let retry = Retry::attempts(5).backoff(Backoff::fixed(secs(10)));
    d.on_spsc_with(a_rx, retry, move |m| {
        l.lock().unwrap().push((c.now(), m.attempt, *m.message));
        if *m.message == 1 && m.attempt < 3 {
            Err(())
        } else {
            Ok(())
        }
    });
    // Source B has no failures.
    let (b_tx, b_rx) = mpmc::channel::<u64>(4);
    let b_done = Arc::new(AtomicU64::new(0));
    let b = b_done.clone();
    d.on_mpmc(b_rx, move |m| {
        b.fetch_add(*m.message, Ordering::Relaxed);
        Ok::<(), ()>(())
    });

    a_tx.try_push(1).unwrap();
    a_tx.try_push(2).unwrap();
    assert_eq!(d.poll(), 1, "attempt 1 of message 1 fails, message 2 waits");
    for (t, b_msg) in [(1, 10), (9, 20)] {
        clock.set(t0 + secs(t));
        b_tx.try_push(b_msg).unwrap();
        assert_eq!(d.poll(), 1, "at {t} s only B is served");
    }
    assert_eq!(b_done.load(Ordering::Relaxed), 30);
    assert_eq!(a_tx.len(), 2, "message 2 waits behind message 1");
    clock.set(t0 + secs(10));
    assert_eq!(d.poll(), 1, "attempt 2 fails");
    clock.set(t0 + secs(19));
    assert_eq!(d.poll(), 0);
    clock.set(t0 + secs(20));
    assert_eq!(d.poll(), 2, "attempt 3 succeeds, then message 2");
    assert!(a_tx.is_empty());
    let got = log.lock().unwrap().clone();
    assert_eq!(
        got,
        [
            (t0, 1, 1),
            (t0 + secs(10), 2, 1),
            (t0 + secs(20), 3, 1),
            (t0 + secs(20), 1, 2),
        ]
    );
}

#[test]
fn exponential_backoff_up_to_the_cap_then_a_dead_letter() {
    let clock = FakeClock::new();
    let t0 = clock.now();
    let mut d = clock.dispatcher();
    let log: Log = Arc::default();
    let dead: Arc<Mutex<Vec<(Instant, u32, u64)>>> = Arc::default();
    let (dl, c) = (dead.clone(), clock.clone());
    let retry = Retry::attempts(5)
        .backoff(Backoff::exponential(secs(1), secs(3)))
        .dead_letter(move |letter| {
            dl.lock()
                .unwrap()
                .push((c.now(), letter.attempts, letter.message))
        });
    let (tx, rx) = mpmc::channel::<u64>(4);
    let (l, c) = (log.clone(), clock.clone());
    d.on_mpmc_with(rx, retry, move |m| {
        l.lock().unwrap().push((c.now(), m.attempt, *m.message));
        Err(())
    });
    tx.try_push(7).unwrap();
    tx.try_push(8).unwrap();
    // Waits of 1, 2, 3, 3 seconds: attempts at 0, 1, 3, 6 and 9.
    for t in 0..=9 {
        clock.set(t0 + secs(t));
        d.poll();
    }
    let attempts: Vec<(Instant, u32)> = log
        .lock()
        .unwrap()
        .iter()
        .map(|&(t, a, _)| (t, a))
        .collect();
    let want: Vec<(Instant, u32)> = [0, 1, 3, 6, 9]
        .into_iter()
        .zip(1..)
        .map(|(s, a)| (t0 + secs(s), a))
        .collect();
    assert_eq!(attempts[..5], want[..]);
    assert_eq!(*dead.lock().unwrap(), [(t0 + secs(9), 5, 7)]);
    // The next message was not popped before 7 was given up; the next poll
    // delivers it.
    assert_eq!(log.lock().unwrap().len(), 5);
    d.poll();
    assert_eq!(log.lock().unwrap()[5..], [(t0 + secs(9), 1, 8)]);
}

#[test]
fn event_updates_wait_for_their_retry_and_then_see_the_newest_value() {
    let clock = FakeClock::new();
    let t0 = clock.now();
    let mut d = clock.dispatcher();
    let flag = Arc::new(EventFlag::new(0u64));
    let seen: Arc<Mutex<Vec<(u64, u32)>>> = Arc::default();
    let s = seen.clone();
    let retry = Retry::attempts(3).backoff(Backoff::fixed(secs(5)));
    d.on_event_with(flag.clone(), retry, move |u| {
        s.lock().unwrap().push((u.value, u.attempt));
        if u.value == 1 {
            Err(())
        } else {
            Ok(())
        }
    });
    flag.publish(1);
    assert_eq!(d.poll(), 1);
    flag.publish(2);
    clock.set(t0 + secs(4));
    assert_eq!(d.poll(), 0, "the retry is not due");
    clock.set(t0 + secs(5));
    assert_eq!(d.poll(), 1);
    assert_eq!(*seen.lock().unwrap(), [(1, 1), (2, 1)]);
}

/// `run` parks until the retry is due: it reads the clock a handful of times
/// while it waits, where a loop that polled until the deadline would read it
/// on every poll.
#[test]
fn run_parks_until_the_retry_is_due() {
    let reads = Arc::new(AtomicU64::new(0));
    let r = reads.clone();
    let mut d = Dispatcher::new().with_clock(move || {
        r.fetch_add(1, Ordering::Relaxed);
        Instant::now()
    });
    let times: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let t = times.clone();
    let (mut tx, rx) = spsc::channel::<u8>(2);
    let retry = Retry::attempts(2).backoff(Backoff::fixed(Duration::from_millis(30)));
    d.on_spsc_with(rx, retry, move |m| {
        t.lock().unwrap().push(Instant::now());
        if m.attempt == 1 {
            Err(())
        } else {
            Ok(())
        }
    });
    tx.try_push(1).unwrap();
    drop(tx);
    assert_eq!(d.run(), RunEnd::Disconnected);
    let times = times.lock().unwrap();
    assert_eq!(times.len(), 2);
    assert!(
        times[1] - times[0] >= Duration::from_millis(30),
        "no attempt before its time"
    );
    let n = reads.load(Ordering::Relaxed);
    assert!(
        n < 20,
        "the clock was read {n} times while waiting: a busy loop"
    );
}

#[test]
fn duplicates_are_acknowledged_without_the_handler() {
    let dups = Arc::new(AtomicU64::new(0));
    let window = |dups: &Arc<AtomicU64>| {
        let d = dups.clone();
        Dedup::new(16).on_duplicate(move |_id: &u64| {
            d.fetch_add(1, Ordering::Relaxed);
        })
    };
    let handled: Arc<Mutex<Vec<(u64, u32)>>> = Arc::default();
    let mut d = Dispatcher::new();
    // SPSC: (id, payload). Id 2 fails once: a failure is not recorded, so its
    // redelivery runs the handler; its resend afterwards is a duplicate.
    let (mut stx, srx) = spsc::channel::<(u64, u32)>(8);
    let h = handled.clone();
    d.on_spsc_with(
        srx,
        Retry::attempts(3).dedup(window(&dups), |m: &(u64, u32)| m.0),
        move |m| {
            if m.message.0 == 2 && m.attempt == 1 {
                return Err(());
            }
            h.lock().unwrap().push(*m.message);
            Ok(())
        },
    );
    let (mtx, mrx) = mpmc::channel::<(u64, u32)>(8);
    let h = handled.clone();
    d.on_mpmc_with(
        mrx,
        Retry::attempts(3).dedup(window(&dups), |m: &(u64, u32)| m.0),
        move |m| {
            h.lock().unwrap().push(*m.message);
            Ok::<(), ()>(())
        },
    );
    for m in [(1, 10), (2, 20), (1, 11)] {
        stx.try_push(m).unwrap();
    }
    for m in [(5, 50), (5, 51), (6, 60)] {
        mtx.try_push(m).unwrap();
    }
    while d.poll() > 0 {}
    stx.try_push((2, 21)).unwrap();
    while d.poll() > 0 {}
    assert_eq!(
        *handled.lock().unwrap(),
        [(1, 10), (5, 50), (6, 60), (2, 20)]
    );
    assert_eq!(dups.load(Ordering::Relaxed), 3, "(1, 11), (5, 51), (2, 21)");
    assert!(
        stx.is_empty() && mtx.is_empty(),
        "duplicates are acknowledged"
    );
}

/// The wait starts when an attempt fails, not when the poll began: a slow
/// failing handler does not use up its own backoff.
#[test]
fn the_wait_is_measured_from_the_failure() {
    let clock = FakeClock::new();
    let t0 = clock.now();
    let mut d = clock.dispatcher();
    let (mut tx, rx) = spsc::channel::<u32>(2);
    let c = clock.clone();
    let retry = Retry::attempts(5).backoff(Backoff::fixed(secs(60)));
    d.on_spsc_with(rx, retry, move |_| {
        c.set(c.now() + secs(60)); // each attempt takes a minute, then fails
        Err(())
    });
    tx.try_push(1).unwrap();
    assert_eq!(d.poll(), 1); // fails at t0 + 60: due at t0 + 120
    clock.set(t0 + secs(119));
    assert_eq!(d.poll(), 0);
    clock.set(t0 + secs(120));
    assert_eq!(d.poll(), 1); // fails at t0 + 180: due at t0 + 240
    assert_eq!(d.poll(), 0, "not due until a minute after the failure");
    clock.set(t0 + secs(240));
    assert_eq!(d.poll(), 1);
}

/// A panic in the id function or in the window's callback is a failed delivery
/// of that message: `poll` does not unwind, the message is retried and then
/// dead-lettered, and the other messages are handled once.
#[test]
fn a_panic_while_checking_for_a_duplicate_is_a_failed_delivery() {
    common_quiet_panics();
    let handled: Arc<Mutex<Vec<u32>>> = Arc::default();
    let dead: Arc<Mutex<Vec<(u32, u32)>>> = Arc::default();
    let mut d = Dispatcher::new();

    let (mut stx, srx) = spsc::channel::<u32>(4);
    let (h, dl) = (handled.clone(), dead.clone());
    let retry = Retry::attempts(2)
        .dead_letter(move |l| dl.lock().unwrap().push((l.message, l.attempts)))
        .dedup(Dedup::new(8), |m: &u32| -> u32 {
            if *m == 2 {
                std::panic::panic_any("no id for 2");
            }
            *m
        });
    d.on_spsc_with(srx, retry, move |m| {
        h.lock().unwrap().push(*m.message);
        Ok::<(), ()>(())
    });

    let (mtx, mrx) = mpmc::channel::<u32>(4);
    let (h, dl) = (handled.clone(), dead.clone());
    let window = Dedup::new(8).on_duplicate(|_: &u32| std::panic::panic_any("callback"));
    let retry = Retry::attempts(2)
        .dead_letter(move |l| dl.lock().unwrap().push((l.message, l.attempts)))
        .dedup(window, |m: &u32| *m);
    d.on_mpmc_with(mrx, retry, move |m| {
        h.lock().unwrap().push(*m.message);
        Ok::<(), ()>(())
    });

    for m in [1, 2, 3] {
        stx.try_push(m).unwrap();
    }
    for m in [10, 10, 11] {
        mtx.try_push(m).unwrap();
    }
    for _ in 0..6 {
        assert!(catch_unwind(AssertUnwindSafe(|| d.poll())).is_ok());
    }
    assert_eq!(*handled.lock().unwrap(), [1, 10, 3, 11]);
    assert_eq!(*dead.lock().unwrap(), [(2, 2), (10, 2)]);
    assert!(stx.is_empty() && mtx.is_empty());
}

/// Keeps the injected panics of these tests off stderr.
fn common_quiet_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let p = info.payload();
        if p.downcast_ref::<&str>()
            .is_some_and(|s| *s == "no id for 2" || *s == "callback")
        {
            return;
        }
        default(info);
    }));
}
