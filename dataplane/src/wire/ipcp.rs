//! The IP Control Protocol (RFC 1332), with the DNS and NBNS address options of
//! RFC 1877.
//!
//! An IPCP packet is a [`ControlPacket`] under PPP protocol 0x8021 with LCP's codes 1 to 7
//! (RFC 1332 §2); its Configure-* data is a list of options laid out as LCP's (RFC 1661
//! §6: type, length, value). The address options:
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Type      |    Length     |           IP-Address
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!         IP-Address (cont)       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Not supported: the inside of IP-Compression-Protocol (Van Jacobson's Max-Slot-Id and
//! Comp-Slot-Id, RFC 1332 §4; ROHC and IPHC sub-options, RFC 3241, RFC 3544), kept as raw
//! data; Mobile-IPv4 (type 4, RFC 2290), kept raw as an unknown option.

use super::ipv4::Ipv4Address;
use super::ppp::{ConfigOption, ConfigRepr, OptionIter, PppProtocol};
use super::{Error, Result};

/// IPCP codes are LCP's codes 1 to 7 (RFC 1332 §2).
pub use super::lcp::LcpCode as IpcpCode;

/// An IPCP option type (RFC 1332 §3, RFC 1877 §1; IANA "PPP IPCP Configuration Option
/// Types").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpcpOptionType(pub u8);

impl IpcpOptionType {
    /// Deprecated (RFC 1332 §3.1, from RFC 1172), still sent by old peers.
    pub const IP_ADDRESSES: IpcpOptionType = IpcpOptionType(1);
    pub const IP_COMPRESSION_PROTOCOL: IpcpOptionType = IpcpOptionType(2);
    pub const IP_ADDRESS: IpcpOptionType = IpcpOptionType(3);
    /// RFC 2290.
    pub const MOBILE_IPV4: IpcpOptionType = IpcpOptionType(4);
    pub const PRIMARY_DNS_SERVER_ADDRESS: IpcpOptionType = IpcpOptionType(129);
    pub const PRIMARY_NBNS_SERVER_ADDRESS: IpcpOptionType = IpcpOptionType(130);
    pub const SECONDARY_DNS_SERVER_ADDRESS: IpcpOptionType = IpcpOptionType(131);
    pub const SECONDARY_NBNS_SERVER_ADDRESS: IpcpOptionType = IpcpOptionType(132);
}

/// One IPCP option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpcpOption<'a> {
    /// Type 1, length 10: the sender's and the receiver's address (RFC 1172 §5.1.1).
    IpAddresses {
        source: Ipv4Address,
        destination: Ipv4Address,
    },
    /// Type 2: the protocol (0x002d Van Jacobson, RFC 1332 §4) and its data, raw.
    IpCompressionProtocol {
        protocol: PppProtocol,
        data: &'a [u8],
    },
    /// Type 3, length 6; 0.0.0.0 in a Configure-Request asks the peer for one
    /// (RFC 1332 §3.3).
    IpAddress(Ipv4Address),
    PrimaryDnsServerAddress(Ipv4Address),
    PrimaryNbnsServerAddress(Ipv4Address),
    SecondaryDnsServerAddress(Ipv4Address),
    SecondaryNbnsServerAddress(Ipv4Address),
    /// A type this module does not read, kept as it came so it can be Configure-Rejected.
    Unknown {
        kind: IpcpOptionType,
        data: &'a [u8],
    },
}

fn known(kind: u8) -> bool {
    matches!(kind, 1..=3 | 129..=132)
}

fn addr(v: &[u8]) -> Ipv4Address {
    Ipv4Address::new(v[0], v[1], v[2], v[3])
}

