//! The dispatcher's sources: one adapter per kind of primitive, each turning the
//! primitive's messages into handler calls with acknowledgement, redelivery and
//! dead letters.

use super::backoff::Now;
use super::delivery::{deliver, drop_caught, DeadLetter, Delivery, EventUpdate, Retry};
use crate::broadcast::{RecvError, Subscriber};
use crate::event::{Event, EventFlag};
use crate::plain::Plain;
use crate::wait::{WaitCell, Waitable};
use crate::{mpmc, spsc, PopError};
use std::prelude::rust_2021::*;
use std::sync::Arc;
use std::time::Instant;
#[cfg(feature = "async")]
use {
    crate::wait::TaskWait,
    core::task::{Context, Poll},
};

/// Who polls the sources: what a receive may do when the next message (an
/// MPMC slot, a broadcast slot, a flag's value) is still being written by a
/// sender or publisher.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Caller {
    /// `poll` and `run`, on the caller's thread: the receive waits in place
    /// for that write, so a poll that finds it under way delivers it.
    Thread,
    /// `run_async`, a task: the receive never waits on the executor's thread.
    /// It reports nothing there, and the task waits in the source's cell
    /// until the write's end wakes it (see [`Source::poll_idle`]).
    #[cfg(feature = "async")]
    Task,
}

/// What a source says about itself after a poll.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Disconnects (SPSC, MPMC, jobs).
    Queue,
    /// Never disconnects (event flags).
    Event,
}

