//! The async front on real executors: tokio's current-thread and multi-thread
//! runtimes and futures-executor's thread pool, with sync and async sides
//! mixed. Every test checks what arrived (all items, once each, in order per
//! producer), never how fast.

use futures_util::{SinkExt, StreamExt};
use ringkit::{broadcast, event::EventFlag, mpmc, spsc, PopError};
use std::sync::Arc;

const N: u64 = 20_000;

/// An async producer and an async consumer on one thread: every wait is a
/// task that must be woken by the other task, never by a thread.
#[tokio::test(flavor = "current_thread")]
async fn spsc_tasks_on_a_current_thread_runtime() {
    let (mut tx, mut rx) = spsc::channel::<u64>(4);
    let producer = tokio::spawn(async move {
        for i in 0..N {
            tx.push_async(i).await.unwrap();
        }
    });
    let mut next = 0;
    while let Ok(v) = rx.pop_async().await {
        assert_eq!(v, next);
        next += 1;
    }
    assert_eq!(next, N);
    producer.await.unwrap();
}

/// The producer as a `Sink`, the consumer as a `Stream`, on worker threads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spsc_sink_and_stream_on_a_multi_thread_runtime() {
    let (mut tx, mut rx) = spsc::channel::<u64>(8);
    let producer = tokio::spawn(async move {
        for i in 0..N {
            tx.send(i).await.unwrap();
        }
    });
    let mut next = 0;
    while let Some(v) = rx.next().await {
        assert_eq!(v, next);
        next += 1;
    }
    assert_eq!(next, N);
    producer.await.unwrap();
}

/// Two async producers and two async consumers: every item arrives exactly
/// once, and each producer's items in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mpmc_two_by_two_tasks() {
    let (tx, rx) = mpmc::channel::<(u64, u64)>(4);
    let mut producers = Vec::new();
    for p in 0..2 {
        let tx = tx.clone();
        producers.push(tokio::spawn(async move {
            for i in 0..N {
                tx.push_async((p, i)).await.unwrap();
            }
        }));
    }
    drop(tx);
    let mut consumers = Vec::new();
    for _ in 0..2 {
        let rx = rx.clone();
        consumers.push(tokio::spawn(async move {
            let mut last = [None::<u64>; 2];
            let mut count = 0u64;
            while let Ok((p, i)) = rx.pop_async().await {
                let p = p as usize;
                assert!(last[p].is_none_or(|l| l < i), "producer {p} out of order");
                last[p] = Some(i);
                count += 1;
            }
            count
        }));
    }
    drop(rx);
    for p in producers {
        p.await.unwrap();
    }
    let mut total = 0;
    for c in consumers {
        total += c.await.unwrap();
    }
    assert_eq!(total, 2 * N);
}

/// A sync producer thread (blocking pushes) and an async consumer (a
/// `Stream`), and the other way round: a thread parked on the futex and a
/// task both get woken by the other kind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_sync_and_async_sides() {
    let (tx, mut rx) = mpmc::channel::<u64>(2);
    let producer = std::thread::spawn(move || {
        for i in 0..N {
            tx.push(i).unwrap();
        }
    });
    let mut next = 0;
    while let Some(v) = rx.next().await {
        assert_eq!(v, next);
        next += 1;
    }
    assert_eq!(next, N);
    producer.join().unwrap();

    let (mut tx, mut rx) = spsc::channel::<u64>(2);
    let consumer = std::thread::spawn(move || {
        let mut next = 0;
        while let Ok(v) = rx.pop() {
            assert_eq!(v, next);
            next += 1;
        }
        next
    });
    for i in 0..N {
        tx.push_async(i).await.unwrap();
    }
    drop(tx);
    assert_eq!(consumer.join().unwrap(), N);
}

/// A thread blocked in `pop` and a task awaiting `pop_async` on the same
/// queue: pushes wake whichever waits, and each item goes to one of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thread_and_a_task_wait_on_one_queue() {
    let (tx, rx) = mpmc::channel::<u64>(1);
    let thread_rx = rx.clone();
    let by_thread = std::thread::spawn(move || {
        let mut n = 0u64;
        while thread_rx.pop().is_ok() {
            n += 1;
        }
        n
    });
    let by_task = tokio::spawn(async move {
        let mut n = 0u64;
        while rx.pop_async().await.is_ok() {
            n += 1;
        }
        n
    });
    for i in 0..N {
        tx.push_async(i).await.unwrap();
    }
    drop(tx);
    assert_eq!(by_thread.join().unwrap() + by_task.await.unwrap(), N);
}

/// futures-executor's thread pool: broadcast subscribers and an event flag
/// awaited from pool tasks while a thread publishes.
#[test]
fn broadcast_and_event_flag_on_a_futures_thread_pool() {
    let pool = futures_executor::ThreadPool::builder()
        .pool_size(2)
        .create()
        .unwrap();
    let (mut publisher, sub) = broadcast::channel::<u64>(1024);
    let flag = Arc::new(EventFlag::new(0u64));
    let mut handles = Vec::new();
    for _ in 0..2 {
        let mut sub = sub.clone();
        let (mut tx, rx) = oneshot();
        pool.spawn_ok(async move {
            let mut got = 0u64;
            loop {
                match sub.recv_async().await {
                    Ok((seq, v)) => {
                        assert_eq!(seq, v);
                        got += 1;
                    }
                    Err(broadcast::RecvError::Lagged(n)) => got += n,
                    Err(broadcast::RecvError::Disconnected) => break,
                    Err(broadcast::RecvError::Empty) => unreachable!("recv_async never says Empty"),
                }
            }
            tx.push(got).unwrap();
        });
        handles.push(rx);
    }
    drop(sub);
    let waiter = {
        let flag = flag.clone();
        let (mut tx, rx) = oneshot();
        pool.spawn_ok(async move {
            tx.push(flag.wait_newer_async(0).await.1).unwrap();
        });
        rx
    };
    for i in 0..1000 {
        publisher.publish(i);
    }
    flag.publish(42);
    drop(publisher);
    for mut rx in handles {
        // Every event is either received or counted in a lag report.
        assert_eq!(rx.pop(), Ok(1000));
    }
    let mut waiter = waiter;
    assert_eq!(waiter.pop(), Ok(42));
}

/// A one-item ring used as a oneshot from a pool task back to the test.
fn oneshot() -> (spsc::Producer<u64>, spsc::Consumer<u64>) {
    spsc::channel(1)
}

/// Dropping a pending `pop_async` loses nothing: the item pushed after the
/// drop is popped by the next call.
#[tokio::test(flavor = "current_thread")]
async fn a_cancelled_pop_loses_nothing() {
    let (tx, rx) = mpmc::channel::<u64>(2);
    let timed_out = tokio::select! {
        biased;
        _ = rx.pop_async() => false,
        _ = std::future::ready(()) => true,
    };
    assert!(timed_out);
    tx.try_push(5).unwrap();
    drop(tx);
    assert_eq!(rx.pop_async().await, Ok(5));
    assert_eq!(rx.pop_async().await, Err(PopError::Disconnected));
}
