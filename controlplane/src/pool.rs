//! IPv4 address pools: where a subscriber's address comes from when IPCP negotiates
//! IP-Address (RFC 1332 §3.3) and neither the users file nor RADIUS (Framed-IP-Address,
//! RFC 2865 §5.8) gave a static one.
//!
//! [`Pools`] holds several named pools. A pool is one or more ranges (`100.64.0.0/12`,
//! `10.0.0.10-10.0.0.200`, or one address), minus the addresses it never hands out:
//!
//! - `skip_prefix_ends` (default on): the first and last address of every range given as a
//!   prefix of length 30 or shorter. A pool of point-to-point /32s has no broadcast address,
//!   but 100.64.0.0 and 100.79.255.255 look like a network and a broadcast address to any
//!   host that also knows the prefix. /31 (RFC 3021) and /32 prefixes keep every address.
//! - `skip_dot0_dot255` (default on): every `x.y.z.0` and `x.y.z.255`. Some CPEs and
//!   old Windows stacks refuse such an address or treat it as a broadcast; the cost is
//!   2 addresses in 256 (0.8 %).
//! - `exclude`: ranges inside the pool kept for static users. They are never allocated, and
//!   [`Pools::reserve`] still takes them (tracked with the addresses outside every pool).
//!
//! Each pool is a bitmap with one bit per address of its ranges (1 = free), so a /12 costs
//! 128 KiB, plus a summary with one bit per bitmap word (1 = the word has a free address):
//! the search for a free address reads at most `size / 4096` summary words, and usually one.
//! Allocation is next-fit: it goes on from just after the address handed out last and wraps
//! around, so a released address is reused as late as possible (a subscriber's old address
//! does not go to the next subscriber while logs, ARP caches and abuse reports still name
//! the old one).
//!
//! [`Pools::reserve`] takes a specific address for a static user: inside a pool it is taken
//! out of that pool while in use (so the pool cannot hand it out twice); outside every pool
//! (or excluded from one) it is tracked in a set, so two static users cannot hold the same
//! address. Releasing an address that is not in use is an error, never a panic.
//!
//! Pools may not overlap each other, and ranges of one pool may not overlap: [`Pools::new`]
//! names both. A pool holds at most [`MAX_POOL_SIZE`] addresses (a /8: a 2 MiB bitmap).
//! Nothing here is clocked or random.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::net::Ipv4Addr;

/// Addresses per pool (a /8), so that a typo like `/1` cannot ask for a 256 MiB bitmap.
pub const MAX_POOL_SIZE: u64 = 1 << 24;
/// Pools per [`Pools`] ([`PoolId`] is a `u16`).
pub const MAX_POOLS: usize = u16::MAX as usize;

/// A run of addresses, as configured: a prefix, a first-last range or one address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PoolRange {
    first: u32,
    last: u32,
    /// `Some(len)` when written as a prefix; only prefixes have ends to skip.
    prefix_len: Option<u8>,
}

impl PoolRange {
    /// `addr/len`; host bits must be zero.
    pub fn prefix(addr: Ipv4Addr, len: u8) -> Result<PoolRange, String> {
        if len > 32 {
            return Err(format!("{addr}/{len}: prefix length {len} > 32"));
        }
        let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
        let a = u32::from(addr);
        if a & !mask != 0 {
            return Err(format!("{addr}/{len} has host bits set (the prefix is {}/{len})", Ipv4Addr::from(a & mask)));
        }
        Self::checked(PoolRange { first: a, last: a | !mask, prefix_len: Some(len) })
    }

    /// `first-last`, both included.
    pub fn range(first: Ipv4Addr, last: Ipv4Addr) -> Result<PoolRange, String> {
        if u32::from(first) > u32::from(last) {
            return Err(format!("{first}-{last} is empty ({first} comes after {last})"));
        }
        Self::checked(PoolRange { first: first.into(), last: last.into(), prefix_len: None })
    }

    /// `a.b.c.d/len`, `a.b.c.d-e.f.g.h` or `a.b.c.d`.
    pub fn parse(s: &str) -> Result<PoolRange, String> {
        let addr = |t: &str| -> Result<Ipv4Addr, String> {
            t.trim().parse::<Ipv4Addr>().map_err(|_| format!("{:?} is not an IPv4 address", t.trim()))
        };
        if let Some((a, l)) = s.split_once('/') {
            let len: u8 = l.trim().parse().map_err(|_| format!("{s:?}: {:?} is not a prefix length", l.trim()))?;
            Self::prefix(addr(a)?, len)
        } else if let Some((a, b)) = s.split_once('-') {
            Self::range(addr(a)?, addr(b)?)
        } else {
            let a = addr(s)?;
            Self::range(a, a)
        }
    }

