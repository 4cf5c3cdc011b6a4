//! Bidirectional test traffic through the sessions, sans-IO: every up session sends
//! UDP upstream to an emulated internet host on the load generator's uplink port, and
//! that host sends UDP downstream to every session's address through dpvpn's uplink.
//! The caller ([`super::run`]) hands in frames and the time (`now_ns`, nanoseconds on
//! its monotonic clock) and sends what comes out; nothing here reads a clock.
//!
//! - **Probes**: each datagram is IPv4 (RFC 791, DF, TTL 64) / UDP (RFC 768, checksum 0,
//!   which IPv4 allows) with a [`PROBE_LEN`]-byte payload at its start: the magic
//!   [`MAGIC`], the flow id (session index × 2, + 1 downstream), a sequence number per
//!   flow from 0 and the TX time in ns; the rest up to `--size` (the IPv4 datagram's
//!   length) is zero. Flows use UDP source port 1024 + index mod 60000, so a receiver
//!   spreading by 5-tuple sees many flows.
//! - **Frames**: upstream frames are the session's PPPoE framing around the datagram (a
//!   template per session, made by the emulator's `encapsulate` when the session is seen
//!   up and again when its session id or address changes; per packet only the sequence
//!   number and the TX time are written). Downstream frames go from the inet host's MAC
//!   to dpvpn's uplink MAC (learnt from ARP, or given).
//! - **Inet host**: answers ARP requests for its address (RFC 826), asks for the
//!   gateway's MAC every second until it knows it (which also tells dpvpn its own), and
//!   answers ICMP echo requests (so `--ping` works with no kernel behind the uplink).
//! - **Pacing**: a token bucket per direction at `--rate` packets/s (catching up at most
//!   10 ms worth after a stall), sessions round robin; sending starts [`WARMUP_NS`]
//!   after the sessions are up (dpvpn installs a session a moment after its IPCP
//!   opens), lasts `--duration`; what arrives within [`DRAIN_NS`] after that counts.
//! - **Accounting** ([`FlowRx`]): per flow the highest sequence seen and a window of the
//!   [`WINDOW`] sequence numbers below it: a number above the highest is in order (a gap
//!   is either loss or reordering, which later arrivals settle), one in the window not
//!   seen yet is reordered, one seen already a duplicate, one below the window "late"
//!   (counted received and reordered: it cannot be told from a duplicate). Loss is what
//!   was sent less the distinct probes received. One-way latency (TX to RX time, same
//!   clock: both ends are this process) goes into an HdrHistogram per direction.
//! - **Modes** ([`Mode`]): through dpvpn, upstream probes arrive on the uplink as plain
//!   IPv4 and downstream ones on the access port PPPoE-framed, addressed to their
//!   session's MAC. In the testpmd baseline ([`super::baseline`]) a forwarder hands every
//!   frame over unchanged: upstream probes arrive on the uplink still PPPoE-framed (the
//!   session is told by the source MAC and checked against the session id), downstream
//!   ones on the access port as the inet host's IPv4 frames to the gateway MAC (the
//!   session is told by the flow id). Either way a probe is checked against its
//!   session's address and accounted by the same code.

use std::collections::VecDeque;
use std::net::Ipv4Addr;

use dataplane::wire::arp::{ArpOperation, ArpPacket, ArpRepr};
use dataplane::wire::checksum::checksum;
use dataplane::wire::ethernet::{parse_l2, EtherType, EthernetAddress};
use hdrhistogram::Histogram;
use serde::Serialize;

use super::icmp;
use super::sessions::{slot_of, BASELINE_GATEWAY_MAC};
// Where options, report and run have always found them.
pub use super::sessions::{Mode, Sessions};

/// The first bytes of every probe's UDP payload.
pub const MAGIC: [u8; 4] = *b"dpvT";
/// Magic, flow id (u32), sequence (u64), TX time in ns (u64).
pub const PROBE_LEN: usize = 24;
/// The smallest and largest `--size` (IPv4 datagram bytes): headers and the probe; the
/// PPPoE MRU (RFC 2516 §7).
pub const MIN_SIZE: u16 = 20 + 8 + PROBE_LEN as u16;
pub const MAX_SIZE: u16 = 1492;
/// The inet host's UDP port (both directions).
pub const INET_PORT: u16 = 9;
/// Sequence numbers below the highest that are remembered per flow.
pub const WINDOW: u64 = 128;
/// From all sessions up to the first probe.
pub const WARMUP_NS: u64 = 500_000_000;
/// After the last probe sent, how long arrivals still count.
pub const DRAIN_NS: u64 = 500_000_000;
const ARP_RETRY_NS: u64 = 1_000_000_000;
/// The latency histogram's range: 1 ns to 60 s, 3 significant digits.
const LATENCY_MAX_NS: u64 = 60_000_000_000;

/// What to send.
#[derive(Debug, Clone, PartialEq)]
pub struct TrafficPlan {
    /// Packets per second in each direction (all sessions together).
    pub rate_pps: f64,
    pub duration_ms: u64,
    /// IPv4 datagram length, bytes.
    pub size: u16,
    /// The emulated internet host's address (and the probes' upstream destination).
    pub inet: Ipv4Addr,
    /// dpvpn's uplink address, whose MAC downstream frames go to.
    pub gateway: Ipv4Addr,
    /// dpvpn's uplink MAC if given (else learnt by ARP).
    pub gateway_mac: Option<[u8; 6]>,
    /// Through dpvpn or through a plain forwarder.
    pub mode: Mode,
}

/// A probe found in a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    pub flow: u32,
    pub seq: u64,
    pub tx_ns: u64,
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
}

/// An IPv4/UDP datagram of `size` bytes carrying a probe (flow, sequence 0, time 0).
pub fn probe_datagram(src: Ipv4Addr, dst: Ipv4Addr, sport: u16, dport: u16, flow: u32, size: u16) -> Vec<u8> {
    let size = size.max(MIN_SIZE);
    let mut d = vec![0u8; size as usize];
    d[0] = 0x45;
    d[2..4].copy_from_slice(&size.to_be_bytes());
    d[6] = 0x40; // DF
    d[8] = 64;
    d[9] = 17;
    d[12..16].copy_from_slice(&src.octets());
    d[16..20].copy_from_slice(&dst.octets());
    let c = checksum(&d[..20]);
    d[10..12].copy_from_slice(&c.to_be_bytes());
    d[20..22].copy_from_slice(&sport.to_be_bytes());
    d[22..24].copy_from_slice(&dport.to_be_bytes());
    d[24..26].copy_from_slice(&(size - 20).to_be_bytes());
    d[28..32].copy_from_slice(&MAGIC);
    d[32..36].copy_from_slice(&flow.to_be_bytes());
    d
}

