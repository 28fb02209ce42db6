//! Zero-copy batches: write or read many slots in place, then commit.
//!
//! Both kinds of chunk are two-phase. Nothing a chunk does is visible to the other
//! side until `commit`; a chunk that is dropped, or leaked with `mem::forget`,
//! without `commit` commits nothing. A panic while a chunk is being filled or read
//! neither loses, duplicates nor double-drops an item.
//!
//! Leaking a guard is safe and never duplicates an item:
//!
//! * A forgotten [`WriteChunk`] leaks the values in its slots (its `T::default()`
//!   values and whatever was written over them); none is sent.
//! * A forgotten [`WriteChunkUninit`] sends nothing; values written into its slots
//!   through `as_mut_slices` leak.
//! * A forgotten [`ReadChunk`] removes nothing.
//! * A forgotten [`ReadChunkIntoIter`] has removed exactly the items it yielded:
//!   the consumer's position moves past each item before the item leaves its
//!   slot. The producer gets those slots back at the consumer's next successful
//!   pop or commit, the next time it finds too few items (before it reports that
//!   or waits), when it is handed to a dispatcher, or at its drop. Until then the
//!   producer counts them as taken (its `len` and `is_full` include them), and a
//!   consumer that only looks (`peek`, `len`, `is_empty`) does not hand them back.

use super::ring::drop_segments;
use super::{Consumer, Producer};
use core::mem::{ManuallyDrop, MaybeUninit};

/// `n` free slots, uninitialized, handed out by [`Producer::write_chunk_uninit`].
///
/// Fill them through [`as_mut_slices`](Self::as_mut_slices) and publish the first
/// `k` with the unsafe [`commit`](Self::commit), or let
/// [`fill_from_iter`](Self::fill_from_iter) do both safely.
///
/// ```
/// let (mut tx, mut rx) = ringkit::spsc::channel::<u32>(8);
/// let chunk = tx.write_chunk_uninit(5).unwrap();
/// assert_eq!(chunk.fill_from_iter(10..13), 3); // publishes 3 of the 5 slots
/// assert_eq!(rx.try_iter().collect::<Vec<_>>(), [10, 11, 12]);
/// ```
#[must_use = "a chunk publishes nothing unless it is filled or committed"]
pub struct WriteChunkUninit<'a, T> {
    producer: &'a mut Producer<T>,
    n: usize,
}

impl<T> core::fmt::Debug for WriteChunkUninit<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("WriteChunkUninit")
            .field("len", &self.n)
            .finish()
    }
}

impl<'a, T> WriteChunkUninit<'a, T> {
    pub(super) fn new(producer: &'a mut Producer<T>, n: usize) -> Self {
        let ring = &producer.ring;
        ring.tracker
            .write_range(producer.tail_slot, n, ring.capacity);
        WriteChunkUninit { producer, n }
    }

    /// The chunk's slots in ring order, as two slices (the second is empty unless
    /// the chunk wraps around the end of the buffer).
    ///
    /// ```
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<u32>(4);
    /// for _ in 0..3 {
    ///     tx.try_push(0).unwrap();
    ///     rx.try_pop().unwrap();
    /// } // the next slot to write is the last one
    /// let mut chunk = tx.write_chunk_uninit(3).unwrap();
    /// let (a, b) = chunk.as_mut_slices();
    /// assert_eq!((a.len(), b.len()), (1, 2)); // the chunk wraps
    /// for (slot, v) in a.iter_mut().chain(b).zip(1..) {
    ///     slot.write(v);
    /// }
    /// // SAFETY: all 3 slots were written just above.
    /// unsafe { chunk.commit(3) };
    /// assert_eq!(rx.try_iter().collect::<Vec<_>>(), [1, 2, 3]);
    /// ```
    pub fn as_mut_slices(&mut self) -> (&mut [MaybeUninit<T>], &mut [MaybeUninit<T>]) {
        let (a, b) = self.producer.ring.segments(self.producer.tail_slot, self.n);
        // SAFETY: the slots are free (the producer checked `head`) and reserved to
        // this chunk, which borrows the producer mutably; `MaybeUninit<T>` has the
        // layout of `T` and accepts any contents.
        unsafe {
            (
                &mut *(a as *mut [MaybeUninit<T>]),
                &mut *(b as *mut [MaybeUninit<T>]),
            )
        }
    }

