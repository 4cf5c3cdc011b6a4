//! RADIUS authenticators: the Response Authenticator (RFC 2865 §3), the Request
//! Authenticator of Accounting-Request, Disconnect-Request and CoA-Request (RFC 2866 §3,
//! RFC 5176 §2.3) and Message-Authenticator (RFC 3579 §3.2, RFC 5176 §3.4), computed,
//! verified (in constant time) and filled in on a [`RadiusPacket`]; [`RadiusPacket::sign`]
//! and [`RadiusPacket::verify`] apply the right ones for a packet's code
//! ([`AuthenticatorKind`]).

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};

use super::dictionary::AttributeType;
use super::packet::{field, AuthenticatorKind, RadiusCode, RadiusPacket, HEADER_LEN};
use crate::wire::tlv::{TlvIter, TypeLen8};
use crate::wire::{Error, Result};

impl<T: AsRef<[u8]>> RadiusPacket<T> {
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
