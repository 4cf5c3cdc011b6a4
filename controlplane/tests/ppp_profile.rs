//! The link profile as subscribers meet it through the PPPoE carrier: what LCP offers,
//! the MRU the carrier lets it ask for, the MSS clamp that follows, and IPCP's DNS. Emulated
//! subscribers dial the concentrator through the data-plane stages (`bras_harness`).

mod bras_harness;

use std::net::Ipv4Addr;

use bras_harness::*;
use controlplane::aaa::Method;
use controlplane::config::AuthMethod;
use controlplane::pppoe::discovery::Vlans;
use controlplane::pppoe::subscriber::{Subscriber, SubscriberConfig, SubscriberEvent, SubscriberPhase};

/// An IPv4 TCP SYN from `src` to `dst` port 80 whose only option is MSS `mss`.
fn tcp_syn(src: Ipv4Addr, dst: u32, mss: u16) -> Vec<u8> {
    let mut tcp = vec![0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x60, 0x02, 0xff, 0xff, 0, 0, 0, 0];
    tcp.extend_from_slice(&[2, 4]);
    tcp.extend_from_slice(&mss.to_be_bytes());
    let mut ip = vec![0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 6, 0, 0];
    ip[2..4].copy_from_slice(&((20 + tcp.len()) as u16).to_be_bytes());
    ip.extend_from_slice(&src.octets());
    ip.extend_from_slice(&dst.to_be_bytes());
    let c = csum(&ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    ip.extend_from_slice(&tcp);
    ip
}

/// Dial one subscriber (CHAP-MD5 and PAP, as the harness's) and return its address and DNS.
fn dial(lab: &mut Lab) -> (Ipv4Addr, [Option<Ipv4Addr>; 2]) {
    let i = lab.add(1, Vlans::NONE, "user1@lab", "lab", false);
    assert!(lab.run_until(10_000, |l| l.all_up()), "not up: {:?}", lab.log);
    let ev = lab.events(i);
    let Some(SubscriberEvent::Up { address, dns, .. }) = ev.last().cloned() else { panic!("{ev:?}") };
    (address, dns)
}

/// The MSS a SYN offering 1460 carries once the worker has forwarded it to the uplink.
fn mss_after_forwarding(lab: &mut Lab, address: Ipv4Addr) -> u16 {
    let frame = lab.subs[0].encapsulate(&tcp_syn(address, INET, 1460)).unwrap();
    lab.to_inet.clear();
    lab.upstream(vec![frame]);
    assert_eq!(lab.to_inet.len(), 1, "drops: {:?}", lab.drops);
    let d = &lab.to_inet[0];
    assert_eq!((d[9], &d[40..42]), (6, &[2u8, 4][..]), "a TCP SYN with its MSS option");
    u16::from_be_bytes([d[42], d[43]])
}

#[test]
fn the_profile_mru_dns_and_mss_clamp_reach_the_subscriber() {
    let mut p = ppp_profile(10);
    p.mru = 1400;
    p.mss_clamp = Some(1360);
    p.dns = vec![Ipv4Addr::new(198, 51, 100, 53), Ipv4Addr::new(198, 51, 100, 54)];
    let mut lab = Lab::with_profile(p, USERS);
    let (address, dns) = dial(&mut lab);
    assert_eq!(dns, [Some(Ipv4Addr::new(198, 51, 100, 53)), Some(Ipv4Addr::new(198, 51, 100, 54))]);
    assert_eq!(mss_after_forwarding(&mut lab, address), 1360);
}

#[test]
fn pppoe_caps_a_larger_profile_mru_and_its_clamp() {
    // A profile meant for a carrier with room (L2TP, or PPPoE with PPP-Max-Payload): without
    // RFC 4638 the PPPoE link asks for 1492 at most (RFC 2516 §7), and the clamp follows
    // the link, not the profile.
    let mut p = ppp_profile(10);
    p.mru = 4000;
    p.mss_clamp = Some(3960);
    let mut lab = Lab::with_profile(p, USERS);
    let (address, _) = dial(&mut lab);
    assert_eq!(mss_after_forwarding(&mut lab, address), 1452);
}

#[test]
fn mss_clamp_off_leaves_syns_alone() {
    let mut p = ppp_profile(10);
    p.mss_clamp = None;
    let mut lab = Lab::with_profile(p, USERS);
    let (address, _) = dial(&mut lab);
    assert_eq!(mss_after_forwarding(&mut lab, address), 1460);
}

/// A Windows-style subscriber that only speaks MS-CHAPv2 comes up when the profile offers
/// it first, and both ends hold the same MPPE keys (RFC 3079 §3: ours swapped with theirs).
#[test]
fn a_windows_style_subscriber_comes_up_with_ms_chap_v2() {
    let mut p = ppp_profile(10);
    p.auth = vec![AuthMethod::MsChapV2, AuthMethod::ChapMd5, AuthMethod::Pap];
    let mut lab = Lab::with_profile(p, USERS);
    let mut c = SubscriberConfig::new(ACC, [0x02, 0x5e, 0, 0, 0, 1], "user1@lab", "lab");
    c.methods = vec![Method::MsChapV2];
    let mut s = Subscriber::new(c);
    s.start(lab.now);
    lab.subs.push(s);
    lab.silent.push(false);
    assert!(lab.run_until(10_000, |l| l.all_up()), "not up: {:?}", lab.log);
    let info = lab.manager().sessions(lab.now);
    assert_eq!(info[0].auth, Some(Method::MsChapV2));
    let ours = lab.manager().mppe_keys(info[0].index).expect("server MPPE keys");
    let theirs = lab.subs[0].link().and_then(|l| l.mppe_keys()).expect("client MPPE keys");
    assert_eq!((ours.send, ours.recv), (theirs.recv, theirs.send));
    // Traffic flows through the session.
    let address = lab.subs[0].address().unwrap();
    assert_eq!(mss_after_forwarding(&mut lab, address), 1452);
}

#[test]
fn ms_chap_v2_with_the_wrong_password_ends_the_session() {
    let mut p = ppp_profile(10);
    p.auth = vec![AuthMethod::MsChapV2];
    let mut lab = Lab::with_profile(p, USERS);
    let mut c = SubscriberConfig::new(ACC, [0x02, 0x5e, 0, 0, 0, 1], "user1@lab", "wrong");
    c.methods = vec![Method::MsChapV2];
    let mut s = Subscriber::new(c);
    s.start(lab.now);
    lab.subs.push(s);
    lab.silent.push(false);
    assert!(lab.run_until(20_000, |l| l.manager().is_empty() && l.subs[0].phase() == SubscriberPhase::Down));
    let ev = lab.events(0);
    assert!(
        ev.iter().any(|e| matches!(e, SubscriberEvent::Down { reason } if reason.contains("authentication failed") && reason.contains("E=691"))),
        "{ev:?}"
    );
    assert_eq!(lab.manager().stats().auth_rejected, 1);
    lab.step(10);
    lab.assert_empty();
}
