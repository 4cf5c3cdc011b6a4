//! IPv6 fixed header (RFC 8200 §3).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Version| Traffic Class |           Flow Label                  |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Payload Length        |  Next Header  |   Hop Limit   |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                                                               |
//! +                                                               +
//! |                                                               |
//! +                         Source Address                        +
//! |                                                               |
//! +                                                               +
//! |                                                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                                                               |
//! +                                                               +
//! |                                                               |
//! +                      Destination Address                      +
//! |                                                               |
//! +                                                               +
//! |                                                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! The Payload Length counts everything after the 40-byte header, extension headers
//! included. Next Header is an [`IpProtocol`]: an upper-layer protocol or the first
//! extension header (RFC 8200 §4), which this module does not read.
//!
//! Not supported: extension headers (Hop-by-Hop, Routing, Fragment, Destination
//! Options… are payload here: [`Ipv6Packet::payload`] starts with them and
//! `next_header` names the first); jumbograms (RFC 2675: Payload Length 0 with a
//! Jumbo Payload option reads as an empty payload).

use super::ipv4::IpProtocol;
use super::{Error, Result};

/// Hop-by-Hop Options, a Next Header value that is an extension header (RFC 8200 §4.3).
pub const NEXT_HEADER_HOP_BY_HOP: IpProtocol = IpProtocol(0);
/// Routing header (RFC 8200 §4.4).
pub const NEXT_HEADER_ROUTING: IpProtocol = IpProtocol(43);
/// Fragment header (RFC 8200 §4.5).
pub const NEXT_HEADER_FRAGMENT: IpProtocol = IpProtocol(44);
/// No Next Header (RFC 8200 §4.7).
pub const NEXT_HEADER_NONE: IpProtocol = IpProtocol(59);
/// Destination Options (RFC 8200 §4.6).
pub const NEXT_HEADER_DESTINATION_OPTIONS: IpProtocol = IpProtocol(60);

/// An IPv6 address, in network byte order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Ipv6Address(pub [u8; 16]);

impl Ipv6Address {
    /// `::`
    pub const UNSPECIFIED: Ipv6Address = Ipv6Address([0; 16]);
    /// `::1`
    pub const LOOPBACK: Ipv6Address = Ipv6Address([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

    /// From eight 16-bit groups, as written.
    pub const fn new(g: [u16; 8]) -> Ipv6Address {
        let mut b = [0u8; 16];
        let mut i = 0;
        while i < 8 {
            b[2 * i] = (g[i] >> 8) as u8;
            b[2 * i + 1] = g[i] as u8;
            i += 1;
        }
        Ipv6Address(b)
    }
    /// The eight 16-bit groups.
    pub const fn segments(&self) -> [u16; 8] {
        let b = &self.0;
        let mut g = [0u16; 8];
        let mut i = 0;
        while i < 8 {
            g[i] = u16::from_be_bytes([b[2 * i], b[2 * i + 1]]);
            i += 1;
        }
        g
    }
    pub const fn octets(&self) -> [u8; 16] {
        self.0
    }
    pub fn is_unspecified(&self) -> bool {
        *self == Self::UNSPECIFIED
    }
    pub fn is_loopback(&self) -> bool {
        *self == Self::LOOPBACK
    }
    /// ff00::/8 (RFC 4291 §2.7).
    pub const fn is_multicast(&self) -> bool {
        self.0[0] == 0xff
    }
    /// fe80::/10 (RFC 4291 §2.5.6).
    pub const fn is_unicast_link_local(&self) -> bool {
        self.0[0] == 0xfe && self.0[1] & 0xc0 == 0x80
    }
}

impl From<core::net::Ipv6Addr> for Ipv6Address {
    fn from(a: core::net::Ipv6Addr) -> Self {
        Ipv6Address(a.octets())
    }
}

impl From<Ipv6Address> for core::net::Ipv6Addr {
    fn from(a: Ipv6Address) -> Self {
        core::net::Ipv6Addr::from(a.0)
    }
}

/// RFC 5952 §4 text: lower-case hex, leading zeros dropped, the longest run of two or
/// more zero groups (the first of equal runs) as `::`, and an IPv4-mapped address as
/// `::ffff:a.b.c.d` (§5). `core::net::Ipv6Addr` formats exactly so; this delegates.
impl core::fmt::Display for Ipv6Address {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Display::fmt(&core::net::Ipv6Addr::from(self.0), f)
    }
}

/// Any RFC 4291 §2.2 text form.
impl core::str::FromStr for Ipv6Address {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        s.parse::<core::net::Ipv6Addr>()
            .map(Ipv6Address::from)
            .map_err(|_| Error::BadAddress)
    }
}

