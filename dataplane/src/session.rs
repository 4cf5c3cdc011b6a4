//! Subscriber sessions, whatever carries them: one two-cache-line record per session (a
//! hot part and an encapsulation template with patch descriptors), the indices that find
//! a session from an upstream frame, per-worker session counters, and [`patch`] /
//! [`frame_control`], the one framing code that workers and the control core use to send
//! through a session's template.
//!
//! A session is an index into a fixed slab sized at start-up. The FIB points a
//! subscriber's /32 (and framed routes) at it: FIB values from [`FIB_SESSION_BASE`] up
//! are session indices, so downstream is one FIB lookup and one record load.
//!
//! ## The record
//!
//! ```text
//!  byte 0                               64                    96                  128
//!  |<------------- template area: 96 bytes, the template right-aligned ------------->|<--- hot part --->|
//!  | line 0: only templates over 32 B     | PPPoE template ≤ 32 B |state ip4 link patches|
//!  | (word 0: GRE seq/ack of a PPTP call) |<------------------ line 1 ------------------>|
//! ```
//!
//! A record is 128 bytes, two cache lines. The hot part (bytes 96..128) is what a worker
//! reads for every packet: the state word (live, flags, kind, template length,
//! generation), the IPv4 word (subscriber address, MRU, MSS clamp), the link word
//! (egress port, our LCP magic) and the patch word ([`Patches`]). The template ends where
//! the hot part starts, so a PPPoE template (at most 30 bytes: Ethernet, two VLAN tags,
//! PPPoE, PPP protocol) shares line 1 with the hot words and a PPPoE packet touches one
//! record line each way, as with the one-line records before. Longer templates reach back
//! into line 0: QinQ + IPv4 + UDP + L2TP + PPP is 22+20+8+16+4 = 70 bytes, QinQ + IPv4 +
//! enhanced GRE + PPP 22+20+16+4 = 62; the area takes up to [`MAX_TEMPLATE`] = 96 (L2TP
//! with every optional header field and an offset pad).
//!
//! ## Templates and patches
//!
//! A [`Template`] is the finished downstream header, built by the carrier's module on the
//! control core (PPPoE: `controlplane::pppoe::template`), ending with the PPP Protocol
//! field (two bytes, uncompressed: always legal to send, RFC 1661 §6.5, and the worker
//! writes the protocol there), plus [`Patches`]: where the per-packet fields are. Each
//! patch is an offset into the template; the length fields get their value from the frame
//! length, so one rule serves every carrier:
//!
//! | patch | field(s) | value |
//! |---|---|---|
//! | `ipv4` | Total Length (+2), Header Checksum (+10) (RFC 791 §3.1) | frame − offset; checksum updated from the template's (RFC 1624) |
//! | `udp` | Length (+4), and with `udp_checksum` the Checksum (+6) (RFC 768) | frame − offset |
//! | `l2tp` | Length (+2), the L bit set (RFC 2661 §3.1) | frame − offset |
//! | `gre` | Payload Length (+4), Sequence Number, Acknowledgment Number (RFC 2637 §4.1) | frame − end of GRE header; [`GreNumbers`] |
//! | `pppoe` | LENGTH (+4) (RFC 2516 §4) | frame − offset − 6 |
//!
//! [`Template::new`] checks that every patched header lies inside the template and zeroes
//! the fields it patches, with the IPv4 checksum recomputed over a zero Total Length, so
//! the per-packet IPv4 checksum is one incremental update. The outer IPv4 header's
//! Identification is the template's for every packet: a template sets DF (RFC 6864 §4.1:
//! the ID of an atomic datagram has no meaning). UDP checksums are on by default for L2TP
//! (RFC 2661 §8.1: "MUST be enabled" by default, "MAY" be disabled for data messages):
//! with `udp_checksum` the checksum is computed over the whole datagram, else left zero
//! (RFC 768: none). L2TP Ns/Nr (S bit, §5.4) are sent as the template has them: a carrier
//! that sequences data messages adds an Ns patch backed by a shared word, like GRE's.
//!
//! ## Many workers, one session (ARCHITECTURE.md)
//!
//! Every word of a record is written by the control core only, with one exception: the
//! GRE sequence and acknowledgement numbers of a PPTP call, which every worker that sends
//! to the call and the control core (its LCP) advance. They are one `AtomicU64` in record
//! word 0, sequence number in the high half, acknowledgement in the low half: a sender
//! takes a number with `fetch_add(1 << 32)` ([`SessionTable::take_gre_numbers`]; the
//! carry out of bit 63 is the 32-bit wrap, the low half never changes), and the future
//! PPTP input stage stores the latest sequence number received from the peer in the low
//! half with a compare-exchange loop that keeps the high half
//! ([`SessionTable::acknowledge_gre`]). A template with a GRE patch is therefore at most
//! 88 bytes (a PPTP template is at most 62), so word 0 is never template bytes. Relaxed
//! ordering suffices: the numbers order nothing else. Per-session traffic counters are
//! per worker ([`SessionCounters`]) and summed by readers.
//!
//! ## Indices: from an upstream frame to its session
//!
//! - PPPoE: `PppoeIndex`, a hash keyed by (port, outer VLAN, inner VLAN, peer MAC,
//!   PPPoE session id): RFC 2516 §4 makes a session id unique only per pair of MACs, so a
//!   concentrator with more than 65535 subscribers needs the MAC (and the port and VLANs,
//!   for subscribers behind different access links) in the key.
//! - L2TP: `L2tpIndex`, an array indexed by OUR session id (we allocate it, unique over
//!   all our tunnels), the tunnel id checked after the lookup.
//! - PPTP: `PptpIndex`, an array indexed by OUR call id, the peer's address checked
//!   after the lookup.
//!
//! Ids index arrays of `min(capacity + 1, 65536)` entries, allocated with the carrier's
//! first session: the carrier allocates its ids below that bound.
//!
//! ## Update protocol (one writer, the control core; many readers, the workers)
//!
//! - a record is filled while it is not live (Relaxed stores), then published by a
//!   Release store of its state word with [`LIVE`]; readers load the state with Acquire
//!   and the other words after it, so a reader that sees LIVE sees a complete record.
//!   Only then is the index entry stored (Release), so a lookup never finds a record that
//!   is not live yet.
//! - fields that change while live (the IPv4 address and MSS when IPCP opens, the
//!   flags) are written before the state word that announces them (Release). A reader
//!   may see a new address with the old flags (harmless: the flag gates its use), never
//!   a flag without its address.
//! - removal clears the state word (Release) and tombstones the index entry; the slot
//!   and the tombstone are reused only after a QSBR grace period, so a reader that found
//!   the session in this loop iteration keeps reading the record it found, unchanged.
//! - per-session counters are per worker ([`SessionCounters`]: each worker writes only
//!   its own array); the control core sums them, and zeroes a slot's counters before it
//!   publishes the slot again (no worker can be touching a slot past its grace period).
//!
//! ## Adding a carrier (L2TP, PPTP)
//!
//! | | L2TP (LNS, LAC's tunnel side) | PPTP |
//! |---|---|---|
//! | key, index | [`SessionKey::L2tp`]: our tunnel id, our session id (unique over tunnels, not 0) | [`SessionKey::Pptp`]: our call id, the PAC's address |
//! | lookup | [`SessionTable::lookup_l2tp`] | [`SessionTable::lookup_pptp`] |
//! | template | Ethernet to the next hop (tags if any), IPv4 (DF), UDP 1701, L2TP data header with L (O/S only if needed), PPP `ff 03 00 21` | Ethernet, IPv4 (DF), enhanced GRE with K, S (and A), PPP `ff 03 00 21` (≤ 88 bytes) |
//! | patches | `ipv4`, `udp` (+ `udp_checksum` unless configured off, RFC 2661 §8.1), `l2tp` | `ipv4`, `gre` |
//! | flags | [`PPP_ADDRESS_CONTROL`] (HDLC-like framing, RFC 1662 §3.1) | [`PPP_ADDRESS_CONTROL`] |
//! | shared state | — (Ns: see above) | GRE numbers: [`SessionTable::take_gre_numbers`] (senders), [`SessionTable::acknowledge_gre`] (input) |
//!
//! 1. The carrier's control-plane module builds the [`Template`] with its [`Patches`]
//!    (as `controlplane::pppoe::template` does for PPPoE) and publishes the session with
//!    [`SessionWriter::add`]; the subscriber manager then opens IPv4 as for PPPoE. The
//!    MRU it publishes must leave room for the template within the egress port's MTU.
//! 2. Its input stage, after `ip4_input` finds UDP 1701 or GRE addressed to us, checks
//!    its own header (UDP checksum; GRE flags, acknowledging the sequence number), finds
//!    the session with its lookup, trims the frame to end with the PPP frame, sets
//!    `Meta::l3` to the PPP header's offset and goes to `Stage::Ppp { index }` (or, fused,
//!    calls `stages::ppp_input` directly), as `pppoe_input` does. Until it exists,
//!    `stages::process_ppp_burst` enters the pipeline at the same point.
//! 3. Downstream needs nothing new: `session_encap` applies the patches of any template
//!    (the FIB routes the subscriber to the session index), `ppp_input` answers LCP echo
//!    through the template, and the control core frames LCP/auth/IPCP with
//!    [`frame_control`] and reads punted frames at the offset the punt header gives.

use core::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::mem::Table;
use crate::rcu::{Deferred, Qsbr};
use crate::wire::checksum;
use crate::wire::ppp::PppProtocol;

/// FIB values at or above this are session indices (`value - FIB_SESSION_BASE`); below
/// it they are adjacency indices. FIB values have 24 bits.
pub const FIB_SESSION_BASE: u32 = 1 << 23;
/// The session a FIB value points at, if it is a session's rather than an adjacency's.
#[inline]
pub const fn fib_session(value: u32) -> Option<u32> {
    if value >= FIB_SESSION_BASE {
        Some(value - FIB_SESSION_BASE)
    } else {
        None
    }
}

