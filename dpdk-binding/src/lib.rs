//! Safe owners over the system DPDK (22.11): the only crate of dpvpn with `unsafe`.
//!
//! - [`Eal`]: initialisation (once per process), lcores, launch, cleanup on drop.
//! - [`Mempool`], [`Mbuf`] (frees itself; prepend/adj/trim/append are Rust on the mbuf
//!   fields, so nothing per packet is an out-of-line call), [`MbufBurst`].
//! - [`Port`]: hot-plug from device arguments, configure, queues, start/stop, stats,
//!   link, and the per-burst RX/TX calls (through generated C wrappers for DPDK's
//!   `static inline` functions).
//! - [`Ring`], [`telemetry`].
//!
//! Preconditions are types: everything that needs the EAL takes `&Eal`.

#![allow(clippy::missing_safety_doc)]

pub mod ffi {
    //! bindgen output over `src/wrapper.h`.
    #![allow(
        non_upper_case_globals,
        non_camel_case_types,
        non_snake_case,
        dead_code,
        clippy::all
    )]
    include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
}

mod eal;
mod mbuf;
mod port;
mod ring;
pub mod telemetry;

pub use eal::{lcore_id, rdtsc, Eal};
pub use mbuf::{Mbuf, MbufBurst, Mempool, BURST_MAX};
pub use port::{LinkInfo, Port, PortConfig, PortInfo, PortStats};
pub use ring::Ring;

/// A DPDK call that failed, and its errno.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DpdkError {
    pub op: &'static str,
    pub errno: i32,
}

impl DpdkError {
    /// From a call that returned a negative errno.
    pub(crate) fn neg(op: &'static str, ret: i32) -> DpdkError {
        DpdkError { op, errno: -ret }
    }
    /// From a call that reported its error in rte_errno.
    pub(crate) fn last(op: &'static str) -> DpdkError {
        // SAFETY: reads this thread's rte_errno.
        DpdkError {
            op,
            errno: unsafe { ffi::dpvpn_rte_errno() },
        }
    }
}

impl std::fmt::Display for DpdkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // SAFETY: rte_strerror returns a pointer to a static or thread-local string.
        let msg = unsafe { std::ffi::CStr::from_ptr(ffi::rte_strerror(self.errno)) };
        write!(
            f,
            "{}: {} (errno {})",
            self.op,
            msg.to_string_lossy(),
            self.errno
        )
    }
}

impl std::error::Error for DpdkError {}

pub type Result<T> = std::result::Result<T, DpdkError>;

/// A `'static` copy of an error context built at run time (a device or port name, a
/// queue limit). `DpdkError` is `Copy` with a `&'static str`, so the text is kept for the
/// life of the process; equal texts are kept once, so a retry loop does not grow memory.
/// Only error paths of setup calls use this, never the data path.
pub(crate) fn intern(s: String) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static SEEN: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut seen = SEEN
        .get_or_init(|| Mutex::new(HashSet::new()))
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(&k) = seen.get(s.as_str()) {
        return k;
    }
    let k: &'static str = Box::leak(s.into_boxed_str());
    seen.insert(k);
    k
}

pub(crate) fn cstring(s: &str) -> std::ffi::CString {
    std::ffi::CString::new(s.replace('\0', "")).expect("no NUL")
}
