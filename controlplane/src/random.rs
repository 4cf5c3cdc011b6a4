//! Randomness for the control plane's machines: magic numbers, identifiers, CHAP and
//! MS-CHAPv2 challenges, cookie keys.
//!
//! Nothing in a machine reads a global RNG (sans-IO): the driver reads 32 bytes from the OS
//! once and seeds a [`Random`]; the subscriber manager forks one per PPP link, so a link's
//! stream depends only on its seed and tests replay exactly. Blocks are MD5(seed ‖ counter):
//! a keyed PRF over a 256-bit secret, which is what challenge values need (RFC 1994 §2.3:
//! "unique and unpredictable"); nothing here needs more than that.

use md5::{Digest, Md5};

/// 128 bits of key are plenty for a PRF over MD5, and a link carries one of these for its
/// whole life: kept small.
#[derive(Clone)]
pub struct Random {
    seed: [u8; 16],
    counter: u64,
}

impl std::fmt::Debug for Random {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Random { .. }")
    }
}

impl Random {
    /// A stream keyed by `seed` (32 bytes from the OS; folded to the 16 the PRF keeps).
    pub fn new(seed: [u8; 32]) -> Random {
        let mut h = Md5::new();
        h.update(seed);
        Random { seed: h.finalize().into(), counter: 0 }
    }

    /// A stream seeded from a small number (tests, emulated subscribers): not secret.
    pub fn from_u64(seed: u64) -> Random {
        let mut s = [0u8; 32];
        s[..8].copy_from_slice(&seed.to_le_bytes());
        Random::new(s)
    }

    pub fn block(&mut self) -> [u8; 16] {
        self.counter += 1;
        let mut h = Md5::new();
        h.update(self.seed);
        h.update(self.counter.to_le_bytes());
        h.finalize().into()
    }

    pub fn u64(&mut self) -> u64 {
        let b = self.block();
        u64::from_le_bytes(b[..8].try_into().expect("8 bytes"))
    }

    pub fn u8(&mut self) -> u8 {
        self.block()[0]
    }

    /// A new, independent stream (its seed is two blocks of this one).
    pub fn fork(&mut self) -> Random {
        Random { seed: self.block(), counter: 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_differ_and_replay() {
        let mut a = Random::from_u64(1);
        let mut b = Random::from_u64(1);
        assert_eq!(a.block(), b.block());
        let mut c = a.fork();
        let mut d = b.fork();
        assert_eq!(c.block(), d.block());
        assert_ne!(a.block(), c.block());
        assert_ne!(Random::from_u64(2).block(), Random::from_u64(3).block());
    }
}
