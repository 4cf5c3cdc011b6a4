//! The access concentrator end to end, in virtual time, without DPDK: emulated
//! subscribers (the client role of every machine) dial the session manager through the
//! real data-plane stages (`process_burst` over heap packets, as a worker runs them), so
//! discovery and PPP control frames are punted exactly as in dpvpn, LCP echoes are
//! answered by the "worker", and IPv4 is forwarded both ways through the session.
//! Loss, duplication, a silent subscriber, wrong passwords, an operator's disconnect and
//! a peer that sends garbage; after every run each table is checked back to empty.

use std::net::Ipv4Addr;
use std::path::Path;
use std::sync::Arc;

use controlplane::aaa::{LocalBackend, UsersTable};
use controlplane::config::{AuthMethod, PppoeConfig};
use controlplane::pool::{PoolConfig, PoolRange, Pools};
use controlplane::ppp::lcp::EchoConfig;
use controlplane::pppoe::bras::{Bras, DataPlane, Phase, Which};
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

const ACC: u16 = 0;
const UP: u16 = 1;
const AC_MAC: [u8; 6] = [0x02, 0, 0, 0, 0xac, 0x01];
const UP_MAC: [u8; 6] = [0x02, 0, 0, 0, 0x0b, 0x01];
const INET_MAC: [u8; 6] = [0x02, 0, 0, 0, 0x1e, 0x02];
const UP_IP: u32 = 0xc633_6401;
const INET: u32 = 0xc633_6402;
const GATEWAY: Ipv4Addr = Ipv4Addr::new(100, 64, 0, 1);
const DNS: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 53);

fn pppoe_config(echo_interval_s: u32) -> PppoeConfig {
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
struct Rng(u64);
impl Rng {
    fn chance(&mut self, p: f64) -> bool {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % 10_000) as f64 / 10_000.0 < p
    }
}

struct Lab {
    now: u64,
    sessions: SessionWriter,
    routes: RouteManager,
    _neigh: NeighbourWriter,
    tables: Arc<Tables>,
    counters: WorkerCounters,
    bras: Bras,
    subs: Vec<Subscriber>,
    /// Loss and duplication on the access link, both ways.
    loss: f64,
    dup: f64,
    rng: Rng,
    /// Subscribers whose frames are not delivered to dpvpn any more (they went silent).
    silent: Vec<bool>,
    /// IPv4 datagrams that left through the uplink.
    to_inet: Vec<Vec<u8>>,
    base_routes: usize,
    drops: Vec<DropReason>,
    log: Vec<String>,
}

