//! A sequence lock: any number of readers that never hold up a writer, writers
//! serialized by a compare-exchange on the sequence, for small plain-data values.
//!
//! A reader that meets a write in progress retries, so [`read`](SeqLock::read)
//! waits for a writer that stalls mid-write (a few stores, unless the writer is
//! preempted); [`try_read`](SeqLock::try_read) makes one attempt and returns at
//! once, for real-time readers that must not wait.
//!
//! ```
//! use ringkit::seqlock::SeqLock;
//!
//! let lock = SeqLock::new([0u64; 2]);
//! std::thread::scope(|s| {
//!     s.spawn(|| {
//!         for i in 1..=1000u64 {
//!             lock.write([i, i]);
//!         }
//!     });
//!     s.spawn(|| {
//!         for _ in 0..1000 {
//!             let [a, b] = lock.read();
//!             assert_eq!(a, b); // never torn
//!         }
//!     });
//! });
//! assert_eq!(lock.read_with_seq(), (2000, [1000, 1000]));
//! ```
//!
//! # Why this one is sound
//!
//! A seqlock reader reads the data while a writer may be writing it and throws the
//! result away if the sequence changed. Reading the data with plain or volatile
//! loads, as most seqlocks do, is a data race and so undefined behaviour in Rust,
//! whatever the sequence check says afterwards. Here the data lives only in
//! `AtomicU64` words that every access loads or
//! stores with `Relaxed` atomics, and the fences of Boehm's recipe ("Can Seqlocks
//! Get Along with Programming Language Memory Models?", 2012) make the sequence
//! check exact:
//!
//! * writer: sequence `s -> s+1` (compare-exchange, `Acquire`), `fence(Release)`,
//!   relaxed word stores, sequence `= s+2` (`Release`);
//! * reader: `s1 = seq` (`Acquire`), odd means "write in progress", relaxed word
//!   loads, `fence(Acquire)`, `s2 = seq` (`Relaxed`); the words are one write's iff
//!   `s1 == s2`.
//!
//! If any word load saw a store of a write that started after `s1`, the
//! release/acquire fence pair makes that write's `s+1` visible to the second load,
//! so `s2 != s1`. Conversely, `s1`'s acquire makes every word store of the writes
//! up to `s1` visible, so a reader that validates sees exactly the value written
//! under `s1`. Because the words are atomics, miri and loom check this code, not a
//! look-alike.
//!
//! # Layout
//!
//! The sequence (64 bits, so it never repeats in practice) and
//! [`MAX_SIZE`]` / 8` data words sit inline, the first seven words on the
//! sequence's cache line. A `T` occupies the first `size_of::<T>().div_ceil(8)`
//! words; only those are loaded and stored. A `T` larger than [`MAX_SIZE`] is a
//! compile-time error:
//!
//! ```compile_fail
//! let lock = ringkit::seqlock::SeqLock::new([0u64; 16]); // 128 bytes > MAX_SIZE
//! ```
//!
//! Values go in and out by copying their bytes to and from a local `[u64; _]`
//! buffer, so `T`'s alignment does not matter and no uninitialized byte is ever
//! loaded or stored.

pub use crate::plain::{Plain, MAX_SIZE};

use crate::plain::{Words, MAX_WORDS};
use crate::sync::{fence, AtomicU64, Ordering, Tracker};
use crate::wait::backoff;
use core::marker::PhantomData;

