//! The benchmark cases and their traffic: classic pcap files (libpcap format, microsecond
//! timestamps, LINKTYPE_ETHERNET) of 64-byte frames (60 bytes captured, the 4-byte FCS is
//! the wire's), generated deterministically from a fixed seed.
//!
//! - `ipv4`: plain IPv4 forwarding, UDP to random hosts of the `routes` synthetic /24s of
//!   `[bench]` (RFC 791 headers with a correct checksum, TTL 64).
//! - `pppoe-up`: PPPoE session frames (RFC 2516 §4, PPP protocol 0x0021) from the
//!   `sessions` synthetic subscribers of `[bench]` (their MACs, VLANs, session ids and
//!   source addresses), in random order, each session once per round.
//! - `pppoe-down`: IPv4 from the network to the sessions' addresses, in random order; dpvpn
//!   adds the PPPoE encapsulation.

use std::io::{self, Write};
use std::net::Ipv4Addr;

use controlplane::config::BenchConfig;
use dataplane::wire::checksum::checksum;

/// The frame length captured (64 on the wire with the FCS).
pub const FRAME_LEN: usize = 60;
/// The MAC of the ingress port, so frames are addressed to it: DPDK's pcap driver gives its
/// first device 02:70:63:61:70:00 ("pcap") and cannot change it; the runner checks it.
pub const INGRESS_MAC: [u8; 6] = [0x02, 0x70, 0x63, 0x61, 0x70, 0x00];
/// The MAC of the pinned neighbour behind the egress port.
pub const NEIGHBOUR_MAC: [u8; 6] = [0x02, 0xbe, 0xbe, 0, 0, 0xfe];
/// The uplink sending downstream traffic and receiving upstream traffic.
pub const UPSTREAM_HOST_MAC: [u8; 6] = [0x02, 0xbe, 0xbe, 0, 0, 2];
/// First VLAN of the synthetic sessions, and how many VLANs at most they spread over.
pub const FIRST_VLAN: u16 = 100;
pub const MAX_VLANS: u32 = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    Ipv4,
    PppoeUp,
    PppoeDown,
}

impl Case {
    pub const ALL: [Case; 3] = [Case::Ipv4, Case::PppoeUp, Case::PppoeDown];
    pub fn name(self) -> &'static str {
        match self {
            Case::Ipv4 => "ipv4",
            Case::PppoeUp => "pppoe-up",
            Case::PppoeDown => "pppoe-down",
        }
    }
    pub fn parse(s: &str) -> Option<Case> {
        Case::ALL.into_iter().find(|c| c.name() == s)
    }
    /// Whether dpvpn's ingress (the pcap port) is an access port.
    pub fn ingress_is_access(self) -> bool {
        self == Case::PppoeUp
    }
}

/// xorshift64*: deterministic, seeded, good enough to shuffle traffic.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// The `[bench]` table the cases assume (the same numbering as dpvpn's synthetic sessions).
pub fn bench_config(sessions: u32, routes: u32) -> BenchConfig {
    BenchConfig {
        pppoe_sessions: sessions,
        access_port: "access".into(),
        first_vlan: Some(FIRST_VLAN),
        vlans: sessions.clamp(1, MAX_VLANS) as u16,
        address_base: Ipv4Addr::new(100, 64, 0, 2),
        routes,
        route_base: Ipv4Addr::new(16, 0, 0, 0),
        neighbour: Some(("out".into(), Ipv4Addr::new(198, 51, 100, 2), NEIGHBOUR_MAC)),
    }
}

