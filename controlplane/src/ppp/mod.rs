//! PPP on the control core: the RFC 1661 option-negotiation automaton and the protocols on it.

pub mod fsm;
pub mod pap;
pub mod chap;
pub mod lcp;
pub mod ipcp;
