//! Lab tests of the PPPoE access concentrator: dpvpn runs `configs/lab-pppoe.toml` on the
//! standard lab, and PPPoE clients in namespace `sub` dial it over `dpvpn-acc`:
//! - rp-pppoe's `pppoe-discovery` (an implementation we did not write) finds dpvpn;
//! - a PPPoE client written with scapy (tests/scapy_pppoe_client.py: scapy builds and
//!   parses every frame) dials in with CHAP or PAP, untagged or on a VLAN, gets an
//!   address and DNS, pings the host in `inet` through the session, has its LCP echo
//!   answered by a worker, and hangs up; a wrong password is refused; an operator's
//!   `dpvpnctl session disconnect` reaches it as Terminate-Request and PADT.
//!
//! Needs root (namespaces, AF_PACKET); the lab tests run one at a time.

mod lab_util;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lab_util::*;

fn client() -> String {
    repo().join("controlplane/tests/scapy_pppoe_client.py").to_str().unwrap().to_string()
}

/// Run the scapy client in `sub`; its JSON report.
fn dial(args: &[&str]) -> (bool, serde_json::Value) {
    let c = client();
    let mut v = vec!["/usr/bin/python3", c.as_str(), "sub-acc"];
    v.extend_from_slice(args);
    let o = ns("sub", &v);
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    let json = out.lines().rev().find(|l| l.starts_with('{')).unwrap_or_else(|| {
        panic!("no report from the scapy client:\n{out}\n{}", String::from_utf8_lossy(&o.stderr))
    });
    (o.status.success(), serde_json::from_str(json).unwrap())
}

fn step<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["steps"].as_array().unwrap().iter().find(|s| s["step"] == name).unwrap_or_else(|| panic!("no {name} in {report}"))
}

fn start() -> Dpvpn {
    Dpvpn::start_config("configs/lab-pppoe.toml", "0-1", "", |t| t)
}

#[test]
fn rp_pppoe_discovery_finds_the_access_concentrator() {
    if skip() {
        return;
    }
    let _lab = Lab::up();
    let d = start();
    if !sh(&["sh", "-c", "command -v pppoe-discovery"]).status.success() {
        panic!("pppoe-discovery (Debian package pppoe) is missing: scripts/deps.sh installs it");
    }
    let out = ok(&ns("sub", &["timeout", "10", "pppoe-discovery", "-I", "sub-acc", "-U"]), "pppoe-discovery");
    assert!(out.contains("Access-Concentrator: dpvpn-lab"), "{out}");
    assert!(out.contains("Got a cookie"), "{out}");
    // A PADO is all it asks for: no session exists.
    assert!(d.total("subscriber_sessions_started") == 0);
    drop(d);
}

#[test]
fn a_scapy_client_dials_in_with_chap_and_pap_passes_traffic_and_hangs_up() {
    if skip() {
        return;
    }
    let _lab = Lab::up();
    let d = start();
    // CHAP-MD5 (offered first), untagged.
    let (ok1, r) = dial(&["user7@lab", "lab", "--ping", "198.51.100.2"]);
    assert!(ok1, "{r}");
    assert_eq!(step(&r, "pado")["ac_name"], "dpvpn-lab");
    assert_eq!(step(&r, "pado")["host_uniq_echoed"], true);
    assert_eq!(step(&r, "lcp")["auth"], "chap");
    let addr = step(&r, "ipcp")["address"].as_str().unwrap().to_string();
    assert!(addr.starts_with("100.6") || addr.starts_with("100.7"), "{addr} from pool 100.64.0.0/12");
    assert_eq!(step(&r, "ipcp")["dns"], "198.51.100.53");
    assert_eq!(step(&r, "ping")["received"], 3);
    assert_eq!(step(&r, "echo")["replied"], true);
    assert_eq!(step(&r, "echo")["magic_ok"], true, "the worker answers with the session's magic number");
    assert_eq!(step(&r, "terminate")["padt_from_ac"], true);
    // On an 802.1Q VLAN.
    let (ok2, r) = dial(&["user8@lab", "lab", "--vlan", "100", "--ping", "198.51.100.2"]);
    assert!(ok2, "{r}");
    assert_eq!(step(&r, "ping")["received"], 3);
    assert!(d.total("lcp_echo_replies") >= 2);
    assert!(d.total("pppoe_decap") >= 6 && d.total("pppoe_encap") >= 6);
    drop(d);

    // PAP only.
    let d = Dpvpn::start_config("configs/lab-pppoe.toml", "0-1", "", |t| {
        let offered = "auth = [\"chap\", \"pap\", \"mschapv2\"]";
        assert!(t.contains(offered), "the lab profile's auth line changed");
        t.replace(offered, "auth = [\"pap\"]")
    });
    let (ok3, r) = dial(&["user9@lab", "lab", "--ping", "198.51.100.2"]);
    assert!(ok3, "{r}");
    assert_eq!(step(&r, "lcp")["auth"], "pap");
    assert_eq!(step(&r, "ping")["received"], 3);
    // Everything given back once the sessions ended.
    let t0 = Instant::now();
    while d.total("subscriber_sessions_ended") < 1 && t0.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(200));
    }
    let sessions = d.ctl(&["--json", "show", "sessions"]);
    let v: serde_json::Value = serde_json::from_slice(&sessions.stdout).unwrap();
    assert_eq!(v["sessions"].as_array().unwrap().len(), 0, "{v}");
    d.stop();
}

