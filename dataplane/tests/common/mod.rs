//! Shared fixtures for the stage tests: a small world of ports, routes and neighbours,
//! and frame builders written independently of `wire`.
#![allow(dead_code)]

use std::sync::Arc;

use dataplane::adjacency::{Adjacency, AdjacencyTable};
use dataplane::counters::WorkerCounters;
use dataplane::fib::{FibConfig, FibWriter};
use dataplane::neighbour::NeighbourWriter;
use dataplane::rcu::Qsbr;
use dataplane::session::SessionWriter;
use dataplane::tables::{IfAddr, PortEntry, PortRole, Tables, MAX_PORTS};

pub const ACC: u16 = 0;
pub const UP: u16 = 1;
pub const TAP: u16 = 2;
pub const ACC_MAC: [u8; 6] = [0x02, 0, 0, 0, 0xac, 0x01];
pub const UP_MAC: [u8; 6] = [0x02, 0, 0, 0, 0x0b, 0x01];
pub const TAP_MAC: [u8; 6] = [0x02, 0, 0, 0, 0x7a, 0x01];
pub const SUB_MAC: [u8; 6] = [0x02, 0, 0, 0, 0x50, 0x02];
pub const INET_MAC: [u8; 6] = [0x02, 0, 0, 0, 0x1e, 0x02];
pub const GW_MAC: [u8; 6] = [0x02, 0x64, 0x70, 0x76, 0x70, 0x6e];
pub const SUB: u32 = 0xc000_0202; // 192.0.2.2
pub const ACC_IP: u32 = 0xc000_0201;
pub const INET: u32 = 0xc633_6402; // 198.51.100.2
pub const UP_IP: u32 = 0xc633_6401;

pub struct World {
    pub tables: Arc<Tables>,
    pub counters: WorkerCounters,
    pub fib: FibWriter,
    pub neigh: NeighbourWriter,
    pub adj: Arc<AdjacencyTable>,
    pub sessions: SessionWriter,
}

pub fn world(resolve_inet: bool) -> World {
    let qsbr = Qsbr::new(2);
    let mut fib = FibWriter::new(FibConfig { max_tbl8_groups: 256 }, qsbr.clone());
    let adj = Arc::new(AdjacencyTable::new(16));
    adj.set(0, Adjacency::Local);
    adj.set(1, Adjacency::Glean { port: ACC });
    adj.set(2, Adjacency::Glean { port: UP });
    adj.set(3, Adjacency::NextHop { port: UP, next_hop: INET });
    adj.set(4, Adjacency::Blackhole);
    fib.insert(0xc000_0200, 24, 1).unwrap();
    fib.insert(0xc633_6400, 24, 2).unwrap();
    fib.insert(ACC_IP, 32, 0).unwrap();
    fib.insert(UP_IP, 32, 0).unwrap();
    fib.insert(0xcb00_7100, 24, 3).unwrap(); // 203.0.113.0/24 via 198.51.100.2
    fib.insert(0x0a00_0000, 8, 4).unwrap(); // 10/8 blackhole
    let mut neigh = NeighbourWriter::new(64, qsbr.clone());
    let sessions = SessionWriter::new(64, 1, qsbr);
    neigh.set(ACC, SUB, SUB_MAC).unwrap();
    if resolve_inet {
        neigh.set(UP, INET, INET_MAC).unwrap();
        adj.set_mac(3, Some(INET_MAC));
    }
    let mut ports = [PortEntry::ABSENT; MAX_PORTS];
    let mut p = |id: u16, role, mac, addr: Option<IfAddr>| {
        let e = &mut ports[id as usize];
        e.present = true;
        e.role = role;
        e.mac = mac;
        e.mtu = 1500;
        if let Some(a) = addr {
            e.addrs[0] = a;
            e.n_addrs = 1;
        }
    };
    p(ACC, PortRole::Access, ACC_MAC, Some(IfAddr { addr: ACC_IP, len: 24 }));
    p(UP, PortRole::Uplink, UP_MAC, Some(IfAddr { addr: UP_IP, len: 24 }));
    p(TAP, PortRole::Tap, TAP_MAC, None);
    let tables = Arc::new(Tables {
        ports,
        fib: fib.table(),
        adjacencies: adj.clone(),
        neighbours: neigh.table(),
        sessions: sessions.table(),
        tap: Some(TAP),
        tap_gateway_mac: GW_MAC,
        router_id: ACC_IP,
    });
    World { tables, counters: WorkerCounters::new(), fib, neigh, adj, sessions }
}

/// RFC 1071 checksum, written here independently of `wire`.
pub fn csum(b: &[u8]) -> u16 {
    let mut s: u32 = 0;
    for c in b.chunks(2) {
        s += u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]) as u32;
    }
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

pub fn ipv4(src: u32, dst: u32, ttl: u8, proto: u8, df: bool, payload: &[u8]) -> Vec<u8> {
    let mut h = vec![0x45, 0, 0, 0, 0x12, 0x34, if df { 0x40 } else { 0 }, 0, ttl, proto, 0, 0];
    let total = (20 + payload.len()) as u16;
    h[2..4].copy_from_slice(&total.to_be_bytes());
    h.extend_from_slice(&src.to_be_bytes());
    h.extend_from_slice(&dst.to_be_bytes());
    let c = csum(&h);
    h[10..12].copy_from_slice(&c.to_be_bytes());
    h.extend_from_slice(payload);
    h
}

pub fn eth(dst: [u8; 6], src: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

pub fn echo_request(len: usize) -> Vec<u8> {
    let mut p = vec![8, 0, 0, 0, 0, 1, 0, 1];
    p.extend((0..len).map(|i| i as u8));
    let c = csum(&p);
    p[2..4].copy_from_slice(&c.to_be_bytes());
    p
}

pub fn arp(op: u16, sha: [u8; 6], spa: u32, tha: [u8; 6], tpa: u32) -> Vec<u8> {
    let mut a = vec![0, 1, 8, 0, 6, 4];
    a.extend_from_slice(&op.to_be_bytes());
    a.extend_from_slice(&sha);
    a.extend_from_slice(&spa.to_be_bytes());
    a.extend_from_slice(&tha);
    a.extend_from_slice(&tpa.to_be_bytes());
    a
}

