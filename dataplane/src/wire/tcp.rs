//! TCP header (RFC 9293 §3.1) and its options, as a router sees them: read in place,
//! the MSS option clamped (RFC 9293 §3.7.1, RFC 6691), checksums checked and fixed.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Source Port          |       Destination Port        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                        Sequence Number                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Acknowledgment Number                      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Data |       |C|E|U|A|P|R|S|F|                               |
//! | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
//! |       |       |R|E|G|K|H|T|N|N|                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |           Checksum            |         Urgent Pointer        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Options (Data Offset > 5)                  |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                             data                              |
//! ```
//!
//! TCP has no length field: a view covers exactly one segment, so make it over the IP
//! payload ([`super::ipv4::Ipv4Packet::payload`]), never over the frame. There is no
//! `TcpRepr`: dpvpn never originates TCP (its TCP services use the kernel through the
//! exception path).

use super::checksum;
use super::ipv4::{IpProtocol, Ipv4Address};
use super::{Error, Result};

mod field {
    use core::ops::Range;
    pub const SRC_PORT: Range<usize> = 0..2;
    pub const DST_PORT: Range<usize> = 2..4;
    pub const SEQ_NUM: Range<usize> = 4..8;
    pub const ACK_NUM: Range<usize> = 8..12;
    pub const FLAGS: Range<usize> = 12..14;
    pub const WIN_SIZE: Range<usize> = 14..16;
    pub const CHECKSUM: Range<usize> = 16..18;
    pub const URGENT: Range<usize> = 18..20;
    pub const OPTIONS: usize = 20;
}

/// Length of a header without options.
pub const HEADER_LEN: usize = field::OPTIONS;

/// The control bits of the 16-bit word at offset 12, without the data offset: the eight
/// flags of RFC 9293, and the bits RFC 9293 reserves (kept so any value round-trips).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct TcpFlags(pub u16);

impl TcpFlags {
    pub const FIN: TcpFlags = TcpFlags(0x001);
    pub const SYN: TcpFlags = TcpFlags(0x002);
    pub const RST: TcpFlags = TcpFlags(0x004);
    pub const PSH: TcpFlags = TcpFlags(0x008);
    pub const ACK: TcpFlags = TcpFlags(0x010);
    pub const URG: TcpFlags = TcpFlags(0x020);
    /// ECN-Echo (RFC 3168).
    pub const ECE: TcpFlags = TcpFlags(0x040);
    /// Congestion Window Reduced (RFC 3168).
    pub const CWR: TcpFlags = TcpFlags(0x080);

    /// Every bit of `other` is set in `self`.
    #[inline]
    pub const fn contains(self, other: TcpFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl core::ops::BitOr for TcpFlags {
    type Output = TcpFlags;
    fn bitor(self, rhs: TcpFlags) -> TcpFlags {
        TcpFlags(self.0 | rhs.0)
    }
}

/// A TCP option kind (IANA "TCP Option Kind Numbers").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TcpOptionKind(pub u8);

impl TcpOptionKind {
    pub const END_OF_LIST: TcpOptionKind = TcpOptionKind(0);
    pub const NO_OPERATION: TcpOptionKind = TcpOptionKind(1);
    pub const MAX_SEGMENT_SIZE: TcpOptionKind = TcpOptionKind(2);
    /// RFC 7323 §2.
    pub const WINDOW_SCALE: TcpOptionKind = TcpOptionKind(3);
    /// RFC 2018.
    pub const SACK_PERMITTED: TcpOptionKind = TcpOptionKind(4);
    /// RFC 2018.
    pub const SACK: TcpOptionKind = TcpOptionKind(5);
    /// RFC 7323 §3.
    pub const TIMESTAMPS: TcpOptionKind = TcpOptionKind(8);
    /// RFC 2385.
    pub const MD5_SIGNATURE: TcpOptionKind = TcpOptionKind(19);
    /// RFC 5925.
    pub const AUTHENTICATION: TcpOptionKind = TcpOptionKind(29);
    /// RFC 8684.
    pub const MPTCP: TcpOptionKind = TcpOptionKind(30);
    /// RFC 7413.
    pub const FAST_OPEN: TcpOptionKind = TcpOptionKind(34);
}

/// The blocks of a SACK option (RFC 2018 §3): 1–4 pairs of (left edge, right edge).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SackBlocks<'a> {
    /// A multiple of 8 bytes, 8–32.
    bytes: &'a [u8],
}

impl<'a> SackBlocks<'a> {
    #[inline]
    pub fn len(&self) -> usize {
        self.bytes.len() / 8
    }
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = (u32, u32)> + 'a {
        self.bytes.chunks_exact(8).map(|c| {
            (
                u32::from_be_bytes([c[0], c[1], c[2], c[3]]),
                u32::from_be_bytes([c[4], c[5], c[6], c[7]]),
            )
        })
    }
}

