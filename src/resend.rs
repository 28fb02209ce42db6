//! The sending side of acknowledged delivery: [`Outstanding`], a fixed table of
//! the messages sent and not yet acknowledged, each with a resend deadline.
//!
//! The pattern, over two rings (requests one way, acknowledgements the other):
//!
//! 1. The sender records a message in the table, which gives it an id
//!    ([`send_at`]), and pushes `(id, message)` (a clone, or an `Arc`) into the
//!    request ring.
//! 2. The receiver handles the message and acknowledges its id. It recognises a
//!    message it has already handled by its id, with a [`Dedup`] window, and
//!    acknowledges that one again without handling it: the effect happens once.
//! 3. The sender removes what is acknowledged ([`ack`], or [`ack_through`] for a
//!    cumulative acknowledgement). A message still unacknowledged at its deadline
//!    is due ([`due_at`]): the sender pushes it again and it gets a new deadline.
//!    [`next_deadline`] says how long the sender may park meanwhile.
//!
//! Ids are assigned in send order: 0, 1, 2, ... The table holds at most
//! `capacity` consecutive ids, counted from the oldest unacknowledged one. A
//! message acknowledged out of order leaves the table at once, but the window
//! moves on only when every older message is acknowledged too (as in TCP): a
//! message that is never acknowledged stops new sends ([`send_at`] hands the
//! message back) instead of letting ids run ahead of the receiver's window.
//! [`with_max_attempts`] gives such a message up after so many sends.
//!
//! # The receiver's window
//!
//! A [`Dedup`] window of `2 * capacity` ids recognises every copy that comes
//! again (`2 * capacity - 1` is the least that always does), provided the
//! request ring keeps order (it may lose copies, but not reorder them) and the
//! sender pushes a copy only while its id is outstanding (right after
//! [`send_at`] or [`due_at`] yields it, before taking more acknowledgements).
//! Why: between the copy of `x` that the receiver recorded and a later copy of
//! `x`, the receiver can only record ids pushed in between, while `x` was
//! outstanding; every such id lies within `capacity - 1` of `x` either way, so
//! at most `2 * capacity - 2` other ids are recorded meanwhile. A window with a
//! [time span](crate::dedup::Dedup::with_span) also forgets by age: the span
//! must outlast the longest time from a message's handling to the arrival of
//! its last copy.
//!
//! # Costs
//!
//! The table allocates its `capacity` slots once, at construction; nothing
//! after that allocates. [`send_at`], [`ack`] and [`attempts`] are O(1) (`ack`
//! amortised: the oldest id moves past the ids already acknowledged, each
//! once). [`due_at`], [`next_deadline`] and [`give_up_at`] scan the ids from
//! the oldest outstanding one to the newest, at most `capacity` slots.
//!
//! # Example
//!
//! Both sides on one thread with a clock of our own, and the first
//! acknowledgement lost (`examples/ack_resend.rs` runs the same loop on two
//! threads, parking on the rings):
//!
//! ```
//! use ringkit::{dedup::Dedup, resend::Outstanding, spsc};
//! use std::time::{Duration, Instant};
//!
//! let (mut requests, mut inbox) = spsc::channel::<(u64, String)>(16);
//! let (mut acks, mut acked) = spsc::channel::<u64>(16);
//! let resend_after = Duration::from_millis(50);
//! let mut pending = Outstanding::new(8, resend_after);
//! let mut seen = Dedup::new(2 * pending.capacity());
//! let mut ledger = Vec::new();
//! let t0 = Instant::now();
//!
//! // Sender: record each message, then push a copy with its id.
//! for text in ["deposit 10", "withdraw 5"] {
//!     let id = pending.send_at(text.to_string(), t0).unwrap();
//!     requests.try_push((id, text.to_string())).unwrap();
//! }
//!
//! // Receiver: handle a new id once, acknowledge every id; the first
//! // acknowledgement gets lost on the way.
//! let mut lose_next_ack = true;
//! let mut receive = || {
//!     while let Ok((id, text)) = inbox.try_pop() {
//!         if !seen.is_duplicate(&id) {
//!             ledger.push(text); // the effect
//!             seen.record(id); // only once the effect has happened
//!         }
//!         if !std::mem::take(&mut lose_next_ack) {
//!             acks.try_push(id).unwrap();
//!         }
//!     }
//! };
//! receive();
//!
//! // Sender: id 1 is acknowledged, id 0 is not.
//! while let Ok(id) = acked.try_pop() {
//!     pending.ack(id);
//! }
//! assert_eq!(pending.len(), 1);
//! assert_eq!(pending.next_deadline(), Some(t0 + resend_after));
//! assert_eq!(pending.due_at(t0 + resend_after / 2).count(), 0); // not yet
//! for (id, text) in pending.due_at(t0 + resend_after) {
//!     requests.try_push((id, text.clone())).unwrap(); // id 0 again
//! }
//!
//! receive(); // a duplicate: acknowledged, not handled
//! while let Ok(id) = acked.try_pop() {
//!     pending.ack(id);
//! }
//! assert!(pending.is_empty());
//! assert_eq!(ledger, ["deposit 10", "withdraw 5"]);
//! assert_eq!(seen.duplicates(), 1);
//! ```
//!
//! [`Dedup`]: crate::dedup::Dedup
//! [`send_at`]: Outstanding::send_at
//! [`ack`]: Outstanding::ack
//! [`ack_through`]: Outstanding::ack_through
//! [`due_at`]: Outstanding::due_at
//! [`give_up_at`]: Outstanding::give_up_at
//! [`next_deadline`]: Outstanding::next_deadline
//! [`attempts`]: Outstanding::attempts
//! [`with_max_attempts`]: Outstanding::with_max_attempts