mod field {
    use core::ops::Range;
    pub const VER_TC_FLOW: Range<usize> = 0..4;
    pub const PAYLOAD_LENGTH: Range<usize> = 4..6;
    pub const NEXT_HEADER: usize = 6;
    pub const HOP_LIMIT: usize = 7;
    pub const SRC: Range<usize> = 8..24;
    pub const DST: Range<usize> = 24..40;
}

/// The fixed header's length.
pub const HEADER_LEN: usize = 40;

const FLOW_LABEL_MASK: u32 = 0x000f_ffff;

/// A view of an IPv6 packet.
#[derive(Debug, Clone)]
pub struct Ipv6Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv6Packet<T> {
    pub const fn new_unchecked(buffer: T) -> Self {
        Ipv6Packet { buffer }
    }

    /// Version 6, the 40-byte header and the Payload Length within the buffer. The
    /// buffer may be longer (Ethernet padding).
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = Ipv6Packet { buffer };
        p.check_len()?;
        Ok(p)
    }

    /// The checks of [`Self::new_checked`], for a view made with `new_unchecked`.
    #[inline]
    pub fn check_len(&self) -> Result<()> {
        let len = self.b().len();
        if len < HEADER_LEN {
            return Err(Error::Truncated);
        }
        if self.version() != 6 {
            return Err(Error::BadVersion);
        }
        if len < HEADER_LEN + self.payload_len() as usize {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }

    #[inline]
    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }
    #[inline]
    fn word0(&self) -> u32 {
        let b = &self.b()[field::VER_TC_FLOW];
        u32::from_be_bytes([b[0], b[1], b[2], b[3]])
    }
    #[inline]
    pub fn version(&self) -> u8 {
        self.b()[0] >> 4
    }
    /// Traffic Class: DSCP (upper six bits) and ECN (lower two), RFC 8200 §7.
    #[inline]
    pub fn traffic_class(&self) -> u8 {
        (self.word0() >> 20) as u8
    }
    /// The 20-bit Flow Label (RFC 8200 §6, RFC 6437).
    #[inline]
    pub fn flow_label(&self) -> u32 {
        self.word0() & FLOW_LABEL_MASK
    }
    /// Everything after the fixed header, extension headers included.
    #[inline]
    pub fn payload_len(&self) -> u16 {
        let b = &self.b()[field::PAYLOAD_LENGTH];
        u16::from_be_bytes([b[0], b[1]])
    }
    #[inline]
    pub fn next_header(&self) -> IpProtocol {
        IpProtocol(self.b()[field::NEXT_HEADER])
    }
    #[inline]
    pub fn hop_limit(&self) -> u8 {
        self.b()[field::HOP_LIMIT]
    }
    #[inline]
    pub fn src_addr(&self) -> Ipv6Address {
        let mut a = [0; 16];
        a.copy_from_slice(&self.b()[field::SRC]);
        Ipv6Address(a)
    }
    #[inline]
    pub fn dst_addr(&self) -> Ipv6Address {
        let mut a = [0; 16];
        a.copy_from_slice(&self.b()[field::DST]);
        Ipv6Address(a)
    }
    /// The payload (extension headers first, if any), bounded by the Payload Length.
    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.b()[HEADER_LEN..HEADER_LEN + self.payload_len() as usize]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv6Packet<T> {
    #[inline]
    fn m(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }
    #[inline]
    fn set_word0(&mut self, v: u32) {
        self.m()[field::VER_TC_FLOW].copy_from_slice(&v.to_be_bytes());
    }
    /// Version 6; traffic class and flow label kept.
    #[inline]
    pub fn set_version(&mut self) {
        let w = self.word0() & 0x0fff_ffff;
        self.set_word0(w | 6 << 28);
    }
    #[inline]
    pub fn set_traffic_class(&mut self, v: u8) {
        let w = self.word0() & 0xf00f_ffff;
        self.set_word0(w | (v as u32) << 20);
    }
    /// The low 20 bits of `v`.
    #[inline]
    pub fn set_flow_label(&mut self, v: u32) {
        let w = self.word0() & !FLOW_LABEL_MASK;
        self.set_word0(w | (v & FLOW_LABEL_MASK));
    }
    #[inline]
    pub fn set_payload_len(&mut self, v: u16) {
        self.m()[field::PAYLOAD_LENGTH].copy_from_slice(&v.to_be_bytes());
    }
    #[inline]
    pub fn set_next_header(&mut self, v: IpProtocol) {
        self.m()[field::NEXT_HEADER] = v.0;
    }
    #[inline]
    pub fn set_hop_limit(&mut self, v: u8) {
        self.m()[field::HOP_LIMIT] = v;
    }
    #[inline]
    pub fn set_src_addr(&mut self, a: Ipv6Address) {
        self.m()[field::SRC].copy_from_slice(&a.0);
    }
    #[inline]
    pub fn set_dst_addr(&mut self, a: Ipv6Address) {
        self.m()[field::DST].copy_from_slice(&a.0);
    }
    /// The payload, bounded by the Payload Length, writable.
    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let end = HEADER_LEN + self.payload_len() as usize;
        &mut self.m()[HEADER_LEN..end]
    }
}

