//! Pipeline stages and the burst driver that runs them.
//!
//! A burst goes through the stages in a fixed order; each stage is a function over the
//! whole burst that looks only at the packets whose [`Stage`] is its own and moves each
//! to its next stage or to a final [`Next`]. The per-packet body of each stage is an
//! `#[inline]` function, so the driver compiles into a few tight loops (VPP's node
//! graph, without the frame copies).
//!
//! ```text
//!     eth_input ─┬─ arp_input ──────────────────────────► Tx (reply) / Punt / Drop
//!                ├─ PPPoE discovery ────────────────────► Punt (rate-limited)
//!                ├─ pppoe_input ─► ppp_input ─┬─ LCP echo ─► Tx (reply, session template)
//!                │   (carrier: session,       ├─ PPP control ► Punt (rate-limited)
//!                │    trim, PPP offset)       └─ IPv4 ─┐
//!                └─ ip4_input ◄────────────────────────┘
//!                       ├─ local ─► exception (tap) ─► Tx(tap)
//!                       ├─ icmp_error ─┐
//!                       ├──────────────┴─► ip4_rewrite ─► Tx(port) / Punt / Drop
//!                       └──────────────┴─► session_encap ─► Tx(session port)
//! ```
//!
//! Frames from the kernel (tap) take `from_kernel` instead of `eth_input`. Every carrier
//! (PPPoE today; L2TP and PPTP input stages next, after `ip4_input` finds their packets
//! addressed to us) ends in `ppp_input` with the session index in `Stage::Ppp` and the
//! PPP header's offset in `Meta::l3`; until those stages exist, [`process_ppp_burst`]
//! enters the pipeline there.

pub mod arp_input;
pub mod eth_input;
pub mod exception;
pub mod icmp_error;
pub mod ip4_input;
pub mod ip4_rewrite;
pub mod ppp_input;
pub mod pppoe_input;
pub mod session_encap;

use crate::counters::{Clock, Count, DropReason, StageClocks, WorkerCounters};
use crate::packet::Packet;
use crate::fib::PREFETCH_FROM_ROUTES;
use crate::session::PREFETCH_FROM_SESSIONS;
use crate::tables::{PortRole, Tables};

/// Largest burst the driver takes.
pub const BURST: usize = 64;

/// Why a packet goes to the control core.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum PuntReason {
    /// An ARP packet the control core must see (learn, answer, resolve).
    Arp = 1,
    /// A packet waiting for its neighbour `arg` on `port` to be resolved.
    Resolve = 2,
    /// A PPPoE discovery frame (RFC 2516 §5) received on `port`.
    PppoeDiscovery = 3,
    /// A PPP control frame (LCP, authentication, NCPs, or a protocol to reject) of
    /// session `arg`, received on `port`; [`Punt::ppp`] has where its PPP header is.
    PppControl = 4,
}

impl PuntReason {
    pub fn from_u8(v: u8) -> Option<PuntReason> {
        match v {
            1 => Some(PuntReason::Arp),
            2 => Some(PuntReason::Resolve),
            3 => Some(PuntReason::PppoeDiscovery),
            4 => Some(PuntReason::PppControl),
            _ => None,
        }
    }
}

/// What the control core learns from the punt header in front of a punted frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Punt {
    pub reason: PuntReason,
    /// Receiving port (Arp, PppoeDiscovery, PppControl) or egress port (Resolve).
    pub port: u16,
    /// The next hop to resolve (Resolve), host order; the session index (PppControl).
    pub arg: u32,
    /// PppControl: the session's generation when the worker found it.
    pub generation: u32,
    /// PppControl: where the PPP header starts in the punted frame (after the punt
    /// header), whatever the carrier's headers in front; the frame ends with the PPP
    /// frame (the carrier stage trimmed it).
    pub ppp_offset: u16,
}

/// A punted PPP control frame's session and where its PPP header is: the control core
/// checks the generation against its session and reads the PPP frame at the offset,
/// without parsing the carrier's headers again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PppPunt {
    pub index: u32,
    pub generation: u32,
    pub ppp_offset: u16,
}

/// Bytes of the punt header the worker prepends before enqueuing to the control core:
/// reason (1), zero (1), port (2), arg (4), generation (4), PPP offset (2), zero (2), all
/// big-endian.
pub const PUNT_HEADER_LEN: usize = 16;

