//! The PPPoE access concentrator's session manager: one PPP session per PPPoE session,
//! from PADS to PADT (RFC 2516 §5–6, RFC 1661 §3 phases).
//!
//! It owns the protocol machines of every session and composes them in the order of
//! RFC 1661 §3.2: the link is established (LCP Opened), the peer authenticates (PAP or
//! CHAP-MD5, as LCP agreed), then IPCP runs with the address AAA or a pool gave; when IPCP
//! opens, the data plane learns the subscriber's address and the FIB routes it to the
//! session. Any phase failing, a keepalive timing out, a PADT, or an operator's disconnect
//! closes LCP (Terminate-Request), then sends PADT and gives back everything the session
//! held: the data-plane record and index entry, the FIB route, the address, the session id.
//!
//! Sans-IO like the machines it holds: frames come in as bytes with `now` (ms), frames to
//! send are polled, timers are one heap of deadlines. It is the only writer of the session
//! table and of subscriber routes ([`DataPlane`]), which the driver lends it per call.
//!
//! Frames arrive from the workers: discovery frames by port, session frames already
//! matched to a data-plane session index (`PuntReason::PppControl`, [`PppPunt`]). A
//! punted frame is checked against the session it names by generation: a slot reused
//! while the frame waited in the ring is not confused with its previous owner; its PPP
//! header is read where the worker found it.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::net::Ipv4Addr;

use dataplane::session::{frame_control, GreNumbers, SessionWriter};
use dataplane::stages::PppPunt;
use dataplane::wire::ethernet::{EtherType, EthernetAddress, L2Header};
use dataplane::wire::ppp::{parse_header, ControlPacket, PppProtocol};
use md5::{Digest, Md5};

use crate::aaa::{
    AaaBackend, AccountingRecord, AcctCounters, AcctStatus, Attributes, AuthRequest, Method, NasInfo,
    TerminateCause,
};
use crate::config::{AuthMethod, PppoeConfig};
use crate::pool::Pools;
use crate::ppp::chap::{ChapServer, ServerConfig as ChapConfig};
use crate::ppp::fsm::{self, Fsm, FsmConfig, State};
use crate::ppp::ipcp::{Ipcp, IpcpEvent, IpcpServerConfig};
use crate::ppp::lcp::{send_protocol_reject, Echo, EchoConfig, Lcp, LcpConfig, LcpEvent};
use crate::ppp::pap::{PapServer, ServerConfig as PapConfig, ServerEvent as AuthEvent};
use crate::pppoe::discovery::{
    AccessPort, DiscoveryServer, RateLimit, ServerConfig as DiscoveryConfig, ServerEvent as DiscoveryEvent,
    SessionKey, Vlans,
};
use crate::routes::RouteManager;

/// Ethernet frames are padded to this (FCS not counted).
const MIN_FRAME: usize = 60;

/// What the session manager writes in the data plane. The driver lends it per call.
pub struct DataPlane<'a> {
    pub sessions: &'a mut SessionWriter,
    pub routes: &'a mut RouteManager,
}

/// Where a session is in RFC 1661 §3's phases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// LCP negotiating.
    Establish,
    /// PAP or CHAP running, or AAA deciding.
    Authenticate,
    /// IPCP negotiating.
    Network,
    /// IPCP opened: traffic flows.
    Up,
    /// LCP closing; PADT follows.
    Terminate,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Establish => "lcp",
            Phase::Authenticate => "auth",
            Phase::Network => "ipcp",
            Phase::Up => "up",
            Phase::Terminate => "terminating",
        }
    }
}

/// The authenticator while the phase runs: boxed, since an established session (the
/// common case, by far) holds none.
enum Auth {
    None,
    Pap(Box<PapServer>),
    Chap(Box<ChapServer>),
}

struct Session {
    index: u32,
    generation: u32,
    key: SessionKey,
    started_ms: u64,
    up_ms: Option<u64>,
    phase: Phase,
    lcp: Fsm<Lcp>,
    echo: Option<Echo>,
    auth: Auth,
    auth_method: Option<Method>,
    ipcp: Option<Fsm<Ipcp>>,
    username: Option<Vec<u8>>,
    /// What AAA granted, until the network phase has used it (boxed: an established
    /// session keeps none).
    attributes: Option<Box<Attributes>>,
    address: Option<Ipv4Addr>,
    routed: bool,
    aaa_pending: bool,
    /// Why it is ending, for the log and accounting.
    ending: Option<(String, TerminateCause)>,
    /// The deadline in the timer heap for this session.
    armed: Option<u64>,
}

/// Counters of the session manager, for metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BrasStats {
    pub sessions_started: u64,
    pub sessions_up: u64,
    pub sessions_ended: u64,
    pub auth_accepted: u64,
    pub auth_rejected: u64,
    pub pool_exhausted: u64,
    pub keepalive_failures: u64,
    pub padt_received: u64,
    pub protocol_rejects_sent: u64,
    /// Punted frames that did not match the session they named, or were malformed.
    pub frames_dropped: u64,
    /// Sessions refused because `max_pending` sessions were negotiating.
    pub refused_busy: u64,
    /// Data-plane or FIB updates that failed (table full): the session was ended.
    pub table_errors: u64,
}

/// A session as `dpvpnctl show sessions` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInfo {
    pub index: u32,
    pub username: Option<String>,
    pub key: SessionKey,
    pub phase: Phase,
    pub address: Option<Ipv4Addr>,
    pub auth: Option<Method>,
    pub uptime_ms: u64,
}

/// Which session an operator means: its data-plane index or its user name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Which {
    Index(u32),
    User(String),
}

