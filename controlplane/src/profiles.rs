//! Link profiles from the configuration: what the subscriber manager's links negotiate
//! ([`crate::subscribers::Profile`], [`crate::ppp::link::LinkProfile`]).

use std::net::Ipv4Addr;

use crate::aaa::Method;
use crate::config::{AuthMethod, Config, PppoeConfig};
use crate::ppp::lcp::{EchoConfig, Framing};
use crate::ppp::link::LinkProfile;
use crate::subscribers::Profile;

pub fn method(m: AuthMethod) -> Method {
    match m {
        AuthMethod::Pap => Method::Pap,
        AuthMethod::ChapMd5 => Method::ChapMd5,
    }
}

/// The name of the profile `[pppoe]` runs.
pub fn pppoe_profile(_pc: &PppoeConfig) -> &str {
    "pppoe"
}

/// Sessions that may be negotiating at once.
pub fn max_pending(c: &Config) -> usize {
    c.pppoe.as_ref().map_or(65_536, |p| p.max_pending as usize)
}

fn two(v: &[Ipv4Addr]) -> [Option<Ipv4Addr>; 2] {
    [v.first().copied(), v.get(1).copied()]
}

/// Every profile the configuration defines.
pub fn from_config(c: &Config) -> Vec<Profile> {
    c.pppoe.as_ref().map(from_pppoe).unwrap_or_default()
}

/// The profile of a `[pppoe]` section.
pub fn from_pppoe(pc: &PppoeConfig) -> Vec<Profile> {
    let mut link = LinkProfile::new(pc.gateway);
    link.mru = pc.mru;
    link.auth = pc.auth.iter().map(|&m| method(m)).collect();
    link.name = pc.ac_name.as_bytes().to_vec();
    link.echo = (pc.echo_interval_s > 0)
        .then_some(EchoConfig { interval_ms: pc.echo_interval_s as u64 * 1000, failures: pc.echo_failures });
    link.framing = Framing::ALL;
    vec![Profile {
        name: "pppoe".into(),
        link: std::sync::Arc::new(link),
        pool: pc.default_pool.clone(),
        dns: two(&pc.dns),
        nbns: [None, None],
        mss_clamp: pc.mss_clamp.unwrap_or(0),
        echo_offload: pc.echo_offload,
    }]
}
