//! A single-producer single-consumer ring for small `Copy` items whose slots
//! carry their own "full" stamp: the lowest-latency hand-off in the crate.
//!
//! ```
//! let (mut tx, mut rx) = ringkit::spsc::stamped::channel::<u64>(64);
//! let echo = std::thread::spawn(move || {
//!     for i in 0..100 {
//!         while tx.try_push(i).is_err() {
//!             std::hint::spin_loop();
//!         }
//!     }
//! });
//! let mut got = Vec::new();
//! while got.len() < 100 {
//!     if let Ok(v) = rx.try_pop() {
//!         got.push(v);
//!     }
//! }
//! echo.join().unwrap();
//! assert_eq!(got, (0..100).collect::<Vec<_>>());
//! ```
//!
//! # How it differs from [`spsc::channel`](super::channel)
//!
//! Each slot holds a stamp next to its value. The producer writes the value,
//! then stores the stamp `position + 1` (release). The consumer waits for
//! exactly that stamp in the slot at its position (acquire), so it never reads
//! the producer's position: an item and its stamp cross from core to core
//! side by side, normally in one cache line, where an index ring moves two
//! (the slot's and the index's). The consumer still publishes its position,
//! on a line of its own, and the producer reads it only when its cached copy
//! says the ring is full.
//!
//! What that buys and costs:
//!
//! - A ping-pong round trip measured 1.25x-1.5x faster than the best of
//!   rtrb's and nexus-queue's, and 1.3x-1.55x faster than
//!   [`spsc::channel`](super::channel)'s (see `docs/benchmarks.md`).
//! - Streaming one item at a time, both sides busy, it is no faster than the
//!   index ring: both ran at 0.4x-0.5x the bench's best peer there (ringbuf
//!   or rtrb).
//! - Items are `Copy`, so nothing is ever dropped: a ring can be torn down
//!   at any point without running user code.
//! - Try operations only. There are no blocking, timeout or async forms, no
//!   chunks and no slices (the stamps sit between the values). Spin, or use
//!   [`spsc::channel`](super::channel) where a side must sleep.
//!
//! The guarantees match the index ring's:
//!
//! - `try_push` reports `Full` only when `capacity` items are in the ring,
//!   and `try_pop` reports `Empty` only when none is: never spuriously.
//! - Disconnection is exact: a consumer gets every item pushed before the
//!   producer went, then `Disconnected`.
//! - Every item has a sequence number, [`Consumer::next_seq`].
//! - No allocation after construction, no system call, no lock.

use crate::error::{check_capacity, CapacityError, PopError, PushError};
use crate::sync::{Arc, AtomicBool, AtomicUsize, Ordering, Tracker};
use alloc::boxed::Box;
use core::cell::UnsafeCell;
use core::mem::MaybeUninit;
use crossbeam_utils::CachePadded;

/// One slot: the value, and the stamp that says which position it holds.
/// Stamp `p + 1` means "holds the item pushed at position `p`". Before its
/// first push a slot holds its first position, which no consumer expects. The
/// stamp is never cleared: whether a slot is free for the producer is decided
/// by `head`, not by the stamp.
struct Slot<T> {
    stamp: AtomicUsize,
    value: UnsafeCell<MaybeUninit<T>>,
}

/// What both handles share.
struct Shared<T> {
    /// The consumer's position: items ever popped (wrapping). Written by the
    /// consumer only; read by the producer when its copy says full.
    head: CachePadded<AtomicUsize>,
    /// Which side is gone: read-mostly.
    producer_gone: CachePadded<AtomicBool>,
    consumer_gone: AtomicBool,
    slots: Box<[Slot<T>]>,
    tracker: Tracker,
}

// SAFETY: the ring moves `T` values from the producer's thread to the
// consumer's, which needs `T: Send`; a slot's value is only touched by the side
// that its stamp (and `head`) hands it to, so nothing needs `T: Sync`.
unsafe impl<T: Send> Send for Shared<T> {}
// SAFETY: as for `Send`.
unsafe impl<T: Send> Sync for Shared<T> {}

/// Creates a stamped ring of `capacity` slots and returns its two ends.
///
/// # Panics
///
/// If `capacity` is 0, or so large that the slots would not fit in memory.
/// Use [`try_channel`] for a `Result` instead.
///
/// ```
/// let (mut tx, mut rx) = ringkit::spsc::stamped::channel::<u32>(2);
/// tx.try_push(7).unwrap();
/// assert_eq!(rx.try_pop(), Ok(7));
/// ```
#[must_use]
#[track_caller]
pub fn channel<T: Copy>(capacity: usize) -> (Producer<T>, Consumer<T>) {
    match try_channel(capacity) {
        Ok(ends) => ends,
        Err(e) => panic!("ringkit::spsc::stamped::channel: {e}"),
    }
}

