//! The x12 crate's integration tests: one binary (house style), a module per area.
//!
//! `claims` writes 837P files for the cases of issue 6 and has pyx12 validate them; `readers` reads
//! the fixtures in `tests/fixtures`; `robustness` feeds random and mutated bytes to every reader.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod ack_codes;
mod claim_status;
mod claims;
mod eligibility;
mod readers;
mod robustness;
mod support;
