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
//! - [`baseline`]: `--baseline`, made-up sessions for the testpmd baseline.
//! - [`run`]: the single-lcore DPDK loop around the emulator (or, in the baseline,
//!   around the traffic alone).
//! - [`sessions`]: what the emulator, the baseline and the traffic share (session MACs,
//!   the [`sessions::Sessions`] trait, the [`sessions::Mode`] of a run).
//!
//! **Test traffic** (`--uplink DEVARGS --rate PPS [--duration S] [--size BYTES]`): once
//! every session is up, UDP both ways through each session, the internet end emulated
//! on the uplink port (see [`traffic`]). Over memif (`scripts/loadgen-memif.sh`, dpvpn
//! with `configs/bench-memif.toml`) both ports are memif clients of dpvpn's servers.
//! Over the lab's veth pairs the uplink end (`inet-up`) lives in the `inet` namespace and
//! `net_af_packet` only binds interfaces of its own namespace, so the load generator
//! needs both ends in one: move `inet-up` into `sub` for the run
//! (`ip -n inet link set inet-up netns sub`, then `ip -n sub link set inet-up up`;
//! `scripts/lab.sh down && scripts/lab.sh up` puts it back) and give
//! `--uplink net_af_packet1,iface=inet-up`; the load generator then answers for
//! 198.51.100.2 instead of the `inet` kernel. (Untested so far; memif is the measured
//! path.)
//!
//! **The testpmd baseline** (`--baseline`, with the traffic options): what the path
//! costs without dpvpn, to put dpvpn's loss and latency beside (issue 5). No PPPoE runs;
//! the N sessions are made up as dpvpn would hand them out (MACs, VLANs, session ids,
//! addresses: see [`baseline`]) and exactly the frames of a dpvpn run are sent at the
//! same rate for the same time, through `dpdk-testpmd --forward-mode=io` between two
//! memif servers (`scripts/loadgen-testpmd.sh`), which hands each frame unchanged to the
//! other port: upstream probes come back on the uplink still PPPoE-framed, downstream
//! ones on the access port as plain IPv4, and [`traffic`] accounts them as it does
//! through dpvpn. The report's `mode` says which ran: `dpvpn` or `testpmd-baseline`.

#![forbid(unsafe_code)]

pub mod baseline;
pub mod emulator;
pub mod icmp;
pub mod options;
pub mod report;
pub mod run;
pub mod sessions;
pub mod tap;
pub mod traffic;

#[cfg(test)]
mod tests;
