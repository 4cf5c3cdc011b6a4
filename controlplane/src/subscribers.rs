//! The subscriber manager: the one place that owns what a subscriber session needs beyond
//! its carrier — the PPP link, AAA, address pools, the data-plane session record and the
//! subscriber's route, accounting, timers and randomness.
//!
//! ```text
//! carrier (PPPoE discovery, later L2TP tunnels and PPTP calls, dial-out clients)
//!     │  builds the data-plane parameters (template, index key), hands PPP payloads in,
//!     │  frames nothing itself for PPP: the manager frames with the session's template
//!     ▼
//! SubscriberManager ── one PPP link per session (ppp/link.rs), server role
//!     │  AAA (AaaBackend: users file now, RADIUS next) through an asynchronous seam
//!     │  pools, data-plane session table and FIB routes, accounting hooks
//!     ▼
//! Ended notices back to the carrier (send PADT / CDN / Call-Clear, free its ids)
//! ```
//!
//! A session is named by its data-plane index and generation (the slot's reuse count), so
//! a punt or an AAA answer that outlives its session is recognised and dropped. A carrier
//! starts a session with [`SubscriberManager::start`] once it has agreed with the peer
//! (PADS sent; ICCN received; Outgoing-Call-Reply sent), feeds PPP packets with
//! [`SubscriberManager::handle_ppp`], reports its own end with
//! [`SubscriberManager::lower_down`], and reads [`SubscriberManager::poll_ended`] to do its
//! part when the manager ends a session.
//!
//! Sans-IO like the machines: `now` in milliseconds, frames out through
//! [`SubscriberManager::poll_transmit`], one timer heap. The driver lends it the data plane
//! ([`DataPlane`]) per call: it is the only writer of the session table and of subscriber
//! routes.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::net::Ipv4Addr;
use std::sync::Arc;

use dataplane::session::{PppoeSessionParams, SessionWriter};
use dataplane::wire::ethernet::EthernetAddress;
use dataplane::wire::ppp::PppProtocol;

use crate::aaa::{
    AaaBackend, AccountingRecord, AcctCounters, AcctStatus, AuthOutcome, AuthRequest, Method, NasInfo, TerminateCause,
};
use crate::pool::Pools;
use crate::ppp::link::{AddressGrant, CarrierLimits, Link, LinkEvent, LinkProfile, MppeKeys, Phase, Received};
use crate::pppoe::discovery::SessionKey;
use crate::random::Random;
use crate::routes::{RouteManager, RouteSource};

/// Ethernet frames are padded to this (FCS not counted).
const MIN_FRAME: usize = 60;

/// What the manager writes in the data plane. The driver lends it per call.
pub struct DataPlane<'a> {
    pub sessions: &'a mut SessionWriter,
    pub routes: &'a mut RouteManager,
}

/// A `[ppp.NAME]` profile as the manager uses it: what the link negotiates, and what the
/// manager does around it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    pub link: Arc<LinkProfile>,
    /// Pool for users AAA gives no address or pool.
    pub pool: String,
    pub dns: [Option<Ipv4Addr>; 2],
    pub nbns: [Option<Ipv4Addr>; 2],
    /// Clamp TCP MSS on SYNs (0: off).
    pub mss_clamp: u16,
    /// Workers answer the peer's LCP Echo-Requests.
    pub echo_offload: bool,
}

/// A profile's index in the manager.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProfileId(pub usize);

/// Which carrier a session belongs to and its key there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CarrierRef {
    /// PPPoE (RFC 2516): port, VLANs, peer MAC, session id.
    Pppoe(SessionKey),
}

impl CarrierRef {
    /// Where the subscriber is, for AAA (RADIUS NAS-Port, Calling-Station-Id…).
    pub fn nas(&self) -> NasInfo {
        match *self {
            CarrierRef::Pppoe(k) => NasInfo {
                port: k.port,
                mac: k.mac,
                outer_vlan: k.outer_vlan,
                inner_vlan: k.inner_vlan,
                pppoe_session_id: Some(k.session_id),
            },
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            CarrierRef::Pppoe(_) => "pppoe",
        }
    }
}

