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
# dpvpn holds at most 65534 sessions per access port; for more, SECOND gives the options
# of a second dpvpn-loadgen on the second access port (acc2.sock, lcore $SECOND_LCORE,
# default 0), run at the same time, its report in $REPORT.2.json:
#
#   SECOND="--sessions 50000 --first 50001 --setup-rate 10000/s --hold 2" \
#     scripts/loadgen-memif.sh --sessions 50000 --setup-rate 10000/s --hold 2
#
# Environment: TARGET (cargo target dir, default target), PROFILE (release),
# REPORT, DPVPN_LOG (dpvpn's output, default /tmp/loadgen-memif-dpvpn.log), SECOND,
# SECOND_LCORE, LOADGEN_LCORE (default 1).
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
rm -f /run/dpvpn-bench/acc.sock /run/dpvpn-bench/acc2.sock /run/dpvpn-bench/up.sock
"$BIN/dpvpn" --lcores 0-1 --config configs/bench-memif.toml >"$DPVPN_LOG" 2>&1 &
DPVPN=$!
trap 'kill -INT $DPVPN 2>/dev/null || true; wait $DPVPN 2>/dev/null || true' EXIT
# DPDK 22.11's memif listens in the abstract namespace by default: no socket file
# appears; the name shows in /proc/net/unix with an @ (or as a file with
# socket-abstract=no).
listening() { [ -S "$1" ] || grep -q " @$1\$" /proc/net/unix; }
for _ in $(seq 100); do
    listening /run/dpvpn-bench/acc.sock && listening /run/dpvpn-bench/up.sock && break
    kill -0 $DPVPN 2>/dev/null || { echo "loadgen-memif: dpvpn exited:" >&2; tail -20 "$DPVPN_LOG" >&2; exit 2; }
    sleep 0.1
done
# Let dpvpn finish its start-up (routes, the uplink's ARP) before the first PADI.
sleep 0.5
set +e
SECOND_PID=
if [ -n "${SECOND:-}" ]; then
    # shellcheck disable=SC2086 # SECOND is a list of options
    "$BIN/dpvpn-loadgen" --lcores "${SECOND_LCORE:-0}" --file-prefix dpvpn-loadgen-memif2 \
        --access net_memif0,role=client,socket=/run/dpvpn-bench/acc2.sock,id=0 \
        --report "$REPORT.2.json" $SECOND >"$REPORT.2.log" 2>&1 &
    SECOND_PID=$!
fi
"$BIN/dpvpn-loadgen" --lcores "${LOADGEN_LCORE:-1}" --file-prefix dpvpn-loadgen-memif \
    --access net_memif0,role=client,socket=/run/dpvpn-bench/acc.sock,id=0 \
    --uplink net_memif1,role=client,socket=/run/dpvpn-bench/up.sock,id=0 \
    --report "$REPORT" "$@"
rc=$?
if [ -n "$SECOND_PID" ]; then
    wait "$SECOND_PID"
    rc2=$?
    echo "loadgen-memif: second loadgen (exit $rc2, output $REPORT.2.log):" >&2
    tail -1 "$REPORT.2.log"
    [ $rc -ne 0 ] || rc=$rc2
fi
set -e
echo "loadgen-memif: report in $REPORT, dpvpn's log in $DPVPN_LOG" >&2
exit $rc
