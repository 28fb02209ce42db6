//! Waiting for whichever of several sources is ready first.
//!
//! A [`Selector`] takes a slice of sources, any mix of SPSC
//! [`Consumer`](crate::spsc::Consumer)s, MPMC [`Receiver`](crate::mpmc::Receiver)s,
//! broadcast [`Subscriber`]s, event flags (through
//! [`EventFlag::newer_than`](crate::event::EventFlag::newer_than)),
//! [`Event`]s and [`JobExecutor`]s,
//! and returns the index of one that is ready. The caller then receives from it
//! with the source's own non-blocking operation (`try_pop`, `try_recv`,
//! `try_wait`, `read`, `run_pending`): the select borrows the sources only for
//! the call.
//!
//! ```
//! use ringkit::event::Event;
//! use ringkit::select::Selector;
//! use ringkit::PopError;
//!
//! let (mut commands, mut command_rx) = ringkit::spsc::channel::<&str>(8);
//! let (data, data_rx) = ringkit::mpmc::channel::<u64>(8);
//! let shutdown = Event::manual_reset();
//! let mut selector = Selector::new();
//! let (mut log, mut sum) = (Vec::new(), 0);
//! std::thread::scope(|s| {
//!     s.spawn(|| {
//!         commands.push("start").unwrap();
//!         for i in 1..=3 {
//!             data.push(i).unwrap();
//!         }
//!         shutdown.set();
//!     });
//!     loop {
//!         match selector.select(&[&command_rx, &data_rx, &shutdown]) {
//!             0 => match command_rx.try_pop() {
//!                 Ok(command) => log.push(command),
//!                 Err(PopError::Disconnected) => {} // not here: the producer lives
//!                 Err(PopError::Empty) => unreachable!("a ready source is not empty"),
//!             },
//!             1 => sum += data_rx.try_pop().unwrap(),
//!             _ => break, // shutdown
//!         }
//!     }
//! });
//! // The shutdown may have been seen before the last items: take what is left.
//! sum += data_rx.try_iter().sum::<u64>();
//! log.extend(command_rx.try_iter());
//! assert_eq!((log, sum), (vec!["start"], 6));
//! ```
//!
//! # What "ready" means
//!
//! A source is ready when its next non-blocking receive would not come back
//! empty: it has an item, an event, a lag to report, a newer generation, a set
//! event, or it is disconnected (the receive then reports the disconnection, so
//! a loop can stop selecting on it). A select never returns the index of a
//! source that is not ready: the last check before it returns one is made with
//! the source's own loads, on the condition its receive decides on.
//!
//! A source shared with other receivers (an MPMC receiver's clones, an
//! auto-reset event's other waiters) may be emptied between the select and the
//! receive by one of them, as with any "ready" report (crossbeam-channel's
//! `Select::ready` says the same); the receive then returns `Empty` (or `false`)
//! and the caller selects again. A source only this thread receives from stays
//! ready until this thread receives.
//!
//! # Fairness
//!
//! Every call starts its scan at the next index in turn (a counter in the
//! selector, moved on by each call), so a source that is always ready cannot
//! starve the others: over `n` calls on `n` always-ready sources, each is
//! returned once.
//!
//! # Blocking
//!
//! [`select`](Selector::select) and its timed forms check every source, spin
//! briefly, and then park: the selector's *doorbell* (a wait cell of its own) is
//! attached to the wait cell of every source, every source cell and the doorbell
//! are armed, the sources are checked again, and the thread sleeps on the
//! doorbell until a push, publish, set or disconnection on any source rings it.
//! This is the dispatcher's parking protocol (`docs/design.md`, "Parking on
//! several sources" and "Select", shows why no wake-up is lost). Producers pay
//! nothing for it while nobody is parked: their wake-up check stays one plain
//! load. The doorbell is detached from every source before the call returns,
//! also if it unwinds.
//!
//! After the first call with the largest number of sources, selecting
//! allocates nothing (the selector keeps its scratch space, and each source's
//! list of doorbells keeps its capacity).
//!
//! # Async
//!
//! In async code, use the ecosystem's `select!` (tokio's, or futures-util's
//! `select_biased!` and `future::select`) over the `*_async` futures
//! (`pop_async`, `recv_async`, `wait_newer_async`, `wait_async`). They are
//! cancellation safe: a future that loses the race has taken nothing, so
//! dropping it loses nothing. Here is the core of such a macro, by hand:
//!
//! ```
//! use std::future::{poll_fn, Future};
//! use std::pin::pin;
//! use std::task::Poll;
//!
//! let (mut tx, mut rx) = ringkit::spsc::channel::<u32>(4);
//! let (mut publisher, mut sub) = ringkit::broadcast::channel::<u32>(4);
//! publisher.publish(9);
//! pollster::block_on(async {
//!     let got = {
//!         let mut pop = pin!(rx.pop_async());
//!         let mut recv = pin!(sub.recv_async());
//!         poll_fn(|cx| {
//!             if let Poll::Ready(item) = pop.as_mut().poll(cx) {
//!                 return Poll::Ready(("spsc", item.unwrap()));
//!             }
//!             if let Poll::Ready(event) = recv.as_mut().poll(cx) {
//!                 return Poll::Ready(("broadcast", event.unwrap().1));
//!             }
//!             Poll::Pending
//!         })
//!         .await
//!     }; // the losing future is dropped here, having taken nothing
//!     assert_eq!(got, ("broadcast", 9));
//!     tx.try_push(1).unwrap();
//!     assert_eq!(rx.pop_async().await, Ok(1)); // nothing was lost
//! });
//! ```

