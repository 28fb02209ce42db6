//! A bounded multi-producer multi-consumer ring: [`Queue`] for sharing by
//! reference or `Arc`, and [`channel`] for [`Sender`]/[`Receiver`] handles with
//! disconnection, blocking and timeouts.
//!
//! ```
//! use std::thread;
//!
//! let (tx, rx) = ringkit::mpmc::channel::<u64>(16);
//! let producers: Vec<_> = (0..2)
//!     .map(|p| {
//!         let tx = tx.clone();
//!         thread::spawn(move || {
//!             for i in 0..100 {
//!                 tx.push(p * 1000 + i).unwrap(); // blocks while full
//!             }
//!         })
//!     })
//!     .collect();
//! drop(tx); // the clones keep the channel open
//! let consumers: Vec<_> = (0..2)
//!     .map(|_| {
//!         let rx = rx.clone();
//!         thread::spawn(move || rx.iter().count()) // ends when all senders are gone
//!     })
//!     .collect();
//! drop(rx);
//! for p in producers {
//!     p.join().unwrap();
//! }
//! let total: usize = consumers.into_iter().map(|c| c.join().unwrap()).sum();
//! assert_eq!(total, 200);
//! ```
//!
//! # Design
//!
//! Vyukov's bounded queue: each slot carries a 64-bit stamp that says which
//! position it waits for (see `queue.rs`); a push claims position `tail` with a
//! compare-exchange once the slot's stamp says it is free for that position, a pop
//! claims `head` once the stamp says the item is there. Positions are packed as
//! `lap | index`, with `index < capacity` and the lap a multiple of the smallest
//! power of two above the capacity, so any capacity works and stepping a position
//! is a compare and an add, never a division. Positions and stamps wrap around at
//! `u64::MAX` (tests start them near the top).
//!
//! A channel's [`Sender`] and [`Receiver`] remember the position after their own
//! last push or pop and start the next one there, without loading `tail` or
//! `head` first; a wrong guess costs one slot read, and every full or empty
//! verdict is still made from a loaded position. On one thread this makes the
//! channel's `try_` operations about 1.6x as fast as [`Queue`]'s, which has no
//! handles to remember anything in.
//!
//! # Spurious failures
//!
//! [`Queue::try_push`] and [`Queue::try_pop`] (and so the channel's `try_`
//! operations) **never fail spuriously**:
//!
//! * `try_pop` returns `None` only when it saw `head == tail`: every position a
//!   push had claimed had also been claimed by a pop. A push that happened before
//!   the call (it returned, and that is known to this thread through a join, a lock,
//!   a channel, ...) is always seen. Another producer being in the middle of a push,
//!   or another consumer in the middle of a pop, never makes it return `None`.
//! * `try_push` returns `Err` only when it saw `capacity` positions claimed by
//!   pushes and not by pops (a push still writing counts as an item).
//!
//! The price is that a `try_` operation may have to wait for another thread that
//! has claimed a slot and not yet finished copying its value in or out (a few
//! instructions, unless that thread is preempted right there). It waits like a
//! blocking operation: a bounded spin, then a futex sleep until that thread's
//! notify, so an oversubscribed machine does not burn its time slices on it
//! (without the `std` feature there is no futex, and it spins). The blocking
//! operations are built on the `try_` ones and inherit the guarantee. The async
//! forms do not wait in place: a task that finds its slot still being written
//! (read) waits as it waits for an empty (full) queue, in the wait cell that the
//! other thread notifies when it finishes, and never blocks its executor's
//! thread.
//!
//! [`Queue::force_push`] on a full queue is a pop of the oldest item followed by a
//! push; between the two steps other threads may see one item fewer.
//!
//! # Sequence numbers
//!
//! [`Queue::try_pop_with_seq`] and [`Receiver::try_pop_with_seq`] return each
//! item's position as a sequence number, as `spsc::Consumer::next_seq` does: 0 for
//! the first item pushed into the queue, then one more per item, in the order the
//! pushes claimed their positions. It wraps after at least 2^63 items.
//!
//! # Blocking and disconnection
//!
//! Blocking operations spin briefly, then sleep on a futex-based eventcount; with
//! nobody asleep a push or pop pays one plain load for the wake-up check. When the
//! last [`Sender`] is dropped, receivers drain what is left and then get
//! [`PopError::Disconnected`]. When the last [`Receiver`] is dropped, nothing can
//! be received any more: its drop closes the queue and drops the items in it
//! (waiting for a push that has claimed a slot and is still writing it), and
//! every push from then on hands its value back in [`PushError::Disconnected`],
//! as in crossbeam-channel. Items often hold buffers, files or connections;
//! they do not wait for the senders to go.
//!
//! # Ownership
//!
//! An item belongs to the queue from its push until its pop, and is the caller's
//! before and after: an item handed back by a failed push or evicted by
//! [`Queue::force_push`] is returned, never dropped inside. The iterators of
//! [`Receiver::try_iter`] and `Receiver::iter` borrow a receiver and own nothing
//! but the items they have yielded, so dropping or forgetting one half-used
//! leaves the rest in the queue. Dropping a [`Queue`] (or the last receiver of
//! a channel) drops the items left in it, each exactly once, in queue order; if one
//! of them panics in `Drop`, the ones after it are still dropped and the panic
//! then continues (a second panic among them aborts the process, as it does for
//! a `Vec`).

