//! The MPMC core: a bounded ring of slots with per-slot stamps (Vyukov's bounded
//! queue), positions packed as `lap | index` so that any capacity works without a
//! division. See the module docs of [`crate::mpmc`] for the guarantees.

use crate::error::{check_capacity, CapacityError, PushError};
use crate::sync::{spin_hint, AtomicU64, LoadMut, Ordering, Tracker};
use crate::wait::WaitCell;
use crate::wait::SLOT_RECHECKS;
use alloc::boxed::Box;
use core::cell::UnsafeCell;
use core::mem::MaybeUninit;
use crossbeam_utils::CachePadded;

/// Where a push's or pop's first position comes from, and what it does when
/// the slot there is not ready.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Start {
    /// A loaded `tail` or `head`: the operation may decide that the queue is
    /// full (empty).
    Loaded,
    /// A handle's guess (see `Queue::try_push_guessed`,
    /// `Queue::try_pop_guessed`): if the slot there is not ready, the
    /// operation loads the position before it decides anything.
    Guess,
    /// A receiver's guess, and the pop gives up if it is wrong (the first step
    /// of an async pop).
    #[cfg_attr(not(feature = "async"), allow(dead_code))]
    GuessOnly,
    /// A handle's guess, for an operation that waits in the queue's wait cell
    /// instead of spinning (an async push or pop): when the slot is not ready
    /// it loads the position, and gives up if the position has not moved.
    /// That says only "not ready now": the queue is full (empty), or the pop
    /// (push) that claimed the slot is still reading (writing) it. Only that
    /// pop's (push's) stamp store makes the slot ready, and a notify of the
    /// wait cell follows it. It never spins, waits or reads the other side's
    /// position.
    #[cfg_attr(not(feature = "async"), allow(dead_code))]
    ForWait,
}

/// `next`, the position after `pos`, computed from `claimed`: the value the
/// compare-exchange that claimed `pos` read, equal to `pos`. A handle keeps it
/// as its guess of where its next operation goes; computed this way, the guess
/// comes out of the locked instruction, so the next operation's stamp load
/// cannot issue before that instruction has completed. With the guess taken
/// from `next` itself, the load could issue earlier: one thread gained nothing
/// from that, and two-thread use of the channel ran at half speed
/// (docs/lab/2026-12-mpmc-position-guess.md).
#[inline(always)]
fn out_of(next: u64, pos: u64, claimed: u64) -> u64 {
    debug_assert_eq!(claimed, pos);
    next ^ (claimed ^ pos)
}

/// One slot: the value and its stamp.
///
/// For a position `p` whose slot index is this one, the stamp says:
/// * `stamp == p`: empty, waiting for the push at `p`;
/// * `stamp == p + 1`: holds the item pushed at `p`, waiting for the pop at `p`;
/// * `stamp == p + one_lap` (the same index one lap later): empty again.
struct Slot<T> {
    stamp: AtomicU64,
    value: UnsafeCell<MaybeUninit<T>>,
}

impl<T> Slot<T> {
    #[inline(always)]
    fn value_ptr(&self) -> *mut T {
        UnsafeCell::raw_get(&self.value).cast::<T>()
    }
}

/// A bounded multi-producer multi-consumer queue, shared by reference or `Arc`.
///
/// Dropping it drops the items left in it, each once, also if one of them panics
/// in `Drop` (see the module docs, "Ownership").
///
/// ```
/// let q = ringkit::mpmc::Queue::<u32>::new(2);
/// assert_eq!(q.try_push(1), Ok(()));
/// assert_eq!(q.try_push(2), Ok(()));
/// assert_eq!(q.try_push(3), Err(ringkit::PushError::Full(3))); // full
/// assert_eq!(q.force_push(3), Some(1)); // the oldest makes room
/// assert_eq!(q.try_pop(), Some(2));
/// assert_eq!(q.try_pop(), Some(3));
/// assert_eq!(q.try_pop(), None);
/// ```
pub struct Queue<T> {
    /// Position of the next pop. Changed by compare-exchange only.
    head: CachePadded<AtomicU64>,
    /// Position of the next push. Changed by compare-exchange, and by a plain store
    /// in `force_push` while no other thread can change it (see there).
    tail: CachePadded<AtomicU64>,
    /// Wakes threads that wait for a push to finish (a pop waiting for an item
    /// that is being written, a blocking pop of the channel).
    pub(super) not_empty: CachePadded<WaitCell>,
    /// Wakes threads that wait for a pop to finish.
    pub(super) not_full: CachePadded<WaitCell>,
    /// `capacity` rounded up to a power of two strictly above it: positions are
    /// `lap | index` with `index < capacity` and `lap` a multiple of `one_lap`.
    one_lap: u64,
    /// `log2(one_lap)`, to turn a lap into a lap count for sequence numbers.
    lap_shift: u32,
    capacity: usize,
    buf: Box<[Slot<T>]>,
    tracker: Tracker,
}

// SAFETY: the queue moves `T` values between threads, so it needs `T: Send`; it
// never hands out `&T`, so it needs no `T: Sync`. Each slot is accessed only by the
// thread that claimed its position (compare-exchange on head or tail), and the
// stamp's release/acquire pairs hand the slot from one owner to the next.
unsafe impl<T: Send> Send for Queue<T> {}
// SAFETY: as for `Send`.
unsafe impl<T: Send> Sync for Queue<T> {}

impl<T> Queue<T> {
    /// Creates a queue of `capacity` slots.
    ///
    /// ```
    /// use ringkit::mpmc::Queue;
    /// use std::sync::Arc;
    ///
    /// let q = Arc::new(Queue::<u64>::new(5));
    /// assert_eq!(q.capacity(), 5);
    /// let q2 = Arc::clone(&q);
    /// std::thread::spawn(move || q2.try_push(1).unwrap()).join().unwrap();
    /// assert_eq!(q.try_pop(), Some(1));
    /// ```
    ///
    /// # Panics
    ///
    /// If `capacity` is 0 or too large for memory; see [`Queue::try_new`].
    #[must_use]
    #[track_caller]
    pub fn new(capacity: usize) -> Self {
        match Self::try_new(capacity) {
            Ok(q) => q,
            Err(e) => panic!("ringkit::mpmc::Queue::new: {e}"),
        }
    }

