//! PPPoE (RFC 2516, RFC 4638): discovery messages and session headers against bytes
//! scapy built, bad input, round trips, and tshark / scapy reading what we emit.

mod oracle_util;

// In a module so that `cargo test wire_pppoe` selects these tests by name.
mod wire_pppoe {
    use super::oracle_util::{hex, scapy, tshark};
    #[cfg(fuzzing)]
    use dataplane::wire::pppoe;
    use dataplane::wire::pppoe::{
        emit_session_header, parse_session, session_header, DiscoveryRepr, PppoeCode,
        PppoePacket, RawTag, TagType, VendorSpecific, HEADER_LEN, MAX_SERVICE_NAMES,
        MAX_UNKNOWN_TAGS, MAX_VENDOR_SPECIFIC,
    };
    use dataplane::wire::{
        emit_l2, Error, EtherType, EthernetAddress, Icmpv4Repr, IpProtocol, Ipv4Address, Ipv4Repr,
        L2Header, VlanTag,
    };
    use proptest::prelude::*;

    // The scapy expressions (scapy.layers.ppp; T = PPPoETag), each printed with
    // `bytes(pkt).hex()`. `scapy_builds_the_golden_bytes` runs them again.
    const GOLDEN: &[(&str, &str, &str)] = &[
        (
            "PADI",
            r#"PPPoED(code=0x09, sessionid=0)/PPPoED_Tags(tag_list=[T(tag_type=0x0101, tag_value=b""), T(tag_type=0x0103, tag_value=b"\x12\x34\x56\x78")])"#,
            PADI,
        ),
        (
            "PADI_MAX",
            r#"PPPoED(code=0x09)/PPPoED_Tags(tag_list=[T(tag_type=0x0101, tag_value=b""), T(tag_type=0x0103, tag_value=b"\xde\xad"), T(tag_type=0x0120, tag_value=b"\x05\xdc")])"#,
            PADI_MAX,
        ),
        (
            "PADI_VENDOR",
            r#"PPPoED(code=0x09)/PPPoED_Tags(tag_list=[T(tag_type=0x0101, tag_value=b""), T(tag_type=0x0105, tag_value=b"\x00\x00\x0d\xe9\x01\x06eth0/1\x02\x03cpe"), T(tag_type=0x0106, tag_value=b"\x00\x01\x00\x02")])"#,
            PADI_VENDOR,
        ),
        (
            "PADO",
            r#"PPPoED(code=0x07)/PPPoED_Tags(tag_list=[T(tag_type=0x0101, tag_value=b""), T(tag_type=0x0101, tag_value=b"internet"), T(tag_type=0x0101, tag_value=b"voip"), T(tag_type=0x0102, tag_value=b"dpvpn-bras"), T(tag_type=0x0103, tag_value=b"\x12\x34\x56\x78"), T(tag_type=0x0104, tag_value=bytes(range(16)))])"#,
            PADO,
        ),
        (
            "PADR",
            r#"PPPoED(code=0x19)/PPPoED_Tags(tag_list=[T(tag_type=0x0101, tag_value=b"internet"), T(tag_type=0x0103, tag_value=b"\x12\x34\x56\x78"), T(tag_type=0x0104, tag_value=bytes(range(16))), T(tag_type=0x0110, tag_value=b"\x00\x00\x00\x07relay"), T(tag_type=0x0120, tag_value=b"\x05\xdc")])"#,
            PADR,
        ),
        (
            "PADS",
            r#"PPPoED(code=0x65, sessionid=0x0042)/PPPoED_Tags(tag_list=[T(tag_type=0x0101, tag_value=b"internet"), T(tag_type=0x0103, tag_value=b"\x12\x34\x56\x78"), T(tag_type=0x0120, tag_value=b"\x05\xdc")])"#,
            PADS,
        ),
        (
            "PADS_ERR",
            r#"PPPoED(code=0x65, sessionid=0)/PPPoED_Tags(tag_list=[T(tag_type=0x0103, tag_value=b"\x12\x34\x56\x78"), T(tag_type=0x0201, tag_value=b"no such service")])"#,
            PADS_ERR,
        ),
        (
            "PADT",
            r#"PPPoED(code=0xa7, sessionid=0x0042)/PPPoED_Tags(tag_list=[T(tag_type=0x0102, tag_value=b"dpvpn-bras"), T(tag_type=0x0203, tag_value=b"session terminated by administrator")])"#,
            PADT,
        ),
        (
            "PADO_ODD",
            r#"PPPoED(code=0x07)/PPPoED_Tags(tag_list=[T(tag_type=0x0102, tag_value=b"ac"), T(tag_type=0x0203, tag_value=b"x"), T(tag_type=0x0101, tag_value=b"a"), T(tag_type=0x0000, tag_value=b""), T(tag_type=0x0101, tag_value=b"b")])/Padding(load=b"\0"*10)"#,
            PADO_ODD,
        ),
        (
            "SESSION_LCP",
            r#"PPPoE(sessionid=0x0042)/PPP(proto=0xc021)/PPP_LCP_Echo(code=9, id=1, magic_number=0x01020304)"#,
            SESSION_LCP,
        ),
        (
            "SESSION_IP",
            r#"PPPoE(sessionid=0x0042)/Raw(b"\x00\x21" + bytes(IP(src="100.64.0.2", dst="198.51.100.2", id=1)/ICMP(id=1, seq=1)))"#,
            SESSION_IP,
        ),
    ];

    /// PADI: Service-Name "" (any service), Host-Uniq.
    const PADI: &str = "11090000000c010100000103000412345678";
    /// PADI with an RFC 4638 PPP-Max-Payload of 1500.
    const PADI_MAX: &str = "1109000000100101000001030002dead0120000205dc";
    /// PADI as a relay agent forwards it: Vendor-Specific (DSL Forum 3561, TR-101 circuit
    /// id "eth0/1", remote id "cpe") and a tag we do not know (RFC 5578 Credits).
    const PADI_VENDOR: &str =
        "110900000021010100000105001100000de90106657468302f3102036370650106000400010002";
    /// PADO: three Service-Names, AC-Name, Host-Uniq echoed, a 16-byte AC-Cookie.
    const PADO: &str = "1107000000420101000001010008696e7465726e657401010004766f69700102000a647076706e2d62726173010300041234567801040010000102030405060708090a0b0c0d0e0f";
    /// PADR: Service-Name, Host-Uniq, AC-Cookie echoed, Relay-Session-Id, PPP-Max-Payload.
    const PADR: &str = "11190000003b01010008696e7465726e6574010300041234567801040010000102030405060708090a0b0c0d0e0f011000090000000772656c61790120000205dc";
    /// PADS granting session 0x0042.
    const PADS: &str = "11650042001a01010008696e7465726e657401030004123456780120000205dc";
    /// PADS refusing the service (§5.4): SESSION_ID 0, Service-Name-Error.
    const PADS_ERR: &str = "11650000001b01030004123456780201000f6e6f20737563682073657276696365";
    /// PADT with AC-Name and Generic-Error.
    const PADT: &str = "11a7004200350102000a647076706e2d627261730203002373657373696f6e207465726d696e617465642062792061646d696e6973747261746f72";
    /// PADO with tags in another order than ours, an End-Of-List, a Service-Name after
    /// it (inside LENGTH), and 10 bytes of Ethernet padding after LENGTH.
    const PADO_ODD: &str =
        "1107000000190102000261630203000178010100016100000000010100016200000000000000000000";
    /// Session stage: PPP LCP Echo-Request, id 1, magic 0x01020304.
    const SESSION_LCP: &str = "11000042000ac0210901000801020304";
    /// Session stage: PPP protocol 0x0021, an IPv4 ICMP echo request.
    const SESSION_IP: &str =
        "11000042001e00214500001c000100004001ec6864400002c63364020800f7fd00010001";