impl Lab {
    fn new(echo_interval_s: u32, users: &str) -> Lab {
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

    fn add(&mut self, n: u32, vlans: Vlans, user: &str, password: &str, echo: bool) -> usize {
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
    fn upstream(&mut self, frames: Vec<Vec<u8>>) {
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
                        self.bras.handle_ppp(self.now, punt.arg, &data, &mut dp)
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
    fn deliver(&mut self, frame: Vec<u8>) {
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
    fn step(&mut self, ms: u64) {
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

    fn run_until(&mut self, limit_ms: u64, mut done: impl FnMut(&Lab) -> bool) -> bool {
        let end = self.now + limit_ms;
        while self.now < end {
            if done(self) {
                return true;
            }
            self.step(10);
        }
        done(self)
    }

    fn all_up(&self) -> bool {
        self.subs.iter().all(|s| s.phase() == SubscriberPhase::Up)
    }

    fn events(&mut self, i: usize) -> Vec<SubscriberEvent> {
        let mut v = Vec::new();
        while let Some(e) = self.subs[i].poll_event() {
            v.push(e);
        }
        v
    }

    /// Nothing left anywhere: sessions, index, routes, pool, discovery ids.
    fn assert_empty(&self) {
        assert_eq!(self.bras.len(), 0, "session manager");
        assert_eq!(self.sessions.len(), 0, "data-plane sessions");
        assert_eq!(self.routes.len(), self.base_routes, "subscriber routes");
        assert_eq!(self.bras.pools().stats()[0].used, 0, "pool addresses");
        assert_eq!(self.bras.discovery().len(), 0, "PPPoE session ids");
    }
}

fn icmp_echo(src: u32, dst: u32, seq: u16) -> Vec<u8> {
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

fn csum(b: &[u8]) -> u16 {
    let mut s: u32 = 0;
    for c in b.chunks(2) {
        s += u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]) as u32;
    }
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

const USERS: &str = "user{1-100000}@lab lab pool=lab\nstatic@lab lab ip=100.79.255.10\n";

#[test]
fn subscribers_dial_in_pass_traffic_both_ways_and_hang_up() {
    let mut lab = Lab::new(10, USERS);
    for n in 1..=60u32 {
        let vlans = match n % 3 {
            0 => Vlans::NONE,
            1 => Vlans::dot1q(100 + n as u16),
            _ => Vlans::qinq(7, n as u16),
        };
        lab.add(n, vlans, &format!("user{n}@lab"), "lab", n % 2 == 0);
    }
    lab.add(1000, Vlans::NONE, "static@lab", "lab", false);
    assert!(lab.run_until(30_000, |l| l.all_up()), "not all up: {:?}", lab.subs.iter().map(|s| s.phase()).collect::<Vec<_>>());
    let mut addrs = Vec::new();
    for i in 0..lab.subs.len() {
        let ev = lab.events(i);
        let Some(SubscriberEvent::Up { address, dns, .. }) = ev.last().cloned() else { panic!("{ev:?}") };
        assert_eq!(dns[0], Some(DNS));
        assert!(address != GATEWAY);
        addrs.push(address);
    }
    assert_eq!(*addrs.last().unwrap(), Ipv4Addr::new(100, 79, 255, 10), "the static user's address");
    let mut sorted = addrs.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), addrs.len(), "distinct addresses");
    assert_eq!(lab.bras.phase_counts()[3], (Phase::Up, 61));

    // Upstream: every subscriber pings the inet host; the datagrams leave the uplink with
    // the subscriber's address, TTL decremented.
    let frames: Vec<Vec<u8>> = (0..lab.subs.len())
        .map(|i| lab.subs[i].encapsulate(&icmp_echo(u32::from(addrs[i]), INET, i as u16)).unwrap())
        .collect();
    lab.upstream(frames);
    assert_eq!(lab.to_inet.len(), lab.subs.len(), "drops: {:?}", lab.drops);
    for (i, d) in lab.to_inet.iter().enumerate() {
        assert_eq!(&d[12..16], &addrs[i].octets());
        assert_eq!(d[8], 63);
    }
    // Spoofing another subscriber's address is dropped.
    let spoof = lab.subs[0].encapsulate(&icmp_echo(u32::from(addrs[1]), INET, 9)).unwrap();
    lab.drops.clear();
    lab.upstream(vec![spoof]);
    assert_eq!(lab.drops, [DropReason::PppSourceSpoofed]);

    // Downstream: the inet host answers each; the worker encapsulates towards the right
    // subscriber, which finds the same datagram in its session.
    for i in 0..lab.subs.len() {
        let reply = icmp_echo(INET, u32::from(addrs[i]), 0x4242);
        let mut f = UP_MAC.to_vec();
        f.extend_from_slice(&INET_MAC);
        f.extend_from_slice(&[0x08, 0x00]);
        f.extend_from_slice(&reply);
        let mut pkt = [HeapPacket::new(&f)];
        let mut next = [Next::Drop(DropReason::Internal)];
        let mut ctx = Ctx::new(&lab.tables, &lab.counters, 0, 1_000, PuntLimits::default());
        process_burst(&mut ctx, UP, &mut pkt, &mut next);
        assert_eq!(next[0], Next::Tx(ACC));
        let frame = pkt[0].data().to_vec();
        assert_eq!(&frame[0..6], &lab.subs[i].mac());
        let (a, b) = lab.subs[i].handle_frame(lab.now, &frame).expect("IPv4 for this subscriber");
        assert_eq!(&frame[a + 20..b], &reply[20..], "the payload arrives unchanged");
        assert_eq!(frame[a + 8], 63);
    }
    let t = lab.tables.sessions.traffic(0);
    assert!(t.rx_packets >= 1 && t.tx_packets >= 1);

    // Hang up: LCP Terminate, PADT, and every table back to empty.
    for s in lab.subs.iter_mut() {
        s.hang_up(lab.now);
    }
    assert!(lab.run_until(20_000, |l| l.bras.is_empty()), "{:?}", lab.bras.phase_counts());
    for i in 0..lab.subs.len() {
        assert_eq!(lab.subs[i].phase(), SubscriberPhase::Down);
    }
    lab.step(10);
    lab.assert_empty();
}

#[test]
fn a_wrong_password_ends_that_attempt_only_and_a_retry_works() {
    let mut lab = Lab::new(10, USERS);
    lab.add(1, Vlans::NONE, "user1@lab", "wrong", false);
    lab.add(2, Vlans::NONE, "nobody@lab", "lab", false);
    assert!(lab.run_until(20_000, |l| l.subs.iter().all(|s| s.phase() == SubscriberPhase::Down)));
    for i in 0..2 {
        let ev = lab.events(i);
        assert!(
            ev.iter().any(|e| matches!(e, SubscriberEvent::Down { reason } if reason.contains("authentication failed"))),
            "{ev:?}"
        );
    }
    assert!(lab.run_until(20_000, |l| l.bras.is_empty()));
    lab.step(10);
    lab.assert_empty();
    assert_eq!(lab.bras.stats().auth_rejected, 2);
    // The same subscriber, right password this time.
    lab.subs.clear();
    lab.silent.clear();
    lab.add(1, Vlans::NONE, "user1@lab", "lab", false);
    assert!(lab.run_until(20_000, |l| l.all_up()));
}

#[test]
fn sessions_come_up_through_a_lossy_link_with_duplicates() {
    for seed in [0x9e37_79b9_7f4a_7c15u64, 42, 0xdead_beef] {
        // No keepalive: at this loss three echoes in a row do go missing now and then, and
        // the keepalive is right to end such a session (its own test is below).
        let mut lab = Lab::new(0, USERS);
        lab.rng = Rng(seed);
        lab.loss = 0.15;
        lab.dup = 0.1;
        for n in 1..=40u32 {
            lab.add(n, Vlans::dot1q(n as u16), &format!("user{n}@lab"), "lab", false);
        }
        // Discovery backs off up to 16 s and restarts; give every subscriber time to retry.
        let ok = lab.run_until(120_000, |l| l.all_up());
        if !ok {
            for i in 0..lab.subs.len() {
                if lab.subs[i].phase() != SubscriberPhase::Up {
                    eprintln!("{i}: {:?}", lab.events(i));
                    for l in lab.log.iter().filter(|l| l.contains("down")) {
                        eprintln!("  {l}");
                    }
                }
            }
        }
        assert!(ok, "seed {seed:#x}: phases {:?}, bras {:?}", lab.subs.iter().map(|s| s.phase()).collect::<Vec<_>>(), lab.bras.phase_counts());
        // One session and one address per subscriber, however many PADRs and
        // Configure-Requests were duplicated (renegotiations give the address back).
        assert_eq!(lab.bras.len(), 40);
        assert_eq!(lab.bras.pools().stats()[0].used, 40);
        lab.loss = 0.0;
        lab.dup = 0.0;
        for s in lab.subs.iter_mut() {
            s.hang_up(lab.now);
        }
        assert!(lab.run_until(30_000, |l| l.bras.is_empty()));
        lab.step(10);
        lab.assert_empty();
    }
}

#[test]
fn a_silent_subscriber_is_torn_down_by_the_keepalive() {
    let mut lab = Lab::new(2, USERS);
    lab.add(1, Vlans::NONE, "user1@lab", "lab", false);
    lab.add(2, Vlans::NONE, "user2@lab", "lab", false);
    assert!(lab.run_until(20_000, |l| l.all_up()));
    lab.silent[0] = true;
    let t0 = lab.now;
    // 3 echoes 2 s apart unanswered, then Terminate-Request twice (3 s), then PADT.
    assert!(lab.run_until(30_000, |l| l.bras.len() == 1), "{:?}", lab.bras.phase_counts());
    let took = lab.now - t0;
    assert!((5_000..=15_000).contains(&took), "torn down after {took} ms");
    assert_eq!(lab.bras.stats().keepalive_failures, 1);
    // The other one, answering, is still up a minute later.
    assert!(!lab.run_until(60_000, |l| l.bras.len() != 1));
    assert_eq!(lab.subs[1].phase(), SubscriberPhase::Up);
    assert_eq!(lab.bras.sessions()[0].username.as_deref(), Some("user2@lab"));
}

#[test]
fn a_padt_from_the_subscriber_releases_everything_at_once() {
    let mut lab = Lab::new(10, USERS);
    for n in 1..=5u32 {
        lab.add(n, Vlans::dot1q(n as u16), &format!("user{n}@lab"), "lab", false);
    }
    assert!(lab.run_until(20_000, |l| l.all_up()));
    for s in lab.subs.iter_mut() {
        s.send_padt(lab.now);
    }
    lab.step(10);
    lab.step(10);
    assert_eq!(lab.bras.stats().padt_received, 5);
    lab.assert_empty();
}

#[test]
fn an_operator_disconnect_sends_terminate_and_padt() {
    let mut lab = Lab::new(10, USERS);
    lab.add(1, Vlans::NONE, "user1@lab", "lab", false);
    lab.add(2, Vlans::qinq(10, 20), "user2@lab", "lab", false);
    assert!(lab.run_until(20_000, |l| l.all_up()));
    let _ = lab.events(1);
    {
        let mut dp = DataPlane { sessions: &mut lab.sessions, routes: &mut lab.routes };
        let now = lab.now;
        lab.bras.disconnect(now, &Which::User("user2@lab".into()), &mut dp).unwrap();
        assert!(lab.bras.disconnect(now, &Which::User("nobody".into()), &mut dp).is_err());
    }
    assert!(lab.run_until(10_000, |l| l.bras.len() == 1));
    assert_eq!(lab.subs[1].phase(), SubscriberPhase::Down);
    let ev = lab.events(1);
    assert!(matches!(ev.last(), Some(SubscriberEvent::Down { .. })), "{ev:?}");
    assert_eq!(lab.subs[0].phase(), SubscriberPhase::Up);
}

#[test]
fn garbage_from_a_subscriber_neither_crashes_nor_wedges_its_session() {
    let mut lab = Lab::new(10, USERS);
    lab.add(1, Vlans::NONE, "user1@lab", "lab", false);
    assert!(lab.run_until(20_000, |l| l.all_up()));
    let addr = lab.subs[0].address().unwrap();
    let template = lab.subs[0].encapsulate(&icmp_echo(u32::from(addr), INET, 1)).unwrap();
    let mut rng = Rng(12345);
    let mut frames = Vec::new();
    for i in 0..3000u32 {
        let mut f = template[..22].to_vec();
        // Control protocols and unknown ones, with random bodies and lengths.
        let proto: u16 = [0xc021, 0xc023, 0xc223, 0x8021, 0x8057, 0x80fd, 0x1234][i as usize % 7];
        f[20..22].copy_from_slice(&proto.to_be_bytes());
        let len = (i % 40) as usize;
        for _ in 0..len {
            f.push((rng.0 >> 7) as u8);
            rng.chance(0.5);
        }
        let plen = (2 + len) as u16;
        f[18..20].copy_from_slice(&plen.to_be_bytes());
        frames.push(f);
    }
    for chunk in frames.chunks(64) {
        lab.upstream(chunk.to_vec());
        lab.step(10);
    }
    // Still up, still forwarding.
    assert!(!lab.run_until(5_000, |l| l.subs[0].phase() != SubscriberPhase::Up));
    lab.to_inet.clear();
    let ping = lab.subs[0].encapsulate(&icmp_echo(u32::from(addr), INET, 2)).unwrap();
    lab.upstream(vec![ping]);
    assert_eq!(lab.to_inet.len(), 1);
    assert!(lab.bras.stats().protocol_rejects_sent > 0, "unknown protocols got Protocol-Reject");
}

#[test]
fn a_thousand_sessions_up_and_down_leave_nothing_behind() {
    let mut lab = Lab::new(30, USERS);
    for n in 1..=1000u32 {
        lab.add(n, Vlans::dot1q((n % 4000) as u16 + 1), &format!("user{n}@lab"), "lab", false);
    }
    assert!(lab.run_until(60_000, |l| l.all_up()), "{:?}", lab.bras.phase_counts());
    assert_eq!(lab.sessions.len(), 1000);
    assert_eq!(lab.bras.pools().stats()[0].used, 1000);
    for s in lab.subs.iter_mut() {
        s.hang_up(lab.now);
    }
    assert!(lab.run_until(30_000, |l| l.bras.is_empty()));
    lab.step(10);
    lab.assert_empty();
}

mod heap {
    //! Counts live heap bytes, to measure what a session costs.
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicIsize, Ordering};
    pub static LIVE: AtomicIsize = AtomicIsize::new(0);
    pub struct Counting;
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
            System.alloc(l)
        }
        unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
            LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
            System.dealloc(p, l)
        }
        unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
            LIVE.fetch_add(n as isize - l.size() as isize, Ordering::Relaxed);
            System.realloc(p, l, n)
        }
    }
}

