//! ringkit's async front against its peers' async channels: tokio's `mpsc`,
//! `broadcast` and `watch`, async-channel, flume (`send_async`/`recv_async`) and
//! kanal (`bounded_async`), u64 items. Every task of every contestant runs on
//! tokio's current-thread runtime, one per workload, shared by its contestants:
//! the executor is the same for all, so only the channels differ.
//!
//! * `async_pingpong`: one u64 goes to an echo task and comes back incremented,
//!   over two capacity-1 channels; both tasks on the one runtime thread, so each
//!   round trip is two sends, two receives and two task switches through the
//!   executor (wake, schedule, poll). ns per round trip. The pinging side is
//!   the runtime's main (`block_on`) future.
//! * `async_pingpong_spawned`: the same, but both ends are spawned tasks and
//!   the main future only joins them. Tokio's current-thread scheduler polls
//!   the main future only when its run queue is empty (or after a round of
//!   up to 61 spawned tasks), and polls a spawned task that woke itself again
//!   before that, so the two shapes wait differently; both are common.
//! * `async_throughput`: a producer task sends `0..n` through a capacity-64
//!   channel to a consumer task on the same runtime thread: the cost of moving
//!   items when waits end in a task switch, not a thread wake-up. ns per item.
//! * `sync_to_async`: a producer OS thread (on `OTHER_CORE`) sends `0..n` with
//!   each channel's blocking send (ringkit `push`, tokio `blocking_send`,
//!   async-channel `send_blocking`, flume `send`, kanal `as_sync().send`) to a
//!   consumer task awaiting them on the runtime in the bench thread (on
//!   `MAIN_CORE`), through a capacity-64 channel: the bridge from threads to
//!   tasks, where the thread must wake the runtime. ns per item.
//! * `async_broadcast`: ringkit's broadcast ring against
//!   `tokio::sync::broadcast`: a publisher thread publishes `0..n` into a ring
//!   that holds them all (so the subscriber never lags), one subscriber task
//!   awaits each. ns per event.
//! * `async_watch`: ringkit's `EventFlag` against `tokio::sync::watch`: a writer
//!   thread publishes generations `1..=n` back to back, a task waits for a newer
//!   one over and over until it has seen `n`. Both readers may skip generations
//!   (each wait returns the newest, not the next), so this measures how fast
//!   news of the last publish gets through, not a per-publish hand-off. ns per
//!   publish; the wake-ups the reader needed are printed alongside.
//!
//! The two-thread workloads pin one thread to each of two cores: on a 2-core
//! machine a 2-thread workload is the largest that is not oversubscribed. The
//! single-thread ones (ping-pong, throughput) stay on `MAIN_CORE`.
//!
//! Every run checks its outcome (each item once and in order, the echoed values,
//! the last generation), so a broken channel fails the bench, not just slows it.
//!
//! Two passes, as in `spsc.rs`: criterion groups (one per workload above), then
//! the comparison: repetitions alternated across contestants, medians with
//! min/max printed and appended to `target/ringkit-bench/results.jsonl`.
//!
//! Knobs: `RINGKIT_BENCH_ONLY=criterion|compare`, `RINGKIT_BENCH_REPS` (default
//! 31). `cargo bench -p ringkit-benches --bench async -- --test` runs everything
//! once, tiny, recording nothing.

mod common;

use common::{alternate, pin_to, record, Contestant, Kind, Outcome, MAIN_CORE, OTHER_CORE};
use criterion::{Criterion, Throughput};
use ringkit::event::EventFlag;
use std::cell::Cell;
use std::future::Future;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

/// Capacity of the two channels of the ping-pong: one item in flight each way.
const PINGPONG_CAPACITY: usize = 1;
/// Capacity of the throughput channels (task to task and thread to task).
const CAPACITY: usize = 64;
/// Items (events, publishes) per criterion iteration of the streaming benches.
const ITEMS_PER_ITER: u64 = 1024;

/// The runtime every contestant's tasks run on: tokio's current-thread
/// scheduler, no I/O or timer driver (none is needed).
fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime")
}

