//! Jobs: closures other threads hand to one thread to run, alone
//! ([`JobExecutor::run`]) or as a source of a [`Dispatcher`](super::Dispatcher).

use super::backoff::Now;
use super::delivery::drop_payload;
use super::source::{Caller, Kind, Source};
use crate::wait::{WaitCell, Waitable};
use crate::{mpmc, PopError, PushError};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::prelude::rust_2021::*;

/// A job: a boxed `FnOnce() + Send`. One heap allocation per job, none for a
/// closure that captures nothing.
///
/// ```
/// use std::sync::{atomic::{AtomicBool, Ordering}, Arc};
///
/// let (submit, exec) = ringkit::dispatch::jobs(4);
/// drop(exec);
/// let ran = Arc::new(AtomicBool::new(false));
/// let flag = ran.clone();
/// // Nobody would run it: the job comes back, and can be run here instead.
/// let job = submit
///     .try_submit(move || flag.store(true, Ordering::Relaxed))
///     .unwrap_err()
///     .into_inner();
/// job.run();
/// assert!(ran.load(Ordering::Relaxed));
/// ```
pub struct Job(Box<dyn FnOnce() + Send + 'static>);

impl Job {
    /// Wraps a closure.
    ///
    /// ```
    /// use ringkit::dispatch::Job;
    /// use std::sync::mpsc;
    ///
    /// let (tx, rx) = mpsc::channel();
    /// let job = Job::new(move || tx.send(42).unwrap());
    /// assert!(rx.try_recv().is_err()); // wrapped, not run
    /// job.run();
    /// assert_eq!(rx.try_recv(), Ok(42));
    /// ```
    pub fn new(f: impl FnOnce() + Send + 'static) -> Self {
        Job(Box::new(f))
    }

    /// Runs the job here.
    ///
    /// ```
    /// use ringkit::dispatch::Job;
    /// use std::sync::{atomic::{AtomicU32, Ordering}, Arc};
    ///
    /// let count = Arc::new(AtomicU32::new(0));
    /// let counter = count.clone();
    /// Job::new(move || {
    ///     counter.fetch_add(1, Ordering::Relaxed);
    /// })
    /// .run();
    /// assert_eq!(count.load(Ordering::Relaxed), 1);
    /// ```
    pub fn run(self) {
        (self.0)()
    }
}

impl core::fmt::Debug for Job {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Job(..)")
    }
}

/// Creates a job queue of `capacity` slots: cloneable submitters and one executor.
///
/// Either side may be dropped first. When the executor is gone, a submit hands
/// the job back in [`PushError::Disconnected`] (run it yourself or drop it). Jobs
/// still queued when the executor is dropped are dropped unrun, then, by the
/// thread that drops it.
///
/// # Panics
/// If `capacity` is 0 or too large (as [`mpmc::channel`]).
///
/// ```
/// let (submit, mut exec) = ringkit::dispatch::jobs(8);
/// let worker = std::thread::spawn(move || {
///     for i in 0..3 {
///         submit.submit(move || println!("job {i} runs on the executor's thread")).unwrap();
///     }
/// }); // the last submitter is gone: `run` returns once the queue is empty
/// exec.run();
/// worker.join().unwrap();
/// ```
#[must_use]
#[track_caller]
pub fn jobs(capacity: usize) -> (JobSubmitter, JobExecutor) {
    let (tx, rx) = mpmc::channel(capacity);
    (JobSubmitter { tx }, JobExecutor { rx })
}

/// Submits jobs to a [`JobExecutor`]; made by [`jobs`]. Cloneable, `Send` and `Sync`.
///
/// ```
/// use std::sync::{atomic::{AtomicU32, Ordering}, Arc};
///
/// let (submit, mut exec) = ringkit::dispatch::jobs(8);
/// let count = Arc::new(AtomicU32::new(0));
/// let threads: Vec<_> = (0..3)
///     .map(|_| {
///         let submit = submit.clone();
///         let count = count.clone();
///         std::thread::spawn(move || {
///             submit.submit(move || {
///                 count.fetch_add(1, Ordering::Relaxed);
///             })
///         })
///     })
///     .collect();
/// for t in threads {
///     t.join().unwrap().unwrap();
/// }
/// assert_eq!(exec.run_pending(), 3);
/// assert_eq!(count.load(Ordering::Relaxed), 3);
/// ```
#[derive(Clone, Debug)]
pub struct JobSubmitter {
    tx: mpmc::Sender<Job>,
}

impl JobSubmitter {
    /// Queues `f` without blocking: `Full(job)` if the queue is full,
    /// `Disconnected(job)` if the executor is gone.
    ///
    /// ```
    /// let (submit, exec) = ringkit::dispatch::jobs(1);
    /// assert!(submit.try_submit(|| ()).is_ok());
    /// assert!(submit.try_submit(|| ()).unwrap_err().is_full());
    /// drop(exec);
    /// assert!(submit.try_submit(|| ()).unwrap_err().is_disconnected());
    /// ```
    pub fn try_submit(&self, f: impl FnOnce() + Send + 'static) -> Result<(), PushError<Job>> {
        self.tx.try_push(Job::new(f))
    }

