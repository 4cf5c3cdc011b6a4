//! The PPP option-negotiation automaton (RFC 1661 §4), sans-IO, shared by every protocol
//! that negotiates with Configure-Request/Ack/Nak/Reject: LCP (RFC 1661 §5), IPCP
//! (RFC 1332), IPv6CP (RFC 5072), CCP (RFC 1962).
//!
//! It follows the state transition table of §4.1 cell by cell (the ten states of §4.2, the
//! events of §4.3, the actions of §4.4) with the restart timer and counters of §4.6, and the
//! packet rules of §5.1–§5.6 (identifiers, which replies are valid, Terminate, Code-Reject).
//! It does not parse options: a [`Protocol`] builds our Configure-Request, judges the
//! peer's, and learns from the peer's Ack/Nak/Reject. It does not frame packets either: it
//! takes and gives `(code, identifier, data)` of already-framed control packets, so the
//! `wire` crate stays the only place that knows the byte layout.
//!
//! Time is a `u64` count of milliseconds on a monotonic clock the caller reads; nothing here
//! reads a clock, sleeps, or draws random numbers (the first identifier comes from the
//! caller).
//!
//! The driver loop: feed [`Fsm::up`], [`Fsm::down`], [`Fsm::open`], [`Fsm::close`],
//! [`Fsm::handle_packet`] and, when [`Fsm::poll_timeout`]'s deadline has passed,
//! [`Fsm::handle_timeout`]; after each, drain [`Fsm::poll_transmit`] (send each packet under
//! the protocol's PPP protocol number) and [`Fsm::poll_event`] (This-Layer-Up/Down/Started/
//! Finished and notes for logs and counters).
//!
//! # Choices where the RFC leaves room
//!
//! - **Identifiers** (§5.1, §5.5). Every new Configure-Request gets a new identifier; a
//!   retransmission after a timeout (TO+) re-sends the same bytes under the same identifier
//!   (the RFC's MAY), unless a valid reply to that identifier has been seen (then the
//!   identifier MUST change, e.g. TO+ in Ack-Rcvd). A Terminate-Request retransmission keeps
//!   its identifier and data. Code-Rejects and [`Fsm::send_packet`] packets get fresh
//!   identifiers; Configure-Ack/Nak/Reject, Terminate-Ack and Echo-Reply copy the identifier
//!   of the packet they answer.
//! - **Which replies are valid** (§5.2–§5.4). A Configure-Ack/Nak/Reject counts only if it
//!   carries the identifier of our last Configure-Request and is the first valid reply to
//!   it: once a valid reply is received the peer's next request needs a new identifier
//!   (§5.1), so a second reply under the same identifier is a duplicate, "out of sequence",
//!   and silently discarded (§4.3), as pppd does (`seen_ack`). A Configure-Ack must repeat
//!   the request's options byte for byte (§5.2); the [`Protocol`] checks the shape of a
//!   Nak/Reject (§5.4: a Reject's options are a subset of the request's). As a consequence
//!   the "crossed connection" cells \[x\] (RCA/RCN in Ack-Rcvd and Opened) cannot be reached
//!   from the wire; they are implemented as written all the same. In Closed and Stopped any
//!   Ack/Nak/Reject is answered with a Terminate-Ack under its identifier, whatever that is
//!   (the table's sta/2 and sta/3): the peer thinks we negotiate and must learn otherwise.
//!   A Terminate-Ack
//!   is valid with any identifier (§4.3 RTA: it also re-synchronises).
//! - **Illegal cells** ("-"): packets in Initial and Starting are discarded (reported as
//!   [`Event::Discarded`], [`DiscardReason::LowerLayerDown`]); an Up, Down, Open, Close or
//!   timeout that the table calls illegal changes nothing.
//! - **Restart option** \[r\] (§4.3 Open): off by default ([`FsmConfig::restart_option`]).
//!   When on, Open in Stopped, Closing, Stopping or Opened is followed by a Down and an Up,
//!   which renegotiates the link. Off, a second Open means what the table says: nothing
//!   (Closing becomes Stopping).
//! - **Passive option** \[p\] (§4.2 Stopped): off by default ([`FsmConfig::passive`]). When
//!   on, Max-Configure exhausted (TO- in Req-Sent, Ack-Rcvd, Ack-Sent) goes to Stopped
//!   without This-Layer-Finished, to wait for the peer. The RFC says it SHOULD NOT be used on
//!   switched circuits, and a PPPoE session is one.
//! - **Zero-Restart-Count** (§4.4 zrc): the pause in Stopping after a peer's
//!   Terminate-Request lasts one restart period.
//! - **Max-Failure** (§4.6). The automaton counts the Configure-Naks it sends since the
//!   negotiation began or since it last sent a Configure-Ack; once Max-Failure have been
//!   sent, [`Protocol::receive_configure_request`] is called with `reject_instead_of_nak`
//!   set, and the protocol must answer Reject (not Nak) for what it would have Nak'd, and
//!   stop appending options it wants the peer to ask for. The same rule the other way,
//!   which the RFC does not require and pppd does: after Max-Failure Configure-Naks
//!   received since the last Ack, [`Protocol::receive_configure_nak`] is called with
//!   `treat_as_reject` set; and once twice Max-Failure have been received (the peer kept
//!   Naking after we stopped asking), further Naks are discarded as not converging
//!   ([`DiscardReason::NotConverging`]). Without that, a peer that Naks every request
//!   (appending options we will not ask for) would keep a Configure-Request/Nak ping-pong
//!   going as fast as the link carries it; with it, our unanswered request is retransmitted
//!   at the restart timer's pace until Max-Configure runs out (TO-, This-Layer-Finished),
//!   entirely by the table's own rules.
//! - **Code-Reject received** (§4.3 RXJ): a rejected code 1–7 is catastrophic (RXJ-), they
//!   are the codes every protocol on this automaton needs; for any other code (0 included,
//!   LCP's Vendor-Specific of RFC 2153)
//!   [`Protocol::code_rejected`] decides (default: RXJ+, the protocol stops sending it).
//!   **Protocol-Reject** is LCP's: LCP's [`Protocol::receive_extended`] returns
//!   [`Extended::Reject`]; an NCP whose protocol the peer rejected is told by the caller with
//!   [`Fsm::protocol_reject`].
//! - **Codes beyond 1–7** go to [`Protocol::receive_extended`], which says what they are:
//!   unknown (RUC: Code-Reject), Echo-Request (RXR, answered with an Echo-Reply only in
//!   Opened, its data built by [`Protocol::echo_reply`] so LCP can put its Magic-Number in),
//!   Echo-Reply or Discard-Request (RXR), Protocol-Reject (RXJ±), or handled by the protocol
//!   itself (Identification, Time-Remaining, CCP Reset-Request/Ack).
//!
//! Not done here: Echo keepalives (LCP sends Echo-Requests with [`Fsm::send_packet`] and
//! watches the replies in [`Protocol::receive_extended`]); a growing restart timer (§4.6
//! MAY); a limit on how long a negotiation may take as a whole (the session's business).

use std::collections::VecDeque;
use std::fmt;

/// Our Terminate-Requests (§5.5).
#[derive(Clone, Debug, Default)]
struct Terminate {
    /// Identifier and data of the last one sent, for retransmission.
    identifier: u8,
    data: Vec<u8>,
    /// Data for the next fresh one (the Close reason).
    reason: Vec<u8>,
}

/// A FIFO that holds no memory while it is empty: a concentrator keeps an automaton per
/// protocol per subscriber, and a quiet one should cost the size of a pointer here.
#[derive(Clone, Debug)]
#[allow(clippy::box_collection)] // the point: one pointer while empty, not a VecDeque's four words
pub struct Queue<T>(Option<Box<VecDeque<T>>>);

impl<T> Default for Queue<T> {
    fn default() -> Self {
        Queue(None)
    }
}

impl<T> Queue<T> {
    pub const fn new() -> Self {
        Queue(None)
    }
    pub fn push_back(&mut self, v: T) {
        self.0.get_or_insert_with(Default::default).push_back(v);
    }
    pub fn pop_front(&mut self) -> Option<T> {
        let q = self.0.as_mut()?;
        let v = q.pop_front();
        if q.is_empty() {
            self.0 = None;
        }
        v
    }
    pub fn is_empty(&self) -> bool {
        self.0.as_ref().is_none_or(|q| q.is_empty())
    }
    pub fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |q| q.len())
    }
}

/// The codes of the packets the automaton itself sends or understands (RFC 1661 §5), and the
/// LCP codes that an LCP [`Protocol`] classifies in [`Protocol::receive_extended`].
pub mod code {
    pub const CONFIGURE_REQUEST: u8 = 1;
    pub const CONFIGURE_ACK: u8 = 2;
    pub const CONFIGURE_NAK: u8 = 3;
    pub const CONFIGURE_REJECT: u8 = 4;
    pub const TERMINATE_REQUEST: u8 = 5;
    pub const TERMINATE_ACK: u8 = 6;
    pub const CODE_REJECT: u8 = 7;
    /// LCP only (§5.7).
    pub const PROTOCOL_REJECT: u8 = 8;
    /// LCP only (§5.8).
    pub const ECHO_REQUEST: u8 = 9;
    /// LCP only (§5.8); what the `ser` action sends.
    pub const ECHO_REPLY: u8 = 10;
    /// LCP only (§5.9).
    pub const DISCARD_REQUEST: u8 = 11;
}

/// The states of RFC 1661 §4.2, numbered as in the §4.1 table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// 0: lower layer down, no Open.
    Initial,
    /// 1: Open, waiting for the lower layer (This-Layer-Started was signalled).
    Starting,
    /// 2: lower layer up, no Open.
    Closed,
    /// 3: Open, but negotiation gave up or the peer terminated; waiting for a Down or for the
    /// peer's Configure-Request.
    Stopped,
    /// 4: Terminate-Request sent after a Close.
    Closing,
    /// 5: Terminate-Request sent or received while Open.
    Stopping,
    /// 6: Configure-Request sent, nothing acknowledged yet.
    ReqSent,
    /// 7: our request was acknowledged, the peer's not yet.
    AckRcvd,
    /// 8: we acknowledged the peer's request, ours is not yet.
    AckSent,
    /// 9: both directions acknowledged: the layer is up.
    Opened,
}

