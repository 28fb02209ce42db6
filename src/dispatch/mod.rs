//! Callbacks with acknowledgement: handlers that run on the receiving thread.
//!
//! A [`Dispatcher`] is owned by one thread. Handlers are registered for sources,
//! an SPSC [`Consumer`](spsc::Consumer), an MPMC [`Receiver`](mpmc::Receiver), a
//! broadcast [`Subscriber`], an [`EventFlag`], an [`Event`] or a [`JobExecutor`],
//! and [`poll`](Dispatcher::poll) or [`run`](Dispatcher::run) calls them, on that
//! thread, with what has arrived. In async code,
//! [`run_async`](Dispatcher::run_async) is `run` as a future: it waits as a
//! task instead of parking the thread.
//!
//! ```
//! use ringkit::dispatch::{Dispatcher, RunEnd};
//! use std::sync::{atomic::{AtomicU64, Ordering}, Arc};
//!
//! let (mut tx, rx) = ringkit::spsc::channel::<u64>(16);
//! let sum = Arc::new(AtomicU64::new(0));
//! let mut dispatcher = Dispatcher::new();
//! let total = sum.clone();
//! dispatcher.on_spsc(rx, move |d| {
//!     if *d.message == 3 && d.attempt == 1 {
//!         return Err("not yet"); // left in the ring, redelivered with the same seq
//!     }
//!     total.fetch_add(*d.message, Ordering::Relaxed);
//!     Ok(())
//! });
//! let producer = std::thread::spawn(move || {
//!     for i in 1..=4 {
//!         tx.push(i).unwrap();
//!     }
//! }); // dropping `tx` disconnects
//! assert_eq!(dispatcher.run(), RunEnd::Disconnected);
//! producer.join().unwrap();
//! assert_eq!(sum.load(Ordering::Relaxed), 10);
//! ```
//!
//! # Acknowledgement
//!
//! A message handler gets a [`Delivery`]: the message (by `&mut`, in place), its
//! sequence number in its ring and the delivery attempt (1 for the first). It
//! returns `Ok(())` to acknowledge. Only then is the message removed and dropped.
//! An `Err` or a panic (caught; the dispatcher is not poisoned) leaves it in place,
//! and the next poll delivers it again with the same sequence number and the next
//! attempt number. After [`Retry::attempts`] failed attempts (default
//! [`DEFAULT_ATTEMPTS`]) the message goes, by value, to the source's dead-letter
//! callback ([`Retry::dead_letter`]; without one it is dropped).
//!
//! Nothing is lost and nothing is handled twice: each message ends exactly once,
//! acknowledged (removed and dropped, never delivered again) or handed to the
//! dead-letter callback (or dropped, without one). Until then it stays in its
//! ring or in the dispatcher. Nothing is dropped twice, whatever a `Drop`, a
//! handler or a callback does.
//!
//! * SPSC: messages are read in place ([`ReadChunk`](spsc::ReadChunk)) and
//!   removed after their handler succeeds, so a failed message stays in the ring,
//!   at its head, and the ones behind it wait: order is kept.
//! * MPMC: a pop is destructive (another receiver could take the next message), so
//!   the popped message waits in the source's pending slot, **owned by this
//!   dispatcher, never lost** while the dispatcher lives, until its handler
//!   succeeds or it is dead-lettered. Dropping the dispatcher drops it, as dropping
//!   a receiver drops what it had popped.
//! * Event flags carry only the newest value: a handler gets an [`EventUpdate`]
//!   with the generation, the value and how many generations it skipped since the
//!   last one it acknowledged. A failed update is retried with the newest value
//!   (whose generation may have moved on; the attempt count restarts then), and
//!   after the last attempt it is dead-lettered and counts as seen.
//!
//! # Retry delays and duplicates
//!
//! By default a failed message is delivered again at the next poll. With
//! [`Retry::backoff`] it waits first ([`Backoff::fixed`], or
//! [`Backoff::exponential`] up to a cap, optionally [with
//! jitter](Backoff::with_jitter)), so that a downstream that is briefly
//! unavailable has time to come back before the message is dead-lettered. The
//! order is strict: while a message waits, its source delivers nothing, and the
//! messages behind it wait with it (an SPSC source's stay in the ring; an MPMC
//! source pops nothing more, so other receivers of the channel may take them).
//! The dispatcher serves its other sources meanwhile, and [`run`](Dispatcher::run)
//! parks until the earliest retry is due when nothing else is ready. Delays are
//! measured on [`Dispatcher::with_clock`] (`Instant::now` by default), read only
//! when a retry is waiting or being scheduled.
//!
//! A sender that hears no acknowledgement may send a message again. With
//! [`Retry::dedup`] a queue source keeps a window ([`Dedup`](crate::dedup::Dedup))
//! of the ids of the messages its handler acknowledged: a message whose id is in
//! it is acknowledged at once, without running the handler, and counted. A
//! failed attempt records nothing, so its redelivery runs the handler.
//!
//! # Panics in handlers, callbacks, jobs and `Drop`s
//!
//! [`poll`](Dispatcher::poll) and [`run`](Dispatcher::run) do not unwind from a
//! panic in code they call. Each panic is caught where it happens, the
//! dispatcher goes on and is not poisoned, and `run` still ends only as
//! [`RunEnd`] says:
//!
//! * a handler's panic is a failed delivery ([`Failure::Panic`] with the payload):
//!   the message is delivered again or dead-lettered, as for an `Err`;
//! * a dead-letter callback's panic: the letter was handed over by value, so it
//!   is the callback's from the call on; what the callback has not put elsewhere
//!   is dropped, once, as the panic unwinds it (if that `Drop` panics too, the
//!   process aborts: a panic while unwinding always does). The source goes on
//!   with its next message;
//! * a message's `Drop` that panics when the dispatcher drops the message (on
//!   acknowledgement, or after its last attempt without a dead-letter callback):
//!   the message counts as removed, and the messages acknowledged in the same
//!   poll are removed and dropped all the same; none is delivered again;
//! * a job's panic: the job is gone;
//! * the `Drop` of a finished source (its receiver, its handler's captured
//!   state), which the dispatcher drops inside `poll`.
//!
//! The payload of a caught panic is dropped (one whose own `Drop` panics is
//! leaked). The panic hook reports every panic when it happens, as usual (by
//! default, a line on stderr); set one with [`std::panic::set_hook`] to log or
//! count them. This is what a thread pool or an async runtime does with a task
//! that panics.
//!
//! Dropping the dispatcher drops what it holds (an MPMC source's pending
//! message, the receivers, and with a ring's or channel's last receiver the
//! messages still in it, which nobody can receive any more); a panic in one of
//! those `Drop`s goes on to the code that drops the dispatcher, after everything
//! else in it has been dropped.
//!
//! # Fairness, parking, stopping
//!
//! [`poll`](Dispatcher::poll) visits every source once and hands each at most
//! [`batch`](Dispatcher::with_batch) messages (default [`DEFAULT_BATCH`]), so a
//! busy source cannot starve a quiet one. [`run`](Dispatcher::run) polls in a loop.
//! When nothing is ready it spins briefly, then parks: it arms the wait cell of
//! every source and its own doorbell, re-checks, and sleeps on the doorbell until
//! a push, a publish, a disconnection or a [`Stop`] rings it. Producers pay
//! nothing for this while the dispatcher is busy: their wake-up check stays one
//! plain load, and only a push that finds the source armed takes the cold path
//! (`docs/design.md`, "Parking on several sources", has the proof).
//!
//! [`run_async`](Dispatcher::run_async) waits as a task instead: it leaves its
//! waker in the wait cell of every source and in the doorbell, as a `select!`
//! over `pop_async` futures would, and yields to the executor after each poll
//! that delivered something. Its receives are the async ones: a message or
//! value still being written by a preempted sender or publisher is waited for
//! as a task, never on the executor's thread. A retry delay needs a timer, so it takes the
//! runtime's sleep function.
//!
//! `run` returns [`RunEnd::Stopped`] once [`Stop::stop`] has been called (from any
//! thread; stopping is sticky), and [`RunEnd::Disconnected`] once every queue
//! source (SPSC, MPMC, broadcast, jobs) is disconnected and drained, provided at
//! least one was registered. Event flags and events never disconnect and are not
//! counted: a dispatcher with only those runs until stopped.
//!
//! Handlers and callbacks must be `Send` (so a dispatcher can be built on one
//! thread and moved to the one that runs it) and `'static`.
//!
//! # Jobs
//!
//! [`jobs`] makes a queue of closures: [`JobSubmitter`]s (cloneable, `Send`) hand
//! `FnOnce() + Send` jobs to one [`JobExecutor`], which runs them on its thread,
//! alone or registered in a dispatcher. Each job is one `Box` (no allocation for a
//! closure that captures nothing: a zero-sized box does not allocate).

