//! AAA: the boundary between the session manager and whoever says yes or no to a
//! subscriber, and the local users file behind it.
//!
//! The session manager hands an [`AuthRequest`] (its session handle, the user name, the
//! credentials the PAP, CHAP or MS-CHAPv2 machine collected, and where the subscriber is:
//! port, MAC, VLANs) to an [`AaaBackend`] with [`AaaBackend::submit`], and later collects
//! [`AuthResult`]s with [`AaaBackend::poll_result`]. The answer is an accept with
//! [`Attributes`] (framed address, pool, timeouts, DNS; for MS-CHAPv2 the Success text and
//! the MPPE keys) or a [`Reject`] whose `message` goes into the PAP Authenticate-Nak (RFC
//! 1334 §2.2.2) or CHAP Failure (RFC 1994 §4.2, RFC 2759 §6) message. It is asynchronous
//! although [`LocalBackend`] answers at once: a RADIUS backend (RFC 2865) answers after a
//! round trip or times out, and it plugs in behind the same trait without touching the PPP
//! machines. Time is `now`, monotonic milliseconds, as everywhere in the control plane;
//! nothing here reads a clock.
//! Accounting (RFC 2866: Start, Interim-Update, Stop with counters) goes through
//! [`AaaBackend::accounting`]; the local backend ignores it.
//!
//! The local backend is in [`local`], the users file it reads in [`users`], the MS-CHAPv2
//! and MPPE-key cryptography both ends use in [`mschapv2`]; the types of the first two are
//! re-exported here, so `crate::aaa::LocalBackend` and `crate::aaa::UsersTable` name them.

use std::fmt;
use std::net::Ipv4Addr;

use md5::{Digest, Md5};
use subtle::ConstantTimeEq;

pub mod local;
pub mod mschapv2;
pub mod users;

pub use local::{LocalBackend, LOCAL_MAX_PENDING};
pub use users::{Lookup, Rule, UserEntry, UsersError, UsersTable};

/// The session manager's name for a session; echoed in the result.
pub type SessionHandle = u64;
pub const MAX_USERNAME: usize = 253;

/// What the peer proved its identity with.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// RFC 1334 §2.2.1 Authenticate-Request Password.
    Pap { password: Vec<u8> },
    /// RFC 1994 §4.1: the Identifier and Challenge we sent, the Response the peer sent.
    Chap { id: u8, challenge: Vec<u8>, response: Vec<u8> },
    /// RFC 2759 §4, §8: the Authenticator Challenge we sent, the Peer-Challenge and
    /// NT-Response of the peer's Response packet.
    MsChapV2 { authenticator_challenge: [u8; 16], peer_challenge: [u8; 16], nt_response: [u8; 24] },
}

/// Secrets stay out of logs.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Pap { .. } => f.write_str("Pap { .. }"),
            Credentials::Chap { id, .. } => write!(f, "Chap {{ id: {id}, .. }}"),
            Credentials::MsChapV2 { .. } => f.write_str("MsChapV2 { .. }"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Pap,
    ChapMd5,
    MsChapV2,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Pap => "PAP",
            Method::ChapMd5 => "CHAP-MD5",
            Method::MsChapV2 => "MS-CHAPv2",
        }
    }
}

impl Credentials {
    pub fn method(&self) -> Method {
        match self {
            Credentials::Pap { .. } => Method::Pap,
            Credentials::Chap { .. } => Method::ChapMd5,
            Credentials::MsChapV2 { .. } => Method::MsChapV2,
        }
    }
}

/// Where the subscriber is (RADIUS NAS-Port, Calling-Station-Id, NAS-Port-Id).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NasInfo {
    pub port: u16,
    pub mac: [u8; 6],
    pub outer_vlan: Option<u16>,
    pub inner_vlan: Option<u16>,
    pub pppoe_session_id: Option<u16>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthRequest {
    pub handle: SessionHandle,
    /// PAP Peer-ID or CHAP Name, as octets.
    pub username: Vec<u8>,
    pub credentials: Credentials,
    pub nas: NasInfo,
}

