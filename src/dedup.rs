//! Recognising a message seen before, by its id: [`Dedup`], a bounded window of
//! the ids whose effects have happened.
//!
//! A sender that hears no acknowledgement sends again, so a receiver may get a
//! message twice: once before the acknowledgement was lost, once resent. The
//! receiver makes the effect happen once by recording each message's id after
//! handling it, and skipping (but acknowledging) a message whose id is recorded.
//! The record cannot grow without bound, so it is a window: the last `N` ids
//! recorded, and optionally only those recorded within a time span. A resend
//! must arrive while its id is still in the window; size the window to cover
//! the sender's resend horizon (how many messages, or how long, a message may
//! stay unacknowledged).
//!
//! The window allocates once, at construction: a ring of `N` ids in the order
//! they were recorded and an open-addressing index of at least `2N` buckets
//! (linear probing, deletion by backward shift), so a lookup or a record is
//! O(1) on average and never allocates. Recording an id when the window is
//! full evicts the oldest.
//!
//! ```
//! use ringkit::dedup::Dedup;
//!
//! let mut seen = Dedup::new(1024); // the last 1024 ids
//! let mut total = 0;
//! for (id, amount) in [(1u64, 10), (2, 5), (1, 10)] {
//!     // 1 comes twice: a resend after a lost acknowledgement.
//!     if seen.is_duplicate(&id) {
//!         continue; // acknowledge it again, do nothing else
//!     }
//!     total += amount; // the effect
//!     seen.record(id); // only once the effect has happened
//! }
//! assert_eq!(total, 15);
//! assert_eq!(seen.duplicates(), 1);
//! ```

use crate::error::{check_capacity, CapacityError};
use alloc::boxed::Box;
use core::hash::{BuildHasher, Hash};
use std::collections::hash_map::RandomState;
use std::time::{Duration, Instant};

/// An index bucket: the ring slot of an id and the id's hash; `slot == EMPTY`
/// for a free bucket.
#[derive(Clone, Copy)]
struct Bucket {
    hash: u64,
    slot: usize,
}

const EMPTY: usize = usize::MAX;

const FREE: Bucket = Bucket {
    hash: 0,
    slot: EMPTY,
};

/// A recorded id and, when the window has a time span, when it was recorded.
struct Entry<K> {
    id: K,
    at: Option<Instant>,
}

/// A bounded window of message ids whose effects have happened: the last `N`
/// recorded, and optionally only those recorded within a time span; see the
/// [module docs](self).
///
/// `K` is anything `Hash + Eq` (a `u64`, a `u128`, a string, a tuple of
/// producer and sequence number); `S` hashes it ([`RandomState`] by default,
/// which resists ids chosen to collide).
///
/// ```
/// use ringkit::dedup::Dedup;
///
/// let mut seen = Dedup::new(2);
/// seen.record("a");
/// seen.record("b");
/// assert!(seen.contains(&"a"));
/// seen.record("c"); // the window holds the last 2: "a" leaves
/// assert!(!seen.contains(&"a"));
/// assert_eq!(seen.len(), 2);
/// ```
pub struct Dedup<K, S = RandomState> {
    /// The recorded ids, oldest first from slot `oldest()`: a ring of `window`
    /// slots, `len` of them in use, the newest at slot `next - 1`.
    ring: Box<[Option<Entry<K>>]>,
    /// The index: a power of two of at least twice `window` buckets, so that at
    /// most half of them are in use and a probe ends soon.
    index: Box<[Bucket]>,
    /// Ids recorded so far, modulo 2^64: the next id goes to slot `next % window`.
    next: u64,
    len: usize,
    span: Option<Duration>,
    hasher: S,
    duplicates: u64,
    on_duplicate: Option<DuplicateHook<K>>,
}

/// The callback of [`Dedup::on_duplicate`].
type DuplicateHook<K> = Box<dyn FnMut(&K) + Send>;

impl<K: Hash + Eq> Dedup<K, RandomState> {
    /// A window of the last `window` ids recorded.
    ///
    /// # Panics
    ///
    /// If `window` is 0 or too large for memory; see [`Dedup::try_new`].
    ///
    /// ```
    /// let seen = ringkit::dedup::Dedup::<u64>::new(4096);
    /// assert_eq!(seen.window(), 4096);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn new(window: usize) -> Self {
        match Self::try_new(window) {
            Ok(d) => d,
            Err(e) => panic!("ringkit::dedup::Dedup::new: {e}"),
        }
    }

    /// A window of the last `window` ids recorded, or why there cannot be one.
    ///
    /// ```
    /// use ringkit::{dedup::Dedup, CapacityError};
    /// assert_eq!(Dedup::<u64>::try_new(0).err(), Some(CapacityError::Zero));
    /// ```
    pub fn try_new(window: usize) -> Result<Self, CapacityError> {
        Self::try_with_hasher(window, RandomState::new())
    }
}

