//! The PPP link in the server role against the PPP link in the client role, over a lossy
//! virtual link in virtual time, with the real users-file AAA in between: every method
//! with the right and the wrong password, the framing options a carrier permits or
//! forbids, the idle and session timeouts, the keepalive, and a peer that sends garbage.

use std::net::Ipv4Addr;
use std::path::Path;
use std::sync::Arc;

use controlplane::aaa::{AuthOutcome, Method, TerminateCause, UsersTable};
use controlplane::ppp::lcp::{EchoConfig, Framing};
use controlplane::ppp::link::{
    AddressGrant, CarrierLimits, ClientProfile, Link, LinkEvent, LinkProfile, Phase, Received,
};
use controlplane::random::Random;
use controlplane::testnet::{earliest, Conditions, End, VirtualLink};
use dataplane::wire::ppp::PppProtocol;

const GATEWAY: Ipv4Addr = Ipv4Addr::new(100, 64, 0, 1);
const ASSIGNED: Ipv4Addr = Ipv4Addr::new(100, 64, 0, 7);
const DNS: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 53);

fn users() -> UsersTable {
    UsersTable::parse(
        Path::new("users"),
        "alice secret\n\
         short secret session-timeout=90\n\
         lazy secret idle-timeout=40\n",
    )
    .expect("users file")
}

/// Everything one side reported, in order.
#[derive(Default)]
struct Seen {
    events: Vec<(u64, LinkEvent)>,
}

impl Seen {
    fn up(&self) -> Option<(u64, Ipv4Addr, Ipv4Addr)> {
        self.events.iter().find_map(|(t, e)| match e {
            LinkEvent::Up { local, peer, .. } => Some((*t, *local, *peer)),
            _ => None,
        })
    }
    fn finished(&self) -> Option<(u64, TerminateCause, String)> {
        self.events.iter().find_map(|(t, e)| match e {
            LinkEvent::Finished { cause, reason } => Some((*t, *cause, reason.clone())),
            _ => None,
        })
    }
}

struct Pair {
    server: Link,
    client: Link,
    net: VirtualLink<(PppProtocol, Vec<u8>)>,
    users: UsersTable,
    s: Seen,
    c: Seen,
    /// The subscriber's received-packet count as the data plane would report it.
    rx_packets: u64,
    /// Ms between packets the subscriber sends while Up (0: none).
    talk_every: u64,
    last_talk: u64,
    now: u64,
}

fn server_profile() -> LinkProfile {
    let mut p = LinkProfile::new(GATEWAY);
    p.auth = vec![Method::MsChapV2, Method::ChapMd5, Method::Pap];
    p.echo = None;
    p
}

fn client_profile(user: &str, password: &str, method: Method) -> ClientProfile {
    let mut c = ClientProfile::new(user.as_bytes(), password.as_bytes());
    c.methods = vec![method];
    c
}

impl Pair {
    fn new(server: &LinkProfile, client: &ClientProfile, carrier: CarrierLimits, conditions: Conditions, seed: u64) -> Pair {
        let server_link = Link::server(0, &Arc::new(server.clone()), carrier, Random::from_u64(seed)).expect("server");
        let client_link = Link::client(0, &Arc::new(client.clone()), carrier, Random::from_u64(seed + 1)).expect("client");
        Pair {
            server: server_link,
            client: client_link,
            net: VirtualLink::new(conditions, seed),
            users: users(),
            s: Seen::default(),
            c: Seen::default(),
            rx_packets: 0,
            talk_every: 0,
            last_talk: 0,
            now: 0,
        }
    }

    /// Move packets and events until `until` (virtual ms) or both links are dead.
    fn run(&mut self, until: u64) {
        loop {
            self.pump();
            if self.server.phase() == Phase::Dead && self.client.phase() == Phase::Dead && self.net.in_flight() == 0 {
                return;
            }
            let talk = (self.talk_every > 0 && self.server.phase() == Phase::Up).then(|| self.last_talk + self.talk_every);
            let next = earliest([self.net.next_delivery(), self.server.poll_timeout(), self.client.poll_timeout(), talk]);
            let Some(next) = next else { return };
            if next > until {
                self.now = until;
                return;
            }
            self.now = self.now.max(next);
            let now = self.now;
            if talk.is_some_and(|t| t <= now) {
                self.rx_packets += 1;
                self.last_talk = now;
            }
            while let Some((to, (proto, payload))) = self.net.poll(now) {
                match to {
                    End::A => {
                        self.server.handle_packet(now, proto, &payload);
                    }
                    End::B => {
                        self.client.handle_packet(now, proto, &payload);
                    }
                }
                self.pump();
            }
            self.server.observe_traffic(now, self.rx_packets);
            if self.server.poll_timeout().is_some_and(|t| t <= now) {
                self.server.handle_timeout(now);
            }
            if self.client.poll_timeout().is_some_and(|t| t <= now) {
                self.client.handle_timeout(now);
            }
        }
    }

