//! The RADIUS packet (RFC 2865 §3): the view [`RadiusPacket`] and the whole-packet
//! [`RadiusRepr`], with the codes of RFC 2865 §3, RFC 2866 §3, RFC 5176 §2 and the UDP
//! ports. Length counts the whole packet, 20 to 4096 octets; octets after it are padding
//! and ignored. What the Authenticator field holds, and computing it, is
//! `authenticator.rs`'s.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Code      |  Identifier   |            Length             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                                                               |
//! |                         Authenticator                         |
//! |                                                               |
//! |                                                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Attributes ...
//! +-+-+-+-+-+-+-+-+-+-+-+-+-
//! ```

use arrayvec::ArrayVec;

use super::attribute::{Attributes, RadiusAttribute};
use super::dictionary::AttributeType;
use crate::wire::tlv::{TlvIter, TypeLen8};
use crate::wire::{Error, Result};

pub(super) mod field {
    use core::ops::Range;
    pub const CODE: usize = 0;
    pub const IDENTIFIER: usize = 1;
    pub const LENGTH: Range<usize> = 2..4;
    pub const AUTHENTICATOR: Range<usize> = 4..20;
    pub const ATTRIBUTES: usize = 20;
}

/// Code, Identifier, Length and Authenticator.
pub const HEADER_LEN: usize = field::ATTRIBUTES;
/// The largest Length a packet may have (RFC 2865 §3).
pub const MAX_PACKET_LEN: usize = 4096;
pub const AUTHENTICATOR_LEN: usize = 16;
/// How many attributes a [`RadiusRepr`] holds.
pub const MAX_ATTRIBUTES: usize = 128;

/// Authentication (RFC 2865 §3).
pub const PORT_AUTH: u16 = 1812;
/// Accounting (RFC 2866 §3).
pub const PORT_ACCT: u16 = 1813;
/// Disconnect and CoA (RFC 5176 §3).
pub const PORT_DYNAUTH: u16 = 3799;

/// The packet type (RFC 2865 §3, RFC 2866 §3, RFC 5176 §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RadiusCode(pub u8);

impl RadiusCode {
    pub const ACCESS_REQUEST: RadiusCode = RadiusCode(1);
    pub const ACCESS_ACCEPT: RadiusCode = RadiusCode(2);
    pub const ACCESS_REJECT: RadiusCode = RadiusCode(3);
    pub const ACCOUNTING_REQUEST: RadiusCode = RadiusCode(4);
    pub const ACCOUNTING_RESPONSE: RadiusCode = RadiusCode(5);
    pub const ACCESS_CHALLENGE: RadiusCode = RadiusCode(11);
    /// RFC 5997.
    pub const STATUS_SERVER: RadiusCode = RadiusCode(12);
    /// Experimental (RFC 2865 §3); no RFC gives it a meaning.
    pub const STATUS_CLIENT: RadiusCode = RadiusCode(13);
    pub const DISCONNECT_REQUEST: RadiusCode = RadiusCode(40);
    pub const DISCONNECT_ACK: RadiusCode = RadiusCode(41);
    pub const DISCONNECT_NAK: RadiusCode = RadiusCode(42);
    pub const COA_REQUEST: RadiusCode = RadiusCode(43);
    pub const COA_ACK: RadiusCode = RadiusCode(44);
    pub const COA_NAK: RadiusCode = RadiusCode(45);

    /// How this code's Authenticator field is made; `None` for codes we do not know.
    pub fn authenticator_kind(self) -> Option<AuthenticatorKind> {
        match self {
            Self::ACCESS_REQUEST | Self::STATUS_SERVER | Self::STATUS_CLIENT => {
                Some(AuthenticatorKind::Random)
            }
            Self::ACCOUNTING_REQUEST | Self::DISCONNECT_REQUEST | Self::COA_REQUEST => {
                Some(AuthenticatorKind::Request)
            }
            Self::ACCESS_ACCEPT
            | Self::ACCESS_REJECT
            | Self::ACCESS_CHALLENGE
            | Self::ACCOUNTING_RESPONSE
            | Self::DISCONNECT_ACK
            | Self::DISCONNECT_NAK
            | Self::COA_ACK
            | Self::COA_NAK => Some(AuthenticatorKind::Response),
            _ => None,
        }
    }

    /// Whether a packet of this code answers another (its authenticator and
    /// Message-Authenticator then depend on the request's authenticator).
    pub fn is_response(self) -> bool {
        self.authenticator_kind() == Some(AuthenticatorKind::Response)
    }
}

