//! Address, prefix and MAC syntax, shared with management (`route add`).

use std::net::Ipv4Addr;

pub(super) fn mask(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - len.min(32))
    }
}

/// `a.b.c.d/len` with the host part allowed (an interface address).
pub(super) fn parse_cidr(s: &str) -> Result<(Ipv4Addr, u8), String> {
    let Some((a, l)) = s.split_once('/') else {
        return Err(format!("{s:?} is not an IPv4 prefix: write address/length, e.g. 192.0.2.1/24"));
    };
    let addr: Ipv4Addr =
        a.parse().map_err(|_| format!("{s:?} is not an IPv4 prefix ({a:?} is not an IPv4 address)"))?;
    if l.is_empty() || l.len() > 2 || !l.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{s:?} is not an IPv4 prefix ({l:?} is not a prefix length 0..32)"));
    }
    let len: u8 = l.parse().expect("one or two digits");
    if len > 32 {
        return Err(format!("{s:?} is not an IPv4 prefix (prefix length {len} > 32)"));
    }
    Ok((addr, len))
}

/// A route prefix `network/len`: (network, len). Host bits must be zero; the error says
/// which are set and what the network would be.
pub fn parse_prefix(s: &str) -> Result<(Ipv4Addr, u8), String> {
    let (a, len) = parse_cidr(s)?;
    let host = u32::from(a) & !mask(len);
    if host != 0 {
        return Err(format!(
            "{s:?} has host bits set: {} lies outside the /{len} mask (the network is {}/{len})",
            Ipv4Addr::from(host),
            Ipv4Addr::from(u32::from(a) & mask(len))
        ));
    }
    Ok((a, len))
}

/// A unicast MAC address `aa:bb:cc:dd:ee:ff` (hex digits in either case). Multicast and
/// all-zero addresses are refused: neither can be a port's or a neighbour's address.
pub fn parse_mac(s: &str) -> Result<[u8; 6], String> {
    let bad = || format!("{s:?} is not a MAC address (six hex pairs like 02:00:00:00:00:01)");
    let mut m = [0u8; 6];
    let mut parts = s.split(':');
    for byte in m.iter_mut() {
        let p = parts.next().ok_or_else(bad)?;
        if p.len() != 2 || !p.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        *byte = u8::from_str_radix(p, 16).map_err(|_| bad())?;
    }
    if parts.next().is_some() {
        return Err(bad());
    }
    if m[0] & 1 != 0 {
        return Err(format!(
            "{s:?} is a multicast MAC address (lowest bit of the first byte set); a unicast one is needed"
        ));
    }
    if m == [0; 6] {
        return Err(format!("{s:?} is the all-zero MAC address"));
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(parse_prefix("10.0.0.0/8"), Ok((Ipv4Addr::new(10, 0, 0, 0), 8)));
        assert_eq!(parse_prefix("0.0.0.0/0"), Ok((Ipv4Addr::UNSPECIFIED, 0)));
        assert_eq!(parse_prefix("192.0.2.7/32"), Ok((Ipv4Addr::new(192, 0, 2, 7), 32)));
        assert_eq!(
            parse_prefix("10.1.0.0/8").unwrap_err(),
            "\"10.1.0.0/8\" has host bits set: 0.1.0.0 lies outside the /8 mask (the network is 10.0.0.0/8)"
        );
        assert!(parse_prefix("1.2.3.4/33").unwrap_err().contains("prefix length 33 > 32"));
        assert!(parse_prefix("1.2.3.4").unwrap_err().contains("address/length"));
        assert!(parse_prefix("1.2.3/24").unwrap_err().contains("\"1.2.3\" is not an IPv4 address"));
        assert!(parse_prefix("1.2.3.0/+8").is_err());
        assert!(parse_prefix("1.2.3.0/ 8").is_err());
        assert!(parse_prefix("1.2.3.0/008").is_err());
    }

    #[test]
    fn macs() {
        assert_eq!(parse_mac("02:00:00:00:00:01"), Ok([2, 0, 0, 0, 0, 1]));
        assert_eq!(parse_mac("0A:bC:00:00:00:ff"), Ok([0x0a, 0xbc, 0, 0, 0, 0xff]));
        for bad in
            ["", "02:00:00:00:00", "02:00:00:00:00:01:02", "2:0:0:0:0:1", "02-00-00-00-00-01", "zz:00:00:00:00:01"]
        {
            assert!(parse_mac(bad).unwrap_err().contains("not a MAC address"), "{bad}");
        }
        assert!(parse_mac("01:00:5e:00:00:01").unwrap_err().contains("multicast"));
        assert!(parse_mac("00:00:00:00:00:00").unwrap_err().contains("all-zero"));
    }
}
