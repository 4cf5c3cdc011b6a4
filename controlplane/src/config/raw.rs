//! What the file holds, before validation: serde's view of the document, keeping the byte
//! span of every value an error may have to point at (`toml::Spanned`).

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(super) struct RawConfig {
    #[serde(default)]
    pub(super) dpdk: RawDpdk,
    #[serde(default)]
    pub(super) port: Vec<Spanned<RawPort>>,
    #[serde(default)]
    pub(super) route: Vec<Spanned<RawRoute>>,
    #[serde(default)]
    pub(super) exception: RawException,
    #[serde(default)]
    pub(super) management: RawManagement,
    #[serde(default)]
    pub(super) dataplane: RawDataplane,
    #[serde(default)]
    pub(super) ppp: RawProfiles,
    pub(super) pppoe: Option<Spanned<RawPppoe>>,
    #[serde(default)]
    pub(super) pool: Vec<Spanned<RawPool>>,
    pub(super) bench: Option<Spanned<RawBench>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(super) struct RawBench {
    pub(super) pppoe_sessions: Int,
    pub(super) access_port: Text,
    pub(super) first_vlan: Int,
    pub(super) vlans: Int,
    pub(super) address_base: Text,
    pub(super) routes: Int,
    pub(super) route_base: Text,
    pub(super) neighbour: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(super) struct RawPppoe {
    pub(super) ac_name: Text,
    pub(super) service_names: Option<Vec<Spanned<String>>>,
    pub(super) max_sessions_per_mac: Int,
    pub(super) padi_rate_per_mac: Int,
    pub(super) padi_rate_per_port: Int,
    pub(super) ppp_max_payload: Option<Spanned<bool>>,
    pub(super) ppp: Text,
    pub(super) users_file: Spanned<String>,
    pub(super) max_pending: Int,
}

/// The `[ppp.NAME]` tables in file order, each with its NAME's span: the name is where an
/// error about the whole profile points. (The `ppp` table itself is implicit when written
/// as `[ppp.NAME]` headers, so it has no span of its own, and neither has a profile written
/// with dotted keys: hence no `Spanned` around either.)
#[derive(Default)]
pub(super) struct RawProfiles(pub(super) Vec<(Spanned<String>, RawPppProfile)>);

impl<'de> Deserialize<'de> for RawProfiles {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RawProfiles, D::Error> {
        struct InFileOrder;
        impl<'de> Visitor<'de> for InFileOrder {
            type Value = RawProfiles;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a table of link profiles [ppp.NAME]")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawProfiles, A::Error> {
                let mut profiles = Vec::new();
                while let Some(name) = map.next_key::<Spanned<String>>()? {
                    profiles.push((name, map.next_value()?));
                }
                Ok(RawProfiles(profiles))
            }
        }
        d.deserialize_map(InFileOrder)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a link profile table [ppp.NAME]")]
pub(super) struct RawPppProfile {
    pub(super) mru: Int,
    pub(super) auth: Option<Spanned<Vec<Spanned<String>>>>,
    pub(super) echo_interval_s: Int,
    pub(super) echo_failures: Int,
    pub(super) echo_offload: Option<Spanned<bool>>,
    pub(super) idle_timeout_s: Int,
    pub(super) session_timeout_s: Int,
    #[serde(default)]
    pub(super) dns: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) nbns: Vec<Spanned<String>>,
    pub(super) pool: Text,
    pub(super) gateway: Text,
    pub(super) mss_clamp: Int,
    pub(super) accm: Option<Spanned<bool>>,
    pub(super) acfc: Option<Spanned<bool>>,
    pub(super) pfc: Option<Spanned<bool>>,
    pub(super) max_auth_attempts: Int,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(super) struct RawPool {
    pub(super) name: Spanned<String>,
    pub(super) ranges: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    pub(super) exclude: Vec<Spanned<String>>,
    pub(super) skip_prefix_ends: Option<bool>,
    pub(super) skip_dot0_dot255: Option<bool>,
}

pub(super) type Int = Option<Spanned<i64>>;
pub(super) type Text = Option<Spanned<String>>;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(super) struct RawDpdk {
    pub(super) no_huge: Option<Spanned<bool>>,
    pub(super) memory_mb: Int,
    pub(super) file_prefix: Text,
    #[serde(default)]
    pub(super) eal_args: Vec<Spanned<String>>,
    pub(super) mbufs: Int,
    pub(super) mbuf_cache: Int,
    pub(super) rx_desc: Int,
    pub(super) tx_desc: Int,
    pub(super) burst: Int,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(super) struct RawPort {
    pub(super) name: Spanned<String>,
    pub(super) device: Spanned<String>,
    pub(super) role: Spanned<String>,
    #[serde(default)]
    pub(super) addresses: Vec<Spanned<String>>,
    pub(super) mtu: Int,
    pub(super) mac: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(super) struct RawRoute {
    pub(super) prefix: Spanned<String>,
    pub(super) via: Text,
    pub(super) port: Text,
    pub(super) blackhole: Option<Spanned<bool>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(super) struct RawException {
    pub(super) enabled: Option<bool>,
    pub(super) tap: Text,
    pub(super) netns: Text,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(super) struct RawManagement {
    pub(super) socket: Text,
    pub(super) metrics: Text,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(super) struct RawDataplane {
    pub(super) fib_max_tbl8_groups: Int,
    pub(super) neighbours_max: Int,
    pub(super) arp_timeout_s: Int,
    pub(super) arp_retry_ms: Int,
    pub(super) punt_ring: Int,
    pub(super) idle_sleep_us: Int,
    pub(super) icmp_rate: Int,
    pub(super) max_sessions: Int,
    pub(super) pppoe_discovery_rate: Int,
    pub(super) ppp_control_rate: Int,
}
