//! PPTP control messages (RFC 2637 §1.4, §2), carried over a TCP connection to port
//! 1723.
//!
//! Every control message starts with the same header (RFC 2637 §1.4):
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |            Length             |       PPTP Message Type       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                         Magic Cookie                          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Control Message Type      |           Reserved0           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                     message body ...                          |
//! ```
//!
//! Length counts the whole message, header included; the PPTP Message Type is 1
//! (Control Message); the Magic Cookie is always 0x1A2B3C4D, "used as a basic check"
//! of the framing (§1.4). Each control message type has one fixed layout and length
//! (§2.1–§2.15, see [`ControlMessageType::fixed_len`]): a length field that differs is
//! [`Error::BadLength`]. Messages arrive over TCP, so [`message_len`] tells from the
//! first 12 bytes of a stream how long the next message is.
//!
//! Text fields (Host Name, Vendor String, Phone Number, Subaddress, Dialed/Dialing
//! Number, Call Statistics) have a fixed size and are NUL-padded: a [`PptpRepr`] holds
//! the bytes up to the first NUL (no character set is assumed) and `emit` pads them; a
//! string longer than its field, or holding a NUL, is [`Error::BadValue`]. The Phone
//! Number / Dialed / Dialing Number Length fields are kept as sent (RFC 2637 gives
//! them separately from the NUL padding).
//!
//! Reserved fields "MUST be 0" for the sender (RFC 2637 §2); RFC 2637 gives the
//! receiver no rule, so they are ignored on receipt (the view still reads Reserved0)
//! and written as zero.
//!
//! Not supported: management messages (PPTP Message Type 2, which RFC 2637 does not
//! define): the view reads them, [`PptpRepr::parse`] says [`Error::UnknownType`], as
//! for control message types outside 1–15. The GRE data channel is in [`super::gre`].

use super::{Error, Result};

/// PPTP's TCP port (RFC 2637 §1.3).
pub const PORT: u16 = 1723;
/// The Magic Cookie (RFC 2637 §1.4).
pub const MAGIC_COOKIE: u32 = 0x1A2B_3C4D;
/// Protocol version 1, revision 0, the one RFC 2637 defines (§2.1).
pub const PROTOCOL_VERSION: u16 = 0x0100;
/// The common header: Length, PPTP Message Type, Magic Cookie, Control Message Type,
/// Reserved0.
pub const HEADER_LEN: usize = 12;
/// The longest control message (Incoming-Call-Request, §2.9).
pub const MAX_MESSAGE_LEN: usize = 220;

mod field {
    use core::ops::Range;
    pub const LENGTH: Range<usize> = 0..2;
    pub const MESSAGE_TYPE: Range<usize> = 2..4;
    pub const MAGIC_COOKIE: Range<usize> = 4..8;
    pub const CONTROL_MESSAGE_TYPE: Range<usize> = 8..10;
    pub const RESERVED0: Range<usize> = 10..12;
    pub const BODY: usize = 12;
}

/// Sizes of the text fields (RFC 2637 §2).
const HOST_NAME_LEN: usize = 64;
const VENDOR_STRING_LEN: usize = 64;
const PHONE_NUMBER_LEN: usize = 64;
const SUBADDRESS_LEN: usize = 64;
const CALL_STATISTICS_LEN: usize = 128;

/// The PPTP Message Type (RFC 2637 §1.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PptpMessageType(pub u16);

impl PptpMessageType {
    pub const CONTROL_MESSAGE: PptpMessageType = PptpMessageType(1);
    /// Named by RFC 2637 §1.4, defined nowhere.
    pub const MANAGEMENT_MESSAGE: PptpMessageType = PptpMessageType(2);
}

/// The Control Message Type (RFC 2637 §1.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ControlMessageType(pub u16);

impl ControlMessageType {
    pub const START_CONTROL_CONNECTION_REQUEST: ControlMessageType = ControlMessageType(1);
    pub const START_CONTROL_CONNECTION_REPLY: ControlMessageType = ControlMessageType(2);
    pub const STOP_CONTROL_CONNECTION_REQUEST: ControlMessageType = ControlMessageType(3);
    pub const STOP_CONTROL_CONNECTION_REPLY: ControlMessageType = ControlMessageType(4);
    pub const ECHO_REQUEST: ControlMessageType = ControlMessageType(5);
    pub const ECHO_REPLY: ControlMessageType = ControlMessageType(6);
    pub const OUTGOING_CALL_REQUEST: ControlMessageType = ControlMessageType(7);
    pub const OUTGOING_CALL_REPLY: ControlMessageType = ControlMessageType(8);
    pub const INCOMING_CALL_REQUEST: ControlMessageType = ControlMessageType(9);
    pub const INCOMING_CALL_REPLY: ControlMessageType = ControlMessageType(10);
    pub const INCOMING_CALL_CONNECTED: ControlMessageType = ControlMessageType(11);
    pub const CALL_CLEAR_REQUEST: ControlMessageType = ControlMessageType(12);
    pub const CALL_DISCONNECT_NOTIFY: ControlMessageType = ControlMessageType(13);
    pub const WAN_ERROR_NOTIFY: ControlMessageType = ControlMessageType(14);
    pub const SET_LINK_INFO: ControlMessageType = ControlMessageType(15);

