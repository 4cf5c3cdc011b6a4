//! The PPP frame as PPPoE (RFC 2516 §7), L2TP (RFC 2661 §2) and PPTP (RFC 2637 §4.1)
//! carry it: HDLC-like framing without flags, FCS or transparency (RFC 1662 §3.1), an
//! optional Address/Control pair, and a Protocol field of two bytes, or one when
//! Protocol-Field-Compression applies (RFC 1661 §2, §6.5, §6.6).
//!
//! ```text
//! +----------+----------+----------+-------------+---------+
//! | Address  | Control  | Protocol | Information | Padding |
//! | 11111111 | 00000011 | 8/16 bits|      *      |    *    |
//! +----------+----------+----------+-------------+---------+
//!   absent under ACFC     1 byte under PFC
//! ```
//!
//! A receiver finds the Address/Control pair by looking for 0xff 0x03 (RFC 1661 §6.6),
//! and a one-byte Protocol field by the low bit of its first byte: every protocol number
//! has an even high byte and an odd low byte (RFC 1661 §2), so an odd first byte is the
//! low byte of a compressed field (§6.5).
//!
//! Also here: the packet layout that LCP (RFC 1661 §5), IPCP (RFC 1332 §2), IPv6CP
//! (RFC 5072 §3), CCP (RFC 1962 §2), PAP (RFC 1334 §2.2) and CHAP (RFC 1994 §4) share,
//! [`ControlPacket`], and the option list helpers the configuration protocols share
//! ([`ConfigOption`], [`ConfigRepr`]).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Code      |  Identifier   |            Length             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |    Data ...
//! +-+-+-+-+
//! ```
//!
//! Not supported: HDLC flags, FCS and octet stuffing (async links; none of our transports
//! uses them); Multilink headers (RFC 1990) beyond the protocol number.

use arrayvec::ArrayVec;

use super::tlv::{TlvIter, TypeLen8};
use super::{Error, Result};

/// A PPP protocol number (RFC 1661 §2; IANA "PPP DLL Protocol Numbers").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PppProtocol(pub u16);

impl PppProtocol {
    /// Padding Protocol (RFC 1570 §4 names it; IANA 0x0001).
    pub const PADDING: PppProtocol = PppProtocol(0x0001);
    pub const IPV4: PppProtocol = PppProtocol(0x0021);
    /// Van Jacobson compressed TCP/IP (RFC 1332 §4).
    pub const VJ_COMPRESSED_TCP: PppProtocol = PppProtocol(0x002d);
    /// Van Jacobson uncompressed TCP/IP (RFC 1332 §4).
    pub const VJ_UNCOMPRESSED_TCP: PppProtocol = PppProtocol(0x002f);
    /// Multilink fragment (RFC 1990 §3).
    pub const MP: PppProtocol = PppProtocol(0x003d);
    /// Encrypted datagram (RFC 1968 §2).
    pub const ENCRYPTED: PppProtocol = PppProtocol(0x0053);
    pub const IPV6: PppProtocol = PppProtocol(0x0057);
    /// Individual-link encrypted datagram (RFC 1968 §2).
    pub const ENCRYPTED_LINK: PppProtocol = PppProtocol(0x0055);
    /// Individual-link compressed datagram (RFC 1962 §2).
    pub const COMPRESSED_LINK: PppProtocol = PppProtocol(0x00fb);
    /// Compressed datagram (RFC 1962 §2).
    pub const COMPRESSED: PppProtocol = PppProtocol(0x00fd);
    /// IP Control Protocol (RFC 1332).
    pub const IPCP: PppProtocol = PppProtocol(0x8021);
    /// Encryption Control Protocol (RFC 1968).
    pub const ECP: PppProtocol = PppProtocol(0x8053);
    /// Individual-link ECP (RFC 1968).
    pub const ECP_LINK: PppProtocol = PppProtocol(0x8055);
    /// IPv6 Control Protocol (RFC 5072).
    pub const IPV6CP: PppProtocol = PppProtocol(0x8057);
    /// Individual-link CCP (RFC 1962).
    pub const CCP_LINK: PppProtocol = PppProtocol(0x80fb);
    /// Compression Control Protocol (RFC 1962).
    pub const CCP: PppProtocol = PppProtocol(0x80fd);
    /// Link Control Protocol (RFC 1661).
    pub const LCP: PppProtocol = PppProtocol(0xc021);
    /// Password Authentication Protocol (RFC 1334).
    pub const PAP: PppProtocol = PppProtocol(0xc023);
    /// Link Quality Report (RFC 1989).
    pub const LQR: PppProtocol = PppProtocol(0xc025);
    /// Callback Control Protocol (Microsoft CBCP).
    pub const CBCP: PppProtocol = PppProtocol(0xc029);
    /// Bandwidth Allocation Control Protocol (RFC 2125).
    pub const BACP: PppProtocol = PppProtocol(0xc02b);
    /// Bandwidth Allocation Protocol (RFC 2125).
    pub const BAP: PppProtocol = PppProtocol(0xc02d);
    /// Challenge-Handshake Authentication Protocol (RFC 1994).
    pub const CHAP: PppProtocol = PppProtocol(0xc223);
    /// Extensible Authentication Protocol (RFC 3748).
    pub const EAP: PppProtocol = PppProtocol(0xc227);

