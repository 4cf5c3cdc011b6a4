//! Microsoft CHAP version 2 (RFC 2759), sans-IO: the authenticator ([`MsChapV2Server`]) and
//! the peer ([`MsChapV2Client`]).
//!
//! MS-CHAPv2 is CHAP (PPP protocol 0xc223, LCP Authentication-Protocol algorithm 0x81) with
//! fixed layouts inside the Value and Message fields: a 16-octet Challenge (§3), a 49-octet
//! Response (Peer-Challenge, 8 reserved octets, NT-Response, Flags; §4), a Success message
//! `S=<40 hex> M=<text>` (§5) and a Failure message `E=e R=r C=<32 hex> V=3 M=<text>` (§6).
//! Packets in and out are CHAP packets from the Code field on, read and written with
//! [`dataplane::wire::chap`] only; the cryptography is [`crate::aaa::mschapv2`]. Time is a
//! `u64` count of milliseconds on a monotonic clock the caller reads. Nothing here draws
//! random numbers: Authenticator Challenges and Peer-Challenges come from a
//! [`ChallengeSource`] the caller passes in, as for [`super::chap`]. The events, states and
//! errors are PAP's ([`super::pap`]), re-exported here, so that the session manager handles
//! all three protocols alike.
//!
//! # The authenticator
//!
//! [`MsChapV2Server`] runs as [`super::chap::ChapServer`] does (see there for the reasons):
//! a Challenge at once, a new one (new identifier, new value, §4.1 of RFC 1994) every
//! [`ServerConfig::restart_ms`] up to [`ServerConfig::max_challenges`], then
//! [`ServerEvent::Failed`]; a Response to the current Challenge gives one
//! [`ServerEvent::Verify`] with the Response's Name and [`Credentials::MsChapV2`]; repeated
//! Responses while the verdict is pending are discarded, and after the verdict they get the
//! same reply again. What differs:
//!
//! - **The verdict's Success carries the Authenticator Response** (§5): an accept must hold
//!   it in [`crate::aaa::Attributes::mschapv2`] (the users file computes it; RADIUS gives it
//!   in MS-CHAP2-Success). The Success message is `S=<40 hex> M=`[`ServerConfig::success_message`].
//!   An accept without it, or with one that is not `S=` and 40 hex digits, cannot be
//!   answered truthfully: it is treated as a backend error, answered with a Failure, and
//!   reported as [`ServerEvent::Failure`] of kind [`RejectKind::BackendError`].
//! - **A Failure is `E=691 R=r C=<challenge> V=3 M=<reject message>`** (§6).
//! - **Retries** (§6): with [`ServerConfig::max_attempts`] above 1 (default 1: none), a
//!   reject while attempts remain (other than a backend error, which another password does
//!   not mend) is answered with `R=1` and a fresh 16-octet challenge in `C=`; no event is
//!   reported. The peer's next Response carries the Failure's identifier
//!   plus one and answers that challenge; it is verified again (a second
//!   [`ServerEvent::Verify`]). A repetition of the Response the Failure answered gets the
//!   same Failure again (it may have been lost). Without a new Response within
//!   [`ServerConfig::retry_timeout_ms`] the phase ends with [`ServerEvent::Failure`] for the
//!   last reject. The last attempt's reject is answered with `R=0` (its `C=` is the challenge
//!   of that attempt, which no Response can use any more) and [`ServerEvent::Failure`].
//!   The session manager then terminates the link, as for CHAP.
//! - **Change-Password** (code 7, §7) is refused: dpvpn never asks for a password change
//!   (it sends no E=648), and the users file and RADIUS path have nothing to change. The
//!   packet is answered with a Failure `E=709 R=0` (ERROR_CHANGING_PASSWORD) and the phase
//!   ends with [`ServerEvent::Failure`] of kind [`RejectKind::UnsupportedMethod`].
//! - **A Response Value that is not a 49-octet MS-CHAPv2 Response** (other length, non-zero
//!   Reserved octets) is answered with a final Failure at once, kind
//!   [`RejectKind::Malformed`], without a `Verify`.
//!
//! [`MsChapV2Server::verdict`] takes a [`ChallengeSource`] besides the outcome: a retry's
//! Failure carries a new challenge, and the server draws nothing by itself.
//!
//! # The peer
//!
//! [`MsChapV2Client`] waits for Challenges and answers each with a fresh Peer-Challenge
//! from the caller's source and GenerateNTResponse(§8.1), its Name being
//! [`ClientConfig::name`]. A repeated Challenge (same identifier and value) gets the same
//! Response again, not a new one: the authenticator may be verifying the first, and its
//! Success will be computed from it. The last Response is repeated every
//! [`ClientConfig::restart_ms`], at most [`ClientConfig::max_responses`] times, until a
//! Success or Failure for an answered identifier arrives; without one within
//! [`ClientConfig::timeout_ms`] the phase fails.
//!
//! - **Mutual authentication** (§5): a Success counts only if its `S=` is the Authenticator
//!   Response the client computes itself (CheckAuthenticatorResponse, §8.8, compared as
//!   text, uppercase hex). A Success without it, or with another one, means the other end
//!   does not know the password: the client does not trust the link, ends in
//!   [`ClientState::Rejected`] and reports [`ClientEvent::Failure`] with
//!   [`BAD_AUTHENTICATOR_RESPONSE`] as the message.
//! - **Keys**: after a trusted Success, [`MsChapV2Client::mppe_keys`] gives the client's
//!   MPPE keys (RFC 3079 §3.3): its send key is the server's receive key and vice versa.
//! - **Retries**: a Failure with `R=1` and a `C=` challenge is answered with a new Response
//!   (identifier plus one, new Peer-Challenge, the current password) when
//!   [`ClientConfig::retry`] is set (default off); nothing is reported then. A dialer that
//!   asks its user for another password calls [`MsChapV2Client::set_password`] first.
//!   Otherwise, and for `R=0`, the Failure ends the phase ([`ClientEvent::Failure`] with the
//!   whole message text, `E=` code included).

