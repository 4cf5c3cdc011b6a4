//! L2TPv2 (RFC 2661) against bytes made by others: scapy's L2TP header, control
//! messages from go-l2tp's tests (captures of prol2tp), hidden AVPs computed with
//! Python's hashlib from the §4.3 algorithm, and tshark decoding every message we emit.

mod oracle_util;

// In a module so that `cargo test wire_l2tp` selects these tests by name.
mod wire_l2tp {
    use super::oracle_util::{hex, scapy, tshark};
    use dataplane::wire::l2tp::{
        self, AttributeType, Avp, AvpFormat, AvpHeader, AvpRepr, Bearer, ErrorCode, Framing,
        L2tpControlRepr, L2tpHeaderRepr, L2tpPacket, MessageType, ProxyAuthenType, ResultCode,
        Sequence,
    };
    use dataplane::wire::tlv::TlvIter;
    use dataplane::wire::{
        emit_l2, Error, EtherType, EthernetAddress, IpProtocol, Ipv4Address, Ipv4Repr, L2Header,
        UdpRepr,
    };
    use proptest::prelude::*;
    use std::process::Command;

    // ---------------------------------------------------------------- header

    // scapy: L2TP(hdr="control+length+sequence", tunnel_id=7, session_id=0, ns=0, nr=1)
    const SCAPY_ZLB: &str = "c802000c0007000000000001";
    // scapy: L2TP(tunnel_id=0x1234, session_id=0x5678)/Raw(bytes.fromhex("ff03c021090100080a0b0c0d"))
    const SCAPY_DATA_PLAIN: &str = "000212345678ff03c021090100080a0b0c0d";
    // scapy: L2TP(hdr="length+sequence+offset+priority", tunnel_id=0x1234, session_id=0x5678,
    //        ns=3, nr=4, offset=2)/Raw(bytes.fromhex("ff03c021090100080a0b0c0d"))
    const SCAPY_DATA_ALL: &str = "4b02001c123456780003000400020000ff03c021090100080a0b0c0d";
    // scapy: L2TP(hdr="length", tunnel_id=1, session_id=2)/Raw(b"\xff\x03\x00\x21")
    const SCAPY_DATA_LEN: &str = "4002000c00010002ff030021";
    // scapy: L2TP(hdr="sequence", tunnel_id=1, session_id=2, ns=0xfffe, nr=0)/Raw(b"\xff\x03\x00\x21")
    const SCAPY_DATA_SEQ: &str = "080200010002fffe0000ff030021";

    const LCP_ECHO: &str = "ff03c021090100080a0b0c0d";

    fn header(b: &[u8]) -> L2tpHeaderRepr {
        L2tpHeaderRepr::parse(&L2tpPacket::new_checked(b).unwrap()).unwrap()
    }

    /// Parse gives `want`; emit with the payload gives scapy's bytes back.
    fn check_header(bytes: &str, want: L2tpHeaderRepr, payload: &[u8]) {
        let b = hex(bytes);
        let p = L2tpPacket::new_checked(&b[..]).unwrap();
        assert_eq!(p.version(), 2);
        assert_eq!(p.payload(), payload, "{bytes}");
        assert_eq!(header(&b), want, "{bytes}");
        let mut out = vec![0xa5; b.len()];
        let n = want.emit(&mut out, payload.len()).unwrap();
        assert_eq!(n, want.header_len());
        out[n..].copy_from_slice(payload);
        assert_eq!(out, b, "emit differs from scapy");
    }

    #[test]
    fn scapy_headers() {
        let none = L2tpHeaderRepr {
            control: false,
            with_length: false,
            sequence: None,
            offset_size: None,
            priority: false,
            tunnel_id: 0x1234,
            session_id: 0x5678,
        };
        check_header(SCAPY_DATA_PLAIN, none, &hex(LCP_ECHO));
        let all = L2tpHeaderRepr {
            with_length: true,
            sequence: Some(Sequence { ns: 3, nr: 4 }),
            offset_size: Some(2),
            priority: true,
            ..none
        };
        check_header(SCAPY_DATA_ALL, all, &hex(LCP_ECHO));
        let b = hex(SCAPY_DATA_ALL);
        let p = L2tpPacket::new_checked(&b[..]).unwrap();
        assert_eq!(
            (
                p.length(),
                p.ns(),
                p.nr(),
                p.offset_size(),
                p.header_len(),
                p.priority()
            ),
            (Some(28), Some(3), Some(4), Some(2), 16, true)
        );
        assert_eq!((p.tunnel_id(), p.session_id()), (0x1234, 0x5678));
        let len_only = L2tpHeaderRepr {
            with_length: true,
            tunnel_id: 1,
            session_id: 2,
            ..none
        };
        check_header(SCAPY_DATA_LEN, len_only, &hex("ff030021"));
        let seq = L2tpHeaderRepr {
            sequence: Some(Sequence { ns: 0xfffe, nr: 0 }),
            tunnel_id: 1,
            session_id: 2,
            ..none
        };
        check_header(SCAPY_DATA_SEQ, seq, &hex("ff030021"));
        let zlb = L2tpHeaderRepr {
            control: true,
            with_length: true,
            sequence: Some(Sequence { ns: 0, nr: 1 }),
            tunnel_id: 7,
            session_id: 0,
            ..none
        };
        check_header(SCAPY_ZLB, zlb, &[]);
    }

    #[test]
    fn template_setters() {
        // A data template with L and S: the worker patches Length and Ns per packet.
        let t = L2tpHeaderRepr {
            control: false,
            with_length: true,
            sequence: Some(Sequence { ns: 0, nr: 0 }),
            offset_size: None,
            priority: false,
            tunnel_id: 0x1234,
            session_id: 0x5678,
        };
        let mut b = vec![0u8; 12 + 12];
        t.emit(&mut b, 12).unwrap();
        b[12..].copy_from_slice(&hex(LCP_ECHO));
        let mut p = L2tpPacket::new_checked(&mut b[..]).unwrap();
        p.set_ns(3).unwrap();
        p.set_nr(4).unwrap();
        p.set_length(24).unwrap();
        p.set_tunnel_id(9);
        p.set_session_id(10);
        assert_eq!(p.payload(), &hex(LCP_ECHO)[..]);
        assert_eq!(
            (p.ns(), p.nr(), p.length(), p.tunnel_id(), p.session_id()),
            (Some(3), Some(4), Some(24), 9, 10)
        );
        // Fields the header does not have are refused, not written.
        let mut b = hex(SCAPY_DATA_PLAIN);
        let mut p = L2tpPacket::new_checked(&mut b[..]).unwrap();
        assert_eq!(p.set_length(1), Err(Error::MissingField));
        assert_eq!(p.set_ns(1), Err(Error::MissingField));
        assert_eq!(p.set_nr(1), Err(Error::MissingField));
        assert_eq!(p.set_offset_size(1), Err(Error::MissingField));
        assert_eq!(b, hex(SCAPY_DATA_PLAIN));
    }

    // -------------------------------------------------- control messages (golden)

