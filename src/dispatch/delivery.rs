//! What a handler is given, how a failure is told, and what becomes of a message
//! that keeps failing: [`Delivery`], [`EventUpdate`], [`Failure`], [`Retry`],
//! [`DeadLetter`]. Panics in handlers, callbacks and `Drop`s are caught here.

use super::backoff::{Backoff, Jitter, Now};
use crate::dedup::Dedup;
use core::hash::{BuildHasher, Hash};
use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::prelude::rust_2021::*;
use std::time::{Duration, Instant};

/// One delivery of a message to its handler.
///
/// ```
/// use ringkit::dispatch::{Delivery, Dispatcher};
/// use std::sync::{Arc, Mutex};
///
/// let (mut tx, rx) = ringkit::spsc::channel::<String>(4);
/// let got = Arc::new(Mutex::new(Vec::new()));
/// let log = got.clone();
/// let mut dispatcher = Dispatcher::new();
/// dispatcher.on_spsc(rx, move |Delivery { seq, attempt, message }| {
///     log.lock().unwrap().push((seq, attempt, message.clone()));
///     if attempt == 1 {
///         message.push_str(", again"); // kept for the redelivery
///         return Err(());
///     }
///     Ok(())
/// });
/// tx.try_push("hello".to_string()).unwrap();
/// dispatcher.poll();
/// dispatcher.poll();
/// assert_eq!(
///     *got.lock().unwrap(),
///     [(0, 1, "hello".to_string()), (0, 2, "hello, again".to_string())]
/// );
/// ```
#[derive(Debug)]
pub struct Delivery<'a, T> {
    /// The message's sequence number in its ring (SPSC: `Consumer::next_seq`
    /// numbering; MPMC: the queue's, see `Receiver::try_pop_with_seq`). A
    /// redelivery carries the same number.
    pub seq: u64,
    /// 1 for the first delivery, one more for each redelivery.
    pub attempt: u32,
    /// The message, in place. Changes made by a handler that then fails are seen
    /// by the redelivery.
    pub message: &'a mut T,
}

/// A new value seen on an event flag.
///
/// ```
/// use ringkit::dispatch::{Dispatcher, EventUpdate};
/// use ringkit::event::EventFlag;
/// use std::sync::{Arc, Mutex};
///
/// let flag = Arc::new(EventFlag::new([0u64; 2]));
/// let got = Arc::new(Mutex::new(Vec::new()));
/// let log = got.clone();
/// let mut dispatcher = Dispatcher::new();
/// dispatcher.on_event(flag.clone(), move |update| {
///     log.lock().unwrap().push(update);
///     Ok::<(), ()>(())
/// });
/// flag.publish([1, 10]);
/// dispatcher.poll();
/// flag.publish([2, 20]);
/// flag.publish([3, 30]);
/// dispatcher.poll();
/// assert_eq!(
///     *got.lock().unwrap(),
///     [
///         EventUpdate { generation: 1, value: [1, 10], skipped: 0, attempt: 1 },
///         EventUpdate { generation: 3, value: [3, 30], skipped: 1, attempt: 1 },
///     ]
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventUpdate<T> {
    /// The flag's generation of `value`.
    pub generation: u64,
    /// The value published under `generation`.
    pub value: T,
    /// Generations published since the last one this handler acknowledged (or
    /// since the registration) that it never saw.
    pub skipped: u64,
    /// 1 for the first delivery of this generation, one more for each retry.
    pub attempt: u32,
}

