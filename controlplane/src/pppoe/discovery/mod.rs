//! The PPPoE discovery stage (RFC 2516 §5, §7; RFC 4638 §4) as sans-IO machines: the
//! access concentrator ([`DiscoveryServer`]) and the host ([`DiscoveryClient`], one per
//! emulated subscriber, driven by the subscriber emulator and load generator in `perf/`).
//!
//! Both are fed whole Ethernet frames (tags included) with the port they arrived on, and
//! the time: `now` is monotonic milliseconds (`u64`), as everywhere in the control
//! plane; nothing here reads a clock, opens a socket or draws randomness (the cookie
//! secret comes from the caller). They are polled for frames to send
//! ([`DiscoveryServer::poll_transmit`]: `(port, frame)`), for their next deadline and for
//! events. Frames and tags are read and written with `dataplane::wire` (`parse_l2` /
//! `emit_l2`, `DiscoveryRepr`); what `DiscoveryRepr::parse` already refuses (see its
//! module documentation) never reaches the rules of `server.rs` and `client.rs`.
//!
//! | file | what |
//! |---|---|
//! | `server.rs` | the access concentrator: [`DiscoveryServer`], its configuration, rate limits and session ids |
//! | `client.rs` | the host: [`DiscoveryClient`], one per emulated subscriber |
//! | `cookie.rs` | the AC-Cookie that keeps the server stateless until a PADR proves its sender |
//! | `mod.rs` | what both roles share: who a subscriber is ([`Subscriber`], [`SessionKey`], [`Vlans`]), drop reasons and counters, reading and building discovery frames |
//!
//! Not supported: the RFC 5578 credit extensions (PADG/PADC/PADQ), RFC 4937 PADM/PADN, a
//! host choosing among several PADOs by anything but arrival order and AC-Name, TR-101
//! Vendor-Specific sub-options (the server hands Vendor-Specific tags to the session
//! manager as bytes).

use std::fmt;

use dataplane::wire::pppoe::{DiscoveryRepr, PppoePacket, HEADER_LEN as PPPOE_HEADER_LEN};
use dataplane::wire::{emit_l2, parse_l2, Error as WireError, EtherType, EthernetAddress, L2Header, VlanTag};

mod client;
mod cookie;
mod server;

pub use self::client::{ClientConfig, ClientEvent, ClientPhase, DiscoveryClient, FailReason};
pub use self::cookie::COOKIE_LEN;
pub use self::server::{
    AccessPort, ConfigError, DiscoveryServer, Footprint, RateLimit, ServerConfig, ServerEvent, SessionInfo,
    TerminateReason,
};

/// A MAC-48 address.
pub type Mac = [u8; 6];

/// Ethernet frames shorter than this (FCS not counted) are padded (IEEE 802.3 §3.2.8):
/// not every NIC pads what it sends.
const MIN_FRAME: usize = 60;
/// PPPoE header (6) and PPP protocol field (2): what a port's MTU loses to a PPP payload
/// (RFC 4638 §4; 1500 − 8 = 1492, RFC 2516 §7).
const PPPOE_OVERHEAD: u16 = 8;

// ---- identity ----

/// The VLAN tags of a subscriber's frames, as they came (TPID, PCP, DEI, VID).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Vlans {
    pub outer: Option<VlanTag>,
    pub inner: Option<VlanTag>,
}

impl Vlans {
    /// Untagged.
    pub const NONE: Vlans = Vlans { outer: None, inner: None };

    /// One 802.1Q tag (TPID 0x8100, PCP 0).
    pub fn dot1q(vid: u16) -> Vlans {
        Vlans { outer: Some(tag(EtherType::VLAN, vid)), inner: None }
    }

    /// An 802.1ad S-tag (TPID 0x88a8) over a C-tag (0x8100), PCP 0.
    pub fn qinq(s_vid: u16, c_vid: u16) -> Vlans {
        Vlans { outer: Some(tag(EtherType::QINQ, s_vid)), inner: Some(tag(EtherType::VLAN, c_vid)) }
    }

    /// The VIDs, as the session key holds them.
    pub fn vids(&self) -> (Option<u16>, Option<u16>) {
        (self.outer.map(|t| t.vid), self.inner.map(|t| t.vid))
    }
}

fn tag(tpid: EtherType, vid: u16) -> VlanTag {
    VlanTag { tpid, pcp: 0, dei: false, vid }
}

/// Who a subscriber is on an access link: the port, the VLANs and the MAC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Subscriber {
    pub port: u16,
    pub outer_vlan: Option<u16>,
    pub inner_vlan: Option<u16>,
    pub mac: Mac,
}

impl Subscriber {
    pub fn new(port: u16, vlans: Vlans, mac: Mac) -> Subscriber {
        let (outer_vlan, inner_vlan) = vlans.vids();
        Subscriber { port, outer_vlan, inner_vlan, mac }
    }

    pub fn with_session(self, session_id: u16) -> SessionKey {
        SessionKey {
            port: self.port,
            outer_vlan: self.outer_vlan,
            inner_vlan: self.inner_vlan,
            mac: self.mac,
            session_id,
        }
    }
}

