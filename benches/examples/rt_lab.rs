//! Lab for the SPSC round trip (docs/lab/2026-12-spsc-round-trip.md): the
//! bench's round-trip workload over ringkit, rtrb, nexus-queue, the bare-atomic
//! floor, and small rings written here that differ from each other in one
//! point each. Contestants alternate; each repetition is the median of 50
//! batches of 1,000 round trips, as in the bench.
//!
//! Usage: `rt_lab [REPS]` (default 9).

#[path = "../common/mod.rs"]
mod common;

use common::spsc::{self as w, Spsc};
use crossbeam_utils::CachePadded;
use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::sync::atomic::{compiler_fence, AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

/// Knobs of [`Mini`], one bit each.
/// The producer checks a consumer-gone flag before each push.
const GONE: u32 = 1;
/// A compiler fence and a wait-word load after each publication (ringkit's notify).
const NOTIFY: u32 = 2;
/// An empty pop also loads its own published head and a producer-gone flag.
const EMPTY_CHECKS: u32 = 4;
/// The slot index is `position & (capacity - 1)` instead of a counter of its own.
const MASK: u32 = 8;
/// The shared tail is stored before the handle's own tail and slot counter.
const PUB_FIRST: u32 = 16;

/// An index ring like ringkit's: unwrapped positions, cached copies of the
/// other side's, the buffer and capacity kept in the handles.
struct Shared {
    head: CachePadded<AtomicUsize>,
    tail: CachePadded<AtomicUsize>,
    not_empty: CachePadded<AtomicU32>,
    not_full: CachePadded<AtomicU32>,
    gone: CachePadded<(AtomicBool, AtomicBool)>,
    buf: Box<[UnsafeCell<MaybeUninit<u64>>]>,
}
// SAFETY: slots are handed over by the head/tail release-acquire pairs.
unsafe impl Sync for Shared {}

pub struct Tx {
    s: Arc<Shared>,
    tail: usize,
    slot: usize,
    cached_head: usize,
    cap: usize,
    buf: *mut u64,
}
pub struct Rx {
    s: Arc<Shared>,
    head: usize,
    slot: usize,
    cached_tail: usize,
    cap: usize,
    buf: *mut u64,
}
// SAFETY: each handle is the only user of its end; `buf` points into `s`.
unsafe impl Send for Tx {}
// SAFETY: as for `Tx`.
unsafe impl Send for Rx {}

pub struct Mini<const X: u32>;

impl<const X: u32> Spsc for Mini<X> {
    type Tx = Tx;
    type Rx = Rx;
    fn channel(cap: usize) -> (Tx, Rx) {
        assert!(cap.is_power_of_two());
        let buf: Box<[UnsafeCell<MaybeUninit<u64>>]> = (0..cap)
            .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
            .collect();
        let s = Arc::new(Shared {
            head: Default::default(),
            tail: Default::default(),
            not_empty: Default::default(),
            not_full: Default::default(),
            gone: Default::default(),
            buf,
        });
        let buf = s.buf.as_ptr() as *mut u64;
        let tx = Tx {
            s: s.clone(),
            tail: 0,
            slot: 0,
            cached_head: 0,
            cap,
            buf,
        };
        let rx = Rx {
            s,
            head: 0,
            slot: 0,
            cached_tail: 0,
            cap,
            buf,
        };
        (tx, rx)
    }

    #[inline(always)]
    fn try_push(tx: &mut Tx, v: u64) -> bool {
        if X & GONE != 0 && tx.s.gone.1.load(Ordering::Relaxed) {
            return false;
        }
        if tx.tail.wrapping_sub(tx.cached_head) == tx.cap {
            tx.cached_head = tx.s.head.load(Ordering::Acquire);
            if tx.tail.wrapping_sub(tx.cached_head) == tx.cap {
                return false;
            }
        }
        let slot = if X & MASK != 0 {
            tx.tail & (tx.cap - 1)
        } else {
            tx.slot
        };
        // SAFETY: the slot is free (head acquire above) and `slot < cap`.
        unsafe { tx.buf.add(slot).write(v) };
        let tail = tx.tail.wrapping_add(1);
        let next_slot = if tx.slot + 1 == tx.cap {
            0
        } else {
            tx.slot + 1
        };
        if X & PUB_FIRST != 0 {
            tx.s.tail.store(tail, Ordering::Release);
            tx.tail = tail;
            tx.slot = next_slot;
        } else {
            tx.tail = tail;
            tx.slot = next_slot;
            tx.s.tail.store(tail, Ordering::Release);
        }
        if X & NOTIFY != 0 {
            compiler_fence(Ordering::SeqCst);
            assert_eq!(tx.s.not_empty.load(Ordering::Relaxed), 0);
        }
        true
    }

    #[inline(always)]
    fn try_pop(rx: &mut Rx) -> Option<u64> {
        if rx.cached_tail == rx.head {
            rx.cached_tail = rx.s.tail.load(Ordering::Acquire);
            if rx.cached_tail == rx.head {
                if X & EMPTY_CHECKS != 0 {
                    assert_eq!(rx.s.head.load(Ordering::Relaxed), rx.head);
                    if rx.s.gone.0.load(Ordering::Acquire) {
                        return None;
                    }
                }
                return None;
            }
        }
        let slot = if X & MASK != 0 {
            rx.head & (rx.cap - 1)
        } else {
            rx.slot
        };
        // SAFETY: published (tail acquire above) and `slot < cap`.
        let v = unsafe { rx.buf.add(slot).read() };
        rx.head = rx.head.wrapping_add(1);
        rx.slot = if rx.slot + 1 == rx.cap {
            0
        } else {
            rx.slot + 1
        };
        rx.s.head.store(rx.head, Ordering::Release);
        if X & NOTIFY != 0 {
            compiler_fence(Ordering::SeqCst);
            assert_eq!(rx.s.not_full.load(Ordering::Relaxed), 0);
        }
        Some(v)
    }
}

/// A ring whose slot is its own flag, as in crossbeam's `ArrayQueue` without
/// the shared positions: each cell holds a stamp next to its value. Position
/// `p` may be written when its cell's stamp is `p` and read when it is `p + 1`;
/// the reader sets it to `p + capacity`. A push and a pop each touch one line.
pub struct FlagRing;

#[repr(align(16))]
pub struct Cell {
    stamp: AtomicU64,
    value: AtomicU64,
}

pub struct FlagEnd {
    cells: Arc<[Cell]>,
    pos: u64,
}

impl Spsc for FlagRing {
    type Tx = FlagEnd;
    type Rx = FlagEnd;
    fn channel(cap: usize) -> (FlagEnd, FlagEnd) {
        assert!(cap.is_power_of_two());
        let cells: Arc<[Cell]> = (0..cap as u64)
            .map(|i| Cell {
                stamp: AtomicU64::new(i),
                value: AtomicU64::new(0),
            })
            .collect();
        (
            FlagEnd {
                cells: cells.clone(),
                pos: 0,
            },
            FlagEnd { cells, pos: 0 },
        )
    }
    #[inline(always)]
    fn try_push(tx: &mut FlagEnd, v: u64) -> bool {
        let mask = tx.cells.len() as u64 - 1;
        let c = &tx.cells[(tx.pos & mask) as usize];
        if c.stamp.load(Ordering::Acquire) != tx.pos {
            return false;
        }
        c.value.store(v, Ordering::Relaxed);
        c.stamp.store(tx.pos + 1, Ordering::Release);
        tx.pos += 1;
        true
    }
    #[inline(always)]
    fn try_pop(rx: &mut FlagEnd) -> Option<u64> {
        let cap = rx.cells.len() as u64;
        let c = &rx.cells[(rx.pos & (cap - 1)) as usize];
        if c.stamp.load(Ordering::Acquire) != rx.pos + 1 {
            return None;
        }
        let v = c.value.load(Ordering::Relaxed);
        c.stamp.store(rx.pos + cap, Ordering::Release);
        rx.pos += 1;
        Some(v)
    }
}

/// A ring whose slot is its own full flag (stamp `p + 1` once position `p` is
/// written, never cleared) and whose consumer publishes a head index, which
/// the producer reads only when its cached copy says the ring is full: the
/// consumer never writes a slot line.
pub struct FlagHeadRing;

pub struct FhShared {
    cells: Box<[Cell]>,
    head: CachePadded<AtomicU64>,
}

pub struct FhTx {
    s: Arc<FhShared>,
    pos: u64,
    cached_head: u64,
}
pub struct FhRx {
    s: Arc<FhShared>,
    pos: u64,
}

impl Spsc for FlagHeadRing {
    type Tx = FhTx;
    type Rx = FhRx;
    fn channel(cap: usize) -> (FhTx, FhRx) {
        assert!(cap.is_power_of_two());
        let cells = (0..cap)
            .map(|_| Cell {
                stamp: AtomicU64::new(0),
                value: AtomicU64::new(0),
            })
            .collect();
        let s = Arc::new(FhShared {
            cells,
            head: Default::default(),
        });
        (
            FhTx {
                s: s.clone(),
                pos: 0,
                cached_head: 0,
            },
            FhRx { s, pos: 0 },
        )
    }
    #[inline(always)]
    fn try_push(tx: &mut FhTx, v: u64) -> bool {
        let cap = tx.s.cells.len() as u64;
        if tx.pos - tx.cached_head == cap {
            tx.cached_head = tx.s.head.load(Ordering::Acquire);
            if tx.pos - tx.cached_head == cap {
                return false;
            }
        }
        let c = &tx.s.cells[(tx.pos & (cap - 1)) as usize];
        c.value.store(v, Ordering::Relaxed);
        c.stamp.store(tx.pos + 1, Ordering::Release);
        tx.pos += 1;
        true
    }
    #[inline(always)]
    fn try_pop(rx: &mut FhRx) -> Option<u64> {
        let mask = rx.s.cells.len() as u64 - 1;
        let c = &rx.s.cells[(rx.pos & mask) as usize];
        if c.stamp.load(Ordering::Acquire) != rx.pos + 1 {
            return None;
        }
        let v = c.value.load(Ordering::Relaxed);
        rx.pos += 1;
        rx.s.head.store(rx.pos, Ordering::Release);
        Some(v)
    }
}

/// A named contestant: one repetition, returning its median round trip in ns.
type Contestant<'a> = (&'a str, fn() -> f64);

