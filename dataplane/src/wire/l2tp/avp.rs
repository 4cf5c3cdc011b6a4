//! L2TPv2 control message AVPs (RFC 2661 §4.1, §4.4): the layout [`AvpFormat`] that the
//! one TLV reader ([`TlvIter`](crate::wire::tlv::TlvIter)) walks, the typed values ([`AvpRepr`], §4.4.1–§4.4.6) with
//! their M and H bits ([`Avp`]), and the protocol numbers they carry (message types,
//! attribute types, result and error codes...). Values here are cleartext: hiding is
//! `hidden.rs`'s business, and which AVPs a message holds `control.rs`'s.
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

use crate::wire::tlv::TlvFormat;
use crate::wire::{Error, Result};

/// M/H/reserved/length, vendor id, attribute type.
pub const AVP_HEADER_LEN: usize = 6;
/// The 10-bit AVP length field counts the header too.
pub const MAX_AVP_LEN: usize = 0x3ff;

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
    /// this type: [`L2tpControlRepr::message_type`](super::L2tpControlRepr::message_type) is `None` for it.
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

pub(super) const AVP_M: u8 = 0x80;
pub(super) const AVP_H: u8 = 0x40;
const AVP_RESERVED: u8 = 0x3c;

/// The AVP layout for [`TlvIter`](crate::wire::tlv::TlvIter): reserved bits set are [`Error::BadFlags`], a length
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
    pub(super) fn check(&self) -> Result<()> {
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
    pub(super) fn emit_value(&self, out: &mut [u8]) {
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
