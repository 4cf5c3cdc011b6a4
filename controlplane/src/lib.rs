//! dpvpn control plane: configuration, the control-core driver, management.
#![forbid(unsafe_code)]

pub mod config;
pub mod lcores;
pub mod mgmt;
pub mod arp;
pub mod driver;
pub mod kernel;
pub mod routes;
pub mod ppp;
pub mod aaa;
pub mod pool;
pub mod pppoe;
