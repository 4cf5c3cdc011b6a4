//! The worker path allocates nothing: run a large sequence of mixed bursts through the
//! stages under a counting global allocator and count zero allocations.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

mod common;
mod l2tp_fixture;

use dataplane::counters::{Count, DropReason};
use dataplane::packet::HeapPacket;
use dataplane::stages::{process_burst, process_ppp_burst, Ctx, Next, PuntLimits, BURST};
use common::*;

struct Counting;
static ARMED: AtomicBool = AtomicBool::new(false);
static ALLOCS: AtomicU64 = AtomicU64::new(0);
/// The count is global: one measuring test at a time (cargo runs tests on threads).
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if ARMED.load(Ordering::Relaxed) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        if ARMED.load(Ordering::Relaxed) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn a_million_packets_through_the_stages_allocate_nothing() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let w = world(false);
    let mut frames: Vec<Vec<u8>> = vec![
        eth(ACC_MAC, SUB_MAC, 0x0800, &ipv4(SUB, 0xcb00_7105, 64, 17, false, &[0; 18])), // forward (next hop, unresolved → punt)
        eth(ACC_MAC, SUB_MAC, 0x0800, &ipv4(SUB, INET, 1, 1, false, &echo_request(56))), // TTL → ICMP
        eth(ACC_MAC, SUB_MAC, 0x0800, &ipv4(SUB, 0x0808_0808, 64, 17, false, &[0; 18])), // no route → ICMP
        eth(UP_MAC, INET_MAC, 0x0800, &ipv4(INET, SUB, 64, 6, false, &[0; 40])),        // forward to SUB
        eth(ACC_MAC, SUB_MAC, 0x0800, &ipv4(SUB, ACC_IP, 64, 1, false, &echo_request(8))), // local
        eth([0xff; 6], SUB_MAC, 0x0806, &arp(1, SUB_MAC, SUB, [0; 6], ACC_IP)),        // ARP answered
        vec![0; 9],                                                                     // runt
        eth(ACC_MAC, SUB_MAC, 0x88cc, &[0; 40]),                                        // unknown
    ];
    frames.truncate(8);
    let burst: Vec<Vec<u8>> = (0..BURST).map(|i| frames[i % frames.len()].clone()).collect();
    let mut pkts: Vec<HeapPacket> = burst.iter().map(|f| HeapPacket::new(f)).collect();
    let mut next = vec![Next::Drop(DropReason::Internal); BURST];
    let mut ctx = Ctx::new(&w.tables, &w.counters, 0, 1_000_000_000, PuntLimits { icmp_per_s: 1_000_000, ..PuntLimits::default() });

    let rounds = 1_000_000 / BURST + 1;
    ARMED.store(true, Ordering::SeqCst);
    for r in 0..rounds {
        for (p, f) in pkts.iter_mut().zip(&burst) {
            p.reset(f);
        }
        ctx.now = r as u64 * 1000;
        let rx = if r % 2 == 0 { ACC } else { UP };
        process_burst(&mut ctx, rx, &mut pkts, &mut next);
    }
    ARMED.store(false, Ordering::SeqCst);
    let n = ALLOCS.swap(0, Ordering::SeqCst);
    let rx = w.counters.get(Count::RxPackets);
    assert!(rx >= 1_000_000, "{rx} packets");
    assert!(w.counters.get(Count::Forwarded) > 0 && w.counters.get(Count::IcmpErrors) > 0);
    assert_eq!(n, 0, "{n} allocations over {rx} packets");
}

