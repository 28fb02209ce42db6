//! [`WaitCell`] is an eventcount on one 32-bit futex word, changed only by
//! read-modify-writes. Bit 0 (`PARKED`) says "somebody is parked"; bit 1
//! (`SHARED`) says "more than one waiter has relied on this parked bit"; bit 2
//! (`SLEEPER`) says "one of them is a thread that may sleep on this very word";
//! the other bits are an epoch.
//!
//! * A waiter re-checks its condition, spinning for a bounded time and then
//!   yielding a few times (`tuning.rs`), then arms
//!   the cell with a compare-exchange (remembering the word it left): if the parked
//!   bit is clear it sets it, and owns it alone; if another waiter set it, it sets
//!   the shared bit too (once set, nobody needs to write it again). It then runs the
//!   heavy half of an asymmetric barrier, checks its condition once more, and only
//!   then sleeps on the futex, on exactly the word it left. Any notify that slipped
//!   in between changed the epoch, so the futex returns at once.
//! * A notifier, after making the condition true, runs the light half of the
//!   barrier (a compiler fence on Linux) and loads the word. Only if the parked bit
//!   is set does it bump the epoch, clear the bits and wake everybody: the futex
//!   sleepers with a system call, but only if the sleeper bit was set too, and the
//!   tasks and doorbells (below) without one. With nobody parked a notify is one
//!   plain load: no read-modify-write, no system call.
//! * A waiter that leaves without being woken (its re-check found the condition
//!   true, or its deadline passed) takes its parked bit back if it owns it alone
//!   and nothing has changed since: a compare-exchange from the word it left to
//!   that word without the parked bit. So a parked bit stays set only while
//!   somebody may be asleep on it, and a notify makes a system call only then
//!   (or after several waiters shared the bit: the shared bit is not counted down,
//!   and the next notify clears it). See `WaitCell::disarm` for why this loses no
//!   wake-up.
//!
//! The barrier pair forbids the outcome in which the notifier misses the parked bit
//! *and* the waiter misses the condition, which is the only way to lose a wake-up.
//! Spurious wake-ups are always possible; [`WaitCell::wait_until`] loops.
//!
//! The data that the condition guards is published by the structure itself (a
//! release store of a ring index, say), never by this word.
//!
//! # Doorbells: waiting on several cells at once
//!
//! A thread cannot futex-wait on several words. A dispatcher that serves several
//! sources owns one more cell, its *doorbell*, and [attaches](WaitCell::attach) it
//! to each source's cell once, when the source is added. The cold path
//! (`wake_slow`, entered only when a cell's parked bit is set) rings every attached
//! doorbell after waking the cell's own sleepers; the hot path does not change.
//! [`WaitCell::park_any`] arms every source cell (sets its parked bit, or its
//! shared bit, with a read-modify-write, so the next notify takes the cold path),
//! arms the doorbell, runs the heavy barrier, re-checks the condition *and* that no
//! source cell's word changed since it was armed, and only then sleeps on the
//! doorbell. On its way out it takes back the parked bits it owns alone, as a
//! waiter does. `docs/design.md` ("Parking on several sources") shows why both
//! re-checks are needed.

#[cfg(feature = "async")]
use super::TASK_YIELD_LIMIT;
use super::{spin_until_ready, YIELD_LIMIT};
use crate::sync::{
    heavy_barrier, light_barrier_load, prepare_barriers, yield_now, Arc, Futex, Mutex, Ordering,
};
use alloc::vec::Vec;
use core::task::Waker;
#[cfg(feature = "async")]
use core::task::{Context, Poll};
use std::time::Instant;

/// Somebody may be parked: a notify must take the cold path.
const PARKED: u32 = 1;
/// More than one waiter has armed since the last wake-up, so the parked bit is
/// not any single waiter's to take back.
const SHARED: u32 = 2;
/// A thread may be asleep on this word: a wake-up must make the futex system
/// call. Tasks and dispatchers that arm a source cell wait elsewhere (a waker, a
/// doorbell), so their arming leaves it clear and waking them costs no system
/// call. Set and cleared together with the parked bit.
const SLEEPER: u32 = 4;
/// One step of the epoch.
const EPOCH: u32 = 8;

/// How many wakers the cold path takes out of the lock at a time.
const WAKE_BATCH: usize = 8;

