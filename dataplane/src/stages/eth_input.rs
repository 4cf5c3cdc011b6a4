//! eth_input: the first stage for frames from a data port.
//!
//! Checks the frame fits one segment and has an Ethernet header (veth frames are not
//! padded to 60 bytes, so short frames are fine as long as their headers are whole),
//! that it is for us (our MAC or broadcast: the port is promiscuous), reads 802.1Q /
//! QinQ tags, and dispatches on the EtherType.

use super::{done, goto, Ctx, Meta, Next, Stage};
use crate::counters::DropReason;
use crate::packet::Packet;
use crate::wire::ethernet::{parse_l2, EtherType};

#[inline]
pub(crate) fn eth_input<P: Packet>(ctx: &mut Ctx, rx_port: u16, pkt: &mut P, meta: &mut Meta) -> Next {
    if !pkt.is_contiguous() {
        return done(meta, Next::Drop(DropReason::MultiSegment));
    }
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
    if l2.outer_vlan.is_some() {
        // No VLAN interfaces yet: access VLANs arrive with the PPPoE work.
        return done(meta, Next::Drop(DropReason::VlanUnknown));
    }
    meta.l3 = l2.header_len as u16;
    match l2.ethertype {
        EtherType::IPV4 => goto(meta, Stage::Ip4),
        EtherType::ARP => goto(meta, Stage::Arp),
        _ => done(meta, Next::Drop(DropReason::UnknownEthertype)),
    }
}
