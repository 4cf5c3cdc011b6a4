//! The access concentrator end to end, in virtual time, without DPDK: emulated
//! subscribers (the client role of every machine) dial the session manager through the
//! real data-plane stages (`process_burst` over heap packets, as a worker runs them), so
//! discovery and PPP control frames are punted exactly as in dpvpn, LCP echoes are
//! answered by the "worker", and IPv4 is forwarded both ways through the session.
//! Loss, duplication, a silent subscriber, wrong passwords, an operator's disconnect and
//! a peer that sends garbage; after every run each table is checked back to empty.

mod bras_harness;

use std::net::Ipv4Addr;

use bras_harness::*;
use controlplane::ppp::link::Phase;
use controlplane::subscribers::Which;
use controlplane::pppoe::discovery::Vlans;
use controlplane::pppoe::subscriber::{SubscriberEvent, SubscriberPhase};
use dataplane::counters::DropReason;
use dataplane::packet::{HeapPacket, Packet};
use dataplane::stages::{process_burst, Ctx, Next, PuntLimits};

#[test]
#[allow(clippy::needless_range_loop)] // subscribers and their addresses side by side
fn subscribers_dial_in_pass_traffic_both_ways_and_hang_up() {
    let mut lab = Lab::new(10, USERS);
    for n in 1..=60u32 {
        let vlans = match n % 3 {
            0 => Vlans::NONE,
            1 => Vlans::dot1q(100 + n as u16),
            _ => Vlans::qinq(7, n as u16),
        };
        lab.add(n, vlans, &format!("user{n}@lab"), "lab", n % 2 == 0);
    }
    lab.add(1000, Vlans::NONE, "static@lab", "lab", false);
    assert!(lab.run_until(30_000, |l| l.all_up()), "not all up: {:?}", lab.subs.iter().map(|s| s.phase()).collect::<Vec<_>>());
    let mut addrs = Vec::new();
    for i in 0..lab.subs.len() {
        let ev = lab.events(i);
        let Some(SubscriberEvent::Up { address, dns, .. }) = ev.last().cloned() else { panic!("{ev:?}") };
        assert_eq!(dns[0], Some(DNS));
        assert!(address != GATEWAY);
        addrs.push(address);
    }
    assert_eq!(*addrs.last().unwrap(), Ipv4Addr::new(100, 79, 255, 10), "the static user's address");
    let mut sorted = addrs.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), addrs.len(), "distinct addresses");
    assert_eq!(lab.manager().phase_counts()[3], (Phase::Up, 61));

    // Upstream: every subscriber pings the inet host; the datagrams leave the uplink with
    // the subscriber's address, TTL decremented.
    let frames: Vec<Vec<u8>> = (0..lab.subs.len())
        .map(|i| lab.subs[i].encapsulate(&icmp_echo(u32::from(addrs[i]), INET, i as u16)).unwrap())
        .collect();
    lab.upstream(frames);
    assert_eq!(lab.to_inet.len(), lab.subs.len(), "drops: {:?}", lab.drops);
    for (i, d) in lab.to_inet.iter().enumerate() {
        assert_eq!(&d[12..16], &addrs[i].octets());
        assert_eq!(d[8], 63);
    }
    // Spoofing another subscriber's address is dropped.
    let spoof = lab.subs[0].encapsulate(&icmp_echo(u32::from(addrs[1]), INET, 9)).unwrap();
    lab.drops.clear();
    lab.upstream(vec![spoof]);
    assert_eq!(lab.drops, [DropReason::PppSourceSpoofed]);

    // Downstream: the inet host answers each; the worker encapsulates towards the right
    // subscriber, which finds the same datagram in its session.
    for i in 0..lab.subs.len() {
        let reply = icmp_echo(INET, u32::from(addrs[i]), 0x4242);
        let mut f = UP_MAC.to_vec();
        f.extend_from_slice(&INET_MAC);
        f.extend_from_slice(&[0x08, 0x00]);
        f.extend_from_slice(&reply);
        let mut pkt = [HeapPacket::new(&f)];
        let mut next = [Next::Drop(DropReason::Internal)];
        let mut ctx = Ctx::new(&lab.tables, &lab.counters, 0, 1_000, PuntLimits::default());
        process_burst(&mut ctx, UP, &mut pkt, &mut next);
        assert_eq!(next[0], Next::Tx(ACC));
        let frame = pkt[0].data().to_vec();
        assert_eq!(&frame[0..6], &lab.subs[i].mac());
        let (a, b) = lab.subs[i].handle_frame(lab.now, &frame).expect("IPv4 for this subscriber");
        assert_eq!(&frame[a + 20..b], &reply[20..], "the payload arrives unchanged");
        assert_eq!(frame[a + 8], 63);
    }
    let t = lab.tables.sessions.traffic(0);
    assert!(t.rx_packets >= 1 && t.tx_packets >= 1);

    // Hang up: LCP Terminate, PADT, and every table back to empty.
    for s in lab.subs.iter_mut() {
        s.hang_up(lab.now);
    }
    assert!(lab.run_until(20_000, |l| l.manager().is_empty()), "{:?}", lab.manager().phase_counts());
    for i in 0..lab.subs.len() {
        assert_eq!(lab.subs[i].phase(), SubscriberPhase::Down);
    }
    lab.step(10);
    lab.assert_empty();
}

