//! Link profiles from the configuration (`[ppp.NAME]`, [`PppProfile`]) as the subscriber
//! manager uses them ([`crate::subscribers::Profile`], [`crate::ppp::link::LinkProfile`]).

use std::net::Ipv4Addr;
use std::sync::Arc;

use crate::aaa::Method;
use crate::config::{AuthMethod, Config, PppProfile, PppoeConfig};
use crate::ppp::lcp::{EchoConfig, Framing};
use crate::ppp::link::LinkProfile;
use crate::subscribers::Profile;

pub fn method(m: AuthMethod) -> Method {
    match m {
        AuthMethod::Pap => Method::Pap,
        AuthMethod::ChapMd5 => Method::ChapMd5,
        AuthMethod::MsChapV2 => Method::MsChapV2,
    }
}

/// The name of the profile `[pppoe]` runs.
pub fn pppoe_profile(pc: &PppoeConfig) -> &str {
    &pc.ppp
}

/// Sessions that may be negotiating at once.
pub fn max_pending(c: &Config) -> usize {
    c.pppoe.as_ref().map_or(65_536, |p| p.max_pending as usize)
}

fn two(v: &[Ipv4Addr]) -> [Option<Ipv4Addr>; 2] {
    [v.first().copied(), v.get(1).copied()]
}

/// Every profile the configuration defines, in file order.
pub fn from_config(c: &Config) -> Vec<Profile> {
    let name = c.pppoe.as_ref().map(|p| p.ac_name.as_str()).unwrap_or("dpvpn");
    c.ppp.iter().map(|p| profile(p, name)).collect()
}

/// One profile; `name` is our name in CHAP Challenges (the AC-Name on PPPoE).
pub fn profile(p: &PppProfile, name: &str) -> Profile {
    let mut link = LinkProfile::new(p.gateway);
    link.mru = p.mru;
    link.auth = p.auth.iter().map(|&m| method(m)).collect();
    link.name = name.as_bytes().to_vec();
    link.echo = (p.echo_interval_s > 0)
        .then_some(EchoConfig { interval_ms: p.echo_interval_s as u64 * 1000, failures: p.echo_failures });
    link.session_timeout_ms = (p.session_timeout_s > 0).then_some(p.session_timeout_s as u64 * 1000);
    link.idle_timeout_ms = (p.idle_timeout_s > 0).then_some(p.idle_timeout_s as u64 * 1000);
    link.framing = Framing { accm: p.accm, pfc: p.pfc, acfc: p.acfc };
    link.max_auth_attempts = p.max_auth_attempts;
    Profile {
        name: p.name.clone(),
        link: Arc::new(link),
        pool: p.pool.clone(),
        dns: two(&p.dns),
        nbns: two(&p.nbns),
        mss_clamp: p.mss_clamp.unwrap_or(0),
        echo_offload: p.echo_offload,
    }
}
