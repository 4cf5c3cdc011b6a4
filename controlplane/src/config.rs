//! The TOML configuration: schema, defaults, and validation whose every error names the
//! file, line, column, key path and what is wrong:
//!
//! ```text
//! configs/lab.toml:12:14: port[1].addresses[0]: "198.51.100.1/33" is not an IPv4 prefix (prefix length 33 > 32)
//! ```
//!
//! Nothing here touches DPDK: a bad file stops dpvpn before the EAL starts.
//! `configs/example-full.toml` documents every key. The file is read in two steps:
//! serde turns it into `Raw*` structs that keep the byte span of every value an error may
//! have to point at (`toml::Spanned`), then [`parse`] checks values and cross-references
//! and builds the plain [`Config`].

use std::collections::HashMap;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::ops::{Range, RangeInclusive};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

/// Ports dpvpn drives; the data plane's port table has one more slot, for the exception tap
/// (`dataplane::tables::MAX_PORTS`).
pub const MAX_PORTS: usize = 31;
/// Interface addresses per port (`dataplane::tables::MAX_ADDRS`).
pub const MAX_ADDRS_PER_PORT: usize = 8;
/// `sun_path` of a Unix socket address holds 107 bytes and a NUL.
const MAX_SOCKET_PATH: usize = 107;
/// A pool element: `rte_mbuf` (128) + headroom and data room (2176, the driver's
/// `MBUF_DATA_ROOM`) + mempool header and padding, rounded up.
const MBUF_BYTES: u64 = 2560;

// ---- the checked configuration ----

#[derive(Debug, Clone)]
pub struct Config {
    pub dpdk: DpdkConfig,
    pub ports: Vec<PortConfig>,
    pub routes: Vec<RouteConfig>,
    pub exception: ExceptionConfig,
    pub management: ManagementConfig,
    pub dataplane: DataplaneConfig,
    /// The access concentrator, when `[pppoe]` is present.
    pub pppoe: Option<PppoeConfig>,
    /// Subscriber address pools (`[[pool]]`).
    pub pools: Vec<crate::pool::PoolConfig>,
    /// Synthetic sessions, routes and a static neighbour for benchmarks (`[bench]`).
    pub bench: Option<BenchConfig>,
    /// The file it was read from.
    pub source: PathBuf,
}

/// How subscribers authenticate, in the order LCP offers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Pap,
    ChapMd5,
}

/// `[pppoe]`: the PPPoE access concentrator (RFC 2516) and the PPP it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PppoeConfig {
    /// AC-Name in PADO.
    pub ac_name: String,
    /// Service-Names offered; the empty name means "any service" (RFC 2516 §5.1).
    pub service_names: Vec<String>,
    pub max_sessions_per_mac: u32,
    /// PADIs per second accepted from one MAC and on one port.
    pub padi_rate_per_mac: u32,
    pub padi_rate_per_port: u32,
    /// The MRU we ask for (RFC 2516 §7: at most 1492 without RFC 4638).
    pub mru: u16,
    /// Agree to PPP-Max-Payload (RFC 4638) up to the access port's MTU − 8.
    pub ppp_max_payload: bool,
    pub auth: Vec<AuthMethod>,
    /// LCP Echo-Request interval (0: no keepalive) and misses before teardown.
    pub echo_interval_s: u32,
    pub echo_failures: u32,
    /// Workers answer subscribers' Echo-Requests.
    pub echo_offload: bool,
    /// Clamp TCP MSS on SYNs to this (None: off).
    pub mss_clamp: Option<u16>,
    /// Our IPCP address (the subscribers' gateway).
    pub gateway: Ipv4Addr,
    /// DNS servers handed out by IPCP (RFC 1877), at most two.
    pub dns: Vec<Ipv4Addr>,
    /// The pool for users the users file gives no address or pool.
    pub default_pool: String,
    /// The local users file (resolved against the configuration's directory).
    pub users_file: PathBuf,
    /// Sessions that may be authenticating or negotiating at once.
    pub max_pending: u32,
}

/// `[bench]`: tables filled at start-up for data-path benchmarks (perf/ dpvpn-bench). No
/// control plane runs for these sessions: no discovery, LCP or IPCP, no keepalive.
///
/// Synthetic session `i` (0-based) arrives on `access_port` from MAC
/// `02:be:XX:XX:XX:XX` (the low four bytes are `i` big-endian), with PPPoE session id
/// `1 + i % 65535`, on 802.1Q VLAN `first_vlan + i % vlans` (untagged when `first_vlan` is
/// absent), and owns the address `address_base + i`, routed as a /32.
/// Synthetic route `j` is `route_base + j * 256` /24 via `neighbour`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchConfig {
    pub pppoe_sessions: u32,
    /// The access port's name.
    pub access_port: String,
    pub first_vlan: Option<u16>,
    pub vlans: u16,
    pub address_base: Ipv4Addr,
    pub routes: u32,
    pub route_base: Ipv4Addr,
    /// A neighbour whose MAC is fixed (never resolved by ARP): next hop of the synthetic
    /// routes and of static routes through it. Port, address, MAC.
    pub neighbour: Option<(String, Ipv4Addr, [u8; 6])>,
}

impl BenchConfig {
    /// Session `i`'s MAC.
    pub fn session_mac(i: u32) -> [u8; 6] {
        let b = i.to_be_bytes();
        [0x02, 0xbe, b[0], b[1], b[2], b[3]]
    }
    /// Session `i`'s PPPoE session id.
    pub fn session_id(i: u32) -> u16 {
        1 + (i % 65535) as u16
    }
    /// Session `i`'s VLAN (None: untagged).
    pub fn session_vlan(&self, i: u32) -> Option<u16> {
        self.first_vlan.map(|v| v + (i % u32::from(self.vlans)) as u16)
    }
    /// Session `i`'s address.
    pub fn session_address(&self, i: u32) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.address_base) + i)
    }
    /// Synthetic route `j`'s network (a /24).
    pub fn route_prefix(&self, j: u32) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.route_base) + (j << 8))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortRole {
    /// Faces subscribers.
    Access,
    /// Faces the network.
    Uplink,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortConfig {
    pub name: String,
    /// DPDK device arguments: a PCI address or a virtual device.
    pub device: String,
    pub role: PortRole,
    pub addresses: Vec<InterfaceAddress>,
    pub mtu: u16,
    /// Overrides the device's own MAC.
    pub mac: Option<[u8; 6]>,
}

/// An interface address `addr/len`: the port's own address and its connected prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterfaceAddress {
    pub addr: Ipv4Addr,
    pub len: u8,
}

impl InterfaceAddress {
    pub fn mask(&self) -> u32 {
        mask(self.len)
    }
    /// The connected prefix's network address.
    pub fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) & self.mask())
    }
    /// The connected prefix's broadcast address.
    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) | !self.mask())
    }
    /// Whether `ip` is inside the connected prefix.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        (u32::from(ip) ^ u32::from(self.addr)) & self.mask() == 0
    }
    /// Whether the two connected prefixes share any address.
    pub fn overlaps(&self, other: &InterfaceAddress) -> bool {
        self.contains(other.addr) || other.contains(self.addr)
    }
}

impl fmt::Display for InterfaceAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

/// A static route. Exactly one of: `blackhole`, or at least one of `via` / `port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteConfig {
    /// Network address (no host bits).
    pub prefix: Ipv4Addr,
    pub len: u8,
    /// Next hop, inside a connected prefix (of `port`, when both are given).
    pub via: Option<Ipv4Addr>,
    /// Egress port; alone, the prefix's hosts are reached directly on it.
    pub port: Option<String>,
    pub blackhole: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionConfig {
    pub enabled: bool,
    pub tap: String,
    /// Network namespace for the tap's kernel side (created if missing); `None` keeps it
    /// in dpvpn's own namespace.
    pub netns: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagementConfig {
    pub socket: PathBuf,
    pub metrics: Option<SocketAddr>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// Subscriber sessions the data plane holds (its session table is sized at start).
    pub max_sessions: u32,
    /// PPPoE discovery frames per second each worker passes to the control core.
    pub pppoe_discovery_rate: u64,
    /// PPP control frames (LCP, authentication, NCPs) per second each worker passes to
    /// the control core.
    pub ppp_control_rate: u64,
}

// ---- errors ----

/// A configuration error, located. `Display`:
/// `FILE:LINE:COLUMN: KEY: MESSAGE`, or `cannot read FILE: ERROR` when the file could not
/// be read (then `line` and `column` are 0).
#[derive(Debug)]
pub struct ConfigError {
    pub file: PathBuf,
    /// 1-based; 0 when the file could not be read.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// Key path, e.g. `port[1].addresses[0]`; `port[1]` is the second `[[port]]` table.
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            return f.write_str(&self.message);
        }
        write!(f, "{}:{}:{}: ", self.file.display(), self.line, self.column)?;
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

// ---- helpers shared with management (`route add`) ----

fn mask(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - len.min(32))
    }
}

/// `a.b.c.d/len` with the host part allowed (an interface address).
fn parse_cidr(s: &str) -> Result<(Ipv4Addr, u8), String> {
    let Some((a, l)) = s.split_once('/') else {
        return Err(format!(
            "{s:?} is not an IPv4 prefix: write address/length, e.g. 192.0.2.1/24"
        ));
    };
    let addr: Ipv4Addr = a
        .parse()
        .map_err(|_| format!("{s:?} is not an IPv4 prefix ({a:?} is not an IPv4 address)"))?;
    if l.is_empty() || l.len() > 2 || !l.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "{s:?} is not an IPv4 prefix ({l:?} is not a prefix length 0..32)"
        ));
    }
    let len: u8 = l.parse().expect("one or two digits");
    if len > 32 {
        return Err(format!(
            "{s:?} is not an IPv4 prefix (prefix length {len} > 32)"
        ));
    }
    Ok((addr, len))
}

/// A route prefix `network/len`: (network, len). Host bits must be zero; the error says
/// which are set and what the network would be.
pub fn parse_prefix(s: &str) -> Result<(Ipv4Addr, u8), String> {
    let (a, len) = parse_cidr(s)?;
    let host = u32::from(a) & !mask(len);
    if host != 0 {
        return Err(format!(
            "{s:?} has host bits set: {} lies outside the /{len} mask (the network is {}/{len})",
            Ipv4Addr::from(host),
            Ipv4Addr::from(u32::from(a) & mask(len))
        ));
    }
    Ok((a, len))
}

/// A unicast MAC address `aa:bb:cc:dd:ee:ff` (hex digits in either case). Multicast and
/// all-zero addresses are refused: neither can be a port's or a neighbour's address.
pub fn parse_mac(s: &str) -> Result<[u8; 6], String> {
    let bad = || format!("{s:?} is not a MAC address (six hex pairs like 02:00:00:00:00:01)");
    let mut m = [0u8; 6];
    let mut parts = s.split(':');
    for byte in m.iter_mut() {
        let p = parts.next().ok_or_else(bad)?;
        if p.len() != 2 || !p.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        *byte = u8::from_str_radix(p, 16).map_err(|_| bad())?;
    }
    if parts.next().is_some() {
        return Err(bad());
    }
    if m[0] & 1 != 0 {
        return Err(format!("{s:?} is a multicast MAC address (lowest bit of the first byte set); a unicast one is needed"));
    }
    if m == [0; 6] {
        return Err(format!("{s:?} is the all-zero MAC address"));
    }
    Ok(m)
}

