//! The Link Control Protocol (RFC 1661 §5, §6) on PPPoE (RFC 2516 §7), as a [`Protocol`]
//! for the RFC 1661 automaton ([`Fsm`]), in both roles: the access concentrator
//! ([`Role::Server`]) and the subscriber ([`Role::Client`], what the emulator in `perf/`
//! drives). Also here: loop detection by Magic-Number (§6.4, §5.8), the LCP codes beyond
//! 1–7 (Protocol-Reject §5.7, Echo §5.8, Discard §5.9, Identification and Time-Remaining of
//! RFC 1570 §2), and an Echo keepalive ([`Echo`]).
//!
//! Options are read and written with `dataplane::wire::lcp` ([`LcpOption`] through the one
//! TLV reader); the automaton frames nothing, so neither does this file.
//!
//! # Policy
//!
//! What we ask for in our Configure-Request:
//! - **Maximum-Receive-Unit** [`LcpConfig::mru`] (default 1492, RFC 2516 §7). A Nak is
//!   adopted if its value lies in [`MIN_MRU`]..=[`LcpConfig::max_mru`], pulled into that range
//!   otherwise; if the peer Naks the value we already ask, or Rejects the option, we stop
//!   asking (the RFC default 1500 then applies on paper; PPPoE cannot carry more than
//!   `max_mru` anyway).
//! - **Magic-Number** (§6.4), drawn from the caller's seed ([`Lcp::new`]; nothing here reads
//!   a global RNG). A Nak of it makes us draw a new one (§6.4: "a new Magic-Number MUST be
//!   chosen"), never the value the peer suggests.
//! - **Authentication-Protocol**, server only, the first of [`LcpConfig::authentication`].
//!   A Nak naming another method we allow and have not tried switches to it; a Nak naming
//!   one we do not allow moves to our next untried method (as pppd does). When none is left,
//!   or the peer Rejects the option, or Max-Failure Naks were received, the server has been
//!   **refused**: it reports [`LcpEvent::AuthenticationRefused`], whose
//!   [`LcpEvent::close_reason`] tells the session manager to `close` the automaton. The
//!   server cannot open without authentication even if the caller forgets: its requests keep
//!   carrying the Authentication-Protocol option (a Configure-Ack must repeat them byte for
//!   byte, §5.2), and further Naks or Rejects of it are discarded, so the automaton runs out
//!   of Max-Configure and stops by itself.
//!
//! How we judge the peer's Configure-Request (a Reject, if any option needs one, goes first
//! and alone, §5.4; then a Nak, §5.3):
//! - **MRU** is what *we* may send (§6.1). Accepted in [`MIN_MRU`]..=`max_mru`; larger is
//!   Nak'd down to `max_mru` (RFC 2516 §7: no more than 1492 without RFC 4638); smaller is
//!   Nak'd up to [`MIN_MRU`] (68, the smallest IPv4 MTU, RFC 791). Values under 1280 are
//!   accepted: they would matter to IPv6 (RFC 8200 §5), which dpvpn does not run.
//! - **Magic-Number**: zero is Nak'd (§6.4 "MUST always be Nak'd"); our own value means the
//!   link may be looped back, and is Nak'd with a new random value (§6.4 "a Configure-Nak
//!   MUST be sent specifying a different Magic-Number"). That Nak is sent even when other
//!   options would need a Reject, which then waits for the next request: a Reject would not
//!   test the loop. Anything else is accepted.
//! - **Authentication-Protocol**: the server Rejects it (we do not authenticate ourselves to
//!   subscribers); the client accepts a method of [`LcpConfig::authentication`], Naks with
//!   its first one otherwise, or Rejects when that list is empty.
//! - **ACCM, ACFC, PFC** depend on the carrier ([`LcpConfig::accept`]). On PPPoE they are
//!   Rejected: RFC 2516 §7 says ACCM and ACFC MUST NOT be negotiated (and a peer that asks
//!   MUST be rejected) and PFC is NOT RECOMMENDED. On L2TP (RFC 2661 §4.4.5: the LAC
//!   may even proxy them) and PPTP (RFC 2637 §4.2: the PPP frames keep HDLC-like framing
//!   options) they are Acked when the link profile allows them. Acking costs nothing: the
//!   peer's options say what it can *receive* (RFC 1661 §6.5, §6.6: "MAY" compress), and
//!   we keep sending full Address/Control and Protocol fields; an ACCM is meaningless on a
//!   synchronous carrier (RFC 1662 §7.1), so any value is taken. We ask for them
//!   ourselves only when [`LcpConfig::request`] says so (a dial-out client, as pppd
//!   does); the data plane accepts compressed frames on such carriers.
//! - **Quality-Protocol**, FCS-Alternatives and every unknown option: Rejected. A known option with a wrong length
//!   is Nak'd with a well-formed one where we have a value to offer (§6: "a Configure-Nak
//!   SHOULD be transmitted"), Rejected otherwise.
//! - Past Max-Failure Naks (`reject_instead_of_nak`, RFC 1661 §4.6) every would-be Nak is a
//!   Reject.
//!
//! # Loop detection
//!
//! A loop indication is a Configure-Request carrying our Magic-Number, or a Configure-Nak
//! carrying the Magic-Number we last put in a Nak (our own Nak come back, §6.4). On a looped
//! link each round trip gives two; after [`LcpConfig::loopback_fail`] of them without an Ack
//! of our request in between, [`LcpEvent::LoopbackDetected`] is reported (once). In Opened,
//! an Echo-Request carrying our negotiated Magic-Number is reported at once (and not
//! answered): the two sides' numbers were made different by the negotiation, so the request
//! is our own.
//!
//! # After Opened
//!
//! [`Lcp::negotiated`] gives the agreed values (both MRUs, both Magic-Numbers, the
//! authentication method) for the session manager to publish to the data plane; it should
//! also give the peer's MRU to [`Fsm::set_peer_mru`]. [`send_protocol_reject`] builds a
//! Protocol-Reject (§5.7) for packets of a protocol we do not run, IPv6CP included: dpvpn
//! has no IPv6CP [`Protocol`], the session manager rejects it this way.
//!
//! The Echo keepalive is [`Echo`]: see there.

