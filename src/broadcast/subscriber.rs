//! How a subscriber reads: its position ([`Cursor`]), lag detection, and the
//! receive forms of [`Subscriber`].

#[cfg(feature = "std")]
use super::RecvTimeoutError;
use super::{RecvError, Shared, TryRecvNowError};
use crate::plain::{Plain, Words, MAX_WORDS};
use crate::sync::{Arc, Ordering};
#[cfg(feature = "std")]
use std::time::{Duration, Instant};

/// A receiving end of a broadcast ring; see the [module docs](super). Each
/// subscriber has its own position; clone it for another one.
///
/// ```
/// use ringkit::broadcast::{self, RecvError};
///
/// let (mut publisher, mut a) = broadcast::channel::<u32>(4);
/// let mut b = a.clone();
/// publisher.publish(7);
/// // Each subscriber sees every event.
/// assert_eq!(a.try_recv(), Ok((0, 7)));
/// assert_eq!(b.try_recv(), Ok((0, 7)));
/// assert_eq!(a.try_recv(), Err(RecvError::Empty));
/// ```
pub struct Subscriber<T: Plain> {
    shared: Arc<Shared<T>>,
    pos: Cursor<T>,
    /// This subscriber's place among the waiters on the ring's cell, for
    /// `Stream`.
    #[cfg(feature = "async")]
    task: crate::wait::TaskWait,
}

/// A subscriber's position.
struct Cursor<T> {
    /// The sequence number this subscriber wants next (after `pending`).
    seq: u64,
    /// Its slot.
    index: usize,
    /// The event a `Lagged` was reported before; returned by the next receive.
    pending: Option<(u64, T)>,
}

impl<T: Plain> Subscriber<T> {
    /// A subscriber whose next event is `seq`, in slot `index`.
    pub(super) fn at(shared: Arc<Shared<T>>, seq: u64, index: usize) -> Self {
        Subscriber {
            shared,
            pos: Cursor {
                seq,
                index,
                pending: None,
            },
            #[cfg(feature = "async")]
            task: Default::default(),
        }
    }
}

// Nothing in a subscriber is pinned: `Stream` moves nothing out of it.
impl<T: Plain> Unpin for Subscriber<T> {}

#[cfg(feature = "async")]
impl<T: Plain> Drop for Subscriber<T> {
    fn drop(&mut self) {
        self.shared.cell.cancel(&mut self.task);
    }
}

/// The subscriber as a stream: each item is what [`recv_async`] returns,
/// `Ok((seq, value))` or `Err(RecvError::Lagged(n))` (the next item is then the
/// oldest event still held); the stream ends once the publisher is gone and
/// everything published is read. `Empty` and `Disconnected` never appear as
/// items. Cancellation safe, as [`recv_async`].
///
/// [`recv_async`]: Subscriber::recv_async
///
/// ```
/// use futures_core::Stream;
/// use ringkit::broadcast::{self, RecvError};
/// use std::pin::Pin;
/// use std::task::{Context, Poll, Waker};
///
/// let (mut publisher, mut sub) = broadcast::channel::<u32>(2);
/// let mut cx = Context::from_waker(Waker::noop());
/// assert_eq!(Pin::new(&mut sub).poll_next(&mut cx), Poll::Pending);
/// for v in [1, 2, 3] {
///     publisher.publish(v);
/// }
/// drop(publisher);
/// let mut next = || Pin::new(&mut sub).poll_next(&mut cx);
/// assert_eq!(next(), Poll::Ready(Some(Err(RecvError::Lagged(1)))));
/// assert_eq!(next(), Poll::Ready(Some(Ok((1, 2)))));
/// assert_eq!(next(), Poll::Ready(Some(Ok((2, 3)))));
/// assert_eq!(next(), Poll::Ready(None));
/// ```
#[cfg(feature = "async")]
impl<T: Plain> futures_core::Stream for Subscriber<T> {
    type Item = Result<(u64, T), RecvError>;