/// The FIB value that routes to session `index` (below [`MAX_SESSIONS`]).
#[inline]
pub const fn fib_value(index: u32) -> u32 {
    FIB_SESSION_BASE + index
}

/// Most sessions one table can hold (the FIB value space above the base).
pub const MAX_SESSIONS: u32 = FIB_SESSION_BASE;
/// Longest encapsulation template: QinQ (22) + IPv4 (20) + UDP (8) + L2TP with every
/// optional field and an offset pad + PPP (4) fit; so does QinQ + IPv4 + GRE v1 + PPP.
pub const MAX_TEMPLATE: usize = 96;
/// Template bytes that share the hot part's cache line. A PPPoE template (at most 30
/// bytes) always fits; downstream, a worker copies it as these four words.
pub const SHORT_TEMPLATE: usize = 32;
const TEMPLATE_WORDS: usize = MAX_TEMPLATE / 8;
const SHORT_WORDS: usize = SHORT_TEMPLATE / 8;
/// Longest template with a GRE patch: record word 0 holds the GRE numbers.
const MAX_GRE_TEMPLATE: usize = MAX_TEMPLATE - 8;

/// State word: the session is live.
pub const LIVE: u64 = 1 << 63;
/// IPCP is open: IPv4 from and to this session is forwarded.
pub const IPV4_OPEN: u64 = 1 << 62;
/// Workers answer the subscriber's LCP Echo-Requests themselves.
pub const ECHO_OFFLOAD: u64 = 1 << 61;
/// The session's PPP frames use the HDLC-like framing of RFC 1662 §3.1: they start with
/// the Address/Control pair 0xff 0x03, or omit it under ACFC (RFC 1661 §6.6);
/// `ppp_input` accepts both, as Linux's pppol2tp and pptp do. L2TP and PPTP sessions set
/// it. PPPoE sessions never do: a PPPoE payload has no Address/Control field (RFC 2516
/// §7), so a leading 0xff there is a one-byte Protocol (and punted as the unknown
/// protocol 0x00ff), not an address.
///
/// A one-byte Protocol field (PFC, RFC 1661 §6.5) is accepted on every session, flag or
/// not: an odd first byte cannot be the high byte of a valid protocol, so it is never
/// ambiguous, and RFC 2516 §7 leaves PFC to PPPoE peers (NOT RECOMMENDED, not forbidden;
/// scapy's PPP layer, which the lab's subscriber uses, sends it unasked).
pub const PPP_ADDRESS_CONTROL: u64 = 1 << 60;
/// The template is a PPPoE one of at most [`SHORT_TEMPLATE`] bytes whose only patch is
/// LENGTH, 4 bytes before its end: the downstream fast path's shape. Kept by the writer.
const SHORT_PPPOE: u64 = 1 << 59;
/// Flags a session may be published with or change ([`SessionWriter::set_flags`]).
const SETTABLE_FLAGS: u64 = ECHO_OFFLOAD | PPP_ADDRESS_CONTROL;
const KIND_SHIFT: u32 = 48;
const KIND_MASK: u64 = 0xf << KIND_SHIFT;
const TMPL_LEN_SHIFT: u32 = 40;
const GEN_MASK: u64 = 0xffff_ffff;

/// How a session reaches its subscriber.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum SessionKind {
    /// PPPoE (RFC 2516), found through [`SessionTable::lookup_pppoe`].
    Pppoe = 1,
    /// L2TPv2 data messages over UDP (RFC 2661), found through [`SessionTable::lookup_l2tp`].
    L2tp = 2,
    /// PPTP's enhanced GRE (RFC 2637), found through [`SessionTable::lookup_pptp`].
    Pptp = 3,
}

impl SessionKind {
    #[inline]
    fn from_bits(v: u64) -> Option<SessionKind> {
        match v {
            1 => Some(SessionKind::Pppoe),
            2 => Some(SessionKind::L2tp),
            3 => Some(SessionKind::Pptp),
            _ => None,
        }
    }
}

/// A VLAN on an access link as the PPPoE index keys it: the VID, or none.
pub type Vid = Option<u16>;

/// What a worker reads about a live session: the hot part of its record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Session {
    pub kind: SessionKind,
    pub generation: u32,
    /// [`IPV4_OPEN`], [`ECHO_OFFLOAD`], [`PPP_ADDRESS_CONTROL`].
    pub flags: u64,
    /// The subscriber's address, host order (meaningful with [`IPV4_OPEN`]).
    pub peer_ip: u32,
    /// Largest IPv4 datagram towards the subscriber (the peer's MRU).
    pub mru: u16,
    /// Clamp TCP MSS options on SYNs to this (0: off).
    pub mss: u16,
    /// The port the template's frames leave by.
    pub port: u16,
    /// Our LCP Magic-Number, for Echo-Replies built by a worker.
    pub our_magic: u32,
    pub template_len: u8,
}

impl Session {
    #[inline]
    pub fn ipv4_open(&self) -> bool {
        self.flags & IPV4_OPEN != 0
    }
    #[inline]
    pub fn echo_offload(&self) -> bool {
        self.flags & ECHO_OFFLOAD != 0
    }
    #[inline]
    pub fn ppp_address_control(&self) -> bool {
        self.flags & PPP_ADDRESS_CONTROL != 0
    }
}

// ---- templates and patches ----

/// Where a template's per-packet fields are: each an offset into the template (see the
/// module docs' table), or `None`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Patches {
    /// The outer IPv4 header: Total Length and Header Checksum.
    pub ipv4: Option<u8>,
    /// The UDP header: Length (and the Checksum with `udp_checksum`).
    pub udp: Option<u8>,
    /// Compute the UDP checksum (needs `ipv4` for the pseudo-header), else send zero.
    pub udp_checksum: bool,
    /// The L2TP header (L bit set): Length.
    pub l2tp: Option<u8>,
    /// The enhanced GRE header: Payload Length, and the Sequence / Acknowledgment Numbers
    /// its S / A bits announce.
    pub gre: Option<u8>,
    /// The PPPoE session header: LENGTH.
    pub pppoe: Option<u8>,
}

const PATCH_PRESENT: u64 = 0x80;
const PATCH_UDP_CHECKSUM: u64 = 1 << 40;

impl Patches {
    pub const NONE: Patches = Patches { ipv4: None, udp: None, udp_checksum: false, l2tp: None, gre: None, pppoe: None };

    /// The record's patch word: one byte per patch (0x80 | offset, or 0), flags above.
    fn pack(&self) -> u64 {
        let b = |p: Option<u8>| p.map_or(0, |o| PATCH_PRESENT | (o as u64 & 0x7f));
        b(self.ipv4)
            | b(self.udp) << 8
            | b(self.l2tp) << 16
            | b(self.gre) << 24
            | b(self.pppoe) << 32
            | if self.udp_checksum { PATCH_UDP_CHECKSUM } else { 0 }
    }

    #[inline]
    fn unpack(w: u64) -> Patches {
        let b = |shift: u32| {
            let v = (w >> shift) & 0xff;
            (v & PATCH_PRESENT != 0).then_some((v & 0x7f) as u8)
        };
        Patches { ipv4: b(0), udp: b(8), udp_checksum: w & PATCH_UDP_CHECKSUM != 0, l2tp: b(16), gre: b(24), pppoe: b(32) }
    }
}

/// The GRE Sequence and Acknowledgment Numbers (RFC 2637 §4.1, §4.4) to write into a
/// frame whose template has a GRE patch; ignored otherwise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GreNumbers {
    pub seq: u32,
    pub ack: u32,
}

/// A finished encapsulation template: the downstream header bytes, ending with the
/// two-byte PPP Protocol field, and its [`Patches`]. Built with [`Template::new`], which
/// checks and normalises it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Template {
    bytes: [u8; MAX_TEMPLATE],
    len: u8,
    patches: Patches,
}

impl core::fmt::Debug for Template {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Template").field("bytes", &self.bytes()).field("patches", &self.patches).finish()
    }
}

/// GRE v1 header flags (RFC 2637 §4.1): S (sequence number present) and A (ack present).
const GRE_S: u8 = 0x10;
const GRE_A: u8 = 0x80;

/// Bytes of the enhanced GRE header at `h` (8, plus 4 for each of S and A).
#[inline]
fn gre_header_len(h: &[u8]) -> usize {
    8 + if h[0] & GRE_S != 0 { 4 } else { 0 } + if h[1] & GRE_A != 0 { 4 } else { 0 }
}

