//! The load generator's core, sans-IO: N emulated PPPoE subscribers
//! ([`controlplane::pppoe::subscriber::Subscriber`], the client role of every machine:
//! RFC 2516 discovery, LCP, PAP/CHAP, IPCP) behind one access port, with their setup
//! pacing, retries, ping and the tap bridge. The DPDK loop ([`super::run`]) feeds it
//! frames and the time and sends what it queues; the virtual-time tests feed it from the
//! real session manager. Nothing here reads a clock: `now` is microseconds on a
//! monotonic clock of the caller's (the machines get milliseconds).
//!
//! - **Who is who**: session index i (0-based; its number is `first + i`) has MAC
//!   `02:4c:i₃:i₂:i₁:i₀` (locally administered, [`session_mac`]), so a received frame
//!   finds its subscriber from its destination MAC with no table ([`slot_of`]), and its
//!   VLANs from the plan, round robin. Each attempt sends its own Host-Uniq (index and
//!   attempt), so a late PADO or PADS for an attempt that was given up is not taken by
//!   the next (RFC 2516 Appendix A); such a PADS, or one that arrives after the
//!   session was given up, gets a PADT, so the AC does not hold a session nobody uses.
//! - **Stages**: *setup* (sessions start at the setup rate, a token bucket; a failed
//!   attempt is retried after a back-off of 1, 2, 4, 8 s less up to 25 %, up to the retry
//!   count; a retry is paced like a new session) until every session is up or has failed
//!   for good, or the setup timeout passes (then those still trying fail, with a bare
//!   PADT). *Holding*: sessions stay up, pings run; one that goes down is counted as
//!   dropped and dialled again if it has retries left. Then *draining* (no new pings, at
//!   most 1 s for the replies of those out), *hanging up* (LCP Terminate-Request, then
//!   PADT, as `Subscriber::hang_up`, at the teardown rate), bounded: what is not down 10 s
//!   after the last hang-up gets a bare PADT. Then done.
//! - **Ping**: an Up session sends an ICMP echo request every second (first after
//!   500 ms, so that the AC, whose IPCP may open a moment after ours, has installed the
//!   session), identifier = index mod 2¹⁶, sequence from 1; replies are checked (see
//!   [`super::icmp`]) and matched to the request by sequence number for the RTT.
//! - **Tap**: the first session's IPv4 that is not ours goes to the kernel's tap
//!   interface (from [`TAP_GATEWAY_MAC`] to the tap's MAC); IPv4 from the tap goes into
//!   the first session; ARP requests from the tap are answered with
//!   [`TAP_GATEWAY_MAC`] for any address (proxy ARP, as dpvpn's exception path does), so
//!   the kernel can route everything via [`TAP_GATEWAY`].

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::net::Ipv4Addr;

use controlplane::pppoe::discovery::Mac;
use controlplane::pppoe::subscriber::{Subscriber, SubscriberConfig, SubscriberEvent};
use dataplane::wire::arp::{ArpOperation, ArpPacket, ArpRepr};
use dataplane::wire::ethernet::{emit_l2, parse_l2, EtherType, EthernetAddress, L2Header};
use dataplane::wire::ipv4::Ipv4Packet;
use dataplane::wire::pppoe::{DiscoveryRepr, PppoeCode, PppoePacket};

use super::icmp::{self, Classified};
use super::options::Plan;
use super::report::{Percentiles, PingReport, Progress, Report, SessionReport};
use super::sessions::{session_mac, slot_of, Mode, Sessions};

/// The link-local gateway the kernel routes through on the tap.
pub const TAP_GATEWAY: Ipv4Addr = Ipv4Addr::new(169, 254, 0, 1);
/// The MAC the load generator answers the tap's ARP with: "lgate".
pub const TAP_GATEWAY_MAC: Mac = [0x02, 0x6c, 0x67, 0x61, 0x74, 0x65];

const FIRST_PING_DELAY_US: u64 = 500_000;
const PING_INTERVAL_US: u64 = 1_000_000;
const PING_DRAIN_US: u64 = 1_000_000;
/// Requests remembered per session for RTT and duplicate detection.
const MAX_OUTSTANDING: usize = 64;
const BACKOFF_BASE_US: u64 = 1_000_000;
const BACKOFF_MAX_US: u64 = 8_000_000;
/// LCP gives up a Terminate-Request after 2 × 3 s (RFC 1661 §4.6 defaults); then PADT.
const TEARDOWN_BOUND_US: u64 = 10_000_000;
/// RTT samples kept for the percentiles.
const MAX_RTT_SAMPLES: usize = 10_000_000;

/// The Host-Uniq of attempt `attempt` of session index `i`.
fn host_uniq(i: u32, attempt: u32) -> [u8; 8] {
    let (a, b) = (i.to_be_bytes(), attempt.to_be_bytes());
    [a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3]]
}

