//! The Password Authentication Protocol (RFC 1334 §2), sans-IO: the authenticator
//! ([`PapServer`]) and the peer ([`PapClient`]). It also holds the types both
//! authentication protocols share (events, states, errors); [`super::chap`] re-exports them,
//! so the session manager handles PAP and CHAP with one set of types.
//!
//! Packets in and out are PAP packets from the Code field on (what follows the PPP Protocol
//! field 0xc023); they are read and written with [`dataplane::wire::pap::PapRepr`] only.
//! Time is a `u64` count of milliseconds on a monotonic clock the caller reads; nothing here
//! reads a clock or draws random numbers.
//!
//! The driver loop, as for every machine of the control plane: feed
//! [`PapServer::handle_packet`] and, once [`PapServer::poll_timeout`]'s deadline has passed,
//! [`PapServer::handle_timeout`]; after each, drain [`PapServer::poll_transmit`] and
//! [`PapServer::poll_event`].
//!
//! # The authenticator
//!
//! The server does not call AAA itself. For an Authenticate-Request it emits
//! [`ServerEvent::Verify`] with the Peer-ID and the password as
//! [`crate::aaa::Credentials::Pap`]; the session manager hands them to its
//! [`crate::aaa::AaaBackend`] and, whenever the answer comes (at once from the users file,
//! after a round trip from RADIUS), calls [`PapServer::verdict`]. An accept is answered with
//! an Authenticate-Ack carrying [`ServerConfig::ack_message`] and [`ServerEvent::Success`];
//! a reject with an Authenticate-Nak carrying the reject's message and
//! [`ServerEvent::Failure`], after which the session manager terminates the link (LCP
//! Terminate-Request, then PADT): RFC 1334 §2.2.1 "SHOULD take action to terminate the link".
//!
//! Choices where the RFC leaves room:
//!
//! - **Retransmissions are recognised by their credentials**, not their identifier: the peer
//!   MUST change the Identifier each time it sends an Authenticate-Request (§2.2.1), so a
//!   retransmission carries a new one. While a verdict is pending, a request with the same
//!   Peer-ID and Password, whatever its identifier, is not verified again
//!   ([`DiscardReason::AwaitingVerdict`]); the verdict answers the identifier of the last
//!   such request, the one a peer that matches replies strictly waits for.
//! - **Other credentials while a verdict is pending** are discarded
//!   ([`DiscardReason::CredentialsChanged`]): one authentication phase is one AAA request
//!   (a backend takes one request per session), and the verdict for the first credentials
//!   must not be sent as the answer to others. A real peer does not change its credentials
//!   within one phase; it would retransmit and be answered when the verdict arrives.
//! - **After the verdict**, every Authenticate-Request gets the same reply code and message
//!   again under its own identifier, with no new verification: the Ack or Nak may have been
//!   lost, and §2.2.1 (Implementation Note) says the authenticator MUST allow repeated
//!   requests and "MUST return the same reply Code returned when the Authentication phase
//!   completed", whatever they carry, so that a peer cannot try other credentials.
//! - **Timer**: the server sends no requests, so it has only [`ServerConfig::request_timeout_ms`]
//!   (default 30 s): no usable Authenticate-Request within it from [`PapServer::new`] ends the
//!   phase with [`ServerEvent::Failed`] ([`FailReason::Timeout`]). There is no timer while a
//!   verdict is pending: the AAA backend answers every request it accepted (RADIUS with a
//!   reject of kind [`crate::aaa::RejectKind::Timeout`] when no server answers), and the
//!   session manager cancels it if the session goes away first.
//! - **Messages** longer than 255 octets (the Msg-Length field) are cut to 255 octets, at a
//!   character boundary when the message is UTF-8 text.
//!
//! # The peer
//!
//! [`PapClient::new`] sends the first Authenticate-Request at once and repeats it every
//! [`ClientConfig::restart_ms`] (3 s), each time under a new identifier (§2.2.1), until a
//! reply arrives or [`ClientConfig::max_requests`] (10) have been sent and the last one has
//! timed out ([`ClientEvent::Failed`]). An Ack or Nak counts if its identifier is that of
//! any request of this phase (they all carry the same credentials, and a server may answer
//! an earlier copy); an Ack gives [`ClientEvent::Success`], a Nak [`ClientEvent::Failure`],
//! both with the server's message.
//!
//! Everything that has no effect (a malformed or truncated packet, an Ack sent to a server,
//! a reply to an identifier never sent, anything after the phase failed) is reported as a
//! `Discarded` event, for counters and logs, and changes nothing.

