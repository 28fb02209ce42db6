//! The producer's operations: push in its try, blocking and timeout forms, the
//! write chunks' bookkeeping, and disconnection.

#[cfg(feature = "std")]
use super::deadline_after;
use super::ring::advance;
use super::{Producer, WriteChunk, WriteChunkUninit};
use crate::error::PushError;
#[cfg(feature = "std")]
use crate::error::PushTimeoutError;
use crate::sync::Ordering;
#[cfg(feature = "std")]
use std::time::{Duration, Instant};

impl<T> Producer<T> {
    /// Free slots as this handle knows them, refreshing its copy of `head` only if
    /// that copy says fewer than `want` are free.
    #[inline(always)]
    pub(super) fn free_slots(&mut self, want: usize) -> usize {
        let cap = self.cap;
        let free = cap - self.tail.wrapping_sub(self.cached_head);
        if free >= want {
            return free;
        }
        // ORDERING: [spsc.head.acquire] pairs with the consumer's release store of
        // `head` (try_pop, ReadChunk commit): the consumer's reads of the slots it
        // freed happen before we overwrite them.
        self.cached_head = self.ring.head.load(Ordering::Acquire);
        cap - self.tail.wrapping_sub(self.cached_head)
    }

    /// Publishes `n` slots written at `tail..tail+n`.
    ///
    /// The shared `tail` is stored before this handle's own copies are updated,
    /// so that no other store sits between the slot writes and the publication.
    /// This is source order: a compiler may move a later plain store above a
    /// release store, but the code measured kept the order. On a 2-core Intel
    /// Xeon VM, stores to the handle in between (lines this core holds) made a
    /// ping-pong round trip about 90 ns slower (measured in
    /// docs/lab/2026-12-spsc-round-trip.md).
    #[inline(always)]
    pub(super) fn publish(&mut self, n: usize) {
        let tail = self.tail.wrapping_add(n);
        // ORDERING: [spsc.tail.release] pairs with the consumer's acquire load of
        // `tail`: our writes of the slots happen before it reads them.
        self.ring.tail.store(tail, Ordering::Release);
        self.tail = tail;
        self.tail_slot = advance(self.tail_slot, n, self.cap);
        self.ring.not_empty.notify();
    }

    /// Pushes `value` if there is room, without blocking.
    ///
    /// Fails with `Full(value)` when the ring is full, `Disconnected(value)` when
    /// the consumer is gone (checked before the ring is touched, so a value is
    /// never pushed into a ring that nobody can read any more as far as this
    /// thread can tell).
    ///
    /// ```
    /// use ringkit::PushError;
    ///
    /// let (mut tx, rx) = ringkit::spsc::channel::<u8>(1);
    /// assert_eq!(tx.try_push(1), Ok(()));
    /// assert_eq!(tx.try_push(2), Err(PushError::Full(2))); // the value comes back
    /// drop(rx);
    /// assert_eq!(tx.try_push(3), Err(PushError::Disconnected(3)));
    /// ```
    #[inline]
    pub fn try_push(&mut self, value: T) -> Result<(), PushError<T>> {
        if self.consumer_gone() {
            return Err(PushError::Disconnected(value));
        }
        if self.free_slots(1) == 0 {
            return Err(PushError::Full(value));
        }
        let slot = self.tail_slot;
        self.ring.tracker.write(slot);
        // SAFETY: `free_slots` says slot `tail` is free: the consumer has finished
        // with it (acquire on `head`) and will not touch it until we publish it.
        unsafe { self.buf.add(slot).write(value) };
        self.publish(1);
        Ok(())
    }

    /// Pushes `value`, blocking while the ring is full.
    ///
    /// Fails with `Disconnected(value)` if the consumer is gone (never `Full`).
    ///
    /// ```
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<u32>(1);
    /// let consumer = std::thread::spawn(move || (rx.pop(), rx.pop()));
    /// tx.push(1).unwrap();
    /// tx.push(2).unwrap(); // waits until the consumer has taken 1
    /// assert_eq!(consumer.join().unwrap(), (Ok(1), Ok(2)));
    /// assert!(tx.push(3).unwrap_err().is_disconnected()); // the consumer is gone
    /// ```
    #[cfg(feature = "std")]
    pub fn push(&mut self, value: T) -> Result<(), PushError<T>> {
        self.push_deadline(value, None)
    }

