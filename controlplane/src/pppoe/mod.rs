//! PPPoE on the control core (RFC 2516): the discovery stage (server and client roles) and
//! the access concentrator's session manager, which runs PPP on each session.

pub mod bras;
pub mod subscriber;
pub mod discovery;
pub mod template;
