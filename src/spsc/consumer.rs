//! The consumer's operations: pop and peek in their try, blocking and timeout
//! forms, the read chunks' bookkeeping, publication of taken items, and the
//! iterators.

#[cfg(feature = "std")]
use super::deadline_after;
use super::ring::advance;
use super::{Consumer, ReadChunk};
use crate::error::PopError;
#[cfg(feature = "std")]
use crate::error::PopTimeoutError;
use crate::sync::Ordering;
#[cfg(feature = "std")]
use crate::wait::{WaitCell, Waitable};
#[cfg(feature = "std")]
use std::time::{Duration, Instant};

impl<T> Consumer<T> {
    /// Items available to this handle, refreshing its copy of `tail` only if that
    /// copy says fewer than `want` are available.
    #[inline(always)]
    pub(super) fn available(&mut self, want: usize) -> usize {
        let have = self.cached_tail.wrapping_sub(self.head);
        if have >= want {
            return have;
        }
        // ORDERING: [spsc.tail.acquire] pairs with the producer's release store of
        // `tail` (publish): its writes of the slots happen before we read them.
        self.cached_tail = self.ring.tail.load(Ordering::Acquire);
        self.cached_tail.wrapping_sub(self.head)
    }

    /// Moves this handle's position past `n` items at `head..head+n` whose values
    /// were moved out or dropped, without telling the producer yet: the slots
    /// stay unusable to it until the next [`release`](Self::release) (every
    /// pop, a chunk guard's drop, [`publish_taken`](Self::publish_taken), the
    /// consumer's drop). A value leaves a slot only
    /// after this has counted it, so a guard that is forgotten before it
    /// publishes can neither lose nor duplicate an item.
    #[inline(always)]
    pub(super) fn take(&mut self, n: usize) {
        self.head = self.head.wrapping_add(n);
        self.head_slot = advance(self.head_slot, n, self.cap);
        self.seq = self.seq.wrapping_add(n as u64);
    }

    /// Takes `n` more items (see [`take`](Self::take)) and publishes the position,
    /// freeing to the producer every slot taken so far.
    #[inline(always)]
    pub(super) fn release(&mut self, n: usize) {
        self.take(n);
        // ORDERING: [spsc.head.release] pairs with the producer's acquire load of
        // `head`: our reads of the slots happen before it overwrites them.
        self.ring.head.store(self.head, Ordering::Release);
        self.ring.not_full.notify();
    }

    /// Publishes the position if items were taken without being published (by a
    /// chunk iterator that was forgotten). Called where the consumer comes up
    /// short, before it reports failure or waits: a producer waiting for room
    /// those items left must not wait on a consumer that is waiting for items.
    #[inline]
    pub(crate) fn publish_taken(&mut self) {
        // ORDERING: Relaxed: the consumer is the only writer of `head`, so this
        // reads its own last store.
        if self.ring.head.load(Ordering::Relaxed) != self.head {
            self.release(0);
        }
    }

    /// Available items, and if there are none, whether the producer is gone for
    /// good (checked so that no item pushed before it left is missed).
    #[inline(always)]
    pub(super) fn available_or_disconnected(&mut self, want: usize) -> Result<usize, PopError> {
        let n = self.available(want);
        if n > 0 {
            return Ok(n);
        }
        self.publish_taken();
        if self.ring.producer_gone() {
            // Pushes made before the producer left are visible now; look again.
            let n = self.available(want);
            if n == 0 {
                return Err(PopError::Disconnected);
            }
            return Ok(n);
        }
        Err(PopError::Empty)
    }

    /// Pops the oldest item without blocking.
    ///
    /// `Empty` if there is none; `Disconnected` if there is none and the producer
    /// is gone (items pushed before it left are popped first).
    ///
    /// ```
    /// use ringkit::PopError;
    ///
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<u8>(2);
    /// assert_eq!(rx.try_pop(), Err(PopError::Empty));
    /// tx.try_push(1).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.try_pop(), Ok(1)); // pushed before the producer left
    /// assert_eq!(rx.try_pop(), Err(PopError::Disconnected));
    /// ```
    #[inline]
    pub fn try_pop(&mut self) -> Result<T, PopError> {
        self.available_or_disconnected(1)?;
        let slot = self.head_slot;
        self.ring.tracker.read(slot);
        // SAFETY: `available` says slot `head` was published by the producer
        // (acquire on `tail`), so it holds an initialized value that only we may
        // take; we move it out once and then release the slot.
        let value = unsafe { self.buf.add(slot).read() };
        self.release(1);
        Ok(value)
    }

