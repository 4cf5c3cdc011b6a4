//! The EAL: initialisation, lcores, launching work on them.

use std::ffi::{c_char, c_int, c_void};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::{cstring, ffi, DpdkError, Result};

static INITIALISED: AtomicBool = AtomicBool::new(false);

/// The initialised EAL. One per process; `rte_eal_cleanup` on drop.
#[derive(Debug)]
pub struct Eal {
    _private: (),
}

type Job = Box<dyn FnOnce() -> i32 + Send + 'static>;

extern "C" fn trampoline(arg: *mut c_void) -> c_int {
    // SAFETY: `arg` is the Box<Job> leaked by `launch`, handed over exactly once.
    let job: Box<Job> = unsafe { Box::from_raw(arg as *mut Job) };
    match std::panic::catch_unwind(AssertUnwindSafe(job)) {
        Ok(v) => v,
        Err(e) => {
            let msg = e
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| e.downcast_ref::<String>().cloned());
            eprintln!(
                "dpdk-binding: lcore {} panicked: {}",
                lcore_id(),
                msg.unwrap_or_default()
            );
            -1
        }
    }
}

impl Eal {
    /// `rte_eal_init` with `args` (args[0] is the program name).
    pub fn init<S: AsRef<str>>(args: &[S]) -> Result<Eal> {
        if INITIALISED.swap(true, Ordering::SeqCst) {
            return Err(DpdkError {
                op: "rte_eal_init (the EAL initialises once per process)",
                errno: libc::EALREADY,
            });
        }
        // The EAL keeps pointers into argv: leak it.
        let owned: Vec<std::ffi::CString> = args.iter().map(|a| cstring(a.as_ref())).collect();
        let mut argv: Vec<*mut c_char> = owned.into_iter().map(|c| c.into_raw()).collect();
        argv.push(std::ptr::null_mut());
        let argv = Box::leak(argv.into_boxed_slice());
        // SAFETY: argv is a NULL-terminated array of valid C strings that lives forever.
        let r = unsafe { ffi::rte_eal_init((argv.len() - 1) as c_int, argv.as_mut_ptr()) };
        if r < 0 {
            INITIALISED.store(false, Ordering::SeqCst);
            return Err(DpdkError::last("rte_eal_init"));
        }
        Ok(Eal { _private: () })
    }

    pub fn main_lcore(&self) -> u32 {
        // SAFETY: EAL initialised.
        unsafe { ffi::rte_get_main_lcore() }
    }

    /// Worker lcores in EAL order (RTE_LCORE_FOREACH_WORKER).
    pub fn worker_lcores(&self) -> Vec<u32> {
        let mut v = Vec::new();
        // SAFETY: EAL initialised; -1 starts the walk.
        let mut l = unsafe { ffi::rte_get_next_lcore(u32::MAX, 1, 0) };
        while l < ffi::RTE_MAX_LCORE {
            v.push(l);
            // SAFETY: as above.
            l = unsafe { ffi::rte_get_next_lcore(l, 1, 0) };
        }
        v
    }

    /// The NUMA socket of `lcore`; -1 for an id beyond RTE_MAX_LCORE.
    pub fn lcore_socket(&self, lcore: u32) -> i32 {
        if lcore >= ffi::RTE_MAX_LCORE {
            return -1;
        }
        // SAFETY: EAL initialised; 22.11 indexes lcore_config[] unchecked, so the id was
        // bounds-checked above.
        let s = unsafe { ffi::rte_lcore_to_socket_id(lcore) };
        if s == u32::MAX {
            -1
        } else {
            s as i32
        }
    }

    pub fn tsc_hz(&self) -> u64 {
        // SAFETY: EAL initialised (it calibrated the TSC).
        unsafe { ffi::rte_get_tsc_hz() }
    }

