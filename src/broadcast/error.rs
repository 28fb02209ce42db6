//! The broadcast ring's own error: [`TryRecvNowError`].

use crate::RecvError;

/// Why [`Subscriber::try_recv_now`](super::Subscriber::try_recv_now) returned no event: one of the outcomes of
/// [`RecvError`], or [`Busy`](TryRecvNowError::Busy).
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