#[global_allocator]
static ALLOC: heap::Counting = heap::Counting;

#[test]
fn memory_per_established_session() {
    use std::sync::atomic::Ordering;
    let mut lab = Lab::new(30, USERS);
    // Subscribers live in the test too: count the concentrator's side only, by measuring
    // with and without sessions while the subscribers exist in both states.
    for n in 1..=2000u32 {
        lab.add(n, Vlans::dot1q((n % 4000) as u16 + 1), &format!("user{n}@lab"), "lab", false);
    }
    assert!(lab.run_until(60_000, |l| l.all_up()));
    lab.log.clear();
    lab.log.shrink_to_fit();
    let with = heap::LIVE.load(Ordering::Relaxed);
    use std::mem::size_of;
    eprintln!(
        "Fsm<Lcp> {} Fsm<Ipcp> {} Pap {} Chap {} Echo {} Attributes {} Params {}",
        size_of::<controlplane::ppp::fsm::Fsm<controlplane::ppp::lcp::Lcp>>(),
        size_of::<controlplane::ppp::fsm::Fsm<controlplane::ppp::ipcp::Ipcp>>(),
        size_of::<controlplane::ppp::pap::PapServer>(),
        size_of::<controlplane::ppp::chap::ChapServer>(),
        size_of::<controlplane::ppp::lcp::Echo>(),
        size_of::<controlplane::aaa::Attributes>(),
        size_of::<dataplane::session::PppoeSessionParams>(),
    );
    eprintln!(
        "session record {} B, timer entries {}, discovery {:?}",
        Bras::session_record_bytes(),
        lab.bras.timer_entries(),
        lab.bras.discovery().footprint()
    );
    for s in lab.subs.iter_mut() {
        s.send_padt(lab.now);
    }
    lab.step(10);
    lab.step(10);
    lab.assert_empty();
    lab.log.clear();
    lab.log.shrink_to_fit();
    let without = heap::LIVE.load(Ordering::Relaxed);
    let control = (with - without) as f64 / 2000.0;
    let data = lab.tables.sessions.bytes_per_session() as f64;
    eprintln!("memory per established session: control plane {control:.0} B (heap), data plane {data:.0} B (table slot)");
    println!("{{\"case\":\"memory_per_session\",\"control_plane_bytes\":{control:.0},\"data_plane_bytes\":{data:.0}}}");
    // Measured 1154 + 148 B (2026-12-01); issue 5 aims under 1 KiB. A guard against growth:
    assert!(control + data < 1536.0, "a session costs {control:.0} + {data:.0} bytes");
}
