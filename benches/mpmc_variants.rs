//! Experiment-only MPMC variants (issue #3): the alternatives the fastest C++
//! queues use, measured against the shipped `ringkit::mpmc::Queue` and
//! crossbeam-queue's `ArrayQueue` in the same run, alternated. Nothing here is
//! part of the crate; each variant does only what the workloads need (u64 items,
//! power-of-two capacity, positions as plain `u64` counters).
//!
//! * `vyukov copy`: the shipped algorithm (per-slot stamps, compare-exchange on
//!   head/tail) re-implemented the way the variants are, with 16-byte slots. The
//!   control: it tells how much of a variant's difference is the idea and how much
//!   is this file's simpler position arithmetic.
//! * `vyukov pad64` / `vyukov pad128`: the same, each slot alone on a 64-byte line
//!   (or a 128-byte pair, against the adjacent-line prefetcher).
//! * `vyukov remap`: the same, 16-byte slots, but position `p` uses slot
//!   `remap(p mod cap)`, which swaps index bits 0..2 with bits 2..4 (atomic_queue's
//!   shuffle for 4 slots per 64-byte line): 4 consecutive positions land on 4
//!   different lines.
//! * `vyukov plain-spin`: the same, but after a failed compare-exchange it spins
//!   on plain loads of head/tail (exponential, at most 127 spin hints) until the
//!   value moves past the one that beat it, and only then retries the
//!   read-modify-write.
//! * `vyukov slot-only (spurious)`: a diagnostic, not a candidate: try_pop
//!   says "empty" as soon as the slot at head is unwritten, without loading tail
//!   (try_push likewise without head), as rigtorp's try operations do. That breaks
//!   ringkit's "never fails spuriously" contract; it shows what the contract costs.
//!   `slot-only push side` / `pop side` do it on one side only, to tell which
//!   verdict costs.
//! * `vyukov slot-wait N` (N = 1, 2, 8, 64): keeps the contract: where the copy
//!   would load the other side's index to tell "empty/full" from "in progress",
//!   it first re-reads the slot's stamp up to N times with a spin hint in between
//!   (plain loads of the line the other side writes anyway), and loads the index
//!   only if the stamp did not move. A try op on a really empty/full queue then
//!   takes N spin hints longer (the third workload measures that).
//! * `vyukov copy, waits on slot` (2P2C only): the copy's try ops, contract
//!   kept, but the wait between tries watches the slot at head/tail, not the
//!   other side's index.
//! * `tickets`: folly `MPMCQueue` / rigtorp `MPMCQueue`: head and tail advanced by
//!   `fetch_add` (one ticket per operation, never retried), each slot has a turn
//!   (`2 * lap` = free for the push of that lap, `2 * lap + 1` = full for its pop).
//!   Blocking push/pop wait for their turn with `Backoff::snooze` (spin, then
//!   `thread::yield_now`). In 1P1C it runs twice: through rigtorp's `try_push` /
//!   `try_pop` (check the turn at the ticket, then compare-exchange), and through
//!   its blocking fetch-add operations (which never fail, so the workload's retry
//!   loop never runs). Packed (16-byte) and 64-byte-padded slots.
//!
//! Workloads (`benches/common/mpmc.rs`): `one_to_one` (1P1C, try + spin, pinned)
//! and `two_to_two_blocking` (2P2C, 4 threads on 2 cores). In 2P2C the variants
//! without a parking wait retry their try operations with `Backoff::snooze`, as the
//! `ArrayQueue` adapter does; the shipped queue runs both ways: `ringkit channel`
//! (futex parking, what ships) and `ringkit Queue snooze` (same wait as the others).
//! A third, one-thread workload times failing try ops (pop on empty, push on full).
//!
//! Knobs: `RINGKIT_BENCH_REPS` (default 15), `RINGKIT_VARIANTS_1P1C_ITEMS`
//! (default 2M), `RINGKIT_VARIANTS_2P2C_ITEMS` (default 8M: with 400k items the
//! fastest variants finished within a time slice and the calling thread, which
//! starts the clock and shares core 0 with two workers, probably started it late
//! at times: maxima up to 390,000 M items/s). `cargo bench --bench mpmc_variants --
//! --test` runs everything once, tiny, recording nothing. Results go to
//! `target/ringkit-bench/results.jsonl` with source `variants` (the plot script
//! reads source `bench` by default).

mod common;

use common::mpmc::{
    self as w, snooze_pop, snooze_push, ArrayQueue, MpmcBlocking, MpmcTry, Ringkit,
};
use common::{alternate, record, Contestant, Kind, Outcome, Summary};
use crossbeam_utils::{Backoff, CachePadded};
use std::cell::UnsafeCell;
use std::hint::spin_loop;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

// ---------------------------------------------------------------------------
// Slots: a stamp (Vyukov) or turn (tickets) and a u64 value.

trait Slot: Send + 'static {
    fn new(stamp: u64) -> Self;
    fn stamp(&self) -> &AtomicU64;
    fn value(&self) -> *mut u64;
}

