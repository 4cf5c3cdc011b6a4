//! Quiescent-state-based reclamation (QSBR), for tables with one writer and lock-free
//! readers.
//!
//! Workers never hold a reference into a shared table across loop iterations. So when
//! a worker starts an iteration it is *quiescent*: it cannot still be looking at
//! anything it found before. The writer unpublishes an object (a FIB group, an
//! adjacency, a neighbour slot), then waits until every online reader has been
//! quiescent once since; after that nobody can reach the object and it may be reused.
//!
//! Memory ordering: the writer unpublishes with Release stores (in the table), then
//! `start` bumps the global epoch (SeqCst). A reader's `quiescent` loads the epoch and
//! stores it into its own slot with Release; the writer's `check` loads every slot
//! with Acquire. A reader that stored epoch ≥ token began that loop iteration after
//! the bump, hence after the unpublish, so its later lookups cannot find the object;
//! everything it read before the store is finished (program order + Release).
//!
//! An offline reader (idle or gone) holds no grace period; it must call `online` (which
//! also reports a quiescent state) before touching tables again.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

const OFFLINE: u64 = u64::MAX;

#[repr(align(64))]
struct Slot {
    epoch: AtomicU64,
    used: AtomicBool,
}

pub struct Qsbr {
    epoch: AtomicU64,
    slots: Box<[Slot]>,
    registered: AtomicUsize,
}

impl Qsbr {
    pub fn new(max_readers: usize) -> Arc<Qsbr> {
        Arc::new(Qsbr {
            epoch: AtomicU64::new(1),
            slots: (0..max_readers.max(1))
                .map(|_| Slot { epoch: AtomicU64::new(OFFLINE), used: AtomicBool::new(false) })
                .collect(),
            registered: AtomicUsize::new(0),
        })
    }

    /// A reader handle for one worker thread, online from the start.
    ///
    /// Panics if more than `max_readers` handles are alive: the slot count is sized at
    /// start-up from the worker count, so this is a programming error.
    pub fn register(self: &Arc<Self>) -> ReaderHandle {
        for (i, s) in self.slots.iter().enumerate() {
            if s.used.compare_exchange(false, true, Ordering::AcqRel, Ordering::Relaxed).is_ok() {
                s.epoch.store(self.epoch.load(Ordering::SeqCst), Ordering::SeqCst);
                self.registered.fetch_add(1, Ordering::Relaxed);
                return ReaderHandle { qsbr: self.clone(), slot: i };
            }
        }
        panic!("QSBR: more than {} readers registered", self.slots.len());
    }

    /// Writer: begin a grace period for what was unpublished before this call.
    pub fn start(&self) -> u64 {
        self.epoch.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Writer: has every online reader been quiescent since `start` returned `token`?
    pub fn check(&self, token: u64) -> bool {
        self.slots.iter().all(|s| {
            let e = s.epoch.load(Ordering::Acquire);
            e == OFFLINE || e >= token
        })
    }

    /// Writer: wait for a full grace period.
    pub fn synchronize(&self) {
        let t = self.start();
        while !self.check(t) {
            std::thread::yield_now();
        }
    }

    pub fn readers(&self) -> usize {
        self.registered.load(Ordering::Relaxed)
    }
}

/// One reader's registration. Not `Clone`: one per worker.
pub struct ReaderHandle {
    qsbr: Arc<Qsbr>,
    slot: usize,
}

impl ReaderHandle {
    /// Report a quiescent state: call once per loop iteration, holding no table reference.
    #[inline]
    pub fn quiescent(&self) {
        let e = self.qsbr.epoch.load(Ordering::Acquire);
        self.qsbr.slots[self.slot].epoch.store(e, Ordering::Release);
    }

    /// Stop holding grace periods (idle, about to sleep or exit).
    pub fn offline(&self) {
        self.qsbr.slots[self.slot].epoch.store(OFFLINE, Ordering::Release);
    }

    /// Come back; also a quiescent state.
    pub fn online(&self) {
        let s = &self.qsbr.slots[self.slot];
        s.epoch.store(self.qsbr.epoch.load(Ordering::SeqCst), Ordering::SeqCst);
    }
}

impl Drop for ReaderHandle {
    fn drop(&mut self) {
        let s = &self.qsbr.slots[self.slot];
        s.epoch.store(OFFLINE, Ordering::Release);
        s.used.store(false, Ordering::Release);
        self.qsbr.registered.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Items unpublished but perhaps still seen by readers, each with its grace-period token.
pub struct Deferred<T> {
    items: std::collections::VecDeque<(u64, T)>,
}

impl<T> Default for Deferred<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Deferred<T> {
    pub fn new() -> Self {
        Deferred { items: std::collections::VecDeque::new() }
    }

    pub fn defer(&mut self, token: u64, item: T) {
        self.items.push_back((token, item));
    }

    /// Items whose grace period has passed (tokens are increasing, so oldest first).
    pub fn reclaim(&mut self, qsbr: &Qsbr) -> Vec<T> {
        let mut out = Vec::new();
        while let Some(&(t, _)) = self.items.front() {
            if !qsbr.check(t) {
                break;
            }
            out.push(self.items.pop_front().expect("front exists").1);
        }
        out
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grace_period_waits_for_online_readers_only() {
        let q = Qsbr::new(2);
        let a = q.register();
        let b = q.register();
        let t = q.start();
        assert!(!q.check(t));
        a.quiescent();
        assert!(!q.check(t));
        b.offline();
        assert!(q.check(t));
        b.online();
        let t2 = q.start();
        assert!(!q.check(t2));
        a.quiescent();
        b.quiescent();
        assert!(q.check(t2));
    }

    #[test]
    fn deferred_items_come_back_after_the_grace_period() {
        let q = Qsbr::new(1);
        let r = q.register();
        let mut d = Deferred::new();
        d.defer(q.start(), 1);
        d.defer(q.start(), 2);
        assert!(d.reclaim(&q).is_empty());
        r.quiescent();
        assert_eq!(d.reclaim(&q), vec![1, 2]);
        drop(r);
        d.defer(q.start(), 3);
        assert_eq!(d.reclaim(&q), vec![3], "no readers: immediate");
    }

    #[test]
    fn slots_are_reused_after_drop() {
        let q = Qsbr::new(1);
        let r = q.register();
        drop(r);
        let _r = q.register();
        assert_eq!(q.readers(), 1);
    }

    #[test]
    fn synchronize_returns_once_a_reader_thread_passes_a_quiescent_point() {
        let q = Qsbr::new(1);
        let r = q.register();
        let stop = Arc::new(AtomicBool::new(false));
        let s2 = stop.clone();
        let h = std::thread::spawn(move || {
            while !s2.load(Ordering::Relaxed) {
                r.quiescent();
                std::hint::spin_loop();
            }
        });
        for _ in 0..100 {
            q.synchronize();
        }
        stop.store(true, Ordering::Relaxed);
        h.join().unwrap();
    }
}
