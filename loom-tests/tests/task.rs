//! loom models of the async front: a task waits by leaving its waker in the
//! wait cell (`WaitCell::poll_wait`), and a notifier that finds the cell armed
//! wakes it. The task runs under `loom::future::block_on`, which parks the loom
//! thread until its waker is woken, so a lost wake-up deadlocks the model,
//! which loom reports.
#![cfg(loom)]

use loom::future::block_on;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;
use loom_tests::bounded;
use ringkit::event::{Event, EventFlag};
use ringkit::{mpmc, spsc, PopError};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Polls `future` once with a waker that does nothing and drops it: its result
/// if it was ready, else `None` (it was then registered and armed when dropped).
fn poll_once<F: Future>(future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(got) => Some(got),
        Poll::Pending => None,
    }
}

/// A task's registration races the push that makes it ready: whichever
/// order the push's notify and the task's arming and re-check take, the task
/// gets the item.
#[test]
fn task_registration_races_a_notify() {
    loom::model(|| {
        let (mut tx, mut rx) = spsc::channel::<u32>(1);
        let producer = thread::spawn(move || tx.try_push(7).unwrap());
        assert_eq!(block_on(rx.pop_async()), Ok(7));
        producer.join().unwrap();
    });
}

/// The same race on the sending side: a task waits for room while the
/// consumer pops.
#[test]
fn task_waiting_for_room_races_a_pop() {
    loom::model(|| {
        let (mut tx, mut rx) = spsc::channel::<u32>(1);
        tx.try_push(1).unwrap();
        let consumer = thread::spawn(move || {
            assert_eq!(rx.try_pop(), Ok(1));
            rx
        });
        assert_eq!(block_on(tx.push_async(2)), Ok(()));
        let mut rx = consumer.join().unwrap();
        assert_eq!(rx.try_pop(), Ok(2));
    });
}

/// The same race on an MPMC channel, whose async push waits as soon as the
/// slot at the tail is not free, without telling "full" from "a pop is still
/// reading it": the consumer's pop may be anywhere in its step when the task
/// looks, and the task still gets the room.
#[test]
fn mpmc_task_waiting_for_room_races_a_pop() {
    loom::model(|| {
        let (tx, rx) = mpmc::channel::<u32>(1);
        tx.try_push(1).unwrap();
        let consumer = thread::spawn(move || {
            assert_eq!(rx.try_pop(), Ok(1));
            rx
        });
        assert_eq!(block_on(tx.push_async(2)), Ok(()));
        let rx = consumer.join().unwrap();
        assert_eq!(rx.try_pop(), Ok(2));
    });
}

/// Two senders race for the one slot, one a thread, the other a task. A task
/// that loses the exchange goes on from the tail it read there and waits for
/// room; the thread's pop of the first item wakes it. Every item pushed is
/// popped once; a `try_push` that finds the task's item there is the only
/// push that fails.
#[test]
fn mpmc_async_push_loses_the_race_for_the_slot() {
    loom::model(|| {
        let (tx, rx) = mpmc::channel::<u32>(1);
        let tx2 = tx.clone();
        let other = thread::spawn(move || {
            let pushed = tx2.try_push(1).is_ok();
            let first = rx.pop().unwrap();
            (pushed, first, rx)
        });
        assert_eq!(block_on(tx.push_async(2)), Ok(()));
        let (pushed, first, rx) = other.join().unwrap();
        let mut got = vec![first];
        got.extend(rx.try_pop().ok());
        got.sort();
        assert_eq!(got, if pushed { vec![1, 2] } else { vec![2] });
    });
}

/// A future that was polled once (its waker stored, the cell armed) is
/// dropped while a push and its notify are in flight; a second task waiting
/// on the same queue still gets the item, and the item is received exactly
/// once.
#[test]
fn future_dropped_while_a_notify_is_in_flight() {
    bounded(3, || {
        let (tx, rx) = mpmc::channel::<u32>(1);
        let rx2 = rx.clone();
        let producer = thread::spawn(move || tx.try_push(7).unwrap());
        let second = thread::spawn(move || block_on(rx2.pop_async()));
        // Dropped at once, registered and armed if it was pending.
        let got_first = poll_once(rx.pop_async());
        drop(rx);
        producer.join().unwrap();
        let got_second = second.join().unwrap();
        // Exactly one of them received the item; the other found the queue
        // empty and every sender gone.
        let results = [got_first.unwrap_or(Err(PopError::Disconnected)), got_second];
        assert_eq!(
            results.iter().filter(|r| **r == Ok(7)).count(),
            1,
            "{results:?}"
        );
        assert!(
            results.contains(&Err(PopError::Disconnected)),
            "{results:?}"
        );
    });
}