    /// Publishes the first `k` slots to the consumer.
    ///
    /// # Safety
    /// The first `k` slots, in ring order, must have been initialized.
    ///
    /// # Panics
    /// If `k > self.len()`; nothing is committed then.
    ///
    /// ```
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<u32>(4);
    /// let mut chunk = tx.write_chunk_uninit(3).unwrap();
    /// let (a, _) = chunk.as_mut_slices(); // a fresh ring: the chunk does not wrap
    /// a[0].write(10);
    /// a[1].write(11);
    /// // SAFETY: the first 2 slots were written just above.
    /// unsafe { chunk.commit(2) };
    /// assert_eq!(rx.try_iter().collect::<Vec<_>>(), [10, 11]);
    /// ```
    pub unsafe fn commit(self, k: usize) {
        assert!(
            k <= self.n,
            "WriteChunkUninit::commit({k}) on a chunk of {} slots",
            self.n
        );
        self.producer.publish(k);
    }

    /// Moves items from `iter` into the slots, in order, until either runs out,
    /// and publishes them. Returns how many were written.
    ///
    /// If `iter` panics, the items written before the panic are published.
    ///
    /// ```
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<u32>(4);
    /// let chunk = tx.write_chunk_uninit(2).unwrap();
    /// assert_eq!(chunk.fill_from_iter(1..), 2); // stops when the chunk is full
    /// assert_eq!(rx.try_iter().collect::<Vec<_>>(), [1, 2]);
    /// ```
    pub fn fill_from_iter<I: IntoIterator<Item = T>>(self, iter: I) -> usize {
        struct Publish<'p, T> {
            producer: &'p mut Producer<T>,
            written: usize,
        }
        impl<T> Drop for Publish<'_, T> {
            fn drop(&mut self) {
                self.producer.publish(self.written);
            }
        }
        let (a, b) = self.producer.ring.segments(self.producer.tail_slot, self.n);
        let mut guard = Publish {
            producer: self.producer,
            written: 0,
        };
        let mut iter = iter.into_iter();
        // Fill each segment as a plain run of slots. `written` is counted per item
        // (the guard publishes exactly that many if `iter` panics); for an iterator
        // that cannot panic the compiler keeps it in a register.
        for seg in [a, b] {
            let p = seg.cast::<T>();
            for i in 0..seg.len() {
                let Some(value) = iter.next() else {
                    return guard.written;
                };
                // SAFETY: slot `i` of this segment is one of the chunk's reserved
                // free slots, not yet published (`i < seg.len()`).
                unsafe { p.add(i).write(value) };
                guard.written += 1;
            }
        }
        guard.written
    }

    /// The number of slots in the chunk.
    ///
    /// ```
    /// let (mut tx, _rx) = ringkit::spsc::channel::<u8>(4);
    /// assert_eq!(tx.write_chunk_uninit(3).unwrap().len(), 3);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.n
    }

    /// True for a chunk of 0 slots.
    ///
    /// ```
    /// let (mut tx, _rx) = ringkit::spsc::channel::<u8>(4);
    /// assert!(tx.write_chunk_uninit(0).unwrap().is_empty());
    /// assert!(!tx.write_chunk_uninit(1).unwrap().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }
}

