//! How long a waiting thread spins and yields before it parks. Each bound only
//! changes how soon a re-check happens, never what it decides, so the loom build
//! sets them to zero: every spin there is a yield that grows the state space.

use crate::sync::{spin_hint, yield_now, MODEL_CHECKED};

/// How many times a blocking operation re-checks its condition (with a CPU spin
/// hint in between) before it parks. Under loom every spin is a yield that grows
/// the state space, so the models go straight to the park path.
pub(crate) const SPIN_LIMIT: u32 = if MODEL_CHECKED { 0 } else { 128 };

/// How many times an MPMC `try_push` that finds its slot still holding the
/// previous lap's item (or a `try_pop` that finds its slot not yet written)
/// re-reads the slot's stamp, a spin hint apart, before it reads the other side's
/// position (`head` / `tail`) to tell "full" ("empty") from "in progress". Polling
/// the other side's position takes that line away from it, and its next
/// compare-exchange misses; two re-reads of the slot let the other side finish
/// first (measured in docs/design.md, "Variants measured"). Zero under loom, as
/// for `SPIN_LIMIT`: it only changes how soon a retry happens.
pub(crate) const SLOT_RECHECKS: u32 = if MODEL_CHECKED { 0 } else { 2 };

/// After spinning, how many times a blocking operation gives its time slice away
/// (re-checking its condition each time) before it parks. A few yields let the
/// thread it waits for run when threads outnumber cores, which saves a park (a
/// membarrier and a futex call) per wait in oversubscribed pipelines; the bound
/// keeps it from becoming a `sched_yield` storm. Zero under loom, as above.
#[cfg(feature = "std")]
pub(crate) const YIELD_LIMIT: u32 = if MODEL_CHECKED { 0 } else { 4 };

/// How many times an async wait wakes its own task and returns `Pending`
/// (so the runtime runs the other ready tasks first) before it registers its
/// waker and arms the cell: a task's spin. Each try costs a trip through the
/// runtime's run queue; arming costs the heavy barrier's system call, and the
/// notifier then pays a wake-up. Zero under loom, as above: a self-wake is a
/// spurious wake-up, which the models' executors already allow.
#[cfg(feature = "async")]
pub(crate) const TASK_YIELD_LIMIT: u8 = if MODEL_CHECKED { 0 } else { 1 };

/// One step of a spin loop: spin hints first, then yields, so that a writer that
/// was preempted in the middle of a write gets the CPU back.
#[inline]
pub(crate) fn backoff(step: &mut u32) {
    if *step < SPIN_LIMIT {
        *step += 1;
        spin_hint();
    } else {
        yield_now();
    }
}