impl<K: Hash + Eq, S: BuildHasher> Dedup<K, S> {
    /// A window of the last `window` ids, hashed by `hasher`, or why there cannot
    /// be one.
    ///
    /// ```
    /// use ringkit::dedup::Dedup;
    /// use std::collections::hash_map::RandomState;
    /// let seen = Dedup::<u64, _>::try_with_hasher(8, RandomState::new()).unwrap();
    /// assert!(seen.is_empty());
    /// ```
    pub fn try_with_hasher(window: usize, hasher: S) -> Result<Self, CapacityError> {
        check_capacity::<Entry<K>>(window)?;
        // At least twice the window, so at most half the buckets are in use.
        let buckets = window
            .checked_mul(2)
            .and_then(usize::checked_next_power_of_two)
            .ok_or(CapacityError::TooLarge { requested: window })?;
        check_capacity::<Bucket>(buckets)
            .map_err(|_| CapacityError::TooLarge { requested: window })?;
        Ok(Dedup {
            ring: (0..window).map(|_| None).collect(),
            index: alloc::vec![FREE; buckets].into_boxed_slice(),
            next: 0,
            len: 0,
            span: None,
            hasher,
            duplicates: 0,
            on_duplicate: None,
        })
    }

    /// Also forgets ids recorded longer than `span` ago: an id leaves the window
    /// when either bound says so.
    ///
    /// ```
    /// use ringkit::dedup::Dedup;
    /// use std::time::{Duration, Instant};
    ///
    /// let mut seen = Dedup::new(100).with_span(Duration::from_secs(60));
    /// let t0 = Instant::now();
    /// seen.record_at(7u64, t0);
    /// assert!(seen.is_duplicate_at(&7, t0 + Duration::from_secs(59)));
    /// assert!(!seen.is_duplicate_at(&7, t0 + Duration::from_secs(60)));
    /// ```
    #[must_use]
    pub fn with_span(mut self, span: Duration) -> Self {
        self.span = Some(span);
        self
    }

    /// Calls `f` with the id of every duplicate that [`is_duplicate`]
    /// (or [`insert`]) recognises, on the caller's thread (for logging or a
    /// shared counter; [`duplicates`] counts them too).
    ///
    /// [`is_duplicate`]: Dedup::is_duplicate
    /// [`insert`]: Dedup::insert
    /// [`duplicates`]: Dedup::duplicates
    ///
    /// ```
    /// use ringkit::dedup::Dedup;
    /// use std::sync::{atomic::{AtomicU64, Ordering}, Arc};
    ///
    /// let dups = Arc::new(AtomicU64::new(0));
    /// let d = dups.clone();
    /// let mut seen = Dedup::new(16).on_duplicate(move |_id: &u64| {
    ///     d.fetch_add(1, Ordering::Relaxed);
    /// });
    /// seen.record(3);
    /// assert!(seen.is_duplicate(&3));
    /// assert_eq!(dups.load(Ordering::Relaxed), 1);
    /// ```
    #[must_use]
    pub fn on_duplicate(mut self, f: impl FnMut(&K) + Send + 'static) -> Self {
        self.on_duplicate = Some(Box::new(f));
        self
    }

    /// True if `id` is in the window: its effect has happened, so the message
    /// should be acknowledged and not handled again. Counts it (and calls the
    /// [`on_duplicate`](Dedup::on_duplicate) callback) when it is. Reads the
    /// clock only if the window has a [time span](Dedup::with_span).
    ///
    /// ```
    /// let mut seen = ringkit::dedup::Dedup::new(8);
    /// assert!(!seen.is_duplicate(&1u32));
    /// seen.record(1);
    /// assert!(seen.is_duplicate(&1));
    /// assert_eq!(seen.duplicates(), 1);
    /// ```
    pub fn is_duplicate(&mut self, id: &K) -> bool {
        let now = self.now();
        self.duplicate_at(id, now)
    }

