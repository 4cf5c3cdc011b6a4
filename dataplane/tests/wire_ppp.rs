//! PPP framing, LCP, IPCP and IPv6CP against packets built by scapy
//! (scapy.layers.ppp) and the RFCs, round trips of every `Repr`, bad input, and the
//! oracles: tshark decodes what we emit inside Ethernet + PPPoE session, scapy parses
//! what we emit.

mod oracle_util;

// In a module so that `cargo test wire_ppp` selects these tests by name.
mod wire_ppp {
    use super::oracle_util::{hex, scapy, tshark};
    use dataplane::wire::ipcp::{self, IpcpOption, IpcpOptionType, IpcpRepr};
    #[cfg(fuzzing)]
    use dataplane::wire::{ipv6cp, lcp};
    use dataplane::wire::ipv6cp::{Ipv6cpOption, Ipv6cpOptionType, Ipv6cpRepr};
    use dataplane::wire::lcp::{
        AuthProtocol, ChapAlgorithm, LcpCode, LcpOption, LcpOptionType, LcpOptions, LcpRepr,
    };
    use dataplane::wire::ppp::{
        self, parse_header, ConfigOption, ControlPacket, Options, PppFrame, PppProtocol, PppRepr,
        MAX_OPTIONS,
    };
    use dataplane::wire::{emit_l2, Error, EtherType, EthernetAddress, Ipv4Address, L2Header};
    use proptest::prelude::*;

    // ---- golden bytes -------------------------------------------------------------
    // Every scapy line below ran as `from scapy.all import *; bytes(<expr>).hex()`
    // (Debian python3-scapy 2.5.0).

    // PPP_LCP_Configure(code=1, id=1, options=[PPP_LCP_MRU_Option(max_recv_unit=1492),
    //   PPP_LCP_Auth_Protocol_Option(auth_protocol=0xc223, algorithm=5),
    //   PPP_LCP_Magic_Number_Option(magic_number=0x12345678)])
    const LCP_CONFREQ: &str = "01010013010405d40305c22305050612345678";
    // PPP_LCP_Configure(code=1, id=2, options=[PPP_LCP_ACCM_Option(accm=0x000a0000),
    //   PPP_LCP_Auth_Protocol_Option(auth_protocol=0xc023),
    //   PPP_LCP_Magic_Number_Option(magic_number=0xdeadbeef), PPP_LCP_Option(type=7),
    //   PPP_LCP_Option(type=8)])
    const LCP_CONFREQ_PAP_ACCM: &str = "010200180206000a00000304c0230506deadbeef07020802";
    // PPP_LCP_Configure(code=4, id=3, options=[PPP_LCP_Auth_Protocol_Option(
    //   auth_protocol=0xc223, algorithm=0x81), PPP_LCP_Quality_Protocol_Option(
    //   quality_protocol=0xc025, data=b'\x00\x00\x03\xe8'), PPP_LCP_Callback_Option(operation=0)])
    const LCP_CONFREJ_MSCHAP: &str = "040300140305c223810408c025000003e80d0300";
    // PPP_LCP_Echo(code=9, id=7, magic_number=0x01020304)
    const LCP_ECHO_REQ: &str = "0907000801020304";
    // PPP_LCP_Echo(code=10, id=7, magic_number=0x05060708, data=b'hi')
    const LCP_ECHO_REPLY: &str = "0a07000a050607086869";
    // PPP_LCP_Discard_Request(id=8, magic_number=0xa1b2c3d4, data=b'discard')
    const LCP_DISCARD: &str = "0b08000fa1b2c3d464697363617264";
    // PPP_LCP_Terminate(code=5, id=9, data=b'User request')
    const LCP_TERMREQ: &str = "05090010557365722072657175657374";
    // PPP_LCP_Terminate(code=6, id=9)
    const LCP_TERMACK: &str = "06090004";
    // PPP_LCP_Code_Reject(id=10, rejected_packet=PPP_LCP(code=99, id=4, data=b'xyz'))
    const LCP_CODEREJ: &str = "070a000b6304000778797a";
    // PPP_LCP_Protocol_Reject(id=11, rejected_protocol=0x8057,
    //   rejected_information=Raw(bytes.fromhex("0101000e010a00000000000000 01")))
    const LCP_PROTREJ: &str = "080b001480570101000e010a0000000000000001";
    // RFC 1570 §2.1 / §2.2 by hand (scapy has neither): Identification id 1, magic
    // 0x01020304, "hey!"; Time-Remaining id 2, magic 0x01020304, 3600 s, "hey".
    const LCP_IDENTIFICATION: &str = "0c01000c0102030468657921";
    const LCP_TIME_REMAINING: &str = "0d02000f0102030400000e10686579";

    // PPP_IPCP(code=1, id=1, options=[PPP_IPCP_Option_IPAddress(data="0.0.0.0"),
    //   PPP_IPCP_Option_DNS1(data="0.0.0.0"), PPP_IPCP_Option_DNS2(data="0.0.0.0")])
    const IPCP_CONFREQ: &str = "01010016030600000000810600000000830600000000";
    // PPP_IPCP(code=3, id=1, options=[PPP_IPCP_Option_IPAddress(data="100.64.0.7"),
    //   PPP_IPCP_Option_DNS1(data="192.0.2.53"), PPP_IPCP_Option_NBNS1(data="192.0.2.137"),
    //   PPP_IPCP_Option_DNS2(data="198.51.100.53"), PPP_IPCP_Option_NBNS2(data="198.51.100.137")])
    const IPCP_CONFNAK: &str =
        "030100220306644000078106c00002358206c00002898306c63364358406c6336489";
    // PPP_IPCP(code=1, id=2, options=[PPP_IPCP_Option(type=2, data=b'\x00\x2d\x0f\x01'),
    //   PPP_IPCP_Option(type=1, data=bytes([10,0,0,1,10,0,0,2]))])
    const IPCP_CONFREQ_VJ: &str = "010200140206002d0f01010a0a0000010a000002";

    // IPv6CP by hand from RFC 5072 §4.1 (scapy has no IPv6CP): Configure-Request id 1,
    // Interface-Identifier 00:11:22:33:44:55:66:77; tshark reads it back below.
    const IPV6CP_CONFREQ: &str = "0101000e010a0011223344556677";

    // HDLC()/PPP(proto=0x0021)/IP(src="192.0.2.1", dst="192.0.2.2", id=1)/ICMP()
    // (scapy compresses protocols below 0x100: Address/Control and a 1-byte protocol)
    const PPP_HDLC_PFC_IPV4: &str =
        "ff03214500001c000100004001f6dcc0000201c00002020800f7ff00000000";
    // PPP(proto=0x21)/b'E'
    const PPP_PFC_IPV4: &str = "2145";
    // PPP(proto=0xc021)/PPP_LCP_Echo(code=9, id=1, magic_number=1)
    const PPP_LCP_ECHO: &str = "c0210901000800000001";

    fn opts<O: Copy>(o: &[O]) -> Options<O> {
        o.iter().copied().collect()
    }

