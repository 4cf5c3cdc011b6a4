//! The DPDK side of `dpvpn-loadgen`: one lcore polls the access port (and the tap),
//! feeds the [`Emulator`] frames and the time, and sends what it queues.
//!
//! Start-up: the command line is checked before the EAL starts (exit status 2 and the
//! option named); then the EAL (one lcore, `--no-huge`, its own `--file-prefix`, so it
//! runs beside dpvpn), a packet pool, the access port (hot-plugged from `--access`, one
//! queue pair, promiscuous: the subscribers' MACs are ours, not the port's) and the tap.
//! A device that cannot be attached is named, exit status 2.
//!
//! With `--uplink` a second port plays the internet host ([`Traffic`]): test probes from
//! the access port go to it before the emulator sees the frame, everything from the
//! uplink port goes to it, and while it is sending its probes are written into mbufs
//! directly (no allocation per packet); the clock is read once more for them, in ns.
//! With `--baseline` there is no emulator: once both links are up the made-up sessions'
//! probes go out through a plain forwarder (see [`super::baseline`]), nothing else.
//!
//! The loop: RX bursts from the access port and the tap, the emulator's timers and
//! stages, TX bursts (what the NIC refuses is freed and counted; the machines
//! retransmit), tap configuration when the first session comes and goes, a progress line
//! on stderr every second. Only this loop reads the clock (`Instant`, as microseconds
//! since start). SIGINT/SIGTERM: hang up (a second one: bare PADTs). At the end: the
//! report, a summary line on stdout, exit status 0 when the plan was met, else 1.

use std::fs::File;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dataplane::wire::ethernet::EthernetAddress;
use dpdk_binding::{Eal, Mbuf, MbufBurst, Mempool, Port, PortConfig};

use super::baseline::Fabricated;
use super::emulator::{Emulator, Event};
use super::options::{eal_args, Args, Plan, Startup};
use super::report::Report;
use super::tap::TapKernel;
use super::traffic::{DirectionReport, Mode, Sessions, Traffic};

/// Mbufs: enough for the RX/TX rings of two ports and bursts in flight.
const MBUFS: u32 = 8191;
const MBUF_CACHE: u32 = 256;
/// 2 KiB of data room plus DPDK's default 128 bytes of headroom.
const MBUF_DATA_ROOM: u16 = 2048 + 128;
const RING_DESC: u16 = 1024;
/// Test probes sent per direction per loop at most, so that the receive side is polled
/// between (dpvpn's TX ring towards us holds 1024) even while the pacer catches up.
const PROBES_PER_LOOP: u64 = 256;
/// Idle loops sleep this long: the load generator shares the machine with dpvpn.
const IDLE_SLEEP: Duration = Duration::from_micros(50);
/// How long `--baseline` waits for both links (memif: the forwarder's servers).
const LINK_WAIT: Duration = Duration::from_secs(10);
/// The EAL does not take the device name `net_tap` twice; ours is this.
const TAP_DEVICE: &str = "net_tap_lg";

/// RX/TX ring frames of an af_packet access port (the PMD's default is 512): a
/// thousand subscribers hanging up at once get a thousand answers at once.
const AF_PACKET_FRAMES: u32 = 4096;

/// Exit statuses.
pub const EXIT_OK: u8 = 0;
pub const EXIT_FAILED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

fn startup_error(msg: impl std::fmt::Display) -> u8 {
    eprintln!("dpvpn-loadgen: {msg}");
    EXIT_USAGE
}

/// The ports in use; stopped and closed on drop, before the pool and the EAL go.
struct Ports(Vec<Port>);

impl Drop for Ports {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = p.stop();
            let _ = p.close();
        }
    }
}

/// A bigger ring for af_packet, unless the device arguments choose one.
fn access_device_args(devargs: &str) -> String {
    if devargs.starts_with("net_af_packet") && !devargs.contains("framecnt=") {
        format!("{devargs},framecnt={AF_PACKET_FRAMES}")
    } else {
        devargs.to_string()
    }
}

