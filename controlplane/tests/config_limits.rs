//! The configuration's limits are the data plane's table sizes.

use controlplane::config::{MAX_ADDRS_PER_PORT, MAX_PORTS};

#[test]
fn limits_match_the_data_plane_tables() {
    // One port-table slot is the exception tap's.
    assert_eq!(MAX_PORTS, dataplane::tables::MAX_PORTS - 1);
    assert_eq!(MAX_ADDRS_PER_PORT, dataplane::tables::MAX_ADDRS);
}