/// Randomness for magic numbers, identifiers, CHAP challenges and the cookie key: MD5 in
/// counter mode over a seed from the caller (the driver reads the OS's RNG once).
struct Random {
    seed: [u8; 32],
    counter: u64,
}

impl Random {
    fn block(&mut self) -> [u8; 16] {
        self.counter += 1;
        let mut h = Md5::new();
        h.update(self.seed);
        h.update(self.counter.to_le_bytes());
        h.finalize().into()
    }
    fn u64(&mut self) -> u64 {
        let b = self.block();
        u64::from_le_bytes(b[..8].try_into().expect("8 bytes"))
    }
}

pub struct Bras {
    config: PppoeConfig,
    discovery: DiscoveryServer,
    aaa: Box<dyn AaaBackend>,
    pools: Pools,
    sessions: Vec<Option<Box<Session>>>,
    by_key: HashMap<SessionKey, u32>,
    timers: BinaryHeap<Reverse<(u64, u32, u32)>>,
    tx: VecDeque<(u16, Vec<u8>)>,
    log: VecDeque<String>,
    random: Random,
    ports: HashMap<u16, [u8; 6]>,
    pending: usize,
    stats: BrasStats,
}

fn method_of(m: AuthMethod) -> Method {
    match m {
        AuthMethod::Pap => Method::Pap,
        AuthMethod::ChapMd5 => Method::ChapMd5,
    }
}

fn user_string(u: &Option<Vec<u8>>) -> String {
    u.as_deref().map(|u| String::from_utf8_lossy(u).into_owned()).unwrap_or_else(|| "-".into())
}

impl Bras {
    /// `ports`: the access ports (id, our MAC, MTU). `seed`: 32 random bytes.
    pub fn new(
        config: PppoeConfig,
        aaa: Box<dyn AaaBackend>,
        pools: Pools,
        ports: &[(u16, [u8; 6], u16)],
        max_sessions: usize,
        seed: [u8; 32],
    ) -> Result<Bras, String> {
        let mut random = Random { seed, counter: 0 };
        let mut cookie = Vec::with_capacity(32);
        cookie.extend_from_slice(&random.block());
        cookie.extend_from_slice(&random.block());
        let mut dc = DiscoveryConfig::new(&config.ac_name, &cookie);
        dc.accept_empty_service = config.service_names.iter().any(|s| s.is_empty());
        dc.service_names = config.service_names.iter().filter(|s| !s.is_empty()).cloned().collect();
        dc.max_sessions = max_sessions.min(65_534 * ports.len().max(1));
        dc.max_sessions_per_mac = config.max_sessions_per_mac as usize;
        dc.padi_rate_per_mac = RateLimit { per_second: config.padi_rate_per_mac, burst: config.padi_rate_per_mac.max(1) * 2 };
        dc.padi_rate_per_port =
            RateLimit { per_second: config.padi_rate_per_port, burst: config.padi_rate_per_port.max(1) * 2 };
        dc.offer_max_payload = config.ppp_max_payload;
        let mut discovery = DiscoveryServer::new(dc).map_err(|e| e.to_string())?;
        let mut macs = HashMap::new();
        for &(id, mac, mtu) in ports {
            discovery.add_port(id, AccessPort { mac, mtu });
            macs.insert(id, mac);
        }
        Ok(Bras {
            config,
            discovery,
            aaa,
            pools,
            sessions: Vec::new(),
            by_key: HashMap::new(),
            timers: BinaryHeap::new(),
            tx: VecDeque::new(),
            log: VecDeque::new(),
            random,
            ports: macs,
            pending: 0,
            stats: BrasStats::default(),
        })
    }

    /// Bytes of one session's record in the manager (its machines inline), heap not counted.
    pub fn session_record_bytes() -> usize {
        std::mem::size_of::<Session>()
    }

    /// Timer entries queued (stale ones included until they come due).
    pub fn timer_entries(&self) -> usize {
        self.timers.len()
    }

    pub fn stats(&self) -> BrasStats {
        self.stats
    }

    pub fn discovery(&self) -> &DiscoveryServer {
        &self.discovery
    }

    pub fn pools(&self) -> &Pools {
        &self.pools
    }

    /// Sessions that exist, in any phase.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Sessions per phase.
    pub fn phase_counts(&self) -> [(Phase, usize); 5] {
        let mut c = [
            (Phase::Establish, 0),
            (Phase::Authenticate, 0),
            (Phase::Network, 0),
            (Phase::Up, 0),
            (Phase::Terminate, 0),
        ];
        for s in self.sessions.iter().flatten() {
            if let Some(e) = c.iter_mut().find(|(p, _)| *p == s.phase) {
                e.1 += 1;
            }
        }
        c
    }

    /// A frame to send: (port, Ethernet frame).
    pub fn poll_transmit(&mut self) -> Option<(u16, Vec<u8>)> {
        self.discovery.poll_transmit().or_else(|| self.tx.pop_front())
    }

    /// A line for the log.
    pub fn poll_log(&mut self) -> Option<String> {
        self.log.pop_front()
    }

    /// The earliest deadline of any session, discovery or AAA.
    pub fn poll_timeout(&self) -> Option<u64> {
        let mut t = self.timers.peek().map(|Reverse((d, _, _))| *d);
        for o in [self.discovery.poll_timeout(), self.aaa.poll_timeout()].into_iter().flatten() {
            t = Some(t.map_or(o, |x| x.min(o)));
        }
        t
    }

    // ---- input ----

    /// A PPPoE discovery frame received on `port`.
    pub fn handle_discovery(&mut self, now: u64, port: u16, frame: &[u8], dp: &mut DataPlane) {
        self.discovery.handle_frame(now, port, frame);
        self.discovery_events(now, dp);
    }