/// 16 bytes: four slots share a 64-byte line.
#[repr(C)]
struct Packed {
    stamp: AtomicU64,
    value: UnsafeCell<u64>,
}

/// One slot per 64-byte line.
#[repr(C, align(64))]
struct Line64(Packed);

/// One slot per 128-byte pair of lines.
#[repr(C, align(128))]
struct Line128(Packed);

impl Slot for Packed {
    fn new(stamp: u64) -> Self {
        Packed {
            stamp: AtomicU64::new(stamp),
            value: UnsafeCell::new(0),
        }
    }
    #[inline(always)]
    fn stamp(&self) -> &AtomicU64 {
        &self.stamp
    }
    #[inline(always)]
    fn value(&self) -> *mut u64 {
        self.value.get()
    }
}

macro_rules! padded_slot {
    ($t:ident) => {
        impl Slot for $t {
            fn new(stamp: u64) -> Self {
                $t(Packed::new(stamp))
            }
            #[inline(always)]
            fn stamp(&self) -> &AtomicU64 {
                &self.0.stamp
            }
            #[inline(always)]
            fn value(&self) -> *mut u64 {
                self.0.value.get()
            }
        }
    };
}
padded_slot!(Line64);
padded_slot!(Line128);

// ---------------------------------------------------------------------------
// Vyukov's bounded queue, parameterized by slot layout, index shuffle and what a
// failed compare-exchange does.

/// Position `p` (a plain counter) uses slot `remap(p & mask)`. Slot stamps:
/// `p` = free for the push at `p`, `p + 1` = holds its item, `p + cap` = free for
/// the next lap. `SLOT_ONLY` (a diagnostic, not a candidate; bits `PUSH_SIDE`,
/// `POP_SIDE`) gives up as soon as the slot is not ready, without loading the
/// other side's index, as rigtorp's try operations do: it may fail spuriously
/// while an operation is in progress.
const PUSH_SIDE: u8 = 1;
const POP_SIDE: u8 = 2;

struct Vyukov<
    S,
    const SHUFFLE: u32,
    const PLAIN_SPIN: bool,
    const SLOT_ONLY: u8,
    const SLOT_WAIT: u32,
> {
    head: CachePadded<AtomicU64>,
    tail: CachePadded<AtomicU64>,
    mask: u64,
    buf: Box<[S]>,
}

// SAFETY: u64 items; a slot's value is touched only by the thread that claimed its
// position by compare-exchange, and the stamp's release/acquire pairs hand it on.
unsafe impl<S: Slot, const B: u32, const P: bool, const O: u8, const W: u32> Sync
    for Vyukov<S, B, P, O, W>
{
}