use std::fmt;

use dataplane::wire::lcp::{AuthProtocol, ChapAlgorithm, LcpCode, LcpOption, LcpRepr};
use dataplane::wire::ppp::{ConfigOption, ControlPacket, PppProtocol, CONTROL_HEADER_LEN};
use dataplane::wire::tlv::{TlvIter, TypeLen8};

use super::fsm::{code, Extended, Fsm, NotOpened, Protocol, State, Verdict};
use crate::aaa::Method;

/// The smallest MRU we accept or ask for: 68, the smallest MTU every IPv4 module must handle
/// without fragmenting (RFC 791 §3.2, "Fragmentation").
pub const MIN_MRU: u16 = 68;
/// The MRU on PPPoE without RFC 4638 PPP-Max-Payload (RFC 2516 §7): 1500 less the 6-byte
/// PPPoE header and the 2-byte PPP Protocol field.
pub const PPPOE_MAX_MRU: u16 = 1492;
/// The MRU a link has when the option is not negotiated (RFC 1661 §6.1).
pub const DEFAULT_MRU: u16 = 1500;

/// Which end of the link we are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The access concentrator: asks the peer to authenticate.
    Server,
    /// The subscriber: authenticates itself when asked.
    Client,
}

/// What LCP asks for and accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LcpConfig {
    pub role: Role,
    /// The MRU we ask for (None: do not send the option).
    pub mru: Option<u16>,
    /// The largest MRU the link carries, both ways: [`PPPOE_MAX_MRU`], or the PPP-Max-Payload
    /// agreed in discovery (RFC 4638 §4).
    pub max_mru: u16,
    /// Ask for a Magic-Number (RFC 2516 §7: RECOMMENDED).
    pub magic_number: bool,
    /// Server: the methods the peer may authenticate with, in the order we offer them (empty:
    /// no Authentication-Protocol option, the link opens unauthenticated). Client: the
    /// methods we can authenticate with, most preferred first.
    pub authentication: Vec<Method>,
    /// Loop indications before [`LcpEvent::LoopbackDetected`] (see the module documentation;
    /// default 5, below the two per round trip that Max-Failure 5 would allow).
    pub loopback_fail: u32,
    /// The framing options we Ack when the peer asks for them (none on PPPoE, RFC 2516 §7).
    pub accept: Framing,
    /// The framing options we ask for (an ACCM of all zeros when `accm`).
    pub request: Framing,
}

/// The HDLC-derived framing options: Async-Control-Character-Map (RFC 1662 §7.1),
/// Protocol-Field-Compression (RFC 1661 §6.5), Address-and-Control-Field-Compression
/// (RFC 1661 §6.6). Which ones a link may negotiate is the carrier's business.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Framing {
    pub accm: bool,
    pub pfc: bool,
    pub acfc: bool,
}

impl Framing {
    /// None of them: PPPoE (RFC 2516 §7).
    pub const NONE: Framing = Framing { accm: false, pfc: false, acfc: false };
    /// All of them: L2TP and PPTP allow each.
    pub const ALL: Framing = Framing { accm: true, pfc: true, acfc: true };

    /// Both allow it.
    pub fn and(self, other: Framing) -> Framing {
        Framing { accm: self.accm && other.accm, pfc: self.pfc && other.pfc, acfc: self.acfc && other.acfc }
    }
}

impl LcpConfig {
    /// The access concentrator's defaults: MRU 1492, Magic-Number, `authentication` offered
    /// in that order.
    pub fn server(authentication: Vec<Method>) -> Self {
        LcpConfig {
            role: Role::Server,
            mru: Some(PPPOE_MAX_MRU),
            max_mru: PPPOE_MAX_MRU,
            magic_number: true,
            authentication,
            loopback_fail: 5,
            accept: Framing::NONE,
            request: Framing::NONE,
        }
    }

    /// A subscriber's defaults (pppd with rp-pppoe): MRU 1492, Magic-Number, able to
    /// authenticate with `authentication`.
    pub fn client(authentication: Vec<Method>) -> Self {
        LcpConfig { role: Role::Client, ..LcpConfig::server(authentication) }
    }

    pub fn check(&self) -> Result<(), LcpConfigError> {
        if self.max_mru < MIN_MRU {
            return Err(LcpConfigError::MaxMruTooSmall { max_mru: self.max_mru });
        }
        if let Some(mru) = self.mru {
            if mru < MIN_MRU || mru > self.max_mru {
                return Err(LcpConfigError::MruOutOfRange { mru, max_mru: self.max_mru });
            }
        }
        if self.loopback_fail == 0 {
            return Err(LcpConfigError::LoopbackFailZero);
        }
        if self.authentication.len() > 8 {
            return Err(LcpConfigError::TooManyMethods { count: self.authentication.len() });
        }
        Ok(())
    }
}