    fn poll_next(
        self: core::pin::Pin<&mut Self>,
        cx: &mut core::task::Context<'_>,
    ) -> core::task::Poll<Option<Self::Item>> {
        let Subscriber { shared, pos, task } = self.get_mut();
        shared
            .cell
            .poll_wait(task, cx, || match pos.recv_for_wait(shared) {
                Err(RecvError::Empty) => None,
                Err(RecvError::Disconnected) => Some(None),
                got => Some(Some(got)),
            })
    }
}

impl<T: Plain> Cursor<T> {
    /// True if a `try_recv` now would not return `Empty`: it would return an
    /// event, report a lag, or report the disconnection. Takes nothing.
    #[cfg(feature = "std")]
    fn is_ready(&self, shared: &Shared<T>) -> bool {
        if self.pending.is_some() {
            return true;
        }
        match shared.try_read_slot(self.index) {
            // The publisher is writing our slot. It writes the event numbered
            // its `next`, and no subscriber is past that, so the slot is getting
            // our event or a later lap's: `try_recv` waits the write out and
            // returns the event or reports the lag.
            None => true,
            // Our event or a later lap's is there. A later `try_recv` reads the
            // stamp with acquire after ours, so it sees this write or a newer one.
            Some((seq, _)) if seq.wrapping_sub(self.seq) as i64 >= 0 => true,
            // An older event: nothing new unless the publisher is gone, and then
            // `try_recv` returns the last event or reports the disconnection.
            // ORDERING: Relaxed, as in `recv`: a later `try_recv` by this thread
            // sees the flag set too (read-read coherence), and then looks at the
            // slot once more behind [broadcast.read.fence].
            Some(_) => shared.closed.load(Ordering::Relaxed),
        }
    }

    #[inline(always)]
    fn advance(&mut self, capacity: usize) {
        self.seq = self.seq.wrapping_add(1);
        self.index = if self.index + 1 == capacity {
            0
        } else {
            self.index + 1
        };
    }

    /// One receive. With `WAIT`, a slot the publisher is writing is waited out
    /// (spinning, then yielding) and `Busy` never comes back; without it, such a
    /// slot ends the attempt at once with `Busy`, leaving the cursor as it was.
    #[inline(always)]
    fn recv<const WAIT: bool>(&mut self, shared: &Shared<T>) -> Result<(u64, T), TryRecvNowError> {
        if let Some(event) = self.pending.take() {
            return Ok(event);
        }
        let mut closed = false;
        loop {
            let (seq, buf) = read::<T, WAIT>(shared, self.index)?;
            // How far the slot's event is past the one we want (the slot holds
            // ours, one a whole number of laps later, or an older one).
            let ahead = seq.wrapping_sub(self.seq) as i64;
            if ahead == 0 {
                self.advance(shared.capacity);
                return Ok((seq, Words::<T>::decode(&buf)));
            }
            if ahead > 0 {
                return Err(self.catch_up::<WAIT>(shared, seq));
            }
            if closed {
                return Err(TryRecvNowError::Disconnected);
            }
            // ORDERING: Relaxed: once we see the flag, one more look at the slot
            // finds the last event if it is ours; that look's
            // [broadcast.read.fence] orders it (see `Publisher::drop`).
            if !shared.closed.load(Ordering::Relaxed) {
                return Err(TryRecvNowError::Empty);
            }
            closed = true;
        }
    }

    /// A receive that waits out a slot being written (see `recv`).
    #[inline]
    fn try_recv(&mut self, shared: &Shared<T>) -> Result<(u64, T), RecvError> {
        self.recv::<true>(shared)
            .map_err(|e| recv_error(e, || unreachable!("a waiting read is never busy")))
    }

