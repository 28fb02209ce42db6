//! The non-blocking API, the part that exists without the `std` feature.
//!
//! `scripts/check nostd` runs this file against the library built with
//! `--no-default-features` (`#![no_std]` + `alloc`: no futex, no parking, the MPMC
//! queue's wait for a slot's claimant is a spin); the normal test run runs it
//! against the default build. The test itself may use std (threads, `Vec`).

use ringkit::broadcast::RecvError;
use ringkit::event::{Event, EventFlag};
use ringkit::seqlock::SeqLock;
use ringkit::{broadcast, mpmc, spsc, ChunkError, PopError, PushError};
use std::sync::Arc;
use std::thread;

#[test]
fn spsc_try_ops_chunks_and_disconnection() {
    let (mut tx, mut rx) = spsc::channel::<u32>(3);
    assert_eq!(tx.try_push(1), Ok(()));
    let mut chunk = tx.write_chunk(2).unwrap();
    let (a, b) = chunk.as_mut_slices();
    assert_eq!(a.len() + b.len(), 2);
    a.iter_mut().chain(b.iter_mut()).for_each(|v| *v = 7);
    chunk.commit_all();
    assert_eq!(tx.try_push(9), Err(PushError::Full(9)));
    assert_eq!(rx.peek(), Some(&1));
    assert_eq!(rx.next_seq(), 0);
    assert_eq!(rx.try_pop(), Ok(1));
    let chunk = rx.read_chunk(2).unwrap();
    assert_eq!(chunk.first_seq(), 1);
    let got: Vec<u32> = chunk.into_iter().collect();
    assert_eq!(got, [7, 7]);
    assert_eq!(rx.try_pop(), Err(PopError::Empty));
    assert!(matches!(
        rx.read_chunk(1),
        Err(ChunkError::TooFewItems { available: 0 })
    ));
    assert_eq!(tx.write_chunk_uninit(2).unwrap().fill_from_iter(10..), 2);
    drop(tx);
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [10, 11]);
    assert_eq!(rx.try_pop(), Err(PopError::Disconnected));
}

#[test]
fn spsc_try_ops_across_threads_in_order() {
    let n = if cfg!(miri) { 200 } else { 100_000u64 };
    let (mut tx, mut rx) = spsc::channel::<u64>(16);
    let producer = thread::spawn(move || {
        for i in 0..n {
            let mut v = i;
            while let Err(PushError::Full(back)) = tx.try_push(v) {
                v = back;
                std::hint::spin_loop();
            }
        }
    });
    let mut next = 0;
    loop {
        match rx.try_pop() {
            Ok(v) => {
                assert_eq!(v, next);
                next += 1;
            }
            Err(PopError::Empty) => std::hint::spin_loop(),
            Err(PopError::Disconnected) => break,
        }
    }
    assert_eq!(next, n);
    producer.join().unwrap();
}

#[test]
fn mpmc_queue_and_channel_try_ops() {
    let q = mpmc::Queue::<u8>::new(2);
    assert_eq!(q.try_push(1), Ok(()));
    assert_eq!(q.try_push(2), Ok(()));
    assert_eq!(q.try_push(3), Err(PushError::Full(3)));
    assert_eq!(q.force_push(3), Some(1));
    assert_eq!(q.try_pop_with_seq(), Some((1, 2)));
    assert_eq!(q.try_pop(), Some(3));
    assert_eq!(q.try_pop(), None);

    let (tx, rx) = mpmc::channel::<u8>(1);
    assert_eq!(tx.try_push(1), Ok(()));
    assert_eq!(tx.clone().try_push(2), Err(PushError::Full(2)));
    assert_eq!(rx.clone().try_pop(), Ok(1));
    drop(tx);
    assert_eq!(rx.try_pop(), Err(PopError::Disconnected));
    let (tx, rx) = mpmc::channel::<u8>(1);
    drop(rx);
    assert_eq!(tx.try_push(5), Err(PushError::Disconnected(5)));
}

/// Two producers and two consumers on the try operations only: every item out
/// exactly once, each producer's items in order at each consumer. Without `std`
/// this runs the spin wait for a slot whose claimant is still copying.
#[test]
fn mpmc_try_ops_exactly_once_2p2c() {
    let per = if cfg!(miri) { 100 } else { 50_000u64 };
    let q = Arc::new(mpmc::Queue::<u64>::new(4));
    let producers: Vec<_> = (0..2u64)
        .map(|p| {
            let q = q.clone();
            thread::spawn(move || {
                for i in 0..per {
                    let mut v = p << 32 | i;
                    while let Err(full) = q.try_push(v) {
                        v = full.into_inner();
                        thread::yield_now();
                    }
                }
            })
        })
        .collect();
    let consumers: Vec<_> = (0..2)
        .map(|_| {
            let q = q.clone();
            thread::spawn(move || {
                let mut got = Vec::new();
                let mut last = [None::<u64>; 2];
                while got.len() < per as usize {
                    match q.try_pop() {
                        Some(v) => {
                            let (p, i) = ((v >> 32) as usize, v & 0xffff_ffff);
                            assert!(last[p].map_or(true, |l| l < i), "producer order broken");
                            last[p] = Some(i);
                            got.push(v);
                        }
                        None => thread::yield_now(),
                    }
                }
                got
            })
        })
        .collect();
    producers.into_iter().for_each(|p| p.join().unwrap());
    let mut all: Vec<u64> = consumers
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    all.sort_unstable();
    let want: Vec<u64> = (0..2u64)
        .flat_map(|p| (0..per).map(move |i| p << 32 | i))
        .collect();
    assert_eq!(all, want);
}

#[test]
fn seqlock_event_flag_and_event_without_waiting() {
    let lock = SeqLock::new([1u32, 2]);
    assert_eq!(lock.write([3, 4]), 2);
    assert_eq!(lock.read_with_seq(), (2, [3, 4]));
    assert_eq!(lock.try_read(), Some([3, 4]));

    let flag = EventFlag::new(0u64);
    assert_eq!(flag.publish(5), 1);
    assert_eq!(flag.read(), (1, 5));
    assert_eq!(flag.try_read(), Some((1, 5)));
    assert_eq!(flag.generation(), 1);

    let auto = Event::auto_reset();
    assert!(!auto.try_wait());
    auto.set();
    auto.set(); // sets do not accumulate
    assert!(auto.try_wait());
    assert!(!auto.try_wait());
    let manual = Event::manual_reset();
    manual.set();
    assert!(manual.try_wait() && manual.try_wait() && manual.is_set());
    manual.reset();
    assert!(!manual.try_wait());
}

#[test]
fn broadcast_publish_and_try_recv() {
    let (mut publisher, mut sub) = broadcast::channel::<u64>(2);
    assert_eq!(sub.try_recv(), Err(RecvError::Empty));
    for v in 0..5 {
        assert_eq!(publisher.publish(100 + v), v);
    }
    // Capacity 2: events 0..3 were overwritten; the subscriber is told exactly.
    assert_eq!(sub.try_recv(), Err(RecvError::Lagged(3)));
    assert_eq!(sub.try_recv(), Ok((3, 103)));
    let mut late = publisher.subscribe();
    assert_eq!(sub.try_recv(), Ok((4, 104)));
    assert_eq!(late.try_recv(), Err(RecvError::Empty));
    drop(publisher);
    assert_eq!(sub.try_recv(), Err(RecvError::Disconnected));
}
