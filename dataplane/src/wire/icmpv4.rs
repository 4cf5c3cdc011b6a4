//! ICMP for IPv4 (RFC 792): echo, destination unreachable (with the RFC 1191 next-hop
//! MTU) and time exceeded; other types are readable through the view only.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Type      |     Code      |          Checksum             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   echo: Identifier            |   echo: Sequence Number       |
//! |   unreachable: unused (0)     |   code 4: Next-Hop MTU        |
//! |   time exceeded: unused (0)                                   |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   echo: data ...                                              |
//! |   errors: the invoking datagram's IP header + leading data    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! The checksum covers the whole ICMP message, so a view must be bounded by the IP
//! payload ([`super::ipv4::Ipv4Packet::payload`]), not by the frame.

use super::checksum;
use super::ipv4;
use super::{Error, Result};

/// ICMP message type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Icmpv4Message(pub u8);

impl Icmpv4Message {
    pub const ECHO_REPLY: Icmpv4Message = Icmpv4Message(0);
    pub const DST_UNREACHABLE: Icmpv4Message = Icmpv4Message(3);
    /// Deprecated (RFC 6633).
    pub const SOURCE_QUENCH: Icmpv4Message = Icmpv4Message(4);
    pub const REDIRECT: Icmpv4Message = Icmpv4Message(5);
    pub const ECHO_REQUEST: Icmpv4Message = Icmpv4Message(8);
    pub const ROUTER_ADVERT: Icmpv4Message = Icmpv4Message(9);
    pub const ROUTER_SOLICIT: Icmpv4Message = Icmpv4Message(10);
    pub const TIME_EXCEEDED: Icmpv4Message = Icmpv4Message(11);
    pub const PARAM_PROBLEM: Icmpv4Message = Icmpv4Message(12);
    pub const TIMESTAMP: Icmpv4Message = Icmpv4Message(13);
    pub const TIMESTAMP_REPLY: Icmpv4Message = Icmpv4Message(14);

    /// An error message: one that quotes an invoking datagram and about which no
    /// further error may be sent (RFC 1812 §4.3.2.7).
    #[inline]
    pub fn is_error(self) -> bool {
        matches!(self.0, 3 | 4 | 5 | 11 | 12)
    }
}

/// Destination unreachable codes (RFC 792, RFC 1122 §3.2.2.1, RFC 1812 §5.2.7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DstUnreachable(pub u8);

impl DstUnreachable {
    pub const NET_UNREACHABLE: DstUnreachable = DstUnreachable(0);
    pub const HOST_UNREACHABLE: DstUnreachable = DstUnreachable(1);
    pub const PROTO_UNREACHABLE: DstUnreachable = DstUnreachable(2);
    pub const PORT_UNREACHABLE: DstUnreachable = DstUnreachable(3);
    /// Fragmentation needed and DF set; carries the next-hop MTU (RFC 1191 §4).
    pub const FRAG_NEEDED: DstUnreachable = DstUnreachable(4);
    pub const SOURCE_ROUTE_FAILED: DstUnreachable = DstUnreachable(5);
    pub const DST_NET_UNKNOWN: DstUnreachable = DstUnreachable(6);
    pub const DST_HOST_UNKNOWN: DstUnreachable = DstUnreachable(7);
    pub const SOURCE_HOST_ISOLATED: DstUnreachable = DstUnreachable(8);
    pub const NET_PROHIBITED: DstUnreachable = DstUnreachable(9);
    pub const HOST_PROHIBITED: DstUnreachable = DstUnreachable(10);
    pub const NET_UNREACHABLE_FOR_TOS: DstUnreachable = DstUnreachable(11);
    pub const HOST_UNREACHABLE_FOR_TOS: DstUnreachable = DstUnreachable(12);
    /// Communication administratively prohibited (RFC 1812 §5.2.7.1).
    pub const ADMIN_PROHIBITED: DstUnreachable = DstUnreachable(13);
    pub const HOST_PRECEDENCE_VIOLATION: DstUnreachable = DstUnreachable(14);
    pub const PRECEDENCE_CUTOFF: DstUnreachable = DstUnreachable(15);
}