    /// The receive of a task that waits in the ring's cell (`recv_async`, the
    /// stream, the dispatcher's `run_async`): a slot the publisher is writing
    /// ends it with `Empty`, the cursor as it was, instead of being waited out
    /// on the executor's thread. That publish notifies the cell after its
    /// closing stamp store, so the task's wait ends once the slot is readable.
    #[cfg(feature = "async")]
    #[inline]
    fn recv_for_wait(&mut self, shared: &Shared<T>) -> Result<(u64, T), RecvError> {
        self.recv::<false>(shared)
            .map_err(|e| recv_error(e, || RecvError::Empty))
    }

    /// The slot we wanted holds `newest`, at least a lap past us. Moves to the
    /// oldest event still held, keeps it aside, and says how many were lost
    /// (`Lagged`). Without `WAIT`, a slot being written ends it with `Busy` and
    /// the cursor unchanged. It looks again only if the publisher lapped us
    /// again meanwhile (lock-free: each retry means a lap was published).
    #[cold]
    fn catch_up<const WAIT: bool>(
        &mut self,
        shared: &Shared<T>,
        mut newest: u64,
    ) -> TryRecvNowError {
        let cap = shared.capacity;
        let mut at = self.index; // the slot holding `newest`
        loop {
            // The oldest event that can still be held sits in the slot after the
            // newest one.
            let oldest = newest.wrapping_sub(cap as u64 - 1);
            at = if at + 1 == cap { 0 } else { at + 1 };
            let Ok((seq, buf)) = read::<T, WAIT>(shared, at) else {
                return TryRecvNowError::Busy;
            };
            let ahead = seq.wrapping_sub(oldest) as i64;
            if ahead == 0 {
                let lost = oldest.wrapping_sub(self.seq);
                self.pending = Some((oldest, Words::<T>::decode(&buf)));
                self.seq = oldest;
                self.index = at;
                self.advance(cap);
                return TryRecvNowError::Lagged(lost);
            }
            // `oldest` was published before `newest`, whose stamp we acquired: its
            // slot cannot hold anything older.
            assert!(
                ahead > 0,
                "ringkit::broadcast: a slot went back in time (memory-ordering bug)"
            );
            newest = seq; // lapped again while we looked
        }
    }
}

/// The `RecvError` for `e`; `busy` gives the one for `Busy`.
#[inline(always)]
fn recv_error(e: TryRecvNowError, busy: impl FnOnce() -> RecvError) -> RecvError {
    match e {
        TryRecvNowError::Empty => RecvError::Empty,
        TryRecvNowError::Lagged(n) => RecvError::Lagged(n),
        TryRecvNowError::Disconnected => RecvError::Disconnected,
        TryRecvNowError::Busy => busy(),
    }
}

/// Reads slot `index`: with `WAIT`, waiting out a write in progress; without it,
/// `Err(Busy)` if the publisher was writing the slot during the attempt.
#[inline(always)]
fn read<T: Plain, const WAIT: bool>(
    shared: &Shared<T>,
    index: usize,
) -> Result<(u64, [u64; MAX_WORDS]), TryRecvNowError> {
    if WAIT {
        Ok(shared.read_slot(index))
    } else {
        shared.try_read_slot(index).ok_or(TryRecvNowError::Busy)
    }
}

