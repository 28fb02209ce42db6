//! Jobs: closures other threads hand to one thread to run, alone
//! ([`JobExecutor::run`]) or as a source of a [`Dispatcher`](super::Dispatcher).

use super::delivery::drop_payload;
use super::source::{Kind, Source};
use crate::wait::{WaitCell, Waitable};
use crate::{mpmc, PopError, PushError};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::prelude::rust_2021::*;

/// A job: a boxed `FnOnce() + Send`. One heap allocation per job, none for a
/// closure that captures nothing.
pub struct Job(Box<dyn FnOnce() + Send + 'static>);

impl Job {
    /// Wraps a closure.
    pub fn new(f: impl FnOnce() + Send + 'static) -> Self {
        Job(Box::new(f))
    }

    /// Runs the job here.
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
#[derive(Clone, Debug)]
pub struct JobSubmitter {
    tx: mpmc::Sender<Job>,
}

impl JobSubmitter {
    /// Queues `f` without blocking: `Full(job)` if the queue is full,
    /// `Disconnected(job)` if the executor is gone.
    pub fn try_submit(&self, f: impl FnOnce() + Send + 'static) -> Result<(), PushError<Job>> {
        self.tx.try_push(Job::new(f))
    }

    /// Queues `f`, blocking while the queue is full; `Disconnected(job)` if the
    /// executor is gone.
    pub fn submit(&self, f: impl FnOnce() + Send + 'static) -> Result<(), PushError<Job>> {
        self.tx.push(Job::new(f))
    }

    /// True once the executor is gone.
    #[must_use]
    pub fn is_disconnected(&self) -> bool {
        self.tx.is_disconnected()
    }
}

/// Runs the jobs of a queue made by [`jobs`], on the thread that calls it. Not
/// `Clone`: one executor.
#[derive(Debug)]
pub struct JobExecutor {
    rx: mpmc::Receiver<Job>,
}

impl JobExecutor {
    /// Runs the jobs queued now, at most `capacity` of them (so it returns even
    /// while submitters keep submitting); returns how many ran. A panicking job's
    /// panic goes on to the caller (that job is gone; the others stay queued).
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
    pub fn run(&mut self) {
        for job in self.rx.iter() {
            job.run();
        }
    }

    /// True once every submitter is gone (jobs may still be queued).
    #[must_use]
    pub fn is_disconnected(&self) -> bool {
        self.rx.is_disconnected()
    }
}

pub(super) struct JobSource {
    exec: JobExecutor,
    done: bool,
}

impl JobSource {
    pub(super) fn new(exec: JobExecutor) -> Self {
        JobSource { exec, done: false }
    }
}

impl Source for JobSource {
    fn poll(&mut self, batch: usize) -> usize {
        let mut ran = 0;
        while ran < batch {
            match self.exec.rx.try_pop() {
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
        self.exec.rx.looks_ready(())
    }

    fn finished(&self) -> bool {
        self.done
    }

    fn cell(&self) -> &WaitCell {
        self.exec.rx.ready_cell()
    }

    fn kind(&self) -> Kind {
        Kind::Queue
    }
}