/// `DDDD:BB:DD.F` or `BB:DD.F` (before any `,args`), normalised to `dddd:bb:dd.f`.
fn pci_address(dev: &str) -> Option<String> {
    let name = dev.split(',').next().unwrap_or("");
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|c| c.is_ascii_hexdigit());
    let parts: Vec<&str> = name.split(':').collect();
    let (domain, bus, dev_fn) = match parts.as_slice() {
        [d, b, df] => (*d, *b, *df),
        [b, df] => ("0000", *b, *df),
        _ => return None,
    };
    let (slot, func) = dev_fn.split_once('.')?;
    let slot_ok = hex(slot, 2) && u8::from_str_radix(slot, 16).is_ok_and(|s| s < 32);
    let func_ok = func.len() == 1 && matches!(func.as_bytes()[0], b'0'..=b'7');
    (hex(domain, 4) && hex(bus, 2) && slot_ok && func_ok)
        .then(|| format!("{domain}:{bus}:{slot}.{func}").to_ascii_lowercase())
}

/// The identity of a device, for "used twice" checks: the normalised PCI address or the
/// vdev name (the part before the first comma).
fn device_identity(dev: &str) -> String {
    pci_address(dev).unwrap_or_else(|| dev.split(',').next().unwrap_or("").to_string())
}

fn check_device(dev: &str) -> Result<(), String> {
    let shape = "a device is a PCI address (0000:01:00.0 or 01:00.0) or a virtual device \
                 net_<driver><N>[,key=value...] (e.g. net_af_packet0,iface=eth1)";
    if dev.is_empty() {
        return Err(format!("the device is empty: {shape}"));
    }
    let mut parts = dev.split(',');
    let name = parts.next().unwrap_or("");
    if pci_address(dev).is_none() {
        let driver = name.strip_prefix("net_").unwrap_or("");
        let digits = driver.len() - driver.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let stem = &driver[..driver.len() - digits];
        let ok = !stem.is_empty()
            && stem.starts_with(|c: char| c.is_ascii_lowercase())
            && stem
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && digits > 0;
        if !ok {
            return Err(format!("{name:?} is not a device: {shape}"));
        }
    }
    for kv in parts {
        if kv.split_once('=').is_none_or(|(k, _)| k.is_empty()) {
            return Err(format!(
                "device argument {kv:?} in {dev:?} is not key=value"
            ));
        }
    }
    Ok(())
}

/// `iface=NAME` of a virtual device, if any: the kernel interface it drives.
fn device_iface(dev: &str) -> Option<&str> {
    dev.split(',')
        .skip(1)
        .find_map(|kv| kv.strip_prefix("iface="))
}

fn valid_ifname(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 15
        && v != "."
        && v != ".."
        && v.bytes()
            .all(|b| b.is_ascii_graphic() && b != b'/' && b != b':')
}

// ---- what the file holds, before validation ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
struct RawConfig {
    #[serde(default)]
    dpdk: RawDpdk,
    #[serde(default)]
    port: Vec<Spanned<RawPort>>,
    #[serde(default)]
    route: Vec<Spanned<RawRoute>>,
    #[serde(default)]
    exception: RawException,
    #[serde(default)]
    management: RawManagement,
    #[serde(default)]
    dataplane: RawDataplane,
    pppoe: Option<Spanned<RawPppoe>>,
    #[serde(default)]
    pool: Vec<Spanned<RawPool>>,
    bench: Option<Spanned<RawBench>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
struct RawBench {
    pppoe_sessions: Int,
    access_port: Text,
    first_vlan: Int,
    vlans: Int,
    address_base: Text,
    routes: Int,
    route_base: Text,
    neighbour: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
struct RawPppoe {
    ac_name: Text,
    service_names: Option<Vec<Spanned<String>>>,
    max_sessions_per_mac: Int,
    padi_rate_per_mac: Int,
    padi_rate_per_port: Int,
    mru: Int,
    ppp_max_payload: Option<Spanned<bool>>,
    auth: Option<Spanned<Vec<Spanned<String>>>>,
    echo_interval_s: Int,
    echo_failures: Int,
    echo_offload: Option<Spanned<bool>>,
    mss_clamp: Int,
    gateway: Text,
    #[serde(default)]
    dns: Vec<Spanned<String>>,
    pool: Text,
    users_file: Spanned<String>,
    max_pending: Int,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
struct RawPool {
    name: Spanned<String>,
    ranges: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    skip_prefix_ends: Option<bool>,
    skip_dot0_dot255: Option<bool>,
}

type Int = Option<Spanned<i64>>;
type Text = Option<Spanned<String>>;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, expecting = "a table")]
struct RawDpdk {
    no_huge: Option<Spanned<bool>>,
    memory_mb: Int,
    file_prefix: Text,
    #[serde(default)]
    eal_args: Vec<Spanned<String>>,
    mbufs: Int,
    mbuf_cache: Int,
    rx_desc: Int,
    tx_desc: Int,
    burst: Int,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
struct RawPort {
    name: Spanned<String>,
    device: Spanned<String>,
    role: Spanned<String>,
    #[serde(default)]
    addresses: Vec<Spanned<String>>,
    mtu: Int,
    mac: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
struct RawRoute {
    prefix: Spanned<String>,
    via: Text,
    port: Text,
    blackhole: Option<Spanned<bool>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, expecting = "a table")]
struct RawException {
    enabled: Option<bool>,
    tap: Text,
    netns: Text,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, expecting = "a table")]
struct RawManagement {
    socket: Text,
    metrics: Text,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, expecting = "a table")]
struct RawDataplane {
    fib_max_tbl8_groups: Int,
    neighbours_max: Int,
    arp_timeout_s: Int,
    arp_retry_ms: Int,
    punt_ring: Int,
    idle_sleep_us: Int,
    icmp_rate: Int,
    max_sessions: Int,
    pppoe_discovery_rate: Int,
    ppp_control_rate: Int,
}

// ---- locating errors ----

struct Ctx<'a> {
    text: &'a str,
    file: &'a Path,
}

impl Ctx<'_> {
    /// 1-based line and column (in characters) of a byte offset.
    fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (
            before.matches('\n').count() + 1,
            before[line_start..].chars().count() + 1,
        )
    }

    fn line(&self, span: &Range<usize>) -> usize {
        self.line_col(span.start).0
    }

    fn at(
        &self,
        span: Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> ConfigError {
        let (line, column) = self.line_col(span.start);
        ConfigError {
            file: self.file.to_path_buf(),
            line,
            column,
            key: key.into(),
            message: message.into(),
        }
    }

    /// An error from the TOML parser or from serde, with the key path worked out from the
    /// span it carries.
    fn toml_error(&self, e: &toml::de::Error) -> ConfigError {
        let span = e.span().unwrap_or(0..0);
        let message = tidy_serde_message(e.message());
        let mut key = match toml::from_str::<tree::Node>(self.text) {
            Ok(root) => root.path_at(&span),
            // Not even TOML: read the key off the text.
            Err(_) => self.key_from_text(span.start),
        };
        // The span of an unknown or duplicate key is the key itself, inside its table.
        let named = ["unknown key `", "duplicate key `"]
            .iter()
            .find_map(|p| message.strip_prefix(p).and_then(|r| r.split('`').next()));
        if let Some(name) = named.map(key_segment) {
            if key != name && !key.ends_with(&format!(".{name}")) {
                key = if key.is_empty() {
                    name
                } else {
                    format!("{key}.{name}")
                };
            }
        }
        self.at(span, key, message)
    }

    /// The key path at `offset` for text that does not parse: the table header in force
    /// (counting `[[array]]` entries) and the `key =` on the offset's line.
    fn key_from_text(&self, offset: usize) -> String {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line_start = self.text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let line_end = self.text[offset..]
            .find('\n')
            .map_or(self.text.len(), |i| offset + i);
        let mut table = String::new();
        let mut counts: HashMap<String, usize> = HashMap::new();
        for l in self.text[..line_end].lines() {
            let t = l.trim();
            if let Some(name) = t.strip_prefix("[[").and_then(|r| r.split("]]").next()) {
                let n = counts.entry(name.trim().to_string()).or_insert(0);
                table = format!("{}[{}]", name.trim(), *n);
                *n += 1;
            } else if let Some(name) = t.strip_prefix('[').and_then(|r| r.split(']').next()) {
                table = name.trim().to_string();
            }
        }
        let line = self.text[line_start..line_end].trim();
        let key = match line.split_once('=') {
            Some((k, _)) if !line.starts_with('[') && !line.starts_with('#') => k.trim(),
            _ => "",
        };
        match (table.is_empty(), key.is_empty()) {
            (_, true) => table,
            (true, false) => key.to_string(),
            (false, false) => format!("{table}.{key}"),
        }
    }

    /// An integer key: its default when absent, else checked against `range`.
    fn int<T: TryFrom<i64> + Copy>(
        &self,
        v: &Int,
        key: &str,
        default: T,
        range: RangeInclusive<i64>,
    ) -> Result<T, ConfigError> {
        let Some(s) = v else { return Ok(default) };
        let x = *s.get_ref();
        if !range.contains(&x) {
            let (lo, hi) = (range.start(), range.end());
            let size = if x < *lo { "small" } else { "large" };
            return Err(self.at(
                s.span(),
                key,
                format!("{x} is too {size} (the range is {lo}..={hi})"),
            ));
        }
        Ok(T::try_from(x).ok().expect("range fits the type"))
    }

    fn power_of_two<T: TryFrom<i64> + Copy + Into<u64>>(
        &self,
        v: &Int,
        key: &str,
        default: T,
        range: RangeInclusive<i64>,
    ) -> Result<T, ConfigError> {
        let x = self.int(v, key, default, range)?;
        let n: u64 = x.into();
        if !n.is_power_of_two() {
            let span = v.as_ref().map_or(0..0, |s| s.span());
            let below = 1u64 << (63 - n.leading_zeros());
            return Err(self.at(
                span,
                key,
                format!("{n} is not a power of two (e.g. {below} or {})", below * 2),
            ));
        }
        Ok(x)
    }
}

/// A key as it appears in a key path: bare if TOML allows it bare, else quoted.
fn key_segment(k: &str) -> String {
    if !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        k.to_string()
    } else {
        format!("{k:?}")
    }
}

/// Serde's words for TOML's, and no Rust type names.
fn tidy_serde_message(m: &str) -> String {
    let m = m
        .trim()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    let m = m
        .replace("missing field `", "missing key `")
        .replace("unknown field `", "unknown key `")
        .replace("expected i64", "expected an integer")
        .replace("expected a sequence", "expected an array")
        .replace("invalid type: sequence", "invalid type: array")
        .replace("invalid type: map", "invalid type: table")
        .replace("floating point", "float");
    match suggestion(&m) {
        Some(s) => format!("{m} (did you mean `{s}`?)"),
        None => m,
    }
}