    /// High byte even, low byte odd (RFC 1661 §2).
    #[inline]
    pub const fn is_valid(self) -> bool {
        self.0 & 0x0100 == 0 && self.0 & 0x0001 == 1
    }
    /// 0x0*** to 0x3***: a network-layer datagram (RFC 1661 §2).
    #[inline]
    pub const fn is_network_layer(self) -> bool {
        self.0 < 0x4000
    }
    /// 0x8*** to 0xb***: a Network Control Protocol such as IPCP (RFC 1661 §2).
    #[inline]
    pub const fn is_network_control(self) -> bool {
        self.0 & 0xc000 == 0x8000
    }
    /// 0xc*** to 0xf***: a link-layer control protocol such as LCP, PAP, CHAP
    /// (RFC 1661 §2).
    #[inline]
    pub const fn is_link_control(self) -> bool {
        self.0 >= 0xc000
    }
    /// Whether this number fits a one-byte Protocol field (RFC 1661 §6.5): 0x00** with an
    /// odd low byte. (0x00ff qualifies by this rule, but IANA reserves it: without
    /// Address/Control it would be read as an Address field before a payload that starts
    /// with 0x03, RFC 1661 §6.6.)
    #[inline]
    pub const fn is_compressible(self) -> bool {
        self.0 <= 0x00ff && self.0 & 1 == 1
    }
}

/// The Address field value (RFC 1662 §3.1: All-Stations).
pub const ADDRESS: u8 = 0xff;
/// The Control field value (RFC 1662 §3.1: Unnumbered Information).
pub const CONTROL: u8 = 0x03;

/// Read the start of a PPP frame: its protocol and where the Information field starts
/// (1 to 4). This is what decapsulation calls for every packet.
///
/// [`Error::Truncated`] when the buffer ends before the Protocol field does.
#[inline]
pub fn parse_header(b: &[u8]) -> Result<(PppProtocol, usize)> {
    // Address/Control present iff the frame starts ff 03 (RFC 1661 §6.6).
    let ac = match b {
        [ADDRESS, CONTROL, ..] => 2,
        _ => 0,
    };
    match b.get(ac..) {
        Some([p, ..]) if p & 1 == 1 => Ok((PppProtocol(*p as u16), ac + 1)),
        Some([hi, lo, ..]) => Ok((PppProtocol(u16::from_be_bytes([*hi, *lo])), ac + 2)),
        _ => Err(Error::Truncated),
    }
}

/// A view of a PPP frame (Address/Control if present, Protocol, Information and any
/// padding: PPP has no length field, so the view runs to the end of the buffer).
#[derive(Debug, Clone)]
pub struct PppFrame<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> PppFrame<T> {
    pub const fn new_unchecked(buffer: T) -> Self {
        PppFrame { buffer }
    }

    /// The Protocol field is complete.
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self> {
        let f = PppFrame { buffer };
        f.check_len()?;
        Ok(f)
    }

