//! Real-time facts, shown by tests: after construction, the non-blocking paths
//! allocate nothing (a counting global allocator) and make no system call (a
//! forked child runs them under seccomp's strict mode, where any system call but
//! read/write/exit kills it). Blocking operations that find their condition
//! already true take the same path and are covered too.
//!
//! `scripts/check nostd` also runs this file against the `--no-default-features`
//! build, where the blocking operations do not exist (they are left out below).

use ringkit::event::{Event, EventFlag};
use ringkit::seqlock::SeqLock;
use ringkit::{broadcast, mpmc, spsc};

#[path = "common/counting.rs"]
mod counting;

use counting::allocs;

/// Everything the hot paths touch, built up front.
struct Prims {
    spsc: (spsc::Producer<u64>, spsc::Consumer<u64>),
    stamped: (spsc::stamped::Producer<u64>, spsc::stamped::Consumer<u64>),
    queue: mpmc::Queue<u64>,
    chan: (mpmc::Sender<u64>, mpmc::Receiver<u64>),
    seqlock: SeqLock<[u64; 4]>,
    flag: EventFlag<[u64; 4]>,
    event: Event,
    bcast: (broadcast::Publisher<u64>, broadcast::Subscriber<u64>),
    /// Room for the MPMC batches, reserved at construction.
    batch: std::collections::VecDeque<u64>,
    /// Windows of ids: the last 16, and the last 16 within a span (given a
    /// clock of its own, so the test makes no clock read).
    #[cfg(feature = "std")]
    dedup: (
        ringkit::dedup::Dedup<u64>,
        ringkit::dedup::Dedup<u64>,
        std::time::Instant,
    ),
    /// A resend table with a maximum of attempts (a clock of its own, as above).
    #[cfg(feature = "std")]
    resend: (ringkit::resend::Outstanding<u64>, std::time::Instant),
    #[cfg(feature = "std")]
    selector: ringkit::select::Selector,
}

impl Prims {
    fn new() -> Self {
        Prims {
            spsc: spsc::channel(64),
            stamped: spsc::stamped::channel(64),
            queue: mpmc::Queue::new(64),
            chan: mpmc::channel(64),
            seqlock: SeqLock::new([0; 4]),
            flag: EventFlag::new([0; 4]),
            event: Event::auto_reset(),
            bcast: broadcast::channel(64),
            batch: std::collections::VecDeque::with_capacity(8),
            #[cfg(feature = "std")]
            dedup: (
                ringkit::dedup::Dedup::new(16),
                ringkit::dedup::Dedup::new(16).with_span(std::time::Duration::from_secs(5)),
                std::time::Instant::now(),
            ),
            #[cfg(feature = "std")]
            resend: (
                ringkit::resend::Outstanding::new(8, std::time::Duration::from_millis(10))
                    .with_max_attempts(3),
                std::time::Instant::now(),
            ),
            #[cfg(feature = "std")]
            selector: ringkit::select::Selector::new(),
        }
    }