/// Creates a stamped ring of `capacity` slots, or says why it cannot.
///
/// ```
/// use ringkit::CapacityError;
///
/// let zero = ringkit::spsc::stamped::try_channel::<u8>(0);
/// assert_eq!(zero.err(), Some(CapacityError::Zero));
/// ```
pub fn try_channel<T: Copy>(capacity: usize) -> Result<(Producer<T>, Consumer<T>), CapacityError> {
    check_capacity::<Slot<T>>(capacity)?;
    Ok(build(capacity, 0))
}

/// A ring whose positions (and sequence numbers) start at `start`, so tests can
/// cross the `usize` wrap-around quickly. Not part of the public API.
#[cfg(any(test, feature = "test-hooks"))]
#[doc(hidden)]
#[must_use]
#[track_caller]
pub fn channel_starting_at<T: Copy>(capacity: usize, start: usize) -> (Producer<T>, Consumer<T>) {
    check_capacity::<Slot<T>>(capacity).expect("ringkit::spsc::stamped::channel_starting_at");
    build(capacity, start)
}

fn build<T: Copy>(capacity: usize, start: usize) -> (Producer<T>, Consumer<T>) {
    let slots: Box<[Slot<T>]> = (0..capacity)
        .map(|i| Slot {
            stamp: AtomicUsize::new(start.wrapping_add(i)),
            value: UnsafeCell::new(MaybeUninit::uninit()),
        })
        .collect();
    let shared = Arc::new(Shared {
        head: CachePadded::new(AtomicUsize::new(start)),
        producer_gone: CachePadded::new(AtomicBool::new(false)),
        consumer_gone: AtomicBool::new(false),
        slots,
        tracker: Tracker::new(capacity),
    });
    let slots = shared.slots.as_ptr();
    let producer = Producer {
        slots,
        cap: capacity,
        shared: shared.clone(),
        tail: start,
        tail_slot: 0,
        cached_head: start,
    };
    let consumer = Consumer {
        slots,
        cap: capacity,
        shared,
        head: start,
        head_slot: 0,
        seq: start as u64,
    };
    (producer, consumer)
}

/// The slot index after `i` in a ring of `cap` slots: a compare-and-reset.
#[inline(always)]
fn step(i: usize, cap: usize) -> usize {
    let j = i + 1;
    if j == cap {
        0
    } else {
        j
    }
}

/// The sending end of a stamped ring. Not `Clone`: there is one producer.
///
/// ```
/// let (mut tx, mut rx) = ringkit::spsc::stamped::channel::<u8>(1);
/// tx.try_push(1).unwrap();
/// assert!(tx.try_push(2).unwrap_err().is_full()); // the one slot is taken
/// assert_eq!(rx.try_pop(), Ok(1));
/// assert_eq!(tx.try_push(2), Ok(()));
/// ```
pub struct Producer<T> {
    /// The first slot and the capacity, copied out of `shared` so the hot path
    /// does not go through the `Arc` for them.
    slots: *const Slot<T>,
    cap: usize,
    shared: Arc<Shared<T>>,
    /// Our position: items ever pushed (wrapping).
    tail: usize,
    /// Slot index of `tail`.
    tail_slot: usize,
    /// The consumer's `head` as last loaded; never ahead of the real one.
    cached_head: usize,
}

/// The receiving end of a stamped ring. Not `Clone`: there is one consumer.
///
/// ```
/// use ringkit::PopError;
///
/// let (mut tx, mut rx) = ringkit::spsc::stamped::channel::<u8>(4);
/// tx.try_push(1).unwrap();
/// drop(tx); // what it pushed is still there
/// assert_eq!(rx.try_pop(), Ok(1));
/// assert_eq!(rx.try_pop(), Err(PopError::Disconnected));
/// ```
pub struct Consumer<T> {
    slots: *const Slot<T>,
    cap: usize,
    shared: Arc<Shared<T>>,
    /// Our position: items ever popped (wrapping); the shared `head` equals it
    /// between calls.
    head: usize,
    /// Slot index of `head`.
    head_slot: usize,
    /// Sequence number of the item at `head`.
    seq: u64,
}

