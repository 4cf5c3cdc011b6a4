//! The access concentrator and emulated subscribers wired through the real data-plane
//! stages in virtual time: the harness of the session tests.
#![allow(dead_code)]

use std::net::Ipv4Addr;
use std::path::Path;
use std::sync::Arc;

use controlplane::aaa::{LocalBackend, UsersTable};
use controlplane::config::{AuthMethod, PppoeConfig};
use controlplane::pool::{PoolConfig, PoolRange, Pools};
use controlplane::ppp::lcp::EchoConfig;
use controlplane::pppoe::bras::{Bras, DataPlane};
use controlplane::pppoe::discovery::Vlans;
use controlplane::pppoe::subscriber::{Subscriber, SubscriberConfig, SubscriberEvent, SubscriberPhase};
use controlplane::routes::{RouteManager, RouteSource};
use dataplane::adjacency::Adjacency;
use dataplane::counters::{DropReason, WorkerCounters};
use dataplane::fib::FibConfig;
use dataplane::neighbour::NeighbourWriter;
use dataplane::packet::{HeapPacket, Packet};
use dataplane::rcu::Qsbr;
use dataplane::session::SessionWriter;
use dataplane::stages::{process_burst, Ctx, Next, PuntLimits, PuntReason};
use dataplane::tables::{IfAddr, PortEntry, PortRole, Tables, MAX_PORTS};

pub const ACC: u16 = 0;
pub const UP: u16 = 1;
pub const AC_MAC: [u8; 6] = [0x02, 0, 0, 0, 0xac, 0x01];
pub const UP_MAC: [u8; 6] = [0x02, 0, 0, 0, 0x0b, 0x01];
pub const INET_MAC: [u8; 6] = [0x02, 0, 0, 0, 0x1e, 0x02];
pub const UP_IP: u32 = 0xc633_6401;
pub const INET: u32 = 0xc633_6402;
pub const GATEWAY: Ipv4Addr = Ipv4Addr::new(100, 64, 0, 1);
pub const DNS: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 53);

pub fn pppoe_config(echo_interval_s: u32) -> PppoeConfig {
    PppoeConfig {
        ac_name: "dpvpn-test".into(),
        service_names: vec![String::new()],
        max_sessions_per_mac: 1,
        padi_rate_per_mac: 10,
        padi_rate_per_port: 100_000,
        mru: 1492,
        ppp_max_payload: false,
        auth: vec![AuthMethod::ChapMd5, AuthMethod::Pap],
        echo_interval_s,
        echo_failures: 3,
        echo_offload: true,
        mss_clamp: Some(1452),
        gateway: GATEWAY,
        dns: vec![DNS],
        default_pool: "lab".into(),
        users_file: "users.txt".into(),
        max_pending: 100_000,
    }
}

/// A tiny xorshift for loss and duplication decisions.
pub struct Rng(pub u64);
impl Rng {
    pub fn chance(&mut self, p: f64) -> bool {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % 10_000) as f64 / 10_000.0 < p
    }
}

pub struct Lab {
    pub now: u64,
    pub sessions: SessionWriter,
    pub routes: RouteManager,
    pub _neigh: NeighbourWriter,
    pub tables: Arc<Tables>,
    pub counters: WorkerCounters,
    pub bras: Bras,
    pub subs: Vec<Subscriber>,
    /// Loss and duplication on the access link, both ways.
    pub loss: f64,
    pub dup: f64,
    pub rng: Rng,
    /// Subscribers whose frames are not delivered to dpvpn any more (they went silent).
    pub silent: Vec<bool>,
    /// IPv4 datagrams that left through the uplink.
    pub to_inet: Vec<Vec<u8>>,
    pub base_routes: usize,
    pub drops: Vec<DropReason>,
    pub log: Vec<String>,
}