use crate::error::{check_capacity, CapacityError};
use alloc::boxed::Box;
use core::fmt;
use std::time::{Duration, Instant};

/// An unacknowledged message.
struct Entry<M> {
    msg: M,
    /// When it is due; `None` if the deadline is too far to represent: never.
    deadline: Option<Instant>,
    /// Sends so far, the first one included.
    attempts: u32,
}

/// True if a message with this deadline is due at `now`.
fn is_due(deadline: Option<Instant>, now: Instant) -> bool {
    deadline.is_some_and(|d| d <= now)
}

/// The messages sent and not yet acknowledged, keyed by the ids the table
/// assigns in send order, each with a resend deadline; see the
/// [module docs](self).
///
/// ```
/// use ringkit::resend::Outstanding;
/// use std::time::{Duration, Instant};
///
/// let mut pending = Outstanding::new(4, Duration::from_millis(10));
/// let t0 = Instant::now();
/// assert_eq!(pending.send_at("a", t0), Ok(0));
/// assert_eq!(pending.send_at("b", t0), Ok(1));
/// assert_eq!(pending.ack(1), Some("b")); // any order
/// let due: Vec<_> = pending.due_at(t0 + Duration::from_millis(10)).collect();
/// assert_eq!(due, [(0, &"a")]);
/// ```
pub struct Outstanding<M> {
    /// Id `i` lives in slot `i % capacity`. Every id outstanding lies in
    /// `base..next`, a span of at most `capacity` ids, so no two share a slot.
    slots: Box<[Option<Entry<M>>]>,
    /// The oldest outstanding id (`next` when none is): when `base < next`,
    /// slot `base % capacity` is occupied.
    base: u64,
    /// The id the next send gets.
    next: u64,
    len: usize,
    resend_after: Duration,
    max_attempts: Option<u32>,
}

impl<M> Outstanding<M> {
    /// A table of at most `capacity` unacknowledged messages, each due again
    /// `resend_after` after it was last sent.
    ///
    /// # Panics
    ///
    /// If `capacity` is 0 or too large for memory; see [`Outstanding::try_new`].
    ///
    /// ```
    /// use ringkit::resend::Outstanding;
    /// use std::time::Duration;
    ///
    /// let pending = Outstanding::<String>::new(64, Duration::from_millis(5));
    /// assert_eq!(pending.capacity(), 64);
    /// assert!(pending.is_empty());
    /// ```
    #[must_use]
    #[track_caller]
    pub fn new(capacity: usize, resend_after: Duration) -> Self {
        match Self::try_new(capacity, resend_after) {
            Ok(t) => t,
            Err(e) => panic!("ringkit::resend::Outstanding::new: {e}"),
        }
    }

    /// A table of at most `capacity` unacknowledged messages, or why there
    /// cannot be one.
    ///
    /// ```
    /// use ringkit::{resend::Outstanding, CapacityError};
    /// use std::time::Duration;
    ///
    /// let zero = Outstanding::<u8>::try_new(0, Duration::from_millis(5));
    /// assert_eq!(zero.err(), Some(CapacityError::Zero));
    /// ```
    pub fn try_new(capacity: usize, resend_after: Duration) -> Result<Self, CapacityError> {
        check_capacity::<Option<Entry<M>>>(capacity)?;
        Ok(Outstanding {
            slots: (0..capacity).map(|_| None).collect(),
            base: 0,
            next: 0,
            len: 0,
            resend_after,
            max_attempts: None,
        })
    }

    /// Gives a message up once it has been sent `max` times (the first send
    /// included) and the deadline of the last send has passed: [`due_at`] no
    /// longer yields it, and [`give_up_at`] hands it back. Without a maximum a
    /// message is resent until it is acknowledged.
    ///
    /// A message at its maximum stays in the table (an acknowledgement that
    /// comes late still removes it) until [`give_up_at`] takes it, and its
    /// deadline stays in [`next_deadline`]: a sender with a maximum calls
    /// [`give_up_at`] wherever it calls [`due_at`].
    ///
    /// [`due_at`]: Outstanding::due_at
    /// [`give_up_at`]: Outstanding::give_up_at
    /// [`next_deadline`]: Outstanding::next_deadline
    ///
    /// # Panics
    ///
    /// If `max` is 0.
    ///
    /// ```
    /// use ringkit::resend::Outstanding;
    /// use std::time::{Duration, Instant};
    ///
    /// let ms = Duration::from_millis;
    /// let mut pending = Outstanding::new(4, ms(10)).with_max_attempts(2);
    /// let t0 = Instant::now();
    /// pending.send_at('x', t0).unwrap(); // attempt 1
    /// assert_eq!(pending.due_at(t0 + ms(10)).count(), 1); // attempt 2
    /// assert_eq!(pending.due_at(t0 + ms(20)).count(), 0); // no third
    /// assert_eq!(pending.give_up_at(t0 + ms(20)), Some((0, 'x')));
    /// assert!(pending.is_empty());
    /// ```
    #[must_use]
    #[track_caller]
    pub fn with_max_attempts(mut self, max: u32) -> Self {
        assert!(
            max > 0,
            "ringkit::resend::Outstanding::with_max_attempts: the maximum must be at least 1"
        );
        self.max_attempts = Some(max);
        self
    }