/// `n` free slots, each holding `T::default()`, handed out by
/// [`Producer::write_chunk`]. Overwrite them in place, then [`commit`](Self::commit).
///
/// ```
/// let (mut tx, mut rx) = ringkit::spsc::channel::<u64>(4);
/// let mut chunk = tx.write_chunk(3).unwrap();
/// let (a, b) = chunk.as_mut_slices();
/// for (i, x) in a.iter_mut().chain(b).enumerate() {
///     *x = i as u64 * 10;
/// }
/// chunk.commit(2); // the third slot's value is dropped, not sent
/// assert_eq!(rx.try_iter().collect::<Vec<_>>(), [0, 10]);
/// ```
#[must_use = "a chunk publishes nothing unless it is committed"]
pub struct WriteChunk<'a, T> {
    producer: &'a mut Producer<T>,
    n: usize,
}

impl<T> core::fmt::Debug for WriteChunk<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("WriteChunk").field("len", &self.n).finish()
    }
}

impl<'a, T: Default> WriteChunk<'a, T> {
    pub(super) fn new(producer: &'a mut Producer<T>, n: usize) -> Self {
        let ring = &producer.ring;
        ring.tracker
            .write_range(producer.tail_slot, n, ring.capacity);
        // Fill the slots; if `T::default()` panics, drop what was filled.
        struct Filled<T>(*mut T, usize);
        impl<T> Drop for Filled<T> {
            fn drop(&mut self) {
                // SAFETY: the first `self.1` values from `self.0` were initialized
                // below and are owned by nobody else.
                unsafe {
                    core::ptr::drop_in_place(core::ptr::slice_from_raw_parts_mut(self.0, self.1))
                }
            }
        }
        let (a, b) = ring.segments(producer.tail_slot, n);
        let mut fa = Filled(a.cast::<T>(), 0);
        let mut fb = Filled(b.cast::<T>(), 0);
        for i in 0..a.len() {
            // SAFETY: slot `i` of segment `a` is one of the reserved free slots.
            unsafe { fa.0.add(i).write(T::default()) };
            fa.1 += 1;
        }
        for i in 0..b.len() {
            // SAFETY: as above, for segment `b`.
            unsafe { fb.0.add(i).write(T::default()) };
            fb.1 += 1;
        }
        core::mem::forget(fa);
        core::mem::forget(fb);
        WriteChunk { producer, n }
    }
}

impl<T> WriteChunk<'_, T> {
    /// The chunk's slots in ring order, as two slices (the second is empty unless
    /// the chunk wraps around the end of the buffer).
    ///
    /// ```
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<String>(4);
    /// let mut chunk = tx.write_chunk(2).unwrap();
    /// let (a, b) = chunk.as_mut_slices();
    /// assert!(a.iter().chain(b.iter()).all(String::is_empty)); // `T::default()`
    /// for s in a.iter_mut().chain(b) {
    ///     s.push_str("hi");
    /// }
    /// chunk.commit_all();
    /// assert_eq!(rx.try_pop(), Ok("hi".to_string()));
    /// ```
    pub fn as_mut_slices(&mut self) -> (&mut [T], &mut [T]) {
        let (a, b) = self.producer.ring.segments(self.producer.tail_slot, self.n);
        // SAFETY: the slots were initialized in `new`, are reserved to this chunk,
        // and the chunk borrows the producer mutably.
        unsafe { (&mut *a, &mut *b) }
    }

    /// Publishes the first `k` slots to the consumer and drops the values left in
    /// the others.
    ///
    /// # Panics
    /// If `k > self.len()`; nothing is committed then.
    ///
    /// ```
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<Vec<u8>>(4);
    /// let mut chunk = tx.write_chunk(3).unwrap();
    /// chunk.as_mut_slices().0[0] = vec![1, 2]; // a fresh ring: the chunk does not wrap
    /// chunk.commit(1); // the other two slots' values are dropped, not sent
    /// assert_eq!(rx.try_pop(), Ok(vec![1, 2]));
    /// assert!(rx.is_empty());
    /// ```
    #[track_caller]
    pub fn commit(self, k: usize) {
        assert!(
            k <= self.n,
            "WriteChunk::commit({k}) on a chunk of {} slots",
            self.n
        );
        let mut this = ManuallyDrop::new(self);
        this.finish(k);
    }

    /// Publishes every slot.
    ///
    /// ```
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<u8>(4);
    /// tx.write_chunk(3).unwrap().commit_all();
    /// assert_eq!(rx.try_iter().collect::<Vec<_>>(), [0, 0, 0]);
    /// ```
    pub fn commit_all(self) {
        let n = self.n;
        self.commit(n);
    }

    /// Publishes `k` slots, then drops the other `n - k` values.
    fn finish(&mut self, k: usize) {
        let ring = &self.producer.ring;
        let rest_slot = ring.advance_slot(self.producer.tail_slot, k);
        let rest = ring.segments(rest_slot, self.n - k);
        self.producer.publish(k);
        // SAFETY: the slots after the first `k` hold the `T::default()` values (or
        // the caller's overwrites) written for this chunk; they were not published,
        // so we still own them, and they are dropped once here.
        unsafe { drop_segments(rest) };
    }

    /// The number of slots in the chunk.
    ///
    /// ```
    /// let (mut tx, _rx) = ringkit::spsc::channel::<u8>(4);
    /// assert_eq!(tx.write_chunk(3).unwrap().len(), 3);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.n
    }

    /// True for a chunk of 0 slots.
    ///
    /// ```
    /// let (mut tx, _rx) = ringkit::spsc::channel::<u8>(4);
    /// assert!(tx.write_chunk(0).unwrap().is_empty());
    /// assert!(!tx.write_chunk(1).unwrap().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }
}

