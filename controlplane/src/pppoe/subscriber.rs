//! A PPPoE subscriber: the client role of every machine, composed as a CPE composes
//! them (RFC 2516 discovery, then RFC 1661 §3 phases: LCP, PAP or CHAP as the AC asks,
//! IPCP). The subscriber emulator and load generator in `perf/` run many of these; the
//! session tests run them against the access concentrator.
//!
//! Sans-IO: whole Ethernet frames in and out, `now` in milliseconds. IPv4 over the session
//! is the caller's: [`Subscriber::encapsulate`] frames a datagram, and
//! [`Subscriber::handle_frame`] hands back where a received datagram starts.

use std::collections::VecDeque;
use std::net::Ipv4Addr;

use dataplane::wire::ethernet::{emit_l2, parse_l2, EtherType, EthernetAddress, L2Header};
use dataplane::wire::ppp::{parse_header, ControlPacket, PppProtocol};
use dataplane::wire::pppoe::{emit_session_header, PppoePacket, HEADER_LEN as PPPOE_HEADER_LEN};

use crate::aaa::Method;
use crate::ppp::chap::{ChapClient, ClientConfig as ChapClientConfig};
use crate::ppp::fsm::{self, Fsm, FsmConfig};
use crate::ppp::ipcp::{Ipcp, IpcpClientConfig};
use crate::ppp::lcp::{Echo, EchoConfig, Lcp, LcpConfig};
use crate::ppp::pap::{ClientConfig as PapClientConfig, ClientEvent as AuthEvent, PapClient};
use crate::pppoe::discovery::{ClientConfig as DiscoveryConfig, ClientEvent as DiscoveryEvent, DiscoveryClient, Mac};

const MIN_FRAME: usize = 60;

/// How one emulated subscriber dials.
#[derive(Clone, Debug)]
pub struct SubscriberConfig {
    pub discovery: DiscoveryConfig,
    pub username: Vec<u8>,
    pub password: Vec<u8>,
    /// Methods we accept when the AC asks (LCP Authentication-Protocol).
    pub methods: Vec<Method>,
    /// LCP Echo keepalive towards the AC; None: none.
    pub echo: Option<EchoConfig>,
    /// Seeds magic numbers and identifiers.
    pub seed: u64,
}

impl SubscriberConfig {
    pub fn new(port: u16, mac: Mac, username: &str, password: &str) -> SubscriberConfig {
        SubscriberConfig {
            discovery: DiscoveryConfig::new(port, mac),
            username: username.as_bytes().to_vec(),
            password: password.as_bytes().to_vec(),
            methods: vec![Method::ChapMd5, Method::Pap],
            echo: None,
            seed: u64::from_be_bytes([0, 0, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]]) | 1,
        }
    }
}

/// Where the subscriber is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubscriberPhase {
    Discovery,
    Lcp,
    Authenticate,
    Ipcp,
    Up,
    /// Hanging up or hung up; see [`SubscriberEvent::Down`].
    Down,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubscriberEvent {
    /// IPCP opened: the address and DNS servers the AC gave.
    Up { address: Ipv4Addr, dns: [Option<Ipv4Addr>; 2], session_id: u16 },
    /// The session ended (PADT either way, or a phase failed), with why.
    Down { reason: String },
}

enum Auth {
    None,
    Pap(PapClient),
    Chap(ChapClient),
}

pub struct Subscriber {
    config: SubscriberConfig,
    discovery: DiscoveryClient,
    session_id: Option<u16>,
    ac_mac: Option<Mac>,
    lcp: Option<Fsm<Lcp>>,
    echo: Option<Echo>,
    auth: Auth,
    ipcp: Option<Fsm<Ipcp>>,
    address: Option<Ipv4Addr>,
    phase: SubscriberPhase,
    tx: VecDeque<Vec<u8>>,
    events: VecDeque<SubscriberEvent>,
    seed: u64,
    /// Frames that were not ours or were malformed.
    pub dropped: u64,
}

