//! The Link Control Protocol (RFC 1661 §5, §6), with Identification and Time-Remaining
//! (RFC 1570 §2).
//!
//! An LCP packet is a [`ControlPacket`] (Code, Identifier, Length, Data) under PPP
//! protocol 0xc021. The Data of Configure-Request/Ack/Nak/Reject is a list of options,
//! each a type, a length that counts the type and itself, and a value (RFC 1661 §6):
//!
//! ```text
//!  0                   1
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 ...
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Type      |    Length     |  Data ...
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Echo-Request/Reply, Discard-Request, Identification and Time-Remaining start with a
//! 4-byte Magic-Number; Protocol-Reject with the 2-byte rejected protocol.
//!
//! Not supported: typed forms of options other than MRU, ACCM, Authentication-Protocol,
//! Quality-Protocol, Magic-Number, PFC and ACFC (FCS-Alternatives, Callback, MRRU,
//! Endpoint-Discriminator… are kept raw as [`LcpOption::Unknown`]); CCP's
//! Reset-Request/Ack (RFC 1962 §2.1, codes 14/15) are not LCP codes.

use super::ppp::{
    emit_control, emit_control_header, emit_options, options_len, parse_options, ConfigOption,
    ControlPacket, OptionIter, Options, PppProtocol, CONTROL_HEADER_LEN,
};
use super::{Error, Result};

/// An LCP code (RFC 1661 §5, RFC 1570 §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LcpCode(pub u8);

impl LcpCode {
    pub const CONFIGURE_REQUEST: LcpCode = LcpCode(1);
    pub const CONFIGURE_ACK: LcpCode = LcpCode(2);
    pub const CONFIGURE_NAK: LcpCode = LcpCode(3);
    pub const CONFIGURE_REJECT: LcpCode = LcpCode(4);
    pub const TERMINATE_REQUEST: LcpCode = LcpCode(5);
    pub const TERMINATE_ACK: LcpCode = LcpCode(6);
    pub const CODE_REJECT: LcpCode = LcpCode(7);
    pub const PROTOCOL_REJECT: LcpCode = LcpCode(8);
    pub const ECHO_REQUEST: LcpCode = LcpCode(9);
    pub const ECHO_REPLY: LcpCode = LcpCode(10);
    pub const DISCARD_REQUEST: LcpCode = LcpCode(11);
    /// RFC 1570 §2.1.
    pub const IDENTIFICATION: LcpCode = LcpCode(12);
    /// RFC 1570 §2.2.
    pub const TIME_REMAINING: LcpCode = LcpCode(13);
}

/// An LCP option type (RFC 1661 §6; IANA "PPP LCP Configuration Option Types").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LcpOptionType(pub u8);

impl LcpOptionType {
    pub const MAXIMUM_RECEIVE_UNIT: LcpOptionType = LcpOptionType(1);
    /// Async-Control-Character-Map (RFC 1662 §7.1).
    pub const ASYNC_CONTROL_CHARACTER_MAP: LcpOptionType = LcpOptionType(2);
    pub const AUTHENTICATION_PROTOCOL: LcpOptionType = LcpOptionType(3);
    pub const QUALITY_PROTOCOL: LcpOptionType = LcpOptionType(4);
    pub const MAGIC_NUMBER: LcpOptionType = LcpOptionType(5);
    pub const PROTOCOL_FIELD_COMPRESSION: LcpOptionType = LcpOptionType(7);
    pub const ADDRESS_AND_CONTROL_FIELD_COMPRESSION: LcpOptionType = LcpOptionType(8);
    /// RFC 1570 §2.1 (FCS-Alternatives).
    pub const FCS_ALTERNATIVES: LcpOptionType = LcpOptionType(9);
    /// RFC 1570 §3.
    pub const CALLBACK: LcpOptionType = LcpOptionType(13);
    /// Multilink Maximum Received Reconstructed Unit (RFC 1990 §5.1.1).
    pub const MRRU: LcpOptionType = LcpOptionType(17);
    /// Multilink Short Sequence Number Header Format (RFC 1990 §5.1.2).
    pub const SHORT_SEQUENCE_NUMBER: LcpOptionType = LcpOptionType(18);
    /// Multilink Endpoint Discriminator (RFC 1990 §5.1.3).
    pub const ENDPOINT_DISCRIMINATOR: LcpOptionType = LcpOptionType(19);
}