// A std-only module (the `std` feature): std's prelude, as in any std crate.
mod backoff;
mod delivery;
mod jobs;
#[cfg(feature = "async")]
mod run_async;
mod source;

pub use backoff::Backoff;
pub use delivery::{DeadLetter, Delivery, EventUpdate, Failure, Retry};
pub use jobs::{jobs, Job, JobExecutor, JobSubmitter};

use backoff::Now;
use delivery::drop_caught;
use jobs::JobSource;
use source::{Caller, EventSource, Kind, SignalSource, Source, SpscSource, TakingSource};

use crate::broadcast::Subscriber;
use crate::event::{Event, EventFlag};
use crate::plain::Plain;
use crate::sync::{Arc, AtomicBool, Ordering};
use crate::wait::{spin_until_ready, WaitCell};
use crate::{mpmc, spsc};
use std::prelude::rust_2021::*;
use std::time::Instant;

/// Delivery attempts before a message is dead-lettered, unless [`Retry`] says
/// otherwise.
///
/// ```
/// use ringkit::dispatch::{Dispatcher, DEFAULT_ATTEMPTS};
/// use std::sync::{atomic::{AtomicU32, Ordering}, Arc};
///
/// let (mut tx, rx) = ringkit::spsc::channel::<u8>(1);
/// let calls = Arc::new(AtomicU32::new(0));
/// let counter = calls.clone();
/// let mut dispatcher = Dispatcher::new();
/// dispatcher.on_spsc(rx, move |_| {
///     counter.fetch_add(1, Ordering::Relaxed);
///     Err("always fails")
/// });
/// tx.try_push(0).unwrap();
/// for _ in 0..DEFAULT_ATTEMPTS {
///     dispatcher.poll(); // one attempt per poll
/// }
/// assert_eq!(calls.load(Ordering::Relaxed), DEFAULT_ATTEMPTS);
/// assert!(tx.is_empty()); // given up on (dropped: no dead-letter callback)
/// ```
pub const DEFAULT_ATTEMPTS: u32 = 3;

/// Messages one source may hand to its handler in one poll, unless
/// [`Dispatcher::with_batch`] says otherwise.
///
/// ```
/// use ringkit::dispatch::{Dispatcher, DEFAULT_BATCH};
///
/// let (mut tx, rx) = ringkit::spsc::channel::<usize>(100);
/// for i in 0..100 {
///     tx.try_push(i).unwrap();
/// }
/// let mut dispatcher = Dispatcher::new();
/// dispatcher.on_spsc(rx, |_| Ok::<(), ()>(()));
/// assert_eq!(dispatcher.poll(), DEFAULT_BATCH);
/// assert_eq!(dispatcher.poll(), 100 - DEFAULT_BATCH);
/// ```
pub const DEFAULT_BATCH: usize = 64;

/// How [`Dispatcher::run`] ended.
///
/// ```
/// use ringkit::dispatch::{Dispatcher, RunEnd};
///
/// let mut dispatcher = Dispatcher::new();
/// dispatcher.stop_handle().stop();
/// assert_eq!(dispatcher.run(), RunEnd::Stopped);
///
/// let (tx, rx) = ringkit::spsc::channel::<u8>(4);
/// let mut dispatcher = Dispatcher::new();
/// dispatcher.on_spsc(rx, |_| Ok::<(), ()>(()));
/// drop(tx);
/// assert_eq!(dispatcher.run(), RunEnd::Disconnected);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEnd {
    /// [`Stop::stop`] was called.
    Stopped,
    /// Every queue source is disconnected and drained.
    Disconnected,
}

/// What the dispatcher shares with its [`Stop`] handles and its sources' cells.
struct Shared {
    stop: AtomicBool,
    bell: Arc<WaitCell>,
}

/// Stops a dispatcher's [`run`](Dispatcher::run) (or
/// [`run_async`](Dispatcher::run_async)) from any thread. Cloneable.
///
/// ```
/// use ringkit::dispatch::{Dispatcher, RunEnd};
///
/// let mut dispatcher = Dispatcher::new();
/// let stop = dispatcher.stop_handle();
/// std::thread::spawn(move || stop.stop()).join().unwrap();
/// assert_eq!(dispatcher.run(), RunEnd::Stopped);
/// ```
#[derive(Clone)]
pub struct Stop {
    shared: Arc<Shared>,
}

