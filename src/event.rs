//! Event flags: the newest value with its generation, and blocking waits for news.
//!
//! * [`EventFlag<T>`]: writers [`publish`](EventFlag::publish) a small plain-data
//!   value; readers [`read`](EventFlag::read) the newest value and its generation
//!   without locks, or [`wait_newer`](EventFlag::wait_newer) until a generation
//!   newer than the one they have arrives. Nobody waits on anybody: a slow reader
//!   skips values (and can tell how many from the generations), it never holds up
//!   the writer.
//! * [`Event`]: a flag without payload, manual-reset or auto-reset.
//!
//! ```
//! use ringkit::event::EventFlag;
//!
//! let flag = EventFlag::new(0u32);
//! std::thread::scope(|s| {
//!     let waiter = s.spawn(|| flag.wait_newer(0));
//!     flag.publish(7);
//!     assert_eq!(waiter.join().unwrap(), (1, 7));
//! });
//! ```
//!
//! # Design
//!
//! The value lives in a [`SeqLock`]; the generation is half its sequence, so a
//! generation and the value published under it come from one atomic load and can
//! never mix. Waiting uses the crate's eventcount (one 32-bit futex word, changed
//! only by read-modify-writes, on its own cache line): a publish with nobody
//! parked costs one extra load and no system call; a waiter announces itself,
//! re-checks the generation behind an asymmetric barrier, and only then sleeps, so
//! no wake-up is lost. Spurious wake-ups are re-checked.

use crate::plain::Plain;
use crate::seqlock::SeqLock;
use crate::sync::{AtomicUsize, Ordering};
use crate::wait::WaitCell;
#[cfg(feature = "std")]
use crate::Timeout;
use crossbeam_utils::CachePadded;
#[cfg(feature = "std")]
use std::time::{Duration, Instant};

#[cfg(feature = "std")]
fn deadline_after(timeout: Duration) -> Option<Instant> {
    // A timeout too large to represent is a wait without a deadline.
    Instant::now().checked_add(timeout)
}

/// The newest value of a `T` and its generation, with blocking waits for a newer
/// one; see the [module docs](self).
///
/// Share it by reference or in an `Arc`; any thread may publish (publishers are
/// serialized inside) and any thread may read or wait. Generation 0 is the
/// initial value; each [`publish`](EventFlag::publish) adds exactly one.
/// Observing a generation (through any method) synchronizes with the publish that
/// made it: what the publisher did before is visible afterwards.
///
/// ```
/// use ringkit::event::EventFlag;
/// use std::sync::Arc;
///
/// let position = Arc::new(EventFlag::new([0.0f32; 3]));
/// let writer = {
///     let position = Arc::clone(&position);
///     std::thread::spawn(move || position.publish([1.0, 2.0, 3.0]))
/// };
/// assert_eq!(writer.join().unwrap(), 1); // the first publish makes generation 1
/// assert_eq!(position.read(), (1, [1.0, 2.0, 3.0]));
/// ```
pub struct EventFlag<T: Plain> {
    lock: SeqLock<T>,
    cell: CachePadded<WaitCell>,
}

impl<T: Plain> EventFlag<T> {
    /// A flag holding `initial` at generation 0.
    ///
    /// ```
    /// use ringkit::event::EventFlag;
    ///
    /// let flag = EventFlag::new(5u8);
    /// assert_eq!(flag.read(), (0, 5));
    /// ```
    pub fn new(initial: T) -> Self {
        EventFlag {
            lock: SeqLock::new(initial),
            cell: CachePadded::new(WaitCell::new()),
        }
    }

    /// A flag whose futex epoch starts at `epoch`, so tests can cross its
    /// wrap-around. A test hook (the `test-hooks` feature), not part of the API.
    #[cfg(all(feature = "std", any(test, feature = "test-hooks")))]
    #[doc(hidden)]
    pub fn with_wait_epoch(initial: T, epoch: u32) -> Self {
        EventFlag {
            lock: SeqLock::new(initial),
            cell: CachePadded::new(WaitCell::with_epoch(epoch)),
        }
    }

