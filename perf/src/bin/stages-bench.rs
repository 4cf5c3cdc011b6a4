//! Cost of the worker stages per packet, without NICs, through `process_burst` over heap
//! packets in bursts of 32, with a FIB of ROUTES routes and SESSIONS PPPoE sessions:
//! - `stages_ipv4_forward`: 64-byte IPv4 frames routed to the uplink;
//! - `stages_pppoe_upstream`: PPPoE session frames (802.1Q, one per session, in random
//!   order) decapsulated, checked against their session and routed to the uplink;
//! - `stages_pppoe_downstream`: IPv4 to the sessions' addresses, encapsulated with each
//!   session's template.
//!
//! A micro-benchmark of the pipeline only (no RX/TX, no mbufs); the DPDK-level
//! benchmarks beside testpmd come with the perf issue.
//!
//!   cargo run --release -p perf --bin stages-bench [-- ROUTES [SESSIONS [CASE]]]

use std::sync::Arc;
use std::time::Instant;

use dataplane::adjacency::{Adjacency, AdjacencyTable};
use dataplane::counters::{Count, DropReason, WorkerCounters};
use dataplane::fib::{FibConfig, FibWriter};
use dataplane::neighbour::NeighbourWriter;
use dataplane::packet::HeapPacket;
use dataplane::rcu::Qsbr;
use controlplane::pppoe::template::session_params;
use dataplane::session::{SessionWriter, FIB_SESSION_BASE};
use dataplane::stages::{process_burst, Ctx, Next, PuntLimits};
use dataplane::tables::{IfAddr, PortEntry, PortRole, Tables, MAX_PORTS};
use dataplane::wire::checksum::checksum;
use dataplane::wire::ethernet::{EtherType, EthernetAddress, L2Header, VlanTag};

const BURST: usize = 32;

fn frame(dst_ip: u32) -> Vec<u8> {
    let mut f = vec![0u8; 60];
    f[0..6].copy_from_slice(&[2, 0, 0, 0, 0, 1]);
    f[6..12].copy_from_slice(&[2, 0, 0, 0, 0, 9]);
    f[12..14].copy_from_slice(&[8, 0]);
    let ip = &mut f[14..34];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&46u16.to_be_bytes());
    ip[8] = 64;
    ip[9] = 17;
    ip[12..16].copy_from_slice(&0xc000_0202u32.to_be_bytes());
    ip[16..20].copy_from_slice(&dst_ip.to_be_bytes());
    let c = checksum(ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    f
}

fn vid(k: u32) -> u16 {
    (k % 4000) as u16 + 1
}

fn sid(k: u32) -> u16 {
    (k % 65000) as u16 + 1
}

/// Ethernet + 802.1Q + PPPoE session + PPP protocol 0x0021 + `ip`.
fn pppoe_frame(dst: [u8; 6], src: [u8; 6], k: u32, ip: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&[0x81, 0x00]);
    f.extend_from_slice(&vid(k).to_be_bytes());
    f.extend_from_slice(&[0x88, 0x64, 0x11, 0x00]);
    f.extend_from_slice(&sid(k).to_be_bytes());
    f.extend_from_slice(&((ip.len() + 2) as u16).to_be_bytes());
    f.extend_from_slice(&[0x00, 0x21]);
    f.extend_from_slice(ip);
    f
}

fn ipv4(src: u32, dst: u32) -> Vec<u8> {
    let mut ip = vec![0u8; 46];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&46u16.to_be_bytes());
    ip[8] = 64;
    ip[9] = 17;
    ip[12..16].copy_from_slice(&src.to_be_bytes());
    ip[16..20].copy_from_slice(&dst.to_be_bytes());
    let c = checksum(&ip[..20]);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    ip
}

