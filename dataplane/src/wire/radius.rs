//! RADIUS: authentication and authorization (RFC 2865), accounting (RFC 2866), dynamic
//! authorization: Disconnect and CoA (RFC 5176), the RFC 2869 extension attributes,
//! Microsoft vendor attributes (RFC 2548) and Message-Authenticator (RFC 3579 §3.2).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Code      |  Identifier   |            Length             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                                                               |
//! |                         Authenticator                         |
//! |                                                               |
//! |                                                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Attributes ...
//! +-+-+-+-+-+-+-+-+-+-+-+-+-
//!
//! Attribute (RFC 2865 §5):
//!  0                   1                   2
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-
//! |     Type      |    Length     |  Value ...
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-
//!
//! Vendor-Specific (RFC 2865 §5.26), with the recommended sub-attribute layout:
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Type (26) |    Length     |            Vendor-Id
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!      Vendor-Id (cont)           | Vendor type   | Vendor length |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |    Attribute-Specific...
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-
//! ```
//!
//! Length counts the whole packet, 20 to 4096 octets (§3); octets after it are padding
//! and ignored. Attribute lengths count their own two-octet header. Attributes are read
//! by [`TlvIter`] with [`TypeLen8`], vendor sub-attributes too.
//!
//! A Vendor-Specific attribute that holds exactly one sub-attribute in the RFC 2865
//! §5.26 layout (as nearly every server sends them) is read as
//! [`RadiusAttribute::Vendor`]; any other Vendor-Specific (several sub-attributes, a
//! vendor's own layout) is kept whole as [`RadiusAttribute::Standard`] and can be taken
//! apart with [`VendorSpecific`].
//!
//! [`RadiusRepr::emit`] writes the authenticator it is given and computes nothing; the
//! crypto is separate and explicit, all without allocation: User-Password hiding
//! ([`hide_user_password`], §5.2), the Response Authenticator (§3), the
//! Accounting-Request / Disconnect-Request / CoA-Request authenticator (RFC 2866 §3,
//! RFC 5176 §2.3), Message-Authenticator (RFC 3579 §3.2, RFC 5176 §3.4) and the
//! MS-MPPE-Send/Recv-Key salt encryption (RFC 2548 §2.4.2). [`RadiusPacket::sign`]
//! and [`RadiusPacket::verify`] apply the right ones for a packet's code.
//!
//! Not supported: RFC 6929 extended and long-extended attributes (types 241..246 are
//! kept raw), Tunnel-Password (RFC 2868 §3.5) and tagged attributes, EAP-Message
//! reassembly (the fragments are kept as separate attributes), RADIUS over TCP/TLS/DTLS,
//! Status-Client semantics (code 13 is treated like Status-Server), choosing the
//! Message-Authenticator input for an Accounting-Response to a Status-Server (RFC 5997
//! §3; [`RadiusPacket::message_authenticator_with`] computes it), checking CHAP or
//! MS-CHAP responses (that needs the user's password: a server's job).

use super::ipv4::Ipv4Address;
use super::tlv::{emit_type_len8, TlvIter, TypeLen8};
use super::{Error, Result};
use arrayvec::ArrayVec;
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};

mod field {
    use core::ops::Range;
    pub const CODE: usize = 0;
    pub const IDENTIFIER: usize = 1;
    pub const LENGTH: Range<usize> = 2..4;
    pub const AUTHENTICATOR: Range<usize> = 4..20;
    pub const ATTRIBUTES: usize = 20;
}

/// Code, Identifier, Length and Authenticator.
pub const HEADER_LEN: usize = field::ATTRIBUTES;
/// The largest Length a packet may have (RFC 2865 §3).
pub const MAX_PACKET_LEN: usize = 4096;
pub const AUTHENTICATOR_LEN: usize = 16;
/// An attribute's value: its Length octet counts the two header octets too.
pub const MAX_VALUE_LEN: usize = 253;
/// A vendor sub-attribute's value: 253 less Vendor-Id (4) and the sub-header (2).
pub const MAX_VENDOR_VALUE_LEN: usize = 247;
/// The longest User-Password (RFC 2865 §5.2).
pub const MAX_PASSWORD_LEN: usize = 128;
/// How many attributes a [`RadiusRepr`] holds.
pub const MAX_ATTRIBUTES: usize = 128;

/// Authentication (RFC 2865 §3).
pub const PORT_AUTH: u16 = 1812;
/// Accounting (RFC 2866 §3).
pub const PORT_ACCT: u16 = 1813;
/// Disconnect and CoA (RFC 5176 §3).
pub const PORT_DYNAUTH: u16 = 3799;

/// Microsoft's SMI Network Management Private Enterprise Code (RFC 2548 §2).
pub const VENDOR_MICROSOFT: u32 = 311;

/// The packet type (RFC 2865 §3, RFC 2866 §3, RFC 5176 §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RadiusCode(pub u8);

impl RadiusCode {
    pub const ACCESS_REQUEST: RadiusCode = RadiusCode(1);
    pub const ACCESS_ACCEPT: RadiusCode = RadiusCode(2);
    pub const ACCESS_REJECT: RadiusCode = RadiusCode(3);
    pub const ACCOUNTING_REQUEST: RadiusCode = RadiusCode(4);
    pub const ACCOUNTING_RESPONSE: RadiusCode = RadiusCode(5);
    pub const ACCESS_CHALLENGE: RadiusCode = RadiusCode(11);
    /// RFC 5997.
    pub const STATUS_SERVER: RadiusCode = RadiusCode(12);
    /// Experimental (RFC 2865 §3); no RFC gives it a meaning.
    pub const STATUS_CLIENT: RadiusCode = RadiusCode(13);
    pub const DISCONNECT_REQUEST: RadiusCode = RadiusCode(40);
    pub const DISCONNECT_ACK: RadiusCode = RadiusCode(41);
    pub const DISCONNECT_NAK: RadiusCode = RadiusCode(42);
    pub const COA_REQUEST: RadiusCode = RadiusCode(43);
    pub const COA_ACK: RadiusCode = RadiusCode(44);
    pub const COA_NAK: RadiusCode = RadiusCode(45);

    /// How this code's Authenticator field is made; `None` for codes we do not know.
    pub fn authenticator_kind(self) -> Option<AuthenticatorKind> {
        match self {
            Self::ACCESS_REQUEST | Self::STATUS_SERVER | Self::STATUS_CLIENT => {
                Some(AuthenticatorKind::Random)
            }
            Self::ACCOUNTING_REQUEST | Self::DISCONNECT_REQUEST | Self::COA_REQUEST => {
                Some(AuthenticatorKind::Request)
            }
            Self::ACCESS_ACCEPT
            | Self::ACCESS_REJECT
            | Self::ACCESS_CHALLENGE
            | Self::ACCOUNTING_RESPONSE
            | Self::DISCONNECT_ACK
            | Self::DISCONNECT_NAK
            | Self::COA_ACK
            | Self::COA_NAK => Some(AuthenticatorKind::Response),
            _ => None,
        }
    }

    /// Whether a packet of this code answers another (its authenticator and
    /// Message-Authenticator then depend on the request's authenticator).
    pub fn is_response(self) -> bool {
        self.authenticator_kind() == Some(AuthenticatorKind::Response)
    }
}

/// What the Authenticator field of a packet holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthenticatorKind {
    /// A Request Authenticator the sender chose at random (Access-Request,
    /// Status-Server: RFC 2865 §3); nothing to compute or verify.
    Random,
    /// MD5(Code + Identifier + Length + 16 zero octets + Attributes + Secret):
    /// Accounting-Request (RFC 2866 §3), Disconnect-Request and CoA-Request
    /// (RFC 5176 §2.3).
    Request,
    /// MD5(Code + Identifier + Length + Request Authenticator + Attributes + Secret),
    /// with the Request Authenticator of the request answered (RFC 2865 §3,
    /// RFC 2866 §3, RFC 5176 §2.3).
    Response,
}

