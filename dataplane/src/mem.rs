//! Memory for the big tables, and prefetching: the data plane's one module with unsafe
//! code (the rest of the crate denies it).
//!
//! [`Table`] is a fixed-size slice for a table the workers read at random — the FIB's
//! tbl24, session records, the PPPoE index, per-session counters. A table of 2 MiB or
//! more is aligned to 2 MiB and advised `MADV_HUGEPAGE`, so that where the kernel's
//! transparent huge pages are in `madvise` mode (Debian's default) or `always`, it is
//! backed by 2 MiB pages: a million sessions' tables span hundreds of megabytes, and on
//! 4 KiB pages nearly every lookup also misses the TLB. Where THP is off, it is an
//! ordinary allocation.
//!
//! [`prefetch`] asks for a cache line ahead of use: the stages compute a burst's table
//! addresses in one pass and touch them in the next, so the misses overlap.

#![allow(unsafe_code)]

use core::ops::{Deref, DerefMut};
use core::ptr::NonNull;
use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};

const HUGE: usize = 2 << 20;

/// Hint the CPU to bring the cache line holding `*p` into all cache levels.
#[inline(always)]
pub fn prefetch<T>(p: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT0 is a hint: it never faults and has no architectural effect;
    // SSE, which it belongs to, is part of the x86_64 baseline.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(p as *const T as *const i8)
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// A fixed-length slice on huge pages where the kernel allows (see the module docs).
pub struct Table<T> {
    ptr: NonNull<T>,
    len: usize,
    layout: Layout,
}

// SAFETY: a Table owns its elements like a Box<[T]> does.
unsafe impl<T: Send> Send for Table<T> {}
// SAFETY: shared access only hands out &T.
unsafe impl<T: Sync> Sync for Table<T> {}

impl<T> Table<T> {
    /// `len` elements, element `i` being `init(i)`.
    pub fn new(len: usize, mut init: impl FnMut(usize) -> T) -> Table<T> {
        let array = Layout::array::<T>(len).expect("table size overflows");
        if array.size() == 0 {
            return Table { ptr: NonNull::dangling(), len, layout: array };
        }
        let layout = if array.size() >= HUGE { array.align_to(HUGE).expect("2 MiB alignment") } else { array };
        // SAFETY: the layout has a non-zero size.
        let raw = unsafe { alloc(layout) } as *mut T;
        let Some(ptr) = NonNull::new(raw) else { handle_alloc_error(layout) };
        if layout.size() >= HUGE {
            #[cfg(target_os = "linux")]
            // SAFETY: advice on memory we own; the kernel only changes how it is backed.
            // Refused advice (THP disabled) leaves ordinary pages, which is fine.
            unsafe {
                libc::madvise(raw as *mut libc::c_void, layout.size(), libc::MADV_HUGEPAGE);
            }
        }
        for i in 0..len {
            // SAFETY: i < len, inside the allocation; each slot is written once before
            // any read.
            unsafe { raw.add(i).write(init(i)) };
        }
        Table { ptr, len, layout }
    }
}

impl<T> Deref for Table<T> {
    type Target = [T];
    #[inline(always)]
    fn deref(&self) -> &[T] {
        // SAFETY: ptr holds len initialised elements (or is dangling with len elements of
        // a zero-sized layout).
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<T> DerefMut for Table<T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in deref, and we are borrowed mutably.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl<T> Drop for Table<T> {
    fn drop(&mut self) {
        // SAFETY: the elements are initialised and dropped once; the memory was
        // allocated with this layout (nothing was allocated for a zero size).
        unsafe {
            core::ptr::drop_in_place(core::ptr::slice_from_raw_parts_mut(self.ptr.as_ptr(), self.len));
            if self.layout.size() != 0 {
                dealloc(self.ptr.as_ptr() as *mut u8, self.layout);
            }
        }
    }
}

impl<T: core::fmt::Debug> core::fmt::Debug for Table<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Table[{}]", self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn small_and_huge_tables_hold_their_values_and_drop_them() {
        let t = Table::new(1000, |i| i as u64 * 3);
        assert_eq!(t.len(), 1000);
        assert_eq!(t[999], 2997);
        let big = Table::new(1 << 20, |i| AtomicU32::new(i as u32));
        assert_eq!(big.as_ptr() as usize % HUGE, 0, "a 4 MiB table is 2 MiB aligned");
        assert_eq!(big[123_456].load(Ordering::Relaxed), 123_456);
        let rc = std::rc::Rc::new(());
        let owners = Table::new(10, |_| rc.clone());
        assert_eq!(std::rc::Rc::strong_count(&rc), 11);
        drop(owners);
        assert_eq!(std::rc::Rc::strong_count(&rc), 1);
        let empty: Table<u8> = Table::new(0, |_| 0);
        assert!(empty.is_empty());
    }
}
