//! Byte streams over a ring: `std::io::Write` for `Producer<u8>` and
//! `std::io::Read` for `Consumer<u8>`, with pipe semantics.
//!
//! * `write` blocks until at least one byte fits, copies as many as fit (every
//!   free slot, up to the buffer's length), and fails with `BrokenPipe` once the
//!   consumer is gone.
//! * `read` blocks until at least one byte is there, copies every byte there is
//!   (up to the buffer's length), and returns `Ok(0)` (end of stream) once the
//!   producer is gone and the ring is empty.
//!
//! So `std::io::copy`, `read_to_end` and `write_all` work as they do on a pipe.

use super::{Consumer, Producer};
use crate::error::{ChunkError, PopError};
use std::io;

/// A byte ring as a pipe's writing end; see [`Producer`] and the `Read` side on
/// [`Consumer`].
///
/// ```
/// use std::io::Write;
///
/// let (mut tx, mut rx) = ringkit::spsc::channel::<u8>(4);
/// assert_eq!(tx.write(b"hello").unwrap(), 4); // as many bytes as fit
/// assert_eq!(rx.try_iter().collect::<Vec<_>>(), b"hell");
/// drop(rx);
/// assert_eq!(tx.write(b"o").unwrap_err().kind(), std::io::ErrorKind::BrokenPipe);
/// ```
impl io::Write for Producer<u8> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            // Asking for the whole buffer refreshes this side's copy of `head`
            // unless it already covers the buffer, so every free slot is filled.
            // `free` only grows until we write, so a chunk of `min(free, len)`
            // slots is there whenever `free > 0`.
            let free = self.free_slots(buf.len());
            match self.write_chunk_uninit(free.min(buf.len()).max(1)) {
                Ok(chunk) => return Ok(chunk.fill_from_iter(buf.iter().copied())),
                Err(ChunkError::Disconnected) => return Err(io::ErrorKind::BrokenPipe.into()),
                Err(_) => {}
            }
            let ring = &*self.ring;
            let tail = self.tail;
            ring.not_full.wait_until(None, || {
                // ORDERING: Relaxed: only decides whether to stop waiting; the
                // retried `free_slots` reloads `head` with acquire.
                let head = ring.head.load(crate::sync::Ordering::Relaxed);
                tail.wrapping_sub(head) < ring.capacity || ring.consumer_gone()
            });
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A byte ring as a pipe's reading end.
///
/// ```
/// use std::io::{Read, Write};
///
/// let (mut tx, mut rx) = ringkit::spsc::channel::<u8>(16);
/// tx.write_all(b"hello").unwrap();
/// drop(tx); // end of stream once the ring is empty
/// let mut text = String::new();
/// rx.read_to_string(&mut text).unwrap();
/// assert_eq!(text, "hello");
/// ```
impl io::Read for Consumer<u8> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            // Asking for the whole buffer refreshes this side's copy of `tail`
            // unless it already covers the buffer, so every byte that is there
            // is copied, not just those the copy knew about.
            match self.available_or_disconnected(buf.len()) {
                Ok(have) => {
                    let chunk = self
                        .read_chunk(have.min(buf.len()))
                        .expect("items were counted");
                    let (a, b) = chunk.as_slices();
                    buf[..a.len()].copy_from_slice(a);
                    buf[a.len()..a.len() + b.len()].copy_from_slice(b);
                    let n = chunk.len();
                    chunk.commit_all();
                    return Ok(n);
                }
                Err(PopError::Disconnected) => return Ok(0),
                Err(PopError::Empty) => {
                    self.wait_available(None);
                }
            }
        }
    }
}
