//! The three patterns together, on one receiving thread:
//!
//! * a queue: order messages from two threads on an MPMC queue,
//! * an event flag: the newest price, published by a ticker thread,
//! * callbacks with acknowledgement: a `Dispatcher` runs a handler for each, removes
//!   an order only after its handler succeeds, redelivers a failed one (same
//!   sequence number, higher attempt count) and dead-letters it after three tries,
//!   and runs jobs that other threads submit ("run this on the engine thread").
//!
//! `cargo run --example dispatch`

use ringkit::dispatch::{self, DeadLetter, Dispatcher, Failure, Retry, RunEnd};
use ringkit::event::EventFlag;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::sync::Arc;
use std::thread;

#[derive(Debug)]
struct Order {
    client: u32,
    qty: u32,
}

fn main() {
    let (orders, order_rx) = ringkit::mpmc::channel::<Order>(64);
    let price = Arc::new(EventFlag::new(100u64));
    let (jobs, executor) = dispatch::jobs(16);
    // What ended how, counted by the handlers and checked at the end.
    let [acked, dead, done] = [(); 3].map(|_| Arc::new(AtomicU32::new(0)));

    // Built here, run on the engine thread; its state lives in the handlers.
    let mut engine = Dispatcher::new();
    engine.on_event(price.clone(), |u| {
        // A slow handler skips prices; it never holds up the ticker.
        println!(
            "price   {} (generation {}, skipped {})",
            u.value, u.generation, u.skipped
        );
        Ok::<_, ()>(())
    });
    let (acks, deads) = (acked.clone(), dead.clone());
    engine.on_mpmc_with(
        order_rx,
        Retry::attempts(3).dead_letter(move |l: DeadLetter<Order, String>| {
            let why = match l.failure {
                Failure::Error(e) => e,
                Failure::Panic(_) => "panicked".to_string(),
            };
            println!(
                "dead    #{} {:?} after {} attempts: {why}",
                l.seq, l.message, l.attempts
            );
            assert_eq!(l.attempts, 3);
            deads.fetch_add(1, Relaxed);
        }),
        move |d| {
            let order = &*d.message;
            if order.qty == 0 {
                return Err(format!("empty order from client {}", order.client));
            }
            if order.client == 2 && d.attempt == 1 {
                // A transient failure: the order stays with the dispatcher.
                return Err("risk check busy".to_string());
            }
            println!(
                "order   #{} client {} qty {} (attempt {})",
                d.seq, order.client, order.qty, d.attempt
            );
            acks.fetch_add(1, Relaxed);
            Ok(()) // acknowledged: the order is dropped only now
        },
    );
    engine.on_jobs(executor);
    let stop = engine.stop_handle();

    let engine = thread::spawn(move || engine.run());

    let ticker = {
        let price = price.clone();
        thread::spawn(move || {
            for p in 101..=120 {
                price.publish(p);
            }
        })
    };
    let clients: Vec<_> = (1..=2)
        .map(|client| {
            let (orders, jobs, done) = (orders.clone(), jobs.clone(), done.clone());
            thread::spawn(move || {
                for qty in [10, 0, 5] {
                    orders.push(Order { client, qty }).unwrap();
                }
                jobs.submit(move || {
                    println!("job     client {client} is done");
                    done.fetch_add(1, Relaxed);
                })
                .unwrap();
            })
        })
        .collect();
    drop((orders, jobs));
    ticker.join().unwrap();
    for c in clients {
        c.join().unwrap();
    }
    // The queues disconnect once their senders are gone and they are drained;
    // the event flag never does, but it is not counted, so `run` ends then. (A
    // Stop would end it from any thread.)
    let end = engine.join().unwrap();
    println!("engine  ended: {end:?}");
    assert_eq!(end, RunEnd::Disconnected);
    // Each client's two real orders were acknowledged (client 2's after a retry),
    // its empty one dead-lettered after 3 attempts, and its job ran.
    assert_eq!([&acked, &dead, &done].map(|c| c.load(Relaxed)), [4, 2, 2]);
    stop.stop(); // sticky: a later `run` would return at once
}