fn main() {
    let routes: u32 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let n_sessions: u32 = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(1000).max(1);
    let qsbr = Qsbr::new(1);
    let mut fib = FibWriter::new(FibConfig::default(), qsbr.clone());
    let adj = Arc::new(AdjacencyTable::new(16));
    adj.set(1, Adjacency::NextHop { port: 1, next_hop: 0xc633_6402 });
    adj.set_mac(1, Some([2, 0, 0, 0, 1, 2]));
    adj.set(2, Adjacency::Glean { port: 0 });
    fib.insert(0xc000_0200, 24, 2).unwrap();
    // `routes` /24s spread over 1.0.0.0–223.255.255.0, all via the uplink next hop.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut dsts = Vec::new();
    let mut n = 0;
    while n < routes {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let p = ((x as u32) & 0xffff_ff00).clamp(0x0100_0000, 0xdfff_ff00);
        if fib.insert(p, 24, 1).unwrap().is_none() {
            n += 1;
            if dsts.len() < 4096 {
                dsts.push(p | 7);
            }
        }
    }
    let neigh = NeighbourWriter::new(16, qsbr.clone());
    let mut sessions = SessionWriter::new(n_sessions as usize, 1, qsbr);
    // Subscribers: MAC, VLAN and session id from the index, addresses 100.64.0.0/12.
    let peer_ip = |k: u32| 0x6440_0000 + 2 + k;
    let peer_mac = |k: u32| [0x02, 0x5e, 0, (k >> 16) as u8, (k >> 8) as u8, k as u8];
    for k in 0..n_sessions {
        // The subscriber's frames as the control core sees them at PADR; the template is
        // the PPPoE carrier's (controlplane::pppoe::template).
        let l2 = L2Header {
            dst: EthernetAddress([2, 0, 0, 0, 0, 1]),
            src: EthernetAddress(peer_mac(k)),
            outer_vlan: Some(VlanTag { tpid: EtherType::VLAN, pcp: 0, dei: false, vid: vid(k) }),
            inner_vlan: None,
            ethertype: EtherType::PPPOE_SESSION,
            header_len: 0,
        };
        let p = session_params(0, [2, 0, 0, 0, 0, 1], &l2, sid(k), 1492, 0x1122_3344, 0).unwrap();
        let (i, _) = sessions.add(&p).unwrap();
        sessions.open_ipv4(i, peer_ip(k), 0).unwrap();
        fib.insert(peer_ip(k), 32, FIB_SESSION_BASE + i).unwrap();
    }
    let mut ports = [PortEntry::ABSENT; MAX_PORTS];
    for (id, mac, a) in [(0u16, [2, 0, 0, 0, 0, 1], 0xc000_0201u32), (1, [2, 0, 0, 0, 1, 1], 0xc633_6401)] {
        let e = &mut ports[id as usize];
        e.present = true;
        e.role = if id == 0 { PortRole::Access } else { PortRole::Uplink };
        e.mac = mac;
        e.mtu = 1500;
        e.addrs[0] = IfAddr { addr: a, len: 24 };
        e.n_addrs = 1;
    }
    let tables = Tables {
        ports,
        fib: fib.table(),
        adjacencies: adj,
        neighbours: neigh.table(),
        sessions: sessions.table(),
        tap: None,
        tap_gateway_mac: [0; 6],
        router_id: 0xc000_0201,
    };
    let counters = WorkerCounters::new();
    let mut ctx = Ctx::new(&tables, &counters, 0, 1_000_000_000, PuntLimits::default());
    // STAGES_BENCH_PACKETS (default 20M per run) shortens a run under valgrind.
    let packets: usize = std::env::var("STAGES_BENCH_PACKETS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000_000);
    let bursts = (packets / BURST).max(1);
    // Cases: (name, receiving port, frames, the verdict every packet must get).
    let forward: Vec<Vec<u8>> = dsts.iter().map(|&d| frame(d)).collect();
    let mut order: Vec<u32> = (0..n_sessions).collect();
    let mut y: u64 = 0x2545_f491_4f6c_dd1d;
    for i in (1..order.len()).rev() {
        y ^= y << 13;
        y ^= y >> 7;
        y ^= y << 17;
        order.swap(i, (y % (i as u64 + 1)) as usize);
    }
    // As many distinct sessions as dpvpn-bench's capture files (up to 65536), in random order.
    order.truncate(65536);
    let upstream: Vec<Vec<u8>> = order
        .iter()
        .enumerate()
        .map(|(j, &k)| pppoe_frame([2, 0, 0, 0, 0, 1], peer_mac(k), k, &ipv4(peer_ip(k), dsts[j % dsts.len()])))
        .collect();
    let downstream: Vec<Vec<u8>> = order
        .iter()
        .map(|&k| {
            let mut f = vec![2, 0, 0, 0, 1, 1, 2, 0, 0, 0, 1, 2, 0x08, 0x00];
            f.extend_from_slice(&ipv4(0xc633_6402, peer_ip(k)));
            f
        })
        .collect();
    let cases: [(&str, u16, &Vec<Vec<u8>>, Next); 3] = [
        ("stages_ipv4_forward", 0, &forward, Next::Tx(1)),
        ("stages_pppoe_upstream", 0, &upstream, Next::Tx(1)),
        ("stages_pppoe_downstream", 1, &downstream, Next::Tx(0)),
    ];
    // An optional third argument runs only the cases whose name contains it (for a profiler).
    let only = std::env::args().nth(3).unwrap_or_default();
    for (name, rx, frames, want) in cases {
        if !name.contains(only.as_str()) {
            continue;
        }
        let mut pkts: Vec<HeapPacket> = (0..BURST).map(|i| HeapPacket::new(&frames[i % frames.len()])).collect();
        let mut next = [Next::Drop(DropReason::Internal); BURST];
        // Warm up, then measure: resetting a packet (a frame copy) is timed separately
        // and subtracted, so the figure is the stages alone.
        let mut run = |with_stages: bool, ctx: &mut Ctx, next: &mut [Next; BURST]| {
            let t0 = Instant::now();
            let mut k = 0;
            for _ in 0..bursts {
                for p in pkts.iter_mut() {
                    p.reset(&frames[k % frames.len()]);
                    k += 1;
                }
                if with_stages {
                    process_burst(ctx, rx, &mut pkts, next);
                }
            }
            t0.elapsed()
        };
        run(true, &mut ctx, &mut next);
        let base = run(false, &mut ctx, &mut next);
        let full = run(true, &mut ctx, &mut next);
        let pkts_total = (bursts * BURST) as f64;
        let ns = (full.as_secs_f64() - base.as_secs_f64()) * 1e9 / pkts_total;
        assert!(next.iter().all(|n| *n == want), "{name}: every packet {want:?}: {:?}", &next[..4]);
        println!(
            "{{\"case\":\"{name}\",\"routes\":{routes},\"sessions\":{n_sessions},\"burst\":{BURST},\"ns_per_packet\":{ns:.1},\"mpps_single_core\":{:.1}}}",
            1e3 / ns
        );
    }
    assert!(counters.get(Count::Forwarded) > 0);
}
