//! The IPv6 fixed header (RFC 8200 §3) against packets built by scapy (`IPv6()`), the
//! text form of RFC 5952's examples, tshark decoding what we emit, and scapy reading it.

mod oracle_util;

// In a module so that `cargo test wire_ipv6` selects these tests by name.
mod wire_ipv6 {
    use super::oracle_util::{hex, scapy, tshark};
    use dataplane::wire::checksum;
    use dataplane::wire::ipv6::{
        self, Ipv6Address, Ipv6Packet, Ipv6Repr, HEADER_LEN, NEXT_HEADER_NONE,
    };
    use dataplane::wire::{emit_l2, Error, EtherType, EthernetAddress, IpProtocol, L2Header};
    use proptest::prelude::*;

    // scapy: IPv6(src="2001:db8::1", dst="2001:db8:0:1::2", tc=0xb8, fl=0x12345, hlim=63, nh=59)
    const V6_NONE: &str =
        "6b81234500003b3f20010db800000000000000000000000120010db8000000010000000000000002";
    // scapy: IPv6(src="fe80::1", dst="ff02::1:2", hlim=1) / UDP(sport=546, dport=547) / b"hi"
    const V6_UDP: &str = "60000000000a1101fe800000000000000000000000000001ff02000000000000000000000001000202220223000a95a46869";

    fn addr(s: &str) -> Ipv6Address {
        s.parse().unwrap()
    }

    #[test]
    fn golden_no_next_header() {
        let b = hex(V6_NONE);
        let p = Ipv6Packet::new_checked(&b[..]).unwrap();
        assert_eq!(p.version(), 6);
        assert_eq!(p.traffic_class(), 0xb8);
        assert_eq!(p.flow_label(), 0x12345);
        assert_eq!(p.payload_len(), 0);
        assert_eq!(p.next_header(), NEXT_HEADER_NONE);
        assert_eq!(p.hop_limit(), 63);
        assert_eq!(
            p.src_addr(),
            Ipv6Address::new([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1])
        );
        assert_eq!(p.dst_addr(), addr("2001:db8:0:1::2"));
        assert!(p.payload().is_empty());
        let r = Ipv6Repr {
            src: addr("2001:db8::1"),
            dst: addr("2001:db8:0:1::2"),
            next_header: NEXT_HEADER_NONE,
            payload_len: 0,
            hop_limit: 63,
            traffic_class: 0xb8,
            flow_label: 0x12345,
        };
        assert_eq!(Ipv6Repr::parse(&p), Ok(r));
        assert_eq!(r.buffer_len(), HEADER_LEN);
        let mut out = [0xa5u8; 40];
        r.emit(&mut out).unwrap();
        assert_eq!(&out[..], &b[..], "emit differs from scapy");
    }

    #[test]
    fn golden_udp() {
        let b = hex(V6_UDP);
        let p = Ipv6Packet::new_checked(&b[..]).unwrap();
        assert_eq!(
            (p.traffic_class(), p.flow_label(), p.payload_len()),
            (0, 0, 10)
        );
        assert_eq!((p.next_header(), p.hop_limit()), (IpProtocol::UDP, 1));
        assert_eq!(p.src_addr().to_string(), "fe80::1");
        assert_eq!(p.dst_addr().to_string(), "ff02::1:2");
        assert!(p.src_addr().is_unicast_link_local() && p.dst_addr().is_multicast());
        assert_eq!(p.payload(), &b[40..]);
        // scapy's UDP checksum, by the RFC 8200 §8.1 pseudo-header: our sums agree.
        assert_eq!(udp6_checksum(&b[8..24], &b[24..40], &b[40..]), 0xffff);
        let r = Ipv6Repr::parse(&p).unwrap();
        let mut out = b.clone();
        out[..40].fill(0);
        r.emit(&mut out).unwrap();
        assert_eq!(out, b);
    }

