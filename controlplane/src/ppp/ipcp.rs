//! The IP Control Protocol (RFC 1332) with the DNS and NBNS address options of RFC 1877,
//! as a [`Protocol`] for the RFC 1661 automaton ([`super::fsm::Fsm`]), in both roles: the
//! access concentrator ([`Ipcp::server`]) and the subscriber ([`Ipcp::client`]).
//!
//! Options are read and written with `dataplane::wire::ipcp` ([`IpcpOption`] through the
//! one TLV reader). IPCP has LCP's codes 1–7 only (RFC 1332 §2): anything else is
//! Code-Rejected by the automaton's default.
//!
//! # Server
//!
//! The peer's address comes from the session manager (AAA or a pool) and is given at
//! construction: the session manager creates and opens IPCP only once it knows the address.
//! Until then it discards the peer's IPCP packets, as RFC 1661 §3.4–§3.5 has every NCP
//! packet discarded before the Network-Layer Protocol phase, and the peer retransmits. So
//! the server never has to Ack or Nak without an address, and there is no "not yet known"
//! state to get wrong. [`Ipcp::set_peer_address`] changes it for later requests.
//!
//! - Our request: IP-Address = [`IpcpServerConfig::local_address`], never 0.0.0.0. RFC 1332
//!   §3.3 lets a side send no address, but a peer then has no next hop to name, and Windows
//!   and several CPEs refuse to open or Nak forever; every BRAS sends its gateway address.
//!   We never take another address from a Nak (ours is configured); a Reject, or Max-Failure
//!   Naks received, drops the option.
//! - The peer's IP-Address: the assigned one is Acked; 0.0.0.0 (asking, §3.3) or any other
//!   is Nak'd with the assigned one; a request without the option gets it appended to a Nak
//!   (§3.3: "SHOULD be appended"). Past Max-Failure Naks sent (RFC 1661 §4.6) a wrong
//!   address is Rejected and a missing one can no longer be asked for: the server reports
//!   [`IpcpEvent::AddressRefused`] (close IPCP, or the session) and never Acks a request
//!   without the assigned address (it discards it).
//! - Primary/Secondary DNS (129/131) and NBNS (130/132, RFC 1877 §1.1–§1.4): the configured
//!   value is Acked, anything else Nak'd with it; an option with nothing configured is
//!   Rejected. They are never appended: only a peer that asks gets them.
//! - IP-Addresses (type 1, deprecated, RFC 1332 §3.1), IP-Compression-Protocol (Van
//!   Jacobson, §3.2: our data plane does not decompress), Mobile-IPv4 and unknown options:
//!   Rejected. A known option with a malformed length is Nak'd with a good one where we have a
//!   value, Rejected otherwise.
//!
//! # Client
//!
//! Asks IP-Address [`IpcpClientConfig::address`] (0.0.0.0: "give me one") and, with
//! [`IpcpClientConfig::dns`], Primary and Secondary DNS 0.0.0.0; adopts the values Nak'd
//! back, drops what is Rejected. It Acks the server's non-zero IP-Address and Rejects
//! anything else the server asks (it has no address to give, and no DNS to offer).
//!
//! # IPv6CP
//!
//! dpvpn does not run IPv6 yet, so there is no IPv6CP [`Protocol`]: the session manager
//! answers an IPv6CP packet with an LCP Protocol-Reject (RFC 1661 §5.7,
//! [`super::lcp::send_protocol_reject`]).

use std::fmt;

use dataplane::wire::ipcp::IpcpOption;
use dataplane::wire::ppp::ConfigOption;
use dataplane::wire::tlv::{TlvIter, TypeLen8};
use dataplane::wire::Ipv4Address;

use super::fsm::{Protocol, Verdict};

const IP_ADDRESS: u8 = 3;
const PRIMARY_DNS: u8 = 129;
const PRIMARY_NBNS: u8 = 130;
const SECONDARY_DNS: u8 = 131;
const SECONDARY_NBNS: u8 = 132;

/// The access concentrator's side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpcpServerConfig {
    /// Our address, the subscribers' gateway (never 0.0.0.0).
    pub local_address: Ipv4Address,
    pub primary_dns: Option<Ipv4Address>,
    pub secondary_dns: Option<Ipv4Address>,
    pub primary_nbns: Option<Ipv4Address>,
    pub secondary_nbns: Option<Ipv4Address>,
}

