//! `ppp_input` and `session_encap` for a carrier other than PPPoE, over heap packets: an
//! L2TP session whose template is the longest a record holds (96 bytes: QinQ + IPv4 +
//! UDP + L2TP with every optional field + PPP with Address/Control). Downstream IPv4
//! comes out with every patched field right; upstream PPP frames handed to `ppp_input`
//! at their offset are forwarded, dropped, answered (LCP echo, through the template) or
//! punted (with session, generation and PPP offset) as PPPoE's are. Frames are built by
//! hand (RFC 2661 §3.1, RFC 1661 §2, §5.8); tshark decodes what comes out.

mod common;
mod l2tp_fixture;
mod oracle_util;

use common::*;
use dataplane::counters::{Count, DropReason};
use dataplane::packet::{HeapPacket, Packet};
use dataplane::session::ECHO_OFFLOAD;
use dataplane::stages::{process_burst, process_ppp_burst, Ctx, Next, PppPunt, Punt, PuntLimits};
use l2tp_fixture::*;

fn ctx<'a>(w: &'a World, fast: bool) -> Ctx<'a> {
    let mut c = Ctx::new(&w.tables, &w.counters, 0, 1_000_000, PuntLimits::default());
    c.now = 1;
    c.fast_paths = fast;
    c
}

/// Downstream: `frame` received on the uplink.
fn down(w: &World, frame: Vec<u8>, fast: bool) -> (HeapPacket, Next) {
    let mut pkts = vec![HeapPacket::new(&frame)];
    let mut next = [Next::Drop(DropReason::Internal)];
    process_burst(&mut ctx(w, fast), UP, &mut pkts, &mut next);
    (pkts.remove(0), next[0])
}

/// Upstream: L2TP data messages carrying `ppps`, handed to `ppp_input` as an l2tp_input
/// stage would (session `index`, PPP header at [`UP_PPP_AT`]).
fn up(w: &World, index: u32, ppps: &[Vec<u8>], fast: bool) -> Vec<(HeapPacket, Next)> {
    let mut pkts: Vec<HeapPacket> = ppps.iter().map(|p| HeapPacket::new(&upstream(p))).collect();
    let at = vec![(index, UP_PPP_AT); pkts.len()];
    let mut next = vec![Next::Drop(DropReason::Internal); pkts.len()];
    process_ppp_burst(&mut ctx(w, fast), UP, &mut pkts, &at, &mut next);
    pkts.into_iter().zip(next).collect()
}

fn ppp(header: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut f = header.to_vec();
    f.extend_from_slice(payload);
    f
}

/// The frame starts with the 96-byte template, its patched fields right for a frame of
/// this length: IPv4 Total Length and checksum, UDP Length and checksum (over the whole
/// datagram), L2TP Length; every other byte as the template has it, and the PPP
/// protocol `proto`.
fn assert_template_patched(d: &[u8], proto: [u8; 2]) {
    let t = template96();
    let n = d.len();
    assert_eq!(&d[..22], &t[..22], "Ethernet and both tags");
    // IPv4 (RFC 791): Total Length from the header to the end, checksum valid.
    let ip = &d[22..42];
    assert_eq!(u16::from_be_bytes([ip[2], ip[3]]) as usize, n - 22, "IPv4 Total Length");
    assert_eq!(csum(ip), 0, "IPv4 header checksum");
    assert_eq!((&ip[..2], &ip[4..10], &ip[12..]), (&t[22..24], &t[26..32], &t[34..42]));
    // UDP (RFC 768): Length, and a checksum over pseudo-header and datagram.
    let udp = &d[42..];
    assert_eq!(&udp[..4], &t[42..46], "ports");
    assert_eq!(u16::from_be_bytes([udp[4], udp[5]]) as usize, n - 42, "UDP Length");
    assert_ne!(&udp[6..8], &[0, 0], "UDP checksum present (RFC 2661 §8.1)");
    let mut z = udp.to_vec();
    z[6..8].fill(0);
    let c = udp_csum(UP_IP, LAC_IP, &z);
    assert_eq!(u16::from_be_bytes([udp[6], udp[7]]), if c == 0 { 0xffff } else { c }, "UDP checksum");
    // L2TP (RFC 2661 §3.1): Length is the whole message.
    assert_eq!(&d[50..52], &[0x4a, 0x02]);
    assert_eq!(u16::from_be_bytes([d[52], d[53]]) as usize, n - 50, "L2TP Length");
    assert_eq!(&d[54..92], &t[54..92], "ids, Ns, Nr, offset size and pad");
    assert_eq!(&d[92..96], &[0xff, 0x03, proto[0], proto[1]]);
}