/// A sequence lock holding a `T`; see the [module docs](self).
///
/// Readers never block writers and never see a torn value. Writers take a short
/// internal lock (the odd sequence), so any number of threads may call
/// [`write`](SeqLock::write) through a shared reference; a reader that meets a
/// write in progress retries. Every successful read synchronizes with the write
/// whose value it returns: what the writer did before `write` is visible to the
/// reader after `read`.
///
/// ```
/// use ringkit::seqlock::SeqLock;
///
/// let lock = SeqLock::new(0u64);
/// std::thread::scope(|s| {
///     for t in 1..=2u64 {
///         let lock = &lock;
///         s.spawn(move || lock.write(t)); // writers share the lock by reference
///     }
/// });
/// // Two completed writes; the value is whichever came last.
/// let (seq, value) = lock.read_with_seq();
/// assert_eq!(seq, 4);
/// assert!(value == 1 || value == 2);
/// ```
#[repr(C, align(64))]
pub struct SeqLock<T: Plain> {
    /// Even: no write in progress; odd: a writer holds the lock. Completed writes
    /// = `seq / 2`.
    seq: AtomicU64,
    /// `T`'s bytes, in the first `WORDS` words.
    words: [AtomicU64; MAX_WORDS],
    /// Under loom, announces the writer's exclusive section, so a writer lock that
    /// does not order one writer after the previous one fails the model.
    tracker: Tracker,
    _value: PhantomData<T>,
}

// SAFETY: all shared state is atomics, and values cross threads only as plain
// bytes of a `T: Plain` (which is `Send + Sync`). The tracker (a zero-sized no-op
// outside loom; loom cells under loom) is touched only inside the writer's
// exclusive section, which the writer lock orders.
unsafe impl<T: Plain> Send for SeqLock<T> {}
// SAFETY: as for `Send`.
unsafe impl<T: Plain> Sync for SeqLock<T> {}

impl<T: Plain> SeqLock<T> {
    /// A lock holding `value`, with sequence 0.
    ///
    /// ```
    /// use ringkit::seqlock::SeqLock;
    ///
    /// let lock = SeqLock::new([1u16, 2, 3]);
    /// assert_eq!(lock.read_with_seq(), (0, [1, 2, 3]));
    /// ```
    pub fn new(value: T) -> Self {
        let buf = Words::<T>::encode(&value);
        SeqLock {
            seq: AtomicU64::new(0),
            words: core::array::from_fn(|i| AtomicU64::new(buf[i])),
            tracker: Tracker::new(1),
            _value: PhantomData,
        }
    }

    /// Stores `value` and returns the new sequence (even; twice the number of
    /// completed writes). Waits (spinning, then yielding) while another thread is
    /// writing.
    ///
    /// ```
    /// use ringkit::seqlock::SeqLock;
    ///
    /// let lock = SeqLock::new(0u32);
    /// assert_eq!(lock.write(7), 2);
    /// assert_eq!(lock.write(8), 4);
    /// assert_eq!(lock.read(), 8);
    /// ```
    pub fn write(&self, value: T) -> u64 {
        let buf = Words::<T>::encode(&value);
        let s = self.lock();
        self.tracker.write(0);
        // ORDERING: [seqlock.write.fence] pairs with [seqlock.read.fence]: a reader
        // whose word load sees one of the stores below then sees our odd sequence
        // (or later) in its second sequence load, and retries.
        fence(Ordering::Release);
        for (word, &w) in self.words[..Words::<T>::COUNT].iter().zip(&buf) {
            // ORDERING: [seqlock.write.word] Relaxed; published by the fence above
            // and by [seqlock.write.unlock].
            word.store(w, Ordering::Relaxed);
        }
        let next = s.wrapping_add(2);
        // ORDERING: [seqlock.write.unlock] Release, pairs with [seqlock.read.begin]
        // (a reader that sees `next` sees all our word stores) and with
        // [seqlock.write.lock] (the next writer's stores come after ours).
        self.seq.store(next, Ordering::Release);
        next
    }

    /// Takes the writer lock: moves the sequence from an even `s` to `s + 1` and
    /// returns `s`.
    #[inline]
    fn lock(&self) -> u64 {
        let mut step = 0;
        loop {
            // ORDERING: Relaxed; only a guess for the compare-exchange, which checks
            // it.
            let s = self.seq.load(Ordering::Relaxed);
            // ORDERING: [seqlock.write.lock] Acquire on success, pairs with the
            // previous writer's [seqlock.write.unlock]: its word stores happen
            // before ours, so none of them can land after ours in a word's
            // modification order.
            if s & 1 == 0
                && self
                    .seq
                    .compare_exchange_weak(
                        s,
                        s.wrapping_add(1),
                        Ordering::Acquire,
                        Ordering::Relaxed,
                    )
                    .is_ok()
            {
                return s;
            }
            backoff(&mut step);
        }
    }