/// What the Authenticator field of a packet holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthenticatorKind {
    /// A Request Authenticator the sender chose at random (Access-Request,
    /// Status-Server: RFC 2865 §3); nothing to compute or verify.
    Random,
    /// MD5(Code + Identifier + Length + 16 zero octets + Attributes + Secret):
    /// Accounting-Request (RFC 2866 §3), Disconnect-Request and CoA-Request
    /// (RFC 5176 §2.3).
    Request,
    /// MD5(Code + Identifier + Length + Request Authenticator + Attributes + Secret),
    /// with the Request Authenticator of the request answered (RFC 2865 §3,
    /// RFC 2866 §3, RFC 5176 §2.3).
    Response,
}

/// A view of a RADIUS packet.
#[derive(Debug, Clone)]
pub struct RadiusPacket<T: AsRef<[u8]>> {
    pub(super) buffer: T,
}

impl<T: AsRef<[u8]>> RadiusPacket<T> {
    pub const fn new_unchecked(buffer: T) -> Self {
        RadiusPacket { buffer }
    }

    /// The header is there, Length is within 20..=4096 and the buffer, and the
    /// attributes up to Length are well formed. The buffer may be longer: the rest is
    /// padding (RFC 2865 §3).
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = RadiusPacket { buffer };
        p.check_len()?;
        Ok(p)
    }

    /// The checks of [`Self::new_checked`], for a view made with `new_unchecked`:
    /// [`Error::Truncated`] when the buffer is shorter than the header or Length, or an
    /// attribute runs past Length; [`Error::BadLength`] for a Length outside
    /// 20..=4096 or an attribute Length below 2.
    pub fn check_len(&self) -> Result<()> {
        let b = self.buffer.as_ref();
        if b.len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        let len = self.length() as usize;
        if !(HEADER_LEN..=MAX_PACKET_LEN).contains(&len) {
            return Err(Error::BadLength);
        }
        if len > b.len() {
            return Err(Error::Truncated);
        }
        TlvIter::<TypeLen8>::validate(&b[HEADER_LEN..len])
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }

    #[inline]
    pub fn code(&self) -> RadiusCode {
        RadiusCode(self.buffer.as_ref()[field::CODE])
    }
    #[inline]
    pub fn identifier(&self) -> u8 {
        self.buffer.as_ref()[field::IDENTIFIER]
    }
    /// The Length field: the whole packet, header included.
    #[inline]
    pub fn length(&self) -> u16 {
        let b = &self.buffer.as_ref()[field::LENGTH];
        u16::from_be_bytes([b[0], b[1]])
    }
    #[inline]
    pub fn authenticator(&self) -> [u8; AUTHENTICATOR_LEN] {
        let mut a = [0; AUTHENTICATOR_LEN];
        a.copy_from_slice(&self.buffer.as_ref()[field::AUTHENTICATOR]);
        a
    }
    /// The packet up to Length (padding after it left out).
    #[inline]
    pub fn packet(&self) -> &[u8] {
        &self.buffer.as_ref()[..self.length() as usize]
    }
    /// The attribute octets, up to Length.
    #[inline]
    pub fn attributes_bytes(&self) -> &[u8] {
        &self.packet()[field::ATTRIBUTES..]
    }
    pub fn attributes(&self) -> Attributes<'_> {
        Attributes::new(self.attributes_bytes())
    }
    /// The first well-formed attribute of a type.
    pub fn attribute(&self, kind: AttributeType) -> Option<RadiusAttribute<'_>> {
        self.attributes().flatten().find(|a| a.kind() == kind)
    }
    /// The first attribute of a vendor and vendor type.
    pub fn vendor_attribute(&self, vendor_id: u32, vendor_type: u8) -> Option<RadiusAttribute<'_>> {
        self.attributes()
            .flatten()
            .find(|a| a.vendor() == Some((vendor_id, vendor_type)))
    }
    /// The challenge a CHAP-Password answers: CHAP-Challenge if present, else the
    /// Request Authenticator (RFC 2865 §5.3).
    pub fn chap_challenge(&self) -> &[u8] {
        match self.attribute(AttributeType::CHAP_CHALLENGE) {
            Some(a) => a.value(),
            None => &self.buffer.as_ref()[field::AUTHENTICATOR],
        }
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> RadiusPacket<T> {
    #[inline]
    pub fn set_code(&mut self, code: RadiusCode) {
        self.buffer.as_mut()[field::CODE] = code.0;
    }
    #[inline]
    pub fn set_identifier(&mut self, v: u8) {
        self.buffer.as_mut()[field::IDENTIFIER] = v;
    }
    #[inline]
    pub fn set_length(&mut self, v: u16) {
        self.buffer.as_mut()[field::LENGTH].copy_from_slice(&v.to_be_bytes());
    }
    #[inline]
    pub fn set_authenticator(&mut self, a: &[u8; 16]) {
        self.buffer.as_mut()[field::AUTHENTICATOR].copy_from_slice(a);
    }
    /// The attribute octets, up to Length, writable.
    #[inline]
    pub fn attributes_bytes_mut(&mut self) -> &mut [u8] {
        let len = self.length() as usize;
        &mut self.buffer.as_mut()[field::ATTRIBUTES..len]
    }
}

/// A RADIUS packet: header and attributes in order, unknown ones included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RadiusRepr<'a> {
    pub code: RadiusCode,
    pub identifier: u8,
    /// Written as is by [`Self::emit`]; compute it afterwards with
    /// [`RadiusPacket::sign`] or the `fill_*` methods.
    pub authenticator: [u8; AUTHENTICATOR_LEN],
    pub attributes: ArrayVec<RadiusAttribute<'a>, MAX_ATTRIBUTES>,
}