/// Time exceeded codes (RFC 792).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimeExceeded(pub u8);

impl TimeExceeded {
    /// TTL reached zero in transit.
    pub const TTL_EXPIRED: TimeExceeded = TimeExceeded(0);
    /// Fragment reassembly time exceeded.
    pub const FRAG_EXPIRED: TimeExceeded = TimeExceeded(1);
}

mod field {
    use core::ops::Range;
    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: Range<usize> = 2..4;
    pub const ECHO_IDENT: Range<usize> = 4..6;
    pub const ECHO_SEQNO: Range<usize> = 6..8;
    pub const UNUSED: Range<usize> = 4..6;
    pub const MTU: Range<usize> = 6..8;
    pub const DATA: usize = 8;
}

/// Length of the ICMP header (type, code, checksum and the 4 type-specific bytes).
pub const HEADER_LEN: usize = field::DATA;

/// The most of the invoking datagram an error quotes: what keeps the error datagram
/// within 576 bytes, 576 − 20 (IP header) − 8 (ICMP header) (RFC 1812 §4.3.2.3).
pub const MAX_ERROR_QUOTE: usize = 576 - ipv4::HEADER_LEN - HEADER_LEN;

/// A view of an ICMP message.
#[derive(Debug, Clone)]
pub struct Icmpv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Icmpv4Packet<T> {
    pub const fn new_unchecked(buffer: T) -> Self {
        Icmpv4Packet { buffer }
    }

    /// At least the 8-byte header: enough for every accessor, whatever the type.
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = Icmpv4Packet { buffer };
        p.check_len()?;
        Ok(p)
    }

    /// The check of [`Self::new_checked`], for a view made with `new_unchecked`.
    pub fn check_len(&self) -> Result<()> {
        if self.buffer.as_ref().len() < HEADER_LEN {
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
    #[inline]
    pub fn msg_type(&self) -> Icmpv4Message {
        Icmpv4Message(self.buffer.as_ref()[field::TYPE])
    }
    #[inline]
    pub fn msg_code(&self) -> u8 {
        self.buffer.as_ref()[field::CODE]
    }
    #[inline]
    pub fn checksum(&self) -> u16 {
        self.u16_at(field::CHECKSUM)
    }
    /// Echo identifier (bytes 4–5).
    #[inline]
    pub fn echo_ident(&self) -> u16 {
        self.u16_at(field::ECHO_IDENT)
    }
    /// Echo sequence number (bytes 6–7).
    #[inline]
    pub fn echo_seq_no(&self) -> u16 {
        self.u16_at(field::ECHO_SEQNO)
    }
    /// Next-hop MTU of a fragmentation-needed error (bytes 6–7, RFC 1191 §4); zero from
    /// routers older than RFC 1191.
    #[inline]
    pub fn next_hop_mtu(&self) -> u16 {
        self.u16_at(field::MTU)
    }
    /// Everything after the 8-byte header: echo data, or an error's quoted datagram.
    #[inline]
    pub fn data(&self) -> &[u8] {
        &self.buffer.as_ref()[field::DATA..]
    }
    /// The whole message sums to all ones.
    #[inline]
    pub fn verify_checksum(&self) -> bool {
        checksum::verify(0, self.buffer.as_ref())
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Icmpv4Packet<T> {
    #[inline]
    fn set_u16(&mut self, r: core::ops::Range<usize>, v: u16) {
        self.buffer.as_mut()[r].copy_from_slice(&v.to_be_bytes());
    }
    #[inline]
    pub fn set_msg_type(&mut self, t: Icmpv4Message) {
        self.buffer.as_mut()[field::TYPE] = t.0;
    }
    #[inline]
    pub fn set_msg_code(&mut self, c: u8) {
        self.buffer.as_mut()[field::CODE] = c;
    }
    #[inline]
    pub fn set_checksum(&mut self, v: u16) {
        self.set_u16(field::CHECKSUM, v);
    }
    #[inline]
    pub fn set_echo_ident(&mut self, v: u16) {
        self.set_u16(field::ECHO_IDENT, v);
    }
    #[inline]
    pub fn set_echo_seq_no(&mut self, v: u16) {
        self.set_u16(field::ECHO_SEQNO, v);
    }
    /// Writes the unused half-word as zero and the MTU (RFC 1191 §4).
    #[inline]
    pub fn set_next_hop_mtu(&mut self, mtu: u16) {
        self.set_u16(field::UNUSED, 0);
        self.set_u16(field::MTU, mtu);
    }
    #[inline]
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::DATA..]
    }
    /// Compute the checksum over the whole buffer.
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let c = checksum::checksum(self.buffer.as_ref());
        self.set_checksum(c);
    }
}

