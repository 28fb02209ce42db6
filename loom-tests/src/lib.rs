//! loom models of ringkit live in `tests/`, one file per primitive. They are built
//! only with `RUSTFLAGS="--cfg loom"`; see `scripts/check loom`.
//!
//! This library holds what the models share; without `--cfg loom` it is empty.

/// Runs a loom model with at most `bound` preemptions, whatever
/// `LOOM_MAX_PREEMPTIONS` says: for models with blocking waits or many threads,
/// whose unbounded state space is too large to explore. With
/// `RINGKIT_LOOM_UNBOUNDED=1` it runs without a bound, to measure that (see
/// docs/verification.md, "Bounded loom models").
#[cfg(loom)]
pub fn bounded(bound: usize, f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    b.preemption_bound = preemption_bound(Some(bound));
    b.check(f);
}

/// Runs a loom model with at most `bound` preemptions, unless
/// `LOOM_MAX_PREEMPTIONS` sets another bound (or `RINGKIT_LOOM_UNBOUNDED=1`
/// lifts it, as for [`bounded`]).
#[cfg(loom)]
pub fn bounded_unless_env(bound: usize, f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    if b.preemption_bound.is_none() {
        b.preemption_bound = preemption_bound(Some(bound));
    }
    b.check(f);
}

/// `bound`, or no bound when `RINGKIT_LOOM_UNBOUNDED=1`.
#[cfg(loom)]
pub fn preemption_bound(bound: Option<usize>) -> Option<usize> {
    match std::env::var("RINGKIT_LOOM_UNBOUNDED") {
        Ok(v) if v == "1" => None,
        _ => bound,
    }
}

/// An item that counts its drops in a shared counter, so that a model can say
/// when an item was dropped, and that it was dropped once.
#[cfg(loom)]
pub struct Counted(pub loom::sync::Arc<loom::sync::atomic::AtomicUsize>);

#[cfg(loom)]
impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, loom::sync::atomic::Ordering::Relaxed);
    }
}
