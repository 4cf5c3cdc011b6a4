//! rte_ring of mbufs: the punt path (worker → control core) and control TX.

use std::ffi::c_void;
use std::ptr::NonNull;

use crate::{cstring, ffi, DpdkError, Eal, Mbuf, MbufBurst, Result};

/// A ring of mbufs (`rte_ring`). `Send` + `Sync`, so it can be shared (`Arc<Ring>`)
/// between the lcores it connects. A ring created `single_producer` (or `single_consumer`)
/// must only be enqueued to (dequeued from) by one thread at a time: that is the promise
/// the flag makes to DPDK, and this type does not check it. The punt path keeps it by
/// giving each worker its own ring. Dropping a ring frees the mbufs still in it.
pub struct Ring {
    ptr: NonNull<ffi::rte_ring>,
}

// SAFETY: rte_ring is a lock-free queue; the single-producer/consumer flags chosen at
// creation are the caller's promise about which threads enqueue and dequeue.
unsafe impl Send for Ring {}
// SAFETY: as above.
unsafe impl Sync for Ring {}

impl Ring {
    /// `count` must be a power of two; the ring holds count − 1 mbufs.
    pub fn new(
        _eal: &Eal,
        name: &str,
        count: u32,
        single_producer: bool,
        single_consumer: bool,
        socket: i32,
    ) -> Result<Ring> {
        let mut flags = 0;
        if single_producer {
            flags |= ffi::RING_F_SP_ENQ;
        }
        if single_consumer {
            flags |= ffi::RING_F_SC_DEQ;
        }
        let c = cstring(name);
        // SAFETY: EAL initialised; valid name.
        let p = unsafe { ffi::rte_ring_create(c.as_ptr(), count, socket, flags) };
        NonNull::new(p)
            .map(|ptr| Ring { ptr })
            .ok_or_else(|| DpdkError::last("rte_ring_create"))
    }

    /// Move as many as fit from the front of `burst`; the rest stay, moved to the front.
    #[inline]
    pub fn enqueue_burst(&self, burst: &mut MbufBurst) -> usize {
        let (ptr, len) = burst.raw();
        if len == 0 {
            return 0;
        }
        // SAFETY: ptr holds len owned mbufs; the ring takes those it accepts.
        let n = unsafe {
            ffi::rte_ring_enqueue_burst(
                self.ptr.as_ptr(),
                ptr as *const *mut c_void,
                len as u32,
                std::ptr::null_mut(),
            )
        };
        burst.consumed(n as usize);
        n as usize
    }

    #[inline]
    pub fn enqueue(&self, m: Mbuf) -> std::result::Result<(), Mbuf> {
        let p = m.into_raw() as *mut c_void;
        let arr = [p];
        // SAFETY: one owned mbuf.
        let n = unsafe {
            ffi::rte_ring_enqueue_burst(self.ptr.as_ptr(), arr.as_ptr(), 1, std::ptr::null_mut())
        };
        if n == 1 {
            Ok(())
        } else {
            // SAFETY: not taken: still ours.
            Err(unsafe { Mbuf::from_raw(p as *mut ffi::rte_mbuf) })
        }
    }

    /// Fill the free space of `burst`.
    #[inline]
    pub fn dequeue_burst(&self, burst: &mut MbufBurst) -> usize {
        let (ptr, free) = burst.free_space();
        if free == 0 {
            return 0;
        }
        // SAFETY: room for `free` pointers; the ring only holds mbufs we put there.
        let n = unsafe {
            ffi::rte_ring_dequeue_burst(
                self.ptr.as_ptr(),
                ptr as *mut *mut c_void,
                free as u32,
                std::ptr::null_mut(),
            )
        };
        burst.grew(n as usize);
        n as usize
    }

    pub fn count(&self) -> u32 {
        // SAFETY: valid ring.
        unsafe { ffi::rte_ring_count(self.ptr.as_ptr()) }
    }

    pub fn free_count(&self) -> u32 {
        // SAFETY: valid ring.
        unsafe { ffi::rte_ring_free_count(self.ptr.as_ptr()) }
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        let mut b = MbufBurst::new();
        while self.dequeue_burst(&mut b) > 0 {
            b.clear();
        }
        // SAFETY: we own the ring and it is empty.
        unsafe { ffi::rte_ring_free(self.ptr.as_ptr()) };
    }
}

impl std::fmt::Debug for Ring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ring")
            .field("count", &self.count())
            .field("free", &self.free_count())
            .finish()
    }
}