/// One option as read from the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpOption<'a> {
    /// Kind 0. Whatever follows it is padding, so the iterator stops after it.
    EndOfList,
    NoOperation,
    MaxSegmentSize(u16),
    /// The shift count, as sent (RFC 7323 §2.3 caps its use at 14; not enforced here).
    WindowScale(u8),
    SackPermitted,
    Sack(SackBlocks<'a>),
    Timestamps {
        tsval: u32,
        tsecr: u32,
    },
    /// Any other kind with a well-formed length; `data` excludes kind and length.
    Unknown {
        kind: TcpOptionKind,
        data: &'a [u8],
    },
}

impl<'a> TcpOption<'a> {
    /// A known kind with the wrong length is [`Error::BadOption`].
    fn from_raw(kind: TcpOptionKind, v: &'a [u8]) -> Result<TcpOption<'a>> {
        let opt = match kind {
            TcpOptionKind::END_OF_LIST => TcpOption::EndOfList,
            TcpOptionKind::NO_OPERATION => TcpOption::NoOperation,
            TcpOptionKind::MAX_SEGMENT_SIZE => match *v {
                [a, b] => TcpOption::MaxSegmentSize(u16::from_be_bytes([a, b])),
                _ => return Err(Error::BadOption),
            },
            TcpOptionKind::WINDOW_SCALE => match *v {
                [s] => TcpOption::WindowScale(s),
                _ => return Err(Error::BadOption),
            },
            TcpOptionKind::SACK_PERMITTED => match *v {
                [] => TcpOption::SackPermitted,
                _ => return Err(Error::BadOption),
            },
            TcpOptionKind::SACK => {
                if v.is_empty() || v.len() & 7 != 0 || v.len() > 32 {
                    return Err(Error::BadOption);
                }
                TcpOption::Sack(SackBlocks { bytes: v })
            }
            TcpOptionKind::TIMESTAMPS => match *v {
                [a, b, c, d, e, f, g, h] => TcpOption::Timestamps {
                    tsval: u32::from_be_bytes([a, b, c, d]),
                    tsecr: u32::from_be_bytes([e, f, g, h]),
                },
                _ => return Err(Error::BadOption),
            },
            kind => TcpOption::Unknown { kind, data: v },
        };
        Ok(opt)
    }
}

/// Iterator over the options of a header. Yields each option, or one error and then
/// nothing: a length below 2 is [`Error::BadOption`], a kind without its length byte or
/// a length running past the options is [`Error::Truncated`], a known kind with the
/// wrong length is [`Error::BadOption`]. Stops after [`TcpOption::EndOfList`].
#[derive(Clone, Debug)]
pub struct TcpOptions<'a> {
    data: &'a [u8],
    pos: usize,
}

/// One option in raw form: where it starts in the options, its kind and its value.
struct RawOption<'a> {
    at: usize,
    kind: TcpOptionKind,
    value: &'a [u8],
}

impl<'a> TcpOptions<'a> {
    /// Options from raw bytes (the header after its first 20 bytes).
    pub fn new(data: &'a [u8]) -> Self {
        TcpOptions { data, pos: 0 }
    }

    /// The one place option lengths are checked.
    fn next_raw(&mut self) -> Option<Result<RawOption<'a>>> {
        let at = self.pos;
        let kind = TcpOptionKind(*self.data.get(at)?);
        if kind == TcpOptionKind::END_OF_LIST || kind == TcpOptionKind::NO_OPERATION {
            self.pos = if kind == TcpOptionKind::END_OF_LIST {
                self.data.len()
            } else {
                at + 1
            };
            return Some(Ok(RawOption {
                at,
                kind,
                value: &[],
            }));
        }
        // Whatever goes wrong, nothing after it can be trusted.
        self.pos = self.data.len();
        let Some(&len) = self.data.get(at + 1) else {
            return Some(Err(Error::Truncated));
        };
        let len = len as usize;
        if len < 2 {
            return Some(Err(Error::BadOption));
        }
        let Some(value) = self.data.get(at + 2..at + len) else {
            return Some(Err(Error::Truncated));
        };
        self.pos = at + len;
        Some(Ok(RawOption { at, kind, value }))
    }
}

impl<'a> Iterator for TcpOptions<'a> {
    type Item = Result<TcpOption<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        let raw = match self.next_raw()? {
            Ok(raw) => raw,
            Err(e) => return Some(Err(e)),
        };
        let opt = TcpOption::from_raw(raw.kind, raw.value);
        if opt.is_err() {
            self.pos = self.data.len();
        }
        Some(opt)
    }
}