    /// [`send_at`](Outstanding::send_at) at [`Instant::now`] (read only if
    /// the table has room).
    ///
    /// ```
    /// use ringkit::resend::Outstanding;
    /// use std::time::Duration;
    ///
    /// let mut pending = Outstanding::new(1, Duration::from_secs(1));
    /// assert_eq!(pending.send("hello"), Ok(0));
    /// assert_eq!(pending.send("again"), Err("again")); // full
    /// ```
    pub fn send(&mut self, msg: M) -> Result<u64, M> {
        if self.is_full() {
            return Err(msg);
        }
        self.send_at(msg, Instant::now())
    }

    /// Records `msg` as sent at `now`, due at `now + resend_after`, and returns
    /// its id; push `(id, msg.clone())` (or an `Arc`) to the receiver next.
    /// Hands `msg` back if the table is [full](Outstanding::is_full).
    ///
    /// ```
    /// use ringkit::resend::Outstanding;
    /// use std::time::{Duration, Instant};
    ///
    /// let mut pending = Outstanding::new(2, Duration::from_millis(10));
    /// let t0 = Instant::now();
    /// assert_eq!(pending.send_at(vec![1u8], t0), Ok(0));
    /// assert_eq!(pending.send_at(vec![2], t0), Ok(1));
    /// assert_eq!(pending.send_at(vec![3], t0), Err(vec![3])); // 0 and 1 unacknowledged
    /// pending.ack(0);
    /// assert_eq!(pending.send_at(vec![3], t0), Ok(2));
    /// ```
    pub fn send_at(&mut self, msg: M, now: Instant) -> Result<u64, M> {
        if self.is_full() {
            return Err(msg);
        }
        let id = self.next;
        let slot = self.slot(id);
        debug_assert!(self.slots[slot].is_none(), "slot of id {id} in use");
        self.slots[slot] = Some(Entry {
            msg,
            deadline: now.checked_add(self.resend_after),
            attempts: 1,
        });
        self.next += 1;
        self.len += 1;
        Ok(id)
    }

    /// Removes message `id`, acknowledged, and returns it; `None` if `id` is not
    /// outstanding (acknowledged before, given up, or never sent).
    ///
    /// ```
    /// use ringkit::resend::Outstanding;
    /// use std::time::Duration;
    ///
    /// let mut pending = Outstanding::new(4, Duration::from_secs(1));
    /// let a = pending.send("a").unwrap();
    /// let b = pending.send("b").unwrap();
    /// assert_eq!(pending.ack(b), Some("b"));
    /// assert_eq!(pending.ack(b), None); // a second acknowledgement
    /// assert_eq!(pending.ack(99), None); // never sent
    /// assert_eq!(pending.ack(a), Some("a"));
    /// assert!(pending.is_empty());
    /// ```
    pub fn ack(&mut self, id: u64) -> Option<M> {
        if id < self.base || id >= self.next {
            return None;
        }
        let slot = self.slot(id);
        let entry = self.slots[slot].take()?;
        self.len -= 1;
        self.advance_base();
        Some(entry.msg)
    }

    /// Removes every outstanding message with an id up to and including `id`, as
    /// a cumulative acknowledgement (a receiver that handles messages in id order
    /// and publishes the last id handled, on an
    /// [`EventFlag<u64>`](crate::event::EventFlag) say), and drops them. Returns
    /// how many it removed. Ids not sent yet are not acknowledged.
    ///
    /// If a message's `Drop` panics, the panic propagates; the table is
    /// consistent, holding the messages not reached yet.
    ///
    /// ```
    /// use ringkit::resend::Outstanding;
    /// use std::time::Duration;
    ///
    /// let mut pending = Outstanding::new(8, Duration::from_secs(1));
    /// for m in ["a", "b", "c", "d"] {
    ///     pending.send(m).unwrap();
    /// }
    /// pending.ack(1);
    /// assert_eq!(pending.ack_through(2), 2); // 0 and 2; 1 was gone already
    /// assert_eq!(pending.ack_through(2), 0);
    /// assert_eq!(pending.ack_through(1_000), 1); // only 3 was sent
    /// assert!(pending.is_empty());
    /// ```
    pub fn ack_through(&mut self, id: u64) -> usize {
        let mut acked = 0;
        while self.base <= id && self.base < self.next {
            let slot = self.slot(self.base);
            let entry = self.slots[slot].take();
            if entry.is_some() {
                self.len -= 1;
                acked += 1;
            }
            self.base += 1;
            self.advance_base();
            // Dropped once the table is consistent, in case its `Drop` panics.
            drop(entry);
        }
        acked
    }

