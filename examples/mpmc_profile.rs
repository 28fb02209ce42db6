//! Runs one MPMC workload of the benches for one contestant, for outside tools
//! (`strace -f -c`, `perf stat`): how often each queue sleeps, wakes and
//! context-switches. Not a timing benchmark (it prints the rate only as a check).
//!
//! Usage: `mpmc_profile ringkit|ringkit-snooze|arrayqueue|crossbeam-channel|kanal|std 1p1c|2p2c [ITEMS] [REPS]`
//!
//! `ringkit-snooze` is a diagnostic, not a contestant: ringkit's `mpmc::Queue` with
//! the blocking operations replaced by what ArrayQueue gets (its `try_` operations
//! retried with `Backoff::snooze`, spin then yield), to separate the cost of the
//! queue from the cost of the channel's wait path (spin, then futex + membarrier).

#[path = "../benches/common/mod.rs"]
mod common;

use common::mpmc::{
    self as mp, ArrayQueue, CbChannel, Kanal, MpmcBlocking, MpmcTry, Ringkit, StdSync,
};
use crossbeam_utils::Backoff;
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
        let backoff = Backoff::new();
        while tx.try_push(v).is_err() {
            backoff.snooze();
        }
    }
    fn pop(rx: &Self::Rx) -> u64 {
        let backoff = Backoff::new();
        loop {
            if let Some(v) = rx.try_pop() {
                return v;
            }
            backoff.snooze();
        }
    }
}

fn run<Q: MpmcTry + MpmcBlocking>(two: bool, items: u64) -> Duration {
    if two {
        mp::two_to_two_blocking::<Q>(items)
    } else {
        mp::one_to_one::<Q>(items)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let who = args.get(1).map_or("ringkit", String::as_str);
    let two = match args.get(2).map_or("2p2c", String::as_str) {
        "1p1c" => false,
        "2p2c" => true,
        other => panic!("unknown workload {other:?}: use 1p1c or 2p2c"),
    };
    let items: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(400_000);
    let reps: usize = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(5);
    let mut rates = Vec::new();
    for _ in 0..reps {
        let t = match who {
            "ringkit" => run::<Ringkit>(two, items),
            "ringkit-snooze" => run::<RingkitSnooze>(two, items),
            "arrayqueue" => run::<ArrayQueue>(two, items),
            "crossbeam-channel" => run::<CbChannel>(two, items),
            "kanal" => run::<Kanal>(two, items),
            "std" => run::<StdSync>(two, items),
            other => panic!("unknown contestant {other:?}"),
        };
        rates.push(mp::mips(items, t));
    }
    println!(
        "{who} {}: median {:.2} M items/s over {reps} runs of {items} items",
        if two { "2p2c" } else { "1p1c" },
        common::median(&rates)
    );
}
