//! What our encoders emit, decoded by Wireshark's dissectors (ARCHITECTURE.md, testing
//! level 2): every frame must decode with no malformed packet, no expert warning or
//! error (bad checksums included), and with the field values we meant to write.
//!
//! Needs `tshark` on the PATH; without it the test says so and checks nothing more
//! than that the frames build. Set `DPVPN_WIRE_PCAP=path` to keep the capture.

// In a module so that `cargo test wire` selects these tests by name.
mod wire_tshark {
    use dataplane::wire::tcp::TcpPacket;
    use dataplane::wire::{
        emit_l2, ArpOperation, ArpRepr, EtherType, EthernetAddress, Icmpv4DstUnreachable,
        Icmpv4Repr, Icmpv4TimeExceeded, IpProtocol, Ipv4Address, Ipv4Repr, L2Header, UdpRepr,
        VlanTag,
    };
    use std::process::Command;

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
    const I: Ipv4Address = Ipv4Address::new(198, 51, 100, 2);

    // scapy: IP(src=S, dst=I, id=1) / TCP(sport=40000, dport=80, flags="S", seq=0x01020304, window=64240,
    //        options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (12345, 0)), ("NOP", None), ("WScale", 7)])
    const TCP_SYN: &str = "4500003c0001000040068e83c0000202c63364029c4000500102030400000000a002faf090070000020405b40402080a000030390000000001030307";

    // ORIG_TCP = IP(src=S, dst=I, flags="DF", id=0x99, ttl=63) / TCP(sport=40000, dport=443, flags="A",
    //            seq=1, ack=1) / (b"Z" * 1460)                  (1500 bytes)
    // scapy: ICMP(type=3, code=4, nexthopmtu=1492) / ORIG_TCP[:548]; the hex is its first 68
    // bytes, the rest is b"Z".
    const ICMP_FRAG_NEEDED_548_HEAD: &str =
        "0304e92e000005d4450005dc009940003f06494bc0000202c63364029c4001bb0000000100000001501020005a450000";

    /// The fields tshark prints for each frame, in this order.
    const FIELDS: [&str; 21] = [
        "ip.checksum.status",
        "icmp.checksum.status",
        "udp.checksum.status",
        "tcp.checksum.status",
        "ieee8021ad.id",
        "ieee8021ad.priority",
        "vlan.id",
        "vlan.priority",
        "vlan.dei",
        "eth.type",
        "arp.opcode",
        "arp.src.proto_ipv4",
        "ip.src",
        "ip.dst",
        "ip.ttl",
        "icmp.type",
        "icmp.code",
        "icmp.mtu",
        "udp.dstport",
        "l2tp.tunnel",
        "tcp.options.mss_val",
    ];

    struct Frame {
        bytes: Vec<u8>,
        /// (field, value as tshark prints it; repeated fields joined by `|`)
        expect: Vec<(&'static str, &'static str)>,
        /// An expert message to let pass, and why.
        tolerate: Option<&'static str>,
    }

    fn l2(buf: &mut Vec<u8>, outer: Option<VlanTag>, inner: Option<VlanTag>, ethertype: EtherType) {
        let h = L2Header {
            dst: B,
            src: A,
            outer_vlan: outer,
            inner_vlan: inner,
            ethertype,
            header_len: 0,
        };
        let mut b = [0u8; 22];
        let n = emit_l2(&h, &mut b).unwrap();
        buf.extend_from_slice(&b[..n]);
    }

    /// Ethernet + our IPv4 header + an ICMP message from our Repr.
    fn icmp_frame(src: Ipv4Address, dst: Ipv4Address, icmp: Icmpv4Repr) -> Vec<u8> {
        let mut f = Vec::new();
        l2(&mut f, None, None, EtherType::IPV4);
        let ip = Ipv4Repr {
            src,
            dst,
            protocol: IpProtocol::ICMP,
            payload_len: icmp.buffer_len() as u16,
            ttl: 64,
            dscp_ecn: 0xc0,
            ident: 0,
            dont_frag: false,
        };
        let at = f.len();
        f.resize(at + 20 + icmp.buffer_len(), 0);
        ip.emit(&mut f[at..]).unwrap();
        icmp.emit(&mut f[at + 20..]).unwrap();
        f
    }