    /// The check of [`Self::new_checked`], for a view made with `new_unchecked`.
    #[inline]
    pub fn check_len(&self) -> Result<()> {
        parse_header(self.buffer.as_ref()).map(|_| ())
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The frame starts with 0xff 0x03 (no ACFC).
    #[inline]
    pub fn has_address_control(&self) -> bool {
        matches!(self.buffer.as_ref(), [ADDRESS, CONTROL, ..])
    }

    #[inline]
    fn header(&self) -> (PppProtocol, usize) {
        // Checked in new_checked; a view made unchecked over a short buffer reads as
        // protocol 0 with an empty payload rather than panicking.
        parse_header(self.buffer.as_ref()).unwrap_or((PppProtocol(0), self.buffer.as_ref().len()))
    }

    #[inline]
    pub fn protocol(&self) -> PppProtocol {
        self.header().0
    }

    /// The Protocol field was one byte (PFC).
    #[inline]
    pub fn is_protocol_compressed(&self) -> bool {
        let (_, len) = self.header();
        len & 1 == 1
    }

    /// Address/Control (if any) plus Protocol: 1 to 4 bytes.
    #[inline]
    pub fn header_len(&self) -> usize {
        self.header().1
    }

    /// The Information field and any padding after it.
    #[inline]
    pub fn payload(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        &b[self.header().1.min(b.len())..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> PppFrame<T> {
    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let at = self.header().1;
        let b = self.buffer.as_mut();
        let at = at.min(b.len());
        &mut b[at..]
    }
}

/// A PPP header: how it is framed and which protocol follows. `emit` writes only the
/// header; the Information field is the caller's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PppRepr {
    /// Send 0xff 0x03 (not compressed by ACFC).
    pub address_control: bool,
    /// Send a one-byte Protocol field (PFC).
    pub protocol_compressed: bool,
    pub protocol: PppProtocol,
}

impl PppRepr {
    /// The plain form PPPoE uses for everything before PFC is negotiated: no
    /// Address/Control (RFC 2516 §7), two-byte protocol.
    pub const fn pppoe(protocol: PppProtocol) -> Self {
        PppRepr {
            address_control: false,
            protocol_compressed: false,
            protocol,
        }
    }

    /// The form L2TP and PPTP use by default: 0xff 0x03, two-byte protocol.
    pub const fn hdlc(protocol: PppProtocol) -> Self {
        PppRepr {
            address_control: true,
            protocol_compressed: false,
            protocol,
        }
    }

    #[inline]
    pub fn parse<T: AsRef<[u8]>>(f: &PppFrame<T>) -> Result<PppRepr> {
        let (protocol, len) = parse_header(f.buffer.as_ref())?;
        Ok(PppRepr {
            address_control: len >= 3 && f.has_address_control(),
            protocol_compressed: len & 1 == 1,
            protocol,
        })
    }

    #[inline]
    pub const fn buffer_len(&self) -> usize {
        2 * self.address_control as usize + 2 - self.protocol_compressed as usize
    }

    /// Write the header into `buf[..self.buffer_len()]`, returning its length.
    ///
    /// [`Error::BadValue`] for a protocol the chosen form cannot carry so that a receiver
    /// reads it back: a one-byte field needs [`PppProtocol::is_compressible`], a two-byte
    /// field an even high byte (an odd one would be read as a one-byte field).
    #[inline]
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let p = self.protocol.0;
        if self.protocol_compressed && !self.protocol.is_compressible() {
            return Err(Error::BadValue);
        }
        if !self.protocol_compressed && p & 0x0100 != 0 {
            return Err(Error::BadValue);
        }
        let len = self.buffer_len();
        let Some(out) = buf.get_mut(..len) else {
            return Err(Error::BufferTooSmall);
        };
        let at = if self.address_control {
            out[0] = ADDRESS;
            out[1] = CONTROL;
            2
        } else {
            0
        };
        if self.protocol_compressed {
            out[at] = p as u8;
        } else {
            out[at..at + 2].copy_from_slice(&p.to_be_bytes());
        }
        Ok(len)
    }
}

mod field {
    use core::ops::Range;
    pub const CODE: usize = 0;
    pub const IDENTIFIER: usize = 1;
    pub const LENGTH: Range<usize> = 2..4;
    pub const DATA: usize = 4;
}

/// Code, Identifier and Length.
pub const CONTROL_HEADER_LEN: usize = field::DATA;

/// A view of a control packet: Code, Identifier, Length, Data (RFC 1661 §5), the layout
/// of LCP, IPCP, IPv6CP, CCP, PAP and CHAP packets. The code is a `u8` here; each
/// protocol's module names its codes.
#[derive(Debug, Clone)]
pub struct ControlPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> ControlPacket<T> {
    pub const fn new_unchecked(buffer: T) -> Self {
        ControlPacket { buffer }
    }

    /// The 4-byte header is there, the Length field is at least 4 and within the buffer.
    /// Bytes after Length are padding (RFC 1661 §5: "Octets outside the range of the
    /// Length field should be treated as Data Link Layer padding"), as PPPoE adds to
    /// reach the Ethernet minimum.
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = ControlPacket { buffer };
        p.check_len()?;
        Ok(p)
    }