impl State {
    /// In the order of the §4.1 table.
    pub const ALL: [State; 10] = [
        State::Initial,
        State::Starting,
        State::Closed,
        State::Stopped,
        State::Closing,
        State::Stopping,
        State::ReqSent,
        State::AckRcvd,
        State::AckSent,
        State::Opened,
    ];

    /// The RFC's name.
    pub fn name(self) -> &'static str {
        match self {
            State::Initial => "Initial",
            State::Starting => "Starting",
            State::Closed => "Closed",
            State::Stopped => "Stopped",
            State::Closing => "Closing",
            State::Stopping => "Stopping",
            State::ReqSent => "Req-Sent",
            State::AckRcvd => "Ack-Rcvd",
            State::AckSent => "Ack-Sent",
            State::Opened => "Opened",
        }
    }

    /// The number the §4.1 table uses.
    pub fn number(self) -> u8 {
        State::ALL.iter().position(|&s| s == self).unwrap_or(0) as u8
    }

    /// Whether the restart timer runs in this state (§4.2, §4.6): it guards an outstanding
    /// Configure-Request or Terminate-Request, or the zrc pause.
    pub fn restart_timer_runs(self) -> bool {
        matches!(
            self,
            State::Closing | State::Stopping | State::ReqSent | State::AckRcvd | State::AckSent
        )
    }

    /// A negotiation is under way (a Configure-Request of ours is outstanding or acked).
    fn negotiating(self) -> bool {
        matches!(self, State::ReqSent | State::AckRcvd | State::AckSent)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The restart timer and counters of §4.6 and the implementation options of §4.2/§4.3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FsmConfig {
    /// Restart timer, milliseconds (§4.6: "SHOULD default to three (3) seconds").
    pub restart_ms: u64,
    /// Terminate-Requests sent without a Terminate-Ack before giving up (default 2).
    pub max_terminate: u32,
    /// Configure-Requests sent without a valid Ack/Nak/Reject before giving up (default 10).
    pub max_configure: u32,
    /// Configure-Naks sent without sending a Configure-Ack before Naks become Rejects
    /// (default 5). 0: never Nak, Reject at once.
    pub max_failure: u32,
    /// The Passive option \[p\] (see the module documentation). Default off.
    pub passive: bool,
    /// The Restart option \[r\] (see the module documentation). Default off.
    pub restart_option: bool,
}

impl Default for FsmConfig {
    fn default() -> Self {
        FsmConfig {
            restart_ms: 3_000,
            max_terminate: 2,
            max_configure: 10,
            max_failure: 5,
            passive: false,
            restart_option: false,
        }
    }
}

/// A configuration the automaton cannot run with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FsmConfigError {
    /// `restart_ms` is 0: the timer would fire again at once, forever.
    RestartTimerZero,
    /// `max_terminate` is 0: not even one Terminate-Request would be sent.
    MaxTerminateZero,
    /// `max_configure` is 0: not even one Configure-Request would be sent.
    MaxConfigureZero,
}

impl fmt::Display for FsmConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FsmConfigError::RestartTimerZero => {
                "restart_ms: the PPP restart timer must be at least 1 ms (RFC 1661 §4.6, default 3000)"
            }
            FsmConfigError::MaxTerminateZero => {
                "max_terminate: at least one Terminate-Request must be sent (RFC 1661 §4.6, default 2)"
            }
            FsmConfigError::MaxConfigureZero => {
                "max_configure: at least one Configure-Request must be sent (RFC 1661 §4.6, default 10)"
            }
        })
    }
}

impl std::error::Error for FsmConfigError {}

impl FsmConfig {
    pub fn check(&self) -> Result<(), FsmConfigError> {
        if self.restart_ms == 0 {
            return Err(FsmConfigError::RestartTimerZero);
        }
        if self.max_terminate == 0 {
            return Err(FsmConfigError::MaxTerminateZero);
        }
        if self.max_configure == 0 {
            return Err(FsmConfigError::MaxConfigureZero);
        }
        Ok(())
    }
}

/// A control packet to send: the caller frames it (Length is 4 + `data.len()`) under the
/// protocol's PPP protocol number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    pub code: u8,
    pub identifier: u8,
    pub data: Vec<u8>,
}

/// How a [`Protocol`] judges the peer's Configure-Request (§5.2–§5.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every option recognised and acceptable (RCR+): the automaton acknowledges the options
    /// exactly as received.
    Ack,
    /// All recognised, some values unacceptable (RCR-): `reply` holds the options with the
    /// values we would accept (plus, unless told to reject, options we want the peer to ask).
    Nak,
    /// Some options not recognised or not negotiable (RCR-): `reply` holds exactly those
    /// options, unmodified.
    Reject,
    /// Not a valid Configure-Request at all (e.g. an option's length runs past the end):
    /// silently discarded, no event.
    Discard,
}

/// What a code beyond 1–7 is, as the [`Protocol`] sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extended {
    /// Not a code of this protocol: RUC, answered with a Code-Reject.
    Unknown,
    /// An Echo-Request (LCP §5.8): RXR, answered with an Echo-Reply in Opened only.
    EchoRequest,
    /// An Echo-Reply or Discard-Request (LCP §5.8, §5.9): RXR, nothing to send.
    Rxr,
    /// A Protocol-Reject (LCP §5.7): RXJ- if `catastrophic` (LCP itself rejected), else RXJ+.
    Reject { catastrophic: bool },
    /// The protocol dealt with it (Identification, Time-Remaining, CCP Reset-Request/Ack):
    /// no event for the automaton.
    Handled,
    /// Malformed: silently discarded.
    Discard,
}

/// What the automaton needs from the protocol it negotiates for: everything that depends on
/// the options. The automaton owns the protocol ([`Fsm::protocol`], [`Fsm::protocol_mut`]).
pub trait Protocol {
    /// A new negotiation begins (a first Configure-Request from a state where none was under
    /// way): forget what earlier Naks and Rejects taught about our own request and go back
    /// to the configured preferences. It concerns only what we ask for, not what the peer
    /// asked; it may be called twice in a row.
    fn reset(&mut self) {}

    /// Append the options of our next Configure-Request to `options` (empty when called).
    fn configure_request(&mut self, options: &mut Vec<u8>);

    /// Judge the peer's Configure-Request `options`. For [`Verdict::Nak`] and
    /// [`Verdict::Reject`] put the reply's options in `reply` (empty when called). When
    /// `reject_instead_of_nak` is set, Max-Failure Naks have been sent without an Ack
    /// (§4.6): answer Reject for options that would be Nak'd, and do not append options the
    /// peer did not ask for.
    fn receive_configure_request(
        &mut self,
        options: &[u8],
        reject_instead_of_nak: bool,
        reply: &mut Vec<u8>,
    ) -> Verdict;

    /// Our last Configure-Request was acknowledged; `options` are its options.
    fn receive_configure_ack(&mut self, _options: &[u8]) {}

    /// The peer Nak'd our last Configure-Request: adjust what we ask next. With
    /// `treat_as_reject` (Max-Failure Naks received since the last Ack) stop asking for the
    /// Nak'd options instead of adopting the peer's values. Return false if the packet is
    /// malformed: it is then silently discarded (§5.3).
    fn receive_configure_nak(&mut self, options: &[u8], treat_as_reject: bool) -> bool;

    /// The peer rejected some options of our last Configure-Request: stop asking for them.
    /// Return false if the packet is malformed or its options are not a subset of the
    /// request's: it is then silently discarded (§5.4).
    fn receive_configure_reject(&mut self, options: &[u8]) -> bool;

    /// A packet with a code beyond 1–7 arrived in `state` (never Initial or Starting).
    /// Default: no such codes (every one is Code-Rejected), right for IPCP and IPv6CP.
    fn receive_extended(&mut self, _state: State, _code: u8, _identifier: u8, _data: &[u8]) -> Extended {
        Extended::Unknown
    }

    /// Build the Echo-Reply's data for an Echo-Request's `request` data (called only in
    /// Opened). Default: a zero Magic-Number, as §5.8 requires when none was negotiated,
    /// then the request's data after its Magic-Number. LCP with a Magic-Number puts its own.
    fn echo_reply(&mut self, request: &[u8], reply: &mut Vec<u8>) {
        reply.extend_from_slice(&[0; 4]);
        reply.extend_from_slice(request.get(4..).unwrap_or(&[]));
    }

    /// The peer Code-Rejected our packet with `code` (beyond 1–7). Return true if that is
    /// catastrophic (RXJ-); otherwise (RXJ+) the protocol MUST stop sending that code (§4.3).
    fn code_rejected(&mut self, _code: u8) -> bool {
        false
    }
}

/// Why a received packet was dropped without effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiscardReason {
    /// It arrived in Initial or Starting: the table calls that illegal.
    LowerLayerDown,
    /// A Configure-Ack/Nak/Reject whose identifier is not our last Configure-Request's, or
    /// that request was already answered (§5.2–§5.4, §5.1).
    StaleIdentifier,
    /// A Configure-Ack whose options differ from our last Configure-Request's (§5.2).
    AckMismatch,
    /// The protocol found the packet malformed (a bad Configure-Request, Nak or Reject, or
    /// an extended code it could not make sense of).
    Malformed,
    /// A Code-Reject too short to name the rejected code.
    EmptyCodeReject,
    /// A Configure-Nak after twice Max-Failure of them without an Ack (see the module
    /// documentation).
    NotConverging,
}

impl DiscardReason {
    pub fn name(self) -> &'static str {
        match self {
            DiscardReason::LowerLayerDown => "lower layer down",
            DiscardReason::StaleIdentifier => "stale identifier",
            DiscardReason::AckMismatch => "ack does not match request",
            DiscardReason::Malformed => "malformed",
            DiscardReason::EmptyCodeReject => "empty code-reject",
            DiscardReason::NotConverging => "negotiation not converging",
        }
    }
}

/// What the caller learns from the automaton.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// tlu: the automaton entered Opened; the upper layers may use the link (§4.4).
    ThisLayerUp,
    /// tld: it left Opened; the upper layers must stop using the link.
    ThisLayerDown,
    /// tls: it needs the lower layer (Initial → Starting); bring it up and call
    /// [`Fsm::up`].
    ThisLayerStarted,
    /// tlf: it no longer needs the lower layer (entering Initial, Closed or Stopped); for a
    /// session this is the moment to tear down.
    ThisLayerFinished,
    /// The peer sent a Terminate-Request with this data (often a reason text), for logs.
    TerminateRequested { data: Vec<u8> },
    /// A received packet had no effect; for counters and logs.
    Discarded { code: u8, identifier: u8, reason: DiscardReason },
}