    /// Creates a queue of `capacity` slots, or says why it cannot.
    ///
    /// ```
    /// use ringkit::{mpmc::Queue, CapacityError};
    /// assert_eq!(Queue::<u8>::try_new(0).err(), Some(CapacityError::Zero));
    /// ```
    pub fn try_new(capacity: usize) -> Result<Self, CapacityError> {
        Self::build(capacity, 0)
    }

    /// A queue whose positions start `laps_before_wrap` laps before the `u64`
    /// positions wrap around to 0, so tests can cross the wrap-around quickly. Not
    /// part of the public API.
    #[cfg(any(test, feature = "test-hooks"))]
    #[doc(hidden)]
    #[must_use]
    #[track_caller]
    pub fn starting_at(capacity: usize, laps_before_wrap: u64) -> Self {
        match Self::build(capacity, laps_before_wrap) {
            Ok(q) => q,
            Err(e) => panic!("ringkit::mpmc::Queue::starting_at: {e}"),
        }
    }

    fn build(capacity: usize, laps_before_wrap: u64) -> Result<Self, CapacityError> {
        check_capacity::<Slot<T>>(capacity)?;
        // `capacity + 1` cannot overflow (checked above: at most isize::MAX), and its
        // next power of two fits a u64 on every target with a 64-bit-or-smaller usize.
        let one_lap = ((capacity as u64) + 1).next_power_of_two();
        let start = 0u64.wrapping_sub(laps_before_wrap.wrapping_mul(one_lap));
        // Stamps must be set one by one (slot `i` starts at `start | i`): the only
        // per-slot loop, and it runs before anybody can see the queue.
        let buf: Box<[Slot<T>]> = (0..capacity as u64)
            .map(|i| Slot {
                stamp: AtomicU64::new(start | i),
                value: UnsafeCell::new(MaybeUninit::uninit()),
            })
            .collect();
        Ok(Queue {
            head: CachePadded::new(AtomicU64::new(start)),
            tail: CachePadded::new(AtomicU64::new(start)),
            not_empty: CachePadded::new(WaitCell::new()),
            not_full: CachePadded::new(WaitCell::new()),
            one_lap,
            lap_shift: one_lap.trailing_zeros(),
            capacity,
            buf,
            tracker: Tracker::new(capacity),
        })
    }

    /// Slot index of position `pos`.
    #[inline(always)]
    fn index(&self, pos: u64) -> usize {
        (pos & (self.one_lap - 1)) as usize
    }

    /// The position after `pos`: the next index, or index 0 of the next lap.
    #[inline(always)]
    fn next(&self, pos: u64) -> u64 {
        if (pos & (self.one_lap - 1)) + 1 < self.capacity as u64 {
            pos + 1
        } else {
            (pos & !(self.one_lap - 1)).wrapping_add(self.one_lap)
        }
    }

    /// The sequence number of position `pos`: how many positions come before it,
    /// modulo `2^64 / one_lap * capacity` (at least 2^63).
    #[inline(always)]
    pub(super) fn seq(&self, pos: u64) -> u64 {
        (pos >> self.lap_shift)
            .wrapping_mul(self.capacity as u64)
            .wrapping_add(pos & (self.one_lap - 1))
    }

    #[inline(always)]
    fn value_ptr(&self, index: usize) -> *mut T {
        self.buf[index].value_ptr()
    }

    /// Pushes `value` if the queue is not full; hands it back in
    /// [`PushError::Full`] if it is (a queue has no receiving side to lose, so it
    /// never reports `Disconnected`; a channel's sender does, once the queue
    /// under it is closed).
    ///
    /// Never fails spuriously: `Full` only when this call saw `capacity` items in
    /// the queue (counting pushes that have claimed a slot and are still writing it).
    /// A pop that has claimed the slot we need but not yet moved the value out is
    /// waited for (a brief spin, then a futex sleep until it finishes); see the
    /// module docs.
    ///
    /// When the slot still holds the previous lap's item, the slot is re-read
    /// twice, a spin hint apart, before the consumers' position is read: a queue
    /// that is really full costs two spin hints (tens of nanoseconds) to report,
    /// and a producer retrying on a full queue does not keep taking the consumers'
    /// cache line away from them (see `docs/design.md`, "Variants measured").
    ///
    /// ```
    /// use ringkit::{mpmc::Queue, PushError};
    ///
    /// let q = Queue::new(1);
    /// assert_eq!(q.try_push('a'), Ok(()));
    /// assert_eq!(q.try_push('b'), Err(PushError::Full('b'))); // handed back
    /// assert_eq!(q.try_pop(), Some('a'));
    /// assert_eq!(q.try_push('b'), Ok(()));
    /// ```
    #[inline]
    pub fn try_push(&self, value: T) -> Result<(), PushError<T>> {
        self.push_from(self.load_tail(), Start::Loaded, value)
            .map(drop)
    }

    /// `try_push` for a channel's sender, which passes its guess of the tail:
    /// the position after its own last push. The guess saves loading `tail`
    /// before the stamp, a load that must wait for the previous push's
    /// compare-exchange on the same thread. A wrong guess costs a stamp load (or
    /// a failed compare-exchange, which reads the tail), and then the push goes
    /// on as `try_push`: full and closed verdicts are made from a loaded tail
    /// only, never from a guess. Returns the next guess (see `out_of`).
    ///
    /// A guess must be a position this queue has had (its index below
    /// `capacity`); its age does not matter.
    #[inline(always)]
    pub(super) fn try_push_guessed(&self, guess: u64, value: T) -> Result<u64, PushError<T>> {
        self.push_from(guess, Start::Guess, value)
    }

    /// `try_push_guessed` for a push that waits in `not_full` (an async push):
    /// `Full` hands `value` back when the slot at the tail is not free yet,
    /// which is not a full verdict: a pop may still be reading that slot.
    /// Never spins, waits or reads `head`.
    #[cfg_attr(not(feature = "async"), allow(dead_code))]
    #[inline(always)]
    pub(super) fn push_for_wait(&self, guess: u64, value: T) -> Result<u64, PushError<T>> {
        self.push_from(guess, Start::ForWait, value)
    }