impl<T> Drop for WriteChunk<'_, T> {
    /// Commits nothing; drops the values in the slots.
    ///
    /// ```
    /// let (mut tx, rx) = ringkit::spsc::channel::<u8>(4);
    /// let mut chunk = tx.write_chunk(2).unwrap();
    /// chunk.as_mut_slices().0.fill(9);
    /// drop(chunk);
    /// assert!(rx.is_empty()); // nothing was sent
    /// assert_eq!(tx.write_chunk(4).unwrap().len(), 4); // every slot is free again
    /// ```
    fn drop(&mut self) {
        self.finish(0);
    }
}

/// `n` items, still in the ring, handed out by [`Consumer::read_chunk`].
///
/// Read them through [`as_slices`](Self::as_slices), then remove the first `k` with
/// [`commit`](Self::commit) (which drops them), or move them out one by one with
/// [`into_iter`](IntoIterator::into_iter). Until then the producer cannot reuse
/// their slots, and an uncommitted chunk leaves every item in place.
///
/// ```
/// let (mut tx, mut rx) = ringkit::spsc::channel::<u8>(4);
/// for b in [1, 2, 3] { tx.try_push(b).unwrap(); }
/// let chunk = rx.read_chunk(3).unwrap();
/// assert_eq!(chunk.first_seq(), 0);
/// let (a, b) = chunk.as_slices();
/// assert_eq!([a, b].concat(), [1, 2, 3]);
/// chunk.commit(2); // acknowledge two; the third stays
/// assert_eq!(rx.try_pop(), Ok(3));
/// assert_eq!(rx.next_seq(), 3);
/// ```
#[must_use = "a chunk removes nothing unless it is committed or iterated"]
pub struct ReadChunk<'a, T> {
    consumer: &'a mut Consumer<T>,
    n: usize,
}

impl<T> core::fmt::Debug for ReadChunk<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ReadChunk")
            .field("first_seq", &self.consumer.next_seq())
            .field("len", &self.n)
            .finish()
    }
}

impl<'a, T> ReadChunk<'a, T> {
    pub(super) fn new(consumer: &'a mut Consumer<T>, n: usize) -> Self {
        let ring = &consumer.ring;
        ring.tracker
            .read_range(consumer.head_slot, n, ring.capacity);
        ReadChunk { consumer, n }
    }

