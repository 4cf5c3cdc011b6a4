//! The Challenge-Handshake Authentication Protocol (RFC 1994 §4), PPP protocol 0xc223,
//! and the layouts MS-CHAP-V2 puts inside its values and messages (RFC 2759 §3–§6).
//!
//! A CHAP packet is a [`ControlPacket`]. Challenge and Response:
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Code      |  Identifier   |            Length             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Value-Size   |  Value ...
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Name ...
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Success and Failure carry a Message: the rest of the packet.
//!
//! MS-CHAP-V2 (LCP Authentication-Protocol 0xc223 with algorithm 0x81) keeps this
//! framing and gives the fields a layout: the Challenge value is 16 bytes (RFC 2759 §3),
//! the Response value 49 ([`MsChapV2Response`], §4), the Success message
//! `S=<40 hex digits> M=<message>` ([`MsChapV2Success`], §5), the Failure message
//! `E=<error> R=<retry> C=<32 hex digits> V=<version> M=<message>` ([`MsChapV2Failure`],
//! §6). No cryptography lives here: the control plane computes and checks responses.
//!
//! Not supported: MS-CHAP-V2 Change-Password (code 7, RFC 2759 §7) and MS-CHAP v1
//! (RFC 2433) messages: `ChapRepr::parse` returns [`Error::UnknownType`] for code 7.

use super::ppp::{emit_control, emit_control_header, ControlPacket, CONTROL_HEADER_LEN};
use super::{Error, Result};

/// A CHAP code (RFC 1994 §4, RFC 2759 §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChapCode(pub u8);

impl ChapCode {
    pub const CHALLENGE: ChapCode = ChapCode(1);
    pub const RESPONSE: ChapCode = ChapCode(2);
    pub const SUCCESS: ChapCode = ChapCode(3);
    pub const FAILURE: ChapCode = ChapCode(4);
    /// MS-CHAP-V2 Change-Password (RFC 2759 §7); not read by [`ChapRepr`].
    pub const MS_CHAP_V2_CHANGE_PASSWORD: ChapCode = ChapCode(7);
}

/// A CHAP packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChapRepr<'a> {
    Challenge {
        identifier: u8,
        value: &'a [u8],
        name: &'a [u8],
    },
    Response {
        identifier: u8,
        value: &'a [u8],
        name: &'a [u8],
    },
    Success {
        identifier: u8,
        message: &'a [u8],
    },
    Failure {
        identifier: u8,
        message: &'a [u8],
    },
}

impl<'a> ChapRepr<'a> {
    /// [`Error::UnknownType`] for a code other than 1 to 4; [`Error::Truncated`] when
    /// Value-Size runs past Length (a Challenge/Response with no Value-Size byte too).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(p: &ControlPacket<&'a T>) -> Result<ChapRepr<'a>> {
        p.check_len()?;
        let identifier = p.identifier();
        let data = p.data_ref();
        let value_name = || -> Result<(&'a [u8], &'a [u8])> {
            let Some((&n, rest)) = data.split_first() else {
                return Err(Error::Truncated);
            };
            if rest.len() < n as usize {
                return Err(Error::Truncated);
            }
            Ok(rest.split_at(n as usize))
        };
        Ok(match ChapCode(p.code()) {
            ChapCode::CHALLENGE => {
                let (value, name) = value_name()?;
                ChapRepr::Challenge {
                    identifier,
                    value,
                    name,
                }
            }
            ChapCode::RESPONSE => {
                let (value, name) = value_name()?;
                ChapRepr::Response {
                    identifier,
                    value,
                    name,
                }
            }
            ChapCode::SUCCESS => ChapRepr::Success {
                identifier,
                message: data,
            },
            ChapCode::FAILURE => ChapRepr::Failure {
                identifier,
                message: data,
            },
            _ => return Err(Error::UnknownType),
        })
    }

    pub fn code(&self) -> ChapCode {
        match self {
            ChapRepr::Challenge { .. } => ChapCode::CHALLENGE,
            ChapRepr::Response { .. } => ChapCode::RESPONSE,
            ChapRepr::Success { .. } => ChapCode::SUCCESS,
            ChapRepr::Failure { .. } => ChapCode::FAILURE,
        }
    }

    pub fn identifier(&self) -> u8 {
        match *self {
            ChapRepr::Challenge { identifier, .. }
            | ChapRepr::Response { identifier, .. }
            | ChapRepr::Success { identifier, .. }
            | ChapRepr::Failure { identifier, .. } => identifier,
        }
    }

    pub fn buffer_len(&self) -> usize {
        CONTROL_HEADER_LEN
            + match self {
                ChapRepr::Challenge { value, name, .. }
                | ChapRepr::Response { value, name, .. } => 1 + value.len() + name.len(),
                ChapRepr::Success { message, .. } | ChapRepr::Failure { message, .. } => {
                    message.len()
                }
            }
    }

    /// Write the packet into `buf[..self.buffer_len()]`, returning its length.
    /// [`Error::BadLength`] for a value longer than 255 bytes.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let (code, id) = (self.code().0, self.identifier());
        match *self {
            ChapRepr::Challenge { value, name, .. } | ChapRepr::Response { value, name, .. } => {
                let Ok(size) = u8::try_from(value.len()) else {
                    return Err(Error::BadLength);
                };
                let len =
                    emit_control_header(buf, code, id, self.buffer_len() - CONTROL_HEADER_LEN)?;
                let out = &mut buf[CONTROL_HEADER_LEN..len];
                out[0] = size;
                out[1..1 + value.len()].copy_from_slice(value);
                out[1 + value.len()..].copy_from_slice(name);
                Ok(len)
            }
            ChapRepr::Success { message, .. } | ChapRepr::Failure { message, .. } => {
                emit_control(buf, code, id, message)
            }
        }
    }
}