    /// Subscribers get unicast addresses: not `0.0.0.0/8` (RFC 1122 §3.2.1.3 "this
    /// network"), not loopback `127.0.0.0/8`, not `224.0.0.0/3` (multicast, reserved,
    /// limited broadcast).
    fn checked(r: PoolRange) -> Result<PoolRange, String> {
        for (net, last, what) in [
            (0x0000_0000u32, 0x00ff_ffffu32, "0.0.0.0/8 (\"this network\")"),
            (0x7f00_0000, 0x7fff_ffff, "127.0.0.0/8 (loopback)"),
            (0xe000_0000, 0xffff_ffff, "224.0.0.0/3 (multicast, reserved, broadcast)"),
        ] {
            if r.first <= last && net <= r.last {
                return Err(format!("{r} reaches into {what}: subscribers need unicast addresses"));
            }
        }
        Ok(r)
    }

    pub fn first(&self) -> Ipv4Addr {
        self.first.into()
    }

    pub fn last(&self) -> Ipv4Addr {
        self.last.into()
    }

    /// Addresses in the range, skipped ones included.
    pub fn len(&self) -> u64 {
        u64::from(self.last - self.first) + 1
    }

    /// A range always holds at least one address.
    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn contains(&self, addr: Ipv4Addr) -> bool {
        (self.first..=self.last).contains(&u32::from(addr))
    }

    fn overlaps(&self, o: &PoolRange) -> bool {
        self.first <= o.last && o.first <= self.last
    }
}

impl fmt::Display for PoolRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.prefix_len {
            Some(len) => write!(f, "{}/{len}", Ipv4Addr::from(self.first)),
            None if self.first == self.last => write!(f, "{}", Ipv4Addr::from(self.first)),
            None => write!(f, "{}-{}", Ipv4Addr::from(self.first), Ipv4Addr::from(self.last)),
        }
    }
}

/// One pool as configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolConfig {
    pub name: String,
    pub ranges: Vec<PoolRange>,
    /// Ranges inside this pool's ranges that it never hands out (kept for static users).
    pub exclude: Vec<PoolRange>,
    /// Skip the first and last address of ranges given as prefixes of length ≤ 30.
    pub skip_prefix_ends: bool,
    /// Skip every `x.y.z.0` and `x.y.z.255`.
    pub skip_dot0_dot255: bool,
}

impl PoolConfig {
    /// A pool with the default skips (prefix ends, `.0` and `.255`) and no exclusions.
    pub fn new(name: &str, ranges: Vec<PoolRange>) -> PoolConfig {
        PoolConfig {
            name: name.to_string(),
            ranges,
            exclude: Vec::new(),
            skip_prefix_ends: true,
            skip_dot0_dot255: true,
        }
    }
}

/// A pool, by position in the configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PoolId(pub u16);

/// Counts for metrics. `used` counts addresses taken out of the pool (allocated or
/// reserved); `size` = `used` + `free`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolStats {
    pub name: String,
    pub size: u32,
    pub used: u32,
    pub free: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PoolError {
    /// A pool has an empty name, or a character other than letters, digits, `-`, `_`, `.`.
    BadName {
        name: String,
    },
    DuplicateName {
        name: String,
    },
    TooManyPools {
        count: usize,
    },
    NoRanges {
        pool: String,
    },
    TooLarge {
        pool: String,
        size: u64,
    },
    /// Every address of the pool is skipped or excluded.
    NoUsableAddress {
        pool: String,
    },
    /// Two ranges share addresses; `pool_a` and `pool_b` are equal when both are in one pool.
    Overlap {
        pool_a: String,
        range_a: PoolRange,
        pool_b: String,
        range_b: PoolRange,
    },
    ExcludeOutside {
        pool: String,
        range: PoolRange,
    },
    UnknownPool {
        name: String,
    },
    Exhausted {
        pool: String,
        size: u32,
    },
    /// Reserving an address that is already in use; `pool` is the pool it is in, if any.
    InUse {
        addr: Ipv4Addr,
        pool: Option<String>,
    },
    /// Releasing an address that is not in use (double free, or never allocated).
    NotInUse {
        addr: Ipv4Addr,
        pool: Option<String>,
    },
    /// Reserving an address no subscriber may have.
    NotUnicast {
        addr: Ipv4Addr,
    },
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inside = |p: &Option<String>| match p {
            Some(p) => format!(" (pool {p})"),
            None => " (outside every pool)".to_string(),
        };
        match self {
            PoolError::BadName { name } => {
                write!(f, "pool name {name:?}: use letters, digits, '-', '_' and '.' (at least one)")
            }
            PoolError::DuplicateName { name } => write!(f, "pool {name} is defined twice"),
            PoolError::TooManyPools { count } => write!(f, "{count} pools: at most {MAX_POOLS}"),
            PoolError::NoRanges { pool } => write!(f, "pool {pool} has no ranges"),
            PoolError::TooLarge { pool, size } => {
                write!(f, "pool {pool} has {size} addresses: at most {MAX_POOL_SIZE} (a /8) per pool; split it")
            }
            PoolError::NoUsableAddress { pool } => {
                write!(f, "pool {pool} has no usable address: every one is skipped or excluded")
            }
            PoolError::Overlap { pool_a, range_a, pool_b, range_b } if pool_a == pool_b => {
                write!(f, "pool {pool_a}: ranges {range_a} and {range_b} overlap")
            }
            PoolError::Overlap { pool_a, range_a, pool_b, range_b } => {
                write!(
                    f,
                    "pools {pool_a} and {pool_b} overlap: {range_a} (pool {pool_a}) and {range_b} (pool {pool_b})"
                )
            }
            PoolError::ExcludeOutside { pool, range } => {
                write!(f, "pool {pool}: exclude {range} is not inside the pool's ranges")
            }
            PoolError::UnknownPool { name } => write!(f, "no pool named {name}"),
            PoolError::Exhausted { pool, size } => {
                write!(f, "pool {pool} is exhausted: all {size} addresses are in use")
            }
            PoolError::InUse { addr, pool } => write!(f, "{addr}{} is already in use", inside(pool)),
            PoolError::NotInUse { addr, pool } => {
                write!(f, "{addr}{} is not in use: nothing to release", inside(pool))
            }
            PoolError::NotUnicast { addr } => {
                write!(f, "{addr} is not a unicast address a subscriber can have")
            }
        }
    }
}

