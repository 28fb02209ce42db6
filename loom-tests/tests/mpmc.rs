#![cfg(loom)]
//! loom models of the MPMC ring. Every slot access is announced to loom's race
//! detector (sync::Tracker), so a weakened stamp ordering shows up as a race on a
//! slot; the futex is modelled, so a lost wake-up shows up as a deadlock.
//!
//! Run: RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target-loom \
//!      cargo test -p loom-tests --release --test mpmc
//!
//! Models with blocking waits, whose unbounded state space is too large, run with
//! a preemption bound (`bounded_unless_env`); each has an unbounded `try_` twin.

use loom::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use loom::sync::atomic::{AtomicBool, AtomicUsize};
use loom::sync::Arc;
use loom::thread;
use loom_tests::{bounded_unless_env, Counted};
use ringkit::mpmc::{self, Queue};
use ringkit::PopError;

/// A value whose payload lives on the heap: a use-after-move or double drop of a
/// slot value is then also visible to loom's leak/UB checks.
type Item = Box<u32>;

/// Two producers, one consumer, capacity 1, positions starting one lap before
/// the u64 wrap-around: the second item crosses it.
#[test]
fn mpmc_2p1c_wrap() {
    bounded_unless_env(2, || {
        let (tx, rx) = mpmc::channel_starting_at::<Item>(1, 1);
        let tx2 = tx.clone();
        let p1 = thread::spawn(move || tx.push(Box::new(1)).unwrap());
        let p2 = thread::spawn(move || tx2.push(Box::new(2)).unwrap());
        let a = *rx.pop().unwrap();
        let b = *rx.pop().unwrap();
        assert_eq!(a + b, 3);
        p1.join().unwrap();
        p2.join().unwrap();
        assert_eq!(rx.try_pop(), Err(PopError::Disconnected));
    });
}

/// One producer, two consumers, capacity 1, across the wrap-around; each consumer
/// gets exactly one item and together they get both.
#[test]
fn mpmc_1p2c_wrap() {
    bounded_unless_env(1, || {
        let (tx, rx) = mpmc::channel_starting_at::<Item>(1, 1);
        let rx2 = rx.clone();
        let c1 = thread::spawn(move || *rx.pop().unwrap());
        let c2 = thread::spawn(move || *rx2.pop().unwrap());
        tx.push(Box::new(1)).unwrap();
        tx.push(Box::new(2)).unwrap();
        let a = c1.join().unwrap();
        let b = c2.join().unwrap();
        assert_eq!(a + b, 3);
    });
}

/// Non-blocking, smaller sibling of `mpmc_1p2c_wrap` (still bounded: two
/// consumers can both sleep waiting for the in-flight push): one item is
/// pushed and popped first, so the racing push lands on the far side of the
/// wrap-around while two consumers race for it.
#[test]
fn mpmc_1p2c_wrap_try() {
    bounded_unless_env(3, || {
        let q = Arc::new(Queue::<Item>::starting_at(1, 1));
        q.try_push(Box::new(0)).unwrap();
        assert_eq!(q.try_pop().as_deref(), Some(&0));
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let q = q.clone();
                thread::spawn(move || q.try_pop().map_or(0, |b| *b))
            })
            .collect();
        q.try_push(Box::new(1)).unwrap();
        let mut sum: u32 = consumers.into_iter().map(|c| c.join().unwrap()).sum();
        while let Some(v) = q.try_pop() {
            sum += *v;
        }
        assert_eq!(sum, 1);
    });
}

/// Unbounded twin of the wrap models: one producer, one consumer, non-blocking,
/// the racing push on the far side of the wrap-around.
#[test]
fn mpmc_1p1c_wrap_try() {
    loom::model(|| {
        let q = Arc::new(Queue::<Item>::starting_at(1, 1));
        q.try_push(Box::new(0)).unwrap();
        assert_eq!(q.try_pop().as_deref(), Some(&0));
        let q2 = q.clone();
        let c = thread::spawn(move || q2.try_pop().map(|b| *b));
        q.try_push(Box::new(1)).unwrap();
        let got = c.join().unwrap().or_else(|| q.try_pop().map(|b| *b));
        assert_eq!(got, Some(1));
    });
}

