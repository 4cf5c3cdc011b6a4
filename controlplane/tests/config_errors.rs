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

/// `BASE` plus a PPPoE section (`pppoe`), its link profile `[ppp.default]` (`profile`)
/// and a pool (`pool`), for the access-concentrator and profile errors.
fn with_pppoe(pppoe: &str, profile: &str, pool: &str) -> String {
    format!(
        "{BASE}\n[pppoe]\nusers_file = \"users.txt\"\n{pppoe}\n[ppp.default]\n{profile}\n[[pool]]\nname = \"lab\"\n{pool}\n"
    )
}

const POOL: &str = "ranges = [\"100.64.0.0/12\"]";

/// Line and column (1-based) where `needle` first starts in `doc`.
fn at(doc: &str, needle: &str) -> (usize, usize) {
    let offset = doc.find(needle).unwrap_or_else(|| panic!("{needle:?} not in\n{doc}"));
    let before = &doc[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (before.matches('\n').count() + 1, before[line_start..].chars().count() + 1)
}

/// `check` with the place worked out from where `needle` is in `doc`.
fn check_at(doc: &str, needle: &str, key: &str, message: &str) {
    let (line, column) = at(doc, needle);
    check(doc, (line, column), key, &format!("configs/bad.toml:{line}:{column}: {key}: {message}"));
}

#[test]
fn pppoe_and_pool_errors_name_the_key() {
    let ok = with_pppoe("", "", POOL);
    parse(&ok, Path::new("configs/bad.toml")).expect("valid");
    let line = |doc: &str, needle: &str| doc.lines().position(|l| l.contains(needle)).unwrap() + 1;

    let doc = with_pppoe("", "auth = [\"chap\", \"mschap\"]", POOL);
    let e = error(&doc);
    assert_eq!((e.line, e.key.as_str()), (line(&doc, "mschap"), "ppp.default.auth[1]"));
    assert!(e.message.contains("\"mschap\" is not an authentication method"), "{e}");

    let doc = with_pppoe("", "pool = \"nope\"", POOL);
    let e = error(&doc);
    assert_eq!(e.key, "ppp.default.pool");
    assert!(e.message.contains("no [[pool]] named \"nope\" (pools: lab)"), "{e}");

    let doc = with_pppoe("", "dns = [\"1.1.1.1\", \"8.8.8.8\", \"9.9.9.9\"]", POOL);
    assert_eq!(error(&doc).key, "ppp.default.dns[2]");

    let doc = with_pppoe("", "mss_clamp = 1460", POOL);
    let e = error(&doc);
    assert_eq!(e.key, "ppp.default.mss_clamp");
    assert!(e.message.contains("(the range is 536..=1452)"), "{e}");

    let doc = with_pppoe("ppp_max_payload = true", "", POOL);
    assert!(error(&doc).message.contains("MTU of at least 1508"));

    let doc = with_pppoe("", "", "ranges = [\"100.64.0.0/33\"]");
    let e = error(&doc);
    assert_eq!((e.line, e.key.as_str()), (line(&doc, "/33"), "pool[0].ranges[0]"));

    let doc = with_pppoe("", "", "ranges = []");
    assert!(error(&doc).message.contains("at least one range"));

    let doc = format!("{}\n[[pool]]\nname = \"other\"\nranges = [\"100.70.0.0/16\"]\n", with_pppoe("", "", POOL));
    let e = error(&doc);
    assert_eq!(e.key, "pool[1]");
    assert!(e.message.contains("lab") && e.message.contains("other"), "overlap names both pools: {e}");

    let doc = with_pppoe("", "", POOL).replace("role = \"access\"", "role = \"uplink\"");
    let e = error(&doc);
    assert_eq!(e.key, "pppoe");
    assert!(e.message.contains("role = \"access\""), "{e}");
}

#[test]
fn a_key_that_moved_to_the_link_profile_is_refused_under_pppoe() {
    let doc = with_pppoe("mru = 1492", "", POOL);
    check_at(
        &doc,
        "mru = 1492",
        "pppoe.mru",
        "`mru` moved to the link profile: set it in the [ppp.NAME] table that pppoe.ppp names \
         (e.g. [ppp.default]), where every carrier's sessions find it",
    );
    for (key, value) in [
        ("mru", "1492"),
        ("auth", "[\"pap\"]"),
        ("echo_interval_s", "10"),
        ("echo_failures", "3"),
        ("echo_offload", "true"),
        ("mss_clamp", "1452"),
        ("gateway", "\"100.64.0.1\""),
        ("dns", "[\"198.51.100.53\"]"),
        ("pool", "\"lab\""),
    ] {
        let doc = with_pppoe(&format!("{key} = {value}"), "", POOL);
        let e = error(&doc);
        assert_eq!(e.key, format!("pppoe.{key}"), "{e}");
        assert_eq!((e.line, e.column), at(&doc, &format!("{key} = {value}\n")), "{e}");
        assert!(e.message.starts_with(&format!("`{key}` moved to the link profile")), "{e}");
    }
}

#[test]
fn pppoe_without_a_profile_says_to_add_one() {
    let doc = format!("{BASE}\n[pppoe]\nusers_file = \"users.txt\"\n\n[[pool]]\nname = \"lab\"\n{POOL}\n");
    check_at(
        &doc,
        "[pppoe]",
        "pppoe",
        "PPPoE sessions need a link profile: add a [ppp.NAME] table (e.g. [ppp.default] with mru, \
         auth, dns, pool; configs/example-full.toml shows every key)",
    );
}

#[test]
fn a_profile_name_that_is_not_defined_is_named_with_the_key_that_wants_it() {
    let doc = with_pppoe("ppp = \"business\"", "", POOL);
    check_at(
        &doc,
        "\"business\"",
        "pppoe.ppp",
        "no link profile [ppp.business] is defined (profiles: default)",
    );
}

#[test]
fn several_profiles_need_pppoe_to_name_one_and_unused_ones_are_fine() {
    let two = format!("{}\n[ppp.business]\nmru = 1400\n", with_pppoe("", "", POOL));
    check_at(
        &two,
        "[pppoe]",
        "pppoe.ppp",
        "2 link profiles (default, business): name the one PPPoE sessions use, e.g. ppp = \"default\"",
    );
    let c = parse(&two.replace("users_file", "ppp = \"business\"\nusers_file"), Path::new("t.toml")).unwrap();
    assert_eq!(c.pppoe.unwrap().ppp, "business");
    assert_eq!(c.ppp.len(), 2, "the unused profile is kept");
    // Profiles without any carrier are fine too.
    let c = parse(&format!("{BASE}\n[ppp.spare]\n\n[[pool]]\nname = \"lab\"\n{POOL}\n"), Path::new("t.toml")).unwrap();
    assert!(c.pppoe.is_none());
    assert_eq!(c.ppp[0].name, "spare");
}

#[test]
fn an_mru_pppoe_cannot_carry_names_the_profile_and_the_pppoe_key() {
    let doc = with_pppoe("", "mru = 1500", POOL);
    check_at(
        &doc,
        "1500",
        "ppp.default.mru",
        "1500 is more than PPPoE carries without RFC 4638 (1492, RFC 2516 §7), and [pppoe] uses this \
         profile with pppoe.ppp_max_payload = false: lower mru to 1492 or set pppoe.ppp_max_payload = true",
    );
    // With PPP-Max-Payload (and an access port that can carry it) the carrier caps it per
    // session instead.
    let doc = with_pppoe("ppp_max_payload = true", "mru = 1500", POOL)
        .replace("role = \"access\"", "role = \"access\"\nmtu = 1508");
    let c = parse(&doc, Path::new("t.toml")).unwrap();
    assert_eq!((c.ppp[0].mru, c.ppp[0].mss_clamp), (1500, Some(1460)));
    assert!(c.pppoe.unwrap().ppp_max_payload);
}

#[test]
fn profile_values_out_of_range_say_the_range() {
    for (profile, key, message) in [
        ("mru = 67", "ppp.default.mru", "67 is too small (the range is 68..=65535)"),
        ("mru = 65536", "ppp.default.mru", "65536 is too large (the range is 68..=65535)"),
        ("echo_interval_s = 3601", "ppp.default.echo_interval_s", "3601 is too large (the range is 0..=3600)"),
        ("echo_failures = 0", "ppp.default.echo_failures", "0 is too small (the range is 1..=100)"),
        (
            "idle_timeout_s = -1",
            "ppp.default.idle_timeout_s",
            "-1 is too small (the range is 0..=4294967295)",
        ),
        (
            "session_timeout_s = 4294967296",
            "ppp.default.session_timeout_s",
            "4294967296 is too large (the range is 0..=4294967295)",
        ),
        ("mss_clamp = 535", "ppp.default.mss_clamp", "535 is too small (the range is 536..=1452)"),
        ("max_auth_attempts = 0", "ppp.default.max_auth_attempts", "0 is too small (the range is 1..=5)"),
        ("max_auth_attempts = 6", "ppp.default.max_auth_attempts", "6 is too large (the range is 1..=5)"),
    ] {
        let doc = with_pppoe("", profile, POOL);
        // The value's place: after `KEY = `.
        let (line, column) = at(&doc, profile);
        let column = column + profile.find(" = ").unwrap() + 3;
        check(&doc, (line, column), key, &format!("configs/bad.toml:{line}:{column}: {key}: {message}"));
    }
}

#[test]
fn profile_authentication_methods() {
    let doc = with_pppoe("", "auth = [\"mschapv2\", \"chap\", \"eap\"]", POOL);
    check_at(
        &doc,
        "\"eap\"",
        "ppp.default.auth[2]",
        "\"eap\" is not an authentication method: \"mschapv2\", \"chap\" or \"pap\"",
    );
    let doc = with_pppoe("", "auth = [\"chap\", \"chap-md5\"]", POOL);
    check_at(&doc, "\"chap-md5\"", "ppp.default.auth[1]", "\"chap-md5\" is listed twice");
    let doc = with_pppoe("", "auth = []", POOL);
    check_at(
        &doc,
        "[]",
        "ppp.default.auth",
        "offer at least one method, e.g. [\"mschapv2\", \"chap\", \"pap\"]",
    );
}

#[test]
fn profile_addresses() {
    let doc = with_pppoe("", "dns = [\"198.51.100.53\", \"198.51.100.54\", \"198.51.100.55\"]", POOL);
    check_at(&doc, "\"198.51.100.55\"", "ppp.default.dns[2]", "IPCP hands out two DNS servers at most (RFC 1877)");
    let doc = with_pppoe("", "dns = [\"198.51.100.300\"]", POOL);
    check_at(&doc, "\"198.51.100.300\"", "ppp.default.dns[0]", "\"198.51.100.300\" is not an IPv4 address");
    let doc = with_pppoe("", "nbns = [\"192.0.2.9\", \"192.0.2.10\", \"192.0.2.11\"]", POOL);
    check_at(&doc, "\"192.0.2.11\"", "ppp.default.nbns[2]", "IPCP hands out two NBNS servers at most (RFC 1877)");
    let doc = with_pppoe("", "gateway = \"224.0.0.1\"", POOL);
    check_at(&doc, "\"224.0.0.1\"", "ppp.default.gateway", "224.0.0.1 is not a unicast address");
    // The default gateway is the first access port's address; without one it must be set.
    let doc = with_pppoe("", "", POOL).replace("addresses = [\"192.0.2.1/24\"]\n", "");
    check_at(
        &doc,
        "default]",
        "ppp.default.gateway",
        "no access port has an address to use as the subscribers' gateway: set ppp.default.gateway",
    );
    let doc = with_pppoe("", "pool = \"business\"", POOL);
    check_at(&doc, "\"business\"", "ppp.default.pool", "no [[pool]] named \"business\" (pools: lab)");
    let doc = format!("{BASE}\n[ppp.default]\n");
    check_at(
        &doc,
        "default]",
        "ppp.default.pool",
        "no [[pool]] to hand out addresses from: add a [[pool]] table (a profile's pool defaults to the first)",
    );
}

#[test]
fn profile_names_and_shapes() {
    let doc = format!("{BASE}\n[ppp.\"dial up\"]\n\n[[pool]]\nname = \"lab\"\n{POOL}\n");
    check_at(
        &doc,
        "\"dial up\"",
        "ppp.\"dial up\"",
        "\"dial up\" is not a link profile name (1 to 32 letters, digits, `_`, `-`)",
    );
    let long = "p".repeat(33);
    let doc = format!("{BASE}\n[ppp.{long}]\n\n[[pool]]\nname = \"lab\"\n{POOL}\n");
    assert_eq!(error(&doc).key, format!("ppp.{long}"));
    let doc = format!("{BASE}\n[[ppp]]\nmru = 1492\n");
    check_at(
        &doc,
        "[[ppp]]",
        "ppp",
        "`ppp` is an array here; link profiles are named tables: write [ppp.NAME], e.g. [ppp.default]",
    );
    let doc = format!("{BASE}\n[ppp]\nmru = 1492\n");
    check_at(&doc, "1492", "ppp.mru", "invalid type: integer `1492`, expected a link profile table [ppp.NAME]");
    let doc = with_pppoe("", "mtu = 1492", POOL);
    let e = error(&doc);
    assert_eq!((e.line, e.column, e.key.as_str()), (at(&doc, "mtu = 1492").0, 1, "ppp.default.mtu"), "{e}");
    assert!(e.message.starts_with("unknown key `mtu`, expected one of `mru`, "), "{e}");
    assert!(e.message.ends_with("(did you mean `mru`?)"), "{e}");
}

/// Keys a profile parses but nothing acts on yet: refused with the work that will, so no
/// setting is silently ignored.
#[test]
fn profile_keys_nothing_acts_on_yet_are_refused() {
    // The timeouts, NBNS and MS-CHAPv2 retries work (the PPP link and subscriber manager).
    for line in ["idle_timeout_s = 600", "session_timeout_s = 3600", "nbns = [\"192.0.2.9\"]", "max_auth_attempts = 3"] {
        let doc = with_pppoe("", line, POOL);
        controlplane::config::parse(&doc, std::path::Path::new("t.toml")).unwrap_or_else(|e| panic!("{line}: {e}"));
    }
    for (line, key, why) in [
        ("accm = true", "accm", "L2TP and PPTP"),
        ("acfc = false", "acfc", "L2TP and PPTP"),
        ("pfc = true", "pfc", "L2TP and PPTP"),
    ] {
        let doc = with_pppoe("", line, POOL);
        let e = error(&doc);
        assert_eq!(e.key, format!("ppp.default.{key}"), "{e}");
        assert_eq!(e.line, at(&doc, line).0, "{e}");
        assert!(e.message.starts_with("not implemented yet: ") && e.message.contains(why), "{e}");
        assert!(e.message.ends_with(&format!("leave `{key}` out until then")), "{e}");
    }
    // What they would hold is checked all the same.
    let doc = with_pppoe("", "nbns = [\"0.0.0.0\"]", POOL);
    check_at(&doc, "\"0.0.0.0\"", "ppp.default.nbns[0]", "0.0.0.0 is not a unicast address");
}
