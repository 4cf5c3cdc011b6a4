//! Ethernet ports: hot-plugged from device arguments, configured, started, polled.
//!
//! Queue ownership: DPDK's RX/TX calls are not thread-safe per queue. dpvpn gives each
//! worker lcore its own queue index on every port; nothing here enforces that.

use std::ffi::{c_char, CStr};
use std::mem::MaybeUninit;

use crate::{cstring, ffi, DpdkError, Eal, MbufBurst, Mempool, Result};

/// An ethdev port, by id. `Copy`, `Send` and `Sync`: it is only a number.
///
/// Queue ownership is the caller's job: `rx_burst`/`tx_burst` on one queue must only ever
/// run on one thread at a time (DPDK's burst calls are not thread-safe per queue). dpvpn
/// gives every worker lcore its own RX and TX queue index on every port and the control
/// core its own TX queue; setup calls (`configure`, `start`, `stop`, `close`) belong to the
/// control core, with the workers not polling the port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Port {
    id: u16,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortConfig {
    pub rx_queues: u16,
    pub tx_queues: u16,
    pub mtu: Option<u16>,
    pub rx_desc: u16,
    pub tx_desc: u16,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PortInfo {
    pub driver: String,
    pub max_rx_queues: u16,
    pub max_tx_queues: u16,
    pub min_mtu: u16,
    pub max_mtu: u16,
    pub if_index: u32,
    pub socket: i32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct PortStats {
    pub ipackets: u64,
    pub opackets: u64,
    pub ibytes: u64,
    pub obytes: u64,
    pub imissed: u64,
    pub ierrors: u64,
    pub oerrors: u64,
    pub rx_nombuf: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct LinkInfo {
    pub up: bool,
    pub speed_mbps: u32,
    pub full_duplex: bool,
}

fn check(op: &'static str, r: i32) -> Result<()> {
    if r < 0 {
        Err(DpdkError::neg(op, r))
    } else {
        Ok(())
    }
}

impl Port {
    /// The device name DPDK gives a port for these device arguments.
    fn name_of(devargs: &str) -> String {
        devargs.split(',').next().unwrap_or("").trim().to_string()
    }

    /// Hot-plug a device ("net_af_packet0,iface=veth0", "net_null0", "0000:01:00.0") and
    /// return its port. A port of that name that already exists is returned as it is.
    pub fn attach(eal: &Eal, devargs: &str) -> Result<Port> {
        let name = Self::name_of(devargs);
        if let Ok(p) = Self::by_name(eal, &name) {
            return Ok(p);
        }
        let c = cstring(devargs);
        // SAFETY: EAL initialised; valid C string.
        let r = unsafe { ffi::rte_dev_probe(c.as_ptr()) };
        if r < 0 {
            // 22.11 answers EFAULT when no bus claims the name (rte_devargs_parse).
            let why = if r == -libc::EFAULT {
                ": no bus or driver knows this device name"
            } else {
                ""
            };
            return Err(DpdkError {
                op: crate::intern(format!("rte_dev_probe({devargs}){why}")),
                errno: -r,
            });
        }
        Self::by_name(eal, &name).or_else(|e| {
            // A PCI device given without its domain.
            if !name.starts_with("0000:") && name.matches(':').count() == 1 {
                Self::by_name(eal, &format!("0000:{name}"))
            } else {
                Err(DpdkError {
                    op: crate::intern(format!(
                        "rte_dev_probe({devargs}) made no ethdev port named {name}"
                    )),
                    errno: e.errno,
                })
            }
        })
    }

    /// The port DPDK knows by `name` (a vdev name such as "net_null0", or a PCI address).
    pub fn by_name(_eal: &Eal, name: &str) -> Result<Port> {
        let c = cstring(name);
        let mut id = 0u16;
        // SAFETY: valid C string and out pointer.
        let r = unsafe { ffi::rte_eth_dev_get_port_by_name(c.as_ptr(), &mut id) };
        if r < 0 {
            return Err(DpdkError {
                op: crate::intern(format!("no ethdev port named {name}")),
                errno: -r,
            });
        }
        Ok(Port { id })
    }

    pub fn id(&self) -> u16 {
        self.id
    }

    pub fn name(&self) -> String {
        let mut buf = [0 as c_char; 64];
        // SAFETY: buffer of RTE_ETH_NAME_MAX_LEN (64) bytes.
        if unsafe { ffi::rte_eth_dev_get_name_by_port(self.id, buf.as_mut_ptr()) } != 0 {
            return format!("port{}", self.id);
        }
        // SAFETY: NUL-terminated by DPDK.
        unsafe { CStr::from_ptr(buf.as_ptr()) }
            .to_string_lossy()
            .into_owned()
    }

    fn raw_info(&self) -> Result<ffi::rte_eth_dev_info> {
        let mut info = MaybeUninit::<ffi::rte_eth_dev_info>::zeroed();
        // SAFETY: out pointer to a zeroed struct.
        check("rte_eth_dev_info_get", unsafe {
            ffi::rte_eth_dev_info_get(self.id, info.as_mut_ptr())
        })?;
        // SAFETY: filled by DPDK (and zero-initialised before).
        Ok(unsafe { info.assume_init() })
    }

    pub fn info(&self) -> Result<PortInfo> {
        let i = self.raw_info()?;
        let driver = if i.driver_name.is_null() {
            String::new()
        } else {
            // SAFETY: static driver name string.
            unsafe { CStr::from_ptr(i.driver_name) }
                .to_string_lossy()
                .into_owned()
        };
        // SAFETY: port id checked by info_get above.
        let socket = unsafe { ffi::rte_eth_dev_socket_id(self.id) };
        Ok(PortInfo {
            driver,
            max_rx_queues: i.max_rx_queues,
            max_tx_queues: i.max_tx_queues,
            min_mtu: i.min_mtu,
            max_mtu: i.max_mtu,
            if_index: i.if_index,
            socket,
        })
    }

    /// `rte_eth_dev_configure` with the queue counts (an error names the device's maximum
    /// if there are too many), then the MTU if given (a driver without MTU control, such
    /// as net_null, is left as it is), then every RX queue (buffers from `pool`, on the
    /// port's socket) and TX queue. `rx_desc`/`tx_desc` of 0 take the driver's defaults.
    /// The port must be stopped. `pool` must outlive the port's use (stop and close first).
    pub fn configure(&self, conf: &PortConfig, pool: &Mempool) -> Result<()> {
        let info = self.raw_info()?;
        for (what, want, max) in [
            ("RX", conf.rx_queues, info.max_rx_queues),
            ("TX", conf.tx_queues, info.max_tx_queues),
        ] {
            if want > max {
                return Err(DpdkError {
                    op: crate::intern(format!(
                        "rte_eth_dev_configure: port {} ({}) asked for {want} {what} queues, the device has at most {max}",
                        self.id,
                        self.name()
                    )),
                    errno: libc::EINVAL,
                });
            }
        }
        let eth_conf = ffi::rte_eth_conf::default();
        // SAFETY: valid port, conf struct lives across the call.
        check("rte_eth_dev_configure", unsafe {
            ffi::rte_eth_dev_configure(self.id, conf.rx_queues, conf.tx_queues, &eth_conf)
        })?;
        if let Some(mtu) = conf.mtu {
            // SAFETY: valid port.
            let r = unsafe { ffi::rte_eth_dev_set_mtu(self.id, mtu) };
            if r < 0 && r != -libc::ENOTSUP {
                return Err(DpdkError::neg("rte_eth_dev_set_mtu", r));
            }
        }
        let (mut rxd, mut txd) = (conf.rx_desc, conf.tx_desc);
        // SAFETY: valid port and out pointers.
        check("rte_eth_dev_adjust_nb_rx_tx_desc", unsafe {
            ffi::rte_eth_dev_adjust_nb_rx_tx_desc(self.id, &mut rxd, &mut txd)
        })?;
        // SAFETY: valid port.
        let socket = unsafe { ffi::rte_eth_dev_socket_id(self.id) };
        let socket = if socket < 0 {
            ffi::SOCKET_ID_ANY
        } else {
            socket
        };
        for q in 0..conf.rx_queues {
            // SAFETY: valid port/queue; NULL rxconf means driver defaults; pool outlives the port's use.
            check("rte_eth_rx_queue_setup", unsafe {
                ffi::rte_eth_rx_queue_setup(
                    self.id,
                    q,
                    rxd,
                    socket as u32,
                    std::ptr::null(),
                    pool.as_ptr(),
                )
            })?;
        }
        for q in 0..conf.tx_queues {
            // SAFETY: as above.
            check("rte_eth_tx_queue_setup", unsafe {
                ffi::rte_eth_tx_queue_setup(self.id, q, txd, socket as u32, std::ptr::null())
            })?;
        }
        Ok(())
    }

    pub fn start(&self) -> Result<()> {
        // SAFETY: valid port.
        check("rte_eth_dev_start", unsafe {
            ffi::rte_eth_dev_start(self.id)
        })
    }

    pub fn stop(&self) -> Result<()> {
        // SAFETY: valid port.
        check("rte_eth_dev_stop", unsafe {
            ffi::rte_eth_dev_stop(self.id)
        })
    }

    pub fn close(&self) -> Result<()> {
        // SAFETY: valid port.
        check("rte_eth_dev_close", unsafe {
            ffi::rte_eth_dev_close(self.id)
        })
    }

    pub fn set_promiscuous(&self, on: bool) -> Result<()> {
        // SAFETY: valid port.
        let r = unsafe {
            if on {
                ffi::rte_eth_promiscuous_enable(self.id)
            } else {
                ffi::rte_eth_promiscuous_disable(self.id)
            }
        };
        check(
            if on {
                "rte_eth_promiscuous_enable"
            } else {
                "rte_eth_promiscuous_disable"
            },
            r,
        )
    }

    pub fn mac(&self) -> Result<[u8; 6]> {
        let mut a = ffi::rte_ether_addr::default();
        // SAFETY: out pointer.
        check("rte_eth_macaddr_get", unsafe {
            ffi::rte_eth_macaddr_get(self.id, &mut a)
        })?;
        Ok(a.addr_bytes)
    }

    pub fn set_mac(&self, mac: [u8; 6]) -> Result<()> {
        let mut a = ffi::rte_ether_addr { addr_bytes: mac };
        // SAFETY: valid pointer.
        check("rte_eth_dev_default_mac_addr_set", unsafe {
            ffi::rte_eth_dev_default_mac_addr_set(self.id, &mut a)
        })
    }

    pub fn mtu(&self) -> Result<u16> {
        let mut m = 0u16;
        // SAFETY: out pointer.
        check("rte_eth_dev_get_mtu", unsafe {
            ffi::rte_eth_dev_get_mtu(self.id, &mut m)
        })?;
        Ok(m)
    }

    pub fn link(&self) -> LinkInfo {
        let mut l = ffi::rte_eth_link::default();
        // SAFETY: out pointer.
        if unsafe { ffi::rte_eth_link_get_nowait(self.id, &mut l) } < 0 {
            return LinkInfo::default();
        }
        LinkInfo {
            up: l.link_status() != 0,
            speed_mbps: l.link_speed,
            full_duplex: l.link_duplex() != 0,
        }
    }

    pub fn stats(&self) -> Result<PortStats> {
        let mut s = ffi::rte_eth_stats::default();
        // SAFETY: out pointer.
        check("rte_eth_stats_get", unsafe {
            ffi::rte_eth_stats_get(self.id, &mut s)
        })?;
        Ok(PortStats {
            ipackets: s.ipackets,
            opackets: s.opackets,
            ibytes: s.ibytes,
            obytes: s.obytes,
            imissed: s.imissed,
            ierrors: s.ierrors,
            oerrors: s.oerrors,
            rx_nombuf: s.rx_nombuf,
        })
    }

    /// Extended statistics, by name. Not for the data path (it allocates).
    pub fn xstats(&self) -> Result<Vec<(String, u64)>> {
        // SAFETY: NULL/0 asks for the count.
        let n = unsafe { ffi::rte_eth_xstats_get_names(self.id, std::ptr::null_mut(), 0) };
        check("rte_eth_xstats_get_names", n)?;
        let n = n as usize;
        let mut names = vec![ffi::rte_eth_xstat_name::default(); n];
        let mut vals = vec![ffi::rte_eth_xstat::default(); n];
        // SAFETY: arrays of n entries.
        let got = unsafe { ffi::rte_eth_xstats_get_names(self.id, names.as_mut_ptr(), n as u32) };
        check("rte_eth_xstats_get_names", got)?;
        // SAFETY: as above.
        let got2 = unsafe { ffi::rte_eth_xstats_get(self.id, vals.as_mut_ptr(), n as u32) };
        check("rte_eth_xstats_get", got2)?;
        // A count above n means the arrays were too small and were not filled.
        if got as usize > n || got2 as usize > n {
            return Err(DpdkError {
                op: "rte_eth_xstats_get: the number of xstats changed",
                errno: libc::EAGAIN,
            });
        }
        Ok(vals
            .iter()
            .take(got2 as usize)
            .filter_map(|v| {
                let name = names.get(v.id as usize)?;
                // SAFETY: NUL-terminated fixed array.
                let s = unsafe { CStr::from_ptr(name.name.as_ptr()) }
                    .to_string_lossy()
                    .into_owned();
                Some((s, v.value))
            })
            .collect())
    }

    /// Receive into the free space of `burst`; returns how many arrived.
    #[inline]
    pub fn rx_burst(&self, queue: u16, burst: &mut MbufBurst) -> usize {
        self.rx_burst_max(queue, burst, crate::BURST_MAX)
    }

    /// Receive at most `max` packets into the free space of `burst`.
    #[inline]
    pub fn rx_burst_max(&self, queue: u16, burst: &mut MbufBurst, max: usize) -> usize {
        let (ptr, free) = burst.free_space();
        let want = free.min(max) as u16;
        if want == 0 {
            return 0;
        }
        // SAFETY: ptr has room for `want` pointers; the caller owns this queue on this lcore.
        let n = unsafe { ffi::rte_eth_rx_burst(self.id, queue, ptr, want) } as usize;
        burst.grew(n);
        n
    }

    /// Send from the front of `burst`; what the device did not take stays, moved to the front.
    #[inline]
    pub fn tx_burst(&self, queue: u16, burst: &mut MbufBurst) -> usize {
        let (ptr, len) = burst.raw();
        if len == 0 {
            return 0;
        }
        // SAFETY: ptr holds `len` owned mbufs; the device takes ownership of those it sends.
        let n = unsafe { ffi::rte_eth_tx_burst(self.id, queue, ptr, len as u16) } as usize;
        burst.consumed(n);
        n
    }
}
