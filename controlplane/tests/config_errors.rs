//! Every class of configuration error says where (file:line:column), which key, and what
//! is wrong. Each test breaks one thing in a small written-out document and checks the
//! whole message a user would read.

use std::path::Path;

use controlplane::config::{parse, ConfigError};

/// Two ports and a default route; every test breaks it in one place.
const BASE: &str = r#"[dpdk]
no_huge = true

[[port]]
name = "access"
device = "net_af_packet0,iface=dpvpn-acc"
role = "access"
addresses = ["192.0.2.1/24"]

[[port]]
name = "uplink"
device = "net_af_packet1,iface=dpvpn-up"
role = "uplink"
addresses = ["198.51.100.1/24"]

[[route]]
prefix = "0.0.0.0/0"
via = "198.51.100.2"
"#;

/// `BASE` with `from` (which occurs exactly once) replaced by `to`.
fn base_with(from: &str, to: &str) -> String {
    assert_eq!(
        BASE.matches(from).count(),
        1,
        "{from:?} must occur once in BASE"
    );
    BASE.replace(from, to)
}

fn error(text: &str) -> ConfigError {
    match parse(text, Path::new("configs/bad.toml")) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e,
    }
}

/// The message as displayed, and the same facts in the error's fields.
fn check(text: &str, (line, column): (usize, usize), key: &str, displayed: &str) {
    let e = error(text);
    assert_eq!(e.to_string(), displayed);
    assert_eq!(e.file, Path::new("configs/bad.toml"));
    assert_eq!(
        (e.line, e.column, e.key.as_str()),
        (line, column, key),
        "{e}"
    );
}

#[test]
fn base_is_valid() {
    parse(BASE, Path::new("base.toml")).unwrap();
}

#[test]
fn toml_syntax_error() {
    check(
        &base_with("role = \"uplink\"", "role = \"uplink"),
        (13, 15),
        "port[1].role",
        "configs/bad.toml:13:15: port[1].role: invalid basic string",
    );
    check(
        &base_with("no_huge = true", "no_huge = true true"),
        (2, 16),
        "dpdk.no_huge",
        "configs/bad.toml:2:16: dpdk.no_huge: expected newline, `#`",
    );
}

#[test]
fn unknown_key() {
    check(
        &base_with(
            "addresses = [\"192.0.2.1/24\"]",
            "adresses = [\"192.0.2.1/24\"]",
        ),
        (8, 1),
        "port[0].adresses",
        "configs/bad.toml:8:1: port[0].adresses: unknown key `adresses`, expected one of \
         `name`, `device`, `role`, `addresses`, `mtu`, `mac` (did you mean `addresses`?)",
    );
}

#[test]
fn wrong_type() {
    check(
        &base_with("name = \"uplink\"", "name = \"uplink\"\nmtu = \"1500\""),
        (12, 7),
        "port[1].mtu",
        "configs/bad.toml:12:7: port[1].mtu: invalid type: string \"1500\", expected an integer",
    );
    check(
        &base_with("no_huge = true", "no_huge = 1"),
        (2, 11),
        "dpdk.no_huge",
        "configs/bad.toml:2:11: dpdk.no_huge: invalid type: integer `1`, expected a boolean",
    );
}

#[test]
fn missing_required_key() {
    check(
        &base_with("role = \"uplink\"\n", ""),
        (10, 1),
        "port[1]",
        "configs/bad.toml:10:1: port[1]: missing key `role`",
    );
}

#[test]
fn bad_prefix() {
    check(
        &base_with("198.51.100.1/24", "198.51.100.1/33"),
        (14, 14),
        "port[1].addresses[0]",
        "configs/bad.toml:14:14: port[1].addresses[0]: \"198.51.100.1/33\" is not an IPv4 prefix \
         (prefix length 33 > 32)",
    );
    check(
        &base_with("198.51.100.1/24", "198.51.100.1"),
        (14, 14),
        "port[1].addresses[0]",
        "configs/bad.toml:14:14: port[1].addresses[0]: \"198.51.100.1\" is not an IPv4 prefix: \
         write address/length, e.g. 192.0.2.1/24",
    );
    check(
        &base_with("0.0.0.0/0", "0.0.0.256/0"),
        (17, 10),
        "route[0].prefix",
        "configs/bad.toml:17:10: route[0].prefix: \"0.0.0.256/0\" is not an IPv4 prefix \
         (\"0.0.0.256\" is not an IPv4 address)",
    );
}

