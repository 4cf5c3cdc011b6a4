//! The L2TPv2 message header (RFC 2661 §3.1): [`L2tpPacket`], the view the data path
//! uses on every L2TP packet after UDP, and [`L2tpHeaderRepr`], which builds header
//! templates (data messages: the control plane makes one per session, the worker patches
//! Length and Ns/Nr with the setters). The reserved (x) bits are ignored on parse and
//! written as zero.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |T|L|x|x|S|x|O|P|x|x|x|x|  Ver  |          Length (opt)         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |           Tunnel ID           |           Session ID          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |             Ns (opt)          |             Nr (opt)          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |      Offset Size (opt)        |    Offset pad... (opt)
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use super::avp::AvpFormat;
use crate::wire::tlv::TlvIter;
use crate::wire::{Error, Result};

mod field {
    use core::ops::Range;
    pub const FLAGS: Range<usize> = 0..2;
}

/// The T/L/S/O/P bits and the version nibble of the first 16 bits (§3.1).
pub mod flags {
    /// Type: 1 for a control message.
    pub const T: u16 = 0x8000;
    /// Length field present.
    pub const L: u16 = 0x4000;
    /// Ns and Nr present.
    pub const S: u16 = 0x0800;
    /// Offset Size present.
    pub const O: u16 = 0x0200;
    /// Priority (data messages only).
    pub const P: u16 = 0x0100;
    pub const VERSION_MASK: u16 = 0x000f;
}

/// The only header version this module reads (§3.1; 1 is L2F, 3 is L2TPv3).
pub const VERSION: u8 = 2;
/// Flags, tunnel and session ids: the header without optional fields.
pub const MIN_HEADER_LEN: usize = 6;
/// A control header always has Length and Ns/Nr and no offset (§3.1).
pub const CONTROL_HEADER_LEN: usize = 12;

/// A view of an L2TPv2 message (the UDP payload).
#[derive(Debug, Clone)]
pub struct L2tpPacket<T: AsRef<[u8]>> {
    pub(super) buffer: T,
}

impl<T: AsRef<[u8]>> L2tpPacket<T> {
    pub const fn new_unchecked(buffer: T) -> Self {
        L2tpPacket { buffer }
    }