    /// The checks of [`Self::new_checked`], for a view made with `new_unchecked`.
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < CONTROL_HEADER_LEN {
            return Err(Error::Truncated);
        }
        let field_len = self.length() as usize;
        if field_len < CONTROL_HEADER_LEN {
            return Err(Error::BadLength);
        }
        if field_len > len {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }

    #[inline]
    pub fn code(&self) -> u8 {
        self.buffer.as_ref()[field::CODE]
    }
    #[inline]
    pub fn identifier(&self) -> u8 {
        self.buffer.as_ref()[field::IDENTIFIER]
    }
    /// The Length field: header plus data.
    #[inline]
    pub fn length(&self) -> u16 {
        let b = &self.buffer.as_ref()[field::LENGTH];
        u16::from_be_bytes([b[0], b[1]])
    }
    /// The Data field, bounded by Length.
    #[inline]
    pub fn data(&self) -> &[u8] {
        &self.buffer.as_ref()[field::DATA..self.length() as usize]
    }
    /// The packet without padding (header and data).
    #[inline]
    pub fn packet(&self) -> &[u8] {
        &self.buffer.as_ref()[..self.length() as usize]
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> ControlPacket<&'a T> {
    /// [`Self::data`] with the lifetime of the buffer, for a `Repr` that borrows it.
    #[inline]
    pub fn data_ref(&self) -> &'a [u8] {
        &self.buffer.as_ref()[field::DATA..self.length() as usize]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> ControlPacket<T> {
    #[inline]
    pub fn set_code(&mut self, v: u8) {
        self.buffer.as_mut()[field::CODE] = v;
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
    pub fn data_mut(&mut self) -> &mut [u8] {
        let len = self.length() as usize;
        &mut self.buffer.as_mut()[field::DATA..len]
    }
}

/// Write a control packet header for `data_len` bytes of data into `buf`, after checking
/// that the packet fits the Length field and `buf`; returns the packet length.
pub(crate) fn emit_control_header(
    buf: &mut [u8],
    code: u8,
    identifier: u8,
    data_len: usize,
) -> Result<usize> {
    let len = CONTROL_HEADER_LEN + data_len;
    let Ok(len16) = u16::try_from(len) else {
        return Err(Error::BadLength);
    };
    if buf.len() < len {
        return Err(Error::BufferTooSmall);
    }
    let mut p = ControlPacket::new_unchecked(&mut buf[..len]);
    p.set_code(code);
    p.set_identifier(identifier);
    p.set_length(len16);
    Ok(len)
}

/// Write a whole control packet whose data is one byte string.
pub fn emit_control(buf: &mut [u8], code: u8, identifier: u8, data: &[u8]) -> Result<usize> {
    let len = emit_control_header(buf, code, identifier, data.len())?;
    buf[CONTROL_HEADER_LEN..len].copy_from_slice(data);
    Ok(len)
}

/// How many options a configuration `Repr` holds; a longer list is [`Error::TooMany`].
pub const MAX_OPTIONS: usize = 32;

/// The options of a Configure-Request/Ack/Nak/Reject, in the order they came.
pub type Options<O> = ArrayVec<O, MAX_OPTIONS>;

/// One option of a configuration protocol (LCP, IPCP, IPv6CP): a 1-byte type and a
/// 1-byte length that counts the type and itself (RFC 1661 §6), read by the one TLV
/// reader ([`TypeLen8`]).
pub trait ConfigOption<'a>: Sized + Copy + PartialEq + core::fmt::Debug {
    /// Read an option from its type and value (bounds already checked).
    /// [`Error::BadOption`] when the value has the wrong length for its type.
    fn parse(kind: u8, value: &'a [u8]) -> Result<Self>;
    fn kind(&self) -> u8;
    fn value_len(&self) -> usize;
    /// Write the value into `buf`, which is exactly `value_len()` long.
    /// [`Error::BadValue`] for an option `parse` would not give back (an unknown-option
    /// value under a type this module knows).
    fn emit_value(&self, buf: &mut [u8]) -> Result<()>;

    /// Type, length and value.
    #[inline]
    fn buffer_len(&self) -> usize {
        2 + self.value_len()
    }

    /// Write the option, returning its length.
    fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let len = self.buffer_len();
        if len > 255 {
            return Err(Error::BadLength);
        }
        let Some(out) = buf.get_mut(..len) else {
            return Err(Error::BufferTooSmall);
        };
        out[0] = self.kind();
        out[1] = len as u8;
        self.emit_value(&mut out[2..])?;
        Ok(len)
    }
}

/// Iterates over an option list, giving each option parsed as `O`; stops after the
/// first error.
#[derive(Clone, Debug)]
pub struct OptionIter<'a, O> {
    inner: TlvIter<'a, TypeLen8>,
    done: bool,
    _o: core::marker::PhantomData<O>,
}

impl<'a, O: ConfigOption<'a>> OptionIter<'a, O> {
    pub fn new(list: &'a [u8]) -> Self {
        OptionIter {
            inner: TlvIter::new(list),
            done: false,
            _o: core::marker::PhantomData,
        }
    }
}

