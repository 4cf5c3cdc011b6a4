//! Running one case: dpvpn (one worker) and dpdk-testpmd (io forwarding) on the identical
//! devices — `net_pcap0,rx_pcap=FILE,infinite_rx=1` in, `net_null0,no-rx=1` out — on the
//! same worker lcore, one after the other in the same run, each for the same warm-up and
//! measuring window. Packet counts come from the egress port's statistics read at the start
//! and the end of the window (dpvpn: `dpvpnctl --json show ports` / `show stats`; testpmd:
//! `show port stats all` typed on its interactive prompt); the window is timed here.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use controlplane::config::BenchConfig;
use dataplane::wire::ethernet::EthernetAddress;
use controlplane::mgmt::Response;

use super::cases::{Case, INGRESS_MAC};

/// What the runner needs to know.
pub struct Setup {
    pub dpvpn: PathBuf,
    pub dpvpnctl: PathBuf,
    pub testpmd: PathBuf,
    pub work: PathBuf,
    /// Control lcore and worker lcore (the worker is testpmd's forwarding core too).
    pub control_lcore: u32,
    pub worker_lcore: u32,
    pub warmup: Duration,
    pub duration: Duration,
}

/// One side's figures over the window.
#[derive(Debug, Clone, Default)]
pub struct Side {
    pub seconds: f64,
    /// Frames the egress port sent in the window.
    pub tx_packets: u64,
    /// Frames the ingress port received in the window.
    pub rx_packets: u64,
    /// dpvpn only: the worker's loops and busy loops (a busy loop got at least one packet).
    pub loops: u64,
    pub busy_loops: u64,
    /// dpvpn only: packets the worker dropped, by reason (non-zero ones).
    pub drops: Vec<(String, u64)>,
    /// dpvpn only: the worker's sampled stage clocks over the window: (stage, TSC cycles,
    /// packets), in the worker's order.
    pub stages: Vec<(String, u64, u64)>,
}

impl Side {
    pub fn mpps(&self) -> f64 {
        self.tx_packets as f64 / self.seconds / 1e6
    }
    pub fn rx_mpps(&self) -> f64 {
        self.rx_packets as f64 / self.seconds / 1e6
    }
}

fn pcap_dev(pcap: &Path) -> String {
    format!("net_pcap0,rx_pcap={},infinite_rx=1", pcap.display())
}
const NULL_DEV: &str = "net_null0,no-rx=1";

/// dpvpn's configuration for a case.
pub fn dpvpn_config(case: Case, b: &BenchConfig, pcap: &Path, socket: &Path, mbufs: u32) -> String {
    let nb = b.neighbour.as_ref().map(|(_, ip, m)| format!("{ip} {}", EthernetAddress(*m))).unwrap_or_default();
    let mut s = format!(
        "# Written by dpvpn-bench for case {case}: generated, not for service.\n\
         [dpdk]\nno_huge = true\nmemory_mb = 1024\nfile_prefix = \"bench-dpvpn\"\nmbufs = {mbufs}\n\n\
         [exception]\nenabled = false\n\n[management]\nsocket = \"{sock}\"\n\n\
         [dataplane]\nidle_sleep_us = 0\nmax_sessions = {max}\n\n",
        case = case.name(),
        sock = socket.display(),
        max = b.pppoe_sessions.max(65536).next_power_of_two(),
    );
    let pcap = pcap_dev(pcap);
    match case {
        Case::Ipv4 => s.push_str(&format!(
            "[[port]]\nname = \"in\"\ndevice = \"{pcap}\"\nrole = \"uplink\"\naddresses = [\"192.0.2.1/24\"]\n\n\
             [[port]]\nname = \"out\"\ndevice = \"{NULL_DEV}\"\nrole = \"uplink\"\naddresses = [\"198.51.100.1/24\"]\n\n\
             [bench]\nroutes = {r}\nneighbour = \"{nb}\"\n",
            r = b.routes
        )),
        Case::PppoeUp => s.push_str(&format!(
            "[[port]]\nname = \"access\"\ndevice = \"{pcap}\"\nrole = \"access\"\n\n\
             [[port]]\nname = \"out\"\ndevice = \"{NULL_DEV}\"\nrole = \"uplink\"\naddresses = [\"198.51.100.1/24\"]\n\n\
             [[route]]\nprefix = \"0.0.0.0/0\"\nvia = \"198.51.100.2\"\n\n\
             [bench]\npppoe_sessions = {n}\naccess_port = \"access\"\nfirst_vlan = {v}\nvlans = {vs}\naddress_base = \"{base}\"\nneighbour = \"{nb}\"\n",
            n = b.pppoe_sessions,
            v = b.first_vlan.unwrap_or(1),
            vs = b.vlans,
            base = b.address_base,
        )),
        Case::PppoeDown => s.push_str(&format!(
            "[[port]]\nname = \"in\"\ndevice = \"{pcap}\"\nrole = \"uplink\"\naddresses = [\"192.0.2.1/24\"]\n\n\
             [[port]]\nname = \"access\"\ndevice = \"{NULL_DEV}\"\nrole = \"access\"\n\n\
             [bench]\npppoe_sessions = {n}\naccess_port = \"access\"\nfirst_vlan = {v}\nvlans = {vs}\naddress_base = \"{base}\"\n",
            n = b.pppoe_sessions,
            v = b.first_vlan.unwrap_or(1),
            vs = b.vlans,
            base = b.address_base,
        )),
    }
    s
}

