//! The access concentrator side of PPPoE discovery (RFC 2516 §5, §7; RFC 4638 §4).
//!
//! - **Who a subscriber is**: (port, outer VID, inner VID, MAC) — [`Subscriber`]; with the
//!   session id it is the [`SessionKey`] the data plane's PPPoE index uses. The same MAC
//!   on two VLANs is two subscribers. Every reply carries the VLAN tags of the frame it
//!   answers, as they came (TPID, PCP, DEI, VID); a PADT we start carries the tags of
//!   the PADR that made the session.
//! - **PADI → PADO** (§5.1, §5.2). A PADI whose Service-Name we do not offer gets **no
//!   PADO**: §5.2 says "If the Access Concentrator can not serve the PADI it MUST NOT
//!   respond with a PADO" (Service-Name-Error belongs in a PADS, §5.4); it is counted as
//!   [`DropReason::ServiceNotOffered`]. An empty Service-Name ("any service", Appendix A)
//!   is served when [`ServerConfig::accept_empty_service`] is set. The PADO carries the
//!   requested Service-Name first, then every other offered one, the AC-Name, an
//!   AC-Cookie, Host-Uniq and Relay-Session-Id unmodified (Appendix A), and
//!   PPP-Max-Payload when agreed (below). A PADI longer than 1484 bytes (§5.1) is dropped.
//!   A PADI may be broadcast or unicast to our port MAC.
//! - **No state per PADI.** The AC-Cookie is `W ‖ HMAC-MD5(secret, label ‖ W ‖ port ‖ outer
//!   VID ‖ inner VID ‖ MAC)`: W is the 32-bit number of the cookie window (`now /
//!   cookie_window_ms`), HMAC is RFC 2104 (`cookie.rs`), 20 bytes in all. A PADR's
//!   cookie is accepted when its HMAC verifies (else [`DropReason::CookieForged`]: made up,
//!   or replayed from another MAC, port or VLAN) and W is the current or the previous
//!   window (else [`DropReason::CookieExpired`]); so a cookie lives between one and two
//!   windows. Either way the PADR gets no reply. The Host-Uniq and Service-Name are not
//!   bound: a host may pick any Service-Name the PADO offered (§5.3).
//! - **Rate limits** (before any reply to an unauthenticated frame: PADI, and a PADR
//!   without cookie): a token bucket per port and one per subscriber, refilled in virtual
//!   time. The per-subscriber buckets are a fixed table of
//!   [`ServerConfig::limiter_slots`] buckets indexed by a keyed hash of the subscriber,
//!   allocated once: a flood from any number of MACs grows no state (two subscribers that
//!   share a slot share its bucket). The subscriber's bucket is charged first, so one
//!   noisy MAC cannot drain its port's bucket.
//! - **PADR → PADS** (§5.3, §5.4), in this order: no AC-Cookie → PADS with Generic-Error
//!   (Appendix A: unrecoverable, and no other error tag fits), rate-limited like a PADI;
//!   bad cookie → ignored; Service-Name not offered → PADS with Service-Name-Error;
//!   a retransmission (below) → the same PADS again; the session limit or the
//!   subscriber's limit reached → PADS with AC-System-Error ("insufficient resources",
//!   Appendix A). Error PADSes have SESSION_ID 0 (§5.4). Otherwise a session id is
//!   allocated, the PADS (Service-Name, Host-Uniq, Relay-Session-Id, PPP-Max-Payload if
//!   agreed) queued, and [`ServerEvent::SessionRequested`] emitted for the session
//!   manager. A PADR must be unicast to our port MAC.
//! - **Retransmitted PADR.** A PADR from a subscriber that holds a session with the same
//!   Host-Uniq and Service-Name on which the host has not started PPP yet is the host
//!   retrying because our PADS was lost (§7), however long its back-off took: it gets that
//!   session's PADS again and no new session. The session manager says when the host
//!   started PPP ([`DiscoveryServer::confirm`], on the session's first LCP frame); after
//!   that, such a PADR is a host that lost its session (a CPE reboot) and asks for a new
//!   one, and the old one ends by LCP keepalive. Two sessions from one MAC are told apart
//!   by Host-Uniq, which is what Host-Uniq is for (Appendix A). A session that is never
//!   confirmed is the session manager's to time out (its LCP gives up).
//! - **Session ids** are never 0 or 0xffff (§4). They come from a FIFO of free ids, so an
//!   id that was just released is the last to be reused, and they are unique over the
//!   whole AC while fewer than 65534 sessions exist; past that, ids are shared between
//!   subscribers (RFC 2516 §4 makes an id unique per pair of MACs, and the data plane
//!   keys sessions by subscriber and id) and stay unique per subscriber.
//! - **PADT** (§5.5): a PADT from a subscriber for one of its sessions releases the id and
//!   emits [`ServerEvent::SessionTerminated`]; [`DiscoveryServer::terminate`] queues a PADT
//!   (AC-Name, Relay-Session-Id, optional Generic-Error text) and releases the id.
//! - **PPP-Max-Payload** (RFC 4638 §4): when [`ServerConfig::offer_max_payload`] is set
//!   and the PADI/PADR carries the tag, the PADO/PADS carries min(requested, port MTU −
//!   8) (PPPoE header 6 and PPP protocol field 2), only when that exceeds 1492; otherwise
//!   the tag is left out and RFC 2516's MRU of 1492 holds.
//! - **Bad frames** are counted per [`DropReason`] and dropped, a PADO or PADS sent to us
//!   included. Nothing panics on any input. The server has no timers.

