//! The TOML configuration: schema, defaults, and validation with errors that name the
//! file, line, column, key and what is wrong. Nothing here touches DPDK: a bad file
//! stops dpvpn before the EAL starts. `configs/example-full.toml` documents every key.

use std::net::{Ipv4Addr, SocketAddr};
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug)]
pub struct ConfigError {
    pub file: PathBuf,
    /// 1-based; 0 when the file could not be read.
    pub line: usize,
    pub column: usize,
    pub key: String,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            return write!(f, "{}: {}", self.file.display(), self.message);
        }
        write!(f, "{}:{}:{}: ", self.file.display(), self.line, self.column)?;
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortRole {
    Access,
    Uplink,
}

/// An interface address `addr/len` (host part kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterfaceAddress {
    pub addr: Ipv4Addr,
    pub len: u8,
}

impl InterfaceAddress {
    pub fn mask(&self) -> u32 {
        if self.len == 0 {
            0
        } else {
            u32::MAX << (32 - self.len)
        }
    }
    pub fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) & self.mask())
    }
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        (u32::from(ip) ^ u32::from(self.addr)) & self.mask() == 0
    }
}

#[derive(Debug, Clone)]
pub struct DpdkConfig {
    pub no_huge: bool,
    pub memory_mb: u32,
    pub file_prefix: String,
    pub eal_args: Vec<String>,
    pub mbufs: u32,
    pub mbuf_cache: u32,
    pub rx_desc: u16,
    pub tx_desc: u16,
    pub burst: u16,
}

#[derive(Debug, Clone)]
pub struct PortConfig {
    pub name: String,
    pub device: String,
    pub role: PortRole,
    pub addresses: Vec<InterfaceAddress>,
    pub mtu: u16,
    pub mac: Option<[u8; 6]>,
}

#[derive(Debug, Clone)]
pub struct RouteConfig {
    pub prefix: Ipv4Addr,
    pub len: u8,
    pub via: Option<Ipv4Addr>,
    pub port: Option<String>,
    pub blackhole: bool,
}

#[derive(Debug, Clone)]
pub struct ExceptionConfig {
    pub enabled: bool,
    pub tap: String,
    /// Network namespace for the tap's kernel side (created if missing); `None` keeps it
    /// in dpvpn's own namespace.
    pub netns: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ManagementConfig {
    pub socket: PathBuf,
    pub metrics: Option<SocketAddr>,
}

#[derive(Debug, Clone)]
pub struct DataplaneConfig {
    pub fib_max_tbl8_groups: u32,
    pub neighbours_max: u32,
    pub arp_timeout_s: u32,
    pub arp_retry_ms: u32,
    pub punt_ring: u32,
    /// Workers sleep this long after ~1000 empty polls (0: never). For lcores that share a CPU.
    pub idle_sleep_us: u32,
    /// ICMP errors per second per worker (RFC 1812 §4.3.2.8).
    pub icmp_rate: u64,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub dpdk: DpdkConfig,
    pub ports: Vec<PortConfig>,
    pub routes: Vec<RouteConfig>,
    pub exception: ExceptionConfig,
    pub management: ManagementConfig,
    pub dataplane: DataplaneConfig,
    pub source: PathBuf,
}

// ---- what the file holds, before validation ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    dpdk: RawDpdk,
    #[serde(default)]
    port: Vec<RawPort>,
    #[serde(default)]
    route: Vec<RawRoute>,
    #[serde(default)]
    exception: RawException,
    #[serde(default)]
    management: RawManagement,
    #[serde(default)]
    dataplane: RawDataplane,
}

