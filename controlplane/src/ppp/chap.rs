//! The Challenge-Handshake Authentication Protocol with MD5 (RFC 1994 §2–§4), sans-IO: the
//! authenticator ([`ChapServer`]) and the peer ([`ChapClient`]).
//!
//! Packets in and out are CHAP packets from the Code field on (what follows the PPP Protocol
//! field 0xc223); they are read and written with [`dataplane::wire::chap::ChapRepr`] only.
//! Time is a `u64` count of milliseconds on a monotonic clock the caller reads. Nothing here
//! draws random numbers: Challenge Values come from a [`ChallengeSource`] the caller passes
//! in (the control core's CSPRNG; a counter in tests). The events, states and errors are
//! PAP's ([`super::pap`]), re-exported here, so that the session manager handles both
//! protocols alike.
//!
//! # The authenticator
//!
//! [`ChapServer::new`] sends a Challenge at once: a fresh identifier, 16 octets from the
//! [`ChallengeSource`], and [`ServerConfig::name`]. Without a Response to it within
//! [`ServerConfig::restart_ms`] (3 s) another Challenge follows, up to
//! [`ServerConfig::max_challenges`] (10) in all; then the phase ends with
//! [`ServerEvent::Failed`] ([`FailReason::Timeout`]). As for PAP, the server does not call
//! AAA: a Response to the current Challenge gives [`ServerEvent::Verify`] with the Response's
//! Name as the user name and [`crate::aaa::Credentials::Chap`] (identifier, Challenge Value,
//! Response Value); the session manager answers later with [`ChapServer::verdict`], which
//! sends Success ([`ServerConfig::success_message`]) or Failure (the reject's message, cut to
//! 255 octets) and reports [`ServerEvent::Success`] or [`ServerEvent::Failure`]. After a
//! Failure the session manager terminates the link (§4.2: "SHOULD take action to terminate
//! the link"); when the Failure is lost, LCP's Terminate-Request tells the peer.
//!
//! Choices where the RFC leaves room or is strict:
//!
//! - **Every Challenge is new**, retransmissions included: "The Identifier field MUST be
//!   changed each time a Challenge is sent" and "The Challenge Value MUST be changed each
//!   time a Challenge is sent" (§4.1). (pppd re-sends the same bytes; RFC 2284 §5.4 points
//!   out that EAP differs from CHAP here.) So a Response to an earlier Challenge, delayed or
//!   duplicated, is discarded ([`DiscardReason::StaleIdentifier`]): its peer answers the
//!   current one too. The identifiers of one phase count up from the caller's first one and
//!   do not repeat (at most 255 Challenges). So [`ServerConfig::restart_ms`] must exceed the
//!   round trip, the peer's think time included, or every Response comes back stale; 3 s is
//!   far above a PPPoE or L2TP round trip.
//! - **One verification per phase.** A Response to the current Challenge stops the
//!   retransmissions. While its verdict is pending, further Responses with that identifier
//!   are not verified ([`DiscardReason::AwaitingVerdict`]): the verdict answers them all.
//! - **After the verdict**, a Response with the current identifier gets the same code and
//!   message again, without a new verification: the Success may have been lost, and §4.1
//!   says "the authenticator MUST allow repeated Response packets during the Network-Layer
//!   Protocol phase" and such Responses "MUST return the same reply Code previously returned
//!   for that specific Challenge", whatever Value or Name they carry, "to prevent discovery of
//!   alternative Names and Secrets". Responses with other identifiers are discarded.
//! - **A Response Value that is not 16 octets** cannot be an MD5 Response (§4.1) and cannot
//!   be put in a RADIUS CHAP-Password (RFC 2865 §5.3): it is answered with a Failure at once,
//!   a reject of kind [`RejectKind::Malformed`], without a `Verify`.
//! - **No timer while a verdict is pending**: the AAA backend answers every request it
//!   accepted (RADIUS with a reject of kind [`RejectKind::Timeout`]).
//! - **No periodic re-challenge.** §4.1 allows Challenges during the network phase; this
//!   server sends one Challenge series per phase and nothing after the verdict. (The peer
//!   below does answer re-challenges.)
//!
//! # MS-CHAPv2
//!
//! MS-CHAPv2 (RFC 2759, CHAP algorithm 0x81) has its own machines,
//! [`super::mschapv2::MsChapV2Server`] and [`super::mschapv2::MsChapV2Client`], with the same
//! events and states; the local users file verifies it ([`crate::aaa::mschapv2`]). Which one
//! runs is LCP's decision, not these machines': the Authentication-Protocol option comes from
//! [`super::lcp::LcpConfig::authentication`]. Should a peer answer an MD5 Challenge with an
//! MS-CHAPv2 Response anyway, its 49-octet Value is not 16 octets: it gets a Failure, as
//! above, and the session ends.
//!
//! # The peer
//!
//! [`ChapClient`] waits for Challenges and answers each with MD5(Identifier ‖ secret ‖
//! Challenge Value) ([`crate::aaa::chap_md5_response`], §4.1) and [`ClientConfig::name`],
//! during the phase and after it (re-challenges). Its last Response is repeated every
//! [`ClientConfig::restart_ms`] until Success or Failure arrives, at most
//! [`ClientConfig::max_responses`] times per Challenge, so that a lost Success is asked for
//! again. A Success or Failure counts when its identifier is that of a Challenge answered
//! since the last one (a delayed duplicate of an earlier Challenge may have been answered
//! after the current one). Without a Success or Failure within [`ClientConfig::timeout_ms`]
//! of [`ChapClient::new`] the phase fails ([`ClientEvent::Failed`]).

