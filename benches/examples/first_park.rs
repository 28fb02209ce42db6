//! How long ringkit's first blocking wait in a process takes, compared with the
//! next ones (the first may pay for faulting in the futex path's pages; the
//! membarrier registration is done when the flag is made). A second thread is alive, as in
//! any program that has something to wait for. Each wait times out after 50 us.
//!
//! `cargo run --release -p ringkit-benches --example first_park`

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = stop.clone();
    let other = std::thread::spawn(move || {
        while !s2.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
    std::thread::sleep(Duration::from_millis(5));
    let flag = ringkit::event::EventFlag::new(0u64);
    for i in 0..4 {
        let t = Instant::now();
        let _ = flag.wait_newer_timeout(0, Duration::from_micros(50));
        println!("wait {i} (times out after 50 us): {:?}", t.elapsed());
    }
    stop.store(true, Ordering::Relaxed);
    other.join().unwrap();
}
