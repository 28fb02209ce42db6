//! Batch operations: `spsc::Producer::push_slice` / `Consumer::pop_slice` and
//! `mpmc::Sender::try_push_from` / `Receiver::try_pop_into`.
//!
//! Only non-blocking operations, so this builds with and without the `std`
//! feature. The stress tests spin (with `yield_now`) and never sleep or time
//! anything; under miri they are skipped and the small concurrent cases run.

mod common;

use common::{scaled, Counted};
use ringkit::mpmc;
use ringkit::spsc::{channel, channel_starting_at};
use ringkit::{PopError, PushError};
use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

/// xorshift64*: a deterministic source of batch sizes.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform enough in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }
}

// ---------------------------------------------------------------------------
// SPSC
// ---------------------------------------------------------------------------

#[test]
fn push_slice_pushes_what_fits_when_nearly_full() {
    let (mut tx, mut rx) = channel::<u32>(8);
    for i in 0..5 {
        tx.try_push(i).unwrap();
    }
    assert_eq!(tx.push_slice(&[5, 6, 7, 8, 9, 10]), 3, "3 free slots");
    assert!(tx.is_full());
    assert_eq!(tx.push_slice(&[11]), 0, "full");
    assert_eq!(tx.try_push(11), Err(PushError::Full(11)));
    let mut out = [u32::MAX; 10];
    assert_eq!(rx.pop_slice(&mut out), 8);
    assert_eq!(out[..8], [0, 1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(out[8..], [u32::MAX; 2], "the rest of `out` is untouched");
    assert_eq!(rx.next_seq(), 8);
    assert!(rx.is_empty());
    // Room again: the producer refreshes its copy of `head`.
    assert_eq!(tx.push_slice(&[8, 9, 10]), 3);
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [8, 9, 10]);
}

#[test]
fn pop_slice_pops_what_is_there() {
    let (mut tx, mut rx) = channel::<u8>(4);
    assert_eq!(rx.pop_slice(&mut [0; 4]), 0, "empty ring");
    assert_eq!(tx.push_slice(&[1, 2]), 2);
    let mut out = [9; 3];
    assert_eq!(rx.pop_slice(&mut out), 2);
    assert_eq!(out, [1, 2, 9]);
    assert_eq!(tx.push_slice(&[3, 4, 5]), 3);
    let mut one = [0];
    assert_eq!(rx.pop_slice(&mut one), 1, "no more than out.len()");
    assert_eq!(one, [3]);
    assert_eq!(rx.len(), 2);
    assert_eq!(rx.try_pop(), Ok(4));
    assert_eq!(rx.next_seq(), 4);
}

#[test]
fn empty_slices_do_nothing() {
    let (mut tx, mut rx) = channel::<u64>(2);
    assert_eq!(tx.push_slice(&[]), 0);
    assert_eq!(rx.pop_slice(&mut []), 0);
    assert!(tx.is_empty());
    assert_eq!(rx.next_seq(), 0);
    tx.push_slice(&[1, 2]);
    assert_eq!(tx.push_slice(&[]), 0, "full ring");
    assert_eq!(rx.pop_slice(&mut []), 0, "items there, but no room in out");
    assert_eq!(rx.len(), 2);
    assert_eq!(rx.next_seq(), 0);
    drop(rx);
    assert_eq!(tx.push_slice(&[]), 0, "disconnected");
}

/// Both copies happen: the batch runs past the end of the buffer, and the
/// positions (started near `usize::MAX`) and sequence numbers wrap too.
#[test]
fn wrap_around_splits_the_copy_in_two() {
    const CAP: usize = 8;
    let start = usize::MAX - 5;
    let (mut tx, mut rx) = channel_starting_at::<u64>(CAP, start);
    // Move both sides to slot 5 (position usize::MAX).
    assert_eq!(tx.push_slice(&[0; 5]), 5);
    assert_eq!(rx.pop_slice(&mut [0; 5]), 5);
    assert_eq!(rx.next_seq(), (start as u64).wrapping_add(5));

    let values: Vec<u64> = (100..106).collect();
    assert_eq!(tx.push_slice(&values), 6, "3 slots before the end, 3 after");
    {
        // The items really sit in two runs: slots 5..8 and 0..3.
        let chunk = rx.read_chunk(6).unwrap();
        let (a, b) = chunk.as_slices();
        assert_eq!(a, [100, 101, 102]);
        assert_eq!(b, [103, 104, 105]);
    }
    assert_eq!(tx.len(), 6);

    let mut out = [0u64; 6];
    assert_eq!(
        rx.pop_slice(&mut out),
        6,
        "a pop across the end, two copies"
    );
    assert_eq!(out.as_slice(), values);
    assert_eq!(rx.next_seq(), (start as u64).wrapping_add(11));
    assert!(rx.is_empty());
    assert_eq!(tx.len(), 0);

    // Now from slot 3: fill every slot (runs 3..8 and 0..3) and pop it back in
    // two uneven pops, the first of which ends exactly at the buffer's end.
    let values: Vec<u64> = (200..208).collect();
    assert_eq!(tx.push_slice(&values), CAP);
    let mut out = [0u64; 5];
    assert_eq!(rx.pop_slice(&mut out), 5);
    assert_eq!(out, [200, 201, 202, 203, 204]);
    let mut out = [0u64; 5];
    assert_eq!(rx.pop_slice(&mut out), 3);
    assert_eq!(out[..3], [205, 206, 207]);
    assert_eq!(rx.next_seq(), (start as u64).wrapping_add(19));
}

/// Every capacity up to 5, every starting slot, every batch length up to
/// `cap + 1`: what is pushed and popped, and `next_seq`, match a model.
#[test]
fn every_offset_and_length_matches_a_model() {
    for cap in 1..=5usize {
        for offset in 0..cap {
            for push_len in 0..=cap + 1 {
                for pop_len in 0..=cap + 1 {
                    let (mut tx, mut rx) = channel_starting_at::<u16>(cap, usize::MAX - 2);
                    for _ in 0..offset {
                        tx.try_push(0).unwrap();
                        rx.try_pop().unwrap();
                    }
                    // One item already there, so the push can also come up short.
                    tx.try_push(7).unwrap();
                    let values: Vec<u16> = (1000..1000 + push_len as u16).collect();
                    let pushed = tx.push_slice(&values);
                    assert_eq!(pushed, push_len.min(cap - 1), "cap {cap} offset {offset}");
                    let mut model: VecDeque<u16> = [7].into();
                    model.extend(&values[..pushed]);
                    let seq0 = rx.next_seq();
                    let mut out = vec![u16::MAX; pop_len];
                    let popped = rx.pop_slice(&mut out);
                    assert_eq!(popped, pop_len.min(model.len()));
                    let expected: Vec<u16> = model.drain(..popped).collect();
                    assert_eq!(out[..popped], expected[..]);
                    assert!(out[popped..].iter().all(|&x| x == u16::MAX));
                    assert_eq!(rx.next_seq(), seq0.wrapping_add(popped as u64));
                    assert_eq!(rx.try_iter().collect::<Vec<_>>(), Vec::from(model));
                }
            }
        }
    }
}

/// Random interleavings of single and batch operations against a model.
#[test]
fn random_mix_with_single_operations_matches_a_model() {
    let mut rng = Rng::new(17);
    let steps = scaled(200_000, 400);
    let cap = 7;
    let (mut tx, mut rx) = channel_starting_at::<u64>(cap, usize::MAX - 100);
    let mut model = VecDeque::new();
    let (mut next, mut seq) = (0u64, (usize::MAX - 100) as u64);
    for _ in 0..steps {
        match rng.range(0, 3) {
            0 => {
                let len = rng.range(0, cap + 2);
                let values: Vec<u64> = (next..next + len as u64).collect();
                let n = tx.push_slice(&values);
                assert_eq!(n, len.min(cap - model.len()));
                model.extend(&values[..n]);
                next += n as u64;
            }
            1 => {
                let mut out = vec![0; rng.range(0, cap + 2)];
                let n = rx.pop_slice(&mut out);
                assert_eq!(n, out.len().min(model.len()));
                for &v in &out[..n] {
                    assert_eq!(Some(v), model.pop_front());
                }
                seq = seq.wrapping_add(n as u64);
            }
            2 => match tx.try_push(next) {
                Ok(()) => {
                    model.push_back(next);
                    next += 1;
                }
                Err(e) => assert!(e.is_full() && model.len() == cap),
            },
            _ => match rx.try_pop() {
                Ok(v) => {
                    assert_eq!(Some(v), model.pop_front());
                    seq = seq.wrapping_add(1);
                }
                Err(e) => assert!(e == PopError::Empty && model.is_empty()),
            },
        }
        assert_eq!(rx.next_seq(), seq);
        assert_eq!(rx.len(), model.len());
    }
}

#[test]
fn push_slice_into_a_disconnected_ring_pushes_nothing() {
    let (mut tx, rx) = channel::<u32>(4);
    assert_eq!(tx.push_slice(&[1]), 1);
    drop(rx);
    assert!(tx.is_disconnected());
    assert_eq!(tx.push_slice(&[2, 3]), 0);
    assert_eq!(tx.len(), 1, "nothing more was pushed");
    assert_eq!(tx.try_push(2), Err(PushError::Disconnected(2)));
}

#[test]
fn pop_slice_drains_a_ring_whose_producer_is_gone() {
    let (mut tx, mut rx) = channel::<u32>(4);
    assert_eq!(tx.push_slice(&[1, 2, 3]), 3);
    drop(tx);
    assert!(rx.is_disconnected());
    let mut out = [0; 2];
    assert_eq!(rx.pop_slice(&mut out), 2);
    assert_eq!(out, [1, 2]);
    assert_eq!(rx.pop_slice(&mut out), 1);
    assert_eq!(out[0], 3);
    assert_eq!(rx.pop_slice(&mut out), 0);
    assert_eq!(rx.try_pop(), Err(PopError::Disconnected));
    assert_eq!(rx.next_seq(), 3);
}

/// Sequence numbers count items, whichever way they leave: pop_slice, try_pop
/// and read chunks agree.
#[test]
fn sequence_numbers_after_pop_slice() {
    let (mut tx, mut rx) = channel::<u64>(16);
    assert_eq!(tx.push_slice(&(0..10).collect::<Vec<_>>()), 10);
    assert_eq!(rx.next_seq(), 0);
    let mut out = [0; 4];
    assert_eq!(rx.pop_slice(&mut out), 4);
    assert_eq!(rx.next_seq(), 4);
    assert_eq!(rx.try_pop(), Ok(4));
    assert_eq!(rx.next_seq(), 5);
    let chunk = rx.read_chunk(2).unwrap();
    assert_eq!(chunk.first_seq(), 5);
    chunk.commit_all();
    assert_eq!(rx.pop_slice(&mut out), 3);
    assert_eq!(out[..3], [7, 8, 9]);
    assert_eq!(rx.next_seq(), 10);
    assert_eq!(rx.pop_slice(&mut out), 0);
    assert_eq!(rx.next_seq(), 10, "an empty pop moves nothing");
}

/// Items taken by a forgotten chunk iterator are not popped again, and an empty
/// pop_slice hands their slots back to the producer.
#[test]
fn pop_slice_after_a_forgotten_chunk_iterator() {
    let (mut tx, mut rx) = channel::<u32>(4);
    assert_eq!(tx.push_slice(&[1, 2, 3, 4]), 4);
    let mut it = rx.read_chunk(4).unwrap().into_iter();
    assert_eq!((it.next(), it.next()), (Some(1), Some(2)));
    std::mem::forget(it);
    let mut out = [0; 4];
    assert_eq!(rx.pop_slice(&mut out), 2);
    assert_eq!(out[..2], [3, 4]);
    assert_eq!(rx.next_seq(), 4);
    assert_eq!(tx.push_slice(&[5, 6, 7, 8]), 4, "every slot is free again");

    let mut it = rx.read_chunk(4).unwrap().into_iter();
    assert_eq!(it.by_ref().take(4).count(), 4);
    std::mem::forget(it);
    assert_eq!(tx.push_slice(&[9]), 0, "taken, not yet handed back");
    assert_eq!(rx.pop_slice(&mut out), 0);
    assert_eq!(
        tx.push_slice(&[9, 10, 11, 12, 13]),
        4,
        "the empty pop handed them back"
    );
    assert_eq!(rx.next_seq(), 8);
}

#[test]
fn zero_sized_items() {
    let (mut tx, mut rx) = channel::<()>(3);
    assert_eq!(tx.push_slice(&[(); 5]), 3);
    assert_eq!(rx.pop_slice(&mut [(); 2]), 2);
    assert_eq!(tx.push_slice(&[(); 5]), 2);
    assert_eq!(rx.pop_slice(&mut [(); 5]), 3);
    assert_eq!(rx.next_seq(), 5);
}

/// Two threads move `n` u64 through a ring of `cap` slots with push_slice and
/// pop_slice, in random batch sizes (some larger than the ring); the consumer
/// checks every value and `next_seq` after every pop.
fn spsc_stream(n: u64, cap: usize, seed: u64) {
    let (mut tx, mut rx) = channel::<u64>(cap);
    let max_batch = cap + cap / 2 + 1;
    let producer = thread::spawn(move || {
        let mut rng = Rng::new(seed);
        let mut batch = Vec::with_capacity(max_batch);
        let mut next = 0u64;
        let mut partial = 0u64;
        while next < n {
            let len = rng.range(1, max_batch).min((n - next) as usize);
            batch.clear();
            batch.extend(next..next + len as u64);
            let mut rest = &batch[..];
            while !rest.is_empty() {
                let pushed = tx.push_slice(rest);
                if pushed == 0 {
                    assert!(!tx.is_disconnected());
                    thread::yield_now();
                } else if pushed < rest.len() {
                    partial += 1;
                }
                rest = &rest[pushed..];
            }
            next += len as u64;
        }
        partial
    });
    let mut rng = Rng::new(seed ^ 0x9e37_79b9_7f4a_7c15);
    let mut out = vec![0u64; max_batch];
    let mut expected = 0u64;
    while expected < n {
        let len = rng.range(1, max_batch);
        let got = rx.pop_slice(&mut out[..len]);
        if got == 0 {
            thread::yield_now();
            continue;
        }
        for &v in &out[..got] {
            assert_eq!(v, expected, "item out of order, duplicated or lost");
            expected += 1;
        }
        assert_eq!(rx.next_seq(), expected);
    }
    let partial = producer.join().unwrap();
    // With batches up to 1.5x the ring, some pushes must have come up short.
    assert!(n < 1000 || partial > 0);
    assert!(rx.is_disconnected());
    assert_eq!(rx.pop_slice(&mut out), 0, "nothing extra");
    assert_eq!(rx.try_pop(), Err(PopError::Disconnected));
    assert_eq!(expected, n);
}

#[test]
#[cfg_attr(miri, ignore)]
fn spsc_stress_a_million_through_batches() {
    spsc_stream(1_000_000, 64, 1);
    spsc_stream(200_000, 5, 2);
}

/// The stress test's protocol at miri's scale (it checks the copies for races).
#[test]
fn spsc_concurrent_small() {
    spsc_stream(scaled(20_000, 300), 4, 3);
}

// ---------------------------------------------------------------------------
// MPMC
// ---------------------------------------------------------------------------

#[test]
fn try_push_from_hands_back_what_did_not_fit() {
    let (tx, rx) = mpmc::channel::<u32>(4);
    let mut items: VecDeque<u32> = (0..10).collect();
    assert_eq!(tx.try_push_from(&mut items), Err((4, PushError::Full(()))));
    assert_eq!(items, (4..10).collect::<Vec<_>>(), "the rest, in order");
    assert!(tx.is_full());

    let mut out = Vec::new();
    assert_eq!(rx.try_pop_into(&mut out, 2), Ok(2));
    assert_eq!(tx.try_push_from(&mut items), Err((2, PushError::Full(()))));
    assert_eq!(items, [6, 7, 8, 9]);
    assert_eq!(rx.try_pop_into(&mut out, 100), Ok(4));
    assert_eq!(tx.try_push_from(&mut items), Ok(4));
    assert!(items.is_empty());
    assert_eq!(tx.try_push_from(&mut items), Ok(0), "nothing to push");
    assert_eq!(rx.try_pop_into(&mut out, 100), Ok(4));
    assert_eq!(out, (0..10).collect::<Vec<_>>());
    assert_eq!(rx.try_pop_into(&mut out, 100), Err(PopError::Empty));
}

#[test]
fn try_push_from_loses_and_drops_nothing() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpmc::channel::<Counted>(2);
    let mut items: VecDeque<Counted> = (0..5).map(|id| Counted::new(id, &drops)).collect();
    assert_eq!(tx.try_push_from(&mut items), Err((2, PushError::Full(()))));
    assert_eq!(drops.load(Ordering::Relaxed), 0);
    assert_eq!(items.iter().map(|c| c.id).collect::<Vec<_>>(), [2, 3, 4]);

    drop(rx); // the last receiver: the 2 items in the queue go with it
    assert_eq!(drops.load(Ordering::Relaxed), 2);
    assert!(tx.is_disconnected());
    assert_eq!(
        tx.try_push_from(&mut items),
        Err((0, PushError::Disconnected(())))
    );
    assert_eq!(drops.load(Ordering::Relaxed), 2, "handed back, not dropped");
    assert_eq!(items.iter().map(|c| c.id).collect::<Vec<_>>(), [2, 3, 4]);
    drop(tx);
    assert_eq!(drops.load(Ordering::Relaxed), 2);
    drop(items);
    assert_eq!(drops.load(Ordering::Relaxed), 5);
}