    /// The chunk's items in ring order, as two slices (the second is empty unless
    /// the chunk wraps around the end of the buffer).
    ///
    /// ```
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<u8>(4);
    /// for b in [1, 2, 3] {
    ///     tx.try_push(b).unwrap();
    /// }
    /// rx.try_pop().unwrap();
    /// rx.try_pop().unwrap();
    /// tx.try_push(4).unwrap();
    /// tx.try_push(5).unwrap(); // into the last slot, then the first
    /// let chunk = rx.read_chunk(3).unwrap();
    /// assert_eq!(chunk.as_slices(), (&[3, 4][..], &[5][..]));
    /// ```
    #[must_use]
    pub fn as_slices(&self) -> (&[T], &[T]) {
        let (a, b) = self.consumer.ring.segments(self.consumer.head_slot, self.n);
        // SAFETY: the slots hold published values (acquire on `tail`) that the
        // producer will not touch before the consumer releases them, which needs
        // the `&mut Consumer` this chunk holds.
        unsafe { (&*a, &*b) }
    }

    /// The chunk's items in ring order, mutably.
    ///
    /// ```
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<u32>(4);
    /// tx.try_push(1).unwrap();
    /// let mut chunk = rx.read_chunk(1).unwrap();
    /// chunk.as_mut_slices().0[0] *= 10; // changed in place, still in the ring
    /// drop(chunk);
    /// assert_eq!(rx.try_pop(), Ok(10));
    /// ```
    pub fn as_mut_slices(&mut self) -> (&mut [T], &mut [T]) {
        let (a, b) = self.consumer.ring.segments(self.consumer.head_slot, self.n);
        // SAFETY: as in `as_slices`; `&mut self` makes the access exclusive.
        unsafe { (&mut *a, &mut *b) }
    }

    /// Sequence number of the chunk's first item (the next ones count up by 1).
    ///
    /// ```
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<u8>(4);
    /// for b in [1, 2, 3] {
    ///     tx.try_push(b).unwrap();
    /// }
    /// rx.try_pop().unwrap(); // item 0
    /// let chunk = rx.read_chunk(2).unwrap();
    /// assert_eq!(chunk.first_seq(), 1); // items 1 and 2
    /// ```
    #[must_use]
    pub fn first_seq(&self) -> u64 {
        self.consumer.seq
    }

    /// Removes (and drops) the first `k` items; the others stay in the ring.
    ///
    /// If an item's `Drop` panics, that item and the ones before it are removed,
    /// the ones after it stay, and the panic goes on.
    ///
    /// # Panics
    /// If `k > self.len()`; nothing is committed then.
    ///
    /// ```
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<String>(4);
    /// tx.try_push("a".into()).unwrap();
    /// tx.try_push("b".into()).unwrap();
    /// rx.read_chunk(2).unwrap().commit(1); // "a" is removed and dropped
    /// assert_eq!(rx.try_pop(), Ok("b".to_string()));
    /// ```
    #[track_caller]
    pub fn commit(self, k: usize) {
        assert!(
            k <= self.n,
            "ReadChunk::commit({k}) on a chunk of {} items",
            self.n
        );
        let publish = Publish(self.consumer);
        if !core::mem::needs_drop::<T>() {
            // Nothing to drop: the position moves past all `k` at once.
            publish.0.take(k);
            return;
        }
        for _ in 0..k {
            let p = publish.0.ring.slot(publish.0.head_slot);
            // Taken before the drop: a value whose drop panicked is gone.
            publish.0.take(1);
            // SAFETY: a published value in a slot that only this consumer may
            // touch, dropped once: the consumer's position has moved past it.
            unsafe { p.drop_in_place() };
        }
    }

    /// Removes (and drops) every item of the chunk.
    ///
    /// ```
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<u8>(2);
    /// tx.try_push(1).unwrap();
    /// tx.try_push(2).unwrap();
    /// rx.read_chunk(2).unwrap().commit_all();
    /// assert!(rx.is_empty());
    /// assert_eq!(tx.try_push(3), Ok(())); // the producer has the slots back
    /// ```
    pub fn commit_all(self) {
        let n = self.n;
        self.commit(n);
    }