#[test]
fn the_pppoe_path_allocates_nothing_either() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    use dataplane::session::{Patches, SessionKey, SessionParams, Template, ECHO_OFFLOAD, FIB_SESSION_BASE};
    let mut w = world(true);
    let peer = [0x02, 0, 0x5e, 0, 0, 0x42];
    let peer_ip = 0x6440_0007u32;
    // A session on VLAN 100, IPCP open, MSS clamped, echoes answered by the worker.
    let hdr = |proto: u16, payload: &[u8]| {
        let mut f = eth(ACC_MAC, peer, 0x8100, &[]);
        f.truncate(12);
        f.extend_from_slice(&[0x81, 0x00, 0x00, 100, 0x88, 0x64, 0x11, 0x00, 0x12, 0x34]);
        f.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        f.extend_from_slice(&proto.to_be_bytes());
        f.extend_from_slice(payload);
        f
    };
    let mut t = hdr(0x0021, &[]);
    t[0..6].copy_from_slice(&peer);
    t[6..12].copy_from_slice(&ACC_MAC);
    let p = SessionParams {
        key: SessionKey::Pppoe { port: ACC, outer: Some(100), inner: None, mac: peer, id: 0x1234 },
        port: ACC,
        template: Template::new(&t, Patches { pppoe: Some(18), ..Patches::NONE }).unwrap(),
        mru: 1492,
        magic: 0x1122_3344,
        flags: ECHO_OFFLOAD,
    };
    let (i, _) = w.sessions.add(&p).unwrap();
    w.sessions.open_ipv4(i, peer_ip, 1452).unwrap();
    w.fib.insert(peer_ip, 32, FIB_SESSION_BASE + i).unwrap();
    let syn = {
        let mut t = vec![0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x60, 0x02, 0xfa, 0xf0, 0, 0, 0, 0, 2, 4, 0x05, 0xb4];
        t[16] = 0;
        ipv4(peer_ip, INET, 64, 6, false, &t)
    };
    let frames: Vec<Vec<u8>> = vec![
        hdr(0x0021, &ipv4(peer_ip, INET, 64, 17, false, &[0; 18])),                  // upstream
        hdr(0x0021, &syn),                                                         // upstream SYN, clamped
        hdr(0x0021, &ipv4(peer_ip + 1, INET, 64, 17, false, &[0; 18])),              // spoofed
        hdr(0xc021, &[9, 1, 0, 12, 0xca, 0xfe, 0xba, 0xbe, 1, 2, 3, 4]),             // LCP echo, answered
        hdr(0x8021, &[1, 1, 0, 4]),                                                  // IPCP, punted
        eth([0xff; 6], peer, 0x8863, &[0x11, 0x09, 0, 0, 0, 4, 1, 1, 0, 0]),          // PADI, punted
        eth(UP_MAC, INET_MAC, 0x0800, &ipv4(INET, peer_ip, 64, 17, false, &[0; 18])), // downstream
        eth(UP_MAC, INET_MAC, 0x0800, &ipv4(INET, peer_ip, 64, 17, true, &[0; 1480])), // over the MRU
    ];
    let burst: Vec<Vec<u8>> = (0..BURST).map(|i| frames[i % frames.len()].clone()).collect();
    let mut pkts: Vec<HeapPacket> = burst.iter().map(|f| HeapPacket::new(f)).collect();
    let mut next = vec![Next::Drop(DropReason::Internal); BURST];
    let limits = PuntLimits { icmp_per_s: 1_000_000, discovery_per_s: 1_000_000, ppp_control_per_s: 1_000_000 };
    let mut ctx = Ctx::new(&w.tables, &w.counters, 0, 1_000_000_000, limits);
    let rounds = 1_000_000 / BURST + 1;
    let before = ALLOCS.load(Ordering::SeqCst);
    ARMED.store(true, Ordering::SeqCst);
    for r in 0..rounds {
        for (p, f) in pkts.iter_mut().zip(&burst) {
            p.reset(f);
        }
        ctx.now = r as u64 * 1000;
        process_burst(&mut ctx, if r % 2 == 0 { ACC } else { UP }, &mut pkts, &mut next);
    }
    ARMED.store(false, Ordering::SeqCst);
    let n = ALLOCS.load(Ordering::SeqCst) - before;
    assert!(w.counters.get(Count::PppoeDecap) > 0 && w.counters.get(Count::PppoeEncap) > 0);
    assert!(w.counters.get(Count::LcpEchoReplies) > 0 && w.counters.get(Count::MssClamped) > 0);
    assert!(w.counters.dropped(DropReason::PppSourceSpoofed) > 0);
    assert_eq!(n, 0, "{n} allocations on the PPPoE path");
}