/// Unbounded twin of the disconnection models, non-blocking: the receiver must
/// never see Disconnected before it has seen the item pushed before the drop.
#[test]
fn mpmc_disconnect_try() {
    loom::model(|| {
        let (tx, rx) = mpmc::channel::<Item>(1);
        let s = thread::spawn(move || tx.push(Box::new(7)).unwrap());
        let first = rx.try_pop();
        assert_ne!(first, Err(PopError::Disconnected), "item lost");
        s.join().unwrap();
        if first.is_err() {
            assert_eq!(rx.try_pop().as_deref(), Ok(&7));
        }
        assert_eq!(rx.try_pop(), Err(PopError::Disconnected));
    });
}

/// The try_ operations without the channel: two producers and a consumer on a
/// 2-slot Queue started near the wrap-around. The consumer must find both items
/// (non-blocking pops that return None are retried after the producers finish).
#[test]
fn mpmc_queue_try_ops_wrap() {
    loom::model(|| {
        let q = Arc::new(Queue::<Item>::starting_at(2, 1));
        // Move the positions to the last slot of the last lap before the wrap.
        q.try_push(Box::new(0)).unwrap();
        assert_eq!(q.try_pop().as_deref(), Some(&0));
        let producers: Vec<_> = (1..3)
            .map(|v| {
                let q = q.clone();
                thread::spawn(move || q.try_push(Box::new(v)).unwrap())
            })
            .collect();
        let mut sum = 0;
        if let Some(v) = q.try_pop() {
            sum += *v;
        }
        for p in producers {
            p.join().unwrap();
        }
        while let Some(v) = q.try_pop() {
            sum += *v;
        }
        assert_eq!(sum, 3);
    });
}

/// The last sender leaves (after pushing) while the receiver is blocked: the
/// receiver must get the item, then Disconnected, and never sleep forever.
#[test]
fn mpmc_disconnect_wakes_blocked_receiver() {
    bounded_unless_env(3, || {
        let (tx, rx) = mpmc::channel::<Item>(1);
        let s = thread::spawn(move || tx.push(Box::new(7)).unwrap());
        assert_eq!(rx.pop().as_deref(), Ok(&7));
        assert_eq!(rx.pop(), Err(PopError::Disconnected));
        s.join().unwrap();
    });
}

/// Two senders, one pushes and one only leaves; the receiver must still get the
/// item before Disconnected (the release sequence of the sender count). Bounded
/// preemptions: unbounded, three threads with blocking waits take too long.
#[test]
fn mpmc_disconnect_two_senders_bounded() {
    bounded_unless_env(2, || {
        let (tx, rx) = mpmc::channel::<Item>(1);
        let tx2 = tx.clone();
        let s1 = thread::spawn(move || tx.push(Box::new(7)).unwrap());
        let s2 = thread::spawn(move || drop(tx2));
        assert_eq!(rx.pop().as_deref(), Ok(&7));
        assert_eq!(rx.pop(), Err(PopError::Disconnected));
        s1.join().unwrap();
        s2.join().unwrap();
    });
}

/// The last receiver leaves while a sender is blocked on a full queue.
#[test]
fn mpmc_disconnect_wakes_blocked_sender() {
    loom::model(|| {
        let (tx, rx) = mpmc::channel::<Item>(1);
        tx.push(Box::new(1)).unwrap();
        let r = thread::spawn(move || drop(rx));
        let back = tx.push(Box::new(2)).unwrap_err();
        assert!(back.is_disconnected());
        r.join().unwrap();
    });
}