impl std::error::Error for PoolError {}

/// A range of one pool, placed in that pool's bitmap.
#[derive(Clone, Copy, Debug)]
struct Segment {
    range: PoolRange,
    /// Bitmap index of `range.first`.
    base: u32,
    pool: u16,
}

struct Pool {
    name: String,
    /// In configuration order; `base` grows.
    segments: Vec<Segment>,
    /// Bit `i` set: bitmap index `i` can be handed out.
    free_bits: Vec<u64>,
    /// Bit `w` set: `free_bits[w] != 0`.
    summary: Vec<u64>,
    /// Indices in the bitmap (every address of the ranges).
    span: u32,
    skip_prefix_ends: bool,
    skip_dot0_dot255: bool,
    exclude: Vec<PoolRange>,
    /// Addresses the pool hands out (span minus skipped and excluded).
    size: u32,
    used: u32,
    /// Where the next search starts (next-fit).
    hint: u32,
}

impl Pool {
    /// Whether the pool hands out `addr` of its range `r` (it is not skipped or excluded).
    fn hands_out(&self, r: &PoolRange, addr: u32) -> bool {
        let ends = self.skip_prefix_ends && matches!(r.prefix_len, Some(l) if l <= 30);
        !((ends && (addr == r.first || addr == r.last))
            || (self.skip_dot0_dot255 && matches!(addr & 0xff, 0 | 255))
            || self.exclude.iter().any(|x| x.contains(addr.into())))
    }

    fn addr_at(&self, index: u32) -> u32 {
        let i = self.segments.partition_point(|s| s.base <= index) - 1;
        let s = &self.segments[i];
        s.range.first + (index - s.base)
    }

    fn is_free(&self, index: u32) -> bool {
        self.free_bits[(index / 64) as usize] & (1 << (index % 64)) != 0
    }

    fn take(&mut self, index: u32) {
        let w = (index / 64) as usize;
        self.free_bits[w] &= !(1u64 << (index % 64));
        if self.free_bits[w] == 0 {
            self.summary[w / 64] &= !(1u64 << (w % 64));
        }
    }

    fn put(&mut self, index: u32) {
        let w = (index / 64) as usize;
        self.free_bits[w] |= 1u64 << (index % 64);
        self.summary[w / 64] |= 1u64 << (w % 64);
    }

    /// The first bitmap word at or after `from` (wrapping) with a free address.
    fn free_word_from(&self, from: usize) -> Option<usize> {
        let sw = from / 64;
        if sw < self.summary.len() {
            let m = self.summary[sw] & (u64::MAX << (from % 64));
            if m != 0 {
                return Some(sw * 64 + m.trailing_zeros() as usize);
            }
            if let Some(s) = (sw + 1..self.summary.len()).find(|&s| self.summary[s] != 0) {
                return Some(s * 64 + self.summary[s].trailing_zeros() as usize);
            }
        }
        let s = (0..self.summary.len()).find(|&s| self.summary[s] != 0)?;
        Some(s * 64 + self.summary[s].trailing_zeros() as usize)
    }

    fn allocate(&mut self) -> Option<u32> {
        if self.used >= self.size {
            return None;
        }
        let hw = (self.hint / 64) as usize;
        let here = self.free_bits[hw] & (u64::MAX << (self.hint % 64));
        let index = if here != 0 {
            hw as u32 * 64 + here.trailing_zeros()
        } else {
            let w = self.free_word_from(hw + 1)?;
            w as u32 * 64 + self.free_bits[w].trailing_zeros()
        };
        self.take(index);
        self.used += 1;
        self.hint = if index + 1 >= self.span { 0 } else { index + 1 };
        Some(self.addr_at(index))
    }
}

/// The named pools and the static addresses in use.
pub struct Pools {
    pools: Vec<Pool>,
    by_name: HashMap<String, PoolId>,
    /// Every segment of every pool, sorted by first address (they do not overlap).
    segments: Vec<Segment>,
    /// Reserved addresses that no pool hands out: outside every pool, or skipped/excluded.
    outside: HashSet<u32>,
}

