//! [`Tracker`]: slot accesses announced to loom's race detector; see the `sync`
//! module docs.

/// Announces slot accesses to loom's race detector; free in normal builds.
#[cfg(not(loom))]
pub(crate) struct Tracker;

#[cfg(not(loom))]
impl Tracker {
    #[inline(always)]
    pub(crate) fn new(_slots: usize) -> Self {
        Tracker
    }
    /// Slot `i` is about to be read (or moved out of).
    #[inline(always)]
    pub(crate) fn read(&self, _i: usize) {}
    /// Slot `i` is about to be written.
    #[inline(always)]
    pub(crate) fn write(&self, _i: usize) {}
    /// The `n` slots from index `start` on (wrapping at `cap`) are about to be read.
    #[inline(always)]
    pub(crate) fn read_range(&self, _start: usize, _n: usize, _cap: usize) {}
    /// The `n` slots from index `start` on (wrapping at `cap`) are about to be written.
    #[inline(always)]
    pub(crate) fn write_range(&self, _start: usize, _n: usize, _cap: usize) {}
}

/// Announces slot accesses to loom's race detector.
#[cfg(loom)]
pub(crate) struct Tracker(alloc::boxed::Box<[loom::cell::UnsafeCell<()>]>);

#[cfg(loom)]
impl Tracker {
    pub(crate) fn new(slots: usize) -> Self {
        Tracker(
            (0..slots)
                .map(|_| loom::cell::UnsafeCell::new(()))
                .collect(),
        )
    }
    pub(crate) fn read(&self, i: usize) {
        self.0[i].with(|_| ());
    }
    pub(crate) fn write(&self, i: usize) {
        self.0[i].with_mut(|_| ());
    }
    pub(crate) fn read_range(&self, start: usize, n: usize, cap: usize) {
        (0..n).for_each(|k| self.read((start + k) % cap));
    }
    pub(crate) fn write_range(&self, start: usize, n: usize, cap: usize) {
        (0..n).for_each(|k| self.write((start + k) % cap));
    }
}
