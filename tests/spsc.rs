//! Behaviour of the SPSC ring through its public API.

// Blocking and timeouts throughout: the std feature (tests/nostd.rs covers the rest).
#![cfg(feature = "std")]

mod common;

use common::{scaled, Counted};
use ringkit::spsc::{self, channel, channel_starting_at, try_channel};
use ringkit::{CapacityError, ChunkError, PopError, PopTimeoutError, PushError, PushTimeoutError};
use std::io::{Read, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

#[test]
fn exactly_once_in_order_through_a_small_ring() {
    let n = scaled(10_000_000, 500);
    let (mut tx, mut rx) = channel::<u64>(7);
    let producer = thread::spawn(move || {
        for i in 0..n {
            let mut v = i;
            loop {
                match tx.try_push(v) {
                    Ok(()) => break,
                    Err(PushError::Full(back)) => {
                        v = back;
                        std::hint::spin_loop();
                    }
                    Err(e) => panic!("unexpected {e:?}"),
                }
            }
        }
    });
    let mut expected = 0u64;
    loop {
        match rx.try_pop() {
            Ok(v) => {
                assert_eq!(v, expected, "item out of order or duplicated");
                assert_eq!(rx.next_seq(), expected + 1);
                expected += 1;
            }
            Err(PopError::Empty) => std::hint::spin_loop(),
            Err(PopError::Disconnected) => break,
        }
    }
    producer.join().unwrap();
    assert_eq!(expected, n, "items lost");
}

#[test]
fn blocking_exactly_once_with_chunks_on_both_sides() {
    let n = scaled(2_000_000, 200) as usize;
    let (mut tx, mut rx) = channel::<u64>(64);
    let producer = thread::spawn(move || {
        let mut next = 0usize;
        while next < n {
            let want = (n - next).min(13);
            match tx.write_chunk_uninit(want) {
                Ok(chunk) => {
                    next += chunk.fill_from_iter((next..next + want).map(|i| i as u64));
                }
                Err(ChunkError::TooFewSlots { .. }) => {
                    // Fall back to a blocking single push to wait for room.
                    tx.push(next as u64).unwrap();
                    next += 1;
                }
                Err(e) => panic!("{e}"),
            }
        }
    });
    let mut expected = 0u64;
    while (expected as usize) < n {
        let avail = rx.len().clamp(1, 17);
        match rx.read_chunk(avail) {
            Ok(chunk) => {
                assert_eq!(chunk.first_seq(), expected);
                let (a, b) = chunk.as_slices();
                for &v in a.iter().chain(b) {
                    assert_eq!(v, expected);
                    expected += 1;
                }
                chunk.commit_all();
            }
            Err(ChunkError::TooFewItems { .. }) => {
                assert_eq!(rx.pop(), Ok(expected));
                expected += 1;
            }
            Err(e) => panic!("{e}"),
        }
    }
    producer.join().unwrap();
    assert_eq!(rx.pop(), Err(PopError::Disconnected));
}

#[test]
fn capacity_zero_is_an_error_and_a_clear_panic() {
    assert_eq!(try_channel::<u8>(0).err(), Some(CapacityError::Zero));
    assert!(matches!(
        try_channel::<u64>(usize::MAX).err(),
        Some(CapacityError::TooLarge {
            requested: usize::MAX
        })
    ));
    let err = catch_unwind(|| channel::<u8>(0)).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(msg.contains("capacity must be at least 1"), "{msg}");
}

#[test]
fn capacity_one_uses_its_only_slot() {
    let (mut tx, mut rx) = channel::<u32>(1);
    assert!(tx.is_empty());
    tx.try_push(1).unwrap();
    assert!(tx.is_full() && rx.is_full());
    assert_eq!(tx.try_push(2), Err(PushError::Full(2)));
    assert_eq!(rx.peek(), Some(&1));
    assert_eq!(rx.try_pop(), Ok(1));
    assert_eq!(rx.try_pop(), Err(PopError::Empty));
    tx.try_push(3).unwrap();
    assert_eq!(rx.try_pop(), Ok(3));
    assert_eq!(rx.next_seq(), 2);
}

#[test]
fn every_slot_is_used_for_odd_capacities() {
    for cap in [1, 2, 3, 5, 7, 100] {
        let (mut tx, mut rx) = channel::<usize>(cap);
        for round in 0..3 {
            for i in 0..cap {
                tx.try_push(round * 1000 + i).unwrap();
            }
            assert!(tx.try_push(0).unwrap_err().is_full());
            assert_eq!(rx.len(), cap);
            for i in 0..cap {
                assert_eq!(rx.try_pop(), Ok(round * 1000 + i));
            }
        }
    }
}

#[test]
fn positions_wrap_around_usize_max() {
    for cap in [1usize, 3, 4] {
        let start = usize::MAX - 5;
        let (mut tx, mut rx) = channel_starting_at::<usize>(cap, start);
        let mut next_in = 0;
        let mut next_out = 0;
        for _ in 0..30 {
            while tx.try_push(next_in).is_ok() {
                next_in += 1;
            }
            assert_eq!(tx.len(), cap);
            let chunk = rx.read_chunk(cap).unwrap();
            let (a, b) = chunk.as_slices();
            let got: Vec<usize> = a.iter().chain(b).copied().collect();
            assert_eq!(got, (next_out..next_out + cap).collect::<Vec<_>>());
            chunk.commit(cap - 1);
            next_out += cap - 1;
            assert_eq!(rx.next_seq(), (start as u64).wrapping_add(next_out as u64));
            assert_eq!(rx.try_pop(), Ok(next_out));
            next_out += 1;
        }
        assert!(next_in > 6, "the test must cross usize::MAX");
    }
}

#[test]
fn leftovers_are_dropped_exactly_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (mut tx, mut rx) = channel::<Counted>(5);
    for i in 0..5 {
        tx.try_push(Counted::new(i, &drops)).unwrap();
    }
    // Move two out (dropped here), wrap, push two more.
    drop(rx.try_pop().unwrap());
    drop(rx.try_pop().unwrap());
    tx.try_push(Counted::new(5, &drops)).unwrap();
    tx.try_push(Counted::new(6, &drops)).unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    drop(rx);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        7,
        "the consumer drops what is left"
    );
    drop(tx);
    assert_eq!(drops.load(Ordering::SeqCst), 7);
}