/// [`Fsm::send_packet`] outside Opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotOpened {
    pub code: u8,
    pub state: State,
}

impl fmt::Display for NotOpened {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot send code {}: the PPP automaton is in {}, and such packets are sent only in Opened (RFC 1661 §5.7, §5.8)",
            self.code, self.state
        )
    }
}

impl std::error::Error for NotOpened {}

/// The events of §4.3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Trigger {
    Up,
    Down,
    Open,
    Close,
    ToPlus,
    ToMinus,
    RcrPlus,
    RcrMinus,
    Rca,
    Rcn,
    Rtr,
    Rta,
    Ruc,
    RxjPlus,
    RxjMinus,
    Rxr,
}

/// The actions of §4.4.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    Tlu,
    Tld,
    Tls,
    Tlf,
    Irc,
    Zrc,
    Scr,
    Sca,
    Scn,
    Str,
    Sta,
    Scj,
    Ser,
}

/// The §4.1 table: the actions, in the table's order, and the new state; `None` for "-".
/// Footnotes are applied by the caller: \[p\] in `fire`, \[r\] in `open`, \[x\] needs nothing.
fn transition(state: State, trigger: Trigger) -> Option<(&'static [Action], State)> {
    use Action::*;
    use State::*;
    use Trigger as T;
    let cell: (&'static [Action], State) = match (trigger, state) {
        (T::Up, Initial) => (&[], Closed),
        (T::Up, Starting) => (&[Irc, Scr], ReqSent),
        (T::Up, _) => return None,

        (T::Down, Initial | Starting) => return None,
        (T::Down, Closed | Closing) => (&[], Initial),
        (T::Down, Stopped) => (&[Tls], Starting),
        (T::Down, Stopping | ReqSent | AckRcvd | AckSent) => (&[], Starting),
        (T::Down, Opened) => (&[Tld], Starting),

        (T::Open, Initial) => (&[Tls], Starting),
        (T::Open, Closed) => (&[Irc, Scr], ReqSent),
        (T::Open, Closing | Stopping) => (&[], Stopping),
        (T::Open, s) => (&[], s),

        (T::Close, Initial) => (&[], Initial),
        (T::Close, Starting) => (&[Tlf], Initial),
        (T::Close, Closed | Stopped) => (&[], Closed),
        (T::Close, Closing | Stopping) => (&[], Closing),
        (T::Close, ReqSent | AckRcvd | AckSent) => (&[Irc, Str], Closing),
        (T::Close, Opened) => (&[Tld, Irc, Str], Closing),

        (T::ToPlus, Closing) => (&[Str], Closing),
        (T::ToPlus, Stopping) => (&[Str], Stopping),
        (T::ToPlus, ReqSent | AckRcvd) => (&[Scr], ReqSent),
        (T::ToPlus, AckSent) => (&[Scr], AckSent),
        (T::ToPlus, _) => return None,

        (T::ToMinus, Closing) => (&[Tlf], Closed),
        (T::ToMinus, Stopping | ReqSent | AckRcvd | AckSent) => (&[Tlf], Stopped),
        (T::ToMinus, _) => return None,

        // Every packet event is illegal before the lower layer is up.
        (_, Initial | Starting) => return None,

        (T::RcrPlus | T::RcrMinus | T::Rca | T::Rcn, Closed) => (&[Sta], Closed),
        (T::RcrPlus, Stopped) => (&[Irc, Scr, Sca], AckSent),
        (T::RcrMinus, Stopped) => (&[Irc, Scr, Scn], ReqSent),
        (T::Rca | T::Rcn, Stopped) => (&[Sta], Stopped),
        (T::RcrPlus | T::RcrMinus | T::Rca | T::Rcn, s @ (Closing | Stopping)) => (&[], s),

        (T::RcrPlus, ReqSent | AckSent) => (&[Sca], AckSent),
        (T::RcrPlus, AckRcvd) => (&[Sca, Tlu], Opened),
        (T::RcrPlus, Opened) => (&[Tld, Scr, Sca], AckSent),
        (T::RcrMinus, ReqSent | AckSent) => (&[Scn], ReqSent),
        (T::RcrMinus, AckRcvd) => (&[Scn], AckRcvd),
        (T::RcrMinus, Opened) => (&[Tld, Scr, Scn], ReqSent),

        (T::Rca, ReqSent) => (&[Irc], AckRcvd),
        (T::Rca, AckRcvd) => (&[Scr], ReqSent),
        (T::Rca, AckSent) => (&[Irc, Tlu], Opened),
        (T::Rca, Opened) => (&[Tld, Scr], ReqSent),
        (T::Rcn, ReqSent) => (&[Irc, Scr], ReqSent),
        (T::Rcn, AckRcvd) => (&[Scr], ReqSent),
        (T::Rcn, AckSent) => (&[Irc, Scr], AckSent),
        (T::Rcn, Opened) => (&[Tld, Scr], ReqSent),

        (T::Rtr, s @ (Closed | Stopped | Closing | Stopping)) => (&[Sta], s),
        (T::Rtr, ReqSent | AckRcvd | AckSent) => (&[Sta], ReqSent),
        (T::Rtr, Opened) => (&[Tld, Zrc, Sta], Stopping),

        (T::Rta, Closing) => (&[Tlf], Closed),
        (T::Rta, Stopping) => (&[Tlf], Stopped),
        (T::Rta, AckRcvd) => (&[], ReqSent),
        (T::Rta, Opened) => (&[Tld, Scr], ReqSent),
        (T::Rta, s) => (&[], s),

        (T::Ruc, s) => (&[Scj], s),

        (T::RxjPlus, AckRcvd) => (&[], ReqSent),
        (T::RxjPlus, s) => (&[], s),
        (T::RxjMinus, Closed | Closing) => (&[Tlf], Closed),
        (T::RxjMinus, Opened) => (&[Tld, Irc, Str], Stopping),
        (T::RxjMinus, _) => (&[Tlf], Stopped),

        (T::Rxr, Opened) => (&[Ser], Opened),
        (T::Rxr, s) => (&[], s),
    };
    Some(cell)
}

/// Our outstanding Configure-Request.
#[derive(Clone, Debug)]
struct Request {
    identifier: u8,
    options: Vec<u8>,
    /// A valid Ack/Nak/Reject for it was received (§5.1: the next request needs a new
    /// identifier, and further replies to this one are duplicates).
    answered: bool,
}

/// The packet that caused an event, for the actions that answer it.
struct Received<'a> {
    code: u8,
    identifier: u8,
    data: &'a [u8],
    /// sca/scn: the Configure-Nak/Reject to send, if the verdict was not Ack.
    answer: Option<(u8, Vec<u8>)>,
    /// ser: the packet was an Echo-Request.
    echo_request: bool,
}

impl<'a> Received<'a> {
    fn new(code: u8, identifier: u8, data: &'a [u8]) -> Self {
        Received { code, identifier, data, answer: None, echo_request: false }
    }
}

/// The RFC 1661 automaton for one protocol on one link.
#[derive(Debug)]
pub struct Fsm<P> {
    protocol: P,
    config: FsmConfig,
    state: State,
    restart_counter: u32,
    /// When the restart timer fires; `Some` exactly in the states where it runs.
    deadline: Option<u64>,
    next_identifier: u8,
    request: Option<Request>,
    /// Our Terminate-Requests, once a Close or a Terminate has been under way (boxed: an
    /// automaton that never terminated, the common case, holds none).
    terminate: Option<Box<Terminate>>,
    /// Configure-Naks sent since the negotiation began or we last sent a Configure-Ack.
    naks_sent: u32,
    /// Configure-Naks received since the negotiation began or we last got a Configure-Ack.
    naks_received: u32,
    /// The peer's MRU, to truncate the packet a Code-Reject quotes (§5.6).
    peer_mru: u16,
    transmit: Queue<Packet>,
    events: Queue<Event>,
}

