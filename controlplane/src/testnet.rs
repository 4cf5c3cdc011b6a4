//! A virtual network for tests: two ends exchanging messages in virtual time through a
//! link that delays, loses, duplicates and reorders, from a seed, so that every run of a
//! test replays exactly. Sans-IO machines are tested against each other over it (quinn-proto
//! `tests/util.rs` and smoltcp's socket tests work the same way).
//!
//! It carries any message type: PPP `(protocol, payload)` pairs between two links, whole
//! Ethernet frames between a subscriber and the access concentrator, with the far end
//! reading [`VirtualLink::poll`] in delivery order.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// One end of the link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum End {
    A,
    B,
}

impl End {
    pub fn other(self) -> End {
        match self {
            End::A => End::B,
            End::B => End::A,
        }
    }
}

/// What the link does to messages. Probabilities are in parts per million.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conditions {
    /// Every message takes at least this long.
    pub delay_ms: u64,
    /// Plus up to this much more, drawn per message: messages sent close together overtake
    /// each other (reordering).
    pub jitter_ms: u64,
    pub loss_ppm: u32,
    pub duplicate_ppm: u32,
}

impl Conditions {
    /// A perfect link with a 1 ms delay.
    pub const PERFECT: Conditions = Conditions { delay_ms: 1, jitter_ms: 0, loss_ppm: 0, duplicate_ppm: 0 };

    /// `loss` per cent lost, `dup` per cent duplicated, up to `jitter_ms` reordering.
    pub fn lossy(loss: u32, dup: u32, jitter_ms: u64) -> Conditions {
        Conditions { delay_ms: 1, jitter_ms, loss_ppm: loss * 10_000, duplicate_ppm: dup * 10_000 }
    }
}

/// Counts of what the link did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkStats {
    pub sent: u64,
    pub lost: u64,
    pub duplicated: u64,
    pub delivered: u64,
}

/// A two-ended link in virtual time (milliseconds).
pub struct VirtualLink<T> {
    conditions: [Conditions; 2],
    /// (deliver at, sequence) → (to, message).
    queue: BinaryHeap<Reverse<(u64, u64, End, Slot<T>)>>,
    seq: u64,
    rng: u64,
    down: bool,
    pub stats: LinkStats,
}

/// A message in the queue; ordered by nothing (the key before it orders the heap).
struct Slot<T>(T);

impl<T> PartialEq for Slot<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl<T> Eq for Slot<T> {}
impl<T> PartialOrd for Slot<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Slot<T> {
    fn cmp(&self, _: &Self) -> std::cmp::Ordering {
        std::cmp::Ordering::Equal
    }
}

impl<T: Clone> VirtualLink<T> {
    /// The same conditions both ways.
    pub fn new(conditions: Conditions, seed: u64) -> Self {
        Self::asymmetric(conditions, conditions, seed)
    }

    /// `to_b` for messages from A to B, `to_a` the other way.
    pub fn asymmetric(to_b: Conditions, to_a: Conditions, seed: u64) -> Self {
        VirtualLink {
            conditions: [to_a, to_b],
            queue: BinaryHeap::new(),
            seq: 0,
            rng: seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1,
            down: false,
            stats: LinkStats::default(),
        }
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64*: the test's randomness, from its seed.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn chance(&mut self, ppm: u32) -> bool {
        ppm > 0 && (self.next_random() % 1_000_000) < ppm as u64
    }

    /// Cut the link: everything in flight and everything sent from now on is lost.
    pub fn cut(&mut self) {
        self.down = true;
        self.stats.lost += self.queue.len() as u64;
        self.queue.clear();
    }

    /// `message` sent at `now` from `from` to the other end.
    pub fn send(&mut self, now: u64, from: End, message: T) {
        self.stats.sent += 1;
        let to = from.other();
        let c = self.conditions[to as usize];
        if self.down || self.chance(c.loss_ppm) {
            self.stats.lost += 1;
            return;
        }
        let copies = if self.chance(c.duplicate_ppm) {
            self.stats.duplicated += 1;
            2
        } else {
            1
        };
        for _ in 0..copies {
            let jitter = if c.jitter_ms > 0 { self.next_random() % (c.jitter_ms + 1) } else { 0 };
            self.seq += 1;
            let at = now + c.delay_ms + jitter;
            self.queue.push(Reverse((at, self.seq, to, Slot(message.clone()))));
        }
    }

    /// When the next message arrives.
    pub fn next_delivery(&self) -> Option<u64> {
        self.queue.peek().map(|Reverse((at, ..))| *at)
    }

    /// The next message due at `now`: (the end it arrives at, the message).
    pub fn poll(&mut self, now: u64) -> Option<(End, T)> {
        match self.queue.peek() {
            Some(Reverse((at, ..))) if *at <= now => {}
            _ => return None,
        }
        let Reverse((_, _, to, Slot(m))) = self.queue.pop()?;
        self.stats.delivered += 1;
        Some((to, m))
    }

    pub fn in_flight(&self) -> usize {
        self.queue.len()
    }
}

/// The earliest of some deadlines.
pub fn earliest(deadlines: impl IntoIterator<Item = Option<u64>>) -> Option<u64> {
    deadlines.into_iter().flatten().min()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_link_delivers_in_order() {
        let mut l = VirtualLink::new(Conditions::PERFECT, 1);
        for i in 0..10u32 {
            l.send(0, End::A, i);
        }
        let got: Vec<u32> = std::iter::from_fn(|| l.poll(1).map(|(e, m)| {
            assert_eq!(e, End::B);
            m
        }))
        .collect();
        assert_eq!(got, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn lossy_link_loses_duplicates_and_reorders_about_as_asked() {
        let mut l = VirtualLink::new(Conditions::lossy(10, 5, 20), 7);
        for i in 0..10_000u32 {
            l.send(i as u64, End::B, i);
        }
        let mut got = Vec::new();
        while let Some(t) = l.next_delivery() {
            while let Some((e, m)) = l.poll(t) {
                assert_eq!(e, End::A);
                got.push(m);
            }
        }
        assert!((800..1200).contains(&l.stats.lost), "{:?}", l.stats);
        assert!((300..700).contains(&l.stats.duplicated), "{:?}", l.stats);
        assert!(got.windows(2).any(|w| w[0] > w[1]), "no reordering");
        assert_eq!(got.len() as u64, l.stats.delivered);
    }
}