    /// Publishes `value` and returns its generation (one more than the previous
    /// one). Wakes every waiter; makes no system call when nobody waits.
    ///
    /// ```
    /// use ringkit::event::EventFlag;
    ///
    /// let flag = EventFlag::new(0u32);
    /// assert_eq!(flag.publish(10), 1);
    /// assert_eq!(flag.publish(20), 2);
    /// assert_eq!(flag.read(), (2, 20));
    /// ```
    pub fn publish(&self, value: T) -> u64 {
        let seq = self.lock.write(value);
        self.cell.notify();
        seq / 2
    }

    /// The newest generation and its value. Waits (spinning, then yielding) while
    /// a publish is in the middle of writing, so a publisher stalled mid-write
    /// holds it up; [`try_read`](Self::try_read) returns at once instead.
    ///
    /// ```
    /// use ringkit::event::EventFlag;
    ///
    /// let flag = EventFlag::new(-1i64);
    /// assert_eq!(flag.read(), (0, -1));
    /// flag.publish(7);
    /// assert_eq!(flag.read(), (1, 7));
    /// ```
    #[inline]
    pub fn read(&self) -> (u64, T) {
        let (seq, value) = self.lock.read_with_seq();
        (seq / 2, value)
    }

    /// Like [`read`](EventFlag::read), but `None` instead of retrying if a publish
    /// was writing during the attempt. Never waits.
    ///
    /// ```
    /// use ringkit::event::EventFlag;
    ///
    /// let flag = EventFlag::new(1u64);
    /// flag.publish(2);
    /// assert_eq!(flag.try_read(), Some((1, 2))); // nobody is publishing now
    /// ```
    #[inline]
    pub fn try_read(&self) -> Option<(u64, T)> {
        self.lock.try_read_with_seq().map(|(seq, v)| (seq / 2, v))
    }

    /// The newest completed generation.
    ///
    /// ```
    /// use ringkit::event::EventFlag;
    ///
    /// let flag = EventFlag::new(0i32);
    /// assert_eq!(flag.generation(), 0);
    /// flag.publish(-1);
    /// flag.publish(-2);
    /// assert_eq!(flag.generation(), 2);
    /// ```
    #[inline]
    pub fn generation(&self) -> u64 {
        // During a write the sequence is odd and this is still the old generation.
        self.lock.seq() / 2
    }

    /// Blocks until the generation is greater than `seen`, then returns the newest
    /// generation and its value (which may be several generations past `seen`).
    /// Returns at once if it already is.
    ///
    /// ```
    /// use ringkit::event::EventFlag;
    ///
    /// let flag = EventFlag::new(0u32);
    /// flag.publish(1);
    /// flag.publish(2);
    /// // Generation 2 is already past 0: returns at once with the newest.
    /// assert_eq!(flag.wait_newer(0), (2, 2));
    /// ```
    #[cfg(feature = "std")]
    pub fn wait_newer(&self, seen: u64) -> (u64, T) {
        let mut got = None;
        self.cell.wait_until(None, || {
            got = self.read_newer_than(seen);
            got.is_some()
        });
        got.expect("a wait without deadline returns only when ready")
    }

    /// Like [`wait_newer`](EventFlag::wait_newer), giving up after `timeout`.
    ///
    /// ```
    /// use ringkit::{event::EventFlag, Timeout};
    /// use std::time::Duration;
    ///
    /// let flag = EventFlag::new(0u32);
    /// // Nobody publishes: generation 1 never comes.
    /// assert_eq!(flag.wait_newer_timeout(0, Duration::from_millis(1)), Err(Timeout));
    /// flag.publish(3);
    /// assert_eq!(flag.wait_newer_timeout(0, Duration::ZERO), Ok((1, 3)));
    /// ```
    #[cfg(feature = "std")]
    pub fn wait_newer_timeout(&self, seen: u64, timeout: Duration) -> Result<(u64, T), Timeout> {
        self.wait_newer_deadline(seen, deadline_after(timeout))
    }