    /// The folded sum of the RFC 8200 §8.1 pseudo-header and a UDP datagram.
    fn udp6_checksum(src: &[u8], dst: &[u8], udp: &[u8]) -> u16 {
        let mut ph = Vec::new();
        ph.extend_from_slice(src);
        ph.extend_from_slice(dst);
        ph.extend_from_slice(&(udp.len() as u32).to_be_bytes());
        ph.extend_from_slice(&[0, 0, 0, 17]);
        checksum::fold(checksum::sum(&ph) + checksum::sum(udp))
    }

    #[test]
    fn rfc5952_text() {
        for (input, want) in [
            // §4.1: leading zeros dropped.
            ("2001:0db8::0001", "2001:db8::1"),
            // §4.2.1: "::" as long as possible.
            ("2001:db8:0:0:0:0:2:1", "2001:db8::2:1"),
            // §4.2.2: not for a single zero group.
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
            // §4.2.3: the longest run, and the first of equal runs.
            ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
            // §4.3: lower case.
            ("2001:DB8::ABCD", "2001:db8::abcd"),
            // §5: IPv4-mapped addresses in mixed notation.
            ("::ffff:c000:0201", "::ffff:192.0.2.1"),
            ("::", "::"),
            ("::1", "::1"),
            ("1::", "1::"),
            ("fe80:0:0:0:0:0:0:1", "fe80::1"),
        ] {
            assert_eq!(addr(input).to_string(), want, "{input}");
        }
        assert!(Ipv6Address::UNSPECIFIED.is_unspecified() && Ipv6Address::LOOPBACK.is_loopback());
        assert_eq!(Ipv6Address::LOOPBACK, addr("::1"));
        assert_eq!(
            addr("2001:db8::2:1").segments(),
            [0x2001, 0xdb8, 0, 0, 0, 0, 2, 1]
        );
        for bad in [
            "",
            ":",
            "1:2:3:4:5:6:7:8:9",
            "2001:db8::1::2",
            "12345::",
            "g::",
            "192.0.2.1",
        ] {
            assert_eq!(
                bad.parse::<Ipv6Address>(),
                Err(Error::BadAddress),
                "{bad:?}"
            );
        }
        let std: core::net::Ipv6Addr = addr("2001:db8::1").into();
        assert_eq!(Ipv6Address::from(std), addr("2001:db8::1"));
    }

    #[test]
    fn bad_input() {
        let b = hex(V6_UDP);
        for n in 0..b.len() {
            assert_eq!(
                Ipv6Packet::new_checked(&b[..n]).unwrap_err(),
                Error::Truncated,
                "at {n}"
            );
        }
        // Payload Length past the buffer.
        let mut c = b.clone();
        c[4..6].copy_from_slice(&11u16.to_be_bytes());
        assert_eq!(
            Ipv6Packet::new_checked(&c[..]).unwrap_err(),
            Error::Truncated
        );
        assert_eq!(
            Ipv6Repr::parse(&Ipv6Packet::new_unchecked(&c[..])),
            Err(Error::Truncated)
        );
        // Version 4 (and every other non-6).
        for v in (0..16).filter(|&v| v != 6) {
            let mut c = b.clone();
            c[0] = (v << 4) | (c[0] & 0x0f);
            assert_eq!(
                Ipv6Packet::new_checked(&c[..]).unwrap_err(),
                Error::BadVersion,
                "version {v}"
            );
        }
        // Ethernet padding after the payload is not payload.
        let mut c = b.clone();
        c.extend_from_slice(&[0; 8]);
        let p = Ipv6Packet::new_checked(&c[..]).unwrap();
        assert_eq!(p.payload(), &b[40..]);
        // emit: a flow label wider than 20 bits, a short buffer.
        let r = Ipv6Repr::parse(&Ipv6Packet::new_checked(&b[..]).unwrap()).unwrap();
        assert_eq!(
            Ipv6Repr {
                flow_label: 0x10_0000,
                ..r
            }
            .emit(&mut [0; 40]),
            Err(Error::BadValue)
        );
        assert_eq!(r.emit(&mut [0; 39]), Err(Error::BufferTooSmall));
    }

