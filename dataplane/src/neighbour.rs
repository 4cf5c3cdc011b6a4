//! Neighbour table: (port, IPv4 address) → MAC, for hosts on connected prefixes.
//!
//! Open addressing with linear probing over a fixed array, sized at start-up, so
//! readers never follow a pointer and the writer never reallocates.
//!
//! Update protocol (one writer, the control core; many readers, the workers):
//! - insert: the value word is stored first, then the key word with Release; a reader
//!   that sees the key (Acquire) sees the value that went with it.
//! - update: one Release store of the value word (MAC + state in 64 bits: no tearing).
//! - delete: the value is cleared, then the key becomes a tombstone. A tombstone slot is
//!   reused for another key only after a QSBR grace period, so a reader that matched the
//!   old key can never read the new key's value. Readers also re-check the key after
//!   reading the value, which makes a concurrent delete look like a miss.

use core::sync::atomic::{AtomicU64, Ordering};

use crate::adjacency::{pack_mac, MAC_VALID};
use crate::rcu::{Deferred, Qsbr};

const EMPTY: u64 = 0;
const TOMBSTONE: u64 = u64::MAX;

/// Value word: MAC in the low 48 bits, `MAC_VALID` when resolved; `INCOMPLETE` while
/// the control core is resolving (workers then drop instead of punting again).
pub const INCOMPLETE: u64 = 1 << 62;

#[inline]
fn key_of(port: u16, ip: u32) -> u64 {
    ((port as u64 + 1) << 32) | ip as u64
}

#[inline]
fn hash(key: u64) -> u64 {
    // Fibonacci hashing: a multiply and the high bits.
    key.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// What a reader finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    Resolved([u8; 6]),
    /// The control core is resolving it.
    Incomplete,
    Miss,
}

#[repr(align(16))]
struct Slot {
    key: AtomicU64,
    value: AtomicU64,
}

pub struct NeighbourTable {
    slots: Box<[Slot]>,
    mask: u64,
    shift: u32,
}

impl NeighbourTable {
    /// Room for `max_entries` neighbours (the array is twice that, rounded to a power of two).
    pub fn new(max_entries: usize) -> Self {
        let cap = (max_entries.max(8) * 2).next_power_of_two();
        NeighbourTable {
            slots: (0..cap).map(|_| Slot { key: AtomicU64::new(EMPTY), value: AtomicU64::new(0) }).collect(),
            mask: cap as u64 - 1,
            shift: 64 - cap.trailing_zeros(),
        }
    }

    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    #[inline]
    fn home(&self, key: u64) -> u64 {
        hash(key) >> self.shift
    }

    /// Reader: look up a neighbour.
    #[inline]
    pub fn lookup(&self, port: u16, ip: u32) -> Lookup {
        let key = key_of(port, ip);
        let mut i = self.home(key);
        for _ in 0..self.slots.len() {
            let s = &self.slots[i as usize];
            let k = s.key.load(Ordering::Acquire);
            if k == EMPTY {
                return Lookup::Miss;
            }
            if k == key {
                let v = s.value.load(Ordering::Acquire);
                if s.key.load(Ordering::Acquire) != key {
                    return Lookup::Miss;
                }
                return if v & MAC_VALID != 0 {
                    Lookup::Resolved(crate::adjacency::unpack_mac(v))
                } else if v & INCOMPLETE != 0 {
                    Lookup::Incomplete
                } else {
                    Lookup::Miss
                };
            }
            i = (i + 1) & self.mask;
        }
        Lookup::Miss
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NeighbourError {
    /// More neighbours than the configured maximum.
    Full,
}

impl core::fmt::Display for NeighbourError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            NeighbourError::Full => f.write_str("neighbour table full (raise dataplane.neighbours_max)"),
        }
    }
}

/// The writer side, owned by the control core.
pub struct NeighbourWriter {
    table: std::sync::Arc<NeighbourTable>,
    /// Tombstones that readers may still be looking at.
    deferred: Deferred<usize>,
    /// Slots that were tombstones and are past their grace period.
    reusable: Vec<bool>,
    live: usize,
    max_entries: usize,
    qsbr: std::sync::Arc<Qsbr>,
}

impl NeighbourWriter {
    pub fn new(max_entries: usize, qsbr: std::sync::Arc<Qsbr>) -> Self {
        let table = std::sync::Arc::new(NeighbourTable::new(max_entries));
        let cap = table.capacity();
        NeighbourWriter { table, deferred: Deferred::new(), reusable: vec![false; cap], live: 0, max_entries, qsbr }
    }

