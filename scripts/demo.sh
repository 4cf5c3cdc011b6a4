#!/usr/bin/env bash
# dpvpn's main job on the built-in lab, start to finish: install what is missing, build,
# create the lab (scripts/lab.sh), start dpvpn on it, show it working, show the counters,
# stop dpvpn and remove the lab.
#
#   scripts/demo.sh            # the PPPoE access concentrator (configs/lab-pppoe.toml):
#                              # emulated subscribers dial in on VLANs, ping through their
#                              # sessions, then the kernel in `sub` pings and runs iperf3
#                              # through a PPPoE session
#   scripts/demo.sh router     # the IPv4 router underneath (configs/lab.toml): ping and
#                              # iperf3 between the namespaces `sub` and `inet`
#   LCORES='0@0,1@0,2@1' scripts/demo.sh   # two workers on two CPUs
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo: run as root (namespaces, AF_PACKET, tap)" >&2; exit 1; }
MODE=${1:-pppoe}
case "$MODE" in pppoe|router) ;; *) echo "usage: $0 [pppoe|router]" >&2; exit 2;; esac

scripts/deps.sh
export PATH="$HOME/.cargo/bin:$PATH"
echo "== building (release)"
cargo build --release -q -p controlplane --bins
cargo build --release -q -p perf --bin dpvpn-loadgen
BIN=${CARGO_TARGET_DIR:-target}/release
LCORES=${LCORES:-0-1}
SOCK=/run/dpvpn/dpvpn.sock
LOG=$(mktemp /tmp/dpvpn-demo.XXXXXX.log)
pid=""
lg=""

cleanup() {
  [ -n "$lg" ] && kill -INT "$lg" 2>/dev/null && wait "$lg" 2>/dev/null || true
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -INT "$pid"; wait "$pid" || true
  fi
  ip netns exec inet pkill iperf3 2>/dev/null || true
  scripts/lab.sh down >/dev/null
}
trap cleanup EXIT

ctl() { $BIN/dpvpnctl -s "$SOCK" "$@"; }

start_dpvpn() { # config
  echo "== dpvpn --lcores $LCORES --config $1   (log: $LOG)"
  $BIN/dpvpn --lcores "$LCORES" --config "$1" >"$LOG" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    ctl show ports >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { cat "$LOG"; echo "demo: dpvpn exited" >&2; exit 1; }
    sleep 0.2
  done
  cat "$LOG"
  ctl show ports
}

iperf_through() {
  ip netns exec inet iperf3 -s -1 -D
  sleep 0.5
  ip netns exec sub iperf3 -c 198.51.100.2 -t 5 -f m
}

echo "== lab"
scripts/lab.sh up

if [ "$MODE" = router ]; then
  start_dpvpn configs/lab.toml
  echo "== ping 198.51.100.2 (ns inet) from ns sub, through dpvpn"
  ip netns exec sub ping -c 5 -i 0.2 198.51.100.2
  echo "== ping dpvpn's own address 198.51.100.1 from ns inet (exception path to the kernel)"
  ip netns exec inet ping -c 3 -i 0.2 198.51.100.1
  echo "== traceroute-style TTL 1 probe: dpvpn answers time-exceeded from 192.0.2.1"
  ip netns exec sub ping -c 1 -t 1 -W 2 198.51.100.2 || true
  echo "== iperf3 TCP, 5 s, sub -> inet through dpvpn"
  iperf_through
  echo "== counters"
  ctl show stats
  ctl show neighbours
  ctl show routes
else
  start_dpvpn configs/lab-pppoe.toml
  echo "== rp-pppoe's pppoe-discovery in ns sub finds the access concentrator"
  ip netns exec sub timeout 10 pppoe-discovery -I sub-acc -U
  echo "== 200 emulated subscribers on VLANs 100-149 dial in (CHAP, users user1@lab..user200@lab),"
  echo "   each pings 198.51.100.2 through its PPPoE session, then they hang up"
  ip netns exec sub $BIN/dpvpn-loadgen --lcores 1 --access net_af_packet0,iface=sub-acc \
    --sessions 200 --setup-rate 200/s --vlan 100-149 --ping 198.51.100.2 --ping-count 3 --hold 4 \
    --file-prefix dpvpn-demo-lg 2>/dev/null &
  lg=$!
  sleep 2.5
  echo "== dpvpnctl show sessions (the first 10 of them)"
  ctl show sessions | head -n 11
  wait "$lg"; lg=""
  echo "== one subscriber bridged to the kernel of ns sub (tap sub-ppp0): ping and iperf3 through PPPoE"
  ip netns exec sub $BIN/dpvpn-loadgen --lcores 1 --access net_af_packet0,iface=sub-acc \
    --sessions 1 --first 500 --tap sub-ppp0 --file-prefix dpvpn-demo-lg 2>/dev/null &
  lg=$!
  for _ in $(seq 1 50); do
    ip netns exec sub ip -4 -o addr show dev sub-ppp0 2>/dev/null | grep -q inet && break
    sleep 0.2
  done
  ip netns exec sub ip -4 -o addr show dev sub-ppp0
  ip netns exec sub ping -c 3 -i 0.2 198.51.100.2
  iperf_through
  ctl show sessions
  kill -INT "$lg"; wait "$lg" || true; lg=""
  echo "== counters"
  ctl show stats
fi
echo "== stopping dpvpn (SIGINT)"
kill -INT "$pid"; wait "$pid"; pid=""
tail -n 40 "$LOG"