    /// Runs every non-blocking path (and the blocking ones whose condition holds)
    /// a few hundred times; returns a checksum so nothing is optimized away.
    fn exercise(&mut self) -> u64 {
        let mut sum = 0u64;
        for i in 0..300u64 {
            let (tx, rx) = &mut self.spsc;
            tx.try_push(i).unwrap();
            #[cfg(feature = "std")]
            tx.push(i).unwrap();
            sum += *rx.peek().unwrap();
            sum += rx.try_pop().unwrap();
            #[cfg(feature = "std")]
            {
                sum += rx.pop().unwrap();
            }
            let chunk = tx.write_chunk_uninit(8).unwrap();
            chunk.fill_from_iter(0..8);
            let chunk = rx.read_chunk(8).unwrap();
            let (a, b) = chunk.as_slices();
            sum += a.iter().chain(b).sum::<u64>();
            chunk.commit_all();
            sum += rx.next_seq() + tx.len() as u64;
            let batch = [i; 8];
            assert_eq!(tx.push_slice(&batch), 8);
            let mut out = [0u64; 8];
            assert_eq!(rx.pop_slice(&mut out), 8);
            sum += out.iter().sum::<u64>();

            let (tx, rx) = &mut self.stamped;
            tx.try_push(i).unwrap();
            sum += rx.try_pop().unwrap() + rx.next_seq();
            assert!(rx.try_pop().is_err());

            self.queue.try_push(i).unwrap();
            sum += self.queue.try_pop().unwrap();
            self.queue.force_push(i);
            sum += self.queue.try_pop_with_seq().unwrap().0;

            let (s, r) = &self.chan;
            s.try_push(i).unwrap();
            sum += r.try_pop().unwrap();
            // Batches into and out of collections that already have room.
            self.batch.extend([i, i + 1]);
            assert_eq!(s.try_push_from(&mut self.batch), Ok(2));
            assert_eq!(r.try_pop_into(&mut self.batch, 2), Ok(2));
            sum += self.batch.drain(..).sum::<u64>();
            #[cfg(feature = "std")]
            {
                s.push(i).unwrap();
                sum += r.pop().unwrap();
            }

            self.seqlock.write([i; 4]);
            sum += self.seqlock.read()[0] + self.seqlock.try_read().unwrap()[1];

            let g = self.flag.publish([i; 4]);
            sum += g;
            sum += self.flag.read().0 + self.flag.try_read().unwrap().1[2] + self.flag.generation();
            #[cfg(feature = "std")]
            {
                sum += self.flag.wait_newer(g - 1).0; // already newer: does not block
            }

            self.event.set();
            sum += u64::from(self.event.is_set()) + u64::from(self.event.try_wait());
            #[cfg(feature = "std")]
            {
                self.event.set();
                self.event.wait(); // set: does not block
            }
            self.event.reset();

            let (p, sub) = &mut self.bcast;
            p.publish(i);
            sum += sub.try_recv().unwrap().1;
            p.publish(i);
            sum += sub.try_recv_now().unwrap().1;

            // Selects over every kind of source, one of them ready: no parking.
            #[cfg(feature = "std")]
            {
                let (tx, rx) = &mut self.spsc;
                tx.try_push(i).unwrap();
                let newer = self.flag.newer_than(self.flag.generation());
                let sources: [&dyn ringkit::select::Source; 5] =
                    [&self.chan.1, &self.bcast.1, &newer, &self.event, &*rx];
                assert_eq!(self.selector.try_select(&sources), Some(4));
                assert_eq!(self.selector.select(&sources), 4);
                assert_eq!(self.selector.try_select(&sources[..4]), None);
                sum += rx.try_pop().unwrap();
            }

            // Past the window's bound every record evicts the oldest id.
            #[cfg(feature = "std")]
            {
                let (last, timed, t0) = &mut self.dedup;
                for id in [i, i / 2] {
                    if !last.is_duplicate(&id) {
                        last.record(id);
                    }
                    sum += u64::from(last.insert(id + 1000)) + u64::from(last.contains(&id));
                    let now = *t0 + std::time::Duration::from_millis(i * 100);
                    if !timed.is_duplicate_at(&id, now) {
                        timed.record_at(id, now);
                    }
                }
            }

            // Sends (some refused: the table fills), resends, give-ups and
            // acknowledgements of every kind.
            #[cfg(feature = "std")]
            {
                let (table, t0) = &mut self.resend;
                let now = *t0 + std::time::Duration::from_millis(i * 4);
                sum += table.send_at(i, now).unwrap_or(0);
                sum += table.due_at(now).map(|(id, m)| id + m).sum::<u64>();
                while let Some((id, m)) = table.give_up_at(now) {
                    sum += id + m;
                }
                sum += table
                    .next_deadline()
                    .map_or(0, |d| (d - *t0).as_millis() as u64);
                sum += table.ack(i / 2).unwrap_or(0) + u64::from(table.attempts(i).unwrap_or(0));
                sum += table.ack_through(i.saturating_sub(20)) as u64 + table.len() as u64;
            }
        }
        sum
    }
}

#[test]
fn hot_paths_allocate_nothing_after_construction() {
    let mut prims = Prims::new();
    prims.exercise(); // warm up: first-use effects, if any, are not the hot path
    let before = allocs();
    let sum = prims.exercise();
    assert_eq!(
        allocs() - before,
        0,
        "allocations on the hot paths (checksum {sum})"
    );
}

/// The same paths in a forked child under seccomp strict mode: a single system
/// call other than read/write/exit kills the child with SIGKILL.
#[test]
#[cfg(all(target_os = "linux", not(miri)))]
fn hot_paths_make_no_system_call() {
    let mut prims = Prims::new();
    prims.exercise();
    // SAFETY: fork in a threaded test process: the child runs only ringkit's
    // non-blocking paths, which take no lock and allocate nothing (previous test),
    // then leaves through the raw exit system call; nothing in it depends on other
    // threads of the parent.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        // SAFETY: prctl with these constants only changes this (child) process's
        // seccomp mode; from here on only read, write, exit and sigreturn are allowed.
        unsafe { libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_STRICT) };
        let sum = prims.exercise();
        std::hint::black_box(sum);
        // SAFETY: SYS_exit ends this single-threaded child; it is allowed in strict mode.
        unsafe { libc::syscall(libc::SYS_exit, 0) };
        unreachable!();
    }
    let mut status = 0;
    // SAFETY: waits for our own child; `status` is a valid out-pointer.
    let r = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(r, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "the child made a system call on a non-blocking path (killed by signal {})",
        if libc::WIFSIGNALED(status) {
            libc::WTERMSIG(status)
        } else {
            0
        }
    );
}

