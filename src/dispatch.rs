//! Callbacks with acknowledgement: handlers that run on the receiving thread.
//!
//! A [`Dispatcher`] is owned by one thread. Handlers are registered for sources,
//! an SPSC [`Consumer`](spsc::Consumer), an MPMC [`Receiver`](mpmc::Receiver), an
//! [`EventFlag`] or a [`JobExecutor`], and [`poll`](Dispatcher::poll) or
//! [`run`](Dispatcher::run) calls them, on that thread, with what has arrived.
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
//! message, the receivers); a panic in one of those `Drop`s goes on to the code
//! that drops the dispatcher, after everything else in it has been dropped.
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
//! `run` returns [`RunEnd::Stopped`] once [`Stop::stop`] has been called (from any
//! thread; stopping is sticky), and [`RunEnd::Disconnected`] once every queue
//! source (SPSC, MPMC, jobs) is disconnected and drained, provided at least one was
//! registered. Event flags never disconnect and are not counted: a dispatcher with
//! event flags only runs until stopped.
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
use crate::event::EventFlag;
use crate::seqlock::Plain;
use crate::sync::{spin_hint, Arc, AtomicBool, Ordering, SPIN_LIMIT};
use crate::wait::WaitCell;
use crate::{mpmc, spsc, PopError, PushError};
use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::prelude::rust_2021::*;

/// Delivery attempts before a message is dead-lettered, unless [`Retry`] says
/// otherwise.
pub const DEFAULT_ATTEMPTS: u32 = 3;

/// Messages one source may hand to its handler in one poll, unless
/// [`Dispatcher::with_batch`] says otherwise.
pub const DEFAULT_BATCH: usize = 64;

/// One delivery of a message to its handler.
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
pub struct Retry<M, E> {
    attempts: u32,
    dead_letter: Option<DeadLetterFn<M, E>>,
}

impl<M, E> Retry<M, E> {
    /// At most `attempts` deliveries per message.
    ///
    /// # Panics
    /// If `attempts` is 0.
    pub fn attempts(attempts: u32) -> Self {
        assert!(attempts > 0, "ringkit::dispatch::Retry::attempts(0)");
        Retry {
            attempts,
            dead_letter: None,
        }
    }

    /// Calls `f` with every message that failed its last attempt (without it,
    /// such a message is dropped).
    ///
    /// The letter is `f`'s from the call on. If `f` panics, the dispatcher
    /// catches the panic and goes on; the letter goes wherever `f`'s unwinding
    /// puts it (dropped once, unless `f` stored it first). See the
    /// [module docs](self#panics-in-handlers-callbacks-jobs-and-drops).
    pub fn dead_letter(mut self, f: impl FnMut(DeadLetter<M, E>) + Send + 'static) -> Self {
        self.dead_letter = Some(Box::new(f));
        self
    }

    /// Hands `letter` to the dead-letter callback, or drops it if there is none.
    /// A panic in the callback (the letter is the callback's from the call on) or
    /// in the letter's `Drop` is caught.
    fn give_up(&mut self, letter: DeadLetter<M, E>) {
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
        Self::attempts(DEFAULT_ATTEMPTS)
    }
}

impl<M, E> core::fmt::Debug for Retry<M, E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Retry")
            .field("attempts", &self.attempts)
            .field("dead_letter", &self.dead_letter.is_some())
            .finish()
    }
}

/// Runs a handler, turning an `Err` or a panic into a [`Failure`].
fn deliver<E>(f: impl FnOnce() -> Result<(), E>) -> Result<(), Failure<E>> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(Failure::Error(e)),
        Err(payload) => Err(Failure::Panic(payload)),
    }
}

/// Drops `value`, catching a panic in its `Drop`.
fn drop_caught<T>(value: T) {
    if core::mem::needs_drop::<T>() {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(value))) {
            drop_payload(payload);
        }
    }
}

/// Drops a caught panic's payload; one whose own `Drop` panics is leaked rather
/// than let out.
fn drop_payload(payload: Box<dyn Any + Send + 'static>) {
    if let Err(inner) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        core::mem::forget(inner);
    }
}

/// Removes the first `k` items of `chunk` (acknowledged messages) from the ring,
/// each exactly once, and drops them. A panic in one's `Drop` is caught and the
/// others are still removed and dropped.
fn remove_acknowledged<T>(chunk: spsc::ReadChunk<'_, T>, k: usize) {
    if !core::mem::needs_drop::<T>() {
        chunk.commit(k);
        return;
    }
    // Each item taken by the iterator is removed from the ring; nothing unwinds
    // past it (every drop is caught), and the rest of the chunk stays.
    for message in chunk.into_iter().take(k) {
        drop_caught(message);
    }
}

