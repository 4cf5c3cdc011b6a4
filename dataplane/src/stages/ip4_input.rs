//! ip4_input: IPv4 header checks, FIB lookup, TTL and MTU (RFC 1812 §5.2–5.3).
//!
//! Validates the header (RFC 1812 §5.2.2: version, IHL, total length, checksum),
//! trims Ethernet padding, refuses martian sources and destinations (§5.3.7), looks
//! the destination up in the FIB, then for forwarded packets checks TTL (§5.3.1;
//! time-exceeded on expiry) and the egress MTU (no fragmentation: fragmentation-needed
//! when DF is set, RFC 1191), and decrements the TTL with an incremental checksum
//! update (RFC 1624). Packets from the kernel (`forwarding == false`) are locally
//! originated: no TTL decrement.

use super::icmp_error::ErrorKind;
// Re-exported: they were this module's before icmp_error needed them too.
pub use super::ip4_martian::{martian_destination, martian_source};
use super::{done, goto, ip4_rewrite, session_encap, Ctx, Meta, Next, Stage};
use crate::adjacency::Adjacency;
use crate::counters::{Count, DropReason};
use crate::fib::NO_ROUTE;
use crate::packet::Packet;
use crate::session::fib_session;
use crate::wire::checksum;
use crate::wire::ipv4::Ipv4Packet;
use crate::wire::Error as WireError;

/// What the stage reads from a valid IPv4 header.
#[derive(Clone, Copy)]
struct Header {
    total_len: usize,
    src: u32,
    dst: u32,
    ttl: u8,
    df: bool,
}

/// The header at the front of `d` when it has the common shape — no options, lengths
/// and checksum right (RFC 1812 §5.2.2) — read at fixed offsets. `None` for anything
/// else, which [`read_header_slow`] then checks and classifies.
#[inline(always)]
fn read_header_fast(d: &[u8]) -> Option<Header> {
    let h = d.first_chunk::<20>()?;
    let total_len = u16::from_be_bytes([h[2], h[3]]) as usize;
    if h[0] == 0x45 && total_len >= 20 && total_len <= d.len() && checksum::verify20(h) {
        return Some(Header {
            total_len,
            src: u32::from_be_bytes([h[12], h[13], h[14], h[15]]),
            dst: u32::from_be_bytes([h[16], h[17], h[18], h[19]]),
            ttl: h[8],
            df: h[6] & 0x40 != 0,
        });
    }
    None
}

#[cold]
#[inline(never)]
fn read_header_slow(d: &[u8]) -> Result<Header, DropReason> {
    let ip = Ipv4Packet::new_checked(d).map_err(|e| match e {
        WireError::BadVersion => DropReason::Ip4BadVersion,
        WireError::BadHeaderLength => DropReason::Ip4BadHeaderLength,
        WireError::BadLength => DropReason::Ip4BadLength,
        _ => DropReason::Ip4Truncated,
    })?;
    if !ip.verify_checksum() {
        return Err(DropReason::Ip4BadChecksum);
    }
    Ok(Header {
        total_len: ip.total_len() as usize,
        src: u32::from(ip.src_addr()),
        dst: u32::from(ip.dst_addr()),
        ttl: ip.ttl(),
        df: ip.dont_frag(),
    })
}

/// The stage. With `FUSE` (the worker's normal dispatch) a packet that leaves by an
/// adjacency or a session is rewritten or encapsulated here, in the same pass; without
/// it (the sampled dispatch that times each stage, see [`super::process_burst`]) it is
/// handed to the `Rewrite` or `SessionEncap` stage. The verdict is the same either way.
#[inline]
pub(crate) fn ip4_input<P: Packet, const FUSE: bool>(
    ctx: &mut Ctx,
    _rx_port: u16,
    pkt: &mut P,
    meta: &mut Meta,
    forwarding: bool,
) -> Next {
    // The common header stays in registers on this path; options and errors take a
    // call of their own (merging the two paths' results would go through memory).
    let fast = if ctx.fast_paths { read_header_fast(pkt.data().get(meta.l3 as usize..).unwrap_or(&[])) } else { None };
    match fast {
        Some(h) => route::<P, FUSE>(ctx, pkt, meta, h, forwarding),
        None => ip4_input_slow::<P, FUSE>(ctx, pkt, meta, forwarding),
    }
}

#[cold]
#[inline(never)]
fn ip4_input_slow<P: Packet, const FUSE: bool>(ctx: &mut Ctx, pkt: &mut P, meta: &mut Meta, forwarding: bool) -> Next {
    match read_header_slow(pkt.data().get(meta.l3 as usize..).unwrap_or(&[])) {
        Ok(h) => route::<P, FUSE>(ctx, pkt, meta, h, forwarding),
        Err(r) => done(meta, Next::Drop(r)),
    }
}

