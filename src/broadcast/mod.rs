//! A lossy broadcast ring: one publisher, any number of subscribers, every
//! subscriber sees every event unless it falls a lap behind, and then it is told
//! exactly how many it lost.
//!
//! ```
//! use ringkit::broadcast::{self, RecvError};
//!
//! let (mut publisher, mut fast) = broadcast::channel::<[u64; 2]>(4);
//! let mut slow = fast.clone(); // starts at the next event published
//! for tick in 0..6u64 {
//!     assert_eq!(publisher.publish([tick, tick * 10]), tick); // never blocks
//!     assert_eq!(fast.try_recv(), Ok((tick, [tick, tick * 10])));
//! }
//! // `slow` read nothing and the ring holds 4 events: 0 and 1 are gone.
//! assert_eq!(slow.try_recv(), Err(RecvError::Lagged(2)));
//! assert_eq!(slow.try_recv(), Ok((2, [2, 20]))); // the oldest still held
//! assert_eq!(slow.skip_to_latest(), 2); // 3 and 4 skipped
//! assert_eq!(slow.try_recv(), Ok((5, [5, 50])));
//! assert_eq!(slow.try_recv(), Err(RecvError::Empty));
//! drop(publisher);
//! assert_eq!(slow.recv(), Err(RecvError::Disconnected));
//! ```
//!
//! # Semantics
//!
//! * Every event gets a sequence number: the first is 0, each
//!   [`publish`](Publisher::publish) adds one and returns the event's number.
//!   Publishing never blocks and never waits for a subscriber; it makes no system
//!   call unless a subscriber is asleep in [`recv`](Subscriber::recv).
//! * The ring holds the newest `capacity` events. A subscriber receives events
//!   in sequence order, without gaps, as long as it stays less than a lap
//!   behind.
//! * A subscriber whose next event was overwritten gets
//!   [`RecvError::Lagged(n)`](RecvError::Lagged) from its next receive, and then
//!   resumes from the oldest event the ring still held when it noticed the loss
//!   (that event is kept aside for it, so it cannot be overwritten before it is
//!   returned). `n` is exact: a subscriber that receives sequence `a` and then `b`
//!   has been told of `b - a - 1` lost events in between, in a single `Lagged`,
//!   unless [`skip_to_latest`](Subscriber::skip_to_latest) skipped some, which it
//!   returns the count of instead. A subscriber never sees a torn value or a
//!   value with the wrong sequence number.
//! * [`RecvError::Disconnected`] comes once the publisher is dropped and the
//!   subscriber has received everything it published (or been told it lagged).
//! * A [cloned](Subscriber::clone) subscriber, like one made by
//!   [`Publisher::subscribe`], starts at the next event published, and never at
//!   one its original has already received.
//!
//! # Design
//!
//! Each slot is a seqlock of its own: a stamp (even: stable, odd: being written)
//! followed by the event's sequence number and the value's bytes, all in atomic
//! words read and written with `Relaxed` loads and stores, with the fences of
//! Boehm's recipe, exactly as in [`SeqLock`](crate::seqlock::SeqLock). A
//! subscriber compares the sequence number in the slot with the one it wants: equal
//! is its event, older means nothing new yet, newer means it was lapped. Only a
//! lagging subscriber or a new one reads the publisher's shared counter; the
//! common path touches one slot. Blocking receives share one eventcount.

mod error;
mod subscriber;

pub use error::{RecvError, RecvTimeoutError, TryRecvNowError};
pub use subscriber::Subscriber;

use crate::plain::{Plain, Words, MAX_WORDS};
use crate::sync::{fence, Arc, AtomicBool, AtomicU64, Ordering};
use crate::wait::backoff;
use crate::wait::WaitCell;
use crate::CapacityError;
use alloc::boxed::Box;
use core::marker::PhantomData;
use crossbeam_utils::CachePadded;

/// Word 0 of a slot: its seqlock stamp.
const STAMP: usize = 0;
/// Word 1 of a slot: the sequence number of the event it holds.
const SEQ: usize = 1;
/// Words 2.. of a slot: the value's bytes.
const DATA: usize = 2;

/// What the publisher and all subscribers share.
struct Shared<T: Plain> {
    /// The sequence number the next publish gets.
    tail: CachePadded<AtomicU64>,
    /// Set when the publisher is dropped.
    closed: CachePadded<AtomicBool>,
    /// Where blocked subscribers sleep.
    cell: CachePadded<WaitCell>,
    /// The sequence number of the first event (0 outside tests); it lands in slot 0.
    origin: u64,
    capacity: usize,
    /// Words per slot: stamp, sequence, `T`'s words.
    stride: usize,
    /// `capacity * stride` words.
    words: Box<[AtomicU64]>,
    _value: PhantomData<T>,
}

