//! One thread, `N` rounds of one push and one pop, for an instruction-count
//! profile under callgrind (`scripts/callgrind-push-pop` runs it and prints
//! instructions per push+pop for ringkit and rtrb). Not a timing benchmark.
//!
//! Usage: `push_pop_profile ringkit|rtrb N [park]`. With `park`, one blocking
//! wait with a timeout runs first, which registers the process for membarrier(2):
//! ringkit's notify path then uses a compiler fence instead of a full fence.

use std::hint::black_box;
use std::time::Duration;

#[inline(never)]
fn ringkit_rounds(n: u64) -> u64 {
    let (mut tx, mut rx) = ringkit::spsc::channel::<u64>(1024);
    let mut sum = 0u64;
    for i in 0..n {
        tx.try_push(black_box(i)).unwrap();
        sum = sum.wrapping_add(rx.try_pop().unwrap());
    }
    sum
}

#[inline(never)]
fn rtrb_rounds(n: u64) -> u64 {
    let (mut tx, mut rx) = rtrb::RingBuffer::<u64>::new(1024);
    let mut sum = 0u64;
    for i in 0..n {
        tx.push(black_box(i)).unwrap();
        sum = sum.wrapping_add(rx.pop().unwrap());
    }
    sum
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let which = args.get(1).map_or("ringkit", String::as_str);
    let n: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    if args.get(3).map(String::as_str) == Some("park") {
        let flag = ringkit::event::EventFlag::new(0u8);
        let _ = flag.wait_newer_timeout(0, Duration::from_millis(1));
    }
    let sum = match which {
        "ringkit" => ringkit_rounds(n),
        "rtrb" => rtrb_rounds(n),
        other => panic!("unknown ring {other:?}: use ringkit or rtrb"),
    };
    assert_eq!(black_box(sum), n * n.wrapping_sub(1) / 2);
}