#[test]
fn a_wrong_password_is_refused_and_a_retry_works() {
    if skip() {
        return;
    }
    let _lab = Lab::up();
    let d = start();
    let (okw, r) = dial(&["user7@lab", "not-the-password"]);
    assert!(okw, "{r}");
    assert_eq!(r["refused"], true);
    assert_eq!(step(&r, "refused")["terminate"], true, "LCP Terminate-Request after the CHAP Failure");
    assert_eq!(step(&r, "refused")["padt"], true);
    assert_eq!(d.total("subscriber_auth_rejected"), 1);
    let (ok2, r) = dial(&["user7@lab", "lab", "--ping", "198.51.100.2"]);
    assert!(ok2, "{r}");
    assert_eq!(step(&r, "ping")["received"], 3);
    drop(d);
}

#[test]
fn an_operator_disconnect_reaches_the_subscriber_as_terminate_and_padt() {
    if skip() {
        return;
    }
    let _lab = Lab::up();
    let d = start();
    let c = client();
    let mut child = Command::new("ip")
        .args(["netns", "exec", "sub", "/usr/bin/python3", &c, "sub-acc", "user42@lab", "lab", "--wait-disconnect", "20"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let up = lines.next().expect("a line from the client").unwrap();
    assert!(up.starts_with("UP "), "{up}");
    let addr = up.split_whitespace().nth(1).unwrap().to_string();
    // dpvpnctl shows the session, by list and by user.
    let o = d.ctl(&["show", "sessions"]);
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(text.contains("user42@lab") && text.contains(&addr) && text.contains(" up "), "{text}");
    let o = d.ctl(&["--json", "show", "session", "user42@lab"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["sessions"][0]["address"], addr.as_str());
    assert_eq!(v["sessions"][0]["state"], "up");
    // Disconnect it.
    let o = d.ctl(&["session", "disconnect", "user42@lab"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report = lines.find_map(|l| l.ok().filter(|l| l.starts_with('{'))).expect("a report");
    let status = child.wait().unwrap();
    let r: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert!(status.success(), "{r}");
    assert_eq!(step(&r, "disconnected")["terminate_request"], true);
    assert_eq!(step(&r, "disconnected")["padt"], true);
    // Unknown sessions are errors that say so.
    let o = d.ctl(&["session", "disconnect", "nobody@lab"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no session"));
    let log = d.stop();
    assert!(log.contains("disconnect requested by the operator"), "{log}");
}

/// Random-MAC PADIs from a raw socket for `secs`, at about `rate` frames per second: 15
/// times the discovery punt limit, yet well under what the veth link itself carries, so
/// what is measured is dpvpn's control path, not a saturated wire.
const PADI_FLOOD: &str = r#"
import os, socket, struct, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("sub-acc", 0))
secs, rate = float(sys.argv[1]), float(sys.argv[2])
frames = []
for i in range(4096):
    mac = b"\x02\xf1" + os.urandom(4)
    tags = struct.pack("!HH", 0x0101, 0) + struct.pack("!HH", 0x0103, 4) + os.urandom(4)
    frames.append(b"\xff" * 6 + mac + b"\x88\x63" + struct.pack("!BBHH", 0x11, 0x09, 0, len(tags)) + tags)
n = 0
end = time.time() + secs
t0 = time.time()
while time.time() < end:
    for f in frames[:256]:
        s.send(f)
    n += 256
    frames.append(frames.pop(0))
    ahead = n / rate - (time.time() - t0)
    if ahead > 0:
        time.sleep(ahead)
print(n)
"#;

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status.lines().find(|l| l.starts_with("VmRSS:")).unwrap().split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_padi_flood_neither_starves_sessions_nor_grows_memory() {
    if skip() {
        return;
    }
    let _lab = Lab::up();
    let d = start();
    let pid = d.child.as_ref().unwrap().id();
    let c = client();
    let mut child = Command::new("ip")
        .args(["netns", "exec", "sub", "/usr/bin/python3", &c, "sub-acc", "user5@lab", "lab", "--echo-during", "8"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let up = lines.next().expect("a line from the client").unwrap();
    assert!(up.starts_with("UP "), "{up}");
    let before = rss_kib(pid);
    let flood = ns("sub", &["/usr/bin/python3", "-c", PADI_FLOOD, "5", "30000"]);
    let sent: u64 = String::from_utf8_lossy(&flood.stdout).trim().parse().expect("flood count");
    let after = rss_kib(pid);
    // Right after the flood (the client echoes for 3 s more): the session is still up.
    let s = d.ctl(&["--json", "show", "session", "user5@lab"]);
    let v: serde_json::Value = serde_json::from_slice(&s.stdout).unwrap();
    assert_eq!(v["sessions"][0]["state"], "up");
    let report = lines.find_map(|l| l.ok().filter(|l| l.starts_with('{'))).expect("a report");
    let _ = child.wait();
    let r: serde_json::Value = serde_json::from_str(&report).unwrap();
    let e = step(&r, "echo_during");
    let (echo_sent, answered) = (e["sent"].as_u64().unwrap(), e["answered"].as_u64().unwrap());
    eprintln!("PADI flood: {sent} frames in 5 s; echoes {answered}/{echo_sent} answered; RSS {before} -> {after} KiB");
    assert!(sent > 10_000, "the flood was too weak to test anything: {sent}");
    assert!(answered * 100 >= echo_sent * 95, "echoes answered during the flood: {answered}/{echo_sent}");
    assert!(after < before + 16 * 1024, "RSS grew from {before} to {after} KiB");
    // The flood was cut down before the control core, and the session is still there.
    let limited = d.total("drop_pppoe_discovery_rate_limited")
        + d.total("pppoe_discovery_drop_rate_limited_port")
        + d.total("pppoe_discovery_drop_rate_limited_mac");
    assert!(limited > 0, "no rate limit counted");
    drop(d);
}

/// dpvpn-loadgen, built beside dpvpn (scripts/test.sh builds the whole workspace).
fn loadgen() -> String {
    let p = std::path::Path::new(env!("CARGO_BIN_EXE_dpvpn")).with_file_name("dpvpn-loadgen");
    assert!(p.exists(), "{} is missing: build the workspace (cargo build --release --workspace)", p.display());
    p.to_str().unwrap().to_string()
}

/// GET the Prometheus text from dpvpn's metrics endpoint (configs/lab-pppoe.toml).
fn metrics() -> String {
    use std::io::{Read, Write};
    let mut c = std::net::TcpStream::connect("127.0.0.1:9464").expect("metrics endpoint");
    c.write_all(b"GET /metrics HTTP/1.1\r\nHost: dpvpn\r\n\r\n").unwrap();
    let mut body = String::new();
    c.read_to_string(&mut body).unwrap();
    body
}

fn gauge(text: &str, name: &str) -> u64 {
    text.lines()
        .find(|l| l.starts_with(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no {name} in the metrics"))
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn kernel_hosts_ping_and_run_iperf3_through_an_emulated_subscriber() {
    if skip() {
        return;
    }
    let _lab = Lab::up();
    let d = start();
    let lg = loadgen();
    let report = d.dir.join("tap.json");
    let mut child = Command::new("ip")
        .args(["netns", "exec", "sub", &lg, "--lcores", "1", "--access", "net_af_packet0,iface=sub-acc"])
        .args(["--sessions", "1", "--tap", "sub-ppp0", "--report", report.to_str().unwrap()])
        .args(["--file-prefix", &format!("dpvpn-lg-{}", std::process::id())])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The tap gets the session's address once IPCP is up.
    let t0 = Instant::now();
    let addr = loop {
        let o = ns("sub", &["ip", "-4", "-o", "addr", "show", "dev", "sub-ppp0"]);
        let text = String::from_utf8_lossy(&o.stdout).to_string();
        if let Some(a) = text.split_whitespace().skip_while(|w| *w != "inet").nth(1) {
            break a.split('/').next().unwrap().to_string();
        }
        assert!(t0.elapsed() < Duration::from_secs(20), "the tap never got an address");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(addr.starts_with("100."), "{addr}");
    // The kernel in `sub` pings and runs TCP through the PPPoE session.
    ok(&ping("sub", "198.51.100.2", 3), "ping through the session");
    let bps = iperf(3, 1);
    assert!(bps > 10e6, "iperf3 through the session: {bps} bit/s");
    let s = d.ctl(&["--json", "show", "sessions"]);
    let v: serde_json::Value = serde_json::from_slice(&s.stdout).unwrap();
    let sess = &v["sessions"][0];
    assert_eq!(sess["address"], addr.as_str());
    assert!(sess["rx_bytes"].as_u64().unwrap() > 1_000_000 && sess["tx_packets"].as_u64().unwrap() > 100, "{sess}");
    // SIGINT: the loadgen hangs up (LCP Terminate, PADT) and restores the namespace.
    sh(&["kill", "-INT", &child.id().to_string()]);
    let st = child.wait().unwrap();
    assert!(st.success(), "loadgen exit {st}");
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r["sessions_established"], 1, "{r}");
    let t0 = Instant::now();
    while d.total("subscriber_sessions_ended") < 1 && t0.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(d.total("subscriber_sessions_ended"), 1);
    d.stop();
}

#[test]
fn a_thousand_sessions_come_up_pass_traffic_and_leave_nothing_behind() {
    if skip() {
        return;
    }
    let _lab = Lab::up();
    let d = start();
    let lg = loadgen();
    let report = d.dir.join("1000.json");
    let o = Command::new("ip")
        .args(["netns", "exec", "sub", &lg, "--lcores", "1", "--access", "net_af_packet0,iface=sub-acc"])
        .args(["--sessions", "1000", "--setup-rate", "250/s", "--vlan", "100-199", "--ping", "198.51.100.2"])
        .args(["--ping-count", "1", "--hold", "2", "--report", report.to_str().unwrap()])
        .args(["--file-prefix", &format!("dpvpn-lg-{}", std::process::id())])
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap())
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)));
    eprintln!("loadgen: {}", String::from_utf8_lossy(&o.stdout).trim());
    assert!(o.status.success(), "loadgen exit {:?}: {r}", o.status);
    assert_eq!(r["sessions_established"], 1000, "{r}");
    // Everything back to empty once they hung up: sessions, the data plane's table, the
    // pool, the subscriber routes.
    let t0 = Instant::now();
    loop {
        let m = metrics();
        let gone = gauge(&m, "dpvpn_sessions_table") == 0 && gauge(&m, "dpvpn_pool_lab_used") == 0;
        if gone {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(20), "not empty:\n{}", m.lines().filter(|l| l.contains("pool_") || l.contains("sessions")).collect::<Vec<_>>().join("\n"));
        std::thread::sleep(Duration::from_millis(300));
    }
    let m = metrics();
    for phase in ["lcp", "auth", "ipcp", "up", "terminating"] {
        assert_eq!(gauge(&m, &format!("dpvpn_subscriber_sessions_{phase}")), 0, "{phase}");
    }
    assert_eq!(d.total("subscriber_sessions_up"), 1000);
    assert_eq!(d.total("subscriber_sessions_ended"), 1000);
    let routes = d.ctl(&["--json", "show", "routes"]);
    let v: serde_json::Value = serde_json::from_slice(&routes.stdout).unwrap();
    assert!(v["routes"].as_array().unwrap().iter().all(|r| r["source"] != "subscriber"), "subscriber routes left: {v}");
    d.stop();
}
