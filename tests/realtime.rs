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
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Counts allocations made by the current thread.
struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards every call to the system allocator unchanged; the counter is a
// const-initialized thread-local `Cell`, which needs no allocation to access.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.with(|c| c.get())
}

/// Everything the hot paths touch, built up front.
struct Prims {
    spsc: (spsc::Producer<u64>, spsc::Consumer<u64>),
    queue: mpmc::Queue<u64>,
    chan: (mpmc::Sender<u64>, mpmc::Receiver<u64>),
    seqlock: SeqLock<[u64; 4]>,
    flag: EventFlag<[u64; 4]>,
    event: Event,
    bcast: (broadcast::Publisher<u64>, broadcast::Subscriber<u64>),
}

impl Prims {
    fn new() -> Self {
        Prims {
            spsc: spsc::channel(64),
            queue: mpmc::Queue::new(64),
            chan: mpmc::channel(64),
            seqlock: SeqLock::new([0; 4]),
            flag: EventFlag::new([0; 4]),
            event: Event::auto_reset(),
            bcast: broadcast::channel(64),
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

            self.queue.try_push(i).unwrap();
            sum += self.queue.try_pop().unwrap();
            self.queue.force_push(i);
            sum += self.queue.try_pop_with_seq().unwrap().0;

            let (s, r) = &self.chan;
            s.try_push(i).unwrap();
            sum += r.try_pop().unwrap();
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
