//! IPv4 against datagrams built by scapy (tests/oracle/golden.py).

// In a module so that `cargo test wire` selects these tests by name.
mod wire_ipv4 {
    use dataplane::wire::ipv4::HEADER_LEN;
    use dataplane::wire::{checksum, Error, IpProtocol, Ipv4Address, Ipv4Packet, Ipv4Repr};
    use proptest::prelude::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    const R: Ipv4Address = Ipv4Address::new(192, 0, 2, 1);
    const S: Ipv4Address = Ipv4Address::new(192, 0, 2, 2);
    const I: Ipv4Address = Ipv4Address::new(198, 51, 100, 2);

    // scapy: IP(src=S, dst=I, ttl=17, id=0x1234, flags="DF", tos=0xb8,
    //           options=[IPOption_RR(routers=[R])]) / UDP(sport=1234, dport=53) / b"hello"
    const IPV4_OPTIONS: &str =
        "47b800291234400011115bd7c0000202c6336402070704c00002010004d20035000dcac268656c6c6f";
    // scapy: the same with ttl=16.
    const IPV4_OPTIONS_TTL16: &str =
        "47b800291234400010115cd7c0000202c6336402070704c00002010004d20035000dcac268656c6c6f";
    // scapy: IP(src=S, dst=I, id=0x4242, flags="MF", frag=0, proto=17) / Raw(b"x" * 16)
    const IPV4_FIRST_FRAGMENT: &str =
        "450000244242200040112c4fc0000202c633640278787878787878787878787878787878";
    // scapy: IP(src=S, dst=I, id=0x4242, flags=0, frag=185, proto=17) / Raw(b"y" * 16)
    const IPV4_LAST_FRAGMENT: &str =
        "45000024424200b940114b96c0000202c633640279797979797979797979797979797979";
    // scapy: IP(src=S, dst=I, id=7) / ICMP(type=8, id=0x1234, seq=1) / b"abcdefghijklmnop"
    const ICMP_ECHO_REQUEST: &str =
        "4500002c0007000040018e92c0000202c63364020800a27f123400016162636465666768696a6b6c6d6e6f70";

    #[test]
    fn header_with_options() {
        let mut b = hex(IPV4_OPTIONS);
        b.extend_from_slice(&[0; 6]); // Ethernet padding after the datagram
        let p = Ipv4Packet::new_checked(&b[..]).unwrap();
        assert_eq!(p.version(), 4);
        assert_eq!(p.header_len(), 28);
        assert_eq!(p.dscp_ecn(), 0xb8);
        assert_eq!(p.total_len(), 41);
        assert_eq!(p.ident(), 0x1234);
        assert!(p.dont_frag() && !p.more_frags() && !p.is_fragment());
        assert_eq!(p.frag_offset(), 0);
        assert_eq!(p.ttl(), 17);
        assert_eq!(p.protocol(), IpProtocol::UDP);
        assert_eq!(p.checksum(), 0x5bd7);
        assert_eq!(p.src_addr(), S);
        assert_eq!(p.dst_addr(), I);
        assert_eq!(
            p.dst_addr().to_bits(),
            0xc633_6402,
            "host-order u32 for the FIB"
        );
        assert_eq!(
            p.options(),
            &hex("070704c000020100")[..],
            "record route, one slot, then EOL"
        );
        assert_eq!(p.header().len(), 28);
        assert!(p.verify_checksum());
        assert_eq!(
            p.payload().len(),
            13,
            "bounded by total length, not by the padded buffer"
        );
        assert_eq!(&p.payload()[8..], b"hello");
        assert_eq!(
            Ipv4Repr::parse(&p),
            Ok(Ipv4Repr {
                src: S,
                dst: I,
                protocol: IpProtocol::UDP,
                payload_len: 13,
                ttl: 17,
                dscp_ecn: 0xb8,
                ident: 0x1234,
                dont_frag: true
            })
        );
    }

    #[test]
    fn checksum_and_ttl_decrement_match_scapy() {
        let mut b = hex(IPV4_OPTIONS);
        let mut p = Ipv4Packet::new_checked(&mut b[..]).unwrap();
        p.set_checksum(0xdead);
        p.fill_checksum();
        assert_eq!(p.checksum(), 0x5bd7, "fill_checksum covers the options");
        p.decrement_ttl_incremental();
        assert_eq!(b, hex(IPV4_OPTIONS_TTL16));
    }

