//! RADIUS numbers: attribute types (RFC 2865 §5, RFC 2866 §5, RFC 2869 §5, RFC 5176
//! §3), the Microsoft vendor's (RFC 2548 §2), and the values of the enumerated attributes
//! (Service-Type, Framed-Protocol, NAS-Port-Type, Acct-Status-Type,
//! Acct-Terminate-Cause, Error-Cause). Newtypes with named constants, so any value from
//! the wire is representable.

/// Microsoft's SMI Network Management Private Enterprise Code (RFC 2548 §2).
pub const VENDOR_MICROSOFT: u32 = 311;

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
