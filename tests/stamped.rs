//! The stamped SPSC ring (`spsc::stamped`): order, exact full/empty, exact
//! disconnection, sequence numbers, position wrap-around, capacity errors, and
//! a two-thread stream. Its items are `Copy`, so no item is ever dropped and
//! there is no drop count to check.

use ringkit::spsc::stamped::{channel, channel_starting_at, try_channel};
use ringkit::{CapacityError, PopError, PushError};

#[test]
fn fifo_full_and_empty_are_exact() {
    for cap in [1, 2, 3, 7, 64] {
        let (mut tx, mut rx) = channel::<u32>(cap);
        assert_eq!(tx.capacity(), cap);
        assert_eq!(rx.capacity(), cap);
        for round in 0..3u32 {
            assert_eq!(rx.try_pop(), Err(PopError::Empty));
            for i in 0..cap as u32 {
                assert_eq!(tx.try_push(round * 100 + i), Ok(()), "cap {cap}");
            }
            // Exactly `cap` items fit; the value comes back.
            assert_eq!(tx.try_push(999), Err(PushError::Full(999)));
            for i in 0..cap as u32 {
                assert_eq!(rx.try_pop(), Ok(round * 100 + i));
            }
            assert_eq!(rx.try_pop(), Err(PopError::Empty));
        }
    }
}

#[test]
fn one_pop_frees_one_slot() {
    let (mut tx, mut rx) = channel::<u8>(3);
    for i in 0..3 {
        tx.try_push(i).unwrap();
    }
    assert!(tx.try_push(3).unwrap_err().is_full());
    assert_eq!(rx.try_pop(), Ok(0));
    assert_eq!(tx.try_push(3), Ok(()));
    assert!(tx.try_push(4).unwrap_err().is_full());
    assert_eq!(
        (0..4).map(|_| rx.try_pop()).collect::<Vec<_>>(),
        [Ok(1), Ok(2), Ok(3), Err(PopError::Empty)]
    );
}

#[test]
fn items_pushed_before_the_producer_left_come_out_first() {
    let (mut tx, mut rx) = channel::<u16>(4);
    tx.try_push(1).unwrap();
    tx.try_push(2).unwrap();
    assert!(!rx.is_disconnected());
    drop(tx);
    assert!(rx.is_disconnected());
    assert_eq!(rx.try_pop(), Ok(1));
    assert_eq!(rx.try_pop(), Ok(2));
    assert_eq!(rx.try_pop(), Err(PopError::Disconnected));
    assert_eq!(rx.try_pop(), Err(PopError::Disconnected));
}

#[test]
fn a_push_after_the_consumer_left_hands_the_value_back() {
    let (mut tx, rx) = channel::<u64>(2);
    tx.try_push(1).unwrap();
    assert!(!tx.is_disconnected());
    drop(rx);
    assert!(tx.is_disconnected());
    // Even with room left, the value is not pushed into a ring nobody reads.
    assert_eq!(tx.try_push(2), Err(PushError::Disconnected(2)));
}

#[test]
fn sequence_numbers_count_pops() {
    let (mut tx, mut rx) = channel::<char>(2);
    assert_eq!(rx.next_seq(), 0);
    for (n, c) in "abcde".chars().enumerate() {
        tx.try_push(c).unwrap();
        assert_eq!(rx.next_seq(), n as u64);
        assert_eq!(rx.try_pop(), Ok(c));
    }
    assert_eq!(rx.next_seq(), 5);
    // A failed pop takes no number.
    assert_eq!(rx.try_pop(), Err(PopError::Empty));
    assert_eq!(rx.next_seq(), 5);
}

/// Positions (and so stamps) cross usize::MAX under a pseudo-random mix of
/// pushes and pops, checked against a `VecDeque`: a slot's stamp from a lap
/// before never passes for the one expected, and full/empty stay exact.
#[test]
fn positions_cross_the_wrap() {
    for cap in [1, 2, 3, 5] {
        let (mut tx, mut rx) = channel_starting_at::<u32>(cap, usize::MAX - 7);
        let mut model = std::collections::VecDeque::new();
        let mut rng = 0x2545_f491_u32;
        for n in 0..40 * cap as u32 {
            rng ^= rng << 13;
            rng ^= rng >> 17;
            rng ^= rng << 5;
            if rng % 2 == 0 {
                let r = tx.try_push(n);
                if model.len() < cap {
                    assert_eq!(r, Ok(()), "cap {cap}");
                    model.push_back(n);
                } else {
                    assert_eq!(r, Err(PushError::Full(n)), "cap {cap}");
                }
            } else {
                let want = model.pop_front().ok_or(PopError::Empty);
                assert_eq!(rx.try_pop(), want, "cap {cap}");
            }
        }
    }
}

#[test]
fn zero_sized_items() {
    let (mut tx, mut rx) = channel::<()>(2);
    tx.try_push(()).unwrap();
    tx.try_push(()).unwrap();
    assert!(tx.try_push(()).unwrap_err().is_full());
    assert_eq!(rx.try_pop(), Ok(()));
    assert_eq!(rx.try_pop(), Ok(()));
    assert_eq!(rx.try_pop(), Err(PopError::Empty));
}

#[test]
fn bad_capacities_are_errors() {
    assert_eq!(try_channel::<u8>(0).err(), Some(CapacityError::Zero));
    assert_eq!(
        try_channel::<u64>(usize::MAX / 2).err(),
        Some(CapacityError::TooLarge {
            requested: usize::MAX / 2
        })
    );
    let zero = std::panic::catch_unwind(|| channel::<u8>(0));
    assert!(zero.is_err());
}

/// A producer thread streams items through a small ring while the consumer
/// spins: every item arrives once, in order, with its sequence number; then
/// exactly `Disconnected`.
#[test]
fn two_threads_stream_in_order() {
    let n: u64 = if cfg!(miri) { 200 } else { 200_000 };
    for cap in [1, 3, 16] {
        let (mut tx, mut rx) = channel::<u64>(cap);
        let producer = std::thread::spawn(move || {
            for i in 0..n {
                let mut v = i;
                loop {
                    match tx.try_push(v) {
                        Ok(()) => break,
                        Err(PushError::Full(back)) => {
                            v = back;
                            std::thread::yield_now();
                        }
                        Err(e) => panic!("{e:?}"),
                    }
                }
            }
        });
        let mut next = 0;
        loop {
            let seq = rx.next_seq();
            match rx.try_pop() {
                Ok(v) => {
                    assert_eq!((v, seq), (next, next));
                    next += 1;
                }
                Err(PopError::Empty) => std::thread::yield_now(),
                Err(PopError::Disconnected) => break,
            }
        }
        producer.join().unwrap();
        assert_eq!(next, n, "cap {cap}");
    }
}

#[test]
fn debug_names_the_type() {
    let (tx, rx) = channel::<u8>(2);
    assert!(format!("{tx:?}").contains("stamped::Producer"));
    assert!(format!("{rx:?}").contains("next_seq: 0"));
}