/// A bounded channel with async send and receive, and a blocking send for the
/// thread-to-task workload. The futures are `Send` so tasks can be spawned.
trait AsyncChannel: 'static {
    type Tx: Send + 'static;
    type Rx: Send + 'static;
    fn make(capacity: usize) -> (Self::Tx, Self::Rx);
    /// Sends `v`, waiting (without blocking the thread) while the channel is full.
    fn send(tx: &mut Self::Tx, v: u64) -> impl Future<Output = ()> + Send + '_;
    /// Receives an item, waiting while the channel is empty; `None` once every
    /// sender is gone and the channel is empty.
    fn recv(rx: &mut Self::Rx) -> impl Future<Output = Option<u64>> + Send + '_;
    /// Sends `v` from a plain thread, blocking it while the channel is full.
    fn send_blocking(tx: &mut Self::Tx, v: u64);
}

/// ringkit `spsc::channel`: `push_async` / `pop_async`, blocking `push`.
struct RingkitSpsc;
/// ringkit `mpmc::channel`: `push_async` / `pop_async`, blocking `push`.
struct RingkitMpmc;
/// `tokio::sync::mpsc::channel`: `send` / `recv`, `blocking_send`.
struct TokioMpsc;
/// async-channel `bounded`: `send` / `recv`, `send_blocking`.
struct AsyncChan;
/// flume `bounded`: `send_async` / `recv_async`, `send`.
struct Flume;
/// kanal `bounded_async`: `send` / `recv`, and `as_sync().send` from a thread.
struct Kanal;

impl AsyncChannel for RingkitSpsc {
    type Tx = ringkit::spsc::Producer<u64>;
    type Rx = ringkit::spsc::Consumer<u64>;
    fn make(capacity: usize) -> (Self::Tx, Self::Rx) {
        ringkit::spsc::channel(capacity)
    }
    async fn send(tx: &mut Self::Tx, v: u64) {
        tx.push_async(v).await.expect("consumer alive")
    }
    async fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.pop_async().await.ok()
    }
    fn send_blocking(tx: &mut Self::Tx, v: u64) {
        tx.push(v).expect("consumer alive");
    }
}

impl AsyncChannel for RingkitMpmc {
    type Tx = ringkit::mpmc::Sender<u64>;
    type Rx = ringkit::mpmc::Receiver<u64>;
    fn make(capacity: usize) -> (Self::Tx, Self::Rx) {
        ringkit::mpmc::channel(capacity)
    }
    async fn send(tx: &mut Self::Tx, v: u64) {
        tx.push_async(v).await.expect("receivers alive")
    }
    async fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.pop_async().await.ok()
    }
    fn send_blocking(tx: &mut Self::Tx, v: u64) {
        tx.push(v).expect("receivers alive");
    }
}

impl AsyncChannel for TokioMpsc {
    type Tx = tokio::sync::mpsc::Sender<u64>;
    type Rx = tokio::sync::mpsc::Receiver<u64>;
    fn make(capacity: usize) -> (Self::Tx, Self::Rx) {
        tokio::sync::mpsc::channel(capacity)
    }
    async fn send(tx: &mut Self::Tx, v: u64) {
        tx.send(v).await.expect("receiver alive")
    }
    async fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.recv().await
    }
    fn send_blocking(tx: &mut Self::Tx, v: u64) {
        tx.blocking_send(v).expect("receiver alive");
    }
}

impl AsyncChannel for AsyncChan {
    type Tx = async_channel::Sender<u64>;
    type Rx = async_channel::Receiver<u64>;
    fn make(capacity: usize) -> (Self::Tx, Self::Rx) {
        async_channel::bounded(capacity)
    }
    async fn send(tx: &mut Self::Tx, v: u64) {
        tx.send(v).await.expect("receivers alive")
    }
    async fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.recv().await.ok()
    }
    fn send_blocking(tx: &mut Self::Tx, v: u64) {
        tx.send_blocking(v).expect("receivers alive");
    }
}

impl AsyncChannel for Flume {
    type Tx = flume::Sender<u64>;
    type Rx = flume::Receiver<u64>;
    fn make(capacity: usize) -> (Self::Tx, Self::Rx) {
        flume::bounded(capacity)
    }
    async fn send(tx: &mut Self::Tx, v: u64) {
        tx.send_async(v).await.expect("receivers alive")
    }
    async fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.recv_async().await.ok()
    }
    fn send_blocking(tx: &mut Self::Tx, v: u64) {
        tx.send(v).expect("receivers alive");
    }
}