/// The ICMP messages dpvpn reads and writes whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Icmpv4Repr<'a> {
    EchoRequest {
        ident: u16,
        seq_no: u16,
        data: &'a [u8],
    },
    EchoReply {
        ident: u16,
        seq_no: u16,
        data: &'a [u8],
    },
    DstUnreachable {
        code: DstUnreachable,
        /// Only with [`DstUnreachable::FRAG_NEEDED`]; zero otherwise.
        next_hop_mtu: u16,
        /// The invoking datagram from its IP header on, as much as was quoted.
        invoking: &'a [u8],
    },
    TimeExceeded {
        code: TimeExceeded,
        /// The invoking datagram from its IP header on, as much as was quoted.
        invoking: &'a [u8],
    },
}

/// An error must quote at least a whole IPv4 header, so the receiver can tell whose
/// datagram it was (RFC 792 asks for the header plus 64 bits of data; the data part
/// is not required here, a datagram may have been shorter).
fn check_invoking(q: &[u8]) -> Result<()> {
    let ip = ipv4::Ipv4Packet::new_unchecked(q);
    if q.len() < ipv4::HEADER_LEN {
        return Err(Error::Truncated);
    }
    if ip.version() != 4 {
        return Err(Error::BadVersion);
    }
    if (ip.header_len() as usize) < ipv4::HEADER_LEN {
        return Err(Error::BadHeaderLength);
    }
    if q.len() < ip.header_len() as usize {
        return Err(Error::Truncated);
    }
    Ok(())
}