impl Template {
    /// A template of `bytes` with `patches`. [`SessionError::BadTemplate`] unless: it has
    /// 2 to [`MAX_TEMPLATE`] bytes (88 with a GRE patch: record word 0 holds the GRE
    /// numbers); every patched header lies inside it before the PPP Protocol field; the
    /// IPv4 header is version 4 with a whole IHL; the L2TP header is a version-2 data
    /// message with the L bit; the GRE header is version 1 with the K bit; a UDP checksum
    /// has an IPv4 header for its pseudo-header. The patched fields are zeroed and the
    /// IPv4 checksum recomputed for a zero Total Length.
    pub fn new(bytes: &[u8], patches: Patches) -> Result<Template, SessionError> {
        let len = bytes.len();
        let max = if patches.gre.is_some() { MAX_GRE_TEMPLATE } else { MAX_TEMPLATE };
        if !(2..=max).contains(&len) {
            return Err(SessionError::BadTemplate);
        }
        let mut t = Template { bytes: [0; MAX_TEMPLATE], len: len as u8, patches };
        t.bytes[..len].copy_from_slice(bytes);
        let end = len - 2;
        let b = &mut t.bytes;
        // Each patched header: its offset and the bytes it needs before the protocol.
        let fits = |o: u8, n: usize| (o as usize) + n <= end;
        if let Some(o) = patches.ipv4 {
            let o = o as usize;
            let ihl = (b.get(o).copied().unwrap_or(0) & 0x0f) as usize * 4;
            if !fits(o as u8, 20) || b[o] >> 4 != 4 || ihl < 20 || o + ihl > end {
                return Err(SessionError::BadTemplate);
            }
            b[o + 2..o + 4].fill(0);
            b[o + 10..o + 12].fill(0);
            let c = checksum::checksum(&b[o..o + ihl]);
            b[o + 10..o + 12].copy_from_slice(&c.to_be_bytes());
        } else if patches.udp_checksum {
            return Err(SessionError::BadTemplate);
        }
        if let Some(o) = patches.udp {
            if !fits(o, 8) {
                return Err(SessionError::BadTemplate);
            }
            b[o as usize + 4..o as usize + 8].fill(0);
        }
        if let Some(o) = patches.l2tp {
            let o = o as usize;
            if !fits(o as u8, 4) {
                return Err(SessionError::BadTemplate);
            }
            let f = u16::from_be_bytes([b[o], b[o + 1]]);
            // RFC 2661 §3.1: T clear (data), L set, version 2.
            if f & 0x8000 != 0 || f & 0x4000 == 0 || f & 0x000f != 2 {
                return Err(SessionError::BadTemplate);
            }
            b[o + 2..o + 4].fill(0);
        }
        if let Some(o) = patches.gre {
            let o = o as usize;
            // RFC 2637 §4.1: K set, version 1.
            if !fits(o as u8, 8) || b[o] & 0x20 == 0 || b[o + 1] & 0x07 != 1 || o + gre_header_len(&b[o..]) > end {
                return Err(SessionError::BadTemplate);
            }
            b[o + 4..o + 6].fill(0);
            let hl = gre_header_len(&b[o..]);
            b[o + 8..o + hl].fill(0);
        }
        if let Some(o) = patches.pppoe {
            if !fits(o, 6) {
                return Err(SessionError::BadTemplate);
            }
            b[o as usize + 4..o as usize + 6].fill(0);
        }
        Ok(t)
    }

    #[inline]
    pub fn bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.len as usize
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    pub fn patches(&self) -> Patches {
        self.patches
    }

    /// A PPPoE template the downstream fast path can write as four words: at most
    /// [`SHORT_TEMPLATE`] bytes, LENGTH its only patch, right before the protocol.
    fn is_short_pppoe(&self) -> bool {
        let l = self.len as usize;
        l <= SHORT_TEMPLATE && self.patches == Patches { pppoe: Some((l - 8) as u8), ..Patches::NONE }
    }
}

/// Fill in the per-packet fields of `frame`, which starts with a template of `patches`
/// (already copied in) and runs to the end of the packet: the lengths from the frame's
/// length, the IPv4 checksum, the UDP checksum when asked, the GRE numbers. The one
/// patching code: `session_encap` and the worker's echo replies call it for every
/// template but the short PPPoE ones (their fast path writes LENGTH itself, and the tests
/// compare the two), [`frame_control`] for the control core's frames.
#[inline]
pub fn patch(frame: &mut [u8], patches: Patches, gre: GreNumbers) {
    let n = frame.len();
    let put16 = |f: &mut [u8], at: usize, v: usize| {
        if let Some(d) = f.get_mut(at..at + 2) {
            d.copy_from_slice(&(v as u16).to_be_bytes());
        }
    };
    if let Some(o) = patches.pppoe {
        put16(frame, o as usize + 4, n.saturating_sub(o as usize + 6));
    }
    if let Some(o) = patches.l2tp {
        put16(frame, o as usize + 2, n.saturating_sub(o as usize));
    }
    if let Some(o) = patches.gre {
        let o = o as usize;
        if let Some(h) = frame.get_mut(o..o + 8) {
            let (s, a) = (h[0] & GRE_S != 0, h[1] & GRE_A != 0);
            let hl = gre_header_len(h);
            put16(frame, o + 4, n.saturating_sub(o + hl));
            let mut at = o + 8;
            for (present, v) in [(s, gre.seq), (a, gre.ack)] {
                if present {
                    if let Some(d) = frame.get_mut(at..at + 4) {
                        d.copy_from_slice(&v.to_be_bytes());
                    }
                    at += 4;
                }
            }
        }
    }
    if let Some(o) = patches.ipv4 {
        let o = o as usize;
        if let Some(h) = frame.get_mut(o..o + 20) {
            let total = (n - o) as u16;
            h[2..4].copy_from_slice(&total.to_be_bytes());
            // The template's checksum is over a zero Total Length (Template::new).
            let c = checksum::update16(u16::from_be_bytes([h[10], h[11]]), 0, total);
            h[10..12].copy_from_slice(&c.to_be_bytes());
        }
    }
    if let Some(o) = patches.udp {
        let o = o as usize;
        put16(frame, o + 4, n.saturating_sub(o));
        if let (true, Some(ip)) = (patches.udp_checksum, patches.ipv4) {
            let ip = ip as usize;
            if let (Some(a), Some(_)) = (frame.get(ip + 12..ip + 20), frame.get(o..o + 8)) {
                let src = u32::from_be_bytes([a[0], a[1], a[2], a[3]]);
                let dst = u32::from_be_bytes([a[4], a[5], a[6], a[7]]);
                frame[o + 6..o + 8].fill(0);
                let c = !checksum::fold(checksum::pseudo_header_v4(src, dst, 17, (n - o) as u16) + checksum::sum(&frame[o..]));
                // RFC 768: a computed zero is sent as all ones (zero means "none").
                let c = if c == 0 { 0xffff } else { c };
                frame[o + 6..o + 8].copy_from_slice(&c.to_be_bytes());
            }
        }
    }
}

/// Frame a PPP packet through a session's template: `out` becomes the template with
/// `protocol` in its PPP Protocol field, then `payload`, with every patch applied
/// ([`patch`]: lengths, checksums, and the GRE numbers `gre`, which a PPTP caller takes
/// with [`SessionTable::take_gre_numbers`] so that they share the workers' sequence).
/// The control core sends LCP, authentication and NCP packets through any carrier with
/// this; no padding is added (a NIC pads short Ethernet frames).
pub fn frame_control(template: &Template, protocol: PppProtocol, payload: &[u8], gre: GreNumbers, out: &mut Vec<u8>) {
    let tl = template.len();
    out.clear();
    out.extend_from_slice(template.bytes());
    out[tl - 2..tl].copy_from_slice(&protocol.0.to_be_bytes());
    out.extend_from_slice(payload);
    patch(out, template.patches, gre);
}

// ---- the record ----

#[repr(C, align(64))]
struct Record {
    /// The template right-aligned in these 96 bytes (its last byte is byte 95), as
    /// little-endian words, so that a worker writes it as whole words ending at the
    /// payload. Word 0 holds the GRE numbers of a PPTP call (module docs).
    template: [AtomicU64; TEMPLATE_WORDS],
    /// LIVE | flags | kind << 48 | template length << 40 | generation.
    state: AtomicU64,
    /// peer IPv4 << 32 | MRU << 16 | MSS.
    ip4: AtomicU64,
    /// port << 48 | our magic.
    link: AtomicU64,
    /// [`Patches::pack`].
    patches: AtomicU64,
}

const _: () = assert!(core::mem::size_of::<Record>() == 128);

impl Record {
    fn new() -> Record {
        Record {
            template: Default::default(),
            state: AtomicU64::new(0),
            ip4: AtomicU64::new(0),
            link: AtomicU64::new(0),
            patches: AtomicU64::new(0),
        }
    }

}

/// A live record's template words, for a worker to write straight into a packet.
#[derive(Clone, Copy, Debug)]
pub struct TemplateWords<'a>(&'a [AtomicU64; TEMPLATE_WORDS]);

impl TemplateWords<'_> {
    /// The last [`SHORT_TEMPLATE`] bytes of the template area: a short template,
    /// right-aligned.
    #[inline]
    pub fn write_short(&self, out: &mut [u8; SHORT_TEMPLATE]) {
        for (w, o) in self.0[TEMPLATE_WORDS - SHORT_WORDS..].iter().zip(out.chunks_exact_mut(8)) {
            o.copy_from_slice(&w.load(Ordering::Relaxed).to_le_bytes());
        }
    }

    /// The whole template area: any template, right-aligned.
    #[inline]
    pub fn write_all(&self, out: &mut [u8; MAX_TEMPLATE]) {
        for (w, o) in self.0.iter().zip(out.chunks_exact_mut(8)) {
            o.copy_from_slice(&w.load(Ordering::Relaxed).to_le_bytes());
        }
    }
}

/// What `session_encap` (and a worker's echo reply) needs of a live session. What only
/// the general path needs (kind, patches) is read when asked, so the short PPPoE path
/// does not pay for it.
#[derive(Clone, Copy)]
pub struct Downstream<'a> {
    /// Egress port.
    pub port: u16,
    /// Template length.
    pub len: usize,
    /// MSS clamp (0: off).
    pub mss: u16,
    /// The short PPPoE shape: write it with [`TemplateWords::write_short`]; LENGTH is 4
    /// bytes before its end, the only patch.
    pub short: bool,
    state: u64,
    record: &'a Record,
}

impl<'a> Downstream<'a> {
    #[inline]
    pub fn kind(&self) -> SessionKind {
        // A live record always has a kind.
        SessionKind::from_bits((self.state & KIND_MASK) >> KIND_SHIFT).unwrap_or(SessionKind::Pppoe)
    }

    #[inline]
    pub fn patches(&self) -> Patches {
        Patches::unpack(self.record.patches.load(Ordering::Relaxed))
    }

    /// The template, right-aligned in the record's template area.
    #[inline]
    pub fn words(&self) -> TemplateWords<'a> {
        TemplateWords(&self.record.template)
    }
}

/// Per-session traffic counters of one worker.
#[derive(Default)]
#[repr(C, align(32))]
pub struct SessionCounter {
    pub rx_packets: AtomicU64,
    pub rx_bytes: AtomicU64,
    pub tx_packets: AtomicU64,
    pub tx_bytes: AtomicU64,
}

/// One worker's counters for every session slot.
pub struct SessionCounters {
    slots: Table<SessionCounter>,
}

impl SessionCounters {
    fn new(capacity: usize) -> Self {
        SessionCounters { slots: Table::new(capacity, |_| SessionCounter::default()) }
    }

