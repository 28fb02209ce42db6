//! Helpers shared by the integration tests: loop-count scaling, drop counters,
//! items with an identity whose drops are counted (and that may panic in `Drop`),
//! the quiet hook for injected panics, and the torn-read check.
//!
//! Each file in `tests/` is its own crate and includes this module with
//! `mod common;`, using only part of it. It needs nothing from ringkit, so it
//! builds with and without the `std` feature (the tests themselves always have
//! std).

// Each test crate uses only some of the helpers.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};

/// A loop count: `n` in a normal run, `miri` under miri, which runs ~1000x slower.
pub const fn scaled(n: u64, miri: u64) -> u64 {
    scaled_per_build(n, n, miri)
}

/// A loop count: `release` in an optimized build without debug assertions, `debug`
/// with them (the test profile keeps them on), `miri` under miri.
pub const fn scaled_per_build(release: u64, debug: u64, miri: u64) -> u64 {
    if cfg!(miri) {
        miri
    } else if cfg!(debug_assertions) {
        debug
    } else {
        release
    }
}

/// Reads per reader thread in the torn-read stress tests: millions in a real run,
/// a handful under miri.
pub const READS: usize = if cfg!(miri) { 200 } else { 1_000_000 };

/// Checks that every word of `v` equals the first, and returns it.
#[track_caller]
pub fn same<const N: usize>(v: [u64; N]) -> u64 {
    assert!(v.iter().all(|&w| w == v[0]), "torn read: {v:?}");
    v[0]
}

/// A value with an id that counts its drops in a shared counter.
#[derive(Debug)]
pub struct Counted {
    pub id: u64,
    pub drops: Arc<AtomicUsize>,
}

impl Counted {
    /// A value with id `id` that counts its drop in `drops`.
    pub fn new(id: u64, drops: &Arc<AtomicUsize>) -> Self {
        Counted {
            id,
            drops: drops.clone(),
        }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::Relaxed);
    }
}

/// Panics injected by the tests carry this payload; `quiet_injected_panics` keeps
/// them quiet.
pub const INJECTED: &str = "injected panic";

/// Installs (once per test binary) a panic hook that prints every panic but the
/// injected ones.
pub fn quiet_injected_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<&str>() != Some(&INJECTED) {
                previous(info);
            }
        }));
    });
}

/// Runs `f`, which must unwind with the injected panic.
#[track_caller]
pub fn expect_injected_panic(f: impl FnOnce()) {
    quiet_injected_panics();
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .expect_err("a drop panicked, the call must unwind");
    assert_eq!(err.downcast_ref::<&str>(), Some(&INJECTED));
}

/// How often each item id was dropped, shared by the `Tracked` items of one test.
#[derive(Clone, Default)]
pub struct DropTable(Arc<Mutex<HashMap<u64, u32>>>);

impl DropTable {
    /// An item with id `id`.
    pub fn item(&self, id: u64) -> Tracked {
        self.item_or_bomb(id, false)
    }

    /// An item with id `id` whose `Drop` panics with `INJECTED`.
    pub fn bomb(&self, id: u64) -> Tracked {
        self.item_or_bomb(id, true)
    }

    /// An item with id `id` whose `Drop` panics with `INJECTED` if `bomb`.
    pub fn item_or_bomb(&self, id: u64, bomb: bool) -> Tracked {
        Tracked {
            id,
            text: format!("item {id}"),
            bomb,
            drops: self.clone(),
        }
    }

    /// The drop count of every item dropped so far.
    fn counts(&self) -> HashMap<u64, u32> {
        self.0.lock().unwrap().clone()
    }

    /// Asserts that exactly the items `ids` have been dropped, each once.
    #[track_caller]
    pub fn assert_each_dropped_once(&self, ids: impl IntoIterator<Item = u64>) {
        let expected: HashMap<u64, u32> = ids.into_iter().map(|id| (id, 1)).collect();
        assert_eq!(self.counts(), expected);
    }

    /// Asserts that exactly the items `ids` have been dropped, each once; `what`
    /// says when, in the failure message.
    #[track_caller]
    pub fn assert_dropped(&self, ids: impl IntoIterator<Item = u64>, what: &str) {
        let expected: HashMap<u64, u32> = ids.into_iter().map(|id| (id, 1)).collect();
        assert_eq!(self.counts(), expected, "drop counts per item: {what}");
    }
}

/// A heap-owning item (a `String`, so under miri a double drop is a double free
/// and a lost item a leak) that records its id in its `DropTable` when dropped,
/// and then panics if it is a bomb (unless it is dropped by an unwinding, where a
/// second panic would abort).
pub struct Tracked {
    pub id: u64,
    text: String,
    bomb: bool,
    drops: DropTable,
}

impl Tracked {
    /// The item's id, after checking that its heap text is intact.
    pub fn id(&self) -> u64 {
        assert_eq!(self.text, format!("item {}", self.id));
        self.id
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        *self.drops.0.lock().unwrap().entry(self.id).or_default() += 1;
        if self.bomb && !std::thread::panicking() {
            std::panic::panic_any(INJECTED);
        }
    }
}
