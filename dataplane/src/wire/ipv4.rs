//! IPv4 header (RFC 791 §3.1); options are skipped, not parsed.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Version|  IHL  |   DSCP/ECN    |          Total Length         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Identification        |Flags|      Fragment Offset    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Time to Live |    Protocol   |         Header Checksum       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                       Source Address                          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Destination Address                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Options (IHL > 5)                          |
//! ```
//!
//! Addresses are [`Ipv4Address`], which is `core::net::Ipv4Addr` (as in smoltcp 0.12):
//! `to_bits()` / `Ipv4Addr::from_bits()` give the host-order `u32` the FIB keys on.

pub use core::net::Ipv4Addr as Ipv4Address;

use super::checksum;
use super::{Error, Result};

/// An IP protocol number (IANA "Assigned Internet Protocol Numbers").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpProtocol(pub u8);

impl IpProtocol {
    pub const ICMP: IpProtocol = IpProtocol(1);
    pub const IGMP: IpProtocol = IpProtocol(2);
    /// IP in IP (RFC 2003).
    pub const IPIP: IpProtocol = IpProtocol(4);
    pub const TCP: IpProtocol = IpProtocol(6);
    pub const UDP: IpProtocol = IpProtocol(17);
    pub const IPV6: IpProtocol = IpProtocol(41);
    /// GRE (RFC 2784), also PPTP's enhanced GRE (RFC 2637).
    pub const GRE: IpProtocol = IpProtocol(47);
    pub const ESP: IpProtocol = IpProtocol(50);
    pub const AH: IpProtocol = IpProtocol(51);
    pub const ICMPV6: IpProtocol = IpProtocol(58);
    /// L2TPv3 over IP (RFC 3931).
    pub const L2TP: IpProtocol = IpProtocol(115);
}

mod field {
    use core::ops::Range;
    pub const VER_IHL: usize = 0;
    pub const DSCP_ECN: usize = 1;
    pub const LENGTH: Range<usize> = 2..4;
    pub const IDENT: Range<usize> = 4..6;
    pub const FLG_OFF: Range<usize> = 6..8;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const CHECKSUM: Range<usize> = 10..12;
    pub const SRC: Range<usize> = 12..16;
    pub const DST: Range<usize> = 16..20;
}

/// Length of a header without options.
pub const HEADER_LEN: usize = 20;

const FLAG_DF: u16 = 0x4000;
const FLAG_MF: u16 = 0x2000;
const OFFSET_MASK: u16 = 0x1fff;

/// A view of an IPv4 datagram.
#[derive(Debug, Clone)]
pub struct Ipv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv4Packet<T> {
    pub const fn new_unchecked(buffer: T) -> Self {
        Ipv4Packet { buffer }
    }