    /// Queues `f`, blocking while the queue is full; `Disconnected(job)` if the
    /// executor is gone.
    ///
    /// ```
    /// let (submit, mut exec) = ringkit::dispatch::jobs(4);
    /// submit.submit(|| ()).unwrap(); // room: returns at once
    /// assert_eq!(exec.run_pending(), 1);
    /// drop(exec);
    /// assert!(submit.submit(|| ()).unwrap_err().is_disconnected());
    /// ```
    pub fn submit(&self, f: impl FnOnce() + Send + 'static) -> Result<(), PushError<Job>> {
        self.tx.push(Job::new(f))
    }

    /// Queues `f`, waiting without blocking the thread while the queue is full
    /// (the `async` feature); `Disconnected(job)` if the executor is gone.
    /// Dropping the future before it completes drops the job unqueued.
    ///
    /// ```
    /// let (submit, mut exec) = ringkit::dispatch::jobs(4);
    /// pollster::block_on(submit.submit_async(|| ())).unwrap();
    /// assert_eq!(exec.run_pending(), 1);
    /// ```
    #[cfg(feature = "async")]
    pub async fn submit_async(
        &self,
        f: impl FnOnce() + Send + 'static,
    ) -> Result<(), PushError<Job>> {
        self.tx.push_async(Job::new(f)).await
    }

    /// True once the executor is gone.
    ///
    /// ```
    /// let (submit, exec) = ringkit::dispatch::jobs(4);
    /// assert!(!submit.is_disconnected());
    /// drop(exec);
    /// assert!(submit.is_disconnected());
    /// ```
    #[must_use]
    pub fn is_disconnected(&self) -> bool {
        self.tx.is_disconnected()
    }
}

/// Runs the jobs of a queue made by [`jobs`], on the thread that calls it. Not
/// `Clone`: one executor.
///
/// ```
/// use std::sync::mpsc;
///
/// let (submit, mut exec) = ringkit::dispatch::jobs(4);
/// let worker = std::thread::spawn(move || exec.run()); // until every submitter is gone
/// let worker_id = worker.thread().id();
/// let (tx, rx) = mpsc::channel();
/// submit.submit(move || tx.send(std::thread::current().id()).unwrap()).unwrap();
/// drop(submit);
/// worker.join().unwrap();
/// assert_eq!(rx.try_recv(), Ok(worker_id)); // the job ran on the executor's thread
/// ```
#[derive(Debug)]
pub struct JobExecutor {
    rx: mpmc::Receiver<Job>,
}

impl JobExecutor {
    /// The queue's receiving end, for the dispatcher's tests that stall a
    /// submit between its claim and its write.
    #[cfg(all(test, feature = "async"))]
    pub(super) fn receiver(&self) -> &mpmc::Receiver<Job> {
        &self.rx
    }

    /// Runs the jobs queued now, at most `capacity` of them (so it returns even
    /// while submitters keep submitting); returns how many ran. A panicking job's
    /// panic goes on to the caller (that job is gone; the others stay queued).
    ///
    /// ```
    /// let (submit, mut exec) = ringkit::dispatch::jobs(4);
    /// for _ in 0..3 {
    ///     submit.try_submit(|| ()).unwrap();
    /// }
    /// assert_eq!(exec.run_pending(), 3);
    /// assert_eq!(exec.run_pending(), 0); // returns at once when nothing is queued
    /// ```
    pub fn run_pending(&mut self) -> usize {
        let mut ran = 0;
        while ran < self.rx.capacity() {
            let Ok(job) = self.rx.try_pop() else { break };
            ran += 1;
            job.run();
        }
        ran
    }

    /// Runs jobs as they come, sleeping while the queue is empty, until every
    /// submitter is gone and the queue is drained. A job's panic goes on to the
    /// caller.
    ///
    /// ```
    /// use std::sync::{atomic::{AtomicU32, Ordering}, Arc};
    ///
    /// let (submit, mut exec) = ringkit::dispatch::jobs(4);
    /// let count = Arc::new(AtomicU32::new(0));
    /// for _ in 0..3 {
    ///     let count = count.clone();
    ///     submit
    ///         .try_submit(move || {
    ///             count.fetch_add(1, Ordering::Relaxed);
    ///         })
    ///         .unwrap();
    /// }
    /// drop(submit);
    /// exec.run(); // runs the three, then returns: no submitter is left
    /// assert_eq!(count.load(Ordering::Relaxed), 3);
    /// ```
    pub fn run(&mut self) {
        for job in self.rx.iter() {
            job.run();
        }
    }

