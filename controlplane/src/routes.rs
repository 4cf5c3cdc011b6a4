//! The route manager: the control core's authoritative routing table, which it
//! programs into the data plane's FIB and adjacency table (it is their only writer).
//!
//! Sources: `connected` (a port's prefix), `local` (a port's own address, /32),
//! `static` (the configuration), `runtime` (`dpvpnctl route add`) and `subscriber` (a
//! session's address and framed routes, which point straight at the session: FIB values
//! from `dataplane::session::FIB_SESSION_BASE` up, no adjacency). Adjacencies are
//! shared: every route via the same next hop points at one adjacency, whose cached MAC
//! the neighbour manager keeps current. An adjacency no route uses any more is freed
//! after a QSBR grace period, so no worker can be looking at it when it is reused.

use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;
use std::sync::Arc;

use dataplane::adjacency::{Adjacency, AdjacencyTable};
use dataplane::fib::{FibConfig, FibError, FibTable, FibWriter};
use dataplane::rcu::{Deferred, Qsbr};
use dataplane::session::{fib_session, fib_value};
#[cfg(test)]
use dataplane::session::FIB_SESSION_BASE;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RouteSource {
    Connected,
    Local,
    Static,
    Runtime,
    Subscriber,
}

impl RouteSource {
    pub fn name(self) -> &'static str {
        match self {
            RouteSource::Connected => "connected",
            RouteSource::Local => "local",
            RouteSource::Static => "static",
            RouteSource::Runtime => "runtime",
            RouteSource::Subscriber => "subscriber",
        }
    }
}

/// Where a route sends what it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteTarget {
    Adjacency(Adjacency),
    /// A subscriber session (its data-plane index).
    Session(u32),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub prefix: u32,
    pub len: u8,
    pub target: RouteTarget,
    pub source: RouteSource,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteError {
    Fib(FibError),
    /// A route for this prefix exists and belongs to another source.
    Exists { source: RouteSource },
    NotFound,
    /// Connected and local routes follow the port configuration.
    NotRemovable { source: RouteSource },
    AdjacenciesExhausted,
}

impl std::fmt::Display for RouteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RouteError::Fib(e) => write!(f, "{e}"),
            RouteError::Exists { source } => write!(f, "a {} route for this prefix exists", source.name()),
            RouteError::NotFound => f.write_str("no such route"),
            RouteError::NotRemovable { source } => {
                write!(f, "{} routes follow the port configuration and cannot be removed", source.name())
            }
            RouteError::AdjacenciesExhausted => f.write_str("adjacency table full"),
        }
    }
}

impl std::error::Error for RouteError {}

pub fn prefix_string(prefix: u32, len: u8) -> String {
    format!("{}/{}", Ipv4Addr::from(prefix), len)
}

struct AdjSlot {
    adjacency: Adjacency,
    users: u32,
}

pub struct RouteManager {
    fib: FibWriter,
    adjacencies: Arc<AdjacencyTable>,
    slots: Vec<Option<AdjSlot>>,
    by_adjacency: HashMap<Adjacency, u32>,
    free: Vec<u32>,
    deferred: Deferred<u32>,
    routes: BTreeMap<(u32, u8), Route>,
    qsbr: Arc<Qsbr>,
}

impl RouteManager {
    pub fn new(fib: FibConfig, max_adjacencies: usize, qsbr: Arc<Qsbr>) -> Self {
        let adjacencies = Arc::new(AdjacencyTable::new(max_adjacencies));
        RouteManager {
            fib: FibWriter::new(fib, qsbr.clone()),
            adjacencies,
            slots: (0..max_adjacencies).map(|_| None).collect(),
            by_adjacency: HashMap::new(),
            free: (0..max_adjacencies as u32).rev().collect(),
            deferred: Deferred::new(),
            routes: BTreeMap::new(),
            qsbr,
        }
    }

    pub fn fib_table(&self) -> Arc<FibTable> {
        self.fib.table()
    }

    pub fn adjacency_table(&self) -> Arc<AdjacencyTable> {
        self.adjacencies.clone()
    }

    fn acquire(&mut self, adj: Adjacency) -> Result<u32, RouteError> {
        if let Some(&i) = self.by_adjacency.get(&adj) {
            self.slots[i as usize].as_mut().expect("indexed slot").users += 1;
            return Ok(i);
        }
        if self.free.is_empty() {
            self.maintain();
        }
        let i = self.free.pop().ok_or(RouteError::AdjacenciesExhausted)?;
        self.adjacencies.set(i, adj);
        self.slots[i as usize] = Some(AdjSlot { adjacency: adj, users: 1 });
        self.by_adjacency.insert(adj, i);
        Ok(i)
    }

