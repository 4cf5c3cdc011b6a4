//! pppoe_input: upstream PPPoE session frames (EtherType 0x8864, RFC 2516 §6), the PPPoE
//! carrier's input stage.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  VER  | TYPE  |      CODE     |          SESSION_ID           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |            LENGTH             |           payload (PPP)       ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! What a carrier's input stage does, and all this one does: check the PPPoE header
//! (VER/TYPE 1/1, CODE 0x00, LENGTH inside the frame, RFC 2516 §4), find the session in
//! the PPPoE index by (port, outer VLAN, inner VLAN, source MAC, session id), trim the
//! frame to LENGTH (Ethernet padding), and hand the PPP frame to `ppp_input` with the
//! session index and the PPP header's offset. Everything PPP — protocol demux,
//! anti-spoofing, LCP echo offload, punts — is `ppp_input`'s, the same for every
//! carrier. An L2TP or PPTP input stage does the same with its own header and index
//! (`SessionTable::lookup_l2tp`, `lookup_pptp`) and hands over the same way.
//!
//! The one exception is [`upstream_ipv4_fast`], the common frame (uncompressed PPP
//! protocol 0x0021 of a session with IPCP open) read at fixed offsets and sent straight
//! on to `ip4_input`, with the checks and verdicts `ppp_input` gives it; the tests run
//! every frame both ways and compare.

use super::{done, goto, ppp_input, Ctx, Meta, Next, Stage, NO_VLAN};
use crate::counters::{Count, DropReason};
use crate::packet::Packet;
use crate::session::Vid;
use crate::wire::pppoe::{PppoePacket, HEADER_LEN as PPPOE_HEADER_LEN};

#[inline]
fn vid(v: u16) -> Vid {
    if v == NO_VLAN {
        None
    } else {
        Some(v)
    }
}

/// The stage. With `FUSE` (the worker's normal dispatch) what the fast path does not take
/// runs through `ppp_input` here, in the same pass; without it (the sampled dispatch that
/// times each stage) it is handed to the `Ppp` stage. The verdict is the same either way.
#[inline]
pub(crate) fn pppoe_input<P: Packet, const FUSE: bool>(ctx: &mut Ctx, rx_port: u16, pkt: &mut P, meta: &mut Meta) -> Next {
    if ctx.fast_paths {
        if let Some(v) = upstream_ipv4_fast(ctx, rx_port, pkt, meta) {
            return v;
        }
    }
    pppoe_input_slow::<P, FUSE>(ctx, rx_port, pkt, meta)
}

/// The common frame — a session frame (version/type 1/1, code 0) carrying PPP protocol
/// 0x0021 uncompressed and a whole IPv4 header, of a session whose IPCP is open — read at
/// fixed offsets, with the same checks and verdicts as `pppoe_input_slow` + `ppp_input`.
/// `None` sends the frame there instead (before anything is changed or counted).
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
fn pppoe_input_slow<P: Packet, const FUSE: bool>(ctx: &mut Ctx, rx_port: u16, pkt: &mut P, meta: &mut Meta) -> Next {
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
    let ppp_at = l2 + PPPOE_HEADER_LEN;
    let excess = pkt.len() - (ppp_at + pppoe_len);
    if excess > 0 {
        pkt.trim(excess);
    }
    meta.l3 = ppp_at as u16;
    if FUSE {
        return ppp_input::ppp_input(ctx, rx_port, pkt, meta, index);
    }
    goto(meta, Stage::Ppp { index })
}