mod batch;
#[cfg(feature = "async")]
mod future;
#[cfg(feature = "async")]
pub use future::SendSink;
mod queue;

pub use queue::{Queue, QueueIntoIter};

use crate::error::{CapacityError, PopError, PushError};
#[cfg(feature = "std")]
use crate::error::{PopTimeoutError, PushTimeoutError};
use crate::sync::{Arc, AtomicUsize, HintU64, Ordering};
use crossbeam_utils::CachePadded;
#[cfg(feature = "std")]
use std::time::{Duration, Instant};

/// What all handles of one channel share.
struct Chan<T> {
    queue: Queue<T>,
    counts: CachePadded<Counts>,
}

struct Counts {
    /// Live `Sender`s; 0 means disconnected for receivers.
    senders: AtomicUsize,
    /// Live `Receiver`s; 0 means disconnected for senders.
    receivers: AtomicUsize,
}

impl<T> Chan<T> {
    /// The rest of a receiver's pop that found the queue empty.
    #[inline(always)]
    fn pop_after_empty(&self) -> Result<(u64, T), PopError> {
        if self.senders_gone() {
            return self.pop_disconnected();
        }
        Err(PopError::Empty)
    }

    /// The last look of a pop once every sender is gone: every push happened
    /// before the last sender left. Out of line, so that the queue's pop is
    /// inlined once in a receiver's pop.
    #[cold]
    #[inline(never)]
    fn pop_disconnected(&self) -> Result<(u64, T), PopError> {
        self.queue.try_pop_with_seq().ok_or(PopError::Disconnected)
    }

    #[inline(always)]
    fn senders_gone(&self) -> bool {
        // ORDERING: [mpmc.senders.acquire] pairs with [mpmc.senders.release] in
        // `Sender::drop`: every push made by any sender happened before, so a pop
        // after this sees them all. Loom: mpmc_disconnect_wakes_blocked_receiver.
        self.counts.senders.load(Ordering::Acquire) == 0
    }
}

/// Creates a channel of `capacity` slots and returns its first two handles.
///
/// ```
/// let (tx, rx) = ringkit::mpmc::channel::<u32>(3); // any capacity, not only powers of two
/// assert_eq!(tx.capacity(), 3);
/// tx.try_push(7).unwrap();
/// assert_eq!(rx.try_pop(), Ok(7));
/// ```
///
/// # Panics
///
/// If `capacity` is 0 or too large; see [`try_channel`].
#[must_use]
#[track_caller]
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    match try_channel(capacity) {
        Ok(ends) => ends,
        Err(e) => panic!("ringkit::mpmc::channel: {e}"),
    }
}

/// Creates a channel of `capacity` slots, or says why it cannot.
///
/// ```
/// use ringkit::CapacityError;
/// assert_eq!(ringkit::mpmc::try_channel::<u8>(0).err(), Some(CapacityError::Zero));
/// ```
pub fn try_channel<T>(capacity: usize) -> Result<(Sender<T>, Receiver<T>), CapacityError> {
    Ok(wrap(Queue::try_new(capacity)?))
}

/// A channel whose positions start `laps_before_wrap` laps before they wrap
/// around; see [`Queue::starting_at`]. Not part of the public API.
#[cfg(any(test, feature = "test-hooks"))]
#[doc(hidden)]
#[must_use]
#[track_caller]
pub fn channel_starting_at<T>(capacity: usize, laps_before_wrap: u64) -> (Sender<T>, Receiver<T>) {
    wrap(Queue::starting_at(capacity, laps_before_wrap))
}

fn wrap<T>(queue: Queue<T>) -> (Sender<T>, Receiver<T>) {
    let chan = Arc::new(Chan {
        queue,
        counts: CachePadded::new(Counts {
            senders: AtomicUsize::new(1),
            receivers: AtomicUsize::new(1),
        }),
    });
    let guess = chan.queue.first_guess();
    let receiver = Receiver {
        chan: chan.clone(),
        head_guess: HintU64::new(guess),
        #[cfg(feature = "async")]
        task: Default::default(),
    };
    let sender = Sender {
        chan,
        tail_guess: HintU64::new(guess),
    };
    (sender, receiver)
}