    /// The push loop, from `tail` as `from` says (`Loaded`, `Guess` or
    /// `ForWait`). Returns the position after the one pushed.
    #[inline(always)]
    fn push_from(&self, mut tail: u64, mut from: Start, mut value: T) -> Result<u64, PushError<T>> {
        loop {
            let index = self.index(tail);
            // The slot lookup's bounds check doubles as the closed check: a closed
            // tail's index is past the last slot (see `close`).
            let Some(slot) = self.buf.get(index) else {
                return Err(PushError::Disconnected(value));
            };
            // ORDERING: [mpmc.stamp.acquire.push] pairs with [mpmc.stamp.release.pop]
            // (and the initial stamps): the previous owner's read of the slot
            // happens before our write. Loom: mpmc_1p2c_wrap / mpmc_2p1c_wrap.
            let stamp = slot.stamp.load(Ordering::Acquire);
            if stamp == tail {
                match self.push_at(tail, index, slot, value) {
                    Ok(next) => return Ok(next),
                    Err((v, t)) => {
                        (value, tail) = (v, t);
                        if from != Start::ForWait {
                            from = Start::Loaded;
                        }
                        continue;
                    }
                }
            }
            if from != Start::Loaded {
                // Decide nothing on a guess: load the tail. If the guess was
                // the tail, go on with the stamp already read: the full verdict
                // rests on `head`, loaded after this tail acquire, and the stamp
                // only chooses between waiting for a pop and retrying (a stamp
                // older than this acquire makes a wait return at once).
                let loaded = self.load_tail();
                if from == Start::ForWait {
                    // A tail still at `tail` says the stamp read is older than
                    // any push at `tail`: such a push stores its stamp after
                    // its exchange moved the tail on, and the stamp acquire
                    // would make this load see that move. So the slot was not
                    // free for `tail`, and only the pop of the item before
                    // frees it; that pop notifies `not_full` after its stamp
                    // store.
                    if loaded == tail {
                        return Err(PushError::Full(value));
                    }
                } else {
                    from = Start::Loaded;
                }
                if loaded != tail {
                    tail = loaded;
                    continue;
                }
            }
            match self.push_not_free(slot, tail, stamp) {
                Some(t) => tail = t,
                None => return Err(PushError::Full(value)),
            }
        }
    }

    /// The rest of a `try_push` step whose slot was not free for `tail` (its
    /// stamp load saw `stamp`): out of line, so that the path that finds its
    /// slot free is small enough to inline. `None` if the queue is full;
    /// otherwise the tail to try next.
    #[inline(never)]
    fn push_not_free(&self, slot: &Slot<T>, tail: u64, stamp: u64) -> Option<u64> {
        if stamp.wrapping_add(self.one_lap) == tail.wrapping_add(1)
            && Self::stamp_moves(slot, stamp)
        {
            // The previous lap's item was popped while we looked: try again,
            // without having read `head`.
            return Some(tail);
        }
        // ORDERING: Relaxed; compared with positions only, never used to read a
        // slot. The caller's tail acquire makes it at least as new as every pop
        // that led to that tail.
        let head = self.head.load(Ordering::Relaxed);
        if head.wrapping_add(self.one_lap) == tail {
            return None;
        }
        if stamp.wrapping_add(self.one_lap) == tail.wrapping_add(1) {
            // The previous lap's item is still here but its pop has claimed it
            // (head moved on): wait until that pop finishes.
            self.wait_stamp_change(slot, stamp, &self.not_full);
        } else {
            // Our tail is stale: another push has already claimed this slot.
            spin_hint();
        }
        Some(self.load_tail())
    }

    /// The tail for `try_push` and `force_push` to decide on: at the start and
    /// again after each wait or spin. One function, so that one ordering covers
    /// every tail load whose value can end in a verdict.
    #[inline(always)]
    fn load_tail(&self) -> u64 {
        // ORDERING: [mpmc.tail.acquire] pairs with [mpmc.tail.release]: the pushes
        // and pops that led to this tail happen before our stamp and head loads,
        // so a full verdict is never spurious (a stale tail only makes the claim
        // fail), and `force_push` never waits for a pop that nobody has claimed.
        // Loom: mpmc_try_push_never_spuriously_full, mpmc_force_push_after_eviction.
        self.tail.load(Ordering::Acquire)
    }

    /// The first guess of a new channel's handles (see `try_push_guessed`):
    /// its start position, where both `head` and `tail` are before the first
    /// push.
    #[inline]
    pub(super) fn first_guess(&self) -> u64 {
        // ORDERING: Relaxed; a guess, and the queue is not shared yet.
        self.head.load(Ordering::Relaxed)
    }

    /// The head for `try_pop` to decide on, as [`Queue::load_tail`] is for pushes.
    #[inline(always)]
    fn load_head(&self) -> u64 {
        // ORDERING: [mpmc.head.acquire] pairs with [mpmc.head.release]: the pops
        // and pushes that led to this head happen before our stamp and tail loads,
        // so an empty verdict is never spurious (a stale head only makes the claim
        // fail). Loom: mpmc_try_pop_never_spuriously_empty.
        self.head.load(Ordering::Acquire)
    }