    /// The messages due at `now` (deadline reached, and below the
    /// [maximum](Outstanding::with_max_attempts) of attempts, if any), oldest
    /// id first: push each one again. Each message yielded counts an attempt
    /// and is due again `resend_after` after `now`; those the iterator does not
    /// reach (it is dropped early, say because the ring is full) stay due.
    ///
    /// Scans the ids from the oldest outstanding one to the newest.
    ///
    /// ```
    /// use ringkit::resend::Outstanding;
    /// use std::time::{Duration, Instant};
    ///
    /// let ms = Duration::from_millis;
    /// let mut pending = Outstanding::new(8, ms(10));
    /// let t0 = Instant::now();
    /// pending.send_at("early", t0).unwrap();
    /// pending.send_at("late", t0 + ms(5)).unwrap();
    /// assert_eq!(pending.due_at(t0 + ms(9)).count(), 0);
    /// let due: Vec<_> = pending.due_at(t0 + ms(12)).collect();
    /// assert_eq!(due, [(0, &"early")]);
    /// assert_eq!(pending.attempts(0), Some(2));
    /// // "early" was resent at t0 + 12 ms: due again at t0 + 22 ms.
    /// let due: Vec<_> = pending.due_at(t0 + ms(22)).collect();
    /// assert_eq!(due, [(0, &"early"), (1, &"late")]);
    /// ```
    pub fn due_at(&mut self, now: Instant) -> impl Iterator<Item = (u64, &M)> + '_ {
        let (resend_after, max_attempts) = (self.resend_after, self.max_attempts);
        let base = self.base;
        let span = (self.next - self.base) as usize;
        let start = self.slot(base);
        let (before, from_base) = self.slots.split_at_mut(start);
        from_base
            .iter_mut()
            .chain(before.iter_mut())
            .take(span)
            .zip(base..)
            .filter_map(move |(slot, id)| {
                let entry = slot.as_mut()?;
                let at_max = max_attempts.is_some_and(|max| entry.attempts >= max);
                if at_max || !is_due(entry.deadline, now) {
                    return None;
                }
                entry.deadline = now.checked_add(resend_after);
                entry.attempts = entry.attempts.saturating_add(1);
                Some((id, &entry.msg))
            })
    }

    /// Removes and returns the oldest message that has been sent the
    /// [maximum](Outstanding::with_max_attempts) number of times and whose last
    /// deadline has passed at `now`; `None` if there is none (always, without
    /// a maximum). Call it until it returns `None`.
    ///
    /// Scans the ids from the oldest outstanding one to the one it returns.
    ///
    /// ```
    /// use ringkit::resend::Outstanding;
    /// use std::time::{Duration, Instant};
    ///
    /// let ms = Duration::from_millis;
    /// let mut pending = Outstanding::new(8, ms(10)).with_max_attempts(1);
    /// let t0 = Instant::now();
    /// pending.send_at("a", t0).unwrap();
    /// pending.send_at("b", t0 + ms(1)).unwrap();
    /// assert_eq!(pending.give_up_at(t0 + ms(9)), None); // not yet
    /// assert_eq!(pending.give_up_at(t0 + ms(10)), Some((0, "a")));
    /// assert_eq!(pending.give_up_at(t0 + ms(10)), None);
    /// assert_eq!(pending.ack(0), None); // a late acknowledgement
    /// assert_eq!(pending.len(), 1);
    /// ```
    pub fn give_up_at(&mut self, now: Instant) -> Option<(u64, M)> {
        let max = self.max_attempts?;
        let id = (self.base..self.next).find(|&id| {
            self.slots[self.slot(id)]
                .as_ref()
                .is_some_and(|e| e.attempts >= max && is_due(e.deadline, now))
        })?;
        let slot = self.slot(id);
        let entry = self.slots[slot].take()?;
        self.len -= 1;
        self.advance_base();
        Some((id, entry.msg))
    }

    /// The earliest deadline among the outstanding messages: when the next one
    /// is due (or, at its maximum of attempts, to be given up). `None` if none
    /// is outstanding. A sender parks until then, for instance in
    /// [`Consumer::pop_until`](crate::spsc::Consumer::pop_until) on its
    /// acknowledgement ring.
    ///
    /// Scans the ids from the oldest outstanding one to the newest.
    ///
    /// ```
    /// use ringkit::resend::Outstanding;
    /// use std::time::{Duration, Instant};
    ///
    /// let ms = Duration::from_millis;
    /// let mut pending = Outstanding::new(8, ms(10));
    /// assert_eq!(pending.next_deadline(), None);
    /// let t0 = Instant::now();
    /// pending.send_at('a', t0 + ms(3)).unwrap(); // id 0, due at t0 + 13 ms
    /// pending.send_at('b', t0).unwrap(); // id 1, due at t0 + 10 ms
    /// assert_eq!(pending.next_deadline(), Some(t0 + ms(10)));
    /// pending.ack(1);
    /// assert_eq!(pending.next_deadline(), Some(t0 + ms(13)));
    /// ```
    #[must_use]
    pub fn next_deadline(&self) -> Option<Instant> {
        (self.base..self.next)
            .filter_map(|id| self.slots[self.slot(id)].as_ref()?.deadline)
            .min()
    }

    /// How many times message `id` has been sent, the first send included;
    /// `None` if it is not outstanding.
    ///
    /// ```
    /// use ringkit::resend::Outstanding;
    /// use std::time::{Duration, Instant};
    ///
    /// let mut pending = Outstanding::new(8, Duration::ZERO);
    /// let t0 = Instant::now();
    /// let id = pending.send_at((), t0).unwrap();
    /// assert_eq!(pending.attempts(id), Some(1));
    /// pending.due_at(t0).for_each(drop);
    /// assert_eq!(pending.attempts(id), Some(2));
    /// pending.ack(id);
    /// assert_eq!(pending.attempts(id), None);
    /// ```
    #[must_use]
    pub fn attempts(&self, id: u64) -> Option<u32> {
        if id < self.base || id >= self.next {
            return None;
        }
        self.slots[self.slot(id)].as_ref().map(|e| e.attempts)
    }

    /// Messages outstanding now.
    ///
    /// ```
    /// use ringkit::resend::Outstanding;
    /// use std::time::Duration;
    ///
    /// let mut pending = Outstanding::new(8, Duration::from_secs(1));
    /// pending.send('a').unwrap();
    /// pending.send('b').unwrap();
    /// pending.ack(0);
    /// assert_eq!(pending.len(), 1);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if no message is outstanding.
    ///
    /// ```
    /// use ringkit::resend::Outstanding;
    /// use std::time::Duration;
    ///
    /// let mut pending = Outstanding::new(8, Duration::from_secs(1));
    /// assert!(pending.is_empty());
    /// pending.send(1).unwrap();
    /// assert!(!pending.is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True if a send would hand its message back: `capacity` ids have been
    /// sent since the oldest unacknowledged one, itself included. Messages
    /// acknowledged out of order do not make room until the older ones are
    /// acknowledged (or given up) too.
    ///
    /// ```
    /// use ringkit::resend::Outstanding;
    /// use std::time::Duration;
    ///
    /// let mut pending = Outstanding::new(2, Duration::from_secs(1));
    /// pending.send("a").unwrap();
    /// pending.send("b").unwrap();
    /// pending.ack(1);
    /// assert!(pending.is_full()); // "a" still holds the window
    /// pending.ack(0);
    /// assert!(!pending.is_full());
    /// ```
    #[must_use]
    pub fn is_full(&self) -> bool {
        self.next - self.base == self.slots.len() as u64
    }

    /// The most messages the table holds.
    ///
    /// ```
    /// use ringkit::resend::Outstanding;
    /// use std::time::Duration;
    ///
    /// assert_eq!(Outstanding::<()>::new(3, Duration::ZERO).capacity(), 3);
    /// ```
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// The slot of id `id`.
    fn slot(&self, id: u64) -> usize {
        (id % self.slots.len() as u64) as usize
    }

    /// Moves `base` past the ids no longer outstanding, after a removal.
    fn advance_base(&mut self) {
        if self.len == 0 {
            self.base = self.next;
            return;
        }
        // Ends before `next`: one of the `len > 0` outstanding ids is there.
        while self.slots[self.slot(self.base)].is_none() {
            self.base += 1;
        }
    }
}

