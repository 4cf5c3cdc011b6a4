//! `[pppoe]`: the PPPoE access concentrator (RFC 2516), a carrier of PPP links whose
//! profile (`pppoe.ppp`) it caps to what PPPoE carries.

use std::path::{Path, PathBuf};

use toml::Spanned;

use super::error::{key_segment, ConfigError, Ctx};
use super::ppp::profile_key;
use super::raw::{RawPppoe, RawProfiles, Text};
use super::{PortConfig, PortRole, PppProfile, PppoeConfig};

/// Keys `[pppoe]` had that the link profile holds now: refused with where they went.
pub(super) const MOVED_TO_PROFILE: &[&str] =
    &["mru", "auth", "echo_interval_s", "echo_failures", "echo_offload", "mss_clamp", "gateway", "dns", "pool"];

/// What a PPPoE session carries without RFC 4638: 1500 − PPPoE 6 − PPP 2 (RFC 2516 §7).
const PPPOE_MAX_MRU: u16 = 1492;

/// Where PPPoE listens: checked before the link profiles, whose gateway defaults to an
/// access port's address, so that a missing access port is named as such.
pub(super) fn check_access_ports(cx: &Ctx, raw: &Spanned<RawPppoe>, ports: &[PortConfig]) -> Result<(), ConfigError> {
    if !ports.iter().any(|p| p.role == PortRole::Access) {
        return Err(cx.at(raw.span(), "pppoe", "PPPoE needs at least one port with role = \"access\" to listen on"));
    }
    Ok(())
}

pub(super) fn check_pppoe(
    cx: &Ctx,
    raw: &Spanned<RawPppoe>,
    ports: &[PortConfig],
    raw_profiles: &RawProfiles,
    profiles: &[PppProfile],
) -> Result<PppoeConfig, ConfigError> {
    let span = raw.span();
    let p = raw.get_ref();
    let access: Vec<&PortConfig> = ports.iter().filter(|p| p.role == PortRole::Access).collect();
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
    let ppp_max_payload = p.ppp_max_payload.as_ref().is_some_and(|b| *b.get_ref());
    if ppp_max_payload && access.iter().all(|a| a.mtu < 1508) {
        let b = p.ppp_max_payload.as_ref().expect("set");
        return Err(cx.at(
            b.span(),
            "pppoe.ppp_max_payload",
            "RFC 4638 PPP-Max-Payload needs an access port with an MTU of at least 1508 (1500 + PPPoE 6 + PPP 2)",
        ));
    }
    let ppp = match &p.ppp {
        Some(name) => match profiles.iter().position(|q| &q.name == name.get_ref()) {
            Some(i) => i,
            None => {
                let names: Vec<&str> = profiles.iter().map(|q| q.name.as_str()).collect();
                return Err(cx.at(
                    name.span(),
                    "pppoe.ppp",
                    format!(
                        "no link profile [ppp.{}] is defined ({})",
                        key_segment(name.get_ref()),
                        if names.is_empty() {
                            "there are none".into()
                        } else {
                            format!("profiles: {}", names.join(", "))
                        }
                    ),
                ));
            }
        },
        None => match profiles {
            [] => {
                return Err(cx.at(
                    span,
                    "pppoe",
                    "PPPoE sessions need a link profile: add a [ppp.NAME] table (e.g. [ppp.default] with \
                     mru, auth, dns, pool; configs/example-full.toml shows every key)",
                ))
            }
            [_] => 0,
            [first, ..] => {
                let names: Vec<&str> = profiles.iter().map(|q| q.name.as_str()).collect();
                return Err(cx.at(
                    span,
                    "pppoe.ppp",
                    format!(
                        "{} link profiles ({}): name the one PPPoE sessions use, e.g. ppp = {:?}",
                        names.len(),
                        names.join(", "),
                        first.name
                    ),
                ));
            }
        },
    };
    // The carrier caps the profile's MRU; without RFC 4638 the cap is fixed, so a larger
    // MRU could never be asked for: say so rather than quietly ask for less.
    let profile = &profiles[ppp];
    if profile.mru > PPPOE_MAX_MRU && !ppp_max_payload {
        let (name, raw_profile) = &raw_profiles.0[ppp];
        let at = raw_profile.mru.as_ref().map_or(name.span(), |m| m.span());
        return Err(cx.at(
            at,
            profile_key(&profile.name, "mru"),
            format!(
                "{} is more than PPPoE carries without RFC 4638 ({PPPOE_MAX_MRU}, RFC 2516 §7), and [pppoe] uses \
                 this profile with pppoe.ppp_max_payload = false: lower mru to {PPPOE_MAX_MRU} or set \
                 pppoe.ppp_max_payload = true",
                profile.mru
            ),
        ));
    }
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
        ppp_max_payload,
        ppp: profile.name.clone(),
        users_file,
        max_pending: cx.int(&p.max_pending, "pppoe.max_pending", 65536, 1..=1 << 22)?,
    })
}