impl IpcpServerConfig {
    pub fn new(local_address: Ipv4Address) -> Self {
        IpcpServerConfig {
            local_address,
            primary_dns: None,
            secondary_dns: None,
            primary_nbns: None,
            secondary_nbns: None,
        }
    }
}

/// The subscriber's side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpcpClientConfig {
    /// The address we ask for; 0.0.0.0 asks the server to assign one (RFC 1332 §3.3).
    pub address: Ipv4Address,
    /// Ask for Primary and Secondary DNS (RFC 1877 §1.1, §1.3).
    pub dns: bool,
}

impl Default for IpcpClientConfig {
    fn default() -> Self {
        IpcpClientConfig { address: Ipv4Address::UNSPECIFIED, dns: true }
    }
}

/// A configuration IPCP cannot run with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpcpConfigError {
    /// The server's own address is 0.0.0.0 or otherwise not a host address.
    BadLocalAddress(Ipv4Address),
    /// The address to assign is 0.0.0.0, broadcast, multicast or loopback.
    BadPeerAddress(Ipv4Address),
    /// The address to assign is our own.
    PeerIsLocal(Ipv4Address),
    /// A DNS or NBNS server of 0.0.0.0 (which would ask the peer instead of telling it).
    BadServerAddress { option: &'static str, address: Ipv4Address },
}

impl fmt::Display for IpcpConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            IpcpConfigError::BadLocalAddress(a) => write!(
                f,
                "local_address: {a} is not a host address; IPCP must tell the peer a real gateway address (RFC 1332 §3.3)"
            ),
            IpcpConfigError::BadPeerAddress(a) => write!(f, "peer address: {a} cannot be assigned to a subscriber"),
            IpcpConfigError::PeerIsLocal(a) => write!(f, "peer address: {a} is our own local_address"),
            IpcpConfigError::BadServerAddress { option, address } => {
                write!(f, "{option}: {address} is not a server address (RFC 1877 §1)")
            }
        }
    }
}

impl std::error::Error for IpcpConfigError {}

fn host_address(a: Ipv4Address) -> bool {
    !(a.is_unspecified() || a.is_broadcast() || a.is_multicast() || a.is_loopback())
}

/// What IPCP reports besides the automaton's own events ([`Ipcp::poll_event`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpcpEvent {
    /// Server: past Max-Failure Naks the peer still does not take the assigned address
    /// (`requested`: what it asks; None: it asks none). Close IPCP.
    AddressRefused { requested: Option<Ipv4Address> },
}

impl IpcpEvent {
    /// When the session manager must close the automaton, the Terminate-Request's reason.
    pub fn close_reason(&self) -> Option<&'static str> {
        match self {
            IpcpEvent::AddressRefused { .. } => Some("Peer refused the assigned IP address"),
        }
    }
}

/// What IPCP agreed on, both directions acknowledged. Addresses of 0.0.0.0 are `None`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IpcpNegotiated {
    /// Our address on the link (server: the gateway; client: the assigned address).
    pub local_address: Option<Ipv4Address>,
    /// The peer's address (server: the assigned address; client: the gateway).
    pub peer_address: Option<Ipv4Address>,
    /// The DNS and NBNS servers the client learned (server: the values it gave).
    pub primary_dns: Option<Ipv4Address>,
    pub secondary_dns: Option<Ipv4Address>,
    pub primary_nbns: Option<Ipv4Address>,
    pub secondary_nbns: Option<Ipv4Address>,
}

#[derive(Clone, Copy, Debug)]
enum Role {
    Server { config: IpcpServerConfig, peer_address: Ipv4Address },
    Client { config: IpcpClientConfig },
}

/// The addresses of one direction once acknowledged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Agreed {
    address: Option<Ipv4Address>,
    dns: [Option<Ipv4Address>; 2],
    nbns: [Option<Ipv4Address>; 2],
}

