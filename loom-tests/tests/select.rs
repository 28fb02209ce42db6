//! loom models of `Selector`: a blocking select parks on its doorbell, attached
//! to every source's wait cell, through the dispatcher's `park_any`. The futex is
//! a Mutex + Condvar model (src/sync/fallback.rs), so a lost wake-up deadlocks
//! the model, which loom reports. Each model ends only if every select that
//! had to be woken was.
//!
//! loom has no clock (the model futex ignores deadlines), so a select that
//! sleeps until its deadline cannot be modelled. What can be: a select whose
//! deadline has passed racing a push (it returns the ready index or `None`, and
//! never parks), and a blocking select after it, which must not lose that push
//! to the cell state the timed-out select left behind.
//!
//! The two-thread models with one wake-up run without a preemption bound; the
//! others with a bound of 3 (a few seconds; a bound of 4 takes about 45 s, and
//! the flag model does not finish unbounded in 5 minutes). One unbounded model,
//! a publish waking a select over a subscriber, takes about eight minutes: it
//! is `#[ignore]`d, and `scripts/check loom-long` runs it.
#![cfg(loom)]

use loom::thread;
use loom_tests::bounded;
use ringkit::event::EventFlag;
use ringkit::select::Selector;
use ringkit::PopError;
use std::time::Instant;

/// A select over two sources, one push on each from two threads: the selector
/// must be woken for both, whichever push clears the parked bit it set, and
/// receives both items. One push may find the bit cleared by the other's
/// wake-up; the epoch re-check in `park_any` saves it.
#[test]
fn select_racing_pushes_on_two_sources() {
    bounded(3, || {
        let (mut stx, mut srx) = ringkit::spsc::channel::<u32>(2);
        let (mtx, mrx) = ringkit::mpmc::channel::<u32>(2);
        let a = thread::spawn(move || {
            stx.push(1).unwrap();
            stx // connected until the end: only the push can wake the select
        });
        let b = thread::spawn(move || {
            mtx.push(10).unwrap();
            mtx
        });
        let mut selector = Selector::new();
        let mut got = 0;
        let mut received = 0;
        while received < 2 {
            match selector.select(&[&srx, &mrx]) {
                0 => got += srx.try_pop().expect("a ready ring is not empty"),
                _ => got += mrx.try_pop().expect("a ready queue is not empty"),
            }
            received += 1;
        }
        assert_eq!(got, 11);
        drop((a.join().unwrap(), b.join().unwrap()));
    });
}

/// A select over an event flag and an SPSC ring; another thread publishes once
/// and drops the ring's producer. The selector sees the newer generation and
/// the disconnection, in either order, without losing either wake-up.
#[test]
fn select_on_a_flag_and_a_disconnecting_ring() {
    bounded(3, || {
        let (tx, mut rx) = ringkit::spsc::channel::<u32>(2);
        let flag = std::sync::Arc::new(EventFlag::new(0u32));
        let publisher = {
            let flag = flag.clone();
            thread::spawn(move || {
                flag.publish(5);
                drop(tx);
            })
        };
        let mut selector = Selector::new();
        let (mut seen, mut disconnected) = (0, false);
        while seen == 0 || !disconnected {
            let newer = flag.newer_than(seen);
            let i = if disconnected {
                selector.select(&[&newer])
            } else if seen == 1 {
                selector.select(&[&rx]) + 1
            } else {
                selector.select(&[&newer, &rx])
            };
            if i == 0 {
                let (generation, value) = flag.read();
                assert_eq!((generation, value), (1, 5));
                seen = generation;
            } else {
                assert_eq!(rx.try_pop(), Err(PopError::Disconnected));
                disconnected = true;
            }
        }
        publisher.join().unwrap();
    });
}

/// The unbounded twin of `select_on_a_flag_and_a_disconnecting_ring`: one
/// publish, the ring kept connected, so the flag's notify alone must wake the
/// select over both.
#[test]
fn a_publish_wakes_a_select_over_a_flag_and_a_ring() {
    loom::model(|| {
        let (tx, rx) = ringkit::spsc::channel::<u32>(2);
        let flag = std::sync::Arc::new(EventFlag::new(0u32));
        let publisher = {
            let flag = flag.clone();
            thread::spawn(move || {
                flag.publish(5);
                tx // connected until the end: only the publish can wake the select
            })
        };
        let mut selector = Selector::new();
        assert_eq!(selector.select(&[&flag.newer_than(0), &rx]), 0);
        assert_eq!(flag.read(), (1, 5));
        drop(publisher.join().unwrap());
    });
}

