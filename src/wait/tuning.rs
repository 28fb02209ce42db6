//! How long a waiting thread spins and yields before it parks. Each bound only
//! changes how soon a re-check happens, never what it decides, so the loom build
//! sets them to zero: every spin there is a yield that grows the state space.

use crate::sync::{spin_hint, yield_now, MODEL_CHECKED};

/// How many times [`backoff`] spins (a CPU spin hint per step) before it
/// yields: a seqlock reader or broadcast subscriber that finds a write in
/// progress, a writer that meets another one. Under loom every spin is a yield
/// that grows the state space, so the models yield at once.
pub(crate) const SPIN_LIMIT: u32 = if MODEL_CHECKED { 0 } else { 128 };

/// How long a blocking wait (on a wait cell, in a select, in a dispatcher's
/// `run`) re-checks its condition, a CPU spin hint apart, before it goes on to
/// yield or park. About the time a parked thread needs to be woken and get
/// going: a peer that is running ends most waits within it, and then neither
/// side makes a system call. With a much shorter spin, two threads that hand a
/// ring back and forth take turns at sleeping, and each ring-full then costs a
/// futex wake-up's latency (measured in docs/design.md, "Waiting"). A waiter
/// that parks anyway has spent this much CPU first. Zero under loom, as for
/// `SPIN_LIMIT`.
#[cfg(feature = "std")]
pub(crate) const SPIN_TIME: core::time::Duration =
    core::time::Duration::from_micros(if MODEL_CHECKED { 0 } else { 20 });

/// How many re-checks a spinning wait makes between two reads of the clock.
#[cfg(feature = "std")]
const SPINS_PER_CLOCK_READ: u32 = 64;

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

/// The spin phase of a blocking wait: re-checks `ready`, a spin hint apart,
/// for [`SPIN_TIME`] or until `deadline` if that comes first, reading the clock
/// every [`SPINS_PER_CLOCK_READ`] re-checks. True as soon as `ready` is.
#[cfg(feature = "std")]
pub(crate) fn spin_until_ready(
    deadline: Option<std::time::Instant>,
    mut ready: impl FnMut() -> bool,
) -> bool {
    if SPIN_TIME.is_zero() {
        return false;
    }
    if ready() {
        return true;
    }
    let mut end = std::time::Instant::now() + SPIN_TIME;
    if let Some(d) = deadline {
        end = end.min(d);
    }
    loop {
        for _ in 0..SPINS_PER_CLOCK_READ {
            spin_hint();
            if ready() {
                return true;
            }
        }
        if std::time::Instant::now() >= end {
            return false;
        }
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn a_ready_condition_ends_the_spin_at_the_first_check() {
        let mut checks = 0;
        assert!(spin_until_ready(None, || {
            checks += 1;
            true
        }));
        assert_eq!(checks, 1);
    }

    /// True at the 50th check: within the first round of re-checks, before
    /// any clock read, so no preemption (and no virtual clock, under miri) can
    /// end the spin first.
    #[test]
    fn a_condition_that_comes_true_while_spinning_ends_it() {
        let mut checks = 0;
        assert!(spin_until_ready(None, || {
            checks += 1;
            checks == 50
        }));
        assert_eq!(checks, 50);
    }

    /// A deadline that has passed ends the spin at the first clock read, after
    /// one round of re-checks, not after `SPIN_TIME`.
    #[test]
    fn a_passed_deadline_ends_the_spin_at_the_first_clock_read() {
        let mut checks = 0;
        assert!(!spin_until_ready(Some(Instant::now()), || {
            checks += 1;
            false
        }));
        assert_eq!(checks, 1 + SPINS_PER_CLOCK_READ);
    }
}