/// The producer pushes without pause while the consumer pops a few and leaves:
/// every item pushed is popped, dropped by the consumer's drop, or (if its push
/// raced that drop) dropped with the ring when the producer goes; each once.
/// Items refused after the consumer left are handed back, not dropped.
#[test]
fn consumer_drop_races_pushes() {
    for round in 0..scaled(300, 6) as usize {
        let drops = Arc::new(AtomicUsize::new(0));
        let (mut tx, mut rx) = channel::<Counted>(1 + round % 4);
        let d = drops.clone();
        let producer = thread::spawn(move || {
            let mut pushed = 0u64;
            let mut value = Counted::new(0, &d);
            loop {
                match tx.try_push(value) {
                    Ok(()) => {
                        pushed += 1;
                        value = Counted::new(pushed, &d);
                    }
                    Err(PushError::Full(v)) => value = v,
                    Err(PushError::Disconnected(v)) => return (pushed, tx, v),
                }
            }
        });
        for _ in 0..round % 3 {
            while rx.try_pop().is_err() {
                std::hint::spin_loop();
            }
        }
        drop(rx);
        let (pushed, tx, handed_back) = producer.join().unwrap();
        drop(tx);
        assert_eq!(drops.load(Ordering::SeqCst) as u64, pushed, "round {round}");
        drop(handed_back);
        assert_eq!(
            drops.load(Ordering::SeqCst) as u64,
            pushed + 1,
            "round {round}"
        );
    }
}

