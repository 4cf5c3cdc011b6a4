//! The emulator against dpvpn's own session manager, in virtual time and without DPDK:
//! what the emulator sends runs through the real worker stages (`process_burst` over
//! heap packets) to the access concentrator (`Bras`), an "inet host" on the uplink
//! answers pings, and what dpvpn sends back reaches the emulator as it would from the
//! access port. After each run every table of dpvpn's is checked back to empty.

use std::net::Ipv4Addr;
use std::path::Path;
use std::sync::Arc;

use controlplane::aaa::{LocalBackend, UsersTable};
use controlplane::config::{AuthMethod, PppoeConfig};
use controlplane::pool::{PoolConfig, PoolRange, Pools};
use controlplane::pppoe::bras::{Bras, DataPlane, Which};
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
use dataplane::wire::ethernet::{parse_l2, EtherType};

use super::emulator::{Emulator, Event, TAP_GATEWAY, TAP_GATEWAY_MAC};
use super::icmp;
use super::options::{PingPlan, Plan, VlanPlan};
use super::report::Report;
use super::traffic::{Mode, Traffic, TrafficPlan};

const ACC: u16 = 0;
const UP: u16 = 1;
const AC_MAC: [u8; 6] = [0x02, 0, 0, 0, 0xac, 0x01];
const UP_MAC: [u8; 6] = [0x02, 0, 0, 0, 0x0b, 0x01];
const INET_MAC: [u8; 6] = [0x02, 0, 0, 0, 0x1e, 0x02];
const TAP_MAC: [u8; 6] = [0x02, 0, 0, 0, 0x7a, 0x09];
const UP_IP: u32 = 0xc633_6401;
const INET: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 2);
const USERS: &str = "user{1-100000}@lab lab pool=lab\n";

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
    now_ms: u64,
    sessions: SessionWriter,
    routes: RouteManager,
    _neigh: NeighbourWriter,
    tables: Arc<Tables>,
    counters: WorkerCounters,
    bras: Bras,
    emu: Emulator,
    /// The AC answers nothing (dpvpn not running).
    silent_ac: bool,
    loss: f64,
    dup: f64,
    rng: Rng,
    base_routes: usize,
    /// Frames the emulator sent to the kernel's tap.
    to_kernel: Vec<Vec<u8>>,
    events: Vec<Event>,
    padis: Vec<u64>,
    /// Test traffic, with the inet host on the uplink (instead of the ping answerer).
    traffic: Option<Traffic>,
}

impl Lab {
    fn new(plan: Plan) -> Lab {
        let qsbr = Qsbr::new(1);
        let mut routes = RouteManager::new(FibConfig { max_tbl8_groups: 4096 }, 64, qsbr.clone());
        routes.add(0xc633_6400, 24, Adjacency::Glean { port: UP }, RouteSource::Connected).unwrap();
        routes.add(UP_IP, 32, Adjacency::Local, RouteSource::Local).unwrap();
        routes.add(0, 0, Adjacency::NextHop { port: UP, next_hop: u32::from(INET) }, RouteSource::Static).unwrap();
        let adj = routes.adjacency_table();
        adj.set_mac(routes.next_hop_adjacency(UP, u32::from(INET)).unwrap(), Some(INET_MAC));
        let mut neigh = NeighbourWriter::new(64, qsbr.clone());
        neigh.set(UP, u32::from(INET), INET_MAC).unwrap();
        let sessions = SessionWriter::new(20_000, 1, qsbr);
        let mut ports = [PortEntry::ABSENT; MAX_PORTS];
        ports[ACC as usize] =
            PortEntry { present: true, role: PortRole::Access, mac: AC_MAC, mtu: 1500, ..PortEntry::ABSENT };
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
        let users = UsersTable::parse(Path::new("users.txt"), USERS).unwrap();
        let mut pool = PoolConfig::new("lab", vec![PoolRange::parse("100.64.0.0/12").unwrap()]);
        pool.exclude = vec![PoolRange::parse("100.64.0.1").unwrap()];
        let pppoe = PppoeConfig {
            ac_name: "dpvpn-test".into(),
            service_names: vec![String::new()],
            max_sessions_per_mac: 1,
            padi_rate_per_mac: 10,
            padi_rate_per_port: 100_000,
            mru: 1492,
            ppp_max_payload: false,
            auth: vec![AuthMethod::ChapMd5, AuthMethod::Pap],
            echo_interval_s: 10,
            echo_failures: 3,
            echo_offload: true,
            mss_clamp: Some(1452),
            gateway: Ipv4Addr::new(100, 64, 0, 1),
            dns: vec![Ipv4Addr::new(198, 51, 100, 53)],
            default_pool: "lab".into(),
            users_file: "users.txt".into(),
            max_pending: 100_000,
        };
        let bras = Bras::new(
            pppoe,
            Box::new(LocalBackend::new(users)),
            Pools::new(&[pool]).unwrap(),
            &[(ACC, AC_MAC, 1500)],
            20_000,
            [7; 32],
        )
        .unwrap();
        let base_routes = routes.len();
        let mut emu = Emulator::new(plan, ACC);
        emu.set_tap_mac(TAP_MAC);
        Lab {
            now_ms: 1,
            sessions,
            routes,
            _neigh: neigh,
            tables,
            counters: WorkerCounters::new(),
            bras,
            emu,
            silent_ac: false,
            loss: 0.0,
            dup: 0.0,
            rng: Rng(0x9e37_79b9_7f4a_7c15),
            base_routes,
            to_kernel: Vec::new(),
            events: Vec::new(),
            padis: Vec::new(),
            traffic: None,
        }
    }