impl<
        S: Slot,
        const SHUFFLE: u32,
        const PLAIN_SPIN: bool,
        const SLOT_ONLY: u8,
        const SLOT_WAIT: u32,
    > Vyukov<S, SHUFFLE, PLAIN_SPIN, SLOT_ONLY, SLOT_WAIT>
{
    fn new(capacity: usize) -> Self {
        assert!(capacity.is_power_of_two() && capacity >= 1 << (2 * SHUFFLE));
        // remap is an involution (a bit swap): slot j serves first-lap position
        // remap(j), so that is its first stamp.
        let buf = (0..capacity as u64)
            .map(|j| S::new(Self::remap(j)))
            .collect();
        Vyukov {
            head: CachePadded::new(AtomicU64::new(0)),
            tail: CachePadded::new(AtomicU64::new(0)),
            mask: capacity as u64 - 1,
            buf,
        }
    }

    /// Swaps index bits `0..SHUFFLE` with bits `SHUFFLE..2 * SHUFFLE`.
    #[inline(always)]
    fn remap(i: u64) -> u64 {
        if SHUFFLE == 0 {
            return i;
        }
        let low = (1u64 << SHUFFLE) - 1;
        let mix = (i ^ (i >> SHUFFLE)) & low;
        i ^ mix ^ (mix << SHUFFLE)
    }

    #[inline(always)]
    fn slot(&self, pos: u64) -> &S {
        &self.buf[Self::remap(pos & self.mask) as usize]
    }

    /// After a compare-exchange on `pos` lost to the value `seen`: the plain-spin
    /// variant spins on plain loads until `pos` moves past `seen` (bounded), the
    /// others take `seen` as it is. Returns the position to retry from.
    #[inline(always)]
    fn after_lost_cas(pos: &AtomicU64, seen: u64) -> u64 {
        if !PLAIN_SPIN {
            return seen;
        }
        // Exponential, bounded: 1 + 2 + ... + 64 spin hints at most (the other
        // thread may be parked or done, and then `pos` never moves).
        let mut now = seen;
        for step in 0..7 {
            for _ in 0..1u32 << step {
                spin_loop();
            }
            // ORDERING: Acquire, as the loads at the top of try_push/try_pop.
            now = pos.load(Ordering::Acquire);
            if now != seen {
                break;
            }
        }
        now
    }

    /// The slot-wait variant: before loading the other side's index to tell
    /// "full/empty" from "in progress", spins up to `SLOT_WAIT` hints on the
    /// slot's stamp alone. True if the stamp moved (retry from the top).
    #[inline(always)]
    fn slot_moved(slot: &S, seen: u64) -> bool {
        for _ in 0..SLOT_WAIT {
            spin_loop();
            // ORDERING: Relaxed: only a trigger; the retry reloads it with Acquire.
            if slot.stamp().load(Ordering::Relaxed) != seen {
                return true;
            }
        }
        false
    }

    #[inline]
    fn try_push(&self, v: u64) -> bool {
        // ORDERING: Acquire (as the shipped queue): pops that led to this tail
        // happen before the head load below, so "full" is not spurious.
        let mut tail = self.tail.load(Ordering::Acquire);
        loop {
            let slot = self.slot(tail);
            // ORDERING: Acquire pairs with the pop's Release stamp store: its read
            // of the slot happens before our write.
            let stamp = slot.stamp().load(Ordering::Acquire);
            if stamp == tail {
                // ORDERING: Release/Acquire as the shipped queue; the stamp load
                // handed the slot over.
                match self.tail.compare_exchange_weak(
                    tail,
                    tail.wrapping_add(1),
                    Ordering::Release,
                    Ordering::Acquire,
                ) {
                    Ok(_) => {
                        // SAFETY: we claimed `tail`; its slot is empty and ours
                        // until the stamp store below.
                        unsafe { slot.value().write(v) };
                        // ORDERING: Release pairs with the pop's Acquire stamp load.
                        slot.stamp().store(tail.wrapping_add(1), Ordering::Release);
                        return true;
                    }
                    Err(t) => tail = Self::after_lost_cas(&self.tail, t),
                }
                continue;
            }
            if stamp.wrapping_add(self.mask + 1) == tail.wrapping_add(1) {
                // The previous lap's item is still here.
                if SLOT_ONLY & PUSH_SIDE != 0 {
                    return false;
                }
                if Self::slot_moved(slot, stamp) {
                    // ORDERING: Acquire, as at the top.
                    tail = self.tail.load(Ordering::Acquire);
                    continue;
                }
                // ORDERING: Relaxed: compared with positions only.
                let head = self.head.load(Ordering::Relaxed);
                if head.wrapping_add(self.mask + 1) == tail {
                    return false;
                }
                // Else its pop has claimed it and is still reading: wait.
            }
            spin_loop();
            // ORDERING: Acquire, as at the top.
            tail = self.tail.load(Ordering::Acquire);
        }
    }

    #[inline]
    fn try_pop(&self) -> Option<u64> {
        // ORDERING: Acquire (as the shipped queue): "empty" is not spurious.
        let mut head = self.head.load(Ordering::Acquire);
        loop {
            let slot = self.slot(head);
            // ORDERING: Acquire pairs with the push's Release stamp store.
            let stamp = slot.stamp().load(Ordering::Acquire);
            if stamp == head.wrapping_add(1) {
                // ORDERING: Release/Acquire as the shipped queue.
                match self.head.compare_exchange_weak(
                    head,
                    head.wrapping_add(1),
                    Ordering::Release,
                    Ordering::Acquire,
                ) {
                    Ok(_) => {
                        // SAFETY: we claimed `head`; its slot holds the item pushed
                        // there and is ours until the stamp store below.
                        let v = unsafe { slot.value().read() };
                        // ORDERING: Release pairs with the next lap's push.
                        slot.stamp()
                            .store(head.wrapping_add(self.mask + 1), Ordering::Release);
                        return Some(v);
                    }
                    Err(h) => head = Self::after_lost_cas(&self.head, h),
                }
                continue;
            }
            if stamp == head {
                if SLOT_ONLY & POP_SIDE != 0 {
                    return None;
                }
                if Self::slot_moved(slot, stamp) {
                    // ORDERING: Acquire, as at the top.
                    head = self.head.load(Ordering::Acquire);
                    continue;
                }
                // ORDERING: Relaxed: compared with positions only.
                let tail = self.tail.load(Ordering::Relaxed);
                if tail == head {
                    return None;
                }
                // Else a push has claimed `head` and is still writing: wait.
            }
            spin_loop();
            // ORDERING: Acquire, as at the top.
            head = self.head.load(Ordering::Acquire);
        }
    }
}

// ---------------------------------------------------------------------------
// Tickets and turns (folly MPMCQueue, rigtorp MPMCQueue).

/// Ticket `t` uses slot `t & mask` on lap `t >> shift`; the slot's turn is
/// `2 * lap` while free for that lap's push, `2 * lap + 1` while full for its pop.
struct Tickets<S> {
    push_ticket: CachePadded<AtomicU64>,
    pop_ticket: CachePadded<AtomicU64>,
    mask: u64,
    shift: u32,
    buf: Box<[S]>,
}

// SAFETY: u64 items; a slot's value is touched only by the holder of the ticket
// whose turn it is, and the turn's release/acquire pairs hand it on.
unsafe impl<S: Slot> Sync for Tickets<S> {}