#[test]
fn a_wrong_password_ends_that_attempt_only_and_a_retry_works() {
    let mut lab = Lab::new(10, USERS);
    lab.add(1, Vlans::NONE, "user1@lab", "wrong", false);
    lab.add(2, Vlans::NONE, "nobody@lab", "lab", false);
    assert!(lab.run_until(20_000, |l| l.subs.iter().all(|s| s.phase() == SubscriberPhase::Down)));
    for i in 0..2 {
        let ev = lab.events(i);
        assert!(
            ev.iter().any(|e| matches!(e, SubscriberEvent::Down { reason } if reason.contains("authentication failed"))),
            "{ev:?}"
        );
    }
    assert!(lab.run_until(20_000, |l| l.manager().is_empty()));
    lab.step(10);
    lab.assert_empty();
    assert_eq!(lab.manager().stats().auth_rejected, 2);
    // The same subscriber, right password this time.
    lab.subs.clear();
    lab.silent.clear();
    lab.add(1, Vlans::NONE, "user1@lab", "lab", false);
    assert!(lab.run_until(20_000, |l| l.all_up()));
}

#[test]
fn sessions_come_up_through_a_lossy_link_with_duplicates() {
    for seed in [0x9e37_79b9_7f4a_7c15u64, 42, 0xdead_beef] {
        // No keepalive: at this loss three echoes in a row do go missing now and then, and
        // the keepalive is right to end such a session (its own test is below).
        let mut lab = Lab::new(0, USERS);
        lab.rng = Rng(seed);
        lab.loss = 0.15;
        lab.dup = 0.1;
        // At this loss five PADIs all go unanswered for about one subscriber in 500 (each
        // PADI/PADO pair gets through with p = 0.72): CPEs persist, as pppd does.
        lab.padi_attempts = Some(10);
        for n in 1..=40u32 {
            lab.add(n, Vlans::dot1q(n as u16), &format!("user{n}@lab"), "lab", false);
        }
        // Discovery backs off up to 16 s and restarts; give every subscriber time to retry.
        let ok = lab.run_until(120_000, |l| l.all_up());
        if !ok {
            for i in 0..lab.subs.len() {
                if lab.subs[i].phase() != SubscriberPhase::Up {
                    eprintln!("{i}: {:?}", lab.events(i));
                    for l in lab.log.iter().filter(|l| l.contains("down")) {
                        eprintln!("  {l}");
                    }
                }
            }
        }
        assert!(ok, "seed {seed:#x}: phases {:?}, bras {:?}", lab.subs.iter().map(|s| s.phase()).collect::<Vec<_>>(), lab.manager().phase_counts());
        // One session and one address per subscriber, however many PADRs and
        // Configure-Requests were duplicated (renegotiations give the address back).
        assert_eq!(lab.manager().len(), 40);
        assert_eq!(lab.manager().pools().stats()[0].used, 40);
        lab.loss = 0.0;
        lab.dup = 0.0;
        for s in lab.subs.iter_mut() {
            s.hang_up(lab.now);
        }
        assert!(lab.run_until(30_000, |l| l.manager().is_empty()));
        lab.step(10);
        lab.assert_empty();
    }
}

#[test]
fn a_silent_subscriber_is_torn_down_by_the_keepalive() {
    let mut lab = Lab::new(2, USERS);
    lab.add(1, Vlans::NONE, "user1@lab", "lab", false);
    lab.add(2, Vlans::NONE, "user2@lab", "lab", false);
    assert!(lab.run_until(20_000, |l| l.all_up()));
    lab.silent[0] = true;
    let t0 = lab.now;
    // 3 echoes 2 s apart unanswered, then Terminate-Request twice (3 s), then PADT.
    assert!(lab.run_until(30_000, |l| l.manager().len() == 1), "{:?}", lab.manager().phase_counts());
    let took = lab.now - t0;
    assert!((5_000..=15_000).contains(&took), "torn down after {took} ms");
    assert_eq!(lab.manager().stats().keepalive_failures, 1);
    // The other one, answering, is still up a minute later.
    assert!(!lab.run_until(60_000, |l| l.manager().len() != 1));
    assert_eq!(lab.subs[1].phase(), SubscriberPhase::Up);
    assert_eq!(lab.manager().sessions(lab.now)[0].username.as_deref(), Some("user2@lab"));
}