    /// The number of items in the chunk.
    ///
    /// ```
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<u8>(4);
    /// tx.try_push(1).unwrap();
    /// tx.try_push(2).unwrap();
    /// assert_eq!(rx.read_chunk(2).unwrap().len(), 2);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.n
    }

    /// True for a chunk of 0 items.
    ///
    /// ```
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<u8>(4);
    /// assert!(rx.read_chunk(0).unwrap().is_empty());
    /// tx.try_push(1).unwrap();
    /// assert!(!rx.read_chunk(1).unwrap().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }
}

/// Publishes the consumer's position when dropped (also while unwinding), freeing
/// the slots of the items taken so far.
struct Publish<'c, T>(&'c mut Consumer<T>);

impl<T> Drop for Publish<'_, T> {
    fn drop(&mut self) {
        self.0.release(0);
    }
}

impl<'a, T> IntoIterator for ReadChunk<'a, T> {
    type Item = T;
    type IntoIter = ReadChunkIntoIter<'a, T>;

    /// Moves the items out one by one. Each item yielded is removed from the ring
    /// (the producer gets its slot back when the iterator is dropped); the items
    /// not yielded stay. If the iterator is leaked with `mem::forget`, exactly
    /// the items it yielded are removed, and the producer gets their slots back
    /// at the consumer's next pop, commit, empty poll or drop.
    ///
    /// ```
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<String>(4);
    /// for s in ["a", "b", "c"] {
    ///     tx.try_push(s.to_string()).unwrap();
    /// }
    /// let mut iter = rx.read_chunk(3).unwrap().into_iter();
    /// assert_eq!(iter.next().as_deref(), Some("a"));
    /// assert_eq!(iter.next().as_deref(), Some("b"));
    /// drop(iter); // "c" was not yielded: it stays
    /// assert_eq!(tx.len(), 1); // and the producer has the other two slots back
    /// assert_eq!(rx.try_pop(), Ok("c".to_string()));
    /// ```
    fn into_iter(self) -> ReadChunkIntoIter<'a, T> {
        ReadChunkIntoIter {
            publish: Publish(self.consumer),
            left: self.n,
        }
    }
}

/// Moves a [`ReadChunk`]'s items out; made by its `into_iter`.
///
/// ```
/// let (mut tx, mut rx) = ringkit::spsc::channel::<u8>(4);
/// for b in [1, 2, 3] {
///     tx.try_push(b).unwrap();
/// }
/// let iter = rx.read_chunk(3).unwrap().into_iter();
/// assert_eq!(iter.len(), 3); // an `ExactSizeIterator`
/// assert_eq!(iter.sum::<u8>(), 6);
/// assert!(rx.is_empty());
/// ```
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct ReadChunkIntoIter<'a, T> {
    publish: Publish<'a, T>,
    /// Items of the chunk not yet yielded, from the consumer's position on.
    left: usize,
}

impl<T> core::fmt::Debug for ReadChunkIntoIter<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ReadChunkIntoIter")
            .field("left", &self.left)
            .finish()
    }
}

impl<T> Iterator for ReadChunkIntoIter<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        if self.left == 0 {
            return None;
        }
        let consumer = &mut *self.publish.0;
        let p = consumer.ring.slot(consumer.head_slot);
        // The position moves first: from here on the value is ours, whether or
        // not this iterator is ever dropped.
        consumer.take(1);
        self.left -= 1;
        // SAFETY: slot `p` holds a published value of this chunk (`left > 0`)
        // that nobody has taken: the consumer's position was at it, and now is
        // past it, so the value is moved out exactly once.
        Some(unsafe { p.read() })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<T> ExactSizeIterator for ReadChunkIntoIter<'_, T> {}