/// For "unknown key `adresses`, expected one of `name`, `addresses`, ...": the expected
/// key closest to the typo, if it is close.
fn suggestion(m: &str) -> Option<&str> {
    let rest = m.strip_prefix("unknown key `")?;
    let (typo, rest) = rest.split_once('`')?;
    let expected = rest.split_once("expected")?.1;
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|k| (edit_distance(typo, k), k))
        .filter(|&(d, k)| d <= 2.max(k.len() / 4))
        .min()
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let up = row[j + 1];
            row[j + 1] = (diag + usize::from(ca != *cb)).min(row[j] + 1).min(up + 1);
            diag = up;
        }
    }
    row[b.len()]
}

/// The document as a tree of value spans, to name the key path of a serde error's span.
///
/// `toml::Spanned` cannot hold every node: an implicit table (`[a.b]` makes `a`, dotted
/// keys make their parents) has no span, and `Spanned` refuses it. So this speaks the
/// `serde_spanned` protocol (`serde_spanned::__unstable`: a struct of that name whose map
/// carries start, end and value) and takes a plain value when the parser offers no span.
/// Should the protocol change, every span is `None` and [`Ctx::key_from_text`] answers.
mod tree {
    use std::ops::Range;

    use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

    const NAME: &str = "$__serde_spanned_private_Spanned";
    const START: &str = "$__serde_spanned_private_start";
    const END: &str = "$__serde_spanned_private_end";
    const VALUE: &str = "$__serde_spanned_private_value";

    pub struct Node {
        span: Option<Range<usize>>,
        kind: Kind,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Shape {
        Table,
        Array,
        Value,
    }

    enum Kind {
        Table(Vec<(String, Node)>),
        Array(Vec<Node>),
        Leaf,
    }

    impl Node {
        fn plain(kind: Kind) -> Node {
            Node { span: None, kind }
        }

        /// The top-level keys, with where they are and whether they are a table or an array.
        pub fn top_level(&self) -> Vec<(&str, Range<usize>, Shape)> {
            let Kind::Table(entries) = &self.kind else {
                return Vec::new();
            };
            entries
                .iter()
                .map(|(k, v)| {
                    let shape = match v.kind {
                        Kind::Table(_) => Shape::Table,
                        Kind::Array(_) => Shape::Array,
                        Kind::Leaf => Shape::Value,
                    };
                    (k.as_str(), v.first_span().unwrap_or(0..0), shape)
                })
                .collect()
        }

        /// Its own span, or the first one inside it (implicit tables have none).
        fn first_span(&self) -> Option<Range<usize>> {
            self.span.clone().or_else(|| match &self.kind {
                Kind::Table(entries) => entries.iter().find_map(|(_, v)| v.first_span()),
                Kind::Array(items) => items.iter().find_map(Node::first_span),
                Kind::Leaf => None,
            })
        }

        /// The path of the innermost value whose span holds `span.start`.
        pub fn path_at(&self, span: &Range<usize>) -> String {
            let mut best: Option<(usize, usize, String)> = None;
            self.visit(String::new(), 0, span.start, &mut best);
            best.map(|(_, _, p)| p).unwrap_or_default()
        }

        fn visit(
            &self,
            path: String,
            depth: usize,
            at: usize,
            best: &mut Option<(usize, usize, String)>,
        ) {
            if let Some(s) = &self.span {
                if s.start <= at && at < s.end.max(s.start + 1) {
                    let len = s.end - s.start;
                    if best
                        .as_ref()
                        .is_none_or(|(l, d, _)| len < *l || (len == *l && depth > *d))
                    {
                        *best = Some((len, depth, path.clone()));
                    }
                }
            }
            match &self.kind {
                Kind::Table(entries) => {
                    for (k, v) in entries {
                        let k = super::key_segment(k);
                        let p = if path.is_empty() {
                            k
                        } else {
                            format!("{path}.{k}")
                        };
                        v.visit(p, depth + 1, at, best);
                    }
                }
                Kind::Array(items) => {
                    for (i, v) in items.iter().enumerate() {
                        v.visit(format!("{path}[{i}]"), depth + 1, at, best);
                    }
                }
                Kind::Leaf => {}
            }
        }
    }

    impl<'de> serde::Deserialize<'de> for Node {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
            d.deserialize_struct(NAME, &[START, END, VALUE], NodeVisitor)
        }
    }

    /// The value inside a spanned map: a node without asking for a span again.
    struct Inner;

    impl<'de> DeserializeSeed<'de> for Inner {
        type Value = Node;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
            d.deserialize_any(NodeVisitor)
        }
    }

    struct NodeVisitor;

    impl<'de> Visitor<'de> for NodeVisitor {
        type Value = Node;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a TOML value")
        }
        fn visit_bool<E>(self, _: bool) -> Result<Node, E> {
            Ok(Node::plain(Kind::Leaf))
        }
        fn visit_i64<E>(self, _: i64) -> Result<Node, E> {
            Ok(Node::plain(Kind::Leaf))
        }
        fn visit_u64<E>(self, _: u64) -> Result<Node, E> {
            Ok(Node::plain(Kind::Leaf))
        }
        fn visit_f64<E>(self, _: f64) -> Result<Node, E> {
            Ok(Node::plain(Kind::Leaf))
        }
        fn visit_str<E>(self, _: &str) -> Result<Node, E> {
            Ok(Node::plain(Kind::Leaf))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
            let mut items = Vec::new();
            while let Some(v) = seq.next_element()? {
                items.push(v);
            }
            Ok(Node::plain(Kind::Array(items)))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
            let mut entries = Vec::new();
            let (mut start, mut end, mut value) = (None, None, None);
            while let Some(k) = map.next_key::<String>()? {
                match k.as_str() {
                    START if entries.is_empty() => start = Some(map.next_value::<usize>()?),
                    END if entries.is_empty() => end = Some(map.next_value::<usize>()?),
                    VALUE if entries.is_empty() => value = Some(map.next_value_seed(Inner)?),
                    _ => entries.push((k, map.next_value()?)),
                }
            }
            Ok(match (start, end, value) {
                (Some(s), Some(e), Some(mut v)) => {
                    v.span = Some(s..e);
                    v
                }
                _ => Node::plain(Kind::Table(entries)),
            })
        }
    }
}

// ---- reading and checking ----

/// Read and check the configuration file.
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

/// Check configuration text; `source` names it in errors.
pub fn parse(text: &str, source: &Path) -> Result<Config, ConfigError> {
    let cx = Ctx { text, file: source };
    check_shapes(&cx)?;
    let raw: RawConfig = toml::from_str(text).map_err(|e| cx.toml_error(&e))?;
    let dpdk = check_dpdk(&cx, &raw.dpdk)?;
    let ports = check_ports(&cx, &raw.port)?;
    let routes = check_routes(&cx, &raw.route, &raw.port, &ports)?;
    let exception = check_exception(&cx, &raw.exception, &ports)?;
    let management = check_management(&cx, &raw.management)?;
    let dataplane = check_dataplane(&cx, &raw.dataplane)?;
    let pools = check_pools(&cx, &raw.pool)?;
    let pppoe = match &raw.pppoe {
        Some(p) => Some(check_pppoe(&cx, p, &ports, &pools)?),
        None => None,
    };
    let bench = match &raw.bench {
        Some(b) => Some(check_bench(&cx, b, &ports, dataplane.max_sessions)?),
        None => None,
    };
    Ok(Config {
        dpdk,
        ports,
        routes,
        exception,
        management,
        dataplane,
        pppoe,
        pools,
        bench,
        source: source.to_path_buf(),
    })
}

/// `[[dpdk]]` for `[dpdk]` or `[port]` for `[[port]]`: serde would answer about the first
/// field inside, without a place, so say it here.
fn check_shapes(cx: &Ctx) -> Result<(), ConfigError> {
    let Ok(root) = toml::from_str::<tree::Node>(cx.text) else {
        return Ok(());
    };
    for (key, span, shape) in root.top_level() {
        let message = match (key, shape) {
            ("dpdk" | "exception" | "management" | "dataplane" | "pppoe" | "bench", tree::Shape::Array) => {
                format!("`{key}` is an array here; it is one table: write [{key}], not [[{key}]]")
            }
            ("port" | "route" | "pool", tree::Shape::Table) => {
                format!("`{key}` is a single table here; it is an array of tables: write [[{key}]], once per {key}")
            }
            _ => continue,
        };
        return Err(cx.at(span, key, message));
    }
    Ok(())
}

/// EAL options that dpvpn sets itself from the configuration and `--lcores`.
const EAL_OWN_OPTIONS: &[(&str, &str)] = &[
    ("-l", "use dpvpn --lcores"),
    ("-c", "use dpvpn --lcores"),
    ("--lcores", "use dpvpn --lcores"),
    (
        "--main-lcore",
        "the first lcore of --lcores is the main (control) lcore",
    ),
    (
        "--master-lcore",
        "the first lcore of --lcores is the main (control) lcore",
    ),
    ("--file-prefix", "use dpdk.file_prefix"),
    ("-m", "use dpdk.memory_mb"),
    (
        "--socket-mem",
        "use dpdk.memory_mb (the EAL refuses -m with --socket-mem)",
    ),
    ("--no-huge", "use dpdk.no_huge"),
    ("--no-pci", "dpvpn adds it when no port is a PCI device"),
];

fn check_dpdk(cx: &Ctx, d: &RawDpdk) -> Result<DpdkConfig, ConfigError> {
    let file_prefix = match &d.file_prefix {
        Some(s) => {
            let v = s.get_ref();
            if v.is_empty()
                || v.len() > 64
                || !v
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
            {
                return Err(cx.at(
                    s.span(),
                    "dpdk.file_prefix",
                    format!("{v:?} is not a file prefix: use 1 to 64 letters, digits, `_` and `-`"),
                ));
            }
            v.clone()
        }
        None => "dpvpn".into(),
    };
    for (i, a) in d.eal_args.iter().enumerate() {
        let arg = a.get_ref().as_str();
        let own = EAL_OWN_OPTIONS.iter().find(|(opt, _)| {
            arg == *opt
                || arg.strip_prefix(opt).is_some_and(|rest| {
                    if opt.starts_with("--") {
                        rest.starts_with('=')
                    } else {
                        !rest.is_empty() && !rest.starts_with('-')
                    }
                })
        });
        if let Some((opt, instead)) = own {
            return Err(cx.at(
                a.span(),
                format!("dpdk.eal_args[{i}]"),
                format!("dpvpn sets the EAL option {opt} itself: {instead}"),
            ));
        }
    }
    let memory_mb: u32 = cx.int(&d.memory_mb, "dpdk.memory_mb", 1024, 64..=1 << 20)?;
    let mbufs: u32 = cx.int(&d.mbufs, "dpdk.mbufs", 32767, 1024..=1 << 26)?;
    let pool_mb = (u64::from(mbufs) * MBUF_BYTES).div_ceil(1 << 20);
    if pool_mb > u64::from(memory_mb) {
        let (span, key) = match (&d.mbufs, &d.memory_mb) {
            (Some(m), _) => (m.span(), "dpdk.mbufs"),
            (None, Some(m)) => (m.span(), "dpdk.memory_mb"),
            (None, None) => unreachable!("the defaults fit"),
        };
        return Err(cx.at(
            span,
            key,
            format!(
                "{mbufs} mbufs take about {pool_mb} MiB, more than dpdk.memory_mb = {memory_mb}: \
                 raise memory_mb or lower mbufs"
            ),
        ));
    }
    Ok(DpdkConfig {
        no_huge: d.no_huge.as_ref().is_some_and(|b| *b.get_ref()),
        memory_mb,
        file_prefix,
        eal_args: d.eal_args.iter().map(|a| a.get_ref().clone()).collect(),
        mbufs,
        // DPDK: RTE_MEMPOOL_CACHE_MAX_SIZE.
        mbuf_cache: cx.int(&d.mbuf_cache, "dpdk.mbuf_cache", 256, 0..=512)?,
        rx_desc: cx.power_of_two(&d.rx_desc, "dpdk.rx_desc", 1024u16, 64..=16384)?,
        tx_desc: cx.power_of_two(&d.tx_desc, "dpdk.tx_desc", 1024u16, 64..=16384)?,
        burst: cx.int(&d.burst, "dpdk.burst", 32, 1..=64)?,
    })
}

