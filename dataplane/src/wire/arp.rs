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

use core::net::Ipv4Addr;

use super::ethernet::EthernetAddress;
use super::{Error, Result};

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
    /// Ethernet/IPv4 is a separate question ([`Self::is_ethernet_ipv4`]).
    pub fn new_checked(buffer: T) -> Result<Self> {
        if buffer.as_ref().len() < PACKET_LEN {
            return Err(Error::Truncated);
        }
        Ok(ArpPacket { buffer })
    }

    fn u16_at(&self, r: core::ops::Range<usize>) -> u16 {
        let b = &self.buffer.as_ref()[r];
        u16::from_be_bytes([b[0], b[1]])
    }

    pub fn hardware_type(&self) -> u16 {
        self.u16_at(field::HTYPE)
    }
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
        self.hardware_type() == 1 && self.protocol_type() == 0x0800 && self.hardware_len() == 6 && self.protocol_len() == 4
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
    fn ip(&self, r: core::ops::Range<usize>) -> Ipv4Addr {
        let b = &self.buffer.as_ref()[r];
        Ipv4Addr::new(b[0], b[1], b[2], b[3])
    }
    #[inline]
    pub fn source_hardware_addr(&self) -> EthernetAddress {
        self.mac(field::SHA)
    }
    #[inline]
    pub fn source_protocol_addr(&self) -> Ipv4Addr {
        self.ip(field::SPA)
    }
    #[inline]
    pub fn target_hardware_addr(&self) -> EthernetAddress {
        self.mac(field::THA)
    }
    #[inline]
    pub fn target_protocol_addr(&self) -> Ipv4Addr {
        self.ip(field::TPA)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> ArpPacket<T> {
    #[inline]
    pub fn set_operation(&mut self, op: ArpOperation) {
        self.buffer.as_mut()[field::OPER].copy_from_slice(&op.0.to_be_bytes());
    }
    #[inline]
    pub fn set_source_hardware_addr(&mut self, a: EthernetAddress) {
        self.buffer.as_mut()[field::SHA].copy_from_slice(&a.0);
    }
    #[inline]
    pub fn set_source_protocol_addr(&mut self, a: Ipv4Addr) {
        self.buffer.as_mut()[field::SPA].copy_from_slice(&a.octets());
    }
    #[inline]
    pub fn set_target_hardware_addr(&mut self, a: EthernetAddress) {
        self.buffer.as_mut()[field::THA].copy_from_slice(&a.0);
    }
    #[inline]
    pub fn set_target_protocol_addr(&mut self, a: Ipv4Addr) {
        self.buffer.as_mut()[field::TPA].copy_from_slice(&a.octets());
    }
}

/// An Ethernet/IPv4 ARP message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArpRepr {
    EthernetIpv4 {
        operation: ArpOperation,
        source_hardware_addr: EthernetAddress,
        source_protocol_addr: Ipv4Addr,
        target_hardware_addr: EthernetAddress,
        target_protocol_addr: Ipv4Addr,
    },
}

impl ArpRepr {
    pub fn parse<T: AsRef<[u8]>>(p: &ArpPacket<T>) -> Result<ArpRepr> {
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
        buf[field::HTYPE].copy_from_slice(&1u16.to_be_bytes());
        buf[field::PTYPE].copy_from_slice(&0x0800u16.to_be_bytes());
        buf[field::HLEN] = 6;
        buf[field::PLEN] = 4;
        let mut p = ArpPacket::new_unchecked(&mut buf[..PACKET_LEN]);
        p.set_operation(operation);
        p.set_source_hardware_addr(source_hardware_addr);
        p.set_source_protocol_addr(source_protocol_addr);
        p.set_target_hardware_addr(target_hardware_addr);
        p.set_target_protocol_addr(target_protocol_addr);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::checksum::tests::hex;
    use proptest::prelude::*;

    // /usr/bin/python3 -c "from scapy.all import *; print(bytes(ARP(op=1,hwsrc='02:00:00:00:00:02',psrc='192.0.2.2',pdst='192.0.2.1')).hex())"
    const REQUEST: &str = "0001080006040001020000000002c0000202000000000000c0000201";
    // ... ARP(op=2,hwsrc='02:00:00:00:00:01',psrc='192.0.2.1',hwdst='02:00:00:00:00:02',pdst='192.0.2.2')
    const REPLY: &str = "0001080006040002020000000001c0000201020000000002c0000202";

    #[test]
    fn scapy_request_and_reply() {
        let b = hex(REQUEST);
        let p = ArpPacket::new_checked(&b[..]).unwrap();
        assert!(p.is_ethernet_ipv4());
        assert_eq!(p.operation(), ArpOperation::REQUEST);
        assert_eq!(p.source_hardware_addr().to_string(), "02:00:00:00:00:02");
        assert_eq!(p.source_protocol_addr(), Ipv4Addr::new(192, 0, 2, 2));
        assert_eq!(p.target_protocol_addr(), Ipv4Addr::new(192, 0, 2, 1));

        let reply = ArpRepr::EthernetIpv4 {
            operation: ArpOperation::REPLY,
            source_hardware_addr: EthernetAddress([2, 0, 0, 0, 0, 1]),
            source_protocol_addr: Ipv4Addr::new(192, 0, 2, 1),
            target_hardware_addr: EthernetAddress([2, 0, 0, 0, 0, 2]),
            target_protocol_addr: Ipv4Addr::new(192, 0, 2, 2),
        };
        let mut out = [0u8; 28];
        reply.emit(&mut out).unwrap();
        assert_eq!(out.to_vec(), hex(REPLY));
    }

    #[test]
    fn bad_arp() {
        assert_eq!(ArpPacket::new_checked(&[0u8; 27][..]).unwrap_err(), Error::Truncated);
        let mut b = hex(REQUEST);
        b[1] = 6; // IEEE 802 hardware type
        let p = ArpPacket::new_checked(&b[..]).unwrap();
        assert!(!p.is_ethernet_ipv4());
        assert_eq!(ArpRepr::parse(&p), Err(Error::Unsupported));
    }

    proptest! {
        #[test]
        fn round_trip(op in any::<u16>(), sha in any::<[u8; 6]>(), spa in any::<u32>(), tha in any::<[u8; 6]>(), tpa in any::<u32>()) {
            let r = ArpRepr::EthernetIpv4 {
                operation: ArpOperation(op),
                source_hardware_addr: EthernetAddress(sha),
                source_protocol_addr: spa.into(),
                target_hardware_addr: EthernetAddress(tha),
                target_protocol_addr: tpa.into(),
            };
            let mut b = [0u8; 28];
            r.emit(&mut b).unwrap();
            prop_assert_eq!(ArpRepr::parse(&ArpPacket::new_checked(&b[..]).unwrap()), Ok(r));
        }

        #[test]
        fn never_panics(data in proptest::collection::vec(any::<u8>(), 0..40)) {
            if let Ok(p) = ArpPacket::new_checked(&data[..]) {
                let _ = ArpRepr::parse(&p);
                let _ = (p.operation(), p.source_hardware_addr(), p.target_protocol_addr());
            }
        }
    }
}