    /// The push itself, for `try_push` and `force_push`, once a stamp load with
    /// [mpmc.stamp.acquire.push] (or [mpmc.stamp.acquire.force]) has seen the slot
    /// at `index` (`slot`) free for position `tail` (stamp == tail): claims `tail`
    /// and writes `value`. If another push claimed `tail` first, hands `value` back
    /// with the tail it found.
    #[inline(always)]
    fn push_at(&self, tail: u64, index: usize, slot: &Slot<T>, value: T) -> Result<u64, (T, u64)> {
        let next = self.next(tail);
        // ORDERING: [mpmc.tail.release] on success pairs with [mpmc.tail.acquire];
        // Acquire on failure (the value read becomes the caller's tail). The slot
        // was handed over by the caller's stamp load, and only the winner of this
        // exchange may write it.
        let claimed =
            match self
                .tail
                .compare_exchange_weak(tail, next, Ordering::Release, Ordering::Acquire)
            {
                Ok(claimed) => claimed,
                Err(t) => return Err((value, t)),
            };
        self.tracker.write(index);
        // SAFETY: we claimed position `tail`; its slot is empty (stamp == tail, seen
        // by the caller) and no other thread touches it until we store the next stamp.
        unsafe { slot.value_ptr().write(value) };
        // ORDERING: [mpmc.stamp.release.push] pairs with [mpmc.stamp.acquire.pop]
        // and [mpmc.stamp.acquire.force]: our write happens before the popper's (or
        // evicting pusher's) read.
        slot.stamp.store(tail.wrapping_add(1), Ordering::Release);
        self.not_empty.notify();
        Ok(out_of(next, tail, claimed))
    }

    /// Pops the oldest item, or `None` if the queue is empty.
    ///
    /// Never fails spuriously: `None` only when this call saw head == tail (no push
    /// has claimed a position that no pop has claimed). A push that has claimed the
    /// oldest position but not yet written it is waited for (a brief spin, then a
    /// futex sleep until it finishes); see the module docs.
    ///
    /// When the oldest slot has not been written, the slot is re-read twice, a
    /// spin hint apart, before the producers' position is read: a queue that is
    /// really empty costs two spin hints (tens of nanoseconds) to report, and a
    /// consumer polling an empty queue does not keep taking the producers' cache
    /// line away from them (see `docs/design.md`, "Variants measured").
    ///
    /// ```
    /// let q = ringkit::mpmc::Queue::new(4);
    /// std::thread::scope(|s| {
    ///     s.spawn(|| q.try_push(1).unwrap());
    ///     s.spawn(|| q.try_push(2).unwrap());
    /// });
    /// // Both pushes happened before (the scope joined their threads): both are seen.
    /// let mut got = [q.try_pop().unwrap(), q.try_pop().unwrap()];
    /// got.sort();
    /// assert_eq!(got, [1, 2]);
    /// assert_eq!(q.try_pop(), None);
    /// ```
    #[inline]
    pub fn try_pop(&self) -> Option<T> {
        self.try_pop_with_seq().map(|(_, v)| v)
    }

    /// Like [`Queue::try_pop`], and also returns the item's sequence number: 0 for
    /// the first item ever pushed, one more for each item after it (per queue, in
    /// push order; items evicted by [`Queue::force_push`] keep their numbers, so a
    /// gap shows how many were lost).
    ///
    /// ```
    /// let q = ringkit::mpmc::Queue::new(2);
    /// q.try_push("a").unwrap();
    /// q.try_push("b").unwrap();
    /// assert_eq!(q.force_push("c"), Some("a")); // evicts item 0
    /// assert_eq!(q.try_pop_with_seq(), Some((1, "b"))); // the gap: one item lost
    /// assert_eq!(q.try_pop_with_seq(), Some((2, "c")));
    /// assert_eq!(q.try_pop_with_seq(), None);
    /// ```
    // Always inlined: the path that finds an item is small (the rest is in
    // `pop_not_ready`), and inlined the sequence number costs nothing where the
    // caller drops it.
    #[inline(always)]
    pub fn try_pop_with_seq(&self) -> Option<(u64, T)> {
        self.pop_from(self.load_head(), Start::Loaded)
            .map(|(head, _, value)| (self.seq(head), value))
    }

    /// `try_pop` for a channel's receiver, which passes its guess of the head
    /// (the position after its own last pop), as `try_push_guessed` does for
    /// the tail; an empty verdict is made from a loaded head only. Returns the
    /// position popped (for the sequence number), the position after it (the
    /// next guess) and the item.
    #[inline(always)]
    pub(super) fn try_pop_guessed(&self, guess: u64) -> Option<(u64, u64, T)> {
        self.pop_from(guess, Start::Guess)
    }

    /// Pops the item at `guess` if the slot holds it and no other pop claims it
    /// first; `None` otherwise, which says nothing about the queue. The first
    /// step of an async pop: no load of `head` or `tail`, and no wait.
    #[cfg_attr(not(feature = "async"), allow(dead_code))]
    #[inline(always)]
    pub(super) fn pop_at_guess(&self, guess: u64) -> Option<(u64, u64, T)> {
        self.pop_from(guess, Start::GuessOnly)
    }

    /// `try_pop_guessed` for a pop that waits in `not_empty` (an async pop):
    /// `None` when the slot at the head does not hold its item yet, which is
    /// not an empty verdict: a push may still be writing that slot. Never
    /// spins, waits or reads `tail`.
    #[cfg_attr(not(feature = "async"), allow(dead_code))]
    #[inline(always)]
    pub(super) fn pop_for_wait(&self, guess: u64) -> Option<(u64, u64, T)> {
        self.pop_from(guess, Start::ForWait)
    }