use std::collections::VecDeque;
use std::fmt;

use dataplane::wire::chap::{
    ChapCode, ChapRepr, MsChapV2Challenge, MsChapV2Failure, MsChapV2Response, MsChapV2Success,
};
use dataplane::wire::ppp::ControlPacket;

pub use super::chap::{ChallengeSource, CHALLENGE_LEN};
use super::pap::{check_count, check_len, check_timer, code_and_identifier, reply_message};
pub use super::pap::{
    ClientEvent, ClientState, ConfigError, DiscardReason, FailReason, ServerEvent, ServerState, VerdictError,
};
use crate::aaa::mschapv2::{check_authenticator_response, generate_nt_response, mppe_master_keys, MAX_PASSWORD_CHARS};
use crate::aaa::{AuthOutcome, Credentials, MppeKeys, Reject, RejectKind};

/// Our limit for the Name and message fields (CHAP bounds them only by Length); RADIUS's
/// User-Name is 253 octets at most (RFC 2865 §5.1).
pub const MAX_NAME: usize = 255;
/// RFC 2759 §6: the Change Password Protocol version this is (`V=3`).
pub const PASSWORD_CHANGE_VERSION: u32 = 3;
/// What a peer is told when its Response Value is not an MS-CHAPv2 Response.
pub const MALFORMED_RESPONSE: &str = "Malformed MS-CHAPv2 response";
/// What a peer is told when it sends Change-Password.
pub const PASSWORD_CHANGE_REFUSED: &str = "Password change is not supported";
/// What a peer is told when the backend accepted without an Authenticator Response.
pub const NO_AUTHENTICATOR_RESPONSE: &str = "Authentication failed (no MS-CHAPv2 authenticator response)";
/// The client's [`ClientEvent::Failure`] message for a Success whose `S=` is missing or
/// wrong (RFC 2759 §5: the authenticator did not prove it knows the password).
pub const BAD_AUTHENTICATOR_RESPONSE: &[u8] = b"MS-CHAPv2 Success without the right authenticator response";

fn emit(repr: &ChapRepr<'_>) -> Option<Vec<u8>> {
    let mut buf = vec![0; repr.buffer_len()];
    // Values are at most 49 octets and names and messages bounded, so this does not fail.
    let n = repr.emit(&mut buf).ok()?;
    buf.truncate(n);
    Some(buf)
}

