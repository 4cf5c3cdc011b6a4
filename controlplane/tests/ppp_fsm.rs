//! Two RFC 1661 automata negotiating against each other in virtual time, over a link that
//! loses, duplicates, delays and reorders packets, and against peers that misbehave.
//!
//! The protocol is a toy with two options: Number (type 1, one byte) and Extra (type 2, no
//! value). The "server" asks for Number 1, insists that the peer use Number 7 (it Naks any
//! other value) and rejects Extra; the "client" asks for Number 3 and Extra and adopts what a
//! Nak suggests. Every run must end quiet (no timer running, nothing in flight) with each
//! side Opened or Stopped/Closed, within a bounded virtual time: nothing wedges.

use controlplane::ppp::fsm::{
    code, DiscardReason, Event, Extended, Fsm, FsmConfig, Packet, Protocol, State, Verdict,
};

const NUMBER: u8 = 1;
const EXTRA: u8 = 2;
const LATENCY_MS: u64 = 10;
const RESTART_MS: u64 = 3_000;

#[derive(Clone, Copy)]
struct Prefs {
    ask_number: Option<u8>,
    ask_extra: bool,
    /// The Number the peer must use; any other is Nak'd to this.
    want_peer_number: Option<u8>,
    /// Nak a request without Number, appending the wanted one ("locally desired").
    append_wanted: bool,
    accept_extra: bool,
    /// Take the value a Nak suggests (a stubborn peer keeps asking its own).
    adopt_naks: bool,
}

const SERVER: Prefs = Prefs {
    ask_number: Some(1),
    ask_extra: false,
    want_peer_number: Some(7),
    append_wanted: false,
    accept_extra: false,
    adopt_naks: true,
};

const CLIENT: Prefs = Prefs {
    ask_number: Some(3),
    ask_extra: true,
    want_peer_number: None,
    append_wanted: false,
    accept_extra: true,
    adopt_naks: true,
};

struct Toy {
    prefs: Prefs,
    ask_number: Option<u8>,
    ask_extra: bool,
    /// The peer's Number as we last acknowledged it.
    peer_number: Option<u8>,
    /// Our options as the peer last acknowledged them.
    acked: Option<Vec<u8>>,
    code_rejected: Vec<u8>,
}

impl Toy {
    fn new(prefs: Prefs) -> Self {
        Toy {
            prefs,
            ask_number: prefs.ask_number,
            ask_extra: prefs.ask_extra,
            peer_number: None,
            acked: None,
            code_rejected: Vec::new(),
        }
    }
}

/// An option as (type, value, the whole option).
type ToyOption = (u8, Vec<u8>, Vec<u8>);

/// The options, or None if malformed.
fn parse(mut options: &[u8]) -> Option<Vec<ToyOption>> {
    let mut out = Vec::new();
    while !options.is_empty() {
        let len = usize::from(*options.get(1)?);
        if len < 2 || len > options.len() {
            return None;
        }
        out.push((options[0], options[2..len].to_vec(), options[..len].to_vec()));
        options = &options[len..];
    }
    Some(out)
}

impl Protocol for Toy {
    fn reset(&mut self) {
        self.ask_number = self.prefs.ask_number;
        self.ask_extra = self.prefs.ask_extra;
    }

    fn configure_request(&mut self, options: &mut Vec<u8>) {
        if let Some(n) = self.ask_number {
            options.extend_from_slice(&[NUMBER, 3, n]);
        }
        if self.ask_extra {
            options.extend_from_slice(&[EXTRA, 2]);
        }
    }

