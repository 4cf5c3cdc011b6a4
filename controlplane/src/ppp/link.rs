//! The PPP link: one PPP session from Link Establishment to Link Dead (RFC 1661 §3.2),
//! whatever carries it — PPPoE (RFC 2516), L2TPv2 (RFC 2661), PPTP's enhanced GRE
//! (RFC 2637) or a dial-out client — in either role:
//!
//! - **server** (access concentrator, LNS, PPTP server): LCP asks the peer to authenticate
//!   with the profile's methods, AAA judges the credentials (the link asks, its owner
//!   answers), the owner assigns an address, IPCP gives it to the peer;
//! - **client** (emulated subscriber, dial-out): LCP accepts an authentication method it
//!   has credentials for, authenticates itself, takes the address IPCP offers.
//!
//! It composes the machines of this folder in the order of §3.2: `Fsm<Lcp>` (with the
//! [`Echo`] keepalive), then PAP (RFC 1334), CHAP-MD5 (RFC 1994) or MS-CHAPv2 (RFC 2759)
//! as LCP agreed, then `Fsm<Ipcp>` (RFC 1332, RFC 1877). It knows nothing of Ethernet,
//! PPPoE, UDP or GRE: it is fed `(now, protocol, payload)` — the PPP Protocol field and
//! what follows it — and polled for `(protocol, payload)` to send, its next deadline, and
//! [`LinkEvent`]s. The carrier frames and unframes; the subscriber manager answers
//! [`LinkEvent::Authenticate`] with [`Link::auth_verdict`] and [`LinkEvent::NeedAddress`]
//! with [`Link::assign_address`], and acts on [`LinkEvent::Up`], [`LinkEvent::Down`] and
//! [`LinkEvent::Finished`].
//!
//! What the carrier permits is a [`CarrierLimits`]: the largest MRU it carries and which of
//! ACCM/PFC/ACFC may be negotiated (none on PPPoE, RFC 2516 §7; all on L2TP and PPTP).
//! What the operator wants is a [`LinkProfile`] (the `[ppp.NAME]` section of the
//! configuration).
//!
//! # Phases and how the link ends
//!
//! - Establish: LCP negotiates. Any LCP failure (Max-Configure, peer refuses every
//!   authentication method, loopback) ends the link.
//! - Authenticate: the method LCP agreed runs; a reject, a timeout, or a peer that never
//!   authenticates ends the link (RFC 1334 §2.2.1, RFC 1994 §4.2: "SHOULD take action to
//!   terminate the link").
//! - Network: IPCP; Max-Configure or a peer that refuses its address ends the link (the link
//!   exists to carry IPv4; without IPCP it serves nothing).
//! - Up: IPCP Opened. Keepalive failure, the session timeout, the idle timeout, the peer's
//!   Terminate-Request or an operator's [`Link::close`] end it.
//! - LCP leaving Opened (renegotiation, §4.3 RCR in Opened) takes the link back to
//!   Establish: authentication and IPCP run again, [`LinkEvent::Down`] tells the owner to
//!   stop forwarding first.
//!
//! Ending is LCP's Close: a Terminate-Request with the reason, retransmitted by the
//! automaton's restart timer, then This-Layer-Finished, then [`LinkEvent::Finished`] with
//! the first reason given and its RADIUS Acct-Terminate-Cause (RFC 2866 §5.10). When the
//! carrier itself is gone (a PADT, a CDN) [`Link::lower_down`] finishes at once with no
//! Terminate exchange (§4.3 Down).
//!
//! # Timeouts
//!
//! - **Session timeout** (RFC 2865 §5.27): from Up; the profile's value, unless AAA gave
//!   one. Ends with cause Session-Timeout.
//! - **Idle timeout** (RFC 2865 §5.28): the link cannot see the data plane, so its owner
//!   reports the subscriber's received-packet count with [`Link::observe_traffic`] (before
//!   [`Link::handle_timeout`], and whenever it likes); the link ends, with cause
//!   Idle-Timeout, when the count has not moved for the timeout. Only traffic *from* the
//!   subscriber counts: a host scanning the subscriber's address must not keep an idle
//!   session alive. LCP and other control packets do not count.
//! - **Negotiation limit**: a link that is not Up within [`LinkProfile::setup_timeout_ms`]
//!   of its start ends (cause NAS-Error): a peer can stall in a phase whose machine has no
//!   timer of its own (IPCP Ack-Sent with a peer that never acks, an authenticator waiting
//!   for an answer that never comes back from a broken AAA).

use std::fmt;
use std::net::Ipv4Addr;
use std::sync::Arc;

use dataplane::wire::ppp::{ControlPacket, PppProtocol};

use super::chap::{ChapClient, ChapServer, ClientConfig as ChapClientConfig, ServerConfig as ChapServerConfig};
use super::fsm::{self, Fsm, FsmConfig, Queue, State};
use super::ipcp::{Ipcp, IpcpClientConfig, IpcpServerConfig};
use super::lcp::{send_protocol_reject, Echo, EchoConfig, Framing, Lcp, LcpConfig, LcpNegotiated, Role};
use super::mschapv2::{
    ClientConfig as MsChapV2ClientConfig, MsChapV2Client, MsChapV2Server, ServerConfig as MsChapV2ServerConfig,
};
use super::pap::{
    ClientConfig as PapClientConfig, ClientEvent, PapClient, PapServer, ServerConfig as PapServerConfig,
    ServerEvent, VerdictError,
};
use crate::aaa::{Attributes, AuthOutcome, Credentials, Method, TerminateCause};
use crate::random::Random;

