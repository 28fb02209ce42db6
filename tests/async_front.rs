//! The async front without a runtime: futures polled by hand with wakers that
//! count their wake-ups, so each test says exactly which poll registers, which
//! notify wakes, and what a dropped future leaves behind. (Runtimes are tested
//! in async-tests/, the waker protocol's races by the loom models.)
#![cfg(feature = "async")]

use futures_core::Stream;
use futures_sink::Sink;
use ringkit::{mpmc, spsc, PopError, PushError};
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

#[path = "common/counting.rs"]
mod counting;

use counting::{allocs, counting, woken, CountingWaker};

/// Polls a wait that cannot finish yet as a runtime would, until it has
/// armed: its first poll wakes its own task and returns `Pending` (a task's
/// one yield before it arms; see docs/realtime.md), the second registers the
/// waker and arms the cell. The yield's wake-up is taken off `count`, so that
/// a test counts only the wake-ups that notifiers make.
fn arm<T>(count: &CountingWaker, mut poll: impl FnMut() -> Poll<T>) {
    let before = woken(count);
    assert!(poll().is_pending(), "the wait finished");
    assert_eq!(woken(count), before + 1, "the first poll did not yield");
    count.0.fetch_sub(1, Ordering::Relaxed);
    assert!(poll().is_pending(), "the wait finished");
    assert_eq!(woken(count), before, "the second poll yielded again");
}

/// `arm` for a poll whose waker counts nothing (`Waker::noop`).
fn arm_noop<T>(mut poll: impl FnMut() -> Poll<T>) {
    assert!(poll().is_pending(), "the wait finished");
    assert!(poll().is_pending(), "the wait finished");
}

#[test]
fn a_pending_pop_is_woken_once_by_the_push_and_then_not_again() {
    let (mut tx, mut rx) = spsc::channel::<u32>(4);
    let (count, waker) = counting();
    let mut cx = Context::from_waker(&waker);
    arm(&count, || Pin::new(&mut rx).poll_next(&mut cx));
    assert_eq!(woken(&count), 0);
    tx.try_push(1).unwrap();
    assert_eq!(woken(&count), 1, "the push woke the waiting task");
    assert_eq!(Pin::new(&mut rx).poll_next(&mut cx), Poll::Ready(Some(1)));
    // Nobody waits now: further pushes take the hot path and wake nobody.
    tx.try_push(2).unwrap();
    tx.try_push(3).unwrap();
    assert_eq!(woken(&count), 1);
}

#[test]
fn a_ready_poll_takes_its_parked_bit_back() {
    // Pending once (armed), then ready without a wake-up in between (the item
    // came from elsewhere): the parked bit goes back, so the next push wakes
    // nobody.
    let (tx, rx) = mpmc::channel::<u32>(4);
    let (count, waker) = counting();
    let mut cx = Context::from_waker(&waker);
    let mut pop = pin!(rx.pop_async());
    arm(&count, || pop.as_mut().poll(&mut cx));
    tx.try_push(1).unwrap(); // wakes the task once
    assert_eq!(pop.as_mut().poll(&mut cx), Poll::Ready(Ok(1)));
    let mut pop = pin!(rx.pop_async());
    arm(&count, || pop.as_mut().poll(&mut cx));
    assert_eq!(woken(&count), 1);
    tx.try_push(2).unwrap();
    assert_eq!(woken(&count), 2);
    assert_eq!(pop.as_mut().poll(&mut cx), Poll::Ready(Ok(2)));
    tx.try_push(3).unwrap();
    assert_eq!(woken(&count), 2, "a finished wait left its waker armed");
}

#[test]
fn a_dropped_pending_future_is_never_woken() {
    let (tx, rx) = mpmc::channel::<u32>(4);
    let (count, waker) = counting();
    {
        let mut pop = pin!(rx.pop_async());
        let mut cx = Context::from_waker(&waker);
        arm(&count, || pop.as_mut().poll(&mut cx));
    }
    tx.try_push(1).unwrap();
    assert_eq!(woken(&count), 0, "a dropped future's waker was woken");
    assert_eq!(rx.try_pop(), Ok(1), "the dropped future took the item");
}

#[test]
fn a_later_poll_replaces_the_waker() {
    let (mut tx, mut rx) = spsc::channel::<u32>(1);
    let (first, w1) = counting();
    let (second, w2) = counting();
    let mut pop = pin!(rx.pop_async());
    arm(&first, || pop.as_mut().poll(&mut Context::from_waker(&w1)));
    assert_eq!(
        pop.as_mut().poll(&mut Context::from_waker(&w2)),
        Poll::Pending
    );
    tx.try_push(9).unwrap();
    assert_eq!((woken(&first), woken(&second)), (0, 1));
    assert_eq!(
        pop.as_mut().poll(&mut Context::from_waker(&w2)),
        Poll::Ready(Ok(9))
    );
}

#[test]
fn every_waiting_task_is_woken() {
    let (tx, rx) = mpmc::channel::<u32>(4);
    let wakers: Vec<_> = (0..20).map(|_| counting()).collect();
    let mut futures: Vec<_> = (0..20).map(|_| Box::pin(rx.pop_async())).collect();
    for (f, (c, w)) in futures.iter_mut().zip(&wakers) {
        arm(c, || f.as_mut().poll(&mut Context::from_waker(w)));
    }
    tx.try_push(1).unwrap();
    // More waiters than the cold path takes in one batch: all are woken.
    assert!(wakers.iter().all(|(c, _)| woken(c) == 1));
    let ready = futures
        .iter_mut()
        .zip(&wakers)
        .map(|(f, (_, w))| f.as_mut().poll(&mut Context::from_waker(w)))
        .filter(Poll::is_ready)
        .count();
    assert_eq!(ready, 1, "one item, one receiver");
}