    #[test]
    fn setters_keep_the_other_fields() {
        let mut b = hex(V6_NONE);
        let mut p = Ipv6Packet::new_checked(&mut b[..]).unwrap();
        p.set_traffic_class(0x01);
        assert_eq!(
            (p.version(), p.traffic_class(), p.flow_label()),
            (6, 0x01, 0x12345)
        );
        p.set_flow_label(0xf_ffff);
        assert_eq!(
            (p.version(), p.traffic_class(), p.flow_label()),
            (6, 0x01, 0xf_ffff)
        );
        p.set_flow_label(0x12_3456);
        assert_eq!(p.flow_label(), 0x2_3456, "only 20 bits");
        p.set_version();
        p.set_hop_limit(1);
        p.set_next_header(IpProtocol::ICMPV6);
        p.set_src_addr(Ipv6Address::LOOPBACK);
        p.set_dst_addr(Ipv6Address::UNSPECIFIED);
        assert_eq!(
            (p.hop_limit(), p.next_header(), p.traffic_class()),
            (1, IpProtocol::ICMPV6, 0x01)
        );
        assert_eq!(
            (p.src_addr(), p.dst_addr()),
            (Ipv6Address::LOOPBACK, Ipv6Address::UNSPECIFIED)
        );
        let mut b = [0u8; 44];
        let mut p = Ipv6Packet::new_unchecked(&mut b[..]);
        p.set_version();
        p.set_payload_len(4);
        p.payload_mut().copy_from_slice(b"abcd");
        assert_eq!(Ipv6Packet::new_checked(&b[..]).unwrap().payload(), b"abcd");
        assert_eq!(ipv6::NEXT_HEADER_FRAGMENT, IpProtocol(44));
    }

    fn arb_addr() -> impl Strategy<Value = Ipv6Address> {
        any::<[u8; 16]>().prop_map(Ipv6Address)
    }

    proptest! {
        #[test]
        fn round_trip(src in arb_addr(), dst in arb_addr(), nh in any::<u8>(), payload_len in 0u16..300,
                      hop_limit in any::<u8>(), traffic_class in any::<u8>(), flow_label in 0u32..0x10_0000) {
            let r = Ipv6Repr { src, dst, next_header: IpProtocol(nh), payload_len, hop_limit, traffic_class, flow_label };
            let mut b = vec![0u8; HEADER_LEN + payload_len as usize];
            r.emit(&mut b).unwrap();
            let p = Ipv6Packet::new_checked(&b[..]).unwrap();
            prop_assert_eq!(Ipv6Repr::parse(&p), Ok(r));
            // Display and FromStr agree.
            prop_assert_eq!(src.to_string().parse::<Ipv6Address>(), Ok(src));
            #[cfg(fuzzing)]
            ipv6::fuzz(&b);
        }

        #[test]
        fn never_panics(mut data in proptest::collection::vec(any::<u8>(), 0..120), six in any::<bool>()) {
            if six && !data.is_empty() {
                data[0] = 0x60 | (data[0] & 0x0f);
            }
            #[cfg(fuzzing)]
            ipv6::fuzz(&data);
            if let Ok(p) = Ipv6Packet::new_checked(&data[..]) {
                prop_assert!(Ipv6Repr::parse(&p).is_ok());
            }
        }
    }

    // --- oracles ---------------------------------------------------------------

