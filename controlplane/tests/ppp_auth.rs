//! PAP (RFC 1334 §2) and CHAP-MD5 (RFC 1994) machines: authenticator against peer in
//! virtual time over a simulated link (loss, duplication, reordering, delay), with the real
//! local AAA (users file and `LocalBackend`) deciding and its verdict arriving late as a
//! RADIUS answer would; silent and misbehaving peers; and golden packets built by scapy
//! (the CHAP Response's MD5 computed by Python's hashlib) with the replies read back by
//! scapy's parser.

use std::path::Path;
use std::process::Command;

use controlplane::aaa::{
    AaaBackend, AuthOutcome, AuthRequest, Credentials, LocalBackend, NasInfo, RejectKind, UsersTable, AUTH_FAILED,
};
use controlplane::ppp::chap::{self, ChapClient, ChapServer};
use controlplane::ppp::pap::{
    self, ClientEvent, ClientState, ConfigError, DiscardReason, FailReason, PapClient, PapServer, ServerEvent,
    ServerState, VerdictError,
};
use dataplane::wire::chap::ChapRepr;
use dataplane::wire::pap::PapRepr;
use dataplane::wire::ppp::{parse_header, ControlPacket, PppProtocol, PppRepr};
use dataplane::wire::Error as WireError;

const USERS: &str = "\
# users for the authentication tests
alice secret pool=lab session-timeout=1d
bob hunter2
user{1-1000}@lab lab pool=lab
";

fn users() -> UsersTable {
    UsersTable::parse(Path::new("users.txt"), USERS).unwrap()
}

// ---- the simulated link ----

/// xorshift64*: deterministic faults per seed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 > 1.0 - p
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
}

/// What one direction of the link does to packets.
#[derive(Clone, Default)]
struct Faults {
    loss: f64,
    duplicate: f64,
    /// Fixed one-way delay, ms.
    delay_ms: u64,
    /// Extra random delay up to this, ms: packets overtake each other.
    jitter_ms: u64,
    /// Drop the packets with these indexes (0: the first one sent this way).
    drop: Vec<usize>,
}

#[derive(Default)]
struct Lane {
    faults: Faults,
    /// (deliver at, sequence, bytes)
    queue: Vec<(u64, u64, Vec<u8>)>,
    sent: usize,
    seq: u64,
}

impl Lane {
    fn send(&mut self, now: u64, bytes: Vec<u8>, rng: &mut Rng) {
        let index = self.sent;
        self.sent += 1;
        if self.faults.drop.contains(&index) || rng.chance(self.faults.loss) {
            return;
        }
        let copies = if rng.chance(self.faults.duplicate) { 2 } else { 1 };
        for _ in 0..copies {
            let at = now + self.faults.delay_ms + rng.below(self.faults.jitter_ms + 1);
            self.seq += 1;
            self.queue.push((at, self.seq, bytes.clone()));
        }
    }
    fn next_at(&self) -> Option<u64> {
        self.queue.iter().map(|q| q.0).min()
    }
    fn pop_due(&mut self, now: u64) -> Option<Vec<u8>> {
        let i = (0..self.queue.len())
            .filter(|&i| self.queue[i].0 <= now)
            .min_by_key(|&i| (self.queue[i].0, self.queue[i].1))?;
        Some(self.queue.remove(i).2)
    }
}

// ---- the two ends, as the session manager drives them ----

trait Server {
    fn handle_packet(&mut self, now: u64, p: &[u8]);
    fn handle_timeout(&mut self, now: u64);
    fn poll_transmit(&mut self) -> Option<Vec<u8>>;
    fn poll_timeout(&self) -> Option<u64>;
    fn poll_event(&mut self) -> Option<ServerEvent>;
    fn verdict(&mut self, now: u64, outcome: AuthOutcome) -> Result<(), VerdictError>;
    fn state(&self) -> ServerState;
}

trait Client {
    fn handle_packet(&mut self, now: u64, p: &[u8]);
    fn handle_timeout(&mut self, now: u64);
    fn poll_transmit(&mut self) -> Option<Vec<u8>>;
    fn poll_timeout(&self) -> Option<u64>;
    fn poll_event(&mut self) -> Option<ClientEvent>;
}

impl Server for PapServer {
    fn handle_packet(&mut self, now: u64, p: &[u8]) {
        PapServer::handle_packet(self, now, p)
    }
    fn handle_timeout(&mut self, now: u64) {
        PapServer::handle_timeout(self, now)
    }
    fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        PapServer::poll_transmit(self)
    }
    fn poll_timeout(&self) -> Option<u64> {
        PapServer::poll_timeout(self)
    }
    fn poll_event(&mut self) -> Option<ServerEvent> {
        PapServer::poll_event(self)
    }
    fn verdict(&mut self, now: u64, outcome: AuthOutcome) -> Result<(), VerdictError> {
        PapServer::verdict(self, now, outcome)
    }
    fn state(&self) -> ServerState {
        PapServer::state(self)
    }
}

/// Challenge Values: a counter, so every value differs and runs repeat.
struct Counter(u64);

impl chap::ChallengeSource for Counter {
    fn challenge_value(&mut self) -> [u8; 16] {
        self.0 += 1;
        let mut v = [0xa5; 16];
        v[8..].copy_from_slice(&self.0.to_be_bytes());
        v
    }
}

struct ChapEnd {
    machine: ChapServer,
    source: Counter,
}

impl ChapEnd {
    fn new(now: u64, config: chap::ServerConfig, first_identifier: u8) -> ChapEnd {
        let mut source = Counter(0);
        let machine = ChapServer::new(now, config, first_identifier, &mut source).unwrap();
        ChapEnd { machine, source }
    }
}

impl Server for ChapEnd {
    fn handle_packet(&mut self, now: u64, p: &[u8]) {
        self.machine.handle_packet(now, p)
    }
    fn handle_timeout(&mut self, now: u64) {
        self.machine.handle_timeout(now, &mut self.source)
    }
    fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.machine.poll_transmit()
    }
    fn poll_timeout(&self) -> Option<u64> {
        self.machine.poll_timeout()
    }
    fn poll_event(&mut self) -> Option<ServerEvent> {
        self.machine.poll_event()
    }
    fn verdict(&mut self, now: u64, outcome: AuthOutcome) -> Result<(), VerdictError> {
        self.machine.verdict(now, outcome)
    }
    fn state(&self) -> ServerState {
        self.machine.state()
    }
}

macro_rules! client_impl {
    ($t:ty) => {
        impl Client for $t {
            fn handle_packet(&mut self, now: u64, p: &[u8]) {
                <$t>::handle_packet(self, now, p)
            }
            fn handle_timeout(&mut self, now: u64) {
                <$t>::handle_timeout(self, now)
            }
            fn poll_transmit(&mut self) -> Option<Vec<u8>> {
                <$t>::poll_transmit(self)
            }
            fn poll_timeout(&self) -> Option<u64> {
                <$t>::poll_timeout(self)
            }
            fn poll_event(&mut self) -> Option<ClientEvent> {
                <$t>::poll_event(self)
            }
        }
    };
}
client_impl!(PapClient);
client_impl!(ChapClient);

/// The session manager's AAA side: the real local backend behind the asynchronous
/// boundary, its answers handed to the machine `delay_ms` later (a RADIUS round trip).
struct Aaa {
    backend: LocalBackend,
    delay_ms: u64,
    requests: Vec<AuthRequest>,
}

impl Aaa {
    fn new(delay_ms: u64) -> Aaa {
        Aaa { backend: LocalBackend::new(users()), delay_ms, requests: Vec::new() }
    }
}

/// Everything that happened in a run.
#[derive(Default)]
struct Run {
    server_events: Vec<(u64, ServerEvent)>,
    client_events: Vec<(u64, ClientEvent)>,
    /// Every packet each side sent, before the link's faults.
    from_server: Vec<(u64, Vec<u8>)>,
    from_client: Vec<(u64, Vec<u8>)>,
    verdict_errors: Vec<VerdictError>,
}