fn d_true() -> bool {
    true
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDpdk {
    #[serde(default)]
    no_huge: bool,
    memory_mb: Option<Spanned<u32>>,
    file_prefix: Option<Spanned<String>>,
    #[serde(default)]
    eal_args: Vec<String>,
    mbufs: Option<Spanned<u32>>,
    mbuf_cache: Option<Spanned<u32>>,
    rx_desc: Option<Spanned<u16>>,
    tx_desc: Option<Spanned<u16>>,
    burst: Option<Spanned<u16>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPort {
    name: Spanned<String>,
    device: Spanned<String>,
    role: Spanned<String>,
    #[serde(default)]
    addresses: Vec<Spanned<String>>,
    mtu: Option<Spanned<u16>>,
    mac: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    prefix: Spanned<String>,
    via: Option<Spanned<String>>,
    port: Option<Spanned<String>>,
    #[serde(default)]
    blackhole: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawException {
    #[serde(default = "d_true")]
    enabled: bool,
    tap: Option<Spanned<String>>,
    netns: Option<Spanned<String>>,
}

impl Default for RawException {
    fn default() -> Self {
        RawException { enabled: true, tap: None, netns: None }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawManagement {
    socket: Option<String>,
    metrics: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDataplane {
    fib_max_tbl8_groups: Option<Spanned<u32>>,
    neighbours_max: Option<Spanned<u32>>,
    arp_timeout_s: Option<Spanned<u32>>,
    arp_retry_ms: Option<Spanned<u32>>,
    punt_ring: Option<Spanned<u32>>,
    idle_sleep_us: Option<Spanned<u32>>,
    icmp_rate: Option<Spanned<u64>>,
}

/// `a.b.c/len` with no host bits: (network, len).
pub fn parse_prefix(s: &str) -> Result<(Ipv4Addr, u8), String> {
    let (a, l) = parse_cidr(s)?;
    let mask = if l == 0 { 0 } else { u32::MAX << (32 - l) };
    let host = u32::from(a) & !mask;
    if host != 0 {
        return Err(format!(
            "host bits set ({} has bits outside the /{l} mask; the network is {}/{l})",
            a,
            Ipv4Addr::from(u32::from(a) & mask)
        ));
    }
    Ok((a, l))
}

fn parse_cidr(s: &str) -> Result<(Ipv4Addr, u8), String> {
    let (a, l) = s.split_once('/').ok_or_else(|| format!("{s:?} is not in address/length form"))?;
    let addr: Ipv4Addr = a.trim().parse().map_err(|_| format!("{a:?} is not an IPv4 address"))?;
    let len: u8 = l.trim().parse().map_err(|_| format!("{l:?} is not a prefix length"))?;
    if len > 32 {
        return Err(format!("{s:?} is not an IPv4 prefix (prefix length {len} > 32)"));
    }
    Ok((addr, len))
}

/// `aa:bb:cc:dd:ee:ff`.
pub fn parse_mac(s: &str) -> Result<[u8; 6], String> {
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() != 6 || parts.iter().any(|p| p.len() != 2) {
        return Err(format!("{s:?} is not a MAC address (aa:bb:cc:dd:ee:ff)"));
    }
    let mut m = [0u8; 6];
    for (i, p) in parts.iter().enumerate() {
        m[i] = u8::from_str_radix(p, 16).map_err(|_| format!("{s:?} is not a MAC address (aa:bb:cc:dd:ee:ff)"))?;
    }
    if m[0] & 1 != 0 {
        return Err(format!("{s:?} is a multicast address; a port needs a unicast MAC"));
    }
    Ok(m)
}

fn is_pci(dev: &str) -> bool {
    let name = dev.split(',').next().unwrap_or("");
    let parts: Vec<&str> = name.split(':').collect();
    let hex = |s: &str, n: usize| s.len() == n && s.chars().all(|c| c.is_ascii_hexdigit());
    let bdf = |s: &str| s.split_once('.').is_some_and(|(d, f)| hex(d, 2) && f.len() == 1 && f.chars().all(|c| ('0'..='7').contains(&c)));
    match parts.as_slice() {
        [dom, bus, df] => hex(dom, 4) && hex(bus, 2) && bdf(df),
        [bus, df] => hex(bus, 2) && bdf(df),
        _ => false,
    }
}

fn check_device(dev: &str) -> Result<(), String> {
    if is_pci(dev) {
        return Ok(());
    }
    let name = dev.split(',').next().unwrap_or("");
    let driver_ok = name.starts_with("net_") && name.len() > 4 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !driver_ok {
        return Err(format!(
            "{dev:?} is neither a PCI address (0000:01:00.0) nor a virtual device (net_<driver><n>[,key=value...])"
        ));
    }
    for kv in dev.split(',').skip(1) {
        if kv.split_once('=').is_none_or(|(k, _)| k.is_empty()) {
            return Err(format!("device argument {kv:?} in {dev:?} is not key=value"));
        }
    }
    Ok(())
}

struct Ctx<'a> {
    text: &'a str,
    file: &'a Path,
}

impl Ctx<'_> {
    fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let col = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
        (line, col)
    }

    fn at(&self, span: Range<usize>, key: impl Into<String>, message: impl Into<String>) -> ConfigError {
        let (line, column) = self.line_col(span.start);
        ConfigError { file: self.file.to_path_buf(), line, column, key: key.into(), message: message.into() }
    }

    /// The key path at `offset`, read off the text: the table header above it
    /// (counting `[[array]]` entries) and the `key =` on its line.
    fn key_at(&self, offset: usize) -> String {
        let offset = offset.min(self.text.len());
        let line_start = self.text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0);
        let line = self.text[line_start..].lines().next().unwrap_or("");
        let key = line.split_once('=').map(|(k, _)| k.trim().to_string()).filter(|k| !k.starts_with('['));
        let mut table = String::new();
        let mut counts: std::collections::HashMap<String, usize> = Default::default();
        for l in self.text[..line_start].lines() {
            let t = l.trim();
            if let Some(name) = t.strip_prefix("[[").and_then(|r| r.split("]]").next()) {
                let n = counts.entry(name.trim().to_string()).or_insert(0);
                table = format!("{}[{}]", name.trim(), *n);
                *n += 1;
            } else if let Some(name) = t.strip_prefix('[').and_then(|r| r.split(']').next()) {
                table = name.trim().to_string();
            }
        }
        match (table.is_empty(), key) {
            (true, Some(k)) => k,
            (false, Some(k)) => format!("{table}.{k}"),
            (_, None) => table,
        }
    }
}

pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: path.to_path_buf(),
        line: 0,
        column: 0,
        key: String::new(),
        message: format!("cannot read {}: {e}", path.display()),
    })?;
    parse(&text, path)
}