#[test]
fn try_pop_into_limits_and_disconnection() {
    let (tx, rx) = mpmc::channel::<u64>(8);
    let mut out = VecDeque::new(); // any `Extend`
    assert_eq!(rx.try_pop_into(&mut out, 4), Err(PopError::Empty));
    assert_eq!(rx.try_pop_into(&mut out, 0), Ok(0));
    for i in 0..6 {
        tx.try_push(i).unwrap();
    }
    assert_eq!(rx.try_pop_into(&mut out, 0), Ok(0), "max 0 pops nothing");
    assert_eq!(rx.len(), 6);
    assert_eq!(rx.try_pop_into(&mut out, 4), Ok(4), "no more than max");
    assert_eq!(rx.len(), 2);
    drop(tx);
    assert_eq!(rx.try_pop_into(&mut out, 4), Ok(2), "items first");
    assert_eq!(rx.try_pop_into(&mut out, 4), Err(PopError::Disconnected));
    assert_eq!(out, (0..6).collect::<Vec<_>>());
    // Other collections work too.
    let mut set = HashSet::new();
    assert_eq!(rx.try_pop_into(&mut set, 1), Err(PopError::Disconnected));
    assert!(set.is_empty());
}

/// `producers` threads push `(producer, i)` for `i < per` with try_push_from
/// in random batches; `consumers` threads drain with try_pop_into in random
/// batches until disconnected. Every item arrives exactly once, and each
/// consumer sees each producer's items in increasing order.
fn mpmc_stream(producers: u64, consumers: usize, per: u64, cap: usize) {
    let (tx, rx) = mpmc::channel::<(u64, u64)>(cap);
    let pushers: Vec<_> = (0..producers)
        .map(|p| {
            let tx = tx.clone();
            thread::spawn(move || {
                let mut rng = Rng::new(p + 11);
                let mut items = VecDeque::new();
                let mut next = 0;
                while next < per || !items.is_empty() {
                    if items.is_empty() {
                        let len = rng.range(1, 2 * cap) as u64;
                        let end = (next + len).min(per);
                        items.extend((next..end).map(|i| (p, i)));
                        next = end;
                    }
                    let before = items.len();
                    match tx.try_push_from(&mut items) {
                        Ok(n) => assert_eq!(n, before),
                        Err((n, PushError::Full(()))) => {
                            assert_eq!(items.len(), before - n, "nothing lost");
                            thread::yield_now();
                        }
                        Err((_, PushError::Disconnected(()))) => panic!("receivers gone"),
                    }
                }
            })
        })
        .collect();
    drop(tx);
    let poppers: Vec<_> = (0..consumers)
        .map(|c| {
            let rx = rx.clone();
            thread::spawn(move || {
                let mut rng = Rng::new(c as u64 + 101);
                let mut got = Vec::new();
                loop {
                    let before = got.len();
                    match rx.try_pop_into(&mut got, rng.range(1, 2 * cap)) {
                        Ok(n) => assert_eq!(got.len(), before + n),
                        Err(PopError::Empty) => thread::yield_now(),
                        Err(PopError::Disconnected) => break,
                    }
                }
                got
            })
        })
        .collect();
    drop(rx);
    for p in pushers {
        p.join().unwrap();
    }
    let mut seen = HashSet::new();
    for c in poppers {
        let got = c.join().unwrap();
        let mut last = vec![None; producers as usize];
        for &(p, i) in &got {
            let prev = last[p as usize].replace(i);
            assert!(prev < Some(i), "producer {p}: {i} after {prev:?}");
            assert!(seen.insert((p, i)), "({p}, {i}) twice");
        }
    }
    assert_eq!(seen.len() as u64, producers * per, "items lost");
}

#[test]
#[cfg_attr(miri, ignore)]
fn mpmc_stress_batches() {
    mpmc_stream(3, 2, 200_000, 16);
    mpmc_stream(2, 3, 100_000, 3);
}

#[test]
fn mpmc_concurrent_small() {
    mpmc_stream(2, 2, scaled(5_000, 60), 4);
}