    /// Like [`wait_newer`](EventFlag::wait_newer), giving up at `deadline`.
    ///
    /// ```
    /// use ringkit::{event::EventFlag, Timeout};
    /// use std::time::Instant;
    ///
    /// let flag = EventFlag::new(0u32);
    /// // The deadline has passed and nobody publishes.
    /// assert_eq!(flag.wait_newer_until(0, Instant::now()), Err(Timeout));
    /// flag.publish(3);
    /// assert_eq!(flag.wait_newer_until(0, Instant::now()), Ok((1, 3)));
    /// ```
    #[cfg(feature = "std")]
    pub fn wait_newer_until(&self, seen: u64, deadline: Instant) -> Result<(u64, T), Timeout> {
        self.wait_newer_deadline(seen, Some(deadline))
    }

    #[cfg(feature = "std")]
    fn wait_newer_deadline(
        &self,
        seen: u64,
        deadline: Option<Instant>,
    ) -> Result<(u64, T), Timeout> {
        let mut got = None;
        self.cell.wait_until(deadline, || {
            got = self.read_newer_than(seen);
            got.is_some()
        });
        got.ok_or(Timeout)
    }

    /// Like [`wait_newer`](EventFlag::wait_newer), waiting without blocking
    /// the thread (the `async` feature). Cancellation safe: it takes nothing,
    /// so dropping the future has no effect on the flag.
    ///
    /// ```
    /// use ringkit::event::EventFlag;
    /// use std::sync::Arc;
    ///
    /// let flag = Arc::new(EventFlag::new(0u32));
    /// let publisher = {
    ///     let flag = flag.clone();
    ///     std::thread::spawn(move || flag.publish(7))
    /// };
    /// let (generation, value) = pollster::block_on(flag.wait_newer_async(0));
    /// assert_eq!((generation, value), (1, 7));
    /// publisher.join().unwrap();
    /// ```
    #[cfg(feature = "async")]
    pub async fn wait_newer_async(&self, seen: u64) -> (u64, T) {
        let mut waiting = crate::wait::Waiting::new(&self.cell);
        core::future::poll_fn(|cx| waiting.poll(cx, || self.read_for_wait(seen))).await
    }

    /// A [select](crate::select) source that is ready once the flag's generation
    /// is past `seen`: a [`read`](Self::read) then returns a newer value. It
    /// borrows the flag; make one for each select call, with the generation seen
    /// last.
    ///
    /// ```
    /// use ringkit::event::EventFlag;
    /// use ringkit::select::Selector;
    ///
    /// let config = EventFlag::new(0u32);
    /// let (_tx, rx) = ringkit::spsc::channel::<u8>(4);
    /// let mut selector = Selector::new();
    /// let seen = config.generation();
    /// assert_eq!(selector.try_select(&[&rx, &config.newer_than(seen)]), None);
    /// config.publish(7);
    /// assert_eq!(selector.try_select(&[&rx, &config.newer_than(seen)]), Some(1));
    /// assert_eq!(config.read(), (1, 7));
    /// ```
    #[cfg(feature = "std")]
    #[must_use]
    pub fn newer_than(&self, seen: u64) -> crate::select::Newer<'_, T> {
        crate::select::Newer::new(self, seen)
    }

    /// The newest generation and value if the generation is past `seen`.
    #[cfg(feature = "std")]
    #[inline]
    fn read_newer_than(&self, seen: u64) -> Option<(u64, T)> {
        if self.generation() <= seen {
            return None;
        }
        Some(self.read())
    }

    /// `read_newer_than` for a task that waits in the flag's cell
    /// (`wait_newer_async`, the dispatcher's `run_async`): a publish in the
    /// middle of writing makes it `None` at once instead of being waited out
    /// on the executor's thread. That publish notifies the cell after its
    /// write, so the task's wait ends once the value is readable.
    #[cfg(feature = "async")]
    #[inline]
    pub(crate) fn read_for_wait(&self, seen: u64) -> Option<(u64, T)> {
        if self.generation() <= seen {
            return None;
        }
        self.try_read()
    }
}

