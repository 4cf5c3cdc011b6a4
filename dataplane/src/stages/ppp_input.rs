//! ppp_input: a decapsulated PPP frame of a known session, whatever carried it (PPPoE,
//! L2TP, PPTP; RFC 1661).
//!
//! A carrier's input stage (`pppoe_input`; the L2TP and PPTP stages to come) checks its
//! own header, finds the session in its index, trims the frame so that it ends with the
//! PPP frame, and hands over with the session index (`Stage::Ppp`) and the offset of the
//! PPP header (`Meta::l3`):
//!
//! ```text
//! +----------+----------+----------+-------------+
//! | Address  | Control  | Protocol | Information |      (RFC 1661 §2, RFC 1662 §3.1)
//! |   0xff   |   0x03   | 8/16 bits|      *      |
//! +----------+----------+----------+-------------+
//!   absent on PPPoE and under ACFC; 1 byte under PFC
//! ```
//!
//! From there every carrier gets the same handling:
//!
//! - the PPP header (RFC 1661 §2): with the session's [`PPP_ADDRESS_CONTROL`] flag (L2TP,
//!   PPTP: HDLC-like framing, RFC 1662 §3.1) the Address/Control pair if present (absent
//!   under ACFC, §6.6); without it (PPPoE: no such field, RFC 2516 §7) none; then a
//!   two-byte Protocol, or a one-byte one (PFC, §6.5: an odd first byte), on any carrier;
//! - IPv4 (0x0021), only once IPCP is Opened for the session and only with the session's
//!   own source address (anti-spoofing), goes on to `ip4_input` with the session's MSS
//!   clamp in the packet's metadata;
//! - IPv6 (0x0057): dpvpn does not open IPv6CP, so it is silently discarded (§3.4);
//! - LCP Echo-Request, when the control core has handed keepalives to the workers: the
//!   Echo-Reply (§5.8) is written in place, and the carrier's headers in front of it are
//!   replaced by the session's downstream template (the same patches as `session_encap`
//!   applies, [`crate::session::patch`]), so the reply goes back by whatever carried the
//!   request and keepalives are answered at line rate whatever the control core is doing;
//! - everything else (LCP, PAP, CHAP, IPCP, unknown protocols that need a
//!   Protocol-Reject) is punted to the control core under a per-worker rate limit, the
//!   punt header naming the session, its generation and the PPP header's offset
//!   ([`super::PppPunt`]), so the control core reads the PPP frame without parsing the
//!   carrier's headers again.
//!
//! [`PPP_ADDRESS_CONTROL`]: crate::session::PPP_ADDRESS_CONTROL

use super::{done, goto, Ctx, Meta, Next, PppPunt, Punt, Stage};
use crate::counters::{Count, DropReason};
use crate::packet::Packet;
use crate::session::{patch, GreNumbers, SessionKind, MAX_TEMPLATE};
use crate::wire::lcp::LcpCode;
use crate::wire::ppp::{parse_header, ControlPacket, PppProtocol};

/// The counter of IPv4 packets decapsulated from a session of this kind.
#[inline]
fn decap_count(kind: SessionKind) -> Count {
    match kind {
        SessionKind::Pppoe => Count::PppoeDecap,
        SessionKind::L2tp => Count::L2tpDecap,
        SessionKind::Pptp => Count::PptpDecap,
    }
}

