//! `[bench]`: synthetic sessions, routes and a pinned neighbour for data-path benchmarks.

use std::net::Ipv4Addr;
use std::ops::Range;

use toml::Spanned;

use super::error::{ConfigError, Ctx};
use super::net::parse_mac;
use super::raw::{RawBench, Text};
use super::{BenchConfig, PortConfig, PortRole};

pub(super) fn check_bench(
    cx: &Ctx,
    raw: &Spanned<RawBench>,
    ports: &[PortConfig],
    max_sessions: u32,
) -> Result<BenchConfig, ConfigError> {
    let span = raw.span();
    let b = raw.get_ref();
    let pppoe_sessions: u32 = cx.int(&b.pppoe_sessions, "bench.pppoe_sessions", 0, 0..=1 << 23)?;
    if pppoe_sessions > max_sessions {
        let s = b.pppoe_sessions.as_ref().map_or(span.clone(), |s| s.span());
        return Err(cx.at(
            s,
            "bench.pppoe_sessions",
            format!("{pppoe_sessions} sessions do not fit dataplane.max_sessions = {max_sessions}: raise it"),
        ));
    }
    let access_port = match &b.access_port {
        Some(s) => {
            let name = s.get_ref();
            match ports.iter().find(|p| &p.name == name) {
                None => {
                    let names: Vec<&str> = ports.iter().map(|p| p.name.as_str()).collect();
                    return Err(cx.at(
                        s.span(),
                        "bench.access_port",
                        format!("no port is named {name:?} (ports: {})", names.join(", ")),
                    ));
                }
                Some(p) if p.role != PortRole::Access => {
                    return Err(cx.at(
                        s.span(),
                        "bench.access_port",
                        format!("port {name:?} has role \"uplink\"; PPPoE sessions need an access port"),
                    ));
                }
                Some(p) => p.name.clone(),
            }
        }
        None => match ports.iter().find(|p| p.role == PortRole::Access) {
            Some(p) => p.name.clone(),
            None if pppoe_sessions == 0 => String::new(),
            None => {
                return Err(cx.at(
                    span,
                    "bench.pppoe_sessions",
                    "synthetic PPPoE sessions need a port with role = \"access\"",
                ));
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
            return Err(cx.at(
                s.span(),
                "bench.vlans",
                format!("VLANs {v}..{} go past 4094", u32::from(v) + u32::from(vlans) - 1),
            ));
        }
    }
    if first_vlan.is_none() {
        if let Some(s) = &b.vlans {
            return Err(cx.at(
                s.span(),
                "bench.vlans",
                "vlans needs first_vlan (without it the sessions are untagged)",
            ));
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
    if last > u64::from(u32::from(Ipv4Addr::new(223, 255, 255, 255)))
        || address_base.octets()[0] == 0
        || address_base.octets()[0] == 127
    {
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
        return Err(cx.at(
            base_span,
            "bench.address_base",
            format!("the session addresses {address_base}.. include the port address {a}"),
        ));
    }
    let routes: u32 = cx.int(&b.routes, "bench.routes", 0, 0..=1 << 22)?;
    let (route_base, rspan) = addr(&b.route_base, "bench.route_base", Ipv4Addr::new(16, 0, 0, 0))?;
    if u32::from(route_base) & 0xff != 0 {
        return Err(cx.at(rspan, "bench.route_base", format!("{route_base} is not the start of a /24")));
    }
    if u64::from(u32::from(route_base)) + (u64::from(routes) << 8) > 0xe000_0000 {
        return Err(cx.at(
            rspan,
            "bench.route_base",
            format!("{routes} /24 routes from {route_base} go past 223.255.255.0"),
        ));
    }
    let neighbour = match &b.neighbour {
        Some(s) => {
            let v = s.get_ref();
            let shape = || {
                cx.at(
                    s.span(),
                    "bench.neighbour",
                    format!("{v:?} is not \"ADDRESS MAC\" (e.g. \"198.51.100.2 02:00:00:00:00:fe\")"),
                )
            };
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

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;
    use std::path::Path;

    use super::super::testing::{err, GOOD};
    use super::super::{parse, BenchConfig};

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