    const HOST_UNIQ: &[u8] = &[0x12, 0x34, 0x56, 0x78];
    const COOKIE: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

    fn repr<'a>(code: PppoeCode, session_id: u16) -> DiscoveryRepr<'a> {
        DiscoveryRepr::new(code, session_id)
    }

    /// The view reads the header, `parse` gives `want`, and `emit` gives the bytes back.
    fn check(golden: &[u8], want: &DiscoveryRepr) {
        let p = PppoePacket::new_checked(golden).unwrap();
        assert_eq!((p.version(), p.pppoe_type()), (1, 1));
        assert_eq!((p.code(), p.session_id()), (want.code, want.session_id));
        assert_eq!(p.len() as usize, golden.len() - HEADER_LEN);
        assert_eq!(p.payload(), &golden[HEADER_LEN..]);
        assert!(!p.is_session());
        let r = DiscoveryRepr::parse(&p).unwrap();
        assert_eq!(&r, want);
        assert_eq!(r.buffer_len(), golden.len());
        let mut out = vec![0xa5u8; golden.len() + 3];
        assert_eq!(r.emit(&mut out), Ok(golden.len()));
        assert_eq!(&out[..golden.len()], golden, "emit differs from scapy");
        assert_eq!(out[golden.len()..], [0xa5; 3], "emit wrote past buffer_len");
    }

    fn kinds(b: &[u8]) -> Vec<u16> {
        let p = PppoePacket::new_checked(b).unwrap();
        p.tags().map(|t| t.unwrap().kind.0).collect()
    }

    #[test]
    fn padi_with_host_uniq() {
        let b = hex(PADI);
        let mut r = repr(PppoeCode::PADI, 0);
        r.service_names.push(b"");
        r.host_uniq = Some(HOST_UNIQ);
        check(&b, &r);
        assert_eq!(kinds(&b), [0x0101, 0x0103]);
        assert!(!r.has_error());
    }

    #[test]
    fn padi_with_ppp_max_payload() {
        let b = hex(PADI_MAX);
        let mut r = repr(PppoeCode::PADI, 0);
        r.service_names.push(b"");
        r.host_uniq = Some(&[0xde, 0xad]);
        r.ppp_max_payload = Some(1500);
        check(&b, &r);
    }

    #[test]
    fn padi_with_vendor_specific_and_an_unknown_tag() {
        let b = hex(PADI_VENDOR);
        let mut r = repr(PppoeCode::PADI, 0);
        r.service_names.push(b"");
        r.vendor_specific.push(VendorSpecific {
            vendor_id: 3561,
            data: b"\x01\x06eth0/1\x02\x03cpe",
        });
        r.unknown.push(RawTag {
            tag_type: TagType(0x0106),
            value: &[0, 1, 0, 2],
        });
        check(&b, &r);
        assert!(!TagType(0x0106).is_known());
    }

    #[test]
    fn pado_with_ac_name_cookie_and_several_service_names() {
        let b = hex(PADO);
        let mut r = repr(PppoeCode::PADO, 0);
        r.service_names.push(b"");
        r.service_names.push(b"internet");
        r.service_names.push(b"voip");
        r.ac_name = Some(b"dpvpn-bras");
        r.host_uniq = Some(HOST_UNIQ);
        r.ac_cookie = Some(&COOKIE);
        check(&b, &r);
        assert_eq!(kinds(&b), [0x0101, 0x0101, 0x0101, 0x0102, 0x0103, 0x0104]);
    }

    #[test]
    fn padr_with_cookie_relay_session_id_and_ppp_max_payload() {
        let b = hex(PADR);
        let mut r = repr(PppoeCode::PADR, 0);
        r.service_names.push(b"internet");
        r.host_uniq = Some(HOST_UNIQ);
        r.ac_cookie = Some(&COOKIE);
        r.relay_session_id = Some(b"\0\0\0\x07relay");
        r.ppp_max_payload = Some(1500);
        check(&b, &r);
    }

    #[test]
    fn pads_granting_and_refusing() {
        let b = hex(PADS);
        let mut r = repr(PppoeCode::PADS, 0x0042);
        r.service_names.push(b"internet");
        r.host_uniq = Some(HOST_UNIQ);
        r.ppp_max_payload = Some(1500);
        check(&b, &r);

        let b = hex(PADS_ERR);
        let mut r = repr(PppoeCode::PADS, 0);
        r.host_uniq = Some(HOST_UNIQ);
        r.service_name_error = Some(b"no such service");
        check(&b, &r);
        assert!(r.has_error());
    }

    #[test]
    fn padt_with_generic_error() {
        let b = hex(PADT);
        let mut r = repr(PppoeCode::PADT, 0x0042);
        r.ac_name = Some(b"dpvpn-bras");
        r.generic_error = Some(b"session terminated by administrator");
        check(&b, &r);
        assert_eq!(
            core::str::from_utf8(r.generic_error.unwrap()),
            Ok("session terminated by administrator")
        );
    }

    /// Tags in any order, nothing read after End-Of-List, padding after LENGTH ignored;
    /// emit writes the tags in its own order and no End-Of-List.
    #[test]
    fn end_of_list_padding_and_tag_order() {
        let b = hex(PADO_ODD);
        let p = PppoePacket::new_checked(&b[..]).unwrap();
        assert_eq!(p.len(), 25);
        assert_eq!(p.payload().len(), 25);
        assert_eq!(kinds(&b), [0x0102, 0x0203, 0x0101, 0x0000]);
        let mut it = p.tags();
        for _ in it.by_ref() {}
        assert_eq!(
            it.remainder(),
            &[0x01, 0x01, 0, 1, b'b'],
            "the Service-Name after End-Of-List"
        );
        let r = DiscoveryRepr::parse(&p).unwrap();
        let mut want = repr(PppoeCode::PADO, 0);
        want.service_names.push(b"a");
        want.ac_name = Some(b"ac");
        want.generic_error = Some(b"x");
        assert_eq!(r, want);
        let mut out = vec![0; r.buffer_len()];
        r.emit(&mut out).unwrap();
        // Service-Name, AC-Name, Generic-Error.
        assert_eq!(out, hex("11070000001001010001610102000261630203000178"));
    }

