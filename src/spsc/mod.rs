//! A bounded single-producer single-consumer ring.
//!
//! ```
//! let (mut tx, mut rx) = ringkit::spsc::channel::<u64>(4);
//! std::thread::spawn(move || {
//!     for i in 0..10 {
//!         tx.push(i).unwrap(); // blocks while the ring is full
//!     }
//! }); // dropping `tx` disconnects
//! let got: Vec<u64> = rx.into_iter().collect(); // blocks until disconnected and empty
//! assert_eq!(got, (0..10).collect::<Vec<_>>());
//! ```
//!
//! # Design
//!
//! Positions are free-running `usize` counters: `head` counts items ever popped,
//! `tail` items ever pushed, both wrapping at `usize::MAX`. `tail - head` (wrapping)
//! is the length, so every one of the `capacity` slots is used and any capacity
//! works. Each handle also keeps its slot index (`0..capacity`) next to its
//! position and steps it with a compare-and-reset, so the hot path has no division.
//!
//! `head` and `tail` sit on their own cache lines. Each side keeps a private copy
//! of the other side's position and reloads the shared one only when its copy says
//! full (producer) or empty (consumer); in a busy stream most operations touch no
//! line that the other core is writing except the slot itself.
//!
//! Blocking operations (`std` feature) spin briefly, then park on a futex-backed
//! wait cell (`src/wait/mod.rs` describes the protocol). A push or pop with nobody
//! parked adds one plain load to the fast path; without `std` it adds nothing.
//!
//! # Roles
//!
//! [`Producer`] and [`Consumer`] are not `Clone`: the type system, not the caller,
//! keeps the ring single-producer single-consumer. Both are `Send` for `T: Send`.

mod chunk;
#[cfg(feature = "std")]
mod io;

pub use chunk::{ReadChunk, ReadChunkIntoIter, WriteChunk, WriteChunkUninit};

use crate::error::{check_capacity, CapacityError, PopError, PushError};
use crate::sync::{Arc, AtomicBool, AtomicUsize, LoadMut, Ordering, Tracker};
use crate::wait::WaitCell;
#[cfg(feature = "std")]
use crate::wait::Waitable;
use alloc::boxed::Box;
use alloc::vec::Vec;
use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::mem::MaybeUninit;
use crossbeam_utils::CachePadded;
#[cfg(feature = "std")]
use std::time::{Duration, Instant};

/// The state both handles share.
pub(crate) struct Ring<T> {
    /// Position of the next item to pop. Written by the consumer only.
    head: CachePadded<AtomicUsize>,
    /// Position of the next item to push. Written by the producer only.
    tail: CachePadded<AtomicUsize>,
    /// The consumer parks here while the ring is empty.
    not_empty: CachePadded<WaitCell>,
    /// The producer parks here while the ring is full.
    not_full: CachePadded<WaitCell>,
    /// Read-mostly facts: which side is gone, and where the consumer's slot index
    /// stood when it left (needed to drop leftovers).
    ends: CachePadded<Ends>,
    capacity: usize,
    buf: Box<[UnsafeCell<MaybeUninit<T>>]>,
    tracker: Tracker,
}

struct Ends {
    producer_gone: AtomicBool,
    consumer_gone: AtomicBool,
    /// The consumer's slot index, stored by the consumer when it is dropped.
    head_slot: AtomicUsize,
}

// SAFETY: the ring moves `T` values from the producer's thread to the consumer's
// thread, so it needs `T: Send`; it never hands out `&T` to two threads at once
// through a shared reference to the ring (the handles enforce the roles), so it
// needs no `T: Sync`. All shared mutable state is atomics or slots whose ownership
// is handed over by the head/tail release-acquire pairs.
unsafe impl<T: Send> Send for Ring<T> {}
// SAFETY: as for `Send`.
unsafe impl<T: Send> Sync for Ring<T> {}

impl<T> Ring<T> {
    /// Pointer to slot `i`. The pointer is derived from the whole buffer, so
    /// slices of consecutive slots may be built from it.
    #[inline(always)]
    fn slot(&self, i: usize) -> *mut T {
        debug_assert!(i < self.capacity);
        // SAFETY: `i < capacity == buf.len()`, which every caller's slot arithmetic
        // keeps (indices are stepped with a compare-and-reset at capacity).
        unsafe { UnsafeCell::raw_get(self.buf.as_ptr().add(i)).cast::<T>() }
    }

