//! GRE, version 0 (RFC 2784 with the Key and Sequence Number extensions of RFC 2890),
//! and PPTP's enhanced GRE, version 1 (RFC 2637 §4.1).
//!
//! Version 0 (RFC 2784 §2, RFC 2890 §2):
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |C| |K|S| Reserved0       | Ver |         Protocol Type         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |      Checksum (optional)      |       Reserved1 (Optional)    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                         Key (optional)                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 Sequence Number (Optional)                    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Version 1, the enhanced GRE header (RFC 2637 §4.1):
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |C|R|K|S|s|Recur|A| Flags | Ver |         Protocol Type         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |    Key (HW) Payload Length    |       Key (LW) Call ID        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                  Sequence Number (Optional)                   |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |               Acknowledgment Number (Optional)                |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Both versions share the first 4 bytes: [`version`] tells them apart, then
//! [`GrePacket`] (version 0) or [`EnhancedGrePacket`] (version 1) reads the rest. GRE
//! has no length field of its own in version 0: a view covers exactly one packet, so
//! make it over the IP payload ([`super::ipv4::Ipv4Packet::payload`]). In version 1
//! the key's high half is the payload length, which bounds the payload.
//!
//! Flag rules (what `new_checked` refuses with [`Error::BadFlags`]):
//! - version 0: RFC 2784 §2.3 says a receiver MUST discard a packet with any of bits 1–5
//!   set unless it implements RFC 1701. We do not implement RFC 1701 (no routing, no
//!   strict source route, no recursion control); bits 2 (K) and 3 (S) are RFC 2890's
//!   Key and Sequence Number Present. So bit 1 (RFC 1701's Routing Present), bit 4
//!   (Strict Source Route) and bit 5 (the top bit of RFC 1701's Recursion Control) set
//!   is `BadFlags`; bits 6–12 "MUST be ignored on receipt" (RFC 2784 §2.3) and are.
//!   Reserved1 is ignored on receipt and sent as zero (RFC 2784 §2.4).
//! - version 1: C = 0, R = 0, K = 1, s = 0, Recur = 0 and Flags = 0 (RFC 2637 §4.1),
//!   as Linux `drivers/net/ppp/pptp.c` checks too. S = 0 means "acknowledgment only":
//!   a non-zero payload length without S is `BadFlags`. The protocol type must be
//!   0x880B (PPP), else [`Error::Unsupported`].
//!
//! Not supported: RFC 1701 routing / strict source routing / recursion control (refused,
//! see above); GRE versions other than 0 and 1 ([`Error::BadVersion`]); the checksum of
//! a version 1 header (C must be 0 there).

use super::checksum;
use super::ethernet::EtherType;
use super::{Error, Result};

/// PPP, the protocol type of every enhanced GRE packet (RFC 2637 §4.1).
pub const PROTOCOL_PPP: EtherType = EtherType(0x880b);
/// Transparent Ethernet Bridging (Ethernet over GRE, IANA "ETHER TYPES").
pub const PROTOCOL_TRANSPARENT_ETHERNET_BRIDGING: EtherType = EtherType(0x6558);

mod field {
    use core::ops::Range;
    pub const FLAGS_VERSION: Range<usize> = 0..2;
    pub const PROTOCOL_TYPE: Range<usize> = 2..4;
    /// Version 1: the key's high half.
    pub const PAYLOAD_LENGTH: Range<usize> = 4..6;
    /// Version 1: the key's low half.
    pub const CALL_ID: Range<usize> = 6..8;
}

/// The 4 bytes every GRE header starts with.
pub const BASE_HEADER_LEN: usize = 4;
/// Version 1 without sequence and acknowledgment numbers.
pub const ENHANCED_HEADER_LEN: usize = 8;