impl Subscriber {
    pub fn new(config: SubscriberConfig) -> Subscriber {
        let discovery = DiscoveryClient::new(config.discovery.clone());
        let seed = config.seed;
        Subscriber {
            config,
            discovery,
            session_id: None,
            ac_mac: None,
            lcp: None,
            echo: None,
            auth: Auth::None,
            ipcp: None,
            address: None,
            phase: SubscriberPhase::Discovery,
            tx: VecDeque::new(),
            events: VecDeque::new(),
            seed,
            dropped: 0,
        }
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64*: identifiers and magic numbers need variety, not secrecy.
        self.seed ^= self.seed >> 12;
        self.seed ^= self.seed << 25;
        self.seed ^= self.seed >> 27;
        self.seed.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn phase(&self) -> SubscriberPhase {
        self.phase
    }

    pub fn address(&self) -> Option<Ipv4Addr> {
        self.address
    }

    pub fn session_id(&self) -> Option<u16> {
        self.session_id
    }

    pub fn mac(&self) -> Mac {
        self.config.discovery.mac
    }

    /// PADI now.
    pub fn start(&mut self, now: u64) {
        self.discovery.start(now);
        self.drive(now);
    }

    /// Hang up: LCP Terminate-Request, then PADT when LCP has finished (or at once
    /// before LCP).
    pub fn hang_up(&mut self, now: u64) {
        match self.lcp.as_mut() {
            Some(l) => l.close(now, b"User request"),
            None => {
                self.discovery.terminate(None);
                self.down("hung up during discovery".into());
            }
        }
        self.drive(now);
    }

    /// Drop the session with a bare PADT, as a CPE that reboots or loses its line does
    /// (no LCP Terminate first).
    pub fn send_padt(&mut self, now: u64) {
        self.discovery.terminate(Some("CPE going away"));
        self.down("sent PADT".into());
        self.drive(now);
    }

    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        if let Some((_, f)) = self.discovery.poll_transmit() {
            return Some(f);
        }
        self.tx.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<SubscriberEvent> {
        self.events.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<u64> {
        let mut t = self.discovery.poll_timeout();
        let mut consider = |x: Option<u64>| {
            if let Some(x) = x {
                t = Some(t.map_or(x, |y: u64| y.min(x)));
            }
        };
        consider(self.lcp.as_ref().and_then(|l| l.poll_timeout()));
        consider(self.echo.as_ref().and_then(|e| e.poll_timeout()));
        match &self.auth {
            Auth::Pap(m) => consider(m.poll_timeout()),
            Auth::Chap(m) => consider(m.poll_timeout()),
            Auth::None => {}
        }
        consider(self.ipcp.as_ref().and_then(|f| f.poll_timeout()));
        t
    }

    pub fn handle_timeout(&mut self, now: u64) {
        let due = |t: Option<u64>| t.is_some_and(|t| t <= now);
        if due(self.discovery.poll_timeout()) {
            self.discovery.handle_timeout(now);
        }
        if let Some(l) = self.lcp.as_mut() {
            if due(l.poll_timeout()) {
                l.handle_timeout(now);
            }
            if let Some(e) = self.echo.as_mut() {
                if due(e.poll_timeout()) {
                    if let Some(failed) = e.handle_timeout(now, l) {
                        l.close(now, failed.close_reason().as_bytes());
                    }
                }
            }
        }
        match &mut self.auth {
            Auth::Pap(m) if due(m.poll_timeout()) => m.handle_timeout(now),
            Auth::Chap(m) if due(m.poll_timeout()) => m.handle_timeout(now),
            _ => {}
        }
        if let Some(f) = self.ipcp.as_mut() {
            if due(f.poll_timeout()) {
                f.handle_timeout(now);
            }
        }
        self.drive(now);
    }

    /// A frame from the access link. Returns where an IPv4 datagram for us starts in
    /// `frame` (it runs to the PPPoE LENGTH: `frame[at..end]`), for the caller to deliver.
    pub fn handle_frame(&mut self, now: u64, frame: &[u8]) -> Option<(usize, usize)> {
        let Ok(l2) = parse_l2(frame) else {
            self.dropped += 1;
            return None;
        };
        if l2.dst.0 != self.config.discovery.mac && !l2.dst.is_broadcast() {
            return None;
        }
        if l2.ethertype == EtherType::PPPOE_DISCOVERY {
            self.discovery.handle_frame(now, self.config.discovery.port, frame);
            self.drive(now);
            return None;
        }
        if l2.ethertype != EtherType::PPPOE_SESSION || Some(l2.src.0) != self.ac_mac {
            self.dropped += 1;
            return None;
        }
        let Some(p) = frame.get(l2.header_len..).and_then(|b| PppoePacket::new_checked(b).ok()) else {
            self.dropped += 1;
            return None;
        };
        if !p.is_session() || Some(p.session_id()) != self.session_id {
            self.dropped += 1;
            return None;
        }
        let ppp_at = l2.header_len + PPPOE_HEADER_LEN;
        let end = ppp_at + p.len() as usize;
        let Ok((proto, hl)) = parse_header(&frame[ppp_at..end]) else {
            self.dropped += 1;
            return None;
        };
        let packet = &frame[ppp_at + hl..end];
        if let Some(e) = self.echo.as_mut() {
            e.traffic_seen(now);
        }
        let control = ControlPacket::new_checked(packet).ok();
        match proto {
            PppProtocol::IPV4 if self.phase == SubscriberPhase::Up => return Some((ppp_at + hl, end)),
            PppProtocol::LCP => {
                if let (Some(l), Some(c)) = (self.lcp.as_mut(), control) {
                    l.handle_packet(now, c.code(), c.identifier(), c.data());
                }
            }
            PppProtocol::PAP => {
                if let Auth::Pap(m) = &mut self.auth {
                    m.handle_packet(now, packet);
                }
            }
            PppProtocol::CHAP => {
                if let Auth::Chap(m) = &mut self.auth {
                    m.handle_packet(now, packet);
                }
            }
            PppProtocol::IPCP => {
                if let (Some(f), Some(c)) = (self.ipcp.as_mut(), control) {
                    f.handle_packet(now, c.code(), c.identifier(), c.data());
                }
            }
            _ => self.dropped += 1,
        }
        self.drive(now);
        None
    }

    /// An IPv4 datagram framed for the session (Ethernet, tags, PPPoE, PPP), or None when
    /// the session is not up.
    pub fn encapsulate(&self, datagram: &[u8]) -> Option<Vec<u8>> {
        if self.phase != SubscriberPhase::Up {
            return None;
        }
        self.frame(PppProtocol::IPV4, datagram)
    }

    fn frame(&self, proto: PppProtocol, packet: &[u8]) -> Option<Vec<u8>> {
        let (sid, ac) = (self.session_id?, self.ac_mac?);
        let d = &self.config.discovery;
        let h = L2Header {
            dst: EthernetAddress(ac),
            src: EthernetAddress(d.mac),
            outer_vlan: d.vlans.outer,
            inner_vlan: d.vlans.inner,
            ethertype: EtherType::PPPOE_SESSION,
            header_len: 0,
        };
        let mut f = vec![0u8; 22 + PPPOE_HEADER_LEN + 2 + packet.len()];
        let n = emit_l2(&h, &mut f).ok()?;
        emit_session_header(&mut f[n..], sid, 2 + packet.len()).ok()?;
        f[n + PPPOE_HEADER_LEN..n + PPPOE_HEADER_LEN + 2].copy_from_slice(&proto.0.to_be_bytes());
        f[n + PPPOE_HEADER_LEN + 2..n + PPPOE_HEADER_LEN + 2 + packet.len()].copy_from_slice(packet);
        f.truncate(n + PPPOE_HEADER_LEN + 2 + packet.len());
        if f.len() < MIN_FRAME {
            f.resize(MIN_FRAME, 0);
        }
        Some(f)
    }

    fn send(&mut self, proto: PppProtocol, packet: &[u8]) {
        if let Some(f) = self.frame(proto, packet) {
            self.tx.push_back(f);
        }
    }

    fn down(&mut self, reason: String) {
        if self.phase != SubscriberPhase::Down {
            self.phase = SubscriberPhase::Down;
            self.address = None;
            self.events.push_back(SubscriberEvent::Down { reason });
        }
    }

    fn drive(&mut self, now: u64) {
        for _ in 0..64 {
            let mut busy = false;
            while let Some(ev) = self.discovery.poll_event() {
                busy = true;
                match ev {
                    DiscoveryEvent::Established { session_id, ac_mac, .. } => {
                        self.session_id = Some(session_id);
                        self.ac_mac = Some(ac_mac);
                        let seed = self.next_random();
                        let first = self.next_random() as u8;
                        let mut lc = LcpConfig::client(self.config.methods.clone());
                        lc.mru = Some(1492);
                        match Lcp::new(lc, seed) {
                            Ok(lcp) => {
                                let mut f = Fsm::new(lcp, FsmConfig::default(), first).expect("default FSM config");
                                f.up(now);
                                f.open(now);
                                self.lcp = Some(f);
                                self.phase = SubscriberPhase::Lcp;
                            }
                            Err(e) => {
                                self.discovery.terminate(None);
                                self.down(format!("LCP: {e}"));
                            }
                        }
                    }
                    DiscoveryEvent::Failed { reason } => self.down(format!("discovery failed: {reason:?}")),
                    DiscoveryEvent::Terminated { generic_error } => {
                        if let Some(l) = self.lcp.as_mut() {
                            l.down(now);
                        }
                        self.down(format!("PADT from the AC{}", generic_error.map(|g| format!(": {g}")).unwrap_or_default()));
                    }
                }
            }
            let mut out: Vec<(PppProtocol, Vec<u8>)> = Vec::new();
            let mut lcp_events = Vec::new();
            let mut ipcp_events = Vec::new();
            let mut auth_events = Vec::new();
            if let Some(l) = self.lcp.as_mut() {
                while let Some(p) = l.poll_transmit() {
                    out.push((PppProtocol::LCP, crate::ppp::control_bytes(&p)));
                }
                while let Some(e) = l.poll_event() {
                    lcp_events.push(e);
                }
                while let Some(e) = l.protocol_mut().poll_event() {
                    if let Some(reason) = e.close_reason() {
                        l.close(now, reason.as_bytes());
                    }
                }
            }
            match &mut self.auth {
                Auth::Pap(m) => {
                    while let Some(p) = m.poll_transmit() {
                        out.push((PppProtocol::PAP, p));
                    }
                    while let Some(e) = m.poll_event() {
                        auth_events.push(e);
                    }
                }
                Auth::Chap(m) => {
                    while let Some(p) = m.poll_transmit() {
                        out.push((PppProtocol::CHAP, p));
                    }
                    while let Some(e) = m.poll_event() {
                        auth_events.push(e);
                    }
                }
                Auth::None => {}
            }
            if let Some(f) = self.ipcp.as_mut() {
                while let Some(p) = f.poll_transmit() {
                    out.push((PppProtocol::IPCP, crate::ppp::control_bytes(&p)));
                }
                while let Some(e) = f.poll_event() {
                    ipcp_events.push(e);
                }
                while f.protocol_mut().poll_event().is_some() {}
            }
            for (proto, p) in out {
                busy = true;
                self.send(proto, &p);
            }
            for e in lcp_events {
                busy = true;
                match e {
                    fsm::Event::ThisLayerUp => self.lcp_up(now),
                    fsm::Event::ThisLayerDown => {
                        // Closing or renegotiating (RFC 1661 §3.2): the phases above
                        // LCP start again if it opens again.
                        self.echo = None;
                        self.auth = Auth::None;
                        self.ipcp = None;
                        self.address = None;
                        if self.phase != SubscriberPhase::Down {
                            self.phase = SubscriberPhase::Lcp;
                        }
                    }
                    fsm::Event::ThisLayerFinished => {
                        self.discovery.terminate(None);
                        self.down("LCP finished".into());
                    }
                    _ => {}
                }
            }
            for e in auth_events {
                busy = true;
                match e {
                    AuthEvent::Success { .. } => self.start_ipcp(now),
                    AuthEvent::Failure { message } => {
                        let m = String::from_utf8_lossy(&message).into_owned();
                        if let Some(l) = self.lcp.as_mut() {
                            l.close(now, b"Authentication failed");
                        }
                        self.events.push_back(SubscriberEvent::Down { reason: format!("authentication failed: {m}") });
                        self.phase = SubscriberPhase::Down;
                    }
                    AuthEvent::Failed { reason } => {
                        if let Some(l) = self.lcp.as_mut() {
                            l.close(now, b"Authentication timed out");
                        }
                        self.down(format!("authentication {reason}"));
                    }
                    AuthEvent::Discarded { .. } => {}
                }
            }
            for e in ipcp_events {
                busy = true;
                if e == fsm::Event::ThisLayerUp {
                    let n = self.ipcp.as_ref().and_then(|f| f.protocol().negotiated());
                    if let Some(n) = n {
                        if let Some(a) = n.local_address {
                            let a: Ipv4Addr = a;
                            self.address = Some(a);
                            self.phase = SubscriberPhase::Up;
                            self.events.push_back(SubscriberEvent::Up {
                                address: a,
                                dns: [n.primary_dns, n.secondary_dns],
                                session_id: self.session_id.unwrap_or(0),
                            });
                        }
                    }
                }
            }
            if !busy {
                break;
            }
        }
    }

    fn lcp_up(&mut self, now: u64) {
        if self.phase == SubscriberPhase::Down {
            return;
        }
        let Some(l) = self.lcp.as_mut() else { return };
        let n = l.protocol().negotiated();
        if let Some(n) = n {
            l.set_peer_mru(n.peer_mru);
        }
        if let Some(ec) = self.config.echo {
            if let Ok(mut e) = Echo::new(ec) {
                e.start(now);
                self.echo = Some(e);
            }
        }
        let user = self.config.username.clone();
        let pass = self.config.password.clone();
        let first = self.next_random() as u8;
        self.auth = match n.and_then(|n| n.authentication) {
            Some(Method::Pap) => PapClient::new(now, PapClientConfig::new(user, pass), first).map(Auth::Pap).unwrap_or(Auth::None),
            Some(Method::ChapMd5) => ChapClient::new(now, ChapClientConfig::new(user, pass)).map(Auth::Chap).unwrap_or(Auth::None),
            _ => Auth::None,
        };
        if matches!(self.auth, Auth::None) {
            self.start_ipcp(now);
        } else {
            self.phase = SubscriberPhase::Authenticate;
        }
    }

    fn start_ipcp(&mut self, now: u64) {
        if self.ipcp.is_some() {
            return;
        }
        let first = self.next_random() as u8;
        let mut f = Fsm::new(Ipcp::client(IpcpClientConfig::default()), FsmConfig::default(), first).expect("default FSM config");
        f.up(now);
        f.open(now);
        self.ipcp = Some(f);
        self.phase = SubscriberPhase::Ipcp;
    }
}
