#![no_main]
//! Fuzzes response parsing: heads (with obs-fold), framing, bodies.

use libfuzzer_sys::fuzz_target;

#[path = "../harness.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::response(data));
