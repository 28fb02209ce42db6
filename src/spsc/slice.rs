//! Batch copies for `T: Copy`: [`Producer::push_slice`] and
//! [`Consumer::pop_slice`].
//!
//! A batch is the same protocol as a single push or pop, done once for many
//! items: the free slots (or the published items) are counted once, the values
//! are copied with at most two `copy_nonoverlapping` calls (one per contiguous
//! run of slots: the run up to the end of the buffer, then the one from its
//! start), and the new position is published once, with one notify. The
//! orderings are those of `publish` and `release`, which these functions call;
//! they add no atomic operation of their own.
//!
//! `T: Copy` is what makes a plain copy a move: a `Copy` type has no `Drop`, so
//! overwriting the caller's `out` slots leaks nothing, and the values the
//! producer copies in stay valid in the caller's slice too.

use super::{Consumer, Producer};
use core::ptr;

impl<T: Copy> Producer<T> {
    /// Pushes as many values from the front of `values` as there are free slots,
    /// without blocking, and returns how many were pushed (`values[..n]`).
    ///
    /// The values are copied in with at most two copies and published to the
    /// consumer together: it sees all `n` of them or none, and is woken once.
    ///
    /// Returns 0 when `values` is empty, when the ring is full, and when the
    /// consumer is gone: like [`try_push`](Self::try_push), it checks for a
    /// disconnected consumer first and then pushes nothing. Tell the last case
    /// apart with [`is_disconnected`](Self::is_disconnected).
    ///
    /// ```
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<u32>(4);
    /// assert_eq!(tx.push_slice(&[1, 2, 3]), 3);
    /// assert_eq!(tx.push_slice(&[4, 5, 6]), 1); // one free slot left
    /// let mut out = [0; 8];
    /// assert_eq!(rx.pop_slice(&mut out), 4);
    /// assert_eq!(out[..4], [1, 2, 3, 4]);
    /// drop(rx);
    /// assert_eq!(tx.push_slice(&[7]), 0); // nobody would read it
    /// assert!(tx.is_disconnected());
    /// ```
    pub fn push_slice(&mut self, values: &[T]) -> usize {
        if values.is_empty() || self.consumer_gone() {
            return 0;
        }
        // Asking for the whole slice refreshes our copy of `head` unless it
        // already covers the slice, so every free slot is used.
        let n = self.free_slots(values.len()).min(values.len());
        if n == 0 {
            return 0;
        }
        let slot = self.tail_slot;
        let first = n.min(self.cap - slot);
        self.ring.tracker.write_range(slot, n, self.cap);
        let src = values.as_ptr();
        // SAFETY: `free_slots` says the `n` slots from `tail` on are free: the
        // consumer has finished with them (acquire on `head`, in `free_slots`)
        // and will not touch them until we publish them, so we may write them.
        // They are slots `slot..slot + first` and, if the run wraps, `0..n -
        // first`; both lie inside the buffer (`slot < cap`, `first <= cap -
        // slot`, `n - first <= slot` since `n <= cap`), and `self.buf` points
        // to slot 0 with the provenance of the whole buffer. The source is
        // `values[..n]` (`n <= values.len()`), a caller's slice, which cannot
        // overlap the ring's buffer: the buffer is only reachable through raw
        // pointers, and no reference to a free slot is alive (chunks borrow
        // the producer, and this takes it by `&mut`). `T: Copy`, so a bitwise
        // copy is a valid value of `T` and nothing needs dropping.
        unsafe {
            ptr::copy_nonoverlapping(src, self.buf.add(slot), first);
            if n > first {
                ptr::copy_nonoverlapping(src.add(first), self.buf, n - first);
            }
        }
        self.publish(n);
        n
    }
}

impl<T: Copy> Consumer<T> {
    /// Pops up to `out.len()` of the oldest items into the front of `out`,
    /// without blocking, and returns how many were popped (`out[..n]`; the rest of
    /// `out` is left as it was).
    ///
    /// The items are copied out with at most two copies and their slots handed
    /// back to the producer together, with one notify. [`next_seq`](Self::next_seq)
    /// moves on by `n`: `out[i]` had sequence number `next_seq() - n + i`
    /// (wrapping) after the call.
    ///
    /// Returns 0 when `out` is empty and when no item is there. It does not say
    /// whether the producer is gone: a 0 from a call made after
    /// [`is_disconnected`](Self::is_disconnected) returned true means the stream is
    /// over (every item pushed before the producer left is visible by then).
    ///
    /// ```
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<u64>(8);
    /// std::thread::spawn(move || {
    ///     for batch in (0..100u64).collect::<Vec<_>>().chunks(10) {
    ///         let mut rest = batch;
    ///         while !rest.is_empty() {
    ///             rest = &rest[tx.push_slice(rest)..]; // spins while full
    ///         }
    ///     }
    /// }); // dropping `tx` ends the stream
    /// let (mut got, mut out) = (Vec::new(), [0; 16]);
    /// loop {
    ///     let gone = rx.is_disconnected(); // before the pop, see above
    ///     let n = rx.pop_slice(&mut out);
    ///     got.extend_from_slice(&out[..n]);
    ///     if n == 0 && gone {
    ///         break;
    ///     }
    /// }
    /// assert_eq!(got, (0..100).collect::<Vec<_>>());
    /// assert_eq!(rx.next_seq(), 100);
    /// ```
    pub fn pop_slice(&mut self, out: &mut [T]) -> usize {
        if out.is_empty() {
            return 0;
        }
        // Asking for the whole slice refreshes our copy of `tail` unless it
        // already covers the slice, so every item that is there is popped.
        let n = self.available(out.len()).min(out.len());
        if n == 0 {
            // Coming up short: hand back slots taken by a forgotten chunk
            // iterator, so a producer waiting for them is not left waiting.
            self.publish_taken();
            return 0;
        }
        let slot = self.head_slot;
        let first = n.min(self.cap - slot);
        self.ring.tracker.read_range(slot, n, self.cap);
        let dst = out.as_mut_ptr();
        // SAFETY: `available` says the `n` slots from `head` on hold values the
        // producer published (acquire on `tail`, in `available`) and will not
        // touch until we release them. They are slots `slot..slot + first` and,
        // if the run wraps, `0..n - first`, all inside the buffer (as in
        // `push_slice`), reached through `self.buf`, which has the provenance of
        // the whole buffer. The destination is `out[..n]` (`n <= out.len()`),
        // borrowed mutably from the caller, so it cannot overlap the ring's
        // buffer, which no reference reaches while we hold `&mut self`. `T:
        // Copy`: the old values of `out` need no drop, and the values in the
        // slots stay valid bits that nobody reads again once released.
        unsafe {
            ptr::copy_nonoverlapping(self.buf.add(slot), dst, first);
            if n > first {
                ptr::copy_nonoverlapping(self.buf, dst.add(first), n - first);
            }
        }
        // Moves `head` and the sequence number past the `n` items, and publishes
        // `head` (with any slots taken before and not yet published).
        self.release(n);
        n
    }
}
