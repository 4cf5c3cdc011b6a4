//! The host side of PPPoE discovery (RFC 2516 §5, §7): one per emulated subscriber,
//! driven by the subscriber emulator and load generator in `perf/`.
//!
//! [`DiscoveryClient::start`] sends a PADI (broadcast; Service-Name, Host-Uniq,
//! PPP-Max-Payload if configured). The first PADO that offers our Service-Name (any, when
//! ours is empty), comes from the configured AC-Name if one is set, carries no error tag
//! and echoes our Host-Uniq is taken; a PADR goes to that AC with the AC-Cookie and
//! Relay-Session-Id echoed. Timeouts follow §7: the PADI is resent with the waiting period
//! doubled (up to [`ClientConfig::max_timeout_ms`]) until
//! [`ClientConfig::padi_attempts`] PADIs went unanswered, then
//! [`ClientEvent::Failed`] with [`FailReason::Timeout`]; the PADR likewise, and after
//! [`ClientConfig::padr_attempts`] the host goes back to sending PADIs (§7: "the Host
//! SHOULD then resend a PADI packet"). A PADS with an error tag fails the attempt; a PADS
//! with an id gives [`ClientEvent::Established`]; a PADT from the AC for our session
//! gives [`ClientEvent::Terminated`]. Each wait may be shortened by a random share
//! ([`ClientConfig::jitter_percent`], from [`ClientConfig::seed`]) so that thousands of
//! emulated hosts that lost frames together do not retry in lockstep.

use std::collections::VecDeque;

use dataplane::wire::pppoe::{DiscoveryRepr, PppoeCode, DEFAULT_MRU};

use super::{build_frame, is_host_mac, mix, parse_discovery, text, ClientStats, DropReason, Mac, Vlans};

/// One emulated subscriber. [`ClientConfig::new`] gives the defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientConfig {
    pub port: u16,
    pub mac: Mac,
    pub vlans: Vlans,
    /// The Service-Name asked for; empty: any.
    pub service_name: String,
    /// Host-Uniq (Appendix A), from the caller; None sends none.
    pub host_uniq: Option<Vec<u8>>,
    /// Take offers only from this AC-Name.
    pub ac_name: Option<String>,
    /// RFC 4638 PPP-Max-Payload to ask for (above 1492 to mean anything).
    pub max_payload: Option<u16>,
    /// The first wait for a PADO or PADS; doubled at each resend (§7).
    pub initial_timeout_ms: u64,
    /// The longest wait.
    pub max_timeout_ms: u64,
    /// PADIs sent in all before giving up.
    pub padi_attempts: u32,
    /// PADRs sent to one AC before going back to PADI (§7).
    pub padr_attempts: u32,
    /// Shorten each wait by a random 0 to `jitter_percent` percent, so that many hosts
    /// that lost their frames together do not retry together.
    pub jitter_percent: u8,
    /// Seeds the jitter (from the caller's RNG; nothing here draws randomness).
    pub seed: u64,
}

impl ClientConfig {
    /// Defaults: untagged, any service, no Host-Uniq, any AC, no PPP-Max-Payload, 1 s
    /// doubling up to 16 s, 5 PADIs, 3 PADRs per offer, no jitter.
    pub fn new(port: u16, mac: Mac) -> ClientConfig {
        ClientConfig {
            port,
            mac,
            vlans: Vlans::NONE,
            service_name: String::new(),
            host_uniq: None,
            ac_name: None,
            max_payload: None,
            initial_timeout_ms: 1000,
            max_timeout_ms: 16_000,
            padi_attempts: 5,
            padr_attempts: 3,
            jitter_percent: 0,
            seed: 0,
        }
    }
}

/// Why a host's discovery failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FailReason {
    /// Every PADI (and the PADRs in between) went unanswered (§7).
    Timeout,
    /// A PADS with Service-Name-Error, its text.
    ServiceNameError(String),
    /// A PADS with AC-System-Error.
    AcSystemError(String),
    /// A PADS with Generic-Error.
    GenericError(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientEvent {
    /// A PADS gave us a session.
    Established {
        session_id: u16,
        ac_mac: Mac,
        max_payload: Option<u16>,
    },
    Failed {
        reason: FailReason,
    },
    /// The AC sent a PADT for our session.
    Terminated {
        generic_error: Option<String>,
    },
}

/// Where a host is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientPhase {
    Idle,
    Discovering,
    Requesting,
    Established,
    Failed,
    Terminated,
}

