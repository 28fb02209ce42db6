//! The asymmetric store-load barrier pair that every wake-up relies on; see
//! [`light_barrier`] and [`light_barrier_load`].

use super::{fence, AtomicU32, Ordering};

/// The cheap half of an asymmetric store-load barrier; see [`heavy_barrier`].
///
/// A notifier runs `store(condition); light_barrier(); load(waiter bit)`, a waiter
/// runs `store(waiter bit); heavy_barrier(); load(condition)`. Together they forbid
/// the store-buffering outcome where both loads miss the other side's store, which
/// is exactly a lost wake-up. On Linux the heavy side is `membarrier(2)`, which
/// makes every running thread of the process pass a full barrier; the light side is
/// then only a compiler fence, so the notifier's hot path costs no fence at all.
/// Where `membarrier` is missing, and under miri and loom's default
/// configuration, both halves are `fence(SeqCst)` (loom's other configuration
/// is at [`light_barrier_load`]).
#[inline(always)]
#[cfg_attr(all(loom, ringkit_loom_membarrier), allow(dead_code))]
pub(crate) fn light_barrier() {
    #[cfg(all(target_os = "linux", not(loom), not(miri)))]
    {
        if super::membarrier::available() {
            // ORDERING: [wait.light] pairs with heavy_barrier's membarrier(2); the
            // compiler fence keeps the condition store before the waiter-bit load
            // in program order, which membarrier turns into a hardware order.
            core::sync::atomic::compiler_fence(Ordering::SeqCst);
            return;
        }
    }
    // ORDERING: [wait.light] pairs with the fence(SeqCst) in heavy_barrier
    // (store-buffering: the notifier's condition store and the waiter's bit store).
    fence(Ordering::SeqCst);
}

/// The notifier's half of the barrier pair together with the load it orders:
/// runs [`light_barrier`], then loads `word` (the wait word with its parked bit).
///
/// Under loom there are two models of the pair. By default both halves are
/// `fence(SeqCst)`, exactly the code that runs where `membarrier` is missing.
/// With `--cfg ringkit_loom_membarrier` the pair is modelled as it works on
/// Linux, where the light half is no fence at all: `membarrier` makes each
/// other thread pass a full barrier at some point of its program during the
/// call. If that point came before this load, the load sees the waiter's
/// arming (which preceded the call), so a notifier that missed the arming has
/// its point after the load, and everything it wrote before the load is
/// visible to the waiter once its heavy barrier returns. A `Release`
/// read-modify-write of the word says exactly that: the waiter's arming, also a
/// read-modify-write, either comes before it in the word's order (and the
/// notifier sees the parked bit) or reads from it (and the waiter's heavy
/// barrier acquires what the notifier wrote before). It orders nothing else,
/// in particular none of the notifier's later writes, which the fence model
/// would release by accident.
#[inline(always)]
pub(crate) fn light_barrier_load(word: &AtomicU32) -> u32 {
    #[cfg(all(loom, ringkit_loom_membarrier))]
    {
        // ORDERING: [wait.light] pairs with the fence(SeqCst) in heavy_barrier,
        // the model of membarrier's barrier in this thread (see above). Adding 0
        // changes no bit.
        word.fetch_add(0, Ordering::Release)
    }
    #[cfg(not(all(loom, ringkit_loom_membarrier)))]
    {
        light_barrier();
        // ORDERING: Relaxed; light_barrier orders it after the condition store.
        word.load(Ordering::Relaxed)
    }
}

/// Readies the asymmetric barrier: on Linux, registers the process for
/// `membarrier` (once; later calls are one relaxed load), so that a
/// [`light_barrier`] is a compiler fence from the first notify on instead of a
/// full fence until somebody first parks. Called when a wait cell is built, so the
/// system call happens at construction, never on a push or pop.
#[inline]
pub(crate) fn prepare_barriers() {
    #[cfg(all(target_os = "linux", not(loom), not(miri)))]
    super::membarrier::register();
}

/// The expensive half of the asymmetric barrier; see [`light_barrier`]. Called only
/// by a thread that is about to park, so it is off every hot path.
///
/// Once the process is registered for `membarrier`, notifiers may already be
/// relying on it (their light barrier is only a compiler fence), so a fence here
/// would not be enough: if the system call then fails (a seccomp filter installed
/// later, say), the process writes why to stderr and aborts rather than risk a
/// lost wake-up. An abort, not a panic: a panic could be caught, and the waiter
/// would go on with a protocol that no longer holds.
#[inline]
pub(crate) fn heavy_barrier() {
    #[cfg(all(target_os = "linux", not(loom), not(miri)))]
    {
        if super::membarrier::heavy() {
            return;
        }
    }
    // ORDERING: [wait.heavy] pairs with the fence(SeqCst) in light_barrier.
    fence(Ordering::SeqCst);
}
