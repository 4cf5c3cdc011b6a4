//! session_encap: downstream IPv4 towards a subscriber session, whatever its carrier.
//!
//! The FIB points the subscriber's /32 (and framed routes) at the session. Here the
//! packet's Ethernet header is replaced by the session's template, built by the control
//! core when the session came up — PPPoE: Ethernet to the subscriber's MAC, its VLAN
//! tags, the PPPoE session header, PPP protocol 0x0021; L2TP: Ethernet to the next hop,
//! IPv4, UDP, L2TP, PPP; PPTP: Ethernet, IPv4, enhanced GRE, PPP — and the template's
//! patches are applied ([`crate::session::patch`]: PPPoE LENGTH (RFC 2516 §4), IPv4 Total
//! Length and checksum, UDP Length (and checksum), L2TP Length, GRE Payload Length and
//! numbers). The payload never moves. `ip4_input` has already checked the session's MRU
//! (fragmentation-needed when DF is set) and decremented the TTL.
//!
//! The template sits right-aligned in the session record, so it is written as whole
//! words ending at the IPv4 header: a short PPPoE template as the four words of the
//! record's hot line, with LENGTH patched at its known place (the fast path); any other
//! as the twelve words of the template area, then patched generally.

use super::{done, Ctx, Meta, Next};
use crate::counters::{Count, DropReason};
use crate::packet::Packet;
use crate::session::{patch, Downstream, GreNumbers, SessionKind, MAX_TEMPLATE, SHORT_TEMPLATE};
use crate::wire::ipv4::{IpProtocol, Ipv4Packet};
use crate::wire::tcp::TcpPacket;

/// Bytes from the end of a short PPPoE template back to its LENGTH field: LENGTH (2) +
/// PPP protocol (2).
const LENGTH_FROM_END: usize = 4;

/// The counter of IPv4 packets encapsulated towards a session of this kind.
#[inline]
fn encap_count(kind: SessionKind) -> Count {
    match kind {
        SessionKind::Pppoe => Count::PppoeEncap,
        SessionKind::L2tp => Count::L2tpEncap,
        SessionKind::Pptp => Count::PptpEncap,
    }
}

#[inline]
pub(crate) fn session_encap<P: Packet>(ctx: &mut Ctx, pkt: &mut P, meta: &mut Meta, index: u32) -> Next {
    let tables = ctx.tables;
    let Some(ds) = tables.sessions.downstream(index, true, ctx.fast_paths) else {
        return done(meta, Next::Drop(DropReason::SessionDown));
    };
    if !ds.short {
        return session_encap_general(ctx, pkt, meta, index, ds);
    }
    if ds.mss != 0 {
        clamp_syn(ctx, pkt, meta.l3 as usize, ds.mss);
    }
    let l3 = meta.l3 as usize;
    let ip_len = pkt.len() - l3;
    let tl = ds.len;
    // Make room for exactly SHORT_TEMPLATE bytes in front of the IPv4 header, write the
    // right-aligned template as whole words, then drop what is in front of it.
    let ok = if l3 >= SHORT_TEMPLATE { pkt.adj(l3 - SHORT_TEMPLATE) } else { pkt.prepend(SHORT_TEMPLATE - l3).is_some() };
    if !ok || tl < LENGTH_FROM_END {
        return done(meta, Next::Drop(DropReason::Internal));
    }
    let Some(front) = pkt.data_mut().first_chunk_mut::<SHORT_TEMPLATE>() else {
        return done(meta, Next::Drop(DropReason::Internal));
    };
    ds.words().write_short(front);
    let pppoe_len = (ip_len + 2) as u16;
    front[SHORT_TEMPLATE - LENGTH_FROM_END..SHORT_TEMPLATE - 2].copy_from_slice(&pppoe_len.to_be_bytes());
    pkt.adj(SHORT_TEMPLATE - tl);
    meta.l3 = tl as u16;
    if let Some(c) = tables.sessions.counters(ctx.worker) {
        c.tx(index, ip_len);
    }
    ctx.counters.add(Count::PppoeEncap, 1);
    done(meta, Next::Tx(ds.port))
}

/// Any template: the twelve words of the template area in front of the IPv4 header, then
/// [`patch`].
#[inline(never)]
fn session_encap_general<P: Packet>(ctx: &mut Ctx, pkt: &mut P, meta: &mut Meta, index: u32, ds: Downstream) -> Next {
    let tables = ctx.tables;
    if ds.mss != 0 {
        clamp_syn(ctx, pkt, meta.l3 as usize, ds.mss);
    }
    let l3 = meta.l3 as usize;
    let ip_len = pkt.len() - l3;
    let tl = ds.len;
    let ok = if l3 >= MAX_TEMPLATE { pkt.adj(l3 - MAX_TEMPLATE) } else { pkt.prepend(MAX_TEMPLATE - l3).is_some() };
    if !ok || tl < 2 {
        return done(meta, Next::Drop(DropReason::Internal));
    }
    let Some(front) = pkt.data_mut().first_chunk_mut::<MAX_TEMPLATE>() else {
        return done(meta, Next::Drop(DropReason::Internal));
    };
    ds.words().write_all(front);
    pkt.adj(MAX_TEMPLATE - tl);
    let patches = ds.patches();
    let gre = if patches.gre.is_some() { tables.sessions.take_gre_numbers(index) } else { GreNumbers::default() };
    patch(pkt.data_mut(), patches, gre);
    meta.l3 = tl as u16;
    if let Some(c) = tables.sessions.counters(ctx.worker) {
        c.tx(index, ip_len);
    }
    ctx.counters.add(encap_count(ds.kind()), 1);
    done(meta, Next::Tx(ds.port))
}

/// Clamp the MSS option of a TCP SYN in the IPv4 packet at `l3` to `mss` (RFC 6691
/// §2: the MSS is what fits the smaller MTU of a tunnel), fixing the TCP checksum
/// incrementally. Fragments and malformed headers are left alone.
#[inline]
pub(crate) fn clamp_syn<P: Packet>(ctx: &mut Ctx, pkt: &mut P, l3: usize, mss: u16) {
    let data = pkt.data_mut();
    let Ok(ip) = Ipv4Packet::new_checked(&data[l3..]) else { return };
    if ip.protocol() != IpProtocol::TCP || ip.frag_offset() != 0 || ip.more_frags() {
        return;
    }
    let (hl, total) = (ip.header_len() as usize, ip.total_len() as usize);
    let Ok(mut tcp) = TcpPacket::new_checked(&mut data[l3 + hl..l3 + total]) else { return };
    if tcp.syn() && tcp.clamp_mss(mss) {
        ctx.counters.add(Count::MssClamped, 1);
    }
}