/// One eventcount; see the module docs.
pub(crate) struct WaitCell {
    futex: Futex,
    /// What `wake_slow` wakes besides the futex sleepers; touched only on the
    /// cold path, when a dispatcher adds or removes a source, and when a task
    /// starts or stops waiting.
    cold: Mutex<Cold>,
}

/// The cell's lock-protected part.
#[derive(Default)]
struct Cold {
    /// Doorbells of the dispatchers that serve this cell's source.
    bells: Vec<Arc<WaitCell>>,
    /// One slot per task that waits or has waited: its waker while it waits,
    /// `None` once a wake-up took it (or the task left).
    tasks: Vec<Option<Waker>>,
    /// Slots no task holds, reused before `tasks` grows. Its capacity is kept
    /// at least `tasks.len()`, so freeing a slot never allocates.
    #[cfg_attr(not(feature = "async"), allow(dead_code))]
    free: Vec<usize>,
}

/// A task's place among a cell's waiters: the slot its waker sits in, the word
/// its last arming left if that arming set the parked bit (see `disarm`), and
/// how often this wait has yielded so far (see `arm_for`). Its owner gives it
/// back with [`WaitCell::cancel`] before it goes.
#[cfg(feature = "async")]
#[derive(Debug, Default)]
pub(crate) struct TaskWait {
    slot: Option<usize>,
    mine: Option<u32>,
    yields: u8,
}

impl WaitCell {
    pub(crate) fn new() -> Self {
        prepare_barriers();
        WaitCell {
            futex: Futex::new(0),
            cold: Mutex::new(Cold::default()),
        }
    }

    /// A cell whose epoch starts at `epoch`, for tests of the epoch's wrap-around.
    #[allow(dead_code)]
    pub(crate) fn with_epoch(epoch: u32) -> Self {
        prepare_barriers();
        WaitCell {
            futex: Futex::new(epoch.wrapping_mul(EPOCH)),
            cold: Mutex::new(Cold::default()),
        }
    }

    /// Wakes every parked waiter. Call it after the store that makes a waiter's
    /// condition true.
    #[inline]
    pub(crate) fn notify(&self) {
        // The light/heavy barrier pair [wait.light]/[wait.heavy] orders this load
        // against the waiter's arming of the parked bit.
        if light_barrier_load(self.futex.word()) & PARKED != 0 {
            self.wake_slow();
        }
    }

