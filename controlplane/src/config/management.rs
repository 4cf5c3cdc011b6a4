//! `[management]`: the dpvpnctl socket and the metrics endpoint.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::error::{ConfigError, Ctx};
use super::raw::RawManagement;
use super::ManagementConfig;

/// `sun_path` of a Unix socket address holds 107 bytes and a NUL.
const MAX_SOCKET_PATH: usize = 107;

pub(super) fn check_management(cx: &Ctx, m: &RawManagement) -> Result<ManagementConfig, ConfigError> {
    let socket = match &m.socket {
        Some(s) => {
            let v = s.get_ref();
            if v.is_empty() || v.len() > MAX_SOCKET_PATH || v.contains('\0') {
                return Err(cx.at(
                    s.span(),
                    "management.socket",
                    format!("{v:?} cannot be a Unix socket path (1 to {MAX_SOCKET_PATH} bytes)"),
                ));
            }
            PathBuf::from(v)
        }
        None => PathBuf::from("/run/dpvpn/dpvpn.sock"),
    };
    let metrics = match &m.metrics {
        Some(s) => Some(s.get_ref().parse::<SocketAddr>().map_err(|_| {
            cx.at(
                s.span(),
                "management.metrics",
                format!("{:?} is not an address:port (e.g. 127.0.0.1:9464 or [::1]:9464)", s.get_ref()),
            )
        })?),
        None => None,
    };
    Ok(ManagementConfig { socket, metrics })
}