use std::collections::VecDeque;
use std::fmt;

use dataplane::wire::pap::{PapCode, PapRepr};
use dataplane::wire::ppp::ControlPacket;

use crate::aaa::{ct_eq, Attributes, AuthOutcome, Credentials, Reject};

/// The longest Peer-ID, Password or Message: their length fields are one octet (§2.2).
pub const MAX_FIELD: usize = 255;

// ---- types shared with CHAP ----

/// Why an authentication phase ended without an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FailReason {
    /// The server's timer ran out (no request, or no response to the last Challenge), or the
    /// client's (no reply to its last request, or no Success/Failure in time).
    Timeout,
}

impl FailReason {
    pub fn name(self) -> &'static str {
        match self {
            FailReason::Timeout => "timeout",
        }
    }
}

impl fmt::Display for FailReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a received packet was dropped without effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DiscardReason {
    /// It does not parse: truncated, a Length below 4, a string running past Length,
    /// trailing bytes, an unknown code.
    Malformed(dataplane::wire::Error),
    /// A code this role does not receive: an Ack, Nak, Challenge, Success or Failure sent to
    /// a server, a request or Response sent to a client.
    UnexpectedCode,
    /// Client: a reply whose identifier is none of the requests or Responses of this phase.
    /// CHAP server: a Response to a Challenge other than the current one (§4.1).
    StaleIdentifier,
    /// Server: a repetition of the request or Response whose verdict is pending; it is not
    /// verified again, the verdict answers it.
    AwaitingVerdict,
    /// PAP server: a request with other credentials than the one whose verdict is pending.
    CredentialsChanged,
    /// Client: a second Success/Ack for the round already accepted.
    AlreadyAnswered,
    /// CHAP client: a Challenge with an empty Value (§4.1: "one or more octets").
    EmptyChallenge,
    /// The phase is over (timed out, or the peer was refused): nothing more is answered.
    Finished,
}

impl DiscardReason {
    pub fn name(self) -> &'static str {
        match self {
            DiscardReason::Malformed(_) => "malformed",
            DiscardReason::UnexpectedCode => "unexpected code",
            DiscardReason::StaleIdentifier => "stale identifier",
            DiscardReason::AwaitingVerdict => "awaiting verdict",
            DiscardReason::CredentialsChanged => "credentials changed while awaiting verdict",
            DiscardReason::AlreadyAnswered => "already answered",
            DiscardReason::EmptyChallenge => "empty challenge",
            DiscardReason::Finished => "authentication finished",
        }
    }
}

impl fmt::Display for DiscardReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiscardReason::Malformed(e) => write!(f, "malformed: {e}"),
            other => f.write_str(other.name()),
        }
    }
}

/// What an authenticator tells the session manager.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerEvent {
    /// Ask AAA whether `credentials` prove `username` (PAP Peer-ID, CHAP Name); answer with
    /// the server's `verdict`. Emitted once per authentication phase.
    Verify { username: Vec<u8>, credentials: Credentials },
    /// The verdict was an accept, and the peer was told (Ack, Success): the link may go on to
    /// the network phase with these attributes.
    Success { username: Vec<u8>, attributes: Attributes },
    /// The verdict was a reject, and the peer was told (Nak, Failure) with `reason.message`:
    /// terminate the link.
    Failure { username: Vec<u8>, reason: Reject },
    /// The phase ended without a verdict: terminate the link.
    Failed { reason: FailReason },
    /// A received packet had no effect; for counters and logs.
    Discarded { code: u8, identifier: u8, reason: DiscardReason },
}

/// What a peer's machine tells its owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientEvent {
    /// Authenticate-Ack or CHAP Success, with the server's message (after a CHAP
    /// re-challenge, again).
    Success { message: Vec<u8> },
    /// Authenticate-Nak or CHAP Failure, with the server's message.
    Failure { message: Vec<u8> },
    /// No answer in time.
    Failed { reason: FailReason },
    /// A received packet had no effect; for counters and logs.
    Discarded { code: u8, identifier: u8, reason: DiscardReason },
}