/// Write sequence number and TX time into a probe whose UDP payload starts at `at`.
pub fn stamp(frame: &mut [u8], at: usize, seq: u64, tx_ns: u64) {
    frame[at + 8..at + 16].copy_from_slice(&seq.to_be_bytes());
    frame[at + 16..at + 24].copy_from_slice(&tx_ns.to_be_bytes());
}

/// The probe in an IPv4 datagram, if it is one (UDP, not a fragment, the magic).
pub fn parse_probe(d: &[u8]) -> Option<Probe> {
    if d.len() < MIN_SIZE as usize || d[0] >> 4 != 4 || d[9] != 17 {
        return None;
    }
    let hl = ((d[0] & 0x0f) as usize) * 4;
    let frag = u16::from_be_bytes([d[6], d[7]]) & 0x3fff;
    if hl < 20 || frag != 0 || d.len() < hl + 8 + PROBE_LEN {
        return None;
    }
    let p = &d[hl + 8..];
    if p[0..4] != MAGIC {
        return None;
    }
    let u32_at = |o: usize| u32::from_be_bytes([p[o], p[o + 1], p[o + 2], p[o + 3]]);
    let u64_at = |o: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&p[o..o + 8]);
        u64::from_be_bytes(b)
    };
    Some(Probe {
        flow: u32_at(4),
        seq: u64_at(8),
        tx_ns: u64_at(16),
        src: Ipv4Addr::new(d[12], d[13], d[14], d[15]),
        dst: Ipv4Addr::new(d[16], d[17], d[18], d[19]),
    })
}

/// How a probe arrived, for one flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// Above the highest so far (`skipped`: sequence numbers jumped over).
    InOrder { skipped: u64 },
    /// Below the highest, within the window, not seen before.
    Reordered,
    /// Seen before.
    Duplicate,
    /// Below the window: counted received and reordered (it may be a duplicate).
    Late,
}

/// Receive accounting of one flow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlowRx {
    /// One above the highest sequence number seen (0: nothing yet).
    next: u64,
    /// Bit k: sequence `next − 1 − k` seen.
    window: u128,
    /// Distinct probes received.
    pub received: u64,
    pub reordered: u64,
    pub duplicates: u64,
    pub late: u64,
}

impl FlowRx {
    pub fn receive(&mut self, seq: u64) -> Arrival {
        if seq >= self.next {
            let shift = seq - self.next + 1;
            let skipped = if self.next == 0 && self.received == 0 { seq } else { shift - 1 };
            self.window = if shift >= 128 { 0 } else { self.window << shift };
            self.window |= 1;
            self.next = seq + 1;
            self.received += 1;
            return Arrival::InOrder { skipped };
        }
        let k = self.next - 1 - seq;
        if k >= WINDOW {
            self.late += 1;
            self.reordered += 1;
            self.received += 1;
            return Arrival::Late;
        }
        if self.window & (1u128 << k) != 0 {
            self.duplicates += 1;
            return Arrival::Duplicate;
        }
        self.window |= 1u128 << k;
        self.reordered += 1;
        self.received += 1;
        Arrival::Reordered
    }
}

/// Latency percentiles, microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LatencyReport {
    pub samples: u64,
    pub min_us: f64,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub max_us: f64,
    pub mean_us: f64,
}

impl LatencyReport {
    pub fn of(h: &Histogram<u64>) -> LatencyReport {
        if h.is_empty() {
            return LatencyReport::default();
        }
        let us = |ns: u64| ns as f64 / 1000.0;
        LatencyReport {
            samples: h.len(),
            min_us: us(h.min()),
            p50_us: us(h.value_at_quantile(0.5)),
            p90_us: us(h.value_at_quantile(0.9)),
            p99_us: us(h.value_at_quantile(0.99)),
            p999_us: us(h.value_at_quantile(0.999)),
            max_us: us(h.max()),
            mean_us: h.mean() / 1000.0,
        }
    }
}

/// One direction's figures in the report.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DirectionReport {
    pub flows: u32,
    pub sent: u64,
    /// Distinct probes received.
    pub received: u64,
    pub lost: u64,
    pub loss_ratio: f64,
    pub reordered: u64,
    pub duplicates: u64,
    /// Arrived more than the window below the flow's highest (part of `reordered`).
    pub late: u64,
    pub flows_with_loss: u32,
    /// Frames the port did not take (never sent: not in `sent`).
    pub tx_refused: u64,
    /// Probes with our magic for no flow of this direction, or to the wrong address.
    pub misdelivered: u64,
    /// Sent, over the sending time.
    pub tx_pps: f64,
    /// Received, over the sending time.
    pub rx_pps: f64,
    /// IPv4 bytes received × 8 over the sending time.
    pub rx_mbps: f64,
    pub latency: LatencyReport,
}

/// The traffic part of the report.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TrafficReport {
    pub rate_pps_per_direction: f64,
    pub duration_s: f64,
    pub size_bytes: u16,
    /// From the first probe sent to the last, seconds.
    pub sending_s: f64,
    pub gateway_mac: Option<String>,
    pub upstream: DirectionReport,
    pub downstream: DirectionReport,
}

struct Direction {
    flows: Vec<FlowRx>,
    sent: Vec<u64>,
    tx_refused: u64,
    misdelivered: u64,
    rx_bytes: u64,
    latency: Histogram<u64>,
    pacer: Pacer,
    cursor: u32,
}

impl Direction {
    fn new(n: u32, rate: f64) -> Direction {
        Direction {
            flows: vec![FlowRx::default(); n as usize],
            sent: vec![0; n as usize],
            tx_refused: 0,
            misdelivered: 0,
            rx_bytes: 0,
            latency: Histogram::new_with_bounds(1, LATENCY_MAX_NS, 3).expect("valid histogram bounds"),
            pacer: Pacer::new(rate),
            cursor: 0,
        }
    }

    fn record(&mut self, i: u32, p: &Probe, len: usize, now_ns: u64) {
        let f = &mut self.flows[i as usize];
        if p.seq >= self.sent[i as usize] {
            // Never sent by us (a probe of an earlier run, or corrupted).
            self.misdelivered += 1;
            return;
        }
        if f.receive(p.seq) != Arrival::Duplicate {
            self.rx_bytes += len as u64;
            let _ = self.latency.record(now_ns.saturating_sub(p.tx_ns).clamp(1, LATENCY_MAX_NS));
        }
    }