    /// Version 4, IHL ≥ 5, header and `total_len` within the buffer, `total_len` ≥
    /// header. The buffer may be longer than `total_len` (Ethernet padding).
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = Ipv4Packet { buffer };
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
        if self.version() != 4 {
            return Err(Error::BadVersion);
        }
        let hl = self.header_len() as usize;
        if hl < HEADER_LEN {
            return Err(Error::BadHeaderLength);
        }
        let total = self.total_len() as usize;
        if total < hl {
            return Err(Error::BadLength);
        }
        if len < total {
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
    fn u16_at(&self, r: core::ops::Range<usize>) -> u16 {
        let b = &self.b()[r];
        u16::from_be_bytes([b[0], b[1]])
    }
    #[inline]
    pub fn version(&self) -> u8 {
        self.b()[field::VER_IHL] >> 4
    }
    /// Header length in bytes.
    #[inline]
    pub fn header_len(&self) -> u8 {
        (self.b()[field::VER_IHL] & 0x0f) * 4
    }
    #[inline]
    pub fn dscp_ecn(&self) -> u8 {
        self.b()[field::DSCP_ECN]
    }
    #[inline]
    pub fn total_len(&self) -> u16 {
        self.u16_at(field::LENGTH)
    }
    #[inline]
    pub fn ident(&self) -> u16 {
        self.u16_at(field::IDENT)
    }
    /// DF: don't fragment.
    #[inline]
    pub fn dont_frag(&self) -> bool {
        self.u16_at(field::FLG_OFF) & FLAG_DF != 0
    }
    /// MF: more fragments follow.
    #[inline]
    pub fn more_frags(&self) -> bool {
        self.u16_at(field::FLG_OFF) & FLAG_MF != 0
    }
    /// Fragment offset in bytes (the field counts 8-byte units).
    #[inline]
    pub fn frag_offset(&self) -> u16 {
        (self.u16_at(field::FLG_OFF) & OFFSET_MASK) << 3
    }
    /// MF set or a non-zero offset: this datagram is a piece of a larger one.
    #[inline]
    pub fn is_fragment(&self) -> bool {
        self.more_frags() || self.frag_offset() != 0
    }
    #[inline]
    pub fn ttl(&self) -> u8 {
        self.b()[field::TTL]
    }
    #[inline]
    pub fn protocol(&self) -> IpProtocol {
        IpProtocol(self.b()[field::PROTOCOL])
    }
    #[inline]
    pub fn checksum(&self) -> u16 {
        self.u16_at(field::CHECKSUM)
    }
    #[inline]
    pub fn src_addr(&self) -> Ipv4Address {
        let b = &self.b()[field::SRC];
        Ipv4Address::new(b[0], b[1], b[2], b[3])
    }
    #[inline]
    pub fn dst_addr(&self) -> Ipv4Address {
        let b = &self.b()[field::DST];
        Ipv4Address::new(b[0], b[1], b[2], b[3])
    }
    /// The header, options included, sums to all ones (RFC 1071).
    #[inline]
    pub fn verify_checksum(&self) -> bool {
        checksum::verify(0, self.header())
    }
    /// The header, options included (`header_len` bytes).
    #[inline]
    pub fn header(&self) -> &[u8] {
        &self.b()[..self.header_len() as usize]
    }
    /// The options (empty when IHL is 5), unparsed.
    #[inline]
    pub fn options(&self) -> &[u8] {
        &self.b()[HEADER_LEN..self.header_len() as usize]
    }
    /// The payload, bounded by `total_len` (not by the buffer).
    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.b()[self.header_len() as usize..self.total_len() as usize]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv4Packet<T> {
    #[inline]
    fn m(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }
    /// Version 4 and IHL = `header_len / 4` (`header_len` in bytes, 20–60).
    pub fn set_version_and_header_len(&mut self, header_len: u8) {
        self.m()[field::VER_IHL] = 0x40 | ((header_len / 4) & 0x0f);
    }
    pub fn set_dscp_ecn(&mut self, v: u8) {
        self.m()[field::DSCP_ECN] = v;
    }
    pub fn set_total_len(&mut self, v: u16) {
        self.m()[field::LENGTH].copy_from_slice(&v.to_be_bytes());
    }
    pub fn set_ident(&mut self, v: u16) {
        self.m()[field::IDENT].copy_from_slice(&v.to_be_bytes());
    }
    fn set_flg_off(&mut self, v: u16) {
        self.m()[field::FLG_OFF].copy_from_slice(&v.to_be_bytes());
    }
    pub fn set_dont_frag(&mut self, df: bool) {
        let v = self.u16_at(field::FLG_OFF) & !FLAG_DF;
        self.set_flg_off(v | if df { FLAG_DF } else { 0 });
    }
    pub fn set_more_frags(&mut self, mf: bool) {
        let v = self.u16_at(field::FLG_OFF) & !FLAG_MF;
        self.set_flg_off(v | if mf { FLAG_MF } else { 0 });
    }
    /// Fragment offset in bytes; must be a multiple of 8 (the low 3 bits are dropped).
    pub fn set_frag_offset(&mut self, offset: u16) {
        let v = self.u16_at(field::FLG_OFF) & !OFFSET_MASK;
        self.set_flg_off(v | (offset >> 3));
    }
    pub fn set_ttl(&mut self, v: u8) {
        self.m()[field::TTL] = v;
    }
    pub fn set_protocol(&mut self, p: IpProtocol) {
        self.m()[field::PROTOCOL] = p.0;
    }
    pub fn set_checksum(&mut self, v: u16) {
        self.m()[field::CHECKSUM].copy_from_slice(&v.to_be_bytes());
    }
    pub fn set_src_addr(&mut self, a: Ipv4Address) {
        self.m()[field::SRC].copy_from_slice(&a.octets());
    }
    pub fn set_dst_addr(&mut self, a: Ipv4Address) {
        self.m()[field::DST].copy_from_slice(&a.octets());
    }
    /// Options, writable (empty when IHL is 5).
    #[inline]
    pub fn options_mut(&mut self) -> &mut [u8] {
        let hl = self.header_len() as usize;
        &mut self.m()[HEADER_LEN..hl]
    }
    /// The payload, bounded by `total_len`, writable.
    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let (hl, total) = (self.header_len() as usize, self.total_len() as usize);
        &mut self.m()[hl..total]
    }
    /// Recompute the header checksum (options included).
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let c = checksum::checksum(self.header());
        self.set_checksum(c);
    }
    /// TTL − 1 with the RFC 1624 incremental checksum update (RFC 1812 §5.3.1), without
    /// touching the rest of the header. The caller has checked TTL > 1 (a TTL of 0
    /// would wrap to 255).
    #[inline]
    pub fn decrement_ttl_incremental(&mut self) {
        // TTL and protocol share one 16-bit word at an even offset.
        let old = self.u16_at(field::TTL..field::PROTOCOL + 1);
        let b = self.m();
        b[field::TTL] = b[field::TTL].wrapping_sub(1);
        let new = self.u16_at(field::TTL..field::PROTOCOL + 1);
        let c = checksum::update16(self.checksum(), old, new);
        self.set_checksum(c);
    }
}