impl Punt {
    /// A punt for `reason` with `port` and `arg` (no PPP session).
    #[inline]
    pub const fn new(reason: PuntReason, port: u16, arg: u32) -> Punt {
        Punt { reason, port, arg, generation: 0, ppp_offset: 0 }
    }

    /// A PPP control frame of session `p.index`, received on `port`.
    #[inline]
    pub const fn ppp_control(port: u16, p: PppPunt) -> Punt {
        Punt { reason: PuntReason::PppControl, port, arg: p.index, generation: p.generation, ppp_offset: p.ppp_offset }
    }

    /// The session part of a PppControl punt.
    #[inline]
    pub const fn ppp(&self) -> PppPunt {
        PppPunt { index: self.arg, generation: self.generation, ppp_offset: self.ppp_offset }
    }

    pub fn write(&self, b: &mut [u8]) {
        b[0] = self.reason as u8;
        b[1] = 0;
        b[2..4].copy_from_slice(&self.port.to_be_bytes());
        b[4..8].copy_from_slice(&self.arg.to_be_bytes());
        b[8..12].copy_from_slice(&self.generation.to_be_bytes());
        b[12..14].copy_from_slice(&self.ppp_offset.to_be_bytes());
        b[14..16].fill(0);
    }

    pub fn read(b: &[u8]) -> Option<Punt> {
        let b = b.first_chunk::<PUNT_HEADER_LEN>()?;
        Some(Punt {
            reason: PuntReason::from_u8(b[0])?,
            port: u16::from_be_bytes([b[2], b[3]]),
            arg: u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
            generation: u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
            ppp_offset: u16::from_be_bytes([b[12], b[13]]),
        })
    }
}

/// Final verdict for a packet of a burst.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    Drop(DropReason),
    /// Transmit the frame, ready as it is, on this port.
    Tx(u16),
    Punt(Punt),
}

/// Where a packet is inside the burst driver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    Done,
    Arp,
    Ip4,
    /// Addressed to us: to the kernel.
    Local,
    /// An ICMP error to build about this packet.
    IcmpError { kind: icmp_error::ErrorKind },
    /// Ready for L2 rewrite through this adjacency.
    Rewrite { adj: u32, dst: u32 },
    /// A PPPoE session frame to decapsulate.
    Pppoe,
    /// A decapsulated PPP frame of this session, its PPP header at `Meta::l3`.
    Ppp { index: u32 },
    /// Ready for encapsulation towards this session.
    SessionEncap { index: u32 },
}

impl Stage {
    const ARP: u16 = 1 << 1;
    const IP4: u16 = 1 << 2;
    const LOCAL: u16 = 1 << 3;
    const ICMP_ERROR: u16 = 1 << 4;
    const REWRITE: u16 = 1 << 5;
    const PPPOE: u16 = 1 << 6;
    const SESSION_ENCAP: u16 = 1 << 7;
    const PPP: u16 = 1 << 8;

    /// This stage's bit in `process_burst`'s to-do mask.
    #[inline]
    fn bit(self) -> u16 {
        match self {
            Stage::Done => 0,
            Stage::Arp => Self::ARP,
            Stage::Ip4 => Self::IP4,
            Stage::Local => Self::LOCAL,
            Stage::IcmpError { .. } => Self::ICMP_ERROR,
            Stage::Rewrite { .. } => Self::REWRITE,
            Stage::Pppoe => Self::PPPOE,
            Stage::Ppp { .. } => Self::PPP,
            Stage::SessionEncap { .. } => Self::SESSION_ENCAP,
        }
    }
}

/// No VLAN tag, in [`Meta`]'s VLAN fields.
pub(crate) const NO_VLAN: u16 = u16::MAX;

/// Per-packet state carried between stages of one burst.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Meta {
    pub stage: Stage,
    /// Offset of the IPv4/ARP header in the frame (of the PPPoE header for Pppoe, of the
    /// PPP header for Ppp).
    pub l3: u16,
    /// VLAN ids of the outer and inner tag ([`NO_VLAN`] when absent).
    pub outer_vid: u16,
    pub inner_vid: u16,
    /// Clamp the MSS of a TCP SYN to this (0: no clamping); set by the session stage.
    pub mss: u16,
}

