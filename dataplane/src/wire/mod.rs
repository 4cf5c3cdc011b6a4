//! Packet formats. Pure views over bytes: no DPDK, no allocation, no panics on any input.
//!
//! Each header is a `Packet<T: AsRef<[u8]>>` view: `new_checked` validates once (length
//! fields included), after which no accessor can panic; setters need `T: AsMut<[u8]>`.
//! `new_unchecked` skips the checks for a buffer the caller has already validated, and
//! `check_len` runs them later. Control messages also get a `Repr` with `parse` /
//! `buffer_len` / `emit`; `parse` re-checks lengths, so it never panics either. The data
//! plane reads fields in place and never builds a `Repr`. Protocol numbers are newtypes
//! with named constants, so any value from the wire is representable.
//!
//! | module | format | reference | not supported |
//! |---|---|---|---|
//! | [`ethernet`] | Ethernet II, 802.1Q, 802.1ad / QinQ | IEEE 802.3, IEEE 802.1Q | more than two tags; an S-tag TPID inside a tag; 802.3 length / LLC / SNAP frames are not told apart |
//! | [`arp`] | ARP for Ethernet/IPv4 | RFC 826 | other hardware/protocol types (readable in the view, refused by `ArpRepr::parse`) |
//! | [`ipv4`] | IPv4 header | RFC 791, RFC 1812 §5.3.1 | option parsing (options are skipped); `Ipv4Repr` has no options and no fragment fields |
//! | [`icmpv4`] | ICMP echo, destination unreachable (incl. RFC 1191 next-hop MTU), time exceeded | RFC 792, RFC 1191, RFC 1812 §4.3.2 | `Icmpv4Repr` for other types (redirect, parameter problem, timestamp…: view only) |
//! | [`udp`] | UDP over IPv4 | RFC 768 | UDP over IPv6 |
//! | [`tcp`] | TCP header and options, MSS clamping | RFC 9293, RFC 7323, RFC 2018, RFC 6691 | a `TcpRepr` (dpvpn never originates TCP); option emission |
//! | [`checksum`] | Internet checksum, incremental update | RFC 1071, RFC 1624 | |
//! | [`ipv6`] | IPv6 fixed header, `Ipv6Address` (RFC 5952 text) | RFC 8200 §3, RFC 5952 | extension headers (left in the payload); jumbograms (RFC 2675) |
//! | [`ppp`] | PPP framing (ACFC/PFC), control-packet layout, shared option list | RFC 1661 §2, §5, §6.5–6.6; RFC 1662 §3.1 | HDLC flags, FCS, octet stuffing; Multilink headers beyond the protocol number |
//! | [`lcp`] | LCP, all codes incl. Identification / Time-Remaining | RFC 1661 §5–6, RFC 1570 | typed FCS-Alternatives, Callback, MRRU, Endpoint-Discriminator (kept raw); CCP Reset codes 14/15 |
//! | [`ipcp`] | IPCP with DNS/NBNS options | RFC 1332, RFC 1877 | inside of IP-Compression-Protocol (VJ/ROHC/IPHC: raw); Mobile-IPv4 (raw) |
//! | [`ipv6cp`] | IPv6CP | RFC 5072 | inside of IPv6-Compression-Protocol (raw) |
//! | [`pap`] | PAP | RFC 1334 §2.2 | |
//! | [`chap`] | CHAP and the MS-CHAP-V2 value layouts | RFC 1994 §4, RFC 2759 §3–6 | MS-CHAP-V2 Change-Password (code 7: `UnknownType`), MS-CHAP v1; no crypto (the control plane computes responses) |
//! | [`pppoe`] | PPPoE header, discovery tags, PADI/PADO/PADR/PADS/PADT, session header | RFC 2516, RFC 4638 | RFC 5578 codes (PADG/PADC/PADQ) and tags (Credits, Metrics…: kept raw as unknown tags); RFC 4937 PADM/PADN; TR-101 sub-options inside Vendor-Specific (kept as bytes) |
//! | [`gre`] | GRE v0 with key/sequence, PPTP enhanced GRE v1 | RFC 2784, RFC 2890, RFC 2637 §4.1 | RFC 1701 routing / strict source route / recursion (refused, `BadFlags`); versions 2–7; a v1 checksum |
//! | [`pptp`] | PPTP control messages (all 15), TCP stream framing | RFC 2637 §1.4, §2 | management messages (type 2); bytes after the first NUL in text fields |
//! | [`l2tp`] | L2TPv2 header, AVPs, hidden AVPs, control messages (all of §6 + ZLB) | RFC 2661 §3.1, §4, §5.8, §6 | L2TPv3 (RFC 3931); vendor AVPs decoded (kept raw); reserved AVP bits refused rather than treated as unrecognised; which AVPs each message must carry (control plane's business) |
//! | [`radius`] | RADIUS packets, attributes, Microsoft vendor attributes, authenticators, Message-Authenticator, User-Password hiding, MS-MPPE-Key salt encryption | RFC 2865, RFC 2866, RFC 2869, RFC 5176, RFC 2548, RFC 3579 §3.2 | RFC 6929 extended attributes (types 241–246 kept raw); Tunnel-Password and tagged attributes (RFC 2868); EAP-Message reassembly; RADIUS over TCP/TLS/DTLS; Status-Client semantics; checking CHAP / MS-CHAP responses (a server's job, not a format's) |
//! | [`tlv`] | the one reader of type-length-value lists (PPPoE tags, PPP options, L2TP AVPs, RADIUS attributes) | RFC 2516 §A, RFC 1661 §6, RFC 2661 §4.1, RFC 2865 §5 | |
//!
//! Every parser has a fuzz entry, `<module>::fuzz`, that `fuzz/` drives with libFuzzer
//! (`scripts/fuzz.sh`): views, TLV readers, and `parse(emit(parse(x))) == parse(x)`. The
//! entries exist only with `--cfg fuzzing` (cargo-fuzz sets it; `scripts/fuzz.sh` also
//! runs the tests that call them so), so no ordinary build carries them.

