//! How a thread waits for a condition that another thread makes true: a ring that
//! is no longer empty or full, a flag with a newer generation.
//!
//! * `cell.rs`: [`WaitCell`], an eventcount on one futex word that parks and wakes
//!   (with the `std` feature).
//! * `spin.rs`: the `WaitCell` of a build without `std`, where nothing parks.
//! * `tuning.rs`: how long a waiter spins and yields before it parks.
//! * `task.rs`: [`Waiting`], an async task's place in a cell (the `async`
//!   feature).
//! * `waitable.rs`: [`Waitable`], what a waiter on several sources needs of each.

#[cfg(feature = "std")]
mod cell;
#[cfg(feature = "async")]
pub(crate) use cell::TaskWait;
#[cfg(feature = "std")]
pub(crate) use cell::WaitCell;
#[cfg(feature = "async")]
mod task;
#[cfg(feature = "async")]
pub(crate) use task::Waiting;
#[cfg(not(feature = "std"))]
mod spin;
#[cfg(not(feature = "std"))]
pub(crate) use spin::WaitCell;

mod tuning;
// Only the SPSC ring is built without 64-bit atomics, and it never spins.
#[cfg_attr(not(target_has_atomic = "64"), allow(unused_imports))]
pub(crate) use tuning::*;

#[cfg(feature = "std")]
mod waitable;
#[cfg(feature = "std")]
pub(crate) use waitable::Waitable;