#[test]
fn a_rejected_value_comes_back_and_is_not_dropped() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (mut tx, rx) = channel::<Counted>(1);
    tx.try_push(Counted::new(0, &drops)).unwrap();
    let back = tx.try_push(Counted::new(1, &drops)).unwrap_err();
    assert!(back.is_full());
    assert_eq!(back.into_inner().id, 1);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    drop(rx);
    let back = tx.try_push(Counted::new(2, &drops)).unwrap_err();
    assert!(back.is_disconnected());
    assert_eq!(back.into_inner().id, 2);
    drop(tx);
    assert_eq!(drops.load(Ordering::SeqCst), 3);
}

/// Panics in `Drop` when its flag says so.
struct Bomb {
    drops: Arc<AtomicUsize>,
    explode: bool,
}

impl Drop for Bomb {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
        if self.explode {
            panic!("boom");
        }
    }
}

#[test]
fn a_panicking_drop_among_leftovers_does_not_leak_or_double_drop() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (mut tx, rx) = channel::<Bomb>(4);
    for i in 0..4 {
        tx.try_push(Bomb {
            drops: drops.clone(),
            explode: i == 1,
        })
        .unwrap();
    }
    drop(tx);
    assert!(catch_unwind(AssertUnwindSafe(|| drop(rx))).is_err());
    assert_eq!(drops.load(Ordering::SeqCst), 4);
}

#[test]
fn a_panicking_drop_in_read_chunk_commit_keeps_the_rest() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (mut tx, mut rx) = channel::<Bomb>(4);
    for i in 0..4 {
        tx.try_push(Bomb {
            drops: drops.clone(),
            explode: i == 1,
        })
        .unwrap();
    }
    let chunk = rx.read_chunk(3).unwrap();
    assert!(catch_unwind(AssertUnwindSafe(|| chunk.commit(3))).is_err());
    // Items 0 and 1 are gone (1 panicked while dropping); 2 and 3 stay.
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    assert_eq!(rx.len(), 2);
    assert_eq!(rx.next_seq(), 2);
    rx.try_pop().unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 3);
    drop((tx, rx));
    assert_eq!(drops.load(Ordering::SeqCst), 4);
}

#[test]
fn zero_sized_items() {
    let (mut tx, mut rx) = channel::<()>(3);
    for _ in 0..3 {
        tx.try_push(()).unwrap();
    }
    assert!(tx.try_push(()).unwrap_err().is_full());
    assert_eq!(rx.try_iter().count(), 3);
    // A huge capacity of a zero-sized type allocates nothing and works.
    let (mut tx, mut rx) = channel::<()>(usize::MAX / 4);
    tx.try_push(()).unwrap();
    assert_eq!(rx.try_pop(), Ok(()));
}

