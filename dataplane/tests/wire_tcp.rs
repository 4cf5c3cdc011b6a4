//! TCP headers, options and MSS clamping against segments built by scapy
//! (tests/oracle/golden.py).

// In a module so that `cargo test wire` selects these tests by name.
mod wire_tcp {
    use dataplane::wire::tcp::HEADER_LEN;
    use dataplane::wire::{
        checksum, Error, IpProtocol, Ipv4Address, Ipv4Packet, TcpFlags, TcpOption, TcpOptionKind,
        TcpOptions, TcpPacket,
    };
    use proptest::prelude::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    const S: Ipv4Address = Ipv4Address::new(192, 0, 2, 2);
    const I: Ipv4Address = Ipv4Address::new(198, 51, 100, 2);

    // scapy: IP(src=S, dst=I, id=1) / TCP(sport=40000, dport=80, flags="S", seq=0x01020304, window=64240,
    //        options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (12345, 0)), ("NOP", None), ("WScale", 7)])
    const TCP_SYN: &str = "4500003c0001000040068e83c0000202c63364029c4000500102030400000000a002faf090070000020405b40402080a000030390000000001030307";
    // scapy: the same with ("MSS", 1400)
    const TCP_SYN_MSS1400: &str = "4500003c0001000040068e83c0000202c63364029c4000500102030400000000a002faf090430000020405780402080a000030390000000001030307";
    // scapy: as TCP_SYN with options=[("NOP", None), ("MSS", 1460), ("NOP", None), ("WScale", 7), ("NOP", None),
    //        ("NOP", None), ("SAckOK", b"")] — the MSS value sits at an odd offset
    const TCP_SYN_ODD_MSS: &str = "450000380001000040068e87c0000202c63364029c40005001020304000000009002faf02202000001020405b40103030701010402000000";
    // scapy: the same with ("MSS", 1400)
    const TCP_SYN_ODD_MSS1400: &str = "450000380001000040068e87c0000202c63364029c40005001020304000000009002faf05e02000001020405780103030701010402000000";
    // scapy: IP(src=I, dst=S, id=2) / TCP(sport=80, dport=40000, flags="A", seq=5000, ack=7000, window=501,
    //        options=[("NOP", None), ("NOP", None), ("Timestamp", (1, 2)), ("NOP", None), ("NOP", None),
    //                 ("SAck", (1000, 2000, 3000, 4000))]) / b"data"
    const TCP_ACK_SACK: &str = "4500004c0002000040068e72c6336402c000020200509c400000138800001b58d01001f5671e00000101080a000000010000000201010512000003e8000007d000000bb800000fa064617461";
    // scapy: IP(src=S, dst=I, id=3) / TCP(sport=1, dport=2, flags="FSRPAUEC", urgptr=9,
    //        options=[(30, b"\x00\x81\x02\x03"), ("EOL", None)]) / b"!"
    const TCP_ALL_FLAGS_UNKNOWN_OPT: &str = "450000310003000040068e8cc0000202c633640200010002000000000000000070ff2000410e00091e0600810203000021";

    /// The segment inside a datagram, and its addresses.
    fn segment(datagram_hex: &str) -> (Vec<u8>, Ipv4Address, Ipv4Address) {
        let b = hex(datagram_hex);
        let ip = Ipv4Packet::new_checked(&b[..]).unwrap();
        assert_eq!(ip.protocol(), IpProtocol::TCP);
        (ip.payload().to_vec(), ip.src_addr(), ip.dst_addr())
    }

