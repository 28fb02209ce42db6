//! A sync producer thread feeding an async consumer task through a 64-slot
//! ringkit SPSC ring (`push` on the thread, `pop_async` in a task on tokio's
//! current-thread runtime), for counting system calls: how often each side
//! parks. Prints nanoseconds per item. Not a timing benchmark (the async bench's
//! "sync thread to async task" workload is the comparison with peers).
//!
//! Usage: `thread_to_task [ITEMS]` (default 2^18), for example
//! `perf stat -e 'syscalls:sys_enter_futex,syscalls:sys_enter_membarrier,syscalls:sys_enter_sched_yield' target/release/examples/thread_to_task`.

use std::time::Instant;

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("ITEMS is a number"))
        .unwrap_or(1 << 18);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime");
    let (mut tx, mut rx) = ringkit::spsc::channel::<u64>(64);
    let producer = std::thread::spawn(move || {
        for i in 0..n {
            tx.push(i).expect("the consumer is alive");
        }
        // Handed back so the ring does not disconnect before the last pop.
        tx
    });
    let took = rt.block_on(async {
        let start = Instant::now();
        for i in 0..n {
            assert_eq!(rx.pop_async().await, Ok(i), "lost or reordered item");
        }
        start.elapsed()
    });
    drop(producer.join().expect("producer thread panicked"));
    println!("{:.1} ns/item", took.as_nanos() as f64 / n as f64);
}
