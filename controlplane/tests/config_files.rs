//! The configurations shipped in configs/ load, and the lab's turns into the EAL
//! arguments the lab needs.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use controlplane::config::{load, load_users, AuthMethod, InterfaceAddress, PortRole, PppProfile};
use controlplane::lcores::parse_lcores;

fn configs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs")
}

#[test]
fn every_shipped_configuration_loads() {
    let mut loaded = Vec::new();
    for entry in std::fs::read_dir(configs()).expect("configs/") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "toml") {
            load(&path).unwrap_or_else(|e| panic!("{e}"));
            loaded.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    loaded.sort();
    for name in ["bench-memif.toml", "example-full.toml", "lab-pppoe.toml", "lab.toml"] {
        assert!(loaded.iter().any(|l| l == name), "{name} not among {loaded:?}");
    }
}

#[test]
fn lab_configuration() {
    let c = load(&configs().join("lab.toml")).unwrap();
    let names: Vec<(&str, PortRole, &str)> = c
        .ports
        .iter()
        .map(|p| (p.name.as_str(), p.role, p.device.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("access", PortRole::Access, "net_af_packet0,iface=dpvpn-acc"),
            ("uplink", PortRole::Uplink, "net_af_packet1,iface=dpvpn-up"),
        ]
    );
    assert_eq!(
        c.ports[0].addresses,
        [InterfaceAddress {
            addr: Ipv4Addr::new(192, 0, 2, 1),
            len: 24
        }]
    );
    assert_eq!(
        c.ports[1].addresses,
        [InterfaceAddress {
            addr: Ipv4Addr::new(198, 51, 100, 1),
            len: 24
        }]
    );
    assert!(c.routes.is_empty(), "both lab subnets are connected");
    assert_eq!(c.exception.tap, "dpvpn0");
    assert_eq!(c.management.socket, Path::new("/run/dpvpn/dpvpn.sock"));
    assert_eq!(
        c.management.metrics,
        Some("127.0.0.1:9464".parse().unwrap())
    );
    assert!(c.dpdk.no_huge);
    assert_eq!(c.dpdk.memory_mb, 1024);
}

#[test]
fn lab_eal_arguments() {
    let c = load(&configs().join("lab.toml")).unwrap();
    let args = c.eal_args(&parse_lcores("0@0,1@1,2@1").unwrap());
    assert_eq!(
        args,
        [
            "dpvpn",
            "--lcores",
            "0@0,1@1,2@1",
            "--main-lcore",
            "0",
            "--file-prefix",
            "dpvpn-lab",
            "--no-huge",
            "-m",
            "1024",
            "--no-pci",
        ],
        "virtual devices are hot-plugged later, not given to the EAL"
    );
}

#[test]
fn example_full_names_its_pci_devices_to_the_eal() {
    let c = load(&configs().join("example-full.toml")).unwrap();
    let args = c.eal_args(&parse_lcores("2-5").unwrap());
    assert_eq!(
        args,
        [
            "dpvpn",
            "--lcores",
            "2-5",
            "--main-lcore",
            "2",
            "--file-prefix",
            "dpvpn",
            "-m",
            "1024",
            "-a",
            "0000:01:00.0",
            "-a",
            "0000:01:00.1",
        ]
    );
    assert_eq!(c.routes.len(), 3);
}

#[test]
fn lab_pppoe_configuration_and_its_users() {
    let c = load(&configs().join("lab-pppoe.toml")).unwrap();
    let p = c.pppoe.as_ref().expect("[pppoe]");
    assert_eq!(p.ppp, "lab");
    let lab = c.ppp_profile(&p.ppp).expect("[ppp.lab]");
    assert_eq!(lab.auth, [AuthMethod::ChapMd5, AuthMethod::Pap, AuthMethod::MsChapV2]);
    assert_eq!((lab.mru, lab.mss_clamp, lab.gateway), (1492, Some(1452), Ipv4Addr::new(100, 64, 0, 1)));
    assert_eq!((lab.echo_interval_s, lab.echo_failures, lab.echo_offload), (10, 3, true));
    assert_eq!(lab.dns, [Ipv4Addr::new(198, 51, 100, 53)]);
    assert_eq!(lab.pool, "lab");
    assert_eq!(c.pools.len(), 1);
    assert!(c.ports.iter().any(|p| p.role == PortRole::Access && p.addresses.is_empty()));
    let users = load_users(&c).unwrap().expect("a users table");
    assert!(users.lookup(b"user1000000@lab").is_some());
    assert!(users.lookup(b"user1000001@lab").is_none());
    // The full example names the same users file and pool.
    let full = load(&configs().join("example-full.toml")).unwrap();
    assert!(load_users(&full).unwrap().is_some());
}

#[test]
fn bench_memif_runs_pppoe_on_its_own_profile() {
    let c = load(&configs().join("bench-memif.toml")).unwrap();
    let p = c.pppoe.as_ref().expect("[pppoe]");
    assert_eq!((p.ppp.as_str(), p.padi_rate_per_port, p.max_pending), ("bench", 1_000_000, 262_144));
    let bench = c.ppp_profile("bench").expect("[ppp.bench]");
    // dpvpn-loadgen's subscribers answer CHAP-MD5: offering it first spares a Nak per session.
    assert_eq!(bench.auth, [AuthMethod::ChapMd5, AuthMethod::Pap]);
    assert_eq!((bench.echo_interval_s, bench.pool.as_str()), (30, "lab"));
    assert_eq!(c.ppp.len(), 1);
}

#[test]
fn example_full_documents_a_link_profile() {
    let c = load(&configs().join("example-full.toml")).unwrap();
    assert_eq!(c.pppoe.as_ref().unwrap().ppp, "default");
    let mut expected = PppProfile::new("default", "lab", Ipv4Addr::new(100, 64, 0, 1));
    expected.auth = vec![AuthMethod::MsChapV2, AuthMethod::ChapMd5, AuthMethod::Pap];
    expected.dns = vec![Ipv4Addr::new(198, 51, 100, 53), Ipv4Addr::new(198, 51, 100, 54)];
    assert_eq!(c.ppp, [expected]);
}