    fn now_us(&self) -> u64 {
        self.now_ms * 1000
    }

    /// Frames through the worker's stages on `port`, and on to where the verdicts send
    /// them; the inet host answers echo requests that leave the uplink.
    fn through_dpvpn(&mut self, port: u16, frames: Vec<Vec<u8>>) {
        let mut pkts: Vec<HeapPacket> = frames.iter().map(|f| HeapPacket::new(f)).collect();
        let mut answers = Vec::new();
        for chunk in pkts.chunks_mut(64) {
            let mut next = vec![Next::Drop(DropReason::Internal); chunk.len()];
            let mut ctx = Ctx::new(&self.tables, &self.counters, 0, 1_000, PuntLimits::default());
            ctx.now = self.now_ms;
            process_burst(&mut ctx, port, chunk, &mut next);
            for (p, n) in chunk.iter().zip(next) {
                let data = p.data().to_vec();
                let mut dp = DataPlane { sessions: &mut self.sessions, routes: &mut self.routes };
                match n {
                    Next::Punt(punt) if punt.reason == PuntReason::PppoeDiscovery => {
                        self.bras.handle_discovery(self.now_ms, punt.port, &data, &mut dp)
                    }
                    Next::Punt(punt) if punt.reason == PuntReason::PppControl => {
                        self.bras.handle_ppp(self.now_ms, punt.ppp(), &data, &mut dp)
                    }
                    Next::Tx(ACC) => self.deliver(data),
                    Next::Tx(UP) if self.traffic.is_some() => {
                        if let Some(t) = self.traffic.as_mut() {
                            t.handle_uplink_frame(self.now_ms * 1_000_000, &data);
                        }
                    }
                    Next::Tx(UP) => {
                        if let Some(reply) = icmp::answer(&data[14..]) {
                            let mut f = UP_MAC.to_vec();
                            f.extend_from_slice(&INET_MAC);
                            f.extend_from_slice(&[0x08, 0x00]);
                            f.extend_from_slice(&reply);
                            answers.push(f);
                        }
                    }
                    _ => {}
                }
            }
        }
        if !answers.is_empty() {
            self.through_dpvpn(UP, answers);
        }
    }

    fn deliver(&mut self, frame: Vec<u8>) {
        if self.rng.chance(self.loss) {
            return;
        }
        let copies = if self.rng.chance(self.dup) { 2 } else { 1 };
        for _ in 0..copies {
            let ns = self.now_ms * 1_000_000;
            if !self.traffic.as_mut().is_some_and(|t| t.handle_access_frame(ns, &frame)) {
                self.emu.handle_access_frame(self.now_us(), &frame);
            }
        }
    }