/// The IPv6 fixed header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv6Repr {
    pub src: Ipv6Address,
    pub dst: Ipv6Address,
    /// The upper-layer protocol or the first extension header.
    pub next_header: IpProtocol,
    pub payload_len: u16,
    pub hop_limit: u8,
    pub traffic_class: u8,
    /// 20 bits.
    pub flow_label: u32,
}

impl Ipv6Repr {
    pub fn parse<T: AsRef<[u8]>>(p: &Ipv6Packet<T>) -> Result<Ipv6Repr> {
        p.check_len()?;
        Ok(Ipv6Repr {
            src: p.src_addr(),
            dst: p.dst_addr(),
            next_header: p.next_header(),
            payload_len: p.payload_len(),
            hop_limit: p.hop_limit(),
            traffic_class: p.traffic_class(),
            flow_label: p.flow_label(),
        })
    }

    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Write the 40-byte header into `buf`; the payload is the caller's. A flow label
    /// wider than 20 bits is [`Error::BadValue`].
    pub fn emit(&self, buf: &mut [u8]) -> Result<()> {
        if self.flow_label > FLOW_LABEL_MASK {
            return Err(Error::BadValue);
        }
        let Some(buf) = buf.get_mut(..HEADER_LEN) else {
            return Err(Error::BufferTooSmall);
        };
        let mut p = Ipv6Packet::new_unchecked(buf);
        p.set_word0(6 << 28 | (self.traffic_class as u32) << 20 | self.flow_label);
        p.set_payload_len(self.payload_len);
        p.set_next_header(self.next_header);
        p.set_hop_limit(self.hop_limit);
        p.set_src_addr(self.src);
        p.set_dst_addr(self.dst);
        Ok(())
    }
}

/// Runs every parser of this module on `data`; an `Ipv6Repr` that parses is emitted,
/// parsed again (over the same payload) and must be equal. No allocation.
#[cfg(fuzzing)]
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    if let Ok(p) = Ipv6Packet::new_checked(data) {
        let _ = (
            p.version(),
            p.traffic_class(),
            p.flow_label(),
            p.next_header(),
        );
        let _ = (p.hop_limit(), p.src_addr(), p.dst_addr());
        assert_eq!(p.payload().len(), p.payload_len() as usize);
        let r = Ipv6Repr::parse(&p).expect("a checked view parses");
        // The payload is the caller's: a zeroed one of the right length will do.
        let mut buf = [0u8; HEADER_LEN + 4096];
        if let Some(out) = buf.get_mut(..HEADER_LEN + r.payload_len as usize) {
            r.emit(out).expect("emit of a parsed Ipv6Repr");
            let q = Ipv6Packet::new_checked(&*out).expect("emitted header");
            assert_eq!(Ipv6Repr::parse(&q), Ok(r));
        }
    }
}