impl<'a, O: ConfigOption<'a>> Iterator for OptionIter<'a, O> {
    type Item = Result<O>;
    fn next(&mut self) -> Option<Result<O>> {
        if self.done {
            return None;
        }
        let r = self.inner.next()?.and_then(|t| O::parse(t.kind, t.value));
        self.done = r.is_err();
        Some(r)
    }
}

/// Read a whole option list.
pub fn parse_options<'a, O: ConfigOption<'a>>(list: &'a [u8]) -> Result<Options<O>> {
    let mut out = Options::new();
    for o in OptionIter::<O>::new(list) {
        out.try_push(o?).map_err(|_| Error::TooMany)?;
    }
    Ok(out)
}

/// The bytes an option list takes.
pub fn options_len<'a, O: ConfigOption<'a>>(options: &[O]) -> usize {
    options.iter().map(|o| o.buffer_len()).sum()
}

/// Write an option list, returning its length.
pub fn emit_options<'a, O: ConfigOption<'a>>(options: &[O], buf: &mut [u8]) -> Result<usize> {
    let mut at = 0;
    for o in options {
        let Some(rest) = buf.get_mut(at..) else {
            return Err(Error::BufferTooSmall);
        };
        at += o.emit(rest)?;
    }
    Ok(at)
}

/// The codes 1 to 7 every configuration protocol has (RFC 1661 §5.1–§5.6; IPCP takes
/// exactly these, RFC 1332 §2, as does IPv6CP, RFC 5072 §3). The same numbers as
/// `LcpCode`.
pub mod config_code {
    pub const CONFIGURE_REQUEST: u8 = 1;
    pub const CONFIGURE_ACK: u8 = 2;
    pub const CONFIGURE_NAK: u8 = 3;
    pub const CONFIGURE_REJECT: u8 = 4;
    pub const TERMINATE_REQUEST: u8 = 5;
    pub const TERMINATE_ACK: u8 = 6;
    pub const CODE_REJECT: u8 = 7;
}

/// A packet of a Network Control Protocol that has only codes 1 to 7 (IPCP, IPv6CP),
/// with options of type `O`. `IpcpRepr` and `Ipv6cpRepr` are this.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigRepr<'a, O> {
    ConfigureRequest {
        identifier: u8,
        options: Options<O>,
    },
    ConfigureAck {
        identifier: u8,
        options: Options<O>,
    },
    ConfigureNak {
        identifier: u8,
        options: Options<O>,
    },
    ConfigureReject {
        identifier: u8,
        options: Options<O>,
    },
    TerminateRequest {
        identifier: u8,
        data: &'a [u8],
    },
    TerminateAck {
        identifier: u8,
        data: &'a [u8],
    },
    /// The Rejected-Packet field: the packet with the unknown code, from its Code field
    /// on, truncated to fit the peer's MRU (RFC 1661 §5.6).
    CodeReject {
        identifier: u8,
        rejected_packet: &'a [u8],
    },
}