    /// The pop loop, from `head` as `from` says. Returns the position popped,
    /// the position after it, and the item.
    #[inline(always)]
    fn pop_from(&self, mut head: u64, mut from: Start) -> Option<(u64, u64, T)> {
        loop {
            let index = self.index(head);
            let slot = &self.buf[index];
            // ORDERING: [mpmc.stamp.acquire.pop] pairs with [mpmc.stamp.release.push]
            // and [mpmc.stamp.release.force]: the pusher's write happens before our
            // read. Loom: mpmc_2p1c_wrap / mpmc_1p2c_wrap / mpmc_force_push_vs_pop.
            let stamp = slot.stamp.load(Ordering::Acquire);
            if stamp == head.wrapping_add(1) {
                let next = self.next(head);
                // ORDERING: [mpmc.head.release] on success pairs with
                // [mpmc.head.acquire]; Acquire on failure (the value read becomes our
                // head). The stamp load handed the slot over.
                match self.head.compare_exchange_weak(
                    head,
                    next,
                    Ordering::Release,
                    Ordering::Acquire,
                ) {
                    Ok(claimed) => {
                        self.tracker.read(index);
                        // SAFETY: we claimed position `head`; its slot holds the
                        // value pushed there (stamp == head + 1) and nobody else
                        // touches it until we store the next stamp. We move it out once.
                        let value = unsafe { slot.value_ptr().read() };
                        // ORDERING: [mpmc.stamp.release.pop] pairs with
                        // [mpmc.stamp.acquire.push]: our read happens before the next
                        // lap's write.
                        slot.stamp
                            .store(head.wrapping_add(self.one_lap), Ordering::Release);
                        self.not_full.notify();
                        return Some((head, out_of(next, head, claimed), value));
                    }
                    Err(_) if from == Start::GuessOnly => return None,
                    Err(h) => {
                        head = h;
                        if from != Start::ForWait {
                            from = Start::Loaded;
                        }
                        continue;
                    }
                }
            }
            match from {
                Start::Loaded => {}
                Start::GuessOnly => return None,
                Start::Guess => {
                    // Decide nothing on a guess: load the head, and go on with
                    // the stamp already read only if the guess was the head, as
                    // in `push_from`.
                    from = Start::Loaded;
                    let loaded = self.load_head();
                    if loaded != head {
                        head = loaded;
                        continue;
                    }
                }
                Start::ForWait => {
                    // As in `push_from`: a head still at `head` says the stamp
                    // read is older than any pop at `head`, so the slot did not
                    // hold the item for `head`; only the push at `head` stores
                    // it, and then notifies `not_empty`.
                    let loaded = self.load_head();
                    if loaded == head {
                        return None;
                    }
                    head = loaded;
                    continue;
                }
            }
            head = self.pop_not_ready(slot, head, stamp)?;
        }
    }

    /// The rest of a `try_pop` step whose slot did not hold the item pushed at
    /// `head` (its stamp load saw `stamp`): out of line, as `push_not_free`.
    /// `None` if the queue is empty; otherwise the head to try next.
    #[inline(never)]
    fn pop_not_ready(&self, slot: &Slot<T>, head: u64, stamp: u64) -> Option<u64> {
        if stamp == head && Self::stamp_moves(slot, stamp) {
            // The push at `head` finished while we looked: try again, without
            // having read `tail`.
            return Some(head);
        }
        // ORDERING: Relaxed; compared with positions only. The caller's head
        // acquire makes it at least as new as every push that led to that head.
        let tail = self.tail.load(Ordering::Relaxed);
        // A closed tail never equals a head, so a pop at the end of a closed
        // queue would wait here for ever: only `close` pops a closed queue,
        // and it stops at the end.
        if tail == head {
            return None;
        }
        if stamp == head {
            // A push has claimed `head` (tail moved on) and is still writing.
            self.wait_stamp_change(slot, stamp, &self.not_empty);
        } else {
            // Our head is stale: another pop has already claimed this slot.
            spin_hint();
        }
        Some(self.load_head())
    }

    /// Pushes `value`; if the queue is full, first removes the oldest item and
    /// returns it. Under contention this behaves like a pop of the oldest item
    /// followed by a push: between the two, other threads may see one item fewer.
    ///
    /// ```
    /// let q = ringkit::mpmc::Queue::new(2);
    /// assert_eq!(q.force_push(1), None); // room
    /// assert_eq!(q.force_push(2), None);
    /// assert_eq!(q.force_push(3), Some(1)); // full: the oldest makes room
    /// assert_eq!(q.into_iter().collect::<Vec<_>>(), [2, 3]);
    /// ```
    #[inline]
    pub fn force_push(&self, mut value: T) -> Option<T> {
        let mut tail = self.load_tail();
        loop {
            let index = self.index(tail);
            let slot = &self.buf[index];
            // ORDERING: [mpmc.stamp.acquire.force] pairs with [mpmc.stamp.release.pop]
            // (the slot is free) and [mpmc.stamp.release.push] (the slot holds an item
            // we may evict). Loom: mpmc_force_push_vs_pop.
            let stamp = slot.stamp.load(Ordering::Acquire);
            if stamp == tail {
                match self.push_at(tail, index, slot, value) {
                    Ok(_) => return None,
                    Err((v, t)) => {
                        (value, tail) = (v, t);
                        continue;
                    }
                }
            }
            let oldest = tail.wrapping_sub(self.one_lap);
            if stamp == oldest.wrapping_add(1) {
                // The slot holds the item pushed one lap ago.
                // ORDERING: Relaxed; positions only.
                let head = self.head.load(Ordering::Relaxed);
                if head == oldest {
                    // Full. Claim the oldest item as a pop would.
                    // ORDERING: [mpmc.head.release] on success, as in try_pop (the
                    // stamp load handed the slot over); Relaxed on failure, we start
                    // again from tail.
                    if self
                        .head
                        .compare_exchange(
                            oldest,
                            self.next(oldest),
                            Ordering::Release,
                            Ordering::Relaxed,
                        )
                        .is_ok()
                    {
                        // Position `oldest` was not popped (we moved head off it), so
                        // the stamp is still `oldest + 1` != `tail`: no push can claim
                        // `tail`, and tail is exactly `tail` (it cannot have passed a
                        // position whose stamp never equalled it). We own the slot.
                        self.tracker.write(index);
                        // SAFETY: we own the slot (see above); it holds the
                        // initialized item pushed at `oldest` (stamp, acquire), which
                        // we move out while moving `value` in.
                        let old = unsafe { slot.value_ptr().replace(value) };
                        // ORDERING: [mpmc.tail.release], as for every change of tail
                        // (see try_push); nobody else can change tail now (above).
                        self.tail.store(self.next(tail), Ordering::Release);
                        // ORDERING: [mpmc.stamp.release.force] pairs with
                        // [mpmc.stamp.acquire.pop]: our write happens before its read.
                        slot.stamp.store(tail.wrapping_add(1), Ordering::Release);
                        self.not_empty.notify();
                        self.not_full.notify();
                        return Some(old);
                    }
                } else {
                    // A pop has claimed the oldest item and is still reading it.
                    self.wait_stamp_change(slot, stamp, &self.not_full);
                }
            } else if stamp == oldest {
                // Full, and the oldest item is still being written: wait for it.
                self.wait_stamp_change(slot, stamp, &self.not_empty);
            } else {
                // Our tail is stale.
                spin_hint();
            }
            tail = self.load_tail();
        }
    }