/// A PADT for a PADS that no attempt of ours wants any more (a session given up while
/// its PADS was on the way, or an earlier attempt's): `current` is the Host-Uniq of the
/// attempt in progress. Without it the AC would hold the session until its LCP gives up.
fn padt_for_stray_pads(frame: &[u8], current: Option<[u8; 8]>) -> Option<Vec<u8>> {
    let l2 = parse_l2(frame).ok()?;
    if l2.ethertype != EtherType::PPPOE_DISCOVERY {
        return None;
    }
    let p = PppoePacket::new_checked(frame.get(l2.header_len..)?).ok()?;
    if p.code() != PppoeCode::PADS || p.session_id() == 0 {
        return None;
    }
    let pads = DiscoveryRepr::parse(&p).ok()?;
    if current.is_some() && pads.host_uniq == current.as_ref().map(|u| &u[..]) {
        return None;
    }
    let mut padt = DiscoveryRepr::new(PppoeCode::PADT, p.session_id());
    padt.host_uniq = pads.host_uniq;
    padt.relay_session_id = pads.relay_session_id;
    let h = L2Header { dst: l2.src, src: l2.dst, ethertype: EtherType::PPPOE_DISCOVERY, header_len: 0, ..l2 };
    let mut f = vec![0u8; (22 + padt.buffer_len()).max(60)];
    let n = emit_l2(&h, &mut f).ok()?;
    let m = padt.emit(&mut f[n..]).ok()?;
    f.truncate((n + m).max(60));
    Some(f)
}

/// splitmix64: per-session seeds from the index and attempt.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// What the caller acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The tap's session came up with this address: configure the kernel interface.
    TapUp { address: Ipv4Addr },
    /// The tap's session went down: take the address and routes off.
    TapDown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    NotStarted,
    Dialing,
    Up,
    /// Failed; a retry is due at this time.
    Backoff {
        until_us: u64,
    },
    /// The back-off passed; waiting for a setup token.
    Ready,
    /// Failed for good.
    Failed,
    /// Hung up by us.
    Closed,
}