/// A PPPoE session: the subscriber and its SESSION_ID, the data plane's PPPoE index key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionKey {
    pub port: u16,
    pub outer_vlan: Option<u16>,
    pub inner_vlan: Option<u16>,
    pub mac: Mac,
    pub session_id: u16,
}

impl SessionKey {
    pub fn subscriber(&self) -> Subscriber {
        Subscriber { port: self.port, outer_vlan: self.outer_vlan, inner_vlan: self.inner_vlan, mac: self.mac }
    }
}

impl fmt::Display for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "port {}", self.port)?;
        match (self.outer_vlan, self.inner_vlan) {
            (Some(o), Some(i)) => write!(f, " vlan {o}.{i}")?,
            (Some(o), None) => write!(f, " vlan {o}")?,
            _ => {}
        }
        write!(f, " mac {} session {:#06x}", EthernetAddress(self.mac), self.session_id)
    }
}

// ---- counters ----

/// Why a received frame was dropped without (the reply it asked for).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// Shorter than an Ethernet header, or bad VLAN tags (`parse_l2`).
    BadEthernet,
    /// The EtherType after the tags is not 0x8863.
    NotDiscovery,
    /// The PPPoE header: truncated, VER/TYPE not 1, LENGTH past the frame (§4).
    BadHeader,
    /// CODE is not PADI, PADO, PADR, PADS or PADT.
    UnknownCode,
    /// A tag the code requires is missing (e.g. Service-Name in a PADI, §5.1).
    MissingTag,
    /// A tag that may appear once appears again.
    DuplicateTag,
    /// A tag value, or SESSION_ID, that the code does not allow.
    BadTagValue,
    /// A tag runs past LENGTH.
    TruncatedTag,
    /// More tags of a kind than the parser holds.
    TooManyTags,
    /// The frame came in on a port we were not told about (server) or not ours (host).
    UnknownPort,
    /// The source MAC is multicast, broadcast or zero.
    BadSourceMac,
    /// Not addressed to us (a PADI may also be broadcast).
    NotForUs,
    /// A code this role does not take (PADO or PADS at the AC; PADI or PADR at a host).
    UnexpectedCode,
    /// A PADI longer than 1484 bytes (§5.1).
    PadiTooLong,
    /// A PADI for a Service-Name we do not offer: no PADO (§5.2).
    ServiceNotOffered,
    /// The port's PADI bucket is empty.
    RateLimitedPort,
    /// The subscriber's PADI bucket is empty.
    RateLimitedMac,
    /// An AC-Cookie that does not verify: made up, or from another MAC, port or VLAN.
    CookieForged,
    /// An AC-Cookie from a window before the previous one.
    CookieExpired,
    /// A PADT for a session the sender does not have.
    UnknownSession,
    /// The reply would not fit the port MTU or a PPPoE LENGTH.
    ReplyTooLarge,
    /// The transmit queue was full; the reply was not queued.
    TxQueueFull,
    /// Host: tagged with other VLANs than ours.
    WrongVlan,
    /// Host: a Host-Uniq other than ours (or one when we sent none).
    HostUniqMismatch,
    /// Host: a code that does not fit the state (a PADO after we chose, a PADS while not
    /// requesting, a PADT before a session, a second PADS).
    NotExpected,
    /// Host: a PADO that does not offer our Service-Name, is not from our AC-Name, or
    /// carries an error tag.
    OfferRejected,
    /// Host: a PADS or PADT from another MAC than the AC we chose, or for another session.
    NotFromOurAc,
}

impl DropReason {
    pub const ALL: [DropReason; 27] = [
        DropReason::BadEthernet,
        DropReason::NotDiscovery,
        DropReason::BadHeader,
        DropReason::UnknownCode,
        DropReason::MissingTag,
        DropReason::DuplicateTag,
        DropReason::BadTagValue,
        DropReason::TruncatedTag,
        DropReason::TooManyTags,
        DropReason::UnknownPort,
        DropReason::BadSourceMac,
        DropReason::NotForUs,
        DropReason::UnexpectedCode,
        DropReason::PadiTooLong,
        DropReason::ServiceNotOffered,
        DropReason::RateLimitedPort,
        DropReason::RateLimitedMac,
        DropReason::CookieForged,
        DropReason::CookieExpired,
        DropReason::UnknownSession,
        DropReason::ReplyTooLarge,
        DropReason::TxQueueFull,
        DropReason::WrongVlan,
        DropReason::HostUniqMismatch,
        DropReason::NotExpected,
        DropReason::OfferRejected,
        DropReason::NotFromOurAc,
    ];