/// `what` names the device for the operator (the option and what was given).
fn open_port(eal: &Eal, pool: &Mempool, devargs: &str, what: &str) -> Result<Port, String> {
    let port = Port::attach(eal, devargs).map_err(|e| format!("{what}: cannot attach the device: {e}"))?;
    let conf = PortConfig { rx_queues: 1, tx_queues: 1, mtu: None, rx_desc: RING_DESC, tx_desc: RING_DESC };
    port.configure(&conf, pool).map_err(|e| format!("{what}: cannot configure: {e}"))?;
    port.start().map_err(|e| format!("{what}: cannot start: {e}"))?;
    Ok(port)
}

/// Everything `dpvpn-loadgen` does; returns its exit status.
pub fn main(args: Args) -> u8 {
    let (plan, startup) = match args.plan() {
        Ok(x) => x,
        Err(e) => return startup_error(e),
    };
    // Check the report can be written before anything starts.
    let report_file = match &startup.report {
        Some(path) => match File::create(path) {
            Ok(f) => Some(f),
            Err(e) => return startup_error(format!("--report `{}`: {e}", path.display())),
        },
        None => None,
    };
    let eal_args = eal_args(&startup);
    eprintln!("dpvpn-loadgen: starting EAL: {}", eal_args[1..].join(" "));
    let eal = match Eal::init(&eal_args) {
        Ok(e) => e,
        Err(e) if e.errno == 0 => return startup_error("EAL initialisation failed (the EAL's messages above say why)"),
        Err(e) => return startup_error(format!("EAL initialisation failed: {e}")),
    };
    let code = run(&eal, plan, &startup, report_file);
    drop(eal);
    code
}

fn run(eal: &Eal, plan: Plan, startup: &Startup, report_file: Option<File>) -> u8 {
    let socket = eal.lcore_socket(eal.main_lcore());
    let pool = match Mempool::pktmbuf(eal, "loadgen_pkt", MBUFS, MBUF_CACHE, 0, MBUF_DATA_ROOM, socket) {
        Ok(p) => p,
        Err(e) => return startup_error(format!("cannot create the packet pool ({MBUFS} mbufs): {e}")),
    };
    let code = run_ports(eal, &pool, plan, startup, report_file);
    drop(pool);
    code
}