    /// Version 2; control messages with L and S set and O and P clear (§3.1:
    /// [`Error::BadFlags`]); the header with its optional fields within the buffer; a
    /// Length field not below the header ([`Error::BadLength`]) nor past the buffer
    /// ([`Error::Truncated`]); the offset pad within the message ([`Error::Truncated`]).
    /// The buffer may be longer than Length (the UDP payload should match).
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = L2tpPacket { buffer };
        p.check_len()?;
        Ok(p)
    }

    /// The checks of [`Self::new_checked`], for a view made with `new_unchecked`.
    #[inline]
    pub fn check_len(&self) -> Result<()> {
        let b = self.buffer.as_ref();
        if b.len() < 2 {
            return Err(Error::Truncated);
        }
        let f = u16::from_be_bytes([b[0], b[1]]);
        if (f & flags::VERSION_MASK) as u8 != VERSION {
            return Err(Error::BadVersion);
        }
        if f & flags::T != 0
            && (f & (flags::L | flags::S | flags::O | flags::P)) != flags::L | flags::S
        {
            return Err(Error::BadFlags);
        }
        let hl = Self::fixed_len(f);
        if b.len() < hl {
            return Err(Error::Truncated);
        }
        let end = if f & flags::L != 0 {
            let l = u16::from_be_bytes([b[2], b[3]]) as usize;
            if l < hl {
                return Err(Error::BadLength);
            }
            if l > b.len() {
                return Err(Error::Truncated);
            }
            l
        } else {
            b.len()
        };
        if f & flags::O != 0 {
            let pad = u16::from_be_bytes([b[hl - 2], b[hl - 1]]) as usize;
            if hl + pad > end {
                return Err(Error::Truncated);
            }
        }
        Ok(())
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Header bytes before the offset pad, from the flags.
    #[inline]
    const fn fixed_len(f: u16) -> usize {
        MIN_HEADER_LEN
            + if f & flags::L != 0 { 2 } else { 0 }
            + if f & flags::S != 0 { 4 } else { 0 }
            + if f & flags::O != 0 { 2 } else { 0 }
    }

    #[inline]
    fn u16_at(&self, at: usize) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_be_bytes([b[at], b[at + 1]])
    }

    /// The first 16 bits: flags and version.
    #[inline]
    pub fn flags_version(&self) -> u16 {
        let b = &self.buffer.as_ref()[field::FLAGS];
        u16::from_be_bytes([b[0], b[1]])
    }
    #[inline]
    fn has(&self, bit: u16) -> bool {
        self.flags_version() & bit != 0
    }
    /// T: a control message.
    #[inline]
    pub fn is_control(&self) -> bool {
        self.has(flags::T)
    }
    /// L: the Length field is present.
    #[inline]
    pub fn has_length(&self) -> bool {
        self.has(flags::L)
    }
    /// S: Ns and Nr are present.
    #[inline]
    pub fn has_sequence(&self) -> bool {
        self.has(flags::S)
    }
    /// O: the Offset Size field is present.
    #[inline]
    pub fn has_offset(&self) -> bool {
        self.has(flags::O)
    }
    /// P: the data message should be queued with priority (§3.1).
    #[inline]
    pub fn priority(&self) -> bool {
        self.has(flags::P)
    }
    #[inline]
    pub fn version(&self) -> u8 {
        (self.flags_version() & flags::VERSION_MASK) as u8
    }
    /// The Length field: the whole message, header included.
    #[inline]
    pub fn length(&self) -> Option<u16> {
        self.has_length().then(|| self.u16_at(2))
    }
    #[inline]
    fn ids_at(&self) -> usize {
        2 + ((self.flags_version() >> 13) & 2) as usize
    }
    #[inline]
    pub fn tunnel_id(&self) -> u16 {
        self.u16_at(self.ids_at())
    }
    #[inline]
    pub fn session_id(&self) -> u16 {
        self.u16_at(self.ids_at() + 2)
    }
    #[inline]
    pub fn ns(&self) -> Option<u16> {
        self.has_sequence().then(|| self.u16_at(self.ids_at() + 4))
    }
    /// Nr; in data messages it is reserved and ignored (§3.1).
    #[inline]
    pub fn nr(&self) -> Option<u16> {
        self.has_sequence().then(|| self.u16_at(self.ids_at() + 6))
    }
    #[inline]
    pub fn offset_size(&self) -> Option<u16> {
        let f = self.flags_version();
        (f & flags::O != 0).then(|| self.u16_at(Self::fixed_len(f) - 2))
    }
    /// Where the payload starts: the header, its Offset Size field and the offset pad.
    #[inline]
    pub fn header_len(&self) -> usize {
        let f = self.flags_version();
        let hl = Self::fixed_len(f);
        if f & flags::O != 0 {
            hl + self.u16_at(hl - 2) as usize
        } else {
            hl
        }
    }
    /// Where the message ends: the Length field, else the buffer's end.
    #[inline]
    pub(super) fn end(&self) -> usize {
        match self.length() {
            Some(l) => l as usize,
            None => self.buffer.as_ref().len(),
        }
    }
    /// The PPP frame of a data message, the AVPs of a control message.
    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len()..self.end()]
    }
    /// The AVPs of a control message (of any message: the payload read as AVPs).
    pub fn avps(&self) -> TlvIter<'_, AvpFormat> {
        TlvIter::new(self.payload())
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> L2tpPacket<T> {
    #[inline]
    fn set_u16(&mut self, at: usize, v: u16) {
        self.buffer.as_mut()[at..at + 2].copy_from_slice(&v.to_be_bytes());
    }
    /// Write flags and version; the optional fields move with them, so a template
    /// sets this first.
    #[inline]
    pub fn set_flags_version(&mut self, v: u16) {
        self.set_u16(0, v);
    }
    /// [`Error::MissingField`] when the header has no Length field (L=0).
    #[inline]
    pub fn set_length(&mut self, v: u16) -> Result<()> {
        if !self.has_length() {
            return Err(Error::MissingField);
        }
        self.set_u16(2, v);
        Ok(())
    }
    #[inline]
    pub fn set_tunnel_id(&mut self, v: u16) {
        let at = self.ids_at();
        self.set_u16(at, v);
    }
    #[inline]
    pub fn set_session_id(&mut self, v: u16) {
        let at = self.ids_at() + 2;
        self.set_u16(at, v);
    }
    /// [`Error::MissingField`] when the header has no Ns/Nr (S=0).
    #[inline]
    pub fn set_ns(&mut self, v: u16) -> Result<()> {
        if !self.has_sequence() {
            return Err(Error::MissingField);
        }
        let at = self.ids_at() + 4;
        self.set_u16(at, v);
        Ok(())
    }
    /// [`Error::MissingField`] when the header has no Ns/Nr (S=0).
    #[inline]
    pub fn set_nr(&mut self, v: u16) -> Result<()> {
        if !self.has_sequence() {
            return Err(Error::MissingField);
        }
        let at = self.ids_at() + 6;
        self.set_u16(at, v);
        Ok(())
    }
    /// [`Error::MissingField`] when the header has no Offset Size (O=0).
    #[inline]
    pub fn set_offset_size(&mut self, v: u16) -> Result<()> {
        let f = self.flags_version();
        if f & flags::O == 0 {
            return Err(Error::MissingField);
        }
        self.set_u16(Self::fixed_len(f) - 2, v);
        Ok(())
    }
    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let (start, end) = (self.header_len(), self.end());
        &mut self.buffer.as_mut()[start..end]
    }
}

