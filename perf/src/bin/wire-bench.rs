//! Cost of the data-path packet views: parsing a tunnelled frame down to its inner IPv4
//! header, as a worker does for every packet. Three cases:
//!
//! - `eth_pppoe_ppp_ipv4`: Ethernet (one 802.1Q tag) + PPPoE session + PPP + IPv4
//! - `ipv4_udp_l2tp_ppp_ipv4`: IPv4 + UDP 1701 + L2TPv2 data (with Length and Ns/Nr) + PPP (address/control) + IPv4
//! - `ipv4_grev1_ppp_ipv4`: IPv4 + enhanced GRE (key, sequence, acknowledgement) + PPP + IPv4
//!
//! Each parse validates every header with `new_checked` and reads the fields a worker
//! needs (session or call id, tunnel id, sequence number, the PPP protocol, the inner
//! source and destination). 256 frames with different ids rotate, so the branch
//! predictor cannot learn one packet. The loop of a case runs with and without the
//! parse; the difference divided by the number of parses is the figure (ns per parse).
//! A micro-benchmark: no NIC, no mbufs, one core.
//!
//!   cargo run --release -p perf --bin wire-bench [-- ITERATIONS]
//!
//! Prints one JSON line per case.

use std::hint::black_box;
use std::time::Instant;

use dataplane::wire::ethernet::parse_l2;
use dataplane::wire::gre::EnhancedGrePacket;
use dataplane::wire::ipv4::Ipv4Packet;
use dataplane::wire::l2tp::L2tpPacket;
use dataplane::wire::ppp::{parse_header, PppProtocol};
use dataplane::wire::pppoe::PppoePacket;
use dataplane::wire::udp::UdpPacket;

const FRAMES: usize = 256;

