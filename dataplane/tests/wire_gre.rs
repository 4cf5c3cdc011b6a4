//! GRE version 0 (RFC 2784, RFC 2890) and PPTP's enhanced GRE, version 1 (RFC 2637
//! §4.1), against packets built by scapy (`scapy.layers.l2.GRE`, `GRE_PPTP`), decoded
//! by tshark, and read back by scapy. The RFCs have no byte examples.

mod oracle_util;

// In a module so that `cargo test wire_gre` selects these tests by name.
mod wire_gre {
    use super::oracle_util::{hex, scapy, tshark};
    use dataplane::wire::gre::{
        self, EnhancedGrePacket, GrePacket, GreRepr, BASE_HEADER_LEN, ENHANCED_HEADER_LEN,
        PROTOCOL_PPP,
    };
    use dataplane::wire::{
        emit_l2, Error, EtherType, EthernetAddress, IpProtocol, Ipv4Address, Ipv4Packet, Ipv4Repr,
        L2Header,
    };
    use proptest::prelude::*;

    // scapy: GRE(chksum_present=1, key_present=1, seqnum_present=1, key=0x01020304, sequence_number=7,
    //        proto=0x0800) / IP(src="10.0.0.1", dst="10.0.0.2", id=1) / ICMP(id=1, seq=1)
    const V0_CKS: &str =
        "b000080043f2000001020304000000074500001c00010000400166de0a0000010a0000020800f7fd00010001";
    // scapy: GRE(proto=0x0800) / IP(src="10.0.0.1", dst="10.0.0.2", id=1) / UDP(sport=1, dport=2)
    const V0_PLAIN: &str = "000008004500001c00010000401166ce0a0000010a000002000100020008ebd8";
    // scapy: GRE(key_present=1, key=0xdeadbeef, proto=0x86dd) / b"\x60\x00"
    const V0_KEY: &str = "200086dddeadbeef6000";
    // scapy: GRE_PPTP(seqnum_present=1, acknum_present=1, call_id=0x1234, sequence_number=5, ack_number=4)
    //        / b"\xff\x03\xc0\x21\x09\x01\x00\x08\x11\x22\x33\x44"     (an LCP Echo-Request)
    const V1_SEQ_ACK: &str = "3081880b000c12340000000500000004ff03c0210901000811223344";
    // scapy: GRE_PPTP(seqnum_present=1, call_id=0x8001, sequence_number=0xfffffffe) / b"\xff\x03\x00\x21"
    const V1_SEQ: &str = "3001880b00048001fffffffeff030021";
    // scapy: GRE_PPTP(acknum_present=1, call_id=7, ack_number=9)       (acknowledgment only)
    const V1_ACK_ONLY: &str = "2081880b0000000700000009";

    /// parse gives `repr`, emit gives the golden bytes back.
    fn check_emit(golden: &[u8], repr: GreRepr) {
        assert_eq!(GreRepr::parse(golden), Ok(repr));
        assert_eq!(repr.buffer_len(), golden.len());
        let mut out = vec![0xa5u8; golden.len()];
        repr.emit(&mut out).unwrap();
        assert_eq!(out, golden, "emit differs from scapy");
    }

