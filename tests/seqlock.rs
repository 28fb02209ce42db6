//! SeqLock stress: readers racing writers never see a torn value.

mod common;

use common::{same, READS};
use ringkit::seqlock::SeqLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;

const READERS: usize = 3;

#[test]
fn one_writer_readers_never_see_torn_values() {
    let lock = SeqLock::new([0u64; 4]);
    let done = AtomicBool::new(false);
    thread::scope(|s| {
        let readers: Vec<_> = (0..READERS)
            .map(|r| {
                let lock = &lock;
                s.spawn(move || {
                    let mut last = 0;
                    let mut misses = 0usize;
                    for i in 0..READS {
                        let got = if (i + r) % 2 == 0 {
                            Some(lock.read_with_seq())
                        } else {
                            lock.try_read_with_seq()
                        };
                        let Some((seq, v)) = got else {
                            misses += 1;
                            continue;
                        };
                        assert_eq!(seq % 2, 0, "odd sequence returned");
                        // One writer: write k stores [k; 4] and makes the sequence 2k.
                        assert_eq!(same(v), seq / 2, "value and sequence from different writes");
                        assert!(seq >= last, "sequence went backwards: {last} -> {seq}");
                        last = seq;
                    }
                    misses
                })
            })
            .collect();
        s.spawn(|| {
            let mut k = 0u64;
            while !done.load(Ordering::Relaxed) {
                k += 1;
                assert_eq!(lock.write([k; 4]), 2 * k);
            }
        });
        for r in readers {
            let misses = r.join().unwrap();
            assert!(misses < READS);
        }
        done.store(true, Ordering::Relaxed);
    });
    let (seq, v) = lock.read_with_seq();
    assert_eq!(same(v), seq / 2);
}

#[test]
fn two_writers_are_serialized() {
    const WRITES: u64 = if cfg!(miri) { 50 } else { 100_000 };
    // The largest value a SeqLock holds: 15 words, two cache lines.
    let lock = SeqLock::new([0u64; 15]);
    let next = AtomicU64::new(1);
    let stop = AtomicBool::new(false);
    thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                for _ in 0..WRITES {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    lock.write([k; 15]);
                }
            });
        }
        let reader = s.spawn(|| {
            let mut last = 0;
            while !stop.load(Ordering::Relaxed) {
                let (seq, v) = lock.read_with_seq();
                same(v);
                assert!(seq >= last);
                last = seq;
            }
        });
        // Wait for both writers (the reader is the only other unfinished thread).
        while lock.seq() < 4 * WRITES {
            thread::yield_now();
        }
        stop.store(true, Ordering::Relaxed);
        reader.join().unwrap();
    });
    let (seq, v) = lock.read_with_seq();
    assert_eq!(seq, 4 * WRITES);
    assert!((1..=2 * WRITES).contains(&same(v)));
}

#[test]
fn bytes_round_trip_for_odd_sizes() {
    let lock = SeqLock::new([0u8; 13]);
    thread::scope(|s| {
        s.spawn(|| {
            for k in 1..=200u8 {
                lock.write([k; 13]);
            }
        });
        s.spawn(|| {
            for _ in 0..200 {
                let v = lock.read();
                assert!(v.iter().all(|&b| b == v[0]), "torn read: {v:?}");
            }
        });
    });
    assert_eq!(lock.read(), [200; 13]);
}
