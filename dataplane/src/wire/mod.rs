//! Packet formats. Pure views over bytes: no DPDK, no allocation.
