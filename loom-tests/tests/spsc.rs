//! loom models of the SPSC ring. Every slot access is announced to loom (see
//! `Tracker` in src/sync/tracker.rs), so a slot read that is not ordered after its write,
//! or a write not ordered after the previous read, fails the model; the futex is
//! modelled with a Mutex + Condvar, so a lost wake-up deadlocks the model.
#![cfg(loom)]

use loom::sync::atomic::AtomicUsize;
use loom::sync::atomic::Ordering::Relaxed;
use loom::sync::Arc;
use loom::thread;
use loom_tests::Counted;
use ringkit::spsc::{channel, channel_starting_at};
use ringkit::{PopError, PushError};

/// Spins (yielding to loom) until the push lands.
fn push_spin(tx: &mut ringkit::spsc::Producer<Box<u32>>, v: u32) {
    let mut v = Box::new(v);
    loop {
        match tx.try_push(v) {
            Ok(()) => return,
            Err(PushError::Full(back)) => {
                v = back;
                thread::yield_now();
            }
            Err(e) => panic!("{e:?}"),
        }
    }
}

fn pop_spin(rx: &mut ringkit::spsc::Consumer<Box<u32>>) -> Result<u32, PopError> {
    loop {
        match rx.try_pop() {
            Ok(v) => return Ok(*v),
            Err(PopError::Empty) => thread::yield_now(),
            Err(e) => return Err(e),
        }
    }
}

/// Three items through a 2-slot ring whose positions cross usize::MAX: slot reuse
/// (head acquire/release) and publication (tail acquire/release) are both needed.
#[test]
fn push_pop_across_wrap() {
    loom::model(|| {
        let (mut tx, mut rx) = channel_starting_at::<Box<u32>>(2, usize::MAX - 1);
        let p = thread::spawn(move || {
            for i in 0..3 {
                push_spin(&mut tx, i);
            }
        });
        for i in 0..3 {
            assert_eq!(pop_spin(&mut rx), Ok(i));
        }
        p.join().unwrap();
    });
}

/// `peek` reads the slot in place: it must see the published value.
#[test]
fn peek_sees_published_value() {
    loom::model(|| {
        let (mut tx, mut rx) = channel_starting_at::<Box<u32>>(1, usize::MAX);
        let p = thread::spawn(move || {
            push_spin(&mut tx, 1);
            push_spin(&mut tx, 2);
        });
        for i in 1..=2 {
            loop {
                if let Some(v) = rx.peek() {
                    assert_eq!(**v, i);
                    break;
                }
                thread::yield_now();
            }
            assert_eq!(rx.try_pop().map(|b| *b), Ok(i));
        }
        p.join().unwrap();
    });
}

/// A capacity-1 ring: every push reuses the slot the last pop freed.
#[test]
fn push_pop_capacity_one() {
    loom::model(|| {
        let (mut tx, mut rx) = channel::<Box<u32>>(1);
        let p = thread::spawn(move || {
            push_spin(&mut tx, 1);
            push_spin(&mut tx, 2);
        });
        assert_eq!(pop_spin(&mut rx), Ok(1));
        assert_eq!(pop_spin(&mut rx), Ok(2));
        p.join().unwrap();
    });
}

/// Chunks: the producer writes two slots in one chunk (wrapping), the consumer
/// reads a chunk, commits one item, then pops the other.
#[test]
fn chunk_commit() {
    loom::model(|| {
        let (mut tx, mut rx) = channel_starting_at::<u32>(2, usize::MAX);
        tx.try_push(9).unwrap();
        let p = thread::spawn(move || loop {
            if let Ok(chunk) = tx.write_chunk_uninit(2) {
                assert_eq!(chunk.fill_from_iter([1, 2]), 2);
                break;
            }
            thread::yield_now();
        });
        assert_eq!(rx.pop(), Ok(9));
        let chunk = loop {
            match rx.read_chunk(2) {
                Ok(c) => break c,
                Err(_) => thread::yield_now(),
            }
        };
        let (a, b) = chunk.as_slices();
        assert_eq!([a, b].concat(), [1, 2]);
        chunk.commit(1);
        assert_eq!(rx.try_pop(), Ok(2));
        assert_eq!(rx.next_seq(), (usize::MAX as u64).wrapping_add(3));
        p.join().unwrap();
    });
}

/// The producer pushes and leaves; the consumer must get the item before it
/// sees Disconnected (the gone flag's release/acquire and the tail re-check).
#[test]
fn disconnect_after_push() {
    loom::model(|| {
        let (mut tx, mut rx) = channel::<Box<u32>>(2);
        let p = thread::spawn(move || {
            push_spin(&mut tx, 7);
            drop(tx);
        });
        assert_eq!(pop_spin(&mut rx), Ok(7));
        assert_eq!(pop_spin(&mut rx), Err(PopError::Disconnected));
        p.join().unwrap();
    });
}

/// The consumer leaves while the producer pushes: leftovers are dropped with the
/// ring (loom checks the Box is freed exactly once), and a later push is refused.
#[test]
fn consumer_leaves_while_producer_pushes() {
    loom::model(|| {
        let (mut tx, rx) = channel::<Box<u32>>(1);
        let c = thread::spawn(move || drop(rx));
        let first = tx.try_push(Box::new(1));
        c.join().unwrap();
        assert!(first.is_ok() || first.unwrap_err().is_disconnected());
        assert!(tx.try_push(Box::new(2)).unwrap_err().is_disconnected());
    });
}