impl Stop {
    /// Asks the dispatcher to stop: its `run` (or `run_async`) returns
    /// [`RunEnd::Stopped`] after the poll in progress, or at once if it is
    /// parked (or its task waits). Sticky: later calls return at once. What
    /// this thread did before `stop` is visible to the dispatcher's thread
    /// after `run` (or `run_async`) returns.
    ///
    /// ```
    /// use ringkit::dispatch::{Dispatcher, RunEnd};
    ///
    /// let mut dispatcher = Dispatcher::new();
    /// dispatcher.stop_handle().stop();
    /// assert_eq!(dispatcher.run(), RunEnd::Stopped);
    /// assert_eq!(dispatcher.run(), RunEnd::Stopped); // sticky
    /// ```
    pub fn stop(&self) {
        // ORDERING: [dispatch.stop.release] pairs with [dispatch.stop.acquire] in
        // `Dispatcher::stop_requested`: our earlier writes happen before `run`
        // returns. Loom: dispatch::stop_from_other_thread.
        self.shared.stop.store(true, Ordering::Release);
        self.shared.bell.notify();
    }

    /// True once [`stop`](Self::stop) has been called.
    ///
    /// ```
    /// let dispatcher = ringkit::dispatch::Dispatcher::new();
    /// let stop = dispatcher.stop_handle();
    /// let other = stop.clone();
    /// assert!(!other.is_stopped());
    /// stop.stop();
    /// assert!(other.is_stopped()); // every handle of the dispatcher sees it
    /// ```
    #[must_use]
    pub fn is_stopped(&self) -> bool {
        // ORDERING: Relaxed: a snapshot for the caller; nothing is read on it.
        self.shared.stop.load(Ordering::Relaxed)
    }
}

impl core::fmt::Debug for Stop {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Stop")
            .field("stopped", &self.is_stopped())
            .finish()
    }
}

/// Runs handlers for its sources on the thread that owns it; see the
/// [module docs](self).
///
/// ```
/// use ringkit::dispatch::Dispatcher;
/// use std::sync::{Arc, Mutex};
///
/// let (mut tx, rx) = ringkit::spsc::channel::<u32>(8);
/// let got = Arc::new(Mutex::new(Vec::new()));
/// let log = got.clone();
/// let mut dispatcher = Dispatcher::new();
/// dispatcher.on_spsc(rx, move |d| {
///     log.lock().unwrap().push(*d.message);
///     Ok::<(), ()>(())
/// });
/// tx.try_push(1).unwrap();
/// tx.try_push(2).unwrap();
/// assert_eq!(dispatcher.poll(), 2); // both handled, on this thread
/// assert_eq!(*got.lock().unwrap(), [1, 2]);
/// assert!(tx.is_empty()); // acknowledged, so removed
/// ```
pub struct Dispatcher {
    sources: Vec<Box<dyn Source>>,
    shared: Arc<Shared>,
    /// Scratch space for parking: the key of each armed source cell.
    keys: Vec<u32>,
    /// `run_async`'s places in the wait cells while it waits: the doorbell's,
    /// then one per notifiable source. Kept, so waiting does not allocate.
    #[cfg(feature = "async")]
    tasks: Vec<crate::wait::TaskWait>,
    batch: usize,
    /// Queue sources ever registered (SPSC, MPMC, jobs).
    queues: usize,
    /// What retry deadlines are measured on; `Instant::now` unless a test says.
    clock: Box<dyn Fn() -> Instant + Send>,
}