impl Run {
    fn verifies(&self) -> usize {
        self.server_events.iter().filter(|(_, e)| matches!(e, ServerEvent::Verify { .. })).count()
    }
    fn server_discards(&self, reason: DiscardReason) -> usize {
        self.server_events
            .iter()
            .filter(|(_, e)| matches!(e, ServerEvent::Discarded { reason: r, .. } if *r == reason))
            .count()
    }
    fn client_discards(&self, reason: DiscardReason) -> usize {
        self.client_events
            .iter()
            .filter(|(_, e)| matches!(e, ClientEvent::Discarded { reason: r, .. } if *r == reason))
            .count()
    }
    /// The events that are not `Discarded`.
    fn server_outcomes(&self) -> Vec<(u64, ServerEvent)> {
        self.server_events.iter().filter(|(_, e)| !matches!(e, ServerEvent::Discarded { .. })).cloned().collect()
    }
    fn client_outcomes(&self) -> Vec<(u64, ClientEvent)> {
        self.client_events.iter().filter(|(_, e)| !matches!(e, ClientEvent::Discarded { .. })).cloned().collect()
    }
}

/// Runs both ends until nothing is left to happen or `until` (ms).
fn run(
    server: &mut dyn Server,
    client: &mut dyn Client,
    aaa: &mut Aaa,
    faults: [Faults; 2],
    seed: u64,
    until: u64,
) -> Run {
    let mut rng = Rng::new(seed);
    let [to_client, to_server] = faults;
    let mut s2c = Lane { faults: to_client, ..Lane::default() };
    let mut c2s = Lane { faults: to_server, ..Lane::default() };
    let mut verdicts: Vec<(u64, AuthOutcome)> = Vec::new();
    let mut out = Run::default();
    let mut now = 0;
    for _ in 0..100_000 {
        while let Some(p) = server.poll_transmit() {
            out.from_server.push((now, p.clone()));
            s2c.send(now, p, &mut rng);
        }
        while let Some(p) = client.poll_transmit() {
            out.from_client.push((now, p.clone()));
            c2s.send(now, p, &mut rng);
        }
        while let Some(e) = server.poll_event() {
            if let ServerEvent::Verify { username, credentials } = &e {
                let request = AuthRequest {
                    handle: 1,
                    username: username.clone(),
                    credentials: credentials.clone(),
                    nas: NasInfo::default(),
                };
                aaa.requests.push(request.clone());
                aaa.backend.submit(now, request).unwrap();
                let result = aaa.backend.poll_result(now).unwrap();
                verdicts.push((now + aaa.delay_ms, result.outcome));
            }
            out.server_events.push((now, e));
        }
        while let Some(e) = client.poll_event() {
            out.client_events.push((now, e));
        }
        let next = [server.poll_timeout(), client.poll_timeout(), s2c.next_at(), c2s.next_at()]
            .into_iter()
            .flatten()
            .chain(verdicts.iter().map(|v| v.0))
            .min();
        match next {
            Some(t) if t <= until => now = now.max(t),
            _ => return out,
        }
        while let Some(i) = verdicts.iter().position(|v| v.0 <= now) {
            let (_, outcome) = verdicts.remove(i);
            if let Err(e) = server.verdict(now, outcome) {
                out.verdict_errors.push(e);
            }
        }
        while let Some(p) = s2c.pop_due(now) {
            client.handle_packet(now, &p);
        }
        while let Some(p) = c2s.pop_due(now) {
            server.handle_packet(now, &p);
        }
        if server.poll_timeout().is_some_and(|t| t <= now) {
            server.handle_timeout(now);
        }
        if client.poll_timeout().is_some_and(|t| t <= now) {
            client.handle_timeout(now);
        }
    }
    panic!("the machines never settled: a timer that does not move?");
}

fn clean() -> [Faults; 2] {
    [Faults::default(), Faults::default()]
}

fn pap_pair(user: &str, password: &str) -> (PapServer, PapClient) {
    let server = PapServer::new(0, pap::ServerConfig::default()).unwrap();
    let client = PapClient::new(0, pap::ClientConfig::new(user, password), 1).unwrap();
    (server, client)
}

fn chap_pair(user: &str, secret: &str) -> (ChapEnd, ChapClient) {
    let server = ChapEnd::new(0, chap::ServerConfig::new("dpvpn"), 1);
    let client = ChapClient::new(0, chap::ClientConfig::new(user, secret)).unwrap();
    (server, client)
}

fn pap(bytes: &[u8]) -> PapRepr<'_> {
    PapRepr::parse(&ControlPacket::new_checked(bytes).unwrap()).unwrap()
}

fn chap_repr(bytes: &[u8]) -> ChapRepr<'_> {
    ChapRepr::parse(&ControlPacket::new_checked(bytes).unwrap()).unwrap()
}

fn emit_pap(repr: PapRepr<'_>) -> Vec<u8> {
    let mut b = vec![0; repr.buffer_len()];
    repr.emit(&mut b).unwrap();
    b
}

fn emit_chap(repr: ChapRepr<'_>) -> Vec<u8> {
    let mut b = vec![0; repr.buffer_len()];
    repr.emit(&mut b).unwrap();
    b
}

fn drain_server(s: &mut dyn Server) -> (Vec<Vec<u8>>, Vec<ServerEvent>) {
    let mut packets = Vec::new();
    while let Some(p) = s.poll_transmit() {
        packets.push(p);
    }
    let mut events = Vec::new();
    while let Some(e) = s.poll_event() {
        events.push(e);
    }
    (packets, events)
}

// ---- PAP ----