/// What the operator configures for a PPP session (a `[ppp.NAME]` profile, server role).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkProfile {
    /// The MRU LCP asks for; the carrier caps it ([`CarrierLimits::max_mru`]).
    pub mru: u16,
    /// Authentication methods offered, most preferred first (at least one).
    pub auth: Vec<Method>,
    /// Our name in CHAP Challenges (RFC 1994 §4.1).
    pub name: Vec<u8>,
    /// LCP Echo keepalive (None: off).
    pub echo: Option<EchoConfig>,
    /// Ms from Up; None: none unless AAA gives one.
    pub session_timeout_ms: Option<u64>,
    /// Ms without traffic from the peer; None: none unless AAA gives one.
    pub idle_timeout_ms: Option<u64>,
    /// Our IPCP address (the subscribers' gateway).
    pub gateway: Ipv4Addr,
    /// The framing options the operator allows where the carrier permits them.
    pub framing: Framing,
    /// MS-CHAPv2 attempts (RFC 2759 §6 retry) before the link ends.
    pub max_auth_attempts: u8,
    /// A link not Up within this many ms of its start ends.
    pub setup_timeout_ms: u64,
    /// The RFC 1661 automaton's timers and counters, for LCP and IPCP.
    pub fsm: FsmConfig,
}

impl LinkProfile {
    /// The defaults of a `[ppp]` profile: MRU 1492, CHAP-MD5 then PAP, echo every 10 s with
    /// 3 failures, no timeouts, framing options allowed where the carrier permits.
    pub fn new(gateway: Ipv4Addr) -> LinkProfile {
        LinkProfile {
            mru: super::lcp::PPPOE_MAX_MRU,
            auth: vec![Method::ChapMd5, Method::Pap],
            name: b"dpvpn".to_vec(),
            echo: Some(EchoConfig { interval_ms: 10_000, failures: 3 }),
            session_timeout_ms: None,
            idle_timeout_ms: None,
            gateway,
            framing: Framing::ALL,
            max_auth_attempts: 1,
            setup_timeout_ms: 120_000,
            fsm: FsmConfig::default(),
        }
    }
}

/// What a client (subscriber, dial-out) dials with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientProfile {
    pub username: Vec<u8>,
    pub password: Vec<u8>,
    /// Methods we accept when the server asks, most preferred first.
    pub methods: Vec<Method>,
    /// The MRU LCP asks for (None: do not ask).
    pub mru: Option<u16>,
    /// The framing options we ask for, where the carrier permits them (pppd asks all three).
    pub framing: Framing,
    pub echo: Option<EchoConfig>,
    /// The address IPCP asks for (0.0.0.0: "assign me one", RFC 1332 §3.3).
    pub address: Ipv4Addr,
    /// Ask for DNS servers (RFC 1877).
    pub dns: bool,
    pub fsm: FsmConfig,
}

impl ClientProfile {
    pub fn new(username: &[u8], password: &[u8]) -> ClientProfile {
        ClientProfile {
            username: username.to_vec(),
            password: password.to_vec(),
            methods: vec![Method::ChapMd5, Method::Pap],
            mru: Some(super::lcp::PPPOE_MAX_MRU),
            framing: Framing::ALL,
            echo: None,
            address: Ipv4Addr::UNSPECIFIED,
            dns: true,
            fsm: FsmConfig::default(),
        }
    }
}

/// What the carrier can carry and permits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CarrierLimits {
    /// The largest MRU both ways: 1492 on PPPoE (RFC 2516 §7) or its PPP-Max-Payload
    /// (RFC 4638), the path MTU less the headers on L2TP and PPTP.
    pub max_mru: u16,
    /// ACCM/PFC/ACFC: [`Framing::NONE`] on PPPoE (RFC 2516 §7), [`Framing::ALL`] on L2TP
    /// (RFC 2661) and PPTP (RFC 2637).
    pub framing: Framing,
}

impl CarrierLimits {
    /// PPPoE with `max_mru` (1492, or the PPP-Max-Payload agreed in discovery).
    pub fn pppoe(max_mru: u16) -> CarrierLimits {
        CarrierLimits { max_mru, framing: Framing::NONE }
    }
}

/// A configuration the link cannot run with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkError(pub String);

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LinkError {}

/// Where the link is in RFC 1661 §3.2's phases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// LCP negotiating.
    Establish,
    /// PAP, CHAP or MS-CHAPv2 running, or AAA deciding.
    Authenticate,
    /// Authenticated; waiting for an address (server) or IPCP negotiating.
    Network,
    /// IPCP Opened: traffic flows.
    Up,
    /// LCP closing.
    Terminate,
    /// Finished: nothing more happens.
    Dead,
}

impl Phase {
    pub const ALL: [Phase; 6] =
        [Phase::Establish, Phase::Authenticate, Phase::Network, Phase::Up, Phase::Terminate, Phase::Dead];

    pub fn name(self) -> &'static str {
        match self {
            Phase::Establish => "lcp",
            Phase::Authenticate => "auth",
            Phase::Network => "ipcp",
            Phase::Up => "up",
            Phase::Terminate => "terminating",
            Phase::Dead => "dead",
        }
    }
}

/// The address and servers the owner gives a server link for IPCP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddressGrant {
    pub address: Ipv4Addr,
    pub dns: [Option<Ipv4Addr>; 2],
    pub nbns: [Option<Ipv4Addr>; 2],
}

/// RFC 3079 §3 MPPE master keys from an MS-CHAPv2 authentication, from this end's point
/// of view: `send` encrypts what we send.
pub use crate::aaa::MppeKeys;

