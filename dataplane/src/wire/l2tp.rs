//! L2TPv2 (RFC 2661): the message header (§3.1), control message AVPs (§4.1, §4.4),
//! hidden AVPs (§4.3) and the control messages (§3.2, §6).
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
//!
//! Every AVP (§4.1) of a control message:
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |M|H| rsvd  |      Length       |           Vendor ID           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Attribute Type        |        Attribute Value...
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!                     [until Length is reached]...                |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! [`L2tpPacket`] is the view the data path uses on every L2TP packet after UDP:
//! `new_checked`, `tunnel_id`, `session_id` and `payload` are cheap and inlined.
//! [`L2tpHeaderRepr`] builds header templates (data messages: the control plane makes
//! one per session, the worker patches Length and Ns/Nr with the setters).
//! [`L2tpControlRepr`] is a whole control message: header fields and a list of typed
//! [`Avp`]s, the Message Type AVP first (§4.4.1), none for a ZLB (§5.8).
//!
//! Hidden AVPs (§4.3) need the tunnel's shared secret. Parsing with
//! [`L2tpControlRepr::parse_with_secret`] decodes each hidden value into a caller's
//! scratch buffer, which the decoded values borrow (a scratch as long as the message
//! always suffices); nothing allocates. Emitting with
//! [`L2tpControlRepr::emit_with_secret`] hides the AVPs whose `hidden` flag is set,
//! with the most recent Random Vector AVP before them in the list (the caller puts it
//! there: no RNG in here) and the padding the caller passes.
//!
//! Not supported:
//! - L2TPv3 (RFC 3931): a version-3 header is [`Error::BadVersion`], like L2F (version 1).
//! - Reserved AVP flag bits are refused ([`Error::BadFlags`]) rather than treating the
//!   AVP as unrecognised as §4.1 says; no implementation we know sets them.
//! - Vendor-specific AVPs are kept raw ([`AvpRepr::Unknown`]), not decoded.
//! - Which AVPs each message must or may carry (§6) is the control plane's business;
//!   the Repr only enforces the Message Type rules of §4.4.1.
//! - Reserved octets inside Proxy Authen ID, Call Errors and ACCM values are ignored on
//!   parse and written as zero, as are the header's reserved (x) bits (§3.1).
//! - Repeated AVPs (other than the Message Type) are kept in order, not refused.
//!
//! Every [`Avp`] carries its own M and H bits, known or not, so a peer's bits survive
//! parse and emit; an unknown AVP is [`AvpRepr::Unknown`] with its vendor id, type and
//! raw (revealed, if hidden) value. [`L2tpControlRepr::parse`] refuses an unknown AVP
//! with M=1 ([`Error::UnknownMandatory`]); [`L2tpControlRepr::parse_permissive`] keeps
//! it and [`L2tpControlRepr::unknown_mandatory`] names it, for the StopCCN / CDN that
//! §4.1 asks for.

use arrayvec::ArrayVec;
use md5::{Digest, Md5};

use super::tlv::{Tlv, TlvFormat, TlvIter};
use super::{Error, Result};

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
/// M/H/reserved/length, vendor id, attribute type.
pub const AVP_HEADER_LEN: usize = 6;
/// The 10-bit AVP length field counts the header too.
pub const MAX_AVP_LEN: usize = 0x3ff;
/// How many AVPs an [`L2tpControlRepr`] holds; an ICCN with every proxy AVP has about
/// twenty.
pub const MAX_AVPS: usize = 40;

