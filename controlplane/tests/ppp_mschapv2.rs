//! MS-CHAPv2 (RFC 2759) machines: authenticator against peer in virtual time over a
//! simulated link (loss, duplication, reordering), with the real local AAA (users file and
//! `LocalBackend`) deciding; the RFC 2759 §9.2 example on the wire, byte for byte; retries,
//! Change-Password, a forged Success, malformed Responses, arbitrary input; and scapy and
//! tshark reading what the machines send (a missing oracle skips its test with a message,
//! and fails it under CI=true).

use std::path::Path;
use std::process::Command;

use controlplane::aaa::{
    AaaBackend, Attributes, AuthOutcome, AuthRequest, Credentials, LocalBackend, MppeKeys, MsChapV2Accept, NasInfo,
    Reject, RejectKind, UsersTable, AUTH_FAILED,
};
use controlplane::ppp::mschapv2::{
    self, ClientConfig, ClientEvent, ClientState, DiscardReason, FailReason, MsChapV2Client, MsChapV2Server,
    ServerConfig, ServerEvent, ServerState, VerdictError,
};
use dataplane::wire::chap::{ChapRepr, MsChapV2Failure, MsChapV2Response, MsChapV2Success};
use dataplane::wire::ppp::{parse_header, ControlPacket, PppProtocol, PppRepr};

const USERS: &str = "\
# RFC 2759 §9.2's user, and the lab's
User clientPass pool=rfc
user{1-1000}@lab lab pool=lab
";

fn users() -> UsersTable {
    UsersTable::parse(Path::new("users.txt"), USERS).unwrap()
}

fn unhex(s: &str) -> Vec<u8> {
    let s: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    s.chunks(2).map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap()).collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn array<const N: usize>(s: &str) -> [u8; N] {
    unhex(s).try_into().unwrap()
}

// RFC 2759 §9.2, copied from the RFC's text.
const RFC_AUTHENTICATOR_CHALLENGE: &str = "5B 5D 7C 7D 7B 3F 2F 3E 3C 2C 60 21 32 26 26 28";
const RFC_PEER_CHALLENGE: &str = "21 40 23 24 25 5E 26 2A 28 29 5F 2B 3A 33 7C 7E";
const RFC_NT_RESPONSE: &str = "82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF";
const RFC_AUTHENTICATOR_RESPONSE: &str = "S=407A5589115FD0D6209F510FE9C04566932CDA56";
// RFC 3079 §3.5.3 SendStartKey128: the server's send key for the same exchange.
const RFC_SEND_START_KEY: &str = "8B 7C DC 14 9B 99 3A 1B A1 18 CB 15 3F 56 DC CB";
// The server's receive key (Magic2), which the RFC does not print: other implementations'
// value for the same MasterKey (see controlplane/src/aaa/mschapv2.rs's tests).
const RECV_START_KEY: &str = "D5 F0 E9 52 1E 3E A9 58 96 45 E8 60 51 C8 22 26";

/// 16-octet values: a counter from `base`, so every value differs and runs repeat.
struct Counter(u64);

impl mschapv2::ChallengeSource for Counter {
    fn challenge_value(&mut self) -> [u8; 16] {
        self.0 += 1;
        let mut v = [0x5a; 16];
        v[8..].copy_from_slice(&self.0.to_be_bytes());
        v
    }
}

/// Values given in order, then a counter.
struct Fixed(Vec<[u8; 16]>, Counter);

impl mschapv2::ChallengeSource for Fixed {
    fn challenge_value(&mut self) -> [u8; 16] {
        if self.0.is_empty() {
            self.1.challenge_value()
        } else {
            self.0.remove(0)
        }
    }
}

fn chap_repr(bytes: &[u8]) -> ChapRepr<'_> {
    ChapRepr::parse(&ControlPacket::new_checked(bytes).unwrap()).unwrap()
}

fn emit_chap(repr: ChapRepr<'_>) -> Vec<u8> {
    let mut b = vec![0; repr.buffer_len()];
    repr.emit(&mut b).unwrap();
    b
}

fn failure_of(packet: &[u8]) -> (u8, MsChapV2Failure<'_>) {
    match chap_repr(packet) {
        ChapRepr::Failure { identifier, message } => (identifier, MsChapV2Failure::parse(message).unwrap()),
        other => panic!("not a Failure: {other:?}"),
    }
}

fn reject(kind: RejectKind, message: &str) -> Reject {
    Reject { kind, message: message.to_string() }
}

fn verify(backend: &mut LocalBackend, username: Vec<u8>, credentials: Credentials) -> AuthOutcome {
    backend.submit(0, AuthRequest { handle: 1, username, credentials, nas: NasInfo::default() }).unwrap();
    backend.poll_result(0).unwrap().outcome
}

fn drain<T>(next: impl FnMut() -> Option<T>) -> Vec<T> {
    std::iter::from_fn(next).collect()
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
}

