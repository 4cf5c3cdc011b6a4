//! `[dpdk]`: the EAL's environment and packet buffers, and the EAL's argv.

use super::error::{ConfigError, Ctx};
use super::ports::pci_address;
use super::raw::RawDpdk;
use super::{Config, DpdkConfig, PortConfig};

/// A pool element: `rte_mbuf` (128) + headroom and data room (2176, the driver's
/// `MBUF_DATA_ROOM`) + mempool header and padding, rounded up.
const MBUF_BYTES: u64 = 2560;

/// EAL options that dpvpn sets itself from the configuration and `--lcores`.
const EAL_OWN_OPTIONS: &[(&str, &str)] = &[
    ("-l", "use dpvpn --lcores"),
    ("-c", "use dpvpn --lcores"),
    ("--lcores", "use dpvpn --lcores"),
    ("--main-lcore", "the first lcore of --lcores is the main (control) lcore"),
    ("--master-lcore", "the first lcore of --lcores is the main (control) lcore"),
    ("--file-prefix", "use dpdk.file_prefix"),
    ("-m", "use dpdk.memory_mb"),
    ("--socket-mem", "use dpdk.memory_mb (the EAL refuses -m with --socket-mem)"),
    ("--no-huge", "use dpdk.no_huge"),
    ("--no-pci", "dpvpn adds it when no port is a PCI device"),
];

pub(super) fn check_dpdk(cx: &Ctx, d: &RawDpdk) -> Result<DpdkConfig, ConfigError> {
    let file_prefix = match &d.file_prefix {
        Some(s) => {
            let v = s.get_ref();
            if v.is_empty() || v.len() > 64 || !v.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-') {
                return Err(cx.at(
                    s.span(),
                    "dpdk.file_prefix",
                    format!("{v:?} is not a file prefix: use 1 to 64 letters, digits, `_` and `-`"),
                ));
            }
            v.clone()
        }
        None => "dpvpn".into(),
    };
    for (i, a) in d.eal_args.iter().enumerate() {
        let arg = a.get_ref().as_str();
        let own = EAL_OWN_OPTIONS.iter().find(|(opt, _)| {
            arg == *opt
                || arg.strip_prefix(opt).is_some_and(|rest| {
                    if opt.starts_with("--") {
                        rest.starts_with('=')
                    } else {
                        !rest.is_empty() && !rest.starts_with('-')
                    }
                })
        });
        if let Some((opt, instead)) = own {
            return Err(cx.at(
                a.span(),
                format!("dpdk.eal_args[{i}]"),
                format!("dpvpn sets the EAL option {opt} itself: {instead}"),
            ));
        }
    }
    let memory_mb: u32 = cx.int(&d.memory_mb, "dpdk.memory_mb", 1024, 64..=1 << 20)?;
    let mbufs: u32 = cx.int(&d.mbufs, "dpdk.mbufs", 32767, 1024..=1 << 26)?;
    let pool_mb = (u64::from(mbufs) * MBUF_BYTES).div_ceil(1 << 20);
    if pool_mb > u64::from(memory_mb) {
        let (span, key) = match (&d.mbufs, &d.memory_mb) {
            (Some(m), _) => (m.span(), "dpdk.mbufs"),
            (None, Some(m)) => (m.span(), "dpdk.memory_mb"),
            (None, None) => unreachable!("the defaults fit"),
        };
        return Err(cx.at(
            span,
            key,
            format!(
                "{mbufs} mbufs take about {pool_mb} MiB, more than dpdk.memory_mb = {memory_mb}: \
                 raise memory_mb or lower mbufs"
            ),
        ));
    }
    Ok(DpdkConfig {
        no_huge: d.no_huge.as_ref().is_some_and(|b| *b.get_ref()),
        memory_mb,
        file_prefix,
        eal_args: d.eal_args.iter().map(|a| a.get_ref().clone()).collect(),
        mbufs,
        // DPDK: RTE_MEMPOOL_CACHE_MAX_SIZE.
        mbuf_cache: cx.int(&d.mbuf_cache, "dpdk.mbuf_cache", 256, 0..=512)?,
        rx_desc: cx.power_of_two(&d.rx_desc, "dpdk.rx_desc", 1024u16, 64..=16384)?,
        tx_desc: cx.power_of_two(&d.tx_desc, "dpdk.tx_desc", 1024u16, 64..=16384)?,
        burst: cx.int(&d.burst, "dpdk.burst", 32, 1..=64)?,
    })
}

