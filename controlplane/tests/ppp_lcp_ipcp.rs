//! LCP and IPCP on the RFC 1661 automaton: server and client roles against each other in
//! virtual time over a simulated link that loses, duplicates and reorders packets; peers
//! that ask what PPPoE forbids, refuse to authenticate, insist on an address, loop back or
//! fall silent; and golden bytes from scapy (an implementation we did not write) for what a
//! pppd-like peer sends and what the server answers.

use std::collections::VecDeque;
use std::process::Command;

use controlplane::aaa::Method;
use controlplane::ppp::fsm::{code, Event, Fsm, FsmConfig, Protocol, State, Verdict};
use controlplane::ppp::ipcp::{Ipcp, IpcpClientConfig, IpcpEvent, IpcpServerConfig};
use controlplane::ppp::lcp::{
    send_protocol_reject, Echo, EchoConfig, Lcp, LcpConfig, LcpEvent, LcpNegotiated, PPPOE_MAX_MRU,
};
use dataplane::wire::ppp::{ControlPacket, PppProtocol};
use dataplane::wire::Ipv4Address;

// ---- the simulated link ----

/// SplitMix64, for the link's faults.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 > 1.0 - p
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

#[derive(Clone, Copy)]
struct Faults {
    loss: f64,
    duplicate: f64,
    /// Each copy is delayed 1..=max_delay ms: copies overtake each other.
    max_delay: u64,
}

const CLEAN: Faults = Faults { loss: 0.0, duplicate: 0.0, max_delay: 1 };
const BAD: Faults = Faults { loss: 0.2, duplicate: 0.1, max_delay: 400 };

/// A framed control packet as it crosses the link.
#[derive(Clone, Debug)]
struct Sent {
    at: u64,
    /// 0: A (the server) sent it; 1: B (the client).
    from: usize,
    bytes: Vec<u8>,
}

impl Sent {
    fn code(&self) -> u8 {
        self.bytes[0]
    }
    fn data(&self) -> &[u8] {
        &self.bytes[4..]
    }
}

fn frame(p: &controlplane::ppp::fsm::Packet) -> Vec<u8> {
    let mut b = vec![p.code, p.identifier];
    b.extend_from_slice(&((4 + p.data.len()) as u16).to_be_bytes());
    b.extend_from_slice(&p.data);
    b
}

/// What a test harness does with a protocol's own events and timers, as the session
/// manager would.
trait Proto: Protocol + Sized {
    fn drain(_side: &mut Side<Self>, _now: u64) {}
    fn next_timer(_side: &Side<Self>) -> Option<u64> {
        None
    }
    fn fire_timer(_side: &mut Side<Self>, _now: u64) {}
}

struct Side<P> {
    fsm: Fsm<P>,
    echo: Option<Echo>,
    events: Vec<(u64, Event)>,
    lcp_events: Vec<(u64, LcpEvent)>,
    ipcp_events: Vec<(u64, IpcpEvent)>,
    keepalive_failed: Option<u64>,
    /// Tell the keepalive "traffic seen" every this many ms (the data plane's counters).
    traffic_every: Option<u64>,
    next_traffic: u64,
}

impl<P: Proto> Side<P> {
    fn new(protocol: P, first_identifier: u8) -> Self {
        Side {
            fsm: Fsm::new(protocol, FsmConfig::default(), first_identifier).unwrap(),
            echo: None,
            events: Vec::new(),
            lcp_events: Vec::new(),
            ipcp_events: Vec::new(),
            keepalive_failed: None,
            traffic_every: None,
            next_traffic: 0,
        }
    }

    fn opened(&self) -> bool {
        self.fsm.state() == State::Opened
    }

    fn ever_up(&self) -> bool {
        self.events.iter().any(|(_, e)| *e == Event::ThisLayerUp)
    }

    fn quiet(&self) -> bool {
        self.fsm.poll_timeout().is_none()
    }
}

impl Proto for Lcp {
    fn drain(side: &mut Side<Self>, now: u64) {
        while let Some(e) = side.fsm.protocol_mut().poll_event() {
            if let Some(reason) = e.close_reason() {
                side.fsm.close(now, reason.as_bytes());
            }
            side.lcp_events.push((now, e));
        }
    }
    fn next_timer(side: &Side<Self>) -> Option<u64> {
        side.echo.as_ref().and_then(|e| e.poll_timeout())
    }
    fn fire_timer(side: &mut Side<Self>, now: u64) {
        if let Some(every) = side.traffic_every {
            while side.next_traffic <= now {
                if let Some(echo) = side.echo.as_mut() {
                    echo.traffic_seen(side.next_traffic);
                }
                side.next_traffic += every;
            }
        }
        let Some(echo) = side.echo.as_mut() else { return };
        if echo.poll_timeout().is_some_and(|t| t <= now) {
            if let Some(failed) = echo.handle_timeout(now, &mut side.fsm) {
                side.keepalive_failed = Some(now);
                side.fsm.close(now, failed.close_reason().as_bytes());
            }
        }
    }
}

impl Proto for Ipcp {
    fn drain(side: &mut Side<Self>, now: u64) {
        while let Some(e) = side.fsm.protocol_mut().poll_event() {
            if let Some(reason) = e.close_reason() {
                side.fsm.close(now, reason.as_bytes());
            }
            side.ipcp_events.push((now, e));
        }
    }
}

struct Sim<A, B> {
    now: u64,
    a: Side<A>,
    b: Side<B>,
    faults: Faults,
    rng: Rng,
    /// In flight: (arrival time, destination, bytes).
    link: Vec<(u64, usize, Vec<u8>)>,
    /// Everything sent, in order.
    log: Vec<Sent>,
    /// From this time on, whatever B sends is lost (B "stops answering").
    b_silent_from: Option<u64>,
}

impl<A: Proto, B: Proto> Sim<A, B> {
    fn new(a: A, b: B, faults: Faults, seed: u64) -> Self {
        let mut rng = Rng(seed);
        let (ia, ib) = (rng.next() as u8, rng.next() as u8);
        Sim {
            now: 0,
            a: Side::new(a, ia),
            b: Side::new(b, ib),
            faults,
            rng,
            link: Vec::new(),
            log: Vec::new(),
            b_silent_from: None,
        }
    }

    /// Both lower layers up, both sides opened (the server a little earlier).
    fn start(&mut self) {
        self.a.fsm.up(0);
        self.a.fsm.open(0);
        self.b.fsm.up(1);
        self.b.fsm.open(1);
        self.flush();
    }

