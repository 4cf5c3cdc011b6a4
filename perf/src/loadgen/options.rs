//! The command line of `dpvpn-loadgen` and its check: [`Args`] is what clap parses,
//! [`Args::plan`] turns it into a [`Plan`] or a [`UsageError`] that names the option and
//! what is wrong with its value. Nothing here touches DPDK, so a bad command line never
//! starts the EAL.

use std::net::Ipv4Addr;
use std::path::PathBuf;

use clap::Parser;
use controlplane::aaa::Method;
use controlplane::ppp::lcp::EchoConfig;
use controlplane::pppoe::discovery::Vlans;

use super::traffic::{Mode, Traffic, TrafficPlan, MAX_SIZE, MIN_SIZE};

/// The default setup rate, sessions per second.
pub const DEFAULT_SETUP_RATE: f64 = 1000.0;
/// Linux interface names are at most 15 bytes (IFNAMSIZ − 1).
const IFNAME_MAX: usize = 15;

#[derive(Parser, Debug, Clone)]
#[command(
    name = "dpvpn-loadgen",
    version,
    about = "dpvpn-loadgen: emulated PPPoE subscribers (a single-lcore DPDK application)",
    after_help = "Example (the lab, in the subscriber namespace):\n  ip netns exec sub dpvpn-loadgen --lcores 1 \
                  --access net_af_packet0,iface=sub-acc --sessions 10 --ping 198.51.100.2 --hold 3 --report /tmp/x.json\n\
                  Test traffic over memif (dpvpn with configs/bench-memif.toml; scripts/loadgen-memif.sh):\n  dpvpn-loadgen --lcores 1 \
                  --access net_memif0,role=client,socket=/run/dpvpn-bench/acc.sock,id=0 \
                  --uplink net_memif1,role=client,socket=/run/dpvpn-bench/up.sock,id=0 --sessions 1000 --rate 100000 --duration 10\n\
                  The same traffic through testpmd instead (the baseline; scripts/loadgen-testpmd.sh):\n  dpvpn-loadgen --lcores 1 \
                  --access net_memif0,role=client,socket=/run/dpvpn-bench/tp-acc.sock,id=0 \
                  --uplink net_memif1,role=client,socket=/run/dpvpn-bench/tp-up.sock,id=0 --sessions 1000 --rate 100000 --duration 10 --baseline"
)]
pub struct Args {
    /// The one lcore the load generator runs on (an lcore id, e.g. `1`).
    #[arg(long, value_name = "LCORE")]
    pub lcores: String,
    /// DPDK device arguments of the access port (e.g. `net_af_packet0,iface=sub-acc`).
    #[arg(long, value_name = "DEVARGS")]
    pub access: String,
    /// How many subscribers to emulate.
    #[arg(long, value_name = "N")]
    pub sessions: u32,
    /// User name; `{n}` is replaced by the session number (first … first+N−1).
    #[arg(long, value_name = "TEMPLATE", default_value = "user{n}@lab")]
    pub user: String,
    #[arg(long, default_value = "lab")]
    pub password: String,
    /// The number of the first session.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub first: u32,
    /// 802.1Q: session i gets VID A + (i mod (B−A+1)).
    #[arg(long, value_name = "A-B", conflicts_with = "qinq")]
    pub vlan: Option<String>,
    /// QinQ: S-tag S (or a range S1-S2), C-tags A-B; the C-tag varies fastest.
    #[arg(long, value_name = "S:A-B")]
    pub qinq: Option<String>,
    /// PADIs of new sessions (and retries) per second, e.g. `200/s`.
    #[arg(long, value_name = "R/s")]
    pub setup_rate: Option<String>,
    /// Hang up at most this many sessions per second (default: all at once).
    #[arg(long, value_name = "R/s")]
    pub teardown_rate: Option<String>,
    /// Authentication methods accepted when the AC asks, in order of preference.
    #[arg(long, value_name = "LIST", default_value = "chap,pap")]
    pub auth: String,
    /// LCP Echo-Request keepalive towards the AC every S seconds (off when not given).
    #[arg(long, value_name = "S")]
    pub echo_interval: Option<String>,
    /// Echo-Requests unanswered in a row that end a session.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub echo_failures: u32,
    /// Once up, every session pings this address every second.
    #[arg(long, value_name = "ADDR")]
    pub ping: Option<String>,
    /// Echo requests per session (without: until the sessions hang up).
    #[arg(long, value_name = "K", requires = "ping")]
    pub ping_count: Option<u32>,
    /// A kernel interface (net_tap) whose IPv4 goes through the first session.
    #[arg(long, value_name = "NAME")]
    pub tap: Option<String>,
    /// Keep the sessions up this long once all are up, then hang up and exit
    /// (without: hang up at SIGINT).
    #[arg(long, value_name = "SECS")]
    pub hold: Option<String>,
    /// The most the setup may take, from the first PADI (default: 30 s plus what the
    /// setup rate needs).
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<String>,
    /// Attempts after the first for a session that fails (each after a back-off).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub retries: u32,
    /// DPDK device arguments of the uplink port, where the load generator emulates the
    /// internet host (e.g. `net_memif1,role=client,socket=/run/dpvpn-bench/up.sock`).
    #[arg(long, value_name = "DEVARGS")]
    pub uplink: Option<String>,
    /// Test traffic once all sessions are up: this many UDP packets per second in each
    /// direction (all sessions together, round robin). Needs --uplink.
    #[arg(long, value_name = "PPS", requires = "uplink")]
    pub rate: Option<String>,
    /// How long the test traffic runs.
    #[arg(long, value_name = "SECS", default_value = "10", requires = "rate")]
    pub duration: String,
    /// IPv4 datagram length of the test traffic (52 to 1492 bytes).
    #[arg(long, value_name = "BYTES", default_value_t = 64, requires = "rate")]
    pub size: u16,
    /// The testpmd baseline: no PPPoE (no discovery, LCP, authentication, IPCP); the N
    /// sessions are made up as dpvpn would give them (MACs, VLANs, session ids 1…,
    /// addresses 100.64.0.2…) and the same test frames go through a plain forwarder
    /// between --access and --uplink (dpdk-testpmd --forward-mode=io:
    /// scripts/loadgen-testpmd.sh), which hands them over unchanged. The setup and
    /// teardown options do not apply. Needs --rate.
    #[arg(long, requires = "rate", conflicts_with_all = ["ping", "tap", "echo_interval"])]
    pub baseline: bool,
    /// The emulated internet host's address on the uplink.
    #[arg(long, value_name = "ADDR", default_value = "198.51.100.2")]
    pub inet: String,
    /// dpvpn's address on the uplink (the internet host's gateway).
    #[arg(long, value_name = "ADDR", default_value = "198.51.100.1")]
    pub gateway: String,
    /// dpvpn's uplink MAC (without: learnt by ARP for --gateway).
    #[arg(long, value_name = "MAC")]
    pub gateway_mac: Option<String>,
    /// Write a JSON report here at the end.
    #[arg(long, value_name = "FILE.json")]
    pub report: Option<PathBuf>,
    /// The EAL's --file-prefix (its runtime directory), so the load generator runs
    /// beside dpvpn.
    #[arg(long, value_name = "P", default_value = "dpvpn-loadgen")]
    pub file_prefix: String,
    /// Extra EAL arguments, after `--`.
    #[arg(last = true, value_name = "EAL_ARGS")]
    pub eal: Vec<String>,
}

