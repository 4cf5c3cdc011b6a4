#!/usr/bin/env bash
# dpvpn against dpvpn-loadgen over memif (two DPDK processes, no kernel, no lab needed):
# starts dpvpn with configs/bench-memif.toml (lcores 0-1: control on 0, the worker on 1),
# runs dpvpn-loadgen on lcore 1 (the worker's CPU: this machine has 2) with the given
# options, stops dpvpn, and prints the loadgen's summary; the JSON report goes to
# $REPORT (default /tmp/loadgen-memif.json).
#
#   scripts/loadgen-memif.sh --sessions 100000 --setup-rate 20000/s              # setup rate
#   scripts/loadgen-memif.sh --sessions 1000 --rate 100000 --duration 10         # traffic
#
# Environment: TARGET (cargo target dir, default target), PROFILE (release),
# REPORT, DPVPN_LOG (dpvpn's output, default /tmp/loadgen-memif-dpvpn.log).
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${TARGET:-target}
PROFILE=${PROFILE:-release}
REPORT=${REPORT:-/tmp/loadgen-memif.json}
DPVPN_LOG=${DPVPN_LOG:-/tmp/loadgen-memif-dpvpn.log}
BIN="$TARGET/$PROFILE"
[ -x "$BIN/dpvpn" ] && [ -x "$BIN/dpvpn-loadgen" ] || {
    echo "loadgen-memif: build first: CARGO_TARGET_DIR=$TARGET cargo build --$PROFILE -p controlplane -p perf" >&2
    exit 2
}
mkdir -p /run/dpvpn-bench
rm -f /run/dpvpn-bench/acc.sock /run/dpvpn-bench/up.sock
"$BIN/dpvpn" --lcores 0-1 --config configs/bench-memif.toml >"$DPVPN_LOG" 2>&1 &
DPVPN=$!
trap 'kill -INT $DPVPN 2>/dev/null || true; wait $DPVPN 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    [ -S /run/dpvpn-bench/acc.sock ] && [ -S /run/dpvpn-bench/up.sock ] && break
    kill -0 $DPVPN 2>/dev/null || { echo "loadgen-memif: dpvpn exited:" >&2; tail -20 "$DPVPN_LOG" >&2; exit 2; }
    sleep 0.1
done
# Let dpvpn finish its start-up (routes, the uplink's ARP) before the first PADI.
sleep 0.5
set +e
"$BIN/dpvpn-loadgen" --lcores 1 --file-prefix dpvpn-loadgen-memif \
    --access net_memif0,role=client,socket=/run/dpvpn-bench/acc.sock,id=0 \
    --uplink net_memif1,role=client,socket=/run/dpvpn-bench/up.sock,id=0 \
    --report "$REPORT" "$@"
rc=$?
set -e
echo "loadgen-memif: report in $REPORT, dpvpn's log in $DPVPN_LOG" >&2
exit $rc
