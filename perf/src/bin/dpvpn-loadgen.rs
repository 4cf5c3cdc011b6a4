//! `dpvpn-loadgen --lcores 1 --access net_af_packet0,iface=sub-acc --sessions N [...]`
//!
//! Emulated PPPoE subscribers (see `perf::loadgen`): a single-lcore DPDK process that
//! dials N sessions into dpvpn, optionally pings through each and bridges the kernel's
//! traffic through the first (`--tap`), sends UDP test traffic both ways through every
//! session with the internet end on a second port (`--uplink DEVARGS --rate PPS`:
//! loss, reordering, duplicates and one-way latency per direction), then hangs up; with
//! `--baseline` it dials nothing and sends the same traffic through a plain forwarder
//! (testpmd, `scripts/loadgen-testpmd.sh`) instead of dpvpn. Exit status 0 when every session
//! came up (and every ping was answered, and no test traffic was lost or duplicated), 1 otherwise, 2 for a bad command line or a
//! start-up failure.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use perf::loadgen::options::Args;

fn main() -> ExitCode {
    ExitCode::from(perf::loadgen::run::main(Args::parse()))
}
