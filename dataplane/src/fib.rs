//! IPv4 FIB: longest-prefix match in at most two memory reads (DIR-24-8, as in DPDK's
//! rte_lpm and Gupta et al., "Routing lookups in hardware at memory access speeds").
//!
//! `tbl24` has one entry per /24 (2^24 entries, 64 MiB). An entry either holds the
//! answer for the whole /24 or points at a `tbl8` group of 256 entries, one per
//! address of that /24, for /24s that routes longer than /24 split up.
//!
//! Entry (u32): bit 31 EXT — bits 0..31 are a tbl8 group index; otherwise bit 30 VALID,
//! bits 24..30 the depth (prefix length) of the route that owns the entry, bits 0..24
//! the value (an adjacency index). 0 is "no route". The depth lets an insert overwrite
//! only entries owned by shorter prefixes and a delete give back exactly its own
//! entries to the next covering route (the writer keeps every route, so it finds that
//! cover with ≤ 32 hash lookups).
//!
//! Concurrency: one writer ([`FibWriter`], the control core), any number of readers
//! ([`FibTable::lookup`], the workers), no locks.
//! - every entry is one `AtomicU32`; a reader sees the old or the new entry, never a mix.
//! - a new tbl8 group is filled completely, then published by a Release store of the
//!   tbl24 entry; readers load tbl24 with Acquire, so they never see a half-built group.
//! - a group whose 256 entries become equal collapses back into its tbl24 entry (Release
//!   store); the group goes to a QSBR [`Deferred`] list and is reused only after every
//!   worker has passed a quiescent point, so no reader still holds its index.
//! - tbl8 memory is allocated in chunks of 256 groups on first use and never freed
//!   while the table lives, so a group index always points at valid memory.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use crate::mem::Table;
use crate::rcu::{Deferred, Qsbr};

/// What [`FibTable::lookup`] returns when no route matches.
pub const NO_ROUTE: u32 = u32::MAX;
/// Values must be below this (24 bits).
pub const MAX_VALUE: u32 = 1 << 24;

const EXT: u32 = 1 << 31;
const VALID: u32 = 1 << 30;
const DEPTH_SHIFT: u32 = 24;
const VALUE_MASK: u32 = MAX_VALUE - 1;
const GROUPS_PER_CHUNK: usize = 256;

#[inline]
fn leaf(value: u32, depth: u8) -> u32 {
    VALID | (depth as u32) << DEPTH_SHIFT | value
}

#[inline]
fn depth_of(e: u32) -> u8 {
    ((e >> DEPTH_SHIFT) & 0x3f) as u8
}

#[inline]
fn mask(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - len)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FibConfig {
    /// Most /24s that may hold routes longer than /24 at once (each takes 1 KiB).
    pub max_tbl8_groups: u32,
}

impl FibConfig {
    /// Enough for a million routes with a realistic length mix (~110k split /24s).
    pub const DEFAULT_MAX_TBL8_GROUPS: u32 = 1 << 17;
}

impl Default for FibConfig {
    fn default() -> Self {
        FibConfig { max_tbl8_groups: Self::DEFAULT_MAX_TBL8_GROUPS }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FibError {
    BadPrefixLength,
    HostBitsSet,
    /// More /24s split by longer routes than `max_tbl8_groups`.
    Tbl8Exhausted,
    NotFound,
    ValueTooLarge,
}

impl std::fmt::Display for FibError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FibError::BadPrefixLength => "prefix length over 32",
            FibError::HostBitsSet => "the prefix has host bits set",
            FibError::Tbl8Exhausted => "FIB full: no free tbl8 group (raise dataplane.fib_max_tbl8_groups)",
            FibError::NotFound => "no such route",
            FibError::ValueTooLarge => "adjacency index too large for the FIB",
        })
    }
}

impl std::error::Error for FibError {}

/// The read side, shared by all workers.
pub struct FibTable {
    tbl24: Table<AtomicU32>,
    chunks: Box<[OnceLock<Table<AtomicU32>>]>,
    /// Routes installed, kept by the writer: a hint for workers deciding whether lookups
    /// are worth prefetching.
    routes: AtomicU64,
}

