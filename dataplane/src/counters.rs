//! Per-worker counters: packet counts and one counter per named drop reason.
//!
//! Each worker owns one [`WorkerCounters`] (cache-line aligned, never shared for
//! writing). The owner bumps a counter with a relaxed load + store, which compiles to
//! a plain add, not a locked instruction; readers (the control core, management,
//! telemetry) load with `Relaxed` and sum over workers. A reader may see a value a
//! few packets old, never a torn one (64-bit aligned atomics).

use core::sync::atomic::{AtomicU64, Ordering};

macro_rules! counters {
    ($(#[$m:meta])* $vis:vis enum $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        $vis enum $name { $($(#[$vm])* $variant,)* }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];
            pub const COUNT: usize = [$($text,)*].len();
            /// The name used in metrics and `dpvpnctl show stats`.
            pub const fn name(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }
        }
    };
}

counters! {
    /// Why a packet was dropped. Every drop in a worker names one of these.
    pub enum DropReason {
        /// Shorter than an Ethernet header, or a header it claims.
        Runt = "runt",
        /// Chained mbuf: dpvpn's ports are sized so a frame fits one segment.
        MultiSegment = "multi_segment",
        /// Unicast to a MAC that is not the receiving port's (promiscuous ports see these).
        NotForUs = "not_for_us",
        /// EtherType no stage handles.
        UnknownEthertype = "unknown_ethertype",
        /// A VLAN tag on a port with no VLAN configured, or more than two tags.
        VlanUnknown = "vlan_unknown",
        /// ARP that is not Ethernet/IPv4 or is cut short.
        ArpMalformed = "arp_malformed",
        /// ARP about addresses that are not ours and not our neighbours'.
        ArpNotForUs = "arp_not_for_us",
        /// IPv4 header shorter than its IHL or the frame shorter than total length.
        Ip4Truncated = "ip4_truncated",
        Ip4BadVersion = "ip4_bad_version",
        Ip4BadHeaderLength = "ip4_bad_header_length",
        Ip4BadChecksum = "ip4_bad_checksum",
        /// Total length smaller than the header.
        Ip4BadLength = "ip4_bad_length",
        /// Source address that may not appear on the wire (RFC 1812 §5.3.7).
        Ip4MartianSource = "ip4_martian_source",
        /// Destination that may not be forwarded (0/8, 127/8, class E, limited broadcast).
        Ip4MartianDestination = "ip4_martian_destination",
        /// TTL ran out; an ICMP time-exceeded was sent (or rate-limited).
        TtlExpired = "ttl_expired",
        NoRoute = "no_route",
        Blackhole = "blackhole",
        /// Larger than the egress MTU without DF (dpvpn does not fragment).
        MtuExceeded = "mtu_exceeded",
        /// Larger than the egress MTU with DF: an ICMP fragmentation-needed was sent.
        FragmentationNeeded = "fragmentation_needed",
        /// The punt ring to the control core was full.
        PuntRingFull = "punt_ring_full",
        /// The NIC did not take the packet.
        TxFull = "tx_full",
        /// What the kernel sent that dpvpn does not route (IPv6, unknown EtherType).
        ExceptionUnsupported = "exception_unsupported",
        /// To one of our addresses, but the exception path is disabled.
        NoExceptionPath = "no_exception_path",
        /// Packet to a neighbour the control core could not take for resolution.
        NeighbourMiss = "neighbour_miss",
        /// A frame for an adjacency that is not (or no longer) valid.
        AdjacencyInvalid = "adjacency_invalid",
        /// PPPoE on a port that is not an access port.
        PppoeNotAccessPort = "pppoe_not_access_port",
        /// PPPoE header cut short, VER/TYPE not 1, or LENGTH past the frame (RFC 2516 §4).
        PppoeBadHeader = "pppoe_bad_header",
        /// EtherType 0x8864 with a CODE other than 0x00 (RFC 2516 §4).
        PppoeNotSession = "pppoe_not_session",
        /// A session frame for no session we have (port, VLANs, MAC, session id).
        PppoeNoSession = "pppoe_no_session",
        /// Discovery frames over the per-worker rate limit (a PADI storm).
        PppoeDiscoveryRateLimited = "pppoe_discovery_rate_limited",
        /// PPP frame without a whole Protocol field.
        PppTruncated = "ppp_truncated",
        /// A network-layer packet for a protocol whose NCP is not Opened: silently
        /// discarded (RFC 1661 §3.4).
        PppProtocolNotOpen = "ppp_protocol_not_open",
        /// IPv4 from a session with a source address that is not the session's.
        PppSourceSpoofed = "ppp_source_spoofed",
        /// PPP control frames over the per-worker punt rate limit.
        PppControlRateLimited = "ppp_control_rate_limited",
        /// Routed to a session that is gone or whose IPCP is not open, or a PPP frame of a
        /// session that went between its carrier's lookup and `ppp_input`.
        SessionDown = "session_down",
        /// A packet left the stages without a verdict: a bug, counted rather than leaked.
        Internal = "internal",
    }
}