impl<'a, O: ConfigOption<'a>> ConfigRepr<'a, O> {
    /// [`Error::UnknownType`] for a code other than 1 to 7 (the view still reads it;
    /// the control plane answers with a Code-Reject).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(p: &ControlPacket<&'a T>) -> Result<Self> {
        p.check_len()?;
        let identifier = p.identifier();
        let data = p.data_ref();
        use config_code::*;
        Ok(match p.code() {
            CONFIGURE_REQUEST => ConfigRepr::ConfigureRequest {
                identifier,
                options: parse_options(data)?,
            },
            CONFIGURE_ACK => ConfigRepr::ConfigureAck {
                identifier,
                options: parse_options(data)?,
            },
            CONFIGURE_NAK => ConfigRepr::ConfigureNak {
                identifier,
                options: parse_options(data)?,
            },
            CONFIGURE_REJECT => ConfigRepr::ConfigureReject {
                identifier,
                options: parse_options(data)?,
            },
            TERMINATE_REQUEST => ConfigRepr::TerminateRequest { identifier, data },
            TERMINATE_ACK => ConfigRepr::TerminateAck { identifier, data },
            CODE_REJECT => ConfigRepr::CodeReject {
                identifier,
                rejected_packet: data,
            },
            _ => return Err(Error::UnknownType),
        })
    }

    pub fn code(&self) -> u8 {
        use config_code::*;
        match self {
            ConfigRepr::ConfigureRequest { .. } => CONFIGURE_REQUEST,
            ConfigRepr::ConfigureAck { .. } => CONFIGURE_ACK,
            ConfigRepr::ConfigureNak { .. } => CONFIGURE_NAK,
            ConfigRepr::ConfigureReject { .. } => CONFIGURE_REJECT,
            ConfigRepr::TerminateRequest { .. } => TERMINATE_REQUEST,
            ConfigRepr::TerminateAck { .. } => TERMINATE_ACK,
            ConfigRepr::CodeReject { .. } => CODE_REJECT,
        }
    }

    pub fn identifier(&self) -> u8 {
        match self {
            ConfigRepr::ConfigureRequest { identifier, .. }
            | ConfigRepr::ConfigureAck { identifier, .. }
            | ConfigRepr::ConfigureNak { identifier, .. }
            | ConfigRepr::ConfigureReject { identifier, .. }
            | ConfigRepr::TerminateRequest { identifier, .. }
            | ConfigRepr::TerminateAck { identifier, .. }
            | ConfigRepr::CodeReject { identifier, .. } => *identifier,
        }
    }

    /// The options of a Configure-*; `None` for the other codes.
    pub fn options(&self) -> Option<&[O]> {
        match self {
            ConfigRepr::ConfigureRequest { options, .. }
            | ConfigRepr::ConfigureAck { options, .. }
            | ConfigRepr::ConfigureNak { options, .. }
            | ConfigRepr::ConfigureReject { options, .. } => Some(options),
            _ => None,
        }
    }

    fn data_len(&self) -> usize {
        match self {
            ConfigRepr::TerminateRequest { data, .. }
            | ConfigRepr::TerminateAck { data, .. }
            | ConfigRepr::CodeReject {
                rejected_packet: data,
                ..
            } => data.len(),
            _ => options_len(self.options().unwrap_or(&[])),
        }
    }

    pub fn buffer_len(&self) -> usize {
        CONTROL_HEADER_LEN + self.data_len()
    }

    /// Write the packet into `buf[..self.buffer_len()]`, returning its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let len = emit_control_header(buf, self.code(), self.identifier(), self.data_len())?;
        let out = &mut buf[CONTROL_HEADER_LEN..len];
        match self {
            ConfigRepr::TerminateRequest { data, .. }
            | ConfigRepr::TerminateAck { data, .. }
            | ConfigRepr::CodeReject {
                rejected_packet: data,
                ..
            } => out.copy_from_slice(data),
            _ => {
                emit_options(self.options().unwrap_or(&[]), out)?;
            }
        }
        Ok(len)
    }
}

/// Runs the PPP frame reader and the control packet view on `data`.
#[cfg(fuzzing)]
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    let h = parse_header(data);
    if let Ok(f) = PppFrame::new_checked(data) {
        assert_eq!(h, Ok((f.protocol(), f.header_len())));
        let _ = (
            f.has_address_control(),
            f.is_protocol_compressed(),
            f.payload().len(),
        );
        let r = PppRepr::parse(&f).unwrap();
        let mut b = [0u8; 4];
        // A header read from the wire is always one a receiver reads back.
        let n = r.emit(&mut b).unwrap();
        assert_eq!(n, f.header_len());
        assert_eq!(&b[..n], &data[..n]);
        assert_eq!(
            PppRepr::parse(&PppFrame::new_checked(&b[..n]).unwrap()),
            Ok(r)
        );
    } else {
        assert_eq!(h, Err(Error::Truncated));
    }
    if let Ok(p) = ControlPacket::new_checked(data) {
        let _ = (p.code(), p.identifier(), p.data().len(), p.packet().len());
        assert_eq!(p.packet().len(), p.length() as usize);
    }
}
