//! Packet buffers: the pool, the mbuf, and fixed-size bursts of them.

use std::ptr::NonNull;

use crate::{cstring, ffi, DpdkError, Eal, Result};

/// A pktmbuf pool. Freed on drop if every mbuf is back; if some are still out (held by
/// the program, a ring, or a port's RX descriptors: stop and close ports first) the pool
/// is leaked instead, with a warning, because freeing it would let those mbufs' frees
/// write into freed memory.
pub struct Mempool {
    ptr: NonNull<ffi::rte_mempool>,
}

// SAFETY: DPDK mempools are multi-thread safe (per-lcore caches, lock-free ring).
unsafe impl Send for Mempool {}
// SAFETY: as above.
unsafe impl Sync for Mempool {}

impl Mempool {
    pub fn pktmbuf(
        _eal: &Eal,
        name: &str,
        n: u32,
        cache: u32,
        priv_size: u16,
        data_room: u16,
        socket: i32,
    ) -> Result<Mempool> {
        let c = cstring(name);
        // SAFETY: EAL initialised (witnessed by &Eal); name is a valid C string.
        let p = unsafe {
            ffi::rte_pktmbuf_pool_create(c.as_ptr(), n, cache, priv_size, data_room, socket)
        };
        NonNull::new(p)
            .map(|ptr| Mempool { ptr })
            .ok_or_else(|| DpdkError::last("rte_pktmbuf_pool_create"))
    }

    pub fn alloc(&self) -> Option<Mbuf> {
        // SAFETY: valid pool.
        NonNull::new(unsafe { ffi::rte_pktmbuf_alloc(self.ptr.as_ptr()) }).map(Mbuf)
    }

    pub fn avail_count(&self) -> u32 {
        // SAFETY: valid pool.
        unsafe { ffi::rte_mempool_avail_count(self.ptr.as_ptr()) }
    }

    pub fn in_use_count(&self) -> u32 {
        // SAFETY: valid pool.
        unsafe { ffi::rte_mempool_in_use_count(self.ptr.as_ptr()) }
    }

    pub fn as_ptr(&self) -> *mut ffi::rte_mempool {
        self.ptr.as_ptr()
    }
}

impl Drop for Mempool {
    fn drop(&mut self) {
        let out = self.in_use_count();
        if out > 0 {
            eprintln!("dpdk-binding: mempool dropped with {out} mbufs still out; leaking it");
            return;
        }
        // SAFETY: we own the pool and no mbuf of it is out.
        unsafe { ffi::rte_mempool_free(self.ptr.as_ptr()) };
    }
}

/// One packet buffer; freed (returned to its pool) on drop. Only the first segment is
/// visible through `data`; `is_contiguous` says whether that is the whole packet.
#[repr(transparent)]
pub struct Mbuf(NonNull<ffi::rte_mbuf>);

// SAFETY: an mbuf is owned by one thread at a time; moving it between lcores is how
// DPDK applications hand packets over (rings).
unsafe impl Send for Mbuf {}

impl Mbuf {
    #[inline]
    fn m(&self) -> &ffi::rte_mbuf {
        // SAFETY: we own a valid mbuf.
        unsafe { self.0.as_ref() }
    }
    #[inline]
    fn m_mut(&mut self) -> &mut ffi::rte_mbuf {
        // SAFETY: we own a valid mbuf exclusively.
        unsafe { self.0.as_mut() }
    }

    #[inline]
    pub fn data(&self) -> &[u8] {
        let m = self.m();
        // SAFETY: buf_addr + data_off .. + data_len lies inside the mbuf's buffer.
        unsafe {
            std::slice::from_raw_parts(
                (m.buf_addr as *const u8).add(m.data_off as usize),
                m.data_len as usize,
            )
        }
    }

    #[inline]
    pub fn data_mut(&mut self) -> &mut [u8] {
        let m = self.m();
        // SAFETY: as in `data`, and we hold the mbuf exclusively.
        unsafe {
            std::slice::from_raw_parts_mut(
                (m.buf_addr as *mut u8).add(m.data_off as usize),
                m.data_len as usize,
            )
        }
    }

    #[inline]
    pub fn pkt_len(&self) -> u32 {
        self.m().pkt_len
    }
    #[inline]
    pub fn data_len(&self) -> u16 {
        self.m().data_len
    }
    #[inline]
    pub fn headroom(&self) -> u16 {
        self.m().data_off
    }
    #[inline]
    pub fn tailroom(&self) -> u16 {
        let m = self.m();
        m.buf_len - m.data_off - m.data_len
    }

