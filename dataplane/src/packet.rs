//! The packet trait the stages work on.
//!
//! Workers run the stages over DPDK mbufs; unit tests run the very same stages over
//! [`HeapPacket`], a heap buffer with headroom, so no test needs the EAL. Only the
//! first segment is visible: ports are configured so that a frame fits one mbuf, and
//! `eth_input` drops (and counts) anything else.

/// A frame with headroom in front of it.
pub trait Packet {
    /// The frame's bytes, from the current start.
    fn data(&self) -> &[u8];
    fn data_mut(&mut self) -> &mut [u8];
    /// Grow the front by `n` bytes (into headroom) and return the whole new frame.
    fn prepend(&mut self, n: usize) -> Option<&mut [u8]>;
    /// Remove `n` bytes from the front.
    fn adj(&mut self, n: usize) -> bool;
    /// Remove `n` bytes from the end.
    fn trim(&mut self, n: usize) -> bool;
    /// True when the frame is one contiguous segment.
    fn is_contiguous(&self) -> bool {
        true
    }
    #[inline]
    fn len(&self) -> usize {
        self.data().len()
    }
    #[inline]
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Headroom of a test packet; DPDK's default `RTE_PKTMBUF_HEADROOM` is 128.
pub const HEAP_HEADROOM: usize = 128;

/// A heap-backed packet for tests and tools.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeapPacket {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl HeapPacket {
    pub fn new(frame: &[u8]) -> Self {
        let mut buf = vec![0u8; HEAP_HEADROOM + frame.len() + 64];
        buf[HEAP_HEADROOM..HEAP_HEADROOM + frame.len()].copy_from_slice(frame);
        HeapPacket { buf, start: HEAP_HEADROOM, end: HEAP_HEADROOM + frame.len() }
    }

    pub fn headroom(&self) -> usize {
        self.start
    }

    /// Put `frame` back in with the original headroom, reusing the buffer (no allocation
    /// when it fits), as a fresh receive would.
    pub fn reset(&mut self, frame: &[u8]) {
        let need = HEAP_HEADROOM + frame.len() + 64;
        if self.buf.len() < need {
            self.buf.resize(need, 0);
        }
        self.buf[HEAP_HEADROOM..HEAP_HEADROOM + frame.len()].copy_from_slice(frame);
        self.start = HEAP_HEADROOM;
        self.end = HEAP_HEADROOM + frame.len();
    }
}

impl Packet for HeapPacket {
    #[inline]
    fn data(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }
    #[inline]
    fn data_mut(&mut self) -> &mut [u8] {
        &mut self.buf[self.start..self.end]
    }
    #[inline]
    fn prepend(&mut self, n: usize) -> Option<&mut [u8]> {
        if n > self.start {
            return None;
        }
        self.start -= n;
        Some(&mut self.buf[self.start..self.end])
    }
    #[inline]
    fn adj(&mut self, n: usize) -> bool {
        if n > self.end - self.start {
            return false;
        }
        self.start += n;
        true
    }
    #[inline]
    fn trim(&mut self, n: usize) -> bool {
        if n > self.end - self.start {
            return false;
        }
        self.end -= n;
        true
    }
}

#[cfg(feature = "dpdk")]
impl Packet for dpdk_binding::Mbuf {
    #[inline]
    fn data(&self) -> &[u8] {
        dpdk_binding::Mbuf::data(self)
    }
    #[inline]
    fn data_mut(&mut self) -> &mut [u8] {
        dpdk_binding::Mbuf::data_mut(self)
    }
    #[inline]
    fn prepend(&mut self, n: usize) -> Option<&mut [u8]> {
        let n = u16::try_from(n).ok()?;
        dpdk_binding::Mbuf::prepend(self, n)
    }
    #[inline]
    fn adj(&mut self, n: usize) -> bool {
        match u16::try_from(n) {
            Ok(n) => dpdk_binding::Mbuf::adj(self, n),
            Err(_) => false,
        }
    }
    #[inline]
    fn trim(&mut self, n: usize) -> bool {
        match u16::try_from(n) {
            Ok(n) => dpdk_binding::Mbuf::trim(self, n),
            Err(_) => false,
        }
    }
    #[inline]
    fn is_contiguous(&self) -> bool {
        dpdk_binding::Mbuf::is_contiguous(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heap_packet_prepend_adj_trim() {
        let mut p = HeapPacket::new(&[1, 2, 3, 4]);
        assert!(p.adj(1));
        assert_eq!(p.data(), &[2, 3, 4]);
        assert!(p.trim(1));
        assert_eq!(p.data(), &[2, 3]);
        p.prepend(2).unwrap()[..2].copy_from_slice(&[9, 9]);
        assert_eq!(p.data(), &[9, 9, 2, 3]);
        assert!(p.prepend(HEAP_HEADROOM + 10).is_none());
        assert!(!p.adj(5));
        assert!(!p.trim(5));
    }
}