#[test]
fn waiting_again_allocates_nothing() {
    let (mut tx, mut rx) = spsc::channel::<u32>(1);
    let (tx2, rx2) = mpmc::channel::<u32>(1);
    let waker = Waker::noop();
    let mut cx = Context::from_waker(waker);
    let mut cycle = |round: u32| {
        arm_noop(|| Pin::new(&mut rx).poll_next(&mut cx));
        tx.try_push(round).unwrap();
        assert_eq!(
            Pin::new(&mut rx).poll_next(&mut cx),
            Poll::Ready(Some(round))
        );
        let mut pop = pin!(rx2.pop_async());
        arm_noop(|| pop.as_mut().poll(&mut cx));
        tx2.try_push(round).unwrap();
        assert_eq!(pop.as_mut().poll(&mut cx), Poll::Ready(Ok(round)));
    };
    cycle(0); // the first wait makes each cell's slot
    let before = allocs();
    for round in 1..100 {
        cycle(round);
    }
    assert_eq!(allocs() - before, 0, "allocations while waiting again");
}

/// An item that counts its drops.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn a_dropped_push_future_drops_its_value_once_and_pushes_nothing() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpmc::channel::<Counted>(1);
    tx.try_push(Counted(drops.clone())).ok().unwrap();
    {
        let mut push = pin!(tx.push_async(Counted(drops.clone())));
        assert!(push
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
            .is_pending());
    }
    assert_eq!(
        drops.load(Ordering::Relaxed),
        1,
        "the value of the dropped push"
    );
    assert_eq!(rx.len(), 1);
    drop(rx.try_pop());
    assert_eq!(drops.load(Ordering::Relaxed), 2);
}

#[test]
fn sink_hands_the_value_back_once_the_consumer_is_gone() {
    let (mut tx, rx) = spsc::channel::<u32>(1);
    let mut cx = Context::from_waker(Waker::noop());
    assert_eq!(Pin::new(&mut tx).poll_ready(&mut cx), Poll::Ready(Ok(())));
    Pin::new(&mut tx).start_send(1).unwrap();
    arm_noop(|| Pin::new(&mut tx).poll_ready(&mut cx));
    drop(rx); // wakes the waiting sink, which now reports ready
    assert_eq!(Pin::new(&mut tx).poll_ready(&mut cx), Poll::Ready(Ok(())));
    assert_eq!(
        Pin::new(&mut tx).start_send(2),
        Err(PushError::Disconnected(2))
    );
}

#[test]
fn disconnection_wakes_a_waiting_task() {
    let (tx, rx) = mpmc::channel::<u32>(1);
    let (count, waker) = counting();
    let mut pop = pin!(rx.pop_async());
    arm(&count, || {
        pop.as_mut().poll(&mut Context::from_waker(&waker))
    });
    drop(tx);
    assert_eq!(woken(&count), 1);
    assert_eq!(
        pop.as_mut().poll(&mut Context::from_waker(&waker)),
        Poll::Ready(Err(PopError::Disconnected))
    );
}

#[test]
fn mpmc_send_sink_keeps_one_item_and_hands_it_back_on_disconnection() {
    let (tx, rx) = mpmc::channel::<u32>(1);
    let mut sink = tx.into_sink();
    let (count, waker) = counting();
    let mut cx = Context::from_waker(&waker);
    Pin::new(&mut sink).start_send(1).unwrap(); // pushed
    Pin::new(&mut sink).start_send(2).unwrap(); // full: kept
                                                // A second item before the kept one is pushed comes straight back.
    assert_eq!(Pin::new(&mut sink).start_send(3), Err(PushError::Full(3)));
    arm(&count, || Pin::new(&mut sink).poll_ready(&mut cx));
    drop(rx); // drops item 1, wakes the waiting sink
    assert_eq!(woken(&count), 1);
    assert_eq!(
        Pin::new(&mut sink).poll_flush(&mut cx),
        Poll::Ready(Err(PushError::Disconnected(2)))
    );
    assert_eq!(Pin::new(&mut sink).poll_close(&mut cx), Poll::Ready(Ok(())));
}

#[test]
fn a_dropped_send_sink_drops_its_kept_item_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpmc::channel::<Counted>(1);
    let mut sink = tx.into_sink();
    Pin::new(&mut sink)
        .start_send(Counted(drops.clone()))
        .ok()
        .unwrap();
    Pin::new(&mut sink)
        .start_send(Counted(drops.clone()))
        .ok()
        .unwrap(); // kept
    drop(sink);
    assert_eq!(drops.load(Ordering::Relaxed), 1, "the kept item");
    drop(rx);
    assert_eq!(drops.load(Ordering::Relaxed), 2, "the queued item");
}

#[test]
fn a_broadcast_stream_is_woken_by_a_publish_and_ends_with_the_publisher() {
    use ringkit::broadcast;
    let (mut publisher, mut sub) = broadcast::channel::<u32>(4);
    let (count, waker) = counting();
    let mut cx = Context::from_waker(&waker);
    arm(&count, || Pin::new(&mut sub).poll_next(&mut cx));
    publisher.publish(5);
    assert_eq!(woken(&count), 1);
    assert_eq!(
        Pin::new(&mut sub).poll_next(&mut cx),
        Poll::Ready(Some(Ok((0, 5))))
    );
    arm(&count, || Pin::new(&mut sub).poll_next(&mut cx));
    drop(publisher);
    assert_eq!(woken(&count), 2);
    assert_eq!(Pin::new(&mut sub).poll_next(&mut cx), Poll::Ready(None));
}