/// A CHAP algorithm in the Authentication-Protocol option (RFC 1994 §3; IANA
/// "PPP CHAP Algorithm").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChapAlgorithm(pub u8);

impl ChapAlgorithm {
    pub const MD5: ChapAlgorithm = ChapAlgorithm(5);
    pub const SHA1: ChapAlgorithm = ChapAlgorithm(6);
    /// MS-CHAP (RFC 2433 §2).
    pub const MS_CHAP: ChapAlgorithm = ChapAlgorithm(0x80);
    /// MS-CHAP-V2 (RFC 2759 §2).
    pub const MS_CHAP_V2: ChapAlgorithm = ChapAlgorithm(0x81);
}

/// What the Authentication-Protocol option asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthProtocol<'a> {
    /// 0xc023, no data (RFC 1334 §2.1: length 4).
    Pap,
    /// 0xc223 and an algorithm byte (RFC 1994 §3: length 5).
    Chap(ChapAlgorithm),
    /// Any other protocol (EAP 0xc227 has no data, RFC 3748 §4), with its data.
    Other {
        protocol: PppProtocol,
        data: &'a [u8],
    },
}

/// One LCP option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LcpOption<'a> {
    MaximumReceiveUnit(u16),
    AsyncControlCharacterMap(u32),
    AuthenticationProtocol(AuthProtocol<'a>),
    /// The protocol (0xc025 Link Quality Report, RFC 1989 §2.5) and its data (for LQR,
    /// the 4-byte Reporting-Period).
    QualityProtocol {
        protocol: PppProtocol,
        data: &'a [u8],
    },
    MagicNumber(u32),
    ProtocolFieldCompression,
    AddressAndControlFieldCompression,
    /// A type this module does not read, kept as it came so it can be Configure-Rejected.
    Unknown {
        kind: LcpOptionType,
        data: &'a [u8],
    },
}

impl<'a> LcpOption<'a> {
    fn known(kind: u8) -> bool {
        matches!(kind, 1..=5 | 7 | 8)
    }
}

fn be16(v: &[u8]) -> u16 {
    u16::from_be_bytes([v[0], v[1]])
}
fn be32(v: &[u8]) -> u32 {
    u32::from_be_bytes([v[0], v[1], v[2], v[3]])
}

impl<'a> ConfigOption<'a> for LcpOption<'a> {
    fn parse(kind: u8, v: &'a [u8]) -> Result<Self> {
        use LcpOption::*;
        let t = LcpOptionType(kind);
        Ok(match (t, v.len()) {
            (LcpOptionType::MAXIMUM_RECEIVE_UNIT, 2) => MaximumReceiveUnit(be16(v)),
            (LcpOptionType::ASYNC_CONTROL_CHARACTER_MAP, 4) => AsyncControlCharacterMap(be32(v)),
            (LcpOptionType::AUTHENTICATION_PROTOCOL, n) if n >= 2 => {
                let protocol = PppProtocol(be16(v));
                AuthenticationProtocol(match (protocol, n) {
                    (PppProtocol::PAP, 2) => AuthProtocol::Pap,
                    (PppProtocol::CHAP, 3) => AuthProtocol::Chap(ChapAlgorithm(v[2])),
                    (PppProtocol::PAP | PppProtocol::CHAP, _) => return Err(Error::BadOption),
                    _ => AuthProtocol::Other {
                        protocol,
                        data: &v[2..],
                    },
                })
            }
            (LcpOptionType::QUALITY_PROTOCOL, n) if n >= 2 => QualityProtocol {
                protocol: PppProtocol(be16(v)),
                data: &v[2..],
            },
            (LcpOptionType::MAGIC_NUMBER, 4) => MagicNumber(be32(v)),
            (LcpOptionType::PROTOCOL_FIELD_COMPRESSION, 0) => ProtocolFieldCompression,
            (LcpOptionType::ADDRESS_AND_CONTROL_FIELD_COMPRESSION, 0) => {
                AddressAndControlFieldCompression
            }
            _ if Self::known(kind) => return Err(Error::BadOption),
            _ => Unknown { kind: t, data: v },
        })
    }

    fn kind(&self) -> u8 {
        use LcpOption::*;
        match self {
            MaximumReceiveUnit(_) => 1,
            AsyncControlCharacterMap(_) => 2,
            AuthenticationProtocol(_) => 3,
            QualityProtocol { .. } => 4,
            MagicNumber(_) => 5,
            ProtocolFieldCompression => 7,
            AddressAndControlFieldCompression => 8,
            Unknown { kind, .. } => kind.0,
        }
    }

    fn value_len(&self) -> usize {
        use LcpOption::*;
        match self {
            MaximumReceiveUnit(_) => 2,
            AsyncControlCharacterMap(_) | MagicNumber(_) => 4,
            AuthenticationProtocol(AuthProtocol::Pap) => 2,
            AuthenticationProtocol(AuthProtocol::Chap(_)) => 3,
            AuthenticationProtocol(AuthProtocol::Other { data, .. })
            | QualityProtocol { data, .. } => 2 + data.len(),
            ProtocolFieldCompression | AddressAndControlFieldCompression => 0,
            Unknown { data, .. } => data.len(),
        }
    }

    fn emit_value(&self, b: &mut [u8]) -> Result<()> {
        use LcpOption::*;
        match *self {
            MaximumReceiveUnit(v) => b.copy_from_slice(&v.to_be_bytes()),
            AsyncControlCharacterMap(v) | MagicNumber(v) => b.copy_from_slice(&v.to_be_bytes()),
            AuthenticationProtocol(AuthProtocol::Pap) => {
                b.copy_from_slice(&PppProtocol::PAP.0.to_be_bytes())
            }
            AuthenticationProtocol(AuthProtocol::Chap(a)) => {
                b[..2].copy_from_slice(&PppProtocol::CHAP.0.to_be_bytes());
                b[2] = a.0;
            }
            AuthenticationProtocol(AuthProtocol::Other { protocol, data }) => {
                // PAP and CHAP have their own variants; this form would not read back.
                if protocol == PppProtocol::PAP || protocol == PppProtocol::CHAP {
                    return Err(Error::BadValue);
                }
                b[..2].copy_from_slice(&protocol.0.to_be_bytes());
                b[2..].copy_from_slice(data);
            }
            QualityProtocol { protocol, data } => {
                b[..2].copy_from_slice(&protocol.0.to_be_bytes());
                b[2..].copy_from_slice(data);
            }
            ProtocolFieldCompression | AddressAndControlFieldCompression => {}
            Unknown { kind, data } => {
                if Self::known(kind.0) {
                    return Err(Error::BadValue);
                }
                b.copy_from_slice(data);
            }
        }
        Ok(())
    }
}