impl<S: Slot> Tickets<S> {
    fn new(capacity: usize) -> Self {
        assert!(capacity.is_power_of_two());
        Tickets {
            push_ticket: CachePadded::new(AtomicU64::new(0)),
            pop_ticket: CachePadded::new(AtomicU64::new(0)),
            mask: capacity as u64 - 1,
            shift: capacity.trailing_zeros(),
            buf: (0..capacity).map(|_| S::new(0)).collect(),
        }
    }

    #[inline(always)]
    fn slot(&self, t: u64) -> &S {
        &self.buf[(t & self.mask) as usize]
    }

    #[inline(always)]
    fn wait_turn(turn: &AtomicU64, want: u64) {
        let backoff = Backoff::new();
        // ORDERING: Acquire pairs with the previous holder's Release turn store:
        // its access to the slot happens before ours.
        while turn.load(Ordering::Acquire) != want {
            backoff.snooze();
        }
    }

    /// Blocking: takes a ticket (never given back), waits for the slot's turn.
    #[inline]
    fn push(&self, v: u64) {
        // ORDERING: Relaxed: the ticket only picks the slot; the turn hands it over.
        let t = self.push_ticket.fetch_add(1, Ordering::Relaxed);
        let slot = self.slot(t);
        let want = 2 * (t >> self.shift);
        Self::wait_turn(slot.stamp(), want);
        // SAFETY: ticket `t` is ours alone and its turn has come: the slot is empty.
        unsafe { slot.value().write(v) };
        // ORDERING: Release pairs with the pop's Acquire turn load.
        slot.stamp().store(want + 1, Ordering::Release);
    }

    /// Blocking pop, as `push`.
    #[inline]
    fn pop(&self) -> u64 {
        // ORDERING: Relaxed, as in push.
        let t = self.pop_ticket.fetch_add(1, Ordering::Relaxed);
        let slot = self.slot(t);
        let want = 2 * (t >> self.shift) + 1;
        Self::wait_turn(slot.stamp(), want);
        // SAFETY: ticket `t` is ours alone and its turn has come: the slot is full.
        let v = unsafe { slot.value().read() };
        // ORDERING: Release pairs with the next lap's push.
        slot.stamp().store(want + 1, Ordering::Release);
        v
    }

