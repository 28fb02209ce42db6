//! Error types shared by every primitive. A value that could not be pushed is
//! always handed back inside the error.

use core::fmt;

/// A push that did not happen; the value comes back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PushError<T> {
    /// The ring is full (for a timed push: it stayed full until the deadline).
    Full(T),
    /// The receiving side is gone; nobody would ever read the value.
    Disconnected(T),
}

impl<T> PushError<T> {
    /// The value that was not pushed.
    pub fn into_inner(self) -> T {
        match self {
            PushError::Full(v) | PushError::Disconnected(v) => v,
        }
    }
    /// True for [`PushError::Full`].
    pub fn is_full(&self) -> bool {
        matches!(self, PushError::Full(_))
    }
    /// True for [`PushError::Disconnected`].
    pub fn is_disconnected(&self) -> bool {
        matches!(self, PushError::Disconnected(_))
    }
}

impl<T> fmt::Debug for PushError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PushError::Full(_) => f.write_str("Full(..)"),
            PushError::Disconnected(_) => f.write_str("Disconnected(..)"),
        }
    }
}

impl<T> fmt::Display for PushError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PushError::Full(_) => f.write_str("push on a full ring"),
            PushError::Disconnected(_) => {
                f.write_str("push on a ring whose receiving side is gone")
            }
        }
    }
}

impl<T> core::error::Error for PushError<T> {}

/// A pop that returned nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PopError {
    /// The ring is empty (for a timed pop: it stayed empty until the deadline).
    Empty,
    /// The ring is empty and the sending side is gone: nothing will ever arrive.
    Disconnected,
}

impl fmt::Display for PopError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PopError::Empty => f.write_str("pop on an empty ring"),
            PopError::Disconnected => {
                f.write_str("pop on an empty ring whose sending side is gone")
            }
        }
    }
}

impl core::error::Error for PopError {}

/// A broadcast receive that returned no event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecvError {
    /// No event newer than the last one received has been published yet (for a
    /// timed receive: none arrived before the deadline).
    Empty,
    /// The subscriber fell behind and this many events were overwritten before it
    /// read them. The next receive returns the oldest event the ring still held
    /// when the loss was noticed.
    Lagged(u64),
    /// The publisher is gone and every event it published that this subscriber
    /// could still read has been read: nothing will ever arrive.
    Disconnected,
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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

/// A capacity that a ring cannot be built with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CapacityError {
    /// Capacity 0: a ring must hold at least one item.
    Zero,
    /// The ring's buffer (`capacity` slots) would not fit in memory.
    TooLarge {
        /// The capacity that was asked for.
        requested: usize,
    },
}

impl fmt::Display for CapacityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CapacityError::Zero => f.write_str("ring capacity must be at least 1, got 0"),
            CapacityError::TooLarge { requested } => {
                write!(f, "ring capacity {requested} is too large: its buffer would overflow isize::MAX bytes")
            }
        }
    }
}

impl core::error::Error for CapacityError {}

/// A chunk that could not be had: fewer slots or items were available than asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChunkError {
    /// A write chunk asked for more free slots than there are.
    TooFewSlots {
        /// Free slots at the time of the call.
        available: usize,
    },
    /// A read chunk asked for more items than there are.
    TooFewItems {
        /// Readable items at the time of the call.
        available: usize,
    },
    /// A write chunk was asked for after the receiving side was dropped: nothing
    /// written now could ever be read.
    Disconnected,
}

impl ChunkError {
    /// How many slots or items were available (0 for `Disconnected`).
    pub fn available(&self) -> usize {
        match *self {
            ChunkError::TooFewSlots { available } | ChunkError::TooFewItems { available } => {
                available
            }
            ChunkError::Disconnected => 0,
        }
    }
}

impl fmt::Display for ChunkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChunkError::TooFewSlots { available } => {
                write!(f, "too few free slots: {available} available")
            }
            ChunkError::TooFewItems { available } => {
                write!(f, "too few items: {available} available")
            }
            ChunkError::Disconnected => {
                f.write_str("write chunk on a ring whose receiving side is gone")
            }
        }
    }
}

impl core::error::Error for ChunkError {}

/// A wait that reached its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Timeout;

impl fmt::Display for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("timed out")
    }
}

impl core::error::Error for Timeout {}

/// Checks a ring capacity: at least 1, and a buffer of `capacity` values of `T`
/// that fits in `isize::MAX` bytes.
pub(crate) fn check_capacity<T>(capacity: usize) -> Result<(), CapacityError> {
    if capacity == 0 {
        return Err(CapacityError::Zero);
    }
    let too_large = capacity > isize::MAX as usize
        || capacity
            .checked_mul(core::mem::size_of::<T>())
            .map_or(true, |bytes| bytes > isize::MAX as usize);
    if too_large {
        return Err(CapacityError::TooLarge {
            requested: capacity,
        });
    }
    Ok(())
}