/// Iterates over the options of a Configure-* packet's data.
pub type LcpOptions<'a> = OptionIter<'a, LcpOption<'a>>;

/// An LCP packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LcpRepr<'a> {
    ConfigureRequest {
        identifier: u8,
        options: Options<LcpOption<'a>>,
    },
    ConfigureAck {
        identifier: u8,
        options: Options<LcpOption<'a>>,
    },
    ConfigureNak {
        identifier: u8,
        options: Options<LcpOption<'a>>,
    },
    ConfigureReject {
        identifier: u8,
        options: Options<LcpOption<'a>>,
    },
    TerminateRequest {
        identifier: u8,
        data: &'a [u8],
    },
    TerminateAck {
        identifier: u8,
        data: &'a [u8],
    },
    /// The rejected packet from its Code field on, truncated to the peer's MRU
    /// (RFC 1661 §5.6).
    CodeReject {
        identifier: u8,
        rejected_packet: &'a [u8],
    },
    /// The rejected protocol and the rejected packet's Information field, truncated to
    /// the peer's MRU (RFC 1661 §5.7).
    ProtocolReject {
        identifier: u8,
        rejected_protocol: PppProtocol,
        rejected_information: &'a [u8],
    },
    EchoRequest {
        identifier: u8,
        magic_number: u32,
        data: &'a [u8],
    },
    EchoReply {
        identifier: u8,
        magic_number: u32,
        data: &'a [u8],
    },
    DiscardRequest {
        identifier: u8,
        magic_number: u32,
        data: &'a [u8],
    },
    /// RFC 1570 §2.1: a message for humans (not NUL-terminated).
    Identification {
        identifier: u8,
        magic_number: u32,
        message: &'a [u8],
    },
    /// RFC 1570 §2.2: seconds left in this session (0xffffffff: no limit) and a message.
    TimeRemaining {
        identifier: u8,
        magic_number: u32,
        seconds_remaining: u32,
        message: &'a [u8],
    },
}