    /// A PPPoE session frame the worker matched to session `punt.index` (a punted PPP
    /// control frame: LCP, authentication, NCPs, or a protocol to reject), its PPP header
    /// at `punt.ppp_offset`.
    pub fn handle_ppp(&mut self, now: u64, punt: PppPunt, frame: &[u8], dp: &mut DataPlane) {
        let index = punt.index;
        let Some((proto, packet)) = self.session_frame(punt, frame) else {
            self.stats.frames_dropped += 1;
            return;
        };
        let packet = packet.to_vec();
        let key = match self.sessions.get(index as usize).and_then(|s| s.as_deref()) {
            Some(s) => s.key,
            None => return,
        };
        // The subscriber talks PPP on this session: a late PADR from it is a new request
        // now, not a retransmission of the one that made this session.
        self.discovery.confirm(&key);
        let Some(s) = self.sessions.get_mut(index as usize).and_then(|s| s.as_deref_mut()) else { return };
        if let Some(e) = s.echo.as_mut() {
            e.traffic_seen(now);
        }
        let control = ControlPacket::new_checked(&packet[..]).ok();
        let handled = match proto {
            PppProtocol::LCP => match control {
                Some(c) => {
                    s.lcp.handle_packet(now, c.code(), c.identifier(), c.data());
                    true
                }
                None => false,
            },
            PppProtocol::PAP => match &mut s.auth {
                Auth::Pap(m) => {
                    m.handle_packet(now, &packet);
                    true
                }
                _ => false,
            },
            PppProtocol::CHAP => match &mut s.auth {
                Auth::Chap(m) => {
                    m.handle_packet(now, &packet);
                    true
                }
                _ => false,
            },
            PppProtocol::IPCP => match (&mut s.ipcp, control) {
                (Some(f), Some(c)) => {
                    f.handle_packet(now, c.code(), c.identifier(), c.data());
                    true
                }
                // Before the network phase an NCP packet is silently discarded (RFC 1661
                // §3.5): the peer retransmits.
                _ => false,
            },
            other => {
                // A protocol we do not run (IPv6CP, CCP, IPX…): Protocol-Reject (§5.7),
                // only once LCP is Opened.
                if s.lcp.state() == State::Opened {
                    let mut info = packet.clone();
                    info.truncate(1400);
                    let sent = send_protocol_reject(&mut s.lcp, other, &info).is_ok();
                    if sent {
                        self.stats.protocol_rejects_sent += 1;
                    }
                    sent
                } else {
                    false
                }
            }
        };
        if !handled {
            self.stats.frames_dropped += 1;
        }
        self.drive(now, index, dp);
    }

    /// Run timers, AAA answers and the discovery machine; call every loop iteration (it
    /// returns at once when nothing is due).
    pub fn poll(&mut self, now: u64, dp: &mut DataPlane) {
        self.aaa.handle_timeout(now);
        while let Some(r) = self.aaa.poll_result(now) {
            let index = r.handle as u32;
            let generation = (r.handle >> 32) as u32;
            let Some(s) = self.session_mut(index).filter(|s| s.generation == generation) else { continue };
            s.aaa_pending = false;
            let res = match &mut s.auth {
                Auth::Pap(m) => m.verdict(now, r.outcome),
                Auth::Chap(m) => m.verdict(now, r.outcome),
                Auth::None => Ok(()),
            };
            if res.is_err() {
                self.log_line(format!("session {index}: AAA answered when no verdict was awaited"));
            }
            self.drive(now, index, dp);
        }
        self.discovery.handle_timeout(now);
        self.discovery_events(now, dp);
        while let Some(&Reverse((deadline, index, generation))) = self.timers.peek() {
            if deadline > now {
                break;
            }
            self.timers.pop();
            let random = &mut self.random;
            let Some(s) = self.sessions.get_mut(index as usize).and_then(|s| s.as_deref_mut()) else { continue };
            if s.generation != generation || s.armed != Some(deadline) {
                continue;
            }
            s.armed = None;
            if s.lcp.poll_timeout().is_some_and(|t| t <= now) {
                s.lcp.handle_timeout(now);
            }
            if let Some(e) = s.echo.as_mut() {
                if e.poll_timeout().is_some_and(|t| t <= now) {
                    if let Some(failed) = e.handle_timeout(now, &mut s.lcp) {
                        self.stats.keepalive_failures += 1;
                        let reason = failed.close_reason();
                        s.ending.get_or_insert((reason.into(), TerminateCause::LOST_SERVICE));
                        s.phase = Phase::Terminate;
                        s.lcp.close(now, reason.as_bytes());
                    }
                }
            }
            match &mut s.auth {
                Auth::Pap(m) if m.poll_timeout().is_some_and(|t| t <= now) => m.handle_timeout(now),
                Auth::Chap(m) if m.poll_timeout().is_some_and(|t| t <= now) => {
                    m.handle_timeout(now, &mut || random.block())
                }
                _ => {}
            }
            if let Some(f) = s.ipcp.as_mut() {
                if f.poll_timeout().is_some_and(|t| t <= now) {
                    f.handle_timeout(now);
                }
            }
            self.drive(now, index, dp);
        }
    }

    /// An operator's disconnect: LCP Terminate-Request, then PADT (RFC 2516 §5.5).
    pub fn disconnect(&mut self, now: u64, which: &Which, dp: &mut DataPlane) -> Result<u32, String> {
        let index = self.find(which).ok_or_else(|| format!("no session {}", which_string(which)))?;
        let s = self.session_mut(index).expect("found");
        s.ending.get_or_insert(("Administrative disconnect".into(), TerminateCause::ADMIN_RESET));
        s.phase = Phase::Terminate;
        s.lcp.close(now, b"Administrative disconnect");
        self.drive(now, index, dp);
        Ok(index)
    }