/// The attribute type (RFC 2865 §5, RFC 2866 §5, RFC 2869 §5, RFC 5176 §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttributeType(pub u8);

impl AttributeType {
    pub const USER_NAME: AttributeType = AttributeType(1);
    pub const USER_PASSWORD: AttributeType = AttributeType(2);
    pub const CHAP_PASSWORD: AttributeType = AttributeType(3);
    pub const NAS_IP_ADDRESS: AttributeType = AttributeType(4);
    pub const NAS_PORT: AttributeType = AttributeType(5);
    pub const SERVICE_TYPE: AttributeType = AttributeType(6);
    pub const FRAMED_PROTOCOL: AttributeType = AttributeType(7);
    pub const FRAMED_IP_ADDRESS: AttributeType = AttributeType(8);
    pub const FRAMED_IP_NETMASK: AttributeType = AttributeType(9);
    pub const FRAMED_ROUTING: AttributeType = AttributeType(10);
    pub const FILTER_ID: AttributeType = AttributeType(11);
    pub const FRAMED_MTU: AttributeType = AttributeType(12);
    pub const FRAMED_COMPRESSION: AttributeType = AttributeType(13);
    pub const LOGIN_IP_HOST: AttributeType = AttributeType(14);
    pub const LOGIN_SERVICE: AttributeType = AttributeType(15);
    pub const LOGIN_TCP_PORT: AttributeType = AttributeType(16);
    pub const REPLY_MESSAGE: AttributeType = AttributeType(18);
    pub const CALLBACK_NUMBER: AttributeType = AttributeType(19);
    pub const CALLBACK_ID: AttributeType = AttributeType(20);
    pub const FRAMED_ROUTE: AttributeType = AttributeType(22);
    pub const FRAMED_IPX_NETWORK: AttributeType = AttributeType(23);
    pub const STATE: AttributeType = AttributeType(24);
    pub const CLASS: AttributeType = AttributeType(25);
    pub const VENDOR_SPECIFIC: AttributeType = AttributeType(26);
    pub const SESSION_TIMEOUT: AttributeType = AttributeType(27);
    pub const IDLE_TIMEOUT: AttributeType = AttributeType(28);
    pub const TERMINATION_ACTION: AttributeType = AttributeType(29);
    pub const CALLED_STATION_ID: AttributeType = AttributeType(30);
    pub const CALLING_STATION_ID: AttributeType = AttributeType(31);
    pub const NAS_IDENTIFIER: AttributeType = AttributeType(32);
    pub const PROXY_STATE: AttributeType = AttributeType(33);
    pub const LOGIN_LAT_SERVICE: AttributeType = AttributeType(34);
    pub const LOGIN_LAT_NODE: AttributeType = AttributeType(35);
    pub const LOGIN_LAT_GROUP: AttributeType = AttributeType(36);
    pub const FRAMED_APPLETALK_LINK: AttributeType = AttributeType(37);
    pub const FRAMED_APPLETALK_NETWORK: AttributeType = AttributeType(38);
    pub const FRAMED_APPLETALK_ZONE: AttributeType = AttributeType(39);
    // RFC 2866 §5.
    pub const ACCT_STATUS_TYPE: AttributeType = AttributeType(40);
    pub const ACCT_DELAY_TIME: AttributeType = AttributeType(41);
    pub const ACCT_INPUT_OCTETS: AttributeType = AttributeType(42);
    pub const ACCT_OUTPUT_OCTETS: AttributeType = AttributeType(43);
    pub const ACCT_SESSION_ID: AttributeType = AttributeType(44);
    pub const ACCT_AUTHENTIC: AttributeType = AttributeType(45);
    pub const ACCT_SESSION_TIME: AttributeType = AttributeType(46);
    pub const ACCT_INPUT_PACKETS: AttributeType = AttributeType(47);
    pub const ACCT_OUTPUT_PACKETS: AttributeType = AttributeType(48);
    pub const ACCT_TERMINATE_CAUSE: AttributeType = AttributeType(49);
    pub const ACCT_MULTI_SESSION_ID: AttributeType = AttributeType(50);
    pub const ACCT_LINK_COUNT: AttributeType = AttributeType(51);
    // RFC 2869 §5.
    pub const ACCT_INPUT_GIGAWORDS: AttributeType = AttributeType(52);
    pub const ACCT_OUTPUT_GIGAWORDS: AttributeType = AttributeType(53);
    pub const EVENT_TIMESTAMP: AttributeType = AttributeType(55);
    // RFC 2865 §5.
    pub const CHAP_CHALLENGE: AttributeType = AttributeType(60);
    pub const NAS_PORT_TYPE: AttributeType = AttributeType(61);
    pub const PORT_LIMIT: AttributeType = AttributeType(62);
    pub const LOGIN_LAT_PORT: AttributeType = AttributeType(63);
    // RFC 2869 §5.
    pub const ARAP_PASSWORD: AttributeType = AttributeType(70);
    pub const ARAP_FEATURES: AttributeType = AttributeType(71);
    pub const ARAP_ZONE_ACCESS: AttributeType = AttributeType(72);
    pub const ARAP_SECURITY: AttributeType = AttributeType(73);
    pub const ARAP_SECURITY_DATA: AttributeType = AttributeType(74);
    pub const PASSWORD_RETRY: AttributeType = AttributeType(75);
    pub const PROMPT: AttributeType = AttributeType(76);
    pub const CONNECT_INFO: AttributeType = AttributeType(77);
    pub const CONFIGURATION_TOKEN: AttributeType = AttributeType(78);
    pub const EAP_MESSAGE: AttributeType = AttributeType(79);
    pub const MESSAGE_AUTHENTICATOR: AttributeType = AttributeType(80);
    pub const ARAP_CHALLENGE_RESPONSE: AttributeType = AttributeType(84);
    pub const ACCT_INTERIM_INTERVAL: AttributeType = AttributeType(85);
    pub const NAS_PORT_ID: AttributeType = AttributeType(87);
    pub const FRAMED_POOL: AttributeType = AttributeType(88);
    // RFC 5176 §3.6.
    pub const ERROR_CAUSE: AttributeType = AttributeType(101);
}

/// Microsoft vendor attribute types, vendor 311 (RFC 2548 §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MsAttributeType(pub u8);

impl MsAttributeType {
    pub const MS_CHAP_RESPONSE: MsAttributeType = MsAttributeType(1);
    pub const MS_CHAP_ERROR: MsAttributeType = MsAttributeType(2);
    pub const MS_CHAP_CPW_1: MsAttributeType = MsAttributeType(3);
    pub const MS_CHAP_CPW_2: MsAttributeType = MsAttributeType(4);
    pub const MS_CHAP_LM_ENC_PW: MsAttributeType = MsAttributeType(5);
    pub const MS_CHAP_NT_ENC_PW: MsAttributeType = MsAttributeType(6);
    pub const MS_MPPE_ENCRYPTION_POLICY: MsAttributeType = MsAttributeType(7);
    pub const MS_MPPE_ENCRYPTION_TYPES: MsAttributeType = MsAttributeType(8);
    pub const MS_RAS_VENDOR: MsAttributeType = MsAttributeType(9);
    pub const MS_CHAP_DOMAIN: MsAttributeType = MsAttributeType(10);
    pub const MS_CHAP_CHALLENGE: MsAttributeType = MsAttributeType(11);
    pub const MS_CHAP_MPPE_KEYS: MsAttributeType = MsAttributeType(12);
    pub const MS_BAP_USAGE: MsAttributeType = MsAttributeType(13);
    pub const MS_LINK_UTILIZATION_THRESHOLD: MsAttributeType = MsAttributeType(14);
    pub const MS_LINK_DROP_TIME_LIMIT: MsAttributeType = MsAttributeType(15);
    pub const MS_MPPE_SEND_KEY: MsAttributeType = MsAttributeType(16);
    pub const MS_MPPE_RECV_KEY: MsAttributeType = MsAttributeType(17);
    pub const MS_RAS_VERSION: MsAttributeType = MsAttributeType(18);
    pub const MS_OLD_ARAP_PASSWORD: MsAttributeType = MsAttributeType(19);
    pub const MS_NEW_ARAP_PASSWORD: MsAttributeType = MsAttributeType(20);
    pub const MS_ARAP_PW_CHANGE_REASON: MsAttributeType = MsAttributeType(21);
    pub const MS_FILTER: MsAttributeType = MsAttributeType(22);
    pub const MS_ACCT_AUTH_TYPE: MsAttributeType = MsAttributeType(23);
    pub const MS_ACCT_EAP_TYPE: MsAttributeType = MsAttributeType(24);
    pub const MS_CHAP2_RESPONSE: MsAttributeType = MsAttributeType(25);
    pub const MS_CHAP2_SUCCESS: MsAttributeType = MsAttributeType(26);
    pub const MS_CHAP2_CPW: MsAttributeType = MsAttributeType(27);
    pub const MS_PRIMARY_DNS_SERVER: MsAttributeType = MsAttributeType(28);
    pub const MS_SECONDARY_DNS_SERVER: MsAttributeType = MsAttributeType(29);
    pub const MS_PRIMARY_NBNS_SERVER: MsAttributeType = MsAttributeType(30);
    pub const MS_SECONDARY_NBNS_SERVER: MsAttributeType = MsAttributeType(31);
}

