//! session_encap: downstream IPv4 towards a subscriber session.
//!
//! The FIB points the subscriber's /32 (and framed routes) at the session. Here the
//! packet's Ethernet header is replaced by the session's template (Ethernet to the
//! subscriber's MAC, its VLAN tags, PPPoE session header, PPP protocol 0x0021), built
//! by the control core when the session came up; only the PPPoE LENGTH is patched
//! (RFC 2516 §4: the PPP payload plus the 2-byte protocol). The payload never moves.
//! `ip4_input` has already checked the session's MRU (fragmentation-needed when DF is
//! set) and decremented the TTL.

use super::{done, Ctx, Meta, Next};
use crate::counters::{Count, DropReason};
use crate::packet::Packet;
use crate::session::MAX_TEMPLATE;
use crate::wire::ipv4::{IpProtocol, Ipv4Packet};
use crate::wire::tcp::TcpPacket;

/// Bytes from the end of the template back to the PPPoE LENGTH field: LENGTH (2) +
/// PPP protocol (2).
const LENGTH_FROM_END: usize = 4;

#[inline]
pub(crate) fn session_encap<P: Packet>(ctx: &mut Ctx, pkt: &mut P, meta: &mut Meta, index: u32) -> Next {
    let tables = ctx.tables;
    let mut words = [0u8; MAX_TEMPLATE];
    let Some((port, tl, mss)) = tables.sessions.downstream_ipv4(index, &mut words) else {
        return done(meta, Next::Drop(DropReason::SessionDown));
    };
    if mss != 0 {
        clamp_syn(ctx, pkt, meta.l3 as usize, mss);
    }
    let l3 = meta.l3 as usize;
    let ip_len = pkt.len() - l3;
    // Make room for exactly MAX_TEMPLATE bytes in front of the IPv4 header, write the
    // right-aligned template as whole words, then drop what is in front of it.
    let ok = if l3 >= MAX_TEMPLATE { pkt.adj(l3 - MAX_TEMPLATE) } else { pkt.prepend(MAX_TEMPLATE - l3).is_some() };
    if !ok || tl < LENGTH_FROM_END {
        return done(meta, Next::Drop(DropReason::Internal));
    }
    let Some(front) = pkt.data_mut().first_chunk_mut::<MAX_TEMPLATE>() else {
        return done(meta, Next::Drop(DropReason::Internal));
    };
    *front = words;
    let pppoe_len = (ip_len + 2) as u16;
    front[MAX_TEMPLATE - LENGTH_FROM_END..MAX_TEMPLATE - 2].copy_from_slice(&pppoe_len.to_be_bytes());
    pkt.adj(MAX_TEMPLATE - tl);
    meta.l3 = tl as u16;
    if let Some(c) = tables.sessions.counters(ctx.worker) {
        c.tx(index, ip_len);
    }
    ctx.counters.add(Count::PppoeEncap, 1);
    done(meta, Next::Tx(port))
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