/// A waiter on a flag waits for a generation newer than the one it has seen.
#[cfg(feature = "std")]
impl<T: Plain> crate::wait::Waitable for EventFlag<T> {
    type Seen = u64;

    fn ready_cell(&self) -> &WaitCell {
        &self.cell
    }

    fn looks_ready(&self, seen: u64) -> bool {
        self.generation() != seen
    }

    fn is_ready(&self, seen: u64) -> bool {
        // The condition of `wait_newer`: a read now returns a newer generation.
        self.generation() > seen
    }
}

impl<T: Plain + Default> Default for EventFlag<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T: Plain + core::fmt::Debug> core::fmt::Debug for EventFlag<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let (generation, value) = self.read();
        f.debug_struct("EventFlag")
            .field("generation", &generation)
            .field("value", &value)
            .finish()
    }
}

/// A flag without payload that threads can wait on, manual-reset or auto-reset.
///
/// * Manual-reset ([`Event::manual_reset`]): once [`set`](Event::set), it stays set
///   and releases every waiter, present and future, until [`reset`](Event::reset).
///   A waiter present at a `set` (its wait began before the set) returns even if
///   the event is reset again before that waiter gets to run: `set(); reset();`
///   releases everybody who was waiting, like a pulse.
/// * Auto-reset ([`Event::auto_reset`]): a `set` releases exactly one waiter and
///   the event is unset again. A `set` with nobody waiting stays pending until one
///   wait consumes it. Sets do not accumulate: a `set` on an event that is already
///   set (pending) changes nothing, so two sets before any wait release one waiter.
///   A `reset` withdraws a pending set.
///
/// A `set` synchronizes with the wait it releases: what the setter did before
/// `set` is visible to the waiter after its wait returns.
///
/// ```
/// use ringkit::event::Event;
///
/// let ready = Event::auto_reset();
/// ready.set(); // nobody waits yet: stays pending
/// assert!(ready.is_set());
/// ready.wait(); // consumes it
/// assert!(!ready.is_set());
/// assert_eq!(ready.wait_timeout(std::time::Duration::from_millis(1)), Err(ringkit::Timeout));
/// ```
pub struct Event {
    /// Counts the changes of the flag: odd while set, even while unset. A set
    /// turns an even count odd (+1), a reset (or an auto-reset wait that takes the
    /// set) turns an odd count even (+1); nothing else writes it. So the count
    /// only grows, and a manual-reset waiter that saw an even count `c` knows a
    /// set has happened since as soon as the count is no longer `c`, whether or
    /// not it is still set. Every write is a read-modify-write, so each write
    /// continues the release sequence of every earlier `set`.
    ///
    /// The count wraps after `usize::MAX` changes; a waiter confuses a count with
    /// one `usize::MAX + 1` changes later only if it sleeps through all of them
    /// and looks exactly then.
    state: AtomicUsize,
    auto_reset: bool,
    cell: WaitCell,
}

/// The low bit of [`Event::state`]: set.
const SET: usize = 1;

impl Event {
    fn new(auto_reset: bool) -> Self {
        Event {
            state: AtomicUsize::new(0),
            auto_reset,
            cell: WaitCell::new(),
        }
    }

    /// An unset manual-reset event.
    ///
    /// ```
    /// use ringkit::event::Event;
    ///
    /// let ev = Event::manual_reset();
    /// assert!(!ev.is_set());
    /// ev.set();
    /// assert!(ev.try_wait());
    /// assert!(ev.is_set()); // stays set until reset
    /// ```
    #[must_use]
    pub fn manual_reset() -> Self {
        Self::new(false)
    }

    /// An unset auto-reset event.
    ///
    /// ```
    /// use ringkit::event::Event;
    ///
    /// let ev = Event::auto_reset();
    /// assert!(!ev.is_set());
    /// ev.set();
    /// assert!(ev.try_wait()); // takes the set
    /// assert!(!ev.is_set()); // and the event is unset again
    /// ```
    #[must_use]
    pub fn auto_reset() -> Self {
        Self::new(true)
    }