    /// True if the stamp of `slot` moves off `seen` within `SLOT_RECHECKS` re-reads,
    /// a spin hint apart: the patience of `try_push` before it reads `head`, and of
    /// `try_pop` before it reads `tail`.
    #[inline]
    fn stamp_moves(slot: &Slot<T>, seen: u64) -> bool {
        (0..SLOT_RECHECKS).any(|_| {
            spin_hint();
            // ORDERING: Relaxed; only decides to retry. The retry reloads the stamp
            // with [mpmc.stamp.acquire.push] / [mpmc.stamp.acquire.pop] before it
            // touches the slot.
            slot.stamp.load(Ordering::Relaxed) != seen
        })
    }

    /// Waits until the stamp of `slot` is no longer `seen`: a push or pop that has
    /// claimed the slot finishes and notifies `cell` after its stamp store. If our
    /// view was stale the stamp has already changed and this returns at once.
    #[cold]
    fn wait_stamp_change(&self, slot: &Slot<T>, seen: u64, cell: &WaitCell) {
        cell.wait(|| {
            // ORDERING: Relaxed; the caller reloads the stamp with Acquire before
            // touching the slot. The WaitCell barrier pair orders this load against
            // the notifier's stamp store ([wait.light]/[wait.heavy]).
            slot.stamp.load(Ordering::Relaxed) != seen
        });
    }

    /// The number of slots (fixed at construction).
    ///
    /// ```
    /// let q = ringkit::mpmc::Queue::<u8>::new(3); // any capacity, not only powers of two
    /// assert_eq!(q.capacity(), 3);
    /// ```
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Items in the queue now, counting pushes and pops in progress as done. A
    /// snapshot: other threads may change it at once.
    ///
    /// ```
    /// let q = ringkit::mpmc::Queue::new(3);
    /// q.try_push(1).unwrap();
    /// q.try_push(2).unwrap();
    /// assert_eq!(q.len(), 2);
    /// assert_eq!(q.try_pop(), Some(1));
    /// assert_eq!(q.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        loop {
            // ORDERING: Relaxed (all three loads): a snapshot, no slot is read.
            let tail = self.tail.load(Ordering::Relaxed);
            let head = self.head.load(Ordering::Relaxed);
            if self.tail.load(Ordering::Relaxed) == tail {
                return if self.is_closed(tail) {
                    0
                } else {
                    self.distance(head, tail)
                };
            }
        }
    }

    /// Items between positions `head` and `tail` (at most one lap apart).
    #[inline(always)]
    fn distance(&self, head: u64, tail: u64) -> usize {
        let hi = self.index(head);
        let ti = self.index(tail);
        if hi < ti {
            ti - hi
        } else if hi > ti {
            self.capacity - hi + ti
        } else if head == tail {
            0
        } else {
            self.capacity
        }
    }

    /// True if the queue holds no item now (a snapshot).
    ///
    /// ```
    /// let q = ringkit::mpmc::Queue::new(3);
    /// assert!(q.is_empty());
    /// q.try_push(1).unwrap();
    /// assert!(!q.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        // ORDERING: Relaxed: a snapshot.
        let head = self.head.load(Ordering::Relaxed);
        // ORDERING: Relaxed: a snapshot.
        let tail = self.tail.load(Ordering::Relaxed);
        tail == head || self.is_closed(tail)
    }

    /// True if every slot is taken now (a snapshot).
    ///
    /// ```
    /// let q = ringkit::mpmc::Queue::new(2);
    /// q.try_push(1).unwrap();
    /// assert!(!q.is_full());
    /// q.try_push(2).unwrap();
    /// assert!(q.is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        // ORDERING: Relaxed: a snapshot.
        let tail = self.tail.load(Ordering::Relaxed);
        // ORDERING: Relaxed: a snapshot.
        self.head.load(Ordering::Relaxed).wrapping_add(self.one_lap) == tail
    }

    /// Whether `tail` is the tail of a closed queue: its index bits are all set,
    /// an index no slot has (`one_lap > capacity`) and no push can reach.
    #[inline(always)]
    fn is_closed(&self, tail: u64) -> bool {
        self.index(tail) >= self.capacity
    }

    /// Closes the queue to pushes and drops every item in it, for a channel whose
    /// last receiver is going. Every later push reports `Disconnected`; the item
    /// of every push that claimed a position before the close is dropped here,
    /// once (a push still writing its item is waited for). If an item panics in
    /// `Drop`, the rest are still dropped and the panic then continues.
    ///
    /// The caller must be the only thread that pops, now and from now on, and
    /// every earlier pop must happen before this call (see `Receiver::drop`).
    pub(super) fn close(&self) {
        // ORDERING: Relaxed. The read-modify-write reads the newest tail, so `end`
        // is after every position a push has claimed; a push that comes later
        // finds the closed tail (its own load or failed exchange) and claims
        // nothing. The items themselves are read by `try_pop` below, through the
        // stamps' release/acquire pairs.
        let end = self.tail.fetch_or(self.one_lap - 1, Ordering::Relaxed);
        let mut closing = Closing { queue: self, end };
        closing.drop_rest();
        // `closing` drops here: it finishes the drain if an item's `Drop`
        // panicked, then wakes the senders blocked on a full queue.
    }

    /// Whether the queue has been closed (see `close`).
    #[inline]
    pub(super) fn is_closed_now(&self) -> bool {
        // ORDERING: Relaxed: a closed tail stays closed, and nothing is read on
        // the strength of it.
        self.is_closed(self.tail.load(Ordering::Relaxed))
    }

    /// True if the slot at `head` holds the item pushed at `head`, so that a
    /// pop now takes it (unless another pop claims it first). Reads `head` and
    /// that slot's stamp, which the pop reads anyway, and not `tail`, which
    /// every push writes: a receiver that checks several queues before it pops
    /// (a select) does not pull the pushers' line over for each.
    #[cfg(feature = "std")]
    #[inline]
    pub(super) fn head_ready(&self) -> bool {
        // ORDERING: Relaxed: a check. The pop that follows reloads `head` and
        // the stamp with acquire ([mpmc.head.acquire], [mpmc.stamp.acquire.pop]);
        // by read-read coherence it sees them no older, and only a pop moves
        // `head` or the stamp on from "holds the item pushed at `head`".
        let head = self.head.load(Ordering::Relaxed);
        // ORDERING: Relaxed, as above.
        let stamp = self.buf[self.index(head)].stamp.load(Ordering::Relaxed);
        stamp == head.wrapping_add(1)
    }

    /// Whether a pop could find something: head and tail differ (for waiting).
    #[cfg(feature = "std")]
    #[inline]
    pub(super) fn looks_nonempty(&self) -> bool {
        !self.is_empty()
    }

    /// Whether a push could find room (for waiting).
    #[cfg(feature = "std")]
    #[inline]
    pub(super) fn looks_nonfull(&self) -> bool {
        !self.is_full()
    }
}