/// Where an authenticator is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServerState {
    /// PAP: waiting for an Authenticate-Request. CHAP: a Challenge is outstanding.
    Waiting,
    /// A `Verify` was emitted; waiting for the verdict.
    Verifying,
    /// Accepted and answered; repeated requests are answered the same.
    Accepted,
    /// Rejected and answered; repeated requests are answered the same.
    Rejected,
    /// Ended without a verdict.
    TimedOut,
}

impl ServerState {
    pub fn name(self) -> &'static str {
        match self {
            ServerState::Waiting => "waiting",
            ServerState::Verifying => "verifying",
            ServerState::Accepted => "accepted",
            ServerState::Rejected => "rejected",
            ServerState::TimedOut => "timed out",
        }
    }
}

impl fmt::Display for ServerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a peer's machine is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientState {
    /// Requests or Responses sent, no answer yet.
    Authenticating,
    /// Ack or Success received.
    Accepted,
    /// Nak or Failure received.
    Rejected,
    /// Gave up.
    TimedOut,
}

/// A configuration an authentication machine cannot run with. Each names the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// A timer of 0 ms would fire again at once, forever.
    TimerZero { key: &'static str },
    /// A field longer than its length field or our limit allows.
    TooLong { key: &'static str, len: usize, max: usize },
    /// A field that must hold at least one octet.
    Empty { key: &'static str },
    /// A transmission count of 0 (nothing would be sent) or above 255 (identifiers would
    /// repeat within one phase).
    CountOutOfRange { key: &'static str, value: u32 },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::TimerZero { key } => write!(f, "{key}: a timer must be at least 1 ms"),
            ConfigError::TooLong { key, len, max } => write!(f, "{key}: {len} octets, at most {max} fit"),
            ConfigError::Empty { key } => write!(f, "{key}: must not be empty"),
            ConfigError::CountOutOfRange { key, value } => {
                write!(f, "{key}: {value} is out of range: 1 to 255 transmissions (one identifier each)")
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// `verdict` was called when no `Verify` is outstanding (none was emitted, the verdict was
/// already given, or the phase timed out): nothing was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerdictError {
    pub state: ServerState,
}

impl fmt::Display for VerdictError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no authentication verdict is awaited: the authenticator is {}", self.state)
    }
}

impl std::error::Error for VerdictError {}

pub(super) fn check_timer(key: &'static str, ms: u64) -> Result<(), ConfigError> {
    if ms == 0 {
        return Err(ConfigError::TimerZero { key });
    }
    Ok(())
}

pub(super) fn check_len(key: &'static str, field: &[u8], max: usize) -> Result<(), ConfigError> {
    if field.len() > max {
        return Err(ConfigError::TooLong { key, len: field.len(), max });
    }
    Ok(())
}

pub(super) fn check_count(key: &'static str, value: u32) -> Result<(), ConfigError> {
    if value == 0 || value > 255 {
        return Err(ConfigError::CountOutOfRange { key, value });
    }
    Ok(())
}

/// A reject's message as the peer is sent it: at most [`MAX_FIELD`] octets, cut at a
/// character boundary.
pub(super) fn reply_message(message: &str) -> Vec<u8> {
    let mut end = message.len().min(MAX_FIELD);
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    message.as_bytes()[..end].to_vec()
}

/// Code and identifier of a packet that may be too short to have them, for `Discarded`.
pub(super) fn code_and_identifier(packet: &[u8]) -> (u8, u8) {
    (packet.first().copied().unwrap_or(0), packet.get(1).copied().unwrap_or(0))
}

fn emit(repr: &PapRepr<'_>) -> Option<Vec<u8>> {
    let mut buf = vec![0; repr.buffer_len()];
    // Every string was bounded to 255 octets before, so this does not fail.
    let n = repr.emit(&mut buf).ok()?;
    buf.truncate(n);
    Some(buf)
}

// ---- the authenticator ----

/// The authenticator's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// How long to wait for an Authenticate-Request from [`PapServer::new`], ms (default
    /// 30 000).
    pub request_timeout_ms: u64,
    /// The Authenticate-Ack's message (default `Login ok`); at most 255 octets.
    pub ack_message: Vec<u8>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig { request_timeout_ms: 30_000, ack_message: b"Login ok".to_vec() }
    }
}