    /// True for an event made by [`Event::auto_reset`].
    ///
    /// ```
    /// use ringkit::event::Event;
    ///
    /// assert!(Event::auto_reset().is_auto_reset());
    /// assert!(!Event::manual_reset().is_auto_reset());
    /// ```
    pub fn is_auto_reset(&self) -> bool {
        self.auto_reset
    }

    /// Sets the event, releasing every waiter (manual-reset) or one waiter, now or
    /// the next to come (auto-reset). Makes no system call when nobody waits. One
    /// atomic read-modify-write, never retried.
    ///
    /// ```
    /// use ringkit::event::Event;
    ///
    /// let ev = Event::auto_reset();
    /// std::thread::scope(|s| {
    ///     let waiter = s.spawn(|| ev.wait());
    ///     // Releases the waiter, or stays pending until its wait consumes it.
    ///     ev.set();
    ///     waiter.join().unwrap();
    /// });
    /// assert!(!ev.is_set()); // the waiter took it
    /// ```
    pub fn set(&self) {
        // ORDERING: [event.set] Release, pairs with [event.wait.manual],
        // [event.wait.auto] and [event.is_set]: the waiter sees what we did before
        // `set`. An even count becomes odd; an odd one (already set) is unchanged,
        // so sets do not accumulate. Loom: event::manual_set_wakes_waiter,
        // event::auto_set_wakes_one, event::manual_set_reset_releases_waiter.
        self.state.fetch_or(SET, Ordering::Release);
        self.cell.notify();
    }