impl<P: Protocol> Fsm<P> {
    /// An automaton in Initial. `first_identifier` seeds the identifiers we choose; pass a
    /// random byte.
    pub fn new(protocol: P, config: FsmConfig, first_identifier: u8) -> Result<Self, FsmConfigError> {
        config.check()?;
        Ok(Fsm {
            protocol,
            config,
            state: State::Initial,
            restart_counter: 0,
            deadline: None,
            next_identifier: first_identifier,
            request: None,
            terminate: None,
            naks_sent: 0,
            naks_received: 0,
            // RFC 1661 §6.1: the default MRU.
            peer_mru: 1500,
            transmit: Queue::new(),
            events: Queue::new(),
        })
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn config(&self) -> &FsmConfig {
        &self.config
    }

    pub fn protocol(&self) -> &P {
        &self.protocol
    }

    pub fn protocol_mut(&mut self) -> &mut P {
        &mut self.protocol
    }

    /// The restart counter of §4.6 (transmissions left before TO-).
    pub fn restart_count(&self) -> u32 {
        self.restart_counter
    }

    /// The peer's MRU as LCP negotiated it (default 1500): a Code-Reject is cut to fit.
    pub fn set_peer_mru(&mut self, mru: u16) {
        self.peer_mru = mru;
    }

    /// The lower layer is up (Up).
    pub fn up(&mut self, now: u64) {
        self.fire(now, Trigger::Up, None);
    }

    /// The lower layer is down (Down).
    pub fn down(&mut self, now: u64) {
        self.fire(now, Trigger::Down, None);
    }

    /// The link may be opened (administrative Open).
    pub fn open(&mut self, now: u64) {
        let before = self.state;
        self.fire(now, Trigger::Open, None);
        // [r] The Restart option: a Down immediately followed by an Up (§4.3 Open).
        if self.config.restart_option
            && matches!(before, State::Stopped | State::Closing | State::Stopping | State::Opened)
        {
            self.fire(now, Trigger::Down, None);
            self.fire(now, Trigger::Up, None);
        }
    }

    /// The link must be closed (administrative Close); `reason` becomes the data of the
    /// Terminate-Request, if one is sent.
    pub fn close(&mut self, now: u64, reason: &[u8]) {
        self.terminate.get_or_insert_with(Default::default).reason = reason.to_vec();
        self.fire(now, Trigger::Close, None);
    }

    /// The peer rejected this protocol (an LCP Protocol-Reject naming it, found by the
    /// caller): RXJ- if `catastrophic` (for an NCP, its own protocol rejected), else RXJ+.
    pub fn protocol_reject(&mut self, now: u64, catastrophic: bool) {
        let trigger = if catastrophic { Trigger::RxjMinus } else { Trigger::RxjPlus };
        self.fire(now, trigger, None);
    }

    /// Send a protocol-specific packet (Echo-Request, Discard-Request, Protocol-Reject…)
    /// under a fresh identifier, which is returned. Only in Opened (§5.7, §5.8).
    pub fn send_packet(&mut self, code: u8, data: Vec<u8>) -> Result<u8, NotOpened> {
        if self.state != State::Opened {
            return Err(NotOpened { code, state: self.state });
        }
        let identifier = self.new_identifier();
        self.transmit.push_back(Packet { code, identifier, data });
        Ok(identifier)
    }

    /// The restart timer's deadline (milliseconds), if it runs.
    pub fn poll_timeout(&self) -> Option<u64> {
        self.deadline
    }

    /// Call when `now` has reached [`Fsm::poll_timeout`]'s deadline: TO+ or TO-.
    pub fn handle_timeout(&mut self, now: u64) {
        match self.deadline {
            Some(deadline) if now >= deadline => {
                let trigger = if self.restart_counter > 0 { Trigger::ToPlus } else { Trigger::ToMinus };
                self.fire(now, trigger, None);
            }
            _ => {}
        }
    }

    pub fn poll_transmit(&mut self) -> Option<Packet> {
        self.transmit.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// A control packet of this protocol arrived: `data` is what follows the 4-byte header,
    /// cut to the header's Length.
    pub fn handle_packet(&mut self, now: u64, code: u8, identifier: u8, data: &[u8]) {
        if matches!(self.state, State::Initial | State::Starting) {
            self.discard(code, identifier, DiscardReason::LowerLayerDown);
            return;
        }
        let rx = Received::new(code, identifier, data);
        match code {
            code::CONFIGURE_REQUEST => self.receive_configure_request(now, rx),
            code::CONFIGURE_ACK | code::CONFIGURE_NAK | code::CONFIGURE_REJECT => {
                self.receive_configure_reply(now, rx)
            }
            code::TERMINATE_REQUEST => {
                self.events.push_back(Event::TerminateRequested { data: data.to_vec() });
                self.fire(now, Trigger::Rtr, Some(rx));
            }
            code::TERMINATE_ACK => self.fire(now, Trigger::Rta, Some(rx)),
            code::CODE_REJECT => {
                let Some(&rejected) = data.first() else {
                    self.discard(code, identifier, DiscardReason::EmptyCodeReject);
                    return;
                };
                // §4.3 RXJ: "a Code-Reject of Configure-Request" is the RFC's example of
                // catastrophic; every code up to Code-Reject is one this automaton needs.
                let catastrophic = (code::CONFIGURE_REQUEST..=code::CODE_REJECT).contains(&rejected)
                    || self.protocol.code_rejected(rejected);
                let trigger = if catastrophic { Trigger::RxjMinus } else { Trigger::RxjPlus };
                self.fire(now, trigger, Some(rx));
            }
            _ => match self.protocol.receive_extended(self.state, code, identifier, data) {
                Extended::Unknown => self.fire(now, Trigger::Ruc, Some(rx)),
                Extended::EchoRequest => {
                    let rx = Received { echo_request: true, ..rx };
                    self.fire(now, Trigger::Rxr, Some(rx));
                }
                Extended::Rxr => self.fire(now, Trigger::Rxr, Some(rx)),
                Extended::Reject { catastrophic } => {
                    let trigger = if catastrophic { Trigger::RxjMinus } else { Trigger::RxjPlus };
                    self.fire(now, trigger, Some(rx));
                }
                Extended::Handled => {}
                Extended::Discard => self.discard(code, identifier, DiscardReason::Malformed),
            },
        }
    }

    fn receive_configure_request(&mut self, now: u64, mut rx: Received<'_>) {
        match self.state {
            // RCR+ and RCR- have the same cell here: no need to judge.
            State::Closed | State::Closing | State::Stopping => {
                self.fire(now, Trigger::RcrPlus, Some(rx));
            }
            _ => {
                // From Stopped and Opened this request starts a new negotiation, so the
                // Max-Failure count starts again from zero.
                let fresh = !self.state.negotiating();
                let naks_sent = if fresh { 0 } else { self.naks_sent };
                let reject_instead_of_nak = naks_sent >= self.config.max_failure;
                let mut reply = Vec::new();
                let verdict = self.protocol.receive_configure_request(rx.data, reject_instead_of_nak, &mut reply);
                let trigger = match verdict {
                    Verdict::Ack => Trigger::RcrPlus,
                    Verdict::Nak => {
                        rx.answer = Some((code::CONFIGURE_NAK, reply));
                        Trigger::RcrMinus
                    }
                    Verdict::Reject => {
                        rx.answer = Some((code::CONFIGURE_REJECT, reply));
                        Trigger::RcrMinus
                    }
                    Verdict::Discard => {
                        self.discard(rx.code, rx.identifier, DiscardReason::Malformed);
                        return;
                    }
                };
                if fresh {
                    self.begin_negotiation();
                }
                self.fire(now, trigger, Some(rx));
            }
        }
    }

    fn receive_configure_reply(&mut self, now: u64, rx: Received<'_>) {
        let trigger = if rx.code == code::CONFIGURE_ACK { Trigger::Rca } else { Trigger::Rcn };
        if !matches!(self.state, State::ReqSent | State::AckRcvd | State::AckSent | State::Opened) {
            // Closed/Stopped answer with a Terminate-Ack, Closing/Stopping ignore it: no
            // request of ours is outstanding to match it against.
            self.fire(now, trigger, Some(rx));
            return;
        }
        let same_options = match &self.request {
            Some(r) if r.identifier == rx.identifier && !r.answered => r.options == rx.data,
            _ => {
                self.discard(rx.code, rx.identifier, DiscardReason::StaleIdentifier);
                return;
            }
        };
        let valid = match rx.code {
            code::CONFIGURE_ACK => {
                if !same_options {
                    self.discard(rx.code, rx.identifier, DiscardReason::AckMismatch);
                    return;
                }
                self.protocol.receive_configure_ack(rx.data);
                self.naks_received = 0;
                true
            }
            code::CONFIGURE_NAK => {
                if self.naks_received >= self.config.max_failure.max(1).saturating_mul(2) {
                    self.discard(rx.code, rx.identifier, DiscardReason::NotConverging);
                    return;
                }
                let treat_as_reject = self.naks_received >= self.config.max_failure;
                let valid = self.protocol.receive_configure_nak(rx.data, treat_as_reject);
                if valid {
                    self.naks_received = self.naks_received.saturating_add(1);
                }
                valid
            }
            _ => self.protocol.receive_configure_reject(rx.data),
        };
        if !valid {
            self.discard(rx.code, rx.identifier, DiscardReason::Malformed);
            return;
        }
        if let Some(request) = self.request.as_mut() {
            request.answered = true;
        }
        self.fire(now, trigger, Some(rx));
    }

    /// Run the table's cell for `trigger` in the current state.
    fn fire(&mut self, now: u64, trigger: Trigger, rx: Option<Received<'_>>) {
        let Some((actions, next)) = transition(self.state, trigger) else {
            return;
        };
        // irc sets Max-Terminate before a Terminate-Request, Max-Configure otherwise (§4.4).
        let terminating = actions.contains(&Action::Str);
        for &action in actions {
            match action {
                Action::Tlu => self.events.push_back(Event::ThisLayerUp),
                Action::Tld => self.events.push_back(Event::ThisLayerDown),
                Action::Tls => self.events.push_back(Event::ThisLayerStarted),
                Action::Tlf => {
                    // [p] The Passive option: no tlf when Max-Configure runs out.
                    let passive = self.config.passive && trigger == Trigger::ToMinus && self.state.negotiating();
                    if !passive {
                        self.events.push_back(Event::ThisLayerFinished);
                    }
                }
                Action::Irc => {
                    self.restart_counter =
                        if terminating { self.config.max_terminate } else { self.config.max_configure };
                }
                Action::Zrc => {
                    self.restart_counter = 0;
                    self.arm(now);
                }
                Action::Scr => {
                    // A request from a state with no negotiation under way begins one; for a
                    // Configure-Request from the peer that was done before judging it.
                    let begins = !self.state.negotiating()
                        && !matches!(trigger, Trigger::RcrPlus | Trigger::RcrMinus);
                    if begins {
                        self.begin_negotiation();
                    }
                    self.send_configure_request(now, trigger == Trigger::ToPlus);
                }
                Action::Sca => {
                    if let Some(rx) = &rx {
                        self.naks_sent = 0;
                        self.transmit.push_back(Packet {
                            code: code::CONFIGURE_ACK,
                            identifier: rx.identifier,
                            data: rx.data.to_vec(),
                        });
                    }
                }
                Action::Scn => {
                    if let Some((code, data)) = rx.as_ref().and_then(|rx| rx.answer.clone()) {
                        if code == code::CONFIGURE_NAK {
                            self.naks_sent = self.naks_sent.saturating_add(1);
                        }
                        let identifier = rx.as_ref().map_or(0, |rx| rx.identifier);
                        self.transmit.push_back(Packet { code, identifier, data });
                    }
                }
                Action::Str => self.send_terminate_request(now, trigger == Trigger::ToPlus, trigger == Trigger::RxjMinus),
                Action::Sta => {
                    if let Some(rx) = &rx {
                        self.transmit.push_back(Packet {
                            code: code::TERMINATE_ACK,
                            identifier: rx.identifier,
                            data: Vec::new(),
                        });
                    }
                }
                Action::Scj => {
                    if let Some(rx) = &rx {
                        let data = self.rejected_packet(rx);
                        let identifier = self.new_identifier();
                        self.transmit.push_back(Packet { code: code::CODE_REJECT, identifier, data });
                    }
                }
                Action::Ser => {
                    if let Some(rx) = rx.as_ref().filter(|rx| rx.echo_request) {
                        let mut data = Vec::new();
                        self.protocol.echo_reply(rx.data, &mut data);
                        self.transmit.push_back(Packet { code: code::ECHO_REPLY, identifier: rx.identifier, data });
                    }
                }
            }
        }
        self.state = next;
        if !next.restart_timer_runs() {
            self.deadline = None;
        }
    }

    fn begin_negotiation(&mut self) {
        self.protocol.reset();
        self.naks_sent = 0;
        self.naks_received = 0;
    }

    fn send_configure_request(&mut self, now: u64, retransmit: bool) {
        let (identifier, options) = match &self.request {
            Some(r) if retransmit && !r.answered => (r.identifier, r.options.clone()),
            _ => {
                let mut options = Vec::new();
                self.protocol.configure_request(&mut options);
                (self.new_identifier(), options)
            }
        };
        self.request = Some(Request { identifier, options: options.clone(), answered: false });
        self.transmit.push_back(Packet { code: code::CONFIGURE_REQUEST, identifier, data: options });
        self.restart_counter = self.restart_counter.saturating_sub(1);
        self.arm(now);
    }

    fn send_terminate_request(&mut self, now: u64, retransmit: bool, rejected: bool) {
        if !retransmit {
            let identifier = self.new_identifier();
            let t = self.terminate.get_or_insert_with(Default::default);
            t.data = if rejected { Vec::new() } else { t.reason.clone() };
            t.identifier = identifier;
        }
        let t = self.terminate.get_or_insert_with(Default::default);
        let (identifier, data) = (t.identifier, t.data.clone());
        self.transmit.push_back(Packet { code: code::TERMINATE_REQUEST, identifier, data });
        self.restart_counter = self.restart_counter.saturating_sub(1);
        self.arm(now);
    }

    /// The Rejected-Packet field of a Code-Reject: the packet from its Code field on, cut to
    /// the peer's MRU (§5.6).
    fn rejected_packet(&self, rx: &Received<'_>) -> Vec<u8> {
        let length = u16::try_from(4 + rx.data.len()).unwrap_or(u16::MAX);
        let mut packet = Vec::with_capacity(4 + rx.data.len());
        packet.push(rx.code);
        packet.push(rx.identifier);
        packet.extend_from_slice(&length.to_be_bytes());
        packet.extend_from_slice(rx.data);
        // The Code-Reject's own header takes 4 of the MRU's bytes.
        packet.truncate(usize::from(self.peer_mru).saturating_sub(4));
        packet
    }

    fn arm(&mut self, now: u64) {
        self.deadline = Some(now.saturating_add(self.config.restart_ms));
    }

    fn new_identifier(&mut self) -> u8 {
        let identifier = self.next_identifier;
        self.next_identifier = self.next_identifier.wrapping_add(1);
        identifier
    }

    fn discard(&mut self, code: u8, identifier: u8, reason: DiscardReason) {
        self.events.push_back(Event::Discarded { code, identifier, reason });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A protocol whose options are opaque words: the peer's request "good" is acked,
    /// "bad" is Nak'd with "fix" (or rejected once Max-Failure is reached), "junk" is
    /// malformed, anything else rejected whole. We always ask for "mine".
    #[derive(Default)]
    struct Toy {
        resets: u32,
        reject_flags: Vec<bool>,
        naks: Vec<(Vec<u8>, bool)>,
        acks: Vec<Vec<u8>>,
        code_rejected: Vec<u8>,
    }

    impl Protocol for Toy {
        fn reset(&mut self) {
            self.resets += 1;
        }
        fn configure_request(&mut self, options: &mut Vec<u8>) {
            options.extend_from_slice(b"mine");
        }
        fn receive_configure_request(&mut self, options: &[u8], reject: bool, reply: &mut Vec<u8>) -> Verdict {
            self.reject_flags.push(reject);
            match options {
                b"good" => Verdict::Ack,
                b"bad" if reject => {
                    reply.extend_from_slice(b"bad");
                    Verdict::Reject
                }
                b"bad" => {
                    reply.extend_from_slice(b"fix");
                    Verdict::Nak
                }
                b"junk" => Verdict::Discard,
                other => {
                    reply.extend_from_slice(other);
                    Verdict::Reject
                }
            }
        }
        fn receive_configure_ack(&mut self, options: &[u8]) {
            self.acks.push(options.to_vec());
        }
        fn receive_configure_nak(&mut self, options: &[u8], treat_as_reject: bool) -> bool {
            self.naks.push((options.to_vec(), treat_as_reject));
            !options.is_empty()
        }
        fn receive_configure_reject(&mut self, options: &[u8]) -> bool {
            !options.is_empty()
        }
        fn receive_extended(&mut self, _: State, code: u8, _: u8, _: &[u8]) -> Extended {
            match code {
                code::ECHO_REQUEST => Extended::EchoRequest,
                code::ECHO_REPLY | code::DISCARD_REQUEST => Extended::Rxr,
                code::PROTOCOL_REJECT => Extended::Reject { catastrophic: false },
                50 => Extended::Handled,
                51 => Extended::Discard,
                _ => Extended::Unknown,
            }
        }
        fn code_rejected(&mut self, code: u8) -> bool {
            self.code_rejected.push(code);
            code == 99
        }
    }

    fn fsm() -> Fsm<Toy> {
        Fsm::new(Toy::default(), FsmConfig::default(), 0x10).unwrap()
    }

    fn packets(f: &mut Fsm<Toy>) -> Vec<Packet> {
        std::iter::from_fn(|| f.poll_transmit()).collect()
    }

    fn events(f: &mut Fsm<Toy>) -> Vec<Event> {
        std::iter::from_fn(|| f.poll_event()).collect()
    }

    fn layer_events(events: &[Event]) -> Vec<&'static str> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::ThisLayerUp => Some("tlu"),
                Event::ThisLayerDown => Some("tld"),
                Event::ThisLayerStarted => Some("tls"),
                Event::ThisLayerFinished => Some("tlf"),
                _ => None,
            })
            .collect()
    }