/// What the link tells its owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkEvent {
    /// LCP is Opened with these values: publish the peer's MRU and our Magic-Number to the
    /// data plane (Echo offload, MTU checks).
    Established(LcpNegotiated),
    /// Server: ask AAA whether `credentials` prove `username`; answer with
    /// [`Link::auth_verdict`] whenever the answer comes.
    Authenticate { username: Vec<u8>, credentials: Credentials },
    /// The authentication phase succeeded (server: the peer was told; client: the server
    /// accepted us and, for MS-CHAPv2, proved it knows our password). `mppe`: the MPPE keys
    /// MS-CHAPv2 derived, for the carrier (PPTP encrypts with them).
    Authenticated { username: Vec<u8>, method: Method, mppe: Option<MppeKeys> },
    /// Server: give the peer an address with [`Link::assign_address`] (from `attributes` or a
    /// pool), or end the link with [`Link::close`].
    NeedAddress { attributes: Box<Attributes> },
    /// IPCP is Opened: forward IPv4. `local` is our address on the link, `peer` the peer's.
    Up { local: Ipv4Addr, peer: Ipv4Addr, dns: [Option<Ipv4Addr>; 2] },
    /// IPCP left Opened: stop forwarding. `release`: the address the owner assigned is no
    /// longer this link's (LCP renegotiating or closing; a new authentication asks for a new
    /// one); without it IPCP is only renegotiating the same address.
    Down { release: bool },
    /// The link is dead: end the carrier session (PADT, CDN, Call-Disconnect-Notify).
    Finished { cause: TerminateCause, reason: String },
}

/// What became of a packet given to [`Link::handle_packet`], for counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Received {
    /// A machine took it.
    Handled,
    /// Nobody wanted it now (malformed, wrong phase, a protocol before LCP opened).
    Discarded,
    /// A protocol we do not run: answered with an LCP Protocol-Reject (RFC 1661 §5.7).
    ProtocolRejected,
}

/// The authenticator of a server link, while the phase runs (boxed: an established link
/// holds none).
enum AuthServer {
    Pap(PapServer),
    Chap(ChapServer),
    MsChapV2(MsChapV2Server),
}

/// A client link's authentication machine.
enum AuthClient {
    Pap(PapClient),
    Chap(ChapClient),
    MsChapV2(MsChapV2Client),
}

enum Auth {
    None,
    Server(Box<AuthServer>),
    Client(Box<AuthClient>),
}

/// The role-specific settings a link keeps after start: shared, since every session of a
/// profile has the same.
enum RoleConfig {
    Server { profile: Arc<LinkProfile> },
    Client { profile: Arc<ClientProfile> },
}

/// One PPP session. See the module documentation.
pub struct Link {
    role: RoleConfig,
    phase: Phase,
    lcp: Fsm<Lcp>,
    echo: Option<Echo>,
    auth: Auth,
    /// The method LCP agreed, once it did.
    method: Option<Method>,
    /// MS-CHAPv2's MPPE keys, once authenticated (boxed: most links have none).
    mppe: Option<Box<MppeKeys>>,
    username: Box<[u8]>,
    ipcp: Option<Fsm<Ipcp>>,
    /// Server: the address being offered or in use.
    address: Option<Ipv4Addr>,
    /// Server: waiting for [`Link::assign_address`].
    awaiting_address: bool,
    /// Server: waiting for [`Link::auth_verdict`].
    awaiting_verdict: bool,
    started_ms: u64,
    /// Seconds; 0: none (RADIUS carries them as 32-bit seconds, RFC 2865 §5.27–§5.28).
    session_timeout_s: u32,
    idle_timeout_s: u32,
    up_since: Option<u64>,
    /// Idle accounting: the last packet count seen and when it last moved.
    rx_packets: u64,
    last_activity: u64,
    /// Why the link is ending (boxed: a link that is not ending, the common case, holds
    /// none).
    ending: Option<Box<(TerminateCause, String)>>,
    random: Random,
    tx: Queue<(PppProtocol, Vec<u8>)>,
    events: Queue<LinkEvent>,
}

impl fmt::Debug for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Link").field("phase", &self.phase).field("lcp", &self.lcp.state()).finish_non_exhaustive()
    }
}

/// Milliseconds as whole seconds (rounded up), 0 for none.
fn seconds(ms: Option<u64>) -> u32 {
    ms.map_or(0, |ms| ms.div_ceil(1000).min(u32::MAX as u64) as u32)
}

fn framing_lcp(lcp: &mut LcpConfig, allowed: Framing, carrier: CarrierLimits, mru: Option<u16>) {
    lcp.max_mru = carrier.max_mru;
    lcp.mru = mru.map(|m| m.min(carrier.max_mru));
    lcp.accept = allowed.and(carrier.framing);
}

impl Link {
    /// A server link, started at `now`: LCP's first Configure-Request goes out at once.
    pub fn server(now: u64, profile: &Arc<LinkProfile>, carrier: CarrierLimits, mut random: Random) -> Result<Link, LinkError> {
        let methods: Vec<Method> = profile.auth.iter().copied().filter(|&m| Self::can_serve(m)).collect();
        if methods.is_empty() {
            return Err(LinkError("auth: no method this server can run".into()));
        }
        let mut lc = LcpConfig::server(methods);
        framing_lcp(&mut lc, profile.framing, carrier, Some(profile.mru));
        let lcp = Lcp::new(lc, random.u64()).map_err(|e| LinkError(format!("LCP: {e}")))?;
        let fsm = Fsm::new(lcp, profile.fsm, random.u8()).map_err(|e| LinkError(format!("LCP: {e}")))?;
        let echo = profile.echo.map(Echo::new).transpose().map_err(|e| LinkError(e.to_string()))?;
        let mut link = Link::new(now, RoleConfig::Server { profile: profile.clone() }, fsm, echo, random);
        link.session_timeout_s = seconds(profile.session_timeout_ms);
        link.idle_timeout_s = seconds(profile.idle_timeout_ms);
        link.start(now);
        Ok(link)
    }

    /// A client link, started at `now`.
    pub fn client(now: u64, profile: &Arc<ClientProfile>, carrier: CarrierLimits, mut random: Random) -> Result<Link, LinkError> {
        let methods: Vec<Method> = profile.methods.iter().copied().filter(|&m| Self::can_dial(m)).collect();
        let mut lc = LcpConfig::client(methods);
        framing_lcp(&mut lc, Framing::ALL, carrier, profile.mru);
        lc.request = profile.framing.and(carrier.framing);
        let lcp = Lcp::new(lc, random.u64()).map_err(|e| LinkError(format!("LCP: {e}")))?;
        let fsm = Fsm::new(lcp, profile.fsm, random.u8()).map_err(|e| LinkError(format!("LCP: {e}")))?;
        let echo = profile.echo.map(Echo::new).transpose().map_err(|e| LinkError(e.to_string()))?;
        let mut link = Link::new(now, RoleConfig::Client { profile: profile.clone() }, fsm, echo, random);
        link.start(now);
        Ok(link)
    }