/// Why a delivery failed.
///
/// ```
/// use ringkit::dispatch::{Dispatcher, Failure, Retry};
/// use std::sync::{Arc, Mutex};
///
/// let (mut tx, rx) = ringkit::spsc::channel::<u8>(4);
/// let why = Arc::new(Mutex::new(Vec::new()));
/// let sink = why.clone();
/// let retry = Retry::attempts(1).dead_letter(move |letter| {
///     let reason = match letter.failure {
///         Failure::Error(e) => format!("error: {e}"),
///         Failure::Panic(payload) => {
///             format!("panic: {}", payload.downcast_ref::<&str>().unwrap())
///         }
///     };
///     sink.lock().unwrap().push(reason);
/// });
/// let mut dispatcher = Dispatcher::new();
/// dispatcher.on_spsc_with(rx, retry, |d| match *d.message {
///     0 => Err("zero"),
///     1 => panic!("one"), // caught by the dispatcher
///     _ => Ok(()),
/// });
/// tx.try_push(0).unwrap();
/// tx.try_push(1).unwrap();
/// dispatcher.poll();
/// dispatcher.poll();
/// assert_eq!(*why.lock().unwrap(), ["error: zero", "panic: one"]);
/// ```
pub enum Failure<E> {
    /// The handler returned `Err`.
    Error(E),
    /// The handler panicked; the panic's payload.
    Panic(Box<dyn Any + Send + 'static>),
}

impl<E: core::fmt::Debug> core::fmt::Debug for Failure<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Failure::Error(e) => f.debug_tuple("Error").field(e).finish(),
            Failure::Panic(_) => f.write_str("Panic(..)"),
        }
    }
}

/// A message that failed its last allowed attempt, handed over by value.
///
/// ```
/// use ringkit::dispatch::{DeadLetter, Dispatcher, Failure, Retry};
/// use std::sync::{Arc, Mutex};
///
/// let (tx, rx) = ringkit::mpmc::channel::<&str>(4);
/// let dead = Arc::new(Mutex::new(None));
/// let sink = dead.clone();
/// let retry = Retry::attempts(2).dead_letter(move |letter| *sink.lock().unwrap() = Some(letter));
/// let mut dispatcher = Dispatcher::new();
/// dispatcher.on_mpmc_with(rx, retry, |_| Err("unreachable host"));
/// tx.try_push("ping").unwrap();
/// dispatcher.poll();
/// dispatcher.poll();
/// let letter: DeadLetter<&str, &str> = dead.lock().unwrap().take().unwrap();
/// assert_eq!((letter.seq, letter.attempts, letter.message), (0, 2, "ping"));
/// assert!(matches!(letter.failure, Failure::Error("unreachable host")));
/// ```
#[derive(Debug)]
pub struct DeadLetter<M, E> {
    /// The message's sequence number (for an event flag, its generation).
    pub seq: u64,
    /// How many deliveries failed.
    pub attempts: u32,
    /// The message (for an event flag, the [`EventUpdate`] of the last attempt).
    pub message: M,
    /// Why the last attempt failed.
    pub failure: Failure<E>,
}

type DeadLetterFn<M, E> = Box<dyn FnMut(DeadLetter<M, E>) + Send>;

/// How often a source's messages are tried, and where they go after that.
///
/// ```
/// use ringkit::dispatch::{Dispatcher, Retry};
/// use std::sync::{Arc, Mutex};
///
/// let (mut tx, rx) = ringkit::spsc::channel::<u32>(4);
/// let dead = Arc::new(Mutex::new(Vec::new()));
/// let sink = dead.clone();
/// // Two attempts per message, then to `dead` instead of being dropped.
/// let retry = Retry::attempts(2)
///     .dead_letter(move |letter| sink.lock().unwrap().push(letter.message));
/// let mut dispatcher = Dispatcher::new();
/// dispatcher.on_spsc_with(rx, retry, |d| {
///     if *d.message % 2 == 1 {
///         Err(())
///     } else {
///         Ok(())
///     }
/// });
/// tx.try_push(1).unwrap();
/// tx.try_push(2).unwrap();
/// for _ in 0..3 {
///     dispatcher.poll();
/// }
/// assert_eq!(*dead.lock().unwrap(), [1]);
/// assert!(tx.is_empty());
/// ```
pub struct Retry<M, E> {
    pub(super) attempts: u32,
    dead_letter: Option<DeadLetterFn<M, E>>,
    backoff: Option<Backoff>,
    jitter: Jitter,
    dedup: Option<Box<dyn Gate<M>>>,
}