    fn send(&mut self, from: usize, bytes: Vec<u8>) {
        self.log.push(Sent { at: self.now, from, bytes: bytes.clone() });
        if from == 1 && self.b_silent_from.is_some_and(|t| self.now >= t) {
            return;
        }
        let copies = if self.rng.chance(self.faults.duplicate) { 2 } else { 1 };
        for _ in 0..copies {
            if self.rng.chance(self.faults.loss) {
                continue;
            }
            let at = self.now + 1 + self.rng.below(self.faults.max_delay);
            self.link.push((at, 1 - from, bytes.clone()));
        }
    }

    /// Move what the automata want to send onto the link; hand events to the harness.
    fn flush(&mut self) {
        loop {
            let mut moved = false;
            A::drain(&mut self.a, self.now);
            B::drain(&mut self.b, self.now);
            while let Some(p) = self.a.fsm.poll_transmit() {
                self.send(0, frame(&p));
                moved = true;
            }
            while let Some(p) = self.b.fsm.poll_transmit() {
                self.send(1, frame(&p));
                moved = true;
            }
            let now = self.now;
            moved |= events(&mut self.a, now);
            moved |= events(&mut self.b, now);
            if !moved {
                return;
            }
        }
    }

    fn next_time(&self) -> Option<u64> {
        [
            self.a.fsm.poll_timeout(),
            self.b.fsm.poll_timeout(),
            A::next_timer(&self.a),
            B::next_timer(&self.b),
            self.link.iter().map(|l| l.0).min(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Run until `done` holds with nothing in flight, or virtual time passes `limit`.
    fn run_until(&mut self, limit: u64, done: impl Fn(&Self) -> bool) -> bool {
        loop {
            self.flush();
            if self.link.is_empty() && done(self) {
                return true;
            }
            let Some(next) = self.next_time() else { return false };
            if next > limit {
                return false;
            }
            self.now = self.now.max(next);
            let now = self.now;
            let mut arrived: Vec<(u64, usize, Vec<u8>)> = Vec::new();
            self.link.retain(|l| {
                if l.0 <= now {
                    arrived.push(l.clone());
                    false
                } else {
                    true
                }
            });
            arrived.sort_by_key(|l| l.0);
            for (_, to, bytes) in arrived {
                let p = ControlPacket::new_checked(&bytes[..]).unwrap();
                if to == 0 {
                    self.a.fsm.handle_packet(now, p.code(), p.identifier(), p.data());
                } else {
                    self.b.fsm.handle_packet(now, p.code(), p.identifier(), p.data());
                }
                self.flush();
            }
            if self.a.fsm.poll_timeout().is_some_and(|t| t <= now) {
                self.a.fsm.handle_timeout(now);
            }
            if self.b.fsm.poll_timeout().is_some_and(|t| t <= now) {
                self.b.fsm.handle_timeout(now);
            }
            A::fire_timer(&mut self.a, now);
            B::fire_timer(&mut self.b, now);
        }
    }

    fn run_until_opened(&mut self) {
        let ok = self.run_until(600_000, |s| s.a.opened() && s.b.opened() && s.a.quiet() && s.b.quiet());
        let tail = &self.log[self.log.len().saturating_sub(12)..];
        assert!(ok, "not both Opened: A {} B {}, last packets {tail:?}", self.a.fsm.state(), self.b.fsm.state());
    }

    /// The packets `from` sent with `code`.
    fn sent(&self, from: usize, code: u8) -> Vec<&Sent> {
        self.log.iter().filter(|s| s.from == from && s.code() == code).collect()
    }
}

/// Record the automaton's events; start and stop the keepalive on This-Layer-Up/Down.
fn events<P: Protocol>(side: &mut Side<P>, now: u64) -> bool {
    let mut any = false;
    while let Some(e) = side.fsm.poll_event() {
        any = true;
        if let Some(echo) = side.echo.as_mut() {
            match e {
                Event::ThisLayerUp => echo.start(now),
                Event::ThisLayerDown => echo.stop(),
                _ => {}
            }
        }
        side.events.push((now, e));
    }
    any
}

fn server() -> Lcp {
    Lcp::new(LcpConfig::server(vec![Method::ChapMd5, Method::Pap]), 0x5eed_0001).unwrap()
}

fn client(methods: Vec<Method>) -> Lcp {
    Lcp::new(LcpConfig::client(methods), 0xc11e_0002).unwrap()
}

fn negotiated(side: &Side<Lcp>) -> LcpNegotiated {
    side.fsm.protocol().negotiated().expect("negotiated values once Opened")
}

// ---- LCP ----

#[test]
fn lcp_server_and_client_open_over_a_lossy_duplicating_reordering_link() {
    for seed in 0..60 {
        let s = Lcp::new(LcpConfig::server(vec![Method::ChapMd5, Method::Pap]), seed * 7 + 1).unwrap();
        let c = Lcp::new(LcpConfig::client(vec![Method::Pap, Method::ChapMd5]), seed * 13 + 5).unwrap();
        let mut sim = Sim::new(s, c, BAD, seed);
        sim.start();
        sim.run_until_opened();
        let (ns, nc) = (negotiated(&sim.a), negotiated(&sim.b));
        assert_eq!((ns.peer_mru, ns.our_mru, nc.peer_mru, nc.our_mru), (1492, 1492, 1492, 1492), "seed {seed}");
        // The server asks CHAP-MD5 first and the client can do it.
        assert_eq!(ns.authentication, Some(Method::ChapMd5), "seed {seed}");
        assert_eq!(nc.authentication, Some(Method::ChapMd5), "seed {seed}");
        let (ms, mc) = (ns.our_magic.unwrap(), nc.our_magic.unwrap());
        assert_ne!(ms, mc);
        assert_eq!(nc.peer_magic, Some(ms));
        assert_eq!(ns.peer_magic, Some(mc));
        assert_eq!(sim.a.fsm.protocol().echo_magic(), ms);
    }
}

/// A pppd on a serial line: asks ACCM, PFC and ACFC on top of what our client asks, and
/// stops asking those the peer rejects.
struct SerialPeer {
    inner: Lcp,
    extra: Vec<Vec<u8>>,
}

impl SerialPeer {
    fn strip<'a>(&self, list: &'a [u8]) -> (Vec<u8>, Vec<&'a [u8]>) {
        let (mut rest, mut extras) = (Vec::new(), Vec::new());
        let mut at = 0;
        while at + 2 <= list.len() {
            let len = list[at + 1] as usize;
            let raw = &list[at..at + len];
            if self.extra.iter().any(|e| e == raw) {
                extras.push(raw);
            } else {
                rest.extend_from_slice(raw);
            }
            at += len;
        }
        (rest, extras)
    }
}

impl Protocol for SerialPeer {
    fn reset(&mut self) {
        self.inner.reset();
    }
    fn configure_request(&mut self, out: &mut Vec<u8>) {
        self.inner.configure_request(out);
        for e in &self.extra {
            out.extend_from_slice(e);
        }
    }
    fn receive_configure_request(&mut self, o: &[u8], r: bool, reply: &mut Vec<u8>) -> Verdict {
        self.inner.receive_configure_request(o, r, reply)
    }
    fn receive_configure_ack(&mut self, o: &[u8]) {
        let (rest, _) = self.strip(o);
        self.inner.receive_configure_ack(&rest);
    }
    fn receive_configure_nak(&mut self, o: &[u8], t: bool) -> bool {
        self.inner.receive_configure_nak(o, t)
    }
    fn receive_configure_reject(&mut self, o: &[u8]) -> bool {
        let (rest, extras) = self.strip(o);
        let extras: Vec<Vec<u8>> = extras.iter().map(|e| e.to_vec()).collect();
        self.extra.retain(|e| !extras.contains(e));
        rest.is_empty() || self.inner.receive_configure_reject(&rest)
    }
    fn receive_extended(&mut self, s: State, c: u8, i: u8, d: &[u8]) -> controlplane::ppp::fsm::Extended {
        self.inner.receive_extended(s, c, i, d)
    }
    fn echo_reply(&mut self, req: &[u8], reply: &mut Vec<u8>) {
        self.inner.echo_reply(req, reply)
    }
}

impl Proto for SerialPeer {}

const ACCM: [u8; 6] = [2, 6, 0, 0, 0, 0];
const PFC: [u8; 2] = [7, 2];
const ACFC: [u8; 2] = [8, 2];

#[test]
fn lcp_accm_pfc_acfc_are_rejected_and_the_link_still_opens() {
    for seed in 0..20 {
        let peer = SerialPeer {
            inner: client(vec![Method::ChapMd5]),
            extra: vec![ACCM.to_vec(), PFC.to_vec(), ACFC.to_vec()],
        };
        let mut sim = Sim::new(server(), peer, if seed == 0 { CLEAN } else { BAD }, seed);
        sim.start();
        sim.run_until_opened();
        let rejects = sim.sent(0, code::CONFIGURE_REJECT);
        assert!(!rejects.is_empty(), "seed {seed}");
        // RFC 2516 §7: all three rejected, exactly as the peer sent them, and nothing else.
        let want: Vec<u8> = [&ACCM[..], &PFC[..], &ACFC[..]].concat();
        assert_eq!(rejects[0].data(), &want[..], "seed {seed}");
        assert!(sim.b.fsm.protocol().extra.is_empty());
        assert_eq!(negotiated(&sim.a).authentication, Some(Method::ChapMd5));
    }
}

#[test]
fn lcp_client_naks_pap_with_chap_and_the_server_switches() {
    for seed in 0..20 {
        let s = Lcp::new(LcpConfig::server(vec![Method::Pap, Method::ChapMd5]), 99 + seed).unwrap();
        let mut sim = Sim::new(s, client(vec![Method::ChapMd5]), if seed == 0 { CLEAN } else { BAD }, seed);
        sim.start();
        sim.run_until_opened();
        let naks = sim.sent(1, code::CONFIGURE_NAK);
        assert!(naks.iter().any(|n| n.data() == [3, 5, 0xc2, 0x23, 5]), "seed {seed}: {naks:?}");
        assert_eq!(negotiated(&sim.a).authentication, Some(Method::ChapMd5));
        assert_eq!(negotiated(&sim.b).authentication, Some(Method::ChapMd5));
        assert!(sim.a.lcp_events.is_empty(), "{:?}", sim.a.lcp_events);
    }
}

#[test]
fn lcp_server_refuses_a_client_that_only_does_ms_chap_v2_and_closes_cleanly() {
    for seed in 0..10 {
        let s = Lcp::new(LcpConfig::server(vec![Method::Pap, Method::ChapMd5]), 3 + seed).unwrap();
        let mut sim = Sim::new(s, client(vec![Method::MsChapV2]), if seed == 0 { CLEAN } else { BAD }, seed);
        sim.start();
        let ended = sim.run_until(600_000, |s| {
            s.a.fsm.state() == State::Closed && s.b.fsm.state() == State::Stopped && s.a.quiet() && s.b.quiet()
        });
        assert!(ended, "seed {seed}: A {} B {}", sim.a.fsm.state(), sim.b.fsm.state());
        assert!(!sim.a.ever_up() && !sim.b.ever_up(), "seed {seed}: opened without authentication");
        let refused: Vec<_> = sim
            .a
            .lcp_events
            .iter()
            .filter_map(|(_, e)| match e {
                LcpEvent::AuthenticationRefused { suggested } => Some(suggested.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(refused.len(), 1, "seed {seed}");
        let suggested = refused[0].clone().expect("the peer Nak'd with a suggestion");
        assert_eq!((suggested.protocol, suggested.data.as_slice()), (PppProtocol::CHAP, &[0x81][..]));
        assert_eq!(suggested.to_string(), "MS-CHAPv2 (0xc223 81)");
        // The server tried both of its methods before giving up, and said why it closed.
        let requests = sim.sent(0, code::CONFIGURE_REQUEST);
        let asked = |option: &[u8]| requests.iter().any(|p| p.data().windows(option.len()).any(|w| w == option));
        assert!(asked(&[3, 4, 0xc0, 0x23]) && asked(&[3, 5, 0xc2, 0x23, 5]), "seed {seed}");
        let terms = sim.sent(0, code::TERMINATE_REQUEST);
        assert_eq!(terms[0].data(), b"Authentication refused");
        assert!(sim.a.fsm.protocol().authentication_refused());
    }
}

#[test]
fn lcp_a_client_that_cannot_authenticate_at_all_rejects_and_the_server_closes() {
    let mut sim = Sim::new(server(), client(vec![]), CLEAN, 11);
    sim.start();
    let ended = sim.run_until(600_000, |s| s.a.fsm.state() == State::Closed && s.a.quiet() && s.b.quiet());
    assert!(ended, "A {} B {}", sim.a.fsm.state(), sim.b.fsm.state());
    assert!(!sim.a.ever_up());
    // The client Rejected the Authentication-Protocol option, as it came.
    assert_eq!(sim.sent(1, code::CONFIGURE_REJECT)[0].data(), [3, 5, 0xc2, 0x23, 5]);
    assert_eq!(
        sim.a.lcp_events.iter().map(|(_, e)| e.clone()).collect::<Vec<_>>(),
        [LcpEvent::AuthenticationRefused { suggested: None }]
    );
}

#[test]
fn lcp_a_silent_peer_ends_in_stopped_after_max_configure() {
    let mut sim = Sim::new(server(), client(vec![Method::Pap]), CLEAN, 12);
    sim.b_silent_from = Some(0);
    sim.start();
    let ended = sim.run_until(600_000, |s| s.a.fsm.state() == State::Stopped && s.a.quiet());
    assert!(ended, "A {}", sim.a.fsm.state());
    // Max-Configure (10) requests, three seconds apart (RFC 1661 §4.6), then This-Layer-Finished.
    let requests = sim.sent(0, code::CONFIGURE_REQUEST);
    assert_eq!(requests.len(), 10);
    assert_eq!(requests[9].at - requests[0].at, 27_000);
    assert!(sim.a.events.iter().any(|(_, e)| *e == Event::ThisLayerFinished));
    assert!(sim.a.lcp_events.is_empty());
}

#[test]
fn lcp_a_peer_that_code_rejects_echo_request_stops_the_keepalive() {
    let mut sim = keepalive_sim(13);
    let echo_at = sim.a.echo.as_ref().unwrap().poll_timeout().unwrap();
    sim.run_until(echo_at, |_| false);
    let sent = sim.sent(0, code::ECHO_REQUEST).len();
    assert_eq!(sent, 1);
    // The peer says it does not know code 9 (§5.6): we must stop sending it (§4.3 RXJ+).
    let now = sim.now + 1;
    let ours = negotiated(&sim.a).our_magic.unwrap().to_be_bytes();
    let rejected = [&[9, 1, 0, 8][..], &ours[..]].concat();
    sim.a.fsm.handle_packet(now, code::CODE_REJECT, 200, &rejected);
    assert_eq!(sim.a.fsm.protocol_mut().poll_event(), Some(LcpEvent::CodeRejected { code: 9 }));
    assert!(sim.a.fsm.protocol().echo_rejected());
    sim.run_until(now + 120_000, |_| false);
    assert_eq!(sim.sent(0, code::ECHO_REQUEST).len(), sent);
    assert_eq!(sim.a.keepalive_failed, None);
    assert!(sim.a.opened(), "a Code-Reject of Echo-Request is not catastrophic");
}

#[test]
fn lcp_mru_1500_is_nakd_down_to_1492_and_allowed_with_ppp_max_payload() {
    let mut c = LcpConfig::client(vec![Method::Pap]);
    c.mru = Some(1500);
    c.max_mru = 1500;
    let mut sim = Sim::new(server(), Lcp::new(c.clone(), 7).unwrap(), CLEAN, 1);
    sim.start();
    sim.run_until_opened();
    let naks = sim.sent(0, code::CONFIGURE_NAK);
    assert_eq!(naks[0].data(), [1, 4, 0x05, 0xd4], "Nak MRU 1492");
    assert_eq!(negotiated(&sim.a).peer_mru, 1492);
    assert_eq!(negotiated(&sim.b).our_mru, 1492);

    // RFC 4638: PPP-Max-Payload 1500 agreed in discovery: 1500 is fine.
    let mut s = LcpConfig::server(vec![Method::Pap]);
    s.max_mru = 1500;
    let mut sim = Sim::new(Lcp::new(s, 8).unwrap(), Lcp::new(c, 9).unwrap(), CLEAN, 2);
    sim.start();
    sim.run_until_opened();
    assert!(sim.sent(0, code::CONFIGURE_NAK).is_empty());
    assert_eq!(negotiated(&sim.a).peer_mru, 1500);
    // The server still asks 1492 for itself.
    assert_eq!(negotiated(&sim.a).our_mru, 1492);

    // A tiny MRU is Nak'd up to 68 (RFC 791's smallest MTU); 576 is fine.
    let mut tiny = LcpConfig::client(vec![Method::Pap]);
    tiny.mru = Some(576);
    let mut sim = Sim::new(server(), Lcp::new(tiny, 10).unwrap(), CLEAN, 3);
    sim.start();
    sim.run_until_opened();
    assert_eq!(negotiated(&sim.a).peer_mru, 576);
    let mut lcp = server();
    let mut reply = Vec::new();
    let magic = [5, 6, 1, 2, 3, 4];
    let req = [&[1, 4, 0, 40][..], &magic[..]].concat();
    assert_eq!(lcp.receive_configure_request(&req, false, &mut reply), Verdict::Nak);
    assert_eq!(reply, [1, 4, 0, 68]);
}

#[test]
fn lcp_a_looped_back_link_is_detected_and_closed() {
    // The server's packets come back to itself.
    let mut fsm = Fsm::new(server(), FsmConfig::default(), 1).unwrap();
    fsm.up(0);
    fsm.open(0);
    let mut now = 0;
    let mut queue: VecDeque<Vec<u8>> = VecDeque::new();
    let mut lcp_events = Vec::new();
    let mut opened = false;
    for _ in 0..10_000 {
        while let Some(e) = fsm.protocol_mut().poll_event() {
            if let Some(r) = e.close_reason() {
                fsm.close(now, r.as_bytes());
            }
            lcp_events.push(e);
        }
        while let Some(e) = fsm.poll_event() {
            opened |= e == Event::ThisLayerUp;
        }
        while let Some(p) = fsm.poll_transmit() {
            queue.push_back(frame(&p));
        }
        if let Some(b) = queue.pop_front() {
            now += 1;
            let p = ControlPacket::new_checked(&b[..]).unwrap();
            fsm.handle_packet(now, p.code(), p.identifier(), p.data());
        } else if let Some(t) = fsm.poll_timeout() {
            now = t;
            fsm.handle_timeout(now);
        } else {
            break;
        }
    }
    assert_eq!(lcp_events, [LcpEvent::LoopbackDetected]);
    assert!(!opened);
    assert_eq!(fsm.state(), State::Closed);
    // Detected in a few round trips, long before a restart timer ran out.
    assert!(now < 3_000, "took {now} ms");
}

/// Our client, but its first Configure-Request carries `magic` (the server's own).
struct SameMagic {
    inner: Lcp,
    magic: Option<u32>,
}

impl Protocol for SameMagic {
    fn reset(&mut self) {
        self.inner.reset()
    }
    fn configure_request(&mut self, out: &mut Vec<u8>) {
        self.inner.configure_request(out);
        if let Some(m) = self.magic {
            // Our client puts the Magic-Number last.
            let at = out.len() - 6;
            assert_eq!(out[at..at + 2], [5, 6]);
            out[at + 2..].copy_from_slice(&m.to_be_bytes());
        }
    }
    fn receive_configure_request(&mut self, o: &[u8], r: bool, reply: &mut Vec<u8>) -> Verdict {
        self.inner.receive_configure_request(o, r, reply)
    }
    fn receive_configure_ack(&mut self, o: &[u8]) {
        self.inner.receive_configure_ack(o)
    }
    fn receive_configure_nak(&mut self, o: &[u8], t: bool) -> bool {
        self.magic = None;
        self.inner.receive_configure_nak(o, t)
    }
    fn receive_configure_reject(&mut self, o: &[u8]) -> bool {
        self.inner.receive_configure_reject(o)
    }
    fn receive_extended(&mut self, s: State, c: u8, i: u8, d: &[u8]) -> controlplane::ppp::fsm::Extended {
        self.inner.receive_extended(s, c, i, d)
    }
    fn echo_reply(&mut self, req: &[u8], reply: &mut Vec<u8>) {
        self.inner.echo_reply(req, reply)
    }
}

impl Proto for SameMagic {}

#[test]
fn lcp_a_peer_with_our_magic_number_is_nakd_and_then_opens_without_a_false_loop() {
    let s = server();
    let magic = s.magic_number();
    let mut sim = Sim::new(s, SameMagic { inner: client(vec![Method::ChapMd5]), magic: Some(magic) }, CLEAN, 4);
    sim.start();
    sim.run_until_opened();
    // §6.4: the server Nak'd the colliding Magic-Number with a different one.
    let nak = sim.sent(0, code::CONFIGURE_NAK)[0];
    assert_eq!(nak.data()[..2], [5, 6]);
    assert_ne!(nak.data()[2..6], magic.to_be_bytes());
    assert!(sim.a.lcp_events.is_empty(), "{:?}", sim.a.lcp_events);
    let (ns, nc) = (negotiated(&sim.a), sim.b.fsm.protocol().inner.negotiated().unwrap());
    assert_ne!(ns.our_magic, ns.peer_magic);
    assert_eq!(nc.peer_magic, ns.our_magic);
}

#[test]
fn lcp_an_echo_request_with_our_own_magic_in_opened_is_a_loop() {
    let mut sim = Sim::new(server(), client(vec![Method::ChapMd5]), CLEAN, 5);
    sim.start();
    sim.run_until_opened();
    let ours = negotiated(&sim.a).our_magic.unwrap();
    let now = sim.now + 1;
    sim.a.fsm.handle_packet(now, code::ECHO_REQUEST, 77, &ours.to_be_bytes());
    assert!(sim.a.fsm.poll_transmit().is_none(), "not answered");
    assert_eq!(sim.a.fsm.protocol_mut().poll_event(), Some(LcpEvent::LoopbackDetected));
    // The peer's own magic is answered with ours (§5.8), its data echoed.
    let theirs = negotiated(&sim.a).peer_magic.unwrap();
    let mut req = theirs.to_be_bytes().to_vec();
    req.extend_from_slice(b"ping");
    sim.a.fsm.handle_packet(now, code::ECHO_REQUEST, 78, &req);
    let reply = sim.a.fsm.poll_transmit().unwrap();
    assert_eq!((reply.code, reply.identifier), (code::ECHO_REPLY, 78));
    assert_eq!(reply.data, [&ours.to_be_bytes()[..], b"ping"].concat());
}

fn keepalive_sim(seed: u64) -> Sim<Lcp, Lcp> {
    let mut sim = Sim::new(server(), client(vec![Method::ChapMd5]), Faults { max_delay: 20, ..CLEAN }, seed);
    sim.a.echo = Some(Echo::new(EchoConfig { interval_ms: 10_000, failures: 3 }).unwrap());
    sim.start();
    sim.run_until_opened();
    sim
}

#[test]
fn lcp_keepalive_fails_after_n_unanswered_intervals_and_not_before() {
    let mut sim = keepalive_sim(6);
    let opened_at = sim.a.events.iter().find(|(_, e)| *e == Event::ThisLayerUp).unwrap().0;
    // An answering peer keeps the link up for an hour.
    sim.run_until(opened_at + 3_600_000, |_| false);
    assert_eq!(sim.a.keepalive_failed, None);
    assert!(sim.a.opened());
    let echoes = sim.sent(0, code::ECHO_REQUEST).len();
    assert!((359..=361).contains(&echoes), "{echoes} Echo-Requests in an hour of 10 s intervals");
    // Every one answered (the last one's reply may still be on its way).
    assert!(echoes - sim.sent(1, code::ECHO_REPLY).len() <= 1);
    // Echo-Requests carry our magic (§5.8).
    let ours = negotiated(&sim.a).our_magic.unwrap();
    assert!(sim.sent(0, code::ECHO_REQUEST).iter().all(|e| e.data() == ours.to_be_bytes()));

    // Now the peer falls silent, halfway between two Echo-Requests.
    let last_echo = sim.sent(0, code::ECHO_REQUEST).last().unwrap().at;
    sim.b_silent_from = Some(last_echo + 5_000);
    let first_unanswered = last_echo + 10_000;
    let expected = first_unanswered + 3 * 10_000;
    assert!(!sim.run_until(expected - 1, |s| s.a.keepalive_failed.is_some()));
    assert!(sim.a.opened(), "still up one ms before the third interval ends");
    sim.run_until(expected + 60_000, |s| s.a.keepalive_failed.is_some() && s.a.quiet());
    assert_eq!(sim.a.keepalive_failed, Some(expected));
    // The session is torn down: Terminate-Request with the reason, then Closed.
    assert_eq!(sim.sent(0, code::TERMINATE_REQUEST)[0].data(), b"Peer not responding");
    assert_eq!(sim.a.fsm.state(), State::Closed);
}

#[test]
fn lcp_keepalive_traffic_seen_counts_as_alive() {
    let mut sim = keepalive_sim(7);
    // Echo-Replies are lost, but the data plane reports traffic from the peer every 4 s.
    sim.b_silent_from = Some(sim.now);
    sim.a.traffic_every = Some(4_000);
    sim.a.next_traffic = sim.now;
    sim.run_until(sim.now + 600_000, |_| false);
    assert_eq!(sim.a.keepalive_failed, None);
    assert!(sim.a.opened());
}

#[test]
fn lcp_protocol_reject_is_surfaced_and_identification_is_accepted() {
    let mut sim = Sim::new(server(), client(vec![Method::ChapMd5]), CLEAN, 8);
    sim.start();
    sim.run_until_opened();
    // The server rejects the client's IPv6CP (dpvpn has no IPv6CP): the client learns it.
    let ipv6cp_request = [1u8, 1, 0, 14, 1, 10, 0, 0, 0, 0, 0, 0, 0, 1];
    send_protocol_reject(&mut sim.a.fsm, PppProtocol::IPV6CP, &ipv6cp_request).unwrap();
    sim.run_until(sim.now + 1_000, |_| false);
    let pr = sim.sent(0, code::PROTOCOL_REJECT);
    assert_eq!(pr[0].data(), [&[0x80, 0x57][..], &ipv6cp_request[..]].concat());
    assert!(sim.b.lcp_events.iter().any(|(_, e)| *e == LcpEvent::ProtocolRejected { protocol: PppProtocol::IPV6CP }));
    assert!(sim.b.opened(), "a rejected NCP does not take LCP down");

    // RFC 1570 Identification and Time-Remaining: no Code-Reject, nothing changes.
    let now = sim.now + 1;
    let magic = negotiated(&sim.a).peer_magic.unwrap().to_be_bytes();
    sim.a.fsm.handle_packet(now, 12, 9, &[&magic[..], b"pppd 2.4.9"].concat());
    sim.a.fsm.handle_packet(now, 13, 10, &[&magic[..], &[0, 0, 0x0e, 0x10][..]].concat());
    assert!(sim.a.fsm.poll_transmit().is_none());
    // An unknown code is Code-Rejected.
    sim.a.fsm.handle_packet(now, 42, 11, b"??");
    assert_eq!(sim.a.fsm.poll_transmit().unwrap().code, code::CODE_REJECT);
    // A Protocol-Reject outside Opened is discarded (§5.7).
    let mut lcp = server();
    let ext = lcp.receive_extended(State::ReqSent, code::PROTOCOL_REJECT, 1, &[0x80, 0x21]);
    assert_eq!(ext, controlplane::ppp::fsm::Extended::Discard);
    assert!(lcp.poll_event().is_none());
}

#[test]
fn lcp_garbage_never_panics_and_never_opens_the_server_without_authentication() {
    let mut rng = Rng(42);
    for _ in 0..3_000 {
        let mut lcp = server();
        let len = rng.below(40) as usize;
        let bytes: Vec<u8> =
            (0..len).map(|_| [1, 2, 3, 4, 5, 7, 8, 0, 6, 0xc0, 0x23, 0xc2][rng.below(12) as usize]).collect();
        let mut reply = Vec::new();
        let _ = lcp.receive_configure_request(&bytes, rng.chance(0.5), &mut reply);
        lcp.configure_request(&mut Vec::new());
        let _ = lcp.receive_configure_nak(&bytes, rng.chance(0.5));
        let _ = lcp.receive_configure_reject(&bytes);
        let mut req = Vec::new();
        lcp.configure_request(&mut req);
        // Whatever the peer said, the server's request still asks for authentication.
        assert!(req.windows(2).any(|w| w == [3, 4] || w == [3, 5]), "{bytes:?} -> {req:?}");
        for c in 8..=14 {
            let _ = lcp.receive_extended(State::Opened, c, 1, &bytes);
        }
    }
}

// ---- IPCP ----

const GATEWAY: Ipv4Address = Ipv4Address::new(100, 64, 0, 1);
const ASSIGNED: Ipv4Address = Ipv4Address::new(100, 64, 0, 7);
const DNS1: Ipv4Address = Ipv4Address::new(198, 51, 100, 53);
const DNS2: Ipv4Address = Ipv4Address::new(198, 51, 100, 54);

fn ipcp_server(dns: &[Ipv4Address]) -> Ipcp {
    let mut c = IpcpServerConfig::new(GATEWAY);
    c.primary_dns = dns.first().copied();
    c.secondary_dns = dns.get(1).copied();
    Ipcp::server(c, ASSIGNED).unwrap()
}

#[test]
fn ipcp_client_asking_0_0_0_0_gets_the_assigned_address_and_dns() {
    for seed in 0..40 {
        let mut sim = Sim::new(ipcp_server(&[DNS1, DNS2]), Ipcp::client(IpcpClientConfig::default()), BAD, seed);
        sim.start();
        sim.run_until_opened();
        let s = sim.a.fsm.protocol().negotiated().unwrap();
        let c = sim.b.fsm.protocol().negotiated().unwrap();
        assert_eq!((c.local_address, c.peer_address), (Some(ASSIGNED), Some(GATEWAY)), "seed {seed}");
        assert_eq!((c.primary_dns, c.secondary_dns), (Some(DNS1), Some(DNS2)), "seed {seed}");
        assert_eq!((s.local_address, s.peer_address), (Some(GATEWAY), Some(ASSIGNED)), "seed {seed}");
        assert_eq!((s.primary_dns, s.secondary_dns), (Some(DNS1), Some(DNS2)));
    }
}

#[test]
fn ipcp_unconfigured_dns_is_rejected_and_the_client_does_without() {
    let mut sim = Sim::new(ipcp_server(&[DNS1]), Ipcp::client(IpcpClientConfig::default()), CLEAN, 1);
    sim.start();
    sim.run_until_opened();
    assert_eq!(sim.sent(0, code::CONFIGURE_REJECT)[0].data(), [131, 6, 0, 0, 0, 0]);
    let c = sim.b.fsm.protocol().negotiated().unwrap();
    assert_eq!((c.local_address, c.primary_dns, c.secondary_dns), (Some(ASSIGNED), Some(DNS1), None));
}

#[test]
fn ipcp_server_rejects_what_it_does_not_do_and_appends_a_missing_address() {
    let mut s = ipcp_server(&[]);
    let mut reply = Vec::new();
    // IP-Addresses (1), VJ compression (2), NBNS (130) with nothing configured, unknown 77.
    let req = [&[1, 10, 0, 0, 0, 0, 0, 0, 0, 0][..], &[2, 6, 0x00, 0x2d, 0x0f, 0x01], &[130, 6, 0, 0, 0, 0], &[77, 2]]
        .concat();
    assert_eq!(s.receive_configure_request(&req, false, &mut reply), Verdict::Reject);
    assert_eq!(reply, req);
    // No IP-Address at all: RFC 1332 §3.3, the server appends the assigned one to a Nak.
    reply.clear();
    assert_eq!(s.receive_configure_request(&[], false, &mut reply), Verdict::Nak);
    assert_eq!(reply, [3, 6, 100, 64, 0, 7]);
    // The right address is acknowledged.
    reply.clear();
    assert_eq!(s.receive_configure_request(&[3, 6, 100, 64, 0, 7], false, &mut reply), Verdict::Ack);
    // And the server's own request names its gateway address, never 0.0.0.0.
    let mut ours = Vec::new();
    s.configure_request(&mut ours);
    assert_eq!(ours, [3, 6, 100, 64, 0, 1]);
    assert!(Ipcp::server(IpcpServerConfig::new(Ipv4Address::UNSPECIFIED), ASSIGNED).is_err());
    assert!(Ipcp::server(IpcpServerConfig::new(GATEWAY), Ipv4Address::UNSPECIFIED).is_err());
    assert!(Ipcp::server(IpcpServerConfig::new(GATEWAY), GATEWAY).is_err());
}

/// A client that asks 10.9.9.9 whatever it is told.
struct Insistent;

impl Protocol for Insistent {
    fn configure_request(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[3, 6, 10, 9, 9, 9]);
    }
    fn receive_configure_request(&mut self, _: &[u8], _: bool, _: &mut Vec<u8>) -> Verdict {
        Verdict::Ack
    }
    fn receive_configure_nak(&mut self, _: &[u8], _: bool) -> bool {
        true
    }
    fn receive_configure_reject(&mut self, _: &[u8]) -> bool {
        true
    }
}

impl Proto for Insistent {}

#[test]
fn ipcp_a_client_insisting_on_another_address_ends_in_closed_not_a_wedge() {
    for seed in 0..10 {
        let mut sim = Sim::new(ipcp_server(&[DNS1]), Insistent, if seed == 0 { CLEAN } else { BAD }, seed);
        sim.start();
        let ended = sim.run_until(600_000, |s| {
            matches!(s.a.fsm.state(), State::Closed | State::Stopped) && s.a.quiet() && s.b.quiet()
        });
        assert!(ended, "seed {seed}: server {} client {}", sim.a.fsm.state(), sim.b.fsm.state());
        assert!(!sim.a.ever_up(), "seed {seed}: IPCP opened with the wrong address");
        assert_eq!(
            sim.a.ipcp_events.iter().map(|(_, e)| *e).collect::<Vec<_>>(),
            [IpcpEvent::AddressRefused { requested: Some(Ipv4Address::new(10, 9, 9, 9)) }],
            "seed {seed}"
        );
        // Max-Failure (5) Naks with the assigned address, then the Reject path (RFC 1661 §4.6).
        let naks = sim.sent(0, code::CONFIGURE_NAK);
        assert!(naks.len() >= 5 && naks.iter().all(|n| n.data() == [3, 6, 100, 64, 0, 7]), "seed {seed}");
        assert_eq!(sim.sent(0, code::CONFIGURE_REJECT)[0].data(), [3, 6, 10, 9, 9, 9]);
        if seed == 0 {
            assert_eq!(naks.len(), 5);
        }
    }
}

// ---- golden bytes from scapy ----

/// Run a python3 snippet with scapy and return what it printed (Debian's python3-scapy; see
/// dataplane/tests/oracle_util).
fn scapy(code: &str) -> String {
    let out = Command::new("/usr/bin/python3")
        .args(["-c", &format!("from scapy.all import *\n{code}")])
        .output()
        .unwrap_or_else(|e| panic!("cannot run /usr/bin/python3 ({e}); install python3-scapy (scripts/deps.sh)"));
    assert!(out.status.success(), "scapy failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Feed `request` (a whole control packet scapy built) to `fsm` and return its answer to it.
fn answer<P: Protocol>(fsm: &mut Fsm<P>, request: &[u8]) -> Vec<u8> {
    let p = ControlPacket::new_checked(request).unwrap();
    fsm.handle_packet(1, p.code(), p.identifier(), p.data());
    let mut answer = None;
    while let Some(t) = fsm.poll_transmit() {
        if (2..=4).contains(&t.code) && t.identifier == p.identifier() {
            answer = Some(frame(&t));
        }
    }
    answer.expect("an answer to the request")
}

/// scapy's reading of an LCP or IPCP Configure-* packet: one line for the header, one per
/// option with the fields scapy names.
const DESCRIBE: &str = r#"
def describe(p):
    print("code=%d id=%d len=%d" % (p.code, p.id, p.len))
    for o in p.options:
        fields = []
        for f in o.fields_desc[2:]:
            if f.name in o.fields and o.getfieldval(f.name) not in (None, b"", ""):
                v = o.getfieldval(f.name)
                fields.append("%s=%s" % (f.name, v.hex() if isinstance(v, bytes) else v))
        print("opt type=%d len=%d %s" % (o.type, o.len, " ".join(fields)))
"#;

#[test]
fn golden_lcp_pppd_like_requests_and_the_servers_answers_through_scapy() {
    let mut fsm = Fsm::new(server(), FsmConfig::default(), 0x40).unwrap();
    fsm.up(0);
    fsm.open(0);
    let ours = fsm.poll_transmit().unwrap();
    let magic = fsm.protocol().magic_number();
    // Our own Configure-Request, read by scapy.
    let out = scapy(&format!("{DESCRIBE}\ndescribe(PPP_LCP(bytes.fromhex('{}')))", to_hex(&frame(&ours))));
    assert_eq!(
        out,
        format!(
            "code=1 id=64 len=19\nopt type=1 len=4 max_recv_unit=1492\n\
             opt type=3 len=5 auth_protocol=49699 algorithm=5\nopt type=5 len=6 magic_number={magic}\n"
        )
    );

    // pppd with rp-pppoe: MRU 1492 and a Magic-Number: acknowledged as it came.
    let req = hex(&scapy(
        "print(bytes(PPP_LCP_Configure(code=1, id=1, options=[PPP_LCP_MRU_Option(max_recv_unit=1492), \
         PPP_LCP_Magic_Number_Option(magic_number=0x2a8b3c4d)])).hex())",
    ));
    assert_eq!(req, hex("01 01 000e 0104 05d4 0506 2a8b3c4d"));
    let ack = answer(&mut fsm, &req);
    let out = scapy(&format!("{DESCRIBE}\ndescribe(PPP_LCP(bytes.fromhex('{}')))", to_hex(&ack)));
    assert_eq!(
        out,
        "code=2 id=1 len=14\nopt type=1 len=4 max_recv_unit=1492\nopt type=5 len=6 magic_number=713768013\n"
    );

    // pppd on a serial line defaults: MRU 1500, ACCM, PFC, ACFC: the three are rejected.
    let req = hex(&scapy(
        "print(bytes(PPP_LCP_Configure(code=1, id=2, options=[PPP_LCP_MRU_Option(max_recv_unit=1500), \
         PPP_LCP_ACCM_Option(accm=0), PPP_LCP_Magic_Number_Option(magic_number=0x2a8b3c4d), \
         PPP_LCP_Option(type=7, data=b''), PPP_LCP_Option(type=8, data=b'')])).hex())",
    ));
    let rej = answer(&mut fsm, &req);
    let out = scapy(&format!("{DESCRIBE}\ndescribe(PPP_LCP(bytes.fromhex('{}')))", to_hex(&rej)));
    assert_eq!(out, "code=4 id=2 len=14\nopt type=2 len=6 accm=0\nopt type=7 len=2 \nopt type=8 len=2 \n");

    // The same without them: MRU 1500 is Nak'd down to 1492 (RFC 2516 §7).
    let req = hex(&scapy(
        "print(bytes(PPP_LCP_Configure(code=1, id=3, options=[PPP_LCP_MRU_Option(max_recv_unit=1500), \
         PPP_LCP_Magic_Number_Option(magic_number=0x2a8b3c4d)])).hex())",
    ));
    let nak = answer(&mut fsm, &req);
    let out = scapy(&format!("{DESCRIBE}\ndescribe(PPP_LCP(bytes.fromhex('{}')))", to_hex(&nak)));
    assert_eq!(out, "code=3 id=3 len=8\nopt type=1 len=4 max_recv_unit=1492\n");

    // A client asking us to authenticate with PAP: rejected (we do not authenticate to them).
    let req = hex(&scapy(
        "print(bytes(PPP_LCP_Configure(code=1, id=4, options=[PPP_LCP_Auth_Protocol_Option(auth_protocol=0xc023), \
         PPP_LCP_Magic_Number_Option(magic_number=0x2a8b3c4d)])).hex())",
    ));
    let rej = answer(&mut fsm, &req);
    let out = scapy(&format!("{DESCRIBE}\ndescribe(PPP_LCP(bytes.fromhex('{}')))", to_hex(&rej)));
    assert_eq!(out, "code=4 id=4 len=8\nopt type=3 len=4 auth_protocol=49187\n");
}

#[test]
fn golden_ipcp_pppd_like_request_gets_the_assigned_address_and_dns_through_scapy() {
    let mut fsm = Fsm::new(ipcp_server(&[DNS1, DNS2]), FsmConfig::default(), 0x10).unwrap();
    fsm.up(0);
    fsm.open(0);
    let ours = fsm.poll_transmit().unwrap();
    let out = scapy(&format!("{DESCRIBE}\ndescribe(PPP_IPCP(bytes.fromhex('{}')))", to_hex(&frame(&ours))));
    assert_eq!(out, "code=1 id=16 len=10\nopt type=3 len=6 data=100.64.0.1\n");

    let req = hex(&scapy(
        "print(bytes(PPP_IPCP(code=1, id=1, options=[PPP_IPCP_Option_IPAddress(data='0.0.0.0'), \
         PPP_IPCP_Option_DNS1(data='0.0.0.0'), PPP_IPCP_Option_DNS2(data='0.0.0.0')])).hex())",
    ));
    assert_eq!(req, hex("01 01 0016 0306 00000000 8106 00000000 8306 00000000"));
    let nak = answer(&mut fsm, &req);
    let out = scapy(&format!("{DESCRIBE}\ndescribe(PPP_IPCP(bytes.fromhex('{}')))", to_hex(&nak)));
    assert_eq!(
        out,
        "code=3 id=1 len=22\nopt type=3 len=6 data=100.64.0.7\nopt type=129 len=6 data=198.51.100.53\n\
         opt type=131 len=6 data=198.51.100.54\n"
    );

    // pppd's next request, with the Nak'd values: acknowledged.
    let req = hex(&scapy(
        "print(bytes(PPP_IPCP(code=1, id=2, options=[PPP_IPCP_Option_IPAddress(data='100.64.0.7'), \
         PPP_IPCP_Option_DNS1(data='198.51.100.53'), PPP_IPCP_Option_DNS2(data='198.51.100.54')])).hex())",
    ));
    let ack = answer(&mut fsm, &req);
    assert_eq!(ack[0], code::CONFIGURE_ACK);
    assert_eq!(ack[1..], req[1..]);

    // VJ compression asked (old pppd default): rejected.
    let req = hex(&scapy(
        "print(bytes(PPP_IPCP(code=1, id=3, options=[PPP_IPCP_Option(type=2, data=b'\\x00\\x2d\\x0f\\x01'), \
         PPP_IPCP_Option_IPAddress(data='100.64.0.7')])).hex())",
    ));
    let rej = answer(&mut fsm, &req);
    let out = scapy(&format!("{DESCRIBE}\ndescribe(PPP_IPCP(bytes.fromhex('{}')))", to_hex(&rej)));
    assert_eq!(out, "code=4 id=3 len=10\nopt type=2 len=6 data=002d0f01\n");
    let _ = PPPOE_MAX_MRU;
}