impl State {
    fn kind(self) -> usize {
        match self {
            State::NotStarted => 0,
            State::Dialing => 1,
            State::Up => 2,
            State::Backoff { .. } => 3,
            State::Ready => 4,
            State::Failed => 5,
            State::Closed => 6,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Setup { deadline_us: u64 },
    Holding { until_us: Option<u64> },
    Draining { until_us: u64 },
    HangingUp,
    Done,
}

impl Stage {
    fn name(self) -> &'static str {
        match self {
            Stage::Setup { .. } => "setup",
            Stage::Holding { .. } => "holding",
            Stage::Draining { .. } => "draining",
            Stage::HangingUp => "hang-up",
            Stage::Done => "done",
        }
    }
}

#[derive(Default)]
struct PingState {
    next_us: Option<u64>,
    seq: u16,
    sent: u32,
    outstanding: VecDeque<(u16, u64)>,
}

struct Slot {
    sub: Option<Box<Subscriber>>,
    state: State,
    attempts: u32,
    attempt_start_us: u64,
    setup_us: Option<u64>,
    ever_up: bool,
    address: Option<Ipv4Addr>,
    session_id: Option<u16>,
    failure: Option<String>,
    ping: PingState,
    scheduled: Option<u64>,
}

impl Slot {
    fn new() -> Slot {
        Slot {
            sub: None,
            state: State::NotStarted,
            attempts: 0,
            attempt_start_us: 0,
            setup_us: None,
            ever_up: false,
            address: None,
            session_id: None,
            failure: None,
            ping: PingState::default(),
            scheduled: None,
        }
    }
}

/// A token bucket in µs.
struct Pacer {
    per_us: f64,
    tokens: f64,
    burst: f64,
    last_us: u64,
}

impl Pacer {
    fn new(rate_per_s: f64, now_us: u64) -> Pacer {
        // At most 50 ms worth at once, so a stall is not followed by a flood.
        let burst = (rate_per_s * 0.05).max(1.0);
        Pacer { per_us: rate_per_s / 1e6, tokens: 1.0, burst, last_us: now_us }
    }
    fn take(&mut self, now_us: u64) -> bool {
        self.tokens = (self.tokens + (now_us.saturating_sub(self.last_us)) as f64 * self.per_us).min(self.burst);
        self.last_us = now_us;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// N emulated subscribers on one access port.
pub struct Emulator {
    plan: Plan,
    teardown_rate: Option<f64>,
    port: u16,
    slots: Vec<Slot>,
    counts: [u32; 7],
    timers: BinaryHeap<Reverse<(u64, u32)>>,
    ready: VecDeque<u32>,
    next_new: u32,
    setup_pacer: Option<Pacer>,
    teardown_pacer: Option<Pacer>,
    hangup_cursor: u32,
    stage: Stage,
    start_us: Option<u64>,
    first_padi_us: Option<u64>,
    last_up_us: Option<u64>,
    setup_end_us: Option<u64>,
    hangup_us: Option<u64>,
    last_hangup_us: u64,
    last_down_us: Option<u64>,
    access_tx: VecDeque<Vec<u8>>,
    tap_tx: VecDeque<Vec<u8>>,
    tap_mac: Option<Mac>,
    events: VecDeque<Event>,
    established: u32,
    retries: u64,
    attempt_failures: BTreeMap<String, u64>,
    dropped: u64,
    drop_reasons: BTreeMap<String, u64>,
    teardown_forced: u64,
    interrupted: bool,
    pings: PingReport,
    pings_outstanding: u64,
    rtt_ms: Vec<f64>,
    frames_rx: u64,
    frames_tx: u64,
    frames_ignored: u64,
    tx_refused: u64,
    stray_pads: u64,
    tap_in: u64,
    tap_out: u64,
    tap_dropped: u64,
}

impl Emulator {
    /// `port` is the DPDK port id the subscribers' frames name (their discovery key).
    pub fn new(plan: Plan, port: u16) -> Emulator {
        let n = plan.sessions;
        let pings = PingReport { target: plan.ping.map(|p| p.target.to_string()), ..PingReport::default() };
        let teardown_rate = plan.teardown_rate.filter(|r| *r > 0.0);
        let mut counts = [0u32; 7];
        counts[State::NotStarted.kind()] = n;
        Emulator {
            plan,
            teardown_rate,
            port,
            slots: (0..n).map(|_| Slot::new()).collect(),
            counts,
            timers: BinaryHeap::new(),
            ready: VecDeque::new(),
            next_new: 0,
            setup_pacer: None,
            teardown_pacer: None,
            hangup_cursor: 0,
            stage: Stage::Setup { deadline_us: u64::MAX },
            start_us: None,
            first_padi_us: None,
            last_up_us: None,
            setup_end_us: None,
            hangup_us: None,
            last_hangup_us: 0,
            last_down_us: None,
            access_tx: VecDeque::new(),
            tap_tx: VecDeque::new(),
            tap_mac: None,
            events: VecDeque::new(),
            established: 0,
            retries: 0,
            attempt_failures: BTreeMap::new(),
            dropped: 0,
            drop_reasons: BTreeMap::new(),
            teardown_forced: 0,
            interrupted: false,
            pings,
            pings_outstanding: 0,
            rtt_ms: Vec::new(),
            frames_rx: 0,
            frames_tx: 0,
            frames_ignored: 0,
            tx_refused: 0,
            stray_pads: 0,
            tap_in: 0,
            tap_out: 0,
            tap_dropped: 0,
        }
    }

    /// The MAC of the kernel's tap interface: frames towards the kernel go to it.
    pub fn set_tap_mac(&mut self, mac: Mac) {
        self.tap_mac = Some(mac);
    }

    pub fn is_done(&self) -> bool {
        self.stage == Stage::Done
    }

    /// How many subscribers there are.
    pub fn sessions(&self) -> u32 {
        self.plan.sessions
    }

    /// Whether the sessions are being held up (the setup is over, the hang-up not begun).
    pub fn is_holding(&self) -> bool {
        matches!(self.stage, Stage::Holding { .. })
    }

    /// The PPPoE session id of session index `i`, while it is up.
    pub fn session_id(&self, i: u32) -> Option<u16> {
        let s = self.slots.get(i as usize)?;
        (s.state == State::Up).then_some(s.session_id).flatten()
    }

    /// An IPv4 datagram framed for session index `i` (Ethernet, tags, PPPoE, PPP), while
    /// it is up.
    pub fn encapsulate_for(&self, i: u32, datagram: &[u8]) -> Option<Vec<u8>> {
        let s = self.slots.get(i as usize)?;
        if s.state != State::Up {
            return None;
        }
        s.sub.as_deref()?.encapsulate(datagram)
    }

    /// The address of session index `i`, while it is up.
    pub fn address(&self, i: u32) -> Option<Ipv4Addr> {
        let s = self.slots.get(i as usize)?;
        (s.state == State::Up).then_some(s.address).flatten()
    }

    pub fn poll_access_transmit(&mut self) -> Option<Vec<u8>> {
        let f = self.access_tx.pop_front()?;
        self.frames_tx += 1;
        Some(f)
    }

    pub fn poll_tap_transmit(&mut self) -> Option<Vec<u8>> {
        self.tap_tx.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Frames the access port did not take (they are gone; the machines retransmit).
    pub fn note_tx_refused(&mut self, n: u64) {
        self.tx_refused += n;
    }

    fn set_state(&mut self, i: u32, new: State) {
        let s = &mut self.slots[i as usize];
        self.counts[s.state.kind()] -= 1;
        self.counts[new.kind()] += 1;
        s.state = new;
    }

    fn count(&self, s: State) -> u32 {
        self.counts[s.kind()]
    }

    fn pending(&self) -> u32 {
        self.count(State::Dialing) + self.count(State::Backoff { until_us: 0 }) + self.count(State::Ready)
    }

    /// Timers, setup pacing and the stages. Call often (every loop).
    pub fn poll(&mut self, now_us: u64) {
        if self.start_us.is_none() {
            self.start_us = Some(now_us);
            self.stage = Stage::Setup { deadline_us: now_us.saturating_add(self.plan.timeout_ms.saturating_mul(1000)) };
            self.setup_pacer = Some(Pacer::new(self.plan.setup_rate, now_us));
        }
        while let Some(&Reverse((t, i))) = self.timers.peek() {
            if t > now_us {
                break;
            }
            self.timers.pop();
            if self.slots[i as usize].scheduled == Some(t) {
                self.slots[i as usize].scheduled = None;
                self.wake(i, now_us);
            }
        }
        if matches!(self.stage, Stage::Setup { .. } | Stage::Holding { .. }) {
            self.start_sessions(now_us);
        }
        match self.stage {
            Stage::Setup { deadline_us } => {
                let unsettled = self.pending() + self.count(State::NotStarted);
                if unsettled == 0 {
                    self.enter_holding(now_us);
                } else if now_us >= deadline_us {
                    self.abandon_setup(now_us);
                    self.enter_holding(now_us);
                }
            }
            Stage::Holding { until_us: Some(t) } if now_us >= t => self.enter_draining(now_us),
            Stage::Holding { .. } => {}
            Stage::Draining { until_us } => {
                if self.pings_outstanding == 0 || now_us >= until_us {
                    self.enter_hangup(now_us);
                }
            }
            Stage::HangingUp => self.hang_up_some(now_us),
            Stage::Done => {}
        }
    }

    /// SIGINT: go on to the hang-up (a second one: bare PADTs and done).
    pub fn stop(&mut self, now_us: u64) {
        self.interrupted = true;
        match self.stage {
            Stage::Setup { .. } | Stage::Holding { .. } => {
                if self.setup_end_us.is_none() {
                    self.setup_end_us = Some(self.last_up_us.unwrap_or(now_us));
                }
                self.enter_draining(now_us)
            }
            Stage::Draining { .. } => self.enter_hangup(now_us),
            Stage::HangingUp => self.force_down(now_us),
            Stage::Done => {}
        }
    }

    fn start_sessions(&mut self, now_us: u64) {
        let setup = matches!(self.stage, Stage::Setup { .. });
        loop {
            let have = !self.ready.is_empty() || (setup && self.next_new < self.plan.sessions);
            if !have {
                return;
            }
            let Some(p) = self.setup_pacer.as_mut() else { return };
            if !p.take(now_us) {
                return;
            }
            let i = match self.ready.pop_front() {
                Some(i) => i,
                None => {
                    self.next_new += 1;
                    self.next_new - 1
                }
            };
            self.start(i, now_us);
        }
    }

    fn subscriber(&self, i: u32, attempt: u32) -> Subscriber {
        let p = &self.plan;
        let n = p.first + i;
        let seed = mix((i as u64) << 32 | attempt as u64);
        let mut c = SubscriberConfig::new(self.port, session_mac(i), &p.username(n), &p.password);
        c.discovery.vlans = p.vlans.vlans(i);
        c.discovery.host_uniq = Some(host_uniq(i, attempt).to_vec());
        c.discovery.jitter_percent = 25;
        c.discovery.seed = seed;
        c.methods = p.methods.clone();
        c.echo = p.echo;
        c.seed = seed | 1;
        Subscriber::new(c)
    }

    fn start(&mut self, i: u32, now_us: u64) {
        let attempt = self.slots[i as usize].attempts + 1;
        if attempt > 1 {
            self.retries += 1;
        }
        let mut sub = Box::new(self.subscriber(i, attempt));
        sub.start(now_us / 1000);
        self.first_padi_us.get_or_insert(now_us);
        let s = &mut self.slots[i as usize];
        s.attempts = attempt;
        s.attempt_start_us = now_us;
        s.sub = Some(sub);
        self.set_state(i, State::Dialing);
        self.service(i, now_us);
    }

    fn wake(&mut self, i: u32, now_us: u64) {
        let s = &mut self.slots[i as usize];
        if let State::Backoff { until_us } = s.state {
            if until_us <= now_us {
                self.set_state(i, State::Ready);
                self.ready.push_back(i);
            }
        }
        let s = &mut self.slots[i as usize];
        if let Some(sub) = s.sub.as_deref_mut() {
            let now_ms = now_us / 1000;
            if sub.poll_timeout().is_some_and(|t| t <= now_ms) {
                sub.handle_timeout(now_ms);
            }
        }
        self.maybe_ping(i, now_us);
        self.service(i, now_us);
    }

    fn pinging(&self) -> bool {
        matches!(self.stage, Stage::Setup { .. } | Stage::Holding { .. })
    }

    fn maybe_ping(&mut self, i: u32, now_us: u64) {
        let Some(plan) = self.plan.ping else { return };
        let pinging = self.pinging();
        let s = &mut self.slots[i as usize];
        let (Some(due), State::Up, Some(addr)) = (s.ping.next_us, s.state, s.address) else { return };
        if due > now_us {
            return;
        }
        if !pinging || plan.count.is_some_and(|k| s.ping.sent >= k) {
            s.ping.next_us = None;
            return;
        }
        s.ping.seq = s.ping.seq.wrapping_add(1);
        let seq = s.ping.seq;
        let d = icmp::echo_request(addr, plan.target, i as u16, seq, now_us);
        let Some(frame) = s.sub.as_deref().and_then(|sub| sub.encapsulate(&d)) else {
            // The link is not carrying IPv4 right now (IPCP renegotiating): skip this ping
            // rather than retry it at the same instant for ever.
            s.ping.seq = s.ping.seq.wrapping_sub(1);
            s.ping.next_us = Some(due + PING_INTERVAL_US);
            return;
        };
        self.access_tx.push_back(frame);
        s.ping.sent += 1;
        s.ping.outstanding.push_back((seq, now_us));
        self.pings.sent += 1;
        self.pings_outstanding += 1;
        if s.ping.outstanding.len() > MAX_OUTSTANDING {
            s.ping.outstanding.pop_front();
            self.pings_outstanding -= 1;
        }
        let more = match plan.count {
            Some(k) => s.ping.sent < k,
            None => true,
        };
        s.ping.next_us = more.then_some(due + PING_INTERVAL_US);
    }

    /// Move what the subscriber queued out, act on its events, and set its next wake-up.
    fn service(&mut self, i: u32, now_us: u64) {
        while let Some(sub) = self.slots[i as usize].sub.as_deref_mut() {
            while let Some(f) = sub.poll_transmit() {
                self.access_tx.push_back(f);
            }
            match sub.poll_event() {
                Some(e) => self.on_event(i, now_us, e),
                None => break,
            }
        }
        let s = &mut self.slots[i as usize];
        if s.state == State::Closed {
            if let Some(mut sub) = s.sub.take() {
                while let Some(f) = sub.poll_transmit() {
                    self.access_tx.push_back(f);
                }
            }
        }
        self.schedule(i);
    }

    fn schedule(&mut self, i: u32) {
        let s = &mut self.slots[i as usize];
        let mut t = s.sub.as_deref().and_then(|sub| sub.poll_timeout()).map(|ms| ms.saturating_mul(1000));
        let mut consider = |x: Option<u64>| {
            if let Some(x) = x {
                t = Some(t.map_or(x, |y| y.min(x)));
            }
        };
        if s.state == State::Up {
            consider(s.ping.next_us);
        }
        if let State::Backoff { until_us } = s.state {
            consider(Some(until_us));
        }
        if t != s.scheduled {
            s.scheduled = t;
            if let Some(t) = t {
                self.timers.push(Reverse((t, i)));
            }
        }
    }

    fn on_event(&mut self, i: u32, now_us: u64, e: SubscriberEvent) {
        match e {
            SubscriberEvent::Up { address, session_id, .. } => {
                let hanging_up = matches!(self.stage, Stage::HangingUp | Stage::Done);
                let passed = i < self.hangup_cursor;
                let s = &mut self.slots[i as usize];
                if s.state != State::Dialing {
                    return;
                }
                s.address = Some(address);
                s.session_id = Some(session_id);
                s.setup_us = Some(now_us - s.attempt_start_us);
                s.failure = None;
                s.ping.next_us = self.plan.ping.map(|_| now_us + FIRST_PING_DELAY_US);
                let first = !s.ever_up;
                s.ever_up = true;
                if first {
                    self.established += 1;
                }
                self.last_up_us = Some(now_us);
                self.set_state(i, State::Up);
                if self.plan.tap && i == 0 {
                    self.events.push_back(Event::TapUp { address });
                }
                if hanging_up && passed {
                    self.hang_up_one(i, now_us);
                }
            }
            SubscriberEvent::Down { reason } => {
                let was = self.slots[i as usize].state;
                if !matches!(was, State::Up | State::Dialing) {
                    return;
                }
                self.slots[i as usize].ping.next_us = None;
                if was == State::Up && self.plan.tap && i == 0 {
                    self.events.push_back(Event::TapDown);
                }
                if matches!(self.stage, Stage::HangingUp | Stage::Done) {
                    self.last_down_us = Some(now_us);
                    self.set_state(i, State::Closed);
                    return;
                }
                if was == State::Up {
                    self.dropped += 1;
                    *self.drop_reasons.entry(reason.clone()).or_default() += 1;
                } else {
                    *self.attempt_failures.entry(reason.clone()).or_default() += 1;
                }
                let s = &mut self.slots[i as usize];
                s.failure = Some(reason);
                if s.attempts <= self.plan.retries {
                    let base = (BACKOFF_BASE_US << (s.attempts - 1).min(3)).min(BACKOFF_MAX_US);
                    let jitter = mix((i as u64) << 32 | s.attempts as u64 | 1 << 63) % (base / 4 + 1);
                    self.set_state(i, State::Backoff { until_us: now_us + base - jitter });
                } else {
                    self.set_state(i, State::Failed);
                }
            }
        }
    }

    fn enter_holding(&mut self, now_us: u64) {
        if self.setup_end_us.is_none() {
            self.setup_end_us = Some(self.last_up_us.unwrap_or(now_us));
        }
        let until_us = self.plan.hold_ms.map(|h| now_us + h * 1000);
        self.stage = Stage::Holding { until_us };
    }

    fn enter_draining(&mut self, now_us: u64) {
        self.stage = Stage::Draining { until_us: now_us + PING_DRAIN_US };
        if self.pings_outstanding == 0 {
            self.enter_hangup(now_us);
        }
    }

    /// Sessions still trying when the setup timeout passes fail (a bare PADT for those
    /// that got as far as a session id).
    fn abandon_setup(&mut self, now_us: u64) {
        const WHY: &str = "not up within --timeout";
        for i in 0..self.plan.sessions {
            let s = &mut self.slots[i as usize];
            match s.state {
                State::Dialing => {
                    if let Some(sub) = s.sub.as_deref_mut() {
                        sub.send_padt(now_us / 1000);
                        while sub.poll_event().is_some() {}
                        while let Some(f) = sub.poll_transmit() {
                            self.access_tx.push_back(f);
                        }
                    }
                    s.sub = None;
                    s.failure = Some(WHY.into());
                    *self.attempt_failures.entry(WHY.into()).or_default() += 1;
                    self.set_state(i, State::Failed);
                }
                State::Backoff { .. } | State::Ready | State::NotStarted => {
                    s.failure.get_or_insert_with(|| WHY.into());
                    self.set_state(i, State::Failed);
                }
                _ => {}
            }
        }
        self.ready.clear();
        self.next_new = self.plan.sessions;
    }

    fn enter_hangup(&mut self, now_us: u64) {
        self.stage = Stage::HangingUp;
        self.hangup_us = Some(now_us);
        self.last_hangup_us = now_us;
        self.teardown_pacer = self.teardown_rate.map(|r| Pacer::new(r, now_us));
        self.ready.clear();
        for i in 0..self.plan.sessions {
            if matches!(self.slots[i as usize].state, State::Backoff { .. } | State::Ready) {
                self.set_state(i, State::Failed);
            }
        }
        self.hang_up_some(now_us);
    }

    fn hang_up_one(&mut self, i: u32, now_us: u64) {
        if let Some(sub) = self.slots[i as usize].sub.as_deref_mut() {
            sub.hang_up(now_us / 1000);
        }
        self.last_hangup_us = now_us;
        self.service(i, now_us);
    }

    fn hang_up_some(&mut self, now_us: u64) {
        while self.hangup_cursor < self.plan.sessions {
            let i = self.hangup_cursor;
            if matches!(self.slots[i as usize].state, State::Up | State::Dialing) {
                if let Some(p) = self.teardown_pacer.as_mut() {
                    if !p.take(now_us) {
                        break;
                    }
                }
                self.hang_up_one(i, now_us);
            }
            self.hangup_cursor += 1;
        }
        let live = self.count(State::Up) + self.count(State::Dialing);
        if self.hangup_cursor >= self.plan.sessions {
            if live == 0 {
                self.stage = Stage::Done;
            } else if now_us >= self.last_hangup_us + TEARDOWN_BOUND_US {
                self.force_down(now_us);
            }
        }
    }

    /// A bare PADT for every session not down yet.
    fn force_down(&mut self, now_us: u64) {
        for i in 0..self.plan.sessions {
            if matches!(self.slots[i as usize].state, State::Up | State::Dialing) {
                self.teardown_forced += 1;
                if self.slots[i as usize].state == State::Up && self.plan.tap && i == 0 {
                    self.events.push_back(Event::TapDown);
                }
                if let Some(sub) = self.slots[i as usize].sub.as_deref_mut() {
                    sub.send_padt(now_us / 1000);
                    while sub.poll_event().is_some() {}
                }
                self.set_state(i, State::Closed);
                self.service(i, now_us);
            } else if self.slots[i as usize].state == State::NotStarted {
                // Never started (interrupted during the setup).
            }
        }
        self.last_down_us = Some(now_us);
        self.hangup_cursor = self.plan.sessions;
        self.stage = Stage::Done;
    }

    /// A frame from the access port.
    pub fn handle_access_frame(&mut self, now_us: u64, frame: &[u8]) {
        self.frames_rx += 1;
        let Some(i) = frame.get(0..6).and_then(slot_of).filter(|&i| i < self.plan.sessions) else {
            self.frames_ignored += 1;
            return;
        };
        let s = &self.slots[i as usize];
        let current = matches!(s.state, State::Dialing | State::Up).then(|| host_uniq(i, s.attempts));
        if let Some(padt) = padt_for_stray_pads(frame, current) {
            self.stray_pads += 1;
            self.access_tx.push_back(padt);
            return;
        }
        let Some(sub) = self.slots[i as usize].sub.as_deref_mut() else {
            self.frames_ignored += 1;
            return;
        };
        let before = sub.dropped;
        let datagram = sub.handle_frame(now_us / 1000, frame);
        if sub.dropped != before {
            self.frames_ignored += 1;
        }
        if let Some((a, b)) = datagram {
            self.on_datagram(i, now_us, &frame[a..b]);
        }
        self.service(i, now_us);
    }

    fn on_datagram(&mut self, i: u32, now_us: u64, d: &[u8]) {
        let s = &mut self.slots[i as usize];
        if let (Some(p), Some(addr)) = (self.plan.ping, s.address) {
            match icmp::classify(d, addr, p.target) {
                Classified::Reply(r) if r.ident == i as u16 => {
                    match s.ping.outstanding.iter().position(|&(seq, _)| seq == r.seq) {
                        Some(k) => {
                            let (_, sent) = s.ping.outstanding.remove(k).unwrap_or_default();
                            self.pings.answered += 1;
                            self.pings_outstanding -= 1;
                            if self.rtt_ms.len() < MAX_RTT_SAMPLES {
                                self.rtt_ms.push(now_us.saturating_sub(sent) as f64 / 1000.0);
                            }
                        }
                        None => self.pings.duplicates += 1,
                    }
                    return;
                }
                Classified::Reply(_) | Classified::BadReply => {
                    self.pings.bad += 1;
                    return;
                }
                Classified::Other => {}
            }
        }
        match (self.plan.tap && i == 0, self.tap_mac) {
            (true, Some(mac)) => {
                let len = Ipv4Packet::new_checked(d).map(|p| p.total_len() as usize).unwrap_or(d.len());
                let mut f = Vec::with_capacity(14 + len);
                f.extend_from_slice(&mac);
                f.extend_from_slice(&TAP_GATEWAY_MAC);
                f.extend_from_slice(&EtherType::IPV4.0.to_be_bytes());
                f.extend_from_slice(&d[..len]);
                self.tap_out += 1;
                self.tap_tx.push_back(f);
            }
            _ => self.frames_ignored += 1,
        }
    }

    /// A frame from the kernel's tap interface.
    pub fn handle_tap_frame(&mut self, now_us: u64, frame: &[u8]) {
        let Ok(l2) = parse_l2(frame) else {
            self.tap_dropped += 1;
            return;
        };
        let payload = &frame[l2.header_len..];
        if l2.outer_vlan.is_some() {
            self.tap_dropped += 1;
        } else if l2.ethertype == EtherType::ARP {
            self.proxy_arp(payload);
        } else if l2.ethertype == EtherType::IPV4 {
            let Ok(ip) = Ipv4Packet::new_checked(payload) else {
                self.tap_dropped += 1;
                return;
            };
            let d = &payload[..ip.total_len() as usize];
            let f = match self.slots.first() {
                Some(s) if s.state == State::Up => s.sub.as_deref().and_then(|sub| sub.encapsulate(d)),
                _ => None,
            };
            match f {
                Some(f) => {
                    self.tap_in += 1;
                    self.access_tx.push_back(f);
                    let _ = now_us;
                }
                None => self.tap_dropped += 1,
            }
        } else {
            // IPv6 and the like: the session carries IPv4 only.
            self.tap_dropped += 1;
        }
    }

    /// Answer the kernel's ARP request for any address but its own with the gateway MAC.
    fn proxy_arp(&mut self, payload: &[u8]) {
        let Ok(arp) = ArpPacket::new_checked(payload) else {
            self.tap_dropped += 1;
            return;
        };
        if !arp.is_ethernet_ipv4() || arp.operation() != ArpOperation::REQUEST {
            self.tap_dropped += 1;
            return;
        }
        let (sha, spa, tpa) = (arp.source_hardware_addr(), arp.source_protocol_addr(), arp.target_protocol_addr());
        // Duplicate address detection and gratuitous ARP ask about the kernel's own address.
        if spa.is_unspecified() || spa == tpa {
            return;
        }
        let mut f = vec![0u8; 42];
        f[0..6].copy_from_slice(&sha.0);
        f[6..12].copy_from_slice(&TAP_GATEWAY_MAC);
        f[12..14].copy_from_slice(&EtherType::ARP.0.to_be_bytes());
        let repr = ArpRepr::EthernetIpv4 {
            operation: ArpOperation::REPLY,
            source_hardware_addr: EthernetAddress(TAP_GATEWAY_MAC),
            source_protocol_addr: tpa,
            target_hardware_addr: sha,
            target_protocol_addr: spa,
        };
        if repr.emit(&mut f[14..]).is_ok() {
            self.tap_tx.push_back(f);
        }
    }

    pub fn progress(&self, now_us: u64) -> Progress {
        Progress {
            elapsed_ms: now_us.saturating_sub(self.start_us.unwrap_or(now_us)) / 1000,
            stage: self.stage.name(),
            up: self.count(State::Up),
            failed: self.count(State::Failed),
            pending: self.pending(),
            waiting: self.count(State::NotStarted),
            retries: self.retries,
            pings_sent: self.pings.sent,
            pings_answered: self.pings.answered,
            tx_refused: self.tx_refused,
        }
    }

    /// The figures so far (complete once done).
    pub fn report(&self) -> Report {
        let p = &self.plan;
        let mut setup: Vec<f64> = self.slots.iter().filter_map(|s| s.setup_us).map(|u| u as f64 / 1000.0).collect();
        let mut failure_reasons = BTreeMap::new();
        for s in self.slots.iter().filter(|s| !s.ever_up) {
            let why = s.failure.clone().unwrap_or_else(|| "not started".into());
            *failure_reasons.entry(why).or_default() += 1;
        }
        let setup_time_s = match (self.first_padi_us, self.setup_end_us.or(self.last_up_us)) {
            (Some(a), Some(b)) if b > a => (b - a) as f64 / 1e6,
            _ => 0.0,
        };
        let teardown_time_s = match (self.hangup_us, self.last_down_us) {
            (Some(a), Some(b)) if b > a => (b - a) as f64 / 1e6,
            _ => 0.0,
        };
        let mut pings = self.pings.clone();
        pings.lost = pings.sent.saturating_sub(pings.answered);
        pings.rtt_ms = Percentiles::of(&mut self.rtt_ms.clone());
        let sessions: Vec<SessionReport> = self
            .slots
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let vl = p.vlans.vlans(i as u32).vids();
                SessionReport {
                    number: p.first + i as u32,
                    user: p.username(p.first + i as u32),
                    mac: EthernetAddress(session_mac(i as u32)).to_string(),
                    vlans: match vl {
                        (None, _) => None,
                        (Some(o), None) => Some(o.to_string()),
                        (Some(o), Some(c)) => Some(format!("{o}:{c}")),
                    },
                    address: s.address.map(|a| a.to_string()),
                    session_id: s.session_id,
                    attempts: s.attempts,
                    setup_ms: s.setup_us.map(|u| u as f64 / 1000.0),
                    failure: if s.ever_up { None } else { s.failure.clone() },
                }
            })
            .collect();
        let established = self.established;
        let success = established == p.sessions
            && self.dropped == 0
            && pings.answered == pings.sent
            && pings.bad == 0
            && self.teardown_forced == 0;
        Report {
            mode: Mode::Dpvpn,
            sessions_requested: p.sessions,
            sessions_established: established,
            sessions_failed: p.sessions - established,
            failure_reasons,
            attempt_failures: self.attempt_failures.clone(),
            retries: self.retries,
            sessions_dropped: self.dropped,
            drop_reasons: self.drop_reasons.clone(),
            setup_time_s,
            setup_rate_per_s: if setup_time_s > 0.0 { established as f64 / setup_time_s } else { 0.0 },
            setup_rate_target_per_s: p.setup_rate,
            setup_latency_ms: Percentiles::of(&mut setup),
            teardown_time_s,
            teardown_forced: self.teardown_forced,
            pings,
            frames_rx: self.frames_rx,
            frames_tx: self.frames_tx,
            tx_refused: self.tx_refused,
            frames_ignored: self.frames_ignored,
            stray_pads_terminated: self.stray_pads,
            access_rx_missed: 0,
            tap_tx_refused: 0,
            tap_to_session: self.tap_in,
            tap_from_session: self.tap_out,
            tap_dropped: self.tap_dropped,
            uplink_rx_missed: 0,
            traffic: None,
            interrupted: self.interrupted,
            success,
            sessions,
        }
    }
}

impl Sessions for Emulator {
    fn count(&self) -> u32 {
        self.sessions()
    }
    fn session(&self, i: u32) -> Option<(u16, Ipv4Addr)> {
        Some((self.session_id(i)?, self.address(i)?))
    }
    fn encapsulate(&self, i: u32, datagram: &[u8]) -> Option<Vec<u8>> {
        self.encapsulate_for(i, datagram)
    }
}