/// A source that disconnects while the select over it and a live source is
/// parked: the select returns the disconnected source's index.
#[test]
fn a_source_disconnecting_while_selected() {
    loom::model(|| {
        let (tx, mut rx) = ringkit::spsc::channel::<u32>(2);
        let (live_tx, live_rx) = ringkit::mpmc::channel::<u32>(2);
        let dropper = thread::spawn(move || drop(tx));
        let mut selector = Selector::new();
        assert_eq!(selector.select(&[&live_rx, &rx]), 1);
        assert_eq!(rx.try_pop(), Err(PopError::Disconnected));
        dropper.join().unwrap();
        drop(live_tx);
    });
}

/// A select whose deadline has passed races a push: it reports the ring or
/// `None`. Then a blocking select must see the push: the timed-out select
/// took its parked bits back and detached its doorbell, and neither may lose
/// the wake-up.
#[test]
fn a_timed_out_select_racing_a_push() {
    loom::model(|| {
        let (mut tx, mut rx) = ringkit::spsc::channel::<u32>(2);
        let (_live_tx, live_rx) = ringkit::mpmc::channel::<u32>(2);
        let pusher = thread::spawn(move || {
            tx.push(3).unwrap();
            tx
        });
        let mut selector = Selector::new();
        match selector.select_deadline(&[&rx, &live_rx], Instant::now()) {
            Some(i) => assert_eq!(i, 0),
            None => assert_eq!(selector.select(&[&rx, &live_rx]), 0),
        }
        assert_eq!(rx.try_pop(), Ok(3));
        drop(pusher.join().unwrap());
    });
}

/// A select over a broadcast subscriber and an auto-reset event; another
/// thread publishes once, drops the publisher and sets the event. The
/// selector receives the event, then sees the disconnection, and takes the
/// set, in whatever order they become ready, without losing a wake-up.
#[test]
fn select_on_a_subscriber_and_an_event() {
    bounded(3, || {
        let (mut publisher, mut sub) = ringkit::broadcast::channel::<u32>(2);
        let ev = std::sync::Arc::new(ringkit::event::Event::auto_reset());
        let other = {
            let ev = ev.clone();
            thread::spawn(move || {
                publisher.publish(7);
                drop(publisher);
                ev.set();
            })
        };
        let mut selector = Selector::new();
        let (mut got, mut disconnected, mut set) = (None, false, false);
        while !(disconnected && set) {
            let i = match (disconnected, set) {
                (false, false) => selector.select(&[&sub, &*ev]),
                (false, true) => selector.select(&[&sub]),
                _ => selector.select(&[&*ev]) + 1,
            };
            if i == 0 {
                match sub.try_recv() {
                    Ok(event) => got = Some(event),
                    Err(ringkit::broadcast::RecvError::Disconnected) => disconnected = true,
                    Err(e) => panic!("a ready subscriber said {e:?}"),
                }
            } else {
                assert!(ev.try_wait(), "a ready auto-reset event was taken");
                set = true;
            }
        }
        assert_eq!(got, Some((0, 7)));
        other.join().unwrap();
    });
}

/// Unbounded twins of `select_on_a_subscriber_and_an_event`, one wake-up
/// each: a set wakes a select over a live subscriber and the event, and takes
/// the set.
#[test]
fn a_set_wakes_a_select_over_a_subscriber_and_an_event() {
    loom::model(|| {
        let (publisher, sub) = ringkit::broadcast::channel::<u32>(2);
        let ev = std::sync::Arc::new(ringkit::event::Event::auto_reset());
        let setter = {
            let ev = ev.clone();
            thread::spawn(move || ev.set())
        };
        let mut selector = Selector::new();
        assert_eq!(selector.select(&[&sub, &*ev]), 1);
        assert!(ev.try_wait(), "a ready auto-reset event was taken");
        setter.join().unwrap();
        drop(publisher);
    });
}

/// A publish wakes a select over a subscriber and an event that is never set,
/// and the subscriber receives what was published. Unbounded it takes about
/// eight minutes, so it runs in `scripts/check loom-long`, not in CI.
#[test]
#[ignore = "about 8 minutes: scripts/check loom-long runs it"]
fn a_publish_wakes_a_select_over_a_subscriber_and_an_event() {
    loom::model(|| {
        let (mut publisher, mut sub) = ringkit::broadcast::channel::<u32>(2);
        let ev = ringkit::event::Event::auto_reset();
        let other = thread::spawn(move || {
            publisher.publish(7);
            publisher // connected until the end: only the publish can wake the select
        });
        let mut selector = Selector::new();
        assert_eq!(selector.select(&[&sub, &ev]), 0);
        assert_eq!(sub.try_recv(), Ok((0, 7)));
        drop(other.join().unwrap());
    });
}