/// An [`LcpConfig`] LCP cannot run with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LcpConfigError {
    MaxMruTooSmall { max_mru: u16 },
    MruOutOfRange { mru: u16, max_mru: u16 },
    LoopbackFailZero,
    TooManyMethods { count: usize },
}

impl fmt::Display for LcpConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            LcpConfigError::MaxMruTooSmall { max_mru } => {
                write!(f, "max_mru: {max_mru} is below {MIN_MRU}, the smallest IPv4 MTU (RFC 791)")
            }
            LcpConfigError::MruOutOfRange { mru, max_mru } => write!(
                f,
                "mru: {mru} is outside {MIN_MRU}..={max_mru} (the link's largest MRU; RFC 2516 §7 allows 1492 \
                 without RFC 4638 PPP-Max-Payload)"
            ),
            LcpConfigError::LoopbackFailZero => {
                f.write_str("loopback_fail: at least one loop indication must be seen before declaring a loop")
            }
            LcpConfigError::TooManyMethods { count } => {
                write!(f, "authentication: {count} methods listed, at most 8 (PAP, CHAP-MD5, MS-CHAPv2 exist)")
            }
        }
    }
}

impl std::error::Error for LcpConfigError {}

/// The Authentication-Protocol option value for `method` (RFC 1334 §2.1, RFC 1994 §3,
/// RFC 2759 §2).
pub fn auth_option(method: Method) -> AuthProtocol<'static> {
    match method {
        Method::Pap => AuthProtocol::Pap,
        Method::ChapMd5 => AuthProtocol::Chap(ChapAlgorithm::MD5),
        Method::MsChapV2 => AuthProtocol::Chap(ChapAlgorithm::MS_CHAP_V2),
    }
}

/// The method an Authentication-Protocol option names, if it is one we know.
pub fn auth_method(option: &AuthProtocol<'_>) -> Option<Method> {
    match *option {
        AuthProtocol::Pap => Some(Method::Pap),
        AuthProtocol::Chap(ChapAlgorithm::MD5) => Some(Method::ChapMd5),
        AuthProtocol::Chap(ChapAlgorithm::MS_CHAP_V2) => Some(Method::MsChapV2),
        _ => None,
    }
}

/// An Authentication-Protocol value the peer suggested in a Configure-Nak, kept for logs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthSuggestion {
    pub protocol: PppProtocol,
    /// What follows the protocol (CHAP's algorithm byte).
    pub data: Vec<u8>,
}

impl AuthSuggestion {
    fn new(option: &AuthProtocol<'_>) -> Self {
        match *option {
            AuthProtocol::Pap => AuthSuggestion { protocol: PppProtocol::PAP, data: Vec::new() },
            AuthProtocol::Chap(a) => AuthSuggestion { protocol: PppProtocol::CHAP, data: vec![a.0] },
            AuthProtocol::Other { protocol, data } => AuthSuggestion { protocol, data: data.to_vec() },
        }
    }
}

impl fmt::Display for AuthSuggestion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match (self.protocol, self.data.as_slice()) {
            (PppProtocol::PAP, []) => "PAP",
            (PppProtocol::CHAP, [5]) => "CHAP-MD5",
            (PppProtocol::CHAP, [6]) => "CHAP-SHA1",
            (PppProtocol::CHAP, [0x80]) => "MS-CHAP",
            (PppProtocol::CHAP, [0x81]) => "MS-CHAPv2",
            (PppProtocol::EAP, _) => "EAP",
            _ => "an unknown protocol",
        };
        write!(f, "{name} (0x{:04x}", self.protocol.0)?;
        for b in &self.data {
            write!(f, " {b:02x}")?;
        }
        f.write_str(")")
    }
}

/// What LCP reports besides the automaton's own events ([`Lcp::poll_event`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LcpEvent {
    /// Server: the peer will not authenticate with any method we allow (`suggested`: what it
    /// Nak'd with last; None: it Rejected the option). Close the link.
    AuthenticationRefused { suggested: Option<AuthSuggestion> },
    /// The link is looped back (see the module documentation). Close the link.
    LoopbackDetected,
    /// The peer sent a Protocol-Reject for `protocol` (§5.7): stop sending it; for an NCP,
    /// tell its automaton ([`Fsm::protocol_reject`]). LCP itself rejected is catastrophic
    /// and the automaton already stops.
    ProtocolRejected { protocol: PppProtocol },
    /// The peer Code-Rejected our packet with LCP `code` beyond 1–7 (§5.6); we no longer send
    /// it (an Echo-Request: [`Echo`] stops).
    CodeRejected { code: u8 },
}

impl LcpEvent {
    /// When the session manager must close the link, the Terminate-Request's reason text.
    pub fn close_reason(&self) -> Option<&'static str> {
        match self {
            LcpEvent::AuthenticationRefused { .. } => Some("Authentication refused"),
            LcpEvent::LoopbackDetected => Some("Loopback detected"),
            LcpEvent::ProtocolRejected { .. } | LcpEvent::CodeRejected { .. } => None,
        }
    }
}

