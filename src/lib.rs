//! # ringkit
//!
//! Lock-free, in-process ring buffers for latency-critical code, checked by loom
//! models, miri and fuzzing.
//!
//! * [`spsc`]: a bounded single-producer single-consumer ring with try, blocking
//!   and timeout operations, zero-copy chunks, disconnection and per-message
//!   sequence numbers.
//! * [`mpmc`]: a bounded multi-producer multi-consumer ring ([`mpmc::Queue`] and
//!   [`mpmc::channel`]), any capacity, `try_` operations that never fail spuriously.
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
//! Every error type lives in one place and is shared by all primitives: a value
//! that cannot be pushed always comes back inside [`PushError`].

#![warn(missing_docs)]

mod error;
mod sync;
mod wait;

pub mod mpmc;
pub mod spsc;

pub use error::{CapacityError, ChunkError, PopError, PushError, Timeout};