    /// Unsets the event. A no-op on an unset event. At most one load and one
    /// compare-exchange, never retried.
    ///
    /// ```
    /// use ringkit::event::Event;
    ///
    /// let ev = Event::manual_reset();
    /// ev.set();
    /// ev.reset();
    /// assert!(!ev.is_set());
    /// ev.reset(); // already unset: no-op
    /// assert!(!ev.try_wait());
    /// ```
    pub fn reset(&self) {
        // ORDERING: Relaxed; a cheap check, the compare-exchange below decides.
        let seen = self.state.load(Ordering::Relaxed);
        if seen & SET != 0 {
            // ORDERING: Relaxed (both); a reset publishes and reads nothing, and
            // the count's modification order alone decides which of a racing set
            // and reset wins. If the exchange fails, another reset or auto-reset
            // wait took this set, and this reset counts as done right after that
            // one (before any set that followed it).
            let _ = self.state.compare_exchange(
                seen,
                seen.wrapping_add(1),
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        }
    }

    /// True if the event is set (for an auto-reset event: a set is pending).
    /// Does not consume it.
    ///
    /// ```
    /// use ringkit::event::Event;
    ///
    /// let ev = Event::auto_reset();
    /// ev.set();
    /// assert!(ev.is_set());
    /// assert!(ev.is_set()); // looking does not consume the set
    /// assert!(ev.try_wait());
    /// assert!(!ev.is_set());
    /// ```
    pub fn is_set(&self) -> bool {
        // ORDERING: [event.is_set] Acquire, pairs with [event.set], like a wait.
        self.state.load(Ordering::Acquire) & SET != 0
    }

    /// Blocks until the event is set; an auto-reset event is unset again by this
    /// wait. A manual-reset wait also returns once a `set` that came after it
    /// began has happened, even if the event was reset since.
    ///
    /// ```
    /// use ringkit::event::Event;
    /// use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
    ///
    /// let ready = Event::manual_reset();
    /// let data = AtomicU32::new(0);
    /// std::thread::scope(|s| {
    ///     s.spawn(|| {
    ///         data.store(42, Relaxed);
    ///         ready.set();
    ///     });
    ///     ready.wait(); // returns once the other thread has set it
    ///     assert_eq!(data.load(Relaxed), 42); // what the setter did before `set`
    /// });
    /// ready.wait(); // manual-reset: still set, returns at once
    /// ```
    #[cfg(feature = "std")]
    pub fn wait(&self) {
        // Without a deadline it returns only once released.
        let _released = self.wait_from_until(self.begin(), None);
    }

    /// Like [`wait`](Event::wait), waiting without blocking the thread (the
    /// `async` feature). The wait begins at the first poll.
    ///
    /// Cancellation: an auto-reset event is unset only in the poll that
    /// returns `Ready`, so dropping the future never consumes a set.
    ///
    /// ```
    /// use ringkit::event::Event;
    /// use std::sync::Arc;
    ///
    /// let ev = Arc::new(Event::auto_reset());
    /// let setter = {
    ///     let ev = ev.clone();
    ///     std::thread::spawn(move || ev.set())
    /// };
    /// pollster::block_on(ev.wait_async()); // returns once the set happened
    /// assert!(!ev.is_set()); // auto-reset: the wait took the set
    /// setter.join().unwrap();
    /// ```
    #[cfg(feature = "async")]
    pub async fn wait_async(&self) {
        let mut waiting = crate::wait::Waiting::new(&self.cell);
        let mut ticket = None;
        core::future::poll_fn(|cx| {
            let ticket = *ticket.get_or_insert_with(|| self.begin());
            waiting.poll(cx, || {
                let released = if self.auto_reset {
                    self.try_wait()
                } else {
                    self.released_since(ticket)
                };
                released.then_some(())
            })
        })
        .await
    }

    /// Like [`wait`](Event::wait), giving up after `timeout`: `Err(Timeout)` if no
    /// set released it by then (and then an auto-reset event was not consumed).
    ///
    /// ```
    /// use ringkit::{event::Event, Timeout};
    /// use std::time::Duration;
    ///
    /// let ev = Event::auto_reset();
    /// // Nobody sets it: times out.
    /// assert_eq!(ev.wait_timeout(Duration::from_millis(1)), Err(Timeout));
    /// ev.set();
    /// assert_eq!(ev.wait_timeout(Duration::ZERO), Ok(())); // set: consumed at once
    /// assert!(!ev.is_set());
    /// ```
    #[cfg(feature = "std")]
    pub fn wait_timeout(&self, timeout: Duration) -> Result<(), Timeout> {
        self.wait_from_until(self.begin(), deadline_after(timeout))
    }

    /// Like [`wait`](Event::wait), giving up at `deadline`: `Err(Timeout)` if no
    /// set released it by then (and then an auto-reset event was not consumed).
    ///
    /// ```
    /// use ringkit::{event::Event, Timeout};
    /// use std::time::Instant;
    ///
    /// let ev = Event::manual_reset();
    /// // The deadline has passed and nobody sets it.
    /// assert_eq!(ev.wait_until(Instant::now()), Err(Timeout));
    /// ev.set();
    /// assert_eq!(ev.wait_until(Instant::now()), Ok(()));
    /// assert!(ev.is_set()); // manual-reset: a wait does not unset it
    /// ```
    #[cfg(feature = "std")]
    pub fn wait_until(&self, deadline: Instant) -> Result<(), Timeout> {
        self.wait_from_until(self.begin(), Some(deadline))
    }

    /// Where a wait begins: the count now. `wait()` is
    /// `wait_from_until(begin(), None)`.
    #[inline]
    fn begin(&self) -> usize {
        // ORDERING: [event.wait.manual] Acquire, pairs with [event.set]: a wait
        // that finds the event set returns on this load.
        self.state.load(Ordering::Acquire)
    }

    /// How many times the event has changed (set or unset); odd while set.
    /// Each set after an unset makes a new count, so a reader that remembers
    /// the count of the set it handled knows when another set came.
    #[cfg(feature = "std")]
    #[inline]
    pub(crate) fn changes(&self) -> usize {
        self.begin()
    }

    /// True if a change count from [`changes`](Self::changes) is that of a set
    /// event.
    #[cfg(feature = "std")]
    #[inline]
    pub(crate) fn is_set_at(count: usize) -> bool {
        count & SET != 0
    }

    /// Where a wait begins. With [`Event::wait_from`] it lets a test (and a
    /// loom model) begin a wait on one thread before a set and finish it on
    /// another. A test hook (the `test-hooks` feature), not part of the API.
    #[cfg(any(test, feature = "test-hooks"))]
    #[doc(hidden)]
    pub fn ticket(&self) -> usize {
        self.begin()
    }

    /// Finishes a wait that began at `ticket` (see [`Event::ticket`]): returns
    /// once the event is set or, manual-reset, once a set has happened after
    /// the ticket was taken. A test hook (the `test-hooks` feature), not part of
    /// the API.
    #[cfg(all(feature = "std", any(test, feature = "test-hooks")))]
    #[doc(hidden)]
    pub fn wait_from(&self, ticket: usize) {
        // Without a deadline it returns only once released.
        let _released = self.wait_from_until(ticket, None);
    }

    #[cfg(feature = "std")]
    fn wait_from_until(&self, ticket: usize, deadline: Option<Instant>) -> Result<(), Timeout> {
        let released = if self.auto_reset {
            self.cell.wait_until(deadline, || self.try_wait())
        } else {
            self.cell
                .wait_until(deadline, || self.released_since(ticket))
        };
        if released {
            Ok(())
        } else {
            Err(Timeout)
        }
    }

    /// Manual-reset: true if the event was set at `ticket`, or has been set since
    /// (the count moved on from an even `ticket`; it only grows, so a later
    /// reset cannot hide the set).
    #[cfg(feature = "std")]
    #[inline]
    fn released_since(&self, ticket: usize) -> bool {
        // ORDERING: [event.wait.manual] Acquire, pairs with [event.set]: any
        // value past an unset `ticket` was written by a set or by a read-modify-
        // write in the release sequence of one, so we see what that setter did.
        ticket & SET != 0 || self.state.load(Ordering::Acquire) != ticket
    }

    /// A wait that does not block: true if the event is set, and then an
    /// auto-reset event is unset by this call (exactly one of racing `try_wait`s
    /// and waits takes a set). Never blocks; at most one load and one
    /// compare-exchange, never retried.
    ///
    /// ```
    /// use ringkit::event::Event;
    ///
    /// let manual = Event::manual_reset();
    /// assert!(!manual.try_wait()); // not set
    /// manual.set();
    /// assert!(manual.try_wait());
    /// assert!(manual.try_wait()); // stays set
    ///
    /// let auto = Event::auto_reset();
    /// auto.set();
    /// assert!(auto.try_wait());
    /// assert!(!auto.try_wait()); // the first call took the set
    /// ```
    #[inline]
    pub fn try_wait(&self) -> bool {
        if !self.auto_reset {
            return self.begin() & SET != 0;
        }
        // ORDERING: Relaxed; a cheap check, the compare-exchange below decides.
        let seen = self.state.load(Ordering::Relaxed);
        seen & SET != 0
            // ORDERING: [event.wait.auto] Acquire on success, pairs with
            // [event.set]; the compare-exchange makes exactly one waiter take a
            // set. A failure means another waiter or a reset took it (a set that
            // came after that is left for the next try).
            && self
                .state
                .compare_exchange(
                    seen,
                    seen.wrapping_add(1),
                    Ordering::Acquire,
                    Ordering::Relaxed,
                )
                .is_ok()
    }
}

/// A waiter on an event waits for it to be set: the condition of `try_wait`.
#[cfg(feature = "std")]
impl crate::wait::Waitable for Event {
    type Seen = ();

