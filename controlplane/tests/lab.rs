//! Lab tests: dpvpn routes real kernel traffic between the namespaces `sub` and `inet`
//! of the standard lab (scripts/lab.sh), over net_af_packet on veth.
//!
//! They need root. They build the lab themselves and take it down afterwards; they
//! run one at a time (the lab has fixed names). Set DPVPN_SKIP_LAB=1 to skip them
//! explicitly on a machine without root (they say so; under CI=true they fail even so);
//! they fail, not pass, when they cannot run.

mod lab_util;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lab_util::*;

#[test]
fn one_worker_routes_ping_tcp_and_serves_the_kernel() {
    if skip() {
        return;
    }
    let _lab = Lab::up();
    let d = Dpvpn::start("0-1", "");

    ok(&ping("sub", "198.51.100.2", 5), "ping sub -> inet through dpvpn");
    ok(&ping("inet", "192.0.2.2", 3), "ping inet -> sub through dpvpn");
    assert!(iperf(3, 1) > 1e6, "iperf3 moved less than 1 Mbit/s");
    let fwd = d.total("forwarded");
    assert!(fwd > 1000, "forwarded counter {fwd}");

    // Neighbours were learnt on both sides.
    let n = String::from_utf8_lossy(&d.ctl(&["show", "neighbours"]).stdout).to_string();
    assert!(n.contains("192.0.2.2") && n.contains("198.51.100.2"), "neighbours:\n{n}");

    // Exception path: the kernel answers ping on dpvpn's addresses...
    ok(&ping("inet", "198.51.100.1", 3), "ping dpvpn's uplink address");
    ok(&ping("sub", "192.0.2.1", 3), "ping dpvpn's access address");
    // ... and TCP to a kernel listener on dpvpn's address (in the exception namespace
    // `dpvpn` of configs/lab.toml) works from both sides.
    let server = Command::new("ip")
        .args(["netns", "exec", "dpvpn", "python3", "-c", ECHO_SERVER])
        .stdout(Stdio::piped())
        .spawn()
        .expect("echo server");
    let mut server_out = BufReader::new(server.stdout.unwrap());
    let mut ready = String::new();
    server_out.read_line(&mut ready).unwrap();
    assert_eq!(ready.trim(), "listening");
    for from in ["inet", "sub"] {
        let script = "import socket; s=socket.create_connection(('198.51.100.1',7777),timeout=5); s.sendall(b'hello\\n'); print(s.recv(100).decode())";
        let out = ok(&ns(from, &["python3", "-c", script]), "TCP to the kernel listener");
        assert_eq!(out.trim(), "echo hello", "from {from}");
    }
    assert!(d.total("to_kernel") > 0 && d.total("from_kernel") > 0);

    // TTL 1: dpvpn answers time-exceeded from its access address.
    let o = ns("sub", &["ping", "-c", "1", "-t", "1", "-W", "2", "198.51.100.2"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("192.0.2.1") && out.to_lowercase().contains("time to live exceeded"), "{out}");
    assert!(d.total("drop_ttl_expired") >= 1);
    assert!(d.total("icmp_errors") >= 1);

    // No route: net unreachable from dpvpn.
    let o = ns("sub", &["ping", "-c", "1", "-W", "2", "203.0.113.9"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("192.0.2.1") && out.to_lowercase().contains("unreachable"), "{out}");
    assert!(d.total("drop_no_route") >= 1);

    // DF over the MTU: fragmentation needed (ping -M do -s 1600 on a 1500 path). The
    // access link carries the big frame (a veth drops frames over its peer's MTU).
    ok(&sh(&["ip", "link", "set", "dpvpn-acc", "mtu", "9000"]), "raise dpvpn-acc mtu");
    ok(&ns("sub", &["ip", "link", "set", "sub-acc", "mtu", "9000"]), "raise sub mtu");
    let o = ns("sub", &["ping", "-c", "1", "-W", "2", "-M", "do", "-s", "1600", "198.51.100.2"]);
    let out = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{out}");
    assert!(out.contains("mtu = 1500"), "sub learns the path MTU from dpvpn's ICMP: {out}");
    assert!(d.total("drop_fragmentation_needed") >= 1, "{out}");

    let log = d.stop();
    assert!(log.contains("forwarded"), "{log}");
}

#[test]
fn two_workers_on_two_cpus_share_the_traffic() {
    if skip() {
        return;
    }
    let _lab = Lab::up();
    // Control core and worker 1 share CPU 0, worker 2 has CPU 1.
    let d = Dpvpn::start("0@0,1@0,2@1", "idle_sleep_us = 50");
    ok(&ping("sub", "198.51.100.2", 3), "ping through dpvpn");
    assert!(iperf(4, 8) > 1e6);
    let rx = d.per_worker("rx_packets");
    assert_eq!(rx.len(), 2, "{rx:?}");
    assert!(rx.iter().all(|&n| n > 100), "both workers must receive traffic: {rx:?}");
    let fwd = d.per_worker("forwarded");
    assert!(fwd.iter().all(|&n| n > 100), "both workers must forward: {fwd:?}");
    d.stop();
}

#[test]
fn routes_change_at_runtime_under_traffic() {
    if skip() {
        return;
    }
    let _lab = Lab::up();
    ok(&ns("inet", &["ip", "addr", "add", "203.0.113.1/32", "dev", "lo"]), "inet extra address");
    let d = Dpvpn::start("0-1", "");
    assert!(!ping("sub", "203.0.113.1", 1).status.success(), "reachable before the route exists");

    let add = d.ctl(&["route", "add", "203.0.113.0/24", "via", "198.51.100.2"]);
    assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));
    ok(&ping("sub", "203.0.113.1", 3), "ping via the runtime route");
    let routes = String::from_utf8_lossy(&d.ctl(&["show", "routes"]).stdout).to_string();
    assert!(routes.contains("203.0.113.0/24") && routes.contains("198.51.100.2"), "{routes}");

    // Churn other routes while TCP runs through the FIB; the transfer must not break.
    let sock = d.socket.clone();
    let churn = std::thread::spawn(move || {
        let mut n = 0;
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(3) {
            for i in 0..20 {
                let p = format!("10.{i}.0.0/16");
                let a = Command::new(env!("CARGO_BIN_EXE_dpvpnctl"))
                    .args(["-s", sock.to_str().unwrap(), "route", "add", &p, "via", "198.51.100.2"])
                    .output()
                    .unwrap();
                assert!(a.status.success());
                let r = Command::new(env!("CARGO_BIN_EXE_dpvpnctl"))
                    .args(["-s", sock.to_str().unwrap(), "route", "del", &p])
                    .output()
                    .unwrap();
                assert!(r.status.success());
                n += 2;
            }
        }
        n
    });
    assert!(iperf(4, 2) > 1e6);
    let changes = churn.join().unwrap();
    eprintln!("{changes} route changes under traffic");
    assert!(changes > 40);

    // Errors are clear and change nothing.
    let bad = d.ctl(&["route", "add", "10.0.0.0/8", "via", "203.0.113.77"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not on any port"), "{}", String::from_utf8_lossy(&bad.stderr));
    let bad = d.ctl(&["route", "del", "192.0.2.0/24"]);
    assert_eq!(bad.status.code(), Some(1), "connected routes cannot be removed");

    let del = d.ctl(&["route", "del", "203.0.113.0/24"]);
    assert!(del.status.success());
    assert!(!ping("sub", "203.0.113.1", 1).status.success(), "reachable after the route was removed");
    d.stop();
}

/// Blast random, truncated and malformed frames at both ports; dpvpn counts and
/// drops them and keeps forwarding.
#[test]
fn garbage_frames_are_counted_and_forwarding_continues() {
    if skip() {
        return;
    }
    let _lab = Lab::up();
    let d = Dpvpn::start("0-1", "");
    ok(&ping("sub", "198.51.100.2", 2), "ping before");
    let ports = String::from_utf8_lossy(&d.ctl(&["--json", "show", "ports"]).stdout).to_string();
    let v: serde_json::Value = serde_json::from_str(&ports).unwrap();
    let mac_of = |name: &str| -> String {
        v["ports"].as_array().unwrap().iter().find(|p| p["name"] == name).unwrap()["mac"].as_str().unwrap().to_string()
    };
    let script = repo().join("controlplane/tests/garbage.py");
    for (nsname, dev, mac) in [("sub", "sub-acc", mac_of("access")), ("inet", "inet-up", mac_of("uplink"))] {
        ok(&ns(nsname, &["python3", script.to_str().unwrap(), dev, &mac, "20000"]), "garbage blaster");
    }
    std::thread::sleep(Duration::from_millis(500));
    let mut dd = d;
    assert!(dd.alive(), "dpvpn died:\n{}", dd.log_text());
    // (Frames under 14 bytes never get here: the kernel refuses to send them on AF_PACKET,
    // and drops truncated VLAN tags; the stage tests cover runts.)
    for c in [
        "drop_not_for_us",
        "drop_unknown_ethertype",
        "drop_vlan_unknown",
        "drop_arp_malformed",
        "drop_ip4_truncated",
        "drop_ip4_bad_version",
        "drop_ip4_bad_header_length",
        "drop_ip4_bad_checksum",
        "drop_ip4_bad_length",
    ] {
        assert!(dd.total(c) > 0, "counter {c} stayed 0");
    }
    ok(&ping("sub", "198.51.100.2", 3), "ping after the garbage");
    assert!(iperf(2, 1) > 1e6);
    dd.stop();
}

#[test]
fn metrics_endpoint_serves_prometheus_text() {
    if skip() {
        return;
    }
    let _lab = Lab::up();
    // Also: a configured MAC is what the port uses on the wire.
    let d = Dpvpn::start_with("0-1", "", |t| t.replace("name = \"access\"", "name = \"access\"\nmac = \"02:00:00:00:ac:01\""));
    ok(&ping("sub", "198.51.100.2", 2), "ping");
    let ports = String::from_utf8_lossy(&d.ctl(&["show", "ports"]).stdout).to_string();
    assert!(ports.contains("02:00:00:00:ac:01"), "{ports}");
    let neigh = ok(&ns("sub", &["ip", "neigh", "show", "192.0.2.1"]), "sub's neighbour table");
    assert!(neigh.contains("02:00:00:00:ac:01"), "sub resolved dpvpn to {neigh}");
    let text = std::fs::read_to_string(repo().join("configs/lab.toml")).unwrap();
    let addr = text
        .lines()
        .find(|l| l.trim_start().starts_with("metrics"))
        .and_then(|l| l.split('"').nth(1))
        .expect("metrics address in configs/lab.toml")
        .to_string();
    let mut s = TcpStream::connect(&addr).expect("connect to metrics");
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut body = String::new();
    s.read_to_string(&mut body).unwrap();
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    assert!(body.contains("dpvpn_port_rx_packets_total{port=\"access\"}"), "{body}");
    assert!(body.contains("dpvpn_worker_drops_total{"), "{body}");
    assert!(body.contains("dpvpn_fib_routes"), "{body}");
    d.stop();
}

/// `dpdk-telemetry.py` lists dpvpn's ports and counters, and `dpdk-dumpcap` captures on
/// a port. Capture needs dpvpn on hugepages (a secondary process cannot attach to
/// `--no-huge` memory): the test reserves them and gives them back.
#[test]
fn telemetry_and_packet_capture() {
    if skip() {
        return;
    }
    let _lab = Lab::up();
    let nr = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages";
    let before: u64 = std::fs::read_to_string(nr).unwrap().trim().parse().unwrap();
    struct Restore(&'static str, u64);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = std::fs::write(self.0, self.1.to_string());
        }
    }
    let _restore = Restore(nr, before);
    std::fs::write(nr, before.max(600).to_string()).unwrap();
    if !Path::new("/dev/hugepages").exists() || !sh(&["mountpoint", "-q", "/dev/hugepages"]).status.success() {
        std::fs::create_dir_all("/dev/hugepages").unwrap();
        ok(&sh(&["mount", "-t", "hugetlbfs", "none", "/dev/hugepages"]), "mount hugetlbfs");
    }
    let prefix = format!("dpvpn-lab-huge-{}", std::process::id());
    // DPDK leaves its hugepage files behind unless told to unlink them; without this the
    // reserved pages stay taken after the test and the pool cannot shrink back.
    struct Unlink(String);
    impl Drop for Unlink {
        fn drop(&mut self) {
            for e in std::fs::read_dir("/dev/hugepages").into_iter().flatten().flatten() {
                if e.file_name().to_string_lossy().starts_with(self.0.as_str()) {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }
    let _unlink = Unlink(prefix.clone());
    let p2 = prefix.clone();
    let d = Dpvpn::start_with("0-1", "", move |t| {
        t.replace("no_huge = true", "no_huge = false")
            .replace("file_prefix = \"dpvpn-lab\"", &format!("file_prefix = \"{p2}\""))
            .replace("127.0.0.1:9464", "127.0.0.1:0")
    });
    ok(&ping("sub", "198.51.100.2", 2), "ping");

    let mut t = Command::new("dpdk-telemetry.py")
        .args(["-f", &prefix])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("dpdk-telemetry.py");
    t.stdin.take().unwrap().write_all(b"/ethdev/list\n/ethdev/stats,0\n/dpvpn/stats\n").unwrap();
    let out = t.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(r#"{"/ethdev/list": [0, 1, 2]}"#), "{text}");
    assert!(text.contains(r#""/ethdev/stats": {"ipackets":"#), "{text}");
    let line = text.lines().find(|l| l.contains("/dpvpn/stats")).unwrap_or_else(|| panic!("no /dpvpn/stats: {text}"));
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    assert!(v["/dpvpn/stats"]["forwarded"].as_u64().unwrap() >= 4, "{line}");

    let cap = std::env::temp_dir().join(format!("dpvpn-cap-{}.pcapng", std::process::id()));
    let pinger = Command::new("ip")
        .args(["netns", "exec", "sub", "ping", "-c", "20", "-i", "0.2", "198.51.100.2"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let o = Command::new("timeout")
        .args(["20", "dpdk-dumpcap", &format!("--file-prefix={prefix}"), "-i", "net_af_packet0", "-c", "6", "-w"])
        .arg(&cap)
        .output()
        .unwrap();
    let _ = pinger.wait_with_output();
    assert!(o.status.success(), "dumpcap: {}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let r = ok(&sh(&["tshark", "-r", cap.to_str().unwrap()]), "tshark reads the capture");
    assert!(r.matches("192.0.2.2 → 198.51.100.2 ICMP").count() >= 1, "{r}");
    let _ = std::fs::remove_file(&cap);
    d.stop();
}