use crate::broadcast::Subscriber;
use crate::dispatch::JobExecutor;
use crate::event::{Event, EventFlag};
use crate::plain::Plain;
use crate::sync::Arc;
use crate::wait::{spin_until_ready, WaitCell, Waitable};
use crate::{mpmc, spsc};
use std::prelude::rust_2021::*;
use std::time::{Duration, Instant};

mod sealed {
    use crate::wait::WaitCell;

    /// A source's wait cell, in a type that the sealed trait may name publicly
    /// (the cell type itself is crate-private).
    pub struct Cell<'a>(pub(crate) &'a WaitCell);

    impl core::fmt::Debug for Cell<'_> {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.debug_struct("Cell").finish_non_exhaustive()
        }
    }

    /// What a selector needs of a source; crate-private, so that [`Source`]
    /// (its public face) cannot be implemented outside the crate.
    ///
    /// [`Source`]: super::Source
    pub trait Readiness {
        /// The cell the source's receivers park on.
        fn cell(&self) -> Cell<'_>;
        /// A cheap hint (relaxed loads) for whether to park at all.
        fn looks_ready(&self) -> bool;
        /// The answer: the source's next non-blocking receive would not come
        /// back empty (see `Waitable::is_ready`).
        fn is_ready(&self) -> bool;
    }
}

/// Something a [`Selector`] can wait on; implemented by every receiving handle
/// of the crate (see the [module docs](self)) and by [`Newer`]. Sealed: it
/// cannot be implemented outside the crate.
///
/// ```
/// use ringkit::select::{Selector, Source};
///
/// let (tx, rx) = ringkit::mpmc::channel::<u8>(2);
/// let (mut publisher, sub) = ringkit::broadcast::channel::<u8>(2);
/// let sources: [&dyn Source; 2] = [&rx, &sub];
/// publisher.publish(1);
/// assert_eq!(Selector::new().try_select(&sources), Some(1));
/// drop(tx);
/// assert_eq!(Selector::new().try_select(&sources[..1]), Some(0)); // disconnected
/// ```
pub trait Source: sealed::Readiness {}

/// Implements the selector's view of a primitive through its [`Waitable`]
/// impl, with nothing seen.
macro_rules! waitable_source {
    ($(impl[$($g:tt)*] for $t:ty;)*) => {$(
        impl<$($g)*> sealed::Readiness for $t {
            fn cell(&self) -> sealed::Cell<'_> {
                sealed::Cell(self.ready_cell())
            }
            fn looks_ready(&self) -> bool {
                Waitable::looks_ready(self, ())
            }
            fn is_ready(&self) -> bool {
                Waitable::is_ready(self, ())
            }
        }
        impl<$($g)*> Source for $t {}
    )*};
}

waitable_source! {
    impl[T] for spsc::Consumer<T>;
    impl[T] for mpmc::Receiver<T>;
    impl[T: Plain] for Subscriber<T>;
    impl[] for Event;
    impl[] for JobExecutor;
}

