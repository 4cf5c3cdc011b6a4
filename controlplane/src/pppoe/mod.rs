//! PPPoE on the control core (RFC 2516): the discovery stage, server and client roles.

pub mod discovery;