/// A command-line value that cannot work, naming the option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

fn usage(option: &str, value: &str, problem: impl std::fmt::Display) -> UsageError {
    UsageError(format!("{option} `{value}`: {problem}"))
}

/// How sessions are tagged: each session gets the next entry, round robin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VlanPlan {
    Untagged,
    Dot1q { first: u16, last: u16 },
    Qinq { s_first: u16, s_last: u16, c_first: u16, c_last: u16 },
}

impl VlanPlan {
    /// The tags of the session at index `i` (0-based).
    pub fn vlans(&self, i: u32) -> Vlans {
        match *self {
            VlanPlan::Untagged => Vlans::NONE,
            VlanPlan::Dot1q { first, last } => {
                let n = (last - first) as u32 + 1;
                Vlans::dot1q(first + (i % n) as u16)
            }
            VlanPlan::Qinq { s_first, s_last, c_first, c_last } => {
                let nc = (c_last - c_first) as u32 + 1;
                let ns = (s_last - s_first) as u32 + 1;
                Vlans::qinq(s_first + ((i / nc) % ns) as u16, c_first + (i % nc) as u16)
            }
        }
    }
}

/// Echo requests to send from every session once it is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PingPlan {
    pub target: Ipv4Addr,
    /// None: every second until the hang-up.
    pub count: Option<u32>,
}