#[test]
fn downstream_ipv4_leaves_through_the_96_byte_template_with_every_field_patched() {
    let mut w = world(true);
    let (idx, _) = with_l2tp_session(&mut w, 0);
    for len in [0usize, 1, 100, 1351] {
        let ip = ipv4(INET, L2TP_PEER, 64, 17, false, &vec![7; len]);
        let (p, n) = down(&w, eth(UP_MAC, INET_MAC, 0x0800, &ip), true);
        assert_eq!(n, Next::Tx(UP), "payload {len}");
        let d = p.data();
        assert_eq!(d.len(), 96 + ip.len());
        assert_template_patched(d, [0x00, 0x21]);
        assert_eq!(d[96 + 8], 63, "TTL decremented");
        assert_eq!(csum(&d[96..116]), 0);
        assert_eq!(&d[116..], &ip[20..], "payload untouched");
    }
    let t = w.tables.sessions.traffic(idx);
    assert_eq!(t.tx_packets, 4);
    assert_eq!(w.counters.get(Count::L2tpEncap), 4);
    assert_eq!(w.counters.get(Count::PppoeEncap), 0);
    // Over the session's MRU (1400) with DF: fragmentation needed back to the sender.
    let big = ipv4(INET, L2TP_PEER, 64, 17, true, &[0; 1400]);
    let (p, n) = down(&w, eth(UP_MAC, INET_MAC, 0x0800, &big), true);
    assert_eq!(n, Next::Tx(UP));
    assert_eq!(&p.data()[14 + 26..14 + 28], &1400u16.to_be_bytes());
}

#[test]
fn upstream_ppp_is_forwarded_dropped_answered_or_punted_as_for_pppoe() {
    let mut w = world(true);
    let (idx, generation) = with_l2tp_session(&mut w, ECHO_OFFLOAD);
    let ip = ipv4(L2TP_PEER, INET, 64, 17, false, &[3; 30]);
    let mut echo = vec![0x09, 0x77, 0x00, 0x0c, 0xca, 0xfe, 0xba, 0xbe, 1, 2, 3, 4];
    let ipcp = [0x01, 0x01, 0x00, 0x04];
    let frames = vec![
        ppp(&[0xff, 0x03, 0x00, 0x21], &ip),                                    // 0 forwarded
        ppp(&[0x00, 0x21], &ip),                                                // 1 ACFC
        ppp(&[0xff, 0x03, 0x21], &ip),                                          // 2 PFC
        ppp(&[0x21], &ip),                                                      // 3 both
        ppp(&[0xff, 0x03, 0x00, 0x21], &ipv4(L2TP_PEER + 1, INET, 64, 17, false, &[0; 8])), // 4 spoofed
        ppp(&[0xff, 0x03, 0x00, 0x57], &[0x60; 40]),                            // 5 IPv6
        ppp(&[0xff, 0x03, 0xc0, 0x21], &echo),                                  // 6 echo
        ppp(&[0xc0, 0x21], &echo),                                              // 7 echo, ACFC
        ppp(&[0xff, 0x03, 0x80, 0x21], &ipcp),                                  // 8 IPCP
        ppp(&[0xff, 0x03], &[]),                                                // 9 no protocol
    ];
    let out = up(&w, idx, &frames, true);
    for (i, (p, n)) in out[..4].iter().enumerate() {
        assert_eq!(*n, Next::Tx(UP), "frame {i}");
        let d = p.data();
        assert_eq!((&d[0..6], &d[6..12], &d[12..14]), (&INET_MAC[..], &UP_MAC[..], &[0x08, 0x00][..]), "frame {i}");
        assert_eq!(d.len(), 14 + ip.len(), "frame {i}: carrier headers and padding gone");
        assert_eq!(d[14 + 8], 63);
    }
    assert_eq!(out[4].1, Next::Drop(DropReason::PppSourceSpoofed));
    assert_eq!(out[5].1, Next::Drop(DropReason::PppProtocolNotOpen));
    assert_eq!(out[9].1, Next::Drop(DropReason::PppTruncated));
    // The Echo-Reply goes back through the session's template (RFC 1661 §5.8: same
    // Identifier and data, our magic).
    let mut reply = vec![0x0a, 0x77, 0x00, 0x0c];
    reply.extend_from_slice(&L2TP_MAGIC.to_be_bytes());
    reply.extend_from_slice(&[1, 2, 3, 4]);
    for i in [6, 7] {
        let (p, n) = &out[i];
        assert_eq!(*n, Next::Tx(UP), "frame {i}");
        assert_template_patched(p.data(), [0xc0, 0x21]);
        assert_eq!(&p.data()[96..], &reply[..], "frame {i}");
    }
    // IPCP to the control core, with where its PPP header is.
    let (p, n) = &out[8];
    assert_eq!(*n, Next::Punt(Punt::ppp_control(UP, PppPunt { index: idx, generation, ppp_offset: UP_PPP_AT })));
    assert_eq!(&p.data()[UP_PPP_AT as usize..], &frames[8][..]);
    // Our own magic back (a looped link): the control core's business.
    echo[4..8].copy_from_slice(&L2TP_MAGIC.to_be_bytes());
    let looped = up(&w, idx, &[ppp(&[0xff, 0x03, 0xc0, 0x21], &echo)], true);
    assert!(matches!(looped[0].1, Next::Punt(_)));

    assert_eq!(w.counters.get(Count::L2tpDecap), 4);
    assert_eq!(w.counters.get(Count::PppoeDecap), 0);
    assert_eq!(w.counters.get(Count::LcpEchoReplies), 2);
    assert_eq!(w.tables.sessions.traffic(idx).rx_packets, 4);

    // Without echo offload the echo is punted; once the session is gone, nothing passes.
    w.sessions.set_echo_offload(idx, false).unwrap();
    assert!(matches!(up(&w, idx, &frames[6..7], true)[0].1, Next::Punt(_)));
    w.sessions.remove(idx).unwrap();
    assert_eq!(up(&w, idx, &frames[..1], true)[0].1, Next::Drop(DropReason::SessionDown));
}

