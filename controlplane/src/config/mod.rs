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
//!
//! Here: the checked schema, [`load`] and [`parse`]. `raw.rs` is serde's view of the file;
//! `error.rs` turns spans into places and serde's words into TOML's; each section has its
//! checks in a module of its name (`dpdk.rs`, `ports.rs`, `routes.rs`, `exception.rs`,
//! `management.rs`, `dataplane.rs`, `pools.rs`, `ppp.rs` for the `[ppp.NAME]` link
//! profiles, `pppoe.rs`, `bench.rs`); `net.rs` holds the address, prefix and MAC syntax
//! that management shares.
//!
//! No setting is silently ignored: a key that nothing acts on yet is refused with the work
//! that will (`ppp.rs` keeps the list), and a key that moved says where it went.

mod bench;
mod dataplane;
mod dpdk;
mod error;
mod exception;
mod management;
mod net;
mod pools;
mod ports;
mod ppp;
mod pppoe;
mod raw;
mod routes;

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

pub use error::ConfigError;
pub use net::{parse_mac, parse_prefix};

use error::{tree, Ctx};
use net::mask;
use raw::RawConfig;

use bench::check_bench;
use dataplane::check_dataplane;
use dpdk::check_dpdk;
use exception::check_exception;
use management::check_management;
use pools::check_pools;
use ports::check_ports;
use ppp::check_ppp;
use pppoe::check_pppoe;
use routes::check_routes;

/// Ports dpvpn drives; the data plane's port table has one more slot, for the exception tap
/// (`dataplane::tables::MAX_PORTS`).
pub const MAX_PORTS: usize = 31;
/// Interface addresses per port (`dataplane::tables::MAX_ADDRS`).
pub const MAX_ADDRS_PER_PORT: usize = 8;

// ---- the checked configuration ----

#[derive(Debug, Clone)]
pub struct Config {
    pub dpdk: DpdkConfig,
    pub ports: Vec<PortConfig>,
    pub routes: Vec<RouteConfig>,
    pub exception: ExceptionConfig,
    pub management: ManagementConfig,
    pub dataplane: DataplaneConfig,
    /// Link profiles (`[ppp.NAME]`), in the order the file has them.
    pub ppp: Vec<PppProfile>,
    /// The access concentrator, when `[pppoe]` is present.
    pub pppoe: Option<PppoeConfig>,
    /// Subscriber address pools (`[[pool]]`).
    pub pools: Vec<crate::pool::PoolConfig>,
    /// Synthetic sessions, routes and a static neighbour for benchmarks (`[bench]`).
    pub bench: Option<BenchConfig>,
    /// The file it was read from.
    pub source: PathBuf,
}

impl Config {
    /// The link profile `[ppp.NAME]`. Every name a carrier references exists ([`parse`]
    /// checks it).
    pub fn ppp_profile(&self, name: &str) -> Option<&PppProfile> {
        self.ppp.iter().find(|p| p.name == name)
    }
}

/// How subscribers authenticate, in the order LCP offers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Pap,
    ChapMd5,
    /// MS-CHAP-V2 (RFC 2759), CHAP algorithm 0x81 in LCP's Authentication-Protocol.
    MsChapV2,
}

