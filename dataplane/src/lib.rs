//! dpvpn data plane: packet formats (`wire`), tables (FIB, neighbours, adjacencies),
//! pipeline stages and the poll-mode worker loop. See ARCHITECTURE.md, "A packet's way
//! through a worker".
//!
//! No unsafe code, but in [`mem`] (huge-page tables, prefetch), which says why.
#![deny(unsafe_code)]

pub mod wire;
pub mod rcu;
pub mod fib;
pub mod mem;
pub mod packet;
pub mod counters;
pub mod adjacency;
pub mod neighbour;
pub mod tables;
pub mod session;
pub mod stages;
#[cfg(feature = "dpdk")]
pub mod worker;