impl<T: Plain> Subscriber<T> {
    /// The next event and its sequence number, without waiting for one.
    ///
    /// * `Err(Empty)`: nothing newer than the last event received is out yet.
    /// * `Err(Lagged(n))`: `n` events were overwritten before this subscriber
    ///   read them; the next call returns the oldest event the ring still held.
    /// * `Err(Disconnected)`: the publisher is gone and everything is read.
    ///
    /// Never waits for an event, but may wait for the publisher: if the publisher
    /// is in the middle of writing the slot this subscriber reads, it waits (spins,
    /// then yields) until that write (a few stores) is done. A publisher
    /// preempted mid-write holds it up for as long as it is off the CPU; a
    /// real-time subscriber that must not wait uses
    /// [`try_recv_now`](Subscriber::try_recv_now).
    ///
    /// ```
    /// use ringkit::broadcast::{self, RecvError};
    ///
    /// let (mut publisher, mut sub) = broadcast::channel::<u32>(2);
    /// assert_eq!(sub.try_recv(), Err(RecvError::Empty));
    /// for value in [10, 20, 30] {
    ///     publisher.publish(value);
    /// }
    /// assert_eq!(sub.try_recv(), Err(RecvError::Lagged(1))); // event 0 was overwritten
    /// assert_eq!(sub.try_recv(), Ok((1, 20)));
    /// assert_eq!(sub.try_recv(), Ok((2, 30)));
    /// drop(publisher);
    /// assert_eq!(sub.try_recv(), Err(RecvError::Disconnected));
    /// ```
    #[inline]
    pub fn try_recv(&mut self) -> Result<(u64, T), RecvError> {
        self.pos.try_recv(&self.shared)
    }

    /// Like [`try_recv`](Subscriber::try_recv), but returns at once with
    /// `Err(TryRecvNowError::Busy)` instead of waiting when the publisher is in
    /// the middle of writing the slot this subscriber needs; nothing is consumed,
    /// so a later call picks up where this one left off. It never spins, yields
    /// or makes a system call: a subscriber with a higher real-time priority
    /// than the publisher, on the publisher's core, cannot livelock on it.
    ///
    /// The other outcomes are [`try_recv`](Subscriber::try_recv)'s. It retries
    /// only if the publisher laps this subscriber again while it catches up
    /// after a lag (each retry means a whole lap was published meanwhile).
    ///
    /// ```
    /// use ringkit::broadcast::{self, TryRecvNowError};
    ///
    /// let (mut publisher, mut sub) = broadcast::channel::<u32>(2);
    /// assert_eq!(sub.try_recv_now(), Err(TryRecvNowError::Empty));
    /// publisher.publish(7);
    /// match sub.try_recv_now() {
    ///     Ok((seq, value)) => assert_eq!((seq, value), (0, 7)),
    ///     // Only while the publisher is writing our slot (not here: one thread).
    ///     Err(TryRecvNowError::Busy) => unreachable!(),
    ///     Err(e) => panic!("{e}"),
    /// }
    /// ```
    #[inline]
    pub fn try_recv_now(&mut self) -> Result<(u64, T), TryRecvNowError> {
        self.pos.recv::<false>(&self.shared)
    }

    /// [`try_recv`](Subscriber::try_recv) for a task that waits in this
    /// ring's cell (the dispatcher's `run_async`): `Empty` also while the
    /// publisher writes the slot needed (see `Cursor::recv_for_wait`).
    #[cfg(feature = "async")]
    pub(crate) fn recv_for_wait(&mut self) -> Result<(u64, T), RecvError> {
        self.pos.recv_for_wait(&self.shared)
    }

    /// One poll of a task's wait in this ring's cell, `task` being its place
    /// there, with [`recv_for_wait`](Self::recv_for_wait) as the attempt:
    /// `Ready` with anything but `Empty`.
    #[cfg(feature = "async")]
    pub(crate) fn poll_recv_for_wait(
        &mut self,
        task: &mut crate::wait::TaskWait,
        cx: &mut core::task::Context<'_>,
    ) -> core::task::Poll<Result<(u64, T), RecvError>> {
        let Subscriber { shared, pos, .. } = self;
        shared
            .cell
            .poll_wait(task, cx, || match pos.recv_for_wait(shared) {
                Err(RecvError::Empty) => None,
                done => Some(done),
            })
    }

    /// Like [`try_recv`](Subscriber::try_recv), but sleeps while there is nothing
    /// new; never returns `Err(Empty)`.
    ///
    /// ```
    /// use ringkit::broadcast::{self, RecvError};
    ///
    /// let (mut publisher, mut sub) = broadcast::channel::<u64>(4);
    /// std::thread::scope(|s| {
    ///     s.spawn(move || publisher.publish(99)); // then drops the publisher
    ///     assert_eq!(sub.recv(), Ok((0, 99)));
    /// });
    /// assert_eq!(sub.recv(), Err(RecvError::Disconnected));
    /// ```
    #[cfg(feature = "std")]
    pub fn recv(&mut self) -> Result<(u64, T), RecvError> {
        self.recv_deadline(None)
    }