/// The Failure message of §6: `E=error R=0|1 C=<challenge> V=3 M=<message>`.
fn failure_message(error: u32, retry: bool, challenge: &[u8; CHALLENGE_LEN], message: &[u8]) -> Vec<u8> {
    let failure = MsChapV2Failure {
        error,
        retry,
        challenge: Some(*challenge),
        version: Some(PASSWORD_CHANGE_VERSION),
        message: Some(message),
    };
    let mut buf = vec![0; failure.buffer_len()];
    match failure.emit(&mut buf) {
        Ok(n) => buf.truncate(n),
        Err(_) => buf.clear(),
    }
    buf
}

// ---- the authenticator ----

/// The authenticator's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// Our Name in Challenges (e.g. the AC-Name); 1 to 255 octets.
    pub name: Vec<u8>,
    /// Time between Challenges, ms (default 3000, RFC 1661 §4.6's restart timer).
    pub restart_ms: u64,
    /// Challenges sent, the first included, before giving up (default 10); at most 255.
    pub max_challenges: u32,
    /// The text after `M=` in the Success message (default `Login ok`); at most 255 octets.
    pub success_message: Vec<u8>,
    /// Responses verified per phase, the first included (default 1: a reject is final);
    /// at most 255. RFC 2759 §6's `R=1` invites the next.
    pub max_attempts: u32,
    /// How long to wait for the peer's next Response after a Failure with `R=1`, ms (default
    /// 30 000).
    pub retry_timeout_ms: u64,
}

impl ServerConfig {
    pub fn new(name: impl Into<Vec<u8>>) -> ServerConfig {
        ServerConfig {
            name: name.into(),
            restart_ms: 3_000,
            max_challenges: 10,
            success_message: b"Login ok".to_vec(),
            max_attempts: 1,
            retry_timeout_ms: 30_000,
        }
    }

    pub fn check(&self) -> Result<(), ConfigError> {
        if self.name.is_empty() {
            return Err(ConfigError::Empty { key: "name" });
        }
        check_len("name", &self.name, MAX_NAME)?;
        check_timer("restart_ms", self.restart_ms)?;
        check_count("max_challenges", self.max_challenges)?;
        check_len("success_message", &self.success_message, MAX_NAME)?;
        check_count("max_attempts", self.max_attempts)?;
        check_timer("retry_timeout_ms", self.retry_timeout_ms)
    }
}

enum ServerPhase {
    Challenging {
        identifier: u8,
        challenge: [u8; CHALLENGE_LEN],
        sent: u32,
        deadline: u64,
    },
    Verifying {
        identifier: u8,
        challenge: [u8; CHALLENGE_LEN],
        username: Vec<u8>,
        /// Responses verified so far, this one included.
        attempt: u32,
    },
    /// A Failure with `R=1` went out under `identifier`; the next Response carries
    /// `identifier + 1` and answers `challenge`.
    Retrying {
        identifier: u8,
        challenge: [u8; CHALLENGE_LEN],
        username: Vec<u8>,
        attempt: u32,
        /// The Failure sent, for a repeated Response to it.
        message: Vec<u8>,
        reason: Reject,
        deadline: u64,
    },
    /// The reply every later Response (or Change-Password) to `identifier` gets.
    Answered {
        identifier: u8,
        code: ChapCode,
        message: Vec<u8>,
    },
    TimedOut,
}

/// The MS-CHAPv2 authenticator (RFC 2759); see the module documentation.
pub struct MsChapV2Server {
    config: ServerConfig,
    phase: ServerPhase,
    transmit: VecDeque<Vec<u8>>,
    events: VecDeque<ServerEvent>,
}

impl MsChapV2Server {
    /// The authentication phase begins at `now`: the first Challenge, under
    /// `first_identifier`, is sent.
    pub fn new(
        now: u64,
        config: ServerConfig,
        first_identifier: u8,
        source: &mut (impl ChallengeSource + ?Sized),
    ) -> Result<MsChapV2Server, ConfigError> {
        config.check()?;
        let mut server =
            MsChapV2Server { config, phase: ServerPhase::TimedOut, transmit: VecDeque::new(), events: VecDeque::new() };
        server.send_challenge(now, first_identifier, 0, source);
        Ok(server)
    }