// SAFETY: a Producer owns the sending role; moving it to another thread moves
// the `T` values it pushes from there, which `T: Send` allows. Through
// `&Producer` a thread can only read atomics, so sharing it is sound too.
// (Spelled out because the `slots` pointer opts out of the auto traits.)
unsafe impl<T: Send> Send for Producer<T> {}
// SAFETY: see `Send` above.
unsafe impl<T: Send> Sync for Producer<T> {}
// SAFETY: a Consumer owns the receiving role; moving it moves the `T` values it
// pops to its new thread, which `T: Send` allows. Through `&Consumer` a thread
// can only read atomics and plain fields.
unsafe impl<T: Send> Send for Consumer<T> {}
// SAFETY: see `Send` above.
unsafe impl<T: Send> Sync for Consumer<T> {}

impl<T: Copy> Producer<T> {
    /// Pushes `value` if there is room, without blocking.
    ///
    /// Fails with `Full(value)` only when `capacity` items are in the ring,
    /// and with `Disconnected(value)` when the consumer is gone (checked first).
    ///
    /// ```
    /// use ringkit::PushError;
    ///
    /// let (mut tx, rx) = ringkit::spsc::stamped::channel::<u8>(1);
    /// assert_eq!(tx.try_push(1), Ok(()));
    /// assert_eq!(tx.try_push(2), Err(PushError::Full(2))); // the value comes back
    /// drop(rx);
    /// assert_eq!(tx.try_push(3), Err(PushError::Disconnected(3)));
    /// ```
    #[inline]
    pub fn try_push(&mut self, value: T) -> Result<(), PushError<T>> {
        // ORDERING: Relaxed: a producer that sees the flag only stops pushing;
        // it reads nothing the consumer wrote.
        if self.shared.consumer_gone.load(Ordering::Relaxed) {
            return Err(PushError::Disconnected(value));
        }
        if self.tail.wrapping_sub(self.cached_head) == self.cap {
            // ORDERING: [stamped.head.acquire] pairs with the consumer's release
            // store of `head` in `try_pop`: its read of a slot happens before
            // we write the slot again.
            self.cached_head = self.shared.head.load(Ordering::Acquire);
            if self.tail.wrapping_sub(self.cached_head) == self.cap {
                return Err(PushError::Full(value));
            }
        }
        // SAFETY: `tail_slot < cap`, the number of slots behind `slots`.
        let slot = unsafe { &*self.slots.add(self.tail_slot) };
        self.shared.tracker.write(self.tail_slot);
        // SAFETY: fewer than `cap` items are in the ring (checked above against a
        // `head` loaded with acquire), so the consumer has finished with this
        // slot, and it reads it again only after the stamp store below.
        unsafe { slot.value.get().cast::<T>().write(value) };
        let tail = self.tail.wrapping_add(1);
        // ORDERING: [stamped.stamp.release] pairs with the consumer's acquire
        // load of the stamp: our write of the value happens before its read.
        // Stored before our own fields are updated, in source order, as the
        // index ring's `Producer::publish` does (see there why).
        slot.stamp.store(tail, Ordering::Release);
        self.tail = tail;
        self.tail_slot = step(self.tail_slot, self.cap);
        Ok(())
    }
}

impl<T> Producer<T> {
    /// The number of slots.
    ///
    /// ```
    /// let (tx, _rx) = ringkit::spsc::stamped::channel::<u8>(3);
    /// assert_eq!(tx.capacity(), 3);
    /// ```
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// Whether the consumer is gone (then every push fails).
    ///
    /// ```
    /// let (tx, rx) = ringkit::spsc::stamped::channel::<u8>(1);
    /// assert!(!tx.is_disconnected());
    /// drop(rx);
    /// assert!(tx.is_disconnected());
    /// ```
    pub fn is_disconnected(&self) -> bool {
        // ORDERING: Relaxed, as in `try_push`.
        self.shared.consumer_gone.load(Ordering::Relaxed)
    }
}