    /// The methods a server link runs.
    fn can_serve(m: Method) -> bool {
        matches!(m, Method::Pap | Method::ChapMd5 | Method::MsChapV2)
    }

    fn can_dial(m: Method) -> bool {
        matches!(m, Method::Pap | Method::ChapMd5 | Method::MsChapV2)
    }

    fn new(now: u64, role: RoleConfig, lcp: Fsm<Lcp>, echo: Option<Echo>, random: Random) -> Link {
        Link {
            role,
            phase: Phase::Establish,
            lcp,
            echo,
            auth: Auth::None,
            method: None,
            mppe: None,
            username: Box::default(),
            ipcp: None,
            address: None,
            awaiting_address: false,
            awaiting_verdict: false,
            started_ms: now,
            session_timeout_s: 0,
            idle_timeout_s: 0,
            up_since: None,
            rx_packets: 0,
            last_activity: now,
            ending: None,
            random,
            tx: Queue::new(),
            events: Queue::new(),
        }
    }

    fn start(&mut self, now: u64) {
        self.lcp.up(now);
        self.lcp.open(now);
        self.drive(now);
    }

    pub fn role(&self) -> Role {
        match self.role {
            RoleConfig::Server { .. } => Role::Server,
            RoleConfig::Client { .. } => Role::Client,
        }
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// LCP's state, for logs and tests.
    pub fn lcp_state(&self) -> State {
        self.lcp.state()
    }

    /// What LCP agreed, once it did.
    pub fn lcp_negotiated(&self) -> Option<LcpNegotiated> {
        self.lcp.protocol().negotiated()
    }

    /// Client: the MPPE keys MS-CHAPv2 derived, once the server proved itself (RFC 3079 §3).
    pub fn mppe_keys(&self) -> Option<MppeKeys> {
        self.mppe.as_deref().copied()
    }

    /// The method LCP agreed, once it did.
    pub fn method(&self) -> Option<Method> {
        self.method
    }

    /// Server: the name the peer authenticated (or tried to) with. Client: ours.
    pub fn username(&self) -> &[u8] {
        &self.username
    }

    /// Server: the address assigned to the peer. Client: the address we were given.
    pub fn address(&self) -> Option<Ipv4Addr> {
        self.address
    }

    /// When IPCP opened (last), if the link is Up.
    pub fn up_since(&self) -> Option<u64> {
        self.up_since
    }

    pub fn started(&self) -> u64 {
        self.started_ms
    }

    /// Why the link is ending, once it is.
    pub fn ending(&self) -> Option<&(TerminateCause, String)> {
        self.ending.as_deref()
    }

    /// The session and idle timeouts in force (ms): the profile's, or AAA's once the peer
    /// authenticated.
    pub fn timeouts(&self) -> (Option<u64>, Option<u64>) {
        let ms = |s: u32| (s > 0).then_some(s as u64 * 1000);
        (ms(self.session_timeout_s), ms(self.idle_timeout_s))
    }

    // ---- input ----

    /// A PPP packet from the peer: `protocol` and what follows the Protocol field.
    pub fn handle_packet(&mut self, now: u64, protocol: PppProtocol, payload: &[u8]) -> Received {
        if self.phase == Phase::Dead {
            return Received::Discarded;
        }
        if let Some(e) = self.echo.as_mut() {
            e.traffic_seen(now);
        }
        let control = ControlPacket::new_checked(payload).ok();
        let r = match protocol {
            PppProtocol::LCP => match control {
                Some(c) => {
                    self.lcp.handle_packet(now, c.code(), c.identifier(), c.data());
                    Received::Handled
                }
                None => Received::Discarded,
            },
            PppProtocol::PAP | PppProtocol::CHAP => self.auth_packet(now, protocol, payload),
            PppProtocol::IPCP => match (&mut self.ipcp, control) {
                (Some(f), Some(c)) => {
                    f.handle_packet(now, c.code(), c.identifier(), c.data());
                    Received::Handled
                }
                // Before the network phase an NCP packet is silently discarded (RFC 1661
                // §3.5): the peer retransmits.
                _ => Received::Discarded,
            },
            // IPv4 reaches the control plane only if a carrier hands it over before the data
            // plane forwards it: nothing to do with it here.
            PppProtocol::IPV4 => Received::Discarded,
            other => {
                // A protocol we do not run (IPv6CP, CCP, IPX…): Protocol-Reject (§5.7), only
                // once LCP is Opened (before, §3.4 says silently discard).
                if self.lcp.state() == State::Opened {
                    let keep = payload.len().min(1500);
                    if send_protocol_reject(&mut self.lcp, other, &payload[..keep]).is_ok() {
                        Received::ProtocolRejected
                    } else {
                        Received::Discarded
                    }
                } else {
                    Received::Discarded
                }
            }
        };
        self.drive(now);
        r
    }

    fn auth_packet(&mut self, now: u64, protocol: PppProtocol, payload: &[u8]) -> Received {
        let random = &mut self.random;
        match &mut self.auth {
            Auth::Server(s) => match (&mut **s, protocol) {
                (AuthServer::Pap(m), PppProtocol::PAP) => m.handle_packet(now, payload),
                (AuthServer::Chap(m), PppProtocol::CHAP) => m.handle_packet(now, payload),
                (AuthServer::MsChapV2(m), PppProtocol::CHAP) => m.handle_packet(now, payload),
                _ => return Received::Discarded,
            },
            Auth::Client(c) => match (&mut **c, protocol) {
                (AuthClient::Pap(m), PppProtocol::PAP) => m.handle_packet(now, payload),
                (AuthClient::Chap(m), PppProtocol::CHAP) => m.handle_packet(now, payload),
                (AuthClient::MsChapV2(m), PppProtocol::CHAP) => m.handle_packet(now, payload, &mut || random.block()),
                _ => return Received::Discarded,
            },
            // A CHAP re-challenge after the phase (RFC 1994 §4.1 allows it) finds no client
            // machine once the link is up: discarded; a server never re-challenges today.
            Auth::None => return Received::Discarded,
        }
        Received::Handled
    }

    /// The AAA answer to [`LinkEvent::Authenticate`].
    pub fn auth_verdict(&mut self, now: u64, outcome: AuthOutcome) -> Result<(), VerdictError> {
        let random = &mut self.random;
        let r = match &mut self.auth {
            Auth::Server(s) => match &mut **s {
                AuthServer::Pap(m) => m.verdict(now, outcome),
                AuthServer::Chap(m) => m.verdict(now, outcome),
                // A Failure that invites a retry (RFC 2759 §6, R=1) carries a new challenge.
                AuthServer::MsChapV2(m) => m.verdict(now, outcome, &mut || random.block()),
            },
            _ => Err(VerdictError { state: super::pap::ServerState::TimedOut }),
        };
        if r.is_ok() {
            self.awaiting_verdict = false;
        }
        self.drive(now);
        r
    }

    /// Is an [`LinkEvent::Authenticate`] waiting for its verdict?
    pub fn awaiting_verdict(&self) -> bool {
        self.awaiting_verdict
    }

    /// Server: the address (and servers) for IPCP, after [`LinkEvent::NeedAddress`].
    pub fn assign_address(&mut self, now: u64, grant: AddressGrant) -> Result<(), LinkError> {
        let RoleConfig::Server { profile } = &self.role else {
            return Err(LinkError("a client link is given its address by the peer".into()));
        };
        if !self.awaiting_address {
            return Err(LinkError("no address was asked for".into()));
        }
        let mut ic = IpcpServerConfig::new(profile.gateway);
        ic.primary_dns = grant.dns[0];
        ic.secondary_dns = grant.dns[1];
        ic.primary_nbns = grant.nbns[0];
        ic.secondary_nbns = grant.nbns[1];
        let fsm_config = profile.fsm;
        let ipcp = Ipcp::server(ic, grant.address).map_err(|e| LinkError(format!("IPCP: {e}")))?;
        let mut f = Fsm::new(ipcp, fsm_config, self.random.u8()).map_err(|e| LinkError(format!("IPCP: {e}")))?;
        self.awaiting_address = false;
        self.address = Some(grant.address);
        f.up(now);
        f.open(now);
        self.ipcp = Some(f);
        self.drive(now);
        Ok(())
    }

    /// Is a [`LinkEvent::NeedAddress`] waiting for its answer?
    pub fn awaiting_address(&self) -> bool {
        self.awaiting_address
    }

    /// End the link: LCP Terminate-Request with `reason` as its data (RFC 1661 §5.5), then
    /// [`LinkEvent::Finished`] with `cause`. The first reason given is the one reported.
    pub fn close(&mut self, now: u64, reason: &str, cause: TerminateCause) {
        self.close_inner(now, reason, reason, cause);
        self.drive(now);
    }

    /// The carrier is gone (PADT, CDN, the tunnel down): no Terminate exchange is possible;
    /// the link finishes at once (§4.3 Down).
    pub fn lower_down(&mut self, now: u64, reason: &str, cause: TerminateCause) {
        if self.phase == Phase::Dead {
            return;
        }
        self.ending.get_or_insert_with(|| Box::new((cause, reason.to_string())));
        self.leave_network(now);
        self.lcp.down(now);
        self.finish();
        self.drive(now);
    }

    /// The peer's packets seen by the data plane so far (a running count; see the module
    /// documentation on the idle timeout).
    pub fn observe_traffic(&mut self, now: u64, rx_packets: u64) {
        if rx_packets != self.rx_packets {
            self.rx_packets = rx_packets;
            self.last_activity = now;
        }
    }

    // ---- timers ----

    pub fn poll_timeout(&self) -> Option<u64> {
        let mut t: Option<u64> = None;
        let mut consider = |x: Option<u64>| {
            if let Some(x) = x {
                t = Some(t.map_or(x, |y| y.min(x)));
            }
        };
        if self.phase == Phase::Dead {
            return None;
        }
        consider(self.lcp.poll_timeout());
        consider(self.echo.as_ref().and_then(|e| e.poll_timeout()));
        match &self.auth {
            Auth::Server(s) => consider(match &**s {
                AuthServer::Pap(m) => m.poll_timeout(),
                AuthServer::Chap(m) => m.poll_timeout(),
                AuthServer::MsChapV2(m) => m.poll_timeout(),
            }),
            Auth::Client(c) => consider(match &**c {
                AuthClient::Pap(m) => m.poll_timeout(),
                AuthClient::Chap(m) => m.poll_timeout(),
                AuthClient::MsChapV2(m) => m.poll_timeout(),
            }),
            Auth::None => {}
        }
        consider(self.ipcp.as_ref().and_then(|f| f.poll_timeout()));
        consider(self.own_deadline());
        t
    }

    /// The link's own deadline: setup limit, session timeout or idle timeout.
    fn own_deadline(&self) -> Option<u64> {
        match self.phase {
            Phase::Up => {
                let up = self.up_since?;
                let (session, idle) = self.timeouts();
                let s = session.map(|t| up.saturating_add(t));
                let i = idle.map(|t| self.last_activity.max(up).saturating_add(t));
                match (s, i) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            }
            Phase::Establish | Phase::Authenticate | Phase::Network => Some(self.setup_deadline()),
            Phase::Terminate | Phase::Dead => None,
        }
    }

    fn setup_deadline(&self) -> u64 {
        let limit = match &self.role {
            RoleConfig::Server { profile } => profile.setup_timeout_ms,
            // A client gives up by its machines' own timers (Max-Configure, auth timeout).
            RoleConfig::Client { .. } => u64::MAX / 2,
        };
        self.started_ms.saturating_add(limit)
    }

    pub fn handle_timeout(&mut self, now: u64) {
        let due = |t: Option<u64>| t.is_some_and(|t| t <= now);
        if self.phase == Phase::Dead {
            return;
        }
        if due(self.lcp.poll_timeout()) {
            self.lcp.handle_timeout(now);
        }
        if let Some(e) = self.echo.as_mut() {
            if due(e.poll_timeout()) {
                if let Some(failed) = e.handle_timeout(now, &mut self.lcp) {
                    let reason = failed.close_reason();
                    self.close(now, reason, TerminateCause::LOST_SERVICE);
                }
            }
        }
        let random = &mut self.random;
        match &mut self.auth {
            Auth::Server(s) => match &mut **s {
                AuthServer::Pap(m) if due(m.poll_timeout()) => m.handle_timeout(now),
                AuthServer::Chap(m) if due(m.poll_timeout()) => m.handle_timeout(now, &mut || random.block()),
                AuthServer::MsChapV2(m) if due(m.poll_timeout()) => m.handle_timeout(now, &mut || random.block()),
                _ => {}
            },
            Auth::Client(c) => match &mut **c {
                AuthClient::Pap(m) if due(m.poll_timeout()) => m.handle_timeout(now),
                AuthClient::Chap(m) if due(m.poll_timeout()) => m.handle_timeout(now),
                AuthClient::MsChapV2(m) if due(m.poll_timeout()) => m.handle_timeout(now),
                _ => {}
            },
            Auth::None => {}
        }
        if let Some(f) = self.ipcp.as_mut() {
            if due(f.poll_timeout()) {
                f.handle_timeout(now);
            }
        }
        if due(self.own_deadline()) {
            match self.phase {
                Phase::Up => {
                    let up = self.up_since.unwrap_or(now);
                    if self.timeouts().0.is_some_and(|t| now >= up.saturating_add(t)) {
                        self.close(now, "Session timeout", TerminateCause::SESSION_TIMEOUT);
                    } else {
                        self.close(now, "Idle timeout", TerminateCause::IDLE_TIMEOUT);
                    }
                }
                _ => self.close(now, "Negotiation took too long", TerminateCause::NAS_ERROR),
            }
        }
        self.drive(now);
    }

    // ---- output ----

    /// A packet to send: the PPP protocol and what follows the Protocol field.
    pub fn poll_transmit(&mut self) -> Option<(PppProtocol, Vec<u8>)> {
        self.tx.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<LinkEvent> {
        self.events.pop_front()
    }

    // ---- internals ----

    /// After any input: move every machine's packets out and act on every event, until
    /// nothing moves.
    fn drive(&mut self, now: u64) {
        for _round in 0..64 {
            let mut busy = false;
            while let Some(p) = self.lcp.poll_transmit() {
                busy = true;
                self.tx.push_back((PppProtocol::LCP, super::control_bytes(&p)));
            }
            while let Some(e) = self.lcp.protocol_mut().poll_event() {
                busy = true;
                if let super::lcp::LcpEvent::ProtocolRejected { protocol } = e {
                    if protocol == PppProtocol::IPCP {
                        if let Some(f) = self.ipcp.as_mut() {
                            f.protocol_reject(now, true);
                        }
                    }
                }
                if let Some(reason) = e.close_reason() {
                    self.close_inner(now, reason, reason, TerminateCause::NAS_ERROR);
                }
            }
            while let Some(e) = self.lcp.poll_event() {
                busy = true;
                self.on_lcp(now, e);
            }
            busy |= self.drive_auth(now);
            if let Some(f) = self.ipcp.as_mut() {
                let mut out = Vec::new();
                let mut events = Vec::new();
                let mut side = Vec::new();
                while let Some(p) = f.poll_transmit() {
                    out.push(super::control_bytes(&p));
                }
                while let Some(e) = f.poll_event() {
                    events.push(e);
                }
                while let Some(e) = f.protocol_mut().poll_event() {
                    side.push(e);
                }
                for p in out {
                    busy = true;
                    self.tx.push_back((PppProtocol::IPCP, p));
                }
                for e in side {
                    busy = true;
                    if let Some(reason) = e.close_reason() {
                        self.close_inner(now, reason, reason, TerminateCause::NAS_ERROR);
                    }
                }
                for e in events {
                    busy = true;
                    self.on_ipcp(now, e);
                }
            }
            if !busy {
                break;
            }
        }
    }

    /// Close without driving (callable from inside [`Link::drive`]): `peer_text` goes in the
    /// Terminate-Request, `reason` (which may say more) is reported.
    fn close_inner(&mut self, now: u64, peer_text: &str, reason: &str, cause: TerminateCause) {
        if matches!(self.phase, Phase::Dead) {
            return;
        }
        self.ending.get_or_insert_with(|| Box::new((cause, reason.to_string())));
        self.leave_network(now);
        self.phase = Phase::Terminate;
        self.lcp.close(now, peer_text.as_bytes());
    }

    fn on_lcp(&mut self, now: u64, e: fsm::Event) {
        match e {
            fsm::Event::ThisLayerUp => {
                let Some(n) = self.lcp.protocol().negotiated() else { return };
                self.lcp.set_peer_mru(n.peer_mru);
                if let Some(e) = self.echo.as_mut() {
                    e.start(now);
                }
                self.method = n.authentication;
                self.events.push_back(LinkEvent::Established(n));
                if self.phase == Phase::Terminate {
                    // Closing already (LCP reopened under a Close in flight): no phases.
                    return;
                }
                self.start_auth(now, n.authentication);
            }
            fsm::Event::ThisLayerDown => {
                // LCP left Opened: closing, or renegotiating (RFC 1661 §4.3 RCR in
                // Opened). Either way the phases above it end (§3.2: back to Link
                // Establishment); if LCP opens again, authentication and IPCP run again.
                if let Some(e) = self.echo.as_mut() {
                    e.stop();
                }
                self.leave_network(now);
                if !matches!(self.phase, Phase::Terminate | Phase::Dead) {
                    self.phase = Phase::Establish;
                }
            }
            fsm::Event::ThisLayerFinished => self.finish(),
            fsm::Event::TerminateRequested { data } => {
                let text = String::from_utf8_lossy(&data).into_owned();
                self.ending.get_or_insert_with(|| {
                    Box::new((TerminateCause::USER_REQUEST, format!("Terminate-Request from the peer: {text:?}")))
                });
                self.phase = Phase::Terminate;
            }
            fsm::Event::ThisLayerStarted | fsm::Event::Discarded { .. } => {}
        }
    }

    /// Authentication and the network layer end: the peer's address goes, the owner is
    /// told to stop forwarding.
    fn leave_network(&mut self, now: u64) {
        let was_up = self.up_since.take().is_some();
        let had_address = self.address.take().is_some() || self.awaiting_address;
        self.auth = Auth::None;
        self.awaiting_verdict = false;
        self.awaiting_address = false;
        if let Some(mut f) = self.ipcp.take() {
            f.down(now);
        }
        if was_up || had_address {
            self.events.push_back(LinkEvent::Down { release: true });
        }
    }

    fn finish(&mut self) {
        if self.phase == Phase::Dead {
            return;
        }
        self.phase = Phase::Dead;
        self.auth = Auth::None;
        self.ipcp = None;
        if let Some(e) = self.echo.as_mut() {
            e.stop();
        }
        let (cause, reason) =
            self.ending.as_deref().cloned().unwrap_or_else(|| (TerminateCause::NAS_REQUEST, "link terminated".to_string()));
        self.events.push_back(LinkEvent::Finished { cause, reason });
    }

    fn start_auth(&mut self, now: u64, method: Option<Method>) {
        let random = &mut self.random;
        match &self.role {
            RoleConfig::Server { profile } => {
                let machine = match method {
                    Some(Method::Pap) => PapServer::new(now, PapServerConfig::default()).map(AuthServer::Pap).ok(),
                    Some(Method::ChapMd5) => {
                        let first = random.u8();
                        ChapServer::new(now, ChapServerConfig::new(profile.name.clone()), first, &mut || random.block())
                            .map(AuthServer::Chap)
                            .ok()
                    }
                    Some(Method::MsChapV2) => {
                        let first = random.u8();
                        let mut c = MsChapV2ServerConfig::new(profile.name.clone());
                        c.max_attempts = u32::from(profile.max_auth_attempts.max(1));
                        MsChapV2Server::new(now, c, first, &mut || random.block()).map(AuthServer::MsChapV2).ok()
                    }
                    // LCP never opens without an agreed method the server allows (lcp.rs).
                    _ => None,
                };
                match machine {
                    Some(m) => {
                        self.auth = Auth::Server(Box::new(m));
                        self.phase = Phase::Authenticate;
                    }
                    None => self.close_inner(now, "Authentication required", "no authentication method agreed", TerminateCause::NAS_ERROR),
                }
            }
            RoleConfig::Client { profile } => {
                let (user, pass) = (profile.username.clone(), profile.password.clone());
                self.username = user.clone().into();
                let machine = match method {
                    Some(Method::Pap) => {
                        let first = random.u8();
                        PapClient::new(now, PapClientConfig::new(user, pass), first).map(AuthClient::Pap).ok()
                    }
                    Some(Method::ChapMd5) => ChapClient::new(now, ChapClientConfig::new(user, pass)).map(AuthClient::Chap).ok(),
                    // MS-CHAPv2 hashes the password as UTF-16 (RFC 2759 §8.3): it must be text.
                    Some(Method::MsChapV2) => String::from_utf8(pass)
                        .ok()
                        .and_then(|p| MsChapV2Client::new(now, MsChapV2ClientConfig::new(user, p)).ok())
                        .map(AuthClient::MsChapV2),
                    _ => None,
                };
                match (method, machine) {
                    // The server asked for no authentication: straight to the network phase.
                    (None, _) => self.start_client_ipcp(now),
                    (Some(_), Some(m)) => {
                        self.auth = Auth::Client(Box::new(m));
                        self.phase = Phase::Authenticate;
                    }
                    (Some(_), None) => self.close_inner(now, "Cannot authenticate", "no credentials for the method the peer asked", TerminateCause::NAS_ERROR),
                }
            }
        }
    }

    /// Drain the authentication machine; true if anything moved.
    fn drive_auth(&mut self, now: u64) -> bool {
        let mut busy = false;
        let mut server_events = Vec::new();
        let mut client_events = Vec::new();
        match &mut self.auth {
            Auth::Server(s) => {
                let (proto, m): (PppProtocol, &mut dyn FnMut() -> Option<Vec<u8>>) = match &mut **s {
                    AuthServer::Pap(m) => {
                        while let Some(e) = m.poll_event() {
                            server_events.push(e);
                        }
                        (PppProtocol::PAP, &mut || m.poll_transmit())
                    }
                    AuthServer::Chap(m) => {
                        while let Some(e) = m.poll_event() {
                            server_events.push(e);
                        }
                        (PppProtocol::CHAP, &mut || m.poll_transmit())
                    }
                    AuthServer::MsChapV2(m) => {
                        while let Some(e) = m.poll_event() {
                            server_events.push(e);
                        }
                        (PppProtocol::CHAP, &mut || m.poll_transmit())
                    }
                };
                while let Some(p) = m() {
                    busy = true;
                    self.tx.push_back((proto, p));
                }
            }
            Auth::Client(c) => {
                let (proto, m): (PppProtocol, &mut dyn FnMut() -> Option<Vec<u8>>) = match &mut **c {
                    AuthClient::Pap(m) => {
                        while let Some(e) = m.poll_event() {
                            client_events.push(e);
                        }
                        (PppProtocol::PAP, &mut || m.poll_transmit())
                    }
                    AuthClient::Chap(m) => {
                        while let Some(e) = m.poll_event() {
                            client_events.push(e);
                        }
                        (PppProtocol::CHAP, &mut || m.poll_transmit())
                    }
                    AuthClient::MsChapV2(m) => {
                        while let Some(e) = m.poll_event() {
                            client_events.push(e);
                        }
                        (PppProtocol::CHAP, &mut || m.poll_transmit())
                    }
                };
                while let Some(p) = m() {
                    busy = true;
                    self.tx.push_back((proto, p));
                }
            }
            Auth::None => {}
        }
        for e in server_events {
            busy = true;
            self.on_auth_server(now, e);
        }
        for e in client_events {
            busy = true;
            self.on_auth_client(now, e);
        }
        busy
    }

    fn on_auth_server(&mut self, now: u64, e: ServerEvent) {
        match e {
            ServerEvent::Verify { username, credentials } => {
                self.username = username.clone().into();
                self.awaiting_verdict = true;
                self.events.push_back(LinkEvent::Authenticate { username, credentials });
            }
            ServerEvent::Success { username, attributes } => {
                self.username = username.clone().into();
                // AAA's values win over the profile's (RFC 2865 §5.27–§5.28); 0 from AAA
                // means none.
                if let Some(s) = attributes.session_timeout_s {
                    self.session_timeout_s = s;
                }
                if let Some(s) = attributes.idle_timeout_s {
                    self.idle_timeout_s = s;
                }
                let method = self.method.unwrap_or(Method::Pap);
                let mppe = attributes.mppe;
                self.mppe = mppe.map(Box::new);
                self.events.push_back(LinkEvent::Authenticated { username, method, mppe });
                self.phase = Phase::Network;
                self.awaiting_address = true;
                self.events.push_back(LinkEvent::NeedAddress { attributes: Box::new(attributes) });
            }
            ServerEvent::Failure { username, reason } => {
                self.username = username.into();
                // The peer reads the same text whatever the kind, so it cannot probe for
                // user names; the reason we report says which.
                let why = format!("authentication failed ({}): {}", reason.kind.name(), reason.message);
                self.close_inner(now, "Authentication failed", &why, TerminateCause::USER_ERROR);
            }
            ServerEvent::Failed { reason } => {
                let why = format!("authentication {reason}");
                self.close_inner(now, "Authentication timed out", &why, TerminateCause::USER_ERROR);
            }
            ServerEvent::Discarded { .. } => {}
        }
    }

    fn on_auth_client(&mut self, now: u64, e: ClientEvent) {
        match e {
            ClientEvent::Success { .. } => {
                if self.phase == Phase::Authenticate {
                    let method = self.method.unwrap_or(Method::Pap);
                    let username = self.username.to_vec();
                    let mppe = match &self.auth {
                        Auth::Client(c) => match &**c {
                            AuthClient::MsChapV2(m) => m.mppe_keys(),
                            _ => None,
                        },
                        _ => None,
                    };
                    self.mppe = mppe.map(Box::new);
                    self.events.push_back(LinkEvent::Authenticated { username, method, mppe });
                    self.start_client_ipcp(now);
                }
            }
            ClientEvent::Failure { message } => {
                let m = String::from_utf8_lossy(&message).into_owned();
                let why = format!("authentication failed: {m}");
                self.close_inner(now, "Authentication failed", &why, TerminateCause::USER_ERROR);
            }
            ClientEvent::Failed { reason } => {
                let why = format!("authentication {reason}");
                self.close_inner(now, "Authentication timed out", &why, TerminateCause::USER_ERROR);
            }
            ClientEvent::Discarded { .. } => {}
        }
    }

    fn start_client_ipcp(&mut self, now: u64) {
        let RoleConfig::Client { profile } = &self.role else { return };
        if self.ipcp.is_some() {
            return;
        }
        let ic = IpcpClientConfig { address: profile.address, dns: profile.dns };
        let first = self.random.u8();
        match Fsm::new(Ipcp::client(ic), profile.fsm, first) {
            Ok(mut f) => {
                f.up(now);
                f.open(now);
                self.ipcp = Some(f);
                self.phase = Phase::Network;
            }
            Err(_) => self.close_inner(now, "IPCP failed", "IPCP configuration refused", TerminateCause::NAS_ERROR),
        }
    }

    fn on_ipcp(&mut self, now: u64, e: fsm::Event) {
        match e {
            fsm::Event::ThisLayerUp => {
                let Some(n) = self.ipcp.as_ref().and_then(|f| f.protocol().negotiated()) else { return };
                let (local, peer) = match self.role() {
                    Role::Server => (n.local_address, self.address),
                    Role::Client => (n.local_address, n.peer_address.or(Some(Ipv4Addr::UNSPECIFIED))),
                };
                let (Some(local), Some(peer)) = (local, peer) else {
                    self.close_inner(now, "IPCP failed", "IPCP opened without an address", TerminateCause::NAS_ERROR);
                    return;
                };
                if self.role() == Role::Client {
                    self.address = Some(local);
                }
                // The peer starts IPCP only after it has seen our Success/Ack (RFC 1661
                // §3.5), so no retransmission needs the authenticator any more.
                self.auth = Auth::None;
                self.phase = Phase::Up;
                self.up_since = Some(now);
                self.last_activity = now;
                self.events.push_back(LinkEvent::Up { local, peer, dns: [n.primary_dns, n.secondary_dns] });
            }
            fsm::Event::ThisLayerDown => {
                if self.up_since.take().is_some() {
                    self.events.push_back(LinkEvent::Down { release: false });
                }
                if self.phase == Phase::Up {
                    self.phase = Phase::Network;
                }
            }
            fsm::Event::ThisLayerFinished => {
                // IPCP gave up (refused address, peer silent): without a network layer the
                // link serves nothing.
                if self.phase != Phase::Terminate {
                    self.close_inner(now, "IPCP failed", "IPCP finished", TerminateCause::NAS_ERROR);
                }
            }
            _ => {}
        }
    }
}
