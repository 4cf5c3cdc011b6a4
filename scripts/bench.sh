#!/usr/bin/env bash
# dpvpn beside dpdk-testpmd, same packets, same devices (net_pcap replay → net_null), same
# worker core (issue 5, perf/src/bin/dpvpn-bench.rs). Builds, runs every case and writes
# perf/results/bench.jsonl (appended), perf/results/bench.svg and a dated table appended to
# perf/RESULTS.md.
#
#   scripts/bench.sh            full run (about 15 minutes): ipv4 over 10 and 1M routes,
#                               PPPoE up/down for 1, 1k and 64k sessions, each on its own
#                               capture file; then the table-size sweep (1 to 1M sessions,
#                               10 to 1M routes) on files of 65536 frames each; 3 rounds of
#                               1 s warm-up + 5 s each
#   scripts/bench.sh --smoke    every case once for about a second, results in a scratch
#                               directory (for CI: checks the tool works, not the figures)
#
# Extra arguments go to both dpvpn-bench runs (e.g. --lcores 2,3 --rounds 5). Runs as root (DPDK).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench: run as root (DPDK needs it)" >&2; exit 1; }
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR=never
T=${CARGO_TARGET_DIR:-target}
command -v dpdk-testpmd >/dev/null || { echo "bench: dpdk-testpmd is missing (scripts/deps.sh installs it)" >&2; exit 1; }

smoke=0
if [ "${1:-}" = --smoke ]; then smoke=1; shift; fi

cargo build --release -p controlplane --bin dpvpn --bin dpvpnctl
cargo build --release -p perf --bin dpvpn-bench
bench=("$T/release/dpvpn-bench" --dpvpn "$T/release/dpvpn" --dpvpnctl "$T/release/dpvpnctl")

if [ $smoke = 1 ]; then
    work=$(mktemp -d /tmp/dpvpn-bench-smoke.XXXXXX)
    trap '[ $? = 0 ] && rm -rf "$work" || echo "bench: smoke failed; logs in $work" >&2' EXIT
    "${bench[@]}" --work "$work" --sessions 1000 --routes 10 --rounds 1 \
        --warmup-s 0.2 --duration-s 0.8 --results "$work/results" "$@" >"$work/out.jsonl"
    # Every case forwarded something on both sides (dpvpn-bench fails otherwise) and wrote a line.
    n=$(wc -l <"$work/out.jsonl")
    [ "$n" = 3 ] || { echo "bench: smoke: $n result lines, expected 3" >&2; exit 1; }
    echo "bench: smoke passed ($n cases)"
    exit 0
fi

# 1. Throughput beside testpmd: each case's own capture file (8192 frames, or one per
#    session or route up to 65536).
"${bench[@]}" --work /tmp/dpvpn-bench --sessions 1,1000,65536 --routes 10,1000000 \
    --results perf/results --results-md perf/RESULTS.md \
    --note "Throughput: each case's own capture file." "$@"
# 2. Cost against table size: 1 to 1M sessions (and 10 to 1M routes) replayed from files
#    of the same 65536 frames, so that only the tables change between sizes.
"${bench[@]}" --work /tmp/dpvpn-bench --sessions 1,1000,65536,1048576 --routes 10,1000000 \
    --frames 65536 --results perf/results --results-md perf/RESULTS.md \
    --note "Sweep: every capture file 65536 frames, so only the tables change." "$@"
echo "bench: perf/results/bench.jsonl, perf/results/bench.svg, perf/RESULTS.md"
