//! The PPPoE data path over heap packets, no EAL: upstream decapsulation, anti-spoofing,
//! LCP echo offload, punts, downstream encapsulation, MRU and MSS clamping. Frames are
//! built by hand here (RFC 2516 §4, RFC 1661 §2, §5.8), not with `wire`.

mod common;

use common::*;
use dataplane::counters::{Count, DropReason};
use dataplane::packet::{HeapPacket, Packet};
use dataplane::session::{Patches, SessionKey, SessionParams, Template, ECHO_OFFLOAD, FIB_SESSION_BASE};
use dataplane::stages::{process_burst, Ctx, Next, PppPunt, Punt, PuntLimits, PuntReason};

const PEER_MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0x00, 0x00, 0x42];
const PEER_IP: u32 = 0x6440_0007; // 100.64.0.7
const SID: u16 = 0x2a01;
const VID: u16 = 100;
const OUR_MAGIC: u32 = 0x1122_3344;

fn run_with(w: &World, rx: u16, frames: Vec<Vec<u8>>, limits: PuntLimits) -> (Vec<HeapPacket>, Vec<Next>) {
    let mut pkts: Vec<HeapPacket> = frames.iter().map(|f| HeapPacket::new(f)).collect();
    let mut next = vec![Next::Drop(DropReason::Internal); pkts.len()];
    let mut ctx = Ctx::new(&w.tables, &w.counters, 0, 1_000_000, limits);
    ctx.now = 1;
    process_burst(&mut ctx, rx, &mut pkts, &mut next);
    (pkts, next)
}

fn one(w: &World, rx: u16, frame: Vec<u8>) -> (HeapPacket, Next) {
    let (mut p, n) = run_with(w, rx, vec![frame], PuntLimits::default());
    (p.remove(0), n[0])
}

