//! [`Waitable`]: what a thread that waits on several sources at once needs of each.

use super::WaitCell;

/// A source that a thread can wait on together with others (the dispatcher
/// does): the cell to attach a doorbell to, and a cheap check of whether to wait
/// at all. Each primitive that can be such a source implements it next to its own
/// waiting code, so the condition a multi-source waiter re-checks is the one the
/// primitive's own blocking operations wait for.
pub(crate) trait Waitable {
    /// What the waiter has already seen: nothing for a queue (whatever is in it
    /// is new), a generation for an event flag.
    type Seen: Copy;

    /// The cell this source's waiters park on; a notify on it means the source
    /// may have become ready.
    fn ready_cell(&self) -> &WaitCell;

    /// True if there may be something past `seen`, or the source is
    /// disconnected. A hint for whether to park, read with `Relaxed` loads: the
    /// poll that follows decides with the primitive's own acquire loads.
    fn looks_ready(&self, seen: Self::Seen) -> bool;

    /// True if the primitive's next non-blocking receive (its `try_pop`,
    /// `try_recv`, `try_wait`, a read newer than `seen`) would not come back
    /// empty now: it would return something, or report the disconnection. Unlike
    /// [`looks_ready`](Self::looks_ready) this is an answer, not a hint: it
    /// decides on the same condition as that receive, through loads that a later
    /// receive by the same thread cannot see older values than (a receive by
    /// another receiver of a shared source may take the item first, as ever).
    fn is_ready(&self, seen: Self::Seen) -> bool;
}