    #[cold]
    fn wake_slow(&self) {
        // New epoch, both bits cleared: every waiter that saw the old word and has
        // not slept yet will find the futex word changed and return at once.
        // ORDERING: Relaxed. The word guards no data; the futex syscall (or the
        // model's lock) orders this change against a sleeper's check.
        let old = self
            .futex
            .word()
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |w| {
                Some(w.wrapping_add(EPOCH) & !(PARKED | SHARED | SLEEPER))
            })
            .unwrap_or_else(|w| w);
        if old & PARKED != 0 {
            // A thread sleeps only on a word it armed with the sleeper bit, and
            // the bit stays until an epoch bump (which woke that thread, or made
            // its futex wait return at once) or until its owner takes it back on
            // the way out (see `disarm`). So with the bit clear nobody is asleep
            // on the futex.
            if old & SLEEPER != 0 {
                self.futex.wake_all();
            }
            self.wake_others();
        }
    }

    fn lock(&self) -> crate::sync::MutexGuard<'_, Cold> {
        self.cold.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Notifies every attached doorbell (a doorbell's own `notify` takes its cold
    /// path only if the dispatcher that owns it has armed it), then wakes every
    /// waiting task, taking its waker out: a task that still has to wait after
    /// its next poll leaves a new one. Wakers are woken outside the lock, a few
    /// at a time, so this allocates nothing.
    fn wake_others(&self) {
        let mut next = 0;
        loop {
            let mut batch: [Option<Waker>; WAKE_BATCH] = Default::default();
            let more = {
                let mut cold = self.lock();
                if next == 0 {
                    for bell in cold.bells.iter() {
                        bell.notify();
                    }
                }
                let mut taken = 0;
                while next < cold.tasks.len() && taken < WAKE_BATCH {
                    if let Some(waker) = cold.tasks[next].take() {
                        batch[taken] = Some(waker);
                        taken += 1;
                    }
                    next += 1;
                }
                next < cold.tasks.len()
            };
            for waker in batch.into_iter().flatten() {
                waker.wake();
            }
            if !more {
                return;
            }
        }
    }

    /// Attaches `bell`: from now on every wake-up of this cell's parked waiters also
    /// notifies `bell`. Call it before the first [`park_any`](Self::park_any) that
    /// arms this cell; the lock orders the two (a notifier that sees the parked bit
    /// set by that arm takes the lock after this attach).
    pub(crate) fn attach(&self, bell: &Arc<WaitCell>) {
        self.lock().bells.push(bell.clone());
    }

    /// Detaches one attachment of `bell` (a no-op if it is not attached).
    pub(crate) fn detach(&self, bell: &Arc<WaitCell>) {
        let bells = &mut self.lock().bells;
        if let Some(i) = bells.iter().position(|b| Arc::ptr_eq(b, bell)) {
            bells.swap_remove(i);
        }
    }

    /// Arms the cell with a read-modify-write: sets the parked bit if it is clear
    /// (this waiter then owns it alone), else the shared bit (a write even if that
    /// was set already, so the heavy barrier that follows orders it), and the
    /// sleeper bit too if the caller will sleep on this cell's futex. Returns the
    /// word as it now is: the key a later [`changed_since`](Self::changed_since)
    /// compares with, and, if it has no shared bit, the key of a
    /// [`disarm`](Self::disarm).
    fn arm(&self, sleeper: bool) -> u32 {
        let sleeper = if sleeper { SLEEPER } else { 0 };
        let armed = |w: u32| {
            if w & PARKED == 0 {
                w | PARKED | sleeper
            } else {
                w | SHARED | sleeper
            }
        };
        // ORDERING: Relaxed; the heavy barrier in `park_any` orders it before the
        // re-checks ([wait.heavy]), as for the compare-exchange in `wait_until`.
        let old = self
            .futex
            .word()
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |w| Some(armed(w)))
            .unwrap_or_else(|w| w);
        armed(old)
    }

    /// Takes back the parked bit that this waiter set and owns alone (with its
    /// sleeper bit, if it set that too), if the word
    /// is still `key` (the word its arming left, with no shared bit). A waiter
    /// calls it when it leaves without needing a wake-up: its condition is true or
    /// it gave up. If it waits again later, it arms afresh and re-checks behind
    /// the heavy barrier, so a notifier that missed the bit because of this
    /// take-back is covered by that re-check, as for any first arming.
    ///
    /// Why no wake-up is lost: a waiter can be asleep (or about to sleep) only on a
    /// word it left when it armed or found when it re-armed. A word with the
    /// parked bit set and the shared bit clear is left only by the arming that set
    /// the parked bit: any other waiter that finds it sets the shared bit before
    /// it relies on it (a compare-exchange from exactly `key`, which fails, and is
    /// retried from the top, if we took the bit back first). So while the word is
    /// still `key`, nobody but us relies on this parked bit, and clearing it
    /// leaves no sleeper behind. A notifier that loads the word after our clear
    /// makes no system call; one that loaded it before finds an armed cell and
    /// takes the cold path for nothing, as before. Once a notifier has bumped the
    /// epoch, or another waiter has set the shared bit, the word is not `key` and
    /// the compare-exchange fails: the bit is not ours to clear. (A word could
    /// come back to `key` only after 2^30 wake-ups while we look, the same
    /// wrap-around every eventcount accepts for its futex wait.)
    fn disarm(&self, key: u32) {
        if key & SHARED != 0 {
            return;
        }
        // ORDERING: Relaxed; the word guards no data, and a waiter that leaves
        // needs no ordering: the read-modify-write only has to be atomic with the
        // arms and epoch bumps of the same word (see above).
        let _ = self.futex.word().compare_exchange(
            key,
            key & !(PARKED | SLEEPER),
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }

    /// True if the word changed since `arm` returned `key`: a wake-up (an epoch
    /// bump) or another waiter's arming (its shared bit), which only makes the
    /// caller return spuriously.
    fn changed_since(&self, key: u32) -> bool {
        // ORDERING: Relaxed; ordered after the notifier's epoch bump by the
        // [wait.light]/[wait.heavy] pair (see `park_any`).
        self.futex.word().load(Ordering::Relaxed) != key
    }

    /// One poll of a task that waits for `attempt()` to succeed: its result if
    /// it does, now or on the re-check after arming; otherwise `Pending`, with
    /// the task's waker stored where the next wake-up of this cell finds it.
    /// See the module docs ("Tasks") for why no wake-up is lost.
    ///
    /// `attempt` is the operation itself (a `try_pop`, say), so a result is
    /// taken in the poll that returns it, and a future dropped after `Pending`
    /// has taken nothing. On `Ready` the task takes its parked bit back (if it
    /// owns it alone) but keeps its slot, with the waker left in it: a later
    /// wake-up may wake the task once for nothing, and the next wait finds the
    /// slot ready. [`cancel`](Self::cancel) gives the slot back.
    #[cfg(feature = "async")]
    pub(crate) fn poll_wait<R>(
        &self,
        task: &mut TaskWait,
        cx: &mut Context<'_>,
        mut attempt: impl FnMut() -> Option<R>,
    ) -> Poll<R> {
        if let Some(done) = attempt() {
            self.leave(task);
            return Poll::Ready(done);
        }
        if !self.arm_for(task, cx.waker()) {
            return Poll::Pending;
        }
        match attempt() {
            Some(done) => {
                self.leave(task);
                Poll::Ready(done)
            }
            None => Poll::Pending,
        }
    }

    /// The middle of [`poll_wait`](Self::poll_wait), for a caller whose attempt
    /// cannot be a closure (it needs `&mut` to the handle that owns `task`).
    ///
    /// The first [`TASK_YIELD_LIMIT`] times in a wait (since the task last
    /// left), it only wakes the task and returns false: the caller returns
    /// `Pending` at once, and the runtime polls the task again after the others
    /// that are ready, which often make the condition true (the other end of a
    /// ping-pong on the same runtime, a producer thread that is mid-burst).
    /// That is the task's spin: a trip through the run queue instead of the
    /// heavy barrier's system call now and a wake-up later. From then on it
    /// stores the waker, arms the word, runs the heavy barrier and returns true;
    /// the caller then tries once more, returns `Pending` if that fails, and
    /// calls [`leave`](Self::leave) whenever it returns `Ready`.
    #[cfg(feature = "async")]
    pub(crate) fn arm_for(&self, task: &mut TaskWait, waker: &Waker) -> bool {
        if task.yields < TASK_YIELD_LIMIT {
            task.yields += 1;
            waker.wake_by_ref();
            return false;
        }
        self.register(task, waker);
        self.arm_task(task);
        heavy_barrier();
        true
    }

    /// Stores `waker` in the task's slot (taking a slot first if it has none),
    /// unless the waker there already wakes the same task.
    #[cfg(feature = "async")]
    fn register(&self, task: &mut TaskWait, waker: &Waker) {
        let old = {
            let mut cold = self.lock();
            let slot = match task.slot {
                Some(slot) => slot,
                None => {
                    let slot = match cold.free.pop() {
                        Some(slot) => slot,
                        None => {
                            cold.tasks.push(None);
                            let want = cold.tasks.len() - cold.free.len();
                            cold.free.reserve(want);
                            cold.tasks.len() - 1
                        }
                    };
                    task.slot = Some(slot);
                    slot
                }
            };
            match &cold.tasks[slot] {
                Some(there) if there.will_wake(waker) => None,
                _ => cold.tasks[slot].replace(waker.clone()),
            }
        };
        // Dropped outside the lock (see the module docs).
        drop(old);
    }

    /// Arms the word for a task, as `arm` does for a thread, unless the word is
    /// still exactly what the task's own last arming left: then its parked bit
    /// is still set and still its own, and the heavy barrier that follows orders
    /// that earlier arming as well as a new one.
    #[cfg(feature = "async")]
    fn arm_task(&self, task: &mut TaskWait) {
        if let Some(key) = task.mine {
            // ORDERING: Relaxed; the word guards no data. If it still equals
            // `key`, our earlier arming is the newest write to it, and the heavy
            // barrier in `poll_wait` orders that write before the re-check.
            if self.futex.word().load(Ordering::Relaxed) == key {
                return;
            }
        }
        let key = self.arm(false);
        task.mine = (key & SHARED == 0).then_some(key);
    }

    /// The task stops waiting for now: it takes back the parked bit it owns
    /// alone, as a thread that leaves does.
    #[cfg(feature = "async")]
    #[inline]
    pub(crate) fn leave(&self, task: &mut TaskWait) {
        task.yields = 0;
        if let Some(key) = task.mine.take() {
            self.disarm(key);
        }
    }

    /// The task stops waiting for good: it leaves, and gives its slot back (the
    /// waker in it is dropped outside the lock).
    #[cfg(feature = "async")]
    pub(crate) fn cancel(&self, task: &mut TaskWait) {
        self.leave(task);
        if let Some(slot) = task.slot.take() {
            let old = {
                let mut cold = self.lock();
                // Never allocates: `free` has room for every slot.
                cold.free.push(slot);
                cold.tasks[slot].take()
            };
            drop(old);
        }
    }

    /// Waits, once, on this cell as the doorbell of `sources` (each of which has
    /// this cell attached) until `ready()`, a wake-up or `deadline` (a timer, for
    /// the dispatcher's retries: reaching it is a spurious return). Returns without sleeping if
    /// `ready()` is true after the arming, or if a source cell was woken since it
    /// was armed. Spurious returns are possible: the caller re-polls and loops.
    ///
    /// `keys` is scratch space (kept by the caller so parking does not allocate).
    ///
    /// Why nothing is lost: a notifier N stores its condition, runs the light
    /// barrier and loads its source word; we arm every source word and the
    /// doorbell (read-modify-writes), run the heavy barrier, then re-check. If our re-check misses N's
    /// store, the barrier pair makes N's load see our arm (or later), so N, or an
    /// earlier notifier that cleared our bit, takes the cold path and notifies the
    /// doorbell. That notify either sees the doorbell armed (it bumps the doorbell's
    /// epoch, so our futex wait returns or is woken), or it ran its light barrier
    /// before our heavy one, and then our `changed_since` check sees the source
    /// word's epoch bump and we do not sleep.
    ///
    /// Taking our bits back on the way out is safe for the reason given at
    /// `disarm`, and because the dispatcher does not rely on them afterwards: a
    /// notifier whose load our take-back made miss the bit had stored its
    /// condition before that load, and the next `park_any` arms afresh (a
    /// read-modify-write later in the word's order than the value that notifier
    /// read) and runs the heavy barrier before its re-check, which therefore sees
    /// the condition.
    pub(crate) fn park_any<'a>(
        &self,
        sources: impl Iterator<Item = &'a WaitCell> + Clone,
        keys: &mut Vec<u32>,
        deadline: Option<Instant>,
        ready: impl FnOnce() -> bool,
    ) {
        keys.clear();
        keys.extend(sources.clone().map(|c| c.arm(false)));
        let key = self.arm(true);
        heavy_barrier();
        if !ready()
            && !sources
                .clone()
                .zip(keys.iter())
                .any(|(c, &k)| c.changed_since(k))
        {
            self.futex.wait(key, deadline);
        }
        // Whatever woke us (or kept us awake), nobody is asleep on the bits we own
        // alone: the dispatcher re-polls every source before it parks again.
        self.disarm(key);
        for (c, &k) in sources.zip(keys.iter()) {
            c.disarm(k);
        }
    }

    /// Blocks until `ready()` returns true (`wait_until` without a deadline).
    #[inline]
    pub(crate) fn wait(&self, ready: impl FnMut() -> bool) {
        self.wait_until(None, ready);
    }

    /// Blocks until `ready()` returns true or `deadline` passes. Returns the last
    /// value of `ready()`: false only on timeout.
    ///
    /// `ready` must read the state through the structure's own acquire loads; it is
    /// called again after every wake-up, spurious or not.
    pub(crate) fn wait_until(
        &self,
        deadline: Option<Instant>,
        mut ready: impl FnMut() -> bool,
    ) -> bool {
        if spin_until_ready(deadline, &mut ready) {
            return true;
        }
        for _ in 0..YIELD_LIMIT {
            if ready() {
                return true;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
            yield_now();
        }
        // The word left by our last arming that set the parked bit (owned alone
        // while the word stays equal to it); `disarm` takes the bit back.
        let mut mine: Option<u32> = None;
        let leave = |mine: Option<u32>, result: bool| {
            if let Some(key) = mine {
                self.disarm(key);
            }
            result
        };
        loop {
            if ready() {
                return leave(mine, true);
            }
            if let Some(d) = deadline {
                if Instant::now() >= d {
                    return leave(mine, false);
                }
            }
            // ORDERING: Relaxed; the word guards no data (see wake_slow).
            let seen = self.futex.word().load(Ordering::Relaxed);
            let key = if seen & PARKED == 0 {
                seen | PARKED | SLEEPER
            } else if seen & SHARED == 0 && mine != Some(seen) {
                // Somebody else's parked bit: mark it shared before relying on it,
                // so that its owner does not take it back (see `disarm`).
                seen | SHARED | SLEEPER
            } else {
                // Our own parked bit, or a shared one: armed for us once the
                // sleeper bit is set (a task's or a dispatcher's arming leaves
                // it clear).
                seen | SLEEPER
            };
            if key != seen {
                // ORDERING: Relaxed; the heavy barrier below orders this store
                // before the re-check of the condition ([wait.heavy]).
                if self
                    .futex
                    .word()
                    .compare_exchange(seen, key, Ordering::Relaxed, Ordering::Relaxed)
                    .is_err()
                {
                    continue;
                }
                if seen & PARKED == 0 {
                    mine = Some(key);
                }
            }
            heavy_barrier();
            if ready() {
                return leave(mine, true);
            }
            self.futex.wait(key, deadline);
        }
    }

    /// The futex word, for tests of the parked bit.
    #[cfg(test)]
    fn word(&self) -> u32 {
        // ORDERING: Relaxed; single-threaded tests.
        self.futex.word().load(Ordering::Relaxed)
    }
}