/// The MS-CHAP-V2 Challenge value: 16 random bytes (RFC 2759 §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsChapV2Challenge(pub [u8; 16]);

impl MsChapV2Challenge {
    /// [`Error::BadValue`] unless `value` is 16 bytes.
    pub fn parse(value: &[u8]) -> Result<Self> {
        value
            .try_into()
            .map(MsChapV2Challenge)
            .map_err(|_| Error::BadValue)
    }
    /// The Value field, to put in a [`ChapRepr::Challenge`].
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// The MS-CHAP-V2 Response value (RFC 2759 §4):
///
/// ```text
/// 16 octets: Peer-Challenge
///  8 octets: Reserved, must be zero
/// 24 octets: NT-Response
///  1 octet : Flags (reserved, must be zero)
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsChapV2Response {
    pub peer_challenge: [u8; 16],
    pub nt_response: [u8; 24],
    /// Kept as sent (RFC 2759 §4 reserves it; Windows sends 0).
    pub flags: u8,
}

/// The length of an MS-CHAP-V2 Response value.
pub const MS_CHAP_V2_RESPONSE_LEN: usize = 49;

impl MsChapV2Response {
    /// [`Error::BadValue`] unless `value` is 49 bytes with a zero Reserved field.
    pub fn parse(value: &[u8]) -> Result<Self> {
        let Ok(v) = <&[u8; MS_CHAP_V2_RESPONSE_LEN]>::try_from(value) else {
            return Err(Error::BadValue);
        };
        if v[16..24].iter().any(|&b| b != 0) {
            return Err(Error::BadValue);
        }
        let mut peer_challenge = [0; 16];
        peer_challenge.copy_from_slice(&v[..16]);
        let mut nt_response = [0; 24];
        nt_response.copy_from_slice(&v[24..48]);
        Ok(MsChapV2Response {
            peer_challenge,
            nt_response,
            flags: v[48],
        })
    }

    /// The Value field, to put in a [`ChapRepr::Response`].
    pub fn to_bytes(&self) -> [u8; MS_CHAP_V2_RESPONSE_LEN] {
        let mut v = [0; MS_CHAP_V2_RESPONSE_LEN];
        v[..16].copy_from_slice(&self.peer_challenge);
        v[24..48].copy_from_slice(&self.nt_response);
        v[48] = self.flags;
        v
    }
}

/// The MS-CHAP-V2 Success message `S=<auth_string> M=<message>` (RFC 2759 §5): the
/// 20-byte Authenticator Response as 40 hex digits (uppercase on emit; either case read),
/// then, optionally, a message for the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsChapV2Success<'a> {
    pub authenticator_response: [u8; 20],
    /// `None`: no ` M=` part (early Windows servers send only `S=`).
    pub message: Option<&'a [u8]>,
}

impl<'a> MsChapV2Success<'a> {
    /// [`Error::MissingField`] without `S=`; [`Error::BadValue`] for anything else that
    /// is not the layout above.
    pub fn parse(message: &'a [u8]) -> Result<Self> {
        let mut c = Text(message);
        if !c.tag(b"S=") {
            return Err(Error::MissingField);
        }
        let mut authenticator_response = [0; 20];
        c.hex(&mut authenticator_response)?;
        let message = c.message()?;
        Ok(MsChapV2Success {
            authenticator_response,
            message,
        })
    }

