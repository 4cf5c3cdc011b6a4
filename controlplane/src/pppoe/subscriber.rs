//! A PPPoE subscriber: PPPoE discovery in the client role (RFC 2516 §5) and, once a PADS
//! gives a session, a PPP link in the client role ([`crate::ppp::link::Link`]: LCP, PAP,
//! CHAP-MD5 or MS-CHAPv2 as the AC asks, IPCP), as a CPE composes them. The subscriber
//! emulator and load generator in `perf/` run many of these; the session tests run them
//! against the access concentrator.
//!
//! Sans-IO: whole Ethernet frames in and out, `now` in milliseconds. IPv4 over the session
//! is the caller's: [`Subscriber::encapsulate`] frames a datagram, and
//! [`Subscriber::handle_frame`] hands back where a received datagram starts.

use std::collections::VecDeque;
use std::net::Ipv4Addr;

use dataplane::wire::ethernet::{emit_l2, parse_l2, EtherType, EthernetAddress, L2Header};
use dataplane::wire::ppp::{parse_header, PppProtocol};
use dataplane::wire::pppoe::{emit_session_header, PppoePacket, HEADER_LEN as PPPOE_HEADER_LEN};

use crate::aaa::{Method, TerminateCause};
use crate::ppp::lcp::{EchoConfig, PPPOE_MAX_MRU};
use crate::ppp::link::{CarrierLimits, ClientProfile, Link, LinkEvent, Phase};
use crate::pppoe::discovery::{ClientConfig as DiscoveryConfig, ClientEvent as DiscoveryEvent, DiscoveryClient, Mac};
use crate::random::Random;

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
    /// Seeds magic numbers, identifiers and MS-CHAPv2 peer challenges.
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
    /// LCP's Terminate exchange under way; [`SubscriberEvent::Down`] follows.
    Terminating,
    /// Hung up; see [`SubscriberEvent::Down`].
    Down,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubscriberEvent {
    /// IPCP opened: the address and DNS servers the AC gave.
    Up { address: Ipv4Addr, dns: [Option<Ipv4Addr>; 2], session_id: u16 },
    /// The session ended (PADT either way, or a phase failed), with why.
    Down { reason: String },
}

pub struct Subscriber {
    config: SubscriberConfig,
    discovery: DiscoveryClient,
    session_id: Option<u16>,
    ac_mac: Option<Mac>,
    link: Option<Link>,
    address: Option<Ipv4Addr>,
    /// [`SubscriberEvent::Down`] was reported.
    down: bool,
    /// The PPPoE session is over (PADT sent or received).
    gone: bool,
    tx: VecDeque<Vec<u8>>,
    events: VecDeque<SubscriberEvent>,
    random: Random,
    /// Frames that were not ours or were malformed.
    pub dropped: u64,
}

impl Subscriber {
    pub fn new(config: SubscriberConfig) -> Subscriber {
        let discovery = DiscoveryClient::new(config.discovery.clone());
        let random = Random::from_u64(config.seed);
        Subscriber {
            config,
            discovery,
            session_id: None,
            ac_mac: None,
            link: None,
            address: None,
            down: false,
            gone: false,
            tx: VecDeque::new(),
            events: VecDeque::new(),
            random,
            dropped: 0,
        }
    }

