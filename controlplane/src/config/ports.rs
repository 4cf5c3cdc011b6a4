//! `[[port]]`: names, devices, roles, interface addresses, MTU and MAC.

use std::net::Ipv4Addr;

use toml::Spanned;

use super::error::{ConfigError, Ctx};
use super::net::{parse_cidr, parse_mac};
use super::raw::RawPort;
use super::{InterfaceAddress, PortConfig, PortRole, MAX_ADDRS_PER_PORT, MAX_PORTS};

/// `DDDD:BB:DD.F` or `BB:DD.F` (before any `,args`), normalised to `dddd:bb:dd.f`.
pub(super) fn pci_address(dev: &str) -> Option<String> {
    let name = dev.split(',').next().unwrap_or("");
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|c| c.is_ascii_hexdigit());
    let parts: Vec<&str> = name.split(':').collect();
    let (domain, bus, dev_fn) = match parts.as_slice() {
        [d, b, df] => (*d, *b, *df),
        [b, df] => ("0000", *b, *df),
        _ => return None,
    };
    let (slot, func) = dev_fn.split_once('.')?;
    let slot_ok = hex(slot, 2) && u8::from_str_radix(slot, 16).is_ok_and(|s| s < 32);
    let func_ok = func.len() == 1 && matches!(func.as_bytes()[0], b'0'..=b'7');
    (hex(domain, 4) && hex(bus, 2) && slot_ok && func_ok)
        .then(|| format!("{domain}:{bus}:{slot}.{func}").to_ascii_lowercase())
}

/// The identity of a device, for "used twice" checks: the normalised PCI address or the
/// vdev name (the part before the first comma).
fn device_identity(dev: &str) -> String {
    pci_address(dev).unwrap_or_else(|| dev.split(',').next().unwrap_or("").to_string())
}

fn check_device(dev: &str) -> Result<(), String> {
    let shape = "a device is a PCI address (0000:01:00.0 or 01:00.0) or a virtual device \
                 net_<driver><N>[,key=value...] (e.g. net_af_packet0,iface=eth1)";
    if dev.is_empty() {
        return Err(format!("the device is empty: {shape}"));
    }
    let mut parts = dev.split(',');
    let name = parts.next().unwrap_or("");
    if pci_address(dev).is_none() {
        let driver = name.strip_prefix("net_").unwrap_or("");
        let digits = driver.len() - driver.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let stem = &driver[..driver.len() - digits];
        let ok = !stem.is_empty()
            && stem.starts_with(|c: char| c.is_ascii_lowercase())
            && stem.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && digits > 0;
        if !ok {
            return Err(format!("{name:?} is not a device: {shape}"));
        }
    }
    for kv in parts {
        if kv.split_once('=').is_none_or(|(k, _)| k.is_empty()) {
            return Err(format!("device argument {kv:?} in {dev:?} is not key=value"));
        }
    }
    Ok(())
}

/// `iface=NAME` of a virtual device, if any: the kernel interface it drives.
pub(super) fn device_iface(dev: &str) -> Option<&str> {
    dev.split(',').skip(1).find_map(|kv| kv.strip_prefix("iface="))
}

/// Where an interface address was written, for messages that point back at it.
struct AddrSite {
    port: usize,
    index: usize,
    addr: InterfaceAddress,
    line: usize,
}

impl AddrSite {
    fn key(&self) -> String {
        format!("port[{}].addresses[{}]", self.port, self.index)
    }
}

