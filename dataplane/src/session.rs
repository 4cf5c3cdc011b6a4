//! Subscriber sessions: one cache-line record per session, whatever its transport, the
//! PPPoE index that finds a session from an upstream frame, and per-worker session
//! counters.
//!
//! A session is an index into a fixed slab sized at start-up. The FIB points a
//! subscriber's /32 (and framed routes) at it: FIB values from [`FIB_SESSION_BASE`] up
//! are session indices, so downstream is one FIB lookup and one record load. Upstream
//! PPPoE frames find their session through [`PppoeIndex`], keyed by (port, outer VLAN,
//! inner VLAN, peer MAC, PPPoE session id): RFC 2516 §4 makes a session id unique only
//! per pair of MACs, so a concentrator with more than 65535 subscribers needs the MAC
//! (and the port and VLANs, for subscribers behind different access links) in the key.
//!
//! Update protocol (one writer, the control core; many readers, the workers):
//! - a record is filled while it is not live (Relaxed stores), then published by a
//!   Release store of its state word with [`LIVE`]; readers load the state with Acquire
//!   and the other words after it, so a reader that sees LIVE sees a complete record.
//! - fields that change while live (the IPv4 address and MSS when IPCP opens, the
//!   flags) are written before the state word that announces them (Release). A reader
//!   may see a new address with the old flags (harmless: the flag gates its use), never
//!   a flag without its address.
//! - removal clears the state word (Release) and tombstones the index entry; the slot
//!   and the tombstone are reused only after a QSBR grace period, so a reader that found
//!   the session in this loop iteration keeps reading the record it found, unchanged.
//! - per-session counters are per worker ([`SessionCounters`]: each worker writes only
//!   its own array); the control core sums them, and zeroes a slot's counters before it
//!   publishes the slot again (no worker can be touching a slot past its grace period).

use core::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::mem::Table;
use crate::rcu::{Deferred, Qsbr};
use crate::wire::ethernet::{emit_l2, EtherType, EthernetAddress, L2Header};
use crate::wire::ppp::PppProtocol;
use crate::wire::pppoe::{session_header, HEADER_LEN as PPPOE_HEADER_LEN};

/// FIB values at or above this are session indices (`value - FIB_SESSION_BASE`); below
/// it they are adjacency indices. FIB values have 24 bits.
pub const FIB_SESSION_BASE: u32 = 1 << 23;
/// The session a FIB value points at, if it is a session's rather than an adjacency's.
#[inline]
pub const fn fib_session(value: u32) -> Option<u32> {
    if value >= FIB_SESSION_BASE {
        Some(value - FIB_SESSION_BASE)
    } else {
        None
    }
}

/// The FIB value that routes to session `index` (below [`MAX_SESSIONS`]).
#[inline]
pub const fn fib_value(index: u32) -> u32 {
    FIB_SESSION_BASE + index
}

/// Most sessions one table can hold (the FIB value space above the base).
pub const MAX_SESSIONS: u32 = FIB_SESSION_BASE;
/// Bytes of downstream encapsulation a record carries: Ethernet (14) + two VLAN tags (8)
/// + PPPoE (6) + PPP protocol (2) = 30.
pub const MAX_TEMPLATE: usize = 32;

/// State word: the session is live.
pub const LIVE: u64 = 1 << 63;
/// IPCP is open: IPv4 from and to this session is forwarded.
pub const IPV4_OPEN: u64 = 1 << 62;
/// Workers answer the subscriber's LCP Echo-Requests themselves.
pub const ECHO_OFFLOAD: u64 = 1 << 61;
const KIND_SHIFT: u32 = 48;
const KIND_MASK: u64 = 0xf << KIND_SHIFT;
const TMPL_LEN_SHIFT: u32 = 40;
const GEN_MASK: u64 = 0xffff_ffff;

/// How a session reaches its subscriber.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum SessionKind {
    Pppoe = 1,
}

impl SessionKind {
    #[inline]
    fn from_bits(v: u64) -> Option<SessionKind> {
        match v {
            1 => Some(SessionKind::Pppoe),
            _ => None,
        }
    }
}

/// A VLAN on an access link as the PPPoE index keys it: the VID, or none.
pub type Vid = Option<u16>;

/// What a worker reads about a live session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Session {
    pub kind: SessionKind,
    pub generation: u32,
    pub flags: u64,
    /// The subscriber's address, host order (meaningful with [`IPV4_OPEN`]).
    pub peer_ip: u32,
    /// Largest IPv4 datagram towards the subscriber (the peer's MRU).
    pub mru: u16,
    /// Clamp TCP MSS options on SYNs to this (0: off).
    pub mss: u16,
    pub port: u16,
    /// PPPoE session id.
    pub pppoe_id: u16,
    /// Our LCP Magic-Number, for Echo-Replies built by a worker.
    pub our_magic: u32,
    pub template_len: u8,
    /// The downstream header: Ethernet, tags, PPPoE (length patched per packet), PPP
    /// protocol 0x0021.
    pub template: [u8; MAX_TEMPLATE],
}