impl ServerConfig {
    pub fn check(&self) -> Result<(), ConfigError> {
        check_timer("request_timeout_ms", self.request_timeout_ms)?;
        check_len("ack_message", &self.ack_message, MAX_FIELD)
    }
}

enum ServerPhase {
    Waiting {
        deadline: u64,
    },
    /// `identifier`: the last request carrying these credentials, answered by the verdict.
    Verifying {
        username: Vec<u8>,
        password: Vec<u8>,
        identifier: u8,
    },
    /// The reply every later request gets.
    Answered {
        code: PapCode,
        message: Vec<u8>,
    },
    TimedOut,
}

/// The PAP authenticator (RFC 1334 §2.2); see the module documentation.
pub struct PapServer {
    config: ServerConfig,
    phase: ServerPhase,
    transmit: VecDeque<Vec<u8>>,
    events: VecDeque<ServerEvent>,
}

impl PapServer {
    /// The authentication phase begins at `now`: the request timer starts.
    pub fn new(now: u64, config: ServerConfig) -> Result<PapServer, ConfigError> {
        config.check()?;
        let deadline = now.saturating_add(config.request_timeout_ms);
        Ok(PapServer {
            config,
            phase: ServerPhase::Waiting { deadline },
            transmit: VecDeque::new(),
            events: VecDeque::new(),
        })
    }

    pub fn state(&self) -> ServerState {
        match self.phase {
            ServerPhase::Waiting { .. } => ServerState::Waiting,
            ServerPhase::Verifying { .. } => ServerState::Verifying,
            ServerPhase::Answered { code, .. } if code == PapCode::AUTHENTICATE_ACK => ServerState::Accepted,
            ServerPhase::Answered { .. } => ServerState::Rejected,
            ServerPhase::TimedOut => ServerState::TimedOut,
        }
    }

    /// A PAP packet arrived (from the Code field on; bytes after Length are padding).
    pub fn handle_packet(&mut self, _now: u64, packet: &[u8]) {
        let (code, identifier) = code_and_identifier(packet);
        let repr = match ControlPacket::new_checked(packet).and_then(|p| PapRepr::parse(&p)) {
            Ok(repr) => repr,
            Err(e) => return self.discard(code, identifier, DiscardReason::Malformed(e)),
        };
        let PapRepr::AuthenticateRequest { identifier, peer_id, password } = repr else {
            return self.discard(code, identifier, DiscardReason::UnexpectedCode);
        };
        match &mut self.phase {
            ServerPhase::Waiting { .. } => {
                self.phase =
                    ServerPhase::Verifying { username: peer_id.to_vec(), password: password.to_vec(), identifier };
                self.events.push_back(ServerEvent::Verify {
                    username: peer_id.to_vec(),
                    credentials: Credentials::Pap { password: password.to_vec() },
                });
            }
            ServerPhase::Verifying { username, password: pending, identifier: latest } => {
                // Both compared in full, so the time says nothing about which differs.
                let same = ct_eq(username, peer_id) & ct_eq(pending, password);
                if same {
                    *latest = identifier;
                    self.discard(code, identifier, DiscardReason::AwaitingVerdict);
                } else {
                    self.discard(code, identifier, DiscardReason::CredentialsChanged);
                }
            }
            ServerPhase::Answered { code, message } => {
                let (code, message) = (*code, message.clone());
                self.reply(code, identifier, &message);
            }
            ServerPhase::TimedOut => self.discard(code, identifier, DiscardReason::Finished),
        }
    }

    /// The AAA answer to the outstanding [`ServerEvent::Verify`]: Ack or Nak the last
    /// request that carried its credentials, and report [`ServerEvent::Success`] or
    /// [`ServerEvent::Failure`].
    pub fn verdict(&mut self, _now: u64, outcome: AuthOutcome) -> Result<(), VerdictError> {
        let ServerPhase::Verifying { username, identifier, .. } = &self.phase else {
            return Err(VerdictError { state: self.state() });
        };
        let (username, identifier) = (username.clone(), *identifier);
        let (code, message, event) = match outcome {
            AuthOutcome::Accept(attributes) => (
                PapCode::AUTHENTICATE_ACK,
                self.config.ack_message.clone(),
                ServerEvent::Success { username, attributes },
            ),
            AuthOutcome::Reject(reason) => {
                (PapCode::AUTHENTICATE_NAK, reply_message(&reason.message), ServerEvent::Failure { username, reason })
            }
        };
        self.reply(code, identifier, &message);
        self.phase = ServerPhase::Answered { code, message };
        self.events.push_back(event);
        Ok(())
    }