    /// RFC 1661 §4.1, "State Transition Table", as printed (both halves).
    const RFC1661_TABLE: &str = "
      | State
      |    0         1         2         3         4         5
Events| Initial   Starting  Closed    Stopped   Closing   Stopping
------+-----------------------------------------------------------
 Up   |    2     irc,scr/6     -         -         -         -
 Down |    -         -         0       tls/1       0         1
 Open |  tls/1       1     irc,scr/6     3r        5r        5r
 Close|    0       tlf/0       2         2         4         4
      |
  TO+ |    -         -         -         -       str/4     str/5
  TO- |    -         -         -         -       tlf/2     tlf/3
      |
 RCR+ |    -         -       sta/2 irc,scr,sca/8   4         5
 RCR- |    -         -       sta/2 irc,scr,scn/6   4         5
 RCA  |    -         -       sta/2     sta/3       4         5
 RCN  |    -         -       sta/2     sta/3       4         5
      |
 RTR  |    -         -       sta/2     sta/3     sta/4     sta/5
 RTA  |    -         -         2         3       tlf/2     tlf/3
      |
 RUC  |    -         -       scj/2     scj/3     scj/4     scj/5
 RXJ+ |    -         -         2         3         4         5
 RXJ- |    -         -       tlf/2     tlf/3     tlf/2     tlf/3
      |
 RXR  |    -         -         2         3         4         5

      | State
      |    6         7         8           9
Events| Req-Sent  Ack-Rcvd  Ack-Sent    Opened
------+-----------------------------------------
 Up   |    -         -         -           -
 Down |    1         1         1         tld/1
 Open |    6         7         8           9r
 Close|irc,str/4 irc,str/4 irc,str/4 tld,irc,str/4
      |
  TO+ |  scr/6     scr/6     scr/8         -
  TO- |  tlf/3p    tlf/3p    tlf/3p        -
      |
 RCR+ |  sca/8   sca,tlu/9   sca/8   tld,scr,sca/8
 RCR- |  scn/6     scn/7     scn/6   tld,scr,scn/6
 RCA  |  irc/7     scr/6x  irc,tlu/9   tld,scr/6x
 RCN  |irc,scr/6   scr/6x  irc,scr/8   tld,scr/6x
      |
 RTR  |  sta/6     sta/6     sta/6   tld,zrc,sta/5
 RTA  |    6         6         8       tld,scr/6
      |
 RUC  |  scj/6     scj/7     scj/8       scj/9
 RXJ+ |    6         6         8           9
 RXJ- |  tlf/3     tlf/3     tlf/3   tld,irc,str/5
      |
 RXR  |    6         7         8         ser/9
";

    #[derive(Clone, Debug)]
    struct Cell {
        actions: Vec<String>,
        next: State,
        footnote: Option<char>,
    }

    /// (event, state) → cell; `None` for "-".
    fn rfc_table() -> Vec<(String, State, Option<Cell>)> {
        let mut out = Vec::new();
        let mut first_state = 0;
        for line in RFC1661_TABLE.lines() {
            let Some((label, rest)) = line.split_once('|') else { continue };
            let label = label.trim();
            if label == "Events" {
                continue;
            }
            if label.is_empty() {
                // "|    6         7 ..." numbers the columns of the half that follows.
                if let Some(n) = rest.split_whitespace().next().and_then(|n| n.parse().ok()) {
                    first_state = n;
                }
                continue;
            }
            if label.starts_with('-') {
                continue;
            }
            for (i, text) in rest.split_whitespace().enumerate() {
                let state = State::ALL[first_state + i];
                let cell = (text != "-").then(|| {
                    let (actions, target) = text.rsplit_once('/').unwrap_or(("", text));
                    let digits: String = target.chars().take_while(|c| c.is_ascii_digit()).collect();
                    Cell {
                        actions: actions.split(',').filter(|a| !a.is_empty()).map(String::from).collect(),
                        next: State::ALL[digits.parse::<usize>().unwrap()],
                        footnote: target.chars().find(|c| c.is_ascii_alphabetic()),
                    }
                });
                out.push((label.to_string(), state, cell));
            }
        }
        out
    }