    /// Pushes `value`, blocking at most `timeout` while the ring is full:
    /// `Timeout(value)` if it stays full that long, `Disconnected(value)` if the
    /// consumer is gone.
    ///
    /// ```
    /// use ringkit::PushTimeoutError;
    /// use std::time::Duration;
    ///
    /// let (mut tx, _rx) = ringkit::spsc::channel::<u8>(1);
    /// let wait = Duration::from_millis(10);
    /// assert_eq!(tx.push_timeout(1, wait), Ok(())); // a free slot: no wait
    /// // Nobody pops, so the ring stays full:
    /// assert_eq!(tx.push_timeout(2, wait), Err(PushTimeoutError::Timeout(2)));
    /// ```
    #[cfg(feature = "std")]
    pub fn push_timeout(&mut self, value: T, timeout: Duration) -> Result<(), PushTimeoutError<T>> {
        self.push_deadline(value, deadline_after(timeout))
            .map_err(PushError::timed)
    }

    /// Pushes `value`, blocking until `deadline` at the latest while the ring is
    /// full: `Timeout(value)` if it is still full then, `Disconnected(value)` if
    /// the consumer is gone.
    ///
    /// ```
    /// use ringkit::PushTimeoutError;
    /// use std::time::{Duration, Instant};
    ///
    /// let (mut tx, rx) = ringkit::spsc::channel::<u8>(1);
    /// let deadline = Instant::now() + Duration::from_millis(10);
    /// assert_eq!(tx.push_until(1, deadline), Ok(())); // a free slot: no wait
    /// assert_eq!(tx.push_until(2, deadline), Err(PushTimeoutError::Timeout(2)));
    /// drop(rx);
    /// assert_eq!(tx.push_until(3, deadline), Err(PushTimeoutError::Disconnected(3)));
    /// ```
    #[cfg(feature = "std")]
    pub fn push_until(&mut self, value: T, deadline: Instant) -> Result<(), PushTimeoutError<T>> {
        self.push_deadline(value, Some(deadline))
            .map_err(PushError::timed)
    }

    /// The blocking push: `Full(value)` means the deadline passed.
    #[cfg(feature = "std")]
    pub(super) fn push_deadline(
        &mut self,
        mut value: T,
        deadline: Option<Instant>,
    ) -> Result<(), PushError<T>> {
        loop {
            match self.try_push(value) {
                Err(PushError::Full(v)) => value = v,
                done => return done,
            }
            let ring = &*self.ring;
            let tail = self.tail;
            let ready = ring.not_full.wait_until(deadline, || {
                // ORDERING: Relaxed: this only decides whether to stop waiting; the
                // retried `try_push` reloads `head` with acquire before it writes.
                let head = ring.head.load(Ordering::Relaxed);
                tail.wrapping_sub(head) < ring.capacity || ring.consumer_gone()
            });
            if !ready {
                return Err(PushError::Full(value));
            }
        }
    }