/// What one direction of the link does to packets.
#[derive(Clone, Default)]
struct Faults {
    loss: f64,
    duplicate: f64,
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
            let at = now + self.faults.delay_ms + rng.next() % (self.faults.jitter_ms + 1);
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

/// The two ends as the session manager and a dialer drive them.
struct Pair {
    server: MsChapV2Server,
    server_source: Counter,
    client: MsChapV2Client,
    client_source: Counter,
    backend: LocalBackend,
    /// AAA round trip, ms.
    aaa_delay_ms: u64,
    /// The dialer's user types this password once the first Response has gone out (a retry
    /// after R=1 uses it).
    next_password: Option<&'static str>,
}

impl Pair {
    fn new(server: ServerConfig, client: ClientConfig) -> Pair {
        let mut server_source = Counter(0);
        let server = MsChapV2Server::new(0, server, 1, &mut server_source).unwrap();
        Pair {
            server,
            server_source,
            client: MsChapV2Client::new(0, client).unwrap(),
            client_source: Counter(1 << 32),
            backend: LocalBackend::new(users()),
            aaa_delay_ms: 0,
            next_password: None,
        }
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
    requests: Vec<AuthRequest>,
    verdict_errors: Vec<VerdictError>,
}

impl Run {
    fn verifies(&self) -> usize {
        self.server_events.iter().filter(|(_, e)| matches!(e, ServerEvent::Verify { .. })).count()
    }
    fn server_outcomes(&self) -> Vec<(u64, ServerEvent)> {
        self.server_events.iter().filter(|(_, e)| !matches!(e, ServerEvent::Discarded { .. })).cloned().collect()
    }
    fn client_outcomes(&self) -> Vec<(u64, ClientEvent)> {
        self.client_events.iter().filter(|(_, e)| !matches!(e, ClientEvent::Discarded { .. })).cloned().collect()
    }
}

/// Runs both ends until nothing is left to happen or `until` (ms).
fn run(p: &mut Pair, faults: [Faults; 2], seed: u64, until: u64) -> Run {
    let mut rng = Rng::new(seed);
    let [to_client, to_server] = faults;
    let mut s2c = Lane { faults: to_client, ..Lane::default() };
    let mut c2s = Lane { faults: to_server, ..Lane::default() };
    let mut verdicts: Vec<(u64, AuthOutcome)> = Vec::new();
    let mut out = Run::default();
    let mut now = 0;
    for _ in 0..100_000 {
        while let Some(b) = p.server.poll_transmit() {
            out.from_server.push((now, b.clone()));
            s2c.send(now, b, &mut rng);
        }
        while let Some(b) = p.client.poll_transmit() {
            out.from_client.push((now, b.clone()));
            c2s.send(now, b, &mut rng);
            if let Some(password) = p.next_password.take() {
                p.client.set_password(password).unwrap();
            }
        }
        while let Some(e) = p.server.poll_event() {
            if let ServerEvent::Verify { username, credentials } = &e {
                let request = AuthRequest {
                    handle: 1,
                    username: username.clone(),
                    credentials: credentials.clone(),
                    nas: NasInfo::default(),
                };
                out.requests.push(request.clone());
                p.backend.submit(now, request).unwrap();
                verdicts.push((now + p.aaa_delay_ms, p.backend.poll_result(now).unwrap().outcome));
            }
            out.server_events.push((now, e));
        }
        while let Some(e) = p.client.poll_event() {
            out.client_events.push((now, e));
        }
        let next = [p.server.poll_timeout(), p.client.poll_timeout(), s2c.next_at(), c2s.next_at()]
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
            if let Err(e) = p.server.verdict(now, outcome, &mut p.server_source) {
                out.verdict_errors.push(e);
            }
        }
        while let Some(b) = s2c.pop_due(now) {
            p.client.handle_packet(now, &b, &mut p.client_source);
        }
        while let Some(b) = c2s.pop_due(now) {
            p.server.handle_packet(now, &b);
        }
        if p.server.poll_timeout().is_some_and(|t| t <= now) {
            p.server.handle_timeout(now, &mut p.server_source);
        }
        if p.client.poll_timeout().is_some_and(|t| t <= now) {
            p.client.handle_timeout(now);
        }
    }
    panic!("the machines never settled: a timer that does not move?");
}

fn clean() -> [Faults; 2] {
    [Faults::default(), Faults::default()]
}

fn pair(user: &str, password: &str) -> Pair {
    Pair::new(ServerConfig::new("dpvpn"), ClientConfig::new(user, password))
}

/// The server's MPPE keys from its Success event.
fn server_keys(r: &Run) -> MppeKeys {
    r.server_events
        .iter()
        .find_map(|(_, e)| match e {
            ServerEvent::Success { attributes, .. } => attributes.mppe,
            _ => None,
        })
        .expect("a Success with MPPE keys")
}

// ---- the RFC's example, byte for byte ----

#[test]
fn rfc2759_example_on_the_wire() {
    // The authenticator draws RFC 2759 §9.2's Authenticator Challenge, the peer its
    // Peer-Challenge; every byte below comes from the RFC, none from our encoder.
    let mut auth_source = Fixed(vec![array(RFC_AUTHENTICATOR_CHALLENGE)], Counter(0));
    let mut peer_source = Fixed(vec![array(RFC_PEER_CHALLENGE)], Counter(0));
    let mut server = MsChapV2Server::new(0, ServerConfig::new("dpvpn"), 0x1c, &mut auth_source).unwrap();
    let mut client = MsChapV2Client::new(0, ClientConfig::new("User", "clientPass")).unwrap();
    let mut backend = LocalBackend::new(users());

    let challenge = server.poll_transmit().unwrap();
    // Code 1, Identifier, Length 4 + 1 + 16 + 5, Value-Size 16, Value, Name "dpvpn".
    let want = unhex(&format!("01 1c 00 1a 10 {RFC_AUTHENTICATOR_CHALLENGE} 64 70 76 70 6e"));
    assert_eq!(challenge, want);
    client.handle_packet(10, &challenge, &mut peer_source);
    let response = client.poll_transmit().unwrap();
    // Code 2, Length 4 + 1 + 49 + 4, Value-Size 49: Peer-Challenge, 8 zero octets,
    // NT-Response, Flags 0 (§4); Name "User".
    let want = unhex(&format!("02 1c 00 3a 31 {RFC_PEER_CHALLENGE} 0000000000000000 {RFC_NT_RESPONSE} 00 55 73 65 72"));
    assert_eq!(response, want);

    server.handle_packet(20, &response);
    let Some(ServerEvent::Verify { username, credentials }) = server.poll_event() else { panic!() };
    assert_eq!(username, b"User");
    assert_eq!(
        credentials,
        Credentials::MsChapV2 {
            authenticator_challenge: array(RFC_AUTHENTICATOR_CHALLENGE),
            peer_challenge: array(RFC_PEER_CHALLENGE),
            nt_response: array(RFC_NT_RESPONSE),
        }
    );
    let outcome = verify(&mut backend, username, credentials);
    server.verdict(30, outcome, &mut auth_source).unwrap();
    let success = server.poll_transmit().unwrap();
    let message = format!("{RFC_AUTHENTICATOR_RESPONSE} M=Login ok");
    let mut want = vec![3, 0x1c, 0, 4 + message.len() as u8];
    want.extend_from_slice(message.as_bytes());
    assert_eq!(success, want);
    let Some(ServerEvent::Success { username, attributes }) = server.poll_event() else { panic!() };
    assert_eq!((username.as_slice(), attributes.pool.as_deref()), (&b"User"[..], Some("rfc")));
    assert_eq!(
        attributes.mppe.map(|k| (k.send.to_vec(), k.recv.to_vec())),
        Some((unhex(RFC_SEND_START_KEY), unhex(RECV_START_KEY)))
    );

    client.handle_packet(40, &success, &mut peer_source);
    assert_eq!(client.poll_event(), Some(ClientEvent::Success { message: message.into_bytes() }));
    assert_eq!(client.state(), ClientState::Accepted);
    // The client's keys are the server's swapped: what one sends, the other receives.
    let keys = client.mppe_keys().unwrap();
    assert_eq!((keys.send.to_vec(), keys.recv.to_vec()), (unhex(RECV_START_KEY), unhex(RFC_SEND_START_KEY)));
    assert_eq!((server.poll_timeout(), client.poll_timeout()), (None, None));
}

// ---- the two machines with the local users file ----

#[test]
fn right_password_end_to_end_with_the_local_users_file() {
    let mut p = pair("user42@lab", "lab");
    let r = run(&mut p, clean(), 1, 60_000);
    assert_eq!(r.verifies(), 1);
    let ChapRepr::Challenge { identifier: 1, value, name: b"dpvpn" } = chap_repr(&r.from_server[0].1) else { panic!() };
    let ChapRepr::Response { identifier: 1, value: response, name: b"user42@lab" } = chap_repr(&r.from_client[0].1)
    else {
        panic!()
    };
    let response = MsChapV2Response::parse(response).unwrap();
    assert_eq!(
        r.requests[0].credentials,
        Credentials::MsChapV2 {
            authenticator_challenge: value.try_into().unwrap(),
            peer_challenge: response.peer_challenge,
            nt_response: response.nt_response,
        }
    );
    let ChapRepr::Success { identifier: 1, message } = chap_repr(&r.from_server[1].1) else { panic!() };
    let success = MsChapV2Success::parse(message).unwrap();
    assert_eq!(success.message, Some(&b"Login ok"[..]));
    assert_eq!(r.client_outcomes(), [(0, ClientEvent::Success { message: message.to_vec() })]);
    assert!(matches!(&r.server_outcomes()[1], (_, ServerEvent::Success { username, attributes })
        if username == b"user42@lab" && attributes.pool.as_deref() == Some("lab")));
    assert_eq!((p.server.state(), p.client.state()), (ServerState::Accepted, ClientState::Accepted));
    // Both ends derive the same keys: the server's send key is the client's receive key.
    let (server, client) = (server_keys(&r), p.client.mppe_keys().unwrap());
    assert_eq!((server.send, server.recv), (client.recv, client.send));
    assert_ne!(server.send, server.recv);
    assert_eq!((r.from_server.len(), r.from_client.len()), (2, 1));
}

#[test]
fn wrong_password_gets_e691_and_no_retry_by_default() {
    for (user, password, kind) in
        [("User", "clientPasS", RejectKind::WrongPassword), ("user1001@lab", "lab", RejectKind::UnknownUser)]
    {
        let mut p = pair(user, password);
        let r = run(&mut p, clean(), 1, 60_000);
        assert_eq!(r.verifies(), 1);
        let (identifier, failure) = failure_of(&r.from_server[1].1);
        assert_eq!(identifier, 1);
        assert_eq!(
            (failure.error, failure.retry, failure.version, failure.message),
            (691, false, Some(3), Some(AUTH_FAILED.as_bytes()))
        );
        // R=0: the C= of the last attempt is the challenge it answered, not a new one.
        let ChapRepr::Challenge { value, .. } = chap_repr(&r.from_server[0].1) else { panic!() };
        assert_eq!(failure.challenge.as_ref().map(|c| &c[..]), Some(value));
        let text = match chap_repr(&r.from_server[1].1) {
            ChapRepr::Failure { message, .. } => message.to_vec(),
            _ => unreachable!(),
        };
        assert_eq!(
            String::from_utf8(text.clone()).unwrap(),
            format!("E=691 R=0 C={} V=3 M=Authentication failed", hex(value).to_uppercase())
        );
        assert!(matches!(&r.server_outcomes()[1], (_, ServerEvent::Failure { username, reason })
            if username == user.as_bytes() && reason.kind == kind && reason.message == AUTH_FAILED));
        assert_eq!(r.client_outcomes(), [(0, ClientEvent::Failure { message: text })]);
        assert_eq!((p.server.state(), p.client.state()), (ServerState::Rejected, ClientState::Rejected));
        assert_eq!(p.client.mppe_keys(), None);
    }
}

#[test]
fn a_retry_with_the_right_password_succeeds() {
    let server = ServerConfig { max_attempts: 2, ..ServerConfig::new("dpvpn") };
    let client = ClientConfig { retry: true, ..ClientConfig::new("User", "wrong") };
    let mut p = Pair::new(server, client);
    p.next_password = Some("clientPass");
    let r = run(&mut p, clean(), 1, 60_000);
    assert_eq!(r.verifies(), 2);
    // The first Failure invites a retry with a new challenge (RFC 2759 §6)...
    let (identifier, failure) = failure_of(&r.from_server[1].1);
    assert_eq!((identifier, failure.error, failure.retry, failure.version), (1, 691, true, Some(3)));
    let next = failure.challenge.unwrap();
    let ChapRepr::Challenge { value: first, .. } = chap_repr(&r.from_server[0].1) else { panic!() };
    assert_ne!(&next[..], first);
    // ... which the second Response, one identifier later, answers.
    let ChapRepr::Response { identifier: 2, name: b"User", .. } = chap_repr(&r.from_client[1].1) else { panic!() };
    assert!(matches!(r.requests[1].credentials, Credentials::MsChapV2 { authenticator_challenge, .. }
        if authenticator_challenge == next));
    let ChapRepr::Success { identifier: 2, message } = chap_repr(&r.from_server[2].1) else { panic!() };
    // The only outcome either side reports is the final one.
    assert_eq!(r.client_outcomes(), [(0, ClientEvent::Success { message: message.to_vec() })]);
    assert!(matches!(
        r.server_outcomes()[..],
        [(_, ServerEvent::Verify { .. }), (_, ServerEvent::Verify { .. }), (_, ServerEvent::Success { .. })]
    ));
    let (server, client) = (server_keys(&r), p.client.mppe_keys().unwrap());
    assert_eq!((server.send, server.recv), (client.recv, client.send));
    assert_eq!((p.server.state(), p.client.state()), (ServerState::Accepted, ClientState::Accepted));
}

#[test]
fn the_last_attempt_is_answered_with_r0() {
    let server = ServerConfig { max_attempts: 3, ..ServerConfig::new("dpvpn") };
    let client = ClientConfig { retry: true, ..ClientConfig::new("User", "wrong") };
    let mut p = Pair::new(server, client);
    let r = run(&mut p, clean(), 1, 60_000);
    assert_eq!(r.verifies(), 3);
    let failures: Vec<(u8, bool)> =
        r.from_server[1..].iter().map(|(_, b)| failure_of(b)).map(|(i, f)| (i, f.retry)).collect();
    assert_eq!(failures, [(1, true), (2, true), (3, false)]);
    assert_eq!(r.server_outcomes().iter().filter(|(_, e)| matches!(e, ServerEvent::Failure { .. })).count(), 1);
    assert!(matches!(r.client_outcomes()[..], [(_, ClientEvent::Failure { .. })]));
    assert_eq!((p.server.state(), p.client.state()), (ServerState::Rejected, ClientState::Rejected));
}

#[test]
fn a_peer_that_does_not_retry_ends_at_r1_and_the_server_gives_up_later() {
    let server = ServerConfig { max_attempts: 2, retry_timeout_ms: 20_000, ..ServerConfig::new("dpvpn") };
    let mut p = Pair::new(server, ClientConfig::new("User", "wrong"));
    let r = run(&mut p, clean(), 1, 60_000);
    assert_eq!(r.verifies(), 1);
    let (_, failure) = failure_of(&r.from_server[1].1);
    assert!(failure.retry);
    // The client (retry off) stops at once; the server waits for a retry that never comes.
    assert!(matches!(r.client_outcomes()[..], [(0, ClientEvent::Failure { .. })]));
    assert!(matches!(&r.server_outcomes()[..], [_, (20_000, ServerEvent::Failure { reason, .. })]
        if reason.kind == RejectKind::WrongPassword));
    assert_eq!(p.server.state(), ServerState::Rejected);
    // A late repetition of the Response now hears R=0.
    p.server.handle_packet(25_000, &r.from_client[0].1);
    let reply = p.server.poll_transmit().unwrap();
    let (identifier, failure) = failure_of(&reply);
    assert_eq!((identifier, failure.retry), (1, false));
}

#[test]
fn a_lost_failure_is_sent_again_for_the_repeated_response() {
    // The R=1 Failure is lost: the peer repeats its Response, and gets the same Failure
    // (same C=) without a second verification; then it retries.
    let server = ServerConfig { max_attempts: 2, ..ServerConfig::new("dpvpn") };
    let client = ClientConfig { retry: true, ..ClientConfig::new("User", "wrong") };
    let mut p = Pair::new(server, client);
    p.next_password = Some("clientPass");
    let faults = [Faults { drop: vec![1], ..Faults::default() }, Faults::default()];
    let r = run(&mut p, faults, 1, 60_000);
    assert_eq!(r.verifies(), 2);
    assert_eq!(r.from_server[1].1, r.from_server[2].1);
    assert_eq!(r.from_server[2].0, 3_000);
    assert!(matches!(r.client_outcomes()[..], [(3_000, ClientEvent::Success { .. })]));
}

#[test]
fn change_password_is_refused_with_e709() {
    for pending in [false, true] {
        let mut source = Counter(0);
        let mut server = MsChapV2Server::new(0, ServerConfig::new("dpvpn"), 9, &mut source).unwrap();
        let challenge = server.poll_transmit().unwrap();
        if pending {
            // A Response first: the Change-Password arrives while the verdict is pending.
            let mut peer = Counter(99);
            let mut client = MsChapV2Client::new(0, ClientConfig::new("User", "old")).unwrap();
            client.handle_packet(0, &challenge, &mut peer);
            server.handle_packet(0, &client.poll_transmit().unwrap());
            assert!(matches!(server.poll_event(), Some(ServerEvent::Verify { .. })));
        }
        // RFC 2759 §7: Code 7, Identifier, Length 586: Encrypted-Password (516),
        // Encrypted-Hash (16), Peer-Challenge (16), Reserved (8), NT-Response (24), Flags (2).
        let mut change = vec![7, 9, 0x02, 0x4a];
        change.extend((0..582u32).map(|i| i as u8));
        server.handle_packet(10, &change);
        let reply = server.poll_transmit().unwrap();
        let (identifier, failure) = failure_of(&reply);
        assert_eq!(
            (identifier, failure.error, failure.retry, failure.version, failure.message),
            (9, 709, false, Some(3), Some(mschapv2::PASSWORD_CHANGE_REFUSED.as_bytes()))
        );
        let events = drain(|| server.poll_event());
        let [ServerEvent::Failure { username, reason }] = &events[..] else { panic!("{events:?}") };
        assert_eq!(username, if pending { &b"User"[..] } else { &b""[..] });
        assert_eq!(reason.kind, RejectKind::UnsupportedMethod);
        assert_eq!(server.state(), ServerState::Rejected);
        // A repetition gets the same answer and nothing more happens.
        server.handle_packet(20, &change);
        assert_eq!(server.poll_transmit(), Some(reply));
        assert_eq!(server.poll_event(), None);
        assert_eq!(
            server.verdict(30, AuthOutcome::Accept(Attributes::default()), &mut source),
            Err(VerdictError { state: ServerState::Rejected })
        );
        // Truncated, it is a malformed packet like any other.
        server.handle_packet(40, &change[..3]);
        assert!(matches!(
            server.poll_event(),
            Some(ServerEvent::Discarded { reason: DiscardReason::Malformed(_), .. })
        ));
    }
}

/// A Response and the Challenge it answers, from the real client.
fn exchange(server: &mut MsChapV2Server, user: &str, password: &str) -> Vec<u8> {
    let challenge = server.poll_transmit().unwrap();
    let mut client = MsChapV2Client::new(0, ClientConfig::new(user, password)).unwrap();
    client.handle_packet(0, &challenge, &mut Counter(77));
    client.poll_transmit().unwrap()
}

#[test]
fn a_forged_success_is_not_trusted_by_the_client() {
    // A rogue authenticator that does not know the password accepts anything and makes up
    // an Authenticator Response: well-formed, but not the one the password gives.
    // The right one for this exchange would differ from it in every run: the challenges are
    // the counters', not the RFC's.
    let forged: [u8; 42] = *b"S=407A5589115FD0D6209F510FE9C04566932CDA56";
    let accept =
        Attributes { mschapv2: Some(MsChapV2Accept { authenticator_response: forged }), ..Attributes::default() };
    let mut p = pair("User", "clientPass");
    let response = exchange_from(&mut p);
    p.server.handle_packet(0, &response);
    let Some(ServerEvent::Verify { .. }) = p.server.poll_event() else { panic!() };
    p.server.verdict(0, AuthOutcome::Accept(accept), &mut p.server_source).unwrap();
    let success = p.server.poll_transmit().unwrap();
    assert!(matches!(chap_repr(&success), ChapRepr::Success { .. }));
    p.client.handle_packet(1, &success, &mut p.client_source);
    assert_eq!(
        p.client.poll_event(),
        Some(ClientEvent::Failure { message: mschapv2::BAD_AUTHENTICATOR_RESPONSE.to_vec() })
    );
    assert_eq!((p.client.state(), p.client.mppe_keys()), (ClientState::Rejected, None));
    // Nothing after that is believed.
    p.client.handle_packet(2, &success, &mut p.client_source);
    assert!(matches!(p.client.poll_event(), Some(ClientEvent::Discarded { reason: DiscardReason::Finished, .. })));
    // The users file's answer to the same Response is trusted: the forgery was the only
    // difference.
    let mut p2 = pair("User", "clientPass");
    let response = exchange_from(&mut p2);
    p2.server.handle_packet(0, &response);
    let Some(ServerEvent::Verify { username, credentials }) = p2.server.poll_event() else { panic!() };
    let outcome = verify(&mut p2.backend, username, credentials);
    p2.server.verdict(0, outcome, &mut p2.server_source).unwrap();
    let success = p2.server.poll_transmit().unwrap();
    p2.client.handle_packet(1, &success, &mut p2.client_source);
    assert!(matches!(p2.client.poll_event(), Some(ClientEvent::Success { .. })));
    // A Success without S= (a plain CHAP server's), or with S= and then garbage: the same.
    for message in [&b"Login ok"[..], b"S=", b"S=407A5589115FD0D6209F510FE9C04566932CDA56 garbage"] {
        let mut source = Counter(0);
        let mut client = MsChapV2Client::new(0, ClientConfig::new("User", "clientPass")).unwrap();
        let challenge = emit_chap(ChapRepr::Challenge { identifier: 4, value: &[3; 16], name: b"x" });
        client.handle_packet(0, &challenge, &mut source);
        client.handle_packet(1, &emit_chap(ChapRepr::Success { identifier: 4, message }), &mut source);
        let events = drain(|| client.poll_event());
        assert_eq!(events, [ClientEvent::Failure { message: mschapv2::BAD_AUTHENTICATOR_RESPONSE.to_vec() }]);
        assert_eq!(client.state(), ClientState::Rejected);
    }
}

fn exchange_from(p: &mut Pair) -> Vec<u8> {
    let challenge = p.server.poll_transmit().unwrap();
    p.client.handle_packet(0, &challenge, &mut p.client_source);
    p.client.poll_transmit().unwrap()
}

#[test]
fn an_accept_without_an_authenticator_response_is_a_backend_error() {
    let malformed: [u8; 42] = *b"S=ZZ7A5589115FD0D6209F510FE9C04566932CDA56";
    for attributes in [
        Attributes::default(),
        Attributes { mschapv2: Some(MsChapV2Accept { authenticator_response: malformed }), ..Attributes::default() },
    ] {
        let server = ServerConfig { max_attempts: 3, ..ServerConfig::new("dpvpn") };
        let mut p = Pair::new(server, ClientConfig::new("User", "clientPass"));
        let response = exchange_from(&mut p);
        p.server.handle_packet(0, &response);
        let Some(ServerEvent::Verify { .. }) = p.server.poll_event() else { panic!() };
        p.server.verdict(0, AuthOutcome::Accept(attributes), &mut p.server_source).unwrap();
        // Final (R=0) although attempts remain: another password would not mend it.
        let reply = p.server.poll_transmit().unwrap();
        let (_, failure) = failure_of(&reply);
        assert_eq!((failure.error, failure.retry), (691, false));
        assert_eq!(failure.message, Some(mschapv2::NO_AUTHENTICATOR_RESPONSE.as_bytes()));
        let events = drain(|| p.server.poll_event());
        assert!(
            matches!(&events[..], [ServerEvent::Failure { reason, .. }] if reason.kind == RejectKind::BackendError)
        );
    }
}

#[test]
fn malformed_responses_get_a_failure_and_never_a_verify() {
    let good = {
        let mut source = Counter(0);
        let mut server = MsChapV2Server::new(0, ServerConfig::new("dpvpn"), 1, &mut source).unwrap();
        exchange(&mut server, "User", "clientPass")
    };
    let ChapRepr::Response { value, .. } = chap_repr(&good) else { panic!() };
    let mut reserved = value.to_vec();
    reserved[20] = 1;
    let values: Vec<Vec<u8>> =
        vec![vec![], vec![0; 16], value[..48].to_vec(), [value, &[0u8][..]].concat(), vec![0xff; 255], reserved];
    for v in values {
        let mut source = Counter(0);
        let config = ServerConfig { max_attempts: 3, ..ServerConfig::new("dpvpn") };
        let mut server = MsChapV2Server::new(0, config, 1, &mut source).unwrap();
        server.poll_transmit().unwrap();
        server.handle_packet(0, &emit_chap(ChapRepr::Response { identifier: 1, value: &v, name: b"User" }));
        let reply = server.poll_transmit().unwrap();
        let (identifier, failure) = failure_of(&reply);
        assert_eq!((identifier, failure.error, failure.retry), (1, 691, false), "{}", v.len());
        assert_eq!(failure.message, Some(mschapv2::MALFORMED_RESPONSE.as_bytes()));
        let events = drain(|| server.poll_event());
        assert!(
            matches!(&events[..], [ServerEvent::Failure { reason, .. }] if reason.kind == RejectKind::Malformed),
            "{events:?}"
        );
        assert_eq!(server.state(), ServerState::Rejected);
    }
}

#[test]
fn repeated_responses_get_the_same_answer_and_others_are_stale() {
    let mut source = Counter(0);
    let mut server = MsChapV2Server::new(0, ServerConfig::new("dpvpn"), 1, &mut source).unwrap();
    let response = exchange(&mut server, "User", "clientPass");
    server.handle_packet(0, &response);
    server.handle_packet(1, &response);
    let events = drain(|| server.poll_event());
    assert!(matches!(
        events[..],
        [
            ServerEvent::Verify { .. },
            ServerEvent::Discarded { code: 2, identifier: 1, reason: DiscardReason::AwaitingVerdict }
        ]
    ));
    let ServerEvent::Verify { username, credentials } = events[0].clone() else { panic!() };
    let outcome = verify(&mut LocalBackend::new(users()), username, credentials);
    server.verdict(2, outcome, &mut source).unwrap();
    let success = server.poll_transmit().unwrap();
    // RFC 1994 §4.1: the same reply for a repeated Response, whatever it carries.
    let ChapRepr::Response { value, .. } = chap_repr(&response) else { panic!() };
    let other = emit_chap(ChapRepr::Response { identifier: 1, value, name: b"Mallory" });
    server.handle_packet(3, &response);
    server.handle_packet(4, &other);
    assert_eq!(drain(|| server.poll_transmit()), [success.clone(), success]);
    server.handle_packet(5, &emit_chap(ChapRepr::Response { identifier: 2, value, name: b"User" }));
    assert_eq!(server.poll_transmit(), None);
    let events = drain(|| server.poll_event());
    assert!(
        matches!(
            events[..],
            [_, ServerEvent::Discarded { code: 2, identifier: 2, reason: DiscardReason::StaleIdentifier }]
        ),
        "{events:?}"
    );
}

#[test]
fn silent_peer_gets_fresh_challenges_then_the_phase_fails() {
    let mut source = Counter(0);
    let mut server = MsChapV2Server::new(0, ServerConfig::new("dpvpn"), 250, &mut source).unwrap();
    let mut sent = vec![server.poll_transmit().unwrap()];
    let mut now = 0;
    while let Some(t) = server.poll_timeout() {
        now = t;
        server.handle_timeout(now, &mut source);
        sent.extend(drain(|| server.poll_transmit()));
    }
    assert_eq!(now, 30_000);
    assert_eq!(sent.len(), 10);
    let ids: Vec<u8> = sent.iter().map(|b| chap_repr(b).identifier()).collect();
    assert_eq!(ids, (0..10).map(|i| 250u8.wrapping_add(i)).collect::<Vec<_>>());
    let mut values: Vec<Vec<u8>> = sent
        .iter()
        .map(|b| if let ChapRepr::Challenge { value, .. } = chap_repr(b) { value.to_vec() } else { panic!() })
        .collect();
    values.dedup();
    assert_eq!(values.len(), 10);
    assert_eq!(drain(|| server.poll_event()), [ServerEvent::Failed { reason: FailReason::Timeout }]);
}

#[test]
fn the_client_repeats_its_response_and_answers_a_repeated_challenge_alike() {
    let mut source = Counter(0);
    let mut client = MsChapV2Client::new(0, ClientConfig::new("User", "clientPass")).unwrap();
    let challenge = emit_chap(ChapRepr::Challenge { identifier: 3, value: &[9; 16], name: b"bras" });
    client.handle_packet(0, &challenge, &mut source);
    let response = client.poll_transmit().unwrap();
    // The same Challenge again (a server that re-sends it): the same Response, same
    // Peer-Challenge, so that whichever copy is verified, the Success matches.
    client.handle_packet(100, &challenge, &mut source);
    assert_eq!(client.poll_transmit(), Some(response.clone()));
    // A new Challenge: a new Peer-Challenge.
    client.handle_packet(
        200,
        &emit_chap(ChapRepr::Challenge { identifier: 4, value: &[9; 16], name: b"bras" }),
        &mut source,
    );
    let other = client.poll_transmit().unwrap();
    let peer = |b: &[u8]| match chap_repr(b) {
        ChapRepr::Response { value, .. } => MsChapV2Response::parse(value).unwrap().peer_challenge,
        _ => panic!(),
    };
    assert_ne!(peer(&response), peer(&other));
    // Its last Response is repeated every 3 s, ten times in all, until the phase times out.
    let mut repeats = 0;
    while let Some(t) = client.poll_timeout() {
        client.handle_timeout(t);
        repeats += drain(|| client.poll_transmit()).iter().filter(|b| **b == other).count();
    }
    assert_eq!(repeats, 9);
    assert_eq!(client.state(), ClientState::TimedOut);
    // Challenges whose value is not 16 octets are not MS-CHAPv2's.
    let mut client = MsChapV2Client::new(0, ClientConfig::new("User", "clientPass")).unwrap();
    client.handle_packet(0, &emit_chap(ChapRepr::Challenge { identifier: 1, value: &[1; 8], name: b"x" }), &mut source);
    assert_eq!(client.poll_transmit(), None);
    assert!(matches!(client.poll_event(), Some(ClientEvent::Discarded { reason: DiscardReason::Malformed(_), .. })));
}

#[test]
fn over_a_lossy_duplicating_reordering_link() {
    // As CHAP's test: packets overtake each other by up to 1.2 s, the round trip stays below
    // the 3 s restart timer (every Challenge has a new identifier; see the chap module).
    let faults = |loss| Faults { loss, duplicate: 0.2, delay_ms: 5, jitter_ms: 1_200, drop: Vec::new() };
    for (password, want) in [("clientPass", ClientState::Accepted), ("nope", ClientState::Rejected)] {
        let (mut settled, mut stale, mut awaiting, mut answered_again) = (0, 0, 0, 0);
        for seed in 0..300 {
            let mut p = pair("User", password);
            p.aaa_delay_ms = 2_000;
            let r = run(&mut p, [faults(0.3), faults(0.3)], seed, 120_000);
            assert!(r.verifies() <= 1, "seed {seed}: verified {} times", r.verifies());
            assert!(r.verdict_errors.is_empty());
            let state = p.client.state();
            assert!(state == want || state == ClientState::TimedOut, "seed {seed}: {state:?}");
            if state == want {
                settled += 1;
                assert_eq!(r.client_outcomes().len(), 1, "seed {seed}");
            }
            if state == ClientState::Accepted {
                let (server, client) = (server_keys(&r), p.client.mppe_keys().unwrap());
                assert_eq!((server.send, server.recv), (client.recv, client.send), "seed {seed}");
            }
            let challenges: Vec<(u8, Vec<u8>)> = r
                .from_server
                .iter()
                .filter_map(|(_, b)| match chap_repr(b) {
                    ChapRepr::Challenge { identifier, value, .. } => Some((identifier, value.to_vec())),
                    _ => None,
                })
                .collect();
            // The server verified a Response to one of its Challenges, and every Success or
            // Failure answers a Response the client sent.
            if let Some(request) = r.requests.first() {
                let Credentials::MsChapV2 { authenticator_challenge, .. } = &request.credentials else { panic!() };
                assert!(challenges.iter().any(|c| c.1 == authenticator_challenge), "seed {seed}");
            }
            for (_, b) in &r.from_server {
                let repr = chap_repr(b);
                if !matches!(repr, ChapRepr::Challenge { .. }) {
                    let id = repr.identifier();
                    assert!(r.from_client.iter().any(|(_, q)| chap_repr(q).identifier() == id), "seed {seed}");
                }
            }
            let discards = |reason| {
                r.server_events
                    .iter()
                    .filter(|(_, e)| matches!(e, ServerEvent::Discarded { reason: x, .. } if *x == reason))
                    .count()
            };
            stale += discards(DiscardReason::StaleIdentifier);
            awaiting += discards(DiscardReason::AwaitingVerdict);
            answered_again += (r.from_server.len() - challenges.len()).saturating_sub(1);
        }
        assert!(settled >= 295, "{password}: only {settled} of 300 runs got an answer");
        // The runs did go through stale Responses, repetitions while pending and repeated
        // answers.
        assert!(stale > 20 && awaiting > 100 && answered_again > 50, "{stale} {awaiting} {answered_again}");
    }
}

#[test]
fn configuration_errors_name_the_key() {
    let e = |r: Result<(), mschapv2::ConfigError>| r.unwrap_err().to_string();
    assert_eq!(e(ServerConfig::new("").check()), "name: must not be empty");
    assert_eq!(
        e(ServerConfig { max_attempts: 0, ..ServerConfig::new("x") }.check()),
        "max_attempts: 0 is out of range: 1 to 255 transmissions (one identifier each)"
    );
    assert_eq!(
        e(ServerConfig { retry_timeout_ms: 0, ..ServerConfig::new("x") }.check()),
        "retry_timeout_ms: a timer must be at least 1 ms"
    );
    // RFC 2759 §8.1: at most 256 Unicode characters, 512 octets in UTF-16.
    assert!(ClientConfig::new("u", "é".repeat(256)).check().is_ok());
    assert_eq!(e(ClientConfig::new("u", "é".repeat(257)).check()), "password: 514 octets, at most 512 fit");
    let mut client = MsChapV2Client::new(0, ClientConfig::new("u", "p")).unwrap();
    assert!(client.set_password("x".repeat(257)).is_err());
    // The password stays out of Debug output.
    let debug = format!("{:?}", ClientConfig::new("alice", "s3cr3t"));
    assert!(!debug.contains("s3cr3t") && debug.contains("alice"), "{debug}");
}

// ---- no input panics or wedges a machine ----

proptest::proptest! {
    /// Arbitrary packets (random bytes, and packets of every code with random fields, well
    /// formed MS-CHAPv2 texts among them) in any order, with timeouts and verdicts between:
    /// no panic, a few packets out per packet in at most, timers only move forward.
    #[test]
    fn arbitrary_input_never_panics(
        inputs in proptest::collection::vec(
            (0u8..9, proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64), 0u64..5_000),
            0..40,
        )
    ) {
        let mut source = Counter(0);
        let config = ServerConfig { max_attempts: 3, ..ServerConfig::new("dpvpn") };
        let mut server = MsChapV2Server::new(0, config, 0, &mut source).unwrap();
        let mut client =
            MsChapV2Client::new(0, ClientConfig { retry: true, ..ClientConfig::new("User", "clientPass") }).unwrap();
        let mut now = 0;
        for (kind, bytes, step) in inputs {
            now += step;
            let id = bytes.first().copied().unwrap_or(0);
            let mut value49 = bytes.clone();
            value49.resize(49, 0);
            value49[16..24].fill(0);
            let text = format!("E=691 R=1 C={} V=3 M=x", hex(&value49[..16]).to_uppercase());
            let packet = match kind {
                0 => bytes.clone(),
                1 => emit_chap(ChapRepr::Response { identifier: id, value: &value49, name: &bytes }),
                2 => emit_chap(ChapRepr::Response { identifier: id, value: &bytes, name: b"User" }),
                3 => emit_chap(ChapRepr::Challenge { identifier: id, value: &value49[..16], name: b"x" }),
                4 => emit_chap(ChapRepr::Challenge { identifier: id, value: &bytes, name: b"x" }),
                5 => emit_chap(ChapRepr::Success { identifier: id, message: &bytes }),
                6 => emit_chap(ChapRepr::Failure { identifier: id, message: text.as_bytes() }),
                7 => emit_chap(ChapRepr::Failure { identifier: id, message: &bytes }),
                _ => [&[7, id][..], &((4 + bytes.len()) as u16).to_be_bytes(), &bytes].concat(),
            };
            let before = [server.poll_timeout(), client.poll_timeout()];
            server.handle_packet(now, &packet);
            client.handle_packet(now, &packet, &mut source);
            server.handle_timeout(now, &mut source);
            client.handle_timeout(now);
            let outcome = match id % 4 {
                0 => AuthOutcome::Accept(Attributes::default()),
                1 => AuthOutcome::Accept(Attributes {
                    mschapv2: Some(MsChapV2Accept { authenticator_response: *b"S=407A5589115FD0D6209F510FE9C04566932CDA56" }),
                    ..Attributes::default()
                }),
                _ => AuthOutcome::Reject(reject(RejectKind::WrongPassword, AUTH_FAILED)),
            };
            let _ = server.verdict(now, outcome, &mut source);
            let after = [server.poll_timeout(), client.poll_timeout()];
            for (b, a) in before.iter().zip(after) {
                if let (Some(b), Some(a)) = (b, a) {
                    proptest::prop_assert!(a >= *b || a > now);
                }
            }
            proptest::prop_assert!(drain(|| server.poll_transmit()).len() <= 3);
            proptest::prop_assert!(drain(|| client.poll_transmit()).len() <= 2);
            drain(|| server.poll_event());
            drain(|| client.poll_event());
        }
    }
}