/// A view of an L2TPv2 message (the UDP payload).
#[derive(Debug, Clone)]
pub struct L2tpPacket<T: AsRef<[u8]>> {
    buffer: T,
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
    fn end(&self) -> usize {
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

/// A control message type: the value of the Message Type AVP (§3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageType(pub u16);

impl MessageType {
    /// Start-Control-Connection-Request
    pub const SCCRQ: MessageType = MessageType(1);
    /// Start-Control-Connection-Reply
    pub const SCCRP: MessageType = MessageType(2);
    /// Start-Control-Connection-Connected
    pub const SCCCN: MessageType = MessageType(3);
    /// Stop-Control-Connection-Notification
    pub const STOPCCN: MessageType = MessageType(4);
    pub const HELLO: MessageType = MessageType(6);
    /// Outgoing-Call-Request
    pub const OCRQ: MessageType = MessageType(7);
    /// Outgoing-Call-Reply
    pub const OCRP: MessageType = MessageType(8);
    /// Outgoing-Call-Connected
    pub const OCCN: MessageType = MessageType(9);
    /// Incoming-Call-Request
    pub const ICRQ: MessageType = MessageType(10);
    /// Incoming-Call-Reply
    pub const ICRP: MessageType = MessageType(11);
    /// Incoming-Call-Connected
    pub const ICCN: MessageType = MessageType(12);
    /// Call-Disconnect-Notify
    pub const CDN: MessageType = MessageType(14);
    /// WAN-Error-Notify
    pub const WEN: MessageType = MessageType(15);
    /// Set-Link-Info
    pub const SLI: MessageType = MessageType(16);
    /// A Zero-Length Body message (§5.8) has no Message Type AVP at all, so no value of
    /// this type: [`L2tpControlRepr::message_type`] is `None` for it.
    pub const ZLB: Option<MessageType> = None;

    /// One of the types RFC 2661 defines.
    pub const fn is_known(self) -> bool {
        matches!(self.0, 1..=4 | 6..=12 | 14..=16)
    }
}

/// An AVP attribute type (§4.4), vendor id 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttributeType(pub u16);

impl AttributeType {
    pub const MESSAGE_TYPE: AttributeType = AttributeType(0);
    pub const RESULT_CODE: AttributeType = AttributeType(1);
    pub const PROTOCOL_VERSION: AttributeType = AttributeType(2);
    pub const FRAMING_CAPABILITIES: AttributeType = AttributeType(3);
    pub const BEARER_CAPABILITIES: AttributeType = AttributeType(4);
    pub const TIE_BREAKER: AttributeType = AttributeType(5);
    pub const FIRMWARE_REVISION: AttributeType = AttributeType(6);
    pub const HOST_NAME: AttributeType = AttributeType(7);
    pub const VENDOR_NAME: AttributeType = AttributeType(8);
    pub const ASSIGNED_TUNNEL_ID: AttributeType = AttributeType(9);
    pub const RECEIVE_WINDOW_SIZE: AttributeType = AttributeType(10);
    pub const CHALLENGE: AttributeType = AttributeType(11);
    pub const Q931_CAUSE_CODE: AttributeType = AttributeType(12);
    pub const CHALLENGE_RESPONSE: AttributeType = AttributeType(13);
    pub const ASSIGNED_SESSION_ID: AttributeType = AttributeType(14);
    pub const CALL_SERIAL_NUMBER: AttributeType = AttributeType(15);
    pub const MINIMUM_BPS: AttributeType = AttributeType(16);
    pub const MAXIMUM_BPS: AttributeType = AttributeType(17);
    pub const BEARER_TYPE: AttributeType = AttributeType(18);
    pub const FRAMING_TYPE: AttributeType = AttributeType(19);
    pub const CALLED_NUMBER: AttributeType = AttributeType(21);
    pub const CALLING_NUMBER: AttributeType = AttributeType(22);
    pub const SUB_ADDRESS: AttributeType = AttributeType(23);
    /// (Tx) Connect Speed
    pub const TX_CONNECT_SPEED: AttributeType = AttributeType(24);
    pub const PHYSICAL_CHANNEL_ID: AttributeType = AttributeType(25);
    pub const INITIAL_RECEIVED_LCP_CONFREQ: AttributeType = AttributeType(26);
    pub const LAST_SENT_LCP_CONFREQ: AttributeType = AttributeType(27);
    pub const LAST_RECEIVED_LCP_CONFREQ: AttributeType = AttributeType(28);
    pub const PROXY_AUTHEN_TYPE: AttributeType = AttributeType(29);
    pub const PROXY_AUTHEN_NAME: AttributeType = AttributeType(30);
    pub const PROXY_AUTHEN_CHALLENGE: AttributeType = AttributeType(31);
    pub const PROXY_AUTHEN_ID: AttributeType = AttributeType(32);
    pub const PROXY_AUTHEN_RESPONSE: AttributeType = AttributeType(33);
    pub const CALL_ERRORS: AttributeType = AttributeType(34);
    pub const ACCM: AttributeType = AttributeType(35);
    pub const RANDOM_VECTOR: AttributeType = AttributeType(36);
    pub const PRIVATE_GROUP_ID: AttributeType = AttributeType(37);
    pub const RX_CONNECT_SPEED: AttributeType = AttributeType(38);
    pub const SEQUENCING_REQUIRED: AttributeType = AttributeType(39);

    /// One RFC 2661 defines (with vendor id 0); 20 is unassigned.
    pub const fn is_known(self) -> bool {
        matches!(self.0, 0..=19 | 21..=39)
    }
}

/// The Result Code of StopCCN (§4.4.2) and CDN; the meaning depends on the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResultCode(pub u16);

impl ResultCode {
    pub const STOPCCN_GENERAL_REQUEST: ResultCode = ResultCode(1);
    pub const STOPCCN_GENERAL_ERROR: ResultCode = ResultCode(2);
    pub const STOPCCN_CHANNEL_EXISTS: ResultCode = ResultCode(3);
    pub const STOPCCN_NOT_AUTHORIZED: ResultCode = ResultCode(4);
    pub const STOPCCN_UNSUPPORTED_VERSION: ResultCode = ResultCode(5);
    pub const STOPCCN_SHUTTING_DOWN: ResultCode = ResultCode(6);
    pub const STOPCCN_FSM_ERROR: ResultCode = ResultCode(7);
    pub const CDN_LOST_CARRIER: ResultCode = ResultCode(1);
    pub const CDN_GENERAL_ERROR: ResultCode = ResultCode(2);
    pub const CDN_ADMINISTRATIVE: ResultCode = ResultCode(3);
    pub const CDN_TEMPORARY_LACK_OF_FACILITIES: ResultCode = ResultCode(4);
    pub const CDN_PERMANENT_LACK_OF_FACILITIES: ResultCode = ResultCode(5);
    pub const CDN_INVALID_DESTINATION: ResultCode = ResultCode(6);
    pub const CDN_NO_CARRIER: ResultCode = ResultCode(7);
    pub const CDN_BUSY: ResultCode = ResultCode(8);
    pub const CDN_NO_DIAL_TONE: ResultCode = ResultCode(9);
    pub const CDN_TIMEOUT: ResultCode = ResultCode(10);
    pub const CDN_NO_FRAMING: ResultCode = ResultCode(11);
}

/// The General Error Code of a Result Code AVP (§4.4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ErrorCode(pub u16);

impl ErrorCode {
    pub const NO_GENERAL_ERROR: ErrorCode = ErrorCode(0);
    pub const NO_CONTROL_CONNECTION: ErrorCode = ErrorCode(1);
    pub const LENGTH_WRONG: ErrorCode = ErrorCode(2);
    pub const VALUE_OUT_OF_RANGE: ErrorCode = ErrorCode(3);
    pub const INSUFFICIENT_RESOURCES: ErrorCode = ErrorCode(4);
    pub const INVALID_SESSION_ID: ErrorCode = ErrorCode(5);
    pub const VENDOR_ERROR: ErrorCode = ErrorCode(6);
    pub const TRY_ANOTHER: ErrorCode = ErrorCode(7);
    /// What to answer an unknown AVP with M=1 with (§4.1).
    pub const UNKNOWN_MANDATORY_AVP: ErrorCode = ErrorCode(8);
}

/// Framing Capabilities / Framing Type bits (§4.4.3, §4.4.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Framing(pub u32);

impl Framing {
    pub const SYNCHRONOUS: Framing = Framing(1);
    pub const ASYNCHRONOUS: Framing = Framing(2);
}

/// Bearer Capabilities / Bearer Type bits (§4.4.3, §4.4.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Bearer(pub u32);

impl Bearer {
    pub const DIGITAL: Bearer = Bearer(1);
    pub const ANALOG: Bearer = Bearer(2);
}

/// Proxy Authen Type (§4.4.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProxyAuthenType(pub u16);

impl ProxyAuthenType {
    pub const TEXTUAL: ProxyAuthenType = ProxyAuthenType(1);
    pub const CHAP: ProxyAuthenType = ProxyAuthenType(2);
    pub const PAP: ProxyAuthenType = ProxyAuthenType(3);
    pub const NO_AUTHENTICATION: ProxyAuthenType = ProxyAuthenType(4);
    pub const MSCHAP_V1: ProxyAuthenType = ProxyAuthenType(5);
}

/// One AVP header, as [`AvpFormat`] reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AvpHeader {
    /// M
    pub mandatory: bool,
    /// H
    pub hidden: bool,
    pub vendor_id: u16,
    pub attr_type: AttributeType,
}

const AVP_M: u8 = 0x80;
const AVP_H: u8 = 0x40;
const AVP_RESERVED: u8 = 0x3c;

/// The AVP layout for [`TlvIter`]: reserved bits set are [`Error::BadFlags`], a length
/// below 6 is [`Error::BadLength`], an AVP past the message [`Error::Truncated`].
#[derive(Clone, Copy, Debug)]
pub struct AvpFormat;

impl TlvFormat for AvpFormat {
    type Kind = AvpHeader;
    const HEADER_LEN: usize = AVP_HEADER_LEN;
    #[inline]
    fn parse_header(h: &[u8]) -> Result<(AvpHeader, usize)> {
        if h[0] & AVP_RESERVED != 0 {
            return Err(Error::BadFlags);
        }
        let len = (((h[0] & 0x03) as usize) << 8) | h[1] as usize;
        if len < AVP_HEADER_LEN {
            return Err(Error::BadLength);
        }
        Ok((
            AvpHeader {
                mandatory: h[0] & AVP_M != 0,
                hidden: h[0] & AVP_H != 0,
                vendor_id: u16::from_be_bytes([h[2], h[3]]),
                attr_type: AttributeType(u16::from_be_bytes([h[4], h[5]])),
            },
            len - AVP_HEADER_LEN,
        ))
    }
}

/// The value of one AVP, typed (§4.4.1–§4.4.6). Text fields are bytes as on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AvpRepr<'a> {
    MessageType(MessageType),
    /// Result code, optional error code, optional error message (which needs an error
    /// code in front of it).
    ResultCode {
        result: ResultCode,
        error: Option<ErrorCode>,
        message: &'a [u8],
    },
    ProtocolVersion {
        version: u8,
        revision: u8,
    },
    FramingCapabilities(Framing),
    BearerCapabilities(Bearer),
    TieBreaker(u64),
    FirmwareRevision(u16),
    /// At least one octet (§4.4.3).
    HostName(&'a [u8]),
    VendorName(&'a [u8]),
    AssignedTunnelId(u16),
    ReceiveWindowSize(u16),
    /// At least one octet.
    Challenge(&'a [u8]),
    Q931CauseCode {
        cause_code: u16,
        cause_msg: u8,
        advisory: &'a [u8],
    },
    ChallengeResponse([u8; 16]),
    AssignedSessionId(u16),
    CallSerialNumber(u32),
    MinimumBps(u32),
    MaximumBps(u32),
    BearerType(Bearer),
    FramingType(Framing),
    CalledNumber(&'a [u8]),
    CallingNumber(&'a [u8]),
    SubAddress(&'a [u8]),
    /// (Tx) Connect Speed
    TxConnectSpeed(u32),
    RxConnectSpeed(u32),
    PhysicalChannelId(u32),
    PrivateGroupId(&'a [u8]),
    SequencingRequired,
    InitialReceivedLcpConfReq(&'a [u8]),
    LastSentLcpConfReq(&'a [u8]),
    LastReceivedLcpConfReq(&'a [u8]),
    ProxyAuthenType(ProxyAuthenType),
    ProxyAuthenName(&'a [u8]),
    ProxyAuthenChallenge(&'a [u8]),
    /// The low octet of the 2-octet value; the high one is reserved.
    ProxyAuthenId(u8),
    ProxyAuthenResponse(&'a [u8]),
    CallErrors {
        crc_errors: u32,
        framing_errors: u32,
        hardware_overruns: u32,
        buffer_overruns: u32,
        timeout_errors: u32,
        alignment_errors: u32,
    },
    Accm {
        send_accm: u32,
        receive_accm: u32,
    },
    RandomVector(&'a [u8]),
    /// A vendor-specific AVP or an attribute type RFC 2661 does not define, raw.
    Unknown {
        vendor_id: u16,
        attr_type: AttributeType,
        value: &'a [u8],
    },
}

fn be16(v: &[u8]) -> Result<u16> {
    match v {
        [a, b] => Ok(u16::from_be_bytes([*a, *b])),
        _ => Err(Error::BadValue),
    }
}

fn be32(v: &[u8]) -> Result<u32> {
    match v {
        [a, b, c, d] => Ok(u32::from_be_bytes([*a, *b, *c, *d])),
        _ => Err(Error::BadValue),
    }
}

fn be32_at(v: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([v[at], v[at + 1], v[at + 2], v[at + 3]])
}

fn non_empty(v: &[u8]) -> Result<&[u8]> {
    if v.is_empty() {
        Err(Error::BadValue)
    } else {
        Ok(v)
    }
}

impl<'a> AvpRepr<'a> {
    /// Decode a (cleartext) value. A wrong length for a known AVP is
    /// [`Error::BadValue`]; an unknown attribute or a vendor AVP is `Unknown`.
    pub fn parse(vendor_id: u16, attr_type: AttributeType, v: &'a [u8]) -> Result<AvpRepr<'a>> {
        use AvpRepr as A;
        type T = AttributeType;
        if vendor_id != 0 || !attr_type.is_known() {
            return Ok(A::Unknown {
                vendor_id,
                attr_type,
                value: v,
            });
        }
        Ok(match attr_type {
            T::MESSAGE_TYPE => A::MessageType(MessageType(be16(v)?)),
            T::RESULT_CODE => match v.len() {
                2 => A::ResultCode {
                    result: ResultCode(be16(v)?),
                    error: None,
                    message: &[],
                },
                4.. => A::ResultCode {
                    result: ResultCode(be16(&v[..2])?),
                    error: Some(ErrorCode(be16(&v[2..4])?)),
                    message: &v[4..],
                },
                _ => return Err(Error::BadValue),
            },
            T::PROTOCOL_VERSION => match v {
                [version, revision] => A::ProtocolVersion {
                    version: *version,
                    revision: *revision,
                },
                _ => return Err(Error::BadValue),
            },
            T::FRAMING_CAPABILITIES => A::FramingCapabilities(Framing(be32(v)?)),
            T::BEARER_CAPABILITIES => A::BearerCapabilities(Bearer(be32(v)?)),
            T::TIE_BREAKER => {
                let b: [u8; 8] = v.try_into().map_err(|_| Error::BadValue)?;
                A::TieBreaker(u64::from_be_bytes(b))
            }
            T::FIRMWARE_REVISION => A::FirmwareRevision(be16(v)?),
            T::HOST_NAME => A::HostName(non_empty(v)?),
            T::VENDOR_NAME => A::VendorName(v),
            T::ASSIGNED_TUNNEL_ID => A::AssignedTunnelId(be16(v)?),
            T::RECEIVE_WINDOW_SIZE => A::ReceiveWindowSize(be16(v)?),
            T::CHALLENGE => A::Challenge(non_empty(v)?),
            T::Q931_CAUSE_CODE => {
                if v.len() < 3 {
                    return Err(Error::BadValue);
                }
                A::Q931CauseCode {
                    cause_code: be16(&v[..2])?,
                    cause_msg: v[2],
                    advisory: &v[3..],
                }
            }
            T::CHALLENGE_RESPONSE => {
                A::ChallengeResponse(v.try_into().map_err(|_| Error::BadValue)?)
            }
            T::ASSIGNED_SESSION_ID => A::AssignedSessionId(be16(v)?),
            T::CALL_SERIAL_NUMBER => A::CallSerialNumber(be32(v)?),
            T::MINIMUM_BPS => A::MinimumBps(be32(v)?),
            T::MAXIMUM_BPS => A::MaximumBps(be32(v)?),
            T::BEARER_TYPE => A::BearerType(Bearer(be32(v)?)),
            T::FRAMING_TYPE => A::FramingType(Framing(be32(v)?)),
            T::CALLED_NUMBER => A::CalledNumber(v),
            T::CALLING_NUMBER => A::CallingNumber(v),
            T::SUB_ADDRESS => A::SubAddress(v),
            T::TX_CONNECT_SPEED => A::TxConnectSpeed(be32(v)?),
            T::PHYSICAL_CHANNEL_ID => A::PhysicalChannelId(be32(v)?),
            T::INITIAL_RECEIVED_LCP_CONFREQ => A::InitialReceivedLcpConfReq(v),
            T::LAST_SENT_LCP_CONFREQ => A::LastSentLcpConfReq(v),
            T::LAST_RECEIVED_LCP_CONFREQ => A::LastReceivedLcpConfReq(v),
            T::PROXY_AUTHEN_TYPE => A::ProxyAuthenType(ProxyAuthenType(be16(v)?)),
            T::PROXY_AUTHEN_NAME => A::ProxyAuthenName(v),
            T::PROXY_AUTHEN_CHALLENGE => A::ProxyAuthenChallenge(non_empty(v)?),
            T::PROXY_AUTHEN_ID => A::ProxyAuthenId(be16(v)? as u8),
            T::PROXY_AUTHEN_RESPONSE => A::ProxyAuthenResponse(v),
            T::CALL_ERRORS => {
                if v.len() != 26 {
                    return Err(Error::BadValue);
                }
                A::CallErrors {
                    crc_errors: be32_at(v, 2),
                    framing_errors: be32_at(v, 6),
                    hardware_overruns: be32_at(v, 10),
                    buffer_overruns: be32_at(v, 14),
                    timeout_errors: be32_at(v, 18),
                    alignment_errors: be32_at(v, 22),
                }
            }
            T::ACCM => {
                if v.len() != 10 {
                    return Err(Error::BadValue);
                }
                A::Accm {
                    send_accm: be32_at(v, 2),
                    receive_accm: be32_at(v, 6),
                }
            }
            T::RANDOM_VECTOR => A::RandomVector(v),
            T::PRIVATE_GROUP_ID => A::PrivateGroupId(v),
            T::RX_CONNECT_SPEED => A::RxConnectSpeed(be32(v)?),
            T::SEQUENCING_REQUIRED => {
                if !v.is_empty() {
                    return Err(Error::BadValue);
                }
                A::SequencingRequired
            }
            _ => A::Unknown {
                vendor_id,
                attr_type,
                value: v,
            },
        })
    }

    pub fn vendor_id(&self) -> u16 {
        match self {
            AvpRepr::Unknown { vendor_id, .. } => *vendor_id,
            _ => 0,
        }
    }

    pub fn attr_type(&self) -> AttributeType {
        use AvpRepr as A;
        type T = AttributeType;
        match self {
            A::MessageType(_) => T::MESSAGE_TYPE,
            A::ResultCode { .. } => T::RESULT_CODE,
            A::ProtocolVersion { .. } => T::PROTOCOL_VERSION,
            A::FramingCapabilities(_) => T::FRAMING_CAPABILITIES,
            A::BearerCapabilities(_) => T::BEARER_CAPABILITIES,
            A::TieBreaker(_) => T::TIE_BREAKER,
            A::FirmwareRevision(_) => T::FIRMWARE_REVISION,
            A::HostName(_) => T::HOST_NAME,
            A::VendorName(_) => T::VENDOR_NAME,
            A::AssignedTunnelId(_) => T::ASSIGNED_TUNNEL_ID,
            A::ReceiveWindowSize(_) => T::RECEIVE_WINDOW_SIZE,
            A::Challenge(_) => T::CHALLENGE,
            A::Q931CauseCode { .. } => T::Q931_CAUSE_CODE,
            A::ChallengeResponse(_) => T::CHALLENGE_RESPONSE,
            A::AssignedSessionId(_) => T::ASSIGNED_SESSION_ID,
            A::CallSerialNumber(_) => T::CALL_SERIAL_NUMBER,
            A::MinimumBps(_) => T::MINIMUM_BPS,
            A::MaximumBps(_) => T::MAXIMUM_BPS,
            A::BearerType(_) => T::BEARER_TYPE,
            A::FramingType(_) => T::FRAMING_TYPE,
            A::CalledNumber(_) => T::CALLED_NUMBER,
            A::CallingNumber(_) => T::CALLING_NUMBER,
            A::SubAddress(_) => T::SUB_ADDRESS,
            A::TxConnectSpeed(_) => T::TX_CONNECT_SPEED,
            A::RxConnectSpeed(_) => T::RX_CONNECT_SPEED,
            A::PhysicalChannelId(_) => T::PHYSICAL_CHANNEL_ID,
            A::PrivateGroupId(_) => T::PRIVATE_GROUP_ID,
            A::SequencingRequired => T::SEQUENCING_REQUIRED,
            A::InitialReceivedLcpConfReq(_) => T::INITIAL_RECEIVED_LCP_CONFREQ,
            A::LastSentLcpConfReq(_) => T::LAST_SENT_LCP_CONFREQ,
            A::LastReceivedLcpConfReq(_) => T::LAST_RECEIVED_LCP_CONFREQ,
            A::ProxyAuthenType(_) => T::PROXY_AUTHEN_TYPE,
            A::ProxyAuthenName(_) => T::PROXY_AUTHEN_NAME,
            A::ProxyAuthenChallenge(_) => T::PROXY_AUTHEN_CHALLENGE,
            A::ProxyAuthenId(_) => T::PROXY_AUTHEN_ID,
            A::ProxyAuthenResponse(_) => T::PROXY_AUTHEN_RESPONSE,
            A::CallErrors { .. } => T::CALL_ERRORS,
            A::Accm { .. } => T::ACCM,
            A::RandomVector(_) => T::RANDOM_VECTOR,
            A::Unknown { attr_type, .. } => *attr_type,
        }
    }

    /// The M bit RFC 2661 §4.4 gives this AVP (set for most; clear for the Tie Breaker,
    /// Firmware Revision, Vendor Name, Physical Channel ID, the proxy LCP and proxy
    /// authentication AVPs, Private Group ID and Rx Connect Speed). `Unknown`: clear.
    pub fn default_mandatory(&self) -> bool {
        use AvpRepr as A;
        !matches!(
            self,
            A::TieBreaker(_)
                | A::FirmwareRevision(_)
                | A::VendorName(_)
                | A::PhysicalChannelId(_)
                | A::InitialReceivedLcpConfReq(_)
                | A::LastSentLcpConfReq(_)
                | A::LastReceivedLcpConfReq(_)
                | A::ProxyAuthenType(_)
                | A::ProxyAuthenName(_)
                | A::ProxyAuthenChallenge(_)
                | A::ProxyAuthenId(_)
                | A::ProxyAuthenResponse(_)
                | A::PrivateGroupId(_)
                | A::RxConnectSpeed(_)
                | A::Unknown { .. }
        )
    }

    /// The cleartext value's length.
    pub fn value_len(&self) -> usize {
        use AvpRepr as A;
        match self {
            A::SequencingRequired => 0,
            A::ProtocolVersion { .. } => 2,
            A::MessageType(_)
            | A::FirmwareRevision(_)
            | A::AssignedTunnelId(_)
            | A::ReceiveWindowSize(_)
            | A::AssignedSessionId(_)
            | A::ProxyAuthenType(_)
            | A::ProxyAuthenId(_) => 2,
            A::FramingCapabilities(_)
            | A::BearerCapabilities(_)
            | A::CallSerialNumber(_)
            | A::MinimumBps(_)
            | A::MaximumBps(_)
            | A::BearerType(_)
            | A::FramingType(_)
            | A::TxConnectSpeed(_)
            | A::RxConnectSpeed(_)
            | A::PhysicalChannelId(_) => 4,
            A::TieBreaker(_) => 8,
            A::ChallengeResponse(_) => 16,
            A::CallErrors { .. } => 26,
            A::Accm { .. } => 10,
            A::ResultCode { error, message, .. } => {
                2 + if error.is_some() {
                    2 + message.len()
                } else {
                    0
                }
            }
            A::Q931CauseCode { advisory, .. } => 3 + advisory.len(),
            A::HostName(b)
            | A::VendorName(b)
            | A::Challenge(b)
            | A::CalledNumber(b)
            | A::CallingNumber(b)
            | A::SubAddress(b)
            | A::PrivateGroupId(b)
            | A::InitialReceivedLcpConfReq(b)
            | A::LastSentLcpConfReq(b)
            | A::LastReceivedLcpConfReq(b)
            | A::ProxyAuthenName(b)
            | A::ProxyAuthenChallenge(b)
            | A::ProxyAuthenResponse(b)
            | A::RandomVector(b) => b.len(),
            A::Unknown { value, .. } => value.len(),
        }
    }

    /// Values that would not parse back as themselves: a message without an error code,
    /// an empty Host Name / Challenge / Proxy Authen Challenge, an `Unknown` that names
    /// an AVP this module decodes. [`Error::BadValue`].
    fn check(&self) -> Result<()> {
        use AvpRepr as A;
        let ok = match self {
            A::ResultCode {
                error: None,
                message,
                ..
            } => message.is_empty(),
            A::HostName(b) | A::Challenge(b) | A::ProxyAuthenChallenge(b) => !b.is_empty(),
            A::Unknown {
                vendor_id,
                attr_type,
                ..
            } => *vendor_id != 0 || !attr_type.is_known(),
            _ => true,
        };
        if ok {
            Ok(())
        } else {
            Err(Error::BadValue)
        }
    }

    /// Write the cleartext value into `out`, exactly [`Self::value_len`] long.
    fn emit_value(&self, out: &mut [u8]) {
        use AvpRepr as A;
        match *self {
            A::SequencingRequired => {}
            A::ProtocolVersion { version, revision } => out.copy_from_slice(&[version, revision]),
            A::MessageType(MessageType(v))
            | A::FirmwareRevision(v)
            | A::AssignedTunnelId(v)
            | A::ReceiveWindowSize(v)
            | A::AssignedSessionId(v)
            | A::ProxyAuthenType(ProxyAuthenType(v)) => out.copy_from_slice(&v.to_be_bytes()),
            A::ProxyAuthenId(id) => out.copy_from_slice(&[0, id]),
            A::FramingCapabilities(Framing(v))
            | A::BearerCapabilities(Bearer(v))
            | A::CallSerialNumber(v)
            | A::MinimumBps(v)
            | A::MaximumBps(v)
            | A::BearerType(Bearer(v))
            | A::FramingType(Framing(v))
            | A::TxConnectSpeed(v)
            | A::RxConnectSpeed(v)
            | A::PhysicalChannelId(v) => out.copy_from_slice(&v.to_be_bytes()),
            A::TieBreaker(v) => out.copy_from_slice(&v.to_be_bytes()),
            A::ChallengeResponse(r) => out.copy_from_slice(&r),
            A::CallErrors {
                crc_errors,
                framing_errors,
                hardware_overruns,
                buffer_overruns,
                timeout_errors,
                alignment_errors,
            } => {
                out[..2].fill(0);
                let all = [
                    crc_errors,
                    framing_errors,
                    hardware_overruns,
                    buffer_overruns,
                    timeout_errors,
                    alignment_errors,
                ];
                for (c, v) in out[2..].chunks_exact_mut(4).zip(all) {
                    c.copy_from_slice(&v.to_be_bytes());
                }
            }
            A::Accm {
                send_accm,
                receive_accm,
            } => {
                out[..2].fill(0);
                out[2..6].copy_from_slice(&send_accm.to_be_bytes());
                out[6..10].copy_from_slice(&receive_accm.to_be_bytes());
            }
            A::ResultCode {
                result,
                error,
                message,
            } => {
                out[..2].copy_from_slice(&result.0.to_be_bytes());
                if let Some(e) = error {
                    out[2..4].copy_from_slice(&e.0.to_be_bytes());
                    out[4..].copy_from_slice(message);
                }
            }
            A::Q931CauseCode {
                cause_code,
                cause_msg,
                advisory,
            } => {
                out[..2].copy_from_slice(&cause_code.to_be_bytes());
                out[2] = cause_msg;
                out[3..].copy_from_slice(advisory);
            }
            A::HostName(b)
            | A::VendorName(b)
            | A::Challenge(b)
            | A::CalledNumber(b)
            | A::CallingNumber(b)
            | A::SubAddress(b)
            | A::PrivateGroupId(b)
            | A::InitialReceivedLcpConfReq(b)
            | A::LastSentLcpConfReq(b)
            | A::LastReceivedLcpConfReq(b)
            | A::ProxyAuthenName(b)
            | A::ProxyAuthenChallenge(b)
            | A::ProxyAuthenResponse(b)
            | A::RandomVector(b) => out.copy_from_slice(b),
            A::Unknown { value, .. } => out.copy_from_slice(value),
        }
    }
}

/// One AVP of a control message: its M and H bits and its value (cleartext, also when
/// it travels hidden).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Avp<'a> {
    /// M: an unrecognised AVP with M=1 ends the session or tunnel (§4.1); on the Message
    /// Type AVP it says the same of an unknown message type (§4.4.1).
    pub mandatory: bool,
    /// H: hidden with the tunnel secret on the wire (§4.3).
    pub hidden: bool,
    pub value: AvpRepr<'a>,
}

impl<'a> Avp<'a> {
    /// Not hidden, with the M bit RFC 2661 gives this AVP.
    pub fn new(value: AvpRepr<'a>) -> Avp<'a> {
        Avp {
            mandatory: value.default_mandatory(),
            hidden: false,
            value,
        }
    }
    /// Hidden, with the M bit RFC 2661 gives this AVP.
    pub fn new_hidden(value: AvpRepr<'a>) -> Avp<'a> {
        Avp {
            hidden: true,
            ..Avp::new(value)
        }
    }
    /// Bytes on the wire, with `pad` octets of hiding padding if hidden.
    pub fn wire_len(&self, pad: usize) -> usize {
        AVP_HEADER_LEN + self.value.value_len() + if self.hidden { 2 + pad } else { 0 }
    }
    /// An AVP this module does not know, with the M bit set.
    pub fn is_unknown_mandatory(&self) -> bool {
        self.mandatory && matches!(self.value, AvpRepr::Unknown { .. })
    }
}

/// The keystream of §4.3: block 1 is MD5(attribute type, secret, random vector), block
/// i+1 is MD5(secret, hidden block i).
struct HideStream<'s> {
    secret: &'s [u8],
    next: [u8; 16],
}

impl<'s> HideStream<'s> {
    fn new(attr_type: AttributeType, secret: &'s [u8], random_vector: &[u8]) -> Self {
        let mut h = Md5::new();
        h.update(attr_type.0.to_be_bytes());
        h.update(secret);
        h.update(random_vector);
        HideStream {
            secret,
            next: h.finalize().into(),
        }
    }
    /// The key for the next block; `hidden` is that block as it is on the wire (the
    /// chaining input for the one after).
    fn chain(&mut self, hidden: &[u8]) {
        let mut h = Md5::new();
        h.update(self.secret);
        h.update(hidden);
        self.next = h.finalize().into();
    }
}

/// Hide `data` (the Hidden AVP Subformat: original length, value, padding) in place.
pub fn hide(attr_type: AttributeType, secret: &[u8], random_vector: &[u8], data: &mut [u8]) {
    let mut ks = HideStream::new(attr_type, secret, random_vector);
    for block in data.chunks_mut(16) {
        for (b, k) in block.iter_mut().zip(ks.next) {
            *b ^= k;
        }
        if block.len() == 16 {
            ks.chain(block);
        }
    }
}

/// Reveal a hidden value into `out` (at least `hidden.len()` long) and return the
/// original value, which borrows `out`. [`Error::BadHidden`] when the value cannot hold
/// the 2-octet original length, or the length it reveals does not fit;
/// [`Error::BufferTooSmall`] when `out` is short.
pub fn unhide<'o>(
    attr_type: AttributeType,
    secret: &[u8],
    random_vector: &[u8],
    hidden: &[u8],
    out: &'o mut [u8],
) -> Result<&'o [u8]> {
    if hidden.len() < 2 {
        return Err(Error::BadHidden);
    }
    if out.len() < hidden.len() {
        return Err(Error::BufferTooSmall);
    }
    let out = &mut out[..hidden.len()];
    let mut ks = HideStream::new(attr_type, secret, random_vector);
    for (src, dst) in hidden.chunks(16).zip(out.chunks_mut(16)) {
        for ((d, s), k) in dst.iter_mut().zip(src).zip(ks.next) {
            *d = s ^ k;
        }
        if src.len() == 16 {
            ks.chain(src);
        }
    }
    let orig = u16::from_be_bytes([out[0], out[1]]) as usize;
    if orig > hidden.len() - 2 {
        return Err(Error::BadHidden);
    }
    Ok(&out[2..2 + orig])
}

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
    /// error [`ErrorCode::UNKNOWN_MANDATORY_AVP`] (§4.1); see
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

/// Fuzz entry (`fuzz/`): the view and every accessor, the AVP iterator, the header
/// Repr, and the control Repr with and without a secret (and permissive), each emitted
/// and parsed again to the same value.
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    const SECRET: &[u8] = b"fuzz-secret";
    let Ok(p) = L2tpPacket::new_checked(data) else {
        return;
    };
    let _ = (
        p.flags_version(),
        p.version(),
        p.is_control(),
        p.has_length(),
        p.has_sequence(),
        p.has_offset(),
        p.priority(),
        p.length(),
        p.tunnel_id(),
        p.session_id(),
        p.ns(),
        p.nr(),
        p.offset_size(),
        p.header_len(),
        p.payload().len(),
    );
    for a in p.avps() {
        if a.is_err() {
            break;
        }
    }
    let mut out = [0u8; 4096];
    if let Ok(h) = L2tpHeaderRepr::parse(&p) {
        let plen = p.payload().len();
        if h.header_len() + plen <= out.len() {
            let n = h.emit(&mut out, plen).expect("emit a header that parsed");
            assert_eq!(n, p.header_len());
            // Reserved flag bits are ignored on receipt and the offset pad's content is
            // undefined (§3.1); we write zeros in both.
            let fixed = n - h.offset_size.unwrap_or(0) as usize;
            assert_eq!(out[2..fixed], data[2..fixed]);
            let known = flags::T | flags::L | flags::S | flags::O | flags::P | flags::VERSION_MASK;
            assert_eq!(p.flags_version() & known, h.flags_version());
            let q = L2tpPacket::new_checked(&out[..n + plen]).expect("view the header we emitted");
            assert_eq!(L2tpHeaderRepr::parse(&q), Ok(h));
        }
    }
    let mut scratch = [0u8; 4096];
    let mut scratch2 = [0u8; 4096];
    let cases: [(Option<&[u8]>, bool); 3] =
        [(None, false), (Some(SECRET), false), (Some(SECRET), true)];
    for (secret, permissive) in cases {
        let r = match (secret, permissive) {
            (None, _) => L2tpControlRepr::parse(&p),
            (Some(s), false) => L2tpControlRepr::parse_with_secret(&p, s, &mut scratch),
            (Some(s), true) => L2tpControlRepr::parse_permissive(&p, Some(s), &mut scratch),
        };
        let Ok(r) = r else { continue };
        let _ = (r.message_type(), r.unknown_mandatory(), r.is_zlb());
        let len = r.buffer_len();
        if len > out.len() {
            continue;
        }
        let n = r
            .emit_with_secret(&mut out, SECRET, &[])
            .expect("emit a message that parsed");
        assert_eq!(n, len);
        let q = L2tpPacket::new_checked(&out[..n]).expect("view what we emitted");
        let r2 = L2tpControlRepr::parse_permissive(&q, Some(SECRET), &mut scratch2)
            .expect("parse what we emitted");
        assert_eq!(r, r2);
    }
}
