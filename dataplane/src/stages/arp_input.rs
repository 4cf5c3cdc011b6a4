//! arp_input: ARP on a data port (RFC 826).
//!
//! A request for one of the port's addresses from a neighbour we already know with
//! the same MAC is answered here, in place, so ARP keeps working at line rate and
//! under punt-ring pressure. Everything the control core must see — requests from
//! new or changed neighbours (to learn them, RFC 826 "merge"), replies (resolution),
//! gratuitous ARP about known neighbours — is punted. The rest is dropped.

use super::{done, Ctx, Meta, Next, Punt, PuntReason};
use crate::counters::{Count, DropReason};
use crate::neighbour::Lookup;
use crate::packet::Packet;
use crate::wire::arp::{ArpOperation, ArpPacket};

#[inline]
pub(crate) fn arp_input<P: Packet>(ctx: &mut Ctx, rx_port: u16, pkt: &mut P, meta: &mut Meta) -> Next {
    let l3 = meta.l3 as usize;
    let port = ctx.tables.port(rx_port);
    let port_mac = port.mac;
    let punt = Next::Punt(Punt::new(PuntReason::Arp, rx_port, 0));
    let frame = pkt.data_mut();
    let Ok(mut arp) = ArpPacket::new_checked(&mut frame[l3..]) else {
        return done(meta, Next::Drop(DropReason::ArpMalformed));
    };
    if !arp.is_ethernet_ipv4() {
        return done(meta, Next::Drop(DropReason::ArpMalformed));
    }
    let op = arp.operation();
    let spa = u32::from(arp.source_protocol_addr());
    let sha = arp.source_hardware_addr().0;
    let tpa = u32::from(arp.target_protocol_addr());
    let known = ctx.tables.neighbours.lookup(rx_port, spa);

    if op == ArpOperation::REQUEST && port.owns(tpa) && spa != 0 {
        if known != Lookup::Resolved(sha) {
            return done(meta, punt);
        }
        // RFC 826: swap, fill in our hardware address, make it a reply.
        arp.set_operation(ArpOperation::REPLY);
        arp.set_target_hardware_addr(crate::wire::ethernet::EthernetAddress(sha));
        arp.set_target_protocol_addr(spa.into());
        arp.set_source_hardware_addr(crate::wire::ethernet::EthernetAddress(port_mac));
        arp.set_source_protocol_addr(tpa.into());
        frame[0..6].copy_from_slice(&sha);
        frame[6..12].copy_from_slice(&port_mac);
        ctx.counters.add(Count::ArpReplies, 1);
        return done(meta, Next::Tx(rx_port));
    }
    if op == ArpOperation::REPLY && port.owns(tpa) {
        return done(meta, punt);
    }
    // Gratuitous or third-party ARP: only news about a neighbour we know matters.
    match known {
        Lookup::Resolved(mac) if mac != sha => done(meta, punt),
        Lookup::Incomplete => done(meta, punt),
        _ => done(meta, Next::Drop(DropReason::ArpNotForUs)),
    }
}