    /// [`is_duplicate`](Dedup::is_duplicate) with the time given: ids recorded
    /// `span` or longer before `now` are forgotten first. `now` must not go
    /// backwards from one call to the next (tests pass a clock of their own).
    ///
    /// ```
    /// use ringkit::dedup::Dedup;
    /// use std::time::{Duration, Instant};
    ///
    /// let mut seen = Dedup::new(8).with_span(Duration::from_millis(10));
    /// let t0 = Instant::now();
    /// seen.record_at('x', t0);
    /// assert!(seen.is_duplicate_at(&'x', t0 + Duration::from_millis(9)));
    /// assert!(!seen.is_duplicate_at(&'x', t0 + Duration::from_millis(10)));
    /// ```
    pub fn is_duplicate_at(&mut self, id: &K, now: Instant) -> bool {
        self.duplicate_at(id, Some(now))
    }

    /// Records that the effect of message `id` has happened, evicting the oldest
    /// id if the window is full. Recording an id already in the window changes
    /// nothing. Reads the clock only if the window has a time span.
    ///
    /// ```
    /// let mut seen = ringkit::dedup::Dedup::new(8);
    /// seen.record(42u64);
    /// seen.record(42); // no second entry
    /// assert_eq!(seen.len(), 1);
    /// ```
    pub fn record(&mut self, id: K) {
        let now = self.now();
        self.record_inner(id, now);
    }

    /// [`record`](Dedup::record) with the time given; see
    /// [`is_duplicate_at`](Dedup::is_duplicate_at).
    ///
    /// ```
    /// use ringkit::dedup::Dedup;
    /// use std::time::{Duration, Instant};
    ///
    /// let mut seen = Dedup::new(8).with_span(Duration::from_secs(1));
    /// let t0 = Instant::now();
    /// seen.record_at(1u8, t0);
    /// seen.record_at(2u8, t0 + Duration::from_secs(2)); // 1 has expired
    /// assert_eq!(seen.len(), 1);
    /// ```
    pub fn record_at(&mut self, id: K, now: Instant) {
        self.record_inner(id, Some(now));
    }

    /// Records `id` if it is new and returns true; returns false (and counts a
    /// duplicate) if it is in the window. One lookup for a receiver whose
    /// effect cannot fail, so that it may record before the effect.
    ///
    /// ```
    /// let mut seen = ringkit::dedup::Dedup::new(8);
    /// assert!(seen.insert(5u64));
    /// assert!(!seen.insert(5));
    /// assert_eq!(seen.duplicates(), 1);
    /// ```
    pub fn insert(&mut self, id: K) -> bool {
        let now = self.now();
        if self.duplicate_at(&id, now) {
            return false;
        }
        self.record_inner(id, now);
        true
    }

    /// True if `id` is in the window; counts nothing and forgets nothing (ids
    /// older than the time span leave at the next check or record).
    ///
    /// ```
    /// let mut seen = ringkit::dedup::Dedup::new(8);
    /// seen.record(9u64);
    /// assert!(seen.contains(&9));
    /// assert_eq!(seen.duplicates(), 0);
    /// ```
    #[must_use]
    pub fn contains(&self, id: &K) -> bool {
        self.find(id, self.hasher.hash_one(id)).is_some()
    }

    /// Duplicates recognised so far.
    ///
    /// ```
    /// let mut seen = ringkit::dedup::Dedup::new(8);
    /// assert!(seen.insert(1u8));
    /// assert!(!seen.insert(1));
    /// assert!(!seen.insert(1));
    /// assert_eq!(seen.duplicates(), 2);
    /// ```
    #[must_use]
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// Ids in the window now (counting, like [`contains`](Dedup::contains),
    /// those past the time span that no check or record has forgotten yet).
    ///
    /// ```
    /// let mut seen = ringkit::dedup::Dedup::new(2);
    /// for id in 0..5u64 {
    ///     seen.record(id);
    /// }
    /// assert_eq!(seen.len(), 2);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if no id is in the window.
    ///
    /// ```
    /// let seen = ringkit::dedup::Dedup::<u64>::new(2);
    /// assert!(seen.is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The most ids the window holds.
    ///
    /// ```
    /// assert_eq!(ringkit::dedup::Dedup::<u64>::new(3).window(), 3);
    /// ```
    #[must_use]
    pub fn window(&self) -> usize {
        self.ring.len()
    }