impl Session {
    #[inline]
    pub fn ipv4_open(&self) -> bool {
        self.flags & IPV4_OPEN != 0
    }
    #[inline]
    pub fn echo_offload(&self) -> bool {
        self.flags & ECHO_OFFLOAD != 0
    }
    #[inline]
    pub fn template(&self) -> &[u8] {
        &self.template[..(self.template_len as usize).min(MAX_TEMPLATE)]
    }
}

#[repr(C, align(64))]
struct Record {
    /// LIVE | flags | kind << 48 | template length << 40 | generation.
    state: AtomicU64,
    /// peer IPv4 << 32 | MRU << 16 | MSS.
    ip4: AtomicU64,
    /// port << 48 | PPPoE session id << 32 | our magic.
    link: AtomicU64,
    /// The template right-aligned in these 32 bytes (its last byte is the record's last),
    /// so that a worker writes it as four whole words ending at the IPv4 header.
    template: [AtomicU64; MAX_TEMPLATE / 8],
}

impl Record {
    fn new() -> Record {
        Record {
            state: AtomicU64::new(0),
            ip4: AtomicU64::new(0),
            link: AtomicU64::new(0),
            template: Default::default(),
        }
    }
}

/// Per-session traffic counters of one worker.
#[derive(Default)]
#[repr(C, align(32))]
pub struct SessionCounter {
    pub rx_packets: AtomicU64,
    pub rx_bytes: AtomicU64,
    pub tx_packets: AtomicU64,
    pub tx_bytes: AtomicU64,
}

/// One worker's counters for every session slot.
pub struct SessionCounters {
    slots: Table<SessionCounter>,
}

impl SessionCounters {
    fn new(capacity: usize) -> Self {
        SessionCounters { slots: Table::new(capacity, |_| SessionCounter::default()) }
    }

    /// Owner only: a relaxed load and store is a plain add, not a locked instruction.
    #[inline]
    fn bump(c: &AtomicU64, v: u64) {
        c.store(c.load(Ordering::Relaxed).wrapping_add(v), Ordering::Relaxed);
    }

    /// Upstream: a packet from the subscriber.
    #[inline]
    pub fn rx(&self, index: u32, bytes: usize) {
        if let Some(c) = self.slots.get(index as usize) {
            Self::bump(&c.rx_packets, 1);
            Self::bump(&c.rx_bytes, bytes as u64);
        }
    }

    /// Downstream: a packet to the subscriber.
    #[inline]
    pub fn tx(&self, index: u32, bytes: usize) {
        if let Some(c) = self.slots.get(index as usize) {
            Self::bump(&c.tx_packets, 1);
            Self::bump(&c.tx_bytes, bytes as u64);
        }
    }
}

/// Traffic of one session summed over workers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SessionTraffic {
    pub rx_packets: u64,
    pub rx_bytes: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
}

/// The session slab the workers read.
pub struct SessionTable {
    records: Table<Record>,
    counters: Box<[SessionCounters]>,
    pppoe: PppoeIndex,
    /// Live sessions, kept by the writer: workers read it once a burst to decide whether
    /// the tables are big enough to be worth prefetching.
    live: AtomicU64,
}

/// From this many live sessions on, workers prefetch a burst's session lookups (below
/// it the tables sit in cache and the extra pass would only cost).
pub const PREFETCH_FROM_SESSIONS: u64 = 8192;

impl SessionTable {
    /// Live sessions (a hint: the writer's count, read relaxed).
    #[inline]
    pub fn live_hint(&self) -> u64 {
        self.live.load(Ordering::Relaxed)
    }

    /// Ask for the cache lines an upstream lookup of this key will read: its home slot
    /// in the PPPoE index.
    #[inline]
    pub fn prefetch_pppoe(&self, port: u16, outer: Vid, inner: Vid, peer: [u8; 6], pppoe_id: u16) {
        let (mac_id, link) = index_key(port, outer, inner, peer, pppoe_id);
        let home = self.pppoe.home(mac_id, link) as usize;
        if let Some(s) = self.pppoe.slots.get(home) {
            crate::mem::prefetch(s);
        }
    }

    /// Ask for the cache lines session `index`'s record and worker `worker`'s counters
    /// for it sit in.
    #[inline]
    pub fn prefetch_session(&self, index: u32, worker: usize) {
        if let Some(r) = self.records.get(index as usize) {
            crate::mem::prefetch(r);
        }
        if let Some(c) = self.counters.get(worker).and_then(|c| c.slots.get(index as usize)) {
            crate::mem::prefetch(c);
        }
    }

    pub fn capacity(&self) -> usize {
        self.records.len()
    }

    /// Reader: the live session at `index`, its template included.
    #[inline]
    pub fn get(&self, index: u32) -> Option<Session> {
        self.read::<true>(index)
    }