// Bits of the 16-bit flags-and-version word (bit 0 of the RFC diagrams is 0x8000).
const FLAG_C: u16 = 0x8000;
const FLAG_R: u16 = 0x4000;
const FLAG_K: u16 = 0x2000;
const FLAG_S: u16 = 0x1000;
const FLAG_STRICT: u16 = 0x0800;
const RECUR_MASK: u16 = 0x0700;
const FLAG_A: u16 = 0x0080;
const V1_FLAGS_MASK: u16 = 0x0078;
const VERSION_MASK: u16 = 0x0007;
/// Version 0: bits 1, 4 and 5 (RFC 2784 §2.3, see the module doc).
const V0_DISCARD: u16 = FLAG_R | FLAG_STRICT | 0x0400;
/// Version 0: bits 6–12, ignored on receipt.
const V0_RESERVED0_IGNORED: u16 = 0x03f8;

/// The GRE version of a header (bits 13–15), or [`Error::Truncated`] when the buffer
/// is shorter than the 4 bytes both versions share.
#[inline]
pub fn version(buffer: &[u8]) -> Result<u8> {
    match buffer {
        [_, b, ..] if buffer.len() >= BASE_HEADER_LEN => Ok(b & VERSION_MASK as u8),
        _ => Err(Error::Truncated),
    }
}

#[inline]
fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}
#[inline]
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// A view of a version 0 GRE packet (RFC 2784, RFC 2890): header and payload, the
/// payload running to the end of the buffer.
#[derive(Debug, Clone)]
pub struct GrePacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> GrePacket<T> {
    pub const fn new_unchecked(buffer: T) -> Self {
        GrePacket { buffer }
    }