#[cfg(feature = "std")]
fn deadline_after(timeout: Duration) -> Option<Instant> {
    // A timeout too large to represent is a wait without a deadline.
    Instant::now().checked_add(timeout)
}

/// Adds a handle to a count, aborting (as `Arc` does) rather than overflowing.
fn count_up(count: &AtomicUsize) {
    // ORDERING: Relaxed; a new handle is made from a live one, which keeps the count
    // above 0, so no thread can be deciding on a 0 in between.
    if count.fetch_add(1, Ordering::Relaxed) > isize::MAX as usize {
        abort();
    }
}

/// Ends the process: a count this high means handles were leaked on purpose
/// (`mem::forget` in a loop), and going on could wrap the count to 0.
#[cold]
fn abort() -> ! {
    #[cfg(feature = "std")]
    std::process::abort();
    // Without std there is no abort to call; a panic while panicking aborts.
    #[cfg(not(feature = "std"))]
    {
        struct PanicAgain;
        impl Drop for PanicAgain {
            fn drop(&mut self) {
                panic!("ringkit: too many channel handles");
            }
        }
        let _again = PanicAgain;
        panic!("ringkit: too many channel handles");
    }
}

/// A sending handle. `Clone` makes another one; the channel disconnects for
/// receivers when the last is dropped.
///
/// ```
/// let (tx, rx) = ringkit::mpmc::channel::<&str>(4);
/// let tx2 = tx.clone();
/// tx.try_push("a").unwrap();
/// tx2.try_push("b").unwrap();
/// drop(tx);
/// assert!(!rx.is_disconnected()); // `tx2` keeps the channel open
/// drop(tx2);
/// assert!(rx.is_disconnected());
/// assert_eq!(rx.try_pop(), Ok("a")); // what was pushed can still be popped
/// assert_eq!(rx.try_pop(), Ok("b"));
/// ```
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
    /// Where this handle's next push probably goes: the position after its
    /// last one (see `Queue::try_push_guessed`). Only a hint, so Relaxed, and
    /// a handle shared between threads stays correct.
    tail_guess: HintU64,
}

/// A receiving handle. `Clone` makes another one; the channel disconnects for
/// senders when the last is dropped.
///
/// ```
/// use ringkit::PushError;
///
/// let (tx, rx) = ringkit::mpmc::channel::<u32>(4);
/// let rx2 = rx.clone();
/// tx.try_push(1).unwrap();
/// tx.try_push(2).unwrap();
/// assert_eq!(rx.try_pop(), Ok(1)); // each item goes to one receiver
/// assert_eq!(rx2.try_pop(), Ok(2));
/// drop(rx);
/// assert!(!tx.is_disconnected()); // `rx2` keeps the channel open
/// drop(rx2);
/// assert!(tx.is_disconnected());
/// assert_eq!(tx.try_push(3), Err(PushError::Disconnected(3)));
/// ```
pub struct Receiver<T> {
    chan: Arc<Chan<T>>,
    /// Where this handle's next pop probably is, as `Sender::tail_guess`.
    head_guess: HintU64,
    /// This handle's place among the waiters on `not_empty`, for `Stream`.
    #[cfg(feature = "async")]
    task: crate::wait::TaskWait,
}

impl<T> Sender<T> {
    /// Pushes `value` without blocking: `Full(value)` if the queue is full (never
    /// spuriously, see the module docs), `Disconnected(value)` if every receiver is
    /// gone.
    ///
    /// ```
    /// use ringkit::PushError;
    ///
    /// let (tx, rx) = ringkit::mpmc::channel::<u32>(1);
    /// assert_eq!(tx.try_push(1), Ok(()));
    /// assert_eq!(tx.try_push(2), Err(PushError::Full(2))); // the value comes back
    /// assert_eq!(rx.try_pop(), Ok(1));
    /// drop(rx);
    /// assert_eq!(tx.try_push(3), Err(PushError::Disconnected(3)));
    /// ```
    #[inline]
    pub fn try_push(&self, value: T) -> Result<(), PushError<T>> {
        // ORDERING: Relaxed, here and below; a guess that orders nothing (see
        // `tail_guess`).
        let guess = self.tail_guess.load(Ordering::Relaxed);
        let next = self.chan.queue.try_push_guessed(guess, value)?;
        // ORDERING: Relaxed, as above.
        self.tail_guess.store(next, Ordering::Relaxed);
        Ok(())
    }

    /// `try_push` for a push that waits in `not_full` (the async forms): `Full`
    /// means only that the slot at the tail is not free yet (see
    /// `Queue::push_for_wait`), and costs no spin.
    #[cfg(feature = "async")]
    #[inline]
    fn push_for_wait(&self, value: T) -> Result<(), PushError<T>> {
        // ORDERING: Relaxed, as in `try_push`.
        let guess = self.tail_guess.load(Ordering::Relaxed);
        let next = self.chan.queue.push_for_wait(guess, value)?;
        // ORDERING: Relaxed, as above.
        self.tail_guess.store(next, Ordering::Relaxed);
        Ok(())
    }