fn inner_ipv4(i: usize) -> Vec<u8> {
    let mut ip = vec![0x45, 0, 0, 48, 0, 1, 0x40, 0, 64, 17, 0, 0];
    ip.extend_from_slice(&[100, 64, (i >> 8) as u8, i as u8]);
    ip.extend_from_slice(&[198, 51, 100, 2]);
    let c = dataplane::wire::checksum::checksum(&ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    ip.extend_from_slice(&[0u8; 28]);
    ip
}

fn outer_ipv4(proto: u8, payload: &[u8]) -> Vec<u8> {
    let mut ip = vec![0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, proto, 0, 0, 192, 0, 2, 2, 198, 51, 100, 1];
    ip[2..4].copy_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
    let c = dataplane::wire::checksum::checksum(&ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    ip.extend_from_slice(payload);
    ip
}

fn pppoe_frame(i: usize) -> Vec<u8> {
    let ip = inner_ipv4(i);
    let mut f = vec![0x02, 0, 0, 0, 0xac, 0x01, 0x02, 0, 0x5e, 0, (i >> 8) as u8, i as u8];
    f.extend_from_slice(&[0x81, 0x00, 0x00, 100, 0x88, 0x64, 0x11, 0x00]);
    f.extend_from_slice(&(i as u16 + 1).to_be_bytes());
    f.extend_from_slice(&((ip.len() + 2) as u16).to_be_bytes());
    f.extend_from_slice(&[0x00, 0x21]);
    f.extend_from_slice(&ip);
    f
}

fn l2tp_packet(i: usize) -> Vec<u8> {
    let ip = inner_ipv4(i);
    // T=0 L=1 S=1 ver 2; Length, tunnel id, session id, Ns, Nr; PPP ff 03 00 21.
    let len = 12 + 4 + ip.len();
    let mut l2tp = vec![0x48, 0x02];
    l2tp.extend_from_slice(&(len as u16).to_be_bytes());
    l2tp.extend_from_slice(&7u16.to_be_bytes());
    l2tp.extend_from_slice(&(i as u16 + 1).to_be_bytes());
    l2tp.extend_from_slice(&(i as u16).to_be_bytes());
    l2tp.extend_from_slice(&0u16.to_be_bytes());
    l2tp.extend_from_slice(&[0xff, 0x03, 0x00, 0x21]);
    l2tp.extend_from_slice(&ip);
    let mut udp = vec![0x06, 0xa5, 0x06, 0xa5];
    udp.extend_from_slice(&((8 + l2tp.len()) as u16).to_be_bytes());
    udp.extend_from_slice(&[0, 0]);
    udp.extend_from_slice(&l2tp);
    outer_ipv4(17, &udp)
}

fn gre_packet(i: usize) -> Vec<u8> {
    let ip = inner_ipv4(i);
    let ppp_len = 4 + ip.len();
    // K, S, A, version 1, protocol 0x880b, payload length, call id, seq, ack.
    let mut g = vec![0x30, 0x81, 0x88, 0x0b];
    g.extend_from_slice(&(ppp_len as u16).to_be_bytes());
    g.extend_from_slice(&(i as u16 + 1).to_be_bytes());
    g.extend_from_slice(&(i as u32 * 3).to_be_bytes());
    g.extend_from_slice(&(i as u32).to_be_bytes());
    g.extend_from_slice(&[0xff, 0x03, 0x00, 0x21]);
    g.extend_from_slice(&ip);
    outer_ipv4(47, &g)
}

/// What a worker pulls out of a frame; summed so nothing is optimised away.
#[inline(always)]
fn inner(ppp: &[u8]) -> Option<u64> {
    let (proto, hl) = parse_header(ppp).ok()?;
    if proto != PppProtocol::IPV4 {
        return None;
    }
    let ip = Ipv4Packet::new_checked(ppp.get(hl..)?).ok()?;
    Some(u32::from(ip.src_addr()) as u64 ^ u32::from(ip.dst_addr()) as u64)
}

#[inline(always)]
fn parse_pppoe(f: &[u8]) -> Option<u64> {
    let l2 = parse_l2(f).ok()?;
    let p = PppoePacket::new_checked(f.get(l2.header_len..)?).ok()?;
    if !p.is_session() {
        return None;
    }
    let vid = l2.outer_vlan.map_or(0, |t| t.vid) as u64;
    Some(inner(p.payload())? + p.session_id() as u64 + vid + l2.src.0[5] as u64)
}

#[inline(always)]
fn parse_l2tp(f: &[u8]) -> Option<u64> {
    let ip = Ipv4Packet::new_checked(f).ok()?;
    let udp = UdpPacket::new_checked(ip.payload()).ok()?;
    if udp.dst_port() != 1701 {
        return None;
    }
    let l = L2tpPacket::new_checked(udp.payload()).ok()?;
    Some(inner(l.payload())? + l.tunnel_id() as u64 + l.session_id() as u64)
}

#[inline(always)]
fn parse_gre(f: &[u8]) -> Option<u64> {
    let ip = Ipv4Packet::new_checked(f).ok()?;
    let g = EnhancedGrePacket::new_checked(ip.payload()).ok()?;
    Some(inner(g.payload())? + g.call_id() as u64 + g.sequence_number().unwrap_or(0) as u64)
}

fn bench(name: &str, frames: &[Vec<u8>], iters: usize, parse: impl Fn(&[u8]) -> Option<u64>) {
    // Sanity: every frame parses.
    for f in frames {
        assert!(parse(f).is_some(), "{name}: a benchmark frame does not parse");
    }
    let refs: Vec<&[u8]> = frames.iter().map(|f| f.as_slice()).collect();
    let run = |with_parse: bool| {
        let t0 = Instant::now();
        let mut acc = 0u64;
        for _ in 0..iters {
            for f in &refs {
                let f = black_box(*f);
                acc = acc.wrapping_add(if with_parse { parse(f).unwrap_or(1) } else { f.len() as u64 });
            }
        }
        black_box(acc);
        t0.elapsed().as_secs_f64()
    };
    run(true);
    let mut best = f64::MAX;
    // Best of five: the figure is the cost of the parse, not of the machine's noise.
    for _ in 0..5 {
        let base = run(false);
        let full = run(true);
        best = best.min((full - base).max(0.0));
    }
    let n = (iters * refs.len()) as f64;
    println!(
        "{{\"case\":\"{name}\",\"frames\":{},\"parses\":{},\"ns_per_parse\":{:.2}}}",
        refs.len(),
        n as u64,
        best * 1e9 / n
    );
}

fn main() {
    let iters: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let pppoe: Vec<_> = (0..FRAMES).map(pppoe_frame).collect();
    let l2tp: Vec<_> = (0..FRAMES).map(l2tp_packet).collect();
    let gre: Vec<_> = (0..FRAMES).map(gre_packet).collect();
    bench("eth_pppoe_ppp_ipv4", &pppoe, iters, parse_pppoe);
    bench("ipv4_udp_l2tp_ppp_ipv4", &l2tp, iters, parse_l2tp);
    bench("ipv4_grev1_ppp_ipv4", &gre, iters, parse_gre);
}
