//! loom models of the wait cell's parked-bit protocol itself, through the event
//! flag (whose waiters use the cell directly). The futex is modelled with a
//! Mutex + Condvar (src/sync/fallback.rs), so a lost wake-up deadlocks the model,
//! which loom reports.
//!
//! The case under test: a waiter that set the parked bit and then found its
//! condition true takes the bit back (`WaitCell::disarm`), while a second waiter,
//! with a condition that is not yet true, may be relying on that same bit and a
//! notifier may be loading it. The second waiter marks the bit shared before it
//! relies on it, so the first waiter's take-back fails; a waiter that takes back a
//! bit nobody shares leaves nobody asleep on it. The last model is the other
//! side: a notifier that finds the bit already cleared by an earlier wake-up.
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use ringkit::event::EventFlag;

/// Two waiters with different conditions (generation past 0, past 1) and a
/// publisher of generations 1 and 2. Whichever waiter arms first and whichever
/// publish lands between an arming and its re-check, both waiters return with the
/// generation they waited for: no wake-up is lost to a taken-back parked bit.
fn two_waiters_one_leaves(bound: Option<usize>) {
    let mut b = loom::model::Builder::new();
    b.preemption_bound = loom_tests::preemption_bound(bound);
    b.check(|| {
        let flag = Arc::new(EventFlag::new(0u64));
        let first = {
            let flag = flag.clone();
            thread::spawn(move || {
                let (g, v) = flag.wait_newer(0);
                assert!(g >= 1);
                assert_eq!(v, g);
            })
        };
        let second = {
            let flag = flag.clone();
            thread::spawn(move || {
                assert_eq!(flag.wait_newer(1), (2, 2));
            })
        };
        assert_eq!(flag.publish(1), 1);
        assert_eq!(flag.publish(2), 2);
        first.join().unwrap();
        second.join().unwrap();
    });
}

/// Bounded: three threads and two publishes. Its unbounded twin is
/// `waiter_leaving_with_its_bit_racing_a_notifier` (one waiter).
#[test]
fn waiter_leaving_with_its_bit_racing_a_second_waiter_and_a_notifier() {
    two_waiters_one_leaves(Some(2));
}

/// One waiter and one publish, unbounded: the waiter's take-back of its own bit
/// (when the publish lands between its arming and its re-check) races the
/// notifier's load of the word and its epoch bump.
#[test]
fn waiter_leaving_with_its_bit_racing_a_notifier() {
    loom::model(|| {
        let flag = Arc::new(EventFlag::new(0u64));
        let p = {
            let flag = flag.clone();
            thread::spawn(move || flag.publish(1))
        };
        assert_eq!(flag.wait_newer(0), (1, 1));
        assert_eq!(flag.wait_newer(0), (1, 1)); // returns at once, arms nothing
        assert_eq!(p.join().unwrap(), 1);
    });
}

/// Two publishes from one thread and a waiter for the second, unbounded: the
/// first publish's wake-up clears the parked bit, and the second publish may
/// load the word before the woken waiter arms it again. The waiter's re-check
/// after its arming (behind the heavy barrier) must then see the second
/// generation. The three-thread models reach the same race with the notifiers
/// on two threads, under a bound.
#[test]
fn second_publish_finds_the_bit_cleared_by_the_first() {
    loom::model(|| {
        let flag = Arc::new(EventFlag::new(0u64));
        let p = {
            let flag = flag.clone();
            thread::spawn(move || {
                flag.publish(1);
                flag.publish(2);
            })
        };
        assert_eq!(flag.wait_newer(1), (2, 2));
        p.join().unwrap();
    });
}
