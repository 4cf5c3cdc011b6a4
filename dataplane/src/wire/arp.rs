//! ARP for Ethernet and IPv4 (RFC 826).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     hardware type (1)         |     protocol type (0x0800)    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | hw len (6)    | proto len (4) |         operation             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   sender hardware address (6), sender protocol address (4),  |
//! |   target hardware address (6), target protocol address (4)   |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use super::ethernet::{EtherType, EthernetAddress};
use super::ipv4::Ipv4Address;
use super::{Error, Result};

/// Hardware type 1: Ethernet (10Mb), which every MAC-48 link uses.
const HTYPE_ETHERNET: u16 = 1;

/// The ARP opcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ArpOperation(pub u16);

impl ArpOperation {
    pub const REQUEST: ArpOperation = ArpOperation(1);
    pub const REPLY: ArpOperation = ArpOperation(2);
}

mod field {
    use core::ops::Range;
    pub const HTYPE: Range<usize> = 0..2;
    pub const PTYPE: Range<usize> = 2..4;
    pub const HLEN: usize = 4;
    pub const PLEN: usize = 5;
    pub const OPER: Range<usize> = 6..8;
    pub const SHA: Range<usize> = 8..14;
    pub const SPA: Range<usize> = 14..18;
    pub const THA: Range<usize> = 18..24;
    pub const TPA: Range<usize> = 24..28;
}

/// Length of an Ethernet/IPv4 ARP packet.
pub const PACKET_LEN: usize = 28;

#[derive(Debug, Clone)]
pub struct ArpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> ArpPacket<T> {
    pub const fn new_unchecked(buffer: T) -> Self {
        ArpPacket { buffer }
    }

