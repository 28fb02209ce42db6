//! [`Waiting`]: a future's registration in one wait cell, given back when the
//! future is dropped, finished or not.

use super::{TaskWait, WaitCell};
use core::task::{Context, Poll};

/// A task waiting on `cell`: the state of one `poll_wait` loop. Dropping it
/// (the future that owns it completed or was cancelled) frees its slot.
pub(crate) struct Waiting<'a> {
    cell: &'a WaitCell,
    task: TaskWait,
}

impl<'a> Waiting<'a> {
    pub(crate) fn new(cell: &'a WaitCell) -> Self {
        Waiting {
            cell,
            task: TaskWait::default(),
        }
    }

    /// One poll; see [`WaitCell::poll_wait`].
    #[inline]
    pub(crate) fn poll<R>(
        &mut self,
        cx: &mut Context<'_>,
        attempt: impl FnMut() -> Option<R>,
    ) -> Poll<R> {
        self.cell.poll_wait(&mut self.task, cx, attempt)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.cell.cancel(&mut self.task);
    }
}