impl<'a> ConfigOption<'a> for IpcpOption<'a> {
    fn parse(kind: u8, v: &'a [u8]) -> Result<Self> {
        use IpcpOption::*;
        let t = IpcpOptionType(kind);
        Ok(match (t, v.len()) {
            (IpcpOptionType::IP_ADDRESSES, 8) => IpAddresses {
                source: addr(v),
                destination: addr(&v[4..]),
            },
            (IpcpOptionType::IP_COMPRESSION_PROTOCOL, n) if n >= 2 => IpCompressionProtocol {
                protocol: PppProtocol(u16::from_be_bytes([v[0], v[1]])),
                data: &v[2..],
            },
            (IpcpOptionType::IP_ADDRESS, 4) => IpAddress(addr(v)),
            (IpcpOptionType::PRIMARY_DNS_SERVER_ADDRESS, 4) => PrimaryDnsServerAddress(addr(v)),
            (IpcpOptionType::PRIMARY_NBNS_SERVER_ADDRESS, 4) => PrimaryNbnsServerAddress(addr(v)),
            (IpcpOptionType::SECONDARY_DNS_SERVER_ADDRESS, 4) => SecondaryDnsServerAddress(addr(v)),
            (IpcpOptionType::SECONDARY_NBNS_SERVER_ADDRESS, 4) => {
                SecondaryNbnsServerAddress(addr(v))
            }
            _ if known(kind) => return Err(Error::BadOption),
            _ => Unknown { kind: t, data: v },
        })
    }

    fn kind(&self) -> u8 {
        use IpcpOption::*;
        match self {
            IpAddresses { .. } => 1,
            IpCompressionProtocol { .. } => 2,
            IpAddress(_) => 3,
            PrimaryDnsServerAddress(_) => 129,
            PrimaryNbnsServerAddress(_) => 130,
            SecondaryDnsServerAddress(_) => 131,
            SecondaryNbnsServerAddress(_) => 132,
            Unknown { kind, .. } => kind.0,
        }
    }

    fn value_len(&self) -> usize {
        use IpcpOption::*;
        match self {
            IpAddresses { .. } => 8,
            IpCompressionProtocol { data, .. } => 2 + data.len(),
            Unknown { data, .. } => data.len(),
            _ => 4,
        }
    }

    fn emit_value(&self, b: &mut [u8]) -> Result<()> {
        use IpcpOption::*;
        match *self {
            IpAddresses {
                source,
                destination,
            } => {
                b[..4].copy_from_slice(&source.octets());
                b[4..].copy_from_slice(&destination.octets());
            }
            IpCompressionProtocol { protocol, data } => {
                b[..2].copy_from_slice(&protocol.0.to_be_bytes());
                b[2..].copy_from_slice(data);
            }
            IpAddress(a)
            | PrimaryDnsServerAddress(a)
            | PrimaryNbnsServerAddress(a)
            | SecondaryDnsServerAddress(a)
            | SecondaryNbnsServerAddress(a) => b.copy_from_slice(&a.octets()),
            Unknown { kind, data } => {
                if known(kind.0) {
                    return Err(Error::BadValue);
                }
                b.copy_from_slice(data);
            }
        }
        Ok(())
    }
}

/// Iterates over the options of a Configure-* packet's data.
pub type IpcpOptions<'a> = OptionIter<'a, IpcpOption<'a>>;

/// An IPCP packet.
pub type IpcpRepr<'a> = ConfigRepr<'a, IpcpOption<'a>>;

/// Runs the IPCP parsers on `data` (an IPCP packet, without the PPP header); whatever
/// parses is emitted and parsed again.
#[cfg(fuzzing)]
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    use super::ppp::ControlPacket;
    use super::tlv::{TlvIter, TypeLen8};

    let Ok(p) = ControlPacket::new_checked(data) else {
        return;
    };
    for o in IpcpOptions::new(p.data()) {
        if o.is_err() {
            break;
        }
    }
    for t in TlvIter::<TypeLen8>::new(p.data()) {
        let Ok(t) = t else { break };
        if let Ok(o) = IpcpOption::parse(t.kind, t.value) {
            let mut b = [0u8; 256];
            let n = o.emit(&mut b).unwrap();
            assert_eq!(&b[..n], t.raw);
        }
    }
    if let Ok(r) = IpcpRepr::parse(&p) {
        let mut b = [0u8; 65536];
        let n = r.emit(&mut b).unwrap();
        assert_eq!(n, r.buffer_len());
        assert_eq!(&b[..n], p.packet(), "IPCP emit differs from its input");
        assert_eq!(
            IpcpRepr::parse(&ControlPacket::new_checked(&b[..n]).unwrap()).unwrap(),
            r
        );
    }
}
