//! SPSC workloads 1-3 of issue 7, ringkit side by side with rtrb, ringbuf,
//! nexus-queue and crossbeam-queue's `ArrayQueue` (u64 items, capacity 1024,
//! producer and consumer pinned to different cores).
//!
//! Two passes:
//! * criterion groups (`spsc_per_item`, `spsc_chunked_64`, `spsc_round_trip`), one
//!   benchmark per contestant, for criterion's own statistics;
//! * the comparison: many short repetitions, contestants alternated within the run,
//!   medians with min/max printed and appended as JSON lines to
//!   `target/ringkit-bench/results.jsonl` (what `docs/benchmarks.md` quotes).
//!
//! Knobs: `RINGKIT_BENCH_ONLY=criterion|compare` runs one pass;
//! `RINGKIT_BENCH_REPS` sets the comparison's repetitions (default 31).
//! `cargo bench -p ringkit-benches --bench spsc -- --test` runs everything once, tiny, recording nothing.

mod common;

use common::spsc::{
    self as w, ArrayQueue, Nexus, Ringbuf, Ringkit, RingkitStamped, Rtrb, Spsc, SpscChunks,
};
use common::spsc_slice::RingkitSlice;
use common::{alternate, median, record, Contestant, Kind};
use criterion::{Criterion, Throughput};
use std::time::Duration;

/// Items per criterion iteration of the throughput benches.
const ITEMS_PER_ITER: u64 = 1024;

fn per_item_bench<R: Spsc>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
) {
    g.bench_function(name, |b| {
        b.iter_custom(|iters| w::per_item::<R>(iters * ITEMS_PER_ITER))
    });
}

fn chunked_bench<R: SpscChunks>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
) {
    g.bench_function(name, |b| {
        b.iter_custom(|iters| w::chunked::<R>(iters * ITEMS_PER_ITER))
    });
}

fn round_trip_bench<R: Spsc>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
) {
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let ns = w::round_trip::<R>(1, iters)[0];
            Duration::from_nanos((ns * iters as f64) as u64)
        })
    });
}

fn criterion_pass(c: &mut Criterion) {
    let mut g = c.benchmark_group("spsc_per_item");
    g.throughput(Throughput::Elements(ITEMS_PER_ITER));
    per_item_bench::<Ringkit>(&mut g, "ringkit");
    per_item_bench::<RingkitStamped>(&mut g, "ringkit stamped");
    per_item_bench::<Rtrb>(&mut g, "rtrb");
    per_item_bench::<Ringbuf>(&mut g, "ringbuf");
    per_item_bench::<Nexus>(&mut g, "nexus-queue");
    per_item_bench::<ArrayQueue>(&mut g, "crossbeam ArrayQueue");
    g.finish();

    let mut g = c.benchmark_group("spsc_chunked_64");
    g.throughput(Throughput::Elements(ITEMS_PER_ITER));
    chunked_bench::<Ringkit>(&mut g, "ringkit write_chunk_uninit+read_chunk");
    chunked_bench::<RingkitSlice>(&mut g, "ringkit push_slice+pop_slice");
    chunked_bench::<Rtrb>(&mut g, "rtrb write_chunk_uninit+read_chunk");
    chunked_bench::<Ringbuf>(&mut g, "ringbuf push_slice+pop_slice");
    g.finish();

    let mut g = c.benchmark_group("spsc_round_trip");
    g.throughput(Throughput::Elements(1));
    round_trip_bench::<Ringkit>(&mut g, "ringkit");
    round_trip_bench::<RingkitStamped>(&mut g, "ringkit stamped");
    round_trip_bench::<Rtrb>(&mut g, "rtrb");
    round_trip_bench::<Ringbuf>(&mut g, "ringbuf");
    round_trip_bench::<Nexus>(&mut g, "nexus-queue");
    round_trip_bench::<ArrayQueue>(&mut g, "crossbeam ArrayQueue");
    g.bench_function("floor: bare AtomicU64", |b| {
        b.iter_custom(|iters| {
            let ns = w::atomic_round_trip(1, iters)[0];
            Duration::from_nanos((ns * iters as f64) as u64)
        })
    });
    g.finish();
}

/// Sizes of the comparison pass.
pub struct Sizes {
    pub reps: usize,
    pub items: u64,
    pub chunk_items: u64,
    pub batches: usize,
    pub per_batch: u64,
}

