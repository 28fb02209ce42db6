//! EventFlag and Event: consistency under stress, wake-ups, timeouts, auto-reset.

// Blocking and timeouts throughout: the std feature (tests/nostd.rs covers the rest).
#![cfg(feature = "std")]

mod common;

use common::{same, READS};
use ringkit::event::{Event, EventFlag};
use ringkit::Timeout;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

const ROUNDS: u64 = if cfg!(miri) { 5 } else { 20 };

/// Gives parked-path coverage a chance; no assertion depends on it.
fn let_them_park() {
    thread::sleep(Duration::from_millis(if cfg!(miri) { 1 } else { 5 }));
}

#[test]
fn generation_and_value_never_mix() {
    let flag = EventFlag::new([0u64; 4]);
    let done = AtomicBool::new(false);
    thread::scope(|s| {
        let readers: Vec<_> = (0..3)
            .map(|r| {
                let flag = &flag;
                s.spawn(move || {
                    let mut last = 0;
                    for i in 0..READS {
                        let got = match (i + r) % 3 {
                            0 => Some(flag.read()),
                            1 => flag.try_read(),
                            _ => {
                                let g = flag.generation();
                                assert!(g >= last, "generation went backwards");
                                None
                            }
                        };
                        if let Some((g, v)) = got {
                            assert_eq!(same(v), g, "value and generation from different publishes");
                            assert!(g >= last, "generation went backwards: {last} -> {g}");
                            last = g;
                        }
                    }
                })
            })
            .collect();
        // A waiter that always asks for the next generation.
        let waiter = s.spawn(|| {
            let mut seen = 0;
            let mut wakes = 0u64;
            while !done.load(Ordering::Relaxed) {
                if let Ok((g, v)) = flag.wait_newer_timeout(seen, Duration::from_millis(10)) {
                    assert!(g > seen);
                    assert_eq!(same(v), g);
                    seen = g;
                    wakes += 1;
                }
            }
            wakes
        });
        s.spawn(|| {
            let mut g = 0;
            while !done.load(Ordering::Relaxed) {
                g += 1;
                assert_eq!(flag.publish([g; 4]), g);
            }
        });
        for r in readers {
            r.join().unwrap();
        }
        done.store(true, Ordering::Relaxed);
        waiter.join().unwrap();
    });
    let (g, v) = flag.read();
    assert_eq!(same(v), g);
}

#[test]
fn one_publish_wakes_every_waiter() {
    const WAITERS: usize = 4;
    let flag = EventFlag::new(0u64);
    let start = Barrier::new(WAITERS + 1);
    thread::scope(|s| {
        let waiters: Vec<_> = (0..WAITERS)
            .map(|_| {
                s.spawn(|| {
                    for round in 1..=ROUNDS {
                        start.wait();
                        assert_eq!(flag.wait_newer(round - 1), (round, 10 * round));
                    }
                })
            })
            .collect();
        for round in 1..=ROUNDS {
            start.wait();
            let_them_park();
            assert_eq!(flag.publish(10 * round), round);
        }
        for w in waiters {
            w.join().unwrap();
        }
    });
}

#[test]
fn ping_pong_loses_no_wake_up() {
    // Each side waits for the other's next generation and answers it at once, so
    // every publish races the other side's check-then-sleep. A lost wake-up hangs.
    const N: u64 = if cfg!(miri) { 30 } else { 20_000 };
    let ping = EventFlag::new(0u64);
    let pong = EventFlag::new(0u64);
    thread::scope(|s| {
        s.spawn(|| {
            for g in 1..=N {
                let (got, v) = ping.wait_newer(g - 1);
                assert_eq!((got, v), (g, g));
                pong.publish(v);
            }
        });
        for g in 1..=N {
            ping.publish(g);
            assert_eq!(pong.wait_newer(g - 1), (g, g));
        }
    });
}

#[test]
fn wait_newer_returns_at_once_when_already_newer() {
    let flag = EventFlag::new(1u8);
    flag.publish(2);
    flag.publish(3);
    assert_eq!(flag.wait_newer(0), (2, 3));
    assert_eq!(flag.wait_newer_timeout(1, Duration::ZERO), Ok((2, 3)));
}

#[test]
fn timeouts_return_after_the_duration() {
    let d = Duration::from_millis(30);
    let flag = EventFlag::new(0u32);
    let t = Instant::now();
    assert_eq!(flag.wait_newer_timeout(0, d), Err(Timeout));
    assert!(t.elapsed() >= d);

    for ev in [Event::manual_reset(), Event::auto_reset()] {
        let t = Instant::now();
        assert_eq!(ev.wait_timeout(d), Err(Timeout));
        assert!(t.elapsed() >= d);
    }
}

