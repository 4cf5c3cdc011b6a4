#!/usr/bin/env bash
# The standard lab (see README):
#
#   [ns sub] sub-acc 192.0.2.2/24 ── dpvpn-acc [dpvpn, root ns] dpvpn-up ── inet-up 198.51.100.2/24 [ns inet]
#
# dpvpn owns 192.0.2.1 and 198.51.100.1 (configs/lab.toml) through net_af_packet on
# dpvpn-acc and dpvpn-up; the root namespace gives those veth ends no address.
#
#   scripts/lab.sh up | down | status
set -euo pipefail

SUB=${LAB_SUB_NS:-sub}
INET=${LAB_INET_NS:-inet}

offloads_off() { # ns dev
  local ns=$1 dev=$2 run=()
  [ -n "$ns" ] && run=(ip netns exec "$ns")
  # Checksum offload on veth leaves checksums for the receiver to fill in, which a
  # router on AF_PACKET must not rely on; GSO/GRO would hand it 64 KiB frames.
  "${run[@]}" ethtool -K "$dev" rx off tx off tso off gso off gro off >/dev/null 2>&1 || true
  "${run[@]}" sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1" || true
}

# dpvpn reads these veth ends with AF_PACKET, but the root namespace's kernel sees the
# same frames (a real NIC bound to DPDK is invisible to it). It must not answer them:
# the kernel owns dpvpn's addresses through the exception tap and would otherwise answer
# ARP and ping on the veth as well (duplicates). So: no ARP replies (arp_ignore=8), and
# strict reverse-path filtering, which drops IP arriving here because the kernel's route
# back to the sender is the tap.
kernel_hands_off() { # dev
  sysctl -qw "net.ipv4.conf.$1.arp_ignore=8"
  sysctl -qw "net.ipv4.conf.$1.rp_filter=1"
  sysctl -qw "net.ipv4.conf.$1.accept_local=0" || true
}

down() {
  ip netns del "$SUB" 2>/dev/null || true
  ip netns del "$INET" 2>/dev/null || true
  ip link del dpvpn-acc 2>/dev/null || true
  ip link del dpvpn-up 2>/dev/null || true
}

up() {
  down
  ip netns add "$SUB"
  ip netns add "$INET"
  ip link add dpvpn-acc type veth peer name sub-acc netns "$SUB"
  ip link add dpvpn-up type veth peer name inet-up netns "$INET"
  for d in dpvpn-acc dpvpn-up; do
    offloads_off "" "$d"
    kernel_hands_off "$d"
    ip link set "$d" up
  done
  ip -n "$SUB" link set lo up
  ip -n "$SUB" addr add 192.0.2.2/24 dev sub-acc
  offloads_off "$SUB" sub-acc
  ip -n "$SUB" link set sub-acc up
  ip -n "$SUB" route add default via 192.0.2.1
  ip -n "$INET" link set lo up
  ip -n "$INET" addr add 198.51.100.2/24 dev inet-up
  offloads_off "$INET" inet-up
  ip -n "$INET" link set inet-up up
  ip -n "$INET" route add 192.0.2.0/24 via 198.51.100.1
  # PPPoE subscribers' addresses (configs/lab-pppoe.toml, pool "lab"), and the
  # 198.51.100.53 the lab hands out as DNS, answered by the inet host.
  ip -n "$INET" route add 100.64.0.0/12 via 198.51.100.1
  ip -n "$INET" addr add 198.51.100.53/32 dev lo
}

case "${1:-}" in
  up) up; echo "lab: up (ns $SUB: 192.0.2.2 via 192.0.2.1; ns $INET: 198.51.100.2)";;
  down) down; echo "lab: down";;
  status) ip netns list; ip -br link show | grep -E 'dpvpn-(acc|up)' || true;;
  *) echo "usage: $0 up|down|status" >&2; exit 2;;
esac