/// Where an interface address was written, for messages that point back at it.
struct AddrSite {
    port: usize,
    index: usize,
    addr: InterfaceAddress,
    line: usize,
}

impl AddrSite {
    fn key(&self) -> String {
        format!("port[{}].addresses[{}]", self.port, self.index)
    }
}

fn check_ports(cx: &Ctx, raw: &[Spanned<RawPort>]) -> Result<Vec<PortConfig>, ConfigError> {
    if raw.is_empty() {
        let (line, column) = cx.line_col(cx.text.len());
        return Err(ConfigError {
            file: cx.file.to_path_buf(),
            line,
            column,
            key: "port".into(),
            message: "no [[port]] table: dpvpn needs at least one port".into(),
        });
    }
    if raw.len() > MAX_PORTS {
        return Err(cx.at(
            raw[MAX_PORTS].span(),
            format!("port[{MAX_PORTS}]"),
            format!("at most {MAX_PORTS} ports"),
        ));
    }
    let mut ports: Vec<PortConfig> = Vec::new();
    let mut sites: Vec<AddrSite> = Vec::new();
    for (i, p) in raw.iter().enumerate() {
        let p = p.get_ref();
        let key = |k: &str| format!("port[{i}].{k}");

        let name = p.name.get_ref();
        if name.is_empty()
            || name.len() > 15
            || !name
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_' || c == b'-')
        {
            return Err(cx.at(
                p.name.span(),
                key("name"),
                format!("{name:?} is not a port name: use 1 to 15 of a-z, 0-9, `_` and `-`"),
            ));
        }
        if let Some(j) = raw[..i]
            .iter()
            .position(|q| q.get_ref().name.get_ref() == name)
        {
            let first = &raw[j].get_ref().name;
            return Err(cx.at(
                p.name.span(),
                key("name"),
                format!(
                    "port name {name:?} is already used by port[{j}] (line {})",
                    cx.line(&first.span())
                ),
            ));
        }

        let device = p.device.get_ref();
        check_device(device).map_err(|m| cx.at(p.device.span(), key("device"), m))?;
        let identity = device_identity(device);
        if let Some(j) = raw[..i]
            .iter()
            .position(|q| device_identity(q.get_ref().device.get_ref()) == identity)
        {
            let first = &raw[j].get_ref().device;
            return Err(cx.at(
                p.device.span(),
                key("device"),
                format!(
                    "device {identity:?} is already used by port[{j}] {:?} (line {})",
                    ports[j].name,
                    cx.line(&first.span())
                ),
            ));
        }

        let role = match p.role.get_ref().as_str() {
            "access" => PortRole::Access,
            "uplink" => PortRole::Uplink,
            other => {
                return Err(cx.at(
                    p.role.span(),
                    key("role"),
                    format!("{other:?} is not a role: \"access\" or \"uplink\""),
                ))
            }
        };

        if p.addresses.len() > MAX_ADDRS_PER_PORT {
            let extra = &p.addresses[MAX_ADDRS_PER_PORT];
            return Err(cx.at(
                extra.span(),
                format!("port[{i}].addresses[{MAX_ADDRS_PER_PORT}]"),
                format!("at most {MAX_ADDRS_PER_PORT} addresses per port"),
            ));
        }
        let mut addresses = Vec::new();
        for (k, a) in p.addresses.iter().enumerate() {
            let akey = format!("port[{i}].addresses[{k}]");
            let text = a.get_ref();
            let (addr, len) = parse_cidr(text).map_err(|m| cx.at(a.span(), &akey, m))?;
            let ia = InterfaceAddress { addr, len };
            let top = addr.octets()[0];
            let why = if len == 0 {
                Some("a /0 prefix covers everything; give the port's address with its subnet length, e.g. 192.0.2.1/24".into())
            } else if top == 0 || top == 127 || addr.is_multicast() || top >= 240 {
                Some(format!("{addr} cannot be an interface address (0/8, 127/8, multicast and 240/4 are not usable)"))
            } else if len <= 30 && addr == ia.network() {
                Some(format!(
                    "{addr} is the network address of {}/{len}; give the port's own address, e.g. {}/{len}",
                    ia.network(),
                    Ipv4Addr::from(u32::from(addr) + 1)
                ))
            } else if len <= 30 && addr == ia.broadcast() {
                Some(format!(
                    "{addr} is the broadcast address of {}/{len}; give the port's own address",
                    ia.network()
                ))
            } else {
                None
            };
            if let Some(why) = why {
                return Err(cx.at(a.span(), &akey, format!("{text:?}: {why}")));
            }
            if let Some(other) = sites.iter().find(|s| s.addr.overlaps(&ia)) {
                let whose = if other.port == i {
                    "this port".to_string()
                } else {
                    format!("port {:?}", ports[other.port].name)
                };
                return Err(cx.at(
                    a.span(),
                    &akey,
                    format!(
                        "{ia} overlaps {} of {whose} ({}, line {}): {}",
                        other.addr,
                        other.key(),
                        other.line,
                        if (ia.network(), len) == (other.addr.network(), other.addr.len) {
                            format!(
                                "both are in {}/{len}; give one address per subnet",
                                ia.network()
                            )
                        } else {
                            format!(
                                "the connected prefixes {}/{len} and {}/{} share addresses",
                                ia.network(),
                                other.addr.network(),
                                other.addr.len
                            )
                        }
                    ),
                ));
            }
            sites.push(AddrSite {
                port: i,
                index: k,
                addr: ia,
                line: cx.line(&a.span()),
            });
            addresses.push(ia);
        }

        let mtu = cx.int(&p.mtu, &key("mtu"), 1500, 68..=9600)?;
        let mac = match &p.mac {
            Some(m) => {
                let mac = parse_mac(m.get_ref()).map_err(|e| cx.at(m.span(), key("mac"), e))?;
                if let Some(j) = ports.iter().position(|q| q.mac == Some(mac)) {
                    return Err(cx.at(
                        m.span(),
                        key("mac"),
                        format!(
                            "MAC {} is already port[{j}] {:?}'s",
                            m.get_ref(),
                            ports[j].name
                        ),
                    ));
                }
                Some(mac)
            }
            None => None,
        };
        ports.push(PortConfig {
            name: name.clone(),
            device: device.clone(),
            role,
            addresses,
            mtu,
            mac,
        });
    }
    Ok(ports)
}

fn check_routes(
    cx: &Ctx,
    raw: &[Spanned<RawRoute>],
    raw_ports: &[Spanned<RawPort>],
    ports: &[PortConfig],
) -> Result<Vec<RouteConfig>, ConfigError> {
    // Where each interface address was written.
    let addr_site = |p: usize, k: usize| {
        let line = cx.line(&raw_ports[p].get_ref().addresses[k].span());
        format!("port[{p}].addresses[{k}], line {line}")
    };
    let connected: Vec<(usize, usize, &InterfaceAddress)> = ports
        .iter()
        .enumerate()
        .flat_map(|(p, port)| {
            port.addresses
                .iter()
                .enumerate()
                .map(move |(k, a)| (p, k, a))
        })
        .collect();
    let mut routes: Vec<RouteConfig> = Vec::new();
    let mut seen: HashMap<(Ipv4Addr, u8), usize> = HashMap::new();
    for (i, r) in raw.iter().enumerate() {
        let route_span = r.span();
        let r = r.get_ref();
        let key = |k: &str| format!("route[{i}].{k}");
        let (prefix, len) = parse_prefix(r.prefix.get_ref())
            .map_err(|m| cx.at(r.prefix.span(), key("prefix"), m))?;
        if let Some(&j) = seen.get(&(prefix, len)) {
            let first = &raw[j].get_ref().prefix;
            return Err(cx.at(
                r.prefix.span(),
                key("prefix"),
                format!(
                    "{prefix}/{len} is routed twice: here (line {}) and by route[{j}] (line {})",
                    cx.line(&r.prefix.span()),
                    cx.line(&first.span())
                ),
            ));
        }
        seen.insert((prefix, len), i);
        for &(p, k, a) in &connected {
            if len < 32 && a.len == len && a.network() == prefix {
                return Err(cx.at(
                    r.prefix.span(),
                    key("prefix"),
                    format!(
                        "{prefix}/{len} is the connected prefix of port {:?} ({}); dpvpn routes it already",
                        ports[p].name,
                        addr_site(p, k)
                    ),
                ));
            }
            if len == 32 && a.addr == prefix {
                return Err(cx.at(
                    r.prefix.span(),
                    key("prefix"),
                    format!(
                        "{prefix}/32 is dpvpn's own address on port {:?} ({})",
                        ports[p].name,
                        addr_site(p, k)
                    ),
                ));
            }
        }

        let port = match &r.port {
            Some(name) => {
                if !ports.iter().any(|q| &q.name == name.get_ref()) {
                    let names: Vec<String> =
                        ports.iter().map(|q| format!("{:?}", q.name)).collect();
                    return Err(cx.at(
                        name.span(),
                        key("port"),
                        format!(
                            "no port is named {:?} (the ports are {})",
                            name.get_ref(),
                            names.join(", ")
                        ),
                    ));
                }
                Some(name.get_ref().clone())
            }
            None => None,
        };

        let via = match &r.via {
            Some(v) => {
                let nh: Ipv4Addr = v.get_ref().parse().map_err(|_| {
                    cx.at(
                        v.span(),
                        key("via"),
                        format!("{:?} is not an IPv4 address", v.get_ref()),
                    )
                })?;
                let here = |m: String| cx.at(v.span(), key("via"), m);
                if let Some(&(p, k, _)) = connected.iter().find(|(_, _, a)| a.addr == nh) {
                    return Err(here(format!(
                        "next hop {nh} is dpvpn's own address on port {:?} ({})",
                        ports[p].name,
                        addr_site(p, k)
                    )));
                }
                let Some(&(p, k, a)) = connected.iter().find(|(_, _, a)| a.contains(nh)) else {
                    let list: Vec<String> = connected
                        .iter()
                        .map(|(p, _, a)| {
                            format!("{}/{} on {:?}", a.network(), a.len, ports[*p].name)
                        })
                        .collect();
                    let list = if list.is_empty() {
                        "no port has an address".to_string()
                    } else {
                        list.join(", ")
                    };
                    return Err(here(format!(
                        "next hop {nh} is not inside any port's connected prefix ({list}); \
                         a next hop must be directly reachable"
                    )));
                };
                if a.len <= 30 && (nh == a.network() || nh == a.broadcast()) {
                    let which = if nh == a.network() {
                        "network"
                    } else {
                        "broadcast"
                    };
                    return Err(here(format!(
                        "next hop {nh} is the {which} address of {}/{} (port {:?}, {})",
                        a.network(),
                        a.len,
                        ports[p].name,
                        addr_site(p, k)
                    )));
                }
                if let Some(named) = &port {
                    if named != &ports[p].name {
                        return Err(here(format!(
                            "next hop {nh} is on port {:?} ({}/{}, {}), not on port {named:?}",
                            ports[p].name,
                            a.network(),
                            a.len,
                            addr_site(p, k)
                        )));
                    }
                }
                Some(nh)
            }
            None => None,
        };

        let blackhole = r.blackhole.as_ref().is_some_and(|b| *b.get_ref());
        if blackhole && (via.is_some() || port.is_some()) {
            let b = r.blackhole.as_ref().expect("set");
            return Err(cx.at(
                b.span(),
                key("blackhole"),
                "a blackhole route drops what it matches: it takes no `via` or `port`",
            ));
        }
        if !blackhole && via.is_none() && port.is_none() {
            return Err(cx.at(
                route_span,
                format!("route[{i}]"),
                format!(
                    "route {prefix}/{len} says neither where to send (`via`, `port`) nor to drop (`blackhole = true`)"
                ),
            ));
        }
        routes.push(RouteConfig {
            prefix,
            len,
            via,
            port,
            blackhole,
        });
    }
    Ok(routes)
}

