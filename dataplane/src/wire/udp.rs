//! UDP (RFC 768) over IPv4.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Source Port          |       Destination Port        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |            Length             |           Checksum            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                          data ...                             |
//! ```
//!
//! The checksum covers the IPv4 pseudo-header, the UDP header and the data. Over IPv4 a
//! checksum of zero means the sender computed none (RFC 768); a computed zero is sent
//! as 0xffff.

use super::checksum;
use super::ipv4::{IpProtocol, Ipv4Address};
use super::{Error, Result};

mod field {
    use core::ops::Range;
    pub const SRC_PORT: Range<usize> = 0..2;
    pub const DST_PORT: Range<usize> = 2..4;
    pub const LENGTH: Range<usize> = 4..6;
    pub const CHECKSUM: Range<usize> = 6..8;
    pub const PAYLOAD: usize = 8;
}

pub const HEADER_LEN: usize = field::PAYLOAD;

/// L2TP's registered port (RFC 2661 §8.1).
pub const PORT_L2TP: u16 = 1701;

/// A view of a UDP datagram.
#[derive(Debug, Clone)]
pub struct UdpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

#[allow(clippy::len_without_is_empty)] // `len` is the UDP length field.
impl<T: AsRef<[u8]>> UdpPacket<T> {
    pub const fn new_unchecked(buffer: T) -> Self {
        UdpPacket { buffer }
    }

    /// The 8-byte header is there, the length field is at least 8 and within the buffer.
    /// The buffer may be longer (it is usually the IP payload, which should match).
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = UdpPacket { buffer };
        p.check_len()?;
        Ok(p)
    }

    /// The checks of [`Self::new_checked`], for a view made with `new_unchecked`.
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(Error::Truncated);
        }
        let field_len = self.len() as usize;
        if field_len < HEADER_LEN {
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
    fn u16_at(&self, r: core::ops::Range<usize>) -> u16 {
        let b = &self.buffer.as_ref()[r];
        u16::from_be_bytes([b[0], b[1]])
    }
    #[inline]
    pub fn src_port(&self) -> u16 {
        self.u16_at(field::SRC_PORT)
    }
    #[inline]
    pub fn dst_port(&self) -> u16 {
        self.u16_at(field::DST_PORT)
    }
    /// The length field: header plus data.
    #[inline]
    pub fn len(&self) -> u16 {
        self.u16_at(field::LENGTH)
    }
    #[inline]
    pub fn checksum(&self) -> u16 {
        self.u16_at(field::CHECKSUM)
    }
    /// The data, bounded by the length field.
    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[field::PAYLOAD..self.len() as usize]
    }
    /// True when the checksum is right or absent (zero).
    pub fn verify_checksum(&self, src: Ipv4Address, dst: Ipv4Address) -> bool {
        if self.checksum() == 0 {
            return true;
        }
        let len = self.len();
        let ph = checksum::pseudo_header_v4(src.to_bits(), dst.to_bits(), IpProtocol::UDP.0, len);
        checksum::verify(ph, &self.buffer.as_ref()[..len as usize])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> UdpPacket<T> {
    #[inline]
    fn set_u16(&mut self, r: core::ops::Range<usize>, v: u16) {
        self.buffer.as_mut()[r].copy_from_slice(&v.to_be_bytes());
    }
    #[inline]
    pub fn set_src_port(&mut self, v: u16) {
        self.set_u16(field::SRC_PORT, v);
    }
    #[inline]
    pub fn set_dst_port(&mut self, v: u16) {
        self.set_u16(field::DST_PORT, v);
    }
    #[inline]
    pub fn set_len(&mut self, v: u16) {
        self.set_u16(field::LENGTH, v);
    }
    #[inline]
    pub fn set_checksum(&mut self, v: u16) {
        self.set_u16(field::CHECKSUM, v);
    }
    /// The data, bounded by the length field, writable.
    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let len = self.len() as usize;
        &mut self.buffer.as_mut()[field::PAYLOAD..len]
    }
    /// Compute the checksum over pseudo-header, header and data (up to the length
    /// field); a result of zero is written as 0xffff (RFC 768).
    pub fn fill_checksum(&mut self, src: Ipv4Address, dst: Ipv4Address) {
        self.set_checksum(0);
        let len = self.len();
        let ph = checksum::pseudo_header_v4(src.to_bits(), dst.to_bits(), IpProtocol::UDP.0, len);
        let c = !checksum::fold(ph + checksum::sum(&self.buffer.as_ref()[..len as usize]));
        self.set_checksum(if c == 0 { 0xffff } else { c });
    }
}

/// A UDP datagram over IPv4.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UdpRepr<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub payload: &'a [u8],
}

impl<'a> UdpRepr<'a> {
    /// Checks the length field and, unless it is zero, the checksum.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        p: &UdpPacket<&'a T>,
        src: Ipv4Address,
        dst: Ipv4Address,
    ) -> Result<UdpRepr<'a>> {
        p.check_len()?;
        if !p.verify_checksum(src, dst) {
            return Err(Error::BadChecksum);
        }
        Ok(UdpRepr {
            src_port: p.src_port(),
            dst_port: p.dst_port(),
            payload: &p.buffer.as_ref()[field::PAYLOAD..p.len() as usize],
        })
    }

    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.payload.len()
    }

    /// Write header and data into `buf[..self.buffer_len()]`, checksum filled.
    /// [`Error::BadLength`] if the datagram would not fit the 16-bit length field.
    pub fn emit(&self, buf: &mut [u8], src: Ipv4Address, dst: Ipv4Address) -> Result<()> {
        let len = self.buffer_len();
        let Ok(len16) = u16::try_from(len) else {
            return Err(Error::BadLength);
        };
        if buf.len() < len {
            return Err(Error::BufferTooSmall);
        }
        let mut p = UdpPacket::new_unchecked(&mut buf[..len]);
        p.set_src_port(self.src_port);
        p.set_dst_port(self.dst_port);
        p.set_len(len16);
        p.payload_mut().copy_from_slice(self.payload);
        p.fill_checksum(src, dst);
        Ok(())
    }
}

/// Fuzz entry (`fuzz/`): the view, every accessor, and `parse(emit(parse(x)))` with
/// fixed pseudo-header addresses.
#[cfg(fuzzing)]
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    let (src, dst) = (Ipv4Address::new(192, 0, 2, 1), Ipv4Address::new(198, 51, 100, 2));
    let Ok(p) = UdpPacket::new_checked(data) else { return };
    let _ = (p.src_port(), p.dst_port(), p.checksum(), p.payload().len(), p.verify_checksum(src, dst));
    let Ok(r) = UdpRepr::parse(&p, src, dst) else { return };
    let mut buf = [0u8; 2048];
    if r.buffer_len() > buf.len() {
        return;
    }
    r.emit(&mut buf, src, dst).expect("emit a parsed datagram");
    let again = UdpPacket::new_unchecked(&buf[..r.buffer_len()]);
    assert_eq!(UdpRepr::parse(&again, src, dst), Ok(r));
}