/// How [`Dispatcher::run`] ended.
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

/// Stops a dispatcher's [`run`](Dispatcher::run) from any thread. Cloneable.
#[derive(Clone)]
pub struct Stop {
    shared: Arc<Shared>,
}

impl Stop {
    /// Asks the dispatcher to stop: its `run` returns [`RunEnd::Stopped`] after the
    /// poll in progress, or at once if it is parked. Sticky: later `run` calls
    /// return at once. What this thread did before `stop` is visible to the
    /// dispatcher's thread after `run` returns.
    pub fn stop(&self) {
        // ORDERING: [dispatch.stop.release] pairs with [dispatch.stop.acquire] in
        // `Dispatcher::stop_requested`: our earlier writes happen before `run`
        // returns. Loom: dispatch::stop_from_other_thread.
        self.shared.stop.store(true, Ordering::Release);
        self.shared.bell.notify();
    }

    /// True once [`stop`](Self::stop) has been called.
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

/// What a source says about itself after a poll.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Disconnects (SPSC, MPMC, jobs).
    Queue,
    /// Never disconnects (event flags).
    Event,
}

trait Source: Send {
    /// Hands at most `batch` messages to the handler; returns the deliveries made
    /// (handler calls, jobs run).
    fn poll(&mut self, batch: usize) -> usize;
    /// True if a poll might find something to do (a cheap relaxed check, used
    /// before and while parking).
    fn looks_ready(&self) -> bool;
    /// True once the source is disconnected and has nothing left.
    fn finished(&self) -> bool;
    fn cell(&self) -> &WaitCell;
    fn kind(&self) -> Kind;
}

struct SpscSource<T, E, H> {
    rx: spsc::Consumer<T>,
    handler: H,
    retry: Retry<T, E>,
    /// The sequence number of the message that failed last (the head of the
    /// ring) and its failed deliveries so far.
    failing: Option<(u64, u32)>,
    done: bool,
}

