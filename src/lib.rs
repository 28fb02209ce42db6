//! # ringkit
//!
//! Lock-free, in-process ring buffers for latency-critical code, checked by loom
//! models, miri and fuzzing.
//!
//! * [`spsc`]: a bounded single-producer single-consumer ring with try, blocking
//!   and timeout operations, zero-copy chunks, disconnection and per-message
//!   sequence numbers; and [`spsc::stamped`], a try-only ring for small `Copy`
//!   items whose slots carry their own stamps, for the lowest hand-off latency.
//! * [`seqlock`]: a sound sequence lock (data in atomic words) for small plain-data
//!   values: readers never see a torn value (`try_read` returns at once; `read`
//!   waits out a write in progress).
//! * [`event`]: [`EventFlag`](event::EventFlag), the newest value with its
//!   generation and blocking waits for a newer one; [`Event`](event::Event),
//!   manual-reset and auto-reset.
//! * [`mpmc`]: a bounded multi-producer multi-consumer ring ([`mpmc::Queue`] and
//!   [`mpmc::channel`]), any capacity, `try_` operations that never fail spuriously.
//! * [`broadcast`]: a lossy broadcast ring: one publisher that never blocks, any
//!   number of subscribers, each of which sees every event or is told exactly how
//!   many it lost ([`RecvError::Lagged`](broadcast::RecvError::Lagged)).
//! * [`select`]: a [`Selector`](select::Selector) waits for whichever of several
//!   rings, broadcast subscribers, event flags, events and job queues is ready,
//!   fairly, and returns its index; the caller receives from it.
//! * [`dispatch`]: callbacks with acknowledgement: a [`Dispatcher`](dispatch::Dispatcher)
//!   runs handlers for rings, queues, broadcast subscribers, event flags and
//!   events on the receiving thread, removes a message only after its handler
//!   succeeds (redelivery, dead letters), and parks while every source is empty;
//!   plus a job queue for closures.
//!
//! ```
//! use std::thread;
//!
//! let (mut tx, mut rx) = ringkit::spsc::channel::<u64>(1024);
//! let producer = thread::spawn(move || {
//!     for i in 0..10_000 {
//!         tx.push(i).unwrap();
//!     }
//! });
//! let mut sum = 0;
//! for v in rx {
//!     sum += v; // ends when the producer is gone and the ring is empty
//! }
//! producer.join().unwrap();
//! assert_eq!(sum, 10_000 * 9_999 / 2);
//! ```
//!
//! A price ticker on an [`EventFlag`](event::EventFlag): one writer, two readers
//! that poll, and one that blocks for updates. Price and size come from the same
//! publication, always.
//!
//! ```
//! use ringkit::event::EventFlag;
//!
//! // [price in cents, size]; generation 0 is the opening quote.
//! let ticker = EventFlag::new([100u64, 1000]);
//! std::thread::scope(|s| {
//!     let watcher = s.spawn(|| {
//!         let (mut seen, mut updates) = (0, 0);
//!         while seen < 100 {
//!             // Sleeps until a quote newer than `seen` is out.
//!             let (generation, [price, size]) = ticker.wait_newer(seen);
//!             assert_eq!((price, size), (100 + generation, 10 * price));
//!             seen = generation;
//!             updates += 1;
//!         }
//!         updates // a slow reader skips quotes; it never holds up the writer
//!     });
//!     for _ in 0..2 {
//!         s.spawn(|| {
//!             for _ in 0..1000 {
//!                 let (generation, [price, size]) = ticker.read(); // lock-free
//!                 assert_eq!((price, size), (100 + generation, 10 * price));
//!             }
//!         });
//!     }
//!     for generation in 1..=100 {
//!         let price = 100 + generation;
//!         assert_eq!(ticker.publish([price, 10 * price]), generation);
//!     }
//!     assert!((1..=100).contains(&watcher.join().unwrap()));
//! });
//! assert_eq!(ticker.read(), (100, [200, 2000]));
//! ```
//!
//! A market-data feed on a [`broadcast`] ring: the publisher never waits for the
//! subscribers; a slow one is told how many ticks it missed and goes on from the
//! oldest tick still held.
//!
//! ```
//! use ringkit::broadcast::{self, RecvError};
//!
//! let (mut feed, sub) = broadcast::channel::<[u64; 2]>(64); // [seq, price]
//! std::thread::scope(|s| {
//!     for _ in 0..2 {
//!         let mut sub = sub.clone(); // starts at the next tick
//!         s.spawn(move || {
//!             let (mut next, mut lost) = (0, 0);
//!             loop {
//!                 match sub.recv() {
//!                     Ok((seq, [s, price])) => {
//!                         assert_eq!((seq, s, price), (next, seq, 1000 + seq));
//!                         next = seq + 1;
//!                     }
//!                     Err(RecvError::Lagged(n)) => {
//!                         lost += n;
//!                         next += n; // exact: the next tick is `next + n`
//!                     }
//!                     Err(RecvError::Disconnected) => return (next, lost),
//!                     Err(RecvError::Empty) => unreachable!("recv waits"),
//!                 }
//!             }
//!         });
//!     }
//!     drop(sub);
//!     for seq in 0..1000 {
//!         feed.publish([seq, 1000 + seq]);
//!     }
//!     drop(feed); // subscribers finish what is left, then see Disconnected
//! });
//! ```
//!
//! # Acknowledged delivery, exactly-once effects
//!
//! A sender that hears no acknowledgement in time sends again
//! ([`resend::Outstanding`] keeps its unacknowledged messages and their
//! deadlines); the receiver recognises a message it already handled by its id
//! ([`dedup::Dedup`], here on a dispatcher source through
//! [`Retry::dedup`](dispatch::Retry::dedup)), so each effect happens once:
//!
//! ```
//! use ringkit::dedup::Dedup;
//! use ringkit::dispatch::{Dispatcher, Retry, RunEnd};
//! use ringkit::{mpmc, resend::Outstanding, spsc};
//! use std::sync::{Arc, Mutex};
//! use std::time::{Duration, Instant};
//!
//! let (mut requests, inbox) = spsc::channel::<(u64, u32)>(64); // (id, deposit)
//! let (acks, acked) = mpmc::channel::<u64>(64); // ids
//!
//! // Receiver: a dispatcher applies each deposit once and acknowledges every copy;
//! // it loses every third acknowledgement it sends.
//! let balance = Arc::new(Mutex::new(0));
//! let (b, ack, ack_again) = (balance.clone(), acks.clone(), acks);
//! let window = Dedup::new(64).on_duplicate(move |id: &u64| {
//!     let _ = ack_again.try_push(*id); // a copy of a handled message: acknowledge again
//! });
//! let mut handled = 0;
//! let mut dispatcher = Dispatcher::new();
//! dispatcher.on_spsc_with(inbox, Retry::default().dedup(window, |m: &(u64, u32)| m.0), move |d| {
//!     *b.lock().unwrap() += d.message.1;
//!     handled += 1;
//!     if handled % 3 != 0 {
//!         let _ = ack.try_push(d.message.0);
//!     }
//!     Ok::<(), ()>(())
//! });
//! let receiver = std::thread::spawn(move || dispatcher.run());
//!
//! // Sender: keeps each deposit until it is acknowledged; resends after 5 ms.
//! let mut pending = Outstanding::new(32, Duration::from_millis(5));
//! for deposit in 1..=10 {
//!     let id = pending.send(deposit).unwrap();
//!     requests.push((id, deposit)).unwrap();
//! }
//! while let Some(deadline) = pending.next_deadline() {
//!     match acked.pop_until(deadline) {
//!         Ok(id) => drop(pending.ack(id)),
//!         Err(_) => {
//!             for (id, &deposit) in pending.due_at(Instant::now()) {
//!                 requests.push((id, deposit)).unwrap(); // no acknowledgement yet: again
//!             }
//!         }
//!     }
//! }
//! drop(requests);
//! assert_eq!(receiver.join().unwrap(), RunEnd::Disconnected);
//! assert_eq!(*balance.lock().unwrap(), 55); // each deposit once, though some came twice
//! ```
//!
//! # Names, errors and timeouts
//!
//! The same idea has the same name in every primitive:
//!
//! * `try_push` / `try_pop` / `try_recv` return at once; `push` / `pop` / `recv`
//!   block (with the `std` feature); `*_timeout(Duration)` and `*_until(Instant)`
//!   block at most that long. A timeout too large to represent waits forever.
//!   `*_async` (the `async` feature) waits without blocking the thread and
//!   reports what the blocking form reports.
//! * `is_disconnected()` is true once the other side is gone (the consumer or
//!   every receiver, for a sending handle; the producer, every sender or the
//!   publisher, for a receiving one).
//! * A value that cannot be pushed always comes back inside the error:
//!   [`PushError`] (`Full(v)`, `Disconnected(v)`) from `try_push` and `push`
//!   (which reports only `Disconnected`), [`PushTimeoutError`] (`Timeout(v)`,
//!   `Disconnected(v)`) from the timed pushes. [`mpmc::Queue::try_push`], which has
//!   no receiving side, hands the value back in `PushError::Full`.
//! * A pop that returns nothing says why: [`PopError`] (`Empty`, `Disconnected`)
//!   from `try_pop` and `pop` (which reports only `Disconnected`),
//!   [`PopTimeoutError`] (`Timeout`, `Disconnected`) from the timed pops.
//! * Every timed operation reports running out of time as `Timeout`: the variant
//!   of its error enum, or the [`Timeout`] error itself where a deadline is the
//!   only way to fail (the event flag's and [`Event`](event::Event)'s waits).
//! * Errors that belong to one primitive live in its module:
//!   [`broadcast::RecvError`], [`broadcast::RecvTimeoutError`],
//!   [`broadcast::TryRecvNowError`]. The queue errors above are shared by
//!   [`spsc`], [`mpmc`] and the dispatcher's job queue; [`CapacityError`] by every
//!   constructor, [`ChunkError`] by the SPSC chunks.
//!
//! # Features and real-time use
//!
//! The default feature `std` adds the blocking and timeout operations (futex
//! park), `io::Read`/`Write` on byte rings and the dispatcher. The default
//! feature `async` (which needs `std`) adds an async form of the blocking
//! operations (`push_async`, `pop_async`, `recv_async`, `wait_newer_async`,
//! `wait_async`, `submit_async`, `run_async`; not yet the dispatcher's `run`, and
//! no timed forms: put your executor's timeout around the future), `Stream` for the SPSC, MPMC
//! and broadcast receivers, `Sink` for the SPSC producer and (through
//! [`mpmc::SendSink`]) the MPMC sender; a task waits in the same wait cell
//! as a parked thread, so sync code pays nothing for it. Without `std`
//! (`default-features = false`) the crate is `#![no_std]` + `alloc`: the rings, the
//! seqlock, the event flag and the broadcast ring with their non-blocking
//! operations. What every method may do (allocate, lock, make a system call, block,
//! spin) is in the [`realtime`] table.

