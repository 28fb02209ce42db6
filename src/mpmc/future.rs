//! The async forms of push and pop, and the receiver as a `Stream` (the
//! `async` feature). A future waits in the same wait cell as the blocking
//! forms; see `wait/cell.rs` ("Tasks").

use super::{Receiver, Sender};
use crate::error::{PopError, PushError};
use crate::wait::Waiting;
use core::future::poll_fn;
use core::pin::Pin;
use core::task::{Context, Poll};

impl<T> Sender<T> {
    /// Pushes `value`, waiting (without blocking the thread) while the queue is
    /// full; `Disconnected(value)` once every receiver is gone. Never `Full`.
    ///
    /// Cancellation: the value lives in the future until it is pushed, in the
    /// poll that returns `Ready`; dropping the future before that drops the
    /// value and pushes nothing. [`try_push`](Sender::try_push) hands a value
    /// that does not fit back instead.
    ///
    /// ```
    /// let (tx, rx) = ringkit::mpmc::channel::<u32>(1);
    /// let consumer = std::thread::spawn(move || (rx.pop(), rx.pop()));
    /// pollster::block_on(async {
    ///     tx.push_async(1).await.unwrap();
    ///     tx.push_async(2).await.unwrap(); // waits until a receiver took 1
    /// });
    /// assert_eq!(consumer.join().unwrap(), (Ok(1), Ok(2)));
    /// ```
    pub async fn push_async(&self, value: T) -> Result<(), PushError<T>> {
        // The first attempt, before the wait's state exists: most pushes end
        // here. Every attempt is `push_for_wait`: a slot that is not free yet
        // sends the task to wait, without a spin.
        let value = match self.push_for_wait(value) {
            Err(PushError::Full(v)) => v,
            done => return done,
        };
        let mut value = Some(value);
        let mut waiting = Waiting::new(&self.chan.queue.not_full);
        poll_fn(|cx| {
            waiting.poll(cx, || {
                let v = value.take().expect("push_async polled after it completed");
                match self.push_for_wait(v) {
                    Err(PushError::Full(v)) => {
                        value = Some(v);
                        None
                    }
                    done => Some(done),
                }
            })
        })
        .await
    }
}

impl<T> Receiver<T> {
    /// Pops the oldest item, waiting (without blocking the thread) while the
    /// queue is empty; `Disconnected` once every sender is gone and the queue is
    /// empty. Never `Empty`.
    ///
    /// Cancellation safe: an item is taken only in the poll that returns it, so
    /// dropping the future never loses one.
    ///
    /// ```
    /// use ringkit::PopError;
    ///
    /// let (tx, rx) = ringkit::mpmc::channel::<u32>(2);
    /// let producer = std::thread::spawn(move || tx.push(42).unwrap());
    /// pollster::block_on(async {
    ///     assert_eq!(rx.pop_async().await, Ok(42)); // waits for the push
    ///     producer.join().unwrap();
    ///     assert_eq!(rx.pop_async().await, Err(PopError::Disconnected));
    /// });
    /// ```
    pub async fn pop_async(&self) -> Result<T, PopError> {
        // The first attempt, before the wait's state exists: the slot at this
        // handle's guess of the head, if it holds the item (most pops in a
        // stream end here). Anything else goes straight to the wait, whose
        // attempts are `pop_for_wait`: a head that does not hold its item yet
        // sends the task to wait, without a spin and, while a sender is left,
        // without reading `tail`.
        if let Some(value) = self.pop_at_guess() {
            return Ok(value);
        }
        let mut waiting = Waiting::new(&self.chan.queue.not_empty);
        poll_fn(|cx| waiting.poll(cx, || ready(self.pop_for_wait().map(|(_, v)| v)))).await
    }
}

/// `Some` unless the result is `Empty` (then the caller waits).
fn ready<T>(result: Result<T, PopError>) -> Option<Result<T, PopError>> {
    match result {
        Err(PopError::Empty) => None,
        done => Some(done),
    }
}

/// The receiver as a stream of items: it ends once every sender is gone and
/// the queue is empty. Each clone of a receiver is a stream of its own; every
/// item goes to one of them. Cancellation safe, as
/// [`pop_async`](Receiver::pop_async).
///
/// ```
/// use futures_core::Stream;
/// use std::pin::Pin;
/// use std::task::{Context, Poll, Waker};
///
/// let (tx, mut rx) = ringkit::mpmc::channel::<u8>(2);
/// let mut cx = Context::from_waker(Waker::noop());
/// assert_eq!(Pin::new(&mut rx).poll_next(&mut cx), Poll::Pending);
/// tx.try_push(7).unwrap();
/// drop(tx);
/// assert_eq!(Pin::new(&mut rx).poll_next(&mut cx), Poll::Ready(Some(7)));
/// assert_eq!(Pin::new(&mut rx).poll_next(&mut cx), Poll::Ready(None));
/// ```
impl<T> futures_core::Stream for Receiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        let cell = &this.chan.queue.not_empty;
        let mut armed = false;
        loop {
            let popped = match this.pop_for_wait() {
                Ok((_, v)) => Some(Some(v)),
                Err(PopError::Disconnected) => Some(None),
                Err(PopError::Empty) => None,
            };
            if let Some(done) = popped {
                cell.leave(&mut this.task);
                return Poll::Ready(done);
            }
            if armed {
                return Poll::Pending;
            }
            if !cell.arm_for(&mut this.task, cx.waker()) {
                return Poll::Pending;
            }
            armed = true;
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len(), None)
    }
}