    #[test]
    fn v0_checksum_key_sequence() {
        let b = hex(V0_CKS);
        assert_eq!(gre::version(&b), Ok(0));
        let p = GrePacket::new_checked(&b[..]).unwrap();
        assert_eq!((p.version(), p.flags_version()), (0, 0xb000));
        assert!(p.checksum_present() && p.key_present() && p.sequence_number_present());
        assert_eq!(p.protocol_type(), EtherType::IPV4);
        assert_eq!(p.checksum(), Some(0x43f2));
        assert_eq!(p.reserved1(), Some(0));
        assert_eq!(p.key(), Some(0x0102_0304));
        assert_eq!(p.sequence_number(), Some(7));
        assert_eq!(p.header_len(), 16);
        assert_eq!(p.header(), &b[..16]);
        assert!(p.verify_checksum());
        let inner = Ipv4Packet::new_checked(p.payload()).unwrap();
        assert_eq!(inner.protocol(), IpProtocol::ICMP);
        check_emit(
            &b,
            GreRepr::V0 {
                protocol_type: EtherType::IPV4,
                checksum: true,
                key: Some(0x0102_0304),
                sequence_number: Some(7),
                payload: &b[16..],
            },
        );
        // fill_checksum gives scapy's checksum.
        let mut c = b.clone();
        let mut p = GrePacket::new_checked(&mut c[..]).unwrap();
        p.set_checksum(0x1111).unwrap();
        assert!(!p.verify_checksum());
        p.fill_checksum();
        assert_eq!(c, b);
        // A wrong checksum: the view reads it, the Repr refuses it.
        c[20] ^= 1;
        assert!(!GrePacket::new_checked(&c[..]).unwrap().verify_checksum());
        assert_eq!(GreRepr::parse(&c), Err(Error::BadChecksum));
    }

    #[test]
    fn v0_plain_and_key_only() {
        let b = hex(V0_PLAIN);
        let p = GrePacket::new_checked(&b[..]).unwrap();
        assert!(!p.checksum_present() && !p.key_present() && !p.sequence_number_present());
        assert_eq!(
            (p.checksum(), p.reserved1(), p.key(), p.sequence_number()),
            (None, None, None, None)
        );
        assert_eq!(p.header_len(), BASE_HEADER_LEN);
        assert!(p.verify_checksum(), "no checksum is a right checksum");
        check_emit(
            &b,
            GreRepr::V0 {
                protocol_type: EtherType::IPV4,
                checksum: false,
                key: None,
                sequence_number: None,
                payload: &b[4..],
            },
        );
        let b = hex(V0_KEY);
        let p = GrePacket::new_checked(&b[..]).unwrap();
        assert_eq!(
            (p.key(), p.sequence_number(), p.protocol_type()),
            (Some(0xdead_beef), None, EtherType::IPV6)
        );
        assert_eq!(p.payload(), [0x60, 0]);
        check_emit(
            &b,
            GreRepr::V0 {
                protocol_type: EtherType::IPV6,
                checksum: false,
                key: Some(0xdead_beef),
                sequence_number: None,
                payload: &[0x60, 0],
            },
        );
    }

    #[test]
    fn v1_sequence_and_acknowledgment() {
        let b = hex(V1_SEQ_ACK);
        assert_eq!(gre::version(&b), Ok(1));
        let p = EnhancedGrePacket::new_checked(&b[..]).unwrap();
        assert_eq!((p.version(), p.flags_version()), (1, 0x3081));
        assert!(p.sequence_number_present() && p.acknowledgment_number_present());
        assert_eq!(p.protocol_type(), PROTOCOL_PPP);
        assert_eq!((p.payload_length(), p.call_id()), (12, 0x1234));
        assert_eq!(
            (p.sequence_number(), p.acknowledgment_number()),
            (Some(5), Some(4))
        );
        assert_eq!(p.header_len(), 16);
        assert_eq!(p.payload(), &b[16..]);
        check_emit(
            &b,
            GreRepr::V1 {
                call_id: 0x1234,
                sequence_number: Some(5),
                acknowledgment_number: Some(4),
                payload: &b[16..],
            },
        );

        let b = hex(V1_SEQ);
        let p = EnhancedGrePacket::new_checked(&b[..]).unwrap();
        assert_eq!(
            (p.sequence_number(), p.acknowledgment_number()),
            (Some(0xffff_fffe), None)
        );
        assert_eq!(
            (p.payload_length(), p.call_id(), p.header_len()),
            (4, 0x8001, 12)
        );
        check_emit(
            &b,
            GreRepr::V1 {
                call_id: 0x8001,
                sequence_number: Some(0xffff_fffe),
                acknowledgment_number: None,
                payload: &[0xff, 0x03, 0x00, 0x21],
            },
        );
    }

