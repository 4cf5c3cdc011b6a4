//! Hidden AVPs (RFC 2661 §4.3): an AVP value with the H bit travels as the Hidden AVP
//! Subformat (original length, value, padding) XORed with an MD5 keystream of the
//! attribute type, the tunnel's shared secret and the most recent Random Vector AVP.
//! Nothing here allocates or draws randomness: the caller brings the Random Vector and
//! the padding.

use md5::{Digest, Md5};

use super::avp::AttributeType;
use crate::wire::{Error, Result};

/// The keystream of §4.3: block 1 is MD5(attribute type, secret, random vector), block
/// i+1 is MD5(secret, hidden block i).
struct HideStream<'s> {
    secret: &'s [u8],
    next: [u8; 16],
}

impl<'s> HideStream<'s> {
    fn new(attr_type: AttributeType, secret: &'s [u8], random_vector: &[u8]) -> Self {
        let mut h = Md5::new();
        h.update(attr_type.0.to_be_bytes());
        h.update(secret);
        h.update(random_vector);
        HideStream {
            secret,
            next: h.finalize().into(),
        }
    }
    /// The key for the next block; `hidden` is that block as it is on the wire (the
    /// chaining input for the one after).
    fn chain(&mut self, hidden: &[u8]) {
        let mut h = Md5::new();
        h.update(self.secret);
        h.update(hidden);
        self.next = h.finalize().into();
    }
}

/// Hide `data` (the Hidden AVP Subformat: original length, value, padding) in place.
pub fn hide(attr_type: AttributeType, secret: &[u8], random_vector: &[u8], data: &mut [u8]) {
    let mut ks = HideStream::new(attr_type, secret, random_vector);
    for block in data.chunks_mut(16) {
        for (b, k) in block.iter_mut().zip(ks.next) {
            *b ^= k;
        }
        if block.len() == 16 {
            ks.chain(block);
        }
    }
}

/// Reveal a hidden value into `out` (at least `hidden.len()` long) and return the
/// original value, which borrows `out`. [`Error::BadHidden`] when the value cannot hold
/// the 2-octet original length, or the length it reveals does not fit;
/// [`Error::BufferTooSmall`] when `out` is short.
pub fn unhide<'o>(
    attr_type: AttributeType,
    secret: &[u8],
    random_vector: &[u8],
    hidden: &[u8],
    out: &'o mut [u8],
) -> Result<&'o [u8]> {
    if hidden.len() < 2 {
        return Err(Error::BadHidden);
    }
    if out.len() < hidden.len() {
        return Err(Error::BufferTooSmall);
    }
    let out = &mut out[..hidden.len()];
    let mut ks = HideStream::new(attr_type, secret, random_vector);
    for (src, dst) in hidden.chunks(16).zip(out.chunks_mut(16)) {
        for ((d, s), k) in dst.iter_mut().zip(src).zip(ks.next) {
            *d = s ^ k;
        }
        if src.len() == 16 {
            ks.chain(src);
        }
    }
    let orig = u16::from_be_bytes([out[0], out[1]]) as usize;
    if orig > hidden.len() - 2 {
        return Err(Error::BadHidden);
    }
    Ok(&out[2..2 + orig])
}
