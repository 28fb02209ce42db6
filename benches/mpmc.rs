//! MPMC workload 4 of issue 7: ringkit side by side with crossbeam-queue's
//! `ArrayQueue`, crossbeam-channel `bounded`, kanal `bounded` (sync API) and std
//! `sync_channel` (u64 items, capacity 1024):
//! * 1 producer + 1 consumer, `try_` operations with a spin, pinned to different
//!   cores (ringkit: `mpmc::Queue`, and the channel's `try_push`/`try_pop`);
//! * 1 producer + 1 consumer with the blocking operations (ringkit:
//!   `mpmc::channel`), pinned to different cores; ArrayQueue as below;
//! * 2 producers + 2 consumers with the blocking operations (ringkit:
//!   `mpmc::channel`), **oversubscribed** on a 2-core machine (4 threads). ArrayQueue
//!   has no blocking operations: it retries with spin-then-yield (`Backoff::snooze`),
//!   its only way to wait. std's receiver is shared behind a `Mutex`.
//!
//! Two passes, as in `spsc.rs`: criterion groups (`mpmc_1p1c`,
//! `mpmc_1p1c_blocking`, `mpmc_2p2c_blocking`, `mpmc_same_thread`), then the comparison: repetitions
//! alternated across contestants, medians with min/max printed and appended to
//! `target/ringkit-bench/results.jsonl`.
//!
//! Knobs: `RINGKIT_BENCH_ONLY=criterion|compare`,
//! `RINGKIT_BENCH_REPS` (default 31). `cargo bench -p ringkit-benches --bench mpmc -- --test` runs
//! everything once, tiny, recording nothing.

mod common;

use common::mpmc::{
    self as w, ArrayQueue, CbChannel, Kanal, MpmcBlocking, MpmcTry, Ringkit, RingkitChannel,
    StdSync,
};
use common::{
    alternate, record, Contestant, Kind, MPMC_1P1C, MPMC_1P1C_BLOCKING, MPMC_2P2C_BLOCKING,
};
use criterion::{Criterion, Throughput};
use std::hint::black_box;

/// Items per criterion iteration of the two-thread benches.
const ITEMS_PER_ITER: u64 = 1024;

type Group<'a> = criterion::BenchmarkGroup<'a, criterion::measurement::WallTime>;

fn one_to_one_bench<Q: MpmcTry>(g: &mut Group<'_>, name: &str) {
    g.bench_function(name, |b| {
        b.iter_custom(|iters| w::one_to_one::<Q>(iters * ITEMS_PER_ITER))
    });
}

fn one_to_one_blocking_bench<Q: MpmcBlocking>(g: &mut Group<'_>, name: &str) {
    g.bench_function(name, |b| {
        b.iter_custom(|iters| w::one_to_one_blocking::<Q>(iters * ITEMS_PER_ITER))
    });
}

fn two_to_two_bench<Q: MpmcBlocking>(g: &mut Group<'_>, name: &str) {
    g.bench_function(name, |b| {
        b.iter_custom(|iters| w::two_to_two_blocking::<Q>(iters * ITEMS_PER_ITER))
    });
}