    pub fn state(&self) -> ServerState {
        match self.phase {
            ServerPhase::Challenging { .. } | ServerPhase::Retrying { .. } => ServerState::Waiting,
            ServerPhase::Verifying { .. } => ServerState::Verifying,
            ServerPhase::Answered { code, .. } if code == ChapCode::SUCCESS => ServerState::Accepted,
            ServerPhase::Answered { .. } => ServerState::Rejected,
            ServerPhase::TimedOut => ServerState::TimedOut,
        }
    }

    /// The identifier the next Response must carry (or, once answered, the one whose
    /// repetitions are answered again).
    pub fn identifier(&self) -> Option<u8> {
        match self.phase {
            ServerPhase::Challenging { identifier, .. }
            | ServerPhase::Verifying { identifier, .. }
            | ServerPhase::Answered { identifier, .. } => Some(identifier),
            ServerPhase::Retrying { identifier, .. } => Some(identifier.wrapping_add(1)),
            ServerPhase::TimedOut => None,
        }
    }

    /// A CHAP packet arrived (from the Code field on; bytes after Length are padding).
    pub fn handle_packet(&mut self, _now: u64, packet: &[u8]) {
        let (code, identifier) = code_and_identifier(packet);
        let control = match ControlPacket::new_checked(packet) {
            Ok(control) => control,
            Err(e) => return self.discard(code, identifier, DiscardReason::Malformed(e)),
        };
        if ChapCode(code) == ChapCode::MS_CHAP_V2_CHANGE_PASSWORD {
            return self.change_password(identifier);
        }
        let repr = match ChapRepr::parse(&control) {
            Ok(repr) => repr,
            Err(e) => return self.discard(code, identifier, DiscardReason::Malformed(e)),
        };
        let ChapRepr::Response { identifier, value, name } = repr else {
            return self.discard(code, identifier, DiscardReason::UnexpectedCode);
        };
        match &self.phase {
            ServerPhase::Challenging { identifier: current, challenge, .. } if identifier == *current => {
                let challenge = *challenge;
                self.verify(identifier, challenge, name, value, 1);
            }
            ServerPhase::Retrying { identifier: failed, challenge, attempt, .. }
                if identifier == failed.wrapping_add(1) =>
            {
                let (challenge, attempt) = (*challenge, *attempt + 1);
                self.verify(identifier, challenge, name, value, attempt);
            }
            ServerPhase::Retrying { identifier: failed, message, .. } if identifier == *failed => {
                let message = message.clone();
                self.reply(ChapCode::FAILURE, identifier, &message);
            }
            ServerPhase::Verifying { identifier: current, .. } if identifier == *current => {
                self.discard(code, identifier, DiscardReason::AwaitingVerdict)
            }
            ServerPhase::Answered { identifier: current, code, message } if identifier == *current => {
                let (code, message) = (*code, message.clone());
                self.reply(code, identifier, &message);
            }
            ServerPhase::TimedOut => self.discard(code, identifier, DiscardReason::Finished),
            _ => self.discard(code, identifier, DiscardReason::StaleIdentifier),
        }
    }