    /// Like [`recv`](Subscriber::recv), giving up after `timeout` with
    /// `Err(Timeout)`.
    ///
    /// ```
    /// use ringkit::broadcast::{self, RecvTimeoutError};
    /// use std::time::Duration;
    ///
    /// let (mut publisher, mut sub) = broadcast::channel::<u32>(4);
    /// // Nothing is published meanwhile: times out.
    /// let timeout = Duration::from_millis(1);
    /// assert_eq!(sub.recv_timeout(timeout), Err(RecvTimeoutError::Timeout));
    /// publisher.publish(5);
    /// assert_eq!(sub.recv_timeout(Duration::ZERO), Ok((0, 5))); // already there
    /// ```
    #[cfg(feature = "std")]
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<(u64, T), RecvTimeoutError> {
        // A timeout too large to represent is a wait without a deadline.
        self.recv_deadline(Instant::now().checked_add(timeout))
            .map_err(timed)
    }

    /// Like [`recv`](Subscriber::recv), giving up at `deadline` with
    /// `Err(Timeout)`.
    ///
    /// ```
    /// use ringkit::broadcast::{self, RecvTimeoutError};
    /// use std::time::Instant;
    ///
    /// let (mut publisher, mut sub) = broadcast::channel::<u32>(4);
    /// // The deadline has passed and nothing is published.
    /// assert_eq!(sub.recv_until(Instant::now()), Err(RecvTimeoutError::Timeout));
    /// publisher.publish(5);
    /// assert_eq!(sub.recv_until(Instant::now()), Ok((0, 5)));
    /// ```
    #[cfg(feature = "std")]
    pub fn recv_until(&mut self, deadline: Instant) -> Result<(u64, T), RecvTimeoutError> {
        self.recv_deadline(Some(deadline)).map_err(timed)
    }

    /// Like [`recv`](Subscriber::recv), waiting without blocking the thread
    /// (the `async` feature); never returns `Err(Empty)`.
    ///
    /// Cancellation safe: an event is taken only in the poll that returns it,
    /// so dropping the future loses nothing (the subscriber's position stays
    /// where it was; a lag found meanwhile is reported by the next receive).
    ///
    /// ```
    /// use ringkit::broadcast::{self, RecvError};
    ///
    /// let (mut publisher, mut sub) = broadcast::channel::<u64>(4);
    /// let publishing = std::thread::spawn(move || publisher.publish(99));
    /// pollster::block_on(async {
    ///     assert_eq!(sub.recv_async().await, Ok((0, 99)));
    ///     publishing.join().unwrap(); // the publisher is gone
    ///     assert_eq!(sub.recv_async().await, Err(RecvError::Disconnected));
    /// });
    /// ```
    #[cfg(feature = "async")]
    pub async fn recv_async(&mut self) -> Result<(u64, T), RecvError> {
        let Subscriber { shared, pos, .. } = self;
        let mut waiting = crate::wait::Waiting::new(&shared.cell);
        core::future::poll_fn(|cx| {
            waiting.poll(cx, || match pos.recv_for_wait(shared) {
                Err(RecvError::Empty) => None,
                done => Some(done),
            })
        })
        .await
    }

    /// The blocking receive: `Empty` means the deadline passed.
    #[cfg(feature = "std")]
    fn recv_deadline(&mut self, deadline: Option<Instant>) -> Result<(u64, T), RecvError> {
        let Subscriber { shared, pos, .. } = self;
        let mut got = Err(RecvError::Empty);
        shared.cell.wait_until(deadline, || {
            got = pos.try_recv(shared);
            !matches!(got, Err(RecvError::Empty))
        });
        got
    }

