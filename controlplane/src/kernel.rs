//! Host-kernel side of the exception path: the tap interface DPDK's `net_tap` creates.
//!
//! dpvpn gives the tap its data-port addresses, so kernel services (the PPTP listener,
//! SSH, ping) answer on them, and answers the kernel's ARP on the tap for every address
//! (proxy ARP), so the kernel needs no routes of its own beyond "everything via the tap".
//! IPv6 is switched off on the tap: dpvpn does not route it yet.
//!
//! Where the tap lives:
//! - `exception.netns = "NAME"` (recommended, and the lab's choice): the tap moves into
//!   that namespace (created if missing), which gets the addresses and a default route
//!   through the tap. dpvpn's addresses then never mix with the host's own network (on
//!   the lab machine the management network even uses the lab's prefix).
//! - no netns: the tap stays in dpvpn's namespace; a policy rule (table 4242) sends what
//!   the kernel sources from dpvpn's addresses through the tap, and the host's main
//!   table is left alone.
//!
//! This runs at start-up and shutdown on the control core, with `ip` and `sysctl`:
//! nothing here is on a packet path.

use std::process::Command;

use crate::config::InterfaceAddress;

/// Routing table and rule priority for traffic sourced from dpvpn's addresses (no netns).
pub const TABLE: u32 = 4242;
pub const RULE_PRIORITY: u32 = 4242;

fn run(args: &[&str]) -> Result<(), String> {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .map_err(|e| format!("cannot run `{}`: {e}", args.join(" ")))?;
    if !out.status.success() {
        return Err(format!("`{}` failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(())
}

/// `cmd` run inside `netns` when there is one.
fn in_ns<'a>(netns: Option<&'a str>, cmd: &[&'a str]) -> Vec<&'a str> {
    let mut v = Vec::new();
    if let Some(ns) = netns {
        v.extend_from_slice(&["ip", "netns", "exec", ns]);
    }
    v.extend_from_slice(cmd);
    v
}

/// Configure the tap `ifname` with `addrs` and route the kernel's traffic through it.
pub fn configure_tap(ifname: &str, netns: Option<&str>, addrs: &[InterfaceAddress], mtu: u16) -> Result<(), String> {
    if let Some(ns) = netns {
        if !std::path::Path::new("/run/netns").join(ns).exists() {
            run(&["ip", "netns", "add", ns])?;
        }
        run(&["ip", "link", "set", "dev", ifname, "netns", ns])?;
        run(&["ip", "-n", ns, "link", "set", "lo", "up"])?;
    }
    let v6 = format!("net.ipv6.conf.{ifname}.disable_ipv6=1");
    let _ = run(&in_ns(netns, &["sysctl", "-qw", &v6]));
    let rp = format!("net.ipv4.conf.{ifname}.rp_filter=0");
    let _ = run(&in_ns(netns, &["sysctl", "-qw", &rp]));
    let mtu = mtu.to_string();
    run(&in_ns(netns, &["ip", "link", "set", "dev", ifname, "mtu", &mtu]))?;
    run(&in_ns(netns, &["ip", "link", "set", "dev", ifname, "up"]))?;
    for a in addrs {
        let cidr = format!("{}/{}", a.addr, a.len);
        run(&in_ns(netns, &["ip", "addr", "replace", &cidr, "dev", ifname]))?;
    }
    match netns {
        Some(_) => run(&in_ns(netns, &["ip", "route", "replace", "default", "dev", ifname]))?,
        None => {
            let table = TABLE.to_string();
            unconfigure_rules(addrs);
            for a in addrs {
                let prio = RULE_PRIORITY.to_string();
                run(&["ip", "rule", "add", "from", &a.addr.to_string(), "lookup", &table, "priority", &prio])?;
            }
            run(&["ip", "route", "replace", "default", "dev", ifname, "table", &table])?;
        }
    }
    Ok(())
}

fn unconfigure_rules(addrs: &[InterfaceAddress]) {
    for a in addrs {
        while run(&["ip", "rule", "del", "from", &a.addr.to_string(), "lookup", &TABLE.to_string()]).is_ok() {}
    }
}

/// Remove what `configure_tap` added besides the tap itself (which goes away with the
/// process). A namespace dpvpn created stays: services may run in it.
pub fn unconfigure_tap(netns: Option<&str>, addrs: &[InterfaceAddress]) {
    if netns.is_none() {
        unconfigure_rules(addrs);
        let _ = run(&["ip", "route", "flush", "table", &TABLE.to_string()]);
    }
}

/// Whether the kernel has the tap up and running (operstate), as seen in its namespace.
pub fn tap_is_up(ifname: &str, netns: Option<&str>) -> Option<bool> {
    let out = Command::new("ip").args(in_ns(netns, &["ip", "-o", "link", "show", "dev", ifname])[1..].iter()).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let flags = text.split('<').nth(1)?.split('>').next()?;
    Some(flags.split(',').any(|f| f == "LOWER_UP") && flags.split(',').any(|f| f == "UP"))
}