/// The unbounded twin of `future_dropped_while_a_notify_is_in_flight`, with
/// one task: a future polled once (registered and armed if it was pending) is
/// dropped while the push's notify may be in flight, and a new future on the
/// same receiver still gets the item, unless the first already had it.
#[test]
fn future_dropped_then_a_new_one_gets_the_item() {
    loom::model(|| {
        let (tx, rx) = mpmc::channel::<u32>(1);
        let producer = thread::spawn(move || {
            tx.try_push(7).unwrap();
            tx // connected until the end: only the push can wake the new future
        });
        let got_first = poll_once(rx.pop_async());
        let got = match got_first {
            Some(got) => got,
            None => block_on(rx.pop_async()),
        };
        assert_eq!(got, Ok(7));
        drop(producer.join().unwrap());
    });
}

/// A future first polled with one waker and then driven by another (as when
/// a future moves between tasks): the wake-up goes to the newer waker.
#[test]
fn waker_replaced_by_a_later_poll() {
    loom::model(|| {
        let flag = Arc::new(EventFlag::new(0u32));
        let publisher = {
            let flag = flag.clone();
            thread::spawn(move || flag.publish(5))
        };
        let mut wait = pin!(flag.wait_newer_async(0));
        let mut cx = Context::from_waker(Waker::noop());
        let got = match wait.as_mut().poll(&mut cx) {
            Poll::Ready(got) => got,
            Poll::Pending => block_on(wait),
        };
        assert_eq!(got, (1, 5));
        publisher.join().unwrap();
    });
}

/// A thread parked on the futex and a task waiting through its waker, on the
/// same queue: two pushes wake both, and each gets one item.
#[test]
fn thread_and_task_waiters_are_both_woken() {
    bounded(2, || {
        let (tx, rx) = mpmc::channel::<u32>(2);
        let rx2 = rx.clone();
        let thread_waiter = thread::spawn(move || rx2.pop().unwrap());
        let producer = thread::spawn(move || {
            tx.try_push(1).unwrap();
            tx.try_push(2).unwrap();
        });
        let by_task = block_on(rx.pop_async()).unwrap();
        let by_thread = thread_waiter.join().unwrap();
        producer.join().unwrap();
        let mut got = [by_task, by_thread];
        got.sort();
        assert_eq!(got, [1, 2]);
    });
}

/// A manual-reset event, a task and a thread waiting, one set: both are
/// released.
#[test]
fn manual_reset_event_releases_a_task_and_a_thread() {
    bounded(2, || {
        let ev = Arc::new(Event::manual_reset());
        let released = Arc::new(AtomicUsize::new(0));
        let thread_waiter = {
            let (ev, released) = (ev.clone(), released.clone());
            thread::spawn(move || {
                ev.wait();
                released.fetch_add(1, Ordering::Relaxed);
            })
        };
        let setter = {
            let ev = ev.clone();
            thread::spawn(move || ev.set())
        };
        block_on(ev.wait_async());
        released.fetch_add(1, Ordering::Relaxed);
        thread_waiter.join().unwrap();
        setter.join().unwrap();
        assert_eq!(released.load(Ordering::Relaxed), 2);
    });
}

/// An auto-reset event: a task's wait takes the set it was released by.
#[test]
fn auto_reset_event_set_is_taken_by_the_task() {
    loom::model(|| {
        let ev = Arc::new(Event::auto_reset());
        let setter = {
            let ev = ev.clone();
            thread::spawn(move || ev.set())
        };
        block_on(ev.wait_async());
        setter.join().unwrap();
        assert!(!ev.is_set());
    });
}