fn check_exception(
    cx: &Ctx,
    e: &RawException,
    ports: &[PortConfig],
) -> Result<ExceptionConfig, ConfigError> {
    let tap = match &e.tap {
        Some(t) => {
            let v = t.get_ref();
            if !valid_ifname(v) {
                return Err(cx.at(
                    t.span(),
                    "exception.tap",
                    format!("{v:?} is not a kernel interface name (1 to 15 characters, no `/`, `:` or blanks)"),
                ));
            }
            if let Some(p) = ports
                .iter()
                .position(|p| device_iface(&p.device) == Some(v.as_str()))
            {
                return Err(cx.at(
                    t.span(),
                    "exception.tap",
                    format!(
                        "{v:?} is the kernel interface of port[{p}] {:?} (its device {:?})",
                        ports[p].name, ports[p].device
                    ),
                ));
            }
            v.clone()
        }
        None => "dpvpn0".into(),
    };
    let netns = match &e.netns {
        Some(n) => {
            let v = n.get_ref();
            if v.is_empty()
                || v.len() > 64
                || v == "."
                || v == ".."
                || !v
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.')
            {
                return Err(cx.at(
                    n.span(),
                    "exception.netns",
                    format!("{v:?} is not a network namespace name (1 to 64 of letters, digits, `_`, `-`, `.`)"),
                ));
            }
            Some(v.clone())
        }
        None => None,
    };
    Ok(ExceptionConfig {
        enabled: e.enabled.unwrap_or(true),
        tap,
        netns,
    })
}

fn check_management(cx: &Ctx, m: &RawManagement) -> Result<ManagementConfig, ConfigError> {
    let socket = match &m.socket {
        Some(s) => {
            let v = s.get_ref();
            if v.is_empty() || v.len() > MAX_SOCKET_PATH || v.contains('\0') {
                return Err(cx.at(
                    s.span(),
                    "management.socket",
                    format!("{v:?} cannot be a Unix socket path (1 to {MAX_SOCKET_PATH} bytes)"),
                ));
            }
            PathBuf::from(v)
        }
        None => PathBuf::from("/run/dpvpn/dpvpn.sock"),
    };
    let metrics = match &m.metrics {
        Some(s) => Some(s.get_ref().parse::<SocketAddr>().map_err(|_| {
            cx.at(
                s.span(),
                "management.metrics",
                format!(
                    "{:?} is not an address:port (e.g. 127.0.0.1:9464 or [::1]:9464)",
                    s.get_ref()
                ),
            )
        })?),
        None => None,
    };
    Ok(ManagementConfig { socket, metrics })
}

fn check_pools(cx: &Ctx, raw: &[Spanned<RawPool>]) -> Result<Vec<crate::pool::PoolConfig>, ConfigError> {
    use crate::pool::{PoolConfig, PoolRange, Pools};
    let mut out: Vec<PoolConfig> = Vec::new();
    for (i, p) in raw.iter().enumerate() {
        let p = p.get_ref();
        let key = |k: &str| format!("pool[{i}].{k}");
        let name = p.name.get_ref();
        if name.is_empty() || name.len() > 32 || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
            return Err(cx.at(p.name.span(), key("name"), format!("{name:?} is not a pool name (1 to 32 letters, digits, `_`, `-`)")));
        }
        if let Some(j) = out.iter().position(|q| &q.name == name) {
            return Err(cx.at(p.name.span(), key("name"), format!("pool {name:?} is already defined by pool[{j}]")));
        }
        if p.ranges.get_ref().is_empty() {
            return Err(cx.at(p.ranges.span(), key("ranges"), "a pool needs at least one range (e.g. \"100.64.0.0/12\")"));
        }
        let parse = |list: &[Spanned<String>], what: &str| -> Result<Vec<PoolRange>, ConfigError> {
            list.iter()
                .enumerate()
                .map(|(k, r)| PoolRange::parse(r.get_ref()).map_err(|m| cx.at(r.span(), format!("pool[{i}].{what}[{k}]"), m)))
                .collect()
        };
        let mut c = PoolConfig::new(name, parse(p.ranges.get_ref(), "ranges")?);
        c.exclude = parse(&p.exclude, "exclude")?;
        if let Some(b) = p.skip_prefix_ends {
            c.skip_prefix_ends = b;
        }
        if let Some(b) = p.skip_dot0_dot255 {
            c.skip_dot0_dot255 = b;
        }
        out.push(c);
        // Overlaps and sizes are the allocator's own checks: run them now, so a bad pool
        // stops dpvpn before it starts, naming the pool it found wrong.
        if let Err(e) = Pools::new(&out) {
            return Err(cx.at(raw[i].span(), format!("pool[{i}]"), e.to_string()));
        }
    }
    Ok(out)
}

fn check_pppoe(
    cx: &Ctx,
    raw: &Spanned<RawPppoe>,
    ports: &[PortConfig],
    pools: &[crate::pool::PoolConfig],
) -> Result<PppoeConfig, ConfigError> {
    let span = raw.span();
    let p = raw.get_ref();
    let access: Vec<&PortConfig> = ports.iter().filter(|p| p.role == PortRole::Access).collect();
    if access.is_empty() {
        return Err(cx.at(span, "pppoe", "PPPoE needs at least one port with role = \"access\" to listen on"));
    }
    let text = |v: &Text, key: &str, default: &str, max: usize| -> Result<String, ConfigError> {
        match v {
            Some(s) if s.get_ref().is_empty() || s.get_ref().len() > max => Err(cx.at(
                s.span(),
                key,
                format!("{:?}: 1 to {max} bytes", s.get_ref()),
            )),
            Some(s) => Ok(s.get_ref().clone()),
            None => Ok(default.to_string()),
        }
    };
    let ac_name = text(&p.ac_name, "pppoe.ac_name", "dpvpn", 64)?;
    let service_names = match &p.service_names {
        None => vec![String::new()],
        Some(list) => {
            let mut v: Vec<String> = Vec::new();
            for (k, s) in list.iter().enumerate() {
                let key = format!("pppoe.service_names[{k}]");
                if s.get_ref().len() > 64 {
                    return Err(cx.at(s.span(), key, "a Service-Name of at most 64 bytes"));
                }
                if v.contains(s.get_ref()) {
                    return Err(cx.at(s.span(), key, format!("{:?} is listed twice", s.get_ref())));
                }
                v.push(s.get_ref().clone());
            }
            if v.is_empty() {
                return Err(cx.at(span, "pppoe.service_names", "offer at least one Service-Name (\"\" accepts any)"));
            }
            v
        }
    };
    let mru: u16 = cx.int(&p.mru, "pppoe.mru", 1492, 576..=1492)?;
    let ppp_max_payload = p.ppp_max_payload.as_ref().is_some_and(|b| *b.get_ref());
    if ppp_max_payload && access.iter().all(|a| a.mtu < 1508) {
        let b = p.ppp_max_payload.as_ref().expect("set");
        return Err(cx.at(
            b.span(),
            "pppoe.ppp_max_payload",
            "RFC 4638 PPP-Max-Payload needs an access port with an MTU of at least 1508 (1500 + PPPoE 6 + PPP 2)",
        ));
    }
    let auth = match &p.auth {
        None => vec![AuthMethod::ChapMd5, AuthMethod::Pap],
        Some(list) => {
            let mut v = Vec::new();
            for (k, s) in list.get_ref().iter().enumerate() {
                let key = format!("pppoe.auth[{k}]");
                let m = match s.get_ref().as_str() {
                    "pap" => AuthMethod::Pap,
                    "chap" | "chap-md5" => AuthMethod::ChapMd5,
                    other => {
                        return Err(cx.at(s.span(), key, format!("{other:?} is not an authentication method: \"chap\" or \"pap\"")))
                    }
                };
                if v.contains(&m) {
                    return Err(cx.at(s.span(), key, format!("{:?} is listed twice", s.get_ref())));
                }
                v.push(m);
            }
            if v.is_empty() {
                return Err(cx.at(list.span(), "pppoe.auth", "at least one method: [\"chap\", \"pap\"]"));
            }
            v
        }
    };
    let echo_interval_s: u32 = cx.int(&p.echo_interval_s, "pppoe.echo_interval_s", 10, 0..=3600)?;
    let echo_failures: u32 = cx.int(&p.echo_failures, "pppoe.echo_failures", 3, 1..=100)?;
    // RFC 6691: the MSS that fits the tunnel is the MRU less 40 bytes of IPv4 and TCP.
    let max_mss = mru as i64 - 40;
    let mss_clamp = match &p.mss_clamp {
        None => Some(max_mss as u16),
        Some(v) if *v.get_ref() == 0 => None,
        Some(_) => Some(cx.int(&p.mss_clamp, "pppoe.mss_clamp", 0u16, 536..=max_mss)?),
    };
    let addr = |s: &Spanned<String>, key: String| -> Result<Ipv4Addr, ConfigError> {
        let a: Ipv4Addr = s
            .get_ref()
            .parse()
            .map_err(|_| cx.at(s.span(), &key, format!("{:?} is not an IPv4 address", s.get_ref())))?;
        if a.is_unspecified() || a.is_multicast() || a.is_broadcast() || a.is_loopback() {
            return Err(cx.at(s.span(), &key, format!("{a} is not a unicast address")));
        }
        Ok(a)
    };
    let gateway = match &p.gateway {
        Some(g) => addr(g, "pppoe.gateway".into())?,
        None => match access.iter().flat_map(|a| a.addresses.first()).next() {
            Some(a) => a.addr,
            None => {
                return Err(cx.at(
                    span,
                    "pppoe.gateway",
                    "no access port has an address to use as the subscribers' gateway: set pppoe.gateway",
                ))
            }
        },
    };
    if p.dns.len() > 2 {
        return Err(cx.at(p.dns[2].span(), "pppoe.dns[2]", "IPCP hands out two DNS servers at most (RFC 1877)"));
    }
    let dns = p.dns.iter().enumerate().map(|(k, d)| addr(d, format!("pppoe.dns[{k}]"))).collect::<Result<Vec<_>, _>>()?;
    let default_pool = match &p.pool {
        Some(s) => {
            if !pools.iter().any(|q| &q.name == s.get_ref()) {
                let names: Vec<&str> = pools.iter().map(|q| q.name.as_str()).collect();
                return Err(cx.at(
                    s.span(),
                    "pppoe.pool",
                    format!("no [[pool]] named {:?} (pools: {})", s.get_ref(), if names.is_empty() { "none".into() } else { names.join(", ") }),
                ));
            }
            s.get_ref().clone()
        }
        None => match pools.first() {
            Some(q) => q.name.clone(),
            None => return Err(cx.at(span, "pppoe.pool", "PPPoE needs an address pool: add a [[pool]] table")),
        },
    };
    let uf = p.users_file.get_ref();
    if uf.is_empty() {
        return Err(cx.at(p.users_file.span(), "pppoe.users_file", "the path of the local users file"));
    }
    let users_file = match cx.file.parent() {
        Some(dir) if Path::new(uf).is_relative() => dir.join(uf),
        _ => PathBuf::from(uf),
    };
    Ok(PppoeConfig {
        ac_name,
        service_names,
        max_sessions_per_mac: cx.int(&p.max_sessions_per_mac, "pppoe.max_sessions_per_mac", 1, 1..=64)?,
        padi_rate_per_mac: cx.int(&p.padi_rate_per_mac, "pppoe.padi_rate_per_mac", 5, 1..=1000)?,
        padi_rate_per_port: cx.int(&p.padi_rate_per_port, "pppoe.padi_rate_per_port", 2000, 1..=1_000_000)?,
        mru,
        ppp_max_payload,
        auth,
        echo_interval_s,
        echo_failures,
        echo_offload: p.echo_offload.as_ref().is_none_or(|b| *b.get_ref()),
        mss_clamp,
        gateway,
        dns,
        default_pool,
        users_file,
        max_pending: cx.int(&p.max_pending, "pppoe.max_pending", 65536, 1..=1 << 22)?,
    })
}

