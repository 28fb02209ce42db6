//! The error types the queues (SPSC, MPMC, jobs) share, and those of ring
//! construction, chunks and timeouts. A value that could not be pushed is always
//! handed back inside the error. The broadcast ring's errors are its own
//! (`broadcast::RecvError` and friends).

use core::fmt;

/// A push that did not happen; the value comes back.
///
/// ```
/// use ringkit::PushError;
///
/// let (mut tx, _rx) = ringkit::spsc::channel::<String>(1);
/// tx.try_push("a".to_string()).unwrap();
/// let err = tx.try_push("b".to_string()).unwrap_err();
/// assert_eq!(err, PushError::Full("b".to_string()));
/// assert_eq!(err.to_string(), "push on a full ring");
/// assert_eq!(err.into_inner(), "b"); // nothing is lost
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PushError<T> {
    /// The ring is full.
    Full(T),
    /// The receiving side is gone; nobody would ever read the value.
    Disconnected(T),
}

impl<T> PushError<T> {
    /// The value that was not pushed.
    ///
    /// ```
    /// let (mut tx, _rx) = ringkit::spsc::channel::<Vec<u8>>(1);
    /// tx.try_push(vec![1]).unwrap();
    /// let back = tx.try_push(vec![2, 3]).unwrap_err().into_inner();
    /// assert_eq!(back, [2, 3]);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            PushError::Full(v) | PushError::Disconnected(v) => v,
        }
    }
    /// True for [`PushError::Full`].
    ///
    /// ```
    /// let (mut tx, _rx) = ringkit::spsc::channel::<u8>(1);
    /// tx.try_push(1).unwrap();
    /// let err = tx.try_push(2).unwrap_err();
    /// assert!(err.is_full());
    /// assert!(!err.is_disconnected());
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, PushError::Full(_))
    }
    /// True for [`PushError::Disconnected`].
    ///
    /// ```
    /// let (mut tx, rx) = ringkit::spsc::channel::<u8>(1);
    /// drop(rx);
    /// let err = tx.try_push(1).unwrap_err();
    /// assert!(err.is_disconnected());
    /// assert!(!err.is_full());
    /// ```
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
///
/// ```
/// use ringkit::PopError;
///
/// let (mut tx, mut rx) = ringkit::spsc::channel::<u8>(1);
/// assert_eq!(rx.try_pop(), Err(PopError::Empty));
/// tx.try_push(1).unwrap();
/// drop(tx);
/// assert_eq!(rx.try_pop(), Ok(1)); // pushed before the producer left
/// assert_eq!(rx.try_pop(), Err(PopError::Disconnected));
/// assert_eq!(PopError::Empty.to_string(), "pop on an empty ring");
/// ```
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
///
/// ```
/// use ringkit::PushTimeoutError;
/// use std::time::Duration;
///
/// let (mut tx, _rx) = ringkit::spsc::channel::<u8>(1);
/// tx.try_push(1).unwrap();
/// // Nobody pops, so the ring stays full.
/// let err = tx.push_timeout(2, Duration::from_millis(1)).unwrap_err();
/// assert_eq!(err, PushTimeoutError::Timeout(2));
/// assert_eq!(err.to_string(), "timed out pushing on a full ring");
/// assert_eq!(err.into_inner(), 2);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PushTimeoutError<T> {
    /// The ring stayed full until the deadline.
    Timeout(T),
    /// The receiving side is gone; nobody would ever read the value.
    Disconnected(T),
}

impl<T> PushTimeoutError<T> {
    /// The value that was not pushed.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let (mut tx, _rx) = ringkit::spsc::channel::<Vec<u8>>(1);
    /// tx.try_push(vec![1]).unwrap();
    /// let err = tx.push_timeout(vec![2, 3], Duration::from_millis(1)).unwrap_err();
    /// assert_eq!(err.into_inner(), [2, 3]);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            PushTimeoutError::Timeout(v) | PushTimeoutError::Disconnected(v) => v,
        }
    }
    /// True for [`PushTimeoutError::Timeout`].
    ///
    /// ```
    /// # use std::time::Duration;
    /// let (mut tx, _rx) = ringkit::spsc::channel::<u8>(1);
    /// tx.try_push(1).unwrap();
    /// let err = tx.push_timeout(2, Duration::from_millis(1)).unwrap_err();
    /// assert!(err.is_timeout());
    /// assert!(!err.is_disconnected());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, PushTimeoutError::Timeout(_))
    }
    /// True for [`PushTimeoutError::Disconnected`].
    ///
    /// ```
    /// # use std::time::Duration;
    /// let (mut tx, rx) = ringkit::spsc::channel::<u8>(1);
    /// drop(rx);
    /// let err = tx.push_timeout(1, Duration::from_secs(60)).unwrap_err(); // no waiting
    /// assert!(err.is_disconnected());
    /// assert!(!err.is_timeout());
    /// ```
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
///
/// ```
/// use ringkit::PopTimeoutError;
/// use std::time::Duration;
///
/// let (tx, mut rx) = ringkit::spsc::channel::<u8>(1);
/// // Nobody pushes, so the ring stays empty.
/// assert_eq!(rx.pop_timeout(Duration::from_millis(1)), Err(PopTimeoutError::Timeout));
/// drop(tx);
/// assert_eq!(rx.pop_timeout(Duration::from_secs(60)), Err(PopTimeoutError::Disconnected));
/// ```
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
///
/// ```
/// use ringkit::CapacityError;
///
/// assert_eq!(ringkit::spsc::try_channel::<u8>(0).err(), Some(CapacityError::Zero));
/// assert_eq!(
///     ringkit::spsc::try_channel::<u64>(usize::MAX).err(),
///     Some(CapacityError::TooLarge { requested: usize::MAX })
/// );
/// ```
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
///
/// ```
/// use ringkit::ChunkError;
///
/// let (mut tx, mut rx) = ringkit::spsc::channel::<u8>(4);
/// assert_eq!(rx.read_chunk(1).err(), Some(ChunkError::TooFewItems { available: 0 }));
/// tx.write_chunk(3).unwrap().commit_all();
/// assert_eq!(tx.write_chunk(2).err(), Some(ChunkError::TooFewSlots { available: 1 }));
/// assert_eq!(rx.read_chunk(3).unwrap().as_slices(), (&[0, 0, 0][..], &[][..]));
/// ```
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
    ///
    /// ```
    /// let (mut tx, _rx) = ringkit::spsc::channel::<u8>(4);
    /// tx.try_push(1).unwrap();
    /// let err = tx.write_chunk(4).err().unwrap();
    /// assert_eq!(err.available(), 3); // free slots
    /// ```
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
///
/// ```
/// use ringkit::{event::Event, Timeout};
/// use std::time::Duration;
///
/// let ready = Event::manual_reset();
/// // Nobody sets it, so the wait runs out.
/// assert_eq!(ready.wait_timeout(Duration::from_millis(1)), Err(Timeout));
/// assert_eq!(Timeout.to_string(), "timed out");
/// ```
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
