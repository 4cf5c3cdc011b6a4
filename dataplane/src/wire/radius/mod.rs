//! RADIUS: authentication and authorization (RFC 2865), accounting (RFC 2866), dynamic
//! authorization: Disconnect and CoA (RFC 5176), the RFC 2869 extension attributes,
//! Microsoft vendor attributes (RFC 2548) and Message-Authenticator (RFC 3579 §3.2).
//!
//! | file | what |
//! |---|---|
//! | `packet.rs` | the header: [`RadiusPacket`] (the view), [`RadiusRepr`] (parse / emit), codes, ports |
//! | `authenticator.rs` | Request and Response Authenticators, Message-Authenticator: compute, verify, [`RadiusPacket::sign`] |
//! | `attribute.rs` | [`RadiusAttribute`] and the attribute list, Vendor-Specific ([`VendorSpecific`]), the CHAP and MS-CHAP-V2 value layouts |
//! | `dictionary.rs` | the numbers: attribute types (standard and Microsoft), Service-Type, NAS-Port-Type, Acct-* and Error-Cause values |
//! | `password.rs` | User-Password hiding (RFC 2865 §5.2), MS-MPPE-Send/Recv-Key salt encryption (RFC 2548 §2.4.2) |
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
//!
//! [`TlvIter`]: super::tlv::TlvIter
//! [`TypeLen8`]: super::tlv::TypeLen8

mod attribute;
mod authenticator;
mod dictionary;
mod packet;
mod password;

pub use self::attribute::{
    parse_chap_challenge, Attributes, ChapPassword, MsChap2Response, RadiusAttribute,
    VendorSpecific, MAX_VALUE_LEN, MAX_VENDOR_VALUE_LEN,
};
pub use self::dictionary::{
    AcctStatusType, AcctTerminateCause, AttributeType, ErrorCause, FramedProtocol, MsAttributeType,
    NasPortType, ServiceType, VENDOR_MICROSOFT,
};
pub use self::packet::{
    AuthenticatorKind, RadiusCode, RadiusPacket, RadiusRepr, AUTHENTICATOR_LEN, HEADER_LEN,
    MAX_ATTRIBUTES, MAX_PACKET_LEN, PORT_ACCT, PORT_AUTH, PORT_DYNAUTH,
};
pub use self::password::{
    decrypt_mppe_key, encrypt_mppe_key, hide_user_password, unhide_user_password, MAX_PASSWORD_LEN,
};

/// Run every parser of this module on `data`; a `Repr` that parses must emit and
/// parse back equal, and a packet we sign must verify. Never allocates.
#[cfg(fuzzing)]
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    use super::Error;

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

// The fuzz entry exists with `--cfg fuzzing` only (scripts/fuzz.sh runs these tests so).
#[cfg(all(test, fuzzing))]
mod tests {
    use super::*;

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