fn criterion_pass(c: &mut Criterion) {
    let mut g = c.benchmark_group("mpmc_1p1c");
    g.throughput(Throughput::Elements(ITEMS_PER_ITER));
    one_to_one_bench::<Ringkit>(&mut g, "ringkit Queue");
    one_to_one_bench::<RingkitChannel>(&mut g, "ringkit channel");
    one_to_one_bench::<ArrayQueue>(&mut g, "crossbeam ArrayQueue");
    one_to_one_bench::<CbChannel>(&mut g, "crossbeam-channel");
    one_to_one_bench::<Kanal>(&mut g, "kanal");
    one_to_one_bench::<StdSync>(&mut g, "std sync_channel");
    g.finish();

    let mut g = c.benchmark_group("mpmc_1p1c_blocking");
    g.throughput(Throughput::Elements(ITEMS_PER_ITER));
    one_to_one_blocking_bench::<Ringkit>(&mut g, "ringkit channel");
    one_to_one_blocking_bench::<ArrayQueue>(&mut g, "crossbeam ArrayQueue (spin-then-yield)");
    one_to_one_blocking_bench::<CbChannel>(&mut g, "crossbeam-channel");
    one_to_one_blocking_bench::<Kanal>(&mut g, "kanal");
    one_to_one_blocking_bench::<StdSync>(&mut g, "std sync_channel (Mutex<Receiver>)");
    g.finish();

    let mut g = c.benchmark_group("mpmc_2p2c_blocking_oversubscribed");
    g.throughput(Throughput::Elements(ITEMS_PER_ITER));
    two_to_two_bench::<Ringkit>(&mut g, "ringkit channel");
    two_to_two_bench::<ArrayQueue>(&mut g, "crossbeam ArrayQueue (spin-then-yield)");
    two_to_two_bench::<CbChannel>(&mut g, "crossbeam-channel");
    two_to_two_bench::<Kanal>(&mut g, "kanal");
    two_to_two_bench::<StdSync>(&mut g, "std sync_channel (Mutex<Receiver>)");
    g.finish();

    // Push then pop on one thread: the uncontended cost of one operation pair.
    let mut g = c.benchmark_group("mpmc_same_thread");
    g.throughput(Throughput::Elements(1));
    let q = ringkit::mpmc::Queue::<u64>::new(w::CAPACITY);
    g.bench_function("ringkit Queue", |b| {
        b.iter(|| {
            q.try_push(black_box(1)).unwrap();
            q.try_pop().unwrap()
        })
    });
    let q = crossbeam_queue::ArrayQueue::<u64>::new(w::CAPACITY);
    g.bench_function("crossbeam ArrayQueue", |b| {
        b.iter(|| {
            q.push(black_box(1)).unwrap();
            q.pop().unwrap()
        })
    });
    g.finish();
}

/// The 1P1C comparison, all contestants alternated.
pub fn compare_one_to_one(reps: usize, n: u64) -> common::Outcome {
    let mut cs = [
        Contestant::new("ringkit Queue", Kind::Ringkit, || {
            w::mips(n, w::one_to_one::<Ringkit>(n))
        }),
        Contestant::new("ringkit channel", Kind::Ringkit, || {
            w::mips(n, w::one_to_one::<RingkitChannel>(n))
        }),
        Contestant::new("crossbeam ArrayQueue", Kind::Peer, || {
            w::mips(n, w::one_to_one::<ArrayQueue>(n))
        }),
        Contestant::new("crossbeam-channel", Kind::Peer, || {
            w::mips(n, w::one_to_one::<CbChannel>(n))
        }),
        Contestant::new("kanal", Kind::Peer, || {
            w::mips(n, w::one_to_one::<Kanal>(n))
        }),
        Contestant::new("std sync_channel", Kind::Peer, || {
            w::mips(n, w::one_to_one::<StdSync>(n))
        }),
    ];
    alternate(MPMC_1P1C, "M items/s", true, reps, &mut cs)
}

/// The 1P1C blocking comparison, all contestants alternated.
pub fn compare_one_to_one_blocking(reps: usize, n: u64) -> common::Outcome {
    let mut cs = w::blocking_contestants::<w::OneToOneBlocking>(n);
    alternate(MPMC_1P1C_BLOCKING, "M items/s", true, reps, &mut cs)
}

/// The 2P2C blocking comparison, all contestants alternated.
pub fn compare_two_to_two(reps: usize, n: u64) -> common::Outcome {
    let mut cs = w::blocking_contestants::<w::TwoToTwoBlocking>(n);
    alternate(MPMC_2P2C_BLOCKING, "M items/s", true, reps, &mut cs)
}

fn main() {
    let mode = common::BenchMode::from_env();
    let test_mode = mode.test;

    if mode.criterion() {
        common::run_criterion(criterion_pass);
    }

    if mode.compare() {
        let (reps, n_1p1c, n_2p2c) = if test_mode {
            (1, 10_000, 10_000)
        } else {
            (
                common::env_usize("RINGKIT_BENCH_REPS", 31),
                1_000_000,
                400_000,
            )
        };
        let m = common::Machine::describe();
        println!(
            "\ncomparison: {} cores, {}, load average {}",
            m.cores, m.cpu, m.load
        );
        if m.cores <= 2 {
            println!(
                "NOTE: 2P2C runs 4 busy threads on {} cores: oversubscribed, it measures \
                 how each queue waits as much as how it moves items.",
                m.cores
            );
        }
        for o in [
            compare_one_to_one(reps, n_1p1c),
            compare_one_to_one_blocking(reps, n_1p1c),
            compare_two_to_two(reps, n_2p2c),
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