    /// One read attempt: the sequence and the words, or `None` if a write was in
    /// progress at any point during the attempt.
    #[inline(always)]
    fn try_read_words(&self) -> Option<(u64, [u64; MAX_WORDS])> {
        // ORDERING: [seqlock.read.begin] Acquire, pairs with [seqlock.write.unlock]:
        // every word store of the write that stored `s1` is visible to the loads
        // below.
        let s1 = self.seq.load(Ordering::Acquire);
        if s1 & 1 != 0 {
            return None;
        }
        let mut buf = [0u64; MAX_WORDS];
        for (b, word) in buf.iter_mut().zip(&self.words[..Words::<T>::COUNT]) {
            // ORDERING: [seqlock.read.word] Relaxed; validated by the sequence
            // re-check below.
            *b = word.load(Ordering::Relaxed);
        }
        // ORDERING: [seqlock.read.fence] pairs with [seqlock.write.fence]: if a word
        // load above read a store of a later write, that write's odd sequence
        // happens before the load below.
        fence(Ordering::Acquire);
        // ORDERING: [seqlock.read.end] Relaxed; the fence above orders it after the
        // word loads and gives it the guarantee it needs.
        let s2 = self.seq.load(Ordering::Relaxed);
        (s1 == s2).then_some((s1, buf))
    }

    /// The value, retrying while a write is in progress: spin hints, then
    /// `yield` (a spin hint without `std`) until the writer finishes. A writer
    /// preempted mid-write holds this up; [`try_read`](SeqLock::try_read) does
    /// not wait.
    ///
    /// ```
    /// use ringkit::seqlock::SeqLock;
    ///
    /// let lock = SeqLock::new(-1i64);
    /// assert_eq!(lock.read(), -1);
    /// lock.write(5);
    /// assert_eq!(lock.read(), 5);
    /// ```
    #[inline]
    pub fn read(&self) -> T {
        self.read_with_seq().1
    }

    /// The value and the (even) sequence it was written under, retrying while a
    /// write is in progress.
    ///
    /// ```
    /// use ringkit::seqlock::SeqLock;
    ///
    /// let lock = SeqLock::new(1.5f32);
    /// assert_eq!(lock.read_with_seq(), (0, 1.5));
    /// lock.write(2.5);
    /// assert_eq!(lock.read_with_seq(), (2, 2.5));
    /// ```
    #[inline]
    pub fn read_with_seq(&self) -> (u64, T) {
        let mut step = 0;
        loop {
            if let Some((s, buf)) = self.try_read_words() {
                return (s, Words::<T>::decode(&buf));
            }
            backoff(&mut step);
        }
    }

    /// The value, or `None` if a write was in progress at any time during the
    /// attempt (the writer is busy: try again later). Never waits: one attempt,
    /// no spin, no yield.
    ///
    /// ```
    /// use ringkit::seqlock::SeqLock;
    ///
    /// let lock = SeqLock::new(1u32);
    /// lock.write(2);
    /// assert_eq!(lock.try_read(), Some(2)); // nobody is writing now
    /// ```
    #[inline]
    pub fn try_read(&self) -> Option<T> {
        self.try_read_with_seq().map(|(_, v)| v)
    }

    /// The value and its sequence, or `None` if a write was in progress at any time
    /// during the attempt. Never waits.
    ///
    /// ```
    /// use ringkit::seqlock::SeqLock;
    ///
    /// let lock = SeqLock::new([0u8; 4]);
    /// lock.write([1, 2, 3, 4]);
    /// // Nobody is writing now.
    /// assert_eq!(lock.try_read_with_seq(), Some((2, [1, 2, 3, 4])));
    /// ```
    #[inline]
    pub fn try_read_with_seq(&self) -> Option<(u64, T)> {
        self.try_read_words()
            .map(|(s, buf)| (s, Words::<T>::decode(&buf)))
    }