/// What to emulate: the checked command line, without the DPDK parts.
#[derive(Debug, Clone)]
pub struct Plan {
    pub sessions: u32,
    pub first: u32,
    /// User-name template (`{n}`).
    pub user: String,
    pub password: String,
    pub vlans: VlanPlan,
    /// Session starts per second.
    pub setup_rate: f64,
    /// Hang-ups per second; None: all at once.
    pub teardown_rate: Option<f64>,
    pub methods: Vec<Method>,
    pub echo: Option<EchoConfig>,
    pub ping: Option<PingPlan>,
    /// Bridge the kernel's traffic through the first session.
    pub tap: bool,
    pub hold_ms: Option<u64>,
    pub timeout_ms: u64,
    pub retries: u32,
    /// Test traffic once the sessions are up (`--rate`).
    pub traffic: Option<TrafficPlan>,
}

impl Plan {
    /// A plan with the defaults of the command line, for `sessions` sessions.
    pub fn new(sessions: u32) -> Plan {
        Plan {
            sessions,
            first: 1,
            user: "user{n}@lab".into(),
            password: "lab".into(),
            vlans: VlanPlan::Untagged,
            setup_rate: DEFAULT_SETUP_RATE,
            teardown_rate: None,
            methods: vec![Method::ChapMd5, Method::Pap],
            echo: None,
            ping: None,
            tap: false,
            hold_ms: None,
            timeout_ms: default_timeout_ms(sessions, DEFAULT_SETUP_RATE),
            retries: 3,
            traffic: None,
        }
    }

    /// The user name of session number `n`.
    pub fn username(&self, n: u32) -> String {
        self.user.replace("{n}", &n.to_string())
    }
}

fn default_timeout_ms(sessions: u32, rate: f64) -> u64 {
    30_000 + (sessions as f64 / rate * 1000.0).ceil() as u64
}

/// The checked DPDK side of the command line.
#[derive(Debug, Clone)]
pub struct Startup {
    pub lcore: u32,
    pub access: String,
    pub uplink: Option<String>,
    pub tap: Option<String>,
    pub file_prefix: String,
    pub eal_extra: Vec<String>,
    pub report: Option<PathBuf>,
}

