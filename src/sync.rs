//! The one module that chooses between `std` and `loom`.
//!
//! Every other module imports its atomics, fences, `Arc`, locks, spin hints, the
//! futex word and the slot-access tracker from here. Under `--cfg loom` they are
//! loom's instrumented types, so the models in `loom-tests/` check the real code and
//! not a look-alike. Nothing outside this file says `cfg(loom)`.
//!
//! Without the `std` feature there are no locks, no futex and no barriers here:
//! nothing can park, so nothing needs waking (see `wait/spin.rs`). loom needs std.
//!
//! Two pieces are ringkit's own and need a word:
//!
//! * [`Futex`]: a 32-bit word a thread can sleep on. On Linux it is the kernel's
//!   futex (`wait/futex.rs`); elsewhere, and under loom, it is a `Mutex` + `Condvar`
//!   model with the same contract (`wait/fallback.rs`). Under loom that model makes a
//!   lost wake-up show up as a deadlock, which loom reports.
//! * [`Tracker`]: ring slots live in one contiguous buffer so that chunks can hand
//!   out slices. loom cannot see accesses through raw pointers, so every slot access
//!   is also announced to a tracker. Under loom each slot has a `loom::cell::UnsafeCell<()>`
//!   and an announced access that is not ordered after the previous conflicting one
//!   fails the model. In normal builds the tracker is a zero-sized no-op.

#[cfg(all(not(loom), target_has_atomic = "64"))]
pub(crate) use core::sync::atomic::AtomicU64;
#[cfg(not(loom))]
#[allow(unused_imports)]
pub(crate) use core::sync::atomic::{fence, AtomicBool, AtomicU32, AtomicUsize, Ordering};
#[cfg(loom)]
#[allow(unused_imports)]
pub(crate) use loom::sync::atomic::{
    fence, AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering,
};

#[cfg(all(loom, not(feature = "std")))]
compile_error!("the loom models need ringkit's `std` feature");

#[cfg(not(loom))]
#[allow(unused_imports)]
pub(crate) use alloc::sync::Arc;
#[cfg(loom)]
#[allow(unused_imports)]
pub(crate) use loom::sync::{Arc, Condvar, Mutex, MutexGuard};
#[cfg(all(not(loom), feature = "std"))]
#[allow(unused_imports)]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};

#[cfg(all(target_os = "linux", not(loom), not(miri), feature = "std"))]
#[path = "wait/futex.rs"]
mod futex_impl;
#[cfg(all(any(not(target_os = "linux"), loom, miri), feature = "std"))]
#[path = "wait/fallback.rs"]
mod futex_impl;

#[cfg(feature = "std")]
pub(crate) use futex_impl::Futex;

/// Waits on `cond`, giving up at `deadline`. Under loom the deadline is ignored
/// (loom has no clock): a model that times out waits like one that does not, so a
/// missing wake-up still deadlocks.
#[cfg(all(any(not(target_os = "linux"), loom, miri), feature = "std"))]
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

/// How many times a blocking operation re-checks its condition (with a CPU spin
/// hint in between) before it parks. Under loom every spin is a yield that grows
/// the state space, so the models go straight to the park path.
#[cfg(not(loom))]
pub(crate) const SPIN_LIMIT: u32 = 128;
#[cfg(loom)]
pub(crate) const SPIN_LIMIT: u32 = 0;

/// How many times an MPMC `try_push` that finds its slot still holding the
/// previous lap's item (or a `try_pop` that finds its slot not yet written)
/// re-reads the slot's stamp, a spin hint apart, before it reads the other side's
/// position (`head` / `tail`) to tell "full" ("empty") from "in progress". Polling
/// the other side's position takes that line away from it, and its next
/// compare-exchange misses; two re-reads of the slot let the other side finish
/// first ("Variants measured" in docs/design.md: about 4x in 1P1C with a full
/// queue, 2x with an empty one). Zero under loom, as for `SPIN_LIMIT`: it only
/// changes how soon a retry happens.
#[cfg(not(loom))]
pub(crate) const SLOT_RECHECKS: u32 = 2;
#[cfg(loom)]
pub(crate) const SLOT_RECHECKS: u32 = 0;