impl<'a> LcpRepr<'a> {
    /// [`Error::UnknownType`] for a code LCP does not define (answer with a Code-Reject);
    /// [`Error::BadLength`] when Length is below the fixed fields of the code
    /// (Protocol-Reject: 6, Echo/Discard/Identification: 8, Time-Remaining: 12);
    /// [`Error::BadOption`], [`Error::BadLength`], [`Error::Truncated`] for a malformed
    /// option; [`Error::TooMany`] for more than [`super::ppp::MAX_OPTIONS`] options.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(p: &ControlPacket<&'a T>) -> Result<LcpRepr<'a>> {
        p.check_len()?;
        let identifier = p.identifier();
        let data = p.data_ref();
        let magic = |min: usize| -> Result<(u32, &'a [u8])> {
            if data.len() < min {
                return Err(Error::BadLength);
            }
            Ok((be32(data), &data[4..]))
        };
        Ok(match LcpCode(p.code()) {
            LcpCode::CONFIGURE_REQUEST => LcpRepr::ConfigureRequest {
                identifier,
                options: parse_options(data)?,
            },
            LcpCode::CONFIGURE_ACK => LcpRepr::ConfigureAck {
                identifier,
                options: parse_options(data)?,
            },
            LcpCode::CONFIGURE_NAK => LcpRepr::ConfigureNak {
                identifier,
                options: parse_options(data)?,
            },
            LcpCode::CONFIGURE_REJECT => LcpRepr::ConfigureReject {
                identifier,
                options: parse_options(data)?,
            },
            LcpCode::TERMINATE_REQUEST => LcpRepr::TerminateRequest { identifier, data },
            LcpCode::TERMINATE_ACK => LcpRepr::TerminateAck { identifier, data },
            LcpCode::CODE_REJECT => LcpRepr::CodeReject {
                identifier,
                rejected_packet: data,
            },
            LcpCode::PROTOCOL_REJECT => {
                if data.len() < 2 {
                    return Err(Error::BadLength);
                }
                LcpRepr::ProtocolReject {
                    identifier,
                    rejected_protocol: PppProtocol(be16(data)),
                    rejected_information: &data[2..],
                }
            }
            LcpCode::ECHO_REQUEST => {
                let (magic_number, data) = magic(4)?;
                LcpRepr::EchoRequest {
                    identifier,
                    magic_number,
                    data,
                }
            }
            LcpCode::ECHO_REPLY => {
                let (magic_number, data) = magic(4)?;
                LcpRepr::EchoReply {
                    identifier,
                    magic_number,
                    data,
                }
            }
            LcpCode::DISCARD_REQUEST => {
                let (magic_number, data) = magic(4)?;
                LcpRepr::DiscardRequest {
                    identifier,
                    magic_number,
                    data,
                }
            }
            LcpCode::IDENTIFICATION => {
                let (magic_number, message) = magic(4)?;
                LcpRepr::Identification {
                    identifier,
                    magic_number,
                    message,
                }
            }
            LcpCode::TIME_REMAINING => {
                let (magic_number, rest) = magic(8)?;
                LcpRepr::TimeRemaining {
                    identifier,
                    magic_number,
                    seconds_remaining: be32(rest),
                    message: &rest[4..],
                }
            }
            _ => return Err(Error::UnknownType),
        })
    }

    pub fn code(&self) -> LcpCode {
        use LcpRepr::*;
        match self {
            ConfigureRequest { .. } => LcpCode::CONFIGURE_REQUEST,
            ConfigureAck { .. } => LcpCode::CONFIGURE_ACK,
            ConfigureNak { .. } => LcpCode::CONFIGURE_NAK,
            ConfigureReject { .. } => LcpCode::CONFIGURE_REJECT,
            TerminateRequest { .. } => LcpCode::TERMINATE_REQUEST,
            TerminateAck { .. } => LcpCode::TERMINATE_ACK,
            CodeReject { .. } => LcpCode::CODE_REJECT,
            ProtocolReject { .. } => LcpCode::PROTOCOL_REJECT,
            EchoRequest { .. } => LcpCode::ECHO_REQUEST,
            EchoReply { .. } => LcpCode::ECHO_REPLY,
            DiscardRequest { .. } => LcpCode::DISCARD_REQUEST,
            Identification { .. } => LcpCode::IDENTIFICATION,
            TimeRemaining { .. } => LcpCode::TIME_REMAINING,
        }
    }

    pub fn identifier(&self) -> u8 {
        use LcpRepr::*;
        match *self {
            ConfigureRequest { identifier, .. }
            | ConfigureAck { identifier, .. }
            | ConfigureNak { identifier, .. }
            | ConfigureReject { identifier, .. }
            | TerminateRequest { identifier, .. }
            | TerminateAck { identifier, .. }
            | CodeReject { identifier, .. }
            | ProtocolReject { identifier, .. }
            | EchoRequest { identifier, .. }
            | EchoReply { identifier, .. }
            | DiscardRequest { identifier, .. }
            | Identification { identifier, .. }
            | TimeRemaining { identifier, .. } => identifier,
        }
    }

    /// The options of a Configure-*; `None` for the other codes.
    pub fn options(&self) -> Option<&[LcpOption<'a>]> {
        use LcpRepr::*;
        match self {
            ConfigureRequest { options, .. }
            | ConfigureAck { options, .. }
            | ConfigureNak { options, .. }
            | ConfigureReject { options, .. } => Some(options),
            _ => None,
        }
    }

    fn data_len(&self) -> usize {
        use LcpRepr::*;
        match self {
            TerminateRequest { data, .. }
            | TerminateAck { data, .. }
            | CodeReject {
                rejected_packet: data,
                ..
            } => data.len(),
            ProtocolReject {
                rejected_information,
                ..
            } => 2 + rejected_information.len(),
            EchoRequest { data, .. } | EchoReply { data, .. } | DiscardRequest { data, .. } => {
                4 + data.len()
            }
            Identification { message, .. } => 4 + message.len(),
            TimeRemaining { message, .. } => 8 + message.len(),
            _ => options_len(self.options().unwrap_or(&[])),
        }
    }

    pub fn buffer_len(&self) -> usize {
        CONTROL_HEADER_LEN + self.data_len()
    }

    /// Write the packet into `buf[..self.buffer_len()]`, returning its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        use LcpRepr::*;
        let (code, id) = (self.code().0, self.identifier());
        match *self {
            TerminateRequest { data, .. }
            | TerminateAck { data, .. }
            | CodeReject {
                rejected_packet: data,
                ..
            } => return emit_control(buf, code, id, data),
            _ => {}
        }
        let len = emit_control_header(buf, code, id, self.data_len())?;
        let out = &mut buf[CONTROL_HEADER_LEN..len];
        match *self {
            ProtocolReject {
                rejected_protocol,
                rejected_information,
                ..
            } => {
                out[..2].copy_from_slice(&rejected_protocol.0.to_be_bytes());
                out[2..].copy_from_slice(rejected_information);
            }
            EchoRequest {
                magic_number, data, ..
            }
            | EchoReply {
                magic_number, data, ..
            }
            | DiscardRequest {
                magic_number, data, ..
            }
            | Identification {
                magic_number,
                message: data,
                ..
            } => {
                out[..4].copy_from_slice(&magic_number.to_be_bytes());
                out[4..].copy_from_slice(data);
            }
            TimeRemaining {
                magic_number,
                seconds_remaining,
                message,
                ..
            } => {
                out[..4].copy_from_slice(&magic_number.to_be_bytes());
                out[4..8].copy_from_slice(&seconds_remaining.to_be_bytes());
                out[8..].copy_from_slice(message);
            }
            _ => {
                emit_options(self.options().unwrap_or(&[]), out)?;
            }
        }
        Ok(len)
    }
}