    #[test]
    fn v1_acknowledgment_only() {
        let b = hex(V1_ACK_ONLY);
        let p = EnhancedGrePacket::new_checked(&b[..]).unwrap();
        assert!(!p.sequence_number_present());
        assert_eq!(
            (p.sequence_number(), p.acknowledgment_number()),
            (None, Some(9))
        );
        assert_eq!(
            (p.payload_length(), p.call_id(), p.header_len()),
            (0, 7, 12)
        );
        assert!(p.payload().is_empty());
        check_emit(
            &b,
            GreRepr::V1 {
                call_id: 7,
                sequence_number: None,
                acknowledgment_number: Some(9),
                payload: &[],
            },
        );
    }

    #[test]
    fn v1_payload_length_bounds_the_payload() {
        // An IP payload longer than the GRE payload length (not seen in practice): the
        // view and the Repr stop at the payload length.
        let mut b = hex(V1_SEQ);
        b.extend_from_slice(b"xyz");
        let p = EnhancedGrePacket::new_checked(&b[..]).unwrap();
        assert_eq!(p.payload(), [0xff, 0x03, 0x00, 0x21]);
        let GreRepr::V1 { payload, .. } = GreRepr::parse(&b).unwrap() else {
            panic!()
        };
        assert_eq!(payload, [0xff, 0x03, 0x00, 0x21]);
    }

    /// The data plane's way: copy a per-call header template, patch the numbers and the
    /// payload length in place.
    #[test]
    fn patch_a_template() {
        let template = GreRepr::V1 {
            call_id: 0x1234,
            sequence_number: Some(0),
            acknowledgment_number: Some(0),
            payload: &[],
        };
        let mut t = [0u8; 16];
        template.emit(&mut t).unwrap();
        let ppp = [
            0xff, 0x03, 0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 0x11, 0x22, 0x33, 0x44,
        ];
        let mut pkt = t.to_vec();
        pkt.extend_from_slice(&ppp);
        let mut p = EnhancedGrePacket::new_unchecked(&mut pkt[..]);
        p.set_payload_length(ppp.len() as u16);
        p.set_sequence_number(5).unwrap();
        p.set_acknowledgment_number(4).unwrap();
        assert_eq!(pkt, hex(V1_SEQ_ACK), "patched template differs from scapy");
        let p = EnhancedGrePacket::new_checked(&pkt[..]).unwrap();
        assert_eq!(p.payload(), ppp);

        // Fields a header does not have are refused, not written over the payload.
        let mut b = hex(V1_ACK_ONLY);
        let mut p = EnhancedGrePacket::new_checked(&mut b[..]).unwrap();
        assert_eq!(p.set_sequence_number(1), Err(Error::MissingField));
        p.set_acknowledgment_number(10).unwrap();
        p.set_call_id(8);
        assert_eq!(b, hex("2081880b000000080000000a"));
        let mut b = hex(V0_PLAIN);
        let mut p = GrePacket::new_checked(&mut b[..]).unwrap();
        assert_eq!(p.set_key(1), Err(Error::MissingField));
        assert_eq!(p.set_sequence_number(1), Err(Error::MissingField));
        assert_eq!(p.set_checksum(1), Err(Error::MissingField));
        p.fill_checksum();
        assert_eq!(b, hex(V0_PLAIN), "no C, no checksum");

        // Version 0 template: C/K/S, then key and sequence number.
        let mut b = hex(V0_CKS);
        let mut p = GrePacket::new_checked(&mut b[..]).unwrap();
        p.set_key(0x0a0b0c0d).unwrap();
        p.set_sequence_number(8).unwrap();
        p.fill_checksum();
        let p = GrePacket::new_checked(&b[..]).unwrap();
        assert_eq!((p.key(), p.sequence_number()), (Some(0x0a0b_0c0d), Some(8)));
        assert!(p.verify_checksum());
    }