/// The consumer leaves with an item in the ring while the producer pushes
/// another: its drop drops the first before it returns (reading the slot after
/// the push's publication), and the second is refused, or dropped by the
/// consumer or with the ring; each once.
#[test]
fn consumer_drop_drops_leftovers() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (mut tx, rx) = channel::<Counted>(2);
        assert!(tx.try_push(Counted(drops.clone())).is_ok());
        let d = drops.clone();
        let c = thread::spawn(move || {
            drop(rx);
            d.load(Relaxed)
        });
        let second = tx.try_push(Counted(drops.clone()));
        assert!(
            c.join().unwrap() >= 1,
            "the first item went with the consumer"
        );
        if let Err(back) = second {
            assert!(back.is_disconnected());
        }
        drop(tx);
        assert_eq!(drops.load(Relaxed), 2);
    });
}

/// A consumer blocked in `pop` is woken by a push: the no-lost-wake-up protocol.
#[test]
fn blocked_pop_woken_by_push() {
    loom::model(|| {
        let (mut tx, mut rx) = channel::<Box<u32>>(1);
        let c = thread::spawn(move || rx.pop().map(|b| *b));
        tx.push(Box::new(5)).unwrap();
        assert_eq!(c.join().unwrap(), Ok(5));
    });
}

/// A producer blocked in `push` on a full ring is woken by a pop.
#[test]
fn blocked_push_woken_by_pop() {
    loom::model(|| {
        let (mut tx, mut rx) = channel::<Box<u32>>(1);
        tx.try_push(Box::new(1)).unwrap();
        let p = thread::spawn(move || tx.push(Box::new(2)).map_err(|e| *e.into_inner()));
        assert_eq!(rx.pop().map(|b| *b), Ok(1));
        assert_eq!(p.join().unwrap(), Ok(()));
        assert_eq!(rx.pop().map(|b| *b), Ok(2));
    });
}

/// A consumer blocked in `pop` is woken when the producer is dropped.
#[test]
fn blocked_pop_woken_by_disconnect() {
    loom::model(|| {
        let (tx, mut rx) = channel::<Box<u32>>(1);
        let c = thread::spawn(move || rx.pop().map(|b| *b));
        drop(tx);
        assert_eq!(c.join().unwrap(), Err(PopError::Disconnected));
    });
}

/// A chunk iterator that is forgotten after moving items out: the consumer
/// publishes its position later (here: when it finds the ring empty, then when a
/// blocking pop waits), and the producer's rewrite of those slots must still be
/// ordered after the consumer's reads of them, and neither end may wait forever.
#[test]
fn forgotten_chunk_iterator_then_blocking_ends() {
    loom::model(|| {
        let (mut tx, mut rx) = channel::<Box<u32>>(1);
        push_spin(&mut tx, 0);
        let p = thread::spawn(move || {
            // Waits for the slot item 0 leaves, then reuses it.
            tx.push(Box::new(1)).unwrap();
        });
        let mut it = rx.read_chunk(1).unwrap().into_iter();
        assert_eq!(it.next().map(|b| *b), Some(0));
        std::mem::forget(it);
        assert_eq!(rx.pop().map(|b| *b), Ok(1));
        p.join().unwrap();
    });
}

/// Spins (yielding to loom) until the push lands, on the stamped ring.
fn stamped_push_spin(tx: &mut ringkit::spsc::stamped::Producer<u32>, v: u32) {
    loop {
        match tx.try_push(v) {
            Ok(()) => return,
            Err(PushError::Full(_)) => thread::yield_now(),
            Err(e) => panic!("{e:?}"),
        }
    }
}

fn stamped_pop_spin(rx: &mut ringkit::spsc::stamped::Consumer<u32>) -> Result<u32, PopError> {
    loop {
        match rx.try_pop() {
            Ok(v) => return Ok(v),
            Err(PopError::Empty) => thread::yield_now(),
            Err(e) => return Err(e),
        }
    }
}

/// The stamped ring: three items through two slots whose positions (and stamps)
/// cross usize::MAX. A slot's value is handed over by its stamp (release/acquire)
/// and handed back by `head` (release/acquire); loom's slot tracking fails the
/// model if either is weakened.
#[test]
fn stamped_push_pop_across_wrap() {
    loom::model(|| {
        let (mut tx, mut rx) =
            ringkit::spsc::stamped::channel_starting_at::<u32>(2, usize::MAX - 1);
        let p = thread::spawn(move || {
            for i in 0..3 {
                stamped_push_spin(&mut tx, i);
            }
        });
        for i in 0..3 {
            assert_eq!(stamped_pop_spin(&mut rx), Ok(i));
        }
        p.join().unwrap();
    });
}

/// The stamped ring: the producer pushes and leaves; the consumer must get the
/// item before it sees Disconnected (the gone flag's release/acquire, then the
/// stamp looked at again).
#[test]
fn stamped_disconnect_after_push() {
    loom::model(|| {
        let (mut tx, mut rx) = ringkit::spsc::stamped::channel::<u32>(2);
        let p = thread::spawn(move || {
            stamped_push_spin(&mut tx, 7);
            drop(tx);
        });
        assert_eq!(stamped_pop_spin(&mut rx), Ok(7));
        assert_eq!(stamped_pop_spin(&mut rx), Err(PopError::Disconnected));
        p.join().unwrap();
    });
}
