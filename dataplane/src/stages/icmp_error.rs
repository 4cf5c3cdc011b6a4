//! icmp_error: turn a packet that cannot be forwarded into the ICMP error about it,
//! in the same buffer (RFC 792, RFC 1812 §4.3.2).
//!
//! The error quotes the offending datagram's header and as much of its data as keeps
//! the error within 576 bytes (RFC 1812 §4.3.2.3). No error is sent about an ICMP
//! error, a non-initial fragment, or a packet from a martian source (§4.3.2.7), and
//! errors are rate-limited per worker (§4.3.2.8). The error is sourced from the
//! receiving port's primary address and routed like any other packet.

use super::ip4_martian::martian_source;
use super::{done, goto, Ctx, Meta, Next, Stage};
use crate::adjacency::Adjacency;
use crate::counters::{Count, DropReason};
use crate::fib::NO_ROUTE;
use crate::packet::Packet;
use crate::wire::icmpv4::{Icmpv4Message, Icmpv4Packet, MAX_ERROR_QUOTE};
use crate::wire::ipv4::{IpProtocol, Ipv4Packet, Ipv4Repr};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    TtlExceeded,
    NetUnreachable,
    FragmentationNeeded { mtu: u16 },
}

impl ErrorKind {
    fn type_code(self) -> (Icmpv4Message, u8) {
        use crate::wire::icmpv4::{DstUnreachable, TimeExceeded};
        match self {
            ErrorKind::TtlExceeded => (Icmpv4Message::TIME_EXCEEDED, TimeExceeded::TTL_EXPIRED.0),
            ErrorKind::NetUnreachable => (Icmpv4Message::DST_UNREACHABLE, DstUnreachable::NET_UNREACHABLE.0),
            ErrorKind::FragmentationNeeded { .. } => (Icmpv4Message::DST_UNREACHABLE, DstUnreachable::FRAG_NEEDED.0),
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

const ETH: usize = 14;

#[inline(never)]
pub(crate) fn icmp_error<P: Packet>(ctx: &mut Ctx, rx_port: u16, pkt: &mut P, meta: &mut Meta, kind: ErrorKind) -> Next {
    let reason = kind.drop_reason();
    let l3 = meta.l3 as usize;
    let (orig_src, total_len, eligible) = {
        let data = pkt.data();
        let ip = Ipv4Packet::new_unchecked(&data[l3..]);
        let hl = ip.header_len() as usize;
        let payload = &data[l3 + hl..];
        let about_icmp_error =
            ip.protocol() == IpProtocol::ICMP && payload.first().is_some_and(|&t| Icmpv4Message(t).is_error());
        let eligible = !about_icmp_error && ip.frag_offset() == 0 && data[0] & 1 == 0;
        (u32::from(ip.src_addr()), ip.total_len() as usize, eligible)
    };
    if !eligible || martian_source(orig_src) {
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
    let quote = total_len.min(MAX_ERROR_QUOTE);
    let frame_len = pkt.len();
    if !pkt.trim(frame_len - (l3 + quote)) || !pkt.adj(l3) {
        return done(meta, Next::Drop(DropReason::Internal));
    }
    let Some(buf) = pkt.prepend(ETH + 28) else {
        return done(meta, Next::Drop(DropReason::Internal));
    };
    let (ty, code) = kind.type_code();
    let ip = Ipv4Repr {
        src: src.into(),
        dst: orig_src.into(),
        protocol: IpProtocol::ICMP,
        payload_len: (8 + quote) as u16,
        ttl: 64,
        // Precedence "internetwork control", as routers send their errors.
        dscp_ecn: 0xc0,
        ident: 0,
        dont_frag: false,
    };
    if ip.emit(&mut buf[ETH..ETH + 20]).is_err() {
        return done(meta, Next::Drop(DropReason::Internal));
    }
    {
        // The quote is already in place after these 8 bytes: only the header is written.
        let mut icmp = Icmpv4Packet::new_unchecked(&mut buf[ETH + 20..]);
        icmp.set_msg_type(ty);
        icmp.set_msg_code(code);
        // Bytes 4..8 are unused (zero) but for fragmentation-needed's next-hop MTU (RFC 1191).
        icmp.set_next_hop_mtu(match kind {
            ErrorKind::FragmentationNeeded { mtu } => mtu,
            _ => 0,
        });
        icmp.fill_checksum();
    }
    buf[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
    meta.l3 = ETH as u16;
    ctx.counters.add(Count::IcmpErrors, 1);
    let adj_index = tables.fib.lookup(orig_src);
    if adj_index == NO_ROUTE {
        return done(meta, Next::Drop(DropReason::NoRoute));
    }
    if let Some(index) = crate::session::fib_session(adj_index) {
        return goto(meta, Stage::SessionEncap { index });
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