    /// The Length of this message type, header included (RFC 2637 §2.1–§2.15), or
    /// `None` for a type RFC 2637 does not define.
    pub const fn fixed_len(self) -> Option<usize> {
        Some(match self.0 {
            1 | 2 => 156,
            3..=5 | 12 => 16,
            6 => 20,
            7 => 168,
            8 => 32,
            9 => 220,
            10 => 24,
            11 => 28,
            13 => 148,
            14 => 40,
            15 => 24,
            _ => return None,
        })
    }
}

/// Framing Capabilities, a bit set (RFC 2637 §2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct FramingCapabilities(pub u32);

impl FramingCapabilities {
    pub const ASYNCHRONOUS_FRAMING_SUPPORTED: FramingCapabilities = FramingCapabilities(1);
    pub const SYNCHRONOUS_FRAMING_SUPPORTED: FramingCapabilities = FramingCapabilities(2);
}

/// Bearer Capabilities, a bit set (RFC 2637 §2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct BearerCapabilities(pub u32);

impl BearerCapabilities {
    pub const ANALOG_ACCESS_SUPPORTED: BearerCapabilities = BearerCapabilities(1);
    pub const DIGITAL_ACCESS_SUPPORTED: BearerCapabilities = BearerCapabilities(2);
}

/// Bearer Type of a call (RFC 2637 §2.7, §2.9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BearerType(pub u32);

impl BearerType {
    pub const ANALOG: BearerType = BearerType(1);
    pub const DIGITAL: BearerType = BearerType(2);
    pub const ANY: BearerType = BearerType(3);
}

/// Framing Type of a call (RFC 2637 §2.7, §2.11).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FramingType(pub u32);

impl FramingType {
    pub const ASYNCHRONOUS: FramingType = FramingType(1);
    pub const SYNCHRONOUS: FramingType = FramingType(2);
    pub const ANY: FramingType = FramingType(3);
}

/// The General Error Codes (RFC 2637 §2.16), the Error Code of every reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct ErrorCode(pub u8);

impl ErrorCode {
    pub const NONE: ErrorCode = ErrorCode(0);
    pub const NOT_CONNECTED: ErrorCode = ErrorCode(1);
    pub const BAD_FORMAT: ErrorCode = ErrorCode(2);
    pub const BAD_VALUE: ErrorCode = ErrorCode(3);
    pub const NO_RESOURCE: ErrorCode = ErrorCode(4);
    pub const BAD_CALL_ID: ErrorCode = ErrorCode(5);
    pub const PAC_ERROR: ErrorCode = ErrorCode(6);
}

/// Result Code of a Start-Control-Connection-Reply (RFC 2637 §2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StartControlConnectionResult(pub u8);

impl StartControlConnectionResult {
    pub const SUCCESSFUL_CHANNEL_ESTABLISHMENT: Self = Self(1);
    pub const GENERAL_ERROR: Self = Self(2);
    pub const COMMAND_CHANNEL_ALREADY_EXISTS: Self = Self(3);
    pub const REQUESTER_NOT_AUTHORIZED: Self = Self(4);
    pub const PROTOCOL_VERSION_NOT_SUPPORTED: Self = Self(5);
}

/// Reason of a Stop-Control-Connection-Request (RFC 2637 §2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StopControlConnectionReason(pub u8);

impl StopControlConnectionReason {
    /// "General request to clear control connection".
    pub const NONE: Self = Self(1);
    /// "Can't support peer's version of the protocol".
    pub const STOP_PROTOCOL: Self = Self(2);
    /// "Requester is being shut down".
    pub const STOP_LOCAL_SHUTDOWN: Self = Self(3);
}

/// Result Code of a Stop-Control-Connection-Reply (RFC 2637 §2.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StopControlConnectionResult(pub u8);

impl StopControlConnectionResult {
    pub const OK: Self = Self(1);
    pub const GENERAL_ERROR: Self = Self(2);
}

/// Result Code of an Echo-Reply (RFC 2637 §2.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EchoResult(pub u8);

impl EchoResult {
    pub const OK: Self = Self(1);
    pub const GENERAL_ERROR: Self = Self(2);
}

/// Result Code of an Outgoing-Call-Reply (RFC 2637 §2.8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OutgoingCallResult(pub u8);

impl OutgoingCallResult {
    pub const CONNECTED: Self = Self(1);
    pub const GENERAL_ERROR: Self = Self(2);
    pub const NO_CARRIER: Self = Self(3);
    pub const BUSY: Self = Self(4);
    pub const NO_DIAL_TONE: Self = Self(5);
    pub const TIME_OUT: Self = Self(6);
    pub const DO_NOT_ACCEPT: Self = Self(7);
}

/// Result Code of an Incoming-Call-Reply (RFC 2637 §2.10).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IncomingCallResult(pub u8);

impl IncomingCallResult {
    pub const CONNECT: Self = Self(1);
    pub const GENERAL_ERROR: Self = Self(2);
    pub const DO_NOT_ACCEPT: Self = Self(3);
}

/// Result Code of a Call-Disconnect-Notify (RFC 2637 §2.13).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CallDisconnectResult(pub u8);