    fn pump(&mut self) {
        let now = self.now;
        loop {
            let mut busy = false;
            while let Some(p) = self.server.poll_transmit() {
                busy = true;
                self.net.send(now, End::A, p);
            }
            while let Some(p) = self.client.poll_transmit() {
                busy = true;
                self.net.send(now, End::B, p);
            }
            while let Some(e) = self.server.poll_event() {
                busy = true;
                match &e {
                    LinkEvent::Authenticate { username, credentials } => {
                        let outcome = self.users.authenticate(username, credentials);
                        self.server.auth_verdict(now, outcome).expect("a verdict was awaited");
                    }
                    LinkEvent::NeedAddress { .. } => {
                        let grant = AddressGrant { address: ASSIGNED, dns: [Some(DNS), None], nbns: [None, None] };
                        self.server.assign_address(now, grant).expect("address");
                    }
                    _ => {}
                }
                self.s.events.push((now, e));
            }
            while let Some(e) = self.client.poll_event() {
                busy = true;
                self.c.events.push((now, e));
            }
            if !busy {
                return;
            }
        }
    }
}

fn lossy() -> Conditions {
    Conditions::lossy(20, 10, 30)
}

fn dial(method: Method, password: &str, seed: u64) -> Pair {
    let mut p = Pair::new(
        &server_profile(),
        &client_profile("alice", password, method),
        CarrierLimits::pppoe(1492),
        lossy(),
        seed,
    );
    p.run(120_000);
    p
}

#[test]
fn pap_chap_and_ms_chap_v2_come_up_over_a_lossy_link_with_the_right_password() {
    let (mut lost, mut duplicated) = (0, 0);
    for method in [Method::Pap, Method::ChapMd5, Method::MsChapV2] {
        for seed in 1..=8 {
            let p = dial(method, "secret", seed);
            let (_, s_local, s_peer) = p.s.up().unwrap_or_else(|| panic!("{method:?} seed {seed}: server not up: {:?}", p.s.events));
            let (_, c_local, c_peer) = p.c.up().unwrap_or_else(|| panic!("{method:?} seed {seed}: client not up"));
            assert_eq!((s_local, s_peer), (GATEWAY, ASSIGNED));
            assert_eq!((c_local, c_peer), (ASSIGNED, GATEWAY));
            assert_eq!(p.server.method(), Some(method));
            assert_eq!(p.client.method(), Some(method));
            assert_eq!(p.server.username(), b"alice");
            assert_eq!(p.server.phase(), Phase::Up);
            assert_eq!(p.client.phase(), Phase::Up);
            let dns = p.c.events.iter().find_map(|(_, e)| match e {
                LinkEvent::Up { dns, .. } => Some(*dns),
                _ => None,
            });
            assert_eq!(dns, Some([Some(DNS), None]));
            lost += p.net.stats.lost;
            duplicated += p.net.stats.duplicated;
        }
    }
    // The runs did cross a bad link.
    assert!(lost > 10 && duplicated > 5, "lost {lost}, duplicated {duplicated}");
}

#[test]
fn the_wrong_password_ends_both_links_with_user_error() {
    for method in [Method::Pap, Method::ChapMd5, Method::MsChapV2] {
        for seed in 1..=4 {
            let p = dial(method, "guess", seed);
            assert!(p.s.up().is_none() && p.c.up().is_none());
            let (_, cause, reason) = p.s.finished().unwrap_or_else(|| panic!("{method:?}: server did not finish"));
            assert_eq!(cause, TerminateCause::USER_ERROR, "{reason}");
            assert!(reason.contains("wrong_password"), "{reason}");
            let (_, _, creason) = p.c.finished().expect("client finished");
            // The client learns it from the Nak/Failure or, if that was lost, from the
            // Terminate-Request; either way the text never names the kind of failure.
            assert!(creason.contains("Authentication failed") || creason.contains("authentication failed"), "{creason}");
            assert!(!creason.contains("wrong_password"));
            assert_eq!(p.server.phase(), Phase::Dead);
            assert_eq!(p.client.phase(), Phase::Dead);
        }
    }
}