    /// The request timer's deadline, while no request has arrived.
    pub fn poll_timeout(&self) -> Option<u64> {
        match self.phase {
            ServerPhase::Waiting { deadline } => Some(deadline),
            _ => None,
        }
    }

    pub fn handle_timeout(&mut self, now: u64) {
        if let ServerPhase::Waiting { deadline } = self.phase {
            if now >= deadline {
                self.phase = ServerPhase::TimedOut;
                self.events.push_back(ServerEvent::Failed { reason: FailReason::Timeout });
            }
        }
    }

    /// The next PAP packet to send under PPP protocol 0xc023.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.transmit.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    fn reply(&mut self, code: PapCode, identifier: u8, message: &[u8]) {
        let repr = if code == PapCode::AUTHENTICATE_ACK {
            PapRepr::AuthenticateAck { identifier, message }
        } else {
            PapRepr::AuthenticateNak { identifier, message }
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
    /// The Peer-ID; at most 255 octets.
    pub username: Vec<u8>,
    /// At most 255 octets.
    pub password: Vec<u8>,
    /// Time between Authenticate-Requests, ms (default 3000, the restart timer of RFC 1661
    /// §4.6, which RFC 1334 §2.2.1 leaves to the implementation).
    pub restart_ms: u64,
    /// Authenticate-Requests sent, the first included, before giving up (default 10, as
    /// Max-Configure; at most 255 so that identifiers do not repeat).
    pub max_requests: u32,
}

impl ClientConfig {
    pub fn new(username: impl Into<Vec<u8>>, password: impl Into<Vec<u8>>) -> ClientConfig {
        ClientConfig { username: username.into(), password: password.into(), restart_ms: 3_000, max_requests: 10 }
    }

    pub fn check(&self) -> Result<(), ConfigError> {
        check_len("username", &self.username, MAX_FIELD)?;
        check_len("password", &self.password, MAX_FIELD)?;
        check_timer("restart_ms", self.restart_ms)?;
        check_count("max_requests", self.max_requests)
    }
}

/// The password stays out of logs.
impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("username", &String::from_utf8_lossy(&self.username))
            .field("restart_ms", &self.restart_ms)
            .field("max_requests", &self.max_requests)
            .finish_non_exhaustive()
    }
}

/// The PAP peer (RFC 1334 §2.2.1); see the module documentation.
pub struct PapClient {
    config: ClientConfig,
    first_identifier: u8,
    /// Requests sent in this phase; their identifiers run from `first_identifier`.
    sent: u32,
    state: ClientState,
    deadline: Option<u64>,
    transmit: VecDeque<Vec<u8>>,
    events: VecDeque<ClientEvent>,
}

impl PapClient {
    /// Sends the first Authenticate-Request, under `first_identifier`, at `now`.
    pub fn new(now: u64, config: ClientConfig, first_identifier: u8) -> Result<PapClient, ConfigError> {
        config.check()?;
        let mut client = PapClient {
            config,
            first_identifier,
            sent: 0,
            state: ClientState::Authenticating,
            deadline: None,
            transmit: VecDeque::new(),
            events: VecDeque::new(),
        };
        client.send_request(now);
        Ok(client)
    }

    pub fn state(&self) -> ClientState {
        self.state
    }