/// IPCP for one link, a [`Protocol`] for [`super::fsm::Fsm`].
#[derive(Clone, Debug)]
pub struct Ipcp {
    role: Role,
    /// What our next Configure-Request asks (None: not asked).
    ask_address: Option<Ipv4Address>,
    ask_dns: [Option<Ipv4Address>; 2],
    last_request: Vec<u8>,
    refused_reported: bool,
    ours: Option<Agreed>,
    peers: Option<Agreed>,
    events: crate::ppp::fsm::Queue<IpcpEvent>,
}

impl Ipcp {
    /// The access concentrator's IPCP, assigning `peer_address`.
    pub fn server(config: IpcpServerConfig, peer_address: Ipv4Address) -> Result<Self, IpcpConfigError> {
        if !host_address(config.local_address) {
            return Err(IpcpConfigError::BadLocalAddress(config.local_address));
        }
        check_peer(&config, peer_address)?;
        for (option, address) in [
            ("primary_dns", config.primary_dns),
            ("secondary_dns", config.secondary_dns),
            ("primary_nbns", config.primary_nbns),
            ("secondary_nbns", config.secondary_nbns),
        ] {
            if let Some(address) = address.filter(|a| a.is_unspecified()) {
                return Err(IpcpConfigError::BadServerAddress { option, address });
            }
        }
        Ok(Ipcp::new(Role::Server { config, peer_address }))
    }

    /// The subscriber's IPCP.
    pub fn client(config: IpcpClientConfig) -> Self {
        Ipcp::new(Role::Client { config })
    }

    fn new(role: Role) -> Self {
        let mut ipcp = Ipcp {
            role,
            ask_address: None,
            ask_dns: [None; 2],
            last_request: Vec::new(),
            refused_reported: false,
            ours: None,
            peers: None,
            events: crate::ppp::fsm::Queue::new(),
        };
        ipcp.restore_preferences();
        ipcp
    }

    /// Server: assign `address` instead (from the next Configure-Request judged on).
    pub fn set_peer_address(&mut self, address: Ipv4Address) -> Result<(), IpcpConfigError> {
        if let Role::Server { config, peer_address } = &mut self.role {
            check_peer(config, address)?;
            *peer_address = address;
        }
        Ok(())
    }

    /// Server: the address we assign.
    pub fn assigned_address(&self) -> Option<Ipv4Address> {
        match self.role {
            Role::Server { peer_address, .. } => Some(peer_address),
            Role::Client { .. } => None,
        }
    }

    /// The values both sides acknowledged; `Some` once the automaton is (or was last)
    /// Opened. Read it on This-Layer-Up.
    pub fn negotiated(&self) -> Option<IpcpNegotiated> {
        let (ours, peers) = (self.ours?, self.peers?);
        let learned = match self.role {
            Role::Server { .. } => peers,
            Role::Client { .. } => ours,
        };
        let nonzero = |a: Option<Ipv4Address>| a.filter(|a| !a.is_unspecified());
        Some(IpcpNegotiated {
            local_address: nonzero(ours.address),
            peer_address: nonzero(peers.address),
            primary_dns: nonzero(learned.dns[0]),
            secondary_dns: nonzero(learned.dns[1]),
            primary_nbns: nonzero(learned.nbns[0]),
            secondary_nbns: nonzero(learned.nbns[1]),
        })
    }

    pub fn poll_event(&mut self) -> Option<IpcpEvent> {
        self.events.pop_front()
    }

    fn restore_preferences(&mut self) {
        match self.role {
            Role::Server { config, .. } => {
                self.ask_address = Some(config.local_address);
                self.ask_dns = [None; 2];
            }
            Role::Client { config } => {
                self.ask_address = Some(config.address);
                let dns = config.dns.then_some(Ipv4Address::UNSPECIFIED);
                self.ask_dns = [dns; 2];
            }
        }
    }

    fn refuse(&mut self, requested: Option<Ipv4Address>) {
        if !self.refused_reported {
            self.refused_reported = true;
            self.events.push_back(IpcpEvent::AddressRefused { requested });
        }
    }
}

fn check_peer(config: &IpcpServerConfig, peer: Ipv4Address) -> Result<(), IpcpConfigError> {
    if !host_address(peer) {
        return Err(IpcpConfigError::BadPeerAddress(peer));
    }
    if peer == config.local_address {
        return Err(IpcpConfigError::PeerIsLocal(peer));
    }
    Ok(())
}

