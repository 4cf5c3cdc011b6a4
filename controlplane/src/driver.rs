//! The control-core driver: brings dpvpn up, runs the control loop, brings it down.
//!
//! Start-up: configuration and lcores are checked before the EAL starts (a bad config
//! never touches DPDK); then EAL, the packet pool, the ports (hot-plugged from their
//! device arguments, one RX and one TX queue per worker), the exception tap, the
//! tables, and the workers on their lcores.
//!
//! The control loop (on the EAL main lcore) polls the workers' punt rings (ARP,
//! packets waiting for a neighbour, PPPoE discovery and PPP control frames), runs the
//! neighbour timers and the PPPoE session manager ([`Bras`]), answers management
//! requests and reclaims memory after QSBR grace periods. It is the only writer of the
//! FIB, adjacency, neighbour and session tables. Frames it sends go through the
//! control-TX ring that worker 0 drains (see `dataplane::worker`).

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dataplane::adjacency::Adjacency;
use dataplane::counters::{Clock, Count, DropReason, WorkerCounters};
use dataplane::fib::FibConfig;
use dataplane::neighbour::NeighbourWriter;
use dataplane::rcu::Qsbr;
use dataplane::session::SessionWriter;
use dataplane::stages::{Punt, PuntLimits, PuntReason, PUNT_HEADER_LEN};
use dataplane::tables::{IfAddr, PortEntry, PortRole, Tables, MAX_ADDRS, MAX_PORTS};
use dataplane::worker::{self, WorkerConfig};
use dpdk_binding::{Eal, Mbuf, MbufBurst, Mempool, Port, PortConfig as DpdkPortConfig, Ring};

use crate::aaa::{LocalBackend, UsersTable};
use crate::arp::{Action, ArpConfig, ArpInfo, NeighbourManager};
use crate::pool::Pools;
use crate::pppoe::bras::{Bras, DataPlane, Which};
use crate::config::{Config, PortRole as CfgRole};
use crate::lcores::LcoreMap;
use crate::mgmt;
use crate::routes::{prefix_string, RouteError, RouteManager, RouteSource, RouteTarget};

/// What `dpvpn` was asked to do.
pub struct Options {
    pub lcores: String,
    pub config: PathBuf,
    pub eal_extra: Vec<String>,
}

