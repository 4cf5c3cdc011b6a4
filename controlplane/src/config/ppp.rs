//! `[ppp.NAME]`: link profiles, what a PPP session negotiates whichever carrier brings it
//! (LCP: MRU, authentication, echo; IPCP: gateway, DNS, NBNS, pool; the session's timers).
//! Carriers reference a profile by NAME (`pppoe.ppp`) and may narrow it; their own checks
//! say where (see `pppoe.rs` for PPPoE's MRU cap).

use std::net::Ipv4Addr;

use toml::Spanned;

use super::error::{key_segment, ConfigError, Ctx};
use super::raw::{RawPppProfile, RawProfiles};
use super::{AuthMethod, PortConfig, PortRole, PppProfile};

/// Profile keys that parse but that nothing acts on yet, each with the work that will: a
/// key that would change nothing is refused rather than silently accepted. A line goes when
/// its consumer lands; [`PppProfile`] already carries the value.
const NOT_YET: &[(&str, &str)] = &[
    (
        "accm",
        "only L2TP and PPTP carriers accept the peer's ACCM, and neither exists yet \
         (PPPoE always rejects it, RFC 2516 §7)",
    ),
    (
        "acfc",
        "only L2TP and PPTP carriers accept Address-and-Control-Field-Compression, and neither \
         exists yet (PPPoE always rejects it, RFC 2516 §7)",
    ),
    (
        "pfc",
        "only L2TP and PPTP carriers accept Protocol-Field-Compression, and neither exists yet \
         (PPPoE rejects it: RFC 2516 §7 does not recommend it)",
    ),
];

/// The authentication methods by their TOML names, in the order an error lists them.
const AUTH_NAMES: &[(&str, AuthMethod)] = &[
    ("mschapv2", AuthMethod::MsChapV2),
    ("chap", AuthMethod::ChapMd5),
    ("chap-md5", AuthMethod::ChapMd5),
    ("pap", AuthMethod::Pap),
];

/// A unicast IPv4 address (a gateway, a DNS or NBNS server).
pub(super) fn unicast(cx: &Ctx, s: &Spanned<String>, key: &str) -> Result<Ipv4Addr, ConfigError> {
    let a: Ipv4Addr =
        s.get_ref().parse().map_err(|_| cx.at(s.span(), key, format!("{:?} is not an IPv4 address", s.get_ref())))?;
    if a.is_unspecified() || a.is_multicast() || a.is_broadcast() || a.is_loopback() {
        return Err(cx.at(s.span(), key, format!("{a} is not a unicast address")));
    }
    Ok(a)
}

/// The key path of a profile's key: `ppp.NAME.KEY`.
pub(super) fn profile_key(name: &str, key: &str) -> String {
    format!("ppp.{}.{key}", key_segment(name))
}

pub(super) fn check_ppp(
    cx: &Ctx,
    raw: &RawProfiles,
    ports: &[PortConfig],
    pools: &[crate::pool::PoolConfig],
) -> Result<Vec<PppProfile>, ConfigError> {
    let mut out = Vec::new();
    for (name, p) in &raw.0 {
        out.push(check_profile(cx, name, p, ports, pools)?);
    }
    Ok(out)
}

