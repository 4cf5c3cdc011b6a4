//! RADIUS attributes (RFC 2865 §5): [`RadiusAttribute`] and the list reader
//! [`Attributes`] (the one TLV reader with [`TypeLen8`]), Vendor-Specific in the RFC 2865
//! §5.26 layout (one sub-attribute: [`RadiusAttribute::Vendor`]; anything else whole,
//! taken apart by [`VendorSpecific`]), the typed readings of a value (text, string,
//! address, integer, time) and the CHAP / MS-CHAP-V2 value layouts (RFC 2865 §5.3,
//! §5.40; RFC 2548 §2.3.2).
//!
//! ```text
//! Attribute (RFC 2865 §5):
//!  0                   1                   2
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-
//! |     Type      |    Length     |  Value ...
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-
//!
//! Vendor-Specific (RFC 2865 §5.26), with the recommended sub-attribute layout:
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Type (26) |    Length     |            Vendor-Id
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!      Vendor-Id (cont)           | Vendor type   | Vendor length |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |    Attribute-Specific...
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-
//! ```

use super::dictionary::{AttributeType, MsAttributeType, VENDOR_MICROSOFT};
use crate::wire::ipv4::Ipv4Address;
use crate::wire::tlv::{emit_type_len8, TlvIter, TypeLen8};
use crate::wire::{Error, Result};

/// An attribute's value: its Length octet counts the two header octets too.
pub const MAX_VALUE_LEN: usize = 253;
/// A vendor sub-attribute's value: 253 less Vendor-Id (4) and the sub-header (2).
pub const MAX_VENDOR_VALUE_LEN: usize = 247;

/// One attribute, as read from a packet or to be written into one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RadiusAttribute<'a> {
    /// Any attribute by its type, the value as on the wire. A Vendor-Specific (26)
    /// here is one that is not a single RFC 2865 §5.26 sub-attribute.
    Standard {
        kind: AttributeType,
        value: &'a [u8],
    },
    /// A Vendor-Specific attribute with one sub-attribute (RFC 2865 §5.26): the
    /// vendor's 24-bit SMI code, the vendor type and the sub-attribute's value.
    Vendor {
        vendor_id: u32,
        vendor_type: u8,
        value: &'a [u8],
    },
}

impl<'a> RadiusAttribute<'a> {
    /// The attribute for a type and a value as read from the wire; a Vendor-Specific
    /// made of exactly one well-formed sub-attribute becomes [`Self::Vendor`].
    pub fn from_wire(kind: AttributeType, value: &'a [u8]) -> Self {
        if kind == AttributeType::VENDOR_SPECIFIC {
            if let [0, v1, v2, v3, subs @ ..] = value {
                let mut it = TlvIter::<TypeLen8>::new(subs);
                if let (Some(Ok(sub)), None) = (it.next(), it.next()) {
                    return RadiusAttribute::Vendor {
                        vendor_id: u32::from_be_bytes([0, *v1, *v2, *v3]),
                        vendor_type: sub.kind,
                        value: sub.value,
                    };
                }
            }
        }
        RadiusAttribute::Standard { kind, value }
    }

    pub const fn new(kind: AttributeType, value: &'a [u8]) -> Self {
        RadiusAttribute::Standard { kind, value }
    }

    /// A Microsoft (vendor 311) attribute (RFC 2548).
    pub const fn microsoft(kind: MsAttributeType, value: &'a [u8]) -> Self {
        RadiusAttribute::Vendor {
            vendor_id: VENDOR_MICROSOFT,
            vendor_type: kind.0,
            value,
        }
    }

    /// The attribute type; Vendor-Specific for [`Self::Vendor`].
    pub fn kind(&self) -> AttributeType {
        match self {
            RadiusAttribute::Standard { kind, .. } => *kind,
            RadiusAttribute::Vendor { .. } => AttributeType::VENDOR_SPECIFIC,
        }
    }