    pub fn buffer_len(&self) -> usize {
        2 + 40 + self.message.map_or(0, |m| 3 + m.len())
    }

    /// Write the text into `buf`, returning its length (use `&buf[..n]` as the message of
    /// a [`ChapRepr::Success`]).
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let mut w = Writer { buf, at: 0 };
        w.put(b"S=")?;
        w.hex(&self.authenticator_response)?;
        if let Some(m) = self.message {
            w.put(b" M=")?;
            w.put(m)?;
        }
        Ok(w.at)
    }
}

/// The MS-CHAP-V2 Failure message
/// `E=eeeeeeeeee R=r C=cccccccccccccccccccccccccccccccc V=vvvvvvvvvv M=<msg>`
/// (RFC 2759 §6). E and R are required; C, V and M are read when present, in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsChapV2Failure<'a> {
    /// A Windows error code in decimal, e.g. [`MsChapV2Failure::ERROR_AUTHENTICATION_FAILURE`].
    pub error: u32,
    /// `R=1`: the peer may try again with a new response to `challenge`.
    pub retry: bool,
    /// The next challenge, 32 hex digits (RFC 2759 §6 makes it mandatory; old servers
    /// leave it out).
    pub challenge: Option<[u8; 16]>,
    /// The password-change protocol version (3 for MS-CHAP-V2).
    pub version: Option<u32>,
    pub message: Option<&'a [u8]>,
}

impl<'a> MsChapV2Failure<'a> {
    /// RFC 2759 §6.
    pub const ERROR_RESTRICTED_LOGON_HOURS: u32 = 646;
    pub const ERROR_ACCT_DISABLED: u32 = 647;
    pub const ERROR_PASSWD_EXPIRED: u32 = 648;
    pub const ERROR_NO_DIALIN_PERMISSION: u32 = 649;
    pub const ERROR_AUTHENTICATION_FAILURE: u32 = 691;
    pub const ERROR_CHANGING_PASSWORD: u32 = 709;

    /// [`Error::MissingField`] without `E=` or ` R=`; [`Error::BadValue`] for a field
    /// that does not read (R other than 0/1, C not 32 hex digits, a number over u32,
    /// anything between the fields or after them other than ` M=`).
    pub fn parse(message: &'a [u8]) -> Result<Self> {
        let mut c = Text(message);
        if !c.tag(b"E=") {
            return Err(Error::MissingField);
        }
        let error = c.decimal()?;
        if !c.tag(b" R=") {
            return Err(Error::MissingField);
        }
        let retry = match c.byte() {
            Some(b'0') => false,
            Some(b'1') => true,
            _ => return Err(Error::BadValue),
        };
        let challenge = if c.tag(b" C=") {
            let mut ch = [0; 16];
            c.hex(&mut ch)?;
            Some(ch)
        } else {
            None
        };
        let version = if c.tag(b" V=") {
            Some(c.decimal()?)
        } else {
            None
        };
        let message = c.message()?;
        Ok(MsChapV2Failure {
            error,
            retry,
            challenge,
            version,
            message,
        })
    }

    pub fn buffer_len(&self) -> usize {
        2 + decimal_len(self.error)
            + 4
            + self.challenge.map_or(0, |_| 3 + 32)
            + self.version.map_or(0, |v| 3 + decimal_len(v))
            + self.message.map_or(0, |m| 3 + m.len())
    }

    /// Write the text into `buf`, returning its length (use `&buf[..n]` as the message of
    /// a [`ChapRepr::Failure`]).
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let mut w = Writer { buf, at: 0 };
        w.put(b"E=")?;
        w.decimal(self.error)?;
        w.put(if self.retry { b" R=1" } else { b" R=0" })?;
        if let Some(ch) = &self.challenge {
            w.put(b" C=")?;
            w.hex(ch)?;
        }
        if let Some(v) = self.version {
            w.put(b" V=")?;
            w.decimal(v)?;
        }
        if let Some(m) = self.message {
            w.put(b" M=")?;
            w.put(m)?;
        }
        Ok(w.at)
    }
}

/// A reader over MS-CHAP-V2 message text.
struct Text<'a>(&'a [u8]);