    /// Like [`run`](JobExecutor::run), waiting without blocking the thread
    /// while the queue is empty (the `async` feature): runs jobs as they come,
    /// inside the task that awaits it, until every submitter is gone and the
    /// queue is drained. Dropping the future between jobs loses none.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use std::sync::Arc;
    ///
    /// let (submit, mut exec) = ringkit::dispatch::jobs(4);
    /// let count = Arc::new(AtomicU32::new(0));
    /// let submitter = {
    ///     let count = count.clone();
    ///     std::thread::spawn(move || {
    ///         for _ in 0..3 {
    ///             let count = count.clone();
    ///             submit.submit(move || {
    ///                 count.fetch_add(1, Ordering::Relaxed);
    ///             }).unwrap();
    ///         }
    ///     }) // drops `submit`
    /// };
    /// pollster::block_on(exec.run_async());
    /// submitter.join().unwrap();
    /// assert_eq!(count.load(Ordering::Relaxed), 3);
    /// ```
    #[cfg(feature = "async")]
    pub async fn run_async(&mut self) {
        while let Ok(job) = self.rx.pop_async().await {
            job.run();
        }
    }

    /// True once every submitter is gone (jobs may still be queued).
    ///
    /// ```
    /// let (submit, mut exec) = ringkit::dispatch::jobs(4);
    /// submit.try_submit(|| ()).unwrap();
    /// assert!(!exec.is_disconnected());
    /// drop(submit);
    /// assert!(exec.is_disconnected());
    /// assert_eq!(exec.run_pending(), 1); // the job queued before is still there
    /// ```
    #[must_use]
    pub fn is_disconnected(&self) -> bool {
        self.rx.is_disconnected()
    }
}

/// An executor waits for a job, or for every submitter to go: its queue's
/// condition.
impl Waitable for JobExecutor {
    type Seen = ();

    fn ready_cell(&self) -> &WaitCell {
        self.rx.ready_cell()
    }

    fn looks_ready(&self, (): ()) -> bool {
        self.rx.looks_ready(())
    }

    fn is_ready(&self, (): ()) -> bool {
        self.rx.is_ready(())
    }
}

pub(super) struct JobSource {
    exec: JobExecutor,
    /// A job an idle `run_async` took while waiting (see `poll_idle`); the
    /// next poll runs it first.
    next: Option<Job>,
    done: bool,
}

impl JobSource {
    pub(super) fn new(exec: JobExecutor) -> Self {
        JobSource {
            exec,
            next: None,
            done: false,
        }
    }

    /// The next job: the one taken while waiting, else one popped as `by`
    /// allows (see [`Caller`]).
    fn take(&mut self, by: Caller) -> Result<Job, PopError> {
        if let Some(job) = self.next.take() {
            return Ok(job);
        }
        match by {
            Caller::Thread => self.exec.rx.try_pop(),
            #[cfg(feature = "async")]
            Caller::Task => self.exec.rx.pop_for_wait().map(|(_, job)| job),
        }
    }
}

impl Source for JobSource {
    fn poll(&mut self, batch: usize, _now: &Now<'_>, by: Caller) -> usize {
        let mut ran = 0;
        while ran < batch {
            match self.take(by) {
                Ok(job) => {
                    ran += 1;
                    // A panicking job is gone (it was a FnOnce); its payload is
                    // dropped and the dispatcher goes on.
                    if let Err(payload) = catch_unwind(AssertUnwindSafe(|| job.run())) {
                        drop_payload(payload);
                    }
                }
                Err(e) => {
                    self.done = e == PopError::Disconnected;
                    break;
                }
            }
        }
        ran
    }

    fn looks_ready(&self) -> bool {
        self.next.is_some() || self.exec.rx.looks_ready(())
    }

    fn finished(&self) -> bool {
        self.done && self.next.is_none()
    }

    fn cell(&self) -> &WaitCell {
        self.exec.rx.ready_cell()
    }

    fn kind(&self) -> Kind {
        Kind::Queue
    }

    /// The pop is the attempt, as in `TakingSource`: a job whose slot is
    /// claimed but not yet written leaves the task waiting in the cell.
    #[cfg(feature = "async")]
    fn poll_idle(
        &mut self,
        task: &mut crate::wait::TaskWait,
        cx: &mut core::task::Context<'_>,
    ) -> core::task::Poll<()> {
        if self.next.is_some() {
            return core::task::Poll::Ready(());
        }
        let (rx, next) = (&self.exec.rx, &mut self.next);
        rx.ready_cell()
            .poll_wait(task, cx, || match rx.pop_for_wait() {
                Ok((_, job)) => {
                    *next = Some(job);
                    Some(())
                }
                Err(PopError::Disconnected) => Some(()),
                Err(PopError::Empty) => None,
            })
    }
}