impl Args {
    /// Check every value; the first that is wrong is named.
    pub fn plan(&self) -> Result<(Plan, Startup), UsageError> {
        let lcore: u32 = self.lcores.trim().parse().map_err(|_| {
            usage("--lcores", &self.lcores, "the load generator runs on one lcore: give one lcore id, such as `1`")
        })?;
        if self.access.trim().is_empty() || self.access.starts_with(',') {
            return Err(usage(
                "--access",
                &self.access,
                "expected DPDK device arguments, such as net_af_packet0,iface=sub-acc",
            ));
        }
        if self.sessions == 0 {
            return Err(usage("--sessions", "0", "at least one session"));
        }
        if self.first.checked_add(self.sessions - 1).is_none() {
            return Err(usage(
                "--first",
                &self.first.to_string(),
                format!("session numbers beyond {} with --sessions {}", u32::MAX, self.sessions),
            ));
        }
        if self.user.is_empty() || self.user.len() > 253 {
            return Err(usage(
                "--user",
                &self.user,
                "a user name of 1 to 253 bytes (RFC 1334 §2.2.1: one length octet)",
            ));
        }
        if self.password.len() > 255 {
            return Err(usage("--password", "…", "at most 255 bytes (RFC 1334 §2.2.1)"));
        }
        let vlans = match (&self.vlan, &self.qinq) {
            (Some(v), _) => {
                let (first, last) = vid_range(v).map_err(|p| usage("--vlan", v, p))?;
                VlanPlan::Dot1q { first, last }
            }
            (None, Some(q)) => {
                let (s, c) =
                    q.split_once(':').ok_or_else(|| usage("--qinq", q, "expected S:A-B (S-tag, C-tag range)"))?;
                let (s_first, s_last) = vid_range(s).map_err(|p| usage("--qinq", q, format!("S-tag: {p}")))?;
                let (c_first, c_last) = vid_range(c).map_err(|p| usage("--qinq", q, format!("C-tags: {p}")))?;
                VlanPlan::Qinq { s_first, s_last, c_first, c_last }
            }
            (None, None) => VlanPlan::Untagged,
        };
        let setup_rate = match &self.setup_rate {
            None => DEFAULT_SETUP_RATE,
            Some(r) => rate(r).map_err(|p| usage("--setup-rate", r, p))?,
        };
        let teardown_rate =
            self.teardown_rate.as_deref().map(|r| rate(r).map_err(|p| usage("--teardown-rate", r, p))).transpose()?;
        let mut methods = Vec::new();
        for m in self.auth.split(',').map(str::trim) {
            let method = match m.to_ascii_lowercase().as_str() {
                "chap" | "chap-md5" => Method::ChapMd5,
                "pap" => Method::Pap,
                _ => return Err(usage("--auth", &self.auth, format!("unknown method `{m}` (chap, pap)"))),
            };
            if !methods.contains(&method) {
                methods.push(method);
            }
        }
        let echo = match &self.echo_interval {
            None => None,
            Some(s) => {
                let ms = seconds(s).map_err(|p| usage("--echo-interval", s, p))?;
                if ms == 0 {
                    return Err(usage("--echo-interval", s, "must be above 0"));
                }
                if self.echo_failures == 0 {
                    return Err(usage("--echo-failures", "0", "at least 1"));
                }
                Some(EchoConfig { interval_ms: ms, failures: self.echo_failures })
            }
        };
        let ping = match &self.ping {
            None => None,
            Some(a) => {
                let target: Ipv4Addr = a.parse().map_err(|_| usage("--ping", a, "not an IPv4 address"))?;
                if target.is_unspecified() || target.is_broadcast() || target.is_multicast() {
                    return Err(usage("--ping", a, "a unicast address"));
                }
                if self.ping_count == Some(0) {
                    return Err(usage("--ping-count", "0", "at least 1"));
                }
                Some(PingPlan { target, count: self.ping_count })
            }
        };
        if let Some(t) = &self.tap {
            if t.is_empty() || t.len() > IFNAME_MAX || t.contains(['/', ',', '=', ' ', ':']) {
                return Err(usage("--tap", t, "an interface name of 1 to 15 characters without `/ , = :` or spaces"));
            }
        }
        let mut hold_ms = self.hold.as_deref().map(|h| seconds(h).map_err(|p| usage("--hold", h, p))).transpose()?;
        let uplink = match &self.uplink {
            Some(u) if u.trim().is_empty() || u.starts_with(',') => {
                return Err(usage(
                    "--uplink",
                    u,
                    "expected DPDK device arguments, such as net_memif1,role=client,socket=…",
                ))
            }
            u => u.as_ref().map(|u| u.trim().to_string()),
        };
        let traffic = match &self.rate {
            None => None,
            Some(r) => {
                let rate_pps = match r.trim().strip_suffix("/s").unwrap_or(r.trim()).parse::<f64>() {
                    Ok(x) if x.is_finite() && x > 0.0 && x <= 1e9 => x,
                    _ => return Err(usage("--rate", r, "expected packets per second above 0, such as 100000")),
                };
                let duration_ms = match seconds(&self.duration) {
                    Ok(0) => return Err(usage("--duration", &self.duration, "must be above 0")),
                    Ok(ms) => ms,
                    Err(p) => return Err(usage("--duration", &self.duration, p)),
                };
                if !(MIN_SIZE..=MAX_SIZE).contains(&self.size) {
                    return Err(usage(
                        "--size",
                        &self.size.to_string(),
                        format!(
                            "an IPv4 datagram of {MIN_SIZE} to {MAX_SIZE} bytes (headers, the probe; the PPPoE MRU)"
                        ),
                    ));
                }
                let addr = |opt: &str, v: &str| -> Result<Ipv4Addr, UsageError> {
                    match v.parse::<Ipv4Addr>() {
                        Ok(a) if !a.is_unspecified() && !a.is_broadcast() && !a.is_multicast() => Ok(a),
                        _ => Err(usage(opt, v, "not a unicast IPv4 address")),
                    }
                };
                let inet = addr("--inet", &self.inet)?;
                let gateway = addr("--gateway", &self.gateway)?;
                let gateway_mac = match &self.gateway_mac {
                    None => None,
                    Some(m) => Some(
                        parse_mac(m)
                            .ok_or_else(|| usage("--gateway-mac", m, "expected a MAC such as 02:00:00:00:0b:01"))?,
                    ),
                };
                let mode = if self.baseline { Mode::TestpmdBaseline } else { Mode::Dpvpn };
                let t = TrafficPlan { rate_pps, duration_ms, size: self.size, inet, gateway, gateway_mac, mode };
                let need = Traffic::hold_ms(&t);
                hold_ms = Some(hold_ms.map_or(need, |h| h.max(need)));
                Some(t)
            }
        };
        let timeout_ms = match &self.timeout {
            None => default_timeout_ms(self.sessions, setup_rate),
            Some(t) => match seconds(t) {
                Ok(0) => return Err(usage("--timeout", t, "must be above 0")),
                Ok(ms) => ms,
                Err(p) => return Err(usage("--timeout", t, p)),
            },
        };
        if self.file_prefix.is_empty() || self.file_prefix.contains('/') {
            return Err(usage("--file-prefix", &self.file_prefix, "a non-empty name without `/`"));
        }
        let plan = Plan {
            sessions: self.sessions,
            first: self.first,
            user: self.user.clone(),
            password: self.password.clone(),
            vlans,
            setup_rate,
            teardown_rate,
            methods,
            echo,
            ping,
            tap: self.tap.is_some(),
            hold_ms,
            timeout_ms,
            retries: self.retries,
            traffic,
        };
        let startup = Startup {
            lcore,
            access: self.access.trim().to_string(),
            uplink,
            tap: self.tap.clone(),
            file_prefix: self.file_prefix.clone(),
            eal_extra: self.eal.clone(),
            report: self.report.clone(),
        };
        Ok((plan, startup))
    }
}

