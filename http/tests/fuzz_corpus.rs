//! Replays the fuzz corpus (`fuzz/corpus/`) through the fuzz targets'
//! checks, so that every input that once found a bug keeps being tested
//! by a plain `cargo test`. A longer fuzzing run:
//!
//! ```text
//! cargo install cargo-fuzz
//! cd fuzz && cargo +nightly fuzz run http_request -- -max_total_time=600
//! cd fuzz && cargo +nightly fuzz run http_response -- -max_total_time=600
//! ```

#[path = "../../fuzz/harness.rs"]
mod harness;

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        check(&data);
        // Every prefix too: input arrives in pieces.
        for end in 0..data.len().min(256) {
            check(&data[..end]);
        }
        count += 1;
    }
    count
}

#[test]
fn request_corpus() {
    assert!(replay("http_request", harness::request) >= 8);
}

#[test]
fn response_corpus() {
    assert!(replay("http_response", harness::response) >= 6);
}