/// From this many routes on, workers prefetch a burst's FIB entries: a table this big
/// no longer sits in cache.
pub const PREFETCH_FROM_ROUTES: u64 = 65536;

impl FibTable {
    /// Routes installed (a hint, read relaxed).
    #[inline]
    pub fn routes_hint(&self) -> u64 {
        self.routes.load(Ordering::Relaxed)
    }

    #[inline]
    fn tbl8(&self, group: u32, i: u32) -> &AtomicU32 {
        let g = group as usize;
        let chunk = self.chunks[g / GROUPS_PER_CHUNK].get().expect("published group has memory");
        &chunk[(g % GROUPS_PER_CHUNK) * 256 + i as usize]
    }

    /// Longest-prefix match for `dst` (host order): the route's value or [`NO_ROUTE`].
    #[inline]
    pub fn lookup(&self, dst: u32) -> u32 {
        let mut e = self.tbl24[(dst >> 8) as usize].load(Ordering::Acquire);
        if e & EXT != 0 {
            e = self.tbl8(e & !EXT, dst & 0xff).load(Ordering::Relaxed);
        }
        if e & VALID != 0 {
            e & VALUE_MASK
        } else {
            NO_ROUTE
        }
    }

    /// Ask for the cache line `dst`'s tbl24 entry sits in (a later lookup then hits).
    #[inline]
    pub fn prefetch(&self, dst: u32) {
        if let Some(e) = self.tbl24.get((dst >> 8) as usize) {
            crate::mem::prefetch(e);
        }
    }

    /// Look up a burst of destinations.
    #[inline]
    pub fn lookup_burst(&self, dst: &[u32], out: &mut [u32]) {
        for (d, o) in dst.iter().zip(out.iter_mut()) {
            *o = self.lookup(*d);
        }
    }
}

/// The write side, owned by the control core.
pub struct FibWriter {
    table: Arc<FibTable>,
    routes: Vec<HashMap<u32, u32>>,
    max_groups: u32,
    next_group: u32,
    free_groups: Vec<u32>,
    deferred: Deferred<u32>,
    in_use: u32,
    qsbr: Arc<Qsbr>,
}

impl FibWriter {
    pub fn new(config: FibConfig, qsbr: Arc<Qsbr>) -> FibWriter {
        let max_groups = config.max_tbl8_groups.min(EXT - 1);
        let n_chunks = (max_groups as usize).div_ceil(GROUPS_PER_CHUNK);
        let table = Arc::new(FibTable {
            tbl24: Table::new(1 << 24, |_| AtomicU32::new(0)),
            chunks: std::iter::repeat_with(OnceLock::new).take(n_chunks).collect(),
            routes: AtomicU64::new(0),
        });
        FibWriter {
            table,
            routes: vec![HashMap::new(); 33],
            max_groups,
            next_group: 0,
            free_groups: Vec::new(),
            deferred: Deferred::new(),
            in_use: 0,
            qsbr,
        }
    }

    pub fn table(&self) -> Arc<FibTable> {
        self.table.clone()
    }