    /// Drive a fresh automaton into `state` through its public API only. Returns it with
    /// its outputs drained, the time reached, and our last Configure-Request.
    fn reach(state: State) -> (Fsm<Toy>, u64, Option<Packet>) {
        fn note(f: &mut Fsm<Toy>, last_request: &mut Option<Packet>) {
            for p in packets(f) {
                if p.code == code::CONFIGURE_REQUEST {
                    *last_request = Some(p);
                }
            }
            events(f);
        }
        let mut f = fsm();
        let mut now = 0;
        let mut last = None;
        match state {
            State::Initial => {}
            State::Starting => f.open(now),
            State::Closed => f.up(now),
            _ => {
                f.up(now);
                f.open(now);
                note(&mut f, &mut last);
            }
        }
        match state {
            State::AckRcvd | State::Opened => {
                let r = last.clone().unwrap();
                f.handle_packet(now, code::CONFIGURE_ACK, r.identifier, &r.data);
                if state == State::Opened {
                    f.handle_packet(now, code::CONFIGURE_REQUEST, 0x70, b"good");
                }
            }
            State::AckSent => f.handle_packet(now, code::CONFIGURE_REQUEST, 0x70, b"good"),
            State::Closing | State::Stopping => {
                f.close(now, b"going");
                if state == State::Stopping {
                    f.open(now);
                }
            }
            State::Stopped => {
                while f.state() != State::Stopped {
                    now = f.poll_timeout().unwrap();
                    f.handle_timeout(now);
                    note(&mut f, &mut last);
                }
            }
            _ => {}
        }
        note(&mut f, &mut last);
        assert_eq!(f.state(), state, "path to {state}");
        (f, now + 100, last)
    }

    /// Every cell of the RFC 1661 §4.1 table: put an automaton in the cell's state through
    /// real inputs, cause the cell's event, and check what a peer and the caller see: the
    /// new state, the packets sent (in the table's action order, identifiers included), the
    /// layer events, the restart counter (irc, zrc, and one less per scr/str) and the
    /// restart timer. The footnote options are off here (their own tests follow); the
    /// \[x\] cells (RCA/RCN in Ack-Rcvd and Opened) cannot come from a packet, because the
    /// request they would answer has already been answered, so they are fired directly.
    #[test]
    fn every_cell_of_the_rfc_1661_transition_table() {
        let table = rfc_table();
        assert_eq!(table.len(), 160, "16 events × 10 states");
        let config = FsmConfig::default();
        for (event, state, cell) in table {
            let (mut f, mut now, last_request) = reach(state);
            let deadline_before = f.poll_timeout();
            match event.as_str() {
                "TO+" => f.restart_counter = 3,
                "TO-" => f.restart_counter = 0,
                _ => {}
            }
            let counter_before = f.restart_count();
            let answered = |f: &Fsm<Toy>| f.request.as_ref().is_some_and(|r| r.answered);
            let reply = |code: u8, data: &[u8], f: &mut Fsm<Toy>, now: u64| {
                match (&last_request, f.state()) {
                    (Some(r), State::ReqSent | State::AckSent) if !answered(f) => {
                        f.handle_packet(now, code, r.identifier, if code == code::CONFIGURE_ACK { &r.data } else { data })
                    }
                    (_, State::AckRcvd | State::Opened) => {
                        let trigger = if code == code::CONFIGURE_ACK { Trigger::Rca } else { Trigger::Rcn };
                        f.fire(now, trigger, None)
                    }
                    _ => f.handle_packet(now, code, 0x81, data),
                }
            };
            match event.as_str() {
                "Up" => f.up(now),
                "Down" => f.down(now),
                "Open" => f.open(now),
                "Close" => f.close(now, b"admin"),
                "TO+" | "TO-" => {
                    now = f.poll_timeout().unwrap_or(now + 1_000_000);
                    f.handle_timeout(now);
                }
                "RCR+" => f.handle_packet(now, code::CONFIGURE_REQUEST, 0x80, b"good"),
                "RCR-" => f.handle_packet(now, code::CONFIGURE_REQUEST, 0x80, b"bad"),
                "RCA" => reply(code::CONFIGURE_ACK, b"", &mut f, now),
                "RCN" => reply(code::CONFIGURE_NAK, b"nak", &mut f, now),
                "RTR" => f.handle_packet(now, code::TERMINATE_REQUEST, 0x82, b"bye"),
                "RTA" => f.handle_packet(now, code::TERMINATE_ACK, 0x83, b""),
                "RUC" => f.handle_packet(now, 42, 0x84, b"xyz"),
                "RXJ+" => f.handle_packet(now, code::CODE_REJECT, 0x85, &[42, 1, 0, 4]),
                "RXJ-" => f.handle_packet(now, code::CODE_REJECT, 0x85, &[code::CONFIGURE_REQUEST, 5, 0, 4]),
                "RXR" => f.handle_packet(now, code::ECHO_REQUEST, 0x86, &[9, 9, 9, 9, 1, 2, 3]),
                other => panic!("unknown event {other}"),
            }
            let sent = packets(&mut f);
            let seen = events(&mut f);
            let what = format!("{event} in {state}");
            let Some(cell) = cell else {
                assert_eq!(f.state(), state, "{what}: illegal, the state must not change");
                assert!(sent.is_empty(), "{what}: illegal, nothing may be sent: {sent:?}");
                assert!(layer_events(&seen).is_empty(), "{what}: {seen:?}");
                assert_eq!(f.restart_count(), counter_before, "{what}");
                assert_eq!(f.poll_timeout(), deadline_before, "{what}");
                continue;
            };
            let has = |a: &str| cell.actions.iter().any(|x| x == a);
            assert_eq!(f.state(), cell.next, "{what}: {cell:?}");
            if cell.footnote == Some('x') {
                assert!(matches!(state, State::AckRcvd | State::Opened), "{what}");
            }

            // Packets, in the cell's order.
            let expected_codes: Vec<u8> = cell
                .actions
                .iter()
                .filter_map(|a| match a.as_str() {
                    "scr" => Some(code::CONFIGURE_REQUEST),
                    "sca" => Some(code::CONFIGURE_ACK),
                    "scn" => Some(code::CONFIGURE_NAK),
                    "str" => Some(code::TERMINATE_REQUEST),
                    "sta" => Some(code::TERMINATE_ACK),
                    "scj" => Some(code::CODE_REJECT),
                    "ser" => Some(code::ECHO_REPLY),
                    _ => None,
                })
                .collect();
            let codes: Vec<u8> = sent.iter().map(|p| p.code).collect();
            assert_eq!(codes, expected_codes, "{what}: packets {sent:?}");
            for p in &sent {
                match p.code {
                    code::CONFIGURE_REQUEST => assert_eq!(p.data, b"mine", "{what}"),
                    code::CONFIGURE_ACK => assert_eq!((p.identifier, &p.data[..]), (0x80, &b"good"[..]), "{what}"),
                    code::CONFIGURE_NAK => assert_eq!((p.identifier, &p.data[..]), (0x80, &b"fix"[..]), "{what}"),
                    code::TERMINATE_REQUEST => {
                        let data: &[u8] = if event == "RXJ-" { b"" } else if event == "Close" { b"admin" } else { b"going" };
                        assert_eq!(p.data, data, "{what}");
                    }
                    code::TERMINATE_ACK => {
                        let id = match event.as_str() {
                            "RTR" => 0x82,
                            "RCR+" | "RCR-" => 0x80,
                            _ => 0x81,
                        };
                        assert_eq!(p.identifier, id, "{what}: Terminate-Ack copies the identifier it answers");
                    }
                    code::CODE_REJECT => assert_eq!(p.data, [42, 0x84, 0, 7, b'x', b'y', b'z'], "{what}"),
                    code::ECHO_REPLY => assert_eq!((p.identifier, &p.data[..]), (0x86, &[0, 0, 0, 0, 1, 2, 3][..]), "{what}"),
                    _ => unreachable!(),
                }
            }

            // Layer events, in the cell's order.
            let expected_layer: Vec<&str> = cell
                .actions
                .iter()
                .map(String::as_str)
                .filter(|a| matches!(*a, "tlu" | "tld" | "tls" | "tlf"))
                .collect();
            assert_eq!(layer_events(&seen), expected_layer, "{what}");

            // The restart counter (§4.4 irc, zrc; scr and str each use one transmission).
            let sends = cell.actions.iter().filter(|a| *a == "scr" || *a == "str").count() as u32;
            let expected_counter = if has("zrc") {
                0
            } else if has("irc") {
                (if has("str") { config.max_terminate } else { config.max_configure }) - sends
            } else {
                counter_before - sends
            };
            assert_eq!(f.restart_count(), expected_counter, "{what}");

            // The restart timer (§4.6): (re)started by scr, str and zrc, running exactly in
            // the states that guard something, left alone otherwise.
            if !cell.next.restart_timer_runs() {
                assert_eq!(f.poll_timeout(), None, "{what}");
            } else if has("scr") || has("str") || has("zrc") {
                assert_eq!(f.poll_timeout(), Some(now + config.restart_ms), "{what}");
            } else {
                assert!(deadline_before.is_some(), "{what}: entered a timed state with no timer started");
                assert_eq!(f.poll_timeout(), deadline_before, "{what}");
            }
        }
    }

    #[test]
    fn passive_option_skips_tlf_when_configure_requests_run_out() {
        for passive in [false, true] {
            let config = FsmConfig { passive, max_configure: 2, ..FsmConfig::default() };
            let mut f = Fsm::new(Toy::default(), config, 0).unwrap();
            f.up(0);
            f.open(0);
            while let Some(t) = f.poll_timeout() {
                f.handle_timeout(t);
            }
            assert_eq!(f.state(), State::Stopped);
            let seen = events(&mut f);
            assert_eq!(layer_events(&seen), if passive { vec![] } else { vec!["tlf"] });
            // Passive or not, the peer's Configure-Request still starts a negotiation.
            f.handle_packet(10_000, code::CONFIGURE_REQUEST, 1, b"good");
            assert_eq!(f.state(), State::AckSent);
        }
    }

