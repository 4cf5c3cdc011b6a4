/* Headers dpvpn binds to (bindgen input; the generated static-inline wrappers include it too). */
#include <rte_config.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_launch.h>
#include <rte_cycles.h>
#include <rte_mempool.h>
#include <rte_mbuf.h>
#include <rte_ethdev.h>
#include <rte_ring.h>
#include <rte_dev.h>
#include <rte_bus_vdev.h>
#include <rte_telemetry.h>
#include <rte_pdump.h>
#include <rte_version.h>

/* rte_errno is a thread-local variable behind a macro: give Rust a function. */
int dpvpn_rte_errno(void);