/// A view of a TCP segment.
#[derive(Debug, Clone)]
pub struct TcpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> TcpPacket<T> {
    pub const fn new_unchecked(buffer: T) -> Self {
        TcpPacket { buffer }
    }

    /// The 20-byte header is there, data offset ≥ 5, and the header with its options is
    /// within the buffer. Options are checked only when read.
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = TcpPacket { buffer };
        p.check_len()?;
        Ok(p)
    }

    /// The checks of [`Self::new_checked`], for a view made with `new_unchecked`.
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(Error::Truncated);
        }
        let hl = self.header_len() as usize;
        if hl < HEADER_LEN {
            return Err(Error::BadHeaderLength);
        }
        if hl > len {
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
    fn u32_at(&self, r: core::ops::Range<usize>) -> u32 {
        let b = &self.buffer.as_ref()[r];
        u32::from_be_bytes([b[0], b[1], b[2], b[3]])
    }
    #[inline]
    pub fn src_port(&self) -> u16 {
        self.u16_at(field::SRC_PORT)
    }
    #[inline]
    pub fn dst_port(&self) -> u16 {
        self.u16_at(field::DST_PORT)
    }
    #[inline]
    pub fn seq_number(&self) -> u32 {
        self.u32_at(field::SEQ_NUM)
    }
    #[inline]
    pub fn ack_number(&self) -> u32 {
        self.u32_at(field::ACK_NUM)
    }
    /// Header length in bytes (data offset × 4), options included.
    #[inline]
    pub fn header_len(&self) -> u8 {
        (self.buffer.as_ref()[field::FLAGS.start] >> 4) * 4
    }
    #[inline]
    pub fn flags(&self) -> TcpFlags {
        TcpFlags(self.u16_at(field::FLAGS) & 0x0fff)
    }
    #[inline]
    fn flag(&self, f: TcpFlags) -> bool {
        self.flags().contains(f)
    }
    #[inline]
    pub fn fin(&self) -> bool {
        self.flag(TcpFlags::FIN)
    }
    #[inline]
    pub fn syn(&self) -> bool {
        self.flag(TcpFlags::SYN)
    }
    #[inline]
    pub fn rst(&self) -> bool {
        self.flag(TcpFlags::RST)
    }
    #[inline]
    pub fn psh(&self) -> bool {
        self.flag(TcpFlags::PSH)
    }
    #[inline]
    pub fn ack(&self) -> bool {
        self.flag(TcpFlags::ACK)
    }
    #[inline]
    pub fn urg(&self) -> bool {
        self.flag(TcpFlags::URG)
    }
    #[inline]
    pub fn ece(&self) -> bool {
        self.flag(TcpFlags::ECE)
    }
    #[inline]
    pub fn cwr(&self) -> bool {
        self.flag(TcpFlags::CWR)
    }
    /// The window field, unscaled.
    #[inline]
    pub fn window_len(&self) -> u16 {
        self.u16_at(field::WIN_SIZE)
    }
    #[inline]
    pub fn checksum(&self) -> u16 {
        self.u16_at(field::CHECKSUM)
    }
    #[inline]
    pub fn urgent_at(&self) -> u16 {
        self.u16_at(field::URGENT)
    }
    /// The option bytes, unparsed (empty when data offset is 5).
    #[inline]
    pub fn options(&self) -> &[u8] {
        &self.buffer.as_ref()[field::OPTIONS..self.header_len() as usize]
    }
    /// The options, parsed one by one.
    #[inline]
    pub fn option_iter(&self) -> TcpOptions<'_> {
        TcpOptions::new(self.options())
    }
    /// The data after the header, to the end of the buffer.
    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len() as usize..]
    }
    /// The segment (the whole buffer) with the IPv4 pseudo-header sums to all ones.
    pub fn verify_checksum(&self, src: Ipv4Address, dst: Ipv4Address) -> bool {
        let b = self.buffer.as_ref();
        let Ok(len) = u16::try_from(b.len()) else {
            return false;
        };
        let ph = checksum::pseudo_header_v4(src.to_bits(), dst.to_bits(), IpProtocol::TCP.0, len);
        checksum::verify(ph, b)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> TcpPacket<T> {
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
    pub fn set_seq_number(&mut self, v: u32) {
        self.buffer.as_mut()[field::SEQ_NUM].copy_from_slice(&v.to_be_bytes());
    }
    #[inline]
    pub fn set_ack_number(&mut self, v: u32) {
        self.buffer.as_mut()[field::ACK_NUM].copy_from_slice(&v.to_be_bytes());
    }
    /// Header length in bytes, 20–60, a multiple of 4; flags are kept.
    #[inline]
    pub fn set_header_len(&mut self, len: u8) {
        let b = &mut self.buffer.as_mut()[field::FLAGS.start];
        *b = (*b & 0x0f) | ((len / 4) << 4);
    }
    /// The flag bits; the data offset is kept.
    #[inline]
    pub fn set_flags(&mut self, f: TcpFlags) {
        let v = (self.u16_at(field::FLAGS) & 0xf000) | (f.0 & 0x0fff);
        self.set_u16(field::FLAGS, v);
    }
    #[inline]
    pub fn set_window_len(&mut self, v: u16) {
        self.set_u16(field::WIN_SIZE, v);
    }
    #[inline]
    pub fn set_checksum(&mut self, v: u16) {
        self.set_u16(field::CHECKSUM, v);
    }
    #[inline]
    pub fn set_urgent_at(&mut self, v: u16) {
        self.set_u16(field::URGENT, v);
    }
    #[inline]
    pub fn options_mut(&mut self) -> &mut [u8] {
        let hl = self.header_len() as usize;
        &mut self.buffer.as_mut()[field::OPTIONS..hl]
    }
    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let hl = self.header_len() as usize;
        &mut self.buffer.as_mut()[hl..]
    }
    /// Compute the checksum over the IPv4 pseudo-header and the whole buffer (its
    /// length must fit 16 bits, as any segment in an IPv4 datagram does).
    pub fn fill_checksum(&mut self, src: Ipv4Address, dst: Ipv4Address) {
        self.set_checksum(0);
        let b = self.buffer.as_ref();
        let ph = checksum::pseudo_header_v4(
            src.to_bits(),
            dst.to_bits(),
            IpProtocol::TCP.0,
            b.len() as u16,
        );
        let c = !checksum::fold(ph + checksum::sum(b));
        self.set_checksum(c);
    }

    /// Lower every MSS option above `max` to `max`, fixing the checksum incrementally
    /// (RFC 1624), so a subscriber behind a smaller MTU (PPPoE 1492, L2TP…) is not
    /// sent segments that need fragmenting. Returns whether anything changed. Options
    /// after a malformed one are left alone, as a receiver would ignore them too.
    ///
    /// The MSS option belongs to SYN segments (RFC 9293 §3.7.1); the caller decides
    /// which segments to clamp.
    pub fn clamp_mss(&mut self, max: u16) -> bool {
        let hl = self.header_len() as usize;
        let mut changed = false;
        let mut pos = field::OPTIONS;
        while pos < hl {
            // Find the next MSS option from `pos`; the reader borrows the buffer, the
            // rewrite below needs it mutably.
            let mut found = None;
            let mut r = TcpOptions::new(&self.buffer.as_ref()[pos..hl]);
            while let Some(Ok(raw)) = r.next_raw() {
                if TcpOption::from_raw(raw.kind, raw.value).is_err() {
                    break;
                }
                if raw.kind == TcpOptionKind::MAX_SEGMENT_SIZE {
                    found = Some(pos + raw.at + 2);
                    break;
                }
            }
            let Some(at) = found else { break };
            pos = at + 2;
            let old = self.u16_at(at..at + 2);
            if old <= max {
                continue;
            }
            self.set_u16(at..at + 2, max);
            // At an odd offset the value straddles two checksum words: it counts
            // byte-swapped (RFC 1071 §2 (B)).
            let (o, n) = if at & 1 == 0 {
                (old, max)
            } else {
                (old.swap_bytes(), max.swap_bytes())
            };
            let c = checksum::update16(self.checksum(), o, n);
            self.set_checksum(c);
            changed = true;
        }
        changed
    }
}

/// Fuzz entry (`fuzz/`): the view, every accessor, the option iterator, and MSS
/// clamping, whose incremental checksum update must agree with a full recomputation.
#[cfg(fuzzing)]
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    let (src, dst) = (Ipv4Address::new(192, 0, 2, 1), Ipv4Address::new(198, 51, 100, 2));
    let Ok(p) = TcpPacket::new_checked(data) else { return };
    let _ = (p.src_port(), p.dst_port(), p.seq_number(), p.ack_number(), p.flags(), p.window_len());
    let _ = (p.urgent_at(), p.payload().len(), p.syn(), p.fin(), p.rst(), p.psh(), p.ack(), p.urg());
    for o in p.option_iter() {
        if o.is_err() {
            break;
        }
    }
    let mut buf = [0u8; 2048];
    let n = data.len().min(buf.len());
    buf[..n].copy_from_slice(&data[..n]);
    let Ok(mut q) = TcpPacket::new_checked(&mut buf[..n]) else { return };
    q.fill_checksum(src, dst);
    q.clamp_mss(536);
    assert!(q.verify_checksum(src, dst), "clamp_mss kept the checksum right");
}
