//! Shared by the perf test binaries: what a test needs of its environment.
#![allow(dead_code)]

use std::io::Write;

/// The calling test cannot run here (`reason`: what is missing). It says so on the terminal
/// and returns, so the caller returns too; with `CI=true` it fails the test instead: CI
/// has every tool and root, so a skip there is a broken environment that would otherwise
/// pass unnoticed.
#[track_caller]
pub fn skip_or_fail(reason: &str) {
    let test = std::thread::current().name().unwrap_or("a test").to_string();
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{test} cannot run here ({reason}), and CI=true does not allow a skip");
    }
    // Straight to stderr, not eprintln!: the harness captures a passing test's eprintln!
    // output, and the skip would go unseen.
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {reason}");
}

/// Running as root (the EAL needs it, even with `--no-huge`).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(1) == Some("0")))
        .unwrap_or(false)
}
