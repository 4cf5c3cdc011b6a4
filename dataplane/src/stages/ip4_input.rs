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
use super::{done, goto, Ctx, Meta, Next, Stage};
use crate::adjacency::Adjacency;
use crate::counters::{Count, DropReason};
use crate::fib::NO_ROUTE;
use crate::packet::Packet;
use crate::session::fib_session;
use crate::wire::ipv4::Ipv4Packet;
use crate::wire::Error as WireError;

/// Sources that must never be forwarded (RFC 1812 §5.3.7, RFC 6890): 0/8, 127/8,
/// 224/4 (multicast as a source), 240/4 and the limited broadcast.
#[inline]
pub fn martian_source(a: u32) -> bool {
    let top = a >> 24;
    top == 0 || top == 127 || top >= 224
}

/// Destinations dpvpn does not forward: 0/8, 127/8, 240/4, limited broadcast, and
/// multicast (no multicast routing).
#[inline]
pub fn martian_destination(a: u32) -> bool {
    let top = a >> 24;
    top == 0 || top == 127 || top >= 224
}

#[inline]
pub(crate) fn ip4_input<P: Packet>(ctx: &mut Ctx, _rx_port: u16, pkt: &mut P, meta: &mut Meta, forwarding: bool) -> Next {
    let l3 = meta.l3 as usize;
    let frame_len = pkt.len();
    let (total_len, src, dst, ttl, df) = {
        let ip = match Ipv4Packet::new_checked(&pkt.data()[l3..]) {
            Ok(ip) => ip,
            Err(e) => {
                let r = match e {
                    WireError::BadVersion => DropReason::Ip4BadVersion,
                    WireError::BadHeaderLength => DropReason::Ip4BadHeaderLength,
                    WireError::BadLength => DropReason::Ip4BadLength,
                    _ => DropReason::Ip4Truncated,
                };
                return done(meta, Next::Drop(r));
            }
        };
        if !ip.verify_checksum() {
            return done(meta, Next::Drop(DropReason::Ip4BadChecksum));
        }
        (
            ip.total_len() as usize,
            u32::from(ip.src_addr()),
            u32::from(ip.dst_addr()),
            ip.ttl(),
            ip.dont_frag(),
        )
    };
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
    // Where it goes, and the MTU on the way.
    let (mtu, next_stage) = if let Some(index) = fib_session(adj_index) {
        let Some(s) = tables.sessions.head(index).filter(|s| s.ipv4_open()) else {
            return done(meta, Next::Drop(DropReason::SessionDown));
        };
        (s.mru as usize, Stage::SessionEncap { index })
    } else {
        let Some((adj, _)) = tables.adjacencies.get(adj_index) else {
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
        (tables.port(out_port).mtu as usize, Stage::Rewrite { adj: adj_index, dst })
    };
    if martian_destination(dst) {
        return done(meta, Next::Drop(DropReason::Ip4MartianDestination));
    }
    if forwarding && ttl <= 1 {
        return goto(meta, Stage::IcmpError { kind: ErrorKind::TtlExceeded });
    }
    if total_len > mtu {
        if df {
            return goto(meta, Stage::IcmpError { kind: ErrorKind::FragmentationNeeded { mtu: mtu as u16 } });
        }
        return done(meta, Next::Drop(DropReason::MtuExceeded));
    }
    if forwarding {
        let mut ip = Ipv4Packet::new_unchecked(&mut pkt.data_mut()[l3..]);
        ip.decrement_ttl_incremental();
        ctx.counters.add(Count::Forwarded, 1);
        if meta.mss != 0 {
            // From a session that clamps: its SYNs towards the network.
            super::session_encap::clamp_syn(ctx, pkt, l3, meta.mss);
        }
    }
    goto(meta, next_stage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn martians() {
        assert!(martian_source(0x0000_0001));
        assert!(martian_source(0x7f00_0001));
        assert!(martian_source(0xe000_0001));
        assert!(martian_source(0xffff_ffff));
        assert!(!martian_source(0xc000_0202));
        assert!(martian_destination(0xffff_ffff));
        assert!(!martian_destination(0xc633_6402));
    }
}