/// Kills the child (by its own pid) if the run fails halfway.
struct Guard(Option<Child>);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(c) = self.0.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn ctl(s: &Setup, socket: &Path, what: &str) -> Result<Response, String> {
    let out = Command::new(&s.dpvpnctl)
        .arg("--socket")
        .arg(socket)
        .arg("--json")
        .args(["show", what])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", s.dpvpnctl.display()))?;
    if !out.status.success() {
        return Err(format!("dpvpnctl show {what}: {}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("dpvpnctl show {what}: {e}"))
}

struct Sample {
    at: Instant,
    rx: u64,
    tx: u64,
    loops: u64,
    busy: u64,
    drops: Vec<(String, u64)>,
    stages: Vec<(String, u64, u64)>,
}

fn dpvpn_sample(s: &Setup, socket: &Path, ingress: &str, egress: &str) -> Result<Sample, String> {
    let at = Instant::now();
    let Response::Ports { ports } = ctl(s, socket, "ports")? else { return Err("show ports: unexpected answer".into()) };
    let Response::Stats { stats } = ctl(s, socket, "stats")? else { return Err("show stats: unexpected answer".into()) };
    let port = |n: &str| ports.iter().find(|p| p.name == n).ok_or(format!("no port {n} in show ports"));
    let (rx, tx) = (port(ingress)?.rx_packets, port(egress)?.tx_packets);
    let w = stats.workers.first().ok_or("show stats: no worker")?;
    let get = |n: &str| w.counters.iter().find(|c| c.name == n).map_or(0, |c| c.value);
    let drops = w.counters.iter().filter(|c| c.kind == "drop").map(|c| (c.name.clone(), c.value)).collect();
    let stages = w
        .counters
        .iter()
        .filter(|c| c.kind == "stage_cycles")
        .filter_map(|c| {
            let stage = c.name.strip_prefix("stage_")?.strip_suffix("_cycles")?;
            Some((stage.to_string(), c.value, get(&format!("stage_{stage}_packets"))))
        })
        .collect();
    Ok(Sample { at, rx, tx, loops: get("loops"), busy: get("busy_loops"), drops, stages })
}

/// Run dpvpn on a case and measure it.
pub fn run_dpvpn(s: &Setup, case: Case, b: &BenchConfig, pcap: &Path, mbufs: u32) -> Result<Side, String> {
    let socket = s.work.join("dpvpn.sock");
    let _ = std::fs::remove_file(&socket);
    let cfg = s.work.join(format!("dpvpn-{}.toml", case.name()));
    std::fs::write(&cfg, dpvpn_config(case, b, pcap, &socket, mbufs)).map_err(|e| format!("{}: {e}", cfg.display()))?;
    let log = s.work.join(format!("dpvpn-{}.log", case.name()));
    let logf = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let child = Command::new(&s.dpvpn)
        .arg("--lcores")
        .arg(format!("{},{}", s.control_lcore, s.worker_lcore))
        .arg("--config")
        .arg(&cfg)
        .stdin(Stdio::null())
        .stdout(logf.try_clone().map_err(|e| e.to_string())?)
        .stderr(logf)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", s.dpvpn.display()))?;
    let mut guard = Guard(Some(child));
    let (ingress, egress) = match case {
        Case::Ipv4 => ("in", "out"),
        Case::PppoeUp => ("access", "out"),
        Case::PppoeDown => ("in", "access"),
    };
    // Up when the management socket answers (a million routes take a while).
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        if let Some(st) = guard.0.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
            return Err(format!("dpvpn exited ({st}) before answering; see {}", log.display()));
        }
        if let Some(Ok(Response::Ports { ports })) = socket.exists().then(|| ctl(s, &socket, "ports")) {
            let want = EthernetAddress(INGRESS_MAC).to_string();
            match ports.iter().find(|p| p.name == ingress) {
                Some(p) if p.mac.eq_ignore_ascii_case(&want) => break,
                Some(p) => return Err(format!("the ingress port's MAC is {}, the capture is addressed to {want}", p.mac)),
                None => return Err(format!("no port {ingress} in show ports")),
            }
        }
        if Instant::now() > deadline {
            return Err(format!("dpvpn did not answer within 300 s; see {}", log.display()));
        }
        sleep(Duration::from_millis(100));
    }
    sleep(s.warmup);
    let a = dpvpn_sample(s, &socket, ingress, egress)?;
    sleep(s.duration.saturating_sub(a.at.elapsed()));
    let z = dpvpn_sample(s, &socket, ingress, egress)?;
    let mut child = guard.0.take().expect("running");
    // SIGTERM: dpvpn stops cleanly and prints its final counters to the log.
    terminate(child.id());
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().ok().flatten().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        sleep(Duration::from_millis(50));
    }
    let _ = child.wait();
    let drops = z
        .drops
        .iter()
        .map(|(n, v)| (n.clone(), v - a.drops.iter().find(|(m, _)| m == n).map_or(0, |x| x.1)))
        .filter(|(_, v)| *v > 0)
        .collect();
    Ok(Side {
        seconds: (z.at - a.at).as_secs_f64(),
        tx_packets: z.tx - a.tx,
        rx_packets: z.rx - a.rx,
        loops: z.loops - a.loops,
        busy_loops: z.busy - a.busy,
        drops,
        stages: z
            .stages
            .iter()
            .map(|(n, c, k)| {
                let (c0, k0) = a.stages.iter().find(|x| &x.0 == n).map_or((0, 0), |x| (x.1, x.2));
                (n.clone(), c - c0, k - k0)
            })
            .collect(),
    })
}

