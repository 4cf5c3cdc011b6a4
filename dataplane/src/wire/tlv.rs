//! The one reader for type-length-value lists: PPPoE tags (RFC 2516 §A), LCP / IPCP /
//! IPv6CP options (RFC 1661 §6), L2TP AVPs (RFC 2661 §4.1), RADIUS attributes
//! (RFC 2865 §5) and vendor-specific sub-attributes.
//!
//! A format says how to read one header ([`TlvFormat::parse_header`]); the reader does
//! the bounds checks in one place: the header must fit, the value must fit, a length
//! below the header is an error, and after an error the iterator stops (so a list that
//! never ends, or a zero-length option, cannot loop). Nothing allocates.

use super::{Error, Result};

/// How one TLV header of a given protocol is laid out.
pub trait TlvFormat {
    /// What identifies an item: a type code, or (vendor, type) and flags for AVPs.
    type Kind: Copy + core::fmt::Debug + PartialEq;
    /// Bytes of header before the value.
    const HEADER_LEN: usize;
    /// Read the kind and the *value* length from the first `HEADER_LEN` bytes.
    /// Return `Error::BadLength` when a length field is below the header it includes.
    fn parse_header(header: &[u8]) -> Result<(Self::Kind, usize)>;
    /// An item that ends the list (PPPoE End-Of-List); nothing after it is read.
    fn is_end(_kind: Self::Kind) -> bool {
        false
    }
}

/// One item: its kind, its value, and the whole item as it stood in the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tlv<'a, K> {
    pub kind: K,
    pub value: &'a [u8],
    pub raw: &'a [u8],
}

/// Iterates over a TLV list; yields `Err` at most once, then stops.
#[derive(Clone, Debug)]
pub struct TlvIter<'a, F: TlvFormat> {
    rest: &'a [u8],
    done: bool,
    _f: core::marker::PhantomData<F>,
}

impl<'a, F: TlvFormat> TlvIter<'a, F> {
    pub fn new(list: &'a [u8]) -> Self {
        TlvIter { rest: list, done: false, _f: core::marker::PhantomData }
    }

    /// Check the whole list without keeping anything: `Ok` when every item is well formed.
    pub fn validate(list: &'a [u8]) -> Result<()> {
        for t in Self::new(list) {
            t?;
        }
        Ok(())
    }

    /// What is left after iteration stopped (trailing data after an end marker).
    pub fn remainder(&self) -> &'a [u8] {
        self.rest
    }
}

impl<'a, F: TlvFormat> Iterator for TlvIter<'a, F> {
    type Item = Result<Tlv<'a, F::Kind>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.rest.is_empty() {
            return None;
        }
        let fail = |s: &mut Self, e: Error| {
            s.done = true;
            Some(Err(e))
        };
        if self.rest.len() < F::HEADER_LEN {
            return fail(self, Error::Truncated);
        }
        let (kind, value_len) = match F::parse_header(&self.rest[..F::HEADER_LEN]) {
            Ok(x) => x,
            Err(e) => return fail(self, e),
        };
        let total = match F::HEADER_LEN.checked_add(value_len) {
            Some(t) if t <= self.rest.len() => t,
            _ => return fail(self, Error::Truncated),
        };
        let raw = &self.rest[..total];
        self.rest = &self.rest[total..];
        if F::is_end(kind) {
            self.done = true;
        }
        Some(Ok(Tlv { kind, value: &raw[F::HEADER_LEN..], raw }))
    }
}

/// The common case: a 1-byte type and a 1-byte length that counts the header too
/// (LCP/IPCP/IPv6CP options, RADIUS attributes, vendor sub-attributes).
#[derive(Clone, Copy, Debug)]
pub struct TypeLen8;

impl TlvFormat for TypeLen8 {
    type Kind = u8;
    const HEADER_LEN: usize = 2;
    #[inline]
    fn parse_header(h: &[u8]) -> Result<(u8, usize)> {
        let len = h[1] as usize;
        if len < 2 {
            return Err(Error::BadLength);
        }
        Ok((h[0], len - 2))
    }
}