impl Default for WaitCell {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::prelude::rust_2021::*;
    use std::time::Duration;

    /// A condition that becomes true exactly when the cell is armed: the waiter's
    /// re-check after arming finds it true, and the waiter takes its bit back, so
    /// the next notify stays on the hot path.
    #[test]
    fn a_wait_whose_condition_came_true_while_arming_leaves_no_parked_bit() {
        let cell = WaitCell::new();
        let mut checks = 0;
        assert!(cell.wait_until(None, || {
            checks += 1;
            cell.word() & PARKED != 0
        }));
        assert!(checks > 1, "the waiter never armed");
        assert_eq!(cell.word(), 0, "parked bit left set, epoch unchanged");
        cell.notify();
        assert_eq!(
            cell.word(),
            0,
            "a notify with nobody parked took the cold path"
        );
    }

    #[test]
    fn a_timed_out_wait_leaves_no_parked_bit() {
        let cell = WaitCell::with_epoch(7);
        let deadline = Instant::now() + Duration::from_millis(1);
        assert!(!cell.wait_until(Some(deadline), || false));
        assert_eq!(cell.word(), 7 * EPOCH);
    }

    /// A waiter that finds somebody else's parked bit marks it shared and never
    /// clears it: the other waiter may be asleep on it. The next notify clears
    /// both bits and moves the epoch on.
    #[test]
    fn a_parked_bit_found_set_is_shared_not_taken_back() {
        let cell = WaitCell::new();
        let other = cell.arm(true); // another thread, asleep on `other`
        assert_eq!(other, PARKED | SLEEPER);
        assert!(cell.wait_until(None, || cell.word() & SHARED != 0));
        assert_eq!(cell.word(), PARKED | SHARED | SLEEPER);
        // The other waiter leaving cannot clear it either.
        cell.disarm(other);
        assert_eq!(cell.word(), PARKED | SHARED | SLEEPER);
        cell.notify();
        assert_eq!(cell.word(), EPOCH);
    }

