//! The error types the queues (SPSC, MPMC, jobs) share, and those of ring
//! construction, chunks and timeouts. A value that could not be pushed is always
//! handed back inside the error. The broadcast ring's errors are its own
//! (`broadcast::RecvError` and friends).

use core::fmt;

/// A push that did not happen; the value comes back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PushError<T> {
    /// The ring is full.
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

    /// The outcome of a timed push whose waiting loop gave up with `self`: a ring
    /// still full at the deadline is a timeout.
    #[cfg(feature = "std")]
    pub(crate) fn timed(self) -> PushTimeoutError<T> {
        match self {
            PushError::Full(v) => PushTimeoutError::Timeout(v),
            PushError::Disconnected(v) => PushTimeoutError::Disconnected(v),
        }
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

impl PopError {
    /// The outcome of a timed pop whose waiting loop gave up with `self`: a ring
    /// still empty at the deadline is a timeout.
    #[cfg(feature = "std")]
    pub(crate) fn timed(self) -> PopTimeoutError {
        match self {
            PopError::Empty => PopTimeoutError::Timeout,
            PopError::Disconnected => PopTimeoutError::Disconnected,
        }
    }
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

/// A timed push (`push_timeout`, `push_until`) that did not happen; the value
/// comes back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PushTimeoutError<T> {
    /// The ring stayed full until the deadline.
    Timeout(T),
    /// The receiving side is gone; nobody would ever read the value.
    Disconnected(T),
}

impl<T> PushTimeoutError<T> {
    /// The value that was not pushed.
    pub fn into_inner(self) -> T {
        match self {
            PushTimeoutError::Timeout(v) | PushTimeoutError::Disconnected(v) => v,
        }
    }
    /// True for [`PushTimeoutError::Timeout`].
    pub fn is_timeout(&self) -> bool {
        matches!(self, PushTimeoutError::Timeout(_))
    }
    /// True for [`PushTimeoutError::Disconnected`].
    pub fn is_disconnected(&self) -> bool {
        matches!(self, PushTimeoutError::Disconnected(_))
    }
}

impl<T> fmt::Debug for PushTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PushTimeoutError::Timeout(_) => f.write_str("Timeout(..)"),
            PushTimeoutError::Disconnected(_) => f.write_str("Disconnected(..)"),
        }
    }
}

impl<T> fmt::Display for PushTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PushTimeoutError::Timeout(_) => f.write_str("timed out pushing on a full ring"),
            PushTimeoutError::Disconnected(_) => {
                f.write_str("push on a ring whose receiving side is gone")
            }
        }
    }
}

impl<T> core::error::Error for PushTimeoutError<T> {}

/// A timed pop (`pop_timeout`, `pop_until`) that returned no item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PopTimeoutError {
    /// The ring stayed empty until the deadline.
    Timeout,
    /// The ring is empty and its sending side is gone: nothing will ever come.
    Disconnected,
}

impl fmt::Display for PopTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PopTimeoutError::Timeout => f.write_str("timed out popping from an empty ring"),
            PopTimeoutError::Disconnected => {
                f.write_str("pop on an empty ring whose sending side is gone")
            }
        }
    }
}

impl core::error::Error for PopTimeoutError {}

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
    #[must_use]
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