    /// Owner only: a relaxed load and store is a plain add, not a locked instruction.
    #[inline]
    fn bump(c: &AtomicU64, v: u64) {
        c.store(c.load(Ordering::Relaxed).wrapping_add(v), Ordering::Relaxed);
    }

    /// Upstream: a packet from the subscriber.
    #[inline]
    pub fn rx(&self, index: u32, bytes: usize) {
        if let Some(c) = self.slots.get(index as usize) {
            Self::bump(&c.rx_packets, 1);
            Self::bump(&c.rx_bytes, bytes as u64);
        }
    }

    /// Downstream: a packet to the subscriber.
    #[inline]
    pub fn tx(&self, index: u32, bytes: usize) {
        if let Some(c) = self.slots.get(index as usize) {
            Self::bump(&c.tx_packets, 1);
            Self::bump(&c.tx_bytes, bytes as u64);
        }
    }
}

/// Traffic of one session summed over workers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SessionTraffic {
    pub rx_packets: u64,
    pub rx_bytes: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
}

/// The session slab the workers read.
pub struct SessionTable {
    records: Table<Record>,
    counters: Box<[SessionCounters]>,
    pppoe: PppoeIndex,
    l2tp: L2tpIndex,
    pptp: PptpIndex,
    /// Live sessions, kept by the writer: workers read it once a burst to decide whether
    /// the tables are big enough to be worth prefetching.
    live: AtomicU64,
}

/// From this many live sessions on, workers prefetch a burst's session lookups (below
/// it the tables sit in cache and the extra pass would only cost).
pub const PREFETCH_FROM_SESSIONS: u64 = 8192;

impl SessionTable {
    /// Live sessions (a hint: the writer's count, read relaxed).
    #[inline]
    pub fn live_hint(&self) -> u64 {
        self.live.load(Ordering::Relaxed)
    }

    /// Ask for the cache lines an upstream lookup of this key will read: its home slot
    /// in the PPPoE index.
    #[inline]
    pub fn prefetch_pppoe(&self, port: u16, outer: Vid, inner: Vid, peer: [u8; 6], pppoe_id: u16) {
        let (mac_id, link) = index_key(port, outer, inner, peer, pppoe_id);
        let home = self.pppoe.home(mac_id, link) as usize;
        if let Some(s) = self.pppoe.slots.get(home) {
            crate::mem::prefetch(s);
        }
    }

    /// Ask for the cache lines session `index`'s hot part (with a short template) and
    /// worker `worker`'s counters for it sit in.
    #[inline]
    pub fn prefetch_session(&self, index: u32, worker: usize) {
        if let Some(r) = self.records.get(index as usize) {
            crate::mem::prefetch(&r.state);
        }
        if let Some(c) = self.counters.get(worker).and_then(|c| c.slots.get(index as usize)) {
            crate::mem::prefetch(c);
        }
    }

    pub fn capacity(&self) -> usize {
        self.records.len()
    }

    /// Reader: the hot part of the live session at `index`.
    #[inline]
    pub fn head(&self, index: u32) -> Option<Session> {
        let r = self.records.get(index as usize)?;
        let state = r.state.load(Ordering::Acquire);
        if state & LIVE == 0 {
            return None;
        }
        let kind = SessionKind::from_bits((state & KIND_MASK) >> KIND_SHIFT)?;
        let ip4 = r.ip4.load(Ordering::Relaxed);
        let link = r.link.load(Ordering::Relaxed);
        Some(Session {
            kind,
            generation: (state & GEN_MASK) as u32,
            flags: state & (IPV4_OPEN | ECHO_OFFLOAD | PPP_ADDRESS_CONTROL),
            peer_ip: (ip4 >> 32) as u32,
            mru: (ip4 >> 16) as u16,
            mss: ip4 as u16,
            port: (link >> 48) as u16,
            our_magic: link as u32,
            template_len: (state >> TMPL_LEN_SHIFT) as u8,
        })
    }

    /// Reader: the template of the live session at `index` (the control core frames its
    /// packets with it, [`frame_control`]).
    pub fn template(&self, index: u32) -> Option<Template> {
        let r = self.records.get(index as usize)?;
        let state = r.state.load(Ordering::Acquire);
        if state & LIVE == 0 {
            return None;
        }
        let mut stored = [0u8; MAX_TEMPLATE];
        TemplateWords(&r.template).write_all(&mut stored);
        let tl = ((state >> TMPL_LEN_SHIFT) as u8 as usize).min(MAX_TEMPLATE);
        let mut t = Template {
            bytes: [0; MAX_TEMPLATE],
            len: tl as u8,
            patches: Patches::unpack(r.patches.load(Ordering::Relaxed)),
        };
        t.bytes[..tl].copy_from_slice(&stored[MAX_TEMPLATE - tl..]);
        Some(t)
    }

    /// Reader, for downstream IPv4 (and the workers' echo replies, `ipv4` false): a live
    /// session with IPCP open (or any live one), with its template words. With
    /// `short_ok`, a short PPPoE template is flagged `short` (the fast path knows where
    /// LENGTH is).
    #[inline]
    pub fn downstream(&self, index: u32, ipv4: bool, short_ok: bool) -> Option<Downstream<'_>> {
        let r = self.records.get(index as usize)?;
        let state = r.state.load(Ordering::Acquire);
        let need = if ipv4 { LIVE | IPV4_OPEN } else { LIVE };
        if state & need != need {
            return None;
        }
        let ip4 = r.ip4.load(Ordering::Relaxed);
        let link = r.link.load(Ordering::Relaxed);
        Some(Downstream {
            port: (link >> 48) as u16,
            len: ((state >> TMPL_LEN_SHIFT) as u8 as usize).min(MAX_TEMPLATE),
            mss: ip4 as u16,
            short: short_ok && state & SHORT_PPPOE != 0,
            state,
            record: r,
        })
    }

    /// Reader, for upstream IPv4: the session's address and MSS clamp when it is live
    /// with IPCP open (two loads, nothing copied).
    #[inline]
    pub fn upstream_ipv4(&self, index: u32) -> Option<(u32, u16)> {
        let r = self.records.get(index as usize)?;
        let state = r.state.load(Ordering::Acquire);
        if state & (LIVE | IPV4_OPEN) != LIVE | IPV4_OPEN {
            return None;
        }
        let ip4 = r.ip4.load(Ordering::Relaxed);
        Some(((ip4 >> 32) as u32, ip4 as u16))
    }

    /// Reader: the session an upstream PPPoE session frame belongs to.
    #[inline]
    pub fn lookup_pppoe(&self, port: u16, outer: Vid, inner: Vid, peer: [u8; 6], pppoe_id: u16) -> Option<u32> {
        self.pppoe.lookup(port, outer, inner, peer, pppoe_id)
    }

    /// Reader: the session of an L2TP data message to our tunnel `tunnel`, session
    /// `session` (both ids ours, RFC 2661 §3.1).
    #[inline]
    pub fn lookup_l2tp(&self, tunnel: u16, session: u16) -> Option<u32> {
        self.l2tp.0.lookup(session, tunnel as u32)
    }

    /// Reader: the session of an enhanced GRE packet to our call id `call` from `peer_ip`
    /// (host order) (RFC 2637 §4.1: the Key's low half is the receiver's call id).
    #[inline]
    pub fn lookup_pptp(&self, call: u16, peer_ip: u32) -> Option<u32> {
        self.pptp.0.lookup(call, peer_ip)
    }

    /// Any sender to a PPTP call (workers, the control core): the next GRE Sequence
    /// Number and the current Acknowledgment Number (module docs, "Many workers, one
    /// session"). Zeroes for a session without a GRE template.
    #[inline]
    pub fn take_gre_numbers(&self, index: u32) -> GreNumbers {
        let Some(r) = self.records.get(index as usize) else { return GreNumbers::default() };
        if r.patches.load(Ordering::Relaxed) & (PATCH_PRESENT << 24) == 0 {
            return GreNumbers::default();
        }
        let w = r.template[0].fetch_add(1 << 32, Ordering::Relaxed);
        GreNumbers { seq: (w >> 32) as u32, ack: w as u32 }
    }

    /// The PPTP input stage: `seq` is the latest GRE Sequence Number received on the call,
    /// to acknowledge in what we send next (RFC 2637 §4.4). Keeps the sequence half.
    #[inline]
    pub fn acknowledge_gre(&self, index: u32, seq: u32) {
        let Some(r) = self.records.get(index as usize) else { return };
        if r.patches.load(Ordering::Relaxed) & (PATCH_PRESENT << 24) == 0 {
            return;
        }
        let _ = r.template[0].fetch_update(Ordering::Relaxed, Ordering::Relaxed, |w| Some((w & !0xffff_ffff) | seq as u64));
    }

    /// Worker `w`'s counters (the caller is worker `w`).
    #[inline]
    pub fn counters(&self, worker: usize) -> Option<&SessionCounters> {
        self.counters.get(worker)
    }

    /// A session's traffic summed over workers.
    pub fn traffic(&self, index: u32) -> SessionTraffic {
        let mut t = SessionTraffic::default();
        for w in self.counters.iter() {
            if let Some(c) = w.slots.get(index as usize) {
                t.rx_packets += c.rx_packets.load(Ordering::Relaxed);
                t.rx_bytes += c.rx_bytes.load(Ordering::Relaxed);
                t.tx_packets += c.tx_packets.load(Ordering::Relaxed);
                t.tx_bytes += c.tx_bytes.load(Ordering::Relaxed);
            }
        }
        t
    }

    /// Bytes of shared memory per session slot: record, index shares, counters.
    pub fn bytes_per_session(&self) -> usize {
        let cap = self.capacity().max(1);
        core::mem::size_of::<Record>()
            + self.pppoe.slots.len() * core::mem::size_of::<IndexSlot>() / cap
            + (self.l2tp.0.bytes() + self.pptp.0.bytes()) / cap
            + self.counters.len() * core::mem::size_of::<SessionCounter>()
    }
}

// ---- the PPPoE index ----