    /// The value; for [`Self::Vendor`] the sub-attribute's value.
    pub fn value(&self) -> &'a [u8] {
        match self {
            RadiusAttribute::Standard { value, .. } | RadiusAttribute::Vendor { value, .. } => {
                value
            }
        }
    }

    /// `Some((vendor id, vendor type))` for [`Self::Vendor`].
    pub fn vendor(&self) -> Option<(u32, u8)> {
        match self {
            RadiusAttribute::Vendor {
                vendor_id,
                vendor_type,
                ..
            } => Some((*vendor_id, *vendor_type)),
            RadiusAttribute::Standard { .. } => None,
        }
    }

    /// The Microsoft attribute type, for a vendor 311 attribute.
    pub fn microsoft_type(&self) -> Option<MsAttributeType> {
        match self.vendor() {
            Some((VENDOR_MICROSOFT, t)) => Some(MsAttributeType(t)),
            _ => None,
        }
    }

    /// `text` (RFC 2865 §5): UTF-8, else [`Error::BadValue`].
    pub fn text(&self) -> Result<&'a str> {
        core::str::from_utf8(self.value()).map_err(|_| Error::BadValue)
    }

    /// `string` (RFC 2865 §5): any octets.
    pub fn string(&self) -> &'a [u8] {
        self.value()
    }

    /// `address` (RFC 2865 §5): four octets, else [`Error::BadValue`].
    pub fn address(&self) -> Result<Ipv4Address> {
        match self.value() {
            [a, b, c, d] => Ok(Ipv4Address::new(*a, *b, *c, *d)),
            _ => Err(Error::BadValue),
        }
    }

    /// `integer` (RFC 2865 §5): 32 bits, most significant octet first, else
    /// [`Error::BadValue`].
    pub fn integer(&self) -> Result<u32> {
        match self.value() {
            [a, b, c, d] => Ok(u32::from_be_bytes([*a, *b, *c, *d])),
            _ => Err(Error::BadValue),
        }
    }

    /// `time` (RFC 2865 §5): seconds since 1970-01-01 00:00:00 UTC, 32 bits.
    pub fn time(&self) -> Result<u32> {
        self.integer()
    }

    /// Octets on the wire, header included.
    pub fn buffer_len(&self) -> usize {
        match self {
            RadiusAttribute::Standard { value, .. } => 2 + value.len(),
            RadiusAttribute::Vendor { value, .. } => 8 + value.len(),
        }
    }

    /// Write the attribute at the start of `buf`; returns the octets written.
    /// [`Error::BadLength`] for a value that does not fit the Length octet,
    /// [`Error::BadValue`] for a vendor id above 24 bits (its high octet must be 0,
    /// RFC 2865 §5.26).
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        match *self {
            RadiusAttribute::Standard { kind, value } => emit_type_len8(buf, kind.0, value),
            RadiusAttribute::Vendor {
                vendor_id,
                vendor_type,
                value,
            } => {
                if vendor_id > 0x00ff_ffff {
                    return Err(Error::BadValue);
                }
                if value.len() > MAX_VENDOR_VALUE_LEN {
                    return Err(Error::BadLength);
                }
                let total = 8 + value.len();
                if buf.len() < total {
                    return Err(Error::BufferTooSmall);
                }
                buf[0] = AttributeType::VENDOR_SPECIFIC.0;
                buf[1] = total as u8;
                buf[2..6].copy_from_slice(&vendor_id.to_be_bytes());
                emit_type_len8(&mut buf[6..total], vendor_type, value)?;
                Ok(total)
            }
        }
    }
}

/// A Vendor-Specific value taken apart (RFC 2865 §5.26): for those that
/// [`RadiusAttribute::from_wire`] keeps whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VendorSpecific<'a> {
    pub vendor_id: u32,
    /// Everything after Vendor-Id: sub-attributes in the recommended layout, or the
    /// vendor's own format.
    pub data: &'a [u8],
}

impl<'a> VendorSpecific<'a> {
    /// At least Vendor-Id and one octet (Length >= 7), and the Vendor-Id's high octet
    /// zero; else [`Error::BadValue`].
    pub fn parse(value: &'a [u8]) -> Result<Self> {
        match value {
            [0, a, b, c, data @ ..] if !data.is_empty() => Ok(VendorSpecific {
                vendor_id: u32::from_be_bytes([0, *a, *b, *c]),
                data,
            }),
            _ => Err(Error::BadValue),
        }
    }

    /// The sub-attributes: vendor type, vendor length, value (RFC 2865 §5.26).
    pub fn sub_attributes(&self) -> TlvIter<'a, TypeLen8> {
        TlvIter::new(self.data)
    }
}

