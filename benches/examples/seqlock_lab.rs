//! Lab (not a benchmark of the crate): how fast a reader reads and a writer
//! publishes a `[u64; 4]` when both run non-stop on the two cores, for
//! ringkit's `EventFlag` and `SeqLock`, crossbeam's `AtomicCell`, and
//! seqlock variants written here. Each repetition runs every contestant for
//! 20 ms, in turn; ratios are to `AtomicCell` in the same repetition.
//!
//! Variants (all keep one value in one place; the reader retries on a torn read):
//! * `same-pN`: sequence and words on one line, writers lock by `fetch_or`, a
//!   reader that meets a write pauses N spin hints before its next attempt.
//! * `split-pN`: the same with the sequence on a line of its own.
//! * `single-writer`: no writer lock, plain stores of the sequence (one writer only).
//! * `split-lockK`: after K failed attempts the reader takes the writer lock to
//!   read, backing off between tries, as `AtomicCell` does: a reader can then
//!   hold up writers and other readers.
//!
//! `REPS=7 cargo run --release -p ringkit-benches --example seqlock_lab`

#[path = "../common/mod.rs"]
mod common;

use common::event::{Cell4, Payload};
use crossbeam_utils::atomic::AtomicCell;
use std::hint::black_box;
use std::sync::atomic::{fence, AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

struct Rk(ringkit::seqlock::SeqLock<Payload>);
impl Cell4 for Rk {
    fn make(v: Payload) -> Self {
        Rk(ringkit::seqlock::SeqLock::new(v))
    }
    fn load(&self) -> Payload {
        self.0.read()
    }
    fn store(&self, v: Payload) {
        self.0.write(v);
    }
}

/// Sequence and four words; `SPLIT` puts the words on the next line.
#[repr(C, align(64))]
struct Lay<const SPLIT: bool> {
    seq: AtomicU64,
    pad: [AtomicU64; 7],
    w: [AtomicU64; 4],
}

impl<const SPLIT: bool> Lay<SPLIT> {
    fn new(v: Payload) -> Self {
        Lay {
            seq: AtomicU64::new(0),
            pad: Default::default(),
            w: v.map(AtomicU64::new),
        }
    }
    #[inline(always)]
    fn words(&self) -> &[AtomicU64] {
        if SPLIT {
            &self.w
        } else {
            &self.pad[..4]
        }
    }
    /// One read attempt (the crate's protocol).
    #[inline(always)]
    fn try_read(&self) -> Option<Payload> {
        let s1 = self.seq.load(Ordering::Acquire);
        if s1 & 1 != 0 {
            return None;
        }
        let w = self.words();
        let b = [0, 1, 2, 3].map(|i| w[i].load(Ordering::Relaxed));
        fence(Ordering::Acquire);
        (self.seq.load(Ordering::Relaxed) == s1).then_some(b)
    }
    #[inline(always)]
    fn lock(&self) -> u64 {
        loop {
            let s = self.seq.fetch_or(1, Ordering::Acquire);
            if s & 1 == 0 {
                return s;
            }
            std::hint::spin_loop();
        }
    }
    #[inline(always)]
    fn write_locked(&self, s: u64, v: Payload) {
        fence(Ordering::Release);
        let w = self.words();
        for i in 0..4 {
            w[i].store(v[i], Ordering::Relaxed);
        }
        self.seq.store(s + 2, Ordering::Release);
    }
}

/// Lock-free reader that pauses `P` spin hints after a failed attempt.
struct Pause<const SPLIT: bool, const P: u32>(Lay<SPLIT>);
impl<const SPLIT: bool, const P: u32> Cell4 for Pause<SPLIT, P> {
    fn make(v: Payload) -> Self {
        Pause(Lay::new(v))
    }
    #[inline(always)]
    fn load(&self) -> Payload {
        loop {
            if let Some(b) = self.0.try_read() {
                return b;
            }
            for _ in 0..P {
                std::hint::spin_loop();
            }
        }
    }
    #[inline(always)]
    fn store(&self, v: Payload) {
        let s = self.0.lock();
        self.0.write_locked(s, v);
    }
}

/// One writer only: plain stores of the sequence, no locked instruction.
struct Single(Lay<false>);
impl Cell4 for Single {
    fn make(v: Payload) -> Self {
        Single(Lay::new(v))
    }
    #[inline(always)]
    fn load(&self) -> Payload {
        loop {
            if let Some(b) = self.0.try_read() {
                return b;
            }
            std::hint::spin_loop();
        }
    }
    #[inline(always)]
    fn store(&self, v: Payload) {
        let s = self.0.seq.load(Ordering::Relaxed);
        self.0.seq.store(s + 1, Ordering::Relaxed);
        self.0.write_locked(s, v);
    }
}

/// After `K` failed attempts the reader takes the writer lock (readers can block).
struct Locking<const K: u32>(Lay<true>);
impl<const K: u32> Cell4 for Locking<K> {
    fn make(v: Payload) -> Self {
        Locking(Lay::new(v))
    }
    #[inline(always)]
    fn load(&self) -> Payload {
        for _ in 0..K {
            if let Some(b) = self.0.try_read() {
                return b;
            }
            std::hint::spin_loop();
        }
        // Spins 2, 4, ... 64 hints between tries, as crossbeam's lock does.
        let mut k = 0;
        let s = loop {
            let s = self.0.seq.fetch_or(1, Ordering::Acquire);
            if s & 1 == 0 {
                break s;
            }
            k = (k + 1).min(6);
            for _ in 0..1 << k {
                std::hint::spin_loop();
            }
        };
        let w = self.0.words();
        let b = [0, 1, 2, 3].map(|i| w[i].load(Ordering::Relaxed));
        // Unlock without a new generation: the value did not change.
        self.0.seq.store(s, Ordering::Release);
        b
    }
    #[inline(always)]
    fn store(&self, v: Payload) {
        let s = self.0.lock();
        self.0.write_locked(s, v);
    }
}

/// Reads and publishes per microsecond, both sides running non-stop for `window`.
fn both<C: Cell4>(window: Duration) -> (f64, f64) {
    let cell = Arc::new(C::make([0; 4]));
    let stop = Arc::new(AtomicBool::new(false));
    let ready = Arc::new(Barrier::new(2));
    let writer = {
        let (cell, stop, ready) = (cell.clone(), stop.clone(), ready.clone());
        thread::spawn(move || {
            common::pin_to(common::OTHER_CORE);
            ready.wait();
            let mut i = 1u64;
            while !stop.load(Ordering::Relaxed) {
                cell.store([i; 4]);
                i += 1;
            }
            i - 1
        })
    };
    common::pin_to(common::MAIN_CORE);
    ready.wait();
    let start = Instant::now();
    let mut reads = 0u64;
    let elapsed = loop {
        for _ in 0..256 {
            let v = black_box(cell.load());
            assert!(v[0] == v[1] && v[1] == v[2] && v[2] == v[3], "torn");
        }
        reads += 256;
        let e = start.elapsed();
        if e >= window {
            break e;
        }
    };
    stop.store(true, Ordering::Relaxed);
    let writes = writer.join().unwrap();
    let us = elapsed.as_secs_f64() * 1e6;
    (reads as f64 / us, writes as f64 / us)
}

type Run = fn(Duration) -> (f64, f64);

fn main() {
    if std::env::var("IDLE").is_ok() {
        return idle_main();
    }
    let reps: usize = std::env::var("REPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    let w = Duration::from_millis(20);
    let cs: [(&str, Run); 13] = [
        ("AtomicCell", both::<AtomicCell<Payload>>),
        ("EventFlag", both::<ringkit::event::EventFlag<Payload>>),
        ("SeqLock", both::<Rk>),
        ("same-p1", both::<Pause<false, 1>>),
        ("same-p4", both::<Pause<false, 4>>),
        ("same-p8", both::<Pause<false, 8>>),
        ("same-p16", both::<Pause<false, 16>>),
        ("same-p32", both::<Pause<false, 32>>),
        ("split-p1", both::<Pause<true, 1>>),
        ("split-p16", both::<Pause<true, 16>>),
        ("single-writer", both::<Single>),
        ("split-lock1", both::<Locking<1>>),
        ("split-lock2", both::<Locking<2>>),
    ];
    let mut res = vec![vec![]; cs.len()];
    for _ in 0..reps {
        for (i, (_, f)) in cs.iter().enumerate() {
            res[i].push(f(w));
        }
    }
    let med = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[v.len() / 2], v[0], v[v.len() - 1])
    };
    println!("{reps} repetitions of 20 ms; M/s median [min..max]; ratio to AtomicCell in the same repetition, median");
    println!(
        "{:14} {:>24} {:>24} {:>8} {:>8}",
        "contestant", "reads", "publishes", "r ratio", "w ratio"
    );
    for (i, (n, _)) in cs.iter().enumerate() {
        let r = med(res[i].iter().map(|x| x.0).collect());
        let p = med(res[i].iter().map(|x| x.1).collect());
        let rr = med(res[i].iter().zip(&res[0]).map(|(x, a)| x.0 / a.0).collect());
        let wr = med(res[i].iter().zip(&res[0]).map(|(x, a)| x.1 / a.1).collect());
        println!(
            "{n:14} {:>8.1} [{:>5.1}..{:>6.1}] {:>8.1} [{:>5.1}..{:>6.1}] {:>7.2}x {:>7.2}x",
            r.0, r.1, r.2, p.0, p.1, p.2, rr.0, wr.0
        );
    }
}

#[allow(dead_code)]
pub fn idle_main() {
    fn idle<C: Cell4>() -> f64 {
        common::pin_to(common::MAIN_CORE);
        let c = C::make([7; 4]);
        let c = black_box(&c);
        let n = 20_000_000u64;
        let t = Instant::now();
        for _ in 0..n {
            let v = black_box(c.load());
            assert!(v[0] == v[1] && v[1] == v[2] && v[2] == v[3]);
        }
        t.elapsed().as_nanos() as f64 / n as f64
    }
    for _ in 0..5 {
        println!(
            "idle ns: AtomicCell {:.3} EventFlag {:.3} SeqLock {:.3} minimal {:.3}",
            idle::<AtomicCell<Payload>>(),
            idle::<ringkit::event::EventFlag<Payload>>(),
            idle::<Rk>(),
            idle::<Pause<false, 1>>()
        );
    }
}