fn push<'a, O: ConfigOption<'a>>(out: &mut Vec<u8>, option: O) {
    let mut buf = [0u8; 257];
    if let Ok(n) = option.emit(&mut buf) {
        out.extend_from_slice(&buf[..n]);
    }
}

type Parsed<'a> = Vec<(u8, &'a [u8], Result<IpcpOption<'a>, dataplane::wire::Error>)>;

/// Every option of `list` as (type, raw bytes, parsed); None if the list is malformed.
fn options(list: &[u8]) -> Option<Parsed<'_>> {
    let mut out = Vec::new();
    for tlv in TlvIter::<TypeLen8>::new(list) {
        let tlv = tlv.ok()?;
        out.push((tlv.kind, tlv.raw, IpcpOption::parse(tlv.kind, tlv.value)));
    }
    Some(out)
}

/// The option of `kind` carrying `address` (3, 129–132).
fn address_option(kind: u8, address: Ipv4Address) -> IpcpOption<'static> {
    match kind {
        PRIMARY_DNS => IpcpOption::PrimaryDnsServerAddress(address),
        PRIMARY_NBNS => IpcpOption::PrimaryNbnsServerAddress(address),
        SECONDARY_DNS => IpcpOption::SecondaryDnsServerAddress(address),
        SECONDARY_NBNS => IpcpOption::SecondaryNbnsServerAddress(address),
        _ => IpcpOption::IpAddress(address),
    }
}

/// The address an address option (3, 129–132) carries.
fn option_address(option: &IpcpOption<'_>) -> Option<Ipv4Address> {
    match *option {
        IpcpOption::IpAddress(a)
        | IpcpOption::PrimaryDnsServerAddress(a)
        | IpcpOption::PrimaryNbnsServerAddress(a)
        | IpcpOption::SecondaryDnsServerAddress(a)
        | IpcpOption::SecondaryNbnsServerAddress(a) => Some(a),
        _ => None,
    }
}

/// The reply being built for a Configure-Request.
#[derive(Default)]
struct Reply {
    naks: Vec<u8>,
    rejects: Vec<u8>,
}

impl Reply {
    /// Nak with `option`, or past Max-Failure (`reject`) Reject the original `raw`.
    fn nak(&mut self, reject: bool, raw: &[u8], option: IpcpOption<'_>) {
        if reject {
            self.rejects.extend_from_slice(raw);
        } else {
            push(&mut self.naks, option);
        }
    }
}

impl Protocol for Ipcp {
    fn reset(&mut self) {
        self.restore_preferences();
        self.ours = None;
    }

    fn configure_request(&mut self, out: &mut Vec<u8>) {
        if let Some(address) = self.ask_address {
            push(out, IpcpOption::IpAddress(address));
        }
        if let Some(dns) = self.ask_dns[0] {
            push(out, IpcpOption::PrimaryDnsServerAddress(dns));
        }
        if let Some(dns) = self.ask_dns[1] {
            push(out, IpcpOption::SecondaryDnsServerAddress(dns));
        }
        self.last_request = out.clone();
    }