#[test]
fn ms_chap_v2_derives_the_same_mppe_keys_at_both_ends_and_the_client_checks_the_server() {
    let p = dial(Method::MsChapV2, "secret", 5);
    assert!(p.s.up().is_some() && p.c.up().is_some());
    let s = p.server.mppe_keys().expect("server keys");
    let c = p.client.mppe_keys().expect("client keys");
    // RFC 3079 §3: what one end sends with, the other receives with.
    assert_eq!((s.send, s.recv), (c.recv, c.send));
    assert_ne!(s.send, s.recv);
    let auth = |seen: &Seen| {
        seen.events.iter().find_map(|(_, e)| match e {
            LinkEvent::Authenticated { method, mppe, .. } => Some((*method, mppe.is_some())),
            _ => None,
        })
    };
    assert_eq!(auth(&p.s), Some((Method::MsChapV2, true)));
    assert_eq!(auth(&p.c), Some((Method::MsChapV2, true)));
}

#[test]
fn ms_chap_v2_retries_when_the_profile_allows_and_then_ends() {
    // Two attempts allowed: the first Failure says R=1 (RFC 2759 §6) and the server waits
    // for another Response. A client that does not retry (as ours, like a Windows dialer
    // without a prompt) ends the link itself: the server ends by the peer's
    // Terminate-Request. (The retry itself is exercised in ppp_mschapv2.rs.)
    let mut server = server_profile();
    server.max_auth_attempts = 2;
    let mut p = Pair::new(&server, &client_profile("alice", "guess", Method::MsChapV2), CarrierLimits::pppoe(1492), Conditions::PERFECT, 17);
    p.run(120_000);
    let asked = p.s.events.iter().filter(|(_, e)| matches!(e, LinkEvent::Authenticate { .. })).count();
    assert_eq!(asked, 1, "the client does not retry unless told to");
    let (_, cause, reason) = p.s.finished().expect("finished");
    assert_eq!(cause, TerminateCause::USER_REQUEST, "{reason}");
    assert!(reason.contains("Authentication failed"), "{reason}");
    let (_, ccause, creason) = p.c.finished().expect("client finished");
    assert_eq!(ccause, TerminateCause::USER_ERROR);
    assert!(creason.contains("E=691 R=1"), "{creason}");
}

#[test]
fn an_unknown_user_is_told_the_same_as_a_wrong_password() {
    let mut p = Pair::new(
        &server_profile(),
        &client_profile("mallory", "secret", Method::Pap),
        CarrierLimits::pppoe(1492),
        Conditions::PERFECT,
        3,
    );
    p.run(60_000);
    let (_, cause, reason) = p.s.finished().expect("finished");
    assert_eq!(cause, TerminateCause::USER_ERROR);
    assert!(reason.contains("unknown_user"), "{reason}");
    let (_, _, creason) = p.c.finished().expect("client finished");
    assert!(creason.contains("Authentication failed"), "{creason}");
}

