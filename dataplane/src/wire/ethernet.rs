//! Ethernet II with up to two VLAN tags (IEEE 802.1Q, 802.1ad QinQ).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    destination MAC (6)                        |
//! +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                               |                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+        source MAC (6)         +
//! |                                                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  TPID 0x88a8/0x8100 (opt.)    | PCP |D|  VID (outer tag)      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  TPID 0x8100 (opt.)           | PCP |D|  VID (inner tag)      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          EtherType            |  payload ...
//! ```

use super::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct EthernetAddress(pub [u8; 6]);

impl EthernetAddress {
    pub const BROADCAST: EthernetAddress = EthernetAddress([0xff; 6]);

    pub fn is_broadcast(&self) -> bool {
        self.0 == [0xff; 6]
    }
    pub fn is_multicast(&self) -> bool {
        self.0[0] & 1 != 0
    }
    pub fn is_unicast(&self) -> bool {
        !self.is_multicast()
    }
}

impl core::fmt::Display for EthernetAddress {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let b = self.0;
        write!(f, "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3], b[4], b[5])
    }
}

impl core::str::FromStr for EthernetAddress {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let mut out = [0u8; 6];
        let mut parts = s.split([':', '-']);
        for b in out.iter_mut() {
            let p = parts.next().ok_or(Error::Truncated)?;
            if p.len() != 2 {
                return Err(Error::Unsupported);
            }
            *b = u8::from_str_radix(p, 16).map_err(|_| Error::Unsupported)?;
        }
        if parts.next().is_some() {
            return Err(Error::Unsupported);
        }
        Ok(EthernetAddress(out))
    }
}

/// An EtherType or TPID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EtherType(pub u16);

impl EtherType {
    pub const IPV4: EtherType = EtherType(0x0800);
    pub const ARP: EtherType = EtherType(0x0806);
    pub const VLAN: EtherType = EtherType(0x8100);
    pub const QINQ: EtherType = EtherType(0x88a8);
    /// Pre-standard QinQ TPID some switches still use.
    pub const QINQ_OLD: EtherType = EtherType(0x9100);
    pub const PPPOE_DISCOVERY: EtherType = EtherType(0x8863);
    pub const PPPOE_SESSION: EtherType = EtherType(0x8864);
    pub const IPV6: EtherType = EtherType(0x86dd);

    #[inline]
    pub fn is_vlan_tpid(self) -> bool {
        self == Self::VLAN || self == Self::QINQ || self == Self::QINQ_OLD
    }
}

mod field {
    use core::ops::Range;
    pub const DST: Range<usize> = 0..6;
    pub const SRC: Range<usize> = 6..12;
    pub const ETHERTYPE: Range<usize> = 12..14;
    pub const PAYLOAD: usize = 14;
}

/// Length of an untagged Ethernet header.
pub const HEADER_LEN: usize = field::PAYLOAD;

/// A view of an untagged Ethernet II header.
#[derive(Debug, Clone)]
pub struct EthernetFrame<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> EthernetFrame<T> {
    pub const fn new_unchecked(buffer: T) -> Self {
        EthernetFrame { buffer }
    }
    pub fn new_checked(buffer: T) -> Result<Self> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        Ok(EthernetFrame { buffer })
    }
    pub fn into_inner(self) -> T {
        self.buffer
    }
    #[inline]
    pub fn dst_addr(&self) -> EthernetAddress {
        let mut a = [0; 6];
        a.copy_from_slice(&self.buffer.as_ref()[field::DST]);
        EthernetAddress(a)
    }
    #[inline]
    pub fn src_addr(&self) -> EthernetAddress {
        let mut a = [0; 6];
        a.copy_from_slice(&self.buffer.as_ref()[field::SRC]);
        EthernetAddress(a)
    }
    #[inline]
    pub fn ethertype(&self) -> EtherType {
        let b = &self.buffer.as_ref()[field::ETHERTYPE];
        EtherType(u16::from_be_bytes([b[0], b[1]]))
    }
    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[field::PAYLOAD..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> EthernetFrame<T> {
    #[inline]
    pub fn set_dst_addr(&mut self, a: EthernetAddress) {
        self.buffer.as_mut()[field::DST].copy_from_slice(&a.0);
    }
    #[inline]
    pub fn set_src_addr(&mut self, a: EthernetAddress) {
        self.buffer.as_mut()[field::SRC].copy_from_slice(&a.0);
    }
    #[inline]
    pub fn set_ethertype(&mut self, t: EtherType) {
        self.buffer.as_mut()[field::ETHERTYPE].copy_from_slice(&t.0.to_be_bytes());
    }
    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::PAYLOAD..]
    }
}

/// One 802.1Q tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VlanTag {
    pub tpid: EtherType,
    pub pcp: u8,
    pub dei: bool,
    pub vid: u16,
}

impl VlanTag {
    #[inline]
    fn tci(&self) -> u16 {
        (self.pcp as u16 & 7) << 13 | (self.dei as u16) << 12 | (self.vid & 0x0fff)
    }
}

/// An Ethernet header with its tags, as `parse_l2` reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct L2Header {
    pub dst: EthernetAddress,
    pub src: EthernetAddress,
    pub outer_vlan: Option<VlanTag>,
    pub inner_vlan: Option<VlanTag>,
    /// The EtherType after the tags.
    pub ethertype: EtherType,
    /// Where the payload starts: 14, 18 or 22.
    pub header_len: usize,
}

