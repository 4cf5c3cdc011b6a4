//! L2TPv2 control messages (RFC 2661 §3.2, §5.8, §6): [`L2tpControlRepr`], the header
//! fields of a control message and its typed AVPs, the Message Type AVP first (§4.4.1),
//! none for a ZLB (§5.8). Parsing refuses what §4.1 and §4.4.1 refuse; hidden AVPs are
//! revealed into a caller's scratch buffer and emitted hidden with the caller's Random
//! Vector and padding (§4.3, `hidden.rs`).

use arrayvec::ArrayVec;

use super::avp::{
    AttributeType, Avp, AvpFormat, AvpRepr, MessageType, AVP_H, AVP_HEADER_LEN, AVP_M, MAX_AVP_LEN,
};
use super::header::{L2tpHeaderRepr, L2tpPacket, Sequence, CONTROL_HEADER_LEN};
use super::hidden::{hide, unhide};
use crate::wire::tlv::{Tlv, TlvIter};
use crate::wire::{Error, Result};

/// How many AVPs an [`L2tpControlRepr`] holds; an ICCN with every proxy AVP has about
/// twenty.
pub const MAX_AVPS: usize = 40;

/// The AVP list of a control message.
pub type Avps<'a> = ArrayVec<Avp<'a>, MAX_AVPS>;

/// A control message (§3.2, §6): a ZLB when `avps` is empty, else the Message Type AVP
/// first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct L2tpControlRepr<'a> {
    pub tunnel_id: u16,
    pub session_id: u16,
    pub ns: u16,
    pub nr: u16,
    pub avps: Avps<'a>,
}

fn is_message_type(a: &Avp) -> bool {
    matches!(a.value, AvpRepr::MessageType(_))
}

impl<'a> L2tpControlRepr<'a> {
    /// A message of `message_type` (`None`: a ZLB) with no other AVP yet; push more
    /// onto `avps`.
    pub fn new(
        tunnel_id: u16,
        session_id: u16,
        ns: u16,
        nr: u16,
        message_type: Option<MessageType>,
    ) -> Self {
        let mut avps = ArrayVec::new();
        if let Some(t) = message_type {
            avps.push(Avp::new(AvpRepr::MessageType(t)));
        }
        L2tpControlRepr {
            tunnel_id,
            session_id,
            ns,
            nr,
            avps,
        }
    }

    /// `None` for a ZLB.
    pub fn message_type(&self) -> Option<MessageType> {
        match self.avps.first() {
            Some(Avp {
                value: AvpRepr::MessageType(t),
                ..
            }) => Some(*t),
            _ => None,
        }
    }

    pub fn is_zlb(&self) -> bool {
        self.avps.is_empty()
    }

    /// Append an AVP; [`Error::TooMany`] past [`MAX_AVPS`].
    pub fn push(&mut self, avp: Avp<'a>) -> Result<()> {
        self.avps.try_push(avp).map_err(|_| Error::TooMany)
    }