#[test]
fn deadline_forms_time_out_at_the_deadline_and_return_when_ready() {
    let flag = EventFlag::new(0u32);
    let deadline = Instant::now() + Duration::from_millis(20);
    assert_eq!(flag.wait_newer_until(0, deadline), Err(Timeout));
    assert!(Instant::now() >= deadline);
    flag.publish(7);
    assert_eq!(flag.wait_newer_until(0, Instant::now()), Ok((1, 7)));

    for ev in [Event::manual_reset(), Event::auto_reset()] {
        let deadline = Instant::now() + Duration::from_millis(20);
        assert_eq!(ev.wait_until(deadline), Err(Timeout));
        assert!(Instant::now() >= deadline);
        ev.set();
        assert_eq!(ev.wait_until(Instant::now()), Ok(()));
        // An auto-reset wait took the set; a manual-reset event stays set.
        assert_eq!(ev.is_set(), !ev.is_auto_reset());
    }
}

#[test]
fn epoch_wrap_loses_nothing() {
    // The futex epoch starts two steps below its wrap; debug builds would panic on
    // a non-wrapping add.
    let flag = EventFlag::with_wait_epoch(0u64, u32::MAX >> 1);
    let start = Barrier::new(2);
    thread::scope(|s| {
        s.spawn(|| {
            for g in 1..=ROUNDS {
                start.wait();
                assert_eq!(flag.wait_newer(g - 1), (g, g));
            }
        });
        for g in 1..=ROUNDS {
            start.wait();
            let_them_park();
            assert_eq!(flag.publish(g), g);
        }
    });
}

#[test]
fn manual_reset_releases_every_waiter() {
    const WAITERS: usize = 4;
    let ev = Event::manual_reset();
    let released = AtomicUsize::new(0);
    thread::scope(|s| {
        for _ in 0..WAITERS {
            s.spawn(|| {
                ev.wait();
                released.fetch_add(1, Ordering::Relaxed);
                ev.wait(); // still set
            });
        }
        let_them_park();
        ev.set();
    });
    assert_eq!(released.load(Ordering::Relaxed), WAITERS);
    assert!(ev.is_set());
    ev.reset();
    assert!(!ev.is_set());
}

#[test]
fn auto_reset_releases_one_waiter_per_set() {
    const WAITERS: usize = 3;
    const SETS: usize = if cfg!(miri) { 6 } else { 200 };
    let ev = Event::auto_reset();
    let stop = Event::manual_reset();
    let released = AtomicUsize::new(0);
    let exited = AtomicUsize::new(0);
    thread::scope(|s| {
        for _ in 0..WAITERS {
            s.spawn(|| loop {
                ev.wait();
                if stop.is_set() {
                    exited.fetch_add(1, Ordering::SeqCst);
                    return;
                }
                released.fetch_add(1, Ordering::SeqCst);
            });
        }
        for i in 1..=SETS {
            ev.set();
            // The next set only after this one was consumed: sets do not
            // accumulate, so this makes "one release per set" exact.
            while released.load(Ordering::SeqCst) < i {
                thread::yield_now();
            }
            assert_eq!(
                released.load(Ordering::SeqCst),
                i,
                "one set released two waiters"
            );
        }
        assert!(!ev.is_set());
        stop.set();
        for i in 1..=WAITERS {
            ev.set();
            while exited.load(Ordering::SeqCst) < i {
                thread::yield_now();
            }
        }
    });
    assert_eq!(released.load(Ordering::SeqCst), SETS);
    assert_eq!(exited.load(Ordering::SeqCst), WAITERS);
}

#[test]
fn auto_reset_set_before_wait_stays_pending() {
    let ev = Event::auto_reset();
    ev.set();
    thread::scope(|s| {
        s.spawn(|| ev.wait()).join().unwrap();
    });
    assert!(!ev.is_set());
}

