//! The stages over heap packets, no EAL: what a neighbour on the wire would see.

mod common;

use common::*;
use dataplane::counters::{Count, DropReason};
use dataplane::packet::{HeapPacket, Packet};
use dataplane::stages::{process_burst, Ctx, Next, PppPunt, Punt, PuntLimits, PuntReason, PUNT_HEADER_LEN};

fn run(w: &World, rx: u16, frames: Vec<Vec<u8>>) -> (Vec<HeapPacket>, Vec<Next>) {
    let mut pkts: Vec<HeapPacket> = frames.iter().map(|f| HeapPacket::new(f)).collect();
    let mut next = vec![Next::Drop(DropReason::Internal); pkts.len()];
    let mut ctx = Ctx::new(&w.tables, &w.counters, 0, 1_000_000, PuntLimits::default());
    ctx.now = 1;
    process_burst(&mut ctx, rx, &mut pkts, &mut next);
    (pkts, next)
}

fn one(w: &World, rx: u16, frame: Vec<u8>) -> (HeapPacket, Next) {
    let (mut p, n) = run(w, rx, vec![frame]);
    (p.remove(0), n[0])
}

#[test]
fn forwards_to_a_resolved_neighbour_with_ttl_and_checksum_updated() {
    let w = world(true);
    let f = eth(ACC_MAC, SUB_MAC, 0x0800, &ipv4(SUB, INET, 64, 1, false, &echo_request(56)));
    let (p, n) = one(&w, ACC, f);
    assert_eq!(n, Next::Tx(UP));
    let d = p.data();
    assert_eq!(&d[0..6], &INET_MAC);
    assert_eq!(&d[6..12], &UP_MAC);
    assert_eq!(&d[12..14], &[0x08, 0x00]);
    assert_eq!(d[14 + 8], 63, "TTL decremented");
    assert_eq!(csum(&d[14..34]), 0, "IPv4 checksum still valid");
    assert_eq!(w.counters.get(Count::Forwarded), 1);
}

#[test]
fn ethernet_padding_is_trimmed() {
    let w = world(true);
    let mut f = eth(ACC_MAC, SUB_MAC, 0x0800, &ipv4(SUB, INET, 64, 17, false, &[0; 8]));
    f.extend_from_slice(&[0; 18]); // padded to 60 bytes
    let (p, n) = one(&w, ACC, f);
    assert_eq!(n, Next::Tx(UP));
    assert_eq!(p.len(), 14 + 28);
}

#[test]
fn next_hop_routes_use_the_cached_mac() {
    let w = world(true);
    let f = eth(ACC_MAC, SUB_MAC, 0x0800, &ipv4(SUB, 0xcb00_7105, 64, 17, false, &[0; 8]));
    let (p, n) = one(&w, ACC, f);
    assert_eq!(n, Next::Tx(UP));
    assert_eq!(&p.data()[0..6], &INET_MAC);
}

#[test]
fn unresolved_neighbour_is_punted_for_resolution_once() {
    let mut w = world(false);
    let f = eth(ACC_MAC, SUB_MAC, 0x0800, &ipv4(SUB, INET, 64, 17, false, &[0; 8]));
    let (p, n) = one(&w, ACC, f.clone());
    assert_eq!(n, Next::Punt(Punt::new(PuntReason::Resolve, UP, INET)));
    // Held for the control core with its Ethernet header ready but for the destination.
    assert_eq!(&p.data()[6..12], &UP_MAC);
    // While the control core resolves, more packets are dropped, not punted.
    w.neigh.set_incomplete(UP, INET).unwrap();
    let (_, n) = one(&w, ACC, f);
    assert_eq!(n, Next::Drop(DropReason::NeighbourMiss));
}

#[test]
fn frames_not_for_us_runts_and_unknown_ethertypes_are_dropped_by_reason() {
    let w = world(true);
    let ip = ipv4(SUB, INET, 64, 17, false, &[0; 8]);
    let cases = vec![
        (eth([0x02, 9, 9, 9, 9, 9], SUB_MAC, 0x0800, &ip), DropReason::NotForUs),
        (vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10], DropReason::Runt),
        (eth(ACC_MAC, SUB_MAC, 0x88cc, &[0; 40]), DropReason::UnknownEthertype),
        (eth(ACC_MAC, SUB_MAC, 0x8100, &[0, 10, 8, 0]), DropReason::VlanUnknown),
        (eth(ACC_MAC, SUB_MAC, 0x0800, &ip[..10]), DropReason::Ip4Truncated),
        (eth(ACC_MAC, SUB_MAC, 0x0800, &ipv4(0x7f00_0001, INET, 64, 17, false, &[0; 8])), DropReason::Ip4MartianSource),
        (eth(ACC_MAC, SUB_MAC, 0x0800, &ipv4(SUB, 0x0a01_0101, 64, 17, false, &[0; 8])), DropReason::Blackhole),
        (eth(ACC_MAC, SUB_MAC, 0x0800, &ipv4(SUB, 0xc00002ff, 64, 17, false, &[0; 8])), DropReason::Ip4MartianDestination),
    ];
    for (f, reason) in cases {
        let (_, n) = one(&w, ACC, f);
        assert_eq!(n, Next::Drop(reason));
        assert_eq!(w.counters.dropped(reason), 1, "{reason:?} counted");
    }
    let mut bad = ip.clone();
    bad[10] ^= 0xff;
    let (_, n) = one(&w, ACC, eth(ACC_MAC, SUB_MAC, 0x0800, &bad));
    assert_eq!(n, Next::Drop(DropReason::Ip4BadChecksum));
}