    /// Pushes `value`, blocking while the queue is full. `Disconnected(value)` if
    /// every receiver is gone (never `Full`).
    ///
    /// ```
    /// use ringkit::PushError;
    ///
    /// let (tx, rx) = ringkit::mpmc::channel::<u32>(2);
    /// let consumer = std::thread::spawn(move || rx.iter().collect::<Vec<_>>());
    /// for i in 0..5 {
    ///     tx.push(i).unwrap(); // waits while the consumer is behind
    /// }
    /// drop(tx);
    /// assert_eq!(consumer.join().unwrap(), [0, 1, 2, 3, 4]);
    ///
    /// let (tx, rx) = ringkit::mpmc::channel::<u32>(2);
    /// drop(rx);
    /// assert_eq!(tx.push(5), Err(PushError::Disconnected(5))); // does not wait
    /// ```
    #[cfg(feature = "std")]
    pub fn push(&self, value: T) -> Result<(), PushError<T>> {
        self.push_deadline(value, None)
    }

    /// Pushes `value`, blocking at most `timeout` while the queue is full:
    /// `Timeout(value)` if it stays full that long, `Disconnected(value)` if every
    /// receiver is gone.
    ///
    /// ```
    /// use ringkit::PushTimeoutError;
    /// use std::time::Duration;
    ///
    /// let (tx, rx) = ringkit::mpmc::channel::<u32>(1);
    /// assert_eq!(tx.push_timeout(1, Duration::from_millis(1)), Ok(()));
    /// // Nobody pops, so the queue stays full.
    /// assert_eq!(
    ///     tx.push_timeout(2, Duration::from_millis(1)),
    ///     Err(PushTimeoutError::Timeout(2))
    /// );
    /// assert_eq!(rx.try_pop(), Ok(1));
    /// ```
    #[cfg(feature = "std")]
    pub fn push_timeout(&self, value: T, timeout: Duration) -> Result<(), PushTimeoutError<T>> {
        self.push_deadline(value, deadline_after(timeout))
            .map_err(PushError::timed)
    }

    /// Pushes `value`, blocking until `deadline` at the latest while the queue is
    /// full: `Timeout(value)` if it is still full then, `Disconnected(value)` if
    /// every receiver is gone.
    ///
    /// ```
    /// use ringkit::PushTimeoutError;
    /// use std::time::{Duration, Instant};
    ///
    /// let (tx, rx) = ringkit::mpmc::channel::<u32>(1);
    /// let deadline = Instant::now() + Duration::from_millis(1);
    /// assert_eq!(tx.push_until(1, deadline), Ok(()));
    /// // Nobody pops, so the queue is still full at the deadline.
    /// assert_eq!(tx.push_until(2, deadline), Err(PushTimeoutError::Timeout(2)));
    /// assert_eq!(rx.try_pop(), Ok(1));
    /// ```
    #[cfg(feature = "std")]
    pub fn push_until(&self, value: T, deadline: Instant) -> Result<(), PushTimeoutError<T>> {
        self.push_deadline(value, Some(deadline))
            .map_err(PushError::timed)
    }

    /// The blocking push: `Full(value)` means the deadline passed.
    #[cfg(feature = "std")]
    fn push_deadline(&self, mut value: T, deadline: Option<Instant>) -> Result<(), PushError<T>> {
        let chan = &*self.chan;
        loop {
            match self.try_push(value) {
                Err(PushError::Full(v)) => value = v,
                done => return done,
            }
            let ready = chan
                .queue
                .not_full
                .wait_until(deadline, || chan.queue.looks_nonfull());
            if !ready {
                return Err(PushError::Full(value));
            }
        }
    }