impl Meta {
    const EMPTY: Meta = Meta { stage: Stage::Done, l3: 0, outer_vid: NO_VLAN, inner_vid: NO_VLAN, mss: 0 };
}

/// A token bucket on TSC ticks, for ICMP errors (RFC 1812 §4.3.2.8).
#[derive(Clone, Copy, Debug)]
pub struct TokenBucket {
    tokens: u64,
    burst: u64,
    ticks_per_token: u64,
    last: u64,
}

impl TokenBucket {
    pub fn new(per_second: u64, burst: u64, tsc_hz: u64) -> Self {
        TokenBucket { tokens: burst, burst, ticks_per_token: (tsc_hz / per_second.max(1)).max(1), last: 0 }
    }
    #[inline]
    pub fn take(&mut self, now: u64) -> bool {
        if self.tokens == 0 {
            let earned = now.saturating_sub(self.last) / self.ticks_per_token;
            if earned == 0 {
                return false;
            }
            self.tokens = earned.min(self.burst);
            self.last = now;
        }
        if self.tokens == self.burst {
            self.last = now;
        }
        self.tokens -= 1;
        true
    }
}

/// One worker's view: the shared tables, its own counters, its rate limiters.
pub struct Ctx<'a> {
    pub tables: &'a Tables,
    pub counters: &'a WorkerCounters,
    /// This worker's index (for its per-session counters).
    pub worker: usize,
    pub icmp_limit: TokenBucket,
    /// PPPoE discovery frames this worker punts (a PADI storm must not starve the
    /// control core of the established sessions' LCP traffic).
    pub discovery_limit: TokenBucket,
    /// PPP control frames of established sessions this worker punts.
    pub ppp_control_limit: TokenBucket,
    /// TSC at the start of the current loop iteration.
    pub now: u64,
    /// Take the stages' fast paths (fixed-offset reads of the common frame shapes). Off,
    /// every packet takes the general code; the verdicts must be the same, which the
    /// tests check. Always on in workers.
    pub fast_paths: bool,
    /// The clock the sampled dispatch times stages with: the worker sets the TSC
    /// (`dpdk_binding::rdtsc`); the default counts nanoseconds (for tests and tools).
    pub clock: fn() -> u64,
}

/// Nanoseconds since the first call: [`Ctx::clock`]'s default.
pub fn monotonic_ns() -> u64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed().as_nanos() as u64
}

/// Per-worker punt limits: discovery frames and PPP control frames per second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PuntLimits {
    pub icmp_per_s: u64,
    pub discovery_per_s: u64,
    pub ppp_control_per_s: u64,
}

impl Default for PuntLimits {
    fn default() -> Self {
        PuntLimits { icmp_per_s: 1000, discovery_per_s: 2000, ppp_control_per_s: 20_000 }
    }
}

impl<'a> Ctx<'a> {
    pub fn new(tables: &'a Tables, counters: &'a WorkerCounters, worker: usize, tsc_hz: u64, limits: PuntLimits) -> Self {
        let bucket = |rate: u64| TokenBucket::new(rate, rate.clamp(1, 1000), tsc_hz);
        Ctx {
            tables,
            counters,
            worker,
            icmp_limit: TokenBucket::new(limits.icmp_per_s, limits.icmp_per_s.clamp(1, 100), tsc_hz),
            discovery_limit: bucket(limits.discovery_per_s),
            ppp_control_limit: bucket(limits.ppp_control_per_s),
            now: 0,
            fast_paths: true,
            clock: monotonic_ns,
        }
    }
}


/// Run one burst received on `rx_port` through the stages. `next[i]` gets the verdict
/// for `pkts[i]`; the caller transmits, punts or frees accordingly.
///
/// The common paths run to completion packet by packet in one pass: eth_input, then
/// pppoe_input (and ppp_input, which it calls for what its fast path does not take),
/// then ip4_input, which rewrites or encapsulates in place (the stage
/// functions are `#[inline]`, so this compiles into one loop body). What is left —
/// ARP, ICMP errors, packets to the kernel, the rewrite of an ICMP error — runs in a
/// pass per stage afterwards, and a stage no packet needs costs nothing (the to-do mask).
///
/// Never inlined: one call per burst costs nothing, and profilers (perf, callgrind's
/// `--toggle-collect=*process_burst*`) then see the stages as one function.
#[inline(never)]
pub fn process_burst<P: Packet>(ctx: &mut Ctx, rx_port: u16, pkts: &mut [P], next: &mut [Next]) {
    run_burst::<P, false>(ctx, rx_port, pkts, next, &mut StageClocks::default());
}