    fn step(&mut self, ms: u64) {
        let now = self.now_us();
        self.emu.poll(now);
        let mut up = Vec::new();
        while let Some(f) = self.emu.poll_access_transmit() {
            let discovery = parse_l2(&f).is_ok_and(|l2| l2.ethertype == EtherType::PPPOE_DISCOVERY);
            if f[0..6] == [0xff; 6] && discovery {
                self.padis.push(self.now_ms);
            }
            if self.silent_ac || self.rng.chance(self.loss) {
                continue;
            }
            if self.rng.chance(self.dup) {
                up.push(f.clone());
            }
            up.push(f);
        }
        let mut down = Vec::new();
        if let Some(t) = self.traffic.as_mut() {
            let ns = self.now_ms * 1_000_000;
            if self.emu.is_holding() {
                t.sessions_up(ns);
            }
            t.poll(ns);
            while let Some(f) = t.next_upstream(ns, &self.emu) {
                up.push(f.to_vec());
            }
            while let Some(f) = t.next_downstream(ns, &self.emu) {
                down.push(f.to_vec());
            }
            while let Some(f) = t.poll_uplink_control() {
                down.push(f);
            }
        }
        self.through_dpvpn(ACC, up);
        if !down.is_empty() {
            self.through_dpvpn(UP, down);
        }
        {
            let mut dp = DataPlane { sessions: &mut self.sessions, routes: &mut self.routes };
            self.bras.poll(self.now_ms, &mut dp);
        }
        while let Some((port, f)) = self.bras.poll_transmit() {
            assert_eq!(port, ACC);
            self.deliver(f);
        }
        while self.bras.poll_log().is_some() {}
        while let Some(f) = self.emu.poll_tap_transmit() {
            self.to_kernel.push(f);
        }
        while let Some(e) = self.emu.poll_event() {
            self.events.push(e);
        }
        self.sessions.maintain();
        self.routes.maintain();
        self.now_ms += ms;
    }

    fn run_until(&mut self, limit_ms: u64, mut done: impl FnMut(&Lab) -> bool) -> bool {
        let end = self.now_ms + limit_ms;
        while self.now_ms < end {
            if done(self) {
                return true;
            }
            self.step(10);
        }
        done(self)
    }

    fn run_to_end(&mut self, limit_ms: u64) -> Report {
        assert!(self.run_until(limit_ms, |l| l.emu.is_done()), "not done: {:?}", self.emu.progress(self.now_us()));
        self.emu.report()
    }

    /// Nothing left in dpvpn: sessions, index, routes, pool, discovery ids.
    fn assert_empty(&mut self) {
        self.step(10);
        assert_eq!(self.bras.len(), 0, "session manager");
        assert_eq!(self.sessions.len(), 0, "data-plane sessions");
        assert_eq!(self.routes.len(), self.base_routes, "subscriber routes");
        assert_eq!(self.bras.pools().stats()[0].used, 0, "pool addresses");
        assert_eq!(self.bras.discovery().len(), 0, "PPPoE session ids");
    }
}