impl AsyncChannel for Kanal {
    type Tx = kanal::AsyncSender<u64>;
    type Rx = kanal::AsyncReceiver<u64>;
    fn make(capacity: usize) -> (Self::Tx, Self::Rx) {
        kanal::bounded_async(capacity)
    }
    async fn send(tx: &mut Self::Tx, v: u64) {
        tx.send(v).await.expect("receivers alive")
    }
    async fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.recv().await.ok()
    }
    fn send_blocking(tx: &mut Self::Tx, v: u64) {
        tx.as_sync().send(v).expect("receivers alive");
    }
}

/// The echo end of a ping-pong: sends back each value it receives, plus one,
/// until the ping channel disconnects. Returns how many values it echoed and
/// its end, so the pong channel stays open until the caller drops it.
async fn echo<C: AsyncChannel>(mut ping_rx: C::Rx, mut pong_tx: C::Tx) -> (u64, C::Tx) {
    let mut echoed = 0u64;
    while let Some(v) = C::recv(&mut ping_rx).await {
        C::send(&mut pong_tx, v + 1).await;
        echoed += 1;
    }
    (echoed, pong_tx)
}

/// The pinging end: sends `i` and awaits `i + 1`, `trips` times, then drops
/// its sender, which ends the echo. Returns the time of the round trips and
/// its receiving end.
async fn ping<C: AsyncChannel>(
    mut ping_tx: C::Tx,
    mut pong_rx: C::Rx,
    trips: u64,
) -> (Duration, C::Rx) {
    let start = Instant::now();
    for i in 0..trips {
        C::send(&mut ping_tx, i).await;
        let back = C::recv(&mut pong_rx).await.expect("echo task alive");
        assert_eq!(back, i + 1, "wrong value echoed");
    }
    (start.elapsed(), pong_rx)
}

/// Ping-pong: the calling thread (pinned to `MAIN_CORE`) runs `rt`; its main
/// future is the pinging end, against an echo task spawned on the same
/// runtime. Returns the time of the `trips` round trips.
fn pingpong<C: AsyncChannel>(rt: &Runtime, trips: u64) -> Duration {
    pin_to(MAIN_CORE);
    let (ping_tx, ping_rx) = C::make(PINGPONG_CAPACITY);
    let (pong_tx, pong_rx) = C::make(PINGPONG_CAPACITY);
    rt.block_on(async move {
        let echo = tokio::spawn(echo::<C>(ping_rx, pong_tx));
        let (t, pong_rx) = ping::<C>(ping_tx, pong_rx, trips).await;
        let (echoed, pong_tx) = echo.await.expect("echo task panicked");
        drop((pong_tx, pong_rx));
        assert_eq!(echoed, trips, "echo task saw a different number of pings");
        t
    })
}

/// Ping-pong between two spawned tasks: as [`pingpong`], but the pinging end
/// is a task spawned on `rt` too, and the main future only waits for both.
/// Tokio's current-thread scheduler polls the main future only between rounds
/// of spawned tasks, so this is the shape in which the two ends of a ping-pong
/// take turns in the run queue. Returns the time of the `trips` round trips,
/// measured inside the pinging task.
fn pingpong_spawned<C: AsyncChannel>(rt: &Runtime, trips: u64) -> Duration {
    pin_to(MAIN_CORE);
    let (ping_tx, ping_rx) = C::make(PINGPONG_CAPACITY);
    let (pong_tx, pong_rx) = C::make(PINGPONG_CAPACITY);
    rt.block_on(async move {
        let echo = tokio::spawn(echo::<C>(ping_rx, pong_tx));
        let pinger = tokio::spawn(ping::<C>(ping_tx, pong_rx, trips));
        let (t, pong_rx) = pinger.await.expect("ping task panicked");
        let (echoed, pong_tx) = echo.await.expect("echo task panicked");
        drop((pong_tx, pong_rx));
        assert_eq!(echoed, trips, "echo task saw a different number of pings");
        t
    })
}

/// Task to task: a producer task spawned on `rt` sends `0..items`, the main
/// future (on the calling thread, pinned to `MAIN_CORE`) receives them and
/// checks that each came once and in order. Returns the time from spawning the
/// producer to the last receive.
fn task_to_task<C: AsyncChannel>(rt: &Runtime, items: u64) -> Duration {
    pin_to(MAIN_CORE);
    let (mut tx, mut rx) = C::make(CAPACITY);
    rt.block_on(async move {
        let start = Instant::now();
        // The producer hands its end back so no channel disconnects early.
        let producer = tokio::spawn(async move {
            for i in 0..items {
                C::send(&mut tx, i).await;
            }
            tx
        });
        for i in 0..items {
            let v = C::recv(&mut rx).await.expect("producer alive");
            assert_eq!(v, i, "lost, duplicated or reordered item");
        }
        let t = start.elapsed();
        drop(producer.await.expect("producer task panicked"));
        t
    })
}