use std::collections::{HashMap, VecDeque};
use std::fmt;

use dataplane::wire::pppoe::{
    DiscoveryRepr, PppoeCode, DEFAULT_MRU, MAX_PADI_LEN, MAX_SERVICE_NAMES, SESSION_ID_RESERVED,
};

use super::cookie::{CookieKey, COOKIE_LEN};
use super::{
    build_frame, is_host_mac, mix, parse_discovery, text, DropReason, Mac, ServerStats, SessionKey, Subscriber, Vlans,
    PPPOE_OVERHEAD,
};

// ---- rate limits ----

/// A token bucket: `per_second` tokens a second, at most `burst` saved up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    pub per_second: u32,
    pub burst: u32,
}

/// Tokens in thousandths, refilled from the time since `last` (virtual milliseconds).
#[derive(Clone, Copy, Debug)]
struct TokenBucket {
    milli: u64,
    last: u64,
}

impl TokenBucket {
    fn full(rl: RateLimit) -> TokenBucket {
        TokenBucket { milli: rl.burst as u64 * 1000, last: 0 }
    }

    fn take(&mut self, now: u64, rl: RateLimit) -> bool {
        let elapsed = now.saturating_sub(self.last);
        self.last = self.last.max(now);
        // per_second tokens a second = per_second thousandths a millisecond.
        let refill = elapsed.saturating_mul(rl.per_second as u64);
        self.milli = self.milli.saturating_add(refill).min(rl.burst as u64 * 1000);
        if self.milli >= 1000 {
            self.milli -= 1000;
            true
        } else {
            false
        }
    }
}

// ---- session ids ----

/// Free session ids 1..=0xfffe in FIFO order, and how many sessions hold each id.
struct SessionIds {
    free: VecDeque<u16>,
    users: Vec<u32>,
    /// Where to look for a shared id when none is free.
    cursor: u16,
}

impl SessionIds {
    fn new() -> SessionIds {
        SessionIds { free: (1..SESSION_ID_RESERVED).collect(), users: vec![0; 1 << 16], cursor: 0 }
    }

    /// An id none of `taken` (the subscriber's own ids) is.
    fn allocate(&mut self, taken: &[u16]) -> Option<u16> {
        // A free id has no holder at all, so it is not in `taken`.
        if let Some(id) = self.free.pop_front() {
            self.users[id as usize] = 1;
            return Some(id);
        }
        for _ in 0..=taken.len() {
            self.cursor = if self.cursor >= SESSION_ID_RESERVED - 1 { 1 } else { self.cursor + 1 };
            let id = self.cursor;
            if !taken.contains(&id) {
                self.users[id as usize] += 1;
                return Some(id);
            }
        }
        None
    }

    fn release(&mut self, id: u16) {
        let u = &mut self.users[id as usize];
        if *u == 0 {
            return;
        }
        *u -= 1;
        if *u == 0 {
            self.free.push_back(id);
        }
    }
}

// ---- the access concentrator ----

/// How the access concentrator behaves. [`ServerConfig::new`] gives the defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// The AC-Name tag (Appendix A).
    pub ac_name: String,
    /// The Service-Names offered, not counting the empty one.
    pub service_names: Vec<String>,
    /// Serve a PADI/PADR whose Service-Name is empty ("any service").
    pub accept_empty_service: bool,
    /// The key of the AC-Cookie HMAC; at least 16 bytes, from the caller's RNG.
    pub cookie_secret: Vec<u8>,
    /// A cookie is good for one to two windows.
    pub cookie_window_ms: u64,
    /// Sessions overall.
    pub max_sessions: usize,
    /// Sessions per subscriber (port, VLANs, MAC).
    pub max_sessions_per_mac: usize,
    pub padi_rate_per_port: RateLimit,
    pub padi_rate_per_mac: RateLimit,
    /// Buckets of the per-subscriber limiter (a power of two).
    pub limiter_slots: usize,
    /// Answer RFC 4638 PPP-Max-Payload.
    pub offer_max_payload: bool,
    /// Frames the transmit queue holds before replies are dropped.
    pub max_queued_frames: usize,
}

impl ServerConfig {
    /// Defaults: no named service, the empty one accepted, 60 s cookie windows, 65534
    /// sessions, 4 per subscriber, PADIs at 2000/s (burst 4000) per port and 1/s (burst
    /// 5) per subscriber over 65536 buckets, PPP-Max-Payload answered.
    pub fn new(ac_name: &str, cookie_secret: &[u8]) -> ServerConfig {
        ServerConfig {
            ac_name: ac_name.to_string(),
            service_names: Vec::new(),
            accept_empty_service: true,
            cookie_secret: cookie_secret.to_vec(),
            cookie_window_ms: 60_000,
            max_sessions: 65_534,
            max_sessions_per_mac: 4,
            padi_rate_per_port: RateLimit { per_second: 2000, burst: 4000 },
            padi_rate_per_mac: RateLimit { per_second: 1, burst: 5 },
            limiter_slots: 1 << 16,
            offer_max_payload: true,
            max_queued_frames: 4096,
        }
    }