fn run(reps: usize, cs: &[Contestant]) {
    let mut res = vec![Vec::new(); cs.len()];
    for r in 0..reps {
        for k in 0..cs.len() {
            let i = (r + k) % cs.len();
            res[i].push((cs[i].1)());
        }
    }
    for (i, (n, _)) in cs.iter().enumerate() {
        let v = &mut res[i];
        v.sort_by(f64::total_cmp);
        println!(
            "{n:28} min {:6.0}  median {:6.0}  max {:6.0}",
            v[0],
            v[v.len() / 2],
            v[v.len() - 1]
        );
    }
}

fn rt<R: Spsc>() -> f64 {
    common::median(&w::round_trip::<R>(50, 1000))
}

fn main() {
    let reps = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(9);
    const ALL: u32 = GONE | NOTIFY | EMPTY_CHECKS;
    run(
        reps,
        &[
            ("ringkit (ns)", rt::<w::Ringkit>),
            ("rtrb", rt::<w::Rtrb>),
            ("nexus-queue", rt::<w::Nexus>),
            ("mini", rt::<Mini<0>>),
            ("mini + ringkit's checks", rt::<Mini<ALL>>),
            ("mini, slot = position & mask", rt::<Mini<MASK>>),
            ("mini, tail stored first", rt::<Mini<PUB_FIRST>>),
            ("mini + checks, tail first", rt::<Mini<{ ALL | PUB_FIRST }>>),
            ("slot-as-flag ring", rt::<FlagRing>),
            ("slot-as-flag, head index", rt::<FlagHeadRing>),
            ("floor: bare AtomicU64", || {
                common::median(&w::atomic_round_trip(50, 1000))
            }),
        ],
    );
}
