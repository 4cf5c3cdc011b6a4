//! `[exception]`: the tap to the host kernel and its network namespace.

use super::error::{ConfigError, Ctx};
use super::ports::device_iface;
use super::raw::RawException;
use super::{ExceptionConfig, PortConfig};

fn valid_ifname(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 15
        && v != "."
        && v != ".."
        && v.bytes().all(|b| b.is_ascii_graphic() && b != b'/' && b != b':')
}

pub(super) fn check_exception(
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
            if let Some(p) = ports.iter().position(|p| device_iface(&p.device) == Some(v.as_str())) {
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
                || !v.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.')
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
    Ok(ExceptionConfig { enabled: e.enabled.unwrap_or(true), tap, netns })
}
