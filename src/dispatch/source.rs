//! The dispatcher's sources: one adapter per kind of primitive, each turning the
//! primitive's messages into handler calls with acknowledgement, redelivery and
//! dead letters.

use super::backoff::Now;
use super::delivery::{deliver, drop_caught, DeadLetter, Delivery, EventUpdate, Retry};
use crate::event::EventFlag;
use crate::plain::Plain;
use crate::wait::{WaitCell, Waitable};
use crate::{mpmc, spsc, PopError};
use std::prelude::rust_2021::*;
use std::sync::Arc;
use std::time::Instant;

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
    fn poll(&mut self, batch: usize, now: &Now<'_>) -> usize;
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
    fn poll(&mut self, batch: usize, now: &Now<'_>) -> usize {
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

pub(super) struct MpmcSource<T, E, H> {
    rx: mpmc::Receiver<T>,
    handler: H,
    retry: Retry<T, E>,
    /// Owned by this dispatcher from the pop until the handler succeeds.
    pending: Option<Pending<T>>,
    /// When the pending message may be delivered again (with a backoff).
    retry_at: Option<Instant>,
    done: bool,
}

impl<T, E, H> MpmcSource<T, E, H> {
    pub(super) fn new(rx: mpmc::Receiver<T>, retry: Retry<T, E>, handler: H) -> Self {
        MpmcSource {
            rx,
            handler,
            retry,
            pending: None,
            retry_at: None,
            done: false,
        }
    }
}

impl<T, E, H> Source for MpmcSource<T, E, H>
where
    T: Send,
    H: FnMut(Delivery<'_, T>) -> Result<(), E> + Send,
{
    fn poll(&mut self, batch: usize, now: &Now<'_>) -> usize {
        if let Some(at) = self.retry_at {
            if now.get() < at {
                return 0; // the pending message waits; nothing is popped behind it
            }
            self.retry_at = None;
        }
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
        self.retry_at.is_none() && (self.pending.is_some() || self.rx.looks_ready(()))
    }

    fn finished(&self) -> bool {
        self.done && self.pending.is_none()
    }

    fn cell(&self) -> &WaitCell {
        self.rx.ready_cell()
    }

    fn kind(&self) -> Kind {
        Kind::Queue
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
        }
    }
}

impl<T, E, H> Source for EventSource<T, E, H>
where
    T: Plain,
    H: FnMut(EventUpdate<T>) -> Result<(), E> + Send,
{
    fn poll(&mut self, _batch: usize, now: &Now<'_>) -> usize {
        if let Some(at) = self.retry_at {
            if now.get() < at {
                return 0;
            }
            self.retry_at = None;
        }
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
        self.retry_at.is_none() && self.flag.looks_ready(self.seen)
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
}