/// The attributes of a packet, in order.
#[derive(Clone, Debug)]
pub struct Attributes<'a> {
    inner: TlvIter<'a, TypeLen8>,
}

impl<'a> Attributes<'a> {
    /// Iterate over an attribute list (the octets after the header, up to Length).
    pub fn new(list: &'a [u8]) -> Self {
        Attributes {
            inner: TlvIter::new(list),
        }
    }
}

impl<'a> Iterator for Attributes<'a> {
    type Item = Result<RadiusAttribute<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        self.inner
            .next()
            .map(|t| t.map(|t| RadiusAttribute::from_wire(AttributeType(t.kind), t.value)))
    }
}

/// CHAP-Password (RFC 2865 §5.3): the CHAP Identifier and the 16-octet response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChapPassword {
    pub ident: u8,
    pub response: [u8; 16],
}

impl ChapPassword {
    pub const LEN: usize = 17;

    /// Exactly 17 octets, else [`Error::BadValue`].
    pub fn parse(value: &[u8]) -> Result<Self> {
        match value {
            [ident, rest @ ..] if rest.len() == 16 => {
                let mut response = [0; 16];
                response.copy_from_slice(rest);
                Ok(ChapPassword {
                    ident: *ident,
                    response,
                })
            }
            _ => Err(Error::BadValue),
        }
    }

    /// The attribute value.
    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut b = [0; Self::LEN];
        b[0] = self.ident;
        b[1..].copy_from_slice(&self.response);
        b
    }
}

/// A CHAP-Challenge value (RFC 2865 §5.40): at least 5 octets (Length >= 7), else
/// [`Error::BadValue`]. Without the attribute the Request Authenticator is the
/// challenge ([`RadiusRepr::chap_challenge`](super::RadiusRepr::chap_challenge)).
pub fn parse_chap_challenge(value: &[u8]) -> Result<&[u8]> {
    if value.len() < 5 {
        return Err(Error::BadValue);
    }
    Ok(value)
}

/// MS-CHAP2-Response (RFC 2548 §2.3.2): Ident, Flags, Peer-Challenge (16),
/// Reserved (8), Response (24).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsChap2Response {
    pub ident: u8,
    pub flags: u8,
    pub peer_challenge: [u8; 16],
    pub response: [u8; 24],
}

impl MsChap2Response {
    pub const LEN: usize = 50;

    /// Exactly 50 octets, else [`Error::BadValue`]. The Reserved octets are not
    /// checked (RFC 2548 says they are zero).
    pub fn parse(value: &[u8]) -> Result<Self> {
        if value.len() != Self::LEN {
            return Err(Error::BadValue);
        }
        let mut peer_challenge = [0; 16];
        peer_challenge.copy_from_slice(&value[2..18]);
        let mut response = [0; 24];
        response.copy_from_slice(&value[26..50]);
        Ok(MsChap2Response {
            ident: value[0],
            flags: value[1],
            peer_challenge,
            response,
        })
    }

    /// The sub-attribute value, Reserved zero.
    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut b = [0; Self::LEN];
        b[0] = self.ident;
        b[1] = self.flags;
        b[2..18].copy_from_slice(&self.peer_challenge);
        b[26..50].copy_from_slice(&self.response);
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_specific_canonical_form() {
        let v = [0, 0, 1, 55, 16, 4, 0xaa, 0xbb];
        assert_eq!(
            RadiusAttribute::from_wire(AttributeType::VENDOR_SPECIFIC, &v),
            RadiusAttribute::Vendor {
                vendor_id: 311,
                vendor_type: 16,
                value: &[0xaa, 0xbb]
            }
        );
        // Two sub-attributes, a bad vendor length, a vendor id above 24 bits: kept whole.
        for v in [
            &[0, 0, 1, 55, 1, 3, 9, 2, 2][..],
            &[0, 0, 1, 55, 1, 9, 9],
            &[1, 0, 1, 55, 1, 3, 9],
        ] {
            assert!(matches!(
                RadiusAttribute::from_wire(AttributeType::VENDOR_SPECIFIC, v),
                RadiusAttribute::Standard { .. }
            ));
        }
        let mut b = [0u8; 16];
        let a = RadiusAttribute::Vendor {
            vendor_id: 1 << 24,
            vendor_type: 1,
            value: &[],
        };
        assert_eq!(a.emit(&mut b), Err(Error::BadValue));
    }
}
