//! `frame_control`, the framing the control core sends LCP, authentication and IPCP with
//! through any carrier, against implementations we did not write: scapy builds each
//! carrier's template (PPPoE over 802.1Q, L2TP over UDP over IPv4 over QinQ, PPTP's
//! enhanced GRE over IPv4), and tshark decodes what `frame_control` makes of them with
//! no malformed packet or expert warning, with the lengths, checksums and GRE numbers
//! right (ARCHITECTURE.md, testing level 2).

mod oracle_util;

use dataplane::session::{frame_control, GreNumbers, Patches, Template};
use dataplane::wire::ppp::PppProtocol;
use oracle_util::{hex, scapy, tshark};

/// LCP Configure-Request (RFC 1661 §5.1): id 1, MRU 1492 (§6.1), Magic-Number (§6.4).
const CONF_REQ: [u8; 14] = [0x01, 0x01, 0x00, 0x0e, 0x01, 0x04, 0x05, 0xd4, 0x05, 0x06, 0x12, 0x34, 0x56, 0x78];
/// LCP Echo-Request (§5.8): id 7, magic, 4 bytes of data.
const ECHO_REQ: [u8; 12] = [0x09, 0x07, 0x00, 0x0c, 0x12, 0x34, 0x56, 0x78, 1, 2, 3, 4];

const ETH: &str = "Ether(dst='02:00:00:00:1a:0c', src='02:00:00:00:0b:01')";
const IP: &str = "IP(src='198.51.100.1', dst='198.51.100.9', flags='DF', id=0, ttl=64)";

/// The bytes scapy builds for `layers` (a scapy expression).
fn built(layers: &str) -> Vec<u8> {
    hex(scapy(&format!("print(bytes({layers}).hex())")).trim())
}

fn frames(t: &Template, gre: GreNumbers) -> Vec<Vec<u8>> {
    [(PppProtocol::LCP, &CONF_REQ[..]), (PppProtocol::LCP, &ECHO_REQ[..])]
        .iter()
        .map(|&(proto, payload)| {
            let mut f = Vec::new();
            frame_control(t, proto, payload, gre, &mut f);
            assert_eq!(&f[t.len()..], payload);
            f
        })
        .collect()
}

fn decode(frames: &[Vec<u8>], fields: &[&str]) -> Vec<Vec<String>> {
    tshark(frames, fields, &[], &[])
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            assert!(!d.malformed && d.expert.is_empty(), "frame {i}: {d:?}");
            d.fields
        })
        .collect()
}

#[test]
fn pppoe_control_frames_decode() {
    // 802.1Q VID 100, PPPoE session 0x2a01 (RFC 2516 §4), PPP protocol 0x0021.
    let b = built(&format!("{ETH}/Dot1Q(vlan=100)/PPPoE(sessionid=0x2a01)/Raw(b'\\x00\\x21')"));
    assert_eq!(b.len(), 26);
    let t = Template::new(&b, Patches { pppoe: Some(18), ..Patches::NONE }).unwrap();
    let f = frames(&t, GreNumbers::default());
    let d = decode(&f, &["vlan.id", "pppoe.session_id", "pppoe.payload_length", "ppp.protocol", "ppp.code", "lcp.opt.mru"]);
    assert_eq!(d[0], ["100", "0x2a01", "16", "0xc021", "1", "1492"]);
    assert_eq!(d[1], ["100", "0x2a01", "14", "0xc021", "9", ""]);
}

#[test]
fn l2tp_control_frames_decode_with_lengths_and_checksums() {
    // QinQ, IPv4 (DF), UDP 1701, L2TP data message with the L bit (RFC 2661 §3.1),
    // PPP Address/Control and protocol.
    let b = built(&format!(
        "{ETH}/Dot1AD(vlan=10)/Dot1Q(vlan=20)/{IP}/UDP(sport=1701, dport=1701)/L2TP(hdr='length', tunnel_id=0x0bad, session_id=0xcafe)/Raw(b'\\xff\\x03\\x00\\x21')"
    ));
    assert_eq!(b.len(), 62);
    let fields = [
        "ip.len",
        "ip.checksum.status",
        "udp.length",
        "udp.checksum",
        "udp.checksum.status",
        "l2tp.length",
        "l2tp.tunnel",
        "l2tp.session",
        "ppp.address",
        "ppp.protocol",
        "ppp.code",
    ];
    for with_checksum in [true, false] {
        let p = Patches { ipv4: Some(22), udp: Some(42), udp_checksum: with_checksum, l2tp: Some(50), ..Patches::NONE };
        let t = Template::new(&b, p).unwrap();
        let f = frames(&t, GreNumbers::default());
        let d = decode(&f, &fields);
        for (i, (d, lcp)) in d.iter().zip([CONF_REQ.len(), ECHO_REQ.len()]).enumerate() {
            let ip_len = 20 + 8 + 8 + 4 + lcp;
            // With a checksum tshark verifies it (status 1, good); without, the field is
            // zero, "not present" (RFC 768; tshark's status 3).
            let (sum, status) = if with_checksum { (d[3].as_str(), "1") } else { ("0x0000", "3") };
            assert!(!with_checksum || sum != "0x0000", "frame {i}: a checksum when asked");
            let want = [
                ip_len.to_string(),
                "1".into(),
                (ip_len - 20).to_string(),
                sum.into(),
                status.into(),
                (ip_len - 28).to_string(),
                "2989".into(),
                "51966".into(),
                "0xff".into(),
                "0xc021".into(),
                if i == 0 { "1" } else { "9" }.into(),
            ];
            assert_eq!(d, &want, "frame {i}, UDP checksum {with_checksum}");
        }
    }
}

#[test]
fn pptp_control_frames_decode_with_the_callers_gre_numbers() {
    // IPv4 (DF), enhanced GRE with S and A (RFC 2637 §4.1), call id 0x4000, PPP.
    let b = built(&format!(
        "{ETH}/{IP}/GRE_PPTP(seqnum_present=1, acknum_present=1, call_id=0x4000)/Raw(b'\\xff\\x03\\x00\\x21')"
    ));
    assert_eq!(b.len(), 54);
    let t = Template::new(&b, Patches { ipv4: Some(14), gre: Some(34), ..Patches::NONE }).unwrap();
    let f = frames(&t, GreNumbers { seq: 0x0102_0304, ack: 77 });
    let fields = ["ip.len", "ip.checksum.status", "gre.key.payload_length", "gre.key.call_id", "gre.sequence_number", "gre.ack_number", "ppp.protocol", "ppp.code"];
    let d = decode(&f, &fields);
    for (i, (d, lcp)) in d.iter().zip([CONF_REQ.len(), ECHO_REQ.len()]).enumerate() {
        let want = [(20 + 16 + 4 + lcp).to_string(), "1".into(), (4 + lcp).to_string(), "16384".into(), "16909060".into(), "77".into(), "0xc021".into(), if i == 0 { "1" } else { "9" }.to_string()];
        assert_eq!(d, &want, "frame {i}");
    }
}