impl<T: Plain> Shared<T> {
    #[inline(always)]
    fn slot(&self, index: usize) -> &[AtomicU64] {
        &self.words[index * self.stride..(index + 1) * self.stride]
    }

    /// The slot that event `seq` goes to. Off the hot paths (it divides).
    fn index_of(&self, seq: u64) -> usize {
        (seq.wrapping_sub(self.origin) % self.capacity as u64) as usize
    }

    /// One read attempt of slot `index`: the sequence number it holds and the
    /// value's words, or `None` if the publisher was writing it during the attempt.
    #[inline(always)]
    fn try_read_slot(&self, index: usize) -> Option<(u64, [u64; MAX_WORDS])> {
        let slot = self.slot(index);
        // ORDERING: [broadcast.read.begin] Acquire, pairs with
        // [broadcast.write.unlock]: every word store of the write that stored `s1`
        // (and of every earlier publish, to any slot) is visible below.
        let s1 = slot[STAMP].load(Ordering::Acquire);
        if s1 & 1 != 0 {
            return None;
        }
        // ORDERING: Relaxed: validated by the stamp re-check below.
        let seq = slot[SEQ].load(Ordering::Relaxed);
        let mut buf = [0u64; MAX_WORDS];
        for (b, word) in buf.iter_mut().zip(&slot[DATA..]) {
            // ORDERING: Relaxed: validated by the stamp re-check below.
            *b = word.load(Ordering::Relaxed);
        }
        // ORDERING: [broadcast.read.fence] pairs with [broadcast.write.fence]: if a
        // load above saw a store of a later write, that write's odd stamp is
        // visible to the load below.
        fence(Ordering::Acquire);
        // ORDERING: Relaxed: the fence above orders it after the word loads.
        let s2 = slot[STAMP].load(Ordering::Relaxed);
        (s1 == s2).then_some((seq, buf))
    }

    /// Reads slot `index`, waiting out a write in progress (a handful of stores).
    #[inline]
    fn read_slot(&self, index: usize) -> (u64, [u64; MAX_WORDS]) {
        let mut step = 0;
        loop {
            if let Some(got) = self.try_read_slot(index) {
                return got;
            }
            backoff(&mut step);
        }
    }

    /// The sequence number the next publish gets, as far as this thread can see.
    #[inline]
    fn tail(&self) -> u64 {
        // ORDERING: Relaxed: nothing is read on the strength of the tail alone.
        // A subscriber moved to event `t - 1` reads its slot through
        // `try_read_slot`, whose [broadcast.read.fence] comes after this load: it
        // synchronizes with the [broadcast.write.fence] of that publish (sequenced
        // before the tail store we read), so the re-check sees at least its odd
        // stamp and a stale slot never validates; the subscriber retries until the
        // write is complete. `broadcast::skip_to_latest_finds_it` checks it.
        self.tail.load(Ordering::Relaxed)
    }
}

/// The sending end of a broadcast ring; see the [module docs](self). Not `Clone`:
/// there is one publisher per ring. Dropping it disconnects the subscribers once
/// they have read what it published.
///
/// ```
/// use ringkit::broadcast;
///
/// let (mut publisher, mut sub) = broadcast::channel::<u32>(8);
/// let reader = std::thread::spawn(move || {
///     let mut got = Vec::new();
///     while let Ok((_, value)) = sub.recv() {
///         got.push(value);
///     }
///     got
/// });
/// for i in 0..5 {
///     publisher.publish(i * i);
/// }
/// drop(publisher); // the subscriber is disconnected once it has read all five
/// assert_eq!(reader.join().unwrap(), [0, 1, 4, 9, 16]);
/// ```
pub struct Publisher<T: Plain> {
    shared: Arc<Shared<T>>,
    /// The sequence number of the next event.
    next: u64,
    /// Its slot.
    index: usize,
    /// The (even) stamp every slot has before its write in this lap: all slots
    /// start equal and each is written once a lap, so the publisher never loads it.
    stamp: u64,
}