#[derive(Clone, Debug)]
enum ClientState {
    Idle,
    /// PADI sent; waiting for a PADO until `deadline`, next wait `timeout`.
    Discovering {
        timeout: u64,
        deadline: u64,
    },
    /// PADR sent to `ac`.
    Requesting {
        ac: Mac,
        cookie: Option<Vec<u8>>,
        relay: Option<Vec<u8>>,
        attempts: u32,
        timeout: u64,
        deadline: u64,
    },
    Established {
        session_id: u16,
        ac: Mac,
        relay: Option<Vec<u8>>,
        max_payload: Option<u16>,
    },
    Failed,
    Terminated,
}

/// The host side of discovery. See the module documentation.
pub struct DiscoveryClient {
    config: ClientConfig,
    state: ClientState,
    /// PADIs sent since `start`.
    padis: u32,
    /// xorshift64 state for the jitter.
    rng: u64,
    transmit: VecDeque<(u16, Vec<u8>)>,
    events: VecDeque<ClientEvent>,
    stats: ClientStats,
}

impl DiscoveryClient {
    pub fn new(config: ClientConfig) -> DiscoveryClient {
        DiscoveryClient {
            // Spread nearby seeds apart; xorshift needs a nonzero state.
            rng: mix(config.seed) | 1,
            config,
            state: ClientState::Idle,
            padis: 0,
            transmit: VecDeque::new(),
            events: VecDeque::new(),
            stats: ClientStats::default(),
        }
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    pub fn stats(&self) -> &ClientStats {
        &self.stats
    }

    pub fn phase(&self) -> ClientPhase {
        match self.state {
            ClientState::Idle => ClientPhase::Idle,
            ClientState::Discovering { .. } => ClientPhase::Discovering,
            ClientState::Requesting { .. } => ClientPhase::Requesting,
            ClientState::Established { .. } => ClientPhase::Established,
            ClientState::Failed => ClientPhase::Failed,
            ClientState::Terminated => ClientPhase::Terminated,
        }
    }

    /// The session id, once established.
    pub fn session_id(&self) -> Option<u16> {
        match self.state {
            ClientState::Established { session_id, .. } => Some(session_id),
            _ => None,
        }
    }

    /// The AC's MAC, once established.
    pub fn ac_mac(&self) -> Option<Mac> {
        match self.state {
            ClientState::Established { ac, .. } => Some(ac),
            _ => None,
        }
    }

    /// The agreed RFC 4638 PPP-Max-Payload, once established.
    pub fn max_payload(&self) -> Option<u16> {
        match self.state {
            ClientState::Established { max_payload, .. } => max_payload,
            _ => None,
        }
    }

    /// Begin (or begin again) discovery: send a PADI. A session held so far is forgotten
    /// without a PADT; call [`Self::terminate`] first to end it properly.
    pub fn start(&mut self, now: u64) {
        self.padis = 0;
        self.send_padi(now, self.config.initial_timeout_ms);
    }

    /// End the session from our side: queue a PADT (§5.5) with `generic_error` as
    /// Generic-Error text. `false` (and discovery stopped) when there was no session.
    pub fn terminate(&mut self, generic_error: Option<&str>) -> bool {
        let old = std::mem::replace(&mut self.state, ClientState::Terminated);
        let ClientState::Established { session_id, ac, relay, .. } = old else {
            self.state = ClientState::Idle;
            return false;
        };
        let frame = {
            let mut r = DiscoveryRepr::new(PppoeCode::PADT, session_id);
            r.host_uniq = self.config.host_uniq.as_deref();
            r.relay_session_id = relay.as_deref();
            r.generic_error = generic_error.map(str::as_bytes);
            build_frame(self.config.mac, ac, self.config.vlans, &r)
        };
        if let Ok(f) = frame {
            self.transmit.push_back((self.config.port, f));
            self.stats.padt_sent += 1;
        }
        true
    }

    pub fn poll_transmit(&mut self) -> Option<(u16, Vec<u8>)> {
        self.transmit.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// When [`Self::handle_timeout`] must next run.
    pub fn poll_timeout(&self) -> Option<u64> {
        match self.state {
            ClientState::Discovering { deadline, .. } | ClientState::Requesting { deadline, .. } => Some(deadline),
            _ => None,
        }
    }

    pub fn handle_timeout(&mut self, now: u64) {
        match &mut self.state {
            ClientState::Discovering { timeout, deadline } if now >= *deadline => {
                let next = timeout.saturating_mul(2).min(self.config.max_timeout_ms);
                self.send_padi(now, next);
            }
            ClientState::Requesting { ac, cookie, relay, attempts, timeout, deadline } if now >= *deadline => {
                if *attempts >= self.config.padr_attempts {
                    // §7: after the PADR retries, start over with a PADI.
                    self.send_padi(now, self.config.initial_timeout_ms);
                    return;
                }
                *attempts += 1;
                *timeout = timeout.saturating_mul(2).min(self.config.max_timeout_ms);
                let wait = jittered(&mut self.rng, self.config.jitter_percent, *timeout);
                *deadline = now.saturating_add(wait);
                let (ac, cookie, relay) = (*ac, cookie.clone(), relay.clone());
                self.send_padr(ac, cookie.as_deref(), relay.as_deref());
            }
            _ => {}
        }
    }

    pub fn handle_frame(&mut self, now: u64, port: u16, frame: &[u8]) {
        if let Err(r) = self.frame(now, port, frame) {
            self.stats.drops.add(r);
        }
    }

    /// Send a PADI, or fail if every attempt is used; wait `timeout` for a PADO.
    fn send_padi(&mut self, now: u64, timeout: u64) {
        if self.padis >= self.config.padi_attempts {
            self.fail(FailReason::Timeout);
            return;
        }
        self.padis += 1;
        let wait = self.wait(timeout);
        let mut r = DiscoveryRepr::new(PppoeCode::PADI, 0);
        r.service_names.push(self.config.service_name.as_bytes());
        r.host_uniq = self.config.host_uniq.as_deref();
        r.ppp_max_payload = self.config.max_payload;
        let frame = build_frame(self.config.mac, [0xff; 6], self.config.vlans, &r);
        if let Ok(f) = frame {
            self.transmit.push_back((self.config.port, f));
            self.stats.padi_sent += 1;
        }
        self.state = ClientState::Discovering { timeout, deadline: now.saturating_add(wait) };
    }

    /// `timeout`, jittered.
    fn wait(&mut self, timeout: u64) -> u64 {
        jittered(&mut self.rng, self.config.jitter_percent, timeout)
    }

    fn send_padr(&mut self, ac: Mac, cookie: Option<&[u8]>, relay: Option<&[u8]>) {
        let mut r = DiscoveryRepr::new(PppoeCode::PADR, 0);
        r.service_names.push(self.config.service_name.as_bytes());
        r.host_uniq = self.config.host_uniq.as_deref();
        r.ac_cookie = cookie;
        r.relay_session_id = relay;
        r.ppp_max_payload = self.config.max_payload;
        let frame = build_frame(self.config.mac, ac, self.config.vlans, &r);
        if let Ok(f) = frame {
            self.transmit.push_back((self.config.port, f));
            self.stats.padr_sent += 1;
        }
    }

    fn fail(&mut self, reason: FailReason) {
        self.state = ClientState::Failed;
        self.events.push_back(ClientEvent::Failed { reason });
    }

    fn frame(&mut self, now: u64, port: u16, frame: &[u8]) -> Result<(), DropReason> {
        if port != self.config.port {
            return Err(DropReason::UnknownPort);
        }
        let (l2, r, _) = parse_discovery(frame)?;
        if (l2.outer_vlan.map(|t| t.vid), l2.inner_vlan.map(|t| t.vid)) != self.config.vlans.vids() {
            return Err(DropReason::WrongVlan);
        }
        if l2.dst.0 != self.config.mac {
            return Err(DropReason::NotForUs);
        }
        if !is_host_mac(l2.src.0) {
            return Err(DropReason::BadSourceMac);
        }
        let from = l2.src.0;
        match r.code {
            PppoeCode::PADO => {
                self.stats.pado_received += 1;
                self.check_host_uniq(&r)?;
                self.pado(now, from, &r)
            }
            PppoeCode::PADS => {
                self.stats.pads_received += 1;
                self.check_host_uniq(&r)?;
                self.pads(from, &r)
            }
            PppoeCode::PADT => {
                self.stats.padt_received += 1;
                match self.state {
                    ClientState::Established { session_id, ac, .. } => {
                        if from != ac || r.session_id != session_id {
                            return Err(DropReason::NotFromOurAc);
                        }
                        self.state = ClientState::Terminated;
                        let generic_error = r.generic_error.map(text);
                        self.events.push_back(ClientEvent::Terminated { generic_error });
                        Ok(())
                    }
                    _ => Err(DropReason::NotExpected),
                }
            }
            _ => Err(DropReason::UnexpectedCode),
        }
    }

    fn check_host_uniq(&self, r: &DiscoveryRepr<'_>) -> Result<(), DropReason> {
        if r.host_uniq != self.config.host_uniq.as_deref() {
            return Err(DropReason::HostUniqMismatch);
        }
        Ok(())
    }

    fn pado(&mut self, now: u64, from: Mac, r: &DiscoveryRepr<'_>) -> Result<(), DropReason> {
        if !matches!(self.state, ClientState::Discovering { .. }) {
            return Err(DropReason::NotExpected);
        }
        let ours = self.config.service_name.as_bytes();
        // §5.2: the PADO carries the PADI's Service-Name; with "any" we take any offer.
        let offers = ours.is_empty() || r.service_names.contains(&ours);
        let ac_ok = match &self.config.ac_name {
            Some(n) => r.ac_name == Some(n.as_bytes()),
            None => true,
        };
        if !offers || !ac_ok || r.has_error() {
            return Err(DropReason::OfferRejected);
        }
        let cookie = r.ac_cookie.map(<[u8]>::to_vec);
        let relay = r.relay_session_id.map(<[u8]>::to_vec);
        self.send_padr(from, cookie.as_deref(), relay.as_deref());
        let timeout = self.config.initial_timeout_ms;
        self.state = ClientState::Requesting {
            ac: from,
            cookie,
            relay,
            attempts: 1,
            timeout,
            deadline: now.saturating_add(self.wait(timeout)),
        };
        Ok(())
    }

    fn pads(&mut self, from: Mac, r: &DiscoveryRepr<'_>) -> Result<(), DropReason> {
        let (ac, relay) = match &self.state {
            ClientState::Requesting { ac, relay, .. } => (*ac, relay.clone()),
            _ => return Err(DropReason::NotExpected),
        };
        if from != ac {
            return Err(DropReason::NotFromOurAc);
        }
        if let Some(t) = r.service_name_error {
            self.fail(FailReason::ServiceNameError(text(t)));
        } else if let Some(t) = r.ac_system_error {
            self.fail(FailReason::AcSystemError(text(t)));
        } else if let Some(t) = r.generic_error {
            self.fail(FailReason::GenericError(text(t)));
        } else {
            // RFC 4638: the AC's value, if we asked and it is more than RFC 2516's 1492.
            let max_payload = match (self.config.max_payload, r.ppp_max_payload) {
                (Some(ours), Some(theirs)) if theirs.min(ours) > DEFAULT_MRU => Some(theirs.min(ours)),
                _ => None,
            };
            let session_id = r.session_id;
            self.state = ClientState::Established { session_id, ac, relay, max_payload };
            self.events.push_back(ClientEvent::Established { session_id, ac_mac: ac, max_payload });
        }
        Ok(())
    }
}

/// `timeout` shortened by 0 to `percent` percent (at most 100).
fn jittered(rng: &mut u64, percent: u8, timeout: u64) -> u64 {
    if percent == 0 {
        return timeout;
    }
    *rng ^= *rng << 13;
    *rng ^= *rng >> 7;
    *rng ^= *rng << 17;
    let cut = timeout.saturating_mul(*rng % (percent.min(100) as u64 + 1)) / 100;
    timeout - cut
}