    pub fn phase(&self) -> SubscriberPhase {
        if self.down {
            return SubscriberPhase::Down;
        }
        match self.link.as_ref().map(|l| l.phase()) {
            None => SubscriberPhase::Discovery,
            Some(Phase::Establish) => SubscriberPhase::Lcp,
            Some(Phase::Authenticate) => SubscriberPhase::Authenticate,
            Some(Phase::Network) => SubscriberPhase::Ipcp,
            Some(Phase::Up) => SubscriberPhase::Up,
            Some(Phase::Terminate) => SubscriberPhase::Terminating,
            Some(Phase::Dead) => SubscriberPhase::Down,
        }
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

    /// The PPP link, once discovery gave a session.
    pub fn link(&self) -> Option<&Link> {
        self.link.as_ref()
    }

    /// PADI now.
    pub fn start(&mut self, now: u64) {
        self.discovery.start(now);
        self.drive(now);
    }

    /// Hang up: LCP Terminate-Request, then PADT when LCP has finished (or at once
    /// before LCP).
    pub fn hang_up(&mut self, now: u64) {
        match self.link.as_mut() {
            Some(l) => l.close(now, "User request", TerminateCause::USER_REQUEST),
            None => {
                self.discovery.terminate(None);
                self.gone = true;
                self.down("hung up during discovery".into());
            }
        }
        self.drive(now);
    }

    /// Drop the session with a bare PADT, as a CPE that reboots or loses its line does
    /// (no LCP Terminate first).
    pub fn send_padt(&mut self, now: u64) {
        self.discovery.terminate(Some("CPE going away"));
        self.gone = true;
        if let Some(l) = self.link.as_mut() {
            l.lower_down(now, "sent PADT", TerminateCause::USER_REQUEST);
        }
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
        let a = self.discovery.poll_timeout();
        let b = self.link.as_ref().and_then(|l| l.poll_timeout());
        match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub fn handle_timeout(&mut self, now: u64) {
        if self.discovery.poll_timeout().is_some_and(|t| t <= now) {
            self.discovery.handle_timeout(now);
        }
        if let Some(l) = self.link.as_mut() {
            if l.poll_timeout().is_some_and(|t| t <= now) {
                l.handle_timeout(now);
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
        let Some(link) = self.link.as_mut() else {
            self.dropped += 1;
            return None;
        };
        if proto == PppProtocol::IPV4 {
            if link.phase() == Phase::Up {
                return Some((ppp_at + hl, end));
            }
            self.dropped += 1;
            return None;
        }
        link.handle_packet(now, proto, &frame[ppp_at + hl..end]);
        self.drive(now);
        None
    }

    /// An IPv4 datagram framed for the session (Ethernet, tags, PPPoE, PPP), or None when
    /// the session is not up.
    pub fn encapsulate(&self, datagram: &[u8]) -> Option<Vec<u8>> {
        if self.phase() != SubscriberPhase::Up {
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

    fn down(&mut self, reason: String) {
        if !self.down {
            self.down = true;
            self.address = None;
            self.events.push_back(SubscriberEvent::Down { reason });
        }
    }

    fn drive(&mut self, now: u64) {
        while let Some(ev) = self.discovery.poll_event() {
            match ev {
                DiscoveryEvent::Established { session_id, ac_mac, .. } => {
                    self.session_id = Some(session_id);
                    self.ac_mac = Some(ac_mac);
                    let mut profile = ClientProfile::new(&self.config.username, &self.config.password);
                    profile.methods = self.config.methods.clone();
                    profile.echo = self.config.echo;
                    let profile = std::sync::Arc::new(profile);
                    match Link::client(now, &profile, CarrierLimits::pppoe(PPPOE_MAX_MRU), self.random.fork()) {
                        Ok(l) => self.link = Some(l),
                        Err(e) => {
                            self.discovery.terminate(None);
                            self.gone = true;
                            self.down(format!("PPP: {e}"));
                        }
                    }
                }
                DiscoveryEvent::Failed { reason } => self.down(format!("discovery failed: {reason:?}")),
                DiscoveryEvent::Terminated { generic_error } => {
                    self.gone = true;
                    if let Some(l) = self.link.as_mut() {
                        l.lower_down(now, "PADT from the AC", TerminateCause::LOST_CARRIER);
                    }
                    let padt = format!("PADT from the AC{}", generic_error.map(|g| format!(": {g}")).unwrap_or_default());
                    // Why the link was ending already (a failed authentication) says more.
                    let reason = self.link.as_ref().and_then(|l| l.ending()).map_or(padt, |e| e.1.clone());
                    self.down(reason);
                }
            }
        }
        let Some(link) = self.link.as_mut() else { return };
        let mut out = Vec::new();
        let mut events = Vec::new();
        while let Some(p) = link.poll_transmit() {
            out.push(p);
        }
        while let Some(e) = link.poll_event() {
            events.push(e);
        }
        for (proto, p) in out {
            if let Some(f) = self.frame(proto, &p) {
                self.tx.push_back(f);
            }
        }
        for e in events {
            match e {
                LinkEvent::Up { local, dns, .. } => {
                    self.address = Some(local);
                    self.events.push_back(SubscriberEvent::Up {
                        address: local,
                        dns,
                        session_id: self.session_id.unwrap_or(0),
                    });
                }
                LinkEvent::Down { .. } => self.address = None,
                LinkEvent::Finished { reason, .. } => {
                    // LCP is done: PADT, unless the session is already gone.
                    if !self.gone {
                        self.gone = true;
                        self.discovery.terminate(None);
                    }
                    self.down(reason);
                }
                _ => {}
            }
        }

    }
}
