//! The poll-mode worker loop (one per worker lcore).
//!
//! Each worker owns RX queue `queue` and TX queue `queue` on every port (data ports and
//! the exception tap), so no queue is ever touched by two lcores. Per loop iteration:
//! read the TSC once, report a quiescent state (QSBR), poll each RX queue for a burst,
//! run the stages over it, and hand every packet to its verdict: a per-port TX buffer
//! (flushed when full and on a ~100 µs drain tick; what the NIC refuses is freed and
//! counted), the punt ring to the control core (prefixed with a punt header; a full
//! ring is counted and dropped), or the free list (freed in bulk).
//!
//! The control core has no TX queue of its own: it enqueues finished frames, with
//! `mbuf.port` set to the egress port, on the control-TX ring that worker 0 drains into
//! its TX buffers. This works on every PMD, including those whose RX and TX queues come
//! in pairs (`net_af_packet` fans RX out over every queue pair it has, so a spare
//! "control" pair would receive traffic nobody polls).
//!
//! About one burst in [`CLOCK_SAMPLE_EVERY`] is dispatched stage by stage and timed with
//! the TSC ([`process_burst_timed`]), with the driver's RX before it and the verdicts'
//! hand-out after it: the [`Clock`] counters say where the worker's cycles go, per packet,
//! without timing every packet (VPP's clocks per node, sampled).
//!
//! Nothing here allocates, locks or makes a syscall per packet; the only syscall is the
//! optional idle sleep when no queue had anything (for lcores that share a CPU).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use dpdk_binding::{rdtsc, Mbuf, MbufBurst, Port, Ring};

use crate::counters::{Clock, Count, DropReason, StageClocks, WorkerCounters};
use crate::rcu::ReaderHandle;
use crate::stages::{process_burst, process_burst_timed, Ctx, Next, PuntLimits, BURST, CLOCK_SAMPLE_EVERY, PUNT_HEADER_LEN};
use crate::tables::{Tables, MAX_PORTS};

pub struct WorkerConfig {
    pub lcore: u32,
    /// RX and TX queue index of this worker on every port.
    pub queue: u16,
    /// Ports to poll (data ports and the tap).
    pub rx_ports: Vec<Port>,
    /// Every port by id, for TX.
    pub ports: [Option<Port>; MAX_PORTS],
    pub punt: Arc<Ring>,
    /// Worker 0 drains the control core's frames.
    pub control_tx: Option<Arc<Ring>>,
    pub counters: Arc<WorkerCounters>,
    pub tables: Arc<Tables>,
    pub reader: ReaderHandle,
    pub stop: Arc<AtomicBool>,
    pub tsc_hz: u64,
    /// Packets per RX burst (1..=64).
    pub burst: usize,
    /// Sleep this long after 1024 empty polls in a row (0: pure busy poll).
    pub idle_sleep_us: u32,
    /// ICMP errors, PPPoE discovery and PPP control punts per second this worker may
    /// send.
    pub limits: PuntLimits,
}

struct TxBuffers {
    bufs: [MbufBurst; MAX_PORTS],
    ports: [Option<Port>; MAX_PORTS],
    queue: u16,
}

impl TxBuffers {
    #[inline(always)]
    fn push(&mut self, port: u16, m: Mbuf, counters: &WorkerCounters) {
        let p = port as usize;
        if p >= MAX_PORTS || self.ports[p].is_none() {
            drop(m);
            counters.count_drop(DropReason::Internal);
            return;
        }
        if self.bufs[p].is_full() {
            self.flush_port(p, counters);
        }
        counters.add(Count::TxBytes, m.pkt_len() as u64);
        if let Err(m) = self.bufs[p].push(m) {
            drop(m);
            counters.count_drop(DropReason::TxFull);
        }
    }

    /// Every mbuf of `burst` to `port`'s buffer (flushed first when they would not fit);
    /// false, with nothing moved, when the port is not ours.
    #[inline(always)]
    fn take_all(&mut self, port: u16, burst: &mut MbufBurst, counters: &WorkerCounters) -> bool {
        let p = port as usize;
        if p >= MAX_PORTS || self.ports[p].is_none() {
            return false;
        }
        let bytes: u64 = burst.as_slice().iter().map(|m| m.pkt_len() as u64).sum();
        if !burst.move_all_into(&mut self.bufs[p]) {
            self.flush_port(p, counters);
            if !burst.move_all_into(&mut self.bufs[p]) {
                return false;
            }
        }
        counters.add(Count::TxBytes, bytes);
        if self.bufs[p].is_full() {
            self.flush_port(p, counters);
        }
        true
    }

    #[inline]
    fn flush_port(&mut self, p: usize, counters: &WorkerCounters) {
        let b = &mut self.bufs[p];
        if b.is_empty() {
            return;
        }
        let Some(port) = self.ports[p] else { return };
        let total = b.len();
        let sent = port.tx_burst(self.queue, b);
        counters.add(Count::TxPackets, sent as u64);
        let refused = total - sent;
        if refused > 0 {
            for _ in 0..refused {
                counters.count_drop(DropReason::TxFull);
            }
            b.clear();
        }
    }

    fn flush(&mut self, counters: &WorkerCounters) {
        for p in 0..MAX_PORTS {
            self.flush_port(p, counters);
        }
    }
}