#[test]
fn sessions_dial_ping_hold_and_hang_up_leaving_nothing_behind() {
    let mut plan = Plan::new(20);
    plan.first = 101;
    plan.vlans = VlanPlan::Qinq { s_first: 7, s_last: 7, c_first: 10, c_last: 14 };
    plan.setup_rate = 100.0;
    plan.ping = Some(PingPlan { target: INET, count: Some(2) });
    plan.hold_ms = Some(3000);
    plan.echo = Some(controlplane::ppp::lcp::EchoConfig { interval_ms: 1000, failures: 3 });
    let mut lab = Lab::new(plan);
    let r = lab.run_to_end(60_000);
    assert!(r.success, "{}", r.summary());
    assert_eq!((r.sessions_requested, r.sessions_established, r.sessions_failed, r.retries), (20, 20, 0, 0));
    assert_eq!((r.pings.sent, r.pings.answered, r.pings.lost, r.pings.bad, r.pings.duplicates), (40, 40, 0, 0, 0));
    // 20 PADIs at 100/s: the last goes out about 190 ms after the first.
    assert_eq!(lab.padis.len(), 20);
    let spread = lab.padis[19] - lab.padis[0];
    assert!((170..=230).contains(&spread), "PADIs spread over {spread} ms");
    assert!(r.setup_time_s >= 0.17 && r.setup_time_s < 2.0, "{}", r.setup_time_s);
    assert!(r.teardown_time_s < 1.0, "{}", r.teardown_time_s);
    assert_eq!(r.setup_latency_ms.samples, 20);
    assert!(r.setup_latency_ms.max >= r.setup_latency_ms.p50);
    // Each session as the AC saw it: its number, MAC and VLANs; distinct addresses.
    let mut addrs: Vec<&str> = r.sessions.iter().map(|s| s.address.as_deref().unwrap()).collect();
    addrs.sort();
    addrs.dedup();
    assert_eq!(addrs.len(), 20);
    assert_eq!(r.sessions[0].user, "user101@lab");
    assert_eq!(r.sessions[19].user, "user120@lab");
    assert_eq!(r.sessions[6].mac, "02:4c:00:00:00:06");
    assert_eq!(r.sessions[6].vlans.as_deref(), Some("7:11"));
    // Each hang-up ended with the subscriber's PADT (after LCP Terminate).
    assert_eq!(lab.bras.stats().padt_received, 20, "{:?}", lab.bras.stats());
    assert_eq!(lab.bras.stats().sessions_ended, 20);
    lab.assert_empty();
    let json = serde_json::to_value(&r).unwrap();
    for key in
        ["sessions_requested", "sessions_established", "failure_reasons", "retries", "setup_time_s", "setup_rate_per_s"]
    {
        assert!(json.get(key).is_some(), "{key}");
    }
    assert!(json["setup_latency_ms"]["p99"].is_number());
    assert!(json["pings"]["lost"].is_number());
}

#[test]
fn a_wrong_password_is_retried_then_reported() {
    let mut plan = Plan::new(2);
    plan.password = "wrong".into();
    plan.retries = 1;
    plan.hold_ms = Some(0);
    let mut lab = Lab::new(plan);
    let r = lab.run_to_end(60_000);
    assert!(!r.success);
    assert_eq!((r.sessions_established, r.sessions_failed, r.retries), (0, 2, 2));
    assert_eq!(r.failure_reasons.len(), 1, "{:?}", r.failure_reasons);
    let (why, n) = r.failure_reasons.iter().next().unwrap();
    assert!(why.contains("authentication failed"), "{why}");
    assert_eq!(*n, 2);
    assert_eq!(r.attempt_failures.values().sum::<u64>(), 4);
    assert!(r.sessions.iter().all(|s| s.attempts == 2 && s.failure.is_some()));
    assert!(lab.run_until(10_000, |l| l.bras.is_empty()));
    lab.assert_empty();
}

#[test]
fn a_silent_ac_ends_the_setup_at_the_timeout() {
    let mut plan = Plan::new(3);
    plan.timeout_ms = 5000;
    plan.hold_ms = Some(0);
    let mut lab = Lab::new(plan);
    lab.silent_ac = true;
    let t0 = lab.now_ms;
    let r = lab.run_to_end(30_000);
    assert!((5000..6000).contains(&(lab.now_ms - t0)), "{} ms", lab.now_ms - t0);
    assert!(!r.success);
    assert_eq!(r.sessions_failed, 3);
    assert_eq!(r.failure_reasons.get("not up within --timeout"), Some(&3), "{:?}", r.failure_reasons);
    // PADIs were resent with back-off (RFC 2516 §7) meanwhile: 1 s, then 2 s.
    assert!(lab.padis.len() >= 6, "{:?}", lab.padis);
}