/// A source's window of message ids: which messages to skip, and the record of
/// those handled.
trait Gate<M>: Send {
    fn is_duplicate(&mut self, message: &M, now: &Now<'_>) -> bool;
    fn record(&mut self, message: &M, now: &Now<'_>);
}

/// A [`Dedup`] and how to get a message's id.
struct IdGate<K, S, F> {
    window: Dedup<K, S>,
    id: F,
}

impl<M, K, S, F> Gate<M> for IdGate<K, S, F>
where
    K: Hash + Eq + Send,
    S: BuildHasher + Send,
    F: Fn(&M) -> K + Send,
{
    fn is_duplicate(&mut self, message: &M, now: &Now<'_>) -> bool {
        let id = (self.id)(message);
        if self.window.needs_clock() {
            self.window.is_duplicate_at(&id, now.get())
        } else {
            self.window.is_duplicate(&id)
        }
    }

    fn record(&mut self, message: &M, now: &Now<'_>) {
        let id = (self.id)(message);
        if self.window.needs_clock() {
            // After the handler: the time it acknowledged, not when the poll began.
            self.window.record_at(id, now.fresh());
        } else {
            self.window.record(id);
        }
    }
}

impl<M, E> Retry<M, E> {
    /// At most `attempts` deliveries per message.
    ///
    /// # Panics
    /// If `attempts` is 0.
    ///
    /// ```
    /// use ringkit::dispatch::{Dispatcher, Retry};
    /// use std::sync::{atomic::{AtomicU32, Ordering}, Arc};
    ///
    /// let (mut tx, rx) = ringkit::spsc::channel::<u8>(4);
    /// let calls = Arc::new(AtomicU32::new(0));
    /// let counter = calls.clone();
    /// let mut dispatcher = Dispatcher::new();
    /// dispatcher.on_spsc_with(rx, Retry::attempts(1), move |_| {
    ///     counter.fetch_add(1, Ordering::Relaxed);
    ///     Err(())
    /// });
    /// tx.try_push(0).unwrap();
    /// dispatcher.poll(); // the only attempt fails: the message is dropped
    /// assert_eq!(dispatcher.poll(), 0);
    /// assert_eq!(calls.load(Ordering::Relaxed), 1);
    /// assert!(tx.is_empty());
    /// ```
    #[must_use]
    #[track_caller]
    pub fn attempts(attempts: u32) -> Self {
        assert!(attempts > 0, "ringkit::dispatch::Retry::attempts(0)");
        Retry {
            attempts,
            dead_letter: None,
            backoff: None,
            jitter: Jitter::new(),
            dedup: None,
        }
    }

    /// Calls `f` with every message that failed its last attempt (without it,
    /// such a message is dropped).
    ///
    /// The letter is `f`'s from the call on. If `f` panics, the dispatcher
    /// catches the panic and goes on; the letter goes wherever `f`'s unwinding
    /// puts it (dropped once, unless `f` stored it first). See the
    /// [module docs](super#panics-in-handlers-callbacks-jobs-and-drops).
    ///
    /// ```
    /// use ringkit::dispatch::{Dispatcher, Retry};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let (mut tx, rx) = ringkit::spsc::channel::<String>(4);
    /// let parked = Arc::new(Mutex::new(Vec::new()));
    /// let sink = parked.clone();
    /// let retry = Retry::attempts(1)
    ///     .dead_letter(move |letter| sink.lock().unwrap().push(letter.message));
    /// let mut dispatcher = Dispatcher::new();
    /// dispatcher.on_spsc_with(rx, retry, |_| Err(()));
    /// tx.try_push("late order".to_string()).unwrap();
    /// dispatcher.poll();
    /// assert_eq!(*parked.lock().unwrap(), ["late order"]); // handed over, not dropped
    /// ```
    #[must_use]
    pub fn dead_letter(mut self, f: impl FnMut(DeadLetter<M, E>) + Send + 'static) -> Self {
        self.dead_letter = Some(Box::new(f));
        self
    }

    /// Waits as `backoff` says between a failed attempt and the next, instead of
    /// delivering again at the next poll. See [`Backoff`] for what the source and
    /// the dispatcher do meanwhile.
    ///
    /// ```
    /// use ringkit::dispatch::{Backoff, Dispatcher, Retry};
    /// use std::sync::{Arc, Mutex};
    /// use std::time::{Duration, Instant};
    ///
    /// // A clock of our own, so the example does not wait.
    /// let t0 = Instant::now();
    /// let now = Arc::new(Mutex::new(t0));
    /// let clock = now.clone();
    /// let mut dispatcher = Dispatcher::new().with_clock(move || *clock.lock().unwrap());
    /// let (mut tx, rx) = ringkit::spsc::channel::<u32>(4);
    /// let retry = Retry::attempts(3).backoff(Backoff::fixed(Duration::from_secs(5)));
    /// dispatcher.on_spsc_with(rx, retry, |d| if d.attempt == 1 { Err(()) } else { Ok(()) });
    /// tx.try_push(7).unwrap();
    /// assert_eq!(dispatcher.poll(), 1); // the first attempt fails
    /// *now.lock().unwrap() = t0 + Duration::from_secs(4);
    /// assert_eq!(dispatcher.poll(), 0); // not due yet
    /// *now.lock().unwrap() = t0 + Duration::from_secs(5);
    /// assert_eq!(dispatcher.poll(), 1); // the second attempt succeeds
    /// assert!(tx.is_empty());
    /// ```
    #[must_use]
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = Some(backoff);
        self
    }

    /// Skips messages whose id is in `window`: such a message is acknowledged
    /// (removed and dropped) without running the handler, and `window` counts it
    /// and calls its [`on_duplicate`](Dedup::on_duplicate) callback. A message's
    /// id, `id(&message)`, goes into the window when its handler acknowledges
    /// it. For SPSC and MPMC sources (an event flag's updates carry no ids; on an
    /// event source's `Retry` the window is not used). The window moves into the
    /// dispatcher: read the count through the callback.
    ///
    /// A panic in `id`, in the id's `Hash` or `Eq`, or in the window's callback
    /// while a message is checked is a failed delivery of that message (caught,
    /// as a handler's panic is); while its id is recorded after the handler
    /// acknowledged it, the panic is caught and the id stays unrecorded.
    ///
    /// ```
    /// use ringkit::dedup::Dedup;
    /// use ringkit::dispatch::{Dispatcher, Retry};
    /// use std::sync::{atomic::{AtomicU64, Ordering}, Arc};
    ///
    /// let (tx, rx) = ringkit::mpmc::channel::<(u64, &str)>(8);
    /// let dups = Arc::new(AtomicU64::new(0));
    /// let d = dups.clone();
    /// let window = Dedup::new(1024).on_duplicate(move |_id: &u64| {
    ///     d.fetch_add(1, Ordering::Relaxed);
    /// });
    /// let handled = Arc::new(AtomicU64::new(0));
    /// let h = handled.clone();
    /// let mut dispatcher = Dispatcher::new();
    /// dispatcher.on_mpmc_with(rx, Retry::default().dedup(window, |m: &(u64, &str)| m.0), move |_| {
    ///     h.fetch_add(1, Ordering::Relaxed);
    ///     Ok::<(), ()>(())
    /// });
    /// for m in [(1, "debit"), (2, "credit"), (1, "debit")] {
    ///     tx.try_push(m).unwrap(); // the second (1, "debit") is a resend
    /// }
    /// dispatcher.poll();
    /// assert_eq!(handled.load(Ordering::Relaxed), 2);
    /// assert_eq!(dups.load(Ordering::Relaxed), 1);
    /// assert!(tx.is_empty());
    /// ```
    #[must_use]
    pub fn dedup<K, S>(mut self, window: Dedup<K, S>, id: impl Fn(&M) -> K + Send + 'static) -> Self
    where
        M: 'static,
        K: Hash + Eq + Send + 'static,
        S: BuildHasher + Send + 'static,
    {
        self.dedup = Some(Box::new(IdGate { window, id }));
        self
    }

    /// When a message that has just failed its `failures`-th attempt may be
    /// delivered again: `None` for at once (no backoff). Measured from now (the
    /// clock read afresh), not from when the attempt began.
    pub(super) fn retry_at(&mut self, failures: u32, now: &Now<'_>) -> Option<Instant> {
        let wait = self.backoff?.wait(failures, &mut self.jitter);
        let failed_at = now.fresh();
        Some(
            failed_at
                .checked_add(wait)
                .unwrap_or_else(|| far_future(failed_at)),
        )
    }

    /// One delivery of `message`: `None` if its id is in the window (a
    /// duplicate, to acknowledge without the handler); otherwise what `handler`
    /// said, or the panic of checking the window, as a failure. On success the
    /// id goes into the window.
    pub(super) fn attempt(
        &mut self,
        message: &mut M,
        now: &Now<'_>,
        handler: impl FnOnce(&mut M) -> Result<(), E>,
    ) -> Option<Result<(), Failure<E>>> {
        let outcome = match self.is_duplicate(message, now) {
            Ok(true) => return None,
            Ok(false) => deliver(|| handler(&mut *message)),
            Err(payload) => Err(Failure::Panic(payload)),
        };
        if outcome.is_ok() {
            self.record(message, now);
        }
        Some(outcome)
    }

    /// Whether `message` is a duplicate to skip (see [`Retry::dedup`]); the
    /// payload of a panic in the id function, the id's `Hash`/`Eq` or the
    /// window's callback, which the caller treats as a failed delivery.
    fn is_duplicate(
        &mut self,
        message: &M,
        now: &Now<'_>,
    ) -> Result<bool, Box<dyn Any + Send + 'static>> {
        match self.dedup.as_mut() {
            Some(gate) => catch_unwind(AssertUnwindSafe(|| gate.is_duplicate(message, now))),
            None => Ok(false),
        }
    }

    /// Records that `message` was acknowledged (see [`Retry::dedup`]). A panic
    /// in the id function or the id's `Hash`/`Eq` is caught: the message stays
    /// acknowledged, its id unrecorded.
    fn record(&mut self, message: &M, now: &Now<'_>) {
        if let Some(gate) = self.dedup.as_mut() {
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| gate.record(message, now))) {
                drop_payload(payload);
            }
        }
    }

    /// Hands `letter` to the dead-letter callback, or drops it if there is none.
    /// A panic in the callback (the letter is the callback's from the call on) or
    /// in the letter's `Drop` is caught.
    pub(super) fn give_up(&mut self, letter: DeadLetter<M, E>) {
        match &mut self.dead_letter {
            Some(f) => {
                if let Err(payload) = catch_unwind(AssertUnwindSafe(|| f(letter))) {
                    drop_payload(payload);
                }
            }
            None => drop_caught(letter),
        }
    }
}