    #[test]
    fn restart_option_renegotiates_on_a_second_open() {
        let config = FsmConfig { restart_option: true, ..FsmConfig::default() };
        let mut f = Fsm::new(Toy::default(), config, 0).unwrap();
        f.up(0);
        f.open(0);
        let r = packets(&mut f).pop().unwrap();
        f.handle_packet(1, code::CONFIGURE_ACK, r.identifier, &r.data);
        f.handle_packet(2, code::CONFIGURE_REQUEST, 7, b"good");
        assert_eq!(f.state(), State::Opened);
        events(&mut f);
        packets(&mut f);
        f.open(3);
        // Down (tld/1) then Up (irc,scr/6).
        assert_eq!(layer_events(&events(&mut f)), ["tld"]);
        assert_eq!(f.state(), State::ReqSent);
        let sent = packets(&mut f);
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].code, code::CONFIGURE_REQUEST);
        assert_ne!(sent[0].identifier, r.identifier);
        assert_eq!(f.restart_count(), 9);

        // Without the option, Open in Opened does nothing (9r read without [r]).
        let mut f = fsm();
        f.up(0);
        f.open(0);
        let r = packets(&mut f).pop().unwrap();
        f.handle_packet(1, code::CONFIGURE_ACK, r.identifier, &r.data);
        f.handle_packet(2, code::CONFIGURE_REQUEST, 7, b"good");
        events(&mut f);
        packets(&mut f);
        f.open(3);
        assert_eq!(f.state(), State::Opened);
        assert!(events(&mut f).is_empty());
        assert!(packets(&mut f).is_empty());
    }

    #[test]
    fn retransmission_keeps_the_identifier_and_new_requests_change_it() {
        let mut f = fsm();
        f.up(0);
        f.open(0);
        let first = packets(&mut f).pop().unwrap();
        assert_eq!(f.poll_timeout(), Some(3_000), "3 s default restart timer");
        f.handle_timeout(2_999);
        assert!(packets(&mut f).is_empty(), "not before the deadline");
        f.handle_timeout(3_000);
        let again = packets(&mut f).pop().unwrap();
        assert_eq!(again, first, "a TO+ retransmission is the same packet (§5.1 MAY)");
        // A Nak answers it: the next request is new, so its identifier changes.
        f.handle_packet(3_100, code::CONFIGURE_NAK, first.identifier, b"x");
        let after_nak = packets(&mut f).pop().unwrap();
        assert_ne!(after_nak.identifier, first.identifier);
        // Ack it, then let Ack-Rcvd time out: the request was answered, so the identifier
        // MUST change on the retransmission (§5.1).
        f.handle_packet(3_200, code::CONFIGURE_ACK, after_nak.identifier, &after_nak.data);
        assert_eq!(f.state(), State::AckRcvd);
        f.handle_timeout(f.poll_timeout().unwrap());
        assert_eq!(f.state(), State::ReqSent);
        let after_ack = packets(&mut f).pop().unwrap();
        assert_ne!(after_ack.identifier, after_nak.identifier);
        assert_eq!(after_ack.data, after_nak.data);
    }

    #[test]
    fn replies_must_match_the_last_request_once() {
        let mut f = fsm();
        f.up(0);
        f.open(0);
        let r = packets(&mut f).pop().unwrap();
        // Wrong identifier: discarded, nothing sent, still Req-Sent (§5.3).
        f.handle_packet(1, code::CONFIGURE_NAK, r.identifier.wrapping_add(1), b"x");
        assert_eq!(f.state(), State::ReqSent);
        assert!(packets(&mut f).is_empty());
        assert_eq!(
            events(&mut f),
            [Event::Discarded { code: code::CONFIGURE_NAK, identifier: r.identifier.wrapping_add(1), reason: DiscardReason::StaleIdentifier }]
        );
        assert!(f.protocol().naks.is_empty(), "the protocol never saw it");
        // An Ack with other options than we asked: discarded (§5.2).
        f.handle_packet(2, code::CONFIGURE_ACK, r.identifier, b"mind");
        assert_eq!(f.state(), State::ReqSent);
        assert!(matches!(events(&mut f)[..], [Event::Discarded { reason: DiscardReason::AckMismatch, .. }]));
        // A Reject the protocol finds malformed: discarded (§5.4).
        f.handle_packet(3, code::CONFIGURE_REJECT, r.identifier, b"");
        assert!(matches!(events(&mut f)[..], [Event::Discarded { reason: DiscardReason::Malformed, .. }]));
        // The right Ack, then the same Ack again (a duplicate): the second is discarded,
        // so a duplicated Ack cannot bounce Ack-Rcvd (or Opened) back to Req-Sent.
        f.handle_packet(4, code::CONFIGURE_ACK, r.identifier, &r.data);
        assert_eq!(f.state(), State::AckRcvd);
        assert_eq!(f.protocol().acks, [b"mine".to_vec()]);
        f.handle_packet(5, code::CONFIGURE_ACK, r.identifier, &r.data);
        assert_eq!(f.state(), State::AckRcvd);
        assert!(matches!(events(&mut f)[..], [Event::Discarded { reason: DiscardReason::StaleIdentifier, .. }]));
        f.handle_packet(6, code::CONFIGURE_REQUEST, 9, b"good");
        assert_eq!(f.state(), State::Opened);
        f.handle_packet(7, code::CONFIGURE_ACK, r.identifier, &r.data);
        f.handle_packet(7, code::CONFIGURE_NAK, r.identifier, b"x");
        assert_eq!(f.state(), State::Opened);
        assert_eq!(layer_events(&events(&mut f)), ["tlu"]);
    }

    #[test]
    fn a_malformed_configure_request_is_discarded() {
        let mut f = fsm();
        f.up(0);
        f.open(0);
        packets(&mut f);
        f.handle_packet(1, code::CONFIGURE_REQUEST, 3, b"junk");
        assert_eq!(f.state(), State::ReqSent);
        assert!(packets(&mut f).is_empty());
        assert!(matches!(events(&mut f)[..], [Event::Discarded { reason: DiscardReason::Malformed, .. }]));
    }

    #[test]
    fn max_failure_naks_then_rejects_and_an_ack_starts_the_count_again() {
        let mut f = fsm();
        f.up(0);
        f.open(0);
        packets(&mut f);
        let mut answers = Vec::new();
        for id in 0..7 {
            f.handle_packet(id.into(), code::CONFIGURE_REQUEST, id, b"bad");
            answers.extend(packets(&mut f).into_iter().map(|p| p.code));
        }
        // Max-Failure (5) Naks, then Rejects (§4.6).
        let nak = code::CONFIGURE_NAK;
        let rej = code::CONFIGURE_REJECT;
        assert_eq!(answers, [nak, nak, nak, nak, nak, rej, rej]);
        assert_eq!(f.protocol().reject_flags, [false, false, false, false, false, true, true]);
        // Sending an Ack resets the count.
        f.handle_packet(10, code::CONFIGURE_REQUEST, 10, b"good");
        f.handle_packet(11, code::CONFIGURE_REQUEST, 11, b"bad");
        assert_eq!(packets(&mut f).last().unwrap().code, nak);

        // Max-Failure 0: Reject at once.
        let config = FsmConfig { max_failure: 0, ..FsmConfig::default() };
        let mut f = Fsm::new(Toy::default(), config, 0).unwrap();
        f.up(0);
        f.open(0);
        packets(&mut f);
        f.handle_packet(1, code::CONFIGURE_REQUEST, 1, b"bad");
        assert_eq!(packets(&mut f)[0].code, rej);
    }

    #[test]
    fn naks_received_past_max_failure_are_treated_as_rejects() {
        let mut f = fsm();
        f.up(0);
        f.open(0);
        for t in 0..7 {
            let r = packets(&mut f).pop().unwrap();
            f.handle_packet(t, code::CONFIGURE_NAK, r.identifier, b"x");
        }
        let flags: Vec<bool> = f.protocol().naks.iter().map(|n| n.1).collect();
        assert_eq!(flags, [false, false, false, false, false, true, true]);
        // Past twice Max-Failure the Naks are discarded: the request stays unanswered and
        // the restart timer, not the peer, sets the pace until Max-Configure runs out.
        for t in 7..10 {
            let r = packets(&mut f).pop().unwrap();
            f.handle_packet(t, code::CONFIGURE_NAK, r.identifier, b"x");
        }
        assert_eq!(f.protocol().naks.len(), 10);
        let r = packets(&mut f).pop().unwrap();
        events(&mut f);
        f.handle_packet(20, code::CONFIGURE_NAK, r.identifier, b"x");
        assert_eq!(f.protocol().naks.len(), 10);
        assert!(packets(&mut f).is_empty(), "no new request in answer to it");
        assert!(matches!(events(&mut f)[..], [Event::Discarded { reason: DiscardReason::NotConverging, .. }]));
        let mut requests = 0;
        while let Some(t) = f.poll_timeout() {
            f.handle_timeout(t);
            requests += packets(&mut f).iter().filter(|p| *p == &r).count();
        }
        assert_eq!(f.state(), State::Stopped);
        assert_eq!(layer_events(&events(&mut f)), ["tlf"]);
        assert!(requests > 0 && requests < 10);
    }

    #[test]
    fn a_new_negotiation_resets_the_protocol() {
        let mut f = fsm();
        f.up(0);
        f.open(0);
        assert_eq!(f.protocol().resets, 1);
        let r = packets(&mut f).pop().unwrap();
        // A Nak inside the negotiation does not reset (the protocol adapts instead).
        f.handle_packet(1, code::CONFIGURE_NAK, r.identifier, b"x");
        assert_eq!(f.protocol().resets, 1);
        let r = packets(&mut f).pop().unwrap();
        f.handle_packet(2, code::CONFIGURE_ACK, r.identifier, &r.data);
        f.handle_packet(3, code::CONFIGURE_REQUEST, 1, b"good");
        assert_eq!(f.state(), State::Opened);
        // The peer renegotiates from Opened: back to our preferences.
        f.handle_packet(4, code::CONFIGURE_REQUEST, 2, b"good");
        assert_eq!(f.state(), State::AckSent);
        assert!(f.protocol().resets >= 2);
    }

    #[test]
    fn code_reject_quotes_the_packet_cut_to_the_peer_mru_with_fresh_identifiers() {
        let mut f = fsm();
        f.up(0);
        f.set_peer_mru(1492);
        let big = vec![0xab; 3000];
        f.handle_packet(1, 0xee, 0x33, &big);
        f.handle_packet(2, 0xee, 0x34, b"");
        let sent = packets(&mut f);
        assert_eq!(sent.len(), 2);
        assert!(sent.iter().all(|p| p.code == code::CODE_REJECT));
        assert_eq!(sent[0].data.len() + 4, 1492, "the Code-Reject fits the MRU (§5.6)");
        assert_eq!(&sent[0].data[..4], &[0xee, 0x33, 0x0b, 0xbc], "code, id, original length 3004");
        assert_eq!(sent[1].data, [0xee, 0x34, 0, 4]);
        assert_ne!(sent[0].identifier, sent[1].identifier, "§5.6: changed for each Code-Reject");
        assert_eq!(f.state(), State::Closed);
    }

    #[test]
    fn code_reject_received_is_catastrophic_only_for_needed_codes() {
        let opened = || {
            let mut f = fsm();
            f.up(0);
            f.open(0);
            let r = packets(&mut f).pop().unwrap();
            f.handle_packet(1, code::CONFIGURE_ACK, r.identifier, &r.data);
            f.handle_packet(2, code::CONFIGURE_REQUEST, 1, b"good");
            events(&mut f);
            f
        };
        // An extended code: RXJ+, the protocol is told, the link stays up.
        let mut f = opened();
        f.handle_packet(3, code::CODE_REJECT, 5, &[code::ECHO_REQUEST, 1, 0, 8]);
        assert_eq!(f.state(), State::Opened);
        assert_eq!(f.protocol().code_rejected, [code::ECHO_REQUEST]);
        // A code the protocol calls catastrophic, and every code 1–7: RXJ-.
        for rejected in [99, code::CONFIGURE_REQUEST, code::TERMINATE_ACK] {
            let mut f = opened();
            f.handle_packet(3, code::CODE_REJECT, 5, &[rejected]);
            assert_eq!(f.state(), State::Stopping, "Code-Reject of {rejected}");
            assert_eq!(layer_events(&events(&mut f)), ["tld"]);
        }
        // Empty: nothing to judge, discarded.
        let mut f = opened();
        f.handle_packet(3, code::CODE_REJECT, 5, &[]);
        assert_eq!(f.state(), State::Opened);
        assert!(matches!(events(&mut f)[..], [Event::Discarded { reason: DiscardReason::EmptyCodeReject, .. }]));
        // Protocol-Reject via the protocol hook (RXJ+), and from the caller (RXJ-).
        f.handle_packet(4, code::PROTOCOL_REJECT, 6, &[0x80, 0x21]);
        assert_eq!(f.state(), State::Opened);
        f.protocol_reject(5, true);
        assert_eq!(f.state(), State::Stopping);
    }

    #[test]
    fn echo_is_answered_only_in_opened_and_extended_codes_follow_the_protocol() {
        let mut f = fsm();
        f.up(0);
        f.open(0);
        let r = packets(&mut f).pop().unwrap();
        f.handle_packet(1, code::ECHO_REQUEST, 4, &[1, 2, 3, 4, 5]);
        assert!(packets(&mut f).is_empty(), "no Echo-Reply before Opened");
        assert_eq!(f.send_packet(code::ECHO_REQUEST, vec![0; 4]), Err(NotOpened { code: 9, state: State::ReqSent }));
        f.handle_packet(2, code::CONFIGURE_ACK, r.identifier, &r.data);
        f.handle_packet(3, code::CONFIGURE_REQUEST, 1, b"good");
        packets(&mut f);
        assert_eq!(layer_events(&events(&mut f)), ["tlu"]);
        f.handle_packet(4, code::ECHO_REQUEST, 4, &[1, 2, 3, 4, 5]);
        f.handle_packet(4, code::ECHO_REPLY, 5, &[1, 2, 3, 4]);
        f.handle_packet(4, code::DISCARD_REQUEST, 6, &[1, 2, 3, 4]);
        f.handle_packet(4, 50, 7, &[]);
        f.handle_packet(4, 51, 8, &[]);
        let sent = packets(&mut f);
        assert_eq!(sent, [Packet { code: code::ECHO_REPLY, identifier: 4, data: vec![0, 0, 0, 0, 5] }]);
        assert!(matches!(events(&mut f)[..], [Event::Discarded { code: 51, reason: DiscardReason::Malformed, .. }]));
        assert_eq!(f.state(), State::Opened);
        let id = f.send_packet(code::ECHO_REQUEST, vec![0; 4]).unwrap();
        let id2 = f.send_packet(code::DISCARD_REQUEST, vec![0; 4]).unwrap();
        assert_ne!(id, id2);
        assert_eq!(packets(&mut f).len(), 2);
    }

    #[test]
    fn terminate_request_carries_the_close_reason_and_is_retransmitted_unchanged() {
        let mut f = fsm();
        f.up(0);
        f.open(0);
        packets(&mut f);
        f.close(10, b"admin down");
        let first = packets(&mut f).pop().unwrap();
        assert_eq!((first.code, &first.data[..]), (code::TERMINATE_REQUEST, &b"admin down"[..]));
        f.handle_timeout(3_010);
        let again = packets(&mut f).pop().unwrap();
        assert_eq!(again, first);
        // Max-Terminate (2) sent: the next timeout is TO-.
        f.handle_timeout(6_010);
        assert_eq!(f.state(), State::Closed);
        assert!(packets(&mut f).is_empty());
        assert_eq!(layer_events(&events(&mut f)), ["tlf"]);
    }

    #[test]
    fn peer_terminate_request_is_reported_with_its_data() {
        let mut f = fsm();
        f.up(0);
        f.handle_packet(1, code::TERMINATE_REQUEST, 3, b"shutting down");
        assert_eq!(events(&mut f), [Event::TerminateRequested { data: b"shutting down".to_vec() }]);
        assert_eq!(packets(&mut f), [Packet { code: code::TERMINATE_ACK, identifier: 3, data: vec![] }]);
    }

    #[test]
    fn packets_before_the_lower_layer_is_up_are_discarded() {
        let mut f = fsm();
        f.open(0);
        f.handle_packet(1, code::CONFIGURE_REQUEST, 1, b"good");
        assert_eq!(f.state(), State::Starting);
        assert!(packets(&mut f).is_empty());
        assert_eq!(
            events(&mut f),
            [
                Event::ThisLayerStarted,
                Event::Discarded { code: 1, identifier: 1, reason: DiscardReason::LowerLayerDown }
            ]
        );
    }

    #[test]
    fn bad_configurations_are_refused_with_the_key_named() {
        let bad = [
            (FsmConfig { restart_ms: 0, ..FsmConfig::default() }, FsmConfigError::RestartTimerZero, "restart_ms"),
            (FsmConfig { max_terminate: 0, ..FsmConfig::default() }, FsmConfigError::MaxTerminateZero, "max_terminate"),
            (FsmConfig { max_configure: 0, ..FsmConfig::default() }, FsmConfigError::MaxConfigureZero, "max_configure"),
        ];
        for (config, error, key) in bad {
            assert_eq!(Fsm::new(Toy::default(), config, 0).err(), Some(error));
            assert!(error.to_string().starts_with(key), "{error}");
        }
        let d = FsmConfig::default();
        assert_eq!((d.restart_ms, d.max_terminate, d.max_configure, d.max_failure), (3_000, 2, 10, 5));
    }

    #[test]
    fn state_names_and_numbers_are_the_rfcs() {
        let names: Vec<&str> = State::ALL.iter().map(|s| s.name()).collect();
        assert_eq!(
            names,
            ["Initial", "Starting", "Closed", "Stopped", "Closing", "Stopping", "Req-Sent", "Ack-Rcvd", "Ack-Sent", "Opened"]
        );
        for (i, s) in State::ALL.iter().enumerate() {
            assert_eq!(usize::from(s.number()), i);
        }
    }

    #[derive(Clone, Debug)]
    enum Input {
        Up,
        Down,
        Open,
        Close,
        Wait(u64),
        /// A packet; `reply` uses our last Configure-Request's identifier (and, for an Ack,
        /// its options) so replies are valid often enough to matter.
        Packet { code: u8, identifier: u8, data: Vec<u8>, reply: bool },
        ProtocolReject(bool),
    }

    fn input() -> impl Strategy<Value = Input> {
        let data = prop_oneof![
            Just(b"good".to_vec()),
            Just(b"bad".to_vec()),
            Just(b"junk".to_vec()),
            Just(Vec::new()),
            proptest::collection::vec(any::<u8>(), 0..12),
        ];
        prop_oneof![
            Just(Input::Up),
            Just(Input::Down),
            Just(Input::Open),
            Just(Input::Close),
            (0u64..7_000).prop_map(Input::Wait),
            (0u8..16, any::<u8>(), data, any::<bool>())
                .prop_map(|(code, identifier, data, reply)| Input::Packet { code, identifier, data, reply }),
            any::<bool>().prop_map(Input::ProtocolReject),
        ]
    }

    proptest! {
        /// Random inputs never panic, and the restart timer runs exactly in Closing,
        /// Stopping, Req-Sent, Ack-Rcvd and Ack-Sent (§4.6) with its deadline in the future
        /// of the last input at most one restart period away; the counter never exceeds
        /// its maximum.
        #[test]
        fn random_inputs_keep_the_automaton_sound(
            inputs in proptest::collection::vec(input(), 0..80),
            passive in any::<bool>(),
            restart_option in any::<bool>(),
        ) {
            let config = FsmConfig { passive, restart_option, max_configure: 3, ..FsmConfig::default() };
            let mut f = Fsm::new(Toy::default(), config, 0xfe).unwrap();
            let mut now = 0u64;
            let mut last_request: Option<Packet> = None;
            for input in inputs {
                match input {
                    Input::Up => f.up(now),
                    Input::Down => f.down(now),
                    Input::Open => f.open(now),
                    Input::Close => f.close(now, b"x"),
                    Input::Wait(ms) => {
                        now += ms;
                        f.handle_timeout(now);
                    }
                    Input::Packet { code, identifier, data, reply } => {
                        let (identifier, data) = match (&last_request, reply) {
                            (Some(r), true) if code == code::CONFIGURE_ACK => (r.identifier, r.data.clone()),
                            (Some(r), true) => (r.identifier, data),
                            _ => (identifier, data),
                        };
                        f.handle_packet(now, code, identifier, &data);
                    }
                    Input::ProtocolReject(c) => f.protocol_reject(now, c),
                }
                while let Some(p) = f.poll_transmit() {
                    if p.code == code::CONFIGURE_REQUEST {
                        last_request = Some(p);
                    }
                }
                while f.poll_event().is_some() {}
                let state = f.state();
                prop_assert!(State::ALL.contains(&state));
                prop_assert_eq!(f.poll_timeout().is_some(), state.restart_timer_runs(), "state {}", state);
                if let Some(deadline) = f.poll_timeout() {
                    prop_assert!(deadline > now && deadline <= now + config.restart_ms);
                }
                prop_assert!(f.restart_count() <= config.max_configure.max(config.max_terminate));
            }
        }
    }
}