/// What LCP agreed on, both directions acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LcpNegotiated {
    /// The largest packet we may send (the peer's MRU, §6.1; 1500 if it did not say, in both
    /// cases at most `max_mru`).
    pub peer_mru: u16,
    /// The largest packet the peer may send us (our acknowledged MRU, or the default, at most
    /// `max_mru`).
    pub our_mru: u16,
    /// Our Magic-Number, if the peer acknowledged it: what our Echo-Requests and Echo-Replies
    /// carry (zero otherwise, §5.8).
    pub our_magic: Option<u32>,
    /// The peer's Magic-Number, if we acknowledged one.
    pub peer_magic: Option<u32>,
    /// Server: the method the peer must authenticate with. Client: the method we must use.
    pub authentication: Option<Method>,
    /// Framing options the peer acknowledged for what it sends us (it MAY compress).
    pub ours_framing: Framing,
    /// Framing options we acknowledged for what we send (we MAY compress; we do not).
    pub peer_framing: Framing,
    /// The peer's ACCM, if we acknowledged one.
    pub peer_accm: Option<u32>,
}

/// SplitMix64: enough to spread the caller's seed over Magic-Numbers; the randomness is the
/// seed's.
#[derive(Clone, Debug)]
struct Rng(u64);

impl Rng {
    fn next_u32(&mut self) -> u32 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 32) as u32
    }
}

/// The options of one direction once acknowledged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Agreed {
    mru: Option<u16>,
    magic: Option<u32>,
    auth: Option<Method>,
    accm: Option<u32>,
    pfc: bool,
    acfc: bool,
}

impl Agreed {
    fn framing(&self) -> Framing {
        Framing { accm: self.accm.is_some(), pfc: self.pfc, acfc: self.acfc }
    }
}

/// LCP for one link, a [`Protocol`] for [`Fsm`].
#[derive(Clone, Debug)]
pub struct Lcp {
    config: LcpConfig,
    rng: Rng,
    /// What our next Configure-Request asks.
    ask_mru: Option<u16>,
    ask_magic: bool,
    /// Framing options our next Configure-Request asks.
    ask_framing: Framing,
    magic: u32,
    /// Server: index into `config.authentication` of the method we ask for.
    auth: Option<usize>,
    /// Server: methods tried in this negotiation (bit per index).
    auth_tried: u8,
    /// Server: refused (sticky; the link is to be closed).
    refused: bool,
    /// Options of our last Configure-Request, to check a Reject against (§5.4).
    last_request: Vec<u8>,
    /// The Magic-Number we last suggested in a Configure-Nak.
    last_nak_magic: Option<u32>,
    loops: u32,
    loop_reported: bool,
    ours: Option<Agreed>,
    peers: Option<Agreed>,
    echo_replies: u64,
    echo_rejected: bool,
    events: crate::ppp::fsm::Queue<LcpEvent>,
}

impl Lcp {
    /// LCP with `config`; `seed` (random, from the caller) draws the Magic-Numbers.
    pub fn new(config: LcpConfig, seed: u64) -> Result<Self, LcpConfigError> {
        config.check()?;
        let mut lcp = Lcp {
            config,
            rng: Rng(seed),
            ask_mru: None,
            ask_magic: false,
            ask_framing: Framing::NONE,
            magic: 0,
            auth: None,
            auth_tried: 0,
            refused: false,
            last_request: Vec::new(),
            last_nak_magic: None,
            loops: 0,
            loop_reported: false,
            ours: None,
            peers: None,
            echo_replies: 0,
            echo_rejected: false,
            events: crate::ppp::fsm::Queue::new(),
        };
        lcp.magic = lcp.fresh_magic();
        lcp.restore_preferences();
        Ok(lcp)
    }

    pub fn config(&self) -> &LcpConfig {
        &self.config
    }

    pub fn role(&self) -> Role {
        self.config.role
    }

    /// The Magic-Number our next Configure-Request carries.
    pub fn magic_number(&self) -> u32 {
        self.magic
    }

    /// The values both sides acknowledged; `Some` once the automaton is (or was last)
    /// Opened. Read it on This-Layer-Up.
    pub fn negotiated(&self) -> Option<LcpNegotiated> {
        let (ours, peers) = (self.ours?, self.peers?);
        let max = self.config.max_mru;
        let auth = match self.config.role {
            Role::Server => ours.auth,
            Role::Client => peers.auth,
        };
        Some(LcpNegotiated {
            peer_mru: peers.mru.unwrap_or(DEFAULT_MRU).min(max),
            our_mru: ours.mru.unwrap_or(DEFAULT_MRU).min(max),
            our_magic: ours.magic,
            peer_magic: peers.magic,
            authentication: auth,
            ours_framing: ours.framing(),
            peer_framing: peers.framing(),
            peer_accm: peers.accm,
        })
    }

    /// The Magic-Number field our Echo-Requests and Echo-Replies carry: ours once the peer
    /// acknowledged it, zero before (§5.8).
    pub fn echo_magic(&self) -> u32 {
        self.ours.and_then(|a| a.magic).unwrap_or(0)
    }

    /// Echo-Replies received in Opened (not our own looped back).
    pub fn echo_replies_received(&self) -> u64 {
        self.echo_replies
    }