/// Service-Type values (RFC 2865 §5.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ServiceType(pub u32);

impl ServiceType {
    pub const LOGIN: ServiceType = ServiceType(1);
    pub const FRAMED: ServiceType = ServiceType(2);
    pub const CALLBACK_LOGIN: ServiceType = ServiceType(3);
    pub const CALLBACK_FRAMED: ServiceType = ServiceType(4);
    pub const OUTBOUND: ServiceType = ServiceType(5);
    pub const ADMINISTRATIVE: ServiceType = ServiceType(6);
    pub const NAS_PROMPT: ServiceType = ServiceType(7);
    pub const AUTHENTICATE_ONLY: ServiceType = ServiceType(8);
    pub const CALLBACK_NAS_PROMPT: ServiceType = ServiceType(9);
    pub const CALL_CHECK: ServiceType = ServiceType(10);
    pub const CALLBACK_ADMINISTRATIVE: ServiceType = ServiceType(11);
    /// RFC 5176 §3.2.
    pub const AUTHORIZE_ONLY: ServiceType = ServiceType(17);
}

/// Framed-Protocol values (RFC 2865 §5.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FramedProtocol(pub u32);

impl FramedProtocol {
    pub const PPP: FramedProtocol = FramedProtocol(1);
    pub const SLIP: FramedProtocol = FramedProtocol(2);
}

/// NAS-Port-Type values (RFC 2865 §5.41, RFC 4603).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NasPortType(pub u32);

impl NasPortType {
    pub const ASYNC: NasPortType = NasPortType(0);
    pub const SYNC: NasPortType = NasPortType(1);
    pub const ISDN_SYNC: NasPortType = NasPortType(2);
    pub const VIRTUAL: NasPortType = NasPortType(5);
    pub const ETHERNET: NasPortType = NasPortType(15);
    pub const XDSL: NasPortType = NasPortType(16);
    pub const PPPOA: NasPortType = NasPortType(30);
    pub const PPPOEOA: NasPortType = NasPortType(31);
    pub const PPPOEOE: NasPortType = NasPortType(32);
    pub const PPPOEOVLAN: NasPortType = NasPortType(33);
    pub const PPPOEOQINQ: NasPortType = NasPortType(34);
}

/// Acct-Status-Type values (RFC 2866 §5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AcctStatusType(pub u32);

impl AcctStatusType {
    pub const START: AcctStatusType = AcctStatusType(1);
    pub const STOP: AcctStatusType = AcctStatusType(2);
    pub const INTERIM_UPDATE: AcctStatusType = AcctStatusType(3);
    pub const ACCOUNTING_ON: AcctStatusType = AcctStatusType(7);
    pub const ACCOUNTING_OFF: AcctStatusType = AcctStatusType(8);
}

/// Acct-Terminate-Cause values (RFC 2866 §5.10).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AcctTerminateCause(pub u32);

impl AcctTerminateCause {
    pub const USER_REQUEST: AcctTerminateCause = AcctTerminateCause(1);
    pub const LOST_CARRIER: AcctTerminateCause = AcctTerminateCause(2);
    pub const LOST_SERVICE: AcctTerminateCause = AcctTerminateCause(3);
    pub const IDLE_TIMEOUT: AcctTerminateCause = AcctTerminateCause(4);
    pub const SESSION_TIMEOUT: AcctTerminateCause = AcctTerminateCause(5);
    pub const ADMIN_RESET: AcctTerminateCause = AcctTerminateCause(6);
    pub const ADMIN_REBOOT: AcctTerminateCause = AcctTerminateCause(7);
    pub const PORT_ERROR: AcctTerminateCause = AcctTerminateCause(8);
    pub const NAS_ERROR: AcctTerminateCause = AcctTerminateCause(9);
    pub const NAS_REQUEST: AcctTerminateCause = AcctTerminateCause(10);
    pub const NAS_REBOOT: AcctTerminateCause = AcctTerminateCause(11);
    pub const PORT_UNNEEDED: AcctTerminateCause = AcctTerminateCause(12);
    pub const PORT_PREEMPTED: AcctTerminateCause = AcctTerminateCause(13);
    pub const PORT_SUSPENDED: AcctTerminateCause = AcctTerminateCause(14);
    pub const SERVICE_UNAVAILABLE: AcctTerminateCause = AcctTerminateCause(15);
    pub const CALLBACK: AcctTerminateCause = AcctTerminateCause(16);
    pub const USER_ERROR: AcctTerminateCause = AcctTerminateCause(17);
    pub const HOST_REQUEST: AcctTerminateCause = AcctTerminateCause(18);
}

/// Error-Cause values (RFC 5176 §3.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ErrorCause(pub u32);

impl ErrorCause {
    pub const RESIDUAL_SESSION_CONTEXT_REMOVED: ErrorCause = ErrorCause(201);
    pub const INVALID_EAP_PACKET: ErrorCause = ErrorCause(202);
    pub const UNSUPPORTED_ATTRIBUTE: ErrorCause = ErrorCause(401);
    pub const MISSING_ATTRIBUTE: ErrorCause = ErrorCause(402);
    pub const NAS_IDENTIFICATION_MISMATCH: ErrorCause = ErrorCause(403);
    pub const INVALID_REQUEST: ErrorCause = ErrorCause(404);
    pub const UNSUPPORTED_SERVICE: ErrorCause = ErrorCause(405);
    pub const UNSUPPORTED_EXTENSION: ErrorCause = ErrorCause(406);
    pub const INVALID_ATTRIBUTE_VALUE: ErrorCause = ErrorCause(407);
    pub const ADMINISTRATIVELY_PROHIBITED: ErrorCause = ErrorCause(501);
    pub const REQUEST_NOT_ROUTABLE: ErrorCause = ErrorCause(502);
    pub const SESSION_CONTEXT_NOT_FOUND: ErrorCause = ErrorCause(503);
    pub const SESSION_CONTEXT_NOT_REMOVABLE: ErrorCause = ErrorCause(504);
    pub const OTHER_PROXY_PROCESSING_ERROR: ErrorCause = ErrorCause(505);
    pub const RESOURCES_UNAVAILABLE: ErrorCause = ErrorCause(506);
    pub const REQUEST_INITIATED: ErrorCause = ErrorCause(507);
    pub const MULTIPLE_SESSION_SELECTION_UNSUPPORTED: ErrorCause = ErrorCause(508);
}

/// One attribute, as read from a packet or to be written into one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RadiusAttribute<'a> {
    /// Any attribute by its type, the value as on the wire. A Vendor-Specific (26)
    /// here is one that is not a single RFC 2865 §5.26 sub-attribute.
    Standard {
        kind: AttributeType,
        value: &'a [u8],
    },
    /// A Vendor-Specific attribute with one sub-attribute (RFC 2865 §5.26): the
    /// vendor's 24-bit SMI code, the vendor type and the sub-attribute's value.
    Vendor {
        vendor_id: u32,
        vendor_type: u8,
        value: &'a [u8],
    },
}

