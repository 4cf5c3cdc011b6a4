//! `--baseline`: the test traffic without dpvpn, to measure what the path itself costs
//! (two memif links, a forwarding process sharing the CPU) beside what dpvpn adds. Issue
//! 5 puts dpvpn's latency beside testpmd's at the same rate: `scripts/loadgen-testpmd.sh`
//! runs `dpdk-testpmd --forward-mode=io` between two memif ports and this mode against it.
//!
//! No PPPoE runs (no discovery, LCP, authentication or IPCP): [`Fabricated`] makes up the
//! N sessions as a fresh dpvpn with `configs/bench-memif.toml` hands them out, so the
//! frames are byte for byte those of a real run but for the two MACs dpvpn owns:
//!
//! - session index i: MAC [`session_mac`]`(i)`, the plan's VLANs, PPPoE session id
//!   1 + i mod 65534 (dpvpn's discovery hands out free ids from 1 upwards, RFC 2516 §4
//!   reserves 0xffff) and address 100.64.0.2 + i (the pool `lab` from its start, less the
//!   gateway 100.64.0.1);
//! - the AC's MAC (upstream destination) is [`BASELINE_AC_MAC`], the gateway's
//!   (downstream destination) `--gateway-mac` or [`BASELINE_GATEWAY_MAC`]: an io-mode
//!   forwarder learns nothing and answers no ARP.
//!
//! The forwarder hands every frame unchanged to the other port, so upstream probes come
//! back on the uplink still PPPoE-framed and downstream probes on the access port as
//! plain IPv4; [`super::traffic::Traffic`] in [`Mode::TestpmdBaseline`] accepts them so
//! and accounts them exactly as in a dpvpn run.
//!
//! [`Mode::TestpmdBaseline`]: super::sessions::Mode::TestpmdBaseline
//! [`BASELINE_GATEWAY_MAC`]: super::sessions::BASELINE_GATEWAY_MAC

use std::net::Ipv4Addr;

use dataplane::wire::ethernet::{emit_l2, EtherType, EthernetAddress, L2Header};
use dataplane::wire::pppoe::{emit_session_header, HEADER_LEN as PPPOE_HEADER_LEN, SESSION_ID_RESERVED};

use super::options::VlanPlan;
use super::report::{Report, SessionReport};
use super::sessions::{session_mac, Mode, Sessions, BASELINE_AC_MAC};

/// The first address dpvpn's pool `lab` (100.64.0.0/12 less 100.64.0.1) hands out.
pub const FIRST_ADDRESS: Ipv4Addr = Ipv4Addr::new(100, 64, 0, 2);
/// Ethernet's minimum frame without the FCS; shorter frames are padded, as the
/// subscriber machines pad theirs.
const MIN_FRAME: usize = 60;

/// The PPPoE session id of session index `i`.
pub fn session_id(i: u32) -> u16 {
    (i % (SESSION_ID_RESERVED as u32 - 1)) as u16 + 1
}

/// The address of session index `i`.
pub fn address(i: u32) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(FIRST_ADDRESS).wrapping_add(i))
}

/// N sessions that are up from the start, with nobody to dial.
#[derive(Debug, Clone)]
pub struct Fabricated {
    sessions: u32,
    first: u32,
    vlans: VlanPlan,
}

impl Fabricated {
    /// `first` is the number of session index 0 (for the report's user names).
    pub fn new(sessions: u32, first: u32, vlans: VlanPlan) -> Fabricated {
        Fabricated { sessions, first, vlans }
    }

    /// The report's session part: every session counts as established (none was dialled,
    /// so there are no setup figures and no attempts); the traffic is added by the caller.
    pub fn report(&self, user: impl Fn(u32) -> String) -> Report {
        let sessions = (0..self.sessions)
            .map(|i| SessionReport {
                number: self.first + i,
                user: user(self.first + i),
                mac: EthernetAddress(session_mac(i)).to_string(),
                vlans: match self.vlans.vlans(i).vids() {
                    (None, _) => None,
                    (Some(o), None) => Some(o.to_string()),
                    (Some(o), Some(c)) => Some(format!("{o}:{c}")),
                },
                address: Some(address(i).to_string()),
                session_id: Some(session_id(i)),
                attempts: 0,
                setup_ms: None,
                failure: None,
            })
            .collect();
        Report {
            mode: Mode::TestpmdBaseline,
            sessions_requested: self.sessions,
            sessions_established: self.sessions,
            success: true,
            sessions,
            ..Report::default()
        }
    }
}

impl Sessions for Fabricated {
    fn count(&self) -> u32 {
        self.sessions
    }

    fn session(&self, i: u32) -> Option<(u16, Ipv4Addr)> {
        (i < self.sessions).then(|| (session_id(i), address(i)))
    }

    /// As `Subscriber::encapsulate` frames it: Ethernet from the session's MAC to the
    /// AC's, its tags, PPPoE session header, PPP protocol IPv4 (0x0021), padded to 60.
    fn encapsulate(&self, i: u32, datagram: &[u8]) -> Option<Vec<u8>> {
        if i >= self.sessions {
            return None;
        }
        let vlans = self.vlans.vlans(i);
        let h = L2Header {
            dst: EthernetAddress(BASELINE_AC_MAC),
            src: EthernetAddress(session_mac(i)),
            outer_vlan: vlans.outer,
            inner_vlan: vlans.inner,
            ethertype: EtherType::PPPOE_SESSION,
            header_len: 0,
        };
        let ppp_len = 2 + datagram.len();
        let mut f = vec![0u8; 22 + PPPOE_HEADER_LEN + ppp_len];
        let n = emit_l2(&h, &mut f).ok()?;
        emit_session_header(&mut f[n..], session_id(i), ppp_len).ok()?;
        let ppp = n + PPPOE_HEADER_LEN;
        f[ppp..ppp + 2].copy_from_slice(&[0x00, 0x21]);
        f[ppp + 2..ppp + ppp_len].copy_from_slice(datagram);
        f.truncate(ppp + ppp_len);
        if f.len() < MIN_FRAME {
            f.resize(MIN_FRAME, 0);
        }
        Some(f)
    }
}