    /// The peer Code-Rejected our Echo-Request: we may not send it any more (§4.3 RXJ+).
    pub fn echo_rejected(&self) -> bool {
        self.echo_rejected
    }

    /// Server: the peer refused every authentication method we allow.
    pub fn authentication_refused(&self) -> bool {
        self.refused
    }

    pub fn poll_event(&mut self) -> Option<LcpEvent> {
        self.events.pop_front()
    }

    fn fresh_magic(&mut self) -> u32 {
        loop {
            let m = self.rng.next_u32();
            if m != 0 && m != self.magic && Some(m) != self.last_nak_magic {
                return m;
            }
        }
    }

    fn restore_preferences(&mut self) {
        self.ask_mru = self.config.mru;
        self.ask_magic = self.config.magic_number;
        self.ask_framing = self.config.request;
        self.auth_tried = 0;
        self.auth = match self.config.role {
            Role::Server if !self.config.authentication.is_empty() => Some(0),
            _ => None,
        };
        if let Some(i) = self.auth {
            self.auth_tried |= 1 << i;
        }
    }

    /// The Magic-Number to suggest in a Nak of the peer's (zero, malformed or ours).
    fn nak_magic(&mut self, reject_instead_of_nak: bool) -> LcpOption<'static> {
        let suggestion = self.fresh_magic();
        if !reject_instead_of_nak {
            self.last_nak_magic = Some(suggestion);
        }
        LcpOption::MagicNumber(suggestion)
    }

    fn loop_indication(&mut self) {
        self.loops = self.loops.saturating_add(1);
        if self.loops >= self.config.loopback_fail && !self.loop_reported {
            self.loop_reported = true;
            self.events.push_back(LcpEvent::LoopbackDetected);
        }
    }

    fn refuse(&mut self, suggested: Option<AuthSuggestion>) {
        if !self.refused {
            self.refused = true;
            self.events.push_back(LcpEvent::AuthenticationRefused { suggested });
        }
    }

    /// Server: the peer does not want the method we asked (suggesting `suggested`, or
    /// nothing if it Rejected the option): switch, or be refused.
    fn auth_declined(&mut self, suggested: Option<&AuthProtocol<'_>>, treat_as_reject: bool) {
        let methods = &self.config.authentication;
        let untried = |m: Method| methods.iter().position(|&x| x == m).filter(|&i| self.auth_tried & (1 << i) == 0);
        let next = if treat_as_reject {
            None
        } else {
            match suggested {
                None => None,
                Some(s) => auth_method(s)
                    .and_then(untried)
                    .or_else(|| (0..methods.len()).find(|&i| self.auth_tried & (1 << i) == 0)),
            }
        };
        match next {
            Some(i) => {
                self.auth = Some(i);
                self.auth_tried |= 1 << i;
            }
            None => self.refuse(suggested.map(AuthSuggestion::new)),
        }
    }
}

/// Append `option` to `out` (the wire crate writes it).
fn push<'a, O: ConfigOption<'a>>(out: &mut Vec<u8>, option: O) {
    let mut buf = [0u8; 257];
    if let Ok(n) = option.emit(&mut buf) {
        out.extend_from_slice(&buf[..n]);
    }
}

/// Options as (raw bytes, parsed).
type Parsed<'a> = Vec<(&'a [u8], Result<LcpOption<'a>, dataplane::wire::Error>)>;

/// Every option of `list` as (raw bytes, parsed), or None if the list itself is malformed
/// (an option runs past the end or has a length below 2). A known option with a value of the
/// wrong length is `Err`.
fn options(list: &[u8]) -> Option<Parsed<'_>> {
    let mut out = Vec::new();
    for tlv in TlvIter::<TypeLen8>::new(list) {
        let tlv = tlv.ok()?;
        out.push((tlv.raw, LcpOption::parse(tlv.kind, tlv.value)));
    }
    Some(out)
}

/// A would-be Nak: `option` goes into the Nak, or, past Max-Failure (`reject`), the
/// original `raw` into the Reject (RFC 1661 §4.6).
fn nak(reject: bool, raw: &[u8], naks: &mut Vec<u8>, rejects: &mut Vec<u8>, option: LcpOption<'_>) {
    if reject {
        rejects.extend_from_slice(raw);
    } else {
        push(naks, option);
    }
}

/// The raw options of `list` (which we wrote: always well formed).
fn raw_options(list: &[u8]) -> Vec<&[u8]> {
    TlvIter::<TypeLen8>::new(list).filter_map(|t| t.ok()).map(|t| t.raw).collect()
}

impl Protocol for Lcp {
    fn reset(&mut self) {
        self.restore_preferences();
        self.ours = None;
    }

    fn configure_request(&mut self, out: &mut Vec<u8>) {
        if let Some(mru) = self.ask_mru {
            push(out, LcpOption::MaximumReceiveUnit(mru));
        }
        if let Some(&method) = self.auth.and_then(|i| self.config.authentication.get(i)) {
            push(out, LcpOption::AuthenticationProtocol(auth_option(method)));
        }
        if self.ask_magic {
            push(out, LcpOption::MagicNumber(self.magic));
        }
        if self.ask_framing.accm {
            // A synchronous carrier escapes nothing (RFC 1662 §7.1, as pppd asks on L2TP).
            push(out, LcpOption::AsyncControlCharacterMap(0));
        }
        if self.ask_framing.pfc {
            push(out, LcpOption::ProtocolFieldCompression);
        }
        if self.ask_framing.acfc {
            push(out, LcpOption::AddressAndControlFieldCompression);
        }
        self.last_request = out.clone();
    }