impl<'a> RadiusAttribute<'a> {
    /// The attribute for a type and a value as read from the wire; a Vendor-Specific
    /// made of exactly one well-formed sub-attribute becomes [`Self::Vendor`].
    pub fn from_wire(kind: AttributeType, value: &'a [u8]) -> Self {
        if kind == AttributeType::VENDOR_SPECIFIC {
            if let [0, v1, v2, v3, subs @ ..] = value {
                let mut it = TlvIter::<TypeLen8>::new(subs);
                if let (Some(Ok(sub)), None) = (it.next(), it.next()) {
                    return RadiusAttribute::Vendor {
                        vendor_id: u32::from_be_bytes([0, *v1, *v2, *v3]),
                        vendor_type: sub.kind,
                        value: sub.value,
                    };
                }
            }
        }
        RadiusAttribute::Standard { kind, value }
    }

    pub const fn new(kind: AttributeType, value: &'a [u8]) -> Self {
        RadiusAttribute::Standard { kind, value }
    }

    /// A Microsoft (vendor 311) attribute (RFC 2548).
    pub const fn microsoft(kind: MsAttributeType, value: &'a [u8]) -> Self {
        RadiusAttribute::Vendor {
            vendor_id: VENDOR_MICROSOFT,
            vendor_type: kind.0,
            value,
        }
    }

    /// The attribute type; Vendor-Specific for [`Self::Vendor`].
    pub fn kind(&self) -> AttributeType {
        match self {
            RadiusAttribute::Standard { kind, .. } => *kind,
            RadiusAttribute::Vendor { .. } => AttributeType::VENDOR_SPECIFIC,
        }
    }

    /// The value; for [`Self::Vendor`] the sub-attribute's value.
    pub fn value(&self) -> &'a [u8] {
        match self {
            RadiusAttribute::Standard { value, .. } | RadiusAttribute::Vendor { value, .. } => {
                value
            }
        }
    }

    /// `Some((vendor id, vendor type))` for [`Self::Vendor`].
    pub fn vendor(&self) -> Option<(u32, u8)> {
        match self {
            RadiusAttribute::Vendor {
                vendor_id,
                vendor_type,
                ..
            } => Some((*vendor_id, *vendor_type)),
            RadiusAttribute::Standard { .. } => None,
        }
    }

    /// The Microsoft attribute type, for a vendor 311 attribute.
    pub fn microsoft_type(&self) -> Option<MsAttributeType> {
        match self.vendor() {
            Some((VENDOR_MICROSOFT, t)) => Some(MsAttributeType(t)),
            _ => None,
        }
    }

    /// `text` (RFC 2865 §5): UTF-8, else [`Error::BadValue`].
    pub fn text(&self) -> Result<&'a str> {
        core::str::from_utf8(self.value()).map_err(|_| Error::BadValue)
    }

    /// `string` (RFC 2865 §5): any octets.
    pub fn string(&self) -> &'a [u8] {
        self.value()
    }

    /// `address` (RFC 2865 §5): four octets, else [`Error::BadValue`].
    pub fn address(&self) -> Result<Ipv4Address> {
        match self.value() {
            [a, b, c, d] => Ok(Ipv4Address::new(*a, *b, *c, *d)),
            _ => Err(Error::BadValue),
        }
    }

    /// `integer` (RFC 2865 §5): 32 bits, most significant octet first, else
    /// [`Error::BadValue`].
    pub fn integer(&self) -> Result<u32> {
        match self.value() {
            [a, b, c, d] => Ok(u32::from_be_bytes([*a, *b, *c, *d])),
            _ => Err(Error::BadValue),
        }
    }

    /// `time` (RFC 2865 §5): seconds since 1970-01-01 00:00:00 UTC, 32 bits.
    pub fn time(&self) -> Result<u32> {
        self.integer()
    }

    /// Octets on the wire, header included.
    pub fn buffer_len(&self) -> usize {
        match self {
            RadiusAttribute::Standard { value, .. } => 2 + value.len(),
            RadiusAttribute::Vendor { value, .. } => 8 + value.len(),
        }
    }

    /// Write the attribute at the start of `buf`; returns the octets written.
    /// [`Error::BadLength`] for a value that does not fit the Length octet,
    /// [`Error::BadValue`] for a vendor id above 24 bits (its high octet must be 0,
    /// RFC 2865 §5.26).
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        match *self {
            RadiusAttribute::Standard { kind, value } => emit_type_len8(buf, kind.0, value),
            RadiusAttribute::Vendor {
                vendor_id,
                vendor_type,
                value,
            } => {
                if vendor_id > 0x00ff_ffff {
                    return Err(Error::BadValue);
                }
                if value.len() > MAX_VENDOR_VALUE_LEN {
                    return Err(Error::BadLength);
                }
                let total = 8 + value.len();
                if buf.len() < total {
                    return Err(Error::BufferTooSmall);
                }
                buf[0] = AttributeType::VENDOR_SPECIFIC.0;
                buf[1] = total as u8;
                buf[2..6].copy_from_slice(&vendor_id.to_be_bytes());
                emit_type_len8(&mut buf[6..total], vendor_type, value)?;
                Ok(total)
            }
        }
    }
}

/// A Vendor-Specific value taken apart (RFC 2865 §5.26): for those that
/// [`RadiusAttribute::from_wire`] keeps whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VendorSpecific<'a> {
    pub vendor_id: u32,
    /// Everything after Vendor-Id: sub-attributes in the recommended layout, or the
    /// vendor's own format.
    pub data: &'a [u8],
}

impl<'a> VendorSpecific<'a> {
    /// At least Vendor-Id and one octet (Length >= 7), and the Vendor-Id's high octet
    /// zero; else [`Error::BadValue`].
    pub fn parse(value: &'a [u8]) -> Result<Self> {
        match value {
            [0, a, b, c, data @ ..] if !data.is_empty() => Ok(VendorSpecific {
                vendor_id: u32::from_be_bytes([0, *a, *b, *c]),
                data,
            }),
            _ => Err(Error::BadValue),
        }
    }

    /// The sub-attributes: vendor type, vendor length, value (RFC 2865 §5.26).
    pub fn sub_attributes(&self) -> TlvIter<'a, TypeLen8> {
        TlvIter::new(self.data)
    }
}

/// The attributes of a packet, in order.
#[derive(Clone, Debug)]
pub struct Attributes<'a> {
    inner: TlvIter<'a, TypeLen8>,
}

impl<'a> Attributes<'a> {
    /// Iterate over an attribute list (the octets after the header, up to Length).
    pub fn new(list: &'a [u8]) -> Self {
        Attributes {
            inner: TlvIter::new(list),
        }
    }
}

impl<'a> Iterator for Attributes<'a> {
    type Item = Result<RadiusAttribute<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        self.inner
            .next()
            .map(|t| t.map(|t| RadiusAttribute::from_wire(AttributeType(t.kind), t.value)))
    }
}

/// A view of a RADIUS packet.
#[derive(Debug, Clone)]
pub struct RadiusPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> RadiusPacket<T> {
    pub const fn new_unchecked(buffer: T) -> Self {
        RadiusPacket { buffer }
    }