    /// Checks there are 28 bytes: enough for every accessor. Whether the packet is
    /// Ethernet/IPv4 is a separate question ([`Self::is_ethernet_ipv4`]), which
    /// [`ArpRepr::parse`] asks.
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = ArpPacket { buffer };
        p.check_len()?;
        Ok(p)
    }

    /// The check of [`Self::new_checked`], for a view made with `new_unchecked`.
    pub fn check_len(&self) -> Result<()> {
        if self.buffer.as_ref().len() < PACKET_LEN {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn u16_at(&self, r: core::ops::Range<usize>) -> u16 {
        let b = &self.buffer.as_ref()[r];
        u16::from_be_bytes([b[0], b[1]])
    }

    /// 1 is Ethernet (IANA "Hardware Types").
    pub fn hardware_type(&self) -> u16 {
        self.u16_at(field::HTYPE)
    }
    /// An EtherType; 0x0800 is IPv4.
    pub fn protocol_type(&self) -> u16 {
        self.u16_at(field::PTYPE)
    }
    pub fn hardware_len(&self) -> u8 {
        self.buffer.as_ref()[field::HLEN]
    }
    pub fn protocol_len(&self) -> u8 {
        self.buffer.as_ref()[field::PLEN]
    }
    /// Hardware type 1 (Ethernet), protocol 0x0800, lengths 6 and 4.
    #[inline]
    pub fn is_ethernet_ipv4(&self) -> bool {
        self.hardware_type() == HTYPE_ETHERNET
            && self.protocol_type() == EtherType::IPV4.0
            && self.hardware_len() == 6
            && self.protocol_len() == 4
    }
    #[inline]
    pub fn operation(&self) -> ArpOperation {
        ArpOperation(self.u16_at(field::OPER))
    }
    fn mac(&self, r: core::ops::Range<usize>) -> EthernetAddress {
        let mut a = [0; 6];
        a.copy_from_slice(&self.buffer.as_ref()[r]);
        EthernetAddress(a)
    }
    fn ip(&self, r: core::ops::Range<usize>) -> Ipv4Address {
        let b = &self.buffer.as_ref()[r];
        Ipv4Address::new(b[0], b[1], b[2], b[3])
    }
    #[inline]
    pub fn source_hardware_addr(&self) -> EthernetAddress {
        self.mac(field::SHA)
    }
    #[inline]
    pub fn source_protocol_addr(&self) -> Ipv4Address {
        self.ip(field::SPA)
    }
    #[inline]
    pub fn target_hardware_addr(&self) -> EthernetAddress {
        self.mac(field::THA)
    }
    #[inline]
    pub fn target_protocol_addr(&self) -> Ipv4Address {
        self.ip(field::TPA)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> ArpPacket<T> {
    fn set_u16(&mut self, r: core::ops::Range<usize>, v: u16) {
        self.buffer.as_mut()[r].copy_from_slice(&v.to_be_bytes());
    }
    pub fn set_hardware_type(&mut self, v: u16) {
        self.set_u16(field::HTYPE, v);
    }
    pub fn set_protocol_type(&mut self, v: u16) {
        self.set_u16(field::PTYPE, v);
    }
    pub fn set_hardware_len(&mut self, v: u8) {
        self.buffer.as_mut()[field::HLEN] = v;
    }
    pub fn set_protocol_len(&mut self, v: u8) {
        self.buffer.as_mut()[field::PLEN] = v;
    }
    #[inline]
    pub fn set_operation(&mut self, op: ArpOperation) {
        self.buffer.as_mut()[field::OPER].copy_from_slice(&op.0.to_be_bytes());
    }
    #[inline]
    pub fn set_source_hardware_addr(&mut self, a: EthernetAddress) {
        self.buffer.as_mut()[field::SHA].copy_from_slice(&a.0);
    }
    #[inline]
    pub fn set_source_protocol_addr(&mut self, a: Ipv4Address) {
        self.buffer.as_mut()[field::SPA].copy_from_slice(&a.octets());
    }
    #[inline]
    pub fn set_target_hardware_addr(&mut self, a: EthernetAddress) {
        self.buffer.as_mut()[field::THA].copy_from_slice(&a.0);
    }
    #[inline]
    pub fn set_target_protocol_addr(&mut self, a: Ipv4Address) {
        self.buffer.as_mut()[field::TPA].copy_from_slice(&a.octets());
    }
}

/// An Ethernet/IPv4 ARP message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArpRepr {
    EthernetIpv4 {
        operation: ArpOperation,
        source_hardware_addr: EthernetAddress,
        source_protocol_addr: Ipv4Address,
        target_hardware_addr: EthernetAddress,
        target_protocol_addr: Ipv4Address,
    },
}

impl ArpRepr {
    /// [`Error::Unsupported`] unless hardware type is Ethernet, protocol type IPv4 and
    /// the address lengths 6 and 4.
    pub fn parse<T: AsRef<[u8]>>(p: &ArpPacket<T>) -> Result<ArpRepr> {
        p.check_len()?;
        if !p.is_ethernet_ipv4() {
            return Err(Error::Unsupported);
        }
        Ok(ArpRepr::EthernetIpv4 {
            operation: p.operation(),
            source_hardware_addr: p.source_hardware_addr(),
            source_protocol_addr: p.source_protocol_addr(),
            target_hardware_addr: p.target_hardware_addr(),
            target_protocol_addr: p.target_protocol_addr(),
        })
    }

    pub const fn buffer_len(&self) -> usize {
        PACKET_LEN
    }

    pub fn emit(&self, buf: &mut [u8]) -> Result<()> {
        if buf.len() < PACKET_LEN {
            return Err(Error::BufferTooSmall);
        }
        let ArpRepr::EthernetIpv4 {
            operation,
            source_hardware_addr,
            source_protocol_addr,
            target_hardware_addr,
            target_protocol_addr,
        } = *self;
        let mut p = ArpPacket::new_unchecked(&mut buf[..PACKET_LEN]);
        p.set_hardware_type(HTYPE_ETHERNET);
        p.set_protocol_type(EtherType::IPV4.0);
        p.set_hardware_len(6);
        p.set_protocol_len(4);
        p.set_operation(operation);
        p.set_source_hardware_addr(source_hardware_addr);
        p.set_source_protocol_addr(source_protocol_addr);
        p.set_target_hardware_addr(target_hardware_addr);
        p.set_target_protocol_addr(target_protocol_addr);
        Ok(())
    }
}

/// Fuzz entry (`fuzz/`): the view, every accessor, and `parse(emit(parse(x)))`.
#[cfg(fuzzing)]
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    let Ok(p) = ArpPacket::new_checked(data) else { return };
    let _ = (p.hardware_type(), p.protocol_type(), p.hardware_len(), p.protocol_len(), p.operation());
    let _ = (p.source_hardware_addr(), p.source_protocol_addr(), p.target_hardware_addr(), p.target_protocol_addr());
    if let Ok(r) = ArpRepr::parse(&p) {
        let mut buf = [0u8; PACKET_LEN];
        r.emit(&mut buf).expect("emit a parsed ARP message");
        assert_eq!(ArpRepr::parse(&ArpPacket::new_unchecked(&buf[..])), Ok(r));
    }
}
