//! ICMPv4 against messages built by scapy (tests/oracle/golden.py).

// In a module so that `cargo test wire` selects these tests by name.
mod wire_icmpv4 {
    use dataplane::wire::icmpv4::{HEADER_LEN, MAX_ERROR_QUOTE};
    use dataplane::wire::{
        Error, Icmpv4DstUnreachable as DstUnreachable, Icmpv4Message, Icmpv4Packet, Icmpv4Repr,
        Icmpv4TimeExceeded as TimeExceeded, IpProtocol, Ipv4Address, Ipv4Packet,
    };
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

    // scapy: IP(src=S, dst=I, id=7) / ICMP(type=8, id=0x1234, seq=1) / b"abcdefghijklmnop"
    const ICMP_ECHO_REQUEST: &str =
        "4500002c0007000040018e92c0000202c63364020800a27f123400016162636465666768696a6b6c6d6e6f70";
    // scapy: IP(src=I, dst=S, id=8) / ICMP(type=0, id=0x1234, seq=1) / b"abcdefghijklmnop"
    const ICMP_ECHO_REPLY: &str =
        "4500002c0008000040018e91c6336402c00002020000aa7f123400016162636465666768696a6b6c6d6e6f70";
    // ORIG_TCP = IP(src=S, dst=I, flags="DF", id=0x99, ttl=63) / TCP(sport=40000, dport=443, flags="A",
    //            seq=1, ack=1) / (b"Z" * 1460)                  (1500 bytes)
    // scapy: IP(src=R, dst=S, tos=0xc0, id=0) / ICMP(type=3, code=4, nexthopmtu=1492) / ORIG_TCP[:28]
    const ICMP_FRAG_NEEDED_28: &str = "45c00038000000004001f601c0000201c00002020304592b000005d4450005dc009940003f06494bc0000202c63364029c4001bb00000001";
    // scapy: ICMP(type=3, code=4, nexthopmtu=1492) / ORIG_TCP[:548]; the hex is its first 68
    // bytes, the rest is b"Z" (see `frag_needed_548`).
    const ICMP_FRAG_NEEDED_548_HEAD: &str = "0304e92e000005d4450005dc009940003f06494bc0000202c63364029c4001bb0000000100000001501020005a450000";
    // ORIG_UDP = IP(src=S, dst=I, ttl=1, id=0x77) / UDP(sport=33434, dport=33435) / b"traceroute"
    // scapy: IP(src=R, dst=S, tos=0xc0, id=0) / ICMP(type=11, code=0) / ORIG_UDP
    const ICMP_TIME_EXCEEDED: &str = "45c00042000000004001f5f7c0000201c00002020b00e15b0000000045000026007700000111cd18c0000202c6336402829a829b0012ef387472616365726f757465";
    // scapy: ICMP(type=3, code=3) / ORIG_UDP
    const ICMP_PORT_UNREACHABLE: &str =
    "0303e9580000000045000026007700000111cd18c0000202c6336402829a829b0012ef387472616365726f757465";

    /// ICMP_FRAG_NEEDED_548 whole: the head above, then TCP payload b"Z" to 8 + 548 bytes.
    fn frag_needed_548() -> Vec<u8> {
        let mut b = hex(ICMP_FRAG_NEEDED_548_HEAD);
        b.resize(HEADER_LEN + MAX_ERROR_QUOTE, b'Z');
        b
    }

    /// The ICMP message inside an IPv4 datagram, checking the datagram on the way.
    fn icmp_of(datagram: &[u8]) -> (Ipv4Packet<&[u8]>, &[u8]) {
        let ip = Ipv4Packet::new_checked(datagram).unwrap();
        assert!(ip.verify_checksum());
        assert_eq!(ip.protocol(), IpProtocol::ICMP);
        let payload = &datagram[ip.header_len() as usize..ip.total_len() as usize];
        (ip, payload)
    }

