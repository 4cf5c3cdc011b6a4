//! Ethernet and VLAN tags against frames built by scapy (tests/oracle/golden.py).

// In a module so that `cargo test wire` selects these tests by name.
mod wire_ethernet {
    use dataplane::wire::ethernet::{HEADER_LEN, VLAN_TAG_LEN};
    use dataplane::wire::{
        emit_l2, parse_l2, Error, EtherType, EthernetAddress, EthernetFrame, L2Header, VlanTag,
    };
    use proptest::prelude::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    const A: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 1]);
    const B: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 2]);

    // scapy: Ether(dst=A, src=B) / IP(src=S, dst=R) / ICMP()
    const ETH_UNTAGGED: &str =
        "02000000000102000000000208004500001c000100004001f6dcc0000202c00002010800f7ff00000000";
    // scapy: Ether(dst=A, src=B) / Dot1Q(vlan=10, prio=3, id=1) / IP(src=S, dst=R) / ICMP()
    const ETH_DOT1Q: &str =
    "0200000000010200000000028100700a08004500001c000100004001f6dcc0000202c00002010800f7ff00000000";
    // scapy: Ether(dst=A, src=B, type=0x88a8) / Dot1Q(vlan=100, prio=5) / Dot1Q(vlan=200) / IP(src=S, dst=R)
    const ETH_QINQ_88A8: &str =
        "02000000000102000000000288a8a064810000c8080045000014000100004000f6e5c0000202c0000201";
    // scapy: Ether(dst=A, src=B) / Dot1Q(vlan=10) / Dot1Q(vlan=20) / IP(src=S, dst=R) / ICMP()
    const ETH_QINQ_8100: &str =
    "0200000000010200000000028100000a8100001408004500001c000100004001f6dcc0000202c00002010800f7ff00000000";
    // scapy: Ether(dst=A, src=B, type=0x9100) / Dot1Q(vlan=300, prio=7, id=1) / Dot1Q(vlan=4094)
    //        / PPPoE(sessionid=0x1234) / PPP(proto=0x0021) / IP(src=S, dst=I)
    const ETH_QINQ_9100_PPPOE: &str =
    "0200000000010200000000029100f12c81000ffe886411001234001521450000140001000040008eb1c0000202c6336402";
    // scapy: Ether(dst=BC, src=B) / PPPoED(code=0x09)
    const ETH_PADI: &str = "ffffffffffff0200000000028863110900000000";
    // scapy: Ether(dst=A, src=B, type=0x88a8) / Dot1Q(vlan=1) / Dot1Q(vlan=2) / Dot1Q(vlan=3) / IP(src=S, dst=R)
    const ETH_THREE_TAGS: &str =
    "02000000000102000000000288a800018100000281000003080045000014000100004000f6e5c0000202c0000201";
    // scapy: Ether(dst=A, src=B, type=0x88a8) / Dot1Q(vlan=1, type=0x88a8) / Dot1Q(vlan=2) / IP(src=S, dst=R)
    const ETH_INNER_S_TAG: &str =
        "02000000000102000000000288a8000188a80002080045000014000100004000f6e5c0000202c0000201";

    fn tag(tpid: EtherType, pcp: u8, dei: bool, vid: u16) -> VlanTag {
        VlanTag {
            tpid,
            pcp,
            dei,
            vid,
        }
    }

    /// The header parse_l2 reads, and emit_l2 writes back scapy's bytes.
    fn check(
        frame_hex: &str,
        outer: Option<VlanTag>,
        inner: Option<VlanTag>,
        ethertype: EtherType,
        header_len: usize,
    ) {
        let f = hex(frame_hex);
        let h = parse_l2(&f).unwrap();
        assert_eq!(
            h,
            L2Header {
                dst: h.dst,
                src: B,
                outer_vlan: outer,
                inner_vlan: inner,
                ethertype,
                header_len
            }
        );
        let mut out = [0u8; 22];
        assert_eq!(emit_l2(&h, &mut out), Ok(header_len));
        assert_eq!(
            out[..header_len],
            f[..header_len],
            "emit_l2 differs from scapy"
        );
        // Every cut inside the header is Truncated, never a panic or a wrong header.
        for cut in 0..header_len {
            assert_eq!(parse_l2(&f[..cut]), Err(Error::Truncated), "cut at {cut}");
        }
    }

    #[test]
    fn untagged() {
        check(ETH_UNTAGGED, None, None, EtherType::IPV4, 14);
        let f = hex(ETH_UNTAGGED);
        let v = EthernetFrame::new_checked(&f[..]).unwrap();
        assert_eq!(
            (v.dst_addr(), v.src_addr(), v.ethertype()),
            (A, B, EtherType::IPV4)
        );
        assert_eq!(v.payload(), &f[14..]);
        assert_eq!(v.payload()[0], 0x45);
    }

    #[test]
    fn dot1q() {
        check(
            ETH_DOT1Q,
            Some(tag(EtherType::VLAN, 3, true, 10)),
            None,
            EtherType::IPV4,
            18,
        );
        // The plain view shows the TPID where the EtherType would be.
        let f = hex(ETH_DOT1Q);
        assert_eq!(
            EthernetFrame::new_checked(&f[..]).unwrap().ethertype(),
            EtherType::VLAN
        );
    }

    #[test]
    fn qinq() {
        check(
            ETH_QINQ_88A8,
            Some(tag(EtherType::QINQ, 5, false, 100)),
            Some(tag(EtherType::VLAN, 0, false, 200)),
            EtherType::IPV4,
            22,
        );
        check(
            ETH_QINQ_8100,
            Some(tag(EtherType::VLAN, 0, false, 10)),
            Some(tag(EtherType::VLAN, 0, false, 20)),
            EtherType::IPV4,
            22,
        );
        check(
            ETH_QINQ_9100_PPPOE,
            Some(tag(EtherType::QINQ_OLD, 7, true, 300)),
            Some(tag(EtherType::VLAN, 0, false, 4094)),
            EtherType::PPPOE_SESSION,
            22,
        );
        let f = hex(ETH_QINQ_9100_PPPOE);
        // PPPoE header: ver/type 0x11, code 0, session id 0x1234.
        assert_eq!(f[22..26], [0x11, 0x00, 0x12, 0x34]);
    }

    #[test]
    fn pppoe_discovery_broadcast() {
        check(ETH_PADI, None, None, EtherType::PPPOE_DISCOVERY, 14);
        let h = parse_l2(&hex(ETH_PADI)).unwrap();
        assert!(h.dst.is_broadcast() && h.dst.is_multicast() && !h.dst.is_unicast());
        assert_eq!(h.dst, EthernetAddress::BROADCAST);
    }

    #[test]
    fn tag_errors() {
        assert_eq!(parse_l2(&hex(ETH_THREE_TAGS)), Err(Error::TooManyTags));
        assert_eq!(parse_l2(&hex(ETH_INNER_S_TAG)), Err(Error::BadTpid));
    }

    #[test]
    fn emit_refuses_what_parse_would_not_read_back() {
        let base = parse_l2(&hex(ETH_QINQ_88A8)).unwrap();
        let mut buf = [0u8; 22];
        let c = tag(EtherType::VLAN, 0, false, 1);
        let bad = [
            L2Header {
                outer_vlan: None,
                inner_vlan: Some(c),
                ..base
            },
            L2Header {
                outer_vlan: Some(tag(EtherType::QINQ, 8, false, 1)),
                ..base
            },
            L2Header {
                outer_vlan: Some(tag(EtherType::QINQ, 0, false, 4096)),
                ..base
            },
            L2Header {
                outer_vlan: Some(tag(EtherType::IPV4, 0, false, 1)),
                ..base
            },
            L2Header {
                inner_vlan: Some(tag(EtherType::QINQ, 0, false, 1)),
                ..base
            },
            L2Header {
                ethertype: EtherType::VLAN,
                ..base
            },
        ];
        for h in bad {
            assert_eq!(emit_l2(&h, &mut buf), Err(Error::Unsupported), "{h:?}");
        }
        assert_eq!(emit_l2(&base, &mut buf[..21]), Err(Error::BufferTooSmall));
    }

    #[test]
    fn frame_setters() {
        let mut f = hex(ETH_UNTAGGED);
        let mut v = EthernetFrame::new_checked(&mut f[..]).unwrap();
        v.set_dst_addr(B);
        v.set_src_addr(A);
        v.set_ethertype(EtherType::ARP);
        v.payload_mut()[0] = 0xee;
        let v = EthernetFrame::new_checked(&f[..]).unwrap();
        assert_eq!(
            (v.dst_addr(), v.src_addr(), v.ethertype(), v.payload()[0]),
            (B, A, EtherType::ARP, 0xee)
        );
        assert_eq!(
            EthernetFrame::new_checked(&f[..13]).unwrap_err(),
            Error::Truncated
        );
    }

    #[test]
    fn address_text() {
        assert_eq!(A.to_string(), "02:00:00:00:00:01");
        assert_eq!(
            "02:0a:0B:0c:0d:0e".parse::<EthernetAddress>(),
            Ok(EthernetAddress([2, 10, 11, 12, 13, 14]))
        );
        assert_eq!(
            "02-0a-0b-0c-0d-0e".parse::<EthernetAddress>(),
            Ok(EthernetAddress([2, 10, 11, 12, 13, 14]))
        );
        for bad in [
            "",
            "02:0a:0b:0c:0d",
            "02:0a:0b:0c:0d:0e:0f",
            "02:0a:0b:0c:0d:+e",
            "2:0a:0b:0c:0d:0e",
            "02:0a:0b:0c:0d:0g",
        ] {
            assert_eq!(
                bad.parse::<EthernetAddress>(),
                Err(Error::BadAddress),
                "{bad:?}"
            );
        }
        assert!(EthernetAddress([1, 0, 0x5e, 0, 0, 1]).is_multicast());
        assert!(!EthernetAddress([1, 0, 0x5e, 0, 0, 1]).is_broadcast());
        assert!(A.is_unicast());
    }

    fn arb_tag(tpid: impl Strategy<Value = EtherType>) -> impl Strategy<Value = VlanTag> {
        (tpid, 0u8..8, any::<bool>(), 0u16..4096).prop_map(|(tpid, pcp, dei, vid)| VlanTag {
            tpid,
            pcp,
            dei,
            vid,
        })
    }

    fn arb_header() -> impl Strategy<Value = L2Header> {
        let outer_tpid = prop_oneof![
            Just(EtherType::VLAN),
            Just(EtherType::QINQ),
            Just(EtherType::QINQ_OLD)
        ];
        let tags = prop_oneof![
            Just((None, None)),
            arb_tag(outer_tpid.clone()).prop_map(|o| (Some(o), None)),
            (arb_tag(outer_tpid), arb_tag(Just(EtherType::VLAN)))
                .prop_map(|(o, i)| (Some(o), Some(i))),
        ];
        let ethertype = any::<u16>()
            .prop_filter("not a TPID", |t| !EtherType(*t).is_vlan_tpid())
            .prop_map(EtherType);
        (any::<[u8; 6]>(), any::<[u8; 6]>(), tags, ethertype).prop_map(|(d, s, (o, i), et)| {
            L2Header {
                dst: EthernetAddress(d),
                src: EthernetAddress(s),
                outer_vlan: o,
                inner_vlan: i,
                ethertype: et,
                header_len: HEADER_LEN
                    + VLAN_TAG_LEN * (o.is_some() as usize + i.is_some() as usize),
            }
        })
    }

    /// Random bytes, with TPIDs planted where tags would be so that tag parsing is reached.
    fn arb_frame() -> impl Strategy<Value = Vec<u8>> {
        let tpids = prop::sample::select(vec![0x8100u16, 0x88a8, 0x9100, 0x0800, 0x8864]);
        (
            proptest::collection::vec(any::<u8>(), 0..200),
            tpids.clone(),
            tpids.clone(),
            tpids,
        )
            .prop_map(|(mut v, a, b, c)| {
                for (at, t) in [(12, a), (16, b), (20, c)] {
                    if v.len() >= at + 2 {
                        v[at..at + 2].copy_from_slice(&t.to_be_bytes());
                    }
                }
                v
            })
    }

    proptest! {
        #[test]
        fn round_trip(h in arb_header(), payload in proptest::collection::vec(any::<u8>(), 0..8)) {
            let mut buf = vec![0u8; 22 + payload.len()];
            let n = emit_l2(&h, &mut buf).unwrap();
            prop_assert_eq!(n, h.header_len);
            buf.truncate(n);
            buf.extend_from_slice(&payload);
            prop_assert_eq!(parse_l2(&buf), Ok(h));
        }

        #[test]
        fn never_panics(data in prop_oneof![proptest::collection::vec(any::<u8>(), 0..200), arb_frame()]) {
            if let Ok(h) = parse_l2(&data) {
                prop_assert!(h.header_len <= data.len());
                prop_assert!(!h.ethertype.is_vlan_tpid());
                let mut out = [0u8; 22];
                prop_assert_eq!(emit_l2(&h, &mut out), Ok(h.header_len));
                prop_assert_eq!(&out[..h.header_len], &data[..h.header_len]);
            }
            if let Ok(f) = EthernetFrame::new_checked(&data[..]) {
                let _ = (f.dst_addr(), f.src_addr(), f.ethertype(), f.payload());
            }
        }
    }
}