    #[test]
    fn session_frames() {
        for (golden, proto) in [(SESSION_LCP, [0xc0, 0x21]), (SESSION_IP, [0x00, 0x21])] {
            let b = hex(golden);
            let p = PppoePacket::new_checked(&b[..]).unwrap();
            assert!(p.is_session());
            assert_eq!((p.code(), p.session_id()), (PppoeCode::SESSION, 0x0042));
            assert_eq!(p.payload()[..2], proto);
            assert_eq!(DiscoveryRepr::parse(&p), Err(Error::UnknownType));
            let (sid, ppp) = parse_session(&b).unwrap();
            assert_eq!((sid, ppp), (0x0042, &b[HEADER_LEN..]));
            // With Ethernet padding after it the PPP frame is still bounded by LENGTH.
            let mut padded = b.clone();
            padded.resize(46, 0);
            assert_eq!(parse_session(&padded), Ok((0x0042, &b[HEADER_LEN..])));

            // The data plane's way: template, then patch LENGTH.
            let mut f = session_header(0x0042).to_vec();
            f.extend_from_slice(ppp);
            PppoePacket::new_unchecked(&mut f[..]).set_len(ppp.len() as u16);
            assert_eq!(f, b);
            let mut g = vec![0xffu8; b.len()];
            g[HEADER_LEN..].copy_from_slice(ppp);
            emit_session_header(&mut g, 0x0042, ppp.len()).unwrap();
            assert_eq!(g, b);
        }
        assert_eq!(parse_session(&hex(PADT)), Err(Error::UnknownType));
        assert_eq!(
            emit_session_header(&mut [0; 5], 1, 0),
            Err(Error::BufferTooSmall)
        );
        assert_eq!(
            emit_session_header(&mut [0; 6], 1, 65536),
            Err(Error::BadLength)
        );
        assert_eq!(emit_session_header(&mut [0; 6], 1, 65535), Ok(()));
    }

    #[test]
    fn setters() {
        let mut b = hex(PADS);
        let mut p = PppoePacket::new_checked(&mut b[..]).unwrap();
        p.set_code(PppoeCode::PADT);
        p.set_session_id(0xbeef);
        p.set_len(10);
        p.payload_mut()[0] = 0x02;
        p.set_version_type(1, 1);
        assert_eq!(b[..7], [0x11, 0xa7, 0xbe, 0xef, 0, 10, 0x02]);
        let mut p = PppoePacket::new_unchecked(&mut b[..]);
        p.set_version_type(2, 3);
        assert_eq!((p.version(), p.pppoe_type()), (2, 3));
        assert_eq!(p.check_len(), Err(Error::BadVersion));
    }

    #[test]
    fn codes_and_tag_names() {
        for (c, n) in [
            (PppoeCode::PADI, 0x09),
            (PppoeCode::PADO, 0x07),
            (PppoeCode::PADR, 0x19),
            (PppoeCode::PADS, 0x65),
            (PppoeCode::PADT, 0xa7),
        ] {
            assert_eq!(c.0, n);
            assert!(c.is_discovery());
            assert!(c.name().is_some());
        }
        assert!(!PppoeCode::SESSION.is_discovery());
        assert_eq!(PppoeCode::SESSION.name(), Some("Session"));
        assert_eq!(PppoeCode(0x0a).name(), None);
        let known = [
            (TagType::END_OF_LIST, 0x0000),
            (TagType::SERVICE_NAME, 0x0101),
            (TagType::AC_NAME, 0x0102),
            (TagType::HOST_UNIQ, 0x0103),
            (TagType::AC_COOKIE, 0x0104),
            (TagType::VENDOR_SPECIFIC, 0x0105),
            (TagType::RELAY_SESSION_ID, 0x0110),
            (TagType::PPP_MAX_PAYLOAD, 0x0120),
            (TagType::SERVICE_NAME_ERROR, 0x0201),
            (TagType::AC_SYSTEM_ERROR, 0x0202),
            (TagType::GENERIC_ERROR, 0x0203),
        ];
        for (t, n) in known {
            assert_eq!(t.0, n);
            assert!(t.is_known());
        }
        let n = (0..=u16::MAX).filter(|&v| TagType(v).is_known()).count();
        assert_eq!(n, known.len());
    }

    // ---- bad input ----

    /// A PPPoE header with `code`, `sid` and `tags` as the payload.
    fn msg(code: u8, sid: u16, tags: &[u8]) -> Vec<u8> {
        let mut b = vec![0x11, code];
        b.extend_from_slice(&sid.to_be_bytes());
        b.extend_from_slice(&(tags.len() as u16).to_be_bytes());
        b.extend_from_slice(tags);
        b
    }

    fn tag(t: u16, v: &[u8]) -> Vec<u8> {
        let mut b = t.to_be_bytes().to_vec();
        b.extend_from_slice(&(v.len() as u16).to_be_bytes());
        b.extend_from_slice(v);
        b
    }