/// What a thread of this process sleeps in, read from `/proc`: the system call
/// number and its first two arguments (for a futex wait: the address and the
/// operation), and the thread's count of voluntary context switches (one more
/// each time it blocks). `None` unless it is asleep (a thread that yields or is
/// preempted inside a system call shows that call too, but is not asleep), and
/// once it has exited.
#[cfg(all(target_os = "linux", not(miri)))]
fn asleep_in(tid: &str) -> Option<(String, u64)> {
    let dir = format!("/proc/self/task/{tid}");
    let (asleep, before) = sched_status(&dir)?;
    let call = std::fs::read_to_string(format!("{dir}/syscall")).ok()?;
    let (still_asleep, after) = sched_status(&dir)?;
    let call: Vec<&str> = call.split_whitespace().take(3).collect();
    // "running", or a thread that woke or blocked again between the reads: ask again.
    let settled = asleep && still_asleep && before == after;
    (settled && call.len() == 3).then(|| (call.join(" "), after))
}

/// Whether the thread is asleep (`S`), and its voluntary context switches.
#[cfg(all(target_os = "linux", not(miri)))]
fn sched_status(dir: &str) -> Option<(bool, u64)> {
    let status = std::fs::read_to_string(format!("{dir}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap()
            .trim()
            .to_owned()
    };
    Some((
        field("State:").starts_with('S'),
        field("voluntary_ctxt_switches:").parse().unwrap(),
    ))
}

/// A manual-reset `set` releases a waiter that is parked at the time, even if the
/// event is reset right after. The waiter is seen parked in the kernel (its futex
/// wait, through `/proc`) before the set; afterwards the test waits until it
/// returns, and fails if instead it blocks in the same futex wait again.
#[cfg(all(target_os = "linux", not(miri)))]
#[test]
fn manual_set_then_reset_releases_a_parked_waiter() {
    // The woken waiter may also run before the reset and see the event set (on a
    // busy machine it often preempts the setter): repeat, so that a waiter that
    // misses the set is caught.
    for _ in 0..100 {
        let ev = Event::manual_reset();
        thread::scope(|s| {
            let (tid_tx, tid_rx) = std::sync::mpsc::channel();
            let ev = &ev;
            let waiter = s.spawn(move || {
                let me = std::fs::read_link("/proc/thread-self").unwrap();
                tid_tx
                    .send(me.file_name().unwrap().to_str().unwrap().to_owned())
                    .unwrap();
                ev.wait();
            });
            let tid = tid_rx.recv().unwrap();
            // Nothing else in the waiter blocks: the first blocking call is the futex
            // wait inside `wait`.
            let (parked_in, switches) = loop {
                if let Some(p) = asleep_in(&tid) {
                    break p;
                }
                thread::yield_now();
            };
            ev.set();
            ev.reset();
            let mut parked_again = false;
            while !waiter.is_finished() {
                if let Some((call, n)) = asleep_in(&tid) {
                    if call == parked_in && n > switches {
                        // Let it go, so the failure is reported and not a hang.
                        parked_again = true;
                        ev.set();
                        break;
                    }
                }
                thread::yield_now();
            }
            waiter.join().unwrap();
            assert!(
                !parked_again,
                "the waiter was woken by set, saw the reset and parked again"
            );
        });
        assert!(!ev.is_set());
    }
}

/// The same promise on every platform (and under miri), without looking at the
/// waiters: each waiter's wait begins (its ticket is taken) before `set`, on this
/// thread, and finishes on its own thread, parked or not by the time of the set.
/// `wait()` is `wait_from(ticket())`.
#[test]
fn manual_set_then_reset_releases_waiters_present_at_the_set() {
    const WAITERS: usize = 3;
    let ev = Event::manual_reset();
    for _ in 0..ROUNDS {
        let ticket = ev.ticket();
        thread::scope(|s| {
            for _ in 0..WAITERS {
                s.spawn(|| ev.wait_from(ticket));
            }
            let_them_park();
            ev.set();
            ev.reset();
        });
        // A wait that begins now is not released by that set...
        assert!(!ev.is_set());
        assert!(!ev.try_wait());
        assert_eq!(ev.wait_timeout(Duration::ZERO), Err(Timeout));
        // ...one that began before it still is, at once.
        ev.wait_from(ticket);
    }
}

#[test]
fn auto_reset_set_then_reset_releases_nobody() {
    let ev = Event::auto_reset();
    let ticket = ev.ticket();
    ev.set();
    ev.reset();
    assert!(!ev.is_set());
    assert!(!ev.try_wait());
    assert_eq!(ev.wait_timeout(Duration::ZERO), Err(Timeout));
    // An auto-reset wait takes a set; a ticket does not release it.
    ev.set();
    ev.wait_from(ticket);
    assert!(!ev.is_set());
}