impl<T, E, H> Source for SpscSource<T, E, H>
where
    T: Send,
    H: FnMut(Delivery<'_, T>) -> Result<(), E> + Send,
{
    fn poll(&mut self, batch: usize) -> usize {
        let n = self.rx.len().min(batch);
        if n == 0 {
            // The acquire load in `is_abandoned` makes every push visible to `len`.
            self.done = self.rx.is_abandoned() && self.rx.is_empty();
            return 0;
        }
        let Ok(mut chunk) = self.rx.read_chunk(n) else {
            return 0; // not reached: `len` saw `n` items and only we take them
        };
        let first = chunk.first_seq();
        let mut acked = 0;
        let mut failure = None;
        let (a, b) = chunk.as_mut_slices();
        for (i, message) in a.iter_mut().chain(b.iter_mut()).enumerate() {
            let seq = first.wrapping_add(i as u64);
            let attempt = match self.failing {
                Some((failed, failures)) if failed == seq => failures + 1,
                _ => 1,
            };
            let handler = &mut self.handler;
            match deliver(|| {
                handler(Delivery {
                    seq,
                    attempt,
                    message,
                })
            }) {
                Ok(()) => acked += 1,
                Err(f) => {
                    failure = Some((seq, attempt, f));
                    break;
                }
            }
        }
        let delivered = acked + usize::from(failure.is_some());
        // Only the head can have failed before, and a failure ends the batch: the
        // failed message, if any, is the new head, and no other one has failed.
        self.failing = failure.as_ref().map(|&(seq, attempt, _)| (seq, attempt));
        remove_acknowledged(chunk, acked);
        if let Some((seq, attempts, failure)) = failure {
            if attempts >= self.retry.attempts {
                self.failing = None;
                debug_assert_eq!(self.rx.next_seq(), seq);
                let Ok(message) = self.rx.try_pop() else {
                    unreachable!("the failed message is still at the head of the ring")
                };
                self.retry.give_up(DeadLetter {
                    seq,
                    attempts,
                    message,
                    failure,
                });
            } else {
                drop_caught(failure);
            }
        }
        delivered
    }

    fn looks_ready(&self) -> bool {
        self.rx.looks_ready()
    }

    fn finished(&self) -> bool {
        self.done
    }

    fn cell(&self) -> &WaitCell {
        self.rx.data_cell()
    }

    fn kind(&self) -> Kind {
        Kind::Queue
    }
}

/// A popped MPMC message waiting for its handler to succeed.
struct Pending<T> {
    seq: u64,
    failures: u32,
    message: T,
}

struct MpmcSource<T, E, H> {
    rx: mpmc::Receiver<T>,
    handler: H,
    retry: Retry<T, E>,
    /// Owned by this dispatcher from the pop until the handler succeeds.
    pending: Option<Pending<T>>,
    done: bool,
}

impl<T, E, H> Source for MpmcSource<T, E, H>
where
    T: Send,
    H: FnMut(Delivery<'_, T>) -> Result<(), E> + Send,
{
    fn poll(&mut self, batch: usize) -> usize {
        let mut delivered = 0;
        while delivered < batch {
            if self.pending.is_none() {
                match self.rx.try_pop_with_seq() {
                    Ok((seq, message)) => {
                        self.pending = Some(Pending {
                            seq,
                            failures: 0,
                            message,
                        })
                    }
                    Err(e) => {
                        self.done = e == PopError::Disconnected;
                        break;
                    }
                }
            }
            let Some(p) = self.pending.as_mut() else {
                break;
            };
            delivered += 1;
            let handler = &mut self.handler;
            let (seq, attempt) = (p.seq, p.failures + 1);
            let message = &mut p.message;
            match deliver(|| {
                handler(Delivery {
                    seq,
                    attempt,
                    message,
                })
            }) {
                Ok(()) => {
                    // Acknowledged: out of the pending slot, then dropped.
                    drop_caught(self.pending.take());
                }
                Err(failure) => {
                    p.failures = attempt;
                    if attempt >= self.retry.attempts {
                        if let Some(p) = self.pending.take() {
                            self.retry.give_up(DeadLetter {
                                seq,
                                attempts: attempt,
                                message: p.message,
                                failure,
                            });
                        }
                    } else {
                        drop_caught(failure);
                    }
                    break; // redelivered on the next poll
                }
            }
        }
        delivered
    }

    fn looks_ready(&self) -> bool {
        self.pending.is_some() || self.rx.looks_ready()
    }

    fn finished(&self) -> bool {
        self.done && self.pending.is_none()
    }

    fn cell(&self) -> &WaitCell {
        self.rx.data_cell()
    }

    fn kind(&self) -> Kind {
        Kind::Queue
    }
}

struct EventSource<T: Plain, E, H> {
    flag: std::sync::Arc<EventFlag<T>>,
    handler: H,
    retry: Retry<EventUpdate<T>, E>,
    /// The last generation acknowledged (or dead-lettered).
    seen: u64,
    /// The generation that failed last, and how often.
    failing: u64,
    failures: u32,
}

impl<T, E, H> Source for EventSource<T, E, H>
where
    T: Plain,
    H: FnMut(EventUpdate<T>) -> Result<(), E> + Send,
{
    fn poll(&mut self, _batch: usize) -> usize {
        if self.flag.generation() == self.seen {
            return 0;
        }
        let (generation, value) = self.flag.read();
        let attempt = if generation == self.failing {
            self.failures + 1
        } else {
            1
        };
        let update = EventUpdate {
            generation,
            value,
            skipped: generation.wrapping_sub(self.seen).wrapping_sub(1),
            attempt,
        };
        let handler = &mut self.handler;
        match deliver(|| handler(update)) {
            Ok(()) => {
                self.seen = generation;
                self.failures = 0;
            }
            Err(failure) => {
                self.failing = generation;
                self.failures = attempt;
                if attempt >= self.retry.attempts {
                    self.seen = generation;
                    self.failures = 0;
                    self.retry.give_up(DeadLetter {
                        seq: generation,
                        attempts: attempt,
                        message: update,
                        failure,
                    });
                } else {
                    drop_caught(failure);
                }
            }
        }
        1
    }

    fn looks_ready(&self) -> bool {
        self.flag.generation() != self.seen
    }

    fn finished(&self) -> bool {
        false
    }

    fn cell(&self) -> &WaitCell {
        self.flag.data_cell()
    }

    fn kind(&self) -> Kind {
        Kind::Event
    }
}

struct JobSource {
    exec: JobExecutor,
    done: bool,
}

impl Source for JobSource {
    fn poll(&mut self, batch: usize) -> usize {
        let mut ran = 0;
        while ran < batch {
            match self.exec.rx.try_pop() {
                Ok(job) => {
                    ran += 1;
                    // A panicking job is gone (it was a FnOnce); its payload is
                    // dropped and the dispatcher goes on.
                    if let Err(payload) = catch_unwind(AssertUnwindSafe(|| job.run())) {
                        drop_payload(payload);
                    }
                }
                Err(e) => {
                    self.done = e == PopError::Disconnected;
                    break;
                }
            }
        }
        ran
    }

    fn looks_ready(&self) -> bool {
        self.exec.rx.looks_ready()
    }

    fn finished(&self) -> bool {
        self.done
    }

    fn cell(&self) -> &WaitCell {
        self.exec.rx.data_cell()
    }

    fn kind(&self) -> Kind {
        Kind::Queue
    }
}

/// Runs handlers for its sources on the thread that owns it; see the
/// [module docs](self).
pub struct Dispatcher {
    sources: Vec<Box<dyn Source>>,
    shared: Arc<Shared>,
    /// Scratch space for parking: the key of each armed source cell.
    keys: Vec<u32>,
    batch: usize,
    /// Queue sources ever registered (SPSC, MPMC, jobs).
    queues: usize,
}

impl Dispatcher {
    /// A dispatcher with no sources.
    pub fn new() -> Self {
        Dispatcher {
            sources: Vec::new(),
            shared: Arc::new(Shared {
                stop: AtomicBool::new(false),
                bell: Arc::new(WaitCell::new()),
            }),
            keys: Vec::new(),
            batch: DEFAULT_BATCH,
            queues: 0,
        }
    }

    /// At most `batch` messages per source per poll (at least 1).
    pub fn with_batch(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// A handle that stops [`run`](Self::run) from any thread.
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
    pub fn on_spsc_with<T, E, H>(&mut self, rx: spsc::Consumer<T>, retry: Retry<T, E>, handler: H)
    where
        T: Send + 'static,
        E: 'static,
        H: FnMut(Delivery<'_, T>) -> Result<(), E> + Send + 'static,
    {
        let mut rx = rx;
        // Hands the producer the slots of items a forgotten chunk iterator took:
        // from here on every way the dispatcher takes items publishes, but a poll
        // that finds the ring empty does not, and the producer may be waiting.
        rx.publish_taken();
        self.add(Box::new(SpscSource {
            rx,
            handler,
            retry,
            failing: None,
            done: false,
        }));
    }

    /// Handles the messages of an MPMC channel, with the default [`Retry`].
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
    pub fn on_mpmc_with<T, E, H>(&mut self, rx: mpmc::Receiver<T>, retry: Retry<T, E>, handler: H)
    where
        T: Send + 'static,
        E: 'static,
        H: FnMut(Delivery<'_, T>) -> Result<(), E> + Send + 'static,
    {
        self.add(Box::new(MpmcSource {
            rx,
            handler,
            retry,
            pending: None,
            done: false,
        }));
    }

    /// Calls `handler` with each new generation of `flag` that a poll observes
    /// (newer than the one current now), with the default [`Retry`].
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
        let seen = flag.generation();
        self.add(Box::new(EventSource {
            flag,
            handler,
            retry,
            seen,
            failing: seen,
            failures: 0,
        }));
    }

    /// Runs the jobs of `exec` here. A job that panics is gone (the panic is
    /// caught and its payload dropped); the dispatcher goes on.
    pub fn on_jobs(&mut self, exec: JobExecutor) {
        self.add(Box::new(JobSource { exec, done: false }));
    }

    /// Visits every source once and runs its handler over what is available, at
    /// most the batch size per source. Returns the number of deliveries (handler
    /// calls, including failed ones, and jobs run). Never blocks (except, briefly,
    /// for an MPMC push that has claimed a slot and is still writing it).
    ///
    /// Does not unwind from a panic in a handler, a dead-letter callback, a job or
    /// a message's `Drop`: see the
    /// [module docs](self#panics-in-handlers-callbacks-jobs-and-drops).
    pub fn poll(&mut self) -> usize {
        let batch = self.batch;
        let did = self.sources.iter_mut().map(|s| s.poll(batch)).sum();
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

    /// Nothing was ready: spin briefly, then park until a source or a stop rings.
    fn idle(&mut self) {
        for _ in 0..SPIN_LIMIT {
            if self.looks_ready() {
                return;
            }
            spin_hint();
        }
        let Dispatcher {
            sources,
            shared,
            keys,
            ..
        } = self;
        shared
            .bell
            .park_any(sources.iter().map(|s| s.cell()), keys, || {
                // ORDERING: Relaxed: only decides whether to sleep; `run` re-reads the
                // flag with acquire at the top of its loop.
                shared.stop.load(Ordering::Relaxed) || sources.iter().any(|s| s.looks_ready())
            });
    }

    fn looks_ready(&self) -> bool {
        // ORDERING: Relaxed, as in `idle`.
        self.shared.stop.load(Ordering::Relaxed) || self.sources.iter().any(|s| s.looks_ready())
    }
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

/// A job: a boxed `FnOnce() + Send`. One heap allocation per job, none for a
/// closure that captures nothing.
pub struct Job(Box<dyn FnOnce() + Send + 'static>);

impl Job {
    /// Wraps a closure.
    pub fn new(f: impl FnOnce() + Send + 'static) -> Self {
        Job(Box::new(f))
    }

    /// Runs the job here.
    pub fn run(self) {
        (self.0)()
    }
}

impl core::fmt::Debug for Job {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Job(..)")
    }
}

/// Creates a job queue of `capacity` slots: cloneable submitters and one executor.
///
/// Either side may be dropped first. When the executor is gone, a submit hands
/// the job back in [`PushError::Disconnected`] (run it yourself or drop it). Jobs
/// still queued when the executor is dropped are dropped unrun, with the queue,
/// by whichever thread drops the last handle.
///
/// # Panics
/// If `capacity` is 0 or too large (as [`mpmc::channel`]).
///
/// ```
/// let (submit, mut exec) = ringkit::dispatch::jobs(8);
/// let worker = std::thread::spawn(move || {
///     for i in 0..3 {
///         submit.submit(move || println!("job {i} runs on the executor's thread")).unwrap();
///     }
/// }); // the last submitter is gone: `run` returns once the queue is empty
/// exec.run();
/// worker.join().unwrap();
/// ```
pub fn jobs(capacity: usize) -> (JobSubmitter, JobExecutor) {
    let (tx, rx) = mpmc::channel(capacity);
    (JobSubmitter { tx }, JobExecutor { rx })
}

/// Submits jobs to a [`JobExecutor`]; made by [`jobs`]. Cloneable, `Send` and `Sync`.
#[derive(Clone, Debug)]
pub struct JobSubmitter {
    tx: mpmc::Sender<Job>,
}

impl JobSubmitter {
    /// Queues `f` without blocking: `Full(job)` if the queue is full,
    /// `Disconnected(job)` if the executor is gone.
    pub fn try_submit(&self, f: impl FnOnce() + Send + 'static) -> Result<(), PushError<Job>> {
        self.tx.try_push(Job::new(f))
    }

    /// Queues `f`, blocking while the queue is full; `Disconnected(job)` if the
    /// executor is gone.
    pub fn submit(&self, f: impl FnOnce() + Send + 'static) -> Result<(), PushError<Job>> {
        self.tx.push(Job::new(f))
    }

    /// True once the executor is gone.
    pub fn is_disconnected(&self) -> bool {
        self.tx.is_disconnected()
    }
}

/// Runs the jobs of a queue made by [`jobs`], on the thread that calls it. Not
/// `Clone`: one executor.
#[derive(Debug)]
pub struct JobExecutor {
    rx: mpmc::Receiver<Job>,
}

impl JobExecutor {
    /// Runs the jobs queued now, at most `capacity` of them (so it returns even
    /// while submitters keep submitting); returns how many ran. A panicking job's
    /// panic goes on to the caller (that job is gone; the others stay queued).
    pub fn run_pending(&mut self) -> usize {
        let mut ran = 0;
        while ran < self.rx.capacity() {
            let Ok(job) = self.rx.try_pop() else { break };
            ran += 1;
            job.run();
        }
        ran
    }

    /// Runs jobs as they come, sleeping while the queue is empty, until every
    /// submitter is gone and the queue is drained. A job's panic goes on to the
    /// caller.
    pub fn run(&mut self) {
        for job in self.rx.iter() {
            job.run();
        }
    }

    /// True once every submitter is gone (jobs may still be queued).
    pub fn is_disconnected(&self) -> bool {
        self.rx.is_disconnected()
    }
}

static_assertions::assert_impl_all!(Dispatcher: Send);
static_assertions::assert_impl_all!(Stop: Send, Sync, Clone);
static_assertions::assert_impl_all!(JobSubmitter: Send, Sync, Clone);
static_assertions::assert_impl_all!(JobExecutor: Send);
static_assertions::assert_not_impl_any!(JobExecutor: Clone);
