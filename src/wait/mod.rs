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
//!
//! # Doorbells: waiting on several cells at once
//!
//! A thread cannot futex-wait on several words. A dispatcher that serves several
//! sources owns one more cell, its *doorbell*, and [attaches](WaitCell::attach) it
//! to each source's cell once, when the source is added. The cold path
//! (`wake_slow`, entered only when a cell's parked bit is set) rings every attached
//! doorbell after waking the cell's own sleepers; the hot path does not change.
//! [`WaitCell::park_any`] arms every source cell (sets its parked bit with a
//! read-modify-write, so the next notify takes the cold path), arms the doorbell,
//! runs the heavy barrier, re-checks the condition *and* that no source cell's word
//! changed since it was armed, and only then sleeps on the doorbell. See
//! `docs/design-dispatch.md` for why both re-checks are needed.

use crate::sync::{
    heavy_barrier, light_barrier, prepare_barriers, spin_hint, yield_now, Arc, Futex, Mutex,
    Ordering, SPIN_LIMIT, YIELD_LIMIT,
};
use alloc::vec::Vec;
use std::time::Instant;

const PARKED: u32 = 1;
const EPOCH: u32 = 2;

/// One eventcount; see the module docs.
pub(crate) struct WaitCell {
    futex: Futex,
    /// Doorbells rung by `wake_slow`; touched only on the cold path and when a
    /// dispatcher adds or removes a source.
    bells: Mutex<Vec<Arc<WaitCell>>>,
}

impl WaitCell {
    pub(crate) fn new() -> Self {
        prepare_barriers();
        WaitCell {
            futex: Futex::new(0),
            bells: Mutex::new(Vec::new()),
        }
    }

    /// A cell whose epoch starts at `epoch`, for tests of the epoch's wrap-around.
    #[allow(dead_code)]
    pub(crate) fn with_epoch(epoch: u32) -> Self {
        prepare_barriers();
        WaitCell {
            futex: Futex::new(epoch.wrapping_mul(EPOCH)),
            bells: Mutex::new(Vec::new()),
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
            self.ring_bells();
        }
    }

    /// Notifies every attached doorbell. A doorbell's own `notify` takes its cold
    /// path only if the dispatcher that owns it has armed it.
    fn ring_bells(&self) {
        let bells = self.bells.lock().unwrap_or_else(|e| e.into_inner());
        for bell in bells.iter() {
            bell.notify();
        }
    }

    /// Attaches `bell`: from now on every wake-up of this cell's parked waiters also
    /// notifies `bell`. Call it before the first [`park_any`](Self::park_any) that
    /// arms this cell; the lock orders the two (a notifier that sees the parked bit
    /// set by that arm takes the lock after this attach).
    pub(crate) fn attach(&self, bell: &Arc<WaitCell>) {
        let mut bells = self.bells.lock().unwrap_or_else(|e| e.into_inner());
        bells.push(bell.clone());
    }

    /// Detaches one attachment of `bell` (a no-op if it is not attached).
    pub(crate) fn detach(&self, bell: &Arc<WaitCell>) {
        let mut bells = self.bells.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = bells.iter().position(|b| Arc::ptr_eq(b, bell)) {
            bells.swap_remove(i);
        }
    }

    /// Sets the parked bit with a read-modify-write (a write even if the bit was
    /// set already, so the heavy barrier that follows orders it) and returns the
    /// word as it now is: the key a later [`changed_since`](Self::changed_since)
    /// compares with.
    fn arm(&self) -> u32 {
        // ORDERING: Relaxed; the heavy barrier in `park_any` orders it before the
        // re-checks ([wait.heavy]), as for the compare-exchange in `wait_until`.
        self.futex.word().fetch_or(PARKED, Ordering::Relaxed) | PARKED
    }

    /// True if a wake-up (an epoch bump) has happened since `arm` returned `key`.
    fn changed_since(&self, key: u32) -> bool {
        // ORDERING: Relaxed; ordered after the notifier's epoch bump by the
        // [wait.light]/[wait.heavy] pair (see `park_any`).
        self.futex.word().load(Ordering::Relaxed) != key
    }

    /// Waits, once, on this cell as the doorbell of `sources` (each of which has
    /// this cell attached) until `ready()` or a wake-up. Returns without sleeping if
    /// `ready()` is true after the arming, or if a source cell was woken since it
    /// was armed. Spurious returns are possible: the caller re-polls and loops.
    ///
    /// `keys` is scratch space (kept by the caller so parking does not allocate).
    ///
    /// Why nothing is lost: a notifier N stores its condition, runs the light
    /// barrier and loads its source word; we fetch_or every source word and the
    /// doorbell, run the heavy barrier, then re-check. If our re-check misses N's
    /// store, the barrier pair makes N's load see our arm (or later), so N, or an
    /// earlier notifier that cleared our bit, takes the cold path and notifies the
    /// doorbell. That notify either sees the doorbell armed (it bumps the doorbell's
    /// epoch, so our futex wait returns or is woken), or it ran its light barrier
    /// before our heavy one, and then our `changed_since` check sees the source
    /// word's epoch bump and we do not sleep.
    pub(crate) fn park_any<'a>(
        &self,
        sources: impl Iterator<Item = &'a WaitCell> + Clone,
        keys: &mut Vec<u32>,
        ready: impl FnOnce() -> bool,
    ) {
        keys.clear();
        keys.extend(sources.clone().map(WaitCell::arm));
        let key = self.arm();
        heavy_barrier();
        if ready() || sources.zip(keys.iter()).any(|(c, &k)| c.changed_since(k)) {
            return;
        }
        self.futex.wait(key, None);
    }

    /// Blocks until `ready()` returns true (`wait_until` without a deadline).
    #[inline]
    pub(crate) fn wait(&self, ready: impl FnMut() -> bool) {
        self.wait_until(None, ready);
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
        for _ in 0..YIELD_LIMIT {
            if ready() {
                return true;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
            yield_now();
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
