//! Waiting without `std` (the crate built without its `std` feature): there is
//! no futex and no scheduler, so no thread ever parks and a notify has nobody to
//! wake. [`WaitCell`] keeps the interface the primitives use and costs nothing:
//! `notify` is empty and `wait` spins. Only the MPMC queue's `try_` operations
//! wait here, for a thread that has claimed a slot to finish its copy (see
//! `mpmc::queue`); with `std` that wait parks after a bounded spin.

use crate::sync::spin_hint;

/// A wait cell for builds without `std`; see the module docs.
pub(crate) struct WaitCell;

impl WaitCell {
    pub(crate) fn new() -> Self {
        WaitCell
    }

    /// Nothing to do: nobody can be parked.
    #[inline(always)]
    pub(crate) fn notify(&self) {}

    /// Spins until `ready()` returns true (no bound: the thread it waits for is
    /// in the middle of a copy and finishes unless it is preempted or stopped).
    pub(crate) fn wait(&self, mut ready: impl FnMut() -> bool) {
        while !ready() {
            spin_hint();
        }
    }
}

impl Default for WaitCell {
    fn default() -> Self {
        Self::new()
    }
}
