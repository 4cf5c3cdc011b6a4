//! The FIB under one writer and concurrent lock-free readers: while the writer keeps
//! adding and removing more-specific routes (splitting /24s into tbl8 groups and
//! collapsing them again), readers never see an answer that was not valid for their
//! address at some moment, and collapsed groups are reused only after the readers'
//! grace period.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dataplane::fib::{FibConfig, FibWriter, NO_ROUTE};
use dataplane::rcu::Qsbr;

const COVER: u32 = 1;
/// 10.0.0.0/8 is always there; inside it, /24s 10.0.N.0 (value 1000+N) and
/// /25s 10.0.N.128 (value 2000+N) come and go.
fn v24(n: u32) -> u32 {
    1000 + n
}
fn v25(n: u32) -> u32 {
    2000 + n
}

#[test]
fn readers_see_only_valid_answers_while_routes_change() {
    let qsbr = Qsbr::new(2);
    let mut fib = FibWriter::new(FibConfig { max_tbl8_groups: 64 }, qsbr.clone());
    let table = fib.table();
    fib.insert(0x0a00_0000, 8, COVER).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let lookups = Arc::new(AtomicU64::new(0));
    let mut readers = Vec::new();
    for r in 0..2u32 {
        let (t, q, stop, lookups) = (table.clone(), qsbr.clone(), stop.clone(), lookups.clone());
        readers.push(std::thread::spawn(move || {
            let h = q.register();
            let mut i: u32 = r * 7919;
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                h.quiescent();
                for _ in 0..64 {
                    i = i.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    let net = (i >> 8) & 31;
                    let host = i & 0xff;
                    let a = 0x0a00_0000 | net << 8 | host;
                    let got = t.lookup(a);
                    let ok = got == COVER || got == v24(net) || (host >= 128 && got == v25(net));
                    assert!(ok, "address {a:#x} gave {got} (NO_ROUTE is {NO_ROUTE})");
                    n += 1;
                }
            }
            h.offline();
            lookups.fetch_add(n, Ordering::Relaxed);
        }));
    }
    let t0 = Instant::now();
    let mut changes = 0u64;
    let mut x: u32 = 1;
    while t0.elapsed() < Duration::from_secs(2) {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let n = (x >> 16) & 31;
        let p24 = 0x0a00_0000 | n << 8;
        let r = match x & 3 {
            0 => fib.insert(p24, 24, v24(n)).map(|_| ()),
            1 => fib.remove(p24, 24).map(|_| ()),
            2 => fib.insert(p24 | 0x80, 25, v25(n)).map(|_| ()),
            _ => fib.remove(p24 | 0x80, 25).map(|_| ()),
        };
        match r {
            Ok(()) => changes += 1,
            Err(dataplane::fib::FibError::NotFound) => {}
            Err(e) => panic!("{e}"),
        }
        fib.maintain();
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        r.join().expect("a reader saw a wrong answer");
    }
    let n = lookups.load(Ordering::Relaxed);
    eprintln!("{changes} route changes, {n} concurrent lookups");
    assert!(changes > 1000 && n > 100_000, "{changes} changes, {n} lookups");
    for n in 0..32 {
        let p24 = 0x0a00_0000 | n << 8;
        let _ = fib.remove(p24, 24);
        let _ = fib.remove(p24 | 0x80, 25);
    }
    fib.maintain();
    assert_eq!(fib.tbl8_in_use(), 0);
    assert_eq!(table.lookup(0x0a00_0181), COVER);
}
