//! Selecting over ringkit's async receives with the ecosystem's macros:
//! tokio's `select!` and futures-util's `select_biased!`. The `*_async`
//! futures are cancellation safe (a future that loses the race has taken
//! nothing), so every item arrives exactly once, in order per producer, however
//! often a receive is dropped unfinished.

use futures_util::{future::FutureExt, pin_mut, select_biased};
use ringkit::broadcast::{self, RecvError};
use ringkit::event::EventFlag;
use ringkit::{mpmc, spsc, PopError};
use std::sync::Arc;

const N: u64 = 10_000;

/// An SPSC ring, an MPMC channel with two producers, a broadcast ring and an
/// event flag, all fed by tasks and threads, received by one task through
/// `tokio::select!` until every queue is disconnected and the flag's last
/// generation was seen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_select_over_four_kinds_of_source() {
    const GENERATIONS: u64 = 500;
    let (mut stx, mut srx) = spsc::channel::<u64>(16);
    let (mtx, mrx) = mpmc::channel::<(u64, u64)>(16);
    // As large as everything published: the publisher never laps the receiver.
    let (mut publisher, mut sub) = broadcast::channel::<u64>(N as usize);
    let flag = Arc::new(EventFlag::new(0u64));
    let mut producers = vec![tokio::spawn(async move {
        for i in 0..N {
            stx.push_async(i).await.unwrap();
        }
    })];
    for p in 0..2 {
        let mtx = mtx.clone();
        producers.push(tokio::spawn(async move {
            for i in 0..N {
                mtx.push_async((p, i)).await.unwrap();
            }
        }));
    }
    drop(mtx);
    let publishing = std::thread::spawn(move || {
        for i in 0..N {
            publisher.publish(i);
        }
    });
    let flagging = {
        let flag = flag.clone();
        std::thread::spawn(move || {
            for g in 1..=GENERATIONS {
                flag.publish(g * 10);
            }
        })
    };

    let (mut s_next, mut m_next, mut b_next, mut seen) = (0, [0; 2], 0, 0);
    let (mut s_done, mut m_done, mut b_done) = (false, false, false);
    loop {
        tokio::select! {
            got = srx.pop_async(), if !s_done => match got {
                Ok(v) => {
                    assert_eq!(v, s_next);
                    s_next += 1;
                }
                Err(PopError::Disconnected) => s_done = true,
                Err(PopError::Empty) => unreachable!("pop_async never says Empty"),
            },
            got = mrx.pop_async(), if !m_done => match got {
                Ok((p, i)) => {
                    assert_eq!(i, m_next[p as usize]);
                    m_next[p as usize] += 1;
                }
                Err(_) => m_done = true,
            },
            got = sub.recv_async(), if !b_done => match got {
                Ok((seq, v)) => {
                    assert_eq!((seq, v), (b_next, b_next));
                    b_next += 1;
                }
                Err(RecvError::Disconnected) => b_done = true,
                Err(e) => panic!("{e:?}"),
            },
            (g, v) = flag.wait_newer_async(seen), if seen < GENERATIONS => {
                assert!(g > seen);
                assert_eq!(v, g * 10);
                seen = g;
            },
            else => break,
        }
    }
    for p in producers {
        p.await.unwrap();
    }
    publishing.join().unwrap();
    flagging.join().unwrap();
    assert_eq!((s_next, m_next, b_next, seen), (N, [N, N], N, GENERATIONS));
}

/// `select_biased!` prefers the first ready branch; the losing receive is
/// dropped each time and loses nothing.
#[test]
fn select_biased_over_two_rings() {
    let (mut atx, mut arx) = spsc::channel::<u64>(8);
    let (btx, brx) = mpmc::channel::<u64>(8);
    let a = std::thread::spawn(move || {
        for i in 0..N {
            atx.push(i).unwrap();
        }
    });
    let b = std::thread::spawn(move || {
        for i in 0..N {
            btx.push(i).unwrap();
        }
    });
    futures_executor::block_on(async {
        let (mut a_next, mut b_next) = (0, 0);
        let (mut a_done, mut b_done) = (false, false);
        while !(a_done && b_done) {
            // A finished ring's branch never completes.
            let (skip_a, skip_b, arx, brx) = (a_done, b_done, &mut arx, &brx);
            let pop_a = async move {
                if skip_a {
                    std::future::pending().await
                } else {
                    arx.pop_async().await
                }
            }
            .fuse();
            let pop_b = async move {
                if skip_b {
                    std::future::pending().await
                } else {
                    brx.pop_async().await
                }
            }
            .fuse();
            pin_mut!(pop_a, pop_b);
            select_biased! {
                got = pop_a => match got {
                    Ok(v) => {
                        assert_eq!(v, a_next);
                        a_next += 1;
                    }
                    Err(_) => a_done = true,
                },
                got = pop_b => match got {
                    Ok(v) => {
                        assert_eq!(v, b_next);
                        b_next += 1;
                    }
                    Err(_) => b_done = true,
                },
            }
        }
        assert_eq!((a_next, b_next), (N, N));
    });
    a.join().unwrap();
    b.join().unwrap();
}
