//! PPP over Ethernet (RFC 2516): the header of discovery (EtherType 0x8863) and
//! session (0x8864) frames, the discovery tags (RFC 2516 Appendix A, RFC 4638
//! PPP-Max-Payload) and a [`DiscoveryRepr`] for PADI, PADO, PADR, PADS and PADT.
//!
//! Header (RFC 2516 §4):
//!
//! ```text
//!                      1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  VER  | TYPE  |      CODE     |          SESSION_ID           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |            LENGTH             |           payload             ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! A discovery payload is a list of tags (RFC 2516 Appendix A); TAG_LENGTH counts the
//! value only:
//!
//! ```text
//!                      1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          TAG_TYPE             |        TAG_LENGTH             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          TAG_VALUE ...
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! LENGTH counts the payload only. A buffer longer than 6 + LENGTH is fine: short
//! frames carry Ethernet padding after the payload.
//!
//! # Which rules live where
//!
//! [`DiscoveryRepr::parse`] enforces what can be judged from the message alone and
//! without which the message is ambiguous or unusable, so the control plane never sees
//! such a message (and [`DiscoveryRepr::emit`] refuses to write one):
//! - the code is one of the five discovery codes (else [`Error::UnknownType`]);
//! - SESSION_ID is 0 in PADI, PADO and PADR (§5.1–§5.3); nonzero in PADT (§5.5) and
//!   in a PADS, unless the PADS carries an error tag (§5.4); never 0xffff, which §4
//!   reserves, in PADS or PADT (all [`Error::BadValue`]);
//! - a PADI or PADR carries exactly one Service-Name (§5.1, §5.3), a PADS at most one
//!   (§5.4) ([`Error::MissingField`] / [`Error::DuplicateField`]); a PADO carries an
//!   AC-Name and at least one Service-Name (§5.2) ([`Error::MissingField`]);
//! - AC-Name, Host-Uniq, AC-Cookie, Relay-Session-Id, PPP-Max-Payload and each error tag
//!   appear at most once ([`Error::DuplicateField`]);
//! - End-Of-List has length 0, Vendor-Specific has at least its 4-byte vendor id,
//!   PPP-Max-Payload is exactly 2 bytes (RFC 4638 §4) ([`Error::BadValue`]);
//! - more Service-Names, Vendor-Specific tags or unknown tags than the `Repr` holds are
//!   [`Error::TooMany`].
//!
//! The control plane judges what needs state or policy: that a PADO offers the
//! Service-Name the PADI asked for and echoes its Host-Uniq and Relay-Session-Id (§5.2,
//! Appendix A), that a PADR echoes the AC-Cookie, whether a service is offered (else a
//! PADS with Service-Name-Error), that a PADT's SESSION_ID names a session, what to do
//! with a PPP-Max-Payload below 1492 (RFC 4638 §4), that a PADI fits in 1484 bytes
//! ([`MAX_PADI_LEN`]), and how to show error text that is not UTF-8 (it SHOULD be,
//! Appendix A; `parse` keeps the bytes as they came).
//!
//! Bytes after an End-Of-List tag are not tags (Appendix A) and are ignored, as are
//! bytes after LENGTH. `emit` writes no End-Of-List (the tag "is not required").
//!
//! Not supported: the RFC 5578 codes (PADG, PADC, PADQ) and tags (Credits, Metrics,
//! Sequence Number, Credit Scale Factor: kept raw as unknown tags), RFC 4937
//! PADM/PADN, the TR-101 sub-options inside a Vendor-Specific tag (kept as bytes).

use super::tlv::{TlvFormat, TlvIter};
use super::{Error, Result};
use arrayvec::ArrayVec;

mod field {
    use core::ops::Range;
    pub const VER_TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const SESSION_ID: Range<usize> = 2..4;
    pub const LENGTH: Range<usize> = 4..6;
    pub const PAYLOAD: usize = 6;
}

