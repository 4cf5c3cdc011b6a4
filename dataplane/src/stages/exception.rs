//! The exception path: traffic for dpvpn's own addresses that no stage handles goes
//! to the host kernel through a tap port, and what the kernel sends comes back here
//! to be routed out of a data port (ARCHITECTURE.md, "Between the planes").
//!
//! The kernel sees the tap as a link with dpvpn's addresses on it and every other host
//! behind one gateway: dpvpn answers each of the kernel's ARP requests with
//! `tap_gateway_mac` (proxy ARP), and routes the kernel's IPv4 packets through the FIB
//! like locally originated ones (no TTL decrement).

use super::{done, goto, Ctx, Meta, Next, Stage};
use crate::counters::{Count, DropReason};
use crate::packet::Packet;
use crate::wire::arp::{ArpOperation, ArpPacket};
use crate::wire::ethernet::{parse_l2, EtherType, EthernetAddress};

#[inline]
pub(crate) fn to_kernel<P: Packet>(ctx: &mut Ctx, pkt: &mut P, meta: &mut Meta) -> Next {
    let tables = ctx.tables;
    let Some(tap) = tables.tap else {
        return done(meta, Next::Drop(DropReason::NoExceptionPath));
    };
    let tap_mac = tables.port(tap).mac;
    let Some(frame) = super::ip4_rewrite::normalize_l2(pkt, meta) else {
        return done(meta, Next::Drop(DropReason::Internal));
    };
    frame[0..6].copy_from_slice(&tap_mac);
    frame[6..12].copy_from_slice(&tables.tap_gateway_mac);
    frame[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
    ctx.counters.add(Count::ToKernel, 1);
    done(meta, Next::Tx(tap))
}

#[inline]
pub(crate) fn from_kernel<P: Packet>(ctx: &mut Ctx, tap: u16, pkt: &mut P, meta: &mut Meta) -> Next {
    ctx.counters.add(Count::FromKernel, 1);
    let l2 = match parse_l2(pkt.data()) {
        Ok(l2) if l2.outer_vlan.is_none() => l2,
        _ => return done(meta, Next::Drop(DropReason::ExceptionUnsupported)),
    };
    meta.l3 = l2.header_len as u16;
    match l2.ethertype {
        EtherType::IPV4 => goto(meta, Stage::Ip4),
        EtherType::ARP => {
            let gw = ctx.tables.tap_gateway_mac;
            let l3 = meta.l3 as usize;
            let frame = pkt.data_mut();
            let Ok(mut arp) = ArpPacket::new_checked(&mut frame[l3..]) else {
                return done(meta, Next::Drop(DropReason::ArpMalformed));
            };
            if !arp.is_ethernet_ipv4() || arp.operation() != ArpOperation::REQUEST {
                return done(meta, Next::Drop(DropReason::ExceptionUnsupported));
            }
            let sha = arp.source_hardware_addr();
            let spa = arp.source_protocol_addr();
            let tpa = arp.target_protocol_addr();
            arp.set_operation(ArpOperation::REPLY);
            arp.set_target_hardware_addr(sha);
            arp.set_target_protocol_addr(spa);
            arp.set_source_hardware_addr(EthernetAddress(gw));
            arp.set_source_protocol_addr(tpa);
            frame[0..6].copy_from_slice(&sha.0);
            frame[6..12].copy_from_slice(&gw);
            ctx.counters.add(Count::ArpReplies, 1);
            done(meta, Next::Tx(tap))
        }
        _ => done(meta, Next::Drop(DropReason::ExceptionUnsupported)),
    }
}