/// IPv4 + UDP filling `out` (RFC 791 header with checksum; UDP checksum 0, RFC 768).
fn ipv4_udp(out: &mut [u8], src: Ipv4Addr, dst: Ipv4Addr, id: u16) {
    let total = out.len() as u16;
    out.fill(0);
    out[0] = 0x45;
    out[2..4].copy_from_slice(&total.to_be_bytes());
    out[4..6].copy_from_slice(&id.to_be_bytes());
    out[8] = 64;
    out[9] = 17;
    out[12..16].copy_from_slice(&src.octets());
    out[16..20].copy_from_slice(&dst.octets());
    let c = checksum(&out[..20]);
    out[10..12].copy_from_slice(&c.to_be_bytes());
    out[20..22].copy_from_slice(&1024u16.to_be_bytes());
    out[22..24].copy_from_slice(&9u16.to_be_bytes()); // discard
    out[24..26].copy_from_slice(&(total - 20).to_be_bytes());
}

fn ethernet(f: &mut Vec<u8>, dst: [u8; 6], src: [u8; 6], vlan: Option<u16>, ethertype: u16) {
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    if let Some(v) = vlan {
        f.extend_from_slice(&0x8100u16.to_be_bytes());
        f.extend_from_slice(&v.to_be_bytes());
    }
    f.extend_from_slice(&ethertype.to_be_bytes());
}

/// How many frames a case's file holds by default: every session (or enough distinct
/// destinations) at least once, at least 8192, at most 65536 (the pcap driver keeps them
/// all in mbufs).
pub fn frame_count(case: Case, b: &BenchConfig) -> usize {
    let distinct = match case {
        Case::Ipv4 => b.routes as usize,
        _ => b.pppoe_sessions as usize,
    };
    distinct.clamp(8192, 65536)
}

/// The frames of a case, deterministic for given tables: `count` of them, or
/// [`frame_count`]'s number when `count` is 0. A sweep over table sizes gives every
/// size the same count, so that only the tables change (the pcap driver's own cost
/// grows with the file: testpmd's too).
pub fn frames(case: Case, b: &BenchConfig, seed: u64, count: usize) -> Vec<Vec<u8>> {
    let mut rng = Rng::new(seed);
    let n = if count == 0 { frame_count(case, b) } else { count };
    // Random order of sessions, each once per round.
    let mut order: Vec<u32> = Vec::new();
    let mut next_session = |rng: &mut Rng| -> u32 {
        if order.is_empty() {
            order = (0..b.pppoe_sessions.max(1)).collect();
            for i in (1..order.len()).rev() {
                order.swap(i, rng.below(i as u64 + 1) as usize);
            }
        }
        order.pop().expect("refilled")
    };
    (0..n)
        .map(|k| {
            let mut f = Vec::with_capacity(FRAME_LEN);
            let id = k as u16;
            match case {
                Case::Ipv4 => {
                    let j = rng.below(u64::from(b.routes.max(1))) as u32;
                    let dst = Ipv4Addr::from(u32::from(b.route_prefix(j)) + 1 + rng.below(254) as u32);
                    let src = Ipv4Addr::new(192, 0, 2, 2 + (k % 250) as u8);
                    ethernet(&mut f, INGRESS_MAC, UPSTREAM_HOST_MAC, None, 0x0800);
                    let at = f.len();
                    f.resize(FRAME_LEN, 0);
                    ipv4_udp(&mut f[at..], src, dst, id);
                }
                Case::PppoeUp => {
                    let i = next_session(&mut rng);
                    ethernet(&mut f, INGRESS_MAC, BenchConfig::session_mac(i), b.session_vlan(i), 0x8864);
                    let ppp_len = (FRAME_LEN - f.len() - 6) as u16;
                    f.extend_from_slice(&[0x11, 0x00]);
                    f.extend_from_slice(&BenchConfig::session_id(i).to_be_bytes());
                    f.extend_from_slice(&ppp_len.to_be_bytes());
                    f.extend_from_slice(&0x0021u16.to_be_bytes());
                    let at = f.len();
                    f.resize(FRAME_LEN, 0);
                    let dst = Ipv4Addr::new(203, 0, 113, 1 + rng.below(254) as u8);
                    ipv4_udp(&mut f[at..], b.session_address(i), dst, id);
                }
                Case::PppoeDown => {
                    let i = next_session(&mut rng);
                    ethernet(&mut f, INGRESS_MAC, UPSTREAM_HOST_MAC, None, 0x0800);
                    let at = f.len();
                    f.resize(FRAME_LEN, 0);
                    let src = Ipv4Addr::new(203, 0, 113, 1 + rng.below(254) as u8);
                    ipv4_udp(&mut f[at..], src, b.session_address(i), id);
                }
            }
            f
        })
        .collect()
}