/// Two receivers leave while one of them pops: whichever leaves last closes the
/// queue and drops what the other did not pop, starting from the other's head
/// (the receiver count's release/acquire). Every item is popped or dropped by the
/// close, once, and before the last receiver's drop returns.
#[test]
fn mpmc_last_receiver_drops_the_rest() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = mpmc::channel::<Counted>(2);
        for _ in 0..2 {
            assert!(tx.try_push(Counted(drops.clone())).is_ok());
        }
        let rx2 = rx.clone();
        let t = thread::spawn(move || {
            let popped: Vec<Counted> = rx2.try_iter().collect();
            drop(rx2);
            popped
        });
        drop(rx);
        let popped = t.join().unwrap();
        assert_eq!(
            drops.load(Relaxed),
            2 - popped.len(),
            "the rest dropped once"
        );
        assert!(tx.is_disconnected());
        assert!(tx
            .try_push(Counted(drops.clone()))
            .unwrap_err()
            .is_disconnected());
        drop(popped);
        assert_eq!(drops.load(Relaxed), 3);
    });
}

/// The last receiver leaves while a push is in flight: the push either gets in
/// before the close, and then the close drops its item before the receiver's
/// drop returns (waiting for the push to finish writing), or it is handed back.
#[test]
fn mpmc_close_races_push() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = mpmc::channel::<Counted>(2);
        assert!(tx.try_push(Counted(drops.clone())).is_ok());
        let item = Counted(drops.clone());
        let s = thread::spawn(move || tx.try_push(item).err());
        drop(rx);
        let dropped = drops.load(Relaxed);
        match s.join().unwrap() {
            None => assert_eq!(dropped, 2, "a push that got in is dropped by the close"),
            Some(back) => {
                assert!(back.is_disconnected());
                assert_eq!(dropped, 1, "a handed-back item is not dropped");
            }
        }
    });
}

/// force_push on a full 1-slot queue races a pop: every item ends up exactly once
/// in the evicted value, the popped value or the queue.
#[test]
fn mpmc_force_push_vs_pop() {
    loom::model(|| {
        let q = Arc::new(Queue::<Item>::starting_at(1, 1));
        q.try_push(Box::new(1)).unwrap();
        let q2 = q.clone();
        let popper = thread::spawn(move || q2.try_pop().map(|b| *b));
        let evicted = q.force_push(Box::new(2)).map(|b| *b);
        let popped = popper.join().unwrap();
        let left = q.try_pop().map(|b| *b);
        let mut all: Vec<u32> = [evicted, popped, left].into_iter().flatten().collect();
        all.sort();
        assert_eq!(all, [1, 2]);
        // The queue is FIFO: the pop can only have seen 1, or 2 after the eviction.
        assert!(evicted.is_some() || popped == Some(1));
    });
}

/// force_push on a 1-slot queue races a plain push on the other side of the
/// wrap-around, with a pop to make room.
#[test]
fn mpmc_force_push_vs_push() {
    loom::model(|| {
        let q = Arc::new(Queue::<Item>::starting_at(1, 1));
        q.try_push(Box::new(1)).unwrap();
        let q2 = q.clone();
        let pusher = thread::spawn(move || q2.try_push(Box::new(2)).err().map(|b| *b.into_inner()));
        let evicted = q.force_push(Box::new(3)).map(|b| *b);
        let rejected = pusher.join().unwrap();
        let left = q.try_pop().map(|b| *b);
        let mut all: Vec<u32> = [evicted, rejected, left].into_iter().flatten().collect();
        all.sort();
        assert_eq!(all, [1, 2, 3]);
    });
}

/// force_push into a queue with room takes the plain push path: its stamp store
/// must publish the slot to a consumer on another thread (across the wrap).
#[test]
fn mpmc_force_push_publishes_to_pop() {
    loom::model(|| {
        let q = Arc::new(Queue::<Item>::starting_at(2, 1));
        let q2 = q.clone();
        let pusher = thread::spawn(move || {
            assert!(q2.force_push(Box::new(1)).is_none());
            assert!(q2.force_push(Box::new(2)).is_none());
        });
        for want in 1..=2 {
            loop {
                if let Some(v) = q.try_pop() {
                    assert_eq!(*v, want);
                    break;
                }
                thread::yield_now();
            }
        }
        pusher.join().unwrap();
    });
}

