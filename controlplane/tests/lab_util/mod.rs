//! The lab harness shared by the lab tests: the standard lab (scripts/lab.sh) and a dpvpn
//! started on it with a private socket, which its drop stops.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

static LAB: Mutex<()> = Mutex::new(());

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

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

/// Whether to skip a lab test: only when DPVPN_SKIP_LAB is set (and then not under
/// `CI=true`, see [`skip_or_fail`]). Without root a lab test fails.
pub fn skip() -> bool {
    if std::env::var_os("DPVPN_SKIP_LAB").is_some() {
        skip_or_fail("DPVPN_SKIP_LAB is set");
        return true;
    }
    let uid = Command::new("id").arg("-u").output().expect("id -u");
    assert_eq!(String::from_utf8_lossy(&uid.stdout).trim(), "0", "lab tests need root (or set DPVPN_SKIP_LAB=1)");
    false
}

pub fn sh(cmd: &[&str]) -> Output {
    Command::new(cmd[0]).args(&cmd[1..]).output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"))
}

pub fn ns(name: &str, cmd: &[&str]) -> Output {
    let mut v = vec!["ip", "netns", "exec", name];
    v.extend_from_slice(cmd);
    sh(&v)
}

pub fn ok(o: &Output, what: &str) -> String {
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(o.status.success(), "{what} failed:\n{out}\n{}", String::from_utf8_lossy(&o.stderr));
    out
}

pub struct Lab {
    _guard: MutexGuard<'static, ()>,
}

impl Lab {
    pub fn up() -> Lab {
        let guard = LAB.lock().unwrap_or_else(|e| e.into_inner());
        ok(&sh(&[repo().join("scripts/lab.sh").to_str().unwrap(), "up"]), "lab up");
        Lab { _guard: guard }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = sh(&["ip", "netns", "exec", "inet", "pkill", "iperf3"]);
        let _ = sh(&[repo().join("scripts/lab.sh").to_str().unwrap(), "down"]);
    }
}

pub struct Dpvpn {
    pub child: Option<Child>,
    pub socket: PathBuf,
    pub log: PathBuf,
    pub dir: PathBuf,
}

impl Dpvpn {
    /// Start dpvpn on the lab with `configs/lab.toml`, adjusted to a private socket and
    /// file prefix, plus `extra` TOML appended to the [dataplane] table.
    pub fn start(lcores: &str, dataplane_extra: &str) -> Dpvpn {
        Self::start_with(lcores, dataplane_extra, |t| t)
    }

    pub fn start_with(lcores: &str, dataplane_extra: &str, edit: impl Fn(String) -> String) -> Dpvpn {
        Self::start_config("configs/lab.toml", lcores, dataplane_extra, edit)
    }

    /// Start dpvpn with the configuration file `config` (relative to the repository).
    pub fn start_config(config: &str, lcores: &str, dataplane_extra: &str, edit: impl Fn(String) -> String) -> Dpvpn {
        let dir = std::env::temp_dir().join(format!("dpvpn-lab-{}-{}", std::process::id(), rand_suffix()));
        std::fs::create_dir_all(&dir).unwrap();
        let socket = dir.join("dpvpn.sock");
        let text = std::fs::read_to_string(repo().join(config)).unwrap();
        let text = text
            .replace("/run/dpvpn/dpvpn.sock", socket.to_str().unwrap())
            .replace("[dataplane]", &format!("[dataplane]\n{dataplane_extra}"));
        let text = edit(text);
        // A file prefix of its own, so a dpvpn someone runs by hand on the same machine
        // (prefix dpvpn-lab) does not stop the test's EAL.
        let text = text.replace("file_prefix = \"dpvpn-lab\"", &format!("file_prefix = \"dpvpn-test-{}\"", std::process::id()));
        let cfg = dir.join("lab.toml");
        // Files the configuration names relative to itself.
        let _ = std::fs::copy(repo().join("configs/users-lab.txt"), dir.join("users-lab.txt"));
        std::fs::write(&cfg, text).unwrap();
        let log = dir.join("dpvpn.log");
        let child = Command::new(env!("CARGO_BIN_EXE_dpvpn"))
            .args(["--lcores", lcores, "--config", cfg.to_str().unwrap()])
            .stdout(std::fs::File::create(dir.join("stdout.log")).unwrap())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("spawn dpvpn");
        let mut d = Dpvpn { child: Some(child), socket, log, dir };
        let t0 = Instant::now();
        loop {
            if d.ctl(&["show", "ports"]).status.success() {
                break;
            }
            if let Some(st) = d.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("dpvpn exited during start-up ({st}):\n{}", d.log_text());
            }
            assert!(t0.elapsed() < Duration::from_secs(60), "dpvpn did not come up:\n{}", d.log_text());
            std::thread::sleep(Duration::from_millis(200));
        }
        d
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn ctl(&self, args: &[&str]) -> Output {
        let mut v = vec!["-s", self.socket.to_str().unwrap()];
        v.extend_from_slice(args);
        Command::new(env!("CARGO_BIN_EXE_dpvpnctl")).args(&v).output().unwrap()
    }