const EMPTY: u64 = 0;
const TOMBSTONE: u64 = u64::MAX;
const KEY_VALID: u64 = 1 << 63;
/// Session index bits in the second key word.
const INDEX_BITS: u32 = 23;
const INDEX_MASK: u64 = (1 << INDEX_BITS) - 1;
const VID_PRESENT: u64 = 1 << 12;

/// One slot: `mac_id` = peer MAC << 16 | session id; `link` = KEY_VALID | port << 49 |
/// outer VLAN << 36 | inner VLAN << 23 | session index. 16 bytes, four to a cache line.
#[repr(C, align(16))]
struct IndexSlot {
    mac_id: AtomicU64,
    link: AtomicU64,
}

#[inline]
fn vid_bits(v: Vid) -> u64 {
    match v {
        Some(vid) => VID_PRESENT | (vid as u64 & 0xfff),
        None => 0,
    }
}

#[inline]
fn index_key(port: u16, outer: Vid, inner: Vid, peer: [u8; 6], id: u16) -> (u64, u64) {
    let mut m = [0u8; 8];
    m[..6].copy_from_slice(&peer);
    let mac = u64::from_be_bytes(m) >> 16;
    let mac_id = mac << 16 | id as u64;
    let link = KEY_VALID | (port as u64 & 0x1f) << 49 | vid_bits(outer) << 36 | vid_bits(inner) << 23;
    (mac_id, link)
}

/// (port, outer VLAN, inner VLAN, peer MAC, session id) → session index. Open
/// addressing with linear probing over a fixed power-of-two array at most half full,
/// so readers never follow a pointer and the writer never reallocates.
struct PppoeIndex {
    slots: Table<IndexSlot>,
    mask: u64,
    shift: u32,
}

impl PppoeIndex {
    fn new(max_entries: usize) -> Self {
        let cap = (max_entries.max(8) * 2).next_power_of_two();
        PppoeIndex {
            slots: Table::new(cap, |_| IndexSlot { mac_id: AtomicU64::new(0), link: AtomicU64::new(EMPTY) }),
            mask: cap as u64 - 1,
            shift: 64 - cap.trailing_zeros(),
        }
    }

    #[inline]
    fn home(&self, mac_id: u64, link: u64) -> u64 {
        (mac_id ^ link.rotate_left(29)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift
    }

    #[inline]
    fn lookup(&self, port: u16, outer: Vid, inner: Vid, peer: [u8; 6], id: u16) -> Option<u32> {
        let (mac_id, link) = index_key(port, outer, inner, peer, id);
        self.find(mac_id, link).map(|(_, l)| (l & INDEX_MASK) as u32)
    }

    /// The slot holding this key and its link word: the one probe loop of readers and
    /// writer.
    #[inline]
    fn find(&self, mac_id: u64, link: u64) -> Option<(usize, u64)> {
        let mut i = self.home(mac_id, link);
        for _ in 0..self.slots.len() {
            let s = &self.slots[i as usize];
            let l = s.link.load(Ordering::Acquire);
            if l == EMPTY {
                return None;
            }
            if l != TOMBSTONE && l & !INDEX_MASK == link && s.mac_id.load(Ordering::Relaxed) == mac_id {
                return Some((i as usize, l));
            }
            i = (i + 1) & self.mask;
        }
        None
    }
}

// ---- the L2TP and PPTP indices ----

/// An array over ids we allocate (RFC 2661 session ids, RFC 2637 call ids), one entry
/// per id: `KEY_VALID | check << 23 | session index`, [`EMPTY`] or [`TOMBSTONE`]. The
/// `check` (32 bits) is what the lookup compares after indexing: the L2TP tunnel id, the
/// PPTP peer's address.
///
/// Same protocol as the PPPoE index: the writer stores an entry (Release) after its
/// record is live; removal stores TOMBSTONE (Release) and the entry goes back to EMPTY,
/// and the id may be published again, only after a QSBR grace period. An array needs no
/// tombstone for its probing (it has none); the grace period keeps one rule for every
/// index: within one loop iteration a worker's lookups of an id name one session or none,
/// never the old session and then a new one.
///
/// The array is allocated when the writer publishes the carrier's first session (a box
/// that runs only PPPoE never pays for it); readers find it through a `OnceLock`, whose
/// initialisation happens before the first entry's Release store.
struct IdIndex {
    entries: std::sync::OnceLock<Table<AtomicU64>>,
    len: usize,
}

const CHECK_SHIFT: u32 = INDEX_BITS;

impl IdIndex {
    fn new(capacity: usize) -> Self {
        IdIndex { entries: std::sync::OnceLock::new(), len: (capacity + 1).min(1 << 16) }
    }

    /// Writer: the array, allocated on first use.
    fn entries(&self) -> &Table<AtomicU64> {
        self.entries.get_or_init(|| Table::new(self.len, |_| AtomicU64::new(EMPTY)))
    }

    /// Bytes allocated.
    fn bytes(&self) -> usize {
        self.entries.get().map_or(0, |t| t.len() * 8)
    }

    #[inline]
    fn lookup(&self, id: u16, check: u32) -> Option<u32> {
        let e = self.entries.get()?.get(id as usize)?.load(Ordering::Acquire);
        if e & KEY_VALID == 0 || e == TOMBSTONE || (e >> CHECK_SHIFT) as u32 != check {
            return None;
        }
        Some((e & INDEX_MASK) as u32)
    }

    /// Writer: whether `id` can be published now.
    fn vacant(&self, id: u16) -> Result<(), SessionError> {
        match self.entries().get(id as usize).map(|e| e.load(Ordering::Relaxed)) {
            None => Err(SessionError::BadId),
            Some(EMPTY) => Ok(()),
            Some(TOMBSTONE) => Err(SessionError::IdInGracePeriod),
            Some(_) => Err(SessionError::Duplicate),
        }
    }
}

/// L2TP: OUR session id → session index, the tunnel id checked after the lookup (an
/// [`IdIndex`]). Session ids are unique over all our tunnels (we allocate them; 0 is the
/// tunnel itself, RFC 2661 §3.1, never a session), so one array serves every tunnel and
/// a data message is one load; a message whose tunnel id is not its session's misses.
/// (Beyond 65535 L2TP sessions, a tunnel → block-of-ids level goes in front.)
struct L2tpIndex(IdIndex);

/// PPTP: OUR call id → session index, the peer's address checked after the lookup (an
/// [`IdIndex`]; RFC 2637 §4.1: a GRE packet names only the receiver's call id, so the
/// address is what ties it to the control connection that made the call).
struct PptpIndex(IdIndex);

// ---- the writer ----

/// How upstream frames find a session: the key in its carrier's index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SessionKey {
    /// PPPoE: the access port, the VLANs and the subscriber's MAC its frames come with,
    /// and the PPPoE session id.
    Pppoe { port: u16, outer: Vid, inner: Vid, mac: [u8; 6], id: u16 },
    /// L2TP: our tunnel id and our session id.
    L2tp { tunnel: u16, session: u16 },
    /// PPTP: our call id and the peer's address (host order).
    Pptp { call: u16, peer_ip: u32 },
}

impl SessionKey {
    pub fn kind(&self) -> SessionKind {
        match self {
            SessionKey::Pppoe { .. } => SessionKind::Pppoe,
            SessionKey::L2tp { .. } => SessionKind::L2tp,
            SessionKey::Pptp { .. } => SessionKind::Pptp,
        }
    }
}

/// What the data plane needs of a new session: its key, its downstream template and the
/// hot fields. The carrier's module builds it (PPPoE: `controlplane::pppoe::template`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionParams {
    pub key: SessionKey,
    /// The port the template's frames leave by.
    pub port: u16,
    pub template: Template,
    /// The peer's MRU ([`SessionWriter::set_mru`] when LCP renegotiates).
    pub mru: u16,
    /// Our LCP Magic-Number ([`SessionWriter::set_magic`] once LCP is open).
    pub magic: u32,
    /// [`ECHO_OFFLOAD`], [`PPP_ADDRESS_CONTROL`]; other bits are ignored.
    pub flags: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionError {
    /// Every slot is in use (or waiting for its grace period).
    Full,
    /// The key is already in its index.
    Duplicate,
    /// The index is not a live session.
    NotLive,
    BadTemplate,
    /// An L2TP session id or PPTP call id outside the index (0, or not below
    /// `min(capacity + 1, 65536)`).
    BadId,
    /// The id was released less than a grace period ago.
    IdInGracePeriod,
}

impl core::fmt::Display for SessionError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            SessionError::Full => "session table full (raise pppoe.max_sessions)",
            SessionError::Duplicate => "a session with this key exists",
            SessionError::NotLive => "no such session",
            SessionError::BadTemplate => "malformed encapsulation template (too long, or a patch outside it)",
            SessionError::BadId => "session or call id outside the table",
            SessionError::IdInGracePeriod => "session or call id released too recently to reuse",
        })
    }
}

/// Where a live session sits in its index, to remove it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IndexRef {
    None,
    Pppoe(u32),
    L2tp(u16),
    Pptp(u16),
}

/// The writer side, owned by the control core.
pub struct SessionWriter {
    table: Arc<SessionTable>,
    free: Vec<u32>,
    deferred: Deferred<Reclaim>,
    /// PPPoE index slots that were tombstones and are past their grace period.
    reusable: Vec<bool>,
    index_ref: Vec<IndexRef>,
    generation: Vec<u32>,
    qsbr: Arc<Qsbr>,
}

enum Reclaim {
    Session(u32),
    IndexSlot(u32),
    L2tpId(u16),
    PptpId(u16),
}