    /// Reader, for stages that do not encapsulate: the live session at `index` without its
    /// template (`template` is left zero), so decapsulation and the FIB's MRU check do not
    /// copy 32 bytes they never read.
    #[inline]
    pub fn head(&self, index: u32) -> Option<Session> {
        self.read::<false>(index)
    }

    #[inline]
    fn read<const TEMPLATE: bool>(&self, index: u32) -> Option<Session> {
        let r = self.records.get(index as usize)?;
        let state = r.state.load(Ordering::Acquire);
        if state & LIVE == 0 {
            return None;
        }
        let kind = SessionKind::from_bits((state & KIND_MASK) >> KIND_SHIFT)?;
        let ip4 = r.ip4.load(Ordering::Relaxed);
        let link = r.link.load(Ordering::Relaxed);
        let mut template = [0u8; MAX_TEMPLATE];
        if TEMPLATE {
            let mut stored = [0u8; MAX_TEMPLATE];
            for (i, w) in r.template.iter().enumerate() {
                stored[i * 8..i * 8 + 8].copy_from_slice(&w.load(Ordering::Relaxed).to_le_bytes());
            }
            let tl = ((state >> TMPL_LEN_SHIFT) as u8 as usize).min(MAX_TEMPLATE);
            template[..tl].copy_from_slice(&stored[MAX_TEMPLATE - tl..]);
        }
        Some(Session {
            kind,
            generation: (state & GEN_MASK) as u32,
            flags: state & (IPV4_OPEN | ECHO_OFFLOAD),
            peer_ip: (ip4 >> 32) as u32,
            mru: (ip4 >> 16) as u16,
            mss: ip4 as u16,
            port: (link >> 48) as u16,
            pppoe_id: (link >> 32) as u16,
            our_magic: link as u32,
            template_len: (state >> TMPL_LEN_SHIFT) as u8,
            template,
        })
    }

    /// Reader, for downstream IPv4: (egress port, template length, MSS clamp) of a live
    /// session with IPCP open, and its template written into `out` right-aligned (the
    /// template is `out[MAX_TEMPLATE - len..]`): four whole-word copies, no byte loop.
    #[inline]
    pub fn downstream_ipv4(&self, index: u32, out: &mut [u8; MAX_TEMPLATE]) -> Option<(u16, usize, u16)> {
        let r = self.records.get(index as usize)?;
        let state = r.state.load(Ordering::Acquire);
        if state & (LIVE | IPV4_OPEN) != LIVE | IPV4_OPEN {
            return None;
        }
        let ip4 = r.ip4.load(Ordering::Relaxed);
        let link = r.link.load(Ordering::Relaxed);
        for (w, o) in r.template.iter().zip(out.chunks_exact_mut(8)) {
            o.copy_from_slice(&w.load(Ordering::Relaxed).to_le_bytes());
        }
        let tl = ((state >> TMPL_LEN_SHIFT) as u8 as usize).min(MAX_TEMPLATE);
        Some(((link >> 48) as u16, tl, ip4 as u16))
    }

    /// Reader, for upstream IPv4: the session's address and MSS clamp when it is live
    /// with IPCP open (two loads, nothing copied).
    #[inline]
    pub fn upstream_ipv4(&self, index: u32) -> Option<(u32, u16)> {
        let r = self.records.get(index as usize)?;
        let state = r.state.load(Ordering::Acquire);
        if state & (LIVE | IPV4_OPEN) != LIVE | IPV4_OPEN {
            return None;
        }
        let ip4 = r.ip4.load(Ordering::Relaxed);
        Some(((ip4 >> 32) as u32, ip4 as u16))
    }

    /// Reader: the session an upstream PPPoE session frame belongs to.
    #[inline]
    pub fn lookup_pppoe(&self, port: u16, outer: Vid, inner: Vid, peer: [u8; 6], pppoe_id: u16) -> Option<u32> {
        self.pppoe.lookup(port, outer, inner, peer, pppoe_id)
    }

    /// Worker `w`'s counters (the caller is worker `w`).
    #[inline]
    pub fn counters(&self, worker: usize) -> Option<&SessionCounters> {
        self.counters.get(worker)
    }

    /// A session's traffic summed over workers.
    pub fn traffic(&self, index: u32) -> SessionTraffic {
        let mut t = SessionTraffic::default();
        for w in self.counters.iter() {
            if let Some(c) = w.slots.get(index as usize) {
                t.rx_packets += c.rx_packets.load(Ordering::Relaxed);
                t.rx_bytes += c.rx_bytes.load(Ordering::Relaxed);
                t.tx_packets += c.tx_packets.load(Ordering::Relaxed);
                t.tx_bytes += c.tx_bytes.load(Ordering::Relaxed);
            }
        }
        t
    }

    /// Bytes of shared memory per session slot: record, index share, counters.
    pub fn bytes_per_session(&self) -> usize {
        let cap = self.capacity().max(1);
        core::mem::size_of::<Record>()
            + self.pppoe.slots.len() * core::mem::size_of::<IndexSlot>() / cap
            + self.counters.len() * core::mem::size_of::<SessionCounter>()
    }
}