    /// The header is there, Length is within 20..=4096 and the buffer, and the
    /// attributes up to Length are well formed. The buffer may be longer: the rest is
    /// padding (RFC 2865 §3).
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = RadiusPacket { buffer };
        p.check_len()?;
        Ok(p)
    }

    /// The checks of [`Self::new_checked`], for a view made with `new_unchecked`:
    /// [`Error::Truncated`] when the buffer is shorter than the header or Length, or an
    /// attribute runs past Length; [`Error::BadLength`] for a Length outside
    /// 20..=4096 or an attribute Length below 2.
    pub fn check_len(&self) -> Result<()> {
        let b = self.buffer.as_ref();
        if b.len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        let len = self.length() as usize;
        if !(HEADER_LEN..=MAX_PACKET_LEN).contains(&len) {
            return Err(Error::BadLength);
        }
        if len > b.len() {
            return Err(Error::Truncated);
        }
        TlvIter::<TypeLen8>::validate(&b[HEADER_LEN..len])
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }

    #[inline]
    pub fn code(&self) -> RadiusCode {
        RadiusCode(self.buffer.as_ref()[field::CODE])
    }
    #[inline]
    pub fn identifier(&self) -> u8 {
        self.buffer.as_ref()[field::IDENTIFIER]
    }
    /// The Length field: the whole packet, header included.
    #[inline]
    pub fn length(&self) -> u16 {
        let b = &self.buffer.as_ref()[field::LENGTH];
        u16::from_be_bytes([b[0], b[1]])
    }
    #[inline]
    pub fn authenticator(&self) -> [u8; AUTHENTICATOR_LEN] {
        let mut a = [0; AUTHENTICATOR_LEN];
        a.copy_from_slice(&self.buffer.as_ref()[field::AUTHENTICATOR]);
        a
    }
    /// The packet up to Length (padding after it left out).
    #[inline]
    pub fn packet(&self) -> &[u8] {
        &self.buffer.as_ref()[..self.length() as usize]
    }
    /// The attribute octets, up to Length.
    #[inline]
    pub fn attributes_bytes(&self) -> &[u8] {
        &self.packet()[field::ATTRIBUTES..]
    }
    pub fn attributes(&self) -> Attributes<'_> {
        Attributes::new(self.attributes_bytes())
    }
    /// The first well-formed attribute of a type.
    pub fn attribute(&self, kind: AttributeType) -> Option<RadiusAttribute<'_>> {
        self.attributes().flatten().find(|a| a.kind() == kind)
    }
    /// The first attribute of a vendor and vendor type.
    pub fn vendor_attribute(&self, vendor_id: u32, vendor_type: u8) -> Option<RadiusAttribute<'_>> {
        self.attributes()
            .flatten()
            .find(|a| a.vendor() == Some((vendor_id, vendor_type)))
    }
    /// The challenge a CHAP-Password answers: CHAP-Challenge if present, else the
    /// Request Authenticator (RFC 2865 §5.3).
    pub fn chap_challenge(&self) -> &[u8] {
        match self.attribute(AttributeType::CHAP_CHALLENGE) {
            Some(a) => a.value(),
            None => &self.buffer.as_ref()[field::AUTHENTICATOR],
        }
    }

    /// The Response Authenticator for this packet as it stands (RFC 2865 §3,
    /// RFC 2866 §3, RFC 5176 §2.3): `request_authenticator` is that of the request
    /// this packet answers.
    pub fn response_authenticator(
        &self,
        request_authenticator: &[u8; 16],
        secret: &[u8],
    ) -> [u8; 16] {
        md5_authenticator(self.packet(), request_authenticator, secret)
    }

    /// The Request Authenticator of an Accounting-Request, Disconnect-Request or
    /// CoA-Request as it stands (RFC 2866 §3, RFC 5176 §2.3).
    pub fn request_authenticator(&self, secret: &[u8]) -> [u8; 16] {
        md5_authenticator(self.packet(), &[0; 16], secret)
    }

    /// [`Error::BadAuthenticator`] unless the Authenticator field is the Response
    /// Authenticator for `request_authenticator`.
    pub fn verify_response_authenticator(
        &self,
        request_authenticator: &[u8; 16],
        secret: &[u8],
    ) -> Result<()> {
        check_equal(
            &self.response_authenticator(request_authenticator, secret),
            &self.authenticator(),
        )
    }

    /// [`Error::BadAuthenticator`] unless the Authenticator field is the
    /// Accounting-Request style Request Authenticator.
    pub fn verify_request_authenticator(&self, secret: &[u8]) -> Result<()> {
        check_equal(&self.request_authenticator(secret), &self.authenticator())
    }

    /// The offset (into the packet) of the Message-Authenticator's value, if there is
    /// one; [`Error::DuplicateField`] for two, [`Error::BadValue`] for a value that is
    /// not 16 octets (RFC 3579 §3.2).
    pub fn message_authenticator_offset(&self) -> Result<Option<usize>> {
        let mut at = HEADER_LEN;
        let mut found = None;
        for t in TlvIter::<TypeLen8>::new(self.attributes_bytes()) {
            let t = t?;
            if t.kind == AttributeType::MESSAGE_AUTHENTICATOR.0 {
                if found.is_some() {
                    return Err(Error::DuplicateField);
                }
                if t.value.len() != 16 {
                    return Err(Error::BadValue);
                }
                found = Some(at + 2);
            }
            at += t.raw.len();
        }
        Ok(found)
    }

    /// What stands in the Authenticator field while the Message-Authenticator is
    /// computed (see [`Self::compute_message_authenticator`]).
    fn message_authenticator_input(
        &self,
        request_authenticator: Option<&[u8; 16]>,
    ) -> Result<[u8; 16]> {
        if self.code() == RadiusCode::ACCOUNTING_RESPONSE {
            return Ok([0; 16]);
        }
        match self.code().authenticator_kind() {
            Some(AuthenticatorKind::Random) => Ok(self.authenticator()),
            Some(AuthenticatorKind::Request) => Ok([0; 16]),
            Some(AuthenticatorKind::Response) => {
                request_authenticator.copied().ok_or(Error::MissingField)
            }
            None => Err(Error::UnknownType),
        }
    }

    /// The Message-Authenticator this packet should carry: HMAC-MD5 keyed with the
    /// secret over the packet, its value taken as zeros and in the Authenticator
    /// field: the packet's own for Access-Request and Status-Server (RFC 3579 §3.2),
    /// zeros for Accounting/Disconnect/CoA requests (RFC 5176 §3.4), the request's
    /// (`request_authenticator`) for the Access-* answers and Disconnect/CoA ACK/NAK
    /// (RFC 3579 §3.2, RFC 5176 §3.4). An Accounting-Response gets zeros: no RFC
    /// defines its Message-Authenticator and that is what FreeRADIUS computes and
    /// checks (an Accounting-Response to a Status-Server, RFC 5997 §3, takes the
    /// request's: use [`Self::message_authenticator_with`] for that one).
    /// [`Error::MissingField`] without the attribute, or for a response without
    /// `request_authenticator`; [`Error::UnknownType`] for a code we do not know.
    pub fn compute_message_authenticator(
        &self,
        request_authenticator: Option<&[u8; 16]>,
        secret: &[u8],
    ) -> Result<[u8; 16]> {
        let auth = self.message_authenticator_input(request_authenticator)?;
        self.message_authenticator_with(&auth, secret)
    }

    /// The Message-Authenticator with `authenticator` standing in the Authenticator
    /// field, whatever the code: for the cases [`Self::compute_message_authenticator`]
    /// does not choose right. [`Error::MissingField`] without the attribute.
    pub fn message_authenticator_with(
        &self,
        authenticator: &[u8; 16],
        secret: &[u8],
    ) -> Result<[u8; 16]> {
        let at = self
            .message_authenticator_offset()?
            .ok_or(Error::MissingField)?;
        hmac_md5_message(self.packet(), authenticator, at, secret)
    }

    /// [`Error::BadAuthenticator`] unless the Message-Authenticator verifies; the
    /// errors of [`Self::compute_message_authenticator`] otherwise.
    pub fn verify_message_authenticator(
        &self,
        request_authenticator: Option<&[u8; 16]>,
        secret: &[u8],
    ) -> Result<()> {
        let want = self.compute_message_authenticator(request_authenticator, secret)?;
        let at = self
            .message_authenticator_offset()?
            .ok_or(Error::MissingField)?;
        check_equal(&want, &self.packet()[at..at + 16])
    }

    /// Everything a receiver checks for this code: the Authenticator (not for
    /// Access-Request and Status-Server, whose Request Authenticator is random) and
    /// the Message-Authenticator when present. A Message-Authenticator is required
    /// with EAP-Message (RFC 3579 §3.3) and in Status-Server (RFC 5997 §2):
    /// [`Error::MissingField`] without one. `request_authenticator` is that of the
    /// request a response answers (`None` for requests).
    pub fn verify(&self, request_authenticator: Option<&[u8; 16]>, secret: &[u8]) -> Result<()> {
        let kind = self.code().authenticator_kind().ok_or(Error::UnknownType)?;
        match kind {
            AuthenticatorKind::Random => {}
            AuthenticatorKind::Request => self.verify_request_authenticator(secret)?,
            AuthenticatorKind::Response => {
                let req = request_authenticator.ok_or(Error::MissingField)?;
                self.verify_response_authenticator(req, secret)?;
            }
        }
        if self.message_authenticator_offset()?.is_some() {
            self.verify_message_authenticator(request_authenticator, secret)
        } else if self.code() == RadiusCode::STATUS_SERVER
            || self.attribute(AttributeType::EAP_MESSAGE).is_some()
        {
            Err(Error::MissingField)
        } else {
            Ok(())
        }
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> RadiusPacket<T> {
    #[inline]
    pub fn set_code(&mut self, code: RadiusCode) {
        self.buffer.as_mut()[field::CODE] = code.0;
    }
    #[inline]
    pub fn set_identifier(&mut self, v: u8) {
        self.buffer.as_mut()[field::IDENTIFIER] = v;
    }
    #[inline]
    pub fn set_length(&mut self, v: u16) {
        self.buffer.as_mut()[field::LENGTH].copy_from_slice(&v.to_be_bytes());
    }
    #[inline]
    pub fn set_authenticator(&mut self, a: &[u8; 16]) {
        self.buffer.as_mut()[field::AUTHENTICATOR].copy_from_slice(a);
    }
    /// The attribute octets, up to Length, writable.
    #[inline]
    pub fn attributes_bytes_mut(&mut self) -> &mut [u8] {
        let len = self.length() as usize;
        &mut self.buffer.as_mut()[field::ATTRIBUTES..len]
    }

    /// Write the Response Authenticator (RFC 2865 §3) for `request_authenticator`.
    /// Fill a Message-Authenticator first: the authenticator covers it.
    pub fn fill_response_authenticator(&mut self, request_authenticator: &[u8; 16], secret: &[u8]) {
        let a = self.response_authenticator(request_authenticator, secret);
        self.set_authenticator(&a);
    }

    /// Write the Accounting-Request style Request Authenticator (RFC 2866 §3,
    /// RFC 5176 §2.3). Fill a Message-Authenticator first (RFC 5176 §3.4).
    pub fn fill_request_authenticator(&mut self, secret: &[u8]) {
        let a = self.request_authenticator(secret);
        self.set_authenticator(&a);
    }

    /// Compute the Message-Authenticator and write it into the attribute, which must
    /// be there (emit it with 16 zero octets, RFC 3579 §3.2). Errors as
    /// [`RadiusPacket::compute_message_authenticator`].
    pub fn fill_message_authenticator(
        &mut self,
        request_authenticator: Option<&[u8; 16]>,
        secret: &[u8],
    ) -> Result<()> {
        let m = self.compute_message_authenticator(request_authenticator, secret)?;
        let at = self
            .message_authenticator_offset()?
            .ok_or(Error::MissingField)?;
        self.buffer.as_mut()[at..at + 16].copy_from_slice(&m);
        Ok(())
    }

    /// Everything a sender computes for this code, in the RFC's order: the
    /// Message-Authenticator if the packet has the attribute, then the Authenticator
    /// (left as it is for Access-Request and Status-Server, whose random Request
    /// Authenticator the caller chose). `request_authenticator` is that of the
    /// request a response answers.
    pub fn sign(&mut self, request_authenticator: Option<&[u8; 16]>, secret: &[u8]) -> Result<()> {
        let kind = self.code().authenticator_kind().ok_or(Error::UnknownType)?;
        if kind == AuthenticatorKind::Response && request_authenticator.is_none() {
            return Err(Error::MissingField);
        }
        if self.message_authenticator_offset()?.is_some() {
            self.fill_message_authenticator(request_authenticator, secret)?;
        }
        match (kind, request_authenticator) {
            (AuthenticatorKind::Request, _) => self.fill_request_authenticator(secret),
            (AuthenticatorKind::Response, Some(req)) => {
                self.fill_response_authenticator(req, secret)
            }
            _ => {}
        }
        Ok(())
    }
}

fn check_equal(a: &[u8], b: &[u8]) -> Result<()> {
    // No early exit: a timing oracle on authenticators is an old attack.
    let diff = a
        .iter()
        .zip(b)
        .fold(a.len() ^ b.len(), |d, (x, y)| d | (x ^ y) as usize);
    if diff == 0 {
        Ok(())
    } else {
        Err(Error::BadAuthenticator)
    }
}

/// MD5(Code + Identifier + Length + `auth` + Attributes + Secret) over `packet`
/// (exactly Length octets).
fn md5_authenticator(packet: &[u8], auth: &[u8; 16], secret: &[u8]) -> [u8; 16] {
    let mut h = Md5::new();
    h.update(&packet[..field::AUTHENTICATOR.start]);
    h.update(auth);
    h.update(&packet[HEADER_LEN..]);
    h.update(secret);
    h.finalize().into()
}

/// HMAC-MD5 over `packet` with `auth` in the Authenticator field and zeros in the
/// 16 octets at `at` (the Message-Authenticator's value).
fn hmac_md5_message(packet: &[u8], auth: &[u8; 16], at: usize, secret: &[u8]) -> Result<[u8; 16]> {
    let mut m = <Hmac<Md5> as Mac>::new_from_slice(secret).map_err(|_| Error::BadValue)?;
    m.update(&packet[..field::AUTHENTICATOR.start]);
    m.update(auth);
    m.update(&packet[HEADER_LEN..at]);
    m.update(&[0; 16]);
    m.update(&packet[at + 16..]);
    Ok(m.finalize().into_bytes().into())
}

fn md5_of(parts: &[&[u8]]) -> [u8; 16] {
    let mut h = Md5::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// Hide a User-Password (RFC 2865 §5.2): pad with zeros to a multiple of 16 (16 for
/// an empty one), then c(1) = p(1) xor MD5(S + RA), c(i) = p(i) xor MD5(S + c(i-1)).
/// `authenticator` is the Access-Request's Request Authenticator. Writes into `out`
/// and returns the length. MS-CHAP-MPPE-Keys (RFC 2548 §2.4.1) is hidden the same
/// way. [`Error::BadLength`] for a password over 128 octets.
pub fn hide_user_password(
    password: &[u8],
    secret: &[u8],
    authenticator: &[u8; 16],
    out: &mut [u8],
) -> Result<usize> {
    if password.len() > MAX_PASSWORD_LEN {
        return Err(Error::BadLength);
    }
    let n = password.len().div_ceil(16).max(1) * 16;
    let out = out.get_mut(..n).ok_or(Error::BufferTooSmall)?;
    let mut prev = *authenticator;
    for (i, block) in out.chunks_mut(16).enumerate() {
        let b = md5_of(&[secret, &prev]);
        for (j, (c, k)) in block.iter_mut().zip(b).enumerate() {
            *c = password.get(i * 16 + j).copied().unwrap_or(0) ^ k;
        }
        prev.copy_from_slice(block);
    }
    Ok(n)
}

/// Recover a hidden User-Password (RFC 2865 §5.2), without its zero padding.
/// [`Error::BadValue`] unless the value is 16..=128 octets, a multiple of 16;
/// [`Error::BufferTooSmall`] if `out` is shorter than the value.
pub fn unhide_user_password(
    hidden: &[u8],
    secret: &[u8],
    authenticator: &[u8; 16],
    out: &mut [u8],
) -> Result<usize> {
    // `& 15`: a multiple of 16 (`is_multiple_of` is newer than our rust-version).
    if hidden.is_empty() || hidden.len() > MAX_PASSWORD_LEN || hidden.len() & 15 != 0 {
        return Err(Error::BadValue);
    }
    let out = out.get_mut(..hidden.len()).ok_or(Error::BufferTooSmall)?;
    let mut prev: &[u8] = authenticator;
    for (c, p) in hidden.chunks(16).zip(out.chunks_mut(16)) {
        let b = md5_of(&[secret, prev]);
        for ((p, c), k) in p.iter_mut().zip(c).zip(b) {
            *p = c ^ k;
        }
        prev = c;
    }
    Ok(out.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1))
}

/// Encrypt an MS-MPPE-Send-Key or MS-MPPE-Recv-Key (RFC 2548 §2.4.2, §2.4.3) into
/// `out`: the Salt (two octets, high bit set, unique per attribute of a packet), then
/// P = key length, key, zero padding to a multiple of 16, encrypted as
/// c(1) = p(1) xor MD5(S + R + A), c(i) = p(i) xor MD5(S + c(i-1)), where R is the
/// Request Authenticator of the Access-Request and A the Salt. Returns the length of
/// the sub-attribute value. [`Error::BadValue`] for a Salt without its high bit;
/// [`Error::BadLength`] for a key that would not fit a vendor sub-attribute.
pub fn encrypt_mppe_key(
    key: &[u8],
    salt: u16,
    secret: &[u8],
    request_authenticator: &[u8; 16],
    out: &mut [u8],
) -> Result<usize> {
    if salt & 0x8000 == 0 {
        return Err(Error::BadValue);
    }
    let plain_len = (1 + key.len()).div_ceil(16) * 16;
    let n = 2 + plain_len;
    if n > MAX_VENDOR_VALUE_LEN {
        return Err(Error::BadLength);
    }
    let out = out.get_mut(..n).ok_or(Error::BufferTooSmall)?;
    let salt = salt.to_be_bytes();
    out[..2].copy_from_slice(&salt);
    let mut prev = [0u8; 16];
    for (i, block) in out[2..].chunks_mut(16).enumerate() {
        let b = if i == 0 {
            md5_of(&[secret, request_authenticator, &salt])
        } else {
            md5_of(&[secret, &prev])
        };
        for (j, (c, k)) in block.iter_mut().zip(b).enumerate() {
            let at = i * 16 + j;
            let p = if at == 0 {
                key.len() as u8
            } else {
                key.get(at - 1).copied().unwrap_or(0)
            };
            *c = p ^ k;
        }
        prev.copy_from_slice(block);
    }
    Ok(n)
}

/// Decrypt an MS-MPPE-Send-Key or MS-MPPE-Recv-Key value (Salt and String,
/// RFC 2548 §2.4.2) into `out`; returns the key length. [`Error::BadValue`] for a
/// Salt without its high bit, a String that is not a non-zero multiple of 16, or a
/// key length octet beyond the String; [`Error::BufferTooSmall`] if the key does not
/// fit `out`.
pub fn decrypt_mppe_key(
    value: &[u8],
    secret: &[u8],
    request_authenticator: &[u8; 16],
    out: &mut [u8],
) -> Result<usize> {
    let (salt, string) = match value {
        [s0, s1, rest @ ..] if s0 & 0x80 != 0 => ([*s0, *s1], rest),
        _ => return Err(Error::BadValue),
    };
    if string.is_empty() || string.len() & 15 != 0 || string.len() > MAX_VENDOR_VALUE_LEN {
        return Err(Error::BadValue);
    }
    let mut plain = [0u8; MAX_VENDOR_VALUE_LEN + 1];
    let mut prev: &[u8] = &[];
    for (i, (c, p)) in string.chunks(16).zip(plain.chunks_mut(16)).enumerate() {
        let b = if i == 0 {
            md5_of(&[secret, request_authenticator, &salt])
        } else {
            md5_of(&[secret, prev])
        };
        for ((p, c), k) in p.iter_mut().zip(c).zip(b) {
            *p = c ^ k;
        }
        prev = c;
    }
    let key_len = plain[0] as usize;
    if key_len + 1 > string.len() {
        return Err(Error::BadValue);
    }
    let out = out.get_mut(..key_len).ok_or(Error::BufferTooSmall)?;
    out.copy_from_slice(&plain[1..1 + key_len]);
    Ok(key_len)
}

/// CHAP-Password (RFC 2865 §5.3): the CHAP Identifier and the 16-octet response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChapPassword {
    pub ident: u8,
    pub response: [u8; 16],
}