    fn release(&mut self, i: u32) {
        let slot = self.slots[i as usize].as_mut().expect("released slot in use");
        slot.users -= 1;
        if slot.users == 0 {
            let adj = slot.adjacency;
            self.slots[i as usize] = None;
            self.by_adjacency.remove(&adj);
            let token = self.qsbr.start();
            self.deferred.defer(token, i);
        }
    }

    /// Add or replace a route. A route of another source for the same prefix is not
    /// replaced (configuration beats runtime, connected beats both).
    pub fn add(&mut self, prefix: u32, len: u8, adjacency: Adjacency, source: RouteSource) -> Result<(), RouteError> {
        if let Some(old) = self.routes.get(&(prefix, len)) {
            if old.source != source {
                return Err(RouteError::Exists { source: old.source });
            }
        }
        let idx = self.acquire(adjacency)?;
        match self.fib.insert(prefix, len, idx) {
            Ok(previous) => {
                if let Some(prev) = previous {
                    self.release_value(prev);
                }
                self.routes.insert((prefix, len), Route { prefix, len, target: RouteTarget::Adjacency(adjacency), source });
                Ok(())
            }
            Err(e) => {
                self.release(idx);
                Err(RouteError::Fib(e))
            }
        }
    }

    /// Route `prefix/len` to session `index` (its address, a framed route). Refused when
    /// a route of another source holds the prefix: a subscriber cannot take over a
    /// configured or connected route.
    pub fn add_session(&mut self, prefix: u32, len: u8, index: u32) -> Result<(), RouteError> {
        if let Some(old) = self.routes.get(&(prefix, len)) {
            if old.source != RouteSource::Subscriber {
                return Err(RouteError::Exists { source: old.source });
            }
        }
        if index >= dataplane::session::MAX_SESSIONS {
            return Err(RouteError::Fib(FibError::ValueTooLarge));
        }
        let previous = self.fib.insert(prefix, len, fib_value(index)).map_err(RouteError::Fib)?;
        if let Some(prev) = previous {
            self.release_value(prev);
        }
        let route = Route { prefix, len, target: RouteTarget::Session(index), source: RouteSource::Subscriber };
        self.routes.insert((prefix, len), route);
        Ok(())
    }

    /// A FIB value is an adjacency index below `FIB_SESSION_BASE`; sessions hold none.
    fn release_value(&mut self, value: u32) {
        if fib_session(value).is_none() {
            self.release(value);
        }
    }

    pub fn remove(&mut self, prefix: u32, len: u8, allow: &[RouteSource]) -> Result<Route, RouteError> {
        let route = self.routes.get(&(prefix, len)).ok_or(RouteError::NotFound)?;
        if !allow.contains(&route.source) {
            return Err(RouteError::NotRemovable { source: route.source });
        }
        let idx = self.fib.remove(prefix, len).map_err(RouteError::Fib)?;
        self.release_value(idx);
        Ok(self.routes.remove(&(prefix, len)).expect("route present"))
    }

    pub fn routes(&self) -> impl Iterator<Item = &Route> {
        self.routes.values()
    }