/// Creates a broadcast ring that holds the newest `capacity` events, and its first
/// subscriber.
///
/// # Panics
///
/// If `capacity` is 0 or the ring would not fit in memory; see [`try_channel`].
///
/// ```
/// use ringkit::broadcast::{self, RecvError};
///
/// let (mut publisher, mut sub) = broadcast::channel::<u64>(16);
/// assert_eq!(publisher.capacity(), 16);
/// publisher.publish(42);
/// assert_eq!(sub.try_recv(), Ok((0, 42)));
/// assert_eq!(sub.try_recv(), Err(RecvError::Empty));
/// ```
#[must_use]
#[track_caller]
pub fn channel<T: Plain>(capacity: usize) -> (Publisher<T>, Subscriber<T>) {
    match try_channel(capacity) {
        Ok(ends) => ends,
        Err(e) => panic!("ringkit::broadcast::channel: {e}"),
    }
}

/// Creates a broadcast ring of `capacity` slots, or says why it cannot.
///
/// ```
/// use ringkit::CapacityError;
/// assert_eq!(ringkit::broadcast::try_channel::<u8>(0).err().unwrap(), CapacityError::Zero);
/// ```
pub fn try_channel<T: Plain>(
    capacity: usize,
) -> Result<(Publisher<T>, Subscriber<T>), CapacityError> {
    build(capacity, 0, 0)
}

/// A ring whose first event gets sequence number `first_seq` and whose slot stamps
/// start at `first_stamp` (made even), so tests can cross the wrap-around of both
/// counters. Not part of the public API.
#[cfg(any(test, feature = "test-hooks"))]
#[doc(hidden)]
#[must_use]
#[track_caller]
pub fn channel_starting_at<T: Plain>(
    capacity: usize,
    first_seq: u64,
    first_stamp: u64,
) -> (Publisher<T>, Subscriber<T>) {
    build(capacity, first_seq, first_stamp & !1).expect("ringkit::broadcast::channel_starting_at")
}

fn build<T: Plain>(
    capacity: usize,
    origin: u64,
    stamp: u64,
) -> Result<(Publisher<T>, Subscriber<T>), CapacityError> {
    if capacity == 0 {
        return Err(CapacityError::Zero);
    }
    let stride = DATA + Words::<T>::COUNT;
    let words = capacity
        .checked_mul(stride)
        .filter(|&w| w <= isize::MAX as usize / 8)
        .ok_or(CapacityError::TooLarge {
            requested: capacity,
        })?;
    // Every slot starts out holding "event origin - 1", older than any event a
    // subscriber can want, so it reads as "nothing yet".
    let before = origin.wrapping_sub(1);
    let words = (0..words)
        .map(|w| {
            AtomicU64::new(match w % stride {
                STAMP => stamp,
                SEQ => before,
                _ => 0,
            })
        })
        .collect();
    let shared = Arc::new(Shared {
        tail: CachePadded::new(AtomicU64::new(origin)),
        closed: CachePadded::new(AtomicBool::new(false)),
        cell: CachePadded::new(WaitCell::new()),
        origin,
        capacity,
        stride,
        words,
        _value: PhantomData,
    });
    let subscriber = Subscriber::at(shared.clone(), origin, 0);
    let publisher = Publisher {
        shared,
        next: origin,
        index: 0,
        stamp,
    };
    Ok((publisher, subscriber))
}

impl<T: Plain> Publisher<T> {
    /// Publishes `value` and returns its sequence number. Never blocks; overwrites
    /// the oldest event once the ring is full. Wakes subscribers blocked in
    /// [`recv`](Subscriber::recv), with no system call when none is.
    ///
    /// ```
    /// use ringkit::broadcast::{self, RecvError};
    ///
    /// let (mut publisher, mut sub) = broadcast::channel::<u8>(2);
    /// assert_eq!(publisher.publish(b'a'), 0);
    /// assert_eq!(publisher.publish(b'b'), 1);
    /// assert_eq!(publisher.publish(b'c'), 2); // the ring is full: overwrites event 0
    /// assert_eq!(sub.try_recv(), Err(RecvError::Lagged(1)));
    /// assert_eq!(sub.try_recv(), Ok((1, b'b')));
    /// ```
    pub fn publish(&mut self, value: T) -> u64 {
        let buf = Words::<T>::encode(&value);
        let seq = self.next;
        let shared = &*self.shared;
        let slot = shared.slot(self.index);
        let stamp = self.stamp;
        // ORDERING: Relaxed: the odd stamp is ordered before the data stores by the
        // fence below.
        slot[STAMP].store(stamp.wrapping_add(1), Ordering::Relaxed);
        // ORDERING: [broadcast.write.fence] pairs with [broadcast.read.fence]: a
        // subscriber whose load sees one of the stores below then sees the odd
        // stamp (or later) in its re-check, and retries.
        fence(Ordering::Release);
        // ORDERING: Relaxed: published by the fence above and the stamp below.
        slot[SEQ].store(seq, Ordering::Relaxed);
        for (word, &w) in slot[DATA..].iter().zip(&buf) {
            // ORDERING: Relaxed: as the sequence word.
            word.store(w, Ordering::Relaxed);
        }
        // ORDERING: [broadcast.write.unlock] Release, pairs with
        // [broadcast.read.begin]: a subscriber that sees this stamp sees the event
        // and every earlier one.
        slot[STAMP].store(stamp.wrapping_add(2), Ordering::Release);
        self.next = seq.wrapping_add(1);
        self.index += 1;
        if self.index == shared.capacity {
            self.index = 0;
            self.stamp = stamp.wrapping_add(2);
        }
        // ORDERING: Relaxed: [broadcast.write.fence] above is sequenced before it;
        // see `Shared::tail`.
        shared.tail.store(self.next, Ordering::Relaxed);
        shared.cell.notify();
        seq
    }

