//! Time in the dispatcher: how long a failed message waits before its next
//! attempt ([`Backoff`]), and the clock a poll reads (only when a retry is
//! waiting or being scheduled, or a dedup window has a time span).

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::prelude::rust_2021::*;
use std::time::{Duration, Instant};

/// The wait between a failed attempt and the next one: fixed, or doubling from
/// a first delay up to a cap, optionally with jitter. Set per source with
/// [`Retry::backoff`](super::Retry::backoff); without one, a failed message is
/// delivered again at the next poll.
///
/// While a message waits, its source delivers nothing (the messages behind it
/// wait too: order is kept), the dispatcher serves its other sources, and
/// [`run`](super::Dispatcher::run) parks until the earliest retry is due when
/// nothing else is ready.
///
/// ```
/// use ringkit::dispatch::Backoff;
/// use std::time::Duration;
///
/// let ms = Duration::from_millis;
/// let b = Backoff::exponential(ms(10), ms(50));
/// let waits: Vec<_> = (1..=5).map(|failures| b.delay(failures)).collect();
/// assert_eq!(waits, [ms(10), ms(20), ms(40), ms(50), ms(50)]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    first: Duration,
    max: Duration,
    doubling: bool,
    jitter: bool,
}

impl Backoff {
    /// The same wait after every failure.
    ///
    /// ```
    /// use ringkit::dispatch::Backoff;
    /// use std::time::Duration;
    ///
    /// let b = Backoff::fixed(Duration::from_millis(100));
    /// assert_eq!(b.delay(1), b.delay(7));
    /// ```
    #[must_use]
    pub fn fixed(delay: Duration) -> Self {
        Backoff {
            first: delay,
            max: delay,
            doubling: false,
            jitter: false,
        }
    }

    /// `first` after the first failure, then twice the previous wait after each
    /// further one, never more than `max`.
    ///
    /// ```
    /// use ringkit::dispatch::Backoff;
    /// use std::time::Duration;
    ///
    /// let b = Backoff::exponential(Duration::from_millis(1), Duration::from_secs(1));
    /// assert_eq!(b.delay(4), Duration::from_millis(8));
    /// assert_eq!(b.delay(40), Duration::from_secs(1));
    /// ```
    #[must_use]
    pub fn exponential(first: Duration, max: Duration) -> Self {
        Backoff {
            first: first.min(max),
            max,
            doubling: true,
            jitter: false,
        }
    }

    /// Draws each wait uniformly from between half of [`delay`](Self::delay)
    /// and all of it, so that sources (or dispatchers) that failed together do
    /// not all retry at the same instant.
    ///
    /// ```
    /// use ringkit::dispatch::Backoff;
    /// use std::time::Duration;
    ///
    /// let b = Backoff::fixed(Duration::from_millis(10)).with_jitter();
    /// assert!(b.has_jitter());
    /// assert_eq!(b.delay(1), Duration::from_millis(10)); // the upper bound
    /// ```
    #[must_use]
    pub fn with_jitter(mut self) -> Self {
        self.jitter = true;
        self
    }

    /// True for a backoff made [`with_jitter`](Self::with_jitter).
    ///
    /// ```
    /// use ringkit::dispatch::Backoff;
    /// assert!(!Backoff::fixed(std::time::Duration::ZERO).has_jitter());
    /// ```
    #[must_use]
    pub fn has_jitter(&self) -> bool {
        self.jitter
    }