    /// The number of slots.
    ///
    /// ```
    /// let (tx, _rx) = ringkit::mpmc::channel::<u8>(3);
    /// assert_eq!(tx.capacity(), 3);
    /// ```
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.chan.queue.capacity()
    }

    /// Items in the queue now (a snapshot).
    ///
    /// ```
    /// let (tx, _rx) = ringkit::mpmc::channel::<u8>(3);
    /// tx.try_push(1).unwrap();
    /// tx.try_push(2).unwrap();
    /// assert_eq!(tx.len(), 2);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.chan.queue.len()
    }

    /// True if the queue holds no item now (a snapshot).
    ///
    /// ```
    /// let (tx, rx) = ringkit::mpmc::channel::<u8>(3);
    /// assert!(tx.is_empty());
    /// tx.try_push(1).unwrap();
    /// assert!(!tx.is_empty());
    /// assert_eq!(rx.try_pop(), Ok(1));
    /// assert!(tx.is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.chan.queue.is_empty()
    }

    /// True if every slot is taken now (a snapshot).
    ///
    /// ```
    /// let (tx, rx) = ringkit::mpmc::channel::<u8>(1);
    /// assert!(!tx.is_full());
    /// tx.try_push(1).unwrap();
    /// assert!(tx.is_full());
    /// assert_eq!(rx.try_pop(), Ok(1));
    /// assert!(!tx.is_full());
    /// ```
    #[must_use]
    pub fn is_full(&self) -> bool {
        self.chan.queue.is_full()
    }

    /// True once every receiver is gone (the last one's drop has closed the
    /// queue): pushes can only fail from now on.
    ///
    /// ```
    /// let (tx, rx) = ringkit::mpmc::channel::<u8>(1);
    /// let rx2 = rx.clone();
    /// drop(rx);
    /// assert!(!tx.is_disconnected()); // `rx2` is still there
    /// drop(rx2);
    /// assert!(tx.is_disconnected());
    /// assert!(tx.try_push(1).unwrap_err().is_disconnected());
    /// ```
    #[must_use]
    pub fn is_disconnected(&self) -> bool {
        self.chan.queue.is_closed_now()
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        count_up(&self.chan.counts.senders);
        Sender {
            chan: self.chan.clone(),
            // ORDERING: Relaxed; a guess.
            tail_guess: HintU64::new(self.tail_guess.load(Ordering::Relaxed)),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        // ORDERING: [mpmc.senders.release] pairs with [mpmc.senders.acquire]: this
        // sender's pushes happen before a receiver that sees 0. Each decrement is
        // part of the release sequence that the last one ends, so the pushes of
        // every earlier sender are covered too.
        if self.chan.counts.senders.fetch_sub(1, Ordering::Release) == 1 {
            self.chan.queue.not_empty.notify();
        }
    }
}

impl<T> Receiver<T> {
    /// Pops the oldest item without blocking. `Empty` if there is none (never
    /// spuriously, see the module docs); `Disconnected` if there is none and every
    /// sender is gone (items pushed before that are popped first).
    ///
    /// ```
    /// use ringkit::PopError;
    ///
    /// let (tx, rx) = ringkit::mpmc::channel::<u32>(2);
    /// assert_eq!(rx.try_pop(), Err(PopError::Empty));
    /// tx.try_push(1).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.try_pop(), Ok(1)); // pushed before the sender left
    /// assert_eq!(rx.try_pop(), Err(PopError::Disconnected));
    /// ```
    #[inline]
    pub fn try_pop(&self) -> Result<T, PopError> {
        self.try_pop_with_seq().map(|(_, v)| v)
    }

    /// Like [`Receiver::try_pop`], and also returns the item's sequence number; see
    /// [`Queue::try_pop_with_seq`].
    ///
    /// ```
    /// let (tx, rx) = ringkit::mpmc::channel::<char>(2);
    /// tx.try_push('a').unwrap();
    /// tx.try_push('b').unwrap();
    /// assert_eq!(rx.try_pop_with_seq(), Ok((0, 'a')));
    /// assert_eq!(rx.try_pop_with_seq(), Ok((1, 'b')));
    /// tx.try_push('c').unwrap(); // the next lap: the numbers go on
    /// assert_eq!(rx.try_pop_with_seq(), Ok((2, 'c')));
    /// ```
    #[inline]
    pub fn try_pop_with_seq(&self) -> Result<(u64, T), PopError> {
        self.pop_with(Queue::try_pop_guessed)
    }

    /// `try_pop_with_seq` for a pop that waits in `not_empty` as a task (the
    /// async forms, the dispatcher's `run_async`): `Empty` means only that the
    /// slot at the head does not hold its item yet (see `Queue::pop_for_wait`),
    /// and costs no spin. `Disconnected` is exact, as in `try_pop_with_seq`.
    #[cfg(feature = "async")]
    #[inline]
    pub(crate) fn pop_for_wait(&self) -> Result<(u64, T), PopError> {
        self.pop_with(Queue::pop_for_wait)
    }

    /// One pop by `pop` (given the queue and this handle's guess of the head;
    /// returns the position popped, the one after it and the item), with the
    /// guess moved on past it; after a `None`, `Empty` or `Disconnected`.
    #[inline(always)]
    fn pop_with(
        &self,
        pop: impl FnOnce(&Queue<T>, u64) -> Option<(u64, u64, T)>,
    ) -> Result<(u64, T), PopError> {
        let queue = &self.chan.queue;
        // ORDERING: Relaxed, here and below; a guess that orders nothing (see
        // `Sender::tail_guess`).
        match pop(queue, self.head_guess.load(Ordering::Relaxed)) {
            Some((head, next, value)) => {
                // ORDERING: Relaxed, as above.
                self.head_guess.store(next, Ordering::Relaxed);
                Ok((queue.seq(head), value))
            }
            None => self.chan.pop_after_empty(),
        }
    }

