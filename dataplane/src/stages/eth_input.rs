//! eth_input: the first stage for frames from a data port.
//!
//! Checks the frame fits one segment and has an Ethernet header (veth frames are not
//! padded to 60 bytes, so short frames are fine as long as their headers are whole),
//! that it is for us (our MAC or broadcast: the port is promiscuous), reads 802.1Q /
//! QinQ tags, and dispatches on the EtherType.
//!
//! Tagged frames are PPPoE's only: on an access port the VLANs are part of a PPPoE
//! session's key (RFC 2516 over 802.1Q / QinQ access). Other tagged traffic is dropped:
//! dpvpn has no VLAN interfaces. PPPoE discovery goes to the control core through a
//! per-worker rate limit, so that a PADI storm reaches the control core only as fast as
//! it can answer and the established sessions' LCP keepalives still get through.

use super::{done, goto, Ctx, Meta, Next, Punt, PuntReason, Stage, NO_VLAN};
use crate::counters::DropReason;
use crate::packet::Packet;
use crate::tables::PortRole;
use crate::wire::ethernet::{parse_l2, EtherType};

#[inline]
pub(crate) fn eth_input<P: Packet>(ctx: &mut Ctx, rx_port: u16, pkt: &mut P, meta: &mut Meta) -> Next {
    if !pkt.is_contiguous() {
        return done(meta, Next::Drop(DropReason::MultiSegment));
    }
    let port = ctx.tables.port(rx_port);
    // Fast path: the shapes of nearly all traffic, read at fixed offsets: untagged IPv4,
    // and PPPoE session frames untagged or with one 802.1Q tag on an access port. The
    // verdicts are the ones `parse_l2` below gives them; everything else (errors included)
    // takes that path.
    if let Some(h) = pkt.data().first_chunk::<18>().filter(|_| ctx.fast_paths) {
        let dst: &[u8; 6] = h.first_chunk().unwrap_or(&[0; 6]);
        if *dst == port.mac || *dst == [0xff; 6] {
            match u16::from_be_bytes([h[12], h[13]]) {
                0x0800 => {
                    meta.l3 = 14;
                    return goto(meta, Stage::Ip4);
                }
                0x8864 if port.role == PortRole::Access => {
                    meta.l3 = 14;
                    (meta.outer_vid, meta.inner_vid) = (NO_VLAN, NO_VLAN);
                    return goto(meta, Stage::Pppoe);
                }
                0x8100 if port.role == PortRole::Access && u16::from_be_bytes([h[16], h[17]]) == 0x8864 => {
                    meta.l3 = 18;
                    meta.outer_vid = u16::from_be_bytes([h[14], h[15]]) & 0x0fff;
                    meta.inner_vid = NO_VLAN;
                    return goto(meta, Stage::Pppoe);
                }
                _ => {}
            }
        }
    }
    eth_input_slow(ctx, rx_port, pkt, meta)
}

/// Everything the fast path does not take: tags, QinQ, discovery, ARP, errors.
#[inline(never)]
fn eth_input_slow<P: Packet>(ctx: &mut Ctx, rx_port: u16, pkt: &mut P, meta: &mut Meta) -> Next {
    let port = ctx.tables.port(rx_port);
    let l2 = match parse_l2(pkt.data()) {
        Ok(l2) => l2,
        Err(crate::wire::Error::Truncated) => return done(meta, Next::Drop(DropReason::Runt)),
        Err(_) => return done(meta, Next::Drop(DropReason::VlanUnknown)),
    };
    let dst = l2.dst.0;
    if dst != port.mac && dst != [0xff; 6] {
        return done(meta, Next::Drop(DropReason::NotForUs));
    }
    meta.l3 = l2.header_len as u16;
    let pppoe = l2.ethertype == EtherType::PPPOE_SESSION || l2.ethertype == EtherType::PPPOE_DISCOVERY;
    if pppoe {
        if port.role != PortRole::Access {
            return done(meta, Next::Drop(DropReason::PppoeNotAccessPort));
        }
        meta.outer_vid = l2.outer_vlan.map_or(NO_VLAN, |t| t.vid);
        meta.inner_vid = l2.inner_vlan.map_or(NO_VLAN, |t| t.vid);
        if l2.ethertype == EtherType::PPPOE_SESSION {
            return goto(meta, Stage::Pppoe);
        }
        if !ctx.discovery_limit.take(ctx.now) {
            return done(meta, Next::Drop(DropReason::PppoeDiscoveryRateLimited));
        }
        return done(meta, Next::Punt(Punt::new(PuntReason::PppoeDiscovery, rx_port, 0)));
    }
    if l2.outer_vlan.is_some() {
        return done(meta, Next::Drop(DropReason::VlanUnknown));
    }
    match l2.ethertype {
        EtherType::IPV4 => goto(meta, Stage::Ip4),
        EtherType::ARP => goto(meta, Stage::Arp),
        _ => done(meta, Next::Drop(DropReason::UnknownEthertype)),
    }
}