/// Write a [`TypeLen8`] item; returns the bytes written.
pub fn emit_type_len8(buf: &mut [u8], kind: u8, value: &[u8]) -> Result<usize> {
    let total = 2 + value.len();
    if total > 255 {
        return Err(Error::BadLength);
    }
    if buf.len() < total {
        return Err(Error::BufferTooSmall);
    }
    buf[0] = kind;
    buf[1] = total as u8;
    buf[2..total].copy_from_slice(value);
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A 2-byte type, 2-byte value length, and an end marker of type 0 (PPPoE-like).
    struct T16;
    impl TlvFormat for T16 {
        type Kind = u16;
        const HEADER_LEN: usize = 4;
        fn parse_header(h: &[u8]) -> Result<(u16, usize)> {
            Ok((u16::from_be_bytes([h[0], h[1]]), u16::from_be_bytes([h[2], h[3]]) as usize))
        }
        fn is_end(k: u16) -> bool {
            k == 0
        }
    }

    #[test]
    fn reads_items_and_stops_at_the_end_marker() {
        let list = [0x01, 0x01, 0, 2, b'a', b'b', 0x01, 0x03, 0, 0, 0, 0, 0, 0, 0xff, 0xff];
        let items: Vec<_> = TlvIter::<T16>::new(&list).collect::<Result<_>>().unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!((items[0].kind, items[0].value), (0x0101, &b"ab"[..]));
        assert_eq!((items[1].kind, items[1].value.len()), (0x0103, 0));
        assert_eq!(items[2].kind, 0);
        let mut it = TlvIter::<T16>::new(&list);
        for _ in it.by_ref() {}
        assert_eq!(it.remainder(), &[0xff, 0xff]);
    }

    #[test]
    fn truncation_and_bad_lengths_stop_the_iterator() {
        // Value longer than the buffer.
        let mut it = TlvIter::<T16>::new(&[0x01, 0x01, 0, 9, 1]);
        assert_eq!(it.next(), Some(Err(Error::Truncated)));
        assert_eq!(it.next(), None);
        // Half a header.
        assert_eq!(TlvIter::<T16>::validate(&[0x01, 0x01, 0]), Err(Error::Truncated));
        // LCP option with length 0 or 1: below its own header.
        assert_eq!(TlvIter::<TypeLen8>::validate(&[1, 4, 5, 220, 3, 0]), Err(Error::BadLength));
        assert_eq!(TlvIter::<TypeLen8>::validate(&[3, 1]), Err(Error::BadLength));
        assert_eq!(TlvIter::<TypeLen8>::validate(&[1, 4, 5, 220, 5, 6, 0, 0, 0, 1]), Ok(()));
        assert_eq!(TlvIter::<TypeLen8>::validate(&[]), Ok(()));
    }

    #[test]
    fn emit_then_read() {
        let mut b = [0u8; 16];
        let n = emit_type_len8(&mut b, 5, &[1, 2, 3, 4]).unwrap();
        let n2 = emit_type_len8(&mut b[n..], 7, &[]).unwrap();
        let items: Vec<_> = TlvIter::<TypeLen8>::new(&b[..n + n2]).collect::<Result<_>>().unwrap();
        assert_eq!(items[0].value, &[1, 2, 3, 4]);
        assert_eq!((items[1].kind, items[1].raw), (7, &[7u8, 2][..]));
        assert_eq!(emit_type_len8(&mut b, 1, &[0; 254]), Err(Error::BadLength));
        assert_eq!(emit_type_len8(&mut b[..3], 1, &[0; 4]), Err(Error::BufferTooSmall));
    }

    proptest! {
        #[test]
        fn never_panics_and_terminates(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            let n = TlvIter::<TypeLen8>::new(&data).count();
            prop_assert!(n <= data.len());
            let m = TlvIter::<T16>::new(&data).count();
            prop_assert!(m <= data.len());
        }
    }
}