/// An [`EventFlag`] as a select source: ready once the flag's generation is
/// past the one given to [`EventFlag::newer_than`], which makes it.
///
/// ```
/// use ringkit::event::EventFlag;
/// use ringkit::select::Selector;
///
/// let flag = EventFlag::new(0u8);
/// let mut selector = Selector::new();
/// assert_eq!(selector.try_select(&[&flag.newer_than(0)]), None);
/// flag.publish(1);
/// assert_eq!(selector.try_select(&[&flag.newer_than(0)]), Some(0));
/// assert_eq!(selector.try_select(&[&flag.newer_than(1)]), None); // seen
/// ```
pub struct Newer<'a, T: Plain> {
    flag: &'a EventFlag<T>,
    seen: u64,
}

impl<'a, T: Plain> Newer<'a, T> {
    pub(crate) fn new(flag: &'a EventFlag<T>, seen: u64) -> Self {
        Newer { flag, seen }
    }
}

impl<T: Plain> sealed::Readiness for Newer<'_, T> {
    fn cell(&self) -> sealed::Cell<'_> {
        sealed::Cell(self.flag.ready_cell())
    }
    fn looks_ready(&self) -> bool {
        // The precise check, not the flag's `!=` hint: a `seen` past the
        // generation must not look ready forever (a select would spin).
        Waitable::is_ready(self.flag, self.seen)
    }
    fn is_ready(&self) -> bool {
        Waitable::is_ready(self.flag, self.seen)
    }
}

impl<T: Plain> Source for Newer<'_, T> {}

impl<T: Plain> core::fmt::Debug for Newer<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Newer")
            .field("seen", &self.seen)
            .field("generation", &self.flag.generation())
            .finish()
    }
}

/// Waits for whichever of several sources is ready; see the [module
/// docs](self). Reusable: keep one per thread that selects, so that selecting
/// allocates nothing after the first call.
///
/// ```
/// use ringkit::select::Selector;
///
/// let (mut tx_a, rx_a) = ringkit::spsc::channel::<u8>(4);
/// let (mut tx_b, mut rx_b) = ringkit::spsc::channel::<u8>(4);
/// let mut selector = Selector::new();
/// let producer = std::thread::spawn(move || {
///     tx_b.push(2).unwrap();
///     tx_a // kept in the join handle: `rx_a` stays connected and empty
/// });
/// assert_eq!(selector.select(&[&rx_a, &rx_b]), 1);
/// assert_eq!(rx_b.try_pop(), Ok(2));
/// drop(producer.join().unwrap());
/// ```
pub struct Selector {
    /// The cell this selector sleeps on, attached to every source's cell while a
    /// blocking select parks.
    bell: Arc<WaitCell>,
    /// Scratch space for `park_any`.
    keys: Vec<u32>,
    /// Where the next scan starts (modulo the number of sources).
    next: usize,
}