    /// End every session at once (shutdown): PADT to each subscriber, everything released.
    pub fn shutdown(&mut self, now: u64, dp: &mut DataPlane) {
        let all: Vec<u32> = self.by_key.values().copied().collect();
        for index in all {
            if let Some(s) = self.session_mut(index) {
                s.ending.get_or_insert(("NAS reboot".into(), TerminateCause::NAS_REBOOT));
            }
            self.finish(now, index, true, dp);
        }
    }

    /// One session, with its uptime at `now`.
    pub fn session(&self, now: u64, which: &Which) -> Option<SessionInfo> {
        let i = self.find(which)?;
        self.sessions.get(i as usize)?.as_deref().map(|s| self.info(s, now))
    }

    /// Every session's info with uptimes at `now`.
    pub fn sessions(&self, now: u64) -> Vec<SessionInfo> {
        let mut v: Vec<SessionInfo> = self.sessions.iter().flatten().map(|s| self.info(s, now)).collect();
        v.sort_by_key(|s| s.index);
        v
    }

    fn info(&self, s: &Session, now: u64) -> SessionInfo {
        SessionInfo {
            index: s.index,
            username: s.username.as_deref().map(|u| String::from_utf8_lossy(u).into_owned()),
            key: s.key,
            phase: s.phase,
            address: s.address,
            auth: s.auth_method,
            uptime_ms: s.up_ms.map_or(0, |t| now.saturating_sub(t)),
        }
    }

    fn find(&self, which: &Which) -> Option<u32> {
        match which {
            Which::Index(i) => self.sessions.get(*i as usize)?.as_ref().map(|s| s.index),
            Which::User(u) => {
                self.sessions.iter().flatten().find(|s| s.username.as_deref() == Some(u.as_bytes())).map(|s| s.index)
            }
        }
    }

    // ---- internals ----

    fn log_line(&mut self, line: String) {
        if self.log.len() < 10_000 {
            self.log.push_back(line);
        }
    }

    fn session_mut(&mut self, index: u32) -> Option<&mut Session> {
        self.sessions.get_mut(index as usize).and_then(|s| s.as_deref_mut())
    }

