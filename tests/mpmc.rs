//! Integration tests of the MPMC ring: exactly-once stress, disconnection,
//! force_push, drop counting, zero-sized items, capacity 1, wrap-around.

// Blocking and timeouts throughout: the std feature (tests/nostd.rs covers the rest).
#![cfg(feature = "std")]

mod common;

use common::{expect_injected_panic, scaled, scaled_per_build, Counted, DropTable};
use ringkit::mpmc::{self, Queue};
use ringkit::{CapacityError, PopError, PopTimeoutError, PushError, PushTimeoutError};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

/// A wait long enough never to expire in a healthy run: an upper bound that turns a
/// deadlock into a loud failure, never a speed assertion.
const NEVER: Duration = Duration::from_secs(120);

/// Items are `producer << 40 | i`.
const SHIFT: u32 = 40;

#[test]
fn stress_4p4c_exactly_once_in_producer_order() {
    const P: usize = 4;
    const C: usize = 4;
    let total = scaled_per_build(10_000_000, 10_000_000, 400) as usize;
    let per = total / P;
    let (tx, rx) = mpmc::channel::<u64>(if cfg!(miri) { 4 } else { 256 });
    // One bit per item: set by the consumer that receives it.
    let seen: Arc<Vec<AtomicU64>> = Arc::new(
        (0..(P * per).div_ceil(64))
            .map(|_| AtomicU64::new(0))
            .collect(),
    );
    let producers: Vec<_> = (0..P)
        .map(|p| {
            let tx = tx.clone();
            thread::spawn(move || {
                for i in 0..per as u64 {
                    tx.push_timeout(((p as u64) << SHIFT) | i, NEVER)
                        .expect("push");
                }
            })
        })
        .collect();
    drop(tx);
    let consumers: Vec<_> = (0..C)
        .map(|_| {
            let rx = rx.clone();
            let seen = seen.clone();
            thread::spawn(move || {
                let mut last = [None::<u64>; P];
                let mut got = 0usize;
                loop {
                    let v = match rx.pop_timeout(NEVER) {
                        Ok(v) => v,
                        Err(PopTimeoutError::Disconnected) => break,
                        Err(PopTimeoutError::Timeout) => panic!("no item for {NEVER:?}: deadlock?"),
                    };
                    let p = (v >> SHIFT) as usize;
                    let i = v & ((1 << SHIFT) - 1);
                    assert!(p < P && (i as usize) < per, "bogus item {v:#x}");
                    if let Some(prev) = last[p] {
                        assert!(i > prev, "producer {p}: {i} after {prev}");
                    }
                    last[p] = Some(i);
                    let n = p * per + i as usize;
                    let old = seen[n / 64].fetch_or(1 << (n % 64), Ordering::Relaxed);
                    assert_eq!(old & (1 << (n % 64)), 0, "item {v:#x} received twice");
                    got += 1;
                }
                got
            })
        })
        .collect();
    drop(rx);
    for p in producers {
        p.join().unwrap();
    }
    let got: usize = consumers.into_iter().map(|c| c.join().unwrap()).sum();
    assert_eq!(got, P * per);
    let ones: u32 = seen
        .iter()
        .map(|w| w.load(Ordering::Relaxed).count_ones())
        .sum();
    assert_eq!(ones as usize, P * per);
}

/// `try_push`/`try_pop` never fail spuriously: credits handed over by other
/// threads (release/acquire) prove there is room or an item, and the `try_`
/// operation must then succeed even while other pushes and pops are in progress.
/// Takes one credit from `credits`, waiting (spin, then yield) while there is
/// none. The acquire makes whatever the giver did before its release visible.
fn take_credit(credits: &AtomicUsize) {
    let mut n = credits.load(Ordering::Acquire);
    loop {
        if n == 0 {
            std::hint::spin_loop();
            thread::yield_now();
            n = credits.load(Ordering::Acquire);
            continue;
        }
        match credits.compare_exchange_weak(n, n - 1, Ordering::Acquire, Ordering::Acquire) {
            Ok(_) => return,
            Err(m) => n = m,
        }
    }
}