    /// Forgets every id (the duplicate count stays).
    ///
    /// ```
    /// let mut seen = ringkit::dedup::Dedup::new(4);
    /// seen.record(1u64);
    /// seen.clear();
    /// assert!(!seen.contains(&1));
    /// ```
    pub fn clear(&mut self) {
        while self.len > 0 {
            self.evict_oldest();
        }
    }

    /// True if the window has a time span, so its `*_at` forms need a time.
    pub(crate) fn needs_clock(&self) -> bool {
        self.span.is_some()
    }

    /// The time to stamp records with: read only if the window has a span.
    fn now(&self) -> Option<Instant> {
        self.span.map(|_| Instant::now())
    }

    fn duplicate_at(&mut self, id: &K, now: Option<Instant>) -> bool {
        self.expire(now);
        if self.find(id, self.hasher.hash_one(id)).is_none() {
            return false;
        }
        self.duplicates += 1;
        if let Some(f) = self.on_duplicate.as_mut() {
            f(id);
        }
        true
    }

    fn record_inner(&mut self, id: K, now: Option<Instant>) {
        self.expire(now);
        let hash = self.hasher.hash_one(&id);
        if self.find(&id, hash).is_some() {
            return;
        }
        if self.len == self.ring.len() {
            self.evict_oldest();
        }
        let window = self.ring.len();
        let slot = (self.next % window as u64) as usize;
        self.ring[slot] = Some(Entry {
            id,
            at: self.span.and(now),
        });
        let mask = self.index.len() - 1;
        let mut b = hash as usize & mask;
        // Terminates: at most `window` of the `2 * window` or more buckets are
        // in use, and one of those is being filled.
        while self.index[b].slot != EMPTY {
            b = (b + 1) & mask;
        }
        self.index[b] = Bucket { hash, slot };
        self.next = self.next.wrapping_add(1);
        self.len += 1;
    }

    /// Forgets the ids recorded `span` or longer before `now`, oldest first.
    fn expire(&mut self, now: Option<Instant>) {
        let (Some(span), Some(now)) = (self.span, now) else {
            return;
        };
        while self.len > 0 {
            let at = self.ring[self.oldest()].as_ref().and_then(|e| e.at);
            match at {
                Some(at) if now.saturating_duration_since(at) >= span => self.evict_oldest(),
                _ => break,
            }
        }
    }

    /// Ring slot of the oldest id (meaningful when `len > 0`).
    fn oldest(&self) -> usize {
        let window = self.ring.len() as u64;
        (self.next.wrapping_sub(self.len as u64) % window) as usize
    }

    /// The bucket that holds `id`, if it is in the window.
    fn find(&self, id: &K, hash: u64) -> Option<usize> {
        let mask = self.index.len() - 1;
        let mut b = hash as usize & mask;
        loop {
            let bucket = self.index[b];
            if bucket.slot == EMPTY {
                return None;
            }
            if bucket.hash == hash && self.ring[bucket.slot].as_ref().is_some_and(|e| e.id == *id) {
                return Some(b);
            }
            b = (b + 1) & mask;
        }
    }

    fn evict_oldest(&mut self) {
        let slot = self.oldest();
        let Some(entry) = self.ring[slot].take() else {
            return;
        };
        self.len -= 1;
        let hash = self.hasher.hash_one(&entry.id);
        let mask = self.index.len() - 1;
        let mut b = hash as usize & mask;
        // Its bucket is on its probe path, before the first free bucket.
        while self.index[b].slot != slot {
            b = (b + 1) & mask;
        }
        self.remove_bucket(b);
    }

    /// Frees bucket `hole` and moves later buckets of the same probe run back
    /// into it where their own probe paths allow, so that every id stays
    /// reachable from its home bucket without a tombstone.
    fn remove_bucket(&mut self, mut hole: usize) {
        let mask = self.index.len() - 1;
        let mut b = hole;
        loop {
            b = (b + 1) & mask;
            let bucket = self.index[b];
            if bucket.slot == EMPTY {
                break;
            }
            let home = bucket.hash as usize & mask;
            // The hole lies on this bucket's probe path (from `home` up to `b`)
            // exactly when it is no farther from `b` than `home` is.
            if b.wrapping_sub(home) & mask >= b.wrapping_sub(hole) & mask {
                self.index[hole] = bucket;
                hole = b;
            }
        }
        self.index[hole] = FREE;
    }
}