/// Load the local users file of `[pppoe]` and check that every pool it names exists: a
/// bad users file stops dpvpn before it starts, like a bad configuration.
fn check_bench(cx: &Ctx, raw: &Spanned<RawBench>, ports: &[PortConfig], max_sessions: u32) -> Result<BenchConfig, ConfigError> {
    let span = raw.span();
    let b = raw.get_ref();
    let pppoe_sessions: u32 = cx.int(&b.pppoe_sessions, "bench.pppoe_sessions", 0, 0..=1 << 23)?;
    if pppoe_sessions > max_sessions {
        let s = b.pppoe_sessions.as_ref().map_or(span.clone(), |s| s.span());
        return Err(cx.at(s, "bench.pppoe_sessions", format!("{pppoe_sessions} sessions do not fit dataplane.max_sessions = {max_sessions}: raise it")));
    }
    let access_port = match &b.access_port {
        Some(s) => {
            let name = s.get_ref();
            match ports.iter().find(|p| &p.name == name) {
                None => {
                    let names: Vec<&str> = ports.iter().map(|p| p.name.as_str()).collect();
                    return Err(cx.at(s.span(), "bench.access_port", format!("no port is named {name:?} (ports: {})", names.join(", "))));
                }
                Some(p) if p.role != PortRole::Access => {
                    return Err(cx.at(s.span(), "bench.access_port", format!("port {name:?} has role \"uplink\"; PPPoE sessions need an access port")));
                }
                Some(p) => p.name.clone(),
            }
        }
        None => match ports.iter().find(|p| p.role == PortRole::Access) {
            Some(p) => p.name.clone(),
            None if pppoe_sessions == 0 => String::new(),
            None => {
                return Err(cx.at(span, "bench.pppoe_sessions", "synthetic PPPoE sessions need a port with role = \"access\""));
            }
        },
    };
    let first_vlan: Option<u16> = match &b.first_vlan {
        Some(_) => Some(cx.int(&b.first_vlan, "bench.first_vlan", 1, 1..=4094)?),
        None => None,
    };
    let vlans: u16 = cx.int(&b.vlans, "bench.vlans", 1, 1..=4094)?;
    if let (Some(v), Some(s)) = (first_vlan, &b.vlans) {
        if u32::from(v) + u32::from(vlans) - 1 > 4094 {
            return Err(cx.at(s.span(), "bench.vlans", format!("VLANs {v}..{} go past 4094", u32::from(v) + u32::from(vlans) - 1)));
        }
    }
    if first_vlan.is_none() {
        if let Some(s) = &b.vlans {
            return Err(cx.at(s.span(), "bench.vlans", "vlans needs first_vlan (without it the sessions are untagged)"));
        }
    }
    let addr = |v: &Text, key: &str, default: Ipv4Addr| -> Result<(Ipv4Addr, Range<usize>), ConfigError> {
        match v {
            Some(s) => s
                .get_ref()
                .parse::<Ipv4Addr>()
                .map(|a| (a, s.span()))
                .map_err(|_| cx.at(s.span(), key, format!("{:?} is not an IPv4 address", s.get_ref()))),
            None => Ok((default, span.clone())),
        }
    };
    let (address_base, base_span) = addr(&b.address_base, "bench.address_base", Ipv4Addr::new(100, 64, 0, 2))?;
    let last = u64::from(u32::from(address_base)) + u64::from(pppoe_sessions.max(1)) - 1;
    if last > u64::from(u32::from(Ipv4Addr::new(223, 255, 255, 255))) || address_base.octets()[0] == 0 || address_base.octets()[0] == 127 {
        return Err(cx.at(
            base_span,
            "bench.address_base",
            format!("{address_base} + {pppoe_sessions} sessions leaves the unicast addresses (1.0.0.0 to 223.255.255.255, not 127/8)"),
        ));
    }
    if let Some(a) = ports.iter().flat_map(|p| p.addresses.iter()).find(|a| {
        let (lo, hi) = (u32::from(address_base) as u64, last);
        (lo..=hi).contains(&u64::from(u32::from(a.addr)))
    }) {
        return Err(cx.at(base_span, "bench.address_base", format!("the session addresses {address_base}.. include the port address {a}")));
    }
    let routes: u32 = cx.int(&b.routes, "bench.routes", 0, 0..=1 << 22)?;
    let (route_base, rspan) = addr(&b.route_base, "bench.route_base", Ipv4Addr::new(16, 0, 0, 0))?;
    if u32::from(route_base) & 0xff != 0 {
        return Err(cx.at(rspan, "bench.route_base", format!("{route_base} is not the start of a /24")));
    }
    if u64::from(u32::from(route_base)) + (u64::from(routes) << 8) > 0xe000_0000 {
        return Err(cx.at(rspan, "bench.route_base", format!("{routes} /24 routes from {route_base} go past 223.255.255.0")));
    }
    let neighbour = match &b.neighbour {
        Some(s) => {
            let v = s.get_ref();
            let shape = || cx.at(s.span(), "bench.neighbour", format!("{v:?} is not \"ADDRESS MAC\" (e.g. \"198.51.100.2 02:00:00:00:00:fe\")"));
            let mut it = v.split_whitespace();
            let (Some(ip), Some(mac), None) = (it.next(), it.next(), it.next()) else { return Err(shape()) };
            let ip: Ipv4Addr = ip.parse().map_err(|_| shape())?;
            let mac = parse_mac(mac).map_err(|e| cx.at(s.span(), "bench.neighbour", e))?;
            let Some(port) = ports.iter().find(|p| p.addresses.iter().any(|a| a.contains(ip) && a.addr != ip)) else {
                return Err(cx.at(s.span(), "bench.neighbour", format!("{ip} is in no port's connected prefix")));
            };
            Some((port.name.clone(), ip, mac))
        }
        None => None,
    };
    if routes > 0 && neighbour.is_none() {
        let s = b.routes.as_ref().map_or(span.clone(), |s| s.span());
        return Err(cx.at(s, "bench.routes", "synthetic routes go via bench.neighbour: set it (\"ADDRESS MAC\")"));
    }
    Ok(BenchConfig { pppoe_sessions, access_port, first_vlan, vlans, address_base, routes, route_base, neighbour })
}

pub fn load_users(c: &Config) -> Result<Option<crate::aaa::UsersTable>, String> {
    let Some(p) = &c.pppoe else { return Ok(None) };
    let users = crate::aaa::UsersTable::load(&p.users_file).map_err(|e| e.to_string())?;
    users.check_pools(|name| c.pools.iter().any(|q| q.name == name)).map_err(|e| e.to_string())?;
    Ok(Some(users))
}

fn check_dataplane(cx: &Ctx, d: &RawDataplane) -> Result<DataplaneConfig, ConfigError> {
    let arp_timeout_s: u32 = cx.int(&d.arp_timeout_s, "dataplane.arp_timeout_s", 300, 5..=86400)?;
    let arp_retry_ms: u32 = cx.int(&d.arp_retry_ms, "dataplane.arp_retry_ms", 1000, 10..=60000)?;
    if u64::from(arp_retry_ms) >= u64::from(arp_timeout_s) * 1000 {
        let (span, key) = match (&d.arp_retry_ms, &d.arp_timeout_s) {
            (Some(r), _) => (r.span(), "dataplane.arp_retry_ms"),
            (None, Some(t)) => (t.span(), "dataplane.arp_timeout_s"),
            (None, None) => unreachable!("the defaults fit"),
        };
        return Err(cx.at(
            span,
            key,
            format!(
                "arp_retry_ms = {arp_retry_ms} is not shorter than arp_timeout_s = {arp_timeout_s} s: \
                 a neighbour would expire before its first retry"
            ),
        ));
    }
    Ok(DataplaneConfig {
        fib_max_tbl8_groups: cx.int(
            &d.fib_max_tbl8_groups,
            "dataplane.fib_max_tbl8_groups",
            // A million-route table with a realistic length mix splits ~110k /24s
            // (dataplane fib tests); this is the data plane's own default.
            dataplane::fib::FibConfig::DEFAULT_MAX_TBL8_GROUPS,
            1..=1 << 24,
        )?,
        neighbours_max: cx.int(
            &d.neighbours_max,
            "dataplane.neighbours_max",
            65536,
            16..=1 << 24,
        )?,
        arp_timeout_s,
        arp_retry_ms,
        punt_ring: cx.power_of_two(&d.punt_ring, "dataplane.punt_ring", 4096u32, 64..=1 << 20)?,
        idle_sleep_us: cx.int(&d.idle_sleep_us, "dataplane.idle_sleep_us", 0, 0..=10000)?,
        icmp_rate: cx.int(&d.icmp_rate, "dataplane.icmp_rate", 1000, 1..=1_000_000)?,
        max_sessions: cx.int(
            &d.max_sessions,
            "dataplane.max_sessions",
            65536,
            1..=dataplane::session::MAX_SESSIONS as i64,
        )?,
        pppoe_discovery_rate: cx.int(&d.pppoe_discovery_rate, "dataplane.pppoe_discovery_rate", 2000, 1..=1_000_000)?,
        ppp_control_rate: cx.int(&d.ppp_control_rate, "dataplane.ppp_control_rate", 20_000, 1..=10_000_000)?,
    })
}

