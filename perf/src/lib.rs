//! dpvpn benchmarks (see issue: perf/). Micro-benchmarks live in src/bin.

pub mod bench;
pub mod loadgen;