    fn check(&self) -> Result<(), ConfigError> {
        let err = |key, problem: String| Err(ConfigError { key, problem });
        if self.ac_name.is_empty() || self.ac_name.len() > 255 {
            return err("ac_name", format!("must be 1 to 255 bytes long, not {}", self.ac_name.len()));
        }
        if self.service_names.len() >= MAX_SERVICE_NAMES {
            return err(
                "service_names",
                format!(
                    "{} names; a PADO holds at most {} besides the requested one",
                    self.service_names.len(),
                    MAX_SERVICE_NAMES - 1
                ),
            );
        }
        for (i, s) in self.service_names.iter().enumerate() {
            if s.is_empty() || s.len() > 255 {
                return err(
                    "service_names",
                    format!("name {i} must be 1 to 255 bytes (the empty name is accept_empty_service)"),
                );
            }
            if self.service_names[..i].contains(s) {
                return err("service_names", format!("{s:?} is listed twice"));
            }
        }
        if self.service_names.is_empty() && !self.accept_empty_service {
            return err(
                "service_names",
                "no service names and accept_empty_service = false: nothing would be served".into(),
            );
        }
        if self.cookie_secret.len() < 16 {
            return err("cookie_secret", format!("{} bytes; at least 16 are needed", self.cookie_secret.len()));
        }
        if self.cookie_window_ms < 1000 {
            return err("cookie_window_ms", format!("{} ms; at least 1000", self.cookie_window_ms));
        }
        if self.max_sessions == 0 || self.max_sessions_per_mac == 0 {
            return err("max_sessions", "max_sessions and max_sessions_per_mac must be at least 1".into());
        }
        for (key, rl) in
            [("padi_rate_per_port", self.padi_rate_per_port), ("padi_rate_per_mac", self.padi_rate_per_mac)]
        {
            if rl.per_second == 0 || rl.burst == 0 {
                return err(key, "per_second and burst must be at least 1".into());
            }
        }
        if !self.limiter_slots.is_power_of_two() || self.limiter_slots > 1 << 24 {
            return err("limiter_slots", format!("{} is not a power of two up to 2^24", self.limiter_slots));
        }
        if self.max_queued_frames == 0 {
            return err("max_queued_frames", "must be at least 1".into());
        }
        Ok(())
    }
}

/// A [`ServerConfig`] value that cannot work.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The field of [`ServerConfig`].
    pub key: &'static str,
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PPPoE discovery: {}: {}", self.key, self.problem)
    }
}

impl std::error::Error for ConfigError {}

/// An access port: our MAC on it and its MTU (the Ethernet payload it carries).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessPort {
    pub mac: Mac,
    pub mtu: u16,
}

/// Why a session ended on the subscriber's side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TerminateReason {
    /// The subscriber sent a PADT (§5.5), with its Generic-Error text if any.
    Padt { generic_error: Option<String> },
}

/// What the session manager must know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerEvent {
    /// A PADS granted this session: set it up in the data plane and start LCP.
    SessionRequested {
        key: SessionKey,
        /// The tags as the PADR carried them, for the downstream template.
        vlans: Vlans,
        /// The offered Service-Name the PADR chose; empty for "any service".
        service: String,
        host_uniq: Option<Vec<u8>>,
        /// RFC 4638: the agreed PPP-Max-Payload (the largest MRU LCP may agree), when
        /// above 1492.
        max_payload: Option<u16>,
        relay_session_id: Option<Vec<u8>>,
        /// Vendor-Specific tags of the PADR (vendor id, data), e.g. a TR-101 line id.
        vendor_specific: Vec<(u32, Vec<u8>)>,
    },
    /// The subscriber ended the session; its id is free again.
    SessionTerminated { key: SessionKey, reason: TerminateReason },
}

/// A granted session as the AC remembers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInfo {
    pub vlans: Vlans,
    pub service: String,
    pub host_uniq: Option<Vec<u8>>,
    pub relay_session_id: Option<Vec<u8>>,
    pub max_payload: Option<u16>,
    /// When the PADS was first sent (ms).
    pub granted_at: u64,
    /// The host started PPP on it ([`DiscoveryServer::confirm`]).
    pub confirmed: bool,
}

/// How much state the AC holds; none of it grows with PADIs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Footprint {
    pub sessions: usize,
    pub subscribers: usize,
    pub free_ids: usize,
    pub limiter_slots: usize,
    pub queued_frames: usize,
    pub queued_events: usize,
}

struct PortState {
    access: AccessPort,
    bucket: TokenBucket,
}

/// The error tags of a refusing PADS (§5.4, Appendix A).
#[derive(Clone, Copy)]
enum PadsError {
    ServiceName,
    AcSystem,
    Generic,
}