    fn receive_configure_request(&mut self, options: &[u8], reject_instead: bool, reply: &mut Vec<u8>) -> Verdict {
        let Some(options) = parse(options) else { return Verdict::Discard };
        let (mut rejects, mut naks, mut number) = (Vec::new(), Vec::new(), None);
        for (kind, value, raw) in &options {
            match (*kind, value.len()) {
                (NUMBER, 1) => {
                    number = Some(value[0]);
                    match self.prefs.want_peer_number {
                        Some(want) if value[0] != want && reject_instead => rejects.extend_from_slice(raw),
                        Some(want) if value[0] != want => naks.extend_from_slice(&[NUMBER, 3, want]),
                        _ => {}
                    }
                }
                (EXTRA, 0) if self.prefs.accept_extra => {}
                _ => rejects.extend_from_slice(raw),
            }
        }
        // §5.4: a Reject takes precedence over a Nak.
        if !rejects.is_empty() {
            *reply = rejects;
            return Verdict::Reject;
        }
        if let (None, Some(want), true, false) = (number, self.prefs.want_peer_number, self.prefs.append_wanted, reject_instead) {
            naks.extend_from_slice(&[NUMBER, 3, want]);
        }
        if !naks.is_empty() {
            *reply = naks;
            return Verdict::Nak;
        }
        self.peer_number = number;
        Verdict::Ack
    }

    fn receive_configure_ack(&mut self, options: &[u8]) {
        self.acked = Some(options.to_vec());
    }

    fn receive_configure_nak(&mut self, options: &[u8], treat_as_reject: bool) -> bool {
        let Some(options) = parse(options) else { return false };
        for (kind, value, _) in options {
            if kind == NUMBER && value.len() == 1 {
                if treat_as_reject {
                    self.ask_number = None;
                } else if self.prefs.adopt_naks {
                    self.ask_number = Some(value[0]);
                }
            }
        }
        true
    }

    fn receive_configure_reject(&mut self, options: &[u8]) -> bool {
        let Some(options) = parse(options) else { return false };
        // §5.4: only options we asked for may be rejected.
        let asked = |kind: u8| (kind == NUMBER && self.ask_number.is_some()) || (kind == EXTRA && self.ask_extra);
        if !options.iter().all(|(kind, _, _)| asked(*kind)) {
            return false;
        }
        for (kind, _, _) in options {
            match kind {
                NUMBER => self.ask_number = None,
                _ => self.ask_extra = false,
            }
        }
        true
    }

    fn receive_extended(&mut self, _: State, code: u8, _: u8, _: &[u8]) -> Extended {
        match code {
            code::ECHO_REQUEST => Extended::EchoRequest,
            code::ECHO_REPLY | code::DISCARD_REQUEST => Extended::Rxr,
            _ => Extended::Unknown,
        }
    }

    fn code_rejected(&mut self, code: u8) -> bool {
        self.code_rejected.push(code);
        false
    }
}

struct Node {
    fsm: Fsm<Toy>,
    events: Vec<(u64, Event)>,
    sent: Vec<(u64, Packet)>,
    /// A silent peer: whatever is sent to it is lost.
    deaf: bool,
}

impl Node {
    fn layer_events(&self) -> Vec<&'static str> {
        self.events
            .iter()
            .filter_map(|(_, e)| match e {
                Event::ThisLayerUp => Some("tlu"),
                Event::ThisLayerDown => Some("tld"),
                Event::ThisLayerStarted => Some("tls"),
                Event::ThisLayerFinished => Some("tlf"),
                _ => None,
            })
            .collect()
    }

    fn sent_codes(&self, code: u8) -> Vec<&Packet> {
        self.sent.iter().map(|(_, p)| p).filter(|p| p.code == code).collect()
    }
}

struct Flight {
    at: u64,
    seq: u64,
    to: usize,
    packet: Packet,
}

/// What happens to the `nth` packet (counted per sender) `from` sends: one entry per copy
/// delivered, each an extra delay on top of the link latency. Empty: lost.
type Fate = Box<dyn FnMut(usize, &Packet, usize) -> Vec<u64>>;

struct World {
    nodes: [Node; 2],
    now: u64,
    flights: Vec<Flight>,
    seq: u64,
    sent_count: [usize; 2],
    fate: Fate,
}

impl World {
    fn new(server: Prefs, client: Prefs) -> Self {
        World::with_configs(server, FsmConfig::default(), client, FsmConfig::default())
    }