    /// Grow the front by `n` bytes into the headroom (rte_pktmbuf_prepend).
    #[inline]
    pub fn prepend(&mut self, n: u16) -> Option<&mut [u8]> {
        let m = self.m_mut();
        if n > m.data_off {
            return None;
        }
        m.data_off -= n;
        m.data_len += n;
        m.pkt_len += n as u32;
        Some(self.data_mut())
    }

    /// Remove `n` bytes from the front (rte_pktmbuf_adj).
    #[inline]
    pub fn adj(&mut self, n: u16) -> bool {
        let m = self.m_mut();
        if n > m.data_len {
            return false;
        }
        m.data_off += n;
        m.data_len -= n;
        m.pkt_len -= n as u32;
        true
    }

    /// Remove `n` bytes from the end (single-segment mbufs).
    #[inline]
    pub fn trim(&mut self, n: u16) -> bool {
        let m = self.m_mut();
        if m.nb_segs != 1 || n > m.data_len {
            return false;
        }
        m.data_len -= n;
        m.pkt_len -= n as u32;
        true
    }

    /// Grow the end by `n` bytes (single-segment mbufs); returns the new bytes.
    #[inline]
    pub fn append(&mut self, n: u16) -> Option<&mut [u8]> {
        if self.m().nb_segs != 1 || n > self.tailroom() {
            return None;
        }
        let m = self.m_mut();
        let old = m.data_len as usize;
        m.data_len += n;
        m.pkt_len += n as u32;
        Some(&mut self.data_mut()[old..])
    }

    #[inline]
    pub fn nb_segs(&self) -> u16 {
        self.m().nb_segs
    }
    #[inline]
    pub fn is_contiguous(&self) -> bool {
        self.m().nb_segs == 1
    }
    pub fn linearize(&mut self) -> bool {
        // SAFETY: we own the mbuf.
        unsafe { ffi::rte_pktmbuf_linearize(self.0.as_ptr()) == 0 }
    }
    #[inline]
    pub fn port(&self) -> u16 {
        self.m().port
    }
    #[inline]
    pub fn set_port(&mut self, p: u16) {
        self.m_mut().port = p;
    }
    #[inline]
    pub fn rss_hash(&self) -> u32 {
        // SAFETY: reading a plain integer out of a union.
        unsafe { self.m().__bindgen_anon_2.hash.rss }
    }
    #[inline]
    pub fn ol_flags(&self) -> u64 {
        self.m().ol_flags
    }
    pub fn into_raw(self) -> *mut ffi::rte_mbuf {
        let p = self.0.as_ptr();
        std::mem::forget(self);
        p
    }
    /// # Safety
    /// `p` must be a valid mbuf nobody else owns. Panics if it is null.
    pub unsafe fn from_raw(p: *mut ffi::rte_mbuf) -> Mbuf {
        Mbuf(NonNull::new(p).expect("non-null mbuf"))
    }
    /// # Safety
    /// As `from_raw`, and `p` is not null (slots of a burst below its length).
    #[inline]
    unsafe fn from_slot(p: *mut ffi::rte_mbuf) -> Mbuf {
        // SAFETY: the caller promises p is a non-null owned mbuf.
        Mbuf(unsafe { NonNull::new_unchecked(p) })
    }
}

impl Drop for Mbuf {
    fn drop(&mut self) {
        // SAFETY: we own it.
        unsafe { ffi::rte_pktmbuf_free(self.0.as_ptr()) };
    }
}

/// Most mbufs a burst holds.
pub const BURST_MAX: usize = 64;

/// A fixed-capacity, owned array of mbufs, with no heap: what RX, TX and rings fill and
/// drain. What it still holds when dropped is freed.
pub struct MbufBurst {
    bufs: [*mut ffi::rte_mbuf; BURST_MAX],
    len: usize,
}

// SAFETY: it owns its mbufs (see Mbuf).
unsafe impl Send for MbufBurst {}

impl Default for MbufBurst {
    fn default() -> Self {
        Self::new()
    }
}