    fn ready_cell(&self) -> &WaitCell {
        &self.cell
    }

    fn looks_ready(&self, (): ()) -> bool {
        self.is_set()
    }

    fn is_ready(&self, (): ()) -> bool {
        // `try_wait` succeeds exactly when it finds the set bit (an auto-reset
        // one unless another waiter takes the set first).
        self.is_set()
    }
}

impl core::fmt::Debug for Event {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Event")
            .field("auto_reset", &self.auto_reset)
            .field("set", &self.is_set())
            .finish()
    }
}

static_assertions::assert_impl_all!(EventFlag<u64>: Send, Sync);
static_assertions::assert_impl_all!(EventFlag<[u64; 4]>: Send, Sync);
static_assertions::assert_impl_all!(Event: Send, Sync);
static_assertions::assert_not_impl_any!(EventFlag<u64>: Clone);

#[cfg(all(test, feature = "async"))]
pub(crate) use tests::{resume_publish, stall_publish};

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use std::prelude::rust_2021::*;

    /// A publish stalled in the middle of writing (its writer lock held);
    /// returns what `resume_publish` needs.
    #[cfg(feature = "async")]
    pub(crate) fn stall_publish<T: Plain>(flag: &EventFlag<T>) -> u64 {
        crate::seqlock::stall(&flag.lock)
    }

    /// Puts the flag back as before that publish (which then never happened).
    #[cfg(feature = "async")]
    pub(crate) fn resume_publish<T: Plain>(flag: &EventFlag<T>, seq: u64) {
        crate::seqlock::resume(&flag.lock, seq);
    }

    /// A publish stalled in the middle of writing a newer generation than the
    /// one seen: `wait_newer_async` waits for it as a task, in the cell (where
    /// `read` would spin and yield on the executor's thread until the write
    /// ends, and with the publisher stalled for good never return), and the
    /// end of a publish wakes it.
    #[cfg(feature = "async")]
    #[test]
    fn wait_newer_async_waits_for_a_stalled_publish_as_a_task() {
        use crate::test_waker::Count;
        use core::future::Future;
        use core::pin::pin;
        use core::task::{Context, Poll};

        let flag = EventFlag::new(0u32);
        flag.publish(1);
        let stalled = stall_publish(&flag); // a second publish has begun
        let (count, waker) = Count::waker();
        let mut cx = Context::from_waker(&waker);
        let mut wait = pin!(flag.wait_newer_async(0));
        let armed = count.poll_until_armed(1, || wait.as_mut().poll(&mut cx).is_pending());
        resume_publish(&flag, stalled);
        flag.publish(2); // the write, from its start to its notify
        assert_eq!(count.get(), armed + 1);
        assert_eq!(wait.as_mut().poll(&mut cx), Poll::Ready((2, 2)));
    }

    #[test]
    fn generations_count_publishes() {
        let flag = EventFlag::new(1.5f32);
        assert_eq!(flag.read(), (0, 1.5));
        assert_eq!(flag.publish(2.5), 1);
        assert_eq!(flag.publish(3.5), 2);
        assert_eq!(flag.generation(), 2);
        assert_eq!(flag.try_read(), Some((2, 3.5)));
        assert_eq!(flag.wait_newer(1), (2, 3.5));
        assert_eq!(
            flag.wait_newer_timeout(2, Duration::from_millis(1)),
            Err(Timeout)
        );
        assert_eq!(
            format!("{flag:?}"),
            "EventFlag { generation: 2, value: 3.5 }"
        );
    }

    #[test]
    fn manual_reset_stays_set() {
        let ev = Event::manual_reset();
        assert!(!ev.is_auto_reset());
        assert_eq!(ev.wait_timeout(Duration::ZERO), Err(Timeout));
        ev.set();
        ev.wait();
        ev.wait();
        assert_eq!(ev.wait_timeout(Duration::ZERO), Ok(()));
        assert!(ev.is_set());
        ev.reset();
        assert!(!ev.is_set());
        assert_eq!(ev.wait_timeout(Duration::from_millis(1)), Err(Timeout));
    }

    #[test]
    fn auto_reset_sets_do_not_accumulate() {
        let ev = Event::auto_reset();
        ev.set();
        ev.set();
        assert_eq!(ev.wait_timeout(Duration::ZERO), Ok(()));
        assert_eq!(ev.wait_timeout(Duration::ZERO), Err(Timeout));
        ev.set();
        ev.reset();
        assert!(!ev.is_set());
        assert_eq!(format!("{ev:?}"), "Event { auto_reset: true, set: false }");
    }
}
