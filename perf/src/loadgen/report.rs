//! The load generator's figures: the JSON report (`--report FILE.json`), the one-line
//! summary printed at the end, and the live progress line.

use std::collections::BTreeMap;

use serde::Serialize;

use super::traffic::Mode;

/// Percentiles of a set of samples (nearest rank), in the samples' unit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Percentiles {
    pub samples: usize,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

impl Percentiles {
    pub fn of(samples: &mut [f64]) -> Percentiles {
        if samples.is_empty() {
            return Percentiles::default();
        }
        samples.sort_by(|a, b| a.total_cmp(b));
        let n = samples.len();
        // Nearest rank: the smallest sample with at least p % of the samples at or below it.
        let rank = |p: f64| samples[((p / 100.0 * n as f64).ceil() as usize).clamp(1, n) - 1];
        Percentiles { samples: n, p50: rank(50.0), p90: rank(90.0), p99: rank(99.0), max: samples[n - 1] }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PingReport {
    pub target: Option<String>,
    pub sent: u64,
    pub answered: u64,
    /// Sent and never answered (a request still out when the sessions hung up counts).
    pub lost: u64,
    /// Replies to a sequence number already answered.
    pub duplicates: u64,
    /// Replies with a bad checksum, to the wrong address or from the wrong host.
    pub bad: u64,
    /// Round-trip times, milliseconds.
    pub rtt_ms: Percentiles,
}

#[derive(Debug, Clone, Serialize)]
pub struct SessionReport {
    pub number: u32,
    pub user: String,
    pub mac: String,
    pub vlans: Option<String>,
    /// The address IPCP gave (the last, if the session came up more than once).
    pub address: Option<String>,
    pub session_id: Option<u16>,
    /// Attempts made (1 + retries).
    pub attempts: u32,
    /// From the PADI of the attempt that came up to IPCP open, milliseconds.
    pub setup_ms: Option<f64>,
    /// Why the last attempt ended, if it failed.
    pub failure: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// `dpvpn`, or `testpmd-baseline` (`--baseline`: the sessions are made up, not
    /// dialled, and the traffic goes through a plain forwarder; see
    /// [`super::baseline`]).
    pub mode: Mode,
    pub sessions_requested: u32,
    /// Sessions that came up (at least once); in the baseline all, made up.
    pub sessions_established: u32,
    /// Sessions that never came up.
    pub sessions_failed: u32,
    /// Why the sessions that never came up failed (their last attempt), counted.
    pub failure_reasons: BTreeMap<String, u64>,
    /// Every attempt that failed, by reason (retried or not).
    pub attempt_failures: BTreeMap<String, u64>,
    pub retries: u64,
    /// Sessions that went down on their own after being up (not hung up by us).
    pub sessions_dropped: u64,
    pub drop_reasons: BTreeMap<String, u64>,
    /// First PADI to the last session up, seconds.
    pub setup_time_s: f64,
    /// Established sessions per second of setup time.
    pub setup_rate_per_s: f64,
    /// The configured setup rate.
    pub setup_rate_target_per_s: f64,
    /// Setup latency per session, milliseconds.
    pub setup_latency_ms: Percentiles,
    /// From the hang-up to the last session down, seconds.
    pub teardown_time_s: f64,
    /// Sessions still not down when the teardown bound passed (sent a bare PADT).
    pub teardown_forced: u64,
    pub pings: PingReport,
    pub frames_rx: u64,
    pub frames_tx: u64,
    /// Frames the access port refused (TX ring full), dropped.
    pub tx_refused: u64,
    /// Received frames for no session of ours, or that no session could use.
    pub frames_ignored: u64,
    /// Frames the access port lost on receive (its ring was full: `imissed`).
    pub access_rx_missed: u64,
    /// Frames towards the kernel that the tap refused.
    pub tap_tx_refused: u64,
    /// PADSes for attempts given up (or earlier attempts), answered with PADT.
    pub stray_pads_terminated: u64,
    /// IPv4 datagrams from the kernel's tap into the first session (`--tap`).
    pub tap_to_session: u64,
    /// IPv4 datagrams from the first session to the tap.
    pub tap_from_session: u64,
    /// Tap frames that could not go anywhere (session not up, not IPv4 or ARP).
    pub tap_dropped: u64,
    /// Frames the uplink port lost on receive (`imissed`).
    pub uplink_rx_missed: u64,
    /// The test traffic's figures (`--rate`).
    pub traffic: Option<super::traffic::TrafficReport>,
    /// Interrupted by a signal before the plan ran out.
    pub interrupted: bool,
    /// Whether the run met its plan (the exit status: 0 when true).
    pub success: bool,
    pub sessions: Vec<SessionReport>,
}

impl Report {
    /// The line printed to stdout at the end.
    pub fn summary(&self) -> String {
        let mut s = match self.mode {
            Mode::Dpvpn => self.session_summary(),
            Mode::TestpmdBaseline => format!(
                "dpvpn-loadgen: {} testpmd baseline, {} made-up sessions",
                if self.success { "OK" } else { "FAILED" },
                self.sessions_requested
            ),
        };
        if let Some(t) = &self.traffic {
            for (name, d) in [("up", &t.upstream), ("down", &t.downstream)] {
                s += &format!(
                    ", {name} {}/{} ({:.0} pps, {} lost, {} reordered, {} dup, p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs)",
                    d.received, d.sent, d.rx_pps, d.lost, d.reordered, d.duplicates, d.latency.p50_us, d.latency.p99_us, d.latency.max_us
                );
            }
        }
        if self.sessions_dropped > 0 {
            s += &format!(", {} dropped after up", self.sessions_dropped);
        }
        if self.access_rx_missed > 0 {
            s += &format!(", {} frames missed on receive", self.access_rx_missed);
        }
        if self.tx_refused > 0 {
            s += &format!(", {} frames refused by the NIC", self.tx_refused);
        }
        if !self.failure_reasons.is_empty() {
            let r: Vec<String> = self.failure_reasons.iter().map(|(k, v)| format!("{v}× {k}")).collect();
            s += &format!(" [failures: {}]", r.join("; "));
        }
        s
    }

    /// The sessions' part of the summary (setup, pings, teardown).
    fn session_summary(&self) -> String {
        let mut s = format!(
            "dpvpn-loadgen: {} {}/{} sessions up, {} failed, {} retries, setup {} ({:.1}/s, p50 {:.1} ms, p99 {:.1} ms), teardown {}",
            if self.success { "OK" } else { "FAILED" },
            self.sessions_established,
            self.sessions_requested,
            self.sessions_failed,
            self.retries,
            duration(self.setup_time_s),
            self.setup_rate_per_s,
            self.setup_latency_ms.p50,
            self.setup_latency_ms.p99,
            duration(self.teardown_time_s),
        );
        if self.pings.target.is_some() {
            s += &format!(
                ", pings {}/{} answered ({} lost, rtt p50 {:.2} ms)",
                self.pings.answered, self.pings.sent, self.pings.lost, self.pings.rtt_ms.p50
            );
        }
        s
    }
}

/// Seconds, in ms below one.
fn duration(s: f64) -> String {
    if s < 1.0 {
        format!("{:.1} ms", s * 1000.0)
    } else {
        format!("{s:.3} s")
    }
}

/// A snapshot for the live progress line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub elapsed_ms: u64,
    pub stage: &'static str,
    pub up: u32,
    pub failed: u32,
    /// Dialling, or waiting to retry.
    pub pending: u32,
    /// Not started yet.
    pub waiting: u32,
    pub retries: u64,
    pub pings_sent: u64,
    pub pings_answered: u64,
    pub tx_refused: u64,
}

impl Progress {
    pub fn line(&self) -> String {
        format!(
            "dpvpn-loadgen: {:>7.1} s {:<9} up {} failed {} pending {} not started {} retries {} | pings {}/{} | tx refused {}",
            self.elapsed_ms as f64 / 1000.0,
            self.stage,
            self.up,
            self.failed,
            self.pending,
            self.waiting,
            self.retries,
            self.pings_answered,
            self.pings_sent,
            self.tx_refused
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut v: Vec<f64> = (1..=100).map(f64::from).collect();
        v.reverse();
        let p = Percentiles::of(&mut v);
        assert_eq!((p.p50, p.p90, p.p99, p.max, p.samples), (50.0, 90.0, 99.0, 100.0, 100));
        let p = Percentiles::of(&mut [7.0]);
        assert_eq!((p.p50, p.p99, p.max), (7.0, 7.0, 7.0));
        assert_eq!(Percentiles::of(&mut []), Percentiles::default());
    }
}