/// Everything after the header checks: padding, martians, the FIB, the egress checks,
/// and (fused) the rewrite or encapsulation.
#[inline(always)]
fn route<P: Packet, const FUSE: bool>(ctx: &mut Ctx, pkt: &mut P, meta: &mut Meta, h: Header, forwarding: bool) -> Next {
    let l3 = meta.l3 as usize;
    let frame_len = pkt.len();
    let (total_len, src, dst) = (h.total_len, h.src, h.dst);
    // Ethernet padding after the datagram.
    let excess = frame_len - l3 - total_len;
    if excess > 0 {
        pkt.trim(excess);
    }
    if martian_source(src) {
        return done(meta, Next::Drop(DropReason::Ip4MartianSource));
    }
    let tables = ctx.tables;
    let adj_index = tables.fib.lookup(dst);
    if adj_index == NO_ROUTE {
        if martian_destination(dst) {
            return done(meta, Next::Drop(DropReason::Ip4MartianDestination));
        }
        return goto(meta, Stage::IcmpError { kind: ErrorKind::NetUnreachable });
    }
    if let Some(index) = fib_session(adj_index) {
        let Some(s) = tables.sessions.head(index).filter(|s| s.ipv4_open()) else {
            return done(meta, Next::Drop(DropReason::SessionDown));
        };
        if let Some(v) = forward_checks(ctx, pkt, meta, &h, s.mru as usize, forwarding) {
            return v;
        }
        if FUSE {
            return session_encap::session_encap(ctx, pkt, meta, index);
        }
        return goto(meta, Stage::SessionEncap { index });
    }
    if FUSE && ctx.fast_paths {
        // The common case without decoding the adjacency: a next hop with its MAC.
        if let Some((port, mac)) = tables.adjacencies.resolved_next_hop(adj_index) {
            if let Some(v) = forward_checks(ctx, pkt, meta, &h, tables.port(port).mtu as usize, forwarding) {
                return v;
            }
            return ip4_rewrite::write_ethernet(ctx, pkt, meta, port, mac);
        }
    }
    let Some((adj, cached)) = tables.adjacencies.get(adj_index) else {
        return done(meta, Next::Drop(DropReason::AdjacencyInvalid));
    };
    let out_port = match adj {
        Adjacency::Local => {
            if !forwarding {
                // The kernel sent a packet to one of its own addresses through us.
                return done(meta, Next::Drop(DropReason::Ip4MartianDestination));
            }
            return goto(meta, Stage::Local);
        }
        Adjacency::Blackhole => return done(meta, Next::Drop(DropReason::Blackhole)),
        Adjacency::Glean { port } | Adjacency::NextHop { port, .. } => port,
    };
    // Directed broadcast to a connected subnet is not forwarded (RFC 2644).
    if let Adjacency::Glean { port } = adj {
        if forwarding && tables.port(port).addrs().iter().any(|a| a.len < 31 && a.broadcast() == dst) {
            return done(meta, Next::Drop(DropReason::Ip4MartianDestination));
        }
    }
    if let Some(v) = forward_checks(ctx, pkt, meta, &h, tables.port(out_port).mtu as usize, forwarding) {
        return v;
    }
    if FUSE {
        return ip4_rewrite::rewrite(ctx, pkt, meta, adj, cached, dst);
    }
    goto(meta, Stage::Rewrite { adj: adj_index, dst })
}

/// The checks between the route and the egress (RFC 1812 §5.3.7, §5.3.1, RFC 1191) and,
/// when forwarding, the TTL decrement and the session's MSS clamp. `Some` is the verdict
/// of a packet that goes no further this way.
#[inline(always)]
fn forward_checks<P: Packet>(
    ctx: &mut Ctx,
    pkt: &mut P,
    meta: &mut Meta,
    h: &Header,
    mtu: usize,
    forwarding: bool,
) -> Option<Next> {
    if martian_destination(h.dst) {
        return Some(done(meta, Next::Drop(DropReason::Ip4MartianDestination)));
    }
    if forwarding && h.ttl <= 1 {
        return Some(goto(meta, Stage::IcmpError { kind: ErrorKind::TtlExceeded }));
    }
    if h.total_len > mtu {
        if h.df {
            return Some(goto(meta, Stage::IcmpError { kind: ErrorKind::FragmentationNeeded { mtu: mtu as u16 } }));
        }
        return Some(done(meta, Next::Drop(DropReason::MtuExceeded)));
    }
    if forwarding {
        let l3 = meta.l3 as usize;
        if let Some(ip) = pkt.data_mut().get_mut(l3..).and_then(|d| d.first_chunk_mut::<20>()) {
            decrement_ttl(ip);
        }
        ctx.counters.add(Count::Forwarded, 1);
        if meta.mss != 0 {
            // From a session that clamps: its SYNs towards the network.
            super::session_encap::clamp_syn(ctx, pkt, l3, meta.mss);
        }
    }
    None
}

/// TTL − 1 with the checksum updated incrementally (RFC 1624): the TTL is the high byte
/// of the 16-bit word it shares with the protocol, so the checksum goes up by 0x0100,
/// with the end-around carry (as Linux's `ip_decrease_ttl`).
#[inline]
fn decrement_ttl(ip: &mut [u8; 20]) {
    ip[8] = ip[8].wrapping_sub(1);
    let c = u16::from_be_bytes([ip[10], ip[11]]) as u32 + 0x0100;
    let c = (c + (c >= 0xffff) as u32) as u16;
    ip[10..12].copy_from_slice(&c.to_be_bytes());
}
