//! PAP, CHAP and the MS-CHAP-V2 layouts against packets built by scapy
//! (scapy.layers.ppp) and the RFC 2759 §9.2 example, round trips of every `Repr`, bad
//! input, and the oracles: tshark decodes what we emit inside Ethernet + PPPoE session,
//! scapy parses what we emit.

mod oracle_util;

// In a module so that `cargo test wire_ppp` selects these tests by name.
mod wire_ppp_auth {
    use super::oracle_util::{hex, scapy, tshark};
    #[cfg(fuzzing)]
    use dataplane::wire::{chap, pap};
    use dataplane::wire::chap::{
        ChapCode, ChapRepr, MsChapV2Challenge, MsChapV2Failure, MsChapV2Response,
        MsChapV2Success, MS_CHAP_V2_RESPONSE_LEN,
    };
    use dataplane::wire::pap::{PapCode, PapRepr};
    use dataplane::wire::ppp::{ControlPacket, PppProtocol, PppRepr};
    use dataplane::wire::{emit_l2, Error, EtherType, EthernetAddress, L2Header};
    use proptest::prelude::*;

    // Every scapy line below ran as `from scapy.all import *; bytes(<expr>).hex()`
    // (Debian python3-scapy 2.5.0).

    // PPP_PAP_Request(id=1, username=b'alice@isp', password=b'secret')
    const PAP_REQ: &str = "0101001509616c6963654069737006736563726574";
    // PPP_PAP_Response(code=2, id=1, message=b'Login ok')
    const PAP_ACK: &str = "0201000d084c6f67696e206f6b";
    // PPP_PAP_Response(code=3, id=1, message=b'Login incorrect')
    const PAP_NAK: &str = "030100140f4c6f67696e20696e636f7272656374";
    // PPP_PAP_Request(id=3, username=b'', password=b'')
    const PAP_REQ_EMPTY: &str = "010300060000";
    // PPP_PAP_Response(code=2, id=4)
    const PAP_ACK_EMPTY: &str = "0204000500";

    // PPP_CHAP_ChallengeResponse(code=1, id=0x11, value=bytes(range(16)), optional_name=b'dpvpn')
    const CHAP_CHALLENGE: &str = "0111001a10000102030405060708090a0b0c0d0e0f647076706e";
    // PPP_CHAP_ChallengeResponse(code=2, id=0x11, value=bytes(range(0x10,0x20)), optional_name=b'alice')
    const CHAP_RESPONSE: &str = "0211001a10101112131415161718191a1b1c1d1e1f616c696365";
    // PPP_CHAP(code=3, id=0x11, data=b'Welcome')
    const CHAP_SUCCESS: &str = "0311000b57656c636f6d65";
    // PPP_CHAP(code=4, id=0x11, data=b'E=691 R=1 C=00112233445566778899AABBCCDDEEFF V=3 M=Authentication failed')
    const CHAP_FAILURE: &str = "0411004c453d36393120523d3120433d303031313232333334343535363637373838393941414242434344444545464620563d33204d3d41757468656e7469636174696f6e206661696c6564";

    // RFC 2759 §9.2: UserName "User", AuthenticatorChallenge, PeerChallenge, NT-Response
    // and AuthenticatorResponse; the packets built by scapy around them:
    const AUTH_CHALLENGE: &str = "5B5D7C7D7B3F2F3E3C2C602132262628";
    const PEER_CHALLENGE: &str = "21402324255E262A28295F2B3A337C7E";
    const NT_RESPONSE: &str = "82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF";
    const AUTH_RESPONSE: &str = "407A5589115FD0D6209F510FE9C04566932CDA56";
    // PPP_CHAP_ChallengeResponse(code=1, id=0x2a, value=AUTH_CHALLENGE, optional_name=b'dpvpn')
    const MSCHAPV2_CHALLENGE: &str = "012a001a105b5d7c7d7b3f2f3e3c2c602132262628647076706e";
    // PPP_CHAP_ChallengeResponse(code=2, id=0x2a, value=PEER_CHALLENGE + bytes(8) + NT_RESPONSE + b'\x00',
    //   optional_name=b'User')
    const MSCHAPV2_RESPONSE: &str = "022a003a3121402324255e262a28295f2b3a337c7e000000000000000082309ecd8d708b5ea08faa3981cd83544233114a3d85d6df0055736572";
    // PPP_CHAP(code=3, id=0x2a, data=b'S=407A5589115FD0D6209F510FE9C04566932CDA56 M=Access granted')
    const MSCHAPV2_SUCCESS: &str = "032a003f533d34303741353538393131354644304436323039463531304645394330343536363933324344413536204d3d416363657373206772616e746564";
    // PPP_CHAP(code=4, id=0x2a, data=b'E=691 R=1 C=5B5D7C7D7B3F2F3E3C2C602132262628 V=3 M=Authentication failure')
    const MSCHAPV2_FAILURE: &str = "042a004d453d36393120523d3120433d354235443743374437423346324633453343324336303231333232363236323820563d33204d3d41757468656e7469636174696f6e206661696c757265";