#[test]
fn sessions_the_ac_drops_are_counted_and_dialled_again() {
    let mut plan = Plan::new(2);
    plan.hold_ms = Some(10_000);
    let mut lab = Lab::new(plan);
    assert!(lab.run_until(10_000, |l| l.emu.progress(0).up == 2));
    assert!(lab.emu.address(0).is_some());
    {
        let mut dp = DataPlane { sessions: &mut lab.sessions, routes: &mut lab.routes };
        lab.bras.disconnect(lab.now_ms, &Which::User("user1@lab".into()), &mut dp).unwrap();
    }
    assert!(lab.run_until(3_000, |l| l.emu.progress(0).up == 1));
    // Back-off (1 s less up to 25 %), then up again.
    assert!(lab.run_until(5_000, |l| l.emu.progress(0).up == 2));
    let r = lab.run_to_end(30_000);
    assert!(!r.success, "a session dropped");
    assert_eq!((r.sessions_established, r.sessions_dropped, r.retries), (2, 1, 1));
    assert_eq!(r.drop_reasons.values().sum::<u64>(), 1);
    assert!(
        r.drop_reasons.keys().next().unwrap().contains("LCP") || r.drop_reasons.keys().next().unwrap().contains("PADT")
    );
    assert_eq!(r.sessions[0].attempts, 2);
    lab.assert_empty();
}

#[test]
fn sigint_during_the_setup_hangs_up_what_is_up_and_reports_the_rest() {
    let mut plan = Plan::new(50);
    plan.setup_rate = 10.0;
    let mut lab = Lab::new(plan);
    lab.run_until(1_000, |_| false);
    let now = lab.now_us();
    lab.emu.stop(now);
    let r = lab.run_to_end(15_000);
    assert!(r.interrupted && !r.success);
    // 10/s for a second: about 11 started, and those came up.
    assert!((9..=13).contains(&r.sessions_established), "{}", r.summary());
    let not_started = r.failure_reasons.get("not started").copied().unwrap_or(0);
    assert_eq!(not_started + r.sessions_established as u64, 50, "{:?}", r.failure_reasons);
    assert_eq!(r.sessions_failed as u64, not_started);
    lab.assert_empty();
}

#[test]
fn sessions_come_up_through_a_lossy_link_with_duplicates() {
    let mut plan = Plan::new(30);
    plan.vlans = VlanPlan::Dot1q { first: 100, last: 129 };
    plan.setup_rate = 50.0;
    plan.retries = 5;
    plan.hold_ms = Some(2000);
    plan.ping = Some(PingPlan { target: INET, count: None });
    let mut lab = Lab::new(plan);
    lab.loss = 0.1;
    lab.dup = 0.1;
    assert!(lab.run_until(120_000, |l| !matches!(l.emu.progress(0).stage, "setup")));
    lab.loss = 0.0;
    lab.dup = 0.0;
    let r = lab.run_to_end(60_000);
    assert_eq!(r.sessions_established, 30, "{}", r.summary());
    assert!(r.pings.sent > 0);
    assert_eq!(r.pings.bad, 0);
    assert!(lab.run_until(10_000, |l| l.bras.is_empty()));
    lab.assert_empty();
}