impl<K, S> core::fmt::Debug for Dedup<K, S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Dedup")
            .field("window", &self.ring.len())
            .field("len", &self.len)
            .field("span", &self.span)
            .field("duplicates", &self.duplicates)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec::Vec;
    use std::collections::{HashSet, VecDeque};

    /// A hasher that sends every id to a few buckets, so that probe runs are
    /// long and wrap around the end of the index.
    #[derive(Clone, Default)]
    struct Clumped;

    impl BuildHasher for Clumped {
        type Hasher = ClumpedHasher;
        fn build_hasher(&self) -> ClumpedHasher {
            ClumpedHasher(0)
        }
    }

    struct ClumpedHasher(u64);

    impl core::hash::Hasher for ClumpedHasher {
        fn finish(&self) -> u64 {
            // Homes 6 and 7 of an 8-bucket index (window 3 or 4): runs wrap.
            6 + self.0 % 2
        }
        fn write(&mut self, bytes: &[u8]) {
            for &b in bytes {
                self.0 = self.0.wrapping_mul(31).wrapping_add(u64::from(b));
            }
        }
    }

    /// Against a model (the last `window` distinct ids recorded), for many
    /// windows and a pseudo-random stream of ids with many repeats.
    fn matches_model<S: BuildHasher>(window: usize, hasher: S) {
        let mut d = Dedup::try_with_hasher(window, hasher).unwrap();
        let mut model: VecDeque<u64> = VecDeque::new();
        let mut x = 0x9e37_79b9_7f4a_7c15_u64 ^ window as u64;
        let mut dups = 0;
        for _ in 0..if cfg!(miri) { 200 } else { 2_000 } {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let id = x % (window as u64 * 3);
            let want = model.contains(&id);
            assert_eq!(d.contains(&id), want);
            if x % 3 == 0 {
                assert_eq!(d.insert(id), !want);
            } else {
                assert_eq!(d.is_duplicate(&id), want);
                d.record(id);
            }
            if want {
                dups += 1;
            } else {
                if model.len() == window {
                    model.pop_front();
                }
                model.push_back(id);
            }
            assert_eq!(d.len(), model.len());
            assert_eq!(d.duplicates(), dups);
            if x % 97 == 0 {
                // Every id in the model is found; none outside it.
                let inside: HashSet<u64> = model.iter().copied().collect();
                for id in 0..window as u64 * 3 {
                    assert_eq!(d.contains(&id), inside.contains(&id));
                }
            }
        }
    }

    #[test]
    fn window_matches_a_model() {
        // Under miri, the small windows only (3 and 4 wrap the clumped runs).
        let windows: &[usize] = if cfg!(miri) {
            &[1, 3, 4]
        } else {
            &[1, 2, 3, 4, 5, 8, 17, 64]
        };
        for &window in windows {
            matches_model(window, RandomState::new());
            matches_model(window, Clumped);
        }
    }

    #[test]
    fn span_forgets_old_ids_in_order() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut d = Dedup::new(10).with_span(s(10));
        for id in 0..5u64 {
            d.record_at(id, t0 + s(id));
        }
        // At t0 + 12: 0, 1 and 2 are 10 or more seconds old.
        assert!(!d.is_duplicate_at(&2, t0 + s(12)));
        assert!(d.is_duplicate_at(&3, t0 + s(12)));
        assert_eq!(d.len(), 2);
        // Both bounds: the window of 10 also evicts.
        for id in 100..120u64 {
            d.record_at(id, t0 + s(13));
        }
        assert_eq!(d.len(), 10);
        assert!(!d.contains(&109) && d.contains(&110));
    }

    #[test]
    fn callback_sees_each_duplicate() {
        let seen: std::sync::Arc<std::sync::Mutex<Vec<u64>>> = Default::default();
        let s = seen.clone();
        let mut d = Dedup::new(4).on_duplicate(move |id: &u64| s.lock().unwrap().push(*id));
        d.record(1);
        d.record(2);
        assert!(d.is_duplicate(&2));
        assert!(!d.insert(1));
        assert!(!d.is_duplicate(&3));
        assert_eq!(*seen.lock().unwrap(), [2, 1]);
    }

    #[test]
    fn ids_with_heap_payloads_are_dropped_once() {
        // Strings: under miri a double drop is a double free, a lost one a leak.
        let mut d = Dedup::new(3);
        for i in 0..10u32 {
            d.record(i.to_string());
        }
        assert!(d.contains(&"9".to_string()) && !d.contains(&"6".to_string()));
        d.clear();
        assert!(d.is_empty());
        d.record("again".to_string());
    }
}
