//! The async front under a hand-rolled executor: up to eight MPMC push and pop
//! futures (and a receiver polled as a `Stream`) are made, polled in a random
//! order with wakers that count their wake-ups, and dropped at random, mixed
//! with plain `try_push`/`try_pop`. One thread, so the outcome is checked
//! exactly against a `VecDeque` model:
//!
//! * every item pushed (by `try_push` or a push future that completed) is
//!   popped once, in push order, or is still in the queue at the end; a push
//!   future dropped before it completed pushed nothing;
//! * no lost wake-up: after every step, each future whose last poll returned
//!   `Pending` and whose condition now holds (an item for a pop, room for a
//!   push) has had its waker woken since that poll;
//! * a future polled while its condition holds completes.
#![no_main]

use arbitrary::Arbitrary;
use futures_core::Stream;
use libfuzzer_sys::fuzz_target;
use ringkit::mpmc;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

const SLOTS: usize = 8;

#[derive(Arbitrary, Debug)]
enum Op {
    /// Put a new pop future in a slot (dropping the one there).
    Pop(u8),
    /// Put a new push future of the next value in a slot.
    Push(u8),
    /// Poll a slot's future.
    Poll(u8),
    /// Drop a slot's future.
    Drop(u8),
    /// Poll the stream.
    PollStream,
    TryPush,
    TryPop,
}

#[derive(Arbitrary, Debug)]
struct Input {
    capacity: u8,
    ops: Vec<Op>,
}

#[derive(Default)]
struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

enum Kind {
    Pop,
    Push(u64),
}

struct Slot<'a> {
    future: Pin<Box<dyn Future<Output = Option<u64>> + 'a>>,
    kind: Kind,
    count: Arc<Count>,
    waker: Waker,
    /// The waker's count at the last poll, if that poll returned `Pending`.
    pending_at: Option<usize>,
}

impl Slot<'_> {
    fn woken_since_pending(&self) -> bool {
        self.pending_at
            .is_none_or(|at| self.count.0.load(Ordering::Relaxed) > at)
    }
}

fuzz_target!(|input: Input| {
    let capacity = usize::from(input.capacity % 4) + 1;
    let (tx, rx) = mpmc::channel::<u64>(capacity);
    let mut stream_rx = rx.clone();
    let stream = (Arc::new(Count::default()), None::<usize>);
    let (stream_count, mut stream_pending) = stream;
    let stream_waker = Waker::from(stream_count.clone());
    let mut model: VecDeque<u64> = VecDeque::new();
    let mut next = 0u64;
    let mut slots: Vec<Option<Slot<'_>>> = (0..SLOTS).map(|_| None).collect();

    let popped = |model: &mut VecDeque<u64>, v: u64| {
        assert_eq!(model.pop_front(), Some(v), "popped out of order or twice");
    };

    for op in input.ops.iter().take(512) {
        match *op {
            Op::Pop(s) => {
                let count = Arc::new(Count::default());
                let rx = &rx;
                slots[usize::from(s) % SLOTS] = Some(Slot {
                    future: Box::pin(async move { rx.pop_async().await.ok() }),
                    kind: Kind::Pop,
                    waker: Waker::from(count.clone()),
                    count,
                    pending_at: None,
                });
            }
            Op::Push(s) => {
                let count = Arc::new(Count::default());
                let (tx, v) = (&tx, next);
                next += 1;
                slots[usize::from(s) % SLOTS] = Some(Slot {
                    future: Box::pin(async move { tx.push_async(v).await.ok().map(|()| v) }),
                    kind: Kind::Push(v),
                    waker: Waker::from(count.clone()),
                    count,
                    pending_at: None,
                });
            }
            Op::Poll(s) => {
                let i = usize::from(s) % SLOTS;
                let Some(slot) = slots[i].as_mut() else {
                    continue;
                };
                let ready_now = match slot.kind {
                    Kind::Pop => !model.is_empty(),
                    Kind::Push(_) => model.len() < capacity,
                };
                let at = slot.count.0.load(Ordering::Relaxed);
                match slot.future.as_mut().poll(&mut Context::from_waker(&slot.waker)) {
                    Poll::Ready(got) => {
                        let got = got.expect("no side disconnects here");
                        match slot.kind {
                            Kind::Pop => popped(&mut model, got),
                            Kind::Push(v) => {
                                assert_eq!(got, v);
                                model.push_back(v);
                            }
                        }
                        slots[i] = None;
                    }
                    Poll::Pending => {
                        assert!(!ready_now, "a future whose condition holds stayed pending");
                        slot.pending_at = Some(at);
                    }
                }
            }
            Op::Drop(s) => slots[usize::from(s) % SLOTS] = None,
            Op::PollStream => {
                let ready_now = !model.is_empty();
                let at = stream_count.0.load(Ordering::Relaxed);
                match Pin::new(&mut stream_rx).poll_next(&mut Context::from_waker(&stream_waker)) {
                    Poll::Ready(got) => {
                        popped(&mut model, got.expect("the senders stay"));
                        stream_pending = None;
                    }
                    Poll::Pending => {
                        assert!(!ready_now, "the stream stayed pending with an item there");
                        stream_pending = Some(at);
                    }
                }
            }
            Op::TryPush => match tx.try_push(next) {
                Ok(()) => {
                    model.push_back(next);
                    next += 1;
                }
                Err(e) => {
                    assert!(e.is_full() && model.len() == capacity, "try_push: {e:?}");
                    next += 1;
                }
            },
            Op::TryPop => match rx.try_pop() {
                Ok(v) => popped(&mut model, v),
                Err(e) => assert!(model.is_empty(), "try_pop: {e:?} with items there"),
            },
        }
        // No lost wake-up: whatever waits for a condition that now holds was
        // woken after it last returned `Pending`.
        for slot in slots.iter().flatten() {
            let holds = match slot.kind {
                Kind::Pop => !model.is_empty(),
                Kind::Push(_) => model.len() < capacity,
            };
            if holds {
                assert!(slot.woken_since_pending(), "a waiting future was not woken");
            }
        }
        if !model.is_empty() {
            if let Some(at) = stream_pending {
                assert!(stream_count.0.load(Ordering::Relaxed) > at, "the stream was not woken");
            }
        }
    }
    drop(slots);
    let rest: Vec<u64> = rx.try_iter().collect();
    assert_eq!(rest, Vec::from(model), "what is left in the queue");
});