#[test]
fn the_tap_carries_the_kernels_ipv4_through_the_first_session() {
    let mut plan = Plan::new(2);
    plan.tap = true;
    let mut lab = Lab::new(plan);
    assert!(lab.run_until(10_000, |l| l.emu.progress(0).up == 2));
    let addr = lab.emu.address(0).unwrap();
    assert_eq!(lab.events, [Event::TapUp { address: addr }]);

    // The kernel asks for its gateway: proxy ARP answers with the gateway MAC.
    let mut arp = vec![0xff; 6];
    arp.extend_from_slice(&TAP_MAC);
    arp.extend_from_slice(&[0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1]);
    arp.extend_from_slice(&TAP_MAC);
    arp.extend_from_slice(&addr.octets());
    arp.extend_from_slice(&[0; 6]);
    arp.extend_from_slice(&TAP_GATEWAY.octets());
    lab.emu.handle_tap_frame(lab.now_us(), &arp);
    lab.step(10);
    let reply = lab.to_kernel.pop().expect("an ARP reply");
    assert_eq!(&reply[0..6], &TAP_MAC);
    assert_eq!(&reply[12..14], &[0x08, 0x06]);
    assert_eq!(&reply[20..22], &[0, 2], "ARP reply");
    assert_eq!(&reply[22..28], &TAP_GATEWAY_MAC);
    assert_eq!(&reply[28..32], &TAP_GATEWAY.octets());

    // The kernel's ping (its own identifier and data, not the load generator's) goes
    // out through session 0, and the answer comes back to the tap's MAC.
    let mut ping = icmp::echo_request(addr, INET, 0x7777, 1, 0);
    let n = ping.len();
    ping[n - 4..].copy_from_slice(b"kern");
    // The ICMP checksum again, over the changed data.
    ping[22..24].fill(0);
    let sum = dataplane::wire::checksum::checksum(&ping[20..]);
    ping[22..24].copy_from_slice(&sum.to_be_bytes());
    let mut f = TAP_GATEWAY_MAC.to_vec();
    f.extend_from_slice(&TAP_MAC);
    f.extend_from_slice(&[0x08, 0x00]);
    f.extend_from_slice(&ping);
    lab.emu.handle_tap_frame(lab.now_us(), &f);
    lab.step(10);
    lab.step(10);
    let back = lab.to_kernel.pop().expect("the echo reply on the tap");
    assert_eq!(&back[0..6], &TAP_MAC);
    assert_eq!(&back[6..12], &TAP_GATEWAY_MAC);
    assert_eq!(&back[26..30], &INET.octets(), "from the inet host");
    assert_eq!(&back[30..34], &addr.octets(), "to the session's address");
    assert_eq!(back[34], 0, "echo reply");
    assert_eq!(&back[back.len() - 4..], b"kern");
    assert_eq!(lab.emu.report().tap_to_session, 1);
    assert_eq!(lab.emu.report().tap_from_session, 1);
    // Only the first session is the tap's: IPv4 from the network to the second stays
    // out of the kernel.
    let other = lab.emu.address(1).unwrap();
    let mut f = UP_MAC.to_vec();
    f.extend_from_slice(&INET_MAC);
    f.extend_from_slice(&[0x08, 0x00]);
    f.extend_from_slice(&icmp::echo_request(INET, other, 0x7777, 2, 0));
    let ignored = lab.emu.report().frames_ignored;
    lab.through_dpvpn(UP, vec![f]);
    lab.step(10);
    assert_eq!(lab.emu.report().frames_ignored, ignored + 1, "it reached the second session");
    assert!(lab.to_kernel.is_empty());
    assert_eq!(lab.emu.report().tap_from_session, 1);

    let now = lab.now_us();
    lab.emu.stop(now);
    let r = lab.run_to_end(15_000);
    assert!(r.success && r.interrupted, "{}", r.summary());
    assert_eq!(lab.events.last(), Some(&Event::TapDown));
    lab.assert_empty();
}

#[test]
fn traffic_runs_both_ways_through_every_session_of_dpvpn() {
    let mut plan = Plan::new(20);
    plan.vlans = VlanPlan::Dot1q { first: 100, last: 104 };
    plan.setup_rate = 200.0;
    let t = TrafficPlan {
        rate_pps: 2000.0,
        duration_ms: 2000,
        size: 100,
        inet: INET,
        gateway: Ipv4Addr::from(UP_IP),
        gateway_mac: Some(UP_MAC),
        mode: Mode::Dpvpn,
    };
    plan.hold_ms = Some(Traffic::hold_ms(&t));
    let mut lab = Lab::new(plan);
    lab.traffic = Some(Traffic::new(t, 20, INET_MAC));
    let r = lab.run_to_end(60_000);
    assert!(r.success, "{}", r.summary());
    let tr = lab.traffic.as_ref().unwrap().report();
    for d in [&tr.upstream, &tr.downstream] {
        // 2000 pps for 2 s, round robin over the 20 sessions, through dpvpn's stages.
        assert!((3_900..=4_100).contains(&d.sent), "{d:?}");
        assert_eq!((d.received, d.lost, d.reordered, d.duplicates, d.misdelivered), (d.sent, 0, 0, 0, 0), "{d:?}");
        assert_eq!((d.flows, d.flows_with_loss), (20, 0));
        assert_eq!(d.latency.samples, d.sent);
    }
    // What the emulator saw of the traffic: nothing (the probes are the traffic's).
    assert_eq!(r.frames_ignored, 0, "{}", r.summary());
    lab.assert_empty();
}
