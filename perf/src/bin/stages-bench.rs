//! Cost of the worker stages per packet, without NICs: IPv4 forwarding of 64-byte
//! frames through `process_burst` over heap packets, in bursts of 32, with a FIB of
//! N routes. A micro-benchmark of the pipeline only (no RX/TX, no mbufs); the
//! DPDK-level benchmarks beside testpmd come with the perf issue.
//!
//!   cargo run --release -p perf --bin stages-bench [-- ROUTES]

use std::sync::Arc;
use std::time::Instant;

use dataplane::adjacency::{Adjacency, AdjacencyTable};
use dataplane::counters::{Count, DropReason, WorkerCounters};
use dataplane::fib::{FibConfig, FibWriter};
use dataplane::neighbour::NeighbourWriter;
use dataplane::packet::HeapPacket;
use dataplane::rcu::Qsbr;
use dataplane::session::SessionWriter;
use dataplane::stages::{process_burst, Ctx, Next, PuntLimits};
use dataplane::tables::{IfAddr, PortEntry, PortRole, Tables, MAX_PORTS};
use dataplane::wire::checksum::checksum;

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

fn main() {
    let routes: u32 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
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
    let sessions = SessionWriter::new(16, 1, qsbr);
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
    let frames: Vec<Vec<u8>> = dsts.iter().map(|&d| frame(d)).collect();
    let mut pkts: Vec<HeapPacket> = (0..BURST).map(|i| HeapPacket::new(&frames[i % frames.len()])).collect();
    let mut next = [Next::Drop(DropReason::Internal); BURST];

    let bursts = 2_000_000 / BURST * 10;
    // Warm up, then measure: resetting a packet (a 60-byte copy) is timed separately
    // and subtracted, so the figure is the stages alone.
    let run = |with_stages: bool, pkts: &mut Vec<HeapPacket>, ctx: &mut Ctx, next: &mut [Next; BURST]| {
        let t0 = Instant::now();
        let mut k = 0;
        for _ in 0..bursts {
            for p in pkts.iter_mut() {
                p.reset(&frames[k % frames.len()]);
                k += 1;
            }
            if with_stages {
                process_burst(ctx, 0, pkts, next);
            }
        }
        t0.elapsed()
    };
    run(true, &mut pkts, &mut ctx, &mut next);
    let base = run(false, &mut pkts, &mut ctx, &mut next);
    let full = run(true, &mut pkts, &mut ctx, &mut next);
    let pkts_total = (bursts * BURST) as f64;
    let ns = (full.as_secs_f64() - base.as_secs_f64()) * 1e9 / pkts_total;
    assert!(next.iter().all(|n| *n == Next::Tx(1)), "every packet forwarded: {:?}", &next[..4]);
    assert!(counters.get(Count::Forwarded) as f64 >= pkts_total);
    println!(
        "{{\"case\":\"stages_ipv4_forward\",\"routes\":{routes},\"burst\":{BURST},\"ns_per_packet\":{ns:.1},\"mpps_single_core\":{:.1}}}",
        1e3 / ns
    );
}