impl<'a> Icmpv4Repr<'a> {
    /// Read an echo request/reply (code 0), a destination unreachable or a time
    /// exceeded message; checks the checksum. Other types and echo codes other than 0
    /// are [`Error::Unsupported`]; an error that does not quote a whole IPv4 header is
    /// [`Error::Truncated`] (or the quoted header's own error).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(p: &Icmpv4Packet<&'a T>) -> Result<Icmpv4Repr<'a>> {
        p.check_len()?;
        if !p.verify_checksum() {
            return Err(Error::BadChecksum);
        }
        let data = &p.buffer.as_ref()[field::DATA..];
        match (p.msg_type(), p.msg_code()) {
            (Icmpv4Message::ECHO_REQUEST, 0) => Ok(Icmpv4Repr::EchoRequest {
                ident: p.echo_ident(),
                seq_no: p.echo_seq_no(),
                data,
            }),
            (Icmpv4Message::ECHO_REPLY, 0) => Ok(Icmpv4Repr::EchoReply {
                ident: p.echo_ident(),
                seq_no: p.echo_seq_no(),
                data,
            }),
            (Icmpv4Message::DST_UNREACHABLE, code) => {
                check_invoking(data)?;
                let code = DstUnreachable(code);
                let next_hop_mtu = if code == DstUnreachable::FRAG_NEEDED {
                    p.next_hop_mtu()
                } else {
                    0
                };
                Ok(Icmpv4Repr::DstUnreachable {
                    code,
                    next_hop_mtu,
                    invoking: data,
                })
            }
            (Icmpv4Message::TIME_EXCEEDED, code) => {
                check_invoking(data)?;
                Ok(Icmpv4Repr::TimeExceeded {
                    code: TimeExceeded(code),
                    invoking: data,
                })
            }
            _ => Err(Error::Unsupported),
        }
    }

    /// The quote an error carries: the invoking datagram cut to [`MAX_ERROR_QUOTE`].
    fn quote(invoking: &[u8]) -> &[u8] {
        &invoking[..invoking.len().min(MAX_ERROR_QUOTE)]
    }

    /// Bytes [`Self::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN
            + match *self {
                Icmpv4Repr::EchoRequest { data, .. } | Icmpv4Repr::EchoReply { data, .. } => {
                    data.len()
                }
                Icmpv4Repr::DstUnreachable { invoking, .. }
                | Icmpv4Repr::TimeExceeded { invoking, .. } => Self::quote(invoking).len(),
            }
    }

    /// Write the message, checksum filled, into `buf[..self.buffer_len()]`. An error
    /// quotes at most [`MAX_ERROR_QUOTE`] bytes of `invoking` (RFC 1812 §4.3.2.3); the
    /// next-hop MTU is written only for [`DstUnreachable::FRAG_NEEDED`].
    pub fn emit(&self, buf: &mut [u8]) -> Result<()> {
        let len = self.buffer_len();
        if buf.len() < len {
            return Err(Error::BufferTooSmall);
        }
        let mut p = Icmpv4Packet::new_unchecked(&mut buf[..len]);
        match *self {
            Icmpv4Repr::EchoRequest {
                ident,
                seq_no,
                data,
            }
            | Icmpv4Repr::EchoReply {
                ident,
                seq_no,
                data,
            } => {
                let t = if matches!(self, Icmpv4Repr::EchoRequest { .. }) {
                    Icmpv4Message::ECHO_REQUEST
                } else {
                    Icmpv4Message::ECHO_REPLY
                };
                p.set_msg_type(t);
                p.set_msg_code(0);
                p.set_echo_ident(ident);
                p.set_echo_seq_no(seq_no);
                p.data_mut().copy_from_slice(data);
            }
            Icmpv4Repr::DstUnreachable {
                code,
                next_hop_mtu,
                invoking,
            } => {
                p.set_msg_type(Icmpv4Message::DST_UNREACHABLE);
                p.set_msg_code(code.0);
                let mtu = if code == DstUnreachable::FRAG_NEEDED {
                    next_hop_mtu
                } else {
                    0
                };
                p.set_next_hop_mtu(mtu);
                p.data_mut().copy_from_slice(Self::quote(invoking));
            }
            Icmpv4Repr::TimeExceeded { code, invoking } => {
                p.set_msg_type(Icmpv4Message::TIME_EXCEEDED);
                p.set_msg_code(code.0);
                p.set_next_hop_mtu(0);
                p.data_mut().copy_from_slice(Self::quote(invoking));
            }
        }
        p.fill_checksum();
        Ok(())
    }
}

/// Fuzz entry (`fuzz/`): the view, every accessor, and `parse(emit(parse(x)))`.
#[cfg(fuzzing)]
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    let Ok(p) = Icmpv4Packet::new_checked(data) else { return };
    let _ = (p.msg_type(), p.msg_code(), p.checksum(), p.echo_ident(), p.echo_seq_no());
    let _ = (p.next_hop_mtu(), p.data().len(), p.verify_checksum(), p.msg_type().is_error());
    let Ok(r) = Icmpv4Repr::parse(&p) else { return };
    let mut buf = [0u8; 2048];
    if r.buffer_len() > buf.len() {
        return;
    }
    r.emit(&mut buf).expect("emit a parsed message");
    let again = Icmpv4Packet::new_unchecked(&buf[..r.buffer_len()]);
    let r2 = Icmpv4Repr::parse(&again).expect("parse what we emitted");
    // An error message quotes at most MAX_ERROR_QUOTE bytes of what it carried.
    if r.buffer_len() == data.len() {
        assert_eq!(r2, r);
    }
}