/// Write frames as a classic pcap file (magic a1b2c3d4, version 2.4, snaplen 65535,
/// LINKTYPE_ETHERNET = 1), one microsecond apart.
pub fn write_pcap(w: &mut impl Write, frames: &[Vec<u8>]) -> io::Result<()> {
    let mut h = Vec::with_capacity(24);
    h.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&4u16.to_le_bytes());
    h.extend_from_slice(&0i32.to_le_bytes());
    h.extend_from_slice(&0u32.to_le_bytes());
    h.extend_from_slice(&65535u32.to_le_bytes());
    h.extend_from_slice(&1u32.to_le_bytes());
    w.write_all(&h)?;
    for (k, f) in frames.iter().enumerate() {
        let mut r = Vec::with_capacity(16 + f.len());
        r.extend_from_slice(&((k / 1_000_000) as u32).to_le_bytes());
        r.extend_from_slice(&((k % 1_000_000) as u32).to_le_bytes());
        r.extend_from_slice(&(f.len() as u32).to_le_bytes());
        r.extend_from_slice(&(f.len() as u32).to_le_bytes());
        r.extend_from_slice(f);
        w.write_all(&r)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_60_bytes_deterministic_and_match_the_sessions() {
        let b = bench_config(1000, 10);
        for case in Case::ALL {
            let a = frames(case, &b, 7, 0);
            assert_eq!(a, frames(case, &b, 7, 0), "{case:?}");
            assert_eq!(a.len(), 8192);
            assert!(a.iter().all(|f| f.len() == FRAME_LEN));
            assert!(a.iter().all(|f| f[..6] == INGRESS_MAC));
            assert_eq!(frames(case, &b, 7, 65536).len(), 65536, "{case:?}: a count given");
        }
        let up = frames(Case::PppoeUp, &b, 7, 0);
        // Each session once in the first round.
        let mut seen: Vec<u32> = up[..1000].iter().map(|f| u32::from_be_bytes([f[8], f[9], f[10], f[11]])).collect();
        seen.sort();
        assert_eq!(seen, (0..1000).collect::<Vec<_>>());
        let f = &up[0];
        let i = u32::from_be_bytes([f[8], f[9], f[10], f[11]]);
        assert_eq!(u16::from_be_bytes([f[14], f[15]]), b.session_vlan(i).unwrap());
        assert_eq!(&f[16..18], &[0x88, 0x64]);
        assert_eq!(u16::from_be_bytes([f[20], f[21]]), BenchConfig::session_id(i));
        assert_eq!(usize::from(u16::from_be_bytes([f[22], f[23]])), FRAME_LEN - 24);
        assert_eq!(&f[24..26], &[0, 0x21]);
        assert_eq!(f[38..42], b.session_address(i).octets());
        assert_eq!(checksum(&f[26..46]), 0);
        let down = frames(Case::PppoeDown, &b, 7, 0);
        let dst = Ipv4Addr::new(down[0][30], down[0][31], down[0][32], down[0][33]);
        assert!((u32::from(dst) - u32::from(b.address_base)) < 1000);
        let v4 = frames(Case::Ipv4, &b, 7, 0);
        assert!(v4.iter().all(|f| f[30] == 16 && f[31] == 0 && f[32] < 10));
    }

    #[test]
    fn pcap_file_layout() {
        let mut out = Vec::new();
        write_pcap(&mut out, &[vec![1; 60], vec![2; 60]]).unwrap();
        assert_eq!(out.len(), 24 + 2 * (16 + 60));
        assert_eq!(&out[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
        assert_eq!(u32::from_le_bytes(out[24 + 8..24 + 12].try_into().unwrap()), 60);
    }
}