    /// The `n` slots starting at slot index `i`, in ring order, as two raw slices
    /// (the second is empty unless the range wraps).
    #[inline(always)]
    fn segments(&self, i: usize, n: usize) -> (*mut [T], *mut [T]) {
        let first = n.min(self.capacity - i);
        (
            core::ptr::slice_from_raw_parts_mut(self.slot(i), first),
            core::ptr::slice_from_raw_parts_mut(self.slot(0), n - first),
        )
    }

    /// The slot index `n` places after `i` (`n <= capacity`).
    #[inline(always)]
    fn advance_slot(&self, i: usize, n: usize) -> usize {
        advance(i, n, self.capacity)
    }
}

/// The slot index `n` places after `i` in a ring of `cap` slots (`n <= cap`): a
/// compare-and-subtract, no division.
#[inline(always)]
fn advance(i: usize, n: usize, cap: usize) -> usize {
    debug_assert!(i < cap && n <= cap);
    let j = i + n;
    if j >= cap {
        j - cap
    } else {
        j
    }
}

/// Drops the values in a raw slice when it goes out of scope, also while
/// unwinding from a panic in another value's `Drop`.
struct DropSlice<T>(*mut [T]);

impl<T> Drop for DropSlice<T> {
    fn drop(&mut self) {
        // SAFETY: whoever built the guard owns the slice's initialized values and
        // hands them to the guard; nothing reads them afterwards.
        unsafe { core::ptr::drop_in_place(self.0) }
    }
}

/// Drops the values in two raw slices: if one of the first slice's values panics
/// in `Drop`, the rest of the first slice (slice drop glue goes on) and the whole
/// second slice (the guard) are still dropped, each once.
///
/// # Safety
/// Both slices hold initialized values that the caller owns and never touches
/// again.
unsafe fn drop_segments<T>((a, b): (*mut [T], *mut [T])) {
    let _b = DropSlice(b);
    // SAFETY: the caller's promise.
    unsafe { core::ptr::drop_in_place(a) };
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        // Both handles are gone and we own the ring: the Arc's release/acquire on
        // its count orders every handle's last access before this point.
        let head = self.head.load_mut();
        let tail = self.tail.load_mut();
        let slot = self.ends.head_slot.load_mut();
        let len = tail.wrapping_sub(head);
        self.tracker.write_range(slot, len, self.capacity);
        // SAFETY: the slots in [head, tail) hold initialized values that were
        // pushed and never popped; nobody else can reach them any more.
        unsafe { drop_segments(self.segments(slot, len)) };
    }
}

/// Creates a ring of `capacity` slots and returns its two ends.
///
/// # Panics
///
/// If `capacity` is 0, or so large that the buffer would not fit in memory. Use
/// [`try_channel`] for a `Result` instead.
///
/// ```
/// let (mut tx, mut rx) = ringkit::spsc::channel::<&str>(2);
/// tx.try_push("a").unwrap();
/// assert_eq!(rx.try_pop(), Ok("a"));
/// ```
pub fn channel<T>(capacity: usize) -> (Producer<T>, Consumer<T>) {
    match try_channel(capacity) {
        Ok(ends) => ends,
        Err(e) => panic!("ringkit::spsc::channel: {e}"),
    }
}

/// Creates a ring of `capacity` slots, or says why it cannot.
///
/// ```
/// use ringkit::CapacityError;
/// assert_eq!(ringkit::spsc::try_channel::<u8>(0).err(), Some(CapacityError::Zero));
/// ```
pub fn try_channel<T>(capacity: usize) -> Result<(Producer<T>, Consumer<T>), CapacityError> {
    check_capacity::<T>(capacity)?;
    Ok(build(capacity, 0))
}

/// A ring whose positions (and the consumer's sequence number) start at `start`
/// instead of 0, so tests can cross the `usize` wrap-around quickly. Not part of
/// the public API.
#[doc(hidden)]
pub fn channel_starting_at<T>(capacity: usize, start: usize) -> (Producer<T>, Consumer<T>) {
    check_capacity::<T>(capacity).expect("ringkit::spsc::channel_starting_at");
    build(capacity, start)
}

