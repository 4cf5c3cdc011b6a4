//! Adjacencies: what to do with a packet once the FIB has matched its destination.
//!
//! The FIB maps a prefix to an adjacency index; the adjacency says how to leave:
//! deliver locally, resolve the destination itself on a connected port (glean), send
//! to a next hop, or drop. A next-hop adjacency caches its neighbour's MAC so the
//! common case is one FIB lookup and one adjacency load per packet.
//!
//! Update protocol (one writer, the control core; many readers, the workers):
//! - a slot's `kind` word (kind, port, next hop) is written while no FIB entry points at
//!   the slot, then published by the FIB insert that makes it reachable (Release in the
//!   FIB). A slot is freed only after the FIB entries pointing at it are gone *and* a
//!   QSBR grace period has passed, so a reader never sees a slot change kind under it.
//! - the cached MAC is one 64-bit word (48-bit MAC + valid bit), stored with Release
//!   whenever the neighbour changes, loaded with Acquire: a reader sees the old MAC or
//!   the new one, never half of each.

use core::sync::atomic::{AtomicU64, Ordering};

/// How a packet leaves once its destination matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Adjacency {
    /// Addressed to dpvpn itself: the exception path to the kernel.
    Local,
    /// A connected prefix on `port`: the destination is its own next hop.
    Glean { port: u16 },
    /// Through the neighbour `next_hop` on `port`.
    NextHop { port: u16, next_hop: u32 },
    /// Silently discarded (a blackhole route).
    Blackhole,
}

const KIND_NONE: u64 = 0;
const KIND_LOCAL: u64 = 1;
const KIND_GLEAN: u64 = 2;
const KIND_NEXTHOP: u64 = 3;
const KIND_BLACKHOLE: u64 = 4;

impl Adjacency {
    #[inline]
    fn encode(self) -> u64 {
        match self {
            Adjacency::Local => KIND_LOCAL,
            Adjacency::Glean { port } => KIND_GLEAN | (port as u64) << 8,
            Adjacency::NextHop { port, next_hop } => {
                KIND_NEXTHOP | (port as u64) << 8 | (next_hop as u64) << 24
            }
            Adjacency::Blackhole => KIND_BLACKHOLE,
        }
    }

    #[inline]
    fn decode(w: u64) -> Option<Adjacency> {
        let port = (w >> 8) as u16;
        match w & 0xff {
            KIND_LOCAL => Some(Adjacency::Local),
            KIND_GLEAN => Some(Adjacency::Glean { port }),
            KIND_NEXTHOP => Some(Adjacency::NextHop { port, next_hop: (w >> 24) as u32 }),
            KIND_BLACKHOLE => Some(Adjacency::Blackhole),
            _ => None,
        }
    }
}

/// A MAC address packed in the low 48 bits, plus a valid bit.
pub const MAC_VALID: u64 = 1 << 63;

#[inline]
pub fn pack_mac(mac: [u8; 6]) -> u64 {
    let mut w = [0u8; 8];
    w[..6].copy_from_slice(&mac);
    u64::from_le_bytes(w) | MAC_VALID
}

#[inline]
pub fn unpack_mac(w: u64) -> [u8; 6] {
    let b = w.to_le_bytes();
    [b[0], b[1], b[2], b[3], b[4], b[5]]
}

#[repr(align(16))]
struct Slot {
    kind: AtomicU64,
    mac: AtomicU64,
}

/// Fixed-capacity adjacency array shared by all workers.
pub struct AdjacencyTable {
    slots: Box<[Slot]>,
}

impl AdjacencyTable {
    pub fn new(capacity: usize) -> Self {
        AdjacencyTable {
            slots: (0..capacity)
                .map(|_| Slot { kind: AtomicU64::new(KIND_NONE), mac: AtomicU64::new(0) })
                .collect(),
        }
    }

    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Reader: the adjacency at `index` and its cached MAC (valid bit set when resolved).
    #[inline]
    pub fn get(&self, index: u32) -> Option<(Adjacency, u64)> {
        let s = self.slots.get(index as usize)?;
        let kind = Adjacency::decode(s.kind.load(Ordering::Acquire))?;
        Some((kind, s.mac.load(Ordering::Acquire)))
    }

    /// Writer only: fill a free slot before any FIB entry points at it.
    /// The adjacency at `index` when it is a next hop whose MAC is known — the common
    /// case of a forwarded packet — as (port, MAC), read without decoding the others.
    #[inline(always)]
    pub fn resolved_next_hop(&self, index: u32) -> Option<(u16, [u8; 6])> {
        let s = self.slots.get(index as usize)?;
        let kind = s.kind.load(Ordering::Acquire);
        let mac = s.mac.load(Ordering::Acquire);
        (kind & 0xff == KIND_NEXTHOP && mac & MAC_VALID != 0).then(|| ((kind >> 8) as u16, unpack_mac(mac)))
    }

    pub fn set(&self, index: u32, adj: Adjacency) {
        let s = &self.slots[index as usize];
        s.mac.store(0, Ordering::Relaxed);
        s.kind.store(adj.encode(), Ordering::Release);
    }

    /// Writer only: clear a slot that nothing points at any more (after a grace period).
    pub fn clear(&self, index: u32) {
        let s = &self.slots[index as usize];
        s.kind.store(KIND_NONE, Ordering::Release);
        s.mac.store(0, Ordering::Release);
    }

    /// Writer only: publish (or withdraw, with `None`) the next hop's MAC.
    pub fn set_mac(&self, index: u32, mac: Option<[u8; 6]>) {
        let w = mac.map(pack_mac).unwrap_or(0);
        self.slots[index as usize].mac.store(w, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode() {
        for a in [
            Adjacency::Local,
            Adjacency::Blackhole,
            Adjacency::Glean { port: 31 },
            Adjacency::NextHop { port: 65535, next_hop: 0xc633_6402 },
        ] {
            assert_eq!(Adjacency::decode(a.encode()), Some(a));
        }
        assert_eq!(Adjacency::decode(0), None);
    }

    #[test]
    fn mac_cache() {
        let t = AdjacencyTable::new(4);
        assert!(t.get(0).is_none());
        t.set(1, Adjacency::NextHop { port: 2, next_hop: 7 });
        let (a, m) = t.get(1).unwrap();
        assert_eq!(a, Adjacency::NextHop { port: 2, next_hop: 7 });
        assert_eq!(m & MAC_VALID, 0);
        assert_eq!(t.resolved_next_hop(1), None, "no MAC yet");
        t.set_mac(1, Some([1, 2, 3, 4, 5, 6]));
        let (_, m) = t.get(1).unwrap();
        assert_ne!(m & MAC_VALID, 0);
        assert_eq!(unpack_mac(m), [1, 2, 3, 4, 5, 6]);
        assert_eq!(t.resolved_next_hop(1), Some((2, [1, 2, 3, 4, 5, 6])));
        t.set(3, Adjacency::Glean { port: 2 });
        t.set_mac(3, Some([1, 2, 3, 4, 5, 6]));
        assert_eq!(t.resolved_next_hop(3), None, "only next hops");
        assert!(t.get(99).is_none());
    }
}