/// Checks an ICMP error frame going back to SUB on ACC and returns (type, code, bytes 4..8).
fn check_icmp_error(p: &HeapPacket, n: Next, quoted_dst: u32) -> (u8, u8, [u8; 4]) {
    assert_eq!(n, Next::Tx(ACC));
    let d = p.data();
    assert_eq!(&d[0..6], &SUB_MAC);
    let ip = &d[14..34];
    assert_eq!(csum(ip), 0);
    assert_eq!(ip[9], 1);
    assert_eq!(u32::from_be_bytes(ip[12..16].try_into().unwrap()), ACC_IP);
    assert_eq!(u32::from_be_bytes(ip[16..20].try_into().unwrap()), SUB);
    let total = u16::from_be_bytes([ip[2], ip[3]]) as usize;
    assert_eq!(total, d.len() - 14);
    let icmp = &d[34..];
    assert_eq!(csum(icmp), 0, "ICMP checksum");
    // The quote is the original header: its destination is there.
    assert_eq!(u32::from_be_bytes(icmp[8 + 16..8 + 20].try_into().unwrap()), quoted_dst);
    (icmp[0], icmp[1], icmp[4..8].try_into().unwrap())
}

#[test]
fn ttl_expiry_sends_time_exceeded() {
    let w = world(true);
    let (p, n) = one(&w, ACC, eth(ACC_MAC, SUB_MAC, 0x0800, &ipv4(SUB, INET, 1, 1, false, &echo_request(56))));
    let (t, c, _) = check_icmp_error(&p, n, INET);
    assert_eq!((t, c), (11, 0));
    assert_eq!(w.counters.dropped(DropReason::TtlExpired), 1);
    assert_eq!(w.counters.get(Count::IcmpErrors), 1);
}

#[test]
fn no_route_sends_net_unreachable_and_df_over_mtu_sends_frag_needed() {
    let w = world(true);
    let (p, n) = one(&w, ACC, eth(ACC_MAC, SUB_MAC, 0x0800, &ipv4(SUB, 0x0808_0808, 64, 17, false, &[0; 8])));
    assert_eq!(check_icmp_error(&p, n, 0x0808_0808).0, 3);

    let big = ipv4(SUB, INET, 64, 17, true, &vec![0u8; 1600]);
    let (p, n) = one(&w, ACC, eth(ACC_MAC, SUB_MAC, 0x0800, &big));
    let (t, c, rest) = check_icmp_error(&p, n, INET);
    assert_eq!((t, c), (3, 4));
    assert_eq!(u16::from_be_bytes([rest[2], rest[3]]), 1500, "next-hop MTU (RFC 1191)");
    assert!(p.len() <= 14 + 576, "error stays within 576 bytes");

    let (_, n) = one(&w, ACC, eth(ACC_MAC, SUB_MAC, 0x0800, &ipv4(SUB, INET, 64, 17, false, &vec![0u8; 1600])));
    assert_eq!(n, Next::Drop(DropReason::MtuExceeded));
}

#[test]
fn no_icmp_error_about_an_icmp_error() {
    let w = world(true);
    let mut err = vec![3, 1, 0, 0, 0, 0, 0, 0];
    err.extend_from_slice(&ipv4(INET, SUB, 64, 17, false, &[0; 8]));
    let (_, n) = one(&w, ACC, eth(ACC_MAC, SUB_MAC, 0x0800, &ipv4(SUB, INET, 1, 1, false, &err)));
    assert_eq!(n, Next::Drop(DropReason::TtlExpired));
    assert_eq!(w.counters.get(Count::IcmpSuppressed), 1);
}

#[test]
fn local_traffic_goes_to_the_kernel_and_kernel_traffic_is_routed() {
    let w = world(true);
    let (p, n) = one(&w, UP, eth(UP_MAC, INET_MAC, 0x0800, &ipv4(INET, UP_IP, 64, 1, false, &echo_request(8))));
    assert_eq!(n, Next::Tx(TAP));
    assert_eq!(&p.data()[0..6], &TAP_MAC);
    assert_eq!(&p.data()[6..12], &GW_MAC);
    assert_eq!(p.data()[14 + 8], 64, "no TTL decrement on the way in");

    // The kernel's reply: to the gateway MAC, from our address; routed, TTL untouched.
    let (p, n) = one(&w, TAP, eth(GW_MAC, TAP_MAC, 0x0800, &ipv4(UP_IP, INET, 64, 1, false, &echo_request(8))));
    assert_eq!(n, Next::Tx(UP));
    assert_eq!(&p.data()[0..6], &INET_MAC);
    assert_eq!(p.data()[14 + 8], 64);
    assert!(w.counters.get(Count::ToKernel) == 1 && w.counters.get(Count::FromKernel) == 1);
}

