//! What the emulator, the baseline and the traffic share, so that each depends on this
//! and none on another: how a run's sessions are told apart (the MAC of session index i,
//! [`session_mac`], and back, [`slot_of`]; the MACs the baseline stands in for dpvpn's),
//! the [`Sessions`] trait through which the traffic sees the emulator's or the baseline's
//! sessions, and what sits between the ports ([`Mode`]).
//!
//! The modules' edges: `traffic` → `sessions`, `icmp`; `emulator` → `sessions`, `icmp`,
//! `options`, `report`; `baseline` → `sessions`, `options`, `report`; `options` and
//! `report` → `traffic`; `tap` → `emulator`; `run` → all of them.

use std::net::Ipv4Addr;

use controlplane::pppoe::discovery::Mac;
use serde::Serialize;

/// The first two bytes of every emulated subscriber's MAC (locally administered, "L").
pub const MAC_PREFIX: [u8; 2] = [0x02, 0x4c];

/// The access concentrator's MAC in the fabricated sessions ("AC").
pub const BASELINE_AC_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0xac, 0x01];
/// dpvpn's uplink MAC stand-in, where downstream frames go without `--gateway-mac`.
pub const BASELINE_GATEWAY_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x0b, 0x01];

/// The MAC of session index `i`.
pub fn session_mac(i: u32) -> Mac {
    let b = i.to_be_bytes();
    [MAC_PREFIX[0], MAC_PREFIX[1], b[0], b[1], b[2], b[3]]
}

/// The session index a MAC belongs to, if it is one of ours.
pub fn slot_of(mac: &[u8]) -> Option<u32> {
    if mac.len() < 6 || mac[0..2] != MAC_PREFIX {
        return None;
    }
    Some(u32::from_be_bytes([mac[2], mac[3], mac[4], mac[5]]))
}

/// What sits between the load generator's access and uplink ports, and so how the
/// probes come back (see [`super::traffic`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// dpvpn: PPPoE sessions dialled, upstream decapsulated, downstream encapsulated.
    #[default]
    Dpvpn,
    /// A plain forwarder (`dpdk-testpmd --forward-mode=io`) and fabricated sessions:
    /// every frame comes back unchanged on the other port.
    TestpmdBaseline,
}

/// The emulator's sessions as the traffic sees them (a trait, so tests can stand in).
pub trait Sessions {
    fn count(&self) -> u32;
    /// Session id and address of session index `i` while it is up.
    fn session(&self, i: u32) -> Option<(u16, Ipv4Addr)>;
    /// The datagram framed for session `i` (Ethernet, tags, PPPoE, PPP).
    fn encapsulate(&self, i: u32, datagram: &[u8]) -> Option<Vec<u8>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_map_back_to_their_session() {
        for i in [0u32, 1, 255, 65_536, 999_999, u32::MAX] {
            let m = session_mac(i);
            assert_eq!(m[0] & 0x03, 0x02, "locally administered unicast");
            assert_eq!(slot_of(&m), Some(i));
        }
        assert_eq!(slot_of(&[0x02, 0x4d, 0, 0, 0, 1]), None);
        assert_eq!(slot_of(&[0xff; 6]), None);
    }
}
