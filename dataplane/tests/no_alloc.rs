//! The worker path allocates nothing: run a large sequence of mixed bursts through the
//! stages under a counting global allocator and count zero allocations.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

mod common;

use dataplane::counters::{Count, DropReason};
use dataplane::packet::HeapPacket;
use dataplane::stages::{process_burst, Ctx, Next, PuntLimits, BURST};
use common::*;

struct Counting;
static ARMED: AtomicBool = AtomicBool::new(false);
static ALLOCS: AtomicU64 = AtomicU64::new(0);

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
    let n = ALLOCS.load(Ordering::SeqCst);
    let rx = w.counters.get(Count::RxPackets);
    assert!(rx >= 1_000_000, "{rx} packets");
    assert!(w.counters.get(Count::Forwarded) > 0 && w.counters.get(Count::IcmpErrors) > 0);
    assert_eq!(n, 0, "{n} allocations over {rx} packets");
}
