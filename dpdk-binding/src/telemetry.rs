//! DPDK telemetry commands served by Rust closures (`dpdk-telemetry.py` → `/dpvpn/...`).

use std::collections::HashMap;
use std::ffi::{c_char, c_int, CStr};
use std::sync::{Mutex, OnceLock};

use crate::{cstring, ffi, DpdkError};

pub enum Value {
    U64(u64),
    I64(i64),
    Str(String),
}

pub enum Data {
    Dict(Vec<(String, Value)>),
    U64Array(Vec<u64>),
    Str(String),
}

type Handler = Box<dyn Fn(&str) -> Data + Send + Sync>;

fn registry() -> &'static Mutex<HashMap<String, Handler>> {
    static R: OnceLock<Mutex<HashMap<String, Handler>>> = OnceLock::new();
    R.get_or_init(|| Mutex::new(HashMap::new()))
}

extern "C" fn trampoline(cmd: *const c_char, params: *const c_char, d: *mut ffi::rte_tel_data) -> c_int {
    // SAFETY: DPDK passes NUL-terminated strings (params may be NULL).
    let cmd = unsafe { CStr::from_ptr(cmd) }.to_string_lossy().into_owned();
    let params = if params.is_null() { String::new() } else { unsafe { CStr::from_ptr(params) }.to_string_lossy().into_owned() };
    let data = {
        let reg = registry().lock().unwrap_or_else(|e| e.into_inner());
        match reg.get(&cmd) {
            Some(h) => match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| h(&params))) {
                Ok(d) => d,
                Err(_) => return -1,
            },
            None => return -1,
        }
    };
    // SAFETY: d is the output object DPDK handed us; names/strings are copied by DPDK.
    unsafe {
        match data {
            Data::Dict(items) => {
                ffi::rte_tel_data_start_dict(d);
                for (k, v) in items {
                    let k = cstring(&k);
                    match v {
                        Value::U64(x) => ffi::rte_tel_data_add_dict_u64(d, k.as_ptr(), x),
                        Value::I64(x) => ffi::rte_tel_data_add_dict_int(d, k.as_ptr(), x as c_int),
                        Value::Str(s) => ffi::rte_tel_data_add_dict_string(d, k.as_ptr(), cstring(&s).as_ptr()),
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

/// Register `cmd` (e.g. "/dpvpn/stats") with DPDK telemetry.
pub fn register(cmd: &str, help: &str, handler: impl Fn(&str) -> Data + Send + Sync + 'static) -> crate::Result<()> {
    registry().lock().unwrap_or_else(|e| e.into_inner()).insert(cmd.to_string(), Box::new(handler));
    let c = cstring(cmd);
    // DPDK keeps the help pointer: it must live forever.
    let help: &'static CStr = Box::leak(cstring(help).into_boxed_c_str());
    // SAFETY: valid strings; trampoline is a valid callback for the life of the process.
    let r = unsafe { ffi::rte_telemetry_register_cmd(c.as_ptr(), Some(trampoline), help.as_ptr()) };
    if r < 0 {
        return Err(DpdkError::neg("rte_telemetry_register_cmd", r));
    }
    Ok(())
}