impl ChapPassword {
    pub const LEN: usize = 17;

    /// Exactly 17 octets, else [`Error::BadValue`].
    pub fn parse(value: &[u8]) -> Result<Self> {
        match value {
            [ident, rest @ ..] if rest.len() == 16 => {
                let mut response = [0; 16];
                response.copy_from_slice(rest);
                Ok(ChapPassword {
                    ident: *ident,
                    response,
                })
            }
            _ => Err(Error::BadValue),
        }
    }

    /// The attribute value.
    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut b = [0; Self::LEN];
        b[0] = self.ident;
        b[1..].copy_from_slice(&self.response);
        b
    }
}

/// A CHAP-Challenge value (RFC 2865 §5.40): at least 5 octets (Length >= 7), else
/// [`Error::BadValue`]. Without the attribute the Request Authenticator is the
/// challenge ([`RadiusRepr::chap_challenge`]).
pub fn parse_chap_challenge(value: &[u8]) -> Result<&[u8]> {
    if value.len() < 5 {
        return Err(Error::BadValue);
    }
    Ok(value)
}

/// MS-CHAP2-Response (RFC 2548 §2.3.2): Ident, Flags, Peer-Challenge (16),
/// Reserved (8), Response (24).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsChap2Response {
    pub ident: u8,
    pub flags: u8,
    pub peer_challenge: [u8; 16],
    pub response: [u8; 24],
}