    fn udp_frame(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
        let mut f = Vec::new();
        l2(&mut f, None, None, EtherType::IPV4);
        let udp = UdpRepr {
            src_port: sport,
            dst_port: dport,
            payload,
        };
        let ip = Ipv4Repr {
            src: S,
            dst: I,
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
        udp.emit(&mut f[at + 20..], S, I).unwrap();
        f
    }

    fn frames() -> Vec<Frame> {
        let mut out = Vec::new();

        // QinQ-tagged ARP reply.
        let mut f = Vec::new();
        let outer = VlanTag {
            tpid: EtherType::QINQ,
            pcp: 5,
            dei: false,
            vid: 100,
        };
        let inner = VlanTag {
            tpid: EtherType::VLAN,
            pcp: 0,
            dei: false,
            vid: 200,
        };
        l2(&mut f, Some(outer), Some(inner), EtherType::ARP);
        let arp = ArpRepr::EthernetIpv4 {
            operation: ArpOperation::REPLY,
            source_hardware_addr: A,
            source_protocol_addr: R,
            target_hardware_addr: B,
            target_protocol_addr: S,
        };
        let at = f.len();
        f.resize(at + arp.buffer_len(), 0);
        arp.emit(&mut f[at..]).unwrap();
        out.push(Frame {
            tolerate: None,
            bytes: f,
            expect: vec![
                ("ieee8021ad.id", "100"),
                ("ieee8021ad.priority", "5"),
                ("vlan.id", "200"),
                ("vlan.priority", "0"),
                ("arp.opcode", "2"),
                ("arp.src.proto_ipv4", "192.0.2.1"),
            ],
        });

        let echo = Icmpv4Repr::EchoRequest {
            ident: 0x1234,
            seq_no: 1,
            data: b"abcdefghijklmnop",
        };
        out.push(Frame {
            bytes: icmp_frame(S, I, echo),
            expect: vec![
                ("ip.src", "192.0.2.2"),
                ("ip.dst", "198.51.100.2"),
                ("ip.checksum.status", "1"),
                ("icmp.type", "8"),
                ("icmp.checksum.status", "1"),
            ],
            tolerate: None,
        });

        // The offending datagram for the errors: scapy's full-size DF TCP segment, the
        // head quoted in ICMP_FRAG_NEEDED_548_HEAD, then its b"Z" payload.
        let mut orig = hex(ICMP_FRAG_NEEDED_548_HEAD)[8..].to_vec();
        orig.resize(1500, b'Z');
        let frag_needed = Icmpv4Repr::DstUnreachable {
            code: Icmpv4DstUnreachable::FRAG_NEEDED,
            next_hop_mtu: 1492,
            invoking: &orig,
        };
        out.push(Frame {
            bytes: icmp_frame(R, S, frag_needed),
            expect: vec![
                ("ip.checksum.status", "1|1"),
                ("icmp.type", "3"),
                ("icmp.code", "4"),
                ("icmp.mtu", "1492"),
                ("icmp.checksum.status", "1"),
            ],
            // tshark checks the quoted TCP segment's checksum over the 528 quoted bytes
            // of its 1480; scapy's own frag-needed (ICMP_FRAG_NEEDED_548) gets the same.
            tolerate: Some("Bad checksum [should be 0x5dfd]"),
        });
        let ttl = Icmpv4Repr::TimeExceeded {
            code: Icmpv4TimeExceeded::TTL_EXPIRED,
            invoking: &orig[..28],
        };
        out.push(Frame {
            bytes: icmp_frame(R, S, ttl),
            expect: vec![
                ("icmp.type", "11"),
                ("icmp.code", "0"),
                ("icmp.checksum.status", "1"),
            ],
            tolerate: None,
        });

        // An L2TP ZLB acknowledgement (RFC 2661 §5.8): T, L, S, version 2, length 12,
        // tunnel 7, session 0, Ns 0, Nr 1.
        let zlb = hex("c802000c0007000000000001");
        out.push(Frame {
            bytes: udp_frame(1701, 1701, &zlb),
            expect: vec![
                ("udp.dstport", "1701"),
                ("udp.checksum.status", "1"),
                ("l2tp.tunnel", "7"),
            ],
            tolerate: None,
        });
        // A UDP checksum that computes to zero goes out as 0xffff.
        let zero_sum = udp_frame(1701, 1701, &hex("0658"));
        assert_eq!(zero_sum[14 + 26..14 + 28], [0xff, 0xff]);
        out.push(Frame {
            bytes: zero_sum,
            expect: vec![("udp.dstport", "1701"), ("udp.checksum.status", "1")],
            tolerate: None,
        });

        // scapy's SYN, MSS clamped in place by us, behind a one-tag header.
        let mut f = Vec::new();
        let tag = VlanTag {
            tpid: EtherType::VLAN,
            pcp: 0,
            dei: true,
            vid: 4094,
        };
        l2(&mut f, Some(tag), None, EtherType::IPV4);
        let mut ip = hex(TCP_SYN);
        assert!(TcpPacket::new_checked(&mut ip[20..])
            .unwrap()
            .clamp_mss(1400));
        f.extend_from_slice(&ip);
        out.push(Frame {
            bytes: f,
            expect: vec![
                ("vlan.id", "4094"),
                ("vlan.dei", "1"),
                ("tcp.options.mss_val", "1400"),
                ("tcp.checksum.status", "1"),
            ],
            tolerate: None,
        });
        out
    }

    /// A libpcap file: the global header (magic, version 2.4, zone, sigfigs, snaplen,
    /// LINKTYPE_ETHERNET), then per frame ts_sec, ts_usec, incl_len, orig_len and the
    /// bytes; little endian, as the magic says.
    fn pcap(frames: &[Frame]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        b.extend_from_slice(&2u16.to_le_bytes());
        b.extend_from_slice(&4u16.to_le_bytes());
        for v in [0u32, 0, 65535, 1] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        for (i, f) in frames.iter().enumerate() {
            let len = f.bytes.len() as u32;
            for v in [i as u32, 0, len, len] {
                b.extend_from_slice(&v.to_le_bytes());
            }
            b.extend_from_slice(&f.bytes);
        }
        b
    }

    #[test]
    fn tshark_decodes_what_we_emit() {
        let frames = frames();
        let path = std::env::var("DPVPN_WIRE_PCAP").unwrap_or_else(|_| {
            std::env::temp_dir()
                .join(format!("dpvpn-wire-{}.pcap", std::process::id()))
                .display()
                .to_string()
        });
        std::fs::write(&path, pcap(&frames)).unwrap();
        let mut cmd = Command::new("tshark");
        cmd.args(["-n", "-r", &path])
            .args([
                "-o",
                "ip.check_checksum:TRUE",
                "-o",
                "udp.check_checksum:TRUE",
                "-o",
                "tcp.check_checksum:TRUE",
            ])
            .args([
                "-T",
                "fields",
                "-E",
                "separator=/t",
                "-E",
                "occurrence=a",
                "-E",
                "aggregator=|",
            ])
            .args([
                "-e",
                "_ws.expert.severity",
                "-e",
                "_ws.expert.message",
                "-e",
                "_ws.malformed",
            ]);
        for f in FIELDS {
            cmd.args(["-e", f]);
        }
        // tshark is an oracle, not an option: scripts/deps.sh installs it. A missing
        // tshark fails the test rather than letting it pass unchecked.
        let out = cmd.output().unwrap_or_else(|e| panic!("cannot run tshark ({e}); install it (scripts/deps.sh)"));
        if std::env::var("DPVPN_WIRE_PCAP").is_err() {
            let _ = std::fs::remove_file(&path);
        }
        assert!(
            out.status.success(),
            "tshark failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), frames.len(), "{text}");
        for (n, (line, frame)) in lines.iter().zip(&frames).enumerate() {
            let n = n + 1;
            let cols: Vec<&str> = line.split('\t').collect();
            // Expert severities: chat 0x200000, note 0x400000, warn 0x600000, error 0x800000.
            let sevs = cols[0].split('|').filter(|s| !s.is_empty());
            for (sev, msg) in sevs.zip(cols[1].split('|')) {
                let sev: u32 = sev.parse().unwrap();
                assert!(
                    sev < 0x60_0000 || frame.tolerate == Some(msg),
                    "frame {n}: tshark says {msg:?}"
                );
            }
            assert_eq!(cols[2], "", "frame {n}: malformed");
            for (field, want) in &frame.expect {
                let i = 3 + FIELDS.iter().position(|f| f == field).unwrap();
                assert_eq!(cols[i], *want, "frame {n}: {field}");
            }
        }
    }
}