/// Thread to task: a producer thread (pinned to `OTHER_CORE`) sends `0..items`
/// with the blocking send; the main future of `rt`, on the calling thread
/// (pinned to `MAIN_CORE`), awaits them and checks each came once and in order.
/// Returns the time from the runtime's first poll to the last receive.
fn thread_to_task<C: AsyncChannel>(rt: &Runtime, items: u64) -> Duration {
    let (mut tx, mut rx) = C::make(CAPACITY);
    let ready = Arc::new(Barrier::new(2));
    let producer = {
        let ready = ready.clone();
        thread::spawn(move || {
            pin_to(OTHER_CORE);
            ready.wait();
            for i in 0..items {
                C::send_blocking(&mut tx, i);
            }
            // Handed back so the channel does not disconnect early.
            tx
        })
    };
    pin_to(MAIN_CORE);
    ready.wait();
    let t = rt.block_on(async {
        let start = Instant::now();
        for i in 0..items {
            let v = C::recv(&mut rx).await.expect("producer alive");
            assert_eq!(v, i, "lost, duplicated or reordered item");
        }
        start.elapsed()
    });
    drop(producer.join().expect("producer thread panicked"));
    t
}

/// A broadcast channel with a publisher used from a thread and one subscriber
/// awaited in a task.
trait Broadcast: 'static {
    type Pub: Send + 'static;
    type Sub;
    fn make(capacity: usize) -> (Self::Pub, Self::Sub);
    fn publish(p: &mut Self::Pub, v: u64);
    /// The next event's value; panics if the subscriber lagged.
    async fn recv(s: &mut Self::Sub) -> u64;
}

/// ringkit `broadcast::channel`: `publish`, `recv_async`.
struct RingkitBroadcast;
/// `tokio::sync::broadcast::channel`: `send`, `recv`.
struct TokioBroadcast;

impl Broadcast for RingkitBroadcast {
    type Pub = ringkit::broadcast::Publisher<u64>;
    type Sub = ringkit::broadcast::Subscriber<u64>;
    fn make(capacity: usize) -> (Self::Pub, Self::Sub) {
        ringkit::broadcast::channel(capacity)
    }
    fn publish(p: &mut Self::Pub, v: u64) {
        p.publish(v);
    }
    async fn recv(s: &mut Self::Sub) -> u64 {
        let (seq, v) = s.recv_async().await.expect("no lag, publisher alive");
        // Events are numbered from 0 and carry their own number.
        assert_eq!(seq, v, "event out of sequence");
        v
    }
}

impl Broadcast for TokioBroadcast {
    type Pub = tokio::sync::broadcast::Sender<u64>;
    type Sub = tokio::sync::broadcast::Receiver<u64>;
    fn make(capacity: usize) -> (Self::Pub, Self::Sub) {
        tokio::sync::broadcast::channel(capacity)
    }
    fn publish(p: &mut Self::Pub, v: u64) {
        p.send(v).expect("subscriber alive");
    }
    async fn recv(s: &mut Self::Sub) -> u64 {
        s.recv().await.expect("no lag, publisher alive")
    }
}

/// Broadcast: a publisher thread (pinned to `OTHER_CORE`) publishes `0..events`
/// into a ring of at least `events` slots, so nothing is overwritten unread; the
/// main future of `rt` (pinned to `MAIN_CORE`) awaits each and checks each came
/// once and in order. Returns the time from the first publish to the last
/// receive (the clock starts on the publisher's side, as in `watch`: a
/// subscriber that starts late would otherwise time only the drain of a full
/// ring).
fn broadcast<B: Broadcast>(rt: &Runtime, events: u64) -> Duration {
    let (mut p, mut s) = B::make(events as usize);
    let ready = Arc::new(Barrier::new(2));
    let publisher = {
        let ready = ready.clone();
        thread::spawn(move || {
            pin_to(OTHER_CORE);
            ready.wait();
            let start = Instant::now();
            for i in 0..events {
                B::publish(&mut p, i);
            }
            // Handed back so the subscriber never sees a disconnection.
            (p, start)
        })
    };
    pin_to(MAIN_CORE);
    ready.wait();
    let end = rt.block_on(async {
        for i in 0..events {
            assert_eq!(B::recv(&mut s).await, i, "lost or reordered event");
        }
        Instant::now()
    });
    let (p, start) = publisher.join().expect("publisher thread panicked");
    drop(p);
    end.saturating_duration_since(start)
}

