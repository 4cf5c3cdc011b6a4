//! Martian address filtering (RFC 1812 §5.3.7, RFC 6890): the addresses a router must not
//! forward from or to. Not a stage: `ip4_input` drops martians, and `icmp_error` sends no
//! error to a martian source (RFC 1812 §4.3.2.7). Both use these, so they live apart from
//! either, and the dependency between the two stages points one way (ip4_input hands
//! packets to icmp_error).

/// Sources that must never be forwarded (RFC 1812 §5.3.7, RFC 6890): 0/8, 127/8,
/// 224/4 (multicast as a source), 240/4 and the limited broadcast.
#[inline]
pub fn martian_source(a: u32) -> bool {
    let top = a >> 24;
    top == 0 || top == 127 || top >= 224
}

/// Destinations dpvpn does not forward: 0/8, 127/8, 240/4, limited broadcast, and
/// multicast (no multicast routing).
#[inline]
pub fn martian_destination(a: u32) -> bool {
    let top = a >> 24;
    top == 0 || top == 127 || top >= 224
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn martians() {
        assert!(martian_source(0x0000_0001));
        assert!(martian_source(0x7f00_0001));
        assert!(martian_source(0xe000_0001));
        assert!(martian_source(0xffff_ffff));
        assert!(!martian_source(0xc000_0202));
        assert!(martian_destination(0xffff_ffff));
        assert!(!martian_destination(0xc633_6402));
    }
}