// ---- oracles: scapy and tshark read what the machines send ----

/// Whether `/usr/bin/python3` with scapy (Debian's python3-scapy, which scripts/deps.sh
/// installs) can run. Without it the test says why and passes, except under CI=true,
/// where a missing oracle is a failure.
fn scapy_available() -> bool {
    let ok = Command::new("/usr/bin/python3")
        .args(["-c", "import scapy.all"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        let why = "scapy is not available (/usr/bin/python3 -c 'import scapy.all' failed): install python3-scapy (scripts/deps.sh)";
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
        eprintln!("skipped: {why}");
    }
    ok
}

fn scapy(code: &str) -> String {
    let out = Command::new("/usr/bin/python3")
        .args(["-c", &format!("from scapy.all import *\n{code}")])
        .output()
        .expect("/usr/bin/python3");
    assert!(out.status.success(), "scapy failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A PPP frame (as PPPoE carries it: no Address/Control) holding a CHAP packet.
fn ppp_frame(packet: &[u8]) -> Vec<u8> {
    let header = PppRepr::pppoe(PppProtocol::CHAP);
    let mut frame = vec![0; header.buffer_len()];
    header.emit(&mut frame).unwrap();
    frame.extend_from_slice(packet);
    assert_eq!(parse_header(&frame).unwrap().0, PppProtocol::CHAP);
    frame
}

#[test]
fn scapy_reads_the_challenge_response_and_success() {
    if !scapy_available() {
        return;
    }
    let mut auth_source = Fixed(vec![array(RFC_AUTHENTICATOR_CHALLENGE)], Counter(0));
    let mut peer_source = Fixed(vec![array(RFC_PEER_CHALLENGE)], Counter(0));
    let mut server = MsChapV2Server::new(0, ServerConfig::new("dpvpn"), 0x42, &mut auth_source).unwrap();
    let mut client = MsChapV2Client::new(0, ClientConfig::new("User", "clientPass")).unwrap();
    let challenge = server.poll_transmit().unwrap();
    client.handle_packet(0, &challenge, &mut peer_source);
    let response = client.poll_transmit().unwrap();
    server.handle_packet(0, &response);
    let Some(ServerEvent::Verify { username, credentials }) = server.poll_event() else { panic!() };
    let outcome = verify(&mut LocalBackend::new(users()), username, credentials);
    server.verdict(0, outcome, &mut auth_source).unwrap();
    let success = server.poll_transmit().unwrap();

    let decoded = scapy(&format!(
        "for f in ['{}', '{}']:\n\
         \x20   p = PPP(bytes.fromhex(f)); c = p[PPP_CHAP_ChallengeResponse]\n\
         \x20   print(p.proto, c.code, c.id, c.len, c.value_size, c.value.hex(), c.optional_name.decode(), len(c.payload))\n\
         p = PPP(bytes.fromhex('{}')); s = p[PPP_CHAP]\n\
         print(p.proto, s.code, s.id, s.len, s.data.decode())",
        hex(&ppp_frame(&challenge)),
        hex(&ppp_frame(&response)),
        hex(&ppp_frame(&success)),
    ));
    let lines: Vec<&str> = decoded.lines().collect();
    let auth = hex(&unhex(RFC_AUTHENTICATOR_CHALLENGE));
    assert_eq!(lines[0], format!("49699 1 66 26 16 {auth} dpvpn 0"));
    // Value-Size 49: Peer-Challenge, 8 zero octets, NT-Response, Flags (RFC 2759 §4).
    let value = hex(&unhex(&format!("{RFC_PEER_CHALLENGE} 0000000000000000 {RFC_NT_RESPONSE} 00")));
    assert_eq!(lines[1], format!("49699 2 66 58 49 {value} User 0"));
    assert_eq!(lines[2], format!("49699 3 66 {} {RFC_AUTHENTICATOR_RESPONSE} M=Login ok", 4 + 42 + 11));
}

/// Whether `tshark` runs; as [`scapy_available`].
fn tshark_available() -> bool {
    let ok = Command::new("tshark").arg("-v").output().map(|o| o.status.success()).unwrap_or(false);
    if !ok {
        let why = "tshark is not available: install it (scripts/deps.sh)";
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
        eprintln!("skipped: {why}");
    }
    ok
}

/// An Ethernet frame with a PPPoE session header (RFC 2516 §4: version and type 1, code 0,
/// session 7) carrying `packet` as CHAP.
fn pppoe_frame(packet: &[u8]) -> Vec<u8> {
    let ppp = ppp_frame(packet);
    let mut frame = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0x64, 0x11, 0x00, 0x00, 0x07];
    frame.extend_from_slice(&(ppp.len() as u16).to_be_bytes());
    frame.extend_from_slice(&ppp);
    frame
}

/// A classic pcap (LINKTYPE_ETHERNET) holding `frames`.
fn pcap(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for v in [0xa1b2_c3d4u32.to_le_bytes(), [2, 0, 4, 0], [0; 4], [0; 4], 65535u32.to_le_bytes(), 1u32.to_le_bytes()] {
        out.extend_from_slice(&v);
    }
    for (i, f) in frames.iter().enumerate() {
        for v in [i as u32, 0, f.len() as u32, f.len() as u32] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(f);
    }
    out
}

#[test]
fn tshark_decodes_the_exchange_without_complaint() {
    if !tshark_available() {
        return;
    }
    // A retry exchange: Challenge, Response (wrong password), Failure R=1, Response, Success.
    let server = ServerConfig { max_attempts: 2, ..ServerConfig::new("dpvpn") };
    let client = ClientConfig { retry: true, ..ClientConfig::new("User", "wrong") };
    let mut p = Pair::new(server, client);
    p.next_password = Some("clientPass");
    let r = run(&mut p, clean(), 1, 60_000);
    let packets: Vec<&Vec<u8>> =
        [&r.from_server[0], &r.from_client[0], &r.from_server[1], &r.from_client[1], &r.from_server[2]]
            .into_iter()
            .map(|(_, b)| b)
            .collect();
    let frames: Vec<Vec<u8>> = packets.iter().map(|b| pppoe_frame(b)).collect();
    let path = std::env::temp_dir().join(format!("dpvpn-mschapv2-{}.pcap", std::process::id()));
    std::fs::write(&path, pcap(&frames)).unwrap();
    let mut cmd = Command::new("tshark");
    cmd.args(["-n", "-r"]).arg(&path).args(["-T", "fields", "-E", "separator=|"]);
    for f in ["_ws.expert.severity", "_ws.malformed", "chap.code", "chap.identifier", "chap.length", "chap.value_size"]
    {
        cmd.args(["-e", f]);
    }
    cmd.args(["-e", "chap.name", "-e", "chap.message"]);
    let out = cmd.output().unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "tshark failed: {}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect();
    let ChapRepr::Failure { message: failure, .. } = chap_repr(packets[2]) else { panic!() };
    let ChapRepr::Success { message: success, .. } = chap_repr(packets[4]) else { panic!() };
    let (failure, success) = (String::from_utf8_lossy(failure), String::from_utf8_lossy(success));
    assert!(failure.starts_with("E=691 R=1 C=") && failure.ends_with(" V=3 M=Authentication failed"), "{failure}");
    assert!(success.starts_with("S=") && success.ends_with(" M=Login ok"), "{success}");
    // No expert note and no malformed mark; the CHAP fields as we meant them.
    assert_eq!(
        lines,
        [
            "||1|1|26|16|dpvpn|".to_string(),
            "||2|1|58|49|User|".to_string(),
            format!("||4|1|{}|||{failure}", 4 + failure.len()),
            "||2|2|58|49|User|".to_string(),
            format!("||3|2|{}|||{success}", 4 + success.len()),
        ]
    );
}