impl<M> fmt::Debug for Outstanding<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outstanding")
            .field("capacity", &self.slots.len())
            .field("len", &self.len)
            .field("oldest", &self.base)
            .field("next_id", &self.next)
            .field("resend_after", &self.resend_after)
            .field("max_attempts", &self.max_attempts)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeMap;
    use alloc::format;
    use alloc::rc::Rc;
    use alloc::string::String;
    use alloc::vec::Vec;
    use core::cell::RefCell;
    use std::collections::HashMap;
    use std::panic::{catch_unwind, AssertUnwindSafe};

    /// The payload of the panics the bombs inject.
    const BOMB: &str = "resend test: a message panics in Drop";

    /// Keeps the injected panics quiet; every other panic goes to the hook
    /// that was there before.
    fn quiet_bombs() {
        static HOOK: std::sync::Once = std::sync::Once::new();
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if info.payload().downcast_ref::<&str>() != Some(&BOMB) {
                    previous(info);
                }
            }));
        });
    }

    /// Drops per message id, shared by the messages of one test.
    type Drops = Rc<RefCell<HashMap<u64, u32>>>;

    /// A heap-owning message (under miri a double drop is a double free and a
    /// lost one a leak) that counts its drops; a bomb panics in `Drop`.
    #[derive(Debug)]
    struct Msg {
        id: u64,
        text: String,
        bomb: bool,
        drops: Drops,
    }

    impl Msg {
        fn new(id: u64, drops: &Drops) -> Msg {
            Msg::with_bomb(id, false, drops)
        }
        fn with_bomb(id: u64, bomb: bool, drops: &Drops) -> Msg {
            Msg {
                id,
                text: format!("message {id}"),
                bomb,
                drops: drops.clone(),
            }
        }
        /// The id, after checking that the heap text is intact.
        fn id(&self) -> u64 {
            assert_eq!(self.text, format!("message {}", self.id));
            self.id
        }
    }

    impl Drop for Msg {
        fn drop(&mut self) {
            *self.drops.borrow_mut().entry(self.id).or_default() += 1;
            if self.bomb && !std::thread::panicking() {
                std::panic::panic_any(BOMB);
            }
        }
    }

    /// Asserts that exactly the messages `ids` have been dropped, each once.
    #[track_caller]
    fn assert_dropped_once(drops: &Drops, ids: impl IntoIterator<Item = u64>) {
        let want: HashMap<u64, u32> = ids.into_iter().map(|id| (id, 1)).collect();
        assert_eq!(*drops.borrow(), want);
    }

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    /// An outstanding message in the model.
    #[derive(Clone, Copy, Debug, PartialEq)]
    struct Want {
        deadline: Instant,
        attempts: u32,
    }

    /// The model: the outstanding ids with their deadlines and attempts, and
    /// the next id.
    struct Model {
        out: BTreeMap<u64, Want>,
        next: u64,
        cap: u64,
        resend_after: Duration,
        max: Option<u32>,
    }

    impl Model {
        fn full(&self) -> bool {
            let oldest = self.out.keys().next().copied().unwrap_or(self.next);
            self.next - oldest == self.cap
        }
        fn at_max(&self, w: &Want) -> bool {
            self.max.is_some_and(|m| w.attempts >= m)
        }
    }

    fn check(t: &Outstanding<Msg>, m: &Model) {
        assert_eq!(t.len(), m.out.len());
        assert_eq!(t.is_empty(), m.out.is_empty());
        assert_eq!(t.is_full(), m.full());
        assert_eq!(t.next_deadline(), m.out.values().map(|w| w.deadline).min());
        for id in m.out.keys().next().map_or(0, |&o| o.saturating_sub(2))..m.next + 2 {
            assert_eq!(
                t.attempts(id),
                m.out.get(&id).map(|w| w.attempts),
                "id {id}"
            );
        }
    }

    /// Random sends, acks (single, cumulative, unknown and repeated ids),
    /// resends (whole and cut short) and give-ups on a fake clock, against the
    /// model; every message dropped exactly once.
    fn matches_model(cap: usize, max: Option<u32>, seed: u64) {
        let drops = Drops::default();
        let resend_after = us(100);
        let mut t = Outstanding::new(cap, resend_after);
        if let Some(max) = max {
            t = t.with_max_attempts(max);
        }
        let mut m = Model {
            out: BTreeMap::new(),
            next: 0,
            cap: cap as u64,
            resend_after,
            max,
        };
        let t0 = Instant::now();
        let mut now = t0;
        let mut x = seed | 1;
        let mut rand = move |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let mut gone = Vec::new(); // ids removed from the table
        let steps = if cfg!(miri) { 150 } else { 3_000 };
        for _ in 0..steps {
            match rand(8) {
                0 | 1 => {
                    let r = t.send_at(Msg::new(m.next, &drops), now);
                    if m.full() {
                        let back = r.unwrap_err();
                        assert_eq!(back.id(), m.next);
                        // A message handed back is the caller's; drop it
                        // under an id of its own so the count stays exact.
                        assert_eq!(drops.borrow_mut().remove(&m.next), None);
                        drop(back);
                        assert_eq!(drops.borrow_mut().remove(&m.next), Some(1));
                    } else {
                        assert_eq!(r.unwrap(), m.next);
                        let w = Want {
                            deadline: now + m.resend_after,
                            attempts: 1,
                        };
                        m.out.insert(m.next, w);
                        m.next += 1;
                    }
                }
                2 => {
                    // Known, repeated, and never-sent ids alike.
                    let id = rand(m.next + 3);
                    let got = t.ack(id);
                    assert_eq!(got.as_ref().map(Msg::id), m.out.remove(&id).map(|_| id));
                    if got.is_some() {
                        gone.push(id);
                    }
                }
                3 => {
                    if rand(4) == 0 {
                        let id = rand(m.next + 3);
                        let want: Vec<u64> = m.out.range(..=id).map(|(&k, _)| k).collect();
                        assert_eq!(t.ack_through(id), want.len());
                        for k in want {
                            m.out.remove(&k);
                            gone.push(k);
                        }
                    }
                }
                4 => {
                    // Some or all of the due messages: the rest stay due.
                    let take = rand(cap as u64 + 2) as usize;
                    let want: Vec<u64> = m
                        .out
                        .iter()
                        .filter(|(_, w)| w.deadline <= now && !m.at_max(w))
                        .map(|(&k, _)| k)
                        .take(take)
                        .collect();
                    let got: Vec<u64> = t
                        .due_at(now)
                        .take(take)
                        .map(|(id, msg)| {
                            assert_eq!(msg.id(), id);
                            id
                        })
                        .collect();
                    assert_eq!(got, want);
                    for k in want {
                        let w = m.out.get_mut(&k).unwrap();
                        w.deadline = now + m.resend_after;
                        w.attempts += 1;
                    }
                }
                5 => {
                    let want = m
                        .out
                        .iter()
                        .find(|(_, w)| w.deadline <= now && m.at_max(w))
                        .map(|(&k, _)| k);
                    let got = t.give_up_at(now);
                    assert_eq!(
                        got.as_ref().map(|(id, msg)| (*id, msg.id())),
                        want.map(|k| (k, k))
                    );
                    if let Some(k) = want {
                        m.out.remove(&k);
                        gone.push(k);
                    }
                }
                _ => now += us(rand(60)),
            }
            check(&t, &m);
            assert_dropped_once(&drops, gone.iter().copied());
        }
        // Dropping the table drops what is left, once each.
        drop(t);
        assert_dropped_once(&drops, gone.into_iter().chain(m.out.into_keys()));
    }

    #[test]
    fn table_matches_a_model() {
        // Under miri, fewer shapes and steps (see `matches_model`).
        let (caps, maxes): (&[usize], &[Option<u32>]) = if cfg!(miri) {
            (&[1, 3, 5], &[None, Some(2)])
        } else {
            (&[1, 2, 3, 5, 8, 16], &[None, Some(1), Some(2), Some(4)])
        };
        for &cap in caps {
            for &max in maxes {
                matches_model(cap, max, 0x9e37_79b9_7f4a_7c15 ^ cap as u64);
            }
        }
    }

    #[test]
    fn nothing_is_due_before_its_deadline() {
        let drops = Drops::default();
        let t0 = Instant::now();
        let mut t = Outstanding::new(4, us(100));
        t.send_at(Msg::new(0, &drops), t0).unwrap();
        t.send_at(Msg::new(1, &drops), t0 + us(30)).unwrap();
        assert_eq!(t.next_deadline(), Some(t0 + us(100)));
        assert_eq!(t.due_at(t0 + us(99)).count(), 0);
        assert_eq!(t.attempts(0), Some(1));
        // At the deadline exactly: due.
        let due: Vec<u64> = t.due_at(t0 + us(100)).map(|(id, _)| id).collect();
        assert_eq!(due, [0]);
        // 0 is now due at t0 + 200, 1 at t0 + 130.
        assert_eq!(t.next_deadline(), Some(t0 + us(130)));
        assert_eq!(t.due_at(t0 + us(129)).count(), 0);
        let due: Vec<u64> = t.due_at(t0 + us(199)).map(|(id, _)| id).collect();
        assert_eq!(due, [1]);
        let due: Vec<u64> = t.due_at(t0 + us(300)).map(|(id, _)| id).collect();
        assert_eq!(due, [0, 1]); // oldest id first
        assert_eq!((t.attempts(0), t.attempts(1)), (Some(3), Some(3)));
        drop(t);
        assert_dropped_once(&drops, [0, 1]);
    }

    #[test]
    fn an_unacknowledged_message_holds_the_window() {
        let drops = Drops::default();
        let t0 = Instant::now();
        let mut t = Outstanding::new(3, us(10));
        for id in 0..3 {
            assert_eq!(t.send_at(Msg::new(id, &drops), t0).unwrap(), id);
        }
        // 1 and 2 acknowledged out of order: 0 still holds the window.
        assert_eq!(t.ack(2).unwrap().id(), 2);
        assert_eq!(t.ack(1).unwrap().id(), 1);
        assert!(t.is_full());
        let back = t.send_at(Msg::new(3, &drops), t0).unwrap_err();
        assert_eq!(back.id(), 3);
        drop(back);
        assert_eq!(t.ack(0).unwrap().id(), 0);
        assert!(t.is_empty() && !t.is_full());
        // The ids go on from 3, in slots reused round the ring.
        for id in 3..6 {
            assert_eq!(t.send_at(Msg::new(id + 10, &drops), t0).unwrap(), id);
        }
        assert!(t.is_full());
        // Old and future ids are unknown: nothing happens.
        assert!(t.ack(0).is_none() && t.ack(2).is_none() && t.ack(6).is_none());
        assert_eq!(t.ack_through(2), 0);
        assert_eq!(t.len(), 3);
        assert_eq!(t.ack_through(u64::MAX), 3);
        assert!(t.is_empty());
        assert_eq!(t.send_at(Msg::new(99, &drops), t0).unwrap(), 6);
        drop(t);
        assert_dropped_once(&drops, [0, 1, 2, 3, 13, 14, 15, 99]);
    }

    #[test]
    fn given_up_messages_come_back_once() {
        let drops = Drops::default();
        let t0 = Instant::now();
        let mut t = Outstanding::new(4, us(10)).with_max_attempts(2);
        t.send_at(Msg::new(0, &drops), t0).unwrap();
        t.send_at(Msg::new(1, &drops), t0 + us(5)).unwrap();
        assert_eq!(t.due_at(t0 + us(10)).count(), 1); // 0's second attempt
        assert!(t.give_up_at(t0 + us(19)).is_none());
        assert_eq!(t.next_deadline(), Some(t0 + us(15)));
        assert_eq!(
            t.due_at(t0 + us(20)).map(|(id, _)| id).collect::<Vec<_>>(),
            [1]
        );
        // 0 reached its maximum at t0 + 20: not due, to be given up.
        let (id, msg) = t.give_up_at(t0 + us(20)).unwrap();
        assert_eq!((id, msg.id()), (0, 0));
        drop(msg);
        assert!(t.give_up_at(t0 + us(29)).is_none());
        assert_eq!(t.next_deadline(), Some(t0 + us(30)));
        assert!(t.ack(0).is_none());
        // The window moved on past 0.
        assert_eq!(t.send_at(Msg::new(2, &drops), t0 + us(30)).unwrap(), 2);
        assert_eq!(t.give_up_at(t0 + us(30)).map(|(id, _)| id), Some(1));
        assert_eq!(t.len(), 1);
        drop(t);
        assert_dropped_once(&drops, [0, 1, 2]);
    }

    #[test]
    #[should_panic(
        expected = "ringkit::resend::Outstanding::new: ring capacity must be at least 1"
    )]
    fn zero_capacity_panics() {
        let _ = Outstanding::<u8>::new(0, us(1));
    }

    #[test]
    #[should_panic(expected = "the maximum must be at least 1")]
    fn zero_max_attempts_panics() {
        let _ = Outstanding::<u8>::new(1, us(1)).with_max_attempts(0);
    }

    #[test]
    fn too_large_a_capacity_is_an_error() {
        let r = Outstanding::<[u8; 1024]>::try_new(usize::MAX / 2, us(1));
        assert_eq!(
            r.err(),
            Some(CapacityError::TooLarge {
                requested: usize::MAX / 2
            })
        );
    }

    #[test]
    fn a_deadline_past_the_clock_never_comes() {
        let t0 = Instant::now();
        let mut t = Outstanding::new(2, Duration::MAX);
        t.send_at('a', t0).unwrap();
        assert_eq!(t.next_deadline(), None);
        assert_eq!(t.due_at(t0 + Duration::from_secs(1 << 40)).count(), 0);
        assert_eq!(t.ack(0), Some('a'));
    }

    #[test]
    fn dropping_the_table_drops_each_message_once_despite_a_bomb() {
        quiet_bombs();
        let drops = Drops::default();
        let t0 = Instant::now();
        let mut t = Outstanding::new(5, us(10));
        for id in 0..5 {
            t.send_at(Msg::with_bomb(id, id == 2, &drops), t0).unwrap();
        }
        t.ack(0).unwrap(); // slot 0 empty, the ring starts at slot 1
        let r = catch_unwind(AssertUnwindSafe(|| drop(t)));
        assert_eq!(r.unwrap_err().downcast_ref::<&str>(), Some(&BOMB));
        assert_dropped_once(&drops, 0..5);
    }

    #[test]
    fn ack_through_a_bomb_leaves_a_consistent_table() {
        quiet_bombs();
        let drops = Drops::default();
        let t0 = Instant::now();
        let mut t = Outstanding::new(8, us(10));
        for id in 0..6 {
            t.send_at(Msg::with_bomb(id, id == 2, &drops), t0).unwrap();
        }
        let r = catch_unwind(AssertUnwindSafe(|| t.ack_through(4)));
        assert_eq!(r.unwrap_err().downcast_ref::<&str>(), Some(&BOMB));
        // 0, 1 and the bomb are gone; 3, 4 and 5 are still outstanding.
        assert_dropped_once(&drops, 0..3);
        assert_eq!(t.len(), 3);
        assert_eq!(t.attempts(2), None);
        assert_eq!(t.attempts(3), Some(1));
        assert_eq!(t.ack_through(4), 2);
        assert_eq!(t.ack(5).unwrap().id(), 5);
        assert!(t.is_empty());
        drop(t);
        assert_dropped_once(&drops, 0..6);
    }

    /// The module docs' window bound, at capacity 2, on the interleaving that
    /// needs all of it: returns whether the receiver, with a window of
    /// `window` ids, recognises the last copy of id 1 (its effect happened,
    /// its acknowledgement was lost).
    fn last_copy_recognised(window: usize) -> bool {
        use crate::dedup::Dedup;
        let t0 = Instant::now();
        let mut t = Outstanding::new(2, us(10));
        let mut seen = Dedup::new(window);
        let mut ring = std::collections::VecDeque::new(); // FIFO, lossless here
        ring.push_back(t.send_at(0, t0).unwrap());
        ring.push_back(t.send_at(1, t0 + us(5)).unwrap());
        assert_eq!(ring.pop_front(), Some(0)); // its handler fails: no record, no ack
        assert_eq!(ring.pop_front(), Some(1));
        seen.record(1); // handled; the acknowledgement is lost
        ring.extend(t.due_at(t0 + us(10)).map(|(id, _)| id)); // 0 again
        assert_eq!(ring.pop_front(), Some(0));
        assert!(!seen.is_duplicate(&0));
        seen.record(0);
        assert_eq!(t.ack(0), Some(0));
        ring.push_back(t.send_at(2, t0 + us(10)).unwrap());
        assert_eq!(ring.pop_front(), Some(2));
        seen.record(2);
        assert_eq!(t.ack(2), Some(2));
        // 1, 0 and 2 recorded: 1 is within `capacity - 1` of both others.
        ring.extend(t.due_at(t0 + us(15)).map(|(id, _)| id)); // 1 again
        assert_eq!(ring.pop_front(), Some(1));
        seen.is_duplicate(&1)
    }

    #[test]
    fn a_window_of_twice_the_capacity_is_enough_and_just_so() {
        assert!(last_copy_recognised(2 * 2));
        assert!(last_copy_recognised(2 * 2 - 1));
        assert!(!last_copy_recognised(2 * 2 - 2)); // one fewer would apply 1 twice
    }

    #[test]
    fn debug_shows_the_window() {
        let mut t = Outstanding::new(4, us(10));
        t.send(1u8).unwrap();
        t.send(2u8).unwrap();
        t.ack(0);
        assert_eq!(
            format!("{t:?}"),
            "Outstanding { capacity: 4, len: 1, oldest: 1, next_id: 2, \
             resend_after: 10µs, max_attempts: None }"
        );
    }
}
