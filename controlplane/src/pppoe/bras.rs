//! The PPPoE carrier of the access concentrator (RFC 2516): discovery, and the mapping of
//! PPPoE sessions onto subscriber sessions. PPP itself is not here: it is the subscriber
//! manager's ([`crate::subscribers`]), which runs one PPP link per session whatever its
//! carrier.
//!
//! - A PADS granted by the discovery machine ([`DiscoveryServer`]) becomes a subscriber
//!   session: this carrier builds the data-plane parameters (the downstream template:
//!   Ethernet to the subscriber, its VLAN tags, the PPPoE session header; the PPPoE index
//!   key: port, VLANs, MAC, session id) and hands them to [`SubscriberManager::start`] with
//!   the link profile `[pppoe] ppp = "…"` names and what PPPoE permits
//!   ([`CarrierLimits::pppoe`]: MRU 1492 or the RFC 4638 PPP-Max-Payload; no ACCM, ACFC or
//!   PFC, RFC 2516 §7).
//! - The subscriber's PADT ends the session at once ([`SubscriberManager::lower_down`]:
//!   no LCP Terminate exchange on a session the peer has left).
//! - When the manager ends a session (authentication failed, keepalive lost, timeouts, an
//!   operator's disconnect), [`Bras::session_ended`] sends the PADT (§5.5) and frees the
//!   session id.
//!
//! PPP control frames do not pass through here: the workers punt them with the session's
//! index, and the driver hands their PPP payload straight to the manager (after
//! [`Bras::accept_punt`] has checked the frame belongs to the session the index names).

use std::collections::{HashMap, VecDeque};

use dataplane::session::PppoeSessionParams;
use dataplane::wire::ethernet::{parse_l2, EtherType, EthernetAddress, L2Header};
use dataplane::wire::ppp::{parse_header, PppProtocol};
use dataplane::wire::pppoe::{PppoePacket, HEADER_LEN as PPPOE_HEADER_LEN};

use crate::aaa::TerminateCause;
use crate::config::PppoeConfig;
use crate::ppp::lcp::PPPOE_MAX_MRU;
use crate::ppp::link::CarrierLimits;
use crate::pppoe::discovery::{
    AccessPort, DiscoveryServer, RateLimit, ServerConfig as DiscoveryConfig, ServerEvent as DiscoveryEvent,
    SessionKey, Vlans,
};
use crate::random::Random;
use crate::subscribers::{CarrierRef, DataPlane, Ended, ProfileId, Publish, StartError, SubscriberManager};

/// Counters of the PPPoE carrier, for metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PppoeStats {
    pub padt_received: u64,
    /// Punted frames that did not match the session they named, or were malformed.
    pub frames_dropped: u64,
    /// PADS granted but the session could not start (busy, table full).
    pub refused: u64,
}

pub struct Bras {
    config: PppoeConfig,
    profile: ProfileId,
    discovery: DiscoveryServer,
    by_key: HashMap<SessionKey, u32>,
    ports: HashMap<u16, [u8; 6]>,
    log: VecDeque<String>,
    stats: PppoeStats,
}

