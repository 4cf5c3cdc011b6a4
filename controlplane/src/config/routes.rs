//! `[[route]]`: static routes, checked against the ports' connected prefixes.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use toml::Spanned;

use super::error::{ConfigError, Ctx};
use super::net::parse_prefix;
use super::raw::{RawPort, RawRoute};
use super::{InterfaceAddress, PortConfig, RouteConfig};

pub(super) fn check_routes(
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
        .flat_map(|(p, port)| port.addresses.iter().enumerate().map(move |(k, a)| (p, k, a)))
        .collect();
    let mut routes: Vec<RouteConfig> = Vec::new();
    let mut seen: HashMap<(Ipv4Addr, u8), usize> = HashMap::new();
    for (i, r) in raw.iter().enumerate() {
        let route_span = r.span();
        let r = r.get_ref();
        let key = |k: &str| format!("route[{i}].{k}");
        let (prefix, len) = parse_prefix(r.prefix.get_ref()).map_err(|m| cx.at(r.prefix.span(), key("prefix"), m))?;
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
                    format!("{prefix}/32 is dpvpn's own address on port {:?} ({})", ports[p].name, addr_site(p, k)),
                ));
            }
        }

        let port = match &r.port {
            Some(name) => {
                if !ports.iter().any(|q| &q.name == name.get_ref()) {
                    let names: Vec<String> = ports.iter().map(|q| format!("{:?}", q.name)).collect();
                    return Err(cx.at(
                        name.span(),
                        key("port"),
                        format!("no port is named {:?} (the ports are {})", name.get_ref(), names.join(", ")),
                    ));
                }
                Some(name.get_ref().clone())
            }
            None => None,
        };

        let via = match &r.via {
            Some(v) => {
                let nh: Ipv4Addr = v
                    .get_ref()
                    .parse()
                    .map_err(|_| cx.at(v.span(), key("via"), format!("{:?} is not an IPv4 address", v.get_ref())))?;
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
                        .map(|(p, _, a)| format!("{}/{} on {:?}", a.network(), a.len, ports[*p].name))
                        .collect();
                    let list = if list.is_empty() { "no port has an address".to_string() } else { list.join(", ") };
                    return Err(here(format!(
                        "next hop {nh} is not inside any port's connected prefix ({list}); \
                         a next hop must be directly reachable"
                    )));
                };
                if a.len <= 30 && (nh == a.network() || nh == a.broadcast()) {
                    let which = if nh == a.network() { "network" } else { "broadcast" };
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
        routes.push(RouteConfig { prefix, len, via, port, blackhole });
    }
    Ok(routes)
}