#[test]
fn framing_options_are_negotiated_where_the_carrier_permits_and_rejected_on_pppoe() {
    let client = client_profile("alice", "secret", Method::ChapMd5);
    assert_eq!(client.framing, Framing::ALL);
    // L2TP and PPTP permit ACCM, PFC and ACFC.
    let l2tp = CarrierLimits { max_mru: 1460, framing: Framing::ALL };
    let mut p = Pair::new(&server_profile(), &client, l2tp, Conditions::PERFECT, 11);
    p.run(60_000);
    assert!(p.s.up().is_some() && p.c.up().is_some());
    let s = p.server.lcp_negotiated().expect("server LCP");
    let c = p.client.lcp_negotiated().expect("client LCP");
    assert_eq!(s.peer_framing, Framing::ALL, "server acked the client's ACCM/PFC/ACFC");
    assert_eq!(s.peer_accm, Some(0));
    assert_eq!(c.ours_framing, Framing::ALL, "the client's request was acked");
    assert_eq!(s.ours_framing, Framing::NONE, "the server asks for none");

    // A profile may forbid them even where the carrier permits.
    let mut strict = server_profile();
    strict.framing = Framing { accm: true, pfc: false, acfc: false };
    let mut p = Pair::new(&strict, &client, l2tp, Conditions::PERFECT, 12);
    p.run(60_000);
    assert!(p.c.up().is_some());
    let c = p.client.lcp_negotiated().expect("client LCP");
    assert_eq!(c.ours_framing, Framing { accm: true, pfc: false, acfc: false });

    // PPPoE: the client does not even ask (its carrier forbids them) ...
    let mut p = Pair::new(&server_profile(), &client, CarrierLimits::pppoe(1492), Conditions::PERFECT, 13);
    p.run(60_000);
    assert!(p.c.up().is_some());
    assert_eq!(p.client.lcp_negotiated().expect("LCP").ours_framing, Framing::NONE);
    assert_eq!(p.server.lcp_negotiated().expect("LCP").peer_framing, Framing::NONE);

    // ... and a client that asks anyway (a non-conforming CPE) is Configure-Rejected by
    // the PPPoE server (RFC 2516 §7), and still comes up without them.
    let mut p = Pair::new(&server_profile(), &client, CarrierLimits::pppoe(1492), Conditions::PERFECT, 14);
    p.client = Link::client(0, &Arc::new(client.clone()), CarrierLimits { max_mru: 1492, framing: Framing::ALL }, Random::from_u64(99)).unwrap();
    let mut rejects = 0;
    let mut saw_request = false;
    for _ in 0..10 {
        while let Some((proto, payload)) = p.client.poll_transmit() {
            if proto == PppProtocol::LCP && payload[0] == 1 {
                saw_request |= payload.windows(2).any(|w| w == [7, 2]);
            }
            p.server.handle_packet(0, proto, &payload);
        }
        while let Some((proto, payload)) = p.server.poll_transmit() {
            if proto == PppProtocol::LCP && payload[0] == 4 {
                rejects += 1;
                // The reject names exactly the framing options (types 2, 7, 8).
                let mut types = Vec::new();
                let mut i = 4;
                while i + 1 < payload.len() {
                    types.push(payload[i]);
                    i += payload[i + 1] as usize;
                }
                types.sort();
                assert_eq!(types, vec![2, 7, 8]);
            }
            p.client.handle_packet(0, proto, &payload);
        }
    }
    assert!(saw_request && rejects == 1, "saw_request {saw_request}, rejects {rejects}");
    assert_eq!(p.server.lcp_state(), controlplane::ppp::fsm::State::Opened);
    assert_eq!(p.client.lcp_negotiated().expect("LCP").ours_framing, Framing::NONE);
}

#[test]
fn the_carrier_caps_the_mru() {
    let mut server = server_profile();
    server.mru = 1500;
    let mut client = client_profile("alice", "secret", Method::Pap);
    client.mru = Some(1500);
    let mut p = Pair::new(&server, &client, CarrierLimits::pppoe(1492), Conditions::PERFECT, 5);
    p.run(60_000);
    assert!(p.c.up().is_some());
    let n = p.server.lcp_negotiated().expect("LCP");
    assert_eq!((n.our_mru, n.peer_mru), (1492, 1492));
}

#[test]
fn the_session_timeout_ends_the_link_from_up_with_its_cause() {
    // From the profile.
    let mut server = server_profile();
    server.session_timeout_ms = Some(60_000);
    let mut p = Pair::new(&server, &client_profile("alice", "secret", Method::Pap), CarrierLimits::pppoe(1492), Conditions::PERFECT, 21);
    p.talk_every = 1_000;
    p.run(600_000);
    let (up, ..) = p.s.up().expect("up");
    let (end, cause, reason) = p.s.finished().expect("finished");
    assert_eq!(cause, TerminateCause::SESSION_TIMEOUT, "{reason}");
    // Ended at the timeout; finished once the peer acked the Terminate-Request (1 ms each way).
    assert!((60_000..60_010).contains(&(end - up)), "up at {up}, finished at {end}");
    let (_, _, creason) = p.c.finished().expect("client finished");
    assert!(creason.contains("Session timeout"), "{creason}");

    // From AAA: "short" has session-timeout=90 in the users file, overriding the profile.
    let mut p = Pair::new(&server, &client_profile("short", "secret", Method::ChapMd5), CarrierLimits::pppoe(1492), Conditions::PERFECT, 22);
    p.talk_every = 1_000;
    p.run(600_000);
    let (up, ..) = p.s.up().expect("up");
    let (end, cause, _) = p.s.finished().expect("finished");
    assert_eq!(cause, TerminateCause::SESSION_TIMEOUT);
    assert!((90_000..90_010).contains(&(end - up)), "up at {up}, finished at {end}");
}