    /// parse gives `repr`, emit gives scapy's bytes back, and fill_checksum gives scapy's
    /// checksum.
    fn check(icmp: &[u8], repr: Icmpv4Repr) {
        let p = Icmpv4Packet::new_checked(icmp).unwrap();
        assert!(p.verify_checksum());
        assert_eq!(Icmpv4Repr::parse(&p), Ok(repr));
        assert_eq!(repr.buffer_len(), icmp.len());
        let mut out = vec![0xa5u8; icmp.len()];
        repr.emit(&mut out).unwrap();
        assert_eq!(out, icmp, "emit differs from scapy");
        let mut b = icmp.to_vec();
        let mut p = Icmpv4Packet::new_checked(&mut b[..]).unwrap();
        p.set_checksum(0);
        p.fill_checksum();
        assert_eq!(b, icmp, "checksum differs from scapy's");
        assert_eq!(
            repr.emit(&mut out[..icmp.len() - 1]),
            Err(Error::BufferTooSmall)
        );
    }

    #[test]
    fn echo() {
        let b = hex(ICMP_ECHO_REQUEST);
        let (ip, icmp) = icmp_of(&b);
        assert_eq!((ip.src_addr(), ip.dst_addr()), (S, I));
        let p = Icmpv4Packet::new_checked(icmp).unwrap();
        assert_eq!(
            (p.msg_type(), p.msg_code(), p.checksum()),
            (Icmpv4Message::ECHO_REQUEST, 0, 0xa27f)
        );
        assert_eq!((p.echo_ident(), p.echo_seq_no()), (0x1234, 1));
        assert_eq!(p.data(), b"abcdefghijklmnop");
        check(
            icmp,
            Icmpv4Repr::EchoRequest {
                ident: 0x1234,
                seq_no: 1,
                data: b"abcdefghijklmnop",
            },
        );

        let b = hex(ICMP_ECHO_REPLY);
        let (_, icmp) = icmp_of(&b);
        check(
            icmp,
            Icmpv4Repr::EchoReply {
                ident: 0x1234,
                seq_no: 1,
                data: b"abcdefghijklmnop",
            },
        );
    }

    #[test]
    fn frag_needed_with_rfc792_quote() {
        let b = hex(ICMP_FRAG_NEEDED_28);
        let (ip, icmp) = icmp_of(&b);
        assert_eq!((ip.src_addr(), ip.dst_addr(), ip.dscp_ecn()), (R, S, 0xc0));
        let p = Icmpv4Packet::new_checked(icmp).unwrap();
        assert_eq!(
            (p.msg_type(), p.msg_code()),
            (Icmpv4Message::DST_UNREACHABLE, 4)
        );
        assert_eq!(p.next_hop_mtu(), 1492);
        assert!(p.msg_type().is_error());
        check(
            icmp,
            Icmpv4Repr::DstUnreachable {
                code: DstUnreachable::FRAG_NEEDED,
                next_hop_mtu: 1492,
                invoking: &icmp[8..],
            },
        );
        // The quote is the offending datagram's header and first 8 bytes: enough to find the
        // flow (ports) it belongs to.
        let q = Ipv4Packet::new_unchecked(p.data());
        assert_eq!(
            (q.src_addr(), q.dst_addr(), q.protocol(), q.total_len()),
            (S, I, IpProtocol::TCP, 1500)
        );
        assert!(q.dont_frag() && q.verify_checksum());
        assert_eq!(
            p.data()[20..24],
            [0x9c, 0x40, 0x01, 0xbb],
            "ports 40000 → 443"
        );
    }

    #[test]
    fn frag_needed_quotes_at_most_548_bytes() {
        // The whole 1500-byte datagram: the 548 bytes scapy quoted, then the rest of its
        // b"Z" payload.
        let golden = frag_needed_548();
        let mut original = golden[HEADER_LEN..].to_vec();
        original.resize(1500, b'Z');
        let repr = Icmpv4Repr::DstUnreachable {
            code: DstUnreachable::FRAG_NEEDED,
            next_hop_mtu: 1492,
            invoking: &original,
        };
        assert_eq!(repr.buffer_len(), 8 + 548);
        assert!(20 + repr.buffer_len() <= 576, "RFC 1812 §4.3.2.3");
        let mut out = vec![0u8; repr.buffer_len()];
        repr.emit(&mut out).unwrap();
        assert_eq!(out, golden, "emit differs from scapy");
        let parsed = Icmpv4Repr::parse(&Icmpv4Packet::new_checked(&out[..]).unwrap()).unwrap();
        assert_eq!(
            parsed,
            Icmpv4Repr::DstUnreachable {
                code: DstUnreachable::FRAG_NEEDED,
                next_hop_mtu: 1492,
                invoking: &original[..548]
            }
        );
    }