impl CallDisconnectResult {
    pub const LOST_CARRIER: Self = Self(1);
    pub const GENERAL_ERROR: Self = Self(2);
    pub const ADMIN_SHUTDOWN: Self = Self(3);
    pub const REQUEST: Self = Self(4);
}

/// The header checks shared by [`PptpPacket::check_len`] and [`message_len`]: Length
/// at least the header, the Magic Cookie, and for a control message of a known type
/// its fixed length. Returns the Length.
fn check_header(h: &[u8; HEADER_LEN]) -> Result<usize> {
    let len = u16::from_be_bytes([h[0], h[1]]) as usize;
    if len < HEADER_LEN {
        return Err(Error::BadLength);
    }
    if u32::from_be_bytes([h[4], h[5], h[6], h[7]]) != MAGIC_COOKIE {
        return Err(Error::BadMagic);
    }
    let message_type = PptpMessageType(u16::from_be_bytes([h[2], h[3]]));
    let control_type = ControlMessageType(u16::from_be_bytes([h[8], h[9]]));
    if message_type == PptpMessageType::CONTROL_MESSAGE {
        if let Some(fixed) = control_type.fixed_len() {
            if len != fixed {
                return Err(Error::BadLength);
            }
        }
    }
    Ok(len)
}

/// How long the message at the start of a TCP byte stream is: `Ok(None)` while fewer
/// than [`HEADER_LEN`] bytes are there, else the Length field once the header passes
/// the checks of [`PptpPacket::new_checked`] (minimum length, Magic Cookie, fixed
/// length of a known control message type). An error means the stream is out of step
/// and the control connection should be closed: nothing after it can be framed.
pub fn message_len(stream: &[u8]) -> Result<Option<usize>> {
    match stream.first_chunk::<HEADER_LEN>() {
        None => Ok(None),
        Some(h) => check_header(h).map(Some),
    }
}

/// A view of one PPTP control message.
#[derive(Debug, Clone)]
pub struct PptpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

#[allow(clippy::len_without_is_empty)] // `len` is the Length field.
impl<T: AsRef<[u8]>> PptpPacket<T> {
    pub const fn new_unchecked(buffer: T) -> Self {
        PptpPacket { buffer }
    }

    /// The header is there, the Length is at least 12 and within the buffer, the Magic
    /// Cookie is right ([`Error::BadMagic`]), and a control message of a known type has
    /// its fixed length ([`Error::BadLength`]). The buffer may be longer (the rest of
    /// a TCP stream).
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = PptpPacket { buffer };
        p.check_len()?;
        Ok(p)
    }

    /// The checks of [`Self::new_checked`], for a view made with `new_unchecked`.
    pub fn check_len(&self) -> Result<()> {
        let b = self.buffer.as_ref();
        let Some(h) = b.first_chunk::<HEADER_LEN>() else {
            return Err(Error::Truncated);
        };
        if check_header(h)? > b.len() {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }

    #[inline]
    fn u16_at(&self, r: core::ops::Range<usize>) -> u16 {
        let b = &self.buffer.as_ref()[r];
        u16::from_be_bytes([b[0], b[1]])
    }
    /// The Length field: the whole message, header included.
    #[inline]
    pub fn len(&self) -> u16 {
        self.u16_at(field::LENGTH)
    }
    #[inline]
    pub fn message_type(&self) -> PptpMessageType {
        PptpMessageType(self.u16_at(field::MESSAGE_TYPE))
    }
    #[inline]
    pub fn magic_cookie(&self) -> u32 {
        let b = &self.buffer.as_ref()[field::MAGIC_COOKIE];
        u32::from_be_bytes([b[0], b[1], b[2], b[3]])
    }
    #[inline]
    pub fn control_message_type(&self) -> ControlMessageType {
        ControlMessageType(self.u16_at(field::CONTROL_MESSAGE_TYPE))
    }
    #[inline]
    pub fn reserved0(&self) -> u16 {
        self.u16_at(field::RESERVED0)
    }
    /// The message after the header, bounded by the Length.
    #[inline]
    pub fn body(&self) -> &[u8] {
        &self.buffer.as_ref()[field::BODY..self.len() as usize]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> PptpPacket<T> {
    #[inline]
    fn set_u16(&mut self, r: core::ops::Range<usize>, v: u16) {
        self.buffer.as_mut()[r].copy_from_slice(&v.to_be_bytes());
    }
    pub fn set_len(&mut self, v: u16) {
        self.set_u16(field::LENGTH, v);
    }
    pub fn set_message_type(&mut self, v: PptpMessageType) {
        self.set_u16(field::MESSAGE_TYPE, v.0);
    }
    pub fn set_magic_cookie(&mut self, v: u32) {
        self.buffer.as_mut()[field::MAGIC_COOKIE].copy_from_slice(&v.to_be_bytes());
    }
    pub fn set_control_message_type(&mut self, v: ControlMessageType) {
        self.set_u16(field::CONTROL_MESSAGE_TYPE, v.0);
    }
    pub fn set_reserved0(&mut self, v: u16) {
        self.set_u16(field::RESERVED0, v);
    }
    /// The body, bounded by the Length, writable.
    pub fn body_mut(&mut self) -> &mut [u8] {
        let len = self.len() as usize;
        &mut self.buffer.as_mut()[field::BODY..len]
    }
}

/// Reads a message body front to back; every read is bounds-checked, so a body of the
/// wrong size is [`Error::Truncated`] rather than a panic.
struct Reader<'a> {
    b: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take<const N: usize>(&mut self) -> Result<&'a [u8; N]> {
        let (head, rest) = self.b.split_first_chunk::<N>().ok_or(Error::Truncated)?;
        self.b = rest;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_be_bytes(*self.take::<2>()?))
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(*self.take::<4>()?))
    }
    fn skip<const N: usize>(&mut self) -> Result<()> {
        self.take::<N>().map(|_| ())
    }
    /// A NUL-padded text field: the bytes before the first NUL.
    fn text<const N: usize>(&mut self) -> Result<&'a [u8]> {
        let f: &'a [u8] = self.take::<N>()?;
        let end = f.iter().position(|&c| c == 0).unwrap_or(N);
        Ok(&f[..end])
    }
}

