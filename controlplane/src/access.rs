//! The subscriber-facing control service: the subscriber manager and the carriers that
//! bring it PPP sessions, wired together. The control core's loop hands it every punt
//! about subscribers (PPPoE discovery, PPP control packets of a session) and polls it for
//! timers; this module routes between the carriers and the manager, so neither the driver
//! nor the tests repeat that wiring:
//!
//! - a discovery frame goes to its carrier (PPPoE), which may start a session in the manager;
//! - a PPP control packet goes to the manager for the session the worker found, after its
//!   carrier has checked the frame still belongs to that session;
//! - a session the manager ended goes back to its carrier (PADT; later CDN, Call-Clear).
//!
//! The next carriers (L2TP, PPTP) add a field here and a match arm in each of these.

use dataplane::stages::{Punt, PuntReason};

use crate::pppoe::bras::Bras;
use crate::subscribers::{CarrierRef, DataPlane, SubscriberManager};

/// What became of a punt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PuntOutcome {
    Handled,
    /// No carrier here for it (PPPoE on a dpvpn without `[pppoe]`).
    Unhandled,
    /// It named a session that is not there (any more).
    Stale,
}

pub struct Access {
    pub subscribers: SubscriberManager,
    pub pppoe: Option<Bras>,
}

impl Access {
    pub fn new(subscribers: SubscriberManager, pppoe: Option<Bras>) -> Access {
        Access { subscribers, pppoe }
    }

    /// A punt of reason PppoeDiscovery or PppControl, with its frame (from the Ethernet
    /// header on).
    pub fn handle_punt(&mut self, now: u64, punt: &Punt, frame: &[u8], dp: &mut DataPlane) -> PuntOutcome {
        let Some(bras) = self.pppoe.as_mut() else { return PuntOutcome::Unhandled };
        match punt.reason {
            PuntReason::PppoeDiscovery => {
                bras.handle_discovery(now, punt.port, frame, &mut self.subscribers, dp);
                PuntOutcome::Handled
            }
            PuntReason::PppControl => {
                let index = punt.arg;
                let Some((CarrierRef::Pppoe(key), generation)) = self.subscribers.carrier(index) else {
                    return PuntOutcome::Stale;
                };
                match bras.accept_punt(&key, frame) {
                    Some((proto, payload)) => {
                        self.subscribers.handle_ppp(now, index, generation, proto, payload, dp);
                        PuntOutcome::Handled
                    }
                    None => PuntOutcome::Stale,
                }
            }
            _ => PuntOutcome::Unhandled,
        }
    }

    /// Timers, AAA answers, and sessions that ended. Call every loop iteration.
    pub fn poll(&mut self, now: u64, dp: &mut DataPlane) {
        self.subscribers.poll(now, dp);
        if let Some(b) = self.pppoe.as_mut() {
            b.poll(now, &mut self.subscribers, dp);
        }
        self.carriers_catch_up();
    }

    /// Tell each carrier about the sessions the manager ended.
    fn carriers_catch_up(&mut self) {
        while let Some(e) = self.subscribers.poll_ended() {
            match e.carrier {
                CarrierRef::Pppoe(_) => {
                    if let Some(b) = self.pppoe.as_mut() {
                        b.session_ended(&e);
                    }
                }
            }
        }
    }

    /// A frame to send: (port, frame). Call after each input, until None. A carrier's own
    /// frames go first: a PADS must reach the subscriber before the LCP Configure-Request
    /// the new session sends in the same breath (a CPE drops session frames it has no
    /// session for, and the request would wait a restart period). A PADT never shares a
    /// breath with the session's last PPP packet: it follows LCP's Terminate exchange or a
    /// timer, or replaces it (shutdown).
    pub fn poll_transmit(&mut self) -> Option<(u16, Vec<u8>)> {
        self.carriers_catch_up();
        if let Some(f) = self.pppoe.as_mut().and_then(|b| b.poll_transmit()) {
            return Some(f);
        }
        self.subscribers.poll_transmit()
    }

    /// A line for the log.
    pub fn poll_log(&mut self) -> Option<String> {
        if let Some(l) = self.subscribers.poll_log() {
            return Some(l);
        }
        self.pppoe.as_mut().and_then(|b| b.poll_log())
    }

    /// End every session (shutdown): each carrier tells its peers.
    pub fn shutdown(&mut self, now: u64, dp: &mut DataPlane) {
        self.subscribers.shutdown(now, dp);
        self.carriers_catch_up();
    }
}
