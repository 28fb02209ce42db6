//! Market data on a broadcast ring: one publisher that never waits for anybody, a
//! fast subscriber (a strategy) and a slow one (a risk report that is still loading
//! when the market opens). The slow one misses the first ticks and is told
//! exactly how many ticks it lost (`RecvError::Lagged`), then goes on from the
//! oldest tick the ring still holds. Every subscriber accounts for every tick:
//! received + lost = published.
//!
//! `cargo run --example market_data`

use ringkit::broadcast::{self, RecvError};
use ringkit::event::Event;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

const CAPACITY: usize = 64;
const PACKET: u64 = 50; // ticks arrive in packets, each fits in the ring
const LOADING: u64 = 1_000; // ticks published while the slow one loads
const TICKS: u64 = 5_000;

/// [price in cents, size] of tick `seq`, so a subscriber can check what it got.
fn tick(seq: u64) -> [u64; 2] {
    [10_000 + seq % 97, 100 * (1 + seq % 7)]
}

/// Receives until the publisher is gone; returns (ticks received, ticks lost,
/// the first loss reported).
fn consume(mut sub: broadcast::Subscriber<[u64; 2]>) -> (u64, u64, Option<u64>) {
    let (mut next, mut received, mut lost, mut first_loss) = (0, 0, 0, None);
    loop {
        match sub.recv() {
            Ok((seq, value)) => {
                // In order, no gap that was not reported, never a torn tick.
                assert_eq!((seq, value), (next, tick(next)));
                next += 1;
                received += 1;
            }
            Err(RecvError::Lagged(n)) => {
                first_loss.get_or_insert(n);
                lost += n;
                next += n; // exact: the next tick received is `next + n`
            }
            Err(RecvError::Disconnected) => return (received, lost, first_loss),
            Err(RecvError::Empty) => unreachable!("recv waits"),
        }
    }
}

fn main() {
    let (mut feed, fast) = broadcast::channel::<[u64; 2]>(CAPACITY);
    let slow = fast.clone(); // both start at tick 0
    let loaded = Arc::new(Event::manual_reset());

    let fast = thread::spawn(move || consume(fast));
    let slow = {
        let loaded = loaded.clone();
        thread::spawn(move || {
            loaded.wait(); // still loading while the first LOADING ticks go out
            consume(slow)
        })
    };

    for seq in 0..TICKS {
        assert_eq!(feed.publish(tick(seq)), seq); // never blocks
        if seq + 1 == LOADING {
            loaded.set();
        }
        if (seq + 1) % PACKET == 0 {
            // The gap until the next packet arrives: pacing only, nothing depends
            // on it (without it the fast one would lag too, and be told so).
            thread::sleep(Duration::from_micros(200));
        }
    }
    drop(feed); // subscribers read what is left, then get Disconnected

    let (fast, slow) = (fast.join().unwrap(), slow.join().unwrap());
    println!("fast: received {}, lost {}", fast.0, fast.1);
    println!(
        "slow: received {}, lost {} (first loss {:?})",
        slow.0, slow.1, slow.2
    );
    for (received, lost, _) in [fast, slow] {
        assert_eq!(received + lost, TICKS);
    }
    // The slow one started after LOADING ticks into a ring of CAPACITY, so its
    // first receive reported at least the ticks already overwritten. (The fast one
    // normally loses nothing; a machine busy enough may make it lag too.)
    assert!(slow.2.unwrap() >= LOADING - CAPACITY as u64);
}