/// After spinning, how many times a blocking operation gives its time slice away
/// (re-checking its condition each time) before it parks. A few yields let the
/// thread it waits for run when threads outnumber cores, which saves a park (a
/// membarrier and a futex call) per wait in oversubscribed pipelines; the bound
/// keeps it from becoming a `sched_yield` storm. Zero under loom, as above.
#[cfg(all(not(loom), feature = "std"))]
pub(crate) const YIELD_LIMIT: u32 = 4;
#[cfg(loom)]
pub(crate) const YIELD_LIMIT: u32 = 0;

/// A hint that this thread is busy-waiting on another thread.
#[inline(always)]
pub(crate) fn spin_hint() {
    #[cfg(not(loom))]
    core::hint::spin_loop();
    #[cfg(loom)]
    loom::thread::yield_now();
}

/// Gives the rest of this thread's time slice away, for a spin loop that has
/// spun long enough (a seqlock writer that was preempted mid-write, say). Without
/// `std` there is no scheduler to ask, and it is a spin hint.
#[inline]
pub(crate) fn yield_now() {
    #[cfg(all(not(loom), feature = "std"))]
    std::thread::yield_now();
    #[cfg(all(not(loom), not(feature = "std")))]
    core::hint::spin_loop();
    #[cfg(loom)]
    loom::thread::yield_now();
}