fn valid_name(n: &str) -> bool {
    !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

fn is_unicast(a: u32) -> bool {
    let top = a >> 24;
    top != 0 && top != 127 && a < 0xe000_0000
}

impl Pools {
    pub fn new(configs: &[PoolConfig]) -> Result<Pools, PoolError> {
        if configs.len() > MAX_POOLS {
            return Err(PoolError::TooManyPools { count: configs.len() });
        }
        let mut by_name = HashMap::new();
        let mut all: Vec<Segment> = Vec::new();
        for (i, c) in configs.iter().enumerate() {
            if !valid_name(&c.name) {
                return Err(PoolError::BadName { name: c.name.clone() });
            }
            if by_name.insert(c.name.clone(), PoolId(i as u16)).is_some() {
                return Err(PoolError::DuplicateName { name: c.name.clone() });
            }
            if c.ranges.is_empty() {
                return Err(PoolError::NoRanges { pool: c.name.clone() });
            }
            let span: u64 = c.ranges.iter().map(PoolRange::len).sum();
            if span > MAX_POOL_SIZE {
                return Err(PoolError::TooLarge { pool: c.name.clone(), size: span });
            }
            let mut base = 0u32;
            for r in &c.ranges {
                all.push(Segment { range: *r, base, pool: i as u16 });
                base += r.len() as u32;
            }
        }
        all.sort_by_key(|s| s.range.first);
        for w in all.windows(2) {
            if w[0].range.overlaps(&w[1].range) {
                return Err(PoolError::Overlap {
                    pool_a: configs[w[0].pool as usize].name.clone(),
                    range_a: w[0].range,
                    pool_b: configs[w[1].pool as usize].name.clone(),
                    range_b: w[1].range,
                });
            }
        }
        let mut pools = Vec::with_capacity(configs.len());
        for (i, c) in configs.iter().enumerate() {
            for x in &c.exclude {
                // The ranges do not overlap, so the exclusion is inside them when their
                // intersections with it add up to its length.
                let covered: u64 = c
                    .ranges
                    .iter()
                    .filter(|r| r.overlaps(x))
                    .map(|r| u64::from(r.last.min(x.last) - r.first.max(x.first)) + 1)
                    .sum();
                if covered != x.len() {
                    return Err(PoolError::ExcludeOutside { pool: c.name.clone(), range: *x });
                }
            }
            let mut segments: Vec<Segment> = all.iter().filter(|s| s.pool == i as u16).copied().collect();
            segments.sort_by_key(|s| s.base);
            let span: u32 = c.ranges.iter().map(|r| r.len() as u32).sum();
            let words = (span as usize).div_ceil(64);
            let mut pool = Pool {
                name: c.name.clone(),
                segments,
                free_bits: vec![0; words],
                summary: vec![0; words.div_ceil(64)],
                span,
                skip_prefix_ends: c.skip_prefix_ends,
                skip_dot0_dot255: c.skip_dot0_dot255,
                exclude: c.exclude.clone(),
                size: 0,
                used: 0,
                hint: 0,
            };
            for s in pool.segments.clone() {
                let r = s.range;
                for a in r.first..=r.last {
                    if pool.hands_out(&r, a) {
                        pool.put(s.base + (a - r.first));
                        pool.size += 1;
                    }
                }
            }
            if pool.size == 0 {
                return Err(PoolError::NoUsableAddress { pool: c.name.clone() });
            }
            pools.push(pool);
        }
        Ok(Pools { pools, by_name, segments: all, outside: HashSet::new() })
    }

    pub fn id(&self, name: &str) -> Option<PoolId> {
        self.by_name.get(name).copied()
    }

    /// The pool's name; `"?"` for an id from another `Pools`.
    pub fn name(&self, id: PoolId) -> &str {
        self.pools.get(id.0 as usize).map_or("?", |p| p.name.as_str())
    }

    /// Number of pools.
    pub fn len(&self) -> usize {
        self.pools.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pools.is_empty()
    }

    /// A free address of the pool.
    pub fn allocate(&mut self, id: PoolId) -> Result<Ipv4Addr, PoolError> {
        let Some(p) = self.pools.get_mut(id.0 as usize) else {
            return Err(PoolError::UnknownPool { name: format!("#{}", id.0) });
        };
        p.allocate().map(Ipv4Addr::from).ok_or_else(|| PoolError::Exhausted { pool: p.name.clone(), size: p.size })
    }

    /// A free address of the pool named `name`.
    pub fn allocate_from(&mut self, name: &str) -> Result<Ipv4Addr, PoolError> {
        let id = self.id(name).ok_or_else(|| PoolError::UnknownPool { name: name.to_string() })?;
        self.allocate(id)
    }

    /// Where `addr` lives: its pool, segment and bitmap index, if a pool's range holds it.
    fn locate(&self, addr: u32) -> Option<(usize, Segment, u32)> {
        let i = self.segments.partition_point(|s| s.range.first <= addr).checked_sub(1)?;
        let s = self.segments[i];
        (addr <= s.range.last).then_some((s.pool as usize, s, s.base + (addr - s.range.first)))
    }

    /// Takes `addr` for a static user. Returns the pool it was taken out of, or `None`
    /// when no pool hands it out (outside every pool, or skipped/excluded in its pool).
    pub fn reserve(&mut self, addr: Ipv4Addr) -> Result<Option<PoolId>, PoolError> {
        let a = u32::from(addr);
        if !is_unicast(a) {
            return Err(PoolError::NotUnicast { addr });
        }
        let located = self.locate(a);
        if let Some((p, seg, index)) = located {
            let pool = &mut self.pools[p];
            if pool.hands_out(&seg.range, a) {
                if !pool.is_free(index) {
                    return Err(PoolError::InUse { addr, pool: Some(pool.name.clone()) });
                }
                pool.take(index);
                pool.used += 1;
                return Ok(Some(PoolId(p as u16)));
            }
        }
        if !self.outside.insert(a) {
            return Err(PoolError::InUse { addr, pool: located.map(|(p, _, _)| self.pools[p].name.clone()) });
        }
        Ok(None)
    }

    /// Gives back an allocated or reserved address. Returns the pool it went back to
    /// (`None`: it was a static address no pool hands out).
    pub fn release(&mut self, addr: Ipv4Addr) -> Result<Option<PoolId>, PoolError> {
        let a = u32::from(addr);
        let located = self.locate(a);
        if let Some((p, seg, index)) = located {
            let pool = &mut self.pools[p];
            if pool.hands_out(&seg.range, a) {
                if pool.is_free(index) {
                    return Err(PoolError::NotInUse { addr, pool: Some(pool.name.clone()) });
                }
                pool.put(index);
                pool.used -= 1;
                return Ok(Some(PoolId(p as u16)));
            }
        }
        if !self.outside.remove(&a) {
            return Err(PoolError::NotInUse { addr, pool: located.map(|(p, _, _)| self.pools[p].name.clone()) });
        }
        Ok(None)
    }

    /// Whether `addr` is allocated or reserved.
    pub fn is_in_use(&self, addr: Ipv4Addr) -> bool {
        let a = u32::from(addr);
        if self.outside.contains(&a) {
            return true;
        }
        match self.locate(a) {
            Some((p, seg, index)) => {
                let pool = &self.pools[p];
                pool.hands_out(&seg.range, a) && !pool.is_free(index)
            }
            None => false,
        }
    }

    /// The pool whose ranges hold `addr` (skipped and excluded addresses included).
    pub fn pool_of(&self, addr: Ipv4Addr) -> Option<PoolId> {
        self.locate(addr.into()).map(|(p, _, _)| PoolId(p as u16))
    }

    /// Counts of one pool; `None` for an id from another `Pools`.
    pub fn stats_of(&self, id: PoolId) -> Option<PoolStats> {
        self.pools.get(id.0 as usize).map(|p| PoolStats {
            name: p.name.clone(),
            size: p.size,
            used: p.used,
            free: p.size - p.used,
        })
    }

    /// Counts of every pool, in configuration order.
    pub fn stats(&self) -> Vec<PoolStats> {
        (0..self.pools.len()).filter_map(|i| self.stats_of(PoolId(i as u16))).collect()
    }

    /// Reserved addresses that no pool hands out (static users outside the pools).
    pub fn outside_in_use(&self) -> usize {
        self.outside.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    fn range(s: &str) -> PoolRange {
        PoolRange::parse(s).unwrap()
    }

    fn plain(name: &str, ranges: &[&str]) -> PoolConfig {
        PoolConfig {
            skip_prefix_ends: false,
            skip_dot0_dot255: false,
            ..PoolConfig::new(name, ranges.iter().map(|r| range(r)).collect())
        }
    }

    #[test]
    fn a_whole_22_is_handed_out_once_each_without_skipped_addresses() {
        let mut pools = Pools::new(&[PoolConfig::new("lab", vec![range("10.1.0.0/22")])]).unwrap();
        let id = pools.id("lab").unwrap();
        // 1024 addresses, minus x.0 and x.255 of each of the four /24s (which include the
        // prefix's network and broadcast addresses).
        assert_eq!(pools.stats_of(id).unwrap(), PoolStats { name: "lab".into(), size: 1016, used: 0, free: 1016 });
        let mut seen = BTreeSet::new();
        for _ in 0..1016 {
            let a = pools.allocate(id).unwrap();
            assert!(range("10.1.0.0/22").contains(a), "{a}");
            assert!(!matches!(a.octets()[3], 0 | 255), "{a}");
            assert!(seen.insert(a), "{a} handed out twice");
            assert!(pools.is_in_use(a));
        }
        let expected: BTreeSet<Ipv4Addr> = (u32::from(ip("10.1.0.0"))..=u32::from(ip("10.1.3.255")))
            .filter(|a| !matches!(a & 0xff, 0 | 255))
            .map(Ipv4Addr::from)
            .collect();
        assert_eq!(seen, expected);
        assert_eq!(pools.stats()[0].free, 0);
        let e = pools.allocate(id).unwrap_err();
        assert_eq!(e, PoolError::Exhausted { pool: "lab".into(), size: 1016 });
        assert_eq!(e.to_string(), "pool lab is exhausted: all 1016 addresses are in use");
        assert_eq!(pools.allocate_from("lab").unwrap_err(), e);
    }

    #[test]
    fn skip_options() {
        // Only the prefix ends.
        let c = PoolConfig { skip_dot0_dot255: false, ..PoolConfig::new("p", vec![range("10.0.0.0/23")]) };
        let mut pools = Pools::new(&[c]).unwrap();
        assert_eq!(pools.stats()[0].size, 510);
        let all: Vec<_> = (0..510).map(|_| pools.allocate(PoolId(0)).unwrap()).collect();
        assert_eq!(all[0], ip("10.0.0.1"));
        assert!(all.contains(&ip("10.0.0.255")) && all.contains(&ip("10.0.1.0")));
        assert_eq!(*all.last().unwrap(), ip("10.0.1.254"));
        // Nothing skipped; /31 and /32 keep their addresses even with the default skips
        // except .0/.255.
        assert_eq!(Pools::new(&[plain("p", &["10.0.0.0/24"])]).unwrap().stats()[0].size, 256);
        let c = PoolConfig {
            skip_dot0_dot255: false,
            ..PoolConfig::new("p", vec![range("10.0.0.6/31"), range("10.0.0.9/32")])
        };
        assert_eq!(Pools::new(&[c]).unwrap().stats()[0].size, 3);
        // A range given as first-last has no prefix ends.
        let c = PoolConfig { skip_dot0_dot255: false, ..PoolConfig::new("p", vec![range("10.0.0.0-10.0.0.3")]) };
        assert_eq!(Pools::new(&[c]).unwrap().stats()[0].size, 4);
        // Everything skipped.
        let e = Pools::new(&[PoolConfig::new("p", vec![range("10.0.0.255-10.0.1.0")])]).err().unwrap();
        assert_eq!(e.to_string(), "pool p has no usable address: every one is skipped or excluded");
    }

    #[test]
    fn release_and_reuse_go_round_the_pool() {
        let mut pools = Pools::new(&[plain("p", &["10.0.0.1-10.0.0.4"])]).unwrap();
        let a: Vec<_> = (0..4).map(|_| pools.allocate(PoolId(0)).unwrap()).collect();
        assert_eq!(a, ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"].map(ip));
        assert_eq!(pools.release(ip("10.0.0.2")), Ok(Some(PoolId(0))));
        assert!(!pools.is_in_use(ip("10.0.0.2")));
        assert_eq!(pools.stats()[0].used, 3);
        assert_eq!(pools.allocate(PoolId(0)), Ok(ip("10.0.0.2")));
        // Next-fit: with 1 and 3 free and the last one handed out being 2, 3 comes first.
        pools.release(ip("10.0.0.1")).unwrap();
        pools.release(ip("10.0.0.3")).unwrap();
        assert_eq!(pools.allocate(PoolId(0)), Ok(ip("10.0.0.3")));
        assert_eq!(pools.allocate(PoolId(0)), Ok(ip("10.0.0.1")));
        // Double free and release of a never-allocated address are errors.
        pools.release(ip("10.0.0.4")).unwrap();
        let e = pools.release(ip("10.0.0.4")).unwrap_err();
        assert_eq!(e.to_string(), "10.0.0.4 (pool p) is not in use: nothing to release");
        let e = pools.release(ip("192.0.2.7")).unwrap_err();
        assert_eq!(e.to_string(), "192.0.2.7 (outside every pool) is not in use: nothing to release");
        assert_eq!(pools.stats()[0], PoolStats { name: "p".into(), size: 4, used: 3, free: 1 });
    }

    #[test]
    fn static_reservations_inside_and_outside_pools() {
        let mut c = PoolConfig::new("dyn", vec![range("10.0.0.0/24")]);
        c.exclude = vec![range("10.0.0.200-10.0.0.209")];
        let mut pools = Pools::new(&[c, PoolConfig::new("other", vec![range("10.9.0.0/24")])]).unwrap();
        let id = PoolId(0);
        assert_eq!(pools.stats_of(id).unwrap().size, 254 - 10);

        // Inside: taken out of the pool, so the pool never hands it out.
        assert_eq!(pools.reserve(ip("10.0.0.5")), Ok(Some(id)));
        assert_eq!(pools.stats_of(id).unwrap().used, 1);
        let e = pools.reserve(ip("10.0.0.5")).unwrap_err();
        assert_eq!(e.to_string(), "10.0.0.5 (pool dyn) is already in use");
        let handed: Vec<_> = (0..243).map(|_| pools.allocate(id).unwrap()).collect();
        assert!(!handed.contains(&ip("10.0.0.5")));
        assert!(handed.iter().all(|a| !(200..=209).contains(&a.octets()[3])));
        assert!(pools.allocate(id).is_err());
        // A dynamically allocated address cannot be reserved.
        assert_eq!(
            pools.reserve(ip("10.0.0.6")).unwrap_err(),
            PoolError::InUse { addr: ip("10.0.0.6"), pool: Some("dyn".into()) }
        );
        // Back in the pool after release.
        pools.release(ip("10.0.0.5")).unwrap();
        assert_eq!(pools.allocate(id), Ok(ip("10.0.0.5")));

        // Excluded addresses and addresses outside every pool are tracked, not pooled.
        assert_eq!(pools.reserve(ip("10.0.0.201")), Ok(None));
        assert_eq!(pools.pool_of(ip("10.0.0.201")), Some(id));
        assert_eq!(pools.reserve(ip("10.0.0.201")).unwrap_err().to_string(), "10.0.0.201 (pool dyn) is already in use");
        assert_eq!(pools.reserve(ip("192.0.2.9")), Ok(None));
        assert_eq!(pools.pool_of(ip("192.0.2.9")), None);
        assert!(pools.is_in_use(ip("192.0.2.9")));
        let e = pools.reserve(ip("192.0.2.9")).unwrap_err();
        assert_eq!(e.to_string(), "192.0.2.9 (outside every pool) is already in use");
        assert_eq!(pools.outside_in_use(), 2);
        assert_eq!(pools.stats_of(id).unwrap().used, 244);
        assert_eq!(pools.release(ip("192.0.2.9")), Ok(None));
        assert_eq!(pools.release(ip("10.0.0.201")), Ok(None));
        assert_eq!(pools.outside_in_use(), 0);
        assert!(pools.release(ip("192.0.2.9")).is_err());
        // Not a subscriber address.
        for a in ["0.0.0.0", "127.0.0.1", "224.0.0.1", "255.255.255.255"] {
            assert_eq!(pools.reserve(ip(a)), Err(PoolError::NotUnicast { addr: ip(a) }));
        }
        assert_eq!(pools.stats_of(PoolId(1)).unwrap().used, 0);
    }

    #[test]
    fn a_million_address_pool_hands_out_100k_distinct_addresses() {
        let mut pools = Pools::new(&[PoolConfig::new("lab", vec![range("100.64.0.0/12")])]).unwrap();
        let id = pools.id("lab").unwrap();
        assert_eq!(pools.stats_of(id).unwrap().size, 4096 * 254);
        // One bit per address: 1 Mi addresses are 16384 words (128 KiB).
        assert_eq!(pools.pools[0].free_bits.len(), 16384);
        let mut seen = HashSet::new();
        for _ in 0..100_000 {
            let a = pools.allocate(id).unwrap();
            assert!(range("100.64.0.0/12").contains(a) && !matches!(a.octets()[3], 0 | 255));
            assert!(seen.insert(a));
        }
        // Free every other one, allocate again: the pool goes on from where it was.
        let mut v: Vec<_> = seen.iter().copied().collect();
        v.sort();
        for a in v.iter().step_by(2) {
            pools.release(*a).unwrap();
        }
        assert_eq!(pools.stats_of(id).unwrap().used, 50_000);
        let next = pools.allocate(id).unwrap();
        assert!(next > *v.last().unwrap());
        assert_eq!(pools.stats_of(id).unwrap().used, 50_001);
    }

    #[test]
    fn overlaps_and_bad_pools_are_rejected_naming_both() {
        let e = Pools::new(&[plain("a", &["10.0.0.0/24"]), plain("b", &["10.0.0.128-10.0.1.5"])]).err().unwrap();
        assert_eq!(e.to_string(), "pools a and b overlap: 10.0.0.0/24 (pool a) and 10.0.0.128-10.0.1.5 (pool b)");
        let e = Pools::new(&[plain("a", &["10.0.1.0/24", "10.0.0.0/16"])]).err().unwrap();
        assert_eq!(e.to_string(), "pool a: ranges 10.0.0.0/16 and 10.0.1.0/24 overlap");
        let e = Pools::new(&[plain("a", &["10.0.0.1"]), plain("a", &["10.0.0.2"])]).err().unwrap();
        assert_eq!(e.to_string(), "pool a is defined twice");
        let e = Pools::new(&[plain("a b", &["10.0.0.1"])]).err().unwrap();
        assert!(matches!(e, PoolError::BadName { .. }));
        let e = Pools::new(&[plain("a", &[])]).err().unwrap();
        assert_eq!(e.to_string(), "pool a has no ranges");
        let e = Pools::new(&[plain("big", &["10.0.0.0/7"])]).err().unwrap();
        assert!(e.to_string().starts_with("pool big has 33554432 addresses: at most 16777216"), "{e}");
        let mut c = plain("a", &["10.0.0.0/24"]);
        c.exclude = vec![range("10.0.0.250-10.0.1.2")];
        assert_eq!(
            Pools::new(&[c]).err().unwrap().to_string(),
            "pool a: exclude 10.0.0.250-10.0.1.2 is not inside the pool's ranges"
        );
        // Adjacent ranges are fine.
        assert!(Pools::new(&[plain("a", &["10.0.0.0/24"]), plain("b", &["10.0.1.0/24"])]).is_ok());
    }

    #[test]
    fn range_syntax() {
        assert_eq!(range("100.64.0.0/12").to_string(), "100.64.0.0/12");
        assert_eq!(range("100.64.0.0/12").len(), 1 << 20);
        assert_eq!(range(" 10.0.0.1 - 10.0.0.9 ").to_string(), "10.0.0.1-10.0.0.9");
        assert_eq!(range("10.0.0.1").len(), 1);
        let err = |s: &str| PoolRange::parse(s).unwrap_err();
        assert_eq!(err("100.64.0.1/12"), "100.64.0.1/12 has host bits set (the prefix is 100.64.0.0/12)");
        assert_eq!(err("10.0.0.0/33"), "10.0.0.0/33: prefix length 33 > 32");
        assert_eq!(err("10.0.0.9-10.0.0.1"), "10.0.0.9-10.0.0.1 is empty (10.0.0.9 comes after 10.0.0.1)");
        assert_eq!(err("10.0.0.x"), "\"10.0.0.x\" is not an IPv4 address");
        assert_eq!(err("10.0.0.0/x"), "\"10.0.0.0/x\": \"x\" is not a prefix length");
        assert!(err("0.0.0.0/0").contains("0.0.0.0/8"));
        assert!(err("127.0.0.0/24").contains("loopback"));
        assert!(err("223.255.255.0-224.0.0.3").contains("multicast"));
    }

    #[derive(Clone, Debug)]
    enum Op {
        Alloc(u16),
        Release(u8),
        Reserve(u32),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0u16..3).prop_map(Op::Alloc),
            3 => any::<u8>().prop_map(Op::Release),
            // Addresses around and inside the pools below, excluded ones included.
            2 => (0u32..600).prop_map(|i| Op::Reserve(0x0a00_0000 + 200 + i)),
        ]
    }

    proptest! {
        #[test]
        fn never_twice_and_counts_stay_consistent(ops in proptest::collection::vec(op(), 1..400)) {
            let mut a = PoolConfig::new("a", vec![range("10.0.0.248/29"), range("10.0.1.0/28")]);
            a.exclude = vec![range("10.0.1.3-10.0.1.4")];
            let b = plain("b", &["10.0.1.100-10.0.1.140"]);
            let c = PoolConfig::new("c", vec![range("10.0.2.0/30")]);
            let mut pools = Pools::new(&[a, b, c]).unwrap();
            let sizes: Vec<u32> = pools.stats().iter().map(|s| s.size).collect();
            prop_assert_eq!(&sizes, &vec![6 + 14 - 2, 41, 2]);
            let mut held: Vec<Ipv4Addr> = Vec::new();
            let mut in_use: HashSet<Ipv4Addr> = HashSet::new();
            for op in ops {
                match op {
                    Op::Alloc(p) => match pools.allocate(PoolId(p)) {
                        Ok(x) => {
                            prop_assert!(in_use.insert(x), "{} handed out twice", x);
                            prop_assert_eq!(pools.pool_of(x), Some(PoolId(p)));
                            held.push(x);
                        }
                        Err(e) => {
                            prop_assert_eq!(pools.stats_of(PoolId(p)).unwrap().free, 0);
                            let exhausted = matches!(e, PoolError::Exhausted { .. });
                            prop_assert!(exhausted);
                        }
                    },
                    Op::Release(i) if !held.is_empty() => {
                        let x = held.swap_remove(i as usize % held.len());
                        prop_assert!(pools.release(x).is_ok());
                        in_use.remove(&x);
                        prop_assert!(pools.release(x).is_err());
                    }
                    Op::Release(_) => {}
                    Op::Reserve(x) => {
                        let x = Ipv4Addr::from(x);
                        match pools.reserve(x) {
                            Ok(_) => {
                                prop_assert!(in_use.insert(x));
                                held.push(x);
                            }
                            Err(e) => {
                                prop_assert!(in_use.contains(&x), "{}", e);
                            }
                        }
                    }
                }
                let stats = pools.stats();
                let pooled: Vec<u32> = (0..3)
                    .map(|p| in_use.iter().filter(|x| pools.pool_of(**x) == Some(PoolId(p)) && !pools.outside.contains(&u32::from(**x))).count() as u32)
                    .collect();
                for (p, s) in stats.iter().enumerate() {
                    prop_assert_eq!(s.used, pooled[p]);
                    prop_assert_eq!(s.used + s.free, s.size);
                }
                let total: u32 = stats.iter().map(|s| s.used).sum();
                prop_assert_eq!(total as usize + pools.outside_in_use(), in_use.len());
            }
            for x in &in_use {
                prop_assert!(pools.is_in_use(*x));
            }
            for x in held {
                prop_assert!(pools.release(x).is_ok());
            }
            prop_assert!(pools.stats().iter().all(|s| s.used == 0));
            prop_assert_eq!(pools.outside_in_use(), 0);
        }
    }
}