    pub fn stats(&self) -> serde_json::Value {
        let o = self.ctl(&["--json", "show", "stats"]);
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("stats json: {e}: {}", String::from_utf8_lossy(&o.stdout)))
    }

    /// A counter summed over workers (`name` as in `show stats`, e.g. "forwarded" or "drop_runt").
    pub fn total(&self, name: &str) -> u64 {
        let s = self.stats();
        s["stats"]["totals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no counter {name}"))["value"]
            .as_u64()
            .unwrap()
    }

    pub fn per_worker(&self, name: &str) -> Vec<u64> {
        let s = self.stats();
        s["stats"]["workers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["counters"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap()["value"].as_u64().unwrap())
            .collect()
    }

    pub fn alive(&mut self) -> bool {
        self.child.as_mut().unwrap().try_wait().unwrap().is_none()
    }

    /// SIGTERM, wait, and check a clean exit with final counters.
    pub fn stop(mut self) -> String {
        let mut child = self.child.take().unwrap();
        sh(&["kill", "-TERM", &child.id().to_string()]);
        let t0 = Instant::now();
        let status = loop {
            if let Some(st) = child.try_wait().unwrap() {
                break st;
            }
            if t0.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                panic!("dpvpn did not stop on SIGTERM:\n{}", self.log_text());
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let log = self.log_text();
        assert!(status.success(), "dpvpn exit status {status}:\n{log}");
        assert!(log.contains("final counters"), "no final counters printed:\n{log}");
        log
    }
}

impl Drop for Dpvpn {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
            eprintln!("--- dpvpn log ---\n{}", self.log_text());
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A TCP echo server on dpvpn's uplink address: two connections, then exit.
pub const ECHO_SERVER: &str = "import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('198.51.100.1', 7777)); s.listen(2); print('listening', flush=True)
for _ in range(2):
    c, _ = s.accept(); c.sendall(b'echo ' + c.recv(100)); c.close()
";

pub fn rand_suffix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() as u64
}

pub fn ping(from: &str, to: &str, count: u32) -> Output {
    ns(from, &["ping", "-c", &count.to_string(), "-i", "0.2", "-W", "2", to])
}

/// iperf3 TCP from `sub` to `inet` for `secs`; returns bits/s received.
pub fn iperf(secs: u32, streams: u32) -> f64 {
    ok(&ns("inet", &["iperf3", "-s", "-1", "-D"]), "iperf3 server");
    std::thread::sleep(Duration::from_millis(500));
    let o = ns(
        "sub",
        &["iperf3", "-c", "198.51.100.2", "-t", &secs.to_string(), "-P", &streams.to_string(), "-J", "--connect-timeout", "5000"],
    );
    let out = ok(&o, "iperf3 client");
    let v: serde_json::Value = serde_json::from_str(&out).expect("iperf3 json");
    let bps = v["end"]["sum_received"]["bits_per_second"].as_f64().expect("bits_per_second");
    eprintln!("iperf3: {:.1} Mbit/s with {streams} stream(s)", bps / 1e6);
    bps
}