impl SessionWriter {
    /// A table of `capacity` sessions (at most [`MAX_SESSIONS`]) with counters for
    /// `workers` workers.
    pub fn new(capacity: usize, workers: usize, qsbr: Arc<Qsbr>) -> Self {
        let capacity = capacity.clamp(1, MAX_SESSIONS as usize);
        let table = Arc::new(SessionTable {
            records: Table::new(capacity, |_| Record::new()),
            counters: (0..workers.max(1)).map(|_| SessionCounters::new(capacity)).collect(),
            pppoe: PppoeIndex::new(capacity),
            l2tp: L2tpIndex(IdIndex::new(capacity)),
            pptp: PptpIndex(IdIndex::new(capacity)),
            live: AtomicU64::new(0),
        });
        let index_slots = table.pppoe.slots.len();
        SessionWriter {
            table,
            // Pop from the end: low indices first.
            free: (0..capacity as u32).rev().collect(),
            deferred: Deferred::new(),
            reusable: vec![false; index_slots],
            index_ref: vec![IndexRef::None; capacity],
            generation: vec![0; capacity],
            qsbr,
        }
    }

    pub fn table(&self) -> Arc<SessionTable> {
        self.table.clone()
    }

    /// Live sessions (the table's count, which only this writer changes).
    pub fn len(&self) -> usize {
        self.table.live_hint() as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Slots neither live nor waiting for a grace period.
    pub fn free_slots(&self) -> usize {
        self.free.len()
    }

    /// Slots waiting for a grace period before they can be reused.
    pub fn deferred(&self) -> usize {
        self.deferred.len()
    }

    /// An id's entry in its array index, checked vacant (after recycling what is past
    /// its grace period, if it was waiting).
    fn vacant_id(&mut self, l2tp: bool, id: u16) -> Result<(), SessionError> {
        fn ix(t: &SessionTable, l2tp: bool) -> &IdIndex {
            if l2tp {
                &t.l2tp.0
            } else {
                &t.pptp.0
            }
        }
        match ix(&self.table, l2tp).vacant(id) {
            Err(SessionError::IdInGracePeriod) => {
                self.maintain();
                ix(&self.table, l2tp).vacant(id)
            }
            r => r,
        }
    }

    /// Publish a session: its record (live, no IPv4 yet), then its index entry. Returns
    /// the session index and generation.
    pub fn add(&mut self, p: &SessionParams) -> Result<(u32, u32), SessionError> {
        let kind = p.key.kind();
        // The key's place, checked before a slot is taken.
        let pppoe_key = match p.key {
            SessionKey::Pppoe { port, outer, inner, mac, id } => {
                let (mac_id, link) = index_key(port, outer, inner, mac, id);
                if self.table.pppoe.find(mac_id, link).is_some() {
                    return Err(SessionError::Duplicate);
                }
                Some((mac_id, link))
            }
            SessionKey::L2tp { session: 0, .. } => return Err(SessionError::BadId),
            SessionKey::L2tp { session, .. } => {
                self.vacant_id(true, session)?;
                None
            }
            SessionKey::Pptp { call, .. } => {
                self.vacant_id(false, call)?;
                None
            }
        };
        if self.free.is_empty() {
            self.maintain();
        }
        let Some(index) = self.free.pop() else {
            return Err(SessionError::Full);
        };
        let index_ref = match (pppoe_key, p.key) {
            (Some((mac_id, link)), _) => match self.free_index_slot(mac_id, link) {
                Some(slot) => IndexRef::Pppoe(slot),
                None => {
                    self.free.push(index);
                    return Err(SessionError::Full);
                }
            },
            (None, SessionKey::L2tp { session, .. }) => IndexRef::L2tp(session),
            (None, SessionKey::Pptp { call, .. }) => IndexRef::Pptp(call),
            (None, SessionKey::Pppoe { .. }) => IndexRef::None,
        };
        let gen = self.generation[index as usize].wrapping_add(1) & GEN_MASK as u32;
        self.generation[index as usize] = gen;
        let t = &self.table;
        let r = &t.records[index as usize];
        for w in t.counters.iter() {
            let c = &w.slots[index as usize];
            for a in [&c.rx_packets, &c.rx_bytes, &c.tx_packets, &c.tx_bytes] {
                a.store(0, Ordering::Relaxed);
            }
        }
        let tmpl = &p.template;
        let tl = tmpl.len();
        r.ip4.store((p.mru as u64) << 16, Ordering::Relaxed);
        r.link.store((p.port as u64) << 48 | p.magic as u64, Ordering::Relaxed);
        r.patches.store(tmpl.patches.pack(), Ordering::Relaxed);
        // Right-aligned; the bytes in front are zero (for a GRE template, word 0: the
        // sequence and acknowledgement numbers start at zero).
        let mut aligned = [0u8; MAX_TEMPLATE];
        aligned[MAX_TEMPLATE - tl..].copy_from_slice(tmpl.bytes());
        for (w, b) in r.template.iter().zip(aligned.chunks_exact(8)) {
            w.store(u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]), Ordering::Relaxed);
        }
        let short = if kind == SessionKind::Pppoe && tmpl.is_short_pppoe() { SHORT_PPPOE } else { 0 };
        let state = LIVE
            | (p.flags & SETTABLE_FLAGS)
            | short
            | (kind as u64) << KIND_SHIFT
            | (tl as u64) << TMPL_LEN_SHIFT
            | gen as u64;
        r.state.store(state, Ordering::Release);
        let entry = |check: u32| KEY_VALID | (check as u64) << CHECK_SHIFT | index as u64;
        match (index_ref, p.key) {
            (IndexRef::Pppoe(slot), _) => {
                let (mac_id, link) = pppoe_key.unwrap_or_default();
                let s = &t.pppoe.slots[slot as usize];
                s.mac_id.store(mac_id, Ordering::Relaxed);
                s.link.store(link | index as u64, Ordering::Release);
            }
            (IndexRef::L2tp(id), SessionKey::L2tp { tunnel, .. }) => {
                t.l2tp.0.entries()[id as usize].store(entry(tunnel as u32), Ordering::Release)
            }
            (IndexRef::Pptp(id), SessionKey::Pptp { peer_ip, .. }) => {
                t.pptp.0.entries()[id as usize].store(entry(peer_ip), Ordering::Release)
            }
            _ => {}
        }
        self.index_ref[index as usize] = index_ref;
        t.live.store(t.live.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        Ok((index, gen))
    }

    /// IPCP opened: the subscriber's address and MSS clamp; IPv4 flows from now on.
    pub fn open_ipv4(&mut self, index: u32, peer_ip: u32, mss: u16) -> Result<(), SessionError> {
        let r = self.live_record(index)?;
        let ip4 = r.ip4.load(Ordering::Relaxed);
        r.ip4.store((peer_ip as u64) << 32 | (ip4 & 0xffff_0000) | mss as u64, Ordering::Relaxed);
        let st = r.state.load(Ordering::Relaxed);
        r.state.store(st | IPV4_OPEN, Ordering::Release);
        Ok(())
    }

    /// IPCP went down: stop forwarding IPv4 (the address stays until the session goes).
    pub fn close_ipv4(&mut self, index: u32) -> Result<(), SessionError> {
        let r = self.live_record(index)?;
        let st = r.state.load(Ordering::Relaxed);
        r.state.store(st & !IPV4_OPEN, Ordering::Release);
        Ok(())
    }

    fn set_flag(&mut self, index: u32, flag: u64, on: bool) -> Result<(), SessionError> {
        let r = self.live_record(index)?;
        let st = r.state.load(Ordering::Relaxed);
        r.state.store(if on { st | flag } else { st & !flag }, Ordering::Release);
        Ok(())
    }

    /// Hand LCP Echo-Requests to the workers (LCP Opened, our magic published) or take
    /// them back.
    pub fn set_echo_offload(&mut self, index: u32, on: bool) -> Result<(), SessionError> {
        self.set_flag(index, ECHO_OFFLOAD, on)
    }

    /// Read a leading 0xff 0x03 as the Address/Control pair ([`PPP_ADDRESS_CONTROL`]) or
    /// stop.
    pub fn set_ppp_address_control(&mut self, index: u32, on: bool) -> Result<(), SessionError> {
        self.set_flag(index, PPP_ADDRESS_CONTROL, on)
    }

    /// Change the MRU (LCP renegotiated).
    pub fn set_mru(&mut self, index: u32, mru: u16) -> Result<(), SessionError> {
        let r = self.live_record(index)?;
        let ip4 = r.ip4.load(Ordering::Relaxed);
        r.ip4.store((ip4 & !0xffff_0000) | (mru as u64) << 16, Ordering::Release);
        Ok(())
    }

    /// Change our magic number (LCP renegotiated), used by workers answering echoes.
    pub fn set_magic(&mut self, index: u32, our_magic: u32) -> Result<(), SessionError> {
        let r = self.live_record(index)?;
        let link = r.link.load(Ordering::Relaxed);
        r.link.store((link & !0xffff_ffff) | our_magic as u64, Ordering::Release);
        Ok(())
    }

    /// Take a session out: workers stop finding it at once; its slot and its index entry
    /// are reused after a grace period.
    pub fn remove(&mut self, index: u32) -> Result<(), SessionError> {
        let r = self.live_record(index)?;
        r.state.store(0, Ordering::Release);
        let t = &self.table;
        let reclaim = match core::mem::replace(&mut self.index_ref[index as usize], IndexRef::None) {
            IndexRef::None => None,
            IndexRef::Pppoe(slot) => {
                t.pppoe.slots[slot as usize].link.store(TOMBSTONE, Ordering::Release);
                Some(Reclaim::IndexSlot(slot))
            }
            IndexRef::L2tp(id) => {
                t.l2tp.0.entries()[id as usize].store(TOMBSTONE, Ordering::Release);
                Some(Reclaim::L2tpId(id))
            }
            IndexRef::Pptp(id) => {
                t.pptp.0.entries()[id as usize].store(TOMBSTONE, Ordering::Release);
                Some(Reclaim::PptpId(id))
            }
        };
        t.live.store(t.live.load(Ordering::Relaxed) - 1, Ordering::Relaxed);
        let token = self.qsbr.start();
        self.deferred.defer(token, Reclaim::Session(index));
        if let Some(x) = reclaim {
            self.deferred.defer(token, x);
        }
        Ok(())
    }

