//! icmp_error: turn a packet that cannot be forwarded into the ICMP error about it,
//! in the same buffer (RFC 792, RFC 1812 §4.3.2).
//!
//! The error quotes the offending datagram's header and as much of its data as keeps
//! the error within 576 bytes (RFC 1812 §4.3.2.3). No error is sent about an ICMP
//! error, a non-initial fragment, or a packet from a martian source (§4.3.2.7), and
//! errors are rate-limited per worker (§4.3.2.8). The error is sourced from the
//! receiving port's primary address and routed like any other packet.

use super::{done, goto, Ctx, Meta, Next, Stage};
use crate::adjacency::Adjacency;
use crate::counters::{Count, DropReason};
use crate::fib::NO_ROUTE;
use crate::packet::Packet;
use crate::wire::checksum;
use crate::wire::ipv4::Ipv4Packet;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    TtlExceeded,
    NetUnreachable,
    FragmentationNeeded { mtu: u16 },
}

impl ErrorKind {
    fn type_code(self) -> (u8, u8) {
        match self {
            ErrorKind::TtlExceeded => (11, 0),
            ErrorKind::NetUnreachable => (3, 0),
            ErrorKind::FragmentationNeeded { .. } => (3, 4),
        }
    }
    fn drop_reason(self) -> DropReason {
        match self {
            ErrorKind::TtlExceeded => DropReason::TtlExpired,
            ErrorKind::NetUnreachable => DropReason::NoRoute,
            ErrorKind::FragmentationNeeded { .. } => DropReason::FragmentationNeeded,
        }
    }
}

/// Largest quote: 576 − 20 (IP) − 8 (ICMP).
const MAX_QUOTE: usize = 548;
const ETH: usize = 14;

#[inline]
fn is_icmp_error_type(t: u8) -> bool {
    matches!(t, 3 | 4 | 5 | 11 | 12)
}

#[inline(never)]
pub(crate) fn icmp_error<P: Packet>(ctx: &mut Ctx, rx_port: u16, pkt: &mut P, meta: &mut Meta, kind: ErrorKind) -> Next {
    let reason = kind.drop_reason();
    let l3 = meta.l3 as usize;
    let (orig_src, total_len, eligible) = {
        let data = pkt.data();
        let ip = Ipv4Packet::new_unchecked(&data[l3..]);
        let hl = ip.header_len() as usize;
        let payload = &data[l3 + hl..];
        let about_icmp_error = ip.protocol() == crate::wire::ipv4::IpProtocol::ICMP
            && payload.first().is_some_and(|&t| is_icmp_error_type(t));
        let eligible = !about_icmp_error && ip.frag_offset() == 0 && data[0] & 1 == 0;
        (u32::from(ip.src_addr()), ip.total_len() as usize, eligible)
    };
    if !eligible || super::ip4_input::martian_source(orig_src) {
        ctx.counters.add(Count::IcmpSuppressed, 1);
        return done(meta, Next::Drop(reason));
    }
    if !ctx.icmp_limit.take(ctx.now) {
        ctx.counters.add(Count::IcmpRateLimited, 1);
        return done(meta, Next::Drop(reason));
    }
    // The offending packet is dropped (counted under its reason); its buffer becomes
    // the error.
    ctx.counters.count_drop(reason);
    let tables = ctx.tables;
    let src = tables.port(rx_port).primary().unwrap_or(tables.router_id);
    let quote = total_len.min(MAX_QUOTE);
    let frame_len = pkt.len();
    if !pkt.trim(frame_len - (l3 + quote)) || !pkt.adj(l3) {
        return done(meta, Next::Drop(DropReason::Internal));
    }
    let Some(buf) = pkt.prepend(ETH + 28) else {
        return done(meta, Next::Drop(DropReason::Internal));
    };
    let (ty, code) = kind.type_code();
    let ip_len = 28 + quote;
    {
        let h = &mut buf[ETH..ETH + 20];
        h[0] = 0x45;
        h[1] = 0xc0; // precedence: internetwork control, as routers send errors
        h[2..4].copy_from_slice(&(ip_len as u16).to_be_bytes());
        h[4..8].copy_from_slice(&[0, 0, 0, 0]);
        h[8] = 64;
        h[9] = 1;
        h[10..12].copy_from_slice(&[0, 0]);
        h[12..16].copy_from_slice(&src.to_be_bytes());
        h[16..20].copy_from_slice(&orig_src.to_be_bytes());
        let c = checksum::checksum(h);
        h[10..12].copy_from_slice(&c.to_be_bytes());
    }
    {
        let icmp = &mut buf[ETH + 20..];
        icmp[0] = ty;
        icmp[1] = code;
        icmp[2..4].copy_from_slice(&[0, 0]);
        let mtu = match kind {
            ErrorKind::FragmentationNeeded { mtu } => mtu,
            _ => 0,
        };
        icmp[4..6].copy_from_slice(&[0, 0]);
        icmp[6..8].copy_from_slice(&mtu.to_be_bytes());
        let c = checksum::checksum(icmp);
        icmp[2..4].copy_from_slice(&c.to_be_bytes());
    }
    buf[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
    meta.l3 = ETH as u16;
    ctx.counters.add(Count::IcmpErrors, 1);
    let adj_index = tables.fib.lookup(orig_src);
    if adj_index == NO_ROUTE {
        return done(meta, Next::Drop(DropReason::NoRoute));
    }
    match tables.adjacencies.get(adj_index) {
        Some((Adjacency::Local, _)) => goto(meta, Stage::Local),
        Some((Adjacency::Glean { .. } | Adjacency::NextHop { .. }, _)) => {
            goto(meta, Stage::Rewrite { adj: adj_index, dst: orig_src })
        }
        Some((Adjacency::Blackhole, _)) => done(meta, Next::Drop(DropReason::Blackhole)),
        None => done(meta, Next::Drop(DropReason::AdjacencyInvalid)),
    }
}

