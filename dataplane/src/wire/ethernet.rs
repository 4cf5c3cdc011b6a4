//! Ethernet II with up to two VLAN tags (IEEE 802.3 §3.2, IEEE 802.1Q §9.6, 802.1ad QinQ).
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
//! | TPID 88a8/8100/9100 (optional)| PCP |D|  VID (outer tag)      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | TPID 8100 (optional)          | PCP |D|  VID (inner tag)      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          EtherType            |  payload ...
//! ```
//!
//! 802.3 length/LLC frames (EtherType field < 0x0600) are not told apart: the field is
//! returned as an [`EtherType`] and nothing dispatches on it.

use super::{Error, Result};

/// A MAC-48 address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct EthernetAddress(pub [u8; 6]);

impl EthernetAddress {
    pub const BROADCAST: EthernetAddress = EthernetAddress([0xff; 6]);

    #[inline]
    pub const fn is_broadcast(&self) -> bool {
        let b = self.0;
        b[0] & b[1] & b[2] & b[3] & b[4] & b[5] == 0xff
    }
    /// The I/G bit (least significant bit of the first octet) is set; broadcast is
    /// multicast too.
    #[inline]
    pub const fn is_multicast(&self) -> bool {
        self.0[0] & 1 != 0
    }
    #[inline]
    pub const fn is_unicast(&self) -> bool {
        !self.is_multicast()
    }
}

impl core::fmt::Display for EthernetAddress {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let b = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}