use std::collections::VecDeque;
use std::fmt;

use dataplane::wire::chap::{ChapCode, ChapRepr};
use dataplane::wire::ppp::ControlPacket;

use super::pap::{check_count, check_len, check_timer, code_and_identifier, reply_message};
pub use super::pap::{
    ClientEvent, ClientState, ConfigError, DiscardReason, FailReason, ServerEvent, ServerState, VerdictError,
};
use crate::aaa::{chap_md5_response, AuthOutcome, Credentials, Reject, RejectKind};

/// The length of our Challenge Values (RFC 1994 does not fix it; 16 octets is what pppd,
/// Windows and RFC 2759 use).
pub const CHALLENGE_LEN: usize = 16;
/// The length of an MD5 Response Value (RFC 1994 §4.1).
pub const MD5_RESPONSE_LEN: usize = 16;
/// Our limit for the Name and message fields (CHAP bounds them only by Length); RADIUS's
/// User-Name is 253 octets at most (RFC 2865 §5.1).
pub const MAX_NAME: usize = 255;
/// What a peer is told when its Response Value cannot be an MD5 Response.
pub const MALFORMED_RESPONSE: &str = "Malformed CHAP response";

/// Where Challenge Values come from: each call gives 16 new, unpredictable octets (§2.3: a
/// Challenge Value "SHOULD be unique" and "SHOULD also be unpredictable").
pub trait ChallengeSource {
    fn challenge_value(&mut self) -> [u8; CHALLENGE_LEN];
}

impl<F: FnMut() -> [u8; CHALLENGE_LEN]> ChallengeSource for F {
    fn challenge_value(&mut self) -> [u8; CHALLENGE_LEN] {
        self()
    }
}

fn emit(repr: &ChapRepr<'_>) -> Option<Vec<u8>> {
    let mut buf = vec![0; repr.buffer_len()];
    // Values are 16 octets and names and messages bounded, so this does not fail.
    let n = repr.emit(&mut buf).ok()?;
    buf.truncate(n);
    Some(buf)
}

// ---- the authenticator ----

/// The authenticator's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// Our Name in Challenges (e.g. the AC-Name); 1 to 255 octets (§4.1: "one or more").
    pub name: Vec<u8>,
    /// Time between Challenges, ms (default 3000, RFC 1661 §4.6's restart timer).
    pub restart_ms: u64,
    /// Challenges sent, the first included, before giving up (default 10, as
    /// Max-Configure); at most 255, so that identifiers do not repeat.
    pub max_challenges: u32,
    /// The Success message (default `Login ok`); at most 255 octets.
    pub success_message: Vec<u8>,
}

impl ServerConfig {
    pub fn new(name: impl Into<Vec<u8>>) -> ServerConfig {
        ServerConfig { name: name.into(), restart_ms: 3_000, max_challenges: 10, success_message: b"Login ok".to_vec() }
    }

    pub fn check(&self) -> Result<(), ConfigError> {
        if self.name.is_empty() {
            return Err(ConfigError::Empty { key: "name" });
        }
        check_len("name", &self.name, MAX_NAME)?;
        check_timer("restart_ms", self.restart_ms)?;
        check_count("max_challenges", self.max_challenges)?;
        check_len("success_message", &self.success_message, MAX_NAME)
    }
}

enum ServerPhase {
    Challenging {
        identifier: u8,
        value: [u8; CHALLENGE_LEN],
        sent: u32,
        deadline: u64,
    },
    Verifying {
        identifier: u8,
        username: Vec<u8>,
    },
    /// The reply every later Response to `identifier` gets.
    Answered {
        identifier: u8,
        code: ChapCode,
        message: Vec<u8>,
    },
    TimedOut,
}