fn build<T>(capacity: usize, start: usize) -> (Producer<T>, Consumer<T>) {
    let mut buf: Vec<UnsafeCell<MaybeUninit<T>>> = Vec::with_capacity(capacity);
    // SAFETY: `UnsafeCell<MaybeUninit<T>>` may hold any bytes, initialized or not,
    // so `capacity` reserved elements are valid as they are. (This avoids a loop of
    // `capacity` iterations, which for a zero-sized `T` could be huge.)
    unsafe { buf.set_len(capacity) };
    let ring = Arc::new(Ring {
        head: CachePadded::new(AtomicUsize::new(start)),
        tail: CachePadded::new(AtomicUsize::new(start)),
        not_empty: CachePadded::new(WaitCell::new()),
        not_full: CachePadded::new(WaitCell::new()),
        ends: CachePadded::new(Ends {
            producer_gone: AtomicBool::new(false),
            consumer_gone: AtomicBool::new(false),
            head_slot: AtomicUsize::new(0),
        }),
        capacity,
        buf: buf.into_boxed_slice(),
        tracker: Tracker::new(capacity),
    });
    let buf = ring.slot(0);
    let producer = Producer {
        buf,
        cap: capacity,
        ring: ring.clone(),
        tail: start,
        tail_slot: 0,
        cached_head: start,
    };
    let consumer = Consumer {
        buf,
        cap: capacity,
        ring,
        head: start,
        head_slot: 0,
        cached_tail: start,
        seq: start as u64,
        _not_sync: PhantomData,
    };
    (producer, consumer)
}

#[cfg(feature = "std")]
fn deadline_after(timeout: Duration) -> Option<Instant> {
    // A timeout too large to represent is a wait without a deadline.
    Instant::now().checked_add(timeout)
}

/// The sending end of an SPSC ring. Not `Clone`: there is one producer.
pub struct Producer<T> {
    /// The ring's first slot and its capacity, copied out of the ring so the hot
    /// path does not go through the `Arc` for them.
    buf: *mut T,
    cap: usize,
    ring: Arc<Ring<T>>,
    /// Our position; the shared `tail` equals it except while we are writing.
    tail: usize,
    /// Slot index of `tail`.
    tail_slot: usize,
    /// The consumer's `head` as last loaded; never ahead of the real one.
    cached_head: usize,
}

/// The receiving end of an SPSC ring. Not `Clone`: there is one consumer.
pub struct Consumer<T> {
    buf: *mut T,
    cap: usize,
    ring: Arc<Ring<T>>,
    head: usize,
    head_slot: usize,
    /// The producer's `tail` as last loaded; never ahead of the real one.
    cached_tail: usize,
    /// Sequence number of the item at `head`.
    seq: u64,
    /// `peek` hands out `&T`, so sharing a `&Consumer` between threads needs `T: Sync`.
    _not_sync: PhantomData<*const T>,
}

// SAFETY: a Producer owns the sending role; moving it to another thread moves the
// `T` values it pushes from there, which `T: Send` allows. Through `&Producer` a
// thread can only read atomics (`len`, `is_abandoned`), so sharing it is sound too.
// (Spelled out because the `buf` pointer opts out of the auto traits.)
unsafe impl<T: Send> Send for Producer<T> {}
// SAFETY: see `Send` above.
unsafe impl<T: Send> Sync for Producer<T> {}

// SAFETY: a Consumer owns the receiving role; moving it to another thread moves
// `T` values there, which `T: Send` allows. (`Send` is spelled out only because the
// marker field opts out of the auto traits.)
unsafe impl<T: Send> Send for Consumer<T> {}
// SAFETY: through `&Consumer` a thread can only peek (`&T`) and read atomics, so
// sharing it is sound when `&T` may be shared: `T: Sync`.
unsafe impl<T: Send + Sync> Sync for Consumer<T> {}