/// Length of the PPPoE header.
pub const HEADER_LEN: usize = field::PAYLOAD;
/// Length of a tag header (TAG_TYPE, TAG_LENGTH).
pub const TAG_HEADER_LEN: usize = 4;
/// VER 1 and TYPE 1 (§4): the only values defined.
const VER_TYPE: u8 = 0x11;
/// A SESSION_ID that §4 reserves ("MUST NOT be used").
pub const SESSION_ID_RESERVED: u16 = 0xffff;
/// The largest PADI, PPPoE header included, a host may send: room for a relay's
/// Relay-Session-Id (§5.1).
pub const MAX_PADI_LEN: usize = 1484;
/// The largest MRU without RFC 4638: 1500 minus the PPPoE header and the PPP protocol
/// field (§7).
pub const DEFAULT_MRU: u16 = 1492;

/// The CODE field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PppoeCode(pub u8);

impl PppoeCode {
    /// Session stage (§6): the payload is a PPP frame.
    pub const SESSION: PppoeCode = PppoeCode(0x00);
    /// PPPoE Active Discovery Offer (§5.2).
    pub const PADO: PppoeCode = PppoeCode(0x07);
    /// PPPoE Active Discovery Initiation (§5.1).
    pub const PADI: PppoeCode = PppoeCode(0x09);
    /// PPPoE Active Discovery Request (§5.3).
    pub const PADR: PppoeCode = PppoeCode(0x19);
    /// PPPoE Active Discovery Session-confirmation (§5.4).
    pub const PADS: PppoeCode = PppoeCode(0x65);
    /// PPPoE Active Discovery Terminate (§5.5).
    pub const PADT: PppoeCode = PppoeCode(0xa7);

    /// One of PADI, PADO, PADR, PADS, PADT.
    #[inline]
    pub const fn is_discovery(self) -> bool {
        matches!(self.0, 0x07 | 0x09 | 0x19 | 0x65 | 0xa7)
    }

    /// The RFC's name, for logs.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x00 => "Session",
            0x07 => "PADO",
            0x09 => "PADI",
            0x19 => "PADR",
            0x65 => "PADS",
            0xa7 => "PADT",
            _ => return None,
        })
    }
}

/// TAG_TYPE (RFC 2516 Appendix A, RFC 4638 §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TagType(pub u16);

impl TagType {
    /// No further tags; length 0.
    pub const END_OF_LIST: TagType = TagType(0x0000);
    /// A service name (UTF-8, no terminator); zero length means "any service".
    pub const SERVICE_NAME: TagType = TagType(0x0101);
    /// The access concentrator's name (UTF-8).
    pub const AC_NAME: TagType = TagType(0x0102);
    /// Opaque data a host uses to match replies to its requests.
    pub const HOST_UNIQ: TagType = TagType(0x0103);
    /// Opaque data an AC uses against denial of service; echoed in the PADR.
    pub const AC_COOKIE: TagType = TagType(0x0104);
    /// A 4-byte vendor id (high octet 0, then the IANA enterprise number), then data.
    pub const VENDOR_SPECIFIC: TagType = TagType(0x0105);
    /// Added by a relay agent; echoed by the other side.
    pub const RELAY_SESSION_ID: TagType = TagType(0x0110);
    /// The largest PPP payload the sender can carry, 2 bytes (RFC 4638 §4).
    pub const PPP_MAX_PAYLOAD: TagType = TagType(0x0120);
    /// The requested service cannot be honoured (UTF-8 text SHOULD follow).
    pub const SERVICE_NAME_ERROR: TagType = TagType(0x0201);
    /// The AC had an error performing the request (UTF-8 text SHOULD follow).
    pub const AC_SYSTEM_ERROR: TagType = TagType(0x0202);
    /// An unrecoverable error (UTF-8 text SHOULD follow).
    pub const GENERIC_ERROR: TagType = TagType(0x0203);

    /// A tag [`DiscoveryRepr`] has a typed field for (End-Of-List included).
    #[inline]
    pub const fn is_known(self) -> bool {
        matches!(
            self.0,
            0x0000 | 0x0101..=0x0105 | 0x0110 | 0x0120 | 0x0201..=0x0203
        )
    }
}

