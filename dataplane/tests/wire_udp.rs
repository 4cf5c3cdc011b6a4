//! UDP against datagrams built by scapy (tests/oracle/golden.py).

// In a module so that `cargo test wire` selects these tests by name.
mod wire_udp {
    use dataplane::wire::udp::{HEADER_LEN, PORT_L2TP};
    use dataplane::wire::{Error, IpProtocol, Ipv4Address, Ipv4Packet, UdpPacket, UdpRepr};
    use proptest::prelude::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    const S: Ipv4Address = Ipv4Address::new(192, 0, 2, 2);
    const I: Ipv4Address = Ipv4Address::new(198, 51, 100, 2);

    // scapy: IP(src=S, dst=I) / UDP(sport=1701, dport=1701) / bytes.fromhex("c802001400010000000000000000")
    const UDP_L2TP: &str =
        "4500002a0001000040118e8ac0000202c633640206a506a500163e28c802001400010000000000000000";
    // scapy: IP(src=S, dst=I) / UDP(sport=1234, dport=53) / b"hello"
    const UDP_ODD: &str = "450000210001000040118e93c0000202c633640204d20035000dcac268656c6c6f";
    // scapy: IP(src=S, dst=I) / UDP(sport=1234, dport=53, chksum=0) / b"hello"
    const UDP_ODD_NO_CHECKSUM: &str =
        "450000210001000040118e93c0000202c633640204d20035000d000068656c6c6f";
    // scapy: IP(src=S, dst=I) / UDP(sport=1701, dport=1701) / <2 bytes that make the sum 0xffff>;
    // the computed checksum 0 goes out as 0xffff.
    const UDP_ZERO_SUM: &str = "4500001e0001000040118e96c0000202c633640206a506a5000affff0658";

    fn udp_of(datagram: &[u8]) -> &[u8] {
        let ip = Ipv4Packet::new_checked(datagram).unwrap();
        assert_eq!(
            (ip.protocol(), ip.src_addr(), ip.dst_addr()),
            (IpProtocol::UDP, S, I)
        );
        &datagram[ip.header_len() as usize..ip.total_len() as usize]
    }

    /// parse gives `repr`, emit gives scapy's bytes back, fill_checksum scapy's checksum.
    fn check(udp: &[u8], repr: UdpRepr) {
        let p = UdpPacket::new_checked(udp).unwrap();
        assert!(p.verify_checksum(S, I));
        assert_eq!(UdpRepr::parse(&p, S, I), Ok(repr));
        assert_eq!(repr.buffer_len(), udp.len());
        let mut out = vec![0xa5u8; udp.len()];
        repr.emit(&mut out, S, I).unwrap();
        assert_eq!(out, udp, "emit differs from scapy");
        let mut b = udp.to_vec();
        let mut p = UdpPacket::new_checked(&mut b[..]).unwrap();
        p.set_checksum(0x1111);
        p.fill_checksum(S, I);
        assert_eq!(b, udp, "checksum differs from scapy's");
    }

    #[test]
    fn l2tp_datagram() {
        let b = hex(UDP_L2TP);
        let udp = udp_of(&b);
        let p = UdpPacket::new_checked(udp).unwrap();
        assert_eq!(
            (p.src_port(), p.dst_port(), p.len(), p.checksum()),
            (PORT_L2TP, PORT_L2TP, 22, 0x3e28)
        );
        assert_eq!(p.payload()[0], 0xc8, "L2TP control, T/L/S bits");
        check(
            udp,
            UdpRepr {
                src_port: 1701,
                dst_port: 1701,
                payload: &udp[8..],
            },
        );
    }

    #[test]
    fn odd_length_and_no_checksum() {
        let b = hex(UDP_ODD);
        let udp = udp_of(&b);
        check(
            udp,
            UdpRepr {
                src_port: 1234,
                dst_port: 53,
                payload: b"hello",
            },
        );

        // Zero means none (RFC 768): accepted as it is; our emit fills it in.
        let b = hex(UDP_ODD_NO_CHECKSUM);
        let bare = udp_of(&b);
        let p = UdpPacket::new_checked(bare).unwrap();
        assert_eq!(p.checksum(), 0);
        assert!(p.verify_checksum(S, I));
        let r = UdpRepr::parse(&p, S, I).unwrap();
        assert_eq!(
            r,
            UdpRepr {
                src_port: 1234,
                dst_port: 53,
                payload: b"hello"
            }
        );
        let mut out = [0u8; 13];
        r.emit(&mut out, S, I).unwrap();
        assert_eq!(out[..], *udp);
    }