    fn with_configs(server: Prefs, server_config: FsmConfig, client: Prefs, client_config: FsmConfig) -> Self {
        let node = |prefs, config, first_identifier| Node {
            fsm: Fsm::new(Toy::new(prefs), config, first_identifier).unwrap(),
            events: Vec::new(),
            sent: Vec::new(),
            deaf: false,
        };
        World {
            nodes: [node(server, server_config, 0x40), node(client, client_config, 0xc0)],
            now: 0,
            flights: Vec::new(),
            seq: 0,
            sent_count: [0; 2],
            fate: Box::new(|_, _, _| vec![0]),
        }
    }

    fn start(&mut self) {
        for n in &mut self.nodes {
            n.fsm.up(self.now);
            n.fsm.open(self.now);
        }
    }

    fn server(&self) -> &Node {
        &self.nodes[0]
    }

    fn client(&self) -> &Node {
        &self.nodes[1]
    }

    /// Hand a packet to node `to` at `at`, as if the other side had sent it.
    fn inject(&mut self, to: usize, at: u64, code: u8, identifier: u8, data: &[u8]) {
        self.seq += 1;
        self.flights.push(Flight { at, seq: self.seq, to, packet: Packet { code, identifier, data: data.to_vec() } });
    }

    fn pump(&mut self) {
        for from in 0..2 {
            while let Some(p) = self.nodes[from].fsm.poll_transmit() {
                let nth = self.sent_count[from];
                self.sent_count[from] += 1;
                for delay in (self.fate)(from, &p, nth) {
                    self.seq += 1;
                    self.flights.push(Flight { at: self.now + LATENCY_MS + delay, seq: self.seq, to: 1 - from, packet: p.clone() });
                }
                self.nodes[from].sent.push((self.now, p));
            }
            while let Some(e) = self.nodes[from].fsm.poll_event() {
                self.nodes[from].events.push((self.now, e));
            }
        }
    }

    fn next_time(&self) -> Option<u64> {
        let flights = self.flights.iter().map(|f| f.at);
        let timers = self.nodes.iter().filter_map(|n| n.fsm.poll_timeout());
        flights.chain(timers).min()
    }

    /// Run until `stop` holds or nothing is left to happen; false if virtual time would
    /// pass `limit` first.
    fn run_until(&mut self, limit: u64, mut stop: impl FnMut(&World) -> bool) -> bool {
        loop {
            self.pump();
            if stop(self) {
                return true;
            }
            let Some(t) = self.next_time() else { return true };
            if t > limit {
                return false;
            }
            self.now = t;
            let now = self.now;
            let mut due: Vec<Flight> = Vec::new();
            let mut i = 0;
            while i < self.flights.len() {
                if self.flights[i].at <= now {
                    due.push(self.flights.swap_remove(i));
                } else {
                    i += 1;
                }
            }
            due.sort_by_key(|f| (f.at, f.seq));
            for f in due {
                let node = &mut self.nodes[f.to];
                if !node.deaf {
                    node.fsm.handle_packet(now, f.packet.code, f.packet.identifier, &f.packet.data);
                }
            }
            for n in &mut self.nodes {
                if n.fsm.poll_timeout().is_some_and(|d| d <= now) {
                    n.fsm.handle_timeout(now);
                }
            }
        }
    }

    /// Run until quiet: no timer running, nothing in flight. Fails the test if that takes
    /// more than `limit` ms of virtual time (a wedge or a livelock).
    fn settle(&mut self, limit: u64) {
        let quiet = self.run_until(limit, |_| false);
        assert!(
            quiet,
            "not quiet by {limit} ms: server {} client {}, {} packets in flight",
            self.nodes[0].fsm.state(),
            self.nodes[1].fsm.state(),
            self.flights.len()
        );
        for n in &self.nodes {
            assert!(
                matches!(n.fsm.state(), State::Opened | State::Stopped | State::Closed),
                "quiet in {}",
                n.fsm.state()
            );
        }
    }

