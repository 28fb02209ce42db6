//! loom models of the event flag and the events. The futex is modelled with a
//! Mutex + Condvar (src/sync/fallback.rs), so a lost wake-up deadlocks the model,
//! which loom reports. Data written before a publish or set is a relaxed atomic,
//! so a missing happens-before shows up as a stale read.
#![cfg(loom)]

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;
use loom_tests::bounded;
use ringkit::event::{Event, EventFlag};

/// A publish racing a waiter's announcement (parked bit, barrier, re-check) never
/// loses the wake-up, and the waiter gets the value published under the
/// generation it returns.
#[test]
fn publish_wakes_waiter() {
    loom::model(|| {
        let flag = Arc::new(EventFlag::new([0u64; 2]));
        let p = {
            let flag = flag.clone();
            thread::spawn(move || {
                assert_eq!(flag.publish([1, 1]), 1);
            })
        };
        assert_eq!(flag.wait_newer(0), (1, [1, 1]));
        p.join().unwrap();
    });
}

/// A task in `wait_newer_async` races a publish while the generation is
/// already newer than the one it has seen: its read gives up on the value
/// being written, waits in the cell, and the publish's notify after its write
/// wakes it. It gets one whole value, with its own generation.
#[test]
fn wait_newer_async_woken_by_publish() {
    loom::model(|| {
        let flag = Arc::new(EventFlag::new([0u64; 2]));
        flag.publish([1, 1]);
        let p = {
            let flag = flag.clone();
            thread::spawn(move || {
                flag.publish([2, 2]);
            })
        };
        let (generation, value) = loom::future::block_on(flag.wait_newer_async(0));
        assert!(generation == 1 || generation == 2);
        assert_eq!(value, [generation; 2]);
        p.join().unwrap();
    });
}

/// Seeing a generation through `generation()` synchronizes with its publish.
/// Kills a weakened [seqlock.seq]. (The reader is the spawned thread: loom does
/// not let a thread re-read a store it saw before its last yield, and the
/// spawning thread saw `side`'s initial value.)
#[test]
fn generation_acquires() {
    loom::model(|| {
        let flag = Arc::new(EventFlag::new(0u32));
        let side = Arc::new(AtomicUsize::new(0));
        let r = {
            let (flag, side) = (flag.clone(), side.clone());
            thread::spawn(move || {
                if flag.generation() == 1 {
                    assert_eq!(side.load(Ordering::Relaxed), 1);
                }
            })
        };
        side.store(1, Ordering::Relaxed);
        flag.publish(5);
        r.join().unwrap();
    });
}

/// Two publishes across the wrap of the futex epoch (it starts one wake-up below
/// the wrap); the waiter waits twice. Generations keep counting 1, 2 and no
/// wake-up is lost. Bounded to stay well under a minute; its unbounded twin is
/// `one_publish_across_epoch_wrap`.
#[test]
fn generation_across_epoch_wrap() {
    bounded(3, || {
        let flag = Arc::new(EventFlag::with_wait_epoch(0u64, u32::MAX >> 1));
        let p = {
            let flag = flag.clone();
            thread::spawn(move || {
                assert_eq!(flag.publish(1), 1);
                assert_eq!(flag.publish(2), 2);
            })
        };
        let (g, v) = flag.wait_newer(0);
        assert_eq!(v, g);
        if g < 2 {
            assert_eq!(flag.wait_newer(g), (2, 2));
        }
        p.join().unwrap();
    });
}

/// The unbounded twin of `generation_across_epoch_wrap`: the first wake-up's
/// epoch bump already wraps the futex word.
#[test]
fn one_publish_across_epoch_wrap() {
    loom::model(|| {
        let flag = Arc::new(EventFlag::with_wait_epoch(0u64, u32::MAX >> 1));
        let p = {
            let flag = flag.clone();
            thread::spawn(move || flag.publish(1))
        };
        assert_eq!(flag.wait_newer(0), (1, 1));
        assert_eq!(p.join().unwrap(), 1);
        assert_eq!(flag.generation(), 1);
    });
}