    #[test]
    fn truncated_at_every_length() {
        for golden in [V0_CKS, V0_PLAIN, V0_KEY] {
            let b = hex(golden);
            let hl = GrePacket::new_checked(&b[..]).unwrap().header_len();
            for n in 0..hl {
                assert_eq!(
                    GrePacket::new_checked(&b[..n]).unwrap_err(),
                    Error::Truncated,
                    "{golden} at {n}"
                );
                assert_eq!(
                    GreRepr::parse(&b[..n]).unwrap_err(),
                    Error::Truncated,
                    "{golden} at {n}"
                );
            }
            // Version 0 has no length: a shorter payload is still a packet (with a
            // checksum that no longer verifies).
            for n in hl..b.len() {
                assert!(GrePacket::new_checked(&b[..n]).is_ok());
            }
        }
        for golden in [V1_SEQ_ACK, V1_SEQ, V1_ACK_ONLY] {
            let b = hex(golden);
            for n in 0..b.len() {
                assert_eq!(
                    EnhancedGrePacket::new_checked(&b[..n]).unwrap_err(),
                    Error::Truncated,
                    "{golden} at {n}"
                );
                assert_eq!(
                    GreRepr::parse(&b[..n]).unwrap_err(),
                    Error::Truncated,
                    "{golden} at {n}"
                );
            }
        }
        assert_eq!(gre::version(&[0, 1, 0]), Err(Error::Truncated));
    }

    #[test]
    fn payload_length_past_the_end() {
        let mut b = hex(V1_SEQ);
        b[4..6].copy_from_slice(&5u16.to_be_bytes());
        assert_eq!(
            EnhancedGrePacket::new_checked(&b[..]).unwrap_err(),
            Error::Truncated
        );
        b[4..6].copy_from_slice(&0xffffu16.to_be_bytes());
        assert_eq!(GreRepr::parse(&b).unwrap_err(), Error::Truncated);
    }

    #[test]
    fn v0_flag_rules() {
        let b = hex(V0_PLAIN);
        let with = |fv: u16| {
            let mut c = b.clone();
            c[..2].copy_from_slice(&fv.to_be_bytes());
            c
        };
        // RFC 2784 §2.3: bits 1–5 nonzero are discarded (K and S are RFC 2890's).
        for bit in [1, 4, 5] {
            let c = with(0x8000 >> bit);
            assert_eq!(
                GrePacket::new_checked(&c[..]).unwrap_err(),
                Error::BadFlags,
                "bit {bit}"
            );
            assert_eq!(
                GreRepr::parse(&c).unwrap_err(),
                Error::BadFlags,
                "bit {bit}"
            );
        }
        // Bits 6–12 are ignored on receipt; emit sends them as zero.
        for bit in 6..=12 {
            let c = with(0x8000 >> bit);
            let p = GrePacket::new_checked(&c[..]).unwrap();
            assert_eq!(p.reserved0_ignored(), 0x8000 >> bit);
            let r = GreRepr::parse(&c).unwrap();
            let mut out = vec![0; r.buffer_len()];
            r.emit(&mut out).unwrap();
            assert_eq!(out, b, "bit {bit}");
        }
        // Version 1 through the version 0 view, and versions 2–7.
        assert_eq!(
            GrePacket::new_checked(&hex(V1_SEQ)[..]).unwrap_err(),
            Error::BadVersion
        );
        for v in 2..8 {
            let c = with(v);
            assert_eq!(
                GrePacket::new_checked(&c[..]).unwrap_err(),
                Error::BadVersion
            );
            assert_eq!(
                EnhancedGrePacket::new_checked(&c[..]).unwrap_err(),
                Error::BadVersion
            );
            assert_eq!(GreRepr::parse(&c).unwrap_err(), Error::BadVersion);
        }
        // Reserved1 is ignored on receipt.
        let mut c = hex(V0_CKS);
        c[6] = 0x12;
        GrePacket::new_checked(&mut c[..])
            .unwrap()
            .set_checksum(0)
            .unwrap();
        let cs = dataplane::wire::checksum::checksum(&c);
        c[4..6].copy_from_slice(&cs.to_be_bytes());
        assert_eq!(
            GrePacket::new_checked(&c[..]).unwrap().reserved1(),
            Some(0x1200)
        );
        let r = GreRepr::parse(&c).unwrap();
        let mut out = vec![0; r.buffer_len()];
        r.emit(&mut out).unwrap();
        assert_eq!(out, hex(V0_CKS));
    }