    fn report(&self, sending_s: f64) -> DirectionReport {
        let sent: u64 = self.sent.iter().sum();
        let received: u64 = self.flows.iter().map(|f| f.received).sum();
        let lost = sent.saturating_sub(received);
        let per_s = |x: f64| if sending_s > 0.0 { x / sending_s } else { 0.0 };
        DirectionReport {
            flows: self.sent.iter().filter(|&&s| s > 0).count() as u32,
            sent,
            received,
            lost,
            loss_ratio: if sent > 0 { lost as f64 / sent as f64 } else { 0.0 },
            reordered: self.flows.iter().map(|f| f.reordered).sum(),
            duplicates: self.flows.iter().map(|f| f.duplicates).sum(),
            late: self.flows.iter().map(|f| f.late).sum(),
            flows_with_loss: self.flows.iter().zip(&self.sent).filter(|(f, &s)| f.received < s).count() as u32,
            tx_refused: self.tx_refused,
            misdelivered: self.misdelivered,
            tx_pps: per_s(sent as f64),
            rx_pps: per_s(received as f64),
            rx_mbps: per_s(self.rx_bytes as f64 * 8.0 / 1e6),
            latency: LatencyReport::of(&self.latency),
        }
    }
}

/// A token bucket in ns; at most 10 ms worth (and at least 16) at once, so that the
/// loop's stalls (it shares a CPU with dpvpn's worker) do not lower the rate.
struct Pacer {
    per_ns: f64,
    tokens: f64,
    burst: f64,
    last_ns: Option<u64>,
}

