//! A `Mutex` + `Condvar` model of a futex, with the same contract as
//! `futex.rs`. Used on targets without a futex, under miri, and under loom,
//! where a lost wake-up becomes a deadlock that the model reports.

use super::{AtomicU32, Condvar, Mutex, MutexGuard, Ordering};
use std::time::Instant;

/// A 32-bit word that threads can sleep on until it changes.
pub(crate) struct Futex {
    word: AtomicU32,
    lock: Mutex<()>,
    cond: Condvar,
}

impl Futex {
    pub(crate) fn new(value: u32) -> Self {
        Futex {
            word: AtomicU32::new(value),
            lock: Mutex::new(()),
            cond: Condvar::new(),
        }
    }

    #[inline(always)]
    pub(crate) fn word(&self) -> &AtomicU32 {
        &self.word
    }

    /// Sleeps while the word equals `expected`, until woken, until `deadline`, or
    /// spuriously. The check and the sleep happen under `lock`, and `wake_all`
    /// takes `lock` before notifying, so a change made before `wake_all` is either
    /// seen by the check or wakes the sleeper: the futex's atomicity.
    ///
    /// Under loom the deadline is ignored (loom has no clock): a model that times
    /// out waits like one that does not, so a missing wake-up still deadlocks.
    pub(crate) fn wait(&self, expected: u32, deadline: Option<Instant>) {
        let guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        // ORDERING: Relaxed. The lock orders this check against `wake_all`; the word
        // carries no data (the waiter re-checks its condition through the
        // structure's own acquire loads after waking).
        if self.word.load(Ordering::Relaxed) != expected {
            return;
        }
        condvar_wait(&self.cond, guard, deadline);
    }

    /// Wakes every thread sleeping on the word.
    pub(crate) fn wake_all(&self) {
        drop(self.lock.lock().unwrap_or_else(|e| e.into_inner()));
        self.cond.notify_all();
    }
}

/// Waits on `cond`, giving up at `deadline`. Under loom the deadline is ignored
/// (loom has no clock): a model that times out waits like one that does not, so a
/// missing wake-up still deadlocks.
fn condvar_wait(cond: &Condvar, guard: MutexGuard<'_, ()>, deadline: Option<std::time::Instant>) {
    #[cfg(not(loom))]
    match deadline {
        None => drop(cond.wait(guard)),
        Some(d) => {
            let left = d.saturating_duration_since(std::time::Instant::now());
            if !left.is_zero() {
                drop(cond.wait_timeout(guard, left));
            }
        }
    }
    #[cfg(loom)]
    {
        let _ = deadline;
        drop(cond.wait(guard));
    }
}