    const A: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 1]);
    const B: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 2]);

    /// Ethernet / our IPv6 header / `payload`.
    fn frame(r: &Ipv6Repr, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; 14];
        let h = L2Header {
            dst: B,
            src: A,
            outer_vlan: None,
            inner_vlan: None,
            ethertype: EtherType::IPV6,
            header_len: 0,
        };
        emit_l2(&h, &mut f).unwrap();
        f.resize(14 + 40, 0);
        r.emit(&mut f[14..]).unwrap();
        f.extend_from_slice(payload);
        f
    }

    /// What the oracles get: our headers, with no next header and with a UDP datagram
    /// (built by hand, checksum over the RFC 8200 §8.1 pseudo-header).
    fn emitted() -> Vec<(Ipv6Repr, Vec<u8>)> {
        let none = Ipv6Repr {
            src: addr("2001:db8::1"),
            dst: addr("2001:db8:0:1::2"),
            next_header: NEXT_HEADER_NONE,
            payload_len: 0,
            hop_limit: 63,
            traffic_class: 0xb8,
            flow_label: 0x12345,
        };
        let (src, dst) = (addr("2001:db8:aaaa::10"), addr("2001:db8:bbbb::20"));
        // To the echo port (7): tshark takes any payload there as valid.
        let mut udp = vec![
            0x9c, 0x40, 0x00, 0x07, 0, 13, 0, 0, b'h', b'e', b'l', b'l', b'o',
        ];
        let c = !udp6_checksum(&src.0, &dst.0, &udp);
        udp[6..8].copy_from_slice(&c.to_be_bytes());
        let with_udp = Ipv6Repr {
            src,
            dst,
            next_header: IpProtocol::UDP,
            payload_len: udp.len() as u16,
            hop_limit: 255,
            traffic_class: 0x02,
            flow_label: 0xf_ffff,
        };
        vec![(none, vec![]), (with_udp, udp)]
    }

    #[test]
    fn tshark_decodes_what_we_emit() {
        let kinds = emitted();
        let frames: Vec<Vec<u8>> = kinds.iter().map(|(r, p)| frame(r, p)).collect();
        let fields = [
            "ipv6.version",
            "ipv6.tclass",
            "ipv6.tclass.dscp",
            "ipv6.flow",
            "ipv6.plen",
            "ipv6.nxt",
            "ipv6.hlim",
            "ipv6.src",
            "ipv6.dst",
            "udp.checksum.status",
            "udp.dstport",
        ];
        let decoded = tshark(&frames, &fields, &[], &[]);
        assert_eq!(decoded.len(), 2);
        let want: [[&str; 11]; 2] = [
            [
                "6",
                "0x000000b8",
                "46",
                "0x012345",
                "0",
                "59",
                "63",
                "2001:db8::1",
                "2001:db8:0:1::2",
                "",
                "",
            ],
            [
                "6",
                "0x00000002",
                "0",
                "0x0fffff",
                "13",
                "17",
                "255",
                "2001:db8:aaaa::10",
                "2001:db8:bbbb::20",
                "1",
                "7",
            ],
        ];
        for (n, (d, w)) in decoded.iter().zip(want).enumerate() {
            assert!(!d.malformed, "frame {}: malformed", n + 1);
            assert_eq!(d.expert, "", "frame {}: expert info", n + 1);
            for (i, f) in fields.iter().enumerate() {
                assert_eq!(d.fields[i], w[i], "frame {}: {f}", n + 1);
            }
        }
    }

    #[test]
    fn scapy_reads_what_we_emit() {
        let kinds = emitted();
        let mut code = String::new();
        for (r, p) in &kinds {
            let mut b = vec![0u8; 40];
            r.emit(&mut b).unwrap();
            b.extend_from_slice(p);
            let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
            code += &format!("p = IPv6(bytes.fromhex('{h}'))\nprint(p.version, p.tc, p.fl, p.plen, p.nh, p.hlim, p.src, p.dst)\n");
        }
        let out = scapy(&code);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), kinds.len(), "{out}");
        for ((r, _), line) in kinds.iter().zip(lines) {
            let want = format!(
                "6 {} {} {} {} {} {} {}",
                r.traffic_class,
                r.flow_label,
                r.payload_len,
                r.next_header.0,
                r.hop_limit,
                r.src,
                r.dst
            );
            assert_eq!(line, want);
        }
    }
}
