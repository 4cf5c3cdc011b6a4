//! PPP on the control core: the RFC 1661 option-negotiation automaton and the protocols on it.

pub mod fsm;
pub mod pap;
pub mod chap;
pub mod mschapv2;
pub mod lcp;
pub mod ipcp;
pub mod link;

/// The bytes of a control packet an automaton sent (Code, Identifier, Length, data: RFC
/// 1661 §5), for the caller to put behind its PPP protocol field.
pub fn control_bytes(p: &fsm::Packet) -> Vec<u8> {
    let mut b = vec![0u8; dataplane::wire::ppp::CONTROL_HEADER_LEN + p.data.len()];
    match dataplane::wire::ppp::emit_control(&mut b, p.code, p.identifier, &p.data) {
        Ok(n) => b.truncate(n),
        // Longer than a Length field holds: nothing an automaton builds, but never a
        // malformed packet on the wire.
        Err(_) => b.clear(),
    }
    b
}