/// `A-B` or `A`: VIDs 1 to 4094 (0 and 4095 are reserved, IEEE 802.1Q §9.6).
fn vid_range(s: &str) -> Result<(u16, u16), String> {
    let vid = |x: &str| -> Result<u16, String> {
        match x.trim().parse::<u16>() {
            Ok(v) if (1..=4094).contains(&v) => Ok(v),
            _ => Err(format!("`{}` is not a VLAN id (1 to 4094)", x.trim())),
        }
    };
    let (a, b) = match s.split_once('-') {
        Some((a, b)) => (vid(a)?, vid(b)?),
        None => {
            let v = vid(s)?;
            (v, v)
        }
    };
    if a > b {
        return Err(format!("the range {a}-{b} runs backwards"));
    }
    Ok((a, b))
}

/// `R/s` or `R`: a rate above 0.
fn rate(s: &str) -> Result<f64, String> {
    let n = s.trim().strip_suffix("/s").unwrap_or(s.trim());
    match n.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err("expected sessions per second above 0, such as 200/s".into()),
    }
}

/// `02:00:00:00:0b:01` as bytes.
fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let mut m = [0u8; 6];
    let mut parts = s.trim().split(':');
    for b in m.iter_mut() {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 2 {
            return None;
        }
        *b = u8::from_str_radix(p, 16).ok()?;
    }
    parts.next().is_none().then_some(m)
}