    // go-l2tp (github.com/katalix/go-l2tp, l2tp/msg_test.go TestParseMessageBuffer): an
    // L2TPv2 HELLO, tunnel 1, Ns 1, Nr 1.
    const GO_L2TP_HELLO: &str = "c80200140001000000010001800800000000 0006";
    // Same file: a ZLB acknowledgement.
    const GO_L2TP_ZLB: &str = "c802000c0001000000010001";
    // Same file: an L2TPv3 SCCRQ (version nibble 3) from prol2tp 1.7.3.
    const GO_L2TP_V3_SCCRQ: &str =
        "c803007c00000000000000008008000000000001800c000000076f70656e7633\
        00340000000870726f6c32747020312e372e33204c696e75782d332e31332e30\
        2d33302d67656e6572696320287838365f36342980080000000a000a000a0000\
        003c00000000000a0000003d2846f181000c0000003e000700050004";
    // go-l2tp l2tp/avp_test.go TestParseAVPBufferGood: the AVPs of a StopCCN (Message Type
    // 4, Result Code 1, Assigned Tunnel ID 0x5f2b) behind our hand-written v2 header:
    // T|L|S, version 2, length 36, tunnel 0x1234, session 0, Ns 5, Nr 6.
    const STOPCCN: &str = "c80200241234000000050006\
        800800000000 0004 800800000001 0001 800800000009 5f2b";
    // Same test: the start of an SCCRQ (Message Type 1, Protocol Version with M=0,
    // Framing Capabilities 3, Vendor Name "prol2tp 1.7.3 Linux-3.13.0-71-generic (x86_64)"
    // with M=0) behind a v2 header, length 12+78.
    const SCCRQ_HEAD: &str = "c802005a0000000000000000\
        80080000000000010008000000020100800a0000000300000003\
        003400000008 70726f6c32747020312e372e33204c696e75782d332e31332e302d37312d67656e65726963\
        20287838365f363429";
    // avp_test.go TestAVPDecodeResultCode: Result Code 2, error 3, "Invalid Argument".
    const RESULT_WITH_MESSAGE: &str = "801a000000010002000349 6e76616c696420417267756d656e74";