pub(super) trait Source: Send {
    /// Hands at most `batch` messages to the handler; returns the deliveries made
    /// (handler calls, duplicates skipped, jobs run). `now` is read only when a
    /// retry is waiting or being scheduled.
    fn poll(&mut self, batch: usize, now: &Now<'_>, by: Caller) -> usize;
    /// When a failed message waiting for its retry becomes due; `None` if none
    /// waits. Until then the source delivers nothing and does not look ready.
    fn retry_at(&self) -> Option<Instant> {
        None
    }
    /// True if a poll might find something to do (a cheap relaxed check, used
    /// before and while parking).
    fn looks_ready(&self) -> bool;
    /// True once the source is disconnected and has nothing left.
    fn finished(&self) -> bool;
    fn cell(&self) -> &WaitCell;
    fn kind(&self) -> Kind;
    /// One poll of an idle `run_async`'s wait in this source's cell (`task` is
    /// its place there): `Ready` once a poll may find something to do. A
    /// source whose task receive gives up on a message still being written
    /// makes that receive its attempt instead of `looks_ready`, and keeps what
    /// it takes for the next poll: `looks_ready` would see the write under way
    /// and keep the task spinning on the executor's thread until it ends.
    #[cfg(feature = "async")]
    fn poll_idle(&mut self, task: &mut TaskWait, cx: &mut Context<'_>) -> Poll<()> {
        self.cell()
            .poll_wait(task, cx, || self.looks_ready().then_some(()))
    }
}

pub(super) struct SpscSource<T, E, H> {
    rx: spsc::Consumer<T>,
    handler: H,
    retry: Retry<T, E>,
    /// The sequence number of the message that failed last (the head of the
    /// ring) and its failed deliveries so far.
    failing: Option<(u64, u32)>,
    /// When that message may be delivered again (with a backoff).
    retry_at: Option<Instant>,
    done: bool,
}

impl<T, E, H> SpscSource<T, E, H> {
    pub(super) fn new(mut rx: spsc::Consumer<T>, retry: Retry<T, E>, handler: H) -> Self {
        // Hands the producer the slots of items a forgotten chunk iterator took:
        // from here on every way the dispatcher takes items publishes, but a poll
        // that finds the ring empty does not, and the producer may be waiting.
        rx.publish_taken();
        SpscSource {
            rx,
            handler,
            retry,
            failing: None,
            retry_at: None,
            done: false,
        }
    }
}

impl<T, E, H> Source for SpscSource<T, E, H>
where
    T: Send,
    H: FnMut(Delivery<'_, T>) -> Result<(), E> + Send,
{
    fn poll(&mut self, batch: usize, now: &Now<'_>, _by: Caller) -> usize {
        if let Some(at) = self.retry_at {
            if now.get() < at {
                return 0; // the head waits for its retry, and the rest behind it
            }
            self.retry_at = None;
        }
        let n = self.rx.len().min(batch);
        if n == 0 {
            // The acquire load in `is_disconnected` makes every push visible to `len`.
            self.done = self.rx.is_disconnected() && self.rx.is_empty();
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
            let Some(outcome) = self.retry.attempt(message, now, |message| {
                handler(Delivery {
                    seq,
                    attempt,
                    message,
                })
            }) else {
                acked += 1; // handled before: acknowledged without the handler
                continue;
            };
            match outcome {
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
                self.retry_at = self.retry.retry_at(attempts, now);
                drop_caught(failure);
            }
        }
        delivered
    }

    fn retry_at(&self) -> Option<Instant> {
        self.retry_at
    }

    fn looks_ready(&self) -> bool {
        self.retry_at.is_none() && self.rx.looks_ready(())
    }

    fn finished(&self) -> bool {
        self.done
    }

    fn cell(&self) -> &WaitCell {
        self.rx.ready_cell()
    }

    fn kind(&self) -> Kind {
        Kind::Queue
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

/// A popped MPMC message waiting for its handler to succeed.
struct Pending<T> {
    seq: u64,
    failures: u32,
    message: T,
}

/// A receiver whose receive takes the message out of the ring, so that the
/// source keeps it in its pending slot until its handler succeeds: an MPMC
/// receiver (another receiver could take the next message) and a broadcast
/// subscriber (its position moves on).
pub(super) trait Take: Send {
    type Item: Send;
    /// The next message and its sequence number; `Disconnected` once there
    /// will be none. `by` says whether it may wait in place (see [`Caller`]).
    fn take(&mut self, by: Caller) -> Result<(u64, Self::Item), PopError>;
    fn looks_ready(&self) -> bool;
    fn cell(&self) -> &WaitCell;
    /// One poll of a task's wait in [`cell`](Self::cell) (see
    /// [`Source::poll_idle`]), with the task's receive (`take(Caller::Task)`)
    /// as the attempt: `Ready(Some)` with a message taken, `Ready(None)` at
    /// the end (a `take` then says `Disconnected`).
    #[cfg(feature = "async")]
    fn poll_take(
        &mut self,
        task: &mut TaskWait,
        cx: &mut Context<'_>,
    ) -> Poll<Option<(u64, Self::Item)>>;
}

impl<T: Send> Take for mpmc::Receiver<T> {
    type Item = T;

    fn take(&mut self, by: Caller) -> Result<(u64, T), PopError> {
        match by {
            Caller::Thread => self.try_pop_with_seq(),
            #[cfg(feature = "async")]
            Caller::Task => self.pop_for_wait(),
        }
    }

    fn looks_ready(&self) -> bool {
        Waitable::looks_ready(self, ())
    }

    fn cell(&self) -> &WaitCell {
        self.ready_cell()
    }

    /// The receive itself is the attempt, as in `pop_async`: a slot that is
    /// claimed but not yet written leaves the task waiting, and the push that
    /// writes it notifies the cell after its stamp store.
    #[cfg(feature = "async")]
    fn poll_take(&mut self, task: &mut TaskWait, cx: &mut Context<'_>) -> Poll<Option<(u64, T)>> {
        self.ready_cell()
            .poll_wait(task, cx, || match self.pop_for_wait() {
                Ok(taken) => Some(Some(taken)),
                Err(PopError::Disconnected) => Some(None),
                Err(PopError::Empty) => None,
            })
    }
}

impl<T: Plain> Take for Subscriber<T> {
    type Item = T;

    /// A lag is skipped: the next receive returns the oldest event still
    /// held, and the handler sees the gap in the sequence numbers.
    fn take(&mut self, by: Caller) -> Result<(u64, T), PopError> {
        loop {
            let got = match by {
                Caller::Thread => self.try_recv(),
                #[cfg(feature = "async")]
                Caller::Task => self.recv_for_wait(),
            };
            return match got {
                Ok(event) => Ok(event),
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Empty) => Err(PopError::Empty),
                Err(RecvError::Disconnected) => Err(PopError::Disconnected),
            };
        }
    }

    fn looks_ready(&self) -> bool {
        Waitable::looks_ready(self, ())
    }

    fn cell(&self) -> &WaitCell {
        self.ready_cell()
    }

    /// The receive is the attempt, as in `recv_async`: a slot the publisher
    /// is writing leaves the task waiting, and that publish notifies the cell
    /// after its closing stamp store. A lag is skipped, as in `take`.
    #[cfg(feature = "async")]
    fn poll_take(&mut self, task: &mut TaskWait, cx: &mut Context<'_>) -> Poll<Option<(u64, T)>> {
        loop {
            return match core::task::ready!(self.poll_recv_for_wait(task, cx)) {
                Ok(event) => Poll::Ready(Some(event)),
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Empty | RecvError::Disconnected) => Poll::Ready(None),
            };
        }
    }
}

pub(super) struct TakingSource<R: Take, E, H> {
    rx: R,
    handler: H,
    retry: Retry<R::Item, E>,
    /// Owned by this dispatcher from the receive until the handler succeeds.
    pending: Option<Pending<R::Item>>,
    /// When the pending message may be delivered again (with a backoff).
    retry_at: Option<Instant>,
    done: bool,
}

impl<R: Take, E, H> TakingSource<R, E, H> {
    pub(super) fn new(rx: R, retry: Retry<R::Item, E>, handler: H) -> Self {
        TakingSource {
            rx,
            handler,
            retry,
            pending: None,
            retry_at: None,
            done: false,
        }
    }
}

impl<R, E, H> Source for TakingSource<R, E, H>
where
    R: Take,
    H: FnMut(Delivery<'_, R::Item>) -> Result<(), E> + Send,
{
    fn poll(&mut self, batch: usize, now: &Now<'_>, by: Caller) -> usize {
        if let Some(at) = self.retry_at {
            if now.get() < at {
                return 0; // the pending message waits; nothing is popped behind it
            }
            self.retry_at = None;
        }
        let mut delivered = 0;
        while delivered < batch {
            if self.pending.is_none() {
                match self.rx.take(by) {
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
            let (seq, attempt) = (p.seq, p.failures + 1);
            let handler = &mut self.handler;
            let outcome = self.retry.attempt(&mut p.message, now, |message| {
                handler(Delivery {
                    seq,
                    attempt,
                    message,
                })
            });
            match outcome {
                // A duplicate (handled before), or acknowledged now: out of the
                // pending slot, then dropped.
                None | Some(Ok(())) => drop_caught(self.pending.take()),
                Some(Err(failure)) => {
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
                        self.retry_at = self.retry.retry_at(attempt, now);
                        drop_caught(failure);
                    }
                    break; // redelivered on a later poll
                }
            }
        }
        delivered
    }

    fn retry_at(&self) -> Option<Instant> {
        self.retry_at
    }

    fn looks_ready(&self) -> bool {
        self.retry_at.is_none() && (self.pending.is_some() || self.rx.looks_ready())
    }

    fn finished(&self) -> bool {
        self.done && self.pending.is_none()
    }

    fn cell(&self) -> &WaitCell {
        self.rx.cell()
    }

    fn kind(&self) -> Kind {
        Kind::Queue
    }

    #[cfg(feature = "async")]
    fn poll_idle(&mut self, task: &mut TaskWait, cx: &mut Context<'_>) -> Poll<()> {
        if self.pending.is_some() {
            return Poll::Ready(());
        }
        let taken = core::task::ready!(self.rx.poll_take(task, cx));
        if let Some((seq, message)) = taken {
            self.pending = Some(Pending {
                seq,
                failures: 0,
                message,
            });
        }
        Poll::Ready(())
    }
}

pub(super) struct EventSource<T: Plain, E, H> {
    flag: Arc<EventFlag<T>>,
    handler: H,
    retry: Retry<EventUpdate<T>, E>,
    /// The last generation acknowledged (or dead-lettered).
    seen: u64,
    /// The generation that failed last, and how often.
    failing: u64,
    failures: u32,
    /// When the failed update may be retried (with the newest value then).
    retry_at: Option<Instant>,
    /// A generation newer than `seen` and its value, read by an idle
    /// `run_async`'s wait (see `poll_idle`); the next poll delivers it.
    next: Option<(u64, T)>,
}

impl<T: Plain, E, H> EventSource<T, E, H> {
    /// Delivers the generations newer than the one current now.
    pub(super) fn new(
        flag: Arc<EventFlag<T>>,
        retry: Retry<EventUpdate<T>, E>,
        handler: H,
    ) -> Self {
        let seen = flag.generation();
        EventSource {
            flag,
            handler,
            retry,
            seen,
            failing: seen,
            failures: 0,
            retry_at: None,
            next: None,
        }
    }
}

impl<T, E, H> Source for EventSource<T, E, H>
where
    T: Plain,
    H: FnMut(EventUpdate<T>) -> Result<(), E> + Send,
{
    fn poll(&mut self, _batch: usize, now: &Now<'_>, by: Caller) -> usize {
        if let Some(at) = self.retry_at {
            if now.get() < at {
                return 0;
            }
            self.retry_at = None;
        }
        let read = match self.next.take() {
            Some(read) => Some(read),
            None if self.flag.generation() == self.seen => return 0,
            None => match by {
                Caller::Thread => Some(self.flag.read()),
                // A publish in the middle of writing: nothing now; it wakes
                // the task's wait (`poll_idle`) when it is done.
                #[cfg(feature = "async")]
                Caller::Task => self.flag.try_read(),
            },
        };
        let Some((generation, value)) = read else {
            return 0;
        };
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
                    self.retry_at = self.retry.retry_at(attempt, now);
                    drop_caught(failure);
                }
            }
        }
        1
    }

    fn retry_at(&self) -> Option<Instant> {
        self.retry_at
    }

    fn looks_ready(&self) -> bool {
        self.retry_at.is_none() && (self.next.is_some() || self.flag.looks_ready(self.seen))
    }

    fn finished(&self) -> bool {
        false
    }

    fn cell(&self) -> &WaitCell {
        self.flag.ready_cell()
    }

    fn kind(&self) -> Kind {
        Kind::Event
    }

    /// The read is the attempt, as in `wait_newer_async`: a newer generation
    /// whose successor is still being written leaves the task waiting, and
    /// that publish notifies the cell after it. What it reads is kept for the
    /// next poll.
    #[cfg(feature = "async")]
    fn poll_idle(&mut self, task: &mut TaskWait, cx: &mut Context<'_>) -> Poll<()> {
        if self.next.is_some() {
            return Poll::Ready(());
        }
        let (flag, seen, next) = (&self.flag, self.seen, &mut self.next);
        flag.ready_cell().poll_wait(task, cx, || {
            *next = Some(flag.read_for_wait(seen)?);
            Some(())
        })
    }
}

pub(super) struct SignalSource<E, H> {
    event: Arc<Event>,
    handler: H,
    retry: Retry<(), E>,
    /// The number of the next set to deliver (0 for the first).
    next: u64,
    /// A set taken for delivery (an auto-reset event's consumed set, a
    /// manual-reset event's set seen) whose handler has not succeeded yet,
    /// and its failed attempts so far.
    pending: Option<u32>,
    /// Manual-reset: the event's change count when its set was last taken;
    /// the same set is not delivered twice.
    seen: Option<usize>,
    /// When the pending set may be delivered again (with a backoff).
    retry_at: Option<Instant>,
}

impl<E, H> SignalSource<E, H> {
    pub(super) fn new(event: Arc<Event>, retry: Retry<(), E>, handler: H) -> Self {
        SignalSource {
            event,
            handler,
            retry,
            next: 0,
            pending: None,
            seen: None,
            retry_at: None,
        }
    }