/// How a forked child ended, and what it wrote to its stderr.
#[cfg(all(target_os = "linux", not(miri), feature = "std"))]
struct ChildEnd {
    status: libc::c_int,
    stderr: String,
}

#[cfg(all(target_os = "linux", not(miri), feature = "std"))]
impl ChildEnd {
    fn exited_normally(&self) -> bool {
        libc::WIFEXITED(self.status) && libc::WEXITSTATUS(self.status) == 0
    }
    fn signal(&self) -> libc::c_int {
        if libc::WIFSIGNALED(self.status) {
            libc::WTERMSIG(self.status)
        } else {
            0
        }
    }
}

/// Runs `f` in a forked child whose stderr is a pipe back to us, and waits for it.
/// The child leaves through the raw `exit` system call (status 0), or status 1 if
/// `f` panics; a signal that kills it shows in the status.
#[cfg(all(target_os = "linux", not(miri), feature = "std"))]
fn in_child(f: impl FnOnce()) -> ChildEnd {
    use std::io::Read;
    use std::os::fd::FromRawFd;
    let mut fds = [0; 2];
    // SAFETY: `fds` is a valid out-array of two descriptors.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0, "pipe failed");
    // SAFETY: fork in a threaded test process: the child runs only `f` (ringkit
    // calls on structures built before the fork, which take no lock that another
    // thread could hold) and then leaves through the raw exit system call.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        // SAFETY: plain descriptor calls on descriptors this child owns.
        unsafe {
            libc::close(fds[0]);
            libc::dup2(fds[1], 2);
        }
        let code = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
            Ok(()) => 0,
            Err(_) => 1,
        };
        // SAFETY: SYS_exit ends this single-threaded child (allowed in seccomp
        // strict mode, unlike exit_group).
        unsafe { libc::syscall(libc::SYS_exit, code) };
        unreachable!();
    }
    // SAFETY: we own the write end and close it once, so the read below ends when
    // the child's copy closes; the read end is ours and moves into the File.
    let mut reader = unsafe {
        libc::close(fds[1]);
        std::fs::File::from_raw_fd(fds[0])
    };
    let mut stderr = String::new();
    let _ = reader.read_to_string(&mut stderr);
    let mut status = 0;
    // SAFETY: waits for our own child; `status` is a valid out-pointer.
    let r = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(r, pid);
    ChildEnd { status, stderr }
}