/// Ethernet + one 802.1Q tag (VID 100) + PPPoE session header + PPP protocol.
fn pppoe_frame(dst: [u8; 6], src: [u8; 6], sid: u16, proto: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&[0x81, 0x00, 0x00, VID as u8, 0x88, 0x64, 0x11, 0x00]);
    f.extend_from_slice(&sid.to_be_bytes());
    f.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    f.extend_from_slice(&proto.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// Where the PPP header starts in `pppoe_frame`: 14 + 4 + 6.
const PPP_HEADER: usize = 24;
/// Where the PPP payload starts in `pppoe_frame`: 14 + 4 + 6 + 2.
const PPP_PAYLOAD: usize = 26;

/// The template the control core would build for the session, written by hand: a
/// session frame to the subscriber with LENGTH zero; the patch is LENGTH's header.
fn template() -> Vec<u8> {
    let mut t = pppoe_frame(PEER_MAC, ACC_MAC, SID, 0x0021, &[]);
    t[22..24].fill(0);
    t
}

/// The punt of a PPP control frame of session `index` (generation 1: the first session
/// in its slot) received in `pppoe_frame`.
fn ppp_punt(index: u32) -> Next {
    Next::Punt(Punt::ppp_control(ACC, PppPunt { index, generation: 1, ppp_offset: PPP_HEADER as u16 }))
}

/// A session on the access port, VLAN 100; IPCP open unless `ipcp` is false.
fn with_session(w: &mut World, ipcp: bool, mss: u16, flags: u64) -> u32 {
    let p = SessionParams {
        key: SessionKey::Pppoe { port: ACC, outer: Some(VID), inner: None, mac: PEER_MAC, id: SID },
        port: ACC,
        template: Template::new(&template(), Patches { pppoe: Some(18), ..Patches::NONE }).unwrap(),
        mru: 1492,
        magic: OUR_MAGIC,
        flags,
    };
    let (index, _) = w.sessions.add(&p).unwrap();
    if ipcp {
        w.sessions.open_ipv4(index, PEER_IP, mss).unwrap();
    }
    w.fib.insert(PEER_IP, 32, FIB_SESSION_BASE + index).unwrap();
    index
}

fn tcp_syn(src: u32, dst: u32, mss: u16) -> Vec<u8> {
    let mut t = vec![0x9c, 0x40, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x60, 0x02, 0xfa, 0xf0, 0, 0, 0, 0];
    t.extend_from_slice(&[2, 4]);
    t.extend_from_slice(&mss.to_be_bytes());
    let c = tcp_csum(src, dst, &t);
    t[16..18].copy_from_slice(&c.to_be_bytes());
    ipv4(src, dst, 64, 6, true, &t)
}

fn tcp_csum(src: u32, dst: u32, seg: &[u8]) -> u16 {
    let mut b = Vec::new();
    b.extend_from_slice(&src.to_be_bytes());
    b.extend_from_slice(&dst.to_be_bytes());
    b.extend_from_slice(&[0, 6]);
    b.extend_from_slice(&(seg.len() as u16).to_be_bytes());
    b.extend_from_slice(seg);
    csum(&b)
}

#[test]
fn upstream_ipv4_is_decapsulated_and_routed() {
    let mut w = world(true);
    let idx = with_session(&mut w, true, 0, 0);
    let ip = ipv4(PEER_IP, INET, 64, 1, false, &echo_request(56));
    let mut f = pppoe_frame(ACC_MAC, PEER_MAC, SID, 0x0021, &ip);
    f.extend_from_slice(&[0xee; 7]); // Ethernet padding after the PPPoE payload
    let (p, n) = one(&w, ACC, f);
    assert_eq!(n, Next::Tx(UP));
    let d = p.data();
    assert_eq!(d.len(), 14 + ip.len(), "tags, PPPoE, PPP and padding gone");
    assert_eq!(&d[0..6], &INET_MAC);
    assert_eq!(&d[6..12], &UP_MAC);
    assert_eq!(&d[12..14], &[0x08, 0x00]);
    assert_eq!(d[14 + 8], 63);
    assert_eq!(csum(&d[14..34]), 0);
    let t = w.tables.sessions.traffic(idx);
    assert_eq!((t.rx_packets, t.rx_bytes), (1, ip.len() as u64));
    assert_eq!(w.counters.get(Count::PppoeDecap), 1);
}

#[test]
fn upstream_before_ipcp_spoofed_or_unknown_is_dropped_by_reason() {
    let mut w = world(true);
    let ip = ipv4(PEER_IP, INET, 64, 17, false, &[0; 8]);
    with_session(&mut w, false, 0, 0);
    let (_, n) = one(&w, ACC, pppoe_frame(ACC_MAC, PEER_MAC, SID, 0x0021, &ip));
    assert_eq!(n, Next::Drop(DropReason::PppProtocolNotOpen), "IPCP not open yet");

    let mut w = world(true);
    with_session(&mut w, true, 0, 0);
    let spoofed = ipv4(PEER_IP + 1, INET, 64, 17, false, &[0; 8]);
    let cases = vec![
        (pppoe_frame(ACC_MAC, PEER_MAC, SID, 0x0021, &spoofed), DropReason::PppSourceSpoofed),
        (pppoe_frame(ACC_MAC, PEER_MAC, SID + 1, 0x0021, &ip), DropReason::PppoeNoSession),
        (pppoe_frame(ACC_MAC, [2, 0, 0x5e, 0, 0, 0x43], SID, 0x0021, &ip), DropReason::PppoeNoSession),
        (pppoe_frame(ACC_MAC, PEER_MAC, SID, 0x0057, &[0x60; 40]), DropReason::PppProtocolNotOpen),
        (pppoe_frame(ACC_MAC, PEER_MAC, SID, 0x0021, &ip[..10]), DropReason::Ip4Truncated),
    ];
    for (f, reason) in cases {
        let (_, n) = one(&w, ACC, f);
        assert_eq!(n, Next::Drop(reason));
    }
    // Same session id and MAC on another VLAN is another session.
    let mut other_vlan = pppoe_frame(ACC_MAC, PEER_MAC, SID, 0x0021, &ip);
    other_vlan[15] = 101;
    assert_eq!(one(&w, ACC, other_vlan).1, Next::Drop(DropReason::PppoeNoSession));
    // Header errors.
    let mut bad_ver = pppoe_frame(ACC_MAC, PEER_MAC, SID, 0x0021, &ip);
    bad_ver[18] = 0x21;
    assert_eq!(one(&w, ACC, bad_ver).1, Next::Drop(DropReason::PppoeBadHeader));
    let mut discovery_code = pppoe_frame(ACC_MAC, PEER_MAC, SID, 0x0021, &ip);
    discovery_code[19] = 0xa7;
    assert_eq!(one(&w, ACC, discovery_code).1, Next::Drop(DropReason::PppoeNotSession));
    let mut long_len = pppoe_frame(ACC_MAC, PEER_MAC, SID, 0x0021, &ip);
    long_len[22..24].copy_from_slice(&500u16.to_be_bytes());
    assert_eq!(one(&w, ACC, long_len).1, Next::Drop(DropReason::PppoeBadHeader));
    let mut no_proto = pppoe_frame(ACC_MAC, PEER_MAC, SID, 0x0021, &[]);
    no_proto[22..24].copy_from_slice(&1u16.to_be_bytes());
    assert_eq!(one(&w, ACC, no_proto).1, Next::Drop(DropReason::PppTruncated));
    // PPPoE is for access ports only.
    let on_uplink = pppoe_frame(UP_MAC, PEER_MAC, SID, 0x0021, &ip);
    assert_eq!(one(&w, UP, on_uplink).1, Next::Drop(DropReason::PppoeNotAccessPort));
    // Every one of them truncated at every length: counted, never a panic.
    let f = pppoe_frame(ACC_MAC, PEER_MAC, SID, 0x0021, &ip);
    for n in 0..f.len() {
        let (_, v) = one(&w, ACC, f[..n].to_vec());
        assert!(matches!(v, Next::Drop(_)), "{n}: {v:?}");
    }
}

#[test]
fn lcp_echo_is_answered_by_the_worker_when_offloaded() {
    let mut w = world(true);
    with_session(&mut w, true, 0, ECHO_OFFLOAD);
    // Echo-Request: code 9, id 0x77, length 12, peer magic, 4 bytes of data.
    let echo = [9, 0x77, 0, 12, 0xca, 0xfe, 0xba, 0xbe, 1, 2, 3, 4];
    let (p, n) = one(&w, ACC, pppoe_frame(ACC_MAC, PEER_MAC, SID, 0xc021, &echo));
    assert_eq!(n, Next::Tx(ACC));
    let d = p.data();
    assert_eq!(&d[0..6], &PEER_MAC);
    assert_eq!(&d[6..12], &ACC_MAC);
    assert_eq!(&d[12..16], &[0x81, 0x00, 0x00, VID as u8], "the VLAN tag stays");
    assert_eq!(&d[16..18], &[0x88, 0x64]);
    assert_eq!(&d[18..20], &[0x11, 0x00]);
    assert_eq!(&d[20..22], &SID.to_be_bytes());
    assert_eq!(&d[22..24], &14u16.to_be_bytes(), "LENGTH: protocol + the 12-byte reply");
    assert_eq!(&d[24..26], &[0xc0, 0x21]);
    let mut reply = vec![10, 0x77, 0, 12];
    reply.extend_from_slice(&OUR_MAGIC.to_be_bytes());
    reply.extend_from_slice(&[1, 2, 3, 4]);
    assert_eq!(&d[PPP_PAYLOAD..], &reply[..]);
    assert_eq!(w.counters.get(Count::LcpEchoReplies), 1);

    // Our own magic coming back (a looped link) and other LCP go to the control core.
    let mut looped = echo;
    looped[4..8].copy_from_slice(&OUR_MAGIC.to_be_bytes());
    let idx = w.tables.sessions.lookup_pppoe(ACC, Some(VID), None, PEER_MAC, SID).unwrap();
    let punt = ppp_punt(idx);
    assert_eq!(one(&w, ACC, pppoe_frame(ACC_MAC, PEER_MAC, SID, 0xc021, &looped)).1, punt);
    let term_req = [5, 1, 0, 4];
    assert_eq!(one(&w, ACC, pppoe_frame(ACC_MAC, PEER_MAC, SID, 0xc021, &term_req)).1, punt);
}

#[test]
fn control_protocols_and_discovery_are_punted_within_their_rate_limits() {
    let mut w = world(true);
    let idx = with_session(&mut w, false, 0, 0);
    let punt = ppp_punt(idx);
    // Without echo offload, LCP echo goes to the control core like IPCP, PAP and CHAP,
    // and so does what would be Address/Control elsewhere: a PPPoE payload has none
    // (RFC 2516 §7), so ff 03 is the one-byte Protocol 0x00ff, for the control core to
    // reject. The punt says where the PPP header is; the frame ends where the PPP frame
    // does.
    for proto in [0xc021u16, 0x8021, 0xc023, 0xc223, 0x8057, 0x4021, 0xff03] {
        let mut f = pppoe_frame(ACC_MAC, PEER_MAC, SID, proto, &[1, 1, 0, 4]);
        f.extend_from_slice(&[0xee; 6]); // Ethernet padding
        let (p, n) = one(&w, ACC, f);
        assert_eq!(n, punt, "protocol {proto:#06x}");
        let Next::Punt(pn) = n else { unreachable!() };
        let ppp = &p.data()[pn.ppp_offset as usize..];
        assert_eq!(ppp, &[(proto >> 8) as u8, proto as u8, 1, 1, 0, 4], "protocol {proto:#06x}");
    }
    // PADI: broadcast, untagged and tagged.
    let padi = eth([0xff; 6], PEER_MAC, 0x8863, &[0x11, 0x09, 0, 0, 0, 4, 0x01, 0x01, 0, 0]);
    let discovery = Next::Punt(Punt::new(PuntReason::PppoeDiscovery, ACC, 0));
    assert_eq!(one(&w, ACC, padi.clone()).1, discovery);
    let mut tagged = padi[..12].to_vec();
    tagged.extend_from_slice(&[0x88, 0xa8, 0, 7, 0x81, 0x00, 0, 8]);
    tagged.extend_from_slice(&padi[12..]);
    assert_eq!(one(&w, ACC, tagged).1, discovery);
    // A PADI storm: only the configured rate reaches the control core.
    let limits = PuntLimits { discovery_per_s: 10, ppp_control_per_s: 5, ..PuntLimits::default() };
    let (_, n) = run_with(&w, ACC, vec![padi; 64], limits);
    let punted = n.iter().filter(|v| **v == discovery).count();
    assert_eq!(punted, 10, "the bucket's burst");
    assert_eq!(n.iter().filter(|v| **v == Next::Drop(DropReason::PppoeDiscoveryRateLimited)).count(), 54);
    let lcp = pppoe_frame(ACC_MAC, PEER_MAC, SID, 0xc021, &[1, 1, 0, 4]);
    let (_, n) = run_with(&w, ACC, vec![lcp; 20], limits);
    assert_eq!(n.iter().filter(|v| **v == punt).count(), 5);
    assert_eq!(w.counters.dropped(DropReason::PppControlRateLimited), 15);
}

#[test]
fn downstream_is_encapsulated_with_the_session_template() {
    let mut w = world(true);
    let idx = with_session(&mut w, true, 0, 0);
    let ip = ipv4(INET, PEER_IP, 64, 17, false, &[7; 100]);
    let (p, n) = one(&w, UP, eth(UP_MAC, INET_MAC, 0x0800, &ip));
    assert_eq!(n, Next::Tx(ACC));
    let d = p.data();
    let t = template();
    let tl = t.len();
    assert_eq!(&d[..tl - 4], &t[..tl - 4], "Ethernet, tag and PPPoE header from the template");
    assert_eq!(&d[tl - 4..tl - 2], &((ip.len() + 2) as u16).to_be_bytes(), "PPPoE LENGTH = PPP payload + protocol");
    assert_eq!(&d[tl - 2..tl], &[0x00, 0x21]);
    assert_eq!(d.len(), tl + ip.len());
    assert_eq!(d[tl + 8], 63, "TTL decremented");
    assert_eq!(csum(&d[tl..tl + 20]), 0);
    let tr = w.tables.sessions.traffic(idx);
    assert_eq!((tr.tx_packets, tr.tx_bytes), (1, ip.len() as u64));

    // Larger than the session's MRU (1492): fragmentation needed with DF, else dropped.
    let big_df = ipv4(INET, PEER_IP, 64, 17, true, &[0; 1480]);
    let (p, n) = one(&w, UP, eth(UP_MAC, INET_MAC, 0x0800, &big_df));
    assert_eq!(n, Next::Tx(UP));
    let d = p.data();
    assert_eq!((d[14 + 20], d[14 + 21]), (3, 4), "ICMP fragmentation needed");
    assert_eq!(&d[14 + 26..14 + 28], &1492u16.to_be_bytes(), "next-hop MTU is the session's MRU");
    let big = ipv4(INET, PEER_IP, 64, 17, false, &[0; 1480]);
    assert_eq!(one(&w, UP, eth(UP_MAC, INET_MAC, 0x0800, &big)).1, Next::Drop(DropReason::MtuExceeded));

    // Gone: dropped, and the subscriber's frames no longer match.
    w.sessions.remove(idx).unwrap();
    assert_eq!(one(&w, UP, eth(UP_MAC, INET_MAC, 0x0800, &ip)).1, Next::Drop(DropReason::SessionDown));
    let up = pppoe_frame(ACC_MAC, PEER_MAC, SID, 0x0021, &ipv4(PEER_IP, INET, 64, 17, false, &[0; 8]));
    assert_eq!(one(&w, ACC, up).1, Next::Drop(DropReason::PppoeNoSession));
}

#[test]
fn icmp_errors_about_subscriber_packets_go_back_through_the_session() {
    let mut w = world(true);
    with_session(&mut w, true, 0, 0);
    let ip = ipv4(PEER_IP, INET, 1, 17, false, &[0; 8]);
    let (p, n) = one(&w, ACC, pppoe_frame(ACC_MAC, PEER_MAC, SID, 0x0021, &ip));
    assert_eq!(n, Next::Tx(ACC));
    let d = p.data();
    assert_eq!(&d[0..6], &PEER_MAC);
    assert_eq!(&d[16..18], &[0x88, 0x64]);
    let icmp = &d[PPP_PAYLOAD..];
    assert_eq!(&icmp[16..20], &PEER_IP.to_be_bytes());
    assert_eq!((icmp[20], icmp[21]), (11, 0), "time exceeded");
}

#[test]
fn mss_is_clamped_on_syns_both_ways() {
    let mut w = world(true);
    with_session(&mut w, true, 1452, 0);
    let syn = tcp_syn(PEER_IP, INET, 1460);
    let (p, n) = one(&w, ACC, pppoe_frame(ACC_MAC, PEER_MAC, SID, 0x0021, &syn));
    assert_eq!(n, Next::Tx(UP));
    let tcp = &p.data()[14 + 20..];
    assert_eq!(&tcp[22..24], &1452u16.to_be_bytes());
    assert_eq!(tcp_csum(PEER_IP, INET, tcp), 0, "TCP checksum still valid");

    let syn = tcp_syn(INET, PEER_IP, 1460);
    let (p, n) = one(&w, UP, eth(UP_MAC, INET_MAC, 0x0800, &syn));
    assert_eq!(n, Next::Tx(ACC));
    let tcp = &p.data()[PPP_PAYLOAD + 20..];
    assert_eq!(&tcp[22..24], &1452u16.to_be_bytes());
    assert_eq!(tcp_csum(INET, PEER_IP, tcp), 0);
    assert_eq!(w.counters.get(Count::MssClamped), 2);

    // A smaller MSS stays as it is.
    let syn = tcp_syn(INET, PEER_IP, 1200);
    let (p, _) = one(&w, UP, eth(UP_MAC, INET_MAC, 0x0800, &syn));
    assert_eq!(&p.data()[PPP_PAYLOAD + 20 + 22..PPP_PAYLOAD + 20 + 24], &1200u16.to_be_bytes());
}

// ---- the worker's two dispatches agree ----

use dataplane::counters::{Clock, StageClocks};
use dataplane::stages::process_burst_timed;

/// Every kind of frame the tests above use, in one burst: upstream IPv4 (plain, spoofed,
/// TTL 1, TCP SYN to clamp, padded), LCP echo and other PPP control, IPv6, unknown
/// session, downstream to the session and to nowhere, plain IPv4 forwarding, local
/// traffic, ARP, runts and garbage, frames not for us, QinQ and untagged PPPoE, a
/// blackhole and no route, and the compressed PPP headers: Address/Control, which PPPoE
/// does not have, and a one-byte Protocol, which it may.
fn corpus() -> Vec<Vec<u8>> {
    let up = |ip: &[u8]| pppoe_frame(ACC_MAC, PEER_MAC, SID, 0x0021, ip);
    let mut echo = vec![0x09, 0x07, 0x00, 0x08];
    echo.extend_from_slice(&0x5566_7788u32.to_be_bytes());
    let mut padded = up(&ipv4(PEER_IP, INET, 64, 17, false, &[1; 8]));
    padded.extend_from_slice(&[0xee; 9]);
    let mut untagged = pppoe_frame(ACC_MAC, PEER_MAC, SID, 0x0021, &ipv4(PEER_IP, INET, 64, 17, false, &[0; 8]));
    untagged.drain(12..16);
    let mut qinq = pppoe_frame(ACC_MAC, PEER_MAC, SID, 0x0021, &ipv4(PEER_IP, INET, 64, 17, false, &[0; 8]));
    qinq.splice(12..12, [0x88, 0xa8, 0x00, 0x07]);
    vec![
        up(&ipv4(PEER_IP, INET, 64, 1, false, &echo_request(56))),
        up(&ipv4(PEER_IP + 1, INET, 64, 17, false, &[0; 8])),
        up(&ipv4(PEER_IP, INET, 1, 17, false, &[0; 8])),
        up(&tcp_syn(PEER_IP, INET, 1460)),
        padded,
        pppoe_frame(ACC_MAC, PEER_MAC, SID, 0xc021, &echo),
        pppoe_frame(ACC_MAC, PEER_MAC, SID, 0xc021, &[0x01, 0x01, 0x00, 0x04]),
        pppoe_frame(ACC_MAC, PEER_MAC, SID, 0x0057, &[0x60; 40]),
        pppoe_frame(ACC_MAC, PEER_MAC, SID + 1, 0x0021, &ipv4(PEER_IP, INET, 64, 17, false, &[0; 8])),
        untagged,
        qinq,
        eth(UP_MAC, INET_MAC, 0x0800, &ipv4(INET, PEER_IP, 64, 17, false, &[2; 18])),
        eth(UP_MAC, INET_MAC, 0x0800, &tcp_syn(INET, PEER_IP, 1460)),
        eth(UP_MAC, INET_MAC, 0x0800, &ipv4(INET, PEER_IP, 64, 17, true, &[0; 1600])),
        eth(UP_MAC, INET_MAC, 0x0800, &ipv4(INET, 0x0a00_0001, 64, 17, false, &[0; 8])),
        eth(ACC_MAC, SUB_MAC, 0x0800, &ipv4(SUB, INET, 64, 1, false, &echo_request(56))),
        eth(ACC_MAC, SUB_MAC, 0x0800, &ipv4(SUB, INET, 1, 17, false, &[0; 8])),
        eth(ACC_MAC, SUB_MAC, 0x0800, &ipv4(SUB, ACC_IP, 64, 1, false, &echo_request(8))),
        eth([0xff; 6], SUB_MAC, 0x0806, &arp(1, SUB_MAC, SUB, [0; 6], ACC_IP)),
        eth([0x02, 9, 9, 9, 9, 9], SUB_MAC, 0x0800, &ipv4(SUB, INET, 64, 17, false, &[0; 8])),
        eth(ACC_MAC, SUB_MAC, 0x88cc, &[0; 40]),
        vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        ACC_MAC.iter().chain(&SUB_MAC).chain(&[0x88, 0x64, 0x11]).copied().collect(),
        eth(UP_MAC, INET_MAC, 0x0800, &ipv4(INET, 0x0b00_0001, 64, 17, false, &[0; 8])),
        // ff 03 is no Address/Control on PPPoE (RFC 2516 §7): Protocol 0x00ff, punted. A
        // one-byte IPv4 Protocol (PFC, RFC 1661 §6.5): forwarded.
        pppoe_frame(ACC_MAC, PEER_MAC, SID, 0xff03, &[0xc0, 0x21, 0x09, 0x07, 0x00, 0x08, 1, 2, 3, 4]),
        pppoe_frame(ACC_MAC, PEER_MAC, SID, 0x2145, &ipv4(PEER_IP, INET, 64, 17, false, &[0; 8])[1..]),
    ]
}

/// Run `frames` through `process_burst` with the fast paths in one world and
/// `process_burst_timed` without them (every packet through the general code) in an
/// identical other; both must give the same verdicts, the same bytes and the same
/// counters. Returns the timed world's counters, for the clock checks.
fn both_dispatches(rx: u16, frames: &[Vec<u8>]) -> dataplane::counters::WorkerCounters {
    let build = || {
        let mut w = world(true);
        with_session(&mut w, true, 1400, ECHO_OFFLOAD);
        w
    };
    let (a, b) = (build(), build());
    let mut results = Vec::new();
    for (w, timed) in [(&a, false), (&b, true)] {
        let mut out = Vec::new();
        for chunk in frames.chunks(64) {
            let mut pkts: Vec<HeapPacket> = chunk.iter().map(|f| HeapPacket::new(f)).collect();
            let mut next = vec![Next::Drop(DropReason::Internal); pkts.len()];
            let mut ctx = Ctx::new(&w.tables, &w.counters, 0, 1_000_000, PuntLimits::default());
            ctx.now = 1;
            ctx.fast_paths = !timed;
            if timed {
                let mut clocks = StageClocks::default();
                process_burst_timed(&mut ctx, rx, &mut pkts, &mut next, &mut clocks);
                w.counters.add_clocks(&clocks);
            } else {
                process_burst(&mut ctx, rx, &mut pkts, &mut next);
            }
            out.extend(pkts.iter().map(|p| p.data().to_vec()).zip(next));
        }
        results.push(out);
    }
    for (i, (x, y)) in results[0].iter().zip(&results[1]).enumerate() {
        assert_eq!(x.1, y.1, "frame {i}: verdicts differ");
        assert_eq!(x.0, y.0, "frame {i}: bytes differ");
    }
    for &c in Count::ALL {
        if c != Count::SampledBursts && c != Count::SampledBurstsDiscarded {
            assert_eq!(a.counters.get(c), b.counters.get(c), "{}", c.name());
        }
    }
    for &r in DropReason::ALL {
        assert_eq!(a.counters.dropped(r), b.counters.dropped(r), "drop {}", r.name());
    }
    for &c in Clock::ALL {
        assert_eq!(a.counters.clock(c), (0, 0), "the fused dispatch measures nothing ({})", c.name());
    }
    b.counters
}

#[test]
fn fused_and_timed_dispatch_agree_and_the_timed_one_counts_stage_clocks() {
    let frames = corpus();
    // Packets each stage saw (worked out by hand from the corpus, frame by frame).
    let expect: [(u16, &[(Clock, u64)]); 2] = [
        (
            ACC,
            &[
                (Clock::EthInput, 26),
                (Clock::PppoeInput, 14),
                // The PPPoE frames with a whole header of a known session: 8 of the
                // original corpus and the two "compressed" ones.
                (Clock::PppInput, 10),
                (Clock::ArpInput, 1),
                // 7, and the one-byte-Protocol IPv4 to INET, rewritten for the uplink.
                (Clock::Ip4Input, 8),
                (Clock::IcmpError, 2),
                (Clock::ToKernel, 1),
                (Clock::Ip4Rewrite, 6),
                (Clock::SessionEncap, 1),
            ],
        ),
        (
            UP,
            &[
                (Clock::EthInput, 26),
                (Clock::PppoeInput, 0),
                (Clock::PppInput, 0),
                (Clock::Ip4Input, 5),
                // Over the session's MRU, and 11.0.0.1 without a route (10/8 is a
                // blackhole: dropped, no error).
                (Clock::IcmpError, 2),
                (Clock::Ip4Rewrite, 2),
                (Clock::SessionEncap, 2),
            ],
        ),
    ];
    for (rx, want) in expect {
        let c = both_dispatches(rx, &frames);
        assert_eq!(c.get(Count::SampledBursts), 1);
        for &(k, n) in want {
            assert_eq!(c.clock(k).1, n, "rx {rx}: packets in {}", k.name());
        }
        let cycles: u64 = Clock::ALL.iter().map(|&k| c.clock(k).0).sum();
        assert!(cycles > 0, "the stages took some time");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
    /// Damaged frames (bytes changed, cut short) get the same verdict either way.
    #[test]
    fn dispatches_agree_on_damaged_frames(
        which in proptest::collection::vec(0usize..26, 1..40),
        edits in proptest::collection::vec((0usize..80, proptest::prelude::any::<u8>()), 0..4),
        cut in 0usize..100,
        rx in 0u16..2,
    ) {
        let c = corpus();
        let frames: Vec<Vec<u8>> = which
            .iter()
            .map(|&k| {
                let mut f = c[k % c.len()].clone();
                for &(at, v) in &edits {
                    if let Some(b) = f.get_mut(at) {
                        *b = v;
                    }
                }
                if cut < f.len() && cut % 3 == 0 {
                    f.truncate(cut);
                }
                f
            })
            .collect();
        both_dispatches(rx, &frames);
    }
}
