//! `scripts/loadgen-testpmd.sh`, the testpmd baseline, end to end: dpdk-testpmd in io
//! forwarding mode between two memif servers, `dpvpn-loadgen --baseline` with 20 made-up
//! sessions at 1000 pps per direction for 1 s; the report must say which mode ran, show
//! every probe back in both directions and latency percentiles. Needs root (the EAL) and
//! dpdk-testpmd; without either it says so and passes (fails under CI=true), otherwise a
//! broken baseline fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{is_root, skip_or_fail};

fn testpmd() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).map(|d| d.join("dpdk-testpmd")).find(|p| p.is_file())
}

#[test]
fn the_testpmd_baseline_returns_every_probe_and_reports_its_latency() {
    if !is_root() {
        return skip_or_fail("the EAL needs root");
    }
    if testpmd().is_none() {
        return skip_or_fail("dpdk-testpmd is not installed (Debian: apt-get install dpdk)");
    }
    // The script takes the target dir and profile of the loadgen under test.
    let bin = Path::new(env!("CARGO_BIN_EXE_dpvpn-loadgen"));
    let profile_dir = bin.parent().expect("the binary's directory");
    let profile = profile_dir.file_name().and_then(|p| p.to_str()).expect("a profile name");
    let target = profile_dir.parent().expect("the target directory");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/loadgen-testpmd.sh");
    let report = std::env::temp_dir().join(format!("loadgen-baseline-cli-{}.json", std::process::id()));
    let log = std::env::temp_dir().join(format!("loadgen-baseline-cli-{}-testpmd.log", std::process::id()));
    let out = Command::new("bash")
        .arg(&script)
        .args(["--sessions", "20", "--rate", "1000", "--duration", "1"])
        .env("TARGET", target)
        .env("PROFILE", profile)
        .env("REPORT", &report)
        .env("TESTPMD_LOG", &log)
        .output()
        .expect("run scripts/loadgen-testpmd.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("OK testpmd baseline, 20 made-up sessions"), "{stdout}");
    let text = std::fs::read_to_string(&report).expect("the JSON report");
    let r: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(r["mode"], "testpmd-baseline", "{text}");
    assert_eq!(r["success"], true, "{text}");
    assert_eq!(r["sessions_requested"], 20);
    assert_eq!(r["sessions"].as_array().map(Vec::len), Some(20));
    assert_eq!(r["sessions"][0]["address"], "100.64.0.2");
    let t = &r["traffic"];
    for dir in ["upstream", "downstream"] {
        let d = &t[dir];
        let n = |k: &str| d[k].as_u64().unwrap_or_else(|| panic!("{dir}.{k} in {text}"));
        // 1000 pps for 1 s, give or take the pacer's first and last tick.
        assert!((950..=1050).contains(&n("sent")), "{dir}: {d}");
        assert_eq!((n("received"), n("lost"), n("duplicates"), n("misdelivered")), (n("sent"), 0, 0, 0), "{dir}: {d}");
        assert_eq!((n("flows"), n("flows_with_loss")), (20, 0), "{dir}: {d}");
        let l = &d["latency"];
        assert_eq!(l["samples"].as_u64(), Some(n("sent")), "{dir}: {l}");
        let us = |k: &str| l[k].as_f64().unwrap_or_else(|| panic!("{dir}.latency.{k} in {text}"));
        for k in ["min_us", "p50_us", "p90_us", "p99_us", "p999_us", "max_us"] {
            assert!(us(k) > 0.0, "{dir}.latency.{k}: {l}");
        }
        assert!(us("p50_us") <= us("p99_us") && us("p99_us") <= us("max_us"), "{dir}: {l}");
    }
    let _ = std::fs::remove_file(&report);
    let _ = std::fs::remove_file(&log);
}