fn check_profile(
    cx: &Ctx,
    name: &Spanned<String>,
    p: &RawPppProfile,
    ports: &[PortConfig],
    pools: &[crate::pool::PoolConfig],
) -> Result<PppProfile, ConfigError> {
    let n = name.get_ref();
    let key = |k: &str| profile_key(n, k);
    if n.is_empty() || n.len() > 32 || !n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        return Err(cx.at(
            name.span(),
            format!("ppp.{}", key_segment(n)),
            format!("{n:?} is not a link profile name (1 to 32 letters, digits, `_`, `-`)"),
        ));
    }

    let mut profile = PppProfile::new(n, "", Ipv4Addr::UNSPECIFIED);

    profile.mru = cx.int(&p.mru, &key("mru"), PppProfile::DEFAULT_MRU, 68..=65535)?;
    if let Some(list) = &p.auth {
        let mut v = Vec::new();
        for (k, s) in list.get_ref().iter().enumerate() {
            let akey = key(&format!("auth[{k}]"));
            let Some(&(_, m)) = AUTH_NAMES.iter().find(|(t, _)| t == s.get_ref()) else {
                return Err(cx.at(
                    s.span(),
                    akey,
                    format!("{:?} is not an authentication method: \"mschapv2\", \"chap\" or \"pap\"", s.get_ref()),
                ));
            };
            if v.contains(&m) {
                return Err(cx.at(s.span(), akey, format!("{:?} is listed twice", s.get_ref())));
            }
            v.push(m);
        }
        if v.is_empty() {
            return Err(cx.at(
                list.span(),
                key("auth"),
                "offer at least one method, e.g. [\"mschapv2\", \"chap\", \"pap\"]",
            ));
        }
        profile.auth = v;
    }
    profile.echo_interval_s = cx.int(&p.echo_interval_s, &key("echo_interval_s"), 10, 0..=3600)?;
    profile.echo_failures = cx.int(&p.echo_failures, &key("echo_failures"), 3, 1..=100)?;
    profile.echo_offload = p.echo_offload.as_ref().is_none_or(|b| *b.get_ref());
    // RFC 2865 §5.27, §5.28: 32-bit counts of seconds.
    profile.idle_timeout_s = cx.int(&p.idle_timeout_s, &key("idle_timeout_s"), 0, 0..=u32::MAX as i64)?;
    profile.session_timeout_s = cx.int(&p.session_timeout_s, &key("session_timeout_s"), 0, 0..=u32::MAX as i64)?;
    profile.dns = servers(cx, &p.dns, n, "dns", "DNS")?;
    profile.nbns = servers(cx, &p.nbns, n, "nbns", "NBNS")?;

    profile.pool = match &p.pool {
        Some(s) => {
            if !pools.iter().any(|q| &q.name == s.get_ref()) {
                let names: Vec<&str> = pools.iter().map(|q| q.name.as_str()).collect();
                return Err(cx.at(
                    s.span(),
                    key("pool"),
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
            None => {
                return Err(cx.at(
                    name.span(),
                    key("pool"),
                    "no [[pool]] to hand out addresses from: add a [[pool]] table (a profile's pool \
                     defaults to the first)",
                ))
            }
        },
    };
    profile.gateway = match &p.gateway {
        Some(g) => unicast(cx, g, &key("gateway"))?,
        None => {
            let access = ports.iter().filter(|q| q.role == PortRole::Access);
            match access.flat_map(|a| a.addresses.first()).next() {
                Some(a) => a.addr,
                None => {
                    return Err(cx.at(
                        name.span(),
                        key("gateway"),
                        format!(
                            "no access port has an address to use as the subscribers' gateway: set {}",
                            key("gateway")
                        ),
                    ))
                }
            }
        }
    };

    // RFC 6691: the MSS that fits the link is the MRU less 40 bytes of IPv4 and TCP. RFC
    // 879's 536 is the floor, unless the MRU is too small for it.
    let max_mss = i64::from(profile.mru) - 40;
    profile.mss_clamp = match &p.mss_clamp {
        None => Some(max_mss as u16),
        Some(v) if *v.get_ref() == 0 => None,
        Some(_) => Some(cx.int(&p.mss_clamp, &key("mss_clamp"), 0u16, 536.min(max_mss)..=max_mss)?),
    };
    profile.accm = p.accm.as_ref().is_none_or(|b| *b.get_ref());
    profile.acfc = p.acfc.as_ref().is_none_or(|b| *b.get_ref());
    profile.pfc = p.pfc.as_ref().is_none_or(|b| *b.get_ref());
    profile.max_auth_attempts = cx.int(&p.max_auth_attempts, &key("max_auth_attempts"), 1, 1..=5)?;

    let written = [
        ("idle_timeout_s", p.idle_timeout_s.as_ref().map(Spanned::span)),
        ("session_timeout_s", p.session_timeout_s.as_ref().map(Spanned::span)),
        ("nbns", p.nbns.first().map(Spanned::span)),
        ("accm", p.accm.as_ref().map(Spanned::span)),
        ("acfc", p.acfc.as_ref().map(Spanned::span)),
        ("pfc", p.pfc.as_ref().map(Spanned::span)),
        ("max_auth_attempts", p.max_auth_attempts.as_ref().map(Spanned::span)),
    ];
    for (k, span) in written {
        let (Some(span), Some((_, why))) = (span, NOT_YET.iter().find(|(n, _)| *n == k)) else { continue };
        return Err(cx.at(span, key(k), format!("not implemented yet: {why}; leave `{k}` out until then")));
    }
    Ok(profile)
}

/// Up to two server addresses for IPCP to hand out (RFC 1877).
fn servers(
    cx: &Ctx,
    list: &[Spanned<String>],
    profile: &str,
    key: &str,
    what: &str,
) -> Result<Vec<Ipv4Addr>, ConfigError> {
    if list.len() > 2 {
        return Err(cx.at(
            list[2].span(),
            profile_key(profile, &format!("{key}[2]")),
            format!("IPCP hands out two {what} servers at most (RFC 1877)"),
        ));
    }
    list.iter().enumerate().map(|(k, s)| unicast(cx, s, &profile_key(profile, &format!("{key}[{k}]")))).collect()
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;
    use std::path::Path;

    use super::super::testing::{err, GOOD};
    use super::super::{parse, AuthMethod, PppProfile};

    fn with_profiles(profiles: &str) -> String {
        format!("{GOOD}\n[[pool]]\nname = \"lab\"\nranges = [\"100.64.0.0/12\"]\n\n{profiles}")
    }

    #[test]
    fn a_profile_without_keys_has_the_documented_defaults() {
        let c = parse(&with_profiles("[ppp.default]\n"), Path::new("t.toml")).unwrap();
        assert_eq!(c.ppp, [PppProfile::new("default", "lab", Ipv4Addr::new(192, 0, 2, 1))]);
        let p = &c.ppp[0];
        assert_eq!((p.mru, p.mss_clamp), (1492, Some(1452)));
        assert_eq!(p.auth, [AuthMethod::ChapMd5, AuthMethod::Pap]);
        assert_eq!((p.echo_interval_s, p.echo_failures, p.echo_offload), (10, 3, true));
        assert_eq!((p.idle_timeout_s, p.session_timeout_s, p.max_auth_attempts), (0, 0, 1));
        assert!(p.dns.is_empty() && p.nbns.is_empty());
        assert!(p.accm && p.acfc && p.pfc);
    }

    #[test]
    fn profiles_keep_the_file_order_and_their_own_values() {
        let c = parse(
            &with_profiles(
                "[ppp.zeta]\nmru = 1400\nauth = [\"pap\"]\nmss_clamp = 0\n\n[ppp.alpha]\n\
                 auth = [\"mschapv2\", \"chap-md5\"]\ndns = [\"198.51.100.53\", \"198.51.100.54\"]\n\
                 gateway = \"100.64.0.1\"\necho_interval_s = 0\necho_offload = false\n",
            ),
            Path::new("t.toml"),
        )
        .unwrap();
        let names: Vec<&str> = c.ppp.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["zeta", "alpha"]);
        let zeta = c.ppp_profile("zeta").unwrap();
        assert_eq!((zeta.mru, zeta.mss_clamp, zeta.auth.as_slice()), (1400, None, &[AuthMethod::Pap][..]));
        let alpha = c.ppp_profile("alpha").unwrap();
        assert_eq!(alpha.auth, [AuthMethod::MsChapV2, AuthMethod::ChapMd5]);
        assert_eq!(alpha.dns, [Ipv4Addr::new(198, 51, 100, 53), Ipv4Addr::new(198, 51, 100, 54)]);
        assert_eq!(alpha.gateway, Ipv4Addr::new(100, 64, 0, 1));
        assert_eq!((alpha.echo_interval_s, alpha.echo_offload), (0, false));
        assert!(c.ppp_profile("beta").is_none());
    }

    #[test]
    fn a_small_mru_lowers_the_mss_floor_with_it() {
        let c = parse(&with_profiles("[ppp.small]\nmru = 500\n"), Path::new("t.toml")).unwrap();
        assert_eq!((c.ppp[0].mru, c.ppp[0].mss_clamp), (500, Some(460)));
        let e = err(&with_profiles("[ppp.small]\nmru = 500\nmss_clamp = 461\n"));
        assert_eq!(e.key, "ppp.small.mss_clamp", "{e}");
        assert_eq!(e.message, "461 is too large (the range is 460..=460)", "{e}");
    }
}
