//! ip4_rewrite: write the Ethernet header towards the neighbour and pick the port.
//!
//! A next-hop adjacency carries its neighbour's MAC; a glean adjacency (a connected
//! prefix) looks the destination up in the neighbour table. An unknown neighbour sends
//! the packet to the control core, which resolves it with ARP and sends the packet on
//! (RFC 1812 §3.3.2 lets a router hold it while resolving); while resolution is under
//! way, further packets to it are dropped here without troubling the control core.

use super::{done, Ctx, Meta, Next, Punt, PuntReason};
use crate::adjacency::{unpack_mac, Adjacency, MAC_VALID};
use crate::counters::DropReason;
use crate::neighbour::Lookup;
use crate::packet::Packet;

const ETH: usize = 14;

/// Make the frame start with exactly one untagged Ethernet header before the L3
/// header at `meta.l3`, and return it.
#[inline(always)]
pub(crate) fn normalize_l2<'p, P: Packet>(pkt: &'p mut P, meta: &mut Meta) -> Option<&'p mut [u8]> {
    let l3 = meta.l3 as usize;
    if l3 > ETH {
        if !pkt.adj(l3 - ETH) {
            return None;
        }
    } else if l3 < ETH {
        pkt.prepend(ETH - l3)?;
    }
    meta.l3 = ETH as u16;
    Some(pkt.data_mut())
}

#[inline]
pub(crate) fn ip4_rewrite<P: Packet>(ctx: &mut Ctx, pkt: &mut P, meta: &mut Meta, adj_index: u32, dst: u32) -> Next {
    let Some((adj, cached)) = ctx.tables.adjacencies.get(adj_index) else {
        return done(meta, Next::Drop(DropReason::AdjacencyInvalid));
    };
    rewrite(ctx, pkt, meta, adj, cached, dst)
}

/// The rewrite through adjacency `adj` (its cached MAC word `cached`), already read by
/// the caller: `ip4_input` calls this directly on the worker's fused path.
#[inline(always)]
pub(crate) fn rewrite<P: Packet>(ctx: &mut Ctx, pkt: &mut P, meta: &mut Meta, adj: Adjacency, cached: u64, dst: u32) -> Next {
    let tables = ctx.tables;
    let (port, nh) = match adj {
        Adjacency::Glean { port } => (port, dst),
        Adjacency::NextHop { port, next_hop } => (port, next_hop),
        _ => return done(meta, Next::Drop(DropReason::AdjacencyInvalid)),
    };
    let mac = if cached & MAC_VALID != 0 {
        unpack_mac(cached)
    } else {
        match tables.neighbours.lookup(port, nh) {
            Lookup::Resolved(mac) => mac,
            Lookup::Incomplete => return done(meta, Next::Drop(DropReason::NeighbourMiss)),
            Lookup::Miss => {
                // The control core resolves and sends it on: its Ethernet header goes
                // with it, ready but for the destination.
                let src_mac = tables.port(port).mac;
                let Some(h) = normalize_l2(pkt, meta).and_then(|f| f.first_chunk_mut::<14>()) else {
                    return done(meta, Next::Drop(DropReason::Internal));
                };
                h[6..12].copy_from_slice(&src_mac);
                h[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
                return done(meta, Next::Punt(Punt::new(PuntReason::Resolve, port, nh)));
            }
        }
    };
    write_ethernet(ctx, pkt, meta, port, mac)
}

/// The Ethernet header towards a neighbour whose MAC is known, out of `port`.
#[inline(always)]
pub(crate) fn write_ethernet<P: Packet>(ctx: &mut Ctx, pkt: &mut P, meta: &mut Meta, port: u16, mac: [u8; 6]) -> Next {
    let src_mac = ctx.tables.port(port).mac;
    let Some(h) = normalize_l2(pkt, meta).and_then(|f| f.first_chunk_mut::<14>()) else {
        return done(meta, Next::Drop(DropReason::Internal));
    };
    h[0..6].copy_from_slice(&mac);
    h[6..12].copy_from_slice(&src_mac);
    h[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
    done(meta, Next::Tx(port))
}