    /// Skips every unread event but the latest published one, which the next
    /// receive returns (unless it is overwritten first). Returns how many events
    /// were skipped; 0 if there was at most one to read. Skipped events are not
    /// reported again as `Lagged`.
    ///
    /// ```
    /// let (mut publisher, mut sub) = ringkit::broadcast::channel::<u32>(8);
    /// for value in 0..5 {
    ///     publisher.publish(value * 10);
    /// }
    /// assert_eq!(sub.skip_to_latest(), 4); // events 0 to 3
    /// assert_eq!(sub.try_recv(), Ok((4, 40)));
    /// assert_eq!(sub.skip_to_latest(), 0); // nothing left to skip
    /// ```
    pub fn skip_to_latest(&mut self) -> u64 {
        let next = self.pos.pending.map_or(self.pos.seq, |(seq, _)| seq);
        let latest = self.shared.tail().wrapping_sub(1);
        let skipped = latest.wrapping_sub(next) as i64;
        if skipped <= 0 {
            return 0;
        }
        self.pos = Cursor {
            seq: latest,
            index: self.shared.index_of(latest),
            pending: None,
        };
        skipped as u64
    }

    /// How many events the ring holds.
    ///
    /// ```
    /// let (_publisher, sub) = ringkit::broadcast::channel::<u8>(3);
    /// assert_eq!(sub.capacity(), 3);
    /// ```
    pub fn capacity(&self) -> usize {
        self.shared.capacity
    }
}

/// A subscriber waits for an event past its position, a lag, or the
/// publisher to go: the condition of a blocking receive.
#[cfg(feature = "std")]
impl<T: Plain> crate::wait::Waitable for Subscriber<T> {
    type Seen = ();

    fn ready_cell(&self) -> &crate::wait::WaitCell {
        &self.shared.cell
    }

    fn looks_ready(&self, (): ()) -> bool {
        self.pos.is_ready(&self.shared)
    }

    fn is_ready(&self, (): ()) -> bool {
        self.pos.is_ready(&self.shared)
    }
}

impl<T: Plain> Clone for Subscriber<T> {
    /// A new subscriber that starts at the next event published (never at one
    /// `self` has already received).
    ///
    /// ```
    /// let (mut publisher, mut sub) = ringkit::broadcast::channel::<u32>(4);
    /// publisher.publish(1);
    /// let mut copy = sub.clone(); // starts at event 1
    /// publisher.publish(2);
    /// assert_eq!(sub.try_recv(), Ok((0, 1)));
    /// assert_eq!(sub.try_recv(), Ok((1, 2)));
    /// assert_eq!(copy.try_recv(), Ok((1, 2)));
    /// ```
    fn clone(&self) -> Self {
        let tail = self.shared.tail();
        let own = self.pos.pending.map_or(self.pos.seq, |(seq, _)| seq);
        // A tail older than what we have received is stale: start after ours.
        let seq = if (own.wrapping_sub(tail) as i64) > 0 {
            own
        } else {
            tail
        };
        Subscriber::at(self.shared.clone(), seq, self.shared.index_of(seq))
    }
}

impl<T: Plain> core::fmt::Debug for Subscriber<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Subscriber")
            .field("next", &self.pos.pending.map_or(self.pos.seq, |(s, _)| s))
            .field("capacity", &self.shared.capacity)
            .finish()
    }
}

/// The outcome of a timed receive whose waiting loop gave up with `e`: nothing
/// new at the deadline is a timeout.
#[cfg(feature = "std")]
fn timed(e: RecvError) -> RecvTimeoutError {
    match e {
        RecvError::Empty => RecvTimeoutError::Timeout,
        RecvError::Lagged(n) => RecvTimeoutError::Lagged(n),
        RecvError::Disconnected => RecvTimeoutError::Disconnected,
    }
}