    pub fn len(&self) -> usize {
        self.routes.iter().map(|m| m.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn tbl8_in_use(&self) -> u32 {
        self.in_use
    }

    pub fn memory_bytes(&self) -> usize {
        let chunks = self.table.chunks.iter().filter(|c| c.get().is_some()).count();
        (1 << 24) * 4 + chunks * GROUPS_PER_CHUNK * 256 * 4
    }

    pub fn get(&self, prefix: u32, len: u8) -> Option<u32> {
        self.routes.get(len as usize)?.get(&prefix).copied()
    }

    pub fn routes(&self) -> Vec<(u32, u8, u32)> {
        let mut v: Vec<(u32, u8, u32)> = self
            .routes
            .iter()
            .enumerate()
            .flat_map(|(len, m)| m.iter().map(move |(&p, &val)| (p, len as u8, val)))
            .collect();
        v.sort_unstable();
        v
    }

    fn check(prefix: u32, len: u8) -> Result<(), FibError> {
        if len > 32 {
            return Err(FibError::BadPrefixLength);
        }
        if prefix & !mask(len) != 0 {
            return Err(FibError::HostBitsSet);
        }
        Ok(())
    }

    /// The route that covers `prefix/len` once it is gone: the longest shorter one.
    fn cover(&self, prefix: u32, len: u8) -> u32 {
        for l in (0..len).rev() {
            if let Some(&v) = self.routes[l as usize].get(&(prefix & mask(l))) {
                return leaf(v, l);
            }
        }
        0
    }

    fn alloc_group(&mut self) -> Option<u32> {
        if self.free_groups.is_empty() {
            self.maintain();
        }
        if self.free_groups.is_empty() && self.next_group >= self.max_groups && !self.deferred.is_empty() {
            // Only groups still in their grace period are left: wait for the readers
            // (workers pass a quiescent point every loop, within microseconds), bounded
            // so that a stuck reader shows up as "full" rather than a hung control core.
            let t0 = std::time::Instant::now();
            while self.free_groups.is_empty() && t0.elapsed() < std::time::Duration::from_millis(100) {
                std::thread::yield_now();
                self.maintain();
            }
        }
        let g = match self.free_groups.pop() {
            Some(g) => g,
            None if self.next_group < self.max_groups => {
                let g = self.next_group;
                self.next_group += 1;
                let chunk = &self.table.chunks[g as usize / GROUPS_PER_CHUNK];
                chunk.get_or_init(|| Table::new(GROUPS_PER_CHUNK * 256, |_| AtomicU32::new(0)));
                g
            }
            None => return None,
        };
        self.in_use += 1;
        Some(g)
    }

    /// Add a route or replace its value; returns the previous value.
    pub fn insert(&mut self, prefix: u32, len: u8, value: u32) -> Result<Option<u32>, FibError> {
        Self::check(prefix, len)?;
        if value >= MAX_VALUE {
            return Err(FibError::ValueTooLarge);
        }
        let t = self.table.clone();
        let new = leaf(value, len);
        if len <= 24 {
            let first = (prefix >> 8) as usize;
            let count = 1usize << (24 - len);
            for e24 in &t.tbl24[first..first + count] {
                let e = e24.load(Ordering::Relaxed);
                if e & EXT != 0 {
                    for i in 0..256 {
                        let te = t.tbl8(e & !EXT, i);
                        let v = te.load(Ordering::Relaxed);
                        if v & VALID == 0 || depth_of(v) <= len {
                            te.store(new, Ordering::Relaxed);
                        }
                    }
                } else if e & VALID == 0 || depth_of(e) <= len {
                    e24.store(new, Ordering::Release);
                }
            }
        } else {
            let e24 = &t.tbl24[(prefix >> 8) as usize];
            let e = e24.load(Ordering::Relaxed);
            let first = prefix & 0xff;
            let count = 1u32 << (32 - len);
            if e & EXT != 0 {
                let g = e & !EXT;
                for i in first..first + count {
                    let te = t.tbl8(g, i);
                    let v = te.load(Ordering::Relaxed);
                    if v & VALID == 0 || depth_of(v) <= len {
                        te.store(new, Ordering::Relaxed);
                    }
                }
            } else {
                let g = self.alloc_group().ok_or(FibError::Tbl8Exhausted)?;
                for i in 0..256 {
                    let v = if (first..first + count).contains(&i) { new } else { e };
                    t.tbl8(g, i).store(v, Ordering::Relaxed);
                }
                e24.store(EXT | g, Ordering::Release);
            }
        }
        let old = self.routes[len as usize].insert(prefix, value);
        if old.is_none() {
            t.routes.fetch_add(1, Ordering::Relaxed);
        }
        Ok(old)
    }

    /// Remove a route; returns its value.
    pub fn remove(&mut self, prefix: u32, len: u8) -> Result<u32, FibError> {
        Self::check(prefix, len)?;
        let value = self.routes[len as usize].remove(&prefix).ok_or(FibError::NotFound)?;
        self.table.routes.fetch_sub(1, Ordering::Relaxed);
        let cover = self.cover(prefix, len);
        let t = self.table.clone();
        let owned = |v: u32| v & VALID != 0 && depth_of(v) == len;
        if len <= 24 {
            let first = (prefix >> 8) as usize;
            let count = 1usize << (24 - len);
            for idx in first..first + count {
                let e24 = &t.tbl24[idx];
                let e = e24.load(Ordering::Relaxed);
                if e & EXT != 0 {
                    for i in 0..256 {
                        let te = t.tbl8(e & !EXT, i);
                        if owned(te.load(Ordering::Relaxed)) {
                            te.store(cover, Ordering::Relaxed);
                        }
                    }
                    self.try_collapse(idx);
                } else if owned(e) {
                    e24.store(cover, Ordering::Release);
                }
            }
        } else {
            let idx = (prefix >> 8) as usize;
            let e = t.tbl24[idx].load(Ordering::Relaxed);
            debug_assert!(e & EXT != 0, "a route longer than /24 lives in a tbl8 group");
            if e & EXT != 0 {
                let first = prefix & 0xff;
                for i in first..first + (1u32 << (32 - len)) {
                    let te = t.tbl8(e & !EXT, i);
                    if owned(te.load(Ordering::Relaxed)) {
                        te.store(cover, Ordering::Relaxed);
                    }
                }
                self.try_collapse(idx);
            }
        }
        Ok(value)
    }

    /// Fold a tbl8 group back into its tbl24 entry once no route longer than /24 is left in it.
    fn try_collapse(&mut self, idx: usize) {
        let t = self.table.clone();
        let e = t.tbl24[idx].load(Ordering::Relaxed);
        if e & EXT == 0 {
            return;
        }
        let g = e & !EXT;
        let first = t.tbl8(g, 0).load(Ordering::Relaxed);
        if first & VALID != 0 && depth_of(first) > 24 {
            return;
        }
        if (1..256).any(|i| t.tbl8(g, i).load(Ordering::Relaxed) != first) {
            return;
        }
        t.tbl24[idx].store(first, Ordering::Release);
        let token = self.qsbr.start();
        self.deferred.defer(token, g);
        self.in_use -= 1;
    }

    /// Make collapsed groups reusable once their grace period has passed.
    pub fn maintain(&mut self) {
        let freed = self.deferred.reclaim(&self.qsbr);
        self.free_groups.extend(freed);
    }

    /// Groups waiting for a grace period.
    pub fn tbl8_deferred(&self) -> usize {
        self.deferred.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fib(max: u32) -> FibWriter {
        FibWriter::new(FibConfig { max_tbl8_groups: max }, Qsbr::new(1))
    }

    /// The obvious LPM, for comparison.
    fn reference(routes: &[(u32, u8, u32)], dst: u32) -> u32 {
        routes
            .iter()
            .filter(|&&(p, l, _)| dst & mask(l) == p)
            .max_by_key(|&&(_, l, _)| l)
            .map(|&(_, _, v)| v)
            .unwrap_or(NO_ROUTE)
    }

    #[test]
    fn the_route_count_hint_follows_inserts_replacements_and_removals() {
        let mut f = fib(16);
        let t = f.table();
        f.insert(0x0a00_0000, 8, 1).unwrap();
        f.insert(0x0a01_0200, 24, 2).unwrap();
        f.insert(0x0a01_0203, 32, 3).unwrap();
        f.insert(0x0a01_0200, 24, 4).unwrap(); // replaces
        assert_eq!(t.routes_hint(), 3);
        f.remove(0x0a01_0203, 32).unwrap();
        assert!(f.remove(0x0a01_0203, 32).is_err());
        assert_eq!(t.routes_hint(), 2);
    }

    #[test]
    fn longest_prefix_wins_and_removal_restores_the_cover() {
        let mut f = fib(16);
        let t = f.table();
        assert_eq!(t.lookup(0x0a01_0203), NO_ROUTE);
        f.insert(0, 0, 1).unwrap();
        f.insert(0x0a00_0000, 8, 2).unwrap();
        f.insert(0x0a01_0200, 24, 3).unwrap();
        f.insert(0x0a01_0280, 25, 4).unwrap();
        f.insert(0x0a01_0283, 32, 5).unwrap();
        assert_eq!(t.lookup(0x0b00_0000), 1);
        assert_eq!(t.lookup(0x0a02_0000), 2);
        assert_eq!(t.lookup(0x0a01_0201), 3);
        assert_eq!(t.lookup(0x0a01_0281), 4);
        assert_eq!(t.lookup(0x0a01_0283), 5);
        assert_eq!(f.tbl8_in_use(), 1);
        assert_eq!(f.remove(0x0a01_0283, 32), Ok(5));
        assert_eq!(t.lookup(0x0a01_0283), 4);
        assert_eq!(f.remove(0x0a01_0280, 25), Ok(4));
        assert_eq!(t.lookup(0x0a01_0283), 3);
        assert_eq!(f.tbl8_in_use(), 0, "group collapsed");
        f.maintain();
        assert_eq!(f.free_groups.len(), 1, "and reusable: no readers registered");
        assert_eq!(f.remove(0x0a01_0200, 24), Ok(3));
        assert_eq!(t.lookup(0x0a01_0283), 2);
        assert_eq!(f.remove(0x0a00_0000, 8), Ok(2));
        assert_eq!(f.remove(0, 0), Ok(1));
        assert_eq!(t.lookup(0x0a01_0283), NO_ROUTE);
        assert_eq!(f.remove(0, 0), Err(FibError::NotFound));
        assert!(f.is_empty());
    }

    #[test]
    fn shorter_route_added_later_does_not_hide_longer_ones() {
        let mut f = fib(16);
        let t = f.table();
        f.insert(0xc000_0280, 25, 7).unwrap();
        f.insert(0xc000_0200, 24, 8).unwrap();
        f.insert(0xc000_0000, 16, 9).unwrap();
        assert_eq!(t.lookup(0xc000_0281), 7);
        assert_eq!(t.lookup(0xc000_0201), 8);
        assert_eq!(t.lookup(0xc000_0301), 9);
        // Replace keeps the slot and returns the old value.
        assert_eq!(f.insert(0xc000_0200, 24, 10), Ok(Some(8)));
        assert_eq!(t.lookup(0xc000_0201), 10);
        assert_eq!(t.lookup(0xc000_0281), 7);
    }

    #[test]
    fn errors() {
        let mut f = fib(1);
        assert_eq!(f.insert(0x0a00_0001, 8, 1), Err(FibError::HostBitsSet));
        assert_eq!(f.insert(0, 33, 1), Err(FibError::BadPrefixLength));
        assert_eq!(f.insert(0, 0, MAX_VALUE), Err(FibError::ValueTooLarge));
        f.insert(0x0a00_0080, 25, 1).unwrap();
        let t = f.table();
        // A second /24 needs a second group: exhausted, and nothing changed.
        assert_eq!(f.insert(0x0b00_0080, 25, 2), Err(FibError::Tbl8Exhausted));
        assert_eq!(f.get(0x0b00_0080, 25), None);
        assert_eq!(t.lookup(0x0b00_0081), NO_ROUTE);
        // Same /24: fits.
        f.insert(0x0a00_0000, 25, 3).unwrap();
        assert_eq!(t.lookup(0x0a00_0001), 3);
    }

    #[test]
    fn collapsed_groups_wait_for_readers() {
        let q = Qsbr::new(1);
        let r = q.register();
        let mut f = FibWriter::new(FibConfig { max_tbl8_groups: 1 }, q.clone());
        f.insert(0x0a00_0080, 25, 1).unwrap();
        f.remove(0x0a00_0080, 25).unwrap();
        assert_eq!(f.tbl8_deferred(), 1);
        // The only group is still in its grace period.
        assert_eq!(f.insert(0x0b00_0080, 25, 2), Err(FibError::Tbl8Exhausted));
        r.quiescent();
        f.insert(0x0b00_0080, 25, 2).unwrap();
        assert_eq!(f.table().lookup(0x0b00_0081), 2);
    }

    fn route_strategy() -> impl Strategy<Value = (u32, u8, u32)> {
        // Few distinct top bits, so routes overlap a lot.
        (0u32..4, any::<u32>(), 0u8..=32, 0u32..1000).prop_map(|(top, bits, len, v)| {
            let p = ((top << 30) | (bits >> 2)) & mask(len);
            (p, len, v)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn matches_reference_under_inserts_and_removes(
            ops in proptest::collection::vec((route_strategy(), any::<bool>()), 1..60),
            probes in proptest::collection::vec(any::<u32>(), 50),
        ) {
            let mut f = fib(256);
            let t = f.table();
            let mut model: Vec<(u32, u8, u32)> = Vec::new();
            for ((p, l, v), remove) in ops {
                if remove {
                    if let Some(i) = model.iter().position(|&(mp, ml, _)| mp == p && ml == l) {
                        model.remove(i);
                        prop_assert!(f.remove(p, l).is_ok());
                    } else {
                        prop_assert_eq!(f.remove(p, l), Err(FibError::NotFound));
                    }
                } else {
                    model.retain(|&(mp, ml, _)| !(mp == p && ml == l));
                    model.push((p, l, v));
                    f.insert(p, l, v).unwrap();
                }
            }
            let mut addrs = probes.clone();
            for &(p, l, _) in &model {
                addrs.push(p);
                addrs.push(p | !mask(l));
            }
            for a in addrs {
                prop_assert_eq!(t.lookup(a), reference(&model, a), "address {:#x}", a);
            }
            for (p, l, _) in model.clone() {
                f.remove(p, l).unwrap();
            }
            f.maintain();
            prop_assert_eq!(f.tbl8_in_use(), 0);
        }
    }

    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    /// A million routes with a realistic length mix (mostly /16–/24, 10 % longer).
    #[test]
    fn a_million_routes() {
        let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
        let mut f = fib(FibConfig::default().max_tbl8_groups);
        let t = f.table();
        let mut routes: HashMap<(u32, u8), u32> = HashMap::new();
        while routes.len() < 1_000_000 {
            let r = rng.next();
            let len = match r % 100 {
                0..=9 => 25 + (r >> 8) as u8 % 8,
                10..=69 => 24,
                70..=89 => 16 + (r >> 8) as u8 % 8,
                _ => 8 + (r >> 8) as u8 % 8,
            };
            let p = (rng.next() as u32) & mask(len);
            routes.insert((p, len), (rng.next() % 60_000) as u32);
        }
        let t0 = std::time::Instant::now();
        for (&(p, l), &v) in &routes {
            f.insert(p, l, v).unwrap();
        }
        let dt = t0.elapsed();
        eprintln!("1M routes inserted in {dt:?} ({:.0} routes/s), {} tbl8 groups, {} MiB", 1e6 / dt.as_secs_f64(), f.tbl8_in_use(), f.memory_bytes() >> 20);
        assert_eq!(f.len(), 1_000_000);
        // Spot-check against a per-length map reference.
        let by_len: Vec<HashMap<u32, u32>> = (0..=32u8)
            .map(|l| routes.iter().filter(|(k, _)| k.1 == l).map(|(k, &v)| (k.0, v)).collect())
            .collect();
        let slow = |a: u32| -> u32 {
            for l in (0..=32u8).rev() {
                if let Some(&v) = by_len[l as usize].get(&(a & mask(l))) {
                    return v;
                }
            }
            NO_ROUTE
        };
        let probes: Vec<u32> = (0..100_000).map(|_| rng.next() as u32).collect();
        for &a in &probes {
            assert_eq!(t.lookup(a), slow(a), "{a:#x}");
        }
        let t0 = std::time::Instant::now();
        let mut sink = 0u32;
        for _ in 0..10 {
            for &a in &probes {
                sink = sink.wrapping_add(t.lookup(a));
            }
        }
        eprintln!("lookup: {:.1} ns/op (random addresses, {sink})", t0.elapsed().as_nanos() as f64 / 1e6);
        for &(p, l) in routes.keys() {
            f.remove(p, l).unwrap();
        }
        f.maintain();
        assert_eq!(f.tbl8_in_use(), 0);
        for &a in probes.iter().take(1000) {
            assert_eq!(t.lookup(a), NO_ROUTE);
        }
    }
}