impl<'a> RadiusRepr<'a> {
    pub fn new(code: RadiusCode, identifier: u8, authenticator: [u8; AUTHENTICATOR_LEN]) -> Self {
        RadiusRepr {
            code,
            identifier,
            authenticator,
            attributes: ArrayVec::new(),
        }
    }

    /// Append an attribute; [`Error::TooMany`] past [`MAX_ATTRIBUTES`].
    pub fn push(&mut self, a: RadiusAttribute<'a>) -> Result<()> {
        self.attributes.try_push(a).map_err(|_| Error::TooMany)
    }

    /// Append a Message-Authenticator of 16 zero octets, for
    /// [`RadiusPacket::sign`] to fill after emit (RFC 3579 §3.2).
    pub fn push_message_authenticator(&mut self) -> Result<()> {
        self.push(RadiusAttribute::new(
            AttributeType::MESSAGE_AUTHENTICATOR,
            &[0; 16],
        ))
    }

    /// Checks lengths and attributes as [`RadiusPacket::check_len`];
    /// [`Error::TooMany`] for more than [`MAX_ATTRIBUTES`] attributes. Authenticators
    /// are not checked here (that needs the secret: [`RadiusPacket::verify`]).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(p: &RadiusPacket<&'a T>) -> Result<RadiusRepr<'a>> {
        p.check_len()?;
        let buf: &'a [u8] = p.buffer.as_ref();
        let len = p.length() as usize;
        let mut r = RadiusRepr::new(p.code(), p.identifier(), p.authenticator());
        for a in Attributes::new(&buf[HEADER_LEN..len]) {
            r.push(a?)?;
        }
        Ok(r)
    }

    /// The first attribute of a type.
    pub fn get(&self, kind: AttributeType) -> Option<&RadiusAttribute<'a>> {
        self.attributes.iter().find(|a| a.kind() == kind)
    }

    /// The first attribute of a vendor and vendor type.
    pub fn get_vendor(&self, vendor_id: u32, vendor_type: u8) -> Option<&RadiusAttribute<'a>> {
        self.attributes
            .iter()
            .find(|a| a.vendor() == Some((vendor_id, vendor_type)))
    }

    /// The challenge a CHAP-Password answers: CHAP-Challenge if present, else the
    /// Request Authenticator (RFC 2865 §5.3).
    pub fn chap_challenge(&self) -> &[u8] {
        match self.get(AttributeType::CHAP_CHALLENGE) {
            Some(a) => a.value(),
            None => &self.authenticator,
        }
    }

    pub fn buffer_len(&self) -> usize {
        HEADER_LEN
            + self
                .attributes
                .iter()
                .map(|a| a.buffer_len())
                .sum::<usize>()
    }

    /// Write the packet into `buf`; returns its length. [`Error::BadLength`] for a
    /// packet over 4096 octets or an attribute too long for its Length octet.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let len = self.buffer_len();
        if len > MAX_PACKET_LEN {
            return Err(Error::BadLength);
        }
        if buf.len() < len {
            return Err(Error::BufferTooSmall);
        }
        let mut at = HEADER_LEN;
        for a in &self.attributes {
            at += a.emit(&mut buf[at..len])?;
        }
        let mut p = RadiusPacket::new_unchecked(&mut buf[..len]);
        p.set_code(self.code);
        p.set_identifier(self.identifier);
        p.set_length(len as u16);
        p.set_authenticator(&self.authenticator);
        Ok(len)
    }
}