/// Never a spurious `Full`: the positions' release/acquire pairs carry a pop to
/// a push that did not see it directly. Capacity 2, item 0 in the queue. A
/// consumer pops it and raises a flag; a second producer pushes only if it saw
/// the flag. A third producer's push therefore never meets two items (0 and 1
/// are never in the queue together, and its own is the other), so `Full` would
/// be spurious. It is reachable if that push reads the tail the second
/// producer wrote but a stamp and head from before the pop. The checked push
/// runs on a spawned thread: on the model's main thread loom explored no stale
/// read after that tail.
#[test]
fn mpmc_try_push_never_spuriously_full() {
    loom::model(|| {
        let q = Arc::new(Queue::<u32>::new(2));
        q.try_push(0).unwrap();
        let popped = Arc::new(AtomicBool::new(false));
        let consumer = {
            let (q, popped) = (q.clone(), popped.clone());
            thread::spawn(move || {
                assert_eq!(q.try_pop(), Some(0));
                popped.store(true, Release);
            })
        };
        let producer = {
            let (q, popped) = (q.clone(), popped.clone());
            thread::spawn(move || {
                if popped.load(Acquire) {
                    assert_eq!(q.try_push(1), Ok(()));
                }
            })
        };
        let checked = {
            let q = q.clone();
            thread::spawn(move || assert_eq!(q.try_push(2), Ok(()), "spurious Full"))
        };
        checked.join().unwrap();
        consumer.join().unwrap();
        producer.join().unwrap();
    });
}

/// Never a spurious empty, the mirror of `mpmc_try_push_never_spuriously_full`:
/// capacity 2, item 0 in the queue. A producer pushes item 1 and raises a flag;
/// a second consumer pops only if it saw the flag. Until a third consumer
/// pops, an item is always in the queue (0 until the second consumer takes it,
/// and 1 was pushed before that), so `None` would be spurious. It is reachable
/// if that pop reads the head the second consumer wrote but a stamp and tail
/// from before the push.
#[test]
fn mpmc_try_pop_never_spuriously_empty() {
    loom::model(|| {
        let q = Arc::new(Queue::<u32>::new(2));
        q.try_push(0).unwrap();
        let pushed = Arc::new(AtomicBool::new(false));
        let producer = {
            let (q, pushed) = (q.clone(), pushed.clone());
            thread::spawn(move || {
                assert_eq!(q.try_push(1), Ok(()));
                pushed.store(true, Release);
            })
        };
        let consumer = {
            let (q, pushed) = (q.clone(), pushed.clone());
            thread::spawn(move || {
                if pushed.load(Acquire) {
                    assert!(q.try_pop().is_some(), "spurious empty (second consumer)");
                }
            })
        };
        let checked = {
            let q = q.clone();
            thread::spawn(move || assert!(q.try_pop().is_some(), "spurious empty"))
        };
        checked.join().unwrap();
        producer.join().unwrap();
        consumer.join().unwrap();
    });
}

/// `mpmc_try_push_never_spuriously_full` through channel handles, whose
/// pushes start at the handle's guess of the tail instead of a loaded tail.
/// Every handle is cloned after item 0 went in, so each guesses position 1: the
/// checked push's guess is stale once the second producer has pushed, and its
/// verdict must still come from a tail that carries the pop.
#[test]
fn mpmc_channel_try_push_never_spuriously_full() {
    loom::model(|| {
        let (tx, rx) = mpmc::channel::<u32>(2);
        tx.try_push(0).unwrap();
        let popped = Arc::new(AtomicBool::new(false));
        let consumer = {
            let (rx, popped) = (rx.clone(), popped.clone());
            thread::spawn(move || {
                assert_eq!(rx.try_pop(), Ok(0));
                popped.store(true, Release);
            })
        };
        let producer = {
            let (tx, popped) = (tx.clone(), popped.clone());
            thread::spawn(move || {
                if popped.load(Acquire) {
                    assert_eq!(tx.try_push(1), Ok(()));
                }
            })
        };
        let checked = {
            let tx = tx.clone();
            thread::spawn(move || assert_eq!(tx.try_push(2), Ok(()), "spurious Full"))
        };
        checked.join().unwrap();
        consumer.join().unwrap();
        producer.join().unwrap();
        drop(rx); // only now: until here the pushes must not see a disconnection
    });
}

