//! [`Dispatcher::run_async`]: the dispatcher's `run` as a future, for a task.
//!
//! It polls as `run` does, except that no receive waits in place for a push
//! or publish still writing what it would take (`Caller::Task`). When nothing
//! is ready, instead of parking the thread it waits as a task in the wait cell
//! of every source that a notify can make ready, and in the dispatcher's
//! doorbell (which [`Stop::stop`](super::Stop) rings), through each cell's own
//! task protocol (`poll_wait`, the one every `*_async` method uses): a task
//! waiting on several cells is what a `select!` over several `pop_async`
//! futures is. A source whose receive can give up on such a write (MPMC, jobs,
//! broadcast, event flag) makes that receive its attempt there, as `pop_async`
//! does; what it takes waits in the source, and the poll right after the wait
//! delivers it. A retry delay needs a timer, which a crate with no runtime does
//! not have, so the caller passes its runtime's sleep.

use super::source::{Caller, Source};
use super::{notifiable, Dispatcher, RunEnd, Shared};
use crate::sync::Ordering;
use crate::wait::TaskWait;
use core::future::Future;
use core::pin::{pin, Pin};
use core::task::{Context, Poll};
use std::prelude::rust_2021::*;
use std::time::Duration;

impl Dispatcher {
    /// [`run`](Self::run) for a task: polls until stopped or disconnected, and
    /// while every source is empty waits without blocking the thread, woken by
    /// a push, a publish, a disconnection or a [`Stop`](super::Stop), as `run`
    /// is. Returns what `run` would return.
    ///
    /// `sleep(d)` must give a future that completes after about `d`: your
    /// runtime's sleep (`tokio::time::sleep`; for smol, `|d| async move {
    /// smol::Timer::after(d).await; }`). It is called only
    /// when a failed message waits for a [retry delay](super::Retry::backoff)
    /// and nothing else is ready, so a dispatcher without retry delays never
    /// calls it.
    ///
    /// After each poll that delivered something the future yields to the
    /// executor once (it wakes itself and returns `Pending`), so a busy
    /// dispatcher does not starve the other tasks on its thread. Handlers run
    /// inside `poll`, on the executor's thread, and should not block it for
    /// long.
    ///
    /// Cancellation: dropping the future between polls loses nothing. Messages
    /// not yet acknowledged stay in their rings or in the dispatcher, as after
    /// a [`poll`](Self::poll); the future gives back its places in the wait
    /// cells when dropped. Like `run`, it does not unwind from a panic in a
    /// handler, a callback, a job or a `Drop`.
    ///
    /// ```
    /// use ringkit::dispatch::{Dispatcher, RunEnd};
    /// use std::sync::{atomic::{AtomicU32, Ordering}, Arc};
    ///
    /// let (mut tx, rx) = ringkit::spsc::channel::<u32>(4);
    /// let sum = Arc::new(AtomicU32::new(0));
    /// let total = sum.clone();
    /// let mut dispatcher = Dispatcher::new();
    /// dispatcher.on_spsc(rx, move |d| {
    ///     total.fetch_add(*d.message, Ordering::Relaxed);
    ///     Ok::<(), ()>(())
    /// });
    /// let producer = std::thread::spawn(move || {
    ///     for i in 1..=3 {
    ///         tx.push(i).unwrap();
    ///     }
    /// }); // dropping `tx` disconnects
    /// // No retry delays here, so no timer is needed: `sleep` is never called.
    /// let end = pollster::block_on(dispatcher.run_async(|_| std::future::ready(())));
    /// assert_eq!(end, RunEnd::Disconnected);
    /// producer.join().unwrap();
    /// assert_eq!(sum.load(Ordering::Relaxed), 6);
    /// ```
    pub async fn run_async<S, F>(&mut self, mut sleep: S) -> RunEnd
    where
        S: FnMut(Duration) -> F,
        F: Future<Output = ()>,
    {
        loop {
            if self.stop_requested() {
                return RunEnd::Stopped;
            }
            if self.all_disconnected() {
                return RunEnd::Disconnected;
            }
            if self.poll_by(Caller::Task) > 0 {
                YieldOnce(false).await;
                continue;
            }
            // A poll that finished the last queue source did nothing, but must
            // not be followed by a wait: the top of the loop returns.
            if self.all_disconnected() {
                continue;
            }
            let timer = match self.earliest_retry() {
                None => None,
                Some(at) => {
                    let now = (self.clock)();
                    if now >= at {
                        continue; // due: poll again
                    }
                    Some(sleep(at - now))
                }
            };
            let timer = pin!(timer);
            let Dispatcher {
                sources,
                shared,
                tasks,
                ..
            } = self;
            Idle::new(sources, shared, tasks, timer).await;
            // What the wait's attempts took (kept in their sources) is
            // delivered now, before the top of the loop can honour a stop
            // that came meanwhile: a dispatcher that returns holds no message
            // it took but did not deliver (only a failed one waiting for its
            // retry, as after `run`).
            if self.poll_by(Caller::Task) > 0 {
                YieldOnce(false).await;
            }
        }
    }
}

