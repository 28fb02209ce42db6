//! Tests of ringkit's async front on real executors live in `tests/`; this
//! library is empty.