fn run_ports(eal: &Eal, pool: &Mempool, plan: Plan, startup: &Startup, report_file: Option<File>) -> u8 {
    let mut ports = Ports(Vec::new());
    let access =
        match open_port(eal, pool, &access_device_args(&startup.access), &format!("--access `{}`", startup.access)) {
            Ok(p) => p,
            Err(e) => return startup_error(e),
        };
    ports.0.push(access);
    let _ = access.set_promiscuous(true);
    let access_mac = access.mac().map(|m| EthernetAddress(m).to_string()).unwrap_or_default();
    let mut emu = Emulator::new(plan.clone(), access.id());
    let mut uplink = None;
    let mut traffic = None;
    if let Some(devargs) = &startup.uplink {
        let port = match open_port(eal, pool, devargs, &format!("--uplink `{devargs}`")) {
            Ok(p) => p,
            Err(e) => return startup_error(e),
        };
        ports.0.push(port);
        let mac = match port.mac() {
            Ok(m) => m,
            Err(e) => return startup_error(format!("--uplink `{devargs}`: cannot read its MAC: {e}")),
        };
        eprintln!("dpvpn-loadgen: uplink {devargs} (port {}, mac {})", port.id(), EthernetAddress(mac));
        if let Some(t) = &plan.traffic {
            eprintln!(
                "dpvpn-loadgen: traffic {} pps per direction for {} s, {} byte datagrams, {} via {}",
                t.rate_pps,
                t.duration_ms as f64 / 1000.0,
                t.size,
                t.inet,
                t.gateway
            );
            traffic = Some(Traffic::new(t.clone(), plan.sessions, mac));
        }
        uplink = Some(port);
    }
    if let (Some(t), Some(u)) = (traffic.as_ref(), uplink) {
        if t.plan().mode == Mode::TestpmdBaseline {
            let Some(t) = traffic else { return EXIT_USAGE };
            return run_baseline(access, u, pool, &plan, t, startup, report_file);
        }
    }
    let mut tap = None;
    let mut tap_kernel = None;
    if let Some(name) = &startup.tap {
        let devargs = format!("{TAP_DEVICE},iface={name}");
        let port = match open_port(eal, pool, &devargs, &format!("--tap `{name}` ({devargs})")) {
            Ok(p) => p,
            Err(e) => return startup_error(e),
        };
        ports.0.push(port);
        match port.mac() {
            Ok(m) => emu.set_tap_mac(m),
            Err(e) => return startup_error(format!("--tap `{name}`: cannot read its MAC: {e}")),
        }
        tap = Some(port);
        tap_kernel = Some(TapKernel::new(name));
    }
    eprintln!(
        "dpvpn-loadgen: {} session(s) {}…{} on {} (port {}, mac {access_mac}), {} /s{}{}{}",
        plan.sessions,
        plan.username(plan.first),
        plan.username(plan.first + plan.sessions - 1),
        startup.access,
        access.id(),
        plan.setup_rate,
        plan.ping.map(|p| format!(", ping {}", p.target)).unwrap_or_default(),
        startup.tap.as_ref().map(|t| format!(", tap {t}")).unwrap_or_default(),
        plan.hold_ms.map(|h| format!(", hold {} s", h as f64 / 1000.0)).unwrap_or_else(|| ", until SIGINT".into()),
    );

    let stop = match stop_flag() {
        Ok(s) => s,
        Err(code) => return code,
    };

    let start = Instant::now();
    let now_ns = || start.elapsed().as_nanos() as u64;
    let mut rx = MbufBurst::new();
    let mut tx = MbufBurst::new();
    let mut next_progress = 1_000_000u64;
    let mut tap_refused = 0u64;
    loop {
        let ns = now_ns();
        let now = ns / 1000;
        let mut busy = false;
        if access.rx_burst(0, &mut rx) > 0 {
            busy = true;
            rx.drain_into(|m: Mbuf| {
                if !traffic.as_mut().is_some_and(|t| t.handle_access_frame(ns, m.data())) {
                    emu.handle_access_frame(now, m.data())
                }
            });
        }
        if let Some(u) = uplink {
            if u.rx_burst(0, &mut rx) > 0 {
                busy = true;
                match traffic.as_mut() {
                    Some(t) => rx.drain_into(|m: Mbuf| t.handle_uplink_frame(ns, m.data())),
                    None => rx.clear(),
                }
            }
        }
        if let Some(t) = tap {
            if t.rx_burst(0, &mut rx) > 0 {
                busy = true;
                rx.drain_into(|m: Mbuf| emu.handle_tap_frame(now, m.data()));
            }
        }
        if stop.swap(false, Ordering::Relaxed) {
            eprintln!("dpvpn-loadgen: signal: hanging up (again: PADT at once)");
            emu.stop(now);
        }
        emu.poll(now);
        while let Some(e) = emu.poll_event() {
            if let Some(k) = tap_kernel.as_mut() {
                match e {
                    Event::TapUp { address } => {
                        if let Err(e) = k.up(address) {
                            eprintln!("dpvpn-loadgen: tap: {e}");
                        }
                    }
                    Event::TapDown => k.down(),
                }
            }
        }
        let (sent, refused) = send(access, pool, &mut tx, || emu.poll_access_transmit());
        emu.note_tx_refused(refused);
        busy |= sent + refused > 0;
        if let (Some(t), Some(u)) = (traffic.as_mut(), uplink) {
            if emu.is_holding() {
                t.sessions_up(ns);
            }
            t.poll(ns);
            let (sent, _) = send(u, pool, &mut tx, || t.poll_uplink_control());
            busy |= sent > 0;
            if t.is_sending() {
                let ns = now_ns();
                busy |= send_probes(access, pool, &mut tx, t, &emu, ns, true) > 0;
                busy |= send_probes(u, pool, &mut tx, t, &emu, ns, false) > 0;
            }
        }
        if let Some(t) = tap {
            let (sent, refused) = send(t, pool, &mut tx, || emu.poll_tap_transmit());
            tap_refused += refused;
            busy |= sent > 0;
        }
        if now >= next_progress {
            match &traffic {
                Some(t) => eprintln!("{} | {}", emu.progress(now).line(), t.progress()),
                None => eprintln!("{}", emu.progress(now).line()),
            }
            next_progress += 1_000_000;
        }
        if emu.is_done() {
            break;
        }
        if !busy {
            std::thread::sleep(IDLE_SLEEP);
        }
    }
    // Let the last PADTs leave before the ports close.
    std::thread::sleep(Duration::from_millis(20));
    let mut report = emu.report();
    report.access_rx_missed = access.stats().map(|s| s.imissed).unwrap_or(0);
    report.tap_tx_refused = tap_refused;
    if let Some(t) = &traffic {
        let r = t.report();
        report.success &= clean(&r.upstream) && clean(&r.downstream);
        report.uplink_rx_missed = uplink.and_then(|u| u.stats().ok()).map(|s| s.imissed).unwrap_or(0);
        report.traffic = Some(r);
    }
    drop(tap_kernel);
    drop(ports);
    finish(&report, report_file, startup)
}