    /// rigtorp's try_push: claim the ticket only if its slot's turn has come.
    /// Fails (also spuriously: a pop holding the slot's ticket that has not
    /// finished reading looks "full") when the slot is not ready and the ticket
    /// did not move.
    #[inline]
    fn try_push(&self, v: u64) -> bool {
        // ORDERING: Relaxed: the turn load below does the handing over.
        let mut t = self.push_ticket.load(Ordering::Relaxed);
        loop {
            let slot = self.slot(t);
            let want = 2 * (t >> self.shift);
            // ORDERING: Acquire pairs with the pop's Release turn store.
            if slot.stamp().load(Ordering::Acquire) == want {
                // ORDERING: Relaxed: winning ticket `t` while its turn is `want`
                // makes the slot ours; the turn load above synchronized.
                match self.push_ticket.compare_exchange_weak(
                    t,
                    t + 1,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: we hold ticket `t` and its turn has come.
                        unsafe { slot.value().write(v) };
                        // ORDERING: Release pairs with the pop's Acquire turn load.
                        slot.stamp().store(want + 1, Ordering::Release);
                        return true;
                    }
                    Err(now) => t = now,
                }
            } else {
                let prev = t;
                // ORDERING: Relaxed, as at the top.
                t = self.push_ticket.load(Ordering::Relaxed);
                if t == prev {
                    return false;
                }
            }
        }
    }

    /// rigtorp's try_pop, as `try_push` (an item still being written looks
    /// "empty").
    #[inline]
    fn try_pop(&self) -> Option<u64> {
        // ORDERING: Relaxed, as in try_push.
        let mut t = self.pop_ticket.load(Ordering::Relaxed);
        loop {
            let slot = self.slot(t);
            let want = 2 * (t >> self.shift) + 1;
            // ORDERING: Acquire pairs with the push's Release turn store.
            if slot.stamp().load(Ordering::Acquire) == want {
                // ORDERING: Relaxed, as in try_push.
                match self.pop_ticket.compare_exchange_weak(
                    t,
                    t + 1,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: we hold ticket `t` and its turn has come.
                        let v = unsafe { slot.value().read() };
                        // ORDERING: Release pairs with the next lap's push.
                        slot.stamp().store(want + 1, Ordering::Release);
                        return Some(v);
                    }
                    Err(now) => t = now,
                }
            } else {
                let prev = t;
                // ORDERING: Relaxed, as at the top.
                t = self.pop_ticket.load(Ordering::Relaxed);
                if t == prev {
                    return None;
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Adapters to the workloads' traits.

/// A queue with try operations.
trait TryQueue: Send + Sync + 'static {
    fn with_capacity(capacity: usize) -> Self;
    fn try_push(&self, v: u64) -> bool;
    fn try_pop(&self) -> Option<u64>;
}

impl<S: Slot, const B: u32, const P: bool, const O: u8, const W: u32> TryQueue
    for Vyukov<S, B, P, O, W>
{
    fn with_capacity(capacity: usize) -> Self {
        Self::new(capacity)
    }
    #[inline(always)]
    fn try_push(&self, v: u64) -> bool {
        Vyukov::try_push(self, v)
    }
    #[inline(always)]
    fn try_pop(&self) -> Option<u64> {
        Vyukov::try_pop(self)
    }
}

impl<S: Slot> TryQueue for Tickets<S> {
    fn with_capacity(capacity: usize) -> Self {
        Self::new(capacity)
    }
    #[inline(always)]
    fn try_push(&self, v: u64) -> bool {
        Tickets::try_push(self, v)
    }
    #[inline(always)]
    fn try_pop(&self) -> Option<u64> {
        Tickets::try_pop(self)
    }
}

/// The shipped queue's try operations (for the 2P2C spin-then-yield wait).
impl TryQueue for ringkit::mpmc::Queue<u64> {
    fn with_capacity(capacity: usize) -> Self {
        Self::new(capacity)
    }
    #[inline(always)]
    fn try_push(&self, v: u64) -> bool {
        ringkit::mpmc::Queue::try_push(self, v).is_ok()
    }
    #[inline(always)]
    fn try_pop(&self) -> Option<u64> {
        ringkit::mpmc::Queue::try_pop(self)
    }
}

impl TryQueue for crossbeam_queue::ArrayQueue<u64> {
    fn with_capacity(capacity: usize) -> Self {
        Self::new(capacity)
    }
    #[inline(always)]
    fn try_push(&self, v: u64) -> bool {
        self.push(v).is_ok()
    }
    #[inline(always)]
    fn try_pop(&self) -> Option<u64> {
        self.pop()
    }
}

/// A `TryQueue` in the workloads: its try operations for 1P1C; for 2P2C, the
/// try operations retried with `Backoff::snooze` (as the ArrayQueue adapter).
struct ViaTry<Q>(PhantomData<Q>);

impl<Q: TryQueue> MpmcTry for ViaTry<Q> {
    type Tx = Arc<Q>;
    type Rx = Arc<Q>;
    fn make(capacity: usize) -> (Self::Tx, Self::Rx) {
        let q = Arc::new(Q::with_capacity(capacity));
        (q.clone(), q)
    }
    #[inline(always)]
    fn try_push(tx: &Self::Tx, v: u64) -> bool {
        tx.try_push(v)
    }
    #[inline(always)]
    fn try_pop(rx: &Self::Rx) -> Option<u64> {
        rx.try_pop()
    }
}

impl<Q: TryQueue> MpmcBlocking for ViaTry<Q> {
    type Tx = Arc<Q>;
    type Rx = Arc<Q>;
    fn make(capacity: usize) -> (Self::Tx, Self::Rx) {
        <Self as MpmcTry>::make(capacity)
    }
    #[inline(always)]
    fn push(tx: &Self::Tx, v: u64) {
        snooze_push::<Self>(tx, v)
    }
    #[inline(always)]
    fn pop(rx: &Self::Rx) -> u64 {
        snooze_pop::<Self>(rx)
    }
}

/// The copy's try operations (contract kept) in 2P2C, but between tries the wait
/// watches the slot at head (pop) or tail (push) instead of calling the try op
/// again, so a waiting consumer never loads tail and a waiting producer never
/// loads head; still `Backoff::snooze`. This is the change a blocking channel could
/// make in its wait condition without touching the try operations.
struct WaitOnSlot<Q>(PhantomData<Q>);

impl<S: Slot, const B: u32, const P: bool, const O: u8, const W: u32> MpmcBlocking
    for WaitOnSlot<Vyukov<S, B, P, O, W>>
{
    type Tx = Arc<Vyukov<S, B, P, O, W>>;
    type Rx = Arc<Vyukov<S, B, P, O, W>>;
    fn make(capacity: usize) -> (Self::Tx, Self::Rx) {
        let q = Arc::new(Vyukov::new(capacity));
        (q.clone(), q)
    }
    #[inline(always)]
    fn push(tx: &Self::Tx, v: u64) {
        let backoff = Backoff::new();
        while !tx.try_push(v) {
            // Full (or looked it): wait until the slot at tail is free.
            loop {
                // ORDERING: Relaxed (both): a trigger; try_push reloads with Acquire.
                let t = tx.tail.load(Ordering::Relaxed);
                if tx.slot(t).stamp().load(Ordering::Relaxed) == t {
                    break;
                }
                backoff.snooze();
            }
        }
    }
    #[inline(always)]
    fn pop(rx: &Self::Rx) -> u64 {
        let backoff = Backoff::new();
        loop {
            if let Some(v) = rx.try_pop() {
                return v;
            }
            // Empty: wait until the slot at head holds an item.
            loop {
                // ORDERING: Relaxed (both): a trigger; try_pop reloads with Acquire.
                let h = rx.head.load(Ordering::Relaxed);
                if rx.slot(h).stamp().load(Ordering::Relaxed) == h.wrapping_add(1) {
                    break;
                }
                backoff.snooze();
            }
        }
    }
}

/// Tickets through their blocking fetch-add operations, in both workloads (in
/// 1P1C the "try" operations never fail: they wait inside).
struct TicketOps<S>(PhantomData<S>);

impl<S: Slot> MpmcBlocking for TicketOps<S> {
    type Tx = Arc<Tickets<S>>;
    type Rx = Arc<Tickets<S>>;
    fn make(capacity: usize) -> (Self::Tx, Self::Rx) {
        let q = Arc::new(Tickets::new(capacity));
        (q.clone(), q)
    }
    #[inline(always)]
    fn push(tx: &Self::Tx, v: u64) {
        tx.push(v)
    }
    #[inline(always)]
    fn pop(rx: &Self::Rx) -> u64 {
        rx.pop()
    }
}

impl<S: Slot> MpmcTry for TicketOps<S> {
    type Tx = Arc<Tickets<S>>;
    type Rx = Arc<Tickets<S>>;
    fn make(capacity: usize) -> (Self::Tx, Self::Rx) {
        <Self as MpmcBlocking>::make(capacity)
    }
    #[inline(always)]
    fn try_push(tx: &Self::Tx, v: u64) -> bool {
        tx.push(v);
        true
    }
    #[inline(always)]
    fn try_pop(rx: &Self::Rx) -> Option<u64> {
        Some(rx.pop())
    }
}

type VyCopy = ViaTry<Vyukov<Packed, 0, false, 0, 0>>;
type VyPad64 = ViaTry<Vyukov<Line64, 0, false, 0, 0>>;
type VyPad128 = ViaTry<Vyukov<Line128, 0, false, 0, 0>>;
type VyRemap = ViaTry<Vyukov<Packed, 2, false, 0, 0>>;
type VyPlainSpin = ViaTry<Vyukov<Packed, 0, true, 0, 0>>;
type VySlotOnly = ViaTry<Vyukov<Packed, 0, false, 3, 0>>;
type VySlotOnlyPush = ViaTry<Vyukov<Packed, 0, false, PUSH_SIDE, 0>>;
type VySlotOnlyPop = ViaTry<Vyukov<Packed, 0, false, POP_SIDE, 0>>;
type VySlotWait1 = ViaTry<Vyukov<Packed, 0, false, 0, 1>>;
type VySlotWait2 = ViaTry<Vyukov<Packed, 0, false, 0, 2>>;
type VySlotWait8 = ViaTry<Vyukov<Packed, 0, false, 0, 8>>;
type VySlotWait = ViaTry<Vyukov<Packed, 0, false, 0, 64>>;
type VyWaitOnSlot = WaitOnSlot<Vyukov<Packed, 0, false, 0, 0>>;
type TkTry = ViaTry<Tickets<Packed>>;
type TkPacked = TicketOps<Packed>;
type TkPad64 = TicketOps<Line64>;
type ShippedSnooze = ViaTry<ringkit::mpmc::Queue<u64>>;

// ---------------------------------------------------------------------------
// The comparison.

const SHIPPED: &str = "ringkit Queue (shipped)";
const SHIPPED_SNOOZE: &str = "ringkit Queue snooze";
const CHANNEL: &str = "ringkit channel (shipped)";
const ARRAY_QUEUE: &str = "crossbeam ArrayQueue";

fn try_contestant<Q: MpmcTry>(name: &'static str, kind: Kind, n: u64) -> Contestant<'static> {
    Contestant::new(name, kind, move || w::mips(n, w::one_to_one::<Q>(n)))
}

/// 1P1C with a producer slowed by `work` rounds of mixing per item: the queue
/// runs near empty, so the consumer's side (a failing `try_pop`) is what differs.
fn slow_producer_contestant<Q: MpmcTry>(
    name: &'static str,
    kind: Kind,
    n: u64,
    work: u32,
) -> Contestant<'static> {
    Contestant::new(name, kind, move || {
        w::mips(n, w::one_to_one_with_work::<Q>(n, work))
    })
}

fn compare_slow_producer(reps: usize, n: u64, work: u32) -> Outcome {
    let mut cs = [
        slow_producer_contestant::<Ringkit>(SHIPPED, Kind::Ringkit, n, work),
        slow_producer_contestant::<ArrayQueue>(ARRAY_QUEUE, Kind::Peer, n, work),
        slow_producer_contestant::<VyCopy>("vyukov copy", Kind::Peer, n, work),
        slow_producer_contestant::<VySlotOnlyPop>("vyukov slot-only pop side", Kind::Peer, n, work),
        slow_producer_contestant::<VySlotWait1>("vyukov slot-wait 1", Kind::Peer, n, work),
        slow_producer_contestant::<VySlotWait2>("vyukov slot-wait 2", Kind::Peer, n, work),
    ];
    alternate(
        "MPMC variants 1P1C, producer slowed (queue near empty)",
        "M items/s",
        true,
        reps,
        &mut cs,
    )
}

fn blocking_contestant<Q: MpmcBlocking>(
    name: &'static str,
    kind: Kind,
    n: u64,
) -> Contestant<'static> {
    Contestant::new(name, kind, move || {
        w::mips(n, w::two_to_two_blocking::<Q>(n))
    })
}

fn compare_one_to_one(reps: usize, n: u64) -> Outcome {
    let mut cs = [
        try_contestant::<Ringkit>(SHIPPED, Kind::Ringkit, n),
        try_contestant::<ArrayQueue>(ARRAY_QUEUE, Kind::Peer, n),
        try_contestant::<VyCopy>("vyukov copy", Kind::Peer, n),
        try_contestant::<VyPad64>("vyukov pad64", Kind::Peer, n),
        try_contestant::<VyPad128>("vyukov pad128", Kind::Peer, n),
        try_contestant::<VyRemap>("vyukov remap", Kind::Peer, n),
        try_contestant::<VyPlainSpin>("vyukov plain-spin", Kind::Peer, n),
        try_contestant::<VySlotOnly>("vyukov slot-only (spurious)", Kind::Peer, n),
        try_contestant::<VySlotOnlyPush>("vyukov slot-only push side", Kind::Peer, n),
        try_contestant::<VySlotOnlyPop>("vyukov slot-only pop side", Kind::Peer, n),
        try_contestant::<VySlotWait1>("vyukov slot-wait 1", Kind::Peer, n),
        try_contestant::<VySlotWait2>("vyukov slot-wait 2", Kind::Peer, n),
        try_contestant::<VySlotWait8>("vyukov slot-wait 8", Kind::Peer, n),
        try_contestant::<VySlotWait>("vyukov slot-wait 64", Kind::Peer, n),
        try_contestant::<TkTry>("tickets try (CAS)", Kind::Peer, n),
        try_contestant::<TkPacked>("tickets fetch-add", Kind::Peer, n),
        try_contestant::<TkPad64>("tickets fetch-add pad64", Kind::Peer, n),
    ];
    alternate(
        "MPMC variants 1P1C try-and-spin",
        "M items/s",
        true,
        reps,
        &mut cs,
    )
}

fn compare_two_to_two(reps: usize, n: u64) -> Outcome {
    let mut cs = [
        blocking_contestant::<Ringkit>(CHANNEL, Kind::Ringkit, n),
        blocking_contestant::<ShippedSnooze>(SHIPPED_SNOOZE, Kind::Peer, n),
        blocking_contestant::<ArrayQueue>(ARRAY_QUEUE, Kind::Peer, n),
        blocking_contestant::<VyCopy>("vyukov copy", Kind::Peer, n),
        blocking_contestant::<VyPad64>("vyukov pad64", Kind::Peer, n),
        blocking_contestant::<VyPad128>("vyukov pad128", Kind::Peer, n),
        blocking_contestant::<VyRemap>("vyukov remap", Kind::Peer, n),
        blocking_contestant::<VyPlainSpin>("vyukov plain-spin", Kind::Peer, n),
        blocking_contestant::<VySlotOnly>("vyukov slot-only (spurious)", Kind::Peer, n),
        blocking_contestant::<VySlotWait1>("vyukov slot-wait 1", Kind::Peer, n),
        blocking_contestant::<VySlotWait2>("vyukov slot-wait 2", Kind::Peer, n),
        blocking_contestant::<VySlotWait8>("vyukov slot-wait 8", Kind::Peer, n),
        blocking_contestant::<VySlotWait>("vyukov slot-wait 64", Kind::Peer, n),
        blocking_contestant::<VyWaitOnSlot>("vyukov copy, waits on slot", Kind::Peer, n),
        blocking_contestant::<TkPacked>("tickets fetch-add", Kind::Peer, n),
        blocking_contestant::<TkPad64>("tickets fetch-add pad64", Kind::Peer, n),
    ];
    alternate(
        "MPMC variants 2P2C blocking, oversubscribed",
        "M items/s",
        true,
        reps,
        &mut cs,
    )
}

/// What a failing try op costs, one thread: `ops` try_pop on an empty queue, then
/// `ops` try_push on a full one; nanoseconds per failed op (the price the
/// slot-wait variants pay for their spin).
fn failing_try_cost<Q: TryQueue>(ops: u64) -> f64 {
    let q = Q::with_capacity(w::CAPACITY);
    let start = std::time::Instant::now();
    for _ in 0..ops {
        assert!(std::hint::black_box(&q).try_pop().is_none());
    }
    for i in 0..w::CAPACITY as u64 {
        assert!(q.try_push(i));
    }
    for i in 0..ops {
        assert!(!std::hint::black_box(&q).try_push(i));
    }
    start.elapsed().as_nanos() as f64 / (2 * ops) as f64
}

fn compare_failing_try(reps: usize, ops: u64) -> Outcome {
    fn c<Q: TryQueue>(name: &'static str, kind: Kind, ops: u64) -> Contestant<'static> {
        Contestant::new(name, kind, move || failing_try_cost::<Q>(ops))
    }
    let mut cs = [
        c::<ringkit::mpmc::Queue<u64>>(SHIPPED, Kind::Ringkit, ops),
        c::<crossbeam_queue::ArrayQueue<u64>>(ARRAY_QUEUE, Kind::Peer, ops),
        c::<Vyukov<Packed, 0, false, 0, 0>>("vyukov copy", Kind::Peer, ops),
        c::<Vyukov<Packed, 0, false, 0, 1>>("vyukov slot-wait 1", Kind::Peer, ops),
        c::<Vyukov<Packed, 0, false, 0, 2>>("vyukov slot-wait 2", Kind::Peer, ops),
        c::<Vyukov<Packed, 0, false, 0, 8>>("vyukov slot-wait 8", Kind::Peer, ops),
        c::<Vyukov<Packed, 0, false, 0, 64>>("vyukov slot-wait 64", Kind::Peer, ops),
    ];
    alternate(
        "MPMC variants failing try op (empty pop, full push), one thread",
        "ns/op",
        false,
        reps,
        &mut cs,
    )
}

/// `a` over `b`: the ratio of medians, and the median of the per-round ratios
/// (round `r` ran every contestant once, back to back, so pairing cancels some of
/// the machine's drift).
fn ratios(a: &Summary, b: &Summary) -> (f64, f64) {
    let paired: Vec<f64> = a
        .samples
        .iter()
        .zip(&b.samples)
        .map(|(x, y)| x / y)
        .collect();
    (a.median / b.median, common::median(&paired))
}

/// Prints the outcome with ratios against the named references: this row's value
/// over the reference's (above 1 is faster for M items/s, slower for ns/op).
fn print_with_ratios(o: &Outcome, refs: &[(&str, &str)]) {
    println!(
        "\n{} ({}, {}; median [min..max] of {} rounds, alternated; ratios are value / reference)",
        o.workload,
        o.unit,
        if o.higher_is_better {
            "higher is better"
        } else {
            "lower is better"
        },
        o.rows.first().map_or(0, |r| r.samples.len())
    );
    print!(
        "  {:<26} {:>8} {:>17}",
        "contestant", "median", "[min..max]"
    );
    for (_, label) in refs {
        print!("  {:>22}", format!("vs {label}"));
    }
    println!();
    let find = |name: &str| o.rows.iter().find(|r| r.name == name);
    for row in &o.rows {
        print!(
            "  {:<26} {:>8.2} {:>17}",
            row.name,
            row.median,
            format!("[{:.2}..{:.2}]", row.min, row.max)
        );
        for (r, _) in refs {
            match find(r) {
                Some(b) => {
                    let (m, p) = ratios(row, b);
                    print!("  {:>22}", format!("{m:.2} (paired {p:.2})"));
                }
                None => print!("  {:>22}", "-"),
            }
        }
        println!();
    }
}

fn main() {
    let mode = common::BenchMode::from_env();
    let test_mode = mode.test;
    let (reps, n_1p1c, n_2p2c) = if test_mode {
        (1, 10_000, 10_000)
    } else {
        // 2P2C is long enough (tens of ms even for the fastest) that the calling
        // thread, which shares core 0 with two workers and starts the clock after
        // the barrier, cannot lose a large part of a run to scheduling.
        (
            common::env_usize("RINGKIT_BENCH_REPS", 15),
            common::env_usize("RINGKIT_VARIANTS_1P1C_ITEMS", 2_000_000) as u64,
            common::env_usize("RINGKIT_VARIANTS_2P2C_ITEMS", 8_000_000) as u64,
        )
    };
    let m = common::Machine::describe();
    println!(
        "MPMC variants: {} cores, {}, load average {}, capacity {}",
        m.cores,
        m.cpu,
        m.load,
        w::CAPACITY
    );
    let o = compare_one_to_one(reps, n_1p1c);
    print_with_ratios(&o, &[(SHIPPED, "shipped"), (ARRAY_QUEUE, "ArrayQueue")]);
    if !test_mode {
        record("variants", &o);
    }
    let o = compare_two_to_two(reps, n_2p2c);
    print_with_ratios(
        &o,
        &[
            (CHANNEL, "channel"),
            (SHIPPED_SNOOZE, "Queue snooze"),
            (ARRAY_QUEUE, "ArrayQueue"),
        ],
    );
    if !test_mode {
        record("variants", &o);
    }
    let work = common::env_usize("RINGKIT_VARIANTS_PRODUCER_WORK", 8) as u32;
    println!("\n(producer work: {work} rounds of mixing per item)");
    let o = compare_slow_producer(reps, n_1p1c, work);
    print_with_ratios(&o, &[(SHIPPED, "shipped"), (ARRAY_QUEUE, "ArrayQueue")]);
    if !test_mode {
        record("variants", &o);
    }
    let o = compare_failing_try(reps, if test_mode { 1_000 } else { 200_000 });
    print_with_ratios(&o, &[(SHIPPED, "shipped"), (ARRAY_QUEUE, "ArrayQueue")]);
    if !test_mode {
        record("variants", &o);
    }
    let m = common::Machine::describe();
    println!("\nload average at the end: {}", m.load);
}
