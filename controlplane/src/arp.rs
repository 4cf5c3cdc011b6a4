//! The neighbour manager: ARP resolution and neighbour lifetimes (RFC 826, RFC 1122
//! §2.3.2), sans-IO.
//!
//! It is fed ARP packets the workers punted, packets waiting for a neighbour, and the
//! clock (milliseconds); it answers with [`Action`]s for the driver to carry out (send
//! a request or reply, release held packets, update cached MACs). It is the only
//! writer of the data plane's neighbour table.
//!
//! - An unknown neighbour is marked incomplete in the data plane (workers then drop
//!   instead of punting again), a request is sent, and up to `max_pending` packets are
//!   held (RFC 1122 §2.3.2.2 asks for at least one). After `retries` unanswered
//!   requests the held packets are dropped and the entry removed.
//! - A reachable neighbour older than `timeout_ms` is re-probed with unicast requests
//!   (RFC 1122 §2.3.2.1); if it stops answering it is removed and next hops through it
//!   lose their MAC.
//! - Requests for our addresses teach us the sender (RFC 826 "merge" plus learning
//!   from requests aimed at us, as every router does); replies update only entries we
//!   asked about; gratuitous ARP updates entries we already have.

use std::collections::HashMap;

use dataplane::neighbour::NeighbourWriter;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArpConfig {
    pub timeout_ms: u64,
    pub retry_ms: u64,
    pub retries: u32,
    pub max_pending: usize,
}

impl Default for ArpConfig {
    fn default() -> Self {
        ArpConfig { timeout_ms: 300_000, retry_ms: 1_000, retries: 3, max_pending: 3 }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Incomplete,
    Reachable,
    /// Reachable but past its lifetime: being re-probed.
    Stale,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Incomplete => "incomplete",
            State::Reachable => "reachable",
            State::Stale => "stale",
        }
    }
}

struct Entry<P> {
    state: State,
    mac: Option<[u8; 6]>,
    /// When the MAC was last confirmed (ms).
    confirmed: u64,
    tries: u32,
    next_event: u64,
    pending: Vec<P>,
}

/// What the driver must do.
#[derive(Debug, PartialEq, Eq)]
pub enum Action<P> {
    /// Send an ARP request for `target` out of `port` (broadcast, or unicast to a known MAC).
    Request { port: u16, target: u32, unicast: Option<[u8; 6]> },
    /// Answer `to_ip`/`to_mac` that `our_ip` is at the port's MAC.
    Reply { port: u16, to_mac: [u8; 6], to_ip: u32, our_ip: u32 },
    /// Send these held packets to `mac` out of `port`.
    Release { port: u16, mac: [u8; 6], packets: Vec<P> },
    /// Held packets that could not be delivered.
    Discard { packets: Vec<P> },
    /// The neighbour's MAC changed (None: gone): next hops through it must follow.
    MacChanged { port: u16, ip: u32, mac: Option<[u8; 6]> },
}

/// An ARP packet as the driver parsed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArpInfo {
    pub request: bool,
    pub sender_mac: [u8; 6],
    pub sender_ip: u32,
    pub target_ip: u32,
}

pub struct NeighbourView {
    pub port: u16,
    pub ip: u32,
    pub mac: Option<[u8; 6]>,
    pub state: State,
    pub age_ms: u64,
}

pub struct NeighbourManager<P> {
    writer: NeighbourWriter,
    entries: HashMap<(u16, u32), Entry<P>>,
    config: ArpConfig,
    /// Packets dropped because an entry already held `max_pending`.
    pub overflow_drops: u64,
}