    fn receive_configure_request(&mut self, list: &[u8], reject_instead_of_nak: bool, reply: &mut Vec<u8>) -> Verdict {
        let Some(options) = options(list) else {
            return Verdict::Discard;
        };
        let mut naks = Vec::new();
        let mut rejects = Vec::new();
        let mut collision = false;
        let mut agreed = Agreed::default();
        let rn = reject_instead_of_nak;
        for (raw, option) in options {
            match option {
                Ok(LcpOption::MaximumReceiveUnit(mru)) => {
                    if mru > self.config.max_mru {
                        nak(rn, raw, &mut naks, &mut rejects, LcpOption::MaximumReceiveUnit(self.config.max_mru));
                    } else if mru < MIN_MRU {
                        nak(rn, raw, &mut naks, &mut rejects, LcpOption::MaximumReceiveUnit(MIN_MRU));
                    } else {
                        agreed.mru = Some(mru);
                    }
                }
                Err(_) if raw[0] == 1 => {
                    nak(rn, raw, &mut naks, &mut rejects, LcpOption::MaximumReceiveUnit(self.config.max_mru));
                }
                Ok(LcpOption::MagicNumber(magic)) => {
                    let ours = self.ask_magic && magic == self.magic;
                    if magic != 0 && !ours {
                        agreed.magic = Some(magic);
                    } else {
                        if ours {
                            collision = !rn;
                            self.loop_indication();
                        }
                        let suggestion = self.nak_magic(rn);
                        nak(rn, raw, &mut naks, &mut rejects, suggestion);
                    }
                }
                Err(_) if raw[0] == 5 => {
                    let suggestion = self.nak_magic(rn);
                    nak(rn, raw, &mut naks, &mut rejects, suggestion);
                }
                Ok(LcpOption::AuthenticationProtocol(a)) if self.config.role == Role::Client => match auth_method(&a) {
                    Some(m) if self.config.authentication.contains(&m) => agreed.auth = Some(m),
                    _ => match self.config.authentication.first() {
                        Some(&preferred) => {
                            let option = LcpOption::AuthenticationProtocol(auth_option(preferred));
                            nak(rn, raw, &mut naks, &mut rejects, option);
                        }
                        None => rejects.extend_from_slice(raw),
                    },
                },
                Ok(LcpOption::AsyncControlCharacterMap(map)) if self.config.accept.accm => agreed.accm = Some(map),
                Ok(LcpOption::ProtocolFieldCompression) if self.config.accept.pfc => agreed.pfc = true,
                Ok(LcpOption::AddressAndControlFieldCompression) if self.config.accept.acfc => agreed.acfc = true,
                Err(_) if raw[0] == 3 && self.config.role == Role::Client => match self.config.authentication.first() {
                    Some(&preferred) => {
                        let option = LcpOption::AuthenticationProtocol(auth_option(preferred));
                        nak(rn, raw, &mut naks, &mut rejects, option);
                    }
                    None => rejects.extend_from_slice(raw),
                },
                // The server's Authentication-Protocol, ACCM, PFC and ACFC where the carrier
                // forbids them (PPPoE, RFC 2516 §7), Quality-Protocol, malformed forms of
                // those, and every option we do not know.
                _ => rejects.extend_from_slice(raw),
            }
        }
        if collision {
            reply.extend_from_slice(&naks);
            self.peers = None;
            Verdict::Nak
        } else if !rejects.is_empty() {
            reply.extend_from_slice(&rejects);
            self.peers = None;
            Verdict::Reject
        } else if !naks.is_empty() {
            reply.extend_from_slice(&naks);
            self.peers = None;
            Verdict::Nak
        } else {
            self.peers = Some(agreed);
            Verdict::Ack
        }
    }

    fn receive_configure_ack(&mut self, list: &[u8]) {
        let mut agreed = Agreed::default();
        for option in options(list).unwrap_or_default() {
            match option.1 {
                Ok(LcpOption::MaximumReceiveUnit(mru)) => agreed.mru = Some(mru),
                Ok(LcpOption::MagicNumber(magic)) => agreed.magic = Some(magic),
                Ok(LcpOption::AuthenticationProtocol(a)) => agreed.auth = auth_method(&a),
                Ok(LcpOption::AsyncControlCharacterMap(map)) => agreed.accm = Some(map),
                Ok(LcpOption::ProtocolFieldCompression) => agreed.pfc = true,
                Ok(LcpOption::AddressAndControlFieldCompression) => agreed.acfc = true,
                _ => {}
            }
        }
        self.ours = Some(agreed);
        // A peer that acknowledges our request is not our own reflection.
        self.loops = 0;
    }