// ---- the PPPoE index ----

const EMPTY: u64 = 0;
const TOMBSTONE: u64 = u64::MAX;
const KEY_VALID: u64 = 1 << 63;
/// Session index bits in the second key word.
const INDEX_BITS: u32 = 23;
const INDEX_MASK: u64 = (1 << INDEX_BITS) - 1;
const VID_PRESENT: u64 = 1 << 12;

/// One slot: `mac_id` = peer MAC << 16 | session id; `link` = KEY_VALID | port << 49 |
/// outer VLAN << 36 | inner VLAN << 23 | session index. 16 bytes, four to a cache line.
#[repr(C, align(16))]
struct IndexSlot {
    mac_id: AtomicU64,
    link: AtomicU64,
}

#[inline]
fn vid_bits(v: Vid) -> u64 {
    match v {
        Some(vid) => VID_PRESENT | (vid as u64 & 0xfff),
        None => 0,
    }
}

#[inline]
fn index_key(port: u16, outer: Vid, inner: Vid, peer: [u8; 6], id: u16) -> (u64, u64) {
    let mut m = [0u8; 8];
    m[..6].copy_from_slice(&peer);
    let mac = u64::from_be_bytes(m) >> 16;
    let mac_id = mac << 16 | id as u64;
    let link = KEY_VALID | (port as u64 & 0x1f) << 49 | vid_bits(outer) << 36 | vid_bits(inner) << 23;
    (mac_id, link)
}

/// (port, outer VLAN, inner VLAN, peer MAC, session id) → session index. Open
/// addressing with linear probing over a fixed power-of-two array at most half full,
/// so readers never follow a pointer and the writer never reallocates.
struct PppoeIndex {
    slots: Table<IndexSlot>,
    mask: u64,
    shift: u32,
}

impl PppoeIndex {
    fn new(max_entries: usize) -> Self {
        let cap = (max_entries.max(8) * 2).next_power_of_two();
        PppoeIndex {
            slots: Table::new(cap, |_| IndexSlot { mac_id: AtomicU64::new(0), link: AtomicU64::new(EMPTY) }),
            mask: cap as u64 - 1,
            shift: 64 - cap.trailing_zeros(),
        }
    }

    #[inline]
    fn home(&self, mac_id: u64, link: u64) -> u64 {
        (mac_id ^ link.rotate_left(29)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift
    }

    #[inline]
    fn lookup(&self, port: u16, outer: Vid, inner: Vid, peer: [u8; 6], id: u16) -> Option<u32> {
        let (mac_id, link) = index_key(port, outer, inner, peer, id);
        self.find(mac_id, link).map(|(_, l)| (l & INDEX_MASK) as u32)
    }

    /// The slot holding this key and its link word: the one probe loop of readers and
    /// writer.
    #[inline]
    fn find(&self, mac_id: u64, link: u64) -> Option<(usize, u64)> {
        let mut i = self.home(mac_id, link);
        for _ in 0..self.slots.len() {
            let s = &self.slots[i as usize];
            let l = s.link.load(Ordering::Acquire);
            if l == EMPTY {
                return None;
            }
            if l != TOMBSTONE && l & !INDEX_MASK == link && s.mac_id.load(Ordering::Relaxed) == mac_id {
                return Some((i as usize, l));
            }
            i = (i + 1) & self.mask;
        }
        None
    }
}

// ---- the writer ----

/// What a PPPoE session needs in the data plane, set when PADS is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PppoeSessionParams {
    pub port: u16,
    pub outer: Vid,
    pub inner: Vid,
    pub peer_mac: [u8; 6],
    pub pppoe_id: u16,
    /// The downstream header (Ethernet, tags, PPPoE, PPP protocol 0x0021).
    pub template: [u8; MAX_TEMPLATE],
    pub template_len: u8,
}