/// Run the worker until `stop` is set. Returns 0.
pub fn run(cfg: WorkerConfig) -> i32 {
    let counters = cfg.counters.clone();
    let mut ctx = Ctx::new(&cfg.tables, &counters, cfg.queue as usize, cfg.tsc_hz, cfg.limits);
    ctx.now = rdtsc();
    ctx.clock = rdtsc;
    let burst = cfg.burst.clamp(1, BURST);
    let mut rx = MbufBurst::new();
    let mut punt = MbufBurst::new();
    let mut freed = MbufBurst::new();
    let mut tx = TxBuffers { bufs: core::array::from_fn(|_| MbufBurst::new()), ports: cfg.ports, queue: cfg.queue };
    let mut next = [Next::Drop(DropReason::Internal); BURST];
    let drain_ticks = (cfg.tsc_hz / 10_000).max(1);
    let mut last_drain = ctx.now;
    let mut idle_polls = 0u32;
    let mut sample_in = CLOCK_SAMPLE_EVERY;
    let max_sample_cycles = cfg.tsc_hz / 10_000; // 100 µs
    let mut clocks = StageClocks::default();
    let mut jitter = 0x9e37_79b9u32 ^ cfg.lcore;

    while !cfg.stop.load(Ordering::Relaxed) {
        ctx.now = rdtsc();
        cfg.reader.quiescent();
        counters.add(Count::Loops, 1);
        let mut got = 0usize;
        for port in &cfg.rx_ports {
            // One burst in about CLOCK_SAMPLE_EVERY is timed stage by stage (and its RX
            // and verdict hand-out with it); the interval is jittered so that it does
            // not beat with the TX buffers' flush period.
            let timed = sample_in == 0;
            let t_rx = if timed { rdtsc() } else { 0 };
            let n = port.rx_burst_max(cfg.queue, &mut rx, burst);
            if n == 0 {
                continue;
            }
            got += n;
            if timed {
                clocks = StageClocks::default();
                clocks.add(Clock::Rx, rdtsc().wrapping_sub(t_rx), n as u64);
                process_burst_timed(&mut ctx, port.id(), rx.as_mut_slice(), &mut next[..n], &mut clocks);
                jitter ^= jitter << 13;
                jitter ^= jitter >> 17;
                jitter ^= jitter << 5;
                sample_in = CLOCK_SAMPLE_EVERY / 2 + jitter % CLOCK_SAMPLE_EVERY;
            } else {
                sample_in -= 1;
                process_burst(&mut ctx, port.id(), rx.as_mut_slice(), &mut next[..n]);
            }
            let t_tx = if timed { rdtsc() } else { 0 };
            // The common burst: every packet to one port. Its pointers move into that
            // port's TX buffer in one copy, without a verdict per packet.
            let one_port = match next[0] {
                Next::Tx(p0) => next[1..n].iter().all(|v| *v == Next::Tx(p0)) && tx.take_all(p0, &mut rx, &counters),
                _ => false,
            };
            if !one_port {
                let mut i = 0;
                rx.drain_into(|mut m| {
                    match next[i] {
                        Next::Tx(p) => tx.push(p, m, &counters),
                        Next::Punt(info) => match m.prepend(PUNT_HEADER_LEN as u16) {
                            Some(h) => {
                                info.write(h);
                                if let Err(m) = punt.push(m) {
                                    drop(m);
                                    counters.count_drop(DropReason::PuntRingFull);
                                }
                            }
                            None => {
                                counters.count_drop(DropReason::Internal);
                                let _ = freed.push(m);
                            }
                        },
                        Next::Drop(_) => {
                            if let Err(m) = freed.push(m) {
                                drop(m);
                            }
                        }
                    }
                    i += 1;
                });
            }
            if !punt.is_empty() {
                let want = punt.len();
                let sent = cfg.punt.enqueue_burst(&mut punt);
                for _ in sent..want {
                    counters.count_drop(DropReason::PuntRingFull);
                }
                punt.clear();
            }
            freed.clear();
            if timed {
                clocks.add(Clock::Tx, rdtsc().wrapping_sub(t_tx), n as u64);
                // A burst takes microseconds; one that took longer than this was
                // interrupted (preempted on a shared CPU, a page fault) and would
                // swamp the averages.
                if clocks.total_cycles() < max_sample_cycles {
                    counters.add_clocks(&clocks);
                } else {
                    counters.add(Count::SampledBurstsDiscarded, 1);
                }
            }
        }
        if let Some(ring) = &cfg.control_tx {
            if ring.dequeue_burst(&mut rx) > 0 {
                counters.add(Count::ControlTx, rx.len() as u64);
                rx.drain_into(|m| {
                    let p = m.port();
                    tx.push(p, m, &counters);
                });
                got += 1;
            }
        }
        if ctx.now.wrapping_sub(last_drain) >= drain_ticks {
            tx.flush(&counters);
            last_drain = ctx.now;
        }
        if got > 0 {
            counters.add(Count::BusyLoops, 1);
            idle_polls = 0;
        } else if cfg.idle_sleep_us > 0 {
            idle_polls += 1;
            if idle_polls >= 1024 {
                tx.flush(&counters);
                std::thread::sleep(std::time::Duration::from_micros(cfg.idle_sleep_us as u64));
            }
        }
    }
    tx.flush(&counters);
    cfg.reader.offline();
    0
}
