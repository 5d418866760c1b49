#![no_main]
//! Fuzzes request parsing: heads, framing, bodies, pipelining.

use libfuzzer_sys::fuzz_target;

#[path = "../harness.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::request(data));
