//! `dpvpn-bench`: dpvpn's data path beside `dpdk-testpmd` io forwarding, same packets, same
//! devices, same worker core, same run (issue 5, "dpvpn-bench").
//!
//! - [`cases`]: the cases and their capture files (deterministic 64-byte frames).
//! - [`run`]: one case on dpvpn and on testpmd, figures from the ports' statistics.
//! - [`report`]: the JSON lines, the SVG chart and the RESULTS.md table.

pub mod cases;
pub mod report;
pub mod run;