    fn leak(v: Vec<u8>) -> &'static [u8] {
        Box::leak(v.into_boxed_slice())
    }

    fn lcp(b: &[u8]) -> Result<LcpRepr<'_>, Error> {
        LcpRepr::parse(&ControlPacket::new_checked(b)?)
    }
    fn ipcp(b: &[u8]) -> Result<IpcpRepr<'_>, Error> {
        IpcpRepr::parse(&ControlPacket::new_checked(b)?)
    }
    fn ipv6cp(b: &[u8]) -> Result<Ipv6cpRepr<'_>, Error> {
        Ipv6cpRepr::parse(&ControlPacket::new_checked(b)?)
    }

    /// `bytes` parse as `want`, and `want` emits exactly `bytes`.
    fn check_lcp(bytes: &str, want: LcpRepr) {
        let b = hex(bytes);
        assert_eq!(lcp(&b), Ok(want.clone()), "{bytes}");
        assert_eq!(want.buffer_len(), b.len());
        let mut out = vec![0xa5; b.len()];
        assert_eq!(want.emit(&mut out), Ok(b.len()));
        assert_eq!(out, b, "emit differs from the golden bytes");
        assert_eq!(
            want.emit(&mut out[..b.len() - 1]),
            Err(Error::BufferTooSmall)
        );
        for n in 0..b.len() {
            assert_eq!(lcp(&b[..n]), Err(Error::Truncated), "{bytes} cut at {n}");
        }
        #[cfg(fuzzing)]
        lcp::fuzz(&b);
    }
    fn check_ipcp(bytes: &str, want: IpcpRepr) {
        let b = hex(bytes);
        assert_eq!(ipcp(&b), Ok(want.clone()), "{bytes}");
        let mut out = vec![0xa5; want.buffer_len()];
        assert_eq!(want.emit(&mut out), Ok(b.len()));
        assert_eq!(out, b, "emit differs from the golden bytes");
        for n in 0..b.len() {
            assert_eq!(ipcp(&b[..n]), Err(Error::Truncated), "{bytes} cut at {n}");
        }
        #[cfg(fuzzing)]
        ipcp::fuzz(&b);
    }

    // ---- PPP framing --------------------------------------------------------------

    #[test]
    fn ppp_header_in_every_form() {
        // (bytes, Address/Control, PFC, protocol, header length)
        let owned = [
            (hex(PPP_HDLC_PFC_IPV4), true, true, PppProtocol::IPV4, 3),
            (hex(PPP_PFC_IPV4), false, true, PppProtocol::IPV4, 1),
            (hex(PPP_LCP_ECHO), false, false, PppProtocol::LCP, 2),
            // RFC 1662 §3.1 framing as L2TP/PPTP carry it: ff 03, 2-byte protocol.
            (
                hex("ff03c0210901000800000001"),
                true,
                false,
                PppProtocol::LCP,
                4,
            ),
            (hex("ff0300214500"), true, false, PppProtocol::IPV4, 4),
            (hex("00574500"), false, false, PppProtocol::IPV6, 2),
            // 0xff not followed by 0x03 is no Address field (RFC 1661 §6.6): a 1-byte
            // protocol 0x00ff.
            (hex("ff05"), false, true, PppProtocol(0x00ff), 1),
        ];
        for (b, ac, pfc, proto, hl) in &owned {
            let f = PppFrame::new_checked(&b[..]).unwrap();
            assert_eq!(
                (
                    f.has_address_control(),
                    f.is_protocol_compressed(),
                    f.protocol(),
                    f.header_len()
                ),
                (*ac, *pfc, *proto, *hl),
                "{b:02x?}"
            );
            assert_eq!(f.payload(), &b[*hl..]);
            assert_eq!(parse_header(b), Ok((*proto, *hl)));
            let r = PppRepr::parse(&f).unwrap();
            assert_eq!(
                r,
                PppRepr {
                    address_control: *ac,
                    protocol_compressed: *pfc,
                    protocol: *proto
                }
            );
            assert_eq!(r.buffer_len(), *hl);
            let mut out = [0u8; 4];
            assert_eq!(r.emit(&mut out), Ok(*hl));
            assert_eq!(out[..*hl], b[..*hl]);
            #[cfg(fuzzing)]
            ppp::fuzz(b);
        }
        assert_eq!(
            PppRepr::pppoe(PppProtocol::IPCP),
            PppRepr {
                address_control: false,
                protocol_compressed: false,
                protocol: PppProtocol::IPCP
            }
        );
        assert_eq!(PppRepr::hdlc(PppProtocol::CHAP).buffer_len(), 4);
        // The payload after the header is writable in place.
        let mut b = hex("ff03002100");
        PppFrame::new_checked(&mut b[..]).unwrap().payload_mut()[0] = 0x45;
        assert_eq!(b[4], 0x45);
    }

    #[test]
    fn ppp_header_truncated_and_unwritable() {
        for b in [
            &[][..],
            &[0xff, 0x03],
            &[0xff, 0x03, 0xc0],
            &[0x00],
            &[0xc0],
        ] {
            assert_eq!(parse_header(b), Err(Error::Truncated), "{b:02x?}");
            assert_eq!(PppFrame::new_checked(b).err(), Some(Error::Truncated));
            #[cfg(fuzzing)]
            ppp::fuzz(b);
        }
        let mut out = [0u8; 4];
        let r = |ac, pfc, p| PppRepr {
            address_control: ac,
            protocol_compressed: pfc,
            protocol: PppProtocol(p),
        };
        // A 1-byte field only for 0x00** with an odd low byte (RFC 1661 §6.5).
        assert_eq!(r(false, true, 0xc021).emit(&mut out), Err(Error::BadValue));
        assert_eq!(r(false, true, 0x0020).emit(&mut out), Err(Error::BadValue));
        // An odd high byte would read back as a 1-byte field.
        assert_eq!(r(true, false, 0x0121).emit(&mut out), Err(Error::BadValue));
        assert_eq!(
            r(true, false, 0xc021).emit(&mut out[..3]),
            Err(Error::BufferTooSmall)
        );
        assert_eq!(
            r(false, true, 0x21).emit(&mut out[..0]),
            Err(Error::BufferTooSmall)
        );
    }

    #[test]
    fn protocol_number_classes() {
        assert!(
            PppProtocol::IPV4.is_valid()
                && PppProtocol::LCP.is_valid()
                && PppProtocol::IPV6CP.is_valid()
        );
        assert!(!PppProtocol(0x0100).is_valid() && !PppProtocol(0x0020).is_valid());
        assert!(PppProtocol::IPV6.is_network_layer() && !PppProtocol::IPCP.is_network_layer());
        assert!(PppProtocol::IPCP.is_network_control() && PppProtocol::CCP.is_network_control());
        assert!(!PppProtocol::LCP.is_network_control());
        assert!(PppProtocol::LCP.is_link_control() && PppProtocol::CHAP.is_link_control());
        assert!(PppProtocol::IPV4.is_compressible() && PppProtocol::MP.is_compressible());
        assert!(!PppProtocol::LCP.is_compressible());
        assert_eq!(
            [
                PppProtocol::PAP.0,
                PppProtocol::CHAP.0,
                PppProtocol::CCP.0,
                PppProtocol::ECP.0,
                PppProtocol::MP.0
            ],
            [0xc023, 0xc223, 0x80fd, 0x8053, 0x003d]
        );
    }

    // ---- the control packet layout ------------------------------------------------

    #[test]
    fn control_packet_length_checks() {
        let b = hex(LCP_ECHO_REPLY);
        let p = ControlPacket::new_checked(&b[..]).unwrap();
        assert_eq!(
            (p.code(), p.identifier(), p.length(), p.data()),
            (10, 7, 10, &b[4..])
        );
        // Truncated at every length.
        for n in 0..b.len() {
            assert_eq!(
                ControlPacket::new_checked(&b[..n]).err(),
                Some(Error::Truncated),
                "{n}"
            );
        }
        // Length below the header.
        for len in 0..4u8 {
            let mut x = b.clone();
            x[3] = len;
            assert_eq!(
                ControlPacket::new_checked(&x[..]).err(),
                Some(Error::BadLength)
            );
            assert_eq!(lcp(&x), Err(Error::BadLength));
        }
        // Length past the buffer.
        let mut x = b.clone();
        x[3] = 11;
        assert_eq!(
            ControlPacket::new_checked(&x[..]).err(),
            Some(Error::Truncated)
        );
        x[2] = 0xff;
        assert_eq!(lcp(&x), Err(Error::Truncated));
        // PPPoE padding after Length is not data.
        let mut padded = b.clone();
        padded.extend_from_slice(&[0; 30]);
        let p = ControlPacket::new_checked(&padded[..]).unwrap();
        assert_eq!((p.data(), p.packet()), (&b[4..], &b[..]));
        assert_eq!(lcp(&padded), lcp(&b));
        // Setters.
        let mut w = [0u8; 6];
        let mut p = ControlPacket::new_unchecked(&mut w[..]);
        p.set_code(9);
        p.set_identifier(3);
        p.set_length(6);
        p.data_mut().copy_from_slice(b"ok");
        assert_eq!(w, [9, 3, 0, 6, b'o', b'k']);
    }

    // ---- LCP ----------------------------------------------------------------------

    #[test]
    fn lcp_configure_from_scapy() {
        check_lcp(
            LCP_CONFREQ,
            LcpRepr::ConfigureRequest {
                identifier: 1,
                options: opts(&[
                    LcpOption::MaximumReceiveUnit(1492),
                    LcpOption::AuthenticationProtocol(AuthProtocol::Chap(ChapAlgorithm::MD5)),
                    LcpOption::MagicNumber(0x12345678),
                ]),
            },
        );
        check_lcp(
            LCP_CONFREQ_PAP_ACCM,
            LcpRepr::ConfigureRequest {
                identifier: 2,
                options: opts(&[
                    LcpOption::AsyncControlCharacterMap(0x000a0000),
                    LcpOption::AuthenticationProtocol(AuthProtocol::Pap),
                    LcpOption::MagicNumber(0xdeadbeef),
                    LcpOption::ProtocolFieldCompression,
                    LcpOption::AddressAndControlFieldCompression,
                ]),
            },
        );
        // Callback (13) is unknown to us and kept raw, ready to be rejected.
        check_lcp(
            LCP_CONFREJ_MSCHAP,
            LcpRepr::ConfigureReject {
                identifier: 3,
                options: opts(&[
                    LcpOption::AuthenticationProtocol(AuthProtocol::Chap(
                        ChapAlgorithm::MS_CHAP_V2,
                    )),
                    LcpOption::QualityProtocol {
                        protocol: PppProtocol::LQR,
                        data: &[0, 0, 3, 0xe8],
                    },
                    LcpOption::Unknown {
                        kind: LcpOptionType::CALLBACK,
                        data: &[0],
                    },
                ]),
            },
        );
        // The same options under Ack and Nak.
        for (code, f) in [
            (
                2u8,
                (|identifier, options| LcpRepr::ConfigureAck {
                    identifier,
                    options,
                }) as fn(u8, _) -> LcpRepr<'static>,
            ),
            (3, |identifier, options| LcpRepr::ConfigureNak {
                identifier,
                options,
            }),
        ] {
            let mut b = hex(LCP_CONFREQ);
            b[0] = code;
            let want = f(
                1,
                opts(&[
                    LcpOption::MaximumReceiveUnit(1492),
                    LcpOption::AuthenticationProtocol(AuthProtocol::Chap(ChapAlgorithm::MD5)),
                    LcpOption::MagicNumber(0x12345678),
                ]),
            );
            assert_eq!(lcp(&b), Ok(want));
        }
        // The option iterator gives the same list.
        let b = hex(LCP_CONFREQ_PAP_ACCM);
        let p = ControlPacket::new_checked(&b[..]).unwrap();
        let it: Vec<_> = LcpOptions::new(p.data()).collect::<Result<_, _>>().unwrap();
        assert_eq!(Some(&it[..]), lcp(&b).unwrap().options());
        assert_eq!(LcpCode(p.code()), LcpCode::CONFIGURE_REQUEST);
    }

    #[test]
    fn lcp_other_codes_from_scapy_and_rfc1570() {
        check_lcp(
            LCP_ECHO_REQ,
            LcpRepr::EchoRequest {
                identifier: 7,
                magic_number: 0x01020304,
                data: b"",
            },
        );
        check_lcp(
            LCP_ECHO_REPLY,
            LcpRepr::EchoReply {
                identifier: 7,
                magic_number: 0x05060708,
                data: b"hi",
            },
        );
        check_lcp(
            LCP_DISCARD,
            LcpRepr::DiscardRequest {
                identifier: 8,
                magic_number: 0xa1b2c3d4,
                data: b"discard",
            },
        );
        check_lcp(
            LCP_TERMREQ,
            LcpRepr::TerminateRequest {
                identifier: 9,
                data: b"User request",
            },
        );
        check_lcp(
            LCP_TERMACK,
            LcpRepr::TerminateAck {
                identifier: 9,
                data: b"",
            },
        );
        check_lcp(
            LCP_CODEREJ,
            LcpRepr::CodeReject {
                identifier: 10,
                rejected_packet: &hex("6304000778797a"),
            },
        );
        check_lcp(
            LCP_PROTREJ,
            LcpRepr::ProtocolReject {
                identifier: 11,
                rejected_protocol: PppProtocol::IPV6CP,
                rejected_information: &hex("0101000e010a0000000000000001"),
            },
        );
        check_lcp(
            LCP_IDENTIFICATION,
            LcpRepr::Identification {
                identifier: 1,
                magic_number: 0x01020304,
                message: b"hey!",
            },
        );
        check_lcp(
            LCP_TIME_REMAINING,
            LcpRepr::TimeRemaining {
                identifier: 2,
                magic_number: 0x01020304,
                seconds_remaining: 3600,
                message: b"hey",
            },
        );
        let codes: Vec<u8> = [
            LcpCode::CONFIGURE_REQUEST,
            LcpCode::CONFIGURE_ACK,
            LcpCode::CONFIGURE_NAK,
            LcpCode::CONFIGURE_REJECT,
            LcpCode::TERMINATE_REQUEST,
            LcpCode::TERMINATE_ACK,
            LcpCode::CODE_REJECT,
            LcpCode::PROTOCOL_REJECT,
            LcpCode::ECHO_REQUEST,
            LcpCode::ECHO_REPLY,
            LcpCode::DISCARD_REQUEST,
            LcpCode::IDENTIFICATION,
            LcpCode::TIME_REMAINING,
        ]
        .iter()
        .map(|c| c.0)
        .collect();
        assert_eq!(codes, (1..=13).collect::<Vec<u8>>());
    }

    #[test]
    fn lcp_bad_input() {
        let bad = |s: &str| lcp(leak(hex(s)));
        // Options with the wrong length for their type (RFC 1661 §6.1–§6.6).
        assert_eq!(bad("01010007010305"), Err(Error::BadOption), "MRU length 3");
        assert_eq!(
            bad("0101000802040000"),
            Err(Error::BadOption),
            "ACCM length 4"
        );
        assert_eq!(
            bad("010100090505123456"),
            Err(Error::BadOption),
            "magic length 5"
        );
        assert_eq!(
            bad("0101000707030a"),
            Err(Error::BadOption),
            "PFC with data"
        );
        assert_eq!(
            bad("0101000708030a"),
            Err(Error::BadOption),
            "ACFC with data"
        );
        assert!(bad("010100060802").is_ok());
        assert_eq!(
            bad("010100090305c02300"),
            Err(Error::BadOption),
            "PAP with data"
        );
        assert_eq!(
            bad("010100080304c223"),
            Err(Error::BadOption),
            "CHAP without algorithm"
        );
        assert_eq!(
            bad("0101000a0306c2230581"),
            Err(Error::BadOption),
            "CHAP with two bytes"
        );
        assert_eq!(
            bad("0101000703030c"),
            Err(Error::BadOption),
            "auth protocol length 3"
        );
        assert_eq!(
            bad("010100060402"),
            Err(Error::BadOption),
            "quality length 2"
        );
        // Option lengths below 2, past the packet, half an option.
        assert_eq!(bad("010100060100"), Err(Error::BadLength));
        assert_eq!(bad("010100060101"), Err(Error::BadLength));
        assert_eq!(bad("01010006010a"), Err(Error::Truncated));
        assert_eq!(bad("01010007010405"), Err(Error::Truncated));
        assert_eq!(bad("0101000501"), Err(Error::Truncated));
        // An option running past Length into the padding is still truncated.
        assert_eq!(bad("01010007010405d4"), Err(Error::Truncated));
        // More options than a Repr holds: 33 PFCs.
        let mut many = vec![1, 1, 0, (4 + 2 * (MAX_OPTIONS + 1)) as u8];
        for _ in 0..=MAX_OPTIONS {
            many.extend_from_slice(&[7, 2]);
        }
        assert_eq!(lcp(&many), Err(Error::TooMany));
        many.truncate(4 + 2 * MAX_OPTIONS);
        many[3] -= 2;
        assert_eq!(lcp(&many).unwrap().options().unwrap().len(), MAX_OPTIONS);
        // Fixed fields that do not fit the Length.
        assert_eq!(
            bad("0801000580"),
            Err(Error::BadLength),
            "Protocol-Reject without protocol"
        );
        assert_eq!(
            bad("0901000701020300"),
            Err(Error::BadLength),
            "Echo without magic"
        );
        assert_eq!(bad("0b0100060102"), Err(Error::BadLength));
        assert_eq!(bad("0c010007010203"), Err(Error::BadLength));
        assert_eq!(
            bad("0d01000b01020304000000"),
            Err(Error::BadLength),
            "Time-Remaining, 3 bytes of seconds"
        );
        // Codes LCP does not define: the control plane Code-Rejects them.
        for code in [0u8, 14, 15, 99, 255] {
            assert_eq!(lcp(&[code, 1, 0, 4]), Err(Error::UnknownType));
        }
        // Emit refuses what would not read back.
        let mut out = [0u8; 300];
        let r = |o| LcpRepr::ConfigureRequest {
            identifier: 1,
            options: opts(&[o]),
        };
        assert_eq!(
            r(LcpOption::Unknown {
                kind: LcpOptionType::MAGIC_NUMBER,
                data: &[1, 2, 3, 4]
            })
            .emit(&mut out),
            Err(Error::BadValue)
        );
        assert_eq!(
            r(LcpOption::AuthenticationProtocol(AuthProtocol::Other {
                protocol: PppProtocol::PAP,
                data: &[]
            }))
            .emit(&mut out),
            Err(Error::BadValue)
        );
        assert_eq!(
            r(LcpOption::Unknown {
                kind: LcpOptionType(99),
                data: &[0; 254]
            })
            .emit(&mut out),
            Err(Error::BadLength)
        );
        let big = vec![0u8; 70000];
        let mut out = vec![0u8; 70010];
        assert_eq!(
            LcpRepr::TerminateRequest {
                identifier: 1,
                data: &big
            }
            .emit(&mut out),
            Err(Error::BadLength)
        );
        assert_eq!(
            LcpRepr::EchoRequest {
                identifier: 1,
                magic_number: 0,
                data: &big[..65528]
            }
            .emit(&mut out),
            Err(Error::BadLength)
        );
        assert_eq!(
            LcpRepr::EchoRequest {
                identifier: 1,
                magic_number: 0,
                data: &big[..65527]
            }
            .emit(&mut out),
            Ok(65535)
        );
    }

    #[test]
    fn lcp_options_emit_alone() {
        let mut b = [0u8; 8];
        assert_eq!(LcpOption::MaximumReceiveUnit(1492).emit(&mut b), Ok(4));
        assert_eq!(b[..4], [1, 4, 0x05, 0xd4]);
        assert_eq!(
            LcpOption::AuthenticationProtocol(AuthProtocol::Chap(ChapAlgorithm::MS_CHAP_V2))
                .emit(&mut b),
            Ok(5)
        );
        assert_eq!(b[..5], [3, 5, 0xc2, 0x23, 0x81]);
        assert_eq!(
            LcpOption::MagicNumber(1).emit(&mut b[..5]),
            Err(Error::BufferTooSmall)
        );
        // EAP has no data (RFC 3748 §4): "Other".
        let eap = LcpOption::parse(3, &[0xc2, 0x27]).unwrap();
        assert_eq!(
            eap,
            LcpOption::AuthenticationProtocol(AuthProtocol::Other {
                protocol: PppProtocol::EAP,
                data: &[]
            })
        );
        assert_eq!(eap.buffer_len(), 4);
    }

    // ---- IPCP, IPv6CP -------------------------------------------------------------

    #[test]
    fn ipcp_from_scapy() {
        let any = Ipv4Address::UNSPECIFIED;
        check_ipcp(
            IPCP_CONFREQ,
            IpcpRepr::ConfigureRequest {
                identifier: 1,
                options: opts(&[
                    IpcpOption::IpAddress(any),
                    IpcpOption::PrimaryDnsServerAddress(any),
                    IpcpOption::SecondaryDnsServerAddress(any),
                ]),
            },
        );
        check_ipcp(
            IPCP_CONFNAK,
            IpcpRepr::ConfigureNak {
                identifier: 1,
                options: opts(&[
                    IpcpOption::IpAddress(Ipv4Address::new(100, 64, 0, 7)),
                    IpcpOption::PrimaryDnsServerAddress(Ipv4Address::new(192, 0, 2, 53)),
                    IpcpOption::PrimaryNbnsServerAddress(Ipv4Address::new(192, 0, 2, 137)),
                    IpcpOption::SecondaryDnsServerAddress(Ipv4Address::new(198, 51, 100, 53)),
                    IpcpOption::SecondaryNbnsServerAddress(Ipv4Address::new(198, 51, 100, 137)),
                ]),
            },
        );
        check_ipcp(
            IPCP_CONFREQ_VJ,
            IpcpRepr::ConfigureRequest {
                identifier: 2,
                options: opts(&[
                    IpcpOption::IpCompressionProtocol {
                        protocol: PppProtocol::VJ_COMPRESSED_TCP,
                        data: &[0x0f, 0x01],
                    },
                    IpcpOption::IpAddresses {
                        source: Ipv4Address::new(10, 0, 0, 1),
                        destination: Ipv4Address::new(10, 0, 0, 2),
                    },
                ]),
            },
        );
        let b = hex(IPCP_CONFNAK);
        let p = ControlPacket::new_checked(&b[..]).unwrap();
        assert_eq!(ipcp::IpcpOptions::new(p.data()).count(), 5);
        // Codes 5 to 7 as LCP's.
        assert_eq!(
            ipcp(&hex(LCP_TERMREQ)),
            Ok(IpcpRepr::TerminateRequest {
                identifier: 9,
                data: b"User request"
            })
        );
        assert_eq!(
            ipcp(&hex(LCP_TERMACK)),
            Ok(IpcpRepr::TerminateAck {
                identifier: 9,
                data: b""
            })
        );
        assert_eq!(
            ipcp(&hex(LCP_CODEREJ)),
            Ok(IpcpRepr::CodeReject {
                identifier: 10,
                rejected_packet: &hex("6304000778797a")
            })
        );
        assert_eq!(
            ipcp(&hex(LCP_CODEREJ)).unwrap().code(),
            ipcp::IpcpCode::CODE_REJECT.0
        );
    }

    #[test]
    fn ipcp_bad_input() {
        let bad = |s: &str| ipcp(leak(hex(s)));
        assert_eq!(
            bad("0101000903050a0000"),
            Err(Error::BadOption),
            "IP-Address length 5"
        );
        assert_eq!(bad("0101000a8107c0000235"), Err(Error::Truncated));
        assert_eq!(
            bad("0101000c01080a0000010a00"),
            Err(Error::BadOption),
            "IP-Addresses length 8"
        );
        assert_eq!(
            bad("01010007020300"),
            Err(Error::BadOption),
            "compression length 3"
        );
        assert_eq!(bad("010100068300"), Err(Error::BadLength));
        assert_eq!(bad("0101000583"), Err(Error::Truncated));
        // Unknown types are kept (Mobile-IPv4, 4, and a made-up one).
        assert_eq!(
            bad("0101000e0406c0000201ff020002"),
            Ok(IpcpRepr::ConfigureRequest {
                identifier: 1,
                options: opts(&[
                    IpcpOption::Unknown {
                        kind: IpcpOptionType::MOBILE_IPV4,
                        data: &[192, 0, 2, 1]
                    },
                    IpcpOption::Unknown {
                        kind: IpcpOptionType(0xff),
                        data: &[]
                    },
                    IpcpOption::Unknown {
                        kind: IpcpOptionType(0),
                        data: &[]
                    },
                ]),
            })
        );
        // Codes beyond 7 (Protocol-Reject, Echo… are LCP's only).
        for code in [0u8, 8, 9, 12, 14] {
            assert_eq!(ipcp(&[code, 1, 0, 4]), Err(Error::UnknownType));
            assert_eq!(ipv6cp(&[code, 1, 0, 4]), Err(Error::UnknownType));
        }
        let mut out = [0u8; 32];
        let r = IpcpRepr::ConfigureRequest {
            identifier: 1,
            options: opts(&[IpcpOption::Unknown {
                kind: IpcpOptionType::IP_ADDRESS,
                data: &[0; 4],
            }]),
        };
        assert_eq!(r.emit(&mut out), Err(Error::BadValue));
    }

    #[test]
    fn ipv6cp_rfc5072() {
        let b = hex(IPV6CP_CONFREQ);
        let want = Ipv6cpRepr::ConfigureRequest {
            identifier: 1,
            options: opts(&[Ipv6cpOption::InterfaceIdentifier([
                0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
            ])]),
        };
        assert_eq!(ipv6cp(&b), Ok(want.clone()));
        let mut out = [0u8; 14];
        assert_eq!(want.emit(&mut out), Ok(14));
        assert_eq!(out[..], b[..]);
        // IPv6-Compression-Protocol 0x0061 (IPHC, RFC 5172) with raw parameters, and an
        // unknown type kept.
        let b = hex("0203000d 02060061 00ff 0903aa");
        assert_eq!(
            ipv6cp(&b),
            Ok(Ipv6cpRepr::ConfigureAck {
                identifier: 3,
                options: opts(&[
                    Ipv6cpOption::Ipv6CompressionProtocol {
                        protocol: PppProtocol(0x0061),
                        data: &[0, 0xff]
                    },
                    Ipv6cpOption::Unknown {
                        kind: Ipv6cpOptionType(9),
                        data: &[0xaa]
                    },
                ]),
            })
        );
        #[cfg(fuzzing)]
        ipv6cp::fuzz(&b);
        assert_eq!(
            ipv6cp(&hex("0101000c010800112233445566")),
            Err(Error::BadOption),
            "identifier of 6 bytes"
        );
        assert_eq!(ipv6cp(&hex("01010007020300")), Err(Error::BadOption));
        assert_eq!(
            ipv6cp(&hex("0101000e010b0011223344556677")),
            Err(Error::Truncated)
        );
        let mut out = [0u8; 16];
        let r = Ipv6cpRepr::ConfigureReject {
            identifier: 1,
            options: opts(&[Ipv6cpOption::Unknown {
                kind: Ipv6cpOptionType::INTERFACE_IDENTIFIER,
                data: &[],
            }]),
        };
        assert_eq!(r.emit(&mut out), Err(Error::BadValue));
    }

    // ---- round trips --------------------------------------------------------------

    fn bytes(max: usize) -> impl Strategy<Value = &'static [u8]> {
        proptest::collection::vec(any::<u8>(), 0..max)
            .prop_map(|v| &*Box::leak(v.into_boxed_slice()))
    }
    fn proto() -> impl Strategy<Value = PppProtocol> {
        any::<u16>().prop_map(PppProtocol)
    }
    fn v4() -> impl Strategy<Value = Ipv4Address> {
        any::<u32>().prop_map(Ipv4Address::from)
    }

    fn lcp_option() -> impl Strategy<Value = LcpOption<'static>> {
        prop_oneof![
            any::<u16>().prop_map(LcpOption::MaximumReceiveUnit),
            any::<u32>().prop_map(LcpOption::AsyncControlCharacterMap),
            Just(LcpOption::AuthenticationProtocol(AuthProtocol::Pap)),
            any::<u8>().prop_map(|a| LcpOption::AuthenticationProtocol(AuthProtocol::Chap(
                ChapAlgorithm(a)
            ))),
            (
                proto().prop_filter("PAP and CHAP have variants", |p| *p != PppProtocol::PAP
                    && *p != PppProtocol::CHAP),
                bytes(251)
            )
                .prop_map(|(protocol, data)| LcpOption::AuthenticationProtocol(
                    AuthProtocol::Other { protocol, data }
                )),
            (proto(), bytes(251))
                .prop_map(|(protocol, data)| LcpOption::QualityProtocol { protocol, data }),
            any::<u32>().prop_map(LcpOption::MagicNumber),
            Just(LcpOption::ProtocolFieldCompression),
            Just(LcpOption::AddressAndControlFieldCompression),
            (
                any::<u8>().prop_filter("unknown", |k| !matches!(k, 1..=5 | 7 | 8)),
                bytes(253)
            )
                .prop_map(|(k, data)| LcpOption::Unknown {
                    kind: LcpOptionType(k),
                    data
                }),
        ]
    }

    fn lcp_repr() -> impl Strategy<Value = LcpRepr<'static>> {
        let options =
            || proptest::collection::vec(lcp_option(), 0..MAX_OPTIONS).prop_map(|v| opts(&v));
        prop_oneof![
            (any::<u8>(), options()).prop_map(|(identifier, options)| LcpRepr::ConfigureRequest {
                identifier,
                options
            }),
            (any::<u8>(), options()).prop_map(|(identifier, options)| LcpRepr::ConfigureAck {
                identifier,
                options
            }),
            (any::<u8>(), options()).prop_map(|(identifier, options)| LcpRepr::ConfigureNak {
                identifier,
                options
            }),
            (any::<u8>(), options()).prop_map(|(identifier, options)| LcpRepr::ConfigureReject {
                identifier,
                options
            }),
            (any::<u8>(), bytes(300))
                .prop_map(|(identifier, data)| LcpRepr::TerminateRequest { identifier, data }),
            (any::<u8>(), bytes(300))
                .prop_map(|(identifier, data)| LcpRepr::TerminateAck { identifier, data }),
            (any::<u8>(), bytes(300)).prop_map(|(identifier, rejected_packet)| {
                LcpRepr::CodeReject {
                    identifier,
                    rejected_packet,
                }
            }),
            (any::<u8>(), proto(), bytes(300)).prop_map(
                |(identifier, rejected_protocol, rejected_information)| {
                    LcpRepr::ProtocolReject {
                        identifier,
                        rejected_protocol,
                        rejected_information,
                    }
                }
            ),
            (any::<u8>(), any::<u32>(), bytes(300)).prop_map(|(identifier, magic_number, data)| {
                LcpRepr::EchoRequest {
                    identifier,
                    magic_number,
                    data,
                }
            }),
            (any::<u8>(), any::<u32>(), bytes(300)).prop_map(|(identifier, magic_number, data)| {
                LcpRepr::EchoReply {
                    identifier,
                    magic_number,
                    data,
                }
            }),
            (any::<u8>(), any::<u32>(), bytes(300)).prop_map(|(identifier, magic_number, data)| {
                LcpRepr::DiscardRequest {
                    identifier,
                    magic_number,
                    data,
                }
            }),
            (any::<u8>(), any::<u32>(), bytes(300)).prop_map(
                |(identifier, magic_number, message)| LcpRepr::Identification {
                    identifier,
                    magic_number,
                    message
                }
            ),
            (any::<u8>(), any::<u32>(), any::<u32>(), bytes(300)).prop_map(
                |(identifier, magic_number, seconds_remaining, message)| {
                    LcpRepr::TimeRemaining {
                        identifier,
                        magic_number,
                        seconds_remaining,
                        message,
                    }
                }
            ),
        ]
    }

    fn ipcp_option() -> BoxedStrategy<IpcpOption<'static>> {
        prop_oneof![
            (v4(), v4()).prop_map(|(source, destination)| IpcpOption::IpAddresses {
                source,
                destination
            }),
            (proto(), bytes(251))
                .prop_map(|(protocol, data)| IpcpOption::IpCompressionProtocol { protocol, data }),
            v4().prop_map(IpcpOption::IpAddress),
            v4().prop_map(IpcpOption::PrimaryDnsServerAddress),
            v4().prop_map(IpcpOption::PrimaryNbnsServerAddress),
            v4().prop_map(IpcpOption::SecondaryDnsServerAddress),
            v4().prop_map(IpcpOption::SecondaryNbnsServerAddress),
            (
                any::<u8>().prop_filter("unknown", |k| !matches!(k, 1..=3 | 129..=132)),
                bytes(253)
            )
                .prop_map(|(k, data)| IpcpOption::Unknown {
                    kind: IpcpOptionType(k),
                    data
                }),
        ]
        .boxed()
    }

    fn ipv6cp_option() -> BoxedStrategy<Ipv6cpOption<'static>> {
        prop_oneof![
            any::<[u8; 8]>().prop_map(Ipv6cpOption::InterfaceIdentifier),
            (proto(), bytes(251)).prop_map(|(protocol, data)| {
                Ipv6cpOption::Ipv6CompressionProtocol { protocol, data }
            }),
            (
                any::<u8>().prop_filter("unknown", |k| !matches!(k, 1 | 2)),
                bytes(253)
            )
                .prop_map(|(k, data)| Ipv6cpOption::Unknown {
                    kind: Ipv6cpOptionType(k),
                    data
                }),
        ]
        .boxed()
    }

    fn ncp_repr<O: Copy + std::fmt::Debug + 'static>(
        option: BoxedStrategy<O>,
    ) -> impl Strategy<Value = ppp::ConfigRepr<'static, O>> {
        use ppp::ConfigRepr as R;
        let options = move || {
            proptest::collection::vec(option.clone(), 0..MAX_OPTIONS).prop_map(|v| opts(&v))
        };
        prop_oneof![
            (any::<u8>(), options()).prop_map(|(identifier, options)| R::ConfigureRequest {
                identifier,
                options
            }),
            (any::<u8>(), options()).prop_map(|(identifier, options)| R::ConfigureAck {
                identifier,
                options
            }),
            (any::<u8>(), options()).prop_map(|(identifier, options)| R::ConfigureNak {
                identifier,
                options
            }),
            (any::<u8>(), options()).prop_map(|(identifier, options)| R::ConfigureReject {
                identifier,
                options
            }),
            (any::<u8>(), bytes(300))
                .prop_map(|(identifier, data)| R::TerminateRequest { identifier, data }),
            (any::<u8>(), bytes(300))
                .prop_map(|(identifier, data)| R::TerminateAck { identifier, data }),
            (any::<u8>(), bytes(300)).prop_map(|(identifier, rejected_packet)| R::CodeReject {
                identifier,
                rejected_packet
            }),
        ]
    }

    fn ppp_repr() -> impl Strategy<Value = PppRepr> {
        prop_oneof![
            (any::<bool>(), any::<u8>()).prop_map(|(ac, p)| PppRepr {
                address_control: ac,
                protocol_compressed: true,
                protocol: PppProtocol(p as u16 | 1)
            }),
            (any::<bool>(), any::<u16>()).prop_map(|(ac, p)| PppRepr {
                address_control: ac,
                protocol_compressed: false,
                protocol: PppProtocol(p & !0x0100)
            }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn lcp_round_trip(r in lcp_repr(), pad in 0usize..20) {
            let mut b = vec![0u8; r.buffer_len() + pad];
            let n = r.emit(&mut b).unwrap();
            prop_assert_eq!(n, r.buffer_len());
            prop_assert_eq!(lcp(&b), Ok(r));
            #[cfg(fuzzing)]
            lcp::fuzz(&b);
        }

        #[test]
        fn ipcp_round_trip(r in ncp_repr(ipcp_option())) {
            let mut b = vec![0u8; r.buffer_len()];
            prop_assert_eq!(r.emit(&mut b), Ok(b.len()));
            prop_assert_eq!(ipcp(&b), Ok(r));
            #[cfg(fuzzing)]
            ipcp::fuzz(&b);
        }

        #[test]
        fn ipv6cp_round_trip(r in ncp_repr(ipv6cp_option())) {
            let mut b = vec![0u8; r.buffer_len()];
            prop_assert_eq!(r.emit(&mut b), Ok(b.len()));
            prop_assert_eq!(ipv6cp(&b), Ok(r));
            #[cfg(fuzzing)]
            ipv6cp::fuzz(&b);
        }

        #[test]
        fn ppp_header_round_trip(r in ppp_repr(), payload in proptest::collection::vec(any::<u8>(), 1..8)) {
            let mut b = vec![0u8; r.buffer_len()];
            prop_assert_eq!(r.emit(&mut b), Ok(b.len()));
            // With Address/Control, or without when the frame does not start with 0xff:
            // the reading is unambiguous (RFC 1661 §6.6).
            prop_assume!(r.address_control || !(b[0] == 0xff && b.get(1).or(payload.first()) == Some(&0x03)));
            b.extend_from_slice(&payload);
            let f = PppFrame::new_checked(&b[..]).unwrap();
            prop_assert_eq!(PppRepr::parse(&f), Ok(r));
            prop_assert_eq!(f.payload(), &payload[..]);
        }

        // Calls only the fuzz entry points (`--cfg fuzzing`): scripts/fuzz.sh runs it.
        #[cfg(fuzzing)]
        #[test]
        fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..600)) {
            ppp::fuzz(&data);
            lcp::fuzz(&data);
            ipcp::fuzz(&data);
            ipv6cp::fuzz(&data);
        }

        // Calls only the fuzz entry points (`--cfg fuzzing`): scripts/fuzz.sh runs it.
        #[cfg(fuzzing)]
        /// Random option lists after a valid header: every parse stops with a result,
        /// and what parses, emits back the same bytes (the fuzz functions check it).
        #[test]
        fn random_option_lists(code in 1u8..=4, list in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut b = vec![code, 1, 0, 0];
            b[3] = (4 + list.len()) as u8;
            b.extend_from_slice(&list);
            lcp::fuzz(&b);
            ipcp::fuzz(&b);
            ipv6cp::fuzz(&b);
        }
    }

    // ---- oracles ------------------------------------------------------------------

    const A: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 1]);
    const B: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 2]);
    const SESSION: u16 = 0x1234;

    /// Ethernet + a PPPoE session header written by hand (RFC 2516 §4: ver 1, type 1,
    /// code 0, session id, length) + our PPP header + `info`.
    fn pppoe_frame(ppp: PppRepr, info: &[u8]) -> Vec<u8> {
        let h = L2Header {
            dst: B,
            src: A,
            outer_vlan: None,
            inner_vlan: None,
            ethertype: EtherType::PPPOE_SESSION,
            header_len: 0,
        };
        let mut f = vec![0u8; 14];
        emit_l2(&h, &mut f).unwrap();
        let mut hdr = [0u8; 4];
        let n = ppp.emit(&mut hdr).unwrap();
        let len = (n + info.len()) as u16;
        f.extend_from_slice(&[0x11, 0x00]);
        f.extend_from_slice(&SESSION.to_be_bytes());
        f.extend_from_slice(&len.to_be_bytes());
        f.extend_from_slice(&hdr[..n]);
        f.extend_from_slice(info);
        f
    }

    struct Case {
        what: &'static str,
        bytes: Vec<u8>,
        expect: Vec<(&'static str, String)>,
    }

    fn emit_lcp(r: &LcpRepr) -> Vec<u8> {
        let mut b = vec![0u8; r.buffer_len()];
        r.emit(&mut b).unwrap();
        b
    }
    fn emit_ncp<'a, O: ConfigOption<'a>>(r: &ppp::ConfigRepr<'a, O>) -> Vec<u8> {
        let mut b = vec![0u8; r.buffer_len()];
        r.emit(&mut b).unwrap();
        b
    }

    fn s(v: &str) -> String {
        v.to_string()
    }

    /// Run tshark over the cases, asking for `fields`; every frame must decode without
    /// malformed or warning/error expert items and with the expected values.
    fn check_tshark(cases: &[Case]) {
        let mut fields: Vec<&str> = vec!["ppp.protocol", "pppoe.session_id"];
        for c in cases {
            for (f, _) in &c.expect {
                if !fields.contains(f) {
                    fields.push(f);
                }
            }
        }
        let frames: Vec<Vec<u8>> = cases.iter().map(|c| c.bytes.clone()).collect();
        let out = tshark(&frames, &fields, &[], &[]);
        assert_eq!(out.len(), cases.len());
        for (Case { what, expect, .. }, d) in cases.iter().zip(&out) {
            assert!(!d.malformed, "{what}: malformed ({})", d.expert);
            // "<severities> <messages>": chat 0x200000, note 0x400000, warn 0x600000, error 0x800000.
            let sevs = d.expert.split(' ').next().unwrap_or("");
            for sev in sevs.split('|').filter(|s| !s.is_empty()) {
                let sev: u32 = sev.parse().unwrap_or(0);
                assert!(sev < 0x60_0000, "{what}: tshark says {}", d.expert);
            }
            assert_eq!(
                d.fields[1],
                format!("{SESSION:#06x}"),
                "{what}: pppoe.session_id"
            );
            for (f, want) in expect {
                let i = fields.iter().position(|x| x == f).unwrap();
                assert_eq!(
                    &d.fields[i],
                    want,
                    "{what}: {f}; all: {:?}",
                    fields.iter().zip(&d.fields).collect::<Vec<_>>()
                );
            }
        }
    }

    #[test]
    fn tshark_decodes_every_lcp_ipcp_ipv6cp_kind() {
        let mut cases: Vec<Case> = Vec::new();
        let lcp_f = |r: LcpRepr| pppoe_frame(PppRepr::pppoe(PppProtocol::LCP), &emit_lcp(&r));
        let options = opts(&[
            LcpOption::MaximumReceiveUnit(1492),
            LcpOption::AuthenticationProtocol(AuthProtocol::Chap(ChapAlgorithm::MS_CHAP_V2)),
            LcpOption::MagicNumber(0x0badcafe),
            LcpOption::AsyncControlCharacterMap(0),
            // Without the Reporting-Period: tshark 4.0 flags the RFC 1989 §2.5 form (length
            // 8) as malformed (an exception in its dissector, also for scapy-made bytes);
            // the length-8 form is checked against scapy instead.
            LcpOption::QualityProtocol {
                protocol: PppProtocol::LQR,
                data: &[],
            },
            LcpOption::ProtocolFieldCompression,
            LcpOption::AddressAndControlFieldCompression,
        ]);
        let common = |code: &str, id: &str, len: &str| {
            vec![
                ("ppp.code", s(code)),
                ("ppp.identifier", s(id)),
                ("ppp.length", s(len)),
            ]
        };
        for (code, what) in [
            (1u8, "LCP Configure-Request"),
            (2, "LCP Configure-Ack"),
            (3, "LCP Configure-Nak"),
            (4, "LCP Configure-Reject"),
        ] {
            let r = match code {
                1 => LcpRepr::ConfigureRequest {
                    identifier: code,
                    options: options.clone(),
                },
                2 => LcpRepr::ConfigureAck {
                    identifier: code,
                    options: options.clone(),
                },
                3 => LcpRepr::ConfigureNak {
                    identifier: code,
                    options: options.clone(),
                },
                _ => LcpRepr::ConfigureReject {
                    identifier: code,
                    options: options.clone(),
                },
            };
            let mut expect = common(&code.to_string(), &code.to_string(), "33");
            expect.extend([
                ("ppp.protocol", s("0xc021")),
                ("lcp.opt.type", s("1|3|5|2|4|7|8")),
                ("lcp.opt.mru", s("1492")),
                ("lcp.opt.auth_protocol", s("0xc223")),
                ("lcp.opt.algorithm", s("129")),
                ("lcp.opt.magic_number", s("0x0badcafe")),
                ("lcp.opt.asyncmap", s("0x00000000")),
                ("lcp.opt.quality_protocol", s("0xc025")),
            ]);
            cases.push(Case {
                what,
                bytes: lcp_f(r),
                expect,
            });
        }
        // PAP as the authentication protocol, and an unknown option (Callback, kept raw).
        cases.push(Case {
            what: "LCP Configure-Request PAP",
            bytes: lcp_f(LcpRepr::ConfigureRequest {
                identifier: 5,
                options: opts(&[
                    LcpOption::AuthenticationProtocol(AuthProtocol::Pap),
                    LcpOption::Unknown {
                        kind: LcpOptionType::CALLBACK,
                        data: &[6],
                    },
                ]),
            }),
            expect: vec![
                ("lcp.opt.auth_protocol", s("0xc023")),
                ("lcp.opt.type", s("3|13")),
                ("lcp.opt.operation", s("6")),
            ],
        });
        cases.push(Case {
            what: "LCP Terminate-Request",
            bytes: lcp_f(LcpRepr::TerminateRequest {
                identifier: 6,
                data: b"bye",
            }),
            expect: [common("5", "6", "7"), vec![("ppp.data", s("627965"))]].concat(),
        });
        cases.push(Case {
            what: "LCP Terminate-Ack",
            bytes: lcp_f(LcpRepr::TerminateAck {
                identifier: 6,
                data: b"",
            }),
            expect: common("6", "6", "4"),
        });
        // Code-Reject of an LCP packet with code 99 (what tshark dissects inside).
        cases.push(Case {
            what: "LCP Code-Reject",
            bytes: lcp_f(LcpRepr::CodeReject {
                identifier: 7,
                rejected_packet: &hex("6304000778797a"),
            }),
            expect: [
                common("7", "7", "11"),
                vec![("ppp.data", s("6304000778797a"))],
            ]
            .concat(),
        });
        let rejected = emit_ncp(&Ipv6cpRepr::ConfigureRequest {
            identifier: 1,
            options: opts(&[Ipv6cpOption::InterfaceIdentifier([2, 0, 0, 0, 0, 0, 0, 1])]),
        });
        cases.push(Case {
            what: "LCP Protocol-Reject",
            bytes: lcp_f(LcpRepr::ProtocolReject {
                identifier: 8,
                rejected_protocol: PppProtocol::IPV6CP,
                rejected_information: &rejected,
            }),
            expect: vec![
                ("ppp.code", s("8|1")),
                ("lcp.rej_proto", s("0x8057")),
                ("ipv6cp.interface_identifier", s("02:00:00:00:00:00:00:01")),
            ],
        });
        for (code, what, r) in [
            (
                9u8,
                "LCP Echo-Request",
                LcpRepr::EchoRequest {
                    identifier: 9,
                    magic_number: 0x01020304,
                    data: b"ping",
                },
            ),
            (
                10,
                "LCP Echo-Reply",
                LcpRepr::EchoReply {
                    identifier: 9,
                    magic_number: 0x01020304,
                    data: b"ping",
                },
            ),
            (
                11,
                "LCP Discard-Request",
                LcpRepr::DiscardRequest {
                    identifier: 9,
                    magic_number: 0x01020304,
                    data: b"ping",
                },
            ),
        ] {
            cases.push(Case {
                what,
                bytes: lcp_f(r),
                expect: [
                    common(&code.to_string(), "9", "12"),
                    vec![
                        ("lcp.magic_number", s("0x01020304")),
                        ("lcp.data", s("70696e67")),
                    ],
                ]
                .concat(),
            });
        }
        cases.push(Case {
            what: "LCP Identification",
            bytes: lcp_f(LcpRepr::Identification {
                identifier: 10,
                magic_number: 0xfeedf00d,
                message: b"dpvpn 0.1",
            }),
            expect: [
                common("12", "10", "17"),
                vec![
                    ("lcp.magic_number", s("0xfeedf00d")),
                    ("lcp.message", s("dpvpn 0.1")),
                ],
            ]
            .concat(),
        });
        cases.push(Case {
            what: "LCP Time-Remaining",
            bytes: lcp_f(LcpRepr::TimeRemaining {
                identifier: 11,
                magic_number: 0xfeedf00d,
                seconds_remaining: 86400,
                message: b"1 day",
            }),
            expect: [
                common("13", "11", "17"),
                vec![
                    ("lcp.secs_remaining", s("86400")),
                    ("lcp.message", s("1 day")),
                ],
            ]
            .concat(),
        });

        // IPCP, codes 1 to 7.
        let ipcp_options = opts(&[
            IpcpOption::IpAddress(Ipv4Address::new(100, 64, 0, 7)),
            IpcpOption::PrimaryDnsServerAddress(Ipv4Address::new(192, 0, 2, 53)),
            IpcpOption::PrimaryNbnsServerAddress(Ipv4Address::new(192, 0, 2, 137)),
            IpcpOption::SecondaryDnsServerAddress(Ipv4Address::new(198, 51, 100, 53)),
            IpcpOption::SecondaryNbnsServerAddress(Ipv4Address::new(198, 51, 100, 137)),
            IpcpOption::IpAddresses {
                source: Ipv4Address::new(10, 0, 0, 1),
                destination: Ipv4Address::new(10, 0, 0, 2),
            },
            IpcpOption::IpCompressionProtocol {
                protocol: PppProtocol::VJ_COMPRESSED_TCP,
                data: &[15, 1],
            },
        ]);
        let ipcp_f = |r: IpcpRepr| pppoe_frame(PppRepr::pppoe(PppProtocol::IPCP), &emit_ncp(&r));
        for code in 1u8..=4 {
            let r = match code {
                1 => IpcpRepr::ConfigureRequest {
                    identifier: 20,
                    options: ipcp_options.clone(),
                },
                2 => IpcpRepr::ConfigureAck {
                    identifier: 20,
                    options: ipcp_options.clone(),
                },
                3 => IpcpRepr::ConfigureNak {
                    identifier: 20,
                    options: ipcp_options.clone(),
                },
                _ => IpcpRepr::ConfigureReject {
                    identifier: 20,
                    options: ipcp_options.clone(),
                },
            };
            cases.push(Case {
                what: "IPCP Configure-*",
                bytes: ipcp_f(r),
                expect: [
                    common(&code.to_string(), "20", "50"),
                    vec![
                        ("ppp.protocol", s("0x8021")),
                        ("ipcp.opt.type", s("3|129|130|131|132|1|2")),
                        ("ipcp.opt.ip_address", s("100.64.0.7")),
                        ("ipcp.opt.pri_dns_address", s("192.0.2.53")),
                        ("ipcp.opt.pri_nbns_address", s("192.0.2.137")),
                        ("ipcp.opt.sec_dns_address", s("198.51.100.53")),
                        ("ipcp.opt.sec_nbns_address", s("198.51.100.137")),
                        ("ipcp.opt.src_address", s("10.0.0.1")),
                        ("ipcp.opt.dst_address", s("10.0.0.2")),
                        ("ipcp.opt.compress_proto", s("0x002d")),
                        ("ipcp.opt.max_slot_id", s("15")),
                    ],
                ]
                .concat(),
            });
        }
        cases.push(Case {
            what: "IPCP Terminate-Request",
            bytes: ipcp_f(IpcpRepr::TerminateRequest {
                identifier: 21,
                data: b"x",
            }),
            expect: common("5", "21", "5"),
        });
        cases.push(Case {
            what: "IPCP Terminate-Ack",
            bytes: ipcp_f(IpcpRepr::TerminateAck {
                identifier: 21,
                data: b"",
            }),
            expect: common("6", "21", "4"),
        });
        cases.push(Case {
            what: "IPCP Code-Reject",
            bytes: ipcp_f(IpcpRepr::CodeReject {
                identifier: 22,
                rejected_packet: &hex("0e01000400"),
            }),
            expect: [common("7", "22", "9"), vec![("ppp.data", s("0e01000400"))]].concat(),
        });

        // IPv6CP, codes 1 to 7.
        let v6_options = opts(&[
            Ipv6cpOption::InterfaceIdentifier([0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55]),
            // IPHC (RFC 5172 §2.1): TCP_SPACE 15, NON_TCP_SPACE 15, F_MAX_PERIOD 256,
            // F_MAX_TIME 5, MAX_HEADER 168.
            Ipv6cpOption::Ipv6CompressionProtocol {
                protocol: PppProtocol(0x0061),
                data: &[0, 15, 0, 15, 1, 0, 0, 5, 0, 168],
            },
        ]);
        let v6_f = |r: Ipv6cpRepr| pppoe_frame(PppRepr::pppoe(PppProtocol::IPV6CP), &emit_ncp(&r));
        for code in 1u8..=4 {
            let r = match code {
                1 => Ipv6cpRepr::ConfigureRequest {
                    identifier: 30,
                    options: v6_options.clone(),
                },
                2 => Ipv6cpRepr::ConfigureAck {
                    identifier: 30,
                    options: v6_options.clone(),
                },
                3 => Ipv6cpRepr::ConfigureNak {
                    identifier: 30,
                    options: v6_options.clone(),
                },
                _ => Ipv6cpRepr::ConfigureReject {
                    identifier: 30,
                    options: v6_options.clone(),
                },
            };
            cases.push(Case {
                what: "IPv6CP Configure-*",
                bytes: v6_f(r),
                expect: [
                    common(&code.to_string(), "30", "28"),
                    vec![
                        ("ppp.protocol", s("0x8057")),
                        ("ipv6cp.opt.type", s("1")),
                        // tshark files the IPv6-Compression-Protocol option under ipcp.*.
                        ("ipcp.opt.type", s("2")),
                        ("ipcp.opt.compress_proto", s("0x0061")),
                        ("ipcp.opt.tcp_space", s("15")),
                        ("ipcp.opt.max_header", s("168")),
                        ("ipv6cp.interface_identifier", s("02:11:22:ff:fe:33:44:55")),
                    ],
                ]
                .concat(),
            });
        }
        cases.push(Case {
            what: "IPv6CP Terminate-Request",
            bytes: v6_f(Ipv6cpRepr::TerminateRequest {
                identifier: 31,
                data: b"",
            }),
            expect: common("5", "31", "4"),
        });
        cases.push(Case {
            what: "IPv6CP Terminate-Ack",
            bytes: v6_f(Ipv6cpRepr::TerminateAck {
                identifier: 31,
                data: b"",
            }),
            expect: common("6", "31", "4"),
        });
        cases.push(Case {
            what: "IPv6CP Code-Reject",
            bytes: v6_f(Ipv6cpRepr::CodeReject {
                identifier: 32,
                rejected_packet: &hex("0901000400"),
            }),
            expect: [common("7", "32", "9"), vec![("ppp.data", s("0901000400"))]].concat(),
        });

        // Data frames: a 2-byte and a PFC protocol field in PPPoE.
        let ip = hex(&PPP_HDLC_PFC_IPV4[6..]);
        cases.push(Case {
            what: "IPv4, 2-byte protocol",
            bytes: pppoe_frame(PppRepr::pppoe(PppProtocol::IPV4), &ip),
            expect: vec![("ppp.protocol", s("0x0021")), ("ip.dst", s("192.0.2.2"))],
        });
        cases.push(Case {
            what: "IPv4, PFC",
            bytes: pppoe_frame(
                PppRepr {
                    address_control: false,
                    protocol_compressed: true,
                    protocol: PppProtocol::IPV4,
                },
                &ip,
            ),
            expect: vec![("ppp.protocol", s("0x0021")), ("ip.src", s("192.0.2.1"))],
        });
        // An LCP packet padded to the Ethernet minimum after PPPoE's Length.
        let mut padded = lcp_f(LcpRepr::EchoReply {
            identifier: 40,
            magic_number: 7,
            data: b"",
        });
        padded.resize(60, 0);
        cases.push(Case {
            what: "LCP Echo-Reply, padded",
            bytes: padded,
            expect: vec![("ppp.code", s("10")), ("lcp.magic_number", s("0x00000007"))],
        });

        check_tshark(&cases);
    }

    #[test]
    fn scapy_parses_what_we_emit() {
        let confreq = emit_lcp(&LcpRepr::ConfigureRequest {
            identifier: 1,
            options: opts(&[
                LcpOption::MaximumReceiveUnit(1492),
                LcpOption::AuthenticationProtocol(AuthProtocol::Chap(ChapAlgorithm::MD5)),
                LcpOption::MagicNumber(0x12345678),
                LcpOption::AsyncControlCharacterMap(0xa0000),
            ]),
        });
        let echo = emit_lcp(&LcpRepr::EchoRequest {
            identifier: 2,
            magic_number: 0xcafe,
            data: b"abc",
        });
        let protrej = emit_lcp(&LcpRepr::ProtocolReject {
            identifier: 3,
            rejected_protocol: PppProtocol::IPV6CP,
            rejected_information: b"zz",
        });
        let ipcp_nak = emit_ncp(&IpcpRepr::ConfigureNak {
            identifier: 4,
            options: opts(&[
                IpcpOption::IpAddress(Ipv4Address::new(100, 64, 0, 9)),
                IpcpOption::SecondaryDnsServerAddress(Ipv4Address::new(192, 0, 2, 54)),
            ]),
        });
        let mut hdr = [0u8; 4];
        let n = PppRepr::hdlc(PppProtocol::LCP).emit(&mut hdr).unwrap();
        let framed = [&hdr[..n], &echo[..]].concat();
        let hx = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        let out = scapy(&format!(
            r#"
p = PPP_LCP(bytes.fromhex("{}"))
print(p.code, p.id, p.len, [(o.type, o.len) for o in p.options])
print(p.options[0].max_recv_unit, p.options[1].auth_protocol, p.options[1].algorithm, p.options[2].magic_number, p.options[3].accm)
e = PPP(bytes.fromhex("{}"))
print(e[HDLC].address, e[HDLC].control, e[PPP].proto, e[PPP_LCP_Echo].code, e[PPP_LCP_Echo].id, e[PPP_LCP_Echo].magic_number, e[PPP_LCP_Echo].data)
r = PPP_LCP(bytes.fromhex("{}"))
print(r.code, r.rejected_protocol, bytes(r.rejected_information))
i = PPP_IPCP(bytes.fromhex("{}"))
print(i.code, i.id, i.len, [(o.type, o.data) for o in i.options])
"#,
            hx(&confreq),
            hx(&framed),
            hx(&protrej),
            hx(&ipcp_nak)
        ));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "1 1 25 [(1, 4), (3, 5), (5, 6), (2, 6)]", "{out}");
        assert_eq!(
            lines[1],
            format!("1492 {} 5 {} {}", 0xc223, 0x12345678, 0xa0000),
            "{out}"
        );
        assert_eq!(
            lines[2],
            format!("255 3 {} 9 2 {} b'abc'", 0xc021, 0xcafe),
            "{out}"
        );
        assert_eq!(lines[3], format!("8 {} b'zz'", 0x8057), "{out}");
        assert_eq!(
            lines[4], "3 4 16 [(3, '100.64.0.9'), (131, '192.0.2.54')]",
            "{out}"
        );
    }
}
