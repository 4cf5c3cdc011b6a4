//! ICMP echo (RFC 792) as the load generator's sessions send and check it: requests
//! from a session's address with an identifier per session and a sequence number, the
//! TX time in the data; replies are accepted only with good IPv4 (RFC 791 §3.1) and
//! ICMP checksums, addressed to the session from the pinged host.

use std::net::Ipv4Addr;

use dataplane::wire::checksum::checksum;
use dataplane::wire::icmpv4::{Icmpv4Message, Icmpv4Packet};
use dataplane::wire::ipv4::{IpProtocol, Ipv4Packet};

/// What follows the TX time in the echo data, so a reply is recognisably ours.
const PATTERN: &[u8; 16] = b"dpvpn-loadgen-ec";
const DATA_LEN: usize = 8 + PATTERN.len();

/// An IPv4 datagram: ICMP echo request `src` → `dst`, `ident`/`seq`, the TX time (µs)
/// in the first 8 bytes of the data. TTL 64, DF set.
pub fn echo_request(src: Ipv4Addr, dst: Ipv4Addr, ident: u16, seq: u16, tx_us: u64) -> Vec<u8> {
    let mut d = vec![0u8; 20 + 8 + DATA_LEN];
    let total = d.len() as u16;
    d[0] = 0x45;
    d[2..4].copy_from_slice(&total.to_be_bytes());
    d[4..6].copy_from_slice(&seq.to_be_bytes());
    d[6] = 0x40; // DF
    d[8] = 64;
    d[9] = IpProtocol::ICMP.0;
    d[12..16].copy_from_slice(&src.octets());
    d[16..20].copy_from_slice(&dst.octets());
    let c = checksum(&d[..20]);
    d[10..12].copy_from_slice(&c.to_be_bytes());
    let icmp = &mut d[20..];
    icmp[0] = Icmpv4Message::ECHO_REQUEST.0;
    icmp[4..6].copy_from_slice(&ident.to_be_bytes());
    icmp[6..8].copy_from_slice(&seq.to_be_bytes());
    icmp[8..16].copy_from_slice(&tx_us.to_be_bytes());
    icmp[16..].copy_from_slice(PATTERN);
    let c = checksum(icmp);
    icmp[2..4].copy_from_slice(&c.to_be_bytes());
    d
}

/// An echo reply for one of our sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EchoReply {
    pub ident: u16,
    pub seq: u16,
    /// The TX time the request carried.
    pub tx_us: u64,
}

/// What a datagram from a session is, for the ping accounting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Classified {
    /// A reply to one of our echo requests, checked.
    Reply(EchoReply),
    /// Looks like a reply to us (ICMP echo reply with our pattern) but a checksum, the
    /// addresses or the length are wrong.
    BadReply,
    /// Anything else (the kernel's traffic on the tap session).
    Other,
}

/// Classify an IPv4 datagram received on the session whose address is `to`, when we ping
/// `from`.
pub fn classify(datagram: &[u8], to: Ipv4Addr, from: Ipv4Addr) -> Classified {
    let Ok(ip) = Ipv4Packet::new_checked(datagram) else {
        return Classified::Other;
    };
    if ip.protocol() != IpProtocol::ICMP || ip.is_fragment() {
        return Classified::Other;
    }
    let payload = &datagram[ip.header_len() as usize..ip.total_len() as usize];
    let Ok(icmp) = Icmpv4Packet::new_checked(payload) else {
        return Classified::Other;
    };
    if icmp.msg_type() != Icmpv4Message::ECHO_REPLY {
        return Classified::Other;
    }
    let data = icmp.data();
    if data.len() < DATA_LEN || &data[8..DATA_LEN] != PATTERN {
        // The kernel's own ping through the tap session.
        return Classified::Other;
    }
    if !ip.verify_checksum()
        || !icmp.verify_checksum()
        || icmp.msg_code() != 0
        || ip.dst_addr() != to
        || ip.src_addr() != from
    {
        return Classified::BadReply;
    }
    let mut t = [0u8; 8];
    t.copy_from_slice(&data[..8]);
    Classified::Reply(EchoReply { ident: icmp.echo_ident(), seq: icmp.echo_seq_no(), tx_us: u64::from_be_bytes(t) })
}

/// What the pinged host sends back (RFC 792: addresses swapped, type 0, same data);
/// for tests and loopbacks.
pub fn answer(request: &[u8]) -> Option<Vec<u8>> {
    let ip = Ipv4Packet::new_checked(request).ok()?;
    let hl = ip.header_len() as usize;
    let total = ip.total_len() as usize;
    let mut d = request[..total].to_vec();
    if d[9] != IpProtocol::ICMP.0 || d.get(hl).copied() != Some(Icmpv4Message::ECHO_REQUEST.0) {
        return None;
    }
    let (src, dst) = (ip.src_addr(), ip.dst_addr());
    d[12..16].copy_from_slice(&dst.octets());
    d[16..20].copy_from_slice(&src.octets());
    d[8] = 64;
    d[10..12].fill(0);
    let c = checksum(&d[..hl]);
    d[10..12].copy_from_slice(&c.to_be_bytes());
    d[hl] = Icmpv4Message::ECHO_REPLY.0;
    d[hl + 2..hl + 4].fill(0);
    let c = checksum(&d[hl..]);
    d[hl + 2..hl + 4].copy_from_slice(&c.to_be_bytes());
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Ipv4Addr = Ipv4Addr::new(100, 64, 0, 2);
    const H: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 2);

    #[test]
    fn a_request_is_valid_ipv4_and_icmp() {
        let d = echo_request(A, H, 7, 3, 123_456);
        let ip = Ipv4Packet::new_checked(&d[..]).unwrap();
        assert!(ip.verify_checksum());
        assert!(ip.dont_frag());
        let icmp = Icmpv4Packet::new_checked(ip.payload()).unwrap();
        assert!(icmp.verify_checksum());
        assert_eq!((icmp.msg_type(), icmp.echo_ident(), icmp.echo_seq_no()), (Icmpv4Message::ECHO_REQUEST, 7, 3));
    }

    #[test]
    fn replies_are_checked() {
        let reply = answer(&echo_request(A, H, 7, 3, 99)).unwrap();
        assert_eq!(classify(&reply, A, H), Classified::Reply(EchoReply { ident: 7, seq: 3, tx_us: 99 }));
        // Ethernet padding after the datagram does not matter.
        let mut padded = reply.clone();
        padded.extend_from_slice(&[0; 6]);
        assert!(matches!(classify(&padded, A, H), Classified::Reply(_)));
        // Another session's reply, a spoofed source, broken checksums.
        assert_eq!(classify(&reply, Ipv4Addr::new(100, 64, 0, 3), H), Classified::BadReply);
        assert_eq!(classify(&reply, A, Ipv4Addr::new(198, 51, 100, 3)), Classified::BadReply);
        let mut bad = reply.clone();
        bad[10] ^= 1;
        assert_eq!(classify(&bad, A, H), Classified::BadReply);
        let mut bad = reply.clone();
        bad[30] ^= 1; // in the TX time: the ICMP checksum no longer holds
        assert_eq!(classify(&bad, A, H), Classified::BadReply);
        // A request (our own, looped) and garbage are not replies.
        assert_eq!(classify(&echo_request(H, A, 7, 3, 99), A, H), Classified::Other);
        assert_eq!(classify(&[0x45, 0, 0], A, H), Classified::Other);
    }
}
