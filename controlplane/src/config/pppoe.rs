//! `[pppoe]`: the PPPoE access concentrator (RFC 2516) and the PPP it runs.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::error::{ConfigError, Ctx};
use super::raw::{RawPppoe, Text};
use super::{AuthMethod, PortConfig, PortRole, PppoeConfig};

pub(super) fn check_pppoe(
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
            Some(s) if s.get_ref().is_empty() || s.get_ref().len() > max => {
                Err(cx.at(s.span(), key, format!("{:?}: 1 to {max} bytes", s.get_ref())))
            }
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
                        return Err(cx.at(
                            s.span(),
                            key,
                            format!("{other:?} is not an authentication method: \"chap\" or \"pap\""),
                        ))
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
    let dns =
        p.dns.iter().enumerate().map(|(k, d)| addr(d, format!("pppoe.dns[{k}]"))).collect::<Result<Vec<_>, _>>()?;
    let default_pool = match &p.pool {
        Some(s) => {
            if !pools.iter().any(|q| &q.name == s.get_ref()) {
                let names: Vec<&str> = pools.iter().map(|q| q.name.as_str()).collect();
                return Err(cx.at(
                    s.span(),
                    "pppoe.pool",
                    format!(
                        "no [[pool]] named {:?} (pools: {})",
                        s.get_ref(),
                        if names.is_empty() { "none".into() } else { names.join(", ") }
                    ),
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