impl Selector {
    /// A selector. Allocates its doorbell.
    ///
    /// ```
    /// let mut selector = ringkit::select::Selector::new();
    /// assert_eq!(selector.try_select(&[]), None);
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Selector {
            bell: Arc::new(WaitCell::new()),
            keys: Vec::new(),
            next: 0,
        }
    }

    /// The index of a ready source, or `None` if none is ready now (or
    /// `sources` is empty). Never blocks, makes no system call.
    ///
    /// ```
    /// use ringkit::event::Event;
    /// use ringkit::select::Selector;
    ///
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<u8>(4);
    /// let stop = Event::manual_reset();
    /// let mut selector = Selector::new();
    /// assert_eq!(selector.try_select(&[&rx, &stop]), None);
    /// tx.try_push(5).unwrap();
    /// assert_eq!(selector.try_select(&[&rx, &stop]), Some(0));
    /// assert_eq!(rx.try_pop(), Ok(5));
    /// stop.set();
    /// assert_eq!(selector.try_select(&[&rx, &stop]), Some(1));
    /// ```
    pub fn try_select(&mut self, sources: &[&dyn Source]) -> Option<usize> {
        if sources.is_empty() {
            return None;
        }
        let start = self.next_start(sources.len());
        scan(sources, start)
    }

    /// The index of a ready source, waiting (spinning briefly, then sleeping)
    /// until one is.
    ///
    /// # Panics
    ///
    /// If `sources` is empty: nothing could ever end the wait.
    ///
    /// ```
    /// use ringkit::select::Selector;
    ///
    /// let (tx, rx) = ringkit::mpmc::channel::<u8>(4);
    /// let (mut publisher, mut sub) = ringkit::broadcast::channel::<u8>(4);
    /// let mut selector = Selector::new();
    /// let publishing = std::thread::spawn(move || publisher.publish(3));
    /// assert_eq!(selector.select(&[&rx, &sub]), 1);
    /// assert_eq!(sub.try_recv(), Ok((0, 3)));
    /// publishing.join().unwrap();
    /// drop(tx);
    /// assert_eq!(selector.select(&[&rx]), 0); // disconnected counts as ready
    /// ```
    #[track_caller]
    pub fn select(&mut self, sources: &[&dyn Source]) -> usize {
        non_empty(sources);
        self.wait(sources, None)
            .expect("a select without a deadline returns only a ready index")
    }

    /// Like [`select`](Self::select), giving up after `timeout` with `None`. A
    /// timeout too large to represent waits forever.
    ///
    /// # Panics
    ///
    /// If `sources` is empty.
    ///
    /// ```
    /// use ringkit::select::Selector;
    /// use std::time::Duration;
    ///
    /// let (_tx, rx) = ringkit::spsc::channel::<u8>(4);
    /// let mut selector = Selector::new();
    /// // Nothing is pushed: times out.
    /// assert_eq!(selector.select_timeout(&[&rx], Duration::from_millis(1)), None);
    /// ```
    #[track_caller]
    pub fn select_timeout(&mut self, sources: &[&dyn Source], timeout: Duration) -> Option<usize> {
        non_empty(sources);
        self.wait(sources, Instant::now().checked_add(timeout))
    }

    /// Like [`select`](Self::select), giving up at `deadline` with `None`. A
    /// source already ready is reported even if the deadline has passed.
    ///
    /// # Panics
    ///
    /// If `sources` is empty.
    ///
    /// ```
    /// use ringkit::select::Selector;
    /// use std::time::Instant;
    ///
    /// let (mut tx, rx) = ringkit::spsc::channel::<u8>(4);
    /// let mut selector = Selector::new();
    /// assert_eq!(selector.select_deadline(&[&rx], Instant::now()), None);
    /// tx.try_push(1).unwrap();
    /// assert_eq!(selector.select_deadline(&[&rx], Instant::now()), Some(0));
    /// ```
    #[track_caller]
    pub fn select_deadline(&mut self, sources: &[&dyn Source], deadline: Instant) -> Option<usize> {
        non_empty(sources);
        self.wait(sources, Some(deadline))
    }

    /// Where this call's scan starts; moves the counter on.
    fn next_start(&mut self, n: usize) -> usize {
        let start = self.next % n;
        self.next = self.next.wrapping_add(1);
        start
    }

    /// The blocking select: `None` only once `deadline` has passed.
    fn wait(&mut self, sources: &[&dyn Source], deadline: Option<Instant>) -> Option<usize> {
        let start = self.next_start(sources.len());
        if let Some(i) = scan(sources, start) {
            return Some(i);
        }
        let mut found = None;
        if spin_until_ready(deadline, || {
            found = sources
                .iter()
                .any(|s| s.looks_ready())
                .then(|| scan(sources, start))
                .flatten();
            found.is_some()
        }) {
            return found;
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            // Out of time before parking: one last check, no attaching.
            return scan(sources, start);
        }
        let Selector { bell, keys, .. } = self;
        // Detaches on every way out, unwinding included.
        let _attached = Attached::new(bell, sources);
        loop {
            if let Some(i) = scan(sources, start) {
                return Some(i);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return None;
            }
            bell.park_any(cells(sources), keys, deadline, || {
                sources.iter().any(|s| s.looks_ready())
            });
        }
    }
}

/// Panics (at the caller's line) on an empty slice: a blocking select over
/// nothing would never return.
#[track_caller]
fn non_empty(sources: &[&dyn Source]) {
    assert!(
        !sources.is_empty(),
        "ringkit::select: a blocking select needs at least one source"
    );
}

/// The first ready source from `start` on, wrapping around; precise checks.
fn scan(sources: &[&dyn Source], start: usize) -> Option<usize> {
    let n = sources.len();
    (start..n).chain(0..start).find(|&i| sources[i].is_ready())
}