impl std::fmt::Display for CarrierRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CarrierRef::Pppoe(k) => write!(
                f,
                "pppoe mac {}, vlans {:?}/{:?}, id {:#06x}",
                EthernetAddress(k.mac),
                k.outer_vlan,
                k.inner_vlan,
                k.session_id
            ),
        }
    }
}

/// What a carrier asks the data plane to hold for a new session.
pub enum Publish<'a> {
    Pppoe(&'a PppoeSessionParams),
}

/// A session the manager ended (or saw end): the carrier does its part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ended {
    pub index: u32,
    pub carrier: CarrierRef,
    /// Tell the peer (PADT, CDN…); false when the carrier itself reported the end.
    pub notify_peer: bool,
    pub cause: TerminateCause,
    pub reason: String,
}

/// Why a carrier's session could not start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartError {
    /// Too many sessions negotiating at once.
    Busy,
    /// The data-plane table refused the record.
    Table(String),
    /// The link could not be built from the profile.
    Link(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Busy => f.write_str("busy: too many sessions negotiating"),
            StartError::Table(e) => write!(f, "data plane: {e}"),
            StartError::Link(e) => write!(f, "PPP link: {e}"),
        }
    }
}

/// Counters of the manager, for metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SubscriberStats {
    pub sessions_started: u64,
    pub sessions_up: u64,
    pub sessions_ended: u64,
    pub auth_accepted: u64,
    pub auth_rejected: u64,
    pub pool_exhausted: u64,
    pub keepalive_failures: u64,
    pub session_timeouts: u64,
    pub idle_timeouts: u64,
    pub protocol_rejects_sent: u64,
    /// Punted PPP packets that named a session that is gone, or that no machine wanted.
    pub frames_dropped: u64,
    /// Sessions refused because too many were negotiating.
    pub refused_busy: u64,
    /// Data-plane or FIB updates that failed (table full): the session was ended.
    pub table_errors: u64,
}

/// A session as `dpvpnctl show sessions` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInfo {
    pub index: u32,
    pub username: Option<String>,
    pub carrier: CarrierRef,
    pub phase: Phase,
    pub address: Option<Ipv4Addr>,
    pub auth: Option<Method>,
    pub uptime_ms: u64,
    pub profile: String,
}

/// Which session an operator means: its data-plane index or its user name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Which {
    Index(u32),
    User(String),
}

impl std::fmt::Display for Which {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Which::Index(i) => write!(f, "{i}"),
            Which::User(u) => write!(f, "for user {u:?}"),
        }
    }
}

struct Sub {
    index: u32,
    generation: u32,
    carrier: CarrierRef,
    port: u16,
    profile: ProfileId,
    link: Link,
    /// The address this session holds from the pools.
    address: Option<Ipv4Addr>,
    routed: bool,
    aaa_pending: bool,
    /// The carrier reported the end itself: no notice to the peer.
    carrier_gone: bool,
    /// Counted as negotiating (not Up) in `pending`.
    negotiating: bool,
    mppe: Option<Box<MppeKeys>>,
    /// Accounting Start was sent at this time for this address (RFC 2866): Stop follows
    /// when the session ends, however often IPCP renegotiates in between.
    accounting: Option<(u64, Ipv4Addr)>,
    /// The deadline in the timer heap for this session.
    armed: Option<u64>,
}

impl Sub {
    fn handle(&self) -> u64 {
        (self.generation as u64) << 32 | self.index as u64
    }
}