    #[test]
    fn fragments() {
        let b = hex(IPV4_FIRST_FRAGMENT);
        let p = Ipv4Packet::new_checked(&b[..]).unwrap();
        assert!(p.more_frags() && !p.dont_frag() && p.is_fragment());
        assert_eq!(p.frag_offset(), 0);
        let b = hex(IPV4_LAST_FRAGMENT);
        let p = Ipv4Packet::new_checked(&b[..]).unwrap();
        assert!(!p.more_frags() && p.is_fragment());
        assert_eq!(p.frag_offset(), 185 * 8);
        assert!(p.verify_checksum());

        // The flag and offset setters leave each other alone.
        let mut b = hex(IPV4_LAST_FRAGMENT);
        let mut p = Ipv4Packet::new_unchecked(&mut b[..]);
        p.set_more_frags(true);
        p.set_dont_frag(true);
        assert_eq!(
            (p.more_frags(), p.dont_frag(), p.frag_offset()),
            (true, true, 1480)
        );
        p.set_frag_offset(8);
        p.set_dont_frag(false);
        assert_eq!(
            (p.more_frags(), p.dont_frag(), p.frag_offset()),
            (true, false, 8)
        );
    }

    #[test]
    fn emit_matches_scapy() {
        let golden = hex(ICMP_ECHO_REQUEST);
        let r = Ipv4Repr {
            src: S,
            dst: I,
            protocol: IpProtocol::ICMP,
            payload_len: 24,
            ttl: 64,
            dscp_ecn: 0,
            ident: 7,
            dont_frag: false,
        };
        assert_eq!(r.buffer_len(), HEADER_LEN);
        let mut out = [0xffu8; 20];
        r.emit(&mut out).unwrap();
        assert_eq!(out[..], golden[..20]);
        assert_eq!(r.emit(&mut out[..19]), Err(Error::BufferTooSmall));
        assert_eq!(
            Ipv4Repr {
                payload_len: 65516,
                ..r
            }
            .emit(&mut out),
            Err(Error::BadLength)
        );
        let p = Ipv4Packet::new_checked(&golden[..]).unwrap();
        assert_eq!(Ipv4Repr::parse(&p), Ok(r));
    }

    #[test]
    fn errors() {
        let b = hex(IPV4_OPTIONS);
        assert_eq!(
            Ipv4Packet::new_checked(&b[..19]).unwrap_err(),
            Error::Truncated
        );
        assert_eq!(
            Ipv4Packet::new_checked(&b[..40]).unwrap_err(),
            Error::Truncated,
            "total_len past the end"
        );
        let mut v6 = b.clone();
        v6[0] = 0x65;
        assert_eq!(
            Ipv4Packet::new_checked(&v6[..]).unwrap_err(),
            Error::BadVersion
        );
        let mut ihl = b.clone();
        ihl[0] = 0x44;
        assert_eq!(
            Ipv4Packet::new_checked(&ihl[..]).unwrap_err(),
            Error::BadHeaderLength
        );
        let mut short = b.clone();
        short[3] = 20; // total length 20 < IHL 28
        assert_eq!(
            Ipv4Packet::new_checked(&short[..]).unwrap_err(),
            Error::BadLength
        );
        let mut ihl_past_end = hex(IPV4_FIRST_FRAGMENT);
        ihl_past_end[0] = 0x4f; // 60-byte header in a 36-byte datagram
        assert_eq!(
            Ipv4Packet::new_checked(&ihl_past_end[..]).unwrap_err(),
            Error::BadLength
        );
        let mut bad = b.clone();
        bad[12] ^= 1;
        let p = Ipv4Packet::new_checked(&bad[..]).unwrap();
        assert!(!p.verify_checksum());
        assert_eq!(Ipv4Repr::parse(&p), Err(Error::BadChecksum));
        // A Repr over an unchecked view re-checks instead of panicking.
        assert_eq!(
            Ipv4Repr::parse(&Ipv4Packet::new_unchecked(&short[..])),
            Err(Error::BadLength)
        );
        assert_eq!(
            Ipv4Repr::parse(&Ipv4Packet::new_unchecked(&b[..3])),
            Err(Error::Truncated)
        );
    }