    /// Version 0, no RFC 1701 bits (1, 4, 5), and the header its C/K/S flags describe
    /// within the buffer. The checksum is not verified here ([`Self::verify_checksum`]).
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = GrePacket { buffer };
        p.check_len()?;
        Ok(p)
    }

    /// The checks of [`Self::new_checked`], for a view made with `new_unchecked`.
    #[inline]
    pub fn check_len(&self) -> Result<()> {
        let len = self.b().len();
        if len < BASE_HEADER_LEN {
            return Err(Error::Truncated);
        }
        let fv = self.flags_version();
        if fv & VERSION_MASK != 0 {
            return Err(Error::BadVersion);
        }
        if fv & V0_DISCARD != 0 {
            return Err(Error::BadFlags);
        }
        if len < self.header_len() {
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
    /// The flags-and-version word as sent.
    #[inline]
    pub fn flags_version(&self) -> u16 {
        u16_at(self.b(), field::FLAGS_VERSION.start)
    }
    #[inline]
    pub fn version(&self) -> u8 {
        (self.flags_version() & VERSION_MASK) as u8
    }
    /// C: Checksum Present.
    #[inline]
    pub fn checksum_present(&self) -> bool {
        self.flags_version() & FLAG_C != 0
    }
    /// K: Key Present (RFC 2890 §2.1).
    #[inline]
    pub fn key_present(&self) -> bool {
        self.flags_version() & FLAG_K != 0
    }
    /// S: Sequence Number Present (RFC 2890 §2.2).
    #[inline]
    pub fn sequence_number_present(&self) -> bool {
        self.flags_version() & FLAG_S != 0
    }
    /// Bits 6–12 of Reserved0, which a receiver ignores (RFC 2784 §2.3), in place
    /// (mask 0x03f8 of [`Self::flags_version`]).
    #[inline]
    pub fn reserved0_ignored(&self) -> u16 {
        self.flags_version() & V0_RESERVED0_IGNORED
    }
    #[inline]
    pub fn protocol_type(&self) -> EtherType {
        EtherType(u16_at(self.b(), field::PROTOCOL_TYPE.start))
    }
    /// 4, plus 4 for each of C, K and S.
    #[inline]
    pub fn header_len(&self) -> usize {
        let fv = self.flags_version();
        BASE_HEADER_LEN
            + 4 * ((fv & FLAG_C != 0) as usize
                + (fv & FLAG_K != 0) as usize
                + (fv & FLAG_S != 0) as usize)
    }
    #[inline]
    fn key_at(&self) -> usize {
        BASE_HEADER_LEN + 4 * self.checksum_present() as usize
    }
    #[inline]
    fn seq_at(&self) -> usize {
        self.key_at() + 4 * self.key_present() as usize
    }
    /// The checksum field, when C is set.
    #[inline]
    pub fn checksum(&self) -> Option<u16> {
        self.checksum_present().then(|| u16_at(self.b(), 4))
    }
    /// Reserved1, when C is set (ignored on receipt, RFC 2784 §2.4).
    #[inline]
    pub fn reserved1(&self) -> Option<u16> {
        self.checksum_present().then(|| u16_at(self.b(), 6))
    }
    /// The key, when K is set.
    #[inline]
    pub fn key(&self) -> Option<u32> {
        self.key_present().then(|| u32_at(self.b(), self.key_at()))
    }
    /// The sequence number, when S is set.
    #[inline]
    pub fn sequence_number(&self) -> Option<u32> {
        self.sequence_number_present()
            .then(|| u32_at(self.b(), self.seq_at()))
    }
    /// The header (`header_len` bytes).
    #[inline]
    pub fn header(&self) -> &[u8] {
        &self.b()[..self.header_len()]
    }
    /// The payload: everything after the header.
    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.b()[self.header_len()..]
    }
    /// True when C is clear, or the header and payload sum to all ones (RFC 2784 §2.5).
    #[inline]
    pub fn verify_checksum(&self) -> bool {
        !self.checksum_present() || checksum::verify(0, self.b())
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> GrePacket<T> {
    #[inline]
    fn m(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }
    /// The whole flags-and-version word. Changing C, K or S moves the fields after
    /// them; set it first when building a header.
    #[inline]
    pub fn set_flags_version(&mut self, v: u16) {
        self.m()[field::FLAGS_VERSION].copy_from_slice(&v.to_be_bytes());
    }
    #[inline]
    pub fn set_protocol_type(&mut self, t: EtherType) {
        self.m()[field::PROTOCOL_TYPE].copy_from_slice(&t.0.to_be_bytes());
    }
    /// The key; [`Error::MissingField`] when the header has no K.
    #[inline]
    pub fn set_key(&mut self, v: u32) -> Result<()> {
        if !self.key_present() {
            return Err(Error::MissingField);
        }
        let at = self.key_at();
        self.m()[at..at + 4].copy_from_slice(&v.to_be_bytes());
        Ok(())
    }
    /// The sequence number; [`Error::MissingField`] when the header has no S.
    #[inline]
    pub fn set_sequence_number(&mut self, v: u32) -> Result<()> {
        if !self.sequence_number_present() {
            return Err(Error::MissingField);
        }
        let at = self.seq_at();
        self.m()[at..at + 4].copy_from_slice(&v.to_be_bytes());
        Ok(())
    }
    /// The checksum field as given; [`Error::MissingField`] when the header has no C.
    #[inline]
    pub fn set_checksum(&mut self, v: u16) -> Result<()> {
        if !self.checksum_present() {
            return Err(Error::MissingField);
        }
        self.m()[4..6].copy_from_slice(&v.to_be_bytes());
        Ok(())
    }
    /// The payload, writable.
    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let hl = self.header_len();
        &mut self.m()[hl..]
    }
    /// When C is set: Reserved1 zeroed and the checksum computed over the header and
    /// the payload (the whole buffer, RFC 2784 §2.5). Nothing when C is clear.
    #[inline]
    pub fn fill_checksum(&mut self) {
        if !self.checksum_present() {
            return;
        }
        self.m()[4..8].fill(0);
        let c = checksum::checksum(self.b());
        self.m()[4..6].copy_from_slice(&c.to_be_bytes());
    }
}

/// A view of an enhanced GRE packet (version 1, RFC 2637 §4.1): header and payload,
/// the payload bounded by the key's payload length.
#[derive(Debug, Clone)]
pub struct EnhancedGrePacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> EnhancedGrePacket<T> {
    pub const fn new_unchecked(buffer: T) -> Self {
        EnhancedGrePacket { buffer }
    }

    /// Version 1, the flags of RFC 2637 §4.1 (see the module doc), protocol type PPP,
    /// and the header plus the payload length within the buffer. The buffer may be
    /// longer.
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = EnhancedGrePacket { buffer };
        p.check_len()?;
        Ok(p)
    }

    /// The checks of [`Self::new_checked`], for a view made with `new_unchecked`.
    #[inline]
    pub fn check_len(&self) -> Result<()> {
        let len = self.b().len();
        if len < ENHANCED_HEADER_LEN {
            return Err(Error::Truncated);
        }
        let fv = self.flags_version();
        if fv & VERSION_MASK != 1 {
            return Err(Error::BadVersion);
        }
        if fv & (FLAG_C | FLAG_R | FLAG_K | FLAG_STRICT | RECUR_MASK | V1_FLAGS_MASK) != FLAG_K {
            return Err(Error::BadFlags);
        }
        if fv & FLAG_S == 0 && self.payload_length() != 0 {
            return Err(Error::BadFlags);
        }
        if self.protocol_type() != PROTOCOL_PPP {
            return Err(Error::Unsupported);
        }
        if len < self.header_len() + self.payload_length() as usize {
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
    pub fn flags_version(&self) -> u16 {
        u16_at(self.b(), field::FLAGS_VERSION.start)
    }
    #[inline]
    pub fn version(&self) -> u8 {
        (self.flags_version() & VERSION_MASK) as u8
    }
    /// S: Sequence Number Present, i.e. a payload packet (RFC 2637 §4.1).
    #[inline]
    pub fn sequence_number_present(&self) -> bool {
        self.flags_version() & FLAG_S != 0
    }
    /// A: Acknowledgment Number Present.
    #[inline]
    pub fn acknowledgment_number_present(&self) -> bool {
        self.flags_version() & FLAG_A != 0
    }
    #[inline]
    pub fn protocol_type(&self) -> EtherType {
        EtherType(u16_at(self.b(), field::PROTOCOL_TYPE.start))
    }
    /// Key (HW): the payload length, not counting the GRE header.
    #[inline]
    pub fn payload_length(&self) -> u16 {
        u16_at(self.b(), field::PAYLOAD_LENGTH.start)
    }
    /// Key (LW): the peer's call id, the one it gave in its Outgoing- or
    /// Incoming-Call-Request/Reply (RFC 2637 §4.1); for packets to us, our call id.
    #[inline]
    pub fn call_id(&self) -> u16 {
        u16_at(self.b(), field::CALL_ID.start)
    }
    /// 8, plus 4 for each of S and A.
    #[inline]
    pub fn header_len(&self) -> usize {
        let fv = self.flags_version();
        ENHANCED_HEADER_LEN + 4 * ((fv & FLAG_S != 0) as usize + (fv & FLAG_A != 0) as usize)
    }
    #[inline]
    fn ack_at(&self) -> usize {
        ENHANCED_HEADER_LEN + 4 * self.sequence_number_present() as usize
    }
    /// The sequence number, when S is set.
    #[inline]
    pub fn sequence_number(&self) -> Option<u32> {
        self.sequence_number_present()
            .then(|| u32_at(self.b(), ENHANCED_HEADER_LEN))
    }
    /// The acknowledgment number, when A is set: the highest sequence number received
    /// in order from the peer.
    #[inline]
    pub fn acknowledgment_number(&self) -> Option<u32> {
        self.acknowledgment_number_present()
            .then(|| u32_at(self.b(), self.ack_at()))
    }
    /// The header (`header_len` bytes).
    #[inline]
    pub fn header(&self) -> &[u8] {
        &self.b()[..self.header_len()]
    }
    /// The payload (a PPP frame), bounded by the payload length.
    #[inline]
    pub fn payload(&self) -> &[u8] {
        let hl = self.header_len();
        &self.b()[hl..hl + self.payload_length() as usize]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> EnhancedGrePacket<T> {
    #[inline]
    fn m(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }
    /// The whole flags-and-version word. Changing S or A moves the fields after them;
    /// set it first when building a header.
    #[inline]
    pub fn set_flags_version(&mut self, v: u16) {
        self.m()[field::FLAGS_VERSION].copy_from_slice(&v.to_be_bytes());
    }
    #[inline]
    pub fn set_protocol_type(&mut self, t: EtherType) {
        self.m()[field::PROTOCOL_TYPE].copy_from_slice(&t.0.to_be_bytes());
    }
    /// Key (HW). A view whose buffer is a header template may carry a payload length
    /// its buffer does not hold; only [`Self::payload`] cares.
    #[inline]
    pub fn set_payload_length(&mut self, v: u16) {
        self.m()[field::PAYLOAD_LENGTH].copy_from_slice(&v.to_be_bytes());
    }
    #[inline]
    pub fn set_call_id(&mut self, v: u16) {
        self.m()[field::CALL_ID].copy_from_slice(&v.to_be_bytes());
    }
    /// The sequence number; [`Error::MissingField`] when the header has no S.
    #[inline]
    pub fn set_sequence_number(&mut self, v: u32) -> Result<()> {
        if !self.sequence_number_present() {
            return Err(Error::MissingField);
        }
        self.m()[ENHANCED_HEADER_LEN..ENHANCED_HEADER_LEN + 4].copy_from_slice(&v.to_be_bytes());
        Ok(())
    }
    /// The acknowledgment number; [`Error::MissingField`] when the header has no A.
    #[inline]
    pub fn set_acknowledgment_number(&mut self, v: u32) -> Result<()> {
        if !self.acknowledgment_number_present() {
            return Err(Error::MissingField);
        }
        let at = self.ack_at();
        self.m()[at..at + 4].copy_from_slice(&v.to_be_bytes());
        Ok(())
    }
    /// The payload, bounded by the payload length, writable.
    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let hl = self.header_len();
        let pl = self.payload_length() as usize;
        &mut self.m()[hl..hl + pl]
    }
}

/// A GRE packet of either version, payload included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GreRepr<'a> {
    /// Version 0 (RFC 2784, RFC 2890). The checksum is computed on emit when
    /// `checksum` is set, and verified on parse.
    V0 {
        protocol_type: EtherType,
        checksum: bool,
        key: Option<u32>,
        sequence_number: Option<u32>,
        payload: &'a [u8],
    },
    /// Version 1, PPTP's enhanced GRE (RFC 2637 §4.1); the protocol type is
    /// [`PROTOCOL_PPP`] and the payload length is `payload.len()`. `sequence_number` is
    /// `None` only for an acknowledgment-only packet (no payload).
    V1 {
        call_id: u16,
        sequence_number: Option<u32>,
        acknowledgment_number: Option<u32>,
        payload: &'a [u8],
    },
}

impl<'a> GreRepr<'a> {
    /// Either version, by the version bits ([`Error::BadVersion`] for others). A
    /// version 0 checksum that does not verify is [`Error::BadChecksum`]. Version 1
    /// bytes after the payload length (none in a well-formed IP datagram) are not part
    /// of the packet.
    pub fn parse(buffer: &'a [u8]) -> Result<GreRepr<'a>> {
        match version(buffer)? {
            0 => {
                let p = GrePacket::new_checked(buffer)?;
                if !p.verify_checksum() {
                    return Err(Error::BadChecksum);
                }
                Ok(GreRepr::V0 {
                    protocol_type: p.protocol_type(),
                    checksum: p.checksum_present(),
                    key: p.key(),
                    sequence_number: p.sequence_number(),
                    payload: &buffer[p.header_len()..],
                })
            }
            1 => {
                let p = EnhancedGrePacket::new_checked(buffer)?;
                let hl = p.header_len();
                Ok(GreRepr::V1 {
                    call_id: p.call_id(),
                    sequence_number: p.sequence_number(),
                    acknowledgment_number: p.acknowledgment_number(),
                    payload: &buffer[hl..hl + p.payload_length() as usize],
                })
            }
            _ => Err(Error::BadVersion),
        }
    }

    /// The header's length.
    pub fn header_len(&self) -> usize {
        match *self {
            GreRepr::V0 {
                checksum,
                key,
                sequence_number,
                ..
            } => {
                BASE_HEADER_LEN
                    + 4 * (checksum as usize
                        + key.is_some() as usize
                        + sequence_number.is_some() as usize)
            }
            GreRepr::V1 {
                sequence_number,
                acknowledgment_number,
                ..
            } => {
                ENHANCED_HEADER_LEN
                    + 4 * (sequence_number.is_some() as usize
                        + acknowledgment_number.is_some() as usize)
            }
        }
    }

    pub fn payload(&self) -> &'a [u8] {
        match *self {
            GreRepr::V0 { payload, .. } | GreRepr::V1 { payload, .. } => payload,
        }
    }

    /// Header plus payload.
    pub fn buffer_len(&self) -> usize {
        self.header_len() + self.payload().len()
    }

    /// Write header and payload into `buf[..self.buffer_len()]` (version 0: checksum
    /// filled when `checksum`). Version 1: a payload longer than 65535 is
    /// [`Error::BadLength`], a payload without a sequence number [`Error::BadFlags`].
    pub fn emit(&self, buf: &mut [u8]) -> Result<()> {
        let len = self.buffer_len();
        let hl = self.header_len();
        match *self {
            GreRepr::V0 {
                protocol_type,
                checksum,
                key,
                sequence_number,
                payload,
            } => {
                if buf.len() < len {
                    return Err(Error::BufferTooSmall);
                }
                let buf = &mut buf[..len];
                buf[..hl].fill(0);
                let mut p = GrePacket::new_unchecked(buf);
                let fv = if checksum { FLAG_C } else { 0 }
                    | if key.is_some() { FLAG_K } else { 0 }
                    | if sequence_number.is_some() { FLAG_S } else { 0 };
                p.set_flags_version(fv);
                p.set_protocol_type(protocol_type);
                if let Some(k) = key {
                    p.set_key(k)?;
                }
                if let Some(s) = sequence_number {
                    p.set_sequence_number(s)?;
                }
                p.payload_mut().copy_from_slice(payload);
                p.fill_checksum();
            }
            GreRepr::V1 {
                call_id,
                sequence_number,
                acknowledgment_number,
                payload,
            } => {
                let Ok(pl) = u16::try_from(payload.len()) else {
                    return Err(Error::BadLength);
                };
                if sequence_number.is_none() && pl != 0 {
                    return Err(Error::BadFlags);
                }
                if buf.len() < len {
                    return Err(Error::BufferTooSmall);
                }
                let mut p = EnhancedGrePacket::new_unchecked(&mut buf[..len]);
                let fv = FLAG_K
                    | 1
                    | if sequence_number.is_some() { FLAG_S } else { 0 }
                    | if acknowledgment_number.is_some() {
                        FLAG_A
                    } else {
                        0
                    };
                p.set_flags_version(fv);
                p.set_protocol_type(PROTOCOL_PPP);
                p.set_payload_length(pl);
                p.set_call_id(call_id);
                if let Some(s) = sequence_number {
                    p.set_sequence_number(s)?;
                }
                if let Some(a) = acknowledgment_number {
                    p.set_acknowledgment_number(a)?;
                }
                p.payload_mut().copy_from_slice(payload);
            }
        }
        Ok(())
    }
}

/// Runs every parser of this module on `data`; a `GreRepr` that parses is emitted,
/// parsed again and must be equal. No allocation.
#[cfg(fuzzing)]
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    let _ = version(data);
    if let Ok(p) = GrePacket::new_checked(data) {
        let _ = (
            p.flags_version(),
            p.version(),
            p.reserved0_ignored(),
            p.protocol_type(),
        );
        let _ = (p.checksum(), p.reserved1(), p.key(), p.sequence_number());
        let _ = (p.header().len(), p.payload().len(), p.verify_checksum());
        assert!(p.header_len() <= data.len());
    }
    if let Ok(p) = EnhancedGrePacket::new_checked(data) {
        let _ = (
            p.flags_version(),
            p.version(),
            p.protocol_type(),
            p.call_id(),
        );
        let _ = (
            p.sequence_number(),
            p.acknowledgment_number(),
            p.header().len(),
        );
        assert_eq!(p.payload().len(), p.payload_length() as usize);
    }
    if let Ok(r) = GreRepr::parse(data) {
        // Longer inputs (above any MTU) skip the round trip.
        let mut buf = [0u8; 4096];
        if let Some(out) = buf.get_mut(..r.buffer_len()) {
            r.emit(out).expect("emit of a parsed GreRepr");
            assert_eq!(GreRepr::parse(out), Ok(r));
        }
    }
}
