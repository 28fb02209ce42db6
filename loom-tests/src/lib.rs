//! loom models of ringkit live in `tests/`, one file per primitive. They are built
//! only with `RUSTFLAGS="--cfg loom"`; see `scripts/check loom`.