impl Dispatcher {
    /// A dispatcher with no sources.
    ///
    /// ```
    /// let mut dispatcher = ringkit::dispatch::Dispatcher::new();
    /// assert_eq!(dispatcher.poll(), 0); // no sources, nothing to do
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Dispatcher {
            sources: Vec::new(),
            shared: Arc::new(Shared {
                stop: AtomicBool::new(false),
                bell: Arc::new(WaitCell::new()),
            }),
            keys: Vec::new(),
            #[cfg(feature = "async")]
            tasks: Vec::new(),
            batch: DEFAULT_BATCH,
            queues: 0,
            // A function item: a zero-sized box, no allocation.
            clock: Box::new(Instant::now),
        }
    }

    /// At most `batch` messages per source per poll (at least 1).
    ///
    /// ```
    /// use ringkit::dispatch::Dispatcher;
    ///
    /// let (mut tx, rx) = ringkit::spsc::channel::<u8>(4);
    /// for i in 0..3 {
    ///     tx.try_push(i).unwrap();
    /// }
    /// let mut dispatcher = Dispatcher::new().with_batch(2);
    /// dispatcher.on_spsc(rx, |_| Ok::<(), ()>(()));
    /// assert_eq!(dispatcher.poll(), 2);
    /// assert_eq!(dispatcher.poll(), 1);
    /// ```
    #[must_use]
    pub fn with_batch(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// Measures retry delays ([`Retry::backoff`]) and dedup time spans on
    /// `clock` instead of [`Instant::now`]: for tests and simulations that move
    /// time themselves. `run` still parks in real time, for the time `clock`
    /// says is left until the next retry. `clock` must not panic: unlike a
    /// panic in a handler, one in `clock` unwinds out of `poll` and `run`.
    ///
    /// ```
    /// use ringkit::dispatch::{Backoff, Dispatcher, Retry};
    /// use std::sync::{Arc, Mutex};
    /// use std::time::{Duration, Instant};
    ///
    /// let t0 = Instant::now();
    /// let now = Arc::new(Mutex::new(t0));
    /// let clock = now.clone();
    /// let mut dispatcher = Dispatcher::new().with_clock(move || *clock.lock().unwrap());
    /// let (mut tx, rx) = ringkit::spsc::channel::<u8>(2);
    /// let retry = Retry::attempts(2).backoff(Backoff::fixed(Duration::from_secs(60)));
    /// dispatcher.on_spsc_with(rx, retry, |d| if d.attempt == 1 { Err(()) } else { Ok(()) });
    /// tx.try_push(1).unwrap();
    /// dispatcher.poll(); // fails; due in a minute of `clock` time
    /// *now.lock().unwrap() += Duration::from_secs(60);
    /// assert_eq!(dispatcher.poll(), 1);
    /// assert!(tx.is_empty());
    /// ```
    #[must_use]
    pub fn with_clock(mut self, clock: impl Fn() -> Instant + Send + 'static) -> Self {
        self.clock = Box::new(clock);
        self
    }

    /// A handle that stops [`run`](Self::run) from any thread.
    ///
    /// ```
    /// use ringkit::dispatch::{Dispatcher, RunEnd};
    ///
    /// let mut dispatcher = Dispatcher::new();
    /// let stop = dispatcher.stop_handle();
    /// assert!(!stop.is_stopped());
    /// stop.stop();
    /// assert_eq!(dispatcher.run(), RunEnd::Stopped);
    /// ```
    #[must_use]
    pub fn stop_handle(&self) -> Stop {
        Stop {
            shared: self.shared.clone(),
        }
    }

    fn add(&mut self, source: Box<dyn Source>) {
        source.cell().attach(&self.shared.bell);
        if source.kind() == Kind::Queue {
            self.queues += 1;
        }
        self.sources.push(source);
    }

    /// Handles the messages of an SPSC ring, with the default [`Retry`].
    ///
    /// ```
    /// use ringkit::dispatch::Dispatcher;
    /// use std::sync::{Arc, Mutex};
    ///
    /// let (mut tx, rx) = ringkit::spsc::channel::<&str>(4);
    /// let got = Arc::new(Mutex::new(Vec::new()));
    /// let log = got.clone();
    /// let mut dispatcher = Dispatcher::new();
    /// dispatcher.on_spsc(rx, move |d| {
    ///     log.lock().unwrap().push((d.seq, d.attempt, *d.message));
    ///     if d.attempt == 1 { Err("not yet") } else { Ok(()) }
    /// });
    /// tx.try_push("a").unwrap();
    /// assert_eq!(dispatcher.poll(), 1); // fails: "a" stays in the ring
    /// assert_eq!(tx.len(), 1);
    /// assert_eq!(dispatcher.poll(), 1); // delivered again, and acknowledged
    /// assert!(tx.is_empty());
    /// assert_eq!(*got.lock().unwrap(), [(0, 1, "a"), (0, 2, "a")]);
    /// ```
    pub fn on_spsc<T, E, H>(&mut self, rx: spsc::Consumer<T>, handler: H)
    where
        T: Send + 'static,
        E: 'static,
        H: FnMut(Delivery<'_, T>) -> Result<(), E> + Send + 'static,
    {
        self.on_spsc_with(rx, Retry::default(), handler)
    }

    /// Handles the messages of an SPSC ring, retrying and dead-lettering as
    /// `retry` says.
    ///
    /// ```
    /// use ringkit::dispatch::{Dispatcher, Retry};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let (mut tx, rx) = ringkit::spsc::channel::<&str>(4);
    /// let dead = Arc::new(Mutex::new(Vec::new()));
    /// let sink = dead.clone();
    /// let retry = Retry::attempts(2)
    ///     .dead_letter(move |letter| sink.lock().unwrap().push(letter.message));
    /// let mut dispatcher = Dispatcher::new();
    /// dispatcher.on_spsc_with(rx, retry, |d| {
    ///     if *d.message == "bad" {
    ///         Err(())
    ///     } else {
    ///         Ok(())
    ///     }
    /// });
    /// tx.try_push("bad").unwrap();
    /// tx.try_push("good").unwrap();
    /// dispatcher.poll(); // "bad" fails; "good" waits behind it
    /// dispatcher.poll(); // "bad" fails again: dead-lettered
    /// assert_eq!(*dead.lock().unwrap(), ["bad"]);
    /// assert_eq!(tx.len(), 1);
    /// assert_eq!(dispatcher.poll(), 1); // "good"
    /// assert!(tx.is_empty());
    /// ```
    pub fn on_spsc_with<T, E, H>(&mut self, rx: spsc::Consumer<T>, retry: Retry<T, E>, handler: H)
    where
        T: Send + 'static,
        E: 'static,
        H: FnMut(Delivery<'_, T>) -> Result<(), E> + Send + 'static,
    {
        self.add(Box::new(SpscSource::new(rx, retry, handler)));
    }

    /// Handles the messages of an MPMC channel, with the default [`Retry`].
    ///
    /// ```
    /// use ringkit::dispatch::Dispatcher;
    /// use std::sync::{Arc, Mutex};
    ///
    /// let (tx, rx) = ringkit::mpmc::channel::<u32>(8);
    /// let got = Arc::new(Mutex::new(Vec::new()));
    /// let log = got.clone();
    /// let mut dispatcher = Dispatcher::new();
    /// dispatcher.on_mpmc(rx, move |d| {
    ///     log.lock().unwrap().push((d.seq, *d.message));
    ///     Ok::<(), ()>(())
    /// });
    /// tx.try_push(10).unwrap();
    /// tx.clone().try_push(20).unwrap(); // any sender
    /// assert_eq!(dispatcher.poll(), 2);
    /// assert_eq!(*got.lock().unwrap(), [(0, 10), (1, 20)]);
    /// ```
    pub fn on_mpmc<T, E, H>(&mut self, rx: mpmc::Receiver<T>, handler: H)
    where
        T: Send + 'static,
        E: 'static,
        H: FnMut(Delivery<'_, T>) -> Result<(), E> + Send + 'static,
    {
        self.on_mpmc_with(rx, Retry::default(), handler)
    }

    /// Handles the messages of an MPMC channel, retrying and dead-lettering as
    /// `retry` says.
    ///
    /// ```
    /// use ringkit::dispatch::{Dispatcher, Retry};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let (tx, rx) = ringkit::mpmc::channel::<u32>(8);
    /// let dead = Arc::new(Mutex::new(Vec::new()));
    /// let sink = dead.clone();
    /// // One attempt: a failed message goes straight to the dead-letter callback.
    /// let retry = Retry::attempts(1).dead_letter(move |letter| {
    ///     sink.lock().unwrap().push((letter.seq, letter.message));
    /// });
    /// let mut dispatcher = Dispatcher::new();
    /// dispatcher.on_mpmc_with(rx, retry, |d| {
    ///     if *d.message > 100 {
    ///         Err("too big")
    ///     } else {
    ///         Ok(())
    ///     }
    /// });
    /// tx.try_push(7).unwrap();
    /// tx.try_push(700).unwrap();
    /// dispatcher.poll();
    /// assert_eq!(*dead.lock().unwrap(), [(1, 700)]);
    /// ```
    pub fn on_mpmc_with<T, E, H>(&mut self, rx: mpmc::Receiver<T>, retry: Retry<T, E>, handler: H)
    where
        T: Send + 'static,
        E: 'static,
        H: FnMut(Delivery<'_, T>) -> Result<(), E> + Send + 'static,
    {
        self.add(Box::new(TakingSource::new(rx, retry, handler)));
    }

    /// Handles the events of a broadcast subscriber, with the default
    /// [`Retry`]. Each event is received (the subscriber's position moves on)
    /// and kept by the dispatcher until its handler succeeds, as an MPMC
    /// source keeps its pending message. [`Delivery::seq`] is the event's
    /// sequence number; events the publisher overwrote before the dispatcher
    /// read them show as a gap in it (the subscriber's `Lagged`). The source
    /// ends once the publisher is gone and every event is handled.
    ///
    /// ```
    /// use ringkit::dispatch::{Dispatcher, RunEnd};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let (mut publisher, sub) = ringkit::broadcast::channel::<u32>(2);
    /// let got = Arc::new(Mutex::new(Vec::new()));
    /// let log = got.clone();
    /// let mut dispatcher = Dispatcher::new();
    /// dispatcher.on_broadcast(sub, move |d| {
    ///     log.lock().unwrap().push((d.seq, *d.message));
    ///     Ok::<(), ()>(())
    /// });
    /// for v in [10, 20, 30] {
    ///     publisher.publish(v); // the third overwrites the first
    /// }
    /// drop(publisher);
    /// assert_eq!(dispatcher.run(), RunEnd::Disconnected);
    /// assert_eq!(*got.lock().unwrap(), [(1, 20), (2, 30)]); // event 0 was lost
    /// ```
    pub fn on_broadcast<T, E, H>(&mut self, sub: Subscriber<T>, handler: H)
    where
        T: Plain,
        E: 'static,
        H: FnMut(Delivery<'_, T>) -> Result<(), E> + Send + 'static,
    {
        self.on_broadcast_with(sub, Retry::default(), handler)
    }

    /// Like [`on_broadcast`](Self::on_broadcast), retrying and dead-lettering
    /// as `retry` says.
    ///
    /// ```
    /// use ringkit::dispatch::{Dispatcher, Retry};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let (mut publisher, sub) = ringkit::broadcast::channel::<u32>(4);
    /// let dead = Arc::new(Mutex::new(Vec::new()));
    /// let sink = dead.clone();
    /// let retry = Retry::attempts(2).dead_letter(move |letter| {
    ///     sink.lock().unwrap().push((letter.seq, letter.message));
    /// });
    /// let mut dispatcher = Dispatcher::new();
    /// dispatcher.on_broadcast_with(sub, retry, |d| if *d.message == 0 { Err(()) } else { Ok(()) });
    /// publisher.publish(0);
    /// publisher.publish(1);
    /// assert_eq!(dispatcher.poll(), 1); // event 0 fails; event 1 waits behind it
    /// assert_eq!(dispatcher.poll(), 1); // event 0 fails again: dead-lettered
    /// assert_eq!(*dead.lock().unwrap(), [(0, 0)]);
    /// assert_eq!(dispatcher.poll(), 1); // event 1
    /// ```
    pub fn on_broadcast_with<T, E, H>(&mut self, sub: Subscriber<T>, retry: Retry<T, E>, handler: H)
    where
        T: Plain,
        E: 'static,
        H: FnMut(Delivery<'_, T>) -> Result<(), E> + Send + 'static,
    {
        self.add(Box::new(TakingSource::new(sub, retry, handler)));
    }

    /// Calls `handler` once for each set of `event` that a poll observes, with
    /// the default [`Retry`]: [`Delivery::seq`] counts the sets delivered (0 for
    /// the first), and the message is `()`. An auto-reset event's set is
    /// consumed by the dispatcher (as a `try_wait` would). A manual-reset
    /// event is only looked at: a set is delivered once, however long the
    /// event stays set, and a set that follows a reset is a new one. Sets
    /// that come while one is being handled (or waits for its retry) are
    /// coalesced into the next delivery, as an event's sets are. A set that
    /// is pending when the event is added is delivered. Like an event flag, an
    /// event never disconnects, and neither ends `run` nor keeps it alive.
    ///
    /// ```
    /// use ringkit::dispatch::Dispatcher;
    /// use ringkit::event::Event;
    /// use std::sync::{Arc, Mutex};
    ///
    /// let reload = Arc::new(Event::manual_reset());
    /// let got = Arc::new(Mutex::new(Vec::new()));
    /// let log = got.clone();
    /// let mut dispatcher = Dispatcher::new();
    /// dispatcher.on_signal(reload.clone(), move |d| {
    ///     log.lock().unwrap().push(d.seq);
    ///     Ok::<(), ()>(())
    /// });
    /// assert_eq!(dispatcher.poll(), 0);
    /// reload.set();
    /// assert_eq!(dispatcher.poll(), 1);
    /// assert_eq!(dispatcher.poll(), 0); // still set, but already delivered
    /// reload.reset();
    /// reload.set();
    /// assert_eq!(dispatcher.poll(), 1); // a new set
    /// assert_eq!(*got.lock().unwrap(), [0, 1]);
    /// ```
    pub fn on_signal<E, H>(&mut self, event: std::sync::Arc<Event>, handler: H)
    where
        E: 'static,
        H: FnMut(Delivery<'_, ()>) -> Result<(), E> + Send + 'static,
    {
        self.on_signal_with(event, Retry::default(), handler)
    }

    /// Like [`on_signal`](Self::on_signal), retrying and dead-lettering as
    /// `retry` says.
    ///
    /// ```
    /// use ringkit::dispatch::{Dispatcher, Retry};
    /// use ringkit::event::Event;
    /// use std::sync::{Arc, Mutex};
    ///
    /// let wake = Arc::new(Event::auto_reset());
    /// let attempts = Arc::new(Mutex::new(Vec::new()));
    /// let log = attempts.clone();
    /// let mut dispatcher = Dispatcher::new();
    /// dispatcher.on_signal_with(wake.clone(), Retry::attempts(3), move |d| {
    ///     log.lock().unwrap().push(d.attempt);
    ///     if d.attempt < 2 { Err("busy") } else { Ok(()) }
    /// });
    /// wake.set();
    /// assert_eq!(dispatcher.poll(), 1); // consumes the set; the handler fails
    /// assert!(!wake.is_set());
    /// assert_eq!(dispatcher.poll(), 1); // delivered again, and handled
    /// assert_eq!(dispatcher.poll(), 0);
    /// assert_eq!(*attempts.lock().unwrap(), [1, 2]);
    /// ```
    pub fn on_signal_with<E, H>(
        &mut self,
        event: std::sync::Arc<Event>,
        retry: Retry<(), E>,
        handler: H,
    ) where
        E: 'static,
        H: FnMut(Delivery<'_, ()>) -> Result<(), E> + Send + 'static,
    {
        self.add(Box::new(SignalSource::new(event, retry, handler)));
    }

    /// Calls `handler` with each new generation of `flag` that a poll observes
    /// (newer than the one current now), with the default [`Retry`].
    ///
    /// ```
    /// use ringkit::dispatch::Dispatcher;
    /// use ringkit::event::EventFlag;
    /// use std::sync::{Arc, Mutex};
    ///
    /// let flag = Arc::new(EventFlag::new(0u64));
    /// flag.publish(1); // before the registration: not delivered
    /// let got = Arc::new(Mutex::new(Vec::new()));
    /// let log = got.clone();
    /// let mut dispatcher = Dispatcher::new();
    /// dispatcher.on_event(flag.clone(), move |u| {
    ///     log.lock().unwrap().push((u.generation, u.value, u.skipped));
    ///     Ok::<(), ()>(())
    /// });
    /// assert_eq!(dispatcher.poll(), 0);
    /// flag.publish(20);
    /// flag.publish(30);
    /// assert_eq!(dispatcher.poll(), 1); // the newest value only
    /// assert_eq!(*got.lock().unwrap(), [(3, 30, 1)]); // generation 2 was skipped
    /// ```
    pub fn on_event<T, E, H>(&mut self, flag: std::sync::Arc<EventFlag<T>>, handler: H)
    where
        T: Plain,
        E: 'static,
        H: FnMut(EventUpdate<T>) -> Result<(), E> + Send + 'static,
    {
        self.on_event_with(flag, Retry::default(), handler)
    }

    /// Like [`on_event`](Self::on_event), retrying and dead-lettering as `retry`
    /// says.
    ///
    /// ```
    /// use ringkit::dispatch::{Dispatcher, EventUpdate, Retry};
    /// use ringkit::event::EventFlag;
    /// use std::sync::{Arc, Mutex};
    ///
    /// let flag = Arc::new(EventFlag::new(0u32));
    /// let dead = Arc::new(Mutex::new(Vec::new()));
    /// let sink = dead.clone();
    /// let retry = Retry::<EventUpdate<u32>, &str>::attempts(2).dead_letter(move |letter| {
    ///     sink.lock().unwrap().push(letter.message.value);
    /// });
    /// let mut dispatcher = Dispatcher::new();
    /// dispatcher.on_event_with(flag.clone(), retry, |_| Err("no"));
    /// flag.publish(5);
    /// assert_eq!(dispatcher.poll(), 1); // attempt 1 fails
    /// assert_eq!(dispatcher.poll(), 1); // attempt 2 fails: dead-lettered
    /// assert_eq!(dispatcher.poll(), 0); // and counted as seen
    /// assert_eq!(*dead.lock().unwrap(), [5]);
    /// ```
    pub fn on_event_with<T, E, H>(
        &mut self,
        flag: std::sync::Arc<EventFlag<T>>,
        retry: Retry<EventUpdate<T>, E>,
        handler: H,
    ) where
        T: Plain,
        E: 'static,
        H: FnMut(EventUpdate<T>) -> Result<(), E> + Send + 'static,
    {
        self.add(Box::new(EventSource::new(flag, retry, handler)));
    }

    /// Runs the jobs of `exec` here. A job that panics is gone (the panic is
    /// caught and its payload dropped); the dispatcher goes on.
    ///
    /// ```
    /// use ringkit::dispatch::{jobs, Dispatcher, RunEnd};
    /// use std::sync::{atomic::{AtomicUsize, Ordering}, Arc};
    ///
    /// let (submit, exec) = jobs(4);
    /// let mut dispatcher = Dispatcher::new();
    /// dispatcher.on_jobs(exec);
    /// let ran = Arc::new(AtomicUsize::new(0));
    /// let counter = ran.clone();
    /// submit.try_submit(move || { counter.fetch_add(1, Ordering::Relaxed); }).unwrap();
    /// submit.try_submit(|| panic!("a job that panics")).unwrap();
    /// assert_eq!(dispatcher.poll(), 2); // the panic is caught
    /// assert_eq!(ran.load(Ordering::Relaxed), 1);
    /// drop(submit);
    /// assert_eq!(dispatcher.run(), RunEnd::Disconnected);
    /// ```
    pub fn on_jobs(&mut self, exec: JobExecutor) {
        self.add(Box::new(JobSource::new(exec)));
    }

    /// Visits every source once and runs its handler over what is available, at
    /// most the batch size per source. Returns the number of deliveries (handler
    /// calls, including failed ones, duplicates skipped, and jobs run). A source
    /// whose failed message waits for its [retry delay](Retry::backoff) delivers
    /// nothing until it is due. Never blocks (except, briefly,
    /// for an MPMC push that has claimed a slot and is still writing it, or a
    /// broadcast publish that is writing the slot a subscriber source reads).
    ///
    /// Does not unwind from a panic in a handler, a dead-letter callback, a job or
    /// a message's `Drop`: see the
    /// [module docs](self#panics-in-handlers-callbacks-jobs-and-drops).
    ///
    /// ```
    /// use ringkit::dispatch::Dispatcher;
    ///
    /// let (mut tx, rx) = ringkit::spsc::channel::<u8>(4);
    /// let mut dispatcher = Dispatcher::new();
    /// dispatcher.on_spsc(rx, |d| if d.attempt == 1 { Err(()) } else { Ok(()) });
    /// tx.try_push(7).unwrap();
    /// assert_eq!(dispatcher.poll(), 1); // a failed delivery counts too
    /// assert_eq!(tx.len(), 1); // and leaves the message in the ring
    /// assert_eq!(dispatcher.poll(), 1); // attempt 2 succeeds
    /// assert!(tx.is_empty());
    /// assert_eq!(dispatcher.poll(), 0); // nothing to do: returns at once
    /// ```
    pub fn poll(&mut self) -> usize {
        self.poll_by(Caller::Thread)
    }

    /// [`poll`](Self::poll), with the MPMC receives that `by` allows.
    fn poll_by(&mut self, by: Caller) -> usize {
        let batch = self.batch;
        let now = Now::new(&*self.clock);
        let did = self
            .sources
            .iter_mut()
            .map(|s| s.poll(batch, &now, by))
            .sum();
        if self.sources.iter().any(|s| s.finished()) {
            let bell = &self.shared.bell;
            let mut i = 0;
            while i < self.sources.len() {
                if self.sources[i].finished() {
                    let source = self.sources.remove(i);
                    source.cell().detach(bell);
                    // The handler's captured state and the receiver go here; a
                    // panic in their `Drop` is caught like one in a handler.
                    drop_caught(source);
                } else {
                    i += 1;
                }
            }
        }
        did
    }

    /// Polls until stopped or disconnected, parking (no CPU used) while every
    /// source is empty; see the [module docs](self) for when it returns. Like
    /// [`poll`](Self::poll), it does not unwind from a panic in user code.
    ///
    /// ```
    /// use ringkit::dispatch::{Dispatcher, RunEnd};
    /// use std::sync::{atomic::{AtomicU32, Ordering}, Arc};
    ///
    /// let (mut tx, rx) = ringkit::spsc::channel::<u32>(4);
    /// let sum = Arc::new(AtomicU32::new(0));
    /// let total = sum.clone();
    /// let mut dispatcher = Dispatcher::new();
    /// dispatcher.on_spsc(rx, move |d| {
    ///     total.fetch_add(*d.message, Ordering::Relaxed);
    ///     Ok::<(), ()>(())
    /// });
    /// for i in 1..=3 {
    ///     tx.try_push(i).unwrap();
    /// }
    /// drop(tx);
    /// assert_eq!(dispatcher.run(), RunEnd::Disconnected); // after handling all three
    /// assert_eq!(sum.load(Ordering::Relaxed), 6);
    /// ```
    pub fn run(&mut self) -> RunEnd {
        loop {
            if self.stop_requested() {
                return RunEnd::Stopped;
            }
            if self.all_disconnected() {
                return RunEnd::Disconnected;
            }
            // A poll that finished the last queue source did nothing, but must not
            // be followed by a park: check again first.
            if self.poll() > 0 || self.all_disconnected() {
                continue;
            }
            self.idle();
        }
    }

    /// True if queue sources were registered and every one has been removed as
    /// disconnected and drained.
    fn all_disconnected(&self) -> bool {
        self.queues > 0 && self.sources.iter().all(|s| s.kind() == Kind::Event)
    }

    fn stop_requested(&self) -> bool {
        // ORDERING: [dispatch.stop.acquire] pairs with [dispatch.stop.release] in
        // `Stop::stop`.
        self.shared.stop.load(Ordering::Acquire)
    }

    /// Nothing was ready: spin briefly, then park until a source or a stop rings,
    /// or until the earliest retry is due.
    fn idle(&mut self) {
        let wake_at = match self.earliest_retry() {
            None => None,
            Some(at) => {
                let now = (self.clock)();
                if now >= at {
                    return; // due: poll again
                }
                // The clock may be the caller's: park for the time it says is left.
                Instant::now().checked_add(at - now)
            }
        };
        if spin_until_ready(wake_at, || self.looks_ready()) {
            return;
        }
        let Dispatcher {
            sources,
            shared,
            keys,
            ..
        } = self;
        shared.bell.park_any(armed(sources), keys, wake_at, || {
            // ORDERING: Relaxed: only decides whether to sleep; `run` re-reads the
            // flag with acquire at the top of its loop.
            shared.stop.load(Ordering::Relaxed) || sources.iter().any(|s| s.looks_ready())
        });
    }

    /// When the earliest failed message waiting for its retry delay is due.
    fn earliest_retry(&self) -> Option<Instant> {
        self.sources.iter().filter_map(|s| s.retry_at()).min()
    }

    fn looks_ready(&self) -> bool {
        // ORDERING: Relaxed, as in `idle`.
        self.shared.stop.load(Ordering::Relaxed) || self.sources.iter().any(|s| s.looks_ready())
    }
}

/// The wait cells a parking dispatcher arms: those of the sources that can
/// become ready by a notify. A source whose failed message waits for its retry
/// cannot (its deadline, a timer, wakes the dispatcher), so pushes into it do
/// not wake the dispatcher for nothing.
fn armed(sources: &[Box<dyn Source>]) -> impl Iterator<Item = &WaitCell> + Clone {
    notifiable(sources).map(|s| s.cell())
}

/// The sources that a notify can make ready: all but those whose failed message
/// waits for its retry.
fn notifiable(sources: &[Box<dyn Source>]) -> impl Iterator<Item = &Box<dyn Source>> + Clone {
    sources.iter().filter(|s| s.retry_at().is_none())
}

impl Default for Dispatcher {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Dispatcher {
    fn drop(&mut self) {
        for s in &self.sources {
            s.cell().detach(&self.shared.bell);
        }
    }
}

impl core::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("sources", &self.sources.len())
            .field("batch", &self.batch)
            .finish()
    }
}

static_assertions::assert_impl_all!(Dispatcher: Send);
static_assertions::assert_impl_all!(Stop: Send, Sync, Clone);
static_assertions::assert_impl_all!(JobSubmitter: Send, Sync, Clone);
static_assertions::assert_impl_all!(JobExecutor: Send);
static_assertions::assert_not_impl_any!(JobExecutor: Clone);

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::time::Duration;

    /// While a source waits for its retry, a parking dispatcher does not arm
    /// its cell, so a push into it does not wake the dispatcher.
    #[test]
    fn a_source_waiting_for_its_retry_is_not_armed() {
        let t0 = Instant::now();
        let now = std::sync::Arc::new(Mutex::new(t0));
        let clock = now.clone();
        let mut d = Dispatcher::new().with_clock(move || *clock.lock().unwrap());
        let (mut tx, rx) = spsc::channel::<u8>(4);
        let retry = Retry::attempts(2).backoff(Backoff::fixed(Duration::from_secs(10)));
        d.on_spsc_with(rx, retry, |m| if m.attempt == 1 { Err(()) } else { Ok(()) });
        let (_tx2, rx2) = spsc::channel::<u8>(4);
        d.on_spsc(rx2, |_| Ok::<(), ()>(()));
        assert_eq!(armed(&d.sources).count(), 2);
        tx.try_push(1).unwrap();
        assert_eq!(d.poll(), 1);
        assert_eq!(
            armed(&d.sources).count(),
            1,
            "the waiting source is left out"
        );
        *now.lock().unwrap() = t0 + Duration::from_secs(10);
        assert_eq!(d.poll(), 1);
        assert_eq!(armed(&d.sources).count(), 2);
    }

    /// `run_async` over sources whose next message is still being written by
    /// a stalled sender: an MPMC push (a message or a job) that has claimed its
    /// slot, or a publish (broadcast, event flag) that has begun its write.
    #[cfg(feature = "async")]
    mod stalled {
        use super::super::{jobs, Dispatcher, RunEnd};
        use crate::broadcast::{self, resume, stall};
        use crate::event::{resume_publish, stall_publish, EventFlag};
        use crate::mpmc::{self, claim_push, finish_push};
        use crate::test_waker::Count;
        use crate::wait::TASK_YIELD_LIMIT;
        use std::boxed::Box;
        use std::future::{Future, Ready};
        use std::pin::pin;
        use std::sync::atomic::{AtomicU32, Ordering};
        use std::sync::{Arc, Mutex};
        use std::task::{Context, Poll, Wake, Waker};
        use std::time::Duration;

        /// A sleep that must never be called: no retry delays here.
        fn no_timer(_: Duration) -> Ready<()> {
            panic!("sleep called without a retry delay")
        }

        /// Polls a dispatcher whose only source's next message is still being
        /// written (the caller stalled its sender): the task waits for it in
        /// the source's cell rather than on the executor's thread (a thread's
        /// receive waits in place and, with the sender stalled for good, never
        /// returns). `finish` lets the sender end its write, which wakes the
        /// task, and returns what ends the run (`end` says how); `done` reads
        /// what the handler saw (7).
        fn waits_for_the_stalled_sender<S: FnOnce()>(
            mut d: Dispatcher,
            finish: impl FnOnce() -> S,
            done: impl Fn() -> u32,
            end: RunEnd,
        ) {
            let (count, waker) = Count::waker();
            let mut cx = Context::from_waker(&waker);
            let mut run = pin!(d.run_async(no_timer));
            // Each poll finds the slot unwritten and gives up; the wait is in
            // two cells, the doorbell and the source's.
            let armed = count.poll_until_armed(2, || run.as_mut().poll(&mut cx).is_pending());

            let ending = finish();
            // The write's end wakes the task in the source's cell, and again
            // through the doorbell that cell rings.
            assert_eq!(count.get(), armed + 2);
            assert!(run.as_mut().poll(&mut cx).is_pending()); // delivers, yields
            assert_eq!(done(), 7);
            ending();
            assert_eq!(run.as_mut().poll(&mut cx), Poll::Ready(end));
        }

        /// A handler's or job's result, read back on this thread.
        fn seen() -> (Arc<AtomicU32>, impl Fn() -> u32) {
            let got = Arc::new(AtomicU32::new(0));
            let read = got.clone();
            // ORDERING: Relaxed; stored and read on this thread.
            (got, move || read.load(Ordering::Relaxed))
        }

        #[test]
        fn run_async_waits_for_a_stalled_mpmc_push_as_a_task() {
            let (tx, rx) = mpmc::channel::<u32>(2);
            let stalled = rx.clone();
            let (got, done) = seen();
            let mut d = Dispatcher::new();
            d.on_mpmc(rx, move |m| {
                // ORDERING: Relaxed; see `seen`.
                got.store(*m.message, Ordering::Relaxed);
                Ok::<(), ()>(())
            });
            let claimed = claim_push(&stalled);
            let finish = move || {
                finish_push(&stalled, claimed, 7);
                || drop(tx)
            };
            waits_for_the_stalled_sender(d, finish, done, RunEnd::Disconnected);
        }

        /// A waker that, the first time it is woken, runs a closure.
        struct OnWake(Mutex<Option<Box<dyn FnOnce() + Send>>>);

        impl Wake for OnWake {
            fn wake(self: Arc<Self>) {
                self.wake_by_ref();
            }

            fn wake_by_ref(self: &Arc<Self>) {
                if let Some(then) = self.0.lock().unwrap().take() {
                    then();
                }
            }
        }

        /// A stop that lands while the idle wait's attempt takes a message:
        /// the wait checks the doorbell (not stopped yet), the push ends and
        /// the stop comes (here from the waker the doorbell's yield wakes),
        /// then the source's attempt takes the message. The run delivers it
        /// before it returns `Stopped`, so no message it took is left behind.
        /// The stop comes from the doorbell's yield, so the task must yield at
        /// least once before it arms.
        #[test]
        fn a_stop_during_the_wait_returns_after_what_the_wait_took_is_delivered() {
            const _: () = assert!(TASK_YIELD_LIMIT >= 1, "the stop needs a yield");
            let (tx, rx) = mpmc::channel::<u32>(2);
            let stalled = rx.clone();
            let (got, done) = seen();
            let mut d = Dispatcher::new();
            d.on_mpmc(rx, move |m| {
                // ORDERING: Relaxed; see `seen`.
                got.store(*m.message, Ordering::Relaxed);
                Ok::<(), ()>(())
            });
            let stop = d.stop_handle();
            let claimed = claim_push(&stalled);
            let then: Box<dyn FnOnce() + Send> = Box::new(move || {
                finish_push(&stalled, claimed, 7);
                stop.stop();
            });
            let waker = Waker::from(Arc::new(OnWake(Mutex::new(Some(then)))));
            let mut cx = Context::from_waker(&waker);
            let mut run = pin!(d.run_async(no_timer));
            // The poll finds the slot claimed; the wait takes the message;
            // the poll after the wait delivers it and yields.
            assert!(run.as_mut().poll(&mut cx).is_pending());
            assert_eq!(done(), 7);
            assert_eq!(run.as_mut().poll(&mut cx), Poll::Ready(RunEnd::Stopped));
            drop(tx);
        }

        #[test]
        fn run_async_waits_for_a_stalled_job_submit_as_a_task() {
            let (submit, exec) = jobs(2);
            let stalled = exec.receiver().clone();
            let (ran, done) = seen();
            // ORDERING: Relaxed; see `seen`.
            let job = jobs::Job::new(move || ran.store(7, Ordering::Relaxed));
            let mut d = Dispatcher::new();
            d.on_jobs(exec);
            let claimed = claim_push(&stalled);
            let finish = move || {
                finish_push(&stalled, claimed, job);
                || drop(submit)
            };
            waits_for_the_stalled_sender(d, finish, done, RunEnd::Disconnected);
        }

        #[test]
        fn run_async_waits_for_a_stalled_publish_as_a_task() {
            let (mut publisher, sub) = broadcast::channel::<u32>(2);
            let (got, done) = seen();
            let mut d = Dispatcher::new();
            d.on_broadcast(sub, move |m| {
                // ORDERING: Relaxed; see `seen`.
                got.store(*m.message, Ordering::Relaxed);
                Ok::<(), ()>(())
            });
            let stamp = stall(&publisher, 0);
            let finish = move || {
                resume(&publisher, 0, stamp); // the slot as before the write
                publisher.publish(7); // the write, from its start to its notify
                || drop(publisher)
            };
            waits_for_the_stalled_sender(d, finish, done, RunEnd::Disconnected);
        }

        #[test]
        fn run_async_waits_for_a_stalled_flag_publish_as_a_task() {
            let flag = Arc::new(EventFlag::new(0u32));
            let (got, done) = seen();
            let mut d = Dispatcher::new();
            d.on_event(flag.clone(), move |u| {
                // ORDERING: Relaxed; see `seen`.
                got.store(u.value, Ordering::Relaxed);
                Ok::<(), ()>(())
            });
            let stop = d.stop_handle();
            flag.publish(1); // newer than what the source has seen
            let stalled = stall_publish(&flag); // a second publish has begun
            let finish = move || {
                resume_publish(&flag, stalled); // the flag as before it
                flag.publish(7); // the write, from its start to its notify
                move || stop.stop() // a flag never disconnects
            };
            waits_for_the_stalled_sender(d, finish, done, RunEnd::Stopped);
        }
    }
}
