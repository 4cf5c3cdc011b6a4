//! The Internet checksum against RFC 1071's example, a naive implementation, and the
//! checksums scapy computed (tests/oracle/golden.py).

// In a module so that `cargo test wire` selects these tests by name.
mod wire_checksum {
    use dataplane::wire::checksum::{
        checksum, fold, pseudo_header_v4, sum, update16, update32, verify, verify20,
    };
    use proptest::prelude::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    // scapy: IP(src=S, dst=I, ttl=17, id=0x1234, flags="DF", tos=0xb8,
    //           options=[IPOption_RR(routers=[R])]) / UDP(sport=1234, dport=53) / b"hello"
    const IPV4_OPTIONS: &str =
        "47b800291234400011115bd7c0000202c6336402070704c00002010004d20035000dcac268656c6c6f";
    // scapy: IP(src=S, dst=I) / UDP(sport=1234, dport=53) / b"hello"
    const UDP_ODD: &str = "450000210001000040118e93c0000202c633640204d20035000dcac268656c6c6f";
    // scapy: IP(src=R, dst=S, tos=0xc0, id=0) / ICMP(type=11, code=0) / ORIG_UDP
    const ICMP_TIME_EXCEEDED: &str = "45c00042000000004001f5f7c0000201c00002020b00e15b0000000045000026007700000111cd18c0000202c6336402829a829b0012ef387472616365726f757465";

    fn naive(data: &[u8]) -> u16 {
        let mut s: u32 = 0;
        for c in data.chunks(2) {
            s += u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]) as u32;
            s = (s & 0xffff) + (s >> 16);
        }
        !(s as u16)
    }

    fn same_ones_complement(a: u16, b: u16) -> bool {
        a == b || (a, b) == (0, 0xffff) || (a, b) == (0xffff, 0)
    }

    #[test]
    fn rfc1071_example() {
        // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (folded).
        assert_eq!(
            fold(sum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7])),
            0xddf2
        );
        assert_eq!(
            checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            !0xddf2
        );
    }

    #[test]
    fn ip_headers_match_scapy() {
        for (h, hl, want) in [
            (IPV4_OPTIONS, 28, 0x5bd7),
            (UDP_ODD, 20, 0x8e93),
            (ICMP_TIME_EXCEEDED, 20, 0xf5f7),
        ] {
            let mut b = hex(h);
            assert!(verify(0, &b[..hl]));
            b[10] = 0;
            b[11] = 0;
            assert_eq!(checksum(&b[..hl]), want);
        }
    }

    #[test]
    fn udp_pseudo_header_matches_scapy() {
        // 192.0.2.2 → 198.51.100.2, UDP, length 13, odd payload "hello": scapy wrote 0xcac2.
        let mut b = hex(UDP_ODD);
        let udp = &mut b[20..];
        assert!(verify(
            pseudo_header_v4(0xc000_0202, 0xc633_6402, 17, 13),
            udp
        ));
        udp[6] = 0;
        udp[7] = 0;
        assert_eq!(
            !fold(pseudo_header_v4(0xc000_0202, 0xc633_6402, 17, 13) + sum(udp)),
            0xcac2
        );
    }

    proptest! {
        #[test]
        fn verify20_agrees_with_verify(h in proptest::array::uniform20(any::<u8>()), fix in any::<bool>()) {
            let mut h = h;
            if fix {
                // Half of the cases with a right checksum (random headers almost never are).
                h[10] = 0;
                h[11] = 0;
                let c = checksum(&h);
                h[10..12].copy_from_slice(&c.to_be_bytes());
            }
            prop_assert_eq!(verify20(&h), verify(0, &h));
        }

        #[test]
        fn fast_sum_equals_naive(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            prop_assert_eq!(checksum(&data), naive(&data));
        }

        #[test]
        fn sums_add_up(a in proptest::collection::vec(any::<u8>(), 0..100), b in proptest::collection::vec(any::<u8>(), 0..100)) {
            // Partial sums of even-length pieces combine: how pseudo-headers are added.
            let mut a = a;
            a.truncate(a.len() & !1);
            let whole = [&a[..], &b[..]].concat();
            prop_assert_eq!(fold(sum(&a) + sum(&b)), fold(sum(&whole)));
        }

        #[test]
        fn update16_equals_recompute(mut data in proptest::collection::vec(any::<u8>(), 2..80), at in any::<prop::sample::Index>(), new in any::<u16>()) {
            // Any offset, even or odd: an odd one is updated with the bytes swapped.
            let i = at.index(data.len() - 1);
            let hc = checksum(&data);
            let old = u16::from_be_bytes([data[i], data[i + 1]]);
            data[i..i + 2].copy_from_slice(&new.to_be_bytes());
            let inc = if i & 1 == 0 { update16(hc, old, new) } else { update16(hc, old.swap_bytes(), new.swap_bytes()) };
            let full = checksum(&data);
            prop_assert!(same_ones_complement(inc, full), "{:#x} vs {:#x}", inc, full);
        }

        #[test]
        fn update32_equals_recompute(mut data in proptest::collection::vec(any::<u8>(), 4..80), at in any::<prop::sample::Index>(), new in any::<u32>()) {
            let i = at.index(data.len() - 3) & !1;
            let hc = checksum(&data);
            let old = u32::from_be_bytes([data[i], data[i + 1], data[i + 2], data[i + 3]]);
            data[i..i + 4].copy_from_slice(&new.to_be_bytes());
            let inc = update32(hc, old, new);
            let full = checksum(&data);
            prop_assert!(same_ones_complement(inc, full), "{:#x} vs {:#x}", inc, full);
        }
    }
}