/// Runs the LCP parsers on `data` (an LCP packet, without the PPP header); whatever
/// parses is emitted and parsed again.
#[cfg(fuzzing)]
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    use super::tlv::{TlvIter, TypeLen8};

    let Ok(p) = ControlPacket::new_checked(data) else {
        return;
    };
    let _ = (p.code(), p.identifier(), p.length());
    for o in LcpOptions::new(p.data()) {
        if o.is_err() {
            break;
        }
    }
    // Every option that reads, writes back the same bytes.
    for t in TlvIter::<TypeLen8>::new(p.data()) {
        let Ok(t) = t else { break };
        if let Ok(o) = LcpOption::parse(t.kind, t.value) {
            let mut b = [0u8; 256];
            let n = o.emit(&mut b).unwrap();
            assert_eq!(&b[..n], t.raw);
        }
    }
    if let Ok(r) = LcpRepr::parse(&p) {
        let mut b = [0u8; 65536];
        let n = r.emit(&mut b).unwrap();
        assert_eq!(n, r.buffer_len());
        assert_eq!(&b[..n], p.packet(), "LCP emit differs from its input");
        let again = LcpRepr::parse(&ControlPacket::new_checked(&b[..n]).unwrap()).unwrap();
        assert_eq!(again, r);
    }
}