    /// A new subscriber that starts at the next event published.
    ///
    /// ```
    /// use ringkit::broadcast;
    ///
    /// let (mut publisher, mut first) = broadcast::channel::<u32>(4);
    /// publisher.publish(1);
    /// let mut late = publisher.subscribe();
    /// publisher.publish(2);
    /// assert_eq!(first.try_recv(), Ok((0, 1)));
    /// assert_eq!(late.try_recv(), Ok((1, 2))); // event 0 came before it
    /// ```
    #[must_use]
    pub fn subscribe(&self) -> Subscriber<T> {
        Subscriber::at(self.shared.clone(), self.next, self.index)
    }

    /// How many events the ring holds.
    ///
    /// ```
    /// let (publisher, _sub) = ringkit::broadcast::channel::<u64>(32);
    /// assert_eq!(publisher.capacity(), 32);
    /// ```
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.shared.capacity
    }
}

impl<T: Plain> Drop for Publisher<T> {
    fn drop(&mut self) {
        // ORDERING: Relaxed: the last publish's [broadcast.write.fence] is
        // sequenced before it. A subscriber that sees the flag looks at its slot
        // once more, and that read's [broadcast.read.fence] synchronizes with the
        // write fence, so the last event cannot be missed: Disconnected comes only
        // after it. Checked by `broadcast::disconnect_*`.
        self.shared.closed.store(true, Ordering::Relaxed);
        self.shared.cell.notify();
    }
}

impl<T: Plain> core::fmt::Debug for Publisher<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Publisher")
            .field("next", &self.next)
            .field("capacity", &self.shared.capacity)
            .finish()
    }
}

static_assertions::assert_impl_all!(Publisher<u64>: Send, Sync);
static_assertions::assert_impl_all!(Subscriber<[u64; 4]>: Send, Sync, Clone);
static_assertions::assert_not_impl_any!(Publisher<u64>: Clone);

#[cfg(all(test, feature = "async"))]
pub(crate) use tests::{resume, stall};

#[cfg(test)]
mod tests {
    use super::*;
    use std::prelude::rust_2021::*;

    #[test]
    fn lag_is_counted_from_the_oldest_held() {
        let (mut p, mut s) = channel::<u32>(3);
        for i in 0..10u32 {
            assert_eq!(p.publish(i * 2), u64::from(i));
        }
        // Holds 7, 8, 9.
        assert_eq!(s.try_recv(), Err(RecvError::Lagged(7)));
        assert_eq!(s.try_recv(), Ok((7, 14)));
        assert_eq!(s.try_recv(), Ok((8, 16)));
        assert_eq!(s.try_recv(), Ok((9, 18)));
        assert_eq!(s.try_recv(), Err(RecvError::Empty));
        assert_eq!(s.skip_to_latest(), 0);
        let mut late = p.subscribe();
        assert_eq!(late.try_recv(), Err(RecvError::Empty));
        p.publish(20);
        assert_eq!(late.try_recv(), Ok((10, 20)));
        assert_eq!(format!("{p:?}"), "Publisher { next: 11, capacity: 3 }");
        assert_eq!(format!("{s:?}"), "Subscriber { next: 10, capacity: 3 }");
    }

    /// Puts slot `index` in the state of a publisher stalled mid-write (odd
    /// stamp); returns the stamp to restore.
    pub(crate) fn stall(p: &Publisher<u32>, index: usize) -> u64 {
        // ORDERING: single thread; stands in for a publisher's odd stamp.
        p.shared.slot(index)[STAMP].fetch_add(1, Ordering::Relaxed)
    }