/// [`process_burst`] with every stage in a pass of its own over the burst, timed with
/// [`Ctx::clock`]: the cycles and packets of each stage are added to `clocks`, which the
/// caller adds to the worker's [`Clock`] counters (`WorkerCounters::add_clocks`) unless
/// the burst was interrupted. Workers run about one burst in [`CLOCK_SAMPLE_EVERY`] this
/// way, so the figures are a sample of real traffic at a cost the rest does not pay
/// (a pass per stage and a clock read around each: slightly dearer than the fused
/// dispatch). Verdicts, bytes and counters are the same as [`process_burst`]'s.
#[inline(never)]
pub fn process_burst_timed<P: Packet>(
    ctx: &mut Ctx,
    rx_port: u16,
    pkts: &mut [P],
    next: &mut [Next],
    clocks: &mut StageClocks,
) {
    run_burst::<P, true>(ctx, rx_port, pkts, next, clocks);
}

/// One burst in this many is dispatched by [`process_burst_timed`].
pub const CLOCK_SAMPLE_EVERY: u32 = 128;

/// A stage's pass over the burst, timed when `TIMED`: `body` gets every packet still in
/// a stage and the stage, and returns the verdict of those that are its own (`None`
/// for the others).
#[inline(always)]
fn pass<P: Packet, const TIMED: bool>(
    ctx: &mut Ctx,
    clocks: &mut StageClocks,
    clock: Clock,
    pkts: &mut [P],
    meta: &mut [Meta],
    next: &mut [Next],
    todo: &mut u16,
    mut body: impl FnMut(&mut Ctx, &mut P, &mut Meta, Stage) -> Option<Next>,
) {
    let t0 = if TIMED { (ctx.clock)() } else { 0 };
    let mut k = 0u64;
    for i in 0..pkts.len() {
        let stage = meta[i].stage;
        if stage == Stage::Done {
            continue;
        }
        if let Some(v) = body(ctx, &mut pkts[i], &mut meta[i], stage) {
            next[i] = v;
            *todo |= meta[i].stage.bit();
            k += 1;
        }
    }
    if TIMED {
        clocks.add(clock, (ctx.clock)().wrapping_sub(t0), k);
    }
}

#[inline(always)]
fn run_burst<P: Packet, const TIMED: bool>(
    ctx: &mut Ctx,
    rx_port: u16,
    pkts: &mut [P],
    next: &mut [Next],
    clocks: &mut StageClocks,
) {
    let n = pkts.len().min(BURST).min(next.len());
    let (pkts, next) = (&mut pkts[..n], &mut next[..n]);
    let mut meta = [Meta::EMPTY; BURST];
    let meta = &mut meta[..n];
    let from_kernel = ctx.tables.tap == Some(rx_port);
    let forwarding = !from_kernel;
    // Which stages some packet of the burst waits for: a stage nobody needs costs no
    // pass over the burst.
    let mut todo = 0u16;

    if !from_kernel
        && (ctx.tables.sessions.live_hint() >= PREFETCH_FROM_SESSIONS || ctx.tables.fib.routes_hint() >= PREFETCH_FROM_ROUTES)
    {
        let t0 = if TIMED { (ctx.clock)() } else { 0 };
        prefetch_sessions(ctx, rx_port, pkts);
        if TIMED {
            clocks.add(Clock::Prefetch, (ctx.clock)().wrapping_sub(t0), n as u64);
        }
    }
    let mut bytes = 0u64;
    let t0 = if TIMED { (ctx.clock)() } else { 0 };
    for i in 0..n {
        let (p, m) = (&mut pkts[i], &mut meta[i]);
        bytes += p.len() as u64;
        let mut v = if from_kernel {
            exception::from_kernel(ctx, rx_port, p, m)
        } else {
            eth_input::eth_input(ctx, rx_port, p, m)
        };
        if !TIMED {
            if m.stage == Stage::Pppoe {
                v = pppoe_input::pppoe_input::<P, true>(ctx, rx_port, p, m);
            }
            if m.stage == Stage::Ip4 {
                v = ip4_input::ip4_input::<P, true>(ctx, rx_port, p, m, forwarding);
            }
        }
        next[i] = v;
        todo |= m.stage.bit();
    }
    if TIMED {
        clocks.add(Clock::EthInput, (ctx.clock)().wrapping_sub(t0), n as u64);
    }
    ctx.counters.add(Count::RxPackets, n as u64);
    ctx.counters.add(Count::RxBytes, bytes);
    stage_passes::<P, TIMED>(ctx, rx_port, pkts, meta, next, todo, clocks, forwarding);
}