/// Read an Ethernet header with zero, one or two VLAN tags.
#[inline]
pub fn parse_l2(frame: &[u8]) -> Result<L2Header> {
    if frame.len() < HEADER_LEN {
        return Err(Error::Truncated);
    }
    let f = EthernetFrame::new_unchecked(frame);
    let mut h = L2Header {
        dst: f.dst_addr(),
        src: f.src_addr(),
        outer_vlan: None,
        inner_vlan: None,
        ethertype: f.ethertype(),
        header_len: HEADER_LEN,
    };
    for depth in 0..3 {
        if !h.ethertype.is_vlan_tpid() {
            return Ok(h);
        }
        if depth == 2 {
            return Err(Error::TooManyTags);
        }
        let at = h.header_len;
        let Some(b) = frame.get(at..at + 4) else { return Err(Error::Truncated) };
        let tci = u16::from_be_bytes([b[0], b[1]]);
        let tag = VlanTag { tpid: h.ethertype, pcp: (tci >> 13) as u8, dei: tci & 0x1000 != 0, vid: tci & 0x0fff };
        if depth == 0 {
            h.outer_vlan = Some(tag);
        } else {
            h.inner_vlan = Some(tag);
        }
        h.ethertype = EtherType(u16::from_be_bytes([b[2], b[3]]));
        h.header_len += 4;
    }
    Ok(h)
}

/// Write an Ethernet header with 0–2 tags into `buf`; returns its length.
pub fn emit_l2(h: &L2Header, buf: &mut [u8]) -> Result<usize> {
    let len = HEADER_LEN + 4 * (h.outer_vlan.is_some() as usize + h.inner_vlan.is_some() as usize);
    if buf.len() < len {
        return Err(Error::BufferTooSmall);
    }
    buf[field::DST].copy_from_slice(&h.dst.0);
    buf[field::SRC].copy_from_slice(&h.src.0);
    let mut at = 12;
    for tag in [h.outer_vlan, h.inner_vlan].into_iter().flatten() {
        buf[at..at + 2].copy_from_slice(&tag.tpid.0.to_be_bytes());
        buf[at + 2..at + 4].copy_from_slice(&tag.tci().to_be_bytes());
        at += 4;
    }
    buf[at..at + 2].copy_from_slice(&h.ethertype.0.to_be_bytes());
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::checksum::tests::hex;
    use proptest::prelude::*;

    #[test]
    fn qinq_from_scapy() {
        // /usr/bin/python3 -c "from scapy.all import *; print(bytes(Ether(dst='02:00:00:00:00:01',src='02:00:00:00:00:02',type=0x88a8)/Dot1Q(vlan=100,prio=5)/Dot1Q(vlan=200)/IP(dst='192.0.2.1')).hex())"
        let f = hex("02000000000102000000000288a8a064810000c8080045000014000100004000f6e5c0000202c0000201");
        let h = parse_l2(&f).unwrap();
        assert_eq!(h.dst, EthernetAddress([2, 0, 0, 0, 0, 1]));
        assert_eq!(h.src.to_string(), "02:00:00:00:00:02");
        assert_eq!(h.outer_vlan, Some(VlanTag { tpid: EtherType::QINQ, pcp: 5, dei: false, vid: 100 }));
        assert_eq!(h.inner_vlan, Some(VlanTag { tpid: EtherType::VLAN, pcp: 0, dei: false, vid: 200 }));
        assert_eq!(h.ethertype, EtherType::IPV4);
        assert_eq!(h.header_len, 22);
        let mut out = [0u8; 22];
        assert_eq!(emit_l2(&h, &mut out), Ok(22));
        assert_eq!(&out[..], &f[..22]);
    }

    #[test]
    fn untagged_and_errors() {
        let f = hex("ffffffffffff0200000000020806");
        let h = parse_l2(&f).unwrap();
        assert!(h.dst.is_broadcast());
        assert_eq!((h.ethertype, h.header_len, h.outer_vlan), (EtherType::ARP, 14, None));
        assert_eq!(parse_l2(&f[..13]), Err(Error::Truncated));
        // A tag announced but cut off.
        assert_eq!(parse_l2(&hex("ffffffffffff02000000000281000064")), Err(Error::Truncated));
        // Three tags.
        assert_eq!(parse_l2(&hex("ffffffffffff02000000000288a800018100000281000003080000")), Err(Error::TooManyTags));
        assert_eq!("02:0a:0B:0c:0d:0e".parse::<EthernetAddress>(), Ok(EthernetAddress([2, 10, 11, 12, 13, 14])));
        assert!("02:0a:0b:0c:0d".parse::<EthernetAddress>().is_err());
        assert!("02:0a:0b:0c:0d:0e:0f".parse::<EthernetAddress>().is_err());
    }

    proptest! {
        #[test]
        fn parse_never_panics(data in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = parse_l2(&data);
        }

        #[test]
        fn emit_parse_round_trip(dst in any::<[u8; 6]>(), src in any::<[u8; 6]>(), tags in 0usize..3, vid in 0u16..4096, pcp in 0u8..8, dei in any::<bool>(), et in 0x0600u16..0x8000) {
            let t = VlanTag { tpid: EtherType::VLAN, pcp, dei, vid };
            let h = L2Header {
                dst: EthernetAddress(dst), src: EthernetAddress(src),
                outer_vlan: if tags > 0 { Some(VlanTag { tpid: EtherType::QINQ, ..t }) } else { None },
                inner_vlan: if tags > 1 { Some(t) } else { None },
                ethertype: EtherType(et), header_len: 14 + 4 * tags,
            };
            let mut buf = [0u8; 22];
            let n = emit_l2(&h, &mut buf).unwrap();
            prop_assert_eq!(parse_l2(&buf[..n]), Ok(h));
        }
    }
}
