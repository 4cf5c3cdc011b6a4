//! Host-kernel side of the exception path: the tap interface DPDK's `net_tap` creates.
//!
//! dpvpn gives the tap its data-port addresses (so kernel services — the PPTP listener,
//! SSH, ping — answer on them), and a policy rule so that whatever the kernel sends
//! *from* one of those addresses leaves through the tap even when the host's main
//! table says otherwise (the host keeps its own management routes). dpvpn answers the
//! kernel's ARP on the tap for every address (proxy ARP), so the kernel needs no other
//! routes. IPv6 is switched off on the tap: dpvpn does not route it yet.
//!
//! This runs once at start-up and once at shutdown, on the control core, with `ip` and
//! `sysctl`: nothing here is on a packet path.

use std::process::Command;

use crate::config::InterfaceAddress;

/// Routing table and rule priority dpvpn uses for traffic sourced from its addresses.
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

/// Configure the tap `ifname` with `addrs` and route traffic from them through it.
pub fn configure_tap(ifname: &str, addrs: &[InterfaceAddress], mtu: u16) -> Result<(), String> {
    let _ = run(&["sysctl", "-qw", &format!("net.ipv6.conf.{ifname}.disable_ipv6=1")]);
    let _ = run(&["sysctl", "-qw", &format!("net.ipv4.conf.{ifname}.rp_filter=0")]);
    run(&["ip", "link", "set", "dev", ifname, "mtu", &mtu.to_string()])?;
    run(&["ip", "link", "set", "dev", ifname, "up"])?;
    let table = TABLE.to_string();
    // A previous run that was killed may have left these behind.
    unconfigure_rules(addrs);
    for a in addrs {
        let cidr = format!("{}/{}", a.addr, a.len);
        run(&["ip", "addr", "replace", &cidr, "dev", ifname])?;
        run(&["ip", "rule", "add", "from", &a.addr.to_string(), "lookup", &table, "priority", &RULE_PRIORITY.to_string()])?;
    }
    run(&["ip", "route", "replace", "default", "dev", ifname, "table", &table])?;
    Ok(())
}

fn unconfigure_rules(addrs: &[InterfaceAddress]) {
    for a in addrs {
        while run(&["ip", "rule", "del", "from", &a.addr.to_string(), "lookup", &TABLE.to_string()]).is_ok() {}
    }
}

/// Remove what `configure_tap` added outside the tap itself (the tap goes away with
/// the process).
pub fn unconfigure_tap(addrs: &[InterfaceAddress]) {
    unconfigure_rules(addrs);
    let _ = run(&["ip", "route", "flush", "table", &TABLE.to_string()]);
}