/// Run `pkts`, PPP frames already decapsulated by a carrier, through `ppp_input` and
/// the stages after it: `ppp[i]` is (session index, offset of the PPP header) of
/// `pkts[i]`, as a carrier's input stage would leave them. `next[i]` gets the verdict,
/// as with [`process_burst`]; `rx_port` is what a punt names as the receiving port.
/// Nothing is counted as received (the carrier's stage does that).
///
/// The entry for carriers whose input stage is not part of [`process_burst`] yet (L2TP
/// and PPTP until their stages land; tests), so they get the same PPP handling, verdicts
/// and encapsulation as PPPoE.
#[inline(never)]
pub fn process_ppp_burst<P: Packet>(ctx: &mut Ctx, rx_port: u16, pkts: &mut [P], ppp: &[(u32, u16)], next: &mut [Next]) {
    let n = pkts.len().min(BURST).min(next.len()).min(ppp.len());
    let (pkts, next) = (&mut pkts[..n], &mut next[..n]);
    let mut meta = [Meta::EMPTY; BURST];
    let meta = &mut meta[..n];
    for (m, &(index, at)) in meta.iter_mut().zip(ppp) {
        m.l3 = at;
        m.stage = Stage::Ppp { index };
    }
    for v in next.iter_mut() {
        *v = Next::Drop(DropReason::Internal);
    }
    let todo = if n > 0 { Stage::PPP } else { 0 };
    stage_passes::<P, false>(ctx, rx_port, pkts, meta, next, todo, &mut StageClocks::default(), true);
}

/// The passes after the first (fused) one: each stage some packet still waits for, in
/// order, then the verdict counters. In the fused dispatch no packet is left in Pppoe,
/// Ppp or Ip4 (the first pass runs them to completion), so those passes cost only their
/// to-do bit test there.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn stage_passes<P: Packet, const TIMED: bool>(
    ctx: &mut Ctx,
    rx_port: u16,
    pkts: &mut [P],
    meta: &mut [Meta],
    next: &mut [Next],
    mut todo: u16,
    clocks: &mut StageClocks,
    forwarding: bool,
) {
    if todo & Stage::PPPOE != 0 {
        pass::<P, TIMED>(ctx, clocks, Clock::PppoeInput, pkts, meta, next, &mut todo, |c, p, m, s| {
            (s == Stage::Pppoe).then(|| pppoe_input::pppoe_input::<P, false>(c, rx_port, p, m))
        });
    }
    if todo & Stage::PPP != 0 {
        pass::<P, TIMED>(ctx, clocks, Clock::PppInput, pkts, meta, next, &mut todo, |c, p, m, s| match s {
            Stage::Ppp { index } => Some(ppp_input::ppp_input(c, rx_port, p, m, index)),
            _ => None,
        });
    }
    if todo & Stage::ARP != 0 {
        pass::<P, TIMED>(ctx, clocks, Clock::ArpInput, pkts, meta, next, &mut todo, |c, p, m, s| {
            (s == Stage::Arp).then(|| arp_input::arp_input(c, rx_port, p, m))
        });
    }
    if todo & Stage::IP4 != 0 {
        pass::<P, TIMED>(ctx, clocks, Clock::Ip4Input, pkts, meta, next, &mut todo, |c, p, m, s| {
            (s == Stage::Ip4).then(|| ip4_input::ip4_input::<P, false>(c, rx_port, p, m, forwarding))
        });
    }
    if todo & Stage::ICMP_ERROR != 0 {
        pass::<P, TIMED>(ctx, clocks, Clock::IcmpError, pkts, meta, next, &mut todo, |c, p, m, s| match s {
            Stage::IcmpError { kind } => Some(icmp_error::icmp_error(c, rx_port, p, m, kind)),
            _ => None,
        });
    }
    if todo & Stage::LOCAL != 0 {
        pass::<P, TIMED>(ctx, clocks, Clock::ToKernel, pkts, meta, next, &mut todo, |c, p, m, s| {
            (s == Stage::Local).then(|| exception::to_kernel(c, p, m))
        });
    }
    if todo & Stage::REWRITE != 0 {
        pass::<P, TIMED>(ctx, clocks, Clock::Ip4Rewrite, pkts, meta, next, &mut todo, |c, p, m, s| match s {
            Stage::Rewrite { adj, dst } => Some(ip4_rewrite::ip4_rewrite(c, p, m, adj, dst)),
            _ => None,
        });
    }
    if todo & Stage::SESSION_ENCAP != 0 {
        pass::<P, TIMED>(ctx, clocks, Clock::SessionEncap, pkts, meta, next, &mut todo, |c, p, m, s| match s {
            Stage::SessionEncap { index } => Some(session_encap::session_encap(c, p, m, index)),
            _ => None,
        });
    }
    let (mut punted, mut dropped) = (0u64, false);
    for v in next.iter() {
        match *v {
            Next::Tx(_) => {}
            Next::Punt(_) => punted += 1,
            Next::Drop(_) => dropped = true,
        }
    }
    if punted > 0 {
        ctx.counters.add(Count::Punted, punted);
    }
    if dropped {
        for v in next.iter() {
            if let Next::Drop(r) = *v {
                ctx.counters.count_drop(r);
            }
        }
    }
}

