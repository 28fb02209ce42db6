//! Lab prototype (docs/lab/2026-12-spsc-per-item.md), not part of the crate:
//! two SPSC rings for `u64` written for the per-item workload only, run
//! against ringkit and the peers in the same process. `Flag`: each slot carries
//! a stamp (position + 1) that the consumer checks instead of the producer's
//! index; the producer reads the consumer's index only when its cached copy
//! says full. `Idx<F>`: rtrb's algorithm (cached indices on both sides), with
//! ringkit's extra fast-path loads switched on by the bits of `F` (1: a
//! disconnection flag per push, 2: a wait-word load per operation, 4: a
//! sequence counter, 8: a flag load on the empty path).
#[path = "../common/mod.rs"]
mod common;

use common::spsc::{self as sp, Nexus, Ringbuf, Ringkit, Rtrb, Spsc};
use common::{alternate, Contestant, Kind};
use crossbeam_utils::CachePadded;
use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

struct Slot {
    stamp: AtomicUsize,
    val: UnsafeCell<MaybeUninit<u64>>,
}
struct Shared {
    head: CachePadded<AtomicUsize>,
    gone: CachePadded<AtomicBool>,
    word: CachePadded<AtomicUsize>,
    slots: Box<[Slot]>,
}
unsafe impl Sync for Shared {}
unsafe impl Send for Shared {}
pub struct PTx {
    s: Arc<Shared>,
    tail: usize,
    limit: usize,
    mask: usize,
    cap: usize,
    slots: *const Slot,
}
pub struct PRx {
    s: Arc<Shared>,
    head: usize,
    mask: usize,
    slots: *const Slot,
    seq: u64,
}
unsafe impl Send for PTx {}
unsafe impl Send for PRx {}

pub struct Flag<const CHECKS: bool>;
impl<const CHECKS: bool> Spsc for Flag<CHECKS> {
    type Tx = PTx;
    type Rx = PRx;
    fn channel(cap: usize) -> (PTx, PRx) {
        let slots: Box<[Slot]> = (0..cap)
            .map(|_| Slot {
                stamp: AtomicUsize::new(0),
                val: UnsafeCell::new(MaybeUninit::uninit()),
            })
            .collect();
        let s = Arc::new(Shared {
            head: CachePadded::new(AtomicUsize::new(0)),
            gone: CachePadded::new(AtomicBool::new(false)),
            word: CachePadded::new(AtomicUsize::new(0)),
            slots,
        });
        let p = s.slots.as_ptr();
        (
            PTx {
                s: s.clone(),
                tail: 0,
                limit: cap,
                mask: cap - 1,
                cap,
                slots: p,
            },
            PRx {
                s,
                head: 0,
                mask: cap - 1,
                slots: p,
                seq: 0,
            },
        )
    }
    #[inline(always)]
    fn try_push(tx: &mut PTx, v: u64) -> bool {
        if CHECKS && tx.s.gone.load(Ordering::Relaxed) {
            return false;
        }
        if tx.tail == tx.limit {
            tx.limit = tx.s.head.load(Ordering::Acquire) + tx.cap;
            if tx.tail == tx.limit {
                return false;
            }
        }
        let slot = unsafe { &*tx.slots.add(tx.tail & tx.mask) };
        unsafe { (*slot.val.get()).write(v) };
        tx.tail += 1;
        slot.stamp.store(tx.tail, Ordering::Release);
        if CHECKS && tx.s.word.load(Ordering::Relaxed) & 1 != 0 {
            std::hint::black_box(());
        }
        true
    }
    #[inline(always)]
    fn try_pop(rx: &mut PRx) -> Option<u64> {
        let slot = unsafe { &*rx.slots.add(rx.head & rx.mask) };
        if slot.stamp.load(Ordering::Acquire) != rx.head + 1 {
            return None;
        }
        let v = unsafe { (*slot.val.get()).assume_init_read() };
        rx.head += 1;
        rx.s.head.store(rx.head, Ordering::Release);
        if CHECKS {
            rx.seq += 1;
            if rx.s.word.load(Ordering::Relaxed) & 1 != 0 {
                std::hint::black_box(());
            }
        }
        Some(v)
    }
}