/// The CHAP-MD5 authenticator (RFC 1994 §4); see the module documentation.
pub struct ChapServer {
    config: ServerConfig,
    phase: ServerPhase,
    transmit: VecDeque<Vec<u8>>,
    events: VecDeque<ServerEvent>,
}

impl ChapServer {
    /// The authentication phase begins at `now`: the first Challenge, under
    /// `first_identifier`, is sent.
    pub fn new(
        now: u64,
        config: ServerConfig,
        first_identifier: u8,
        source: &mut (impl ChallengeSource + ?Sized),
    ) -> Result<ChapServer, ConfigError> {
        config.check()?;
        let mut server =
            ChapServer { config, phase: ServerPhase::TimedOut, transmit: VecDeque::new(), events: VecDeque::new() };
        server.send_challenge(now, first_identifier, 0, source);
        Ok(server)
    }

    pub fn state(&self) -> ServerState {
        match self.phase {
            ServerPhase::Challenging { .. } => ServerState::Waiting,
            ServerPhase::Verifying { .. } => ServerState::Verifying,
            ServerPhase::Answered { code, .. } if code == ChapCode::SUCCESS => ServerState::Accepted,
            ServerPhase::Answered { .. } => ServerState::Rejected,
            ServerPhase::TimedOut => ServerState::TimedOut,
        }
    }

    /// The identifier of the current Challenge (the one Responses must carry).
    pub fn identifier(&self) -> Option<u8> {
        match self.phase {
            ServerPhase::Challenging { identifier, .. }
            | ServerPhase::Verifying { identifier, .. }
            | ServerPhase::Answered { identifier, .. } => Some(identifier),
            ServerPhase::TimedOut => None,
        }
    }

    /// A CHAP packet arrived (from the Code field on; bytes after Length are padding).
    pub fn handle_packet(&mut self, _now: u64, packet: &[u8]) {
        let (code, identifier) = code_and_identifier(packet);
        let repr = match ControlPacket::new_checked(packet).and_then(|p| ChapRepr::parse(&p)) {
            Ok(repr) => repr,
            Err(e) => return self.discard(code, identifier, DiscardReason::Malformed(e)),
        };
        let ChapRepr::Response { identifier, value, name } = repr else {
            return self.discard(code, identifier, DiscardReason::UnexpectedCode);
        };
        let current = match self.identifier() {
            Some(current) => current,
            None => return self.discard(code, identifier, DiscardReason::Finished),
        };
        if identifier != current {
            return self.discard(code, identifier, DiscardReason::StaleIdentifier);
        }
        match &self.phase {
            ServerPhase::Challenging { value: challenge, .. } => {
                let challenge = challenge.to_vec();
                let username = name.to_vec();
                self.phase = ServerPhase::Verifying { identifier, username: username.clone() };
                if value.len() != MD5_RESPONSE_LEN {
                    let reason = Reject { kind: RejectKind::Malformed, message: MALFORMED_RESPONSE.to_string() };
                    self.answer(AuthOutcome::Reject(reason));
                    return;
                }
                self.events.push_back(ServerEvent::Verify {
                    username,
                    credentials: Credentials::Chap { id: identifier, challenge, response: value.to_vec() },
                });
            }
            ServerPhase::Verifying { .. } => self.discard(code, identifier, DiscardReason::AwaitingVerdict),
            ServerPhase::Answered { code, message, .. } => {
                let (code, message) = (*code, message.clone());
                self.reply(code, identifier, &message);
            }
            ServerPhase::TimedOut => self.discard(code, identifier, DiscardReason::Finished),
        }
    }

    /// The AAA answer to the outstanding [`ServerEvent::Verify`]: Success or Failure under
    /// the current identifier, and [`ServerEvent::Success`] or [`ServerEvent::Failure`].
    pub fn verdict(&mut self, _now: u64, outcome: AuthOutcome) -> Result<(), VerdictError> {
        if !matches!(self.phase, ServerPhase::Verifying { .. }) {
            return Err(VerdictError { state: self.state() });
        }
        self.answer(outcome);
        Ok(())
    }

    /// When the next Challenge is due, or the last one times out.
    pub fn poll_timeout(&self) -> Option<u64> {
        match self.phase {
            ServerPhase::Challenging { deadline, .. } => Some(deadline),
            _ => None,
        }
    }