/// Ns and Nr (§3.1, §5.8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sequence {
    pub ns: u16,
    pub nr: u16,
}

/// A header, for templates and data messages. The offset pad is written as zeros.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct L2tpHeaderRepr {
    /// T
    pub control: bool,
    /// L: write a Length field.
    pub with_length: bool,
    /// S: Ns and Nr.
    pub sequence: Option<Sequence>,
    /// O: an Offset Size field and that many pad octets.
    pub offset_size: Option<u16>,
    /// P
    pub priority: bool,
    pub tunnel_id: u16,
    pub session_id: u16,
}

impl L2tpHeaderRepr {
    pub fn parse<T: AsRef<[u8]>>(p: &L2tpPacket<T>) -> Result<L2tpHeaderRepr> {
        p.check_len()?;
        Ok(L2tpHeaderRepr {
            control: p.is_control(),
            with_length: p.has_length(),
            sequence: match (p.ns(), p.nr()) {
                (Some(ns), Some(nr)) => Some(Sequence { ns, nr }),
                _ => None,
            },
            offset_size: p.offset_size(),
            priority: p.priority(),
            tunnel_id: p.tunnel_id(),
            session_id: p.session_id(),
        })
    }

    /// The flags and version this header writes.
    pub fn flags_version(&self) -> u16 {
        let mut f = VERSION as u16;
        for (on, bit) in [
            (self.control, flags::T),
            (self.with_length, flags::L),
            (self.sequence.is_some(), flags::S),
            (self.offset_size.is_some(), flags::O),
            (self.priority, flags::P),
        ] {
            if on {
                f |= bit;
            }
        }
        f
    }

    /// Header, Offset Size field and offset pad.
    pub fn header_len(&self) -> usize {
        L2tpPacket::<&[u8]>::fixed_len(self.flags_version())
            + self.offset_size.unwrap_or(0) as usize
    }

    /// Write the header into `buf[..self.header_len()]` for a message whose payload is
    /// `payload_len` long (the Length field, if any, says header + payload). Returns the
    /// header length. A control header that breaks §3.1 is [`Error::BadFlags`].
    pub fn emit(&self, buf: &mut [u8], payload_len: usize) -> Result<usize> {
        let f = self.flags_version();
        if self.control && (f & (flags::L | flags::S | flags::O | flags::P)) != flags::L | flags::S
        {
            return Err(Error::BadFlags);
        }
        let hl = self.header_len();
        let total = hl.checked_add(payload_len).ok_or(Error::BadLength)?;
        if self.with_length && total > u16::MAX as usize {
            return Err(Error::BadLength);
        }
        if buf.len() < hl {
            return Err(Error::BufferTooSmall);
        }
        let buf = &mut buf[..hl];
        buf.fill(0);
        let mut p = L2tpPacket::new_unchecked(buf);
        p.set_flags_version(f);
        if self.with_length {
            p.set_u16(2, total as u16);
        }
        p.set_tunnel_id(self.tunnel_id);
        p.set_session_id(self.session_id);
        if let Some(s) = self.sequence {
            p.set_ns(s.ns)?;
            p.set_nr(s.nr)?;
        }
        if let Some(o) = self.offset_size {
            p.set_offset_size(o)?;
        }
        Ok(hl)
    }
}