/// A latest-value cell whose readers await a newer value.
trait Watch: 'static {
    type Writer: Send + 'static;
    type Reader;
    /// A cell holding 0.
    fn make() -> (Self::Writer, Self::Reader);
    fn publish(w: &Self::Writer, v: u64);
    /// Waits for a value newer than `seen` and returns the newest.
    async fn wait_newer(r: &mut Self::Reader, seen: u64) -> u64;
}

/// ringkit `EventFlag`: `publish`, `wait_newer_async`.
struct RingkitFlag;
/// `tokio::sync::watch::channel`: `send`, `changed` + `borrow_and_update`.
struct TokioWatch;

impl Watch for RingkitFlag {
    type Writer = Arc<EventFlag<u64>>;
    type Reader = Arc<EventFlag<u64>>;
    fn make() -> (Self::Writer, Self::Reader) {
        let flag = Arc::new(EventFlag::new(0));
        (flag.clone(), flag)
    }
    fn publish(w: &Self::Writer, v: u64) {
        w.publish(v);
    }
    async fn wait_newer(r: &mut Self::Reader, seen: u64) -> u64 {
        let (generation, v) = r.wait_newer_async(seen).await;
        // The writer's k-th publish is value k: generation and value agree.
        assert_eq!(generation, v, "value of another generation");
        v
    }
}

impl Watch for TokioWatch {
    type Writer = tokio::sync::watch::Sender<u64>;
    type Reader = tokio::sync::watch::Receiver<u64>;
    fn make() -> (Self::Writer, Self::Reader) {
        tokio::sync::watch::channel(0)
    }
    fn publish(w: &Self::Writer, v: u64) {
        w.send(v).expect("reader alive");
    }
    async fn wait_newer(r: &mut Self::Reader, _seen: u64) -> u64 {
        // `changed` waits for a value the receiver has not marked seen, and
        // `borrow_and_update` marks the newest seen: the same contract.
        r.changed().await.expect("writer alive");
        *r.borrow_and_update()
    }
}

/// Watch: a writer thread (pinned to `OTHER_CORE`) publishes `1..=publishes`
/// back to back; the main future of `rt` (pinned to `MAIN_CORE`) waits for a
/// newer value until it has seen the last. Returns the time from the writer's
/// first publish to the reader seeing the last, and how many waits that took
/// (at most `publishes`: the reader may skip values). The clock starts on the
/// writer's side: a reader that starts late (descheduled after the barrier
/// while the writer runs) would otherwise time only its last wait.
fn watch<W: Watch>(rt: &Runtime, publishes: u64) -> (Duration, u64) {
    let (w, mut r) = W::make();
    let ready = Arc::new(Barrier::new(2));
    let writer = {
        let ready = ready.clone();
        thread::spawn(move || {
            pin_to(OTHER_CORE);
            ready.wait();
            let start = Instant::now();
            for i in 1..=publishes {
                W::publish(&w, i);
            }
            // Handed back so the reader never sees a disconnection.
            (w, start)
        })
    };
    pin_to(MAIN_CORE);
    ready.wait();
    let (end, waits) = rt.block_on(async {
        let (mut seen, mut waits) = (0, 0);
        while seen < publishes {
            let v = W::wait_newer(&mut r, seen).await;
            assert!(v > seen && v <= publishes, "saw {v} after {seen}");
            seen = v;
            waits += 1;
        }
        (Instant::now(), waits)
    });
    let (w, start) = writer.join().expect("writer thread panicked");
    drop(w);
    (end.saturating_duration_since(start), waits)
}

/// One repetition of a workload: the runtime to run on and the amount of work.
type Workload = fn(&Runtime, u64) -> Duration;

/// A workload generic over the channel, so one list of contestants serves all
/// three channel workloads.
trait ChannelWorkload {
    fn run<C: AsyncChannel>(rt: &Runtime, n: u64) -> Duration;
}

struct PingPong;
struct PingPongSpawned;
struct TaskToTask;
struct ThreadToTask;