/// The tag header for [`TlvIter`]: 2-byte TAG_TYPE, 2-byte TAG_LENGTH of the value;
/// End-Of-List ends the list.
#[derive(Clone, Copy, Debug)]
pub struct TagFormat;

impl TlvFormat for TagFormat {
    type Kind = TagType;
    const HEADER_LEN: usize = TAG_HEADER_LEN;
    #[inline]
    fn parse_header(h: &[u8]) -> Result<(TagType, usize)> {
        Ok((
            TagType(u16::from_be_bytes([h[0], h[1]])),
            u16::from_be_bytes([h[2], h[3]]) as usize,
        ))
    }
    #[inline]
    fn is_end(kind: TagType) -> bool {
        kind == TagType::END_OF_LIST
    }
}

/// An iterator over a discovery payload's tags.
pub type TagIter<'a> = TlvIter<'a, TagFormat>;

/// A view of a PPPoE header and its payload.
#[derive(Debug, Clone)]
pub struct PppoePacket<T: AsRef<[u8]>> {
    buffer: T,
}

#[allow(clippy::len_without_is_empty)] // `len` is the LENGTH field.
impl<T: AsRef<[u8]>> PppoePacket<T> {
    pub const fn new_unchecked(buffer: T) -> Self {
        PppoePacket { buffer }
    }

    /// The 6-byte header is there, VER and TYPE are 1 ([`Error::BadVersion`]), and
    /// LENGTH fits in the buffer ([`Error::Truncated`]); the buffer may be longer
    /// (Ethernet padding). The code is not checked: read it with [`Self::code`].
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = PppoePacket { buffer };
        p.check_len()?;
        Ok(p)
    }

    /// The checks of [`Self::new_checked`], for a view made with `new_unchecked`.
    #[inline]
    pub fn check_len(&self) -> Result<()> {
        let b = self.buffer.as_ref();
        let Some(h) = b.get(..HEADER_LEN) else {
            return Err(Error::Truncated);
        };
        if h[field::VER_TYPE] != VER_TYPE {
            return Err(Error::BadVersion);
        }
        if u16::from_be_bytes([h[4], h[5]]) as usize > b.len() - HEADER_LEN {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// VER, the high nibble of the first octet.
    #[inline]
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[field::VER_TYPE] >> 4
    }
    /// TYPE, the low nibble of the first octet.
    #[inline]
    pub fn pppoe_type(&self) -> u8 {
        self.buffer.as_ref()[field::VER_TYPE] & 0x0f
    }
    #[inline]
    pub fn code(&self) -> PppoeCode {
        PppoeCode(self.buffer.as_ref()[field::CODE])
    }
    /// A session stage frame (CODE 0x00).
    #[inline]
    pub fn is_session(&self) -> bool {
        self.code() == PppoeCode::SESSION
    }
    #[inline]
    pub fn session_id(&self) -> u16 {
        let b = &self.buffer.as_ref()[field::SESSION_ID];
        u16::from_be_bytes([b[0], b[1]])
    }
    /// The LENGTH field: the payload, header not counted.
    #[inline]
    pub fn len(&self) -> u16 {
        let b = &self.buffer.as_ref()[field::LENGTH];
        u16::from_be_bytes([b[0], b[1]])
    }
    /// The payload, bounded by LENGTH (Ethernet padding left out): a PPP frame in the
    /// session stage, the tags in discovery.
    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[field::PAYLOAD..field::PAYLOAD + self.len() as usize]
    }
    /// The payload read as tags (meaningful for discovery codes).
    #[inline]
    pub fn tags(&self) -> TagIter<'_> {
        TagIter::new(self.payload())
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> PppoePacket<T> {
    /// Write VER and TYPE (both 1 for RFC 2516).
    #[inline]
    pub fn set_version_type(&mut self, version: u8, pppoe_type: u8) {
        self.buffer.as_mut()[field::VER_TYPE] = version << 4 | (pppoe_type & 0x0f);
    }
    #[inline]
    pub fn set_code(&mut self, code: PppoeCode) {
        self.buffer.as_mut()[field::CODE] = code.0;
    }
    #[inline]
    pub fn set_session_id(&mut self, v: u16) {
        self.buffer.as_mut()[field::SESSION_ID].copy_from_slice(&v.to_be_bytes());
    }
    /// Write LENGTH. The accessors then assume the buffer holds that much payload.
    #[inline]
    pub fn set_len(&mut self, v: u16) {
        self.buffer.as_mut()[field::LENGTH].copy_from_slice(&v.to_be_bytes());
    }
    /// The payload, bounded by LENGTH, writable.
    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let end = field::PAYLOAD + self.len() as usize;
        &mut self.buffer.as_mut()[field::PAYLOAD..end]
    }
}