    /// The first AVP that makes [`Self::parse`] fail with [`Error::UnknownMandatory`]:
    /// an unknown AVP with M=1, or an unknown message type with M=1. Only a Repr from
    /// [`Self::parse_permissive`] can hold one.
    pub fn unknown_mandatory(&self) -> Option<&Avp<'a>> {
        self.avps.iter().find(|a| {
            a.is_unknown_mandatory()
                || matches!(a.value, AvpRepr::MessageType(t) if a.mandatory && !t.is_known())
        })
    }

    /// The first AVP of type `t` (vendor 0).
    pub fn find(&self, t: AttributeType) -> Option<&Avp<'a>> {
        self.avps
            .iter()
            .find(|a| a.value.vendor_id() == 0 && a.value.attr_type() == t)
    }

    /// A control message without hidden AVPs. A data message is
    /// [`Error::Unsupported`]; a hidden AVP [`Error::BadHidden`] (no secret); the
    /// Message Type anywhere but first [`Error::MissingField`] / [`Error::DuplicateField`];
    /// an unknown AVP or message type with M=1 [`Error::UnknownMandatory`] (use
    /// [`Self::parse_permissive`] to learn which); a bad value [`Error::BadValue`]; more
    /// than [`MAX_AVPS`] AVPs [`Error::TooMany`].
    pub fn parse<T: AsRef<[u8]> + ?Sized>(p: &L2tpPacket<&'a T>) -> Result<Self> {
        let r = Self::parse_inner(p, None, &mut [])?;
        r.refuse_unknown_mandatory()
    }

    /// As [`Self::parse`], revealing hidden AVPs (§4.3) with the tunnel's `secret` and
    /// the most recent Random Vector AVP before each. Their values are written into
    /// `scratch` and borrow it; a scratch as long as the message always suffices
    /// (shorter: [`Error::BufferTooSmall`]). A hidden AVP with no Random Vector before
    /// it, or whose original length does not fit, is [`Error::BadHidden`].
    pub fn parse_with_secret<T: AsRef<[u8]> + ?Sized>(
        p: &L2tpPacket<&'a T>,
        secret: &[u8],
        scratch: &'a mut [u8],
    ) -> Result<Self> {
        let r = Self::parse_inner(p, Some(secret), scratch)?;
        r.refuse_unknown_mandatory()
    }

    /// As [`Self::parse_with_secret`] (`secret` `None`: as [`Self::parse`]), but keeps
    /// unknown mandatory AVPs and message types instead of failing, so that the control
    /// plane can see which and answer with a StopCCN or CDN carrying Result Code
    /// error [`ErrorCode::UNKNOWN_MANDATORY_AVP`](super::ErrorCode::UNKNOWN_MANDATORY_AVP) (§4.1); see
    /// [`Self::unknown_mandatory`].
    pub fn parse_permissive<T: AsRef<[u8]> + ?Sized>(
        p: &L2tpPacket<&'a T>,
        secret: Option<&[u8]>,
        scratch: &'a mut [u8],
    ) -> Result<Self> {
        Self::parse_inner(p, secret, scratch)
    }

    fn refuse_unknown_mandatory(self) -> Result<Self> {
        if self.unknown_mandatory().is_some() {
            return Err(Error::UnknownMandatory);
        }
        Ok(self)
    }

    fn parse_inner<T: AsRef<[u8]> + ?Sized>(
        p: &L2tpPacket<&'a T>,
        secret: Option<&[u8]>,
        mut scratch: &'a mut [u8],
    ) -> Result<Self> {
        p.check_len()?;
        if !p.is_control() {
            return Err(Error::Unsupported);
        }
        let view = L2tpPacket::new_unchecked(p.buffer.as_ref());
        let payload: &'a [u8] = {
            let b: &'a [u8] = p.buffer.as_ref();
            &b[view.header_len()..view.end()]
        };
        let mut avps = ArrayVec::new();
        let mut random_vector: Option<&'a [u8]> = None;
        for (i, tlv) in TlvIter::<AvpFormat>::new(payload).enumerate() {
            let Tlv { kind: h, value, .. } = tlv?;
            let structural = h.vendor_id == 0
                && (h.attr_type == AttributeType::MESSAGE_TYPE
                    || h.attr_type == AttributeType::RANDOM_VECTOR);
            let value: &'a [u8] = if h.hidden {
                // §4.4.1, §4.4.3: neither may be hidden (nothing could reveal them).
                if structural {
                    return Err(Error::BadFlags);
                }
                let (Some(secret), Some(rv)) = (secret, random_vector) else {
                    return Err(Error::BadHidden);
                };
                if scratch.len() < value.len() {
                    return Err(Error::BufferTooSmall);
                }
                let (out, rest) = core::mem::take(&mut scratch).split_at_mut(value.len());
                scratch = rest;
                unhide(h.attr_type, secret, rv, value, out)?
            } else {
                value
            };
            let repr = AvpRepr::parse(h.vendor_id, h.attr_type, value)?;
            match repr {
                AvpRepr::MessageType(_) if i > 0 => return Err(Error::DuplicateField),
                AvpRepr::MessageType(_) => {}
                _ if i == 0 => return Err(Error::MissingField),
                AvpRepr::RandomVector(rv) => random_vector = Some(rv),
                _ => {}
            }
            avps.try_push(Avp {
                mandatory: h.mandatory,
                hidden: h.hidden,
                value: repr,
            })
            .map_err(|_| Error::TooMany)?;
        }
        Ok(L2tpControlRepr {
            tunnel_id: view.tunnel_id(),
            session_id: view.session_id(),
            ns: view.ns().unwrap_or(0),
            nr: view.nr().unwrap_or(0),
            avps,
        })
    }

    /// The message length with no hiding padding.
    pub fn buffer_len(&self) -> usize {
        self.buffer_len_padded(0)
    }

    /// The message length when every hidden AVP gets `pad` octets of padding.
    pub fn buffer_len_padded(&self, pad: usize) -> usize {
        CONTROL_HEADER_LEN + self.avps.iter().map(|a| a.wire_len(pad)).sum::<usize>()
    }

    /// Write the message with no hidden AVP (a hidden one: [`Error::BadHidden`]);
    /// returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        self.emit_inner(buf, None, &[])
    }

    /// Write the message, hiding each AVP whose `hidden` is set with `secret` and the
    /// most recent Random Vector AVP before it in `avps` (none: [`Error::BadHidden`]).
    /// Each hidden subformat gets `padding` appended (§4.3: random octets the caller
    /// chooses, to mask the value's length; may be empty). Returns the length,
    /// [`Self::buffer_len_padded`]`(padding.len())`.
    pub fn emit_with_secret(&self, buf: &mut [u8], secret: &[u8], padding: &[u8]) -> Result<usize> {
        self.emit_inner(buf, Some(secret), padding)
    }

    fn emit_inner(&self, buf: &mut [u8], secret: Option<&[u8]>, padding: &[u8]) -> Result<usize> {
        let len = self.buffer_len_padded(padding.len());
        if len > u16::MAX as usize {
            return Err(Error::BadLength);
        }
        if buf.len() < len {
            return Err(Error::BufferTooSmall);
        }
        let header = L2tpHeaderRepr {
            control: true,
            with_length: true,
            sequence: Some(Sequence {
                ns: self.ns,
                nr: self.nr,
            }),
            offset_size: None,
            priority: false,
            tunnel_id: self.tunnel_id,
            session_id: self.session_id,
        };
        let mut at = header.emit(buf, len - CONTROL_HEADER_LEN)?;
        let mut random_vector: Option<&[u8]> = None;
        for (i, a) in self.avps.iter().enumerate() {
            match (i, is_message_type(a)) {
                (0, false) => return Err(Error::MissingField),
                (1.., true) => return Err(Error::DuplicateField),
                _ => {}
            }
            a.value.check()?;
            let attr_type = a.value.attr_type();
            let n = a.wire_len(padding.len());
            if n > MAX_AVP_LEN {
                return Err(Error::BadLength);
            }
            let out = &mut buf[at..at + n];
            let f = if a.mandatory { AVP_M } else { 0 } | if a.hidden { AVP_H } else { 0 };
            out[0] = f | (n >> 8) as u8;
            out[1] = n as u8;
            out[2..4].copy_from_slice(&a.value.vendor_id().to_be_bytes());
            out[4..6].copy_from_slice(&attr_type.0.to_be_bytes());
            let vlen = a.value.value_len();
            if a.hidden {
                if matches!(a.value, AvpRepr::MessageType(_) | AvpRepr::RandomVector(_))
                    && a.value.vendor_id() == 0
                {
                    return Err(Error::BadFlags);
                }
                let (Some(secret), Some(rv)) = (secret, random_vector) else {
                    return Err(Error::BadHidden);
                };
                let sub = &mut out[AVP_HEADER_LEN..];
                sub[..2].copy_from_slice(&(vlen as u16).to_be_bytes());
                a.value.emit_value(&mut sub[2..2 + vlen]);
                sub[2 + vlen..].copy_from_slice(padding);
                hide(attr_type, secret, rv, sub);
            } else {
                a.value.emit_value(&mut out[AVP_HEADER_LEN..]);
                if let AvpRepr::RandomVector(rv) = a.value {
                    random_vector = Some(rv);
                }
            }
            at += n;
        }
        Ok(at)
    }
}