impl ChannelWorkload for PingPong {
    fn run<C: AsyncChannel>(rt: &Runtime, n: u64) -> Duration {
        pingpong::<C>(rt, n)
    }
}

impl ChannelWorkload for PingPongSpawned {
    fn run<C: AsyncChannel>(rt: &Runtime, n: u64) -> Duration {
        pingpong_spawned::<C>(rt, n)
    }
}

impl ChannelWorkload for TaskToTask {
    fn run<C: AsyncChannel>(rt: &Runtime, n: u64) -> Duration {
        task_to_task::<C>(rt, n)
    }
}

impl ChannelWorkload for ThreadToTask {
    fn run<C: AsyncChannel>(rt: &Runtime, n: u64) -> Duration {
        thread_to_task::<C>(rt, n)
    }
}

/// The six channel contestants of workload `W`, ringkit's two first.
fn channel_contestants<W: ChannelWorkload>() -> [(&'static str, Kind, Workload); 6] {
    [
        ("ringkit spsc", Kind::Ringkit, W::run::<RingkitSpsc>),
        ("ringkit mpmc", Kind::Ringkit, W::run::<RingkitMpmc>),
        ("tokio mpsc", Kind::Peer, W::run::<TokioMpsc>),
        ("async-channel", Kind::Peer, W::run::<AsyncChan>),
        ("flume", Kind::Peer, W::run::<Flume>),
        ("kanal", Kind::Peer, W::run::<Kanal>),
    ]
}

/// One criterion group: every contestant of `W`, `per_iter` units per iteration,
/// each on a runtime of its own (built outside the measurement).
fn channel_group<W: ChannelWorkload>(c: &mut Criterion, group: &str, per_iter: u64) {
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements(per_iter));
    for (name, _, run) in channel_contestants::<W>() {
        let rt = runtime();
        g.bench_function(name, |b| b.iter_custom(|iters| run(&rt, iters * per_iter)));
    }
    g.finish();
}

fn criterion_pass(c: &mut Criterion) {
    channel_group::<PingPong>(c, "async_pingpong", 1);
    channel_group::<PingPongSpawned>(c, "async_pingpong_spawned", 1);
    channel_group::<TaskToTask>(c, "async_throughput", ITEMS_PER_ITER);
    channel_group::<ThreadToTask>(c, "sync_to_async", ITEMS_PER_ITER);

    // Rounds of ITEMS_PER_ITER events into a ring of that size, not one run of
    // `iters * ITEMS_PER_ITER`: a ring that holds every event of a long sample
    // would be huge (tokio allocates all its slots up front).
    let mut g = c.benchmark_group("async_broadcast");
    g.throughput(Throughput::Elements(ITEMS_PER_ITER));
    let rt = runtime();
    g.bench_function("ringkit", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| broadcast::<RingkitBroadcast>(&rt, ITEMS_PER_ITER))
                .sum()
        })
    });
    g.bench_function("tokio broadcast", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| broadcast::<TokioBroadcast>(&rt, ITEMS_PER_ITER))
                .sum()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("async_watch");
    g.throughput(Throughput::Elements(ITEMS_PER_ITER));
    g.bench_function("ringkit EventFlag", |b| {
        b.iter_custom(|iters| watch::<RingkitFlag>(&rt, iters * ITEMS_PER_ITER).0)
    });
    g.bench_function("tokio watch", |b| {
        b.iter_custom(|iters| watch::<TokioWatch>(&rt, iters * ITEMS_PER_ITER).0)
    });
    g.finish();
}

pub struct Sizes {
    pub reps: usize,
    /// Round trips per ping-pong repetition.
    pub trips: u64,
    /// Items per task-to-task repetition.
    pub items: u64,
    /// Items per thread-to-task repetition.
    pub thread_items: u64,
    /// Events per broadcast repetition (and the ring's capacity).
    pub events: u64,
    /// Publishes per watch repetition.
    pub publishes: u64,
}

/// Nanoseconds per unit of work.
fn ns_per(t: Duration, n: u64) -> f64 {
    t.as_nanos() as f64 / n as f64
}

/// The contestants of workload `W` over `n` units each, alternated on one
/// runtime.
fn compare_channels<W: ChannelWorkload>(
    workload: &'static str,
    unit: &'static str,
    reps: usize,
    n: u64,
) -> Outcome {
    let rt = runtime();
    let rt = &rt;
    let mut cs: Vec<Contestant<'_>> = channel_contestants::<W>()
        .into_iter()
        .map(|(name, kind, run)| Contestant::new(name, kind, move || ns_per(run(rt, n), n)))
        .collect();
    alternate(workload, unit, false, reps, &mut cs)
}