    /// A PAP packet arrived (from the Code field on).
    pub fn handle_packet(&mut self, _now: u64, packet: &[u8]) {
        let (code, identifier) = code_and_identifier(packet);
        let repr = match ControlPacket::new_checked(packet).and_then(|p| PapRepr::parse(&p)) {
            Ok(repr) => repr,
            Err(e) => return self.discard(code, identifier, DiscardReason::Malformed(e)),
        };
        let (accepted, message) = match repr {
            PapRepr::AuthenticateAck { message, .. } => (true, message),
            PapRepr::AuthenticateNak { message, .. } => (false, message),
            PapRepr::AuthenticateRequest { .. } => {
                return self.discard(code, identifier, DiscardReason::UnexpectedCode);
            }
        };
        match self.state {
            ClientState::Authenticating => {}
            ClientState::Accepted if accepted => return self.discard(code, identifier, DiscardReason::AlreadyAnswered),
            _ => return self.discard(code, identifier, DiscardReason::Finished),
        }
        if u32::from(identifier.wrapping_sub(self.first_identifier)) >= self.sent {
            return self.discard(code, identifier, DiscardReason::StaleIdentifier);
        }
        self.deadline = None;
        let message = message.to_vec();
        if accepted {
            self.state = ClientState::Accepted;
            self.events.push_back(ClientEvent::Success { message });
        } else {
            self.state = ClientState::Rejected;
            self.events.push_back(ClientEvent::Failure { message });
        }
    }

    /// When the next request is due, or the last one times out.
    pub fn poll_timeout(&self) -> Option<u64> {
        self.deadline
    }

    pub fn handle_timeout(&mut self, now: u64) {
        match self.deadline {
            Some(deadline) if now >= deadline => {}
            _ => return,
        }
        if self.sent < self.config.max_requests {
            self.send_request(now);
        } else {
            self.deadline = None;
            self.state = ClientState::TimedOut;
            self.events.push_back(ClientEvent::Failed { reason: FailReason::Timeout });
        }
    }

    /// The next PAP packet to send under PPP protocol 0xc023.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.transmit.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    fn send_request(&mut self, now: u64) {
        // §2.2.1: "The Identifier field MUST be changed each time an Authenticate-Request
        // packet is issued." `sent` stays below 256, so the identifiers of a phase differ.
        let identifier = self.first_identifier.wrapping_add(self.sent as u8);
        let repr = PapRepr::AuthenticateRequest {
            identifier,
            peer_id: &self.config.username,
            password: &self.config.password,
        };
        self.transmit.extend(emit(&repr));
        self.sent += 1;
        self.deadline = Some(now.saturating_add(self.config.restart_ms));
    }

    fn discard(&mut self, code: u8, identifier: u8, reason: DiscardReason) {
        self.events.push_back(ClientEvent::Discarded { code, identifier, reason });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reply_messages_are_cut_at_a_character_boundary() {
        assert_eq!(reply_message("Authentication failed"), b"Authentication failed");
        let long = format!("{}ü", "a".repeat(254));
        assert_eq!(reply_message(&long), "a".repeat(254).as_bytes());
        assert_eq!(reply_message(&"b".repeat(300)).len(), 255);
        assert_eq!(reply_message(&"€".repeat(100)).len(), 255);
    }

    proptest! {
        /// A request while a verdict is pending counts as a retransmission exactly when both
        /// its Peer-ID and Password equal the pending ones ([`ct_eq`] on each).
        #[test]
        fn repeated_request_is_a_retransmission_iff_credentials_are_equal(
            user in proptest::collection::vec(any::<u8>(), 0..4),
            password in proptest::collection::vec(any::<u8>(), 0..4),
            user2 in proptest::collection::vec(any::<u8>(), 0..4),
            password2 in proptest::collection::vec(any::<u8>(), 0..4),
            (same_user, same_password) in (any::<bool>(), any::<bool>()),
        ) {
            // Equal fields half of the time, not only when random bytes happen to match.
            let user2 = if same_user { user.clone() } else { user2 };
            let password2 = if same_password { password.clone() } else { password2 };
            let request = |identifier, peer_id: &[u8], password: &[u8]| {
                emit(&PapRepr::AuthenticateRequest { identifier, peer_id, password }).unwrap()
            };
            let mut server = PapServer::new(0, ServerConfig::default()).unwrap();
            server.handle_packet(0, &request(1, &user, &password));
            let verify = matches!(server.poll_event(), Some(ServerEvent::Verify { .. }));
            prop_assert!(verify);
            server.handle_packet(1, &request(2, &user2, &password2));
            let reason = if user == user2 && password == password2 {
                DiscardReason::AwaitingVerdict
            } else {
                DiscardReason::CredentialsChanged
            };
            prop_assert_eq!(server.poll_event(), Some(ServerEvent::Discarded { code: 1, identifier: 2, reason }));
        }
    }
}