/// The access concentrator side of discovery. See the module documentation.
pub struct DiscoveryServer {
    config: ServerConfig,
    cookie: CookieKey,
    limiter_key: (u64, u64),
    ports: HashMap<u16, PortState>,
    mac_buckets: Vec<TokenBucket>,
    sessions: HashMap<SessionKey, SessionInfo>,
    by_subscriber: HashMap<Subscriber, Vec<u16>>,
    ids: SessionIds,
    transmit: VecDeque<(u16, Vec<u8>)>,
    events: VecDeque<ServerEvent>,
    stats: ServerStats,
}

impl DiscoveryServer {
    pub fn new(config: ServerConfig) -> Result<DiscoveryServer, ConfigError> {
        config.check()?;
        let cookie = CookieKey::new(&config.cookie_secret);
        let k = cookie.hmac(b"dpvpn PPPoE limiter key");
        let limiter_key = (
            u64::from_be_bytes(k[..8].try_into().expect("8 bytes")),
            u64::from_be_bytes(k[8..].try_into().expect("8 bytes")),
        );
        Ok(DiscoveryServer {
            mac_buckets: vec![TokenBucket::full(config.padi_rate_per_mac); config.limiter_slots],
            config,
            cookie,
            limiter_key,
            ports: HashMap::new(),
            sessions: HashMap::new(),
            by_subscriber: HashMap::new(),
            ids: SessionIds::new(),
            transmit: VecDeque::new(),
            events: VecDeque::new(),
            stats: ServerStats::default(),
        })
    }

    /// Serve discovery on `port` (replacing what was set for it).
    pub fn add_port(&mut self, port: u16, access: AccessPort) {
        let bucket = TokenBucket::full(self.config.padi_rate_per_port);
        self.ports.insert(port, PortState { access, bucket });
    }

    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    pub fn stats(&self) -> &ServerStats {
        &self.stats
    }

    /// Live sessions.
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    pub fn session(&self, key: &SessionKey) -> Option<&SessionInfo> {
        self.sessions.get(key)
    }

    pub fn sessions(&self) -> impl Iterator<Item = (&SessionKey, &SessionInfo)> {
        self.sessions.iter()
    }

    pub fn footprint(&self) -> Footprint {
        Footprint {
            sessions: self.sessions.len(),
            subscribers: self.by_subscriber.len(),
            free_ids: self.ids.free.len(),
            limiter_slots: self.mac_buckets.len(),
            queued_frames: self.transmit.len(),
            queued_events: self.events.len(),
        }
    }

    /// A frame that arrived on `port`.
    pub fn handle_frame(&mut self, now: u64, port: u16, frame: &[u8]) {
        if let Err(r) = self.frame(now, port, frame) {
            self.stats.drops.add(r);
        }
    }

    /// The server keeps no timers (the cookie carries its own time; the session manager
    /// times out sessions that never start LCP); this does nothing.
    pub fn handle_timeout(&mut self, _now: u64) {}

    /// Always `None`: see [`Self::handle_timeout`].
    pub fn poll_timeout(&self) -> Option<u64> {
        None
    }