impl MbufBurst {
    pub const fn new() -> Self {
        MbufBurst {
            bufs: [std::ptr::null_mut(); BURST_MAX],
            len: 0,
        }
    }
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    #[inline]
    pub fn is_full(&self) -> bool {
        self.len == BURST_MAX
    }
    #[inline]
    pub fn push(&mut self, m: Mbuf) -> std::result::Result<(), Mbuf> {
        if self.len == BURST_MAX {
            return Err(m);
        }
        self.bufs[self.len] = m.into_raw();
        self.len += 1;
        Ok(())
    }
    #[inline]
    pub fn pop(&mut self) -> Option<Mbuf> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        // SAFETY: slots below len hold owned mbufs; this one leaves the burst.
        Some(unsafe { Mbuf::from_slot(self.bufs[self.len]) })
    }
    #[inline]
    pub fn as_slice(&self) -> &[Mbuf] {
        // SAFETY: Mbuf is repr(transparent) over a non-null pointer; slots below len are valid.
        unsafe { std::slice::from_raw_parts(self.bufs.as_ptr() as *const Mbuf, self.len) }
    }
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [Mbuf] {
        // SAFETY: as above.
        unsafe { std::slice::from_raw_parts_mut(self.bufs.as_mut_ptr() as *mut Mbuf, self.len) }
    }
    #[inline]
    pub fn get_mut(&mut self, i: usize) -> &mut Mbuf {
        &mut self.as_mut_slice()[i]
    }
    /// Remove the mbuf at `i`, keeping the order of the rest.
    pub fn take(&mut self, i: usize) -> Mbuf {
        assert!(i < self.len, "index {i} out of a burst of {}", self.len);
        let p = self.bufs[i];
        self.bufs.copy_within(i + 1..self.len, i);
        self.len -= 1;
        // SAFETY: p was owned by the burst and has left it.
        unsafe { Mbuf::from_slot(p) }
    }
    /// Move every mbuf to the end of `dst`, in order, when it has room for all of them
    /// (true; this burst is then empty); otherwise leave both as they are (false).
    #[inline]
    pub fn move_all_into(&mut self, dst: &mut MbufBurst) -> bool {
        let n = self.len;
        if dst.len + n > BURST_MAX {
            return false;
        }
        dst.bufs[dst.len..dst.len + n].copy_from_slice(&self.bufs[..n]);
        dst.len += n;
        self.len = 0;
        true
    }

    /// Hand every mbuf to `f`, in order; the burst is empty afterwards (if `f` panics,
    /// the mbufs not yet handed out are leaked, never freed twice).
    #[inline]
    pub fn drain_into(&mut self, mut f: impl FnMut(Mbuf)) {
        let n = self.len;
        self.len = 0;
        for i in 0..n {
            // SAFETY: slots below the old len held owned mbufs; each is handed out once.
            f(unsafe { Mbuf::from_slot(self.bufs[i]) });
        }
    }
    /// Free everything (one bulk call).
    #[inline]
    pub fn clear(&mut self) {
        if self.len > 0 {
            // SAFETY: we own the first len mbufs.
            unsafe { ffi::rte_pktmbuf_free_bulk(self.bufs.as_mut_ptr(), self.len as u32) };
            self.len = 0;
        }
    }
    #[inline]
    pub(crate) fn free_space(&mut self) -> (*mut *mut ffi::rte_mbuf, usize) {
        // SAFETY: len <= BURST_MAX.
        (
            unsafe { self.bufs.as_mut_ptr().add(self.len) },
            BURST_MAX - self.len,
        )
    }
    #[inline]
    pub(crate) fn grew(&mut self, n: usize) {
        self.len += n;
    }
    #[inline]
    pub(crate) fn raw(&mut self) -> (*mut *mut ffi::rte_mbuf, usize) {
        (self.bufs.as_mut_ptr(), self.len)
    }
    /// The first `n` left (sent); keep the rest, moved to the front.
    #[inline]
    pub(crate) fn consumed(&mut self, n: usize) {
        if n >= self.len {
            self.len = 0;
        } else if n > 0 {
            self.bufs.copy_within(n..self.len, 0);
            self.len -= n;
        }
    }
}

impl Drop for MbufBurst {
    fn drop(&mut self) {
        self.clear();
    }
}

impl std::fmt::Debug for Mempool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // SAFETY: name is a NUL-terminated array inside the live pool.
        let name = unsafe { std::ffi::CStr::from_ptr(self.ptr.as_ref().name.as_ptr()) };
        f.debug_struct("Mempool")
            .field("name", &name)
            .field("avail", &self.avail_count())
            .field("in_use", &self.in_use_count())
            .finish()
    }
}

impl std::fmt::Debug for Mbuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mbuf")
            .field("port", &self.port())
            .field("pkt_len", &self.pkt_len())
            .field("data_len", &self.data_len())
            .field("nb_segs", &self.nb_segs())
            .field("headroom", &self.headroom())
            .finish()
    }
}

impl std::fmt::Debug for MbufBurst {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}
