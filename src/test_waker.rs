//! A waker that counts its wake-ups, for the unit tests that poll futures by
//! hand and check what woke them.

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