    #[test]
    fn time_exceeded_and_port_unreachable() {
        let b = hex(ICMP_TIME_EXCEEDED);
        let (_, icmp) = icmp_of(&b);
        let orig = &icmp[8..];
        assert_eq!(orig.len(), 38, "a short datagram is quoted whole");
        check(
            icmp,
            Icmpv4Repr::TimeExceeded {
                code: TimeExceeded::TTL_EXPIRED,
                invoking: orig,
            },
        );

        let b = hex(ICMP_PORT_UNREACHABLE);
        check(
            &b,
            Icmpv4Repr::DstUnreachable {
                code: DstUnreachable::PORT_UNREACHABLE,
                next_hop_mtu: 0,
                invoking: orig,
            },
        );
        // The next-hop MTU belongs to code 4 only: emit leaves it zero elsewhere.
        let repr = Icmpv4Repr::DstUnreachable {
            code: DstUnreachable::PORT_UNREACHABLE,
            next_hop_mtu: 1400,
            invoking: orig,
        };
        let mut out = vec![0u8; repr.buffer_len()];
        repr.emit(&mut out).unwrap();
        assert_eq!(out, b);
    }

    #[test]
    fn refused() {
        let mut b = hex(ICMP_ECHO_REQUEST)[20..].to_vec();
        b[2] ^= 0x10;
        assert_eq!(
            Icmpv4Repr::parse(&Icmpv4Packet::new_checked(&b[..]).unwrap()),
            Err(Error::BadChecksum)
        );

        // Timestamp request: a type without a Repr.
        let mut ts = [13u8, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0];
        Icmpv4Packet::new_unchecked(&mut ts[..]).fill_checksum();
        assert_eq!(
            Icmpv4Repr::parse(&Icmpv4Packet::new_checked(&ts[..]).unwrap()),
            Err(Error::Unsupported)
        );

        // An echo with a code other than 0.
        let mut b = hex(ICMP_ECHO_REQUEST)[20..].to_vec();
        let mut p = Icmpv4Packet::new_checked(&mut b[..]).unwrap();
        p.set_msg_code(1);
        p.fill_checksum();
        assert_eq!(
            Icmpv4Repr::parse(&Icmpv4Packet::new_checked(&b[..]).unwrap()),
            Err(Error::Unsupported)
        );

        // Errors must quote a whole IPv4 header.
        let port_unreach = hex(ICMP_PORT_UNREACHABLE);
        for (cut, err) in [(8, Error::Truncated), (27, Error::Truncated)] {
            let mut b = port_unreach[..cut].to_vec();
            Icmpv4Packet::new_unchecked(&mut b[..]).fill_checksum();
            assert_eq!(
                Icmpv4Repr::parse(&Icmpv4Packet::new_checked(&b[..]).unwrap()),
                Err(err),
                "cut {cut}"
            );
        }
        for (byte0, err) in [
            (0x65, Error::BadVersion),
            (0x44, Error::BadHeaderLength),
            (0x4f, Error::Truncated),
        ] {
            let mut b = port_unreach.clone();
            b[8] = byte0;
            Icmpv4Packet::new_unchecked(&mut b[..]).fill_checksum();
            assert_eq!(
                Icmpv4Repr::parse(&Icmpv4Packet::new_checked(&b[..]).unwrap()),
                Err(err),
                "{byte0:#x}"
            );
        }

        assert_eq!(
            Icmpv4Packet::new_checked(&port_unreach[..7]).unwrap_err(),
            Error::Truncated
        );
        assert_eq!(
            Icmpv4Repr::parse(&Icmpv4Packet::new_unchecked(&port_unreach[..7])),
            Err(Error::Truncated)
        );
    }

