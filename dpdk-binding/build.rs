//! Binds the system DPDK (22.11, found with pkg-config): bindgen over `src/wrapper.h`,
//! C wrappers for the `static inline` functions dpvpn calls per burst, and a tiny shim.
//!
//! Nothing here names a DPDK library or a `-march`: both come from `pkg-config libdpdk`.

use std::env;
use std::path::PathBuf;

/// The DPDK functions `ffi` exposes. The `static inline` ones among them (rx/tx burst,
/// ring burst, pktmbuf alloc/free, lcore id …) get generated C wrappers, so this list is
/// kept to what dpvpn calls: every inline function added here is one more out-of-line call.
const FUNCTIONS: &[&str] = &[
    // EAL, lcores, launch
    "rte_eal_init",
    "rte_eal_cleanup",
    "rte_eal_process_type",
    "rte_eal_get_runtime_dir",
    "rte_get_main_lcore",
    "rte_get_next_lcore",
    "rte_lcore_is_enabled",
    "rte_lcore_to_socket_id",
    "rte_lcore_count",
    "rte_lcore_id",
    "rte_socket_id",
    "rte_get_tsc_hz",
    "rte_eal_remote_launch",
    "rte_eal_wait_lcore",
    "rte_eal_get_lcore_state",
    "rte_pdump_init",
    "rte_pdump_uninit",
    "rte_version",
    "rte_strerror",
    "dpvpn_rte_errno",
    // mempool, mbuf
    "rte_pktmbuf_pool_create",
    "rte_mempool_free",
    "rte_mempool_lookup",
    "rte_mempool_avail_count",
    "rte_mempool_in_use_count",
    "rte_pktmbuf_alloc",
    "rte_pktmbuf_alloc_bulk",
    "rte_pktmbuf_free",
    "rte_pktmbuf_free_bulk",
    "rte_pktmbuf_linearize",
    "rte_pktmbuf_clone",
    "rte_pktmbuf_copy",
    // devices, ports
    "rte_dev_probe",
    "rte_dev_remove",
    "rte_vdev_init",
    "rte_vdev_uninit",
    "rte_eth_dev_count_avail",
    "rte_eth_find_next_owned_by",
    "rte_eth_dev_is_valid_port",
    "rte_eth_dev_get_port_by_name",
    "rte_eth_dev_get_name_by_port",
    "rte_eth_dev_info_get",
    "rte_eth_dev_configure",
    "rte_eth_dev_adjust_nb_rx_tx_desc",
    "rte_eth_dev_set_mtu",
    "rte_eth_dev_get_mtu",
    "rte_eth_rx_queue_setup",
    "rte_eth_tx_queue_setup",
    "rte_eth_dev_start",
    "rte_eth_dev_stop",
    "rte_eth_dev_close",
    "rte_eth_promiscuous_enable",
    "rte_eth_promiscuous_disable",
    "rte_eth_promiscuous_get",
    "rte_eth_allmulticast_enable",
    "rte_eth_macaddr_get",
    "rte_eth_dev_default_mac_addr_set",
    "rte_eth_link_get_nowait",
    "rte_eth_stats_get",
    "rte_eth_stats_reset",
    "rte_eth_xstats_get_names",
    "rte_eth_xstats_get",
    "rte_eth_dev_socket_id",
    "rte_eth_rx_burst",
    "rte_eth_tx_burst",
    // rings
    "rte_ring_create",
    "rte_ring_free",
    "rte_ring_enqueue_burst",
    "rte_ring_dequeue_burst",
    "rte_ring_count",
    "rte_ring_free_count",
    // telemetry
    "rte_telemetry_register_cmd",
    "rte_tel_data_start_dict",
    "rte_tel_data_add_dict_u64",
    "rte_tel_data_add_dict_int",
    "rte_tel_data_add_dict_string",
    "rte_tel_data_start_array",
    "rte_tel_data_add_array_u64",
    "rte_tel_data_add_array_int",
    "rte_tel_data_add_array_string",
    "rte_tel_data_string",
];