    fn receive_configure_nak(&mut self, list: &[u8], treat_as_reject: bool) -> bool {
        let Some(options) = options(list) else {
            return false;
        };
        if options.iter().any(|(_, o)| o.is_err()) {
            return false;
        }
        let asked = raw_options(&self.last_request).iter().map(|r| r[0]).collect::<Vec<u8>>();
        let asked_auth = asked.contains(&3);
        // Once refused, Naks of our Authentication-Protocol go unheard (module documentation).
        if self.refused
            && asked_auth
            && options.iter().any(|(_, o)| matches!(o, Ok(LcpOption::AuthenticationProtocol(_))))
        {
            return false;
        }
        for (_, option) in options {
            match option {
                Ok(LcpOption::MaximumReceiveUnit(mru)) if asked.contains(&1) => {
                    let wanted = mru.clamp(MIN_MRU, self.config.max_mru);
                    self.ask_mru = if treat_as_reject || Some(wanted) == self.ask_mru { None } else { Some(wanted) };
                }
                Ok(LcpOption::MagicNumber(magic)) if asked.contains(&5) => {
                    if Some(magic) == self.last_nak_magic {
                        self.loop_indication();
                    }
                    if treat_as_reject {
                        self.ask_magic = false;
                    } else {
                        self.magic = self.fresh_magic();
                    }
                }
                Ok(LcpOption::AuthenticationProtocol(a)) if asked_auth => self.auth_declined(Some(&a), treat_as_reject),
                // The peer wants another map: on a synchronous carrier none matters, so we
                // stop asking rather than adopt escapes we never needed (RFC 1662 §7.1).
                Ok(LcpOption::AsyncControlCharacterMap(_)) if asked.contains(&2) => self.ask_framing.accm = false,
                // Options we did not ask for (the peer would like us to): we ask for what
                // we want and nothing else.
                _ => {}
            }
        }
        true
    }

    fn receive_configure_reject(&mut self, list: &[u8]) -> bool {
        let Some(options) = options(list) else {
            return false;
        };
        let asked = raw_options(&self.last_request);
        // §5.4: the options of a Reject are ones of the request, unmodified.
        if options.iter().any(|(raw, _)| !asked.contains(raw)) {
            return false;
        }
        if self.refused && options.iter().any(|(raw, _)| raw[0] == 3) {
            return false;
        }
        for (raw, _) in options {
            match raw[0] {
                1 => self.ask_mru = None,
                2 => self.ask_framing.accm = false,
                7 => self.ask_framing.pfc = false,
                8 => self.ask_framing.acfc = false,
                5 => self.ask_magic = false,
                3 => self.auth_declined(None, true),
                _ => {}
            }
        }
        true
    }

    fn receive_extended(&mut self, state: State, code: u8, identifier: u8, data: &[u8]) -> Extended {
        let mut packet = Vec::with_capacity(CONTROL_HEADER_LEN + data.len());
        packet.extend_from_slice(&[code, identifier]);
        packet.extend_from_slice(&u16::try_from(CONTROL_HEADER_LEN + data.len()).unwrap_or(u16::MAX).to_be_bytes());
        packet.extend_from_slice(data);
        let repr = match ControlPacket::new_checked(&packet[..]) {
            Ok(p) => LcpRepr::parse(&p),
            Err(e) => Err(e),
        };
        let our_magic = self.echo_magic();
        match repr {
            Ok(LcpRepr::EchoRequest { magic_number, .. }) => {
                if state == State::Opened && our_magic != 0 && magic_number == our_magic {
                    if !self.loop_reported {
                        self.loop_reported = true;
                        self.events.push_back(LcpEvent::LoopbackDetected);
                    }
                    return Extended::Handled;
                }
                Extended::EchoRequest
            }
            Ok(LcpRepr::EchoReply { magic_number, .. }) => {
                // Our own magic: our Echo-Request came back as a reply (pppd warns the same).
                if our_magic != 0 && magic_number == our_magic {
                    return Extended::Discard;
                }
                if state == State::Opened {
                    self.echo_replies += 1;
                }
                Extended::Rxr
            }
            Ok(LcpRepr::DiscardRequest { .. }) => Extended::Rxr,
            Ok(LcpRepr::ProtocolReject { rejected_protocol, .. }) => {
                // §5.7: only valid in Opened.
                if state != State::Opened {
                    return Extended::Discard;
                }
                self.events.push_back(LcpEvent::ProtocolRejected { protocol: rejected_protocol });
                Extended::Reject { catastrophic: rejected_protocol == PppProtocol::LCP }
            }
            // RFC 1570 §2: for humans and accounting; accepted and ignored.
            Ok(LcpRepr::Identification { .. } | LcpRepr::TimeRemaining { .. }) => Extended::Handled,
            Ok(_) => Extended::Unknown,
            Err(dataplane::wire::Error::UnknownType) => Extended::Unknown,
            Err(_) => Extended::Discard,
        }
    }

    fn echo_reply(&mut self, request: &[u8], reply: &mut Vec<u8>) {
        reply.extend_from_slice(&self.echo_magic().to_be_bytes());
        reply.extend_from_slice(request.get(4..).unwrap_or(&[]));
    }

    fn code_rejected(&mut self, rejected: u8) -> bool {
        if rejected == LcpCode::ECHO_REQUEST.0 {
            self.echo_rejected = true;
        }
        self.events.push_back(LcpEvent::CodeRejected { code: rejected });
        false
    }
}