impl<T> Producer<T> {
    /// Free slots as this handle knows them, refreshing its copy of `head` only if
    /// that copy says fewer than `want` are free.
    #[inline(always)]
    fn free_slots(&mut self, want: usize) -> usize {
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
    #[inline(always)]
    fn publish(&mut self, n: usize) {
        self.tail = self.tail.wrapping_add(n);
        self.tail_slot = advance(self.tail_slot, n, self.cap);
        // ORDERING: [spsc.tail.release] pairs with the consumer's acquire load of
        // `tail`: our writes of the slots happen before it reads them.
        self.ring.tail.store(self.tail, Ordering::Release);
        self.ring.not_empty.notify();
    }

    /// Pushes `value` if there is room, without blocking.
    ///
    /// Fails with `Full(value)` when the ring is full, `Disconnected(value)` when
    /// the consumer is gone (checked before the ring is touched, so a value is
    /// never pushed into a ring that nobody can read any more as far as this
    /// thread can tell).
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
    /// Fails with `Disconnected(value)` if the consumer is gone.
    #[cfg(feature = "std")]
    pub fn push(&mut self, value: T) -> Result<(), PushError<T>> {
        self.push_until(value, None)
    }

    /// Pushes `value`, blocking at most `timeout` while the ring is full; on
    /// timeout the value comes back in `Full(value)`.
    #[cfg(feature = "std")]
    pub fn push_timeout(&mut self, value: T, timeout: Duration) -> Result<(), PushError<T>> {
        self.push_until(value, deadline_after(timeout))
    }

    #[cfg(feature = "std")]
    fn push_until(&mut self, mut value: T, deadline: Option<Instant>) -> Result<(), PushError<T>> {
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
    pub fn capacity(&self) -> usize {
        self.ring.capacity
    }

    /// Items in the ring now. A snapshot: the consumer may be popping.
    pub fn len(&self) -> usize {
        // ORDERING: Relaxed: a snapshot; nothing is read on the strength of it.
        self.tail
            .wrapping_sub(self.ring.head.load(Ordering::Relaxed))
    }

    /// True if the ring holds no item now (a snapshot).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True if the ring has no free slot now (a snapshot).
    pub fn is_full(&self) -> bool {
        self.len() == self.ring.capacity
    }

    /// True once the consumer has been dropped: pushes can only fail from now on.
    pub fn is_abandoned(&self) -> bool {
        self.consumer_gone()
    }
}

impl<T> Ring<T> {
    #[inline(always)]
    fn consumer_gone(&self) -> bool {
        // ORDERING: Relaxed: a producer that sees the flag only stops pushing; it
        // reads nothing the consumer wrote. (What the consumer leaves for the
        // ring's own drop is ordered by the Arc.)
        self.ends.consumer_gone.load(Ordering::Relaxed)
    }

    #[inline(always)]
    fn producer_gone(&self) -> bool {
        // ORDERING: [spsc.gone.acquire] pairs with the release store in
        // `Producer::drop`: every push happened before, so a consumer that sees the
        // flag and then reloads `tail` sees the final tail.
        self.ends.producer_gone.load(Ordering::Acquire)
    }
}

impl<T> Producer<T> {
    #[inline(always)]
    fn consumer_gone(&self) -> bool {
        self.ring.consumer_gone()
    }
}

impl<T> Drop for Producer<T> {
    fn drop(&mut self) {
        // ORDERING: [spsc.gone.release] pairs with `producer_gone`'s acquire load.
        self.ring.ends.producer_gone.store(true, Ordering::Release);
        self.ring.not_empty.notify();
    }
}

impl<T> Consumer<T> {
    /// Items available to this handle, refreshing its copy of `tail` only if that
    /// copy says fewer than `want` are available.
    #[inline(always)]
    fn available(&mut self, want: usize) -> usize {
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
    fn take(&mut self, n: usize) {
        self.head = self.head.wrapping_add(n);
        self.head_slot = advance(self.head_slot, n, self.cap);
        self.seq = self.seq.wrapping_add(n as u64);
    }

    /// Takes `n` more items (see [`take`](Self::take)) and publishes the position,
    /// freeing to the producer every slot taken so far.
    #[inline(always)]
    fn release(&mut self, n: usize) {
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
    fn available_or_disconnected(&mut self, want: usize) -> Result<usize, PopError> {
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
    /// `Disconnected` once the producer is gone and the ring is empty.
    #[cfg(feature = "std")]
    pub fn pop(&mut self) -> Result<T, PopError> {
        self.pop_until(None)
    }

    /// Pops the oldest item, blocking at most `timeout` while the ring is empty;
    /// `Empty` on timeout.
    #[cfg(feature = "std")]
    pub fn pop_timeout(&mut self, timeout: Duration) -> Result<T, PopError> {
        self.pop_until(deadline_after(timeout))
    }

    #[cfg(feature = "std")]
    fn pop_until(&mut self, deadline: Option<Instant>) -> Result<T, PopError> {
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
    fn wait_available(&self, deadline: Option<Instant>) -> bool {
        let ring = &*self.ring;
        let head = self.head;
        ring.not_empty.wait_until(deadline, || {
            // ORDERING: Relaxed: this only decides whether to stop waiting; the
            // caller's retry reloads `tail` with acquire before it reads a slot.
            ring.tail.load(Ordering::Relaxed) != head || ring.producer_gone()
        })
    }

    /// The oldest item, left in the ring; `None` if it is empty.
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
    pub fn next_seq(&self) -> u64 {
        self.seq
    }

    /// The number of slots (fixed at construction).
    pub fn capacity(&self) -> usize {
        self.ring.capacity
    }

    /// Items in the ring now. A snapshot: the producer may be pushing.
    pub fn len(&self) -> usize {
        // ORDERING: Relaxed: a snapshot; no slot is read on the strength of it.
        self.ring
            .tail
            .load(Ordering::Relaxed)
            .wrapping_sub(self.head)
    }

    /// True if no item is in the ring now (a snapshot).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True if every slot is taken now (a snapshot).
    pub fn is_full(&self) -> bool {
        self.len() == self.ring.capacity
    }

    /// True once the producer has been dropped. Items it pushed may still be
    /// waiting to be popped.
    pub fn is_abandoned(&self) -> bool {
        self.ring.producer_gone()
    }

    /// An iterator that pops until the ring is empty (it does not block).
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
}

impl<T> Drop for Consumer<T> {
    fn drop(&mut self) {
        // ORDERING: Relaxed: read only by `Ring::drop`, which runs after the Arc's
        // release/acquire on its count.
        self.ring
            .ends
            .head_slot
            .store(self.head_slot, Ordering::Relaxed);
        // ORDERING: Relaxed, see `Ring::consumer_gone`.
        self.ring.ends.consumer_gone.store(true, Ordering::Relaxed);
        // Publishes items taken by a chunk iterator that was forgotten, so that
        // `Ring::drop` starts after them; wakes a producer waiting for room.
        self.release(0);
    }
}

/// Pops until the ring is empty; made by [`Consumer::try_iter`].
pub struct TryIter<'a, T> {
    consumer: &'a mut Consumer<T>,
}

impl<T> Iterator for TryIter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.consumer.try_pop().ok()
    }
}

/// Pops, blocking, until the producer is gone and the ring is empty; made by
/// `Consumer::into_iter`.
#[cfg(feature = "std")]
pub struct IntoIter<T> {
    consumer: Consumer<T>,
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

impl<T> core::fmt::Debug for Producer<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Producer")
            .field("capacity", &self.capacity())
            .field("len", &self.len())
            .finish()
    }
}

impl<T> core::fmt::Debug for Consumer<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Consumer")
            .field("capacity", &self.capacity())
            .field("len", &self.len())
            .field("next_seq", &self.seq)
            .finish()
    }
}

static_assertions::assert_impl_all!(Producer<u64>: Send, Sync);
static_assertions::assert_impl_all!(Consumer<u64>: Send, Sync);
static_assertions::assert_impl_all!(Consumer<core::cell::Cell<u64>>: Send);
static_assertions::assert_not_impl_any!(Consumer<core::cell::Cell<u64>>: Sync);
static_assertions::assert_not_impl_any!(Producer<u64>: Clone);
static_assertions::assert_not_impl_any!(Consumer<u64>: Clone);
static_assertions::assert_not_impl_any!(Producer<alloc::rc::Rc<u64>>: Send, Sync);
static_assertions::assert_not_impl_any!(Consumer<alloc::rc::Rc<u64>>: Send, Sync);
