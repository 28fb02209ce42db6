//! The sending side of acknowledged delivery: messages kept until acknowledged,
//! resent when no acknowledgement comes in time.