    pub fn len(&self) -> usize {
        self.routes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// Adjacency indexes of next-hop adjacencies through `next_hop` on `port`.
    pub fn next_hop_adjacency(&self, port: u16, next_hop: u32) -> Option<u32> {
        self.by_adjacency.get(&Adjacency::NextHop { port, next_hop }).copied()
    }

    /// Next hops in use: (port, address, adjacency index).
    pub fn next_hops(&self) -> Vec<(u16, u32, u32)> {
        self.by_adjacency
            .iter()
            .filter_map(|(a, &i)| match *a {
                Adjacency::NextHop { port, next_hop } => Some((port, next_hop, i)),
                _ => None,
            })
            .collect()
    }

    pub fn adjacencies_in_use(&self) -> usize {
        self.by_adjacency.len()
    }

    pub fn tbl8_in_use(&self) -> u32 {
        self.fib.tbl8_in_use()
    }

    /// Free adjacencies and FIB groups whose grace period has passed.
    pub fn maintain(&mut self) {
        self.fib.maintain();
        for i in self.deferred.reclaim(&self.qsbr) {
            self.adjacencies.clear(i);
            self.free.push(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dataplane::fib::NO_ROUTE;

    fn mgr() -> RouteManager {
        RouteManager::new(FibConfig { max_tbl8_groups: 64 }, 16, Qsbr::new(4))
    }

    #[test]
    fn session_routes_point_at_the_session_and_hold_no_adjacency() {
        let mut m = mgr();
        let t = m.fib_table();
        let nh = Adjacency::NextHop { port: 1, next_hop: 0xc6336402 };
        m.add(0, 0, nh, RouteSource::Static).unwrap();
        m.add_session(0x6440_0007, 32, 5).unwrap();
        assert_eq!(t.lookup(0x6440_0007), FIB_SESSION_BASE + 5);
        assert_eq!(m.adjacencies_in_use(), 1, "only the static route's");
        // A subscriber cannot take over a configured route; a session can replace another's.
        assert_eq!(m.add_session(0, 0, 1), Err(RouteError::Exists { source: RouteSource::Static }));
        m.add_session(0x6440_0007, 32, 6).unwrap();
        assert_eq!(t.lookup(0x6440_0007), FIB_SESSION_BASE + 6);
        let r = m.remove(0x6440_0007, 32, &[RouteSource::Subscriber]).unwrap();
        assert_eq!(r.target, RouteTarget::Session(6));
        assert_eq!(t.lookup(0x6440_0007), m.next_hop_adjacency(1, 0xc6336402).unwrap(), "back to the default");
        assert_eq!(m.adjacencies_in_use(), 1);
        assert_eq!(m.add_session(0x6440_0008, 32, dataplane::session::MAX_SESSIONS), Err(RouteError::Fib(FibError::ValueTooLarge)));
    }

    #[test]
    fn shared_adjacency_and_release() {
        let mut m = mgr();
        let t = m.fib_table();
        let nh = Adjacency::NextHop { port: 1, next_hop: 0xc6336402 };
        m.add(0, 0, nh, RouteSource::Static).unwrap();
        m.add(0x0a00_0000, 8, nh, RouteSource::Runtime).unwrap();
        assert_eq!(m.adjacencies_in_use(), 1);
        let i = t.lookup(0x0a01_0203);
        assert_eq!(i, t.lookup(0x0808_0808));
        assert_eq!(m.adjacency_table().get(i).unwrap().0, nh);
        m.remove(0x0a00_0000, 8, &[RouteSource::Runtime]).unwrap();
        assert_eq!(m.adjacencies_in_use(), 1);
        m.remove(0, 0, &[RouteSource::Static]).unwrap();
        assert_eq!(m.adjacencies_in_use(), 0);
        assert_eq!(t.lookup(0x0808_0808), NO_ROUTE);
        m.maintain();
        assert_eq!(m.free.len(), 16);
    }

    #[test]
    fn sources_protect_each_other() {
        let mut m = mgr();
        m.add(0xc0000200, 24, Adjacency::Glean { port: 0 }, RouteSource::Connected).unwrap();
        assert_eq!(
            m.add(0xc0000200, 24, Adjacency::Blackhole, RouteSource::Runtime),
            Err(RouteError::Exists { source: RouteSource::Connected })
        );
        assert_eq!(
            m.remove(0xc0000200, 24, &[RouteSource::Runtime]).unwrap_err(),
            RouteError::NotRemovable { source: RouteSource::Connected }
        );
        assert_eq!(m.remove(0x0a000000, 8, &[RouteSource::Runtime]).unwrap_err(), RouteError::NotFound);
        // Replacing a runtime route with another adjacency releases the old one.
        m.add(0x0a000000, 8, Adjacency::Blackhole, RouteSource::Runtime).unwrap();
        m.add(0x0a000000, 8, Adjacency::NextHop { port: 0, next_hop: 0xc0000202 }, RouteSource::Runtime).unwrap();
        assert_eq!(m.adjacencies_in_use(), 2);
    }

    #[test]
    fn adjacency_exhaustion_is_an_error() {
        let mut m = RouteManager::new(FibConfig { max_tbl8_groups: 64 }, 2, Qsbr::new(1));
        m.add(0x0a000000, 8, Adjacency::Blackhole, RouteSource::Static).unwrap();
        m.add(0x0b000000, 8, Adjacency::Local, RouteSource::Static).unwrap();
        assert_eq!(
            m.add(0x0c000000, 8, Adjacency::Glean { port: 3 }, RouteSource::Static),
            Err(RouteError::AdjacenciesExhausted)
        );
        assert_eq!(m.len(), 2);
    }
}
