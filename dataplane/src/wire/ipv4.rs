//! IPv4 header (RFC 791); options are skipped, not parsed.
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

use core::net::Ipv4Addr;

use super::checksum;
use super::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IpProtocol(pub u8);

impl IpProtocol {
    pub const ICMP: IpProtocol = IpProtocol(1);
    pub const TCP: IpProtocol = IpProtocol(6);
    pub const UDP: IpProtocol = IpProtocol(17);
    pub const GRE: IpProtocol = IpProtocol(47);
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

pub const HEADER_LEN: usize = 20;

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
        let b = buffer.as_ref();
        if b.len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        let p = Ipv4Packet { buffer };
        if p.version() != 4 {
            return Err(Error::BadVersion);
        }
        let hl = p.header_len() as usize;
        if hl < HEADER_LEN {
            return Err(Error::BadHeaderLength);
        }
        let total = p.total_len() as usize;
        if total < hl {
            return Err(Error::BadLength);
        }
        if p.buffer.as_ref().len() < total {
            return Err(Error::Truncated);
        }
        Ok(p)
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
    #[inline]
    pub fn dont_frag(&self) -> bool {
        self.u16_at(field::FLG_OFF) & 0x4000 != 0
    }
    #[inline]
    pub fn more_frags(&self) -> bool {
        self.u16_at(field::FLG_OFF) & 0x2000 != 0
    }
    /// Fragment offset in bytes.
    #[inline]
    pub fn frag_offset(&self) -> u16 {
        (self.u16_at(field::FLG_OFF) & 0x1fff) << 3
    }
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
    pub fn src_addr(&self) -> Ipv4Addr {
        let b = &self.b()[field::SRC];
        Ipv4Addr::new(b[0], b[1], b[2], b[3])
    }
    #[inline]
    pub fn dst_addr(&self) -> Ipv4Addr {
        let b = &self.b()[field::DST];
        Ipv4Addr::new(b[0], b[1], b[2], b[3])
    }
    /// The header sums to zero (RFC 1071).
    #[inline]
    pub fn verify_checksum(&self) -> bool {
        let hl = self.header_len() as usize;
        checksum::fold(checksum::sum(&self.b()[..hl])) == 0xffff
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
    pub fn set_version_and_header_len(&mut self, header_len: u8) {
        self.m()[field::VER_IHL] = 0x40 | (header_len / 4);
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
    /// Flags (DF only; MF clear) and offset zero.
    pub fn set_dont_frag(&mut self, df: bool) {
        let v: u16 = if df { 0x4000 } else { 0 };
        self.m()[field::FLG_OFF].copy_from_slice(&v.to_be_bytes());
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
    pub fn set_src_addr(&mut self, a: Ipv4Addr) {
        self.m()[field::SRC].copy_from_slice(&a.octets());
    }
    pub fn set_dst_addr(&mut self, a: Ipv4Addr) {
        self.m()[field::DST].copy_from_slice(&a.octets());
    }
    /// Recompute the header checksum.
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let hl = self.header_len() as usize;
        let c = checksum::checksum(&self.buffer.as_ref()[..hl]);
        self.set_checksum(c);
    }
    /// TTL − 1 with the RFC 1624 incremental checksum update (RFC 1812 §5.3.1).
    #[inline]
    pub fn decrement_ttl_incremental(&mut self) {
        let b = self.m();
        let old = u16::from_be_bytes([b[field::TTL], b[field::PROTOCOL]]);
        b[field::TTL] = b[field::TTL].wrapping_sub(1);
        let new = u16::from_be_bytes([b[field::TTL], b[field::PROTOCOL]]);
        let hc = u16::from_be_bytes([b[10], b[11]]);
        let c = checksum::update16(hc, old, new);
        b[field::CHECKSUM].copy_from_slice(&c.to_be_bytes());
    }
}

/// An IPv4 header without options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Repr {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub protocol: IpProtocol,
    pub payload_len: u16,
    pub ttl: u8,
    pub dscp_ecn: u8,
    pub ident: u16,
    pub dont_frag: bool,
}

impl Ipv4Repr {
    pub fn parse<T: AsRef<[u8]>>(p: &Ipv4Packet<T>) -> Result<Ipv4Repr> {
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

    /// Write the 20-byte header (checksum filled) into `buf`.
    pub fn emit(&self, buf: &mut [u8]) -> Result<()> {
        if buf.len() < HEADER_LEN || self.payload_len as usize > u16::MAX as usize - HEADER_LEN {
            return Err(Error::BufferTooSmall);
        }
        let mut p = Ipv4Packet::new_unchecked(&mut buf[..HEADER_LEN]);
        p.set_version_and_header_len(HEADER_LEN as u8);
        p.set_dscp_ecn(self.dscp_ecn);
        p.set_total_len(HEADER_LEN as u16 + self.payload_len);
        p.set_ident(self.ident);
        p.set_dont_frag(self.dont_frag);
        p.set_ttl(self.ttl);
        p.set_protocol(self.protocol);
        p.set_src_addr(self.src);
        p.set_dst_addr(self.dst);
        p.fill_checksum();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::checksum::tests::hex;
    use proptest::prelude::*;

    // /usr/bin/python3 -c "from scapy.all import *; print(bytes(IP(src='192.0.2.2',dst='198.51.100.2',ttl=17,id=0x1234,
    //   flags='DF',tos=0xb8,options=[IPOption_RR(routers=['192.0.2.1'])])/UDP(sport=1234,dport=53)/b'hello').hex())"
    const WITH_OPTIONS: &str = "47b800291234400011115bd7c0000202c6336402070704c00002010004d20035000dcac268656c6c6f";

    #[test]
    fn scapy_header_with_options() {
        let mut b = hex(WITH_OPTIONS);
        b.extend_from_slice(&[0; 6]); // Ethernet padding after the datagram
        let p = Ipv4Packet::new_checked(&b[..]).unwrap();
        assert_eq!(p.version(), 4);
        assert_eq!(p.header_len(), 28);
        assert_eq!(p.dscp_ecn(), 0xb8);
        assert_eq!(p.total_len(), 41);
        assert_eq!(p.ident(), 0x1234);
        assert!(p.dont_frag() && !p.more_frags() && !p.is_fragment());
        assert_eq!(p.ttl(), 17);
        assert_eq!(p.protocol(), IpProtocol::UDP);
        assert_eq!(p.src_addr(), Ipv4Addr::new(192, 0, 2, 2));
        assert_eq!(p.dst_addr(), Ipv4Addr::new(198, 51, 100, 2));
        assert!(p.verify_checksum());
        assert_eq!(p.payload().len(), 13);
        assert_eq!(&p.payload()[8..], b"hello");
    }

    #[test]
    fn errors() {
        let b = hex(WITH_OPTIONS);
        assert_eq!(Ipv4Packet::new_checked(&b[..19]).unwrap_err(), Error::Truncated);
        assert_eq!(Ipv4Packet::new_checked(&b[..40]).unwrap_err(), Error::Truncated, "total_len past the end");
        let mut v6 = b.clone();
        v6[0] = 0x65;
        assert_eq!(Ipv4Packet::new_checked(&v6[..]).unwrap_err(), Error::BadVersion);
        let mut ihl = b.clone();
        ihl[0] = 0x44;
        assert_eq!(Ipv4Packet::new_checked(&ihl[..]).unwrap_err(), Error::BadHeaderLength);
        let mut short = b.clone();
        short[3] = 20; // total length 20 < IHL 28
        assert_eq!(Ipv4Packet::new_checked(&short[..]).unwrap_err(), Error::BadLength);
        let mut bad = b.clone();
        bad[12] ^= 1;
        assert!(!Ipv4Packet::new_checked(&bad[..]).unwrap().verify_checksum());
    }

    proptest! {
        #[test]
        fn ttl_decrement_equals_recompute(src in any::<u32>(), dst in any::<u32>(), ttl in 1u8..=255, id in any::<u16>(), tos in any::<u8>(), proto in any::<u8>(), df in any::<bool>()) {
            let r = Ipv4Repr { src: src.into(), dst: dst.into(), protocol: IpProtocol(proto), payload_len: 0, ttl, dscp_ecn: tos, ident: id, dont_frag: df };
            let mut b = [0u8; 20];
            r.emit(&mut b).unwrap();
            let mut p = Ipv4Packet::new_unchecked(&mut b[..]);
            p.decrement_ttl_incremental();
            prop_assert!(p.verify_checksum());
            let inc = p.checksum();
            p.fill_checksum();
            let full = p.checksum();
            prop_assert!(inc == full || (inc == 0xffff && full == 0) || (inc == 0 && full == 0xffff));
            prop_assert_eq!(p.ttl(), ttl - 1);
        }

        #[test]
        fn round_trip(src in any::<u32>(), dst in any::<u32>(), ttl in any::<u8>(), id in any::<u16>(), tos in any::<u8>(), proto in any::<u8>(), df in any::<bool>(), len in 0u16..1000) {
            let r = Ipv4Repr { src: src.into(), dst: dst.into(), protocol: IpProtocol(proto), payload_len: len, ttl, dscp_ecn: tos, ident: id, dont_frag: df };
            let mut b = vec![0u8; 20 + len as usize];
            r.emit(&mut b).unwrap();
            let p = Ipv4Packet::new_checked(&b[..]).unwrap();
            prop_assert_eq!(Ipv4Repr::parse(&p), Ok(r));
        }

        #[test]
        fn never_panics(data in proptest::collection::vec(any::<u8>(), 0..80)) {
            if let Ok(p) = Ipv4Packet::new_checked(&data[..]) {
                let _ = (p.payload(), p.verify_checksum(), p.src_addr(), p.frag_offset());
                let _ = Ipv4Repr::parse(&p);
            }
        }
    }
}
