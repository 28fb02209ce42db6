//! The ring both handles share: slot addressing, the drop of what is left in it,
//! and the facts about which side is gone.

use super::Ring;
use crate::sync::{LoadMut, Ordering};
use core::cell::UnsafeCell;

impl<T> Ring<T> {
    /// Pointer to slot `i`. The pointer is derived from the whole buffer, so
    /// slices of consecutive slots may be built from it.
    #[inline(always)]
    pub(super) fn slot(&self, i: usize) -> *mut T {
        debug_assert!(i < self.capacity);
        // SAFETY: `i < capacity == buf.len()`, which every caller's slot arithmetic
        // keeps (indices are stepped with a compare-and-reset at capacity).
        unsafe { UnsafeCell::raw_get(self.buf.as_ptr().add(i)).cast::<T>() }
    }

    /// The `n` slots starting at slot index `i`, in ring order, as two raw slices
    /// (the second is empty unless the range wraps).
    #[inline(always)]
    pub(super) fn segments(&self, i: usize, n: usize) -> (*mut [T], *mut [T]) {
        let first = n.min(self.capacity - i);
        (
            core::ptr::slice_from_raw_parts_mut(self.slot(i), first),
            core::ptr::slice_from_raw_parts_mut(self.slot(0), n - first),
        )
    }

    /// The slot index `n` places after `i` (`n <= capacity`).
    #[inline(always)]
    pub(super) fn advance_slot(&self, i: usize, n: usize) -> usize {
        advance(i, n, self.capacity)
    }
}

/// The slot index `n` places after `i` in a ring of `cap` slots (`n <= cap`): a
/// compare-and-subtract, no division.
#[inline(always)]
pub(super) fn advance(i: usize, n: usize, cap: usize) -> usize {
    debug_assert!(i < cap && n <= cap);
    let j = i + n;
    if j >= cap {
        j - cap
    } else {
        j
    }
}

/// Drops the values in a raw slice when it goes out of scope, also while
/// unwinding from a panic in another value's `Drop`.
struct DropSlice<T>(*mut [T]);

impl<T> Drop for DropSlice<T> {
    fn drop(&mut self) {
        // SAFETY: whoever built the guard owns the slice's initialized values and
        // hands them to the guard; nothing reads them afterwards.
        unsafe { core::ptr::drop_in_place(self.0) }
    }
}

/// Drops the values in two raw slices: if one of the first slice's values panics
/// in `Drop`, the rest of the first slice (slice drop glue goes on) and the whole
/// second slice (the guard) are still dropped, each once.
///
/// # Safety
/// Both slices hold initialized values that the caller owns and never touches
/// again.
pub(super) unsafe fn drop_segments<T>((a, b): (*mut [T], *mut [T])) {
    let _b = DropSlice(b);
    // SAFETY: the caller's promise.
    unsafe { core::ptr::drop_in_place(a) };
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        // Both handles are gone and we own the ring: the Arc's release/acquire on
        // its count orders every handle's last access before this point.
        let head = self.head.load_mut();
        let tail = self.tail.load_mut();
        let slot = self.ends.head_slot.load_mut();
        let len = tail.wrapping_sub(head);
        self.tracker.write_range(slot, len, self.capacity);
        // SAFETY: the slots in [head, tail) hold initialized values that were
        // pushed and never popped; nobody else can reach them any more.
        unsafe { drop_segments(self.segments(slot, len)) };
    }
}

impl<T> Ring<T> {
    #[inline(always)]
    pub(super) fn consumer_gone(&self) -> bool {
        // ORDERING: Relaxed: a producer that sees the flag only stops pushing; it
        // reads nothing the consumer wrote. (What the consumer leaves for the
        // ring's own drop is ordered by the Arc.)
        self.ends.consumer_gone.load(Ordering::Relaxed)
    }

    #[inline(always)]
    pub(super) fn producer_gone(&self) -> bool {
        // ORDERING: [spsc.gone.acquire] pairs with the release store in
        // `Producer::drop`: every push happened before, so a consumer that sees the
        // flag and then reloads `tail` sees the final tail.
        self.ends.producer_gone.load(Ordering::Acquire)
    }
}