    /// `source` gives the Value of the next Challenge, if one is sent.
    pub fn handle_timeout(&mut self, now: u64, source: &mut (impl ChallengeSource + ?Sized)) {
        let ServerPhase::Challenging { identifier, sent, deadline, .. } = self.phase else {
            return;
        };
        if now < deadline {
            return;
        }
        if sent < self.config.max_challenges {
            self.send_challenge(now, identifier.wrapping_add(1), sent, source);
        } else {
            self.phase = ServerPhase::TimedOut;
            self.events.push_back(ServerEvent::Failed { reason: FailReason::Timeout });
        }
    }

    /// The next CHAP packet to send under PPP protocol 0xc223.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.transmit.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    fn send_challenge(&mut self, now: u64, identifier: u8, sent: u32, source: &mut (impl ChallengeSource + ?Sized)) {
        let value = source.challenge_value();
        let repr = ChapRepr::Challenge { identifier, value: &value, name: &self.config.name };
        self.transmit.extend(emit(&repr));
        let deadline = now.saturating_add(self.config.restart_ms);
        self.phase = ServerPhase::Challenging { identifier, value, sent: sent + 1, deadline };
    }

    /// In Verifying: reply and report.
    fn answer(&mut self, outcome: AuthOutcome) {
        let ServerPhase::Verifying { identifier, username } = std::mem::replace(&mut self.phase, ServerPhase::TimedOut)
        else {
            return;
        };
        let (code, message, event) = match outcome {
            AuthOutcome::Accept(attributes) => {
                (ChapCode::SUCCESS, self.config.success_message.clone(), ServerEvent::Success { username, attributes })
            }
            AuthOutcome::Reject(reason) => {
                (ChapCode::FAILURE, reply_message(&reason.message), ServerEvent::Failure { username, reason })
            }
        };
        self.reply(code, identifier, &message);
        self.phase = ServerPhase::Answered { identifier, code, message };
        self.events.push_back(event);
    }

    fn reply(&mut self, code: ChapCode, identifier: u8, message: &[u8]) {
        let repr = if code == ChapCode::SUCCESS {
            ChapRepr::Success { identifier, message }
        } else {
            ChapRepr::Failure { identifier, message }
        };
        self.transmit.extend(emit(&repr));
    }

    fn discard(&mut self, code: u8, identifier: u8, reason: DiscardReason) {
        self.events.push_back(ServerEvent::Discarded { code, identifier, reason });
    }
}

// ---- the peer ----

/// The peer's settings.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// Our Name in Responses: the user name the authenticator looks up; 1 to 255 octets.
    pub name: Vec<u8>,
    /// At least 1 octet (§2.3); at most 255 here.
    pub secret: Vec<u8>,
    /// Time between repetitions of our last Response, ms (default 3000).
    pub restart_ms: u64,
    /// Transmissions of one Response, the first included (default 10).
    pub max_responses: u32,
    /// How long the phase may take from [`ChapClient::new`] to the first Success or Failure,
    /// ms (default 30 000).
    pub timeout_ms: u64,
}

impl ClientConfig {
    pub fn new(name: impl Into<Vec<u8>>, secret: impl Into<Vec<u8>>) -> ClientConfig {
        ClientConfig {
            name: name.into(),
            secret: secret.into(),
            restart_ms: 3_000,
            max_responses: 10,
            timeout_ms: 30_000,
        }
    }

    pub fn check(&self) -> Result<(), ConfigError> {
        if self.name.is_empty() {
            return Err(ConfigError::Empty { key: "name" });
        }
        check_len("name", &self.name, MAX_NAME)?;
        if self.secret.is_empty() {
            return Err(ConfigError::Empty { key: "secret" });
        }
        check_len("secret", &self.secret, MAX_NAME)?;
        check_timer("restart_ms", self.restart_ms)?;
        check_count("max_responses", self.max_responses)?;
        check_timer("timeout_ms", self.timeout_ms)
    }
}

/// The secret stays out of logs.
impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("name", &String::from_utf8_lossy(&self.name))
            .field("restart_ms", &self.restart_ms)
            .field("max_responses", &self.max_responses)
            .field("timeout_ms", &self.timeout_ms)
            .finish_non_exhaustive()
    }
}

/// The timers of the peer, indexed by this enum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timer {
    /// Repeat the last Response.
    Restart = 0,
    /// The phase as a whole.
    Phase = 1,
}

/// The CHAP-MD5 peer (RFC 1994 §4.1); see the module documentation.
pub struct ChapClient {
    config: ClientConfig,
    state: ClientState,
    /// Identifiers of the Challenges answered since the last Success/Failure, a bit each.
    answered: [u64; 4],
    /// The last Response sent and how many times.
    last_response: Option<(Vec<u8>, u32)>,
    /// The identifier of the last Success, to recognise its duplicates.
    last_success: Option<u8>,
    timers: [Option<u64>; 2],
    transmit: VecDeque<Vec<u8>>,
    events: VecDeque<ClientEvent>,
}