    /// The next frame to send, and the port to send it on.
    pub fn poll_transmit(&mut self) -> Option<(u16, Vec<u8>)> {
        self.transmit.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    /// The host started PPP on `key` (the session manager saw its first LCP frame): a
    /// later PADR with the same Host-Uniq asks for a new session rather than repeating
    /// this one's. `false` if there is no such session.
    pub fn confirm(&mut self, key: &SessionKey) -> bool {
        match self.sessions.get_mut(key) {
            Some(s) => {
                s.confirmed = true;
                true
            }
            None => false,
        }
    }

    /// End a session from our side: queue a PADT (§5.5) with AC-Name, the session's
    /// Relay-Session-Id and `generic_error` as Generic-Error text, and free the id.
    /// `false` if there is no such session.
    pub fn terminate(&mut self, key: &SessionKey, generic_error: Option<&str>) -> bool {
        let Some(info) = self.sessions.get(key) else {
            return false;
        };
        let Some(ap) = self.ports.get(&key.port).map(|p| p.access) else {
            return false;
        };
        let frame = {
            let mut r = DiscoveryRepr::new(PppoeCode::PADT, key.session_id);
            r.ac_name = Some(self.config.ac_name.as_bytes());
            r.relay_session_id = info.relay_session_id.as_deref();
            r.generic_error = generic_error.map(str::as_bytes);
            build_frame(ap.mac, key.mac, info.vlans, &r)
        };
        self.release(key);
        match frame {
            Ok(f) => match self.queue(key.port, f) {
                Ok(()) => self.stats.padt_sent += 1,
                Err(d) => self.stats.drops.add(d),
            },
            Err(_) => self.stats.drops.add(DropReason::ReplyTooLarge),
        }
        true
    }

    fn frame(&mut self, now: u64, port: u16, frame: &[u8]) -> Result<(), DropReason> {
        let ap = self.ports.get(&port).ok_or(DropReason::UnknownPort)?.access;
        let (l2, r, len) = parse_discovery(frame)?;
        if !is_host_mac(l2.src.0) {
            return Err(DropReason::BadSourceMac);
        }
        let vlans = Vlans { outer: l2.outer_vlan, inner: l2.inner_vlan };
        let sub = Subscriber::new(port, vlans, l2.src.0);
        let to_us = l2.dst.0 == ap.mac;
        match r.code {
            PppoeCode::PADI => {
                self.stats.padi_received += 1;
                if !to_us && !l2.dst.is_broadcast() {
                    return Err(DropReason::NotForUs);
                }
                if len > MAX_PADI_LEN {
                    return Err(DropReason::PadiTooLong);
                }
                self.padi(now, ap, sub, vlans, &r)
            }
            PppoeCode::PADR => {
                self.stats.padr_received += 1;
                if !to_us {
                    return Err(DropReason::NotForUs);
                }
                self.padr(now, ap, sub, vlans, &r)
            }
            PppoeCode::PADT => {
                self.stats.padt_received += 1;
                if !to_us {
                    return Err(DropReason::NotForUs);
                }
                let key = sub.with_session(r.session_id);
                if !self.sessions.contains_key(&key) {
                    return Err(DropReason::UnknownSession);
                }
                self.release(&key);
                let generic_error = r.generic_error.map(text);
                self.events
                    .push_back(ServerEvent::SessionTerminated { key, reason: TerminateReason::Padt { generic_error } });
                Ok(())
            }
            _ => Err(DropReason::UnexpectedCode),
        }
    }

    /// Charge the subscriber's and then the port's bucket.
    fn rate_limit(&mut self, now: u64, sub: &Subscriber) -> Result<(), DropReason> {
        let (k0, k1) = self.limiter_key;
        let mac = sub.mac.iter().fold(0u64, |a, &b| a << 8 | b as u64);
        let place = (sub.port as u64) << 34
            | (sub.outer_vlan.map_or(0, |v| v as u64 | 0x1000)) << 17
            | sub.inner_vlan.map_or(0, |v| v as u64 | 0x1000);
        let h = mix(mix(mac ^ k0) ^ place ^ k1);
        let slot = h as usize & (self.mac_buckets.len() - 1);
        if !self.mac_buckets[slot].take(now, self.config.padi_rate_per_mac) {
            return Err(DropReason::RateLimitedMac);
        }
        let rl = self.config.padi_rate_per_port;
        let p = self.ports.get_mut(&sub.port).ok_or(DropReason::UnknownPort)?;
        if !p.bucket.take(now, rl) {
            return Err(DropReason::RateLimitedPort);
        }
        Ok(())
    }

    /// The configured name `requested` is (the empty one when accepted).
    fn offered(&self, requested: &[u8]) -> Option<&str> {
        if requested.is_empty() {
            return self.config.accept_empty_service.then_some("");
        }
        self.config.service_names.iter().find(|s| s.as_bytes() == requested).map(String::as_str)
    }

    /// RFC 4638 §4: what to answer a PPP-Max-Payload of `requested` with on a port of `mtu`.
    fn agreed_max_payload(&self, requested: Option<u16>, mtu: u16) -> Option<u16> {
        if !self.config.offer_max_payload {
            return None;
        }
        let v = requested?.min(mtu.saturating_sub(PPPOE_OVERHEAD));
        (v > DEFAULT_MRU).then_some(v)
    }

    fn cookie(&self, now: u64, sub: &Subscriber) -> [u8; COOKIE_LEN] {
        self.cookie.issue((now / self.config.cookie_window_ms) as u32, sub)
    }

    fn check_cookie(&self, now: u64, sub: &Subscriber, cookie: &[u8]) -> Result<(), DropReason> {
        // Forged before expired: a made-up cookie from the future is forged.
        let w = self.cookie.verify(sub, cookie)?;
        let current = (now / self.config.cookie_window_ms) as u32;
        if w != current && w != current.wrapping_sub(1) {
            return Err(DropReason::CookieExpired);
        }
        Ok(())
    }

    fn queue(&mut self, port: u16, frame: Vec<u8>) -> Result<(), DropReason> {
        if self.transmit.len() >= self.config.max_queued_frames {
            return Err(DropReason::TxQueueFull);
        }
        self.transmit.push_back((port, frame));
        Ok(())
    }

    /// Build a reply to `sub` that must fit the port MTU.
    fn reply_frame(
        ap: AccessPort,
        sub: &Subscriber,
        vlans: Vlans,
        r: &DiscoveryRepr<'_>,
    ) -> Result<Vec<u8>, DropReason> {
        if r.buffer_len() > ap.mtu as usize {
            return Err(DropReason::ReplyTooLarge);
        }
        build_frame(ap.mac, sub.mac, vlans, r).map_err(|_| DropReason::ReplyTooLarge)
    }

    fn padi(
        &mut self,
        now: u64,
        ap: AccessPort,
        sub: Subscriber,
        vlans: Vlans,
        padi: &DiscoveryRepr<'_>,
    ) -> Result<(), DropReason> {
        // Exactly one Service-Name: DiscoveryRepr::parse checked (§5.1).
        let requested = padi.service_names[0];
        if self.offered(requested).is_none() {
            return Err(DropReason::ServiceNotOffered);
        }
        self.rate_limit(now, &sub)?;
        let cookie = self.cookie(now, &sub);
        let frame = {
            let mut r = DiscoveryRepr::new(PppoeCode::PADO, 0);
            // §5.2: the Service-Name of the PADI, then the others offered.
            r.service_names.push(requested);
            for s in &self.config.service_names {
                if s.as_bytes() != requested {
                    r.service_names.push(s.as_bytes());
                }
            }
            r.ac_name = Some(self.config.ac_name.as_bytes());
            r.host_uniq = padi.host_uniq;
            r.ac_cookie = Some(&cookie);
            r.relay_session_id = padi.relay_session_id;
            r.ppp_max_payload = self.agreed_max_payload(padi.ppp_max_payload, ap.mtu);
            Self::reply_frame(ap, &sub, vlans, &r)?
        };
        self.queue(sub.port, frame)?;
        self.stats.pado_sent += 1;
        Ok(())
    }

    fn padr(
        &mut self,
        now: u64,
        ap: AccessPort,
        sub: Subscriber,
        vlans: Vlans,
        padr: &DiscoveryRepr<'_>,
    ) -> Result<(), DropReason> {
        let Some(cookie) = padr.ac_cookie else {
            // Appendix A: the host MUST return our cookie; without one nothing can be
            // verified. Say so, at the price of a PADI.
            self.rate_limit(now, &sub)?;
            return self.refuse(ap, &sub, vlans, padr, PadsError::Generic, "PADR without AC-Cookie");
        };
        self.check_cookie(now, &sub, cookie)?;
        // Exactly one Service-Name (§5.3), checked by DiscoveryRepr::parse.
        let requested = padr.service_names[0];
        let Some(service) = self.offered(requested).map(str::to_string) else {
            return self.refuse(ap, &sub, vlans, padr, PadsError::ServiceName, "service not offered");
        };
        let held: &[u16] = self.by_subscriber.get(&sub).map_or(&[], Vec::as_slice);
        let again = held.iter().copied().find(|&id| {
            self.sessions
                .get(&sub.with_session(id))
                .is_some_and(|s| !s.confirmed && s.host_uniq.as_deref() == padr.host_uniq && s.service == service)
        });
        if let Some(id) = again {
            let key = sub.with_session(id);
            if let Some(s) = self.sessions.get_mut(&key) {
                // Appendix A: echo this PADR's Relay-Session-Id; a PADT follows it too.
                s.relay_session_id = padr.relay_session_id.map(<[u8]>::to_vec);
            }
            let frame = self.pads_frame(ap, &key)?;
            self.queue(sub.port, frame)?;
            self.stats.pads_resent += 1;
            return Ok(());
        }
        if self.sessions.len() >= self.config.max_sessions {
            return self.refuse(ap, &sub, vlans, padr, PadsError::AcSystem, "session limit reached");
        }
        if held.len() >= self.config.max_sessions_per_mac {
            return self.refuse(ap, &sub, vlans, padr, PadsError::AcSystem, "too many sessions for this MAC");
        }
        let Some(id) = self.ids.allocate(held) else {
            return self.refuse(ap, &sub, vlans, padr, PadsError::AcSystem, "no session id left");
        };
        let key = sub.with_session(id);
        let info = SessionInfo {
            vlans,
            service,
            host_uniq: padr.host_uniq.map(<[u8]>::to_vec),
            relay_session_id: padr.relay_session_id.map(<[u8]>::to_vec),
            max_payload: self.agreed_max_payload(padr.ppp_max_payload, ap.mtu),
            granted_at: now,
            confirmed: false,
        };
        self.sessions.insert(key, info.clone());
        self.by_subscriber.entry(sub).or_default().push(id);
        let frame = match self.pads_frame(ap, &key) {
            Ok(f) => f,
            Err(e) => {
                self.release(&key);
                return Err(e);
            }
        };
        self.events.push_back(ServerEvent::SessionRequested {
            key,
            vlans,
            service: info.service,
            host_uniq: info.host_uniq,
            max_payload: info.max_payload,
            relay_session_id: info.relay_session_id,
            vendor_specific: padr.vendor_specific.iter().map(|v| (v.vendor_id, v.data.to_vec())).collect(),
        });
        self.stats.pads_sent += 1;
        // A full queue loses this PADS like the link would; the host's retransmitted PADR
        // gets it again.
        self.queue(sub.port, frame)
    }

    /// The PADS of a granted session (§5.4).
    fn pads_frame(&self, ap: AccessPort, key: &SessionKey) -> Result<Vec<u8>, DropReason> {
        let s = self.sessions.get(key).ok_or(DropReason::UnknownSession)?;
        let mut r = DiscoveryRepr::new(PppoeCode::PADS, key.session_id);
        r.service_names.push(s.service.as_bytes());
        r.host_uniq = s.host_uniq.as_deref();
        r.relay_session_id = s.relay_session_id.as_deref();
        r.ppp_max_payload = s.max_payload;
        Self::reply_frame(ap, &key.subscriber(), s.vlans, &r)
    }

    /// A PADS with SESSION_ID 0 and an error tag (§5.4).
    fn refuse(
        &mut self,
        ap: AccessPort,
        sub: &Subscriber,
        vlans: Vlans,
        padr: &DiscoveryRepr<'_>,
        error: PadsError,
        message: &str,
    ) -> Result<(), DropReason> {
        let mut r = DiscoveryRepr::new(PppoeCode::PADS, 0);
        r.service_names.push(padr.service_names[0]);
        r.host_uniq = padr.host_uniq;
        r.relay_session_id = padr.relay_session_id;
        let m = Some(message.as_bytes());
        match error {
            PadsError::ServiceName => r.service_name_error = m,
            PadsError::AcSystem => r.ac_system_error = m,
            PadsError::Generic => r.generic_error = m,
        }
        let frame = Self::reply_frame(ap, sub, vlans, &r)?;
        self.queue(sub.port, frame)?;
        match error {
            PadsError::ServiceName => self.stats.pads_service_name_error += 1,
            PadsError::AcSystem => self.stats.pads_ac_system_error += 1,
            PadsError::Generic => self.stats.pads_generic_error += 1,
        }
        Ok(())
    }

    fn release(&mut self, key: &SessionKey) {
        if self.sessions.remove(key).is_none() {
            return;
        }
        let sub = key.subscriber();
        if let Some(ids) = self.by_subscriber.get_mut(&sub) {
            ids.retain(|&i| i != key.session_id);
            if ids.is_empty() {
                self.by_subscriber.remove(&sub);
            }
        }
        self.ids.release(key.session_id);
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ClientConfig, DiscoveryClient, MIN_FRAME};
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123";
    const AC: Mac = [0x02, 0xac, 0, 0, 0, 1];
    const HOST: Mac = [0x02, 0, 0, 0, 0, 7];

    fn server(f: impl FnOnce(&mut ServerConfig)) -> DiscoveryServer {
        let mut c = ServerConfig::new("dpvpn", SECRET);
        c.service_names = vec!["internet".into()];
        f(&mut c);
        let mut s = DiscoveryServer::new(c).unwrap();
        s.add_port(0, AccessPort { mac: AC, mtu: 1500 });
        s
    }

    fn padi(src: Mac, service: &[u8]) -> Vec<u8> {
        let mut r = DiscoveryRepr::new(PppoeCode::PADI, 0);
        r.service_names.push(service);
        r.host_uniq = Some(b"hu");
        build_frame(src, [0xff; 6], Vlans::NONE, &r).unwrap()
    }

    /// The cookie's bytes against Python's `hmac` (another HMAC-MD5): W ‖ HMAC-MD5(secret,
    /// label ‖ W ‖ port ‖ outer VID ‖ inner VID ‖ MAC), each VID behind a presence byte.
    /// Made with:
    /// `m = b"dpvpn PPPoE AC-Cookie v1" + struct.pack(">IH", w, port) + b"\x01" +
    /// struct.pack(">H", vid)` (or `b"\0\0\0"` for no tag, per tag) `+ bytes(mac)`;
    /// `struct.pack(">I", w) + hmac.new(secret, m, hashlib.md5).digest()`.
    #[test]
    fn cookie_bytes_match_another_hmac() {
        let s = server(|_| {});
        let hex = |c: [u8; COOKIE_LEN]| c.iter().map(|b| format!("{b:02x}")).collect::<String>();
        let dot1q = Subscriber::new(0, Vlans::dot1q(100), HOST);
        assert_eq!(hex(s.cookie(5_000, &dot1q)), "000000005113c9d091c630f4dd076d457bc079f8");
        let qinq = Subscriber::new(3, Vlans::qinq(200, 300), HOST);
        assert_eq!(hex(s.cookie(7 * 60_000 + 1, &qinq)), "00000007be47c9b088ccaa8618252938bada72f0");
        let untagged = Subscriber::new(1, Vlans::NONE, [2, 0, 0, 0, 0, 8]);
        assert_eq!(hex(s.cookie(60_000, &untagged)), "000000012d081a30ac5021960bb6a4e59ea8efd5");
    }

    #[test]
    fn cookie_binds_subscriber_and_window() {
        let s = server(|_| {});
        let a = Subscriber::new(0, Vlans::dot1q(100), HOST);
        let c = s.cookie(5_000, &a);
        assert_eq!(s.check_cookie(5_000, &a, &c), Ok(()));
        // Next window still good, the one after not.
        assert_eq!(s.check_cookie(65_000, &a, &c), Ok(()));
        assert_eq!(s.check_cookie(125_000, &a, &c), Err(DropReason::CookieExpired));
        for other in [
            Subscriber::new(0, Vlans::dot1q(101), HOST),
            Subscriber::new(1, Vlans::dot1q(100), HOST),
            Subscriber::new(0, Vlans::NONE, HOST),
            Subscriber::new(0, Vlans::dot1q(100), [2, 0, 0, 0, 0, 8]),
        ] {
            assert_eq!(s.check_cookie(5_000, &other, &c), Err(DropReason::CookieForged));
        }
        let mut bad = c;
        bad[19] ^= 1;
        assert_eq!(s.check_cookie(5_000, &a, &bad), Err(DropReason::CookieForged));
        assert_eq!(s.check_cookie(5_000, &a, &c[..19]), Err(DropReason::CookieForged));
        // A window from the future with a forged tag is forged, not expired.
        let mut future = c;
        future[..4].copy_from_slice(&9u32.to_be_bytes());
        assert_eq!(s.check_cookie(5_000, &a, &future), Err(DropReason::CookieForged));
    }

    #[test]
    fn token_bucket_refills_in_virtual_time() {
        let rl = RateLimit { per_second: 10, burst: 3 };
        let mut b = TokenBucket::full(rl);
        assert!((0..3).all(|_| b.take(1000, rl)));
        assert!(!b.take(1000, rl));
        assert!(!b.take(1099, rl));
        assert!(b.take(1100, rl));
        assert!(!b.take(1100, rl));
        // A long pause refills to the burst, no more.
        assert_eq!((0..10).filter(|_| b.take(100_000, rl)).count(), 3);
        // Time going backwards refills nothing.
        assert!(!b.take(50_000, rl));
    }

    #[test]
    fn session_ids_fifo_then_shared() {
        let mut ids = SessionIds::new();
        let a = ids.allocate(&[]).unwrap();
        let b = ids.allocate(&[]).unwrap();
        assert_eq!((a, b), (1, 2));
        ids.release(a);
        // The released id goes to the back of the queue.
        assert_eq!(ids.allocate(&[]), Some(3));
        let mut all = vec![b, 3];
        while let Some(id) = ids.allocate(&[]) {
            assert!(id != 0 && id != 0xffff);
            all.push(id);
            if ids.free.is_empty() {
                break;
            }
        }
        assert_eq!(all.len(), 65534 - 1 + 1 - 1 + 1);
        // Exhausted: shared ids, never one the subscriber holds.
        let taken = [1u16, 2, 3];
        for _ in 0..10 {
            let id = ids.allocate(&taken).unwrap();
            assert!(!taken.contains(&id) && id != 0 && id != 0xffff);
        }
    }

    #[test]
    fn config_errors_name_the_key() {
        let bad = |f: fn(&mut ServerConfig)| {
            let mut c = ServerConfig::new("ac", SECRET);
            f(&mut c);
            DiscoveryServer::new(c).err().unwrap()
        };
        assert_eq!(bad(|c| c.cookie_secret = b"short".to_vec()).key, "cookie_secret");
        assert_eq!(bad(|c| c.ac_name.clear()).key, "ac_name");
        assert_eq!(bad(|c| c.service_names = vec!["a".into(), "a".into()]).key, "service_names");
        assert_eq!(bad(|c| c.accept_empty_service = false).key, "service_names");
        assert_eq!(bad(|c| c.limiter_slots = 1000).key, "limiter_slots");
        let e = bad(|c| c.padi_rate_per_mac.burst = 0);
        assert_eq!(e.to_string(), "PPPoE discovery: padi_rate_per_mac: per_second and burst must be at least 1");
    }

    #[test]
    fn padi_gets_pado_with_cookie() {
        let mut s = server(|_| {});
        s.handle_frame(1000, 0, &padi(HOST, b"internet"));
        let (port, f) = s.poll_transmit().unwrap();
        assert_eq!(port, 0);
        assert!(f.len() >= MIN_FRAME);
        let (l2, r, _) = parse_discovery(&f).unwrap();
        assert_eq!((l2.src.0, l2.dst.0), (AC, HOST));
        assert_eq!(r.code, PppoeCode::PADO);
        assert_eq!(r.service_names.as_slice(), &[b"internet".as_slice()]);
        assert_eq!(r.ac_name, Some(b"dpvpn".as_slice()));
        assert_eq!(r.host_uniq, Some(b"hu".as_slice()));
        assert_eq!(r.ac_cookie.map(<[u8]>::len), Some(COOKIE_LEN));
        assert!(s.poll_transmit().is_none());
        // Not offered: no PADO (§5.2).
        s.handle_frame(1000, 0, &padi(HOST, b"voip"));
        assert!(s.poll_transmit().is_none());
        assert_eq!(s.stats().drops.get(DropReason::ServiceNotOffered), 1);
    }

    #[test]
    fn garbage_is_counted_not_fatal() {
        let mut s = server(|_| {});
        let mut c = DiscoveryClient::new(ClientConfig::new(0, HOST));
        c.start(0);
        let good = padi(HOST, b"internet");
        for n in 0..good.len() {
            s.handle_frame(0, 0, &good[..n]);
            c.handle_frame(0, 0, &good[..n]);
        }
        let mut x: u64 = 1;
        for _ in 0..20_000 {
            let mut f = good.clone();
            for _ in 0..3 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let i = (x as usize >> 8) % f.len();
                f[i] = x as u8;
            }
            s.handle_frame(0, 0, &f);
            c.handle_frame(0, 0, &f);
            while s.poll_transmit().is_some() {}
        }
        assert!(s.stats().drops.total() > 0);
        assert!(s.is_empty());
    }
}