/// A start-up failure, with the message for the operator.
#[derive(Debug)]
pub struct StartError(pub String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<E: std::fmt::Display>(context: impl std::fmt::Display) -> impl FnOnce(E) -> StartError {
    move |e| StartError(format!("{context}: {e}"))
}

/// The MAC dpvpn answers the kernel's ARP with on the tap: locally administered,
/// "dpvpn" in ASCII after the first byte.
pub const TAP_GATEWAY_MAC: [u8; 6] = [0x02, 0x64, 0x70, 0x76, 0x70, 0x6e];

/// Mbufs: 2 KiB of data room plus DPDK's default 128 bytes of headroom.
const MBUF_DATA_ROOM: u16 = 2048 + 128;

struct PortState {
    name: String,
    device: String,
    role: &'static str,
    port: Port,
    addresses: Vec<String>,
}

pub struct Runtime {
    eal: Option<Eal>,
    config: Config,
    lcores: LcoreMap,
    pool: Arc<Mempool>,
    ports: Vec<PortState>,
    tap: Option<Port>,
    tables: Arc<Tables>,
    routes: RouteManager,
    neighbours: NeighbourManager<Mbuf>,
    sessions: SessionWriter,
    qsbr: Arc<Qsbr>,
    counters: Vec<Arc<WorkerCounters>>,
    punt_rings: Vec<Arc<Ring>>,
    control_tx: Arc<Ring>,
    stop_workers: Arc<AtomicBool>,
    started: Instant,
    port_by_name: HashMap<String, u16>,
    control_stats: ControlStats,
    /// The PPPoE access concentrator, when `[pppoe]` is configured.
    bras: Option<Bras>,
}

#[derive(Default)]
struct ControlStats {
    punts: u64,
    arp_in: u64,
    arp_replies: u64,
    arp_requests: u64,
    resolved_sent: u64,
    held_dropped: u64,
    control_tx_full: u64,
    bad_punts: u64,
    pppoe_unhandled: u64,
}

fn to_ifaddr(a: &crate::config::InterfaceAddress) -> IfAddr {
    IfAddr { addr: u32::from(a.addr), len: a.len }
}

/// Add `qpairs=` to an af_packet device so its queue pairs match the workers, and a
/// receive ring of 4096 frames (`framecnt=`; the PMD's default 512 loses bursts, such as
/// a thousand subscribers hanging up at once, before any counter sees them).
fn device_args(device: &str, workers: usize) -> String {
    if !device.starts_with("net_af_packet") {
        return device.to_string();
    }
    let mut d = device.to_string();
    if !d.contains("qpairs=") {
        d.push_str(&format!(",qpairs={workers}"));
    }
    if !d.contains("framecnt=") {
        d.push_str(",framecnt=4096");
    }
    d
}

impl Runtime {
    /// Start everything. Configuration and lcores were checked by the caller.
    /// `users`: the local users file of `[pppoe]` (checked by the caller before the EAL).
    pub fn start(
        config: Config,
        lcores: LcoreMap,
        eal_extra: &[String],
        users: Option<UsersTable>,
    ) -> Result<Runtime, StartError> {
        let mut args = config.eal_args(&lcores);
        args.extend(eal_extra.iter().cloned());
        eprintln!("dpvpn: starting EAL: {}", args[1..].join(" "));
        let eal = Eal::init(&args).map_err(|e| {
            if e.errno == 0 {
                StartError("EAL initialisation failed (the EAL's messages above say why)".into())
            } else {
                StartError(format!("EAL initialisation failed: {e}"))
            }
        })?;
        if eal.main_lcore() != lcores.control {
            return Err(StartError(format!(
                "EAL chose lcore {} as main, expected the control lcore {}",
                eal.main_lcore(),
                lcores.control
            )));
        }
        let workers = eal.worker_lcores();
        if workers != lcores.workers {
            return Err(StartError(format!("EAL worker lcores {workers:?} differ from --lcores {:?}", lcores.workers)));
        }
        if let Err(e) = eal.pdump_init() {
            eprintln!("dpvpn: warning: packet capture (pdump) unavailable: {e}");
        }
        let n_workers = workers.len();
        let socket = eal.lcore_socket(lcores.control);
        let d = &config.dpdk;
        let pool = Arc::new(
            Mempool::pktmbuf(&eal, "dpvpn_pkt", d.mbufs, d.mbuf_cache, 0, MBUF_DATA_ROOM, socket)
                .map_err(err(format!("cannot create the packet pool ({} mbufs)", d.mbufs)))?,
        );

        let mut ports = Vec::new();
        let mut port_by_name = HashMap::new();
        let mut entries = [PortEntry::ABSENT; MAX_PORTS];
        let queues = n_workers as u16;
        for pc in &config.ports {
            let devargs = device_args(&pc.device, n_workers);
            let what = format!("port `{}` ({})", pc.name, pc.device);
            let port = Port::attach(&eal, &devargs).map_err(err(format!("{what}: cannot attach the device")))?;
            let id = port.id();
            if id as usize >= MAX_PORTS {
                return Err(StartError(format!("{what}: port id {id} is beyond dpvpn's {MAX_PORTS} ports")));
            }
            let conf = DpdkPortConfig {
                rx_queues: queues,
                tx_queues: queues,
                mtu: Some(pc.mtu),
                rx_desc: d.rx_desc,
                tx_desc: d.tx_desc,
            };
            port.configure(&conf, &pool).map_err(err(format!("{what}: cannot configure {queues} queue pair(s)")))?;
            if let Some(mac) = pc.mac {
                port.set_mac(mac).map_err(err(format!("{what}: cannot set MAC {}", fmt_mac(mac))))?;
            }
            port.start().map_err(err(format!("{what}: cannot start")))?;
            let _ = port.set_promiscuous(true);
            let mac = port.mac().map_err(err(format!("{what}: cannot read its MAC")))?;
            let mut e = PortEntry::ABSENT;
            e.present = true;
            e.role = match pc.role {
                CfgRole::Access => PortRole::Access,
                CfgRole::Uplink => PortRole::Uplink,
            };
            e.mac = mac;
            e.mtu = pc.mtu;
            for (i, a) in pc.addresses.iter().take(MAX_ADDRS).enumerate() {
                e.addrs[i] = to_ifaddr(a);
                e.n_addrs = i as u8 + 1;
            }
            entries[id as usize] = e;
            let link = port.link();
            eprintln!(
                "dpvpn: port {} ({}) id {id}: {} queue pair(s), mac {}, mtu {}, link {}; RSS: {}",
                pc.name,
                pc.device,
                queues,
                fmt_mac(mac),
                pc.mtu,
                if link.up { format!("up {} Mb/s", link.speed_mbps) } else { "down".into() },
                if pc.device.starts_with("net_af_packet") {
                    "kernel PACKET_FANOUT hash over the queue pairs"
                } else {
                    "device default"
                }
            );
            port_by_name.insert(pc.name.clone(), id);
            ports.push(PortState {
                name: pc.name.clone(),
                device: pc.device.clone(),
                role: match pc.role {
                    CfgRole::Access => "access",
                    CfgRole::Uplink => "uplink",
                },
                port,
                addresses: pc.addresses.iter().map(|a| format!("{}/{}", a.addr, a.len)).collect(),
            });
        }

        // Exception path.
        let mut tap = None;
        let all_addrs: Vec<_> = config.ports.iter().flat_map(|p| p.addresses.iter().cloned()).collect();
        if config.exception.enabled {
            let devargs = format!("net_tap_dpvpn,iface={}", config.exception.tap);
            let port = Port::attach(&eal, &devargs).map_err(err(format!("exception tap `{}`", config.exception.tap)))?;
            let conf = DpdkPortConfig { rx_queues: queues, tx_queues: queues, mtu: None, rx_desc: 512, tx_desc: 512 };
            port.configure(&conf, &pool).map_err(err("exception tap: cannot configure"))?;
            port.start().map_err(err("exception tap: cannot start"))?;
            let mac = port.mac().map_err(err("exception tap: cannot read its MAC"))?;
            let mtu = config.ports.iter().map(|p| p.mtu).min().unwrap_or(1500);
            let id = port.id();
            let mut e = PortEntry::ABSENT;
            e.present = true;
            e.role = PortRole::Tap;
            e.mac = mac;
            e.mtu = mtu;
            entries[id as usize] = e;
            crate::kernel::configure_tap(&config.exception.tap, config.exception.netns.as_deref(), &all_addrs, mtu)
                .map_err(err("exception tap"))?;
            eprintln!(
                "dpvpn: exception path: kernel interface {} (port id {id}){}",
                config.exception.tap,
                config.exception.netns.as_ref().map(|n| format!(" in network namespace {n}")).unwrap_or_default()
            );
            tap = Some(port);
        }

        // Tables.
        let qsbr = Qsbr::new(n_workers.max(1));
        let dp = &config.dataplane;
        let mut routes = RouteManager::new(FibConfig { max_tbl8_groups: dp.fib_max_tbl8_groups }, 1 << 16, qsbr.clone());
        let neighbours = NeighbourManager::new(
            NeighbourWriter::new(dp.neighbours_max as usize, qsbr.clone()),
            ArpConfig {
                timeout_ms: dp.arp_timeout_s as u64 * 1000,
                retry_ms: dp.arp_retry_ms as u64,
                ..ArpConfig::default()
            },
        );
        for (pc, ps) in config.ports.iter().zip(&ports) {
            let id = ps.port.id();
            for a in &pc.addresses {
                let ia = to_ifaddr(a);
                let net = ia.addr & ia.mask();
                if a.len < 32 {
                    routes
                        .add(net, a.len, Adjacency::Glean { port: id }, RouteSource::Connected)
                        .map_err(err(format!("port `{}`: connected route {}", pc.name, prefix_string(net, a.len))))?;
                }
                routes
                    .add(ia.addr, 32, Adjacency::Local, RouteSource::Local)
                    .map_err(err(format!("port `{}`: local route {}", pc.name, a.addr)))?;
            }
        }
        let mut tables_routes = Vec::new();
        for r in &config.routes {
            let adj = resolve_route_target(&config, &port_by_name, r.via, r.port.as_deref(), r.blackhole)
                .map_err(|e| StartError(format!("route {}/{}: {e}", r.prefix, r.len)))?;
            routes
                .add(u32::from(r.prefix), r.len, adj, RouteSource::Static)
                .map_err(err(format!("route {}/{}", r.prefix, r.len)))?;
            tables_routes.push(adj);
        }
        let mut sessions = SessionWriter::new(config.dataplane.max_sessions as usize, n_workers, qsbr.clone());
        let bench_neighbour = match &config.bench {
            Some(b) => publish_bench(b, &ports, &port_by_name, &mut routes, &mut sessions)?,
            None => None,
        };
        let router_id = config.ports.iter().flat_map(|p| p.addresses.first()).map(|a| u32::from(a.addr)).next().unwrap_or(0);
        let tables = Arc::new(Tables {
            ports: entries,
            fib: routes.fib_table(),
            adjacencies: routes.adjacency_table(),
            neighbours: neighbours.table(),
            sessions: sessions.table(),
            tap: tap.map(|p| p.id()),
            tap_gateway_mac: TAP_GATEWAY_MAC,
            router_id,
        });

        let bras = match (&config.pppoe, users) {
            (Some(pc), Some(users)) => {
                let pools = Pools::new(&config.pools).map_err(|e| StartError(format!("pools: {e}")))?;
                let access: Vec<(u16, [u8; 6], u16)> = ports
                    .iter()
                    .filter(|p| p.role == "access")
                    .map(|p| {
                        let e = tables.port(p.port.id());
                        (p.port.id(), e.mac, e.mtu)
                    })
                    .collect();
                let b = Bras::new(
                    pc.clone(),
                    Box::new(LocalBackend::new(users)),
                    pools,
                    &access,
                    config.dataplane.max_sessions as usize,
                    os_random_seed().map_err(err("cannot read random bytes for PPPoE cookies and CHAP"))?,
                )
                .map_err(|e| StartError(format!("pppoe: {e}")))?;
                eprintln!(
                    "dpvpn: PPPoE access concentrator {:?} on {} access port(s); auth {:?}; pools {}",
                    pc.ac_name,
                    access.len(),
                    pc.auth,
                    config.pools.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")
                );
                Some(b)
            }
            _ => None,
        };
        let mut rt = Runtime {
            config,
            lcores,
            pool,
            ports,
            tap,
            tables,
            routes,
            neighbours,
            sessions,
            qsbr,
            counters: Vec::new(),
            punt_rings: Vec::new(),
            control_tx: Arc::new(
                Ring::new(&eal, "dpvpn_ctl_tx", 4096, true, true, socket).map_err(err("cannot create the control-TX ring"))?,
            ),
            stop_workers: Arc::new(AtomicBool::new(false)),
            started: Instant::now(),
            port_by_name,
            control_stats: ControlStats::default(),
            bras,
            eal: Some(eal),
        };
        rt.launch_workers()?;
        // Resolve static next hops before traffic needs them.
        let now = rt.now_ms();
        for (port, nh, _) in rt.routes.next_hops() {
            if bench_neighbour == Some((port, nh)) {
                continue;
            }
            let actions = rt.neighbours.ensure(now, port, nh);
            rt.apply(actions);
        }
        Ok(rt)
    }

    fn launch_workers(&mut self) -> Result<(), StartError> {
        let eal = self.eal.as_ref().expect("EAL alive");
        let mut all_ports: [Option<Port>; MAX_PORTS] = [None; MAX_PORTS];
        let mut rx_ports = Vec::new();
        for p in &self.ports {
            all_ports[p.port.id() as usize] = Some(p.port);
            rx_ports.push(p.port);
        }
        if let Some(t) = self.tap {
            all_ports[t.id() as usize] = Some(t);
            rx_ports.push(t);
        }
        let tsc_hz = eal.tsc_hz();
        for (i, &lcore) in self.lcores.workers.iter().enumerate() {
            let punt = Arc::new(
                Ring::new(eal, &format!("dpvpn_punt{i}"), self.config.dataplane.punt_ring, true, true, eal.lcore_socket(lcore))
                    .map_err(err(format!("cannot create the punt ring of worker {i}")))?,
            );
            let counters = Arc::new(WorkerCounters::new());
            let wc = WorkerConfig {
                lcore,
                queue: i as u16,
                rx_ports: rx_ports.clone(),
                ports: all_ports,
                punt: punt.clone(),
                control_tx: if i == 0 { Some(self.control_tx.clone()) } else { None },
                counters: counters.clone(),
                tables: self.tables.clone(),
                reader: self.qsbr.register(),
                stop: self.stop_workers.clone(),
                tsc_hz,
                burst: self.config.dpdk.burst as usize,
                idle_sleep_us: self.config.dataplane.idle_sleep_us,
                limits: PuntLimits {
                    icmp_per_s: self.config.dataplane.icmp_rate,
                    discovery_per_s: self.config.dataplane.pppoe_discovery_rate,
                    ppp_control_per_s: self.config.dataplane.ppp_control_rate,
                },
            };
            eal.launch(lcore, move || worker::run(wc)).map_err(err(format!("cannot launch worker on lcore {lcore}")))?;
            self.punt_rings.push(punt);
            self.counters.push(counters);
        }
        eprintln!(
            "dpvpn: control core on lcore {}, {} worker(s) on lcores {:?}",
            self.lcores.control,
            self.lcores.workers.len(),
            self.lcores.workers
        );
        Ok(())
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Run until `stop` is set (SIGINT/SIGTERM).
    pub fn run(&mut self, stop: &AtomicBool, mgmt_rx: &Receiver<mgmt::MgmtRequest>) {
        let mut burst = MbufBurst::new();
        let mut last_timer = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let mut busy = false;
            for w in 0..self.punt_rings.len() {
                let ring = self.punt_rings[w].clone();
                while ring.dequeue_burst(&mut burst) > 0 {
                    busy = true;
                    let now = self.now_ms();
                    let mut frames = Vec::with_capacity(burst.len());
                    burst.drain_into(|m| frames.push(m));
                    for m in frames {
                        self.handle_punt(now, m);
                    }
                }
            }
            loop {
                match mgmt_rx.try_recv() {
                    Ok(req) => {
                        busy = true;
                        let resp = self.handle_mgmt(req.request);
                        let _ = req.reply.send(resp);
                    }
                    Err(TryRecvError::Empty) | Err(TryRecvError::Disconnected) => break,
                }
            }
            let now = self.now_ms();
            if self.bras.is_some() {
                busy |= self.poll_bras(now);
            }
            if now >= last_timer + 10 {
                last_timer = now;
                let actions = self.neighbours.on_timer(now);
                self.apply(actions);
                self.routes.maintain();
                self.sessions.maintain();
            }
            if !busy {
                std::thread::sleep(Duration::from_micros(200));
            }
        }
    }

    fn handle_punt(&mut self, now: u64, mut m: Mbuf) {
        self.control_stats.punts += 1;
        let Some(punt) = Punt::read(m.data()) else {
            self.control_stats.bad_punts += 1;
            return;
        };
        m.adj(PUNT_HEADER_LEN as u16);
        match punt.reason {
            PuntReason::Arp => {
                self.control_stats.arp_in += 1;
                let Some(info) = parse_arp(m.data()) else {
                    self.control_stats.bad_punts += 1;
                    return;
                };
                let entry = *self.tables.port(punt.port);
                let actions = self.neighbours.on_arp(
                    now,
                    punt.port,
                    info,
                    |ip| entry.owns(ip),
                    |ip| entry.addrs().iter().any(|a| a.contains(ip)),
                );
                self.apply(actions);
            }
            PuntReason::Resolve => {
                let actions = self.neighbours.resolve(now, punt.port, punt.arg, m);
                self.apply(actions);
            }
            PuntReason::PppoeDiscovery | PuntReason::PppControl => {
                let Some(bras) = self.bras.as_mut() else {
                    // PPPoE on an access port of a dpvpn without [pppoe].
                    self.control_stats.pppoe_unhandled += 1;
                    return;
                };
                let mut dp = DataPlane { sessions: &mut self.sessions, routes: &mut self.routes };
                if punt.reason == PuntReason::PppoeDiscovery {
                    bras.handle_discovery(now, punt.port, m.data(), &mut dp);
                } else {
                    bras.handle_ppp(now, punt.ppp(), m.data(), &mut dp);
                }
            }
        }
    }

    /// Timers and AAA answers of the session manager, and the frames it wants sent.
    /// True when it did anything.
    fn poll_bras(&mut self, now: u64) -> bool {
        let Some(bras) = self.bras.as_mut() else { return false };
        let mut dp = DataPlane { sessions: &mut self.sessions, routes: &mut self.routes };
        bras.poll(now, &mut dp);
        let mut busy = false;
        let mut frames = Vec::new();
        while let Some(f) = bras.poll_transmit() {
            frames.push(f);
        }
        while let Some(line) = bras.poll_log() {
            eprintln!("dpvpn: {line}");
        }
        for (port, f) in frames {
            busy = true;
            self.send_bytes(port, &f);
        }
        busy
    }

    /// A frame the control plane built, copied into an mbuf and sent on `port`.
    fn send_bytes(&mut self, port: u16, frame: &[u8]) {
        let Some(mut m) = self.pool.alloc() else {
            self.control_stats.control_tx_full += 1;
            return;
        };
        let Ok(len) = u16::try_from(frame.len()) else { return };
        match m.append(len) {
            Some(b) => b.copy_from_slice(frame),
            None => return,
        }
        self.send(port, m);
    }

    fn send(&mut self, port: u16, mut m: Mbuf) {
        m.set_port(port);
        if let Err(m) = self.control_tx.enqueue(m) {
            drop(m);
            self.control_stats.control_tx_full += 1;
        }
    }

    fn apply(&mut self, actions: Vec<Action<Mbuf>>) {
        for a in actions {
            match a {
                Action::Request { port, target, unicast } => {
                    let entry = *self.tables.port(port);
                    // Source the request from our address on the target's subnet.
                    let spa = entry.addrs().iter().find(|a| a.contains(target)).or(entry.addrs().first()).map(|a| a.addr);
                    let Some(spa) = spa else { continue };
                    let dst = unicast.unwrap_or([0xff; 6]);
                    if let Some(m) = self.arp_frame(1, dst, entry.mac, spa, [0; 6], target) {
                        self.control_stats.arp_requests += 1;
                        self.send(port, m);
                    }
                }
                Action::Reply { port, to_mac, to_ip, our_ip } => {
                    let mac = self.tables.port(port).mac;
                    if let Some(m) = self.arp_frame(2, to_mac, mac, our_ip, to_mac, to_ip) {
                        self.control_stats.arp_replies += 1;
                        self.send(port, m);
                    }
                }
                Action::Release { port, mac, packets } => {
                    for mut m in packets {
                        m.data_mut()[0..6].copy_from_slice(&mac);
                        self.control_stats.resolved_sent += 1;
                        self.send(port, m);
                    }
                }
                Action::Discard { packets } => {
                    self.control_stats.held_dropped += packets.len() as u64;
                }
                Action::MacChanged { port, ip, mac } => {
                    if let Some(i) = self.routes.next_hop_adjacency(port, ip) {
                        self.tables.adjacencies.set_mac(i, mac);
                    }
                }
            }
        }
    }

    /// An Ethernet + ARP frame (RFC 826) in a fresh mbuf.
    fn arp_frame(&self, op: u16, eth_dst: [u8; 6], sha: [u8; 6], spa: u32, tha: [u8; 6], tpa: u32) -> Option<Mbuf> {
        let mut m = self.pool.alloc()?;
        let b = m.append(42)?;
        b[0..6].copy_from_slice(&eth_dst);
        b[6..12].copy_from_slice(&sha);
        b[12..14].copy_from_slice(&0x0806u16.to_be_bytes());
        let repr = dataplane::wire::arp::ArpRepr::EthernetIpv4 {
            operation: dataplane::wire::arp::ArpOperation(op),
            source_hardware_addr: dataplane::wire::ethernet::EthernetAddress(sha),
            source_protocol_addr: Ipv4Addr::from(spa).into(),
            target_hardware_addr: dataplane::wire::ethernet::EthernetAddress(tha),
            target_protocol_addr: Ipv4Addr::from(tpa).into(),
        };
        repr.emit(&mut b[14..42]).ok()?;
        Some(m)
    }

    fn handle_mgmt(&mut self, req: mgmt::Request) -> mgmt::Response {
        use mgmt::{Request, Response};
        match req {
            Request::ShowPorts => Response::Ports { ports: self.port_views() },
            Request::ShowStats => Response::Stats { stats: self.stats_view() },
            Request::ShowRoutes => Response::Routes { routes: self.route_views() },
            Request::ShowNeighbours => Response::Neighbours { neighbours: self.neighbour_views() },
            Request::Metrics => Response::Metrics { ports: self.port_views(), stats: self.stats_view(), gauges: self.gauges() },
            Request::RouteAdd { prefix, via, port, blackhole } => match self.route_add(&prefix, via.as_deref(), port.as_deref(), blackhole) {
                Ok(()) => Response::Ok,
                Err(message) => Response::Error { message },
            },
            Request::RouteDel { prefix } => match self.route_del(&prefix) {
                Ok(()) => Response::Ok,
                Err(message) => Response::Error { message },
            },
            Request::ShowSessions => match &self.bras {
                Some(b) => {
                    let now = self.now_ms();
                    Response::Sessions { sessions: b.sessions(now).iter().map(|s| self.session_view(s)).collect() }
                }
                None => Response::Error { message: "PPPoE is not configured ([pppoe])".into() },
            },
            Request::ShowSession { which } => {
                let now = self.now_ms();
                match &self.bras {
                    Some(b) => match b.session(now, &parse_which(&which)) {
                        Some(s) => Response::Sessions { sessions: vec![self.session_view(&s)] },
                        None => Response::Error { message: format!("no session {which:?}") },
                    },
                    None => Response::Error { message: "PPPoE is not configured ([pppoe])".into() },
                }
            }
            Request::SessionDisconnect { which } => {
                let now = self.now_ms();
                let Some(b) = self.bras.as_mut() else {
                    return Response::Error { message: "PPPoE is not configured ([pppoe])".into() };
                };
                let mut dp = DataPlane { sessions: &mut self.sessions, routes: &mut self.routes };
                match b.disconnect(now, &parse_which(&which), &mut dp) {
                    Ok(index) => {
                        eprintln!("dpvpn: session {index} ({which}): disconnect requested by the operator");
                        Response::Ok
                    }
                    Err(message) => Response::Error { message },
                }
            }
        }
    }

    fn session_view(&self, s: &crate::pppoe::bras::SessionInfo) -> mgmt::SessionView {
        let t = self.sessions.table().traffic(s.index);
        mgmt::SessionView {
            index: s.index,
            username: s.username.clone(),
            mac: fmt_mac(s.key.mac),
            port: self.port_name(s.key.port),
            outer_vlan: s.key.outer_vlan,
            inner_vlan: s.key.inner_vlan,
            pppoe_session_id: s.key.session_id,
            state: s.phase.name().into(),
            address: s.address.map(|a| a.to_string()),
            auth: s.auth.map(|m| m.name().to_string()),
            uptime_s: s.uptime_ms / 1000,
            rx_packets: t.rx_packets,
            rx_bytes: t.rx_bytes,
            tx_packets: t.tx_packets,
            tx_bytes: t.tx_bytes,
        }
    }

    fn route_add(&mut self, prefix: &str, via: Option<&str>, port: Option<&str>, blackhole: bool) -> Result<(), String> {
        let (net, len) = crate::config::parse_prefix(prefix).map_err(|e| format!("prefix {prefix:?}: {e}"))?;
        let via = via
            .map(|v| v.parse::<Ipv4Addr>().map_err(|_| format!("next hop {v:?} is not an IPv4 address")))
            .transpose()?;
        let adj = resolve_route_target(&self.config, &self.port_by_name, via, port, blackhole)?;
        self.routes.add(u32::from(net), len, adj, RouteSource::Runtime).map_err(|e: RouteError| e.to_string())?;
        if let Adjacency::NextHop { port, next_hop } = adj {
            let now = self.now_ms();
            let actions = self.neighbours.ensure(now, port, next_hop);
            self.apply(actions);
            // Already known: publish its MAC to the (possibly new) adjacency.
            if let (Some(mac), Some(i)) = (self.neighbours.mac(port, next_hop), self.routes.next_hop_adjacency(port, next_hop)) {
                self.tables.adjacencies.set_mac(i, Some(mac));
            }
        }
        eprintln!("dpvpn: route add {prefix} ({adj:?})");
        Ok(())
    }

    fn route_del(&mut self, prefix: &str) -> Result<(), String> {
        let (net, len) = crate::config::parse_prefix(prefix).map_err(|e| format!("prefix {prefix:?}: {e}"))?;
        self.routes
            .remove(u32::from(net), len, &[RouteSource::Runtime, RouteSource::Static])
            .map_err(|e| e.to_string())?;
        eprintln!("dpvpn: route del {prefix}");
        Ok(())
    }

    fn port_name(&self, id: u16) -> String {
        if self.tap.map(|t| t.id()) == Some(id) {
            return self.config.exception.tap.clone();
        }
        self.ports.iter().find(|p| p.port.id() == id).map(|p| p.name.clone()).unwrap_or_else(|| format!("port{id}"))
    }

    fn port_views(&self) -> Vec<mgmt::PortView> {
        let mut v = Vec::new();
        let tap_state = self.tap.map(|t| PortState {
            name: self.config.exception.tap.clone(),
            device: "net_tap (exception path)".into(),
            role: "exception",
            port: t,
            addresses: vec![],
        });
        for p in self.ports.iter().chain(tap_state.iter()) {
            let stats = p.port.stats().unwrap_or_default();
            let info = p.port.info().ok();
            let mut link = p.port.link();
            if Some(p.port) == self.tap {
                // Moved into its namespace, the tap is out of reach of DPDK's ioctl: ask
                // the kernel there (management path only).
                if let Some(up) = crate::kernel::tap_is_up(&self.config.exception.tap, self.config.exception.netns.as_deref()) {
                    link.up = up;
                }
            }
            let entry = self.tables.port(p.port.id());
            v.push(mgmt::PortView {
                name: p.name.clone(),
                id: p.port.id(),
                device: p.device.clone(),
                driver: info.map(|i| i.driver).unwrap_or_default(),
                role: p.role.to_string(),
                mac: fmt_mac(entry.mac),
                mtu: entry.mtu,
                link_up: link.up,
                speed_mbps: link.speed_mbps,
                addresses: p.addresses.clone(),
                rx_packets: stats.ipackets,
                tx_packets: stats.opackets,
                rx_bytes: stats.ibytes,
                tx_bytes: stats.obytes,
                rx_missed: stats.imissed,
                rx_errors: stats.ierrors,
                tx_errors: stats.oerrors,
                rx_nombuf: stats.rx_nombuf,
            });
        }
        v
    }

    fn stats_view(&self) -> mgmt::StatsView {
        let counter_views = |c: &WorkerCounters| -> Vec<mgmt::CounterView> {
            let mut v: Vec<mgmt::CounterView> = Count::ALL
                .iter()
                .map(|&k| mgmt::CounterView { name: k.name().into(), kind: "count".into(), value: c.get(k) })
                .collect();
            v.extend(DropReason::ALL.iter().map(|&r| mgmt::CounterView {
                name: format!("drop_{}", r.name()),
                kind: "drop".into(),
                value: c.dropped(r),
            }));
            for &k in Clock::ALL {
                let (cycles, packets) = c.clock(k);
                v.push(mgmt::CounterView { name: format!("stage_{}_cycles", k.name()), kind: "stage_cycles".into(), value: cycles });
                v.push(mgmt::CounterView { name: format!("stage_{}_packets", k.name()), kind: "stage_packets".into(), value: packets });
            }
            v
        };
        let workers: Vec<mgmt::WorkerStatsView> = self
            .lcores
            .workers
            .iter()
            .zip(&self.counters)
            .map(|(&lcore, c)| mgmt::WorkerStatsView { lcore, counters: counter_views(c) })
            .collect();
        let mut totals: Vec<mgmt::CounterView> = Vec::new();
        for w in &workers {
            for (i, c) in w.counters.iter().enumerate() {
                if totals.len() <= i {
                    totals.push(c.clone());
                } else {
                    totals[i].value += c.value;
                }
            }
        }
        let cs = &self.control_stats;
        for (name, value) in [
            ("control_punts", cs.punts),
            ("control_arp_in", cs.arp_in),
            ("control_arp_replies", cs.arp_replies),
            ("control_arp_requests", cs.arp_requests),
            ("control_resolved_sent", cs.resolved_sent),
            ("control_held_dropped", cs.held_dropped + self.neighbours.overflow_drops),
            ("control_tx_ring_full", cs.control_tx_full),
            ("control_bad_punts", cs.bad_punts),
            ("control_pppoe_unhandled", cs.pppoe_unhandled),
        ] {
            totals.push(mgmt::CounterView { name: name.into(), kind: "count".into(), value });
        }
        if let Some(b) = &self.bras {
            let s = b.stats();
            for (name, value) in [
                ("pppoe_sessions_started", s.sessions_started),
                ("pppoe_sessions_up", s.sessions_up),
                ("pppoe_sessions_ended", s.sessions_ended),
                ("pppoe_auth_accepted", s.auth_accepted),
                ("pppoe_auth_rejected", s.auth_rejected),
                ("pppoe_pool_exhausted", s.pool_exhausted),
                ("pppoe_keepalive_failures", s.keepalive_failures),
                ("pppoe_padt_received", s.padt_received),
                ("pppoe_protocol_rejects_sent", s.protocol_rejects_sent),
                ("pppoe_frames_dropped", s.frames_dropped),
                ("pppoe_refused_busy", s.refused_busy),
                ("pppoe_table_errors", s.table_errors),
            ] {
                totals.push(mgmt::CounterView { name: name.into(), kind: "count".into(), value });
            }
            for (reason, value) in b.discovery().stats().drops.iter() {
                totals.push(mgmt::CounterView {
                    name: format!("pppoe_discovery_drop_{}", reason.name()),
                    kind: "count".into(),
                    value,
                });
            }
        }
        mgmt::StatsView { uptime_s: self.started.elapsed().as_secs(), workers, totals }
    }

    fn route_views(&self) -> Vec<mgmt::RouteView> {
        self.routes
            .routes()
            .map(|r| {
                let (action, via, port) = match r.target {
                    RouteTarget::Adjacency(Adjacency::Local) => ("local", None, None),
                    RouteTarget::Adjacency(Adjacency::Blackhole) => ("blackhole", None, None),
                    RouteTarget::Adjacency(Adjacency::Glean { port }) => ("forward", None, Some(self.port_name(port))),
                    RouteTarget::Adjacency(Adjacency::NextHop { port, next_hop }) => {
                        ("forward", Some(Ipv4Addr::from(next_hop).to_string()), Some(self.port_name(port)))
                    }
                    RouteTarget::Session(index) => ("session", Some(format!("session {index}")), None),
                };
                mgmt::RouteView {
                    prefix: prefix_string(r.prefix, r.len),
                    source: r.source.name().into(),
                    via,
                    port,
                    action: action.into(),
                }
            })
            .collect()
    }

    fn neighbour_views(&self) -> Vec<mgmt::NeighbourView> {
        self.neighbours
            .view(self.now_ms())
            .into_iter()
            .map(|n| mgmt::NeighbourView {
                address: Ipv4Addr::from(n.ip).to_string(),
                mac: n.mac.map(fmt_mac),
                port: self.port_name(n.port),
                state: n.state.name().into(),
                age_s: n.age_ms / 1000,
            })
            .collect()
    }

    fn gauges(&self) -> Vec<(String, u64)> {
        vec![
            ("fib_routes".into(), self.routes.len() as u64),
            ("fib_tbl8_groups".into(), self.routes.tbl8_in_use() as u64),
            ("adjacencies".into(), self.routes.adjacencies_in_use() as u64),
            ("neighbours".into(), self.neighbours.len() as u64),
            ("mbufs_available".into(), self.pool.avail_count() as u64),
            ("mbufs_in_use".into(), self.pool.in_use_count() as u64),
            ("workers".into(), self.counters.len() as u64),
            ("sessions_table".into(), self.sessions.len() as u64),
        ]
        .into_iter()
        .chain(self.bras.iter().flat_map(|b| {
            let mut g: Vec<(String, u64)> =
                b.phase_counts().iter().map(|(p, n)| (format!("pppoe_sessions_{}", p.name()), *n as u64)).collect();
            for p in b.pools().stats() {
                g.push((format!("pool_{}_used", p.name), p.used as u64));
                g.push((format!("pool_{}_free", p.name), p.free as u64));
            }
            g
        }))
        .collect()
    }

    /// Telemetry: `/dpvpn/stats` gives the summed worker counters.
    pub fn register_telemetry(&self) {
        use dpdk_binding::telemetry::{register, Data, Value};
        let counters = self.counters.clone();
        let r = register("/dpvpn/stats", "dpvpn worker counters summed over workers", move |_| {
            let mut v = Vec::new();
            for &k in Count::ALL {
                v.push((k.name().to_string(), Value::U64(counters.iter().map(|c| c.get(k)).sum())));
            }
            for &r in DropReason::ALL {
                v.push((format!("drop_{}", r.name()), Value::U64(counters.iter().map(|c| c.dropped(r)).sum())));
            }
            Data::Dict(v)
        });
        if let Err(e) = r {
            eprintln!("dpvpn: warning: telemetry command /dpvpn/stats not registered: {e}");
        }
    }

    /// Stop workers, print final counters, release ports and the EAL.
    pub fn shutdown(mut self) {
        if let Some(mut bras) = self.bras.take() {
            // Every subscriber learns it is over (PADT) while the workers still send.
            let now = self.now_ms();
            let n = bras.len();
            let mut dp = DataPlane { sessions: &mut self.sessions, routes: &mut self.routes };
            bras.shutdown(now, &mut dp);
            while let Some((port, f)) = bras.poll_transmit() {
                self.send_bytes(port, &f);
            }
            while let Some(line) = bras.poll_log() {
                eprintln!("dpvpn: {line}");
            }
            if n > 0 {
                eprintln!("dpvpn: {n} PPPoE session(s) ended with PADT");
                std::thread::sleep(Duration::from_millis(100));
            }
            self.bras = Some(bras);
        }
        self.stop_workers.store(true, Ordering::Relaxed);
        if let Some(eal) = &self.eal {
            for &l in &self.lcores.workers {
                eal.wait_lcore(l);
            }
        }
        // Drain what the workers left for us.
        let mut burst = MbufBurst::new();
        for r in &self.punt_rings {
            while r.dequeue_burst(&mut burst) > 0 {
                burst.clear();
            }
        }
        while self.control_tx.dequeue_burst(&mut burst) > 0 {
            burst.clear();
        }
        let actions = self.neighbours.flush(None);
        self.apply(actions);
        let stats = self.stats_view();
        eprintln!("dpvpn: final counters (uptime {} s):", stats.uptime_s);
        for c in stats.totals.iter().filter(|c| c.value > 0) {
            eprintln!("  {:<32} {}", c.name, c.value);
        }
        for p in self.port_views() {
            eprintln!(
                "  port {:<10} rx {} pkts / {} B, tx {} pkts / {} B, missed {}, errors {}/{}",
                p.name, p.rx_packets, p.rx_bytes, p.tx_packets, p.tx_bytes, p.rx_missed, p.rx_errors, p.tx_errors
            );
        }
        let addrs: Vec<_> = self.config.ports.iter().flat_map(|p| p.addresses.iter().cloned()).collect();
        for p in self.ports.iter().map(|p| p.port).chain(self.tap) {
            let _ = p.stop();
            let _ = p.close();
        }
        if self.tap.is_some() {
            crate::kernel::unconfigure_tap(self.config.exception.netns.as_deref(), &addrs);
        }
        // Everything that lives in DPDK memory goes before the EAL: held packets, rings,
        // the pool; then rte_eal_cleanup.
        let Runtime { eal, pool, control_tx, punt_rings, neighbours, .. } = self;
        drop(neighbours);
        drop(punt_rings);
        drop(control_tx);
        drop(pool);
        drop(eal);
    }
}

/// Turn a route's target into an adjacency: `via` must be on a port's connected prefix
/// (and on `port`, if that is given too).
/// `[bench]`: publish the synthetic sessions (IPCP open, routed, no control plane) and
/// routes, and pin the bench neighbour's MAC on its adjacency. Returns the neighbour's
/// (port id, address), which ARP must leave alone (nothing answers on a benchmark's sink).
fn publish_bench(
    b: &crate::config::BenchConfig,
    ports: &[PortState],
    port_by_name: &HashMap<String, u16>,
    routes: &mut RouteManager,
    sessions: &mut SessionWriter,
) -> Result<Option<(u16, u32)>, StartError> {
    use dataplane::wire::ethernet::{EtherType, EthernetAddress, L2Header, VlanTag};
    eprintln!("dpvpn: ******************************************************************");
    eprintln!("dpvpn: BENCHMARK MODE ([bench]): synthetic sessions and routes, NO control plane");
    eprintln!("dpvpn: for data-path benchmarks only; never use this configuration in service");
    eprintln!("dpvpn: ******************************************************************");
    if b.pppoe_sessions > 0 {
        let id = port_by_name[&b.access_port];
        let port_mac = ports.iter().find(|p| p.port.id() == id).map(|p| p.port.mac()).transpose()
            .map_err(err(format!("bench: cannot read the MAC of `{}`", b.access_port)))?
            .unwrap_or([0; 6]);
        for i in 0..b.pppoe_sessions {
            let vlan = b.session_vlan(i).map(|vid| VlanTag { tpid: EtherType::VLAN, pcp: 0, dei: false, vid });
            let l2 = L2Header {
                dst: EthernetAddress(port_mac),
                src: EthernetAddress(crate::config::BenchConfig::session_mac(i)),
                outer_vlan: vlan,
                inner_vlan: None,
                ethertype: EtherType::PPPOE_SESSION,
                header_len: 0,
            };
            let what = |e: &dyn std::fmt::Display| StartError(format!("bench: synthetic session {i}: {e}"));
            let params = crate::pppoe::template::session_params(id, port_mac, &l2, crate::config::BenchConfig::session_id(i), 1492, 0, 0)
                .map_err(|e| what(&e))?;
            let (index, _generation) = sessions.add(&params).map_err(|e| what(&e))?;
            let addr = u32::from(b.session_address(i));
            sessions.open_ipv4(index, addr, 0).map_err(|e| what(&e))?;
            routes.add_session(addr, 32, index).map_err(|e| what(&e))?;
        }
        eprintln!(
            "dpvpn: bench: {} PPPoE session(s) on `{}` (MACs 02:be:00:00:00:00.., ids 1.., {}), addresses {}..{}",
            b.pppoe_sessions,
            b.access_port,
            match b.first_vlan {
                Some(v) => format!("VLANs {v}..{}", v + b.vlans - 1),
                None => "untagged".into(),
            },
            b.session_address(0),
            b.session_address(b.pppoe_sessions - 1)
        );
    }
    let Some((port_name, ip, mac)) = &b.neighbour else { return Ok(None) };
    let port = port_by_name[port_name];
    let nh = u32::from(*ip);
    let adj = Adjacency::NextHop { port, next_hop: nh };
    for j in 0..b.routes {
        routes
            .add(u32::from(b.route_prefix(j)), 24, adj, RouteSource::Static)
            .map_err(err(format!("bench: route {}/24", b.route_prefix(j))))?;
    }
    if b.routes > 0 {
        eprintln!("dpvpn: bench: {} /24 route(s) {}/24.. via {ip}", b.routes, b.route_prefix(0));
    }
    if let Some(i) = routes.next_hop_adjacency(port, nh) {
        routes.adjacency_table().set_mac(i, Some(*mac));
        eprintln!("dpvpn: bench: neighbour {ip} on `{port_name}` pinned to {} (no ARP)", fmt_mac(*mac));
    }
    Ok(Some((port, nh)))
}

fn resolve_route_target(
    config: &Config,
    port_by_name: &HashMap<String, u16>,
    via: Option<Ipv4Addr>,
    port: Option<&str>,
    blackhole: bool,
) -> Result<Adjacency, String> {
    if blackhole {
        return Ok(Adjacency::Blackhole);
    }
    let named = match port {
        Some(name) => Some(*port_by_name.get(name).ok_or_else(|| format!("no port named `{name}`"))?),
        None => None,
    };
    match via {
        Some(nh) => {
            let on = config
                .ports
                .iter()
                .find(|p| p.addresses.iter().any(|a| to_ifaddr(a).contains(u32::from(nh))))
                .ok_or_else(|| format!("next hop {nh} is not on any port's connected prefix"))?;
            let id = port_by_name[&on.name];
            if let Some(n) = named {
                if n != id {
                    return Err(format!("next hop {nh} is on port `{}`, not `{}`", on.name, port.unwrap_or("")));
                }
            }
            Ok(Adjacency::NextHop { port: id, next_hop: u32::from(nh) })
        }
        None => match named {
            Some(id) => Ok(Adjacency::Glean { port: id }),
            None => Err("a route needs `via`, `port` or `blackhole`".into()),
        },
    }
}

/// A session named by its index (digits) or its user name.
fn parse_which(s: &str) -> Which {
    match s.parse::<u32>() {
        Ok(i) => Which::Index(i),
        Err(_) => Which::User(s.to_string()),
    }
}

/// 32 bytes from the kernel's RNG, for the PPPoE cookie key, magic numbers and CHAP
/// challenges.
fn os_random_seed() -> std::io::Result<[u8; 32]> {
    use std::io::Read;
    let mut seed = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut seed)?;
    Ok(seed)
}

fn parse_arp(frame: &[u8]) -> Option<ArpInfo> {
    use dataplane::wire::arp::{ArpOperation, ArpPacket};
    let l2 = dataplane::wire::ethernet::parse_l2(frame).ok()?;
    let arp = ArpPacket::new_checked(&frame[l2.header_len..]).ok()?;
    if !arp.is_ethernet_ipv4() {
        return None;
    }
    Some(ArpInfo {
        request: arp.operation() == ArpOperation::REQUEST,
        sender_mac: arp.source_hardware_addr().0,
        sender_ip: u32::from(arp.source_protocol_addr()),
        target_ip: u32::from(arp.target_protocol_addr()),
    })
}

pub fn fmt_mac(m: [u8; 6]) -> String {
    dataplane::wire::ethernet::EthernetAddress(m).to_string()
}