    fn leak(v: Vec<u8>) -> &'static [u8] {
        Box::leak(v.into_boxed_slice())
    }
    fn pap_of(b: &[u8]) -> Result<PapRepr<'_>, Error> {
        PapRepr::parse(&ControlPacket::new_checked(b)?)
    }
    fn chap_of(b: &[u8]) -> Result<ChapRepr<'_>, Error> {
        ChapRepr::parse(&ControlPacket::new_checked(b)?)
    }
    fn arr<const N: usize>(s: &str) -> [u8; N] {
        hex(s).try_into().unwrap()
    }

    fn check_pap(bytes: &str, want: PapRepr) {
        let b = hex(bytes);
        assert_eq!(pap_of(&b), Ok(want), "{bytes}");
        assert_eq!(want.buffer_len(), b.len());
        let mut out = vec![0xa5; b.len()];
        assert_eq!(want.emit(&mut out), Ok(b.len()));
        assert_eq!(out, b, "emit differs from scapy");
        assert_eq!(
            want.emit(&mut out[..b.len() - 1]),
            Err(Error::BufferTooSmall)
        );
        // Truncated at every length.
        for n in 0..b.len() {
            assert_eq!(pap_of(&b[..n]), Err(Error::Truncated), "{bytes} at {n}");
        }
        #[cfg(fuzzing)]
        pap::fuzz(&b);
    }
    fn check_chap(bytes: &str, want: ChapRepr) {
        let b = hex(bytes);
        assert_eq!(chap_of(&b), Ok(want), "{bytes}");
        assert_eq!(want.buffer_len(), b.len());
        let mut out = vec![0xa5; b.len()];
        assert_eq!(want.emit(&mut out), Ok(b.len()));
        assert_eq!(out, b, "emit differs from scapy");
        for n in 0..b.len() {
            assert_eq!(chap_of(&b[..n]), Err(Error::Truncated), "{bytes} at {n}");
        }
        #[cfg(fuzzing)]
        chap::fuzz(&b);
    }

    #[test]
    fn pap_from_scapy() {
        check_pap(
            PAP_REQ,
            PapRepr::AuthenticateRequest {
                identifier: 1,
                peer_id: b"alice@isp",
                password: b"secret",
            },
        );
        check_pap(
            PAP_ACK,
            PapRepr::AuthenticateAck {
                identifier: 1,
                message: b"Login ok",
            },
        );
        check_pap(
            PAP_NAK,
            PapRepr::AuthenticateNak {
                identifier: 1,
                message: b"Login incorrect",
            },
        );
        check_pap(
            PAP_REQ_EMPTY,
            PapRepr::AuthenticateRequest {
                identifier: 3,
                peer_id: b"",
                password: b"",
            },
        );
        check_pap(
            PAP_ACK_EMPTY,
            PapRepr::AuthenticateAck {
                identifier: 4,
                message: b"",
            },
        );
        let b = hex(PAP_REQ);
        let p = ControlPacket::new_checked(&b[..]).unwrap();
        assert_eq!(PapCode(p.code()), PapCode::AUTHENTICATE_REQUEST);
        assert_eq!(
            [PapCode::AUTHENTICATE_ACK.0, PapCode::AUTHENTICATE_NAK.0],
            [2, 3]
        );
        // PPPoE padding after Length is no trailing data.
        let mut padded = b.clone();
        padded.extend_from_slice(&[0; 20]);
        assert_eq!(pap_of(&padded), pap_of(&b));
    }

    #[test]
    fn pap_bad_input() {
        let bad = |s: &str| pap_of(leak(hex(s)));
        // Peer-Id longer than the packet; no Passwd-Length; Password longer than the packet.
        assert_eq!(bad("0101000a0a616c69636500"), Err(Error::Truncated));
        assert_eq!(bad("0101000a05616c696365"), Err(Error::Truncated));
        assert_eq!(bad("0101000b05616c69636503"), Err(Error::Truncated));
        assert_eq!(
            bad("01010004"),
            Err(Error::Truncated),
            "Request without Peer-ID Length"
        );
        // A Msg-Length past the packet.
        assert_eq!(bad("020100060509"), Err(Error::Truncated));
        // Bytes after the last field, inside Length.
        assert_eq!(bad("0101000801000000"), Err(Error::TrailingData));
        assert_eq!(bad("020100070100ff"), Err(Error::TrailingData));
        // An Ack/Nak without Msg-Length (some peers send it) reads as an empty message.
        assert_eq!(
            bad("03090004"),
            Ok(PapRepr::AuthenticateNak {
                identifier: 9,
                message: b""
            })
        );
        // Codes PAP does not define; Length below the header.
        for code in [0u8, 4, 7, 255] {
            assert_eq!(pap_of(&[code, 1, 0, 4]), Err(Error::UnknownType));
        }
        assert_eq!(bad("01010003"), Err(Error::BadLength));
        // Strings longer than their 1-byte length field.
        let long = [b'x'; 256];
        let mut out = [0u8; 600];
        assert_eq!(
            PapRepr::AuthenticateRequest {
                identifier: 1,
                peer_id: &long,
                password: b""
            }
            .emit(&mut out),
            Err(Error::BadLength)
        );
        assert_eq!(
            PapRepr::AuthenticateRequest {
                identifier: 1,
                peer_id: b"",
                password: &long
            }
            .emit(&mut out),
            Err(Error::BadLength)
        );
        assert_eq!(
            PapRepr::AuthenticateAck {
                identifier: 1,
                message: &long
            }
            .emit(&mut out),
            Err(Error::BadLength)
        );
        assert_eq!(
            PapRepr::AuthenticateAck {
                identifier: 1,
                message: &long[..255]
            }
            .emit(&mut out),
            Ok(260)
        );
    }

    #[test]
    fn chap_from_scapy() {
        let v: Vec<u8> = (0..16).collect();
        check_chap(
            CHAP_CHALLENGE,
            ChapRepr::Challenge {
                identifier: 0x11,
                value: &v,
                name: b"dpvpn",
            },
        );
        let v: Vec<u8> = (0x10..0x20).collect();
        check_chap(
            CHAP_RESPONSE,
            ChapRepr::Response {
                identifier: 0x11,
                value: &v,
                name: b"alice",
            },
        );
        check_chap(
            CHAP_SUCCESS,
            ChapRepr::Success {
                identifier: 0x11,
                message: b"Welcome",
            },
        );
        let b = hex(CHAP_FAILURE);
        check_chap(
            CHAP_FAILURE,
            ChapRepr::Failure {
                identifier: 0x11,
                message: &b[4..],
            },
        );
        assert_eq!(
            [
                ChapCode::CHALLENGE.0,
                ChapCode::RESPONSE.0,
                ChapCode::SUCCESS.0,
                ChapCode::FAILURE.0,
                ChapCode::MS_CHAP_V2_CHANGE_PASSWORD.0
            ],
            [1, 2, 3, 4, 7]
        );
    }

    #[test]
    fn chap_bad_input() {
        let bad = |s: &str| chap_of(leak(hex(s)));
        assert_eq!(bad("01010004"), Err(Error::Truncated), "no Value-Size");
        assert_eq!(
            bad("0201000610aa"),
            Err(Error::Truncated),
            "Value-Size past Length"
        );
        // Value-Size past Length although the buffer (padding) has the bytes.
        assert_eq!(bad("0201000602aabb"), Err(Error::Truncated));
        assert_eq!(
            bad("01010005 00"),
            Ok(ChapRepr::Challenge {
                identifier: 1,
                value: b"",
                name: b""
            })
        );
        // Code 7 (MS-CHAP-V2 Change-Password) and others: not read.
        for code in [0u8, 5, 6, 7, 255] {
            assert_eq!(chap_of(&[code, 1, 0, 4]), Err(Error::UnknownType));
        }
        let long = [0u8; 256];
        let mut out = [0u8; 300];
        assert_eq!(
            ChapRepr::Challenge {
                identifier: 1,
                value: &long,
                name: b""
            }
            .emit(&mut out),
            Err(Error::BadLength)
        );
        assert_eq!(
            ChapRepr::Response {
                identifier: 1,
                value: &long[..255],
                name: b""
            }
            .emit(&mut out),
            Ok(260)
        );
    }

    #[test]
    fn ms_chap_v2_rfc2759_example() {
        // Challenge (RFC 2759 §3): a 16-byte value.
        let r = chap_of(leak(hex(MSCHAPV2_CHALLENGE))).unwrap();
        let ChapRepr::Challenge {
            identifier: 0x2a,
            value,
            name: b"dpvpn",
        } = r
        else {
            panic!("{r:?}")
        };
        let c = MsChapV2Challenge::parse(value).unwrap();
        assert_eq!(c, MsChapV2Challenge(arr(AUTH_CHALLENGE)));
        assert_eq!(c.as_bytes(), value);
        let mut out = [0u8; 26];
        assert_eq!(
            ChapRepr::Challenge {
                identifier: 0x2a,
                value: c.as_bytes(),
                name: b"dpvpn"
            }
            .emit(&mut out),
            Ok(26)
        );
        assert_eq!(out[..], hex(MSCHAPV2_CHALLENGE)[..]);
        assert_eq!(MsChapV2Challenge::parse(&value[..15]), Err(Error::BadValue));

        // Response (RFC 2759 §4): 49 bytes.
        let b = hex(MSCHAPV2_RESPONSE);
        let r = chap_of(&b).unwrap();
        let ChapRepr::Response {
            identifier: 0x2a,
            value,
            name: b"User",
        } = r
        else {
            panic!("{r:?}")
        };
        assert_eq!(value.len(), MS_CHAP_V2_RESPONSE_LEN);
        let resp = MsChapV2Response::parse(value).unwrap();
        assert_eq!(
            resp,
            MsChapV2Response {
                peer_challenge: arr(PEER_CHALLENGE),
                nt_response: arr(NT_RESPONSE),
                flags: 0
            }
        );
        let v = resp.to_bytes();
        assert_eq!(v[..], *value);
        let mut out = vec![0u8; b.len()];
        assert_eq!(
            ChapRepr::Response {
                identifier: 0x2a,
                value: &v,
                name: b"User"
            }
            .emit(&mut out),
            Ok(b.len())
        );
        assert_eq!(out, b);
        // Wrong length, Reserved not zero.
        assert_eq!(MsChapV2Response::parse(&value[..48]), Err(Error::BadValue));
        let mut x = value.to_vec();
        x[20] = 1;
        assert_eq!(MsChapV2Response::parse(&x), Err(Error::BadValue));
        x.push(0);
        assert_eq!(MsChapV2Response::parse(&x), Err(Error::BadValue));

        // Success (RFC 2759 §5).
        let b = hex(MSCHAPV2_SUCCESS);
        let r = chap_of(&b).unwrap();
        let ChapRepr::Success {
            identifier: 0x2a,
            message,
        } = r
        else {
            panic!("{r:?}")
        };
        let s = MsChapV2Success::parse(message).unwrap();
        assert_eq!(
            s,
            MsChapV2Success {
                authenticator_response: arr(AUTH_RESPONSE),
                message: Some(b"Access granted")
            }
        );
        let mut text = [0u8; 80];
        let n = s.emit(&mut text).unwrap();
        assert_eq!((n, &text[..n]), (s.buffer_len(), message));
        assert_eq!(s.emit(&mut text[..n - 1]), Err(Error::BufferTooSmall));
        let mut out = vec![0u8; b.len()];
        assert_eq!(
            ChapRepr::Success {
                identifier: 0x2a,
                message: &text[..n]
            }
            .emit(&mut out),
            Ok(b.len())
        );
        assert_eq!(out, b);

        // Failure (RFC 2759 §6).
        let b = hex(MSCHAPV2_FAILURE);
        let r = chap_of(&b).unwrap();
        let ChapRepr::Failure {
            identifier: 0x2a,
            message,
        } = r
        else {
            panic!("{r:?}")
        };
        let f = MsChapV2Failure::parse(message).unwrap();
        assert_eq!(
            f,
            MsChapV2Failure {
                error: MsChapV2Failure::ERROR_AUTHENTICATION_FAILURE,
                retry: true,
                challenge: Some(arr(AUTH_CHALLENGE)),
                version: Some(3),
                message: Some(b"Authentication failure"),
            }
        );
        let n = f.emit(&mut text).unwrap();
        assert_eq!((n, &text[..n]), (f.buffer_len(), message));
    }

    #[test]
    fn ms_chap_v2_message_variants_and_bad_text() {
        // Only S=, lowercase hex (read; written back uppercase).
        let s = MsChapV2Success::parse(b"S=407a5589115fd0d6209f510fe9c04566932cda56").unwrap();
        assert_eq!(
            s,
            MsChapV2Success {
                authenticator_response: arr(AUTH_RESPONSE),
                message: None
            }
        );
        let mut b = [0u8; 64];
        let n = s.emit(&mut b).unwrap();
        assert_eq!(&b[..n], format!("S={AUTH_RESPONSE}").as_bytes());
        assert_eq!(MsChapV2Success::parse(b"S=407A M=x"), Err(Error::BadValue));
        assert_eq!(
            MsChapV2Success::parse(b"s=407A5589115FD0D6209F510FE9C04566932CDA56"),
            Err(Error::MissingField)
        );
        assert_eq!(
            MsChapV2Success::parse(b"S=407A5589115FD0D6209F510FE9C04566932CDA5G"),
            Err(Error::BadValue)
        );
        assert_eq!(
            MsChapV2Success::parse(b"S=407A5589115FD0D6209F510FE9C04566932CDA56M=x"),
            Err(Error::BadValue)
        );
        assert_eq!(
            MsChapV2Success::parse(b"S=407A5589115FD0D6209F510FE9C04566932CDA56 M="),
            Ok(MsChapV2Success {
                authenticator_response: arr(AUTH_RESPONSE),
                message: Some(b"")
            })
        );

        // The old short form (E and R only) and every error code of RFC 2759 §6.
        for e in [646u32, 647, 648, 649, 691, 709] {
            let text = format!("E={e} R=0");
            let f = MsChapV2Failure::parse(text.as_bytes()).unwrap();
            assert_eq!(
                f,
                MsChapV2Failure {
                    error: e,
                    retry: false,
                    challenge: None,
                    version: None,
                    message: None
                }
            );
            let n = f.emit(&mut b).unwrap();
            assert_eq!(&b[..n], text.as_bytes());
        }
        assert_eq!(
            MsChapV2Failure::parse(b"E=0691 R=1 V=3"),
            Ok(MsChapV2Failure {
                error: 691,
                retry: true,
                challenge: None,
                version: Some(3),
                message: None
            })
        );
        assert_eq!(
            MsChapV2Failure::parse(b"R=1 E=691"),
            Err(Error::MissingField)
        );
        assert_eq!(MsChapV2Failure::parse(b"E=691"), Err(Error::MissingField));
        assert_eq!(MsChapV2Failure::parse(b"E= R=1"), Err(Error::BadValue));
        assert_eq!(
            MsChapV2Failure::parse(b"E=4294967296 R=1"),
            Err(Error::BadValue)
        );
        assert_eq!(
            MsChapV2Failure::parse(b"E=4294967295 R=1").map(|f| f.error),
            Ok(u32::MAX)
        );
        assert_eq!(MsChapV2Failure::parse(b"E=691 R=2"), Err(Error::BadValue));
        assert_eq!(
            MsChapV2Failure::parse(b"E=691 R=1 C=5B5D"),
            Err(Error::BadValue)
        );
        assert_eq!(
            MsChapV2Failure::parse(b"E=691 R=1 C=5B5D7C7D7B3F2F3E3C2C60213226262Z V=3"),
            Err(Error::BadValue)
        );
        assert_eq!(
            MsChapV2Failure::parse(b"E=691 R=1 X=1"),
            Err(Error::BadValue)
        );
        assert_eq!(
            MsChapV2Failure::parse(b"E=691 R=1 V=3 C=5B5D7C7D7B3F2F3E3C2C602132262628"),
            Err(Error::BadValue),
            "out of order"
        );
        assert_eq!(
            MsChapV2Failure {
                error: 691,
                retry: true,
                challenge: None,
                version: None,
                message: None
            }
            .emit(&mut b[..8]),
            Err(Error::BufferTooSmall)
        );
    }

    // ---- round trips --------------------------------------------------------------

    fn bytes(max: usize) -> impl Strategy<Value = &'static [u8]> {
        proptest::collection::vec(any::<u8>(), 0..max).prop_map(leak)
    }

    fn pap_repr() -> impl Strategy<Value = PapRepr<'static>> {
        prop_oneof![
            (any::<u8>(), bytes(256), bytes(256)).prop_map(|(identifier, peer_id, password)| {
                PapRepr::AuthenticateRequest {
                    identifier,
                    peer_id,
                    password,
                }
            }),
            (any::<u8>(), bytes(256)).prop_map(|(identifier, message)| PapRepr::AuthenticateAck {
                identifier,
                message
            }),
            (any::<u8>(), bytes(256)).prop_map(|(identifier, message)| PapRepr::AuthenticateNak {
                identifier,
                message
            }),
        ]
    }

    fn chap_repr() -> impl Strategy<Value = ChapRepr<'static>> {
        prop_oneof![
            (any::<u8>(), bytes(256), bytes(300)).prop_map(|(identifier, value, name)| {
                ChapRepr::Challenge {
                    identifier,
                    value,
                    name,
                }
            }),
            (any::<u8>(), bytes(256), bytes(300)).prop_map(|(identifier, value, name)| {
                ChapRepr::Response {
                    identifier,
                    value,
                    name,
                }
            }),
            (any::<u8>(), bytes(300)).prop_map(|(identifier, message)| ChapRepr::Success {
                identifier,
                message
            }),
            (any::<u8>(), bytes(300)).prop_map(|(identifier, message)| ChapRepr::Failure {
                identifier,
                message
            }),
        ]
    }

    fn opt_message() -> impl Strategy<Value = Option<&'static [u8]>> {
        proptest::option::of(bytes(100))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn pap_round_trip(r in pap_repr(), pad in 0usize..10) {
            let mut b = vec![0u8; r.buffer_len() + pad];
            prop_assert_eq!(r.emit(&mut b), Ok(r.buffer_len()));
            prop_assert_eq!(pap_of(&b), Ok(r));
            #[cfg(fuzzing)]
            pap::fuzz(&b);
        }

        #[test]
        fn chap_round_trip(r in chap_repr(), pad in 0usize..10) {
            let mut b = vec![0u8; r.buffer_len() + pad];
            prop_assert_eq!(r.emit(&mut b), Ok(r.buffer_len()));
            prop_assert_eq!(chap_of(&b), Ok(r));
            #[cfg(fuzzing)]
            chap::fuzz(&b);
        }

        #[test]
        fn ms_chap_v2_round_trip(
            challenge in any::<[u8; 16]>(),
            peer_challenge in any::<[u8; 16]>(),
            nt in proptest::collection::vec(any::<u8>(), 24),
            flags in any::<u8>(),
            auth in any::<[u8; 20]>(),
            m1 in opt_message(),
            error in any::<u32>(),
            retry in any::<bool>(),
            next in proptest::option::of(any::<[u8; 16]>()),
            version in proptest::option::of(any::<u32>()),
            m2 in opt_message(),
        ) {
            prop_assert_eq!(MsChapV2Challenge::parse(&challenge), Ok(MsChapV2Challenge(challenge)));
            let r = MsChapV2Response { peer_challenge, nt_response: nt.try_into().unwrap(), flags };
            prop_assert_eq!(MsChapV2Response::parse(&r.to_bytes()), Ok(r));
            let mut b = [0u8; 300];
            let s = MsChapV2Success { authenticator_response: auth, message: m1 };
            let n = s.emit(&mut b).unwrap();
            prop_assert_eq!(n, s.buffer_len());
            prop_assert_eq!(MsChapV2Success::parse(&b[..n]), Ok(s));
            let f = MsChapV2Failure { error, retry, challenge: next, version, message: m2 };
            let n = f.emit(&mut b).unwrap();
            prop_assert_eq!(n, f.buffer_len());
            prop_assert_eq!(MsChapV2Failure::parse(&b[..n]), Ok(f));
            #[cfg(fuzzing)]
            chap::fuzz(&b[..n]);
        }

        // Calls only the fuzz entry points (`--cfg fuzzing`): scripts/fuzz.sh runs it.
        #[cfg(fuzzing)]
        #[test]
        fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..400)) {
            pap::fuzz(&data);
            chap::fuzz(&data);
        }

        /// Random text in MS-CHAP-V2 shape: the parsers stop with a result, and what
        /// parses round-trips (chap::fuzz checks it).
        #[test]
        fn random_ms_chap_v2_text(
            parts in proptest::collection::vec(
                prop_oneof![Just("E=".to_string()), Just(" R=".to_string()), Just(" C=".to_string()), Just(" V=".to_string()),
                            Just(" M=".to_string()), Just("S=".to_string()), "[0-9A-Fa-f]{0,40}", "[ =0-9]{0,3}"],
                0..10)
        ) {
            let text = parts.concat();
            #[cfg(fuzzing)]
            chap::fuzz(text.as_bytes());
            let _ = MsChapV2Failure::parse(text.as_bytes());
            let _ = MsChapV2Success::parse(text.as_bytes());
        }
    }

    // ---- oracles ------------------------------------------------------------------

    const A: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 1]);
    const B: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 2]);
    const SESSION: u16 = 0x0042;

    /// Ethernet + a PPPoE session header written by hand (RFC 2516 §4: ver 1, type 1,
    /// code 0, session id, length) + our PPP header + `info`.
    fn pppoe_frame(protocol: PppProtocol, info: &[u8]) -> Vec<u8> {
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
        let n = PppRepr::pppoe(protocol).emit(&mut hdr).unwrap();
        f.extend_from_slice(&[0x11, 0x00]);
        f.extend_from_slice(&SESSION.to_be_bytes());
        f.extend_from_slice(&((n + info.len()) as u16).to_be_bytes());
        f.extend_from_slice(&hdr[..n]);
        f.extend_from_slice(info);
        f
    }

    fn s(v: &str) -> String {
        v.to_string()
    }

    #[test]
    fn tshark_decodes_every_pap_and_chap_kind() {
        let pap_f = |r: PapRepr| {
            let mut b = vec![0u8; r.buffer_len()];
            r.emit(&mut b).unwrap();
            pppoe_frame(PppProtocol::PAP, &b)
        };
        let chap_f = |r: ChapRepr| {
            let mut b = vec![0u8; r.buffer_len()];
            r.emit(&mut b).unwrap();
            pppoe_frame(PppProtocol::CHAP, &b)
        };
        let peer_challenge: [u8; 16] = arr(PEER_CHALLENGE);
        let response = MsChapV2Response {
            peer_challenge,
            nt_response: arr(NT_RESPONSE),
            flags: 0,
        }
        .to_bytes();
        let mut success = [0u8; 80];
        let ns = MsChapV2Success {
            authenticator_response: arr(AUTH_RESPONSE),
            message: Some(b"Welcome"),
        }
        .emit(&mut success)
        .unwrap();
        let mut failure = [0u8; 120];
        let nf = MsChapV2Failure {
            error: 691,
            retry: false,
            challenge: Some(arr(AUTH_CHALLENGE)),
            version: Some(3),
            message: Some(b"denied"),
        }
        .emit(&mut failure)
        .unwrap();
        type Expect = Vec<(&'static str, String)>;
        let cases: Vec<(&str, Vec<u8>, Expect)> = vec![
            (
                "PAP Authenticate-Request",
                pap_f(PapRepr::AuthenticateRequest {
                    identifier: 1,
                    peer_id: b"alice@isp",
                    password: b"secret",
                }),
                vec![
                    ("pap.code", s("1")),
                    ("pap.identifier", s("1")),
                    ("pap.length", s("21")),
                    ("pap.peer_id.length", s("9")),
                    ("pap.peer_id", s("alice@isp")),
                    ("pap.password.length", s("6")),
                    ("pap.password", s("secret")),
                ],
            ),
            (
                "PAP Authenticate-Ack",
                pap_f(PapRepr::AuthenticateAck {
                    identifier: 1,
                    message: b"Login ok",
                }),
                vec![
                    ("pap.code", s("2")),
                    ("pap.length", s("13")),
                    ("pap.message.length", s("8")),
                    ("pap.message", s("Login ok")),
                ],
            ),
            (
                "PAP Authenticate-Nak",
                pap_f(PapRepr::AuthenticateNak {
                    identifier: 2,
                    message: b"Login incorrect",
                }),
                vec![
                    ("pap.code", s("3")),
                    ("pap.identifier", s("2")),
                    ("pap.message", s("Login incorrect")),
                ],
            ),
            (
                "CHAP Challenge (MD5)",
                chap_f(ChapRepr::Challenge {
                    identifier: 0x11,
                    value: &[0xa5; 16],
                    name: b"dpvpn",
                }),
                vec![
                    ("chap.code", s("1")),
                    ("chap.identifier", s("17")),
                    ("chap.length", s("26")),
                    ("chap.value_size", s("16")),
                    ("chap.value", "a5".repeat(16)),
                    ("chap.name", s("dpvpn")),
                ],
            ),
            (
                "CHAP Response (MD5)",
                chap_f(ChapRepr::Response {
                    identifier: 0x11,
                    value: &[0x5a; 16],
                    name: b"alice",
                }),
                vec![
                    ("chap.code", s("2")),
                    ("chap.value_size", s("16")),
                    ("chap.value", "5a".repeat(16)),
                    ("chap.name", s("alice")),
                ],
            ),
            (
                "CHAP Success",
                chap_f(ChapRepr::Success {
                    identifier: 0x11,
                    message: b"Welcome",
                }),
                vec![
                    ("chap.code", s("3")),
                    ("chap.length", s("11")),
                    ("chap.message", s("Welcome")),
                ],
            ),
            (
                "CHAP Failure",
                chap_f(ChapRepr::Failure {
                    identifier: 0x11,
                    message: b"Go away",
                }),
                vec![("chap.code", s("4")), ("chap.message", s("Go away"))],
            ),
            (
                "MS-CHAP-V2 Challenge",
                chap_f(ChapRepr::Challenge {
                    identifier: 0x2a,
                    value: &hex(AUTH_CHALLENGE),
                    name: b"dpvpn",
                }),
                vec![
                    ("chap.code", s("1")),
                    ("chap.value_size", s("16")),
                    ("chap.value", AUTH_CHALLENGE.to_lowercase()),
                ],
            ),
            (
                "MS-CHAP-V2 Response",
                chap_f(ChapRepr::Response {
                    identifier: 0x2a,
                    value: &response,
                    name: b"User",
                }),
                vec![
                    ("chap.code", s("2")),
                    ("chap.value_size", s("49")),
                    (
                        "chap.value",
                        format!(
                            "{}{}{}00",
                            PEER_CHALLENGE.to_lowercase(),
                            "00".repeat(8),
                            NT_RESPONSE.to_lowercase()
                        ),
                    ),
                    ("chap.name", s("User")),
                ],
            ),
            (
                "MS-CHAP-V2 Success",
                chap_f(ChapRepr::Success {
                    identifier: 0x2a,
                    message: &success[..ns],
                }),
                vec![
                    ("chap.code", s("3")),
                    ("chap.message", format!("S={AUTH_RESPONSE} M=Welcome")),
                ],
            ),
            (
                "MS-CHAP-V2 Failure",
                chap_f(ChapRepr::Failure {
                    identifier: 0x2a,
                    message: &failure[..nf],
                }),
                vec![
                    ("chap.code", s("4")),
                    (
                        "chap.message",
                        format!("E=691 R=0 C={AUTH_CHALLENGE} V=3 M=denied"),
                    ),
                ],
            ),
        ];
        let mut fields: Vec<&str> = vec!["ppp.protocol", "pppoe.session_id"];
        for (_, _, e) in &cases {
            for (f, _) in e {
                if !fields.contains(f) {
                    fields.push(f);
                }
            }
        }
        let frames: Vec<Vec<u8>> = cases.iter().map(|c| c.1.clone()).collect();
        let out = tshark(&frames, &fields, &[], &[]);
        assert_eq!(out.len(), cases.len());
        for ((what, _, expect), d) in cases.iter().zip(&out) {
            assert!(!d.malformed, "{what}: malformed ({})", d.expert);
            // "<severities> <messages>": chat 0x200000, note 0x400000, warn 0x600000, error 0x800000.
            for sev in d
                .expert
                .split(' ')
                .next()
                .unwrap_or("")
                .split('|')
                .filter(|s| !s.is_empty())
            {
                assert!(
                    sev.parse::<u32>().unwrap_or(0) < 0x60_0000,
                    "{what}: tshark says {}",
                    d.expert
                );
            }
            assert_eq!(d.fields[1], format!("{SESSION:#06x}"), "{what}");
            let proto = if what.starts_with("PAP") {
                "0xc023"
            } else {
                "0xc223"
            };
            assert_eq!(d.fields[0], proto, "{what}");
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
    fn scapy_parses_what_we_emit() {
        let emit_pap = |r: PapRepr| {
            let mut b = vec![0u8; r.buffer_len()];
            r.emit(&mut b).unwrap();
            b.iter().map(|x| format!("{x:02x}")).collect::<String>()
        };
        let emit_chap = |r: ChapRepr| {
            let mut b = vec![0u8; r.buffer_len()];
            r.emit(&mut b).unwrap();
            b.iter().map(|x| format!("{x:02x}")).collect::<String>()
        };
        let response = MsChapV2Response {
            peer_challenge: arr(PEER_CHALLENGE),
            nt_response: arr(NT_RESPONSE),
            flags: 0,
        }
        .to_bytes();
        let out = scapy(&format!(
            r#"
for h in ["{}", "{}", "{}"]:
    p = PPP_PAP(bytes.fromhex(h))
    if p.code == 1:
        print(p.code, p.id, p.len, p.username_len, p.username, p.passwd_len, p.password)
    else:
        print(p.code, p.id, p.len, p.msg_len, p.message)
for h in ["{}", "{}", "{}"]:
    p = PPP_CHAP(bytes.fromhex(h))
    if p.code in (1, 2):
        print(p.code, p.id, p.len, p.value_size, p.value.hex(), p.optional_name)
    else:
        print(p.code, p.id, p.len, p.data)
"#,
            emit_pap(PapRepr::AuthenticateRequest {
                identifier: 7,
                peer_id: b"bob",
                password: b"pw"
            }),
            emit_pap(PapRepr::AuthenticateAck {
                identifier: 7,
                message: b"ok"
            }),
            emit_pap(PapRepr::AuthenticateNak {
                identifier: 8,
                message: b""
            }),
            emit_chap(ChapRepr::Challenge {
                identifier: 9,
                value: &hex(AUTH_CHALLENGE),
                name: b"dpvpn"
            }),
            emit_chap(ChapRepr::Response {
                identifier: 9,
                value: &response,
                name: b"User"
            }),
            emit_chap(ChapRepr::Failure {
                identifier: 9,
                message: b"E=691 R=0"
            }),
        ));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines,
            [
                "1 7 11 3 b'bob' 2 b'pw'",
                "2 7 7 2 b'ok'",
                "3 8 5 0 b''",
                &format!("1 9 26 16 {} b'dpvpn'", AUTH_CHALLENGE.to_lowercase()),
                &format!(
                    "2 9 58 49 {}{}{}00 b'User'",
                    PEER_CHALLENGE.to_lowercase(),
                    "00".repeat(8),
                    NT_RESPONSE.to_lowercase()
                ),
                "4 9 13 b'E=691 R=0'",
            ],
            "{out}"
        );
    }
}