impl PppoeSessionParams {
    /// The parameters of a PPPoE session whose frames arrive on `port` from `peer_mac`
    /// with the tags of `l2` (its `src` is the subscriber, `dst` ignored), answered from
    /// `port_mac`. The template is the downstream header: Ethernet to the subscriber
    /// with the same tags (TPIDs and priorities as the subscriber sent them), the PPPoE
    /// session header (RFC 2516 §6, LENGTH patched per packet) and PPP protocol 0x0021.
    pub fn new(port: u16, port_mac: [u8; 6], l2: &L2Header, pppoe_id: u16) -> Result<Self, SessionError> {
        let h = L2Header {
            dst: l2.src,
            src: EthernetAddress(port_mac),
            outer_vlan: l2.outer_vlan,
            inner_vlan: l2.inner_vlan,
            ethertype: EtherType::PPPOE_SESSION,
            header_len: 0,
        };
        let mut template = [0u8; MAX_TEMPLATE];
        let n = emit_l2(&h, &mut template).map_err(|_| SessionError::BadTemplate)?;
        template[n..n + PPPOE_HEADER_LEN].copy_from_slice(&session_header(pppoe_id));
        template[n + PPPOE_HEADER_LEN..n + PPPOE_HEADER_LEN + 2].copy_from_slice(&PppProtocol::IPV4.0.to_be_bytes());
        Ok(PppoeSessionParams {
            port,
            outer: l2.outer_vlan.map(|t| t.vid),
            inner: l2.inner_vlan.map(|t| t.vid),
            peer_mac: l2.src.0,
            pppoe_id,
            template,
            template_len: (n + PPPOE_HEADER_LEN + 2) as u8,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionError {
    /// Every slot is in use (or waiting for its grace period).
    Full,
    /// The PPPoE key is already in the index.
    Duplicate,
    /// The index is not a live session.
    NotLive,
    BadTemplate,
}

impl core::fmt::Display for SessionError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            SessionError::Full => "session table full (raise pppoe.max_sessions)",
            SessionError::Duplicate => "a session with this port, VLANs, MAC and session id exists",
            SessionError::NotLive => "no such session",
            SessionError::BadTemplate => "encapsulation template longer than 32 bytes",
        })
    }
}

/// The writer side, owned by the control core.
pub struct SessionWriter {
    table: Arc<SessionTable>,
    free: Vec<u32>,
    deferred: Deferred<Reclaim>,
    /// Index slots that were tombstones and are past their grace period.
    reusable: Vec<bool>,
    /// Where each live session sits in the index, to remove it.
    index_slot: Vec<u32>,
    generation: Vec<u32>,
    qsbr: Arc<Qsbr>,
}

enum Reclaim {
    Session(u32),
    IndexSlot(u32),
}

const NO_SLOT: u32 = u32::MAX;

impl SessionWriter {
    /// A table of `capacity` sessions (at most [`MAX_SESSIONS`]) with counters for
    /// `workers` workers.
    pub fn new(capacity: usize, workers: usize, qsbr: Arc<Qsbr>) -> Self {
        let capacity = capacity.clamp(1, MAX_SESSIONS as usize);
        let table = Arc::new(SessionTable {
            records: Table::new(capacity, |_| Record::new()),
            counters: (0..workers.max(1)).map(|_| SessionCounters::new(capacity)).collect(),
            pppoe: PppoeIndex::new(capacity),
            live: AtomicU64::new(0),
        });
        let index_slots = table.pppoe.slots.len();
        SessionWriter {
            table,
            // Pop from the end: low indices first.
            free: (0..capacity as u32).rev().collect(),
            deferred: Deferred::new(),
            reusable: vec![false; index_slots],
            index_slot: vec![NO_SLOT; capacity],
            generation: vec![0; capacity],
            qsbr,
        }
    }

    pub fn table(&self) -> Arc<SessionTable> {
        self.table.clone()
    }