    /// After `park_any` returns, the bits it owns alone are clear again, on the
    /// sources and on the doorbell; a bit it shared with another waiter stays.
    #[test]
    fn park_any_takes_back_the_bits_it_owns() {
        let (a, b, bell) = (WaitCell::new(), WaitCell::new(), WaitCell::new());
        let other = b.arm(true); // another thread parked on `b`
        let mut keys = Vec::new();
        bell.park_any([&a, &b].into_iter(), &mut keys, None, || true);
        // The dispatcher sleeps on the doorbell, not on the sources: its arming
        // of a source sets no sleeper bit of its own.
        assert_eq!(keys, [PARKED, PARKED | SHARED | SLEEPER]);
        let shared = PARKED | SHARED | SLEEPER;
        assert_eq!((a.word(), b.word(), bell.word()), (0, shared, 0));
        b.disarm(other);
        assert_eq!(b.word(), shared);
    }

    /// A thread that finds the parked bit set by an arming that will not sleep
    /// on the futex (a task's, a dispatcher's) still sets the sleeper bit, so the
    /// next notify makes the system call that wakes it.
    #[test]
    fn a_thread_sets_the_sleeper_bit_on_a_word_a_task_armed() {
        let cell = WaitCell::new();
        let task = cell.arm(false);
        assert_eq!(task, PARKED);
        assert!(cell.wait_until(None, || cell.word() & SLEEPER != 0));
        assert_eq!(cell.word(), PARKED | SHARED | SLEEPER);
        cell.notify();
        assert_eq!(cell.word(), EPOCH);
    }
}