    #[test]
    fn computed_zero_goes_out_as_ffff() {
        let b = hex(UDP_ZERO_SUM);
        let udp = udp_of(&b);
        assert_eq!(UdpPacket::new_checked(udp).unwrap().checksum(), 0xffff);
        check(
            udp,
            UdpRepr {
                src_port: 1701,
                dst_port: 1701,
                payload: &udp[8..],
            },
        );
    }

    #[test]
    fn length_field() {
        let b = hex(UDP_ODD);
        let udp = udp_of(&b);
        // A buffer longer than the length field: payload stops at the length.
        let mut longer = udp.to_vec();
        longer.extend_from_slice(&[0xee; 5]);
        let p = UdpPacket::new_checked(&longer[..]).unwrap();
        assert_eq!(p.payload(), b"hello");
        assert!(p.verify_checksum(S, I));

        assert_eq!(
            UdpPacket::new_checked(&udp[..7]).unwrap_err(),
            Error::Truncated
        );
        assert_eq!(
            UdpPacket::new_checked(&udp[..12]).unwrap_err(),
            Error::Truncated,
            "length 13 > 12"
        );
        let mut short = udp.to_vec();
        short[5] = 7;
        assert_eq!(
            UdpPacket::new_checked(&short[..]).unwrap_err(),
            Error::BadLength
        );
        assert_eq!(
            UdpRepr::parse(&UdpPacket::new_unchecked(&short[..]), S, I),
            Err(Error::BadLength)
        );

        let mut bad = udp.to_vec();
        bad[9] ^= 1;
        assert_eq!(
            UdpRepr::parse(&UdpPacket::new_checked(&bad[..]).unwrap(), S, I),
            Err(Error::BadChecksum)
        );
        // The pseudo-header counts: the right datagram to another address fails.
        assert!(!UdpPacket::new_checked(udp)
            .unwrap()
            .verify_checksum(S, Ipv4Address::new(198, 51, 100, 3)));

        let big = vec![0u8; 65536];
        let r = UdpRepr {
            src_port: 1,
            dst_port: 2,
            payload: &big[..65528],
        };
        let mut out = vec![0u8; 65536];
        assert_eq!(r.emit(&mut out, S, I), Err(Error::BadLength));
        let r = UdpRepr {
            src_port: 1,
            dst_port: 2,
            payload: b"hello",
        };
        assert_eq!(r.emit(&mut out[..12], S, I), Err(Error::BufferTooSmall));
        assert_eq!(HEADER_LEN, 8);
    }

    proptest! {
        #[test]
        fn round_trip(sp in any::<u16>(), dp in any::<u16>(), payload in proptest::collection::vec(any::<u8>(), 0..300), src in any::<u32>(), dst in any::<u32>()) {
            let (src, dst) = (Ipv4Address::from_bits(src), Ipv4Address::from_bits(dst));
            let r = UdpRepr { src_port: sp, dst_port: dp, payload: &payload };
            let mut out = vec![0u8; r.buffer_len()];
            r.emit(&mut out, src, dst).unwrap();
            let p = UdpPacket::new_checked(&out[..]).unwrap();
            prop_assert_ne!(p.checksum(), 0);
            prop_assert_eq!(UdpRepr::parse(&p, src, dst), Ok(r));
        }

        #[test]
        fn never_panics(mut data in proptest::collection::vec(any::<u8>(), 0..200), len in any::<prop::sample::Index>(), fix_len in any::<bool>()) {
            if fix_len && data.len() >= 6 {
                let l = len.index(data.len() + 4) as u16;
                data[4..6].copy_from_slice(&l.to_be_bytes());
            }
            let _ = UdpRepr::parse(&UdpPacket::new_unchecked(&data[..]), S, I);
            if let Ok(mut p) = UdpPacket::new_checked(&mut data[..]) {
                let _ = (p.src_port(), p.dst_port(), p.len(), p.checksum(), p.payload(), p.verify_checksum(S, I));
                let _ = p.payload_mut().len();
                p.fill_checksum(S, I);
                prop_assert!(p.verify_checksum(S, I));
                prop_assert!(UdpRepr::parse(&UdpPacket::new_checked(&data[..]).unwrap(), S, I).is_ok());
            }
        }
    }
}
