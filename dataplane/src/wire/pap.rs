//! The Password Authentication Protocol (RFC 1334 §2.2), PPP protocol 0xc023.
//!
//! A PAP packet is a [`ControlPacket`]. Authenticate-Request:
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Code      |  Identifier   |            Length             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Peer-ID Length|  Peer-Id ...
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Passwd-Length |  Password ...
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Authenticate-Ack and Authenticate-Nak:
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Code      |  Identifier   |            Length             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Msg-Length   |  Message  ...
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-
//! ```
//!
//! Peer-Id, Password and Message are byte strings (no character set is defined).
//! Bytes after the last field, inside Length, are [`Error::TrailingData`]. An Ack/Nak
//! whose data is empty (no Msg-Length byte; some peers send that) reads as an empty
//! message, as pppd's does; `emit` always writes the Msg-Length byte.
//!
//! Not supported: nothing beyond RFC 1334 §2.2.

use super::ppp::{emit_control_header, ControlPacket, CONTROL_HEADER_LEN};
use super::{Error, Result};

/// A PAP code (RFC 1334 §2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PapCode(pub u8);

impl PapCode {
    pub const AUTHENTICATE_REQUEST: PapCode = PapCode(1);
    pub const AUTHENTICATE_ACK: PapCode = PapCode(2);
    pub const AUTHENTICATE_NAK: PapCode = PapCode(3);
}

/// A PAP packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PapRepr<'a> {
    AuthenticateRequest {
        identifier: u8,
        peer_id: &'a [u8],
        password: &'a [u8],
    },
    AuthenticateAck {
        identifier: u8,
        message: &'a [u8],
    },
    AuthenticateNak {
        identifier: u8,
        message: &'a [u8],
    },
}

/// A 1-byte length and the bytes it counts, from the front of `b`.
fn take_string(b: &[u8]) -> Result<(&[u8], &[u8])> {
    let Some((&n, rest)) = b.split_first() else {
        return Err(Error::Truncated);
    };
    if rest.len() < n as usize {
        return Err(Error::Truncated);
    }
    Ok(rest.split_at(n as usize))
}

impl<'a> PapRepr<'a> {
    /// [`Error::UnknownType`] for a code other than 1 to 3; [`Error::Truncated`] when a
    /// string is longer than the packet; [`Error::TrailingData`] for bytes after the
    /// last field.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(p: &ControlPacket<&'a T>) -> Result<PapRepr<'a>> {
        p.check_len()?;
        let identifier = p.identifier();
        let data = p.data_ref();
        let (repr, rest) = match PapCode(p.code()) {
            PapCode::AUTHENTICATE_REQUEST => {
                let (peer_id, rest) = take_string(data)?;
                let (password, rest) = take_string(rest)?;
                (
                    PapRepr::AuthenticateRequest {
                        identifier,
                        peer_id,
                        password,
                    },
                    rest,
                )
            }
            code @ (PapCode::AUTHENTICATE_ACK | PapCode::AUTHENTICATE_NAK) => {
                let (message, rest) = if data.is_empty() {
                    (data, data)
                } else {
                    take_string(data)?
                };
                if code == PapCode::AUTHENTICATE_ACK {
                    (
                        PapRepr::AuthenticateAck {
                            identifier,
                            message,
                        },
                        rest,
                    )
                } else {
                    (
                        PapRepr::AuthenticateNak {
                            identifier,
                            message,
                        },
                        rest,
                    )
                }
            }
            _ => return Err(Error::UnknownType),
        };
        if !rest.is_empty() {
            return Err(Error::TrailingData);
        }
        Ok(repr)
    }

    pub fn code(&self) -> PapCode {
        match self {
            PapRepr::AuthenticateRequest { .. } => PapCode::AUTHENTICATE_REQUEST,
            PapRepr::AuthenticateAck { .. } => PapCode::AUTHENTICATE_ACK,
            PapRepr::AuthenticateNak { .. } => PapCode::AUTHENTICATE_NAK,
        }
    }

    pub fn identifier(&self) -> u8 {
        match *self {
            PapRepr::AuthenticateRequest { identifier, .. }
            | PapRepr::AuthenticateAck { identifier, .. }
            | PapRepr::AuthenticateNak { identifier, .. } => identifier,
        }
    }

    pub fn buffer_len(&self) -> usize {
        CONTROL_HEADER_LEN
            + match self {
                PapRepr::AuthenticateRequest {
                    peer_id, password, ..
                } => 2 + peer_id.len() + password.len(),
                PapRepr::AuthenticateAck { message, .. }
                | PapRepr::AuthenticateNak { message, .. } => 1 + message.len(),
            }
    }

    /// Write the packet into `buf[..self.buffer_len()]`, returning its length.
    /// [`Error::BadLength`] for a string longer than 255 bytes.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let (first, second): (&[u8], Option<&[u8]>) = match *self {
            PapRepr::AuthenticateRequest {
                peer_id, password, ..
            } => (peer_id, Some(password)),
            PapRepr::AuthenticateAck { message, .. } | PapRepr::AuthenticateNak { message, .. } => {
                (message, None)
            }
        };
        if first.len() > 255 || second.is_some_and(|s| s.len() > 255) {
            return Err(Error::BadLength);
        }
        let len = emit_control_header(
            buf,
            self.code().0,
            self.identifier(),
            self.buffer_len() - CONTROL_HEADER_LEN,
        )?;
        let mut at = CONTROL_HEADER_LEN;
        for s in core::iter::once(first).chain(second) {
            buf[at] = s.len() as u8;
            buf[at + 1..at + 1 + s.len()].copy_from_slice(s);
            at += 1 + s.len();
        }
        Ok(len)
    }
}

/// Runs the PAP parser on `data` (a PAP packet, without the PPP header); whatever parses
/// is emitted and parsed again.
#[cfg(fuzzing)]
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    let Ok(p) = ControlPacket::new_checked(data) else {
        return;
    };
    if let Ok(r) = PapRepr::parse(&p) {
        let mut b = [0u8; 1024];
        let n = r.emit(&mut b).unwrap();
        assert_eq!(n, r.buffer_len());
        assert_eq!(
            PapRepr::parse(&ControlPacket::new_checked(&b[..n]).unwrap()),
            Ok(r)
        );
    }
}