/// Two pushing and two popping threads on `capacity` slots, `per` operations
/// each, every operation paid for with a credit handed over by release/acquire:
/// a push takes a unit of room, a pop an item. `push` must then never report
/// full, nor `pop` empty (each returns whether it succeeded).
fn credits_never_fail<H: Clone + Send + 'static>(
    capacity: usize,
    per: u64,
    handles: H,
    push: fn(&H, u64) -> bool,
    pop: fn(&H) -> bool,
) {
    let room = Arc::new(AtomicUsize::new(capacity));
    let items = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let (h, room, items) = (handles.clone(), room.clone(), items.clone());
            thread::spawn(move || {
                for i in 0..per {
                    if w % 2 == 0 {
                        take_credit(&room);
                        assert!(push(&h, i), "spurious Full");
                        items.fetch_add(1, Ordering::Release);
                    } else {
                        take_credit(&items);
                        assert!(pop(&h), "spurious empty");
                        room.fetch_add(1, Ordering::Release);
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
}

#[test]
fn try_ops_never_fail_spuriously() {
    let q = Arc::new(Queue::<u64>::new(3));
    let per = scaled_per_build(200_000, 20_000, 50);
    credits_never_fail(
        3,
        per,
        q.clone(),
        |q, i| q.try_push(i).is_ok(),
        |q| q.try_pop().is_some(),
    );
    assert!(q.is_empty());
}

#[test]
fn senders_gone_wakes_blocked_receivers_after_draining() {
    let (tx, rx) = mpmc::channel::<u32>(4);
    tx.push(1).unwrap();
    tx.push(2).unwrap();
    let tx2 = tx.clone();
    let start = Arc::new(Barrier::new(4));
    let receivers: Vec<_> = (0..3)
        .map(|_| {
            let rx = rx.clone();
            let start = start.clone();
            thread::spawn(move || {
                start.wait();
                let mut got = Vec::new();
                loop {
                    match rx.pop_timeout(NEVER) {
                        Ok(v) => got.push(v),
                        Err(e) => return (got, e),
                    }
                }
            })
        })
        .collect();
    start.wait();
    drop(tx);
    assert!(!rx.is_disconnected());
    drop(tx2);
    assert!(rx.is_disconnected());
    let mut all = Vec::new();
    for r in receivers {
        let (got, e) = r.join().unwrap();
        assert_eq!(e, PopTimeoutError::Disconnected);
        all.extend(got);
    }
    all.sort();
    assert_eq!(all, [1, 2]);
    assert_eq!(rx.try_pop(), Err(PopError::Disconnected));
    assert_eq!(rx.pop(), Err(PopError::Disconnected));
}

#[test]
fn receivers_gone_wakes_blocked_senders() {
    let (tx, rx) = mpmc::channel::<u32>(1);
    tx.push(0).unwrap();
    let start = Arc::new(Barrier::new(3));
    let senders: Vec<_> = (1..3)
        .map(|v| {
            let tx = tx.clone();
            let start = start.clone();
            thread::spawn(move || {
                start.wait();
                tx.push_timeout(v, NEVER)
            })
        })
        .collect();
    start.wait();
    let rx2 = rx.clone();
    drop(rx);
    drop(rx2);
    for s in senders {
        match s.join().unwrap() {
            Err(PushTimeoutError::Disconnected(v)) => assert!(v == 1 || v == 2),
            other => panic!("expected Disconnected, got {other:?}"),
        }
    }
    assert!(tx.is_disconnected());
    assert_eq!(tx.try_push(9), Err(PushError::Disconnected(9)));
    assert_eq!(tx.push(9), Err(PushError::Disconnected(9)));
}

#[test]
fn timeouts_hand_back_full_and_empty() {
    let (tx, rx) = mpmc::channel::<u32>(1);
    assert_eq!(
        rx.pop_timeout(Duration::from_millis(5)),
        Err(PopTimeoutError::Timeout)
    );
    assert_eq!(
        rx.pop_until(Instant::now() + Duration::from_millis(5)),
        Err(PopTimeoutError::Timeout)
    );
    assert_eq!(rx.try_pop(), Err(PopError::Empty));
    tx.push(1).unwrap();
    assert_eq!(
        tx.push_timeout(2, Duration::from_millis(5)),
        Err(PushTimeoutError::Timeout(2))
    );
    assert_eq!(
        tx.push_until(3, Instant::now() + Duration::from_millis(5)),
        Err(PushTimeoutError::Timeout(3))
    );
    assert_eq!(tx.try_push(2), Err(PushError::Full(2)));
    assert_eq!(rx.pop_timeout(Duration::MAX), Ok(1));
    drop(rx);
    assert_eq!(
        tx.push_until(4, Instant::now()),
        Err(PushTimeoutError::Disconnected(4))
    );
}

#[test]
fn force_push_under_contention_loses_nothing() {
    let per = scaled_per_build(200_000, 20_000, 60);
    let q = Arc::new(Queue::<u64>::new(if cfg!(miri) { 2 } else { 8 }));
    let seen = Arc::new(
        (0..(2 * per as usize).div_ceil(64))
            .map(|_| AtomicU64::new(0))
            .collect::<Vec<_>>(),
    );
    let mark = |seen: &[AtomicU64], v: u64| {
        let n = v as usize;
        let old = seen[n / 64].fetch_or(1 << (n % 64), Ordering::Relaxed);
        assert_eq!(old & (1 << (n % 64)), 0, "item {v} seen twice");
    };
    let done = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for p in 0..2u64 {
        let (q, seen, done) = (q.clone(), seen.clone(), done.clone());
        handles.push(thread::spawn(move || {
            for i in 0..per {
                if let Some(old) = q.force_push(p * per + i) {
                    mark(&seen, old);
                }
            }
            done.fetch_add(1, Ordering::Release);
        }));
    }
    for _ in 0..2 {
        let (q, seen, done) = (q.clone(), seen.clone(), done.clone());
        handles.push(thread::spawn(move || {
            let mut last = [None::<u64>; 2];
            loop {
                match q.try_pop() {
                    Some(v) => {
                        let p = (v / per) as usize;
                        if let Some(prev) = last[p] {
                            assert!(v > prev, "out of order: {v} after {prev}");
                        }
                        last[p] = Some(v);
                        mark(&seen, v);
                    }
                    None if done.load(Ordering::Acquire) == 2 => break,
                    None => thread::yield_now(),
                }
            }
        }));
    }
    for h in handles {
        h.join().unwrap();
    }
    while let Some(v) = q.try_pop() {
        mark(&seen, v);
    }
    let ones: u32 = seen
        .iter()
        .map(|w| w.load(Ordering::Relaxed).count_ones())
        .sum();
    assert_eq!(ones as u64, 2 * per);
}

#[test]
fn force_push_evicts_oldest_and_keeps_seq() {
    let q = Queue::new(3);
    for i in 0..3 {
        assert_eq!(q.force_push(i), None);
    }
    assert!(q.is_full());
    assert_eq!(q.force_push(3), Some(0));
    assert_eq!(q.force_push(4), Some(1));
    assert_eq!(q.len(), 3);
    assert_eq!(q.try_pop_with_seq(), Some((2, 2)));
    assert_eq!(q.try_pop_with_seq(), Some((3, 3)));
    assert_eq!(q.try_pop_with_seq(), Some((4, 4)));
    assert_eq!(q.try_pop_with_seq(), None);
}

#[test]
fn leftovers_dropped_exactly_once() {
    for laps in [0, 1, 2] {
        for cap in [1, 2, 3, 5, 8] {
            let drops = Arc::new(AtomicUsize::new(0));
            let q = Queue::starting_at(cap, laps);
            // Walk the positions around (and across the wrap) before filling.
            for _ in 0..cap + 1 {
                q.try_push(Counted::new(0, &drops)).ok().unwrap();
                drop(q.try_pop().unwrap());
            }
            assert_eq!(drops.load(Ordering::Relaxed), cap + 1);
            for _ in 0..cap {
                assert!(q.try_push(Counted::new(0, &drops)).is_ok());
            }
            let back = q.try_push(Counted::new(0, &drops)).err().unwrap();
            drop(back);
            let evicted = q.force_push(Counted::new(0, &drops)).unwrap();
            drop(evicted);
            drop(q.try_pop());
            assert_eq!(drops.load(Ordering::Relaxed), cap + 4);
            drop(q);
            assert_eq!(
                drops.load(Ordering::Relaxed),
                2 * cap + 3,
                "cap {cap}, laps {laps}"
            );
        }
    }
}

#[test]
fn channel_leftovers_dropped_with_last_receiver() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpmc::channel(4);
    let tx2 = tx.clone();
    for _ in 0..3 {
        tx.push(Counted::new(0, &drops)).unwrap();
    }
    drop(rx.pop().unwrap());
    assert_eq!(drops.load(Ordering::Relaxed), 1);
    // Nothing can be received any more: the two left go now, while both
    // senders still live.
    drop(rx);
    assert_eq!(drops.load(Ordering::Relaxed), 3);
    assert!(tx.is_disconnected() && tx2.is_disconnected());
    assert_eq!((tx.len(), tx.is_empty(), tx.is_full()), (0, true, false));
    match tx.try_push(Counted::new(0, &drops)) {
        Err(PushError::Disconnected(v)) => {
            assert_eq!(drops.load(Ordering::Relaxed), 3, "handed back, not dropped");
            drop(v);
        }
        _ => panic!("expected Disconnected"),
    }
    assert!(tx2
        .push(Counted::new(0, &drops))
        .unwrap_err()
        .is_disconnected());
    assert_eq!(drops.load(Ordering::Relaxed), 5);
    drop((tx, tx2));
    assert_eq!(drops.load(Ordering::Relaxed), 5);
}

/// Senders push without pause while receivers pop a while and then leave. At
/// the moment the last receiver's drop returns, every item a push put in has
/// been popped or dropped (the close waits for pushes still writing); the
/// rest were handed back to their senders, never dropped inside.
#[test]
fn last_receiver_drop_races_pushes() {
    for round in 0..scaled_per_build(200, 20, 4) as usize {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = mpmc::channel::<Counted>(1 + round % 5);
        let senders: Vec<_> = (0..2)
            .map(|s| {
                let tx = tx.clone();
                let drops = drops.clone();
                std::thread::spawn(move || {
                    let mut pushed = 0usize;
                    let mut value = Counted::new(s, &drops);
                    loop {
                        // Blocking and non-blocking pushes both meet the close.
                        let r = if pushed % 2 == 0 {
                            tx.push(value)
                        } else {
                            tx.try_push(value)
                        };
                        match r {
                            Ok(()) => {
                                pushed += 1;
                                value = Counted::new(s, &drops);
                            }
                            Err(PushError::Full(v)) => value = v,
                            Err(PushError::Disconnected(v)) => return (pushed, v),
                        }
                    }
                })
            })
            .collect();
        drop(tx);
        let rx2 = rx.clone();
        let other = std::thread::spawn(move || {
            let n = rx2.iter().take(round % 7).count();
            drop(rx2);
            n
        });
        let mine = rx.iter().take(round % 3).count();
        drop(rx);
        let popped = mine + other.join().unwrap();
        let dropped_when_closed = drops.load(Ordering::Relaxed);
        let mut pushed = 0;
        let mut handed_back = Vec::new();
        for s in senders {
            let (n, back) = s.join().unwrap();
            pushed += n;
            handed_back.push(back); // still the sender's: not dropped yet
        }
        // The other receiver may have left last; either way, every item pushed
        // was popped (and dropped by the test) or dropped by the close by now.
        assert!(popped <= pushed);
        assert_eq!(dropped_when_closed, pushed, "round {round}");
        assert_eq!(drops.load(Ordering::Relaxed), pushed, "round {round}");
        drop(handed_back);
        assert_eq!(drops.load(Ordering::Relaxed), pushed + 2, "round {round}");
    }
}

#[test]
fn zero_sized_items() {
    let q = Queue::<()>::new(3);
    for _ in 0..10 {
        assert_eq!(q.try_push(()), Ok(()));
        assert_eq!(q.try_push(()), Ok(()));
        assert_eq!(q.try_push(()), Ok(()));
        assert_eq!(q.try_push(()), Err(PushError::Full(())));
        assert_eq!(q.len(), 3);
        assert_eq!(q.force_push(()), Some(()));
        for _ in 0..3 {
            assert_eq!(q.try_pop(), Some(()));
        }
        assert_eq!(q.try_pop(), None);
    }
    let (tx, rx) = mpmc::channel::<()>(1);
    let t = thread::spawn(move || {
        for _ in 0..scaled_per_build(10_000, 1000, 20) {
            tx.push(()).unwrap();
        }
    });
    assert_eq!(rx.iter().count() as u64, scaled_per_build(10_000, 1000, 20));
    t.join().unwrap();
}

#[test]
fn capacity_one() {
    let q = Queue::new(1);
    assert_eq!(q.capacity(), 1);
    assert!(q.is_empty() && !q.is_full());
    assert_eq!(q.try_push(1), Ok(()));
    assert!(q.is_full() && !q.is_empty());
    assert_eq!(q.try_push(2), Err(PushError::Full(2)));
    assert_eq!(q.force_push(2), Some(1));
    assert_eq!(q.try_pop(), Some(2));
    assert_eq!(q.try_pop(), None);

    // Ping-pong through one slot, two of each side.
    let n = scaled_per_build(100_000, 10_000, 40) as usize;
    let (tx, rx) = mpmc::channel::<usize>(1);
    let senders: Vec<_> = (0..2)
        .map(|_| {
            let tx = tx.clone();
            thread::spawn(move || (0..n).for_each(|i| tx.push_timeout(i, NEVER).unwrap()))
        })
        .collect();
    drop(tx);
    let receivers: Vec<_> = (0..2)
        .map(|_| {
            let rx = rx.clone();
            thread::spawn(move || {
                rx.iter()
                    .map(|v| v as u64)
                    .fold((0u64, 0u64), |(c, s), v| (c + 1, s + v))
            })
        })
        .collect();
    drop(rx);
    senders.into_iter().for_each(|s| s.join().unwrap());
    let (c, s) = receivers
        .into_iter()
        .map(|r| r.join().unwrap())
        .fold((0, 0), |(c, s), (c2, s2)| (c + c2, s + s2));
    assert_eq!(c, 2 * n as u64);
    assert_eq!(s, (n * (n - 1)) as u64);
}

#[test]
fn wrap_around_of_positions_and_stamps() {
    for cap in [1usize, 2, 3, 4, 5, 7, 8] {
        let laps = 3u64;
        let q = Queue::starting_at(cap, laps);
        // Sequence numbers count positions modulo 2^64 / one_lap * capacity.
        let one_lap = (cap as u128 + 1).next_power_of_two();
        let modulus = (1u128 << 64) / one_lap * cap as u128;
        let first = modulus - laps as u128 * cap as u128;
        let mut next_in = 0u64;
        let mut next_out = 0u64;
        // Many laps with varying fill levels, across the u64 wrap-around.
        for round in 0..8 * cap {
            let k = round % cap + 1;
            for _ in 0..k {
                assert_eq!(q.try_push(next_in), Ok(()));
                next_in += 1;
            }
            assert_eq!(q.len(), k);
            assert_eq!(q.is_full(), k == cap);
            for _ in 0..k {
                let (seq, v) = q.try_pop_with_seq().unwrap();
                assert_eq!(v, next_out);
                assert_eq!(
                    seq as u128,
                    (first + next_out as u128) % modulus,
                    "cap {cap}"
                );
                next_out += 1;
            }
            assert!(q.is_empty());
        }
        assert!(next_in as usize > laps as usize * cap);
    }
}

/// Each channel handle starts a push or pop at its own guess of the position
/// (the one after its last success). Three clones of each handle take turns in
/// runs of up to two laps, across the u64 wrap-around of positions, so most
/// guesses are stale, some by more than a lap. Against a model queue: `Full`
/// and `Empty` exactly when the model says so, the items in order with
/// consecutive sequence numbers, whichever handle pushed or pops them.
#[test]
fn handles_taking_turns_get_exact_verdicts() {
    use std::collections::VecDeque;
    for cap in [1usize, 2, 3, 4, 7, 8] {
        let (tx, rx) = mpmc::channel_starting_at::<u64>(cap, 2);
        let txs = [tx.clone(), tx.clone(), tx];
        let rxs = [rx.clone(), rx.clone(), rx];
        let mut model = VecDeque::new();
        let (mut next_in, mut next_seq) = (0u64, None::<u64>);
        // Sequence numbers count positions modulo 2^64 / one_lap * capacity.
        let modulus = (1u128 << 64) / (cap as u128 + 1).next_power_of_two() * cap as u128;
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..scaled(400, 40) as usize * cap {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            // A run of one to 2 * cap operations by one handle.
            let who = (rng % 3) as usize;
            let run = (rng >> 8) as usize % (2 * cap) + 1;
            let push = (rng >> 20) % 2 == 0;
            for _ in 0..run {
                if push {
                    let got = txs[who].try_push(next_in);
                    if model.len() == cap {
                        assert_eq!(got, Err(PushError::Full(next_in)), "cap {cap}");
                    } else {
                        assert_eq!(got, Ok(()), "cap {cap}: spurious Full");
                        model.push_back(next_in);
                        next_in += 1;
                    }
                } else {
                    match (rxs[who].try_pop_with_seq(), model.pop_front()) {
                        (Err(PopError::Empty), None) => {}
                        (Ok((seq, v)), Some(m)) => {
                            assert_eq!(v, m, "cap {cap}");
                            if let Some(s) = next_seq {
                                assert_eq!(seq, s, "cap {cap}");
                            }
                            next_seq = Some(((seq as u128 + 1) % modulus) as u64);
                        }
                        (got, want) => panic!("cap {cap}: popped {got:?}, model {want:?}"),
                    }
                }
            }
        }
        assert!(next_in > 3 * cap as u64, "cap {cap}: too few laps");
    }
}

/// `try_ops_never_fail_spuriously` through channel handles, each thread with
/// its own clone of a sender and a receiver.
#[test]
fn channel_try_ops_never_fail_spuriously() {
    let (tx, rx) = mpmc::channel::<u64>(3);
    let per = scaled_per_build(100_000, 10_000, 50);
    credits_never_fail(
        3,
        per,
        (tx.clone(), rx.clone()),
        |(tx, _), i| tx.try_push(i).is_ok(),
        |(_, rx)| rx.try_pop().is_ok(),
    );
    assert_eq!(rx.try_pop(), Err(PopError::Empty));
}

#[test]
fn wrap_around_under_contention() {
    for cap in [1usize, 2, 3] {
        let n = scaled_per_build(50_000, 5_000, 30);
        let (tx, rx) = mpmc::channel_starting_at::<u64>(cap, 2);
        let senders: Vec<_> = (0..2u64)
            .map(|p| {
                let tx = tx.clone();
                thread::spawn(move || {
                    (0..n).for_each(|i| tx.push_timeout((p << SHIFT) | i, NEVER).unwrap())
                })
            })
            .collect();
        drop(tx);
        let receivers: Vec<_> = (0..2)
            .map(|_| {
                let rx = rx.clone();
                thread::spawn(move || {
                    let mut last = [None::<u64>; 2];
                    let mut count = 0u64;
                    for v in &rx {
                        let p = (v >> SHIFT) as usize;
                        let i = v & ((1 << SHIFT) - 1);
                        assert!(last[p].map_or(true, |prev| i > prev));
                        last[p] = Some(i);
                        count += 1;
                    }
                    count
                })
            })
            .collect();
        drop(rx);
        senders.into_iter().for_each(|s| s.join().unwrap());
        let total: u64 = receivers.into_iter().map(|r| r.join().unwrap()).sum();
        assert_eq!(total, 2 * n);
    }
}

#[test]
fn capacity_errors() {
    assert_eq!(Queue::<u8>::try_new(0).err(), Some(CapacityError::Zero));
    assert!(matches!(
        Queue::<u8>::try_new(usize::MAX).err(),
        Some(CapacityError::TooLarge { .. })
    ));
    assert!(matches!(
        mpmc::try_channel::<[u8; 1 << 20]>(1 << 50).err(),
        Some(CapacityError::TooLarge { .. })
    ));
    assert!(std::panic::catch_unwind(|| Queue::<u8>::new(0)).is_err());
}

#[test]
fn iterators() {
    let (tx, rx) = mpmc::channel::<u32>(8);
    for i in 0..5 {
        tx.try_push(i).unwrap();
    }
    assert_eq!(rx.len(), 5);
    assert_eq!(rx.try_iter().take(2).collect::<Vec<_>>(), [0, 1]);
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [2, 3, 4]);
    tx.try_push(7).unwrap();
    drop(tx);
    assert_eq!(rx.into_iter().collect::<Vec<_>>(), [7]);
}

// ---------------------------------------------------------------------------
// Ownership and panic contracts: every item is dropped exactly once, also when
// one of them panics in `Drop`, and iterators that borrow a receiver own nothing.

#[test]
fn queue_leftovers_all_dropped_when_one_panics() {
    const N: u64 = 5;
    let caps: &[usize] = if cfg!(miri) { &[5, 7] } else { &[5, 6, 7, 8] };
    for &cap in caps {
        for laps in [0, 1] {
            // `skip` walks the positions so that the leftovers wrap around the end
            // of the buffer (and across the u64 wrap when laps == 1).
            for skip in [0, cap as u64 - 2] {
                for bad in 0..N {
                    let what = format!("cap {cap}, laps {laps}, skip {skip}, item {bad} panics");
                    let table = DropTable::default();
                    let q = Queue::starting_at(cap, laps);
                    for id in N..N + skip {
                        assert!(q.try_push(table.item(id)).is_ok());
                        drop(q.try_pop().unwrap());
                    }
                    for id in 0..N {
                        assert!(q.try_push(table.item_or_bomb(id, id == bad)).is_ok());
                    }
                    expect_injected_panic(|| drop(q));
                    table.assert_dropped(0..N + skip, &what);
                }
            }
        }
    }
}

#[test]
fn channel_leftovers_all_dropped_when_one_panics_senders_live() {
    for bad in 1..4 {
        let table = DropTable::default();
        let (tx, rx) = mpmc::channel(4);
        // Move the positions so that the leftovers wrap around the buffer's end.
        for id in 10..13 {
            tx.try_push(table.item(id)).unwrap();
            drop(rx.try_pop().unwrap());
        }
        for id in 0..4 {
            tx.try_push(table.item_or_bomb(id, id == bad)).unwrap();
        }
        drop(rx.try_pop().unwrap());
        table.assert_dropped([10, 11, 12, 0], "popped");
        // The last receiver drops the three leftovers, the bomb among them.
        expect_injected_panic(|| drop(rx));
        table.assert_dropped([10, 11, 12, 0, 1, 2, 3], "every leftover once");
        // The queue is closed, and nothing is dropped twice later.
        assert!(tx.try_push(table.item(20)).unwrap_err().is_disconnected());
        drop(tx);
        table.assert_dropped([10, 11, 12, 0, 1, 2, 3, 20], "after the last sender");
    }
}

#[test]
fn channel_leftovers_all_dropped_when_one_panics_last_receiver() {
    let table = DropTable::default();
    let (tx, rx) = mpmc::channel(8);
    let rx2 = rx.clone();
    for id in 0..6 {
        tx.try_push(table.item_or_bomb(id, id == 4)).unwrap();
    }
    drop(tx);
    drop(rx2.try_pop().unwrap());
    drop(rx2);
    table.assert_dropped([0], "popped one");
    expect_injected_panic(|| drop(rx));
    table.assert_dropped(0..6, "every leftover once");
}

#[test]
fn into_iter_leftovers_all_dropped_when_one_panics() {
    let table = DropTable::default();
    let (tx, rx) = mpmc::channel(4);
    for id in 0..4 {
        tx.try_push(table.item_or_bomb(id, id == 1)).unwrap();
    }
    drop(tx);
    let mut it = rx.into_iter();
    drop(it.next().unwrap());
    table.assert_dropped([0], "one taken");
    // Dropped half-used: it owns the last receiver, so the channel goes with it.
    expect_injected_panic(|| drop(it));
    table.assert_dropped(0..4, "every leftover once");
}

// The iterators have no `Drop` today, so forgetting one is dropping it; the test
// pins the contract (it owns only what it yielded) should that ever change.
#[allow(clippy::drop_non_drop, clippy::forget_non_drop)]
#[test]
fn try_iter_dropped_half_used_or_forgotten_takes_only_what_it_yielded() {
    let table = DropTable::default();
    let (tx, rx) = mpmc::channel(8);
    for id in 0..6 {
        tx.try_push(table.item(id)).unwrap();
    }
    let mut it = rx.try_iter();
    drop(it.next().unwrap());
    drop(it);
    table.assert_dropped([0], "dropped half-used");
    let mut it = rx.try_iter();
    drop(it.next().unwrap());
    std::mem::forget(it);
    table.assert_dropped([0, 1], "forgotten");
    // The channel is still whole: the rest come out in order, once.
    let mut it = rx.try_iter();
    assert_eq!(it.next().unwrap().id, 2);
    std::mem::forget(it);
    tx.try_push(table.item(6)).unwrap();
    let ids: Vec<u64> = rx.try_iter().map(|t| t.id).collect();
    assert_eq!(ids, [3, 4, 5, 6]);
    table.assert_dropped(0..7, "all taken");
    tx.try_push(table.item(7)).unwrap();
    drop((tx, rx));
    table.assert_dropped(0..8, "leftover dropped with the channel");
}

#[test]
fn try_iter_panicking_item_leaves_the_rest_in_the_channel() {
    let table = DropTable::default();
    let (tx, rx) = mpmc::channel(8);
    for id in 0..5 {
        tx.try_push(table.item_or_bomb(id, id == 1)).unwrap();
    }
    // The consumer's own drop of item 1 panics inside the iteration.
    expect_injected_panic(|| rx.try_iter().for_each(drop));
    table.assert_dropped([0, 1], "taken up to the panic");
    assert_eq!(rx.len(), 3);
    assert_eq!(rx.try_pop().unwrap().id, 2);
    drop((tx, rx));
    table.assert_dropped(0..5, "the rest with the channel");
}

// The iterators have no `Drop` today, so forgetting one is dropping it; the test
// pins the contract (it owns only what it yielded) should that ever change.
#[allow(clippy::drop_non_drop, clippy::forget_non_drop)]
#[test]
fn blocking_iter_dropped_half_used_or_forgotten_takes_only_what_it_yielded() {
    let table = DropTable::default();
    let (tx, rx) = mpmc::channel(8);
    for id in 0..5 {
        tx.try_push(table.item(id)).unwrap();
    }
    let mut it = rx.iter();
    drop(it.next().unwrap());
    drop(it);
    let mut it = (&rx).into_iter();
    drop(it.next().unwrap());
    std::mem::forget(it);
    table.assert_dropped([0, 1], "two taken");
    drop(tx);
    let ids: Vec<u64> = rx.iter().map(|t| t.id).collect();
    assert_eq!(ids, [2, 3, 4]);
    table.assert_dropped(0..5, "all taken");
    drop(rx);
    table.assert_dropped(0..5, "nothing twice");
}

#[test]
fn evicted_and_handed_back_items_are_the_callers() {
    let table = DropTable::default();
    let q = Queue::new(2);
    q.try_push(table.bomb(0)).ok().unwrap();
    q.try_push(table.item(1)).ok().unwrap();
    let back = q.try_push(table.item(2)).err().unwrap();
    table.assert_dropped([], "handed back, not dropped");
    drop(back);
    // The evicted item panics in the caller's hands; the queue is untouched.
    let evicted = q.force_push(table.item(3)).unwrap();
    expect_injected_panic(|| drop(evicted));
    table.assert_dropped([0, 2], "evicted and handed back");
    assert_eq!(q.len(), 2);
    drop(q);
    table.assert_dropped(0..4, "every item once");
}

#[test]
fn queue_into_iter_drains_by_value_and_drops_the_rest_once() {
    let table = DropTable::default();
    let q = Queue::starting_at(4, 1); // wraps while draining
    for id in 0..4 {
        q.try_push(table.item(id)).ok().unwrap();
    }
    let mut items = q.into_iter();
    assert_eq!(items.len(), 4);
    let first = items.next().unwrap();
    assert_eq!(first.id(), 0);
    assert_eq!(items.len(), 3);
    drop(first);
    table.assert_dropped([0], "taken and dropped by the caller");
    drop(items); // half used
    table.assert_dropped(0..4, "the rest dropped with the iterator, once each");
}

#[test]
fn queue_into_iter_with_a_panicking_drop_among_the_rest() {
    let table = DropTable::default();
    let q = Queue::new(4);
    for id in 0..4 {
        q.try_push(table.item_or_bomb(id, id == 2)).ok().unwrap();
    }
    let mut items = q.into_iter();
    drop(items.next());
    // Dropping the iterator drops 1, 2 (panics) and, unwinding, 3.
    expect_injected_panic(|| drop(items));
    table.assert_dropped(0..4, "every item once, the panicking one included");
}