impl MsChap2Response {
    pub const LEN: usize = 50;

    /// Exactly 50 octets, else [`Error::BadValue`]. The Reserved octets are not
    /// checked (RFC 2548 says they are zero).
    pub fn parse(value: &[u8]) -> Result<Self> {
        if value.len() != Self::LEN {
            return Err(Error::BadValue);
        }
        let mut peer_challenge = [0; 16];
        peer_challenge.copy_from_slice(&value[2..18]);
        let mut response = [0; 24];
        response.copy_from_slice(&value[26..50]);
        Ok(MsChap2Response {
            ident: value[0],
            flags: value[1],
            peer_challenge,
            response,
        })
    }

    /// The sub-attribute value, Reserved zero.
    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut b = [0; Self::LEN];
        b[0] = self.ident;
        b[1] = self.flags;
        b[2..18].copy_from_slice(&self.peer_challenge);
        b[26..50].copy_from_slice(&self.response);
        b
    }
}

/// A RADIUS packet: header and attributes in order, unknown ones included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RadiusRepr<'a> {
    pub code: RadiusCode,
    pub identifier: u8,
    /// Written as is by [`Self::emit`]; compute it afterwards with
    /// [`RadiusPacket::sign`] or the `fill_*` methods.
    pub authenticator: [u8; AUTHENTICATOR_LEN],
    pub attributes: ArrayVec<RadiusAttribute<'a>, MAX_ATTRIBUTES>,
}

impl<'a> RadiusRepr<'a> {
    pub fn new(code: RadiusCode, identifier: u8, authenticator: [u8; AUTHENTICATOR_LEN]) -> Self {
        RadiusRepr {
            code,
            identifier,
            authenticator,
            attributes: ArrayVec::new(),
        }
    }

    /// Append an attribute; [`Error::TooMany`] past [`MAX_ATTRIBUTES`].
    pub fn push(&mut self, a: RadiusAttribute<'a>) -> Result<()> {
        self.attributes.try_push(a).map_err(|_| Error::TooMany)
    }