    #[test]
    fn v1_flag_rules() {
        let b = hex(V1_SEQ_ACK);
        let with = |fv: u16| {
            let mut c = b.clone();
            c[..2].copy_from_slice(&fv.to_be_bytes());
            c
        };
        // C, R, s, each Recur bit and each Flags bit set; K clear.
        for bad in [
            0x8000, 0x4000, 0x0800, 0x0400, 0x0200, 0x0100, 0x0040, 0x0020, 0x0010, 0x0008,
        ] {
            let c = with(0x3081 | bad);
            assert_eq!(
                EnhancedGrePacket::new_checked(&c[..]).unwrap_err(),
                Error::BadFlags,
                "{bad:#x}"
            );
            assert_eq!(GreRepr::parse(&c).unwrap_err(), Error::BadFlags, "{bad:#x}");
        }
        let c = with(0x1081);
        assert_eq!(
            EnhancedGrePacket::new_checked(&c[..]).unwrap_err(),
            Error::BadFlags,
            "K clear"
        );
        // A payload without S.
        let c = with(0x2081);
        assert_eq!(
            EnhancedGrePacket::new_checked(&c[..]).unwrap_err(),
            Error::BadFlags,
            "payload, no S"
        );
        assert_eq!(
            GreRepr::V1 {
                call_id: 1,
                sequence_number: None,
                acknowledgment_number: None,
                payload: b"x"
            }
            .emit(&mut [0; 64]),
            Err(Error::BadFlags)
        );
        // Version 0 through the version 1 view; a protocol type other than PPP.
        assert_eq!(
            EnhancedGrePacket::new_checked(&hex(V0_KEY)[..]).unwrap_err(),
            Error::BadVersion
        );
        let mut c = b.clone();
        c[2..4].copy_from_slice(&0x0800u16.to_be_bytes());
        assert_eq!(
            EnhancedGrePacket::new_checked(&c[..]).unwrap_err(),
            Error::Unsupported
        );
        assert_eq!(GreRepr::parse(&c).unwrap_err(), Error::Unsupported);
    }

    #[test]
    fn emit_errors() {
        let big = vec![0u8; 65536];
        let r = GreRepr::V1 {
            call_id: 1,
            sequence_number: Some(1),
            acknowledgment_number: None,
            payload: &big,
        };
        assert_eq!(r.emit(&mut vec![0; 70000]), Err(Error::BadLength));
        let r = GreRepr::V1 {
            call_id: 1,
            sequence_number: Some(1),
            acknowledgment_number: None,
            payload: b"ab",
        };
        assert_eq!(r.emit(&mut [0; 13]), Err(Error::BufferTooSmall));
        let r = GreRepr::V0 {
            protocol_type: EtherType::IPV4,
            checksum: true,
            key: None,
            sequence_number: None,
            payload: b"ab",
        };
        assert_eq!(r.buffer_len(), 10);
        assert_eq!(r.emit(&mut [0; 9]), Err(Error::BufferTooSmall));
        assert_eq!(ENHANCED_HEADER_LEN, 8);
    }

    fn arb_owned() -> impl Strategy<Value = GreReprOwned> {
        let v0 = (
            any::<u16>(),
            any::<bool>(),
            any::<Option<u32>>(),
            any::<Option<u32>>(),
        )
            .prop_map(|(t, c, k, s)| GreReprOwned::V0 {
                protocol_type: t,
                checksum: c,
                key: k,
                sequence_number: s,
            });
        let v1 = (any::<u16>(), any::<Option<u32>>(), any::<Option<u32>>()).prop_map(
            |(call_id, s, a)| GreReprOwned::V1 {
                call_id,
                sequence_number: s,
                acknowledgment_number: a,
            },
        );
        prop_oneof![v0, v1]
    }