    /// Recycle what is past its grace period; call from the control loop.
    pub fn maintain(&mut self) {
        for item in self.deferred.reclaim(&self.qsbr) {
            match item {
                Reclaim::Session(i) => self.free.push(i),
                Reclaim::IndexSlot(s) => self.reusable[s as usize] = true,
                Reclaim::L2tpId(id) => self.table.l2tp.0.entries()[id as usize].store(EMPTY, Ordering::Relaxed),
                Reclaim::PptpId(id) => self.table.pptp.0.entries()[id as usize].store(EMPTY, Ordering::Relaxed),
            }
        }
    }

    /// The generation a live session was published with.
    pub fn generation(&self, index: u32) -> Option<u32> {
        self.table.head(index).map(|s| s.generation)
    }

    fn live_record(&self, index: u32) -> Result<&Record, SessionError> {
        let r = self.table.records.get(index as usize).ok_or(SessionError::NotLive)?;
        if r.state.load(Ordering::Relaxed) & LIVE == 0 {
            return Err(SessionError::NotLive);
        }
        Ok(r)
    }

    fn free_index_slot(&mut self, mac_id: u64, link: u64) -> Option<u32> {
        let ix = &self.table.pppoe;
        let mut i = ix.home(mac_id, link);
        for _ in 0..ix.slots.len() {
            let l = ix.slots[i as usize].link.load(Ordering::Relaxed);
            if l == EMPTY || (l == TOMBSTONE && self.reusable[i as usize]) {
                self.reusable[i as usize] = false;
                return Some(i as u32);
            }
            i = (i + 1) & ix.mask;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PPPoE template as RFC 2516 §4 lays it out: Ethernet to the subscriber, the
    /// session header (ver/type 0x11, code 0, id, LENGTH), PPP protocol 0x0021. Untagged:
    /// 14 + 6 + 2 = 22 bytes.
    fn pppoe_template(mac: [u8; 6], id: u16) -> Template {
        let mut b = mac.to_vec();
        b.extend_from_slice(&[0x02, 0, 0, 0, 0xac, 1, 0x88, 0x64, 0x11, 0x00]);
        b.extend_from_slice(&id.to_be_bytes());
        b.extend_from_slice(&[0, 0, 0x00, 0x21]);
        Template::new(&b, Patches { pppoe: Some(14), ..Patches::NONE }).unwrap()
    }

    fn mac(low: u32) -> [u8; 6] {
        let m = low.to_be_bytes();
        [0x02, 0, m[0], m[1], m[2], m[3]]
    }

    fn params(mac_low: u32, id: u16, outer: Vid, inner: Vid) -> SessionParams {
        SessionParams {
            key: SessionKey::Pppoe { port: 1, outer, inner, mac: mac(mac_low), id },
            port: 1,
            template: pppoe_template(mac(mac_low), id),
            mru: 1492,
            magic: mac_low,
            flags: 0,
        }
    }

    /// QinQ + IPv4 (DF) + UDP 1701 + L2TP data (L bit) + PPP ff03 0021: 22+20+8+8+4 = 62.
    fn l2tp_template(tunnel: u16, session: u16) -> Template {
        let mut b = vec![2, 0, 0, 0, 0, 9, 2, 0, 0, 0, 0, 1, 0x88, 0xa8, 0, 7, 0x81, 0x00, 0, 8, 0x08, 0x00];
        b.extend_from_slice(&[0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 9]);
        b.extend_from_slice(&[0x06, 0xa5, 0x06, 0xa5, 0, 0, 0, 0]);
        b.extend_from_slice(&[0x40, 0x02, 0, 0]);
        b.extend_from_slice(&tunnel.to_be_bytes());
        b.extend_from_slice(&session.to_be_bytes());
        b.extend_from_slice(&[0xff, 0x03, 0x00, 0x21]);
        Template::new(&b, Patches { ipv4: Some(22), udp: Some(42), udp_checksum: true, l2tp: Some(50), ..Patches::NONE }).unwrap()
    }

    /// Untagged Ethernet + IPv4 + enhanced GRE with S and A (RFC 2637 §4.1) + PPP.
    fn pptp_bytes(call: u16) -> Vec<u8> {
        let mut b = vec![2, 0, 0, 0, 0, 9, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
        b.extend_from_slice(&[0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 47, 0, 0, 192, 0, 2, 1, 192, 0, 2, 9]);
        b.extend_from_slice(&[0x30, 0x81, 0x88, 0x0b, 0, 0]);
        b.extend_from_slice(&call.to_be_bytes());
        b.extend_from_slice(&[0; 8]);
        b.extend_from_slice(&[0xff, 0x03, 0x00, 0x21]);
        b
    }

    #[test]
    fn publish_lookup_open_remove() {
        let q = Qsbr::new(1);
        let mut w = SessionWriter::new(16, 2, q.clone());
        let t = w.table();
        let mut p = params(7, 0x1234, Some(100), Some(200));
        p.magic = 0xdead_beef;
        p.flags = ECHO_OFFLOAD;
        let (i, g) = w.add(&p).unwrap();
        let m = mac(7);
        assert_eq!(t.lookup_pppoe(1, Some(100), Some(200), m, 0x1234), Some(i));
        // Every key part matters.
        assert_eq!(t.lookup_pppoe(2, Some(100), Some(200), m, 0x1234), None);
        assert_eq!(t.lookup_pppoe(1, Some(101), Some(200), m, 0x1234), None);
        assert_eq!(t.lookup_pppoe(1, Some(100), None, m, 0x1234), None);
        assert_eq!(t.lookup_pppoe(1, Some(100), Some(200), [2, 0, 0, 0, 0, 8], 0x1234), None);
        assert_eq!(t.lookup_pppoe(1, Some(100), Some(200), m, 0x1235), None);
        let s = t.head(i).unwrap();
        assert_eq!((s.kind, s.generation, s.mru, s.our_magic, s.port), (SessionKind::Pppoe, g, 1492, 0xdead_beef, 1));
        assert!(!s.ipv4_open() && s.echo_offload() && !s.ppp_address_control());
        assert_eq!(t.template(i), Some(p.template));
        assert_eq!(w.add(&p), Err(SessionError::Duplicate));

        w.set_echo_offload(i, false).unwrap();
        assert!(!t.head(i).unwrap().echo_offload());
        w.set_ppp_address_control(i, true).unwrap();
        assert!(t.head(i).unwrap().ppp_address_control());
        w.open_ipv4(i, 0x6440_0001, 1452).unwrap();
        let s = t.head(i).unwrap();
        assert!(s.ipv4_open());
        assert_eq!((s.peer_ip, s.mss, s.mru), (0x6440_0001, 1452, 1492));

        t.counters(0).unwrap().rx(i, 100);
        t.counters(1).unwrap().rx(i, 50);
        t.counters(1).unwrap().tx(i, 1000);
        assert_eq!(t.traffic(i), SessionTraffic { rx_packets: 2, rx_bytes: 150, tx_packets: 1, tx_bytes: 1000 });

        w.remove(i).unwrap();
        assert_eq!(t.head(i), None);
        assert_eq!(t.template(i), None);
        assert_eq!(t.lookup_pppoe(1, Some(100), Some(200), m, 0x1234), None);
        assert_eq!(w.remove(i), Err(SessionError::NotLive));
        assert_eq!(w.len(), 0);
    }

    #[test]
    fn l2tp_and_pptp_sessions_are_found_by_our_ids_and_checked_after() {
        let q = Qsbr::new(1);
        let reader = q.register();
        let mut w = SessionWriter::new(100, 1, q.clone());
        let t = w.table();
        let l2tp = |tunnel, session| SessionParams {
            key: SessionKey::L2tp { tunnel, session },
            port: 1,
            template: l2tp_template(tunnel, session),
            mru: 1460,
            magic: 0,
            flags: PPP_ADDRESS_CONTROL,
        };
        let pppoe_only = t.bytes_per_session();
        assert_eq!(t.lookup_l2tp(7, 5), None, "no array yet");
        let (a, _) = w.add(&l2tp(7, 5)).unwrap();
        assert_eq!(t.bytes_per_session(), pppoe_only + 101 * 8 / 100, "the L2TP array comes with the first session");
        let (b, _) = w.add(&l2tp(8, 6)).unwrap();
        assert_eq!((t.lookup_l2tp(7, 5), t.lookup_l2tp(8, 6)), (Some(a), Some(b)));
        assert_eq!(t.lookup_l2tp(8, 5), None, "session 5 is tunnel 7's");
        assert_eq!(t.lookup_l2tp(7, 9), None);
        assert_eq!(t.lookup_l2tp(7, 60000), None, "beyond the array");
        let s = t.head(a).unwrap();
        assert_eq!((s.kind, s.mru), (SessionKind::L2tp, 1460));
        assert!(s.ppp_address_control());
        assert_eq!(t.template(a).unwrap().bytes(), l2tp_template(7, 5).bytes());
        assert_eq!(w.add(&l2tp(9, 5)), Err(SessionError::Duplicate), "our session ids are unique over tunnels");
        assert_eq!(w.add(&l2tp(7, 0)), Err(SessionError::BadId), "session 0 is the tunnel (RFC 2661 §3.1)");
        assert_eq!(w.add(&l2tp(7, 101)), Err(SessionError::BadId), "ids below capacity + 1");

        let pptp = |call, peer_ip| SessionParams {
            key: SessionKey::Pptp { call, peer_ip },
            port: 1,
            template: Template::new(&pptp_bytes(0x4000), Patches { ipv4: Some(14), gre: Some(34), ..Patches::NONE }).unwrap(),
            mru: 1400,
            magic: 0,
            flags: 0,
        };
        let (c, _) = w.add(&pptp(5, 0xc000_0209)).unwrap();
        assert_eq!(t.lookup_pptp(5, 0xc000_0209), Some(c), "call ids and session ids are separate spaces");
        assert_eq!(t.lookup_pptp(5, 0xc000_020a), None, "another peer's packet names our call id");
        assert_eq!(t.head(c).unwrap().kind, SessionKind::Pptp);

        // Removal: gone at once; the id waits for the grace period.
        w.remove(a).unwrap();
        w.remove(c).unwrap();
        assert_eq!((t.lookup_l2tp(7, 5), t.lookup_pptp(5, 0xc000_0209)), (None, None));
        assert_eq!(w.add(&l2tp(7, 5)), Err(SessionError::IdInGracePeriod));
        assert_eq!(w.add(&pptp(5, 0xc000_0209)), Err(SessionError::IdInGracePeriod));
        reader.quiescent();
        let (a2, _) = w.add(&l2tp(9, 5)).unwrap();
        assert_eq!((t.lookup_l2tp(9, 5), t.lookup_l2tp(7, 5)), (Some(a2), None));
        let (c2, _) = w.add(&pptp(5, 0xc000_020a)).unwrap();
        assert_eq!(t.lookup_pptp(5, 0xc000_020a), Some(c2));
    }

    #[test]
    fn templates_are_checked_and_their_patched_fields_zeroed() {
        let pppoe = Patches { pppoe: Some(14), ..Patches::NONE };
        assert_eq!(Template::new(&[0; 97], Patches::NONE), Err(SessionError::BadTemplate));
        assert_eq!(Template::new(&[0; 1], Patches::NONE), Err(SessionError::BadTemplate));
        assert_eq!(Template::new(&[0; 21], pppoe), Err(SessionError::BadTemplate), "LENGTH runs into the protocol");
        let t = pppoe_template(mac(1), 9);
        let mut b = t.bytes().to_vec();
        b[18..20].copy_from_slice(&[0x12, 0x34]);
        assert_eq!(Template::new(&b, pppoe).unwrap(), t, "LENGTH is zeroed");

        let l = l2tp_template(1, 2);
        let p = l.patches();
        let mut b = l.bytes().to_vec();
        b[50] = 0x00; // no L bit: no Length field to patch
        assert_eq!(Template::new(&b, p), Err(SessionError::BadTemplate));
        b[50] = 0xc0; // T: a control message
        assert_eq!(Template::new(&b, p), Err(SessionError::BadTemplate));
        assert_eq!(Template::new(l.bytes(), Patches { ipv4: None, ..p }), Err(SessionError::BadTemplate), "a UDP checksum needs the IPv4 header");
        let mut b = l.bytes().to_vec();
        b[22] = 0x65;
        assert_eq!(Template::new(&b, p), Err(SessionError::BadTemplate), "IPv6 version nibble");
        // The IPv4 checksum is stored for a zero Total Length: ones' complement sum of the
        // header is all ones (RFC 1071).
        let h = &l.bytes()[22..42];
        assert_eq!(&h[2..4], &[0, 0]);
        let sum: u32 = h.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]]) as u32).sum();
        assert_eq!((sum & 0xffff) + (sum >> 16), 0xffff);