    fn receive_configure_request(&mut self, list: &[u8], reject_instead_of_nak: bool, out: &mut Vec<u8>) -> Verdict {
        let Some(options) = options(list) else {
            return Verdict::Discard;
        };
        let rn = reject_instead_of_nak;
        let mut reply = Reply::default();
        let mut agreed = Agreed::default();
        let mut address_seen = false;
        let mut refused = None;
        for (kind, raw, option) in options {
            let value = option.as_ref().ok().and_then(option_address);
            match self.role {
                Role::Server { config, peer_address } => {
                    let offer = match kind {
                        IP_ADDRESS => Some(peer_address),
                        PRIMARY_DNS => config.primary_dns,
                        SECONDARY_DNS => config.secondary_dns,
                        PRIMARY_NBNS => config.primary_nbns,
                        SECONDARY_NBNS => config.secondary_nbns,
                        _ => None,
                    };
                    if kind == IP_ADDRESS {
                        address_seen = true;
                    }
                    match (offer, value) {
                        (Some(offer), Some(v)) if offer == v => match kind {
                            IP_ADDRESS => agreed.address = Some(v),
                            PRIMARY_DNS => agreed.dns[0] = Some(v),
                            SECONDARY_DNS => agreed.dns[1] = Some(v),
                            PRIMARY_NBNS => agreed.nbns[0] = Some(v),
                            _ => agreed.nbns[1] = Some(v),
                        },
                        (Some(offer), _) => {
                            if kind == IP_ADDRESS && rn {
                                refused = Some(value);
                            }
                            reply.nak(rn, raw, address_option(kind, offer));
                        }
                        // Nothing configured, IP-Addresses, IP-Compression-Protocol,
                        // Mobile-IPv4, unknown.
                        (None, _) => reply.rejects.extend_from_slice(raw),
                    }
                }
                Role::Client { .. } => match value {
                    Some(v) if kind == IP_ADDRESS && !v.is_unspecified() => agreed.address = Some(v),
                    // The server asks us for its address, or for anything else: we have
                    // nothing to give.
                    _ => reply.rejects.extend_from_slice(raw),
                },
            }
        }
        if let Role::Server { peer_address, .. } = self.role {
            if !address_seen {
                if rn {
                    refused = Some(None);
                } else {
                    push(&mut reply.naks, IpcpOption::IpAddress(peer_address));
                }
            }
        }
        if let Some(requested) = refused {
            self.refuse(requested);
        }
        self.peers = None;
        if !reply.rejects.is_empty() {
            out.extend_from_slice(&reply.rejects);
            Verdict::Reject
        } else if !reply.naks.is_empty() {
            out.extend_from_slice(&reply.naks);
            Verdict::Nak
        } else if refused.is_some() {
            // Past Max-Failure without the IP-Address option: nothing left to say, and an
            // Ack would open IPCP with no address for the peer.
            Verdict::Discard
        } else {
            self.peers = Some(agreed);
            Verdict::Ack
        }
    }

    fn receive_configure_ack(&mut self, list: &[u8]) {
        let mut agreed = Agreed::default();
        for (kind, _, option) in options(list).unwrap_or_default() {
            let value = option.as_ref().ok().and_then(option_address);
            match kind {
                IP_ADDRESS => agreed.address = value,
                PRIMARY_DNS => agreed.dns[0] = value,
                SECONDARY_DNS => agreed.dns[1] = value,
                _ => {}
            }
        }
        self.ours = Some(agreed);
    }

    fn receive_configure_nak(&mut self, list: &[u8], treat_as_reject: bool) -> bool {
        let Some(options) = options(list) else {
            return false;
        };
        if options.iter().any(|(_, _, o)| o.is_err()) {
            return false;
        }
        let client = matches!(self.role, Role::Client { .. });
        for (kind, _, option) in options {
            let Some(value) = option.as_ref().ok().and_then(option_address) else {
                continue;
            };
            let slot = match kind {
                IP_ADDRESS => &mut self.ask_address,
                PRIMARY_DNS if client => &mut self.ask_dns[0],
                SECONDARY_DNS if client => &mut self.ask_dns[1],
                // The server asks only its own address; NBNS we never ask.
                _ => continue,
            };
            if treat_as_reject {
                *slot = None;
            } else if client && !value.is_unspecified() {
                // A client takes what the server gives, asked or appended (§5.3).
                *slot = Some(value);
            }
            // A server keeps its configured address: the fsm's Max-Failure count ends a
            // peer that Naks it forever (treat_as_reject above).
        }
        true
    }

    fn receive_configure_reject(&mut self, list: &[u8]) -> bool {
        let Some(options) = options(list) else {
            return false;
        };
        let asked: Vec<&[u8]> =
            TlvIter::<TypeLen8>::new(&self.last_request).filter_map(|t| t.ok()).map(|t| t.raw).collect();
        // RFC 1661 §5.4: only options of the request, unmodified.
        if options.iter().any(|(_, raw, _)| !asked.contains(raw)) {
            return false;
        }
        for (kind, _, _) in options {
            match kind {
                IP_ADDRESS => self.ask_address = None,
                PRIMARY_DNS => self.ask_dns[0] = None,
                SECONDARY_DNS => self.ask_dns[1] = None,
                _ => {}
            }
        }
        true
    }
}