    /// The item at this handle's guess of the head, if the slot holds it and
    /// no other receiver takes it first (see `Queue::pop_at_guess`).
    #[cfg(feature = "async")]
    #[inline]
    fn pop_at_guess(&self) -> Option<T> {
        let queue = &self.chan.queue;
        // ORDERING: Relaxed, as in `try_pop_with_seq`.
        let (_, next, value) = queue.pop_at_guess(self.head_guess.load(Ordering::Relaxed))?;
        // ORDERING: Relaxed, as above.
        self.head_guess.store(next, Ordering::Relaxed);
        Some(value)
    }

    /// Pops the oldest item, blocking while the queue is empty. `Disconnected` once
    /// every sender is gone and the queue is empty (never `Empty`).
    ///
    /// ```
    /// use ringkit::PopError;
    ///
    /// let (tx, rx) = ringkit::mpmc::channel::<u32>(2);
    /// let producer = std::thread::spawn(move || tx.push(42));
    /// assert_eq!(rx.pop(), Ok(42)); // waits for the producer's push
    /// producer.join().unwrap().unwrap();
    /// // The producer's sender is gone and the queue is empty: no waiting.
    /// assert_eq!(rx.pop(), Err(PopError::Disconnected));
    /// ```
    #[cfg(feature = "std")]
    pub fn pop(&self) -> Result<T, PopError> {
        self.pop_deadline(None).map(|(_, v)| v)
    }

    /// Pops the oldest item, blocking at most `timeout` while the queue is empty:
    /// `Timeout` if it stays empty that long, `Disconnected` once every sender is
    /// gone and the queue is empty.
    ///
    /// ```
    /// use ringkit::PopTimeoutError;
    /// use std::time::Duration;
    ///
    /// let (tx, rx) = ringkit::mpmc::channel::<u32>(2);
    /// tx.try_push(1).unwrap();
    /// assert_eq!(rx.pop_timeout(Duration::from_millis(1)), Ok(1));
    /// // Nobody pushes, so the queue stays empty.
    /// assert_eq!(rx.pop_timeout(Duration::from_millis(1)), Err(PopTimeoutError::Timeout));
    /// drop(tx);
    /// assert_eq!(rx.pop_timeout(Duration::from_secs(60)), Err(PopTimeoutError::Disconnected));
    /// ```
    #[cfg(feature = "std")]
    pub fn pop_timeout(&self, timeout: Duration) -> Result<T, PopTimeoutError> {
        self.pop_deadline(deadline_after(timeout))
            .map(|(_, v)| v)
            .map_err(PopError::timed)
    }

    /// Pops the oldest item, blocking until `deadline` at the latest while the
    /// queue is empty: `Timeout` if it is still empty then, `Disconnected` once
    /// every sender is gone and the queue is empty.
    ///
    /// ```
    /// use ringkit::PopTimeoutError;
    /// use std::time::{Duration, Instant};
    ///
    /// let (tx, rx) = ringkit::mpmc::channel::<u32>(2);
    /// tx.try_push(1).unwrap();
    /// let deadline = Instant::now() + Duration::from_millis(1);
    /// assert_eq!(rx.pop_until(deadline), Ok(1));
    /// // Nobody pushes, so the queue is still empty at the deadline.
    /// assert_eq!(rx.pop_until(deadline), Err(PopTimeoutError::Timeout));
    /// drop(tx);
    /// assert_eq!(rx.pop_until(deadline), Err(PopTimeoutError::Disconnected));
    /// ```
    #[cfg(feature = "std")]
    pub fn pop_until(&self, deadline: Instant) -> Result<T, PopTimeoutError> {
        self.pop_deadline(Some(deadline))
            .map(|(_, v)| v)
            .map_err(PopError::timed)
    }

    /// The blocking pop: `Empty` means the deadline passed.
    #[cfg(feature = "std")]
    fn pop_deadline(&self, deadline: Option<Instant>) -> Result<(u64, T), PopError> {
        let chan = &*self.chan;
        loop {
            match self.try_pop_with_seq() {
                Err(PopError::Empty) => {}
                done => return done,
            }
            let ready = chan.queue.not_empty.wait_until(deadline, || {
                chan.queue.looks_nonempty() || chan.senders_gone()
            });
            if !ready {
                return Err(PopError::Empty);
            }
        }
    }

