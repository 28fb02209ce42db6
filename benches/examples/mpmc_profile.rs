//! Runs one MPMC workload of the benches for one contestant, for outside tools
//! (`strace -f -c`, `perf stat`): how often each queue sleeps, wakes and
//! context-switches. Not a timing benchmark (it prints the rate only as a check).
//!
//! Usage: `mpmc_profile ringkit|ringkit-snooze|arrayqueue|crossbeam-channel|kanal|std 1p1c|1p1c-polls|2p2c [ITEMS] [REPS]`
//!
//! `1p1c-polls` is the 1P1C workload unpinned from the harness's timing, counting
//! failed pushes (full) and failed pops (empty) per item: which regime the queue
//! runs in, near-empty (the consumer polls an empty queue) or near-full.
//!
//! `1p1c` and `2p2c` print each repetition's rate with the context switches of
//! the process during it (`getrusage`: voluntary ones are mostly futex sleeps,
//! involuntary ones preemptions and yields that gave the core away), slowest
//! repetition first, then the median.
//!
//! `ringkit-snooze` is a diagnostic, not a contestant: ringkit's `mpmc::Queue` with
//! the blocking operations replaced by what ArrayQueue gets (its `try_` operations
//! retried with `Backoff::snooze`, spin then yield), to separate the cost of the
//! queue from the cost of the channel's wait path (spin, then futex + membarrier).

#[path = "../common/mod.rs"]
mod common;

use common::mpmc::{
    self as mp, snooze_pop, snooze_push, ArrayQueue, CbChannel, Kanal, MpmcBlocking, MpmcTry,
    Ringkit, StdSync,
};
use std::sync::Arc;
use std::time::Duration;

/// ringkit's Queue waited on by spin-then-yield (see the module docs).
struct RingkitSnooze;

impl MpmcTry for RingkitSnooze {
    type Tx = <Ringkit as MpmcTry>::Tx;
    type Rx = <Ringkit as MpmcTry>::Rx;
    fn make(capacity: usize) -> (Self::Tx, Self::Rx) {
        <Ringkit as MpmcTry>::make(capacity)
    }
    fn try_push(tx: &Self::Tx, v: u64) -> bool {
        <Ringkit as MpmcTry>::try_push(tx, v)
    }
    fn try_pop(rx: &Self::Rx) -> Option<u64> {
        <Ringkit as MpmcTry>::try_pop(rx)
    }
}

impl MpmcBlocking for RingkitSnooze {
    type Tx = Arc<ringkit::mpmc::Queue<u64>>;
    type Rx = Arc<ringkit::mpmc::Queue<u64>>;
    fn make(capacity: usize) -> (Self::Tx, Self::Rx) {
        <Ringkit as MpmcTry>::make(capacity)
    }
    fn push(tx: &Self::Tx, v: u64) {
        snooze_push::<Self>(tx, v)
    }
    fn pop(rx: &Self::Rx) -> u64 {
        snooze_pop::<Self>(rx)
    }
}

/// 1P1C as in the bench (same pinning), also counting failed operations.
fn polls<Q: MpmcTry>(items: u64) -> (Duration, u64, u64) {
    use std::hint::spin_loop;
    use std::sync::Barrier;
    let (tx, rx) = Q::make(mp::CAPACITY);
    let ready = Arc::new(Barrier::new(2));
    let r2 = ready.clone();
    let producer = std::thread::spawn(move || {
        common::pin_to(common::OTHER_CORE);
        r2.wait();
        let mut full = 0u64;
        for i in 0..items {
            while !Q::try_push(&tx, i) {
                full += 1;
                spin_loop();
            }
        }
        (full, tx)
    });
    common::pin_to(common::MAIN_CORE);
    ready.wait();
    let start = std::time::Instant::now();
    let (mut got, mut empty, mut sum) = (0u64, 0u64, 0u64);
    while got < items {
        match Q::try_pop(&rx) {
            Some(v) => {
                sum = sum.wrapping_add(v);
                got += 1;
            }
            None => {
                empty += 1;
                spin_loop();
            }
        }
    }
    let t = start.elapsed();
    let (full, _tx) = producer.join().unwrap();
    assert_eq!(sum, items * items.wrapping_sub(1) / 2);
    (t, full, empty)
}

fn run_polls(who: &str, items: u64) -> (Duration, u64, u64) {
    match who {
        "ringkit" => polls::<Ringkit>(items),
        "arrayqueue" => polls::<ArrayQueue>(items),
        "crossbeam-channel" => polls::<CbChannel>(items),
        "kanal" => polls::<Kanal>(items),
        "std" => polls::<StdSync>(items),
        other => panic!("unknown contestant {other:?}"),
    }
}

fn run<Q: MpmcTry + MpmcBlocking>(two: bool, items: u64) -> Duration {
    if two {
        mp::two_to_two_blocking::<Q>(items)
    } else {
        mp::one_to_one::<Q>(items)
    }
}

/// The process's voluntary and involuntary context switches so far, all its
/// threads together (those that have ended included).
fn context_switches() -> (i64, i64) {
    // SAFETY: `rusage` is plain integers, for which all zeroes is a value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid, writable `rusage`; RUSAGE_SELF is a valid
    // `who`, so the call cannot fail.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    (usage.ru_nvcsw, usage.ru_nivcsw)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let who = args.get(1).map_or("ringkit", String::as_str);
    let items_arg: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(400_000);
    if args.get(2).map(String::as_str) == Some("1p1c-polls") {
        for _ in 0..args.get(4).and_then(|s| s.parse().ok()).unwrap_or(5) {
            let (t, full, empty) = run_polls(who, items_arg);
            println!(
                "{who} 1p1c: {:.2} M items/s, failed pushes (full) {:.2}/item, failed pops (empty) {:.2}/item",
                mp::mips(items_arg, t),
                full as f64 / items_arg as f64,
                empty as f64 / items_arg as f64
            );
        }
        return;
    }
    let two = match args.get(2).map_or("2p2c", String::as_str) {
        "1p1c" => false,
        "2p2c" => true,
        other => panic!("unknown workload {other:?}: use 1p1c or 2p2c"),
    };
    let items: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(400_000);
    let reps: usize = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(5);
    let mut rates = Vec::new();
    let mut rows = Vec::new();
    for _ in 0..reps {
        let before = context_switches();
        let t = match who {
            "ringkit" => run::<Ringkit>(two, items),
            "ringkit-snooze" => run::<RingkitSnooze>(two, items),
            "arrayqueue" => run::<ArrayQueue>(two, items),
            "crossbeam-channel" => run::<CbChannel>(two, items),
            "kanal" => run::<Kanal>(two, items),
            "std" => run::<StdSync>(two, items),
            other => panic!("unknown contestant {other:?}"),
        };
        let after = context_switches();
        rates.push(mp::mips(items, t));
        rows.push((mp::mips(items, t), after.0 - before.0, after.1 - before.1));
    }
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    println!("M items/s, voluntary / involuntary context switches, per repetition:");
    for (rate, voluntary, involuntary) in &rows {
        println!("  {rate:6.1}  {voluntary:6} / {involuntary}");
    }
    println!(
        "{who} {}: median {:.2} M items/s over {reps} runs of {items} items",
        if two { "2p2c" } else { "1p1c" },
        common::median(&rates)
    );
}