counters! {
    /// What a worker did, besides dropping.
    pub enum Count {
        RxPackets = "rx_packets",
        RxBytes = "rx_bytes",
        TxPackets = "tx_packets",
        TxBytes = "tx_bytes",
        Forwarded = "forwarded",
        ToKernel = "to_kernel",
        FromKernel = "from_kernel",
        Punted = "punted",
        ArpReplies = "arp_replies",
        /// ICMP errors sent (time exceeded, unreachable, fragmentation needed).
        IcmpErrors = "icmp_errors",
        /// ICMP errors not sent because of the rate limit (RFC 1812 §4.3.2.8).
        IcmpRateLimited = "icmp_rate_limited",
        /// ICMP errors not sent because RFC 1812 §4.3.2.7 forbids them (about an ICMP
        /// error, a non-initial fragment, a martian or link-broadcast source).
        IcmpSuppressed = "icmp_suppressed",
        ControlTx = "control_tx",
        /// PPPoE session frames from subscribers decapsulated.
        PppoeDecap = "pppoe_decap",
        /// IPv4 packets encapsulated towards PPPoE subscribers.
        PppoeEncap = "pppoe_encap",
        /// IPv4 packets from L2TP sessions' PPP decapsulated.
        L2tpDecap = "l2tp_decap",
        /// IPv4 packets encapsulated towards L2TP sessions.
        L2tpEncap = "l2tp_encap",
        /// IPv4 packets from PPTP calls' PPP decapsulated.
        PptpDecap = "pptp_decap",
        /// IPv4 packets encapsulated towards PPTP calls.
        PptpEncap = "pptp_encap",
        /// LCP Echo-Requests answered by the worker.
        LcpEchoReplies = "lcp_echo_replies",
        /// TCP SYNs whose MSS option was clamped.
        MssClamped = "mss_clamped",
        Loops = "loops",
        BusyLoops = "busy_loops",
        /// Bursts whose cycles were measured per stage ([`Clock`]).
        SampledBursts = "sampled_bursts",
        /// Sampled bursts left out of the stage clocks because they took implausibly
        /// long (the worker was interrupted: preempted, or a page fault).
        SampledBurstsDiscarded = "sampled_bursts_discarded",
    }
}

counters! {
    /// Where a worker's cycles go, measured on sampled bursts (VPP's "clocks per node"):
    /// the driver's RX, each stage, and handing the verdicts out (TX buffers, the NIC's
    /// TX burst when a buffer fills, the punt ring, freeing).
    pub enum Clock {
        Rx = "rx",
        /// The prefetch passes over a burst (only with big session tables).
        Prefetch = "prefetch",
        EthInput = "eth_input",
        PppoeInput = "pppoe_input",
        /// PPP frames of every carrier: demux, anti-spoofing, echo replies, punts.
        PppInput = "ppp_input",
        ArpInput = "arp_input",
        Ip4Input = "ip4_input",
        IcmpError = "icmp_error",
        ToKernel = "to_kernel",
        Ip4Rewrite = "ip4_rewrite",
        SessionEncap = "session_encap",
        Tx = "tx",
    }
}

/// The stage clocks of one sampled burst, before they are added to the worker's
/// counters (a burst the scheduler interrupted is better left out than averaged in).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StageClocks {
    pub cycles: [u64; Clock::COUNT],
    pub packets: [u64; Clock::COUNT],
}