        let gre = Patches { ipv4: Some(14), gre: Some(34), ..Patches::NONE };
        assert!(Template::new(&pptp_bytes(1), gre).is_ok());
        let mut long = vec![0u8; 40];
        long.extend_from_slice(&pptp_bytes(1)[..]);
        assert_eq!(long.len(), 94);
        assert_eq!(
            Template::new(&long, Patches { ipv4: Some(54), gre: Some(74), ..Patches::NONE }),
            Err(SessionError::BadTemplate),
            "record word 0 is the GRE numbers'"
        );
        let mut v0 = pptp_bytes(1);
        v0[35] = 0x80; // version 0
        assert_eq!(Template::new(&v0, gre), Err(SessionError::BadTemplate));
    }

    #[test]
    fn gre_numbers_are_shared_by_every_sender_and_stay_out_of_other_templates() {
        let q = Qsbr::new(1);
        let mut w = SessionWriter::new(8, 1, q);
        let t = w.table();
        let tmpl = Template::new(&pptp_bytes(0x4000), Patches { ipv4: Some(14), gre: Some(34), ..Patches::NONE }).unwrap();
        let p = SessionParams { key: SessionKey::Pptp { call: 3, peer_ip: 9 }, port: 1, template: tmpl, mru: 1400, magic: 0, flags: 0 };
        let (i, _) = w.add(&p).unwrap();
        assert_eq!(t.take_gre_numbers(i), GreNumbers { seq: 0, ack: 0 });
        assert_eq!(t.take_gre_numbers(i), GreNumbers { seq: 1, ack: 0 });
        t.acknowledge_gre(i, 77);
        assert_eq!(t.take_gre_numbers(i), GreNumbers { seq: 2, ack: 77 });
        assert_eq!(t.template(i), Some(tmpl), "the template is untouched");
        // Sequence numbers wrap at 32 bits without touching the acknowledgement.
        t.records[i as usize].template[0].store(0xffff_ffff_0000_0005, Ordering::Relaxed);
        assert_eq!(t.take_gre_numbers(i), GreNumbers { seq: 0xffff_ffff, ack: 5 });
        assert_eq!(t.take_gre_numbers(i), GreNumbers { seq: 0, ack: 5 });

        // A 96-byte template without GRE uses word 0 for its bytes: never counted into.
        let mut b = vec![0xab; 96];
        b[94..].copy_from_slice(&[0x00, 0x21]);
        let long = Template::new(&b, Patches::NONE).unwrap();
        let p = SessionParams { key: SessionKey::L2tp { tunnel: 1, session: 1 }, template: long, ..p };
        let (j, _) = w.add(&p).unwrap();
        assert_eq!(t.take_gre_numbers(j), GreNumbers::default());
        t.acknowledge_gre(j, 5);
        assert_eq!(t.template(j), Some(long));
    }

    #[test]
    fn slots_wait_for_the_grace_period_and_come_back_clean() {
        let q = Qsbr::new(1);
        let reader = q.register();
        let mut w = SessionWriter::new(2, 1, q.clone());
        let t = w.table();
        let (a, _) = w.add(&params(1, 1, None, None)).unwrap();
        let (_b, _) = w.add(&params(2, 1, None, None)).unwrap();
        assert_eq!(w.add(&params(3, 1, None, None)), Err(SessionError::Full));
        t.counters(0).unwrap().rx(a, 10);
        w.remove(a).unwrap();
        // A worker may still be reading slot `a` in this iteration: not reused yet.
        assert_eq!(w.add(&params(3, 1, None, None)), Err(SessionError::Full));
        reader.quiescent();
        let (c, g) = w.add(&params(3, 1, None, None)).unwrap();
        assert_eq!(c, a);
        assert_eq!(g, 2, "a reused slot has a new generation");
        assert_eq!(t.traffic(c), SessionTraffic::default(), "counters start from zero");
        assert_eq!(t.lookup_pppoe(1, None, None, mac(3), 1), Some(c));
    }

    #[test]
    fn a_million_sessions_in_and_out() {
        let q = Qsbr::new(1);
        let n = 1 << 20;
        let mut w = SessionWriter::new(n, 1, q);
        let t = w.table();
        let mut idx = Vec::with_capacity(n);
        for k in 0..n as u32 {
            // Session ids repeat across MACs, as RFC 2516 allows.
            let p = params(k, (k % 7) as u16 + 1, Some((k % 4000) as u16), None);
            idx.push(w.add(&p).unwrap().0);
        }
        assert_eq!(w.len(), n);
        for k in (0..n as u32).step_by(997) {
            let (id, outer) = ((k % 7) as u16 + 1, Some((k % 4000) as u16));
            assert_eq!(t.lookup_pppoe(1, outer, None, mac(k), id), Some(idx[k as usize]));
            assert_eq!(t.head(idx[k as usize]).unwrap().our_magic, k);
        }
        for &i in &idx {
            w.remove(i).unwrap();
        }
        w.maintain();
        assert!(w.is_empty());
        assert_eq!(w.free_slots(), n);
        assert!(t.bytes_per_session() < 256, "{} bytes per session", t.bytes_per_session());
    }

    #[test]
    fn readers_never_see_a_half_built_session() {
        use std::sync::atomic::AtomicBool;
        let q = Qsbr::new(2);
        let mut w = SessionWriter::new(64, 1, q.clone());
        let t = w.table();
        let stop = Arc::new(AtomicBool::new(false));
        let progress = Arc::new(AtomicU64::new(0));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let (t, q, stop, progress) = (t.clone(), q.clone(), stop.clone(), progress.clone());
                std::thread::spawn(move || {
                    let r = q.register();
                    let mut seen = 0u64;
                    let mut out = [0u8; MAX_TEMPLATE];
                    while !stop.load(Ordering::Relaxed) {
                        r.quiescent();
                        for k in 0..64u32 {
                            if let Some(i) = t.lookup_pppoe(1, None, None, mac(k), 1) {
                                if let (Some(s), Some(d)) = (t.head(i), t.downstream(i, false, false)) {
                                    d.words().write_all(&mut out);
                                    // The magic is the MAC's low bits and the template
                                    // is whole: never another session's record.
                                    assert_eq!(s.our_magic, k);
                                    assert_eq!(d.len, 22);
                                    assert_eq!(&out[MAX_TEMPLATE - 22..MAX_TEMPLATE - 16], &mac(k));
                                    seen += 1;
                                }
                            }
                        }
                        progress.store(seen, Ordering::Relaxed);
                    }
                    seen
                })
            })
            .collect();
        let mut live: Vec<Option<u32>> = vec![None; 64];
        // Churn until the readers have looked at many live sessions (bounded).
        let mut round = 0u32;
        while round < 20_000 || (progress.load(Ordering::Relaxed) < 10_000 && round < 50_000_000) {
            round += 1;
            let k = (round.wrapping_mul(2_654_435_761) >> 26) as usize;
            match live[k] {
                Some(i) => {
                    w.remove(i).unwrap();
                    live[k] = None;
                }
                None => {
                    w.maintain();
                    if let Ok((i, _)) = w.add(&params(k as u32, 1, None, None)) {
                        live[k] = Some(i);
                    }
                }
            }
        }
        stop.store(true, Ordering::Relaxed);
        let seen: u64 = readers.into_iter().map(|h| h.join().unwrap()).sum();
        assert!(seen > 0);
    }
}