/// Send a Protocol-Reject (§5.7) for a packet of `protocol` whose Information field is
/// `information`, cut to the peer's MRU. Only in Opened.
pub fn send_protocol_reject(fsm: &mut Fsm<Lcp>, protocol: PppProtocol, information: &[u8]) -> Result<u8, NotOpened> {
    let mru = fsm.protocol().negotiated().map_or(DEFAULT_MRU, |n| n.peer_mru);
    // The LCP header (4) and the Rejected-Protocol (2) come out of the MRU.
    let keep = information.len().min(usize::from(mru).saturating_sub(6));
    let repr = LcpRepr::ProtocolReject {
        identifier: 0,
        rejected_protocol: protocol,
        rejected_information: &information[..keep],
    };
    let mut buf = vec![0u8; repr.buffer_len()];
    let data = match repr.emit(&mut buf) {
        Ok(n) => buf[CONTROL_HEADER_LEN..n].to_vec(),
        Err(_) => protocol.0.to_be_bytes().to_vec(),
    };
    fsm.send_packet(code::PROTOCOL_REJECT, data)
}

/// Keepalive settings: an Echo-Request every `interval_ms` in Opened; after `failures` in a
/// row without a reply the link is dead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EchoConfig {
    pub interval_ms: u64,
    pub failures: u32,
}

/// An [`EchoConfig`] that cannot work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EchoConfigError {
    IntervalZero,
    FailuresZero,
}

impl fmt::Display for EchoConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EchoConfigError::IntervalZero => {
                "echo interval: must be at least 1 ms (leave the keepalive out to disable it)"
            }
            EchoConfigError::FailuresZero => "echo failures: at least one unanswered Echo-Request must be allowed",
        })
    }
}

impl std::error::Error for EchoConfigError {}

/// The keepalive gave up: `missed` Echo-Requests in a row went unanswered. The session
/// manager tears the session down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeepaliveFailed {
    pub missed: u32,
}

impl KeepaliveFailed {
    /// The Terminate-Request reason text.
    pub fn close_reason(&self) -> &'static str {
        "Peer not responding"
    }
}

/// The LCP Echo keepalive (§5.8), sans-IO like the automaton. Drive it with
/// [`Echo::start`] on This-Layer-Up, [`Echo::stop`] on This-Layer-Down, and
/// [`Echo::handle_timeout`] when [`Echo::poll_timeout`]'s deadline (milliseconds, the
/// automaton's clock) has passed; tell it [`Echo::traffic_seen`] when the data plane saw the
/// peer send anything (it answers the peer's echoes itself, so they never reach us).
///
/// Timing: an Echo-Request goes out one interval after Opened and every interval after; at
/// each tick, an unanswered previous request counts as missed. So a peer that falls silent
/// is declared dead `failures` intervals after the first request it left unanswered, when
/// the `failures + 1`-th would be sent (pppd's `lcp-echo-failure` counts the same way). Any
/// Echo-Reply from the peer, or [`Echo::traffic_seen`], clears the count.
#[derive(Clone, Debug)]
pub struct Echo {
    config: EchoConfig,
    next: Option<u64>,
    outstanding: bool,
    missed: u32,
    replies_seen: u64,
}

impl Echo {
    pub fn new(config: EchoConfig) -> Result<Self, EchoConfigError> {
        if config.interval_ms == 0 {
            return Err(EchoConfigError::IntervalZero);
        }
        if config.failures == 0 {
            return Err(EchoConfigError::FailuresZero);
        }
        Ok(Echo { config, next: None, outstanding: false, missed: 0, replies_seen: 0 })
    }

    pub fn config(&self) -> &EchoConfig {
        &self.config
    }

    /// LCP is Opened (This-Layer-Up) at `now`.
    pub fn start(&mut self, now: u64) {
        self.next = Some(now.saturating_add(self.config.interval_ms));
        self.outstanding = false;
        self.missed = 0;
    }

    /// LCP left Opened (This-Layer-Down), or the session ends.
    pub fn stop(&mut self) {
        self.next = None;
        self.outstanding = false;
        self.missed = 0;
    }

    /// When [`Echo::handle_timeout`] is next due.
    pub fn poll_timeout(&self) -> Option<u64> {
        self.next
    }

    /// Echo-Requests missed in a row so far.
    pub fn missed(&self) -> u32 {
        self.missed
    }

    /// The peer was heard from (any packet of the session): it is alive.
    pub fn traffic_seen(&mut self, _now: u64) {
        self.outstanding = false;
        self.missed = 0;
    }

    /// The deadline has passed: count a missed reply, give up, or send the next request.
    pub fn handle_timeout(&mut self, now: u64, fsm: &mut Fsm<Lcp>) -> Option<KeepaliveFailed> {
        match self.next {
            Some(next) if now >= next => {}
            _ => return None,
        }
        if fsm.state() != State::Opened {
            self.stop();
            return None;
        }
        let replies = fsm.protocol().echo_replies_received();
        if replies != self.replies_seen {
            self.replies_seen = replies;
            self.outstanding = false;
            self.missed = 0;
        }
        if self.outstanding {
            self.missed = self.missed.saturating_add(1);
        }
        if self.missed >= self.config.failures {
            self.next = None;
            return Some(KeepaliveFailed { missed: self.missed });
        }
        if fsm.protocol().echo_rejected() {
            // The peer cannot echo (§4.3 RXJ+): nothing more to send.
            self.next = None;
            return None;
        }
        let magic = fsm.protocol().echo_magic().to_be_bytes().to_vec();
        if fsm.send_packet(code::ECHO_REQUEST, magic).is_ok() {
            self.outstanding = true;
        }
        self.next = Some(now.saturating_add(self.config.interval_ms));
        None
    }
}
