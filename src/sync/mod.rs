//! The one module that chooses between `std` and `loom`.
//!
//! Every other module imports its atomics, fences, `Arc`, locks, spin hints, the
//! futex word, the store-load barrier pair and the slot-access tracker from here.
//! Under `--cfg loom` they are loom's instrumented types, so the models in
//! `loom-tests/` check the real code and not a look-alike. Nothing outside this
//! module (this file and its children) says `cfg(loom)`; code elsewhere that must
//! behave differently under the model checker reads [`MODEL_CHECKED`].
//!
//! Without the `std` feature there are no locks, no futex and no barriers here:
//! nothing can park, so nothing needs waking (see `wait/spin.rs`). loom needs std.
//!
//! Three pieces are ringkit's own and need a word:
//!
//! * [`Futex`]: a 32-bit word a thread can sleep on. On Linux it is the kernel's
//!   futex (`futex.rs`); elsewhere, and under loom, it is a `Mutex` + `Condvar`
//!   model with the same contract (`fallback.rs`). Under loom that model makes a
//!   lost wake-up show up as a deadlock, which loom reports.
//! * [`Tracker`]: ring slots live in one contiguous buffer so that chunks can hand
//!   out slices. loom cannot see accesses through raw pointers, so every slot access
//!   is also announced to a tracker. Under loom each slot has a `loom::cell::UnsafeCell<()>`
//!   and an announced access that is not ordered after the previous conflicting one
//!   fails the model. In normal builds the tracker is a zero-sized no-op
//!   (`tracker.rs`).
//! * [`light_barrier_load`] / [`heavy_barrier`]: an asymmetric store-load
//!   barrier, the heart of every wake-up (`barrier.rs`; on Linux the heavy half
//!   is `membarrier(2)`, `membarrier.rs`). loom checks it in two models: both
//!   halves as `fence(SeqCst)` (the code where `membarrier` is missing), and,
//!   with `--cfg ringkit_loom_membarrier`, `membarrier`'s effect as a release
//!   read-modify-write of the wait word (see `light_barrier_load`).

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

/// An atomic that holds only a hint: a value every state of which is correct
/// to act on, read and written with `Relaxed` (an MPMC channel handle's guess of
/// the position, say). It is the plain atomic also under loom: a model gains
/// nothing from exploring the orders of a hint's loads and stores (each handle
/// in the models is used by one thread), and every such load or store would
/// multiply the interleavings it explores.
#[cfg(target_has_atomic = "64")]
pub(crate) type HintU64 = core::sync::atomic::AtomicU64;

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

/// True when the crate is built for the loom model checker. Code outside this
/// module that must act differently under the model (a spin count that would
/// only grow the state space, say) reads this constant instead of `cfg(loom)`.
pub(crate) const MODEL_CHECKED: bool = cfg!(loom);

#[cfg(feature = "std")]
mod barrier;
#[cfg(all(target_os = "linux", not(loom), not(miri), feature = "std"))]
mod membarrier;
#[cfg(feature = "std")]
pub(crate) use barrier::{heavy_barrier, light_barrier_load, prepare_barriers};

#[cfg(all(target_os = "linux", not(loom), not(miri), feature = "std"))]
mod futex;
#[cfg(all(target_os = "linux", not(loom), not(miri), feature = "std"))]
pub(crate) use futex::Futex;
#[cfg(all(any(not(target_os = "linux"), loom, miri), feature = "std"))]
mod fallback;
#[cfg(all(any(not(target_os = "linux"), loom, miri), feature = "std"))]
pub(crate) use fallback::Futex;

mod tracker;
pub(crate) use tracker::Tracker;

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

/// Reads an atomic through `&mut self`: with exclusive access every other access
/// happened before, so no ordering is involved. `get_mut` for core's atomics,
/// `with_mut` for loom's (which checks that the access really is exclusive).
pub(crate) trait LoadMut {
    /// The atomic's value type.
    type Value;
    /// The value, read without an atomic operation.
    fn load_mut(&mut self) -> Self::Value;
}

macro_rules! load_mut {
    ($($atomic:ty => $value:ty),*) => {$(
        impl LoadMut for $atomic {
            type Value = $value;
            #[inline(always)]
            fn load_mut(&mut self) -> $value {
                #[cfg(not(loom))]
                return *self.get_mut();
                #[cfg(loom)]
                return self.with_mut(|v| *v);
            }
        }
    )*};
}
load_mut!(AtomicUsize => usize);
#[cfg(target_has_atomic = "64")]
load_mut!(AtomicU64 => u64);
