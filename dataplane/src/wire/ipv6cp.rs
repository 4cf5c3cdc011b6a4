//! The IPv6 Control Protocol (RFC 5072).
//!
//! An IPv6CP packet is a [`ControlPacket`] under PPP protocol 0x8057 with LCP's codes 1
//! to 7 (RFC 5072 §3); its Configure-* data is a list of options laid out as LCP's.
//! The Interface-Identifier option (RFC 5072 §4.1):
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Type      |    Length     | Interface-Identifier (MS Bytes)
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!                        Interface-Identifier (cont)
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!  Interface-Identifier (LS Bytes) |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Not supported: the inside of IPv6-Compression-Protocol (IPHC and ROHC parameters,
//! RFC 5172, RFC 3241), kept as raw data.

use super::ppp::{ConfigOption, ConfigRepr, OptionIter, PppProtocol};
use super::{Error, Result};

/// IPv6CP codes are LCP's codes 1 to 7 (RFC 5072 §3).
pub use super::lcp::LcpCode as Ipv6cpCode;

/// An IPv6CP option type (RFC 5072 §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ipv6cpOptionType(pub u8);

impl Ipv6cpOptionType {
    pub const INTERFACE_IDENTIFIER: Ipv6cpOptionType = Ipv6cpOptionType(1);
    pub const IPV6_COMPRESSION_PROTOCOL: Ipv6cpOptionType = Ipv6cpOptionType(2);
}

/// One IPv6CP option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ipv6cpOption<'a> {
    /// Type 1, length 10: the 64-bit interface identifier; all zeros in a
    /// Configure-Request asks the peer for one (RFC 5072 §4.1).
    InterfaceIdentifier([u8; 8]),
    /// Type 2: the protocol (0x0061 IPHC, RFC 5172; 0x0003 ROHC, RFC 3241) and its data,
    /// raw.
    Ipv6CompressionProtocol {
        protocol: PppProtocol,
        data: &'a [u8],
    },
    /// A type this module does not read, kept as it came so it can be Configure-Rejected.
    Unknown {
        kind: Ipv6cpOptionType,
        data: &'a [u8],
    },
}

fn known(kind: u8) -> bool {
    matches!(kind, 1 | 2)
}

impl<'a> ConfigOption<'a> for Ipv6cpOption<'a> {
    fn parse(kind: u8, v: &'a [u8]) -> Result<Self> {
        let t = Ipv6cpOptionType(kind);
        Ok(match (t, v.len()) {
            (Ipv6cpOptionType::INTERFACE_IDENTIFIER, 8) => {
                let mut id = [0; 8];
                id.copy_from_slice(v);
                Ipv6cpOption::InterfaceIdentifier(id)
            }
            (Ipv6cpOptionType::IPV6_COMPRESSION_PROTOCOL, n) if n >= 2 => {
                Ipv6cpOption::Ipv6CompressionProtocol {
                    protocol: PppProtocol(u16::from_be_bytes([v[0], v[1]])),
                    data: &v[2..],
                }
            }
            _ if known(kind) => return Err(Error::BadOption),
            _ => Ipv6cpOption::Unknown { kind: t, data: v },
        })
    }

    fn kind(&self) -> u8 {
        match self {
            Ipv6cpOption::InterfaceIdentifier(_) => 1,
            Ipv6cpOption::Ipv6CompressionProtocol { .. } => 2,
            Ipv6cpOption::Unknown { kind, .. } => kind.0,
        }
    }

    fn value_len(&self) -> usize {
        match self {
            Ipv6cpOption::InterfaceIdentifier(_) => 8,
            Ipv6cpOption::Ipv6CompressionProtocol { data, .. } => 2 + data.len(),
            Ipv6cpOption::Unknown { data, .. } => data.len(),
        }
    }

    fn emit_value(&self, b: &mut [u8]) -> Result<()> {
        match *self {
            Ipv6cpOption::InterfaceIdentifier(id) => b.copy_from_slice(&id),
            Ipv6cpOption::Ipv6CompressionProtocol { protocol, data } => {
                b[..2].copy_from_slice(&protocol.0.to_be_bytes());
                b[2..].copy_from_slice(data);
            }
            Ipv6cpOption::Unknown { kind, data } => {
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
pub type Ipv6cpOptions<'a> = OptionIter<'a, Ipv6cpOption<'a>>;

/// An IPv6CP packet.
pub type Ipv6cpRepr<'a> = ConfigRepr<'a, Ipv6cpOption<'a>>;

/// Runs the IPv6CP parsers on `data` (an IPv6CP packet, without the PPP header);
/// whatever parses is emitted and parsed again.
#[cfg(fuzzing)]
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    use super::ppp::ControlPacket;
    use super::tlv::{TlvIter, TypeLen8};

    let Ok(p) = ControlPacket::new_checked(data) else {
        return;
    };
    for o in Ipv6cpOptions::new(p.data()) {
        if o.is_err() {
            break;
        }
    }
    for t in TlvIter::<TypeLen8>::new(p.data()) {
        let Ok(t) = t else { break };
        if let Ok(o) = Ipv6cpOption::parse(t.kind, t.value) {
            let mut b = [0u8; 256];
            let n = o.emit(&mut b).unwrap();
            assert_eq!(&b[..n], t.raw);
        }
    }
    if let Ok(r) = Ipv6cpRepr::parse(&p) {
        let mut b = [0u8; 65536];
        let n = r.emit(&mut b).unwrap();
        assert_eq!(n, r.buffer_len());
        assert_eq!(&b[..n], p.packet(), "IPv6CP emit differs from its input");
        assert_eq!(
            Ipv6cpRepr::parse(&ControlPacket::new_checked(&b[..n]).unwrap()).unwrap(),
            r
        );
    }
}
