//! The broadcast ring's own errors: [`RecvError`] (try and blocking receives),
//! [`RecvTimeoutError`] (timed receives), [`TryRecvNowError`] (a receive that
//! never waits, not even for a write in progress).

/// A broadcast receive that returned no event.
///
/// ```
/// use ringkit::broadcast::{self, RecvError};
///
/// let (mut publisher, mut sub) = broadcast::channel::<u32>(1);
/// assert_eq!(sub.try_recv(), Err(RecvError::Empty));
/// publisher.publish(1);
/// publisher.publish(2); // overwrites event 0 unread
/// assert_eq!(sub.try_recv(), Err(RecvError::Lagged(1)));
/// assert_eq!(sub.try_recv(), Ok((1, 2)));
/// drop(publisher);
/// assert_eq!(sub.try_recv(), Err(RecvError::Disconnected));
/// assert_eq!(
///     RecvError::Lagged(3).to_string(),
///     "subscriber lagged behind: 3 events were overwritten unread"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecvError {
    /// No event newer than the last one received has been published yet.
    Empty,
    /// The subscriber fell behind and this many events were overwritten before it
    /// read them. The next receive returns the oldest event the ring still held
    /// when the loss was noticed.
    Lagged(u64),
    /// The publisher is gone and every event it published that this subscriber
    /// could still read has been read: nothing will ever arrive.
    Disconnected,
}

impl core::fmt::Display for RecvError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            RecvError::Empty => f.write_str("receive on a broadcast ring with no new event"),
            RecvError::Lagged(n) => {
                write!(
                    f,
                    "subscriber lagged behind: {n} events were overwritten unread"
                )
            }
            RecvError::Disconnected => {
                f.write_str("receive on a broadcast ring whose publisher is gone")
            }
        }
    }
}

impl core::error::Error for RecvError {}

/// A timed receive (`recv_timeout`, `recv_until`) that returned no event.
///
/// ```
/// use ringkit::broadcast::{self, RecvTimeoutError};
/// use std::time::Duration;
///
/// let (mut publisher, mut sub) = broadcast::channel::<u32>(1);
/// // Nothing is published meanwhile: times out.
/// assert_eq!(sub.recv_timeout(Duration::ZERO), Err(RecvTimeoutError::Timeout));
/// publisher.publish(1);
/// publisher.publish(2); // overwrites event 0 unread
/// assert_eq!(sub.recv_timeout(Duration::ZERO), Err(RecvTimeoutError::Lagged(1)));
/// assert_eq!(sub.recv_timeout(Duration::ZERO), Ok((1, 2)));
/// drop(publisher);
/// assert_eq!(sub.recv_timeout(Duration::ZERO), Err(RecvTimeoutError::Disconnected));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecvTimeoutError {
    /// No event newer than the last one received arrived before the deadline.
    Timeout,
    /// As [`RecvError::Lagged`]: this many events were overwritten unread; the next
    /// receive returns the oldest event the ring still held.
    Lagged(u64),
    /// As [`RecvError::Disconnected`]: the publisher is gone and everything is read.
    Disconnected,
}

impl core::fmt::Display for RecvTimeoutError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            RecvTimeoutError::Timeout => {
                f.write_str("timed out receiving on a broadcast ring with no new event")
            }
            RecvTimeoutError::Lagged(n) => RecvError::Lagged(*n).fmt(f),
            RecvTimeoutError::Disconnected => RecvError::Disconnected.fmt(f),
        }
    }
}

impl core::error::Error for RecvTimeoutError {}

/// Why [`Subscriber::try_recv_now`](super::Subscriber::try_recv_now) returned no event: one of the outcomes of
/// [`RecvError`], or [`Busy`](TryRecvNowError::Busy).
///
/// ```
/// use ringkit::broadcast::{self, RecvError, TryRecvNowError};
///
/// let (mut publisher, mut sub) = broadcast::channel::<u32>(1);
/// assert_eq!(sub.try_recv_now(), Err(TryRecvNowError::Empty));
/// publisher.publish(1);
/// publisher.publish(2); // overwrites event 0 unread
/// assert_eq!(sub.try_recv_now(), Err(TryRecvNowError::Lagged(1)));
/// // `Busy` comes only while the publisher writes the slot: not here, one thread.
/// assert_eq!(sub.try_recv_now(), Ok((1, 2)));
/// drop(publisher);
/// assert_eq!(sub.try_recv_now(), Err(TryRecvNowError::Disconnected));
/// // Every `RecvError` has its counterpart.
/// assert_eq!(TryRecvNowError::from(RecvError::Lagged(4)), TryRecvNowError::Lagged(4));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TryRecvNowError {
    /// As [`RecvError::Empty`]: nothing newer than the last event received has been
    /// published yet.
    Empty,
    /// As [`RecvError::Lagged`]: this many events were overwritten unread; the next
    /// receive returns the oldest event the ring still held.
    Lagged(u64),
    /// As [`RecvError::Disconnected`]: the publisher is gone and everything is read.
    Disconnected,
    /// The publisher was writing the slot this subscriber needed (a few stores,
    /// unless it was preempted mid-write). Nothing was consumed; try again later.
    Busy,
}

impl From<RecvError> for TryRecvNowError {
    fn from(e: RecvError) -> Self {
        match e {
            RecvError::Empty => TryRecvNowError::Empty,
            RecvError::Lagged(n) => TryRecvNowError::Lagged(n),
            RecvError::Disconnected => TryRecvNowError::Disconnected,
        }
    }
}

impl core::fmt::Display for TryRecvNowError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            TryRecvNowError::Empty => RecvError::Empty.fmt(f),
            TryRecvNowError::Lagged(n) => RecvError::Lagged(*n).fmt(f),
            TryRecvNowError::Disconnected => RecvError::Disconnected.fmt(f),
            TryRecvNowError::Busy => {
                f.write_str("receive on a broadcast slot that the publisher is writing")
            }
        }
    }
}

impl core::error::Error for TryRecvNowError {}