    /// Puts back the stamp `stall` returned: the slot as before the write.
    pub(crate) fn resume(p: &Publisher<u32>, index: usize, stamp: u64) {
        // ORDERING: single thread; stands in for the end of the write.
        p.shared.slot(index)[STAMP].store(stamp, Ordering::Release);
    }

    /// A publisher stalled in the middle of writing the slot the subscriber needs:
    /// `try_recv_now` says `Busy` at once (where `try_recv` would spin and yield
    /// until the write ends) and consumes nothing.
    #[test]
    fn try_recv_now_is_busy_on_a_slot_being_written() {
        let (mut p, mut s) = channel::<u32>(3);
        p.publish(5);
        let stamp = stall(&p, 0);
        assert_eq!(s.try_recv_now(), Err(TryRecvNowError::Busy));
        assert_eq!(s.try_recv_now(), Err(TryRecvNowError::Busy));
        resume(&p, 0, stamp);
        assert_eq!(s.try_recv_now(), Ok((0, 5)));
        // The next slot, written but not finished: busy, not empty.
        let stamp = stall(&p, 1);
        assert_eq!(s.try_recv_now(), Err(TryRecvNowError::Busy));
        resume(&p, 1, stamp);
        assert_eq!(s.try_recv_now(), Err(TryRecvNowError::Empty));
    }

    /// A publisher stalled in the middle of writing the slot the subscriber
    /// needs: `recv_async` and the stream wait for it as a task, in the cell
    /// (where `try_recv` would spin and yield on the executor's thread until
    /// the write ends, and with the publisher stalled for good never return),
    /// and the end of the publish wakes them.
    #[cfg(feature = "async")]
    #[test]
    fn async_receives_wait_for_a_stalled_publish_as_a_task() {
        use crate::test_waker::Count;
        use core::future::Future;
        use core::pin::{pin, Pin};
        use core::task::{Context, Poll};
        use futures_core::Stream;

        let (mut p, mut s) = channel::<u32>(3);
        let (count, waker) = Count::waker();
        let mut cx = Context::from_waker(&waker);
        let stamp = stall(&p, 0); // the publish of event 0 has begun
        {
            let mut recv = pin!(s.recv_async());
            let armed = count.poll_until_armed(1, || recv.as_mut().poll(&mut cx).is_pending());
            resume(&p, 0, stamp);
            p.publish(7); // the write, from its start to its notify
            assert_eq!(count.get(), armed + 1);
            assert_eq!(recv.as_mut().poll(&mut cx), Poll::Ready(Ok((0, 7))));
        }
        let stamp = stall(&p, 1);
        let armed = count.poll_until_armed(1, || Pin::new(&mut s).poll_next(&mut cx).is_pending());
        resume(&p, 1, stamp);
        p.publish(8);
        assert_eq!(count.get(), armed + 1);
        let next = Pin::new(&mut s).poll_next(&mut cx);
        assert_eq!(next, Poll::Ready(Some(Ok((1, 8)))));
    }

    /// Catching up after a lag reads the slot of the oldest event still held; if
    /// that one is being written, `try_recv_now` says `Busy` and the lag is
    /// reported, exactly, by the next call.
    #[test]
    fn try_recv_now_is_busy_while_catching_up() {
        let (mut p, mut s) = channel::<u32>(2);
        for i in 0..5 {
            p.publish(i * 10); // slot 0 holds event 4, slot 1 event 3
        }
        let stamp = stall(&p, 1);
        assert_eq!(s.try_recv_now(), Err(TryRecvNowError::Busy));
        resume(&p, 1, stamp);
        assert_eq!(s.try_recv_now(), Err(TryRecvNowError::Lagged(3)));
        // The event kept aside comes back even while its slot is being written.
        let stamp = stall(&p, 1);
        assert_eq!(s.try_recv_now(), Ok((3, 30)));
        resume(&p, 1, stamp);
        assert_eq!(s.try_recv_now(), Ok((4, 40)));
        assert_eq!(s.try_recv_now(), Err(TryRecvNowError::Empty));
    }

    #[test]
    fn zero_sized_and_large_values() {
        let (mut p, mut s) = channel::<()>(2);
        p.publish(());
        assert_eq!(s.try_recv(), Ok((0, ())));
        let (mut p, mut s) = channel::<[u8; 120]>(2);
        p.publish([7; 120]);
        assert_eq!(s.try_recv(), Ok((0, [7; 120])));
        assert_eq!(
            try_channel::<u64>(usize::MAX / 2).err(),
            Some(CapacityError::TooLarge {
                requested: usize::MAX / 2
            })
        );
    }
}