/// What an accept grants. `None` everywhere means "the configured defaults".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attributes {
    /// A static address (RADIUS Framed-IP-Address); wins over `pool`.
    pub framed_ip: Option<Ipv4Addr>,
    /// The pool to allocate from (RADIUS Framed-Pool, RFC 2869 §5.18).
    pub pool: Option<String>,
    /// Seconds (RFC 2865 §5.27 Session-Timeout).
    pub session_timeout_s: Option<u32>,
    /// Seconds (RFC 2865 §5.28 Idle-Timeout).
    pub idle_timeout_s: Option<u32>,
    /// Primary and secondary DNS for IPCP (RFC 1877 §1.1, §1.3).
    pub dns: [Option<Ipv4Addr>; 2],
    /// For an MS-CHAPv2 accept: what the Success packet must carry (RFC 2759 §5). Without it
    /// an MS-CHAPv2 authenticator cannot answer, and treats the accept as a backend error.
    pub mschapv2: Option<MsChapV2Accept>,
    /// For an MS-CHAPv2 accept: the server's MPPE keys (RFC 3079 §3.3; RADIUS
    /// MS-MPPE-Send-Key and MS-MPPE-Recv-Key, RFC 2548 §2.4.2–§2.4.3), for CCP/MPPE.
    pub mppe: Option<MppeKeys>,
}

/// What an MS-CHAPv2 accept carries for the peer.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct MsChapV2Accept {
    /// The text `S=` and 40 uppercase hex digits (RFC 2759 §5, §8.7) that proves to the peer
    /// that the authenticator knows its password; RADIUS gives it in MS-CHAP2-Success (RFC
    /// 2548 §2.3.3) after the Ident octet.
    pub authenticator_response: [u8; mschapv2::AUTHENTICATOR_RESPONSE_LEN],
}

/// The authenticator response is no secret: it is sent in clear in the Success packet.
impl fmt::Debug for MsChapV2Accept {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MsChapV2Accept {{ {} }}", String::from_utf8_lossy(&self.authenticator_response))
    }
}

/// The MPPE master keys of one end (RFC 3079 §3.3, 128-bit), named from that end's point of
/// view: `send` encrypts what it sends, `recv` what it receives. In [`Attributes`] they are
/// the server's, as RADIUS gives them in MS-MPPE-Send-Key and MS-MPPE-Recv-Key (RFC 2548
/// §2.4.2, §2.4.3); the peer's are the same two keys swapped.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct MppeKeys {
    pub send: [u8; 16],
    pub recv: [u8; 16],
}

/// Keys stay out of logs.
impl fmt::Debug for MppeKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MppeKeys { .. }")
    }
}

/// Why a request was refused; for logs and metrics (the peer only sees `message`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RejectKind {
    UnknownUser,
    WrongPassword,
    /// Something the backend or the authenticator does not do: MS-CHAPv2 Change-Password
    /// (RFC 2759 §7), a method a backend cannot check.
    UnsupportedMethod,
    /// Credentials that cannot be right: a CHAP Response of the wrong size, a user name
    /// over 253 octets, an empty Challenge.
    Malformed,
    /// No answer in time (RADIUS).
    Timeout,
    /// The backend failed (RADIUS: no server reachable, bad response authenticator).
    BackendError,
}

impl RejectKind {
    pub fn name(self) -> &'static str {
        match self {
            RejectKind::UnknownUser => "unknown_user",
            RejectKind::WrongPassword => "wrong_password",
            RejectKind::UnsupportedMethod => "unsupported_method",
            RejectKind::Malformed => "malformed",
            RejectKind::Timeout => "timeout",
            RejectKind::BackendError => "backend_error",
        }
    }
}

/// A refusal. `message` is for the peer (PAP/CHAP failure message); it says the same for an
/// unknown user and a wrong password, so that a peer cannot probe for user names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reject {
    pub kind: RejectKind,
    pub message: String,
}

impl Reject {
    fn new(kind: RejectKind, message: &str) -> Reject {
        Reject { kind, message: message.to_string() }
    }
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.name(), self.message)
    }
}