/// Workload 1, all contestants alternated.
fn compare_per_item(s: &Sizes) -> common::Outcome {
    let n = s.items;
    let mut cs = [
        Contestant::new("ringkit", Kind::Ringkit, || {
            w::mips(n, w::per_item::<Ringkit>(n))
        }),
        Contestant::new("ringkit stamped", Kind::Ringkit, || {
            w::mips(n, w::per_item::<RingkitStamped>(n))
        }),
        Contestant::new("rtrb", Kind::Peer, || w::mips(n, w::per_item::<Rtrb>(n))),
        Contestant::new("ringbuf", Kind::Peer, || {
            w::mips(n, w::per_item::<Ringbuf>(n))
        }),
        Contestant::new("nexus-queue", Kind::Peer, || {
            w::mips(n, w::per_item::<Nexus>(n))
        }),
        Contestant::new("crossbeam ArrayQueue", Kind::Peer, || {
            w::mips(n, w::per_item::<ArrayQueue>(n))
        }),
    ];
    alternate(
        "SPSC per-item throughput",
        "M items/s",
        true,
        s.reps,
        &mut cs,
    )
}

fn compare_chunked(s: &Sizes) -> common::Outcome {
    let n = s.chunk_items;
    let mut cs = [
        Contestant::new("ringkit", Kind::Ringkit, || {
            w::mips(n, w::chunked::<Ringkit>(n))
        }),
        Contestant::new("ringkit push_slice+pop_slice", Kind::Ringkit, || {
            w::mips(n, w::chunked::<RingkitSlice>(n))
        }),
        Contestant::new("rtrb", Kind::Peer, || w::mips(n, w::chunked::<Rtrb>(n))),
        Contestant::new("ringbuf", Kind::Peer, || {
            w::mips(n, w::chunked::<Ringbuf>(n))
        }),
    ];
    alternate(
        "SPSC batched (64) throughput",
        "M items/s",
        true,
        s.reps,
        &mut cs,
    )
}

fn compare_round_trip(s: &Sizes) -> common::Outcome {
    let (b, p) = (s.batches, s.per_batch);
    // One repetition: the median over its batches of the mean round trip.
    let mut cs = [
        Contestant::new("ringkit", Kind::Ringkit, || {
            median(&w::round_trip::<Ringkit>(b, p))
        }),
        Contestant::new("ringkit stamped", Kind::Ringkit, || {
            median(&w::round_trip::<RingkitStamped>(b, p))
        }),
        Contestant::new("rtrb", Kind::Peer, || median(&w::round_trip::<Rtrb>(b, p))),
        Contestant::new("ringbuf", Kind::Peer, || {
            median(&w::round_trip::<Ringbuf>(b, p))
        }),
        Contestant::new("nexus-queue", Kind::Peer, || {
            median(&w::round_trip::<Nexus>(b, p))
        }),
        Contestant::new("crossbeam ArrayQueue", Kind::Peer, || {
            median(&w::round_trip::<ArrayQueue>(b, p))
        }),
        Contestant::new("floor: bare AtomicU64", Kind::Floor, || {
            median(&w::atomic_round_trip(b, p))
        }),
    ];
    alternate("SPSC round trip p50", "ns", false, s.reps, &mut cs)
}

fn main() {
    let mode = common::BenchMode::from_env();
    let test_mode = mode.test;

    if mode.criterion() {
        common::run_criterion(criterion_pass);
    }

    if mode.compare() {
        let sizes = if test_mode {
            Sizes {
                reps: 1,
                items: 10_000,
                chunk_items: 10_048,
                batches: 2,
                per_batch: 100,
            }
        } else {
            Sizes {
                reps: common::env_usize("RINGKIT_BENCH_REPS", 31),
                items: 1_000_000,
                chunk_items: 4_000_000,
                batches: 50,
                per_batch: 1_000,
            }
        };
        let m = common::Machine::describe();
        println!(
            "\ncomparison: {} cores, {}, load average {}",
            m.cores, m.cpu, m.load
        );
        for o in [
            compare_per_item(&sizes),
            compare_chunked(&sizes),
            compare_round_trip(&sizes),
        ] {
            o.print();
            if let Some((s, met)) = common::target_for(o.workload).and_then(|t| o.check(&t)) {
                println!(
                    "  target: speedup {s:.2}x over its reference -> {}",
                    if met { "met" } else { "missed" }
                );
            }
            if !test_mode {
                record("bench", &o);
            }
        }
    }
}