    /// Pops the oldest item, blocking while the ring is empty.
    ///
    /// `Disconnected` once the producer is gone and the ring is empty (never
    /// `Empty`).
    ///
    /// ```
    /// use ringkit::PopError;
    ///
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<u32>(2);
    /// let producer = std::thread::spawn(move || tx.push(42).unwrap());
    /// assert_eq!(rx.pop(), Ok(42)); // waits for the push
    /// producer.join().unwrap();
    /// assert_eq!(rx.pop(), Err(PopError::Disconnected)); // empty and `tx` is gone
    /// ```
    #[cfg(feature = "std")]
    pub fn pop(&mut self) -> Result<T, PopError> {
        self.pop_deadline(None)
    }

    /// Pops the oldest item, blocking at most `timeout` while the ring is empty:
    /// `Timeout` if it stays empty that long, `Disconnected` once the producer is
    /// gone and the ring is empty.
    ///
    /// ```
    /// use ringkit::PopTimeoutError;
    /// use std::time::Duration;
    ///
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<u8>(2);
    /// let wait = Duration::from_millis(10);
    /// // Nothing is pushed, so the ring stays empty:
    /// assert_eq!(rx.pop_timeout(wait), Err(PopTimeoutError::Timeout));
    /// tx.try_push(7).unwrap();
    /// assert_eq!(rx.pop_timeout(wait), Ok(7)); // an item: no wait
    /// ```
    #[cfg(feature = "std")]
    pub fn pop_timeout(&mut self, timeout: Duration) -> Result<T, PopTimeoutError> {
        self.pop_deadline(deadline_after(timeout))
            .map_err(PopError::timed)
    }

    /// Pops the oldest item, blocking until `deadline` at the latest while the
    /// ring is empty: `Timeout` if it is still empty then, `Disconnected` once the
    /// producer is gone and the ring is empty.
    ///
    /// ```
    /// use ringkit::PopTimeoutError;
    /// use std::time::{Duration, Instant};
    ///
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<u8>(2);
    /// let deadline = Instant::now() + Duration::from_millis(10);
    /// assert_eq!(rx.pop_until(deadline), Err(PopTimeoutError::Timeout));
    /// tx.try_push(7).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.pop_until(deadline), Ok(7));
    /// assert_eq!(rx.pop_until(deadline), Err(PopTimeoutError::Disconnected));
    /// ```
    #[cfg(feature = "std")]
    pub fn pop_until(&mut self, deadline: Instant) -> Result<T, PopTimeoutError> {
        self.pop_deadline(Some(deadline)).map_err(PopError::timed)
    }

    /// The blocking pop: `Empty` means the deadline passed.
    #[cfg(feature = "std")]
    pub(super) fn pop_deadline(&mut self, deadline: Option<Instant>) -> Result<T, PopError> {
        loop {
            match self.try_pop() {
                Err(PopError::Empty) => {}
                done => return done,
            }
            if !self.wait_available(deadline) {
                return Err(PopError::Empty);
            }
        }
    }

    /// Blocks until an item is visible or the producer is gone; false on timeout.
    #[cfg(feature = "std")]
    pub(super) fn wait_available(&self, deadline: Option<Instant>) -> bool {
        let ring = &*self.ring;
        let head = self.head;
        ring.not_empty.wait_until(deadline, || {
            // ORDERING: Relaxed: this only decides whether to stop waiting; the
            // caller's retry reloads `tail` with acquire before it reads a slot.
            ring.tail.load(Ordering::Relaxed) != head || ring.producer_gone()
        })
    }

    /// The oldest item, left in the ring; `None` if it is empty.
    ///
    /// ```
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<u8>(2);
    /// assert_eq!(rx.peek(), None);
    /// tx.try_push(1).unwrap();
    /// assert_eq!(rx.peek(), Some(&1));
    /// assert_eq!(rx.try_pop(), Ok(1)); // peeking left it there
    /// ```
    #[must_use]
    pub fn peek(&self) -> Option<&T> {
        let have = if self.cached_tail != self.head {
            true
        } else {
            // ORDERING: [spsc.tail.acquire], as in `available`.
            self.ring.tail.load(Ordering::Acquire) != self.head
        };
        if !have {
            return None;
        }
        self.ring.tracker.read(self.head_slot);
        // SAFETY: slot `head` holds a published value (see `try_pop`); it stays
        // there, untouched by the producer, until we release it, which needs
        // `&mut self` and so ends this borrow first.
        Some(unsafe { &*self.ring.slot(self.head_slot) })
    }