    /// The AAA answer to the outstanding [`ServerEvent::Verify`]: Success, or Failure with
    /// `R=1` and a new challenge from `source` while attempts remain, or a final Failure;
    /// [`ServerEvent::Success`] or [`ServerEvent::Failure`] when the phase ends.
    pub fn verdict(
        &mut self,
        now: u64,
        outcome: AuthOutcome,
        source: &mut (impl ChallengeSource + ?Sized),
    ) -> Result<(), VerdictError> {
        let phase = std::mem::replace(&mut self.phase, ServerPhase::TimedOut);
        let ServerPhase::Verifying { identifier, challenge, username, attempt } = phase else {
            self.phase = phase;
            return Err(VerdictError { state: self.state() });
        };
        let reason = match outcome {
            AuthOutcome::Accept(attributes) => {
                let success =
                    attributes.mschapv2.as_ref().and_then(|a| MsChapV2Success::parse(&a.authenticator_response).ok());
                match success {
                    Some(MsChapV2Success { authenticator_response, message: None }) => {
                        let text =
                            MsChapV2Success { authenticator_response, message: Some(&self.config.success_message) };
                        let mut message = vec![0; text.buffer_len()];
                        let n = text.emit(&mut message).unwrap_or(0);
                        message.truncate(n);
                        self.reply(ChapCode::SUCCESS, identifier, &message);
                        self.phase = ServerPhase::Answered { identifier, code: ChapCode::SUCCESS, message };
                        self.events.push_back(ServerEvent::Success { username, attributes });
                        return Ok(());
                    }
                    _ => Reject { kind: RejectKind::BackendError, message: NO_AUTHENTICATOR_RESPONSE.to_string() },
                }
            }
            AuthOutcome::Reject(reason) => reason,
        };
        let retry = attempt < self.config.max_attempts && reason.kind != RejectKind::BackendError;
        if retry {
            let next = source.challenge_value();
            let message = failure_message(
                MsChapV2Failure::ERROR_AUTHENTICATION_FAILURE,
                true,
                &next,
                &reply_message(&reason.message),
            );
            self.reply(ChapCode::FAILURE, identifier, &message);
            let deadline = now.saturating_add(self.config.retry_timeout_ms);
            self.phase =
                ServerPhase::Retrying { identifier, challenge: next, username, attempt, message, reason, deadline };
        } else {
            self.fail(identifier, MsChapV2Failure::ERROR_AUTHENTICATION_FAILURE, &challenge, username, reason);
        }
        Ok(())
    }

    /// When the next Challenge is due, the last one times out, or the wait for a retry ends.
    pub fn poll_timeout(&self) -> Option<u64> {
        match self.phase {
            ServerPhase::Challenging { deadline, .. } | ServerPhase::Retrying { deadline, .. } => Some(deadline),
            _ => None,
        }
    }