    /// Run `f` on worker `lcore`; its return value comes back from [`Eal::wait_lcore`].
    /// A panic in `f` is caught there (it must not unwind into C) and returns -1.
    /// `lcore` must be an enabled worker (not the main lcore): anything else is EINVAL.
    pub fn launch<F: FnOnce() -> i32 + Send + 'static>(&self, lcore: u32, f: F) -> Result<()> {
        if !self.is_worker(lcore) {
            return Err(DpdkError {
                op: crate::intern(format!(
                    "rte_eal_remote_launch: lcore {lcore} is not a worker lcore of this EAL"
                )),
                errno: libc::EINVAL,
            });
        }
        let job: Box<Job> = Box::new(Box::new(f));
        let arg = Box::into_raw(job) as *mut c_void;
        // SAFETY: lcore is an enabled worker (checked above); the trampoline takes
        // ownership of arg exactly once.
        let r = unsafe { ffi::rte_eal_remote_launch(Some(trampoline), arg, lcore) };
        if r != 0 {
            // SAFETY: not launched: take it back.
            drop(unsafe { Box::from_raw(arg as *mut Job) });
            return Err(DpdkError::neg("rte_eal_remote_launch", r));
        }
        Ok(())
    }

    /// Wait for the job launched on `lcore` and return its value (0 if none was
    /// launched, -1 if it panicked). `-EINVAL` if `lcore` is not a worker.
    pub fn wait_lcore(&self, lcore: u32) -> i32 {
        if !self.is_worker(lcore) {
            return -libc::EINVAL;
        }
        // SAFETY: EAL initialised; lcore is an enabled worker (22.11 does not bounds-check).
        unsafe { ffi::rte_eal_wait_lcore(lcore) }
    }

    /// Whether `lcore` is one of the EAL's worker lcores.
    pub fn is_worker(&self, lcore: u32) -> bool {
        // SAFETY: rte_lcore_is_enabled bounds-checks its argument.
        lcore != self.main_lcore() && unsafe { ffi::rte_lcore_is_enabled(lcore) } != 0
    }

    /// How many lcores the EAL runs (main + workers).
    pub fn lcore_count(&self) -> u32 {
        // SAFETY: EAL initialised.
        unsafe { ffi::rte_lcore_count() }
    }

    /// Allow `dpdk-dumpcap` (a secondary process) to capture on our ports. Fails with
    /// ENOTSUP under `--no-shconf`, where there is no multi-process channel.
    pub fn pdump_init(&self) -> Result<()> {
        // SAFETY: EAL initialised.
        let r = unsafe { ffi::rte_pdump_init() };
        if r < 0 {
            return Err(DpdkError::last("rte_pdump_init"));
        }
        Ok(())
    }

    /// The EAL's runtime directory (`/var/run/dpdk/<file-prefix>` for root): where the
    /// telemetry socket `dpdk_telemetry.v2` lives.
    pub fn runtime_dir(&self) -> std::path::PathBuf {
        // SAFETY: EAL initialised; returns a NUL-terminated static buffer.
        let p = unsafe { std::ffi::CStr::from_ptr(ffi::rte_eal_get_runtime_dir()) };
        std::path::PathBuf::from(p.to_string_lossy().into_owned())
    }

    /// The DPDK version string ("DPDK 22.11.11").
    pub fn version() -> String {
        // SAFETY: returns a static string.
        unsafe { std::ffi::CStr::from_ptr(ffi::rte_version()) }
            .to_string_lossy()
            .into_owned()
    }
}

impl Drop for Eal {
    fn drop(&mut self) {
        // SAFETY: nothing of ours uses the EAL after its owner is gone (owners borrow &Eal
        // or are dropped first by the caller).
        unsafe { ffi::rte_eal_cleanup() };
    }
}

/// The TSC.
#[inline]
pub fn rdtsc() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: rdtsc has no preconditions on x86_64.
        unsafe { core::arch::x86_64::_rdtsc() }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
    }
}

/// This thread's lcore id (LCORE_ID_ANY for non-EAL threads).
#[inline]
pub fn lcore_id() -> u32 {
    // SAFETY: reads a thread-local.
    unsafe { ffi::rte_lcore_id() }
}
