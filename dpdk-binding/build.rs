//! Binds the system DPDK (22.11, found with pkg-config): bindgen over `src/wrapper.h`,
//! C wrappers for the `static inline` functions dpvpn calls per burst, and a tiny shim.

use std::env;
use std::path::PathBuf;

/// Functions dpvpn calls. `static inline` ones among them get generated C wrappers.
const FUNCTIONS: &[&str] = &[
    "rte_eal_init", "rte_eal_cleanup", "rte_get_main_lcore", "rte_get_next_lcore", "rte_lcore_to_socket_id",
    "rte_lcore_count", "rte_lcore_id", "rte_get_tsc_hz", "rte_eal_remote_launch", "rte_eal_wait_lcore",
    "rte_pdump_init", "rte_version", "rte_strerror", "dpvpn_rte_errno",
    "rte_pktmbuf_pool_create", "rte_mempool_free", "rte_mempool_avail_count", "rte_mempool_in_use_count",
    "rte_pktmbuf_alloc", "rte_pktmbuf_free", "rte_pktmbuf_free_bulk", "rte_pktmbuf_linearize",
    "rte_dev_probe", "rte_eth_dev_get_port_by_name", "rte_eth_dev_get_name_by_port", "rte_eth_dev_info_get",
    "rte_eth_dev_configure", "rte_eth_dev_adjust_nb_rx_tx_desc", "rte_eth_dev_set_mtu", "rte_eth_dev_get_mtu",
    "rte_eth_rx_queue_setup", "rte_eth_tx_queue_setup", "rte_eth_dev_start", "rte_eth_dev_stop",
    "rte_eth_dev_close", "rte_eth_promiscuous_enable", "rte_eth_promiscuous_disable", "rte_eth_macaddr_get",
    "rte_eth_dev_default_mac_addr_set", "rte_eth_link_get_nowait", "rte_eth_stats_get", "rte_eth_xstats_get_names",
    "rte_eth_xstats_get", "rte_eth_dev_socket_id", "rte_eth_rx_burst", "rte_eth_tx_burst",
    "rte_ring_create", "rte_ring_free", "rte_ring_enqueue_burst", "rte_ring_dequeue_burst", "rte_ring_count",
    "rte_ring_free_count", "rte_telemetry_register_cmd", "rte_tel_data_start_dict", "rte_tel_data_add_dict_u64",
    "rte_tel_data_add_dict_int", "rte_tel_data_add_dict_string", "rte_tel_data_start_array",
    "rte_tel_data_add_array_u64", "rte_tel_data_string",
];

fn main() {
    println!("cargo:rerun-if-changed=src/wrapper.h");
    println!("cargo:rerun-if-changed=src/shim.c");
    let dpdk = pkg_config::Config::new()
        .atleast_version("22.11")
        .probe("libdpdk")
        .expect("DPDK 22.11 or newer not found by pkg-config (install libdpdk-dev: scripts/deps.sh)");

    // Everything pkg-config says the compiler needs: include paths, `-include rte_config.h`,
    // DPDK's baseline -march.
    let cflags: Vec<String> = {
        let out = std::process::Command::new("pkg-config").args(["--cflags", "libdpdk"]).output().expect("pkg-config");
        String::from_utf8(out.stdout).unwrap().split_whitespace().map(str::to_string).collect()
    };

    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    let wrappers = out.join("static_wrappers");
    let mut b = bindgen::Builder::default()
        .header("src/wrapper.h")
        .clang_args(&cflags)
        .wrap_static_fns(true)
        .wrap_static_fns_path(&wrappers)
        .layout_tests(false)
        .generate_comments(false)
        .derive_default(true)
        .prepend_enum_name(false)
        .allowlist_var("RTE_.*")
        .allowlist_var("RING_F_.*")
        .allowlist_var("SOCKET_ID_ANY")
        .allowlist_type("rte_eth_link")
        // Packed structs holding aligned ones: bindgen cannot lay them out.
        .opaque_type("rte_arp_hdr")
        .opaque_type("rte_arp_ipv4")
        .opaque_type("rte_l2tpv2_.*")
        .opaque_type("rte_gtp_.*")
        .opaque_type("rte_flow_item_.*")
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()));
    for f in FUNCTIONS {
        b = b.allowlist_function(f);
    }
    let bindings = b.generate().expect("bindgen over rte headers failed");
    bindings.write_to_file(out.join("bindings.rs")).expect("write bindings");

    let mut cc = cc::Build::new();
    cc.file(wrappers.with_extension("c")).file("src/shim.c").include(env::var("CARGO_MANIFEST_DIR").unwrap()).include("src").warnings(false);
    for p in &dpdk.include_paths {
        cc.include(p);
    }
    for f in &cflags {
        if !f.starts_with("-I") {
            cc.flag(f);
        }
    }
    // `-include rte_config.h` comes as two words.
    cc.compile("dpdk_binding_wrappers");
}