/// Wakes its task and returns `Pending` once, then `Ready`.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// One wait of an idle dispatcher's task: ready when the stop flag is set, a
/// source whose cell it waits in is ready (`Source::poll_idle`: its attempt
/// may take a message into the source, which the poll after the wait
/// delivers), or the timer fires. `tasks[0]` is its place in the doorbell,
/// `tasks[1..]` its places in the cells of the notifiable sources
/// (`notifiable`), in order (the set does not change during the wait: no
/// attempt changes a source's retry time). Dropping it, done or not, gives
/// every place back.
struct Idle<'a, F> {
    // `&mut`, not `&`: a source is `Send` but not `Sync`, and the future must
    // stay `Send` for a multi-thread runtime.
    sources: &'a mut [Box<dyn Source>],
    shared: &'a Shared,
    tasks: &'a mut Vec<TaskWait>,
    timer: Pin<&'a mut Option<F>>,
}

impl<'a, F> Idle<'a, F> {
    fn new(
        sources: &'a mut [Box<dyn Source>],
        shared: &'a Shared,
        tasks: &'a mut Vec<TaskWait>,
        timer: Pin<&'a mut Option<F>>,
    ) -> Self {
        let places = 1 + notifiable(sources).count();
        if tasks.len() < places {
            tasks.resize_with(places, TaskWait::default);
        }
        Idle {
            sources,
            shared,
            tasks,
            timer,
        }
    }
}

impl<F: Future<Output = ()>> Future for Idle<'_, F> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        if let Some(timer) = this.timer.as_mut().as_pin_mut() {
            if timer.poll(cx).is_ready() {
                return Poll::Ready(());
            }
        }
        let (bell_task, source_tasks) = this
            .tasks
            .split_first_mut()
            .expect("a place in the doorbell");
        let stop = &this.shared.stop;
        let stopped = this.shared.bell.poll_wait(bell_task, cx, || {
            // ORDERING: Relaxed: only decides whether the wait is over;
            // `run_async` re-reads the flag with acquire at the top of its loop.
            // The doorbell's barrier pair orders this load after our arming, as
            // for `run`'s park.
            stop.load(Ordering::Relaxed).then_some(())
        });
        if stopped.is_ready() {
            return Poll::Ready(());
        }
        let sources = this.sources.iter_mut().filter(|s| s.retry_at().is_none());
        for (source, task) in sources.zip(source_tasks) {
            if source.poll_idle(task, cx).is_ready() {
                return Poll::Ready(());
            }
        }
        Poll::Pending
    }
}

impl<F> Drop for Idle<'_, F> {
    fn drop(&mut self) {
        let (bell_task, source_tasks) = self
            .tasks
            .split_first_mut()
            .expect("a place in the doorbell");
        self.shared.bell.cancel(bell_task);
        for (source, task) in notifiable(self.sources).zip(source_tasks) {
            source.cell().cancel(task);
        }
    }
}
