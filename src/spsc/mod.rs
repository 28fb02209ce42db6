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
//! wait cell (`src/wait/cell.rs` describes the protocol). A push or pop with nobody
//! parked adds one plain load to the fast path; without `std` it adds nothing.
//!
//! # Roles
//!
//! [`Producer`] and [`Consumer`] are not `Clone`: the type system, not the caller,
//! keeps the ring single-producer single-consumer. Both are `Send` for `T: Send`.

mod chunk;
mod consumer;
#[cfg(feature = "async")]
mod future;
#[cfg(feature = "std")]
mod io;
mod producer;
mod ring;
mod slice;
pub mod stamped;

pub use chunk::{ReadChunk, ReadChunkIntoIter, WriteChunk, WriteChunkUninit};
#[cfg(feature = "std")]
pub use consumer::IntoIter;
pub use consumer::TryIter;

use crate::error::{check_capacity, CapacityError};
use crate::sync::{Arc, AtomicBool, AtomicUsize, Tracker};
use crate::wait::WaitCell;
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
#[must_use]
#[track_caller]
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
#[cfg(any(test, feature = "test-hooks"))]
#[doc(hidden)]
#[must_use]
#[track_caller]
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
        #[cfg(feature = "async")]
        task: Default::default(),
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
        #[cfg(feature = "async")]
        task: Default::default(),
    };
    (producer, consumer)
}

#[cfg(feature = "std")]
fn deadline_after(timeout: Duration) -> Option<Instant> {
    // A timeout too large to represent is a wait without a deadline.
    Instant::now().checked_add(timeout)
}

/// The sending end of an SPSC ring. Not `Clone`: there is one producer.
///
/// ```
/// let (mut tx, mut rx) = ringkit::spsc::channel::<u32>(2);
/// tx.try_push(1).unwrap();
/// tx.try_push(2).unwrap();
/// assert!(tx.try_push(3).unwrap_err().is_full()); // both slots are taken
/// assert_eq!(rx.try_pop(), Ok(1));
/// assert_eq!(tx.try_push(3), Ok(())); // a pop freed a slot
/// ```
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
    /// This handle's place among the waiters on `not_full`, for `push_async`
    /// and `Sink`.
    #[cfg(feature = "async")]
    task: crate::wait::TaskWait,
}

/// The receiving end of an SPSC ring. Not `Clone`: there is one consumer.
///
/// ```
/// use ringkit::PopError;
///
/// let (mut tx, mut rx) = ringkit::spsc::channel::<u32>(4);
/// let producer = std::thread::spawn(move || {
///     for i in 1..=3 {
///         tx.push(i).unwrap();
///     }
/// });
/// producer.join().unwrap(); // `tx` is gone; what it pushed is still there
/// assert_eq!(rx.try_iter().collect::<Vec<_>>(), [1, 2, 3]);
/// assert_eq!(rx.try_pop(), Err(PopError::Disconnected));
/// ```
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
    /// This handle's place among the waiters on `not_empty`, for `pop_async`
    /// and `Stream`.
    #[cfg(feature = "async")]
    task: crate::wait::TaskWait,
}

// SAFETY: a Producer owns the sending role; moving it to another thread moves the
// `T` values it pushes from there, which `T: Send` allows. Through `&Producer` a
// thread can only read atomics (`len`, `is_disconnected`), so sharing it is sound too.
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