    #[test]
    fn protocol_numbers() {
        assert_eq!(IpProtocol::ICMP, IpProtocol(1));
        assert_eq!(IpProtocol::TCP, IpProtocol(6));
        assert_eq!(IpProtocol::UDP, IpProtocol(17));
        assert_eq!(IpProtocol::GRE, IpProtocol(47));
        assert_eq!(R.to_bits(), 0xc000_0201);
        assert_eq!(Ipv4Address::from_bits(0xc000_0202), S);
    }

    /// A random IPv4 header (any IHL, random options and fields) with a right checksum.
    fn arb_header() -> impl Strategy<Value = Vec<u8>> {
        (
            5u8..=15,
            proptest::collection::vec(any::<u8>(), 60),
            1u8..=255,
        )
            .prop_map(|(ihl, mut b, ttl)| {
                let hl = ihl as usize * 4;
                b.truncate(hl);
                b[0] = 0x40 | ihl;
                b[2..4].copy_from_slice(&(hl as u16).to_be_bytes());
                b[8] = ttl;
                b[10] = 0;
                b[11] = 0;
                let c = checksum::checksum(&b);
                b[10..12].copy_from_slice(&c.to_be_bytes());
                b
            })
    }

    fn arb_repr() -> impl Strategy<Value = Ipv4Repr> {
        (
            any::<u32>(),
            any::<u32>(),
            any::<u8>(),
            0u16..2000,
            any::<u8>(),
            any::<u8>(),
            any::<u16>(),
            any::<bool>(),
        )
            .prop_map(|(s, d, proto, len, ttl, tos, id, df)| Ipv4Repr {
                src: Ipv4Address::from_bits(s),
                dst: Ipv4Address::from_bits(d),
                protocol: IpProtocol(proto),
                payload_len: len,
                ttl,
                dscp_ecn: tos,
                ident: id,
                dont_frag: df,
            })
    }

    /// Random bytes, and random bytes made to look like an IPv4 header with a length in range.
    fn arb_datagram() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..200),
            (
                proptest::collection::vec(any::<u8>(), 20..200),
                0u8..16,
                any::<prop::sample::Index>()
            )
                .prop_map(|(mut v, ihl, total)| {
                    v[0] = 0x40 | ihl;
                    let t = total.index(v.len() + 8) as u16;
                    v[2..4].copy_from_slice(&t.to_be_bytes());
                    v
                }),
        ]
    }

    proptest! {
        #[test]
        fn ttl_decrement_equals_recompute(mut h in arb_header()) {
            let ttl = h[8];
            let mut p = Ipv4Packet::new_checked(&mut h[..]).unwrap();
            p.decrement_ttl_incremental();
            prop_assert!(p.verify_checksum());
            prop_assert_eq!(p.ttl(), ttl - 1);
            let inc = p.checksum();
            p.fill_checksum();
            let full = p.checksum();
            // 0x0000 and 0xffff are the same one's-complement number.
            prop_assert!(inc == full || (inc, full) == (0, 0xffff) || (inc, full) == (0xffff, 0), "{:#x} vs {:#x}", inc, full);
        }

        #[test]
        fn round_trip(r in arb_repr()) {
            let mut b = vec![0u8; HEADER_LEN + r.payload_len as usize];
            r.emit(&mut b).unwrap();
            let p = Ipv4Packet::new_checked(&b[..]).unwrap();
            prop_assert!(p.verify_checksum());
            prop_assert_eq!(Ipv4Repr::parse(&p), Ok(r));
        }

        #[test]
        fn never_panics(data in arb_datagram()) {
            let _ = Ipv4Repr::parse(&Ipv4Packet::new_unchecked(&data[..]));
            let mut data = data;
            if let Ok(mut p) = Ipv4Packet::new_checked(&mut data[..]) {
                let _ = (p.version(), p.header_len(), p.dscp_ecn(), p.total_len(), p.ident(), p.dont_frag(), p.more_frags());
                let _ = (p.frag_offset(), p.is_fragment(), p.ttl(), p.protocol(), p.checksum(), p.src_addr(), p.dst_addr());
                let _ = (p.header(), p.options(), p.payload(), p.verify_checksum());
                prop_assert_eq!(p.payload().len(), p.total_len() as usize - p.header_len() as usize);
                let _ = Ipv4Repr::parse(&p);
                let _ = (p.options_mut().len(), p.payload_mut().len());
                p.fill_checksum();
                p.decrement_ttl_incremental();
                prop_assert!(p.verify_checksum());
            }
        }
    }
}