    pub fn table(&self) -> std::sync::Arc<NeighbourTable> {
        self.table.clone()
    }

    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    fn find(&self, key: u64) -> Option<usize> {
        let t = &self.table;
        let mut i = t.home(key);
        for _ in 0..t.slots.len() {
            let k = t.slots[i as usize].key.load(Ordering::Relaxed);
            if k == EMPTY {
                return None;
            }
            if k == key {
                return Some(i as usize);
            }
            i = (i + 1) & t.mask;
        }
        None
    }

    fn store(&mut self, port: u16, ip: u32, value: u64) -> Result<(), NeighbourError> {
        let key = key_of(port, ip);
        if let Some(i) = self.find(key) {
            self.table.slots[i].value.store(value, Ordering::Release);
            return Ok(());
        }
        if self.live >= self.max_entries {
            self.maintain();
            if self.live >= self.max_entries {
                return Err(NeighbourError::Full);
            }
        }
        let t = self.table.clone();
        let mut i = t.home(key);
        for _ in 0..t.slots.len() {
            let s = &t.slots[i as usize];
            let k = s.key.load(Ordering::Relaxed);
            if k == EMPTY || (k == TOMBSTONE && self.reusable[i as usize]) {
                self.reusable[i as usize] = false;
                s.value.store(value, Ordering::Relaxed);
                s.key.store(key, Ordering::Release);
                self.live += 1;
                return Ok(());
            }
            i = (i + 1) & t.mask;
        }
        Err(NeighbourError::Full)
    }

    /// Publish a resolved neighbour (insert or update).
    pub fn set(&mut self, port: u16, ip: u32, mac: [u8; 6]) -> Result<(), NeighbourError> {
        self.store(port, ip, pack_mac(mac))
    }

    /// Mark a neighbour as being resolved.
    pub fn set_incomplete(&mut self, port: u16, ip: u32) -> Result<(), NeighbourError> {
        self.store(port, ip, INCOMPLETE)
    }

    /// Remove a neighbour; true if it was there.
    pub fn remove(&mut self, port: u16, ip: u32) -> bool {
        let Some(i) = self.find(key_of(port, ip)) else { return false };
        let s = &self.table.slots[i];
        s.value.store(0, Ordering::Release);
        s.key.store(TOMBSTONE, Ordering::Release);
        self.live -= 1;
        let token = self.qsbr.start();
        self.deferred.defer(token, i);
        true
    }

    /// Make tombstones past their grace period reusable.
    pub fn maintain(&mut self) {
        for i in self.deferred.reclaim(&self.qsbr) {
            self.reusable[i] = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_lookup_update_remove() {
        let q = Qsbr::new(4);
        let mut w = NeighbourWriter::new(16, q);
        let t = w.table();
        assert_eq!(t.lookup(1, 0x0a000001), Lookup::Miss);
        w.set_incomplete(1, 0x0a000001).unwrap();
        assert_eq!(t.lookup(1, 0x0a000001), Lookup::Incomplete);
        w.set(1, 0x0a000001, [2, 0, 0, 0, 0, 1]).unwrap();
        assert_eq!(t.lookup(1, 0x0a000001), Lookup::Resolved([2, 0, 0, 0, 0, 1]));
        // Same address on another port is another neighbour.
        assert_eq!(t.lookup(2, 0x0a000001), Lookup::Miss);
        assert!(w.remove(1, 0x0a000001));
        assert!(!w.remove(1, 0x0a000001));
        assert_eq!(t.lookup(1, 0x0a000001), Lookup::Miss);
        assert_eq!(w.len(), 0);
    }

    #[test]
    fn full_table_and_tombstone_reuse() {
        let q = Qsbr::new(4);
        let mut w = NeighbourWriter::new(8, q);
        let t = w.table();
        for ip in 0..8 {
            w.set(0, ip, [0, 0, 0, 0, 0, ip as u8]).unwrap();
        }
        assert_eq!(w.set(0, 100, [0; 6]), Err(NeighbourError::Full));
        for ip in 0..8 {
            assert_eq!(t.lookup(0, ip), Lookup::Resolved([0, 0, 0, 0, 0, ip as u8]));
        }
        // Remove and insert others many times: tombstones must be recycled (no readers
        // registered, so every grace period passes at once).
        for round in 0..100u32 {
            for ip in 0..8 {
                assert!(w.remove(0, ip + round * 8));
            }
            w.maintain();
            for ip in 0..8 {
                w.set(0, ip + (round + 1) * 8, [1; 6]).unwrap();
            }
        }
        assert_eq!(w.len(), 8);
        assert_eq!(t.lookup(0, 800), Lookup::Resolved([1; 6]));
        assert_eq!(t.lookup(0, 0), Lookup::Miss);
    }
}