/// What the peer is told when the user is unknown or the password wrong.
pub const AUTH_FAILED: &str = "Authentication failed";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthOutcome {
    Accept(Attributes),
    Reject(Reject),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthResult {
    pub handle: SessionHandle,
    pub outcome: AuthOutcome,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubmitError {
    /// A request for this handle is already waiting.
    DuplicateHandle(SessionHandle),
    /// Too many requests waiting; the caller should refuse the session or retry later.
    Busy { pending: usize },
}

impl fmt::Display for SubmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubmitError::DuplicateHandle(h) => write!(f, "session {h} already has an authentication request waiting"),
            SubmitError::Busy { pending } => write!(f, "{pending} authentication requests already waiting"),
        }
    }
}

impl std::error::Error for SubmitError {}

/// RFC 2866 §5.10 Acct-Terminate-Cause.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TerminateCause(pub u32);

impl TerminateCause {
    pub const USER_REQUEST: Self = Self(1);
    pub const LOST_CARRIER: Self = Self(2);
    pub const LOST_SERVICE: Self = Self(3);
    pub const IDLE_TIMEOUT: Self = Self(4);
    pub const SESSION_TIMEOUT: Self = Self(5);
    pub const ADMIN_RESET: Self = Self(6);
    pub const ADMIN_REBOOT: Self = Self(7);
    pub const PORT_ERROR: Self = Self(8);
    pub const NAS_ERROR: Self = Self(9);
    pub const NAS_REQUEST: Self = Self(10);
    pub const NAS_REBOOT: Self = Self(11);
    pub const SERVICE_UNAVAILABLE: Self = Self(15);
    pub const USER_ERROR: Self = Self(17);
}

/// RFC 2866 §5.1 Acct-Status-Type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AcctStatus {
    Start,
    /// RFC 2869 §5.19 Interim-Update.
    Interim,
    Stop(TerminateCause),
}

/// Counters as RADIUS names them (RFC 2866 §5.3–§5.8): input is from the subscriber.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AcctCounters {
    pub input_octets: u64,
    pub output_octets: u64,
    pub input_packets: u64,
    pub output_packets: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountingRecord {
    pub handle: SessionHandle,
    pub status: AcctStatus,
    pub username: Vec<u8>,
    pub framed_ip: Option<Ipv4Addr>,
    pub nas: NasInfo,
    /// Seconds since the session came up (RFC 2866 §5.7).
    pub session_time_s: u32,
    pub counters: AcctCounters,
}

/// Who says yes or no. Sans-IO: a network backend also has its own packet I/O, which the
/// driver runs; the session manager needs only this.
pub trait AaaBackend {
    /// For logs: `local`, `radius`.
    fn name(&self) -> &'static str;
    /// Queues a request; its answer comes out of [`AaaBackend::poll_result`].
    fn submit(&mut self, now: u64, request: AuthRequest) -> Result<(), SubmitError>;
    /// The session went away: drop its request, and never answer it.
    fn cancel(&mut self, handle: SessionHandle);
    /// The next answer, if one is ready at `now`.
    fn poll_result(&mut self, now: u64) -> Option<AuthResult>;
    /// When [`AaaBackend::handle_timeout`] should run next (retransmit, give up).
    fn poll_timeout(&self) -> Option<u64>;
    fn handle_timeout(&mut self, now: u64);
    /// Accounting Start, Interim-Update or Stop.
    fn accounting(&mut self, now: u64, record: AccountingRecord);
}

/// Equality of secrets and responses in time that depends on the lengths only, not on
/// where the inputs differ (a peer timing our answers learns nothing about a password).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    bool::from(a.ct_eq(b))
}

/// RFC 1994 §4.1: the MD5 Response for Identifier `id`, `secret` and `challenge`.
pub fn chap_md5_response(id: u8, secret: &[u8], challenge: &[u8]) -> [u8; 16] {
    let mut h = Md5::new();
    h.update([id]);
    h.update(secret);
    h.update(challenge);
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn ct_eq_is_equality(a in proptest::collection::vec(any::<u8>(), 0..8), b in proptest::collection::vec(any::<u8>(), 0..8)) {
            prop_assert_eq!(ct_eq(&a, &b), a == b);
        }
    }
}