    fn parse(b: &[u8]) -> Result<L2tpControlRepr<'_>, Error> {
        L2tpControlRepr::parse(&L2tpPacket::new_checked(b)?)
    }

    fn emit(r: &L2tpControlRepr) -> Vec<u8> {
        let mut out = vec![0xa5; r.buffer_len()];
        let n = r.emit(&mut out).unwrap();
        assert_eq!(n, out.len());
        out
    }

    #[test]
    fn go_l2tp_hello_zlb_and_v3() {
        let b = hex(GO_L2TP_HELLO);
        let r = parse(&b).unwrap();
        assert_eq!((r.tunnel_id, r.session_id, r.ns, r.nr), (1, 0, 1, 1));
        assert_eq!(r.message_type(), Some(MessageType::HELLO));
        assert!(r.avps[0].mandatory && !r.avps[0].hidden);
        assert_eq!(r.avps.len(), 1);
        assert_eq!(emit(&r), b);
        assert_eq!(r, {
            let mut h = L2tpControlRepr::new(1, 0, 1, 1, Some(MessageType::HELLO));
            h.avps.truncate(1);
            h
        });

        let b = hex(GO_L2TP_ZLB);
        let r = parse(&b).unwrap();
        assert!(r.is_zlb());
        assert_eq!(r.message_type(), MessageType::ZLB);
        assert_eq!(r, L2tpControlRepr::new(1, 0, 1, 1, None));
        assert_eq!(emit(&r), b);

        // L2TPv3 is not supported: its header is a bad version for us.
        let b = hex(GO_L2TP_V3_SCCRQ);
        assert_eq!(b.len(), 0x7c);
        assert_eq!(
            L2tpPacket::new_checked(&b[..]).err(),
            Some(Error::BadVersion)
        );
        let mut l2f = hex(GO_L2TP_ZLB);
        l2f[1] = 0x01;
        assert_eq!(
            L2tpPacket::new_checked(&l2f[..]).err(),
            Some(Error::BadVersion)
        );
    }

    #[test]
    fn go_l2tp_stopccn_and_sccrq() {
        let b = hex(STOPCCN);
        let r = parse(&b).unwrap();
        assert_eq!((r.tunnel_id, r.session_id, r.ns, r.nr), (0x1234, 0, 5, 6));
        assert_eq!(r.message_type(), Some(MessageType::STOPCCN));
        assert_eq!(
            r.avps[1],
            Avp::new(AvpRepr::ResultCode {
                result: ResultCode::STOPCCN_GENERAL_REQUEST,
                error: None,
                message: b""
            })
        );
        assert_eq!(r.avps[2], Avp::new(AvpRepr::AssignedTunnelId(0x5f2b)));
        assert_eq!(emit(&r), b);

        let b = hex(SCCRQ_HEAD);
        let r = parse(&b).unwrap();
        assert_eq!(r.message_type(), Some(MessageType::SCCRQ));
        // prol2tp sends Protocol Version with M=0; the Repr keeps the peer's bit.
        assert_eq!(
            r.avps[1],
            Avp {
                mandatory: false,
                hidden: false,
                value: AvpRepr::ProtocolVersion {
                    version: 1,
                    revision: 0
                }
            }
        );
        assert_eq!(
            r.avps[2],
            Avp::new(AvpRepr::FramingCapabilities(Framing(3)))
        );
        assert_eq!(
            r.avps[3],
            Avp::new(AvpRepr::VendorName(
                b"prol2tp 1.7.3 Linux-3.13.0-71-generic (x86_64)"
            ))
        );
        assert_eq!(emit(&r), b);

        // A Result Code with error code and message.
        let avp = hex(RESULT_WITH_MESSAGE);
        let t = TlvIter::<AvpFormat>::new(&avp).next().unwrap().unwrap();
        assert_eq!(
            t.kind,
            AvpHeader {
                mandatory: true,
                hidden: false,
                vendor_id: 0,
                attr_type: AttributeType::RESULT_CODE
            }
        );
        assert_eq!(
            AvpRepr::parse(0, t.kind.attr_type, t.value),
            Ok(AvpRepr::ResultCode {
                result: ResultCode::STOPCCN_GENERAL_ERROR,
                error: Some(ErrorCode::VALUE_OUT_OF_RANGE),
                message: b"Invalid Argument"
            })
        );
    }

    // ------------------------------------------------------------- hidden AVPs

    /// RFC 2661 §4.3 in Python (hashlib), written from the RFC, not from our encoder:
    /// prints the hidden form of `subformat`.
    fn python_hide(attr: u16, secret: &[u8], rv: &[u8], subformat: &[u8]) -> Vec<u8> {
        let code = format!(
            r#"
import hashlib
attr, secret, rv, sub = {attr}, bytes.fromhex("{}"), bytes.fromhex("{}"), bytes.fromhex("{}")
out = b""
key = hashlib.md5(attr.to_bytes(2, "big") + secret + rv).digest()
for i in range(0, len(sub), 16):
    block = bytes(a ^ b for a, b in zip(sub[i:i+16], key))
    out += block
    key = hashlib.md5(secret + block).digest()
print(out.hex())
"#,
            hx(secret),
            hx(rv),
            hx(subformat)
        );
        let o = Command::new("python3")
            .args(["-c", &code])
            .output()
            .expect("python3");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        hex(String::from_utf8(o.stdout).unwrap().trim())
    }

    fn hx(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn hidden_avps_match_python() {
        let secret = b"tunnel-secret";
        let rv = hex("0f1e2d3c4b5a69788796a5b4c3d2e1f0");
        let name = b"a-host-name-longer-than-two-md5-blocks.example.net";
        let mut r = L2tpControlRepr::new(3, 0, 0, 0, Some(MessageType::SCCRQ));
        r.avps.push(Avp::new(AvpRepr::RandomVector(&rv)));
        r.avps.push(Avp::new_hidden(AvpRepr::HostName(name)));
        r.avps.push(Avp::new_hidden(AvpRepr::AssignedTunnelId(0xbeef)));
        let padding = hex("aabbccddeeff");
        let mut out = vec![0u8; r.buffer_len_padded(padding.len())];
        let n = r.emit_with_secret(&mut out, secret, &padding).unwrap();
        assert_eq!(n, out.len());

        // Host Name: subformat = length (2) + value + padding, then hidden.
        let at = 12 + 8 + 6 + rv.len();
        let mut sub = (name.len() as u16).to_be_bytes().to_vec();
        sub.extend_from_slice(name);
        sub.extend_from_slice(&padding);
        let want = python_hide(7, secret, &rv, &sub);
        assert_eq!(out[at] & 0xc0, 0xc0, "M and H");
        assert_eq!(
            ((out[at] as usize & 3) << 8) | out[at + 1] as usize,
            6 + sub.len()
        );
        assert_eq!(
            &out[at + 6..at + 6 + sub.len()],
            &want[..],
            "hidden Host Name differs from Python's"
        );
        let at = at + 6 + sub.len();
        let mut sub = vec![0, 2, 0xbe, 0xef];
        sub.extend_from_slice(&padding);
        let want = python_hide(9, secret, &rv, &sub);
        assert_eq!(
            &out[at + 6..],
            &want[..],
            "hidden Assigned Tunnel ID differs from Python's"
        );

        let mut scratch = [0u8; 256];
        let p = L2tpPacket::new_checked(&out[..]).unwrap();
        let back = L2tpControlRepr::parse_with_secret(&p, secret, &mut scratch).unwrap();
        assert_eq!(back, r);
        // Without the secret a hidden AVP fails.
        assert_eq!(L2tpControlRepr::parse(&p), Err(Error::BadHidden));
        // A wrong secret reveals garbage: an error or other values, never a panic.
        let mut scratch2 = [0u8; 256];
        assert_ne!(
            L2tpControlRepr::parse_with_secret(&p, b"wrong", &mut scratch2).ok(),
            Some(r.clone())
        );
        // A short scratch is refused, not overrun.
        let mut small = [0u8; 8];
        assert_eq!(
            L2tpControlRepr::parse_with_secret(&p, secret, &mut small),
            Err(Error::BufferTooSmall)
        );
        // Hiding needs a Random Vector before the AVP, and a secret.
        let mut junk = vec![0u8; 512];
        let mut no_rv = r.clone();
        no_rv.avps.remove(1);
        assert_eq!(
            no_rv.emit_with_secret(&mut junk, secret, &[]),
            Err(Error::BadHidden)
        );
        assert_eq!(r.emit(&mut junk), Err(Error::BadHidden));
    }

    #[test]
    fn python_hidden_value_parses() {
        // An ICRQ whose Calling Number is hidden by Python alone (one short block).
        let secret = b"s3cr3t";
        let rv = hex("f31a00ff427c91085de633b014aa69c2");
        let sub = hex("0005")
            .into_iter()
            .chain(b"12345".iter().copied())
            .collect::<Vec<_>>();
        let hidden = python_hide(22, secret, &rv, &sub);
        let mut b = hex("c80200000009000000000000 800800000000 000a");
        b.extend_from_slice(&[0x80, 6 + rv.len() as u8, 0, 0, 0, 36]);
        b.extend_from_slice(&rv);
        b.extend_from_slice(&[0xc0, 6 + hidden.len() as u8, 0, 0, 0, 22]);
        b.extend_from_slice(&hidden);
        let len = b.len() as u16;
        b[2..4].copy_from_slice(&len.to_be_bytes());
        let mut scratch = [0u8; 64];
        let p = L2tpPacket::new_checked(&b[..]).unwrap();
        let r = L2tpControlRepr::parse_with_secret(&p, secret, &mut scratch).unwrap();
        assert_eq!(r.message_type(), Some(MessageType::ICRQ));
        assert_eq!(
            r.avps[2],
            Avp {
                mandatory: true,
                hidden: true,
                value: AvpRepr::CallingNumber(b"12345")
            }
        );
    }

    // ------------------------------------------------------------- bad input

    fn with_avps(avps: &[u8]) -> Vec<u8> {
        let mut b = hex("c80200000001000000000000");
        b.extend_from_slice(avps);
        let len = b.len() as u16;
        b[2..4].copy_from_slice(&len.to_be_bytes());
        b
    }

    #[test]
    fn bad_headers() {
        // Truncated at every length.
        for name in [SCAPY_ZLB, SCAPY_DATA_ALL, GO_L2TP_HELLO, STOPCCN] {
            let b = hex(name);
            let p = L2tpPacket::new_unchecked(&b[..]);
            let need = if p.has_length() {
                p.length().unwrap() as usize
            } else {
                p.header_len()
            };
            for n in 0..need {
                assert_eq!(
                    L2tpPacket::new_checked(&b[..n]).err(),
                    Some(Error::Truncated),
                    "{name} cut at {n}"
                );
            }
        }
        // Control without L, without S, with O, with P.
        for f in [0x8802u16, 0xc002, 0xca02, 0xc902] {
            let mut b = hex(SCAPY_ZLB);
            b[..2].copy_from_slice(&f.to_be_bytes());
            assert_eq!(
                L2tpPacket::new_checked(&b[..]).err(),
                Some(Error::BadFlags),
                "{f:04x}"
            );
        }
        let ctl = L2tpHeaderRepr {
            priority: true,
            ..header(&hex(SCAPY_ZLB))
        };
        assert_eq!(ctl.emit(&mut [0; 32], 0), Err(Error::BadFlags));
        // Length below the header, past the buffer.
        let mut b = hex(SCAPY_ZLB);
        b[3] = 11;
        assert_eq!(
            L2tpPacket::new_checked(&b[..]).err(),
            Some(Error::BadLength)
        );
        b[3] = 13;
        assert_eq!(
            L2tpPacket::new_checked(&b[..]).err(),
            Some(Error::Truncated)
        );
        // Offset pad past the end of the message (and of the buffer).
        let mut b = hex(SCAPY_DATA_ALL);
        b[13] = 15; // pad 15 > the 12 payload bytes + 2
        assert_eq!(
            L2tpPacket::new_checked(&b[..]).err(),
            Some(Error::Truncated)
        );
        b[13] = 14; // exactly to the end: an empty payload
        assert_eq!(
            L2tpPacket::new_checked(&b[..]).unwrap().payload(),
            &[] as &[u8]
        );
        // A data message is not a control message.
        let b = hex(SCAPY_DATA_ALL);
        assert_eq!(parse(&b), Err(Error::Unsupported));
    }

    #[test]
    fn bad_avps() {
        let mt = hex("800800000000 0006");
        // AVP length 0..5: below its own header.
        for l in 0..6u8 {
            let mut a = mt.clone();
            a.extend_from_slice(&[0x80, l, 0, 0, 0, 7, b'x', b'y']);
            assert_eq!(parse(&with_avps(&a)), Err(Error::BadLength), "length {l}");
        }
        // AVP longer than the message.
        let mut a = mt.clone();
        a.extend_from_slice(&[0x80, 12, 0, 0, 0, 7, b'x']);
        assert_eq!(parse(&with_avps(&a)), Err(Error::Truncated));
        // Half an AVP header.
        let mut a = mt.clone();
        a.extend_from_slice(&[0x80, 8, 0]);
        assert_eq!(parse(&with_avps(&a)), Err(Error::Truncated));
        // Reserved bits.
        for bit in [0x04u8, 0x08, 0x10, 0x20] {
            let mut a = mt.clone();
            a.extend_from_slice(&[0x80 | bit, 8, 0, 0, 0, 9, 0, 1]);
            assert_eq!(parse(&with_avps(&a)), Err(Error::BadFlags));
        }
        // Message Type missing, late, twice, hidden.
        assert_eq!(
            parse(&with_avps(&hex("800800000009 0001"))),
            Err(Error::MissingField)
        );
        let mut a = mt.clone();
        a.extend_from_slice(&mt);
        assert_eq!(parse(&with_avps(&a)), Err(Error::DuplicateField));
        assert_eq!(
            parse(&with_avps(&hex("c00800000000 0006"))),
            Err(Error::BadFlags)
        );
        // Wrong value lengths of known AVPs.
        for (t, v) in [
            (0u8, &[1u8][..]),
            (1, &[0, 1, 0]),
            (2, &[1]),
            (3, &[0, 0, 3]),
            (5, &[0; 7]),
            (7, &[]),
            (9, &[0, 1, 2]),
            (11, &[]),
            (12, &[0, 1]),
            (13, &[0; 15]),
            (34, &[0; 25]),
            (35, &[0; 11]),
            (39, &[0]),
        ] {
            let mut a = if t == 0 { vec![] } else { mt.clone() };
            a.extend_from_slice(&[0x80, 6 + v.len() as u8, 0, 0, 0, t]);
            a.extend_from_slice(v);
            assert_eq!(parse(&with_avps(&a)), Err(Error::BadValue), "type {t}");
        }
        // An unknown mandatory AVP: refused, and the permissive parse says which.
        let mut a = mt.clone();
        a.extend_from_slice(&hex("8008 0009 0001 abcd")); // vendor 9 (Cisco), type 1
        let b = with_avps(&a);
        assert_eq!(parse(&b), Err(Error::UnknownMandatory));
        let p = L2tpPacket::new_checked(&b[..]).unwrap();
        let r = L2tpControlRepr::parse_permissive(&p, None, &mut []).unwrap();
        assert_eq!(
            r.unknown_mandatory(),
            Some(&Avp {
                mandatory: true,
                hidden: false,
                value: AvpRepr::Unknown {
                    vendor_id: 9,
                    attr_type: AttributeType(1),
                    value: &[0xab, 0xcd]
                }
            })
        );
        assert_eq!(emit(&r), b, "an unknown AVP survives emit");
        // Not mandatory: kept.
        let mut a = mt.clone();
        a.extend_from_slice(&hex("0008 0000 0014 abcd")); // type 20: unassigned
        let b = with_avps(&a);
        let r = parse(&b).unwrap();
        assert_eq!(
            r.avps[1].value,
            AvpRepr::Unknown {
                vendor_id: 0,
                attr_type: AttributeType(20),
                value: &[0xab, 0xcd]
            }
        );
        assert_eq!(emit(&r), b);
        // An unknown message type with M=1 is an unknown mandatory; with M=0 it is kept.
        assert_eq!(
            parse(&with_avps(&hex("800800000000 0005"))),
            Err(Error::UnknownMandatory)
        );
        let b = with_avps(&hex("000800000000 0005"));
        let r = parse(&b).unwrap();
        assert_eq!(r.message_type(), Some(MessageType(5)));
        // More AVPs than the Repr holds.
        let mut a = mt.clone();
        for _ in 0..l2tp::MAX_AVPS {
            a.extend_from_slice(&hex("800800000009 0001"));
        }
        assert_eq!(parse(&with_avps(&a)), Err(Error::TooMany));
        // Emit refuses what would not parse back.
        let mut r = L2tpControlRepr::new(1, 0, 0, 0, Some(MessageType::HELLO));
        r.avps.push(Avp::new(AvpRepr::HostName(b"")));
        assert_eq!(r.emit(&mut [0; 64]), Err(Error::BadValue));
        let mut r = L2tpControlRepr::new(1, 0, 0, 0, None);
        r.avps.push(Avp::new(AvpRepr::AssignedTunnelId(1)));
        assert_eq!(r.emit(&mut [0; 64]), Err(Error::MissingField));
        let mut r = L2tpControlRepr::new(1, 0, 0, 0, Some(MessageType::HELLO));
        r.avps.push(Avp::new(AvpRepr::Unknown {
            vendor_id: 0,
            attr_type: AttributeType::HOST_NAME,
            value: b"x",
        }));
        assert_eq!(r.emit(&mut [0; 64]), Err(Error::BadValue));
        let mut r = L2tpControlRepr::new(1, 0, 0, 0, Some(MessageType::HELLO));
        r.avps.push(Avp::new(AvpRepr::VendorName(&[b'v'; 1018])));
        assert_eq!(r.emit(&mut [0; 2048]), Err(Error::BadLength));
        assert_eq!(
            L2tpControlRepr::new(1, 0, 0, 0, None).emit(&mut [0; 11]),
            Err(Error::BufferTooSmall)
        );
    }

    // ------------------------------------------------------------- proptests

    fn bytes(min: usize, max: usize) -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(any::<u8>(), min..max)
    }

    /// An AVP value made of owned parts: (kind index, numbers, bytes).
    #[derive(Clone, Debug)]
    struct Gen {
        kind: u8,
        n: [u32; 6],
        b: Vec<u8>,
        mandatory: bool,
        hidden: bool,
    }

    fn gen() -> impl Strategy<Value = Gen> {
        (
            0u8..40,
            any::<[u32; 6]>(),
            bytes(1, 40),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(kind, n, b, mandatory, hidden)| Gen {
                kind,
                n,
                b,
                mandatory,
                hidden,
            })
    }

    fn value(g: &Gen) -> AvpRepr<'_> {
        use AvpRepr as A;
        let (n, b) = (g.n, &g.b[..]);
        match g.kind {
            0 => A::ResultCode {
                result: ResultCode(n[0] as u16),
                error: None,
                message: &[],
            },
            1 => A::ResultCode {
                result: ResultCode(n[0] as u16),
                error: Some(ErrorCode(n[1] as u16)),
                message: b,
            },
            2 => A::ProtocolVersion {
                version: n[0] as u8,
                revision: n[1] as u8,
            },
            3 => A::FramingCapabilities(Framing(n[0])),
            4 => A::BearerCapabilities(Bearer(n[0])),
            5 => A::TieBreaker(((n[0] as u64) << 32) | n[1] as u64),
            6 => A::FirmwareRevision(n[0] as u16),
            7 => A::HostName(b),
            8 => A::VendorName(b),
            9 => A::AssignedTunnelId(n[0] as u16),
            10 => A::ReceiveWindowSize(n[0] as u16),
            11 => A::Challenge(b),
            12 => A::Q931CauseCode {
                cause_code: n[0] as u16,
                cause_msg: n[1] as u8,
                advisory: b,
            },
            13 => {
                let mut r = [0u8; 16];
                for (i, x) in r.iter_mut().enumerate() {
                    *x = (n[i % 6] >> (i % 4 * 8)) as u8;
                }
                A::ChallengeResponse(r)
            }
            14 => A::AssignedSessionId(n[0] as u16),
            15 => A::CallSerialNumber(n[0]),
            16 => A::MinimumBps(n[0]),
            17 => A::MaximumBps(n[0]),
            18 => A::BearerType(Bearer(n[0])),
            19 => A::FramingType(Framing(n[0])),
            20 => A::CalledNumber(b),
            21 => A::CallingNumber(b),
            22 => A::SubAddress(b),
            23 => A::TxConnectSpeed(n[0]),
            24 => A::RxConnectSpeed(n[0]),
            25 => A::PhysicalChannelId(n[0]),
            26 => A::PrivateGroupId(b),
            27 => A::SequencingRequired,
            28 => A::InitialReceivedLcpConfReq(b),
            29 => A::LastSentLcpConfReq(b),
            30 => A::LastReceivedLcpConfReq(b),
            31 => A::ProxyAuthenType(ProxyAuthenType(n[0] as u16)),
            32 => A::ProxyAuthenName(b),
            33 => A::ProxyAuthenChallenge(b),
            34 => A::ProxyAuthenId(n[0] as u8),
            35 => A::ProxyAuthenResponse(b),
            36 => A::CallErrors {
                crc_errors: n[0],
                framing_errors: n[1],
                hardware_overruns: n[2],
                buffer_overruns: n[3],
                timeout_errors: n[4],
                alignment_errors: n[5],
            },
            37 => A::Accm {
                send_accm: n[0],
                receive_accm: n[1],
            },
            38 => A::RandomVector(b),
            _ => A::Unknown {
                vendor_id: (n[0] as u16).max(1),
                attr_type: AttributeType(n[1] as u16),
                value: b,
            },
        }
    }

    proptest! {
        #[test]
        fn header_round_trip(
            control in any::<bool>(), with_length in any::<bool>(), seq in any::<Option<(u16, u16)>>(),
            offset in proptest::option::of(0u16..20), priority in any::<bool>(),
            tunnel_id in any::<u16>(), session_id in any::<u16>(), payload in bytes(0, 30),
        ) {
            let h = if control {
                L2tpHeaderRepr { control, with_length: true, sequence: Some(Sequence { ns: 1, nr: 2 }), offset_size: None, priority: false, tunnel_id, session_id }
            } else {
                L2tpHeaderRepr { control, with_length, sequence: seq.map(|(ns, nr)| Sequence { ns, nr }), offset_size: offset, priority, tunnel_id, session_id }
            };
            let mut b = vec![0u8; h.header_len() + payload.len()];
            let n = h.emit(&mut b, payload.len()).unwrap();
            b[n..].copy_from_slice(&payload);
            let p = L2tpPacket::new_checked(&b[..]).unwrap();
            prop_assert_eq!(p.payload(), &payload[..]);
            prop_assert_eq!(L2tpHeaderRepr::parse(&p), Ok(h));
        }

        #[test]
        fn control_round_trip(
            ids in any::<[u16; 4]>(), mt in any::<u16>(), mt_m in any::<bool>(), zlb in any::<bool>(),
            rv in bytes(0, 20), gens in proptest::collection::vec(gen(), 0..12),
            secret in bytes(0, 20), pad in bytes(0, 20),
        ) {
            let mt = MessageType(mt);
            let mut r = L2tpControlRepr::new(ids[0], ids[1], ids[2], ids[3], None);
            if !zlb {
                // A known type, or an unknown one with M=0 (M=1 would be UnknownMandatory).
                let mandatory = mt.is_known() && mt_m;
                r.avps.push(Avp { mandatory, hidden: false, value: AvpRepr::MessageType(mt) });
                r.avps.push(Avp::new(AvpRepr::RandomVector(&rv)));
                for g in &gens {
                    let v = value(g);
                    let unknown = matches!(v, AvpRepr::Unknown { .. });
                    let hidden = g.hidden && !matches!(v, AvpRepr::RandomVector(_));
                    r.avps.push(Avp { mandatory: g.mandatory && !unknown, hidden, value: v });
                }
            }
            let mut b = vec![0u8; r.buffer_len_padded(pad.len())];
            let n = r.emit_with_secret(&mut b, &secret, &pad).unwrap();
            prop_assert_eq!(n, b.len());
            let mut scratch = vec![0u8; b.len()];
            let p = L2tpPacket::new_checked(&b[..]).unwrap();
            let back = L2tpControlRepr::parse_with_secret(&p, &secret, &mut scratch).unwrap();
            prop_assert_eq!(&back, &r);
            if r.avps.iter().all(|a| !a.hidden) {
                prop_assert_eq!(parse(&b), Ok(r.clone()));
                prop_assert_eq!(emit(&r), b.clone());
            }
            #[cfg(fuzzing)]
            l2tp::fuzz(&b);
        }

        // Calls only the fuzz entry points (`--cfg fuzzing`): scripts/fuzz.sh runs it.
        #[cfg(fuzzing)]
        #[test]
        fn random_bytes_never_panic(data in bytes(0, 200)) {
            l2tp::fuzz(&data);
            let mut c = data.clone();
            if c.len() >= 2 {
                c[0] = 0xc8;
                c[1] = 0x02;
            }
            l2tp::fuzz(&c);
            if c.len() >= 4 {
                let len = (c.len() as u16).to_be_bytes();
                c[2..4].copy_from_slice(&len);
                l2tp::fuzz(&c);
            }
        }

        // Calls only the fuzz entry points (`--cfg fuzzing`): scripts/fuzz.sh runs it.
        #[cfg(fuzzing)]
        #[test]
        fn mutated_messages_never_panic(i in 0usize..200, x in any::<u8>(), cut in 0usize..200) {
            let mut b = hex(STOPCCN);
            let k = i % b.len();
            b[k] ^= x;
            l2tp::fuzz(&b);
            l2tp::fuzz(&b[..cut.min(b.len())]);
        }
    }

    // ----------------------------------------------------------------- scapy

    #[test]
    fn scapy_reads_our_headers() {
        let mut frames = Vec::new();
        let data = L2tpHeaderRepr {
            control: false,
            with_length: true,
            sequence: Some(Sequence {
                ns: 0x0102,
                nr: 0x0304,
            }),
            offset_size: Some(2),
            priority: true,
            tunnel_id: 0x1111,
            session_id: 0x2222,
        };
        let mut b = vec![0u8; data.header_len() + 12];
        let n = data.emit(&mut b, 12).unwrap();
        b[n..].copy_from_slice(&hex(LCP_ECHO));
        frames.push(b);
        let mut r = L2tpControlRepr::new(0x3333, 0x4444, 7, 8, Some(MessageType::SCCRQ));
        r.avps.push(Avp::new(AvpRepr::HostName(b"lns")));
        frames.push(emit(&r));
        frames.push(emit(&L2tpControlRepr::new(5, 6, 9, 10, None)));
        let list: Vec<String> = frames.iter().map(|f| format!("\"{}\"", hx(f))).collect();
        let out = scapy(&format!(
            "for h in [{}]:\n    p = L2TP(bytes.fromhex(h))\n    print(int(p.hdr), p.version, p.len, p.tunnel_id, p.session_id, p.ns, p.nr)",
            list.join(",")
        ));
        let lines: Vec<&str> = out.lines().filter(|l| !l.starts_with("WARNING")).collect();
        // hdr is the 12 flag bits: T=0x800, L=0x400, S=0x080, O=0x020, P=0x010.
        assert_eq!(
            lines,
            [
                "1200 2 28 4369 8738 258 772",
                "3200 2 29 13107 17476 7 8",
                "3200 2 12 5 6 9 10"
            ]
        );
        // scapy's offset field is its Offset Size (and it pads it to 4 octets).
        let off = scapy(&format!(
            "print(L2TP(bytes.fromhex(\"{}\")).offset)",
            hx(&frames[0])
        ));
        assert_eq!(off.trim(), "2");
    }

    // ---------------------------------------------------------------- tshark

    const A: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 1]);
    const B: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 2]);
    const LAC: Ipv4Address = Ipv4Address::new(192, 0, 2, 1);
    const LNS: Ipv4Address = Ipv4Address::new(198, 51, 100, 1);

    fn udp_frame(l2tp: &[u8]) -> Vec<u8> {
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
        let udp = UdpRepr {
            src_port: 1701,
            dst_port: 1701,
            payload: l2tp,
        };
        let ip = Ipv4Repr {
            src: LAC,
            dst: LNS,
            protocol: IpProtocol::UDP,
            payload_len: udp.buffer_len() as u16,
            ttl: 64,
            dscp_ecn: 0,
            ident: 1,
            dont_frag: true,
        };
        let at = f.len();
        f.resize(at + 20 + udp.buffer_len(), 0);
        ip.emit(&mut f[at..]).unwrap();
        udp.emit(&mut f[at + 20..], LAC, LNS).unwrap();
        f
    }

    struct Case {
        frame: Vec<u8>,
        expect: Vec<(&'static str, String)>,
    }

    const FIELDS: &[&str] = &[
        "l2tp.type",
        "l2tp.length",
        "l2tp.tunnel",
        "l2tp.session",
        "l2tp.Ns",
        "l2tp.Nr",
        "l2tp.avp.message_type",
        "l2tp.avp.type",
        "l2tp.avp.hidden",
        "l2tp.avp.protocol_version",
        "l2tp.avp.host_name",
        "l2tp.avp.assigned_tunnel_id",
        "l2tp.avp.assigned_session_id",
        "l2tp.avp.vendor_name",
        "l2tp.avp.firmware_revision",
        "l2tp.avp.receive_window_size",
        "l2tp.tie_breaker",
        "l2tp.avp.chap_challenge",
        "l2tp.avp.chap_challenge_response",
        "l2tp.result_code",
        "l2tp.avp.error_code",
        "l2tp.avp.error_message",
        "l2tp.avp.call_serial_number",
        "l2tp.avp.minimum_bps",
        "l2tp.avp.maximum_bps",
        "l2tp.avp.called_number",
        "l2tp.avp.calling_number",
        "l2tp.avp.sub_address",
        "l2tp.avp.connect_speed",
        "l2tp.avp.rx_connect_speed",
        "l2tp.avp.physical_channel",
        "l2tp.avp.proxy_authen_type",
        "l2tp.avp.proxy_authen_name",
        "l2tp.avp.proxy_authen_id",
        "l2tp.avp.proxy_authen_challenge",
        "l2tp.avp.proxy_authen_response",
        "l2tp.avp.private_group_id",
        "l2tp.avp.crc_errors",
        "l2tp.avp.alignment_errors",
        "l2tp.avp.send_accm",
        "l2tp.avp.receive_accm",
        "l2tp.avp.cause_code",
        "l2tp.avp.random_vector",
        "l2tp.zero_length_body_message",
        "l2tp.priority",
        "l2tp.offset",
        "ppp.code",
        "lcp.magic_number",
        "lcp.opt.mru",
        "lcp.opt.magic_number",
        "udp.checksum.status",
    ];

    /// The proxy LCP AVPs carry a ConfReq's options, from the first option on (§4.4.5):
    /// MRU 1492, Magic-Number 0x12345678.
    const CONFREQ: &[u8] = &[0x01, 0x04, 0x05, 0xd4, 0x05, 0x06, 0x12, 0x34, 0x56, 0x78];

    #[allow(clippy::vec_init_then_push)] // one push per message type, in §6 order
    fn control_cases() -> Vec<(L2tpControlRepr<'static>, Vec<(&'static str, String)>)> {
        use AvpRepr as A;
        let s = |x: &str| x.to_string();
        let msg = |t: MessageType, sid: u16, avps: Vec<AvpRepr<'static>>| {
            let mut r = L2tpControlRepr::new(0x00ab, sid, 3, 4, Some(t));
            for a in avps {
                r.avps.push(Avp::new(a));
            }
            r
        };
        let base = |t: u16, sid: u16| {
            vec![
                ("l2tp.type", s("1")),
                ("l2tp.tunnel", s("171")),
                ("l2tp.session", sid.to_string()),
                ("l2tp.Ns", s("3")),
                ("l2tp.Nr", s("4")),
                ("l2tp.avp.message_type", t.to_string()),
            ]
        };
        let with = |mut v: Vec<(&'static str, String)>, more: &[(&'static str, &str)]| {
            v.extend(more.iter().map(|(k, x)| (*k, x.to_string())));
            v
        };
        let mut out = Vec::new();
        out.push((
            msg(
                MessageType::SCCRQ,
                0,
                vec![
                    A::ProtocolVersion {
                        version: 1,
                        revision: 0,
                    },
                    A::HostName(b"lac.example"),
                    A::FramingCapabilities(Framing(3)),
                    A::AssignedTunnelId(0x0102),
                    A::BearerCapabilities(Bearer(3)),
                    A::ReceiveWindowSize(8),
                    A::Challenge(b"0123456789abcdef"),
                    A::TieBreaker(0x0102030405060708),
                    A::FirmwareRevision(0x0680),
                    A::VendorName(b"dpvpn"),
                ],
            ),
            with(
                base(1, 0),
                &[
                    ("l2tp.avp.protocol_version", "1"),
                    ("l2tp.avp.host_name", "lac.example"),
                    ("l2tp.avp.assigned_tunnel_id", "258"),
                    ("l2tp.avp.receive_window_size", "8"),
                    ("l2tp.tie_breaker", "0x0102030405060708"),
                    ("l2tp.avp.firmware_revision", "1664"),
                    ("l2tp.avp.vendor_name", "dpvpn"),
                    (
                        "l2tp.avp.chap_challenge",
                        "30313233343536373839616263646566",
                    ),
                ],
            ),
        ));
        out.push((
            msg(
                MessageType::SCCRP,
                0,
                vec![
                    A::ProtocolVersion {
                        version: 1,
                        revision: 0,
                    },
                    A::FramingCapabilities(Framing(1)),
                    A::HostName(b"lns"),
                    A::AssignedTunnelId(0x0203),
                    A::BearerCapabilities(Bearer(0)),
                    A::FirmwareRevision(1),
                    A::VendorName(b"dpvpn"),
                    A::ReceiveWindowSize(16),
                    A::Challenge(b"c"),
                    A::ChallengeResponse([0x11; 16]),
                ],
            ),
            with(
                base(2, 0),
                &[
                    ("l2tp.avp.host_name", "lns"),
                    ("l2tp.avp.assigned_tunnel_id", "515"),
                    (
                        "l2tp.avp.chap_challenge_response",
                        "11111111111111111111111111111111",
                    ),
                ],
            ),
        ));
        out.push((
            msg(
                MessageType::SCCCN,
                0,
                vec![A::ChallengeResponse([0x22; 16])],
            ),
            with(
                base(3, 0),
                &[(
                    "l2tp.avp.chap_challenge_response",
                    "22222222222222222222222222222222",
                )],
            ),
        ));
        out.push((
            msg(
                MessageType::STOPCCN,
                0,
                vec![
                    A::AssignedTunnelId(0x0102),
                    A::ResultCode {
                        result: ResultCode::STOPCCN_GENERAL_ERROR,
                        error: Some(ErrorCode::UNKNOWN_MANDATORY_AVP),
                        message: b"bye",
                    },
                ],
            ),
            with(
                base(4, 0),
                &[
                    ("l2tp.avp.assigned_tunnel_id", "258"),
                    ("l2tp.result_code", "2"),
                    ("l2tp.avp.error_code", "8"),
                    ("l2tp.avp.error_message", "bye"),
                ],
            ),
        ));
        out.push((msg(MessageType::HELLO, 0, vec![]), base(6, 0)));
        out.push((
            msg(
                MessageType::OCRQ,
                0,
                vec![
                    A::AssignedSessionId(0x0304),
                    A::CallSerialNumber(0x01020304),
                    A::MinimumBps(9600),
                    A::MaximumBps(100_000_000),
                    A::BearerType(Bearer::DIGITAL),
                    A::FramingType(Framing::SYNCHRONOUS),
                    A::CalledNumber(b"5551234"),
                    A::SubAddress(b"77"),
                ],
            ),
            with(
                base(7, 0),
                &[
                    ("l2tp.avp.assigned_session_id", "772"),
                    ("l2tp.avp.call_serial_number", "16909060"),
                    ("l2tp.avp.minimum_bps", "9600"),
                    ("l2tp.avp.maximum_bps", "100000000"),
                    ("l2tp.avp.called_number", "5551234"),
                    ("l2tp.avp.sub_address", "77"),
                ],
            ),
        ));
        out.push((
            msg(
                MessageType::OCRP,
                0x0304,
                vec![A::AssignedSessionId(0x0405), A::PhysicalChannelId(42)],
            ),
            with(
                base(8, 0x0304),
                &[
                    ("l2tp.avp.assigned_session_id", "1029"),
                    ("l2tp.avp.physical_channel", "42"),
                ],
            ),
        ));
        out.push((
            msg(
                MessageType::OCCN,
                0x0304,
                vec![
                    A::TxConnectSpeed(1_000_000),
                    A::FramingType(Framing::SYNCHRONOUS),
                    A::RxConnectSpeed(2_000_000),
                    A::SequencingRequired,
                ],
            ),
            with(
                base(9, 0x0304),
                &[
                    ("l2tp.avp.connect_speed", "1000000"),
                    ("l2tp.avp.rx_connect_speed", "2000000"),
                ],
            ),
        ));
        out.push((
            msg(
                MessageType::ICRQ,
                0,
                vec![
                    A::AssignedSessionId(0x0506),
                    A::CallSerialNumber(7),
                    A::BearerType(Bearer::ANALOG),
                    A::PhysicalChannelId(1),
                    A::CallingNumber(b"00:11:22:33:44:55"),
                    A::CalledNumber(b"eth0"),
                    A::SubAddress(b"1"),
                ],
            ),
            with(
                base(10, 0),
                &[
                    ("l2tp.avp.assigned_session_id", "1286"),
                    ("l2tp.avp.call_serial_number", "7"),
                    ("l2tp.avp.calling_number", "00:11:22:33:44:55"),
                    ("l2tp.avp.called_number", "eth0"),
                ],
            ),
        ));
        out.push((
            msg(
                MessageType::ICRP,
                0x0506,
                vec![A::AssignedSessionId(0x0607)],
            ),
            with(
                base(11, 0x0506),
                &[("l2tp.avp.assigned_session_id", "1543")],
            ),
        ));
        out.push((
            msg(
                MessageType::ICCN,
                0x0607,
                vec![
                    A::TxConnectSpeed(100_000_000),
                    A::FramingType(Framing::SYNCHRONOUS),
                    A::InitialReceivedLcpConfReq(CONFREQ),
                    A::LastSentLcpConfReq(CONFREQ),
                    A::LastReceivedLcpConfReq(CONFREQ),
                    A::ProxyAuthenType(ProxyAuthenType::CHAP),
                    A::ProxyAuthenName(b"user@isp"),
                    A::ProxyAuthenChallenge(&[0x33; 16]),
                    A::ProxyAuthenId(0x2a),
                    A::ProxyAuthenResponse(&[0x44; 16]),
                    A::PrivateGroupId(b"grp"),
                    A::RxConnectSpeed(50_000_000),
                    A::SequencingRequired,
                ],
            ),
            with(
                base(12, 0x0607),
                &[
                    ("l2tp.avp.connect_speed", "100000000"),
                    ("l2tp.avp.proxy_authen_type", "2"),
                    ("l2tp.avp.proxy_authen_name", "user@isp"),
                    ("l2tp.avp.proxy_authen_id", "42"),
                    (
                        "l2tp.avp.proxy_authen_challenge",
                        "33333333333333333333333333333333",
                    ),
                    (
                        "l2tp.avp.proxy_authen_response",
                        "44444444444444444444444444444444",
                    ),
                    ("l2tp.avp.private_group_id", "677270"),
                    ("l2tp.avp.rx_connect_speed", "50000000"),
                    ("lcp.opt.mru", "1492|1492|1492"),
                    ("lcp.opt.magic_number", "0x12345678|0x12345678|0x12345678"),
                ],
            ),
        ));
        out.push((
            msg(
                MessageType::CDN,
                0x0607,
                vec![
                    A::ResultCode {
                        result: ResultCode::CDN_ADMINISTRATIVE,
                        error: None,
                        message: b"",
                    },
                    A::AssignedSessionId(0x0506),
                    A::Q931CauseCode {
                        cause_code: 16,
                        cause_msg: 1,
                        advisory: b"normal",
                    },
                ],
            ),
            with(
                base(14, 0x0607),
                &[
                    ("l2tp.result_code", "3"),
                    ("l2tp.avp.assigned_session_id", "1286"),
                    ("l2tp.avp.cause_code", "16"),
                ],
            ),
        ));
        out.push((
            msg(
                MessageType::WEN,
                0x0607,
                vec![A::CallErrors {
                    crc_errors: 1,
                    framing_errors: 2,
                    hardware_overruns: 3,
                    buffer_overruns: 4,
                    timeout_errors: 5,
                    alignment_errors: 6,
                }],
            ),
            with(
                base(15, 0x0607),
                &[
                    ("l2tp.avp.crc_errors", "1"),
                    ("l2tp.avp.alignment_errors", "6"),
                ],
            ),
        ));
        out.push((
            msg(
                MessageType::SLI,
                0x0607,
                vec![A::Accm {
                    send_accm: 0xffffffff,
                    receive_accm: 0x000a0000,
                }],
            ),
            with(
                base(16, 0x0607),
                &[
                    ("l2tp.avp.send_accm", "4294967295"),
                    ("l2tp.avp.receive_accm", "655360"),
                ],
            ),
        ));
        out
    }

    #[test]
    fn tshark_decodes_what_we_emit() {
        let mut cases = Vec::new();
        for (r, expect) in control_cases() {
            let b = emit(&r);
            // What we emit we read back.
            assert_eq!(parse(&b).as_ref(), Ok(&r));
            let mut expect = expect;
            expect.push(("l2tp.length", b.len().to_string()));
            expect.push(("udp.checksum.status", "1".to_string()));
            cases.push(Case {
                frame: udp_frame(&b),
                expect,
            });
        }
        // ZLB.
        let b = emit(&L2tpControlRepr::new(0x00ab, 0, 5, 6, None));
        cases.push(Case {
            frame: udp_frame(&b),
            expect: vec![
                ("l2tp.type", "1".into()),
                ("l2tp.length", "12".into()),
                ("l2tp.Ns", "5".into()),
                ("l2tp.Nr", "6".into()),
                ("l2tp.avp.message_type", "".into()),
            ],
        });
        // Hidden AVPs: an ICCN with its proxy authentication hidden (Random Vector first).
        let rv = [0x5au8; 16];
        let mut r = L2tpControlRepr::new(0x00ab, 0x0607, 7, 8, Some(MessageType::ICCN));
        r.avps.push(Avp::new(AvpRepr::RandomVector(&rv)));
        r.avps.push(Avp::new(AvpRepr::TxConnectSpeed(10_000_000)));
        r.avps
            .push(Avp::new(AvpRepr::FramingType(Framing::SYNCHRONOUS)));
        r.avps
            .push(Avp::new_hidden(AvpRepr::ProxyAuthenType(ProxyAuthenType::PAP)));
        r.avps.push(Avp::new_hidden(AvpRepr::ProxyAuthenName(
            b"subscriber@isp.example",
        )));
        r.avps
            .push(Avp::new_hidden(AvpRepr::ProxyAuthenResponse(b"password")));
        let mut b = vec![0u8; r.buffer_len_padded(5)];
        r.emit_with_secret(&mut b, b"shared", &[1, 2, 3, 4, 5])
            .unwrap();
        cases.push(Case {
            frame: udp_frame(&b),
            expect: vec![
                ("l2tp.avp.message_type", "12".into()),
                ("l2tp.avp.random_vector", "5a".repeat(16)),
                ("l2tp.avp.hidden", "0|0|0|0|1|1|1".into()),
                // tshark names the type of the clear AVPs only; hidden ones it shows as
                // hidden, undecoded (it has no secret).
                ("l2tp.avp.type", "0|36|24|19".into()),
                ("l2tp.avp.connect_speed", "10000000".into()),
            ],
        });
        // A data message with every optional field and a PPP LCP Echo-Request (built by
        // hand: ff03, protocol c021, Echo-Request id 1 length 8, magic 0x0a0b0c0d).
        let data = L2tpHeaderRepr {
            control: false,
            with_length: true,
            sequence: Some(Sequence { ns: 1, nr: 0 }),
            offset_size: Some(4),
            priority: true,
            tunnel_id: 0x00ab,
            session_id: 0x0607,
        };
        let ppp = hex(LCP_ECHO);
        let mut b = vec![0u8; data.header_len() + ppp.len()];
        let n = data.emit(&mut b, ppp.len()).unwrap();
        b[n..].copy_from_slice(&ppp);
        cases.push(Case {
            frame: udp_frame(&b),
            expect: vec![
                ("l2tp.type", "0".into()),
                ("l2tp.length", b.len().to_string()),
                ("l2tp.tunnel", "171".into()),
                ("l2tp.session", "1543".into()),
                ("l2tp.Ns", "1".into()),
                ("l2tp.offset", "4".into()),
                ("l2tp.priority", "1".into()),
                ("ppp.code", "9".into()),
                ("lcp.magic_number", "0x0a0b0c0d".into()),
            ],
        });
        // A data message with no optional field.
        let plain = L2tpHeaderRepr {
            with_length: false,
            sequence: None,
            offset_size: None,
            priority: false,
            ..data
        };
        let mut b = vec![0u8; plain.header_len() + ppp.len()];
        let n = plain.emit(&mut b, ppp.len()).unwrap();
        b[n..].copy_from_slice(&ppp);
        cases.push(Case {
            frame: udp_frame(&b),
            expect: vec![
                ("l2tp.type", "0".into()),
                ("l2tp.session", "1543".into()),
                ("ppp.code", "9".into()),
            ],
        });

        let frames: Vec<Vec<u8>> = cases.iter().map(|c| c.frame.clone()).collect();
        let decoded = tshark(&frames, FIELDS, &[], &[]);
        assert_eq!(decoded.len(), cases.len());
        for (i, (d, c)) in decoded.iter().zip(&cases).enumerate() {
            let n = i + 1;
            assert!(!d.malformed, "frame {n}: malformed: {d:?}");
            // Not even a note or a chat: every frame decodes without expert info.
            assert_eq!(d.expert, "", "frame {n}: tshark says {:?}", d.expert);
            for (f, want) in &c.expect {
                let k = FIELDS.iter().position(|x| x == f).unwrap();
                assert_eq!(&d.fields[k], want, "frame {n}: {f} in {d:?}");
            }
        }
    }
}
