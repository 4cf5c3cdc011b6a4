//! `dpvpn-loadgen`'s traffic options on the command line: a bad value is named and the
//! exit status is 2 before DPDK starts; `--rate` needs `--uplink` (the inet host's port).

use std::process::Command;

fn run(extra: &[&str]) -> (Option<i32>, String) {
    let mut a = vec!["--lcores", "0", "--access", "net_memif0", "--sessions", "2", "--uplink", "net_memif1"];
    a.extend_from_slice(extra);
    let out = Command::new(env!("CARGO_BIN_EXE_dpvpn-loadgen")).args(&a).output().expect("run dpvpn-loadgen");
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn bad_traffic_options_are_named_and_exit_2() {
    for (extra, needle) in [
        (&["--rate", "lots"][..], "--rate `lots`"),
        (&["--rate", "0"], "--rate `0`"),
        (&["--rate", "1000", "--size", "51"], "--size `51`"),
        (&["--rate", "1000", "--size", "1493"], "--size `1493`"),
        (&["--rate", "1000", "--duration", "0"], "--duration `0`"),
        (&["--rate", "1000", "--inet", "198.51.100"], "--inet `198.51.100`"),
        (&["--rate", "1000", "--gateway", "255.255.255.255"], "--gateway `255.255.255.255`"),
        (&["--rate", "1000", "--gateway-mac", "02:00:00:00:0b"], "--gateway-mac `02:00:00:00:0b`"),
    ] {
        let (code, err) = run(extra);
        assert_eq!(code, Some(2), "{extra:?}: {err}");
        assert!(err.contains(needle), "{extra:?}: expected {needle:?} in {err}");
        assert!(!err.contains("starting EAL"), "{extra:?}: the EAL started: {err}");
    }
}

#[test]
fn rate_without_an_uplink_is_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_dpvpn-loadgen"))
        .args(["--lcores", "0", "--access", "net_memif0", "--sessions", "2", "--rate", "1000"])
        .output()
        .expect("run dpvpn-loadgen");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--uplink"));
}
