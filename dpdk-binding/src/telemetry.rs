//! DPDK telemetry commands served by Rust closures (`dpdk-telemetry.py` → `/dpvpn/...`).
//!
//! DPDK calls one `extern "C"` trampoline for every command registered here; it looks the
//! command up in a global registry of closures and turns the returned [`Data`] into
//! `rte_tel_data`. Handlers run on DPDK's telemetry thread, not on an lcore.

use std::collections::HashMap;
use std::ffi::{c_char, c_int, CStr};
use std::sync::{Arc, Mutex, OnceLock};

use crate::{cstring, ffi, DpdkError};

/// One value of a [`Data::Dict`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    U64(u64),
    /// DPDK 22.11 carries only C `int` in a dict: values beyond ±2³¹ are sent as u64 when
    /// non-negative and as a decimal string otherwise.
    I64(i64),
    Str(String),
}

/// A telemetry reply. Strings longer than DPDK's 128-byte limit are truncated by DPDK;
/// a dict holds at most 256 entries (RTE_TEL_MAX_DICT_ENTRIES), an array 512.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Data {
    Dict(Vec<(String, Value)>),
    U64Array(Vec<u64>),
    Str(String),
}

type Handler = Arc<dyn Fn(&str) -> Data + Send + Sync>;

fn registry() -> &'static Mutex<HashMap<String, Handler>> {
    static R: OnceLock<Mutex<HashMap<String, Handler>>> = OnceLock::new();
    R.get_or_init(|| Mutex::new(HashMap::new()))
}

fn lossy(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: DPDK passes NUL-terminated strings (checked for NULL above).
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

extern "C" fn trampoline(
    cmd: *const c_char,
    params: *const c_char,
    d: *mut ffi::rte_tel_data,
) -> c_int {
    let (cmd, params) = (lossy(cmd), lossy(params));
    // Clone the handler out so that it runs without the registry lock (it may register).
    let handler = registry()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&cmd)
        .cloned();
    let Some(handler) = handler else {
        return -libc::ENOENT;
    };
    // A panic must not unwind into DPDK's telemetry thread.
    let data = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(&params))) {
        Ok(data) => data,
        Err(_) => {
            eprintln!("dpdk-binding: telemetry handler for {cmd} panicked");
            return -libc::EIO;
        }
    };
    // SAFETY: d is the output object DPDK handed this call; DPDK copies every name and
    // string before the call returns, so the temporaries may die after each call.
    unsafe {
        match data {
            Data::Dict(items) => {
                ffi::rte_tel_data_start_dict(d);
                for (k, v) in items {
                    let k = cstring(&k);
                    match v {
                        Value::U64(x) => ffi::rte_tel_data_add_dict_u64(d, k.as_ptr(), x),
                        Value::I64(x) => match c_int::try_from(x) {
                            Ok(x) => ffi::rte_tel_data_add_dict_int(d, k.as_ptr(), x),
                            Err(_) if x >= 0 => {
                                ffi::rte_tel_data_add_dict_u64(d, k.as_ptr(), x as u64)
                            }
                            Err(_) => ffi::rte_tel_data_add_dict_string(
                                d,
                                k.as_ptr(),
                                cstring(&x.to_string()).as_ptr(),
                            ),
                        },
                        Value::Str(s) => {
                            ffi::rte_tel_data_add_dict_string(d, k.as_ptr(), cstring(&s).as_ptr())
                        }
                    };
                }
            }
            Data::U64Array(v) => {
                ffi::rte_tel_data_start_array(d, ffi::RTE_TEL_U64_VAL);
                for x in v {
                    ffi::rte_tel_data_add_array_u64(d, x);
                }
            }
            Data::Str(s) => {
                ffi::rte_tel_data_string(d, cstring(&s).as_ptr());
            }
        }
    }
    0
}

/// Register `cmd` (e.g. "/dpvpn/stats": a leading '/', then letters, digits, '_' and '/',
/// under 56 bytes) with DPDK telemetry; `handler` gets the parameters after the comma.
/// Registering a command again replaces its handler. Works before or after `Eal::init`.
pub fn register(
    cmd: &str,
    help: &str,
    handler: impl Fn(&str) -> Data + Send + Sync + 'static,
) -> crate::Result<()> {
    let mut reg = registry().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(h) = reg.get_mut(cmd) {
        *h = Arc::new(handler);
        return Ok(());
    }
    let c = cstring(cmd);
    // DPDK keeps the help pointer: it must live forever (one small leak per command).
    let help: &'static CStr = Box::leak(cstring(help).into_boxed_c_str());
    // SAFETY: valid strings; DPDK copies cmd; help and the trampoline live for the process.
    let r = unsafe { ffi::rte_telemetry_register_cmd(c.as_ptr(), Some(trampoline), help.as_ptr()) };
    if r < 0 {
        return Err(DpdkError {
            op: crate::intern(format!("rte_telemetry_register_cmd({cmd})")),
            errno: -r,
        });
    }
    reg.insert(cmd.to_string(), Arc::new(handler));
    Ok(())
}
