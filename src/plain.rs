//! [`Plain`] data and the codec that moves it through atomic words.
//!
//! Values go in and out of a seqlock or a broadcast slot by copying their bytes to
//! and from a local `[u64; MAX_WORDS]` buffer, so `T`'s alignment does not matter
//! and no uninitialized byte is ever loaded or stored.

use core::marker::PhantomData;
use core::mem::size_of;
use core::ptr;

/// The largest value, in bytes, that a [`SeqLock`](crate::seqlock::SeqLock) (and so an
/// [`EventFlag`](crate::event::EventFlag)) can hold.
///
/// ```
/// use ringkit::seqlock::{SeqLock, MAX_SIZE};
///
/// let lock = SeqLock::new([7u8; MAX_SIZE]); // the largest value it holds
/// assert_eq!(lock.read()[MAX_SIZE - 1], 7);
/// ```
pub const MAX_SIZE: usize = 120;

/// Words in a value buffer.
pub(crate) const MAX_WORDS: usize = MAX_SIZE / 8;

/// Plain data: a `Copy` type with no padding bytes for which every bit pattern is a
/// valid value, and which holds no pointers or references.
///
/// A seqlock reader may assemble a value from words of two different writes
/// before it finds out that it must retry, and values cross threads as bytes, so
/// only such types may live in a [`SeqLock`](crate::seqlock::SeqLock), an
/// [`EventFlag`](crate::event::EventFlag) or a [`broadcast`](crate::broadcast) ring.
///
/// # Safety
///
/// Implement it only for a type that
///
/// * has no padding (every one of its `size_of::<T>()` bytes is always
///   initialized),
/// * is valid for every bit pattern of those bytes (so not `bool`, `char`,
///   references, `NonZero*`, enums),
/// * holds no pointers (provenance does not survive the trip through integer
///   words) and no interior mutability.
///
/// It is implemented for the primitive integers, `f32`, `f64`, `()` and arrays of
/// plain types. A `#[repr(C)]` struct of plain fields without padding qualifies
/// too; check its size equals the sum of its fields' sizes.
///
/// ```
/// use ringkit::seqlock::{Plain, SeqLock};
///
/// #[derive(Clone, Copy, Debug, PartialEq)]
/// #[repr(C)]
/// struct Quote {
///     price: u64,
///     size: u32,
///     venue: u32,
/// }
/// // SAFETY: `repr(C)` with integer fields only and no padding (8 + 4 + 4 bytes),
/// // valid for every bit pattern, no pointers.
/// unsafe impl Plain for Quote {}
/// assert_eq!(std::mem::size_of::<Quote>(), 16);
///
/// let lock = SeqLock::new(Quote { price: 100, size: 10, venue: 1 });
/// lock.write(Quote { price: 101, size: 20, venue: 2 });
/// assert_eq!(lock.read(), Quote { price: 101, size: 20, venue: 2 });
/// ```
pub unsafe trait Plain: Copy + Send + Sync + 'static {}

macro_rules! plain {
    ($($t:ty),* $(,)?) => {$(
        // SAFETY: a primitive number (or the unit type) has no padding, accepts
        // every bit pattern and holds no pointer.
        unsafe impl Plain for $t {}
    )*};
}

plain!(
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    f32,
    f64,
    ()
);

// SAFETY: an array's elements are laid out back to back with stride equal to their
// size, so an array of padding-free elements has no padding; every bit pattern of
// the array is a bit pattern of each element, all valid.
unsafe impl<T: Plain, const N: usize> Plain for [T; N] {}

/// The codec between a `T: Plain` and a buffer of words.
pub(crate) struct Words<T>(PhantomData<T>);

impl<T: Plain> Words<T> {
    /// How many words hold a `T`; evaluating it checks `T` fits.
    pub(crate) const COUNT: usize = {
        assert!(
            size_of::<T>() <= MAX_SIZE,
            "ringkit::seqlock: the value type is larger than seqlock::MAX_SIZE (120 bytes)"
        );
        size_of::<T>().div_ceil(8)
    };

    /// `value`'s bytes in the first words of a zeroed buffer.
    #[inline(always)]
    pub(crate) fn encode(value: &T) -> [u64; MAX_WORDS] {
        let _fits = Self::COUNT;
        let mut buf = [0u64; MAX_WORDS];
        // SAFETY: `size_of::<T>() <= MAX_SIZE == size_of_val(&buf)` (COUNT, just
        // evaluated, asserts it at compile time). `T: Plain` has no padding, so all
        // `size_of::<T>()` bytes of `value` are initialized and may be read as
        // bytes. `buf` is a fresh local, so the two ranges do not overlap; byte
        // copies need no alignment.
        unsafe {
            ptr::copy_nonoverlapping(
                (value as *const T).cast::<u8>(),
                buf.as_mut_ptr().cast::<u8>(),
                size_of::<T>(),
            );
        }
        buf
    }

    /// The `T` whose bytes start `buf`.
    #[inline(always)]
    pub(crate) fn decode(buf: &[u64; MAX_WORDS]) -> T {
        let _fits = Self::COUNT;
        // SAFETY: `buf` holds `MAX_SIZE >= size_of::<T>()` initialized bytes (see
        // COUNT), and `T: Plain` is valid for every bit pattern. The read is
        // unaligned because `T` may be more aligned than `u64`.
        unsafe { ptr::read_unaligned(buf.as_ptr().cast::<T>()) }
    }
}