/// Drains a queue by value, oldest first: made by `Queue::into_iter`. Items not
/// taken are dropped with the iterator.
///
/// ```
/// let q = ringkit::mpmc::Queue::new(4);
/// q.try_push("a").unwrap();
/// q.try_push("b").unwrap();
/// assert_eq!(q.into_iter().collect::<Vec<_>>(), ["a", "b"]);
/// ```
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct QueueIntoIter<T> {
    queue: Queue<T>,
}

impl<T> Iterator for QueueIntoIter<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.queue.try_pop()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        // Owned: nobody else can push or pop, so the length is exact.
        let n = self.queue.len();
        (n, Some(n))
    }
}

impl<T> ExactSizeIterator for QueueIntoIter<T> {}

impl<T> core::iter::FusedIterator for QueueIntoIter<T> {}

impl<T> core::fmt::Debug for QueueIntoIter<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("QueueIntoIter").field(&self.queue).finish()
    }
}

impl<T> IntoIterator for Queue<T> {
    type Item = T;
    type IntoIter = QueueIntoIter<T>;

    fn into_iter(self) -> QueueIntoIter<T> {
        QueueIntoIter { queue: self }
    }
}

impl<T> Drop for Queue<T> {
    fn drop(&mut self) {
        if !core::mem::needs_drop::<T>() {
            return;
        }
        // `&mut self`: every other access happened before.
        let pos = self.head.load_mut();
        let tail = self.tail.load_mut();
        if self.is_closed(tail) {
            // `close` dropped every item, and no push could add one since.
            return;
        }
        let mut leftovers = Leftovers {
            queue: self,
            pos,
            tail,
        };
        // If an item panics in `Drop`, the loop unwinds out of this call and the
        // guard's own drop runs the same loop again from the next position, as
        // slice drop glue does (a second panic there aborts, as it does there).
        leftovers.drop_rest();
    }
}

/// The items at positions `pos..tail` of a queue being dropped. `drop_rest`
/// drops them in order; the guard's own `Drop` calls it again, so a panic in one
/// item's `Drop` (which unwinds out of `drop_rest` while the guard is alive)
/// does not leak the items after it.
struct Leftovers<'a, T> {
    queue: &'a Queue<T>,
    pos: u64,
    tail: u64,
}

impl<T> Leftovers<'_, T> {
    fn drop_rest(&mut self) {
        while self.pos != self.tail {
            let index = self.queue.index(self.pos);
            // Step past the item before dropping it, so that it is dropped once
            // even if its `Drop` panics and `drop_rest` runs again.
            self.pos = self.queue.next(self.pos);
            self.queue.tracker.write(index);
            // SAFETY: every position in head..tail holds an item that was pushed
            // and never popped (the queue is being dropped, so no push or pop is
            // in progress), and `pos` has moved past this one, so nothing drops
            // it again.
            unsafe { core::ptr::drop_in_place(self.queue.value_ptr(index)) };
        }
    }
}

impl<T> Drop for Leftovers<'_, T> {
    fn drop(&mut self) {
        // Empty unless an item's `Drop` panicked in `Queue::drop`: then the
        // items after it.
        self.drop_rest();
    }
}

/// The items of a queue being closed: those at positions `head..end`, `end`
/// being the tail the close replaced. `drop_rest` pops and drops them in order;
/// the guard's own `Drop` calls it again, so a panic in one item's `Drop` does
/// not leak the items after it, and then wakes blocked senders, also after
/// such a panic.
struct Closing<'a, T> {
    queue: &'a Queue<T>,
    end: u64,
}

impl<T> Closing<'_, T> {
    fn drop_rest(&mut self) {
        if !core::mem::needs_drop::<T>() {
            return;
        }
        // ORDERING: Relaxed: this thread is the only popper left, and every other
        // pop happened before `close` (its caller's promise), so this reads the
        // newest head.
        while self.queue.head.load(Ordering::Relaxed) != self.end {
            // Never `None`: head is before `end`, so a push has claimed the
            // position, and the closed tail never equals a head. The pop moves
            // head past the item before it is dropped, so it is dropped once
            // even if its `Drop` panics and `drop_rest` runs again.
            drop(self.queue.try_pop());
        }
    }
}

impl<T> Drop for Closing<'_, T> {
    fn drop(&mut self) {
        // Nothing left unless an item's `Drop` panicked in `close`: then the
        // items after it.
        self.drop_rest();
        // The wake comes after the drain (a woken sender finds the tail closed
        // either way), so that what orders the drain's first load of `head` is
        // the receiver count's release/acquire alone, not a notify's barrier
        // that the models would also count.
        self.queue.not_full.notify();
    }
}

impl<T> core::fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Queue")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

static_assertions::assert_impl_all!(Queue<u64>: Send, Sync);
static_assertions::assert_impl_all!(Queue<core::cell::Cell<u64>>: Send, Sync);
static_assertions::assert_not_impl_any!(Queue<alloc::rc::Rc<u64>>: Send, Sync);

#[cfg(all(test, feature = "async"))]
pub(super) use tests::{claim_push, finish_push};

