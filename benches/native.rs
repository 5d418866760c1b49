//! Native coroutine benchmarks (being written).
fn main() {}