    fn assert_agreed(&self) {
        assert_eq!(self.server().fsm.state(), State::Opened);
        assert_eq!(self.client().fsm.state(), State::Opened);
        // The client ended up asking for Number 7 (the server's Nak) without Extra (the
        // server's Reject), and both sides agree on it.
        assert_eq!(self.client().fsm.protocol().acked.as_deref(), Some(&[NUMBER, 3, 7][..]));
        assert_eq!(self.server().fsm.protocol().peer_number, Some(7));
        assert_eq!(self.server().fsm.protocol().acked.as_deref(), Some(&[NUMBER, 3, 1][..]));
        assert_eq!(self.client().fsm.protocol().peer_number, Some(1));
    }
}

#[test]
fn negotiation_with_a_nak_and_a_reject_opens_both_sides() {
    let mut w = World::new(SERVER, CLIENT);
    w.start();
    w.settle(60_000);
    w.assert_agreed();
    assert_eq!(w.server().layer_events(), ["tlu"]);
    assert_eq!(w.client().layer_events(), ["tlu"]);
    let rejects = w.server().sent_codes(code::CONFIGURE_REJECT);
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0].data, [EXTRA, 2]);
    let naks = w.server().sent_codes(code::CONFIGURE_NAK);
    assert_eq!(naks.len(), 1);
    assert_eq!(naks[0].data, [NUMBER, 3, 7]);
    assert!(w.now < RESTART_MS, "no retransmission was needed: {} ms", w.now);
    // Each new request of the client's has a new identifier (§5.1).
    let ids: Vec<u8> = w.client().sent_codes(code::CONFIGURE_REQUEST).iter().map(|p| p.identifier).collect();
    assert_eq!(ids.len(), 3);
    assert!(ids[0] != ids[1] && ids[1] != ids[2]);
}

#[test]
fn a_lost_configure_request_is_retransmitted_under_the_same_identifier() {
    let mut w = World::new(SERVER, CLIENT);
    let mut dropped = false;
    w.fate = Box::new(move |from, p, _| {
        if from == 1 && p.code == code::CONFIGURE_REQUEST && !dropped {
            dropped = true;
            return vec![];
        }
        vec![0]
    });
    w.start();
    w.settle(60_000);
    w.assert_agreed();
    let requests = w.client().sent_codes(code::CONFIGURE_REQUEST);
    assert_eq!(requests[0], requests[1], "the retransmission repeats the lost request");
    assert!(w.now >= RESTART_MS);
    assert_eq!(w.client().layer_events(), ["tlu"]);
}

#[test]
fn a_lost_configure_ack_is_recovered_by_the_retransmission() {
    let mut w = World::new(SERVER, CLIENT);
    let mut dropped = false;
    w.fate = Box::new(move |from, p, _| {
        if from == 0 && p.code == code::CONFIGURE_ACK && !dropped {
            dropped = true;
            return vec![];
        }
        vec![0]
    });
    w.start();
    w.settle(60_000);
    w.assert_agreed();
    assert!(w.now >= RESTART_MS);
}

#[test]
fn duplicated_replies_are_discarded_and_never_bounce_the_link() {
    for gap in [0, 1, 5, 25] {
        let mut w = World::new(SERVER, CLIENT);
        w.fate = Box::new(move |_, p, _| match p.code {
            code::CONFIGURE_ACK | code::CONFIGURE_NAK | code::CONFIGURE_REJECT => vec![0, gap],
            _ => vec![0],
        });
        w.start();
        w.settle(60_000);
        w.assert_agreed();
        for n in &w.nodes {
            assert_eq!(n.layer_events(), ["tlu"], "gap {gap}");
            // Each duplicate is a second reply to one request: discarded (§5.1, §4.3).
            let stale = n
                .events
                .iter()
                .filter(|(_, e)| matches!(e, Event::Discarded { reason: DiscardReason::StaleIdentifier, .. }))
                .count();
            assert!(stale > 0, "gap {gap}");
        }
    }
}