#[test]
fn a_padt_from_the_subscriber_releases_everything_at_once() {
    let mut lab = Lab::new(10, USERS);
    for n in 1..=5u32 {
        lab.add(n, Vlans::dot1q(n as u16), &format!("user{n}@lab"), "lab", false);
    }
    assert!(lab.run_until(20_000, |l| l.all_up()));
    for s in lab.subs.iter_mut() {
        s.send_padt(lab.now);
    }
    lab.step(10);
    lab.step(10);
    assert_eq!(lab.bras().stats().padt_received, 5);
    lab.assert_empty();
}

#[test]
fn an_operator_disconnect_sends_terminate_and_padt() {
    let mut lab = Lab::new(10, USERS);
    lab.add(1, Vlans::NONE, "user1@lab", "lab", false);
    lab.add(2, Vlans::qinq(10, 20), "user2@lab", "lab", false);
    assert!(lab.run_until(20_000, |l| l.all_up()));
    let _ = lab.events(1);
    lab.disconnect(&Which::User("user2@lab".into())).unwrap();
    assert!(lab.disconnect(&Which::User("nobody".into())).is_err());
    assert!(lab.run_until(10_000, |l| l.manager().len() == 1));
    assert_eq!(lab.subs[1].phase(), SubscriberPhase::Down);
    let ev = lab.events(1);
    assert!(matches!(ev.last(), Some(SubscriberEvent::Down { .. })), "{ev:?}");
    assert_eq!(lab.subs[0].phase(), SubscriberPhase::Up);
}

#[test]
fn garbage_from_a_subscriber_neither_crashes_nor_wedges_its_session() {
    let mut lab = Lab::new(10, USERS);
    lab.add(1, Vlans::NONE, "user1@lab", "lab", false);
    assert!(lab.run_until(20_000, |l| l.all_up()));
    let addr = lab.subs[0].address().unwrap();
    let template = lab.subs[0].encapsulate(&icmp_echo(u32::from(addr), INET, 1)).unwrap();
    let mut rng = Rng(12345);
    let mut frames = Vec::new();
    for i in 0..3000u32 {
        let mut f = template[..22].to_vec();
        // Control protocols and unknown ones, with random bodies and lengths.
        let proto: u16 = [0xc021, 0xc023, 0xc223, 0x8021, 0x8057, 0x80fd, 0x1234][i as usize % 7];
        f[20..22].copy_from_slice(&proto.to_be_bytes());
        let len = (i % 40) as usize;
        for _ in 0..len {
            f.push((rng.0 >> 7) as u8);
            rng.chance(0.5);
        }
        let plen = (2 + len) as u16;
        f[18..20].copy_from_slice(&plen.to_be_bytes());
        frames.push(f);
    }
    for chunk in frames.chunks(64) {
        lab.upstream(chunk.to_vec());
        lab.step(10);
    }
    // Still up, still forwarding.
    assert!(!lab.run_until(5_000, |l| l.subs[0].phase() != SubscriberPhase::Up));
    lab.to_inet.clear();
    let ping = lab.subs[0].encapsulate(&icmp_echo(u32::from(addr), INET, 2)).unwrap();
    lab.upstream(vec![ping]);
    assert_eq!(lab.to_inet.len(), 1);
    assert!(lab.manager().stats().protocol_rejects_sent > 0, "unknown protocols got Protocol-Reject");
}

#[test]
fn a_thousand_sessions_up_and_down_leave_nothing_behind() {
    let mut lab = Lab::new(30, USERS);
    for n in 1..=1000u32 {
        lab.add(n, Vlans::dot1q((n % 4000) as u16 + 1), &format!("user{n}@lab"), "lab", false);
    }
    assert!(lab.run_until(60_000, |l| l.all_up()), "{:?}", lab.manager().phase_counts());
    assert_eq!(lab.sessions.len(), 1000);
    assert_eq!(lab.manager().pools().stats()[0].used, 1000);
    for s in lab.subs.iter_mut() {
        s.hang_up(lab.now);
    }
    assert!(lab.run_until(30_000, |l| l.manager().is_empty()));
    lab.step(10);
    lab.assert_empty();
}