    /// An iterator that pops until the queue is empty (it does not block).
    ///
    /// ```
    /// let (tx, rx) = ringkit::mpmc::channel::<u32>(4);
    /// for i in 0..3 {
    ///     tx.try_push(i).unwrap();
    /// }
    /// assert_eq!(rx.try_iter().collect::<Vec<_>>(), [0, 1, 2]);
    /// assert_eq!(rx.try_iter().next(), None); // empty: stops, though `tx` is still there
    /// ```
    pub fn try_iter(&self) -> TryIter<'_, T> {
        TryIter { rx: self }
    }

    /// An iterator that pops, blocking, until every sender is gone and the queue
    /// is empty.
    ///
    /// ```
    /// let (tx, rx) = ringkit::mpmc::channel::<u32>(4);
    /// let producer = std::thread::spawn(move || {
    ///     for i in 0..10 {
    ///         tx.push(i).unwrap();
    ///     }
    /// }); // `tx` goes when the thread ends
    /// assert_eq!(rx.iter().sum::<u32>(), 45);
    /// producer.join().unwrap();
    /// ```
    #[cfg(feature = "std")]
    pub fn iter(&self) -> Iter<'_, T> {
        Iter { rx: self }
    }

    /// The number of slots.
    ///
    /// ```
    /// let (_tx, rx) = ringkit::mpmc::channel::<u8>(3);
    /// assert_eq!(rx.capacity(), 3);
    /// ```
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.chan.queue.capacity()
    }

    /// Items in the queue now (a snapshot).
    ///
    /// ```
    /// let (tx, rx) = ringkit::mpmc::channel::<u8>(3);
    /// tx.try_push(1).unwrap();
    /// tx.try_push(2).unwrap();
    /// assert_eq!(rx.len(), 2);
    /// assert_eq!(rx.try_pop(), Ok(1));
    /// assert_eq!(rx.len(), 1);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.chan.queue.len()
    }

    /// True if the queue holds no item now (a snapshot).
    ///
    /// ```
    /// let (tx, rx) = ringkit::mpmc::channel::<u8>(3);
    /// assert!(rx.is_empty());
    /// tx.try_push(1).unwrap();
    /// assert!(!rx.is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.chan.queue.is_empty()
    }

    /// True if every slot is taken now (a snapshot).
    ///
    /// ```
    /// let (tx, rx) = ringkit::mpmc::channel::<u8>(2);
    /// tx.try_push(1).unwrap();
    /// assert!(!rx.is_full());
    /// tx.try_push(2).unwrap();
    /// assert!(rx.is_full());
    /// ```
    #[must_use]
    pub fn is_full(&self) -> bool {
        self.chan.queue.is_full()
    }

    /// True once every sender is gone. Items they pushed may still be waiting.
    ///
    /// ```
    /// let (tx, rx) = ringkit::mpmc::channel::<u8>(2);
    /// tx.try_push(1).unwrap();
    /// drop(tx);
    /// assert!(rx.is_disconnected());
    /// assert_eq!(rx.try_pop(), Ok(1)); // still there to pop
    /// ```
    #[must_use]
    pub fn is_disconnected(&self) -> bool {
        self.chan.senders_gone()
    }
}

/// A receiver waits for an item, or for every sender to go: the condition a
/// blocking pop waits for.
#[cfg(feature = "std")]
impl<T> crate::wait::Waitable for Receiver<T> {
    type Seen = ();

    fn ready_cell(&self) -> &crate::wait::WaitCell {
        &self.chan.queue.not_empty
    }

    fn looks_ready(&self, (): ()) -> bool {
        self.chan.queue.looks_nonempty() || self.chan.senders_gone()
    }

    fn is_ready(&self, (): ()) -> bool {
        // A `tail` past `head` means a push has claimed a slot, and a `try_pop`
        // that finds that slot still being written waits for it rather than
        // failing: it returns an item unless another receiver takes it first.
        // Once every sender is gone (an acquire load), a pop returns an item or
        // `Disconnected`. The slot at `head` is looked at first: when it holds
        // an item, `tail` (the pushers' line) is not read at all.
        self.chan.queue.head_ready() || !self.chan.queue.is_empty() || self.chan.senders_gone()
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        count_up(&self.chan.counts.receivers);
        Receiver {
            chan: self.chan.clone(),
            // ORDERING: Relaxed; a guess.
            head_guess: HintU64::new(self.head_guess.load(Ordering::Relaxed)),
            #[cfg(feature = "async")]
            task: Default::default(),
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        #[cfg(feature = "async")]
        self.chan.queue.not_empty.cancel(&mut self.task);
        // ORDERING: [mpmc.receivers.acqrel] pairs with itself: Release makes this
        // receiver's pops happen before the last receiver's decrement (each
        // decrement is part of the release sequence that the last one reads),
        // and Acquire makes every other receiver's pops happen before the last
        // one closes the queue, which then starts from their head.
        if self.chan.counts.receivers.fetch_sub(1, Ordering::AcqRel) == 1 {
            // Nothing can be received any more: close the queue to pushes (which
            // wakes blocked senders) and drop what is in it.
            self.chan.queue.close();
        }
    }
}

/// Pops until the queue is empty; made by [`Receiver::try_iter`].
///
/// ```
/// let (tx, rx) = ringkit::mpmc::channel::<u32>(4);
/// tx.try_push(1).unwrap();
/// tx.try_push(2).unwrap();
/// let mut it = rx.try_iter();
/// assert_eq!(it.next(), Some(1));
/// assert_eq!(it.next(), Some(2));
/// assert_eq!(it.next(), None); // empty for now
/// tx.try_push(3).unwrap();
/// assert_eq!(it.next(), Some(3)); // the next call pops again
/// ```
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct TryIter<'a, T> {
    rx: &'a Receiver<T>,
}