impl Bras {
    /// `ports`: the access ports (id, our MAC, MTU). `profile`: the link profile sessions
    /// run. `random`: for the AC-Cookie key.
    pub fn new(
        config: PppoeConfig,
        profile: ProfileId,
        ports: &[(u16, [u8; 6], u16)],
        max_sessions: usize,
        random: &mut Random,
    ) -> Result<Bras, String> {
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
            profile,
            discovery,
            by_key: HashMap::new(),
            ports: macs,
            log: VecDeque::new(),
            stats: PppoeStats::default(),
        })
    }

    pub fn stats(&self) -> PppoeStats {
        self.stats
    }

    pub fn config(&self) -> &PppoeConfig {
        &self.config
    }

    pub fn discovery(&self) -> &DiscoveryServer {
        &self.discovery
    }

    /// PPPoE sessions that exist.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// A discovery frame to send: (port, Ethernet frame).
    pub fn poll_transmit(&mut self) -> Option<(u16, Vec<u8>)> {
        self.discovery.poll_transmit()
    }

    pub fn poll_log(&mut self) -> Option<String> {
        self.log.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<u64> {
        self.discovery.poll_timeout()
    }

    /// A PPPoE discovery frame received on `port`.
    pub fn handle_discovery(
        &mut self,
        now: u64,
        port: u16,
        frame: &[u8],
        subs: &mut SubscriberManager,
        dp: &mut DataPlane,
    ) {
        self.discovery.handle_frame(now, port, frame);
        self.discovery_events(now, subs, dp);
    }

    /// Discovery timers; call every loop iteration.
    pub fn poll(&mut self, now: u64, subs: &mut SubscriberManager, dp: &mut DataPlane) {
        self.discovery.handle_timeout(now);
        self.discovery_events(now, subs, dp);
    }

    /// The PPP protocol and payload of a punted session frame, if it belongs to the PPPoE
    /// session `key` (a slot reused while the frame waited in the ring is not confused with
    /// its previous owner). The subscriber talks PPP on the session: a late PADR from it is
    /// a new request from now on, not a retransmission of the one that made this session.
    pub fn accept_punt<'f>(&mut self, key: &SessionKey, frame: &'f [u8]) -> Option<(PppProtocol, &'f [u8])> {
        let r = session_payload(key, frame);
        match r {
            Some(_) => {
                self.discovery.confirm(key);
            }
            None => self.stats.frames_dropped += 1,
        }
        r
    }

    /// The manager ended a PPPoE session: PADT (unless the subscriber ended it) and forget.
    pub fn session_ended(&mut self, e: &Ended) {
        let CarrierRef::Pppoe(key) = e.carrier;
        if self.by_key.get(&key) != Some(&e.index) {
            return;
        }
        self.by_key.remove(&key);
        if e.notify_peer {
            self.discovery.terminate(&key, None);
        }
    }

    fn log_line(&mut self, line: String) {
        if self.log.len() < 10_000 {
            self.log.push_back(line);
        }
    }

    fn discovery_events(&mut self, now: u64, subs: &mut SubscriberManager, dp: &mut DataPlane) {
        while let Some(ev) = self.discovery.poll_event() {
            match ev {
                DiscoveryEvent::SessionRequested { key, vlans, max_payload, .. } => {
                    self.start_session(now, key, vlans, max_payload, subs, dp)
                }
                DiscoveryEvent::SessionTerminated { key, .. } => {
                    self.stats.padt_received += 1;
                    if let Some(index) = self.by_key.remove(&key) {
                        // The subscriber is gone: no Terminate-Request, no PADT back (the
                        // discovery machine already freed the id).
                        subs.lower_down(now, index, "PADT from the subscriber", TerminateCause::USER_REQUEST, dp);
                    }
                }
            }
        }
    }

    /// `max_payload`: the RFC 4638 PPP-Max-Payload the PADS agreed to, if any (then LCP
    /// may ask and accept an MRU up to it, RFC 4638 §5).
    fn start_session(
        &mut self,
        now: u64,
        key: SessionKey,
        vlans: Vlans,
        max_payload: Option<u16>,
        subs: &mut SubscriberManager,
        dp: &mut DataPlane,
    ) {
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
        let params = match PppoeSessionParams::new(key.port, port_mac, &l2, key.session_id) {
            Ok(p) => p,
            Err(e) => {
                self.log_line(format!("session {key}: {e}"));
                self.discovery.terminate(&key, Some("AC-System-Error"));
                return;
            }
        };
        let max_mru = max_payload.filter(|&m| m > PPPOE_MAX_MRU).unwrap_or(PPPOE_MAX_MRU);
        let limits = CarrierLimits::pppoe(max_mru);
        match subs.start(now, CarrierRef::Pppoe(key), Publish::Pppoe(&params), self.profile, limits, dp) {
            Ok((index, _)) => {
                self.by_key.insert(key, index);
            }
            Err(e) => {
                self.stats.refused += 1;
                self.log_line(format!("session {key}: refused: {e}"));
                let text = match e {
                    StartError::Busy => "busy: too many sessions negotiating",
                    StartError::Table(_) => "AC-System-Error: session table full",
                    StartError::Link(_) => "AC-System-Error",
                };
                self.discovery.terminate(&key, Some(text));
            }
        }
    }
}

/// The PPP protocol and payload of a PPPoE session frame of session `key`.
fn session_payload<'f>(key: &SessionKey, frame: &'f [u8]) -> Option<(PppProtocol, &'f [u8])> {
    let l2 = parse_l2(frame).ok()?;
    let (outer, inner) = (l2.outer_vlan.map(|t| t.vid), l2.inner_vlan.map(|t| t.vid));
    if l2.ethertype != EtherType::PPPOE_SESSION || l2.src.0 != key.mac || (outer, inner) != (key.outer_vlan, key.inner_vlan) {
        return None;
    }
    let p = PppoePacket::new_checked(frame.get(l2.header_len..)?).ok()?;
    if !p.is_session() || p.session_id() != key.session_id {
        return None;
    }
    let ppp_at = l2.header_len + PPPOE_HEADER_LEN;
    let ppp = frame.get(ppp_at..ppp_at + p.len() as usize)?;
    let (proto, hl) = parse_header(ppp).ok()?;
    Some((proto, &ppp[hl..]))
}