fn ranged<T: Copy + PartialOrd + std::fmt::Display>(
    cx: &Ctx,
    v: &Option<Spanned<T>>,
    key: &str,
    default: T,
    min: T,
    max: T,
) -> Result<T, ConfigError> {
    match v {
        None => Ok(default),
        Some(s) => {
            let x = *s.get_ref();
            if x < min || x > max {
                return Err(cx.at(s.span(), key, format!("{x} is out of range ({min}..={max})")));
            }
            Ok(x)
        }
    }
}

fn pow2(cx: &Ctx, v: &Option<Spanned<u16>>, key: &str, default: u16) -> Result<u16, ConfigError> {
    let x = ranged(cx, v, key, default, 64, 16384)?;
    if !x.is_power_of_two() {
        let span = v.as_ref().map(|s| s.span()).unwrap_or(0..0);
        return Err(cx.at(span, key, format!("{x} is not a power of two")));
    }
    Ok(x)
}

pub fn parse(text: &str, source: &Path) -> Result<Config, ConfigError> {
    let cx = Ctx { text, file: source };
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let msg = e.message().trim().replace('\n', " ");
        cx.at(span.clone(), cx.key_at(span.start), msg)
    })?;

    let d = &raw.dpdk;
    let file_prefix = match &d.file_prefix {
        Some(s) => {
            let v = s.get_ref();
            if v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                return Err(cx.at(s.span(), "dpdk.file_prefix", format!("{v:?}: use letters, digits, `_` and `-` only")));
            }
            v.clone()
        }
        None => "dpvpn".into(),
    };
    let dpdk = DpdkConfig {
        no_huge: d.no_huge,
        memory_mb: ranged(&cx, &d.memory_mb, "dpdk.memory_mb", 1024, 64, 1 << 20)?,
        file_prefix,
        eal_args: d.eal_args.clone(),
        mbufs: ranged(&cx, &d.mbufs, "dpdk.mbufs", 32767, 1024, 1 << 26)?,
        mbuf_cache: ranged(&cx, &d.mbuf_cache, "dpdk.mbuf_cache", 256, 0, 512)?,
        rx_desc: pow2(&cx, &d.rx_desc, "dpdk.rx_desc", 1024)?,
        tx_desc: pow2(&cx, &d.tx_desc, "dpdk.tx_desc", 1024)?,
        burst: ranged(&cx, &d.burst, "dpdk.burst", 32, 1, 64)?,
    };

    if raw.port.is_empty() {
        return Err(ConfigError {
            file: source.to_path_buf(),
            line: 1,
            column: 1,
            key: "port".into(),
            message: "no [[port]] configured: dpvpn needs at least one port".into(),
        });
    }
    let mut ports: Vec<PortConfig> = Vec::new();
    // (port index, address, span) for overlap checks.
    let mut all_addrs: Vec<(usize, InterfaceAddress, Range<usize>)> = Vec::new();
    for (i, p) in raw.port.iter().enumerate() {
        let key = |k: &str| format!("port[{i}].{k}");
        let name = p.name.get_ref();
        if name.is_empty() || name.len() > 15 || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-') {
            return Err(cx.at(p.name.span(), key("name"), format!("{name:?}: 1 to 15 of a-z, 0-9, `_`, `-`")));
        }
        if let Some(j) = raw.port[..i].iter().position(|q| q.name.get_ref() == name) {
            let (l, _) = cx.line_col(raw.port[j].name.span().start);
            return Err(cx.at(p.name.span(), key("name"), format!("port name {name:?} is already used by port[{j}] (line {l})")));
        }
        let dev = p.device.get_ref();
        check_device(dev).map_err(|m| cx.at(p.device.span(), key("device"), m))?;
        let dev_name = dev.split(',').next().unwrap_or("");
        if let Some(j) = raw.port[..i].iter().position(|q| q.device.get_ref().split(',').next() == Some(dev_name)) {
            let (l, _) = cx.line_col(raw.port[j].device.span().start);
            return Err(cx.at(p.device.span(), key("device"), format!("device {dev_name:?} is already used by port[{j}] (line {l})")));
        }
        let role = match p.role.get_ref().as_str() {
            "access" => PortRole::Access,
            "uplink" => PortRole::Uplink,
            other => return Err(cx.at(p.role.span(), key("role"), format!("{other:?}: expected \"access\" or \"uplink\""))),
        };
        let mut addresses = Vec::new();
        for (k, a) in p.addresses.iter().enumerate() {
            let akey = format!("port[{i}].addresses[{k}]");
            let (addr, len) = parse_cidr(a.get_ref()).map_err(|m| cx.at(a.span(), &akey, m))?;
            let ia = InterfaceAddress { addr, len };
            if len < 32 && (u32::from(addr) == u32::from(ia.network()) && len < 31) {
                return Err(cx.at(a.span(), &akey, format!("{addr}/{len} is the network address itself; give the port's own address in the prefix")));
            }
            let top = u32::from(addr) >> 24;
            if top == 0 || top == 127 || top >= 224 {
                return Err(cx.at(a.span(), &akey, format!("{addr} cannot be an interface address")));
            }
            for (j, other, ospan) in &all_addrs {
                if other.contains(addr) || ia.contains(other.addr) {
                    let (l, _) = cx.line_col(ospan.start);
                    return Err(cx.at(
                        a.span(),
                        &akey,
                        format!("{addr}/{len} overlaps {}/{} of port[{j}] (line {l})", other.addr, other.len),
                    ));
                }
            }
            all_addrs.push((i, ia, a.span()));
            addresses.push(ia);
        }
        if addresses.len() > dataplane::tables::MAX_ADDRS {
            return Err(cx.at(p.name.span(), key("addresses"), format!("at most {} addresses per port", dataplane::tables::MAX_ADDRS)));
        }
        let mtu = ranged(&cx, &p.mtu, &key("mtu"), 1500, 68, 9600)?;
        let mac = match &p.mac {
            Some(m) => Some(parse_mac(m.get_ref()).map_err(|e| cx.at(m.span(), key("mac"), e))?),
            None => None,
        };
        ports.push(PortConfig { name: name.clone(), device: dev.clone(), role, addresses, mtu, mac });
    }
    if ports.len() > dataplane::tables::MAX_PORTS - 1 {
        return Err(cx.at(raw.port[0].name.span(), "port", format!("at most {} ports", dataplane::tables::MAX_PORTS - 1)));
    }

    let mut routes: Vec<RouteConfig> = Vec::new();
    let mut seen: Vec<((Ipv4Addr, u8), usize)> = Vec::new();
    for (i, r) in raw.route.iter().enumerate() {
        let key = |k: &str| format!("route[{i}].{k}");
        let (prefix, len) = parse_prefix(r.prefix.get_ref()).map_err(|m| cx.at(r.prefix.span(), key("prefix"), m))?;
        if let Some((_, off)) = seen.iter().find(|(p, _)| *p == (prefix, len)) {
            let (l, _) = cx.line_col(*off);
            return Err(cx.at(r.prefix.span(), key("prefix"), format!("{prefix}/{len} is already routed at line {l}")));
        }
        seen.push(((prefix, len), r.prefix.span().start));
        let port = match &r.port {
            Some(p) => {
                if !ports.iter().any(|q| &q.name == p.get_ref()) {
                    let names: Vec<&str> = ports.iter().map(|q| q.name.as_str()).collect();
                    return Err(cx.at(p.span(), key("port"), format!("no port named {:?} (ports: {})", p.get_ref(), names.join(", "))));
                }
                Some(p.get_ref().clone())
            }
            None => None,
        };
        let via = match &r.via {
            Some(v) => {
                let nh: Ipv4Addr = v.get_ref().parse().map_err(|_| cx.at(v.span(), key("via"), format!("{:?} is not an IPv4 address", v.get_ref())))?;
                let on = ports.iter().find(|p| p.addresses.iter().any(|a| a.contains(nh) && a.addr != nh));
                match on {
                    None => {
                        return Err(cx.at(v.span(), key("via"), format!("next hop {nh} is not on any port's connected prefix")));
                    }
                    Some(p) => {
                        if let Some(named) = &port {
                            if named != &p.name {
                                return Err(cx.at(v.span(), key("via"), format!("next hop {nh} is on port {:?}, not {named:?}", p.name)));
                            }
                        }
                    }
                }
                Some(nh)
            }
            None => None,
        };
        if r.blackhole && (via.is_some() || port.is_some()) {
            return Err(cx.at(r.prefix.span(), key("blackhole"), "a blackhole route takes no `via` or `port`"));
        }
        if !r.blackhole && via.is_none() && port.is_none() {
            return Err(cx.at(r.prefix.span(), key("prefix"), "a route needs `via`, `port` or `blackhole = true`"));
        }
        routes.push(RouteConfig { prefix, len, via, port, blackhole: r.blackhole });
    }

    let tap = match &raw.exception.tap {
        Some(t) => {
            let v = t.get_ref();
            if v.is_empty() || v.len() > 15 || v.contains(['/', ' ', ':']) {
                return Err(cx.at(t.span(), "exception.tap", format!("{v:?} is not a valid interface name (1 to 15 characters)")));
            }
            v.clone()
        }
        None => "dpvpn0".into(),
    };
    let netns = match &raw.exception.netns {
        Some(n) => {
            let v = n.get_ref();
            if v.is_empty() || v.len() > 64 || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.') {
                return Err(cx.at(n.span(), "exception.netns", format!("{v:?} is not a valid namespace name")));
            }
            Some(v.clone())
        }
        None => None,
    };
    let metrics = match &raw.management.metrics {
        Some(m) => Some(
            m.get_ref()
                .parse::<SocketAddr>()
                .map_err(|_| cx.at(m.span(), "management.metrics", format!("{:?} is not an address:port", m.get_ref())))?,
        ),
        None => None,
    };
    let dp = &raw.dataplane;
    let punt_ring = ranged(&cx, &dp.punt_ring, "dataplane.punt_ring", 4096, 64, 1 << 20)?;
    if !punt_ring.is_power_of_two() {
        return Err(cx.at(dp.punt_ring.as_ref().unwrap().span(), "dataplane.punt_ring", format!("{punt_ring} is not a power of two")));
    }
    Ok(Config {
        dpdk,
        ports,
        routes,
        exception: ExceptionConfig { enabled: raw.exception.enabled, tap, netns },
        management: ManagementConfig {
            socket: raw.management.socket.map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/run/dpvpn/dpvpn.sock")),
            metrics,
        },
        dataplane: DataplaneConfig {
            fib_max_tbl8_groups: ranged(&cx, &dp.fib_max_tbl8_groups, "dataplane.fib_max_tbl8_groups", 1 << 17, 16, 1 << 24)?,
            neighbours_max: ranged(&cx, &dp.neighbours_max, "dataplane.neighbours_max", 65536, 16, 1 << 24)?,
            arp_timeout_s: ranged(&cx, &dp.arp_timeout_s, "dataplane.arp_timeout_s", 300, 5, 86400)?,
            arp_retry_ms: ranged(&cx, &dp.arp_retry_ms, "dataplane.arp_retry_ms", 1000, 10, 60000)?,
            punt_ring,
            idle_sleep_us: ranged(&cx, &dp.idle_sleep_us, "dataplane.idle_sleep_us", 0, 0, 10000)?,
            icmp_rate: ranged(&cx, &dp.icmp_rate, "dataplane.icmp_rate", 1000, 1, 1_000_000)?,
        },
        source: source.to_path_buf(),
    })
}