impl<'a> Text<'a> {
    fn tag(&mut self, t: &[u8]) -> bool {
        match self.0.strip_prefix(t) {
            Some(rest) => {
                self.0 = rest;
                true
            }
            None => false,
        }
    }
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    /// Exactly `2 * out.len()` hex digits.
    fn hex(&mut self, out: &mut [u8]) -> Result<()> {
        let n = 2 * out.len();
        if self.0.len() < n {
            return Err(Error::BadValue);
        }
        let (digits, rest) = self.0.split_at(n);
        for (o, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
            let hi = hex_digit(pair[0]).ok_or(Error::BadValue)?;
            let lo = hex_digit(pair[1]).ok_or(Error::BadValue)?;
            *o = hi << 4 | lo;
        }
        self.0 = rest;
        Ok(())
    }
    /// One or more decimal digits that fit a u32.
    fn decimal(&mut self) -> Result<u32> {
        let n = self.0.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return Err(Error::BadValue);
        }
        let (digits, rest) = self.0.split_at(n);
        let mut v: u32 = 0;
        for d in digits {
            v = v
                .checked_mul(10)
                .and_then(|v| v.checked_add((d - b'0') as u32))
                .ok_or(Error::BadValue)?;
        }
        self.0 = rest;
        Ok(v)
    }
    /// The end, or ` M=` and the rest as the message.
    fn message(&mut self) -> Result<Option<&'a [u8]>> {
        if self.0.is_empty() {
            return Ok(None);
        }
        if self.tag(b" M=") {
            let m = self.0;
            self.0 = &[];
            return Ok(Some(m));
        }
        Err(Error::BadValue)
    }
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

fn decimal_len(mut v: u32) -> usize {
    let mut n = 1;
    while v >= 10 {
        v /= 10;
        n += 1;
    }
    n
}

struct Writer<'b> {
    buf: &'b mut [u8],
    at: usize,
}

impl Writer<'_> {
    fn put(&mut self, s: &[u8]) -> Result<()> {
        let Some(out) = self.buf.get_mut(self.at..self.at + s.len()) else {
            return Err(Error::BufferTooSmall);
        };
        out.copy_from_slice(s);
        self.at += s.len();
        Ok(())
    }
    fn hex(&mut self, bytes: &[u8]) -> Result<()> {
        const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
        for b in bytes {
            self.put(&[DIGITS[(b >> 4) as usize], DIGITS[(b & 15) as usize]])?;
        }
        Ok(())
    }
    fn decimal(&mut self, v: u32) -> Result<()> {
        let mut digits = [0u8; 10];
        let n = decimal_len(v);
        let mut x = v;
        for d in digits[..n].iter_mut().rev() {
            *d = b'0' + (x % 10) as u8;
            x /= 10;
        }
        self.put(&digits[..n])
    }
}

/// Runs the CHAP parsers on `data` (a CHAP packet, without the PPP header), and the
/// MS-CHAP-V2 parsers on its value or message and on `data` itself; whatever parses is
/// emitted and parsed again.
#[cfg(fuzzing)]
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    fn ms_chap_v2(bytes: &[u8]) {
        if let Ok(c) = MsChapV2Challenge::parse(bytes) {
            assert_eq!(c.as_bytes(), bytes);
        }
        if let Ok(r) = MsChapV2Response::parse(bytes) {
            assert_eq!(&r.to_bytes()[..], bytes);
        }
        let mut b = [0u8; 1024];
        if let Ok(s) = MsChapV2Success::parse(bytes) {
            if s.buffer_len() <= b.len() {
                let n = s.emit(&mut b).unwrap();
                assert_eq!(n, s.buffer_len());
                assert_eq!(MsChapV2Success::parse(&b[..n]), Ok(s));
            }
        }
        if let Ok(f) = MsChapV2Failure::parse(bytes) {
            if f.buffer_len() <= b.len() {
                let n = f.emit(&mut b).unwrap();
                assert_eq!(n, f.buffer_len());
                assert_eq!(MsChapV2Failure::parse(&b[..n]), Ok(f));
            }
        }
    }
    ms_chap_v2(data);
    let Ok(p) = ControlPacket::new_checked(data) else {
        return;
    };
    if let Ok(r) = ChapRepr::parse(&p) {
        match r {
            ChapRepr::Challenge { value, .. } | ChapRepr::Response { value, .. } => {
                ms_chap_v2(value)
            }
            ChapRepr::Success { message, .. } | ChapRepr::Failure { message, .. } => {
                ms_chap_v2(message)
            }
        }
        let mut b = [0u8; 65536];
        let n = r.emit(&mut b).unwrap();
        assert_eq!(n, r.buffer_len());
        assert_eq!(&b[..n], p.packet(), "CHAP emit differs from its input");
        assert_eq!(
            ChapRepr::parse(&ControlPacket::new_checked(&b[..n]).unwrap()),
            Ok(r)
        );
    }
}