pub struct SubscriberManager {
    profiles: Vec<Profile>,
    aaa: Box<dyn AaaBackend>,
    pools: Pools,
    sessions: Vec<Option<Box<Sub>>>,
    live: usize,
    pending: usize,
    max_pending: usize,
    timers: BinaryHeap<Reverse<(u64, u32, u32)>>,
    tx: VecDeque<(u16, Vec<u8>)>,
    ended: VecDeque<Ended>,
    log: VecDeque<String>,
    random: Random,
    stats: SubscriberStats,
}

fn user_string(u: &[u8]) -> String {
    if u.is_empty() {
        "-".into()
    } else {
        String::from_utf8_lossy(u).into_owned()
    }
}

impl SubscriberManager {
    /// `max_pending`: sessions that may be negotiating at once. `seed`: 32 random bytes.
    pub fn new(
        profiles: Vec<Profile>,
        aaa: Box<dyn AaaBackend>,
        pools: Pools,
        max_pending: usize,
        seed: [u8; 32],
    ) -> SubscriberManager {
        SubscriberManager {
            profiles,
            aaa,
            pools,
            sessions: Vec::new(),
            live: 0,
            pending: 0,
            max_pending,
            timers: BinaryHeap::new(),
            tx: VecDeque::new(),
            ended: VecDeque::new(),
            log: VecDeque::new(),
            random: Random::new(seed),
            stats: SubscriberStats::default(),
        }
    }

    pub fn profile_id(&self, name: &str) -> Option<ProfileId> {
        self.profiles.iter().position(|p| p.name == name).map(ProfileId)
    }

    pub fn profile(&self, id: ProfileId) -> &Profile {
        &self.profiles[id.0]
    }

    /// Randomness for a carrier (cookie keys, ids), from the manager's stream.
    pub fn fork_random(&mut self) -> Random {
        self.random.fork()
    }

    pub fn stats(&self) -> SubscriberStats {
        self.stats
    }

    pub fn pools(&self) -> &Pools {
        &self.pools
    }

