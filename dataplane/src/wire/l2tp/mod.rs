//! L2TPv2 (RFC 2661): the message header (§3.1), control message AVPs (§4.1, §4.4),
//! hidden AVPs (§4.3) and the control messages (§3.2, §6).
//!
//! | file | what | RFC 2661 |
//! |---|---|---|
//! | `header.rs` | the message header: [`L2tpPacket`] (the view), [`L2tpHeaderRepr`] (templates) | §3.1 |
//! | `avp.rs` | the AVP layout read by [`TlvIter`](super::tlv::TlvIter) ([`AvpFormat`]), the typed values ([`AvpRepr`], [`Avp`]) and their protocol numbers | §4.1, §4.4 |
//! | `hidden.rs` | hiding and revealing AVP values with the tunnel secret ([`hide`], [`unhide`]) | §4.3 |
//! | `control.rs` | whole control messages ([`L2tpControlRepr`]: parse / emit, with or without a secret) | §3.2, §5.8, §6 |
//!
//! [`L2tpPacket`] is the view the data path uses on every L2TP packet after UDP:
//! `new_checked`, `tunnel_id`, `session_id` and `payload` are cheap and inlined.
//! [`L2tpHeaderRepr`] builds header templates (data messages: the control plane makes
//! one per session, the worker patches Length and Ns/Nr with the setters).
//! [`L2tpControlRepr`] is a whole control message: header fields and a list of typed
//! [`Avp`]s, the Message Type AVP first (§4.4.1), none for a ZLB (§5.8).
//!
//! Hidden AVPs (§4.3) need the tunnel's shared secret. Parsing with
//! [`L2tpControlRepr::parse_with_secret`] decodes each hidden value into a caller's
//! scratch buffer, which the decoded values borrow (a scratch as long as the message
//! always suffices); nothing allocates. Emitting with
//! [`L2tpControlRepr::emit_with_secret`] hides the AVPs whose `hidden` flag is set,
//! with the most recent Random Vector AVP before them in the list (the caller puts it
//! there: no RNG in here) and the padding the caller passes.
//!
//! Not supported:
//! - L2TPv3 (RFC 3931): a version-3 header is [`Error::BadVersion`], like L2F (version 1).
//! - Reserved AVP flag bits are refused ([`Error::BadFlags`]) rather than treating the
//!   AVP as unrecognised as §4.1 says; no implementation we know sets them.
//! - Vendor-specific AVPs are kept raw ([`AvpRepr::Unknown`]), not decoded.
//! - Which AVPs each message must or may carry (§6) is the control plane's business;
//!   the Repr only enforces the Message Type rules of §4.4.1.
//! - Reserved octets inside Proxy Authen ID, Call Errors and ACCM values are ignored on
//!   parse and written as zero, as are the header's reserved (x) bits (§3.1).
//! - Repeated AVPs (other than the Message Type) are kept in order, not refused.
//!
//! Every [`Avp`] carries its own M and H bits, known or not, so a peer's bits survive
//! parse and emit; an unknown AVP is [`AvpRepr::Unknown`] with its vendor id, type and
//! raw (revealed, if hidden) value. [`L2tpControlRepr::parse`] refuses an unknown AVP
//! with M=1 ([`Error::UnknownMandatory`]); [`L2tpControlRepr::parse_permissive`] keeps
//! it and [`L2tpControlRepr::unknown_mandatory`] names it, for the StopCCN / CDN that
//! §4.1 asks for.
//!
//! [`Error::BadVersion`]: super::Error::BadVersion
//! [`Error::BadFlags`]: super::Error::BadFlags
//! [`Error::UnknownMandatory`]: super::Error::UnknownMandatory

mod avp;
mod control;
mod header;
mod hidden;

pub use self::avp::{
    AttributeType, Avp, AvpFormat, AvpHeader, AvpRepr, Bearer, ErrorCode, Framing, MessageType,
    ProxyAuthenType, ResultCode, AVP_HEADER_LEN, MAX_AVP_LEN,
};
pub use self::control::{Avps, L2tpControlRepr, MAX_AVPS};
pub use self::header::{
    flags, L2tpHeaderRepr, L2tpPacket, Sequence, CONTROL_HEADER_LEN, MIN_HEADER_LEN, VERSION,
};
pub use self::hidden::{hide, unhide};

/// Fuzz entry (`fuzz/`): the view and every accessor, the AVP iterator, the header
/// Repr, and the control Repr with and without a secret (and permissive), each emitted
/// and parsed again to the same value.
#[cfg(fuzzing)]
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    const SECRET: &[u8] = b"fuzz-secret";
    let Ok(p) = L2tpPacket::new_checked(data) else {
        return;
    };
    let _ = (
        p.flags_version(),
        p.version(),
        p.is_control(),
        p.has_length(),
        p.has_sequence(),
        p.has_offset(),
        p.priority(),
        p.length(),
        p.tunnel_id(),
        p.session_id(),
        p.ns(),
        p.nr(),
        p.offset_size(),
        p.header_len(),
        p.payload().len(),
    );
    for a in p.avps() {
        if a.is_err() {
            break;
        }
    }
    let mut out = [0u8; 4096];
    if let Ok(h) = L2tpHeaderRepr::parse(&p) {
        let plen = p.payload().len();
        if h.header_len() + plen <= out.len() {
            let n = h.emit(&mut out, plen).expect("emit a header that parsed");
            assert_eq!(n, p.header_len());
            // Reserved flag bits are ignored on receipt and the offset pad's content is
            // undefined (§3.1); we write zeros in both.
            let fixed = n - h.offset_size.unwrap_or(0) as usize;
            assert_eq!(out[2..fixed], data[2..fixed]);
            let known = flags::T | flags::L | flags::S | flags::O | flags::P | flags::VERSION_MASK;
            assert_eq!(p.flags_version() & known, h.flags_version());
            let q = L2tpPacket::new_checked(&out[..n + plen]).expect("view the header we emitted");
            assert_eq!(L2tpHeaderRepr::parse(&q), Ok(h));
        }
    }
    let mut scratch = [0u8; 4096];
    let mut scratch2 = [0u8; 4096];
    let cases: [(Option<&[u8]>, bool); 3] =
        [(None, false), (Some(SECRET), false), (Some(SECRET), true)];
    for (secret, permissive) in cases {
        let r = match (secret, permissive) {
            (None, _) => L2tpControlRepr::parse(&p),
            (Some(s), false) => L2tpControlRepr::parse_with_secret(&p, s, &mut scratch),
            (Some(s), true) => L2tpControlRepr::parse_permissive(&p, Some(s), &mut scratch),
        };
        let Ok(r) = r else { continue };
        let _ = (r.message_type(), r.unknown_mandatory(), r.is_zlb());
        let len = r.buffer_len();
        if len > out.len() {
            continue;
        }
        let n = r
            .emit_with_secret(&mut out, SECRET, &[])
            .expect("emit a message that parsed");
        assert_eq!(n, len);
        let q = L2tpPacket::new_checked(&out[..n]).expect("view what we emitted");
        let r2 = L2tpControlRepr::parse_permissive(&q, Some(SECRET), &mut scratch2)
            .expect("parse what we emitted");
        assert_eq!(r, r2);
    }
}