/// Writes a message body front to back.
struct Writer<'b> {
    b: &'b mut [u8],
    at: usize,
}

impl Writer<'_> {
    fn put(&mut self, v: &[u8]) -> Result<()> {
        let end = self.at + v.len();
        let dst = self.b.get_mut(self.at..end).ok_or(Error::BufferTooSmall)?;
        dst.copy_from_slice(v);
        self.at = end;
        Ok(())
    }
    fn u8(&mut self, v: u8) -> Result<()> {
        self.put(&[v])
    }
    fn u16(&mut self, v: u16) -> Result<()> {
        self.put(&v.to_be_bytes())
    }
    fn u32(&mut self, v: u32) -> Result<()> {
        self.put(&v.to_be_bytes())
    }
    fn zeros<const N: usize>(&mut self) -> Result<()> {
        self.put(&[0; N])
    }
    /// `s` NUL-padded to `N` bytes; longer than `N`, or with a NUL in it, is
    /// [`Error::BadValue`] (it would not read back the same).
    fn text<const N: usize>(&mut self, s: &[u8]) -> Result<()> {
        if s.len() > N || s.contains(&0) {
            return Err(Error::BadValue);
        }
        let mut f = [0u8; N];
        f[..s.len()].copy_from_slice(s);
        self.put(&f)
    }
}

/// A text field's value is acceptable for `emit`.
fn text_ok<const N: usize>(s: &[u8]) -> bool {
    s.len() <= N && !s.contains(&0)
}

/// Start-Control-Connection-Request (RFC 2637 §2.1), 156 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StartControlConnectionRequest<'a> {
    pub protocol_version: u16,
    pub framing_capabilities: FramingCapabilities,
    pub bearer_capabilities: BearerCapabilities,
    pub maximum_channels: u16,
    pub firmware_revision: u16,
    /// Up to 64 bytes.
    pub host_name: &'a [u8],
    /// Up to 64 bytes.
    pub vendor_string: &'a [u8],
}

/// Start-Control-Connection-Reply (RFC 2637 §2.2), 156 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StartControlConnectionReply<'a> {
    pub protocol_version: u16,
    pub result_code: StartControlConnectionResult,
    pub error_code: ErrorCode,
    pub framing_capabilities: FramingCapabilities,
    pub bearer_capabilities: BearerCapabilities,
    pub maximum_channels: u16,
    pub firmware_revision: u16,
    /// Up to 64 bytes.
    pub host_name: &'a [u8],
    /// Up to 64 bytes.
    pub vendor_string: &'a [u8],
}

/// Outgoing-Call-Request (RFC 2637 §2.7), 168 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutgoingCallRequest<'a> {
    pub call_id: u16,
    pub call_serial_number: u16,
    pub minimum_bps: u32,
    pub maximum_bps: u32,
    pub bearer_type: BearerType,
    pub framing_type: FramingType,
    pub packet_recv_window_size: u16,
    pub packet_processing_delay: u16,
    pub phone_number_length: u16,
    /// Up to 64 bytes.
    pub phone_number: &'a [u8],
    /// Up to 64 bytes.
    pub subaddress: &'a [u8],
}

/// Outgoing-Call-Reply (RFC 2637 §2.8), 32 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutgoingCallReply {
    pub call_id: u16,
    pub peer_call_id: u16,
    pub result_code: OutgoingCallResult,
    pub error_code: ErrorCode,
    pub cause_code: u16,
    pub connect_speed: u32,
    pub packet_recv_window_size: u16,
    pub packet_processing_delay: u16,
    pub physical_channel_id: u32,
}

/// Incoming-Call-Request (RFC 2637 §2.9), 220 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IncomingCallRequest<'a> {
    pub call_id: u16,
    pub call_serial_number: u16,
    pub call_bearer_type: BearerType,
    pub physical_channel_id: u32,
    pub dialed_number_length: u16,
    pub dialing_number_length: u16,
    /// Up to 64 bytes.
    pub dialed_number: &'a [u8],
    /// Up to 64 bytes.
    pub dialing_number: &'a [u8],
    /// Up to 64 bytes.
    pub subaddress: &'a [u8],
}

