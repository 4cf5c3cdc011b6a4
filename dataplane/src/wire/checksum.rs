//! The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
//!
//! The checksum is the one's-complement of the one's-complement sum of the data as
//! big-endian 16-bit words. [`sum`] adds words without folding (a `u64` cannot overflow
//! on any packet), so partial sums — a pseudo-header and a segment — are simply added
//! together and folded once with [`fold`].
//!
//! In one's-complement arithmetic 0x0000 and 0xffff are the same number; a receiver
//! accepts either. The incremental update (RFC 1624 eqn. 3) never yields 0xffff, and a
//! full computation over non-zero data never yields 0xffff either, so the two agree
//! except where one gives 0x0000 and the other 0xffff. UDP is the one place where this
//! matters (0 means "no checksum", RFC 768), so [`super::udp`] maps a computed 0 to
//! 0xffff.

/// One's-complement sum of `data` as big-endian 16-bit words (an odd last byte is
/// padded with zero), not yet folded.
#[inline]
pub fn sum(data: &[u8]) -> u64 {
    let mut acc: u64 = 0;
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_be_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        // Adding the two 32-bit halves is the same modulo 0xffff as adding the four
        // 16-bit words (2^16 ≡ 1), and leaves room for every carry.
        acc += (w >> 32) + (w & 0xffff_ffff);
    }
    let rest = chunks.remainder();
    let mut pairs = rest.chunks_exact(2);
    for p in &mut pairs {
        acc += u16::from_be_bytes([p[0], p[1]]) as u64;
    }
    if let [b] = pairs.remainder() {
        acc += (*b as u64) << 8;
    }
    acc
}

/// Fold a wide sum into 16 bits (end-around carry).
#[inline]
pub fn fold(mut acc: u64) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

/// The checksum field value for `data` whose checksum field is zero (RFC 1071).
#[inline]
pub fn checksum(data: &[u8]) -> u16 {
    !fold(sum(data))
}

/// True when `data`, checksum field included, sums to 0xffff ("all ones"), i.e. the
/// checksum is right.
#[inline]
pub fn verify(partial: u64, data: &[u8]) -> bool {
    fold(partial + sum(data)) == 0xffff
}

/// [`verify`] for a 20-byte header (an IPv4 header without options), in a few
/// instructions: five native-order 32-bit words summed in 64 bits and folded. RFC 1071
/// §2: the sum is independent of byte order (B) and may be taken over wider words,
/// folding the carries in at the end (C); "all ones" reads the same either way round.
#[inline]
pub fn verify20(h: &[u8; 20]) -> bool {
    let w = |i: usize| u32::from_ne_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]) as u64;
    let s = w(0) + w(4) + w(8) + w(12) + w(16);
    let s = (s & 0xffff_ffff) + (s >> 32);
    let s = (s & 0xffff) + (s >> 16);
    let s = (s & 0xffff) + (s >> 16);
    (s & 0xffff) + (s >> 16) == 0xffff
}

/// RFC 1624 eqn. 3: the new checksum after a 16-bit word changed from `old` to `new`:
/// HC' = ~(~HC + ~m + m').
///
/// The word must sit at an even offset of the checksummed data. A 16-bit value at an
/// odd offset contributes its bytes swapped (RFC 1071 §2 (B), byte-order independence),
/// so pass `old.swap_bytes()` and `new.swap_bytes()` for it.
#[inline]
pub fn update16(hc: u16, old: u16, new: u16) -> u16 {
    !fold(!hc as u64 + !old as u64 + new as u64)
}

/// [`update16`] for a 32-bit field at an even offset (an address, a sequence number).
#[inline]
pub fn update32(hc: u16, old: u32, new: u32) -> u16 {
    !fold(
        !hc as u64
            + !(old >> 16) as u16 as u64
            + !(old as u16) as u64
            + (new >> 16) as u64
            + (new & 0xffff) as u64,
    )
}

/// The IPv4 pseudo-header sum for UDP and TCP (RFC 768, RFC 9293 §3.1): source and
/// destination address (host order, as `Ipv4Addr::to_bits` gives them), the protocol
/// number and the UDP/TCP length. Add it to [`sum`] of the segment and [`fold`].
#[inline]
pub fn pseudo_header_v4(src: u32, dst: u32, protocol: u8, length: u16) -> u64 {
    (src >> 16) as u64
        + (src & 0xffff) as u64
        + (dst >> 16) as u64
        + (dst & 0xffff) as u64
        + protocol as u64
        + length as u64
}