/// Packed structs that hold aligned ones: `#[repr(packed)]` around `#[repr(align)]` is
/// E0588 in Rust (rte_l2tpv2_combined_msg_hdr), and packed bitfield unions break bindgen's
/// derives (rte_gtp_psc_generic_hdr). Opaque: byte blobs of the right size. rte_arp_* lays
/// out fine with clang 14 + bindgen 0.70, but is packed around the 2-aligned rte_ether_addr,
/// so other clangs may not. dpvpn parses all of these itself (`dataplane::wire`).
const OPAQUE: &[&str] = &["rte_l2tpv2_.*", "rte_gtp_.*", "rte_arp_.*"];

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let header = manifest.join("src/wrapper.h");
    let shim = manifest.join("src/shim.c");
    println!("cargo:rerun-if-changed={}", header.display());
    println!("cargo:rerun-if-changed={}", shim.display());
    println!("cargo:rerun-if-env-changed=PKG_CONFIG");

    // Link flags (Debian's shared librte_*; the EAL dlopens the PMD plugins itself).
    let dpdk = pkg_config::Config::new()
        .atleast_version("22.11")
        .probe("libdpdk")
        .expect(
            "DPDK 22.11 or newer not found by pkg-config (apt-get install libdpdk-dev pkg-config)",
        );

    // Everything pkg-config says a compiler needs: include paths, `-include rte_config.h`,
    // DPDK's baseline `-march`. The pkg-config crate keeps only -I/-D, so ask the tool itself.
    let pkg_config = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".into());
    let out = std::process::Command::new(&pkg_config)
        .args(["--cflags", "libdpdk"])
        .output()
        .expect("run pkg-config --cflags libdpdk");
    assert!(out.status.success(), "pkg-config --cflags libdpdk failed");
    let cflags: Vec<String> = String::from_utf8(out.stdout)
        .expect("utf-8 cflags")
        .split_whitespace()
        .map(str::to_string)
        .collect();

    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    let wrappers = out_dir.join("static_wrappers");
    let mut b = bindgen::Builder::default()
        // A real file: the generated wrappers `#include` it by this (absolute) path.
        .header(header.to_str().unwrap())
        .clang_args(&cflags)
        .wrap_static_fns(true)
        .wrap_static_fns_path(&wrappers)
        .layout_tests(false)
        .generate_comments(false)
        .derive_default(true)
        .prepend_enum_name(false)
        .allowlist_type("rte_.*")
        .allowlist_var("RTE_.*")
        .allowlist_var("RING_F_.*")
        .allowlist_var("SOCKET_ID_ANY")
        .allowlist_var("LCORE_ID_ANY")
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()));
    for f in FUNCTIONS {
        b = b.allowlist_function(f);
    }
    for t in OPAQUE {
        b = b.opaque_type(t);
    }
    let bindings = b.generate().expect("bindgen over the DPDK headers failed");
    bindings
        .write_to_file(out_dir.join("bindings.rs"))
        .expect("write bindings.rs");

    let mut cc = cc::Build::new();
    cc.file(wrappers.with_extension("c"))
        .file(&shim)
        .include(manifest.join("src"))
        // DPDK headers are not -Wall clean under every compiler.
        .warnings(false);
    for p in &dpdk.include_paths {
        cc.include(p);
    }
    // `-include rte_config.h` arrives as two words; keep their order.
    for f in cflags.iter().filter(|f| !f.starts_with("-I")) {
        cc.flag(f);
    }
    cc.compile("dpdk_binding_wrappers");

    // For crates that `links = "dpdk"` consumers might build C against.
    let incs: Vec<String> = dpdk
        .include_paths
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    println!("cargo:include={}", incs.join(":"));
    println!("cargo:version={}", dpdk.version);
}