/// Incoming-Call-Reply (RFC 2637 §2.10), 24 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IncomingCallReply {
    pub call_id: u16,
    pub peer_call_id: u16,
    pub result_code: IncomingCallResult,
    pub error_code: ErrorCode,
    pub packet_recv_window_size: u16,
    pub packet_transmit_delay: u16,
}

/// Incoming-Call-Connected (RFC 2637 §2.11), 28 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IncomingCallConnected {
    pub peer_call_id: u16,
    pub connect_speed: u32,
    pub packet_recv_window_size: u16,
    pub packet_transmit_delay: u16,
    pub framing_type: FramingType,
}

/// Call-Disconnect-Notify (RFC 2637 §2.13), 148 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallDisconnectNotify<'a> {
    pub call_id: u16,
    pub result_code: CallDisconnectResult,
    pub error_code: ErrorCode,
    pub cause_code: u16,
    /// Up to 128 bytes.
    pub call_statistics: &'a [u8],
}

/// WAN-Error-Notify (RFC 2637 §2.14), 40 bytes: cumulative error counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WanErrorNotify {
    pub peer_call_id: u16,
    pub crc_errors: u32,
    pub framing_errors: u32,
    pub hardware_overruns: u32,
    pub buffer_overruns: u32,
    pub time_out_errors: u32,
    pub alignment_errors: u32,
}

/// Set-Link-Info (RFC 2637 §2.15), 24 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetLinkInfo {
    pub peer_call_id: u16,
    pub send_accm: u32,
    pub receive_accm: u32,
}