impl<P> NeighbourManager<P> {
    pub fn new(writer: NeighbourWriter, config: ArpConfig) -> Self {
        NeighbourManager { writer, entries: HashMap::new(), config, overflow_drops: 0 }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn table(&self) -> std::sync::Arc<dataplane::neighbour::NeighbourTable> {
        self.writer.table()
    }

    pub fn mac(&self, port: u16, ip: u32) -> Option<[u8; 6]> {
        self.entries.get(&(port, ip)).and_then(|e| e.mac)
    }

    pub fn view(&self, now: u64) -> Vec<NeighbourView> {
        let mut v: Vec<NeighbourView> = self
            .entries
            .iter()
            .map(|(&(port, ip), e)| NeighbourView {
                port,
                ip,
                mac: e.mac,
                state: e.state,
                age_ms: now.saturating_sub(e.confirmed),
            })
            .collect();
        v.sort_by_key(|n| (n.port, n.ip));
        v
    }

    fn start(&mut self, now: u64, port: u16, ip: u32, out: &mut Vec<Action<P>>) -> bool {
        if self.writer.set_incomplete(port, ip).is_err() {
            return false;
        }
        self.entries.insert(
            (port, ip),
            Entry { state: State::Incomplete, mac: None, confirmed: now, tries: 1, next_event: now + self.config.retry_ms, pending: Vec::new() },
        );
        out.push(Action::Request { port, target: ip, unicast: None });
        true
    }

    /// A packet for `ip` on `port` found no neighbour: hold it and resolve.
    pub fn resolve(&mut self, now: u64, port: u16, ip: u32, packet: P) -> Vec<Action<P>> {
        let mut out = Vec::new();
        if let Some(e) = self.entries.get_mut(&(port, ip)) {
            if let Some(mac) = e.mac {
                out.push(Action::Release { port, mac, packets: vec![packet] });
            } else if e.pending.len() < self.config.max_pending {
                e.pending.push(packet);
            } else {
                self.overflow_drops += 1;
                out.push(Action::Discard { packets: vec![packet] });
            }
            return out;
        }
        if self.start(now, port, ip, &mut out) {
            self.entries.get_mut(&(port, ip)).expect("just inserted").pending.push(packet);
        } else {
            self.overflow_drops += 1;
            out.push(Action::Discard { packets: vec![packet] });
        }
        out
    }

    /// Resolve `ip` ahead of traffic (next hops of routes).
    pub fn ensure(&mut self, now: u64, port: u16, ip: u32) -> Vec<Action<P>> {
        let mut out = Vec::new();
        if !self.entries.contains_key(&(port, ip)) {
            self.start(now, port, ip, &mut out);
        }
        out
    }

    fn learn(&mut self, now: u64, port: u16, ip: u32, mac: [u8; 6], out: &mut Vec<Action<P>>) {
        let changed;
        if let Some(e) = self.entries.get_mut(&(port, ip)) {
            changed = e.mac != Some(mac);
            e.mac = Some(mac);
            e.state = State::Reachable;
            e.confirmed = now;
            e.tries = 0;
            e.next_event = now + self.config.timeout_ms;
            if !e.pending.is_empty() {
                out.push(Action::Release { port, mac, packets: std::mem::take(&mut e.pending) });
            }
        } else {
            changed = true;
            self.entries.insert(
                (port, ip),
                Entry { state: State::Reachable, mac: Some(mac), confirmed: now, tries: 0, next_event: now + self.config.timeout_ms, pending: Vec::new() },
            );
        }
        if changed {
            if self.writer.set(port, ip, mac).is_err() {
                // Table full: forget it again rather than hold an entry workers cannot see.
                if let Some(e) = self.entries.remove(&(port, ip)) {
                    if !e.pending.is_empty() {
                        out.push(Action::Discard { packets: e.pending });
                    }
                }
                return;
            }
            out.push(Action::MacChanged { port, ip, mac: Some(mac) });
        }
    }

    /// An ARP packet arrived on `port`. `ours(ip)` says whether `ip` is one of the
    /// port's addresses; `on_link(ip)` whether it lies in one of its connected prefixes.
    pub fn on_arp(
        &mut self,
        now: u64,
        port: u16,
        arp: ArpInfo,
        ours: impl Fn(u32) -> bool,
        on_link: impl Fn(u32) -> bool,
    ) -> Vec<Action<P>> {
        let mut out = Vec::new();
        let sender_ok = arp.sender_ip != 0
            && on_link(arp.sender_ip)
            && !ours(arp.sender_ip)
            && arp.sender_mac[0] & 1 == 0
            && arp.sender_mac != [0; 6];
        let known = self.entries.contains_key(&(port, arp.sender_ip));
        if arp.request && ours(arp.target_ip) {
            if sender_ok {
                self.learn(now, port, arp.sender_ip, arp.sender_mac, &mut out);
            }
            if arp.sender_mac[0] & 1 == 0 {
                out.push(Action::Reply { port, to_mac: arp.sender_mac, to_ip: arp.sender_ip, our_ip: arp.target_ip });
            }
        } else if sender_ok && known {
            self.learn(now, port, arp.sender_ip, arp.sender_mac, &mut out);
        }
        out
    }

    /// Run timers; returns the actions due. Call every few milliseconds.
    pub fn on_timer(&mut self, now: u64) -> Vec<Action<P>> {
        let mut out = Vec::new();
        let mut dead = Vec::new();
        for (&(port, ip), e) in self.entries.iter_mut() {
            if e.next_event > now {
                continue;
            }
            match e.state {
                State::Reachable => {
                    e.state = State::Stale;
                    e.tries = 1;
                    e.next_event = now + self.config.retry_ms;
                    out.push(Action::Request { port, target: ip, unicast: e.mac });
                }
                State::Incomplete | State::Stale => {
                    if e.tries < self.config.retries {
                        e.tries += 1;
                        e.next_event = now + self.config.retry_ms;
                        let unicast = if e.state == State::Stale { e.mac } else { None };
                        out.push(Action::Request { port, target: ip, unicast });
                    } else {
                        dead.push((port, ip));
                    }
                }
            }
        }
        for (port, ip) in dead {
            let e = self.entries.remove(&(port, ip)).expect("dead entry");
            self.writer.remove(port, ip);
            if !e.pending.is_empty() {
                out.push(Action::Discard { packets: e.pending });
            }
            if e.mac.is_some() {
                out.push(Action::MacChanged { port, ip, mac: None });
            }
        }
        self.writer.maintain();
        out
    }

    /// Forget every neighbour on `port` (port down) or everything (`None`).
    pub fn flush(&mut self, port: Option<u16>) -> Vec<Action<P>> {
        let keys: Vec<(u16, u32)> = self.entries.keys().copied().filter(|(p, _)| port.is_none_or(|x| x == *p)).collect();
        let mut out = Vec::new();
        for (p, ip) in keys {
            let e = self.entries.remove(&(p, ip)).expect("listed");
            self.writer.remove(p, ip);
            if !e.pending.is_empty() {
                out.push(Action::Discard { packets: e.pending });
            }
            if e.mac.is_some() {
                out.push(Action::MacChanged { port: p, ip, mac: None });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dataplane::neighbour::Lookup;
    use dataplane::rcu::Qsbr;

    const US: u32 = 0xc0000201; // 192.0.2.1
    const HOST: u32 = 0xc0000202;
    const MAC: [u8; 6] = [2, 0, 0, 0, 0, 2];

    fn mgr() -> NeighbourManager<u32> {
        NeighbourManager::new(NeighbourWriter::new(64, Qsbr::new(2)), ArpConfig::default())
    }
    fn ours(ip: u32) -> bool {
        ip == US
    }
    fn on_link(ip: u32) -> bool {
        ip >> 8 == US >> 8
    }

    #[test]
    fn resolve_holds_packets_then_releases_them() {
        let mut m = mgr();
        let t = m.table();
        let a = m.resolve(0, 1, HOST, 100);
        assert_eq!(a, vec![Action::Request { port: 1, target: HOST, unicast: None }]);
        assert_eq!(t.lookup(1, HOST), Lookup::Incomplete);
        assert!(m.resolve(1, 1, HOST, 101).is_empty());
        assert!(m.resolve(2, 1, HOST, 102).is_empty());
        // The fourth is over max_pending.
        assert_eq!(m.resolve(3, 1, HOST, 103), vec![Action::Discard { packets: vec![103] }]);
        let reply = ArpInfo { request: false, sender_mac: MAC, sender_ip: HOST, target_ip: US };
        let a = m.on_arp(10, 1, reply, ours, on_link);
        assert_eq!(
            a,
            vec![
                Action::Release { port: 1, mac: MAC, packets: vec![100, 101, 102] },
                Action::MacChanged { port: 1, ip: HOST, mac: Some(MAC) }
            ]
        );
        assert_eq!(t.lookup(1, HOST), Lookup::Resolved(MAC));
    }

    #[test]
    fn unanswered_resolution_gives_up() {
        let mut m = mgr();
        let t = m.table();
        m.resolve(0, 1, HOST, 7);
        assert_eq!(m.on_timer(1000), vec![Action::Request { port: 1, target: HOST, unicast: None }]);
        assert_eq!(m.on_timer(2000), vec![Action::Request { port: 1, target: HOST, unicast: None }]);
        assert_eq!(m.on_timer(3000), vec![Action::Discard { packets: vec![7] }]);
        assert!(m.is_empty());
        assert_eq!(t.lookup(1, HOST), Lookup::Miss);
    }

    #[test]
    fn request_for_us_learns_and_replies() {
        let mut m = mgr();
        let req = ArpInfo { request: true, sender_mac: MAC, sender_ip: HOST, target_ip: US };
        let a = m.on_arp(0, 1, req, ours, on_link);
        assert!(a.contains(&Action::Reply { port: 1, to_mac: MAC, to_ip: HOST, our_ip: US }));
        assert!(a.contains(&Action::MacChanged { port: 1, ip: HOST, mac: Some(MAC) }));
        // Off-link sender: answered, not learnt.
        let req = ArpInfo { request: true, sender_mac: MAC, sender_ip: 0x0a000001, target_ip: US };
        let a = m.on_arp(0, 1, req, ours, on_link);
        assert_eq!(a, vec![Action::Reply { port: 1, to_mac: MAC, to_ip: 0x0a000001, our_ip: US }]);
        assert_eq!(m.len(), 1);
    }

    #[test]
    fn unsolicited_reply_is_ignored_and_stale_neighbour_expires() {
        let mut m = mgr();
        let reply = ArpInfo { request: false, sender_mac: MAC, sender_ip: HOST, target_ip: US };
        assert!(m.on_arp(0, 1, reply, ours, on_link).is_empty());
        assert!(m.is_empty());
        m.ensure(0, 1, HOST);
        m.on_arp(0, 1, reply, ours, on_link);
        let timeout = ArpConfig::default().timeout_ms;
        assert_eq!(m.on_timer(timeout), vec![Action::Request { port: 1, target: HOST, unicast: Some(MAC) }]);
        m.on_timer(timeout + 1000);
        m.on_timer(timeout + 2000);
        assert_eq!(m.on_timer(timeout + 3000), vec![Action::MacChanged { port: 1, ip: HOST, mac: None }]);
        assert!(m.is_empty());
    }

    #[test]
    fn gratuitous_arp_updates_known_neighbour() {
        let mut m = mgr();
        m.ensure(0, 1, HOST);
        m.on_arp(0, 1, ArpInfo { request: false, sender_mac: MAC, sender_ip: HOST, target_ip: US }, ours, on_link);
        let new = [2, 0, 0, 0, 0, 9];
        let garp = ArpInfo { request: true, sender_mac: new, sender_ip: HOST, target_ip: HOST };
        assert_eq!(m.on_arp(5, 1, garp, ours, on_link), vec![Action::MacChanged { port: 1, ip: HOST, mac: Some(new) }]);
        assert_eq!(m.mac(1, HOST), Some(new));
    }
}