#[test]
fn write_chunk_commits_fewer_than_requested() {
    let drops = Arc::new(AtomicUsize::new(0));
    #[derive(Default)]
    struct D(Option<Arc<AtomicUsize>>, u32);
    impl Drop for D {
        fn drop(&mut self) {
            if let Some(d) = &self.0 {
                d.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
    let (mut tx, mut rx) = channel::<D>(4);
    tx.try_push(D::default()).unwrap();
    rx.try_pop().unwrap(); // start the chunk at slot 1 so it wraps
    let mut chunk = tx.write_chunk(4).unwrap();
    {
        let (a, b) = chunk.as_mut_slices();
        assert_eq!((a.len(), b.len()), (3, 1));
        for (i, x) in a.iter_mut().chain(b.iter_mut()).enumerate() {
            *x = D(Some(drops.clone()), i as u32);
        }
    }
    chunk.commit(2);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        2,
        "the two uncommitted values are dropped"
    );
    assert_eq!(rx.len(), 2);
    assert_eq!(rx.try_pop().unwrap().1, 0);
    assert_eq!(rx.try_pop().unwrap().1, 1);
    assert_eq!(drops.load(Ordering::SeqCst), 4);

    // Dropped or forgotten without commit: nothing is published.
    drop(tx.write_chunk(3).unwrap());
    std::mem::forget(tx.write_chunk(3).unwrap());
    let _unused = tx.write_chunk_uninit(2).unwrap();
    assert_eq!(rx.try_pop().err(), Some(PopError::Empty));
    // commit(0) is allowed.
    tx.write_chunk(1).unwrap().commit(0);
    assert!(rx.is_empty());
    assert_eq!(
        tx.write_chunk(5).err(),
        Some(ChunkError::TooFewSlots { available: 4 })
    );
    assert_eq!(
        rx.read_chunk(1).err(),
        Some(ChunkError::TooFewItems { available: 0 })
    );
}

#[test]
fn commit_beyond_the_chunk_panics_and_commits_nothing() {
    let (mut tx, mut rx) = channel::<u8>(4);
    let chunk = tx.write_chunk(2).unwrap();
    assert!(catch_unwind(AssertUnwindSafe(|| chunk.commit(3))).is_err());
    assert!(rx.is_empty());
    tx.try_push(1).unwrap();
    let chunk = rx.read_chunk(1).unwrap();
    assert!(catch_unwind(AssertUnwindSafe(|| chunk.commit(2))).is_err());
    assert_eq!(rx.try_pop(), Ok(1));
}

#[test]
fn a_panic_while_filling_or_reading_a_chunk_loses_nothing() {
    let (mut tx, mut rx) = channel::<String>(8);
    // The iterator panics after two items: those two are published.
    let r = catch_unwind(AssertUnwindSafe(|| {
        let chunk = tx.write_chunk_uninit(5).unwrap();
        chunk.fill_from_iter((0..5).map(|i| {
            assert!(i < 2, "source failed");
            i.to_string()
        }));
    }));
    assert!(r.is_err());
    assert_eq!(rx.len(), 2);
    // A reader that panics mid-chunk removes nothing.
    let r = catch_unwind(AssertUnwindSafe(|| {
        let chunk = rx.read_chunk(2).unwrap();
        let (a, _) = chunk.as_slices();
        assert_eq!(a[0], "0");
        panic!("handler failed");
    }));
    assert!(r.is_err());
    assert_eq!(rx.len(), 2);
    // Moving out through the iterator: what was taken is removed, the rest stays.
    let r = catch_unwind(AssertUnwindSafe(|| {
        for s in rx.read_chunk(2).unwrap() {
            assert_eq!(s, "0");
        }
    }));
    assert!(r.is_err(), "the second item fails the assertion");
    // "0" was taken, "1" was taken and dropped by the panic; nothing stays.
    assert_eq!(rx.len(), 0);
    assert_eq!(rx.next_seq(), 2);
}

#[test]
fn disconnection_is_seen_from_both_sides() {
    let (mut tx, mut rx) = channel::<u8>(2);
    tx.try_push(1).unwrap();
    drop(tx);
    assert!(rx.is_disconnected());
    assert_eq!(
        rx.try_pop(),
        Ok(1),
        "items pushed before the producer left are kept"
    );
    assert_eq!(rx.try_pop(), Err(PopError::Disconnected));
    assert_eq!(rx.pop(), Err(PopError::Disconnected));
    assert_eq!(
        rx.pop_timeout(Duration::from_secs(5)),
        Err(PopTimeoutError::Disconnected)
    );

    let (mut tx, rx) = channel::<u8>(2);
    assert!(!tx.is_disconnected());
    drop(rx);
    assert!(tx.is_disconnected());
    assert_eq!(tx.try_push(1), Err(PushError::Disconnected(1)));
    assert_eq!(tx.push(2), Err(PushError::Disconnected(2)));
}

#[test]
fn blocked_pop_is_woken_by_push() {
    let (mut tx, mut rx) = channel::<u64>(1);
    let consumer = thread::spawn(move || {
        let mut got = Vec::new();
        for _ in 0..scaled(1000, 200) {
            got.push(rx.pop().unwrap());
        }
        got
    });
    for i in 0..scaled(1000, 200) {
        tx.push(i).unwrap();
    }
    assert_eq!(
        consumer.join().unwrap(),
        (0..scaled(1000, 200)).collect::<Vec<_>>()
    );
}

#[test]
fn blocked_push_is_woken_by_pop_and_by_disconnect() {
    let (mut tx, mut rx) = channel::<u64>(1);
    tx.try_push(0).unwrap();
    let producer = thread::spawn(move || {
        let first = tx.push(1); // blocks until the consumer pops 0
        let second = tx.push(2); // fills the ring again once 1 is popped
        let third = tx.push(3); // blocks until the consumer is dropped
        (first, second, third)
    });
    assert_eq!(rx.pop(), Ok(0));
    assert_eq!(rx.pop(), Ok(1));
    while rx.is_empty() {
        thread::yield_now(); // wait for 2 to land; the ring is then full
    }
    drop(rx);
    let (first, second, third) = producer.join().unwrap();
    assert_eq!(first, Ok(()));
    assert_eq!(second, Ok(()));
    assert_eq!(third, Err(PushError::Disconnected(3)));
}

#[test]
fn blocked_pop_is_woken_by_disconnect() {
    let (tx, mut rx) = channel::<u64>(4);
    let consumer = thread::spawn(move || rx.pop());
    drop(tx);
    assert_eq!(consumer.join().unwrap(), Err(PopError::Disconnected));
}

#[test]
fn timeouts_return_the_value_and_take_at_least_their_time() {
    let (mut tx, mut rx) = channel::<u8>(1);
    let t = Instant::now();
    assert_eq!(
        rx.pop_timeout(Duration::from_millis(20)),
        Err(PopTimeoutError::Timeout)
    );
    assert!(t.elapsed() >= Duration::from_millis(20));
    tx.try_push(1).unwrap();
    let t = Instant::now();
    assert_eq!(
        tx.push_timeout(2, Duration::from_millis(20)),
        Err(PushTimeoutError::Timeout(2))
    );
    assert!(t.elapsed() >= Duration::from_millis(20));
    let deadline = Instant::now() + Duration::from_millis(20);
    assert_eq!(
        tx.push_until(2, deadline),
        Err(PushTimeoutError::Timeout(2))
    );
    assert!(Instant::now() >= deadline);
    assert_eq!(rx.pop_timeout(Duration::from_millis(20)), Ok(1));
    assert_eq!(tx.push_timeout(3, Duration::ZERO), Ok(()));
    // An enormous timeout is a wait without deadline, not an overflow panic.
    assert_eq!(rx.pop_timeout(Duration::MAX), Ok(3));
    let deadline = Instant::now() + Duration::from_millis(20);
    assert_eq!(rx.pop_until(deadline), Err(PopTimeoutError::Timeout));
    assert!(Instant::now() >= deadline);
    tx.try_push(5).unwrap();
    assert_eq!(rx.pop_until(Instant::now()), Ok(5));
}

#[test]
fn iterators_drain() {
    let (mut tx, mut rx) = channel::<u32>(4);
    tx.try_push(1).unwrap();
    tx.try_push(2).unwrap();
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [1, 2]);
    let producer = thread::spawn(move || {
        for i in 0..100 {
            tx.push(i).unwrap();
        }
    });
    assert_eq!(
        rx.into_iter().collect::<Vec<_>>(),
        (0..100).collect::<Vec<_>>()
    );
    producer.join().unwrap();
}

#[test]
fn bytes_flow_through_io_read_and_write() {
    let (mut tx, mut rx) = channel::<u8>(7);
    let data: Vec<u8> = (0..scaled(100_000, 200))
        .map(|i| (i * 31 % 251) as u8)
        .collect();
    let sent = data.clone();
    let writer = thread::spawn(move || {
        tx.write_all(&sent).unwrap();
        tx.flush().unwrap();
    });
    let mut got = Vec::new();
    rx.read_to_end(&mut got).unwrap();
    writer.join().unwrap();
    assert_eq!(got, data);

    let (mut tx, rx) = channel::<u8>(2);
    drop(rx);
    assert_eq!(
        tx.write(b"x").unwrap_err().kind(),
        std::io::ErrorKind::BrokenPipe
    );
    assert_eq!(tx.write(b"").unwrap(), 0);
}

#[test]
fn io_read_takes_every_byte_there_is_and_write_fills_every_free_slot() {
    let (mut tx, mut rx) = channel::<u8>(4);
    // The consumer's copy of `tail` says one byte is there; two are.
    tx.write_all(b"ab").unwrap();
    let mut one = [0u8; 1];
    assert_eq!(rx.read(&mut one).unwrap(), 1);
    tx.write_all(b"c").unwrap();
    let mut two = [0u8; 2];
    assert_eq!(rx.read(&mut two).unwrap(), 2);
    assert_eq!(&two, b"bc");
    // The producer's copy of `head` says one slot is free; all four are.
    assert_eq!(tx.write(b"defg").unwrap(), 4);
    let mut four = [0u8; 4];
    assert_eq!(rx.read(&mut four).unwrap(), 4);
    assert_eq!(&four, b"defg");
    // A longer buffer than the ring holds: as many as fit, as many as there are.
    assert_eq!(tx.write(b"hijklm").unwrap(), 4);
    let mut six = [0u8; 6];
    assert_eq!(rx.read(&mut six).unwrap(), 4);
    assert_eq!(&six[..4], b"hijk");
}

#[test]
fn peek_does_not_remove() {
    let (mut tx, mut rx) = channel::<String>(2);
    assert_eq!(rx.peek(), None);
    tx.try_push("a".into()).unwrap();
    assert_eq!(rx.peek().map(String::as_str), Some("a"));
    assert_eq!(rx.peek().map(String::as_str), Some("a"));
    assert_eq!(rx.try_pop().unwrap(), "a");
    assert_eq!(rx.peek(), None);
}

#[test]
fn errors_display_and_are_std_errors() {
    fn is_error<E: std::error::Error>(_: &E) {}
    let e: PushError<u8> = PushError::Full(1);
    is_error(&e);
    assert_eq!(e.to_string(), "push on a full ring");
    assert_eq!(format!("{e:?}"), "Full(..)");
    is_error(&PopError::Disconnected);
    is_error(&CapacityError::Zero);
    let c = ChunkError::TooFewItems { available: 3 };
    is_error(&c);
    assert_eq!(c.available(), 3);
    assert_eq!(c.to_string(), "too few items: 3 available");
    is_error(&ringkit::Timeout);
}

#[test]
fn handles_move_between_threads() {
    let (tx, rx) = spsc::channel::<Box<u32>>(2);
    let (mut tx, mut rx) = thread::spawn(move || (tx, rx)).join().unwrap();
    tx.try_push(Box::new(5)).unwrap();
    assert_eq!(*rx.try_pop().unwrap(), 5);
}

#[test]
fn write_chunks_refuse_a_ring_without_consumer() {
    let (mut tx, rx) = channel::<u8>(4);
    drop(rx);
    assert_eq!(tx.write_chunk(1).err(), Some(ChunkError::Disconnected));
    assert_eq!(
        tx.write_chunk_uninit(1).err(),
        Some(ChunkError::Disconnected)
    );
    assert_eq!(ChunkError::Disconnected.available(), 0);
}

/// A read chunk of items without `Drop`, committed in part and across the
/// end of the buffer: the position and the sequence number move by exactly
/// the items committed, and the rest stay, in order.
#[test]
fn a_partial_read_commit_of_plain_items_moves_position_and_sequence_by_k() {
    let (mut tx, mut rx) = channel::<u32>(4);
    for v in [0, 1, 2] {
        tx.try_push(v).unwrap();
    }
    rx.read_chunk(2).unwrap().commit(2); // head is now slot 2
    for v in [3, 4, 5] {
        tx.try_push(v).unwrap();
    }
    let chunk = rx.read_chunk(4).unwrap();
    assert_eq!(chunk.as_slices(), (&[2, 3][..], &[4, 5][..])); // wraps
    assert_eq!(chunk.first_seq(), 2);
    chunk.commit(3);
    assert_eq!(rx.next_seq(), 5);
    assert_eq!(rx.len(), 1);
    assert_eq!(tx.len(), 1, "the producer sees the slots freed");
    assert_eq!(rx.try_pop(), Ok(5));
    assert_eq!(rx.try_pop(), Err(PopError::Empty));
}
