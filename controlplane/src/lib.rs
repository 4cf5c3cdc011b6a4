//! dpvpn control plane: configuration, the control-core driver, management.
#![forbid(unsafe_code)]

pub mod config;
pub mod lcores;
pub mod mgmt;
pub mod arp;
pub mod driver;
pub mod kernel;
pub mod routes;
pub mod subscribers;
pub mod ppp;
pub mod aaa;
pub mod access;
pub mod pool;
pub mod random;
pub mod testnet;
pub mod pppoe;
pub mod profiles;