    fn parse(b: &[u8]) -> Result<DiscoveryRepr<'_>, Error> {
        DiscoveryRepr::parse(&PppoePacket::new_checked(b)?)
    }

    fn all_golden() -> Vec<Vec<u8>> {
        GOLDEN.iter().map(|(_, _, h)| hex(h)).collect()
    }

    #[test]
    fn truncated_at_every_length() {
        for b in all_golden() {
            let full = PppoePacket::new_checked(&b[..]).unwrap();
            let end = HEADER_LEN + full.len() as usize;
            for n in 0..end {
                assert_eq!(
                    PppoePacket::new_checked(&b[..n]).err(),
                    Some(Error::Truncated),
                    "{n}"
                );
                let p = PppoePacket::new_unchecked(&b[..n]);
                assert_eq!(DiscoveryRepr::parse(&p), Err(Error::Truncated), "{n}");
                assert_eq!(parse_session(&b[..n]), Err(Error::Truncated), "{n}");
            }
        }
    }

    #[test]
    fn bad_version_or_type() {
        for vt in [0x00, 0x10, 0x01, 0x12, 0x21, 0xff] {
            let mut b = hex(PADI);
            b[0] = vt;
            assert_eq!(
                PppoePacket::new_checked(&b[..]).err(),
                Some(Error::BadVersion)
            );
            assert_eq!(parse_session(&b), Err(Error::BadVersion));
        }
        // The header's own length comes first.
        assert_eq!(
            PppoePacket::new_checked(&[0x22u8; 5][..]).err(),
            Some(Error::Truncated)
        );
    }

    #[test]
    fn tags_bounded_by_length_not_by_buffer() {
        // Host-Uniq says 5 bytes; 4 are inside LENGTH, one more in the padding.
        let mut b = hex(PADI);
        b[13] = 5;
        b.extend_from_slice(&[0; 20]);
        assert_eq!(parse(&b), Err(Error::Truncated));
        // Half a tag header at the end of the payload.
        let mut t = tag(0x0101, b"");
        t.extend_from_slice(&[0x01, 0x03]);
        assert_eq!(parse(&msg(0x09, 0, &t)), Err(Error::Truncated));
        // A tag length past the end of everything.
        let mut t = tag(0x0101, b"");
        t.extend_from_slice(&[0x01, 0x03, 0xff, 0xff, 1, 2]);
        assert_eq!(parse(&msg(0x09, 0, &t)), Err(Error::Truncated));
        // LENGTH past the buffer.
        let mut b = hex(PADI);
        b[5] += 1;
        assert_eq!(
            PppoePacket::new_checked(&b[..]).err(),
            Some(Error::Truncated)
        );
    }

    #[test]
    fn codes_without_a_discovery_repr() {
        for code in [0x00, 0x0a, 0x0b, 0x0c, 0xd3, 0xd4, 0xff] {
            let b = msg(code, 0, &tag(0x0101, b""));
            assert_eq!(parse(&b), Err(Error::UnknownType), "{code:#x}");
        }
        let mut r = repr(PppoeCode::SESSION, 1);
        r.service_names.push(b"");
        assert_eq!(r.emit(&mut [0; 64]), Err(Error::UnknownType));
    }

    /// Code, SESSION_ID, tags, and what `parse` says.
    type Case<T> = (u8, u16, T, Result<(), Error>);

    #[test]
    fn session_id_rules() {
        let sn = tag(0x0101, b"x");
        let mut pado_tags = sn.clone();
        pado_tags.extend(tag(0x0102, b"ac"));
        let err = tag(0x0203, b"no");
        let mut sn_err = sn.clone();
        sn_err.extend(tag(0x0201, b""));
        let cases: &[Case<&[u8]>] = &[
            (0x09, 0, &sn, Ok(())),
            (0x09, 1, &sn, Err(Error::BadValue)),
            (0x07, 0, &pado_tags, Ok(())),
            (0x07, 0x42, &pado_tags, Err(Error::BadValue)),
            (0x19, 0, &sn, Ok(())),
            (0x19, 0xffff, &sn, Err(Error::BadValue)),
            (0x65, 0x42, &sn, Ok(())),
            (0x65, 0, &sn, Err(Error::BadValue)),
            (0x65, 0, &sn_err, Ok(())),
            (0x65, 0, &err, Ok(())),
            // §4 reserves 0xffff.
            (0x65, 0xffff, &sn, Err(Error::BadValue)),
            (0x65, 0x42, &err, Ok(())),
            (0xa7, 0x42, &[], Ok(())),
            (0xa7, 0, &[], Err(Error::BadValue)),
            (0xa7, 0, &err, Err(Error::BadValue)),
            (0xa7, 0xffff, &[], Err(Error::BadValue)),
        ];
        for (code, sid, tags, want) in cases {
            let b = msg(*code, *sid, tags);
            let got = parse(&b);
            assert_eq!(
                got.as_ref().map(|_| ()).map_err(|e| *e),
                *want,
                "code {code:#x} sid {sid:#x}"
            );
            if let Ok(mut r) = got {
                // emit refuses the same: flip the session id to the one that fails.
                let bad = if *code == 0x65 || *code == 0xa7 {
                    0xffff
                } else {
                    7
                };
                r.session_id = bad;
                assert_eq!(r.emit(&mut [0; 128]), Err(Error::BadValue));
            }
        }
    }

    #[test]
    fn service_name_and_ac_name_rules() {
        let sn = |v: &[u8]| tag(0x0101, v);
        let two: Vec<u8> = [sn(b""), sn(b"a")].concat();
        let hu = tag(0x0103, b"h");
        let ac = tag(0x0102, b"ac");
        let cases: &[Case<Vec<u8>>] = &[
            (0x09, 0, hu.clone(), Err(Error::MissingField)),
            (0x09, 0, two.clone(), Err(Error::DuplicateField)),
            (0x09, 0, vec![], Err(Error::MissingField)),
            (0x19, 0, hu.clone(), Err(Error::MissingField)),
            (0x19, 0, two.clone(), Err(Error::DuplicateField)),
            (0x07, 0, [two.clone(), ac.clone()].concat(), Ok(())),
            (0x07, 0, two.clone(), Err(Error::MissingField)),
            (0x07, 0, ac.clone(), Err(Error::MissingField)),
            (0x65, 1, hu.clone(), Ok(())),
            (0x65, 1, two.clone(), Err(Error::DuplicateField)),
            (0xa7, 1, two.clone(), Ok(())),
        ];
        for (code, sid, tags, want) in cases {
            assert_eq!(
                parse(&msg(*code, *sid, tags)).map(|_| ()),
                *want,
                "{code:#x} {tags:02x?}"
            );
        }
        // emit refuses the same Reprs.
        let mut r = repr(PppoeCode::PADI, 0);
        assert_eq!(r.emit(&mut [0; 64]), Err(Error::MissingField));
        r.service_names.push(b"");
        r.service_names.push(b"a");
        assert_eq!(r.emit(&mut [0; 64]), Err(Error::DuplicateField));
        let mut r = repr(PppoeCode::PADO, 0);
        r.service_names.push(b"");
        assert_eq!(r.emit(&mut [0; 64]), Err(Error::MissingField));
        r.ac_name = Some(b"ac");
        assert_eq!(r.emit(&mut [0; 64]), Ok(16));
    }

    #[test]
    fn single_tags_repeated() {
        for t in [
            0x0102, 0x0103, 0x0104, 0x0110, 0x0120, 0x0201, 0x0202, 0x0203,
        ] {
            let once = tag(t, &[0x05, 0xdc]);
            assert!(parse(&msg(0xa7, 1, &once)).is_ok(), "{t:#x}");
            let twice = [once.clone(), once].concat();
            assert_eq!(
                parse(&msg(0xa7, 1, &twice)),
                Err(Error::DuplicateField),
                "{t:#x}"
            );
        }
        // Repeatable: Service-Name (outside PADI/PADR/PADS), Vendor-Specific, unknown tags.
        for t in [0x0101, 0x0105, 0x0106, 0xfeed] {
            let twice = [tag(t, &[0, 0, 0, 9]), tag(t, &[0, 0, 0, 9])].concat();
            assert!(parse(&msg(0xa7, 1, &twice)).is_ok(), "{t:#x}");
        }
    }

    #[test]
    fn tag_values_of_the_wrong_size() {
        for n in 0..4 {
            let b = msg(0xa7, 1, &tag(0x0105, &[0; 4][..n]));
            assert_eq!(parse(&b), Err(Error::BadValue), "Vendor-Specific of {n}");
        }
        let b = msg(0xa7, 1, &tag(0x0105, &[0, 0, 0x0d, 0xe9]));
        let r = parse(&b).unwrap();
        assert_eq!(
            r.vendor_specific[0],
            VendorSpecific {
                vendor_id: 3561,
                data: &[]
            }
        );
        for n in [0, 1, 3, 4] {
            let b = msg(0xa7, 1, &tag(0x0120, &[5; 4][..n]));
            assert_eq!(parse(&b), Err(Error::BadValue), "PPP-Max-Payload of {n}");
        }
        // End-Of-List has length 0.
        let b = msg(0xa7, 1, &tag(0x0000, &[0, 0]));
        assert_eq!(parse(&b), Err(Error::BadValue));
        // Error text need not be UTF-8 (SHOULD, Appendix A); it is kept as bytes.
        let b = msg(0xa7, 1, &tag(0x0203, &[0xff, 0xfe]));
        assert_eq!(parse(&b).unwrap().generic_error, Some(&[0xff, 0xfe][..]));
    }

    #[test]
    fn more_tags_than_the_repr_holds() {
        let pado = |names: usize| {
            let mut t = tag(0x0102, b"ac");
            for _ in 0..names {
                t.extend(tag(0x0101, b"s"));
            }
            msg(0x07, 0, &t)
        };
        assert_eq!(
            parse(&pado(MAX_SERVICE_NAMES)).unwrap().service_names.len(),
            MAX_SERVICE_NAMES
        );
        assert_eq!(parse(&pado(MAX_SERVICE_NAMES + 1)), Err(Error::TooMany));
        let many = |t: u16, n: usize| msg(0xa7, 1, &tag(t, &[0, 0, 0, 1]).repeat(n));
        assert!(parse(&many(0x0105, MAX_VENDOR_SPECIFIC)).is_ok());
        assert_eq!(
            parse(&many(0x0105, MAX_VENDOR_SPECIFIC + 1)),
            Err(Error::TooMany)
        );
        assert!(parse(&many(0x0fff, MAX_UNKNOWN_TAGS)).is_ok());
        assert_eq!(
            parse(&many(0x0fff, MAX_UNKNOWN_TAGS + 1)),
            Err(Error::TooMany)
        );
        // Zero-length tags: each still moves the reader on by its 4-byte header.
        let zeros = msg(0xa7, 1, &tag(0x0fff, &[]).repeat(MAX_UNKNOWN_TAGS));
        assert_eq!(parse(&zeros).unwrap().unknown.len(), MAX_UNKNOWN_TAGS);
        // A list of End-Of-Lists ends at the first.
        let eols = msg(0xa7, 1, &[0u8; 400]);
        assert_eq!(parse(&eols).unwrap(), repr(PppoeCode::PADT, 1));
    }

    #[test]
    fn emit_errors() {
        let b = hex(PADO);
        let r = parse(&b).unwrap();
        for n in 0..b.len() {
            assert_eq!(r.emit(&mut vec![0; n]), Err(Error::BufferTooSmall), "{n}");
        }
        // The largest message: LENGTH 0xffff.
        let big = vec![7u8; 0xffff - 4];
        let bigger = vec![7u8; 0xffff - 3];
        let mut r = repr(PppoeCode::PADT, 1);
        r.host_uniq = Some(&big);
        let mut out = vec![0; HEADER_LEN + 0xffff + 1];
        assert_eq!(r.emit(&mut out), Ok(HEADER_LEN + 0xffff));
        assert_eq!(parse(&out).unwrap(), r);
        r.host_uniq = Some(&bigger);
        assert_eq!(r.emit(&mut out), Err(Error::BadLength));
        // An "unknown" tag of a known type would read back as the typed field.
        let mut r = repr(PppoeCode::PADT, 1);
        r.unknown.push(RawTag {
            tag_type: TagType::AC_NAME,
            value: b"ac",
        });
        assert_eq!(r.emit(&mut [0; 64]), Err(Error::BadValue));
        r.unknown[0].tag_type = TagType::END_OF_LIST;
        assert_eq!(r.emit(&mut [0; 64]), Err(Error::BadValue));
    }

    // ---- round trips and random input ----

    /// Owned parts of a DiscoveryRepr, normalised by `build` to what the rules allow.
    #[derive(Debug, Clone)]
    struct Parts {
        code: u8,
        session_id: u16,
        names: Vec<Vec<u8>>,
        ac_name: Option<Vec<u8>>,
        host_uniq: Option<Vec<u8>>,
        ac_cookie: Option<Vec<u8>>,
        vendor: Vec<(u32, Vec<u8>)>,
        relay: Option<Vec<u8>>,
        max_payload: Option<u16>,
        errors: [Option<Vec<u8>>; 3],
        unknown: Vec<(u16, Vec<u8>)>,
    }

    fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(any::<u8>(), 0..max)
    }

    fn parts() -> impl Strategy<Value = Parts> {
        let codes = prop::sample::select(vec![0x09u8, 0x07, 0x19, 0x65, 0xa7]);
        let unknown_type = any::<u16>().prop_filter("unknown", |t| !TagType(*t).is_known());
        (
            (
                codes,
                prop_oneof![Just(0u16), Just(0xffff), any::<u16>()],
                proptest::collection::vec(bytes(20), 0..MAX_SERVICE_NAMES + 1),
                proptest::option::of(bytes(20)),
                proptest::option::of(bytes(20)),
                proptest::option::of(bytes(40)),
            ),
            (
                proptest::collection::vec((any::<u32>(), bytes(20)), 0..MAX_VENDOR_SPECIFIC + 1),
                proptest::option::of(bytes(12)),
                proptest::option::of(any::<u16>()),
                [
                    proptest::option::of(bytes(30)),
                    proptest::option::of(bytes(30)),
                    proptest::option::of(bytes(30)),
                ],
                proptest::collection::vec((unknown_type, bytes(10)), 0..MAX_UNKNOWN_TAGS + 1),
            ),
        )
            .prop_map(
                |(
                    (code, session_id, names, ac_name, host_uniq, ac_cookie),
                    (vendor, relay, max_payload, errors, unknown),
                )| Parts {
                    code,
                    session_id,
                    names,
                    ac_name,
                    host_uniq,
                    ac_cookie,
                    vendor,
                    relay,
                    max_payload,
                    errors,
                    unknown,
                },
            )
    }

    fn build(p: &Parts) -> DiscoveryRepr<'_> {
        let code = PppoeCode(p.code);
        let mut r = repr(code, p.session_id);
        fn s(v: &Option<Vec<u8>>) -> Option<&[u8]> {
            v.as_deref()
        }
        let mut names: Vec<&[u8]> = p.names.iter().map(|v| &v[..]).collect();
        r.ac_name = s(&p.ac_name);
        r.host_uniq = s(&p.host_uniq);
        r.ac_cookie = s(&p.ac_cookie);
        r.relay_session_id = s(&p.relay);
        r.ppp_max_payload = p.max_payload;
        r.service_name_error = s(&p.errors[0]);
        r.ac_system_error = s(&p.errors[1]);
        r.generic_error = s(&p.errors[2]);
        match code {
            PppoeCode::PADI | PppoeCode::PADR => {
                r.session_id = 0;
                names.resize(1, b"");
            }
            PppoeCode::PADO => {
                r.session_id = 0;
                if names.is_empty() {
                    names.push(b"any");
                }
                r.ac_name.get_or_insert(b"ac");
            }
            PppoeCode::PADS => {
                names.truncate(1);
                if r.session_id == 0xffff || (r.session_id == 0 && !r.has_error()) {
                    r.session_id = 0x1234;
                }
            }
            _ => {
                if r.session_id == 0 || r.session_id == 0xffff {
                    r.session_id = 1;
                }
            }
        }
        r.service_names = names.into_iter().collect();
        r.vendor_specific = p
            .vendor
            .iter()
            .map(|(id, d)| VendorSpecific {
                vendor_id: *id,
                data: d,
            })
            .collect();
        r.unknown = p
            .unknown
            .iter()
            .map(|(t, v)| RawTag {
                tag_type: TagType(*t),
                value: v,
            })
            .collect();
        r
    }

    /// A discovery header with a valid code and LENGTH over `tags`: reaches the tag rules.
    fn discovery_frame() -> impl Strategy<Value = Vec<u8>> {
        (
            prop::sample::select(vec![0x09u8, 0x07, 0x19, 0x65, 0xa7]),
            prop_oneof![Just(0u16), any::<u16>()],
            proptest::collection::vec(
                (
                    prop::sample::select(vec![
                        0x0000u16, 0x0101, 0x0102, 0x0103, 0x0104, 0x0105, 0x0110, 0x0120, 0x0201,
                        0x0202, 0x0203, 0x0106, 0x7777,
                    ]),
                    bytes(8),
                ),
                0..8,
            ),
        )
            .prop_map(|(code, sid, tags)| {
                let t: Vec<u8> = tags.iter().flat_map(|(t, v)| tag(*t, v)).collect();
                msg(code, sid, &t)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn discovery_round_trip(p in parts()) {
            let r = build(&p);
            let mut out = vec![0u8; r.buffer_len() + 8];
            let n = r.emit(&mut out).unwrap();
            prop_assert_eq!(n, r.buffer_len());
            let view = PppoePacket::new_checked(&out[..n]).unwrap();
            prop_assert_eq!(view.len() as usize, n - HEADER_LEN);
            prop_assert_eq!(DiscoveryRepr::parse(&view).unwrap(), r.clone());
            // Ethernet padding after the message changes nothing.
            prop_assert_eq!(parse(&out).unwrap(), r);
        }

        #[test]
        fn random_bytes_never_panic(data in bytes(200)) {
            #[cfg(fuzzing)]
            pppoe::fuzz(&data);
            let _ = parse(&data);
            let _ = parse_session(&data);
        }

        #[test]
        fn well_framed_tags_never_panic(b in discovery_frame()) {
            #[cfg(fuzzing)]
            pppoe::fuzz(&b);
            if let Ok(r) = parse(&b) {
                let mut out = vec![0; r.buffer_len()];
                prop_assert_eq!(r.emit(&mut out), Ok(out.len()));
                prop_assert_eq!(parse(&out).unwrap(), r);
            }
        }

        // Calls only the fuzz entry points (`--cfg fuzzing`): scripts/fuzz.sh runs it.
        #[cfg(fuzzing)]
        #[test]
        fn mutated_golden_never_panic(which in 0..GOLDEN.len(), at in any::<prop::sample::Index>(), v in any::<u8>(), cut in any::<prop::sample::Index>()) {
            let mut b = hex(GOLDEN[which].2);
            let i = at.index(b.len());
            b[i] = v;
            let n = cut.index(b.len() + 1);
            pppoe::fuzz(&b);
            pppoe::fuzz(&b[..n]);
        }
    }

    // ---- oracles ----

    /// scapy still builds the golden bytes above.
    #[test]
    fn scapy_builds_the_golden_bytes() {
        let mut code = String::from("from scapy.layers.ppp import *\nT = PPPoETag\n");
        for (name, expr, _) in GOLDEN {
            code += &format!("print('{name}', bytes({expr}).hex())\n");
        }
        let out = scapy(&code);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), GOLDEN.len(), "{out}");
        for (line, (name, _, want)) in lines.iter().zip(GOLDEN) {
            assert_eq!(*line, format!("{name} {want}"));
        }
    }

    /// The discovery messages the oracle tests emit, one of every code.
    fn our_messages() -> Vec<(&'static str, DiscoveryRepr<'static>)> {
        let mut padi = repr(PppoeCode::PADI, 0);
        padi.service_names.push(b"");
        padi.host_uniq = Some(HOST_UNIQ);
        padi.ppp_max_payload = Some(1500);
        padi.vendor_specific.push(VendorSpecific {
            vendor_id: 3561,
            data: b"\x01\x06eth0/1",
        });
        let mut pado = repr(PppoeCode::PADO, 0);
        pado.service_names.push(b"");
        pado.service_names.push(b"internet");
        pado.service_names.push(b"voip");
        pado.ac_name = Some(b"dpvpn-bras");
        pado.host_uniq = Some(HOST_UNIQ);
        pado.ac_cookie = Some(&COOKIE);
        pado.relay_session_id = Some(b"\x01\x02\x03");
        let mut padr = repr(PppoeCode::PADR, 0);
        padr.service_names.push(b"internet");
        padr.host_uniq = Some(HOST_UNIQ);
        padr.ac_cookie = Some(&COOKIE);
        padr.ppp_max_payload = Some(1500);
        let mut pads = repr(PppoeCode::PADS, 0x0042);
        pads.service_names.push(b"internet");
        pads.host_uniq = Some(HOST_UNIQ);
        pads.ppp_max_payload = Some(1500);
        let mut pads_err = repr(PppoeCode::PADS, 0);
        pads_err.host_uniq = Some(HOST_UNIQ);
        pads_err.service_name_error = Some(b"no such service");
        pads_err.ac_system_error = Some(b"out of sessions");
        let mut padt = repr(PppoeCode::PADT, 0x0042);
        padt.ac_name = Some(b"dpvpn-bras");
        padt.generic_error = Some(b"session terminated by administrator");
        padt.unknown.push(RawTag {
            tag_type: TagType(0x0fff),
            value: b"\x01\x02",
        });
        vec![
            ("PADI", padi),
            ("PADO", pado),
            ("PADR", padr),
            ("PADS", pads),
            ("PADS_ERR", pads_err),
            ("PADT", padt),
        ]
    }

    fn emit(r: &DiscoveryRepr) -> Vec<u8> {
        let mut b = vec![0; r.buffer_len()];
        r.emit(&mut b).unwrap();
        b
    }

    /// The tags `emit` writes for `r`, in its documented order.
    fn expected_tags(r: &DiscoveryRepr) -> Vec<(u16, Vec<u8>)> {
        let mut t: Vec<(u16, Vec<u8>)> = r
            .service_names
            .iter()
            .map(|s| (0x0101, s.to_vec()))
            .collect();
        let opt = |t: &mut Vec<(u16, Vec<u8>)>, ty: u16, v: Option<&[u8]>| {
            if let Some(v) = v {
                t.push((ty, v.to_vec()));
            }
        };
        opt(&mut t, 0x0102, r.ac_name);
        opt(&mut t, 0x0103, r.host_uniq);
        opt(&mut t, 0x0104, r.ac_cookie);
        for v in &r.vendor_specific {
            t.push((0x0105, [&v.vendor_id.to_be_bytes()[..], v.data].concat()));
        }
        opt(&mut t, 0x0110, r.relay_session_id);
        if let Some(m) = r.ppp_max_payload {
            t.push((0x0120, m.to_be_bytes().to_vec()));
        }
        opt(&mut t, 0x0201, r.service_name_error);
        opt(&mut t, 0x0202, r.ac_system_error);
        opt(&mut t, 0x0203, r.generic_error);
        for u in &r.unknown {
            t.push((u.tag_type.0, u.value.to_vec()));
        }
        t
    }

    /// scapy parses what we emit into the same fields.
    #[test]
    fn scapy_reads_what_we_emit() {
        let msgs = our_messages();
        let mut code = String::from(
            "from scapy.layers.ppp import *\n\
             def show(h):\n\
             \x20   p = PPPoED(bytes.fromhex(h))\n\
             \x20   tags = ' '.join('%04x=%s' % (t.tag_type, bytes(t.tag_value).hex()) for t in p[PPPoED_Tags].tag_list) if PPPoED_Tags in p else ''\n\
             \x20   print(p.version, p.type, '%02x' % p.code, '%04x' % p.sessionid, p.len, tags)\n",
        );
        for (_, r) in &msgs {
            code += &format!(
                "show('{}')\n",
                emit(r)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            );
        }
        let out = scapy(&code);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), msgs.len(), "{out}");
        for (line, (name, r)) in lines.iter().zip(&msgs) {
            // What scapy should see: our Repr's fields, tag by tag in emit order.
            let tags: Vec<String> = expected_tags(r)
                .iter()
                .map(|(ty, v)| {
                    format!(
                        "{ty:04x}={}",
                        v.iter().map(|b| format!("{b:02x}")).collect::<String>()
                    )
                })
                .collect();
            let want = format!(
                "1 1 {:02x} {:04x} {} {}",
                r.code.0,
                r.session_id,
                r.buffer_len() - HEADER_LEN,
                tags.join(" ")
            );
            assert_eq!(line.trim_end(), want.trim_end(), "{name}");
        }
    }

    const A: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 1]);
    const B: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 2]);

    /// No tags, one C-tag, S-tag + C-tag.
    fn l2_variants() -> [(&'static str, Option<VlanTag>, Option<VlanTag>); 3] {
        let s = VlanTag {
            tpid: EtherType::QINQ,
            pcp: 1,
            dei: false,
            vid: 100,
        };
        let c = VlanTag {
            tpid: EtherType::VLAN,
            pcp: 0,
            dei: false,
            vid: 200,
        };
        [
            ("untagged", None, None),
            ("vlan", Some(c), None),
            ("qinq", Some(s), Some(c)),
        ]
    }

    /// An Ethernet frame around `pppoe`, padded to the 60-byte minimum.
    fn frame(
        outer: Option<VlanTag>,
        inner: Option<VlanTag>,
        ethertype: EtherType,
        pppoe: &[u8],
    ) -> Vec<u8> {
        let dst = if pppoe[1] == 0x09 {
            EthernetAddress::BROADCAST
        } else {
            B
        };
        let h = L2Header {
            dst,
            src: A,
            outer_vlan: outer,
            inner_vlan: inner,
            ethertype,
            header_len: 0,
        };
        let mut f = vec![0u8; 22];
        let n = emit_l2(&h, &mut f).unwrap();
        f.truncate(n);
        f.extend_from_slice(pppoe);
        if f.len() < 60 {
            f.resize(60, 0);
        }
        f
    }

    /// PPP (protocol 0x0021) carrying an IPv4 ICMP echo request, built by hand.
    fn ppp_ipv4() -> Vec<u8> {
        let icmp = Icmpv4Repr::EchoRequest {
            ident: 7,
            seq_no: 1,
            data: b"dpvpn",
        };
        let ip = Ipv4Repr {
            src: Ipv4Address::new(100, 64, 0, 2),
            dst: Ipv4Address::new(198, 51, 100, 2),
            protocol: IpProtocol::ICMP,
            payload_len: icmp.buffer_len() as u16,
            ttl: 64,
            dscp_ecn: 0,
            ident: 1,
            dont_frag: false,
        };
        let mut b = vec![0x00, 0x21];
        b.resize(2 + 20 + icmp.buffer_len(), 0);
        ip.emit(&mut b[2..]).unwrap();
        icmp.emit(&mut b[22..]).unwrap();
        b
    }

    /// PPP LCP Echo-Request (RFC 1661 §5.8), id 1, magic 0x01020304, built by hand.
    const PPP_LCP_ECHO: [u8; 10] = [0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 0x01, 0x02, 0x03, 0x04];

    const FIELDS: [&str; 28] = [
        "eth.type",
        "vlan.id",
        "ieee8021ad.id",
        "pppoe.version",
        "pppoe.type",
        "pppoe.code",
        "pppoe.session_id",
        "pppoe.payload_length",
        "pppoed.tags.service_name",
        "pppoed.tags.ac_name",
        "pppoed.tags.host_uniq",
        "pppoed.tags.ac_cookie",
        "pppoed.tags.vendor_id",
        "pppoed.tags.circuit_id",
        "pppoed.tags.relay_session_id",
        "pppoed.tags.max_payload",
        "pppoed.tags.service_name_error",
        "pppoed.tags.ac_system_error",
        "pppoed.tags.generic_error",
        "ppp.protocol",
        "ppp.code",
        "lcp.magic_number",
        "ip.dst",
        "icmp.type",
        "ip.checksum.status",
        "icmp.checksum.status",
        "pppoed.tag",
        "pppoed.tag_length",
    ];

    /// tshark fields and the values they must have.
    type Expect = Vec<(&'static str, &'static str)>;

    /// Every message kind we emit, in Ethernet, 802.1Q and QinQ: tshark decodes each
    /// with no malformed flag, no expert warning or error, and the values we wrote.
    #[test]
    fn tshark_decodes_every_code() {
        let mut msgs: Vec<(&str, Vec<u8>, EtherType, Expect)> = Vec::new();
        for (name, r) in our_messages() {
            let expect: Vec<(&str, &str)> = match name {
                "PADI" => vec![
                    ("pppoe.code", "0x09"),
                    ("pppoe.session_id", "0x0000"),
                    ("pppoe.payload_length", "34"),
                    ("pppoed.tags.service_name", ""),
                    ("pppoed.tags.host_uniq", "12345678"),
                    ("pppoed.tags.vendor_id", "3561"),
                    ("pppoed.tags.circuit_id", "eth0/1"),
                    ("pppoed.tags.max_payload", "05dc"),
                ],
                "PADO" => vec![
                    ("pppoe.code", "0x07"),
                    ("pppoe.session_id", "0x0000"),
                    // tshark prints no value for the empty Service-Name.
                    ("pppoed.tags.service_name", "internet|voip"),
                    ("pppoed.tags.ac_name", "dpvpn-bras"),
                    ("pppoed.tags.host_uniq", "12345678"),
                    ("pppoed.tags.ac_cookie", "000102030405060708090a0b0c0d0e0f"),
                    ("pppoed.tags.relay_session_id", "010203"),
                ],
                "PADR" => vec![
                    ("pppoe.code", "0x19"),
                    ("pppoed.tags.service_name", "internet"),
                    ("pppoed.tags.ac_cookie", "000102030405060708090a0b0c0d0e0f"),
                    ("pppoed.tags.max_payload", "05dc"),
                ],
                "PADS" => vec![
                    ("pppoe.code", "0x65"),
                    ("pppoe.session_id", "0x0042"),
                    ("pppoe.payload_length", "26"),
                    ("pppoed.tags.service_name", "internet"),
                ],
                "PADS_ERR" => vec![
                    ("pppoe.code", "0x65"),
                    ("pppoe.session_id", "0x0000"),
                    ("pppoed.tags.service_name_error", "no such service"),
                    ("pppoed.tags.ac_system_error", "out of sessions"),
                ],
                "PADT" => vec![
                    ("pppoe.code", "0xa7"),
                    ("pppoe.session_id", "0x0042"),
                    ("pppoed.tags.ac_name", "dpvpn-bras"),
                    (
                        "pppoed.tags.generic_error",
                        "session terminated by administrator",
                    ),
                    // Wireshark names only unknown tags this way. (Its "Unknown Data"
                    // shows TAG_LENGTH's bytes, not the value, for scapy's frame too.)
                    ("pppoed.tag", "0x0fff"),
                    ("pppoed.tag_length", "2"),
                ],
                _ => unreachable!(),
            };
            msgs.push((name, emit(&r), EtherType::PPPOE_DISCOVERY, expect));
        }
        let lcp_ppp = PPP_LCP_ECHO.to_vec();
        let ip_ppp = ppp_ipv4();
        for (name, ppp, expect) in [
            (
                "SESSION_LCP",
                &lcp_ppp,
                vec![
                    ("pppoe.code", "0x00"),
                    ("pppoe.payload_length", "10"),
                    ("ppp.protocol", "0xc021"),
                    ("ppp.code", "9"),
                    ("lcp.magic_number", "0x01020304"),
                ],
            ),
            (
                "SESSION_IP",
                &ip_ppp,
                vec![
                    ("pppoe.code", "0x00"),
                    ("pppoe.payload_length", "35"),
                    ("ppp.protocol", "0x0021"),
                    ("ip.dst", "198.51.100.2"),
                    ("icmp.type", "8"),
                    ("ip.checksum.status", "1"),
                    ("icmp.checksum.status", "1"),
                ],
            ),
        ] {
            let mut b = session_header(0x1234).to_vec();
            b.extend_from_slice(ppp);
            PppoePacket::new_unchecked(&mut b[..]).set_len(ppp.len() as u16);
            let mut expect = expect;
            expect.push(("pppoe.session_id", "0x1234"));
            msgs.push((name, b, EtherType::PPPOE_SESSION, expect));
        }

        let mut frames = Vec::new();
        let mut wants = Vec::new();
        for (l2, outer, inner) in l2_variants() {
            for (name, pppoe, et, expect) in &msgs {
                let f = frame(outer, inner, *et, pppoe);
                // We read our own frame back through the padding too.
                let h = dataplane::wire::parse_l2(&f).unwrap();
                assert_eq!(h.ethertype, *et);
                let p = PppoePacket::new_checked(&f[h.header_len..]).unwrap();
                assert_eq!(p.payload(), &pppoe[HEADER_LEN..]);
                frames.push(f);
                let mut e = expect.clone();
                e.extend([("pppoe.version", "1"), ("pppoe.type", "1")]);
                let et_s = if *et == EtherType::PPPOE_SESSION {
                    "0x8864"
                } else {
                    "0x8863"
                };
                match l2 {
                    "untagged" => {
                        e.extend([("eth.type", et_s), ("vlan.id", ""), ("ieee8021ad.id", "")])
                    }
                    "vlan" => e.extend([
                        ("eth.type", "0x8100"),
                        ("vlan.id", "200"),
                        ("ieee8021ad.id", ""),
                    ]),
                    _ => e.extend([
                        ("eth.type", "0x88a8"),
                        ("vlan.id", "200"),
                        ("ieee8021ad.id", "100"),
                    ]),
                }
                wants.push((format!("{name} {l2}"), e));
            }
        }
        let got = tshark(&frames, &FIELDS, &[], &[]);
        assert_eq!(got.len(), frames.len());
        for (d, (what, expect)) in got.iter().zip(&wants) {
            assert!(!d.malformed, "{what}: malformed");
            // Expert severities: chat 0x200000, note 0x400000, warn 0x600000, error 0x800000.
            let sevs = d.expert.split_whitespace().next().unwrap_or("");
            for s in sevs.split('|').filter(|s| !s.is_empty()) {
                let s: u32 = s.parse().unwrap_or(u32::MAX);
                assert!(s < 0x60_0000, "{what}: tshark says {:?}", d.expert);
            }
            for (field, want) in expect {
                let i = FIELDS.iter().position(|f| f == field).unwrap();
                assert_eq!(d.fields[i], *want, "{what}: {field}");
            }
        }
    }
}