impl Pacer {
    fn new(rate: f64) -> Pacer {
        Pacer { per_ns: rate / 1e9, tokens: 0.0, burst: (rate / 100.0).max(16.0), last_ns: None }
    }
    fn take(&mut self, now_ns: u64) -> bool {
        let last = *self.last_ns.get_or_insert(now_ns);
        self.tokens = (self.tokens + now_ns.saturating_sub(last) as f64 * self.per_ns).min(self.burst);
        self.last_ns = Some(now_ns);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// A session's frames, built once.
struct Template {
    sid: u16,
    addr: Ipv4Addr,
    up: Vec<u8>,
    /// Where the probe (UDP payload) starts in `up`.
    up_at: usize,
    /// None until the gateway's MAC is known.
    down: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Waiting,
    Warmup { until_ns: u64 },
    Sending { until_ns: u64 },
    Draining { until_ns: u64 },
    Done,
}

/// The traffic of all sessions and the emulated internet host.
pub struct Traffic {
    plan: TrafficPlan,
    inet_mac: [u8; 6],
    gateway_mac: Option<[u8; 6]>,
    up: Direction,
    down: Direction,
    templates: Vec<Option<Template>>,
    phase: Phase,
    first_tx_ns: Option<u64>,
    last_tx_ns: u64,
    next_arp_ns: u64,
    uplink_tx: VecDeque<Vec<u8>>,
    scratch: Vec<u8>,
    /// Frames on the uplink that were not for the inet host.
    pub uplink_ignored: u64,
}

/// The PPPoE session id and the IPv4 datagram of a PPPoE session frame carrying IPv4
/// (RFC 2516 §5: 6-byte session header, then PPP protocol 0x0021) whose tags end at
/// `at`; the datagram may be followed by Ethernet padding.
fn pppoe_ipv4(frame: &[u8], ethertype: EtherType, at: usize) -> Option<(u16, &[u8])> {
    if ethertype != EtherType::PPPOE_SESSION || frame.len() < at + 8 || frame[at + 6..at + 8] != [0x00, 0x21] {
        return None;
    }
    Some((u16::from_be_bytes([frame[at + 2], frame[at + 3]]), &frame[at + 8..]))
}

fn sport(i: u32) -> u16 {
    1024 + (i % 60_000) as u16
}

impl Traffic {
    /// `sessions`: how many the emulator has; `inet_mac`: the uplink port's MAC.
    pub fn new(plan: TrafficPlan, sessions: u32, inet_mac: [u8; 6]) -> Traffic {
        // An io-mode forwarder answers no ARP: the baseline's frames go to a made-up MAC.
        let gateway_mac = match plan.mode {
            Mode::Dpvpn => plan.gateway_mac,
            Mode::TestpmdBaseline => Some(plan.gateway_mac.unwrap_or(BASELINE_GATEWAY_MAC)),
        };
        Traffic {
            gateway_mac,
            up: Direction::new(sessions, plan.rate_pps),
            down: Direction::new(sessions, plan.rate_pps),
            templates: (0..sessions).map(|_| None).collect(),
            plan,
            inet_mac,
            phase: Phase::Waiting,
            first_tx_ns: None,
            last_tx_ns: 0,
            next_arp_ns: 0,
            uplink_tx: VecDeque::new(),
            scratch: Vec::new(),
            uplink_ignored: 0,
        }
    }

    pub fn plan(&self) -> &TrafficPlan {
        &self.plan
    }

    /// How long the emulator must hold the sessions up: warm-up, sending, drain.
    pub fn hold_ms(plan: &TrafficPlan) -> u64 {
        (WARMUP_NS + DRAIN_NS) / 1_000_000 + plan.duration_ms + 100
    }

    /// All sessions are up (the emulator holds them): the warm-up starts.
    pub fn sessions_up(&mut self, now_ns: u64) {
        if self.phase == Phase::Waiting {
            self.phase = Phase::Warmup { until_ns: now_ns + WARMUP_NS };
        }
    }

    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    pub fn is_sending(&self) -> bool {
        matches!(self.phase, Phase::Sending { .. })
    }

    /// Timers: ARP for the gateway, the phases.
    pub fn poll(&mut self, now_ns: u64) {
        if self.gateway_mac.is_none() && now_ns >= self.next_arp_ns {
            self.next_arp_ns = now_ns + ARP_RETRY_NS;
            let f = self.arp(ArpOperation::REQUEST, [0xff; 6], [0; 6], self.plan.gateway);
            self.uplink_tx.push_back(f);
        }
        match self.phase {
            Phase::Warmup { until_ns } if now_ns >= until_ns => {
                self.phase = Phase::Sending { until_ns: now_ns + self.plan.duration_ms * 1_000_000 };
                self.up.pacer.last_ns = Some(now_ns);
                self.down.pacer.last_ns = Some(now_ns);
            }
            Phase::Sending { until_ns } if now_ns >= until_ns => {
                self.phase = Phase::Draining { until_ns: now_ns + DRAIN_NS }
            }
            Phase::Draining { until_ns } if now_ns >= until_ns => self.phase = Phase::Done,
            _ => {}
        }
    }

    fn arp(&self, op: ArpOperation, dst: [u8; 6], tha: [u8; 6], tpa: Ipv4Addr) -> Vec<u8> {
        let mut f = vec![0u8; 60];
        f[0..6].copy_from_slice(&dst);
        f[6..12].copy_from_slice(&self.inet_mac);
        f[12..14].copy_from_slice(&EtherType::ARP.0.to_be_bytes());
        let repr = ArpRepr::EthernetIpv4 {
            operation: op,
            source_hardware_addr: EthernetAddress(self.inet_mac),
            source_protocol_addr: self.plan.inet,
            target_hardware_addr: EthernetAddress(tha),
            target_protocol_addr: tpa,
        };
        let _ = repr.emit(&mut f[14..]);
        f
    }

    /// Control frames for the uplink (ARP, echo replies).
    pub fn poll_uplink_control(&mut self) -> Option<Vec<u8>> {
        self.uplink_tx.pop_front()
    }

    /// Make (or remake) session `i`'s frames; false when it is not up.
    fn ensure_template(&mut self, s: &impl Sessions, i: u32) -> bool {
        let Some((sid, addr)) = s.session(i) else { return false };
        let slot = &mut self.templates[i as usize];
        if !slot.as_ref().is_some_and(|t| t.sid == sid && t.addr == addr) {
            let d = probe_datagram(addr, self.plan.inet, sport(i), INET_PORT, i * 2, self.plan.size);
            let Some(up) = s.encapsulate(i, &d) else { return false };
            let Some(start) = up.len().checked_sub(d.len()) else { return false };
            *slot = Some(Template { sid, addr, up, up_at: start + 28, down: None });
        }
        let Some(t) = slot.as_mut() else { return false };
        if t.down.is_none() {
            if let Some(gw) = self.gateway_mac {
                let d = probe_datagram(self.plan.inet, addr, INET_PORT, sport(i), i * 2 + 1, self.plan.size);
                let mut f = Vec::with_capacity(14 + d.len());
                f.extend_from_slice(&gw);
                f.extend_from_slice(&self.inet_mac);
                f.extend_from_slice(&EtherType::IPV4.0.to_be_bytes());
                f.extend_from_slice(&d);
                t.down = Some(f);
            }
        }
        true
    }

    /// The next upstream frame due (for the access port), if any.
    pub fn next_upstream(&mut self, now_ns: u64, s: &impl Sessions) -> Option<&[u8]> {
        self.next_probe(now_ns, s, true)
    }

    /// The next downstream frame due (for the uplink port), if any.
    pub fn next_downstream(&mut self, now_ns: u64, s: &impl Sessions) -> Option<&[u8]> {
        self.next_probe(now_ns, s, false)
    }

    fn next_probe(&mut self, now_ns: u64, s: &impl Sessions, upstream: bool) -> Option<&[u8]> {
        if !self.is_sending() {
            return None;
        }
        let n = s.count().min(self.templates.len() as u32);
        if n == 0 {
            return None;
        }
        let dir = if upstream { &mut self.up } else { &mut self.down };
        if !dir.pacer.take(now_ns) {
            return None;
        }
        for _ in 0..n {
            let dir = if upstream { &mut self.up } else { &mut self.down };
            let i = dir.cursor;
            dir.cursor = (dir.cursor + 1) % n;
            if !self.ensure_template(s, i) {
                continue;
            }
            let Some(t) = self.templates[i as usize].as_ref() else { continue };
            let (frame, at) = if upstream {
                (&t.up, t.up_at)
            } else {
                match &t.down {
                    Some(f) => (f, 42),
                    None => continue,
                }
            };
            self.scratch.clear();
            self.scratch.extend_from_slice(frame);
            let dir = if upstream { &mut self.up } else { &mut self.down };
            let seq = dir.sent[i as usize];
            dir.sent[i as usize] += 1;
            stamp(&mut self.scratch, at, seq, now_ns);
            self.first_tx_ns.get_or_insert(now_ns);
            self.last_tx_ns = now_ns;
            return Some(&self.scratch);
        }
        // Nobody to send to: give the token back.
        let dir = if upstream { &mut self.up } else { &mut self.down };
        dir.pacer.tokens += 1.0;
        None
    }

    /// The last frame from `next_upstream`/`next_downstream` was not taken by the port.
    pub fn refused(&mut self, upstream: bool, frame: &[u8]) {
        let (dir, at) = if upstream { (&mut self.up, None) } else { (&mut self.down, Some(42)) };
        dir.tx_refused += 1;
        // Take the sequence number back, so that it does not count as lost.
        let at = at.or_else(|| frame.len().checked_sub(self.plan.size as usize).map(|x| x + 28));
        let flow = at.and_then(|a| frame.get(a + 4..a + 8)).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
        if let Some(i) = flow.map(|f| (f / 2) as usize) {
            if let Some(s) = dir.sent.get_mut(i) {
                *s = s.saturating_sub(1);
            }
        }
    }

    /// A frame from the access port: true when it was a downstream probe (accounted).
    pub fn handle_access_frame(&mut self, now_ns: u64, frame: &[u8]) -> bool {
        let Ok(l2) = parse_l2(frame) else { return false };
        let d = match self.plan.mode {
            Mode::Dpvpn => match pppoe_ipv4(frame, l2.ethertype, l2.header_len) {
                Some((_, d)) => d,
                None => return false,
            },
            Mode::TestpmdBaseline if l2.ethertype == EtherType::IPV4 => &frame[l2.header_len..],
            Mode::TestpmdBaseline => return false,
        };
        let Some(probe) = parse_probe(d) else { return false };
        let i = match self.plan.mode {
            // dpvpn addresses the session's MAC.
            Mode::Dpvpn => slot_of(&frame[0..6]),
            // Unchanged: from the inet host to the gateway; the flow names the session.
            Mode::TestpmdBaseline => {
                (probe.flow % 2 == 1 && Some(l2.dst.0) == self.gateway_mac && l2.src.0 == self.inet_mac)
                    .then_some(probe.flow / 2)
            }
        };
        let ok = i.is_some_and(|i| {
            probe.flow == i * 2 + 1
                && self.templates.get(i as usize).and_then(|t| t.as_ref()).is_some_and(|t| t.addr == probe.dst)
        });
        let len = u16::from_be_bytes([d[2], d[3]]) as usize;
        match (ok, i) {
            (true, Some(i)) => self.down.record(i, &probe, len, now_ns),
            _ => self.down.misdelivered += 1,
        }
        true
    }

    /// An upstream probe from the uplink; `framing`: in the baseline, the session index of
    /// the frame's source MAC and its PPPoE session id, which must be the flow's.
    fn upstream_probe(&mut self, now_ns: u64, probe: &Probe, d: &[u8], framing: Option<(Option<u32>, u16)>) {
        let i = probe.flow / 2;
        let ok = probe.flow.is_multiple_of(2)
            && probe.dst == self.plan.inet
            && self.templates.get(i as usize).and_then(|t| t.as_ref()).is_some_and(|t| {
                t.addr == probe.src && framing.is_none_or(|(slot, sid)| slot == Some(i) && sid == t.sid)
            });
        let len = u16::from_be_bytes([d[2], d[3]]) as usize;
        if ok {
            self.up.record(i, probe, len, now_ns);
        } else {
            self.up.misdelivered += 1;
        }
    }

    /// A frame from the uplink port: upstream probes, ARP, echo requests to the inet host.
    pub fn handle_uplink_frame(&mut self, now_ns: u64, frame: &[u8]) {
        let Ok(l2) = parse_l2(frame) else {
            self.uplink_ignored += 1;
            return;
        };
        if self.plan.mode == Mode::TestpmdBaseline {
            if let Some((sid, d)) = pppoe_ipv4(frame, l2.ethertype, l2.header_len) {
                if let Some(probe) = parse_probe(d) {
                    self.upstream_probe(now_ns, &probe, d, Some((slot_of(&l2.src.0), sid)));
                    return;
                }
            }
        }
        let payload = &frame[l2.header_len..];
        if l2.ethertype == EtherType::ARP {
            self.on_arp(payload);
            return;
        }
        if l2.ethertype != EtherType::IPV4 {
            self.uplink_ignored += 1;
            return;
        }
        if let Some(probe) = parse_probe(payload) {
            self.upstream_probe(now_ns, &probe, payload, None);
            return;
        }
        let to_us = payload.len() >= 20 && payload[16..20] == self.plan.inet.octets();
        match icmp::answer(payload).filter(|_| to_us) {
            Some(reply) => {
                let mut f = Vec::with_capacity(14 + reply.len());
                f.extend_from_slice(&l2.src.0);
                f.extend_from_slice(&self.inet_mac);
                f.extend_from_slice(&EtherType::IPV4.0.to_be_bytes());
                f.extend_from_slice(&reply);
                self.uplink_tx.push_back(f);
            }
            None => self.uplink_ignored += 1,
        }
    }

    fn on_arp(&mut self, payload: &[u8]) {
        let Ok(arp) = ArpPacket::new_checked(payload) else {
            self.uplink_ignored += 1;
            return;
        };
        if !arp.is_ethernet_ipv4() {
            self.uplink_ignored += 1;
            return;
        }
        let (sha, spa, tpa) = (arp.source_hardware_addr(), arp.source_protocol_addr(), arp.target_protocol_addr());
        let learning = self.plan.gateway_mac.is_none() && self.plan.mode == Mode::Dpvpn;
        if spa == self.plan.gateway && learning && self.gateway_mac != Some(sha.0) {
            self.gateway_mac = Some(sha.0);
            for t in self.templates.iter_mut().flatten() {
                t.down = None;
            }
        }
        if arp.operation() == ArpOperation::REQUEST && tpa == self.plan.inet {
            let f = self.arp(ArpOperation::REPLY, sha.0, sha.0, spa);
            self.uplink_tx.push_back(f);
        }
    }

    pub fn gateway_mac(&self) -> Option<[u8; 6]> {
        self.gateway_mac
    }

    /// The figures so far.
    pub fn report(&self) -> TrafficReport {
        let sending_s = match self.first_tx_ns {
            Some(a) if self.last_tx_ns > a => (self.last_tx_ns - a) as f64 / 1e9,
            _ => 0.0,
        };
        TrafficReport {
            rate_pps_per_direction: self.plan.rate_pps,
            duration_s: self.plan.duration_ms as f64 / 1000.0,
            size_bytes: self.plan.size,
            sending_s,
            gateway_mac: self.gateway_mac.map(|m| EthernetAddress(m).to_string()),
            upstream: self.up.report(sending_s),
            downstream: self.down.report(sending_s),
        }
    }

    /// For the progress line.
    pub fn progress(&self) -> String {
        let d = |x: &Direction| {
            let sent: u64 = x.sent.iter().sum();
            let rx: u64 = x.flows.iter().map(|f| f.received).sum();
            (sent, rx)
        };
        let (us, ur) = d(&self.up);
        let (ds, dr) = d(&self.down);
        let phase = match self.phase {
            Phase::Waiting => "waiting",
            Phase::Warmup { .. } => "warm-up",
            Phase::Sending { .. } => "sending",
            Phase::Draining { .. } => "draining",
            Phase::Done => "done",
        };
        format!("traffic {phase}: up {ur}/{us} down {dr}/{ds}")
    }
}

#[cfg(test)]
mod tests {
    /// A reordering network: frames held back are released 6 frames later; `f` is held
    /// back when `hold`, else delivered at once, ahead of those released now.
    fn hold_back(held: &mut Vec<(u32, Vec<u8>)>, f: &[u8], hold: bool) -> Vec<Vec<u8>> {
        for h in held.iter_mut() {
            h.0 -= 1;
        }
        let mut out: Vec<Vec<u8>> = held.iter().filter(|h| h.0 == 0).map(|h| h.1.clone()).collect();
        held.retain(|h| h.0 > 0);
        if hold {
            held.push((6, f.to_vec()));
        } else {
            out.insert(0, f.to_vec());
        }
        out
    }

    use super::*;
    use crate::loadgen::baseline::Fabricated;
    use crate::loadgen::options::VlanPlan;
    use crate::loadgen::sessions::{session_mac, BASELINE_AC_MAC};

    const INET: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 2);
    const GW: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
    const GW_MAC: [u8; 6] = [2, 0, 0, 0, 0x0b, 1];
    const INET_MAC: [u8; 6] = [2, 0, 0, 0, 0x1e, 2];
    const AC_MAC: [u8; 6] = [2, 0, 0, 0, 0xac, 1];

    #[test]
    fn flow_accounting_tells_loss_reordering_duplicates_and_late_apart() {
        let mut f = FlowRx::default();
        assert_eq!(f.receive(0), Arrival::InOrder { skipped: 0 });
        assert_eq!(f.receive(1), Arrival::InOrder { skipped: 0 });
        assert_eq!(f.receive(4), Arrival::InOrder { skipped: 2 });
        assert_eq!(f.receive(3), Arrival::Reordered);
        assert_eq!(f.receive(3), Arrival::Duplicate);
        assert_eq!(f.receive(4), Arrival::Duplicate);
        assert_eq!(f.receive(0), Arrival::Duplicate);
        // 2 never comes: 5 distinct of 6 sent.
        assert_eq!(f.receive(5), Arrival::InOrder { skipped: 0 });
        assert_eq!((f.received, f.reordered, f.duplicates, f.late), (5, 1, 3, 0));
        // Far ahead, then one from before the window.
        assert_eq!(f.receive(1000), Arrival::InOrder { skipped: 994 });
        assert_eq!(f.receive(1000 - WINDOW), Arrival::Late);
        assert_eq!(f.receive(1000 - WINDOW + 1), Arrival::Reordered);
        assert_eq!(f.receive(1000 - WINDOW + 1), Arrival::Duplicate);
        // The first probe of a flow lost: its gap shows.
        let mut g = FlowRx::default();
        assert_eq!(g.receive(3), Arrival::InOrder { skipped: 3 });
        assert_eq!(g.receive(0), Arrival::Reordered);
    }

    #[test]
    fn probes_round_trip_and_other_udp_is_not_a_probe() {
        let a = Ipv4Addr::new(100, 64, 0, 2);
        let mut d = probe_datagram(a, INET, 1024, INET_PORT, 6, 100);
        assert_eq!(d.len(), 100);
        assert_eq!(checksum(&d[..20]), 0, "the IPv4 header checksum holds");
        stamp(&mut d, 28, 77, 123_456_789);
        assert_eq!(parse_probe(&d), Some(Probe { flow: 6, seq: 77, tx_ns: 123_456_789, src: a, dst: INET }));
        let mut other = d.clone();
        other[28] = b'x';
        assert_eq!(parse_probe(&other), None);
        let mut fragment = d.clone();
        fragment[7] = 1;
        assert_eq!(parse_probe(&fragment), None);
        assert_eq!(parse_probe(&d[..40]), None);
        assert_eq!(probe_datagram(a, INET, 1, 2, 0, 10).len(), MIN_SIZE as usize);
    }

    /// N sessions, all up, framed the way dpvpn's PPPoE sessions are.
    struct FakeSessions(u32);

    fn addr(i: u32) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(Ipv4Addr::new(100, 64, 0, 2)) + i)
    }

    fn pppoe(dst: [u8; 6], src: [u8; 6], sid: u16, d: &[u8]) -> Vec<u8> {
        let mut f = Vec::new();
        f.extend_from_slice(&dst);
        f.extend_from_slice(&src);
        f.extend_from_slice(&[0x88, 0x64, 0x11, 0x00]);
        f.extend_from_slice(&sid.to_be_bytes());
        f.extend_from_slice(&(d.len() as u16 + 2).to_be_bytes());
        f.extend_from_slice(&[0x00, 0x21]);
        f.extend_from_slice(d);
        f
    }

    impl Sessions for FakeSessions {
        fn count(&self) -> u32 {
            self.0
        }
        fn session(&self, i: u32) -> Option<(u16, Ipv4Addr)> {
            (i < self.0).then(|| (i as u16 + 1, addr(i)))
        }
        fn encapsulate(&self, i: u32, d: &[u8]) -> Option<Vec<u8>> {
            Some(pppoe(AC_MAC, session_mac(i), i as u16 + 1, d))
        }
    }

    /// dpvpn as a wire: decapsulates upstream, encapsulates downstream, with a fixed delay.
    struct Net {
        t: Traffic,
        s: FakeSessions,
        now_ns: u64,
        delay_ns: u64,
        /// (arrival time, towards the uplink?, frame)
        in_flight: Vec<(u64, bool, Vec<u8>)>,
    }

    impl Net {
        fn new(sessions: u32, rate: f64, duration_ms: u64, gateway_mac: Option<[u8; 6]>) -> Net {
            let plan = TrafficPlan {
                rate_pps: rate,
                duration_ms,
                size: 64,
                inet: INET,
                gateway: GW,
                gateway_mac,
                mode: Mode::Dpvpn,
            };
            Net {
                t: Traffic::new(plan, sessions, INET_MAC),
                s: FakeSessions(sessions),
                now_ns: 1,
                delay_ns: 300_000,
                in_flight: Vec::new(),
            }
        }

        /// Step 100 µs; `mangle` sees every frame dpvpn would forward and returns the
        /// copies to deliver (none: lost; two: duplicated).
        fn step(&mut self, mangle: &mut impl FnMut(bool, &[u8]) -> Vec<Vec<u8>>) {
            let now = self.now_ns;
            self.t.sessions_up(now);
            self.t.poll(now);
            while let Some(f) = self.t.poll_uplink_control() {
                // dpvpn answers the inet host's ARP for the gateway.
                if f[12..14] == [0x08, 0x06] && f[20..22] == [0, 1] {
                    let mut reply = self.t.arp(ArpOperation::REPLY, INET_MAC, INET_MAC, INET);
                    reply[6..12].copy_from_slice(&GW_MAC);
                    reply[22..28].copy_from_slice(&GW_MAC);
                    reply[28..32].copy_from_slice(&GW.octets());
                    self.in_flight.push((now + self.delay_ns, false, reply));
                }
            }
            while let Some(f) = self.t.next_upstream(now, &self.s).map(<[u8]>::to_vec) {
                let mut out = GW_MAC.to_vec();
                out.extend_from_slice(&INET_MAC);
                out.extend_from_slice(&[0x08, 0x00]);
                out.extend_from_slice(&f[22..]);
                for c in mangle(true, &out) {
                    self.in_flight.push((now + self.delay_ns, true, c));
                }
            }
            while let Some(f) = self.t.next_downstream(now, &self.s).map(<[u8]>::to_vec) {
                assert_eq!(f[0..6], GW_MAC);
                let d = &f[14..];
                let i = u32::from(Ipv4Addr::new(d[16], d[17], d[18], d[19])) - u32::from(addr(0));
                let out = pppoe(session_mac(i), AC_MAC, i as u16 + 1, d);
                for c in mangle(false, &out) {
                    self.in_flight.push((now + self.delay_ns, false, c));
                }
            }
            let (due, later): (Vec<_>, Vec<_>) = self.in_flight.drain(..).partition(|(t, _, _)| *t <= now);
            self.in_flight = later;
            for (_, uplink, f) in due {
                if uplink || f[12..14] == [0x08, 0x06] {
                    self.t.handle_uplink_frame(now, &f);
                } else {
                    assert!(self.t.handle_access_frame(now, &f));
                }
            }
            self.now_ns += 100_000;
        }

        fn run(&mut self, mut mangle: impl FnMut(bool, &[u8]) -> Vec<Vec<u8>>) -> TrafficReport {
            let mut guard = 0;
            while !self.t.is_done() {
                self.step(&mut mangle);
                guard += 1;
                assert!(guard < 1_000_000, "the traffic never ends");
            }
            self.t.report()
        }
    }

    fn seq_of(upstream: bool, f: &[u8]) -> u64 {
        let at = if upstream { 42 } else { 22 + 28 };
        u64::from_be_bytes(f[at + 8..at + 16].try_into().unwrap())
    }

    #[test]
    fn a_clean_path_loses_nothing_and_shows_its_delay() {
        let mut n = Net::new(10, 10_000.0, 1000, None);
        let r = n.run(|_, f| vec![f.to_vec()]);
        assert_eq!(r.gateway_mac.as_deref(), Some("02:00:00:00:0b:01"), "learnt by ARP");
        for d in [&r.upstream, &r.downstream] {
            // 10 000 pps for 1 s, give or take the pacer's first and last tick.
            assert!((9_900..=10_100).contains(&d.sent), "{d:?}");
            assert_eq!(
                (d.received, d.lost, d.reordered, d.duplicates, d.flows, d.flows_with_loss),
                (d.sent, 0, 0, 0, 10, 0)
            );
            assert_eq!(d.latency.samples, d.sent);
            // 300 µs each way (HdrHistogram: 3 significant digits).
            assert!(
                (d.latency.min_us - 300.0).abs() < 0.5 && (d.latency.max_us - 300.0).abs() < 0.5,
                "{:?}",
                d.latency
            );
            assert!((d.rx_pps - 10_000.0).abs() < 200.0, "{d:?}");
        }
    }

    #[test]
    fn loss_duplicates_and_reordering_are_counted_per_direction() {
        let mut n = Net::new(4, 4_000.0, 500, Some(GW_MAC));
        let (mut dropped, mut doubled, mut holds) = (0u64, 0u64, 0u64);
        let mut held: Vec<(u32, Vec<u8>)> = Vec::new();
        let r = n.run(|up, f| {
            let seq = seq_of(up, f);
            if up {
                // Upstream: every 10th probe of a flow lost, every 25th doubled.
                return match (seq % 10, seq % 25) {
                    (3, _) => {
                        dropped += 1;
                        vec![]
                    }
                    (_, 7) => {
                        doubled += 1;
                        vec![f.to_vec(), f.to_vec()]
                    }
                    _ => vec![f.to_vec()],
                };
            }
            // Downstream: every 50th probe of a flow held back behind the next 6 probes
            // (more than the 4 flows: its own flow's next one overtakes it).
            if seq % 50 == 5 {
                holds += 1;
            }
            hold_back(&mut held, f, seq % 50 == 5)
        });
        let u = &r.upstream;
        assert!(dropped > 0 && doubled > 0);
        assert_eq!((u.lost, u.duplicates, u.reordered, u.flows_with_loss), (dropped, doubled, 0, 4), "{u:?}");
        assert_eq!(u.received + u.lost, u.sent);
        assert_eq!(u.latency.samples, u.received, "a duplicate is not a second latency sample");
        let d = &r.downstream;
        assert!(holds > 0);
        assert_eq!((d.lost, d.duplicates, d.reordered, d.late, d.flows_with_loss), (0, 0, holds, 0, 0), "{d:?}");
        // The held probes waited for six more at 4000 pps: 1.5 ms on top of the 300 µs.
        assert!((d.latency.max_us - 1800.0).abs() < 2.0, "{:?}", d.latency);
        assert!((d.latency.p50_us - 300.0).abs() < 0.5, "{:?}", d.latency);
    }

    /// testpmd in io mode as a wire: every frame to the other port unchanged, after a
    /// fixed delay; `mangle` sees each (upstream?, frame) and returns the copies to
    /// deliver. The sessions are made up as `--baseline` makes them.
    fn through_forwarder(
        s: &Fabricated,
        rate: f64,
        duration_ms: u64,
        mut mangle: impl FnMut(bool, &[u8]) -> Vec<Vec<u8>>,
    ) -> (TrafficReport, u64) {
        let plan = TrafficPlan {
            rate_pps: rate,
            duration_ms,
            size: 64,
            inet: INET,
            gateway: GW,
            gateway_mac: None,
            mode: Mode::TestpmdBaseline,
        };
        let mut t = Traffic::new(plan, s.count(), INET_MAC);
        let (mut now, delay, mut not_probes) = (1u64, 300_000u64, 0u64);
        // (arrival time, towards the uplink?, frame)
        let mut in_flight: Vec<(u64, bool, Vec<u8>)> = Vec::new();
        t.sessions_up(now);
        while !t.is_done() {
            t.poll(now);
            assert!(t.poll_uplink_control().is_none(), "nobody to ARP for behind an io forwarder");
            while let Some(f) = t.next_upstream(now, s).map(<[u8]>::to_vec) {
                in_flight.extend(mangle(true, &f).into_iter().map(|c| (now + delay, true, c)));
            }
            while let Some(f) = t.next_downstream(now, s).map(<[u8]>::to_vec) {
                in_flight.extend(mangle(false, &f).into_iter().map(|c| (now + delay, false, c)));
            }
            let (due, later): (Vec<_>, Vec<_>) = in_flight.drain(..).partition(|(at, _, _)| *at <= now);
            in_flight = later;
            for (_, uplink, f) in due {
                if uplink {
                    t.handle_uplink_frame(now, &f);
                } else if !t.handle_access_frame(now, &f) {
                    not_probes += 1;
                }
            }
            now += 100_000;
            assert!(now < 100_000_000_000, "the traffic never ends");
        }
        (t.report(), not_probes)
    }

    /// Where the probe's sequence number is in a baseline frame of session `i`.
    fn baseline_seq(upstream: bool, f: &[u8]) -> u64 {
        let at = if upstream {
            let l2 = parse_l2(f).unwrap();
            l2.header_len + 8 + 28
        } else {
            14 + 28
        };
        u64::from_be_bytes(f[at + 8..at + 16].try_into().unwrap())
    }

    #[test]
    fn the_baseline_takes_its_frames_back_unchanged_and_accounts_them_as_through_dpvpn() {
        let s = Fabricated::new(10, 1, VlanPlan::Dot1q { first: 100, last: 104 });
        let mut seen = (0u32, 0u32);
        let (r, not_probes) = through_forwarder(&s, 10_000.0, 1000, |up, f| {
            let l2 = parse_l2(f).unwrap();
            if up {
                // Upstream as dpvpn would get it from the subscriber: tagged PPPoE.
                let i = slot_of(&l2.src.0).unwrap();
                assert_eq!(l2.dst.0, BASELINE_AC_MAC);
                assert_eq!(l2.outer_vlan.map(|v| v.vid), Some(100 + (i % 5) as u16));
                let (sid, d) = pppoe_ipv4(f, l2.ethertype, l2.header_len).unwrap();
                assert_eq!(sid, crate::loadgen::baseline::session_id(i));
                assert_eq!(parse_probe(d).unwrap().src, crate::loadgen::baseline::address(i));
                seen.0 += 1;
            } else {
                // Downstream as the inet host sends it to dpvpn: plain IPv4.
                assert_eq!((l2.dst.0, l2.src.0, l2.ethertype), (BASELINE_GATEWAY_MAC, INET_MAC, EtherType::IPV4));
                seen.1 += 1;
            }
            vec![f.to_vec()]
        });
        assert!(seen.0 > 0 && seen.1 > 0);
        assert_eq!(not_probes, 0);
        assert_eq!(r.gateway_mac.as_deref(), Some("02:00:00:00:0b:01"));
        for d in [&r.upstream, &r.downstream] {
            assert!((9_900..=10_100).contains(&d.sent), "{d:?}");
            assert_eq!(
                (d.received, d.lost, d.reordered, d.duplicates, d.misdelivered, d.flows, d.flows_with_loss),
                (d.sent, 0, 0, 0, 0, 10, 0),
                "{d:?}"
            );
            assert_eq!(d.latency.samples, d.sent);
            assert!((d.latency.p99_us - 300.0).abs() < 0.5, "{:?}", d.latency);
        }
    }

    #[test]
    fn the_baseline_counts_loss_duplicates_reordering_and_strangers_per_direction() {
        let s = Fabricated::new(4, 1, VlanPlan::Untagged);
        let (mut dropped, mut doubled, mut bad_sid, mut held_back) = (0u64, 0u64, 0u64, 0u64);
        let mut held: Vec<(u32, Vec<u8>)> = Vec::new();
        let (r, not_probes) = through_forwarder(&s, 4_000.0, 500, |up, f| {
            let seq = baseline_seq(up, f);
            if up {
                return match seq % 10 {
                    3 => {
                        dropped += 1;
                        vec![]
                    }
                    5 => {
                        doubled += 1;
                        vec![f.to_vec(), f.to_vec()]
                    }
                    7 => {
                        // Another session's id on the frame: not this flow's session.
                        bad_sid += 1;
                        let mut g = f.to_vec();
                        g[16] ^= 0x40;
                        vec![g]
                    }
                    _ => vec![f.to_vec()],
                };
            }
            // Downstream: every 20th probe of a flow held back behind the next 6 frames
            // (more than the 4 flows: its own flow's next one overtakes it); and every
            // frame goes once more PPPoE-framed, as dpvpn would send it, which is no
            // probe on the baseline's access port.
            if seq % 20 == 9 {
                held_back += 1;
            }
            let mut out = hold_back(&mut held, f, seq % 20 == 9);
            out.push(pppoe(session_mac(0), AC_MAC, 1, &f[14..]));
            out
        });
        let u = &r.upstream;
        assert!(dropped > 0 && doubled > 0 && bad_sid > 0);
        assert_eq!((u.lost, u.duplicates, u.misdelivered), (dropped + bad_sid, doubled, bad_sid), "{u:?}");
        assert_eq!(u.received + u.lost, u.sent);
        let d = &r.downstream;
        // A probe held back behind the very last frames never comes: lost, not reordered.
        assert!(held_back > 0);
        assert!(d.reordered + d.lost == held_back && d.lost <= 4 && d.reordered > 0, "{d:?}");
        assert_eq!(d.late, 0);
        assert_eq!((d.duplicates, d.misdelivered), (0, 0), "{d:?}");
        assert_eq!(not_probes, d.sent, "every dpvpn-style frame on the access port is not a baseline probe");
    }

    #[test]
    fn made_up_sessions_are_framed_as_a_subscriber_frames_them() {
        let s = Fabricated::new(70_000, 1, VlanPlan::Qinq { s_first: 7, s_last: 7, c_first: 10, c_last: 11 });
        let d = probe_datagram(crate::loadgen::baseline::address(3), INET, 1027, INET_PORT, 6, 64);
        let f = s.encapsulate(3, &d).unwrap();
        // dst, src, 88a8 S-tag 7, 8100 C-tag 11, 8864, ver/type 0x11, code 0, sid 4,
        // length 66, PPP 0x0021, the datagram.
        let mut want = BASELINE_AC_MAC.to_vec();
        want.extend_from_slice(&session_mac(3));
        want.extend_from_slice(&[0x88, 0xa8, 0x00, 0x07, 0x81, 0x00, 0x00, 0x0b, 0x88, 0x64]);
        want.extend_from_slice(&[0x11, 0x00, 0x00, 0x04, 0x00, 66, 0x00, 0x21]);
        want.extend_from_slice(&d);
        assert_eq!(f, want);
        assert_eq!(s.session(0), Some((1, Ipv4Addr::new(100, 64, 0, 2))));
        assert_eq!(s.session(65_533), Some((65_534, Ipv4Addr::new(100, 64, 255, 255))));
        // Beyond 65534 the ids start again (dpvpn holds 65534 per access port).
        assert_eq!(s.session(65_534).map(|x| x.0), Some(1));
        assert_eq!(s.session(70_000), None);
    }

    #[test]
    fn the_inet_host_answers_arp_and_ping() {
        let mut n = Net::new(1, 1000.0, 100, Some(GW_MAC));
        let req = {
            let mut f = n.t.arp(ArpOperation::REQUEST, [0xff; 6], [0; 6], INET);
            f[6..12].copy_from_slice(&GW_MAC);
            f[22..28].copy_from_slice(&GW_MAC);
            f[28..32].copy_from_slice(&GW.octets());
            f
        };
        n.t.handle_uplink_frame(0, &req);
        let reply = n.t.poll_uplink_control().unwrap();
        assert_eq!(reply[0..6], GW_MAC);
        let arp = ArpPacket::new_checked(&reply[14..]).unwrap();
        assert_eq!(arp.operation(), ArpOperation::REPLY);
        assert_eq!((arp.source_hardware_addr().0, arp.source_protocol_addr()), (INET_MAC, INET));
        // An ARP request for someone else is not answered.
        let mut other = req.clone();
        other[38..42].copy_from_slice(&[198, 51, 100, 9]);
        n.t.handle_uplink_frame(0, &other);
        assert!(n.t.poll_uplink_control().is_none());
        // A ping from a subscriber through dpvpn.
        let mut f = GW_MAC.to_vec();
        f.truncate(0);
        f.extend_from_slice(&INET_MAC);
        f.extend_from_slice(&GW_MAC);
        f.extend_from_slice(&[0x08, 0x00]);
        f.extend_from_slice(&icmp::echo_request(addr(0), INET, 0, 1, 5));
        n.t.handle_uplink_frame(0, &f);
        let r = n.t.poll_uplink_control().unwrap();
        assert_eq!(r[0..6], GW_MAC);
        assert!(matches!(icmp::classify(&r[14..], addr(0), INET), icmp::Classified::Reply(_)));
    }
}
