//! `dpvpn-loadgen`: emulated PPPoE subscribers against dpvpn (issue 4's lab tests, the
//! base of issue 5's load generator).
//!
//! - [`options`]: the command line, checked before DPDK starts.
//! - [`emulator`]: the sans-IO core: N subscribers (the control plane's client-role
//!   machines), setup pacing, retries, ping, the tap bridge, the stages from setup to
//!   hang-up, the figures.
//! - [`icmp`]: echo requests and the checks on their replies.
//! - [`report`]: the JSON report, the summary and progress lines.
//! - [`tap`]: the kernel side of `--tap` (address, MTU, default route).
//! - [`traffic`]: bidirectional UDP through every session to and from an emulated
//!   internet host on the uplink port; loss, reordering, duplicates, latency.
//! - [`run`]: the single-lcore DPDK loop around the emulator.

#![forbid(unsafe_code)]

pub mod emulator;
pub mod icmp;
pub mod options;
pub mod report;
pub mod run;
pub mod tap;
pub mod traffic;

#[cfg(test)]
mod tests;