#![no_std]
// On docs.rs, items that need the `std` feature or 64-bit atomics say so.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs, missing_debug_implementations)]
// With only `spsc` built (no 64-bit atomics), some shared helpers go unused.
#![cfg_attr(not(target_has_atomic = "64"), allow(dead_code))]

extern crate alloc;
// `std` is linked only with the `std` feature (and for the unit tests): without it
// the crate cannot name anything of std's, by construction.
#[cfg(any(feature = "std", test))]
extern crate std;

mod error;
#[cfg(target_has_atomic = "64")]
mod plain;
mod sync;
#[cfg(all(test, feature = "async"))]
mod test_waker;
mod wait;

// Everything but the SPSC ring keeps 64-bit positions, stamps or words in atomics.
// On targets without 64-bit atomics (Cortex-M3/M4/M7, 32-bit RISC-V) only `spsc`
// is there; see docs/realtime.md.
#[cfg(target_has_atomic = "64")]
pub mod broadcast;
#[cfg(feature = "std")]
pub mod dedup;
#[cfg(all(feature = "std", target_has_atomic = "64"))]
pub mod dispatch;
#[cfg(target_has_atomic = "64")]
pub mod event;
#[cfg(target_has_atomic = "64")]
pub mod mpmc;
#[cfg(feature = "std")]
pub mod resend;
#[cfg(all(feature = "std", target_has_atomic = "64"))]
pub mod select;
#[cfg(target_has_atomic = "64")]
pub mod seqlock;
pub mod spsc;

pub use error::{
    CapacityError, ChunkError, PopError, PopTimeoutError, PushError, PushTimeoutError, Timeout,
};

/// The real-time table: per method, whether it can allocate, lock, make a system
/// call, block or spin, its progress guarantee, and whether it exists without the
/// `std` feature (the same text as `docs/realtime.md`).
pub mod realtime {
    #![doc = include_str!("../docs/realtime.md")]
}

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
