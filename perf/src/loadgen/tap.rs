//! The kernel side of `--tap NAME`: the interface DPDK's `net_tap` creates in the load
//! generator's namespace carries the kernel's IPv4 (ping, iperf3) through the first
//! PPPoE session.
//!
//! When that session is up the interface gets its address (/32), MTU 1492 (the PPPoE
//! MRU, RFC 2516 §7) and the namespace's default route goes via [`TAP_GATEWAY`] on it
//! (`onlink`: the load generator answers ARP for it). The default route that was there
//! (the lab's `sub` namespace has one via 192.0.2.1) is saved and put back when the
//! session goes down or the load generator exits. Run with `ip`, at session changes
//! only, never per packet.

use std::net::Ipv4Addr;
use std::process::Command;

use super::emulator::TAP_GATEWAY;

/// The PPPoE MRU: what an IPv4 datagram in a session may be.
pub const TAP_MTU: u16 = 1492;

fn ip(args: &[&str]) -> Result<String, String> {
    let out = Command::new("ip").args(args).output().map_err(|e| format!("cannot run `ip {}`: {e}", args.join(" ")))?;
    if !out.status.success() {
        return Err(format!("`ip {}` failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The tap interface's kernel configuration; undone on drop.
pub struct TapKernel {
    ifname: String,
    address: Option<Ipv4Addr>,
    /// The default route found before ours (`ip route` words), put back afterwards.
    saved_default: Option<Vec<String>>,
    routed: bool,
}

impl TapKernel {
    pub fn new(ifname: &str) -> TapKernel {
        TapKernel { ifname: ifname.to_string(), address: None, saved_default: None, routed: false }
    }

    /// The session is up with `address`: give the interface that address and route the
    /// namespace's traffic through it.
    pub fn up(&mut self, address: Ipv4Addr) -> Result<(), String> {
        let dev = self.ifname.clone();
        let _ = Command::new("sysctl").args(["-qw", &format!("net.ipv6.conf.{dev}.disable_ipv6=1")]).output();
        ip(&["link", "set", "dev", &dev, "mtu", &TAP_MTU.to_string(), "up"])?;
        if let Some(old) = self.address.filter(|a| *a != address) {
            let _ = ip(&["addr", "del", &format!("{old}/32"), "dev", &dev]);
        }
        ip(&["addr", "replace", &format!("{address}/32"), "dev", &dev])?;
        self.address = Some(address);
        if self.saved_default.is_none() {
            let current = ip(&["-4", "route", "show", "default"])?;
            let words: Vec<String> =
                current.lines().next().unwrap_or("").split_whitespace().map(String::from).collect();
            if !words.is_empty() && !words.contains(&dev) {
                self.saved_default = Some(words);
            }
        }
        ip(&[
            "route",
            "replace",
            "default",
            "via",
            &TAP_GATEWAY.to_string(),
            "dev",
            &dev,
            "onlink",
            "src",
            &address.to_string(),
        ])?;
        self.routed = true;
        eprintln!(
            "dpvpn-loadgen: tap {dev}: {address}/32, mtu {TAP_MTU}, default route via {TAP_GATEWAY} (was: {})",
            self.saved_default.as_ref().map(|w| w.join(" ")).unwrap_or_else(|| "none".into())
        );
        Ok(())
    }

    /// The session is down: address and route off, the old default route back.
    pub fn down(&mut self) {
        let dev = self.ifname.clone();
        if self.routed {
            let _ = ip(&["route", "del", "default", "dev", &dev]);
            self.routed = false;
        }
        if let Some(words) = &self.saved_default {
            let mut args = vec!["route", "replace"];
            args.extend(words.iter().map(String::as_str));
            if let Err(e) = ip(&args) {
                eprintln!("dpvpn-loadgen: tap {dev}: cannot restore the default route: {e}");
            }
        }
        if let Some(a) = self.address.take() {
            let _ = ip(&["addr", "del", &format!("{a}/32"), "dev", &dev]);
        }
    }
}

impl Drop for TapKernel {
    fn drop(&mut self) {
        self.down();
    }
}