/// The session-stage header for `session_id` with LENGTH 0: the per-session template
/// the data plane prepends, then patches with [`PppoePacket::set_len`].
#[inline]
pub const fn session_header(session_id: u16) -> [u8; HEADER_LEN] {
    let s = session_id.to_be_bytes();
    [VER_TYPE, PppoeCode::SESSION.0, s[0], s[1], 0, 0]
}

/// Write a session-stage header into `buf[..6]` for a PPP frame (protocol field
/// included) of `ppp_len` bytes that follows it. Only the header is written.
/// [`Error::BadLength`] if `ppp_len` does not fit LENGTH.
#[inline]
pub fn emit_session_header(buf: &mut [u8], session_id: u16, ppp_len: usize) -> Result<()> {
    let Ok(len) = u16::try_from(ppp_len) else {
        return Err(Error::BadLength);
    };
    let Some(h) = buf.get_mut(..HEADER_LEN) else {
        return Err(Error::BufferTooSmall);
    };
    h.copy_from_slice(&session_header(session_id));
    h[field::LENGTH].copy_from_slice(&len.to_be_bytes());
    Ok(())
}

/// Read a session-stage frame (the bytes after the EtherType 0x8864): its SESSION_ID
/// and PPP frame, bounded by LENGTH. [`Error::UnknownType`] when CODE is not 0x00;
/// otherwise the errors of [`PppoePacket::new_checked`].
#[inline]
pub fn parse_session(buf: &[u8]) -> Result<(u16, &[u8])> {
    let p = PppoePacket::new_checked(buf)?;
    if !p.is_session() {
        return Err(Error::UnknownType);
    }
    Ok((
        p.session_id(),
        &buf[HEADER_LEN..HEADER_LEN + p.len() as usize],
    ))
}

/// How many Service-Name tags a [`DiscoveryRepr`] holds (a PADO may offer several).
pub const MAX_SERVICE_NAMES: usize = 16;
/// How many Vendor-Specific tags a [`DiscoveryRepr`] holds.
pub const MAX_VENDOR_SPECIFIC: usize = 8;
/// How many tags of unknown type a [`DiscoveryRepr`] keeps.
pub const MAX_UNKNOWN_TAGS: usize = 16;

/// A Vendor-Specific tag: the vendor id (first four octets of the value) and the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VendorSpecific<'a> {
    pub vendor_id: u32,
    pub data: &'a [u8],
}

/// A tag of a type [`DiscoveryRepr`] has no field for, as it stood.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawTag<'a> {
    pub tag_type: TagType,
    pub value: &'a [u8],
}

/// A PADI, PADO, PADR, PADS or PADT and its tags. See the module documentation for
/// the rules `parse` and `emit` enforce.
///
/// `emit` writes tags in ascending TAG_TYPE order, then the unknown ones in the order
/// they are listed: Service-Name (each, in order), AC-Name, Host-Uniq, AC-Cookie,
/// Vendor-Specific (each, in order), Relay-Session-Id, PPP-Max-Payload,
/// Service-Name-Error, AC-System-Error, Generic-Error, unknown tags. No End-Of-List.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoveryRepr<'a> {
    pub code: PppoeCode,
    pub session_id: u16,
    pub service_names: ArrayVec<&'a [u8], MAX_SERVICE_NAMES>,
    pub ac_name: Option<&'a [u8]>,
    pub host_uniq: Option<&'a [u8]>,
    pub ac_cookie: Option<&'a [u8]>,
    pub vendor_specific: ArrayVec<VendorSpecific<'a>, MAX_VENDOR_SPECIFIC>,
    pub relay_session_id: Option<&'a [u8]>,
    /// RFC 4638 PPP-Max-Payload.
    pub ppp_max_payload: Option<u16>,
    /// Service-Name-Error text (UTF-8 by the RFC's SHOULD, not checked).
    pub service_name_error: Option<&'a [u8]>,
    /// AC-System-Error text.
    pub ac_system_error: Option<&'a [u8]>,
    /// Generic-Error text.
    pub generic_error: Option<&'a [u8]>,
    /// Tags of types not listed above, in order, for the control plane to log or echo.
    pub unknown: ArrayVec<RawTag<'a>, MAX_UNKNOWN_TAGS>,
}

