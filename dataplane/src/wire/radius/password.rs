//! Hidden attribute values: User-Password (RFC 2865 §5.2, also MS-CHAP-MPPE-Keys, RFC
//! 2548 §2.4.1) and MS-MPPE-Send-Key / MS-MPPE-Recv-Key with their Salt (RFC 2548
//! §2.4.2, §2.4.3). MD5 keystreams of the shared secret and the Request Authenticator;
//! nothing allocates and nothing here draws randomness (the caller picks the Salt).

use md5::{Digest, Md5};

use super::attribute::MAX_VENDOR_VALUE_LEN;
use crate::wire::{Error, Result};

/// The longest User-Password (RFC 2865 §5.2).
pub const MAX_PASSWORD_LEN: usize = 128;

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