#[test]
fn pap_right_password_end_to_end_with_the_local_users_file() {
    let (mut server, mut client) = pap_pair("alice", "secret");
    let mut aaa = Aaa::new(0);
    let r = run(&mut server, &mut client, &mut aaa, clean(), 1, 60_000);
    assert_eq!(r.verifies(), 1);
    assert_eq!(aaa.requests[0].username, b"alice");
    assert_eq!(aaa.requests[0].credentials, Credentials::Pap { password: b"secret".to_vec() });
    match &r.server_outcomes()[..] {
        [(_, ServerEvent::Verify { .. }), (_, ServerEvent::Success { username, attributes })] => {
            assert_eq!(username, b"alice");
            assert_eq!(attributes.pool.as_deref(), Some("lab"));
            assert_eq!(attributes.session_timeout_s, Some(86_400));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(r.client_outcomes(), [(0, ClientEvent::Success { message: b"Login ok".to_vec() })]);
    assert_eq!((server.state(), client.state()), (ServerState::Accepted, ClientState::Accepted));
    // One request, one Ack, same identifier.
    assert_eq!(r.from_client.len(), 1);
    assert_eq!(r.from_server.len(), 1);
    assert_eq!(pap(&r.from_server[0].1), PapRepr::AuthenticateAck { identifier: 1, message: b"Login ok" });
    assert_eq!((server.poll_timeout(), client.poll_timeout()), (None, None));
}

#[test]
fn pap_wrong_password_gets_a_nak_with_the_reject_message() {
    for (user, password) in [("alice", "Secret"), ("mallory", "secret")] {
        let (mut server, mut client) = pap_pair(user, password);
        let mut aaa = Aaa::new(0);
        let r = run(&mut server, &mut client, &mut aaa, clean(), 1, 60_000);
        assert_eq!(r.verifies(), 1);
        match &r.server_outcomes()[1] {
            (_, ServerEvent::Failure { username, reason }) => {
                assert_eq!(username, user.as_bytes());
                let kind = if user == "alice" { RejectKind::WrongPassword } else { RejectKind::UnknownUser };
                assert_eq!(reason.kind, kind);
                assert_eq!(reason.message, AUTH_FAILED);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            pap(&r.from_server[0].1),
            PapRepr::AuthenticateNak { identifier: 1, message: AUTH_FAILED.as_bytes() }
        );
        assert_eq!(r.client_outcomes(), [(0, ClientEvent::Failure { message: AUTH_FAILED.as_bytes().to_vec() })]);
        assert_eq!((server.state(), client.state()), (ServerState::Rejected, ClientState::Rejected));
    }
}

#[test]
fn pap_late_verdict_is_not_asked_twice_and_answers_the_last_request() {
    // The verdict takes 7 s (a slow RADIUS): the client retransmits at 3 s and 6 s, each
    // time under a new identifier (RFC 1334 §2.2.1).
    let (mut server, mut client) = pap_pair("alice", "secret");
    let mut aaa = Aaa::new(7_000);
    let r = run(&mut server, &mut client, &mut aaa, clean(), 1, 60_000);
    let ids: Vec<u8> = r.from_client.iter().map(|(_, p)| pap(p).identifier()).collect();
    assert_eq!(ids, [1, 2, 3]);
    assert_eq!(r.verifies(), 1);
    assert_eq!(r.server_discards(DiscardReason::AwaitingVerdict), 2);
    assert_eq!(r.from_server.len(), 1);
    assert_eq!(r.from_server[0].0, 7_000);
    assert_eq!(pap(&r.from_server[0].1), PapRepr::AuthenticateAck { identifier: 3, message: b"Login ok" });
    assert_eq!(r.client_outcomes(), [(7_000, ClientEvent::Success { message: b"Login ok".to_vec() })]);
}

#[test]
fn pap_a_lost_ack_is_sent_again_without_a_second_verification() {
    for password in ["secret", "wrong"] {
        let (mut server, mut client) = pap_pair("alice", password);
        let mut aaa = Aaa::new(0);
        let faults = [Faults { drop: vec![0], ..Faults::default() }, Faults::default()];
        let r = run(&mut server, &mut client, &mut aaa, faults, 1, 60_000);
        assert_eq!(r.verifies(), 1);
        assert_eq!(r.from_server.len(), 2);
        let (first, second) = (pap(&r.from_server[0].1), pap(&r.from_server[1].1));
        assert_eq!((first.code(), first.identifier()), (second.code(), 1));
        assert_eq!(second.identifier(), 2);
        let want = if password == "secret" { ClientState::Accepted } else { ClientState::Rejected };
        assert_eq!(client.state(), want);
        assert_eq!(r.client_outcomes().len(), 1);
        assert_eq!(r.client_outcomes()[0].0, 3_000);
    }
}

#[test]
fn pap_any_later_request_gets_the_same_answer() {
    // RFC 1334 §2.2.1: repeated requests after the phase completed get the reply code of the
    // phase, whatever they carry, so other passwords cannot be tried.
    let mut server = PapServer::new(0, pap::ServerConfig::default()).unwrap();
    server.handle_packet(
        0,
        &emit_pap(PapRepr::AuthenticateRequest { identifier: 7, peer_id: b"alice", password: b"bad" }),
    );
    server.verdict(0, AuthOutcome::Reject(reject(RejectKind::WrongPassword, AUTH_FAILED))).unwrap();
    let (packets, _) = drain_server(&mut server);
    assert_eq!(pap(&packets[0]), PapRepr::AuthenticateNak { identifier: 7, message: AUTH_FAILED.as_bytes() });
    server.handle_packet(
        1,
        &emit_pap(PapRepr::AuthenticateRequest { identifier: 8, peer_id: b"alice", password: b"secret" }),
    );
    let (packets, events) = drain_server(&mut server);
    assert_eq!(pap(&packets[0]), PapRepr::AuthenticateNak { identifier: 8, message: AUTH_FAILED.as_bytes() });
    assert!(events.is_empty(), "{events:?}");
    assert_eq!(
        server.verdict(2, AuthOutcome::Accept(Default::default())),
        Err(VerdictError { state: ServerState::Rejected })
    );
    assert!(drain_server(&mut server).0.is_empty());
}

fn reject(kind: RejectKind, message: &str) -> controlplane::aaa::Reject {
    controlplane::aaa::Reject { kind, message: message.to_string() }
}

#[test]
fn pap_over_a_lossy_duplicating_reordering_link() {
    let faults = |loss| Faults { loss, duplicate: 0.2, delay_ms: 5, jitter_ms: 4_000, drop: Vec::new() };
    for (password, want) in [("secret", ClientState::Accepted), ("nope", ClientState::Rejected)] {
        let (mut settled, mut awaiting, mut answered_again) = (0, 0, 0);
        for seed in 0..300 {
            let (mut server, mut client) = pap_pair("alice", password);
            let mut aaa = Aaa::new(2_000);
            let r = run(&mut server, &mut client, &mut aaa, [faults(0.3), faults(0.3)], seed, 120_000);
            assert!(r.verifies() <= 1, "seed {seed}: verified {} times", r.verifies());
            assert!(r.verdict_errors.is_empty());
            let state = client.state();
            assert!(state == want || state == ClientState::TimedOut, "seed {seed}: {state:?}");
            if state == want {
                settled += 1;
                let outcomes = r.client_outcomes();
                assert_eq!(outcomes.len(), 1, "seed {seed}: {outcomes:?}");
            }
            // What the server decided is what it answered, every time.
            for (_, p) in &r.from_server {
                let code = pap(p).code();
                assert_eq!(code.0, if password == "secret" { 2 } else { 3 }, "seed {seed}");
            }
            // Every Ack/Nak echoes the identifier of a request the client sent.
            for (_, p) in &r.from_server {
                let id = pap(p).identifier();
                assert!(r.from_client.iter().any(|(_, q)| pap(q).identifier() == id), "seed {seed}");
            }
            assert!(r.from_client.len() <= 10);
            awaiting += r.server_discards(DiscardReason::AwaitingVerdict);
            answered_again += r.from_server.len().saturating_sub(1);
        }
        assert!(settled >= 295, "{password}: only {settled} of 300 runs got an answer");
        // The runs did go through retransmissions while pending and repeated answers.
        assert!(awaiting > 100 && answered_again > 100, "{awaiting} {answered_again}");
    }
}

#[test]
fn pap_silent_peer_times_out_and_then_ignores_everything() {
    let config = pap::ServerConfig { request_timeout_ms: 30_000, ..Default::default() };
    let mut server = PapServer::new(1_000, config).unwrap();
    assert_eq!(server.poll_timeout(), Some(31_000));
    server.handle_timeout(30_999);
    assert_eq!(server.state(), ServerState::Waiting);
    server.handle_timeout(31_000);
    assert_eq!(server.poll_event(), Some(ServerEvent::Failed { reason: FailReason::Timeout }));
    assert_eq!((server.state(), server.poll_timeout()), (ServerState::TimedOut, None));
    server.handle_packet(
        32_000,
        &emit_pap(PapRepr::AuthenticateRequest { identifier: 1, peer_id: b"alice", password: b"secret" }),
    );
    assert_eq!(
        server.poll_event(),
        Some(ServerEvent::Discarded { code: 1, identifier: 1, reason: DiscardReason::Finished })
    );
    assert_eq!(server.poll_transmit(), None);
    assert_eq!(
        server.verdict(33_000, AuthOutcome::Accept(Default::default())),
        Err(VerdictError { state: ServerState::TimedOut })
    );
}

#[test]
fn pap_client_against_a_silent_server_retransmits_ten_times_then_fails() {
    let mut server = PapServer::new(0, pap::ServerConfig::default()).unwrap();
    let mut client = PapClient::new(0, pap::ClientConfig::new("alice", "secret"), 250).unwrap();
    let mut aaa = Aaa::new(0);
    let all_lost = [Faults::default(), Faults { loss: 1.0, ..Faults::default() }];
    let r = run(&mut server, &mut client, &mut aaa, all_lost, 1, 120_000);
    let sent: Vec<(u64, u8)> = r.from_client.iter().map(|(t, p)| (*t, pap(p).identifier())).collect();
    let want: Vec<(u64, u8)> = (0..10).map(|i| (i * 3_000, 250u8.wrapping_add(i as u8))).collect();
    assert_eq!(sent, want);
    assert_eq!(r.client_outcomes(), [(30_000, ClientEvent::Failed { reason: FailReason::Timeout })]);
    assert_eq!(r.server_outcomes(), [(30_000, ServerEvent::Failed { reason: FailReason::Timeout })]);
    // A reply arriving afterwards changes nothing.
    client.handle_packet(40_000, &emit_pap(PapRepr::AuthenticateAck { identifier: 250, message: b"" }));
    assert_eq!(
        client.poll_event(),
        Some(ClientEvent::Discarded { code: 2, identifier: 250, reason: DiscardReason::Finished })
    );
    assert_eq!(client.state(), ClientState::TimedOut);
}

#[test]
fn pap_verdict_after_the_client_gave_up() {
    // The client gives up at 30 s; the verdict arrives at 35 s. The server answers and
    // reports; the client ignores the late Ack. Both ends are in a final, defined state.
    let (mut server, mut client) = pap_pair("alice", "secret");
    let mut aaa = Aaa::new(35_000);
    let r = run(&mut server, &mut client, &mut aaa, clean(), 1, 120_000);
    assert_eq!(r.verifies(), 1);
    assert_eq!(r.server_discards(DiscardReason::AwaitingVerdict), 9);
    assert_eq!(r.client_outcomes(), [(30_000, ClientEvent::Failed { reason: FailReason::Timeout })]);
    assert!(matches!(r.server_outcomes()[..], [_, (35_000, ServerEvent::Success { .. })]));
    assert_eq!(pap(&r.from_server[0].1).identifier(), 10);
    assert_eq!(r.client_discards(DiscardReason::Finished), 1);
    assert_eq!((server.state(), client.state()), (ServerState::Accepted, ClientState::TimedOut));
}

#[test]
fn pap_server_ignores_and_counts_what_a_misbehaving_peer_sends() {
    let mut server = PapServer::new(0, pap::ServerConfig::default()).unwrap();
    let request = emit_pap(PapRepr::AuthenticateRequest { identifier: 4, peer_id: b"alice", password: b"secret" });
    // Every truncation of a good request, and a Length beyond the bytes.
    for n in 0..request.len() {
        server.handle_packet(0, &request[..n]);
    }
    let mut long = request.clone();
    long[3] += 1;
    server.handle_packet(0, &long);
    // An Ack and a Nak sent to the authenticator, an unknown code.
    server.handle_packet(0, &emit_pap(PapRepr::AuthenticateAck { identifier: 4, message: b"hi" }));
    server.handle_packet(0, &emit_pap(PapRepr::AuthenticateNak { identifier: 4, message: b"" }));
    server.handle_packet(0, &[9, 4, 0, 4]);
    let (packets, events) = drain_server(&mut server);
    assert!(packets.is_empty());
    assert_eq!(events.len(), request.len() + 4);
    let malformed = events
        .iter()
        .filter(|e| matches!(e, ServerEvent::Discarded { reason: DiscardReason::Malformed(_), .. }))
        .count();
    assert_eq!(malformed, request.len() + 2, "{events:?}");
    assert!(events.contains(&ServerEvent::Discarded { code: 2, identifier: 4, reason: DiscardReason::UnexpectedCode }));
    assert!(events.contains(&ServerEvent::Discarded {
        code: 9,
        identifier: 4,
        reason: DiscardReason::Malformed(WireError::UnknownType)
    }));
    assert_eq!(server.state(), ServerState::Waiting);

    // Padding after Length is fine (PPPoE pads to the Ethernet minimum).
    let mut padded = request.clone();
    padded.extend_from_slice(&[0; 20]);
    server.handle_packet(0, &padded);
    let (_, events) = drain_server(&mut server);
    assert_eq!(
        events,
        [ServerEvent::Verify {
            username: b"alice".to_vec(),
            credentials: Credentials::Pap { password: b"secret".to_vec() }
        }]
    );
    // Other credentials while the verdict is pending: not verified, not answered.
    server.handle_packet(
        0,
        &emit_pap(PapRepr::AuthenticateRequest { identifier: 5, peer_id: b"alice", password: b"guess" }),
    );
    server.handle_packet(
        0,
        &emit_pap(PapRepr::AuthenticateRequest { identifier: 6, peer_id: b"root", password: b"secret" }),
    );
    let (packets, events) = drain_server(&mut server);
    assert!(packets.is_empty());
    assert_eq!(
        events,
        [
            ServerEvent::Discarded { code: 1, identifier: 5, reason: DiscardReason::CredentialsChanged },
            ServerEvent::Discarded { code: 1, identifier: 6, reason: DiscardReason::CredentialsChanged },
        ]
    );
    // The verdict answers the request that carried its credentials, not the later ones.
    server.verdict(1, AuthOutcome::Accept(Default::default())).unwrap();
    let (packets, _) = drain_server(&mut server);
    assert_eq!(pap(&packets[0]), PapRepr::AuthenticateAck { identifier: 4, message: b"Login ok" });
}

#[test]
fn pap_client_ignores_and_counts_what_a_misbehaving_server_sends() {
    let mut client = PapClient::new(0, pap::ClientConfig::new("alice", "secret"), 1).unwrap();
    let request = client.poll_transmit().unwrap();
    assert_eq!(pap(&request), PapRepr::AuthenticateRequest { identifier: 1, peer_id: b"alice", password: b"secret" });
    // A reply to an identifier never sent, a request sent to the peer, truncated replies.
    client.handle_packet(0, &emit_pap(PapRepr::AuthenticateAck { identifier: 2, message: b"" }));
    client.handle_packet(0, &request);
    let ack = emit_pap(PapRepr::AuthenticateAck { identifier: 1, message: b"welcome" });
    for n in 0..ack.len() {
        client.handle_packet(0, &ack[..n]);
    }
    assert_eq!(client.state(), ClientState::Authenticating);
    let mut events = Vec::new();
    while let Some(e) = client.poll_event() {
        events.push(e);
    }
    assert_eq!(events[0], ClientEvent::Discarded { code: 2, identifier: 2, reason: DiscardReason::StaleIdentifier });
    assert_eq!(events[1], ClientEvent::Discarded { code: 1, identifier: 1, reason: DiscardReason::UnexpectedCode });
    assert_eq!(events.len(), 2 + ack.len());
    // An Ack with an empty data field (no Msg-Length; some servers send that) is an Ack.
    client.handle_packet(0, &[2, 1, 0, 4]);
    assert_eq!(client.poll_event(), Some(ClientEvent::Success { message: Vec::new() }));
    client.handle_packet(0, &ack);
    assert_eq!(
        client.poll_event(),
        Some(ClientEvent::Discarded { code: 2, identifier: 1, reason: DiscardReason::AlreadyAnswered })
    );
    client.handle_packet(0, &emit_pap(PapRepr::AuthenticateNak { identifier: 1, message: b"" }));
    assert_eq!(
        client.poll_event(),
        Some(ClientEvent::Discarded { code: 3, identifier: 1, reason: DiscardReason::Finished })
    );
    assert_eq!(client.state(), ClientState::Accepted);
}

#[test]
fn pap_reject_messages_are_cut_to_the_msg_length_field() {
    let mut server = PapServer::new(0, pap::ServerConfig::default()).unwrap();
    server.handle_packet(0, &emit_pap(PapRepr::AuthenticateRequest { identifier: 1, peer_id: b"a", password: b"b" }));
    // 254 ASCII octets, then a 2-octet character that would straddle octet 255.
    let message = format!("{}é and more", "x".repeat(254));
    server.verdict(0, AuthOutcome::Reject(reject(RejectKind::BackendError, &message))).unwrap();
    let nak = server.poll_transmit().unwrap();
    assert_eq!(pap(&nak), PapRepr::AuthenticateNak { identifier: 1, message: "x".repeat(254).as_bytes() });
}

#[test]
fn configuration_errors_name_the_key() {
    let e = |r: Result<(), ConfigError>| r.unwrap_err().to_string();
    let s = pap::ServerConfig { request_timeout_ms: 0, ..Default::default() };
    assert_eq!(e(s.check()), "request_timeout_ms: a timer must be at least 1 ms");
    let s = pap::ServerConfig { ack_message: vec![b'a'; 256], ..Default::default() };
    assert_eq!(e(s.check()), "ack_message: 256 octets, at most 255 fit");
    let c = pap::ClientConfig::new(vec![b'u'; 300], "p");
    assert_eq!(e(c.check()), "username: 300 octets, at most 255 fit");
    let c = pap::ClientConfig { max_requests: 0, ..pap::ClientConfig::new("u", "p") };
    assert_eq!(e(c.check()), "max_requests: 0 is out of range: 1 to 255 transmissions (one identifier each)");
    assert!(PapClient::new(0, pap::ClientConfig { max_requests: 256, ..pap::ClientConfig::new("u", "p") }, 0).is_err());
    assert_eq!(e(chap::ServerConfig::new("").check()), "name: must not be empty");
    assert_eq!(e(chap::ClientConfig::new("bob", "").check()), "secret: must not be empty");
    let c = chap::ServerConfig { restart_ms: 0, ..chap::ServerConfig::new("dpvpn") };
    assert_eq!(e(c.check()), "restart_ms: a timer must be at least 1 ms");
    // Secrets stay out of Debug output.
    let debug =
        format!("{:?} {:?}", pap::ClientConfig::new("alice", "s3cr3t"), chap::ClientConfig::new("bob", "s3cr3t"));
    assert!(!debug.contains("s3cr3t") && debug.contains("alice"), "{debug}");
}

// ---- CHAP ----

#[test]
fn chap_right_secret_end_to_end_with_the_local_users_file() {
    let (mut server, mut client) = chap_pair("user42@lab", "lab");
    let mut aaa = Aaa::new(0);
    let r = run(&mut server, &mut client, &mut aaa, clean(), 1, 60_000);
    assert_eq!(r.verifies(), 1);
    let challenge = chap_repr(&r.from_server[0].1);
    let ChapRepr::Challenge { identifier: 1, value, name: b"dpvpn" } = challenge else { panic!("{challenge:?}") };
    assert_eq!(value.len(), 16);
    let response = chap_repr(&r.from_client[0].1);
    let ChapRepr::Response { identifier: 1, value: response_value, name: b"user42@lab" } = response else {
        panic!("{response:?}")
    };
    assert_eq!(aaa.requests[0].username, b"user42@lab");
    assert_eq!(
        aaa.requests[0].credentials,
        Credentials::Chap { id: 1, challenge: value.to_vec(), response: response_value.to_vec() }
    );
    assert!(matches!(&r.server_outcomes()[1], (_, ServerEvent::Success { username, attributes })
        if username == b"user42@lab" && attributes.pool.as_deref() == Some("lab")));
    assert_eq!(chap_repr(&r.from_server[1].1), ChapRepr::Success { identifier: 1, message: b"Login ok" });
    assert_eq!(r.client_outcomes(), [(0, ClientEvent::Success { message: b"Login ok".to_vec() })]);
    assert_eq!((server.state(), client.state()), (ServerState::Accepted, ClientState::Accepted));
    assert_eq!((r.from_server.len(), r.from_client.len()), (2, 1));
    assert_eq!((server.poll_timeout(), client.poll_timeout()), (None, None));
}

#[test]
fn chap_wrong_secret_gets_a_failure_with_the_reject_message() {
    for (user, secret) in [("bob", "hunter3"), ("user1001@lab", "lab")] {
        let (mut server, mut client) = chap_pair(user, secret);
        let mut aaa = Aaa::new(0);
        let r = run(&mut server, &mut client, &mut aaa, clean(), 1, 60_000);
        assert_eq!(r.verifies(), 1);
        assert!(matches!(&r.server_outcomes()[1], (_, ServerEvent::Failure { username, reason })
            if username == user.as_bytes() && reason.message == AUTH_FAILED));
        assert_eq!(
            chap_repr(&r.from_server[1].1),
            ChapRepr::Failure { identifier: 1, message: AUTH_FAILED.as_bytes() }
        );
        assert_eq!(r.client_outcomes(), [(0, ClientEvent::Failure { message: AUTH_FAILED.as_bytes().to_vec() })]);
        assert_eq!((server.state(), client.state()), (ServerState::Rejected, ClientState::Rejected));
    }
}

#[test]
fn chap_late_verdict_is_not_asked_twice() {
    // The verdict takes 7 s; the client repeats its Response at 3 s and 6 s.
    let (mut server, mut client) = chap_pair("bob", "hunter2");
    let mut aaa = Aaa::new(7_000);
    let r = run(&mut server, &mut client, &mut aaa, clean(), 1, 60_000);
    assert_eq!(r.verifies(), 1);
    let times: Vec<u64> = r.from_client.iter().map(|(t, _)| *t).collect();
    assert_eq!(times, [0, 3_000, 6_000]);
    assert_eq!(r.server_discards(DiscardReason::AwaitingVerdict), 2);
    // No Challenge retransmission while the verdict is pending.
    assert_eq!(r.from_server.len(), 2);
    assert_eq!(r.from_server[1].0, 7_000);
    assert_eq!(r.client_outcomes(), [(7_000, ClientEvent::Success { message: b"Login ok".to_vec() })]);
}

#[test]
fn chap_a_lost_success_is_sent_again_for_the_repeated_response() {
    for (secret, want) in [("hunter2", ClientState::Accepted), ("wrong", ClientState::Rejected)] {
        let (mut server, mut client) = chap_pair("bob", secret);
        let mut aaa = Aaa::new(0);
        // Packet 0 is the Challenge, 1 the Success or Failure.
        let faults = [Faults { drop: vec![1], ..Faults::default() }, Faults::default()];
        let r = run(&mut server, &mut client, &mut aaa, faults, 1, 60_000);
        assert_eq!(r.verifies(), 1);
        assert_eq!(r.from_server.len(), 3);
        assert_eq!(r.from_server[1].1, r.from_server[2].1);
        assert_eq!(r.from_server[2].0, 3_000);
        assert_eq!(client.state(), want);
        assert_eq!(r.client_outcomes().len(), 1);
    }
}

#[test]
fn chap_over_a_lossy_duplicating_reordering_link() {
    // Packets overtake each other by up to 1.2 s; unlike PAP's test, the round trip stays
    // below the 3 s restart timer: every Challenge has a new identifier, so a Response that
    // comes back after the next Challenge left is stale (see the chap module documentation).
    let faults = |loss| Faults { loss, duplicate: 0.2, delay_ms: 5, jitter_ms: 1_200, drop: Vec::new() };
    for (secret, want) in [("hunter2", ClientState::Accepted), ("nope", ClientState::Rejected)] {
        let (mut settled, mut stale, mut awaiting, mut answered_again) = (0, 0, 0, 0);
        for seed in 0..300 {
            let (mut server, mut client) = chap_pair("bob", secret);
            let mut aaa = Aaa::new(2_000);
            let r = run(&mut server, &mut client, &mut aaa, [faults(0.3), faults(0.3)], seed, 120_000);
            assert!(r.verifies() <= 1, "seed {seed}: verified {} times", r.verifies());
            assert!(r.verdict_errors.is_empty());
            let state = client.state();
            assert!(state == want || state == ClientState::TimedOut, "seed {seed}: {state:?}");
            if state == want {
                settled += 1;
                assert_eq!(r.client_outcomes().len(), 1, "seed {seed}");
            }
            // Challenges: new identifier and new value each time (RFC 1994 §4.1), at most 10.
            let challenges: Vec<(u8, Vec<u8>)> = r
                .from_server
                .iter()
                .filter_map(|(_, p)| match chap_repr(p) {
                    ChapRepr::Challenge { identifier, value, .. } => Some((identifier, value.to_vec())),
                    _ => None,
                })
                .collect();
            assert!(challenges.len() <= 10);
            for (i, c) in challenges.iter().enumerate() {
                assert!(challenges[..i].iter().all(|d| d.0 != c.0 && d.1 != c.1), "seed {seed}");
            }
            // The server verified only a Response to its latest Challenge.
            if let Some(request) = aaa.requests.first() {
                let Credentials::Chap { id, challenge, .. } = &request.credentials else { panic!() };
                assert!(challenges.contains(&(*id, challenge.clone())), "seed {seed}");
            }
            stale += r.server_discards(DiscardReason::StaleIdentifier);
            awaiting += r.server_discards(DiscardReason::AwaitingVerdict);
            answered_again += (r.from_server.len() - challenges.len()).saturating_sub(1);
        }
        assert!(settled >= 295, "{secret}: only {settled} of 300 runs got an answer");
        assert!(stale > 20 && awaiting > 100 && answered_again > 50, "{stale} {awaiting} {answered_again}");
    }
}

#[test]
fn chap_silent_peer_gets_ten_fresh_challenges_then_the_phase_fails() {
    let mut server = ChapEnd::new(0, chap::ServerConfig::new("dpvpn"), 254);
    let mut client = ChapClient::new(0, chap::ClientConfig::new("bob", "hunter2")).unwrap();
    let mut aaa = Aaa::new(0);
    let all_lost = [Faults { loss: 1.0, ..Faults::default() }, Faults::default()];
    let r = run(&mut server, &mut client, &mut aaa, all_lost, 1, 120_000);
    let sent: Vec<(u64, u8)> = r.from_server.iter().map(|(t, p)| (*t, chap_repr(p).identifier())).collect();
    let want: Vec<(u64, u8)> = (0..10).map(|i| (i * 3_000, 254u8.wrapping_add(i as u8))).collect();
    assert_eq!(sent, want);
    assert_eq!(r.server_outcomes(), [(30_000, ServerEvent::Failed { reason: FailReason::Timeout })]);
    assert_eq!(r.client_outcomes(), [(30_000, ClientEvent::Failed { reason: FailReason::Timeout })]);
    assert_eq!(server.state(), ServerState::TimedOut);
    assert_eq!(server.machine.identifier(), None);
    server.handle_packet(31_000, &emit_chap(ChapRepr::Response { identifier: 7, value: &[0; 16], name: b"bob" }));
    assert_eq!(
        server.poll_event(),
        Some(ServerEvent::Discarded { code: 2, identifier: 7, reason: DiscardReason::Finished })
    );
}

#[test]
fn chap_responses_to_an_earlier_challenge_are_discarded() {
    let mut server = ChapEnd::new(0, chap::ServerConfig::new("dpvpn"), 1);
    let (packets, _) = drain_server(&mut server);
    let ChapRepr::Challenge { identifier: 1, value: first, .. } = chap_repr(&packets[0]) else { panic!() };
    let first = first.to_vec();
    server.handle_timeout(2_999);
    assert!(drain_server(&mut server).0.is_empty());
    server.handle_timeout(3_000);
    let (packets, _) = drain_server(&mut server);
    let ChapRepr::Challenge { identifier: 2, value: second, .. } = chap_repr(&packets[0]) else { panic!() };
    assert_ne!(first, second);
    let second = second.to_vec();
    // The peer's answer to Challenge 1 arrives late: discarded, the timer goes on.
    let late = chap_md5_for(1, b"hunter2", &first);
    server.handle_packet(3_100, &emit_chap(ChapRepr::Response { identifier: 1, value: &late, name: b"bob" }));
    let (packets, events) = drain_server(&mut server);
    assert!(packets.is_empty());
    assert_eq!(events, [ServerEvent::Discarded { code: 2, identifier: 1, reason: DiscardReason::StaleIdentifier }]);
    assert_eq!(server.poll_timeout(), Some(6_000));
    // The answer to Challenge 2 is verified.
    let good = chap_md5_for(2, b"hunter2", &second);
    server.handle_packet(3_200, &emit_chap(ChapRepr::Response { identifier: 2, value: &good, name: b"bob" }));
    let (_, events) = drain_server(&mut server);
    assert_eq!(
        events,
        [ServerEvent::Verify {
            username: b"bob".to_vec(),
            credentials: Credentials::Chap { id: 2, challenge: second, response: good.to_vec() }
        }]
    );
    assert_eq!(server.poll_timeout(), None);
}

fn chap_md5_for(id: u8, secret: &[u8], challenge: &[u8]) -> [u8; 16] {
    controlplane::aaa::chap_md5_response(id, secret, challenge)
}

#[test]
fn chap_repeated_responses_after_the_verdict_get_the_same_code() {
    // RFC 1994 §4.1: a Response with the current identifier gets the code already returned,
    // whatever its Value or Name; others are discarded.
    for accept in [true, false] {
        let mut server = ChapEnd::new(0, chap::ServerConfig::new("dpvpn"), 9);
        let (packets, _) = drain_server(&mut server);
        let ChapRepr::Challenge { value, .. } = chap_repr(&packets[0]) else { panic!() };
        let good = chap_md5_for(9, b"hunter2", value);
        server.handle_packet(10, &emit_chap(ChapRepr::Response { identifier: 9, value: &good, name: b"bob" }));
        let outcome = if accept {
            AuthOutcome::Accept(Default::default())
        } else {
            AuthOutcome::Reject(reject(RejectKind::WrongPassword, "Go away"))
        };
        server.verdict(20, outcome).unwrap();
        let (first, _) = drain_server(&mut server);
        server.handle_packet(30, &emit_chap(ChapRepr::Response { identifier: 9, value: &[0; 16], name: b"eve" }));
        server.handle_packet(40, &emit_chap(ChapRepr::Response { identifier: 9, value: &good, name: b"bob" }));
        server.handle_packet(50, &emit_chap(ChapRepr::Response { identifier: 10, value: &good, name: b"bob" }));
        let (again, events) = drain_server(&mut server);
        assert_eq!(again, [first[0].clone(), first[0].clone()]);
        let want = if accept {
            ChapRepr::Success { identifier: 9, message: b"Login ok" }
        } else {
            ChapRepr::Failure { identifier: 9, message: b"Go away" }
        };
        assert_eq!(chap_repr(&again[0]), want);
        assert_eq!(
            events,
            [ServerEvent::Discarded { code: 2, identifier: 10, reason: DiscardReason::StaleIdentifier }]
        );
        assert!(server.verdict(60, AuthOutcome::Accept(Default::default())).is_err());
    }
}

#[test]
fn chap_server_ignores_and_counts_what_a_misbehaving_peer_sends() {
    let mut server = ChapEnd::new(0, chap::ServerConfig::new("dpvpn"), 1);
    let (packets, _) = drain_server(&mut server);
    let challenge = packets[0].clone();
    let ChapRepr::Challenge { value, .. } = chap_repr(&challenge) else { panic!() };
    let good = chap_md5_for(1, b"hunter2", value);
    let response = emit_chap(ChapRepr::Response { identifier: 1, value: &good, name: b"bob" });
    // Truncations of a good Response (those shorter than its Value-Size), a Success and a
    // Failure sent to the authenticator, its own Challenge reflected, wrong identifiers.
    for n in 0..5 + 16 {
        server.handle_packet(0, &response[..n]);
    }
    server.handle_packet(0, &emit_chap(ChapRepr::Success { identifier: 1, message: b"" }));
    server.handle_packet(0, &emit_chap(ChapRepr::Failure { identifier: 1, message: b"" }));
    server.handle_packet(0, &challenge);
    for id in [0, 2, 255] {
        server.handle_packet(0, &emit_chap(ChapRepr::Response { identifier: id, value: &good, name: b"bob" }));
    }
    let (packets, events) = drain_server(&mut server);
    assert!(packets.is_empty());
    let count = |reason: DiscardReason| {
        events.iter().filter(|e| matches!(e, ServerEvent::Discarded { reason: r, .. } if *r == reason)).count()
    };
    let malformed = events
        .iter()
        .filter(|e| matches!(e, ServerEvent::Discarded { reason: DiscardReason::Malformed(_), .. }))
        .count();
    assert_eq!(malformed, 21);
    assert_eq!(count(DiscardReason::UnexpectedCode), 3);
    assert_eq!(count(DiscardReason::StaleIdentifier), 3);
    assert_eq!(events.len(), 27);
    assert_eq!(server.state(), ServerState::Waiting);
    // The real Response still works.
    server.handle_packet(1, &response);
    assert!(matches!(drain_server(&mut server).1[..], [ServerEvent::Verify { .. }]));
}

#[test]
fn chap_response_that_is_not_md5_is_refused_without_verification() {
    // An MS-CHAPv2-shaped Response (49 octets) to an MD5 Challenge, and a short one.
    for len in [49, 15, 0] {
        let mut server = ChapEnd::new(0, chap::ServerConfig::new("dpvpn"), 1);
        drain_server(&mut server);
        let value = vec![0; len];
        server.handle_packet(10, &emit_chap(ChapRepr::Response { identifier: 1, value: &value, name: b"bob" }));
        let (packets, events) = drain_server(&mut server);
        assert_eq!(
            chap_repr(&packets[0]),
            ChapRepr::Failure { identifier: 1, message: chap::MALFORMED_RESPONSE.as_bytes() }
        );
        match &events[..] {
            [ServerEvent::Failure { username, reason }] => {
                assert_eq!(username, b"bob");
                assert_eq!(reason.kind, RejectKind::Malformed);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(server.state(), ServerState::Rejected);
    }
}

#[test]
fn chap_verdict_after_the_client_gave_up() {
    let (mut server, mut client) = chap_pair("bob", "hunter2");
    let mut aaa = Aaa::new(35_000);
    let r = run(&mut server, &mut client, &mut aaa, clean(), 1, 120_000);
    assert_eq!(r.verifies(), 1);
    assert_eq!(r.client_outcomes(), [(30_000, ClientEvent::Failed { reason: FailReason::Timeout })]);
    assert!(matches!(r.server_outcomes()[..], [_, (35_000, ServerEvent::Success { .. })]));
    assert_eq!(r.client_discards(DiscardReason::Finished), 1);
    // Ten Responses: the first and nine repetitions, 3 s apart, all before 30 s.
    assert_eq!(r.from_client.len(), 10);
    assert_eq!((server.state(), client.state()), (ServerState::Accepted, ClientState::TimedOut));
}

#[test]
fn chap_client_answers_challenges_and_rechallenges() {
    let mut client = ChapClient::new(0, chap::ClientConfig::new("bob", "hunter2")).unwrap();
    assert_eq!(client.poll_timeout(), Some(30_000));
    let challenge = emit_chap(ChapRepr::Challenge { identifier: 0x2a, value: &[7; 16], name: b"bras" });
    client.handle_packet(100, &challenge);
    let response = client.poll_transmit().unwrap();
    let expected = chap_md5_for(0x2a, b"hunter2", &[7; 16]);
    assert_eq!(chap_repr(&response), ChapRepr::Response { identifier: 0x2a, value: &expected, name: b"bob" });
    // The same Challenge again (a server that re-sends it): the same Response.
    client.handle_packet(200, &challenge);
    assert_eq!(client.poll_transmit().unwrap(), response);
    assert_eq!(client.poll_timeout(), Some(3_200));
    client.handle_timeout(3_200);
    assert_eq!(client.poll_transmit().unwrap(), response);
    // A Success for another identifier is not ours.
    client.handle_packet(3_300, &emit_chap(ChapRepr::Success { identifier: 0x2b, message: b"" }));
    assert_eq!(
        client.poll_event(),
        Some(ClientEvent::Discarded { code: 3, identifier: 0x2b, reason: DiscardReason::StaleIdentifier })
    );
    client.handle_packet(3_400, &emit_chap(ChapRepr::Success { identifier: 0x2a, message: b"hello" }));
    assert_eq!(client.poll_event(), Some(ClientEvent::Success { message: b"hello".to_vec() }));
    assert_eq!(client.poll_timeout(), None);
    client.handle_packet(3_500, &emit_chap(ChapRepr::Success { identifier: 0x2a, message: b"hello" }));
    assert_eq!(
        client.poll_event(),
        Some(ClientEvent::Discarded { code: 3, identifier: 0x2a, reason: DiscardReason::AlreadyAnswered })
    );
    // A re-challenge in the network phase (RFC 1994 §4.1 MAY) is answered; its Failure ends it.
    client.handle_packet(60_000, &emit_chap(ChapRepr::Challenge { identifier: 0x30, value: &[8; 20], name: b"bras" }));
    let expected = chap_md5_for(0x30, b"hunter2", &[8; 20]);
    assert_eq!(
        chap_repr(&client.poll_transmit().unwrap()),
        ChapRepr::Response { identifier: 0x30, value: &expected, name: b"bob" }
    );
    client.handle_packet(60_100, &emit_chap(ChapRepr::Failure { identifier: 0x30, message: b"bye" }));
    assert_eq!(client.poll_event(), Some(ClientEvent::Failure { message: b"bye".to_vec() }));
    assert_eq!(client.state(), ClientState::Rejected);
    client.handle_packet(60_200, &challenge);
    assert_eq!(client.poll_transmit(), None);
    assert_eq!(
        client.poll_event(),
        Some(ClientEvent::Discarded { code: 1, identifier: 0x2a, reason: DiscardReason::Finished })
    );
}

#[test]
fn chap_client_ignores_and_counts_what_a_misbehaving_server_sends() {
    let mut client = ChapClient::new(0, chap::ClientConfig::new("bob", "hunter2")).unwrap();
    let challenge = emit_chap(ChapRepr::Challenge { identifier: 3, value: &[1; 16], name: b"bras" });
    for n in 0..5 + 16 {
        client.handle_packet(0, &challenge[..n]);
    }
    client.handle_packet(0, &emit_chap(ChapRepr::Challenge { identifier: 4, value: &[], name: b"bras" }));
    client.handle_packet(0, &emit_chap(ChapRepr::Response { identifier: 3, value: &[0; 16], name: b"x" }));
    // Success before any Challenge was answered.
    client.handle_packet(0, &emit_chap(ChapRepr::Success { identifier: 3, message: b"" }));
    assert_eq!(client.poll_transmit(), None);
    let mut events = Vec::new();
    while let Some(e) = client.poll_event() {
        events.push(e);
    }
    assert_eq!(events.len(), 21 + 3);
    assert!(events[..21]
        .iter()
        .all(|e| matches!(e, ClientEvent::Discarded { reason: DiscardReason::Malformed(_), .. })));
    assert_eq!(
        events[21..],
        [
            ClientEvent::Discarded { code: 1, identifier: 4, reason: DiscardReason::EmptyChallenge },
            ClientEvent::Discarded { code: 2, identifier: 3, reason: DiscardReason::UnexpectedCode },
            ClientEvent::Discarded { code: 3, identifier: 3, reason: DiscardReason::StaleIdentifier },
        ]
    );
    assert_eq!(client.state(), ClientState::Authenticating);
}

// ---- oracles: packets from scapy, replies read by scapy ----

/// Run a python3 snippet with scapy (`/usr/bin/python3`: Debian's python3-scapy, which
/// scripts/deps.sh installs) and return what it printed.
fn scapy(code: &str) -> String {
    let out = Command::new("/usr/bin/python3")
        .args(["-c", &format!("from scapy.all import *\nimport hashlib\n{code}")])
        .output()
        .unwrap_or_else(|e| panic!("cannot run /usr/bin/python3 ({e}); install python3-scapy (scripts/deps.sh)"));
    assert!(out.status.success(), "scapy failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A PPP frame (as PPPoE carries it: no Address/Control) holding `packet` under `protocol`.
fn ppp_frame(protocol: PppProtocol, packet: &[u8]) -> Vec<u8> {
    let header = PppRepr::pppoe(protocol);
    let mut frame = vec![0; header.buffer_len()];
    header.emit(&mut frame).unwrap();
    frame.extend_from_slice(packet);
    frame
}

/// The packet inside a PPP frame, checking its protocol.
fn ppp_payload(protocol: PppProtocol, frame: &[u8]) -> Vec<u8> {
    let (p, at) = parse_header(frame).unwrap();
    assert_eq!(p, protocol);
    frame[at..].to_vec()
}

#[test]
fn scapy_pap_requests_are_verified_and_scapy_reads_the_answers() {
    for (password, code, message) in [("secret", 2, "Login ok"), ("wrong", 3, AUTH_FAILED)] {
        let frame = scapy(&format!(
            "print(bytes(PPP()/PPP_PAP_Request(id=0x2a, username=b'alice', password=b'{password}')).hex())"
        ));
        let request = ppp_payload(PppProtocol::PAP, &unhex(&frame));
        let mut server = PapServer::new(0, pap::ServerConfig::default()).unwrap();
        let mut backend = LocalBackend::new(users());
        server.handle_packet(0, &request);
        let Some(ServerEvent::Verify { username, credentials }) = server.poll_event() else { panic!() };
        assert_eq!(
            (username.as_slice(), &credentials),
            (&b"alice"[..], &Credentials::Pap { password: password.as_bytes().to_vec() })
        );
        backend.submit(0, AuthRequest { handle: 7, username, credentials, nas: NasInfo::default() }).unwrap();
        let result = backend.poll_result(0).unwrap();
        server.verdict(0, result.outcome).unwrap();
        let reply = ppp_frame(PppProtocol::PAP, &server.poll_transmit().unwrap());
        let decoded = scapy(&format!(
            "p = PPP(bytes.fromhex('{}'))\n\
             r = p[PPP_PAP_Response]\n\
             print(p.proto, r.code, r.id, r.len, r.msg_len, r.message.decode(), len(r.payload))",
            hex(&reply)
        ));
        assert_eq!(decoded, format!("49187 {code} 42 {} {} {message} 0", 5 + message.len(), message.len()));
    }
}

#[test]
fn scapy_chap_response_with_hashlib_md5_is_verified_and_scapy_reads_the_success() {
    for (secret, code, message) in [("hunter2", 3, "Login ok"), ("hunter3", 4, AUTH_FAILED)] {
        let mut server = ChapEnd::new(0, chap::ServerConfig::new("dpvpn"), 0x41);
        let challenge = ppp_frame(PppProtocol::CHAP, &server.poll_transmit().unwrap());
        // scapy reads our Challenge, hashlib computes MD5(Identifier || secret || Value)
        // (RFC 1994 §4.1), scapy builds the Response.
        let frame = scapy(&format!(
            "c = PPP(bytes.fromhex('{}'))[PPP_CHAP_ChallengeResponse]\n\
             assert c.code == 1 and c.value_size == 16 and c.optional_name == b'dpvpn', c.show(dump=True)\n\
             md5 = hashlib.md5(bytes([c.id]) + b'{secret}' + c.value).digest()\n\
             print(bytes(PPP()/PPP_CHAP_ChallengeResponse(code=2, id=c.id, value=md5, optional_name=b'bob')).hex())",
            hex(&challenge)
        ));
        let response = ppp_payload(PppProtocol::CHAP, &unhex(&frame));
        server.handle_packet(10, &response);
        let Some(ServerEvent::Verify { username, credentials }) = server.poll_event() else { panic!() };
        assert_eq!(username, b"bob");
        let mut backend = LocalBackend::new(users());
        backend.submit(10, AuthRequest { handle: 7, username, credentials, nas: NasInfo::default() }).unwrap();
        server.verdict(2_010, backend.poll_result(10).unwrap().outcome).unwrap();
        let reply = ppp_frame(PppProtocol::CHAP, &server.poll_transmit().unwrap());
        let decoded = scapy(&format!(
            "p = PPP(bytes.fromhex('{}'))\n\
             r = p[PPP_CHAP]\n\
             print(p.proto, r.code, r.id, r.len, r.data.decode())",
            hex(&reply)
        ));
        assert_eq!(decoded, format!("49699 {code} 65 {} {message}", 4 + message.len()));
    }
}

// ---- no input panics or wedges a machine ----

proptest::proptest! {
    /// Arbitrary packets (random bytes, and valid packets of every code with random fields)
    /// in any order, with timeouts and verdicts between them: no panic, every packet is
    /// answered at most once, and the timers only move forward.
    #[test]
    fn arbitrary_input_never_panics(
        inputs in proptest::collection::vec(
            (0u8..6, proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40), 0u64..5_000),
            0..40,
        )
    ) {
        let mut pap_server = PapServer::new(0, pap::ServerConfig::default()).unwrap();
        let mut pap_client = PapClient::new(0, pap::ClientConfig::new("alice", "secret"), 0).unwrap();
        let mut chap_server = ChapEnd::new(0, chap::ServerConfig::new("dpvpn"), 0);
        let mut chap_client = ChapClient::new(0, chap::ClientConfig::new("bob", "hunter2")).unwrap();
        let mut now = 0;
        for (kind, bytes, step) in inputs {
            now += step;
            let id = bytes.first().copied().unwrap_or(0);
            let packet = match kind {
                0 => bytes.clone(),
                1 => emit_pap(PapRepr::AuthenticateRequest { identifier: id, peer_id: &bytes, password: &bytes }),
                2 => emit_pap(PapRepr::AuthenticateAck { identifier: id, message: &bytes }),
                3 => emit_chap(ChapRepr::Response { identifier: id, value: &bytes[..bytes.len().min(16)], name: &bytes }),
                4 => emit_chap(ChapRepr::Challenge { identifier: id, value: &bytes, name: b"x" }),
                _ => emit_chap(ChapRepr::Success { identifier: id, message: &bytes }),
            };
            let before: Vec<Option<u64>> =
                vec![pap_server.poll_timeout(), pap_client.poll_timeout(), chap_server.poll_timeout(), chap_client.poll_timeout()];
            pap_server.handle_packet(now, &packet);
            pap_client.handle_packet(now, &packet);
            chap_server.handle_packet(now, &packet);
            chap_client.handle_packet(now, &packet);
            pap_server.handle_timeout(now);
            pap_client.handle_timeout(now);
            Server::handle_timeout(&mut chap_server, now);
            chap_client.handle_timeout(now);
            if id % 3 == 0 {
                let outcome = if id % 2 == 0 { AuthOutcome::Accept(Default::default()) } else {
                    AuthOutcome::Reject(reject(RejectKind::WrongPassword, AUTH_FAILED))
                };
                let _ = pap_server.verdict(now, outcome.clone());
                let _ = chap_server.verdict(now, outcome);
            }
            let after =
                [pap_server.poll_timeout(), pap_client.poll_timeout(), chap_server.poll_timeout(), chap_client.poll_timeout()];
            for (b, a) in before.iter().zip(after) {
                if let (Some(b), Some(a)) = (b, a) {
                    proptest::prop_assert!(a >= *b || a > now);
                }
            }
            // One packet in gives at most a few out (an answer, or a timer's retransmission).
            for n in [
                std::iter::from_fn(|| pap_server.poll_transmit()).count(),
                std::iter::from_fn(|| pap_client.poll_transmit()).count(),
                std::iter::from_fn(|| chap_server.poll_transmit()).count(),
                std::iter::from_fn(|| chap_client.poll_transmit()).count(),
            ] {
                proptest::prop_assert!(n <= 2);
            }
            while pap_server.poll_event().is_some() {}
            while pap_client.poll_event().is_some() {}
            while Server::poll_event(&mut chap_server).is_some() {}
            while chap_client.poll_event().is_some() {}
        }
    }
}

#[test]
fn challenge_values_come_from_the_callers_source() {
    // A closure works as a source, also behind `dyn` (one RNG shared by every session).
    let mut n = 0u8;
    let mut closure = move || {
        n += 1;
        [n; 16]
    };
    let source: &mut dyn chap::ChallengeSource = &mut closure;
    let mut server = ChapServer::new(0, chap::ServerConfig::new("dpvpn"), 1, source).unwrap();
    assert_eq!(
        chap_repr(&server.poll_transmit().unwrap()),
        ChapRepr::Challenge { identifier: 1, value: &[1; 16], name: b"dpvpn" }
    );
    server.handle_timeout(3_000, source);
    assert_eq!(
        chap_repr(&server.poll_transmit().unwrap()),
        ChapRepr::Challenge { identifier: 2, value: &[2; 16], name: b"dpvpn" }
    );
    // Not yet due: no value drawn, nothing sent.
    server.handle_timeout(5_999, source);
    assert_eq!(server.poll_transmit(), None);
    server.handle_timeout(6_000, source);
    assert_eq!(
        chap_repr(&server.poll_transmit().unwrap()),
        ChapRepr::Challenge { identifier: 3, value: &[3; 16], name: b"dpvpn" }
    );
}
