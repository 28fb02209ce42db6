//! The broadcast ring against `tokio::sync::broadcast` (used synchronously, through
//! `try_recv` and `blocking_recv`) and the `bus` crate, in one run.
//!
//! * `broadcast_same_thread`: publish one u64 and receive it on one subscriber,
//!   on one thread: the bare cost of the two operations.
//! * `broadcast_1p1s`: a publisher thread sends 4096 u64 events into a ring that
//!   holds them all (so nobody laps and bus, which blocks instead of dropping,
//!   never waits); a subscriber thread receives them with its blocking receive.
//!   Each sample includes spawning the subscriber thread, for all three alike.
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::thread;
use std::time::{Duration, Instant};

const EVENTS: u64 = 4096;

fn same_thread(c: &mut Criterion) {
    let mut g = c.benchmark_group("broadcast_same_thread");
    g.throughput(Throughput::Elements(1));
    g.measurement_time(Duration::from_secs(2));
    g.warm_up_time(Duration::from_millis(500));

    let (mut p, mut s) = ringkit::broadcast::channel::<u64>(1024);
    g.bench_function("ringkit", |b| {
        b.iter(|| {
            p.publish(black_box(1));
            s.try_recv().unwrap()
        })
    });

    let (tx, mut rx) = tokio::sync::broadcast::channel::<u64>(1024);
    g.bench_function("tokio", |b| {
        b.iter(|| {
            tx.send(black_box(1)).unwrap();
            rx.try_recv().unwrap()
        })
    });

    let mut bus = bus::Bus::<u64>::new(1024);
    let mut reader = bus.add_rx();
    g.bench_function("bus", |b| {
        b.iter(|| {
            bus.broadcast(black_box(1));
            reader.try_recv().unwrap()
        })
    });
    g.finish();
}

fn one_publisher_one_subscriber(c: &mut Criterion) {
    let mut g = c.benchmark_group("broadcast_1p1s");
    g.throughput(Throughput::Elements(EVENTS));
    g.measurement_time(Duration::from_secs(3));
    g.warm_up_time(Duration::from_millis(500));
    g.sample_size(20);

    g.bench_function("ringkit", |b| {
        b.iter_custom(|rounds| {
            let mut total = Duration::ZERO;
            for _ in 0..rounds {
                let (mut p, mut s) = ringkit::broadcast::channel::<u64>(EVENTS as usize);
                let start = Instant::now();
                let h = thread::spawn(move || {
                    let mut sum = 0;
                    while let Ok((_, v)) = s.recv() {
                        sum += v;
                    }
                    assert_eq!(sum, EVENTS * (EVENTS - 1) / 2);
                });
                for i in 0..EVENTS {
                    p.publish(i);
                }
                drop(p);
                h.join().unwrap();
                total += start.elapsed();
            }
            total
        })
    });

    g.bench_function("tokio", |b| {
        b.iter_custom(|rounds| {
            let mut total = Duration::ZERO;
            for _ in 0..rounds {
                let (tx, mut rx) = tokio::sync::broadcast::channel::<u64>(EVENTS as usize);
                let start = Instant::now();
                let h = thread::spawn(move || {
                    let mut sum = 0;
                    while let Ok(v) = rx.blocking_recv() {
                        sum += v;
                    }
                    assert_eq!(sum, EVENTS * (EVENTS - 1) / 2);
                });
                for i in 0..EVENTS {
                    tx.send(i).unwrap();
                }
                drop(tx);
                h.join().unwrap();
                total += start.elapsed();
            }
            total
        })
    });

    g.bench_function("bus", |b| {
        b.iter_custom(|rounds| {
            let mut total = Duration::ZERO;
            for _ in 0..rounds {
                let mut bus = bus::Bus::<u64>::new(EVENTS as usize);
                let mut reader = bus.add_rx();
                let start = Instant::now();
                let h = thread::spawn(move || {
                    let mut sum = 0;
                    while let Ok(v) = reader.recv() {
                        sum += v;
                    }
                    assert_eq!(sum, EVENTS * (EVENTS - 1) / 2);
                });
                for i in 0..EVENTS {
                    bus.broadcast(i);
                }
                drop(bus);
                h.join().unwrap();
                total += start.elapsed();
            }
            total
        })
    });
    g.finish();
}

criterion_group!(benches, same_thread, one_publisher_one_subscriber);
criterion_main!(benches);