/// `[ppp.NAME]`: a link profile, what a PPP session negotiates whichever carrier brings it
/// (PPPoE today; L2TP and PPTP reference profiles by name the same way). A carrier may
/// narrow it: PPPoE caps the MRU at 1492, or at the agreed PPP-Max-Payload (RFC 2516 §7,
/// RFC 4638), and never accepts ACCM or ACFC (RFC 2516 §7).
///
/// [`PppProfile::new`] has the defaults a `[ppp.NAME]` table without keys gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PppProfile {
    /// The NAME of `[ppp.NAME]`: 1 to 32 letters, digits, `_` and `-`.
    pub name: String,
    /// The MRU LCP asks for (68..=65535), before the carrier's cap.
    pub mru: u16,
    /// Methods offered, in order of preference; never empty.
    pub auth: Vec<AuthMethod>,
    /// LCP Echo-Request interval (0: no keepalive) and unanswered echoes before teardown.
    pub echo_interval_s: u32,
    pub echo_failures: u32,
    /// Workers answer subscribers' Echo-Requests.
    pub echo_offload: bool,
    /// End the session after this long without traffic from the subscriber (0: off; RFC
    /// 2865 §5.28 Idle-Timeout semantics). A users-file or RADIUS value overrides it.
    pub idle_timeout_s: u32,
    /// End the session this long after it came up (0: off; RFC 2865 §5.27). A users-file
    /// or RADIUS value overrides it.
    pub session_timeout_s: u32,
    /// DNS and NBNS servers IPCP hands out (RFC 1877), at most two each.
    pub dns: Vec<Ipv4Addr>,
    pub nbns: Vec<Ipv4Addr>,
    /// The pool for users AAA gives no address or pool.
    pub pool: String,
    /// Our IPCP address (the subscribers' gateway).
    pub gateway: Ipv4Addr,
    /// Clamp TCP MSS on SYNs to this (None: off).
    pub mss_clamp: Option<u16>,
    /// Accept the peer's ACCM, ACFC and PFC where the carrier allows them (L2TP, PPTP).
    pub accm: bool,
    pub acfc: bool,
    pub pfc: bool,
    /// MS-CHAPv2 attempts before the link is closed (RFC 2759 §6: the R=1 retry flag).
    pub max_auth_attempts: u8,
}

impl PppProfile {
    /// The MRU a profile asks for by default: what PPPoE carries without RFC 4638.
    pub const DEFAULT_MRU: u16 = 1492;

    /// A profile with every key at its default, handing out addresses from `pool` with
    /// `gateway` as our IPCP address.
    pub fn new(name: &str, pool: &str, gateway: Ipv4Addr) -> PppProfile {
        PppProfile {
            name: name.to_string(),
            mru: Self::DEFAULT_MRU,
            auth: vec![AuthMethod::ChapMd5, AuthMethod::Pap],
            echo_interval_s: 10,
            echo_failures: 3,
            echo_offload: true,
            idle_timeout_s: 0,
            session_timeout_s: 0,
            dns: Vec::new(),
            nbns: Vec::new(),
            pool: pool.to_string(),
            gateway,
            // RFC 6691: the MSS that fits the link is the MRU less 40 bytes of IPv4 and TCP.
            mss_clamp: Some(Self::DEFAULT_MRU - 40),
            accm: true,
            acfc: true,
            pfc: true,
            max_auth_attempts: 1,
        }
    }
}

/// `[pppoe]`: the PPPoE access concentrator (RFC 2516), a carrier of PPP links that
/// negotiate as the link profile `ppp` says.
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
    /// Agree to PPP-Max-Payload (RFC 4638) up to the access port's MTU − 8; without it the
    /// carrier caps the profile's MRU at 1492 (RFC 2516 §7).
    pub ppp_max_payload: bool,
    /// The link profile its sessions use: the NAME of a `[ppp.NAME]` in [`Config::ppp`].
    pub ppp: String,
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
    if let Some(p) = &raw.pppoe {
        pppoe::check_access_ports(&cx, p, &ports)?;
    }
    let ppp = check_ppp(&cx, &raw.ppp, &ports, &pools)?;
    let pppoe = match &raw.pppoe {
        Some(p) => Some(check_pppoe(&cx, p, &ports, &raw.ppp, &ppp)?),
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
        ppp,
        pppoe,
        pools,
        bench,
        source: source.to_path_buf(),
    })
}