/// The cheap half of an asymmetric store-load barrier; see [`heavy_barrier`].
///
/// A notifier runs `store(condition); light_barrier(); load(waiter bit)`, a waiter
/// runs `store(waiter bit); heavy_barrier(); load(condition)`. Together they forbid
/// the store-buffering outcome where both loads miss the other side's store, which
/// is exactly a lost wake-up. On Linux the heavy side is `membarrier(2)`, which
/// makes every running thread of the process pass a full barrier; the light side is
/// then only a compiler fence, so the notifier's hot path costs no fence at all.
/// Where `membarrier` is missing, and under loom and miri, both halves are
/// `fence(SeqCst)`.
#[cfg(feature = "std")]
#[inline(always)]
pub(crate) fn light_barrier() {
    #[cfg(all(target_os = "linux", not(loom), not(miri)))]
    {
        if membarrier::available() {
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

/// Readies the asymmetric barrier: on Linux, registers the process for
/// `membarrier` (once; later calls are one relaxed load), so that a
/// [`light_barrier`] is a compiler fence from the first notify on instead of a
/// full fence until somebody first parks. Called when a wait cell is built, so the
/// system call happens at construction, never on a push or pop.
#[cfg(feature = "std")]
#[inline]
pub(crate) fn prepare_barriers() {
    #[cfg(all(target_os = "linux", not(loom), not(miri)))]
    membarrier::register();
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
#[cfg(feature = "std")]
#[inline]
pub(crate) fn heavy_barrier() {
    #[cfg(all(target_os = "linux", not(loom), not(miri)))]
    {
        if membarrier::heavy() {
            return;
        }
    }
    // ORDERING: [wait.heavy] pairs with the fence(SeqCst) in light_barrier.
    fence(Ordering::SeqCst);
}

#[cfg(all(target_os = "linux", not(loom), not(miri), feature = "std"))]
mod membarrier {
    use core::sync::atomic::{AtomicU8, Ordering};

    const UNKNOWN: u8 = 0;
    const YES: u8 = 1;
    const NO: u8 = 2;
    static STATE: AtomicU8 = AtomicU8::new(UNKNOWN);

    const CMD_PRIVATE_EXPEDITED: libc::c_int = 1 << 3;
    const CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_int = 1 << 4;

    /// True once registration succeeded. A light barrier that reads `false` (not yet
    /// registered, or unsupported) uses a real fence, which is always correct.
    #[inline(always)]
    pub(super) fn available() -> bool {
        // ORDERING: Relaxed. STATE guards no data; the only fact read is whether a
        // heavy barrier will be a membarrier, and YES is stored only after the
        // kernel has registered the process, so any heavy barrier that follows a
        // light barrier which read YES is a real membarrier.
        STATE.load(Ordering::Relaxed) == YES
    }

    fn syscall(cmd: libc::c_int) -> bool {
        // SAFETY: membarrier takes two integer arguments and touches no memory of
        // ours; an unknown command fails with EINVAL, which we treat as "no".
        unsafe { libc::syscall(libc::SYS_membarrier, cmd, 0 as libc::c_int) == 0 }
    }

    /// Registers the process once; true if membarrier can be used.
    pub(super) fn register() -> bool {
        // ORDERING: Relaxed, as in `available`.
        match STATE.load(Ordering::Relaxed) {
            YES => true,
            NO => false,
            _ => register_slow(),
        }
    }

    #[cold]
    fn register_slow() -> bool {
        let ok = syscall(CMD_REGISTER_PRIVATE_EXPEDITED);
        // ORDERING: Relaxed, as in `available`: registration is a system call that
        // completes before this store. The state is decided once, by the first
        // thread to finish registering: a YES is never taken back, because
        // notifiers that read it run only a compiler fence from then on. (Two
        // threads may both register; registration is idempotent.)
        match STATE.compare_exchange(
            UNKNOWN,
            if ok { YES } else { NO },
            Ordering::Relaxed,
            Ordering::Relaxed,
        ) {
            Ok(_) => ok,
            Err(decided) => decided == YES,
        }
    }

    /// Runs the heavy barrier; false when membarrier is not in use (the caller then
    /// falls back to a fence, as every light barrier does). Aborts the process if
    /// the process is registered but the barrier fails: see `heavy_barrier`.
    #[cold]
    pub(super) fn heavy() -> bool {
        if !register() {
            return false;
        }
        if !syscall(CMD_PRIVATE_EXPEDITED) {
            fail();
        }
        true
    }

    /// Says why on stderr, then aborts. Light barriers elsewhere in the process may
    /// be compiler fences that only this system call made enough, so going on
    /// could lose a wake-up without a trace.
    #[cold]
    #[inline(never)]
    fn fail() -> ! {
        // Read errno first: nothing below may overwrite it before it is formatted.
        let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        let mut msg = [0u8; 256];
        let mut w = Cursor(&mut msg, 0);
        let _ = core::fmt::Write::write_fmt(
            &mut w,
            format_args!(
                "ringkit: membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) failed with errno \
                 {errno} after the process had registered for it; a wake-up could be \
                 lost, so the process will abort\n"
            ),
        );
        let len = w.1;
        // SAFETY: writes `len <= msg.len()` initialized bytes of `msg` to fd 2;
        // write(2) takes no lock, so this works whatever other threads hold.
        unsafe { libc::write(2, msg.as_ptr().cast(), len) };
        std::process::abort();
    }

    /// Formats into a fixed buffer (truncating), so the abort path allocates nothing.
    struct Cursor<'a>(&'a mut [u8], usize);

    impl core::fmt::Write for Cursor<'_> {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            let room = self.0.len() - self.1;
            let n = s.len().min(room);
            self.0[self.1..self.1 + n].copy_from_slice(&s.as_bytes()[..n]);
            self.1 += n;
            Ok(())
        }
    }
}

/// Announces slot accesses to loom's race detector; free in normal builds.
#[cfg(not(loom))]
pub(crate) struct Tracker;

#[cfg(not(loom))]
impl Tracker {
    #[inline(always)]
    pub(crate) fn new(_slots: usize) -> Self {
        Tracker
    }
    /// Slot `i` is about to be read (or moved out of).
    #[inline(always)]
    pub(crate) fn read(&self, _i: usize) {}
    /// Slot `i` is about to be written.
    #[inline(always)]
    pub(crate) fn write(&self, _i: usize) {}
    /// The `n` slots from index `start` on (wrapping at `cap`) are about to be read.
    #[inline(always)]
    pub(crate) fn read_range(&self, _start: usize, _n: usize, _cap: usize) {}
    /// The `n` slots from index `start` on (wrapping at `cap`) are about to be written.
    #[inline(always)]
    pub(crate) fn write_range(&self, _start: usize, _n: usize, _cap: usize) {}
}

/// Announces slot accesses to loom's race detector.
#[cfg(loom)]
pub(crate) struct Tracker(alloc::boxed::Box<[loom::cell::UnsafeCell<()>]>);

#[cfg(loom)]
impl Tracker {
    pub(crate) fn new(slots: usize) -> Self {
        Tracker(
            (0..slots)
                .map(|_| loom::cell::UnsafeCell::new(()))
                .collect(),
        )
    }
    pub(crate) fn read(&self, i: usize) {
        self.0[i].with(|_| ());
    }
    pub(crate) fn write(&self, i: usize) {
        self.0[i].with_mut(|_| ());
    }
    pub(crate) fn read_range(&self, start: usize, n: usize, cap: usize) {
        (0..n).for_each(|k| self.read((start + k) % cap));
    }
    pub(crate) fn write_range(&self, start: usize, n: usize, cap: usize) {
        (0..n).for_each(|k| self.write((start + k) % cap));
    }
}