#[test]
fn fast_paths_and_the_general_code_agree_on_the_l2tp_session() {
    let build = || {
        let mut w = world(true);
        let (idx, _) = with_l2tp_session(&mut w, ECHO_OFFLOAD);
        (w, idx)
    };
    let ip = ipv4(L2TP_PEER, INET, 64, 6, false, &[0; 40]);
    let ups = vec![
        ppp(&[0xff, 0x03, 0x00, 0x21], &ip),
        ppp(&[0x21], &ipv4(L2TP_PEER, INET, 1, 17, false, &[0; 8])),
        ppp(&[0xff, 0x03, 0xc0, 0x21], &[0x09, 1, 0, 8, 0, 0, 0, 1]),
        ppp(&[0xff, 0x03, 0xc0, 0x23], &[1, 1, 0, 4]),
        ppp(&[0xff], &[]),
    ];
    let downs = [
        eth(UP_MAC, INET_MAC, 0x0800, &ipv4(INET, L2TP_PEER, 64, 17, false, &[5; 64])),
        eth(UP_MAC, INET_MAC, 0x0800, &ipv4(INET, L2TP_PEER, 1, 17, false, &[5; 64])),
        eth(UP_MAC, INET_MAC, 0x0800, &ipv4(INET, L2TP_PEER, 64, 17, true, &[5; 1500])),
    ];
    let (a, ia) = build();
    let (b, ib) = build();
    assert_eq!(ia, ib);
    let run = |w: &World, fast: bool| -> Vec<(Vec<u8>, Next)> {
        let mut out: Vec<_> = up(w, ia, &ups, fast).into_iter().map(|(p, n)| (p.data().to_vec(), n)).collect();
        out.extend(downs.iter().map(|f| {
            let (p, n) = down(w, f.clone(), fast);
            (p.data().to_vec(), n)
        }));
        out
    };
    let (x, y) = (run(&a, true), run(&b, false));
    for (i, (x, y)) in x.iter().zip(&y).enumerate() {
        assert_eq!(x.1, y.1, "frame {i}: verdicts differ");
        assert_eq!(x.0, y.0, "frame {i}: bytes differ");
    }
    for &c in Count::ALL {
        assert_eq!(a.counters.get(c), b.counters.get(c), "{}", c.name());
    }
    for &r in DropReason::ALL {
        assert_eq!(a.counters.dropped(r), b.counters.dropped(r), "drop {}", r.name());
    }
}

#[test]
fn tshark_decodes_the_encapsulated_packet_and_the_echo_reply() {
    let mut w = world(true);
    let (idx, _) = with_l2tp_session(&mut w, ECHO_OFFLOAD);
    let ip = ipv4(INET, L2TP_PEER, 64, 1, false, &echo_request(56));
    let (d, n) = down(&w, eth(UP_MAC, INET_MAC, 0x0800, &ip), true);
    assert_eq!(n, Next::Tx(UP));
    let echo = ppp(&[0xff, 0x03, 0xc0, 0x21], &[0x09, 0x77, 0x00, 0x0c, 0xca, 0xfe, 0xba, 0xbe, 1, 2, 3, 4]);
    let (e, n) = up(&w, idx, &[echo], true).remove(0);
    assert_eq!(n, Next::Tx(UP));
    let fields = [
        "ieee8021ad.id",
        "vlan.id",
        "ip.len",
        "ip.checksum.status",
        "udp.length",
        "udp.checksum.status",
        "l2tp.length",
        "l2tp.tunnel",
        "l2tp.session",
        "l2tp.offset",
        "ppp.protocol",
        "ppp.code",
        "lcp.magic_number",
    ];
    let out = oracle_util::tshark(&[d.data().to_vec(), e.data().to_vec()], &fields, &[], &[]);
    assert_eq!(out.len(), 2);
    let (dl, el) = (d.len() - 22, e.len() - 22);
    let want: [Vec<String>; 2] = [
        // The inner IPv4 header too: outer|inner.
        ["10", "20", &format!("{dl}|{}", ip.len()), "1|1", &(dl - 20).to_string(), "1", &(dl - 28).to_string(), "2989", "51966", "28", "0x0021", "", ""]
            .map(String::from)
            .to_vec(),
        ["10", "20", &el.to_string(), "1", &(el - 20).to_string(), "1", &(el - 28).to_string(), "2989", "51966", "28", "0xc021", "10", "0x55667788"]
            .map(String::from)
            .to_vec(),
    ];
    for (i, (o, want)) in out.iter().zip(&want).enumerate() {
        assert!(!o.malformed && o.expert.is_empty(), "frame {i}: {o:?}");
        assert_eq!(&o.fields, want, "frame {i}");
    }
}
