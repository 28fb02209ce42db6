//! One single-thread MPMC workload for one contestant, for `valgrind
//! --tool=callgrind` (instructions per item, and where they go) and for quick
//! same-binary timings pinned with `taskset`. Prints nanoseconds per item. Not
//! a timing benchmark: the async and MPMC benches compare with peers.
//!
//! Usage: `async_profile ringkit|kanal
//! task-to-task|ping-pong|ping-pong-spawned|try [ITEMS]` (default 10^6):
//!
//! * `task-to-task`: the async bench's workload of that name (a producer task
//!   and the consumer, the `block_on` future, on tokio's current-thread
//!   runtime, through a 64-slot channel);
//! * `ping-pong`: the async bench's ping-pong, two capacity-1 channels, the
//!   pinging side the `block_on` future;
//! * `ping-pong-spawned`: the same with both ends spawned tasks;
//! * `try`: no runtime; one thread fills a 64-slot channel with `try_push` and
//!   empties it with `try_pop`, over and over: the queue's own cost per item,
//!   with every compare-exchange uncontended.

use std::time::Instant;

/// One contestant's channel, as the async bench uses it.
trait Channel: Sized + Send + 'static {
    type Tx: Send + 'static;
    type Rx: Send + 'static;
    fn make(capacity: usize) -> (Self::Tx, Self::Rx);
    fn send(tx: &Self::Tx, v: u64) -> impl std::future::Future<Output = ()> + Send;
    fn recv(rx: &Self::Rx) -> impl std::future::Future<Output = u64> + Send;
    fn try_send(tx: &Self::Tx, v: u64) -> bool;
    fn try_recv(rx: &Self::Rx) -> Option<u64>;
}

struct Ringkit;
struct Kanal;

impl Channel for Ringkit {
    type Tx = ringkit::mpmc::Sender<u64>;
    type Rx = ringkit::mpmc::Receiver<u64>;
    fn make(capacity: usize) -> (Self::Tx, Self::Rx) {
        ringkit::mpmc::channel(capacity)
    }
    async fn send(tx: &Self::Tx, v: u64) {
        tx.push_async(v).await.expect("receiver alive")
    }
    async fn recv(rx: &Self::Rx) -> u64 {
        rx.pop_async().await.expect("sender alive")
    }
    fn try_send(tx: &Self::Tx, v: u64) -> bool {
        tx.try_push(v).is_ok()
    }
    fn try_recv(rx: &Self::Rx) -> Option<u64> {
        rx.try_pop().ok()
    }
}

impl Channel for Kanal {
    type Tx = kanal::AsyncSender<u64>;
    type Rx = kanal::AsyncReceiver<u64>;
    fn make(capacity: usize) -> (Self::Tx, Self::Rx) {
        kanal::bounded_async(capacity)
    }
    async fn send(tx: &Self::Tx, v: u64) {
        tx.send(v).await.expect("receiver alive")
    }
    async fn recv(rx: &Self::Rx) -> u64 {
        rx.recv().await.expect("sender alive")
    }
    fn try_send(tx: &Self::Tx, v: u64) -> bool {
        tx.try_send(v).expect("receiver alive")
    }
    fn try_recv(rx: &Self::Rx) -> Option<u64> {
        rx.try_recv().expect("sender alive")
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime")
}

fn task_to_task<C: Channel>(n: u64) {
    let (tx, rx) = C::make(64);
    runtime().block_on(async move {
        // The producer hands its end back so the channel does not disconnect early.
        let producer = tokio::spawn(async move {
            for i in 0..n {
                C::send(&tx, i).await;
            }
            tx
        });
        for i in 0..n {
            assert_eq!(C::recv(&rx).await, i, "lost or reordered item");
        }
        drop(producer.await.expect("producer task panicked"));
    });
}

/// The echo end of a ping-pong: `n` values back, each plus one. Hands its
/// ends back so neither channel disconnects early.
async fn echo<C: Channel>(ping_rx: C::Rx, pong_tx: C::Tx, n: u64) -> (C::Rx, C::Tx) {
    for _ in 0..n {
        let v = C::recv(&ping_rx).await;
        C::send(&pong_tx, v + 1).await;
    }
    (ping_rx, pong_tx)
}

/// The pinging end: sends `i` and awaits `i + 1`, `n` times.
async fn ping<C: Channel>(ping_tx: C::Tx, pong_rx: C::Rx, n: u64) -> (C::Tx, C::Rx) {
    for i in 0..n {
        C::send(&ping_tx, i).await;
        assert_eq!(C::recv(&pong_rx).await, i + 1, "wrong echo");
    }
    (ping_tx, pong_rx)
}

/// The ping-pong against a spawned echo task; the pinging end is the
/// `block_on` future, or with `spawned` a spawned task that the `block_on`
/// future only joins.
fn ping_pong<C: Channel>(n: u64, spawned: bool) {
    let (ping_tx, ping_rx) = C::make(1);
    let (pong_tx, pong_rx) = C::make(1);
    runtime().block_on(async move {
        let echo = tokio::spawn(echo::<C>(ping_rx, pong_tx, n));
        let ends = if spawned {
            let pinger = tokio::spawn(ping::<C>(ping_tx, pong_rx, n));
            pinger.await.expect("ping task panicked")
        } else {
            ping::<C>(ping_tx, pong_rx, n).await
        };
        let echo_ends = echo.await.expect("echo task panicked");
        drop((ends, echo_ends));
    });
}

fn try_ops<C: Channel>(n: u64) {
    let (tx, rx) = C::make(64);
    for lap in 0..n / 64 {
        for i in 0..64 {
            assert!(C::try_send(&tx, lap * 64 + i), "full too early");
        }
        for i in 0..64 {
            assert_eq!(
                C::try_recv(&rx),
                Some(lap * 64 + i),
                "lost or reordered item"
            );
        }
    }
}

fn run<C: Channel>(workload: &str, n: u64) {
    match workload {
        "task-to-task" => task_to_task::<C>(n),
        "ping-pong" => ping_pong::<C>(n, false),
        "ping-pong-spawned" => ping_pong::<C>(n, true),
        "try" => try_ops::<C>(n),
        other => {
            panic!("unknown workload {other:?}: task-to-task, ping-pong, ping-pong-spawned or try")
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (who, workload) = match (args.get(1), args.get(2)) {
        (Some(who), Some(workload)) => (who.as_str(), workload.as_str()),
        _ => panic!(
            "usage: async_profile ringkit|kanal task-to-task|ping-pong|ping-pong-spawned|try [ITEMS]"
        ),
    };
    let n: u64 = args
        .get(3)
        .map_or(1_000_000, |s| s.parse().expect("ITEMS is a number"));
    let start = Instant::now();
    match who {
        "ringkit" => run::<Ringkit>(workload, n),
        "kanal" => run::<Kanal>(workload, n),
        other => panic!("unknown contestant {other:?}: ringkit or kanal"),
    }
    println!(
        "{:.1} ns per item",
        start.elapsed().as_nanos() as f64 / n as f64
    );
}