    /// `source` gives the value of the next Challenge, if one is sent.
    pub fn handle_timeout(&mut self, now: u64, source: &mut (impl ChallengeSource + ?Sized)) {
        match &self.phase {
            ServerPhase::Challenging { identifier, sent, deadline, .. } if now >= *deadline => {
                let (identifier, sent) = (*identifier, *sent);
                if sent < self.config.max_challenges {
                    self.send_challenge(now, identifier.wrapping_add(1), sent, source);
                } else {
                    self.phase = ServerPhase::TimedOut;
                    self.events.push_back(ServerEvent::Failed { reason: FailReason::Timeout });
                }
            }
            ServerPhase::Retrying { deadline, .. } if now >= *deadline => {
                let ServerPhase::Retrying { identifier, challenge, username, reason, .. } =
                    std::mem::replace(&mut self.phase, ServerPhase::TimedOut)
                else {
                    return;
                };
                // The peer did not take up the retry: the phase ends with the last reject,
                // and a late repetition of its Response now hears R=0.
                let message = failure_message(
                    MsChapV2Failure::ERROR_AUTHENTICATION_FAILURE,
                    false,
                    &challenge,
                    &reply_message(&reason.message),
                );
                self.phase = ServerPhase::Answered { identifier, code: ChapCode::FAILURE, message };
                self.events.push_back(ServerEvent::Failure { username, reason });
            }
            _ => {}
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
        let challenge = source.challenge_value();
        let value = MsChapV2Challenge(challenge);
        let repr = ChapRepr::Challenge { identifier, value: value.as_bytes(), name: &self.config.name };
        self.transmit.extend(emit(&repr));
        let deadline = now.saturating_add(self.config.restart_ms);
        self.phase = ServerPhase::Challenging { identifier, challenge, sent: sent + 1, deadline };
    }

    /// A Response to the challenge of this attempt: verify it, or refuse it if it cannot be
    /// an MS-CHAPv2 Response.
    fn verify(&mut self, identifier: u8, challenge: [u8; CHALLENGE_LEN], name: &[u8], value: &[u8], attempt: u32) {
        let username = name.to_vec();
        let Ok(response) = MsChapV2Response::parse(value) else {
            let reason = Reject { kind: RejectKind::Malformed, message: MALFORMED_RESPONSE.to_string() };
            return self.fail(identifier, MsChapV2Failure::ERROR_AUTHENTICATION_FAILURE, &challenge, username, reason);
        };
        self.phase = ServerPhase::Verifying { identifier, challenge, username: username.clone(), attempt };
        self.events.push_back(ServerEvent::Verify {
            username,
            credentials: Credentials::MsChapV2 {
                authenticator_challenge: challenge,
                peer_challenge: response.peer_challenge,
                nt_response: response.nt_response,
            },
        });
    }

    /// RFC 2759 §7 Change-Password: refused with E=709, and the phase ends (unless it has
    /// already: then a repetition gets the same answer).
    fn change_password(&mut self, identifier: u8) {
        let code = ChapCode::MS_CHAP_V2_CHANGE_PASSWORD.0;
        let (challenge, username) = match &self.phase {
            ServerPhase::Challenging { challenge, .. } => (*challenge, Vec::new()),
            ServerPhase::Verifying { challenge, username, .. } | ServerPhase::Retrying { challenge, username, .. } => {
                (*challenge, username.clone())
            }
            ServerPhase::Answered { identifier: answered, code: reply, message } if identifier == *answered => {
                let (reply, message) = (*reply, message.clone());
                return self.reply(reply, identifier, &message);
            }
            ServerPhase::Answered { .. } => return self.discard(code, identifier, DiscardReason::StaleIdentifier),
            ServerPhase::TimedOut => return self.discard(code, identifier, DiscardReason::Finished),
        };
        let reason = Reject { kind: RejectKind::UnsupportedMethod, message: PASSWORD_CHANGE_REFUSED.to_string() };
        self.fail(identifier, MsChapV2Failure::ERROR_CHANGING_PASSWORD, &challenge, username, reason);
    }

    /// A final Failure (`R=0`): reply, remember the reply, report.
    fn fail(&mut self, identifier: u8, error: u32, challenge: &[u8; CHALLENGE_LEN], username: Vec<u8>, reason: Reject) {
        let message = failure_message(error, false, challenge, &reply_message(&reason.message));
        self.reply(ChapCode::FAILURE, identifier, &message);
        self.phase = ServerPhase::Answered { identifier, code: ChapCode::FAILURE, message };
        self.events.push_back(ServerEvent::Failure { username, reason });
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
    /// 0 to 256 characters (RFC 2759 §8.1): at most 512 octets in UTF-16, as it is hashed.
    pub password: String,
    /// Time between repetitions of our last Response, ms (default 3000).
    pub restart_ms: u64,
    /// Transmissions of one Response, the first included (default 10).
    pub max_responses: u32,
    /// How long the phase may take from [`MsChapV2Client::new`] to the first Success or
    /// Failure, ms (default 30 000).
    pub timeout_ms: u64,
    /// Answer a Failure with `R=1` by trying again (default false).
    pub retry: bool,
}

impl ClientConfig {
    pub fn new(name: impl Into<Vec<u8>>, password: impl Into<String>) -> ClientConfig {
        ClientConfig {
            name: name.into(),
            password: password.into(),
            restart_ms: 3_000,
            max_responses: 10,
            timeout_ms: 30_000,
            retry: false,
        }
    }

    pub fn check(&self) -> Result<(), ConfigError> {
        if self.name.is_empty() {
            return Err(ConfigError::Empty { key: "name" });
        }
        check_len("name", &self.name, MAX_NAME)?;
        check_password(&self.password)?;
        check_timer("restart_ms", self.restart_ms)?;
        check_count("max_responses", self.max_responses)?;
        check_timer("timeout_ms", self.timeout_ms)
    }
}

/// RFC 2759 §8.1: at most 256 Unicode characters, counted as NtPasswordHash hashes them:
/// 512 octets of UTF-16.
fn check_password(password: &str) -> Result<(), ConfigError> {
    let octets = 2 * password.encode_utf16().count();
    if octets > 2 * MAX_PASSWORD_CHARS {
        return Err(ConfigError::TooLong { key: "password", len: octets, max: 2 * MAX_PASSWORD_CHARS });
    }
    Ok(())
}

/// The password stays out of logs.
impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("name", &String::from_utf8_lossy(&self.name))
            .field("restart_ms", &self.restart_ms)
            .field("max_responses", &self.max_responses)
            .field("timeout_ms", &self.timeout_ms)
            .field("retry", &self.retry)
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

/// A Response sent since the last Success or Failure: what a Success to it must prove.
#[derive(Clone)]
struct Answered {
    identifier: u8,
    authenticator_challenge: [u8; CHALLENGE_LEN],
    peer_challenge: [u8; CHALLENGE_LEN],
    nt_response: [u8; 24],
    /// The packet, for a repeated Challenge.
    packet: Vec<u8>,
}

/// Responses remembered between two outcomes; a server that keeps sending new Challenges
/// (ours: one every 3 s, ten at most) answers one of the last few.
const MAX_ANSWERED: usize = 16;

/// The MS-CHAPv2 peer (RFC 2759); see the module documentation.
pub struct MsChapV2Client {
    config: ClientConfig,
    state: ClientState,
    /// Oldest first; identifiers unique.
    answered: VecDeque<Answered>,
    /// The last Response sent and how many times.
    last_response: Option<(Vec<u8>, u32)>,
    /// The Response the last trusted Success answered, to recognise duplicates of its
    /// Challenge and of the Success.
    succeeded: Option<Answered>,
    mppe: Option<MppeKeys>,
    timers: [Option<u64>; 2],
    transmit: VecDeque<Vec<u8>>,
    events: VecDeque<ClientEvent>,
}

impl MsChapV2Client {
    /// The phase begins at `now`; the client waits for a Challenge.
    pub fn new(now: u64, config: ClientConfig) -> Result<MsChapV2Client, ConfigError> {
        config.check()?;
        let phase_deadline = now.saturating_add(config.timeout_ms);
        Ok(MsChapV2Client {
            config,
            state: ClientState::Authenticating,
            answered: VecDeque::new(),
            last_response: None,
            succeeded: None,
            mppe: None,
            timers: [None, Some(phase_deadline)],
            transmit: VecDeque::new(),
            events: VecDeque::new(),
        })
    }

    pub fn state(&self) -> ClientState {
        self.state
    }

    /// The client's MPPE keys (RFC 3079 §3.3: `send` is the server's receive key), once a
    /// Success with the right Authenticator Response has arrived.
    pub fn mppe_keys(&self) -> Option<MppeKeys> {
        self.mppe
    }

    /// The password for the next Response (a retry after `R=1`, or a re-challenge); what was
    /// sent already is not changed.
    pub fn set_password(&mut self, password: impl Into<String>) -> Result<(), ConfigError> {
        let password = password.into();
        check_password(&password)?;
        self.config.password = password;
        Ok(())
    }

    /// A CHAP packet arrived (from the Code field on). `source` gives the Peer-Challenge of
    /// a Response, if one is sent.
    pub fn handle_packet(&mut self, now: u64, packet: &[u8], source: &mut (impl ChallengeSource + ?Sized)) {
        let (code, identifier) = code_and_identifier(packet);
        let repr = match ControlPacket::new_checked(packet).and_then(|p| ChapRepr::parse(&p)) {
            Ok(repr) => repr,
            Err(e) => return self.discard(code, identifier, DiscardReason::Malformed(e)),
        };
        if matches!(self.state, ClientState::Rejected | ClientState::TimedOut) {
            return self.discard(code, identifier, DiscardReason::Finished);
        }
        match repr {
            ChapRepr::Challenge { identifier, value, .. } => match MsChapV2Challenge::parse(value) {
                Ok(challenge) => self.respond(now, identifier, challenge.0, source),
                Err(e) => self.discard(code, identifier, DiscardReason::Malformed(e)),
            },
            ChapRepr::Response { .. } => self.discard(code, identifier, DiscardReason::UnexpectedCode),
            ChapRepr::Success { identifier, message } => self.success(identifier, message),
            ChapRepr::Failure { identifier, message } => self.failure(now, identifier, message, source),
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

    fn respond(
        &mut self,
        now: u64,
        identifier: u8,
        authenticator_challenge: [u8; CHALLENGE_LEN],
        source: &mut (impl ChallengeSource + ?Sized),
    ) {
        let same = |a: &&Answered| a.identifier == identifier && a.authenticator_challenge == authenticator_challenge;
        if let Some(done) = self.succeeded.as_ref().filter(same) {
            // A late copy of the Challenge that succeeded: its Response again, for the
            // authenticator to repeat its Success (§4.1 of RFC 1994), which changes nothing.
            self.transmit.push_back(done.packet.clone());
            return;
        }
        let repeated = self.answered.iter().find(same).map(|a| a.packet.clone());
        let packet = match repeated {
            // The same Challenge again: the same Response, so that whichever copy the
            // authenticator verifies, its Success proves the Peer-Challenge we remember.
            Some(packet) => packet,
            None => {
                let peer_challenge = source.challenge_value();
                let nt_response = generate_nt_response(
                    &authenticator_challenge,
                    &peer_challenge,
                    &self.config.name,
                    &self.config.password,
                );
                let value = MsChapV2Response { peer_challenge, nt_response, flags: 0 }.to_bytes();
                let Some(packet) = emit(&ChapRepr::Response { identifier, value: &value, name: &self.config.name })
                else {
                    return;
                };
                self.answered.retain(|a| a.identifier != identifier);
                if self.answered.len() == MAX_ANSWERED {
                    self.answered.pop_front();
                }
                self.answered.push_back(Answered {
                    identifier,
                    authenticator_challenge,
                    peer_challenge,
                    nt_response,
                    packet: packet.clone(),
                });
                packet
            }
        };
        self.transmit.push_back(packet.clone());
        self.last_response = Some((packet, 1));
        self.timers[Timer::Restart as usize] = Some(now.saturating_add(self.config.restart_ms));
    }

    /// The Response a Success or Failure under `identifier` answers, or why it answers none.
    fn answered(&mut self, code: ChapCode, identifier: u8) -> Option<Answered> {
        match self.answered.iter().find(|a| a.identifier == identifier) {
            Some(a) => Some(a.clone()),
            None => {
                let reason = if code == ChapCode::SUCCESS
                    && self.succeeded.as_ref().is_some_and(|a| a.identifier == identifier)
                {
                    DiscardReason::AlreadyAnswered
                } else {
                    DiscardReason::StaleIdentifier
                };
                self.discard(code.0, identifier, reason);
                None
            }
        }
    }

    fn success(&mut self, identifier: u8, message: &[u8]) {
        let Some(answered) = self.answered(ChapCode::SUCCESS, identifier) else { return };
        self.end_round();
        // RFC 2759 §5: "S=<auth_string>" first; §8.8 compares it with our own as text.
        let trusted = message.len() >= 42
            && MsChapV2Success::parse(message).is_ok()
            && check_authenticator_response(
                &self.config.password,
                &answered.nt_response,
                &answered.peer_challenge,
                &answered.authenticator_challenge,
                &self.config.name,
                &message[..42],
            );
        if trusted {
            self.state = ClientState::Accepted;
            self.mppe = Some(mppe_master_keys(&self.config.password, &answered.nt_response, false));
            self.succeeded = Some(answered);
            self.events.push_back(ClientEvent::Success { message: message.to_vec() });
        } else {
            self.state = ClientState::Rejected;
            self.mppe = None;
            self.events.push_back(ClientEvent::Failure { message: BAD_AUTHENTICATOR_RESPONSE.to_vec() });
        }
    }

    fn failure(&mut self, now: u64, identifier: u8, message: &[u8], source: &mut (impl ChallengeSource + ?Sized)) {
        if self.answered(ChapCode::FAILURE, identifier).is_none() {
            return;
        }
        self.end_round();
        if let Ok(MsChapV2Failure { retry: true, challenge: Some(next), .. }) = MsChapV2Failure::parse(message) {
            if self.config.retry {
                // §6: the next Response answers C= under the Failure's identifier plus one;
                // the new attempt gets the whole phase time again.
                self.timers[Timer::Phase as usize] = Some(now.saturating_add(self.config.timeout_ms));
                return self.respond(now, identifier.wrapping_add(1), next, source);
            }
        }
        self.state = ClientState::Rejected;
        self.mppe = None;
        self.events.push_back(ClientEvent::Failure { message: message.to_vec() });
    }

    /// A Success or Failure answered the outstanding Responses.
    fn end_round(&mut self) {
        self.answered.clear();
        self.last_response = None;
        self.timers = [None, None];
    }

    fn discard(&mut self, code: u8, identifier: u8, reason: DiscardReason) {
        self.events.push_back(ClientEvent::Discarded { code, identifier, reason });
    }
}