    /// Append a Message-Authenticator of 16 zero octets, for
    /// [`RadiusPacket::sign`] to fill after emit (RFC 3579 §3.2).
    pub fn push_message_authenticator(&mut self) -> Result<()> {
        self.push(RadiusAttribute::new(
            AttributeType::MESSAGE_AUTHENTICATOR,
            &[0; 16],
        ))
    }

    /// Checks lengths and attributes as [`RadiusPacket::check_len`];
    /// [`Error::TooMany`] for more than [`MAX_ATTRIBUTES`] attributes. Authenticators
    /// are not checked here (that needs the secret: [`RadiusPacket::verify`]).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(p: &RadiusPacket<&'a T>) -> Result<RadiusRepr<'a>> {
        p.check_len()?;
        let buf: &'a [u8] = p.buffer.as_ref();
        let len = p.length() as usize;
        let mut r = RadiusRepr::new(p.code(), p.identifier(), p.authenticator());
        for a in Attributes::new(&buf[HEADER_LEN..len]) {
            r.push(a?)?;
        }
        Ok(r)
    }

    /// The first attribute of a type.
    pub fn get(&self, kind: AttributeType) -> Option<&RadiusAttribute<'a>> {
        self.attributes.iter().find(|a| a.kind() == kind)
    }

    /// The first attribute of a vendor and vendor type.
    pub fn get_vendor(&self, vendor_id: u32, vendor_type: u8) -> Option<&RadiusAttribute<'a>> {
        self.attributes
            .iter()
            .find(|a| a.vendor() == Some((vendor_id, vendor_type)))
    }

    /// The challenge a CHAP-Password answers: CHAP-Challenge if present, else the
    /// Request Authenticator (RFC 2865 §5.3).
    pub fn chap_challenge(&self) -> &[u8] {
        match self.get(AttributeType::CHAP_CHALLENGE) {
            Some(a) => a.value(),
            None => &self.authenticator,
        }
    }

    pub fn buffer_len(&self) -> usize {
        HEADER_LEN
            + self
                .attributes
                .iter()
                .map(|a| a.buffer_len())
                .sum::<usize>()
    }

    /// Write the packet into `buf`; returns its length. [`Error::BadLength`] for a
    /// packet over 4096 octets or an attribute too long for its Length octet.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let len = self.buffer_len();
        if len > MAX_PACKET_LEN {
            return Err(Error::BadLength);
        }
        if buf.len() < len {
            return Err(Error::BufferTooSmall);
        }
        let mut at = HEADER_LEN;
        for a in &self.attributes {
            at += a.emit(&mut buf[at..len])?;
        }
        let mut p = RadiusPacket::new_unchecked(&mut buf[..len]);
        p.set_code(self.code);
        p.set_identifier(self.identifier);
        p.set_length(len as u16);
        p.set_authenticator(&self.authenticator);
        Ok(len)
    }
}

/// Run every parser of this module on `data`; a `Repr` that parses must emit and
/// parse back equal, and a packet we sign must verify. Never allocates.
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    const SECRET: &[u8] = b"fuzz-secret";
    const REQ: [u8; 16] = [0x5a; 16];
    let mut out = [0u8; 256];

    fn exercise(a: &RadiusAttribute<'_>, out: &mut [u8]) {
        let _ = (a.kind(), a.value(), a.vendor(), a.microsoft_type());
        let _ = (
            a.text(),
            a.string(),
            a.address(),
            a.integer(),
            a.time(),
            a.buffer_len(),
        );
        let _ = ChapPassword::parse(a.value()).map(|c| c.to_bytes());
        let _ = MsChap2Response::parse(a.value()).map(|c| c.to_bytes());
        let _ = parse_chap_challenge(a.value());
        let _ = unhide_user_password(a.value(), SECRET, &REQ, out);
        let _ = decrypt_mppe_key(a.value(), SECRET, &REQ, out);
        if let Ok(v) = VendorSpecific::parse(a.value()) {
            for s in v.sub_attributes() {
                let _ = s.map(|s| (s.kind, s.value));
            }
        }
    }

    // The list parsers and the crypto on bare bytes.
    for a in Attributes::new(data).flatten() {
        exercise(&a, &mut out);
    }
    let _ = unhide_user_password(data, SECRET, &REQ, &mut out);
    let _ = decrypt_mppe_key(data, SECRET, &REQ, &mut out);
    let pw = &data[..data.len().min(MAX_PASSWORD_LEN)];
    if let Ok(n) = hide_user_password(pw, SECRET, &REQ, &mut out) {
        let mut back = [0u8; MAX_PASSWORD_LEN];
        let hidden = out;
        let m = unhide_user_password(&hidden[..n], SECRET, &REQ, &mut back)
            .expect("hidden password unhides");
        let trimmed = pw.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        assert_eq!(&back[..m], &pw[..trimmed]);
    }

    let Ok(p) = RadiusPacket::new_checked(data) else {
        return;
    };
    let _ = (
        p.code(),
        p.identifier(),
        p.length(),
        p.authenticator(),
        p.chap_challenge(),
    );
    for a in p.attributes().flatten() {
        exercise(&a, &mut out);
    }
    let _ = p.attribute(AttributeType::USER_NAME);
    let _ = p.vendor_attribute(VENDOR_MICROSOFT, MsAttributeType::MS_MPPE_SEND_KEY.0);
    let _ = p.verify(Some(&REQ), SECRET);
    let _ = p.verify(None, SECRET);
    let _ = p.verify_message_authenticator(Some(&REQ), SECRET);

    let Ok(r) = RadiusRepr::parse(&p) else {
        return;
    };
    let _ = (
        r.chap_challenge(),
        r.get(AttributeType::STATE),
        r.get_vendor(VENDOR_MICROSOFT, 1),
    );
    let mut buf = [0u8; MAX_PACKET_LEN];
    let n = r.emit(&mut buf).expect("a parsed RadiusRepr emits");
    assert_eq!(n, r.buffer_len());
    {
        let p2 = RadiusPacket::new_checked(&buf[..n]).expect("what we emit is well formed");
        let r2 = RadiusRepr::parse(&p2).expect("what we emit parses");
        assert_eq!(r, r2);
    }
    // What we sign verifies (short of a Message-Authenticator the code requires).
    let mut q = RadiusPacket::new_unchecked(&mut buf[..n]);
    if q.sign(Some(&REQ), SECRET).is_ok() {
        let v = q.verify(Some(&REQ), SECRET);
        assert!(
            v.is_ok() || v == Err(Error::MissingField),
            "signed packet does not verify: {v:?}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_specific_canonical_form() {
        let v = [0, 0, 1, 55, 16, 4, 0xaa, 0xbb];
        assert_eq!(
            RadiusAttribute::from_wire(AttributeType::VENDOR_SPECIFIC, &v),
            RadiusAttribute::Vendor {
                vendor_id: 311,
                vendor_type: 16,
                value: &[0xaa, 0xbb]
            }
        );
        // Two sub-attributes, a bad vendor length, a vendor id above 24 bits: kept whole.
        for v in [
            &[0, 0, 1, 55, 1, 3, 9, 2, 2][..],
            &[0, 0, 1, 55, 1, 9, 9],
            &[1, 0, 1, 55, 1, 3, 9],
        ] {
            assert!(matches!(
                RadiusAttribute::from_wire(AttributeType::VENDOR_SPECIFIC, v),
                RadiusAttribute::Standard { .. }
            ));
        }
        let mut b = [0u8; 16];
        let a = RadiusAttribute::Vendor {
            vendor_id: 1 << 24,
            vendor_type: 1,
            value: &[],
        };
        assert_eq!(a.emit(&mut b), Err(Error::BadValue));
    }

    #[test]
    fn fuzz_smoke() {
        fuzz(&[]);
        fuzz(&[1, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let mut p = [0u8; 38];
        p[..4].copy_from_slice(&[4, 7, 0, 38]);
        p[20] = 80;
        p[21] = 18;
        fuzz(&p);
    }
}
