#!/usr/bin/env bash
# dpvpn's main job on the built-in lab, start to finish:
# install what is missing, build, create the lab (scripts/lab.sh), start dpvpn on it,
# show ping and a few seconds of iperf3 between the namespaces `sub` and `inet`
# through dpvpn, show the counters, stop dpvpn and remove the lab.
#
#   scripts/demo.sh            # dpvpn --lcores 0-1 (control core 0, one worker)
#   LCORES='0@0,1@0,2@1' scripts/demo.sh   # two workers on two CPUs
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo: run as root (namespaces, AF_PACKET, tap)" >&2; exit 1; }

scripts/deps.sh
export PATH="$HOME/.cargo/bin:$PATH"
echo "== building (release)"
cargo build --release -q -p controlplane --bins
BIN=${CARGO_TARGET_DIR:-target}/release
LCORES=${LCORES:-0-1}
SOCK=/run/dpvpn/dpvpn.sock
LOG=$(mktemp /tmp/dpvpn-demo.XXXXXX.log)
pid=""

cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -INT "$pid"; wait "$pid" || true
  fi
  ip netns exec inet pkill iperf3 2>/dev/null || true
  scripts/lab.sh down >/dev/null
}
trap cleanup EXIT

echo "== lab"
scripts/lab.sh up
echo "== dpvpn --lcores $LCORES --config configs/lab.toml   (log: $LOG)"
$BIN/dpvpn --lcores "$LCORES" --config configs/lab.toml >"$LOG" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  $BIN/dpvpnctl -s "$SOCK" show ports >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { cat "$LOG"; echo "demo: dpvpn exited" >&2; exit 1; }
  sleep 0.2
done
cat "$LOG"
$BIN/dpvpnctl -s "$SOCK" show ports

echo "== ping 198.51.100.2 (ns inet) from ns sub, through dpvpn"
ip netns exec sub ping -c 5 -i 0.2 198.51.100.2
echo "== ping dpvpn's own address 198.51.100.1 from ns inet (exception path to the kernel)"
ip netns exec inet ping -c 3 -i 0.2 198.51.100.1
echo "== traceroute-style TTL 1 probe: dpvpn answers time-exceeded from 192.0.2.1"
ip netns exec sub ping -c 1 -t 1 -W 2 198.51.100.2 || true
echo "== iperf3 TCP, 5 s, sub -> inet through dpvpn"
ip netns exec inet iperf3 -s -1 -D
sleep 0.5
ip netns exec sub iperf3 -c 198.51.100.2 -t 5 -f m
echo "== counters"
$BIN/dpvpnctl -s "$SOCK" show stats
$BIN/dpvpnctl -s "$SOCK" show neighbours
$BIN/dpvpnctl -s "$SOCK" show routes
echo "== stopping dpvpn (SIGINT)"
kill -INT "$pid"; wait "$pid"; pid=""
tail -n 40 "$LOG"