/// A [`Sender`] as a [`Sink`](futures_sink::Sink); made by
/// [`Sender::into_sink`].
///
/// A lock-free queue cannot reserve a slot for later, so the sink holds at
/// most one item of its own: `start_send` pushes at once if the slot at the
/// tail is free, and otherwise keeps the item (the queue is full, or a pop is
/// still reading that slot); `poll_ready`, `poll_flush` and `poll_close` push
/// the kept item, waiting while the queue is full. Once every receiver is gone
/// they hand it back in `Err(PushError::Disconnected(item))`, as `start_send`
/// does for an item it cannot push, so no item is lost unseen. Dropping the
/// sink with an item kept (not flushed) drops that item; `SinkExt::send`
/// flushes, so it never leaves one.
///
/// ```
/// use futures_sink::Sink;
/// use std::pin::Pin;
/// use std::task::{Context, Poll, Waker};
///
/// let (tx, rx) = ringkit::mpmc::channel::<u8>(1);
/// let mut sink = tx.into_sink();
/// let mut cx = Context::from_waker(Waker::noop());
/// assert_eq!(Pin::new(&mut sink).poll_ready(&mut cx), Poll::Ready(Ok(())));
/// Pin::new(&mut sink).start_send(1).unwrap(); // pushed
/// assert_eq!(Pin::new(&mut sink).poll_ready(&mut cx), Poll::Ready(Ok(())));
/// Pin::new(&mut sink).start_send(2).unwrap(); // the queue is full: kept
/// assert_eq!(Pin::new(&mut sink).poll_flush(&mut cx), Poll::Pending);
/// assert_eq!(rx.try_pop(), Ok(1));
/// assert_eq!(Pin::new(&mut sink).poll_flush(&mut cx), Poll::Ready(Ok(())));
/// assert_eq!(rx.try_pop(), Ok(2));
/// ```
pub struct SendSink<T> {
    sender: Sender<T>,
    kept: Option<T>,
    task: crate::wait::TaskWait,
}

impl<T> Sender<T> {
    /// This sender as a [`Sink`](futures_sink::Sink); see [`SendSink`].
    ///
    /// ```
    /// let (tx, rx) = ringkit::mpmc::channel::<u8>(4);
    /// let sink = tx.into_sink();
    /// assert_eq!(sink.sender().capacity(), 4);
    /// # drop(rx);
    /// ```
    #[must_use]
    pub fn into_sink(self) -> SendSink<T> {
        SendSink {
            sender: self,
            kept: None,
            task: Default::default(),
        }
    }
}

impl<T> SendSink<T> {
    /// The sender inside, for its other methods (`len`, `is_disconnected`, ...).
    ///
    /// ```
    /// let (tx, rx) = ringkit::mpmc::channel::<u8>(4);
    /// let sink = tx.into_sink();
    /// drop(rx);
    /// assert!(sink.sender().is_disconnected());
    /// ```
    #[must_use]
    pub fn sender(&self) -> &Sender<T> {
        &self.sender
    }

    /// Pushes the kept item, if any, waiting while the queue is full.
    fn poll_push_kept(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), PushError<T>>> {
        let cell = &self.sender.chan.queue.not_full;
        let (sender, kept) = (&self.sender, &mut self.kept);
        cell.poll_wait(&mut self.task, cx, || {
            let Some(item) = kept.take() else {
                return Some(Ok(()));
            };
            match sender.push_for_wait(item) {
                Err(PushError::Full(item)) => {
                    *kept = Some(item);
                    None
                }
                done => Some(done),
            }
        })
    }
}

// Nothing in the sink is pinned: the kept item is moved in and out freely.
impl<T> Unpin for SendSink<T> {}

impl<T> Drop for SendSink<T> {
    fn drop(&mut self) {
        self.sender.chan.queue.not_full.cancel(&mut self.task);
    }
}

impl<T> core::fmt::Debug for SendSink<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SendSink")
            .field("sender", &self.sender)
            .field("kept", &self.kept.is_some())
            .finish()
    }
}

impl<T> futures_sink::Sink<T> for SendSink<T> {
    type Error = PushError<T>;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), PushError<T>>> {
        self.get_mut().poll_push_kept(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: T) -> Result<(), PushError<T>> {
        let this = self.get_mut();
        if this.kept.is_some() {
            // `poll_ready` was skipped: the item does not fit behind the kept one.
            return Err(PushError::Full(item));
        }
        match this.sender.push_for_wait(item) {
            Err(PushError::Full(item)) => {
                this.kept = Some(item);
                Ok(())
            }
            done => done,
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), PushError<T>>> {
        self.get_mut().poll_push_kept(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), PushError<T>>> {
        self.get_mut().poll_push_kept(cx)
    }
}