impl ChapClient {
    /// The phase begins at `now`; the client waits for a Challenge.
    pub fn new(now: u64, config: ClientConfig) -> Result<ChapClient, ConfigError> {
        config.check()?;
        let phase_deadline = now.saturating_add(config.timeout_ms);
        Ok(ChapClient {
            config,
            state: ClientState::Authenticating,
            answered: [0; 4],
            last_response: None,
            last_success: None,
            timers: [None, Some(phase_deadline)],
            transmit: VecDeque::new(),
            events: VecDeque::new(),
        })
    }

    pub fn state(&self) -> ClientState {
        self.state
    }

    /// A CHAP packet arrived (from the Code field on).
    pub fn handle_packet(&mut self, now: u64, packet: &[u8]) {
        let (code, identifier) = code_and_identifier(packet);
        let repr = match ControlPacket::new_checked(packet).and_then(|p| ChapRepr::parse(&p)) {
            Ok(repr) => repr,
            Err(e) => return self.discard(code, identifier, DiscardReason::Malformed(e)),
        };
        if matches!(self.state, ClientState::Rejected | ClientState::TimedOut) {
            return self.discard(code, identifier, DiscardReason::Finished);
        }
        match repr {
            ChapRepr::Challenge { identifier, value, .. } => {
                if value.is_empty() {
                    return self.discard(code, identifier, DiscardReason::EmptyChallenge);
                }
                self.respond(now, identifier, value);
            }
            ChapRepr::Response { .. } => self.discard(code, identifier, DiscardReason::UnexpectedCode),
            ChapRepr::Success { identifier, message } => self.outcome(identifier, true, message),
            ChapRepr::Failure { identifier, message } => self.outcome(identifier, false, message),
        }
    }

    pub fn poll_timeout(&self) -> Option<u64> {
        self.timers.iter().flatten().min().copied()
    }

    pub fn handle_timeout(&mut self, now: u64) {
        if self.timers[Timer::Phase as usize].is_some_and(|t| now >= t) {
            self.timers = [None, None];
            self.state = ClientState::TimedOut;
            self.events.push_back(ClientEvent::Failed { reason: FailReason::Timeout });
            return;
        }
        match self.timers[Timer::Restart as usize] {
            Some(t) if now >= t => {}
            _ => return,
        }
        self.timers[Timer::Restart as usize] = None;
        if let Some((response, sent)) = &mut self.last_response {
            if *sent < self.config.max_responses {
                *sent += 1;
                self.transmit.push_back(response.clone());
                self.timers[Timer::Restart as usize] = Some(now.saturating_add(self.config.restart_ms));
            }
        }
    }

    /// The next CHAP packet to send under PPP protocol 0xc223.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.transmit.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    fn respond(&mut self, now: u64, identifier: u8, challenge: &[u8]) {
        let value = chap_md5_response(identifier, &self.config.secret, challenge);
        let Some(response) = emit(&ChapRepr::Response { identifier, value: &value, name: &self.config.name }) else {
            return;
        };
        self.answered[usize::from(identifier / 64)] |= 1 << (identifier % 64);
        self.transmit.push_back(response.clone());
        self.last_response = Some((response, 1));
        self.timers[Timer::Restart as usize] = Some(now.saturating_add(self.config.restart_ms));
    }

    fn outcome(&mut self, identifier: u8, success: bool, message: &[u8]) {
        let code = if success { ChapCode::SUCCESS.0 } else { ChapCode::FAILURE.0 };
        if self.answered[usize::from(identifier / 64)] & (1 << (identifier % 64)) == 0 {
            let reason = if success && self.last_success == Some(identifier) {
                DiscardReason::AlreadyAnswered
            } else {
                DiscardReason::StaleIdentifier
            };
            return self.discard(code, identifier, reason);
        }
        self.answered = [0; 4];
        self.last_response = None;
        self.timers = [None, None];
        let message = message.to_vec();
        if success {
            self.state = ClientState::Accepted;
            self.last_success = Some(identifier);
            self.events.push_back(ClientEvent::Success { message });
        } else {
            self.state = ClientState::Rejected;
            self.events.push_back(ClientEvent::Failure { message });
        }
    }

    fn discard(&mut self, code: u8, identifier: u8, reason: DiscardReason) {
        self.events.push_back(ClientEvent::Discarded { code, identifier, reason });
    }
}