    /// The PPP protocol and packet of a punted frame, if it belongs to the session (the
    /// generation the worker saw is this session's). The worker trimmed the frame to its
    /// PPPoE LENGTH, so the PPP frame runs to its end.
    fn session_frame<'f>(&self, punt: PppPunt, frame: &'f [u8]) -> Option<(PppProtocol, &'f [u8])> {
        let s = self.sessions.get(punt.index as usize)?.as_deref()?;
        if s.generation != punt.generation {
            return None;
        }
        let ppp = frame.get(punt.ppp_offset as usize..)?;
        let (proto, hl) = parse_header(ppp).ok()?;
        Some((proto, &ppp[hl..]))
    }

    fn discovery_events(&mut self, now: u64, dp: &mut DataPlane) {
        while let Some(ev) = self.discovery.poll_event() {
            match ev {
                DiscoveryEvent::SessionRequested { key, vlans, max_payload, .. } => {
                    self.start_session(now, key, vlans, max_payload, dp)
                }
                DiscoveryEvent::SessionTerminated { key, .. } => {
                    self.stats.padt_received += 1;
                    if let Some(&index) = self.by_key.get(&key) {
                        if let Some(s) = self.session_mut(index) {
                            s.ending.get_or_insert(("PADT from the subscriber".into(), TerminateCause::USER_REQUEST));
                        }
                        // The subscriber is gone: no Terminate-Request, no PADT back.
                        self.finish(now, index, false, dp);
                    }
                }
            }
        }
    }

    /// `max_payload`: the RFC 4638 PPP-Max-Payload the PADS agreed to, if any (then LCP
    /// may ask and accept an MRU up to it, RFC 4638 §5).
    fn start_session(&mut self, now: u64, key: SessionKey, vlans: Vlans, max_payload: Option<u16>, dp: &mut DataPlane) {
        if self.pending >= self.config.max_pending as usize {
            self.stats.refused_busy += 1;
            self.discovery.terminate(&key, Some("busy: too many sessions negotiating"));
            return;
        }
        let Some(&port_mac) = self.ports.get(&key.port) else {
            self.discovery.terminate(&key, Some("no such access port"));
            return;
        };
        let l2 = L2Header {
            dst: EthernetAddress(port_mac),
            src: EthernetAddress(key.mac),
            outer_vlan: vlans.outer,
            inner_vlan: vlans.inner,
            ethertype: EtherType::PPPOE_SESSION,
            header_len: 0,
        };
        let flags = 0;
        let params = match super::template::session_params(key.port, port_mac, &l2, key.session_id, self.config.mru, 0, flags) {
            Ok(p) => p,
            Err(e) => {
                self.log_line(format!("session {key}: {e}"));
                self.discovery.terminate(&key, Some("AC-System-Error"));
                return;
            }
        };
        let (index, generation) = match dp.sessions.add(&params) {
            Ok(x) => x,
            Err(e) => {
                self.stats.table_errors += 1;
                self.log_line(format!("session {key}: refused: {e}"));
                self.discovery.terminate(&key, Some("AC-System-Error: session table full"));
                return;
            }
        };
        let methods: Vec<Method> = self.config.auth.iter().map(|&m| method_of(m)).collect();
        let mut lcp_config = LcpConfig::server(methods);
        lcp_config.mru = Some(self.config.mru);
        if let Some(mp) = max_payload.filter(|&m| m > self.config.mru) {
            lcp_config.max_mru = mp;
            lcp_config.mru = Some(mp);
        }
        let lcp = match Lcp::new(lcp_config, self.random.u64()) {
            Ok(l) => l,
            Err(e) => {
                self.log_line(format!("session {key}: LCP: {e}"));
                let _ = dp.sessions.remove(index);
                self.discovery.terminate(&key, Some("AC-System-Error"));
                return;
            }
        };
        let mut fsm = Fsm::new(lcp, FsmConfig::default(), self.random.u64() as u8).expect("default FSM config is valid");
        fsm.up(now);
        fsm.open(now);
        let echo = if self.config.echo_interval_s > 0 {
            Echo::new(EchoConfig {
                interval_ms: self.config.echo_interval_s as u64 * 1000,
                failures: self.config.echo_failures,
            })
            .ok()
        } else {
            None
        };
        let session = Session {
            index,
            generation,
            key,
            started_ms: now,
            up_ms: None,
            phase: Phase::Establish,
            lcp: fsm,
            echo,
            auth: Auth::None,
            auth_method: None,
            ipcp: None,
            username: None,
            attributes: None,
            address: None,
            routed: false,
            aaa_pending: false,
            ending: None,
            armed: None,
        };
        if self.sessions.len() <= index as usize {
            self.sessions.resize_with(index as usize + 1, || None);
        }
        self.sessions[index as usize] = Some(Box::new(session));
        self.by_key.insert(key, index);
        self.pending += 1;
        self.stats.sessions_started += 1;
        self.drive(now, index, dp);
    }

    /// After any input: move every machine's packets to the wire, act on every event,
    /// until the session is quiet; then re-arm its timer.
    fn drive(&mut self, now: u64, index: u32, dp: &mut DataPlane) {
        for _round in 0..64 {
            let mut busy = false;
            let mut frames: Vec<(PppProtocol, Vec<u8>)> = Vec::new();
            let mut lcp_events = Vec::new();
            let mut lcp_side = Vec::new();
            let mut auth_events = Vec::new();
            let mut ipcp_events = Vec::new();
            let mut ipcp_side = Vec::new();
            {
                let Some(s) = self.session_mut(index) else { return };
                while let Some(p) = s.lcp.poll_transmit() {
                    frames.push((PppProtocol::LCP, crate::ppp::control_bytes(&p)));
                }
                while let Some(e) = s.lcp.poll_event() {
                    lcp_events.push(e);
                }
                while let Some(e) = s.lcp.protocol_mut().poll_event() {
                    lcp_side.push(e);
                }
                match &mut s.auth {
                    Auth::Pap(m) => {
                        while let Some(p) = m.poll_transmit() {
                            frames.push((PppProtocol::PAP, p));
                        }
                        while let Some(e) = m.poll_event() {
                            auth_events.push(e);
                        }
                    }
                    Auth::Chap(m) => {
                        while let Some(p) = m.poll_transmit() {
                            frames.push((PppProtocol::CHAP, p));
                        }
                        while let Some(e) = m.poll_event() {
                            auth_events.push(e);
                        }
                    }
                    Auth::None => {}
                }
                if let Some(f) = s.ipcp.as_mut() {
                    while let Some(p) = f.poll_transmit() {
                        frames.push((PppProtocol::IPCP, crate::ppp::control_bytes(&p)));
                    }
                    while let Some(e) = f.poll_event() {
                        ipcp_events.push(e);
                    }
                    while let Some(e) = f.protocol_mut().poll_event() {
                        ipcp_side.push(e);
                    }
                }
            }
            for (proto, packet) in frames {
                busy = true;
                self.send_ppp(index, proto, &packet, dp);
            }
            for e in lcp_side {
                busy = true;
                self.on_lcp_side(now, index, e);
            }
            for e in lcp_events {
                busy = true;
                if self.on_lcp(now, index, e, dp) {
                    return;
                }
            }
            for e in auth_events {
                busy = true;
                self.on_auth(now, index, e, dp);
            }
            for e in ipcp_side {
                busy = true;
                self.on_ipcp_side(now, index, e);
            }
            for e in ipcp_events {
                busy = true;
                self.on_ipcp(now, index, e, dp);
            }
            if !busy {
                break;
            }
        }
        self.arm(index);
    }

    fn arm(&mut self, index: u32) {
        let Some(s) = self.session_mut(index) else { return };
        let mut t = s.lcp.poll_timeout();
        let mut consider = |x: Option<u64>| {
            if let Some(x) = x {
                t = Some(t.map_or(x, |y: u64| y.min(x)));
            }
        };
        consider(s.echo.as_ref().and_then(|e| e.poll_timeout()));
        match &s.auth {
            Auth::Pap(m) => consider(m.poll_timeout()),
            Auth::Chap(m) => consider(m.poll_timeout()),
            Auth::None => {}
        }
        consider(s.ipcp.as_ref().and_then(|f| f.poll_timeout()));
        if t != s.armed {
            s.armed = t;
            if let Some(d) = t {
                let g = s.generation;
                self.timers.push(Reverse((d, index, g)));
            }
        }
        // Entries whose deadline moved stay queued until they come due; keep them from
        // outnumbering the sessions.
        if self.timers.len() > 2 * self.by_key.len() + 1024 {
            let sessions = &self.sessions;
            let live = |&Reverse((d, i, g)): &Reverse<(u64, u32, u32)>| {
                sessions.get(i as usize).and_then(|s| s.as_deref()).is_some_and(|s| s.generation == g && s.armed == Some(d))
            };
            let kept: Vec<_> = self.timers.drain().filter(live).collect();
            self.timers = BinaryHeap::from(kept);
        }
    }

    /// A PPP packet to the subscriber, framed with the session's downstream template
    /// (the data plane holds it: Ethernet, tags, PPPoE; the protocol and LENGTH patched).
    fn send_ppp(&mut self, index: u32, proto: PppProtocol, packet: &[u8], dp: &DataPlane) {
        let Some(s) = self.sessions.get(index as usize).and_then(|s| s.as_deref()) else { return };
        let Some(t) = dp.sessions.table().template(index) else { return };
        let mut f = Vec::with_capacity((t.len() + packet.len()).max(MIN_FRAME));
        frame_control(&t, proto, packet, GreNumbers::default(), &mut f);
        if f.len() < MIN_FRAME {
            f.resize(MIN_FRAME, 0);
        }
        self.tx.push_back((s.key.port, f));
    }

    fn on_lcp_side(&mut self, now: u64, index: u32, e: LcpEvent) {
        let Some(s) = self.session_mut(index) else { return };
        if let LcpEvent::ProtocolRejected { protocol } = &e {
            if *protocol == PppProtocol::IPCP {
                if let Some(f) = s.ipcp.as_mut() {
                    f.protocol_reject(now, true);
                }
            }
        }
        if let Some(reason) = e.close_reason() {
            s.ending.get_or_insert((reason.into(), TerminateCause::NAS_ERROR));
            s.phase = Phase::Terminate;
            s.lcp.close(now, reason.as_bytes());
        }
    }

    /// Returns true when the session is gone.
    fn on_lcp(&mut self, now: u64, index: u32, e: fsm::Event, dp: &mut DataPlane) -> bool {
        match e {
            fsm::Event::ThisLayerUp => {
                let Some(s) = self.session_mut(index) else { return true };
                let Some(n) = s.lcp.protocol().negotiated() else { return false };
                s.lcp.set_peer_mru(n.peer_mru);
                if let Some(e) = s.echo.as_mut() {
                    e.start(now);
                }
                let magic = n.our_magic.unwrap_or(0);
                let mru = n.peer_mru;
                let method = n.authentication;
                s.auth_method = method;
                if s.phase == Phase::Terminate {
                    // Closing already (LCP reopened under a Close in flight): no phases.
                    return false;
                }
                s.phase = Phase::Authenticate;
                let _ = dp.sessions.set_magic(index, magic);
                let _ = dp.sessions.set_mru(index, mru);
                let _ = dp.sessions.set_echo_offload(index, self.config.echo_offload && magic != 0);
                self.start_auth(now, index, method);
            }
            fsm::Event::ThisLayerDown => {
                // LCP left Opened: closing, or renegotiating (a Configure-Request in
                // Opened, RFC 1661 §4.3 RCR). Either way the phases above it end (§3.2:
                // back to Link Establishment); if LCP opens again, authentication and
                // IPCP run again from the start.
                self.link_down(now, index, dp);
            }
            fsm::Event::ThisLayerFinished => {
                self.finish(now, index, true, dp);
                return true;
            }
            fsm::Event::TerminateRequested { data } => {
                let Some(s) = self.session_mut(index) else { return true };
                let text = String::from_utf8_lossy(&data).into_owned();
                s.ending.get_or_insert((format!("Terminate-Request from the subscriber: {text:?}"), TerminateCause::USER_REQUEST));
                s.phase = Phase::Terminate;
            }
            fsm::Event::ThisLayerStarted | fsm::Event::Discarded { .. } => {}
        }
        false
    }

    /// Authentication and the network layer end with the link: the address, its route
    /// and the data plane's IPv4 go; the session stays, its LCP renegotiating or closing.
    fn link_down(&mut self, now: u64, index: u32, dp: &mut DataPlane) {
        let Some(s) = self.sessions.get_mut(index as usize).and_then(|s| s.as_deref_mut()) else { return };
        if let Some(e) = s.echo.as_mut() {
            e.stop();
        }
        if s.aaa_pending {
            self.aaa.cancel((s.generation as u64) << 32 | index as u64);
            s.aaa_pending = false;
        }
        s.auth = Auth::None;
        if let Some(mut f) = s.ipcp.take() {
            f.down(now);
        }
        let _ = dp.sessions.set_echo_offload(index, false);
        let _ = dp.sessions.close_ipv4(index);
        if let Some(addr) = s.address.take() {
            if s.routed {
                let _ = dp.routes.remove(u32::from(addr), 32, &[crate::routes::RouteSource::Subscriber]);
                s.routed = false;
            }
            let _ = self.pools.release(addr);
        }
        if s.up_ms.take().is_some() {
            // It was up: it counts as negotiating again.
            self.pending += 1;
        }
        if s.phase != Phase::Terminate {
            s.phase = Phase::Establish;
        }
    }

    fn start_auth(&mut self, now: u64, index: u32, method: Option<Method>) {
        let name = self.config.ac_name.clone();
        let random = &mut self.random;
        let Some(s) = self.sessions.get_mut(index as usize).and_then(|s| s.as_deref_mut()) else { return };
        s.auth = match method {
            Some(Method::Pap) => match PapServer::new(now, PapConfig::default()) {
                Ok(m) => Auth::Pap(Box::new(m)),
                Err(_) => Auth::None,
            },
            Some(Method::ChapMd5) => {
                let first = random.u64() as u8;
                match ChapServer::new(now, ChapConfig::new(name.into_bytes()), first, &mut || random.block()) {
                    Ok(m) => Auth::Chap(Box::new(m)),
                    Err(_) => Auth::None,
                }
            }
            // LCP never opens without an agreed method the server allows (lcp.rs), so
            // this is a link we cannot serve.
            _ => Auth::None,
        };
        if matches!(s.auth, Auth::None) {
            s.ending.get_or_insert(("no authentication method agreed".into(), TerminateCause::NAS_ERROR));
            s.phase = Phase::Terminate;
            s.lcp.close(now, b"Authentication required");
        }
    }

    fn on_auth(&mut self, now: u64, index: u32, e: AuthEvent, dp: &mut DataPlane) {
        match e {
            AuthEvent::Verify { username, credentials } => {
                let Some(s) = self.session_mut(index) else { return };
                s.username = Some(username.clone());
                let handle = (s.generation as u64) << 32 | index as u64;
                let nas = NasInfo {
                    port: s.key.port,
                    mac: s.key.mac,
                    outer_vlan: s.key.outer_vlan,
                    inner_vlan: s.key.inner_vlan,
                    pppoe_session_id: Some(s.key.session_id),
                };
                s.aaa_pending = true;
                if let Err(e) = self.aaa.submit(now, AuthRequest { handle, username, credentials, nas }) {
                    self.log_line(format!("session {index}: AAA refused the request: {e:?}"));
                    let s = self.session_mut(index).expect("exists");
                    s.aaa_pending = false;
                    s.ending.get_or_insert(("AAA unavailable".into(), TerminateCause::NAS_ERROR));
                    s.phase = Phase::Terminate;
                    s.lcp.close(now, b"Authentication unavailable");
                }
            }
            AuthEvent::Success { username, attributes } => {
                self.stats.auth_accepted += 1;
                let Some(s) = self.session_mut(index) else { return };
                s.username = Some(username);
                s.attributes = Some(Box::new(attributes));
                self.start_network(now, index, dp);
            }
            AuthEvent::Failure { username, reason } => {
                self.stats.auth_rejected += 1;
                let line = format!(
                    "session {index}: user {:?} refused ({}): {}",
                    String::from_utf8_lossy(&username),
                    reason.kind.name(),
                    reason.message
                );
                self.log_line(line);
                let Some(s) = self.session_mut(index) else { return };
                s.username = Some(username);
                s.ending.get_or_insert(("authentication failed".into(), TerminateCause::USER_ERROR));
                s.phase = Phase::Terminate;
                s.lcp.close(now, b"Authentication failed");
            }
            AuthEvent::Failed { reason } => {
                let Some(s) = self.session_mut(index) else { return };
                s.ending.get_or_insert((format!("authentication {reason}"), TerminateCause::USER_ERROR));
                s.phase = Phase::Terminate;
                s.lcp.close(now, b"Authentication timed out");
            }
            AuthEvent::Discarded { .. } => {}
        }
    }

    /// Authenticated: an address from AAA (static) or a pool, then IPCP.
    fn start_network(&mut self, now: u64, index: u32, dp: &mut DataPlane) {
        let default_pool = self.config.default_pool.clone();
        let Some(s) = self.sessions.get_mut(index as usize).and_then(|s| s.as_deref_mut()) else { return };
        // Used here and gone: the rate limits the users file grants have no enforcer yet
        // (the QoS work will keep what it needs).
        let attributes = s.attributes.take().map(|a| *a).unwrap_or_default();
        let wanted = attributes.framed_ip;
        let pool = attributes.pool.clone().unwrap_or(default_pool);
        let user = user_string(&s.username);
        let dns = attributes.dns;
        let got = match wanted {
            Some(ip) => self.pools.reserve(ip).map(|_| ip).map_err(|e| e.to_string()),
            None => self.pools.allocate_from(&pool).map_err(|e| e.to_string()),
        };
        let address = match got {
            Ok(a) => a,
            Err(e) => {
                if wanted.is_none() {
                    self.stats.pool_exhausted += 1;
                }
                self.log_line(format!("session {index}: user {user}: no address: {e}"));
                let s = self.session_mut(index).expect("exists");
                s.ending.get_or_insert((format!("no address: {e}"), TerminateCause::NAS_ERROR));
                s.phase = Phase::Terminate;
                s.lcp.close(now, b"No address available");
                return;
            }
        };
        let mut ic = IpcpServerConfig::new(self.config.gateway);
        ic.primary_dns = dns[0].or(self.config.dns.first().copied());
        ic.secondary_dns = dns[1].or(self.config.dns.get(1).copied());
        let first = self.random.u64() as u8;
        let s = self.session_mut(index).expect("exists");
        s.address = Some(address);
        match Ipcp::server(ic, address) {
            Ok(ipcp) => {
                let mut f = Fsm::new(ipcp, FsmConfig::default(), first).expect("default FSM config is valid");
                f.up(now);
                f.open(now);
                s.ipcp = Some(f);
                s.phase = Phase::Network;
            }
            Err(e) => {
                s.ending.get_or_insert((format!("IPCP: {e}"), TerminateCause::NAS_ERROR));
                s.phase = Phase::Terminate;
                s.lcp.close(now, b"No address available");
            }
        }
        let _ = dp;
    }

    fn on_ipcp_side(&mut self, now: u64, index: u32, e: IpcpEvent) {
        let Some(s) = self.session_mut(index) else { return };
        if let Some(reason) = e.close_reason() {
            s.ending.get_or_insert((reason.into(), TerminateCause::NAS_ERROR));
            s.phase = Phase::Terminate;
            s.lcp.close(now, reason.as_bytes());
        }
    }

    fn on_ipcp(&mut self, now: u64, index: u32, e: fsm::Event, dp: &mut DataPlane) {
        match e {
            fsm::Event::ThisLayerUp => {
                let mss = self.config.mss_clamp.unwrap_or(0);
                let Some(s) = self.sessions.get(index as usize).and_then(|s| s.as_deref()) else { return };
                let Some(addr) = s.address else { return };
                let ok = dp.sessions.open_ipv4(index, u32::from(addr), mss).is_ok();
                let routed = ok && dp.routes.add_session(u32::from(addr), 32, index).is_ok();
                if !routed {
                    self.stats.table_errors += 1;
                    self.log_line(format!("session {index}: cannot route {addr} to the session (table full?)"));
                    let s = self.session_mut(index).expect("exists");
                    s.ending.get_or_insert(("cannot route the address".into(), TerminateCause::NAS_ERROR));
                    s.phase = Phase::Terminate;
                    s.lcp.close(now, b"System error");
                    return;
                }
                let line = {
                    let s = self.session_mut(index).expect("exists");
                    s.routed = true;
                    s.phase = Phase::Up;
                    // The peer starts IPCP only after it has seen our Success/Ack
                    // (RFC 1661 §3.5), so no retransmission needs the authenticator now.
                    s.auth = Auth::None;
                    s.up_ms = Some(now);
                    format!(
                        "session {index}: user {} up: {addr}, mac {}, vlans {:?}/{:?}, pppoe id {:#06x}, {} ms to set up",
                        user_string(&s.username),
                        EthernetAddress(s.key.mac),
                        s.key.outer_vlan,
                        s.key.inner_vlan,
                        s.key.session_id,
                        now - s.started_ms
                    )
                };
                self.pending = self.pending.saturating_sub(1);
                self.stats.sessions_up += 1;
                self.log_line(line);
                self.accounting(now, index, AcctStatus::Start, dp);
            }
            fsm::Event::ThisLayerDown => {
                let Some(s) = self.session_mut(index) else { return };
                if let Some(addr) = s.address {
                    let _ = dp.sessions.close_ipv4(index);
                    if s.routed {
                        let _ = dp.routes.remove(u32::from(addr), 32, &[crate::routes::RouteSource::Subscriber]);
                        s.routed = false;
                    }
                }
            }
            fsm::Event::ThisLayerFinished => {
                // IPCP gave up (refused address, peer silent): without a network layer
                // the session serves nothing.
                let Some(s) = self.session_mut(index) else { return };
                if s.phase != Phase::Terminate {
                    s.ending.get_or_insert(("IPCP finished".into(), TerminateCause::NAS_ERROR));
                    s.phase = Phase::Terminate;
                    s.lcp.close(now, b"IPCP failed");
                }
            }
            _ => {}
        }
    }

    fn accounting(&mut self, now: u64, index: u32, status: AcctStatus, dp: &DataPlane) {
        let Some(s) = self.sessions.get(index as usize).and_then(|s| s.as_deref()) else { return };
        let t = dp.sessions.table().traffic(index);
        let record = AccountingRecord {
            handle: (s.generation as u64) << 32 | index as u64,
            status,
            username: s.username.clone().unwrap_or_default(),
            framed_ip: s.address,
            nas: NasInfo {
                port: s.key.port,
                mac: s.key.mac,
                outer_vlan: s.key.outer_vlan,
                inner_vlan: s.key.inner_vlan,
                pppoe_session_id: Some(s.key.session_id),
            },
            session_time_s: s.up_ms.map_or(0, |u| (now.saturating_sub(u) / 1000) as u32),
            counters: AcctCounters {
                input_octets: t.rx_bytes,
                output_octets: t.tx_bytes,
                input_packets: t.rx_packets,
                output_packets: t.tx_packets,
            },
        };
        self.aaa.accounting(now, record);
    }

    /// The session is over: PADT (unless the subscriber sent one), and everything it held
    /// goes back.
    fn finish(&mut self, now: u64, index: u32, send_padt: bool, dp: &mut DataPlane) {
        let was_up = self.sessions.get(index as usize).and_then(|s| s.as_deref()).is_some_and(|s| s.up_ms.is_some());
        if was_up {
            let cause = self
                .sessions
                .get(index as usize)
                .and_then(|s| s.as_deref())
                .and_then(|s| s.ending.as_ref().map(|e| e.1))
                .unwrap_or(TerminateCause::NAS_REQUEST);
            self.accounting(now, index, AcctStatus::Stop(cause), dp);
        }
        let Some(s) = self.sessions.get_mut(index as usize).and_then(|s| s.take()) else { return };
        if s.aaa_pending {
            self.aaa.cancel((s.generation as u64) << 32 | index as u64);
        }
        if s.routed {
            if let Some(addr) = s.address {
                let _ = dp.routes.remove(u32::from(addr), 32, &[crate::routes::RouteSource::Subscriber]);
            }
        }
        if let Some(addr) = s.address {
            let _ = self.pools.release(addr);
        }
        let _ = dp.sessions.remove(index);
        self.by_key.remove(&s.key);
        if send_padt {
            self.discovery.terminate(&s.key, None);
        } else {
            // The subscriber's PADT already released the id in the discovery machine.
        }
        if s.up_ms.is_none() {
            self.pending = self.pending.saturating_sub(1);
        }
        self.stats.sessions_ended += 1;
        let (why, _) = s.ending.clone().unwrap_or_else(|| ("link terminated".into(), TerminateCause::NAS_REQUEST));
        self.log_line(format!(
            "session {index}: user {} down after {} ms ({}): {why}",
            user_string(&s.username),
            now.saturating_sub(s.started_ms),
            s.phase.name()
        ));
    }
}

fn which_string(w: &Which) -> String {
    match w {
        Which::Index(i) => i.to_string(),
        Which::User(u) => format!("for user {u:?}"),
    }
}