    /// A metric label.
    pub fn name(self) -> &'static str {
        match self {
            DropReason::BadEthernet => "bad_ethernet",
            DropReason::NotDiscovery => "not_discovery",
            DropReason::BadHeader => "bad_header",
            DropReason::UnknownCode => "unknown_code",
            DropReason::MissingTag => "missing_tag",
            DropReason::DuplicateTag => "duplicate_tag",
            DropReason::BadTagValue => "bad_tag_value",
            DropReason::TruncatedTag => "truncated_tag",
            DropReason::TooManyTags => "too_many_tags",
            DropReason::UnknownPort => "unknown_port",
            DropReason::BadSourceMac => "bad_source_mac",
            DropReason::NotForUs => "not_for_us",
            DropReason::UnexpectedCode => "unexpected_code",
            DropReason::PadiTooLong => "padi_too_long",
            DropReason::ServiceNotOffered => "service_not_offered",
            DropReason::RateLimitedPort => "rate_limited_port",
            DropReason::RateLimitedMac => "rate_limited_mac",
            DropReason::CookieForged => "cookie_forged",
            DropReason::CookieExpired => "cookie_expired",
            DropReason::UnknownSession => "unknown_session",
            DropReason::ReplyTooLarge => "reply_too_large",
            DropReason::TxQueueFull => "tx_queue_full",
            DropReason::WrongVlan => "wrong_vlan",
            DropReason::HostUniqMismatch => "host_uniq_mismatch",
            DropReason::NotExpected => "not_expected",
            DropReason::OfferRejected => "offer_rejected",
            DropReason::NotFromOurAc => "not_from_our_ac",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// What `DiscoveryRepr::parse` refused, as a counter.
    fn from_wire(e: WireError) -> DropReason {
        match e {
            WireError::UnknownType => DropReason::UnknownCode,
            WireError::MissingField => DropReason::MissingTag,
            WireError::DuplicateField => DropReason::DuplicateTag,
            WireError::Truncated => DropReason::TruncatedTag,
            WireError::TooMany => DropReason::TooManyTags,
            WireError::BadVersion | WireError::BadLength => DropReason::BadHeader,
            _ => DropReason::BadTagValue,
        }
    }
}

/// Dropped frames per [`DropReason`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Drops([u64; DropReason::ALL.len()]);

impl Drops {
    pub fn get(&self, r: DropReason) -> u64 {
        self.0[r.index()]
    }
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }
    /// Every reason with its count, zeros included, in [`DropReason::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (DropReason, u64)> + '_ {
        DropReason::ALL.iter().map(|&r| (r, self.get(r)))
    }
    fn add(&mut self, r: DropReason) {
        self.0[r.index()] += 1;
    }
}

/// What the access concentrator received, sent and dropped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerStats {
    pub padi_received: u64,
    pub pado_sent: u64,
    pub padr_received: u64,
    /// PADSes that granted a new session.
    pub pads_sent: u64,
    /// PADSes sent again for a retransmitted PADR.
    pub pads_resent: u64,
    pub pads_service_name_error: u64,
    pub pads_ac_system_error: u64,
    pub pads_generic_error: u64,
    pub padt_received: u64,
    pub padt_sent: u64,
    pub drops: Drops,
}

/// What a host received, sent and dropped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientStats {
    pub padi_sent: u64,
    pub pado_received: u64,
    pub padr_sent: u64,
    pub pads_received: u64,
    pub padt_received: u64,
    pub padt_sent: u64,
    pub drops: Drops,
}

// ---- frames ----

/// Read a discovery frame: Ethernet and tags, the PPPoE message, and its length (header
/// included, padding left out).
fn parse_discovery(frame: &[u8]) -> Result<(L2Header, DiscoveryRepr<'_>, usize), DropReason> {
    let l2 = parse_l2(frame).map_err(|_| DropReason::BadEthernet)?;
    if l2.ethertype != EtherType::PPPOE_DISCOVERY {
        return Err(DropReason::NotDiscovery);
    }
    let rest = frame.get(l2.header_len..).ok_or(DropReason::BadEthernet)?;
    let p = PppoePacket::new_checked(rest).map_err(|_| DropReason::BadHeader)?;
    let len = PPPOE_HEADER_LEN + p.len() as usize;
    let r = DiscoveryRepr::parse(&p).map_err(DropReason::from_wire)?;
    Ok((l2, r, len))
}

/// An Ethernet frame (tags as given) carrying `r`, padded to 60 bytes.
fn build_frame(src: Mac, dst: Mac, vlans: Vlans, r: &DiscoveryRepr<'_>) -> Result<Vec<u8>, WireError> {
    let l2 = L2Header {
        dst: EthernetAddress(dst),
        src: EthernetAddress(src),
        outer_vlan: vlans.outer,
        inner_vlan: vlans.inner,
        ethertype: EtherType::PPPOE_DISCOVERY,
        header_len: 0,
    };
    let tags = vlans.outer.is_some() as usize + vlans.inner.is_some() as usize;
    let len = 14 + 4 * tags + r.buffer_len();
    let mut buf = vec![0u8; len.max(MIN_FRAME)];
    let n = emit_l2(&l2, &mut buf)?;
    r.emit(&mut buf[n..])?;
    Ok(buf)
}

fn is_host_mac(m: Mac) -> bool {
    m[0] & 1 == 0 && m != [0; 6]
}

/// Error tag text for events and logs (UTF-8 by Appendix A's SHOULD; anything else is
/// shown lossily).
fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A fast keyed mix (the murmur3 finaliser) to spread subscribers over limiter slots.
/// Not a MAC: an attacker who could steer collisions only shares a bucket with a victim,
/// and the key keeps them from knowing which.
fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}