#[test]
fn a_duplicated_configure_request_reaching_an_opened_peer_renegotiates_once() {
    // RCR+ in Opened is tld,scr,sca/8 (§4.1): the duplicate of the client's final request
    // takes the server down and through one more negotiation, which then succeeds.
    let mut w = World::new(SERVER, CLIENT);
    let mut done = false;
    w.fate = Box::new(move |from, p, _| {
        if from == 1 && p.code == code::CONFIGURE_REQUEST && p.data == [NUMBER, 3, 7] && !done {
            done = true;
            return vec![0, 5];
        }
        vec![0]
    });
    w.start();
    w.settle(60_000);
    w.assert_agreed();
    assert_eq!(w.server().layer_events(), ["tlu", "tld", "tlu"]);
}

#[test]
fn randomly_duplicated_packets_converge() {
    // Every packet duplicated (with the copy 0–25 ms behind) makes the RFC's table
    // renegotiate forever, in phase: each negotiation's last Configure-Request is
    // duplicated onto a peer that just Opened. Half of them, at random, converges.
    for seed in 1..=100u64 {
        let mut w = World::new(SERVER, CLIENT);
        let mut rng = XorShift(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let gap = [0, 1, 5, 25][(seed % 4) as usize];
        w.fate = Box::new(move |_, _, _| if rng.next().is_multiple_of(2) { vec![0, gap] } else { vec![0] });
        w.start();
        w.settle(10 * 60_000);
        w.assert_agreed();
        for n in &w.nodes {
            let layer = n.layer_events();
            assert_eq!(layer.last(), Some(&"tlu"), "seed {seed}: {layer:?}");
            assert!(layer.chunks(2).all(|c| c[0] == "tlu" && c.get(1).is_none_or(|d| *d == "tld")), "seed {seed}: {layer:?}");
        }
    }
}

#[test]
fn reordered_and_late_packets_still_converge() {
    // Every third packet overtaken by the next ones.
    let mut w = World::new(SERVER, CLIENT);
    w.fate = Box::new(|_, _, nth| vec![if nth.is_multiple_of(3) { 40 } else { 0 }]);
    w.start();
    w.settle(10 * 60_000);
    w.assert_agreed();

    // The client's first request arrives after its own retransmission, the server's first
    // Nak after the client already gave up waiting for it.
    let mut w = World::new(SERVER, CLIENT);
    w.fate = Box::new(|from, p, nth| match (from, p.code, nth) {
        (1, code::CONFIGURE_REQUEST, 0) => vec![RESTART_MS + 500],
        (0, code::CONFIGURE_NAK, _) if nth < 4 => vec![RESTART_MS + 200],
        _ => vec![0],
    });
    w.start();
    w.settle(10 * 60_000);
    w.assert_agreed();
}

#[test]
fn a_silent_peer_exhausts_max_configure_then_this_layer_finished() {
    let mut w = World::new(SERVER, CLIENT);
    // The client is up but hears nothing and says nothing.
    w.nodes[1].deaf = true;
    w.fate = Box::new(|from, _, _| if from == 1 { vec![] } else { vec![0] });
    w.start();
    w.settle(120_000);
    assert_eq!(w.client().fsm.state(), State::Stopped);
    let server = w.server();
    assert_eq!(server.fsm.state(), State::Stopped);
    let times: Vec<u64> = server.sent.iter().filter(|(_, p)| p.code == code::CONFIGURE_REQUEST).map(|(t, _)| *t).collect();
    // Max-Configure (10) transmissions, one restart period (3 s) apart (§4.6)…
    assert_eq!(times, (0..10).map(|i| i * RESTART_MS).collect::<Vec<_>>());
    // …then TO-: tlf/3.
    assert_eq!(server.layer_events(), ["tlf"]);
    assert_eq!(server.events.last().unwrap().0, 10 * RESTART_MS);
}

#[test]
fn a_peer_that_naks_forever_gets_a_reject_after_max_failure() {
    let stubborn = Prefs { adopt_naks: false, ..CLIENT };
    let mut w = World::new(SERVER, stubborn);
    w.start();
    w.settle(60_000);
    assert_eq!(w.server().fsm.state(), State::Opened);
    assert_eq!(w.client().fsm.state(), State::Opened);
    // The server's answers to the client's requests: Extra rejected, then Max-Failure (5)
    // Naks of Number, then Number rejected too (§4.6).
    let answers: Vec<(u8, Vec<u8>)> = w
        .server()
        .sent
        .iter()
        .map(|(_, p)| p)
        .filter(|p| matches!(p.code, code::CONFIGURE_NAK | code::CONFIGURE_REJECT))
        .map(|p| (p.code, p.data.clone()))
        .collect();
    let nak = (code::CONFIGURE_NAK, vec![NUMBER, 3, 7]);
    let mut expected = vec![(code::CONFIGURE_REJECT, vec![EXTRA, 2])];
    expected.extend(std::iter::repeat_n(nak, 5));
    expected.push((code::CONFIGURE_REJECT, vec![NUMBER, 3, 3]));
    assert_eq!(answers, expected);
    assert_eq!(w.client().fsm.protocol().acked.as_deref(), Some(&[][..]));
    assert_eq!(w.server().fsm.protocol().peer_number, None);
}

#[test]
fn a_peer_that_ignores_max_failure_cannot_keep_us_negotiating() {
    // This server Naks forever (no Max-Failure to speak of) and keeps appending the Number it
    // wants; the client is stubborn. The client treats Naks as Rejects after Max-Failure,
    // then stops answering them, and gives up at the restart timer's pace.
    let nagging = Prefs { append_wanted: true, ..SERVER };
    let forever = FsmConfig { max_failure: u32::MAX / 2, ..FsmConfig::default() };
    let stubborn = Prefs { adopt_naks: false, ..CLIENT };
    let mut w = World::with_configs(nagging, forever, stubborn, FsmConfig::default());
    w.start();
    let done = w.run_until(120_000, |w| w.client().layer_events().contains(&"tlf"));
    assert!(done, "the client never gave up");
    let client = w.client();
    assert_eq!(client.fsm.state(), State::Stopped);
    let not_converging = client
        .events
        .iter()
        .filter(|(_, e)| matches!(e, Event::Discarded { reason: DiscardReason::NotConverging, .. }))
        .count();
    assert!(not_converging > 0);
    // No request/Nak ping-pong: the client sent a bounded number of requests.
    let requests = client.sent_codes(code::CONFIGURE_REQUEST).len();
    assert!(requests <= 1 + 10 + 10, "{requests} Configure-Requests");
    assert!(w.now >= 9 * RESTART_MS, "paced by the restart timer: {} ms", w.now);
}

#[test]
fn a_terminate_request_while_opened_takes_the_peer_down_then_stopped() {
    let mut w = World::new(SERVER, CLIENT);
    w.start();
    w.settle(60_000);
    w.assert_agreed();
    let t0 = w.now + 1_000;
    w.now = t0;
    w.nodes[0].fsm.close(t0, b"bye");
    w.settle(t0 + 60_000);
    let client = w.client();
    // RTR in Opened: tld, zrc, sta/5; then after one restart period TO-: tlf/3.
    assert_eq!(client.fsm.state(), State::Stopped);
    assert_eq!(client.layer_events(), ["tlu", "tld", "tlf"]);
    let reported: Vec<&Event> = client.events.iter().map(|(_, e)| e).filter(|e| matches!(e, Event::TerminateRequested { .. })).collect();
    assert_eq!(reported, [&Event::TerminateRequested { data: b"bye".to_vec() }]);
    let term_acks: Vec<&(u64, Packet)> = client.sent.iter().filter(|(_, p)| p.code == code::TERMINATE_ACK).collect();
    assert_eq!(term_acks.len(), 1);
    assert_eq!(term_acks[0].0, t0 + LATENCY_MS, "acked at once");
    let tlf_at = client.events.iter().find(|(_, e)| *e == Event::ThisLayerFinished).unwrap().0;
    assert_eq!(tlf_at, t0 + LATENCY_MS + RESTART_MS);
    let server = w.server();
    assert_eq!(server.fsm.state(), State::Closed);
    assert_eq!(server.layer_events(), ["tlu", "tld", "tlf"]);
    let term_reqs = server.sent_codes(code::TERMINATE_REQUEST);
    assert_eq!(term_reqs.len(), 1);
    assert_eq!(term_reqs[0].data, b"bye");
    assert_eq!(term_acks[0].1.identifier, term_reqs[0].identifier);
}

#[test]
fn both_sides_closing_at_once_end_closed() {
    let mut w = World::new(SERVER, CLIENT);
    w.start();
    w.settle(60_000);
    let t0 = w.now + 1_000;
    w.now = t0;
    w.nodes[0].fsm.close(t0, b"server");
    w.nodes[1].fsm.close(t0, b"client");
    w.settle(t0 + 60_000);
    for n in &w.nodes {
        assert_eq!(n.fsm.state(), State::Closed);
        assert_eq!(n.layer_events(), ["tlu", "tld", "tlf"]);
        assert_eq!(n.sent_codes(code::TERMINATE_REQUEST).len(), 1);
        assert_eq!(n.sent_codes(code::TERMINATE_ACK).len(), 1);
    }
    assert!(w.now < t0 + RESTART_MS, "no timeout was needed");
}

#[test]
fn a_terminate_request_that_is_never_acked_gives_up_after_max_terminate() {
    let mut w = World::new(SERVER, CLIENT);
    w.start();
    w.settle(60_000);
    let t0 = w.now + 1_000;
    w.now = t0;
    w.nodes[1].deaf = true;
    w.nodes[0].fsm.close(t0, b"");
    w.settle(t0 + 60_000);
    let server = w.server();
    assert_eq!(server.fsm.state(), State::Closed);
    // Max-Terminate (2) Terminate-Requests, then TO-: tlf/2.
    assert_eq!(server.sent_codes(code::TERMINATE_REQUEST).len(), 2);
    assert_eq!(server.events.last().unwrap(), &(t0 + 2 * RESTART_MS, Event::ThisLayerFinished));
}

#[test]
fn garbage_codes_are_code_rejected_and_a_nak_with_a_wrong_identifier_is_ignored() {
    let mut w = World::new(SERVER, CLIENT);
    w.start();
    // While the client waits for answers, a Nak under an identifier it never used.
    w.pump();
    let request = w.client().sent_codes(code::CONFIGURE_REQUEST)[0].clone();
    let wrong = request.identifier.wrapping_add(100);
    w.inject(1, 1, code::CONFIGURE_NAK, wrong, &[NUMBER, 3, 99]);
    w.settle(60_000);
    w.assert_agreed();
    assert!(w.client().events.iter().any(|(_, e)| *e
        == Event::Discarded { code: code::CONFIGURE_NAK, identifier: wrong, reason: DiscardReason::StaleIdentifier }));
    assert!(w.now < RESTART_MS, "the bogus Nak changed nothing");

    // Opened: garbage codes at the client. It Code-Rejects each with the packet quoted;
    // the server learns (RXJ+) and both stay Opened.
    let t0 = w.now + 100;
    w.inject(1, t0, 0x42, 0x01, b"garbage");
    w.inject(1, t0, 0xff, 0x02, b"");
    w.settle(t0 + 60_000);
    let rejects = w.client().sent_codes(code::CODE_REJECT);
    assert_eq!(rejects.len(), 2);
    assert_eq!(rejects[0].data, [&[0x42, 0x01, 0, 11][..], b"garbage"].concat());
    assert_eq!(rejects[1].data, [0xff, 0x02, 0, 4]);
    assert_eq!(w.server().fsm.protocol().code_rejected, [0x42, 0xff]);
    assert_eq!(w.server().fsm.state(), State::Opened);
    assert_eq!(w.client().fsm.state(), State::Opened);
    assert_eq!(w.client().layer_events(), ["tlu"]);
    assert_eq!(w.server().layer_events(), ["tlu"]);

    // A Code-Reject of Configure-Request is catastrophic (RXJ-): the client goes down.
    let t1 = w.now + 100;
    w.inject(1, t1, code::CODE_REJECT, 0x03, &[code::CONFIGURE_REQUEST, 0x10, 0, 4]);
    w.settle(t1 + 60_000);
    assert_eq!(w.client().layer_events(), ["tlu", "tld", "tlf"]);
    assert_eq!(w.client().fsm.state(), State::Stopped);
}

#[test]
fn echo_request_is_answered_in_opened() {
    let mut w = World::new(SERVER, CLIENT);
    w.start();
    w.settle(60_000);
    let id = w.nodes[0].fsm.send_packet(code::ECHO_REQUEST, vec![0, 0, 0, 0, 0xaa]).unwrap();
    w.settle(w.now + 60_000);
    let replies = w.client().sent_codes(code::ECHO_REPLY);
    assert_eq!(replies.len(), 1);
    assert_eq!((replies[0].identifier, &replies[0].data[..]), (id, &[0, 0, 0, 0, 0xaa][..]));
}

/// A small deterministic generator, so a failing seed can be replayed.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_loss_duplication_reordering_and_garbage_never_wedge() {
    let mut opened = 0;
    for seed in 1..=300u64 {
        let mut w = World::new(SERVER, CLIENT);
        let mut rng = XorShift(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        // Up to 40% loss, 20% duplication, 30% delayed by up to 4 s (past the timer).
        let loss = rng.next() % 41;
        let dup = rng.next() % 21;
        let delay = rng.next() % 31;
        let mut fate_rng = XorShift(rng.next() | 1);
        w.fate = Box::new(move |_, _, _| {
            if fate_rng.next() % 100 < loss {
                return vec![];
            }
            let mut copies = vec![if fate_rng.next() % 100 < delay { fate_rng.next() % 4_000 } else { 0 }];
            if fate_rng.next() % 100 < dup {
                copies.push(fate_rng.next() % 100);
            }
            copies
        });
        // Garbage from a confused peer: unknown codes, bogus replies, stray Terminate-Acks.
        for _ in 0..(rng.next() % 6) {
            let to = (rng.next() % 2) as usize;
            let at = rng.next() % 20_000;
            let code = [0x42, code::CONFIGURE_NAK, code::CONFIGURE_ACK, code::TERMINATE_ACK, code::CONFIGURE_REJECT][(rng.next() % 5) as usize];
            let identifier = rng.next() as u8;
            let data: Vec<u8> = (0..rng.next() % 6).map(|_| rng.next() as u8).collect();
            w.inject(to, at, code, identifier, &data);
        }
        w.start();
        // Bounded: at worst every negotiation round times out; far less than 30 minutes.
        w.settle(30 * 60_000);
        let states = (w.server().fsm.state(), w.client().fsm.state());
        if states == (State::Opened, State::Opened) {
            opened += 1;
            assert_eq!(
                w.client().fsm.protocol().peer_number,
                w.server().fsm.protocol().acked.as_ref().and_then(|a| a.get(2).copied()),
                "seed {seed}: both sides agree on the server's Number"
            );
            assert_eq!(
                w.server().fsm.protocol().peer_number,
                w.client().fsm.protocol().acked.as_ref().and_then(|a| a.get(2).copied()),
                "seed {seed}: both sides agree on the client's Number"
            );
        }
        // With heavy loss one side may run out of Max-Configure (every Ack to it lost)
        // while the other is left Opened: RFC-correct, and the Stopped side has signalled
        // This-Layer-Finished, which is where the session layer tears the link down.
        for n in &w.nodes {
            if n.fsm.state() == State::Stopped {
                assert_eq!(n.layer_events().last(), Some(&"tlf"), "seed {seed}");
            }
        }
        // Layer events are well nested on every run.
        for n in &w.nodes {
            let mut up = false;
            for e in n.layer_events() {
                match e {
                    "tlu" => {
                        assert!(!up, "seed {seed}: tlu twice");
                        up = true;
                    }
                    "tld" => {
                        assert!(up, "seed {seed}: tld without tlu");
                        up = false;
                    }
                    _ => {}
                }
            }
            assert_eq!(up, n.fsm.state() == State::Opened, "seed {seed}");
        }
    }
    assert!(opened > 250, "only {opened} of 300 runs opened");
}

