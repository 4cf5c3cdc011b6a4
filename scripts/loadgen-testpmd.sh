#!/usr/bin/env bash
# The testpmd baseline beside scripts/loadgen-memif.sh (issue 5: dpvpn's latency beside
# testpmd's at the same rate): the same test traffic, but through dpdk-testpmd in io
# forwarding mode between two memif servers instead of through dpvpn. Starts testpmd on
# the lcores dpvpn would use (0-1: its main lcore on 0, the forwarding core on 1), runs
# dpvpn-loadgen --baseline on lcore 1 (as loadgen-memif.sh does) with the given options,
# stops testpmd, and prints the loadgen's summary and testpmd's forwarding statistics; the
# JSON report goes to $REPORT (default /tmp/loadgen-testpmd.json).
#
#   scripts/loadgen-testpmd.sh --sessions 1000 --rate 1000000 --duration 10
#   scripts/loadgen-testpmd.sh --sessions 1000 --setup-rate 20000/s --rate 1000000 --duration 10
#
# The options are those of loadgen-memif.sh; --baseline is added (no PPPoE: the sessions
# are made up as dpvpn would give them, so the setup options do nothing here). testpmd
# forwards port 0 (tp-acc.sock) to port 1 (tp-up.sock) and back, unchanged: upstream
# frames reach the loadgen's uplink still PPPoE-framed, downstream ones its access port as
# plain IPv4, and the loadgen accounts them as it would through dpvpn.
#
# Environment: TARGET (cargo target dir, default target), PROFILE (release), REPORT,
# TESTPMD (default dpdk-testpmd), TESTPMD_LOG (testpmd's output, default
# /tmp/loadgen-testpmd-testpmd.log), LOADGEN_LCORE (default 1).
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${TARGET:-target}
PROFILE=${PROFILE:-release}
REPORT=${REPORT:-/tmp/loadgen-testpmd.json}
TESTPMD=${TESTPMD:-dpdk-testpmd}
TESTPMD_LOG=${TESTPMD_LOG:-/tmp/loadgen-testpmd-testpmd.log}
BIN="$TARGET/$PROFILE"
ACC=/run/dpvpn-bench/tp-acc.sock
UP=/run/dpvpn-bench/tp-up.sock
[ -x "$BIN/dpvpn-loadgen" ] || {
    echo "loadgen-testpmd: build first: CARGO_TARGET_DIR=$TARGET cargo build --$PROFILE -p perf" >&2
    exit 2
}
command -v "$TESTPMD" >/dev/null || { echo "loadgen-testpmd: $TESTPMD not found (Debian: apt-get install dpdk)" >&2; exit 2; }
mkdir -p /run/dpvpn-bench
rm -f "$ACC" "$UP"
# Without -i, testpmd forwards until a line (or EOF) on its stdin: hold a pipe open that
# never writes, and stop it with SIGINT, which prints its forwarding statistics.
# --disable-link-check: the memif links come up only when the loadgen connects; without
# it testpmd waits 9 s for them before it starts forwarding.
exec {HOLD}< <(exec sleep 1000000)
HOLD_PID=$!
# stdbuf: testpmd's stdout is a file, line-buffer it so "Press enter to exit" (forwarding
# started) shows at once. 32768 mbufs, as dpvpn has (configs/bench-memif.toml).
stdbuf -oL "$TESTPMD" -l 0,1 --no-huge -m 1024 --file-prefix dpvpn-testpmd-memif --no-pci \
    --vdev "net_memif0,role=server,socket=$ACC,id=0" \
    --vdev "net_memif1,role=server,socket=$UP,id=0" \
    -- --forward-mode=io --nb-cores=1 --auto-start --disable-link-check --total-num-mbufs=32768 <&"$HOLD" >"$TESTPMD_LOG" 2>&1 &
TP=$!
exec {HOLD}<&-
trap 'kill -INT $TP 2>/dev/null || true; wait $TP 2>/dev/null || true; kill $HOLD_PID 2>/dev/null || true' EXIT
# DPDK 22.11's memif puts its socket in the abstract namespace unless told
# socket-abstract=no (as dpvpn's, the defaults are kept): no file appears, the name shows
# in /proc/net/unix with an @.
listening() { grep -q " @$1\$" /proc/net/unix; }
for _ in $(seq 100); do
    listening "$ACC" && listening "$UP" && grep -q "^Press enter to exit" "$TESTPMD_LOG" && break
    kill -0 $TP 2>/dev/null || { echo "loadgen-testpmd: testpmd exited:" >&2; tail -20 "$TESTPMD_LOG" >&2; exit 2; }
    sleep 0.1
done
listening "$ACC" && listening "$UP" && grep -q "^Press enter to exit" "$TESTPMD_LOG" || {
    echo "loadgen-testpmd: testpmd did not start forwarding in 10 s:" >&2
    tail -20 "$TESTPMD_LOG" >&2
    exit 2
}
set +e
"$BIN/dpvpn-loadgen" --lcores "${LOADGEN_LCORE:-1}" --file-prefix dpvpn-loadgen-testpmd \
    --access "net_memif0,role=client,socket=$ACC,id=0" \
    --uplink "net_memif1,role=client,socket=$UP,id=0" \
    --report "$REPORT" --baseline "$@"
rc=$?
set -e
kill -INT $TP 2>/dev/null || true
wait $TP 2>/dev/null || true
# (testpmd's forwarding statistics at the end of its log read 0 here: its memif ports'
# counters do not seem to outlive the loadgen's disconnect. The report has the figures.)
echo "loadgen-testpmd: report in $REPORT, testpmd's log in $TESTPMD_LOG" >&2
exit $rc
