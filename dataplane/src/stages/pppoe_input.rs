//! pppoe_input: upstream PPPoE session frames (EtherType 0x8864, RFC 2516 §6).
//!
//! Finds the session by (port, outer VLAN, inner VLAN, source MAC, session id), trims
//! the frame to the PPPoE LENGTH (Ethernet padding), and dispatches on the PPP
//! protocol (RFC 1661 §2):
//! - IPv4 (0x0021), only once IPCP is Opened for the session and only with the
//!   session's own source address (anti-spoofing), goes on to `ip4_input` with the
//!   session's MSS clamp in the packet's metadata;
//! - IPv6 (0x0057): dpvpn does not open IPv6CP, so it is silently discarded (§3.4);
//! - LCP Echo-Request, when the control core has handed keepalives to the workers: the
//!   Echo-Reply is written in place and sent back (§5.8), so keepalives are answered
//!   at line rate whatever the control core is doing;
//! - everything else (LCP, PAP, CHAP, IPCP, unknown protocols that need a
//!   Protocol-Reject) is punted to the control core under a per-worker rate limit.

use super::{done, goto, Ctx, Meta, Next, Punt, PuntReason, Stage, NO_VLAN};
use crate::counters::{Count, DropReason};
use crate::packet::Packet;
use crate::session::Vid;
use crate::wire::lcp::LcpCode;
use crate::wire::ppp::{parse_header, ControlPacket, PppProtocol};
use crate::wire::pppoe::{PppoePacket, HEADER_LEN as PPPOE_HEADER_LEN};

#[inline]
fn vid(v: u16) -> Vid {
    if v == NO_VLAN {
        None
    } else {
        Some(v)
    }
}

#[inline]
pub(crate) fn pppoe_input<P: Packet>(ctx: &mut Ctx, rx_port: u16, pkt: &mut P, meta: &mut Meta) -> Next {
    if ctx.fast_paths {
        if let Some(v) = upstream_ipv4_fast(ctx, rx_port, pkt, meta) {
            return v;
        }
    }
    pppoe_input_slow(ctx, rx_port, pkt, meta)
}

/// The common frame — a session frame (version/type 1/1, code 0) carrying PPP protocol
/// 0x0021 uncompressed and a whole IPv4 header, of a session whose IPCP is open — read at
/// fixed offsets, with the same checks and verdicts as the general path below. `None`
/// sends the frame there instead (before anything is changed or counted).
#[inline(always)]
fn upstream_ipv4_fast<P: Packet>(ctx: &mut Ctx, rx_port: u16, pkt: &mut P, meta: &mut Meta) -> Option<Next> {
    let l2 = meta.l3 as usize;
    let tables = ctx.tables;
    let d = pkt.data();
    let h = d.get(l2..)?.first_chunk::<8>()?;
    if h[0] != 0x11 || h[1] != 0x00 || h[6] != 0x00 || h[7] != 0x21 {
        return None;
    }
    let sid = u16::from_be_bytes([h[2], h[3]]);
    let pppoe_len = u16::from_be_bytes([h[4], h[5]]) as usize;
    let payload_at = l2 + PPPOE_HEADER_LEN + 2;
    let end = l2 + PPPOE_HEADER_LEN + pppoe_len;
    if pppoe_len < 2 + 20 || end > d.len() {
        return None;
    }
    let peer = *d.get(6..12)?.first_chunk::<6>()?;
    let src = u32::from_be_bytes(*d.get(payload_at + 12..)?.first_chunk::<4>()?);
    let Some(index) = tables.sessions.lookup_pppoe(rx_port, vid(meta.outer_vid), vid(meta.inner_vid), peer, sid) else {
        return Some(done(meta, Next::Drop(DropReason::PppoeNoSession)));
    };
    let (peer_ip, mss) = tables.sessions.upstream_ipv4(index)?;
    let excess = d.len() - end;
    if excess > 0 {
        pkt.trim(excess);
    }
    if src != peer_ip {
        return Some(done(meta, Next::Drop(DropReason::PppSourceSpoofed)));
    }
    if let Some(c) = tables.sessions.counters(ctx.worker) {
        c.rx(index, end - payload_at);
    }
    ctx.counters.add(Count::PppoeDecap, 1);
    meta.l3 = payload_at as u16;
    meta.mss = mss;
    Some(goto(meta, Stage::Ip4))
}

#[inline(never)]
fn pppoe_input_slow<P: Packet>(ctx: &mut Ctx, rx_port: u16, pkt: &mut P, meta: &mut Meta) -> Next {
    let l2 = meta.l3 as usize;
    let tables = ctx.tables;
    let (sid, pppoe_len) = {
        let data = pkt.data();
        let Ok(p) = PppoePacket::new_checked(&data[l2..]) else {
            return done(meta, Next::Drop(DropReason::PppoeBadHeader));
        };
        if !p.is_session() {
            return done(meta, Next::Drop(DropReason::PppoeNotSession));
        }
        (p.session_id(), p.len() as usize)
    };
    let mut peer = [0u8; 6];
    peer.copy_from_slice(&pkt.data()[6..12]);
    let Some(index) = tables.sessions.lookup_pppoe(rx_port, vid(meta.outer_vid), vid(meta.inner_vid), peer, sid) else {
        return done(meta, Next::Drop(DropReason::PppoeNoSession));
    };
    let Some(session) = tables.sessions.head(index) else {
        return done(meta, Next::Drop(DropReason::PppoeNoSession));
    };
    let ppp_at = l2 + PPPOE_HEADER_LEN;
    let excess = pkt.len() - (ppp_at + pppoe_len);
    if excess > 0 {
        pkt.trim(excess);
    }
    let Ok((proto, hl)) = parse_header(&pkt.data()[ppp_at..]) else {
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
            ctx.counters.add(Count::PppoeDecap, 1);
            meta.l3 = payload_at as u16;
            meta.mss = session.mss;
            goto(meta, Stage::Ip4)
        }
        PppProtocol::IPV6 => done(meta, Next::Drop(DropReason::PppProtocolNotOpen)),
        PppProtocol::LCP if session.echo_offload() => {
            let port_mac = tables.port(rx_port).mac;
            let data = pkt.data_mut();
            if answer_echo(&mut data[payload_at..], session.our_magic) {
                data.copy_within(6..12, 0);
                data[6..12].copy_from_slice(&port_mac);
                ctx.counters.add(Count::LcpEchoReplies, 1);
                return done(meta, Next::Tx(rx_port));
            }
            punt(ctx, rx_port, meta, index)
        }
        _ => punt(ctx, rx_port, meta, index),
    }
}

#[inline]
fn punt(ctx: &mut Ctx, rx_port: u16, meta: &mut Meta, index: u32) -> Next {
    if !ctx.ppp_control_limit.take(ctx.now) {
        return done(meta, Next::Drop(DropReason::PppControlRateLimited));
    }
    done(meta, Next::Punt(Punt { reason: PuntReason::PppControl, port: rx_port, arg: index }))
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
