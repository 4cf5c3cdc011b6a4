//! Packet formats. Pure views over bytes: no DPDK, no allocation, no panics on any input.
//!
//! Each header is a `Packet<T: AsRef<[u8]>>` view: `new_checked` validates once (lengths
//! included), after which no accessor can panic; setters need `T: AsMut<[u8]>`. Control
//! messages also get a `Repr` with `parse` / `buffer_len` / `emit`; the data plane reads
//! fields in place and never builds a `Repr`. Protocol numbers are newtypes with named
//! constants, so any value from the wire is representable.
//!
//! | module | format | reference | not supported yet |
//! |---|---|---|---|
//! | [`ethernet`] | Ethernet II, 802.1Q, 802.1ad / QinQ | IEEE 802.3, 802.1Q | more than two tags, 802.3 length frames (LLC/SNAP) |
//! | [`arp`] | ARP for Ethernet/IPv4 | RFC 826 | other hardware/protocol types (rejected) |
//! | [`ipv4`] | IPv4 header, options skipped | RFC 791, RFC 1812 | option parsing |
//! | [`checksum`] | Internet checksum, incremental update | RFC 1071, RFC 1624 | |
//!
//! PPPoE, PPP, LCP/IPCP, L2TP, GRE, PPTP, ICMP/UDP/TCP views and RADIUS follow with the
//! wire-format issue.

pub mod arp;
pub mod checksum;
pub mod ethernet;
pub mod ipv4;

/// What was wrong with a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// Shorter than its fixed header or than a length field says.
    Truncated,
    /// A length field smaller than the header it belongs to.
    BadLength,
    BadVersion,
    /// IPv4 IHL below 5.
    BadHeaderLength,
    BadChecksum,
    /// A field holds a value this format does not allow (e.g. ARP hardware type).
    Unsupported,
    /// More VLAN tags than we parse.
    TooManyTags,
    /// The output buffer is too small for `emit`.
    BufferTooSmall,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Error::Truncated => "truncated",
            Error::BadLength => "length field smaller than the header",
            Error::BadVersion => "bad version",
            Error::BadHeaderLength => "bad header length",
            Error::BadChecksum => "bad checksum",
            Error::Unsupported => "unsupported value",
            Error::TooManyTags => "more than two VLAN tags",
            Error::BufferTooSmall => "buffer too small",
        })
    }
}

pub type Result<T> = core::result::Result<T, Error>;