/// Set on SIGINT and SIGTERM.
fn stop_flag() -> Result<Arc<AtomicBool>, u8> {
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if let Err(e) = signal_hook::flag::register(sig, stop.clone()) {
            return Err(startup_error(format!("cannot handle signal {sig}: {e}")));
        }
    }
    Ok(stop)
}

/// Whether a direction's traffic met the plan: something sent, nothing lost or doubled.
fn clean(d: &DirectionReport) -> bool {
    d.sent > 0 && d.lost == 0 && d.duplicates == 0
}

/// The `--baseline` loop: no emulator and no PPPoE; the made-up sessions' probes
/// through a plain forwarder (testpmd in io mode), which returns each frame unchanged on
/// the other port. Sending starts once both memif links are up (their clients connect a
/// moment after the forwarder's servers appear) and runs the same warm-up, duration and
/// drain as through dpvpn. SIGINT/SIGTERM end it early (`interrupted`, not a success).
fn run_baseline(
    access: Port,
    uplink: Port,
    pool: &Mempool,
    plan: &Plan,
    mut t: Traffic,
    startup: &Startup,
    report_file: Option<File>,
) -> u8 {
    let stop = match stop_flag() {
        Ok(s) => s,
        Err(code) => return code,
    };
    let sessions = Fabricated::new(plan.sessions, plan.first, plan.vlans.clone());
    eprintln!(
        "dpvpn-loadgen: testpmd baseline: {} made-up session(s) on {} (port {}), no PPPoE; waiting for both links",
        plan.sessions,
        startup.access,
        access.id()
    );
    let start = Instant::now();
    let now_ns = || start.elapsed().as_nanos() as u64;
    while !(access.link().up && uplink.link().up) {
        if start.elapsed() >= LINK_WAIT || stop.load(Ordering::Relaxed) {
            let which = if access.link().up { "--uplink" } else { "--access" };
            return startup_error(format!(
                "{which}: the link is not up after {} s (is the forwarder running, with memif servers on those sockets?)",
                LINK_WAIT.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    eprintln!("dpvpn-loadgen: both links up after {:.3} s", start.elapsed().as_secs_f64());
    t.sessions_up(now_ns());
    let mut rx = MbufBurst::new();
    let mut tx = MbufBurst::new();
    let mut ignored = 0u64;
    let mut interrupted = false;
    let mut next_progress = now_ns() + 1_000_000_000;
    while !t.is_done() {
        let ns = now_ns();
        let mut busy = false;
        if access.rx_burst(0, &mut rx) > 0 {
            busy = true;
            rx.drain_into(|m: Mbuf| {
                if !t.handle_access_frame(ns, m.data()) {
                    ignored += 1;
                }
            });
        }
        if uplink.rx_burst(0, &mut rx) > 0 {
            busy = true;
            rx.drain_into(|m: Mbuf| t.handle_uplink_frame(ns, m.data()));
        }
        if stop.swap(false, Ordering::Relaxed) {
            eprintln!("dpvpn-loadgen: signal: stopping the baseline");
            interrupted = true;
            break;
        }
        t.poll(ns);
        let (sent, _) = send(uplink, pool, &mut tx, || t.poll_uplink_control());
        busy |= sent > 0;
        if t.is_sending() {
            let ns = now_ns();
            busy |= send_probes(access, pool, &mut tx, &mut t, &sessions, ns, true) > 0;
            busy |= send_probes(uplink, pool, &mut tx, &mut t, &sessions, ns, false) > 0;
        }
        if ns >= next_progress {
            eprintln!("dpvpn-loadgen: {:>7.1} s baseline | {}", ns as f64 / 1e9, t.progress());
            next_progress += 1_000_000_000;
        }
        if !busy {
            std::thread::sleep(IDLE_SLEEP);
        }
    }
    let mut report = sessions.report(|n| plan.username(n));
    report.frames_ignored = ignored + t.uplink_ignored;
    report.access_rx_missed = access.stats().map(|s| s.imissed).unwrap_or(0);
    report.uplink_rx_missed = uplink.stats().map(|s| s.imissed).unwrap_or(0);
    report.interrupted = interrupted;
    let r = t.report();
    report.success = !interrupted && clean(&r.upstream) && clean(&r.downstream);
    report.traffic = Some(r);
    finish(&report, report_file, startup)
}

/// Write the report, print the summary; the exit status.
fn finish(report: &Report, report_file: Option<File>, startup: &Startup) -> u8 {
    if let Some(mut f) = report_file {
        let written = serde_json::to_string_pretty(report)
            .map_err(|e| e.to_string())
            .and_then(|j| f.write_all(j.as_bytes()).and_then(|_| f.write_all(b"\n")).map_err(|e| e.to_string()));
        if let Err(e) = written {
            eprintln!(
                "dpvpn-loadgen: --report `{}`: {e}",
                startup.report.as_ref().map(|p| p.display().to_string()).unwrap_or_default()
            );
        }
    }
    println!("{}", report.summary());
    if report.success {
        EXIT_OK
    } else {
        EXIT_FAILED
    }
}

/// Test traffic due now (at most [`PROBES_PER_LOOP`]) into mbufs and out of `port`;
/// returns how many were sent.
fn send_probes(
    port: Port,
    pool: &Mempool,
    burst: &mut MbufBurst,
    t: &mut Traffic,
    sessions: &impl Sessions,
    now_ns: u64,
    upstream: bool,
) -> u64 {
    let mut sent = 0u64;
    let mut budget = PROBES_PER_LOOP;
    loop {
        let mut more = true;
        while !burst.is_full() {
            if budget == 0 {
                more = false;
                break;
            }
            budget -= 1;
            let f = if upstream { t.next_upstream(now_ns, sessions) } else { t.next_downstream(now_ns, sessions) };
            let Some(f) = f else {
                more = false;
                break;
            };
            let Some(mut m) = pool.alloc() else {
                let f = f.to_vec();
                t.refused(upstream, &f);
                continue;
            };
            match u16::try_from(f.len()).ok().and_then(|n| m.append(n)) {
                Some(b) => b.copy_from_slice(f),
                None => {
                    let f = f.to_vec();
                    t.refused(upstream, &f);
                    continue;
                }
            }
            let _ = burst.push(m);
        }
        if !burst.is_empty() {
            sent += port.tx_burst(0, burst) as u64;
            burst.drain_into(|m: Mbuf| t.refused(upstream, m.data()));
        }
        if !more {
            return sent;
        }
    }
}

/// Move frames from `next` into mbufs and out of `port`; returns (sent, refused).
fn send(port: Port, pool: &Mempool, burst: &mut MbufBurst, mut next: impl FnMut() -> Option<Vec<u8>>) -> (u64, u64) {
    let (mut sent, mut refused) = (0u64, 0u64);
    let mut more = true;
    while more {
        while !burst.is_full() {
            let Some(f) = next() else {
                more = false;
                break;
            };
            let Some(mut m) = pool.alloc() else {
                refused += 1;
                continue;
            };
            match u16::try_from(f.len()).ok().and_then(|n| m.append(n)) {
                Some(b) => b.copy_from_slice(&f),
                None => {
                    refused += 1;
                    continue;
                }
            }
            let _ = burst.push(m);
        }
        if burst.is_empty() {
            break;
        }
        sent += port.tx_burst(0, burst) as u64;
        if !burst.is_empty() {
            refused += burst.len() as u64;
            burst.clear();
        }
    }
    (sent, refused)
}