    /// An invoking datagram: an IPv4 header (any IHL) and some data, at most what fits.
    fn arb_invoking() -> impl Strategy<Value = Vec<u8>> {
        (
            5u8..=15,
            proptest::collection::vec(any::<u8>(), 60..=MAX_ERROR_QUOTE),
        )
            .prop_map(|(ihl, mut v)| {
                v[0] = 0x40 | ihl;
                v
            })
    }

    fn arb_repr_parts() -> impl Strategy<Value = (u8, u8, u16, u16, Vec<u8>)> {
        prop_oneof![
            (
                0u8..2,
                any::<u16>(),
                any::<u16>(),
                proptest::collection::vec(any::<u8>(), 0..100)
            )
                .prop_map(|(k, id, seq, d)| (k, 0, id, seq, d)),
            (Just(2u8), 0u8..16, any::<u16>(), Just(0u16), arb_invoking())
                .prop_map(|(k, c, mtu, z, d)| (k, c, if c == 4 { mtu } else { 0 }, z, d)),
            (Just(3u8), 0u8..2, Just(0u16), Just(0u16), arb_invoking()),
        ]
    }

    fn build(kind: u8, code: u8, a: u16, b: u16, data: &[u8]) -> Icmpv4Repr<'_> {
        match kind {
            0 => Icmpv4Repr::EchoRequest {
                ident: a,
                seq_no: b,
                data,
            },
            1 => Icmpv4Repr::EchoReply {
                ident: a,
                seq_no: b,
                data,
            },
            2 => Icmpv4Repr::DstUnreachable {
                code: DstUnreachable(code),
                next_hop_mtu: a,
                invoking: data,
            },
            _ => Icmpv4Repr::TimeExceeded {
                code: TimeExceeded(code),
                invoking: data,
            },
        }
    }

    proptest! {
        #[test]
        fn round_trip((kind, code, a, b, data) in arb_repr_parts()) {
            let r = build(kind, code, a, b, &data);
            let mut out = vec![0u8; r.buffer_len()];
            r.emit(&mut out).unwrap();
            let p = Icmpv4Packet::new_checked(&out[..]).unwrap();
            prop_assert!(p.verify_checksum());
            prop_assert_eq!(Icmpv4Repr::parse(&p), Ok(r));
        }

        #[test]
        fn never_panics(mut data in proptest::collection::vec(any::<u8>(), 0..200), kind in prop::sample::select(vec![0u8, 3, 8, 11, 13]), fix_sum in any::<bool>()) {
            if !data.is_empty() {
                data[0] = kind;
            }
            if data.len() >= 9 {
                data[8] = 0x45;
            }
            if fix_sum && data.len() >= 8 {
                Icmpv4Packet::new_unchecked(&mut data[..]).fill_checksum();
            }
            let _ = Icmpv4Repr::parse(&Icmpv4Packet::new_unchecked(&data[..]));
            if let Ok(p) = Icmpv4Packet::new_checked(&data[..]) {
                let _ = (p.msg_type(), p.msg_code(), p.checksum(), p.echo_ident(), p.echo_seq_no(), p.next_hop_mtu(), p.data());
                if let Ok(r) = Icmpv4Repr::parse(&p) {
                    // Whatever parses re-emits to the same bytes, if no unused field was
                    // set and nothing gets cut off. (The checksum is left out: 0x0000 and
                    // 0xffff both verify.)
                    let unused_zero = match r {
                        Icmpv4Repr::EchoRequest { .. } | Icmpv4Repr::EchoReply { .. } => true,
                        Icmpv4Repr::DstUnreachable { code: DstUnreachable::FRAG_NEEDED, .. } => data[4..6] == [0; 2],
                        _ => data[4..8] == [0; 4],
                    };
                    if unused_zero && data.len() - HEADER_LEN <= MAX_ERROR_QUOTE {
                        let mut out = vec![0u8; r.buffer_len()];
                        r.emit(&mut out).unwrap();
                        prop_assert_eq!(&out[..2], &data[..2]);
                        prop_assert_eq!(&out[4..], &data[4..]);
                    }
                }
            }
        }
    }
}