impl StageClocks {
    #[inline]
    pub fn add(&mut self, c: Clock, cycles: u64, packets: u64) {
        self.cycles[c as usize] = self.cycles[c as usize].wrapping_add(cycles);
        self.packets[c as usize] += packets;
    }

    pub fn total_cycles(&self) -> u64 {
        self.cycles.iter().fold(0u64, |a, &c| a.wrapping_add(c))
    }
}

/// One worker's counters. Only its owner writes.
#[repr(align(64))]
pub struct WorkerCounters {
    counts: [AtomicU64; Count::COUNT],
    drops: [AtomicU64; DropReason::COUNT],
    /// TSC cycles and packets per [`Clock`], over the sampled bursts only.
    clock_cycles: [AtomicU64; Clock::COUNT],
    clock_packets: [AtomicU64; Clock::COUNT],
}

impl Default for WorkerCounters {
    fn default() -> Self {
        Self::new()
    }
}

impl WorkerCounters {
    pub fn new() -> Self {
        WorkerCounters {
            counts: core::array::from_fn(|_| AtomicU64::new(0)),
            drops: core::array::from_fn(|_| AtomicU64::new(0)),
            clock_cycles: core::array::from_fn(|_| AtomicU64::new(0)),
            clock_packets: core::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    /// Owner only: add to a counter (plain load/store, no lock prefix).
    #[inline]
    pub fn add(&self, c: Count, n: u64) {
        let a = &self.counts[c as usize];
        a.store(a.load(Ordering::Relaxed).wrapping_add(n), Ordering::Relaxed);
    }

    /// Owner only: count one drop.
    #[inline]
    pub fn count_drop(&self, r: DropReason) {
        let a = &self.drops[r as usize];
        a.store(a.load(Ordering::Relaxed).wrapping_add(1), Ordering::Relaxed);
    }

    /// Add one sampled burst's stage clocks (and count the burst).
    pub fn add_clocks(&self, s: &StageClocks) {
        for i in 0..Clock::COUNT {
            let a = &self.clock_cycles[i];
            a.store(a.load(Ordering::Relaxed).wrapping_add(s.cycles[i]), Ordering::Relaxed);
            let a = &self.clock_packets[i];
            a.store(a.load(Ordering::Relaxed).wrapping_add(s.packets[i]), Ordering::Relaxed);
        }
        self.add(Count::SampledBursts, 1);
    }

    /// Cycles and packets measured in `c` so far.
    pub fn clock(&self, c: Clock) -> (u64, u64) {
        (self.clock_cycles[c as usize].load(Ordering::Relaxed), self.clock_packets[c as usize].load(Ordering::Relaxed))
    }

    pub fn get(&self, c: Count) -> u64 {
        self.counts[c as usize].load(Ordering::Relaxed)
    }

    pub fn dropped(&self, r: DropReason) -> u64 {
        self.drops[r as usize].load(Ordering::Relaxed)
    }

    pub fn total_drops(&self) -> u64 {
        DropReason::ALL.iter().map(|&r| self.dropped(r)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_snake_case() {
        let mut names: Vec<&str> = DropReason::ALL.iter().map(|r| r.name()).collect();
        names.extend(Count::ALL.iter().map(|c| c.name()));
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(n, names.len());
        // Stage clocks are a namespace of their own (exported as `stage_<name>_cycles`).
        let mut clocks: Vec<&str> = Clock::ALL.iter().map(|c| c.name()).collect();
        clocks.sort();
        clocks.dedup();
        assert_eq!(clocks.len(), Clock::COUNT);
        names.extend(clocks);
        assert!(names.iter().all(|s| s.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())));
    }

    #[test]
    fn counting() {
        let c = WorkerCounters::new();
        c.add(Count::RxPackets, 3);
        c.count_drop(DropReason::NoRoute);
        c.count_drop(DropReason::NoRoute);
        assert_eq!(c.get(Count::RxPackets), 3);
        assert_eq!(c.dropped(DropReason::NoRoute), 2);
        assert_eq!(c.total_drops(), 2);
    }
}
