//! loom models of the seqlock. The value is two words that every write sets equal
//! (and, for one writer, equal to the write's number), so a torn or mismatched read
//! shows up as an assertion failure. The writer's exclusive section is announced to
//! loom (`Tracker` in src/sync/tracker.rs), so two writers that are not ordered one after
//! the other fail the model.
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use loom_tests::bounded;
use ringkit::seqlock::SeqLock;

/// One writer stores `[1, 1]` then `[2, 2]`; a reader reads twice without retrying.
/// Every value it accepts must be the one written under the sequence it returns.
/// Kills a weakened [seqlock.write.fence], [seqlock.write.unlock],
/// [seqlock.read.begin] and [seqlock.read.fence].
#[test]
fn reader_racing_two_writes() {
    loom::model(|| {
        let lock = Arc::new(SeqLock::new([0u64; 2]));
        let w = {
            let lock = lock.clone();
            thread::spawn(move || {
                assert_eq!(lock.write([1, 1]), 2);
                assert_eq!(lock.write([2, 2]), 4);
            })
        };
        let mut last = 0;
        for _ in 0..2 {
            if let Some((s, v)) = lock.try_read_with_seq() {
                assert_eq!(v, [s / 2; 2], "torn or mismatched read at sequence {s}");
                assert!(s >= last);
                last = s;
            }
        }
        w.join().unwrap();
        assert_eq!(lock.read_with_seq(), (4, [2, 2]));
    });
}

/// The retrying `read` against one write: it returns a whole value, whatever the
/// interleaving.
#[test]
fn read_retries_past_a_write() {
    loom::model(|| {
        let lock = Arc::new(SeqLock::new([0u64; 2]));
        let w = {
            let lock = lock.clone();
            thread::spawn(move || {
                lock.write([1, 1]);
            })
        };
        let (s, v) = lock.read_with_seq();
        assert_eq!(v, [s / 2; 2]);
        w.join().unwrap();
    });
}

/// Two writers through shared references and a reader. Bounded to keep the
/// loom stage short (unbounded it finished in 31 s on two busy cores);
/// `two_writers` is its unbounded twin.
#[test]
fn two_writers_and_a_reader() {
    bounded(3, || {
        let lock = Arc::new(SeqLock::new([0u64; 2]));
        let writers: Vec<_> = (1..=2u64)
            .map(|k| {
                let lock = lock.clone();
                thread::spawn(move || {
                    lock.write([k, k]);
                })
            })
            .collect();
        if let Some((s, [a, b])) = lock.try_read_with_seq() {
            assert_eq!(a, b, "torn read");
            assert_eq!(s == 0, a == 0);
        }
        for w in writers {
            w.join().unwrap();
        }
        let (s, [a, b]) = lock.read_with_seq();
        assert_eq!(s, 4);
        assert_eq!(a, b);
        assert!(a == 1 || a == 2);
    });
}

/// Two writers, no reader: the second writer's section must be ordered after the
/// first's. Kills a weakened [seqlock.write.lock] (the tracker sees two unordered
/// writer sections).
#[test]
fn two_writers() {
    loom::model(|| {
        let lock = Arc::new(SeqLock::new([0u64; 2]));
        let w = {
            let lock = lock.clone();
            thread::spawn(move || lock.write([1, 1]))
        };
        let mine = lock.write([2, 2]);
        let theirs = w.join().unwrap();
        assert_eq!(mine + theirs, 6);
        let (s, v) = lock.read_with_seq();
        assert_eq!(s, 4);
        assert_eq!(v, if mine == 4 { [2, 2] } else { [1, 1] });
    });
}