impl Lab {
    pub fn new(echo_interval_s: u32, users: &str) -> Lab {
        let qsbr = Qsbr::new(1);
        let mut routes = RouteManager::new(FibConfig { max_tbl8_groups: 4096 }, 64, qsbr.clone());
        routes.add(0xc633_6400, 24, Adjacency::Glean { port: UP }, RouteSource::Connected).unwrap();
        routes.add(UP_IP, 32, Adjacency::Local, RouteSource::Local).unwrap();
        routes.add(0, 0, Adjacency::NextHop { port: UP, next_hop: INET }, RouteSource::Static).unwrap();
        let adj = routes.adjacency_table();
        adj.set_mac(routes.next_hop_adjacency(UP, INET).unwrap(), Some(INET_MAC));
        let mut neigh = NeighbourWriter::new(64, qsbr.clone());
        neigh.set(UP, INET, INET_MAC).unwrap();
        let sessions = SessionWriter::new(20_000, 1, qsbr);
        let mut ports = [PortEntry::ABSENT; MAX_PORTS];
        ports[ACC as usize] = PortEntry { present: true, role: PortRole::Access, mac: AC_MAC, mtu: 1500, ..PortEntry::ABSENT };
        let mut up = PortEntry { present: true, role: PortRole::Uplink, mac: UP_MAC, mtu: 1500, ..PortEntry::ABSENT };
        up.addrs[0] = IfAddr { addr: UP_IP, len: 24 };
        up.n_addrs = 1;
        ports[UP as usize] = up;
        let tables = Arc::new(Tables {
            ports,
            fib: routes.fib_table(),
            adjacencies: adj,
            neighbours: neigh.table(),
            sessions: sessions.table(),
            tap: None,
            tap_gateway_mac: [0; 6],
            router_id: UP_IP,
        });
        let users = UsersTable::parse(Path::new("users.txt"), users).unwrap();
        let mut pool = PoolConfig::new("lab", vec![PoolRange::parse("100.64.0.0/12").unwrap()]);
        pool.exclude = vec![PoolRange::parse("100.64.0.1").unwrap()];
        let pools = Pools::new(&[pool]).unwrap();
        let bras = Bras::new(
            pppoe_config(echo_interval_s),
            Box::new(LocalBackend::new(users)),
            pools,
            &[(ACC, AC_MAC, 1500)],
            20_000,
            [7; 32],
        )
        .unwrap();
        let base_routes = routes.len();
        Lab {
            now: 1,
            sessions,
            routes,
            _neigh: neigh,
            tables,
            counters: WorkerCounters::new(),
            bras,
            subs: Vec::new(),
            loss: 0.0,
            dup: 0.0,
            rng: Rng(0x9e37_79b9_7f4a_7c15),
            silent: Vec::new(),
            to_inet: Vec::new(),
            base_routes,
            drops: Vec::new(),
            log: Vec::new(),
        }
    }

    pub fn add(&mut self, n: u32, vlans: Vlans, user: &str, password: &str, echo: bool) -> usize {
        let mac = [0x02, 0x5e, (n >> 24) as u8, (n >> 16) as u8, (n >> 8) as u8, n as u8];
        let mut c = SubscriberConfig::new(ACC, mac, user, password);
        c.discovery.vlans = vlans;
        c.discovery.jitter_percent = 30;
        c.discovery.seed = n as u64 + 1;
        if echo {
            c.echo = Some(EchoConfig { interval_ms: 1000, failures: 5 });
        }
        let mut s = Subscriber::new(c);
        s.start(self.now);
        self.subs.push(s);
        self.silent.push(false);
        self.subs.len() - 1
    }

    /// Frames from subscribers through the worker's stages, and on to where the
    /// verdicts send them.
    pub fn upstream(&mut self, frames: Vec<Vec<u8>>) {
        let mut pkts: Vec<HeapPacket> = frames.iter().map(|f| HeapPacket::new(f)).collect();
        for chunk in pkts.chunks_mut(64) {
            let mut next = vec![Next::Drop(DropReason::Internal); chunk.len()];
            let mut ctx = Ctx::new(&self.tables, &self.counters, 0, 1_000, PuntLimits::default());
            ctx.now = self.now;
            process_burst(&mut ctx, ACC, chunk, &mut next);
            for (p, n) in chunk.iter().zip(next) {
                let data = p.data().to_vec();
                let mut dp = DataPlane { sessions: &mut self.sessions, routes: &mut self.routes };
                match n {
                    Next::Punt(punt) if punt.reason == PuntReason::PppoeDiscovery => {
                        self.bras.handle_discovery(self.now, punt.port, &data, &mut dp)
                    }
                    Next::Punt(punt) if punt.reason == PuntReason::PppControl => {
                        self.bras.handle_ppp(self.now, punt.ppp(), &data, &mut dp)
                    }
                    Next::Tx(ACC) => self.deliver(data),
                    Next::Tx(UP) => self.to_inet.push(data[14..].to_vec()),
                    Next::Drop(r) => self.drops.push(r),
                    other => panic!("unexpected verdict {other:?}"),
                }
            }
        }
    }