/// SIGTERM to a child we started (by its pid), through kill(1).
fn terminate(pid: u32) {
    let _ = Command::new("kill").arg("-TERM").arg(pid.to_string()).status();
}

/// `TX-packets` and `RX-packets` of `port` in each "NIC statistics for port N" block.
fn testpmd_stats(text: &str, port: u16) -> Vec<(u64, u64)> {
    let head = format!("NIC statistics for port {port} ");
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        if !l.contains(&head) {
            continue;
        }
        let (mut rx, mut tx) = (None, None);
        for l in lines.by_ref() {
            let field = |name: &str| {
                l.split_once(name).and_then(|(_, r)| r.split_whitespace().next()).and_then(|v| v.parse::<u64>().ok())
            };
            if let Some(v) = field("RX-packets:") {
                rx = Some(v);
            }
            if let Some(v) = field("TX-packets:") {
                tx = Some(v);
                break;
            }
        }
        if let (Some(r), Some(t)) = (rx, tx) {
            out.push((r, t));
        }
    }
    out
}

/// Run dpdk-testpmd (io forwarding) on the same devices and lcores.
pub fn run_testpmd(s: &Setup, case: Case, pcap: &Path, mbufs: u32) -> Result<Side, String> {
    let log = s.work.join(format!("testpmd-{}.log", case.name()));
    // Line-buffered output (a pipe would be block-buffered), so its lines arrive as printed.
    let mut child = Command::new("stdbuf")
        .arg("-oL")
        .arg(&s.testpmd)
        .arg("-l")
        .arg(format!("{},{}", s.control_lcore, s.worker_lcore))
        .args(["--no-huge", "-m", "1024", "--no-pci", "--file-prefix", "bench-testpmd"])
        .arg("--vdev")
        .arg(pcap_dev(pcap))
        .arg("--vdev")
        .arg(NULL_DEV)
        .args(["--", "-i", "--forward-mode=io", "--nb-cores=1", "--rxq=1", "--txq=1"])
        .arg(format!("--total-num-mbufs={mbufs}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", s.testpmd.display()))?;
    let mut stdin = child.stdin.take().expect("piped");
    let stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let guard = Guard(Some(child));
    // Read its output on a thread; note when each stats block arrives.
    let (tx, rx) = std::sync::mpsc::channel::<(Instant, String)>();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for l in BufReader::new(stdout).lines() {
            let Ok(l) = l else { break };
            let _ = tx.send((Instant::now(), l.clone()));
            all.push_str(&l);
            all.push('\n');
        }
        all
    });
    let err_reader = std::thread::spawn(move || {
        let mut e = String::new();
        let _ = stderr.read_to_string(&mut e);
        e
    });
    let mut send = |cmd: &str| -> Result<Instant, String> {
        stdin.write_all(format!("{cmd}\n").as_bytes()).and_then(|_| stdin.flush()).map_err(|e| format!("testpmd: {e}"))?;
        Ok(Instant::now())
    };
    // Wait for the prompt's first output, then start forwarding.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut ready = false;
    while Instant::now() < deadline && !ready {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok((_, l)) => ready = l.trim() == "Done",
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(_) => break,
        }
    }
    if !ready {
        return Err(format!("testpmd did not bring its ports up within 60 s; see {}", log.display()));
    }
    send("start")?;
    sleep(s.warmup);
    let t0 = send("show port stats all")?;
    sleep(s.duration.saturating_sub(t0.elapsed()));
    let t1 = send("show port stats all")?;
    send("stop")?;
    send("quit")?;
    drop(stdin);
    let mut guard = guard;
    let mut child = guard.0.take().expect("running");
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
        sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    drop(rx);
    let out = reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    let _ = std::fs::write(&log, format!("{out}\n---- stderr ----\n{err}"));
    let ingress = testpmd_stats(&out, 0);
    let egress = testpmd_stats(&out, 1);
    if egress.len() < 2 || ingress.len() < 2 {
        return Err(format!("testpmd printed {} stats block(s) for port 1, not 2; see {}", egress.len(), log.display()));
    }
    Ok(Side {
        seconds: (t1 - t0).as_secs_f64(),
        tx_packets: egress[1].1 - egress[0].1,
        rx_packets: ingress[1].0 - ingress[0].0,
        ..Side::default()
    })
}

/// The TSC's rate, measured here against the monotonic clock over 200 ms.
#[cfg(target_arch = "x86_64")]
pub fn tsc_hz() -> f64 {
    let t0 = Instant::now();
    let c0 = unsafe { core::arch::x86_64::_rdtsc() };
    sleep(Duration::from_millis(200));
    let c1 = unsafe { core::arch::x86_64::_rdtsc() };
    (c1 - c0) as f64 / t0.elapsed().as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_testpmd_port_stats() {
        let t = "  ######################## NIC statistics for port 1  ########################\n  RX-packets: 0          RX-missed: 0          RX-bytes:  0\n  RX-errors: 0\n  RX-nombuf:  0         \n  TX-packets: 123        TX-errors: 0          TX-bytes:  456\n";
        assert_eq!(testpmd_stats(t, 1), vec![(0, 123)]);
        assert_eq!(testpmd_stats(t, 0), vec![]);
    }
}