    /// The current sequence: twice the number of completed writes, plus one while
    /// a write is in progress. Observing a sequence synchronizes with the write
    /// that stored it.
    ///
    /// ```
    /// use ringkit::seqlock::SeqLock;
    ///
    /// let lock = SeqLock::new(0u64);
    /// assert_eq!(lock.seq(), 0);
    /// lock.write(1);
    /// lock.write(2);
    /// assert_eq!(lock.seq(), 4); // two completed writes, none in progress
    /// ```
    #[inline]
    pub fn seq(&self) -> u64 {
        // ORDERING: [seqlock.seq] Acquire, pairs with [seqlock.write.unlock]: a
        // caller that sees write n completed also sees what the writer did before
        // it.
        self.seq.load(Ordering::Acquire)
    }

    /// The value, taken out of the lock.
    ///
    /// ```
    /// use ringkit::seqlock::SeqLock;
    ///
    /// let lock = SeqLock::new(3u8);
    /// lock.write(4);
    /// assert_eq!(lock.into_inner(), 4);
    /// ```
    pub fn into_inner(self) -> T {
        self.read()
    }
}

impl<T: Plain + Default> Default for SeqLock<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T: Plain + core::fmt::Debug> core::fmt::Debug for SeqLock<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let (seq, value) = self.read_with_seq();
        f.debug_struct("SeqLock")
            .field("seq", &seq)
            .field("value", &value)
            .finish()
    }
}

static_assertions::assert_impl_all!(SeqLock<u64>: Send, Sync);
static_assertions::assert_impl_all!(SeqLock<[u64; 15]>: Send, Sync);
static_assertions::assert_not_impl_any!(SeqLock<u64>: Clone);

#[cfg(all(test, feature = "async"))]
pub(crate) use tests::{resume, stall};

#[cfg(test)]
mod tests {
    use super::*;
    use std::prelude::rust_2021::*;

    /// Takes the writer lock, as a writer stalled mid-write holds it; returns
    /// the sequence to put back.
    #[cfg(feature = "async")]
    pub(crate) fn stall<T: Plain>(lock: &SeqLock<T>) -> u64 {
        lock.lock()
    }

    /// Puts back the sequence `stall` returned: the lock as before the write.
    #[cfg(feature = "async")]
    pub(crate) fn resume<T: Plain>(lock: &SeqLock<T>, seq: u64) {
        // ORDERING: Release, as [seqlock.write.unlock] (one thread here).
        lock.seq.store(seq, Ordering::Release);
    }

    #[test]
    fn round_trips_odd_sizes() {
        let a = SeqLock::new([1u8, 2, 3]);
        assert_eq!(a.read(), [1, 2, 3]);
        assert_eq!(a.write([4, 5, 6]), 2);
        assert_eq!(a.read_with_seq(), (2, [4, 5, 6]));

        let b = SeqLock::new(u128::MAX - 7);
        assert_eq!(b.read(), u128::MAX - 7);
        b.write(42);
        assert_eq!(b.try_read(), Some(42));

        let c = SeqLock::new([[1u16; 3]; 5]);
        c.write([[7u16; 3]; 5]);
        assert_eq!(c.try_read_with_seq(), Some((2, [[7; 3]; 5])));

        let d = SeqLock::new([-1.5f64; MAX_WORDS]);
        assert_eq!(d.into_inner(), [-1.5; MAX_WORDS]);

        let e = SeqLock::new(());
        assert_eq!(e.write(()), 2);
        assert_eq!(e.seq(), 2);
    }

    #[test]
    fn try_read_is_none_during_a_write() {
        let lock = SeqLock::new(5u32);
        let s = lock.lock();
        assert_eq!(s, 0);
        assert_eq!(lock.seq(), 1);
        assert_eq!(lock.try_read(), None);
        // ORDERING: single thread; stands in for the unlock of the write.
        lock.seq.store(2, Ordering::Release);
        assert_eq!(lock.try_read_with_seq(), Some((2, 5)));
    }

    #[test]
    fn default_and_debug() {
        let lock = SeqLock::<[i16; 2]>::default();
        lock.write([-1, 1]);
        assert_eq!(format!("{lock:?}"), "SeqLock { seq: 2, value: [-1, 1] }");
    }
}
