//! A waker that counts its wake-ups, for the unit tests that poll futures by
//! hand and check what woke them.

use crate::wait::TASK_YIELD_LIMIT;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Wake, Waker};

#[derive(Default)]
pub(crate) struct Count(AtomicUsize);

impl Count {
    /// A counter and a waker that counts into it.
    pub(crate) fn waker() -> (Arc<Count>, Waker) {
        let count = Arc::new(Count::default());
        let waker = Waker::from(count.clone());
        (count, waker)
    }

    /// The wake-ups so far.
    pub(crate) fn get(&self) -> usize {
        // ORDERING: Relaxed; a counter read on the thread that polls.
        self.0.load(Ordering::Relaxed)
    }

    /// Polls a wait that cannot end yet until it has armed, through `poll`
    /// (one poll; true if it returned `Pending`): its first
    /// [`TASK_YIELD_LIMIT`] polls are its yields, each of which wakes the task
    /// once in each of the `cells` it waits in, and the poll after them arms
    /// those cells without a wake-up. Asserts every poll's `Pending` and the
    /// wake-ups, and returns the count after them.
    pub(crate) fn poll_until_armed(&self, cells: usize, mut poll: impl FnMut() -> bool) -> usize {
        let woken = self.get() + cells * usize::from(TASK_YIELD_LIMIT);
        for _ in 0..TASK_YIELD_LIMIT {
            assert!(poll(), "a poll that yields returns Pending");
        }
        assert_eq!(self.get(), woken, "each yield wakes the task once per cell");
        assert!(poll(), "the poll that arms returns Pending");
        assert_eq!(self.get(), woken, "arming wakes nobody");
        woken
    }
}

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // ORDERING: Relaxed; see `get`.
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}