#[inline]
pub(crate) fn ppp_input<P: Packet>(ctx: &mut Ctx, rx_port: u16, pkt: &mut P, meta: &mut Meta, index: u32) -> Next {
    let tables = ctx.tables;
    // The carrier found it live a moment ago; the control core may have removed it since.
    let Some(session) = tables.sessions.head(index) else {
        return done(meta, Next::Drop(DropReason::SessionDown));
    };
    let ppp_at = meta.l3 as usize;
    let ppp = pkt.data().get(ppp_at..).unwrap_or(&[]);
    let header = if session.ppp_address_control() { parse_header(ppp).ok() } else { protocol_field(ppp) };
    let Some((proto, hl)) = header else {
        return done(meta, Next::Drop(DropReason::PppTruncated));
    };
    let payload_at = ppp_at + hl;
    match proto {
        PppProtocol::IPV4 => {
            if !session.ipv4_open() {
                return done(meta, Next::Drop(DropReason::PppProtocolNotOpen));
            }
            let data = pkt.data();
            let Some(src) = data.get(payload_at + 12..payload_at + 16) else {
                return done(meta, Next::Drop(DropReason::Ip4Truncated));
            };
            if u32::from_be_bytes([src[0], src[1], src[2], src[3]]) != session.peer_ip {
                return done(meta, Next::Drop(DropReason::PppSourceSpoofed));
            }
            if let Some(c) = tables.sessions.counters(ctx.worker) {
                c.rx(index, data.len() - payload_at);
            }
            ctx.counters.add(decap_count(session.kind), 1);
            meta.l3 = payload_at as u16;
            meta.mss = session.mss;
            goto(meta, Stage::Ip4)
        }
        PppProtocol::IPV6 => done(meta, Next::Drop(DropReason::PppProtocolNotOpen)),
        PppProtocol::LCP if session.echo_offload() => {
            if answer_echo(&mut pkt.data_mut()[payload_at..], session.our_magic) {
                return echo_reply(ctx, pkt, meta, index, payload_at);
            }
            punt(ctx, rx_port, meta, PppPunt { index, generation: session.generation, ppp_offset: ppp_at as u16 })
        }
        _ => punt(ctx, rx_port, meta, PppPunt { index, generation: session.generation, ppp_offset: ppp_at as u16 }),
    }
}

/// A Protocol field at the front of `b`, one byte when the first is odd (PFC, RFC 1661
/// §6.5), else two: the header of a carrier without Address/Control (PPPoE).
#[inline]
fn protocol_field(b: &[u8]) -> Option<(PppProtocol, usize)> {
    match b {
        [p, ..] if p & 1 == 1 => Some((PppProtocol(*p as u16), 1)),
        [hi, lo, ..] => Some((PppProtocol(u16::from_be_bytes([*hi, *lo])), 2)),
        _ => None,
    }
}

#[inline]
fn punt(ctx: &mut Ctx, rx_port: u16, meta: &mut Meta, p: PppPunt) -> Next {
    if !ctx.ppp_control_limit.take(ctx.now) {
        return done(meta, Next::Drop(DropReason::PppControlRateLimited));
    }
    done(meta, Next::Punt(Punt::ppp_control(rx_port, p)))
}

/// Send the Echo-Reply written at `lcp_at` back through the session: drop the carrier's
/// headers in front of it, put the session's template there with protocol LCP, and patch
/// it as `session_encap` patches a downstream packet.
#[inline(never)]
fn echo_reply<P: Packet>(ctx: &mut Ctx, pkt: &mut P, meta: &mut Meta, index: u32, lcp_at: usize) -> Next {
    let tables = ctx.tables;
    let Some(ds) = tables.sessions.downstream(index, false, false) else {
        return done(meta, Next::Drop(DropReason::SessionDown));
    };
    let mut words = [0u8; MAX_TEMPLATE];
    ds.words().write_all(&mut words);
    let tl = ds.len;
    if tl < 2 || !pkt.adj(lcp_at) {
        return done(meta, Next::Drop(DropReason::Internal));
    }
    let Some(frame) = pkt.prepend(tl) else {
        return done(meta, Next::Drop(DropReason::Internal));
    };
    frame[..tl].copy_from_slice(&words[MAX_TEMPLATE - tl..]);
    frame[tl - 2..tl].copy_from_slice(&PppProtocol::LCP.0.to_be_bytes());
    let patches = ds.patches();
    let gre = if patches.gre.is_some() { tables.sessions.take_gre_numbers(index) } else { GreNumbers::default() };
    patch(frame, patches, gre);
    meta.l3 = tl as u16;
    ctx.counters.add(Count::LcpEchoReplies, 1);
    done(meta, Next::Tx(ds.port))
}

/// Turn an LCP Echo-Request into its Echo-Reply in place (RFC 1661 §5.8: same
/// Identifier and data, our Magic-Number). False when it is anything else, malformed,
/// or carries our own magic number (a looped-back link: the control core decides).
#[inline]
fn answer_echo(lcp: &mut [u8], our_magic: u32) -> bool {
    let Ok(mut p) = ControlPacket::new_checked(lcp) else { return false };
    if p.code() != LcpCode::ECHO_REQUEST.0 {
        return false;
    }
    let Some(m) = p.data_mut().get_mut(..4) else { return false };
    let magic = u32::from_be_bytes([m[0], m[1], m[2], m[3]]);
    if magic != 0 && magic == our_magic {
        return false;
    }
    m.copy_from_slice(&our_magic.to_be_bytes());
    p.set_code(LcpCode::ECHO_REPLY.0);
    true
}