/// Installs a seccomp filter that makes every `membarrier(2)` call fail with EPERM
/// and allows everything else, as a sandbox installed after start-up might.
#[cfg(all(target_os = "linux", not(miri), feature = "std"))]
fn deny_membarrier() {
    let filter = [
        // Load the system call number.
        libc::sock_filter {
            code: (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16,
            jt: 0,
            jf: 0,
            k: 0,
        },
        // membarrier: fall through to the EPERM return; anything else: skip it.
        libc::sock_filter {
            code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
            jt: 0,
            jf: 1,
            k: libc::SYS_membarrier as u32,
        },
        libc::sock_filter {
            code: (libc::BPF_RET | libc::BPF_K) as u16,
            jt: 0,
            jf: 0,
            k: libc::SECCOMP_RET_ERRNO | libc::EPERM as u32,
        },
        libc::sock_filter {
            code: (libc::BPF_RET | libc::BPF_K) as u16,
            jt: 0,
            jf: 0,
            k: libc::SECCOMP_RET_ALLOW,
        },
    ];
    let prog = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_ptr().cast_mut(),
    };
    // SAFETY: prctl with these arguments only changes this process's privileges
    // and seccomp filter; `prog` and `filter` outlive the call, which copies them.
    unsafe {
        assert_eq!(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
        assert_eq!(
            libc::prctl(
                libc::PR_SET_SECCOMP,
                libc::SECCOMP_MODE_FILTER,
                &prog as *const libc::sock_fprog
            ),
            0,
            "installing the seccomp filter failed"
        );
    }
}

/// A waiter relies on `membarrier(2)` once the process has registered for it
/// (notifiers then run only a compiler fence). If the call later fails (here: a
/// seccomp filter installed after registration), a wake-up could be lost without
/// a trace; instead the process aborts and says why. The control child, without
/// the filter, shows the same timed wait otherwise returns normally.
#[test]
#[cfg(all(target_os = "linux", not(miri), feature = "std"))]
fn membarrier_failing_after_registration_aborts_with_a_message() {
    use std::time::Duration;
    let (_tx, mut rx) = spsc::channel::<u64>(4); // registers for membarrier
    let control = in_child(|| {
        assert_eq!(
            rx.pop_timeout(Duration::from_millis(1)),
            Err(ringkit::PopTimeoutError::Timeout)
        );
    });
    assert!(
        control.exited_normally(),
        "control child failed (signal {}): {}",
        control.signal(),
        control.stderr
    );
    let denied = in_child(|| {
        deny_membarrier();
        // A deadline far enough away that the wait gets past its spins and yields
        // and parks (the heavy barrier) however busy the machine is: the child
        // aborts there, or, if the failure went unnoticed, returns after it.
        let _ = rx.pop_timeout(Duration::from_secs(10));
    });
    assert_eq!(
        denied.signal(),
        libc::SIGABRT,
        "a failed membarrier went unnoticed (child status {:#x}, stderr {:?})",
        denied.status,
        denied.stderr
    );
    assert!(
        denied.stderr.contains("membarrier") && denied.stderr.contains("abort"),
        "the abort does not say why: {:?}",
        denied.stderr
    );
}

/// A waiter that gave up (timed out) after setting the parked bit takes the bit
/// back, so the next notify, with nobody parked, makes no system call: the push
/// runs in seccomp strict mode, where a `futex` call would kill the child.
#[test]
#[cfg(all(target_os = "linux", not(miri), feature = "std"))]
fn notify_after_a_timed_out_wait_makes_no_system_call() {
    use std::time::Duration;
    let (mut tx, mut rx) = spsc::channel::<u64>(4);
    let (s, r) = mpmc::channel::<u64>(4);
    let flag = EventFlag::new(0u64);
    let end = in_child(|| {
        // Each of these parks (sets its cell's parked bit) and times out. The
        // timeouts are long enough for each wait to get past its spins and
        // yields and park, however busy the machine is.
        let wait = Duration::from_millis(50);
        assert_eq!(rx.pop_timeout(wait), Err(ringkit::PopTimeoutError::Timeout));
        assert!(r.pop_timeout(wait).is_err());
        assert!(flag.wait_newer_timeout(0, wait).is_err());
        // SAFETY: prctl with these constants only changes this (child) process's
        // seccomp mode; from here on only read, write, exit and sigreturn are allowed.
        unsafe { libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_STRICT) };
        tx.try_push(1).unwrap();
        s.try_push(2).unwrap();
        flag.publish(3);
    });
    assert!(
        end.exited_normally(),
        "a notify with nobody parked made a system call (killed by signal {})",
        end.signal()
    );
}

/// A selector reuses its scratch space, and a source's list of doorbells keeps
/// its capacity after a detach: after one warm-up round, neither a select that
/// finds a source ready nor one that parks (and times out) allocates.
#[test]
#[cfg(all(feature = "std", not(miri)))]
fn select_allocates_nothing_after_its_first_park() {
    use ringkit::select::Selector;
    use std::time::Duration;

    let (mut tx, mut rx) = spsc::channel::<u64>(4);
    let (_mtx, mrx) = mpmc::channel::<u64>(4);
    let (_publisher, sub) = broadcast::channel::<u64>(4);
    let flag = EventFlag::new(0u64);
    let event = Event::manual_reset();
    let mut selector = Selector::new();
    let round = |selector: &mut Selector,
                 tx: &mut spsc::Producer<u64>,
                 rx: &mut spsc::Consumer<u64>| {
        let wait = Duration::from_micros(100);
        let none = selector.select_timeout(&[&*rx, &mrx, &sub, &flag.newer_than(0), &event], wait);
        assert_eq!(none, None);
        tx.try_push(1).unwrap();
        assert_eq!(
            selector.select(&[&*rx, &mrx, &sub, &flag.newer_than(0), &event]),
            0
        );
        assert_eq!(selector.try_select(&[&mrx, &*rx]), Some(1));
        rx.try_pop().unwrap()
    };
    round(&mut selector, &mut tx, &mut rx);
    let before = allocs();
    for _ in 0..3 {
        round(&mut selector, &mut tx, &mut rx);
    }
    assert_eq!(allocs() - before, 0, "a select allocated");
}
