//! Batch operations on the channel handles: [`Sender::try_push_from`] and
//! [`Receiver::try_pop_into`].
//!
//! In an MPMC queue no handle owns a contiguous run of slots: every item's
//! position is claimed on its own, against the other senders or receivers. So a
//! batch here is a loop over [`Sender::try_push`] or [`Receiver::try_pop`] that
//! stops at the first failure. It saves the caller the loop and the bookkeeping
//! of what is left, not the per-item atomic operations, and a batch is not
//! atomic: other handles' items may land between its items, and receivers see
//! a batch's first items before the rest are pushed.

use super::{Receiver, Sender};
use crate::error::{PopError, PushError};
use alloc::collections::VecDeque;

impl<T> Sender<T> {
    /// Pushes items from the front of `items`, in order, without blocking, until
    /// `items` is empty or a push fails.
    ///
    /// * `Ok(n)`: all `n` items were pushed; `items` is empty.
    /// * `Err((n, PushError::Full(())))`: `n` items were pushed, then the queue
    ///   was full (never spuriously, see the module docs).
    /// * `Err((n, PushError::Disconnected(())))`: `n` items were pushed, then
    ///   every receiver was gone (checked before each item, as `try_push` does).
    ///
    /// No item is ever lost or dropped: the ones not pushed stay in `items` in
    /// their order, the one that failed back at the front (putting it back
    /// needs no allocation: its own place was just freed). Retry with the same
    /// deque to go on where this left off.
    ///
    /// ```
    /// use ringkit::PushError;
    /// use std::collections::VecDeque;
    ///
    /// let (tx, rx) = ringkit::mpmc::channel::<String>(2);
    /// let mut items: VecDeque<String> = ["a", "b", "c"].map(String::from).into();
    /// assert_eq!(tx.try_push_from(&mut items), Err((2, PushError::Full(()))));
    /// assert_eq!(items, ["c"]); // kept, not dropped
    /// assert_eq!(rx.try_pop().as_deref(), Ok("a"));
    /// assert_eq!(tx.try_push_from(&mut items), Ok(1));
    /// assert!(items.is_empty());
    /// ```
    pub fn try_push_from(&self, items: &mut VecDeque<T>) -> Result<usize, (usize, PushError<()>)> {
        let mut pushed = 0;
        while let Some(value) = items.pop_front() {
            if let Err(e) = self.try_push(value) {
                let why = match e {
                    PushError::Full(value) => {
                        items.push_front(value);
                        PushError::Full(())
                    }
                    PushError::Disconnected(value) => {
                        items.push_front(value);
                        PushError::Disconnected(())
                    }
                };
                return Err((pushed, why));
            }
            pushed += 1;
        }
        Ok(pushed)
    }
}

impl<T> Receiver<T> {
    /// Pops up to `max` items without blocking, appending each to `out` in the
    /// order they were popped, until `max` are popped or a pop fails.
    ///
    /// * `Ok(n)`: `n` items were popped, `1 <= n <= max`; fewer than `max` if the
    ///   queue ran empty (the next call says whether for good). `Ok(0)` only for
    ///   `max == 0`, which pops nothing (or for an `out` whose `extend` takes
    ///   no item).
    /// * `Err(PopError::Empty)`: nothing was there (never spuriously, see the
    ///   module docs).
    /// * `Err(PopError::Disconnected)`: nothing was there and every sender is
    ///   gone; items pushed before that are popped first.
    ///
    /// Items come in queue order, but with other receivers popping they are not
    /// consecutive: each item is claimed on its own. The items of one sender that
    /// this receiver pops keep that sender's order.
    ///
    /// Each item goes to `out` as soon as it is popped (through one `extend`
    /// call fed item by item), so nothing popped is held anywhere else; if
    /// `out`'s `extend` panics or stops early, the items it was handed are its
    /// own and the rest stay in the queue.
    ///
    /// ```
    /// use ringkit::PopError;
    ///
    /// let (tx, rx) = ringkit::mpmc::channel::<u32>(8);
    /// for i in 0..5 {
    ///     tx.try_push(i).unwrap();
    /// }
    /// let mut out = Vec::new();
    /// assert_eq!(rx.try_pop_into(&mut out, 3), Ok(3));
    /// assert_eq!(rx.try_pop_into(&mut out, 3), Ok(2)); // ran empty
    /// assert_eq!(out, [0, 1, 2, 3, 4]);
    /// assert_eq!(rx.try_pop_into(&mut out, 3), Err(PopError::Empty));
    /// drop(tx);
    /// assert_eq!(rx.try_pop_into(&mut out, 3), Err(PopError::Disconnected));
    /// ```
    pub fn try_pop_into<E: Extend<T>>(&self, out: &mut E, max: usize) -> Result<usize, PopError> {
        let mut popped = 0;
        let mut stop = None;
        out.extend(core::iter::from_fn(|| {
            // Fused by hand: once stopped, never pop again.
            if popped == max || stop.is_some() {
                return None;
            }
            match self.try_pop() {
                Ok(value) => {
                    popped += 1;
                    Some(value)
                }
                Err(e) => {
                    stop = Some(e);
                    None
                }
            }
        }));
        match stop {
            Some(e) if popped == 0 => Err(e),
            _ => Ok(popped),
        }
    }
}