    /// Asks for `n` items to read in place, without blocking. Nothing is removed
    /// until [`ReadChunk::commit`].
    ///
    /// ```
    /// use ringkit::ChunkError;
    ///
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<u8>(4);
    /// tx.try_push(1).unwrap();
    /// assert_eq!(rx.read_chunk(2).unwrap_err(), ChunkError::TooFewItems { available: 1 });
    /// let chunk = rx.read_chunk(1).unwrap();
    /// assert_eq!(chunk.as_slices().0, [1]);
    /// drop(chunk); // not committed: the item stays
    /// assert_eq!(rx.try_pop(), Ok(1));
    /// ```
    pub fn read_chunk(&mut self, n: usize) -> Result<ReadChunk<'_, T>, crate::ChunkError> {
        let have = self.available(n);
        if have < n {
            self.publish_taken();
            return Err(crate::ChunkError::TooFewItems { available: have });
        }
        Ok(ReadChunk::new(self, n))
    }

    /// Sequence number of the next item to pop: 0 for the first item ever pushed,
    /// and one more for each item after it.
    ///
    /// ```
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<char>(4);
    /// assert_eq!(rx.next_seq(), 0);
    /// tx.try_push('a').unwrap();
    /// tx.try_push('b').unwrap();
    /// rx.try_pop().unwrap();
    /// assert_eq!(rx.next_seq(), 1); // 'b' is item 1
    /// ```
    #[must_use]
    pub fn next_seq(&self) -> u64 {
        self.seq
    }

    /// The number of slots (fixed at construction).
    ///
    /// ```
    /// let (_tx, rx) = ringkit::spsc::channel::<u8>(8);
    /// assert_eq!(rx.capacity(), 8);
    /// ```
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.ring.capacity
    }

    /// Items in the ring now. A snapshot: the producer may be pushing.
    ///
    /// ```
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<u8>(4);
    /// tx.try_push(1).unwrap();
    /// tx.try_push(2).unwrap();
    /// assert_eq!(rx.len(), 2);
    /// rx.try_pop().unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        // ORDERING: Relaxed: a snapshot; no slot is read on the strength of it.
        self.ring
            .tail
            .load(Ordering::Relaxed)
            .wrapping_sub(self.head)
    }

    /// True if no item is in the ring now (a snapshot).
    ///
    /// ```
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<u8>(4);
    /// assert!(rx.is_empty());
    /// tx.try_push(1).unwrap();
    /// assert!(!rx.is_empty());
    /// rx.try_pop().unwrap();
    /// assert!(rx.is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True if every slot is taken now (a snapshot).
    ///
    /// ```
    /// let (mut tx, rx) = ringkit::spsc::channel::<u8>(2);
    /// tx.try_push(1).unwrap();
    /// assert!(!rx.is_full());
    /// tx.try_push(2).unwrap();
    /// assert!(rx.is_full());
    /// ```
    #[must_use]
    pub fn is_full(&self) -> bool {
        self.len() == self.ring.capacity
    }

    /// True once the producer has been dropped. Items it pushed may still be
    /// waiting to be popped.
    ///
    /// ```
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<u8>(4);
    /// tx.try_push(1).unwrap();
    /// assert!(!rx.is_disconnected());
    /// drop(tx);
    /// assert!(rx.is_disconnected());
    /// assert_eq!(rx.try_pop(), Ok(1)); // still there to be popped
    /// ```
    #[must_use]
    pub fn is_disconnected(&self) -> bool {
        self.ring.producer_gone()
    }

    /// An iterator that pops until the ring is empty (it does not block).
    ///
    /// ```
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<u8>(4);
    /// tx.try_push(1).unwrap();
    /// tx.try_push(2).unwrap();
    /// assert_eq!(rx.try_iter().collect::<Vec<_>>(), [1, 2]); // stops at empty
    /// assert!(rx.is_empty());
    /// ```
    pub fn try_iter(&mut self) -> TryIter<'_, T> {
        TryIter { consumer: self }
    }
}

/// A consumer waits for an item, or for its producer to go.
#[cfg(feature = "std")]
impl<T> Waitable for Consumer<T> {
    type Seen = ();

    fn ready_cell(&self) -> &WaitCell {
        &self.ring.not_empty
    }

    fn looks_ready(&self, (): ()) -> bool {
        // ORDERING: Relaxed: this only decides whether to park; the poll that
        // follows reloads `tail` with acquire before it reads a slot.
        self.ring.tail.load(Ordering::Relaxed) != self.head || self.ring.producer_gone()
    }

