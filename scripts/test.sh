#!/usr/bin/env bash
# The whole test suite: unit tests (no EAL), DPDK tests (EAL with --no-huge and
# virtual devices), lab tests (root: namespaces, veth, dpvpn on net_af_packet).
# Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "test: run as root (DPDK and lab tests need it)" >&2; exit 1; }

scripts/deps.sh
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR=never

echo "== build"
cargo build --workspace --all-targets --release
echo "== unit and DPDK tests"
cargo test --workspace --release --exclude controlplane
cargo test --release -p controlplane --lib --bins
cargo test --release -p controlplane --test '*' -- --test-threads=1
echo "== all tests passed"