/// The source cells `park_any` arms, each once. Two sources may share a cell
/// (two subscribers of one ring, two `Newer`s of one flag); arming it twice
/// would set its shared bit over our own parked bit, which `park_any` reads as
/// a change and returns without sleeping, once.
fn cells<'a>(sources: &'a [&'a dyn Source]) -> impl Iterator<Item = &'a WaitCell> + Clone {
    sources.iter().enumerate().filter_map(move |(i, s)| {
        let cell = s.cell().0;
        let first = !sources[..i]
            .iter()
            .any(|earlier| core::ptr::eq(earlier.cell().0, cell));
        first.then_some(cell)
    })
}

/// The doorbell attached to every source's cell, until dropped.
struct Attached<'a> {
    bell: &'a Arc<WaitCell>,
    sources: &'a [&'a dyn Source],
}

impl<'a> Attached<'a> {
    fn new(bell: &'a Arc<WaitCell>, sources: &'a [&'a dyn Source]) -> Self {
        // One attachment per source (a shared cell gets two, and two detaches):
        // a wake-up then rings the doorbell twice, which costs nothing more than
        // a load when it is not armed.
        for s in sources {
            s.cell().0.attach(bell);
        }
        Attached { bell, sources }
    }
}

impl Drop for Attached<'_> {
    fn drop(&mut self) {
        for s in self.sources {
            s.cell().0.detach(self.bell);
        }
    }
}

impl Default for Selector {
    fn default() -> Self {
        Self::new()
    }
}

impl core::fmt::Debug for Selector {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Selector")
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

static_assertions::assert_impl_all!(Selector: Send, Sync);

#[cfg(test)]
mod tests {
    use super::*;

    /// After a blocking select returns, whether it parked or not, the doorbell
    /// is attached nowhere: its only owner is the selector again.
    #[test]
    fn the_doorbell_is_detached_after_a_select() {
        let (mut tx, rx) = spsc::channel::<u8>(2);
        let flag = EventFlag::new(0u8);
        let mut selector = Selector::new();
        assert_eq!(
            selector.select_timeout(&[&rx, &flag.newer_than(0)], Duration::from_millis(1)),
            None
        );
        assert_eq!(Arc::strong_count(&selector.bell), 1);
        tx.try_push(1).unwrap();
        assert_eq!(selector.select(&[&flag.newer_than(0), &rx]), 1);
        assert_eq!(Arc::strong_count(&selector.bell), 1);
    }

    /// A source whose check panics once the doorbell is attached.
    struct Boom<'a> {
        flag: &'a EventFlag<u8>,
        checks: core::cell::Cell<u32>,
    }

    impl sealed::Readiness for Boom<'_> {
        fn cell(&self) -> sealed::Cell<'_> {
            sealed::Cell(self.flag.ready_cell())
        }
        fn looks_ready(&self) -> bool {
            false
        }
        fn is_ready(&self) -> bool {
            self.checks.set(self.checks.get() + 1);
            assert!(self.checks.get() < 2, "a check that panics");
            false
        }
    }

    impl Source for Boom<'_> {}

    /// A select that unwinds while parking detaches its doorbell on the way out.
    #[test]
    fn the_doorbell_is_detached_when_a_select_unwinds() {
        let flag = EventFlag::new(0u8);
        let boom = Boom {
            flag: &flag,
            checks: core::cell::Cell::new(0),
        };
        let (_tx, rx) = spsc::channel::<u8>(2);
        let mut selector = Selector::new();
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            selector.select(&[&rx, &boom])
        }));
        assert!(unwound.is_err());
        assert_eq!(
            boom.checks.get(),
            2,
            "the second check runs after the attach"
        );
        assert_eq!(Arc::strong_count(&selector.bell), 1);
    }

    /// Two sources on one cell are armed once.
    #[test]
    fn a_shared_cell_is_armed_once() {
        let flag = EventFlag::new(0u8);
        let (a, b) = (flag.newer_than(0), flag.newer_than(0));
        let (_tx, rx) = spsc::channel::<u8>(2);
        let sources: [&dyn Source; 3] = [&a, &rx, &b];
        assert_eq!(cells(&sources).count(), 2);
    }

    #[test]
    fn the_scan_wraps_around_from_its_start() {
        let (mut tx0, rx0) = spsc::channel::<u8>(2);
        let (_tx1, rx1) = spsc::channel::<u8>(2);
        let (mut tx2, rx2) = spsc::channel::<u8>(2);
        let sources: [&dyn Source; 3] = [&rx0, &rx1, &rx2];
        tx0.try_push(0).unwrap();
        assert_eq!(scan(&sources, 1), Some(0));
        tx2.try_push(0).unwrap();
        assert_eq!(scan(&sources, 1), Some(2));
        assert_eq!(scan(&sources, 0), Some(0));
    }
}