    /// Asks for `n` free slots to write in place, without blocking. The slots are
    /// handed out uninitialized; see [`WriteChunkUninit`].
    ///
    /// Fails with `TooFewSlots` (saying how many are free) or, once the consumer is
    /// gone, `Disconnected`.
    ///
    /// ```
    /// use ringkit::ChunkError;
    ///
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<u8>(4);
    /// assert_eq!(
    ///     tx.write_chunk_uninit(5).unwrap_err(),
    ///     ChunkError::TooFewSlots { available: 4 }
    /// );
    /// let chunk = tx.write_chunk_uninit(2).unwrap();
    /// assert_eq!(chunk.fill_from_iter([7, 8]), 2);
    /// assert_eq!(rx.try_iter().collect::<Vec<_>>(), [7, 8]);
    /// ```
    pub fn write_chunk_uninit(
        &mut self,
        n: usize,
    ) -> Result<WriteChunkUninit<'_, T>, crate::ChunkError> {
        if self.consumer_gone() {
            return Err(crate::ChunkError::Disconnected);
        }
        let free = self.free_slots(n);
        if free < n {
            return Err(crate::ChunkError::TooFewSlots { available: free });
        }
        Ok(WriteChunkUninit::new(self, n))
    }

    /// Asks for `n` free slots, filled with `T::default()`, to overwrite in place and
    /// then [`commit`](WriteChunk::commit). Without blocking. Fails as
    /// [`write_chunk_uninit`](Self::write_chunk_uninit) does.
    ///
    /// ```
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<u32>(4);
    /// let mut chunk = tx.write_chunk(2).unwrap();
    /// let (a, b) = chunk.as_mut_slices();
    /// assert_eq!((a.len(), b.len()), (2, 0)); // a fresh ring: the chunk does not wrap
    /// a[0] = 5;
    /// chunk.commit_all();
    /// assert_eq!(rx.try_iter().collect::<Vec<_>>(), [5, 0]); // the second kept its default
    /// ```
    pub fn write_chunk(&mut self, n: usize) -> Result<WriteChunk<'_, T>, crate::ChunkError>
    where
        T: Default,
    {
        if self.consumer_gone() {
            return Err(crate::ChunkError::Disconnected);
        }
        let free = self.free_slots(n);
        if free < n {
            return Err(crate::ChunkError::TooFewSlots { available: free });
        }
        Ok(WriteChunk::new(self, n))
    }

    /// The number of slots (fixed at construction).
    ///
    /// ```
    /// let (tx, _rx) = ringkit::spsc::channel::<u8>(8);
    /// assert_eq!(tx.capacity(), 8);
    /// ```
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.ring.capacity
    }

    /// Items in the ring now. A snapshot: the consumer may be popping.
    ///
    /// ```
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<u8>(4);
    /// tx.try_push(1).unwrap();
    /// tx.try_push(2).unwrap();
    /// assert_eq!(tx.len(), 2);
    /// rx.try_pop().unwrap();
    /// assert_eq!(tx.len(), 1);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        // ORDERING: Relaxed: a snapshot; nothing is read on the strength of it.
        self.tail
            .wrapping_sub(self.ring.head.load(Ordering::Relaxed))
    }

    /// True if the ring holds no item now (a snapshot).
    ///
    /// ```
    /// let (mut tx, _rx) = ringkit::spsc::channel::<u8>(4);
    /// assert!(tx.is_empty());
    /// tx.try_push(1).unwrap();
    /// assert!(!tx.is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True if the ring has no free slot now (a snapshot).
    ///
    /// ```
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<u8>(1);
    /// tx.try_push(1).unwrap();
    /// assert!(tx.is_full());
    /// rx.try_pop().unwrap();
    /// assert!(!tx.is_full());
    /// ```
    #[must_use]
    pub fn is_full(&self) -> bool {
        self.len() == self.ring.capacity
    }

    /// True once the consumer has been dropped: pushes can only fail from now on.
    ///
    /// ```
    /// let (tx, rx) = ringkit::spsc::channel::<u8>(4);
    /// assert!(!tx.is_disconnected());
    /// drop(rx);
    /// assert!(tx.is_disconnected());
    /// ```
    #[must_use]
    pub fn is_disconnected(&self) -> bool {
        self.consumer_gone()
    }
}

impl<T> Producer<T> {
    #[inline(always)]
    pub(super) fn consumer_gone(&self) -> bool {
        self.ring.consumer_gone()
    }
}

impl<T> Drop for Producer<T> {
    fn drop(&mut self) {
        // ORDERING: [spsc.gone.release] pairs with `producer_gone`'s acquire load.
        self.ring.ends.producer_gone.store(true, Ordering::Release);
        self.ring.not_empty.notify();
        #[cfg(feature = "async")]
        self.ring.not_full.cancel(&mut self.task);
    }
}