#[cfg(test)]
mod tests {
    use super::Queue;
    #[cfg(feature = "async")]
    use crate::sync::Ordering;
    use std::prelude::rust_2021::*;

    /// The first half of a push, alone on this thread: claims the next
    /// position (without the exchange) and leaves its slot unwritten, as a push
    /// preempted mid-copy does. Returns the position.
    #[cfg(feature = "async")]
    pub(crate) fn claim_push<T>(q: &Queue<T>) -> u64 {
        let claimed = q.load_tail();
        // ORDERING: Relaxed; one thread: the claim of a push, without the
        // exchange.
        q.tail.store(q.next(claimed), Ordering::Relaxed);
        claimed
    }

    /// The rest of that push: writes the slot, stores its stamp, notifies.
    #[cfg(feature = "async")]
    pub(crate) fn finish_push<T>(q: &Queue<T>, claimed: u64, value: T) {
        let slot = &q.buf[q.index(claimed)];
        // SAFETY: `claim_push` claimed the position and nothing else touches
        // its slot until the stamp store below.
        unsafe { slot.value_ptr().write(value) };
        // ORDERING: Release, as the push's [mpmc.stamp.release.push] (one
        // thread here).
        slot.stamp.store(claimed.wrapping_add(1), Ordering::Release);
        q.not_empty.notify();
    }

    /// Async waits on a slot that another operation has claimed and not
    /// finished.
    #[cfg(feature = "async")]
    mod stalled {
        use super::super::Queue;
        use crate::sync::Ordering;
        use crate::test_waker::Count;
        use std::future::Future;
        use std::pin::pin;
        use std::prelude::rust_2021::*;
        use std::task::{Context, Poll};

        /// A push that has claimed the oldest free position and is preempted
        /// before it writes the slot: an async pop waits for it as a task, in
        /// the wait cell (a `try_pop` would wait for it in place, and with the
        /// pushing thread stalled for good, block this thread for good), and
        /// the push's end wakes it.
        #[test]
        fn async_pop_waits_for_a_stalled_push_as_a_task() {
            let (tx, rx) = crate::mpmc::channel::<u32>(2);
            let q: &Queue<u32> = &rx.chan.queue;
            let claimed = super::claim_push(q);

            let (count, waker) = Count::waker();
            let mut cx = Context::from_waker(&waker);
            let mut pop = pin!(rx.pop_async());
            let armed = count.poll_until_armed(1, || pop.as_mut().poll(&mut cx).is_pending());

            super::finish_push(q, claimed, 7); // the push goes on
            assert_eq!(count.get(), armed + 1);
            assert_eq!(pop.as_mut().poll(&mut cx), Poll::Ready(Ok(7)));
            drop(tx);
        }

        /// The same on the sending side: a pop that has claimed the only item
        /// and is preempted before it reads it. An async push waits for it as
        /// a task, and the pop's end wakes it.
        #[test]
        fn async_push_waits_for_a_stalled_pop_as_a_task() {
            let (tx, rx) = crate::mpmc::channel::<u32>(1);
            tx.try_push(1).unwrap();
            let q: &Queue<u32> = &rx.chan.queue;
            let claimed = q.load_head();
            // ORDERING: Relaxed; one thread: the claim of a pop, without
            // the exchange.
            q.head.store(q.next(claimed), Ordering::Relaxed);

            let (count, waker) = Count::waker();
            let mut cx = Context::from_waker(&waker);
            let mut push = pin!(tx.push_async(2));
            let armed = count.poll_until_armed(1, || push.as_mut().poll(&mut cx).is_pending());

            // The pop goes on: reads the slot, stores its stamp, notifies.
            let slot = &q.buf[q.index(claimed)];
            // SAFETY: the position was claimed above, and its slot holds the
            // item.
            assert_eq!(unsafe { slot.value_ptr().read() }, 1);
            // ORDERING: Release, as the pop's [mpmc.stamp.release.pop] (one
            // thread here).
            slot.stamp
                .store(claimed.wrapping_add(q.one_lap), Ordering::Release);
            q.not_full.notify();
            assert_eq!(count.get(), armed + 1);
            assert_eq!(push.as_mut().poll(&mut cx), Poll::Ready(Ok(())));
            assert_eq!(rx.try_pop(), Ok(2));
        }
    }

    #[test]
    fn positions_step_through_every_index_then_the_next_lap() {
        for cap in 1..=9usize {
            let q = Queue::<u8>::new(cap);
            let one_lap = (cap as u64 + 1).next_power_of_two();
            assert_eq!(q.one_lap, one_lap);
            let mut pos = 0u64;
            for n in 0..3 * cap as u64 {
                assert_eq!(q.index(pos), (n % cap as u64) as usize);
                assert_eq!(q.seq(pos), n);
                pos = q.next(pos);
            }
            assert_eq!(pos, 3 * one_lap);
        }
    }

    #[test]
    fn positions_wrap_at_u64_max() {
        let q = Queue::<u8>::starting_at(3, 1);
        let last = u64::MAX - q.one_lap + 1 + 2; // index 2 of the last lap
        assert_eq!(q.index(last), 2);
        assert_eq!(q.next(last), 0);
        assert_eq!(q.distance(last, 0), 1);
        assert_eq!(q.distance(last - 2, 0), 3);
        assert_eq!(q.distance(0, 0), 0);
        assert_eq!(q.distance(last - 2, (last - 2).wrapping_add(q.one_lap)), 3);
    }

    #[test]
    fn threaded_push_pop_small() {
        let n = if cfg!(miri) { 50 } else { 10_000 };
        let q = std::sync::Arc::new(Queue::<usize>::new(2));
        let p = {
            let q = q.clone();
            std::thread::spawn(move || {
                for i in 0..n {
                    let mut v = i;
                    while let Err(full) = q.try_push(v) {
                        v = full.into_inner();
                        std::thread::yield_now();
                    }
                }
            })
        };
        let mut next = 0;
        while next < n {
            match q.try_pop() {
                Some(v) => {
                    assert_eq!(v, next);
                    next += 1;
                }
                None => std::thread::yield_now(),
            }
        }
        p.join().unwrap();
    }
}