impl<M, E> Default for Retry<M, E> {
    fn default() -> Self {
        Self::attempts(super::DEFAULT_ATTEMPTS)
    }
}

impl<M, E> core::fmt::Debug for Retry<M, E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Retry")
            .field("attempts", &self.attempts)
            .field("dead_letter", &self.dead_letter.is_some())
            .field("backoff", &self.backoff)
            .field("dedup", &self.dedup.is_some())
            .finish()
    }
}

/// Runs a handler, turning an `Err` or a panic into a [`Failure`].
pub(super) fn deliver<E>(f: impl FnOnce() -> Result<(), E>) -> Result<(), Failure<E>> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(Failure::Error(e)),
        Err(payload) => Err(Failure::Panic(payload)),
    }
}

/// Drops `value`, catching a panic in its `Drop`.
pub(super) fn drop_caught<T>(value: T) {
    if core::mem::needs_drop::<T>() {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(value))) {
            drop_payload(payload);
        }
    }
}

/// Drops a caught panic's payload; one whose own `Drop` panics is leaked rather
/// than let out.
pub(super) fn drop_payload(payload: Box<dyn Any + Send + 'static>) {
    if let Err(inner) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        core::mem::forget(inner);
    }
}

/// A deadline so far off that it never comes: for a retry time past what an
/// `Instant` can hold.
fn far_future(now: Instant) -> Instant {
    // About 30 years: every platform's `Instant` can hold that much past now.
    now + Duration::from_secs(30 * 365 * 24 * 3600)
}
