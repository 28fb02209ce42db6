//! `membarrier(2)` on Linux: the heavy half of the barrier pair in `barrier.rs`.
//! The process registers once, when the first wait cell is built; from then on a
//! light barrier is only a compiler fence, and a heavy barrier makes every running
//! thread of the process pass a full barrier.

use core::sync::atomic::{AtomicU8, Ordering};

const UNKNOWN: u8 = 0;
const YES: u8 = 1;
const NO: u8 = 2;
static STATE: AtomicU8 = AtomicU8::new(UNKNOWN);

const CMD_PRIVATE_EXPEDITED: libc::c_int = 1 << 3;
const CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_int = 1 << 4;

/// True once registration succeeded. A light barrier that reads `false` (not yet
/// registered, or unsupported) uses a real fence, which is always correct.
#[inline(always)]
pub(crate) fn available() -> bool {
    // ORDERING: Relaxed. STATE guards no data; the only fact read is whether a
    // heavy barrier will be a membarrier, and YES is stored only after the
    // kernel has registered the process, so any heavy barrier that follows a
    // light barrier which read YES is a real membarrier.
    STATE.load(Ordering::Relaxed) == YES
}

fn syscall(cmd: libc::c_int) -> bool {
    // SAFETY: membarrier takes two integer arguments and touches no memory of
    // ours; an unknown command fails with EINVAL, which we treat as "no".
    unsafe { libc::syscall(libc::SYS_membarrier, cmd, 0 as libc::c_int) == 0 }
}

/// Registers the process once; true if membarrier can be used.
pub(crate) fn register() -> bool {
    // ORDERING: Relaxed, as in `available`.
    match STATE.load(Ordering::Relaxed) {
        YES => true,
        NO => false,
        _ => register_slow(),
    }
}

#[cold]
fn register_slow() -> bool {
    let ok = syscall(CMD_REGISTER_PRIVATE_EXPEDITED);
    // ORDERING: Relaxed, as in `available`: registration is a system call that
    // completes before this store. The state is decided once, by the first
    // thread to finish registering: a YES is never taken back, because
    // notifiers that read it run only a compiler fence from then on. (Two
    // threads may both register; registration is idempotent.)
    match STATE.compare_exchange(
        UNKNOWN,
        if ok { YES } else { NO },
        Ordering::Relaxed,
        Ordering::Relaxed,
    ) {
        Ok(_) => ok,
        Err(decided) => decided == YES,
    }
}

/// Runs the heavy barrier; false when membarrier is not in use (the caller then
/// falls back to a fence, as every light barrier does). Aborts the process if
/// the process is registered but the barrier fails: see `heavy_barrier`.
#[cold]
pub(crate) fn heavy() -> bool {
    if !register() {
        return false;
    }
    if !syscall(CMD_PRIVATE_EXPEDITED) {
        fail();
    }
    true
}

/// Says why on stderr, then aborts. Light barriers elsewhere in the process may
/// be compiler fences that only this system call made enough, so going on
/// could lose a wake-up without a trace.
#[cold]
#[inline(never)]
fn fail() -> ! {
    // Read errno first: nothing below may overwrite it before it is formatted.
    let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
    let mut msg = [0u8; 256];
    let mut w = Cursor(&mut msg, 0);
    let _ = core::fmt::Write::write_fmt(
        &mut w,
        format_args!(
            "ringkit: membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) failed with errno \
             {errno} after the process had registered for it; a wake-up could be \
             lost, so the process will abort\n"
        ),
    );
    let len = w.1;
    // SAFETY: writes `len <= msg.len()` initialized bytes of `msg` to fd 2;
    // write(2) takes no lock, so this works whatever other threads hold.
    unsafe { libc::write(2, msg.as_ptr().cast(), len) };
    std::process::abort();
}

/// Formats into a fixed buffer (truncating), so the abort path allocates nothing.
struct Cursor<'a>(&'a mut [u8], usize);

impl core::fmt::Write for Cursor<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let room = self.0.len() - self.1;
        let n = s.len().min(room);
        self.0[self.1..self.1 + n].copy_from_slice(&s.as_bytes()[..n]);
        self.1 += n;
        Ok(())
    }
}