/// Six two-digit hex octets separated by `:` or `-`, either case.
impl core::str::FromStr for EthernetAddress {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let mut out = [0u8; 6];
        let mut parts = s.split([':', '-']);
        for b in out.iter_mut() {
            let p = parts.next().ok_or(Error::BadAddress)?;
            // from_str_radix alone would take "+f".
            if p.len() != 2 || !p.bytes().all(|c| c.is_ascii_hexdigit()) {
                return Err(Error::BadAddress);
            }
            *b = u8::from_str_radix(p, 16).map_err(|_| Error::BadAddress)?;
        }
        if parts.next().is_some() {
            return Err(Error::BadAddress);
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

    /// 0x8100, 0x88a8 or 0x9100: a VLAN tag follows instead of a payload.
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
/// Length of one VLAN tag (TPID + TCI).
pub const VLAN_TAG_LEN: usize = 4;

/// A view of an Ethernet II header. In a tagged frame `ethertype()` is the outer TPID and
/// the payload starts with the tag; [`parse_l2`] reads through the tags.
#[derive(Debug, Clone)]
pub struct EthernetFrame<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> EthernetFrame<T> {
    pub const fn new_unchecked(buffer: T) -> Self {
        EthernetFrame { buffer }
    }
    /// At least the 14-byte header.
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
    /// The tag protocol identifier that announced this tag.
    pub tpid: EtherType,
    /// Priority code point, 0–7.
    pub pcp: u8,
    /// Drop eligible indicator (formerly CFI).
    pub dei: bool,
    /// VLAN identifier, 0–4095.
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
///
/// The outer tag may use TPID 0x8100 (802.1Q), 0x88a8 (802.1ad S-tag) or 0x9100
/// (pre-standard QinQ); an inner tag must be a C-tag, 0x8100. A third tag is
/// [`Error::TooManyTags`]; an S-tag TPID in the inner position is [`Error::BadTpid`].
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
    if !h.ethertype.is_vlan_tpid() {
        return Ok(h);
    }
    let outer = read_tag(frame, &mut h)?;
    h.outer_vlan = Some(outer);
    if !h.ethertype.is_vlan_tpid() {
        return Ok(h);
    }
    if h.ethertype != EtherType::VLAN {
        return Err(Error::BadTpid);
    }
    let inner = read_tag(frame, &mut h)?;
    h.inner_vlan = Some(inner);
    if h.ethertype.is_vlan_tpid() {
        return Err(Error::TooManyTags);
    }
    Ok(h)
}

/// Read the tag at `h.header_len` whose TPID is `h.ethertype`; advance past it.
#[inline]
fn read_tag(frame: &[u8], h: &mut L2Header) -> Result<VlanTag> {
    let at = h.header_len;
    let Some(b) = frame.get(at..at + VLAN_TAG_LEN) else {
        return Err(Error::Truncated);
    };
    let tci = u16::from_be_bytes([b[0], b[1]]);
    let tag = VlanTag {
        tpid: h.ethertype,
        pcp: (tci >> 13) as u8,
        dei: tci & 0x1000 != 0,
        vid: tci & 0x0fff,
    };
    h.ethertype = EtherType(u16::from_be_bytes([b[2], b[3]]));
    h.header_len += VLAN_TAG_LEN;
    Ok(tag)
}

/// Write an Ethernet header with 0–2 tags into `buf`; returns its length (14, 18 or 22).
/// `h.header_len` is ignored.
///
/// Refuses, with [`Error::Unsupported`], what [`parse_l2`] would not read back as the
/// same header: an inner tag without an outer one, an outer TPID that is not a VLAN
/// TPID, an inner TPID other than 0x8100, PCP > 7, VID > 4095, or an EtherType that is
/// itself a VLAN TPID.
pub fn emit_l2(h: &L2Header, buf: &mut [u8]) -> Result<usize> {
    let valid = |t: &VlanTag| t.pcp <= 7 && t.vid <= 0x0fff;
    let tags_ok = match (h.outer_vlan, h.inner_vlan) {
        (None, None) => true,
        (Some(o), None) => o.tpid.is_vlan_tpid() && valid(&o),
        (Some(o), Some(i)) => {
            o.tpid.is_vlan_tpid() && valid(&o) && i.tpid == EtherType::VLAN && valid(&i)
        }
        (None, Some(_)) => false,
    };
    if !tags_ok || h.ethertype.is_vlan_tpid() {
        return Err(Error::Unsupported);
    }
    let tags = h.outer_vlan.is_some() as usize + h.inner_vlan.is_some() as usize;
    let len = HEADER_LEN + VLAN_TAG_LEN * tags;
    if buf.len() < len {
        return Err(Error::BufferTooSmall);
    }
    buf[field::DST].copy_from_slice(&h.dst.0);
    buf[field::SRC].copy_from_slice(&h.src.0);
    let mut at = field::ETHERTYPE.start;
    for tag in [h.outer_vlan, h.inner_vlan].into_iter().flatten() {
        buf[at..at + 2].copy_from_slice(&tag.tpid.0.to_be_bytes());
        buf[at + 2..at + 4].copy_from_slice(&tag.tci().to_be_bytes());
        at += VLAN_TAG_LEN;
    }
    buf[at..at + 2].copy_from_slice(&h.ethertype.0.to_be_bytes());
    Ok(len)
}

/// Fuzz entry (`fuzz/`): the view, `parse_l2`, and `emit_l2` of what parsed reads back
/// the same.
#[cfg(fuzzing)]
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    if let Ok(f) = EthernetFrame::new_checked(data) {
        let _ = (f.dst_addr(), f.src_addr(), f.ethertype(), f.payload().len());
    }
    if let Ok(h) = parse_l2(data) {
        assert!(h.header_len <= data.len());
        let mut buf = [0u8; HEADER_LEN + 2 * VLAN_TAG_LEN];
        // A tag that parse_l2 accepts is one emit_l2 writes (an 0x88a8 / 0x9100 outer
        // tag, a 0x8100 inner one).
        let n = emit_l2(&h, &mut buf).expect("emit what parse_l2 read");
        assert_eq!(n, h.header_len);
        assert_eq!(&buf[..n], &data[..n]);
        assert_eq!(parse_l2(&buf[..n]).map(|h2| h2 == h), Ok(true));
    }
}
