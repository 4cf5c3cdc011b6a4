//! What every worker reads: ports, FIB, adjacencies, neighbours, sessions.
//!
//! The control core builds [`Tables`] once at start-up and is the only writer of the
//! FIB, adjacency, neighbour and session tables afterwards (each documents its own update
//! protocol). The port table does not change while workers run.

use std::sync::Arc;

use crate::adjacency::AdjacencyTable;
use crate::fib::FibTable;
use crate::neighbour::NeighbourTable;
use crate::session::SessionTable;

/// Port ids index arrays directly (DPDK's RTE_MAX_ETHPORTS is 32).
pub const MAX_PORTS: usize = 32;
/// Interface addresses per port.
pub const MAX_ADDRS: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortRole {
    Access,
    Uplink,
    /// The kernel side of the exception path.
    Tap,
}

/// An interface address: `addr/len`, addresses in host order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct IfAddr {
    pub addr: u32,
    pub len: u8,
}

impl IfAddr {
    #[inline]
    pub fn mask(&self) -> u32 {
        if self.len == 0 {
            0
        } else {
            u32::MAX << (32 - self.len)
        }
    }
    #[inline]
    pub fn contains(&self, ip: u32) -> bool {
        (ip ^ self.addr) & self.mask() == 0
    }
    #[inline]
    pub fn broadcast(&self) -> u32 {
        self.addr | !self.mask()
    }
}

#[derive(Clone, Copy, Debug)]
pub struct PortEntry {
    pub present: bool,
    pub role: PortRole,
    pub mac: [u8; 6],
    pub mtu: u16,
    pub addrs: [IfAddr; MAX_ADDRS],
    pub n_addrs: u8,
}

impl PortEntry {
    pub const ABSENT: PortEntry = PortEntry {
        present: false,
        role: PortRole::Uplink,
        mac: [0; 6],
        mtu: 0,
        addrs: [IfAddr { addr: 0, len: 0 }; MAX_ADDRS],
        n_addrs: 0,
    };

    pub fn addrs(&self) -> &[IfAddr] {
        &self.addrs[..self.n_addrs as usize]
    }

    /// Is `ip` one of this port's own addresses?
    #[inline]
    pub fn owns(&self, ip: u32) -> bool {
        self.addrs().iter().any(|a| a.addr == ip)
    }

    /// The address to source ICMP errors from: the first one.
    #[inline]
    pub fn primary(&self) -> Option<u32> {
        self.addrs().first().map(|a| a.addr)
    }
}

pub struct Tables {
    pub ports: [PortEntry; MAX_PORTS],
    pub fib: Arc<FibTable>,
    pub adjacencies: Arc<AdjacencyTable>,
    pub neighbours: Arc<NeighbourTable>,
    /// Subscriber sessions and the PPPoE index.
    pub sessions: Arc<SessionTable>,
    /// The exception-path port to the kernel, if enabled.
    pub tap: Option<u16>,
    /// The MAC dpvpn answers ARP with on the tap (the kernel's "gateway").
    pub tap_gateway_mac: [u8; 6],
    /// Any primary address of ours, to source ICMP errors about packets from the kernel.
    pub router_id: u32,
}

impl Tables {
    #[inline]
    pub fn port(&self, id: u16) -> &PortEntry {
        match self.ports.get(id as usize) {
            Some(p) => p,
            None => &PortEntry::ABSENT,
        }
    }
}