#[test]
fn the_idle_timeout_counts_only_traffic_from_the_subscriber() {
    let mut server = server_profile();
    server.idle_timeout_ms = Some(30_000);
    // Traffic every 10 s keeps it alive for the whole run.
    let mut p = Pair::new(&server, &client_profile("alice", "secret", Method::Pap), CarrierLimits::pppoe(1492), Conditions::PERFECT, 31);
    p.talk_every = 10_000;
    p.run(300_000);
    assert!(p.s.finished().is_none(), "{:?}", p.s.finished());
    assert_eq!(p.server.phase(), Phase::Up);
    // Then the subscriber falls silent: it ends 30 s after its last packet, whatever the
    // keepalive and control traffic do.
    let last = p.last_talk;
    p.talk_every = 0;
    p.run(600_000);
    let (end, cause, _) = p.s.finished().expect("finished");
    assert_eq!(cause, TerminateCause::IDLE_TIMEOUT);
    assert!((last + 30_000..last + 30_010).contains(&end), "last packet {last}, finished {end}");

    // AAA's idle-timeout (40 s for "lazy") overrides the profile's.
    let mut p = Pair::new(&server, &client_profile("lazy", "secret", Method::Pap), CarrierLimits::pppoe(1492), Conditions::PERFECT, 32);
    p.run(600_000);
    let (up, ..) = p.s.up().expect("up");
    let (end, cause, _) = p.s.finished().expect("finished");
    assert_eq!(cause, TerminateCause::IDLE_TIMEOUT);
    assert!((40_000..40_010).contains(&(end - up)), "up {up}, finished {end}");
}

#[test]
fn a_silent_peer_is_declared_dead_by_the_keepalive() {
    let mut server = server_profile();
    server.echo = Some(EchoConfig { interval_ms: 10_000, failures: 3 });
    let mut p = Pair::new(&server, &client_profile("alice", "secret", Method::Pap), CarrierLimits::pppoe(1492), Conditions::PERFECT, 41);
    p.run(60_000);
    assert!(p.s.up().is_some());
    assert!(p.s.finished().is_none(), "echoes are answered while the client lives");
    p.net.cut();
    p.run(600_000);
    let (_, cause, reason) = p.s.finished().expect("finished");
    assert_eq!(cause, TerminateCause::LOST_SERVICE, "{reason}");
}

#[test]
fn a_lost_carrier_finishes_at_once_and_a_down_releases_the_address() {
    let mut p = Pair::new(&server_profile(), &client_profile("alice", "secret", Method::Pap), CarrierLimits::pppoe(1492), Conditions::PERFECT, 51);
    p.run(30_000);
    assert!(p.s.up().is_some());
    p.server.lower_down(p.now, "PADT from the subscriber", TerminateCause::USER_REQUEST);
    let events: Vec<LinkEvent> = std::iter::from_fn(|| p.server.poll_event()).collect();
    assert_eq!(
        events,
        vec![
            LinkEvent::Down { release: true },
            LinkEvent::Finished { cause: TerminateCause::USER_REQUEST, reason: "PADT from the subscriber".into() }
        ]
    );
    assert!(p.server.poll_transmit().is_none(), "no Terminate-Request on a dead carrier");
    assert_eq!(p.server.poll_timeout(), None);
}

#[test]
fn an_lcp_renegotiation_runs_authentication_and_ipcp_again() {
    let mut p = Pair::new(&server_profile(), &client_profile("alice", "secret", Method::ChapMd5), CarrierLimits::pppoe(1492), Conditions::PERFECT, 61);
    p.run(30_000);
    assert!(p.s.up().is_some());
    // The client restarts LCP (a Configure-Request in Opened, RFC 1661 §4.3 RCR).
    let mut req = vec![1u8, 0x77, 0, 8, 5, 6, 0x12, 0x34, 0x56, 0x78];
    req[3] = req.len() as u8;
    p.server.handle_packet(p.now, PppProtocol::LCP, &req);
    let events: Vec<LinkEvent> = std::iter::from_fn(|| p.server.poll_event()).collect();
    assert!(events.contains(&LinkEvent::Down { release: true }), "{events:?}");
    assert_eq!(p.server.phase(), Phase::Establish);
    assert_eq!(p.server.address(), None);
}

