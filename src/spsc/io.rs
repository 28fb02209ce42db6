//! Byte streams over a ring: `std::io::Write` for `Producer<u8>` and
//! `std::io::Read` for `Consumer<u8>`, with pipe semantics.
//!
//! * `write` blocks until at least one byte fits, copies as many as fit, and fails
//!   with `BrokenPipe` once the consumer is gone.
//! * `read` blocks until at least one byte is there, copies as many as fit, and
//!   returns `Ok(0)` (end of stream) once the producer is gone and the ring is empty.
//!
//! So `std::io::copy`, `read_to_end` and `write_all` work as they do on a pipe.

use super::{Consumer, Producer};
use crate::error::PopError;
use std::io;

impl io::Write for Producer<u8> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.consumer_gone() {
                return Err(io::ErrorKind::BrokenPipe.into());
            }
            let free = self.free_slots(1);
            if free > 0 {
                let chunk = self
                    .write_chunk_uninit(free.min(buf.len()))
                    .expect("free slots were counted");
                return Ok(chunk.fill_from_iter(buf.iter().copied()));
            }
            let ring = &*self.ring;
            let tail = self.tail;
            ring.not_full.wait_until(None, || {
                // ORDERING: [spsc.head.acquire], as in `Producer::free_slots`.
                let head = ring.head.load(crate::sync::Ordering::Acquire);
                tail.wrapping_sub(head) < ring.capacity || ring.consumer_gone()
            });
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl io::Read for Consumer<u8> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match self.available_or_disconnected(1) {
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