// Packet formats parse untrusted bytes from anyone on the wire: no `unsafe` here, ever
// (the crate root only denies it, for `mem`'s sake; forbid cannot be allowed again).
#![forbid(unsafe_code)]

pub mod arp;
pub mod chap;
pub mod checksum;
pub mod ethernet;
pub mod gre;
pub mod icmpv4;
pub mod ipcp;
pub mod ipv4;
pub mod ipv6;
pub mod ipv6cp;
pub mod l2tp;
pub mod lcp;
pub mod pap;
pub mod ppp;
pub mod pppoe;
pub mod pptp;
pub mod radius;
pub mod tcp;
pub mod tlv;
pub mod udp;

pub use arp::{ArpOperation, ArpPacket, ArpRepr};
pub use ethernet::{
    emit_l2, parse_l2, EtherType, EthernetAddress, EthernetFrame, L2Header, VlanTag,
};
pub use icmpv4::{
    DstUnreachable as Icmpv4DstUnreachable, Icmpv4Message, Icmpv4Packet, Icmpv4Repr,
    TimeExceeded as Icmpv4TimeExceeded,
};
pub use ipv4::{IpProtocol, Ipv4Address, Ipv4Packet, Ipv4Repr};
pub use tcp::{TcpFlags, TcpOption, TcpOptionKind, TcpOptions, TcpPacket};
pub use udp::{UdpPacket, UdpRepr};

/// What was wrong with a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    /// Shorter than its fixed header, or than a length field (a packet's, an option's)
    /// says.
    Truncated,
    /// A length field smaller than the header it belongs to, or a length that does not
    /// fit its field on `emit`.
    BadLength,
    /// An IP version other than 4.
    BadVersion,
    /// IPv4 IHL or TCP data offset below 5.
    BadHeaderLength,
    BadChecksum,
    /// A field holds a value this format does not allow or we do not handle: an ARP
    /// hardware/protocol type other than Ethernet/IPv4, an ICMP type without a `Repr`,
    /// a VLAN tag `emit_l2` would not write.
    Unsupported,
    /// More than two VLAN tags.
    TooManyTags,
    /// An inner VLAN tag whose TPID is not 0x8100.
    BadTpid,
    /// A TCP option whose length is below 2 or wrong for its kind.
    BadOption,
    /// Text that is not an address (`FromStr`).
    BadAddress,
    /// The output buffer is too small for `emit`.
    BufferTooSmall,
    /// A code or message type this format does not define, where a `Repr` needs a known
    /// one (the view still reads it).
    UnknownType,
    /// Reserved bits that must be zero are set, or flag bits are combined in a way the
    /// RFC forbids (L2TP control message without L/S, GRE v1 without K…).
    BadFlags,
    /// A magic value is wrong (the PPTP magic cookie, RFC 2637 §2).
    BadMagic,
    /// A mandatory element (tag, option, AVP, attribute) is missing.
    MissingField,
    /// An element that may appear once appears more than once.
    DuplicateField,
    /// A value has the wrong length or content for its type (an IPv4 address option
    /// that is not four bytes, a string that is not UTF-8 where text is required).
    BadValue,
    /// A mandatory (M-bit) L2TP AVP we do not know (RFC 2661 §4.1).
    UnknownMandatory,
    /// A hidden AVP that does not decode (RFC 2661 §4.3): no Random Vector before it,
    /// no secret, or an original length that does not fit.
    BadHidden,
    /// A RADIUS authenticator or Message-Authenticator that does not verify.
    BadAuthenticator,
    /// Bytes after the end of a message that its format does not allow.
    TrailingData,
    /// More elements than a fixed-capacity `Repr` holds (no allocation in `wire`).
    TooMany,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Error::Truncated => "truncated",
            Error::BadLength => "bad length field",
            Error::BadVersion => "bad version",
            Error::BadHeaderLength => "bad header length",
            Error::BadChecksum => "bad checksum",
            Error::Unsupported => "unsupported value",
            Error::TooManyTags => "more than two VLAN tags",
            Error::BadTpid => "inner VLAN tag with a TPID other than 0x8100",
            Error::BadOption => "malformed option",
            Error::BadAddress => "not an address",
            Error::BufferTooSmall => "buffer too small",
            Error::UnknownType => "unknown code or message type",
            Error::BadFlags => "reserved or inconsistent flag bits",
            Error::BadMagic => "bad magic cookie",
            Error::MissingField => "mandatory element missing",
            Error::DuplicateField => "element repeated",
            Error::BadValue => "bad value for its type",
            Error::UnknownMandatory => "unknown mandatory AVP",
            Error::BadHidden => "hidden AVP does not decode",
            Error::BadAuthenticator => "authenticator does not verify",
            Error::TrailingData => "trailing data",
            Error::TooMany => "more elements than the representation holds",
        })
    }
}

impl std::error::Error for Error {}

pub type Result<T> = core::result::Result<T, Error>;