#[test]
fn unknown_protocols_are_protocol_rejected_once_lcp_is_open() {
    let mut p = Pair::new(&server_profile(), &client_profile("alice", "secret", Method::Pap), CarrierLimits::pppoe(1492), Conditions::PERFECT, 71);
    // Before LCP opens: silently discarded (RFC 1661 §3.4).
    assert_eq!(p.server.handle_packet(0, PppProtocol(0x8057), &[1, 1, 0, 4]), Received::Discarded);
    p.run(30_000);
    assert_eq!(p.server.handle_packet(p.now, PppProtocol(0x8057), &[1, 1, 0, 4]), Received::ProtocolRejected);
    let (proto, payload) = p.server.poll_transmit().expect("Protocol-Reject");
    assert_eq!(proto, PppProtocol::LCP);
    assert_eq!(payload[0], 8);
    assert_eq!(&payload[4..6], &[0x80, 0x57]);
}

#[test]
fn aaa_answering_late_or_never_is_bounded() {
    // The owner never answers Authenticate: the link ends at the setup limit.
    let mut server = server_profile();
    server.setup_timeout_ms = 20_000;
    let mut s = Link::server(0, &Arc::new(server), CarrierLimits::pppoe(1492), Random::from_u64(81)).unwrap();
    let client = Arc::new(client_profile("alice", "secret", Method::Pap));
    let mut c = Link::client(0, &client, CarrierLimits::pppoe(1492), Random::from_u64(82)).unwrap();
    let mut now = 0;
    let mut asked = false;
    let mut finished = None;
    while now < 100_000 && finished.is_none() {
        for _ in 0..4 {
            while let Some((pr, pl)) = s.poll_transmit() {
                c.handle_packet(now, pr, &pl);
            }
            while let Some((pr, pl)) = c.poll_transmit() {
                s.handle_packet(now, pr, &pl);
            }
        }
        while let Some(e) = s.poll_event() {
            match e {
                LinkEvent::Authenticate { .. } => asked = true,
                LinkEvent::Finished { cause, .. } => finished = Some((now, cause)),
                _ => {}
            }
        }
        while c.poll_event().is_some() {}
        now = earliest([s.poll_timeout(), c.poll_timeout()]).unwrap_or(now + 1000).max(now + 1);
        s.handle_timeout(now);
        c.handle_timeout(now);
    }
    assert!(asked);
    let (at, cause) = finished.expect("finished");
    assert_eq!(cause, TerminateCause::NAS_ERROR);
    assert!(at >= 20_000 && at < 40_000, "{at}");
    // A verdict after the link gave up is refused, not acted on.
    assert!(s.auth_verdict(now, AuthOutcome::Accept(Default::default())).is_err());
}

mod garbage {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// Whatever a peer sends, in any phase, the server link neither panics nor wedges:
        /// it always has a deadline until it is dead.
        #[test]
        fn arbitrary_packets_never_panic_or_wedge(
            packets in proptest::collection::vec((prop_oneof![Just(0xc021u16), Just(0xc023), Just(0xc223), Just(0x8021), Just(0x8057), any::<u16>()], proptest::collection::vec(any::<u8>(), 0..64)), 0..40),
            up_first in any::<bool>(),
        ) {
            let mut p = Pair::new(&server_profile(), &client_profile("alice", "secret", Method::ChapMd5), CarrierLimits::pppoe(1492), Conditions::PERFECT, 91);
            if up_first {
                p.run(30_000);
            }
            let mut now = p.now;
            for (proto, payload) in packets {
                now += 10;
                p.server.handle_packet(now, PppProtocol(proto), &payload);
                while p.server.poll_transmit().is_some() {}
                while let Some(e) = p.server.poll_event() {
                    if let LinkEvent::Authenticate { username, credentials } = &e {
                        let o = p.users.authenticate(username, credentials);
                        let _ = p.server.auth_verdict(now, o);
                    }
                    if let LinkEvent::NeedAddress { .. } = &e {
                        let g = AddressGrant { address: ASSIGNED, dns: [None, None], nbns: [None, None] };
                        let _ = p.server.assign_address(now, g);
                    }
                }
            }
            prop_assert!(p.server.phase() == Phase::Dead || p.server.poll_timeout().is_some() || p.server.phase() == Phase::Up);
        }
    }
}

