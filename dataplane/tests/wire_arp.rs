//! ARP against frames built by scapy (tests/oracle/golden.py).

// In a module so that `cargo test wire` selects these tests by name.
mod wire_arp {
    use dataplane::wire::arp::PACKET_LEN;
    use dataplane::wire::{
        parse_l2, ArpOperation, ArpPacket, ArpRepr, Error, EtherType, EthernetAddress, Ipv4Address,
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
    const R: Ipv4Address = Ipv4Address::new(192, 0, 2, 1);
    const S: Ipv4Address = Ipv4Address::new(192, 0, 2, 2);

    // scapy: Ether(dst=BC, src=B) / ARP(op=1, hwsrc=B, psrc=S, pdst=R) / Padding(load=b"\x00" * 18)
    const ARP_REQUEST: &str = "ffffffffffff02000000000208060001080006040001020000000002c0000202000000000000c0000201000000000000000000000000000000000000";
    // scapy: Ether(dst=B, src=A) / ARP(op=2, hwsrc=A, psrc=R, hwdst=B, pdst=S)
    const ARP_REPLY: &str =
        "02000000000202000000000108060001080006040002020000000001c0000201020000000002c0000202";
    // scapy: ARP(hwtype=6, op=1, hwsrc=B, psrc=S, pdst=R) — scapy writes the hardware
    // address of an unknown hardware type as text, hardware length 17.
    const ARP_IEEE802: &str = "000608001104000130323a30303a30303a30303a30303a3032c0000202c0000201";

    #[test]
    fn request_in_a_padded_frame() {
        let f = hex(ARP_REQUEST);
        assert_eq!(f.len(), 60);
        let l2 = parse_l2(&f).unwrap();
        assert_eq!(l2.ethertype, EtherType::ARP);
        let p = ArpPacket::new_checked(&f[l2.header_len..]).unwrap();
        assert_eq!(
            (
                p.hardware_type(),
                p.protocol_type(),
                p.hardware_len(),
                p.protocol_len()
            ),
            (1, 0x0800, 6, 4)
        );
        assert!(p.is_ethernet_ipv4());
        assert_eq!(p.operation(), ArpOperation::REQUEST);
        assert_eq!(p.source_hardware_addr(), B);
        assert_eq!(p.source_protocol_addr(), S);
        assert_eq!(p.target_hardware_addr(), EthernetAddress([0; 6]));
        assert_eq!(p.target_protocol_addr(), R);
        assert_eq!(
            ArpRepr::parse(&p),
            Ok(ArpRepr::EthernetIpv4 {
                operation: ArpOperation::REQUEST,
                source_hardware_addr: B,
                source_protocol_addr: S,
                target_hardware_addr: EthernetAddress([0; 6]),
                target_protocol_addr: R,
            })
        );
    }

    #[test]
    fn reply_emitted_as_scapy_builds_it() {
        let f = hex(ARP_REPLY);
        let repr = ArpRepr::EthernetIpv4 {
            operation: ArpOperation::REPLY,
            source_hardware_addr: A,
            source_protocol_addr: R,
            target_hardware_addr: B,
            target_protocol_addr: S,
        };
        assert_eq!(repr.buffer_len(), PACKET_LEN);
        let mut out = [0u8; PACKET_LEN];
        repr.emit(&mut out).unwrap();
        assert_eq!(out[..], f[14..]);
        assert_eq!(
            ArpRepr::parse(&ArpPacket::new_checked(&f[14..]).unwrap()),
            Ok(repr)
        );
        assert_eq!(repr.emit(&mut out[..27]), Err(Error::BufferTooSmall));
    }

    #[test]
    fn answer_in_place() {
        // What arp_input does: turn the request into the reply, field by field.
        let mut f = hex(ARP_REQUEST);
        let mut p = ArpPacket::new_checked(&mut f[14..]).unwrap();
        p.set_operation(ArpOperation::REPLY);
        p.set_target_hardware_addr(B);
        p.set_target_protocol_addr(S);
        p.set_source_hardware_addr(A);
        p.set_source_protocol_addr(R);
        assert_eq!(f[14..42], hex(ARP_REPLY)[14..]);
    }

    #[test]
    fn other_hardware_types_are_refused() {
        let b = hex(ARP_IEEE802);
        let p = ArpPacket::new_checked(&b[..]).unwrap();
        assert_eq!((p.hardware_type(), p.hardware_len()), (6, 17));
        assert!(!p.is_ethernet_ipv4());
        assert_eq!(ArpRepr::parse(&p), Err(Error::Unsupported));
        // Each of the four fields on its own.
        let good = hex(ARP_REPLY)[14..].to_vec();
        for (at, v) in [(1, 6u8), (2, 0x86), (4, 8), (5, 16)] {
            let mut b = good.clone();
            b[at] = v;
            assert_eq!(
                ArpRepr::parse(&ArpPacket::new_checked(&b[..]).unwrap()),
                Err(Error::Unsupported)
            );
        }
        assert_eq!(
            ArpPacket::new_checked(&good[..27]).unwrap_err(),
            Error::Truncated
        );
        // A Repr over an unchecked short view is an error, not a panic.
        assert_eq!(
            ArpRepr::parse(&ArpPacket::new_unchecked(&good[..10])),
            Err(Error::Truncated)
        );
    }

    proptest! {
        #[test]
        fn round_trip(op in any::<u16>(), sha in any::<[u8; 6]>(), spa in any::<u32>(), tha in any::<[u8; 6]>(), tpa in any::<u32>()) {
            let r = ArpRepr::EthernetIpv4 {
                operation: ArpOperation(op),
                source_hardware_addr: EthernetAddress(sha),
                source_protocol_addr: Ipv4Address::from_bits(spa),
                target_hardware_addr: EthernetAddress(tha),
                target_protocol_addr: Ipv4Address::from_bits(tpa),
            };
            let mut b = [0u8; PACKET_LEN];
            r.emit(&mut b).unwrap();
            prop_assert_eq!(ArpRepr::parse(&ArpPacket::new_checked(&b[..]).unwrap()), Ok(r));
        }

        #[test]
        fn never_panics(mut data in proptest::collection::vec(any::<u8>(), 0..200), eth_ipv4 in any::<bool>()) {
            if eth_ipv4 && data.len() >= 6 {
                data[..6].copy_from_slice(&[0, 1, 8, 0, 6, 4]);
            }
            let _ = ArpRepr::parse(&ArpPacket::new_unchecked(&data[..]));
            if let Ok(p) = ArpPacket::new_checked(&data[..]) {
                let _ = (p.hardware_type(), p.protocol_type(), p.hardware_len(), p.protocol_len(), p.operation());
                let _ = (p.source_hardware_addr(), p.source_protocol_addr(), p.target_hardware_addr(), p.target_protocol_addr());
                prop_assert_eq!(ArpRepr::parse(&p).is_ok(), p.is_ethernet_ipv4());
            }
        }
    }
}
