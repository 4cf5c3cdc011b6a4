//! The Internet checksum (RFC 1071) and its incremental update (RFC 1624).

/// One's-complement sum of `data` as big-endian 16-bit words (odd byte padded), unfolded.
#[inline]
pub fn sum(data: &[u8]) -> u64 {
    let mut acc: u64 = 0;
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_be_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        // Add the four 16-bit words of w: split into two 32-bit halves to keep carries.
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

/// The checksum field value for `data` (with its checksum field zeroed), RFC 1071.
#[inline]
pub fn checksum(data: &[u8]) -> u16 {
    !fold(sum(data))
}

/// RFC 1624 eqn. 3: the new checksum after a 16-bit word changed from `old` to `new`:
/// HC' = ~(~HC + ~m + m').
#[inline]
pub fn update16(hc: u16, old: u16, new: u16) -> u16 {
    !fold(!hc as u64 + !old as u64 + new as u64)
}

/// The same for a 32-bit field (two words).
#[inline]
pub fn update32(hc: u16, old: u32, new: u32) -> u16 {
    let hc = update16(hc, (old >> 16) as u16, (new >> 16) as u16);
    update16(hc, old as u16, new as u16)
}

/// The IPv4 pseudo-header sum for UDP/TCP (RFC 768, RFC 793).
#[inline]
pub fn pseudo_header_v4(src: u32, dst: u32, protocol: u8, length: u16) -> u64 {
    (src >> 16) as u64 + (src & 0xffff) as u64 + (dst >> 16) as u64 + (dst & 0xffff) as u64 + protocol as u64 + length as u64
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (folded).
        assert_eq!(fold(sum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7])), 0xddf2);
    }

    #[test]
    fn ipv4_header_from_scapy() {
        // /usr/bin/python3 -c "from scapy.all import *; print(bytes(IP(src='192.0.2.2',dst='198.51.100.2',id=1)).hex())"
        let h = hex("450000140001000040008eb1c0000202c6336402");
        assert_eq!(checksum(&h), 0, "a correct header sums to zero");
        let mut z = h.clone();
        z[10] = 0;
        z[11] = 0;
        assert_eq!(checksum(&z), 0x8eb1);
    }

    pub(crate) fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    fn naive(data: &[u8]) -> u16 {
        let mut s: u32 = 0;
        for c in data.chunks(2) {
            s += u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]) as u32;
            s = (s & 0xffff) + (s >> 16);
        }
        !(s as u16)
    }

    proptest! {
        #[test]
        fn fast_sum_equals_naive(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            prop_assert_eq!(checksum(&data), naive(&data));
        }

        #[test]
        fn incremental_equals_recompute(mut data in proptest::collection::vec(any::<u8>(), 20..60), at in 0usize..9, new in any::<u16>()) {
            data.truncate(data.len() & !1);
            let i = (at * 2).min(data.len() - 2);
            let hc = checksum(&data);
            let old = u16::from_be_bytes([data[i], data[i + 1]]);
            data[i..i + 2].copy_from_slice(&new.to_be_bytes());
            let inc = update16(hc, old, new);
            // 0x0000 and 0xffff are the same one's-complement value.
            let full = checksum(&data);
            prop_assert!(inc == full || (inc == 0xffff && full == 0) || (inc == 0 && full == 0xffff), "{:#x} vs {:#x}", inc, full);
        }
    }
}