    /// Live sessions (the table's count, which only this writer changes).
    pub fn len(&self) -> usize {
        self.table.live_hint() as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Slots neither live nor waiting for a grace period.
    pub fn free_slots(&self) -> usize {
        self.free.len()
    }

    /// Slots waiting for a grace period before they can be reused.
    pub fn deferred(&self) -> usize {
        self.deferred.len()
    }

    /// Publish a PPPoE session (at PADS): its index entry, its template, live with no
    /// IPv4 yet. Returns the session index and generation.
    pub fn add_pppoe(&mut self, p: &PppoeSessionParams, our_magic: u32, mru: u16, flags: u64) -> Result<(u32, u32), SessionError> {
        if p.template_len as usize > MAX_TEMPLATE {
            return Err(SessionError::BadTemplate);
        }
        let (mac_id, link) = index_key(p.port, p.outer, p.inner, p.peer_mac, p.pppoe_id);
        if self.table.pppoe.find(mac_id, link).is_some() {
            return Err(SessionError::Duplicate);
        }
        if self.free.is_empty() {
            self.maintain();
        }
        let Some(index) = self.free.pop() else {
            return Err(SessionError::Full);
        };
        let Some(slot) = self.free_index_slot(mac_id, link) else {
            self.free.push(index);
            return Err(SessionError::Full);
        };
        let gen = self.generation[index as usize].wrapping_add(1) & GEN_MASK as u32;
        self.generation[index as usize] = gen;
        let t = &self.table;
        let r = &t.records[index as usize];
        for w in t.counters.iter() {
            let c = &w.slots[index as usize];
            for a in [&c.rx_packets, &c.rx_bytes, &c.tx_packets, &c.tx_bytes] {
                a.store(0, Ordering::Relaxed);
            }
        }
        r.ip4.store((mru as u64) << 16, Ordering::Relaxed);
        r.link.store((p.port as u64) << 48 | (p.pppoe_id as u64) << 32 | our_magic as u64, Ordering::Relaxed);
        let tl = p.template_len as usize;
        let mut aligned = [0u8; MAX_TEMPLATE];
        aligned[MAX_TEMPLATE - tl..].copy_from_slice(&p.template[..tl]);
        for (i, w) in r.template.iter().enumerate() {
            let mut b = [0u8; 8];
            b.copy_from_slice(&aligned[i * 8..i * 8 + 8]);
            w.store(u64::from_le_bytes(b), Ordering::Relaxed);
        }
        let state = LIVE
            | (flags & ECHO_OFFLOAD)
            | (SessionKind::Pppoe as u64) << KIND_SHIFT
            | (p.template_len as u64) << TMPL_LEN_SHIFT
            | gen as u64;
        r.state.store(state, Ordering::Release);
        let s = &t.pppoe.slots[slot as usize];
        s.mac_id.store(mac_id, Ordering::Relaxed);
        s.link.store(link | index as u64, Ordering::Release);
        self.index_slot[index as usize] = slot;
        t.live.store(t.live.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        Ok((index, gen))
    }

    /// IPCP opened: the subscriber's address and MSS clamp; IPv4 flows from now on.
    pub fn open_ipv4(&mut self, index: u32, peer_ip: u32, mss: u16) -> Result<(), SessionError> {
        let r = self.live_record(index)?;
        let ip4 = r.ip4.load(Ordering::Relaxed);
        r.ip4.store((peer_ip as u64) << 32 | (ip4 & 0xffff_0000) | mss as u64, Ordering::Relaxed);
        let st = r.state.load(Ordering::Relaxed);
        r.state.store(st | IPV4_OPEN, Ordering::Release);
        Ok(())
    }

    /// IPCP went down: stop forwarding IPv4 (the address stays until the session goes).
    pub fn close_ipv4(&mut self, index: u32) -> Result<(), SessionError> {
        let r = self.live_record(index)?;
        let st = r.state.load(Ordering::Relaxed);
        r.state.store(st & !IPV4_OPEN, Ordering::Release);
        Ok(())
    }

    /// Hand LCP Echo-Requests to the workers (LCP Opened, our magic published) or take
    /// them back.
    pub fn set_echo_offload(&mut self, index: u32, on: bool) -> Result<(), SessionError> {
        let r = self.live_record(index)?;
        let st = r.state.load(Ordering::Relaxed);
        r.state.store(if on { st | ECHO_OFFLOAD } else { st & !ECHO_OFFLOAD }, Ordering::Release);
        Ok(())
    }

    /// Change the MRU (LCP renegotiated).
    pub fn set_mru(&mut self, index: u32, mru: u16) -> Result<(), SessionError> {
        let r = self.live_record(index)?;
        let ip4 = r.ip4.load(Ordering::Relaxed);
        r.ip4.store((ip4 & !0xffff_0000) | (mru as u64) << 16, Ordering::Release);
        Ok(())
    }

    /// Change our magic number (LCP renegotiated), used by workers answering echoes.
    pub fn set_magic(&mut self, index: u32, our_magic: u32) -> Result<(), SessionError> {
        let r = self.live_record(index)?;
        let link = r.link.load(Ordering::Relaxed);
        r.link.store((link & !0xffff_ffff) | our_magic as u64, Ordering::Release);
        Ok(())
    }

    /// Take a session out: workers stop finding it at once; its slot is reused after a
    /// grace period.
    pub fn remove(&mut self, index: u32) -> Result<(), SessionError> {
        let r = self.live_record(index)?;
        r.state.store(0, Ordering::Release);
        let slot = core::mem::replace(&mut self.index_slot[index as usize], NO_SLOT);
        if slot != NO_SLOT {
            self.table.pppoe.slots[slot as usize].link.store(TOMBSTONE, Ordering::Release);
        }
        let live = &self.table.live;
        live.store(live.load(Ordering::Relaxed) - 1, Ordering::Relaxed);
        let token = self.qsbr.start();
        self.deferred.defer(token, Reclaim::Session(index));
        if slot != NO_SLOT {
            self.deferred.defer(token, Reclaim::IndexSlot(slot));
        }
        Ok(())
    }

    /// Recycle what is past its grace period; call from the control loop.
    pub fn maintain(&mut self) {
        for item in self.deferred.reclaim(&self.qsbr) {
            match item {
                Reclaim::Session(i) => self.free.push(i),
                Reclaim::IndexSlot(s) => self.reusable[s as usize] = true,
            }
        }
    }

    /// The generation a live session was published with.
    pub fn generation(&self, index: u32) -> Option<u32> {
        self.table.get(index).map(|s| s.generation)
    }

    fn live_record(&self, index: u32) -> Result<&Record, SessionError> {
        let r = self.table.records.get(index as usize).ok_or(SessionError::NotLive)?;
        if r.state.load(Ordering::Relaxed) & LIVE == 0 {
            return Err(SessionError::NotLive);
        }
        Ok(r)
    }

    fn free_index_slot(&mut self, mac_id: u64, link: u64) -> Option<u32> {
        let ix = &self.table.pppoe;
        let mut i = ix.home(mac_id, link);
        for _ in 0..ix.slots.len() {
            let l = ix.slots[i as usize].link.load(Ordering::Relaxed);
            if l == EMPTY || (l == TOMBSTONE && self.reusable[i as usize]) {
                self.reusable[i as usize] = false;
                return Some(i as u32);
            }
            i = (i + 1) & ix.mask;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(mac_low: u32, id: u16, outer: Vid, inner: Vid) -> PppoeSessionParams {
        let m = mac_low.to_be_bytes();
        let mut template = [0u8; MAX_TEMPLATE];
        template[0] = 0xaa;
        template[29] = 0x21;
        PppoeSessionParams {
            port: 1,
            outer,
            inner,
            peer_mac: [0x02, 0, m[0], m[1], m[2], m[3]],
            pppoe_id: id,
            template,
            template_len: 30,
        }
    }

    #[test]
    fn template_from_the_subscriber_frame() {
        use crate::wire::ethernet::{parse_l2, VlanTag};
        // A PADR from a QinQ subscriber: S-tag 0x88a8 VID 7 PCP 3, C-tag VID 8.
        let padr = [
            0x02, 0, 0, 0, 0xac, 1, 0x02, 0, 0x5e, 0, 0, 0x42, 0x88, 0xa8, 0x60, 7, 0x81, 0x00, 0, 8, 0x88, 0x63,
        ];
        let l2 = parse_l2(&padr).unwrap();
        assert_eq!(l2.outer_vlan, Some(VlanTag { tpid: EtherType::QINQ, pcp: 3, dei: false, vid: 7 }));
        let p = PppoeSessionParams::new(3, [0x02, 0, 0, 0, 0xac, 1], &l2, 0x1234).unwrap();
        assert_eq!((p.port, p.outer, p.inner, p.peer_mac, p.pppoe_id), (3, Some(7), Some(8), [2, 0, 0x5e, 0, 0, 0x42], 0x1234));
        let expect = [
            0x02, 0, 0x5e, 0, 0, 0x42, 0x02, 0, 0, 0, 0xac, 1, 0x88, 0xa8, 0x60, 7, 0x81, 0x00, 0, 8, 0x88, 0x64, 0x11, 0x00,
            0x12, 0x34, 0, 0, 0x00, 0x21,
        ];
        assert_eq!(&p.template[..p.template_len as usize], &expect);
    }

    #[test]
    fn publish_lookup_open_remove() {
        let q = Qsbr::new(1);
        let mut w = SessionWriter::new(16, 2, q.clone());
        let t = w.table();
        let p = params(7, 0x1234, Some(100), Some(200));
        let (i, g) = w.add_pppoe(&p, 0xdead_beef, 1492, ECHO_OFFLOAD).unwrap();
        assert_eq!(t.lookup_pppoe(1, Some(100), Some(200), p.peer_mac, 0x1234), Some(i));
        // Every key part matters.
        assert_eq!(t.lookup_pppoe(2, Some(100), Some(200), p.peer_mac, 0x1234), None);
        assert_eq!(t.lookup_pppoe(1, Some(101), Some(200), p.peer_mac, 0x1234), None);
        assert_eq!(t.lookup_pppoe(1, Some(100), None, p.peer_mac, 0x1234), None);
        assert_eq!(t.lookup_pppoe(1, Some(100), Some(200), [2, 0, 0, 0, 0, 8], 0x1234), None);
        assert_eq!(t.lookup_pppoe(1, Some(100), Some(200), p.peer_mac, 0x1235), None);
        let s = t.get(i).unwrap();
        assert_eq!((s.kind, s.generation, s.mru, s.our_magic, s.pppoe_id, s.port), (SessionKind::Pppoe, g, 1492, 0xdead_beef, 0x1234, 1));
        assert!(!s.ipv4_open() && s.echo_offload());
        assert_eq!(s.template(), &p.template[..30]);
        assert_eq!(w.add_pppoe(&p, 1, 1492, 0), Err(SessionError::Duplicate));

        w.set_echo_offload(i, false).unwrap();
        assert!(!t.get(i).unwrap().echo_offload());
        w.open_ipv4(i, 0x6440_0001, 1452).unwrap();
        let s = t.get(i).unwrap();
        assert!(s.ipv4_open());
        assert_eq!((s.peer_ip, s.mss, s.mru), (0x6440_0001, 1452, 1492));

        t.counters(0).unwrap().rx(i, 100);
        t.counters(1).unwrap().rx(i, 50);
        t.counters(1).unwrap().tx(i, 1000);
        assert_eq!(t.traffic(i), SessionTraffic { rx_packets: 2, rx_bytes: 150, tx_packets: 1, tx_bytes: 1000 });

        w.remove(i).unwrap();
        assert_eq!(t.get(i), None);
        assert_eq!(t.lookup_pppoe(1, Some(100), Some(200), p.peer_mac, 0x1234), None);
        assert_eq!(w.remove(i), Err(SessionError::NotLive));
        assert_eq!(w.len(), 0);
    }

    #[test]
    fn slots_wait_for_the_grace_period_and_come_back_clean() {
        let q = Qsbr::new(1);
        let reader = q.register();
        let mut w = SessionWriter::new(2, 1, q.clone());
        let t = w.table();
        let (a, _) = w.add_pppoe(&params(1, 1, None, None), 0, 1492, 0).unwrap();
        let (_b, _) = w.add_pppoe(&params(2, 1, None, None), 0, 1492, 0).unwrap();
        assert_eq!(w.add_pppoe(&params(3, 1, None, None), 0, 1492, 0), Err(SessionError::Full));
        t.counters(0).unwrap().rx(a, 10);
        w.remove(a).unwrap();
        // A worker may still be reading slot `a` in this iteration: not reused yet.
        assert_eq!(w.add_pppoe(&params(3, 1, None, None), 0, 1492, 0), Err(SessionError::Full));
        reader.quiescent();
        let (c, g) = w.add_pppoe(&params(3, 1, None, None), 0, 1492, 0).unwrap();
        assert_eq!(c, a);
        assert_eq!(g, 2, "a reused slot has a new generation");
        assert_eq!(t.traffic(c), SessionTraffic::default(), "counters start from zero");
        assert_eq!(t.lookup_pppoe(1, None, None, params(3, 1, None, None).peer_mac, 1), Some(c));
    }

    #[test]
    fn a_million_sessions_in_and_out() {
        let q = Qsbr::new(1);
        let n = 1 << 20;
        let mut w = SessionWriter::new(n, 1, q);
        let t = w.table();
        let mut idx = Vec::with_capacity(n);
        for k in 0..n as u32 {
            // Session ids repeat across MACs, as RFC 2516 allows.
            let p = params(k, (k % 7) as u16 + 1, Some((k % 4000) as u16), None);
            idx.push(w.add_pppoe(&p, k, 1492, 0).unwrap().0);
        }
        assert_eq!(w.len(), n);
        for k in (0..n as u32).step_by(997) {
            let p = params(k, (k % 7) as u16 + 1, Some((k % 4000) as u16), None);
            assert_eq!(t.lookup_pppoe(1, p.outer, p.inner, p.peer_mac, p.pppoe_id), Some(idx[k as usize]));
            assert_eq!(t.get(idx[k as usize]).unwrap().our_magic, k);
        }
        for &i in &idx {
            w.remove(i).unwrap();
        }
        w.maintain();
        assert!(w.is_empty());
        assert_eq!(w.free_slots(), n);
        assert!(t.bytes_per_session() < 256, "{} bytes per session", t.bytes_per_session());
    }

    #[test]
    fn readers_never_see_a_half_built_session() {
        use std::sync::atomic::AtomicBool;
        let q = Qsbr::new(2);
        let mut w = SessionWriter::new(64, 1, q.clone());
        let t = w.table();
        let stop = Arc::new(AtomicBool::new(false));
        let progress = Arc::new(AtomicU64::new(0));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let (t, q, stop, progress) = (t.clone(), q.clone(), stop.clone(), progress.clone());
                std::thread::spawn(move || {
                    let r = q.register();
                    let mut seen = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        r.quiescent();
                        for k in 0..64u32 {
                            let p = params(k, 1, None, None);
                            if let Some(i) = t.lookup_pppoe(1, None, None, p.peer_mac, 1) {
                                if let Some(s) = t.get(i) {
                                    // The magic is the MAC's low bits and the template
                                    // is whole: never another session's record.
                                    assert_eq!(s.our_magic, k);
                                    assert_eq!(s.template_len, 30);
                                    assert_eq!(s.template[0], 0xaa);
                                    seen += 1;
                                }
                            }
                        }
                        progress.store(seen, Ordering::Relaxed);
                    }
                    seen
                })
            })
            .collect();
        let mut live: Vec<Option<u32>> = vec![None; 64];
        // Churn until the readers have looked at many live sessions (bounded).
        let mut round = 0u32;
        while round < 20_000 || (progress.load(Ordering::Relaxed) < 10_000 && round < 50_000_000) {
            round += 1;
            let k = (round.wrapping_mul(2_654_435_761) >> 26) as usize;
            match live[k] {
                Some(i) => {
                    w.remove(i).unwrap();
                    live[k] = None;
                }
                None => {
                    w.maintain();
                    if let Ok((i, _)) = w.add_pppoe(&params(k as u32, 1, None, None), k as u32, 1492, 0) {
                        live[k] = Some(i);
                    }
                }
            }
        }
        stop.store(true, Ordering::Relaxed);
        let seen: u64 = readers.into_iter().map(|h| h.join().unwrap()).sum();
        assert!(seen > 0);
    }
}