/// Fill the field of a tag that may appear once; a second one is [`Error::DuplicateField`].
#[inline]
fn set_once<'a>(slot: &mut Option<&'a [u8]>, v: &'a [u8]) -> Result<()> {
    if slot.is_some() {
        return Err(Error::DuplicateField);
    }
    *slot = Some(v);
    Ok(())
}

impl<'a> DiscoveryRepr<'a> {
    /// A message with no tags.
    pub fn new(code: PppoeCode, session_id: u16) -> Self {
        DiscoveryRepr {
            code,
            session_id,
            service_names: ArrayVec::new(),
            ac_name: None,
            host_uniq: None,
            ac_cookie: None,
            vendor_specific: ArrayVec::new(),
            relay_session_id: None,
            ppp_max_payload: None,
            service_name_error: None,
            ac_system_error: None,
            generic_error: None,
            unknown: ArrayVec::new(),
        }
    }

    /// Carries Service-Name-Error, AC-System-Error or Generic-Error.
    pub fn has_error(&self) -> bool {
        self.service_name_error.is_some()
            || self.ac_system_error.is_some()
            || self.generic_error.is_some()
    }

    /// Read a discovery message; the view's checks are made again.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(p: &PppoePacket<&'a T>) -> Result<DiscoveryRepr<'a>> {
        p.check_len()?;
        let code = p.code();
        if !code.is_discovery() {
            return Err(Error::UnknownType);
        }
        let buf: &'a [u8] = p.buffer.as_ref();
        let payload = &buf[HEADER_LEN..HEADER_LEN + p.len() as usize];
        let mut r = DiscoveryRepr::new(code, p.session_id());
        for tag in TagIter::new(payload) {
            let tag = tag?;
            let v = tag.value;
            match tag.kind {
                // The iterator stops after it.
                TagType::END_OF_LIST => {
                    if !v.is_empty() {
                        return Err(Error::BadValue);
                    }
                }
                TagType::SERVICE_NAME => {
                    r.service_names.try_push(v).map_err(|_| Error::TooMany)?;
                }
                TagType::AC_NAME => set_once(&mut r.ac_name, v)?,
                TagType::HOST_UNIQ => set_once(&mut r.host_uniq, v)?,
                TagType::AC_COOKIE => set_once(&mut r.ac_cookie, v)?,
                TagType::VENDOR_SPECIFIC => {
                    let (Some(id), Some(data)) = (v.get(..4), v.get(4..)) else {
                        return Err(Error::BadValue);
                    };
                    let vendor_id = u32::from_be_bytes([id[0], id[1], id[2], id[3]]);
                    r.vendor_specific
                        .try_push(VendorSpecific { vendor_id, data })
                        .map_err(|_| Error::TooMany)?;
                }
                TagType::RELAY_SESSION_ID => set_once(&mut r.relay_session_id, v)?,
                TagType::PPP_MAX_PAYLOAD => {
                    let &[hi, lo] = v else {
                        return Err(Error::BadValue);
                    };
                    if r.ppp_max_payload.is_some() {
                        return Err(Error::DuplicateField);
                    }
                    r.ppp_max_payload = Some(u16::from_be_bytes([hi, lo]));
                }
                TagType::SERVICE_NAME_ERROR => set_once(&mut r.service_name_error, v)?,
                TagType::AC_SYSTEM_ERROR => set_once(&mut r.ac_system_error, v)?,
                TagType::GENERIC_ERROR => set_once(&mut r.generic_error, v)?,
                tag_type => {
                    r.unknown
                        .try_push(RawTag { tag_type, value: v })
                        .map_err(|_| Error::TooMany)?;
                }
            }
        }
        r.check()?;
        Ok(r)
    }

    /// The per-code rules of the module documentation, shared by `parse` and `emit`.
    fn check(&self) -> Result<()> {
        let sid = self.session_id;
        let names = self.service_names.len();
        match self.code {
            PppoeCode::PADI | PppoeCode::PADR => {
                if sid != 0 {
                    return Err(Error::BadValue);
                }
                match names {
                    0 => return Err(Error::MissingField),
                    1 => {}
                    _ => return Err(Error::DuplicateField),
                }
            }
            PppoeCode::PADO => {
                if sid != 0 {
                    return Err(Error::BadValue);
                }
                if names == 0 || self.ac_name.is_none() {
                    return Err(Error::MissingField);
                }
            }
            PppoeCode::PADS => {
                // §5.4: SESSION_ID 0 only in the PADS that refuses the request.
                if sid == SESSION_ID_RESERVED || (sid == 0 && !self.has_error()) {
                    return Err(Error::BadValue);
                }
                if names > 1 {
                    return Err(Error::DuplicateField);
                }
            }
            PppoeCode::PADT => {
                if sid == 0 || sid == SESSION_ID_RESERVED {
                    return Err(Error::BadValue);
                }
            }
            _ => return Err(Error::UnknownType),
        }
        // An unknown tag of a known type would come back in its typed field.
        if self.unknown.iter().any(|t| t.tag_type.is_known()) {
            return Err(Error::BadValue);
        }
        Ok(())
    }

    /// Bytes of tags `emit` writes.
    fn tags_len(&self) -> usize {
        let tag = |v: &[u8]| TAG_HEADER_LEN + v.len();
        let opt = |v: Option<&[u8]>| v.map_or(0, tag);
        self.service_names.iter().map(|v| tag(v)).sum::<usize>()
            + opt(self.ac_name)
            + opt(self.host_uniq)
            + opt(self.ac_cookie)
            + self
                .vendor_specific
                .iter()
                .map(|v| tag(v.data) + 4)
                .sum::<usize>()
            + opt(self.relay_session_id)
            + self.ppp_max_payload.map_or(0, |_| TAG_HEADER_LEN + 2)
            + opt(self.service_name_error)
            + opt(self.ac_system_error)
            + opt(self.generic_error)
            + self.unknown.iter().map(|t| tag(t.value)).sum::<usize>()
    }

    /// The exact length `emit` writes, PPPoE header included.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.tags_len()
    }

    /// Write the message into `buf[..self.buffer_len()]`; returns that length.
    /// Refuses what `parse` would refuse (same errors), [`Error::BadLength`] when the
    /// tags do not fit LENGTH, [`Error::BufferTooSmall`].
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        self.check()?;
        let len = self.buffer_len();
        // Every tag is shorter than the whole, so each TAG_LENGTH fits too.
        let Ok(payload_len) = u16::try_from(len - HEADER_LEN) else {
            return Err(Error::BadLength);
        };
        let Some(buf) = buf.get_mut(..len) else {
            return Err(Error::BufferTooSmall);
        };
        let mut p = PppoePacket::new_unchecked(&mut *buf);
        p.set_version_type(1, 1);
        p.set_code(self.code);
        p.set_session_id(self.session_id);
        p.set_len(payload_len);
        let mut w = TagWriter {
            buf,
            at: HEADER_LEN,
        };
        for v in &self.service_names {
            w.tag(TagType::SERVICE_NAME, &[v]);
        }
        w.opt(TagType::AC_NAME, self.ac_name);
        w.opt(TagType::HOST_UNIQ, self.host_uniq);
        w.opt(TagType::AC_COOKIE, self.ac_cookie);
        for v in &self.vendor_specific {
            w.tag(
                TagType::VENDOR_SPECIFIC,
                &[&v.vendor_id.to_be_bytes(), v.data],
            );
        }
        w.opt(TagType::RELAY_SESSION_ID, self.relay_session_id);
        if let Some(m) = self.ppp_max_payload {
            w.tag(TagType::PPP_MAX_PAYLOAD, &[&m.to_be_bytes()]);
        }
        w.opt(TagType::SERVICE_NAME_ERROR, self.service_name_error);
        w.opt(TagType::AC_SYSTEM_ERROR, self.ac_system_error);
        w.opt(TagType::GENERIC_ERROR, self.generic_error);
        for t in &self.unknown {
            w.tag(t.tag_type, &[t.value]);
        }
        debug_assert_eq!(w.at, len);
        Ok(len)
    }
}

