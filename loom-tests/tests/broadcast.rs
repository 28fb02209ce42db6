//! loom models of the broadcast ring. Slot words are loom atomics, so a torn or
//! stale read shows as a value that does not match its sequence number; the futex
//! is a Mutex + Condvar model, so a lost wake-up deadlocks the model.
#![cfg(loom)]

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;
use loom_tests::bounded;
use ringkit::broadcast::RecvError;
use ringkit::broadcast::{channel, Subscriber};

/// The value of event `seq`: it lives in a different word than the sequence
/// number, so a read that mixes two publishes shows.
fn value(seq: u64) -> u64 {
    seq * 10 + 7
}

/// What a subscriber expects next: a sequence number, and a reported lag.
#[derive(Default)]
struct Expect {
    seq: u64,
    reported: Option<u64>,
}

/// Calls `try_recv` `tries` times and checks every answer: values match their
/// numbers, numbers increase, and every gap was reported by one exact `Lagged`.
fn check_tries(sub: &mut Subscriber<u64>, tries: usize, e: &mut Expect) {
    let Expect {
        seq: expected,
        reported,
    } = e;
    for _ in 0..tries {
        match sub.try_recv() {
            Ok((seq, v)) => {
                assert_eq!(v, value(seq), "torn or stale value");
                assert_eq!(seq - *expected, reported.take().unwrap_or(0), "inexact lag");
                *expected = seq + 1;
            }
            Err(RecvError::Lagged(n)) => {
                assert!(reported.is_none());
                *reported = Some(n);
            }
            Err(RecvError::Empty) => {}
            Err(RecvError::Disconnected) => unreachable!("the publisher is alive"),
        }
    }
}

/// Capacity 1: event 0 is out, and event 1 overwrites its slot while the
/// subscriber reads it. It never gets a torn value or a value under the wrong
/// number, and a lost event is reported exactly. Kills a weakened
/// [broadcast.read.begin], [broadcast.read.fence], [broadcast.write.fence] or
/// [broadcast.write.unlock]. Unbounded; its larger, bounded twin is
/// `subscriber_lapped_while_catching_up`.
#[test]
fn subscriber_racing_lapping_publisher() {
    loom::model(|| {
        let (mut publisher, mut sub) = channel::<u64>(1);
        publisher.publish(value(0));
        let p = thread::spawn(move || {
            publisher.publish(value(1));
            publisher // dropped after the subscriber is done
        });
        let mut e = Expect::default();
        check_tries(&mut sub, 1, &mut e);
        let publisher = p.join().unwrap();
        // Quiescent now: what is left is read at once, never Empty.
        check_tries(&mut sub, 2, &mut e);
        assert_eq!(e.seq, 2);
        assert_eq!(sub.try_recv(), Err(RecvError::Empty));
        drop(publisher);
    });
}

/// Capacity 2, three publishes racing three receives: the subscriber can be
/// lapped while it catches up (the `catch_up` loop). Bounded;
/// `subscriber_racing_lapping_publisher` is its unbounded twin.
#[test]
fn subscriber_lapped_while_catching_up() {
    bounded(2, || {
        let (mut publisher, mut sub) = channel::<u64>(2);
        let p = thread::spawn(move || {
            for seq in 0..3 {
                assert_eq!(publisher.publish(value(seq)), seq);
            }
            publisher
        });
        let mut e = Expect::default();
        check_tries(&mut sub, 3, &mut e);
        let publisher = p.join().unwrap();
        // Quiescent now: what is left is read at once, never Empty.
        check_tries(&mut sub, 3, &mut e);
        assert_eq!(e.seq, 3);
        drop(publisher);
    });
}

/// A subscriber blocked in `recv` is woken by a publish (no lost wake-up), and
/// gets the value. Also checks data published before the event is visible.
#[test]
fn blocked_recv_woken_by_publish() {
    loom::model(|| {
        let (mut publisher, mut sub) = channel::<u64>(2);
        let side = Arc::new(AtomicUsize::new(0));
        let p = {
            let side = side.clone();
            thread::spawn(move || {
                side.store(1, Ordering::Relaxed);
                publisher.publish(value(0));
                publisher
            })
        };
        assert_eq!(sub.recv(), Ok((0, value(0))));
        assert_eq!(side.load(Ordering::Relaxed), 1);
        drop(p.join().unwrap());
    });
}

/// A task waiting in `recv_async` is woken by a publish: its receive gives up
/// on a slot the publisher is writing (odd stamp, or a read torn by the
/// write) and waits in the cell, and the publish notifies after its closing
/// stamp store. Data published before the event is visible. A lost wake-up
/// deadlocks the model (`block_on` parks until the waker is woken).
#[test]
fn recv_async_woken_by_publish() {
    loom::model(|| {
        let (mut publisher, mut sub) = channel::<u64>(2);
        let side = Arc::new(AtomicUsize::new(0));
        let p = {
            let side = side.clone();
            thread::spawn(move || {
                side.store(1, Ordering::Relaxed);
                publisher.publish(value(0));
                publisher
            })
        };
        assert_eq!(loom::future::block_on(sub.recv_async()), Ok((0, value(0))));
        assert_eq!(side.load(Ordering::Relaxed), 1);
        drop(p.join().unwrap());
    });
}

/// The publisher publishes once and goes away: a blocked subscriber gets the
/// event first and only then `Disconnected`. Bounded; `disconnect_before_recv`
/// is its unbounded twin.
#[test]
fn disconnect_after_publish() {
    bounded(3, || {
        let (mut publisher, mut sub) = channel::<u64>(2);
        let s = thread::spawn(move || {
            assert_eq!(sub.recv(), Ok((0, value(0))));
            assert_eq!(sub.recv(), Err(RecvError::Disconnected));
        });
        publisher.publish(value(0));
        drop(publisher);
        s.join().unwrap();
    });
}

/// A polling subscriber that sees `Disconnected` has received the event: the
/// relaxed `closed` flag is ordered by [broadcast.write.fence] and
/// [broadcast.read.fence]. (Here, as in the models below, the
/// subscriber is the spawned thread: loom does not let a thread re-read a store
/// it saw before its last yield, and the spawning thread made the slots.)
#[test]
fn disconnect_before_recv() {
    loom::model(|| {
        let (mut publisher, mut sub) = channel::<u64>(2);
        let s = thread::spawn(move || {
            let first = sub.try_recv();
            if first == Err(RecvError::Disconnected) {
                panic!("Disconnected before the event");
            }
            if first.is_ok() {
                assert_eq!(first, Ok((0, value(0))));
            }
        });
        publisher.publish(value(0));
        drop(publisher);
        s.join().unwrap();
    });
}

/// A subscriber that `skip_to_latest` moved to an event finds it in its slot, and
/// never reports it missing: the relaxed tail is ordered by
/// [broadcast.write.fence] and [broadcast.read.fence].
#[test]
fn skip_to_latest_finds_it() {
    loom::model(|| {
        let (mut publisher, mut sub) = channel::<u64>(2);
        let s = thread::spawn(move || {
            if sub.skip_to_latest() == 1 {
                assert_eq!(sub.try_recv(), Ok((1, value(1))));
            }
        });
        publisher.publish(value(0));
        publisher.publish(value(1));
        s.join().unwrap();
    });
}