/// An IPv4 header without options, unfragmented.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Repr {
    pub src: Ipv4Address,
    pub dst: Ipv4Address,
    pub protocol: IpProtocol,
    pub payload_len: u16,
    pub ttl: u8,
    pub dscp_ecn: u8,
    pub ident: u16,
    pub dont_frag: bool,
}

impl Ipv4Repr {
    /// Checks the header checksum. Options are skipped (`payload_len` excludes them); a
    /// fragment is read like any datagram, its offset and MF are not kept.
    pub fn parse<T: AsRef<[u8]>>(p: &Ipv4Packet<T>) -> Result<Ipv4Repr> {
        p.check_len()?;
        if !p.verify_checksum() {
            return Err(Error::BadChecksum);
        }
        Ok(Ipv4Repr {
            src: p.src_addr(),
            dst: p.dst_addr(),
            protocol: p.protocol(),
            payload_len: p.total_len() - p.header_len() as u16,
            ttl: p.ttl(),
            dscp_ecn: p.dscp_ecn(),
            ident: p.ident(),
            dont_frag: p.dont_frag(),
        })
    }

    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Write the 20-byte header (checksum filled) into `buf`; the payload is the
    /// caller's. [`Error::BadLength`] if `payload_len` does not fit a datagram.
    pub fn emit(&self, buf: &mut [u8]) -> Result<()> {
        if self.payload_len as usize > u16::MAX as usize - HEADER_LEN {
            return Err(Error::BadLength);
        }
        if buf.len() < HEADER_LEN {
            return Err(Error::BufferTooSmall);
        }
        let mut p = Ipv4Packet::new_unchecked(&mut buf[..HEADER_LEN]);
        p.set_version_and_header_len(HEADER_LEN as u8);
        p.set_dscp_ecn(self.dscp_ecn);
        p.set_total_len(HEADER_LEN as u16 + self.payload_len);
        p.set_ident(self.ident);
        p.set_flg_off(0);
        p.set_dont_frag(self.dont_frag);
        p.set_ttl(self.ttl);
        p.set_protocol(self.protocol);
        p.set_src_addr(self.src);
        p.set_dst_addr(self.dst);
        p.fill_checksum();
        Ok(())
    }
}

/// Fuzz entry (`fuzz/`): the view, every accessor, and `parse(emit(parse(x)))` for
/// headers `Ipv4Repr` represents (no options, not a fragment).
#[cfg(fuzzing)]
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    let Ok(p) = Ipv4Packet::new_checked(data) else { return };
    let _ = (p.version(), p.dscp_ecn(), p.ident(), p.dont_frag(), p.more_frags(), p.frag_offset());
    let _ = (p.ttl(), p.protocol(), p.src_addr(), p.dst_addr(), p.verify_checksum());
    assert!(p.header().len() + p.payload().len() == p.total_len() as usize);
    let _ = p.options().len();
    let Ok(r) = Ipv4Repr::parse(&p) else { return };
    if p.header_len() as usize != HEADER_LEN || p.is_fragment() {
        return;
    }
    let mut buf = [0u8; HEADER_LEN];
    r.emit(&mut buf).expect("emit a parsed header");
    let mut whole = [0u8; 128];
    let n = data.len().min(whole.len()).min(p.total_len() as usize);
    if n < p.total_len() as usize {
        return;
    }
    whole[..HEADER_LEN].copy_from_slice(&buf);
    whole[HEADER_LEN..n].copy_from_slice(&data[HEADER_LEN..n]);
    assert_eq!(Ipv4Repr::parse(&Ipv4Packet::new_unchecked(&whole[..n])), Ok(r));
}