    fn options<'a>(p: &'a TcpPacket<&[u8]>) -> Vec<Result<TcpOption<'a>, Error>> {
        p.option_iter().collect()
    }

    /// Our checksum equals scapy's.
    fn check_checksum(seg: &[u8], src: Ipv4Address, dst: Ipv4Address) {
        let p = TcpPacket::new_checked(seg).unwrap();
        assert!(p.verify_checksum(src, dst));
        let mut b = seg.to_vec();
        let mut p = TcpPacket::new_checked(&mut b[..]).unwrap();
        p.set_checksum(0x1234);
        p.fill_checksum(src, dst);
        assert_eq!(b, seg, "checksum differs from scapy's");
    }

    #[test]
    fn syn_with_options() {
        let (seg, src, dst) = segment(TCP_SYN);
        let p = TcpPacket::new_checked(&seg[..]).unwrap();
        assert_eq!((p.src_port(), p.dst_port()), (40000, 80));
        assert_eq!((p.seq_number(), p.ack_number()), (0x0102_0304, 0));
        assert_eq!(p.header_len(), 40);
        assert_eq!(p.flags(), TcpFlags::SYN);
        assert!(
            p.syn()
                && !p.ack()
                && !p.fin()
                && !p.rst()
                && !p.psh()
                && !p.urg()
                && !p.ece()
                && !p.cwr()
        );
        assert_eq!(
            (p.window_len(), p.checksum(), p.urgent_at()),
            (64240, 0x9007, 0)
        );
        assert_eq!(p.options().len(), 20);
        assert!(p.payload().is_empty());
        assert_eq!(
            options(&p),
            vec![
                Ok(TcpOption::MaxSegmentSize(1460)),
                Ok(TcpOption::SackPermitted),
                Ok(TcpOption::Timestamps {
                    tsval: 12345,
                    tsecr: 0
                }),
                Ok(TcpOption::NoOperation),
                Ok(TcpOption::WindowScale(7)),
            ]
        );
        check_checksum(&seg, src, dst);
    }

    #[test]
    fn ack_with_sack_and_data() {
        let (seg, src, dst) = segment(TCP_ACK_SACK);
        let p = TcpPacket::new_checked(&seg[..]).unwrap();
        assert_eq!(
            (p.src_port(), p.dst_port(), p.seq_number(), p.ack_number()),
            (80, 40000, 5000, 7000)
        );
        assert_eq!(
            (p.flags(), p.window_len(), p.header_len()),
            (TcpFlags::ACK, 501, 52)
        );
        assert_eq!(p.payload(), b"data");
        let opts: Vec<_> = p.option_iter().collect::<Result<_, _>>().unwrap();
        assert_eq!(opts.len(), 6);
        assert_eq!(opts[2], TcpOption::Timestamps { tsval: 1, tsecr: 2 });
        let TcpOption::Sack(blocks) = opts[5] else {
            panic!("{:?}", opts[5])
        };
        assert_eq!(blocks.len(), 2);
        assert_eq!(
            blocks.iter().collect::<Vec<_>>(),
            vec![(1000, 2000), (3000, 4000)]
        );
        check_checksum(&seg, src, dst);
    }

    #[test]
    fn every_flag_and_an_unknown_option() {
        let (seg, src, dst) = segment(TCP_ALL_FLAGS_UNKNOWN_OPT);
        let p = TcpPacket::new_checked(&seg[..]).unwrap();
        assert!(
            p.fin() && p.syn() && p.rst() && p.psh() && p.ack() && p.urg() && p.ece() && p.cwr()
        );
        let all = TcpFlags::FIN
            | TcpFlags::SYN
            | TcpFlags::RST
            | TcpFlags::PSH
            | TcpFlags::ACK
            | TcpFlags::URG
            | TcpFlags::ECE
            | TcpFlags::CWR;
        assert_eq!(p.flags(), all);
        assert_eq!(p.urgent_at(), 9);
        assert_eq!(p.payload(), b"!");
        // The iterator stops at End of Option List: the padding after it is not read.
        assert_eq!(
            options(&p),
            vec![
                Ok(TcpOption::Unknown {
                    kind: TcpOptionKind::MPTCP,
                    data: &[0x00, 0x81, 0x02, 0x03]
                }),
                Ok(TcpOption::EndOfList)
            ]
        );
        check_checksum(&seg, src, dst);

        let mut b = seg.clone();
        let mut p = TcpPacket::new_checked(&mut b[..]).unwrap();
        p.set_flags(TcpFlags::SYN | TcpFlags::ACK);
        assert_eq!(
            (p.flags(), p.header_len()),
            (TcpFlags::SYN | TcpFlags::ACK, 28),
            "data offset kept"
        );
        p.set_header_len(20);
        assert_eq!(
            (p.flags(), p.header_len()),
            (TcpFlags::SYN | TcpFlags::ACK, 20),
            "flags kept"
        );
    }

    #[test]
    fn clamp_mss_matches_scapy() {
        for (before, after) in [
            (TCP_SYN, TCP_SYN_MSS1400),
            (TCP_SYN_ODD_MSS, TCP_SYN_ODD_MSS1400),
        ] {
            let (mut seg, src, dst) = segment(before);
            let (want, _, _) = segment(after);
            let mut p = TcpPacket::new_checked(&mut seg[..]).unwrap();
            assert!(!p.clamp_mss(1460), "already small enough");
            assert!(!p.clamp_mss(1500));
            assert!(p.clamp_mss(1400));
            assert_eq!(seg, want, "clamped segment differs from scapy's");
            let mut p = TcpPacket::new_checked(&mut seg[..]).unwrap();
            assert!(!p.clamp_mss(1400), "idempotent");
            assert!(p.verify_checksum(src, dst));
        }
    }

    #[test]
    fn malformed_options() {
        let (seg, src, dst) = segment(TCP_SYN);
        // Options start at 20: MSS(20..24) SACKOK(24..26) TS(26..36) NOP(36) WS(37..40).
        let cases: [(&[(usize, u8)], Error); 6] = [
            (&[(21, 0)], Error::BadOption),          // MSS length 0
            (&[(21, 1)], Error::BadOption),          // MSS length 1
            (&[(21, 3)], Error::BadOption),          // MSS with a wrong length
            (&[(38, 4)], Error::Truncated),          // WS running past the header
            (&[(27, 255)], Error::Truncated),        // TS running far past the header
            (&[(36, 5), (37, 3)], Error::BadOption), // SACK without a whole block
        ];
        for (edits, err) in cases {
            let mut b = seg.clone();
            for &(at, v) in edits {
                b[at] = v;
            }
            let p = TcpPacket::new_checked(&b[..]).unwrap();
            let got: Vec<_> = p.option_iter().collect();
            assert_eq!(got.last(), Some(&Err(err)), "{edits:?}: {got:?}");
            assert_eq!(
                got.iter().filter(|o| o.is_err()).count(),
                1,
                "one error, then nothing"
            );
            // Clamping stops at the error and never panics.
            let mut c = b.clone();
            let mut p = TcpPacket::new_checked(&mut c[..]).unwrap();
            p.fill_checksum(src, dst);
            let changed = p.clamp_mss(1000);
            assert!(p.verify_checksum(src, dst));
            assert_eq!(
                changed,
                edits[0].0 > 21,
                "{edits:?}: the MSS before the error is clamped"
            );
        }
        // A kind in the last byte, with no room for its length.
        let mut o = TcpOptions::new(&[1, 1, 2]);
        assert_eq!(o.next(), Some(Ok(TcpOption::NoOperation)));
        assert_eq!(o.next(), Some(Ok(TcpOption::NoOperation)));
        assert_eq!(o.next(), Some(Err(Error::Truncated)));
        assert_eq!(o.next(), None);
        let mut five_blocks = vec![5u8, 42];
        five_blocks.resize(42, 0);
        let mut o = TcpOptions::new(&five_blocks);
        assert_eq!(
            o.next(),
            Some(Err(Error::BadOption)),
            "more than four SACK blocks"
        );
    }

    #[test]
    fn header_length() {
        let (seg, _, _) = segment(TCP_SYN);
        assert_eq!(
            TcpPacket::new_checked(&seg[..19]).unwrap_err(),
            Error::Truncated
        );
        assert_eq!(
            TcpPacket::new_checked(&seg[..39]).unwrap_err(),
            Error::Truncated,
            "options cut off"
        );
        let mut b = seg.clone();
        b[12] = 0x40;
        assert_eq!(
            TcpPacket::new_checked(&b[..]).unwrap_err(),
            Error::BadHeaderLength
        );
        assert_eq!(
            TcpPacket::new_checked(&seg[..40]).unwrap().header_len() as usize,
            40
        );
        assert_eq!(HEADER_LEN, 20);
    }

    /// A SYN with random options around an MSS, any alignment, and a right checksum.
    fn arb_syn() -> impl Strategy<Value = (Vec<u8>, u32, u32)> {
        let filler = prop_oneof![
            Just(vec![1u8]),
            Just(vec![4u8, 2]),
            any::<u8>().prop_map(|s| vec![3u8, 3, s]),
            (any::<u32>(), any::<u32>()).prop_map(|(a, b)| [
                &[8u8, 10][..],
                &a.to_be_bytes(),
                &b.to_be_bytes()
            ]
            .concat()),
            proptest::collection::vec(any::<u8>(), 0..4).prop_map(|d| [
                &[200u8, d.len() as u8 + 2][..],
                &d
            ]
            .concat()),
        ];
        (
            proptest::collection::vec(filler.clone(), 0..4),
            any::<u16>(),
            proptest::collection::vec(filler, 0..3),
            proptest::collection::vec(any::<u8>(), 20),
            proptest::collection::vec(any::<u8>(), 0..30),
            any::<u32>(),
            any::<u32>(),
        )
            .prop_filter_map(
                "options fit 40 bytes",
                |(pre, mss, post, fixed, payload, src, dst)| {
                    let mut opts: Vec<u8> = pre.concat();
                    opts.extend_from_slice(&[2, 4]);
                    opts.extend_from_slice(&mss.to_be_bytes());
                    opts.extend(post.concat());
                    while opts.len() & 3 != 0 {
                        opts.push(0);
                    }
                    if opts.len() > 40 {
                        return None;
                    }
                    let mut seg = fixed;
                    seg[12] = (((20 + opts.len()) / 4) as u8) << 4;
                    seg[13] = 0x02;
                    seg.extend(opts);
                    seg.extend(payload);
                    let mut p = TcpPacket::new_checked(&mut seg[..]).unwrap();
                    p.fill_checksum(Ipv4Address::from_bits(src), Ipv4Address::from_bits(dst));
                    Some((seg, src, dst))
                },
            )
    }

    proptest! {
        #[test]
        fn clamp_mss_equals_recompute((mut seg, src, dst) in arb_syn(), max in any::<u16>()) {
            let (src, dst) = (Ipv4Address::from_bits(src), Ipv4Address::from_bits(dst));
            let mss_before = TcpPacket::new_checked(&seg[..]).unwrap().option_iter()
                .find_map(|o| match o { Ok(TcpOption::MaxSegmentSize(m)) => Some(m), _ => None }).unwrap();
            let mut p = TcpPacket::new_checked(&mut seg[..]).unwrap();
            let changed = p.clamp_mss(max);
            prop_assert_eq!(changed, mss_before > max);
            prop_assert!(p.verify_checksum(src, dst));
            let inc = p.checksum();
            p.fill_checksum(src, dst);
            let full = p.checksum();
            prop_assert!(inc == full || (inc, full) == (0, 0xffff) || (inc, full) == (0xffff, 0), "{:#x} vs {:#x}", inc, full);
            let mss_after = TcpPacket::new_checked(&seg[..]).unwrap().option_iter()
                .find_map(|o| match o { Ok(TcpOption::MaxSegmentSize(m)) => Some(m), _ => None }).unwrap();
            prop_assert_eq!(mss_after, mss_before.min(max));
        }

        #[test]
        fn never_panics(mut data in proptest::collection::vec(any::<u8>(), 0..200), off in 0u8..16) {
            if data.len() > 12 {
                data[12] = (data[12] & 0x0f) | (off << 4);
            }
            if let Ok(p) = TcpPacket::new_checked(&data[..]) {
                let _ = (p.src_port(), p.dst_port(), p.seq_number(), p.ack_number(), p.header_len(), p.flags());
                let _ = (p.window_len(), p.checksum(), p.urgent_at(), p.options(), p.payload(), p.verify_checksum(S, I));
                let n = p.option_iter().count();
                prop_assert!(n <= 40, "the iterator ends");
                for o in p.option_iter().flatten() {
                    if let TcpOption::Sack(b) = o {
                        prop_assert!((1..=4).contains(&b.len()));
                        let _ = b.iter().count();
                    }
                }
                let mut c = data.clone();
                let mut p = TcpPacket::new_checked(&mut c[..]).unwrap();
                let _ = (p.options_mut().len(), p.payload_mut().len());
                p.fill_checksum(S, I);
                p.clamp_mss(536);
                prop_assert!(p.verify_checksum(S, I));
            }
        }
    }

    #[test]
    fn pseudo_header_sum() {
        // The TCP_SYN checksum by hand: pseudo-header + segment.
        let (seg, src, dst) = segment(TCP_SYN);
        let ph = checksum::pseudo_header_v4(src.to_bits(), dst.to_bits(), 6, seg.len() as u16);
        assert_eq!(checksum::fold(ph + checksum::sum(&seg)), 0xffff);
    }
}