/// With big session tables (or a big FIB) every packet's lookups miss the cache, one
/// after the other.
/// Two passes ahead of the stages overlap those misses across the burst: the first asks
/// for each packet's first table line (the PPPoE index slot of an upstream frame, the
/// tbl24 entry of an IPv4 destination), the second looks up what those lines say and
/// asks for the session's record and counters. Only the common shapes are read (at fixed
/// offsets, as eth_input's fast path); nothing here decides a verdict.
#[inline(never)]
fn prefetch_sessions<P: Packet>(ctx: &Ctx, rx_port: u16, pkts: &[P]) {
    let t = ctx.tables;
    let access = t.port(rx_port).role == PortRole::Access;
    let key = |d: &[u8]| -> Option<(Option<u16>, [u8; 6], u16)> {
        let h = d.first_chunk::<22>()?;
        let peer = [h[6], h[7], h[8], h[9], h[10], h[11]];
        match (u16::from_be_bytes([h[12], h[13]]), u16::from_be_bytes([h[16], h[17]])) {
            (0x8864, _) => Some((None, peer, u16::from_be_bytes([h[16], h[17]]))),
            (0x8100, 0x8864) => Some((Some(u16::from_be_bytes([h[14], h[15]]) & 0x0fff), peer, u16::from_be_bytes([h[20], h[21]]))),
            _ => None,
        }
    };
    let dst = |d: &[u8]| -> Option<u32> {
        let h = d.first_chunk::<34>()?;
        (h[12] == 0x08 && h[13] == 0x00).then(|| u32::from_be_bytes([h[30], h[31], h[32], h[33]]))
    };
    for p in pkts {
        if access {
            if let Some((outer, peer, sid)) = key(p.data()) {
                t.sessions.prefetch_pppoe(rx_port, outer, None, peer, sid);
                continue;
            }
        }
        if let Some(a) = dst(p.data()) {
            t.fib.prefetch(a);
        }
    }
    for p in pkts {
        let index = match (access, key(p.data())) {
            (true, Some((outer, peer, sid))) => t.sessions.lookup_pppoe(rx_port, outer, None, peer, sid),
            _ => dst(p.data()).and_then(|a| crate::session::fib_session(t.fib.lookup(a))),
        };
        if let Some(i) = index {
            t.sessions.prefetch_session(i, ctx.worker);
        }
    }
}


/// Move a packet on to `stage`; its verdict comes from a later stage.
#[inline]
pub(crate) fn goto(meta: &mut Meta, stage: Stage) -> Next {
    meta.stage = stage;
    Next::Drop(DropReason::Internal)
}

/// Finish a packet with `next`.
#[inline]
pub(crate) fn done(meta: &mut Meta, next: Next) -> Next {
    meta.stage = Stage::Done;
    next
}