/// `[[dpdk]]` for `[dpdk]` or `[port]` for `[[port]]`: serde would answer about the first
/// field inside, without a place, so say it here. Likewise a key that moved to another
/// table: serde would call it unknown, this says where it lives now.
fn check_shapes(cx: &Ctx) -> Result<(), ConfigError> {
    let Ok(root) = toml::from_str::<tree::Node>(cx.text) else {
        return Ok(());
    };
    for (key, span, shape) in root.entries() {
        let message = match (key, shape) {
            ("dpdk" | "exception" | "management" | "dataplane" | "pppoe" | "bench", tree::Shape::Array) => {
                format!("`{key}` is an array here; it is one table: write [{key}], not [[{key}]]")
            }
            ("port" | "route" | "pool", tree::Shape::Table) => {
                format!("`{key}` is a single table here; it is an array of tables: write [[{key}]], once per {key}")
            }
            ("ppp", tree::Shape::Array) => {
                "`ppp` is an array here; link profiles are named tables: write [ppp.NAME], e.g. [ppp.default]".into()
            }
            _ => continue,
        };
        return Err(cx.at(span, key, message));
    }
    if let Some(pppoe) = root.get("pppoe") {
        for (key, span, _) in pppoe.entries() {
            if pppoe::MOVED_TO_PROFILE.contains(&key) {
                // The tree has the value's span; the key is written before it.
                let at = cx.text[..span.start].rfind(key).unwrap_or(span.start);
                return Err(cx.at(
                    at..span.end,
                    format!("pppoe.{key}"),
                    format!(
                        "`{key}` moved to the link profile: set it in the [ppp.NAME] table that pppoe.ppp \
                         names (e.g. [ppp.default]), where every carrier's sessions find it"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Load the local users file of `[pppoe]` and check that every pool it names exists: a
/// bad users file stops dpvpn before it starts, like a bad configuration.
pub fn load_users(c: &Config) -> Result<Option<crate::aaa::UsersTable>, String> {
    let Some(p) = &c.pppoe else { return Ok(None) };
    let users = crate::aaa::UsersTable::load(&p.users_file).map_err(|e| e.to_string())?;
    users.check_pools(|name| c.pools.iter().any(|q| q.name == name)).map_err(|e| e.to_string())?;
    Ok(Some(users))
}

/// A small valid document, and its error, for the section modules' tests.
#[cfg(test)]
mod testing {
    use std::path::Path;

    use super::{parse, ConfigError};

    pub const GOOD: &str = r#"[dpdk]
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

    pub fn err(text: &str) -> ConfigError {
        match parse(text, Path::new("t.toml")) {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(e) => e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{err, GOOD};
    use super::*;

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
        assert_eq!(c.exception, ExceptionConfig { enabled: true, tap: "dpvpn0".into(), netns: None });
        assert_eq!(c.management, ManagementConfig { socket: "/run/dpvpn/dpvpn.sock".into(), metrics: None });
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
        let a = InterfaceAddress { addr: Ipv4Addr::new(198, 51, 100, 1), len: 24 };
        assert_eq!(a.network(), Ipv4Addr::new(198, 51, 100, 0));
        assert_eq!(a.broadcast(), Ipv4Addr::new(198, 51, 100, 255));
        assert!(a.contains(Ipv4Addr::new(198, 51, 100, 254)));
        assert!(!a.contains(Ipv4Addr::new(198, 51, 101, 1)));
        let host = InterfaceAddress { addr: Ipv4Addr::new(10, 0, 0, 1), len: 32 };
        assert!(host.contains(Ipv4Addr::new(10, 0, 0, 1)) && !host.contains(Ipv4Addr::new(10, 0, 0, 2)));
        let wide = InterfaceAddress { addr: Ipv4Addr::new(10, 1, 2, 3), len: 8 };
        assert!(wide.overlaps(&host) && host.overlaps(&wide) && !a.overlaps(&wide));
        assert_eq!(a.to_string(), "198.51.100.1/24");
    }

    #[test]
    fn cross_checks() {
        let e = err(&GOOD.replace("via = \"198.51.100.2\"", "via = \"198.51.100.1\""));
        assert!(e.message.contains("dpvpn's own address on port \"uplink\""), "{e}");
        let e = err(&GOOD.replace("via = \"198.51.100.2\"", "via = \"198.51.100.255\""));
        assert!(e.message.contains("broadcast address of 198.51.100.0/24"), "{e}");
        let e = err(&GOOD.replace("via = \"198.51.100.2\"", "via = \"198.51.100.2\"\nport = \"access\""));
        assert_eq!((e.line, e.key.as_str()), (18, "route[0].via"), "{e}");
        assert!(e.message.contains("next hop 198.51.100.2 is on port \"uplink\" (198.51.100.0/24, port[1].addresses[0], line 14), not on port \"access\""), "{e}");
        let e = err(&GOOD.replace("0.0.0.0/0", "192.0.2.0/24"));
        assert!(e.message.contains("connected prefix of port \"access\" (port[0].addresses[0], line 8)"), "{e}");
        let e = err(&GOOD.replace("0.0.0.0/0", "192.0.2.1/32"));
        assert!(e.message.contains("own address"), "{e}");
        let e = err(&GOOD.replace("via = \"198.51.100.2\"", "via = \"198.51.100.2\"\nblackhole = true"));
        assert_eq!((e.line, e.column, e.key.as_str()), (19, 13, "route[0].blackhole"), "{e}");
        let e = err(&GOOD.replace("via = \"198.51.100.2\"", ""));
        assert_eq!((e.line, e.key.as_str()), (16, "route[0]"), "{e}");
        assert!(e.message.contains("neither where to send"), "{e}");
        let e = err(&GOOD.replace("net_af_packet1", "net_af_packet0"));
        assert!(e.message.contains("device \"net_af_packet0\" is already used by port[0] \"access\" (line 6)"), "{e}");
        let e = err(&GOOD.replace("192.0.2.1/24", "192.0.2.0/24"));
        assert!(e.message.contains("network address"), "{e}");
        let e = err(&GOOD.replace("\"192.0.2.1/24\"", "\"192.0.2.1/24\", \"192.0.2.9/28\""));
        assert!(e.message.contains("overlaps 192.0.2.1/24 of this port"), "{e}");
        let e = err(&format!("{GOOD}[exception]\ntap = \"dpvpn-up\"\n"));
        assert!(e.message.contains("kernel interface of port[1] \"uplink\""), "{e}");
        let e = err(&format!("{GOOD}[exception]\nnetns = \"a/b\"\n"));
        assert_eq!(e.key, "exception.netns", "{e}");
        let e = err(&format!("{GOOD}[management]\nsocket = \"/{}\"\n", "x".repeat(120)));
        assert_eq!(e.key, "management.socket", "{e}");
        let e = err(&format!("{GOOD}[management]\nmetrics = \"localhost\"\n"));
        assert_eq!((e.line, e.column, e.key.as_str()), (20, 11, "management.metrics"), "{e}");
        let e = err(&format!("{GOOD}[dataplane]\narp_timeout_s = 5\narp_retry_ms = 5000\n"));
        assert_eq!(e.key, "dataplane.arp_retry_ms", "{e}");
        let e = err(&format!("{GOOD}[dataplane]\npunt_ring = 1000\n"));
        assert!(e.message.contains("1000 is not a power of two (e.g. 512 or 1024)"), "{e}");
        let e = err(&GOOD
            .replace("name = \"uplink\"", "name = \"uplink\"\nmac = \"02:00:00:00:00:01\"")
            .replace("name = \"access\"", "name = \"access\"\nmac = \"02:00:00:00:00:01\""));
        assert!(e.message.contains("already port[0] \"access\"'s"), "{e}");
    }

    #[test]
    fn read_errors_name_the_file() {
        let e = load(Path::new("/nonexistent/dpvpn.toml")).unwrap_err();
        assert_eq!(e.line, 0);
        assert!(e.to_string().starts_with("cannot read /nonexistent/dpvpn.toml: "), "{e}");
    }

    /// Mutated configurations never panic the loader, and every error points inside the
    /// file and names a key.
    #[test]
    fn mutations_never_panic() {
        let base: Vec<char> = GOOD.chars().collect();
        let alphabet: Vec<char> = "[]{}=\"',.#\n 0123456789/:_-abcxyzé\u{1F600}".chars().collect();
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
}