fn compare_broadcast(s: &Sizes) -> Outcome {
    let (rt, n) = (runtime(), s.events);
    let rt = &rt;
    let mut cs = [
        Contestant::new("ringkit", Kind::Ringkit, || {
            ns_per(broadcast::<RingkitBroadcast>(rt, n), n)
        }),
        Contestant::new("tokio broadcast", Kind::Peer, || {
            ns_per(broadcast::<TokioBroadcast>(rt, n), n)
        }),
    ];
    alternate(
        "async broadcast, publisher thread to subscriber task",
        "ns/event",
        false,
        s.reps,
        &mut cs,
    )
}

const WATCH_WORKLOAD: &str = "async watch, writer thread to waiting task";

/// The watch comparison, and per contestant the reader's waits in its last
/// repetition (how many of the publishes it saw).
fn compare_watch(s: &Sizes) -> (Outcome, [(&'static str, u64); 2]) {
    let (rt, n) = (runtime(), s.publishes);
    let rt = &rt;
    let (ringkit_waits, tokio_waits) = (Cell::new(0), Cell::new(0));
    let mut cs = [
        Contestant::new("ringkit EventFlag", Kind::Ringkit, || {
            let (t, waits) = watch::<RingkitFlag>(rt, n);
            ringkit_waits.set(waits);
            ns_per(t, n)
        }),
        Contestant::new("tokio watch", Kind::Peer, || {
            let (t, waits) = watch::<TokioWatch>(rt, n);
            tokio_waits.set(waits);
            ns_per(t, n)
        }),
    ];
    let o = alternate(WATCH_WORKLOAD, "ns/publish", false, s.reps, &mut cs);
    drop(cs);
    (
        o,
        [
            ("ringkit EventFlag", ringkit_waits.get()),
            ("tokio watch", tokio_waits.get()),
        ],
    )
}

fn main() {
    let mode = common::BenchMode::from_env();
    let test_mode = mode.test;

    if mode.criterion() {
        common::run_criterion(criterion_pass);
    }

    if mode.compare() {
        let s = if test_mode {
            Sizes {
                reps: 1,
                trips: 1_000,
                items: 4_096,
                thread_items: 4_096,
                events: 4_096,
                publishes: 4_096,
            }
        } else {
            Sizes {
                reps: common::env_usize("RINGKIT_BENCH_REPS", 31),
                trips: 50_000,
                items: 1 << 16,
                thread_items: 1 << 18,
                events: 1 << 16,
                publishes: 1 << 16,
            }
        };
        let m = common::Machine::describe();
        println!(
            "\ncomparison: {} cores, {}, load average {}",
            m.cores, m.cpu, m.load
        );
        if m.cores < 2 {
            println!(
                "NOTE: the thread-to-task, broadcast and watch workloads run 2 busy threads \
                 on {} core: oversubscribed.",
                m.cores
            );
        }
        let start = Instant::now();
        let mut outcomes = vec![
            compare_channels::<PingPong>(
                "async ping-pong round trip, one runtime thread",
                "ns/round trip",
                s.reps,
                s.trips,
            ),
            compare_channels::<PingPongSpawned>(
                "async ping-pong round trip, both ends spawned tasks",
                "ns/round trip",
                s.reps,
                s.trips,
            ),
            compare_channels::<TaskToTask>(
                "async task-to-task throughput, one runtime thread",
                "ns/item",
                s.reps,
                s.items,
            ),
            compare_channels::<ThreadToTask>(
                "sync thread to async task throughput",
                "ns/item",
                s.reps,
                s.thread_items,
            ),
            compare_broadcast(&s),
        ];
        let (watch_outcome, watch_waits) = compare_watch(&s);
        outcomes.push(watch_outcome);
        for o in &outcomes {
            o.print();
            if o.workload == WATCH_WORKLOAD {
                for (name, waits) in watch_waits {
                    println!(
                        "  {name}: {waits} waits to see {} publishes (last repetition)",
                        s.publishes
                    );
                }
            }
            if !test_mode {
                record("bench", o);
            }
        }
        println!("\ncomparison took {:.1} s", start.elapsed().as_secs_f64());
    }
}
