//! The async forms of push and pop, and the handles as a `Sink` and a `Stream`
//! (the `async` feature).
//!
//! A handle waits in the same wait cell as its blocking forms, through the
//! [`TaskWait`](crate::wait::TaskWait) it carries: one slot per handle, reused
//! by every await, so waiting allocates nothing after the first time.

use super::{Consumer, Producer};
use crate::error::{PopError, PushError};
use core::future::poll_fn;
use core::pin::Pin;
use core::task::{Context, Poll};

impl<T> Producer<T> {
    /// Pushes `value`, waiting (without blocking the thread) while the ring is
    /// full; `Disconnected(value)` once the consumer is gone. Never `Full`.
    ///
    /// Cancellation: the value lives in the future until it is pushed, in the
    /// poll that returns `Ready`. Dropping the future before that drops the
    /// value and pushes nothing. To keep it, wait for room with
    /// [`SinkExt::feed`](https://docs.rs/futures/latest/futures/sink/trait.SinkExt.html)-style
    /// `poll_ready` first (this handle is a [`Sink`](futures_sink::Sink)), or
    /// use [`try_push`](Producer::try_push), which hands it back.
    ///
    /// ```
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<u32>(1);
    /// let consumer = std::thread::spawn(move || (rx.pop(), rx.pop()));
    /// pollster::block_on(async {
    ///     tx.push_async(1).await.unwrap();
    ///     tx.push_async(2).await.unwrap(); // waits until the consumer took 1
    /// });
    /// assert_eq!(consumer.join().unwrap(), (Ok(1), Ok(2)));
    /// ```
    pub async fn push_async(&mut self, value: T) -> Result<(), PushError<T>> {
        let mut value = Some(value);
        poll_fn(|cx| self.poll_push(&mut value, cx)).await
    }

    /// One poll of `push_async`: `value` is `Some` until it is pushed.
    fn poll_push(
        &mut self,
        value: &mut Option<T>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), PushError<T>>> {
        let mut armed = false;
        loop {
            let v = value.take().expect("push_async polled after it completed");
            match self.try_push(v) {
                Err(PushError::Full(v)) => *value = Some(v),
                done => {
                    self.ring.not_full.leave(&mut self.task);
                    return Poll::Ready(done);
                }
            }
            if armed {
                return Poll::Pending;
            }
            if !self.ring.not_full.arm_for(&mut self.task, cx.waker()) {
                return Poll::Pending;
            }
            armed = true;
        }
    }

    /// True if a push would not find the ring full.
    fn room_or_gone(&mut self) -> bool {
        self.free_slots(1) > 0 || self.consumer_gone()
    }
}

impl<T> Consumer<T> {
    /// Pops the oldest item, waiting (without blocking the thread) while the
    /// ring is empty; `Disconnected` once the producer is gone and the ring is
    /// empty. Never `Empty`.
    ///
    /// Cancellation safe: an item is taken only in the poll that returns it, so
    /// dropping the future never loses one.
    ///
    /// ```
    /// use ringkit::PopError;
    ///
    /// let (mut tx, mut rx) = ringkit::spsc::channel::<u32>(2);
    /// let producer = std::thread::spawn(move || tx.push(42).unwrap());
    /// pollster::block_on(async {
    ///     assert_eq!(rx.pop_async().await, Ok(42)); // waits for the push
    ///     producer.join().unwrap();
    ///     assert_eq!(rx.pop_async().await, Err(PopError::Disconnected));
    /// });
    /// ```
    pub async fn pop_async(&mut self) -> Result<T, PopError> {
        poll_fn(|cx| self.poll_pop(cx)).await
    }

    /// One poll of `pop_async`.
    fn poll_pop(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, PopError>> {
        let mut armed = false;
        loop {
            match self.try_pop() {
                Err(PopError::Empty) => {}
                done => {
                    self.ring.not_empty.leave(&mut self.task);
                    return Poll::Ready(done);
                }
            }
            if armed {
                return Poll::Pending;
            }
            if !self.ring.not_empty.arm_for(&mut self.task, cx.waker()) {
                return Poll::Pending;
            }
            armed = true;
        }
    }
}

/// The consumer as a stream of items: it ends once the producer is gone and
/// the ring is empty. Cancellation safe, as
/// [`pop_async`](Consumer::pop_async).
///
/// ```
/// use futures_core::Stream;
/// use std::pin::Pin;
/// use std::task::{Context, Poll, Waker};
///
/// let (mut tx, mut rx) = ringkit::spsc::channel::<u8>(2);
/// let mut cx = Context::from_waker(Waker::noop());
/// assert_eq!(Pin::new(&mut rx).poll_next(&mut cx), Poll::Pending);
/// tx.try_push(7).unwrap();
/// drop(tx);
/// assert_eq!(Pin::new(&mut rx).poll_next(&mut cx), Poll::Ready(Some(7)));
/// assert_eq!(Pin::new(&mut rx).poll_next(&mut cx), Poll::Ready(None));
/// ```
impl<T> futures_core::Stream for Consumer<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().poll_pop(cx).map(Result::ok)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len(), None)
    }
}

/// The producer as a sink. `poll_ready` waits for a free slot; `start_send`
/// then pushes, and the item is visible to the consumer at once (`poll_flush`
/// has nothing to do). Once the consumer is gone, `poll_ready` is ready and
/// `start_send` hands the item back in `Err(PushError::Disconnected(item))`, so
/// no item is lost unseen; `Full` comes back only to a caller that skipped
/// `poll_ready`. Closing the sink does not disconnect: dropping the producer
/// does.
///
/// ```
/// use futures_sink::Sink;
/// use ringkit::PushError;
/// use std::pin::Pin;
/// use std::task::{Context, Poll, Waker};
///
/// let (mut tx, mut rx) = ringkit::spsc::channel::<u8>(1);
/// let mut cx = Context::from_waker(Waker::noop());
/// assert_eq!(Pin::new(&mut tx).poll_ready(&mut cx), Poll::Ready(Ok(())));
/// Pin::new(&mut tx).start_send(1).unwrap();
/// assert_eq!(Pin::new(&mut tx).poll_ready(&mut cx), Poll::Pending); // full
/// assert_eq!(rx.try_pop(), Ok(1));
/// drop(rx);
/// assert_eq!(Pin::new(&mut tx).poll_ready(&mut cx), Poll::Ready(Ok(())));
/// assert_eq!(Pin::new(&mut tx).start_send(2), Err(PushError::Disconnected(2)));
/// ```
impl<T> futures_sink::Sink<T> for Producer<T> {
    type Error = PushError<T>;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), PushError<T>>> {
        let this = self.get_mut();
        let mut armed = false;
        loop {
            if this.room_or_gone() {
                this.ring.not_full.leave(&mut this.task);
                return Poll::Ready(Ok(()));
            }
            if armed {
                return Poll::Pending;
            }
            if !this.ring.not_full.arm_for(&mut this.task, cx.waker()) {
                return Poll::Pending;
            }
            armed = true;
        }
    }

    fn start_send(self: Pin<&mut Self>, item: T) -> Result<(), PushError<T>> {
        self.get_mut().try_push(item)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), PushError<T>>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), PushError<T>>> {
        Poll::Ready(Ok(()))
    }
}
