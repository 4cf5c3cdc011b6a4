//! `dpvpn-loadgen` with a bad command line: exit status 2 and a message that names what
//! is wrong, before anything of DPDK starts; and an access device that cannot be
//! attached is named (that case starts the EAL, so it needs root, as CI runs).

mod common;

use std::process::{Command, Output};

use common::{is_root, skip_or_fail};

fn loadgen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dpvpn-loadgen")).args(args).output().expect("run dpvpn-loadgen")
}

fn base() -> Vec<&'static str> {
    vec!["--lcores", "0", "--access", "net_af_packet0,iface=sub-acc", "--sessions", "10"]
}

fn fails_with(extra: &[&str], needle: &str) {
    let mut a = base();
    a.extend_from_slice(extra);
    let out = loadgen(&a);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{a:?}: {err}");
    assert!(err.contains(needle), "{a:?}: expected {needle:?} in: {err}");
    assert!(!err.contains("starting EAL"), "{a:?}: the EAL started: {err}");
}

#[test]
fn bad_arguments_are_named_and_exit_2() {
    fails_with(&["--vlan", "5-2"], "--vlan `5-2`: the range 5-2 runs backwards");
    fails_with(&["--vlan", "4095"], "--vlan `4095`");
    fails_with(&["--qinq", "7-10"], "--qinq `7-10`");
    fails_with(&["--ping", "nowhere"], "--ping `nowhere`: not an IPv4 address");
    fails_with(&["--auth", "eap"], "--auth `eap`: unknown method `eap`");
    fails_with(&["--setup-rate", "0/s"], "--setup-rate `0/s`");
    fails_with(&["--hold=-1"], "--hold `-1`");
    fails_with(&["--tap", "a-name-much-too-long"], "--tap `a-name-much-too-long`");
    fails_with(&["--report", "/nonexistent/dir/x.json"], "--report `/nonexistent/dir/x.json`");
    fails_with(&["--vlan", "1-2", "--qinq", "1:1-2"], "--vlan");
    fails_with(&["--ping-count", "3"], "--ping");
    fails_with(&["--sessions", "many"], "--sessions");
}

#[test]
fn missing_and_malformed_required_options_exit_2() {
    let out = loadgen(&[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--lcores") && err.contains("--access") && err.contains("--sessions"), "{err}");
    let out = loadgen(&["--lcores", "0-1", "--access", "net_null0", "--sessions", "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--lcores `0-1`: the load generator runs on one lcore"));
    let out = loadgen(&["--lcores", "0", "--access", "net_null0", "--sessions", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--sessions `0`"));
    let out = loadgen(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("--setup-rate"));
}

#[test]
fn an_access_device_that_cannot_be_attached_is_named() {
    if !is_root() {
        return skip_or_fail("the EAL needs root");
    }
    let prefix = format!("loadgen-cli-{}", std::process::id());
    let out = loadgen(&[
        "--lcores",
        "0",
        "--access",
        "net_af_packet9,iface=lg-no-such-if",
        "--sessions",
        "1",
        "--file-prefix",
        &prefix,
        "--",
        "--log-level",
        "warning",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--access `net_af_packet9,iface=lg-no-such-if`: cannot attach the device"), "{err}");
    let _ = std::fs::remove_dir_all(format!("/var/run/dpdk/{prefix}"));
}