pub struct ITx {
    s: Arc<IShared>,
    tail: usize,
    cached_head: usize,
    cap: usize,
    buf: *mut u64,
    tail_slot: usize,
}
pub struct IRx {
    s: Arc<IShared>,
    head: usize,
    cached_tail: usize,
    cap: usize,
    buf: *mut u64,
    head_slot: usize,
    seq: u64,
}
unsafe impl Send for ITx {}
unsafe impl Send for IRx {}
struct IShared {
    head: CachePadded<AtomicUsize>,
    tail: CachePadded<AtomicUsize>,
    w1: CachePadded<AtomicUsize>,
    w2: CachePadded<AtomicUsize>,
    gone: CachePadded<AtomicBool>,
    buf: Box<[UnsafeCell<u64>]>,
}
unsafe impl Sync for IShared {}
unsafe impl Send for IShared {}
/// F bits: 1 gone check, 2 notify loads, 4 seq, 8 producer_gone on empty
pub struct Idx<const F: u32>;
impl<const F: u32> Spsc for Idx<F> {
    type Tx = ITx;
    type Rx = IRx;
    fn channel(cap: usize) -> (ITx, IRx) {
        let buf: Box<[UnsafeCell<u64>]> = (0..cap).map(|_| UnsafeCell::new(0)).collect();
        let s = Arc::new(IShared {
            head: CachePadded::new(AtomicUsize::new(0)),
            tail: CachePadded::new(AtomicUsize::new(0)),
            w1: CachePadded::new(AtomicUsize::new(0)),
            w2: CachePadded::new(AtomicUsize::new(0)),
            gone: CachePadded::new(AtomicBool::new(false)),
            buf,
        });
        let p = s.buf.as_ptr() as *mut u64;
        (
            ITx {
                s: s.clone(),
                tail: 0,
                cached_head: 0,
                cap,
                buf: p,
                tail_slot: 0,
            },
            IRx {
                s,
                head: 0,
                cached_tail: 0,
                cap,
                buf: p,
                head_slot: 0,
                seq: 0,
            },
        )
    }
    #[inline(always)]
    fn try_push(tx: &mut ITx, v: u64) -> bool {
        if F & 1 != 0 && tx.s.gone.load(Ordering::Relaxed) {
            return false;
        }
        if tx.cap - tx.tail.wrapping_sub(tx.cached_head) == 0 {
            tx.cached_head = tx.s.head.load(Ordering::Acquire);
            if tx.cap - tx.tail.wrapping_sub(tx.cached_head) == 0 {
                return false;
            }
        }
        unsafe { tx.buf.add(tx.tail_slot).write(v) };
        tx.tail = tx.tail.wrapping_add(1);
        tx.tail_slot += 1;
        if tx.tail_slot >= tx.cap {
            tx.tail_slot -= tx.cap;
        }
        tx.s.tail.store(tx.tail, Ordering::Release);
        if F & 2 != 0 {
            std::sync::atomic::compiler_fence(Ordering::SeqCst);
            if tx.s.w1.load(Ordering::Relaxed) & 1 != 0 {
                std::hint::black_box(());
            }
        }
        true
    }
    #[inline(always)]
    fn try_pop(rx: &mut IRx) -> Option<u64> {
        if rx.cached_tail.wrapping_sub(rx.head) == 0 {
            rx.cached_tail = rx.s.tail.load(Ordering::Acquire);
            if rx.cached_tail.wrapping_sub(rx.head) == 0 {
                if F & 8 != 0 && rx.s.gone.load(Ordering::Acquire) {
                    std::hint::black_box(());
                }
                return None;
            }
        }
        let v = unsafe { rx.buf.add(rx.head_slot).read() };
        rx.head = rx.head.wrapping_add(1);
        rx.head_slot += 1;
        if rx.head_slot >= rx.cap {
            rx.head_slot -= rx.cap;
        }
        if F & 4 != 0 {
            rx.seq = rx.seq.wrapping_add(1);
        }
        rx.s.head.store(rx.head, Ordering::Release);
        if F & 2 != 0 {
            std::sync::atomic::compiler_fence(Ordering::SeqCst);
            if rx.s.w2.load(Ordering::Relaxed) & 1 != 0 {
                std::hint::black_box(());
            }
        }
        Some(v)
    }
}

fn main() {
    let n = 1_000_000;
    let reps = common::env_usize("RINGKIT_BENCH_REPS", 15);
    let mut cs = [
        Contestant::new("ringkit", Kind::Ringkit, || {
            sp::mips(n, sp::per_item::<Ringkit>(n))
        }),
        Contestant::new("idx-0", Kind::Peer, || {
            sp::mips(n, sp::per_item::<Idx<0>>(n))
        }),
        Contestant::new("idx-seq", Kind::Peer, || {
            sp::mips(n, sp::per_item::<Idx<4>>(n))
        }),
        Contestant::new("idx-emptyload", Kind::Peer, || {
            sp::mips(n, sp::per_item::<Idx<8>>(n))
        }),
        Contestant::new("idx-all", Kind::Peer, || {
            sp::mips(n, sp::per_item::<Idx<15>>(n))
        }),
        Contestant::new("rtrb", Kind::Peer, || sp::mips(n, sp::per_item::<Rtrb>(n))),
        Contestant::new("ringbuf", Kind::Peer, || {
            sp::mips(n, sp::per_item::<Ringbuf>(n))
        }),
    ];
    alternate("SPSC per-item throughput", "M items/s", true, reps, &mut cs).print();
}