    pub fn aaa_name(&self) -> &'static str {
        self.aaa.name()
    }

    /// Sessions that exist, in any phase.
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Sessions negotiating (not Up).
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// Bytes of one session's record in the manager (its link inline), heap not counted.
    pub fn session_record_bytes() -> usize {
        std::mem::size_of::<Sub>()
    }

    /// Timer entries queued (stale ones included until they come due).
    pub fn timer_entries(&self) -> usize {
        self.timers.len()
    }

    /// Sessions per phase.
    pub fn phase_counts(&self) -> Vec<(Phase, usize)> {
        let mut c: Vec<(Phase, usize)> = Phase::ALL[..5].iter().map(|&p| (p, 0)).collect();
        for s in self.sessions.iter().flatten() {
            if let Some(e) = c.iter_mut().find(|(p, _)| *p == s.link.phase()) {
                e.1 += 1;
            }
        }
        c
    }

    /// The MPPE keys MS-CHAPv2 derived for a session, for its carrier.
    pub fn mppe_keys(&self, index: u32) -> Option<MppeKeys> {
        self.sub(index)?.mppe.as_deref().copied()
    }

    /// A frame to send: (port, frame).
    pub fn poll_transmit(&mut self) -> Option<(u16, Vec<u8>)> {
        self.tx.pop_front()
    }

    /// A session that ended, for its carrier.
    pub fn poll_ended(&mut self) -> Option<Ended> {
        self.ended.pop_front()
    }

    /// A line for the log.
    pub fn poll_log(&mut self) -> Option<String> {
        self.log.pop_front()
    }

    /// The earliest deadline of any session or of AAA.
    pub fn poll_timeout(&self) -> Option<u64> {
        let t = self.timers.peek().map(|Reverse((d, _, _))| *d);
        match (t, self.aaa.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    // ---- carriers ----

    /// A carrier has a new PPP session: publish its data-plane record and start a server
    /// link with `profile` under the carrier's `limits`. Returns (index, generation).
    pub fn start(
        &mut self,
        now: u64,
        carrier: CarrierRef,
        publish: Publish<'_>,
        profile: ProfileId,
        limits: CarrierLimits,
        dp: &mut DataPlane,
    ) -> Result<(u32, u32), StartError> {
        if self.pending >= self.max_pending {
            self.stats.refused_busy += 1;
            return Err(StartError::Busy);
        }
        let p = &self.profiles[profile.0];
        let link_random = self.random.fork();
        let link = Link::server(now, &p.link, limits, link_random).map_err(|e| StartError::Link(e.to_string()))?;
        let (port, added) = match publish {
            Publish::Pppoe(params) => (params.port, dp.sessions.add_pppoe(params, 0, limits.max_mru, 0)),
        };
        let (index, generation) = added.map_err(|e| {
            self.stats.table_errors += 1;
            StartError::Table(e.to_string())
        })?;
        let sub = Sub {
            index,
            generation,
            carrier,
            port,
            profile,
            link,
            address: None,
            routed: false,
            aaa_pending: false,
            carrier_gone: false,
            negotiating: true,
            mppe: None,
            accounting: None,
            armed: None,
        };
        if self.sessions.len() <= index as usize {
            self.sessions.resize_with(index as usize + 1, || None);
        }
        self.sessions[index as usize] = Some(Box::new(sub));
        self.live += 1;
        self.pending += 1;
        self.stats.sessions_started += 1;
        self.drive(now, index, dp);
        Ok((index, generation))
    }

    /// A PPP packet of session `index` (generation `generation`, as the worker saw the
    /// record): `protocol` and what follows the Protocol field.
    pub fn handle_ppp(
        &mut self,
        now: u64,
        index: u32,
        generation: u32,
        protocol: PppProtocol,
        payload: &[u8],
        dp: &mut DataPlane,
    ) {
        let Some(s) = self.sub_mut(index).filter(|s| s.generation == generation) else {
            self.stats.frames_dropped += 1;
            return;
        };
        match s.link.handle_packet(now, protocol, payload) {
            Received::Handled => {}
            Received::Discarded => self.stats.frames_dropped += 1,
            Received::ProtocolRejected => self.stats.protocol_rejects_sent += 1,
        }
        self.drive(now, index, dp);
    }

    /// The carrier of session `index` is gone (PADT, tunnel down): finish without telling
    /// the peer.
    pub fn lower_down(&mut self, now: u64, index: u32, reason: &str, cause: TerminateCause, dp: &mut DataPlane) {
        self.abort(now, index, reason, cause, false, dp);
    }

    /// End a session at once, without LCP's Terminate exchange; `notify_peer`: the carrier
    /// is to tell the peer (PADT) when it learns the end.
    fn abort(&mut self, now: u64, index: u32, reason: &str, cause: TerminateCause, notify_peer: bool, dp: &mut DataPlane) {
        let Some(s) = self.sub_mut(index) else { return };
        s.carrier_gone = !notify_peer;
        s.link.lower_down(now, reason, cause);
        self.drive(now, index, dp);
    }

    /// The carrier and generation of session `index`.
    pub fn carrier(&self, index: u32) -> Option<(CarrierRef, u32)> {
        self.sub(index).map(|s| (s.carrier, s.generation))
    }

    /// The session `carrier` names, if it has one here.
    pub fn find_carrier(&self, carrier: &CarrierRef) -> Option<u32> {
        self.sessions.iter().flatten().find(|s| s.carrier == *carrier).map(|s| s.index)
    }

    /// Run AAA answers and timers; call every loop iteration (it returns at once when
    /// nothing is due).
    pub fn poll(&mut self, now: u64, dp: &mut DataPlane) {
        self.aaa.handle_timeout(now);
        while let Some(r) = self.aaa.poll_result(now) {
            let index = r.handle as u32;
            let generation = (r.handle >> 32) as u32;
            let Some(s) = self.sub_mut(index).filter(|s| s.generation == generation && s.aaa_pending) else { continue };
            s.aaa_pending = false;
            let line = match &r.outcome {
                AuthOutcome::Accept(_) => None,
                AuthOutcome::Reject(reason) => Some(format!(
                    "session {index}: user {:?} refused ({}): {}",
                    user_string(s.link.username()),
                    reason.kind.name(),
                    reason.message
                )),
            };
            let accepted = matches!(r.outcome, AuthOutcome::Accept(_));
            if s.link.auth_verdict(now, r.outcome).is_err() {
                self.log_line(format!("session {index}: AAA answered when no verdict was awaited"));
            } else if accepted {
                self.stats.auth_accepted += 1;
            } else {
                self.stats.auth_rejected += 1;
            }
            if let Some(line) = line {
                self.log_line(line);
            }
            self.drive(now, index, dp);
        }
        while let Some(&Reverse((deadline, index, generation))) = self.timers.peek() {
            if deadline > now {
                break;
            }
            self.timers.pop();
            let Some(s) = self.sub_mut(index).filter(|s| s.generation == generation && s.armed == Some(deadline)) else {
                continue;
            };
            s.armed = None;
            if s.link.phase() == Phase::Up && s.link.timeouts().1.is_some() {
                // The idle timeout needs the data plane's count of the subscriber's packets.
                let rx = dp.sessions.table().traffic(index).rx_packets;
                let s = self.sub_mut(index).expect("exists");
                s.link.observe_traffic(now, rx);
            }
            let s = self.sub_mut(index).expect("exists");
            s.link.handle_timeout(now);
            self.drive(now, index, dp);
        }
    }

    /// An operator's disconnect: LCP Terminate-Request, then the carrier's end.
    pub fn disconnect(&mut self, now: u64, which: &Which, dp: &mut DataPlane) -> Result<u32, String> {
        let index = self.find(which).ok_or_else(|| format!("no session {which}"))?;
        let s = self.sub_mut(index).expect("found");
        s.link.close(now, "Administrative disconnect", TerminateCause::ADMIN_RESET);
        self.drive(now, index, dp);
        Ok(index)
    }

    /// End every session at once (shutdown): everything released, every carrier told.
    pub fn shutdown(&mut self, now: u64, dp: &mut DataPlane) {
        let all: Vec<u32> = self.sessions.iter().flatten().map(|s| s.index).collect();
        for index in all {
            // No time for a Terminate exchange: the carrier tells the peer (PADT).
            self.abort(now, index, "NAS reboot", TerminateCause::NAS_REBOOT, true, dp);
        }
    }

    /// One session, with its uptime at `now`.
    pub fn session(&self, now: u64, which: &Which) -> Option<SessionInfo> {
        let i = self.find(which)?;
        self.sub(i).map(|s| self.info(s, now))
    }

    /// Every session's info with uptimes at `now`.
    pub fn sessions(&self, now: u64) -> Vec<SessionInfo> {
        self.sessions.iter().flatten().map(|s| self.info(s, now)).collect()
    }

    fn info(&self, s: &Sub, now: u64) -> SessionInfo {
        let u = s.link.username();
        SessionInfo {
            index: s.index,
            username: (!u.is_empty()).then(|| String::from_utf8_lossy(u).into_owned()),
            carrier: s.carrier,
            phase: s.link.phase(),
            address: s.address,
            auth: s.link.method(),
            uptime_ms: s.link.up_since().map_or(0, |t| now.saturating_sub(t)),
            profile: self.profiles[s.profile.0].name.clone(),
        }
    }

    fn find(&self, which: &Which) -> Option<u32> {
        match which {
            Which::Index(i) => self.sub(*i).map(|s| s.index),
            Which::User(u) => {
                self.sessions.iter().flatten().find(|s| s.link.username() == u.as_bytes()).map(|s| s.index)
            }
        }
    }

    // ---- internals ----

    fn log_line(&mut self, line: String) {
        if self.log.len() < 10_000 {
            self.log.push_back(line);
        }
    }

    fn sub(&self, index: u32) -> Option<&Sub> {
        self.sessions.get(index as usize).and_then(|s| s.as_deref())
    }

    fn sub_mut(&mut self, index: u32) -> Option<&mut Sub> {
        self.sessions.get_mut(index as usize).and_then(|s| s.as_deref_mut())
    }

    /// After any input: frame the link's packets, act on its events, re-arm its timer.
    fn drive(&mut self, now: u64, index: u32, dp: &mut DataPlane) {
        loop {
            let Some(s) = self.sub_mut(index) else { return };
            let mut out = Vec::new();
            while let Some(p) = s.link.poll_transmit() {
                out.push(p);
            }
            let event = s.link.poll_event();
            for (proto, payload) in out {
                self.send_ppp(index, proto, &payload, dp);
            }
            match event {
                Some(e) => {
                    if self.on_event(now, index, e, dp) {
                        return;
                    }
                }
                None => break,
            }
        }
        self.arm(index);
    }

    /// Returns true when the session is gone.
    fn on_event(&mut self, now: u64, index: u32, e: LinkEvent, dp: &mut DataPlane) -> bool {
        match e {
            LinkEvent::Established(n) => {
                let Some(s) = self.sub(index) else { return true };
                let offload = self.profiles[s.profile.0].echo_offload;
                let magic = n.our_magic.unwrap_or(0);
                let _ = dp.sessions.set_magic(index, magic);
                let _ = dp.sessions.set_mru(index, n.peer_mru);
                let _ = dp.sessions.set_echo_offload(index, offload && magic != 0);
            }
            LinkEvent::Authenticate { username, credentials } => {
                let Some(s) = self.sub_mut(index) else { return true };
                let request = AuthRequest { handle: s.handle(), username, credentials, nas: s.carrier.nas() };
                s.aaa_pending = true;
                if let Err(e) = self.aaa.submit(now, request) {
                    self.log_line(format!("session {index}: AAA refused the request: {e}"));
                    let s = self.sub_mut(index).expect("exists");
                    s.aaa_pending = false;
                    s.link.close(now, "Authentication unavailable", TerminateCause::NAS_ERROR);
                }
            }
            LinkEvent::Authenticated { mppe, .. } => {
                let Some(s) = self.sub_mut(index) else { return true };
                s.mppe = mppe.map(Box::new);
            }
            LinkEvent::NeedAddress { attributes } => self.assign_address(now, index, &attributes),
            LinkEvent::Up { peer, .. } => self.up(now, index, peer, dp),
            LinkEvent::Down { release } => {
                let Some(s) = self.sub_mut(index) else { return true };
                let (address, routed) = (s.address, s.routed);
                s.routed = false;
                if release {
                    s.address = None;
                }
                if !s.negotiating {
                    s.negotiating = true;
                    self.pending += 1;
                }
                let _ = dp.sessions.close_ipv4(index);
                if let Some(a) = address {
                    if routed {
                        let _ = dp.routes.remove(u32::from(a), 32, &[RouteSource::Subscriber]);
                    }
                    if release {
                        let _ = self.pools.release(a);
                    }
                }
                if release {
                    let _ = dp.sessions.set_echo_offload(index, false);
                }
            }
            LinkEvent::Finished { cause, reason } => {
                self.finish(now, index, cause, reason, dp);
                return true;
            }
        }
        false
    }

    /// Authenticated: an address from AAA (static) or a pool.
    fn assign_address(&mut self, now: u64, index: u32, attributes: &crate::aaa::Attributes) {
        let Some(s) = self.sub(index) else { return };
        let p = &self.profiles[s.profile.0];
        let pool = attributes.pool.clone().unwrap_or_else(|| p.pool.clone());
        let dns = [attributes.dns[0].or(p.dns[0]), attributes.dns[1].or(p.dns[1])];
        let nbns = p.nbns;
        let wanted = attributes.framed_ip;
        let user = user_string(s.link.username());
        let got = match wanted {
            Some(ip) => self.pools.reserve(ip).map(|_| ip).map_err(|e| e.to_string()),
            None => self.pools.allocate_from(&pool).map_err(|e| e.to_string()),
        };
        match got {
            Ok(address) => {
                let s = self.sub_mut(index).expect("exists");
                s.address = Some(address);
                if let Err(e) = s.link.assign_address(now, AddressGrant { address, dns, nbns }) {
                    let _ = self.pools.release(address);
                    let s = self.sub_mut(index).expect("exists");
                    s.address = None;
                    s.link.close(now, "No address available", TerminateCause::NAS_ERROR);
                    self.log_line(format!("session {index}: user {user}: IPCP: {e}"));
                }
            }
            Err(e) => {
                if wanted.is_none() {
                    self.stats.pool_exhausted += 1;
                }
                self.log_line(format!("session {index}: user {user}: no address: {e}"));
                let s = self.sub_mut(index).expect("exists");
                s.link.close(now, "No address available", TerminateCause::NAS_ERROR);
            }
        }
    }

    fn up(&mut self, now: u64, index: u32, peer: Ipv4Addr, dp: &mut DataPlane) {
        let Some(s) = self.sub(index) else { return };
        // The clamp follows the link, not only the profile: a TCP segment must fit the
        // smaller of the two MRUs LCP agreed, less 40 bytes of IPv4 and TCP headers (RFC
        // 6691 §2); a profile meant for a roomier carrier is capped here.
        let mss = match (self.profiles[s.profile.0].mss_clamp, s.link.lcp_negotiated()) {
            (0, _) => 0,
            (m, Some(n)) => m.min(n.peer_mru.min(n.our_mru).saturating_sub(40)),
            (m, None) => m,
        };
        let ok = dp.sessions.open_ipv4(index, u32::from(peer), mss).is_ok();
        let routed = ok && dp.routes.add_session(u32::from(peer), 32, index).is_ok();
        if !routed {
            self.stats.table_errors += 1;
            self.log_line(format!("session {index}: cannot route {peer} to the session (table full?)"));
            let s = self.sub_mut(index).expect("exists");
            s.link.close(now, "System error", TerminateCause::NAS_ERROR);
            return;
        }
        let s = self.sub_mut(index).expect("exists");
        s.routed = true;
        if s.negotiating {
            s.negotiating = false;
            self.pending = self.pending.saturating_sub(1);
        }
        let s = self.sub(index).expect("exists");
        let line = format!(
            "session {index}: user {} up: {peer}, {}, {} ms to set up",
            user_string(s.link.username()),
            s.carrier,
            now.saturating_sub(s.link.started())
        );
        self.stats.sessions_up += 1;
        self.log_line(line);
        let s = self.sub_mut(index).expect("exists");
        if s.accounting.is_none() {
            s.accounting = Some((now, peer));
            self.accounting(now, index, AcctStatus::Start, dp);
        }
    }

    fn accounting(&mut self, now: u64, index: u32, status: AcctStatus, dp: &DataPlane) {
        let Some(s) = self.sessions.get(index as usize).and_then(|s| s.as_deref()) else { return };
        accounting_record(&mut *self.aaa, now, s, status, dp);
    }
}

/// Accounting Start, Interim-Update or Stop for a session that was up.
fn accounting_record(aaa: &mut dyn AaaBackend, now: u64, s: &Sub, status: AcctStatus, dp: &DataPlane) {
        let Some((since, address)) = s.accounting else { return };
        let t = dp.sessions.table().traffic(s.index);
        let record = AccountingRecord {
            handle: s.handle(),
            status,
            username: s.link.username().to_vec(),
            framed_ip: Some(address),
            nas: s.carrier.nas(),
            session_time_s: (now.saturating_sub(since) / 1000) as u32,
            counters: AcctCounters {
                input_octets: t.rx_bytes,
                output_octets: t.tx_bytes,
                input_packets: t.rx_packets,
                output_packets: t.tx_packets,
            },
        };
        aaa.accounting(now, record);
}

impl SubscriberManager {
    /// The link is dead: everything the session held goes back, the carrier is told.
    fn finish(&mut self, now: u64, index: u32, cause: TerminateCause, reason: String, dp: &mut DataPlane) {
        let Some(s) = self.sessions.get_mut(index as usize).and_then(|s| s.take()) else { return };
        self.live -= 1;
        // Stop before the record goes: the counters are read from the data plane.
        accounting_record(&mut *self.aaa, now, &s, AcctStatus::Stop(cause), dp);
        if s.aaa_pending {
            self.aaa.cancel(s.handle());
        }
        if let Some(addr) = s.address {
            if s.routed {
                let _ = dp.routes.remove(u32::from(addr), 32, &[RouteSource::Subscriber]);
            }
            let _ = self.pools.release(addr);
        }
        let _ = dp.sessions.remove(index);
        if s.negotiating {
            self.pending = self.pending.saturating_sub(1);
        }
        match cause {
            TerminateCause::LOST_SERVICE => self.stats.keepalive_failures += 1,
            TerminateCause::SESSION_TIMEOUT => self.stats.session_timeouts += 1,
            TerminateCause::IDLE_TIMEOUT => self.stats.idle_timeouts += 1,
            _ => {}
        }
        self.stats.sessions_ended += 1;
        self.log_line(format!(
            "session {index}: user {} down after {} ms: {reason}",
            user_string(s.link.username()),
            now.saturating_sub(s.link.started()),
        ));
        self.ended.push_back(Ended { index, carrier: s.carrier, notify_peer: !s.carrier_gone, cause, reason });
    }

    fn arm(&mut self, index: u32) {
        let Some(s) = self.sub_mut(index) else { return };
        let t = s.link.poll_timeout();
        if t != s.armed {
            s.armed = t;
            if let Some(d) = t {
                let g = s.generation;
                self.timers.push(Reverse((d, index, g)));
            }
        }
        // Entries whose deadline moved stay queued until they come due; keep them from
        // outnumbering the sessions.
        if self.timers.len() > 2 * self.live + 1024 {
            let sessions = &self.sessions;
            let live = |&Reverse((d, i, g)): &Reverse<(u64, u32, u32)>| {
                sessions.get(i as usize).and_then(|s| s.as_deref()).is_some_and(|s| s.generation == g && s.armed == Some(d))
            };
            let kept: Vec<_> = self.timers.drain().filter(live).collect();
            self.timers = BinaryHeap::from(kept);
        }
    }

    /// A PPP packet to the peer, framed with the session's downstream template (the data
    /// plane holds it; the protocol and the PPPoE LENGTH patched).
    fn send_ppp(&mut self, index: u32, proto: PppProtocol, packet: &[u8], dp: &DataPlane) {
        let Some(s) = self.sub(index) else { return };
        let port = s.port;
        let Some(d) = dp.sessions.table().get(index) else { return };
        let tl = d.template_len as usize;
        if tl < 4 {
            return;
        }
        let mut f = Vec::with_capacity((tl + packet.len()).max(MIN_FRAME));
        f.extend_from_slice(&d.template()[..tl - 2]);
        f.extend_from_slice(&proto.0.to_be_bytes());
        f.extend_from_slice(packet);
        let len = (packet.len() + 2) as u16;
        f[tl - 4..tl - 2].copy_from_slice(&len.to_be_bytes());
        if f.len() < MIN_FRAME {
            f.resize(MIN_FRAME, 0);
        }
        self.tx.push_back((port, f));
    }
}