    /// Takes a set for delivery, if there is a new one: consumes it
    /// (auto-reset), or remembers which one it was (manual-reset).
    fn take(&mut self) -> bool {
        if self.event.is_auto_reset() {
            return self.event.try_wait();
        }
        let count = self.event.changes();
        if Event::is_set_at(count) && self.seen != Some(count) {
            self.seen = Some(count);
            return true;
        }
        false
    }
}

impl<E, H> Source for SignalSource<E, H>
where
    H: FnMut(Delivery<'_, ()>) -> Result<(), E> + Send,
{
    fn poll(&mut self, _batch: usize, now: &Now<'_>, _by: Caller) -> usize {
        if let Some(at) = self.retry_at {
            if now.get() < at {
                return 0;
            }
            self.retry_at = None;
        }
        let failures = match self.pending {
            Some(failures) => failures,
            None => {
                if !self.take() {
                    return 0;
                }
                0
            }
        };
        let (seq, attempt) = (self.next, failures + 1);
        let handler = &mut self.handler;
        let outcome = self.retry.attempt(&mut (), now, |message| {
            handler(Delivery {
                seq,
                attempt,
                message,
            })
        });
        match outcome {
            None | Some(Ok(())) => {
                self.pending = None;
                self.next = seq.wrapping_add(1);
            }
            Some(Err(failure)) => {
                if attempt >= self.retry.attempts {
                    self.pending = None;
                    self.next = seq.wrapping_add(1);
                    self.retry.give_up(DeadLetter {
                        seq,
                        attempts: attempt,
                        message: (),
                        failure,
                    });
                } else {
                    self.pending = Some(attempt);
                    self.retry_at = self.retry.retry_at(attempt, now);
                    drop_caught(failure);
                }
            }
        }
        1
    }

    fn retry_at(&self) -> Option<Instant> {
        self.retry_at
    }

    fn looks_ready(&self) -> bool {
        if self.retry_at.is_some() {
            return false;
        }
        if self.pending.is_some() {
            return true;
        }
        if self.event.is_auto_reset() {
            return self.event.is_set();
        }
        let count = self.event.changes();
        Event::is_set_at(count) && self.seen != Some(count)
    }

    fn finished(&self) -> bool {
        false
    }

    fn cell(&self) -> &WaitCell {
        self.event.ready_cell()
    }

    fn kind(&self) -> Kind {
        Kind::Event
    }
}