/// Appends tags to a buffer `emit` has sized with `buffer_len`.
struct TagWriter<'b> {
    buf: &'b mut [u8],
    at: usize,
}

impl TagWriter<'_> {
    /// One tag whose value is the concatenation of `parts`.
    fn tag(&mut self, t: TagType, parts: &[&[u8]]) {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let at = self.at;
        self.buf[at..at + 2].copy_from_slice(&t.0.to_be_bytes());
        // `emit` checked the whole payload fits 16 bits.
        self.buf[at + 2..at + 4].copy_from_slice(&(len as u16).to_be_bytes());
        let mut v = at + TAG_HEADER_LEN;
        for p in parts {
            self.buf[v..v + p.len()].copy_from_slice(p);
            v += p.len();
        }
        self.at = v;
    }
    fn opt(&mut self, t: TagType, v: Option<&[u8]>) {
        if let Some(v) = v {
            self.tag(t, &[v]);
        }
    }
}

/// Runs every parser of this module on `data`; a `DiscoveryRepr` that parses must emit
/// and parse back to itself. For the fuzz targets; allocates nothing.
#[cfg(fuzzing)]
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    if let Ok(p) = PppoePacket::new_checked(data) {
        let _ = (
            p.version(),
            p.pppoe_type(),
            p.session_id(),
            p.is_session(),
            p.code().name(),
        );
        assert_eq!(p.payload().len(), p.len() as usize);
        for t in p.tags().flatten() {
            let _ = (t.kind.is_known(), t.value.len(), t.raw.len());
        }
        if let Ok(r) = DiscoveryRepr::parse(&p) {
            let _ = r.has_error();
            let mut out = [0u8; HEADER_LEN + 0xffff];
            let n = r.emit(&mut out).expect("a parsed DiscoveryRepr emits");
            assert_eq!(n, r.buffer_len());
            assert!(n <= HEADER_LEN + p.len() as usize);
            let q = PppoePacket::new_checked(&out[..n]).expect("emitted header checks");
            assert_eq!(DiscoveryRepr::parse(&q), Ok(r));
        }
    }
    if let Ok((_, ppp)) = parse_session(data) {
        let _ = ppp.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_template_patched() {
        let mut b = [0u8; 10];
        b[..6].copy_from_slice(&session_header(0x1234));
        PppoePacket::new_unchecked(&mut b[..]).set_len(4);
        assert_eq!(b[..6], [0x11, 0, 0x12, 0x34, 0, 4]);
        assert_eq!(parse_session(&b), Ok((0x1234, &[0u8; 4][..])));
        let mut c = [0u8; 10];
        emit_session_header(&mut c, 0x1234, 4).unwrap();
        assert_eq!(b, c);
    }

    // The fuzz entry exists with `--cfg fuzzing` only (scripts/fuzz.sh runs these tests so).
    #[cfg(fuzzing)]
    #[test]
    fn fuzz_on_a_padi() {
        // PADI, Service-Name "", Host-Uniq 01 02, End-Of-List, padding.
        fuzz(&[
            0x11, 0x09, 0, 0, 0, 14, 1, 1, 0, 0, 1, 3, 0, 2, 1, 2, 0, 0, 0, 0, 0xee,
        ]);
    }
}
