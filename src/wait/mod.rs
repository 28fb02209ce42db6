//! How a thread waits for a condition that another thread makes true: a ring that
//! is no longer empty or full, a flag with a newer generation.
//!
//! [`WaitCell`] is an eventcount on one 32-bit futex word, changed only by
//! read-modify-writes. Bit 0 says "somebody is parked"; the other bits are an epoch.
//!
//! * A waiter spins a bounded number of times re-checking its condition, then sets
//!   the parked bit with a compare-exchange (remembering the word it saw), runs the
//!   heavy half of an asymmetric barrier, checks its condition once more, and only
//!   then sleeps on the futex, on exactly the word it saw. Any notify that slipped in
//!   between changed the epoch, so the futex returns at once.
//! * A notifier, after making the condition true, runs the light half of the
//!   barrier (a compiler fence on Linux) and loads the word. Only if the parked bit
//!   is set does it bump the epoch, clear the bit and wake everybody. With nobody
//!   parked a notify is one plain load: no read-modify-write, no system call.
//!
//! The barrier pair forbids the outcome in which the notifier misses the parked bit
//! *and* the waiter misses the condition, which is the only way to lose a wake-up.
//! Spurious wake-ups are always possible; [`WaitCell::wait_until`] loops.
//!
//! The data that the condition guards is published by the structure itself (a
//! release store of a ring index, say), never by this word.

use crate::sync::{
    heavy_barrier, light_barrier, prepare_barriers, spin_hint, Futex, Ordering, SPIN_LIMIT,
};
use std::time::Instant;

const PARKED: u32 = 1;
const EPOCH: u32 = 2;

/// One eventcount; see the module docs.
pub(crate) struct WaitCell {
    futex: Futex,
}

impl WaitCell {
    pub(crate) fn new() -> Self {
        prepare_barriers();
        WaitCell {
            futex: Futex::new(0),
        }
    }

    /// A cell whose epoch starts at `epoch`, for tests of the epoch's wrap-around.
    #[allow(dead_code)]
    pub(crate) fn with_epoch(epoch: u32) -> Self {
        prepare_barriers();
        WaitCell {
            futex: Futex::new(epoch.wrapping_mul(EPOCH)),
        }
    }

    /// Wakes every parked waiter. Call it after the store that makes a waiter's
    /// condition true.
    #[inline]
    pub(crate) fn notify(&self) {
        light_barrier();
        // ORDERING: Relaxed; the light/heavy barrier pair [wait.light]/[wait.heavy]
        // orders it against the waiter's compare-exchange of the parked bit.
        if self.futex.word().load(Ordering::Relaxed) & PARKED != 0 {
            self.wake_slow();
        }
    }

    #[cold]
    fn wake_slow(&self) {
        // New epoch, parked bit cleared: every waiter that saw the old word and has
        // not slept yet will find the futex word changed and return at once.
        // ORDERING: Relaxed. The word guards no data; the futex syscall (or the
        // model's lock) orders this change against a sleeper's check.
        let old = self
            .futex
            .word()
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |w| {
                Some(w.wrapping_add(EPOCH) & !PARKED)
            })
            .unwrap_or_else(|w| w);
        if old & PARKED != 0 {
            self.futex.wake_all();
        }
    }

    /// Blocks until `ready()` returns true or `deadline` passes. Returns the last
    /// value of `ready()`: false only on timeout.
    ///
    /// `ready` must read the state through the structure's own acquire loads; it is
    /// called again after every wake-up, spurious or not.
    pub(crate) fn wait_until(
        &self,
        deadline: Option<Instant>,
        mut ready: impl FnMut() -> bool,
    ) -> bool {
        for _ in 0..SPIN_LIMIT {
            if ready() {
                return true;
            }
            spin_hint();
        }
        loop {
            if ready() {
                return true;
            }
            if let Some(d) = deadline {
                if Instant::now() >= d {
                    return false;
                }
            }
            // ORDERING: Relaxed; the word guards no data (see wake_slow).
            let seen = self.futex.word().load(Ordering::Relaxed);
            let key = seen | PARKED;
            if seen & PARKED == 0 {
                // ORDERING: Relaxed; the heavy barrier below orders this store
                // before the re-check of the condition ([wait.heavy]).
                if self
                    .futex
                    .word()
                    .compare_exchange(seen, key, Ordering::Relaxed, Ordering::Relaxed)
                    .is_err()
                {
                    continue;
                }
            }
            heavy_barrier();
            if ready() {
                return true;
            }
            self.futex.wait(key, deadline);
        }
    }
}

impl Default for WaitCell {
    fn default() -> Self {
        Self::new()
    }
}