impl<T: Copy> Consumer<T> {
    /// Pops the oldest item, without blocking.
    ///
    /// Fails with `Empty` only when no item is in the ring, and with
    /// `Disconnected` once the producer is gone and every item it pushed has
    /// been popped.
    ///
    /// ```
    /// use ringkit::PopError;
    ///
    /// let (mut tx, mut rx) = ringkit::spsc::stamped::channel::<u8>(2);
    /// assert_eq!(rx.try_pop(), Err(PopError::Empty));
    /// tx.try_push(5).unwrap();
    /// assert_eq!(rx.try_pop(), Ok(5));
    /// ```
    #[inline]
    pub fn try_pop(&mut self) -> Result<T, PopError> {
        // SAFETY: `head_slot < cap`, the number of slots behind `slots`.
        let slot = unsafe { &*self.slots.add(self.head_slot) };
        let want = self.head.wrapping_add(1);
        // ORDERING: [stamped.stamp.acquire] pairs with the producer's release
        // store of the stamp: its write of the value happens before our read.
        if slot.stamp.load(Ordering::Acquire) != want {
            // ORDERING: [stamped.gone.acquire] pairs with the release store in
            // `Producer::drop`: every push happened before it.
            if !self.shared.producer_gone.load(Ordering::Acquire) {
                return Err(PopError::Empty);
            }
            // ORDERING: Relaxed: the acquire load of the flag above already
            // orders every push, stamp and value, before this load, so it sees
            // the last stamp this slot will ever get.
            if slot.stamp.load(Ordering::Relaxed) != want {
                return Err(PopError::Disconnected);
            }
        }
        self.shared.tracker.read(self.head_slot);
        // SAFETY: the stamp says the producer wrote the value for our position
        // (ordered before us by the acquire above, or by the flag's), and it
        // writes the slot again only after our `head` store below.
        let value = unsafe { slot.value.get().cast::<T>().read() };
        self.head = want;
        self.head_slot = step(self.head_slot, self.cap);
        self.seq = self.seq.wrapping_add(1);
        // ORDERING: [stamped.head.release] pairs with the producer's acquire
        // load of `head`: our read of the slot happens before it writes it again.
        self.shared.head.store(want, Ordering::Release);
        Ok(value)
    }
}

impl<T> Consumer<T> {
    /// The sequence number of the next item to be popped: the number of items
    /// popped so far (wrapping to 0 after `u64::MAX`). The item `try_pop`
    /// returns next has this number.
    ///
    /// ```
    /// let (mut tx, mut rx) = ringkit::spsc::stamped::channel::<char>(4);
    /// tx.try_push('a').unwrap();
    /// tx.try_push('b').unwrap();
    /// assert_eq!(rx.next_seq(), 0);
    /// rx.try_pop().unwrap();
    /// assert_eq!(rx.next_seq(), 1); // 'b' is item 1
    /// ```
    pub fn next_seq(&self) -> u64 {
        self.seq
    }

    /// The number of slots.
    ///
    /// ```
    /// let (_tx, rx) = ringkit::spsc::stamped::channel::<u8>(3);
    /// assert_eq!(rx.capacity(), 3);
    /// ```
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// Whether the producer is gone. Items it pushed before it went may still
    /// be waiting: `try_pop` returns them first.
    ///
    /// ```
    /// let (tx, rx) = ringkit::spsc::stamped::channel::<u8>(1);
    /// assert!(!rx.is_disconnected());
    /// drop(tx);
    /// assert!(rx.is_disconnected());
    /// ```
    pub fn is_disconnected(&self) -> bool {
        // ORDERING: Relaxed: a yes or no about the flag; `try_pop` makes the
        // acquire load that its verdict rests on.
        self.shared.producer_gone.load(Ordering::Relaxed)
    }
}

impl<T> Drop for Producer<T> {
    fn drop(&mut self) {
        // ORDERING: [stamped.gone.release] pairs with the acquire load in
        // `Consumer::try_pop`: every push happens before a consumer that sees
        // the flag looks at the slot again.
        self.shared.producer_gone.store(true, Ordering::Release);
    }
}

impl<T> Drop for Consumer<T> {
    fn drop(&mut self) {
        // ORDERING: Relaxed, see `Producer::try_push`.
        self.shared.consumer_gone.store(true, Ordering::Relaxed);
    }
}

impl<T> core::fmt::Debug for Producer<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("stamped::Producer")
            .field("capacity", &self.cap)
            .finish_non_exhaustive()
    }
}

impl<T> core::fmt::Debug for Consumer<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("stamped::Consumer")
            .field("capacity", &self.cap)
            .field("next_seq", &self.seq)
            .finish_non_exhaustive()
    }
}

static_assertions::assert_impl_all!(Producer<u64>: Send, Sync);
static_assertions::assert_impl_all!(Consumer<u64>: Send, Sync);
static_assertions::assert_not_impl_any!(Producer<u64>: Clone);
static_assertions::assert_not_impl_any!(Consumer<u64>: Clone);
static_assertions::assert_not_impl_any!(Producer<*const u8>: Send, Sync);
static_assertions::assert_not_impl_any!(Consumer<*const u8>: Send, Sync);