#[test]
fn host_bits_set() {
    check(
        &base_with("0.0.0.0/0", "10.1.0.0/8"),
        (17, 10),
        "route[0].prefix",
        "configs/bad.toml:17:10: route[0].prefix: \"10.1.0.0/8\" has host bits set: 0.1.0.0 lies \
         outside the /8 mask (the network is 10.0.0.0/8)",
    );
}

#[test]
fn duplicate_port_name() {
    check(
        &base_with("name = \"uplink\"", "name = \"access\""),
        (11, 8),
        "port[1].name",
        "configs/bad.toml:11:8: port[1].name: port name \"access\" is already used by port[0] (line 5)",
    );
}

#[test]
fn duplicate_device() {
    check(
        &base_with(
            "net_af_packet1,iface=dpvpn-up",
            "net_af_packet0,iface=dpvpn-up",
        ),
        (12, 10),
        "port[1].device",
        "configs/bad.toml:12:10: port[1].device: device \"net_af_packet0\" is already used by \
         port[0] \"access\" (line 6)",
    );
    // The same PCI function written two ways.
    let two_pci = base_with("net_af_packet0,iface=dpvpn-acc", "0000:03:00.1")
        .replace("net_af_packet1,iface=dpvpn-up", "03:00.1");
    check(
        &two_pci,
        (12, 10),
        "port[1].device",
        "configs/bad.toml:12:10: port[1].device: device \"0000:03:00.1\" is already used by \
         port[0] \"access\" (line 6)",
    );
}

#[test]
fn overlapping_addresses_between_ports() {
    check(
        &base_with("198.51.100.1/24", "192.0.2.129/25"),
        (14, 14),
        "port[1].addresses[0]",
        "configs/bad.toml:14:14: port[1].addresses[0]: 192.0.2.129/25 overlaps 192.0.2.1/24 of \
         port \"access\" (port[0].addresses[0], line 8): the connected prefixes 192.0.2.128/25 and \
         192.0.2.0/24 share addresses",
    );
}

#[test]
fn route_via_unreachable_next_hop() {
    check(
        &base_with("198.51.100.2", "203.0.113.1"),
        (18, 7),
        "route[0].via",
        "configs/bad.toml:18:7: route[0].via: next hop 203.0.113.1 is not inside any port's \
         connected prefix (192.0.2.0/24 on \"access\", 198.51.100.0/24 on \"uplink\"); a next hop \
         must be directly reachable",
    );
}

#[test]
fn route_naming_unknown_port() {
    check(
        &base_with("via = \"198.51.100.2\"", "port = \"wan\""),
        (18, 8),
        "route[0].port",
        "configs/bad.toml:18:8: route[0].port: no port is named \"wan\" (the ports are \"access\", \"uplink\")",
    );
}

#[test]
fn duplicate_route_names_both_lines() {
    let text = format!("{BASE}\n[[route]]\nprefix = \"0.0.0.0/0\"\nblackhole = true\n");
    check(
        &text,
        (21, 10),
        "route[1].prefix",
        "configs/bad.toml:21:10: route[1].prefix: 0.0.0.0/0 is routed twice: here (line 21) and \
         by route[0] (line 17)",
    );
}

#[test]
fn bad_mtu() {
    check(
        &base_with("name = \"uplink\"", "name = \"uplink\"\nmtu = 9601"),
        (12, 7),
        "port[1].mtu",
        "configs/bad.toml:12:7: port[1].mtu: 9601 is too large (the range is 68..=9600)",
    );
}

#[test]
fn bad_mac() {
    check(
        &base_with(
            "name = \"uplink\"",
            "name = \"uplink\"\nmac = \"02:00:00:00:00\"",
        ),
        (12, 7),
        "port[1].mac",
        "configs/bad.toml:12:7: port[1].mac: \"02:00:00:00:00\" is not a MAC address (six hex \
         pairs like 02:00:00:00:00:01)",
    );
    check(
        &base_with(
            "name = \"uplink\"",
            "name = \"uplink\"\nmac = \"01:00:5e:00:00:01\"",
        ),
        (12, 7),
        "port[1].mac",
        "configs/bad.toml:12:7: port[1].mac: \"01:00:5e:00:00:01\" is a multicast MAC address \
         (lowest bit of the first byte set); a unicast one is needed",
    );
}

#[test]
fn burst_zero() {
    check(
        &base_with("no_huge = true", "burst = 0"),
        (2, 9),
        "dpdk.burst",
        "configs/bad.toml:2:9: dpdk.burst: 0 is too small (the range is 1..=64)",
    );
}