/// Seconds (fractions allowed) as milliseconds.
fn seconds(s: &str) -> Result<u64, String> {
    match s.trim().strip_suffix('s').unwrap_or(s.trim()).parse::<f64>() {
        Ok(x) if (0.0..1e9).contains(&x) => Ok((x * 1000.0).round() as u64),
        _ => Err("expected seconds, such as 3 or 0.5".into()),
    }
}

/// The EAL's arguments: one lcore, no hugepages, its own runtime directory, no PCI
/// scan unless the extra arguments name devices.
pub fn eal_args(s: &Startup) -> Vec<String> {
    let mut a: Vec<String> = vec![
        "dpvpn-loadgen".into(),
        "--lcores".into(),
        s.lcore.to_string(),
        "--file-prefix".into(),
        s.file_prefix.clone(),
        "--no-huge".into(),
        "-m".into(),
        "256".into(),
    ];
    let names_pci = s.eal_extra.iter().any(|x| {
        x == "-a"
            || x == "-b"
            || x.starts_with("--allow")
            || x.starts_with("--block")
            || (x.starts_with("-a") && !x.starts_with("--"))
    });
    if !names_pci {
        a.push("--no-pci".into());
    }
    a.extend(s.eal_extra.iter().cloned());
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> Args {
        let mut v =
            vec!["dpvpn-loadgen", "--lcores", "1", "--access", "net_af_packet0,iface=sub-acc", "--sessions", "10"];
        v.extend_from_slice(extra);
        Args::try_parse_from(v).unwrap()
    }

    fn error(extra: &[&str]) -> String {
        args(extra).plan().unwrap_err().0
    }

    #[test]
    fn defaults() {
        let (p, s) = args(&[]).plan().unwrap();
        assert_eq!(p.username(7), "user7@lab");
        assert_eq!(p.vlans, VlanPlan::Untagged);
        assert_eq!(p.methods, [Method::ChapMd5, Method::Pap]);
        assert_eq!(p.timeout_ms, 30_010);
        assert_eq!(s.file_prefix, "dpvpn-loadgen");
        let eal = eal_args(&s);
        assert!(eal.windows(2).any(|w| w == ["--lcores", "1"]));
        assert!(eal.contains(&"--no-huge".to_string()) && eal.contains(&"--no-pci".to_string()));
    }

    #[test]
    fn vlan_ranges_are_handed_out_round_robin() {
        let (p, _) = args(&["--vlan", "100-102"]).plan().unwrap();
        let vids: Vec<_> = (0..5).map(|i| p.vlans.vlans(i).vids()).collect();
        assert_eq!(
            vids,
            [(Some(100), None), (Some(101), None), (Some(102), None), (Some(100), None), (Some(101), None)]
        );
        let (p, _) = args(&["--qinq", "7:10-11"]).plan().unwrap();
        let vids: Vec<_> = (0..3).map(|i| p.vlans.vlans(i).vids()).collect();
        assert_eq!(vids, [(Some(7), Some(10)), (Some(7), Some(11)), (Some(7), Some(10))]);
        let (p, _) = args(&["--qinq", "7-8:10-11"]).plan().unwrap();
        let vids: Vec<_> = (0..4).map(|i| p.vlans.vlans(i).vids()).collect();
        assert_eq!(vids, [(Some(7), Some(10)), (Some(7), Some(11)), (Some(8), Some(10)), (Some(8), Some(11))]);
        assert_eq!(p.vlans.vlans(0).outer.unwrap().tpid.0, 0x88a8);
    }

    #[test]
    fn bad_values_name_the_option() {
        assert!(error(&["--vlan", "5-2"]).starts_with("--vlan `5-2`: the range 5-2 runs backwards"));
        assert!(error(&["--vlan", "0-2"]).contains("not a VLAN id"));
        assert!(error(&["--qinq", "7"]).starts_with("--qinq `7`"));
        assert!(error(&["--setup-rate", "fast"]).starts_with("--setup-rate `fast`"));
        assert!(error(&["--auth", "chap,eap"]).contains("unknown method `eap`"));
        assert!(error(&["--ping", "198.51.100"]).starts_with("--ping `198.51.100`: not an IPv4 address"));
        assert!(error(&["--tap", "a/b"]).starts_with("--tap `a/b`"));
        assert!(error(&["--hold", "soon"]).starts_with("--hold `soon`"));
        assert!(error(&["--echo-interval", "0"]).starts_with("--echo-interval `0`"));
        let e = Args::try_parse_from(["x", "--lcores", "0-1", "--access", "a", "--sessions", "1"])
            .unwrap()
            .plan()
            .unwrap_err();
        assert!(e.0.starts_with("--lcores `0-1`: the load generator runs on one lcore"), "{e}");
        let e = Args::try_parse_from(["x", "--lcores", "1", "--access", "a", "--sessions", "0"])
            .unwrap()
            .plan()
            .unwrap_err();
        assert!(e.0.starts_with("--sessions `0`"), "{e}");
        let e =
            Args::try_parse_from(["x", "--lcores", "1", "--access", "a", "--sessions", "2", "--first", "4294967295"])
                .unwrap()
                .plan()
                .unwrap_err();
        assert!(e.0.starts_with("--first"), "{e}");
    }

    #[test]
    fn traffic_options() {
        let (p, s) =
            args(&["--uplink", "net_memif1", "--rate", "1000", "--duration", "2", "--size", "128"]).plan().unwrap();
        let t = p.traffic.unwrap();
        assert_eq!((t.rate_pps, t.duration_ms, t.size), (1000.0, 2000, 128));
        assert_eq!(
            (t.inet, t.gateway, t.gateway_mac),
            (Ipv4Addr::new(198, 51, 100, 2), Ipv4Addr::new(198, 51, 100, 1), None)
        );
        assert_eq!(s.uplink.as_deref(), Some("net_memif1"));
        // The sessions are held for warm-up, sending and drain.
        assert!(p.hold_ms.unwrap() >= 3000, "{:?}", p.hold_ms);
        let (p, _) = args(&["--uplink", "u", "--rate", "10", "--gateway-mac", "02:00:00:00:0b:01"]).plan().unwrap();
        assert_eq!(p.traffic.unwrap().gateway_mac, Some([2, 0, 0, 0, 0x0b, 1]));
        assert!(error(&["--uplink", "u", "--rate", "0"]).starts_with("--rate `0`"));
        assert!(error(&["--uplink", "u", "--rate", "10", "--size", "20"]).starts_with("--size `20`"));
        assert!(error(&["--uplink", "u", "--rate", "10", "--size", "1500"]).starts_with("--size `1500`"));
        assert!(error(&["--uplink", "u", "--rate", "10", "--duration", "0"]).starts_with("--duration `0`"));
        assert!(error(&["--uplink", "u", "--rate", "10", "--inet", "x"]).starts_with("--inet `x`"));
        assert!(error(&["--uplink", "u", "--rate", "10", "--gateway-mac", "02:00"]).starts_with("--gateway-mac"));
        // The baseline: the same traffic, made-up sessions; it needs the traffic.
        assert_eq!(t.mode, Mode::Dpvpn);
        let (p, _) = args(&["--uplink", "u", "--rate", "10", "--baseline"]).plan().unwrap();
        assert_eq!(p.traffic.unwrap().mode, Mode::TestpmdBaseline);
        let base = ["x", "--lcores", "1", "--access", "a", "--sessions", "1", "--uplink", "u"];
        assert!(Args::try_parse_from(base.iter().chain(&["--baseline"])).is_err());
        assert!(Args::try_parse_from(base.iter().chain(&["--rate", "10", "--baseline", "--ping", "1.2.3.4"])).is_err());
        // --rate needs an uplink to send from.
        assert!(
            Args::try_parse_from(["x", "--lcores", "1", "--access", "a", "--sessions", "1", "--rate", "10"]).is_err()
        );
    }

    #[test]
    fn vlan_and_qinq_exclude_each_other() {
        let r = Args::try_parse_from([
            "x",
            "--lcores",
            "1",
            "--access",
            "a",
            "--sessions",
            "1",
            "--vlan",
            "1-2",
            "--qinq",
            "1:1-2",
        ]);
        assert!(r.is_err());
    }
}