impl Config {
    /// EAL arguments (without device arguments: ports are hot-plugged later).
    pub fn eal_args(&self, lcores: &crate::lcores::LcoreMap) -> Vec<String> {
        let mut a: Vec<String> = vec![
            "dpvpn".into(),
            "--lcores".into(),
            lcores.eal_arg.clone(),
            "--main-lcore".into(),
            lcores.control.to_string(),
            "--file-prefix".into(),
            self.dpdk.file_prefix.clone(),
            "-m".into(),
            self.dpdk.memory_mb.to_string(),
        ];
        if self.dpdk.no_huge {
            a.push("--no-huge".into());
        }
        let pci: Vec<&PortConfig> = self.ports.iter().filter(|p| is_pci(&p.device)).collect();
        if pci.is_empty() {
            a.push("--no-pci".into());
        }
        for p in pci {
            a.push("-a".into());
            a.push(p.device.clone());
        }
        a.extend(self.dpdk.eal_args.iter().cloned());
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[dpdk]
no_huge = true

[[port]]
name = "access"
device = "net_af_packet0,iface=dpvpn-acc"
role = "access"
addresses = ["192.0.2.1/24"]

[[port]]
name = "uplink"
device = "net_af_packet1,iface=dpvpn-up"
role = "uplink"
addresses = ["198.51.100.1/24"]

[[route]]
prefix = "0.0.0.0/0"
via = "198.51.100.2"
"#;

    fn err(text: &str) -> ConfigError {
        parse(text, Path::new("t.toml")).expect_err("should fail")
    }

    fn with(extra: &str) -> String {
        format!("{GOOD}{extra}")
    }

    #[test]
    fn good_config_and_eal_args() {
        let c = parse(GOOD, Path::new("t.toml")).unwrap();
        assert_eq!(c.ports.len(), 2);
        assert_eq!(c.ports[1].addresses[0], InterfaceAddress { addr: Ipv4Addr::new(198, 51, 100, 1), len: 24 });
        assert_eq!(c.routes[0].via, Some(Ipv4Addr::new(198, 51, 100, 2)));
        assert_eq!(c.dpdk.burst, 32);
        let m = crate::lcores::parse_lcores("0-1").unwrap();
        let a = c.eal_args(&m);
        assert_eq!(
            a,
            ["dpvpn", "--lcores", "0-1", "--main-lcore", "0", "--file-prefix", "dpvpn", "-m", "1024", "--no-huge", "--no-pci"]
        );
    }

    #[test]
    fn syntax_error_names_the_line() {
        let e = err("[dpdk]\nno_huge = tru\n");
        assert_eq!((e.line, e.key.as_str()), (2, "dpdk.no_huge"), "{e}");
        assert!(e.to_string().starts_with("t.toml:2:"), "{e}");
    }

    #[test]
    fn unknown_key() {
        let e = err(&GOOD.replace("addresses = [\"192.0.2.1/24\"]", "adresses = [\"192.0.2.1/24\"]"));
        assert_eq!(e.line, 9, "{e}");
        assert!(e.message.contains("unknown field `adresses`"), "{e}");
        assert_eq!(e.key, "port[0].adresses");
    }

    #[test]
    fn wrong_type() {
        let e = err(&GOOD.replace("name = \"uplink\"", "name = \"uplink\"\nmtu = \"big\""));
        assert_eq!(e.key, "port[1].mtu", "{e}");
        assert_eq!(e.line, 13);
    }

    #[test]
    fn bad_prefix_and_host_bits() {
        let e = err(&GOOD.replace("198.51.100.1/24", "198.51.100.1/33"));
        assert_eq!((e.line, e.key.as_str()), (15, "port[1].addresses[0]"), "{e}");
        assert!(e.message.contains("prefix length 33 > 32"), "{e}");
        let e = err(&GOOD.replace("0.0.0.0/0", "10.0.0.1/8"));
        assert_eq!(e.key, "route[0].prefix");
        assert!(e.message.contains("host bits set"), "{e}");
        assert_eq!(e.line, 18);
    }

    #[test]
    fn duplicates_and_overlaps() {
        let e = err(&GOOD.replace("name = \"uplink\"", "name = \"access\""));
        assert_eq!(e.key, "port[1].name");
        assert!(e.message.contains("already used by port[0] (line 6)"), "{e}");
        let e = err(&GOOD.replace("net_af_packet1", "net_af_packet0"));
        assert!(e.message.contains("already used by port[0]"), "{e}");
        let e = err(&GOOD.replace("198.51.100.1/24", "192.0.2.200/25"));
        assert!(e.message.contains("overlaps 192.0.2.1/24 of port[0]"), "{e}");
        let e = err(&with("\n[[route]]\nprefix = \"0.0.0.0/0\"\nblackhole = true\n"));
        assert!(e.message.contains("already routed at line 18"), "{e}");
    }

    #[test]
    fn routes_must_be_reachable() {
        let e = err(&GOOD.replace("via = \"198.51.100.2\"", "via = \"203.0.113.1\""));
        assert_eq!((e.key.as_str(), e.line), ("route[0].via", 19));
        assert!(e.message.contains("not on any port's connected prefix"), "{e}");
        let e = err(&GOOD.replace("via = \"198.51.100.2\"", "port = \"wan\""));
        assert!(e.message.contains("no port named \"wan\""), "{e}");
        let e = err(&GOOD.replace("via = \"198.51.100.2\"", "via = \"198.51.100.2\"\nport = \"access\""));
        assert!(e.message.contains("is on port \"uplink\""), "{e}");
        let e = err(&GOOD.replace("via = \"198.51.100.2\"", ""));
        assert!(e.message.contains("needs `via`"), "{e}");
    }

    #[test]
    fn ranges_and_formats() {
        let e = err(&GOOD.replace("name = \"uplink\"", "name = \"uplink\"\nmtu = 20"));
        assert!(e.message.contains("20 is out of range (68..=9600)"), "{e}");
        let e = err(&GOOD.replace("name = \"uplink\"", "name = \"uplink\"\nmac = \"01:00:5e:00:00:01\""));
        assert!(e.message.contains("multicast"), "{e}");
        let e = err(&GOOD.replace("name = \"uplink\"", "name = \"uplink\"\nmac = \"zz\""));
        assert!(e.message.contains("not a MAC address"), "{e}");
        let e = err(&GOOD.replace("no_huge = true", "burst = 0"));
        assert_eq!(e.key, "dpdk.burst");
        let e = err(&GOOD.replace("no_huge = true", "mbufs = 10"));
        assert!(e.message.contains("out of range"), "{e}");
        let e = err(&GOOD.replace("no_huge = true", "rx_desc = 1000"));
        assert!(e.message.contains("not a power of two"), "{e}");
        let e = err(&GOOD.replace("net_af_packet1,iface=dpvpn-up", "eth0"));
        assert!(e.message.contains("neither a PCI address"), "{e}");
        let e = err(&GOOD.replace("role = \"uplink\"", "role = \"core\""));
        assert!(e.message.contains("expected \"access\" or \"uplink\""), "{e}");
        let e = err("[dpdk]\nno_huge = true\n");
        assert!(e.message.contains("no [[port]]"), "{e}");
    }

    #[test]
    fn pci_devices_go_to_the_eal() {
        let c = parse(&GOOD.replace("net_af_packet1,iface=dpvpn-up", "0000:01:00.0"), Path::new("t")).unwrap();
        let a = c.eal_args(&crate::lcores::parse_lcores("2-5").unwrap());
        assert!(a.windows(2).any(|w| w == ["-a", "0000:01:00.0"]));
        assert!(!a.contains(&"--no-pci".to_string()));
    }

    #[test]
    fn every_shipped_config_loads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs");
        let mut n = 0;
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "toml") {
                load(&p).unwrap_or_else(|e| panic!("{e}"));
                n += 1;
            }
        }
        assert!(n >= 2, "configs/ has {n} configurations");
    }
}