    fn is_ready(&self, (): ()) -> bool {
        // Only this consumer moves `head`, and `tail` only grows: once `len`
        // sees an item, the acquire load of `tail` in the next `try_pop` sees it
        // too (read-read coherence), so that pop returns it. Once the producer is
        // gone (an acquire load), the pop returns an item or `Disconnected`.
        // The cached `tail` is never ahead of the real one: if it is past
        // `head`, there is an item and the producer's line is not read.
        self.cached_tail != self.head || !self.is_empty() || self.is_disconnected()
    }
}

/// Nothing can be received once the consumer goes, so its drop drops the items
/// in the ring then (they often hold buffers, files or connections), instead of
/// leaving them until the producer goes too. An item whose push races with the
/// drop (published after the drop has read `tail`) stays in the ring and is
/// dropped with it, when the producer goes.
impl<T> Drop for Consumer<T> {
    fn drop(&mut self) {
        #[cfg(feature = "async")]
        self.ring.not_empty.cancel(&mut self.task);
        // Before the items, so that the producer stops pushing as soon as it can.
        // ORDERING: Relaxed, see `Ring::consumer_gone`.
        self.ring.ends.consumer_gone.store(true, Ordering::Relaxed);
        let n = if core::mem::needs_drop::<T>() {
            // Also the items of a read chunk that was forgotten uncommitted.
            self.available(usize::MAX)
        } else {
            0
        };
        let slot = self.head_slot;
        // Our position moves past the items before any is dropped; `Leave`
        // publishes it once they all are, also if one of them panics in `Drop`.
        self.take(n);
        let leave = Leave(self);
        leave.0.ring.tracker.write_range(slot, n, leave.0.cap);
        // SAFETY: `available` saw the `n` slots from `slot` published (acquire on
        // `tail`) and not yet popped: they hold initialized items that only we may
        // touch, and the producer cannot reuse them before `Leave` publishes our
        // position, after the last of them is dropped.
        unsafe { super::ring::drop_segments(leave.0.ring.segments(slot, n)) };
    }
}

/// Publishes a leaving consumer's position when dropped: the slots it has
/// emptied go back to the producer, and `Ring::drop` starts after them.
struct Leave<'a, T>(&'a mut Consumer<T>);

impl<T> Drop for Leave<'_, T> {
    fn drop(&mut self) {
        // ORDERING: Relaxed: read only by `Ring::drop`, which runs after the Arc's
        // release/acquire on its count.
        self.0
            .ring
            .ends
            .head_slot
            .store(self.0.head_slot, Ordering::Relaxed);
        // Also publishes items taken by a chunk iterator that was forgotten;
        // wakes a producer waiting for room, which then sees the consumer gone.
        self.0.release(0);
    }
}

/// Pops until the ring is empty; made by [`Consumer::try_iter`].
///
/// ```
/// let (mut tx, mut rx) = ringkit::spsc::channel::<u8>(4);
/// tx.try_push(1).unwrap();
/// let mut iter = rx.try_iter();
/// assert_eq!(iter.next(), Some(1));
/// assert_eq!(iter.next(), None); // empty for now; `next` does not wait
/// tx.try_push(2).unwrap();
/// assert_eq!(iter.next(), Some(2)); // and goes on once more is pushed
/// ```
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct TryIter<'a, T> {
    consumer: &'a mut Consumer<T>,
}

impl<T> core::fmt::Debug for TryIter<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("TryIter").field(&self.consumer).finish()
    }
}

impl<T> Iterator for TryIter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.consumer.try_pop().ok()
    }
}

/// Pops, blocking, until the producer is gone and the ring is empty; made by
/// `Consumer::into_iter`.
///
/// ```
/// let (mut tx, rx) = ringkit::spsc::channel::<u32>(4);
/// let producer = std::thread::spawn(move || {
///     for i in 1..=10 {
///         tx.push(i).unwrap();
///     }
/// });
/// let sum: u32 = rx.into_iter().sum(); // ends once `tx` is gone and the ring is empty
/// producer.join().unwrap();
/// assert_eq!(sum, 55);
/// ```
#[cfg(feature = "std")]
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct IntoIter<T> {
    consumer: Consumer<T>,
}

#[cfg(feature = "std")]
impl<T> core::fmt::Debug for IntoIter<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("IntoIter").field(&self.consumer).finish()
    }
}

#[cfg(feature = "std")]
impl<T> Iterator for IntoIter<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.consumer.pop().ok()
    }
}

#[cfg(feature = "std")]
impl<T> IntoIterator for Consumer<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;
    fn into_iter(self) -> IntoIter<T> {
        IntoIter { consumer: self }
    }
}