#[test]
fn ppp_input_and_a_96_byte_template_allocate_nothing() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    use dataplane::session::ECHO_OFFLOAD;
    use l2tp_fixture::*;
    let mut w = world(true);
    let (index, _) = with_l2tp_session(&mut w, ECHO_OFFLOAD);
    let ppp = |h: &[u8], p: &[u8]| [h, p].concat();
    let ip = ipv4(L2TP_PEER, INET, 64, 17, false, &[0; 18]);
    // Upstream PPP frames as l2tp_input would hand them over, and downstream IPv4.
    let ups: Vec<Vec<u8>> = vec![
        upstream(&ppp(&[0xff, 0x03, 0x00, 0x21], &ip)),                                    // forwarded
        upstream(&ppp(&[0x21], &ip)),                                                      // ACFC + PFC
        upstream(&ppp(&[0xff, 0x03, 0x00, 0x21], &ipv4(L2TP_PEER + 1, INET, 64, 17, false, &[0; 8]))), // spoofed
        upstream(&ppp(&[0xff, 0x03, 0xc0, 0x21], &[9, 1, 0, 12, 0xca, 0xfe, 0xba, 0xbe, 1, 2, 3, 4])), // echo
        upstream(&ppp(&[0xff, 0x03, 0x80, 0x21], &[1, 1, 0, 4])),                         // IPCP, punted
    ];
    let downs: Vec<Vec<u8>> = vec![
        eth(UP_MAC, INET_MAC, 0x0800, &ipv4(INET, L2TP_PEER, 64, 17, false, &[0; 18])),
        eth(UP_MAC, INET_MAC, 0x0800, &ipv4(INET, L2TP_PEER, 64, 17, true, &[0; 1480])), // over the MRU
    ];
    let up_burst: Vec<Vec<u8>> = (0..BURST).map(|i| ups[i % ups.len()].clone()).collect();
    let down_burst: Vec<Vec<u8>> = (0..BURST).map(|i| downs[i % downs.len()].clone()).collect();
    let at = vec![(index, UP_PPP_AT); BURST];
    // Buffers big enough for every frame, so that resetting them allocates nothing.
    let mut pkts: Vec<HeapPacket> = (0..BURST).map(|_| HeapPacket::new(&[0; 1600])).collect();
    let mut next = vec![Next::Drop(DropReason::Internal); BURST];
    let limits = PuntLimits { icmp_per_s: 1_000_000, discovery_per_s: 1_000_000, ppp_control_per_s: 1_000_000 };
    let mut ctx = Ctx::new(&w.tables, &w.counters, 0, 1_000_000_000, limits);
    let rounds = 1_000_000 / BURST + 1;
    let before = ALLOCS.load(Ordering::SeqCst);
    ARMED.store(true, Ordering::SeqCst);
    for r in 0..rounds {
        ctx.now = r as u64 * 1000;
        if r % 2 == 0 {
            for (p, f) in pkts.iter_mut().zip(&up_burst) {
                p.reset(f);
            }
            process_ppp_burst(&mut ctx, UP, &mut pkts, &at, &mut next);
        } else {
            for (p, f) in pkts.iter_mut().zip(&down_burst) {
                p.reset(f);
            }
            process_burst(&mut ctx, UP, &mut pkts, &mut next);
        }
    }
    ARMED.store(false, Ordering::SeqCst);
    let n = ALLOCS.swap(0, Ordering::SeqCst) - before;
    assert!(w.counters.get(Count::L2tpDecap) > 0 && w.counters.get(Count::L2tpEncap) > 0);
    assert!(w.counters.get(Count::LcpEchoReplies) > 0 && w.counters.get(Count::Punted) > 0);
    assert!(w.counters.dropped(DropReason::PppSourceSpoofed) > 0 && w.counters.get(Count::IcmpErrors) > 0);
    assert_eq!(n, 0, "{n} allocations on the PPP and long-template paths");
}