    /// The wait after a message's `failures`-th failed attempt (1 for the
    /// first), before jitter: with jitter, the most it can be.
    ///
    /// ```
    /// use ringkit::dispatch::Backoff;
    /// use std::time::Duration;
    ///
    /// let b = Backoff::exponential(Duration::from_secs(1), Duration::from_secs(60));
    /// assert_eq!(b.delay(1), Duration::from_secs(1));
    /// assert_eq!(b.delay(3), Duration::from_secs(4));
    /// ```
    #[must_use]
    pub fn delay(&self, failures: u32) -> Duration {
        if !self.doubling {
            return self.first;
        }
        // `first * 2^(failures - 1)` in nanoseconds, saturating; past 2^100 ns
        // (about 4e13 years) every cap is reached anyway.
        let doublings = failures.saturating_sub(1).min(100);
        let nanos = self.first.as_nanos().saturating_mul(1u128 << doublings);
        if nanos >= self.max.as_nanos() {
            return self.max;
        }
        // Below `max`, so it fits a `Duration`.
        Duration::new(
            (nanos / 1_000_000_000) as u64,
            (nanos % 1_000_000_000) as u32,
        )
    }

    /// The wait after the `failures`-th failure, jittered if asked for.
    pub(super) fn wait(&self, failures: u32, jitter: &mut Jitter) -> Duration {
        let d = self.delay(failures);
        if !self.jitter {
            return d;
        }
        let half = d / 2;
        let span = u64::try_from((d - half).as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(jitter.next() % span.saturating_add(1))
    }
}

/// A small xorshift generator for jitter, one per source; seeded differently
/// per source (from std's per-instance random hasher keys) so that sources do
/// not jitter in step.
#[derive(Debug)]
pub(super) struct Jitter(u64);

impl Jitter {
    pub(super) fn new() -> Self {
        Jitter(RandomState::new().hash_one(0x5eed_u64) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// The clock of one poll: read on first use and then reused, so that a poll
/// with no retry waiting or failing makes no clock read; read afresh for the
/// time of a failure.
pub(super) struct Now<'a> {
    clock: &'a (dyn Fn() -> Instant + Send),
    read: Cell<Option<Instant>>,
}

impl<'a> Now<'a> {
    pub(super) fn new(clock: &'a (dyn Fn() -> Instant + Send)) -> Self {
        Now {
            clock,
            read: Cell::new(None),
        }
    }

    pub(super) fn get(&self) -> Instant {
        match self.read.get() {
            Some(t) => t,
            None => self.fresh(),
        }
    }

    /// Reads the clock again: for the time of something that happened after
    /// the first read (a failure that a slow handler reported late).
    pub(super) fn fresh(&self) -> Instant {
        let t = (self.clock)();
        self.read.set(Some(t));
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jittered_waits_stay_between_half_and_all_of_the_delay() {
        let ms = Duration::from_millis;
        let b = Backoff::exponential(ms(3), ms(20)).with_jitter();
        let mut j = Jitter::new();
        let mut below_full = false;
        for failures in 1..=6 {
            let d = b.delay(failures);
            for _ in 0..200 {
                let w = b.wait(failures, &mut j);
                assert!(w >= d / 2 && w <= d, "{w:?} outside [{:?}, {d:?}]", d / 2);
                below_full |= w < d;
            }
        }
        assert!(below_full, "jitter never shortened a wait");
    }

    #[test]
    fn doubling_goes_on_until_the_cap() {
        let b = Backoff::exponential(Duration::from_nanos(1), Duration::from_secs(10));
        assert_eq!(b.delay(33), Duration::from_nanos(1 << 32));
        assert_eq!(b.delay(34), Duration::from_nanos(1 << 33));
        assert_eq!(b.delay(35), Duration::from_secs(10));
        let b = Backoff::exponential(Duration::from_micros(1), Duration::from_secs(7200));
        assert_eq!(b.delay(200), Duration::from_secs(7200));
    }

    #[test]
    fn huge_delays_saturate_at_the_cap() {
        let b = Backoff::exponential(Duration::from_secs(u64::MAX / 2), Duration::MAX);
        assert_eq!(b.delay(3), Duration::MAX);
        assert_eq!(b.delay(u32::MAX), Duration::MAX);
        let mut j = Jitter::new();
        let w = b.with_jitter().wait(5, &mut j);
        assert!(w >= Duration::MAX / 2);
    }
}