#[test]
fn mbufs_too_small() {
    check(
        &base_with("no_huge = true", "mbufs = 1000"),
        (2, 9),
        "dpdk.mbufs",
        "configs/bad.toml:2:9: dpdk.mbufs: 1000 is too small (the range is 1024..=67108864)",
    );
}

#[test]
fn rx_desc_not_a_power_of_two() {
    check(
        &base_with("no_huge = true", "rx_desc = 1000"),
        (2, 11),
        "dpdk.rx_desc",
        "configs/bad.toml:2:11: dpdk.rx_desc: 1000 is not a power of two (e.g. 512 or 1024)",
    );
}

#[test]
fn no_ports() {
    check(
        "[dpdk]\nno_huge = true\n",
        (3, 1),
        "port",
        "configs/bad.toml:3:1: port: no [[port]] table: dpvpn needs at least one port",
    );
}

#[test]
fn unreadable_file() {
    let e = controlplane::config::load(Path::new("/nonexistent/dpvpn.toml")).unwrap_err();
    assert_eq!((e.line, e.column), (0, 0));
    assert_eq!(
        e.to_string(),
        "cannot read /nonexistent/dpvpn.toml: No such file or directory (os error 2)"
    );
}

/// `BASE` plus a PPPoE section and a pool, for the access-concentrator errors.
fn with_pppoe(pppoe: &str, pool: &str) -> String {
    format!("{BASE}\n[pppoe]\nusers_file = \"users.txt\"\n{pppoe}\n[[pool]]\nname = \"lab\"\n{pool}\n")
}

#[test]
fn pppoe_and_pool_errors_name_the_key() {
    let ok = with_pppoe("", "ranges = [\"100.64.0.0/12\"]");
    parse(&ok, Path::new("configs/bad.toml")).expect("valid");
    let line = |doc: &str, needle: &str| doc.lines().position(|l| l.contains(needle)).unwrap() + 1;

    let doc = with_pppoe("auth = [\"chap\", \"mschap\"]", "ranges = [\"100.64.0.0/12\"]");
    let e = error(&doc);
    assert_eq!((e.line, e.key.as_str()), (line(&doc, "mschap"), "pppoe.auth[1]"));
    assert!(e.message.contains("\"mschap\" is not an authentication method"), "{e}");

    let doc = with_pppoe("mru = 1500", "ranges = [\"100.64.0.0/12\"]");
    let e = error(&doc);
    assert_eq!(e.key, "pppoe.mru");
    assert!(e.message.contains("1500 is too large (the range is 576..=1492)"), "{e}");

    let doc = with_pppoe("pool = \"nope\"", "ranges = [\"100.64.0.0/12\"]");
    let e = error(&doc);
    assert_eq!(e.key, "pppoe.pool");
    assert!(e.message.contains("no [[pool]] named \"nope\" (pools: lab)"), "{e}");

    let doc = with_pppoe("dns = [\"1.1.1.1\", \"8.8.8.8\", \"9.9.9.9\"]", "ranges = [\"100.64.0.0/12\"]");
    assert_eq!(error(&doc).key, "pppoe.dns[2]");

    let doc = with_pppoe("mss_clamp = 1460", "ranges = [\"100.64.0.0/12\"]");
    let e = error(&doc);
    assert_eq!(e.key, "pppoe.mss_clamp");
    assert!(e.message.contains("(the range is 536..=1452)"), "{e}");

    let doc = with_pppoe("ppp_max_payload = true", "ranges = [\"100.64.0.0/12\"]");
    assert!(error(&doc).message.contains("MTU of at least 1508"));

    let doc = with_pppoe("", "ranges = [\"100.64.0.0/33\"]");
    let e = error(&doc);
    assert_eq!((e.line, e.key.as_str()), (line(&doc, "/33"), "pool[0].ranges[0]"));

    let doc = with_pppoe("", "ranges = []");
    assert!(error(&doc).message.contains("at least one range"));

    let doc = format!("{}\n[[pool]]\nname = \"other\"\nranges = [\"100.70.0.0/16\"]\n", with_pppoe("", "ranges = [\"100.64.0.0/12\"]"));
    let e = error(&doc);
    assert_eq!(e.key, "pool[1]");
    assert!(e.message.contains("lab") && e.message.contains("other"), "overlap names both pools: {e}");

    let doc = with_pppoe("", "ranges = [\"100.64.0.0/12\"]").replace("role = \"access\"", "role = \"uplink\"");
    let e = error(&doc);
    assert_eq!(e.key, "pppoe");
    assert!(e.message.contains("role = \"access\""), "{e}");
}