    /// A frame towards the subscribers (from dpvpn): to the subscriber it is addressed to.
    pub fn deliver(&mut self, frame: Vec<u8>) {
        if self.rng.chance(self.loss) {
            return;
        }
        let copies = if self.rng.chance(self.dup) { 2 } else { 1 };
        for _ in 0..copies {
            for (i, s) in self.subs.iter_mut().enumerate() {
                if self.silent[i] {
                    continue;
                }
                if frame[0..6] == s.mac() || frame[0..6] == [0xff; 6] {
                    s.handle_frame(self.now, &frame);
                }
            }
        }
    }

    /// One tick of `ms` milliseconds.
    pub fn step(&mut self, ms: u64) {
        let mut up = Vec::new();
        for (i, s) in self.subs.iter_mut().enumerate() {
            if s.poll_timeout().is_some_and(|t| t <= self.now) {
                s.handle_timeout(self.now);
            }
            while let Some(f) = s.poll_transmit() {
                if self.silent[i] || self.rng.chance(self.loss) {
                    continue;
                }
                if self.rng.chance(self.dup) {
                    up.push(f.clone());
                }
                up.push(f);
            }
        }
        self.upstream(up);
        {
            let mut dp = DataPlane { sessions: &mut self.sessions, routes: &mut self.routes };
            self.bras.poll(self.now, &mut dp);
        }
        while let Some((port, f)) = self.bras.poll_transmit() {
            assert_eq!(port, ACC);
            self.deliver(f);
        }
        while let Some(l) = self.bras.poll_log() {
            self.log.push(l);
        }
        self.sessions.maintain();
        self.routes.maintain();
        self.now += ms;
    }

    pub fn run_until(&mut self, limit_ms: u64, mut done: impl FnMut(&Lab) -> bool) -> bool {
        let end = self.now + limit_ms;
        while self.now < end {
            if done(self) {
                return true;
            }
            self.step(10);
        }
        done(self)
    }

    pub fn all_up(&self) -> bool {
        self.subs.iter().all(|s| s.phase() == SubscriberPhase::Up)
    }

    pub fn events(&mut self, i: usize) -> Vec<SubscriberEvent> {
        let mut v = Vec::new();
        while let Some(e) = self.subs[i].poll_event() {
            v.push(e);
        }
        v
    }

    /// Nothing left anywhere: sessions, index, routes, pool, discovery ids.
    pub fn assert_empty(&self) {
        assert_eq!(self.bras.len(), 0, "session manager");
        assert_eq!(self.sessions.len(), 0, "data-plane sessions");
        assert_eq!(self.routes.len(), self.base_routes, "subscriber routes");
        assert_eq!(self.bras.pools().stats()[0].used, 0, "pool addresses");
        assert_eq!(self.bras.discovery().len(), 0, "PPPoE session ids");
    }
}

pub fn icmp_echo(src: u32, dst: u32, seq: u16) -> Vec<u8> {
    let mut icmp = vec![8, 0, 0, 0, 0x12, 0x34];
    icmp.extend_from_slice(&seq.to_be_bytes());
    icmp.extend_from_slice(b"dpvpn test payload");
    let c = csum(&icmp);
    icmp[2..4].copy_from_slice(&c.to_be_bytes());
    let mut ip = vec![0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 1, 0, 0];
    ip[2..4].copy_from_slice(&((20 + icmp.len()) as u16).to_be_bytes());
    ip.extend_from_slice(&src.to_be_bytes());
    ip.extend_from_slice(&dst.to_be_bytes());
    let c = csum(&ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    ip.extend_from_slice(&icmp);
    ip
}

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

pub const USERS: &str = "user{1-100000}@lab lab pool=lab\nstatic@lab lab ip=100.79.255.10\n";

