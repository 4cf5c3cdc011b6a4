//! `[dataplane]`: table sizes, ARP timers, punt ring and rate limits of the workers.

use super::error::{ConfigError, Ctx};
use super::raw::RawDataplane;
use super::DataplaneConfig;

pub(super) fn check_dataplane(cx: &Ctx, d: &RawDataplane) -> Result<DataplaneConfig, ConfigError> {
    let arp_timeout_s: u32 = cx.int(&d.arp_timeout_s, "dataplane.arp_timeout_s", 300, 5..=86400)?;
    let arp_retry_ms: u32 = cx.int(&d.arp_retry_ms, "dataplane.arp_retry_ms", 1000, 10..=60000)?;
    if u64::from(arp_retry_ms) >= u64::from(arp_timeout_s) * 1000 {
        let (span, key) = match (&d.arp_retry_ms, &d.arp_timeout_s) {
            (Some(r), _) => (r.span(), "dataplane.arp_retry_ms"),
            (None, Some(t)) => (t.span(), "dataplane.arp_timeout_s"),
            (None, None) => unreachable!("the defaults fit"),
        };
        return Err(cx.at(
            span,
            key,
            format!(
                "arp_retry_ms = {arp_retry_ms} is not shorter than arp_timeout_s = {arp_timeout_s} s: \
                 a neighbour would expire before its first retry"
            ),
        ));
    }
    Ok(DataplaneConfig {
        fib_max_tbl8_groups: cx.int(
            &d.fib_max_tbl8_groups,
            "dataplane.fib_max_tbl8_groups",
            // A million-route table with a realistic length mix splits ~110k /24s
            // (dataplane fib tests); this is the data plane's own default.
            ::dataplane::fib::FibConfig::DEFAULT_MAX_TBL8_GROUPS,
            1..=1 << 24,
        )?,
        neighbours_max: cx.int(&d.neighbours_max, "dataplane.neighbours_max", 65536, 16..=1 << 24)?,
        arp_timeout_s,
        arp_retry_ms,
        punt_ring: cx.power_of_two(&d.punt_ring, "dataplane.punt_ring", 4096u32, 64..=1 << 20)?,
        idle_sleep_us: cx.int(&d.idle_sleep_us, "dataplane.idle_sleep_us", 0, 0..=10000)?,
        icmp_rate: cx.int(&d.icmp_rate, "dataplane.icmp_rate", 1000, 1..=1_000_000)?,
        max_sessions: cx.int(
            &d.max_sessions,
            "dataplane.max_sessions",
            65536,
            1..=::dataplane::session::MAX_SESSIONS as i64,
        )?,
        pppoe_discovery_rate: cx.int(&d.pppoe_discovery_rate, "dataplane.pppoe_discovery_rate", 2000, 1..=1_000_000)?,
        ppp_control_rate: cx.int(&d.ppp_control_rate, "dataplane.ppp_control_rate", 20_000, 1..=10_000_000)?,
    })
}