    #[derive(Clone, Debug)]
    enum GreReprOwned {
        V0 {
            protocol_type: u16,
            checksum: bool,
            key: Option<u32>,
            sequence_number: Option<u32>,
        },
        V1 {
            call_id: u16,
            sequence_number: Option<u32>,
            acknowledgment_number: Option<u32>,
        },
    }

    impl GreReprOwned {
        fn with<'a>(&self, payload: &'a [u8]) -> GreRepr<'a> {
            match *self {
                GreReprOwned::V0 {
                    protocol_type,
                    checksum,
                    key,
                    sequence_number,
                } => GreRepr::V0 {
                    protocol_type: EtherType(protocol_type),
                    checksum,
                    key,
                    sequence_number,
                    payload,
                },
                GreReprOwned::V1 {
                    call_id,
                    sequence_number,
                    acknowledgment_number,
                } => GreRepr::V1 {
                    call_id,
                    // A payload needs a sequence number; an empty one may go without.
                    sequence_number: if payload.is_empty() {
                        sequence_number
                    } else {
                        Some(sequence_number.unwrap_or(1))
                    },
                    acknowledgment_number,
                    payload,
                },
            }
        }
    }

    proptest! {
        #[test]
        fn round_trip(r in arb_owned(), payload in prop_oneof![Just(vec![]), proptest::collection::vec(any::<u8>(), 0..100)]) {
            let r = r.with(&payload);
            let mut out = vec![0u8; r.buffer_len()];
            r.emit(&mut out).unwrap();
            prop_assert_eq!(GreRepr::parse(&out), Ok(r));
            match r {
                GreRepr::V0 { .. } => prop_assert!(GrePacket::new_checked(&out[..]).unwrap().verify_checksum()),
                GreRepr::V1 { .. } => {
                    let p = EnhancedGrePacket::new_checked(&out[..]).unwrap();
                    prop_assert_eq!(p.payload(), &payload[..]);
                }
            }
            #[cfg(fuzzing)]
            gre::fuzz(&out);
        }

        #[test]
        fn never_panics(mut data in proptest::collection::vec(any::<u8>(), 0..64), fv in any::<u16>(), ppp in any::<bool>()) {
            if data.len() >= 4 {
                // Bias toward headers that pass the flag checks.
                data[..2].copy_from_slice(&(fv & 0xb087).to_be_bytes());
                if ppp {
                    data[2..4].copy_from_slice(&0x880bu16.to_be_bytes());
                }
            }
            #[cfg(fuzzing)]
            gre::fuzz(&data);
            let _ = GreRepr::parse(&data);
        }
    }

    // --- oracles ---------------------------------------------------------------

    const A: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 1]);
    const B: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 2]);
    const S: Ipv4Address = Ipv4Address::new(192, 0, 2, 2);
    const D: Ipv4Address = Ipv4Address::new(198, 51, 100, 2);

    /// Ethernet / IPv4 (protocol 47) / the GRE packet `r`.
    fn gre_frame(r: &GreRepr) -> Vec<u8> {
        let mut f = vec![0u8; 14];
        let h = L2Header {
            dst: B,
            src: A,
            outer_vlan: None,
            inner_vlan: None,
            ethertype: EtherType::IPV4,
            header_len: 0,
        };
        emit_l2(&h, &mut f).unwrap();
        let ip = Ipv4Repr {
            src: S,
            dst: D,
            protocol: IpProtocol::GRE,
            payload_len: r.buffer_len() as u16,
            ttl: 64,
            dscp_ecn: 0,
            ident: 7,
            dont_frag: true,
        };
        f.resize(14 + 20 + r.buffer_len(), 0);
        ip.emit(&mut f[14..]).unwrap();
        r.emit(&mut f[34..]).unwrap();
        f
    }

    /// What the oracles get: every kind of header we emit, each with a real payload.
    fn emitted() -> Vec<(GreRepr<'static>, Vec<(&'static str, &'static str)>)> {
        // The inner IPv4/ICMP echo of V0_CKS (scapy-made), and a hand-built PPP frame:
        // HDLC address/control ff 03, protocol c021 (LCP), Echo-Request id 1 length 8,
        // magic number 0x11223344 (RFC 1661 §5.8).
        const INNER_IP: &[u8] = &[
            0x45, 0, 0, 0x1c, 0, 1, 0, 0, 0x40, 1, 0x66, 0xde, 10, 0, 0, 1, 10, 0, 0, 2, 8, 0,
            0xf7, 0xfd, 0, 1, 0, 1,
        ];
        const LCP_ECHO: &[u8] = &[
            0xff, 0x03, 0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 0x11, 0x22, 0x33, 0x44,
        ];
        // PPP carrying the same inner IPv4 datagram (protocol 0x0021).
        const PPP_IP: &[u8] = &[
            0xff, 0x03, 0x00, 0x21, 0x45, 0, 0, 0x1c, 0, 1, 0, 0, 0x40, 1, 0x66, 0xde, 10, 0, 0, 1,
            10, 0, 0, 2, 8, 0, 0xf7, 0xfd, 0, 1, 0, 1,
        ];
        vec![
            (
                GreRepr::V0 {
                    protocol_type: EtherType::IPV4,
                    checksum: true,
                    key: Some(0x0102_0304),
                    sequence_number: Some(7),
                    payload: INNER_IP,
                },
                vec![
                    ("gre.flags.checksum", "1"),
                    ("gre.flags.key", "1"),
                    ("gre.flags.sequence_number", "1"),
                    ("gre.flags.version", "0"),
                    ("gre.proto", "0x0800"),
                    ("gre.checksum.status", "1"),
                    ("gre.key", "0x01020304"),
                    ("gre.sequence_number", "7"),
                    ("ip.src", "192.0.2.2|10.0.0.1"),
                    ("icmp.type", "8"),
                ],
            ),
            (
                GreRepr::V0 {
                    protocol_type: EtherType::IPV4,
                    checksum: false,
                    key: Some(42),
                    sequence_number: None,
                    payload: INNER_IP,
                },
                vec![
                    ("gre.flags.checksum", "0"),
                    ("gre.key", "0x0000002a"),
                    ("gre.sequence_number", ""),
                    ("ip.dst", "198.51.100.2|10.0.0.2"),
                ],
            ),
            (
                GreRepr::V0 {
                    protocol_type: EtherType::IPV4,
                    checksum: false,
                    key: None,
                    sequence_number: None,
                    payload: INNER_IP,
                },
                vec![
                    ("gre.flags_and_version", "0x0000"),
                    ("gre.key", ""),
                    ("icmp.type", "8"),
                ],
            ),
            (
                GreRepr::V1 {
                    call_id: 0x1234,
                    sequence_number: Some(5),
                    acknowledgment_number: Some(4),
                    payload: LCP_ECHO,
                },
                vec![
                    ("gre.flags_and_version", "0x3081"),
                    ("gre.flags.version", "1"),
                    ("gre.flags.ack", "1"),
                    ("gre.proto", "0x880b"),
                    ("gre.key.payload_length", "12"),
                    ("gre.key.call_id", "4660"),
                    ("gre.sequence_number", "5"),
                    ("gre.ack_number", "4"),
                    ("ppp.protocol", "0xc021"),
                    ("lcp.magic_number", "0x11223344"),
                ],
            ),
            (
                GreRepr::V1 {
                    call_id: 0x8001,
                    sequence_number: Some(0xffff_fffe),
                    acknowledgment_number: None,
                    payload: PPP_IP,
                },
                vec![
                    ("gre.flags.ack", "0"),
                    ("gre.key.payload_length", "32"),
                    ("gre.key.call_id", "32769"),
                    ("gre.sequence_number", "4294967294"),
                    ("gre.ack_number", ""),
                    ("ppp.protocol", "0x0021"),
                    ("ip.src", "192.0.2.2|10.0.0.1"),
                ],
            ),
            (
                GreRepr::V1 {
                    call_id: 7,
                    sequence_number: None,
                    acknowledgment_number: Some(9),
                    payload: &[],
                },
                vec![
                    ("gre.flags.sequence_number", "0"),
                    ("gre.key.payload_length", "0"),
                    ("gre.key.call_id", "7"),
                    ("gre.ack_number", "9"),
                    ("ppp.protocol", ""),
                ],
            ),
        ]
    }

    #[test]
    fn tshark_decodes_what_we_emit() {
        let kinds = emitted();
        let frames: Vec<Vec<u8>> = kinds.iter().map(|(r, _)| gre_frame(r)).collect();
        let mut fields: Vec<&str> = Vec::new();
        for (_, exp) in &kinds {
            for (f, _) in exp {
                if !fields.contains(f) {
                    fields.push(f);
                }
            }
        }
        let decoded = tshark(&frames, &fields, &[], &[]);
        assert_eq!(decoded.len(), frames.len());
        for (n, (d, (r, exp))) in decoded.iter().zip(&kinds).enumerate() {
            assert!(!d.malformed, "frame {}: malformed ({r:?})", n + 1);
            assert_eq!(d.expert, "", "frame {}: expert info ({r:?})", n + 1);
            for (f, want) in exp {
                let i = fields.iter().position(|x| x == f).unwrap();
                assert_eq!(d.fields[i], *want, "frame {}: {f}", n + 1);
            }
        }
    }

    #[test]
    fn scapy_reads_what_we_emit() {
        let kinds = emitted();
        let hexes: Vec<String> = kinds
            .iter()
            .map(|(r, _)| {
                let mut b = vec![0u8; r.buffer_len()];
                r.emit(&mut b).unwrap();
                b.iter().map(|x| format!("{x:02x}")).collect()
            })
            .collect();
        let code = format!(
            "for h in {hexes:?}:\n    g = GRE(bytes.fromhex(h))\n    if g.version == 0:\n        print(0, g.proto, g.chksum_present, g.chksum, g.key_present, g.key, g.seqnum_present, g.sequence_number, len(g.payload))\n    else:\n        print(1, type(g).__name__, g.proto, g.payload_len, g.call_id, g.seqnum_present, g.sequence_number, g.acknum_present, g.ack_number, len(bytes(g.payload)))\n"
        );
        let out = scapy(&code);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), kinds.len(), "{out}");
        let py = |o: Option<u32>| o.map_or("None".to_string(), |v| v.to_string());
        for ((r, _), line) in kinds.iter().zip(lines) {
            let want = match *r {
                GreRepr::V0 {
                    protocol_type,
                    checksum,
                    key,
                    sequence_number,
                    payload,
                } => {
                    let mut b = vec![0u8; r.buffer_len()];
                    r.emit(&mut b).unwrap();
                    let cks = if checksum {
                        u16::from_be_bytes([b[4], b[5]]).to_string()
                    } else {
                        "None".into()
                    };
                    format!(
                        "0 {} {} {} {} {} {} {} {}",
                        protocol_type.0,
                        checksum as u8,
                        cks,
                        key.is_some() as u8,
                        py(key),
                        sequence_number.is_some() as u8,
                        py(sequence_number),
                        payload.len()
                    )
                }
                GreRepr::V1 {
                    call_id,
                    sequence_number,
                    acknowledgment_number,
                    payload,
                } => format!(
                    "1 GRE_PPTP {} {} {} {} {} {} {} {}",
                    0x880b,
                    payload.len(),
                    call_id,
                    sequence_number.is_some() as u8,
                    py(sequence_number),
                    acknowledgment_number.is_some() as u8,
                    py(acknowledgment_number),
                    payload.len()
                ),
            };
            assert_eq!(line, want);
        }
    }
}
