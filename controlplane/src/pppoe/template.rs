//! The PPPoE carrier's downstream template and session parameters (RFC 2516 §4, §6).
//!
//! A PPPoE session's frames to the subscriber are Ethernet to the subscriber's MAC from
//! the access port's, with the VLAN tags the subscriber's PADR came with (TPIDs and
//! priorities as sent), the PPPoE session header and the PPP Protocol field:
//!
//! ```text
//! | dst MAC | src MAC | [S-tag] [C-tag] | 0x8864 | 0x11 | 0x00 | SESSION_ID | LENGTH | PPP protocol |
//!     6         6        0, 4 or 8          2       1      1         2          2          2
//! ```
//!
//! 22 to 30 bytes: a short template, which the workers write as the four words of the
//! session record's hot line. The one patch is LENGTH (RFC 2516 §4: the PPP frame, its
//! Protocol field included), which the data plane fills in per packet
//! (`dataplane::session::patch`); the control core frames its LCP, authentication and
//! IPCP packets with the same template (`dataplane::session::frame_control`).

use dataplane::session::{Patches, SessionError, SessionKey, SessionParams, Template};
use dataplane::wire::ethernet::{emit_l2, EtherType, EthernetAddress, L2Header};
use dataplane::wire::ppp::PppProtocol;
use dataplane::wire::pppoe::{session_header, HEADER_LEN as PPPOE_HEADER_LEN};

/// The downstream template of PPPoE session `session_id` whose frames arrive with the
/// L2 header `l2` (its `src` is the subscriber; `dst` is ignored), answered from
/// `port_mac`.
pub fn template(port_mac: [u8; 6], l2: &L2Header, session_id: u16) -> Result<Template, SessionError> {
    let h = L2Header {
        dst: l2.src,
        src: EthernetAddress(port_mac),
        outer_vlan: l2.outer_vlan,
        inner_vlan: l2.inner_vlan,
        ethertype: EtherType::PPPOE_SESSION,
        header_len: 0,
    };
    let mut b = [0u8; 32];
    let n = emit_l2(&h, &mut b).map_err(|_| SessionError::BadTemplate)?;
    b[n..n + PPPOE_HEADER_LEN].copy_from_slice(&session_header(session_id));
    b[n + PPPOE_HEADER_LEN..n + PPPOE_HEADER_LEN + 2].copy_from_slice(&PppProtocol::IPV4.0.to_be_bytes());
    Template::new(&b[..n + PPPOE_HEADER_LEN + 2], Patches { pppoe: Some(n as u8), ..Patches::NONE })
}

/// Everything the data plane needs to publish PPPoE session `session_id` (at PADS) on
/// access port `port` (MAC `port_mac`), for a subscriber whose frames come with `l2`:
/// its index key, its template, the MRU to start with, our magic number (0 until LCP
/// opens) and the flags (`ECHO_OFFLOAD`; never `PPP_ADDRESS_CONTROL`: RFC 2516 §7).
pub fn session_params(
    port: u16,
    port_mac: [u8; 6],
    l2: &L2Header,
    session_id: u16,
    mru: u16,
    magic: u32,
    flags: u64,
) -> Result<SessionParams, SessionError> {
    Ok(SessionParams {
        key: SessionKey::Pppoe {
            port,
            outer: l2.outer_vlan.map(|t| t.vid),
            inner: l2.inner_vlan.map(|t| t.vid),
            mac: l2.src.0,
            id: session_id,
        },
        port,
        template: template(port_mac, l2, session_id)?,
        mru,
        magic,
        flags: flags & !dataplane::session::PPP_ADDRESS_CONTROL,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use dataplane::session::{frame_control, GreNumbers, ECHO_OFFLOAD, PPP_ADDRESS_CONTROL};
    use dataplane::wire::ethernet::{parse_l2, VlanTag};

    #[test]
    fn template_from_the_subscriber_frame() {
        // A PADR from a QinQ subscriber: S-tag 0x88a8 VID 7 PCP 3, C-tag VID 8.
        let padr = [
            0x02, 0, 0, 0, 0xac, 1, 0x02, 0, 0x5e, 0, 0, 0x42, 0x88, 0xa8, 0x60, 7, 0x81, 0x00, 0, 8, 0x88, 0x63,
        ];
        let l2 = parse_l2(&padr).unwrap();
        assert_eq!(l2.outer_vlan, Some(VlanTag { tpid: EtherType::QINQ, pcp: 3, dei: false, vid: 7 }));
        let p = session_params(3, [0x02, 0, 0, 0, 0xac, 1], &l2, 0x1234, 1492, 0, ECHO_OFFLOAD | PPP_ADDRESS_CONTROL).unwrap();
        assert_eq!(p.key, SessionKey::Pppoe { port: 3, outer: Some(7), inner: Some(8), mac: [2, 0, 0x5e, 0, 0, 0x42], id: 0x1234 });
        assert_eq!((p.port, p.mru, p.magic), (3, 1492, 0));
        assert_eq!(p.flags, ECHO_OFFLOAD, "no Address/Control on PPPoE (RFC 2516 §7)");
        // RFC 2516 §4 by hand: to the subscriber, its tags as it sent them, 0x8864,
        // VER/TYPE 0x11, CODE 0x00, SESSION_ID, LENGTH (patched), PPP protocol 0x0021.
        let expect = [
            0x02, 0, 0x5e, 0, 0, 0x42, 0x02, 0, 0, 0, 0xac, 1, 0x88, 0xa8, 0x60, 7, 0x81, 0x00, 0, 8, 0x88, 0x64, 0x11, 0x00,
            0x12, 0x34, 0, 0, 0x00, 0x21,
        ];
        assert_eq!(p.template.bytes(), &expect);
        assert_eq!(p.template.patches(), Patches { pppoe: Some(22), ..Patches::NONE });

        // An LCP Configure-Request framed with it: LENGTH = 2 (protocol) + 8.
        let mut f = Vec::new();
        let lcp = [0x01, 0x01, 0x00, 0x08, 0x01, 0x04, 0x05, 0xd4];
        frame_control(&p.template, PppProtocol::LCP, &lcp, GreNumbers::default(), &mut f);
        assert_eq!(&f[..24], &expect[..24]);
        assert_eq!(&f[24..30], &[0x12, 0x34, 0x00, 0x0a, 0xc0, 0x21]);
        assert_eq!(&f[30..], &lcp);
    }

    #[test]
    fn untagged_template_is_22_bytes() {
        let frame = [2, 0, 0, 0, 0xac, 1, 2, 0, 0x5e, 0, 0, 9, 0x88, 0x63];
        let t = template([2, 0, 0, 0, 0xac, 1], &parse_l2(&frame).unwrap(), 7).unwrap();
        assert_eq!(
            t.bytes(),
            &[2, 0, 0x5e, 0, 0, 9, 2, 0, 0, 0, 0xac, 1, 0x88, 0x64, 0x11, 0, 0, 7, 0, 0, 0, 0x21]
        );
        assert_eq!(t.patches().pppoe, Some(14));
    }
}
