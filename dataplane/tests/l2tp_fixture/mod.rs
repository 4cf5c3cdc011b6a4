//! An L2TP session with the longest template a record holds, for the stage tests: the
//! 96-byte downstream header written by hand from RFC 2661 §3.1 (not with `wire`), and
//! upstream L2TP data messages as a LAC would send them. (No l2tp_input stage yet: the
//! tests hand the PPP frames to `ppp_input` with `process_ppp_burst`.)
#![allow(dead_code)]

use crate::common::*;
use dataplane::session::{Patches, SessionKey, SessionParams, Template, FIB_SESSION_BASE, PPP_ADDRESS_CONTROL};

/// The LAC, on the uplink.
pub const LAC_MAC: [u8; 6] = [0x02, 0, 0, 0, 0x1a, 0x0c];
pub const LAC_IP: u32 = 0xc633_6409; // 198.51.100.9
/// Our tunnel and session ids (the index keys), and the LAC's (what we send).
pub const OUR_TUNNEL: u16 = 7;
pub const OUR_SESSION: u16 = 5;
pub const LAC_TUNNEL: u16 = 0x0bad;
pub const LAC_SESSION: u16 = 0xcafe;
/// The subscriber behind the LAC.
pub const L2TP_PEER: u32 = 0x6440_0009; // 100.64.0.9
pub const L2TP_MAGIC: u32 = 0x5566_7788;
/// Where the PPP header starts in `upstream`: QinQ 22 + IPv4 20 + UDP 8 + L2TP 8.
pub const UP_PPP_AT: u16 = 58;

/// The S-tag and C-tag both ways: 0x88a8 VID 10, 0x8100 VID 20.
const TAGS: [u8; 8] = [0x88, 0xa8, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x14];

/// The downstream template, 96 bytes:
///
/// ```text
///  0  Ethernet to the LAC, from the uplink, S-tag VID 10, C-tag VID 20, 0x0800  22
/// 22  IPv4: 0x45, TOS 0, Total Length 0 (patched), ID 0, DF, TTL 64, UDP,
///     checksum over the zero length, 198.51.100.1 → 198.51.100.9               20
/// 42  UDP 1701 → 1701, Length and Checksum 0 (patched)                           8
/// 50  L2TP (RFC 2661 §3.1): T=0 L=1 S=1 O=1 P=0 Ver=2 (0x4a02), Length 0
///     (patched), Tunnel ID, Session ID (the LAC's), Ns 0x0102, Nr 0x0304,
///     Offset Size 28, 28 bytes of offset pad                                    42
/// 92  PPP: Address 0xff, Control 0x03, Protocol 0x0021                           4
/// ```
pub fn template96() -> Vec<u8> {
    let mut t = LAC_MAC.to_vec();
    t.extend_from_slice(&UP_MAC);
    t.extend_from_slice(&TAGS);
    t.extend_from_slice(&[0x08, 0x00]);
    let mut ip = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0];
    ip.extend_from_slice(&UP_IP.to_be_bytes());
    ip.extend_from_slice(&LAC_IP.to_be_bytes());
    let c = csum(&ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    t.extend_from_slice(&ip);
    t.extend_from_slice(&[0x06, 0xa5, 0x06, 0xa5, 0, 0, 0, 0]);
    t.extend_from_slice(&[0x4a, 0x02, 0, 0]);
    t.extend_from_slice(&LAC_TUNNEL.to_be_bytes());
    t.extend_from_slice(&LAC_SESSION.to_be_bytes());
    t.extend_from_slice(&[0x01, 0x02, 0x03, 0x04, 0x00, 28]);
    t.extend_from_slice(&[0; 28]);
    t.extend_from_slice(&[0xff, 0x03, 0x00, 0x21]);
    assert_eq!(t.len(), 96);
    t
}

pub fn patches96() -> Patches {
    Patches { ipv4: Some(22), udp: Some(42), udp_checksum: true, l2tp: Some(50), ..Patches::NONE }
}

/// Publish the L2TP session (IPCP open, `flags` besides PPP_ADDRESS_CONTROL, which L2TP's
/// HDLC-like framing always has) and route the subscriber's address to it.
pub fn with_l2tp_session(w: &mut World, flags: u64) -> (u32, u32) {
    let p = SessionParams {
        key: SessionKey::L2tp { tunnel: OUR_TUNNEL, session: OUR_SESSION },
        port: UP,
        template: Template::new(&template96(), patches96()).unwrap(),
        mru: 1400,
        magic: L2TP_MAGIC,
        flags: flags | PPP_ADDRESS_CONTROL,
    };
    let (index, generation) = w.sessions.add(&p).unwrap();
    w.sessions.open_ipv4(index, L2TP_PEER, 0).unwrap();
    w.fib.insert(L2TP_PEER, 32, FIB_SESSION_BASE + index).unwrap();
    (index, generation)
}

/// An L2TP data message from the LAC to us carrying the PPP frame `ppp` (L bit, no
/// sequence numbers), with its UDP checksum; the PPP header is at [`UP_PPP_AT`].
pub fn upstream(ppp: &[u8]) -> Vec<u8> {
    let mut f = UP_MAC.to_vec();
    f.extend_from_slice(&LAC_MAC);
    f.extend_from_slice(&TAGS);
    f.extend_from_slice(&[0x08, 0x00]);
    let l2tp_len = 8 + ppp.len();
    let mut udp = vec![0x06, 0xa5, 0x06, 0xa5];
    udp.extend_from_slice(&((8 + l2tp_len) as u16).to_be_bytes());
    udp.extend_from_slice(&[0, 0, 0x40, 0x02]);
    udp.extend_from_slice(&(l2tp_len as u16).to_be_bytes());
    udp.extend_from_slice(&OUR_TUNNEL.to_be_bytes());
    udp.extend_from_slice(&OUR_SESSION.to_be_bytes());
    udp.extend_from_slice(ppp);
    let c = udp_csum(LAC_IP, UP_IP, &udp);
    udp[6..8].copy_from_slice(&c.to_be_bytes());
    f.extend_from_slice(&ipv4(LAC_IP, UP_IP, 64, 17, true, &udp));
    assert_eq!(f.len(), UP_PPP_AT as usize + ppp.len());
    f
}

/// The UDP checksum field for `seg` (checksum field zero) between `src` and `dst`
/// (RFC 768), written here independently of `wire`.
pub fn udp_csum(src: u32, dst: u32, seg: &[u8]) -> u16 {
    let mut b = Vec::new();
    b.extend_from_slice(&src.to_be_bytes());
    b.extend_from_slice(&dst.to_be_bytes());
    b.extend_from_slice(&[0, 17]);
    b.extend_from_slice(&(seg.len() as u16).to_be_bytes());
    b.extend_from_slice(seg);
    csum(&b)
}