pub(super) fn check_ports(cx: &Ctx, raw: &[Spanned<RawPort>]) -> Result<Vec<PortConfig>, ConfigError> {
    if raw.is_empty() {
        let (line, column) = cx.line_col(cx.text.len());
        return Err(ConfigError {
            file: cx.file.to_path_buf(),
            line,
            column,
            key: "port".into(),
            message: "no [[port]] table: dpvpn needs at least one port".into(),
        });
    }
    if raw.len() > MAX_PORTS {
        return Err(cx.at(raw[MAX_PORTS].span(), format!("port[{MAX_PORTS}]"), format!("at most {MAX_PORTS} ports")));
    }
    let mut ports: Vec<PortConfig> = Vec::new();
    let mut sites: Vec<AddrSite> = Vec::new();
    for (i, p) in raw.iter().enumerate() {
        let p = p.get_ref();
        let key = |k: &str| format!("port[{i}].{k}");

        let name = p.name.get_ref();
        if name.is_empty()
            || name.len() > 15
            || !name.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_' || c == b'-')
        {
            return Err(cx.at(
                p.name.span(),
                key("name"),
                format!("{name:?} is not a port name: use 1 to 15 of a-z, 0-9, `_` and `-`"),
            ));
        }
        if let Some(j) = raw[..i].iter().position(|q| q.get_ref().name.get_ref() == name) {
            let first = &raw[j].get_ref().name;
            return Err(cx.at(
                p.name.span(),
                key("name"),
                format!("port name {name:?} is already used by port[{j}] (line {})", cx.line(&first.span())),
            ));
        }

        let device = p.device.get_ref();
        check_device(device).map_err(|m| cx.at(p.device.span(), key("device"), m))?;
        let identity = device_identity(device);
        if let Some(j) = raw[..i].iter().position(|q| device_identity(q.get_ref().device.get_ref()) == identity) {
            let first = &raw[j].get_ref().device;
            return Err(cx.at(
                p.device.span(),
                key("device"),
                format!(
                    "device {identity:?} is already used by port[{j}] {:?} (line {})",
                    ports[j].name,
                    cx.line(&first.span())
                ),
            ));
        }

        let role = match p.role.get_ref().as_str() {
            "access" => PortRole::Access,
            "uplink" => PortRole::Uplink,
            other => {
                return Err(cx.at(
                    p.role.span(),
                    key("role"),
                    format!("{other:?} is not a role: \"access\" or \"uplink\""),
                ))
            }
        };

        if p.addresses.len() > MAX_ADDRS_PER_PORT {
            let extra = &p.addresses[MAX_ADDRS_PER_PORT];
            return Err(cx.at(
                extra.span(),
                format!("port[{i}].addresses[{MAX_ADDRS_PER_PORT}]"),
                format!("at most {MAX_ADDRS_PER_PORT} addresses per port"),
            ));
        }
        let mut addresses = Vec::new();
        for (k, a) in p.addresses.iter().enumerate() {
            let akey = format!("port[{i}].addresses[{k}]");
            let text = a.get_ref();
            let (addr, len) = parse_cidr(text).map_err(|m| cx.at(a.span(), &akey, m))?;
            let ia = InterfaceAddress { addr, len };
            let top = addr.octets()[0];
            let why = if len == 0 {
                Some(
                    "a /0 prefix covers everything; give the port's address with its subnet length, e.g. 192.0.2.1/24"
                        .into(),
                )
            } else if top == 0 || top == 127 || addr.is_multicast() || top >= 240 {
                Some(format!("{addr} cannot be an interface address (0/8, 127/8, multicast and 240/4 are not usable)"))
            } else if len <= 30 && addr == ia.network() {
                Some(format!(
                    "{addr} is the network address of {}/{len}; give the port's own address, e.g. {}/{len}",
                    ia.network(),
                    Ipv4Addr::from(u32::from(addr) + 1)
                ))
            } else if len <= 30 && addr == ia.broadcast() {
                Some(format!("{addr} is the broadcast address of {}/{len}; give the port's own address", ia.network()))
            } else {
                None
            };
            if let Some(why) = why {
                return Err(cx.at(a.span(), &akey, format!("{text:?}: {why}")));
            }
            if let Some(other) = sites.iter().find(|s| s.addr.overlaps(&ia)) {
                let whose = if other.port == i {
                    "this port".to_string()
                } else {
                    format!("port {:?}", ports[other.port].name)
                };
                return Err(cx.at(
                    a.span(),
                    &akey,
                    format!(
                        "{ia} overlaps {} of {whose} ({}, line {}): {}",
                        other.addr,
                        other.key(),
                        other.line,
                        if (ia.network(), len) == (other.addr.network(), other.addr.len) {
                            format!("both are in {}/{len}; give one address per subnet", ia.network())
                        } else {
                            format!(
                                "the connected prefixes {}/{len} and {}/{} share addresses",
                                ia.network(),
                                other.addr.network(),
                                other.addr.len
                            )
                        }
                    ),
                ));
            }
            sites.push(AddrSite { port: i, index: k, addr: ia, line: cx.line(&a.span()) });
            addresses.push(ia);
        }

        let mtu = cx.int(&p.mtu, &key("mtu"), 1500, 68..=9600)?;
        let mac = match &p.mac {
            Some(m) => {
                let mac = parse_mac(m.get_ref()).map_err(|e| cx.at(m.span(), key("mac"), e))?;
                if let Some(j) = ports.iter().position(|q| q.mac == Some(mac)) {
                    return Err(cx.at(
                        m.span(),
                        key("mac"),
                        format!("MAC {} is already port[{j}] {:?}'s", m.get_ref(), ports[j].name),
                    ));
                }
                Some(mac)
            }
            None => None,
        };
        ports.push(PortConfig { name: name.clone(), device: device.clone(), role, addresses, mtu, mac });
    }
    Ok(ports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices() {
        for good in [
            "0000:01:00.0",
            "01:00.1",
            "0000:af:1f.7,rx_vec_en=0",
            "net_af_packet0,iface=eth1",
            "net_ring0",
            "net_pcap12,rx_pcap=a.pcap,tx_pcap=b.pcap",
        ] {
            check_device(good).unwrap_or_else(|e| panic!("{good}: {e}"));
        }
        for bad in [
            "",
            "eth0",
            "net_",
            "net_af_packet",
            "net_0",
            "0000:01:20.0",
            "01:00.8",
            "net_ring0,",
            "net_ring0,=x",
            "NET_RING0",
        ] {
            assert!(check_device(bad).is_err(), "{bad}");
        }
        assert_eq!(device_identity("01:00.0"), device_identity("0000:01:00.0,x=1"));
        assert_eq!(device_identity("0000:AF:00.0"), "0000:af:00.0");
        assert_eq!(device_iface("net_af_packet0,qpairs=2,iface=up"), Some("up"));
    }
}