impl Config {
    /// The EAL's argv: program name, lcores (the control lcore is the main lcore), file
    /// prefix, memory, PCI devices of the ports (`-a`, or `--no-pci` when there are none),
    /// then `dpdk.eal_args`. Virtual devices are not here: the driver hot-plugs them.
    pub fn eal_args(&self, lcores: &crate::lcores::LcoreMap) -> Vec<String> {
        let mut a: Vec<String> = vec![
            "dpvpn".into(),
            "--lcores".into(),
            lcores.eal_arg.clone(),
            "--main-lcore".into(),
            lcores.control.to_string(),
            "--file-prefix".into(),
            self.dpdk.file_prefix.clone(),
        ];
        if self.dpdk.no_huge {
            a.push("--no-huge".into());
        }
        a.push("-m".into());
        a.push(self.dpdk.memory_mb.to_string());
        let pci: Vec<&PortConfig> = self.ports.iter().filter(|p| pci_address(&p.device).is_some()).collect();
        // Extra EAL arguments may name PCI devices of their own (crypto, ...).
        let extra_pci = self.dpdk.eal_args.iter().any(|x| {
            ["-a", "-b", "--allow", "--block"].iter().any(|o| x == o || x.starts_with(&format!("{o}=")))
                || (x.starts_with("-a") || x.starts_with("-b")) && !x.starts_with("--")
        });
        if pci.is_empty() && !extra_pci {
            a.push("--no-pci".into());
        }
        for p in pci {
            a.push("-a".into());
            a.push(p.device.clone());
        }
        a.extend(self.dpdk.eal_args.iter().cloned());
        a
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::parse;
    use super::super::testing::{err, GOOD};

    #[test]
    fn eal_args_options_dpvpn_owns() {
        let e = err(&GOOD.replace("no_huge = true", "eal_args = [\"--log-level=8\", \"-l\", \"0-3\"]"));
        assert_eq!((e.line, e.column, e.key.as_str()), (2, 30, "dpdk.eal_args[1]"), "{e}");
        assert!(e.message.contains("dpvpn sets the EAL option -l itself"), "{e}");
        for own in ["-m512", "--file-prefix=x", "--socket-mem=512", "-c0x3"] {
            let e = err(&GOOD.replace("no_huge = true", &format!("eal_args = [{own:?}]")));
            assert_eq!(e.key, "dpdk.eal_args[0]", "{own}: {e}");
        }
        parse(
            &GOOD.replace("no_huge = true", "eal_args = [\"--log-level=pmd.net:debug\", \"--match-allocations\"]"),
            Path::new("t"),
        )
        .unwrap();
    }

    #[test]
    fn memory_must_hold_the_pool() {
        let e = err(&GOOD.replace("no_huge = true", "memory_mb = 64"));
        assert_eq!((e.line, e.key.as_str()), (2, "dpdk.memory_mb"), "{e}");
        assert!(e.message.contains("32767 mbufs take about 80 MiB, more than dpdk.memory_mb = 64"), "{e}");
        let e = err(&GOOD.replace("no_huge = true", "mbufs = 1000000"));
        assert_eq!(e.key, "dpdk.mbufs", "{e}");
    }

    #[test]
    fn dpvpn_only_names_pci_devices_to_the_eal() {
        let c = parse(&GOOD.replace("net_af_packet1,iface=dpvpn-up", "0000:01:00.0"), Path::new("t")).unwrap();
        let a = c.eal_args(&crate::lcores::parse_lcores("2-5").unwrap());
        assert_eq!(
            a,
            [
                "dpvpn",
                "--lcores",
                "2-5",
                "--main-lcore",
                "2",
                "--file-prefix",
                "dpvpn",
                "--no-huge",
                "-m",
                "1024",
                "-a",
                "0000:01:00.0"
            ]
        );
        let c =
            parse(&GOOD.replace("no_huge = true", "eal_args = [\"-a\", \"0000:02:00.0\"]"), Path::new("t")).unwrap();
        let a = c.eal_args(&crate::lcores::parse_lcores("0-1").unwrap());
        assert!(!a.contains(&"--no-pci".to_string()), "{a:?}");
        assert!(a.ends_with(&["-a".to_string(), "0000:02:00.0".to_string()]), "{a:?}");
    }
}
