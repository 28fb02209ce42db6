//! The Linux futex behind [`Futex`](super::Futex).

use super::AtomicU32;
use std::time::Instant;

/// A 32-bit word that threads can sleep on until it changes.
pub(crate) struct Futex {
    word: AtomicU32,
}

impl Futex {
    pub(crate) fn new(value: u32) -> Self {
        Futex {
            word: AtomicU32::new(value),
        }
    }

    /// The word itself; all its read-modify-writes go through here.
    #[inline(always)]
    pub(crate) fn word(&self) -> &AtomicU32 {
        &self.word
    }

    /// Sleeps while the word equals `expected`, until woken, until `deadline`, or
    /// spuriously. Returns at once if the word differs. Callers loop.
    pub(crate) fn wait(&self, expected: u32, deadline: Option<Instant>) {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        let ts_ptr: *const libc::timespec = match deadline {
            None => core::ptr::null(),
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return;
                }
                ts.tv_sec = left.as_secs().min(libc::time_t::MAX as u64) as libc::time_t;
                ts.tv_nsec = left.subsec_nanos() as libc::c_long;
                &ts
            }
        };
        // SAFETY: the word is a live, aligned AtomicU32 for the duration of the
        // call (we borrow `self`); FUTEX_WAIT only reads it, atomically, in the
        // kernel. `ts_ptr` is null or points to `ts`, which outlives the call.
        // EAGAIN (word changed), EINTR and ETIMEDOUT are all "return and re-check".
        unsafe {
            libc::syscall(
                libc::SYS_futex,
                self.word.as_ptr(),
                libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
                expected,
                ts_ptr,
            );
        }
    }

    /// Wakes every thread sleeping on the word.
    pub(crate) fn wake_all(&self) {
        // SAFETY: as in `wait`; FUTEX_WAKE does not access the word's memory.
        unsafe {
            libc::syscall(
                libc::SYS_futex,
                self.word.as_ptr(),
                libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
                i32::MAX,
            );
        }
    }
}