/// A manual-reset set releases the waiter, and the waiter (or a thread that sees
/// `is_set`) sees what the setter did. Kills a weakened [event.set],
/// [event.wait.manual] or [event.is_set].
#[test]
fn manual_set_wakes_waiter() {
    loom::model(|| {
        let ev = Arc::new(Event::manual_reset());
        let side = Arc::new(AtomicUsize::new(0));
        let s = {
            let (ev, side) = (ev.clone(), side.clone());
            thread::spawn(move || {
                side.store(1, Ordering::Relaxed);
                ev.set();
            })
        };
        if ev.is_set() {
            assert_eq!(side.load(Ordering::Relaxed), 1);
        }
        ev.wait();
        assert_eq!(side.load(Ordering::Relaxed), 1);
        s.join().unwrap();
        assert!(ev.is_set());
    });
}

/// A manual-reset `set` followed at once by a `reset` releases a waiter whose
/// wait began before the set, in every interleaving of its park path (parked
/// bit, barrier, re-check, futex) with the set and the reset: a waiter that only
/// looked at the flag would miss it and deadlock the model. The waiter sees
/// what the setter did. The wait begins (`ticket`) on this thread before the
/// waiter is spawned, so the waiter is present at the set; `wait()` is
/// `wait_from(ticket())`. Kills a weakened [event.set] or [event.wait.manual].
#[test]
fn manual_set_reset_releases_waiter() {
    loom::model(|| {
        let ev = Arc::new(Event::manual_reset());
        let side = Arc::new(AtomicUsize::new(0));
        let ticket = ev.ticket();
        let w = {
            let (ev, side) = (ev.clone(), side.clone());
            thread::spawn(move || {
                ev.wait_from(ticket);
                assert_eq!(side.load(Ordering::Relaxed), 1);
            })
        };
        side.store(1, Ordering::Relaxed);
        ev.set();
        ev.reset();
        w.join().unwrap();
        assert!(!ev.is_set());
    });
}

/// An auto-reset `reset` racing a waiter: the waiter takes the first set or the
/// reset withdraws it, and the second set is then taken by the waiter or left
/// pending; the waiter is never left behind (deadlock), and no set is taken
/// twice.
#[test]
fn auto_reset_reset_races_waiter() {
    loom::model(|| {
        let ev = Arc::new(Event::auto_reset());
        let w = {
            let ev = ev.clone();
            thread::spawn(move || ev.wait())
        };
        ev.set();
        ev.reset();
        ev.set();
        w.join().unwrap();
        // Either the waiter took the first set (the reset found nothing, the
        // second set is pending) or the second one (nothing is pending).
        let pending = ev.is_set();
        assert_eq!(ev.try_wait(), pending);
        assert!(!ev.is_set());
    });
}

/// An auto-reset set, before or after the wait, releases the waiter and is
/// consumed. Kills a weakened [event.set] or [event.wait.auto].
#[test]
fn auto_set_wakes_one() {
    loom::model(|| {
        let ev = Arc::new(Event::auto_reset());
        let side = Arc::new(AtomicUsize::new(0));
        let s = {
            let (ev, side) = (ev.clone(), side.clone());
            thread::spawn(move || {
                side.store(1, Ordering::Relaxed);
                ev.set();
            })
        };
        ev.wait();
        assert_eq!(side.load(Ordering::Relaxed), 1);
        s.join().unwrap();
        assert!(!ev.is_set());
    });
}

/// Two waiters, two sets, the second only after the first was consumed: each set
/// releases exactly one waiter (a set that released both would leave the second
/// set pending at the end), and neither waiter is left behind (deadlock).
#[test]
fn auto_reset_one_waiter_per_set() {
    bounded(2, || {
        let ev = Arc::new(Event::auto_reset());
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let ev = ev.clone();
                thread::spawn(move || ev.wait())
            })
            .collect();
        ev.set();
        while ev.is_set() {
            thread::yield_now();
        }
        ev.set();
        for w in waiters {
            w.join().unwrap();
        }
        assert!(!ev.is_set());
    });
}

/// The unbounded twin of `auto_reset_one_waiter_per_set`: one waiter, two sets
/// (the second after the first was consumed); the second stays pending.
#[test]
fn auto_reset_second_set_stays_pending() {
    loom::model(|| {
        let ev = Arc::new(Event::auto_reset());
        let w = {
            let ev = ev.clone();
            thread::spawn(move || ev.wait())
        };
        ev.set();
        while ev.is_set() {
            thread::yield_now();
        }
        ev.set();
        w.join().unwrap();
        assert!(ev.is_set());
    });
}