impl<T> core::fmt::Debug for TryIter<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("TryIter").field(self.rx).finish()
    }
}

impl<T> Iterator for TryIter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.rx.try_pop().ok()
    }
}

/// Pops, blocking, until every sender is gone and the queue is empty; made by
/// [`Receiver::iter`].
///
/// ```
/// let (tx, rx) = ringkit::mpmc::channel::<u32>(4);
/// tx.try_push(1).unwrap();
/// tx.try_push(2).unwrap();
/// drop(tx);
/// let mut it = rx.iter(); // or `for v in &rx`
/// assert_eq!(it.next(), Some(1));
/// assert_eq!(it.next(), Some(2));
/// assert_eq!(it.next(), None); // every sender is gone and the queue is empty
/// ```
#[cfg(feature = "std")]
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct Iter<'a, T> {
    rx: &'a Receiver<T>,
}

#[cfg(feature = "std")]
impl<T> core::fmt::Debug for Iter<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("Iter").field(self.rx).finish()
    }
}

#[cfg(feature = "std")]
impl<T> Iterator for Iter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.rx.pop().ok()
    }
}

/// Pops, blocking, until every sender is gone and the queue is empty; made by
/// `Receiver::into_iter`.
///
/// ```
/// let (tx, rx) = ringkit::mpmc::channel::<u32>(2);
/// let consumer = std::thread::spawn(move || rx.into_iter().collect::<Vec<_>>());
/// for i in 0..5 {
///     tx.push(i).unwrap();
/// }
/// drop(tx); // the consumer's loop ends once it has taken every item
/// assert_eq!(consumer.join().unwrap(), [0, 1, 2, 3, 4]);
/// ```
#[cfg(feature = "std")]
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct IntoIter<T> {
    rx: Receiver<T>,
}

#[cfg(feature = "std")]
impl<T> core::fmt::Debug for IntoIter<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("IntoIter").field(&self.rx).finish()
    }
}

#[cfg(feature = "std")]
impl<T> Iterator for IntoIter<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.rx.pop().ok()
    }
}

#[cfg(feature = "std")]
impl<T> IntoIterator for Receiver<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;
    fn into_iter(self) -> IntoIter<T> {
        IntoIter { rx: self }
    }
}

#[cfg(feature = "std")]
impl<'a, T> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T> core::fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Sender")
            .field("capacity", &self.capacity())
            .field("len", &self.len())
            .finish()
    }
}

impl<T> core::fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Receiver")
            .field("capacity", &self.capacity())
            .field("len", &self.len())
            .finish()
    }
}

static_assertions::assert_impl_all!(Sender<u64>: Send, Sync, Clone);
static_assertions::assert_impl_all!(Receiver<u64>: Send, Sync, Clone);
static_assertions::assert_impl_all!(Receiver<core::cell::Cell<u64>>: Send, Sync);
static_assertions::assert_not_impl_any!(Sender<alloc::rc::Rc<u64>>: Send, Sync);
static_assertions::assert_not_impl_any!(Receiver<alloc::rc::Rc<u64>>: Send, Sync);

#[cfg(all(test, feature = "async"))]
pub(crate) use testing::{claim_push, finish_push};

/// For the tests of code that waits on a receiver (`rx`, or a clone of it): a
/// push stalled between its claim and its write.
#[cfg(all(test, feature = "async"))]
mod testing {
    use super::{queue, Receiver};

    /// Claims the next position for a push and leaves its slot unwritten.
    pub(crate) fn claim_push<T>(rx: &Receiver<T>) -> u64 {
        queue::claim_push(&rx.chan.queue)
    }

    /// Writes `value` at the position `claim_push` returned, publishes it and
    /// notifies the receivers' cell.
    pub(crate) fn finish_push<T>(rx: &Receiver<T>, claimed: u64, value: T) {
        queue::finish_push(&rx.chan.queue, claimed, value);
    }
}