/// A PPTP control message, one variant per Control Message Type (RFC 2637 §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PptpRepr<'a> {
    StartControlConnectionRequest(StartControlConnectionRequest<'a>),
    StartControlConnectionReply(StartControlConnectionReply<'a>),
    /// §2.3, 16 bytes.
    StopControlConnectionRequest {
        reason: StopControlConnectionReason,
    },
    /// §2.4, 16 bytes.
    StopControlConnectionReply {
        result_code: StopControlConnectionResult,
        error_code: ErrorCode,
    },
    /// §2.5, 16 bytes.
    EchoRequest {
        identifier: u32,
    },
    /// §2.6, 20 bytes.
    EchoReply {
        identifier: u32,
        result_code: EchoResult,
        error_code: ErrorCode,
    },
    OutgoingCallRequest(OutgoingCallRequest<'a>),
    OutgoingCallReply(OutgoingCallReply),
    IncomingCallRequest(IncomingCallRequest<'a>),
    IncomingCallReply(IncomingCallReply),
    IncomingCallConnected(IncomingCallConnected),
    /// §2.12, 16 bytes.
    CallClearRequest {
        call_id: u16,
    },
    CallDisconnectNotify(CallDisconnectNotify<'a>),
    WanErrorNotify(WanErrorNotify),
    SetLinkInfo(SetLinkInfo),
}

impl<'a> PptpRepr<'a> {
    /// Re-checks the header ([`PptpPacket::check_len`]); a PPTP Message Type other
    /// than Control Message, or a Control Message Type outside 1–15, is
    /// [`Error::UnknownType`]. Reserved fields are not looked at.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(p: &PptpPacket<&'a T>) -> Result<PptpRepr<'a>> {
        p.check_len()?;
        if p.message_type() != PptpMessageType::CONTROL_MESSAGE {
            return Err(Error::UnknownType);
        }
        let len = p.len() as usize;
        let mut r = Reader {
            b: &p.buffer.as_ref()[field::BODY..len],
        };
        let r = &mut r;
        let repr = match p.control_message_type() {
            ControlMessageType::START_CONTROL_CONNECTION_REQUEST => {
                let protocol_version = r.u16()?;
                r.skip::<2>()?;
                PptpRepr::StartControlConnectionRequest(StartControlConnectionRequest {
                    protocol_version,
                    framing_capabilities: FramingCapabilities(r.u32()?),
                    bearer_capabilities: BearerCapabilities(r.u32()?),
                    maximum_channels: r.u16()?,
                    firmware_revision: r.u16()?,
                    host_name: r.text::<HOST_NAME_LEN>()?,
                    vendor_string: r.text::<VENDOR_STRING_LEN>()?,
                })
            }
            ControlMessageType::START_CONTROL_CONNECTION_REPLY => {
                PptpRepr::StartControlConnectionReply(StartControlConnectionReply {
                    protocol_version: r.u16()?,
                    result_code: StartControlConnectionResult(r.u8()?),
                    error_code: ErrorCode(r.u8()?),
                    framing_capabilities: FramingCapabilities(r.u32()?),
                    bearer_capabilities: BearerCapabilities(r.u32()?),
                    maximum_channels: r.u16()?,
                    firmware_revision: r.u16()?,
                    host_name: r.text::<HOST_NAME_LEN>()?,
                    vendor_string: r.text::<VENDOR_STRING_LEN>()?,
                })
            }
            ControlMessageType::STOP_CONTROL_CONNECTION_REQUEST => {
                PptpRepr::StopControlConnectionRequest {
                    reason: StopControlConnectionReason(r.u8()?),
                }
            }
            ControlMessageType::STOP_CONTROL_CONNECTION_REPLY => {
                PptpRepr::StopControlConnectionReply {
                    result_code: StopControlConnectionResult(r.u8()?),
                    error_code: ErrorCode(r.u8()?),
                }
            }
            ControlMessageType::ECHO_REQUEST => PptpRepr::EchoRequest {
                identifier: r.u32()?,
            },
            ControlMessageType::ECHO_REPLY => PptpRepr::EchoReply {
                identifier: r.u32()?,
                result_code: EchoResult(r.u8()?),
                error_code: ErrorCode(r.u8()?),
            },
            ControlMessageType::OUTGOING_CALL_REQUEST => {
                let call_id = r.u16()?;
                let call_serial_number = r.u16()?;
                let minimum_bps = r.u32()?;
                let maximum_bps = r.u32()?;
                let bearer_type = BearerType(r.u32()?);
                let framing_type = FramingType(r.u32()?);
                let packet_recv_window_size = r.u16()?;
                let packet_processing_delay = r.u16()?;
                let phone_number_length = r.u16()?;
                r.skip::<2>()?;
                PptpRepr::OutgoingCallRequest(OutgoingCallRequest {
                    call_id,
                    call_serial_number,
                    minimum_bps,
                    maximum_bps,
                    bearer_type,
                    framing_type,
                    packet_recv_window_size,
                    packet_processing_delay,
                    phone_number_length,
                    phone_number: r.text::<PHONE_NUMBER_LEN>()?,
                    subaddress: r.text::<SUBADDRESS_LEN>()?,
                })
            }
            ControlMessageType::OUTGOING_CALL_REPLY => {
                PptpRepr::OutgoingCallReply(OutgoingCallReply {
                    call_id: r.u16()?,
                    peer_call_id: r.u16()?,
                    result_code: OutgoingCallResult(r.u8()?),
                    error_code: ErrorCode(r.u8()?),
                    cause_code: r.u16()?,
                    connect_speed: r.u32()?,
                    packet_recv_window_size: r.u16()?,
                    packet_processing_delay: r.u16()?,
                    physical_channel_id: r.u32()?,
                })
            }
            ControlMessageType::INCOMING_CALL_REQUEST => {
                PptpRepr::IncomingCallRequest(IncomingCallRequest {
                    call_id: r.u16()?,
                    call_serial_number: r.u16()?,
                    call_bearer_type: BearerType(r.u32()?),
                    physical_channel_id: r.u32()?,
                    dialed_number_length: r.u16()?,
                    dialing_number_length: r.u16()?,
                    dialed_number: r.text::<PHONE_NUMBER_LEN>()?,
                    dialing_number: r.text::<PHONE_NUMBER_LEN>()?,
                    subaddress: r.text::<SUBADDRESS_LEN>()?,
                })
            }
            ControlMessageType::INCOMING_CALL_REPLY => {
                PptpRepr::IncomingCallReply(IncomingCallReply {
                    call_id: r.u16()?,
                    peer_call_id: r.u16()?,
                    result_code: IncomingCallResult(r.u8()?),
                    error_code: ErrorCode(r.u8()?),
                    packet_recv_window_size: r.u16()?,
                    packet_transmit_delay: r.u16()?,
                })
            }
            ControlMessageType::INCOMING_CALL_CONNECTED => {
                let peer_call_id = r.u16()?;
                r.skip::<2>()?;
                PptpRepr::IncomingCallConnected(IncomingCallConnected {
                    peer_call_id,
                    connect_speed: r.u32()?,
                    packet_recv_window_size: r.u16()?,
                    packet_transmit_delay: r.u16()?,
                    framing_type: FramingType(r.u32()?),
                })
            }
            ControlMessageType::CALL_CLEAR_REQUEST => {
                PptpRepr::CallClearRequest { call_id: r.u16()? }
            }
            ControlMessageType::CALL_DISCONNECT_NOTIFY => {
                let call_id = r.u16()?;
                let result_code = CallDisconnectResult(r.u8()?);
                let error_code = ErrorCode(r.u8()?);
                let cause_code = r.u16()?;
                r.skip::<2>()?;
                PptpRepr::CallDisconnectNotify(CallDisconnectNotify {
                    call_id,
                    result_code,
                    error_code,
                    cause_code,
                    call_statistics: r.text::<CALL_STATISTICS_LEN>()?,
                })
            }
            ControlMessageType::WAN_ERROR_NOTIFY => {
                let peer_call_id = r.u16()?;
                r.skip::<2>()?;
                PptpRepr::WanErrorNotify(WanErrorNotify {
                    peer_call_id,
                    crc_errors: r.u32()?,
                    framing_errors: r.u32()?,
                    hardware_overruns: r.u32()?,
                    buffer_overruns: r.u32()?,
                    time_out_errors: r.u32()?,
                    alignment_errors: r.u32()?,
                })
            }
            ControlMessageType::SET_LINK_INFO => {
                let peer_call_id = r.u16()?;
                r.skip::<2>()?;
                PptpRepr::SetLinkInfo(SetLinkInfo {
                    peer_call_id,
                    send_accm: r.u32()?,
                    receive_accm: r.u32()?,
                })
            }
            _ => return Err(Error::UnknownType),
        };
        Ok(repr)
    }

    pub fn control_message_type(&self) -> ControlMessageType {
        use ControlMessageType as T;
        match self {
            PptpRepr::StartControlConnectionRequest(_) => T::START_CONTROL_CONNECTION_REQUEST,
            PptpRepr::StartControlConnectionReply(_) => T::START_CONTROL_CONNECTION_REPLY,
            PptpRepr::StopControlConnectionRequest { .. } => T::STOP_CONTROL_CONNECTION_REQUEST,
            PptpRepr::StopControlConnectionReply { .. } => T::STOP_CONTROL_CONNECTION_REPLY,
            PptpRepr::EchoRequest { .. } => T::ECHO_REQUEST,
            PptpRepr::EchoReply { .. } => T::ECHO_REPLY,
            PptpRepr::OutgoingCallRequest(_) => T::OUTGOING_CALL_REQUEST,
            PptpRepr::OutgoingCallReply(_) => T::OUTGOING_CALL_REPLY,
            PptpRepr::IncomingCallRequest(_) => T::INCOMING_CALL_REQUEST,
            PptpRepr::IncomingCallReply(_) => T::INCOMING_CALL_REPLY,
            PptpRepr::IncomingCallConnected(_) => T::INCOMING_CALL_CONNECTED,
            PptpRepr::CallClearRequest { .. } => T::CALL_CLEAR_REQUEST,
            PptpRepr::CallDisconnectNotify(_) => T::CALL_DISCONNECT_NOTIFY,
            PptpRepr::WanErrorNotify(_) => T::WAN_ERROR_NOTIFY,
            PptpRepr::SetLinkInfo(_) => T::SET_LINK_INFO,
        }
    }

    /// The message's fixed length, header included.
    pub fn buffer_len(&self) -> usize {
        // Every variant's type is one of the 15 with a fixed length.
        self.control_message_type()
            .fixed_len()
            .unwrap_or(HEADER_LEN)
    }

    /// Every text field fits its size and holds no NUL.
    fn texts_ok(&self) -> bool {
        match self {
            PptpRepr::StartControlConnectionRequest(m) => {
                text_ok::<HOST_NAME_LEN>(m.host_name)
                    && text_ok::<VENDOR_STRING_LEN>(m.vendor_string)
            }
            PptpRepr::StartControlConnectionReply(m) => {
                text_ok::<HOST_NAME_LEN>(m.host_name)
                    && text_ok::<VENDOR_STRING_LEN>(m.vendor_string)
            }
            PptpRepr::OutgoingCallRequest(m) => {
                text_ok::<PHONE_NUMBER_LEN>(m.phone_number)
                    && text_ok::<SUBADDRESS_LEN>(m.subaddress)
            }
            PptpRepr::IncomingCallRequest(m) => {
                text_ok::<PHONE_NUMBER_LEN>(m.dialed_number)
                    && text_ok::<PHONE_NUMBER_LEN>(m.dialing_number)
                    && text_ok::<SUBADDRESS_LEN>(m.subaddress)
            }
            PptpRepr::CallDisconnectNotify(m) => text_ok::<CALL_STATISTICS_LEN>(m.call_statistics),
            _ => true,
        }
    }

    /// Write the message (header included, reserved fields zero, text NUL-padded) into
    /// `buf[..self.buffer_len()]`. A text longer than its field or holding a NUL is
    /// [`Error::BadValue`]; nothing is written then.
    pub fn emit(&self, buf: &mut [u8]) -> Result<()> {
        let len = self.buffer_len();
        if !self.texts_ok() {
            return Err(Error::BadValue);
        }
        let Some(buf) = buf.get_mut(..len) else {
            return Err(Error::BufferTooSmall);
        };
        let w = &mut Writer { b: buf, at: 0 };
        w.u16(len as u16)?;
        w.u16(PptpMessageType::CONTROL_MESSAGE.0)?;
        w.u32(MAGIC_COOKIE)?;
        w.u16(self.control_message_type().0)?;
        w.zeros::<2>()?;
        match *self {
            PptpRepr::StartControlConnectionRequest(m) => {
                w.u16(m.protocol_version)?;
                w.zeros::<2>()?;
                w.u32(m.framing_capabilities.0)?;
                w.u32(m.bearer_capabilities.0)?;
                w.u16(m.maximum_channels)?;
                w.u16(m.firmware_revision)?;
                w.text::<HOST_NAME_LEN>(m.host_name)?;
                w.text::<VENDOR_STRING_LEN>(m.vendor_string)?;
            }
            PptpRepr::StartControlConnectionReply(m) => {
                w.u16(m.protocol_version)?;
                w.u8(m.result_code.0)?;
                w.u8(m.error_code.0)?;
                w.u32(m.framing_capabilities.0)?;
                w.u32(m.bearer_capabilities.0)?;
                w.u16(m.maximum_channels)?;
                w.u16(m.firmware_revision)?;
                w.text::<HOST_NAME_LEN>(m.host_name)?;
                w.text::<VENDOR_STRING_LEN>(m.vendor_string)?;
            }
            PptpRepr::StopControlConnectionRequest { reason } => {
                w.u8(reason.0)?;
                w.zeros::<3>()?;
            }
            PptpRepr::StopControlConnectionReply {
                result_code,
                error_code,
            } => {
                w.u8(result_code.0)?;
                w.u8(error_code.0)?;
                w.zeros::<2>()?;
            }
            PptpRepr::EchoRequest { identifier } => w.u32(identifier)?,
            PptpRepr::EchoReply {
                identifier,
                result_code,
                error_code,
            } => {
                w.u32(identifier)?;
                w.u8(result_code.0)?;
                w.u8(error_code.0)?;
                w.zeros::<2>()?;
            }
            PptpRepr::OutgoingCallRequest(m) => {
                w.u16(m.call_id)?;
                w.u16(m.call_serial_number)?;
                w.u32(m.minimum_bps)?;
                w.u32(m.maximum_bps)?;
                w.u32(m.bearer_type.0)?;
                w.u32(m.framing_type.0)?;
                w.u16(m.packet_recv_window_size)?;
                w.u16(m.packet_processing_delay)?;
                w.u16(m.phone_number_length)?;
                w.zeros::<2>()?;
                w.text::<PHONE_NUMBER_LEN>(m.phone_number)?;
                w.text::<SUBADDRESS_LEN>(m.subaddress)?;
            }
            PptpRepr::OutgoingCallReply(m) => {
                w.u16(m.call_id)?;
                w.u16(m.peer_call_id)?;
                w.u8(m.result_code.0)?;
                w.u8(m.error_code.0)?;
                w.u16(m.cause_code)?;
                w.u32(m.connect_speed)?;
                w.u16(m.packet_recv_window_size)?;
                w.u16(m.packet_processing_delay)?;
                w.u32(m.physical_channel_id)?;
            }
            PptpRepr::IncomingCallRequest(m) => {
                w.u16(m.call_id)?;
                w.u16(m.call_serial_number)?;
                w.u32(m.call_bearer_type.0)?;
                w.u32(m.physical_channel_id)?;
                w.u16(m.dialed_number_length)?;
                w.u16(m.dialing_number_length)?;
                w.text::<PHONE_NUMBER_LEN>(m.dialed_number)?;
                w.text::<PHONE_NUMBER_LEN>(m.dialing_number)?;
                w.text::<SUBADDRESS_LEN>(m.subaddress)?;
            }
            PptpRepr::IncomingCallReply(m) => {
                w.u16(m.call_id)?;
                w.u16(m.peer_call_id)?;
                w.u8(m.result_code.0)?;
                w.u8(m.error_code.0)?;
                w.u16(m.packet_recv_window_size)?;
                w.u16(m.packet_transmit_delay)?;
                w.zeros::<2>()?;
            }
            PptpRepr::IncomingCallConnected(m) => {
                w.u16(m.peer_call_id)?;
                w.zeros::<2>()?;
                w.u32(m.connect_speed)?;
                w.u16(m.packet_recv_window_size)?;
                w.u16(m.packet_transmit_delay)?;
                w.u32(m.framing_type.0)?;
            }
            PptpRepr::CallClearRequest { call_id } => {
                w.u16(call_id)?;
                w.zeros::<2>()?;
            }
            PptpRepr::CallDisconnectNotify(m) => {
                w.u16(m.call_id)?;
                w.u8(m.result_code.0)?;
                w.u8(m.error_code.0)?;
                w.u16(m.cause_code)?;
                w.zeros::<2>()?;
                w.text::<CALL_STATISTICS_LEN>(m.call_statistics)?;
            }
            PptpRepr::WanErrorNotify(m) => {
                w.u16(m.peer_call_id)?;
                w.zeros::<2>()?;
                for v in [
                    m.crc_errors,
                    m.framing_errors,
                    m.hardware_overruns,
                    m.buffer_overruns,
                    m.time_out_errors,
                    m.alignment_errors,
                ] {
                    w.u32(v)?;
                }
            }
            PptpRepr::SetLinkInfo(m) => {
                w.u16(m.peer_call_id)?;
                w.zeros::<2>()?;
                w.u32(m.send_accm)?;
                w.u32(m.receive_accm)?;
            }
        }
        debug_assert_eq!(w.at, len, "every layout fills its fixed length");
        Ok(())
    }
}

/// Runs every parser of this module on `data` (as a stream: message after message
/// while [`message_len`] frames them); a `PptpRepr` that parses is emitted, parsed
/// again and must be equal. No allocation.
#[cfg(fuzzing)]
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    let mut rest = data;
    loop {
        let len = match message_len(rest) {
            Ok(Some(len)) => len,
            _ => {
                let _ = PptpPacket::new_checked(rest);
                break;
            }
        };
        let Ok(p) = PptpPacket::new_checked(rest) else {
            assert!(len > rest.len(), "message_len and new_checked agree");
            break;
        };
        assert_eq!(p.len() as usize, len);
        let _ = (p.message_type(), p.magic_cookie(), p.control_message_type());
        let _ = (p.reserved0(), p.body().len());
        if let Ok(r) = PptpRepr::parse(&p) {
            let mut buf = [0u8; MAX_MESSAGE_LEN];
            r.emit(&mut buf).expect("emit of a parsed PptpRepr");
            assert_eq!(r.buffer_len(), len);
            let q = PptpPacket::new_checked(&buf[..len]).expect("emitted header");
            assert_eq!(PptpRepr::parse(&q), Ok(r));
        }
        rest = &rest[len..];
    }
}