#[test]
fn kernel_arp_gets_a_proxy_answer() {
    let w = world(true);
    let f = eth([0xff; 6], TAP_MAC, 0x0806, &arp(1, TAP_MAC, UP_IP, [0; 6], INET));
    let (p, n) = one(&w, TAP, f);
    assert_eq!(n, Next::Tx(TAP));
    let d = p.data();
    assert_eq!(&d[0..6], &TAP_MAC);
    assert_eq!(&d[14 + 6..14 + 8], &[0, 2], "reply");
    assert_eq!(&d[14 + 8..14 + 14], &GW_MAC);
    assert_eq!(u32::from_be_bytes(d[14 + 14..14 + 18].try_into().unwrap()), INET);
}

#[test]
fn arp_for_our_address_is_answered_or_punted() {
    let w = world(true);
    // Known neighbour, same MAC: answered by the worker.
    let f = eth([0xff; 6], SUB_MAC, 0x0806, &arp(1, SUB_MAC, SUB, [0; 6], ACC_IP));
    let (p, n) = one(&w, ACC, f);
    assert_eq!(n, Next::Tx(ACC));
    let d = p.data();
    assert_eq!(&d[0..6], &SUB_MAC);
    assert_eq!(&d[6..12], &ACC_MAC);
    assert_eq!(&d[14 + 6..14 + 8], &[0, 2]);
    assert_eq!(&d[14 + 8..14 + 14], &ACC_MAC);
    assert_eq!(u32::from_be_bytes(d[14 + 14..14 + 18].try_into().unwrap()), ACC_IP);
    assert_eq!(&d[14 + 18..14 + 24], &SUB_MAC);
    // Unknown sender: the control core learns it.
    let other = [0x02, 1, 1, 1, 1, 1];
    let f = eth([0xff; 6], other, 0x0806, &arp(1, other, 0xc000_0203, [0; 6], ACC_IP));
    let (_, n) = one(&w, ACC, f);
    assert_eq!(n, Next::Punt(Punt::new(PuntReason::Arp, ACC, 0)));
    // About somebody else: dropped.
    let f = eth([0xff; 6], other, 0x0806, &arp(1, other, 0xc000_0203, [0; 6], 0xc000_0209));
    let (_, n) = one(&w, ACC, f);
    assert_eq!(n, Next::Drop(DropReason::ArpNotForUs));
    // Malformed.
    let (_, n) = one(&w, ACC, eth([0xff; 6], other, 0x0806, &[0, 6, 8, 0, 6, 4, 0, 1]));
    assert_eq!(n, Next::Drop(DropReason::ArpMalformed));
}

#[test]
fn a_mixed_burst_gets_one_verdict_per_packet_in_order() {
    let w = world(true);
    let fwd = eth(ACC_MAC, SUB_MAC, 0x0800, &ipv4(SUB, INET, 64, 17, false, &[0; 8]));
    let frames = vec![fwd.clone(), vec![0; 5], fwd.clone(), eth(ACC_MAC, SUB_MAC, 0x88cc, &[0; 30]), fwd];
    let (_, n) = run(&w, ACC, frames);
    assert_eq!(
        n,
        vec![
            Next::Tx(UP),
            Next::Drop(DropReason::Runt),
            Next::Tx(UP),
            Next::Drop(DropReason::UnknownEthertype),
            Next::Tx(UP)
        ]
    );
    assert_eq!(w.counters.get(Count::RxPackets), 5);
}

/// The punt header the worker writes and the control core reads: its layout is the
/// contract between the two (reason, port, arg, and for PPP control frames the session's
/// generation and the PPP header's offset), big-endian.
#[test]
fn punt_header_layout() {
    let p = Punt::ppp_control(3, PppPunt { index: 0x0001_0203, generation: 0x0a0b_0c0d, ppp_offset: 58 });
    let mut b = [0xee; PUNT_HEADER_LEN];
    p.write(&mut b);
    assert_eq!(b, [4, 0, 0, 3, 0, 1, 2, 3, 0x0a, 0x0b, 0x0c, 0x0d, 0, 58, 0, 0]);
    assert_eq!(Punt::read(&b), Some(p));
    assert_eq!(Punt::read(&b).unwrap().ppp(), PppPunt { index: 0x0001_0203, generation: 0x0a0b_0c0d, ppp_offset: 58 });
    let r = Punt::new(PuntReason::Resolve, 1, 0xc633_6402);
    r.write(&mut b);
    assert_eq!(b, [2, 0, 0, 1, 0xc6, 0x33, 0x64, 0x02, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(Punt::read(&b[..PUNT_HEADER_LEN - 1]), None, "a short header");
    b[0] = 9;
    assert_eq!(Punt::read(&b), None, "an unknown reason");
}
