//! The AC-Cookie (RFC 2516 §5.2, §5.3, Appendix A), which lets the access concentrator
//! keep no state for a PADI: the PADO carries `W ‖ HMAC-MD5(secret, label ‖ W ‖ port ‖
//! outer VID ‖ inner VID ‖ MAC)`, 20 bytes, where W is the 32-bit number of the cookie
//! window, and a PADR must bring it back from the same subscriber (port, VLANs, MAC).
//! The server decides which windows are still good; here a cookie is only made and
//! checked against its subscriber.
//!
//! HMAC (RFC 2104) is the `hmac` crate over `md-5`, keyed once per server; the tag is
//! compared in constant time (`subtle`), so a forger learns nothing from how long a
//! wrong guess takes. HMAC-MD5 stays (no need for a longer tag): a cookie lives at most
//! two windows and guards no secret, and 128 bits leave nothing to guess in that time;
//! the format is unchanged, so cookies handed out before an upgrade still verify.

use hmac::{Hmac, Mac as _};
use md5::Md5;
use subtle::ConstantTimeEq;

use super::{DropReason, Subscriber};

const COOKIE_LABEL: &[u8] = b"dpvpn PPPoE AC-Cookie v1";
/// Window number (4) and HMAC-MD5 (16).
pub const COOKIE_LEN: usize = 20;

/// The cookie key: HMAC-MD5 keyed with the AC's secret, whose pads are absorbed once
/// here, so that a cookie costs a clone of two MD5 states and no key schedule.
#[derive(Clone)]
pub(super) struct CookieKey {
    key: Hmac<Md5>,
}

impl CookieKey {
    pub(super) fn new(secret: &[u8]) -> CookieKey {
        // HMAC takes a key of any length (RFC 2104 §2: a longer one is hashed first).
        let key = <Hmac<Md5> as hmac::Mac>::new_from_slice(secret).expect("HMAC takes a key of any length");
        CookieKey { key }
    }

    /// HMAC-MD5 of `msg` under the secret (the server also derives its limiter key so).
    pub(super) fn hmac(&self, msg: &[u8]) -> [u8; 16] {
        let mut m = self.key.clone();
        m.update(msg);
        m.finalize().into_bytes().into()
    }

    fn tag(&self, window: u32, sub: &Subscriber) -> [u8; 16] {
        let mut m = [0u8; COOKIE_LABEL.len() + 4 + 2 + 3 + 3 + 6];
        let (label, rest) = m.split_at_mut(COOKIE_LABEL.len());
        label.copy_from_slice(COOKIE_LABEL);
        rest[0..4].copy_from_slice(&window.to_be_bytes());
        rest[4..6].copy_from_slice(&sub.port.to_be_bytes());
        // Presence byte, so "no tag" and "VID 0" differ.
        for (at, v) in [(6, sub.outer_vlan), (9, sub.inner_vlan)] {
            if let Some(v) = v {
                rest[at] = 1;
                rest[at + 1..at + 3].copy_from_slice(&v.to_be_bytes());
            }
        }
        rest[12..18].copy_from_slice(&sub.mac);
        self.hmac(&m)
    }

    /// The cookie for `sub` in cookie window `window`: W, then the tag.
    pub(super) fn issue(&self, window: u32, sub: &Subscriber) -> [u8; COOKIE_LEN] {
        let mut c = [0u8; COOKIE_LEN];
        c[..4].copy_from_slice(&window.to_be_bytes());
        c[4..].copy_from_slice(&self.tag(window, sub));
        c
    }

    /// The window a cookie of ours for `sub` was issued in; [`DropReason::CookieForged`]
    /// for anything else (another length, another subscriber, a made-up tag).
    pub(super) fn verify(&self, sub: &Subscriber, cookie: &[u8]) -> Result<u32, DropReason> {
        let (Some(w), Some(tag), COOKIE_LEN) = (cookie.get(..4), cookie.get(4..), cookie.len()) else {
            return Err(DropReason::CookieForged);
        };
        let w = u32::from_be_bytes([w[0], w[1], w[2], w[3]]);
        if !bool::from(self.tag(w, sub)[..].ct_eq(tag)) {
            return Err(DropReason::CookieForged);
        }
        Ok(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Our HMAC-MD5 against RFC 2202 test case 2 (key "Jefe").
    #[test]
    fn hmac_md5_matches_rfc2202() {
        let k = CookieKey::new(b"Jefe");
        let mac = k.hmac(b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "750c783e6ab0b503eaa86e310a5db738");
        // Test case 6: an 80-byte key is hashed first.
        let k = CookieKey::new(&[0xaa; 80]);
        let mac = k.hmac(b"Test Using Larger Than Block-Size Key - Hash Key First");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd");
    }
}