impl Config {
    /// The EAL's argv: program name, lcores (the control lcore is the main lcore), file
    /// prefix, memory, PCI devices of the ports (`-a`, or `--no-pci` when there are none),
    /// then `dpdk.eal_args`. Virtual devices are not here: the driver hot-plugs them.
    pub fn eal_args(&self, lcores: &crate::lcores::LcoreMap) -> Vec<String> {
        let mut a: Vec<String> = vec![
            "dpvpn".into(),
            "--lcores".into(),
            lcores.eal_arg.clone(),
            "--main-lcore".into(),
            lcores.control.to_string(),
            "--file-prefix".into(),
            self.dpdk.file_prefix.clone(),
        ];
        if self.dpdk.no_huge {
            a.push("--no-huge".into());
        }
        a.push("-m".into());
        a.push(self.dpdk.memory_mb.to_string());
        let pci: Vec<&PortConfig> = self
            .ports
            .iter()
            .filter(|p| pci_address(&p.device).is_some())
            .collect();
        // Extra EAL arguments may name PCI devices of their own (crypto, ...).
        let extra_pci = self.dpdk.eal_args.iter().any(|x| {
            ["-a", "-b", "--allow", "--block"]
                .iter()
                .any(|o| x == o || x.starts_with(&format!("{o}=")))
                || (x.starts_with("-a") || x.starts_with("-b")) && !x.starts_with("--")
        });
        if pci.is_empty() && !extra_pci {
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

    const GOOD: &str = r#"[dpdk]
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
        match parse(text, Path::new("t.toml")) {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(e) => e,
        }
    }

    #[test]
    fn defaults() {
        let c = parse(GOOD, Path::new("t.toml")).unwrap();
        assert_eq!(
            c.dpdk,
            DpdkConfig {
                no_huge: true,
                memory_mb: 1024,
                file_prefix: "dpvpn".into(),
                eal_args: vec![],
                mbufs: 32767,
                mbuf_cache: 256,
                rx_desc: 1024,
                tx_desc: 1024,
                burst: 32,
            }
        );
        assert_eq!(c.ports[0].mtu, 1500);
        assert_eq!(c.ports[0].mac, None);
        assert_eq!(
            c.exception,
            ExceptionConfig {
                enabled: true,
                tap: "dpvpn0".into(),
                netns: None
            }
        );
        assert_eq!(
            c.management,
            ManagementConfig {
                socket: "/run/dpvpn/dpvpn.sock".into(),
                metrics: None
            }
        );
        assert_eq!(
            c.dataplane,
            DataplaneConfig {
                fib_max_tbl8_groups: 131072,
                neighbours_max: 65536,
                arp_timeout_s: 300,
                arp_retry_ms: 1000,
                punt_ring: 4096,
                idle_sleep_us: 0,
                icmp_rate: 1000,
                max_sessions: 65536,
                pppoe_discovery_rate: 2000,
                ppp_control_rate: 20_000,
            }
        );
        assert_eq!(
            c.routes,
            [RouteConfig {
                prefix: Ipv4Addr::UNSPECIFIED,
                len: 0,
                via: Some(Ipv4Addr::new(198, 51, 100, 2)),
                port: None,
                blackhole: false
            }]
        );
    }

    #[test]
    fn interface_address_arithmetic() {
        let a = InterfaceAddress {
            addr: Ipv4Addr::new(198, 51, 100, 1),
            len: 24,
        };
        assert_eq!(a.network(), Ipv4Addr::new(198, 51, 100, 0));
        assert_eq!(a.broadcast(), Ipv4Addr::new(198, 51, 100, 255));
        assert!(a.contains(Ipv4Addr::new(198, 51, 100, 254)));
        assert!(!a.contains(Ipv4Addr::new(198, 51, 101, 1)));
        let host = InterfaceAddress {
            addr: Ipv4Addr::new(10, 0, 0, 1),
            len: 32,
        };
        assert!(
            host.contains(Ipv4Addr::new(10, 0, 0, 1)) && !host.contains(Ipv4Addr::new(10, 0, 0, 2))
        );
        let wide = InterfaceAddress {
            addr: Ipv4Addr::new(10, 1, 2, 3),
            len: 8,
        };
        assert!(wide.overlaps(&host) && host.overlaps(&wide) && !a.overlaps(&wide));
        assert_eq!(a.to_string(), "198.51.100.1/24");
    }

    #[test]
    fn prefixes() {
        assert_eq!(
            parse_prefix("10.0.0.0/8"),
            Ok((Ipv4Addr::new(10, 0, 0, 0), 8))
        );
        assert_eq!(parse_prefix("0.0.0.0/0"), Ok((Ipv4Addr::UNSPECIFIED, 0)));
        assert_eq!(
            parse_prefix("192.0.2.7/32"),
            Ok((Ipv4Addr::new(192, 0, 2, 7), 32))
        );
        assert_eq!(
            parse_prefix("10.1.0.0/8").unwrap_err(),
            "\"10.1.0.0/8\" has host bits set: 0.1.0.0 lies outside the /8 mask (the network is 10.0.0.0/8)"
        );
        assert!(parse_prefix("1.2.3.4/33")
            .unwrap_err()
            .contains("prefix length 33 > 32"));
        assert!(parse_prefix("1.2.3.4")
            .unwrap_err()
            .contains("address/length"));
        assert!(parse_prefix("1.2.3/24")
            .unwrap_err()
            .contains("\"1.2.3\" is not an IPv4 address"));
        assert!(parse_prefix("1.2.3.0/+8").is_err());
        assert!(parse_prefix("1.2.3.0/ 8").is_err());
        assert!(parse_prefix("1.2.3.0/008").is_err());
    }

    #[test]
    fn macs() {
        assert_eq!(parse_mac("02:00:00:00:00:01"), Ok([2, 0, 0, 0, 0, 1]));
        assert_eq!(
            parse_mac("0A:bC:00:00:00:ff"),
            Ok([0x0a, 0xbc, 0, 0, 0, 0xff])
        );
        for bad in [
            "",
            "02:00:00:00:00",
            "02:00:00:00:00:01:02",
            "2:0:0:0:0:1",
            "02-00-00-00-00-01",
            "zz:00:00:00:00:01",
        ] {
            assert!(
                parse_mac(bad).unwrap_err().contains("not a MAC address"),
                "{bad}"
            );
        }
        assert!(parse_mac("01:00:5e:00:00:01")
            .unwrap_err()
            .contains("multicast"));
        assert!(parse_mac("00:00:00:00:00:00")
            .unwrap_err()
            .contains("all-zero"));
    }

    #[test]
    fn devices() {
        for good in [
            "0000:01:00.0",
            "01:00.1",
            "0000:af:1f.7,rx_vec_en=0",
            "net_af_packet0,iface=eth1",
            "net_ring0",
            "net_pcap12,rx_pcap=a.pcap,tx_pcap=b.pcap",
        ] {
            check_device(good).unwrap_or_else(|e| panic!("{good}: {e}"));
        }
        for bad in [
            "",
            "eth0",
            "net_",
            "net_af_packet",
            "net_0",
            "0000:01:20.0",
            "01:00.8",
            "net_ring0,",
            "net_ring0,=x",
            "NET_RING0",
        ] {
            assert!(check_device(bad).is_err(), "{bad}");
        }
        assert_eq!(
            device_identity("01:00.0"),
            device_identity("0000:01:00.0,x=1")
        );
        assert_eq!(device_identity("0000:AF:00.0"), "0000:af:00.0");
        assert_eq!(device_iface("net_af_packet0,qpairs=2,iface=up"), Some("up"));
    }

    #[test]
    fn key_paths_of_serde_errors() {
        // Inside a multi-line array, a dotted key, an inline table, a later [[port]].
        let e = err(&GOOD.replace(
            "[\"198.51.100.1/24\"]",
            "[\n  \"198.51.100.1/24\",\n  7,\n]",
        ));
        assert_eq!(
            (e.line, e.column, e.key.as_str()),
            (16, 3, "port[1].addresses[1]"),
            "{e}"
        );
        let e = err(&format!(
            "dpdk.burst = \"x\"\n{}",
            GOOD.replace("[dpdk]\nno_huge = true\n", "")
        ));
        assert_eq!((e.line, e.key.as_str()), (1, "dpdk.burst"), "{e}");
        let e = err(&format!(
            "{GOOD}\n[[port]]\nname = \"x\"\nrole = \"access\"\n"
        ));
        assert_eq!(
            (e.line, e.column, e.key.as_str()),
            (20, 1, "port[2]"),
            "{e}"
        );
        assert!(e.message.contains("missing key `device`"), "{e}");
        let e = err(
            "port = [{ name = \"a\", device = \"net_null0\", role = \"access\", mtu = 1.5 }]\n",
        );
        assert_eq!(
            (e.line, e.column, e.key.as_str()),
            (1, 68, "port[0].mtu"),
            "{e}"
        );
        assert!(
            e.message
                .contains("invalid type: float `1.5`, expected an integer"),
            "{e}"
        );
        let e = err("[dpdk.x]\n");
        assert_eq!(e.key, "dpdk.x", "{e}");
        let e = err("dpdk = 3\n");
        assert_eq!(
            e.message, "invalid type: integer `3`, expected a table",
            "{e}"
        );
        let e = err("[[dpdk]]\nno_huge = true\n");
        assert_eq!((e.line, e.column, e.key.as_str()), (1, 1, "dpdk"), "{e}");
        assert!(e.message.contains("write [dpdk], not [[dpdk]]"), "{e}");
        let e = err(&GOOD.replace("[[route]]", "[route]"));
        assert_eq!((e.line, e.column, e.key.as_str()), (16, 1, "route"), "{e}");
        assert!(e.message.contains("write [[route]], once per route"), "{e}");
    }

    #[test]
    fn syntax_errors_fall_back_to_the_text() {
        let e = err("[dpdk]\nno_huge = tru\n");
        assert_eq!(
            (e.line, e.column, e.key.as_str()),
            (2, 11, "dpdk.no_huge"),
            "{e}"
        );
        let e = err(&format!("{GOOD}[[port]]\nname = \"x\" \"y\"\n"));
        assert_eq!(
            (e.line, e.column, e.key.as_str()),
            (20, 12, "port[2].name"),
            "{e}"
        );
    }

    #[test]
    fn eal_args_options_dpvpn_owns() {
        let e = err(&GOOD.replace(
            "no_huge = true",
            "eal_args = [\"--log-level=8\", \"-l\", \"0-3\"]",
        ));
        assert_eq!(
            (e.line, e.column, e.key.as_str()),
            (2, 30, "dpdk.eal_args[1]"),
            "{e}"
        );
        assert!(
            e.message.contains("dpvpn sets the EAL option -l itself"),
            "{e}"
        );
        for own in ["-m512", "--file-prefix=x", "--socket-mem=512", "-c0x3"] {
            let e = err(&GOOD.replace("no_huge = true", &format!("eal_args = [{own:?}]")));
            assert_eq!(e.key, "dpdk.eal_args[0]", "{own}: {e}");
        }
        parse(
            &GOOD.replace(
                "no_huge = true",
                "eal_args = [\"--log-level=pmd.net:debug\", \"--match-allocations\"]",
            ),
            Path::new("t"),
        )
        .unwrap();
    }

    #[test]
    fn memory_must_hold_the_pool() {
        let e = err(&GOOD.replace("no_huge = true", "memory_mb = 64"));
        assert_eq!((e.line, e.key.as_str()), (2, "dpdk.memory_mb"), "{e}");
        assert!(
            e.message
                .contains("32767 mbufs take about 80 MiB, more than dpdk.memory_mb = 64"),
            "{e}"
        );
        let e = err(&GOOD.replace("no_huge = true", "mbufs = 1000000"));
        assert_eq!(e.key, "dpdk.mbufs", "{e}");
    }

    #[test]
    fn dpvpn_only_names_pci_devices_to_the_eal() {
        let c = parse(
            &GOOD.replace("net_af_packet1,iface=dpvpn-up", "0000:01:00.0"),
            Path::new("t"),
        )
        .unwrap();
        let a = c.eal_args(&crate::lcores::parse_lcores("2-5").unwrap());
        assert_eq!(
            a,
            [
                "dpvpn",
                "--lcores",
                "2-5",
                "--main-lcore",
                "2",
                "--file-prefix",
                "dpvpn",
                "--no-huge",
                "-m",
                "1024",
                "-a",
                "0000:01:00.0"
            ]
        );
        let c = parse(
            &GOOD.replace("no_huge = true", "eal_args = [\"-a\", \"0000:02:00.0\"]"),
            Path::new("t"),
        )
        .unwrap();
        let a = c.eal_args(&crate::lcores::parse_lcores("0-1").unwrap());
        assert!(!a.contains(&"--no-pci".to_string()), "{a:?}");
        assert!(
            a.ends_with(&["-a".to_string(), "0000:02:00.0".to_string()]),
            "{a:?}"
        );
    }

    #[test]
    fn cross_checks() {
        let e = err(&GOOD.replace("via = \"198.51.100.2\"", "via = \"198.51.100.1\""));
        assert!(
            e.message.contains("dpvpn's own address on port \"uplink\""),
            "{e}"
        );
        let e = err(&GOOD.replace("via = \"198.51.100.2\"", "via = \"198.51.100.255\""));
        assert!(
            e.message.contains("broadcast address of 198.51.100.0/24"),
            "{e}"
        );
        let e = err(&GOOD.replace(
            "via = \"198.51.100.2\"",
            "via = \"198.51.100.2\"\nport = \"access\"",
        ));
        assert_eq!((e.line, e.key.as_str()), (18, "route[0].via"), "{e}");
        assert!(e.message.contains("next hop 198.51.100.2 is on port \"uplink\" (198.51.100.0/24, port[1].addresses[0], line 14), not on port \"access\""), "{e}");
        let e = err(&GOOD.replace("0.0.0.0/0", "192.0.2.0/24"));
        assert!(
            e.message
                .contains("connected prefix of port \"access\" (port[0].addresses[0], line 8)"),
            "{e}"
        );
        let e = err(&GOOD.replace("0.0.0.0/0", "192.0.2.1/32"));
        assert!(e.message.contains("own address"), "{e}");
        let e = err(&GOOD.replace(
            "via = \"198.51.100.2\"",
            "via = \"198.51.100.2\"\nblackhole = true",
        ));
        assert_eq!(
            (e.line, e.column, e.key.as_str()),
            (19, 13, "route[0].blackhole"),
            "{e}"
        );
        let e = err(&GOOD.replace("via = \"198.51.100.2\"", ""));
        assert_eq!((e.line, e.key.as_str()), (16, "route[0]"), "{e}");
        assert!(e.message.contains("neither where to send"), "{e}");
        let e = err(&GOOD.replace("net_af_packet1", "net_af_packet0"));
        assert!(
            e.message.contains(
                "device \"net_af_packet0\" is already used by port[0] \"access\" (line 6)"
            ),
            "{e}"
        );
        let e = err(&GOOD.replace("192.0.2.1/24", "192.0.2.0/24"));
        assert!(e.message.contains("network address"), "{e}");
        let e = err(&GOOD.replace("\"192.0.2.1/24\"", "\"192.0.2.1/24\", \"192.0.2.9/28\""));
        assert!(
            e.message.contains("overlaps 192.0.2.1/24 of this port"),
            "{e}"
        );
        let e = err(&format!("{GOOD}[exception]\ntap = \"dpvpn-up\"\n"));
        assert!(
            e.message.contains("kernel interface of port[1] \"uplink\""),
            "{e}"
        );
        let e = err(&format!("{GOOD}[exception]\nnetns = \"a/b\"\n"));
        assert_eq!(e.key, "exception.netns", "{e}");
        let e = err(&format!(
            "{GOOD}[management]\nsocket = \"/{}\"\n",
            "x".repeat(120)
        ));
        assert_eq!(e.key, "management.socket", "{e}");
        let e = err(&format!("{GOOD}[management]\nmetrics = \"localhost\"\n"));
        assert_eq!(
            (e.line, e.column, e.key.as_str()),
            (20, 11, "management.metrics"),
            "{e}"
        );
        let e = err(&format!(
            "{GOOD}[dataplane]\narp_timeout_s = 5\narp_retry_ms = 5000\n"
        ));
        assert_eq!(e.key, "dataplane.arp_retry_ms", "{e}");
        let e = err(&format!("{GOOD}[dataplane]\npunt_ring = 1000\n"));
        assert!(
            e.message
                .contains("1000 is not a power of two (e.g. 512 or 1024)"),
            "{e}"
        );
        let e = err(&GOOD
            .replace(
                "name = \"uplink\"",
                "name = \"uplink\"\nmac = \"02:00:00:00:00:01\"",
            )
            .replace(
                "name = \"access\"",
                "name = \"access\"\nmac = \"02:00:00:00:00:01\"",
            ));
        assert!(e.message.contains("already port[0] \"access\"'s"), "{e}");
    }

    #[test]
    fn unknown_keys_suggest_the_right_one() {
        let e = err(&GOOD.replace("no_huge", "no_hugepages"));
        assert!(
            e.message
                .starts_with("unknown key `no_hugepages`, expected one of"),
            "{e}"
        );
        let e = err(&GOOD.replace("[dpdk]", "[dpkd]"));
        assert_eq!(e.key, "dpkd", "{e}");
        assert!(e.message.ends_with("(did you mean `dpdk`?)"), "{e}");
        let e = err(&GOOD.replace("[[port]]", "[[ports]]"));
        assert!(e.message.ends_with("(did you mean `port`?)"), "{e}");
    }

    #[test]
    fn read_errors_name_the_file() {
        let e = load(Path::new("/nonexistent/dpvpn.toml")).unwrap_err();
        assert_eq!(e.line, 0);
        assert!(
            e.to_string()
                .starts_with("cannot read /nonexistent/dpvpn.toml: "),
            "{e}"
        );
    }

    /// Mutated configurations never panic the loader, and every error points inside the
    /// file and names a key.
    #[test]
    fn mutations_never_panic() {
        let base: Vec<char> = GOOD.chars().collect();
        let alphabet: Vec<char> = "[]{}=\"',.#\n 0123456789/:_-abcxyzé\u{1F600}"
            .chars()
            .collect();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..3000 {
            let mut t = base.clone();
            for _ in 0..1 + next() % 3 {
                let at = (next() % t.len() as u64) as usize;
                let c = alphabet[(next() % alphabet.len() as u64) as usize];
                match next() % 3 {
                    0 => t[at] = c,
                    1 => t.insert(at, c),
                    _ => {
                        t.remove(at);
                    }
                }
            }
            let text: String = t.into_iter().collect();
            if let Err(e) = parse(&text, Path::new("m.toml")) {
                let lines = text.split('\n').count();
                assert!(e.line >= 1 && e.line <= lines, "{e}\n{text}");
                assert!(e.column >= 1, "{e}\n{text}");
                assert!(!e.message.is_empty(), "{e}\n{text}");
            }
        }
    }

    fn bench(table: &str) -> String {
        format!("{GOOD}\n[bench]\n{table}")
    }

    #[test]
    fn bench_sessions_and_routes() {
        let c = parse(
            &bench("pppoe_sessions = 1000\nfirst_vlan = 100\nvlans = 10\nroutes = 5\nneighbour = \"198.51.100.2 02:00:00:00:00:fe\"\n"),
            Path::new("t.toml"),
        )
        .unwrap();
        let b = c.bench.unwrap();
        assert_eq!(b.pppoe_sessions, 1000);
        assert_eq!(b.access_port, "access");
        assert_eq!(b.session_vlan(0), Some(100));
        assert_eq!(b.session_vlan(13), Some(103));
        assert_eq!(BenchConfig::session_mac(258), [0x02, 0xbe, 0, 0, 1, 2]);
        assert_eq!(BenchConfig::session_id(0), 1);
        assert_eq!(BenchConfig::session_id(65535), 1);
        assert_eq!(b.session_address(3), Ipv4Addr::new(100, 64, 0, 5));
        assert_eq!(b.route_prefix(2), Ipv4Addr::new(16, 0, 2, 0));
        assert_eq!(b.neighbour, Some(("uplink".into(), Ipv4Addr::new(198, 51, 100, 2), [2, 0, 0, 0, 0, 0xfe])));
        assert!(parse(GOOD, Path::new("t.toml")).unwrap().bench.is_none());
    }

    #[test]
    fn bench_errors_are_located() {
        let cases: &[(&str, &str, &str)] = &[
            ("pppoe_sessions = -1\n", "bench.pppoe_sessions", "too small"),
            ("pppoe_sessions = 70000\n", "bench.pppoe_sessions", "max_sessions = 65536"),
            ("pppoe_sessions = 1\naccess_port = \"uplink\"\n", "bench.access_port", "role \"uplink\""),
            ("pppoe_sessions = 1\naccess_port = \"nope\"\n", "bench.access_port", "no port is named"),
            ("first_vlan = 4095\n", "bench.first_vlan", "too large"),
            ("first_vlan = 4000\nvlans = 100\n", "bench.vlans", "past 4094"),
            ("vlans = 2\n", "bench.vlans", "needs first_vlan"),
            ("address_base = \"100.64.0\"\n", "bench.address_base", "not an IPv4 address"),
            ("pppoe_sessions = 10\naddress_base = \"192.0.2.0\"\n", "bench.address_base", "192.0.2.1/24"),
            ("routes = 3\n", "bench.routes", "bench.neighbour"),
            ("route_base = \"16.0.0.1\"\n", "bench.route_base", "not the start of a /24"),
            ("neighbour = \"198.51.100.2\"\n", "bench.neighbour", "ADDRESS MAC"),
            ("neighbour = \"198.51.100.2 01:00:00:00:00:01\"\n", "bench.neighbour", "multicast"),
            ("neighbour = \"203.0.113.9 02:00:00:00:00:01\"\n", "bench.neighbour", "no port's connected prefix"),
            ("sessions = 1\n", "bench.sessions", "unknown key"),
        ];
        let line = GOOD.lines().count() + 3;
        for (table, key, what) in cases {
            let e = err(&bench(table));
            assert_eq!(e.key, *key, "{e}");
            assert!(e.message.contains(what), "{e}");
            assert!(e.line >= line, "{e}");
            assert!(e.to_string().starts_with("t.toml:"), "{e}");
        }
        let e = err(&format!("{GOOD}\n[[bench]]\npppoe_sessions = 1\n"));
        assert!(e.message.contains("write [bench]"), "{e}");
    }
}