/// `mpmc_try_pop_never_spuriously_empty` through channel handles, whose pops
/// start at the handle's guess of the head, as in the model above.
#[test]
fn mpmc_channel_try_pop_never_spuriously_empty() {
    loom::model(|| {
        let (tx, rx) = mpmc::channel::<u32>(2);
        tx.try_push(0).unwrap();
        let pushed = Arc::new(AtomicBool::new(false));
        let producer = {
            let (tx, pushed) = (tx.clone(), pushed.clone());
            thread::spawn(move || {
                assert_eq!(tx.try_push(1), Ok(()));
                pushed.store(true, Release);
            })
        };
        let consumer = {
            let (rx, pushed) = (rx.clone(), pushed.clone());
            thread::spawn(move || {
                if pushed.load(Acquire) {
                    assert!(rx.try_pop().is_ok(), "spurious Empty (second consumer)");
                }
            })
        };
        let checked = {
            let rx = rx.clone();
            thread::spawn(move || assert!(rx.try_pop().is_ok(), "spurious Empty"))
        };
        checked.join().unwrap();
        producer.join().unwrap();
        consumer.join().unwrap();
        drop(tx); // only now, as in the model above
    });
}

/// A `force_push` that reads the tail another eviction stored must also see
/// that eviction's head, or it waits for a pop nobody has claimed. Capacity 2,
/// full with items 1 and 2, no consumer; two threads force in items 3 and 4.
/// With the tail store or load weakened the second one can see the new tail
/// but the old head, take the oldest item for one that a pop is still reading,
/// and sleep for ever: loom reports the deadlock.
#[test]
fn mpmc_force_push_after_eviction() {
    loom::model(|| {
        let q = Arc::new(Queue::<u32>::new(2));
        q.try_push(0).unwrap();
        q.try_push(1).unwrap();
        assert_eq!(q.try_pop(), Some(0));
        q.try_push(2).unwrap();
        let forcers: Vec<_> = [3, 4]
            .into_iter()
            .map(|v| {
                let q = q.clone();
                thread::spawn(move || q.force_push(v))
            })
            .collect();
        let mut evicted: Vec<u32> = forcers
            .into_iter()
            .map(|f| f.join().unwrap().unwrap())
            .collect();
        evicted.sort_unstable();
        assert_eq!(evicted, [1, 2]);
        let mut left = [q.try_pop().unwrap(), q.try_pop().unwrap()];
        left.sort_unstable();
        assert_eq!(left, [3, 4]);
    });
}

/// Never a spurious empty after an eviction: capacity 2, item 0 in the queue.
/// A producer pushes item 1 and raises a flag; an evicting producer calls
/// `force_push(2)` only if it saw the flag, so it evicts item 0 only while
/// item 1 is in the queue. A consumer that reads the head the eviction moved
/// must therefore find an item. (With one thread doing both pushes, loom finds
/// no stale read here.)
#[test]
fn mpmc_try_pop_after_eviction_never_spuriously_empty() {
    loom::model(|| {
        let q = Arc::new(Queue::<u32>::new(2));
        q.try_push(0).unwrap();
        let pushed = Arc::new(AtomicBool::new(false));
        let producer = {
            let (q, pushed) = (q.clone(), pushed.clone());
            thread::spawn(move || {
                assert_eq!(q.try_push(1), Ok(()));
                pushed.store(true, Release);
            })
        };
        let evicter = {
            let (q, pushed) = (q.clone(), pushed.clone());
            thread::spawn(move || {
                if pushed.load(Acquire) {
                    // Item 0 if it is still there, else nothing (room).
                    assert!(matches!(q.force_push(2), None | Some(0)));
                }
            })
        };
        let consumer = {
            let q = q.clone();
            thread::spawn(move || assert!(q.try_pop().is_some(), "spurious empty"))
        };
        consumer.join().unwrap();
        producer.join().unwrap();
        evicter.join().unwrap();
    });
}
